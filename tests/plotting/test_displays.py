"""skrg.plotting: the displays hold the estimators' data and draw exactly it."""

import subprocess
import sys

import numpy as np
import pytest
from sklearn.base import BaseEstimator
from sklearn.exceptions import NotFittedError
from sklearn.utils import Bunch

from skrg import BernoulliRBM, BernoulliRBMStack, BlockSpinRG, CouplingFlowAnalyzer, make_ising
from skrg.metrics import hidden_visible_correlation
from skrg.plotting import (
    ConfigurationsDisplay,
    CorrelatorMapDisplay,
    CouplingFlowDisplay,
    ExponentConvergenceDisplay,
    ReceptiveFieldsDisplay,
)

plt = pytest.importorskip("matplotlib.pyplot")


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def X8():
    X, _ = make_ising(60, (8, 8), 2.5, random_state=0)
    return X


@pytest.fixture(scope="module")
def stack(X8):
    return BernoulliRBMStack((16, 4), n_iter=2, random_state=0).fit(X8)


@pytest.fixture(scope="module")
def analyzer():
    X, y = make_ising(40, (16, 16), [2.0, 2.27, 2.6], random_state=0)
    return CouplingFlowAnalyzer(n_levels=2, operators=["nn", "nnn", "m"], min_coarse_size=4,
                                n_jackknife_blocks=4, random_state=0).fit(X, y)


def image_data(image):
    return np.asarray(image.get_array())


def errorbar_xy(container):
    line = container.lines[0]
    return np.asarray(line.get_xdata(), float), np.asarray(line.get_ydata(), float)


def errorbar_half_widths(container, axis):
    """Half-lengths of the error bars of one axis ('y': the last bar collection)."""
    collections = container.lines[2]
    segments = (collections[-1] if axis == "y" else collections[0]).get_segments()
    index = 1 if axis == "y" else 0
    return np.array([(s[1][index] - s[0][index]) / 2 for s in segments])


# ------------------------------------------------------------ optional matplotlib


def test_import_does_not_import_matplotlib():
    code = "import sys, skrg.plotting; assert 'matplotlib' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_missing_matplotlib_raises_clear_import_error(monkeypatch, analyzer):
    rg = BlockSpinRG().fit(np.ones((2, 16), dtype=np.int8))
    display = ReceptiveFieldsDisplay(np.eye(4, 16), (4, 4))
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    calls = [
        lambda: ReceptiveFieldsDisplay.from_estimator(rg),
        lambda: CorrelatorMapDisplay.from_estimator(rg, np.ones((2, 16))),
        lambda: ConfigurationsDisplay.from_estimator(rg, np.ones((2, 16))),
        lambda: CouplingFlowDisplay.from_estimator(analyzer),
        lambda: ExponentConvergenceDisplay.from_estimator(analyzer),
        display.plot,
    ]
    for call in calls:
        with pytest.raises(ImportError, match=r'pip install "skrg\[plot\]"'):
            call()


# ------------------------------------------------------------- receptive fields


def test_receptive_fields_of_block_spin_levels():
    rg = BlockSpinRG(n_steps=2, rule="average").fit(np.ones((1, 64), dtype=np.int8))
    display = ReceptiveFieldsDisplay.from_estimator(rg)
    fields = rg.receptive_fields()
    assert display.axes_.shape == (2, 2)  # the units on their 2 x 2 coarse sites
    np.testing.assert_array_equal(display.fields, fields)
    for unit, image in enumerate(display.images_.flat):
        np.testing.assert_array_equal(image_data(image), fields[unit].reshape(8, 8))
    assert display.lines_ is None and display.colorbar_ is not None
    assert display.ax_ is display.axes_[0, 0] and display.figure_ is display.ax_.figure

    level1 = ReceptiveFieldsDisplay.from_estimator(rg, level=1, units=[5], colorbar=False)
    expected = BlockSpinRG(rule="average").fit(np.ones((1, 64))).receptive_fields()[5]
    np.testing.assert_array_equal(image_data(level1.images_[0, 0]), expected.reshape(8, 8))
    assert level1.ax_.get_title() == "unit 5" and level1.colorbar_ is None


def test_receptive_fields_of_stack_on_given_axes(stack):
    fig, axes = plt.subplots(2, 3)
    display = ReceptiveFieldsDisplay.from_estimator(stack, level=1, units=[0, 3, 7, 15],
                                                    ax=axes, show_blocks=True)
    assert display.figure_ is fig and display.axes_ is axes
    fields = stack.receptive_fields(1)
    for index, unit in enumerate([0, 3, 7, 15]):
        np.testing.assert_allclose(image_data(display.images_.flat[index]),
                                   fields[unit].reshape(8, 8))
        assert len(axes.flat[index].patches) == 1  # the unit's 2 x 2 block
    assert [a.axison for a in axes.flat[4:]] == [False, False]
    corner = axes.flat[1].patches[0].get_xy()  # unit 3 sits on coarse site (0, 3)
    assert tuple(corner) == (5.5, -0.5)

    top = ReceptiveFieldsDisplay.from_estimator(stack)
    np.testing.assert_allclose(top.fields, stack.receptive_fields(2))
    assert top.axes_.shape == (2, 2)


def test_receptive_fields_on_a_chain_are_lines():
    X, _ = make_ising(40, 16, 1.5, random_state=0)
    rbm = BernoulliRBM(n_iter=1, lattice_shape=16, random_state=0).fit(X)
    display = ReceptiveFieldsDisplay.from_estimator(rbm, units=[1, 2])
    assert display.images_ is None and display.colorbar_ is None
    fields = rbm.receptive_fields()
    for index, unit in enumerate([1, 2]):
        np.testing.assert_allclose(display.lines_.flat[index].get_ydata(), fields[unit])


def test_single_axes_is_used_or_divided():
    rg = BlockSpinRG().fit(np.ones((1, 16), dtype=np.int8))
    fig, ax = plt.subplots()
    one = ReceptiveFieldsDisplay.from_estimator(rg, units=2, ax=ax)
    assert one.ax_ is ax and one.axes_.shape == (1, 1)

    fig, ax = plt.subplots()
    grid = ReceptiveFieldsDisplay.from_estimator(rg, ax=ax, colorbar=False)
    assert grid.axes_.shape == (2, 2) and not ax.axison and grid.figure_ is fig
    assert all(panel.figure is fig for panel in grid.axes_.flat)

    fig = plt.figure()
    sub = ReceptiveFieldsDisplay.from_estimator(rg, ax=fig.subfigures(1, 2)[0])
    assert sub.axes_.shape == (2, 2)


def test_receptive_fields_errors(X8, stack):
    with pytest.raises(NotFittedError):
        ReceptiveFieldsDisplay.from_estimator(BlockSpinRG())
    for level in (0, 3, True, 1.0):
        with pytest.raises(ValueError, match="level must be None or an int from 1 to 2"):
            ReceptiveFieldsDisplay.from_estimator(stack, level=level)
    with pytest.raises(ValueError, match="units must be from 0 to 3"):
        ReceptiveFieldsDisplay.from_estimator(stack, units=[4])
    with pytest.raises(ValueError, match="draws 4 panels, but ax holds 3"):
        ReceptiveFieldsDisplay.from_estimator(stack, ax=plt.subplots(1, 3)[1])
    no_lattice = BernoulliRBM(n_components=3, n_iter=1, random_state=0).fit(X8[:, :12])
    with pytest.raises(ValueError, match="lattice_shape_ is None"):
        ReceptiveFieldsDisplay.from_estimator(no_lattice)
    no_coarse = BernoulliRBM(n_components=5, n_iter=1, random_state=0).fit(X8)
    assert no_coarse.coarse_lattice_shape_ is None
    ReceptiveFieldsDisplay.from_estimator(no_coarse)  # drawn in a plain grid
    with pytest.raises(ValueError, match="show_blocks=True needs a coarse lattice"):
        ReceptiveFieldsDisplay.from_estimator(no_coarse, show_blocks=True)
    cube = BlockSpinRG(lattice_shape=(4, 4, 4)).fit(np.ones((1, 64), dtype=np.int8))
    with pytest.raises(ValueError, match="not on the 3D lattice"):
        ReceptiveFieldsDisplay.from_estimator(cube)
    with pytest.raises(TypeError, match="no receptive_fields"):
        ReceptiveFieldsDisplay.from_estimator(NoFields())


class NoFields(BaseEstimator):
    """A fitted coarse-grainer with a lattice but no receptive fields."""

    def __init__(self):
        self.lattice_shape_ = (4, 4)

    def fit(self, X, y=None):
        return self


# ---------------------------------------------------------------- correlators


def test_correlator_maps_match_the_metric(X8, stack):
    rg = BlockSpinRG(rule="average", output="mean").fit(X8)
    display = CorrelatorMapDisplay.from_estimator(rg, X8, units=[0, 6], show_blocks=True)
    C = hidden_visible_correlation(rg, X8)
    np.testing.assert_array_equal(display.maps, C[[0, 6]])
    np.testing.assert_array_equal(image_data(display.images_.flat[1]), C[6].reshape(8, 8))
    assert tuple(display.axes_.flat[1].patches[0].get_xy()) == (3.5, 1.5)  # site (1, 2)
    assert display.coarse_lattice_shape == (4, 4)

    top = CorrelatorMapDisplay.from_estimator(stack, X8, colorbar=False)
    np.testing.assert_allclose(top.maps, hidden_visible_correlation(stack, X8))
    assert top.axes_.shape == (2, 2)


def test_correlator_map_errors(X8):
    with pytest.raises(NotFittedError):
        CorrelatorMapDisplay.from_estimator(BernoulliRBM(), X8)
    rg = BlockSpinRG().fit(X8)
    with pytest.raises(ValueError, match="units must be from 0 to 15"):
        CorrelatorMapDisplay.from_estimator(rg, X8, units=[16])
    with pytest.raises(ValueError, match="maps must have shape"):
        CorrelatorMapDisplay(np.zeros((2, 10)), (3, 3)).plot()


# -------------------------------------------------------------- configurations


def test_configurations_of_block_spin_levels(X8):
    rg = BlockSpinRG(n_steps=2, random_state=3).fit(X8)
    display = ConfigurationsDisplay.from_estimator(rg, X8, samples=[4, 1])
    assert display.axes_.shape == (2, 3) and display.levels == [0, 1, 2]
    assert display.lattice_shapes == [(8, 8), (4, 4), (2, 2)]
    for level in (1, 2):
        expected = BlockSpinRG(n_steps=level, random_state=3).fit(X8).transform(X8)[[4, 1]]
        np.testing.assert_array_equal(display.configurations[level], expected)
    np.testing.assert_array_equal(display.configurations[0], X8[[4, 1]])
    np.testing.assert_array_equal(image_data(display.images_[1, 2]),
                                  rg.transform(X8)[1].reshape(2, 2))
    assert display.axes_[0, 1].get_title().startswith("level 1, 4 x 4")


def test_configurations_of_stack_on_given_axes(X8, stack):
    fig, axes = plt.subplots(1, 2)
    display = ConfigurationsDisplay.from_estimator(stack, X8, samples=7, levels=[0, 2], ax=axes)
    assert display.figure_ is fig and display.ax_ is axes[0]
    np.testing.assert_array_equal(display.configurations[1], stack.transform(X8[[7]], level=2))
    np.testing.assert_array_equal(image_data(display.images_.flat[0]), X8[7].reshape(8, 8))


def test_configurations_from_levels_on_a_chain():
    chain = np.array([[1, 1, -1, -1, 1, 1, 1, 1], [-1] * 8])
    display = ConfigurationsDisplay.from_levels([chain, chain[:, ::2]], [8, (4,)], samples=[0, 1])
    assert display.axes_.shape == (2, 2)
    np.testing.assert_array_equal(image_data(display.images_[0, 1]), [[1, -1, 1, 1]])


def test_configuration_errors(X8):
    with pytest.raises(NotFittedError):
        ConfigurationsDisplay.from_estimator(BlockSpinRG(), X8)
    rg = BlockSpinRG(n_steps=2).fit(X8)
    with pytest.raises(ValueError, match="levels must be from 0 to 2, got 3"):
        ConfigurationsDisplay.from_estimator(rg, X8, levels=[0, 3])
    with pytest.raises(ValueError, match="samples must be from 0 to 59"):
        ConfigurationsDisplay.from_estimator(rg, X8, samples=60)
    no_coarse = BernoulliRBM(n_components=5, n_iter=1, random_state=0).fit(X8)
    with pytest.raises(ValueError, match="coarse_lattice_shape_ is None"):
        ConfigurationsDisplay.from_estimator(no_coarse, X8)
    ConfigurationsDisplay.from_estimator(no_coarse, X8, levels=0)  # the input has a lattice
    with pytest.raises(TypeError, match="list of arrays"):
        ConfigurationsDisplay.from_levels(X8, [(8, 8)])
    with pytest.raises(ValueError, match="one shape per level"):
        ConfigurationsDisplay.from_levels([X8], [(8, 8), (4, 4)])
    with pytest.raises(ValueError, match="must hold 1 rows of 16 sites"):
        ConfigurationsDisplay([X8[:1]], [(4, 4)]).plot()


# ---------------------------------------------------------------- coupling flow


def test_flow_diagram_draws_flow_(analyzer):
    assert np.isfinite(analyzer.critical_temperature_)
    fig, ax = plt.subplots()
    display = CouplingFlowDisplay.from_estimator(analyzer, ax=ax)
    assert display.ax_ is ax and display.figure_ is fig
    flow, flow_std = analyzer.flow_, analyzer.flow_std_
    assert len(display.errorbars_) == 1 and len(display.errorbars_[0]) == 2
    for n, container in enumerate(display.errorbars_[0]):
        x, y = errorbar_xy(container)
        np.testing.assert_array_equal(x, flow[:, n])
        np.testing.assert_array_equal(y, flow[:, n + 1])
        np.testing.assert_allclose(errorbar_half_widths(container, "y"), flow_std[:, n + 1])
        np.testing.assert_allclose(errorbar_half_widths(container, "x"), flow_std[:, n])
    diagonal = display.diagonal_
    np.testing.assert_array_equal(diagonal.get_xdata(), diagonal.get_ydata())
    K_star = np.interp(analyzer.critical_temperature_, analyzer.temperatures_, flow[:, 1])
    np.testing.assert_allclose(display.critical_marker_.get_xdata(), [K_star])


def test_flow_against_temperature_and_levels(analyzer):
    display = CouplingFlowDisplay.from_estimator(analyzer, kind="temperatures")
    for n, container in enumerate(display.errorbars_[0]):
        x, y = errorbar_xy(container)
        np.testing.assert_array_equal(x, analyzer.temperatures_)
        np.testing.assert_array_equal(y, analyzer.flow_[:, n])
    assert display.critical_marker_.get_xdata()[0] == analyzer.critical_temperature_

    display = CouplingFlowDisplay.from_estimator(analyzer, kind="levels", operators=["m", "nn"])
    assert display.axes_.shape == (1, 2)
    K, K_std = analyzer.couplings_, analyzer.couplings_std_
    for panel, a in zip(display.errorbars_, [2, 0]):
        assert len(panel) == len(analyzer.temperatures_)
        for t, container in enumerate(panel):
            x, y = errorbar_xy(container)
            np.testing.assert_array_equal(x, [0, 1, 2])
            np.testing.assert_array_equal(y, K[t, :, a])
            np.testing.assert_allclose(errorbar_half_widths(container, "y"), K_std[t, :, a])


def test_flow_errors(analyzer):
    with pytest.raises(NotFittedError):
        CouplingFlowDisplay.from_estimator(CouplingFlowAnalyzer())
    with pytest.raises(TypeError, match="needs a fitted CouplingFlowAnalyzer"):
        CouplingFlowDisplay.from_estimator(BlockSpinRG().fit(np.ones((1, 16))))
    with pytest.raises(ValueError, match="kind must be one of"):
        CouplingFlowDisplay.from_estimator(analyzer, kind="flow")
    with pytest.raises(ValueError, match="operators must be among"):
        CouplingFlowDisplay.from_estimator(analyzer, kind="levels", operators=["plaquette"])
    with pytest.raises(ValueError, match="operators selects the panels"):
        CouplingFlowDisplay.from_estimator(analyzer, operators=["nn"])


# ----------------------------------------------------------------- exponents


def test_exponent_convergence_matches_mcrg(analyzer):
    result = analyzer.exponents_by_level_
    display = ExponentConvergenceDisplay.from_estimator(analyzer, exact="ising")
    assert display.axes_.shape == (1, 2)
    for panel, key in zip(display.errorbars_, ["y_t", "y_h"]):
        assert len(panel) == 2  # level pairs 0 -> 1, 1 -> 2
        for n, container in enumerate(panel):
            x, y = errorbar_xy(container)
            np.testing.assert_array_equal(x, np.arange(1, result[f"{key}_by_level"].shape[1] + 1))
            np.testing.assert_array_equal(y, result[f"{key}_by_level"][n])
            np.testing.assert_allclose(errorbar_half_widths(container, "y"),
                                       result[f"{key}_std_by_level"][n])
    assert [line.get_ydata()[0] for line in display.exact_lines_] == [1.0, 1.875]
    assert [t.get_text() for t in display.axes_[0, 0].get_xticklabels()] == ["nn", "+nnn"]

    fig, axes = plt.subplots(1, 2)
    nu = ExponentConvergenceDisplay.from_mcrg(result, thermal="nu", exact={"nu": 1.0},
                                              pairs=[1], ax=axes)
    assert nu.ax_ is axes[0] and nu.figure_ is fig and nu.exact_lines_[1] is None
    assert nu.exact_lines_[0].get_ydata()[0] == 1.0 and len(nu.errorbars_[0]) == 1
    np.testing.assert_array_equal(errorbar_xy(nu.errorbars_[0][0])[1], result.nu_by_level[1])


def test_exponent_errors(analyzer):
    with pytest.raises(NotFittedError):
        ExponentConvergenceDisplay.from_estimator(CouplingFlowAnalyzer())
    with pytest.raises(TypeError, match="no exponents_by_level_"):
        ExponentConvergenceDisplay.from_estimator(BlockSpinRG().fit(np.ones((1, 16))))
    with pytest.raises(ValueError, match="no 'y_t_std_by_level'"):
        ExponentConvergenceDisplay.from_mcrg({"y_t_by_level": np.zeros((1, 1))})
    result = Bunch(**analyzer.exponents_by_level_)
    with pytest.raises(ValueError, match="thermal must be"):
        ExponentConvergenceDisplay.from_mcrg(result, thermal="y_h")
    with pytest.raises(ValueError, match="pairs must be from 0 to 1"):
        ExponentConvergenceDisplay.from_mcrg(result, pairs=[2])
    chain = Bunch(**result)
    chain.lattice_shapes = ((16,), (8,), (4,))
    with pytest.raises(ValueError, match="no finite critical point"):
        ExponentConvergenceDisplay.from_mcrg(chain, exact="ising")
    with pytest.raises(ValueError, match="exact must map"):
        ExponentConvergenceDisplay.from_mcrg(result, exact={"eta": 0.25})
