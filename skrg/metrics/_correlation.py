"""Hidden-visible correlators: the map that shows where a coarse unit looks."""

import copy

import numpy as np
from sklearn.utils import gen_batches
from sklearn.utils.validation import check_is_fitted

from ..utils import check_spins

__all__ = ["hidden_visible_correlation"]

_CHUNK = 4096


def _mean_output(estimator, X):
    """The coarse-grainer's ``E[h | v]``: its ``output="mean"`` transform, else its transform."""
    if "output" in estimator.get_params(deep=False):
        estimator = copy.copy(estimator)
        estimator.set_params(output="mean")
    return np.asarray(estimator.transform(X), dtype=np.float64)


def hidden_visible_correlation(estimator, X):
    """Connected correlator ``C[a, i] = <v_i h_a> - <v_i><h_a>`` of a coarse-grainer.

    For every coarse unit ``a`` the row ``C[a]`` is a map over the fine sites:
    where on the lattice the unit's value is correlated with the spins. This is
    the diagnostic of de Mello Koch et al. (2020), which draws ``C[a]`` per
    hidden unit of an RBM next to the sharp block of a block-spin RG step.

    The hidden values are ``h = E[h | v]``, the estimator's ``output="mean"``
    transform (a shallow copy with ``output="mean"``, so the estimator itself is
    unchanged); an estimator without an ``output`` parameter contributes its
    plain ``transform``. The averages run over the rows of ``X``.

    Parameters
    ----------
    estimator : fitted coarse-grainer
        Any fitted transformer following skrg's coarse-grainer protocol, e.g.
        :class:`skrg.BlockSpinRG` or :class:`skrg.BernoulliRBM`.
    X : array-like of shape (n_samples, n_sites)
        Fine configurations: spins in {-1, +1}, or soft spins in [-1, 1] (the
        mean output of a previous stage). At least 2 rows.

    Returns
    -------
    C : ndarray of shape (n_hidden, n_sites), float64
        Row ``a`` belongs to the ``a``-th column of the transform, so for an RBM
        the rows are in output order (``hidden_order_``), one per coarse site.

    Raises
    ------
    ValueError
        If ``X`` is not spins (values outside [-1, 1], NaN or infinite values,
        not 2D), has fewer than 2 rows, or the transform does not return one
        row per configuration.
    sklearn.exceptions.NotFittedError
        If ``estimator`` is not fitted.

    Notes
    -----
    For independent spins and the block average ``h_a = (1/|B|) Σ_{j∈B_a} v_j``
    the correlator is ``C[a, i] = Var(v_i) / |B|`` for ``i`` in the block
    ``B_a`` and 0 elsewhere, up to sampling noise of order
    ``1 / (|B| sqrt(n_samples))`` per entry. On correlated (Ising) data the
    map of the block average is the block's sum of the spin-spin correlation
    function: largest on the block, decaying outside it with the correlation
    length.

    Examples
    --------
    Block averages of independent random spins on a 4 x 4 lattice: the map of
    coarse site 0 is its 2 x 2 block, with height ``Var(v_i) / 4 = 1/4`` (shown
    times 4).

    >>> import numpy as np
    >>> from skrg import BlockSpinRG
    >>> from skrg.metrics import hidden_visible_correlation
    >>> X = np.random.default_rng(0).choice([-1, 1], size=(20000, 16))
    >>> rg = BlockSpinRG(rule="average", output="mean").fit(X)
    >>> C = hidden_visible_correlation(rg, X)
    >>> C.shape
    (4, 16)
    >>> print(np.round(4 * C[0].reshape(4, 4), 1) + 0.0)
    [[1. 1. 0. 0.]
     [1. 1. 0. 0.]
     [0. 0. 0. 0.]
     [0. 0. 0. 0.]]
    """
    check_is_fitted(estimator)
    X = check_spins(X, allow_soft=True)
    n_samples = X.shape[0]
    if n_samples < 2:
        raise ValueError(
            f"hidden_visible_correlation needs at least 2 samples (rows of X) to "
            f"estimate a correlation; got n_samples={n_samples}."
        )
    H = _mean_output(estimator, X)
    if H.ndim != 2 or H.shape[0] != n_samples:
        raise ValueError(
            f"The transform of {type(estimator).__name__} must return one row per "
            f"configuration, shape ({n_samples}, n_hidden); got {H.shape}."
        )
    mean_v = np.zeros(X.shape[1])
    for rows in gen_batches(n_samples, _CHUNK):
        mean_v += X[rows].sum(axis=0, dtype=np.float64)
    mean_v /= n_samples
    H = H - H.mean(axis=0)
    C = np.zeros((H.shape[1], X.shape[1]))
    # Centred products, a chunk of rows at a time: no float copy of a large X.
    for rows in gen_batches(n_samples, _CHUNK):
        C += H[rows].T @ (X[rows].astype(np.float64) - mean_v)
    return C / n_samples
