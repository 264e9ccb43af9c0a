"""Run every benchmark, print one summary table and write the results of the day.

Usage::

    python benchmarks/run_all.py                    # every benchmark, full runs (~10 min)
    python benchmarks/run_all.py --quick            # smoke runs, about a minute
    python benchmarks/run_all.py --only mcrg block_spin
    python benchmarks/run_all.py --docs             # also write docs/performance_summary.inc
    python benchmarks/run_all.py --from-json benchmarks/results/2026-01-31.json --docs

Each benchmark is a module ``benchmarks/bench_<name>.py`` whose ``main(argv)``
prints its own table, writes its own JSON and returns its results with a
``"summary"`` list (one dict per headline figure: benchmark, measure, skrg,
peer, peer_value, ratio, ratio_meaning, target, met). They run one after the
other in this process; a module that is missing, fails or returns no summary
is recorded as such and the others still run.

Everything goes to ``benchmarks/results/<YYYY-MM-DD>.json`` (UTC date): the
machine (``bench_sampling.machine_info``), the versions of the libraries, the
BLAS libraries loaded (``bench_rbm.blas_info``), each module's status, seconds
and full result, and all summary lines. With ``--only``, the modules not run
are kept from an existing file of the same day, so a table can be assembled
from separate runs. ``--docs`` writes the table, with the date and the
machine, to ``docs/performance_summary.inc``, which the documentation's
Performance page includes (the documentation build never runs benchmarks).
``--from-json`` prints (and with ``--docs`` writes) the table of a results
file without running anything.
"""

import argparse
import datetime
import gc
import importlib
import importlib.metadata
import json
import math
import os
import platform
import sys
import time
import traceback
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
DOCS_TABLE = HERE.parent / "docs" / "performance_summary.inc"

# Peak memory first: it must not see the memory of the benchmarks before it.
MODULES = ("memory", "sampling", "block_spin", "rbm", "autoencoder", "mcrg")
PACKAGES = ("skrg", "numpy", "scipy", "scikit-learn", "numba", "joblib", "threadpoolctl",
            "torch", "mcising")
COLUMNS = ("benchmark", "measure", "skrg", "peer", "peer value", "ratio", "target", "met")


# ------------------------------------------------------------------------ running


def _jsonable(value):
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    return str(value)


def _error(exc):
    return "".join(traceback.format_exception_only(type(exc), exc)).strip()


def run_module(name, quick):
    """Import ``bench_<name>`` and run its ``main``; return its record, never raise.

    The record has ``status`` ("ok", "missing", "failed" or "no summary"),
    ``seconds``, ``quick``, ``date``, ``result`` (the returned dict) and ``error``.
    """
    record = dict(status="ok", quick=quick, seconds=None, result=None, error=None,
                  date=datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"))
    print(f"\n{'=' * 30} {name} {'=' * (48 - len(name))}", flush=True)
    start = time.perf_counter()
    if not (HERE / f"bench_{name}.py").exists():
        record.update(status="missing", error=f"no benchmarks/bench_{name}.py")
        print(record["error"])
        return record
    # SystemExit too: argparse exits on an argument the module does not know.
    try:
        module = importlib.import_module(f"bench_{name}")
        result = module.main(["--quick"] if quick else [])
    except (Exception, SystemExit) as exc:
        record.update(status="failed", error=_error(exc))
        traceback.print_exc()
    else:
        record["result"] = result
        if not isinstance(result, dict) or not result.get("summary"):
            record.update(status="no summary",
                          error="main() returned no 'summary' list (benchmark contract)")
    record["seconds"] = time.perf_counter() - start
    gc.collect()
    return record


def versions():
    found = {"python": platform.python_version()}
    for package in PACKAGES:
        try:
            found[package] = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            found[package] = None
    return found


def hardware():
    """What machine_info leaves out (Linux): CPU family, model, clock, caches, memory."""
    found = {}
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if not line.strip():
                    break  # the first processor is enough
                key, _, value = (part.strip() for part in line.partition(":"))
                if key in ("cpu family", "model", "cpu MHz"):
                    found[key.replace("cpu ", "")] = value
    except OSError:
        pass
    for index in sorted(Path("/sys/devices/system/cpu/cpu0/cache").glob("index*")):
        try:
            level, kind, size = ((index / name).read_text().strip()
                                 for name in ("level", "type", "size"))
        except OSError:
            continue
        if kind != "Instruction":
            found[f"L{level}"] = size
    try:
        found["memory_gb"] = round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
                                   / 1e9, 1)
    except (ValueError, OSError, AttributeError):
        pass
    return found


def _helper(module, function):
    """``module.function()``, or a dict saying why it could not be had."""
    try:
        return getattr(importlib.import_module(module), function)()
    except Exception as exc:
        return {"error": f"{module}.{function}: {_error(exc)}"}


def summary_lines(modules):
    """Every summary line of every module, in the order of MODULES."""
    lines = []
    for name in MODULES:
        result = modules.get(name, {}).get("result")
        if isinstance(result, dict):
            lines.extend(dict(line, quick=modules[name]["quick"])
                         for line in result.get("summary") or [])
    return lines


def run(names, quick, path):
    """Run the benchmarks ``names``; write and return the results of the day."""
    modules = {}
    if path.exists() and set(names) != set(MODULES):
        modules = json.loads(path.read_text()).get("modules", {})
    for name in names:
        modules[name] = run_module(name, quick)
    results = {
        "date": path.stem,
        "command": " ".join(["python", "benchmarks/run_all.py", *sys.argv[1:]]),
        "machine": _helper("bench_sampling", "machine_info"),
        "hardware": hardware(),
        "versions": versions(),
        # After the benchmarks, so that every BLAS they loaded is listed.
        "blas": _helper("bench_rbm", "blas_info"),
        "modules": {name: modules[name] for name in MODULES if name in modules},
    }
    results["summary"] = summary_lines(results["modules"])
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, indent=2, default=_jsonable) + "\n")
    return results


# ----------------------------------------------------------------------- the table


def _number(value, error=None):
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "" if value is None else str(value)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return str(value)
    if error is not None:
        digits = max(0, 1 - math.floor(math.log10(abs(error)))) if error > 0 else 3
        return f"{value:.{digits}f} ± {error:.{digits}f}"
    return f"{value:.3g}"


def table_rows(results):
    """The summary as rows of strings, in the order of COLUMNS."""
    rows = []
    for line in results["summary"]:
        met = line.get("met")
        rows.append([
            line.get("benchmark", ""),
            line.get("measure", "") + (" [quick]" if line.get("quick") else ""),
            _number(line.get("skrg"), line.get("skrg_error")),
            line.get("peer") or "",
            _number(line.get("peer_value")),
            _number(line.get("ratio")) + (f" ({line['ratio_meaning']})"
                                          if line.get("ratio_meaning") else ""),
            line.get("target") or "",
            "" if met is None else ("yes" if met else "no"),
        ])
    return rows


def problems(results):
    """One line per module that did not give a summary."""
    return [f"{name}: {record['status']} ({record['error']})"
            for name, record in results["modules"].items() if record["status"] != "ok"]


def machine_items(results):
    """The machine, its libraries and their versions as (label, text) pairs."""
    m, h = results["machine"], results.get("hardware", {})
    if "error" in m:
        return [("Machine", m["error"])]
    cpu = ", ".join([m["cpu"], m["machine"]]
                    + [f"{k} {h[k]}" for k in ("family", "model") if k in h]
                    + ([f"{float(h['MHz']):.0f} MHz"] if "MHz" in h else []))
    caches = ", ".join(f"{k} {h[k]}" for k in ("L1", "L2", "L3") if k in h)
    items = [
        ("Processor", cpu + (f"; caches {caches} (L1, L2 per core)" if caches else "")),
        ("CPUs", f"{m['usable_cpus']} usable of {m['cpu_count']}"),
        ("Memory", f"{h.get('memory_gb', '?')} GB"),
        ("System", m["platform"]),
    ]
    blas = results["blas"]
    if isinstance(blas, dict):
        items.append(("BLAS", blas["error"]))
    else:
        items.append(("BLAS and OpenMP", "; ".join(
            f"{lib['internal_api']} {lib['version'] or ''} ({lib['user_api']}, kernel "
            f"{lib['architecture'] or '-'}, {lib['num_threads']} threads)".replace("  ", " ")
            for lib in blas) or "none loaded"))
    items.append(("Versions", ", ".join(f"{name} {version}" for name, version
                                        in results["versions"].items() if version)))
    return items


def print_table(results):
    rows = [list(COLUMNS)] + table_rows(results)
    widths = [max(len(row[i]) for row in rows) for i in range(len(COLUMNS))]
    print(f"\nSummary of {results['date']} ({results['command']})")
    for label, text in machine_items(results):
        print(f"   {label}: {text}")
    print()
    for k, row in enumerate(rows):
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip())
        if k == 0:
            print("  ".join("-" * width for width in widths))
    for problem in problems(results):
        print(f"not in the table: {problem}")


def _rst(text):
    # Inline text: asterisks, pipes, backquotes and underscores stay literal.
    for char in "\\*|`_":
        text = text.replace(char, "\\" + char)
    return text or " "


def write_docs(results, path=DOCS_TABLE):
    """Write the summary as an rst fragment (a list-table) for docs/performance.rst."""
    quick = any(line.get("quick") for line in results["summary"])
    lines = [
        ".. This file is generated by benchmarks/run_all.py --docs; do not edit it.",
        "",
        f"Measured on {results['date']} with ``{results['command']}``"
        + (" (lines marked [quick] come from ``--quick`` smoke runs: indicative only)"
           if quick else "")
        + ".",
        "",
    ] + [f"- **{label}**: {_rst(text)}" for label, text in machine_items(results)] + [
        "",
        ".. list-table::",
        "   :header-rows: 1",
        "",
    ]
    for row in [list(COLUMNS)] + table_rows(results):
        lines.append(f"   * - {_rst(row[0])}")
        lines.extend(f"     - {_rst(cell)}" for cell in row[1:])
    missing = problems(results)
    if missing:
        lines += ["", "Not in the table:", ""] + [f"- {_rst(p)}" for p in missing]
    path.write_text("\n".join(lines) + "\n")
    print(f"\ndocumentation table written to {path}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="smoke runs of every benchmark; numbers are indicative only")
    parser.add_argument("--only", nargs="+", choices=MODULES, metavar="NAME",
                        help=f"run only these benchmarks, out of {', '.join(MODULES)}")
    parser.add_argument("--docs", action="store_true",
                        help=f"also write the table to {DOCS_TABLE.relative_to(HERE.parent)}")
    parser.add_argument("--from-json", type=Path, metavar="PATH",
                        help="run nothing: read the table from a results file")
    args = parser.parse_args(argv)
    # The benchmark modules import each other (bench_sampling, bench_rbm) by name.
    if str(HERE) not in sys.path:
        sys.path.insert(0, str(HERE))

    if args.from_json:
        results = json.loads(args.from_json.read_text())
    else:
        today = datetime.datetime.now(datetime.timezone.utc).date().isoformat()
        path = RESULTS / f"{today}.json"
        results = run(args.only or MODULES, args.quick, path)
        print(f"\nresults written to {path}")
    print_table(results)
    if args.docs:
        write_docs(results)
    return results


if __name__ == "__main__":
    main()
