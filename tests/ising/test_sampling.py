"""make_ising against exact answers.

Every statistical assertion is a z-score: |measured - exact| / error below Z,
with the error a binned standard error (samples of one chain are correlated
even after thinning) and fixed seeds. Z = 5 gives a false alarm about once in
two million comparisons; the suite makes a few hundred.
"""

import itertools
import pickle
import tracemalloc

import joblib
import numpy as np
import pytest

from skrg import make_ising
from skrg.ising import _kernels, _sampling, exact
from skrg.ising.observables import binned_standard_error, energy, magnetization
from skrg.lattice import Lattice

Z = 5.0
T_C = exact.critical_temperature(2)
ALGORITHMS = ("metropolis", "wolff", "swendsen_wang")


def mean_and_error(series, n_bins=32):
    return series.mean(), binned_standard_error(series, n_bins=n_bins)


def assert_close(series, expected, label):
    mean, error = mean_and_error(series)
    z = abs(mean - expected) / error
    assert z < Z, f"{label}: measured {mean:.5f} +- {error:.5f}, exact {expected:.5f} ({z:.1f} SE)"


# ----------------------------------------------------------------------------------
# Output contract


def test_shapes_dtype_and_temperatures():
    X, y = make_ising(7, (4, 6), [2.0, 3.0], n_chains=3, random_state=0)
    assert X.shape == (14, 24) and X.dtype == np.int8 and X.flags.c_contiguous
    assert set(np.unique(X)) <= {-1, 1}
    np.testing.assert_array_equal(y, [2.0] * 7 + [3.0] * 7)
    assert y.dtype == np.float64


def test_scalar_temperature_and_int_shape():
    X, y = make_ising(5, 10, 1.0, random_state=0)
    assert X.shape == (5, 10)
    np.testing.assert_array_equal(y, np.full(5, 1.0))


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_same_random_state_same_data_for_any_n_jobs(algorithm):
    kwargs = dict(algorithm=algorithm, n_chains=3, random_state=42)
    X1, y1 = make_ising(30, (8, 8), [2.0, 2.5], n_jobs=1, **kwargs)
    X2, y2 = make_ising(30, (8, 8), [2.0, 2.5], n_jobs=2, **kwargs)
    np.testing.assert_array_equal(X1, X2)
    np.testing.assert_array_equal(y1, y2)
    X3, _ = make_ising(30, (8, 8), [2.0, 2.5], n_jobs=1, **{**kwargs, "random_state": 43})
    assert not np.array_equal(X1, X3)


def test_same_data_under_a_process_backend():
    kwargs = dict(n_chains=2, random_state=7)
    X1, _ = make_ising(20, (8, 8), [2.0, 3.0], n_jobs=1, **kwargs)
    with joblib.parallel_config(backend="loky"):
        X2, _ = make_ising(20, (8, 8), [2.0, 3.0], n_jobs=2, **kwargs)
    np.testing.assert_array_equal(X1, X2)


def test_random_state_instance_is_reproducible():
    X1, _ = make_ising(10, 16, 1.0, random_state=np.random.RandomState(3))
    X2, _ = make_ising(10, 16, 1.0, random_state=np.random.RandomState(3))
    np.testing.assert_array_equal(X1, X2)


def test_explicit_burn_in_and_thin_are_used():
    _, _, info = make_ising(
        10, (8, 8), 2.0, algorithm="metropolis", burn_in=37, thin=3, n_chains=2,
        random_state=0, return_info=True,
    )
    np.testing.assert_array_equal(info["burn_in"], [[37, 37]])
    np.testing.assert_array_equal(info["thin"], [[3, 3]])
    assert np.isnan(info["autocorrelation_time"]).all()


def test_default_thinning_comes_from_the_measured_autocorrelation_time():
    _, _, info = make_ising(40, (16, 16), [T_C, 3.5], random_state=0, return_info=True)
    assert info["algorithm"] == ["wolff", "metropolis"]
    tau = info["autocorrelation_time"]
    np.testing.assert_array_equal(info["thin"], np.ceil(tau))
    assert (info["burn_in"] >= np.ceil(20 * tau)).all()


def test_wolff_sweep_is_frozen_from_the_mean_cluster_size():
    _, _, info = make_ising(
        20, (16, 16), [2.0, 3.0], algorithm="wolff", random_state=0, return_info=True
    )
    expected = np.maximum(1, np.round(256 / info["mean_cluster_size"]))
    np.testing.assert_array_equal(info["updates_per_sweep"], expected)
    # Clusters are large in the ordered phase and small in the disordered one.
    assert (info["updates_per_sweep"][0] < info["updates_per_sweep"][1]).all()


def test_auto_choice():
    pick = _sampling._choose_algorithm
    assert pick("auto", (32,), 1.0) == "exact"
    assert pick("auto", (16, 16), 2.0) == "wolff"
    assert pick("auto", (16, 16), T_C) == "wolff"
    assert pick("auto", (16, 16), 4.0) == "metropolis"
    assert pick("auto", (15, 15), 4.0) == "wolff"  # a checkerboard needs even sides
    assert pick("auto", (8, 8, 8), 5.0) == "wolff"  # 3D T_c is about 4.51
    assert pick("auto", (8, 8, 8), 6.0) == "metropolis"


# ----------------------------------------------------------------------------------
# Bad input: a clear error before any kernel runs


@pytest.fixture
def no_kernels(monkeypatch):
    def forbidden(*args, **kwargs):  # pragma: no cover - reaching it is the failure
        raise AssertionError("a kernel ran before the input was rejected")

    for name in ("run_chain", "exact_chain_samples", "random_spins", "wolff_flips"):
        monkeypatch.setattr(_sampling._kernels, name, forbidden)


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        (dict(temperature=0.0), ValueError, "temperature"),
        (dict(temperature=-1.0), ValueError, "temperature"),
        (dict(temperature=[2.0, -1.0]), ValueError, "temperature must be positive"),
        (dict(temperature=[2.0, np.nan]), ValueError, "temperature must be positive"),
        (dict(temperature=[2.0, np.inf]), ValueError, "temperature must be positive"),
        (dict(temperature=[]), ValueError, "non-empty"),
        (dict(temperature=["hot"]), TypeError, "temperature must be numeric"),
        (dict(n_samples=0), ValueError, "n_samples"),
        (dict(n_samples=2.5), ValueError, "n_samples"),
        (dict(lattice_shape=(0, 4)), ValueError, "positive"),
        (dict(lattice_shape=(-4, 4)), ValueError, "positive"),
        (dict(lattice_shape=(4, 1)), ValueError, "at least 2"),
        (dict(lattice_shape=(4, 4, 4, 4)), ValueError, "1, 2 or 3"),
        (dict(lattice_shape=(5, 4), algorithm="metropolis"), ValueError, "even sides"),
        (dict(algorithm="heatbath"), ValueError, "algorithm"),
        (dict(algorithm="exact"), ValueError, "1D chain only"),
        (dict(n_chains=0), ValueError, "n_chains"),
        (dict(burn_in=-1), ValueError, "burn_in"),
        (dict(thin=0), ValueError, "thin"),
    ],
)
def test_bad_input_is_rejected_before_sampling(no_kernels, kwargs, error, match):
    args = dict(n_samples=4, lattice_shape=(4, 4), temperature=2.0)
    args.update(kwargs)
    with pytest.raises(error, match=match):
        make_ising(**args)


# ----------------------------------------------------------------------------------
# Physics against exact answers


@pytest.mark.parametrize("n_sites", [8, 33])
@pytest.mark.parametrize("temperature", [0.5, 1.0, 3.0])
def test_exact_chain_correlations(n_sites, temperature):
    X, _ = make_ising(4000, n_sites, temperature, random_state=1)
    coupling = 1.0 / temperature
    for r in (1, 2, n_sites // 2):
        # Samples are independent, so the per-sample average has a naive error.
        per_sample = (X * np.roll(X, -r, axis=1)).mean(axis=1, dtype=np.float64)
        expected = exact.chain_correlation(coupling, r, n_sites=n_sites)
        error = per_sample.std(ddof=1) / np.sqrt(len(per_sample))
        z = abs(per_sample.mean() - expected) / max(error, 1e-12)
        assert z < Z, (r, per_sample.mean(), expected, error)


def test_exact_chain_energy_histogram_matches_enumeration():
    # 12 sites: the probability of every energy level from the density of states.
    n_sites, temperature = 12, 1.2
    X, _ = make_ising(20_000, n_sites, temperature, random_state=2)
    bonds = (X * np.roll(X, -1, axis=1)).sum(axis=1)
    assert_histogram_matches(-bonds, (n_sites,), temperature, "exact 1D")


def assert_histogram_matches(energies, shape, temperature, label):
    """Each energy level's frequency within Z standard errors of its exact probability."""
    levels, _, probabilities = exact.exact_probabilities(shape, temperature)
    for level in np.unique(levels):
        p = probabilities[levels == level].sum()
        if p < 1e-3:
            continue
        hits = (energies == level).astype(np.float64)
        error = max(binned_standard_error(hits, n_bins=32), np.sqrt(p * (1 - p) / len(hits)))
        z = abs(hits.mean() - p) / error
        assert z < Z, f"{label}: P(E={level}) = {hits.mean():.4f}, exact {p:.4f} ({z:.1f} SE)"


def total_energy(X, shape):
    return np.rint(energy(X, shape) * np.prod(shape)).astype(int)


@pytest.mark.parametrize("algorithm", ALGORITHMS)
@pytest.mark.parametrize("temperature", [1.8, T_C, 3.0])
def test_4x4_histograms_match_enumeration(algorithm, temperature):
    shape = (4, 4)
    X, _ = make_ising(8000, shape, temperature, algorithm=algorithm, random_state=3)
    assert_histogram_matches(total_energy(X, shape), shape, temperature, algorithm)
    observables = exact.exact_observables(shape, temperature)
    assert_close(magnetization(X, absolute=True), observables["abs_magnetization"],
                 f"{algorithm} <|m|>")
    assert_close(magnetization(X) ** 2, observables["magnetization_squared"],
                 f"{algorithm} <m^2>")


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_3d_and_1d_lattices_match_enumeration(algorithm):
    for shape, temperature in [((4, 2, 2), 4.0), ((12,), 1.0)]:
        X, _ = make_ising(6000, shape, temperature, algorithm=algorithm, random_state=4)
        assert_histogram_matches(total_energy(X, shape), shape, temperature,
                                 f"{algorithm} {shape}")


@pytest.mark.parametrize("algorithm", ALGORITHMS)
@pytest.mark.parametrize("temperature", [1.8, 2.0])
def test_magnetization_against_onsager_below_tc(algorithm, temperature):
    # At T <= 0.88 T_c the correlation length is a lattice spacing or two, so a
    # 32x32 lattice is many correlation lengths and <|m|> is Onsager's m.
    X, _ = make_ising(3000, (32, 32), temperature, algorithm=algorithm, random_state=5)
    assert_close(magnetization(X, absolute=True), exact.onsager_magnetization(temperature),
                 f"{algorithm} m({temperature})")


@pytest.mark.parametrize("algorithm", ALGORITHMS)
@pytest.mark.parametrize("temperature", [1.5, 3.5])
def test_energy_against_onsager_away_from_tc(algorithm, temperature):
    X, _ = make_ising(3000, (32, 32), temperature, algorithm=algorithm, random_state=6)
    assert_close(energy(X, (32, 32)), exact.onsager_energy(temperature),
                 f"{algorithm} u({temperature})")


@pytest.mark.parametrize("algorithm", ALGORITHMS)
@pytest.mark.parametrize("temperature", [2.2, T_C, 2.4])
def test_energy_against_exact_finite_lattice_near_tc(algorithm, temperature):
    # Near T_c Onsager's infinite-lattice value is off by O(1/L); Kaufman's exact
    # finite-lattice energy is the right reference.
    shape = (16, 16)
    X, _ = make_ising(4000, shape, temperature, algorithm=algorithm, random_state=7)
    assert_close(energy(X, shape), exact.finite_lattice_energy(shape, temperature),
                 f"{algorithm} u_L({temperature})")


@pytest.mark.parametrize("temperature", [2.0, T_C, 2.6])
def test_all_algorithms_agree(temperature):
    shape = (16, 16)
    estimates = {}
    for algorithm in ALGORITHMS:
        X, _ = make_ising(4000, shape, temperature, algorithm=algorithm, random_state=8)
        estimates[algorithm] = {
            "u": mean_and_error(energy(X, shape)),
            "|m|": mean_and_error(magnetization(X, absolute=True)),
            "m^2": mean_and_error(magnetization(X) ** 2),
        }
    for a, b in itertools.combinations(ALGORITHMS, 2):
        for name in estimates[a]:
            (mean_a, err_a), (mean_b, err_b) = estimates[a][name], estimates[b][name]
            z = abs(mean_a - mean_b) / np.hypot(err_a, err_b)
            assert z < Z, f"{name} at T={temperature}: {a} {mean_a:.4f} vs {b} {mean_b:.4f}"


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_rows_with_an_odd_number_of_sites_per_colour_match_enumeration(algorithm):
    # A row of 6 holds 3 sites of each colour: Metropolis decides two per
    # generator output and the third alone. (3, 5) has odd sides, for the cluster
    # algorithms only.
    shapes = [(2, 6), (6, 2), (2, 2, 6), (10,)]
    if algorithm != "metropolis":
        shapes.append((3, 5))
    for shape in shapes:
        temperature = 1.2 if len(shape) == 1 else 2.5
        X, _ = make_ising(4000, shape, temperature, algorithm=algorithm, random_state=9)
        assert_histogram_matches(total_energy(X, shape), shape, temperature,
                                 f"{algorithm} {shape}")


# ----------------------------------------------------------------------------------
# Kernels against plain-Python references


def xoshiro256pp(state):
    """Blackman & Vigna's reference xoshiro256++ in Python ints: (output, next state)."""
    mask = (1 << 64) - 1

    def rotl(x, k):
        return ((x << k) | (x >> (64 - k))) & mask

    s0, s1, s2, s3 = (int(w) for w in state)
    result = (rotl((s0 + s3) & mask, 23) + s0) & mask
    t = (s1 << 17) & mask
    s2 ^= s0
    s3 ^= s1
    s1 ^= s2
    s0 ^= s3
    s2 ^= t
    s3 = rotl(s3, 45)
    return result, [s0, s1, s2, s3]


def test_generator_is_xoshiro256plusplus():
    state = _kernels.new_rng_state(123)
    reference = [int(w) for w in state]
    for _ in range(100):
        result, *words = _kernels._next(*state)
        expected, reference = xoshiro256pp(reference)
        assert int(result) == expected
        state = np.array(words, dtype=np.uint64)
    np.testing.assert_array_equal(state, np.array(reference, dtype=np.uint64))


def reference_metropolis_sweep(spins, shape, beta, state):
    """The documented checkerboard sweep, site by site in plain Python.

    Colour 0 then colour 1; row by row (rows run along the last axis); along a
    row, the sites of the colour in pairs, the first taking the high and the
    second the low 32 bits of one generator output, an odd last site the high
    bits of an output of its own. A site flips when its draw is below
    ceil(2**32 min(1, exp(-2 beta s h))), or 2**31 for a free move in 1D.
    """
    lattice = spins.reshape(shape)
    ndim = len(shape)
    n_cols = shape[-1]
    for colour in range(2):
        for lead in itertools.product(*(range(n) for n in shape[:-1])):
            columns = [c for c in range(n_cols) if (sum(lead) + c) % 2 == colour]
            draws = []
            for pair in range(0, len(columns), 2):
                word, state = xoshiro256pp(state)
                draws += [word >> 32, word & 0xFFFFFFFF][: len(columns) - pair]
            for c, draw in zip(columns, draws):
                site = lead + (c,)
                field = 0
                for axis in range(ndim):
                    for step in (1, -1):
                        other = list(site)
                        other[axis] = (other[axis] + step) % shape[axis]
                        field += int(lattice[tuple(other)])
                energy_index = int(lattice[site]) * field
                acceptance = min(1.0, np.exp(-2.0 * beta * energy_index))
                if ndim == 1 and energy_index == 0:
                    acceptance = 0.5
                if draw < np.ceil(acceptance * 2.0**32):
                    lattice[site] = -lattice[site]
    return state


@pytest.mark.parametrize("shape", [(6,), (8,), (4, 6), (6, 4), (2, 2), (2, 4, 6)])
def test_metropolis_sweep_follows_its_specification(shape):
    n_sites = int(np.prod(shape))
    rng = _kernels.new_rng_state(sum(shape))
    spins = _kernels.random_spins(n_sites, rng)
    expected = spins.copy()
    state = [int(w) for w in rng]
    beta = 0.35
    lattice = Lattice(shape)
    rows = _kernels.lattice_rows(lattice)
    thresholds = _kernels.metropolis_thresholds(beta, 2 * len(shape))
    for _ in range(3):
        _kernels._metropolis_sweep(spins, *rows, thresholds, rng)
        state = reference_metropolis_sweep(expected, shape, beta, state)
        np.testing.assert_array_equal(spins, expected)
    np.testing.assert_array_equal(rng, np.array(state, dtype=np.uint64))


@pytest.mark.parametrize("shape", [(7,), (2,), (5, 3), (2, 2), (4, 6), (3, 2, 5), (4, 4, 4)])
def test_trace_bond_sum_and_magnetization(shape):
    lattice = Lattice(shape)
    spins = np.random.default_rng(0).choice(np.array([-1, 1], np.int8), lattice.n_sites)
    bonds, total = _kernels._bond_sum_and_magnetization(spins, _kernels.lattice_rows(lattice)[0])
    assert bonds == -round(energy(spins[None], shape)[0] * lattice.n_sites)
    assert total == spins.sum()


# ----------------------------------------------------------------------------------
# Memory


def test_chains_write_into_the_output_without_a_copy():
    # One chain holding all rows: a block per chain copied into X would double
    # the peak. numpy reports its allocations to tracemalloc.
    n_samples, shape = 2000, (16, 16)
    make_ising(2, shape, 3.0, algorithm="metropolis", burn_in=1, thin=1)  # warm caches
    tracemalloc.start()
    try:
        X, _ = make_ising(n_samples, shape, 3.0, algorithm="metropolis", n_chains=1,
                          burn_in=10, thin=1, random_state=0)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < X.nbytes + 64_000, (peak, X.nbytes)


def test_output_destination_does_not_travel_to_other_processes():
    destination = _sampling._Destination(np.zeros((3, 4), np.int8))
    assert pickle.loads(pickle.dumps(destination)).X is None
