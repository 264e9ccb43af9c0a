"""Effective couplings by maximum pseudo-likelihood, and thermometers built on them.

For ``H = -sum_a K_a S_a`` the conditional of one spin given the rest is
``P(s_i | rest) = sigmoid(2 s_i sum_a K_a h_{a,i})`` with ``h_{a,i} = dS_a/ds_i``
(:func:`skrg.analysis.local_operator_fields`). The pseudo-likelihood
``prod_samples prod_i P(s_i | rest)`` is that of a logistic regression without
intercept whose features are ``x_{a,i} = 2 s_i h_{a,i}``, one row per (sample,
site). Its maximum is found by Newton's method on the exact (convex) objective.

The features are small integers (``s_i h_{a,i}`` is the sum of the at most 36
instances of ``S_a`` that contain site ``i``), so the rows take few distinct
values: each row is packed into one int64 code, the codes are counted, and
Newton's method runs on the distinct rows weighted by their counts, which is
exact and far smaller than the data.

Standard errors come from a jackknife over contiguous blocks of samples (sites
of one configuration are correlated, and so are successive Monte Carlo
samples, so naive logistic-regression errors are too small). Each
leave-one-block-out estimate is one Newton step from the full-data optimum,
which the quadratic convergence of Newton's method makes accurate to second
order in the (small) change of the estimate.
"""

import math
import numbers
import warnings

import numpy as np
from scipy.optimize import brentq
from scipy.special import expit
from sklearn.exceptions import ConvergenceWarning

from ..ising.exact import finite_lattice_energy
from ..lattice import resolve_lattice_shape
from ..utils import check_spins
from ._operators import (
    OPERATORS,
    _chunks,
    _operator_sums,
    _pad_high,
    _site_sums,
    check_operators,
)

__all__ = ["estimate_couplings", "estimate_temperature"]

_MAX_NEWTON_ITER = 100
_NEWTON_TOL = 1e-10
# Kaufman's energy is inverted for temperatures in this range (log-spaced bracket).
_T_BRACKET = (0.05, 1e6)


# ------------------------------------------------------------------ validation


def _check_n_blocks(n_jackknife_blocks, n_samples):
    if (
        isinstance(n_jackknife_blocks, bool)
        or not isinstance(n_jackknife_blocks, numbers.Integral)
        or n_jackknife_blocks < 2
    ):
        raise ValueError(
            f"n_jackknife_blocks must be an integer >= 2, got {n_jackknife_blocks!r}."
        )
    if n_samples < n_jackknife_blocks:
        raise ValueError(
            f"X has {n_samples} samples, fewer than n_jackknife_blocks={n_jackknife_blocks}: "
            f"the jackknife needs at least one sample per block. Pass more samples or a "
            f"smaller n_jackknife_blocks (at least 2)."
        )
    return int(n_jackknife_blocks)


def _check_sample_weight(sample_weight, n_samples):
    if sample_weight is None:
        return None
    w = np.asarray(sample_weight, dtype=np.float64)
    if w.shape != (n_samples,):
        raise ValueError(
            f"sample_weight must have shape ({n_samples},), one weight per row of X, "
            f"got shape {w.shape}."
        )
    if not np.isfinite(w).all() or (w < 0).any() or not w.sum() > 0:
        raise ValueError(
            "sample_weight must be finite and non-negative with a positive sum."
        )
    return w


def _block_bounds(n_samples, n_blocks):
    """Start of every jackknife block and the end of the last, contiguous in X."""
    return (np.arange(n_blocks + 1) * n_samples) // n_blocks


def _jackknife_std(replicates):
    """Jackknife standard error from the leave-one-block-out estimates (axis 0)."""
    replicates = np.asarray(replicates, dtype=np.float64)
    n_blocks = replicates.shape[0]
    with np.errstate(invalid="ignore"):
        deviation = replicates - replicates.mean(axis=0)
        return np.sqrt((n_blocks - 1) / n_blocks * (deviation**2).sum(axis=0))


def _block_totals(values, weights, bounds):
    """Weighted sums of ``values`` (axis 0) over every block, and the block weights."""
    if weights is None:
        weights = np.ones(len(values))
    sums = np.add.reduceat(values * weights.reshape((-1,) + (1,) * (values.ndim - 1)),
                           bounds[:-1], axis=0)
    return sums, np.add.reduceat(weights, bounds[:-1])


def _mean_and_replicates(values, weights, bounds):
    """Weighted mean of ``values`` and its leave-one-block-out means."""
    sums, block_weights = _block_totals(values, weights, bounds)
    total, total_weight = sums.sum(axis=0), block_weights.sum()
    with np.errstate(invalid="ignore", divide="ignore"):
        replicates = (total - sums) / (total_weight - block_weights).reshape(
            (-1,) + (1,) * (values.ndim - 1))
    return total / total_weight, replicates


# ----------------------------------------------------------- the 1D inversion


def _chain_nn_correlation(t, n_sites):
    """``<s_i s_{i+1}>`` of the periodic chain: ``(t + t^(N-1)) / (1 + t^N)``."""
    return (t + t ** (n_sites - 1)) / (1.0 + t**n_sites)


def _invert_chain(correlation, n_sites):
    """The coupling K whose periodic chain of ``n_sites`` has this nn correlation."""
    low_t = -1.0 + (1e-15 if n_sites % 2 == 0 else 1e-9)
    high_t = 1.0 - 1e-16
    low, high = _chain_nn_correlation(low_t, n_sites), _chain_nn_correlation(high_t, n_sites)
    if not np.isfinite(correlation):
        return np.nan
    if correlation >= high:
        return np.inf
    if correlation <= low:
        return -np.inf
    t = brentq(lambda t: _chain_nn_correlation(t, n_sites) - correlation, low_t, high_t,
               xtol=1e-16, rtol=4 * np.finfo(float).eps)
    return float(np.arctanh(t))


def _chain_couplings(X, shape, weights, bounds):
    """K_nn and its jackknife replicates by inverting the finite-chain correlation."""
    n_sites = shape[0]
    correlation = _operator_sums(X, shape, ["nn"])[:, 0] / n_sites
    mean, replicates = _mean_and_replicates(correlation, weights, bounds)
    K = np.array([_invert_chain(mean, n_sites)])
    K_replicates = np.array([[_invert_chain(c, n_sites)] for c in replicates])
    return K, K_replicates


# ------------------------------------------------------ pseudo-likelihood


def _code_table(shape, operators):
    """Strides, radices and offsets ``m_a`` packing ``z_a in [-m_a, m_a]`` into int64."""
    ndim = len(shape)
    offsets = np.array([OPERATORS[op].multiplicity(ndim) for op in operators], dtype=np.int64)
    radices = 2 * offsets + 1
    # The catalogue guarantees this (tested): 3D with every operator needs < 2^59.
    assert math.prod(radices.tolist()) < 2**62
    strides = np.concatenate([[1], np.cumprod(radices[:-1])]).astype(np.int64)
    return strides, radices, offsets


def _merge_counts(parts):
    """Merge (codes, counts) pairs: the distinct codes, their total counts, and
    for every part the index of each of its codes among the distinct ones."""
    codes, inverse = np.unique(np.concatenate([c for c, _ in parts]), return_inverse=True)
    counts = np.bincount(inverse, weights=np.concatenate([n for _, n in parts]),
                         minlength=len(codes))
    ends = np.cumsum([len(c) for c, _ in parts])
    return codes, counts, np.split(inverse, ends[:-1])


def _count_site_codes(X, shape, operators, table, weights):
    """Distinct codes of ``z_{a,i} = s_i h_{a,i}`` over every (row, site) of ``X``
    and their (weighted) counts, computed block of rows by block of rows."""
    strides, _, offsets = table
    ndim = len(shape)
    pad = max(OPERATORS[op].reach(ndim) for op in operators)
    parts = []
    for rows in _chunks(len(X), X.shape[1]):
        Y = X[rows].reshape((-1,) + shape)
        Yp = _pad_high(Y, pad)
        sums = np.empty_like(Y)
        codes = np.zeros(Y.shape, dtype=np.int64)
        for a, op in enumerate(operators):
            _site_sums(Y, Yp, shape, op, sums)
            codes += (sums.astype(np.int64) + offsets[a]) * strides[a]
        site_weights = None if weights is None else np.repeat(weights[rows], X.shape[1])
        unique, inverse = np.unique(codes.ravel(), return_inverse=True)
        parts.append((unique, np.bincount(inverse, weights=site_weights,
                                          minlength=len(unique)).astype(float)))
    codes, counts, _ = _merge_counts(parts)
    return codes, counts


def _decode(codes, strides, radices, offsets):
    return (codes[:, None] // strides) % radices - offsets


def _pl_terms(x, counts, K, hessian=True):
    """Loss, gradient and Hessian of the negative log pseudo-likelihood (sums)."""
    f = x @ K
    loss = counts @ np.logaddexp(0.0, -f)
    p_wrong = expit(-f)
    gradient = -(counts * p_wrong) @ x
    if not hessian:
        return loss, gradient
    curvature = counts * p_wrong * (1.0 - p_wrong)
    return loss, gradient, (x * curvature[:, None]).T @ x


def _solve(H, g, what):
    try:
        step = np.linalg.solve(H, g)
    except np.linalg.LinAlgError:
        step = None
    if step is None or not np.isfinite(step).all() or np.linalg.cond(H) > 1e13:
        raise ValueError(
            f"The {what} is singular: the local fields of the operators are linearly "
            "dependent on these data (too few samples, a perfectly ordered lattice, or "
            "operators that coincide on this lattice), so the couplings are not "
            "determined. Use fewer operators or more (and more varied) samples."
        )
    return step


def _newton(x, counts):
    """Maximise the pseudo-likelihood: Newton with backtracking from K = 0."""
    K = np.zeros(x.shape[1])
    scale = counts.sum()
    loss, gradient, H = _pl_terms(x, counts, K)
    for _ in range(_MAX_NEWTON_ITER):
        step = -_solve(H, gradient, "pseudo-likelihood Hessian")
        slope = gradient @ step
        t = 1.0
        for _ in range(40):
            new_loss, new_gradient, new_H = _pl_terms(x, counts, K + t * step)
            if new_loss <= loss + 1e-4 * t * slope + 1e-13 * scale:
                break
            t *= 0.5
        K = K + t * step
        loss, gradient, H = new_loss, new_gradient, new_H
        if np.max(np.abs(t * step)) < _NEWTON_TOL * (1.0 + np.max(np.abs(K))):
            return K
    warnings.warn(
        f"The pseudo-likelihood did not converge in {_MAX_NEWTON_ITER} Newton steps "
        f"(couplings reached {np.round(K, 3).tolist()}); its maximum is probably at "
        "infinite coupling, as for a perfectly ordered lattice. The estimates and their "
        "errors are not meaningful.",
        ConvergenceWarning,
        stacklevel=5,
    )
    return K


def _pseudolikelihood(X, shape, operators, weights, bounds):
    """Couplings and leave-one-block-out replicates by maximum pseudo-likelihood.

    The distinct feature rows are counted block by block (no array of one
    entry per site is ever held for all of X), then merged.
    """
    table = _code_table(shape, operators)
    blocks = [
        _count_site_codes(X[bounds[b]:bounds[b + 1]], shape, operators, table,
                          None if weights is None else weights[bounds[b]:bounds[b + 1]])
        for b in range(len(bounds) - 1)
    ]
    codes, counts, positions = _merge_counts(blocks)
    x = 2.0 * _decode(codes, *table)
    K = _newton(x, counts)
    _, _, H = _pl_terms(x, counts, K)
    replicates = np.empty((len(blocks), len(operators)))
    for b, ((_, block_counts), index) in enumerate(zip(blocks, positions)):
        _, g_b, H_b = _pl_terms(x[index], block_counts, K)
        replicates[b] = K + _solve(H - H_b, g_b, "pseudo-likelihood Hessian without a block")
    return K, replicates


def _couplings(X, shape, operators, method, n_blocks, weights):
    bounds = _block_bounds(len(X), n_blocks)
    if method == "chain":
        return _chain_couplings(X, shape, weights, bounds)
    return _pseudolikelihood(X, shape, operators, weights, bounds)


def _resolve_method(method, shape, operators):
    chain_ok = len(shape) == 1 and operators == ["nn"]
    if method not in ("auto", "pseudolikelihood", "chain"):
        raise ValueError(
            f"method must be 'auto', 'pseudolikelihood' or 'chain', got {method!r}."
        )
    if method == "chain" and not chain_ok:
        raise ValueError(
            f"method='chain' inverts the nearest-neighbour correlation of a 1D chain and "
            f"needs a 1D lattice and operators=['nn'], got lattice_shape={shape} and "
            f"operators={operators}."
        )
    if method == "auto":
        return "chain" if chain_ok else "pseudolikelihood"
    return method


def estimate_couplings(
    X, lattice_shape=None, operators=None, *, method="auto", n_jackknife_blocks=20,
    sample_weight=None,
):
    """Effective couplings ``K_a`` of ``H = -sum_a K_a S_a`` fitted to configurations.

    Maximum pseudo-likelihood: ``P(s_i | rest) = sigmoid(2 s_i sum_a K_a h_{a,i})``
    with ``h_{a,i} = dS_a/ds_i``, an unpenalised logistic regression without
    intercept over every (sample, site), solved by Newton's method on the
    exact objective. In 1D with ``operators=["nn"]``, ``method="auto"``
    instead inverts the exact nearest-neighbour correlation of the finite
    periodic chain, ``<s_i s_{i+1}> = (t + t^(N-1)) / (1 + t^N)``,
    ``t = tanh K`` (the two agree up to statistical error).

    Parameters
    ----------
    X : array-like of shape (n_samples, n_sites)
        Spins exactly -1 or +1 (soft spins are an error), one configuration
        per row, in sampling order (the jackknife blocks are contiguous rows).
    lattice_shape : None, int or tuple of int, default=None
        None means a square 2D lattice.
    operators : None, str or sequence of str, default=None
        Operator names (:func:`operator_names`); None means every operator of
        the lattice's dimension, both sectors.
    method : {"auto", "pseudolikelihood", "chain"}, default="auto"
        ``"chain"`` (1D, ``["nn"]`` only) inverts the chain correlation;
        ``"auto"`` chooses it where it applies, else pseudo-likelihood.
    n_jackknife_blocks : int, default=20
        Contiguous blocks of samples for the jackknife errors; each block
        should span many autocorrelation times of a Markov chain.
    sample_weight : array-like of shape (n_samples,), default=None
        Non-negative weights of the rows (e.g. exact Boltzmann weights of
        enumerated states); None weighs every row 1.

    Returns
    -------
    K : ndarray of shape (n_operators,)
        Couplings, in the order of ``operators`` (``K_nn = 1/T`` on
        equilibrium data of the nearest-neighbour model).
    K_std : ndarray of shape (n_operators,)
        Jackknife standard errors (leave-one-block-out estimates by one Newton
        step from ``K``).

    Raises
    ------
    ValueError
        On values other than -1 and +1, an unknown operator (the message lists
        the valid ones), a lattice with a side smaller than twice an
        operator's reach, fewer samples than ``n_jackknife_blocks``, or data
        that do not determine the couplings (a singular Hessian).

    Warns
    -----
    ConvergenceWarning
        When Newton's method does not converge: the maximum is at infinite
        coupling, as for a perfectly ordered lattice.

    Examples
    --------
    >>> from skrg import make_ising
    >>> from skrg.analysis import estimate_couplings
    >>> X, _ = make_ising(400, (8, 8), 4.0, random_state=0)
    >>> K, K_std = estimate_couplings(X, operators=["nn", "nnn"])
    >>> K.shape, K_std.shape
    ((2,), (2,))
    >>> bool(abs(K[0] - 0.25) < 4 * K_std[0]), bool(abs(K[1]) < 4 * K_std[1])
    (True, True)
    """
    X = check_spins(X)
    shape = resolve_lattice_shape(lattice_shape, X.shape[1])
    operators = check_operators(operators, shape)
    method = _resolve_method(method, shape, operators)
    n_blocks = _check_n_blocks(n_jackknife_blocks, len(X))
    weights = _check_sample_weight(sample_weight, len(X))
    K, replicates = _couplings(X, shape, operators, method, n_blocks, weights)
    return K, _jackknife_std(replicates)


# ----------------------------------------------------------------- thermometer


def _invert_energy(shape, u):
    """Temperatures whose exact finite-lattice energies per site are ``u`` (2D).

    Vectorised bisection in ``log T`` over ``_T_BRACKET`` (the energy rises
    monotonically with T): 64 halvings of a bracket 17 wide in ``log T`` leave
    an error below 1e-17, for every value of ``u`` at once.
    """
    u = np.atleast_1d(np.asarray(u, dtype=np.float64))
    T = np.full(u.shape, np.nan)
    u_low, u_high = finite_lattice_energy(shape, np.array(_T_BRACKET))
    T[u <= -2.0] = 0.0
    T[(u > -2.0) & (u <= u_low)] = _T_BRACKET[0]
    T[u >= u_high] = np.inf
    inside = (u > max(-2.0, u_low)) & (u < u_high)
    low = np.full(inside.sum(), np.log(_T_BRACKET[0]))
    high = np.full(inside.sum(), np.log(_T_BRACKET[1]))
    target = u[inside]
    if target.size:
        for _ in range(64):
            mid = 0.5 * (low + high)
            below = finite_lattice_energy(shape, np.exp(mid)) < target
            low = np.where(below, mid, low)
            high = np.where(below, high, mid)
        T[inside] = np.exp(0.5 * (low + high))
    return T


def estimate_temperature(X, lattice_shape=None, *, method="auto", n_jackknife_blocks=20):
    """Read the temperature of configurations as if they were nearest-neighbour Ising.

    A thermometer for equilibrium-looking data, e.g. coarse-grained or
    RBM-generated configurations:

    - ``"energy"`` (2D only): the temperature at which the exact energy per
      site of the finite periodic lattice (Kaufman's formula,
      :func:`skrg.ising.exact.finite_lattice_energy`) equals the mean of
      ``-S_nn / n_sites`` over the data, found by bisection in ``log T``.
    - ``"couplings"``: ``T = 1 / K_nn`` with ``K_nn`` from
      :func:`estimate_couplings` with ``operators=["nn"]`` (in 1D the exact
      finite-chain inversion).

    ``"auto"`` uses ``"energy"`` on 2D lattices and ``"couplings"``
    otherwise.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_sites)
        Spins exactly -1 or +1, rows in sampling order.
    lattice_shape : None, int or tuple of int, default=None
        None means a square 2D lattice.
    method : {"auto", "energy", "couplings"}, default="auto"
    n_jackknife_blocks : int, default=20
        Contiguous blocks of samples for the jackknife error.

    Returns
    -------
    T : float
        The temperature (J = k_B = 1). ``0.0`` when every bond of every sample
        is satisfied (energy method), ``inf`` at zero nearest-neighbour
        correlation, negative for antiferromagnetic correlations (couplings).
    T_std : float
        Jackknife standard error.

    Raises
    ------
    ValueError
        On values other than -1 and +1, ``method="energy"`` outside 2D, a
        lattice with a side below 2, or fewer samples than
        ``n_jackknife_blocks``.

    Notes
    -----
    Near ``T = 0`` a coarse lattice is often perfectly ordered: the energy
    thermometer then reads ``T = 0`` with a zero error, and the couplings
    thermometer has no finite maximum (a ConvergenceWarning, a meaningless
    error). Below about ``0.5 T_c`` the energy is exponentially flat in ``T``
    and ``T`` errors are large and skewed; read such values as "cold". At
    very high temperature ``K_nn`` is close to 0 and ``T = 1 / K_nn`` (and its
    error) blows up; there, read the couplings instead. The
    energy thermometer is exact in equilibrium at every lattice size; away
    from equilibrium the two thermometers disagree, which is itself a
    diagnostic.

    Examples
    --------
    >>> from skrg import make_ising
    >>> from skrg.analysis import estimate_temperature
    >>> X, _ = make_ising(400, (8, 8), 3.0, random_state=0)
    >>> T, T_std = estimate_temperature(X)
    >>> bool(abs(T - 3.0) < 4 * T_std)
    True
    """
    X = check_spins(X)
    shape = resolve_lattice_shape(lattice_shape, X.shape[1])
    if method not in ("auto", "energy", "couplings"):
        raise ValueError(f"method must be 'auto', 'energy' or 'couplings', got {method!r}.")
    if method == "auto":
        method = "energy" if len(shape) == 2 else "couplings"
    if method == "energy" and len(shape) != 2:
        raise ValueError(
            f"method='energy' inverts the exact energy of the 2D square lattice, got "
            f"lattice_shape={shape}; use method='couplings'."
        )
    operators = check_operators(["nn"], shape)
    n_blocks = _check_n_blocks(n_jackknife_blocks, len(X))
    bounds = _block_bounds(len(X), n_blocks)
    if method == "energy":
        energy = -_operator_sums(X, shape, operators)[:, 0] / X.shape[1]
        u, replicates = _mean_and_replicates(energy, None, bounds)
        T, *T_replicates = _invert_energy(shape, np.concatenate([[u], replicates]))
        T = float(T)
    else:
        K, K_replicates = _couplings(
            X, shape, operators, _resolve_method("auto", shape, operators), n_blocks, None
        )
        with np.errstate(divide="ignore"):
            T = float(1.0 / K[0])
            T_replicates = 1.0 / K_replicates[:, 0]
    return T, float(_jackknife_std(T_replicates))
