"""Validation of CouplingFlowAnalyzer's MCRG exponents on the 2D and 3D Ising models at T_c.

Usage::

    python benchmarks/validate_mcrg.py                  # 2D: L = 128, 20,000 samples, ~2 min
    python benchmarks/validate_mcrg.py --quick          # 2D smoke run: L = 64, 2,000 samples
    python benchmarks/validate_mcrg.py --dimension 3    # 3D: L = 32, 4,000 samples, ~3 min
    python benchmarks/validate_mcrg.py --dimension 3 --quick   # L = 16, 1,000 samples, ~10 s
    python benchmarks/validate_mcrg.py --dimension both        # 2D then 3D

The targets of issue 6, each on Wolff samples (``make_ising``, fixed seed, 2 jobs)
coarse-grained by the majority rule with b = 2 and every operator of the dimension:

- 2D: 2x10^4 samples of the periodic 128 x 128 lattice at Onsager's T_c,
  ``CouplingFlowAnalyzer(n_levels=3)`` with 7 even and 4 odd operators, exponents
  read at the level pair 32 x 32 -> 16 x 16: nu within 3% of 1 and y_h within 1%
  of 15/8.
- 3D: the simple cubic 32^3 lattice at K_c = 0.221654626,
  ``CouplingFlowAnalyzer(n_levels=3, min_coarse_size=4)`` (32 -> 16 -> 8 -> 4)
  with 8 even and 4 odd operators, exponents read at the final pair 8^3 -> 4^3:
  nu within 5% of 0.6300 for every truncation with 6 or more even operators.
  y_h is compared with (d + 2 - eta) / 2 = 2.48185 (eta = 0.0363) for information
  only. The 3D sample count (4,000 by default, ``--n-samples``) was chosen for a
  full run of ~3 minutes on 2 shared cores: the analysis (which fits all 12
  couplings at every level, the 32^3 level dominating) costs ~40 s and ~1.3 GB per
  1,000 samples, the MCRG step itself only ~2 s per 1,000.

The full table (every level pair, every truncation of each sector) is printed, with
the runtime of the sampling and of the analysis and the peak memory of the process.
The script exits with status 1 if a target is missed (never with ``--quick``).

Results, with the machine and versions, go to ``benchmarks/results/validate_mcrg.json``
(2D) and ``benchmarks/results/validate_mcrg_3d.json`` (3D), not tracked by git. Not part
of the test suite. Measured on a shared 2-core machine:

- 2D: 1 min 54 s (sampling 24 s, analysis 88 s), 0.76 GB; nu = 1.0116 +- 0.0061,
  y_h = 1.8743 +- 0.0003.
- 3D (4,000 samples): 3 min 10 s (sampling 37 s on 2 jobs, analysis 152 s), 5.7 GB;
  at 8 -> 4, nu = 0.6370 +- 0.0081 with 8 even operators (+1.1%; 0.6322 and 0.6311
  with 6 and 7), y_h = 2.4762 +- 0.0026 (-0.2%). Earlier pairs give larger nu:
  0.7140 +- 0.0060 at 32 -> 16 and 0.6668 +- 0.0044 at 16 -> 8 (the first blocked
  lattices are still far from the fixed point).
"""

import argparse
import json
import resource
import sys
import time
from pathlib import Path

from bench_sampling import machine_info
from skrg import BlockSpinRG, CouplingFlowAnalyzer, make_ising
from skrg.analysis import operator_names
from skrg.ising.exact import critical_temperature

RESULTS = Path(__file__).parent / "results"
SEED = 20240601

# 3D simple cubic Ising: K_c, nu and eta from the conformal bootstrap / Monte Carlo
# literature (K_c = 0.221654626(5), nu = 0.6300, eta = 0.0363).
K_C_3D = 0.221654626
NU_3D, ETA_3D = 0.6300, 0.0363
Y_H_3D = (3 + 2 - ETA_3D) / 2
NU_3D_TOLERANCE = 0.05
MIN_EVEN_3D = 6  # the "6 or more even operators"


def _peak_memory_gb():
    """Peak resident memory of this process so far (Linux reports kB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6


def _measure(shape, temperature, n_samples, n_levels, min_coarse_size, n_jobs):
    """Sample at ``temperature``, run the analyzer; return it and the timings."""
    start = time.perf_counter()
    X, y, info = make_ising(n_samples, shape, temperature, algorithm="wolff",
                            random_state=SEED, n_jobs=n_jobs, return_info=True)
    sampling = time.perf_counter() - start
    side = " x ".join(map(str, shape))
    print(f"sampled {n_samples} configurations of {side} at T = {temperature:.6f} in "
          f"{sampling:.1f} s (thin {info['thin'].ravel().tolist()} sweeps, "
          f"burn-in {info['burn_in'].ravel().tolist()})")

    operators = operator_names(len(shape))
    start = time.perf_counter()
    flow = CouplingFlowAnalyzer(BlockSpinRG(block_size=2, rule="majority"), n_levels=n_levels,
                                operators=operators, min_coarse_size=min_coarse_size,
                                lattice_shape=shape, random_state=SEED).fit(X, y)
    analysis = time.perf_counter() - start
    memory = _peak_memory_gb()
    print(f"analysed {flow.lattice_shapes_} in {analysis:.1f} s; peak memory {memory:.2f} GB\n")
    return flow, info, sampling, analysis, memory


def _print_table(flow):
    res = flow.exponents_by_level_
    print("level pair    k   nu                  y_h")
    for pair, (a, b) in enumerate(res.level_pairs):
        fine, coarse = flow.lattice_shapes_[a][0], flow.lattice_shapes_[b][0]
        for k in range(max(len(res.operators_even), len(res.operators_odd))):
            nu = (f"{res.nu_by_level[pair, k]:.4f} +- {res.nu_std_by_level[pair, k]:.4f}"
                  if k < len(res.operators_even) else "")
            y_h = (f"{res.y_h_by_level[pair, k]:.4f} +- {res.y_h_std_by_level[pair, k]:.4f}"
                   if k < len(res.operators_odd) else "")
            print(f"{fine:4d} -> {coarse:<4d} {k + 1:3d}   {nu:20s}{y_h}")


def _record(flow, info, shape, n_samples, temperature, sampling, analysis, memory, passed,
            **extra):
    res = flow.exponents_by_level_
    return {
        "machine": machine_info(),
        "lattice": list(shape), "n_samples": n_samples, "temperature": temperature,
        "seed": SEED, "algorithm": "wolff",
        "thin": info["thin"].ravel().tolist(), "burn_in": info["burn_in"].ravel().tolist(),
        "autocorrelation_time": info["autocorrelation_time"].ravel().tolist(),
        "operators": flow.operators_,
        "operators_even": list(res.operators_even), "operators_odd": list(res.operators_odd),
        "lattice_shapes": [list(s) for s in flow.lattice_shapes_],
        "level_pairs": res.level_pairs.tolist(),
        "sampling_seconds": sampling, "analysis_seconds": analysis,
        "peak_memory_gb": memory,
        "exponents": flow.exponents_,
        "nu_by_level": res.nu_by_level.tolist(), "nu_std_by_level": res.nu_std_by_level.tolist(),
        "y_h_by_level": res.y_h_by_level.tolist(),
        "y_h_std_by_level": res.y_h_std_by_level.tolist(),
        "couplings": flow.couplings_[0].tolist(), "couplings_std": flow.couplings_std_[0].tolist(),
        **extra,
        "passed": bool(passed),
    }


def _write(record, path):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(record, indent=2, default=float))
    print(f"\nresults written to {path}")


def validate_2d(quick, n_jobs, n_samples=None):
    NU, Y_H = 1.0, 15 / 8
    NU_TOLERANCE, Y_H_TOLERANCE = 0.03, 0.01
    L, default = (64, 2000) if quick else (128, 20_000)
    n_samples = n_samples or default
    T_c = critical_temperature(2)
    print(f"=== 2D square lattice, L = {L}, {n_samples} samples ===")
    flow, info, sampling, analysis, memory = _measure((L, L), T_c, n_samples, 3, 8, n_jobs)
    _print_table(flow)
    ex = flow.exponents_
    nu_ok = abs(ex["nu"] - NU) < NU_TOLERANCE * NU
    y_h_ok = abs(ex["y_h"] - Y_H) < Y_H_TOLERANCE * Y_H
    print(f"\nreported (level pair {flow.lattice_shapes_[-2][0]} -> "
          f"{flow.lattice_shapes_[-1][0]}, every operator):")
    print(f"  nu  = {ex['nu']:.4f} +- {ex['nu_std']:.4f}  (exact 1, target within 3%): "
          f"{'PASS' if nu_ok else 'FAIL'}")
    print(f"  y_h = {ex['y_h']:.4f} +- {ex['y_h_std']:.4f}  (exact 1.875, target within 1%): "
          f"{'PASS' if y_h_ok else 'FAIL'}")
    print(f"  level-0 K_nn = {flow.couplings_[0, 0, 0]:.5f} +- {flow.couplings_std_[0, 0, 0]:.5f}"
          f" (1/T_c = {1 / T_c:.5f})")
    passed = nu_ok and y_h_ok
    _write(_record(flow, info, (L, L), n_samples, T_c, sampling, analysis, memory, passed),
           RESULTS / "validate_mcrg.json")
    return passed


def validate_3d(quick, n_jobs, n_samples=None):
    # Quick: 16 -> 8 -> 4, so the final pair is still 8^3 -> 4^3.
    L, n_levels, default = (16, 2, 1000) if quick else (32, 3, 4000)
    n_samples = n_samples or default
    T_c = 1 / K_C_3D
    print(f"=== 3D simple cubic lattice, L = {L}, {n_samples} samples ===")
    flow, info, sampling, analysis, memory = _measure((L, L, L), T_c, n_samples, n_levels, 4,
                                                      n_jobs)
    _print_table(flow)
    res = flow.exponents_by_level_
    n_even = len(res.operators_even)
    final = len(res.level_pairs) - 1
    # Every truncation with 6 or more even operators at the final pair.
    truncations = {k: (float(res.nu_by_level[final, k - 1]),
                       float(res.nu_std_by_level[final, k - 1]))
                   for k in range(MIN_EVEN_3D, n_even + 1)}
    within = {k: abs(nu - NU_3D) < NU_3D_TOLERANCE * NU_3D for k, (nu, _) in truncations.items()}
    passed = n_even >= MIN_EVEN_3D and all(within.values())

    print(f"\nper level pair, every operator ({n_even} even, {len(res.operators_odd)} odd); "
          f"reference nu = {NU_3D}, y_h = {Y_H_3D:.4f}:")
    for pair, (a, b) in enumerate(res.level_pairs):
        nu, nu_std = res.nu_by_level[pair, -1], res.nu_std_by_level[pair, -1]
        y_h, y_h_std = res.y_h_by_level[pair, -1], res.y_h_std_by_level[pair, -1]
        print(f"  {flow.lattice_shapes_[a][0]:3d} -> {flow.lattice_shapes_[b][0]:<3d}"
              f" nu = {nu:.4f} +- {nu_std:.4f} ({100 * (nu / NU_3D - 1):+5.1f}%)"
              f"   y_h = {y_h:.4f} +- {y_h_std:.4f} ({100 * (y_h / Y_H_3D - 1):+5.2f}%)")
    ex = flow.exponents_
    print(f"\nreported (final level pair {flow.lattice_shapes_[-2][0]}^3 -> "
          f"{flow.lattice_shapes_[-1][0]}^3):")
    for k, (nu, nu_std) in truncations.items():
        print(f"  nu with {k} even operators = {nu:.4f} +- {nu_std:.4f} "
              f"({100 * (nu / NU_3D - 1):+.1f}%, target within 5% of {NU_3D}): "
              f"{'PASS' if within[k] else 'FAIL'}")
    print(f"  y_h = {ex['y_h']:.4f} +- {ex['y_h_std']:.4f}  (reference {Y_H_3D:.4f} = "
          f"(d + 2 - eta) / 2, eta = {ETA_3D}; informational)")
    print(f"  level-0 K_nn = {flow.couplings_[0, 0, 0]:.5f} +- {flow.couplings_std_[0, 0, 0]:.5f}"
          f" (K_c = {K_C_3D})")
    print(f"  {'PASS' if passed else 'FAIL'}: sampling {sampling:.1f} s, analysis "
          f"{analysis:.1f} s, peak memory {memory:.2f} GB")
    _write(_record(flow, info, (L, L, L), n_samples, T_c, sampling, analysis, memory, passed,
                   reference={"K_c": K_C_3D, "nu": NU_3D, "eta": ETA_3D, "y_h": Y_H_3D},
                   nu_tolerance=NU_3D_TOLERANCE,
                   nu_final_by_even_operators={str(k): v for k, v in truncations.items()},
                   quick=bool(quick)),
           RESULTS / "validate_mcrg_3d.json")
    return passed


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--dimension", choices=["2", "3", "both"], default="2",
                        help="2D (default), 3D or both, one after the other")
    parser.add_argument("--quick", action="store_true",
                        help="smoke run: 2D L = 64, 2,000 samples; 3D L = 16, 1,000 samples, "
                             "two levels; targets are reported but never fail the run")
    parser.add_argument("--n-samples", type=int, default=None,
                        help="override the number of samples (default: 20,000 in 2D, "
                             "4,000 in 3D; quick 2,000 and 1,000)")
    parser.add_argument("--n-jobs", type=int, default=2, help="jobs of the sampler")
    args = parser.parse_args()
    passed = True
    if args.dimension in ("2", "both"):
        passed &= validate_2d(args.quick, args.n_jobs, args.n_samples)
    if args.dimension in ("3", "both"):
        if args.dimension == "both":
            print()
        passed &= validate_3d(args.quick, args.n_jobs, args.n_samples)
    return 0 if passed or args.quick else 1


if __name__ == "__main__":
    sys.exit(main())
