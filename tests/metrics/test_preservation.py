"""correlation_preservation: coarse G'(r) against zeta^2 G(b r) on the same data."""

import numpy as np
import pytest
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import GridSearchCV

from skrg import BernoulliRBM, BlockSpinRG, make_ising
from skrg.ising.exact import chain_correlation, critical_temperature
from skrg.ising.observables import correlation_function
from skrg.metrics import correlation_preservation, correlation_preservation_score

Z = 3.0  # tolerance of statistical comparisons, in standard errors


class StandIn(TransformerMixin, BaseEstimator):
    """A fitted coarse-grainer with a given geometry and a given transform.

    ``kind="random"``: independent random coarse spins (a seeded generator,
    independent of X); ``"scrambled"``: decimation of the sites in a fixed random order, so
    the coarse spins are real spins of X with their geometry lost;
    ``"soft"``: values in (-1, 1), not spins.
    """

    def __init__(self, kind="random", lattice_shape=(64,), coarse_lattice_shape=(32,)):
        self.kind = kind
        self.lattice_shape = lattice_shape
        self.coarse_lattice_shape = coarse_lattice_shape

    def fit(self, X, y=None):
        self.lattice_shape_ = self.lattice_shape
        self.coarse_lattice_shape_ = self.coarse_lattice_shape
        self.n_out_ = int(np.prod(self.coarse_lattice_shape))
        self.order_ = np.random.default_rng(0).permutation(np.asarray(X).shape[1])
        return self

    def transform(self, X):
        X = np.asarray(X)
        if self.kind == "random":
            rng = np.random.default_rng(1)
            return np.where(rng.random((len(X), self.n_out_)) < 0.5, 1, -1).astype(np.int8)
        if self.kind == "scrambled":
            return X[:, self.order_[: self.n_out_]]
        return np.full((len(X), self.n_out_), 0.5)


@pytest.fixture(scope="module")
def chain():
    """Exact samples of the periodic 64-site chain at T = 1.5 (independent rows)."""
    X, _ = make_ising(2000, (64,), 1.5, random_state=0)
    return X


def test_decimation_of_the_chain_keeps_the_correlations(chain):
    # Decimation keeps the even sites, so G'(r) = G(2r) in expectation: measured
    # |G' - G| / SE(G') at most 0.8 over r = 1..16, zeta2 = 1.0004 +- 0.0057,
    # score 0.99967 +- 0.00023.
    rg = BlockSpinRG(rule="decimation", lattice_shape=(64,), random_state=0).fit(chain)
    result = correlation_preservation(rg, chain)
    assert result.scale_factor == 2
    assert result.fine_lattice_shape == (64,) and result.coarse_lattice_shape == (32,)
    np.testing.assert_array_equal(result.r, np.arange(1, 17))
    for key in ("coarse", "fine", "coarse_error", "fine_error"):
        assert result[key].shape == (16,)
    assert np.all(result.coarse_error > 0) and np.all(result.fine_error > 0)
    assert np.all(np.abs(result.coarse - result.fine) < Z * result.coarse_error)
    assert abs(result.zeta2 - 1) < Z * result.zeta2_error
    assert 0 < result.zeta2_error < 0.02
    # The fine side is the exact chain correlation at distance 2r (measured z <= 1.7).
    exact = chain_correlation(1 / 1.5, 2 * result.r, n_sites=64)
    assert np.all(np.abs(result.fine - exact) < Z * result.fine_error)
    assert 0.99 < result.score <= 1
    assert result.score == pytest.approx(correlation_preservation_score(rg, chain), abs=1e-12)


def test_binned_errors_match_the_spread_of_independent_rows(chain):
    # For independent rows the binned SE of G' estimates std(per-row G') / sqrt(n).

    rg = BlockSpinRG(rule="decimation", lattice_shape=(64,), random_state=0).fit(chain)
    result = correlation_preservation(rg, chain, r_max=3)
    X_coarse = rg.transform(chain)
    per_row = np.array([correlation_function(row[None], (32,))[1][1:4] for row in X_coarse])
    naive = per_row.std(axis=0, ddof=1) / np.sqrt(len(chain))
    np.testing.assert_allclose(result.coarse, per_row.mean(axis=0), atol=1e-12)
    # 32 bins: the error estimate itself is good to about 13% (measured ratios
    # 1.18, 1.03, 1.15).
    np.testing.assert_allclose(result.coarse_error, naive, rtol=0.45)


def test_majority_rule_at_the_2d_critical_point_rescales_the_amplitude():
    # 16 x 16 at T_c, 2000 Wolff samples (random_state=1), 2 x 2 blocks, r = 1..4.
    # Measured: majority zeta2 = 1.176 +- 0.003 (1.176 +- 0.002 on 32 x 32): the
    # majority spin of a block is more correlated with distant spins than one
    # site is. Average (sampled spins) and decimation give 1.000 +- 0.003 and
    # 0.998 +- 0.003. Scores 0.9945, 0.9991, 0.9998. The disconnected G(r) sits on
    # a plateau <m^2> at T_c on a small torus; the score is an R^2 over the
    # variation in r, so decimation of scrambled sites (a flat G') scores -136.
    X, _ = make_ising(2000, (16, 16), critical_temperature(2), random_state=1)
    results = {rule: correlation_preservation(BlockSpinRG(rule=rule, random_state=0).fit(X), X)
               for rule in ("majority", "average", "decimation")}
    majority = results["majority"]
    assert 1.1 < majority.zeta2 < 1.25
    assert majority.zeta2 - 1 > 20 * majority.zeta2_error
    assert np.all(majority.coarse > majority.fine)
    for rule in ("average", "decimation"):
        assert abs(results[rule].zeta2 - 1) < Z * results[rule].zeta2_error
    assert min(result.score for result in results.values()) > 0.99
    scrambled = X[:, np.random.default_rng(0).permutation(X.shape[1])]
    flat = correlation_function(BlockSpinRG(rule="decimation").fit(X).transform(scrambled),
                                (8, 8))[1][1:5]
    assert 1 - np.sum((flat - results["decimation"].zeta2 * results["decimation"].fine) ** 2) / (
        np.sum((flat - flat.mean()) ** 2)) < 0


@pytest.mark.parametrize("kind, limit", [("random", 0.2), ("scrambled", 0.2)])
def test_coarse_grainers_without_geometry_score_far_lower(chain, kind, limit):
    # Random coarse spins: G' is noise around 0. Scrambled decimation: G' is the
    # correlation of random pairs of sites, flat and small. Against the decaying
    # G(2r) = tanh(K)^(2r) both score well below decimation's 0.9997 (measured
    # 0.011 +- 0.032 for random spins, 0.033 +- 0.010 scrambled).
    good = correlation_preservation(
        BlockSpinRG(rule="decimation", lattice_shape=(64,), random_state=0).fit(chain), chain)
    bad = correlation_preservation(StandIn(kind).fit(chain), chain)
    assert bad.score < limit
    assert good.score - bad.score > 10 * (good.score_error + bad.score_error)


def test_uses_spins_and_leaves_the_estimator_alone(chain):
    rg_mean = BlockSpinRG(rule="average", output="mean", lattice_shape=(64,),
                          random_state=0).fit(chain)
    rg_spins = BlockSpinRG(rule="average", lattice_shape=(64,), random_state=0).fit(chain)
    a = correlation_preservation(rg_mean, chain, r_max=4)
    b = correlation_preservation(rg_spins, chain, r_max=4)
    np.testing.assert_array_equal(a.coarse, b.coarse)
    assert rg_mean.output == "mean"


def test_rbm_with_a_coarse_lattice():
    X, _ = make_ising(400, (8, 8), 2.5, random_state=0)
    rbm = BernoulliRBM(n_iter=3, random_state=0).fit(X)
    result = correlation_preservation(rbm, X)
    assert result.scale_factor == 2 and result.r.tolist() == [1, 2]
    # Two distances only: the R^2 is noise here; but the units are oriented along
    # their blocks, so the coarse correlations follow those of the fine lattice
    # (zeta2 0.79 +- 0.03 after 3 epochs), not the ~0 of random unit signs.
    # zeta2 = 1 within 4 SE held at 4 of 12 seeds: 3 epochs do not reach it.
    assert result.score <= 1 and np.isfinite(result.score_error)
    assert result.zeta2 > 4 * result.zeta2_error
    with pytest.raises(ValueError, match="coarse_lattice_shape_"):
        correlation_preservation(BernoulliRBM(n_components=5, n_iter=1,
                                              random_state=0).fit(X), X)


def test_r_max_and_scale_factor():
    X, _ = make_ising(40, (12, 12), 3.0, random_state=0)
    rg = BlockSpinRG(block_size=3, random_state=0).fit(X)    # 12 x 12 -> 4 x 4, b = 3
    result = correlation_preservation(rg, X)
    assert result.scale_factor == 3 and result.r.tolist() == [1, 2]
    assert correlation_preservation(rg, X, r_max=1).r.tolist() == [1]
    with pytest.raises(ValueError, match=r"r_max must be in \[1, 2\]"):
        correlation_preservation(rg, X, r_max=3)
    with pytest.raises(TypeError, match="r_max"):
        correlation_preservation(rg, X, r_max=1.5)


def test_works_as_a_grid_search_scorer(chain):
    search = GridSearchCV(BlockSpinRG(lattice_shape=(64,), random_state=0),
                          {"rule": ["decimation", "majority"]},
                          scoring=correlation_preservation_score, cv=2).fit(chain[:400])
    assert np.all(search.cv_results_["mean_test_score"] > 0.99)
    assert correlation_preservation_score(search.best_estimator_, chain[:1]) <= 1


@pytest.mark.parametrize("X, error, match", [
    (np.full((5, 64), 2), ValueError, r"\[-1, 1\]"),
    (np.full((5, 64), 0.5), ValueError, "exactly -1 or \\+1"),
    (np.where(np.eye(5, 64) > 0, np.nan, 1.0), ValueError, "NaN"),
    (np.ones(64), ValueError, "2D"),
    (np.ones((3, 64)), ValueError, "at least 4 samples"),
    (np.ones((5, 16)), ValueError, "features"),
])
def test_bad_input(X, error, match):
    rg = BlockSpinRG(rule="decimation", lattice_shape=(64,)).fit(np.ones((2, 64)))
    with pytest.raises(error, match=match):
        correlation_preservation(rg, X)


def test_bad_estimators():
    X = np.ones((8, 64), dtype=np.int8)
    with pytest.raises(NotFittedError):
        correlation_preservation(BlockSpinRG(lattice_shape=(64,)), X)
    with pytest.raises(ValueError, match="integer scale factor"):
        correlation_preservation(StandIn(lattice_shape=(8, 8),
                                         coarse_lattice_shape=(4, 2)).fit(X), X)
    with pytest.raises(ValueError, match="coarse spins -1/\\+1"):
        correlation_preservation(StandIn("soft").fit(X), X)
    with pytest.raises(ValueError, match="too small"):
        correlation_preservation(StandIn(coarse_lattice_shape=(1,)).fit(X), X)
