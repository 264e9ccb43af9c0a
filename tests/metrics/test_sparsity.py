"""hoyer_sparsity and weight_sparsity: known answers, invariances, scorer use."""

import numpy as np
import pytest
from sklearn.base import BaseEstimator
from sklearn.decomposition import PCA
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import GridSearchCV

from skrg import BernoulliRBM, BernoulliRBMStack, BlockSpinRG, make_ising
from skrg.metrics import hoyer_sparsity, weight_sparsity


def random_spins(n_samples, n_sites, seed=0):
    rng = np.random.default_rng(seed)
    return (2 * rng.integers(0, 2, size=(n_samples, n_sites)) - 1).astype(np.int8)


class FixedFields(BaseEstimator):
    """A fitted stand-in whose receptive fields are given."""

    def __init__(self, fields=None):
        self.fields = fields

    def fit(self, X=None, y=None):
        self.fields_ = np.asarray(self.fields, dtype=float)
        return self

    def receptive_fields(self):
        return self.fields_


def test_known_rows():
    n = 9
    one_hot = np.eye(n)[4]
    constant = np.full(n, -0.3)
    two = np.r_[1.0, -1.0, np.zeros(n - 2)]
    s = hoyer_sparsity(np.stack([one_hot, constant, two]))
    np.testing.assert_allclose(s, [1.0, 0.0, (3 - np.sqrt(2)) / 2], atol=1e-15)
    assert s.dtype == np.float64 and s.shape == (3,)
    # A 1D array is one unit.
    np.testing.assert_allclose(hoyer_sparsity(one_hot), [1.0])


@pytest.mark.parametrize("k", [1, 2, 5, 16, 64])
def test_k_equal_entries(k):
    n = 64
    row = np.zeros(n)
    row[np.random.default_rng(k).choice(n, k, replace=False)] = 2.5
    expected = (np.sqrt(n) - np.sqrt(k)) / (np.sqrt(n) - 1)
    np.testing.assert_allclose(hoyer_sparsity(row), [expected], atol=1e-14)


@pytest.mark.parametrize("scale", [1e-300, 1e-5, -3.0, 1e300])
def test_invariant_to_scaling(scale):
    W = np.random.default_rng(0).normal(size=(5, 30))
    W[1, 10:] = 0.0
    s = hoyer_sparsity(W)
    assert np.all((s >= 0) & (s <= 1))
    np.testing.assert_allclose(hoyer_sparsity(scale * W), s, rtol=1e-12)


def test_zero_rows_are_nan_and_left_out_of_the_mean():
    fields = np.stack([np.eye(16)[0], np.zeros(16), np.ones(16)])
    np.testing.assert_array_equal(hoyer_sparsity(fields), [1.0, np.nan, 0.0])
    assert weight_sparsity(FixedFields(fields).fit()) == 0.5
    with pytest.warns(UserWarning, match="zero"):
        assert np.isnan(weight_sparsity(FixedFields(np.zeros((3, 16))).fit()))


@pytest.mark.parametrize("W, match", [
    (np.ones((3, 1)), "at least 2"),
    (np.ones((2, 3, 4)), "2D"),
    (np.array([[1.0, np.nan]]), "NaN"),
    (np.array([[1.0, np.inf]]), "infinite"),
])
def test_bad_weights(W, match):
    with pytest.raises(ValueError, match=match):
        hoyer_sparsity(W)


def test_block_spin_kernels():
    # 16 x 16 lattice, 2 x 2 blocks: every field is 4 equal weights among 256
    # sites, (sqrt(256) - sqrt(4)) / (sqrt(256) - 1) = 14/15; decimation is one-hot.
    X = random_spins(2, 256)
    for rule in ("average", "majority"):
        rg = BlockSpinRG(rule=rule).fit(X)
        assert weight_sparsity(rg) == pytest.approx(14 / 15, abs=1e-14)
    assert weight_sparsity(BlockSpinRG(rule="decimation").fit(X)) == 1.0
    # Two steps: 4 x 4 blocks of 16 sites, (16 - 4) / 15.
    rg = BlockSpinRG(rule="average", n_steps=2).fit(X)
    assert weight_sparsity(rg) == pytest.approx(12 / 15, abs=1e-14)
    # X and y are ignored.
    assert weight_sparsity(rg, X, np.ones(2)) == weight_sparsity(rg)


def test_l1_penalty_makes_rbm_weights_sparser():
    # 8x8 Ising at T = 2.5, 1000 samples, 16 units, 30 epochs, learning rate 0.05:
    # measured 0.257 without L1 and 0.619 with l1 = 0.03 (seeds 0-3: 0.25 +- 0.01
    # against 0.60 +- 0.02).
    X, _ = make_ising(1000, (8, 8), 2.5, random_state=0)
    scores = [weight_sparsity(BernoulliRBM(n_iter=30, l1=l1, learning_rate=0.05,
                                           random_state=0).fit(X)) for l1 in (0.0, 0.03)]
    assert 0 < scores[0] < scores[1] - 0.2 < 1
    # A block kernel is sparser than either.
    assert scores[1] < weight_sparsity(BlockSpinRG().fit(X))


def test_rbm_and_stack_use_their_receptive_fields():
    X, _ = make_ising(200, (8, 8), 2.5, random_state=0)
    rbm = BernoulliRBM(n_iter=2, random_state=0).fit(X)
    assert weight_sparsity(rbm) == pytest.approx(hoyer_sparsity(rbm.components_).mean())
    stack = BernoulliRBMStack((16, 4), n_iter=2, random_state=0).fit(X)
    assert weight_sparsity(stack) == pytest.approx(
        hoyer_sparsity(stack.receptive_fields(2)).mean())


def test_works_as_a_grid_search_scorer():
    X = random_spins(40, 64)
    search = GridSearchCV(BlockSpinRG(),
                          {"rule": ["average", "majority", "decimation"]},
                          scoring=weight_sparsity, cv=2).fit(X)
    assert search.best_params_ == {"rule": "decimation"}
    assert search.best_score_ == 1.0


def test_needs_receptive_fields_and_a_fit():
    X = random_spins(10, 16)
    with pytest.raises(TypeError, match="receptive_fields"):
        weight_sparsity(PCA(n_components=2).fit(X))
    with pytest.raises(NotFittedError):
        weight_sparsity(BlockSpinRG())
