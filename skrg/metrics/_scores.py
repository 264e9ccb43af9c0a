"""Kernel shape, reconstruction and entropy scores of any coarse-grainer, and ``get_scorer``."""

import copy
import math
import numbers

import numpy as np
from sklearn.utils import Bunch, check_random_state
from sklearn.utils.validation import check_is_fitted

from ..lattice import Lattice
from ..utils import check_spins
from ..utils._memory import check_allocation
from ._correlation import _mean_output
from ._preservation import _coarse_spins, _geometry

__all__ = [
    "block_alignment",
    "block_alignment_score",
    "coarse_entropy",
    "receptive_field_locality",
    "reconstruction_score",
]


def _window_sums(maps, shape, width):
    """Sum of every periodic ``width``-wide cube of each map, at every corner."""
    maps = maps.reshape(len(maps), *shape)
    sums = np.zeros_like(maps)
    for offset in np.ndindex(*(width,) * len(shape)):
        sums += np.roll(maps, tuple(-o for o in offset), axis=tuple(range(1, len(shape) + 1)))
    return sums.reshape(len(maps), -1)


def block_alignment(estimator, *, n_samples=4096, random_state=0):
    """How much of each coarse unit's kernel falls on one compact block.

    The kernel of unit ``a`` is its linear response ``C[a, i] = Cov(h_a, v_i)``
    to independent uniform ±1 input ``v`` (``n_samples`` draws), with ``h_a``
    the estimator's ``output="mean"`` value: on uniform input this describes
    the coarse-graining itself, not the correlations of physical data. The
    share of unit ``a`` is the largest ``Σ_{i∈B} C[a, i]²`` over every
    ``b × ... × b`` cube ``B`` of the periodic lattice (``b`` the scale factor
    between the fine and coarse lattices), divided by ``Σ_i C[a, i]²``.
    Squares are debiased (each ``C²`` minus the variance of its estimate), so
    a kernel confined to a block scores 1 up to noise of order
    ``1 / sqrt(n_samples)`` whatever the lattice size; shares are clipped to
    [0, 1].

    Parameters
    ----------
    estimator : fitted coarse-grainer
        With ``lattice_shape_`` and ``coarse_lattice_shape_`` related by one
        integer scale factor.
    n_samples : int, default=4096
        Uniform random configurations drawn to measure the kernel.
    random_state : int, RandomState instance or None, default=0
        Decides the uniform configurations.

    Returns
    -------
    result : Bunch
        ``shares`` (one per coarse unit, in output order), ``score`` (their
        mean), ``std`` (standard error of the mean over units, which treats the
        units as independent), ``scale_factor``.

    Raises
    ------
    ValueError
        If the estimator has no coarse geometry, or ``n_samples < 2``.

    Examples
    --------
    >>> from skrg import BlockSpinRG
    >>> from skrg.metrics import block_alignment
    >>> rg = BlockSpinRG(rule="majority").fit([[1, -1] * 32])
    >>> result = block_alignment(rg, random_state=0)
    >>> bool(abs(result.score - 1) < 0.02), result.shares.shape
    (True, (16,))
    """
    check_is_fitted(estimator)
    if (isinstance(n_samples, bool) or not isinstance(n_samples, numbers.Integral)
            or n_samples < 2):
        raise ValueError(f"n_samples must be an integer >= 2, got {n_samples!r}.")
    n_sites = estimator.n_features_in_
    fine, _, b = _geometry(estimator, n_sites, "block_alignment")
    check_allocation(n_samples * n_sites * 8, f"block_alignment's {n_samples} configurations",
                     "lower n_samples")
    rng = check_random_state(random_state)
    V = np.where(rng.random_sample((n_samples, n_sites)) < 0.5, -1, 1).astype(np.int8)
    H = _mean_output(estimator, V)
    H = H - H.mean(axis=0)
    Vc = V - V.mean(axis=0)
    C = H.T @ Vc / n_samples
    # E[Ĉ²] = C² + Var(h v)/n: subtract the estimated variance of each entry.
    variance = ((H**2).T @ Vc**2 / n_samples - C**2) / (n_samples - 1)
    mass = C**2 - variance
    total = mass.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        shares = np.clip(_window_sums(mass, fine, b).max(axis=1) / total, 0.0, 1.0)
    shares[~(total > 0)] = np.nan
    kept = shares[np.isfinite(shares)]
    std = kept.std(ddof=1) / math.sqrt(len(kept)) if len(kept) > 1 else np.nan
    return Bunch(shares=shares, score=float(np.mean(kept)) if len(kept) else np.nan,
                 std=float(std), scale_factor=b)


def block_alignment_score(estimator, X=None, y=None):
    """Mean share of each unit's kernel on one compact block (a scorer; 1 = block-local).

    :func:`block_alignment` with its defaults. ``X`` and ``y`` are ignored:
    the kernel is measured on uniform random input. Range [0, 1]; 1 for every
    block-spin rule, lower for kernels that spread over several blocks.

    Parameters
    ----------
    estimator : fitted coarse-grainer
    X, y : ignored
        Accepted for the scorer signature.

    Returns
    -------
    score : float

    Examples
    --------
    >>> from skrg import BlockSpinRG
    >>> from skrg.metrics import block_alignment_score
    >>> rg = BlockSpinRG(rule="decimation").fit([[1, -1] * 32])
    >>> round(block_alignment_score(rg), 2)
    1.0
    """
    return block_alignment(estimator).score


def receptive_field_locality(estimator, X=None, y=None):
    """How concentrated each receptive field is on the torus (a scorer; 1 = one site).

    For each unit's field ``w`` (``estimator.receptive_fields()``) the weight
    mass ``p_i = w_i² / Σ w²`` gets its circular variance along every axis,
    ``1 - |Σ_i p_i exp(2πi x_i / L)|`` (0 for mass on one site, 1 for mass
    spread evenly around the axis); the score is one minus the mean over
    axes and units. A ``b``-wide block on a side ``L`` scores about
    ``1 - (π b / L)² / 6``. Unlike :func:`block_alignment_score` it reads the
    weights themselves, and unlike :func:`weight_sparsity` it rewards
    neighbouring weights over scattered ones. Units whose weights are all
    zero are left out.

    Parameters
    ----------
    estimator : fitted estimator with ``receptive_fields()`` and ``lattice_shape_``
    X, y : ignored
        Accepted for the scorer signature.

    Returns
    -------
    score : float
        In [0, 1].

    Raises
    ------
    TypeError
        If the estimator has no ``receptive_fields`` method.
    ValueError
        If it has no input lattice (``lattice_shape_`` None).

    Examples
    --------
    >>> from skrg import BlockSpinRG
    >>> from skrg.metrics import receptive_field_locality
    >>> rg = BlockSpinRG(rule="average").fit([[1, -1] * 128])
    >>> round(receptive_field_locality(rg), 3)   # 2 x 2 blocks on 16 x 16
    0.981
    """
    fields = _receptive_fields(estimator, "receptive_field_locality")
    shape = getattr(estimator, "lattice_shape_", None)
    if shape is None:
        raise ValueError(
            f"receptive_field_locality measures fields on the lattice, but "
            f"{type(estimator).__name__} has no input lattice (lattice_shape_ is None)."
        )
    mass = fields**2
    total = mass.sum(axis=1)
    mass = mass[total > 0] / total[total > 0, None]
    coordinates = Lattice(tuple(shape)).coordinates()
    variances = [
        1 - np.abs(mass @ np.exp(2j * np.pi * coordinates[:, axis] / side))
        for axis, side in enumerate(shape)
    ]
    return float(1 - np.mean(variances))


def _receptive_fields(estimator, metric):
    if not callable(getattr(estimator, "receptive_fields", None)):
        raise TypeError(
            f"{metric} needs an estimator with a receptive_fields() method, one row of "
            f"weights per coarse unit; {type(estimator).__name__} has none."
        )
    check_is_fitted(estimator)
    return np.asarray(estimator.receptive_fields(), dtype=np.float64)


def reconstruction_score(estimator, X, y=None):
    """Minus the mean squared error of ``inverse_transform(transform(X))`` (a scorer).

    Both with ``output="mean"`` (a shallow copy of the estimator), so the score
    is deterministic and finite for every coarse-grainer: block replication
    for :class:`skrg.BlockSpinRG`, the top-down mean field of an RBM, the
    decoder of an autoencoder. Range [-4, 0] for spins; 0 is perfect, and
    ``-1`` is what reconstructing every spin as 0 scores.

    Parameters
    ----------
    estimator : fitted coarse-grainer with ``inverse_transform``
    X : array-like of shape (n_samples, n_sites)
        Spins in [-1, 1].
    y : ignored

    Returns
    -------
    score : float

    Raises
    ------
    NotFittedError
        If the estimator is not fitted.
    TypeError
        If it has no ``inverse_transform``.
    ValueError
        If ``X`` is not spins in [-1, 1], or the reconstruction has another shape.

    Examples
    --------
    >>> from skrg import BlockSpinRG
    >>> from skrg.metrics import reconstruction_score
    >>> X = [[1, 1, 1, 1, -1, -1, -1, -1] * 8]
    >>> reconstruction_score(BlockSpinRG(rule="average").fit(X), X)
    -0.0
    """
    check_is_fitted(estimator)
    X = check_spins(X, allow_soft=True)
    if not callable(getattr(estimator, "inverse_transform", None)):
        raise TypeError(
            f"reconstruction_score needs inverse_transform; {type(estimator).__name__} "
            "has none."
        )
    if "output" in estimator.get_params(deep=False):
        estimator = copy.copy(estimator).set_params(output="mean")
    X_back = np.asarray(estimator.inverse_transform(estimator.transform(X)), dtype=np.float64)
    if X_back.shape != X.shape:
        raise ValueError(
            f"inverse_transform of {type(estimator).__name__} returned shape "
            f"{X_back.shape}, expected {X.shape}."
        )
    return -float(np.mean((X - X_back) ** 2))


def coarse_entropy(estimator, X, *, patch_size=2, n_jackknife_blocks=20):
    """Entropy per coarse spin of the coarse configurations, from patch statistics (bits).

    The coarse configurations (``output="spins"``) are cut into every
    periodic ``patch_size``-wide patch of the coarse lattice, pooled over
    positions (translation invariance); the entropy of a patch, ``H(P)``, is
    estimated from the pooled counts with the Miller-Madow correction, and
    the value is ``H(P) / patch_size**d`` bits per coarse spin. By
    subadditivity this bounds the entropy rate of the coarse lattice from
    above; larger patches tighten the bound and need more samples (2**(k^d)
    states). 1 bit is the entropy of independent fair coins; ordered
    configurations approach 0. Shukla & Thakur compare the entropy of RG and
    autoencoder outputs.

    Parameters
    ----------
    estimator : fitted coarse-grainer with ``coarse_lattice_shape_``
    X : array-like of shape (n_samples, n_sites)
        Spins exactly -1 or +1.
    patch_size : int, default=2
        Side of a patch; at most the smallest coarse side, and at most 16
        spins per patch.
    n_jackknife_blocks : int, default=20
        Contiguous blocks of rows for the jackknife standard error.

    Returns
    -------
    result : Bunch
        ``value`` (bits per coarse spin), ``std`` (jackknife), ``patch_size``.

    Raises
    ------
    ValueError
        If ``X`` is not -1/+1 spins, the estimator has no coarse geometry,
        ``patch_size`` is not an int from 1 to the smallest coarse side (16 spins
        per patch at most), or ``n_jackknife_blocks`` is below 2 or above the
        number of rows.

    Examples
    --------
    >>> import numpy as np
    >>> from skrg import BlockSpinRG
    >>> from skrg.metrics import coarse_entropy
    >>> X = np.random.default_rng(0).choice([-1, 1], size=(2000, 64))
    >>> result = coarse_entropy(BlockSpinRG(rule="decimation").fit(X), X)
    >>> bool(abs(result.value - 1) < 4 * result.std + 0.01)
    True
    """
    check_is_fitted(estimator)
    X = check_spins(X)
    _, coarse_shape, _ = _geometry(estimator, X.shape[1], "coarse_entropy")
    ndim = len(coarse_shape)
    if (isinstance(patch_size, bool) or not isinstance(patch_size, numbers.Integral)
            or not 1 <= patch_size <= min(coarse_shape) or patch_size**ndim > 16):
        raise ValueError(
            f"patch_size must be an integer from 1 to the smallest coarse side "
            f"{min(coarse_shape)} with at most 16 spins per patch, got {patch_size!r}."
        )
    if X.shape[0] < n_jackknife_blocks or n_jackknife_blocks < 2:
        raise ValueError(
            f"coarse_entropy needs n_jackknife_blocks >= 2 and at least that many rows; "
            f"got n_jackknife_blocks={n_jackknife_blocks} and {X.shape[0]} rows."
        )
    coarse = _coarse_spins(estimator, X, math.prod(coarse_shape), "coarse_entropy")
    bits = (coarse > 0).astype(np.int64).reshape(len(coarse), *coarse_shape)
    codes = np.zeros_like(bits)
    axes = tuple(range(1, ndim + 1))
    for position, offset in enumerate(np.ndindex(*(patch_size,) * ndim)):
        codes |= np.roll(bits, tuple(-o for o in offset), axis=axes) << position
    n_states = 2 ** (patch_size**ndim)
    counts = np.stack([np.bincount(rows.ravel(), minlength=n_states)
                       for rows in np.array_split(codes.reshape(len(codes), -1),
                                                  n_jackknife_blocks)])

    def entropy(c):
        n = c.sum()
        p = c[c > 0] / n
        return (-(p * np.log2(p)).sum() + (np.count_nonzero(c) - 1) / (2 * n * np.log(2)))

    total = counts.sum(axis=0)
    value = entropy(total)
    replicates = np.array([entropy(total - block) for block in counts])
    k = n_jackknife_blocks
    std = math.sqrt((k - 1) / k * np.sum((replicates - replicates.mean()) ** 2))
    volume = patch_size**ndim
    return Bunch(value=float(value / volume), std=float(std / volume), patch_size=patch_size)
