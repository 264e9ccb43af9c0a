"""Displays drawn on the lattice: receptive fields, correlator maps, configurations by level."""

import math

import numpy as np

from ..lattice import check_lattice_shape
from ..metrics import hidden_visible_correlation
from ..utils import check_spins
from ._base import (
    check_geometry,
    check_int_list,
    check_level,
    check_matplotlib_support,
    estimator_name,
    fitted,
    grid_for,
    level_shapes_of,
    n_levels_of,
    panel_axes,
    receptive_fields_at,
    transform_to_level,
)

__all__ = ["ConfigurationsDisplay", "CorrelatorMapDisplay", "ReceptiveFieldsDisplay"]


def _shape_text(shape):
    return " x ".join(str(side) for side in shape)


def _check_drawable(shape, what):
    if len(shape) not in (1, 2):
        raise ValueError(
            f"{what} can be drawn on a chain or a square lattice, not on the {len(shape)}D "
            f"lattice {shape}; pass the rows of one 2D slice instead."
        )


class _LatticeMapsDisplay:
    """One map over the fine lattice per coarse unit (base of two displays)."""

    _values_name = "maps"
    _colorbar_label = ""

    def __init__(self, values, lattice_shape, *, units=None, coarse_lattice_shape=None,
                 estimator_name=None):
        setattr(self, self._values_name, values)
        self.lattice_shape = lattice_shape
        self.units = units
        self.coarse_lattice_shape = coarse_lattice_shape
        self.estimator_name = estimator_name

    @classmethod
    def _select_units(cls, values, units):
        if units is None:
            return values, np.arange(len(values))
        units = check_int_list(units, "units", 0, len(values) - 1)
        return values[units], np.asarray(units)

    def _check(self):
        values = np.asarray(getattr(self, self._values_name), dtype=np.float64)
        shape = check_lattice_shape(self.lattice_shape)
        _check_drawable(shape, type(self).__name__)
        if values.ndim != 2 or values.shape[1] != math.prod(shape):
            raise ValueError(
                f"{self._values_name} must have shape (n_units, {math.prod(shape)}) for the "
                f"lattice {shape}, got {values.shape}."
            )
        units = np.arange(len(values)) if self.units is None else np.asarray(self.units)
        if units.shape != (len(values),):
            raise ValueError(
                f"units must give the index of each of the {len(values)} rows of "
                f"{self._values_name}, got shape {units.shape}."
            )
        coarse = self.coarse_lattice_shape
        coarse = None if coarse is None else check_lattice_shape(
            coarse, name="coarse_lattice_shape")
        return values, shape, units, coarse

    def plot(self, *, ax=None, n_cols=None, cmap="RdBu_r", vmax=None, colorbar=True,
             show_blocks=False, titles=None, imshow_kwargs=None):
        """Draw one panel per unit: an image on a 2D lattice, a line on a chain.

        Parameters
        ----------
        ax : None, Axes, array-like of Axes, Figure or SubFigure, default=None
            Where to draw. None makes a new figure. One Axes is divided into the
            grid of panels (and turned off) unless there is one unit. An array
            of Axes (at least one per unit) is filled in row-major order; Axes
            left over are turned off. A Figure or SubFigure gets a new grid.
        n_cols : int, default=None
            Columns of the grid. None places the units on their coarse sites
            when every unit is shown and the coarse lattice is 2D, else a
            near-square grid.
        cmap : str or Colormap, default="RdBu_r"
            Colormap of the images (red positive, blue negative).
        vmax : float, default=None
            The colour scale runs from ``-vmax`` to ``vmax``, the same for every
            panel (the y-range of the lines on a chain). None means the largest
            absolute value shown (1 if all are 0).
        colorbar : bool, default=True
            Add one colorbar for all the images (2D only).
        show_blocks : bool, default=False
            Outline the block of the coarse site of each unit (unit ``a`` sits on
            coarse site ``a`` in C order). Needs ``coarse_lattice_shape`` whose
            sides divide the fine ones.
        titles : bool, default=None
            Title every panel with its unit. None: only when the units are not
            laid out on their coarse sites.
        imshow_kwargs : dict, default=None
            Passed to :meth:`matplotlib.axes.Axes.imshow` (2D) or
            :meth:`matplotlib.axes.Axes.plot` (chains).

        Returns
        -------
        display
            The display, with ``figure_``, ``axes_``, ``ax_``, ``images_``
            (2D) or ``lines_`` (chains) and ``colorbar_``.
        """
        caller = f"{type(self).__name__}.plot"
        check_matplotlib_support(caller)
        values, shape, units, coarse = self._check()
        n_panels = len(values)
        if n_panels == 0:
            raise ValueError(f"There is no unit to draw ({self._values_name} has no rows).")
        on_lattice = (
            n_cols is None and coarse is not None and len(coarse) == 2
            and math.prod(coarse) == n_panels and np.array_equal(units, np.arange(n_panels))
        )
        grid = coarse if on_lattice else grid_for(n_panels, n_cols)
        if titles is None:
            titles = not on_lattice
        blocks = self._blocks(shape, coarse) if show_blocks else None
        if vmax is None:
            vmax = float(np.abs(values).max()) if values.size else 0.0
            vmax = vmax if vmax > 0 else 1.0
        kwargs = dict(imshow_kwargs or {})
        two_d = len(shape) == 2
        figure, axes = panel_axes(ax, grid, n_panels, caller, panel_size=(1.6, 1.6),
                                  extra_width=0.8 if colorbar and two_d else 0.0)
        images = np.full(axes.shape, None, dtype=object)
        lines = np.full(axes.shape, None, dtype=object)
        for index, (panel, field, unit) in enumerate(zip(axes.flat, values, units)):
            if two_d:
                kwargs = {"cmap": cmap, "vmin": -vmax, "vmax": vmax,
                          "interpolation": "nearest", **dict(imshow_kwargs or {})}
                images.flat[index] = panel.imshow(field.reshape(shape), **kwargs)
                panel.set_xticks([])
                panel.set_yticks([])
            else:
                panel.axhline(0.0, color="0.7", lw=0.8)
                lines.flat[index] = panel.plot(np.arange(shape[0]), field,
                                               drawstyle="steps-mid", **kwargs)[0]
                panel.set_ylim(-1.05 * vmax, 1.05 * vmax)
            if blocks is not None:
                self._outline(panel, blocks, int(unit), coarse, two_d)
            if titles:
                panel.set_title(f"unit {unit}", fontsize="small")
        self.colorbar_ = None
        if colorbar and two_d:
            self.colorbar_ = figure.colorbar(images.flat[0], ax=list(axes.flat[:n_panels]),
                                             shrink=0.8, label=self._colorbar_label)
        self.figure_, self.axes_, self.ax_ = figure, axes, axes.flat[0]
        self.images_ = images if two_d else None
        self.lines_ = None if two_d else lines
        return self

    @staticmethod
    def _blocks(shape, coarse):
        if coarse is None or len(coarse) != len(shape) or any(
            s % c for s, c in zip(shape, coarse)
        ):
            raise ValueError(
                f"show_blocks=True needs a coarse lattice whose sides divide those of the "
                f"lattice {shape}, got coarse_lattice_shape={coarse}."
            )
        return tuple(s // c for s, c in zip(shape, coarse))

    @staticmethod
    def _outline(panel, blocks, unit, coarse, two_d):
        from matplotlib.patches import Rectangle

        if unit >= math.prod(coarse):
            return
        site = np.unravel_index(unit, coarse)
        if two_d:
            corner = (blocks[1] * site[1] - 0.5, blocks[0] * site[0] - 0.5)
            panel.add_patch(Rectangle(corner, blocks[1], blocks[0], fill=False, ec="k", lw=1))
        else:
            start = blocks[0] * site[0] - 0.5
            panel.axvspan(start, start + blocks[0], color="0.85", zorder=0)


class ReceptiveFieldsDisplay(_LatticeMapsDisplay):
    """Receptive fields of a coarse-grainer's units, drawn on the fine lattice.

    The receptive field of a coarse unit is the map of its weights over the
    fine sites: an RBM's or autoencoder's weights, a stack's effective fields
    ``R^(l) = W^(l) R^(l-1)`` (Mehta & Schwab), or the exact linear kernel of
    a block-spin rule. Each unit gets a panel: an image on a 2D lattice, a line
    along a chain. Build it with :meth:`from_estimator`; the constructor only
    holds the data.

    Parameters
    ----------
    fields : ndarray of shape (n_units, n_sites)
        The fields shown, one row per panel.
    lattice_shape : tuple of int
        The fine lattice (1D or 2D), ``prod(lattice_shape) == n_sites``.
    units : ndarray of shape (n_units,), default=None
        Index (output position) of each row's unit; None means 0, 1, ...
    coarse_lattice_shape : tuple of int, default=None
        The coarse lattice of the units (unit ``a`` on coarse site ``a``), used
        to lay the units out on their sites and to outline their blocks.
    estimator_name : str, default=None

    Attributes
    ----------
    figure_ : matplotlib Figure or SubFigure
    axes_ : ndarray of matplotlib Axes
        The panels, 2D; panel ``i`` is ``axes_.flat[i]``.
    ax_ : matplotlib Axes
        The first panel, ``axes_.flat[0]``.
    images_ : ndarray of AxesImage or None
        Shaped like ``axes_`` (None past the last panel); None on a chain.
    lines_ : ndarray of Line2D or None
        On a chain, shaped like ``axes_``; None on a 2D lattice.
    colorbar_ : matplotlib Colorbar or None

    See Also
    --------
    CorrelatorMapDisplay : Maps measured on data rather than read from weights.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> from skrg import BlockSpinRG
    >>> from skrg.plotting import ReceptiveFieldsDisplay
    >>> rg = BlockSpinRG(n_steps=2).fit([[1, -1] * 32])   # 8 x 8 -> 4 x 4 -> 2 x 2
    >>> disp = ReceptiveFieldsDisplay.from_estimator(rg, level=1, units=[0, 5])
    >>> disp.fields.shape, disp.axes_.shape
    ((2, 64), (1, 2))
    >>> disp.images_[0, 1].get_array()[2:4, 2:4]
    masked_array(
      data=[[0.375, 0.375],
            [0.375, 0.375]],
      mask=False,
      fill_value=1e+20)
    >>> plt.close("all")
    """

    _values_name = "fields"
    _colorbar_label = "receptive field"

    def __init__(self, fields, lattice_shape, *, units=None, coarse_lattice_shape=None,
                 estimator_name=None):
        super().__init__(fields, lattice_shape, units=units,
                         coarse_lattice_shape=coarse_lattice_shape,
                         estimator_name=estimator_name)

    @classmethod
    def from_estimator(cls, estimator, *, level=None, units=None, ax=None, **plot_kwargs):
        """Draw the receptive fields of a fitted coarse-grainer.

        Parameters
        ----------
        estimator : fitted coarse-grainer
            Anything with ``receptive_fields`` and ``lattice_shape_``:
            :class:`skrg.BlockSpinRG`, :class:`skrg.BernoulliRBM`,
            :class:`skrg.BernoulliRBMStack`, :class:`skrg.IsingAutoencoder`.
        level : int, default=None
            Level of the units, from 1 to the estimator's number of levels (a
            stack's layers, a BlockSpinRG's ``n_steps``; 1 for one layer); None
            means the top. A BlockSpinRG's level ``l`` is the kernel of its
            first ``l`` steps.
        units : int or sequence of int, default=None
            Units to draw (output positions); None means all of the level. A
            layer of hundreds of units takes seconds to draw: pick a few.
        ax : None, Axes, array-like of Axes, Figure or SubFigure, default=None
            See :meth:`plot`.
        **plot_kwargs
            Passed to :meth:`plot`.

        Returns
        -------
        display : ReceptiveFieldsDisplay

        Raises
        ------
        sklearn.exceptions.NotFittedError
            If the estimator is not fitted.
        ValueError
            If the level or a unit is out of range, or the input lattice is
            unknown (``lattice_shape_`` is None) or not 1D or 2D.
        """
        caller = f"{cls.__name__}.from_estimator"
        check_matplotlib_support(caller)
        fitted(estimator)
        level = check_level(estimator, level)
        shapes = level_shapes_of(estimator)
        shape = check_geometry(estimator, shapes[0], 0, caller)
        _check_drawable(shape, cls.__name__)
        coarse = shapes[level] if level < len(shapes) else None
        fields, units = cls._select_units(receptive_fields_at(estimator, level), units)
        display = cls(fields, shape, units=units, coarse_lattice_shape=coarse,
                      estimator_name=estimator_name(estimator))
        return display.plot(ax=ax, **plot_kwargs)


class CorrelatorMapDisplay(_LatticeMapsDisplay):
    """Hidden-visible correlator maps ``C[a, i] = <v_i h_a> - <v_i><h_a>`` on the lattice.

    The map of coarse unit ``a`` shows where on the fine lattice its value is
    correlated with the spins (de Mello Koch et al. 2020), computed by
    :func:`skrg.metrics.hidden_visible_correlation`; for a block rule it is the
    block smeared by the spin-spin correlations. One panel per unit, as in
    :class:`ReceptiveFieldsDisplay`. Build it with :meth:`from_estimator`.

    Parameters
    ----------
    maps : ndarray of shape (n_units, n_sites)
        The maps shown, one row per panel.
    lattice_shape : tuple of int
        The fine lattice (1D or 2D).
    units : ndarray of shape (n_units,), default=None
        Index (output position) of each row's unit; None means 0, 1, ...
    coarse_lattice_shape : tuple of int, default=None
        The coarse lattice of the units, to lay them out on their sites and
        outline their blocks.
    estimator_name : str, default=None

    Attributes
    ----------
    figure_, axes_, ax_, images_, lines_, colorbar_
        As in :class:`ReceptiveFieldsDisplay`.

    Examples
    --------
    >>> import numpy as np
    >>> import matplotlib.pyplot as plt
    >>> from skrg import BlockSpinRG
    >>> from skrg.plotting import CorrelatorMapDisplay
    >>> X = np.random.default_rng(0).choice([-1, 1], size=(20000, 16))
    >>> rg = BlockSpinRG(rule="average", output="mean").fit(X)   # 4 x 4 -> 2 x 2
    >>> disp = CorrelatorMapDisplay.from_estimator(rg, X, show_blocks=True)
    >>> disp.axes_.shape   # the units on their 2 x 2 coarse sites
    (2, 2)
    >>> print(np.round(4 * disp.maps[0].reshape(4, 4), 1) + 0.0)
    [[1. 1. 0. 0.]
     [1. 1. 0. 0.]
     [0. 0. 0. 0.]
     [0. 0. 0. 0.]]
    >>> plt.close("all")
    """

    _values_name = "maps"
    _colorbar_label = "C[a, i]"

    def __init__(self, maps, lattice_shape, *, units=None, coarse_lattice_shape=None,
                 estimator_name=None):
        super().__init__(maps, lattice_shape, units=units,
                         coarse_lattice_shape=coarse_lattice_shape,
                         estimator_name=estimator_name)

    @classmethod
    def from_estimator(cls, estimator, X, *, units=None, ax=None, **plot_kwargs):
        """Measure the correlator maps of a fitted coarse-grainer on ``X`` and draw them.

        Parameters
        ----------
        estimator : fitted coarse-grainer
            Any fitted skrg coarse-grainer; the units are the columns of its
            ``transform`` with ``output="mean"`` (a stack's top layer).
        X : array-like of shape (n_samples, n_sites)
            Configurations (spins or soft spins), at least 2.
        units : int or sequence of int, default=None
            Units to draw (output positions); None means all.
        ax : None, Axes, array-like of Axes, Figure or SubFigure, default=None
            See :meth:`plot`.
        **plot_kwargs
            Passed to :meth:`plot`.

        Returns
        -------
        display : CorrelatorMapDisplay

        Raises
        ------
        sklearn.exceptions.NotFittedError
            If the estimator is not fitted.
        ValueError
            If a unit is out of range, the input lattice is unknown or not 1D or
            2D, or ``X`` is not spins.
        """
        caller = f"{cls.__name__}.from_estimator"
        check_matplotlib_support(caller)
        fitted(estimator)
        shapes = level_shapes_of(estimator)
        shape = check_geometry(estimator, shapes[0], 0, caller)
        _check_drawable(shape, cls.__name__)
        maps, units = cls._select_units(hidden_visible_correlation(estimator, X), units)
        display = cls(maps, shape, units=units, coarse_lattice_shape=shapes[-1],
                      estimator_name=estimator_name(estimator))
        return display.plot(ax=ax, **plot_kwargs)


class ConfigurationsDisplay:
    """Configurations level by level: the fine lattice and each coarse lattice.

    One row of panels per configuration, one column per level, each level on
    its own lattice (an image on a 2D lattice, a strip along a chain; black -1,
    white +1, soft spins in grey). Build it with :meth:`from_estimator` (a
    coarse-grainer applied to ``X``) or :meth:`from_levels` (levels computed
    elsewhere).

    Parameters
    ----------
    configurations : list of ndarray of shape (n_rows, n_sites_of_level)
        One array per level shown, the same rows (configurations) in each.
    lattice_shapes : list of tuple of int
        The lattice of each level (1D or 2D).
    levels : list of int, default=None
        The number of each level, for the titles; None means 0, 1, ...
    samples : list of int, default=None
        The row of the original data of each configuration, for the labels;
        None means 0, 1, ...
    estimator_name : str, default=None

    Attributes
    ----------
    figure_ : matplotlib Figure or SubFigure
    axes_ : ndarray of matplotlib Axes
        The panels: row ``r``, column ``c`` of a new grid is configuration ``r``
        at the ``c``-th level shown; panel ``r * n_levels + c`` is
        ``axes_.flat[r * n_levels + c]`` whatever the grid.
    ax_ : matplotlib Axes
        The first panel.
    images_ : ndarray of AxesImage
        Shaped like ``axes_`` (None past the last panel).

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> from skrg import BlockSpinRG, make_ising
    >>> from skrg.plotting import ConfigurationsDisplay
    >>> X, _ = make_ising(2, (16, 16), 2.27, random_state=0)
    >>> rg = BlockSpinRG(n_steps=2, random_state=0).fit(X)
    >>> disp = ConfigurationsDisplay.from_estimator(rg, X, samples=[0, 1])
    >>> disp.axes_.shape, [c.shape for c in disp.configurations]
    ((2, 3), [(2, 256), (2, 64), (2, 16)])
    >>> bool((disp.configurations[-1] == rg.transform(X)).all())
    True
    >>> plt.close("all")
    """

    def __init__(self, configurations, lattice_shapes, *, levels=None, samples=None,
                 estimator_name=None):
        self.configurations = configurations
        self.lattice_shapes = lattice_shapes
        self.levels = levels
        self.samples = samples
        self.estimator_name = estimator_name

    @classmethod
    def from_estimator(cls, estimator, X, *, samples=0, levels=None, ax=None, **plot_kwargs):
        """Coarse-grain rows of ``X`` with a fitted coarse-grainer and draw every level.

        Level 0 is ``X``; level ``l`` is the estimator's output after ``l``
        steps: a stack's ``transform(X, level=l)``, a BlockSpinRG's first
        ``l`` steps (with the same random keys, so the top level is exactly
        ``transform(X)``), and for one layer level 1 is ``transform(X)``. Only
        the rows drawn are transformed (a skrg coarse-grainer transforms each
        row independently of the others).

        Parameters
        ----------
        estimator : fitted coarse-grainer
            Its levels must have lattice geometry (``level_shapes_``, or
            ``lattice_shape_`` and ``coarse_lattice_shape_``).
        X : array-like of shape (n_samples, n_sites)
            Configurations (spins or soft spins).
        samples : int or sequence of int, default=0
            Rows of ``X`` to draw, one row of panels each.
        levels : int or sequence of int, default=None
            Levels to draw, from 0 (``X``) to the estimator's number of levels;
            None means all.
        ax : None, Axes, array-like of Axes, Figure or SubFigure, default=None
            See :meth:`plot`.
        **plot_kwargs
            Passed to :meth:`plot`.

        Returns
        -------
        display : ConfigurationsDisplay

        Raises
        ------
        sklearn.exceptions.NotFittedError
            If the estimator is not fitted.
        ValueError
            If a sample or level is out of range, a level has no lattice
            geometry (``coarse_lattice_shape_`` is None), or ``X`` is not spins.
        """
        caller = f"{cls.__name__}.from_estimator"
        check_matplotlib_support(caller)
        fitted(estimator)
        X = check_spins(X, allow_soft=True)
        samples = check_int_list(samples, "samples", 0, len(X) - 1)
        top = n_levels_of(estimator)
        levels = list(range(top + 1)) if levels is None else check_int_list(
            levels, "levels", 0, top)
        shapes = level_shapes_of(estimator)
        lattice_shapes = [
            check_geometry(estimator, shapes[level] if level < len(shapes) else None, level,
                           caller)
            for level in levels
        ]
        rows = X[samples]
        configurations = [np.asarray(transform_to_level(estimator, rows, level))
                          for level in levels]
        display = cls(configurations, lattice_shapes, levels=levels, samples=samples,
                      estimator_name=estimator_name(estimator))
        return display.plot(ax=ax, **plot_kwargs)

    @classmethod
    def from_levels(cls, levels, lattice_shapes, *, samples=0, ax=None, **plot_kwargs):
        """Draw configurations given level by level.

        Parameters
        ----------
        levels : list of array-like of shape (n_samples, n_sites_of_level)
            One array per level, row ``r`` of every level the same
            configuration (e.g. the levels of
            :func:`skrg.analysis.mcrg_exponents`).
        lattice_shapes : list of (int or tuple of int)
            The lattice of every level.
        samples : int or sequence of int, default=0
            Rows to draw.
        ax : None, Axes, array-like of Axes, Figure or SubFigure, default=None
            See :meth:`plot`.
        **plot_kwargs
            Passed to :meth:`plot`.

        Returns
        -------
        display : ConfigurationsDisplay

        Raises
        ------
        TypeError
            If ``levels`` or ``lattice_shapes`` is not a list.
        ValueError
            If there is no level, a shape per level is missing or does not match
            its array, the levels hold different rows, a level is not spins in
            [-1, 1], or ``samples`` names rows that do not exist.

        Examples
        --------
        >>> import numpy as np
        >>> import matplotlib.pyplot as plt
        >>> from skrg.plotting import ConfigurationsDisplay
        >>> chain = np.array([[1, 1, -1, -1, 1, 1, 1, 1]])
        >>> disp = ConfigurationsDisplay.from_levels([chain, chain[:, ::2]], [8, 4])
        >>> disp.images_[0, 1].get_array().shape   # a strip along the chain
        (1, 4)
        >>> plt.close("all")
        """
        caller = f"{cls.__name__}.from_levels"
        check_matplotlib_support(caller)
        if isinstance(levels, np.ndarray) or not isinstance(levels, (list, tuple)):
            raise TypeError(
                "levels must be a list of arrays, one (n_samples, n_sites) array per level, "
                f"got {type(levels).__name__}."
            )
        if not levels:
            raise ValueError("levels must hold at least one level, got an empty list.")
        if not isinstance(lattice_shapes, (list, tuple)):
            raise TypeError("lattice_shapes must be a list of shapes, one per level, got "
                            f"{type(lattice_shapes).__name__}.")
        if len(lattice_shapes) != len(levels):
            raise ValueError(
                f"lattice_shapes must give one shape per level ({len(levels)}), got "
                f"{len(lattice_shapes)}."
            )
        arrays = [check_spins(Z, allow_soft=True, name=f"levels[{n}]")
                  for n, Z in enumerate(levels)]
        if len({len(Z) for Z in arrays}) > 1:
            raise ValueError("Every level must hold the same configurations (same rows).")
        samples = check_int_list(samples, "samples", 0, len(arrays[0]) - 1)
        shapes = [check_lattice_shape(shape, name="lattice_shapes") for shape in lattice_shapes]
        display = cls([Z[samples] for Z in arrays], shapes, levels=list(range(len(arrays))),
                      samples=samples)
        return display.plot(ax=ax, **plot_kwargs)

    def plot(self, *, ax=None, cmap="gray", titles=True, imshow_kwargs=None):
        """Draw every configuration at every level.

        Parameters
        ----------
        ax : None, Axes, array-like of Axes, Figure or SubFigure, default=None
            None makes a new figure (one row per configuration, one column per
            level). One Axes is divided into that grid (and turned off) unless
            there is one panel. An array of Axes is filled in row-major order
            (a 1D array of ``n_levels`` Axes for one configuration; Axes left
            over are turned off). A Figure or SubFigure gets a new grid.
        cmap : str or Colormap, default="gray"
            Colormap, from -1 (black) to +1 (white).
        titles : bool, default=True
            Title every panel with its level, lattice and magnetization per site.
        imshow_kwargs : dict, default=None
            Passed to :meth:`matplotlib.axes.Axes.imshow`.

        Returns
        -------
        display : ConfigurationsDisplay

        Raises
        ------
        ValueError
            If a lattice shape is invalid, not 1D or 2D, or does not match its
            level, or ``levels``/``samples`` do not label every level and row.
        """
        caller = f"{type(self).__name__}.plot"
        check_matplotlib_support(caller)
        shapes = [check_lattice_shape(shape, name="lattice_shapes")
                  for shape in self.lattice_shapes]
        configurations = [np.atleast_2d(np.asarray(Z)) for Z in self.configurations]
        if len(shapes) != len(configurations) or not configurations:
            raise ValueError(
                f"Give one lattice shape per level: {len(configurations)} levels, "
                f"{len(shapes)} shapes."
            )
        n_rows = len(configurations[0])
        for Z, shape in zip(configurations, shapes):
            _check_drawable(shape, type(self).__name__)
            if Z.shape != (n_rows, math.prod(shape)):
                raise ValueError(
                    f"A level on the lattice {shape} must hold {n_rows} rows of "
                    f"{math.prod(shape)} sites, got shape {Z.shape}."
                )
        levels = list(range(len(shapes))) if self.levels is None else list(self.levels)
        samples = list(range(n_rows)) if self.samples is None else list(self.samples)
        if len(levels) != len(shapes) or len(samples) != n_rows:
            raise ValueError(
                f"levels and samples label the {len(shapes)} levels and {n_rows} rows, got "
                f"{len(levels)} levels and {len(samples)} samples."
            )
        n_levels = len(shapes)
        figure, axes = panel_axes(ax, (n_rows, n_levels), n_rows * n_levels, caller,
                                  panel_size=(2.6, 2.8))
        images = np.full(axes.shape, None, dtype=object)
        for row in range(n_rows):
            for col, (Z, shape) in enumerate(zip(configurations, shapes)):
                index = row * n_levels + col
                panel = axes.flat[index]
                config = Z[row].astype(np.float64)
                image = config.reshape(shape) if len(shape) == 2 else config[None, :]
                kwargs = {"cmap": cmap, "vmin": -1, "vmax": 1, "interpolation": "nearest",
                          **({} if len(shape) == 2 else {"aspect": "auto"}),
                          **dict(imshow_kwargs or {})}
                images.flat[index] = panel.imshow(image, **kwargs)
                panel.set_xticks([])
                panel.set_yticks([])
                if titles:
                    panel.set_title(f"level {levels[col]}, {_shape_text(shape)}\n"
                                    f"m = {config.mean():+.2f}", fontsize="small")
                if col == 0 and n_rows > 1:
                    panel.set_ylabel(f"sample {samples[row]}")
        self.figure_, self.axes_, self.ax_ = figure, axes, axes.flat[0]
        self.images_ = images
        return self
