"""Displays of the coupling analysis: the RG flow and the convergence of MCRG exponents."""

import math
import numbers

import numpy as np

from ._base import check_int_list, check_matplotlib_support, fitted, grid_for, panel_axes

__all__ = ["CouplingFlowDisplay", "ExponentConvergenceDisplay"]

_KINDS = ("diagram", "temperatures", "levels")

# Reference values of the Ising universality class by dimension: exact in 2D,
# conformal bootstrap in 3D (nu = 0.629971, Delta_sigma = 0.5181489).
ISING_EXPONENTS = {
    2: {"y_t": 1.0, "nu": 1.0, "y_h": 15 / 8},
    3: {"y_t": 1 / 0.629971, "nu": 0.629971, "y_h": 3 - 0.5181489},
}
_LABELS = {"y_t": "$y_t$", "nu": r"$\nu$", "y_h": "$y_h$"}


def _temperature_colors(n):
    from matplotlib import colormaps

    cmap = colormaps["viridis"]
    return [cmap(x) for x in (np.linspace(0.0, 0.9, n) if n > 1 else [0.0])]


class CouplingFlowDisplay:
    """The RG flow of the couplings measured by :class:`skrg.CouplingFlowAnalyzer`.

    Three views (``kind``), all with jackknife error bars:

    - ``"diagram"``: the nearest-neighbour flow map, ``K_nn`` at level
      ``n + 1`` against ``K_nn`` at level ``n`` (``flow_``), one curve over the
      temperatures per level pair, with the diagonal ``K' = K``. Where the
      curve of levels 1 -> 2 crosses the diagonal is the fixed point, marked at
      ``critical_temperature_``.
    - ``"temperatures"``: ``K_nn`` (``flow_``) against temperature, one curve
      per level; the curves of levels 1 and 2 cross at
      ``critical_temperature_`` (a vertical line, its error band shaded).
    - ``"levels"``: every coupling of ``couplings_`` against the level, one
      panel per operator, one curve per temperature.

    Build it with :meth:`from_estimator`; the constructor only holds the data.

    Parameters
    ----------
    temperatures : ndarray of shape (n_temperatures,)
    couplings, couplings_std : ndarray of shape (n_temperatures, n_levels + 1, n_operators)
    operators : list of str
    flow, flow_std : ndarray of shape (n_temperatures, n_levels + 1)
    critical_temperature, critical_temperature_std : float, default=nan
    estimator_name : str, default=None

    Attributes
    ----------
    figure_ : matplotlib Figure or SubFigure
    axes_ : ndarray of matplotlib Axes
        The panels, 2D (one for ``"diagram"`` and ``"temperatures"``).
    ax_ : matplotlib Axes
        The first panel.
    errorbars_ : list of list of ErrorbarContainer
        ``errorbars_[p][c]``: curve ``c`` of panel ``p`` (a level pair, a level
        or a temperature, by kind).
    diagonal_ : Line2D or None
        The diagonal of the ``"diagram"``.
    critical_marker_ : Artist or None
        The fixed point (``"diagram"``) or the vertical line at the critical
        temperature (``"temperatures"``); None when it is NaN.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> from skrg import CouplingFlowAnalyzer, make_ising
    >>> from skrg.plotting import CouplingFlowDisplay
    >>> X, y = make_ising(40, (16, 16), [2.0, 2.27, 2.6], random_state=0)
    >>> flow = CouplingFlowAnalyzer(n_levels=2, operators=["nn", "nnn"], min_coarse_size=4,
    ...                             n_jackknife_blocks=4, random_state=0).fit(X, y)
    >>> disp = CouplingFlowDisplay.from_estimator(flow)   # the flow diagram
    >>> len(disp.errorbars_[0])   # level pairs 0 -> 1 and 1 -> 2
    2
    >>> disp = CouplingFlowDisplay.from_estimator(flow, kind="levels")
    >>> disp.axes_.shape, len(disp.errorbars_[0])   # one panel per operator
    ((1, 2), 3)
    >>> plt.close("all")
    """

    def __init__(self, temperatures, couplings, couplings_std, operators, flow, flow_std, *,
                 critical_temperature=np.nan, critical_temperature_std=np.nan,
                 estimator_name=None):
        self.temperatures = temperatures
        self.couplings = couplings
        self.couplings_std = couplings_std
        self.operators = operators
        self.flow = flow
        self.flow_std = flow_std
        self.critical_temperature = critical_temperature
        self.critical_temperature_std = critical_temperature_std
        self.estimator_name = estimator_name

    @classmethod
    def from_estimator(cls, estimator, *, kind="diagram", operators=None, ax=None,
                       **plot_kwargs):
        """Draw the flow measured by a fitted :class:`skrg.CouplingFlowAnalyzer`.

        Parameters
        ----------
        estimator : skrg.CouplingFlowAnalyzer
            Fitted.
        kind : {"diagram", "temperatures", "levels"}, default="diagram"
            See the class description.
        operators : str or sequence of str, default=None
            ``kind="levels"`` only: the operators drawn, one panel each; None
            means all of ``operators_``.
        ax : None, Axes, array-like of Axes, Figure or SubFigure, default=None
            See :meth:`plot`.
        **plot_kwargs
            Passed to :meth:`plot`.

        Returns
        -------
        display : CouplingFlowDisplay

        Raises
        ------
        sklearn.exceptions.NotFittedError
            If the analyzer is not fitted.
        TypeError
            If ``estimator`` is not a coupling-flow analyzer.
        """
        check_matplotlib_support(f"{cls.__name__}.from_estimator")
        fitted(estimator)
        missing = [name for name in ("temperatures_", "couplings_", "flow_", "operators_")
                   if not hasattr(estimator, name)]
        if missing:
            raise TypeError(
                f"{cls.__name__}.from_estimator needs a fitted CouplingFlowAnalyzer; "
                f"{type(estimator).__name__} has no {missing[0]}."
            )
        display = cls(
            estimator.temperatures_, estimator.couplings_, estimator.couplings_std_,
            list(estimator.operators_), estimator.flow_, estimator.flow_std_,
            critical_temperature=estimator.critical_temperature_,
            critical_temperature_std=estimator.critical_temperature_std_,
            estimator_name=type(estimator).__name__,
        )
        return display.plot(kind=kind, operators=operators, ax=ax, **plot_kwargs)

    def _data(self):
        T = np.asarray(self.temperatures, dtype=np.float64)
        K = np.asarray(self.couplings, dtype=np.float64)
        K_std = np.asarray(self.couplings_std, dtype=np.float64)
        flow = np.asarray(self.flow, dtype=np.float64)
        flow_std = np.asarray(self.flow_std, dtype=np.float64)
        if T.ndim != 1 or flow.shape != (len(T), flow.shape[-1]) or flow_std.shape != flow.shape:
            raise ValueError(
                f"flow and flow_std must have shape (n_temperatures={len(T)}, n_levels + 1), "
                f"got {flow.shape} and {flow_std.shape}."
            )
        if K.ndim != 3 or K.shape[:2] != flow.shape or K_std.shape != K.shape or (
            K.shape[2] != len(self.operators)
        ):
            raise ValueError(
                f"couplings and couplings_std must have shape {flow.shape + (len(self.operators),)}"
                f" (temperatures, levels, operators), got {K.shape} and {K_std.shape}."
            )
        return T, K, K_std, flow, flow_std

    def plot(self, *, kind="diagram", operators=None, ax=None, errorbar_kwargs=None,
             legend=True):
        """Draw the flow.

        Parameters
        ----------
        kind : {"diagram", "temperatures", "levels"}, default="diagram"
            See the class description.
        operators : str or sequence of str, default=None
            ``kind="levels"`` only: operators drawn, one panel each; None means all.
        ax : None, Axes, array-like of Axes, Figure or SubFigure, default=None
            Where to draw: None makes a new figure; one Axes is used as it is
            (divided into a grid, and turned off, for several operators); an
            array of Axes gets one panel per Axes in row-major order; a Figure
            or SubFigure gets a new grid.
        errorbar_kwargs : dict, default=None
            Passed to every :meth:`matplotlib.axes.Axes.errorbar`.
        legend : bool, default=True
            Add a legend to the first panel.

        Returns
        -------
        display : CouplingFlowDisplay

        Raises
        ------
        ValueError
            If ``kind`` is unknown, ``operators`` names no fitted operator, or
            the arrays do not have the shapes the temperatures and levels need.
        """
        caller = f"{type(self).__name__}.plot"
        check_matplotlib_support(caller)
        if kind not in _KINDS:
            raise ValueError(f"kind must be one of {_KINDS}, got {kind!r}.")
        if operators is not None and kind != "levels":
            raise ValueError(
                f"operators selects the panels of kind='levels'; kind={kind!r} draws the "
                "nearest-neighbour flow (flow_) only."
            )
        T, K, K_std, flow, flow_std = self._data()
        style = {"fmt": "o-", "ms": 4, "capsize": 2, **dict(errorbar_kwargs or {})}
        T_c, T_c_std = float(self.critical_temperature), float(self.critical_temperature_std)
        self.diagonal_ = self.critical_marker_ = None
        if kind == "levels":
            names = list(self.operators)
            if operators is None:
                chosen = list(range(len(names)))
            else:
                wanted = [operators] if isinstance(operators, str) else list(operators)
                unknown = [op for op in wanted if op not in names]
                if unknown or not wanted:
                    raise ValueError(
                        f"operators must be among the measured ones {names}, got {operators!r}."
                    )
                chosen = [names.index(op) for op in wanted]
            figure, axes = panel_axes(ax, grid_for(len(chosen)), len(chosen), caller,
                                      panel_size=(3.6, 3.0))
            colors = _temperature_colors(len(T))
            levels = np.arange(K.shape[1])
            errorbars = []
            for panel, a in zip(axes.flat, chosen):
                curves = [
                    panel.errorbar(levels, K[t, :, a], yerr=K_std[t, :, a],
                                   color=colors[t], label=f"T = {T[t]:.3g}", **style)
                    for t in range(len(T))
                ]
                errorbars.append(curves)
                panel.set_xticks(levels)
                panel.set_xlabel("level")
                panel.set_ylabel(f"$K_{{\\mathrm{{{names[a]}}}}}$")
                panel.axhline(0.0, color="0.7", lw=0.8, zorder=0)
        else:
            figure, axes = panel_axes(ax, (1, 1), 1, caller, panel_size=(4.8, 4.0))
            panel = axes.flat[0]
            if kind == "temperatures":
                curves = [
                    panel.errorbar(T, flow[:, n], yerr=flow_std[:, n], color=f"C{n}",
                                   label=f"level {n}", **style)
                    for n in range(flow.shape[1])
                ]
                panel.set_xlabel("temperature $T$ of the input lattice")
                panel.set_ylabel(r"$K_{\mathrm{nn}}$ (nearest-neighbour fit)")
                if math.isfinite(T_c):
                    if math.isfinite(T_c_std) and T_c_std > 0:
                        panel.axvspan(T_c - T_c_std, T_c + T_c_std, color="0.85", zorder=0)
                    self.critical_marker_ = panel.axvline(
                        T_c, color="k", ls="--", lw=1, label=f"$T_c$ = {T_c:.4g}")
            else:
                curves = [
                    panel.errorbar(flow[:, n], flow[:, n + 1], xerr=flow_std[:, n],
                                   yerr=flow_std[:, n + 1], color=f"C{n}",
                                   label=f"level {n} → {n + 1}", **style)
                    for n in range(flow.shape[1] - 1)
                ]
                finite = flow[np.isfinite(flow)]
                low, high = (finite.min(), finite.max()) if finite.size else (0.0, 1.0)
                pad = 0.05 * (high - low or 1.0)
                self.diagonal_ = panel.plot([low - pad, high + pad], [low - pad, high + pad],
                                            color="k", ls=":", lw=1, label="$K' = K$")[0]
                if math.isfinite(T_c) and flow.shape[1] > 2:
                    order = np.argsort(T)
                    K_star = float(np.interp(T_c, T[order], flow[order, 1]))
                    self.critical_marker_ = panel.plot(
                        [K_star], [K_star], marker="*", ms=14, color="k", ls="none",
                        label=f"fixed point, $T_c$ = {T_c:.4g}", zorder=5)[0]
                panel.set_xlabel(r"$K_{\mathrm{nn}}$ at level $n$")
                panel.set_ylabel(r"$K_{\mathrm{nn}}$ at level $n + 1$")
            errorbars = [curves]
        if legend:
            axes.flat[0].legend(fontsize="small")
        self.figure_, self.axes_, self.ax_ = figure, axes, axes.flat[0]
        self.errorbars_ = errorbars
        return self


class ExponentConvergenceDisplay:
    """Convergence of MCRG exponents with the number of operators and the level.

    Swendsen's MCRG estimates of ``y_t`` (or ``nu``) and ``y_h`` from the
    first ``k`` operators of their sector, for every level pair ``n -> n + 1``
    (:func:`skrg.analysis.mcrg_exponents`): one panel per exponent, ``k`` on
    the x-axis (ticks named by the operator added), one curve per level pair,
    jackknife error bars, and optionally the known Ising values. Estimates
    converge as both grow. Build it with :meth:`from_estimator` or
    :meth:`from_mcrg`.

    Parameters
    ----------
    estimates : dict of str to ndarray of shape (n_pairs, n_operators_of_sector)
        Keys among ``"y_t"``, ``"nu"``, ``"y_h"``; one panel each, in order.
    estimates_std : dict of str to ndarray
        Their standard errors, same keys and shapes.
    operators : dict of str to list of str
        The operators of each exponent's sector, in the order they are added.
    level_pairs : ndarray of shape (n_pairs, 2)
    exact : dict of str to float, default=None
        Reference values drawn as horizontal lines.
    title : str, default=None
        Title of a new figure.

    Attributes
    ----------
    figure_ : matplotlib Figure or SubFigure
    axes_ : ndarray of matplotlib Axes
        One panel per exponent, 2D.
    ax_ : matplotlib Axes
        The first panel.
    errorbars_ : list of list of ErrorbarContainer
        ``errorbars_[p][n]``: level pair ``n`` on the panel of exponent ``p``.
    exact_lines_ : list of (Line2D or None)
        The reference line of each panel.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> from skrg import BlockSpinRG, make_ising
    >>> from skrg.analysis import mcrg_exponents
    >>> from skrg.plotting import ExponentConvergenceDisplay
    >>> X, _ = make_ising(100, (16, 16), 2.269, algorithm="wolff", random_state=0)
    >>> rg = BlockSpinRG(n_steps=2, random_state=0).fit(X)
    >>> levels = [X, BlockSpinRG(random_state=0).fit_transform(X), rg.transform(X)]
    >>> result = mcrg_exponents(levels, [(16, 16), (8, 8), (4, 4)], 2, ["nn", "nnn", "m"],
    ...                         n_jackknife_blocks=5)
    >>> disp = ExponentConvergenceDisplay.from_mcrg(result, exact="ising")
    >>> disp.axes_.shape, len(disp.errorbars_[0])   # y_t and y_h; two level pairs
    ((1, 2), 2)
    >>> disp.exact_lines_[1].get_ydata()[0]
    1.875
    >>> plt.close("all")
    """

    def __init__(self, estimates, estimates_std, operators, level_pairs, *, exact=None,
                 title=None):
        self.estimates = estimates
        self.estimates_std = estimates_std
        self.operators = operators
        self.level_pairs = level_pairs
        self.exact = exact
        self.title = title

    @classmethod
    def from_mcrg(cls, result, *, thermal="y_t", exact=None, ax=None, title=None,
                  **plot_kwargs):
        """Draw the exponents of a :func:`skrg.analysis.mcrg_exponents` result.

        Parameters
        ----------
        result : Bunch
            As returned by :func:`skrg.analysis.mcrg_exponents` (or a
            CouplingFlowAnalyzer's ``exponents_by_level_``).
        thermal : {"y_t", "nu"}, default="y_t"
            Which form of the thermal exponent to draw.
        exact : None, "ising" or dict, default=None
            Reference lines: ``"ising"`` the Ising values of the lattice's
            dimension (exact in 2D: ``y_t = nu = 1``, ``y_h = 15/8``; the
            conformal bootstrap's in 3D), or a dict such as ``{"y_h": 1.875}``.
        ax : None, Axes, array-like of Axes, Figure or SubFigure, default=None
            See :meth:`plot`.
        title : str, default=None
            Title of the figure (None: the level pairs' lattices).
        **plot_kwargs
            Passed to :meth:`plot`.

        Returns
        -------
        display : ExponentConvergenceDisplay

        Raises
        ------
        ValueError
            If ``result`` lacks the tables of :func:`mcrg_exponents`, neither
            sector has an operator, or ``exact="ising"`` on a chain (no finite
            critical point).
        """
        check_matplotlib_support(f"{cls.__name__}.from_mcrg")
        if thermal not in ("y_t", "nu"):
            raise ValueError(f"thermal must be 'y_t' or 'nu', got {thermal!r}.")
        needed = [f"{thermal}_by_level", f"{thermal}_std_by_level", "y_h_by_level",
                  "y_h_std_by_level", "operators_even", "operators_odd", "level_pairs"]
        try:
            missing = [key for key in needed if key not in result]
        except TypeError:
            missing = needed
        if missing:
            raise ValueError(
                f"result must be the Bunch returned by skrg.analysis.mcrg_exponents; it has "
                f"no {missing[0]!r}."
            )
        estimates, errors, operators = {}, {}, {}
        for key, sector in ((thermal, "operators_even"), ("y_h", "operators_odd")):
            if len(result[sector]):
                estimates[key] = np.asarray(result[f"{key}_by_level"], dtype=np.float64)
                errors[key] = np.asarray(result[f"{key}_std_by_level"], dtype=np.float64)
                operators[key] = list(result[sector])
        if not estimates:
            raise ValueError("result has no operator in either sector: no exponent to draw.")
        if isinstance(exact, str):
            if exact != "ising":
                raise ValueError(f"exact must be None, 'ising' or a dict, got {exact!r}.")
            shapes = result.get("lattice_shapes")
            dim = len(shapes[0]) if shapes else 2
            if dim not in ISING_EXPONENTS:
                raise ValueError(
                    f"exact='ising' has no values for a {dim}D lattice: the Ising chain has "
                    "no finite critical point."
                )
            exact = ISING_EXPONENTS[dim]
        pairs = np.asarray(result["level_pairs"])
        if title is None and result.get("lattice_shapes"):
            shapes = result["lattice_shapes"]
            title = "MCRG, levels " + " → ".join(
                " x ".join(map(str, shape)) for shape in shapes)
        display = cls(estimates, errors, operators, pairs, exact=exact, title=title)
        return display.plot(ax=ax, **plot_kwargs)

    @classmethod
    def from_estimator(cls, estimator, *, thermal="y_t", exact=None, ax=None, **plot_kwargs):
        """Draw the exponents of a fitted :class:`skrg.CouplingFlowAnalyzer`.

        Its ``exponents_by_level_``, measured at ``exponent_temperature_``.

        Parameters
        ----------
        estimator : skrg.CouplingFlowAnalyzer
            Fitted.
        thermal, exact, ax, **plot_kwargs
            As in :meth:`from_mcrg`.

        Returns
        -------
        display : ExponentConvergenceDisplay

        Raises
        ------
        sklearn.exceptions.NotFittedError
            If the analyzer is not fitted.
        TypeError
            If it has no ``exponents_by_level_``.
        """
        check_matplotlib_support(f"{cls.__name__}.from_estimator")
        fitted(estimator)
        if not hasattr(estimator, "exponents_by_level_"):
            raise TypeError(
                f"{cls.__name__}.from_estimator needs a fitted CouplingFlowAnalyzer; "
                f"{type(estimator).__name__} has no exponents_by_level_."
            )
        title = f"MCRG at T = {estimator.exponent_temperature_:.4g}"
        return cls.from_mcrg(estimator.exponents_by_level_, thermal=thermal, exact=exact,
                             ax=ax, title=title, **plot_kwargs)

    def plot(self, *, ax=None, pairs=None, errorbar_kwargs=None, legend=True):
        """Draw one panel per exponent.

        Parameters
        ----------
        ax : None, Axes, array-like of Axes, Figure or SubFigure, default=None
            None makes a new figure; an array of Axes gets one panel per Axes
            (row-major); one Axes holds a single exponent, or is divided (and
            turned off) for several; a Figure or SubFigure gets a new grid.
        pairs : int or sequence of int, default=None
            Level pairs drawn (row indices of ``level_pairs``); None means all.
        errorbar_kwargs : dict, default=None
            Passed to every :meth:`matplotlib.axes.Axes.errorbar`.
        legend : bool, default=True
            Add a legend to the first panel.

        Returns
        -------
        display : ExponentConvergenceDisplay

        Raises
        ------
        TypeError
            If ``estimates`` is not a dict.
        ValueError
            If its keys are not among ``"y_t"``, ``"nu"``, ``"y_h"``, or ``pairs``
            names level pairs that do not exist.
        """
        caller = f"{type(self).__name__}.plot"
        check_matplotlib_support(caller)
        level_pairs = np.asarray(self.level_pairs).reshape(-1, 2)
        chosen = list(range(len(level_pairs))) if pairs is None else check_int_list(
            pairs, "pairs", 0, len(level_pairs) - 1)
        if not isinstance(self.estimates, dict):
            raise TypeError(f"estimates must be a dict of exponent name to values, got "
                            f"{type(self.estimates).__name__}.")
        keys = list(self.estimates)
        unknown = [key for key in keys if key not in _LABELS]
        if unknown or not keys:
            raise ValueError(f"estimates must have keys among {list(_LABELS)}, got {keys}.")
        exact = dict(self.exact or {})
        for key, value in exact.items():
            if key not in _LABELS or not isinstance(value, numbers.Real):
                raise ValueError(
                    f"exact must map exponents among {list(_LABELS)} to numbers, got "
                    f"{key!r}: {value!r}."
                )
        style = {"fmt": "o-", "ms": 4, "capsize": 2, **dict(errorbar_kwargs or {})}
        figure, axes = panel_axes(ax, (1, len(keys)), len(keys), caller, panel_size=(3.8, 3.2))
        errorbars, exact_lines = [], []
        for panel, key in zip(axes.flat, keys):
            values = np.asarray(self.estimates[key], dtype=np.float64)
            errors = np.asarray(self.estimates_std[key], dtype=np.float64)
            names = list(self.operators[key])
            if values.shape != (len(level_pairs), len(names)) or errors.shape != values.shape:
                raise ValueError(
                    f"estimates[{key!r}] and its errors must have shape "
                    f"({len(level_pairs)}, {len(names)}) (level pairs, operators), got "
                    f"{values.shape} and {errors.shape}."
                )
            k = np.arange(1, len(names) + 1)
            errorbars.append([
                panel.errorbar(k, values[n], yerr=errors[n], color=f"C{n}",
                               label=f"level {level_pairs[n][0]} → {level_pairs[n][1]}",
                               **style)
                for n in chosen
            ])
            line = None
            if key in exact:
                line = panel.axhline(float(exact[key]), color="k", ls="--", lw=1,
                                     label=f"reference {float(exact[key]):.4g}")
            exact_lines.append(line)
            panel.set_xticks(k, ["+" + name if i else name for i, name in enumerate(names)],
                             rotation=45 if len(names) > 3 else 0)
            panel.set_xlabel("operators")
            panel.set_ylabel(_LABELS[key])
            if legend and (panel is axes.flat[0] or line is not None):
                panel.legend(fontsize="small")
        if self.title and ax is None:
            figure.suptitle(self.title)
        self.figure_, self.axes_, self.ax_ = figure, axes, axes.flat[0]
        self.errorbars_ = errorbars
        self.exact_lines_ = exact_lines
        return self
