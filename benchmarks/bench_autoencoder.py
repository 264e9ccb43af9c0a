"""Training speed of skrg's dense IsingAutoencoder against scikit-learn's MLPRegressor.

Usage::

    python benchmarks/bench_autoencoder.py            # full run, under a minute on 2 cores
    python benchmarks/bench_autoencoder.py --quick    # smoke run, a few seconds
    python benchmarks/bench_autoencoder.py --blas-threads 1   # serial BLAS

The problem is a dense 1024 -> 256 -> 1024 autoencoder on 10,000
configurations of a 32 x 32 periodic Ising lattice at T = 2.3 (from
``make_ising`` with ``n_jobs=2``, generated once and kept in memory; not
timed), minibatches of 100 (100 Adam steps per epoch). ``--quick`` uses
1,000 configurations (10 steps).

Contenders, each timed as one ``fit`` of one epoch (input validation and
initialization included):

1. ``skrg.IsingAutoencoder(encoder="dense", n_latent=256, max_iter=1,
   batch_size=100, dtype="float32", shuffle=True)`` on the int8 ±1 data: tanh
   latent units, a tanh output under a binary cross-entropy, Adam. ``fit``
   also assigns the latent units to coarse sites at the end (one
   ``linear_sum_assignment`` of 256 x 256).
2. The same with ``dtype="float64"``, to separate the compute type from the
   rest of the step.
3. ``sklearn.neural_network.MLPRegressor(hidden_layer_sizes=(256,),
   activation="tanh", solver="adam", batch_size=100, max_iter=1,
   shuffle=True)`` fitted as an autoencoder, ``fit(Xf, Xf)`` with
   ``Xf = X.astype(float64)``: tanh hidden layer, identity output under the
   squared error, Adam. Its ``ConvergenceWarning`` (one epoch) is silenced.
4. ``skrg.IsingAutoencoder`` float32 with ``max_iter=0``: validation,
   initialization and the unit assignment alone, the fixed cost inside (1).

The two models do the same linear algebra per step (the forward products
100 x 1024 x 256 and 100 x 256 x 1024 and the two weight-gradient and one
back-propagation products of the same sizes), so the ratio skrg /
scikit-learn measures the compute type and the overhead around the
products. The issue's target is skrg at least as fast (ratio <= 1.0).
PyTorch, the other natural peer, is not part of this benchmark.

Timings are the best of several repeats, interleaved between the contenders
(the least disturbed run of each), after one warm-up fit of each. The matrix
products use the BLAS that numpy links, multithreaded: the BLAS libraries and
their thread counts (from threadpoolctl) are printed and stored;
``--blas-threads N`` limits every BLAS to N threads (threadpoolctl). Results
go to ``benchmarks/results/autoencoder.json`` (with versions, machine and
date) and to a table on stdout.
"""

import argparse
import json
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import sklearn
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPRegressor
from threadpoolctl import threadpool_limits

from bench_rbm import blas_info, report
from bench_sampling import best_times, machine_info
from skrg import IsingAutoencoder, make_ising

L = 32
TEMPERATURE = 2.3
N_LATENT = 256
BATCH = 100
SEED = 0
RESULTS = Path(__file__).parent / "results" / "autoencoder.json"
REFERENCE = "sklearn MLPRegressor float64"

# (full, quick)
N_CONFIGS = (10_000, 1_000)
REPEATS = (3, 2)
TARGET = 1.0


def skrg_autoencoder(dtype="float32", max_iter=1):
    return IsingAutoencoder(encoder="dense", n_latent=N_LATENT, max_iter=max_iter,
                            batch_size=BATCH, dtype=dtype, shuffle=True, random_state=SEED)


def sklearn_autoencoder():
    return MLPRegressor(hidden_layer_sizes=(N_LATENT,), activation="tanh", solver="adam",
                        batch_size=BATCH, max_iter=1, shuffle=True, random_state=SEED)


def fit_sklearn(X):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return sklearn_autoencoder().fit(X, X)


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
    X, _ = make_ising(n_configs, (L, L), TEMPERATURE, random_state=SEED, n_jobs=2)
    X = np.ascontiguousarray(X, dtype=np.int8)
    X_float = X.astype(np.float64)  # scikit-learn's input and target
    generation_seconds = time.perf_counter() - start

    contenders = {
        "skrg float32": lambda: skrg_autoencoder("float32").fit(X),
        "skrg float64": lambda: skrg_autoencoder("float64").fit(X),
        REFERENCE: lambda: fit_sklearn(X_float),
        "skrg float32, max_iter=0 (fixed cost)": lambda: skrg_autoencoder("float32", 0).fit(X),
    }
    warm = time.perf_counter()
    skrg_autoencoder("float32").fit(X[:500])
    skrg_autoencoder("float64").fit(X[:500])
    fit_sklearn(X_float[:500])
    warm_up_seconds = time.perf_counter() - warm

    times = best_times(list(contenders.values()), repeats)
    rows = {name: {"seconds": seconds, "ms_per_step": 1e3 * seconds / -(-n_configs // BATCH)}
            for name, seconds in zip(contenders, times)}
    for row in rows.values():
        row["over_sklearn"] = row["seconds"] / rows[REFERENCE]["seconds"]

    meta = machine_info()
    blas = blas_info()
    meta["threads_used"] = max((lib["num_threads"] for lib in blas
                                if lib["user_api"] == "blas"), default=1)
    meta["scikit-learn"] = sklearn.__version__
    steps = -(-n_configs // BATCH)
    report(rows, meta, blas, steps=steps, reference=REFERENCE, target=TARGET,
           title=f"One epoch of Adam: {n_configs} x {L * L} -> {N_LATENT} -> {L * L}, batch "
                 f"{BATCH} ({steps} steps), best of {repeats}, interleaved")

    total = time.perf_counter() - start
    print(f"\ndata generation {generation_seconds:.1f} s (make_ising, n_jobs=2, not timed), "
          f"warm-up {warm_up_seconds:.1f} s, total {total:.0f} s"
          + (" (--quick: fewer configurations and repeats)" if args.quick else ""))
    ratio = rows["skrg float32"]["over_sklearn"]
    output = {
        "benchmark": "autoencoder",
        "quick": args.quick,
        "blas_threads_limit": args.blas_threads,
        "lattice_shape": [L, L],
        "temperature": TEMPERATURE,
        "n_configs": n_configs,
        "n_latent": N_LATENT,
        "batch_size": BATCH,
        "timing": f"best of {repeats} repeats, interleaved; one fit of one epoch each",
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
