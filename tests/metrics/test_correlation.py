"""hidden_visible_correlation: the connected correlator <v_i h_a> - <v_i><h_a>."""

import numpy as np
import pytest
from sklearn.decomposition import PCA
from sklearn.exceptions import NotFittedError
from sklearn.pipeline import make_pipeline

from skrg import BernoulliRBM, BlockSpinRG, make_ising
from skrg.metrics import hidden_visible_correlation


def random_spins(n_samples, n_sites, seed=0):
    rng = np.random.default_rng(seed)
    return (2 * rng.integers(0, 2, size=(n_samples, n_sites)) - 1).astype(np.int8)


def direct(H, X):
    """The textbook estimate: mean of products minus product of means."""
    H, X = np.asarray(H, float), np.asarray(X, float)
    return (H.T @ X) / len(X) - np.outer(H.mean(axis=0), X.mean(axis=0))


def block_mask(lattice_side, block):
    """mask[a, i]: fine site i lies in the block of coarse site a (C order both)."""
    side = lattice_side // block
    rows, cols = np.divmod(np.arange(lattice_side**2), lattice_side)
    coarse = (rows // block) * side + cols // block
    return coarse[None, :] == np.arange(side**2)[:, None]


def test_matches_direct_numpy_on_ising_data():
    X, _ = make_ising(300, (8, 8), 2.5, random_state=0)
    for rule in ("average", "majority", "decimation"):
        rg = BlockSpinRG(rule=rule, output="mean").fit(X)
        C = hidden_visible_correlation(rg, X)
        assert C.shape == (16, 64) and C.dtype == np.float64
        np.testing.assert_allclose(C, direct(rg.transform(X), X), atol=1e-12)


def test_uses_the_mean_output_and_leaves_the_estimator_alone():
    X, _ = make_ising(200, (8, 8), 2.5, random_state=1)
    rg_spins = BlockSpinRG(rule="average", output="spins", random_state=0).fit(X)
    rg_mean = BlockSpinRG(rule="average", output="mean").fit(X)
    np.testing.assert_allclose(hidden_visible_correlation(rg_spins, X),
                               hidden_visible_correlation(rg_mean, X), atol=1e-12)
    assert rg_spins.output == "spins"
    assert rg_spins.transform(X[:2]).dtype == np.int8


def test_block_average_of_independent_spins_is_a_sharp_block():
    # For i.i.d. spins, h_a = (1/4) sum of its block, so
    #   C[a, i] = (1/4) var(v_i) + (1/4) sum_{j in block, j != i} cov(v_i, v_j)  (i in block)
    #   C[a, i] = (1/4) sum_{j in block} cov(v_i, v_j)                          (elsewhere).
    # The sample covariances of independent spins have standard error 1/sqrt(n),
    # so the residual has standard error sqrt(3)/(4 sqrt(n)) on the block and
    # 1/(2 sqrt(n)) elsewhere.
    n, side = 5000, 8
    X = random_spins(n, side * side, seed=3)
    rg = BlockSpinRG(rule="average", output="mean").fit(X)
    C = hidden_visible_correlation(rg, X)
    mask = block_mask(side, 2)
    m = X.mean(axis=0)
    expected = np.where(mask, (1 - m**2)[None, :] / 4, 0.0)
    error = np.where(mask, np.sqrt(3) / 4, 1 / 2) / np.sqrt(n)
    z = (C - expected) / error
    assert np.abs(z).max() < 5.5
    assert 0.8 < np.mean(z**2) < 1.2
    # The block carries all but a sliver of each unit's squared mass.
    on_block = (C**2 * mask).sum(axis=1) / (C**2).sum(axis=1)
    assert on_block.min() > 0.9


def test_bernoulli_rbm_rows_are_in_output_order():
    X, _ = make_ising(300, (8, 8), 2.5, random_state=0)
    rbm = BernoulliRBM(n_components=16, n_iter=3, random_state=0).fit(X)
    assert rbm.output == "spins"
    C = hidden_visible_correlation(rbm, X)
    assert C.shape == (16, 64)
    W = rbm.components_.astype(np.float64)
    b = rbm.intercept_hidden_.astype(np.float64)
    H_training_order = np.tanh(X @ W.T + b)
    expected = direct(H_training_order, X)[rbm.hidden_order_] * rbm.hidden_signs_[:, None]
    np.testing.assert_allclose(C, expected, atol=1e-10)
    np.testing.assert_allclose(
        C, direct(rbm.set_params(output="mean").transform(X), X), atol=1e-12)


def test_estimator_without_output_parameter_uses_its_transform():
    X = random_spins(100, 16, seed=4)
    pca = PCA(n_components=3).fit(X)
    np.testing.assert_allclose(hidden_visible_correlation(pca, X),
                               direct(pca.transform(X), X), atol=1e-12)
    pipe = make_pipeline(BlockSpinRG(rule="average", output="mean")).fit(X)
    np.testing.assert_allclose(hidden_visible_correlation(pipe, X),
                               direct(pipe.transform(X), X), atol=1e-12)


def test_soft_spins_are_accepted():
    X, _ = make_ising(100, (8, 8), 2.5, random_state=0)
    soft = BlockSpinRG(rule="average", output="mean").fit_transform(X)
    rg = BlockSpinRG(rule="average", output="mean").fit(soft)
    np.testing.assert_allclose(hidden_visible_correlation(rg, soft),
                               direct(rg.transform(soft), soft), atol=1e-12)


@pytest.mark.parametrize(
    "X, match",
    [
        (np.full((5, 16), 2), r"\[-1, 1\]"),
        (np.where(np.eye(4, 16) > 0, np.nan, 1.0), "NaN"),
        (np.ones(16), "2D"),
        (np.ones((1, 16)), "at least 2 samples"),
    ],
)
def test_bad_input(X, match):
    rg = BlockSpinRG(rule="average", output="mean").fit(random_spins(4, 16))
    with pytest.raises(ValueError, match=match):
        hidden_visible_correlation(rg, X)


def test_wrong_width_and_unfitted():
    rg = BlockSpinRG(rule="average", output="mean").fit(random_spins(4, 16))
    with pytest.raises(ValueError, match="features"):
        hidden_visible_correlation(rg, random_spins(4, 64))
    with pytest.raises(NotFittedError):
        hidden_visible_correlation(BlockSpinRG(), random_spins(4, 16))
