"""Shared machinery of the displays: the matplotlib check, panel grids, estimator levels.

matplotlib is imported only inside functions, so ``import skrg.plotting``
works without it; drawing without it raises an ImportError that says how to
install it.
"""

import copy
import inspect
import math
import numbers

import numpy as np
from sklearn.utils.validation import check_is_fitted

from ..rg import BlockSpinRG

INSTALL_HINT = 'pip install "skrg[plot]"'


def check_matplotlib_support(caller_name):
    """Return ``matplotlib.pyplot``, or raise an ImportError saying how to install it.

    Parameters
    ----------
    caller_name : str
        What needs matplotlib, named in the message.

    Returns
    -------
    plt : module
        ``matplotlib.pyplot``.

    Raises
    ------
    ImportError
        If matplotlib is not installed.
    """
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise ImportError(
            f"{caller_name} requires matplotlib, an optional dependency of skrg. Install it "
            f"with `{INSTALL_HINT}` (or `pip install matplotlib`)."
        ) from exc
    return plt


def panel_axes(ax, grid, n_panels, caller_name, *, panel_size=(2.0, 2.0), extra_width=0.0):
    """A figure and an array of Axes holding ``n_panels`` panels.

    Panel ``i`` is drawn on ``axes.flat[i]`` (row-major); cells past the last
    panel are turned off.

    Parameters
    ----------
    ax : None, Axes, array-like of Axes, Figure or SubFigure
        None: a new figure with a ``grid`` of Axes. A Figure or SubFigure: a
        ``grid`` of Axes added to it. One Axes: itself when there is one panel,
        else its area divided into a ``grid`` (the Axes is turned off, as
        scikit-learn's PartialDependenceDisplay does). An array of Axes: used
        as given, at least ``n_panels`` of them.
    grid : (int, int)
        Rows and columns of the grid to create.
    n_panels : int
    caller_name : str
    panel_size : (float, float)
        Size in inches of one panel of a new figure.
    extra_width : float
        Inches added to the width of a new figure (a colorbar).

    Returns
    -------
    figure : Figure or SubFigure
    axes : ndarray of Axes, 2D
    """
    plt = check_matplotlib_support(caller_name)
    from matplotlib.axes import Axes
    from matplotlib.figure import FigureBase
    from matplotlib.gridspec import GridSpecFromSubplotSpec

    n_rows, n_cols = grid
    if ax is None:
        figsize = (min(panel_size[0] * n_cols + extra_width, 16.0),
                   min(panel_size[1] * n_rows, 16.0))
        figure, axes = plt.subplots(n_rows, n_cols, squeeze=False, figsize=figsize,
                                    layout="constrained")
    elif isinstance(ax, FigureBase):
        figure, axes = ax, ax.subplots(n_rows, n_cols, squeeze=False)
    elif isinstance(ax, Axes):
        if n_panels == 1:
            return ax.figure, np.array([[ax]], dtype=object)
        spec = ax.get_subplotspec()
        if spec is None:
            raise ValueError(
                f"{caller_name} draws {n_panels} panels, and ax is a single Axes that no "
                f"grid placed, so it cannot be divided; pass an array of {n_panels} Axes, "
                "a Figure or SubFigure, or None."
            )
        ax.set_axis_off()
        figure = ax.figure
        cells = GridSpecFromSubplotSpec(n_rows, n_cols, subplot_spec=spec)
        axes = np.empty((n_rows, n_cols), dtype=object)
        for row in range(n_rows):
            for col in range(n_cols):
                axes[row, col] = figure.add_subplot(cells[row, col])
    else:
        axes = np.asarray(ax, dtype=object)
        if axes.ndim == 1:
            axes = axes.reshape(1, -1)
        if axes.ndim != 2 or not all(isinstance(a, Axes) for a in axes.flat):
            raise TypeError(
                f"ax must be None, a matplotlib Axes, a 1D or 2D array of Axes, or a Figure; "
                f"got {type(ax).__name__}."
            )
        if axes.size < n_panels:
            raise ValueError(
                f"{caller_name} draws {n_panels} panels, but ax holds {axes.size} Axes."
            )
        figure = axes.flat[0].figure
    for extra in axes.flat[n_panels:]:
        extra.set_axis_off()
    return figure, axes


def check_int_list(values, name, low, high):
    """``values`` (an int or a sequence of ints) as a list of ints in [low, high]."""
    scalar = isinstance(values, numbers.Integral) and not isinstance(values, bool)
    items = [values] if scalar else list(np.asarray(values).ravel()) if values is not None else []
    if not items or any(
        isinstance(v, (bool, np.bool_)) or not isinstance(v, numbers.Integral) for v in items
    ):
        raise ValueError(f"{name} must be an int or a non-empty sequence of ints, got {values!r}.")
    bad = [int(v) for v in items if not low <= v <= high]
    if bad:
        raise ValueError(f"{name} must be from {low} to {high}, got {bad[0]}.")
    return [int(v) for v in items]


def grid_for(n_panels, n_cols=None):
    """Rows and columns of a near-square grid (``n_cols`` columns if given)."""
    if n_cols is None:
        n_cols = math.ceil(math.sqrt(n_panels))
    if isinstance(n_cols, bool) or not isinstance(n_cols, numbers.Integral) or n_cols < 1:
        raise ValueError(f"n_cols must be a positive int or None, got {n_cols!r}.")
    n_cols = min(int(n_cols), n_panels)
    return math.ceil(n_panels / n_cols), n_cols


def estimator_name(estimator):
    return type(estimator).__name__


def n_levels_of(estimator):
    """Coarse levels an estimator reaches: a stack's layers, BlockSpinRG's steps, else 1."""
    if isinstance(estimator, BlockSpinRG):
        return int(estimator.n_steps)
    if hasattr(estimator, "layers_") and _accepts_level(estimator.transform):
        return len(estimator.layers_)
    return 1


def _accepts_level(method):
    try:
        return "level" in inspect.signature(method).parameters
    except (TypeError, ValueError):
        return False


def check_level(estimator, level, *, allow_zero=False, name="level"):
    """``level`` checked against the estimator's levels (None means the top)."""
    top = n_levels_of(estimator)
    if level is None:
        return top
    low = 0 if allow_zero else 1
    if isinstance(level, bool) or not isinstance(level, numbers.Integral) or not (
        low <= level <= top
    ):
        raise ValueError(
            f"{name} must be None or an int from {low} to {top} (the levels of this "
            f"{estimator_name(estimator)}), got {level!r}."
        )
    return int(level)


def block_spin_level(estimator, level):
    """A fitted BlockSpinRG doing the first ``level`` steps of ``estimator``, same keys."""
    if level == estimator.n_steps:
        return estimator
    truncated = copy.copy(estimator).set_params(n_steps=level)
    return truncated.for_lattice(estimator.lattice_shape_)


def level_shapes_of(estimator):
    """Lattice shape of every level, from the input to the top."""
    shapes = getattr(estimator, "level_shapes_", None)
    if shapes is None:
        shapes = (getattr(estimator, "lattice_shape_", None),
                  getattr(estimator, "coarse_lattice_shape_", None))
    return tuple(None if s is None else tuple(int(v) for v in s) for s in shapes)


def check_geometry(estimator, shape, level, caller_name):
    """Raise a clear error when a level has no lattice geometry."""
    if shape is None:
        what = "lattice_shape_" if level == 0 else "coarse_lattice_shape_"
        raise ValueError(
            f"{caller_name} needs the lattice of level {level}, but this "
            f"{estimator_name(estimator)} has none ({what} is None): its units match no "
            "lattice. Give it a lattice_shape, one unit per block (e.g. n_components=None) "
            "or local connectivity."
        )
    return shape


def transform_to_level(estimator, X, level):
    """The estimator's output at ``level`` (0 is ``X``); every row is transformed alone."""
    if level == 0:
        return np.asarray(X)
    if isinstance(estimator, BlockSpinRG):
        return block_spin_level(estimator, level).transform(X)
    if n_levels_of(estimator) > 1:
        return estimator.transform(X, level=level)
    return estimator.transform(X)


def receptive_fields_at(estimator, level):
    """Receptive fields of level ``level`` (rows in output order) as float64."""
    if not hasattr(estimator, "receptive_fields"):
        raise TypeError(
            f"{estimator_name(estimator)} has no receptive_fields method; receptive fields "
            "are defined for BlockSpinRG, BernoulliRBM, BernoulliRBMStack and "
            "IsingAutoencoder."
        )
    if isinstance(estimator, BlockSpinRG):
        fields = block_spin_level(estimator, level).receptive_fields()
    elif n_levels_of(estimator) > 1:
        fields = estimator.receptive_fields(level)
    else:
        fields = estimator.receptive_fields()
    return np.asarray(fields, dtype=np.float64)


def fitted(estimator):
    check_is_fitted(estimator)
    return estimator
