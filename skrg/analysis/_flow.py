"""CouplingFlowAnalyzer: couplings, RG flow, fixed point and exponents of any coarse-graining.

The analyzer turns a coarse-grainer (exact or learned, anything that follows
the coarse-grainer protocol of skrg) into a measurement: it applies it level
after level to configurations sampled at known temperatures and, at every
level and temperature, fits the couplings of ``H = -sum_a K_a S_a`` by maximum
pseudo-likelihood (:func:`skrg.analysis.estimate_couplings`), follows the
nearest-neighbour projection of the flow to locate its critical fixed point,
and measures the critical exponents by Swendsen's MCRG
(:func:`skrg.analysis.mcrg_exponents`), all with jackknife errors.
"""

import copy
import math
import numbers
import warnings

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin, _fit_context, clone
from sklearn.utils._param_validation import HasMethods, Interval
from sklearn.utils.parallel import Parallel, delayed
from sklearn.utils.validation import _check_feature_names_in, check_is_fitted, column_or_1d

from ..lattice import Lattice, resolve_lattice_shape
from ..rg import BlockSpinRG
from ..utils import check_spins, spawn_seeds, validate_spin_data
from ._couplings import (
    _code_table,
    _count_site_codes,
    _couplings,
    _decode,
    _jackknife_std,
    _newton,
    _resolve_method,
)
from ._mcrg import mcrg_exponents
from ._operators import OPERATORS, _operator_sums, check_operators, operator_names

__all__ = ["CouplingFlowAnalyzer", "coupling_locality_score"]


# ---------------------------------------------------------------- validation


def _check_temperatures(y, n_samples, name="y"):
    """``y`` as float64 temperatures, one per row of X, finite and positive."""
    y = column_or_1d(y, warn=True)
    try:
        y = y.astype(np.float64)
    except (TypeError, ValueError):
        raise ValueError(
            f"{name} must hold the temperature of each row (positive numbers), got "
            f"values of dtype {y.dtype}."
        ) from None
    if len(y) != n_samples:
        raise ValueError(
            f"{name} has {len(y)} values but X has {n_samples} rows; {name} must give the "
            "temperature each row was sampled at."
        )
    if not np.isfinite(y).all() or (y <= 0).any():
        bad = y[~(np.isfinite(y) & (y > 0))][0]
        raise ValueError(
            f"{name} must hold the temperature of each row, finite and positive; found "
            f"{float(bad)!r}."
        )
    return y


def _hard_spins(X, what="X"):
    """Reject soft spins (validate_spin_data gives int8 exactly when all are +-1)."""
    if X.dtype != np.int8:
        raise ValueError(
            f"{what} must hold spins exactly -1 or +1: couplings are measured on discrete "
            "spins, but it holds soft spins (reals in [-1, 1] other than -1 and +1). "
            "Draw spins first, e.g. with a coarse-grainer's output='spins'."
        )
    return X


def _rows_by_temperature(y):
    """Sorted distinct temperatures and the rows of each, in their order in X."""
    temperatures, inverse = np.unique(y, return_inverse=True)
    order = np.argsort(inverse, kind="stable")
    bounds = np.searchsorted(inverse[order], np.arange(len(temperatures) + 1))
    groups = []
    for t in range(len(temperatures)):
        rows = order[bounds[t]:bounds[t + 1]]
        if rows[-1] - rows[0] == len(rows) - 1:  # contiguous: a view, not a copy
            rows = slice(int(rows[0]), int(rows[-1]) + 1)
        groups.append(rows)
    return temperatures, groups


# ----------------------------------------------------------- coarse levels


def _prepared(base, lattice_shape, seed):
    """An unfitted clone of ``base`` reading spins, on ``lattice_shape``, seeded."""
    estimator = clone(base)
    params = estimator.get_params(deep=False)
    new = {}
    if "output" in params:
        new["output"] = "spins"
    if "lattice_shape" in params:
        new["lattice_shape"] = lattice_shape
    if "random_state" in params:
        new["random_state"] = int(seed)
    return estimator.set_params(**new)


def _coarse_shape(estimator, level, fine_shape):
    """``coarse_lattice_shape_`` of a fitted level, checked against the protocol."""
    name = type(estimator).__name__
    if not hasattr(estimator, "coarse_lattice_shape_"):
        raise ValueError(
            f"The coarse-grainer of level {level} ({name}) has no coarse_lattice_shape_ "
            "after fit: it does not follow skrg's coarse-grainer protocol, so the "
            "geometry of its output (needed to measure couplings) is unknown."
        )
    shape = estimator.coarse_lattice_shape_
    if shape is None:
        raise ValueError(
            f"The coarse-grainer of level {level} ({name}) has coarse_lattice_shape_=None: "
            f"its units on the lattice {fine_shape} match no coarse lattice, so couplings "
            "cannot be measured. Give it one unit per block (e.g. n_components=None) or "
            "local connectivity."
        )
    shape = tuple(int(s) for s in shape)
    if len(shape) != len(fine_shape) or any(s < 1 for s in shape):
        raise ValueError(
            f"The coarse-grainer of level {level} ({name}) maps the lattice {fine_shape} to "
            f"{shape}, not to a lattice of the same dimension."
        )
    return shape


def _scale_factor(shapes, b=None):
    """The one scale factor ``b`` with ``shapes[n + 1] = shapes[n] / b`` at every level."""
    if b is None:
        b = shapes[0][0] // max(1, shapes[1][0])
    for n in range(len(shapes) - 1):
        if b < 2 or any(side != b * coarse for side, coarse in zip(shapes[n], shapes[n + 1])):
            raise ValueError(
                f"The levels must shrink every side by one scale factor b >= 2 (as MCRG "
                f"needs), but level {n} is {shapes[n]} and level {n + 1} is {shapes[n + 1]}."
            )
    return int(b)


def _orientation(coarse, fine, fine_shape, b):
    """Sign making every coarse spin correlate positively with the spins of its block.

    ``c_j = sum_rows h_j * sum_{i in block j} s_i``; a unit is flipped (sign
    -1) only when ``c_j`` is negative by more than 3 standard errors
    (``3 sqrt(sum_rows (h_j sum_i s_i)^2)``), so an exact rule on a handful of
    rows is never flipped by noise.
    """
    blocks = Lattice(fine_shape).block_map(b)
    total = np.zeros(coarse.shape[1])
    squares = np.zeros(coarse.shape[1])
    step = max(1, (1 << 22) // max(1, fine.shape[1]))
    for start in range(0, len(fine), step):
        rows = slice(start, start + step)
        products = coarse[rows] * fine[rows][:, blocks].sum(axis=2, dtype=np.int64)
        total += products.sum(axis=0)
        squares += (products.astype(np.float64) ** 2).sum(axis=0)
    return np.where(total < -3 * np.sqrt(squares), -1, 1).astype(np.int8)


def _level_spins(estimator, X_fine, level, n_sites):
    """``estimator.transform(X_fine)`` checked to be +-1 spins of the expected width."""
    X = np.asarray(estimator.transform(X_fine))
    try:
        X = check_spins(X, name=f"The output of level {level}")
    except ValueError as exc:
        raise ValueError(
            f"{exc} The coarse-grainer of level {level} ({type(estimator).__name__}) must "
            "give -1/+1 spins when set to output='spins'."
        ) from None
    if X.shape[1] != n_sites:
        raise ValueError(
            f"The coarse-grainer of level {level} gives {X.shape[1]} units, but its "
            f"coarse_lattice_shape_ has {n_sites} sites."
        )
    return X


# -------------------------------------------------------------- couplings


def _temperature_couplings(levels, shapes, operators, n_blocks):
    """Couplings at every level for the rows of one temperature (a joblib job).

    Returns the couplings and their errors with every operator (NaN where the
    pseudo-likelihood Hessian is singular), the nearest-neighbour-only
    coupling and its leave-one-block-out replicates, and the levels where the
    couplings are undetermined.
    """
    n_levels = len(levels)
    K = np.full((n_levels, len(operators)), np.nan)
    K_std = np.full((n_levels, len(operators)), np.nan)
    nn = np.full(n_levels, np.nan)
    nn_replicates = np.full((n_levels, n_blocks), np.nan)
    undetermined = []
    for n, (X, shape) in enumerate(zip(levels, shapes)):
        fits = {}
        for key, ops in (("all", operators), ("nn", ["nn"])):
            if key == "nn" and operators == ["nn"]:
                fits["nn"] = fits["all"]
                continue
            try:
                fits[key] = _couplings(X, shape, ops, _resolve_method("auto", shape, ops),
                                       n_blocks, None)
            except ValueError:  # a singular Hessian: the data do not determine them
                fits[key] = None
        if fits["all"] is None:
            undetermined.append(n)
        else:
            K[n], K_std[n] = fits["all"][0], _jackknife_std(fits["all"][1])
        if fits["nn"] is not None:
            nn[n], nn_replicates[n] = fits["nn"][0][0], fits["nn"][1][:, 0]
    return K, K_std, nn, nn_replicates, undetermined


def _point_couplings(X, shape, operators):
    """Maximum pseudo-likelihood couplings without errors (any number of rows)."""
    table = _code_table(shape, operators)
    codes, counts = _count_site_codes(X, shape, operators, table, None)
    return _newton(2.0 * _decode(codes, *table), counts)


def _crossing(temperatures, d, d_std):
    """Temperature where ``d(T)`` changes sign, interpolated, and its standard error.

    With one sign change between neighbouring grid temperatures this is the
    straight line through those two points; with several (noise near the
    crossing) it is the weighted least-squares line through every point from
    the first change to the last. The error propagates ``d_std`` (independent
    temperatures) through the root of the line.
    """
    ok = np.isfinite(d) & np.isfinite(d_std)
    T, d, s = temperatures[ok], d[ok], d_std[ok]
    if len(T) < 2:
        return np.nan, np.nan
    changes = np.flatnonzero(np.diff(np.sign(d)) != 0)
    if len(changes) == 0:
        return np.nan, np.nan
    span = slice(changes[0], changes[-1] + 2)
    T, d, s = T[span], d[span], s[span]
    centre = T.mean()
    A = np.column_stack([np.ones_like(T), T - centre])
    w = 1.0 / s**2 if (s > 0).all() else np.ones_like(s)
    normal = A.T @ (A * w[:, None])
    try:
        cov = np.linalg.inv(normal)
    except np.linalg.LinAlgError:
        return np.nan, np.nan
    a, slope = cov @ (A.T @ (w * d))
    if slope == 0 or not np.isfinite(slope):
        return np.nan, np.nan
    root = centre - a / slope
    jacobian = np.array([-1.0 / slope, a / slope**2])
    std = math.sqrt(max(float(jacobian @ cov @ jacobian), 0.0))
    if not T[0] <= root <= T[-1]:
        return np.nan, np.nan
    return float(root), std


def _exponents_at(result, level):
    """The ``exponents_`` dict from an :func:`mcrg_exponents` Bunch at one level pair."""
    out = {}
    for key, table in (("y_t", "y_t"), ("nu", "nu"), ("y_h", "y_h")):
        values, errors = result[f"{table}_by_level"], result[f"{table}_std_by_level"]
        has = values.shape[1] > 0
        out[key] = float(values[level - 1, -1]) if has else np.nan
        out[f"{key}_std"] = float(errors[level - 1, -1]) if has else np.nan
    return {key: out[key] for key in ("y_t", "nu", "y_h", "y_t_std", "nu_std", "y_h_std")}


# ---------------------------------------------------------------- estimator


class CouplingFlowAnalyzer(TransformerMixin, BaseEstimator):
    """Effective couplings, RG flow, fixed point and critical exponents of a coarse-graining.

    The analyzer applies a coarse-grainer (exact or learned) ``n_levels``
    times to configurations ``X`` sampled at the temperatures ``y`` and
    measures, at every temperature and level, the couplings ``K_a`` of the
    coarse Hamiltonian ``H = -sum_a K_a S_a`` (maximum pseudo-likelihood,
    :func:`skrg.analysis.estimate_couplings`, with jackknife errors). Level 0
    is the input lattice, so on equilibrium Ising data ``K_nn = 1/T`` there.
    From these it derives:

    - the flow projected on the nearest-neighbour direction, ``flow_``: the
      coupling of a nearest-neighbour-only fit at every level;
    - the critical temperature ``critical_temperature_``, where the
      nearest-neighbour-only couplings of levels 1 and 2 coincide (below
      ``T_c`` the flow runs to order and ``K^(2) > K^(1)``, above it to
      disorder), interpolated across the temperature grid;
    - the critical exponents by Swendsen's MCRG
      (:func:`skrg.analysis.mcrg_exponents`) on the rows at the temperature
      nearest the fixed point.

    Parameters
    ----------
    coarse_grainer : estimator or None, default=None
        A coarse-grainer following skrg's protocol (``fit``, ``transform``,
        ``coarse_lattice_shape_``; e.g. :class:`skrg.BlockSpinRG`,
        :class:`skrg.BernoulliRBM`, :class:`skrg.BernoulliRBMStack`,
        :class:`skrg.IsingAutoencoder`). None means ``BlockSpinRG()`` (majority
        rule, ``b = 2``). It is cloned, never modified, and the clone always
        reads ``output="spins"``; its ``lattice_shape`` is set to the lattice of
        its level and its ``random_state`` to a seed derived from this
        estimator's ``random_state`` (as scikit-learn's ensembles do). A
        ``BlockSpinRG`` with ``n_steps=k`` is one level per application, a
        scale factor ``block_size**k``.
    n_levels : int, default=3
        Number of coarse-graining levels after the input lattice.
    operators : None, str or sequence of str, default=None
        Operator names (:func:`skrg.analysis.operator_names`), kept in order;
        both sectors may be given (even operators give ``y_t``, odd ones
        ``y_h``). None means every operator of the lattice's dimension that
        fits the coarsest level, in default order (``"nn"`` first).
    exponent_level : int or None, default=None
        Level ``n`` of the MCRG pair ``n - 1 -> n`` reported in
        ``exponents_``, from 1 to ``n_levels``; None means the deepest.
    min_coarse_size : int, default=8
        Smallest side allowed at any level; a deeper level is an error.
    refit_each_level : bool, default=False
        How the levels are made from the coarse-grainer. False: it is fitted
        once, on all rows of ``X`` pooled over temperatures, and then frozen
        (a fixed RG kernel; refitting per temperature would compare different
        transformations): the levels are the layers of a stack
        (:class:`skrg.BernoulliRBMStack`, its first ``n_levels`` layers), or
        the fitted coarse-grainer moved to every coarser lattice with
        ``for_lattice`` (local models only). True: a clone is fitted at each
        level on the pooled output of the level below (the check of Gong &
        Xia; not for stacks).
    fix_gauge : bool, default=True
        Orient every coarse spin so that it correlates positively with the
        spins of its block on the level below (measured once, at fit, on all
        rows pooled; ``orientations_``; a unit is flipped only when its
        correlation is negative by more than 3 standard errors). The sign of a learned unit is
        arbitrary (flipping a hidden unit with its weights leaves an RBM
        unchanged), and a local RBM picks it unit by unit: without this, its
        coarse lattice is a Mattis spin glass whose translation-invariant
        couplings vanish. Exact rules are positively oriented already
        (majority, decimation and average give all +1). A stack's next layer
        still reads the raw spins it was trained on.
    lattice_shape : None, int or tuple of int, default=None
        Shape of the input lattice. None means a square 2D lattice; a chain or
        a cubic lattice must be given.
    n_jackknife_blocks : int, default=20
        Contiguous blocks of the rows of one temperature (in their order in
        ``X``, which should be sampling order) for every jackknife error; each
        temperature needs at least this many rows.
    n_jobs : int, default=None
        Temperatures analysed in parallel with joblib. None means 1 unless in
        a :func:`joblib.parallel_config` context; -1 all cores. Results do not
        depend on it.
    random_state : int, RandomState instance or None, default=None
        Seeds the coarse-grainers (their training and their counter-based
        spins), one seed per level: the results are a function of it alone.

    Attributes
    ----------
    temperatures_ : ndarray of shape (n_temperatures,)
        The distinct temperatures of ``y``, sorted.
    n_samples_by_temperature_ : ndarray of shape (n_temperatures,)
        Rows of ``X`` at each temperature.
    lattice_shapes_ : tuple of tuple of int
        The lattice of every level, ``n_levels + 1`` shapes from the input.
    block_size_ : int
        Scale factor ``b`` of one level.
    operators_ : list of str
        The operators measured.
    coarse_grainers_ : list of estimators
        The fitted coarse-grainer of every level (``coarse_grainers_[n]`` maps
        level ``n`` to level ``n + 1``).
    orientations_ : list of ndarray of int8
        The sign applied to every coarse spin of each level 1 to ``n_levels``
        (all +1 with ``fix_gauge=False``).
    couplings_ : ndarray of shape (n_temperatures, n_levels + 1, n_operators)
        Couplings with every operator of ``operators_`` (extensive operators:
        each bond or plaquette counted once). NaN where the data do not
        determine them (a singular pseudo-likelihood Hessian, e.g. a perfectly
        ordered coarse lattice; a warning says where).
    couplings_std_ : ndarray of shape (n_temperatures, n_levels + 1, n_operators)
        Jackknife standard errors of ``couplings_``.
    flow_ : ndarray of shape (n_temperatures, n_levels + 1)
        The flow projected on the nearest-neighbour direction: the coupling of
        a nearest-neighbour-only fit at every level (in 1D the exact inversion
        of the finite chain's correlation, elsewhere pseudo-likelihood).
    flow_std_ : ndarray of shape (n_temperatures, n_levels + 1)
        Jackknife standard errors of ``flow_``.
    critical_temperature_ : float
        Temperature where ``flow_[:, 1]`` and ``flow_[:, 2]`` cross, linearly
        interpolated between the grid temperatures where their difference
        changes sign (a weighted least-squares line through the points from the
        first to the last change when noise makes several). NaN in 1D (no
        finite fixed point), with fewer than two temperatures or levels, or
        when the difference does not change sign on the grid.
    critical_temperature_std_ : float
        Its standard error (the jackknife errors of the difference, propagated).
    exponent_temperature_ : float
        Temperature of the rows used for the exponents: the grid temperature
        nearest ``critical_temperature_``; when that is NaN, the temperature
        where ``flow_`` changes least between the last two levels (the one
        given, if only one).
    exponents_by_level_ : :class:`sklearn.utils.Bunch`
        The result of :func:`skrg.analysis.mcrg_exponents` on every level at
        ``exponent_temperature_``: estimates per level pair and per number of
        operators, with errors.
    exponents_ : dict
        ``"y_t"``, ``"nu"``, ``"y_h"`` and their errors ``"y_t_std"``,
        ``"nu_std"``, ``"y_h_std"`` (floats) at the pair
        ``exponent_level - 1 -> exponent_level`` with every operator of each
        sector; NaN for a sector without operators.
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Only when ``X`` had string column names.

    See Also
    --------
    skrg.analysis.estimate_couplings : The couplings of one set of configurations.
    skrg.analysis.mcrg_exponents : Exponents from levels of one ensemble.
    skrg.analysis.matching_critical_temperature : Swendsen's matching of two lattice sizes.
    coupling_locality_score : The score of this estimator.

    Notes
    -----
    :meth:`transform` gives per-site operator values (``S_a / n_sites`` of every
    level), bounded and comparable across levels and lattice sizes;
    ``couplings_`` belong to the extensive operators.

    ``critical_temperature_std_`` is statistical only. The crossing of levels
    1 and 2 also carries a finite-size bias and, on a coarse grid, the bias of
    linear interpolation (measured on L = 64 with six temperatures 3% apart:
    -0.1% to -0.5% of Onsager's ``T_c``); refine the grid around a first
    estimate. The exponents use the grid temperature nearest the crossing, so
    for precise exponents sample at ``T_c`` itself (a single temperature).

    The default ``None`` operators of a 2D lattice are 11 (7 even, 4 odd); the
    pseudo-likelihood of the input level costs most (about 1 s per 4 x 10^6
    spins with 11 operators). Far below ``T_c`` deep levels may be perfectly
    ordered and their couplings undetermined (NaN); the flow still shows the
    direction.

    With ``fix_gauge=True``, an exact rule is unchanged, and a local RBM,
    whose units pick their signs one by one, is read in the gauge where it
    acts as a block spin: refitted level by level on the 1D chain at
    ``K = 1`` it then follows ``tanh K' = tanh^2 K`` within errors, where the
    raw units give ``K' ~ 0``.

    Examples
    --------
    >>> from skrg import CouplingFlowAnalyzer, make_ising
    >>> X, y = make_ising(100, (16, 16), [2.0, 2.3, 2.6], random_state=0)
    >>> flow = CouplingFlowAnalyzer(n_levels=1, operators=["nn", "nnn", "m"],
    ...                             n_jackknife_blocks=10, random_state=0).fit(X, y)
    >>> flow.couplings_.shape, flow.lattice_shapes_
    ((3, 2, 3), ((16, 16), (8, 8)))
    >>> bool(abs(flow.couplings_[0, 0, 0] - 1 / 2.0) < 4 * flow.couplings_std_[0, 0, 0])
    True
    >>> flow.transform(X[:2]).shape, flow.get_feature_names_out()[:2].tolist()
    ((2, 6), ['level0_nn', 'level0_nnn'])
    >>> sorted(flow.exponents_)
    ['nu', 'nu_std', 'y_h', 'y_h_std', 'y_t', 'y_t_std']
    """

    _parameter_constraints = {
        "coarse_grainer": [None, HasMethods(["fit", "transform"])],
        "n_levels": [Interval(numbers.Integral, 1, None, closed="left")],
        "operators": [None, str, "array-like"],
        "exponent_level": [None, Interval(numbers.Integral, 1, None, closed="left")],
        "min_coarse_size": [Interval(numbers.Integral, 1, None, closed="left")],
        "refit_each_level": ["boolean"],
        "fix_gauge": ["boolean"],
        "lattice_shape": [None, "array-like", Interval(numbers.Integral, 1, None, closed="left")],
        "n_jackknife_blocks": [Interval(numbers.Integral, 2, None, closed="left")],
        "n_jobs": [None, numbers.Integral],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        coarse_grainer=None,
        *,
        n_levels=3,
        operators=None,
        exponent_level=None,
        min_coarse_size=8,
        refit_each_level=False,
        fix_gauge=True,
        lattice_shape=None,
        n_jackknife_blocks=20,
        n_jobs=None,
        random_state=None,
    ):
        self.coarse_grainer = coarse_grainer
        self.n_levels = n_levels
        self.operators = operators
        self.exponent_level = exponent_level
        self.min_coarse_size = min_coarse_size
        self.refit_each_level = refit_each_level
        self.fix_gauge = fix_gauge
        self.lattice_shape = lattice_shape
        self.n_jackknife_blocks = n_jackknife_blocks
        self.n_jobs = n_jobs
        self.random_state = random_state

    # ------------------------------------------------------------ validation

    def _validate_X(self, X, reset):
        X = validate_spin_data(self, X, reset=reset)
        if reset:
            shape = resolve_lattice_shape(self.lattice_shape, X.shape[1])
        else:
            shape = self.lattice_shapes_[0]
        return _hard_spins(X), shape

    def _check_shape(self, level, shape, shapes_so_far, b):
        if min(shape) < self.min_coarse_size:
            raise ValueError(
                f"Level {level} of the analysis has the lattice {shape}, smaller than "
                f"min_coarse_size={self.min_coarse_size} sites a side (the input lattice "
                f"{shapes_so_far[0]} shrinks by b={b} per level, n_levels={self.n_levels}). "
                "Use fewer levels, a larger lattice or a smaller min_coarse_size."
            )

    def _resolve_operators(self, shapes):
        """The operators, checked on every level (None: all that fit the coarsest)."""
        operators = self.operators
        if operators is None:
            coarsest = min(min(shape) for shape in shapes)
            ndim = len(shapes[0])
            operators = [op for op in operator_names(ndim) if coarsest >= 2 * OPERATORS[op].reach(ndim)]
            if not operators:
                operators = ["nn"]  # fails below with a message naming the level
        for n, shape in enumerate(shapes):
            operators = check_operators(operators, shape,
                                        name=f"operators (at level {n}, lattice {shape})")
        return operators

    # --------------------------------------------------------------- levels

    def _fit_levels(self, X, shape):
        """Fit the coarse-grainer(s); return them, the lattices, the (oriented)
        spins of every level and the orientation of every coarse level.

        The shapes of the deeper levels are predicted from the first level's
        scale factor (or a stack's layers) and checked (``min_coarse_size``,
        operator reach) before any deeper level is fitted.
        """
        base = BlockSpinRG() if self.coarse_grainer is None else self.coarse_grainer
        seeds = spawn_seeds(self.random_state, self.n_levels)
        first = _prepared(base, shape, seeds[0]).fit(X)
        stack = hasattr(first, "layers_")
        if stack:
            if self.refit_each_level:
                raise ValueError(
                    f"refit_each_level=True does not apply to a stack ({type(first).__name__}): "
                    "its layers are already fitted level by level. Use refit_each_level=False."
                )
            if len(first.layers_) < self.n_levels:
                raise ValueError(
                    f"n_levels={self.n_levels} but the coarse_grainer "
                    f"{type(first).__name__} has {len(first.layers_)} layers, one level "
                    "each; use n_levels at most the number of layers."
                )
            estimators = list(first.layers_[: self.n_levels])
        else:
            estimators = [first]
        b = _scale_factor([shape, _coarse_shape(estimators[0], 1, shape)])
        predicted = [shape]
        for n in range(1, self.n_levels + 1):
            if stack:
                predicted.append(_coarse_shape(estimators[n - 1], n, predicted[-1]))
            else:
                predicted.append(tuple(side // b for side in predicted[-1]))
            self._check_shape(n, predicted[-1], predicted, b)
        self._resolve_operators(predicted)
        if not stack and not self.refit_each_level and self.n_levels > 1 \
                and not hasattr(first, "for_lattice"):
            raise ValueError(
                f"The coarse_grainer {type(first).__name__} has no for_lattice (it is not "
                "local by construction), so the one fitted kernel cannot be applied again on "
                "the coarser lattice. Use a local model, a stack, or refit_each_level=True."
            )

        shapes, levels, orientations = [shape], [X], []
        raw = X
        for n in range(1, self.n_levels + 1):
            fine = shapes[-1]
            # A stack's layers were trained on the raw spins of the layer below; a
            # kernel moved with for_lattice or refitted reads oriented (physical) spins.
            source = raw if stack else levels[-1]
            if n == 1 or stack:
                estimator = estimators[n - 1]
            elif self.refit_each_level:
                estimator = _prepared(base, fine, seeds[n - 1]).fit(source)
                estimators.append(estimator)
            else:
                estimator = first.for_lattice(fine)
                estimators.append(estimator)
            shapes.append(_coarse_shape(estimator, n, fine))
            _scale_factor(shapes[-2:], b)
            self._check_shape(n, shapes[-1], shapes, b)
            raw = _level_spins(estimator, source, n, math.prod(shapes[-1]))
            if self.fix_gauge:
                orientations.append(_orientation(raw, levels[-1], fine, b))
            else:
                orientations.append(np.ones(raw.shape[1], dtype=np.int8))
            levels.append(raw * orientations[-1])
        return estimators, tuple(shapes), levels, orientations, stack, b

    def _coarse_levels(self, X):
        """The (oriented) spins of every level of validated configurations ``X``."""
        levels, raw = [X], X
        for n, (estimator, shape, sign) in enumerate(
            zip(self.coarse_grainers_, self.lattice_shapes_[1:], self.orientations_), start=1
        ):
            source = raw if self._stack else levels[-1]
            raw = _level_spins(estimator, source, n, math.prod(shape))
            levels.append(raw * sign)
        return levels

    # ------------------------------------------------------------------ fit

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y=None):
        """Coarse-grain level after level and measure couplings, flow and exponents.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_sites)
            Spins exactly -1 or +1, rows of each temperature in sampling order.
        y : array-like of shape (n_samples,)
            The temperature each row was sampled at (required: None raises a
            ValueError).

        Returns
        -------
        self : CouplingFlowAnalyzer

        Raises
        ------
        ValueError
            If ``y`` is missing or not positive temperatures; on values other
            than -1 and +1; a level smaller than ``min_coarse_size`` or than
            twice an operator's reach; an unknown operator; a temperature with
            fewer rows than ``n_jackknife_blocks``; a coarse-grainer without
            ``coarse_lattice_shape_`` (or with None), without ``for_lattice``
            when it must be applied again, or whose levels do not shrink by one
            scale factor.
        """
        if y is None:
            raise ValueError(
                f"{type(self).__name__} requires y to be passed, but the target y is None: "
                "y must hold the temperature each row of X was sampled at."
            )
        X, shape = self._validate_X(X, reset=True)
        y = _check_temperatures(y, len(X))
        temperatures, groups = _rows_by_temperature(y)
        n_blocks = self.n_jackknife_blocks
        counts = np.bincount(np.searchsorted(temperatures, y), minlength=len(temperatures))
        if counts.min() < n_blocks:
            t = int(np.argmin(counts))
            raise ValueError(
                f"Temperature {temperatures[t]:g} has {counts[t]} rows, fewer than "
                f"n_jackknife_blocks={n_blocks}: the jackknife needs at least one row per "
                "block at every temperature. Pass more samples or a smaller "
                "n_jackknife_blocks (at least 2)."
            )
        exponent_level = self.n_levels if self.exponent_level is None else self.exponent_level
        if exponent_level > self.n_levels:
            raise ValueError(
                f"exponent_level={self.exponent_level} must be at most n_levels={self.n_levels}."
            )

        estimators, shapes, levels, orientations, stack, b = self._fit_levels(X, shape)
        operators = self._resolve_operators(shapes)

        jobs = Parallel(n_jobs=self.n_jobs)(
            delayed(_temperature_couplings)([L[rows] for L in levels], shapes, operators,
                                            n_blocks)
            for rows in groups
        )
        K, K_std, nn, nn_replicates, undetermined = zip(*jobs)
        missing = [f"T={temperatures[t]:g} level {n}" for t, levels_t in enumerate(undetermined)
                   for n in levels_t]
        if missing:
            warnings.warn(
                f"The couplings are undetermined (singular pseudo-likelihood Hessian) at "
                f"{', '.join(missing)}; couplings_ holds NaN there. This happens on perfectly "
                "ordered coarse lattices far below T_c, or with too few samples; use fewer "
                "operators or more samples.",
                UserWarning,
                stacklevel=2,
            )

        self.temperatures_ = temperatures
        self.n_samples_by_temperature_ = counts
        self.lattice_shapes_ = shapes
        self.block_size_ = b
        self.operators_ = list(operators)
        self.coarse_grainers_ = estimators
        self.orientations_ = orientations
        self._stack = stack
        self.couplings_ = np.stack(K)
        self.couplings_std_ = np.stack(K_std)
        self.flow_ = np.stack(nn)
        nn_replicates = np.stack(nn_replicates)  # (n_temperatures, n_levels + 1, n_blocks)
        self.flow_std_ = _jackknife_std(np.moveaxis(nn_replicates, 2, 0))

        self.critical_temperature_, self.critical_temperature_std_ = np.nan, np.nan
        if len(shape) > 1 and len(temperatures) > 1 and self.n_levels >= 2:
            d = self.flow_[:, 1] - self.flow_[:, 2]
            with np.errstate(invalid="ignore"):
                d_std = _jackknife_std(np.moveaxis(nn_replicates[:, 1] - nn_replicates[:, 2],
                                                   1, 0))
            self.critical_temperature_, self.critical_temperature_std_ = _crossing(
                temperatures, d, d_std
            )

        if np.isfinite(self.critical_temperature_):
            t = int(np.argmin(np.abs(temperatures - self.critical_temperature_)))
        else:
            with np.errstate(invalid="ignore"):  # inf - inf: ordered data, K_nn = inf
                change = np.abs(self.flow_[:, -1] - self.flow_[:, -2])
            t = int(np.nanargmin(change)) if np.isfinite(change).any() else 0
        self.exponent_temperature_ = float(temperatures[t])
        rows = groups[t]
        self.exponents_by_level_ = mcrg_exponents(
            [L[rows] for L in levels], list(shapes), b, operators, n_jackknife_blocks=n_blocks
        )
        self.exponents_ = _exponents_at(self.exponents_by_level_, exponent_level)
        return self

    # ------------------------------------------------------------ transform

    def transform(self, X):
        """Per-site operator values of every configuration at every level.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_sites)
            Spins exactly -1 or +1.

        Returns
        -------
        features : ndarray of shape (n_samples, (n_levels + 1) * n_operators)
            ``S_a / n_sites`` of level ``n`` in column ``n * n_operators + a``
            (float64; names from :meth:`get_feature_names_out`). The coarse
            spins are the fitted coarse-grainers' counter-based draws, so a
            row's features do not depend on the other rows.
        """
        check_is_fitted(self)
        X, _ = self._validate_X(X, reset=False)
        levels = self._coarse_levels(X)
        return np.hstack([
            _operator_sums(L, shape, self.operators_) / L.shape[1]
            for L, shape in zip(levels, self.lattice_shapes_)
        ])

    def get_feature_names_out(self, input_features=None):
        """Names of the features of :meth:`transform`: ``"level{n}_{operator}"``.

        Parameters
        ----------
        input_features : array-like of str or None, default=None
            Only checked against ``feature_names_in_``; the output names do not
            depend on it.

        Returns
        -------
        names : ndarray of str objects
        """
        check_is_fitted(self)
        _check_feature_names_in(self, input_features)
        return np.asarray(
            [f"level{n}_{op}" for n in range(len(self.lattice_shapes_)) for op in self.operators_],
            dtype=object,
        )

    def score(self, X, y=None):
        """Locality of the coarse Hamiltonians: :func:`coupling_locality_score`.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_sites)
            Spins exactly -1 or +1.
        y : array-like of shape (n_samples,) or None, default=None
            Temperature of each row; None means all rows share one.

        Returns
        -------
        score : float
            In [0, 1], higher when the coarse configurations are better
            described by nearest-neighbour couplings alone.
        """
        return coupling_locality_score(self, X, y)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.required = True
        return tags


def _one_coarse_level(coarse_grainer, X):
    """One coarse level of a fitted coarse-grainer (spins), its shape and the operators that fit."""
    check_is_fitted(coarse_grainer)
    name = type(coarse_grainer).__name__
    shape = getattr(coarse_grainer, "coarse_lattice_shape_", None)
    if shape is None:
        raise ValueError(
            f"coupling_locality_score fits couplings on the coarse lattice, but {name} has "
            "no coarse_lattice_shape_ (its units match no lattice)."
        )
    shape = tuple(shape)
    X = check_spins(X)
    if "output" in coarse_grainer.get_params(deep=False):
        # A shallow copy: the caller's estimator keeps its own output.
        coarse_grainer = copy.copy(coarse_grainer).set_params(output="spins")
    coarse = coarse_grainer.transform(X)
    coarse = _hard_spins(check_spins(coarse, allow_soft=True, name=f"The transform of {name}"),
                         f"The transform of {name}")
    operators = [op for op in operator_names(len(shape), "even")
                 if 2 * OPERATORS[op].reach(len(shape)) <= min(shape)]
    return [coarse], [shape], operators


def coupling_locality_score(estimator, X, y=None):
    """Share of the coarse couplings' squared norm carried by the nearest neighbours.

    The configurations ``X`` are coarse-grained by the fitted levels of
    ``estimator``; at every level ``n >= 1`` and every temperature of ``y``
    the couplings ``K`` of the operators ``estimator.operators_`` are fitted by
    maximum pseudo-likelihood, and the score is the mean over levels and
    temperatures of ``K_nn**2 / sum_a K_a**2``. It is 1 when a
    nearest-neighbour Hamiltonian describes the coarse configurations
    exactly, and falls toward ``1 / n_operators`` when the couplings are
    spread over longer-range and multi-spin operators (or are pure noise, as
    for a coarse-graining that destroys the correlations); a level whose
    couplings are all exactly zero counts 0. Level 0, the input lattice, is
    not the coarse-grainer's doing and is left out. With ``operators_ ==
    ["nn"]`` the score is 1 (a check of nothing).

    A scorer with the signature ``scorer(estimator, X, y=None)``, usable as
    ``GridSearchCV(..., scoring=coupling_locality_score)``.

    Parameters
    ----------
    estimator : CouplingFlowAnalyzer or fitted coarse-grainer
        A fitted analyzer, with ``"nn"`` among its operators; or any fitted
        coarse-grainer with a ``coarse_lattice_shape_``, scored on its one
        coarse level with every even operator that fits that lattice (so the
        same scorer ranks coarse-grainers in ``GridSearchCV``).
    X : array-like of shape (n_samples, n_sites)
        Spins exactly -1 or +1.
    y : array-like of shape (n_samples,) or None, default=None
        Temperature of each row; None means all rows share one temperature
        (rows of different temperatures must not be pooled: their mixture is
        not a Gibbs distribution).

    Returns
    -------
    score : float
        In [0, 1], higher is better.

    Raises
    ------
    ValueError
        If ``"nn"`` is not an operator of ``estimator``, on bad ``X`` or ``y``,
        or when the data determine the couplings nowhere (a singular Hessian
        at every level and temperature; where only some are, they are left
        out with a warning).

    Examples
    --------
    >>> from skrg import CouplingFlowAnalyzer, make_ising
    >>> from skrg.analysis import coupling_locality_score
    >>> X, y = make_ising(100, (16, 16), [2.3, 2.6], random_state=0)
    >>> flow = CouplingFlowAnalyzer(n_levels=1, operators=["nn", "nnn", "plaquette"],
    ...                             n_jackknife_blocks=10, random_state=0).fit(X, y)
    >>> score = coupling_locality_score(flow, X, y)
    >>> bool(0.5 < score <= 1.0), score == flow.score(X, y)
    (True, True)
    """
    if isinstance(estimator, CouplingFlowAnalyzer):
        check_is_fitted(estimator)
        if "nn" not in estimator.operators_:
            raise ValueError(
                f"coupling_locality_score needs 'nn' among the operators, got "
                f"operators_={estimator.operators_}."
            )
        X, _ = estimator._validate_X(X, reset=False)
        levels = estimator._coarse_levels(X)[1:]
        shapes, operators = estimator.lattice_shapes_[1:], estimator.operators_
    else:
        levels, shapes, operators = _one_coarse_level(estimator, X)
    groups = ([slice(0, len(levels[0]))] if y is None
              else _rows_by_temperature(_check_temperatures(y, len(levels[0])))[1])
    nn = operators.index("nn")
    shares = []
    for rows in groups:
        for L, shape in zip(levels, shapes):
            try:
                K = _point_couplings(L[rows], shape, operators)
            except ValueError:  # a singular Hessian: the couplings are undetermined
                shares.append(np.nan)
                continue
            norm = float(K @ K)
            shares.append(K[nn] ** 2 / norm if norm > 0 else 0.0)
    shares = np.array(shares)
    if np.isnan(shares).all():
        raise ValueError(
            "coupling_locality_score: the couplings are undetermined (singular "
            "pseudo-likelihood Hessian) at every level and temperature of these data; "
            "use more (and more varied) samples or fewer operators."
        )
    if np.isnan(shares).any():
        warnings.warn(
            f"coupling_locality_score: the couplings are undetermined at "
            f"{int(np.isnan(shares).sum())} of {len(shares)} (temperature, level) pairs, "
            "left out of the mean.",
            UserWarning,
            stacklevel=2,
        )
    return float(np.nanmean(shares))
