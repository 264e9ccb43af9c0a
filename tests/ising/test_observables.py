"""Tests of skrg.ising.observables against hand-built configurations, direct loops
and series with known statistics."""

import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.signal import lfilter

from skrg.ising import observables as obs
from skrg.lattice import Lattice

SHAPES = [(7,), (2,), (4, 4), (4, 6), (3, 5), (2, 4, 6), (3, 3, 3)]


def random_spins(n_samples, shape, seed=0):
    rng = np.random.default_rng(seed)
    return rng.choice(np.array([-1, 1], dtype=np.int8), size=(n_samples, math.prod(shape)))


def checkerboard(shape):
    return np.where(Lattice(shape).parity() == 0, 1, -1).astype(np.int8)[None, :]


def ar1(a, n, k=None, seed=0, burn=2000):
    """AR(1) x_t = a x_{t-1} + e_t, stationary (burn-in dropped), unit innovations."""
    size = (n + burn,) if k is None else (n + burn, k)
    noise = np.random.default_rng(seed).normal(size=size)
    return lfilter([1.0], [1.0, -a], noise, axis=0)[burn:]


# ---------------------------------------------------------------------------
# magnetization and energy
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("shape", [(8,), (2,), (4, 4), (2, 2), (4, 6), (2, 4, 6), (4, 4, 4)])
def test_all_up_and_all_down(shape):
    up = np.ones((1, math.prod(shape)), dtype=np.int8)
    ndim = len(shape)
    np.testing.assert_array_equal(obs.energy(up, shape), [-ndim])
    np.testing.assert_array_equal(obs.energy(-up, shape), [-ndim])
    np.testing.assert_array_equal(obs.magnetization(up), [1.0])
    np.testing.assert_array_equal(obs.magnetization(-up), [-1.0])
    np.testing.assert_array_equal(obs.magnetization(-up, absolute=True), [1.0])


@pytest.mark.parametrize("shape", [(8,), (4, 4), (4, 6), (2, 4, 6)])
def test_checkerboard_is_antiferromagnetic(shape):
    X = checkerboard(shape)
    np.testing.assert_array_equal(obs.energy(X, shape), [len(shape)])
    np.testing.assert_array_equal(obs.magnetization(X), [0.0])


def test_side_of_two_counts_the_pair_twice():
    # 2x2: each site has bonds to its +x and +y neighbours; with side 2 the +x
    # and -x neighbour coincide, so every pair is counted twice: 8 bonds, 4 pairs.
    assert obs.energy(np.ones((1, 4)), (2, 2))[0] == -2.0
    assert obs.energy(checkerboard((2, 2)), (2, 2))[0] == 2.0
    # One flipped spin breaks its two distinct pairs, each counted twice: 4 of 8 bonds.
    assert obs.energy([[-1, 1, 1, 1]], (2, 2))[0] == 0.0
    # The same on a 4x4 breaks 4 of 32 bonds: u = -(32 - 8) / 16.
    one_flip = np.ones((1, 16))
    one_flip[0, 5] = -1
    assert obs.energy(one_flip)[0] == -1.5


def test_energy_default_shape_is_square():
    X = random_spins(3, (6, 6))
    np.testing.assert_array_equal(obs.energy(X), obs.energy(X, (6, 6)))


def energy_by_loop(X, shape):
    neighbours = Lattice(shape).neighbours()[:, : len(shape)]
    X = X.astype(np.int64)
    total = np.zeros(X.shape[0])
    for i in range(X.shape[1]):
        for j in neighbours[i]:
            total += X[:, i] * X[:, j]
    return -total / X.shape[1]


@pytest.mark.parametrize("shape", SHAPES)
def test_energy_matches_direct_loop(shape):
    X = random_spins(20, shape, seed=len(shape))
    np.testing.assert_allclose(obs.energy(X, shape), energy_by_loop(X, shape), rtol=0, atol=1e-12)
    np.testing.assert_allclose(
        obs.magnetization(X), X.astype(np.int64).sum(axis=1) / X.shape[1], rtol=0, atol=1e-15
    )


def test_row_chunks_do_not_change_results(monkeypatch):
    X = random_spins(37, (4, 6), seed=3)
    u, (_, G) = obs.energy(X, (4, 6)), obs.correlation_function(X, (4, 6))
    monkeypatch.setattr(obs, "_CHUNK_ELEMENTS", 50)  # two rows a chunk, ragged end
    np.testing.assert_array_equal(obs.energy(X, (4, 6)), u)
    np.testing.assert_array_equal(obs.correlation_function(X, (4, 6))[1], G)


def test_float_spins_are_accepted_and_input_not_modified():
    X = random_spins(5, (4, 4)).astype(np.float64)
    copy = X.copy()
    np.testing.assert_array_equal(obs.energy(X), obs.energy(X.astype(np.int8)))
    np.testing.assert_array_equal(X, copy)
    frozen = X.astype(np.int8)
    frozen.flags.writeable = False
    np.testing.assert_array_equal(obs.energy(frozen), obs.energy(X))


def test_bad_value_in_a_later_chunk_is_found(monkeypatch):
    monkeypatch.setattr(obs, "_CHUNK_ELEMENTS", 32)  # two rows of 16 sites a chunk
    X = random_spins(9, (4, 4))
    X[-1, -1] = 0
    with pytest.raises(ValueError, match="X must hold spins"):
        obs.energy(X)
    with pytest.raises(ValueError, match="X contains NaN"):
        obs.magnetization(np.where(X == 0, np.nan, X))


@settings(max_examples=50, deadline=None)
@given(
    shape=st.lists(st.integers(1, 5), min_size=1, max_size=3).map(tuple),
    seed=st.integers(0, 2**32 - 1),
    shift=st.integers(0, 4),
)
def test_energy_symmetries(shape, seed, shift):
    # Global spin flip and lattice translations leave the energy unchanged.
    X = random_spins(4, shape, seed=seed)
    u = obs.energy(X, shape)
    moved = np.roll(X.reshape(4, *shape), shift, axis=-1).reshape(4, -1)
    np.testing.assert_array_equal(obs.energy(-X, shape), u)
    np.testing.assert_array_equal(obs.energy(moved, shape), u)
    assert np.all(np.abs(u) <= len(shape))


# ---------------------------------------------------------------------------
# correlation function
# ---------------------------------------------------------------------------


def correlation_by_loop(X, shape):
    coords = list(itertools.product(*(range(side) for side in shape)))
    X = X.reshape(X.shape[0], *shape).astype(np.int64)
    r_max = min(shape) // 2
    G = np.zeros(r_max + 1)
    for r in range(r_max + 1):
        for x in coords:
            for a in range(len(shape)):
                y = list(x)
                y[a] = (y[a] + r) % shape[a]
                G[r] += np.sum(X[(slice(None), *x)] * X[(slice(None), *y)])
    return G / (X.shape[0] * math.prod(shape) * len(shape))


@pytest.mark.parametrize("shape", SHAPES)
def test_correlation_matches_direct_loop(shape):
    X = random_spins(6, shape, seed=11)
    r, G = obs.correlation_function(X, shape)
    np.testing.assert_array_equal(r, np.arange(min(shape) // 2 + 1))
    np.testing.assert_allclose(G, correlation_by_loop(X, shape), rtol=0, atol=1e-12)
    assert G[0] == 1.0


def test_correlation_of_iid_spins_vanishes():
    n, shape = 2000, (16, 16)
    X = random_spins(n, shape, seed=5)
    _, G = obs.correlation_function(X, shape)
    # Each G(r > 0) averages n * N * ndim products of independent fair signs,
    # pairwise uncorrelated: standard error 1 / sqrt(n N ndim) ~ 0.001. Allow 5 of them.
    se = 1.0 / math.sqrt(n * 256 * 2)
    assert G[0] == 1.0
    assert np.all(np.abs(G[1:]) < 5 * se), G[1:] / se


def test_connected_correlation_of_ordered_mixture():
    # 3 all-up and 1 all-down: G(r) = 1, mean spin 1/2, connected = 1 - 1/4.
    up = np.ones((1, 24), dtype=np.int8)
    X = np.concatenate([up, up, up, -up])
    _, G = obs.correlation_function(X, (4, 6))
    _, Gc = obs.correlation_function(X, (4, 6), connected=True)
    np.testing.assert_array_equal(G, np.ones(3))
    np.testing.assert_array_equal(Gc, np.full(3, 0.75))


def test_correlation_of_checkerboard_alternates():
    _, G = obs.correlation_function(checkerboard((6, 8)), (6, 8))
    np.testing.assert_array_equal(G, [1, -1, 1, -1])


# ---------------------------------------------------------------------------
# fluctuations: specific heat, susceptibility, Binder cumulant
# ---------------------------------------------------------------------------


def test_specific_heat_of_two_level_mixture():
    # 1 all-up (u = -2) and 3 checkerboards (u = +2) on 4x4: var(u) = 16 p (1 - p).
    shape, T, p = (4, 4), 2.5, 0.25
    X = np.concatenate([np.ones((1, 16), np.int8), np.repeat(checkerboard(shape), 3, axis=0)])
    expected = 16 * (16 * p * (1 - p)) / T**2
    assert obs.specific_heat(X, T, shape) == pytest.approx(expected, rel=1e-12)
    assert obs.specific_heat(X, T) == pytest.approx(expected, rel=1e-12)


def test_susceptibility_and_binder_by_hand():
    # Fractions: all-up 3/8, all-down 1/8, m = 0 (checkerboard) 4/8, on a 4x4 lattice.
    up, zero = np.ones((1, 16), np.int8), checkerboard((4, 4))
    X = np.concatenate([up, up, up, -up, zero, zero, zero, zero])
    T, N = 1.7, 16
    q, mean_m = 4 / 8, 2 / 8  # <m^2> = <|m|> = <m^4> = q
    assert obs.susceptibility(X, T) == pytest.approx(N * (q - q**2) / T, rel=1e-12)
    assert obs.susceptibility(X, T, absolute=False) == pytest.approx(
        N * (q - mean_m**2) / T, rel=1e-12
    )
    assert obs.binder_cumulant(X) == pytest.approx(1 - q / (3 * q**2), rel=1e-12)


def test_binder_of_ordered_states_is_two_thirds():
    up = np.ones((1, 9), np.int8)
    X = np.concatenate([up, -up, -up, up, up])
    assert obs.binder_cumulant(X) == pytest.approx(2 / 3, rel=1e-12)
    # ...and the fluctuation of |m| is zero.
    assert obs.susceptibility(X, 2.0) == 0.0


def test_binder_of_random_spins_is_near_zero():
    # m is ~Gaussian: <m^4> = 3 <m^2>^2 (1 - 2/(3N)) exactly for fair signs, so
    # U = 2 / (3N) ~ 0.0026; the sampling error of U with 4000 samples is ~0.03.
    X = random_spins(4000, (16, 16), seed=2)
    assert abs(obs.binder_cumulant(X)) < 0.1


# ---------------------------------------------------------------------------
# statistics of series
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("a", [0.0, 0.5, 0.9])
def test_integrated_autocorrelation_time_of_ar1(a):
    tau = (1 + a) / (1 - a)
    n, seeds = 1 << 18, range(4)
    estimates = [obs.integrated_autocorrelation_time(ar1(a, n, seed=s)) for s in seeds]
    # Sokal: sd(tau_hat) ~ tau sqrt(2 (2M + 1) / n) with window M ~ c tau (c = 5);
    # the window's truncation bias 2 a^(M+1) / (1 - a) is < 1e-3 here. The mean of
    # 4 seeds must be within 4 of its expected errors.
    window = max(5 * tau, 5)
    sd = tau * math.sqrt(2 * (2 * window + 1) / n) / math.sqrt(len(seeds))
    assert abs(np.mean(estimates) - tau) < 4 * sd, (np.mean(estimates), tau, sd)


def test_integrated_autocorrelation_time_edge_cases():
    assert obs.integrated_autocorrelation_time(np.full(100, 0.1)) == 1.0
    with pytest.raises(ValueError, match="c must be"):
        obs.integrated_autocorrelation_time(np.arange(10.0), c=0)
    with pytest.raises(ValueError, match="x must be"):
        obs.integrated_autocorrelation_time([1.0])


def test_autocorrelation_function_of_ar1_and_wrapper():
    x = ar1(0.8, 1 << 17, seed=1)
    rho = obs.autocorrelation_function(x, max_lag=5)
    assert rho.shape == (6,) and rho[0] == 1.0
    # sd of rho_hat(t) ~ sqrt(tau / n) ~ 0.008; allow 5 of them.
    np.testing.assert_allclose(rho, 0.8 ** np.arange(6), atol=0.04)
    full = obs.autocorrelation_function(x[:100])
    assert full.shape == (100,)
    np.testing.assert_allclose(full[:6], obs._autocorrelation(x[:100])[:6])
    np.testing.assert_array_equal(obs.autocorrelation_function(np.ones(5)), [1, 0, 0, 0, 0])
    with pytest.raises(ValueError, match="max_lag"):
        obs.autocorrelation_function(x[:10], max_lag=10)
    with pytest.raises(ValueError, match="x must be"):
        obs.autocorrelation_function(np.ones((3, 3)))


def test_binned_error_by_hand_and_every_sample_used():
    x = np.arange(8.0)
    means = np.array([0.5, 2.5, 4.5, 6.5])
    expected = np.std(means, ddof=1) / 2
    assert obs.binned_standard_error(x, n_bins=4) == pytest.approx(expected, rel=1e-12)
    # 9 samples in 4 bins: blocks of 2, 2, 2, 3, each mean weighted by its length.
    y = np.arange(9.0)
    blocks = [y[0:2], y[2:4], y[4:6], y[6:9]]
    spread = sum(b.size * (b.mean() - y.mean()) ** 2 for b in blocks)
    expected = math.sqrt(spread / (3 * 9))
    assert obs.binned_standard_error(y, n_bins=4) == pytest.approx(expected, rel=1e-12)


def test_binned_error_of_iid_data():
    n, k = 1 << 14, 40
    x = np.random.default_rng(0).normal(scale=2.0, size=(n, k))
    err = obs.binned_standard_error(x)
    assert err.shape == (k,)
    assert obs.binned_standard_error(x[:, 3]) == pytest.approx(err[3], rel=1e-12)
    # err^2 / (sigma^2 / n) ~ chi2(31) / 31 per column: the mean over 40 columns has
    # relative sd sqrt(2 / (31 * 40)) = 0.04. Allow 4 of them.
    ratio = np.mean(err**2) / (4.0 / n)
    assert abs(ratio - 1) < 4 * math.sqrt(2 / (31 * k)), ratio


def test_binned_error_of_ar1_includes_tau():
    a, n, k = 0.5, 1 << 16, 40
    tau, sigma2 = (1 + a) / (1 - a), 1 / (1 - a**2)
    err = obs.binned_standard_error(ar1(a, n, k=k, seed=4))
    naive = sigma2 / n
    ratio = np.mean(err**2) / (tau * naive)  # blocks of 2048 >> tau = 3: bias < 1e-3
    assert abs(ratio - 1) < 4 * math.sqrt(2 / (31 * k)), ratio
    # The naive error would be too small by sqrt(tau) = 1.7: clearly distinguished.
    assert np.mean(err**2) > 2 * naive


def test_binned_error_rejects_short_series():
    with pytest.raises(ValueError, match="n_bins=32"):
        obs.binned_standard_error(np.arange(63.0))
    with pytest.raises(ValueError, match="n_bins"):
        obs.binned_standard_error(np.arange(63.0), n_bins=1)
    with pytest.raises(ValueError, match="x contains NaN"):
        obs.binned_standard_error(np.r_[np.arange(100.0), np.nan])
    with pytest.raises(ValueError, match="x must be"):
        obs.binned_standard_error(np.ones((100, 2, 2)))


# ---------------------------------------------------------------------------
# bad input
# ---------------------------------------------------------------------------

X_OK = random_spins(4, (4, 4))
X_ZERO = X_OK.copy()
X_ZERO[1, 2] = 0

NEEDS_X = [
    lambda X: obs.magnetization(X),
    lambda X: obs.energy(X, (4, 4)),
    lambda X: obs.correlation_function(X, (4, 4)),
    lambda X: obs.specific_heat(X, 1.0, (4, 4)),
    lambda X: obs.susceptibility(X, 1.0),
    lambda X: obs.binder_cumulant(X),
]


@pytest.mark.parametrize("func", NEEDS_X)
@pytest.mark.parametrize(
    "bad, message",
    [
        (X_ZERO, "X must hold spins exactly -1 or \\+1"),
        (X_OK * 2, "X must hold spins in \\[-1, 1\\]"),
        (np.where(X_OK == 1, 1.0, np.nan), "X contains NaN"),
        (X_OK[0], "X must be 2D"),
    ],
)
def test_bad_spins(func, bad, message):
    with pytest.raises(ValueError, match=message):
        func(bad)


@pytest.mark.parametrize("func", [obs.energy, obs.correlation_function])
def test_bad_lattice_shape(func):
    with pytest.raises(ValueError, match="lattice_shape"):
        func(X_OK, (4, 5))
    with pytest.raises(ValueError, match="lattice_shape=None"):
        func(random_spins(2, (12,)))
    with pytest.raises(TypeError, match="lattice_shape"):
        func(X_OK, (4.0, 4.0))


@pytest.mark.parametrize("temperature", [0, -1.0, np.nan, np.inf])
@pytest.mark.parametrize("func", [obs.specific_heat, obs.susceptibility])
def test_bad_temperature(func, temperature):
    with pytest.raises(ValueError, match="temperature"):
        func(X_OK, temperature)


def test_specific_heat_checks_lattice_shape():
    with pytest.raises(ValueError, match="lattice_shape"):
        obs.specific_heat(X_OK, 1.0, (2, 2, 2, 2))


@pytest.mark.parametrize("temperature", ["2", None, [1.0, 2.0]])
def test_temperature_must_be_a_number(temperature):
    with pytest.raises(TypeError, match="temperature"):
        obs.specific_heat(X_OK, temperature)


@pytest.mark.parametrize(
    "func",
    [
        lambda X: obs.specific_heat(X, 1.0),
        lambda X: obs.susceptibility(X, 1.0),
        obs.binder_cumulant,
    ],
)
def test_one_sample_is_not_an_ensemble(func):
    with pytest.raises(ValueError, match="n_samples=1"):
        func(X_OK[:1])


def test_empty_inputs():
    with pytest.raises(ValueError, match="n_samples=0"):
        obs.correlation_function(X_OK[:0])
    with pytest.raises(ValueError, match="at least one site"):
        obs.magnetization(np.ones((3, 0)))
    with pytest.raises(ValueError, match="zero magnetization"):
        obs.binder_cumulant(np.repeat(checkerboard((4, 4)), 2, axis=0))
