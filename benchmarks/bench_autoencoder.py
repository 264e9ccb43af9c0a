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
4. PyTorch on the CPU, float32 (:func:`torch_autoencoder_epoch`), the same
   model written plainly in torch: ``Sequential(Linear(1024, 256), Tanh(),
   Linear(256, 1024))`` with Glorot-uniform weights and zero intercepts, the
   output ``a`` read as ``tanh(a)`` under skrg's binary cross-entropy
   (``binary_cross_entropy_with_logits(2 a, (1 + v) / 2)``, the mean per
   site: the same loss as skrg's ``log(1 + e^{-2a}) + (1 - v) a``),
   gradients by autograd, ``torch.optim.Adam`` with scikit-learn's defaults
   (learning rate 1e-3, betas 0.9 and 0.999, epsilon 1e-8), the loss of every
   step accumulated as skrg does, on the same int8 data in minibatches of
   100 (shuffled by ``torch.randperm``; each batch converted to float32 as
   it is used). Skipped, with a note, when PyTorch is not installed.
5. ``skrg.IsingAutoencoder`` float32 with ``max_iter=0``: validation,
   initialization and the unit assignment alone, the fixed cost inside (1).

The models do the same linear algebra per step (the forward products
100 x 1024 x 256 and 100 x 256 x 1024 and the two weight-gradient and one
back-propagation products of the same sizes), so the ratio skrg /
scikit-learn measures the compute type and the overhead around the
products, and skrg / PyTorch numpy's BLAS and hand-written backward pass
against PyTorch's kernels and autograd at the same float type. The issue's
targets: skrg at least as fast as scikit-learn (ratio <= 1.0) and within 1.5
times PyTorch's time (ratio <= 1.5).

Timings are the best of several repeats, interleaved between the contenders
(the least disturbed run of each), after one warm-up fit of each. The matrix
products use the BLAS that numpy links, multithreaded: the BLAS libraries and
their thread counts (from threadpoolctl) are printed and stored, with
PyTorch's version, threads and kernels; PyTorch gets as many threads as
numpy's BLAS. ``--blas-threads N`` limits every BLAS, and PyTorch, to N
threads (restored when ``main`` returns). Results go to
``benchmarks/results/autoencoder.json`` (with versions, machine, date and the
``summary`` lines of the benchmark contract) and to a table on stdout;
``main`` returns the same dictionary.
"""

import time
import warnings
from pathlib import Path

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPRegressor

from bench_rbm import (SKRG, TORCH, blas_info, environment, neural_main, print_environment,
                       report, summary_line, timed_rows)
from bench_sampling import write_results
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
REPEATS = (7, 2)
TARGETS = {REFERENCE: 1.0, TORCH: 1.5}


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


def torch_autoencoder_epoch(torch, X, seed=SEED):
    """One epoch of skrg's dense autoencoder written plainly in PyTorch; returns the mean loss."""
    torch.manual_seed(seed)
    data = torch.from_numpy(X)
    n_samples, n_features = data.shape
    model = torch.nn.Sequential(torch.nn.Linear(n_features, N_LATENT), torch.nn.Tanh(),
                                torch.nn.Linear(N_LATENT, n_features))
    for layer in (model[0], model[2]):
        torch.nn.init.xavier_uniform_(layer.weight)
        torch.nn.init.zeros_(layer.bias)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3, betas=(0.9, 0.999), eps=1e-8)
    total = 0.0
    for batch in torch.randperm(n_samples).split(BATCH):
        v = data[batch].float()
        # P(v = +1) = sigmoid(2a): the logits are 2a, the targets (1 + v) / 2.
        loss = torch.nn.functional.binary_cross_entropy_with_logits(2 * model(v), (1 + v) / 2)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        total += loss.item() * len(v)
    return total / n_samples


def main(argv=None):
    return neural_main(argv, __doc__.splitlines()[0], run)


def run(args, torch, threads):
    pick = 1 if args.quick else 0
    n_configs, repeats = N_CONFIGS[pick], REPEATS[pick]
    steps = -(-n_configs // BATCH)

    start = time.perf_counter()
    X, _ = make_ising(n_configs, (L, L), TEMPERATURE, random_state=SEED, n_jobs=2)
    X = np.ascontiguousarray(X, dtype=np.int8)
    X_float = X.astype(np.float64)  # scikit-learn's input and target
    generation_seconds = time.perf_counter() - start

    contenders = {
        SKRG: lambda: skrg_autoencoder("float32").fit(X),
        "skrg float64": lambda: skrg_autoencoder("float64").fit(X),
        REFERENCE: lambda: fit_sklearn(X_float),
    }
    if torch is not None:
        contenders[TORCH] = lambda: torch_autoencoder_epoch(torch, X)
    contenders["skrg float32, max_iter=0 (fixed cost)"] = lambda: skrg_autoencoder(
        "float32", 0).fit(X)
    warm = time.perf_counter()
    skrg_autoencoder("float32").fit(X[:500])
    skrg_autoencoder("float64").fit(X[:500])
    fit_sklearn(X_float[:500])
    if torch is not None:
        torch_autoencoder_epoch(torch, X[:500])
    warm_up_seconds = time.perf_counter() - warm

    rows = timed_rows(contenders, repeats, steps, REFERENCE)
    meta = environment(torch)
    blas = blas_info()
    print_environment(meta, blas)
    report(rows, steps=steps, references=[REFERENCE, TORCH], targets=TARGETS,
           title=f"One epoch of Adam: {n_configs} x {L * L} -> {N_LATENT} -> {L * L}, batch "
                 f"{BATCH} ({steps} steps), threads (BLAS, torch) {threads}, best of {repeats}, "
                 f"interleaved")

    total = time.perf_counter() - start
    print(f"\ndata generation {generation_seconds:.1f} s (make_ising, n_jobs=2, not timed), "
          f"warm-up {warm_up_seconds:.1f} s, total {total:.0f} s"
          + (" (--quick: fewer configurations and repeats)" if args.quick else ""))
    measure = (f"s/epoch, dense autoencoder {L * L}->{N_LATENT}->{L * L} Adam, batch {BATCH}, "
               f"{n_configs} configs, float32, BLAS threads {threads}")
    output = {
        "benchmark": "autoencoder",
        "quick": args.quick,
        "blas_threads_limit": args.blas_threads,
        "threads": threads,
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
        "targets": {f"skrg float32 / {peer}": target for peer, target in TARGETS.items()},
        "summary": [summary_line("autoencoder", measure, rows, peer, target)
                    for peer, target in TARGETS.items()],
    }
    write_results(RESULTS, output)
    return output


if __name__ == "__main__":
    main()
