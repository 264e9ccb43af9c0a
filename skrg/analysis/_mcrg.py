"""Swendsen's Monte Carlo renormalization group, and the RBM reconstruction flow.

MCRG (Swendsen 1979, 1984): levels ``n`` and ``n + 1`` of one ensemble (the
same configurations, coarse-grained once more) give the linearised RG map
``T_ab = dK_a^(n+1) / dK_b^(n)`` without knowing any coupling, through

    F_ab = <S_a^(n+1) S_b^(n)> - <S_a^(n+1)><S_b^(n)>     (= dS_a^(n+1)/dK_b^(n))
    G_ab = <S_a^(n+1) S_b^(n+1)> - <S_a^(n+1)><S_b^(n+1)> (= dS_a^(n+1)/dK_b^(n+1))

and ``F = G T``. The eigenvalues of ``T`` are ``b^y``: the leading one of the
even sector gives ``y_t`` (``nu = 1 / y_t``), of the odd sector ``y_h``.
Operators are extensive sums counting every instance once, so no volume
factor enters.
"""

import math
import numbers

import numpy as np
from sklearn.utils import Bunch, check_random_state
from sklearn.utils.validation import check_is_fitted

from ..lattice import resolve_lattice_shape
from ..utils import check_spins
from ..utils._memory import check_allocation
from ._couplings import _block_bounds, _check_n_blocks, _jackknife_std, estimate_temperature
from ._operators import OPERATORS, _operator_sums, check_operators

__all__ = ["mcrg_exponents", "rbm_flow"]


def _check_levels(levels, lattice_shapes, block_size):
    if isinstance(levels, np.ndarray) or not isinstance(levels, (list, tuple)):
        raise TypeError(
            "levels must be a list of arrays, one (n_samples, n_sites) array of spins per "
            f"level, got {type(levels).__name__}."
        )
    if len(levels) < 2:
        raise ValueError(
            f"levels must hold at least 2 levels (MCRG compares consecutive levels), got "
            f"{len(levels)}."
        )
    if isinstance(block_size, bool) or not isinstance(block_size, numbers.Integral) \
            or block_size < 2:
        raise ValueError(f"block_size must be an integer >= 2, got {block_size!r}.")
    levels = [check_spins(X, name=f"levels[{n}]") for n, X in enumerate(levels)]
    n_samples = len(levels[0])
    for n, X in enumerate(levels):
        if len(X) != n_samples:
            raise ValueError(
                f"Every level must hold the same configurations (same rows), but levels[0] "
                f"has {n_samples} rows and levels[{n}] has {len(X)}."
            )
    if lattice_shapes is None:
        lattice_shapes = [None] * len(levels)
    if len(lattice_shapes) != len(levels):
        raise ValueError(
            f"lattice_shapes must give one shape per level ({len(levels)}), got "
            f"{len(lattice_shapes)}."
        )
    shapes = [
        resolve_lattice_shape(shape, X.shape[1], name=f"lattice_shapes[{n}]")
        for n, (shape, X) in enumerate(zip(lattice_shapes, levels))
    ]
    for n in range(len(shapes) - 1):
        expected = tuple(side // block_size for side in shapes[n])
        if len(shapes[n + 1]) != len(shapes[n]) or any(
            side % block_size for side in shapes[n]
        ) or shapes[n + 1] != expected:
            raise ValueError(
                f"lattice_shapes[{n + 1}]={shapes[n + 1]} must be lattice_shapes[{n}]="
                f"{shapes[n]} divided by block_size={block_size}."
            )
    return levels, shapes, int(block_size)


def _leading(T):
    """The eigenvalue of ``T`` with the largest real part (its real part)."""
    eigenvalues = np.linalg.eigvals(T)
    return float(eigenvalues[np.argmax(eigenvalues.real)].real)


def _pair_moments(fine, coarse, bounds):
    """Block sums of the coarse operators, the fine ones and their products."""
    n_blocks = len(bounds) - 1
    p = fine.shape[1]
    sums = np.zeros((n_blocks, 2, p))
    cross = np.zeros((n_blocks, p, p))
    auto = np.zeros((n_blocks, p, p))
    for b in range(n_blocks):
        rows = slice(bounds[b], bounds[b + 1])
        sums[b, 0] = coarse[rows].sum(axis=0)
        sums[b, 1] = fine[rows].sum(axis=0)
        cross[b] = coarse[rows].T @ fine[rows]
        auto[b] = coarse[rows].T @ coarse[rows]
    return sums, cross, auto


def _covariances(sums, cross, auto, counts, leave_out):
    """F and G from all blocks (``leave_out=None``) or all but one."""
    keep = np.ones(len(counts), dtype=bool)
    if leave_out is not None:
        keep[leave_out] = False
    n = counts[keep].sum()
    mean_coarse, mean_fine = sums[keep].sum(axis=0) / n
    F = cross[keep].sum(axis=0) / n - np.outer(mean_coarse, mean_fine)
    G = auto[keep].sum(axis=0) / n - np.outer(mean_coarse, mean_coarse)
    return F, G


def _sector_eigenvalues(F, G, index):
    """Leading eigenvalue of ``G^-1 F`` restricted to the first k operators, every k."""
    out = np.full(len(index), np.nan)
    for k in range(1, len(index) + 1):
        sub = np.ix_(index[:k], index[:k])
        try:
            T = np.linalg.solve(G[sub], F[sub])
        except np.linalg.LinAlgError:
            continue
        if np.isfinite(T).all():
            out[k - 1] = _leading(T)
    return out


def _exponent(eigenvalue, block_size):
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(eigenvalue > 0, np.log(np.where(eigenvalue > 0, eigenvalue, 1.0)),
                        np.nan) / math.log(block_size)


def mcrg_exponents(levels, lattice_shapes, block_size, operators=None, *,
                   n_jackknife_blocks=20):
    """Critical exponents by Swendsen's MCRG from the levels of one ensemble.

    For each pair of consecutive levels ``(n, n + 1)`` and each sector, the
    linearised RG map ``T = G^-1 F`` (``F`` the connected correlations of the
    coarse operators with the fine ones, ``G`` of the coarse ones with
    themselves; solved with :func:`numpy.linalg.solve`) is computed with the
    first ``k`` operators of the sector, ``k = 1 ... n_sector``. Its leading
    eigenvalue ``lambda = b^y`` gives ``y_t`` (even sector; ``nu = 1/y_t``)
    and ``y_h`` (odd sector). Estimates converge with the level and with
    ``k``; simulate at the critical point.

    Parameters
    ----------
    levels : list of array-like of shape (n_samples, n_sites_n)
        Spins exactly -1 or +1 at every level, level 0 the finest; row ``r``
        of every level is the same original configuration. Rows in sampling
        order (the jackknife blocks are contiguous rows).
    lattice_shapes : list of (None, int or tuple of int), or None
        Shape of every level (None entries, or None for all, mean square 2D);
        each must be the previous divided by ``block_size``.
    block_size : int
        The scale factor ``b`` of one step.
    operators : None, str or sequence of str, default=None
        Operator names of both sectors (:func:`operator_names`), split into
        even and odd in the given order; None means every operator of the
        dimension. Every operator must fit every level (sides at least twice
        its reach).
    n_jackknife_blocks : int, default=20
        Contiguous blocks of samples for the jackknife errors.

    Returns
    -------
    result : :class:`sklearn.utils.Bunch`
        With ``n_pairs = len(levels) - 1`` and ``n_even``, ``n_odd`` the
        operators of each sector:

        - ``y_t``, ``nu``, ``y_h`` and ``y_t_std``, ``nu_std``, ``y_h_std``
          (float): the last level pair with every operator of the sector
          (NaN if the sector has no operator or the eigenvalue is not positive).
        - ``y_t_by_level``, ``nu_by_level``, ``eigenvalues_even`` (the
          leading eigenvalue ``b^y_t``) and their errors ``y_t_std_by_level``,
          ``nu_std_by_level``, ``eigenvalues_even_std``: arrays of shape
          (n_pairs, n_even); entry ``[n, k - 1]`` uses levels ``n -> n + 1``
          and the first ``k`` even operators.
        - ``y_h_by_level``, ``eigenvalues_odd`` and their errors
          ``y_h_std_by_level``, ``eigenvalues_odd_std``: shape (n_pairs, n_odd),
          the same for the odd sector.
        - ``operators_even``, ``operators_odd`` (lists of str),
          ``level_pairs`` (int array (n_pairs, 2)), ``lattice_shapes``,
          ``block_size``, ``n_samples``, ``n_jackknife_blocks``.

    Raises
    ------
    ValueError
        On values other than -1 and +1, levels with different numbers of
        rows, shapes that do not match the data or are not successive
        divisions by ``block_size``, an operator that does not fit a level's
        lattice, or fewer samples than ``n_jackknife_blocks``.

    Examples
    --------
    >>> from skrg import BlockSpinRG, make_ising
    >>> from skrg.analysis import mcrg_exponents
    >>> X, _ = make_ising(400, (16, 16), 2.269, algorithm="wolff", random_state=0)
    >>> X1 = BlockSpinRG(lattice_shape=(16, 16), random_state=0).fit_transform(X)
    >>> res = mcrg_exponents([X, X1], [(16, 16), (8, 8)], 2, ["nn", "nnn", "m"])
    >>> res.y_t_by_level.shape, res.y_h_by_level.shape
    ((1, 2), (1, 1))
    >>> bool(abs(res.y_h - 15 / 8) < 0.15)
    True
    """
    levels, shapes, b = _check_levels(levels, lattice_shapes, block_size)
    operators = check_operators(operators, shapes[-1], name=f"operators (at level "
                                f"{len(shapes) - 1}, lattice {shapes[-1]})")
    for n, shape in enumerate(shapes[:-1]):
        check_operators(operators, shape, name=f"operators (at level {n}, lattice {shape})")
    n_samples = len(levels[0])
    n_blocks = _check_n_blocks(n_jackknife_blocks, n_samples)
    bounds = _block_bounds(n_samples, n_blocks)
    counts = np.diff(bounds).astype(float)
    sectors = {s: [a for a, op in enumerate(operators) if OPERATORS[op].sector == s]
               for s in ("even", "odd")}

    # Centred sums: covariances from centred data lose no precision to large means.
    S = [_operator_sums(X, shape, operators).astype(np.float64) for X, shape in zip(levels, shapes)]
    S = [s - s.mean(axis=0) for s in S]
    n_pairs = len(levels) - 1
    eig = {s: np.full((n_pairs, n_blocks + 1, len(idx)), np.nan) for s, idx in sectors.items()}
    for n in range(n_pairs):
        moments = _pair_moments(S[n], S[n + 1], bounds)
        for r, leave_out in enumerate([None, *range(n_blocks)]):
            F, G = _covariances(*moments, counts, leave_out)
            for s, idx in sectors.items():
                eig[s][n, r] = _sector_eigenvalues(F, G, idx)

    result = Bunch(
        operators_even=[operators[a] for a in sectors["even"]],
        operators_odd=[operators[a] for a in sectors["odd"]],
        level_pairs=np.array([[n, n + 1] for n in range(n_pairs)]),
        lattice_shapes=tuple(shapes), block_size=b, n_samples=n_samples,
        n_jackknife_blocks=n_blocks,
    )
    y_t = _exponent(eig["even"], b)
    with np.errstate(divide="ignore", invalid="ignore"):
        nu = 1.0 / y_t
    y_h = _exponent(eig["odd"], b)
    tables = {
        "eigenvalues_even": ("eigenvalues_even_std", eig["even"]),
        "eigenvalues_odd": ("eigenvalues_odd_std", eig["odd"]),
        "y_t_by_level": ("y_t_std_by_level", y_t),
        "nu_by_level": ("nu_std_by_level", nu),
        "y_h_by_level": ("y_h_std_by_level", y_h),
    }
    for key, (std_key, table) in tables.items():
        result[key] = table[:, 0]
        result[std_key] = _jackknife_std(np.moveaxis(table[:, 1:], 1, 0))
    for key in ("y_t", "nu", "y_h"):
        values, errors = result[f"{key}_by_level"], result[f"{key}_std_by_level"]
        last = values.shape[1] > 0
        result[key] = float(values[-1, -1]) if last else np.nan
        result[f"{key}_std"] = float(errors[-1, -1]) if last else np.nan
    return result


def rbm_flow(rbm, X0, n_steps, *, lattice_shape=None, method="auto", n_jackknife_blocks=20,
             random_state=None):
    """The iterated reconstruction flow ``v -> h -> v' -> ...`` of an RBM (Iso et al. 2018).

    Each step draws ``h ~ p(h | v)`` and then ``v' ~ p(v | h)`` from a fitted
    spin RBM, and every step's configurations are read by the thermometer
    :func:`estimate_temperature`. Iso, Shiba & Yokoo found that such flows of
    an RBM trained over a range of temperatures run toward ``T_c``, the
    opposite direction to an RG flow.

    Parameters
    ----------
    rbm : skrg.BernoulliRBM
        A fitted RBM with ``units="spin"``. It is not modified: the draws use
        a generator made from ``random_state``, not the RBM's own.
    X0 : array-like of shape (n_samples, n_features)
        Starting configurations, spins exactly -1 or +1.
    n_steps : int
        Number of reconstruction steps (0 only reads ``X0``).
    lattice_shape : None, int or tuple of int, default=None
        Geometry of the visible layer for the thermometer; None takes the
        RBM's ``lattice_shape_``, else a square 2D lattice.
    method : {"auto", "energy", "couplings"}, default="auto"
        Thermometer, see :func:`estimate_temperature`.
    n_jackknife_blocks : int, default=20
        Blocks of the thermometer's jackknife error.
    random_state : int, RandomState instance or None, default=None
        Seeds the Gibbs draws.

    Returns
    -------
    flow : :class:`sklearn.utils.Bunch`
        ``configurations``: list of ``n_steps + 1`` int8 arrays of shape
        ``(n_samples, n_features_in_)``, ``X0`` first; ``temperature`` and
        ``temperature_std``: arrays of shape (n_steps + 1,);
        ``lattice_shape``: the geometry used.

    Raises
    ------
    ValueError
        If the RBM does not have spin units, ``X0`` does not match its
        visible layer or is not made of -1 and +1, or ``n_steps`` is negative.

    Examples
    --------
    >>> from skrg import BernoulliRBM, make_ising
    >>> from skrg.analysis import rbm_flow
    >>> X, _ = make_ising(200, (8, 8), 2.5, random_state=0)
    >>> rbm = BernoulliRBM(n_components=64, n_iter=2, random_state=0).fit(X)
    >>> flow = rbm_flow(rbm, X, 3, random_state=0)
    >>> len(flow.configurations), flow.temperature.shape
    (4, (4,))
    """
    check_is_fitted(rbm)
    if getattr(rbm, "units", None) != "spin":
        raise ValueError(
            f"rbm must have spin units (units='spin'), got units={getattr(rbm, 'units', None)!r}."
        )
    if isinstance(n_steps, bool) or not isinstance(n_steps, numbers.Integral) or n_steps < 0:
        raise ValueError(f"n_steps must be a non-negative integer, got {n_steps!r}.")
    X0 = check_spins(X0, name="X0")
    if X0.shape[1] != rbm.n_features_in_:
        raise ValueError(
            f"X0 has {X0.shape[1]} sites but the RBM has {rbm.n_features_in_} visible units."
        )
    check_allocation((n_steps + 1) * X0.size, f"rbm_flow's {n_steps} + 1 sets of configurations",
                     "lower n_steps")
    if lattice_shape is None:
        lattice_shape = getattr(rbm, "lattice_shape_", None)
    shape = resolve_lattice_shape(lattice_shape, X0.shape[1])
    rng = np.random.default_rng(check_random_state(random_state).randint(0, 2**31 - 1))
    dtype = rbm.components_.dtype
    configurations = [X0.copy()]
    v = X0.astype(dtype)
    for _ in range(int(n_steps)):
        v = rbm._sample_visibles(rbm._sample_hiddens(v, rng), rng)
        configurations.append(v.astype(np.int8))
    readings = np.array([
        estimate_temperature(X, shape, method=method, n_jackknife_blocks=n_jackknife_blocks)
        for X in configurations
    ])
    return Bunch(configurations=configurations, temperature=readings[:, 0],
                 temperature_std=readings[:, 1], lattice_shape=shape)
