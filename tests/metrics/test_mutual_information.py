"""mutual_information: the held-out lower bound on I(H:E) against known answers."""

import functools
import math
import warnings

import numpy as np
import pytest
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.dummy import DummyClassifier
from sklearn.exceptions import NotFittedError, UndefinedMetricWarning
from sklearn.model_selection import GridSearchCV
from sklearn.preprocessing import StandardScaler
from sklearn.svm import LinearSVC

from skrg import BernoulliRBM, BlockSpinRG, IsingAutoencoder, make_ising
from skrg.ising.exact import critical_temperature
from skrg.metrics import mutual_information, mutual_information_score

Z = 3.0  # tolerance of statistical comparisons, in standard errors


def exact_chain_information(temperature, n_sites, left, right):
    """Exact I(s_0 : s_{-left}, s_{+right}) in bits on the periodic chain (J = 1).

    By enumeration of the 8 states of the three spins, weighted by transfer
    matrices over the three arcs of the ring. On the chain this is the whole
    I(H:E) of decimation: given the nearest environment spin on each side, the
    Markov property makes s_0 independent of the rest of the environment.
    """
    t = math.tanh(1.0 / temperature)
    transfer = np.array([[1 + t, 1 - t], [1 - t, 1 + t]]) / 2   # eigenvalues 1 and t

    def power(d):
        return np.linalg.matrix_power(transfer, d)

    joint = np.einsum("ab,bc,ca->abc", power(left), power(right),
                      power(n_sites - left - right))
    joint /= joint.sum()

    def entropy(p):
        p = p[p > 0]
        return float(-np.sum(p * np.log2(p)))

    return (entropy(joint.sum(axis=(0, 2))) + entropy(joint.sum(axis=1).ravel())
            - entropy(joint.ravel()))


class StandIn(TransformerMixin, BaseEstimator):
    """A fitted coarse-grainer with a given geometry and a given transform.

    ``kind="random"``: independent random coarse spins (a seeded generator,
    independent of X), reading nothing; ``"copy"``: unit ``a`` copies the fine
    spin at ``offset`` from its block's first corner, and its receptive field
    says so when ``honest`` (else it claims to read nothing); ``"constant"``:
    every coarse spin +1; ``"soft"``: values 0.5, not spins.
    """

    def __init__(self, kind="random", lattice_shape=(64,), block=2, offset=(0,),
                 honest=True, seed=1):
        self.kind = kind
        self.lattice_shape = lattice_shape
        self.block = block
        self.offset = offset
        self.honest = honest
        self.seed = seed

    def fit(self, X, y=None):
        self.lattice_shape_ = tuple(self.lattice_shape)
        self.coarse_lattice_shape_ = tuple(s // self.block for s in self.lattice_shape_)
        self.n_features_in_ = math.prod(self.lattice_shape_)
        corners = np.indices(self.coarse_lattice_shape_).reshape(len(self.lattice_shape_), -1).T
        coords = (corners * self.block + np.array(self.offset)) % np.array(self.lattice_shape_)
        self.copied_ = np.ravel_multi_index(tuple(coords.T), self.lattice_shape_)
        return self

    def transform(self, X):
        X = np.asarray(X)
        n_out = len(self.copied_)
        if self.kind == "random":
            rng = np.random.default_rng(self.seed)
            return np.where(rng.random((len(X), n_out)) < 0.5, 1, -1).astype(np.int8)
        if self.kind == "copy":
            return X[:, self.copied_].astype(np.int8)
        if self.kind == "constant":
            return np.ones((len(X), n_out), dtype=np.int8)
        return np.full((len(X), n_out), 0.5)

    def receptive_fields(self):
        fields = np.zeros((len(self.copied_), self.n_features_in_))
        if self.kind == "copy" and self.honest:
            fields[np.arange(len(self.copied_)), self.copied_] = 1.0
        return fields


@pytest.fixture(scope="module")
def chain():
    """Exact samples of the periodic 64-site chain at T = 1 (independent rows)."""
    X, _ = make_ising(2000, (64,), 1.0, random_state=0)
    return X


@pytest.fixture(scope="module")
def critical():
    """2000 Wolff samples of the 16 x 16 Ising model at T_c."""
    X, _ = make_ising(2000, (16, 16), critical_temperature(2), algorithm="wolff",
                      random_state=0)
    return X


@pytest.fixture(scope="module")
def uniform():
    """Independent uniform spins on 8 x 8 (no information anywhere but in copies)."""
    return np.random.default_rng(0).choice(np.array([-1, 1], dtype=np.int8), size=(1000, 64))


def fitting_cost(result):
    """Expected value for an independent H: (d + 1) / (2 n ln 2) bits, logistic regression."""
    n_pairs = result.n_train * len(result.blocks)
    return (result.n_environment_sites + 1) / (2 * n_pairs * math.log(2))


# ------------------------------------------------------------ known answers

@pytest.mark.parametrize("data", ["chain", "critical"])
def test_independent_coarse_spin_has_no_information(data, request):
    # The estimate pays the classifier's cost of fitting noise, about (d + 1) / (2 n ln 2)
    # bits for d environment sites and n training pairs (Notes of the function), so an
    # independent H is compared with -cost. Measured: chain -0.00021 +- 0.00010 bits
    # (cost 0.00011), 2D at T_c -0.00040 +- 0.00015 (cost 0.00055). With 48 sites the
    # cost is several standard errors: over 10 seeds value / std averages -3.4, while
    # (value + cost) / std averages 0.2 with spread 1.05.
    X = request.getfixturevalue(data)
    shape = (64,) if data == "chain" else (16, 16)
    result = mutual_information(StandIn(lattice_shape=shape).fit(X), X, random_state=0)
    cost = fitting_cost(result)
    assert result.value <= 2 * result.std          # no false detection, one-sided 2 SE
    assert abs(result.value + cost) <= 2 * result.std
    assert result.value > -0.005                   # not hugely negative
    assert result.entropy == pytest.approx(1.0, abs=0.01)


@pytest.mark.parametrize("buffer_width", [0, 1, 2])
def test_decimation_of_the_chain_matches_the_exact_information(chain, buffer_width):
    # H = s_0 (decimation keeps the block's first site), E starts at s_{-(w+1)} and
    # s_{w+2}. Measured (value - exact) / std: +0.34, +0.03, -0.45 for w = 0, 1, 2
    # (exact 0.5857, 0.3564, 0.2130 bits). The logistic regression is exact here:
    # p(s_0 | s_L, s_R) is logistic in the two spins, so only noise separates them.
    rg = BlockSpinRG(rule="decimation", lattice_shape=(64,), random_state=0).fit(chain)
    result = mutual_information(rg, chain, buffer_width=buffer_width, random_state=0)
    exact = exact_chain_information(1.0, 64, buffer_width + 1, buffer_width + 2)
    assert abs(result.value - exact) < Z * result.std
    assert result.std < 0.01
    assert result.n_environment_sites == 4
    assert result.value == pytest.approx(result.entropy - result.cross_entropy)


def test_standard_error_is_honest_over_independent_data_sets():
    # 16 independent chains: the z-scores of (value - exact) / std have mean and
    # spread of a standard normal (measured mean -0.25, sd 0.97).
    exact = exact_chain_information(1.0, 64, 2, 3)
    z = []
    for seed in range(16):
        X, _ = make_ising(500, (64,), 1.0, random_state=100 + seed)
        rg = BlockSpinRG(rule="decimation", lattice_shape=(64,), random_state=seed).fit(X)
        result = mutual_information(rg, X, random_state=seed)
        z.append((result.value - exact) / result.std)
    assert abs(np.mean(z)) < 1.0
    assert 0.5 < np.std(z, ddof=1) < 1.6


def test_majority_beats_decimation_at_the_critical_point(critical):
    # Measured: majority 0.6094 +- 0.0067, decimation 0.5051 +- 0.0051 bits:
    # a margin of 12 combined standard errors.
    results = {rule: mutual_information(BlockSpinRG(rule=rule, random_state=0).fit(critical),
                                        critical, random_state=0)
               for rule in ("majority", "decimation")}
    majority, decimation = results["majority"], results["decimation"]
    margin = majority.value - decimation.value
    assert margin > 3 * math.hypot(majority.std, decimation.std)
    assert majority.block_shape == (2, 2) and majority.n_environment_sites == 48


def test_grid_search_by_mutual_information_picks_majority(critical):
    everything = np.arange(len(critical))
    search = GridSearchCV(BlockSpinRG(random_state=0),
                          {"rule": ["majority", "decimation"]},
                          scoring=mutual_information_score, cv=[(everything, everything)],
                          error_score="raise").fit(critical)
    assert search.best_params_ == {"rule": "majority"}
    scores = search.cv_results_["mean_test_score"]
    assert scores[0] > scores[1] > 0.4


# ---------------------------------------------------------------- geometry

@pytest.mark.parametrize(
    "offset, environment_width, expected",
    [((-2, 0), 2, 1.0),    # just beyond the buffer of 1: in E, copied -> one bit
     ((0, 3), 2, 1.0),     # the other side: block side 2, buffer 1, so column 3 is in E
     ((-1, 0), 2, 0.0),    # in the buffer: not in E
     ((-3, 0), 1, 0.0),    # beyond a shell of 1
     ((-3, 0), None, 1.0),  # environment_width=None: the rest of the lattice
     ((-3, -3), 2, 1.0)],  # a corner of the shell
)
def test_environment_is_the_shell_beyond_the_buffer(uniform, offset, environment_width,
                                                    expected):
    # A unit copying one fine spin of independent uniform data: one bit when that
    # spin is in E, none otherwise. Its receptive field claims to read nothing, so
    # the locality check lets it through.
    copier = StandIn("copy", lattice_shape=(8, 8), offset=offset, honest=False).fit(uniform)
    result = mutual_information(copier, uniform, environment_width=environment_width,
                                random_state=0)
    assert abs(result.value - expected) < 0.05
    if expected == 0.0:
        assert result.value < 2 * result.std


def test_blocks_and_n_blocks_choose_the_pooled_units(uniform):
    copier = StandIn("copy", lattice_shape=(8, 8), offset=(-2, 0), honest=False).fit(uniform)
    one = mutual_information(copier, uniform, blocks=5, random_state=0)
    assert one.blocks.tolist() == [5] and one.value > 0.95
    some = mutual_information(copier, uniform, n_blocks=3, random_state=0)
    again = mutual_information(copier, uniform, n_blocks=3, random_state=0)
    assert len(set(some.blocks.tolist())) == 3 and some.value > 0.95
    assert some.blocks.tolist() == again.blocks.tolist() and some.value == again.value
    result = mutual_information(copier, uniform, test_size=100, random_state=0)
    assert (result.n_train, result.n_test) == (900, 100)


# ------------------------------------------------------- where it is defined

def test_unit_reading_the_environment_gives_nan_with_a_warning(uniform):
    copier = StandIn("copy", lattice_shape=(8, 8), offset=(-2, 0)).fit(uniform)
    with pytest.warns(UndefinedMetricWarning, match="outside their block plus a buffer"):
        result = mutual_information(copier, uniform)
    assert np.isnan([result.value, result.std, result.entropy, result.cross_entropy]).all()
    # With a buffer of 2 the copied site is in the buffer: defined, and no information.
    result = mutual_information(copier, uniform, buffer_width=2, environment_width=1,
                                random_state=0)
    assert result.value < 2 * result.std


def test_dense_rbm_is_undefined(uniform):
    rbm = BernoulliRBM(n_iter=1, random_state=0).fit(uniform)
    assert rbm.coarse_lattice_shape_ == (4, 4)
    with pytest.warns(UndefinedMetricWarning, match="dense units"):
        assert np.isnan(mutual_information(rbm, uniform).value)
    with pytest.warns(UndefinedMetricWarning):
        assert np.isnan(mutual_information_score(rbm, uniform))
    no_lattice = BernoulliRBM(n_components=7, n_iter=1, random_state=0).fit(uniform)
    with pytest.warns(UndefinedMetricWarning, match="coarse_lattice_shape_=None"):
        assert np.isnan(mutual_information_score(no_lattice, uniform))


@pytest.mark.parametrize("kernel_size, buffer_width, defined", [
    (2, 0, True), (4, 1, True), (4, 0, False), (5, 1, False), (5, 2, True), (6, 2, True),
])
def test_local_layers_are_defined_when_the_window_fits_in_the_buffer(
        uniform, kernel_size, buffer_width, defined):
    # kernel_size - block_size <= 2 * buffer_width (a window of odd excess reaches
    # one site further on one side).
    X = uniform[:200]
    rbm = BernoulliRBM(connectivity="local", kernel_size=kernel_size, n_iter=1,
                       random_state=0).fit(X)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        value = mutual_information_score(rbm, X, buffer_width=buffer_width,
                                         environment_width=1)
    assert np.isnan(value) != defined
    assert [w.category for w in caught] == ([] if defined else [UndefinedMetricWarning])


def test_local_autoencoder_is_defined(uniform):
    X = uniform[:200]
    encoder = IsingAutoencoder(kernel_size=4, max_iter=1, random_state=0).fit(X)
    assert np.isfinite(mutual_information_score(encoder, X))
    with pytest.warns(UndefinedMetricWarning):
        mutual_information_score(encoder, X, buffer_width=0)


# -------------------------------------------------- classifiers and scorer

def test_constant_coarse_spin_carries_nothing(chain):
    result = mutual_information(StandIn("constant").fit(chain), chain, random_state=0)
    assert (result.value, result.std, result.entropy) == (0.0, 0.0, 0.0)


def test_any_classifier_with_predict_proba(chain):
    rg = BlockSpinRG(rule="decimation", lattice_shape=(64,), random_state=0).fit(chain)
    # A classifier that ignores E: its bound is at most 0, and about 0.
    result = mutual_information(rg, chain, classifier=DummyClassifier(), random_state=0)
    assert -0.001 < result.value <= 0
    assert isinstance(result.classifier, DummyClassifier)
    with pytest.raises(TypeError, match="predict_proba"):
        mutual_information(rg, chain, classifier=LinearSVC())


def test_scorer_is_the_value_with_a_fixed_split(chain):
    rg = BlockSpinRG(rule="decimation", lattice_shape=(64,), random_state=0).fit(chain)
    assert mutual_information_score(rg, chain) == mutual_information(
        rg, chain, random_state=0).value
    scorer = functools.partial(mutual_information_score, buffer_width=2)
    assert scorer(rg, chain, None) == mutual_information(
        rg, chain, buffer_width=2, random_state=0).value
    # The estimator keeps its own output.
    mean = BlockSpinRG(rule="average", output="mean", lattice_shape=(64,)).fit(chain)
    assert np.isfinite(mutual_information_score(mean, chain))
    assert mean.output == "mean"


# ---------------------------------------------------------------- bad input

@pytest.mark.parametrize("kwargs, error, match", [
    ({"buffer_width": -1}, ValueError, "buffer_width"),
    ({"buffer_width": 1.5}, TypeError, "buffer_width"),
    ({"environment_width": 0}, ValueError, "environment_width"),
    ({"environment_width": 3}, ValueError, "wrap onto itself"),
    ({"buffer_width": 4, "environment_width": None}, ValueError, "does not fit"),
    ({"blocks": 16}, ValueError, "blocks"),
    ({"blocks": [1, 1]}, ValueError, "blocks"),
    ({"blocks": [0.5]}, ValueError, "blocks"),
    ({"n_blocks": 17}, ValueError, "n_blocks"),
    ({"n_blocks": 0}, ValueError, "n_blocks"),
    ({"test_size": 1.5}, ValueError, "test_size"),
    ({"test_size": 999}, ValueError, "at least 2"),
])
def test_bad_parameters(uniform, kwargs, error, match):
    rg = BlockSpinRG(random_state=0).fit(uniform)
    with pytest.raises(error, match=match):
        mutual_information(rg, uniform, **kwargs)


def test_bad_data_and_estimators(uniform):
    rg = BlockSpinRG(random_state=0).fit(uniform)
    with pytest.raises(ValueError, match="1"):
        mutual_information(rg, 2 * uniform)
    with pytest.raises(ValueError, match="NaN|nan|finite"):
        mutual_information(rg, np.where(uniform > 0, np.nan, -1.0))
    with pytest.raises(ValueError, match="at least 4 samples"):
        mutual_information(rg, uniform[:3])
    with pytest.raises(ValueError, match="features"):
        mutual_information(rg, uniform[:, :36])
    with pytest.raises(NotFittedError):
        mutual_information(BlockSpinRG(), uniform)
    with pytest.raises(TypeError, match="coarse_lattice_shape_"):
        mutual_information(StandardScaler().fit(uniform), uniform)
    soft = StandIn("soft", lattice_shape=(8, 8)).fit(uniform)
    with pytest.raises(ValueError, match="coarse spins"):
        mutual_information(soft, uniform)

    class NoFields(StandIn):
        receptive_fields = None

    with pytest.raises(TypeError, match="receptive_fields"):
        mutual_information(NoFields(lattice_shape=(8, 8)).fit(uniform), uniform)
