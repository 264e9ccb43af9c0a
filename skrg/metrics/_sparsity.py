"""Sparsity of receptive fields: how few fine sites each coarse unit looks at."""

import warnings

import numpy as np
from sklearn.utils.validation import check_is_fitted

__all__ = ["hoyer_sparsity", "weight_sparsity"]


def hoyer_sparsity(W):
    """Hoyer sparsity of every row of a weight matrix.

    ``s(w) = (sqrt(n) - ||w||_1 / ||w||_2) / (sqrt(n) - 1)`` for a row ``w`` of
    ``n`` entries (Hoyer, JMLR 5, 2004). It is 1 for a row with a single
    nonzero entry, 0 for a row whose entries all have the same magnitude, and
    does not change when a row is multiplied by a nonzero number. A row with
    ``k`` equal nonzero entries scores ``(sqrt(n) - sqrt(k)) / (sqrt(n) - 1)``.

    Parameters
    ----------
    W : array-like of shape (n_units, n_sites)
        One row per unit (a 1D array is one unit). At least 2 columns.

    Returns
    -------
    sparsity : ndarray of shape (n_units,), float64
        In [0, 1]; NaN for a row of zeros, whose sparsity is 0/0: such a unit
        looks at nothing, and calling it perfectly sparse would reward dead
        units (see :func:`weight_sparsity`).

    Raises
    ------
    ValueError
        If ``W`` has NaN or infinite values, more than 2 dimensions, or fewer
        than 2 columns (with one entry every row is trivially "one-hot").
    TypeError
        If ``W`` is not real numbers (complex, strings, objects).

    Examples
    --------
    >>> from skrg.metrics import hoyer_sparsity
    >>> hoyer_sparsity([[0, 0, 3, 0], [1, 1, 1, 1], [-2, 2, 0, 0], [0, 0, 0, 0]])
    array([1.        , 0.        , 0.58578644,        nan])
    """
    W = np.asarray(W)
    if W.dtype.kind not in "biuf":  # complex would lose its imaginary part silently
        raise TypeError(f"W must hold real numbers, got dtype {W.dtype}.")
    W = W.astype(np.float64)
    if W.ndim == 1:
        W = W[None, :]
    if W.ndim != 2:
        raise ValueError(
            f"W must be 2D, (n_units, n_sites), got an array of shape {W.shape}."
        )
    n = W.shape[1]
    if n < 2:
        raise ValueError(
            f"Hoyer sparsity needs rows of at least 2 entries, got W of shape {W.shape}."
        )
    if not np.isfinite(W).all():
        raise ValueError("W contains NaN or infinite values.")
    # Scale each row by its largest magnitude first: no overflow in the squares
    # and no underflow for tiny weights; the measure is scale-invariant.
    peak = np.abs(W).max(axis=1, keepdims=True)
    alive = peak[:, 0] > 0
    V = W[alive] / peak[alive]
    ratio = np.abs(V).sum(axis=1) / np.sqrt((V * V).sum(axis=1))
    root = np.sqrt(n)
    sparsity = np.full(W.shape[0], np.nan)
    # Rounding can put a one-hot row a few ulps outside [0, 1].
    sparsity[alive] = np.clip((root - ratio) / (root - 1.0), 0.0, 1.0)
    return sparsity


def weight_sparsity(estimator, X=None, y=None):
    """Mean Hoyer sparsity of a coarse-grainer's receptive fields (higher = sparser).

    The receptive fields come from ``estimator.receptive_fields()``, one row
    per coarse unit over the fine sites: the exact linear kernel of
    :class:`skrg.BlockSpinRG`, the weights of :class:`skrg.BernoulliRBM` (in
    output order), the effective fields of the top layer of
    :class:`skrg.BernoulliRBMStack`, the encoder weights of an autoencoder.
    Each row gets its :func:`hoyer_sparsity` and the score is their mean: 1
    when every unit looks at one site, 0 when every unit weighs all sites
    equally. This is the "RG-based weights are sparse" comparison of Shukla &
    Thakur (2022) as one number: a ``b x b`` block on an ``L x L`` lattice
    scores ``(L - b) / (L - 1)``.

    It has the scorer signature, so it works as ``scoring=`` in
    :class:`~sklearn.model_selection.GridSearchCV` (where it scores the model,
    not the held-out data).

    Parameters
    ----------
    estimator : fitted coarse-grainer
        Any fitted estimator with a ``receptive_fields()`` method returning an
        array of shape (n_units, n_sites).
    X : ignored
        Accepted for the scorer signature.
    y : ignored
        Accepted for the scorer signature.

    Returns
    -------
    sparsity : float
        In [0, 1]. Units whose weights are all exactly zero are left out of
        the mean (their sparsity is 0/0; scoring them 1 would make killing
        units look like sparsity, scoring them 0 would punish an L1 penalty
        for switching off what it should). NaN, with a warning, when every
        unit is zero.

    Raises
    ------
    TypeError
        If ``estimator`` has no ``receptive_fields`` method.
    sklearn.exceptions.NotFittedError
        If ``estimator`` is not fitted.

    See Also
    --------
    hoyer_sparsity : The per-unit values.

    Notes
    -----
    For another level of a stack, score its fields directly:
    ``hoyer_sparsity(stack.receptive_fields(level)).mean()``.

    Examples
    --------
    The 2 x 2 block average on a 4 x 4 lattice: every field is 4 equal
    weights among 16 sites, ``(4 - 2) / (4 - 1) = 2/3``.

    >>> from skrg import BlockSpinRG
    >>> from skrg.metrics import weight_sparsity
    >>> rg = BlockSpinRG(rule="average").fit([[1, -1, 1, 1] * 4])
    >>> round(weight_sparsity(rg), 6)
    0.666667
    >>> weight_sparsity(BlockSpinRG(rule="decimation").fit([[1, -1, 1, 1] * 4]))
    1.0
    """
    if not callable(getattr(estimator, "receptive_fields", None)):
        raise TypeError(
            f"weight_sparsity needs an estimator with a receptive_fields() method "
            f"returning one row of weights per coarse unit, shape (n_units, n_sites) "
            f"(BlockSpinRG, BernoulliRBM, BernoulliRBMStack, IsingAutoencoder); "
            f"{type(estimator).__name__} has none."
        )
    check_is_fitted(estimator)
    sparsity = hoyer_sparsity(estimator.receptive_fields())
    if np.isnan(sparsity).all():
        warnings.warn(
            f"Every receptive field of {type(estimator).__name__} is zero; its weight "
            "sparsity is undefined (NaN).",
            UserWarning,
            stacklevel=2,
        )
        return float("nan")
    return float(np.nanmean(sparsity))
