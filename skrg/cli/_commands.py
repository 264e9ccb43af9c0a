"""The subcommands: study, sample, exponents, info."""

import contextlib
import json
import math
import os
import platform
import sys

from .. import __version__
from ..io import _atomic_write, save_dataset
from ..ising.exact import critical_temperature
from ._cache import Cache
from ._config import (
    CHAIN_GRID,
    TC_GRID,
    CLIError,
    Interrupted,
    default_cache_dir,
    one_line,
    parse_temperatures,
    resolve_study_settings,
)
from ._progress import Progress
from ._report import summary_table, write_outputs
from ._study import _sample, exact_values, jsonable, run_study

__all__ = ["study", "sample", "exponents", "info"]


def _mode(args):
    return "quiet" if args.quiet else ("json" if args.json else "text")


def _check_directory(path, what):
    """Create ``path`` (a directory) and check a file can be written there."""
    if os.path.exists(path) and not os.path.isdir(path):
        raise CLIError(f"{what} {path} exists and is not a directory")
    try:
        os.makedirs(path, exist_ok=True)
        with _atomic_write(os.path.join(path, ".skrg-probe")):
            pass
        os.unlink(os.path.join(path, ".skrg-probe"))
    except OSError as error:
        raise CLIError(f"cannot write to {what} {path}: {error.strerror or error}") from None


def _make_cache(cache_dir, no_cache):
    cache = Cache(cache_dir, enabled=not no_cache)
    if cache.enabled:
        try:
            cache.check_writable()
        except OSError as error:
            raise CLIError(f"cannot write to cache directory {cache_dir}: "
                           f"{error.strerror or error} (use --cache-dir or --no-cache)") from None
    return cache


@contextlib.contextmanager
def _on_scheduler(address, progress):
    """Run the joblib work of the block on the Dask scheduler at ``address``.

    None runs it locally. skrg's parallel code goes through joblib without a
    backend of its own, so the dask backend sends make_ising's chains and the
    analyzer's temperatures to the cluster; the results do not change.
    """
    if address is None:
        yield
        return
    try:
        import dask
        from distributed import Client
        from distributed.comm import resolve_address
    except ImportError:
        raise CLIError('--scheduler needs dask.distributed: pip install "skrg[dask]"') from None
    import joblib

    try:  # a malformed address fails here, before a half-built Client lingers
        resolve_address(address)
    except (ValueError, OSError) as error:
        raise CLIError(f"--scheduler {address!r}: {one_line(error)} (expected a scheduler "
                       "address such as tcp://10.0.0.1:8786)") from None
    timeout = dask.config.get("distributed.comm.timeouts.connect")
    try:
        # Not the default client: the command should not change the caller's session.
        client = Client(address, set_as_default=False)
    except OSError as error:  # the connection timed out
        raise CLIError(f"cannot connect to the Dask scheduler at {address}: "
                       f"{one_line(error)} (is it running? the timeout is Dask's "
                       "distributed.comm.timeouts.connect)") from None
    with client:
        try:
            client.wait_for_workers(1, timeout=timeout)
        except TimeoutError:
            raise CLIError(f"the Dask scheduler at {address} has no workers (waited "
                           f"{timeout}): start some with 'dask worker {address}'") from None
        threads = client.nthreads()
        progress.message(f"on the Dask scheduler at {address}: {len(threads)} worker(s), "
                         f"{sum(threads.values())} thread(s)")
        with joblib.parallel_config(backend="dask", client=client):
            yield


# ------------------------------------------------------------------------- study


def study(args):
    settings = resolve_study_settings(args)
    mode = "quiet" if settings["quiet"] else ("json" if settings["json"] else "text")
    progress = Progress(mode)
    output = settings["output"]
    _check_directory(output, "output directory")
    cache = _make_cache(settings["cache_dir"], settings["no_cache"])
    shape = " x ".join(map(str, settings["lattice_shape"]))
    try:
        with _on_scheduler(settings["scheduler"], progress):
            progress.message(
                f"skrg study: {settings['dimension']}D Ising, {shape}, "
                f"{len(settings['temperatures'])} temperatures x {settings['samples']} "
                f"samples, {settings['levels']} level(s), "
                f"{', '.join(settings['coarse_grainers'])} -> {output}")
            results, context = run_study(settings, progress, cache)
        with progress.stage("report", "results.json, report.md, report.html, figures"):
            paths = write_outputs(results, context, output)
    except KeyboardInterrupt:
        raise Interrupted(cache.directory if cache.enabled else None) from None
    if settings["json"]:
        sys.stdout.write(json.dumps(results, allow_nan=False) + "\n")
    elif not settings["quiet"]:
        headers, rows = summary_table(results)
        keep = range(8)  # couplings, fixed point and exponents; the metrics are in the report
        lines = ["| " + " | ".join(headers[i] for i in keep) + " |"]
        lines += ["| " + " | ".join(row[i] for i in keep) + " |" for row in rows]
        sys.stdout.write("\n".join(lines) + f"\n\nreport: {paths['report.md']}\n")
    return 0


# ------------------------------------------------------------------------ sample


def _default_grid(dimension):
    if dimension == 1:
        return list(CHAIN_GRID)
    t_c = critical_temperature(dimension)
    return [round(t_c * f, 4) for f in TC_GRID]


def _check_lattice(dimension, size):
    if dimension not in (1, 2, 3):
        raise CLIError(f"--dimension must be 1, 2 or 3, got {dimension}")
    if size < 2:
        raise CLIError(f"--size must be at least 2, got {size}")
    return (size,) * dimension


def sample(args):
    shape = _check_lattice(args.dimension, args.size)
    temperatures = (_default_grid(args.dimension) if args.temperatures is None
                    else parse_temperatures(args.temperatures))
    if args.samples < 1:
        raise CLIError(f"--samples must be at least 1, got {args.samples}")
    path = args.output
    _check_directory(os.path.dirname(os.path.abspath(path)), "output directory")
    progress = Progress(_mode(args))
    settings = {"lattice_shape": shape, "temperatures": temperatures, "samples": args.samples,
                "algorithm": args.algorithm, "seed": args.seed, "n_jobs": args.n_jobs}
    with (_on_scheduler(args.scheduler, progress),
          progress.stage("sample", f"{len(temperatures)} temperatures x {args.samples} "
                         f"configurations of {' x '.join(map(str, shape))}")):
        X, y, metadata = _sample(settings)
    try:
        checksum = save_dataset(path, X, y, **metadata)
    except OSError as error:
        raise CLIError(f"cannot write {path}: {error.strerror or error}") from None
    summary = {"path": os.path.abspath(path), "n_configurations": len(X),
               "lattice_shape": list(shape), "temperatures": temperatures,
               "algorithm": metadata["algorithm"], "seed": args.seed, "sha256": checksum}
    if args.json:
        sys.stdout.write(json.dumps(summary) + "\n")
    elif not args.quiet:
        sys.stdout.write(f"wrote {path}: {len(X)} configurations of "
                         f"{' x '.join(map(str, shape))} at {len(temperatures)} temperature(s), "
                         f"sha256 {checksum}\n")
    return 0


# --------------------------------------------------------------------- exponents


def exponents(args):
    from ..analysis import mcrg_exponents, operator_names, operator_reach
    from ..rg import BlockSpinRG

    shape = _check_lattice(args.dimension, args.size)
    if args.dimension == 1 and args.temperature is None:
        raise CLIError("the 1D chain has no critical point: give --temperature")
    temperature = (critical_temperature(args.dimension) if args.temperature is None
                   else parse_temperatures(args.temperature, "--temperature"))
    if isinstance(temperature, list):
        if len(temperature) != 1:
            raise CLIError(f"--temperature takes one temperature, got {args.temperature!r}")
        temperature = temperature[0]
    b = args.block_size
    if b < 2:
        raise CLIError(f"--block-size must be at least 2, got {b}")
    if args.min_coarse_size < 1:
        raise CLIError(f"--min-coarse-size must be at least 1, got {args.min_coarse_size}")
    levels = args.levels
    if levels is None:  # as many as keep the last level >= min_coarse_size
        levels, side = 0, args.size
        while side % b == 0 and side // b >= args.min_coarse_size:
            levels, side = levels + 1, side // b
        if levels == 0:
            raise CLIError(f"--size {args.size} cannot be divided by --block-size {b} while "
                           f"keeping --min-coarse-size {args.min_coarse_size} sites a side")
    if levels < 1:
        raise CLIError(f"--levels must be at least 1, got {levels}")
    if args.size % b**levels:
        raise CLIError(f"--size {args.size} is not divisible by block_size**levels = "
                       f"{b}**{levels} = {b**levels}: the block size must divide the lattice "
                       f"at every level")
    if args.size // b**levels < args.min_coarse_size:
        raise CLIError(f"--levels {levels} on --size {args.size} leaves a lattice of side "
                       f"{args.size // b**levels}, smaller than --min-coarse-size "
                       f"{args.min_coarse_size}")
    if args.samples < 20:
        raise CLIError(f"--samples must be at least 20 (the jackknife blocks), "
                       f"got {args.samples}")
    operators = None if args.operators is None else [
        op.strip() for op in args.operators.split(",") if op.strip()]
    progress = Progress(_mode(args))
    cache = _make_cache(args.cache_dir or default_cache_dir(), args.no_cache)
    settings = {"lattice_shape": shape, "temperatures": [temperature], "samples": args.samples,
                "algorithm": args.algorithm, "seed": args.seed, "n_jobs": args.n_jobs}
    sample_params = {key: jsonable(settings[key]) for key in
                     ("lattice_shape", "temperatures", "samples", "algorithm", "seed")}
    with (_on_scheduler(args.scheduler, progress),
          progress.stage("sample", f"{args.samples} configurations of "
                         f"{' x '.join(map(str, shape))} at T = {temperature:g}") as stage):
        (X, _, _), stage.cached = cache.get_or_compute(
            "sample", sample_params, "dataset", lambda: _sample(settings))
    with progress.stage("mcrg", f"{args.rule} rule, b = {b}, {levels} level(s)"):
        shapes, data = [shape], [X]
        rg = BlockSpinRG(block_size=b, rule=args.rule, lattice_shape=shape,
                         random_state=args.seed).fit(X)
        for _ in range(levels):
            step = rg if shapes[-1] == shape else rg.for_lattice(shapes[-1])
            data.append(step.transform(data[-1]))
            shapes.append(tuple(side // b for side in shapes[-1]))
        if operators is None:  # every operator that fits the coarsest level
            operators = [op for op in operator_names(len(shape))
                         if min(shapes[-1]) >= 2 * operator_reach(op, len(shape))]
        result = mcrg_exponents(data, shapes, b, operators)
    exact = exact_values(args.dimension)["exponents"]
    table = []
    for p, (lo, hi) in enumerate(result.level_pairs):
        row = {"levels": [int(lo), int(hi)], "lattices": [list(shapes[lo]), list(shapes[hi])]}
        for key in ("y_t", "nu", "y_h"):
            values = result[f"{key}_by_level"][p]
            errors = result[f"{key}_std_by_level"][p]
            row[key] = float(values[-1]) if len(values) else math.nan
            row[f"{key}_std"] = float(errors[-1]) if len(errors) else math.nan
        table.append(row)
    summary = jsonable({"rule": args.rule, "block_size": b, "lattice_shape": shape,
                        "temperature": temperature, "samples": args.samples, "seed": args.seed,
                        "operators_even": result.operators_even,
                        "operators_odd": result.operators_odd, "level_pairs": table,
                        "exact": exact, "cache": cache.stats})
    if args.json:
        sys.stdout.write(json.dumps(summary) + "\n")
    elif not args.quiet:
        from ._report import _pm

        out = [f"MCRG, {args.rule} rule b = {b}, {' x '.join(map(str, shape))} at "
               f"T = {temperature:.6g}, {args.samples} samples; operators: "
               f"{', '.join(result.operators_even)} | {', '.join(result.operators_odd)}",
               f"{'levels':<14}{'y_t':>20}{'nu':>20}{'y_h':>20}"]
        for row in table:
            name = f"{row['lattices'][0][0]} -> {row['lattices'][1][0]}"
            out.append(f"{name:<14}" + "".join(
                f"{_pm(row[k], row[k + '_std']):>20}" for k in ("y_t", "nu", "y_h")))
        if exact:
            out.append(f"{'exact':<14}" + "".join(f"{exact[k]:>20.4g}"
                                                  for k in ("y_t", "nu", "y_h")))
        sys.stdout.write("\n".join(out) + "\n")
    return 0


# -------------------------------------------------------------------------- info


def _version(module):
    try:
        return __import__(module).__version__
    except ImportError:
        return None


def info(args):
    import numba

    layers = []
    for layer, module in (("tbb", "numba.np.ufunc.tbbpool"), ("omp", "numba.np.ufunc.omppool"),
                          ("workqueue", "numba.np.ufunc.workqueue")):
        try:
            __import__(module)
            layers.append(layer)
        except ImportError:
            pass
    try:
        active = numba.threading_layer()
    except ValueError:
        active = None  # no parallel kernel has run in this process
    import skrg

    package_dir = os.path.dirname(os.path.abspath(skrg.__file__))
    numba_cache = numba.config.CACHE_DIR or None
    study_cache = default_cache_dir()
    data = {
        "skrg": __version__,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "versions": {name: _version(name) for name in
                     ("numpy", "scipy", "sklearn", "joblib", "numba", "matplotlib",
                      "dask", "distributed")},
        "numba": {
            "threading_layer_configured": numba.config.THREADING_LAYER,
            "threading_layer_active": active,
            "threading_layers_available": layers,
            "num_threads": numba.config.NUMBA_NUM_THREADS,
            "NUMBA_CACHE_DIR": os.environ.get("NUMBA_CACHE_DIR"),
            "cache_location": numba_cache or f"__pycache__ beside the sources in {package_dir}",
        },
        "cpu_count": os.cpu_count(),
        "study_cache_dir": study_cache,
        "study_cache_exists": os.path.isdir(study_cache),
    }
    if args.json:
        sys.stdout.write(json.dumps(data) + "\n")
        return 0
    v = data["versions"]
    n = data["numba"]
    lines = [
        f"skrg {data['skrg']} (python {data['python']}, {data['platform']})",
        "versions: " + ", ".join(f"{k} {v[k] or 'not installed'}" for k in v),
        f"numba threading layer: {n['threading_layer_configured']} configured, "
        f"{n['threading_layer_active'] or 'none active yet (no parallel kernel has run)'}; "
        f"available: {', '.join(layers) or 'none'}; {n['num_threads']} threads "
        f"({data['cpu_count']} CPUs)",
        f"numba cache: {n['cache_location']} (NUMBA_CACHE_DIR="
        f"{n['NUMBA_CACHE_DIR'] or 'unset'})",
        f"study cache: {study_cache}"
        f"{'' if data['study_cache_exists'] else ' (not created yet)'} "
        "(set by --cache-dir or SKRG_CACHE_DIR)",
    ]
    sys.stdout.write("\n".join(lines) + "\n")
    return 0

