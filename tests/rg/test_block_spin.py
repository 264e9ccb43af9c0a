"""BlockSpinRG against direct numpy references and the exact 1D decimation."""

import math

import numpy as np
import pytest
from sklearn.base import clone

from skrg import BlockSpinRG, make_ising
from skrg.ising import exact

Z = 5.0  # tolerance of statistical tests, in standard errors


def random_spins(n_samples, n_sites, seed=0):
    rng = np.random.default_rng(seed)
    return np.where(rng.random((n_samples, n_sites)) < 0.5, 1, -1).astype(np.int8)


def reference_blocks(X, shape, block):
    """Blocks as the last axis, by reshaping: the plain numpy definition."""
    d = len(shape)
    split = X.reshape((len(X),) + tuple(x for side in shape for x in (side // block, block)))
    order = (0,) + tuple(range(1, 2 * d, 2)) + tuple(range(2, 2 * d + 1, 2))
    return split.transpose(order).reshape(len(X), -1, block**d)


SHAPES = [((16,), 2), ((18,), 3), ((8, 8), 2), ((4, 8), 2), ((6, 9), 3), ((4, 4, 4), 2),
          ((4, 8, 4), 2)]


@pytest.mark.parametrize("shape, block", SHAPES)
@pytest.mark.parametrize("dtype", [np.int8, np.float64])
def test_rules_match_numpy_reference(shape, block, dtype):
    X = random_spins(200, math.prod(shape)).astype(dtype)
    blocks = reference_blocks(X.astype(np.int64), shape, block)
    sums = blocks.sum(axis=2)

    def fit(rule, output):
        return BlockSpinRG(block_size=block, rule=rule, output=output, lattice_shape=shape,
                           random_state=0).fit(X)

    majority_mean = fit("majority", "mean").transform(X)
    np.testing.assert_array_equal(majority_mean, np.sign(sums))
    majority = fit("majority", "spins").transform(X)
    assert majority.dtype == np.int8 and set(np.unique(majority)) <= {-1, 1}
    decided = sums != 0
    np.testing.assert_array_equal(majority[decided], np.sign(sums)[decided])

    for output in ("mean", "spins"):
        np.testing.assert_array_equal(fit("decimation", output).transform(X), blocks[:, :, 0])

    np.testing.assert_allclose(fit("average", "mean").transform(X), sums / block ** len(shape))
    average = fit("average", "spins").transform(X)
    uniform = np.abs(sums) == block ** len(shape)
    np.testing.assert_array_equal(average[uniform], np.sign(sums)[uniform])
    assert set(np.unique(average)) <= {-1, 1}


def tie_data(n_samples, seed=0):
    """8x8 configurations whose every 2x2 block holds two up and two down spins."""
    rng = np.random.default_rng(seed)
    patterns = np.array([p for p in np.ndindex(2, 2, 2, 2) if sum(p) == 2]) * 2 - 1
    choice = rng.integers(0, len(patterns), size=(n_samples, 4, 4))
    blocks = patterns[choice].reshape(n_samples, 4, 4, 2, 2)
    return blocks.transpose(0, 1, 3, 2, 4).reshape(n_samples, 64).astype(np.int8)


def test_ties_are_fair_at_every_site_and_across_rows():
    X = tie_data(6000)
    assert not (BlockSpinRG(output="mean").fit(X).transform(X)).any()  # all ties
    up = BlockSpinRG(random_state=1).fit(X).transform(X) == 1
    n_rows, n_coarse = up.shape
    # Every coarse site: P(+1) = 1/2.
    site_error = math.sqrt(0.25 / n_rows)
    assert np.abs(up.mean(axis=0) - 0.5).max() < Z * site_error
    # Across rows: the number of +1 in a row is Binomial(16, 1/2), mean 8, variance 4.
    counts = up.sum(axis=1)
    assert abs(counts.mean() - 8) < Z * math.sqrt(4 / n_rows)
    var_error = math.sqrt(2 * 4**2 / n_rows)  # Gaussian approximation of var's error
    assert abs(counts.var() - 4) < Z * var_error
    # Neighbouring coarse sites and consecutive rows are uncorrelated.
    s = 2.0 * up - 1
    assert abs((s[:, 0] * s[:, 1]).mean()) < Z / math.sqrt(n_rows)
    assert abs((s[:-1] * s[1:]).mean()) < Z / math.sqrt(n_rows * n_coarse)


def test_a_row_does_not_depend_on_the_other_rows():
    X = tie_data(300)
    rg = BlockSpinRG(random_state=2).fit(X)
    full = rg.transform(X)
    permutation = np.random.default_rng(0).permutation(len(X))
    np.testing.assert_array_equal(rg.transform(X[permutation]), full[permutation])
    np.testing.assert_array_equal(rg.transform(X[:7]), full[:7])
    # Counter-based: identical rows get identical draws, another key other draws.
    twice = rg.transform(np.vstack([X[:1], X[:1]]))
    np.testing.assert_array_equal(twice[0], twice[1])
    other = BlockSpinRG(random_state=3).fit(X).transform(X)
    assert (other != full).mean() > 0.4


def test_float_and_int_spins_give_the_same_result():
    X = tie_data(50)
    rg = BlockSpinRG(random_state=0).fit(X)
    np.testing.assert_array_equal(rg.transform(X), rg.transform(X.astype(np.float32)))
    np.testing.assert_array_equal(rg.transform(X), rg.transform(X.astype(np.int64)))


def fused_cases():
    """(X, shape) pairs the fused majority kernel takes: chains and square lattices."""
    rng = np.random.default_rng(1)
    ising, _ = make_ising(60, (16, 16), exact.critical_temperature(2), random_state=0)
    ising = np.asarray(ising, dtype=np.int8)
    cases = [(ising, (16, 16)), (tie_data(40), (8, 8))]
    for seed, shape in enumerate([(64,), (8,), (8, 8), (16, 24), (6, 8), (2, 8), (32, 32)]):
        cases.append((random_spins(50, math.prod(shape), seed=seed), shape))
    # Rows with no ties: every block uniform, from a coarse lattice replicated.
    coarse = random_spins(20, 64, seed=9).reshape(20, 8, 8)
    cases.append((coarse.repeat(2, axis=1).repeat(2, axis=2).reshape(20, -1), (16, 16)))
    mixed = random_spins(30, 128, seed=3)
    mixed[::3] = 1                     # all uniform
    mixed[1::3] = np.tile([1, -1], 64)  # a tie in every block
    cases.append((mixed, (8, 16)))
    cases.append((np.where(rng.random((30, 64)) < 0.9, 1, -1).astype(np.int8), (64,)))
    return cases


@pytest.mark.parametrize("case", range(len(fused_cases())))
@pytest.mark.parametrize("sample", [True, False])
def test_fused_majority_kernel_equals_the_generic_one(case, sample):
    from skrg.rg._block_spin import _block_step, _checks_spins, _generic_block_step
    from skrg.utils._counter_random import step_key

    X, shape = fused_cases()[case]
    assert _checks_spins(X.dtype, shape, 2, "majority")
    for random_key in (0, 12345):
        key = step_key(random_key, 0)
        fused = _block_step(X, shape, 2, "majority", sample, key)
        generic = _generic_block_step(X, shape, 2, "majority", sample, key)
        assert fused.dtype == generic.dtype
        np.testing.assert_array_equal(fused, generic)


def test_fused_majority_on_unusual_int8_input():
    X = random_spins(40, 256, seed=4)
    rg = BlockSpinRG(n_steps=2, random_state=0).fit(X)
    expected = rg.transform(X.astype(np.float64))  # the generic path, after validation
    np.testing.assert_array_equal(rg.transform(X), expected)
    # Not C-contiguous, and not aligned to 8 bytes.
    np.testing.assert_array_equal(rg.transform(np.asfortranarray(X)), expected)
    buffer = np.empty(X.size + 1, dtype=np.int8)
    unaligned = buffer[1:].reshape(X.shape)
    unaligned[:] = X
    np.testing.assert_array_equal(rg.transform(unaligned), expected)
    # Values the kernel rejects take the full validation: soft spins, or an error.
    soft = X.copy()
    soft[-1, -1] = 0
    np.testing.assert_array_equal(BlockSpinRG(output="mean").fit(X).transform(soft),
                                  BlockSpinRG(output="mean").fit(X).transform(soft * 1.0))
    soft[-1, -1] = 2
    with pytest.raises(ValueError, match=r"\[-1, 1\]; found values from -1 to 2"):
        rg.transform(soft)


def test_intermediate_steps_produce_spins():
    X = random_spins(100, 64)
    # With output="mean" after two average steps, means of spins are multiples of
    # 1/4; means of means would be multiples of 1/16.
    two = BlockSpinRG(rule="average", n_steps=2, output="mean", random_state=0).fit(X)
    values = two.transform(X) * 4
    np.testing.assert_array_equal(values, np.round(values))
    assert (np.abs(values) < 4).any()


def test_two_steps_equal_two_single_steps_without_ties():
    # 3x3 blocks of hard spins never tie, so majority is deterministic.
    X = random_spins(100, 81)
    one = BlockSpinRG(block_size=3, random_state=0).fit(X)
    middle = one.transform(X)
    expected = BlockSpinRG(block_size=3, output="mean").fit(middle).transform(middle)
    two = BlockSpinRG(block_size=3, n_steps=2, output="mean", random_state=0).fit(X)
    np.testing.assert_array_equal(two.transform(X), expected)


def test_decimation_steps_compose_exactly():
    X = random_spins(50, 256)
    single = BlockSpinRG(rule="decimation").fit(X)
    twice = single.for_lattice((8, 8)).transform(single.transform(X))
    both = BlockSpinRG(rule="decimation", n_steps=2).fit(X).transform(X)
    np.testing.assert_array_equal(both, twice)
    np.testing.assert_array_equal(both, X.reshape(50, 16, 16)[:, ::4, ::4].reshape(50, -1))


def test_for_lattice_reproduces_a_fresh_fit():
    small = random_spins(20, 64)
    large = tie_data(40).repeat(4, axis=1)  # any 256-site data with ties
    large = np.concatenate([large[:, :128], -large[:, 128:]], axis=1)
    rg = BlockSpinRG(n_steps=2, random_state=5).fit(small)
    moved = rg.for_lattice((16, 16))
    fresh = BlockSpinRG(n_steps=2, random_state=5, lattice_shape=(16, 16)).fit(large)
    assert moved.coarse_lattice_shape_ == fresh.coarse_lattice_shape_ == (4, 4)
    assert moved.n_features_in_ == 256
    np.testing.assert_array_equal(moved.transform(large), fresh.transform(large))
    assert rg.n_features_in_ == 64  # the original is untouched
    assert moved.get_params()["lattice_shape"] == (16, 16)


@pytest.mark.parametrize("b", [2, 3])
@pytest.mark.parametrize("temperature", [0.8, 1.5])
def test_decimated_exact_chain_matches_renormalized_coupling(b, temperature):
    n_sites = 48
    X, _ = make_ising(4000, n_sites, temperature, algorithm="exact", random_state=b)
    coarse = BlockSpinRG(block_size=b, rule="decimation", lattice_shape=(n_sites,)).fit(X)
    Xc = coarse.transform(X)
    per_sample = (Xc * np.roll(Xc, -1, axis=1)).mean(axis=1, dtype=np.float64)
    renormalized = exact.decimation_coupling(1.0 / temperature, b)
    expected = exact.chain_correlation(renormalized, 1, n_sites=n_sites // b)
    error = per_sample.std(ddof=1) / math.sqrt(len(per_sample))
    assert abs(per_sample.mean() - expected) < Z * error
    # The test can tell: the unrenormalized coupling is many errors away.
    assert abs(exact.chain_correlation(1.0 / temperature, 1, n_sites=n_sites // b)
               - expected) > 10 * error


def test_inverse_transform_replicates_blocks():
    X = random_spins(10, 64)
    rg = BlockSpinRG(rule="average", output="mean", n_steps=2).fit(X)
    coarse = rg.transform(X)
    fine = rg.inverse_transform(coarse)
    assert fine.shape == X.shape
    blocks = reference_blocks(fine, (8, 8), 4)
    np.testing.assert_allclose(blocks, np.repeat(coarse[:, :, None], 16, axis=2))
    spins = BlockSpinRG(random_state=0).fit(X)
    assert spins.inverse_transform(spins.transform(X)).dtype == np.int8
    with pytest.raises(ValueError, match="expects 16 coarse sites"):
        spins.inverse_transform(X)


def test_score_is_block_overlap():
    uniform = np.repeat(np.repeat(random_spins(5, 16).reshape(5, 4, 4), 2, 1), 2, 2)
    uniform = uniform.reshape(5, 64)
    for rule in ("majority", "decimation", "average"):
        assert BlockSpinRG(rule=rule).fit(uniform).score(uniform) == 1.0
    X = random_spins(4000, 64)
    # Independent spins: E[s_i * (block average)] = 1/4 for 2x2 blocks.
    score = BlockSpinRG(rule="average").fit(X).score(X)
    assert abs(score - 0.25) < Z * math.sqrt(3 / 64 / 4000 / 16)


def test_soft_input():
    X = np.array([[0.5, 0.25, -1.0, 0.0]])
    np.testing.assert_allclose(
        BlockSpinRG(rule="average", output="mean").fit(X).transform(X), [[-0.0625]])
    np.testing.assert_array_equal(
        BlockSpinRG(output="mean").fit(X).transform(X), [[-1.0]])
    np.testing.assert_allclose(
        BlockSpinRG(rule="decimation", output="mean").fit(X).transform(X), [[0.5]])
    # Soft decimation samples +1 with probability (1 + value) / 2.
    many = np.full((20000, 4), 0.5) + np.linspace(0, 1e-3, 20000)[:, None] * [0, 1, 0, 0]
    up = BlockSpinRG(rule="decimation", random_state=0).fit(many).transform(many) == 1
    assert abs(up.mean() - 0.75) < Z * math.sqrt(0.75 * 0.25 / len(many))


def test_feature_names_and_pipeline_chaining():
    X = random_spins(10, 64)
    rg = BlockSpinRG(n_steps=2).fit(X)
    assert list(rg.get_feature_names_out()) == [f"blockspinrg{i}" for i in range(4)]
    from sklearn.pipeline import make_pipeline

    pipe = make_pipeline(BlockSpinRG(output="mean", random_state=0),
                         BlockSpinRG(rule="average", output="mean", random_state=0))
    assert pipe.fit_transform(X).shape == (10, 4)


def test_three_dimensions():
    X = random_spins(20, 512)
    rg = BlockSpinRG(lattice_shape=(8, 8, 8), n_steps=2, random_state=0).fit(X)
    assert rg.level_shapes_ == ((8, 8, 8), (4, 4, 4), (2, 2, 2))
    assert rg.transform(X).shape == (20, 8)


# ----------------------------------------------------------------------------------
# Bad input


@pytest.mark.parametrize(
    "params, n_sites, match",
    [
        (dict(block_size=4), 36, "block_size=4 must divide every side of the lattice"),
        (dict(n_steps=3), 16, "too small for n_steps=3"),
        (dict(lattice_shape=(4, 4)), 32, r"\(4, 4\) has 16 sites but the data has 32"),
        (dict(), 32, "perfect square"),
        (dict(lattice_shape=(0, 4)), 16, "positive"),
        (dict(block_size=1), 16, "block_size"),
        (dict(rule="mean"), 16, "rule"),
        (dict(output="probabilities"), 16, "output"),
        (dict(n_steps=0), 16, "n_steps"),
    ],
)
def test_bad_parameters(params, n_sites, match):
    with pytest.raises(ValueError, match=match):
        BlockSpinRG(**params).fit(random_spins(4, n_sites))


@pytest.mark.parametrize(
    "X, match",
    [
        (np.full((2, 16), 2.0), r"\[-1, 1\]"),
        (np.full((2, 16), np.nan), "NaN"),
        (np.full((2, 16), np.inf), "infinity|infinite"),
        (np.ones(16), "2D array"),
    ],
)
def test_bad_data(X, match):
    with pytest.raises(ValueError, match=match):
        BlockSpinRG().fit(X)


def test_binary_data_warns_and_wrong_width_is_rejected():
    with pytest.warns(UserWarning, match="binary_to_spins"):
        BlockSpinRG().fit(np.tile([0, 1], (3, 8)))
    rg = BlockSpinRG().fit(random_spins(3, 16))
    with pytest.raises(ValueError, match="features"):
        rg.transform(random_spins(3, 64))


def test_clone_keeps_parameters_only():
    rg = BlockSpinRG(block_size=3, rule="average", lattice_shape=(9, 9), random_state=4)
    fitted = rg.fit(random_spins(3, 81))
    copy = clone(fitted)
    assert copy.get_params() == rg.get_params()
    assert not hasattr(copy, "random_key_")


# --- receptive_fields: the exact linear kernel E[h_a v_i] under uniform input ---


def kernel_reference(shape, block, rule, n_steps):
    """The kernel built from the definition: a block of b**n_steps sites, coefficient c**n_steps."""
    volume = block ** len(shape)
    c = {"average": 1 / volume, "decimation": 1.0,
         "majority": math.comb(volume - 1, volume // 2) / 2 ** (volume - 1)}[rule]
    big = block**n_steps
    coords = np.indices(shape).reshape(len(shape), -1).T          # fine sites, C order
    coarse_shape = tuple(side // big for side in shape)
    coarse = np.ravel_multi_index(tuple((coords // big).T), coarse_shape)
    inside = np.ones(len(coords), dtype=bool) if rule != "decimation" else (coords % big == 0).all(1)
    R = np.zeros((math.prod(coarse_shape), len(coords)))
    R[coarse[inside], np.flatnonzero(inside)] = c**n_steps
    return R


@pytest.mark.parametrize("rule", ["average", "decimation", "majority"])
@pytest.mark.parametrize("shape", [(64,), (8, 8)])
@pytest.mark.parametrize("n_steps", [1, 2])
def test_receptive_fields_match_monte_carlo_on_uniform_spins(rule, shape, n_steps):
    from skrg.metrics import hidden_visible_correlation

    n = 4000
    X = random_spins(n, math.prod(shape), seed=n_steps)
    rg = BlockSpinRG(rule=rule, n_steps=n_steps, lattice_shape=shape, random_state=0).fit(X)
    R = rg.receptive_fields()
    assert R.dtype == np.float64 and R.shape == (math.prod(rg.coarse_lattice_shape_), X.shape[1])
    np.testing.assert_array_equal(R, kernel_reference(shape, 2, rule, n_steps))
    C = hidden_visible_correlation(rg, X)
    # Standard error of each entry from the spread of the centred products; the
    # connected estimate also carries a bias of order 1/n (the product of two means).
    H = rg.set_params(output="mean").transform(X)
    Hc, Xc = H - H.mean(0), X - X.mean(0)
    se = np.sqrt((Hc**2).T @ Xc**2 / n - C**2) / np.sqrt(n)
    assert np.all(np.abs(C - R) <= Z * se + Z / n)
    noisy = se > 1e-9   # decimation's kept site has h = v_i: no spread, bias only
    assert 0.8 < np.mean(((C - R)[noisy] / se[noisy]) ** 2) < 1.2
    # A draw (output="spins") has the same linear response.
    S = rg.set_params(output="spins").transform(X).astype(float)
    C_spins = S.T @ X / n
    se_spins = np.sqrt(np.maximum(1 - C_spins**2, 0) / n)
    assert np.all(np.abs(C_spins - R) <= Z * se_spins + Z / n)


@pytest.mark.parametrize("shape, block, expected", [
    ((2, 2), 2, 3 / 8), ((3, 3), 3, 70 / 256), ((4,), 4, 3 / 8), ((3,), 3, 1 / 2), ((2,), 2, 1 / 2),
])
def test_majority_receptive_field_by_exact_enumeration(shape, block, expected):
    # Every configuration of one block, equally weighted: E[h v_i] exactly.
    n = math.prod(shape)
    X = 1 - 2 * ((np.arange(2**n)[:, None] >> np.arange(n)) & 1).astype(np.int8)
    rg = BlockSpinRG(block_size=block, rule="majority", output="mean", lattice_shape=shape).fit(X)
    exact_field = rg.transform(X).T @ X / 2**n
    np.testing.assert_allclose(exact_field, np.full((1, n), expected), atol=1e-15)
    np.testing.assert_allclose(rg.receptive_fields(), exact_field, atol=1e-15)


def test_decimation_receptive_field_of_two_steps_by_enumeration():
    X = 1 - 2 * ((np.arange(2**16)[:, None] >> np.arange(16)) & 1).astype(np.int8)
    rg = BlockSpinRG(rule="decimation", n_steps=2, output="mean").fit(X)
    np.testing.assert_array_equal(rg.receptive_fields(), rg.transform(X).T @ X / 2**16)


def test_receptive_fields_needs_a_fit():
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        BlockSpinRG().receptive_fields()
