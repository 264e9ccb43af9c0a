"""Sampling speed of skrg's Ising kernels against numpy and mcising.

Usage::

    python benchmarks/bench_sampling.py            # full run, about 1.5 minutes on 2 cores
    python benchmarks/bench_sampling.py --quick    # smoke run, a few seconds

Everything is measured in one process, so the ratios compare like with like on
the same machine at the same moment; absolute numbers vary between machines and
runs, ratios much less. Timings are the best of several repeats, interleaved
between the contenders (the least disturbed run of each), after numba has
compiled (or loaded from its cache) every kernel. Every run is serial: one
chain, one thread; times are CPU seconds of the process, so that time spent
descheduled on a busy machine counts against no contender.

1. Metropolis throughput: attempted spin flips per second on L x L lattices,
   L = 64 and 256, at T_c and at T = 3. Contenders: skrg's kernel (a
   checkerboard sweep, as ``make_ising`` runs it); the numpy checkerboard a
   user would write (two colour masks, ``np.roll`` neighbour sums, one array of
   uniform random numbers per half-sweep); and mcising (Rust, from PyPI),
   ``IsingSimulation(L, 1, 0, 0, 0, seed, "metropolis", "square").sweep(n,
   temperature=T)``: its single-thread sequential-scan Metropolis, one call
   running n sweeps with the GIL released. The call overhead of
   ``sweep(0)``, about a tenth of a microsecond, and the CPU time per wall
   second of its timed calls (1 when single-threaded) are recorded.
2. Independent samples per second at T_c: sweeps per second divided by the
   integrated autocorrelation time in sweeps (the larger of those of the energy
   and of ``|m|``). Metropolis at L = 64 only (at L = 256 its tau is thousands
   of sweeps and measuring it takes hours); Wolff (a sweep is N / <C>
   clusters, <C> measured first, as ``make_ising`` does) and Swendsen-Wang at
   L = 64 and 256. The numpy checkerboard makes the same Markov chain as skrg's
   Metropolis (one colour, then the other, same acceptance rule), so it is
   given Metropolis's autocorrelation time rather than a second long run.
3. Scaling: time per spin per sweep of Metropolis, Wolff and Swendsen-Wang at
   T = 3 (away from T_c) for L = 16, 32, 64, 128 and 256. Flat means the cost
   of a sweep is proportional to the number of sites; the ratio of the slowest
   to the fastest size says how flat.

Results go to ``benchmarks/results/sampling.json`` (with versions, thread counts,
machine and date, and a ``"summary"`` list of headline figures) and to a table
on stdout.
"""

import argparse
import datetime
import json
import math
import os
import platform
import time
from pathlib import Path

import numba
import numpy as np

import skrg
from skrg.ising import _sampling
from skrg.ising.exact import critical_temperature
from skrg.ising.observables import integrated_autocorrelation_time

T_C = critical_temperature(2)
T_HIGH = 3.0
SIZES = (64, 256)
SCALING_SIZES = (16, 32, 64, 128, 256)
ALGORITHMS = ("metropolis", "wolff", "swendsen_wang")
SEED = 20240601
RESULTS = Path(__file__).parent / "results" / "sampling.json"

# Budgets, (full, quick). Site updates per timed call (so every lattice size is
# timed for about as long) and number of repeats; per algorithm, the first trace
# length and the cap of the autocorrelation runs in sweeps (traces double until
# they span MIN_TAUS autocorrelation times or reach the cap).
BUDGET = {
    "skrg_updates": (2e7, 1e6),
    "mcising_updates": (1e7, 5e5),
    "numpy_updates": (1.2e6, 1e5),
    "cluster_updates": (3e6, 2e5),
    "repeats": (9, 2),
    # Metropolis's tau at L = 64 is ~500 sweeps: 2,000 tau is about 15 s.
    "trace_metropolis_64": ((200_000, 1_600_000), (4_000, 4_000)),
    "trace_wolff_64": ((20_000, 80_000), (500, 500)),
    "trace_swendsen_wang_64": ((20_000, 80_000), (500, 500)),
    "trace_wolff_256": ((5_000, 10_000), (100, 100)),
    "trace_swendsen_wang_256": ((5_000, 20_000), (100, 100)),
}
# 2,000 tau give tau to about 10% (Sokal's error, below).
MIN_TAUS = 2_000
# Sokal's window constant, as in integrated_autocorrelation_time.
WINDOW_C = 5.0
TARGETS = {"numpy": 5.0, "mcising": 1.0, "independent": 50.0}
# Every contender runs on one thread (mcising's CPU seconds per wall second are
# recorded to show it), so CPU time measures them all, and time spent
# descheduled on a busy machine does not count against anyone.
CLOCK = time.process_time


# --------------------------------------------------------------------------- peers


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


def mcising_simulation(L, seed):
    """mcising's single-lattice engine: square lattice, J1 = 1, no other couplings or field."""
    from mcising import IsingSimulation

    return IsingSimulation(L, 1.0, 0.0, 0.0, 0.0, seed, "metropolis", "square")


# ------------------------------------------------------------------------ helpers


def Chain(algorithm, L, temperature, seed, spins=None):
    """One skrg chain driven exactly as make_ising drives it, optionally from given spins."""
    chain = _sampling._Chain(algorithm, (L, L), temperature, seed)
    if spins is not None:
        chain.spins = spins.copy()
    if algorithm == "wolff":
        chain.measure_cluster_size()
    return chain


def best_times(functions, repeats, clock=time.perf_counter):
    """Best time of each function over ``repeats`` calls, wall clock unless told.

    The calls are interleaved (a, b, a, b, ...) so that a burst of load on the
    machine hits every contender alike; the best time is the least disturbed run.
    ``clock=time.process_time`` (CPU seconds of the whole process) suits
    single-threaded contenders on a shared machine: time spent descheduled does
    not count.
    """
    times = [[] for _ in functions]
    for _ in range(repeats):
        for function, record in zip(functions, times):
            start = clock()
            function()
            record.append(clock() - start)
    return [min(record) for record in times]


def sweeps_for(updates, L):
    """Sweeps of an L x L lattice that make about ``updates`` site updates (at least 2)."""
    return max(2, round(updates / (L * L)))


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


def write_results(path, results):
    """Write a benchmark's results dict as JSON to ``path`` (folders made) and say where."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, indent=2) + "\n")
    print(f"results written to {path}")


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


def temperature_label(temperature):
    return "T_c" if temperature == T_C else f"T={temperature:g}"


# --------------------------------------------------------------------- benchmarks


def warm_up():
    """Compile (or load from cache) every kernel before anything is timed."""
    start = time.perf_counter()
    for algorithm in ALGORITHMS:
        _sampling._Chain(algorithm, (8, 8), T_C, 0).run(2, n_trace=2)
    numpy_checkerboard(np.ones((8, 8), np.int8), 1.0, 1, np.random.default_rng(0))
    return time.perf_counter() - start


def bench_flips(budget, repeats):
    """Part 1: attempted Metropolis flips per second: skrg, numpy and mcising."""
    rows = []
    for L in SIZES:
        for temperature in (T_C, T_HIGH):
            chain = Chain("metropolis", L, temperature, SEED)
            chain.run(sweeps_for(budget["skrg_updates"], L))  # leave the random start behind
            spins = chain.spins.reshape(L, L).copy()
            rng = np.random.default_rng(SEED)
            beta = 1.0 / temperature
            simulation = mcising_simulation(L, SEED)
            simulation.set_spins(spins)
            n = {name: sweeps_for(budget[f"{name}_updates"], L)
                 for name in ("skrg", "numpy", "mcising")}
            cpu = [0.0, 0.0]  # mcising's CPU and wall seconds over its timed calls

            def run_mcising():
                start_cpu, start_wall = time.process_time(), time.perf_counter()
                simulation.sweep(n["mcising"], temperature=temperature)
                cpu[0] += time.process_time() - start_cpu
                cpu[1] += time.perf_counter() - start_wall

            times = best_times(
                [lambda: chain.run(n["skrg"]),
                 lambda: numpy_checkerboard(spins, beta, n["numpy"], rng),
                 run_mcising],
                repeats, CLOCK,
            )
            overhead = best_times([lambda: simulation.sweep(0, temperature=temperature)],
                                  max(repeats, 5))[0]
            rates = {name: n[name] * L * L / t for name, t in zip(n, times)}
            rows.append(dict(
                L=L, temperature=temperature,
                skrg_flips_per_s=rates["skrg"],
                numpy_flips_per_s=rates["numpy"],
                mcising_flips_per_s=rates["mcising"],
                ratio_numpy=rates["skrg"] / rates["numpy"],
                ratio_mcising=rates["skrg"] / rates["mcising"],
                sweeps_timed=n,
                mcising_call_overhead_s=overhead,
                mcising_cpu_per_wall=cpu[0] / cpu[1],
            ))
    return rows


def bench_independent_samples(budget, repeats, flips):
    """Part 2: independent samples per second at T_c."""
    results = {}
    for L in SIZES:
        # Start every chain from a Wolff-equilibrated state: Metropolis alone needs
        # thousands of sweeps to leave a random start at T_c.
        start = Chain("wolff", L, T_C, SEED)
        start.run(200 if L <= 64 else 50)
        algorithms = ALGORITHMS if L == 64 else ("wolff", "swendsen_wang")
        chains = {}
        for algorithm in algorithms:
            chain = Chain(algorithm, L, T_C, SEED + 1, spins=start.spins)
            chain.run(20)
            chains[algorithm] = chain
        n = {a: sweeps_for(budget["skrg_updates" if a == "metropolis" else "cluster_updates"], L)
             for a in algorithms}
        times = best_times([lambda a=a: chains[a].run(n[a]) for a in algorithms], repeats, CLOCK)
        for algorithm, t in zip(algorithms, times):
            first, cap = budget[f"trace_{algorithm}_{L}"]
            wall = time.perf_counter()
            row = autocorrelation(chains[algorithm], first, cap)
            row["trace_seconds"] = time.perf_counter() - wall
            row["sweeps_per_s"] = n[algorithm] / t
            row["samples_per_s"] = row["sweeps_per_s"] / row["tau"]
            if algorithm == "wolff":
                row["mean_cluster_size"] = chains[algorithm].mean_cluster_size
                row["updates_per_sweep"] = chains[algorithm].updates_per_sweep
            results[f"{algorithm}_{L}"] = row

    metropolis = results["metropolis_64"]
    numpy_rate = next(r["numpy_flips_per_s"] for r in flips
                      if r["L"] == 64 and r["temperature"] == T_C) / 64**2
    results["numpy_checkerboard_64"] = dict(
        sweeps_per_s=numpy_rate,
        tau=metropolis["tau"],
        tau_error=metropolis["tau_error"],
        tau_source="metropolis (same Markov chain)",
        samples_per_s=numpy_rate / metropolis["tau"],
    )
    return results


def bench_scaling(budget, repeats):
    """Part 3: nanoseconds per spin per sweep at T = 3 against L."""
    rows = {}
    for algorithm in ALGORITHMS:
        chains = {L: Chain(algorithm, L, T_HIGH, SEED) for L in SCALING_SIZES}
        updates = budget["skrg_updates" if algorithm == "metropolis" else "cluster_updates"]
        n = {L: sweeps_for(updates, L) for L in SCALING_SIZES}
        for L, chain in chains.items():
            chain.run(max(10, n[L] // 10))
        times = best_times([lambda L=L: chains[L].run(n[L]) for L in SCALING_SIZES], repeats,
                           CLOCK)
        ns = {L: 1e9 * t / (n[L] * L * L) for L, t in zip(SCALING_SIZES, times)}
        rows[algorithm] = dict(ns_per_spin_sweep=ns, max_over_min=max(ns.values()) / min(ns.values()))
    return rows


# -------------------------------------------------------------------------- report

NAMES = {"metropolis": "skrg Metropolis", "wolff": "skrg Wolff",
         "swendsen_wang": "skrg Swendsen-Wang", "numpy_checkerboard": "numpy checkerboard"}


def report(flips, samples, scaling, summary, meta):
    print(f"\nskrg {meta['skrg']}, numpy {meta['numpy']}, numba {meta['numba']}, "
          f"mcising {meta['mcising']}, {meta['cpu']} ({meta['usable_cpus']} usable CPUs, "
          "serial runs)")
    print("\n1. Metropolis: attempted spin flips per second (best of repeats)")
    print(f"   {'L':>4} {'T':>7} {'skrg':>11} {'numpy':>11} {'mcising':>11} "
          f"{'/numpy':>7} {'/mcising':>9}")
    for row in flips:
        print(f"   {row['L']:4d} {row['temperature']:7.4f} {row['skrg_flips_per_s']:11.3e} "
              f"{row['numpy_flips_per_s']:11.3e} {row['mcising_flips_per_s']:11.3e} "
              f"{row['ratio_numpy']:7.1f} {row['ratio_mcising']:9.2f}")
    cpu = [row["mcising_cpu_per_wall"] for row in flips]
    print(f"   (mcising: CPU seconds per wall second {min(cpu):.2f}-{max(cpu):.2f}, "
          f"call overhead {max(r['mcising_call_overhead_s'] for r in flips) * 1e6:.2f} us)")

    print(f"\n2. Independent samples per second at T_c = {T_C:.4f} "
          "(sweeps/s / tau, tau = max over energy and |m|)")
    print(f"   {'sampler':<20} {'L':>4} {'sweeps/s':>10} {'tau (sweeps)':>16} {'tau_E':>7} "
          f"{'tau_|m|':>7} {'trace/tau':>10} {'samples/s':>10}")
    for key, row in samples.items():
        name, L = key.rsplit("_", 1)
        if "trace_in_taus" in row:
            parts = (f"{row['tau_energy']:7.4g} {row['tau_abs_m']:7.4g} "
                     f"{row['trace_in_taus']:10.0f}")
        else:
            parts = f"{'':7} {'':7} {'(=Metr.)':>10}"
        tau = f"{row['tau']:.4g} +- {row['tau_error']:.2g}"
        print(f"   {NAMES[name]:<20} {L:>4} {row['sweeps_per_s']:10.4g} {tau:>16} {parts} "
              f"{row['samples_per_s']:10.4g}")
    for L in SIZES:
        wolff = samples[f"wolff_{L}"]
        print(f"   (L={L}: Wolff sweep = {wolff['updates_per_sweep']} clusters, "
              f"<C> = {wolff['mean_cluster_size']:.0f} sites)")

    print(f"\n3. Scaling at T = {T_HIGH:g}: nanoseconds per spin per sweep")
    print(f"   {'sampler':<20} " + " ".join(f"{'L=' + str(L):>7}" for L in SCALING_SIZES)
          + f" {'max/min':>8}")
    for algorithm, row in scaling.items():
        values = " ".join(f"{row['ns_per_spin_sweep'][L]:7.2f}" for L in SCALING_SIZES)
        print(f"   {NAMES[algorithm]:<20} {values} {row['max_over_min']:8.2f}")

    print("\nSummary")
    print(f"   {'measure':<60} {'skrg':>9} {'peer':<26} {'peer value':>10} {'ratio':>7} target")
    for line in summary:
        peer = line["peer"] or ""
        peer_value = f"{line['peer_value']:10.3g}" if line["peer_value"] is not None else " " * 10
        ratio = f"{line['ratio']:7.2f}" if line["ratio"] is not None else " " * 7
        target = f"{line['target']} {'met' if line['met'] else 'MISSED'}" if line["target"] else ""
        print(f"   {line['measure']:<60} {line['skrg']:9.3g} {peer:<26} {peer_value} {ratio} "
              f"{target}")


def summarize(flips, samples, scaling):
    """Headline figures, one dict per line (see the benchmark summary contract)."""

    def line(measure, skrg_value, peer, peer_value, meaning, target=None):
        ratio = None if peer_value is None else skrg_value / peer_value
        return {"benchmark": "sampling", "measure": measure, "skrg": skrg_value, "peer": peer,
                "peer_value": peer_value, "ratio": ratio, "ratio_meaning": meaning,
                "target": None if target is None else f">= {target:g}",
                "met": None if target is None else bool(ratio >= target)}

    lines = []
    for row in flips:
        where = f"2D L={row['L']} {temperature_label(row['temperature'])}"
        lines.append(line(f"Metropolis attempts/s, {where}", row["skrg_flips_per_s"],
                          "numpy checkerboard", row["numpy_flips_per_s"],
                          "skrg/peer speed", TARGETS["numpy"]))
        lines.append(line(f"Metropolis attempts/s, {where}", row["skrg_flips_per_s"],
                          "mcising 1.1 single thread", row["mcising_flips_per_s"],
                          "skrg/peer speed", TARGETS["mcising"]))
    best = max((k for k in samples if k.endswith("_64") and not k.startswith("numpy")),
               key=lambda k: samples[k]["samples_per_s"])
    numpy_samples = samples["numpy_checkerboard_64"]["samples_per_s"]
    lines.append(line(f"independent samples/s, 2D L=64 T_c, best skrg ({best[:-3]})",
                      samples[best]["samples_per_s"], "numpy checkerboard", numpy_samples,
                      "skrg/peer independent samples per second", TARGETS["independent"]))
    lines.append(line("independent samples/s, 2D L=64 T_c, skrg Metropolis",
                      samples["metropolis_64"]["samples_per_s"], "numpy checkerboard",
                      numpy_samples, "skrg/peer independent samples per second"))
    for algorithm in ("wolff", "swendsen_wang"):
        lines.append(line(f"independent samples/s, 2D L=256 T_c, skrg {algorithm}",
                          samples[f"{algorithm}_256"]["samples_per_s"], None, None, None))
    for algorithm, row in scaling.items():
        ns = row["ns_per_spin_sweep"].values()
        lines.append(line(f"{algorithm} ns/spin/sweep, T=3, L=16..256, slowest size",
                          max(ns), "fastest size", min(ns),
                          "slowest/fastest time per spin (1 = flat)"))
    return lines


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="short smoke run (seconds); numbers are indicative only")
    args = parser.parse_args(argv)
    pick = 1 if args.quick else 0
    budget = {key: value[pick] for key, value in BUDGET.items()}
    repeats = budget.pop("repeats")

    import mcising

    start = time.perf_counter()
    compile_seconds = warm_up()
    flips = bench_flips(budget, repeats)
    samples = bench_independent_samples(budget, repeats, flips)
    scaling = bench_scaling(budget, repeats)
    summary = summarize(flips, samples, scaling)
    meta = machine_info()
    meta["mcising"] = mcising.__version__
    report(flips, samples, scaling, summary, meta)

    total = time.perf_counter() - start
    print(f"\nwarm-up {compile_seconds:.1f} s, total {total:.0f} s"
          + (" (--quick: short traces, tau underestimated)" if args.quick else ""))
    results = {
        "benchmark": "sampling",
        "quick": args.quick,
        "critical_temperature": T_C,
        "timing": f"best of {repeats} interleaved repeats, process CPU time",
        "environment": meta,
        "warm_up_seconds": compile_seconds,
        "total_seconds": total,
        "metropolis_flips": flips,
        "independent_samples_at_tc": samples,
        "scaling_at_t3": scaling,
        "summary": summary,
    }
    write_results(RESULTS, results)
    return results


if __name__ == "__main__":
    main()
