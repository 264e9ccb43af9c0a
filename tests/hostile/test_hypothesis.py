"""Property tests over generated hostile input: arrays of any dtype, shape and value.

Every entry point either succeeds with a finite, right-shaped result (checked against an
oracle where one exists) or raises ValueError/TypeError; never another exception type,
never a RuntimeWarning (a NaN or overflow in the making), never NaN from finite valid
input. Derandomized, so the suite is deterministic; examples are few and fits tiny.
"""

import functools
import math
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from sklearn.base import BaseEstimator, clone

import hostile_harness as h

import skrg
import skrg.io
from skrg import metrics
from skrg.ising import exact, observables
from skrg.lattice import check_lattice_shape, resolve_lattice_shape
from skrg.utils import check_spins, validate_spin_data

CLEAR = (ValueError, TypeError)


def fast(n):
    """Deterministic settings for ``n`` examples, counted for the session's report."""
    config = settings(max_examples=n, deadline=None, derandomize=True, database=None,
                      suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

    def decorate(test):
        @functools.wraps(test)
        def counted(*args, **kwargs):
            h.HYPOTHESIS_EXAMPLES[0] += 1
            return test(*args, **kwargs)
        return config(counted)
    return decorate


def outcome(call):
    """``call()``'s result, or None if it raised a clear error.

    RuntimeWarnings are errors; any exception other than ValueError/TypeError
    fails the test.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # the {0, 1} hint
        warnings.simplefilter("error", RuntimeWarning)
        try:
            return call()
        except CLEAR:
            return None


# ------------------------------------------------------------------ strategies

DTYPES = [np.bool_, np.int8, np.int16, np.int64, np.uint8, np.uint64, np.float16, np.float32,
          np.float64, np.complex128, np.dtype("U3"), np.dtype("S2"), np.dtype(object)]


@st.composite
def any_array(draw, max_dims=3, max_side=6):
    """An array of any of DTYPES, any shape up to 3D (0-d and empty included), any values."""
    dtype = np.dtype(draw(st.sampled_from(DTYPES)))
    shape = draw(hnp.array_shapes(min_dims=0, max_dims=max_dims, min_side=0,
                                  max_side=max_side))
    if dtype == object:
        elements = st.one_of(st.integers(-2, 2), st.floats(allow_nan=True), st.none(),
                             st.text(max_size=2))
        flat = draw(st.lists(elements, min_size=math.prod(shape), max_size=math.prod(shape)))
        array = np.empty(math.prod(shape), dtype=object)
        array[:] = flat
        return array.reshape(shape)
    if dtype.kind in "iub":
        # Mostly spins, sometimes anything the dtype holds.
        elements = st.one_of(st.sampled_from([-1, 0, 1] if dtype.kind == "i" else [0, 1]),
                             hnp.from_dtype(dtype))
    elif dtype.kind == "f":
        elements = st.one_of(st.sampled_from([-1.0, 1.0, 0.5, 0.0]),
                             hnp.from_dtype(dtype, allow_nan=True, allow_infinity=True))
    else:
        elements = hnp.from_dtype(dtype)
    return draw(hnp.arrays(dtype, shape, elements=elements))


def spins(shape, soft=False):
    """Valid configurations: +-1 (or reals in [-1, 1]) of the given shape."""
    elements = (st.floats(-1.0, 1.0, allow_subnormal=True) if soft
                else st.sampled_from([-1, 1]))
    return hnp.arrays(np.float64 if soft else np.int8, shape, elements=elements)


@st.composite
def lattice_data(draw, soft=False, min_rows=1, max_rows=6):
    """(X, lattice shape): a few configurations of a 1D, 2D or 3D lattice with even sides."""
    shape = draw(st.sampled_from([(4, 4), (2, 2), (2, 4), (8,), (4,), (2, 2, 2), (4, 2, 2)]))
    n_rows = draw(st.integers(min_rows, max_rows))
    X = draw(spins((n_rows, math.prod(shape)), soft=soft))
    return X, shape


# ------------------------------------------------------------- spin validation


@given(X=any_array())
@fast(400)
def test_validation_of_any_array(X):
    """check_spins and validate_spin_data accept exactly the spin domain, values unchanged."""
    numeric = X.dtype.kind in "biuf"
    valid = (numeric and X.ndim == 2 and X.shape[1] > 0
             and bool(np.all(np.isfinite(X.astype(np.float64)) & (np.abs(X) <= 1))))
    hard = valid and bool(np.all(np.abs(X.astype(np.float64)) == 1))
    soft = outcome(lambda: check_spins(X, allow_soft=True))
    strict = outcome(lambda: check_spins(X))
    fitted = outcome(lambda: validate_spin_data(BaseEstimator(), X, reset=True))
    if X.dtype == object:
        return  # numbers inside objects are checked by the examples of the corpus
    assert (soft is not None) == valid
    assert (strict is not None) == hard
    assert (fitted is not None) == (valid and X.shape[0] > 0)
    for result in (soft, strict, fitted):
        if result is not None:
            assert result.shape == X.shape
            np.testing.assert_array_equal(result.astype(np.float64), X.astype(np.float64))
    if fitted is not None:
        assert fitted.dtype == (np.int8 if hard else np.float64)


@given(shape=st.one_of(st.integers(-3, 10**12), st.tuples(st.integers(-3, 9)),
                       st.lists(st.integers(-2, 9), max_size=5), st.floats(),
                       st.text(max_size=3), st.none(), st.booleans(),
                       st.lists(st.floats(0, 9), max_size=3)),
       n_sites=st.integers(0, 100))
@fast(100)
def test_lattice_shapes(shape, n_sites):
    checked = outcome(lambda: check_lattice_shape(shape))
    if checked is not None:
        assert 1 <= len(checked) <= 3 and all(isinstance(s, int) and s >= 1 for s in checked)
    resolved = outcome(lambda: resolve_lattice_shape(shape, n_sites))
    if resolved is not None:
        assert math.prod(resolved) == n_sites


# ---------------------------------------------------------------- estimators


def _estimator(name):
    return clone(h.estimators()[name])


ESTIMATORS = [name for name in h.ESTIMATOR_NAMES if name != "CouplingFlowAnalyzer"]


@pytest.mark.parametrize("name", ESTIMATORS)
@given(X=any_array(max_dims=3, max_side=5))
@fast(25)
def test_fit_on_any_array(name, X):
    """Garbage in: a clear error or a fitted model whose output is finite."""
    estimator = outcome(lambda: _estimator(name).fit(X))
    if estimator is not None:
        Z = outcome(lambda: estimator.transform(X))
        assert Z is not None and Z.shape[0] == len(X) and np.all(np.isfinite(Z))


@pytest.mark.parametrize("name", h.ESTIMATOR_NAMES)
@given(X=any_array(max_dims=3, max_side=17))
@fast(25)
def test_fitted_methods_on_any_array(name, X):
    """A fitted model fed garbage: a clear error, or finite output of one row per row."""
    estimator = h.fitted(name)
    for method in ("transform", "score", "inverse_transform"):
        if hasattr(estimator, method):
            result = outcome(lambda m=method: getattr(estimator, m)(X))
            if result is not None:
                assert np.all(np.isfinite(result))
                if method != "score":
                    assert np.shape(result)[0] == len(X)


@pytest.mark.parametrize("name", ESTIMATORS)
@pytest.mark.filterwarnings("ignore:X holds only 0 and 1")
@given(data=lattice_data(soft=True), mean=st.booleans())
@fast(25)
def test_fit_transform_on_valid_spins(name, data, mean):
    """Any valid soft spins on any lattice that suits the estimator: finite output in [-1, 1]."""
    X, shape = data
    estimator = _estimator(name).set_params(lattice_shape=shape,
                                            output="mean" if mean else "spins")
    estimator = outcome(lambda: estimator.fit(X))
    if estimator is None:
        return  # e.g. a block that does not divide a side of 2: refused clearly
    Z = estimator.transform(X)
    assert Z.shape[0] == len(X) and np.all(np.isfinite(Z)) and np.all(np.abs(Z) <= 1)
    if not mean:
        assert set(np.unique(Z)) <= {-1, 1}
    V = estimator.inverse_transform(Z)
    assert V.shape == X.shape and np.all(np.isfinite(V)) and np.all(np.abs(V) <= 1)
    # The fitted model turns away what does not fit it, clearly.
    assert outcome(lambda: estimator.transform(X[:, :-1])) is None


@given(data=lattice_data(min_rows=4, max_rows=8), temperatures=st.sampled_from(
    [(2.0, 3.0), (1.0, 1e3), (0.5, 2.269)]))
@fast(20)
def test_coupling_flow_on_valid_spins(data, temperatures):
    X, shape = data
    y = np.resize(np.asarray(temperatures), len(X))
    analyzer = h.estimators()["CouplingFlowAnalyzer"].set_params(lattice_shape=shape)
    analyzer = outcome(lambda: analyzer.fit(X, y))
    if analyzer is not None:
        Z = analyzer.transform(X)
        assert Z.shape[0] == len(X)


# ------------------------------------------------------------------- metrics


@given(data=lattice_data(min_rows=1, max_rows=8))
@fast(40)
def test_metrics_on_valid_spins(data):
    X, shape = data
    rg = outcome(lambda: skrg.BlockSpinRG(lattice_shape=shape, random_state=0).fit(X))
    assume(rg is not None)
    C = outcome(lambda: metrics.hidden_visible_correlation(rg, X))
    if C is not None:
        assert C.shape == (rg.transform(X).shape[1], X.shape[1]) and np.all(np.isfinite(C))
    score = outcome(lambda: metrics.reconstruction_score(rg, X))
    if score is not None:
        assert math.isfinite(score)
    result = outcome(lambda: metrics.correlation_preservation(rg, X))
    if result is not None:
        for key in ("coarse", "fine", "coarse_error", "fine_error"):
            assert np.all(np.isfinite(result[key]))
        assert not math.isinf(result.score)
        if math.isnan(result.score):  # documented: G' constant over r, or G zero
            assert np.ptp(result.coarse) == 0 or np.all(result.fine == 0)
    entropy = outcome(lambda: metrics.coarse_entropy(rg, X, n_jackknife_blocks=2))
    if entropy is not None:
        assert math.isfinite(entropy.value) and entropy.value >= 0


@given(W=any_array(max_dims=3, max_side=5))
@fast(60)
def test_hoyer_sparsity(W):
    s = outcome(lambda: metrics.hoyer_sparsity(W))
    if s is not None:
        rows = np.atleast_2d(np.asarray(W, dtype=np.float64))
        zero = ~np.any(rows != 0, axis=1)
        assert np.all(np.isnan(s) == zero)  # documented: NaN for a row of zeros only
        assert np.all((s[~zero] >= -1e-12) & (s[~zero] <= 1 + 1e-12))


# --------------------------------------------------------- observables, exact


@given(data=lattice_data(min_rows=0, max_rows=8))
@fast(60)
def test_observables_on_valid_spins(data):
    X, shape = data
    m = observables.magnetization(X)
    assert m.shape == (len(X),) and np.all(np.abs(m) <= 1)
    e = observables.energy(X, shape)
    assert e.shape == (len(X),) and np.all(np.abs(e) <= len(shape))
    for statistic in (lambda: observables.binder_cumulant(X),
                      lambda: observables.specific_heat(X, 2.0, shape),
                      lambda: observables.susceptibility(X, 2.0)):
        value = outcome(statistic)
        if value is not None:
            assert math.isfinite(value)


@given(x=st.one_of(
    hnp.arrays(np.float64, st.integers(0, 40), elements=st.floats(allow_nan=False,
                                                                   allow_infinity=False)),
    any_array(max_dims=2, max_side=8)))
@fast(80)
def test_series(x):
    rho = outcome(lambda: observables.autocorrelation_function(x))
    if rho is not None:
        assert rho[0] == 1 and np.all(np.isfinite(rho)) and np.all(np.abs(rho) <= 1 + 1e-9)
    tau = outcome(lambda: observables.integrated_autocorrelation_time(x))
    if tau is not None:
        assert math.isfinite(tau) and tau >= 1
    error = outcome(lambda: observables.binned_standard_error(x, n_bins=2))
    if error is not None:
        assert np.all(np.isfinite(error)) and np.all(np.asarray(error) >= 0)


TEMPERATURES = st.one_of(st.floats(1e-300, 1e300), st.sampled_from([0.0, -1.0, np.nan, np.inf,
                                                                     5e-324, True]))


@given(T=TEMPERATURES)
@fast(80)
def test_exact_results(T):
    valid = not isinstance(T, bool) and math.isfinite(T) and T > 0 and math.isfinite(1 / T)
    for f in (exact.onsager_energy, exact.onsager_magnetization,
              lambda t: exact.finite_lattice_energy((4, 4), t),
              lambda t: exact.finite_lattice_specific_heat((3, 5), t),
              lambda t: exact.finite_lattice_log_partition(4, t),
              lambda t: exact.exact_observables((2, 2), t)):
        value = outcome(lambda f=f: f(T))
        assert (value is not None) == valid
        if value is not None:
            h.assert_finite(value)
    if valid:
        _, _, p = exact.exact_probabilities((2, 2), T)
        assert abs(p.sum() - 1) < 1e-12 and np.all(p >= 0)


# ------------------------------------------------------------------------- files


@pytest.fixture(scope="module")
def dataset_bytes(tmp_path_factory):
    path = tmp_path_factory.mktemp("dataset") / "valid.npz"
    skrg.io.save_dataset(path, *h.data(), seed=0)
    return path.read_bytes()


@given(damage=st.one_of(
    st.tuples(st.just("random"), st.binary(max_size=600)),
    st.tuples(st.just("flip"), st.integers(0, 10**6), st.integers(1, 255)),
    st.tuples(st.just("cut"), st.integers(0, 10**6))))
@fast(60)
def test_damaged_dataset_file(tmp_path_factory, dataset_bytes, damage):
    """Random bytes, a flipped byte, a cut: ValueError, or (damage where nothing is read,
    such as a zip comment) exactly the data that was saved."""
    kind, *args = damage
    if kind == "random":
        content = args[0]
    elif kind == "flip":
        at = args[0] % len(dataset_bytes)
        content = bytearray(dataset_bytes)
        content[at] ^= args[1]
        content = bytes(content)
    else:
        content = dataset_bytes[: args[0] % len(dataset_bytes)]
    path = tmp_path_factory.mktemp("damaged") / "d.npz"
    path.write_bytes(content)
    loaded = outcome(lambda: skrg.io.load_dataset(path))
    if loaded is not None:
        X, y = h.data()
        np.testing.assert_array_equal(loaded[0], X)
        np.testing.assert_array_equal(loaded[1], y)

