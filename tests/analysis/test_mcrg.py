"""MCRG exponents against exact answers, and the RBM reconstruction flow."""

import math

import numpy as np
import pytest

from skrg import BernoulliRBM, BlockSpinRG, make_ising
from skrg.analysis import estimate_temperature, mcrg_exponents, operator_names, rbm_flow
from skrg.ising.exact import critical_temperature, decimation_coupling


def _levels(X, shape, n_steps, rule="majority", block_size=2):
    levels, shapes = [X], [shape]
    for _ in range(n_steps):
        rg = BlockSpinRG(block_size=block_size, rule=rule, lattice_shape=shapes[-1],
                         random_state=0)
        levels.append(rg.fit_transform(levels[-1]))
        shapes.append(rg.coarse_lattice_shape_)
    return levels, shapes


@pytest.mark.parametrize("b", [2, 3])
def test_1d_decimation_is_exact(b):
    # Decimating the chain gives exactly a chain at tanh K' = tanh(K)^b, so with
    # the nn operator T = dK'/dK = b t^(b-1) (1 - t^2) / (1 - t^(2b)), t = tanh K,
    # at every level pair, and with the field (b = 2) dh'/dh = 1 + tanh 2K.
    # Tolerance: 4 SE. 20,000 exact samples at K = 1.
    n_sites = 64 if b == 2 else 81
    X, _ = make_ising(20_000, n_sites, 1.0, random_state=b)
    levels, shapes = _levels(X, (n_sites,), 2, rule="decimation", block_size=b)
    res = mcrg_exponents(levels, shapes, b, ["nn", "nnn", "m", "3spin_line"])
    K = 1.0
    for pair in range(2):
        t = math.tanh(K)
        slope = b * t ** (b - 1) * (1 - t**2) / (1 - t ** (2 * b))
        value, se = res.eigenvalues_even[pair, 0], res.eigenvalues_even_std[pair, 0]
        assert abs(value - slope) < 4 * se and se < 0.02, (pair, value, se, slope)
        if b == 2:
            value, se = res.eigenvalues_odd[pair, 0], res.eigenvalues_odd_std[pair, 0]
            assert abs(value - (1 + math.tanh(2 * K))) < 4 * se and se < 0.01
        K = float(decimation_coupling(K, b))
    assert res.y_t_by_level[0, 0] == pytest.approx(math.log(res.eigenvalues_even[0, 0]) / math.log(b))


@pytest.fixture(scope="module")
def critical_levels():
    X, _ = make_ising(2000, (32, 32), critical_temperature(2), algorithm="wolff",
                      random_state=1)
    return _levels(X, (32, 32), 2)


def test_2d_majority_rule_at_tc(critical_levels):
    # 2000 Wolff samples of the 32x32 lattice at T_c, majority rule 32 -> 16 -> 8,
    # every operator (7 even, 4 odd). Exact: nu = 1, y_h = 15/8. Tolerances:
    # nu within 10% (measured 1.03 +- 0.035), y_h within 1% (measured 1.875 +- 0.002)
    # at the last pair with every operator; at every pair and truncation y_h
    # within 2% and nu within 10% from k = 2 operators on (15% with nn alone,
    # the crudest truncation: measured 1.097 +- 0.02 at the first pair).
    levels, shapes = critical_levels
    res = mcrg_exponents(levels, shapes, 2)
    n_even, n_odd = len(operator_names(2, "even")), len(operator_names(2, "odd"))
    assert res.y_t_by_level.shape == res.nu_std_by_level.shape == (2, n_even)
    assert res.y_h_by_level.shape == res.eigenvalues_odd_std.shape == (2, n_odd)
    assert res.level_pairs.tolist() == [[0, 1], [1, 2]]
    assert res.operators_even == operator_names(2, "even")
    assert abs(res.nu - 1.0) < 0.10 and 0 < res.nu_std < 0.08
    assert abs(res.y_h - 15 / 8) < 0.01 * 15 / 8 and 0 < res.y_h_std < 0.01
    assert res.y_t == res.y_t_by_level[-1, -1] and res.nu == pytest.approx(1 / res.y_t)
    assert (np.abs(res.nu_by_level[:, 1:] - 1) < 0.10).all()
    assert (np.abs(res.nu_by_level[:, 0] - 1) < 0.15).all()
    assert (np.abs(res.y_h_by_level - 15 / 8) < 0.02 * 15 / 8).all()
    assert res.eigenvalues_odd[0, 0] == pytest.approx(2 ** res.y_h_by_level[0, 0])


def test_2d_away_from_tc_is_not_critical(critical_levels):
    # Above T_c the flow runs to the high-temperature fixed point: lambda_t
    # falls well below 2 (y_t < 0.8), so the test above can fail.
    X, _ = make_ising(1000, (32, 32), 3.5, random_state=2)
    levels, shapes = _levels(X, (32, 32), 2)
    res = mcrg_exponents(levels, shapes, 2, ["nn", "nnn", "m"])
    assert res.y_t < 0.8 and res.y_h < 1.8


def test_one_sector_only(critical_levels):
    levels, shapes = critical_levels
    res = mcrg_exponents(levels[:2], shapes[:2], 2, ["nn"])
    assert res.y_t_by_level.shape == (1, 1) and res.y_h_by_level.shape == (1, 0)
    assert np.isnan(res.y_h) and np.isnan(res.y_h_std) and np.isfinite(res.y_t)


def test_mcrg_bad_input(critical_levels):
    levels, shapes = critical_levels
    with pytest.raises(ValueError, match="at least 2 levels"):
        mcrg_exponents(levels[:1], shapes[:1], 2)
    with pytest.raises(TypeError, match="list of arrays"):
        mcrg_exponents(levels[0], shapes[0], 2)
    with pytest.raises(ValueError, match="same rows.*levels\\[1\\] has 10"):
        mcrg_exponents([levels[0], levels[1][:10]], shapes[:2], 2)
    with pytest.raises(ValueError, match="lattice_shapes\\[1\\]=\\(8, 32\\) must be"):
        mcrg_exponents(levels[:2], [(32, 32), (8, 32)], 2)
    with pytest.raises(ValueError, match="block_size must be an integer >= 2"):
        mcrg_exponents(levels[:2], shapes[:2], 1)
    with pytest.raises(ValueError, match="'pair_21'.*at least 4.*at level 2, lattice \\(2, 2\\)"):
        coarse = BlockSpinRG(lattice_shape=(8, 8), random_state=0).fit_transform(levels[2])
        tiny = BlockSpinRG(lattice_shape=(4, 4), random_state=0).fit_transform(coarse)
        mcrg_exponents([levels[2], coarse, tiny], [(8, 8), (4, 4), (2, 2)], 2,
                       ["nn", "pair_21"])
    with pytest.raises(ValueError, match="exactly -1 or \\+1"):
        mcrg_exponents([levels[0], levels[1] * 0.5], shapes[:2], 2)
    with pytest.raises(ValueError, match="fewer than n_jackknife_blocks=20"):
        mcrg_exponents([lv[:5] for lv in levels], shapes, 2)


# ------------------------------------------------------------------ RBM flow


@pytest.fixture(scope="module")
def small_data():
    X, _ = make_ising(300, (8, 8), 2.5, random_state=0)
    return X


def test_rbm_flow_identity_kernel_keeps_the_temperature(small_data):
    # W = 12 I with no biases copies v to h and back (a flip has probability
    # ~e^-24 per unit): the flow must stay put, and so must its temperature.
    rbm = BernoulliRBM(n_components=64, n_iter=0, random_state=0).fit(small_data)
    rbm.components_ = 12 * np.eye(64, dtype=rbm.components_.dtype)
    flow = rbm_flow(rbm, small_data, 3, random_state=0)
    assert len(flow.configurations) == 4 and flow.temperature.shape == (4,)
    for X in flow.configurations:
        np.testing.assert_array_equal(X, small_data)
        assert X.dtype == np.int8
    np.testing.assert_allclose(flow.temperature, estimate_temperature(small_data)[0])
    assert flow.lattice_shape == (8, 8)


def test_rbm_flow_moves_and_is_seeded(small_data):
    rbm = BernoulliRBM(n_components=64, n_iter=3, random_state=0).fit(small_data)
    state = rbm.random_state_.bit_generator.state
    flow = rbm_flow(rbm, small_data, 2, random_state=1)
    again = rbm_flow(rbm, small_data, 2, random_state=1)
    np.testing.assert_array_equal(flow.configurations[2], again.configurations[2])
    assert rbm.random_state_.bit_generator.state == state  # the RBM is not touched
    assert (flow.configurations[1] != small_data).any()
    assert np.isfinite(flow.temperature).all() and (flow.temperature_std > 0).all()
    assert flow.temperature[0] == estimate_temperature(small_data)[0]


def test_rbm_flow_bad_input(small_data):
    rbm = BernoulliRBM(n_components=16, n_iter=0, random_state=0).fit(small_data)
    with pytest.raises(ValueError, match="X0 has 16 sites but the RBM has 64"):
        rbm_flow(rbm, small_data[:, :16], 1)
    with pytest.raises(ValueError, match="n_steps must be a non-negative integer"):
        rbm_flow(rbm, small_data, -1)
    binary = BernoulliRBM(n_components=16, units="binary", n_iter=0, random_state=0)
    binary.fit((small_data + 1) // 2)
    with pytest.raises(ValueError, match="spin units"):
        rbm_flow(binary, small_data, 1)
