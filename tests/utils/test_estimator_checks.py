"""The checks of skrg.utils.estimator_checks can pass and can fail.

``BlockRG`` below is a correct coarse-grainer in a few lines of numpy (the
pattern to follow for your own): ``_parameter_constraints`` with
``_fit_context``, ``validate_data`` plus :func:`skrg.utils.check_spins`,
counter-based randomness, ``__sklearn_tags__``. It passes ``check_estimator``.
Each subclass after it breaks one rule, and the check for that rule fails.
"""

import copy
import math
import sys
import warnings
import zlib
from numbers import Integral

import numpy as np
import pytest
from sklearn.base import (
    BaseEstimator,
    ClassNamePrefixFeaturesOutMixin,
    TransformerMixin,
    _fit_context,
    clone,
)
from sklearn.exceptions import EstimatorCheckFailedWarning
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted, validate_data

from skrg import make_ising
from skrg.lattice import resolve_lattice_shape
from skrg.utils import check_spins
from skrg.utils import estimator_checks as ec
from skrg.utils.estimator_checks import check_estimator, parametrize_with_checks


class BlockRG(ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseEstimator):
    """Decimation or sampled block average on a periodic lattice, in numpy."""

    _parameter_constraints = {
        "block_size": [Interval(Integral, 2, None, closed="left")],
        "rule": [StrOptions({"decimation", "average"})],
        "output": [StrOptions({"spins", "mean"})],
        "lattice_shape": [None, "array-like"],
        "random_state": ["random_state"],
    }

    def __init__(
        self, block_size=2, rule="decimation", output="spins", lattice_shape=None,
        random_state=None,
    ):
        self.block_size = block_size
        self.rule = rule
        self.output = output
        self.lattice_shape = lattice_shape
        self.random_state = random_state

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        X = self._validate(X, reset=True)
        self._set_geometry(resolve_lattice_shape(self.lattice_shape, X.shape[1]))
        self.key_ = int(check_random_state(self.random_state).randint(2**31))
        return self

    def _validate(self, X, reset):
        X = validate_data(self, X, reset=reset, dtype=np.float64)  # width, NaN, inf
        check_spins(X, allow_soft=True)  # [-1, 1], warning on {0, 1} data
        return X

    def _set_geometry(self, shape):
        if any(side % self.block_size for side in shape):
            raise ValueError(f"block_size={self.block_size} must divide {shape}.")
        self.lattice_shape_ = tuple(shape)
        self.coarse_lattice_shape_ = tuple(side // self.block_size for side in shape)
        self._n_features_out = math.prod(self.coarse_lattice_shape_)

    def _mean(self, X):
        """E[h | v]: the block's corner spin or the block average."""
        b, d = self.block_size, len(self.lattice_shape_)
        coarse = [side // b for side in self.lattice_shape_]
        blocks = X.reshape(len(X), *[n for side in coarse for n in (side, b)])
        if self.rule == "decimation":
            mean = blocks[(slice(None),) + (slice(None), 0) * d]
        else:
            mean = blocks.mean(axis=tuple(range(2, 2 * d + 1, 2)))
        return mean.reshape(len(X), -1)

    def _uniform(self, X):
        """Uniforms per (row, coarse site) from a hash of (key, row values)."""
        return np.array([
            np.random.default_rng([self.key_, zlib.crc32((row + 0.0).tobytes())])
            .random(self._n_features_out)
            for row in X
        ]).reshape(len(X), self._n_features_out)

    def transform(self, X):
        check_is_fitted(self)
        X = self._validate(X, reset=False)
        mean = self._mean(X)
        if self.output == "mean":
            return mean
        return np.where(self._uniform(X) < (1 + mean) / 2, 1, -1).astype(np.int8)

    def inverse_transform(self, X):
        check_is_fitted(self)
        X = np.asarray(X)
        blocks = X.reshape(len(X), *self.coarse_lattice_shape_)
        for axis in range(1, blocks.ndim):
            blocks = np.repeat(blocks, self.block_size, axis=axis)
        return blocks.reshape(len(X), -1)

    def score(self, X, y=None):
        """Mean overlap of each spin with the mean of its block (higher is better)."""
        check_is_fitted(self)
        X = self._validate(X, reset=False)
        return float(np.mean(X * self.inverse_transform(self._mean(X))))

    def for_lattice(self, lattice_shape):
        check_is_fitted(self)
        new = clone(self).set_params(lattice_shape=tuple(lattice_shape))
        new._set_geometry(tuple(lattice_shape))
        new.key_, new.n_features_in_ = self.key_, math.prod(lattice_shape)
        return new

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float64"] if self.output == "mean" else []
        return tags


def _unavailable(self):
    raise AttributeError("not available")


class Minimal(BlockRG):
    """Decimation with no random_state, rule or optional methods: fewer checks apply."""

    _parameter_constraints = {
        k: v for k, v in BlockRG._parameter_constraints.items() if k in ("block_size", "output",
                                                                        "lattice_shape")
    }
    rule = "decimation"
    random_state = 0  # fixed key for the draws from soft input

    def __init__(self, block_size=2, output="spins", lattice_shape=None):
        self.block_size = block_size
        self.output = output
        self.lattice_shape = lattice_shape

    inverse_transform = score = for_lattice = property(_unavailable)


@pytest.fixture(scope="module")
def data():
    X, y = make_ising(20, (8, 8), [2.0, 2.6, 3.2], random_state=0)
    return X, y


# ---------------------------------------------------------------------------
# a correct coarse-grainer passes
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "estimator",
    [
        BlockRG(),
        BlockRG(rule="average", random_state=0),
        BlockRG(rule="average", output="mean", random_state=1),
        BlockRG(rule="average"),  # random_state=None: the checks seed it
        Minimal(),
    ],
    ids=repr,
)
def test_correct_coarse_grainer_passes(estimator):
    results = check_estimator(estimator)
    assert {r["status"] for r in results} == {"passed"}


def test_checks_are_chosen_by_capability():
    full = {c.__name__ for c in ec._yield_checks(BlockRG())}
    minimal = {c.__name__ for c in ec._yield_checks(Minimal())}
    assert set(ec.__all__) - {"check_estimator", "parametrize_with_checks"} == full
    assert full - minimal == {
        "check_random_state_determinism", "check_score", "check_inverse_transform",
        "check_for_lattice",
    }


def test_other_lattices_and_data():
    chain = BlockRG(rule="average", lattice_shape=(16,), random_state=0)
    check_estimator(chain, lattice_shape=(16,))
    X, y = make_ising(10, (4, 4, 4), [3.0, 6.0], random_state=1)
    cubic = BlockRG(rule="average", lattice_shape=(4, 4, 4), random_state=0)
    check_estimator(cubic, data=(X, y))
    calls = []

    def make_data(random_state):
        calls.append(random_state)
        return make_ising(10, (6, 6), 2.5, random_state=random_state)[0], None

    check_estimator(BlockRG(block_size=3, rule="average"), data=make_data, random_state=7)
    assert calls == [7]  # made once, copied for every check


# ---------------------------------------------------------------------------
# each broken coarse-grainer fails its check
# ---------------------------------------------------------------------------


class MutatesX(BlockRG):
    def fit(self, X, y=None):
        np.negative(X, out=X)
        return super().fit(X, y)


class RowOrderDependent(BlockRG):
    def _uniform(self, X):  # one sequential generator over the whole batch
        return np.random.default_rng(self.key_).random((len(X), self._n_features_out))


class IgnoresRandomState(BlockRG):
    def fit(self, X, y=None):
        super().fit(X, y)
        self.key_ = int(np.random.randint(2**31))
        return self


class HashesBytes(BlockRG):
    def _validate(self, X, reset):
        X = validate_data(self, X, reset=reset, dtype=None)
        check_spins(X, allow_soft=True)
        return X

    def _uniform(self, X):  # hashes the bytes, so int8 and float64 spins differ
        return np.array([
            np.random.default_rng([self.key_, zlib.crc32(row.tobytes())]).random(
                self._n_features_out
            )
            for row in X
        ])


class FloatSpins(BlockRG):
    def transform(self, X):
        return super().transform(X).astype(np.float64)


class MeanOutOfRange(BlockRG):
    def _mean(self, X):  # block sum, not average
        return super()._mean(X) * self.block_size ** len(self.lattice_shape_)


class ForgetsWidth(BlockRG):
    def transform(self, X):  # re-reads the geometry from X: any square is accepted
        X = self._validate(X, reset=True)
        self._set_geometry(resolve_lattice_shape(self.lattice_shape, X.shape[1]))
        return super().transform(X)


class NoFittedCheck(BlockRG):
    def transform(self, X):
        X = self._validate(X, reset=False)
        return self._mean(X)


class NoRangeCheck(BlockRG):
    def _validate(self, X, reset):
        return validate_data(self, X, reset=reset, dtype=np.float64)


class AcceptsNaN(BlockRG):
    def _validate(self, X, reset):
        X = validate_data(self, X, reset=reset, dtype=np.float64, ensure_all_finite=False)
        if np.nanmin(X) < -1 or np.nanmax(X) > 1:
            raise ValueError("X must hold spins in [-1, 1].")
        return X


class SilentOnBinary(BlockRG):
    def _validate(self, X, reset):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return super()._validate(X, reset)


class RejectsSoft(BlockRG):
    def _validate(self, X, reset):
        X = validate_data(self, X, reset=reset, dtype=np.float64)
        return check_spins(X).astype(np.float64)


class WrongCoarseShape(BlockRG):
    def _set_geometry(self, shape):
        super()._set_geometry(shape)
        self.coarse_lattice_shape_ = self.lattice_shape_


class NoCoarseShape(BlockRG):
    def fit(self, X, y=None):
        super().fit(X, y)
        del self.coarse_lattice_shape_
        return self


class InputFeatureNames(BlockRG):
    def get_feature_names_out(self, input_features=None):
        return np.array([f"x{i}" for i in range(self.n_features_in_)], dtype=object)


class InverseStaysCoarse(BlockRG):
    def inverse_transform(self, X):
        return np.asarray(X)


class StaleForLattice(BlockRG):
    def for_lattice(self, lattice_shape):
        new = copy.deepcopy(self)
        new.lattice_shape_ = tuple(lattice_shape)  # forgets the rest of the geometry
        return new


class UnfittedForLattice(BlockRG):
    def for_lattice(self, lattice_shape):
        return clone(self).set_params(lattice_shape=tuple(lattice_shape))


class NaNScore(BlockRG):
    def score(self, X, y=None):
        return float("nan")


class ArrayScore(BlockRG):
    def score(self, X, y=None):
        return np.full(3, super().score(X))


class ConvertsParameter(BlockRG):
    def __init__(self, block_size=2, rule="decimation", output="spins", lattice_shape=None,
                 random_state=None):
        super().__init__(block_size, rule, output, lattice_shape, random_state)
        self.lattice_shape = None if lattice_shape is None else list(lattice_shape)


class FitSetsParameter(BlockRG):
    def fit(self, X, y=None):
        super().fit(X, y)
        self.lattice_shape = self.lattice_shape_
        return self


class FitReturnsNone(BlockRG):
    def fit(self, X, y=None):
        super().fit(X, y)


class Unpicklable(BlockRG):
    def fit(self, X, y=None):
        super().fit(X, y)
        self.flip_ = lambda X: -X
        return self


class NotIdempotent(BlockRG):
    def fit(self, X, y=None):
        super().fit(X, y)
        self.n_fits_ = getattr(self, "n_fits_", 0) + 1
        self.key_ += self.n_fits_
        return self


BROKEN = [
    (MutatesX(), "check_dont_mutate_input", "modified X"),
    (RowOrderDependent(rule="average"), "check_row_order_invariance", r"X\[perm\]"),
    (RowOrderDependent(rule="average"), "check_subset_invariance", "values differ"),
    (IgnoresRandomState(rule="average"), "check_random_state_determinism", "two fits"),
    (HashesBytes(rule="average"), "check_input_dtype_invariance", "spins vs int8"),
    (HashesBytes(rule="average"), "check_soft_input", "-0.0"),
    (FloatSpins(), "check_output_spins", "must return int8"),
    (MeanOutOfRange(rule="average", output="mean"), "check_output_mean", r"\[-1, 1\]"),
    (ForgetsWidth(), "check_n_features_in", "nothing was raised"),
    (NoFittedCheck(), "check_not_fitted", "expected NotFittedError"),
    (NoRangeCheck(), "check_rejects_out_of_range", "holding 2.0"),
    (AcceptsNaN(), "check_rejects_non_finite", "holding NaN"),
    (SilentOnBinary(), "check_warns_binary", "binary_to_spins"),
    (RejectsSoft(), "check_soft_input", "soft spins"),
    (WrongCoarseShape(), "check_coarse_lattice_shape", "product"),
    (NoCoarseShape(), "check_coarse_lattice_shape", "must have coarse_lattice_shape_"),
    (InputFeatureNames(), "check_feature_names_out", "output width"),
    (InputFeatureNames(), "check_set_output_pandas", "pandas"),
    (InverseStaysCoarse(), "check_inverse_transform", "map back"),
    (StaleForLattice(), "check_for_lattice", "n_features_in_"),
    (UnfittedForLattice(), "check_for_lattice", "NotFittedError"),
    (NaNScore(), "check_score", "finite float"),
    (ArrayScore(), "check_score", "finite float"),
    (ConvertsParameter(lattice_shape=(8, 8)), "check_estimator_params", "unchanged"),
    (FitSetsParameter(), "check_estimator_params", "fit changed parameters"),
    (FitReturnsNone(), "check_fit_returns_self", "return self"),
    (Unpicklable(), "check_pickle", "cannot be pickled"),
    (NotIdempotent(rule="average", random_state=0), "check_fit_idempotent", "refit"),
]


@pytest.mark.parametrize(
    "estimator, check_name, match", BROKEN, ids=[f"{type(e).__name__}-{c}" for e, c, _ in BROKEN]
)
def test_broken_coarse_grainer_fails_its_check(estimator, check_name, match, data):
    if check_name == "check_set_output_pandas":
        pytest.importorskip("pandas")
    check = getattr(ec, check_name)
    X, y = data
    check(type(BlockRG()).__name__, BlockRG(**estimator.get_params()), X.copy(), y.copy())
    with pytest.raises(AssertionError, match=match):
        check(type(estimator).__name__, estimator, X.copy(), y.copy())


def test_check_estimator_raises_on_first_failure_or_warns():
    with pytest.raises(AssertionError, match=r"check_output_spins failed for FloatSpins\(\)"):
        check_estimator(FloatSpins())
    with pytest.warns(EstimatorCheckFailedWarning, match="check_output_spins"):
        results = check_estimator(FloatSpins(), on_fail="warn")
    failed = [r["check_name"] for r in results if r["status"] == "failed"]
    assert failed == ["check_output_spins"]


def test_set_output_skipped_without_pandas(monkeypatch):
    monkeypatch.setitem(sys.modules, "pandas", None)  # import pandas raises ImportError
    status = {r["check_name"]: r["status"] for r in check_estimator(BlockRG())}
    assert status["check_set_output_pandas"] == "skipped"
    assert set(status.values()) == {"passed", "skipped"}


def test_check_estimator_rejects_bad_arguments():
    with pytest.raises(TypeError, match="instance"):
        check_estimator(BlockRG)
    with pytest.raises(ValueError, match="on_fail"):
        check_estimator(BlockRG(), on_fail="ignore")


def test_parametrize_ids_and_expected_failures():
    mark = parametrize_with_checks(
        [BlockRG(rule="average"), FloatSpins()],
        expected_failed_checks=lambda est: (
            {"check_output_spins": "floats on purpose"} if isinstance(est, FloatSpins) else {}
        ),
    ).mark
    ids = mark.kwargs["ids"]
    params = {f"{ids(p.values[0])}-{ids(p.values[1])}": p for p in mark.args[1]}
    assert "BlockRG(rule='average')-check_pickle" in params
    assert not params["BlockRG(rule='average')-check_output_spins"].marks
    (xfail,) = params["FloatSpins()-check_output_spins"].marks
    assert xfail.name == "xfail" and xfail.kwargs["reason"] == "floats on purpose"


# How a user checks their own estimator: the decorator, then check(estimator).
@parametrize_with_checks(
    [BlockRG(rule="average", random_state=0), FloatSpins()],
    expected_failed_checks=lambda est: (
        {"check_output_spins": "spins as floats, on purpose"}
        if isinstance(est, FloatSpins)
        else {}
    ),
)
def test_user_coarse_grainer(estimator, check):
    check(estimator)
