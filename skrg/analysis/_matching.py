"""Swendsen's matching: the critical temperature from two lattice sizes.

Coarse-grain a lattice of side ``L`` ``n`` times and a lattice of side
``L / b`` ``n - 1`` times: both end on the same lattice of side ``L / b^n``.
At the critical point both ensembles sit at the fixed point, so every
short-range correlation of the two coarse lattices agrees (up to irrelevant
corrections, which the extra level shrinks); below ``T_c`` the larger lattice,
one RG step further along the flow, is more ordered, above it less. The
temperature where the two correlations cross is ``T_c``, with the finite size
the same on both sides of the comparison (Swendsen, PRL 52, 1165 (1984)).
"""

import math
import numbers

import numpy as np
from sklearn.utils import Bunch

from ..lattice import resolve_lattice_shape
from ..rg import BlockSpinRG
from ..utils import check_spins, spawn_seeds
from ._couplings import _block_bounds, _check_n_blocks, _jackknife_std, _mean_and_replicates
from ._flow import (
    _check_temperatures,
    _coarse_shape,
    _crossing,
    _level_spins,
    _orientation,
    _prepared,
    _scale_factor,
)
from ._operators import _operator_sums

__all__ = ["matching_critical_temperature"]


def _levels_of(fitted, X, shape, n_levels, what, fix_gauge):
    """Apply a fitted coarse-grainer ``n_levels`` times: a stack's layers, or
    the fitted model moved to each coarser lattice with ``for_lattice``; with
    ``fix_gauge`` every coarse spin is oriented with its block, as
    :class:`CouplingFlowAnalyzer` does. Returns the last level and its shape."""
    stack = hasattr(fitted, "layers_")
    if stack and len(fitted.layers_) < n_levels:
        raise ValueError(
            f"{what} needs {n_levels} levels but the coarse_grainer "
            f"{type(fitted).__name__} has {len(fitted.layers_)} layers."
        )
    shapes, estimator, raw, oriented = [shape], fitted, X, X
    for n in range(1, n_levels + 1):
        if stack:
            estimator = fitted.layers_[n - 1]
        elif n > 1:
            estimator = _for_lattice(fitted, shapes[-1])
        shapes.append(_coarse_shape(estimator, n, shapes[-1]))
        b = _scale_factor(shapes[-2:])
        raw = _level_spins(estimator, raw if stack else oriented, n, math.prod(shapes[-1]))
        sign = _orientation(raw, oriented, shapes[-2], b) if fix_gauge else 1
        oriented = raw * np.int8(sign) if fix_gauge else raw
    return oriented, shapes[-1]


def _for_lattice(fitted, shape):
    if not hasattr(fitted, "for_lattice"):
        raise ValueError(
            f"The coarse_grainer {type(fitted).__name__} has no for_lattice (it is not local "
            "by construction): matching needs the same kernel on both lattices and at every "
            "level. Use a local model or BlockSpinRG."
        )
    return fitted.for_lattice(shape)


def _nn_correlation(X, shape, rows, n_blocks):
    """Mean nearest-neighbour correlation per bond ``S_nn / (n_sites * ndim)`` and its
    jackknife standard error over contiguous blocks of ``rows``."""
    values = _operator_sums(X[rows], shape, ["nn"])[:, 0] / (X.shape[1] * len(shape))
    mean, replicates = _mean_and_replicates(values, None, _block_bounds(len(rows), n_blocks))
    return float(mean), float(_jackknife_std(replicates))


def matching_critical_temperature(
    X_large, y_large, X_small, y_small, coarse_grainer=None, *, lattice_shapes=(None, None),
    level=2, fix_gauge=True, n_jackknife_blocks=20, random_state=None, return_curves=False,
):
    """Critical temperature by Swendsen's matching of two lattice sizes.

    Level ``level`` of the large lattice (side ``L``) and level ``level - 1``
    of the small one (side ``L / b``) are lattices of the same size. At every
    temperature common to ``y_large`` and ``y_small`` the nearest-neighbour
    correlation per bond of the two is measured; their difference changes
    sign at ``T_c`` (positive below: the large lattice, one RG step further,
    is more ordered). The crossing is interpolated linearly between the grid
    temperatures where the difference changes sign (a weighted least-squares
    line through the points from the first change to the last, if noise makes
    several), and its error propagates the jackknife errors of the two
    (independent) ensembles.

    Parameters
    ----------
    X_large : array-like of shape (n_samples_large, n_sites_large)
        Spins exactly -1 or +1 on the large lattice, rows of each temperature
        in sampling order.
    y_large : array-like of shape (n_samples_large,)
        Temperature of each row of ``X_large``.
    X_small : array-like of shape (n_samples_small, n_sites_small)
        Spins on the small lattice, the large one divided by the scale factor.
    y_small : array-like of shape (n_samples_small,)
        Temperature of each row of ``X_small``.
    coarse_grainer : estimator or None, default=None
        None means ``BlockSpinRG()`` (majority rule, ``b = 2``). A clone reads
        ``output="spins"``, is seeded from ``random_state`` and fitted once on
        ``X_large`` (all temperatures pooled), then moved to the small lattice
        and to every coarser one with ``for_lattice`` (a stack uses its
        layers): the same frozen kernel on both sides, as matching requires.
    lattice_shapes : tuple of two (None, int or tuple of int), default=(None, None)
        Shapes of the large and the small lattice; None means square 2D.
    level : int, default=2
        Levels applied to the large lattice (``level - 1`` to the small one).
        ``level=1`` compares the once-coarse-grained large lattice with the
        raw small one, whose Hamiltonian is nearest-neighbour only and so far
        from the fixed point: expect a larger bias.
    fix_gauge : bool, default=True
        Orient every coarse spin so that it correlates positively with the
        spins of its block (each lattice on its own data), as
        :class:`CouplingFlowAnalyzer` does: the sign of a learned unit is
        arbitrary.
    n_jackknife_blocks : int, default=20
        Contiguous blocks of the rows of each temperature for the errors.
    random_state : int, RandomState instance or None, default=None
        Seeds the coarse-grainer.
    return_curves : bool, default=False
        Also return the measured curves.

    Returns
    -------
    T_c : float
        The matched critical temperature; NaN in 1D (no finite fixed point) or
        when the difference does not change sign on the grid.
    T_c_std : float
        Its standard error.
    curves : :class:`sklearn.utils.Bunch`, only if ``return_curves``
        ``temperatures`` (the common grid), ``correlation_large``,
        ``correlation_small`` and their errors ``correlation_large_std``,
        ``correlation_small_std`` (arrays), ``coarse_lattice_shape``.

    Raises
    ------
    ValueError
        On values other than -1 and +1, temperatures that are not positive,
        fewer than two common temperatures, a temperature with fewer rows than
        ``n_jackknife_blocks``, a small lattice that is not the large one
        divided by the scale factor, or a coarse-grainer that cannot be moved
        to another lattice (no ``for_lattice``).

    Examples
    --------
    >>> import numpy as np
    >>> from skrg import make_ising
    >>> from skrg.analysis import matching_critical_temperature
    >>> T = 2.269 * np.array([0.9, 1.1])
    >>> X16, y16 = make_ising(100, (16, 16), T, random_state=0)
    >>> X8, y8 = make_ising(100, (8, 8), T, random_state=1)
    >>> T_c, T_c_std = matching_critical_temperature(X16, y16, X8, y8, level=1,
    ...                                              n_jackknife_blocks=10, random_state=0)
    >>> bool(T[0] < T_c < T[1])
    True
    """
    X_large = check_spins(X_large, name="X_large")
    X_small = check_spins(X_small, name="X_small")
    if not isinstance(lattice_shapes, (list, tuple)) or len(lattice_shapes) != 2:
        raise ValueError(
            f"lattice_shapes must give two shapes (large, small), got {lattice_shapes!r}."
        )
    shape_large = resolve_lattice_shape(lattice_shapes[0], X_large.shape[1],
                                        name="lattice_shapes[0]")
    shape_small = resolve_lattice_shape(lattice_shapes[1], X_small.shape[1],
                                        name="lattice_shapes[1]")
    y_large = _check_temperatures(y_large, len(X_large), "y_large")
    y_small = _check_temperatures(y_small, len(X_small), "y_small")
    if isinstance(level, bool) or not isinstance(level, numbers.Integral) or level < 1:
        raise ValueError(f"level must be an integer >= 1, got {level!r}.")
    temperatures = np.intersect1d(y_large, y_small)
    if len(temperatures) < 2:
        raise ValueError(
            f"y_large and y_small must share at least two temperatures to locate a "
            f"crossing, got {len(temperatures)} in common."
        )
    rows_large = [np.flatnonzero(y_large == T) for T in temperatures]
    rows_small = [np.flatnonzero(y_small == T) for T in temperatures]
    for name, rows in (("X_large", rows_large), ("X_small", rows_small)):
        counts = [len(r) for r in rows]
        t = int(np.argmin(counts))
        try:
            n_blocks = _check_n_blocks(n_jackknife_blocks, counts[t])
        except ValueError as exc:
            raise ValueError(f"At temperature {temperatures[t]:g} of {name}: {exc}") from None

    base = BlockSpinRG() if coarse_grainer is None else coarse_grainer
    fitted = _prepared(base, shape_large, spawn_seeds(random_state, 1)[0]).fit(X_large)
    X_L, coarse_L = _levels_of(fitted, X_large, shape_large, level, "The large lattice",
                               fix_gauge)
    if level > 1:
        small = _for_lattice(fitted, shape_small)
        X_S, coarse_S = _levels_of(small, X_small, shape_small, level - 1,
                                   "The small lattice", fix_gauge)
    else:
        X_S, coarse_S = X_small, shape_small
    if coarse_L != coarse_S:
        raise ValueError(
            f"Level {level} of the large lattice {shape_large} is {coarse_L} but level "
            f"{level - 1} of the small lattice {shape_small} is {coarse_S}: the small lattice "
            "must be the large one divided by the coarse-grainer's scale factor."
        )

    large = np.array([_nn_correlation(X_L, coarse_L, r, n_blocks) for r in rows_large])
    small = np.array([_nn_correlation(X_S, coarse_S, r, n_blocks) for r in rows_small])
    if len(shape_large) == 1:
        T_c, T_c_std = np.nan, np.nan
    else:
        T_c, T_c_std = _crossing(temperatures, large[:, 0] - small[:, 0],
                                 np.hypot(large[:, 1], small[:, 1]))
    if not return_curves:
        return T_c, T_c_std
    curves = Bunch(
        temperatures=temperatures, correlation_large=large[:, 0],
        correlation_large_std=large[:, 1], correlation_small=small[:, 0],
        correlation_small_std=small[:, 1], coarse_lattice_shape=coarse_L,
    )
    return T_c, T_c_std, curves
