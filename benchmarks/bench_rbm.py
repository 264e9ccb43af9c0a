"""Training speed of skrg's BernoulliRBM against scikit-learn and PyTorch, at the Mehta-Schwab size.

Usage::

    python benchmarks/bench_rbm.py            # full run, about a minute on 2 cores
    python benchmarks/bench_rbm.py --quick    # smoke run, under 10 s
    python benchmarks/bench_rbm.py --blas-threads 1   # serial BLAS (and serial PyTorch)

The problem is the first layer of Mehta & Schwab (2014): 20,000 configurations
of a 40 x 40 periodic Ising lattice at K = 0.408 (T = 1 / 0.408, from
``make_ising`` with ``n_jobs=2``, generated once and kept in memory; not
timed), 1600 visible units, 400 hidden units, minibatches of 100, one Gibbs
step per minibatch (PCD-1, 200 minibatch steps per epoch). ``--quick`` uses
2,000 configurations (20 steps).

Contenders, each timed as one epoch (input validation and initialization
included):

1. ``skrg.BernoulliRBM(n_components=400, n_iter=1, batch_size=100,
   n_gibbs_steps=1, dtype="float32", lattice_shape=(40, 40))`` on the int8
   ±1 data. ``fit`` also assigns the hidden units to coarse sites at the end
   (one ``linear_sum_assignment`` of 400 x 400).
2. The same with ``dtype="float64"``, to separate the compute type from the
   rest of the step.
3. ``sklearn.neural_network.BernoulliRBM(n_components=400, n_iter=1,
   batch_size=100)``, PCD-1 with {0, 1} units, on ``(X + 1) / 2`` as float64
   (its units are binary, and it computes in the input's float type).
4. PyTorch on the CPU, float32 under ``torch.no_grad``: the same PCD-1 step
   as skrg's written plainly in torch (:func:`torch_pcd_epoch`): spin units,
   ``tanh`` means, spins drawn as ``rand < sigmoid(2a)``, the weight gradient
   as one product of the stacked positive and negative phases, momentum 0.5,
   learning rate 0.01, persistent chains, on the same int8 data in
   minibatches of 100 (shuffled by ``torch.randperm``). Skipped, with a
   note, when PyTorch is not installed: it is a peer, not a dependency.
5. ``skrg.BernoulliRBM`` float32 with ``n_iter=0``: validation,
   initialization and the unit assignment alone, the fixed cost inside (1).

The three models do the same linear algebra per step (six
100 x 1600 x 400 matrix products: four layer inputs, and the weight
gradient, 400 x 200 x 1600), so skrg / scikit-learn measures the compute type
and the overhead around the products, and skrg / PyTorch measures numpy's
BLAS and elementwise kernels against PyTorch's (MKL, Sleef) at the same
float type. The issue's targets: skrg in at most half of scikit-learn's time
(ratio <= 0.5) and within 1.2 times PyTorch's (ratio <= 1.2).

Scaling: one epoch of skrg float32 on uniformly random ±1 spins (the cost of
a step does not depend on the spins), for every ``n_visible`` in {400, 1600},
``n_hidden`` in {100, 400} and ``n_samples`` in {2000, 8000} ({1000, 4000}
with ``--quick``), batch 100. The epoch is the time of ``fit`` with
``n_iter=1`` minus that of ``n_iter=0`` (the fixed cost), best of several
repeats each. A dense step costs six products of 100 x n_visible x n_hidden,
so the epoch should grow as ``n_visible * n_hidden * n_samples``: the script
fits ``log t = a + b log(n_visible n_hidden n_samples)`` (b = 1 is linear),
and, on the same 2 x 2 x 2 design, one exponent per factor, and reports the
time per unit ``t / (n_visible n_hidden n_samples)`` at every point (with the
effective GFLOP/s, ``12 n_visible n_hidden n_samples / t``) and how far it
spreads (max / min). The small sizes carry the per-step Python overhead and
smaller, less efficient matrix products, so the spread is the honest measure
of how closely the law holds; a second fit, ``t_step = t0 + k n_visible
n_hidden`` per step of 100 rows, separates that constant ``t0``.

Timings are the best of several repeats, interleaved between the contenders
(the least disturbed run of each), after one warm-up fit of each. The matrix
products use the BLAS that numpy links, multithreaded: the BLAS libraries and
their thread counts (from threadpoolctl) are printed and stored, with
PyTorch's version, threads, CPU capability and its MKL and oneDNN versions.
PyTorch gets as many threads as numpy's BLAS (``torch.set_num_threads``).
``--blas-threads N`` limits every BLAS, and PyTorch, to N threads, which makes
the comparison less sensitive to other load on the machine: a multithreaded
kernel that has to wait for a descheduled thread slows down far more than a
serial one. Both limits are undone when ``main`` returns. Results go to
``benchmarks/results/rbm.json`` (with versions, machine, date and the
``summary`` lines of the benchmark contract) and to a table on stdout;
``main`` returns the same dictionary.
"""

import argparse
import contextlib
import math
import re
import time
from pathlib import Path

import numpy as np
import sklearn
from sklearn.neural_network import BernoulliRBM as SklearnRBM
from threadpoolctl import threadpool_info, threadpool_limits

from bench_sampling import best_times, machine_info, write_results
from skrg import BernoulliRBM, make_ising

L = 40
K = 0.408
N_HIDDEN = 400
BATCH = 100
LEARNING_RATE = 0.01
MOMENTUM = 0.5
SEED = 0
RESULTS = Path(__file__).parent / "results" / "rbm.json"
SKRG = "skrg float32"
SKLEARN = "sklearn float64"
TORCH = "PyTorch CPU float32"

# (full, quick)
N_CONFIGS = (20_000, 2_000)
REPEATS = (4, 2)
SCALING_VISIBLE = (400, 1600)
SCALING_HIDDEN = (100, 400)
SCALING_SAMPLES = ((2000, 8000), (1000, 4000))
TARGETS = {SKLEARN: 0.5, TORCH: 1.2}


def skrg_rbm(dtype="float32", n_iter=1, n_components=N_HIDDEN, lattice_shape=(L, L)):
    return BernoulliRBM(n_components=n_components, n_iter=n_iter, batch_size=BATCH,
                        learning_rate=LEARNING_RATE, momentum=MOMENTUM, n_gibbs_steps=1,
                        dtype=dtype, lattice_shape=lattice_shape, random_state=SEED)


def sklearn_rbm():
    return SklearnRBM(n_components=N_HIDDEN, n_iter=1, batch_size=BATCH, random_state=SEED)


def torch_pcd_epoch(torch, X, n_hidden=N_HIDDEN, seed=SEED):
    """One epoch of skrg's PCD-1 step written plainly in PyTorch: float32, CPU, spin units.

    ``X`` is the int8 ±1 data; each minibatch is converted to float32 as it
    is used, as skrg does. Returns the weights.
    """
    generator = torch.Generator().manual_seed(seed)
    data = torch.from_numpy(X)
    n_samples, n_visible = data.shape

    def sample_spins(a):
        # P(+1) = sigmoid(2a); torch's sigmoid is faster than its tanh.
        return 2 * (torch.rand(a.shape, generator=generator) < torch.sigmoid(2 * a)).float() - 1

    with torch.no_grad():
        W = 0.01 * torch.randn(n_hidden, n_visible, generator=generator)
        b = torch.zeros(n_visible)
        c = torch.zeros(n_hidden)
        chains = 2 * (torch.rand(BATCH, n_visible, generator=generator) < 0.5).float() - 1
        parameters = (W, b, c)
        velocities = [torch.zeros_like(p) for p in parameters]
        order = torch.randperm(n_samples, generator=generator)
        for start in range(0, n_samples, BATCH):
            v_pos = data[order[start:start + BATCH]].float()
            h_pos = torch.tanh(torch.addmm(c, v_pos, W.T))
            h = sample_spins(torch.addmm(c, chains, W.T))
            v_neg = sample_spins(torch.addmm(b, h, W))
            chains = v_neg
            h_neg = torch.tanh(torch.addmm(c, v_neg, W.T))
            hidden = torch.cat([h_pos / len(v_pos), -h_neg / len(v_neg)])
            gradients = (hidden.T @ torch.cat([v_pos, v_neg]),
                         v_pos.mean(0) - v_neg.mean(0), h_pos.mean(0) - h_neg.mean(0))
            for parameter, velocity, gradient in zip(parameters, velocities, gradients):
                velocity.mul_(MOMENTUM).add_(gradient, alpha=LEARNING_RATE)
                parameter.add_(velocity)
    return W


# ------------------------------------------------- environment (shared with bench_autoencoder)


def blas_info():
    """Every BLAS (and OpenMP) library loaded, with its kernel and thread count."""
    keys = ("user_api", "internal_api", "version", "architecture", "num_threads",
            "threading_layer", "filepath")
    return [{key: entry.get(key) for key in keys} for entry in threadpool_info()]


def blas_threads():
    """Threads of the BLAS libraries loaded (the largest count; numpy's under a limit)."""
    return max((lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"),
               default=1)


def load_torch():
    """PyTorch, or None with a printed note: a peer of the benchmarks, not a dependency."""
    try:
        import torch
    except ImportError:
        print("PyTorch is not installed: its contender is skipped (pip install torch to add it).")
        return None
    return torch


def torch_info(torch):
    """PyTorch's version, threads and CPU kernels (MKL for sgemm, oneDNN), or None."""
    if torch is None:
        return None
    config = torch.__config__.show()

    def find(pattern, text=config):
        match = re.search(pattern, text)
        return match.group(1) if match else None

    return {
        "version": torch.__version__,
        "num_threads": torch.get_num_threads(),
        "num_interop_threads": torch.get_num_interop_threads(),
        "cpu_capability": torch.backends.cpu.get_cpu_capability(),
        "blas": find(r"BLAS_INFO=(\w+)"),
        "mkl": torch.backends.mkl.is_available(),
        "mkl_version": find(r"Math Kernel Library Version ([\w.]+)"),
        "onednn": torch.backends.mkldnn.is_available(),
        "onednn_version": find(r"MKL-DNN v([\w.]+)"),
        "parallel_backend": find(r"ATen parallel backend: (\w+)",
                                 torch.__config__.parallel_info()),
    }


@contextlib.contextmanager
def thread_limits(limit, torch):
    """Limit every BLAS to ``limit`` threads (None: as installed), give PyTorch as many.

    Yields the thread count; both settings are restored on exit, so that a
    runner calling several benchmarks' ``main`` in one process is unaffected.
    """
    with threadpool_limits(limits=limit, user_api="blas"):
        threads = blas_threads()
        previous = None if torch is None else torch.get_num_threads()
        if torch is not None:
            torch.set_num_threads(threads)
        try:
            yield threads
        finally:
            if torch is not None:
                torch.set_num_threads(previous)


def environment(torch):
    """machine_info plus scikit-learn's version and the BLAS/PyTorch thread counts in use."""
    meta = machine_info()
    meta["threads_used"] = blas_threads()
    meta["scikit-learn"] = sklearn.__version__
    meta["torch"] = torch_info(torch)
    return meta


def print_environment(meta, blas):
    print(f"\nskrg {meta['skrg']}, scikit-learn {meta['scikit-learn']}, numpy {meta['numpy']}, "
          f"{meta['cpu']} ({meta['usable_cpus']} usable CPUs)")
    for lib in blas:
        print(f"   {lib['user_api']:<7} {lib['internal_api']:<9} {lib['version'] or '':<14} "
              f"kernel {lib['architecture'] or '-':<10} threads {lib['num_threads']}  "
              f"{Path(lib['filepath']).name}")
    info = meta["torch"]
    if info is not None:
        print(f"   torch {info['version']}: {info['num_threads']} threads "
              f"({info['parallel_backend']}), CPU capability {info['cpu_capability']}, "
              f"BLAS {info['blas']} (MKL {info['mkl_version']}), oneDNN {info['onednn_version']}")


def report(rows, *, title, steps, references, targets):
    """Print a seconds-per-epoch table with a ratio column per reference, and the verdicts.

    ``targets`` maps a reference to the largest allowed ``skrg float32 / reference``.
    """
    references = [name for name in references if name in rows]
    print(f"\n{title}")
    print(f"   {'contender':<40} {'s/epoch':>8} {'ms/step':>8}"
          + "".join(f" {'/' + name.split()[0]:>9}" for name in references))
    for name, row in rows.items():
        print(f"   {name:<40} {row['seconds']:8.3f} {1e3 * row['seconds'] / steps:8.2f}"
              + "".join(f" {row['seconds'] / rows[ref]['seconds']:9.2f}" for ref in references))
    print()
    for reference, target in targets.items():
        if reference not in rows:
            print(f"   skrg float32 / {reference}: not measured (target <= {target})")
            continue
        ratio = rows[SKRG]["seconds"] / rows[reference]["seconds"]
        verdict = "meets" if ratio <= target else "misses"
        print(f"   skrg float32 / {reference} = {ratio:.2f} ({verdict} the target <= {target})")


def summary_line(benchmark, measure, rows, peer, target):
    """One line of the contract's ``summary``: skrg float32's time against ``peer``'s."""
    peer_value = rows[peer]["seconds"] if peer in rows else None
    ratio = None if peer_value is None else rows[SKRG]["seconds"] / peer_value
    return {
        "benchmark": benchmark,
        "measure": measure,
        "skrg": rows[SKRG]["seconds"],
        "peer": peer if peer in rows else f"{peer} (not installed)",
        "peer_value": peer_value,
        "ratio": ratio,
        "ratio_meaning": "skrg/peer time (lower is faster)",
        "target": None if target is None else f"<= {target}",
        "met": None if target is None or ratio is None else bool(ratio <= target),
    }


def timed_rows(contenders, repeats, steps, reference):
    """Best-of-``repeats`` interleaved seconds of every contender, with ms per step."""
    times = best_times(list(contenders.values()), repeats)
    rows = {name: {"seconds": seconds, "ms_per_step": 1e3 * seconds / steps}
            for name, seconds in zip(contenders, times)}
    for row in rows.values():
        for peer in (reference, TORCH):
            if peer in rows:
                row[f"over_{peer.split()[0]}"] = row["seconds"] / rows[peer]["seconds"]
    return rows


# ------------------------------------------------------------------------------ scaling


def scaling(sample_sizes, repeats):
    """Epoch time of skrg float32 over the n_visible x n_hidden x n_samples grid, and its fit."""
    rng = np.random.default_rng(SEED)
    largest = max(sample_sizes)
    spins = {n_visible: np.where(rng.random((largest, n_visible)) < 0.5, 1, -1).astype(np.int8)
             for n_visible in SCALING_VISIBLE}
    grid = [(n_v, n_h, n_s) for n_v in SCALING_VISIBLE for n_h in SCALING_HIDDEN
            for n_s in sample_sizes]

    def fit(n_v, n_h, n_s, n_iter):
        side = math.isqrt(n_v)
        return lambda: skrg_rbm(n_iter=n_iter, n_components=n_h,
                                lattice_shape=(side, side)).fit(spins[n_v][:n_s])

    functions = [fit(*point, n_iter) for point in grid for n_iter in (1, 0)]
    times = best_times(functions, repeats)
    points = []
    for index, (n_v, n_h, n_s) in enumerate(grid):
        fit_seconds, fixed = times[2 * index], times[2 * index + 1]
        epoch = fit_seconds - fixed
        units = n_v * n_h * n_s
        points.append({"n_visible": n_v, "n_hidden": n_h, "n_samples": n_s,
                       "fit_seconds": fit_seconds, "fixed_seconds": fixed, "epoch_seconds": epoch,
                       "ns_per_unit": 1e9 * epoch / units, "gflops": 12 * units / epoch / 1e9})
    log_t = np.log([p["epoch_seconds"] for p in points])
    logs = np.log([[p["n_visible"], p["n_hidden"], p["n_samples"]] for p in points])
    design = np.column_stack([np.ones(len(points)), logs.sum(axis=1)])
    (a, b), *_ = np.linalg.lstsq(design, log_t, rcond=None)
    exponents = np.linalg.lstsq(np.column_stack([np.ones(len(points)), logs]), log_t,
                                rcond=None)[0][1:]
    per_unit = [p["ns_per_unit"] for p in points]
    # Per step: a constant (Python, small kernels) plus work in n_visible n_hidden.
    step_seconds = np.array([p["epoch_seconds"] * BATCH / p["n_samples"] for p in points])
    area = np.array([p["n_visible"] * p["n_hidden"] for p in points], dtype=float)
    (overhead, per_weight), *_ = np.linalg.lstsq(np.column_stack([np.ones(len(points)), area]),
                                                 step_seconds, rcond=None)
    deviation = np.abs(overhead + per_weight * area - step_seconds) / step_seconds
    return {
        "grid": {"n_visible": list(SCALING_VISIBLE), "n_hidden": list(SCALING_HIDDEN),
                 "n_samples": list(sample_sizes)},
        "data": "uniform random ±1 spins (int8); batch 100, PCD-1, float32",
        "timing": f"epoch = best fit(n_iter=1) - best fit(n_iter=0), best of {repeats}, "
                  "interleaved",
        "points": points,
        "fit": {"model": "log t = a + b log(n_visible n_hidden n_samples)", "a": float(a),
                "b": float(b)},
        "exponents": {"model": "log t = a + b_v log n_visible + b_h log n_hidden + "
                               "b_s log n_samples",
                      "b_visible": float(exponents[0]), "b_hidden": float(exponents[1]),
                      "b_samples": float(exponents[2])},
        "step_fit": {"model": "t_step = t0 + k n_visible n_hidden (batch 100)",
                     "t0_seconds": float(overhead), "k_seconds": float(per_weight),
                     "max_relative_deviation": float(deviation.max())},
        "spread": max(per_unit) / min(per_unit),
    }


def report_scaling(result):
    print("\nScaling of one skrg float32 epoch (random spins, batch 100; epoch = fit - fixed cost)")
    print(f"   {'n_visible':>9} {'n_hidden':>8} {'n_samples':>9} {'epoch s':>8} {'fixed s':>8} "
          f"{'ns/unit':>8} {'GFLOP/s':>8}")
    for p in result["points"]:
        print(f"   {p['n_visible']:9d} {p['n_hidden']:8d} {p['n_samples']:9d} "
              f"{p['epoch_seconds']:8.3f} {p['fixed_seconds']:8.3f} {p['ns_per_unit']:8.3f} "
              f"{p['gflops']:8.1f}")
    e = result["exponents"]
    print(f"\n   t ∝ (n_visible n_hidden n_samples)^b with b = {result['fit']['b']:.3f}; "
          f"per factor b_v = {e['b_visible']:.2f}, b_h = {e['b_hidden']:.2f}, "
          f"b_s = {e['b_samples']:.2f}; time per unit flat within a factor "
          f"{result['spread']:.2f} (max / min)")
    step = result["step_fit"]
    print(f"   per step of 100: t = t0 + k n_visible n_hidden with t0 = "
          f"{1e3 * step['t0_seconds']:.3f} ms, k = {1e9 * step['k_seconds']:.2f} ns "
          f"(every point within {100 * step['max_relative_deviation']:.0f}%)")


def scaling_summary(result, threads):
    return [{
        "benchmark": "rbm",
        "measure": f"RBM epoch exponent b, t ∝ (n_visible n_hidden n_samples)^b over "
                   f"{len(result['points'])} sizes, BLAS threads {threads}",
        "skrg": result["fit"]["b"],
        "peer": "linear scaling",
        "peer_value": 1.0,
        "ratio": result["spread"],
        "ratio_meaning": "max / min of epoch time per n_visible n_hidden n_samples",
        "target": None,
        "met": None,
    }]


# --------------------------------------------------------------------------------- main


def neural_main(argv, description, run):
    """Parse ``--quick`` and ``--blas-threads``, then ``run(args, torch, threads)`` under the limits.

    The shared entry point of the RBM and autoencoder benchmarks; the thread
    limits (BLAS and PyTorch) are restored when ``run`` returns.
    """
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--quick", action="store_true",
                        help="short smoke run (seconds); numbers are indicative only")
    parser.add_argument("--blas-threads", type=int, default=None, metavar="N",
                        help="limit every BLAS library, and PyTorch, to N threads "
                             "(default: as installed)")
    args = parser.parse_args(argv)
    torch = load_torch()
    with thread_limits(args.blas_threads, torch) as threads:
        return run(args, torch, threads)


def main(argv=None):
    return neural_main(argv, __doc__.splitlines()[0], run)


def run(args, torch, threads):
    pick = 1 if args.quick else 0
    n_configs, repeats = N_CONFIGS[pick], REPEATS[pick]
    steps = -(-n_configs // BATCH)

    start = time.perf_counter()
    X, _ = make_ising(n_configs, (L, L), 1 / K, random_state=SEED, n_jobs=2)
    X = np.ascontiguousarray(X, dtype=np.int8)
    X_binary = (X + 1.0) / 2.0  # float64 {0, 1} for scikit-learn
    generation_seconds = time.perf_counter() - start

    contenders = {
        SKRG: lambda: skrg_rbm("float32").fit(X),
        "skrg float64": lambda: skrg_rbm("float64").fit(X),
        SKLEARN: lambda: sklearn_rbm().fit(X_binary),
    }
    if torch is not None:
        contenders[TORCH] = lambda: torch_pcd_epoch(torch, X)
    contenders["skrg float32, n_iter=0 (fixed cost)"] = lambda: skrg_rbm("float32", 0).fit(X)
    warm = time.perf_counter()
    skrg_rbm("float32").fit(X[:500])
    skrg_rbm("float64").fit(X[:500])
    sklearn_rbm().fit(X_binary[:500])
    if torch is not None:
        torch_pcd_epoch(torch, X[:500])
    warm_up_seconds = time.perf_counter() - warm

    rows = timed_rows(contenders, repeats, steps, SKLEARN)
    scaling_start = time.perf_counter()
    scaled = scaling(SCALING_SAMPLES[pick], repeats)
    scaling_seconds = time.perf_counter() - scaling_start

    meta = environment(torch)
    blas = blas_info()
    print_environment(meta, blas)
    report(rows, steps=steps, references=[SKLEARN, TORCH], targets=TARGETS,
           title=f"One epoch of PCD-1: {n_configs} x {L * L} -> {N_HIDDEN} hidden, batch "
                 f"{BATCH} ({steps} steps), threads (BLAS, torch) {threads}, best of {repeats}, "
                 f"interleaved")
    report_scaling(scaled)

    total = time.perf_counter() - start
    print(f"\ndata generation {generation_seconds:.1f} s (make_ising, n_jobs=2, not timed), "
          f"warm-up {warm_up_seconds:.1f} s, scaling {scaling_seconds:.1f} s, total {total:.0f} s"
          + (" (--quick: fewer configurations and repeats)" if args.quick else ""))
    measure = (f"s/epoch, RBM PCD-1 {L * L}->{N_HIDDEN}, batch {BATCH}, {n_configs} configs, "
               f"float32, BLAS threads {threads}")
    summary = [
        summary_line("rbm", measure, rows, SKLEARN, TARGETS[SKLEARN]),
        summary_line("rbm", measure, rows, TORCH, TARGETS[TORCH]),
        *scaling_summary(scaled, threads),
    ]
    output = {
        "benchmark": "rbm",
        "quick": args.quick,
        "blas_threads_limit": args.blas_threads,
        "threads": threads,
        "lattice_shape": [L, L],
        "coupling_K": K,
        "n_configs": n_configs,
        "n_hidden": N_HIDDEN,
        "batch_size": BATCH,
        "gibbs_steps": 1,
        "timing": f"best of {repeats} repeats, interleaved; one epoch each",
        "environment": meta,
        "blas": blas,
        "data_generation_seconds": generation_seconds,
        "warm_up_seconds": warm_up_seconds,
        "scaling_seconds": scaling_seconds,
        "total_seconds": total,
        "results": rows,
        "scaling": scaled,
        "targets": {f"skrg float32 / {peer}": target for peer, target in TARGETS.items()},
        "summary": summary,
    }
    write_results(RESULTS, output)
    return output


if __name__ == "__main__":
    main()
