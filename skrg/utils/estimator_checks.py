"""Checks that an estimator honours the scikit-learn contract on spin-lattice data.

scikit-learn's own ``check_estimator`` feeds arbitrary reals of arbitrary width,
which a spin lattice cannot honestly accept. The checks here run the same
contract (clone, parameters, fit, pickle, ``n_features_in_``, ``set_output``,
no mutation of ``X``, row order and subset invariance, determinism under
``random_state``, clear errors on bad input) on Ising configurations, plus the
coarse-grainer protocol for every estimator with an ``output`` parameter:
``"spins"`` gives int8 +-1, ``"mean"`` gives floats in [-1, 1], and the
geometry, ``inverse_transform``, ``for_lattice``, ``score`` and soft input
behave as documented in the design of skrg.

Which checks run is decided by what the estimator has (``transform``,
``score``, ``inverse_transform``, ``for_lattice``, an ``output`` or
``random_state`` parameter), never by its name, so a user's own coarse-grainer
is checked with the same functions::

    from skrg.utils.estimator_checks import check_estimator
    check_estimator(MyCoarseGrainer(random_state=0))

Every check is a public function ``check_xxx(name, estimator, X, y)`` that
raises :class:`AssertionError` on failure; ``fit`` always receives ``y`` (the
temperatures of the default data), which unsupervised estimators ignore.
"""

import functools
import inspect
import math
import numbers
import pickle
import re
import warnings
from unittest import SkipTest

import joblib
import numpy as np
from sklearn import config_context
from sklearn.base import BaseEstimator, clone
from sklearn.exceptions import EstimatorCheckFailedWarning, NotFittedError
from sklearn.utils.validation import check_is_fitted

from ..lattice import resolve_lattice_shape

__all__ = [
    "check_estimator",
    "parametrize_with_checks",
    "check_estimator_params",
    "check_fit_returns_self",
    "check_not_fitted",
    "check_fit_idempotent",
    "check_pickle",
    "check_n_features_in",
    "check_dont_mutate_input",
    "check_input_dtype_invariance",
    "check_rejects_out_of_range",
    "check_rejects_non_finite",
    "check_warns_binary",
    "check_random_state_determinism",
    "check_row_order_invariance",
    "check_subset_invariance",
    "check_set_output_pandas",
    "check_score",
    "check_output_spins",
    "check_output_mean",
    "check_coarse_lattice_shape",
    "check_feature_names_out",
    "check_soft_input",
    "check_inverse_transform",
    "check_for_lattice",
]

_DEFAULT_TEMPERATURES = (2.0, 2.6, 3.2)
_DEFAULT_SAMPLES_PER_TEMPERATURE = 20
# Seed given to an estimator whose random_state is None before a check that
# compares two outputs (as scikit-learn's set_random_state does).
_CHECK_SEED = 0
_ROW_METHODS = ("transform", "predict")


# --------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------


def _seeded(estimator):
    """Clone ``estimator``, giving it an int ``random_state`` if it has None or a generator."""
    estimator = clone(estimator)
    params = estimator.get_params(deep=False)
    if "random_state" in params and not isinstance(params["random_state"], numbers.Integral):
        estimator.set_params(random_state=_CHECK_SEED)
    return estimator


def _has_param(estimator, param):
    return param in estimator.get_params(deep=False)


def _score(estimator, X, y):
    """``score(X, y)`` if the signature takes ``y``, else ``score(X)``."""
    if "y" in inspect.signature(estimator.score).parameters:
        return estimator.score(X, y)
    return estimator.score(X)


def _outputs(estimator, X, y):
    """Every output of a fitted estimator on ``X``: transform, predict, score."""
    out = {m: getattr(estimator, m)(X) for m in _ROW_METHODS if hasattr(estimator, m)}
    if hasattr(estimator, "score"):
        out["score"] = _score(estimator, X, y)
    return out


def _assert_same(a, b, what):
    """Equal outputs: bitwise for integers, to float rounding otherwise."""
    a, b = np.asarray(a), np.asarray(b)
    if a.shape != b.shape:
        raise AssertionError(f"{what}: shapes differ, {a.shape} and {b.shape}.")
    if a.dtype.kind in "biu" and b.dtype.kind in "biu":
        if not np.array_equal(a, b):
            n_diff = int((a != b).sum())
            raise AssertionError(f"{what}: {n_diff} of {a.size} values differ.")
    else:
        np.testing.assert_allclose(a, b, rtol=1e-7, atol=1e-12, err_msg=what)


def _assert_same_outputs(a, b, what):
    for method in a:
        _assert_same(a[method], b[method], f"{what} ({method})")


def _assert_raises(exc_type, func, *args, match=None, what=""):
    """Assert that ``func(*args)`` raises ``exc_type`` whose message matches."""
    try:
        func(*args)
    except exc_type as exc:
        if match is not None and not re.search(match, str(exc)):
            raise AssertionError(
                f"{what}: raised {type(exc).__name__} as expected, but its message "
                f"{str(exc)!r} does not match {match!r}."
            ) from exc
        return
    except Exception as exc:
        raise AssertionError(
            f"{what}: expected {exc_type.__name__}, got {type(exc).__name__}: {exc}"
        ) from exc
    raise AssertionError(f"{what}: expected {exc_type.__name__}, nothing was raised.")


def _fine_shape(estimator, n_features):
    """The lattice of the input: ``lattice_shape_``, the parameter, or the square."""
    shape = getattr(estimator, "lattice_shape_", None)
    if shape is None:
        shape = estimator.get_params(deep=False).get("lattice_shape")
    return resolve_lattice_shape(shape, n_features)


def _tile(X, shape, reps):
    """Periodic copies of each configuration: a valid state of the larger lattice."""
    n = X.shape[0]
    return np.tile(X.reshape(n, *shape), (1, *reps)).reshape(n, -1)


def _soft(X, random_state=0):
    """Soft spins in [-1, 1] with the signs of ``X``, some exactly 0 (ties)."""
    rng = np.random.default_rng(random_state)
    scale = rng.uniform(0.05, 1.0, size=X.shape)
    scale[rng.random(X.shape) < 0.05] = 0.0
    return X * scale


def _check_width(name, Xt, n_samples, what):
    Xt = np.asarray(Xt)
    if Xt.ndim != 2 or Xt.shape[0] != n_samples:
        raise AssertionError(
            f"{name}.{what} must return shape (n_samples, n_outputs) with "
            f"n_samples={n_samples}, got {Xt.shape}."
        )
    return Xt


_CHECK_PARAMETERS = """    Parameters
    ----------
    name : str
        Name of the estimator, used in messages.
    estimator : estimator instance
        The estimator to check; it is cloned, never modified.
    X : ndarray of shape (n_samples, n_sites)
        Spin configurations.
    y : ndarray of shape (n_samples,) or None
        Passed to every ``fit`` (and to ``score`` if it takes ``y``).

    Raises
    ------
    AssertionError
        If the estimator fails the check.
"""


def _check(func):
    """Turn any error a check meets into an ``AssertionError`` naming the check.

    A check fails with ``AssertionError`` whether it asserted or the estimator
    itself raised (a crash in ``transform`` is a failure of the check too).
    """

    func.__doc__ = func.__doc__.replace("    <check parameters>\n", _CHECK_PARAMETERS)

    @functools.wraps(func)
    def check(name, estimator, X, y):
        try:
            return func(name, estimator, X, y)
        except (AssertionError, SkipTest):
            raise
        except Exception as exc:
            raise AssertionError(
                f"{func.__name__}: {name} raised {type(exc).__name__}: {exc}"
            ) from exc

    return check


# --------------------------------------------------------------------------
# checks of the scikit-learn contract
# --------------------------------------------------------------------------


@_check
def check_estimator_params(name, estimator, X, y):
    """``__init__`` stores parameters unchanged; clone and get/set_params round-trip.

    Also checks that an unfitted estimator has no fitted (``name_``) attribute
    and that ``fit`` changes no parameter.

    <check parameters>

    Examples
    --------
    >>> from skrg import BlockSpinRG, make_ising
    >>> from skrg.utils.estimator_checks import check_estimator_params
    >>> X, y = make_ising(10, (8, 8), [2.0, 3.2], random_state=0)
    >>> check_estimator_params("BlockSpinRG", BlockSpinRG(random_state=0), X, y)
    """
    params = estimator.get_params(deep=False)
    fresh = type(estimator)(**params)
    for key, value in params.items():
        if getattr(fresh, key, None) is not value:
            raise AssertionError(
                f"{name}.__init__ must store parameter {key!r} unchanged (as the same "
                f"object), got {getattr(fresh, key, None)!r} for {value!r}."
            )
    fitted = [k for k in vars(fresh) if k.endswith("_") and not k.startswith("_")]
    if fitted:
        raise AssertionError(f"{name}.__init__ sets fitted attributes {fitted}.")
    try:
        cloned = clone(estimator)
    except Exception as exc:
        raise AssertionError(f"clone({name}) failed: {exc}") from exc

    def summary(p):
        return {k: type(v) if isinstance(v, BaseEstimator) else v for k, v in p.items()}

    if joblib.hash(summary(cloned.get_params(deep=False))) != joblib.hash(summary(params)):
        raise AssertionError(f"clone({name}) has different parameters from {name}.")
    for key, value in params.items():
        if cloned.set_params(**{key: value}).get_params(deep=False)[key] is not value:
            raise AssertionError(
                f"{name}.set_params({key}=...) then get_params() does not return it."
            )
    estimator = clone(estimator)
    before = estimator.get_params(deep=False)
    estimator.fit(X, y)
    changed = [k for k, v in estimator.get_params(deep=False).items() if v is not before[k]]
    if changed:
        raise AssertionError(
            f"{name}.fit changed parameters {changed}; store results in attributes "
            "ending in '_'."
        )


@_check
def check_fit_returns_self(name, estimator, X, y):
    """``fit(X, y)`` returns the estimator itself.

    <check parameters>

    Examples
    --------
    >>> from skrg import BlockSpinRG, make_ising
    >>> from skrg.utils.estimator_checks import check_fit_returns_self
    >>> X, y = make_ising(10, (8, 8), [2.0, 3.2], random_state=0)
    >>> check_fit_returns_self("BlockSpinRG", BlockSpinRG(random_state=0), X, y)
    """
    estimator = clone(estimator)
    if estimator.fit(X, y) is not estimator:
        raise AssertionError(f"{name}.fit must return self.")


@_check
def check_not_fitted(name, estimator, X, y):
    """Every method used after fit raises ``NotFittedError`` before fit.

    After fit, :func:`sklearn.utils.validation.check_is_fitted` passes.

    <check parameters>

    Examples
    --------
    >>> from skrg import BlockSpinRG, make_ising
    >>> from skrg.utils.estimator_checks import check_not_fitted
    >>> X, y = make_ising(10, (8, 8), [2.0, 3.2], random_state=0)
    >>> check_not_fitted("BlockSpinRG", BlockSpinRG(random_state=0), X, y)
    """
    estimator = clone(estimator)
    methods = (*_ROW_METHODS, "inverse_transform")
    calls = {m: getattr(estimator, m) for m in methods if hasattr(estimator, m)}
    if hasattr(estimator, "score"):
        calls["score"] = lambda X: _score(estimator, X, y)
    for method, call in calls.items():
        _assert_raises(NotFittedError, call, X, what=f"{name}.{method} before fit")
    estimator.fit(X, y)
    try:
        check_is_fitted(estimator)
    except NotFittedError as exc:
        raise AssertionError(f"check_is_fitted fails on a fitted {name}: {exc}") from exc


@_check
def check_fit_idempotent(name, estimator, X, y):
    """Refitting on the same data gives the same outputs, whatever was fitted before.

    <check parameters>

    Examples
    --------
    >>> from skrg import BlockSpinRG, make_ising
    >>> from skrg.utils.estimator_checks import check_fit_idempotent
    >>> X, y = make_ising(10, (8, 8), [2.0, 3.2], random_state=0)
    >>> check_fit_idempotent("BlockSpinRG", BlockSpinRG(random_state=0), X, y)
    """
    estimator = _seeded(estimator)
    first = _outputs(estimator.fit(X, y), X, y)
    other = np.random.default_rng(0).permutation(len(X))[: max(2, 2 * len(X) // 3)]
    estimator.fit(X[other], None if y is None else y[other])
    again = _outputs(estimator.fit(X, y), X, y)
    _assert_same_outputs(first, again, f"{name}: refit on the same data")


@_check
def check_pickle(name, estimator, X, y):
    """A pickled and unpickled fitted estimator gives identical outputs.

    <check parameters>

    Examples
    --------
    >>> from skrg import BlockSpinRG, make_ising
    >>> from skrg.utils.estimator_checks import check_pickle
    >>> X, y = make_ising(10, (8, 8), [2.0, 3.2], random_state=0)
    >>> check_pickle("BlockSpinRG", BlockSpinRG(random_state=0), X, y)
    """
    estimator = _seeded(estimator).fit(X, y)
    expected = _outputs(estimator, X, y)
    try:
        restored = pickle.loads(pickle.dumps(estimator))
    except Exception as exc:
        raise AssertionError(f"a fitted {name} cannot be pickled: {exc}") from exc
    _assert_same_outputs(expected, _outputs(restored, X, y), f"{name} after pickling")


@_check
def check_n_features_in(name, estimator, X, y):
    """``fit`` sets ``n_features_in_``; later methods reject another width.

    The other widths are a quarter and four times as many sites (16 and 256
    for the default 8x8 data, square lattices themselves, so only the recorded
    ``n_features_in_`` can reject them). The ``ValueError`` must state the
    expected width.

    <check parameters>

    Examples
    --------
    >>> from skrg import BlockSpinRG, make_ising
    >>> from skrg.utils.estimator_checks import check_n_features_in
    >>> X, y = make_ising(10, (8, 8), [2.0, 3.2], random_state=0)
    >>> check_n_features_in("BlockSpinRG", BlockSpinRG(random_state=0), X, y)
    """
    estimator = clone(estimator).fit(X, y)
    n_features = X.shape[1]
    if getattr(estimator, "n_features_in_", None) != n_features:
        raise AssertionError(
            f"{name}.fit must set n_features_in_ = {n_features}, got "
            f"{getattr(estimator, 'n_features_in_', 'nothing')!r}."
        )
    wider = np.concatenate([X] * 4, axis=1)
    narrower = X[:, : max(1, n_features // 4)]
    calls = {m: getattr(estimator, m) for m in _ROW_METHODS if hasattr(estimator, m)}
    if hasattr(estimator, "score"):
        calls["score"] = lambda X: _score(estimator, X, y)
    for method, call in calls.items():
        for X_other in (wider, narrower):
            _assert_raises(
                ValueError,
                call,
                X_other,
                match=str(n_features),
                what=f"{name}.{method} on {X_other.shape[1]} features (fitted on {n_features})",
            )


@_check
def check_dont_mutate_input(name, estimator, X, y):
    """``fit`` and every later method leave ``X`` and ``y`` untouched.

    <check parameters>

    Examples
    --------
    >>> from skrg import BlockSpinRG, make_ising
    >>> from skrg.utils.estimator_checks import check_dont_mutate_input
    >>> X, y = make_ising(10, (8, 8), [2.0, 3.2], random_state=0)
    >>> check_dont_mutate_input("BlockSpinRG", BlockSpinRG(random_state=0), X, y)
    """
    for dtype in (X.dtype, np.float64):
        X_in = X.astype(dtype)
        y_in = None if y is None else y.copy()
        estimator_ = clone(estimator).fit(X_in, y_in)
        _outputs(estimator_, X_in, y_in)
        if not np.array_equal(X_in, X):
            raise AssertionError(f"{name} modified X (dtype {np.dtype(dtype)}) in place.")
        if y is not None and not np.array_equal(y_in, y):
            raise AssertionError(f"{name} modified y in place.")


@_check
def check_input_dtype_invariance(name, estimator, X, y):
    """The same +-1 spins as int8, int64, float32 or float64 give the same outputs.

    Counter-based randomness must hash the values of a row, not its bytes.

    <check parameters>

    Examples
    --------
    >>> from skrg import BlockSpinRG, make_ising
    >>> from skrg.utils.estimator_checks import check_input_dtype_invariance
    >>> X, y = make_ising(10, (8, 8), [2.0, 3.2], random_state=0)
    >>> check_input_dtype_invariance("BlockSpinRG", BlockSpinRG(random_state=0), X, y)
    """
    estimator = _seeded(estimator)
    expected = _outputs(clone(estimator).fit(X.astype(np.int8), y), X.astype(np.int8), y)
    for dtype in (np.int64, np.float32, np.float64):
        X_dtype = X.astype(dtype)
        got = _outputs(clone(estimator).fit(X_dtype, y), X_dtype, y)
        _assert_same_outputs(expected, got, f"{name} on {np.dtype(dtype)} spins vs int8")


@_check
def check_rejects_out_of_range(name, estimator, X, y):
    """Values outside [-1, 1] raise a ``ValueError`` naming ``X``, in fit and after.

    <check parameters>

    Examples
    --------
    >>> from skrg import BlockSpinRG, make_ising
    >>> from skrg.utils.estimator_checks import check_rejects_out_of_range
    >>> X, y = make_ising(10, (8, 8), [2.0, 3.2], random_state=0)
    >>> check_rejects_out_of_range("BlockSpinRG", BlockSpinRG(random_state=0), X, y)
    """
    values = {"2.0": 2.0, "-1.5": -1.5, "3 (int)": 3}
    _check_bad_values(name, estimator, X, y, values, match=r"\bX\b")


@_check
def check_rejects_non_finite(name, estimator, X, y):
    """NaN and infinite values raise a ``ValueError`` naming ``X``, in fit and after.

    The message also says ``NaN`` or ``inf``.

    <check parameters>

    Examples
    --------
    >>> from skrg import BlockSpinRG, make_ising
    >>> from skrg.utils.estimator_checks import check_rejects_non_finite
    >>> X, y = make_ising(10, (8, 8), [2.0, 3.2], random_state=0)
    >>> check_rejects_non_finite("BlockSpinRG", BlockSpinRG(random_state=0), X, y)
    """
    values = {"NaN": np.nan, "inf": np.inf, "-inf": -np.inf}
    _check_bad_values(name, estimator, X, y, values, match=r"(?s)(?=.*\bX\b).*(NaN|inf)")


def _check_bad_values(name, estimator, X, y, values, match):
    fitted = clone(estimator).fit(X, y)
    calls = {m: getattr(fitted, m) for m in _ROW_METHODS if hasattr(fitted, m)}
    if hasattr(fitted, "score"):
        calls["score"] = lambda X: _score(fitted, X, y)
    calls["fit"] = lambda X: clone(estimator).fit(X, y)
    for label, value in values.items():
        X_bad = X.astype(np.int64 if isinstance(value, int) else np.float64)
        X_bad[len(X) // 2, X.shape[1] // 2] = value
        for method, call in calls.items():
            _assert_raises(
                ValueError, call, X_bad, match=match,
                what=f"{name}.{method} on X holding {label}",
            )


@_check
def check_warns_binary(name, estimator, X, y):
    """Data of only 0 and 1 gets a ``UserWarning`` naming ``binary_to_spins``.

    The warning is required from ``fit`` and from every later method; an
    estimator that needs exact +-1 spins may raise a ``ValueError`` after it.

    <check parameters>

    Examples
    --------
    >>> from skrg import BlockSpinRG, make_ising
    >>> from skrg.utils.estimator_checks import check_warns_binary
    >>> X, y = make_ising(10, (8, 8), [2.0, 3.2], random_state=0)
    >>> check_warns_binary("BlockSpinRG", BlockSpinRG(random_state=0), X, y)
    """
    X01 = ((X + 1) // 2).astype(X.dtype)
    fitted = clone(estimator).fit(X, y)
    calls = {m: getattr(fitted, m) for m in _ROW_METHODS if hasattr(fitted, m)}
    calls["fit"] = lambda X: clone(estimator).fit(X, y)
    for method, call in calls.items():
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                call(X01)
            except ValueError:
                pass
        if not any(
            issubclass(w.category, UserWarning) and "binary_to_spins" in str(w.message)
            for w in caught
        ):
            raise AssertionError(
                f"{name}.{method} on data of only 0 and 1 must warn (UserWarning) and "
                "name skrg.utils.binary_to_spins."
            )


@_check
def check_random_state_determinism(name, estimator, X, y):
    """Two fresh fits with the same int ``random_state`` give identical outputs.

    <check parameters>

    Examples
    --------
    >>> from skrg import BlockSpinRG, make_ising
    >>> from skrg.utils.estimator_checks import check_random_state_determinism
    >>> X, y = make_ising(10, (8, 8), [2.0, 3.2], random_state=0)
    >>> est = BlockSpinRG(rule="average", random_state=0)
    >>> check_random_state_determinism("BlockSpinRG", est, X, y)
    """
    seed = estimator.get_params(deep=False)["random_state"]
    if not isinstance(seed, numbers.Integral):
        seed = _CHECK_SEED
    first = _outputs(clone(estimator).set_params(random_state=seed).fit(X, y), X, y)
    second = _outputs(clone(estimator).set_params(random_state=seed).fit(X, y), X, y)
    _assert_same_outputs(first, second, f"{name}: two fits with random_state={seed}")


@_check
def check_row_order_invariance(name, estimator, X, y):
    """Row-wise outputs follow the rows: ``transform(X[perm]) == transform(X)[perm]``.

    <check parameters>

    Examples
    --------
    >>> from skrg import BlockSpinRG, make_ising
    >>> from skrg.utils.estimator_checks import check_row_order_invariance
    >>> X, y = make_ising(10, (8, 8), [2.0, 3.2], random_state=0)
    >>> est = BlockSpinRG(rule="average", random_state=0)
    >>> check_row_order_invariance("BlockSpinRG", est, X, y)
    """
    estimator = _seeded(estimator).fit(X, y)
    perm = np.random.default_rng(0).permutation(len(X))
    for method in _ROW_METHODS:
        if hasattr(estimator, method):
            call = getattr(estimator, method)
            _assert_same(
                call(X[perm]), np.asarray(call(X))[perm],
                f"{name}.{method}(X[perm]) vs {method}(X)[perm]",
            )


@_check
def check_subset_invariance(name, estimator, X, y):
    """Row-wise outputs of a subset are the subset of the outputs.

    ``transform(X[a:b]) == transform(X)[a:b]``, for one row and for half of them.

    <check parameters>

    Examples
    --------
    >>> from skrg import BlockSpinRG, make_ising
    >>> from skrg.utils.estimator_checks import check_subset_invariance
    >>> X, y = make_ising(10, (8, 8), [2.0, 3.2], random_state=0)
    >>> est = BlockSpinRG(rule="average", random_state=0)
    >>> check_subset_invariance("BlockSpinRG", est, X, y)
    """
    estimator = _seeded(estimator).fit(X, y)
    n = len(X)
    for method in _ROW_METHODS:
        if hasattr(estimator, method):
            call = getattr(estimator, method)
            full = np.asarray(call(X))
            for rows in (slice(0, n // 2), slice(n // 3, n // 3 + 1)):
                _assert_same(
                    call(X[rows]), full[rows],
                    f"{name}.{method}(X[{rows.start}:{rows.stop}]) vs "
                    f"{method}(X)[{rows.start}:{rows.stop}]",
                )


@_check
def check_set_output_pandas(name, estimator, X, y):
    """``set_output(transform="pandas")`` gives a DataFrame of the same values.

    Its columns are ``get_feature_names_out()``. Skipped (``SkipTest``) when
    pandas is not installed.

    <check parameters>

    Examples
    --------
    >>> from skrg import BlockSpinRG, make_ising
    >>> from skrg.utils.estimator_checks import check_set_output_pandas
    >>> X, y = make_ising(10, (8, 8), [2.0, 3.2], random_state=0)
    >>> check_set_output_pandas("BlockSpinRG", BlockSpinRG(random_state=0), X, y)
    """
    try:
        import pandas as pd
    except ImportError:
        raise SkipTest("pandas is not installed: set_output is not checked.") from None
    estimator = _seeded(estimator)
    expected = clone(estimator).fit(X, y).transform(X)
    try:
        pandas_estimator = clone(estimator).set_output(transform="pandas").fit(X, y)
        got = pandas_estimator.transform(X)
    except Exception as exc:
        raise AssertionError(f'{name} with set_output(transform="pandas") fails: {exc}') from exc
    if not isinstance(got, pd.DataFrame):
        raise AssertionError(
            f'{name}.set_output(transform="pandas").transform must return a '
            f"DataFrame, got {type(got).__name__}."
        )
    names = list(pandas_estimator.get_feature_names_out())
    if list(got.columns) != names:
        raise AssertionError(f"{name}: DataFrame columns are not get_feature_names_out().")
    _assert_same(got.to_numpy(), expected, f"{name}: pandas output vs default output")


@_check
def check_score(name, estimator, X, y):
    """``score`` returns one finite float.

    <check parameters>

    Examples
    --------
    >>> from skrg import BlockSpinRG, make_ising
    >>> from skrg.utils.estimator_checks import check_score
    >>> X, y = make_ising(10, (8, 8), [2.0, 3.2], random_state=0)
    >>> check_score("BlockSpinRG", BlockSpinRG(random_state=0), X, y)
    """
    estimator = _seeded(estimator).fit(X, y)
    score = _score(estimator, X, y)
    if not isinstance(score, (float, np.floating)) or not math.isfinite(score):
        raise AssertionError(
            f"{name}.score must return a finite float, got {score!r} ({type(score).__name__})."
        )


# --------------------------------------------------------------------------
# checks of the coarse-grainer protocol (estimators with an `output` parameter)
# --------------------------------------------------------------------------


@_check
def check_output_spins(name, estimator, X, y):
    """``output="spins"`` gives int8 coarse spins, every value -1 or +1.

    <check parameters>

    Examples
    --------
    >>> from skrg import BlockSpinRG, make_ising
    >>> from skrg.utils.estimator_checks import check_output_spins
    >>> X, y = make_ising(10, (8, 8), [2.0, 3.2], random_state=0)
    >>> check_output_spins("BlockSpinRG", BlockSpinRG(random_state=0), X, y)
    """
    estimator = _seeded(estimator).set_params(output="spins").fit(X, y)
    for label, X_in in (("hard", X), ("soft", _soft(X))):
        Xt = _check_width(name, estimator.transform(X_in), len(X), "transform")
        if Xt.dtype != np.int8:
            raise AssertionError(
                f'{name}(output="spins").transform must return int8, got {Xt.dtype} '
                f"on {label} input."
            )
        if not np.isin(Xt, (-1, 1)).all():
            raise AssertionError(
                f'{name}(output="spins").transform must return only -1 and +1, got '
                f"{sorted(set(np.unique(Xt).tolist()))} on {label} input."
            )


@_check
def check_output_mean(name, estimator, X, y):
    """``output="mean"`` gives finite floats in [-1, 1].

    <check parameters>

    Examples
    --------
    >>> from skrg import BlockSpinRG, make_ising
    >>> from skrg.utils.estimator_checks import check_output_mean
    >>> X, y = make_ising(10, (8, 8), [2.0, 3.2], random_state=0)
    >>> check_output_mean("BlockSpinRG", BlockSpinRG(random_state=0), X, y)
    """
    estimator = _seeded(estimator).set_params(output="mean").fit(X, y)
    for label, X_in in (("hard", X), ("soft", _soft(X))):
        Xt = _check_width(name, estimator.transform(X_in), len(X), "transform")
        if Xt.dtype.kind != "f":
            raise AssertionError(
                f'{name}(output="mean").transform must return floats, got {Xt.dtype}.'
            )
        if not np.isfinite(Xt).all() or Xt.min() < -1 or Xt.max() > 1:
            raise AssertionError(
                f'{name}(output="mean").transform must return finite values in '
                f"[-1, 1], got values from {Xt.min()} to {Xt.max()} on {label} input."
            )


@_check
def check_coarse_lattice_shape(name, estimator, X, y):
    """``coarse_lattice_shape_`` exists and, unless None, its product is the output width.

    <check parameters>

    Examples
    --------
    >>> from skrg import BlockSpinRG, make_ising
    >>> from skrg.utils.estimator_checks import check_coarse_lattice_shape
    >>> X, y = make_ising(10, (8, 8), [2.0, 3.2], random_state=0)
    >>> check_coarse_lattice_shape("BlockSpinRG", BlockSpinRG(random_state=0), X, y)
    """
    estimator = _seeded(estimator).fit(X, y)
    if not hasattr(estimator, "coarse_lattice_shape_"):
        raise AssertionError(
            f"a fitted coarse-grainer {name} must have coarse_lattice_shape_ (None "
            "when its output has no geometry)."
        )
    shape = estimator.coarse_lattice_shape_
    if shape is None:
        return
    Xt = _check_width(name, estimator.transform(X), len(X), "transform")
    if not isinstance(shape, tuple) or math.prod(shape) != Xt.shape[1]:
        raise AssertionError(
            f"{name}.coarse_lattice_shape_ = {shape!r} must be a tuple whose product "
            f"is the output width {Xt.shape[1]}."
        )


@_check
def check_feature_names_out(name, estimator, X, y):
    """``get_feature_names_out()`` gives one distinct str name per output column.

    <check parameters>

    Examples
    --------
    >>> from skrg import BlockSpinRG, make_ising
    >>> from skrg.utils.estimator_checks import check_feature_names_out
    >>> X, y = make_ising(10, (8, 8), [2.0, 3.2], random_state=0)
    >>> check_feature_names_out("BlockSpinRG", BlockSpinRG(random_state=0), X, y)
    """
    estimator = _seeded(estimator).fit(X, y)
    if not hasattr(estimator, "get_feature_names_out"):
        raise AssertionError(f"coarse-grainer {name} must have get_feature_names_out().")
    names = np.asarray(estimator.get_feature_names_out())
    width = _check_width(name, estimator.transform(X), len(X), "transform").shape[1]
    if names.shape != (width,):
        raise AssertionError(
            f"{name}.get_feature_names_out() must give {width} names (the output "
            f"width), got shape {names.shape}."
        )
    if not all(isinstance(n, str) for n in names) or len(set(names)) != width:
        raise AssertionError(f"{name}.get_feature_names_out() must give distinct str.")


@_check
def check_soft_input(name, estimator, X, y):
    """Soft spins (reals in [-1, 1], some exactly 0) are accepted by fit and transform.

    This is what a Pipeline feeds from a previous stage's ``output="mean"``.
    The output depends on values, not bits: ``-0.0`` and ``+0.0`` are the same
    soft spin (counter-based randomness must not hash the sign of a zero).

    <check parameters>

    Examples
    --------
    >>> from skrg import BlockSpinRG, make_ising
    >>> from skrg.utils.estimator_checks import check_soft_input
    >>> X, y = make_ising(10, (8, 8), [2.0, 3.2], random_state=0)
    >>> check_soft_input("BlockSpinRG", BlockSpinRG(random_state=0), X, y)
    """
    X_soft = _soft(X) + 0.0  # every zero +0.0
    estimator = _seeded(estimator)
    fitted = clone(estimator).fit(X, y)
    width = _check_width(name, fitted.transform(X), len(X), "transform").shape[1]
    for what, fit_on in (("fitted on hard spins", X), ("fitted on soft spins", X_soft)):
        try:
            Xt = clone(estimator).fit(fit_on, y).transform(X_soft)
        except Exception as exc:
            raise AssertionError(
                f"{name} {what} must transform soft spins (reals in [-1, 1]), but "
                f"raised {type(exc).__name__}: {exc}"
            ) from exc
        if _check_width(name, Xt, len(X), "transform").shape[1] != width:
            raise AssertionError(f"{name}: soft input changes the output width.")
    negative_zeros = np.where(X_soft == 0, -0.0, X_soft)
    _assert_same(
        fitted.transform(negative_zeros), fitted.transform(X_soft),
        f"{name}.transform of equal soft spins, with -0.0 instead of +0.0",
    )


@_check
def check_inverse_transform(name, estimator, X, y):
    """``inverse_transform(transform(X))`` has ``n_features_in_`` columns in [-1, 1].

    <check parameters>

    Examples
    --------
    >>> from skrg import BlockSpinRG, make_ising
    >>> from skrg.utils.estimator_checks import check_inverse_transform
    >>> X, y = make_ising(10, (8, 8), [2.0, 3.2], random_state=0)
    >>> check_inverse_transform("BlockSpinRG", BlockSpinRG(random_state=0), X, y)
    """
    estimator = _seeded(estimator).fit(X, y)
    X_back = np.asarray(estimator.inverse_transform(estimator.transform(X)))
    if X_back.shape != X.shape:
        raise AssertionError(
            f"{name}.inverse_transform must map back to shape {X.shape} "
            f"(n_features_in_ columns), got {X_back.shape}."
        )
    if not np.isfinite(X_back).all() or X_back.min() < -1 or X_back.max() > 1:
        raise AssertionError(f"{name}.inverse_transform must return values in [-1, 1].")


@_check
def check_for_lattice(name, estimator, X, y):
    """``for_lattice(shape)`` returns a fitted copy for another lattice size.

    With the sides doubled, the copy has ``n_features_in_ == prod(shape)`` and
    transforms periodic tilings of ``X``; with the same shape it reproduces
    ``transform``; the original estimator is left unchanged.

    <check parameters>

    Examples
    --------
    >>> from skrg import BlockSpinRG, make_ising
    >>> from skrg.utils.estimator_checks import check_for_lattice
    >>> X, y = make_ising(10, (8, 8), [2.0, 3.2], random_state=0)
    >>> check_for_lattice("BlockSpinRG", BlockSpinRG(random_state=0), X, y)
    """
    estimator = _seeded(estimator).fit(X, y)
    shape = _fine_shape(estimator, X.shape[1])
    expected = estimator.transform(X)
    same = estimator.for_lattice(shape)
    _assert_same(
        same.transform(X), expected, f"{name}.for_lattice({shape}).transform vs transform"
    )
    big_shape = tuple(2 * side for side in shape)
    big = estimator.for_lattice(big_shape)
    if big is estimator or estimator.n_features_in_ != X.shape[1]:
        raise AssertionError(f"{name}.for_lattice must return a copy and leave self unchanged.")
    try:
        check_is_fitted(big)
    except NotFittedError as exc:
        raise AssertionError(f"{name}.for_lattice must return a fitted estimator.") from exc
    if getattr(big, "n_features_in_", None) != math.prod(big_shape):
        raise AssertionError(
            f"{name}.for_lattice({big_shape}) must have n_features_in_ = "
            f"{math.prod(big_shape)}, got {getattr(big, 'n_features_in_', None)!r}."
        )
    X_big = _tile(X, shape, (2,) * len(shape))
    Xt = _check_width(name, big.transform(X_big), len(X), "for_lattice(...).transform")
    coarse = getattr(big, "coarse_lattice_shape_", None)
    if coarse is not None and math.prod(coarse) != Xt.shape[1]:
        raise AssertionError(
            f"{name}.for_lattice({big_shape}): coarse_lattice_shape_ {coarse} does "
            f"not match the output width {Xt.shape[1]}."
        )


# --------------------------------------------------------------------------
# running the checks
# --------------------------------------------------------------------------


def _yield_checks(estimator):
    """Every check that applies to ``estimator``, decided by what it has."""
    yield check_estimator_params
    yield check_fit_returns_self
    yield check_not_fitted
    yield check_fit_idempotent
    yield check_pickle
    yield check_n_features_in
    yield check_dont_mutate_input
    yield check_input_dtype_invariance
    yield check_rejects_out_of_range
    yield check_rejects_non_finite
    yield check_warns_binary
    if _has_param(estimator, "random_state"):
        yield check_random_state_determinism
    if any(hasattr(estimator, m) for m in _ROW_METHODS):
        yield check_row_order_invariance
        yield check_subset_invariance
    if all(hasattr(estimator, m) for m in ("transform", "set_output", "get_feature_names_out")):
        yield check_set_output_pandas
    if hasattr(estimator, "score"):
        yield check_score
    if _has_param(estimator, "output"):
        yield check_output_spins
        yield check_output_mean
        yield check_coarse_lattice_shape
        yield check_feature_names_out
        yield check_soft_input
        if hasattr(estimator, "inverse_transform"):
            yield check_inverse_transform
        if hasattr(estimator, "for_lattice"):
            yield check_for_lattice


@functools.lru_cache(maxsize=8)
def _default_data(lattice_shape, random_state):
    from .. import make_ising

    X, y = make_ising(
        _DEFAULT_SAMPLES_PER_TEMPERATURE, lattice_shape, _DEFAULT_TEMPERATURES,
        random_state=random_state,
    )
    X.flags.writeable = False
    y.flags.writeable = False
    return X, y


class _Data:
    """The (X, y) of a run of checks, made on first use and copied for each check."""

    def __init__(self, lattice_shape, data, random_state):
        self.lattice_shape = tuple(np.atleast_1d(lattice_shape).tolist())
        self.data = data
        self.random_state = random_state
        self._cached = None

    def get(self):
        if self._cached is None:
            if self.data is None:
                X, y = _default_data(self.lattice_shape, self.random_state)
            elif callable(self.data):
                X, y = self.data(self.random_state)
            else:
                X, y = self.data
            X = np.asarray(X)
            if X.ndim != 2:
                raise ValueError(f"data must give X of shape (n_samples, n_sites), got {X.shape}.")
            y = None if y is None else np.asarray(y)
            self._cached = X, y
        X, y = self._cached
        return X.copy(), None if y is None else y.copy()


class _Check:
    """A check bound to its data: ``check(estimator)`` runs it (pytest's entry point)."""

    def __init__(self, check, data):
        self.check = check
        self.data = data
        self.__name__ = check.__name__

    def __call__(self, estimator):
        X, y = self.data.get()
        self.check(type(estimator).__name__, estimator, X, y)

    def __repr__(self):
        return self.__name__


def _estimator_id(estimator):
    with config_context(print_changed_only=True):
        return re.sub(r"\s", "", repr(estimator))


def _check_id(obj):
    if isinstance(obj, _Check):
        return obj.__name__
    if hasattr(obj, "get_params"):
        return _estimator_id(obj)
    return None


def parametrize_with_checks(
    estimators, *, lattice_shape=(8, 8), data=None, random_state=0, expected_failed_checks=None
):
    """Pytest decorator parametrizing ``(estimator, check)`` over every skrg check.

    The skrg counterpart of
    :func:`sklearn.utils.estimator_checks.parametrize_with_checks`: every check
    that applies to each estimator (see :func:`check_estimator`) becomes one
    test, with ids such as ``BlockSpinRG(rule='decimation')-check_pickle``,
    so ``pytest -k check_pickle`` selects one family. The test body is
    ``check(estimator)``. The data are made on first use, once per decorator.

    Parameters
    ----------
    estimators : list of estimator instances
        Estimators to check.
    lattice_shape : tuple of int, default=(8, 8)
        Lattice of the default data.
    data : tuple (X, y), callable or None, default=None
        Overrides the default data, as in :func:`check_estimator`.
    random_state : int, default=0
        Seed of the default data (and argument of a callable ``data``).
    expected_failed_checks : callable or None, default=None
        ``expected_failed_checks(estimator) -> dict`` mapping a check name to
        the reason it is expected to fail; those tests are marked ``xfail``.

    Returns
    -------
    decorator : pytest.mark.parametrize

    See Also
    --------
    check_estimator : Run the same checks in a loop.

    Examples
    --------
    >>> from skrg import BlockSpinRG
    >>> from skrg.utils.estimator_checks import parametrize_with_checks
    >>> @parametrize_with_checks([BlockSpinRG(random_state=0)])
    ... def test_skrg_contract(estimator, check):
    ...     check(estimator)
    """
    import pytest

    if any(isinstance(est, type) for est in estimators):
        raise TypeError("parametrize_with_checks takes estimator instances, not classes.")
    source = _Data(lattice_shape, data, random_state)
    params = []
    for estimator in estimators:
        xfails = expected_failed_checks(estimator) if expected_failed_checks else {}
        for check in _yield_checks(estimator):
            marks = ()
            if check.__name__ in xfails:
                marks = pytest.mark.xfail(reason=xfails[check.__name__])
            params.append(pytest.param(estimator, _Check(check, source), marks=marks))
    return pytest.mark.parametrize("estimator, check", params, ids=_check_id)


def check_estimator(
    estimator, *, lattice_shape=(8, 8), data=None, random_state=0, on_fail="raise"
):
    """Check an estimator against the scikit-learn contract on spin-lattice data.

    A coarse-grainer is also checked against the coarse-grainer protocol.
    Checks run in order; which ones apply is decided by what the estimator
    has: every estimator gets the contract checks (parameters, clone, fit
    returns self, ``NotFittedError``, refit, pickle, ``n_features_in_``, no
    mutation of ``X``, dtype invariance, errors on values outside [-1, 1] and
    on NaN/inf, a warning on {0, 1} data); a ``random_state`` parameter adds
    determinism; ``transform`` or ``predict`` add row order and subset
    invariance; ``set_output`` adds the pandas output; ``score`` its check; an
    ``output`` parameter adds the coarse-grainer protocol (spins, mean,
    ``coarse_lattice_shape_``, feature names, soft input, and
    ``inverse_transform`` and ``for_lattice`` when present).

    Parameters
    ----------
    estimator : estimator instance
        The estimator to check; it is cloned by each check, never modified.
    lattice_shape : tuple of int, default=(8, 8)
        Lattice of the default data.
    data : tuple (X, y), callable or None, default=None
        The data of every check. None means
        ``skrg.make_ising(20, lattice_shape, [2.0, 2.6, 3.2], random_state=random_state)``
        (60 configurations, ``y`` their temperatures). A callable is called as
        ``data(random_state)`` and returns ``(X, y)``. ``fit`` always receives
        ``y``, so supervised estimators can be checked too.
    random_state : int, default=0
        Seed of the default data (and argument of a callable ``data``).
    on_fail : {"raise", "warn"}, default="raise"
        ``"raise"``: raise an ``AssertionError`` naming the estimator and the
        first failing check. ``"warn"``: emit an
        :class:`sklearn.exceptions.EstimatorCheckFailedWarning` per failure
        and go on.

    Returns
    -------
    results : list of dict
        One per check: ``"check_name"``, ``"status"`` (``"passed"``,
        ``"failed"`` or ``"skipped"``) and ``"exception"`` (None if passed).

    Raises
    ------
    AssertionError
        With ``on_fail="raise"``, on the first failing check.

    See Also
    --------
    parametrize_with_checks : The same checks as parametrized pytest tests.

    Examples
    --------
    >>> from skrg import BlockSpinRG
    >>> from skrg.utils.estimator_checks import check_estimator
    >>> results = check_estimator(BlockSpinRG(random_state=0))
    >>> [r["check_name"] for r in results if r["status"] == "failed"]
    []
    >>> "check_for_lattice" in [r["check_name"] for r in results]
    True
    """
    if isinstance(estimator, type):
        raise TypeError("check_estimator takes an estimator instance, not a class.")
    if on_fail not in ("raise", "warn"):
        raise ValueError(f"on_fail must be 'raise' or 'warn', got {on_fail!r}.")
    source = _Data(lattice_shape, data, random_state)
    results = []
    for check in _yield_checks(estimator):
        check_name = check.__name__
        try:
            _Check(check, source)(estimator)
        except SkipTest as exc:
            results.append({"check_name": check_name, "status": "skipped", "exception": exc})
            continue
        except Exception as exc:
            results.append({"check_name": check_name, "status": "failed", "exception": exc})
            if on_fail == "raise":
                kind = "" if isinstance(exc, AssertionError) else f"{type(exc).__name__}: "
                raise AssertionError(
                    f"{check_name} failed for {_estimator_id(estimator)}: {kind}{exc}"
                ) from exc
            warnings.warn(
                EstimatorCheckFailedWarning(
                    estimator=estimator, check_name=check_name, exception=exc,
                    status="failed", expected_to_fail=False, expected_to_fail_reason="",
                )
            )
            continue
        results.append({"check_name": check_name, "status": "passed", "exception": None})
    return results
