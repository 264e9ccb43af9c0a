"""Sampling speed of skrg's Ising kernels against a plain numpy checkerboard.

Usage::

    python benchmarks/bench_sampling.py            # full run, 1-2 minutes on 2 cores
    python benchmarks/bench_sampling.py --quick    # smoke run, a few seconds

Everything is measured in one process, so the ratios compare like with like on
the same machine at the same moment; absolute numbers vary between machines and
runs, ratios much less. Timings are the best of several repeats, interleaved
between the contenders (the least disturbed run of each), after numba has
compiled (or loaded from its cache) every kernel. Every run is serial.

1. Metropolis throughput: attempted spin flips per second on a 64 x 64 lattice
   at T_c and at T = 3, skrg's numba kernel against the numpy checkerboard a
   user would write (two colour masks, ``np.roll`` neighbour sums, one array of
   uniform random numbers per half-sweep).
2. Independent samples per second at T_c on 64 x 64: sweeps per second divided
   by the integrated autocorrelation time in sweeps (the larger of those of the
   energy and of ``|m|``), for skrg Metropolis, Wolff and Swendsen-Wang and the
   numpy checkerboard. The numpy checkerboard makes the same Markov chain as
   skrg's Metropolis kernel (one colour, then the other, same acceptance rule),
   so it is given Metropolis's autocorrelation time rather than a second long run.

Results go to ``benchmarks/results/sampling.json`` (with versions, thread counts,
machine and date) and to a table on stdout.
"""

import argparse
import datetime
import json
import math
import os
import platform
import sys
import time
from pathlib import Path

import numba
import numpy as np

import skrg
from skrg.ising import _sampling
from skrg.ising.exact import critical_temperature
from skrg.ising.observables import integrated_autocorrelation_time

L = 64
T_C = critical_temperature(2)
T_HIGH = 3.0
SEED = 20240601
RESULTS = Path(__file__).parent / "results" / "sampling.json"

# Budgets, (full, quick). Sweeps per timed repeat and number of repeats; first
# trace length and cap of the autocorrelation runs (traces double until they
# span MIN_TAUS autocorrelation times or reach the cap).
BUDGET = {
    "kernel_sweeps": (2_000, 100),
    "numpy_sweeps": (300, 20),
    "repeats": (9, 2),
    # Metropolis's tau is ~400 sweeps here: 400k sweeps (about 30 s) give ~15%.
    "metropolis_trace": ((400_000, 800_000), (4_000, 4_000)),
    "cluster_trace": ((50_000, 200_000), (1_000, 1_000)),
}
MIN_TAUS = 100
# Sokal's window constant, as in integrated_autocorrelation_time.
WINDOW_C = 5.0


# --------------------------------------------------------------------------- peer


def numpy_checkerboard(spins, beta, n_sweeps, rng):
    """Checkerboard Metropolis on a periodic 2D int8 array, in place, plain numpy.

    Every half-sweep computes all neighbour sums with ``np.roll``, draws one
    uniform number per site and flips the sites of one colour whose move is
    accepted. Sites of the same colour do not neighbour each other, so updating
    them together is exact; the acceptance ``min(1, exp(-2 beta s h))`` is looked
    up in a table of the nine possible values of ``s h``.
    """
    ii, jj = np.indices(spins.shape)
    colours = [(ii + jj) % 2 == 0, (ii + jj) % 2 == 1]
    acceptance = np.exp(-2.0 * beta * np.arange(-4, 5))  # index s * h + 4
    for _ in range(n_sweeps):
        for colour in colours:
            field = (
                np.roll(spins, 1, 0) + np.roll(spins, -1, 0)
                + np.roll(spins, 1, 1) + np.roll(spins, -1, 1)
            )
            accept = rng.random(spins.shape) < acceptance[spins * field + 4]
            # Same as spins[colour & accept] *= -1, about 10% faster.
            np.negative(spins, out=spins, where=colour & accept)
    return spins


# ------------------------------------------------------------------------ helpers


def Chain(algorithm, temperature, seed, spins=None):
    """One skrg chain driven exactly as make_ising drives it, optionally from given spins."""
    chain = _sampling._Chain(algorithm, (L, L), temperature, seed)
    if spins is not None:
        chain.spins = spins.copy()
    return chain


def best_times(functions, repeats):
    """Best wall time of each function over ``repeats`` calls.

    The calls are interleaved (a, b, a, b, ...) so that a burst of load on the
    machine hits every contender alike; the best time is the least disturbed run.
    """
    times = [[] for _ in functions]
    for _ in range(repeats):
        for function, record in zip(functions, times):
            start = time.perf_counter()
            function()
            record.append(time.perf_counter() - start)
    return [min(record) for record in times]


def autocorrelation(chain, first, cap):
    """tau (sweeps) from traces that double until they span MIN_TAUS tau or hit ``cap``.

    tau is the larger of the energy's and |m|'s; its error is Sokal's
    ``tau sqrt(2 (2M + 1) / n)`` with the window ``M ~ c tau``.
    """
    trace = chain.run(first, n_trace=first)
    while True:
        tau_e = integrated_autocorrelation_time(trace[:, 0])
        tau_m = integrated_autocorrelation_time(np.abs(trace[:, 1]))
        tau = max(tau_e, tau_m)
        if len(trace) >= MIN_TAUS * tau or 2 * len(trace) > cap:
            break
        trace = np.concatenate([trace, chain.run(len(trace), n_trace=len(trace))])
    n = len(trace)
    error = tau * math.sqrt(2.0 * (2.0 * math.ceil(WINDOW_C * tau) + 1.0) / n)
    return dict(tau=tau, tau_error=error, tau_energy=tau_e, tau_abs_m=tau_m,
                trace_sweeps=n, trace_in_taus=n / tau)


def machine_info():
    try:
        affinity = len(os.sched_getaffinity(0))
    except AttributeError:
        affinity = os.cpu_count()
    cpu = platform.processor()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f
                       if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return {
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "machine": platform.machine(),
        "platform": platform.platform(),
        "cpu": cpu,
        "cpu_count": os.cpu_count(),
        "usable_cpus": affinity,
        "numba_threads": numba.config.NUMBA_NUM_THREADS,
        "threads_used": 1,  # every measurement here is serial, one chain at a time
        "python": platform.python_version(),
        "numpy": np.__version__,
        "numba": numba.__version__,
        "skrg": getattr(skrg, "__version__", "unknown"),
    }


# --------------------------------------------------------------------- benchmarks


def warm_up():
    """Compile (or load from cache) every kernel before anything is timed."""
    start = time.perf_counter()
    for algorithm in ("metropolis", "wolff", "swendsen_wang"):
        Chain(algorithm, T_C, 0).run(2, n_trace=2)
    numpy_checkerboard(np.ones((L, L), np.int8), 1.0, 1, np.random.default_rng(0))
    return time.perf_counter() - start


def bench_flips(budget, repeats):
    """Part 1: attempted Metropolis flips per second, kernel against numpy."""
    n_sites = L * L
    rows = []
    for temperature in (T_C, T_HIGH):
        chain = Chain("metropolis", temperature, SEED)
        chain.run(budget["kernel_sweeps"])  # leave the random start behind
        spins = chain.spins.reshape(L, L).copy()
        rng = np.random.default_rng(SEED)
        beta = 1.0 / temperature
        t_kernel, t_numpy = best_times(
            [lambda: chain.run(budget["kernel_sweeps"]),
             lambda: numpy_checkerboard(spins, beta, budget["numpy_sweeps"], rng)],
            repeats,
        )
        kernel = budget["kernel_sweeps"] * n_sites / t_kernel
        peer = budget["numpy_sweeps"] * n_sites / t_numpy
        rows.append(dict(
            temperature=temperature,
            skrg_flips_per_s=kernel,
            numpy_flips_per_s=peer,
            ratio=kernel / peer,
            skrg_sweeps_per_s=kernel / n_sites,
            numpy_sweeps_per_s=peer / n_sites,
        ))
    return rows


def bench_independent_samples(budget, repeats):
    """Part 2: independent samples per second at T_c."""
    # Start every chain from a Wolff-equilibrated state: Metropolis alone needs
    # thousands of sweeps to leave a random start at T_c.
    start = Chain("wolff", T_C, SEED)
    start.measure_cluster_size()
    start.run(1_000)

    chains = {}
    for algorithm in ("metropolis", "wolff", "swendsen_wang"):
        chain = Chain(algorithm, T_C, SEED + 1, spins=start.spins)
        if algorithm == "wolff":
            chain.measure_cluster_size()
        chain.run(100)
        chains[algorithm] = chain

    # Sweep rates of all four contenders, timed interleaved.
    sweeps = budget["kernel_sweeps"]
    spins = start.spins.reshape(L, L).copy()
    rng = np.random.default_rng(SEED)
    timers = [lambda chain=chain: chain.run(sweeps) for chain in chains.values()]
    timers.append(lambda: numpy_checkerboard(spins, 1.0 / T_C, budget["numpy_sweeps"], rng))
    times = best_times(timers, repeats)
    sweep_counts = [sweeps] * len(chains) + [budget["numpy_sweeps"]]
    rates = [n / t for n, t in zip(sweep_counts, times)]

    results = {}
    for (algorithm, chain), rate in zip(chains.items(), rates):
        first, cap = budget["metropolis_trace" if algorithm == "metropolis" else "cluster_trace"]
        wall = time.perf_counter()
        row = autocorrelation(chain, first, cap)
        row["trace_seconds"] = time.perf_counter() - wall
        row["sweeps_per_s"] = rate
        row["samples_per_s"] = rate / row["tau"]
        if algorithm == "wolff":
            row["mean_cluster_size"] = chain.mean_cluster_size
            row["updates_per_sweep"] = chain.updates_per_sweep
        results[algorithm] = row

    metropolis = results["metropolis"]
    results["numpy_checkerboard"] = dict(
        sweeps_per_s=rates[-1],
        tau=metropolis["tau"],
        tau_error=metropolis["tau_error"],
        tau_source="metropolis (same Markov chain)",
        samples_per_s=rates[-1] / metropolis["tau"],
    )
    return results


# -------------------------------------------------------------------------- report


def report(flips, samples, meta):
    print(f"\nskrg {meta['skrg']}, numpy {meta['numpy']}, numba {meta['numba']}, "
          f"{meta['cpu']} ({meta['usable_cpus']} usable CPUs, serial runs)")
    print(f"\n1. Metropolis on {L}x{L}: attempted spin flips per second (best of repeats)")
    print(f"   {'T':>7} {'skrg kernel':>14} {'numpy':>14} {'ratio':>8}")
    for row in flips:
        print(f"   {row['temperature']:7.4f} {row['skrg_flips_per_s']:14.3e} "
              f"{row['numpy_flips_per_s']:14.3e} {row['ratio']:8.1f}")

    print(f"\n2. Independent samples per second at T_c = {T_C:.4f}, {L}x{L} "
          "(sweeps/s / tau, tau = max over energy and |m|)")
    print(f"   {'sampler':<20} {'sweeps/s':>10} {'tau (sweeps)':>16} {'tau_E':>7} "
          f"{'tau_|m|':>7} {'trace/tau':>10} {'samples/s':>10}")
    names = {"metropolis": "skrg Metropolis", "wolff": "skrg Wolff",
             "swendsen_wang": "skrg Swendsen-Wang", "numpy_checkerboard": "numpy checkerboard"}
    for key, name in names.items():
        row = samples[key]
        if "trace_in_taus" in row:
            parts = (f"{row['tau_energy']:7.4g} {row['tau_abs_m']:7.4g} "
                     f"{row['trace_in_taus']:10.0f}")
        else:
            parts = f"{'':7} {'':7} {'(=Metr.)':>10}"
        tau = f"{row['tau']:.4g} +- {row['tau_error']:.2g}"
        print(f"   {name:<20} {row['sweeps_per_s']:10.4g} {tau:>16} {parts} "
              f"{row['samples_per_s']:10.4g}")
    wolff = samples["wolff"]
    print(f"   (Wolff sweep = {wolff['updates_per_sweep']} clusters, "
          f"<C> = {wolff['mean_cluster_size']:.0f} sites; numpy uses Metropolis's tau: "
          "the same Markov chain)")
    print("\n   ratios of independent samples per second (error from the taus):")
    for key, r in meta["ratios"].items():
        error = f" +- {r['error']:.1f}" if r["error"] else " (same tau)"
        print(f"   {key:<28} {r['value']:8.1f}{error}")


SHORT_NAMES = {"metropolis": "Metropolis", "wolff": "Wolff",
               "swendsen_wang": "Swendsen-Wang", "numpy_checkerboard": "numpy"}


def ratio(a, b):
    """Ratio of two samples-per-second rates, with the error from the two taus.

    Metropolis and numpy share one tau, whose error then cancels. Timing noise
    (a few percent) is left out: the taus dominate.
    """
    value = a["samples_per_s"] / b["samples_per_s"]
    if a["tau"] == b["tau"]:
        return dict(value=value, error=0.0)
    relative = math.hypot(a["tau_error"] / a["tau"], b["tau_error"] / b["tau"])
    return dict(value=value, error=value * relative)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="short smoke run (seconds); numbers are indicative only")
    args = parser.parse_args(argv)
    pick = 1 if args.quick else 0
    budget = {key: value[pick] for key, value in BUDGET.items()}
    repeats = budget.pop("repeats")

    start = time.perf_counter()
    compile_seconds = warm_up()
    flips = bench_flips(budget, repeats)
    samples = bench_independent_samples(budget, repeats)
    names = SHORT_NAMES
    ratios = {
        f"{names[a]} / {names[b]}": ratio(samples[a], samples[b])
        for a, b in (("wolff", "metropolis"), ("wolff", "numpy_checkerboard"),
                     ("swendsen_wang", "metropolis"), ("metropolis", "numpy_checkerboard"))
    }
    meta = machine_info()
    meta["ratios"] = ratios
    report(flips, samples, meta)

    total = time.perf_counter() - start
    print(f"\nwarm-up {compile_seconds:.1f} s, total {total:.0f} s"
          + (" (--quick: short traces, tau underestimated)" if args.quick else ""))
    results = {
        "benchmark": "sampling",
        "quick": args.quick,
        "lattice_shape": [L, L],
        "critical_temperature": T_C,
        "timing": f"best of {repeats} repeats",
        "environment": {k: v for k, v in meta.items() if k != "ratios"},
        "warm_up_seconds": compile_seconds,
        "total_seconds": total,
        "metropolis_flips": flips,
        "independent_samples_at_tc": samples,
        "ratios_independent_samples": ratios,
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    print(f"results written to {RESULTS}")


if __name__ == "__main__":
    sys.exit(main())
