"""A fixed corpus of hostile inputs against every public entry point.

Each case either raises the documented exception type with a message that names
what is wrong, or works and returns a correct (finite, right-shaped, equal to the
canonical input's) result. Nothing may crash the interpreter, leak an internal
exception (IndexError, ZeroDivisionError, numba's TypingError...), emit a
RuntimeWarning (a NaN in the making) or return garbage silently.
"""

import functools
import math

import numpy as np
import pytest
from sklearn.base import BaseEstimator
from sklearn.exceptions import NotFittedError

import hostile_harness as h
from hostile_harness import (Either, Raises, Works, cached_fit, data, fitted, rows_of, run_case,
                             unfitted)

import skrg
import skrg.plotting
from skrg import analysis, metrics
from skrg.ising import observables

VALUE_ERROR = Raises(ValueError)
N_ROWS = 16  # rows of the valid data, h.data()
BAD_VALUE = (1, 2)  # where a single hostile value goes (inside the coarse columns too)


# ----------------------------------------------------------------- hostile X


def _with(X, value, dtype=np.float64):
    X = X.astype(dtype)
    X[BAD_VALUE] = value
    return X


def _ragged(X):
    rows = X.tolist()
    rows[3] = rows[3][:-1]
    return rows


# kind: (builder, outcome on soft-spin entry points, outcome on hard-spin ones).
NON_FINITE = Raises(ValueError, r"(?i)nan|inf")
OUT_OF_RANGE = Raises(ValueError, r"\[-1, 1\]")
NOT_HARD = Raises(ValueError, r"-1 or \+1")
NOT_NUMERIC = Raises((TypeError, ValueError), r"(?i)numeric|complex|convert|string")
NOT_2D = Raises(ValueError, r"(?i)2D|dim|shape")
# 15 sites is no square lattice; 3 coarse units are not the 4 of a fitted 2x2 output.
WRONG_WIDTH = Either(ValueError, r"lattice_shape|features|sites|columns|shape")
HOSTILE_X = {
    "nan": (lambda X: _with(X, np.nan), NON_FINITE, NON_FINITE),
    "inf": (lambda X: _with(X, np.inf), NON_FINITE, NON_FINITE),
    "-inf": (lambda X: _with(X, -np.inf), NON_FINITE, NON_FINITE),
    "2": (lambda X: _with(X, 2, np.int64), OUT_OF_RANGE, OUT_OF_RANGE),
    "1.5": (lambda X: _with(X, 1.5), OUT_OF_RANGE, OUT_OF_RANGE),
    "-1.0001": (lambda X: _with(X, -1.0001), OUT_OF_RANGE, OUT_OF_RANGE),
    "1e308": (lambda X: _with(X, 1e308), OUT_OF_RANGE, OUT_OF_RANGE),
    "int64-min": (lambda X: _with(X, np.iinfo(np.int64).min, np.int64), OUT_OF_RANGE,
                  OUT_OF_RANGE),
    "uint8-255": (lambda X: np.where(X > 0, 1, 255).astype(np.uint8), OUT_OF_RANGE,
                  OUT_OF_RANGE),
    "0": (lambda X: _with(X, 0, np.int64), None, NOT_HARD),
    "0.5": (lambda X: _with(X, 0.5), None, NOT_HARD),
    "complex": (lambda X: X.astype(np.complex128), NOT_NUMERIC, NOT_NUMERIC),
    "str": (lambda X: X.astype(str), NOT_NUMERIC, NOT_NUMERIC),
    "bytes": (lambda X: X.astype(bytes), NOT_NUMERIC, NOT_NUMERIC),
    "object-str": (lambda X: np.where(X > 0, "up", "down").astype(object), NOT_NUMERIC,
                   NOT_NUMERIC),
    "object-None": (lambda X: _with(X, None, object), NOT_NUMERIC, NOT_NUMERIC),
    "ragged": (_ragged, Raises(ValueError, r"(?i)inhomogeneous|sequence"),
               Raises(ValueError, r"(?i)inhomogeneous|sequence")),
    "0d": (lambda X: np.float64(1.0), NOT_2D, NOT_2D),
    "1d": (lambda X: X[0], NOT_2D, NOT_2D),
    "3d": (lambda X: X[None], NOT_2D, NOT_2D),
    "no-columns": (lambda X: X[:, :0], VALUE_ERROR, VALUE_ERROR),
    "wrong-width": (lambda X: X[:, :-1], WRONG_WIDTH, WRONG_WIDTH),
    "string-scalar": (lambda X: "X", Raises((TypeError, ValueError)),
                      Raises((TypeError, ValueError))),
    "None": (lambda X: None, Raises((TypeError, ValueError)), Raises((TypeError, ValueError))),
}

# The same spins in other clothes: every entry point must give the canonical result.
EQUIVALENT_X = {
    "list": lambda X: X.tolist(),
    "float64": lambda X: X.astype(np.float64),
    "float32": lambda X: X.astype(np.float32),
    "int64": lambda X: X.astype(np.int64),
    "object-int": lambda X: X.astype(object),
    "fortran": lambda X: np.asfortranarray(X),
    "strided": lambda X: np.repeat(X, 2, axis=0)[::2],
}


# ------------------------------------------------------------ entry points
# name: (call(X), domain, base). Domain "soft": reals in [-1, 1] are legal, "hard": only
# -1 and +1. Base: the valid data the hostile variants are made from, "fine" (16 sites
# of 4x4) or "coarse" (the 4 units of the fitted 2x2 output). A fitted BlockSpinRG is the
# coarse-grainer handed to the metrics.


def _rg():
    return fitted("BlockSpinRG")


@functools.cache
def coarse():
    X = cached_fit("BlockSpinRG").transform(data()[0])
    X.setflags(write=False)
    return X


@functools.cache
def fine8():
    """8x8 configurations: correlation_preservation needs two coarse distances (4x4)."""
    X, _ = skrg.make_ising(4, (8, 8), [2.0, 3.0], random_state=0)
    X.setflags(write=False)
    return X


@functools.cache
def _rg8():
    return skrg.BlockSpinRG(random_state=0).fit(fine8())


BASES = {"fine": lambda: data()[0], "coarse": coarse, "fine8": fine8}

X_ENTRY_POINTS = {
    "utils.check_spins": (lambda X: skrg.utils.check_spins(X), "hard"),
    "utils.check_spins(allow_soft)": (
        lambda X: skrg.utils.check_spins(X, allow_soft=True), "soft"),
    "utils.validate_spin_data": (
        lambda X: skrg.utils.validate_spin_data(BaseEstimator(), X, reset=True), "soft"),
    "observables.magnetization": (lambda X: observables.magnetization(X), "hard"),
    "observables.energy": (lambda X: observables.energy(X), "hard"),
    "observables.correlation_function": (
        lambda X: observables.correlation_function(X, connected=True), "hard"),
    "observables.binder_cumulant": (lambda X: observables.binder_cumulant(X), "hard"),
    "observables.specific_heat": (lambda X: observables.specific_heat(X, 2.0), "hard"),
    "observables.susceptibility": (lambda X: observables.susceptibility(X, 2.0), "hard"),
    "analysis.estimate_couplings": (
        lambda X: analysis.estimate_couplings(X, operators=["nn"], n_jackknife_blocks=2),
        "hard"),
    "analysis.estimate_temperature": (
        lambda X: analysis.estimate_temperature(X, n_jackknife_blocks=2), "hard"),
    "analysis.evaluate_operators": (
        lambda X: analysis.evaluate_operators(X, operators=["nn", "m"]), "hard"),
    "analysis.local_operator_fields": (
        lambda X: analysis.local_operator_fields(X, operators=["nn"]), "hard"),
    "analysis.mcrg_exponents": (
        lambda X: analysis.mcrg_exponents([X, coarse()], [None, None], 2, operators=["nn"],
                                          n_jackknife_blocks=2), "hard"),
    "analysis.mcrg_exponents(coarse level)": (
        lambda X: analysis.mcrg_exponents([data()[0], X], [None, None], 2, operators=["nn"],
                                          n_jackknife_blocks=2), "hard", "coarse"),
    "analysis.rbm_flow": (
        lambda X: analysis.rbm_flow(fitted("BernoulliRBM"), X, 1, n_jackknife_blocks=2,
                                    random_state=0), "hard"),
    "analysis.matching_critical_temperature": (
        lambda X: analysis.matching_critical_temperature(
            X, h.targets_for(X), coarse(), data()[1], level=1, n_jackknife_blocks=2,
            random_state=0), "hard"),
    "analysis.matching_critical_temperature(small)": (
        lambda X: analysis.matching_critical_temperature(
            data()[0], data()[1], X, h.targets_for(X), level=1, n_jackknife_blocks=2,
            random_state=0), "hard", "coarse"),
    "metrics.correlation_preservation": (
        lambda X: metrics.correlation_preservation(_rg8(), X), "hard", "fine8"),
    "metrics.correlation_preservation_score": (
        lambda X: metrics.correlation_preservation_score(_rg8(), X), "hard", "fine8"),
    "metrics.coarse_entropy": (
        lambda X: metrics.coarse_entropy(_rg(), X, n_jackknife_blocks=2), "hard"),
    "metrics.hidden_visible_correlation": (
        lambda X: metrics.hidden_visible_correlation(_rg(), X), "soft"),
    "metrics.mutual_information": (
        lambda X: metrics.mutual_information(_rg(), X, buffer_width=0, environment_width=1,
                                             random_state=0), "soft"),
    "metrics.reconstruction_score": (lambda X: metrics.reconstruction_score(_rg(), X), "soft"),
    "metrics.coupling_locality_score": (
        lambda X: metrics.coupling_locality_score(fitted("CouplingFlowAnalyzer"), X), "hard"),
    "plotting.ConfigurationsDisplay.from_estimator": (
        lambda X: skrg.plotting.ConfigurationsDisplay.from_estimator(_rg(), X), "soft"),
    "plotting.CorrelatorMapDisplay.from_estimator": (
        lambda X: skrg.plotting.CorrelatorMapDisplay.from_estimator(_rg(), X), "soft"),
    "plotting.ConfigurationsDisplay.from_levels": (
        lambda X: skrg.plotting.ConfigurationsDisplay.from_levels(
            [X, coarse()], [(4, 4), (2, 2)]), "soft"),
}


def _estimator_entry_points():
    """fit, partial_fit, transform, score, ... of every estimator, as X entry points."""
    points = {}
    for name in h.ESTIMATOR_NAMES:
        # CouplingFlowAnalyzer measures couplings: discrete spins only.
        domain = "hard" if name == "CouplingFlowAnalyzer" else "soft"
        points[f"{name}.fit"] = (lambda X, n=name: unfitted(n).fit(X, h.targets_for(X)),
                                 domain)
        points[f"{name}.transform"] = (lambda X, n=name: fitted(n).transform(X), domain)
        points[f"{name}.score"] = (lambda X, n=name: fitted(n).score(X, h.targets_for(X)),
                                   domain)
    for name in ("BernoulliRBM", "IsingAutoencoder"):
        points[f"{name}.partial_fit"] = (lambda X, n=name: fitted(n).partial_fit(X), "soft")
        points[f"{name}.score_samples"] = (lambda X, n=name: fitted(n).score_samples(X), "soft")
    points["BernoulliRBM.free_energy"] = (lambda X: fitted("BernoulliRBM").free_energy(X),
                                          "soft")
    points["BernoulliRBM.gibbs"] = (lambda X: fitted("BernoulliRBM").gibbs(X), "soft")
    # The probability of a configuration: no mean values.
    points["BernoulliRBM.log_likelihood"] = (
        lambda X: fitted("BernoulliRBM").log_likelihood(X), "hard")
    for name in ("BlockSpinRG", "BernoulliRBM", "BernoulliRBMStack", "IsingAutoencoder"):
        points[f"{name}.inverse_transform"] = (
            lambda X, n=name: fitted(n).inverse_transform(X), "soft", "coarse")
    points["BernoulliRBM.hidden_hamiltonian"] = (
        lambda X: fitted("BernoulliRBM").hidden_hamiltonian(X), "soft", "coarse")
    return points


X_ENTRY_POINTS.update(_estimator_entry_points())


def _same_as_canonical(name, call, base):
    """Check: the result equals that of the canonical int8 input (same random_state)."""

    def check(result):
        _assert_same(result, call(BASES[base]()), name)

    return check


def _assert_same(result, expected, name):
    if isinstance(result, BaseEstimator):
        if hasattr(result, "transform"):
            X = data()[0]
            np.testing.assert_allclose(result.transform(X), expected.transform(X), rtol=1e-5,
                                       atol=1e-6, err_msg=name)
    elif isinstance(result, dict):
        assert result.keys() == expected.keys()
        for key in result:
            _assert_same(result[key], expected[key], name)
    elif isinstance(result, (tuple, list)):
        assert len(result) == len(expected)
        for a, b in zip(result, expected):
            _assert_same(a, b, name)
    elif hasattr(result, "plot"):  # a Display: compare its data (not the figure_, ax_...)
        data_of = lambda display: {k: v for k, v in vars(display).items()  # noqa: E731
                                   if not k.endswith("_")}
        _assert_same(data_of(result), data_of(expected), name)
    elif np.asarray(result).dtype.kind in "biuf":
        np.testing.assert_allclose(result, expected, rtol=1e-5, atol=1e-6, err_msg=name)


def _finite_output(result):
    """Check of a call that must work: finite output (a fitted estimator: its transform)."""
    if isinstance(result, BaseEstimator):
        result = result.transform(data()[0]) if hasattr(result, "transform") else None
    if not hasattr(result, "plot"):
        h.assert_finite(result)


def _score_or_documented_nan(result):
    # "NaN when G' is constant": one ordered configuration has G'(r) = 1 at every r.
    assert isinstance(result, float) and not math.isinf(result), result


# Where "works" means more (or less) than a finite output.
WORKS_CHECKS = {"metrics.correlation_preservation_score": _score_or_documented_nan}


def _x_cases():
    cases = []
    for point, (call, domain, *base) in X_ENTRY_POINTS.items():
        base = base[0] if base else "fine"

        def add(kind, build, expect, warns=None):
            cases.append(pytest.param(call, build, base, expect, warns, id=f"{point}-{kind}"))

        for kind, (build, soft, hard) in HOSTILE_X.items():
            expect = hard if domain == "hard" else soft
            add(kind, build, Works(_finite_output) if expect is None else expect)
        for kind, build in EQUIVALENT_X.items():
            add(f"same-as-{kind}", build, Works(_same_as_canonical(point, call, base)))
        # No rows: nothing to fit or average; per-row outputs may be empty instead.
        add("no-rows", lambda X: X[:0], Either(ValueError, check=rows_of(0)))
        # One sample: works with a finite result, or says that it needs more.
        add("one-sample", lambda X: X[:1],
            Either(ValueError, r"(?i)sample|row|at least",
                   check=WORKS_CHECKS.get(point, _finite_output)))
        # Booleans are {0, 1}, a likely mistake: a warning that names binary_to_spins.
        add("bool", lambda X: X > 0, Works(_finite_output) if domain == "soft" else NOT_HARD,
            UserWarning)
    return cases


@pytest.mark.parametrize("call, build, base, expect, warns", _x_cases())
def test_hostile_X(call, build, base, expect, warns):
    run_case(lambda: call(build(BASES[base]())), expect, warns)
