"""Training speed of skrg's BernoulliRBM against scikit-learn's, at the Mehta-Schwab size.

Usage::

    python benchmarks/bench_rbm.py            # full run, about a minute on 2 cores
    python benchmarks/bench_rbm.py --quick    # smoke run, a few seconds
    python benchmarks/bench_rbm.py --blas-threads 1   # serial BLAS

The problem is the first layer of Mehta & Schwab (2014): 20,000 configurations
of a 40 x 40 periodic Ising lattice at K = 0.408 (T = 1 / 0.408, from
``make_ising`` with ``n_jobs=2``, generated once and kept in memory; not
timed), 1600 visible units, 400 hidden units, minibatches of 100, one Gibbs
step per minibatch (PCD-1, 200 minibatch steps per epoch). ``--quick`` uses
2,000 configurations (20 steps).

Contenders, each timed as one ``fit`` with ``n_iter=1`` (one epoch; input
validation and initialization included):

1. ``skrg.BernoulliRBM(n_components=400, n_iter=1, batch_size=100,
   n_gibbs_steps=1, dtype="float32", lattice_shape=(40, 40))`` on the int8
   ±1 data. ``fit`` also assigns the hidden units to coarse sites at the end
   (one ``linear_sum_assignment`` of 400 x 400).
2. The same with ``dtype="float64"``, to separate the compute type from the
   rest of the step.
3. ``sklearn.neural_network.BernoulliRBM(n_components=400, n_iter=1,
   batch_size=100)``, PCD-1 with {0, 1} units, on ``(X + 1) / 2`` as float64
   (its units are binary, and it computes in the input's float type).
4. ``skrg.BernoulliRBM`` float32 with ``n_iter=0``: validation,
   initialization and the unit assignment alone, the fixed cost inside (1).

The two models do the same amount of linear algebra per step (six
100 x 1600 x 400 matrix products), so the ratio skrg / scikit-learn measures
the compute type and the overhead around the products. The issue's target is
skrg in at most half of scikit-learn's time (ratio <= 0.5).

Timings are the best of several repeats, interleaved between the contenders
(the least disturbed run of each), after one warm-up fit of each. The matrix
products use the BLAS that numpy links, multithreaded: the BLAS libraries and
their thread counts (from threadpoolctl) are printed and stored;
``--blas-threads N`` limits every BLAS to N threads (threadpoolctl), which
makes the comparison less sensitive to other load on the machine: a
multithreaded BLAS that has to wait for a descheduled thread slows down far
more than a serial one. Results go to
``benchmarks/results/rbm.json`` (with versions, machine and date) and to a
table on stdout.
"""

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import sklearn
from sklearn.neural_network import BernoulliRBM as SklearnRBM
from threadpoolctl import threadpool_info, threadpool_limits

from bench_sampling import best_times, machine_info
from skrg import BernoulliRBM, make_ising

L = 40
K = 0.408
N_HIDDEN = 400
BATCH = 100
SEED = 0
RESULTS = Path(__file__).parent / "results" / "rbm.json"

# (full, quick)
N_CONFIGS = (20_000, 2_000)
REPEATS = (3, 2)
TARGET = 0.5


def skrg_rbm(dtype="float32", n_iter=1):
    return BernoulliRBM(n_components=N_HIDDEN, n_iter=n_iter, batch_size=BATCH,
                        n_gibbs_steps=1, dtype=dtype, lattice_shape=(L, L),
                        random_state=SEED)


def sklearn_rbm():
    return SklearnRBM(n_components=N_HIDDEN, n_iter=1, batch_size=BATCH, random_state=SEED)


def blas_info():
    """Every BLAS (and OpenMP) library loaded, with its kernel and thread count."""
    keys = ("user_api", "internal_api", "version", "architecture", "num_threads",
            "threading_layer", "filepath")
    return [{key: entry.get(key) for key in keys} for entry in threadpool_info()]


def report(rows, meta, blas, *, title, steps, reference, target):
    """Print the environment, a seconds-per-epoch table against ``reference`` and the verdict."""
    print(f"\nskrg {meta['skrg']}, scikit-learn {sklearn.__version__}, numpy {meta['numpy']}, "
          f"{meta['cpu']} ({meta['usable_cpus']} usable CPUs)")
    for lib in blas:
        print(f"   {lib['user_api']:<7} {lib['internal_api']:<9} {lib['version'] or '':<14} "
              f"kernel {lib['architecture'] or '-':<10} threads {lib['num_threads']}  "
              f"{Path(lib['filepath']).name}")
    print(f"\n{title}")
    print(f"   {'contender':<40} {'s/epoch':>8} {'ms/step':>8} {'/sklearn':>9}")
    seconds = rows[reference]["seconds"]
    for name, row in rows.items():
        print(f"   {name:<40} {row['seconds']:8.3f} {1e3 * row['seconds'] / steps:8.2f} "
              f"{row['seconds'] / seconds:9.2f}")
    ratio = rows["skrg float32"]["seconds"] / seconds
    verdict = "meets" if ratio <= target else "misses"
    print(f"\n   skrg float32 / sklearn = {ratio:.2f} ({verdict} the target <= {target})")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="short smoke run (seconds); numbers are indicative only")
    parser.add_argument("--blas-threads", type=int, default=None, metavar="N",
                        help="limit every BLAS library to N threads (default: as installed)")
    args = parser.parse_args(argv)
    if args.blas_threads is not None:
        threadpool_limits(limits=args.blas_threads, user_api="blas")
    pick = 1 if args.quick else 0
    n_configs, repeats = N_CONFIGS[pick], REPEATS[pick]

    start = time.perf_counter()
    X, _ = make_ising(n_configs, (L, L), 1 / K, random_state=SEED, n_jobs=2)
    X = np.ascontiguousarray(X, dtype=np.int8)
    X_binary = (X + 1.0) / 2.0  # float64 {0, 1} for scikit-learn
    generation_seconds = time.perf_counter() - start

    contenders = {
        "skrg float32": lambda: skrg_rbm("float32").fit(X),
        "skrg float64": lambda: skrg_rbm("float64").fit(X),
        "sklearn float64": lambda: sklearn_rbm().fit(X_binary),
        "skrg float32, n_iter=0 (fixed cost)": lambda: skrg_rbm("float32", n_iter=0).fit(X),
    }
    warm = time.perf_counter()
    skrg_rbm("float32").fit(X[:500])
    skrg_rbm("float64").fit(X[:500])
    sklearn_rbm().fit(X_binary[:500])
    warm_up_seconds = time.perf_counter() - warm

    times = best_times(list(contenders.values()), repeats)
    rows = {name: {"seconds": seconds, "ms_per_step": 1e3 * seconds / -(-n_configs // BATCH)}
            for name, seconds in zip(contenders, times)}
    for row in rows.values():
        row["over_sklearn"] = row["seconds"] / rows["sklearn float64"]["seconds"]

    meta = machine_info()
    blas = blas_info()
    meta["threads_used"] = max((lib["num_threads"] for lib in blas
                                if lib["user_api"] == "blas"), default=1)
    meta["scikit-learn"] = sklearn.__version__
    steps = -(-n_configs // BATCH)
    report(rows, meta, blas, steps=steps, reference="sklearn float64", target=TARGET,
           title=f"One epoch of PCD-1: {n_configs} x {L * L} -> {N_HIDDEN} hidden, batch "
                 f"{BATCH} ({steps} steps), best of {repeats}, interleaved")

    total = time.perf_counter() - start
    print(f"\ndata generation {generation_seconds:.1f} s (make_ising, n_jobs=2, not timed), "
          f"warm-up {warm_up_seconds:.1f} s, total {total:.0f} s"
          + (" (--quick: fewer configurations and repeats)" if args.quick else ""))
    ratio = rows["skrg float32"]["over_sklearn"]
    output = {
        "benchmark": "rbm",
        "quick": args.quick,
        "blas_threads_limit": args.blas_threads,
        "lattice_shape": [L, L],
        "coupling_K": K,
        "n_configs": n_configs,
        "n_hidden": N_HIDDEN,
        "batch_size": BATCH,
        "gibbs_steps": 1,
        "timing": f"best of {repeats} repeats, interleaved; one fit with n_iter=1 each",
        "environment": meta,
        "blas": blas,
        "data_generation_seconds": generation_seconds,
        "warm_up_seconds": warm_up_seconds,
        "total_seconds": total,
        "results": rows,
        "skrg_over_sklearn": ratio,
        "target": TARGET,
        "meets_target": ratio <= TARGET,
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(output, indent=2) + "\n")
    print(f"results written to {RESULTS}")


if __name__ == "__main__":
    sys.exit(main())
