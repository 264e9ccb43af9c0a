"""Tests of skrg.ising.exact against independent exact answers.

Every reference is computed here by a different route from the code under test:
brute-force sums over states (with bonds built by np.roll, not by Lattice),
transfer matrices, series expansions and known finite-size laws.
"""

import itertools
import math
import warnings

import numpy as np
import pytest
from scipy.special import comb, logsumexp

from skrg.ising import exact

TC = 2.0 / math.log(1.0 + math.sqrt(2.0))
KC = 1.0 / TC


# ----------------------------------------------------------------------- references


def all_states(shape):
    """Every configuration of a lattice, shape (2^N, *shape), as int64."""
    n_sites = math.prod(shape)
    states = np.array(list(itertools.product([1, -1], repeat=n_sites)), dtype=np.int64)
    return states.reshape((-1,) + tuple(shape))


def brute_energies(shape):
    """Total energies and magnetizations of every state, H = -sum_i sum_a s_i s_{i+e_a}."""
    X = all_states(shape)
    axes = range(1, X.ndim)
    E = -sum((X * np.roll(X, -1, axis=a)).reshape(len(X), -1).sum(axis=1) for a in axes)
    M = X.reshape(len(X), -1).sum(axis=1)
    return E, M


def brute_thermal(shape, T):
    """ln Z, <u>, and N var(u) / T^2 by direct summation over states."""
    E, _ = brute_energies(shape)
    N = math.prod(shape)
    log_w = -E / T
    log_z = logsumexp(log_w)
    p = np.exp(log_w - log_z)
    u = E / N
    mean = p @ u
    return log_z, mean, N * (p @ (u - mean) ** 2) / T**2


def transfer_matrix(K):
    return np.array([[math.exp(K), math.exp(-K)], [math.exp(-K), math.exp(K)]])


# -------------------------------------------------------------------- critical points


def test_critical_values():
    assert exact.critical_temperature(1) == 0.0
    assert exact.critical_coupling(1) == math.inf
    np.testing.assert_allclose(exact.critical_temperature(2), TC, rtol=1e-15)
    np.testing.assert_allclose(exact.critical_coupling(2), 0.4406867935097715, rtol=1e-15)
    np.testing.assert_allclose(exact.critical_temperature(3), 4.511523, rtol=1e-6)
    for dim in (2, 3):
        assert exact.critical_coupling(dim) * exact.critical_temperature(dim) == pytest.approx(1)


@pytest.mark.parametrize("dim", [0, 4, 2.0, True, "2", None])
def test_critical_bad_dim(dim):
    with pytest.raises(ValueError, match=r"dim must be 1, 2 or 3, got dim="):
        exact.critical_temperature(dim)
    with pytest.raises(ValueError, match=r"dim"):
        exact.critical_coupling(dim)


# --------------------------------------------------------------------------- Onsager


def test_onsager_energy_at_tc_and_continuity():
    np.testing.assert_allclose(exact.onsager_energy(TC), -math.sqrt(2.0), rtol=1e-13)
    left, right = exact.onsager_energy([TC * (1 - 1e-9), TC * (1 + 1e-9)])
    assert abs(left + math.sqrt(2.0)) < 1e-6 and abs(right + math.sqrt(2.0)) < 1e-6
    # Monotone in T (C > 0) and within the physical range everywhere.
    T = np.linspace(0.8, 10.0, 2001)  # below 0.8, u = -2 to within a few ulps
    u = exact.onsager_energy(T)
    assert np.all(np.diff(u) > 0) and np.all((u > -2) & (u < 0))
    np.testing.assert_allclose(exact.onsager_energy(0.1), -2.0, atol=1e-15)


def test_onsager_magnetization_low_temperature_series():
    # Low-temperature series of the square lattice (Domb), x = e^{-2K}; a separate route
    # to Yang's formula. At T = 1 the first omitted term is 88048 x^18 ~ 3e-11.
    coefficients = [1, 0, -2, -8, -34, -152, -714, -3472, -17318]
    for T in (0.8, 1.0):
        u = math.exp(-4.0 / T)
        series = sum(c * u**k for k, c in enumerate(coefficients))
        np.testing.assert_allclose(exact.onsager_magnetization(T), series, rtol=1e-9)


def test_onsager_magnetization_limits():
    np.testing.assert_allclose(exact.onsager_magnetization(0.05), 1.0, rtol=1e-15)
    assert np.all(exact.onsager_magnetization([TC, TC * 1.0001, 3.0, 1e6]) == 0.0)
    T = np.linspace(0.8, TC * 0.999, 500)  # below 0.8, m = 1 to within a few ulps
    m = exact.onsager_magnetization(T)
    assert np.all(np.diff(m) < 0) and np.all((m > 0) & (m < 1))
    # beta = 1/8: m^8 vanishes linearly at T_c.
    eps = np.array([1e-4, 2e-4])
    m8 = exact.onsager_magnetization(TC * (1 - eps)) ** 8
    np.testing.assert_allclose(m8[1] / m8[0], 2.0, rtol=1e-3)


def test_onsager_shapes():
    assert isinstance(exact.onsager_energy(2.0), float)
    assert isinstance(exact.onsager_magnetization(np.float64(2.0)), float)
    T = np.full((3, 2), 2.0)
    assert exact.onsager_energy(T).shape == (3, 2)
    assert exact.onsager_magnetization(T).shape == (3, 2)


# ------------------------------------------------------------------ Kaufman vs exact


TEMPERATURES = [0.5, 1.0, 2.0, TC, 2.5, 5.0, 50.0]


@pytest.mark.parametrize(
    "shape", [(2, 2), (3, 3), (4, 4), (2, 4), (4, 2), (3, 4), (2, 3), (3, 5), (1, 5)]
)
def test_kaufman_equals_enumeration(shape):
    # Odd sides and a side of 1 (a self-bond per site) are included: the formula holds.
    for T in TEMPERATURES:
        log_z, energy, heat = brute_thermal(shape, T)
        np.testing.assert_allclose(exact.finite_lattice_log_partition(shape, T), log_z, rtol=1e-12)
        np.testing.assert_allclose(exact.finite_lattice_energy(shape, T), energy, rtol=1e-10)
        np.testing.assert_allclose(
            exact.finite_lattice_specific_heat(shape, T), heat, rtol=1e-9, atol=1e-14
        )


def test_kaufman_int_shape_and_vectorised():
    T = np.array([[1.0, TC], [3.0, 7.0]])
    u = exact.finite_lattice_energy(3, T)
    assert u.shape == (2, 2)
    np.testing.assert_allclose(u, exact.finite_lattice_energy((3, 3), T), rtol=0)
    for t, value in zip(T.ravel(), u.ravel()):
        assert exact.finite_lattice_energy(3, t) == pytest.approx(value, rel=1e-14)
    assert isinstance(exact.finite_lattice_log_partition(4, 2.0), float)


def test_side_one_is_a_chain_with_self_bonds():
    # A (1, n) lattice: n self-bonds (+1 each) plus a periodic chain, for any n.
    for n in (3, 50):
        for T in (0.3, 2.0, 1e3, 1e8, 1e25):
            expected = -1.0 + exact.chain_energy(1.0 / T, n)
            for shape in ((1, n), (n, 1)):
                np.testing.assert_allclose(
                    exact.finite_lattice_energy(shape, T), expected, rtol=1e-12
                )


def test_kaufman_large_lattice_tends_to_onsager():
    T = np.array([1.5, 3.5])
    np.testing.assert_allclose(
        exact.finite_lattice_energy(128, T), exact.onsager_energy(T), rtol=1e-6
    )


def test_kaufman_finite_size_scaling_at_tc():
    sizes = np.array([8, 16, 32, 64, 128, 256])
    gap = np.array([exact.finite_lattice_energy(L, TC) for L in sizes]) + math.sqrt(2.0)
    assert np.all(np.diff(np.abs(gap)) < 0)
    # u_L(T_c) = -sqrt 2 + a / L + ...: doubling L halves the gap.
    np.testing.assert_allclose(gap[:-1] / gap[1:], 2.0, rtol=0.01)
    # Ferdinand & Fisher: c_L(T_c) = (8 K_c^2 / pi) ln L + const + O(ln L / L).
    heat = np.array([exact.finite_lattice_specific_heat(L, TC) for L in sizes])
    np.testing.assert_allclose(
        heat[-1] - heat[-2], 8 * KC**2 / math.pi * math.log(2), rtol=2e-3
    )


def test_kaufman_extreme_temperatures():
    # High T on an 8 x 8: u = -2 tanh K - O(t^3), c = 2 K^2 sech^2 K + O(K^4).
    T = np.array([1e6, 1e10, 1e40, 1e300])
    K = 1.0 / T
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        np.testing.assert_allclose(exact.finite_lattice_energy(8, T), -2 * np.tanh(K), rtol=1e-10)
        np.testing.assert_allclose(
            exact.finite_lattice_specific_heat(8, T), 2 * K**2, rtol=1e-10
        )
        np.testing.assert_allclose(
            exact.finite_lattice_log_partition(8, T),
            64 * math.log(2) + 128 * np.log(np.cosh(K)),
            rtol=1e-15,
        )
        # Low T: the ground state, E = -2N, smoothly through the internal cut-off.
        T_low = np.array([0.01, 0.019, 0.021, 0.05])
        np.testing.assert_allclose(exact.finite_lattice_energy(16, T_low), -2.0, rtol=1e-15)
        np.testing.assert_allclose(
            exact.finite_lattice_log_partition(16, T_low), math.log(2) + 512 / T_low, rtol=1e-15
        )
        grid = np.logspace(-3, 300, 400)
        for shape in [(1, 1), (1, 4), (2, 5), (5, 2), (7, 7), (64, 64)]:
            for f in (
                exact.finite_lattice_log_partition,
                exact.finite_lattice_energy,
                exact.finite_lattice_specific_heat,
            ):
                assert np.all(np.isfinite(f(shape, grid)))


def test_kaufman_energy_is_derivative_of_log_partition():
    # Check the analytic derivatives by five-point finite differences of ln Z, on a
    # lattice too large to enumerate, on both sides of T_c and at T_c.
    shape = (16, 12)
    for T in (1.8, TC, 2.4, 4.0):
        K = 1.0 / T
        for order, h, rtol in ((1, 2e-4, 1e-9), (2, 2e-3, 1e-6)):
            log_z = [
                exact.finite_lattice_log_partition(shape, 1.0 / (K + j * h)) for j in range(-2, 3)
            ]
            if order == 1:
                d = (log_z[0] - 8 * log_z[1] + 8 * log_z[3] - log_z[4]) / (12 * h)
                value = exact.finite_lattice_energy(shape, T)
                expected = -d / 192
            else:
                d = (-log_z[0] + 16 * log_z[1] - 30 * log_z[2] + 16 * log_z[3] - log_z[4]) / (
                    12 * h**2
                )
                value = exact.finite_lattice_specific_heat(shape, T)
                expected = K**2 * d / 192
            np.testing.assert_allclose(value, expected, rtol=rtol)


def test_kaufman_bad_shape():
    for shape in [(2, 2, 2), (4,), (0, 4), 0]:
        with pytest.raises(ValueError, match="lattice_shape"):
            exact.finite_lattice_energy(shape, 2.0)


# ------------------------------------------------------------------------- 1D chain


@pytest.mark.parametrize("n_sites", [6, 10])
def test_chain_against_brute_force(n_sites):
    X = all_states((n_sites,))
    bonds = (X * np.roll(X, -1, axis=1)).sum(axis=1)
    for K in (0.1, 0.7, 2.0):
        w = np.exp(K * bonds)
        Z = w.sum()
        np.testing.assert_allclose(exact.chain_partition_function(K, n_sites), Z, rtol=1e-13)
        np.testing.assert_allclose(
            exact.chain_partition_function(K, n_sites, log=True), math.log(Z), rtol=1e-13
        )
        r = np.arange(n_sites + 1)
        corr = [(w * X[:, 0] * X[:, ri % n_sites]).sum() / Z for ri in r]
        np.testing.assert_allclose(exact.chain_correlation(K, r, n_sites), corr, rtol=1e-12)
        np.testing.assert_allclose(
            exact.chain_energy(K, n_sites), -(w * bonds).sum() / Z / n_sites, rtol=1e-12
        )


def test_chain_against_transfer_matrix():
    sigma = np.diag([1.0, -1.0])
    for K, N in [(0.3, 50), (1.5, 37), (4.0, 60)]:
        T = transfer_matrix(K)
        Z = np.trace(np.linalg.matrix_power(T, N))
        np.testing.assert_allclose(exact.chain_partition_function(K, N), Z, rtol=1e-12)
        for r in (1, 5, N // 2):
            num = np.trace(
                sigma @ np.linalg.matrix_power(T, r) @ sigma @ np.linalg.matrix_power(T, N - r)
            )
            # The trace loses digits below ~1e-16 of the leading term: absolute tolerance.
            np.testing.assert_allclose(
                exact.chain_correlation(K, r, N), num / Z, rtol=1e-10, atol=1e-15
            )
        # ln Z of a huge chain from the eigenvalues: N ln l+ + ln(1 + (l-/l+)^N).
        lam_minus, lam_plus = np.linalg.eigvalsh(T)
        big = 10**6
        expected = big * math.log(lam_plus) + math.log1p((lam_minus / lam_plus) ** big)
        np.testing.assert_allclose(
            exact.chain_partition_function(K, big, log=True), expected, rtol=1e-12
        )


def test_chain_infinite_limits():
    K = np.array([0.0, 0.2, 1.0, 3.0])
    t = np.tanh(K)
    np.testing.assert_allclose(exact.chain_correlation(K, 3), t**3, rtol=1e-15)
    np.testing.assert_allclose(exact.chain_energy(K), -t, rtol=1e-15)
    np.testing.assert_allclose(exact.chain_energy(K, 10**6), -t, rtol=1e-12)
    # Correlations decay as e^{-r / xi}.
    xi = exact.chain_correlation_length(K[1:])
    ratio = exact.chain_correlation(K[1:], 8) / exact.chain_correlation(K[1:], 7)
    np.testing.assert_allclose(ratio, np.exp(-1 / xi), rtol=1e-12)
    assert exact.chain_correlation_length(0.0) == 0.0
    np.testing.assert_allclose(exact.chain_correlation_length(15.0), math.exp(30) / 2, rtol=1e-9)
    # The energy is -(1/N) d ln Z / dK.
    for N in (1, 2, 9):
        h = 1e-5
        d = (
            exact.chain_partition_function(0.8 + h, N, log=True)
            - exact.chain_partition_function(0.8 - h, N, log=True)
        ) / (2 * h)
        np.testing.assert_allclose(exact.chain_energy(0.8, N), -d / N, rtol=1e-9)


def test_chain_shapes():
    assert isinstance(exact.chain_partition_function(0.5, 4), float)
    assert exact.chain_partition_function(0.0, 4) == 16.0
    assert exact.chain_correlation([0.1, 0.2], 1).shape == (2,)
    assert exact.chain_correlation(0.1, [1, 2, 3]).shape == (3,)
    assert exact.chain_correlation([[0.1], [0.2]], [1, 2, 3], 5).shape == (2, 3)
    assert np.isinf(exact.chain_partition_function(1.0, 10**5))
    assert np.isfinite(exact.chain_partition_function(1.0, 10**5, log=True))


# ------------------------------------------------------------------------ decimation


def test_decimation_b2_closed_form_and_composition():
    K = np.linspace(0.0, 5.0, 51)
    np.testing.assert_allclose(
        exact.decimation_coupling(K), 0.5 * np.log(np.cosh(2 * K)), rtol=1e-12, atol=1e-15
    )
    twice = exact.decimation_coupling(exact.decimation_coupling(K, 2), 2)
    np.testing.assert_allclose(twice, exact.decimation_coupling(K, 4), rtol=1e-12)
    np.testing.assert_allclose(exact.decimation_coupling(K, 1), K, rtol=1e-13, atol=1e-300)


@pytest.mark.parametrize("b", [2, 3, 5])
def test_decimation_against_transfer_matrix(b):
    # Summing out b - 1 spins: (T^b)_{++} / (T^b)_{+-} = e^{2K'}.
    # Moderate K only: for small K the ratio is 1 + O(K^b) and its log loses digits.
    for K in (0.4, 0.8, 1.3, 6.0):
        Tb = np.linalg.matrix_power(transfer_matrix(K), b)
        np.testing.assert_allclose(
            exact.decimation_coupling(K, b), 0.5 * math.log(Tb[0, 0] / Tb[0, 1]), rtol=1e-12
        )


def test_decimation_fixed_points_and_flow():
    assert exact.decimation_coupling(0.0, 3) == 0.0
    assert exact.decimation_coupling(math.inf, 2) == math.inf
    # Large K: tanh rounds to 1, yet K' = K - ln(b)/2 + O(e^{-4K}) stays finite.
    np.testing.assert_allclose(
        exact.decimation_coupling([30.0, 500.0], 3), np.array([30.0, 500.0]) - math.log(3) / 2
    )
    # Small K: K' = K^2 (1 + O(K^2)) for b = 2.
    np.testing.assert_allclose(exact.decimation_coupling(1e-5), 1e-10, rtol=1e-9)
    K = [2.0]
    for _ in range(12):
        K.append(exact.decimation_coupling(K[-1]))
    assert np.all(np.diff(K) < 0) and K[-1] < 1e-12


# ----------------------------------------------------------------------- enumeration


@pytest.mark.parametrize("shape", [(1,), (5,), (2, 2), (3, 3), (2, 3), (4, 4), (2, 2, 2)])
def test_density_of_states_against_brute_force(shape):
    E, M, g = exact.enumerate_density_of_states(shape)
    N = math.prod(shape)
    assert g.sum() == 2**N
    E_ref, M_ref = brute_energies(shape)
    pairs, counts = np.unique(np.stack([E_ref, M_ref], axis=1), axis=0, return_counts=True)
    order = np.lexsort((pairs[:, 1], pairs[:, 0]))
    np.testing.assert_array_equal(E, pairs[order, 0])
    np.testing.assert_array_equal(M, pairs[order, 1])
    np.testing.assert_array_equal(g, counts[order])


@pytest.mark.parametrize("shape", [(7,), (3, 4), (4, 4), (3, 2, 2)])
def test_density_of_states_symmetry_and_ground_state(shape):
    E, M, g = exact.enumerate_density_of_states(shape)
    N, ndim = math.prod(shape), len(shape)
    assert g.sum() == 2**N
    table = {(e, m): c for e, m, c in zip(E, M, g)}
    assert all(table.get((e, -m)) == c for (e, m), c in table.items())
    ground = E == E.min()
    assert E.min() == -ndim * N and g[ground].sum() == 2
    assert set(np.abs(M[ground])) == {N}
    assert np.all((E + ndim * N) % 2 == 0) and np.all((M + N) % 2 == 0)


def test_enumeration_chain_matches_chain_partition_function():
    for N in range(1, 11):
        E, _, g = exact.enumerate_density_of_states(N)
        for K in (0.3, 1.0):
            np.testing.assert_allclose(
                logsumexp(-K * E, b=g),
                exact.chain_partition_function(K, N, log=True),
                rtol=1e-13,
            )


def test_enumeration_refuses_large_lattices():
    with pytest.raises(ValueError, match=r"2\^N states.*N=25.*N <= 24"):
        exact.enumerate_density_of_states((5, 5))
    with pytest.raises(ValueError, match="N <= 24"):
        exact.exact_observables((3, 3, 3), 2.0)


def test_enumeration_returns_copies():
    E, _, g = exact.enumerate_density_of_states((2, 2))
    E[:] = 0
    g[:] = 0
    assert exact.enumerate_density_of_states((2, 2))[2].sum() == 16


# ------------------------------------------------------------- enumeration observables


def test_exact_observables_infinite_temperature():
    # Uniform random spins: binomial sums, computed independently.
    N = 16
    k = np.arange(N + 1)
    weights = comb(N, k) / 2.0**N
    m = (N - 2 * k) / N
    obs = exact.exact_observables((4, 4), 1e7)
    np.testing.assert_allclose(obs["abs_magnetization"], weights @ np.abs(m), rtol=1e-5)
    np.testing.assert_allclose(obs["magnetization_squared"], 1 / N, rtol=1e-5)
    np.testing.assert_allclose(obs["magnetization_fourth"], weights @ m**4, rtol=1e-5)
    np.testing.assert_allclose(obs["binder_cumulant"], 2 / (3 * N), rtol=1e-4)
    np.testing.assert_allclose(obs["energy"], 0.0, atol=1e-6)
    # 32 independent bonds: var(E) = 32, u^2 = var(E) / N^2.
    np.testing.assert_allclose(obs["energy_squared"], 32 / N**2, rtol=1e-5)


def test_exact_observables_low_temperature_and_definitions():
    obs = exact.exact_observables((3, 3), np.array([0.05, 1.0, TC, 4.0]))
    assert obs["energy"].shape == (4,)
    np.testing.assert_allclose(obs["energy"][0], -2.0, rtol=1e-12)
    np.testing.assert_allclose(obs["abs_magnetization"][0], 1.0, rtol=1e-12)
    np.testing.assert_allclose(obs["binder_cumulant"][0], 2 / 3, rtol=1e-12)
    # Definitions, checked against a direct sum over the 512 states.
    E, M = brute_energies((3, 3))
    for i, T in enumerate([0.05, 1.0, TC, 4.0]):
        p = np.exp(-E / T - logsumexp(-E / T))
        u, m = E / 9, M / 9
        np.testing.assert_allclose(obs["energy_squared"][i], p @ u**2, rtol=1e-12)
        # <x^2> - <x>^2 cancels at low T: absolute tolerance.
        np.testing.assert_allclose(
            obs["specific_heat"][i], 9 * (p @ u**2 - (p @ u) ** 2) / T**2, rtol=1e-8, atol=1e-9
        )
        np.testing.assert_allclose(
            obs["susceptibility"][i], 9 * (p @ m**2 - (p @ np.abs(m)) ** 2) / T, rtol=1e-8,
            atol=1e-12,
        )
        np.testing.assert_allclose(
            obs["binder_cumulant"][i], 1 - (p @ m**4) / (3 * (p @ m**2) ** 2), rtol=1e-12
        )


def test_exact_observables_scalar_and_chain():
    obs = exact.exact_observables(8, 1.5)  # an int is a chain here, as in Lattice
    assert all(isinstance(value, float) for value in obs.values())
    np.testing.assert_allclose(obs["energy"], exact.chain_energy(1 / 1.5, 8), rtol=1e-13)


def test_exact_probabilities():
    E, M, p = exact.exact_probabilities((3, 3), 2.0)
    np.testing.assert_allclose(p.sum(), 1.0, rtol=1e-14)
    assert p.shape == E.shape == M.shape
    np.testing.assert_allclose(
        p @ E / 9, exact.finite_lattice_energy(3, 2.0), rtol=1e-12
    )
    _, _, P = exact.exact_probabilities((3, 3), [[1.0, 2.0, 3.0]])
    assert P.shape == (1, 3, E.size)
    np.testing.assert_allclose(P[0, 1], p, rtol=1e-14)
    # Ratios of probabilities are Boltzmann factors times multiplicities.
    _, _, g = exact.enumerate_density_of_states((3, 3))
    ref = g * np.exp(-(E - E.min()) / 2.0)
    np.testing.assert_allclose(p, ref / ref.sum(), rtol=1e-12)


# ------------------------------------------------------------------------ bad input


@pytest.mark.parametrize("bad", [0.0, -1.0, np.nan, np.inf, [1.0, -2.0], "hot"])
def test_bad_temperature(bad):
    calls = [
        lambda: exact.onsager_energy(bad),
        lambda: exact.onsager_magnetization(bad),
        lambda: exact.finite_lattice_energy(4, bad),
        lambda: exact.finite_lattice_log_partition(4, bad),
        lambda: exact.finite_lattice_specific_heat(4, bad),
        lambda: exact.exact_observables((2, 2), bad),
        lambda: exact.exact_probabilities((2, 2), bad),
    ]
    for call in calls:
        with pytest.raises(ValueError, match="temperature"):
            call()


@pytest.mark.parametrize("bad", [-0.1, np.nan, np.inf, [0.5, -1.0]])
def test_bad_coupling(bad):
    for call in (
        lambda: exact.chain_partition_function(bad, 4),
        lambda: exact.chain_correlation(bad, 1),
        lambda: exact.chain_energy(bad),
        lambda: exact.chain_correlation_length(bad),
    ):
        with pytest.raises(ValueError, match="coupling"):
            call()
    if not np.all(np.asarray(bad) == np.inf):
        with pytest.raises(ValueError, match="coupling"):
            exact.decimation_coupling(bad)


def test_bad_integers():
    with pytest.raises(ValueError, match="n_sites=0"):
        exact.chain_partition_function(0.5, 0)
    with pytest.raises(ValueError, match="n_sites"):
        exact.chain_energy(0.5, n_sites=2.5)
    with pytest.raises(ValueError, match="b=0"):
        exact.decimation_coupling(0.5, b=0)
    with pytest.raises(ValueError, match="b=1.5"):
        exact.decimation_coupling(0.5, b=1.5)
    with pytest.raises(ValueError, match="r="):
        exact.chain_correlation(0.5, -1)
    with pytest.raises(ValueError, match="r="):
        exact.chain_correlation(0.5, 1.5)
    with pytest.raises(ValueError, match="n_sites=4"):
        exact.chain_correlation(0.5, 5, n_sites=4)
