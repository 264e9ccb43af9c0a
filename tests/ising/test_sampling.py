"""make_ising against exact answers.

Every statistical assertion is a z-score: |measured - exact| / error below Z,
with the error a binned standard error (samples of one chain are correlated
even after thinning) and fixed seeds. Z = 5 gives a false alarm about once in
two million comparisons; the suite makes a few hundred.
"""

import itertools

import joblib
import numpy as np
import pytest

from skrg import make_ising
from skrg.ising import _sampling, exact
from skrg.ising.observables import binned_standard_error, energy, magnetization

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

    for name in ("run_chain", "exact_chain_samples", "random_spins"):
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
