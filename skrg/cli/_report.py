"""The study's output folder: results.json, report.md and report.html from one set of tables,
and PNG figures when matplotlib is installed. Every file is written atomically."""

import html
import json
import math
import os

import numpy as np

from ..io import _atomic_write
from ._study import coarse_levels, oriented

__all__ = ["write_outputs", "make_figures", "summary_table"]

_METRIC_LABELS = {
    "mutual_information": "mutual information I(H:E) [bits]",
    "correlation_preservation": "correlation preservation",
    "block_alignment": "block alignment",
    "coupling_locality": "coupling locality",
    "weight_sparsity": "weight sparsity",
    "reconstruction": "reconstruction",
    "coarse_entropy": "coarse entropy [bits/spin]",
}
_METRIC_NOTES = {
    "mutual_information": "Koch-Janusz & Ringel's I(H:E) between a coarse spin and its "
                          "environment beyond a buffer (held-out variational lower bound; "
                          "higher keeps more long-range information).",
    "correlation_preservation": "R^2 of the coarse G'(r) against the rescaled fine G(b r) "
                                "(1 is perfect).",
    "block_alignment": "share of each unit's kernel on one b x b block (1: a pure block rule).",
    "coupling_locality": "share of the coarse couplings' norm carried by nearest neighbours, "
                         "over levels and temperatures (1: a nearest-neighbour Hamiltonian).",
    "weight_sparsity": "mean Hoyer sparsity of the receptive fields (1: one site per unit).",
    "reconstruction": "minus the mean squared error of inverse_transform(transform(X)) "
                      "(0 is perfect).",
    "coarse_entropy": "entropy per coarse spin from 2 x 2 patches (1 bit: fair coins).",
}
_FIGURES = {
    "configurations.png": "One configuration near T_c, level by level, for each coarse-grainer.",
    "receptive_fields.png": "Receptive fields of four units of the first level.",
    "correlator_maps.png": "Hidden-visible correlators <v_i h_a> - <v_i><h_a> near T_c.",
    "coupling_flow.png": "Nearest-neighbour coupling of every level against temperature; "
                         "levels 1 and 2 cross at the fixed point.",
    "exponents.png": "MCRG exponents against the number of operators, per level pair.",
}


# ------------------------------------------------------------------ formatting


def _pm(value, error=None):
    """``value ± error`` with two significant digits of the error."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "n/a"
    if error is None or not math.isfinite(error) or error <= 0:
        return f"{value:.4g}"
    decimals = min(6, max(0, 1 - math.floor(math.log10(error))))
    return f"{value:.{decimals}f} ± {error:.{decimals}f}"


def _g(value):
    return "n/a" if value is None else f"{value:.6g}"


def _t_index(record, temperature):
    temps = record["temperatures"]
    return min(range(len(temps)), key=lambda i: abs(temps[i] - temperature))


def _coupling(record, t, level, operator):
    if operator not in record["operators"]:
        return "n/a"
    a = record["operators"].index(operator)
    return _pm(record["couplings"][t][level][a], record["couplings_std"][t][level][a])


def summary_table(results):
    """Headers and rows of the main table: one row per coarse-grainer."""
    exact = results["exact"]
    ex = exact["exponents"]
    t_metric = results["metric_temperature"]
    first = next(iter(results["coarse_grainers"].values()), None)
    metric_names = list(first["metrics"]) if first else []
    t_c = exact["critical_temperature"]
    headers = [
        "coarse-grainer",
        f"K_nn by level at T = {t_metric:g} (level 0 exact {1 / t_metric:.4f})",
        "K_nnn, last level",
        f"fixed point T_c (exact {t_c:.4f})" if t_c else "fixed point T_c (exact: none)",
        "exponents at T",
        f"ν (exact {ex['nu']:.4g})" if "nu" in ex else "ν",
        f"y_t (exact {ex['y_t']:.4g})" if "y_t" in ex else "y_t",
        f"y_h (exact {ex['y_h']:.4g})" if "y_h" in ex else "y_h",
        *[_METRIC_LABELS.get(name, name.replace("_", " ")) for name in metric_names],
    ]
    rows = []
    for name, r in results["coarse_grainers"].items():
        t = _t_index(r, t_metric)
        n_levels = len(r["lattice_shapes"])
        nn = " → ".join(_coupling(r, t, level, "nn") for level in range(n_levels))
        e = r["exponents"]
        rows.append([
            name,
            nn,
            _coupling(r, t, n_levels - 1, "nnn"),
            _pm(r["critical_temperature"], r["critical_temperature_std"]),
            _g(r["exponent_temperature"]),
            _pm(e["nu"], e["nu_std"]),
            _pm(e["y_t"], e["y_t_std"]),
            _pm(e["y_h"], e["y_h_std"]),
            *[_pm(r["metrics"][m]["value"], r["metrics"][m]["std"]) for m in metric_names],
        ])
    return headers, rows


def _couplings_table(record, temperature):
    t = _t_index(record, temperature)
    headers = ["level", "lattice", *record["operators"]]
    rows = [[str(level), " x ".join(map(str, shape)),
             *[_coupling(record, t, level, op) for op in record["operators"]]]
            for level, shape in enumerate(record["lattice_shapes"])]
    return headers, rows


def _flow_table(record):
    n_levels = len(record["lattice_shapes"])
    headers = ["T", "exact 1/T", *[f"K_nn level {n}" for n in range(n_levels)]]
    rows = [[f"{T:g}", f"{1 / T:.4f}",
             *[_pm(record["flow"][t][n], record["flow_std"][t][n]) for n in range(n_levels)]]
            for t, T in enumerate(record["temperatures"])]
    return headers, rows


def _exponents_table(record):
    by = record["exponents_by_level"]
    shapes = record["lattice_shapes"]
    headers = ["level pair", "y_t (all even operators)", "ν", "y_h (all odd operators)"]
    rows = []
    for p, (a, b) in enumerate(by["level_pairs"]):
        def last(key, p=p):
            values, errors = by[f"{key}_by_level"][p], by[f"{key}_std_by_level"][p]
            return _pm(values[-1], errors[-1]) if values else "n/a"
        rows.append([f"{shapes[a][0]} → {shapes[b][0]}", last("y_t"), last("nu"), last("y_h")])
    return headers, rows


# ---------------------------------------------------------------- md and html


def _md_table(headers, rows):
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def _html_table(headers, rows):
    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>"
                   for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _sections(results, figures, figure_note):
    """The report as a list of (kind, payload): ("h1"|"h2"|"h3"|"p"|"list"|"table"|"img")."""
    s = results["settings"]
    exact = results["exact"]
    cache = results["cache"]
    out = [("h1", "skrg study")]
    out.append(("p", (
        f"{s['samples']} configurations at each of {len(s['temperatures'])} temperatures "
        f"({', '.join(f'{t:g}' for t in s['temperatures'])}) of the {s['dimension']}D Ising "
        f"model on a periodic {' x '.join(map(str, s['lattice_shape']))} lattice "
        f"(make_ising, algorithm {s['algorithm']}, seed {s['seed']}), coarse-grained "
        f"{s['levels']} time(s) by a factor {s['block_size']} and analysed with "
        f"CouplingFlowAnalyzer. skrg {results['skrg_version']}; exact values: "
        f"{exact['source']}.")))
    out.append(("h2", "Summary: one row per coarse-grainer"))
    out.append(("table", summary_table(results)))
    out.append(("p", (
        "K_nn: nearest-neighbour coupling of the coarse Hamiltonian fitted with every operator "
        "(pseudo-likelihood, jackknife errors); level 0 is the input lattice, where "
        "K_nn = 1/T exactly. Fixed point: where the nearest-neighbour flows of levels 1 and 2 "
        "cross (n/a with one level, or when they do not cross on the grid). Exponents: "
        "Swendsen's MCRG at the grid temperature nearest that fixed point (where the flow "
        "changes least if there is none), last level pair, all operators. Metrics are "
        f"measured on the first level at T = {results['metric_temperature']:g}, the grid "
        "temperature nearest T_c, with learned units read in the analyzer's gauge "
        "(each unit oriented along its block).")))
    out.append(("list", [f"{_METRIC_LABELS.get(k, k)}: {v}" for k, v in _METRIC_NOTES.items()]))
    for name, r in results["coarse_grainers"].items():
        est = r["estimator"]
        params = ", ".join(f"{k}={v!r}" for k, v in est["params"].items()
                           if k in ("rule", "block_size", "layer_sizes", "connectivity",
                                    "n_iter", "learning_rate", "batch_size", "max_iter",
                                    "latent_activation", "learning_rate_init", "kernel_size"))
        out.append(("h2", f"{name}: {est['class']}({params})"))
        notes = [f"levels {' → '.join(' x '.join(map(str, sh)) for sh in r['lattice_shapes'])}",
                 f"analysis {r['compute_seconds']['analysis']:.1f} s, metrics "
                 f"{r['compute_seconds']['metrics']:.1f} s (when computed)"]
        if any(r["flipped_units"]):
            notes.append(f"units flipped by the gauge fix, per level: {r['flipped_units']}")
        notes += [f"warning: {w}" for w in r["warnings"]]
        notes += [f"{m}: {v['error']}" for m, v in r["metrics"].items() if v.get("error")]
        out.append(("list", notes))
        out.append(("h3", f"Couplings at T = {results['metric_temperature']:g}"))
        out.append(("table", _couplings_table(r, results["metric_temperature"])))
        out.append(("h3", "Flow of the nearest-neighbour coupling (nearest-neighbour-only fit)"))
        out.append(("table", _flow_table(r)))
        out.append(("h3", f"MCRG exponents by level pair at T = {_g(r['exponent_temperature'])}"))
        out.append(("table", _exponents_table(r)))
    out.append(("h2", "Figures"))
    if figures:
        for name in figures:
            out.append(("p", _FIGURES.get(name, name)))
            out.append(("img", name))
    else:
        out.append(("p", figure_note))
    hits = ", ".join(f"{stage} {c['hits']} hit(s) / {c['misses']} miss(es)"
                     for stage, c in cache["stages"].items())
    out.append(("h2", "Run"))
    out.append(("list", [
        f"cache: {cache['directory'] if cache['enabled'] else 'disabled'}"
        + (f" ({hits})" if hits else ""),
        *[f"{stage}: {seconds:.1f} s" for stage, seconds in results["timings"].items()],
        "every number of this report is in results.json",
    ]))
    return out


def _markdown(sections):
    parts = []
    for kind, payload in sections:
        if kind in ("h1", "h2", "h3"):
            parts.append("#" * int(kind[1]) + " " + payload)
        elif kind == "p":
            parts.append(payload)
        elif kind == "list":
            parts.append("\n".join(f"- {item}" for item in payload))
        elif kind == "table":
            parts.append(_md_table(*payload))
        elif kind == "img":
            parts.append(f"![{payload}](figures/{payload})")
    return "\n\n".join(parts) + "\n"


def _html(sections):
    parts = []
    for kind, payload in sections:
        if kind in ("h1", "h2", "h3"):
            parts.append(f"<{kind}>{html.escape(payload)}</{kind}>")
        elif kind == "p":
            parts.append(f"<p>{html.escape(payload)}</p>")
        elif kind == "list":
            parts.append("<ul>" + "".join(f"<li>{html.escape(i)}</li>" for i in payload)
                         + "</ul>")
        elif kind == "table":
            parts.append(_html_table(*payload))
        elif kind == "img":
            parts.append(f'<img src="figures/{html.escape(payload)}" alt="{html.escape(payload)}">')
    style = ("body{font-family:sans-serif;max-width:1400px;margin:2em auto;padding:0 1em}"
             "table{border-collapse:collapse;margin:1em 0;font-size:90%}"
             "th,td{border:1px solid #bbb;padding:.3em .5em;text-align:right}"
             "th:first-child,td:first-child{text-align:left}th{background:#eee}"
             "img{max-width:100%}")
    return ("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>skrg study</title>"
            f"<style>{style}</style></head><body>\n" + "\n".join(parts) + "\n</body></html>\n")


# --------------------------------------------------------------------- figures


def make_figures(context, results, directory):
    """Draw the PNG figures into ``directory``; return their names and a note.

    Without matplotlib the list is empty and the note says so. A figure that
    cannot be drawn (e.g. a 3D lattice) is left out and named in the note.
    """
    try:
        import matplotlib
    except ImportError:
        return [], ("No figures: matplotlib is not installed "
                    "(pip install \"skrg[plot]\" to get them).")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from ..plotting import (
        ConfigurationsDisplay,
        CorrelatorMapDisplay,
        CouplingFlowDisplay,
        ExponentConvergenceDisplay,
        ReceptiveFieldsDisplay,
    )

    flows = context["flows"]
    X, y = context["X"], context["y"]
    rows = X[y == context["metric_temperature"]]
    dimension = results["settings"]["dimension"]
    first_units = None

    def units(flow):
        n = flow.coarse_grainers_[0].coarse_lattice_shape_
        total = math.prod(n)
        return sorted({0, 1, total // 2, total - 1}) if first_units is None else first_units

    # A typical configuration: the one whose |m| is the median of the rows drawn from.
    m = np.abs(rows.mean(axis=1))
    typical = rows[[int(np.argsort(m)[len(m) // 2])]]

    def configurations(flow, ax):
        levels = coarse_levels(flow, typical)
        ConfigurationsDisplay.from_levels(levels, flow.lattice_shapes_, ax=ax)

    def receptive(flow, ax):
        ReceptiveFieldsDisplay.from_estimator(oriented(flow), units=units(flow), ax=ax,
                                              n_cols=4, colorbar=False)

    def correlators(flow, ax):
        CorrelatorMapDisplay.from_estimator(oriented(flow), rows, units=units(flow), ax=ax,
                                            n_cols=4, colorbar=False)

    def coupling_flow(flow, ax):
        CouplingFlowDisplay.from_estimator(flow, kind="temperatures", ax=ax)

    def exponents(flow, ax):
        ExponentConvergenceDisplay.from_estimator(
            flow, exact="ising" if dimension > 1 else None, ax=ax)

    # name -> (draw, height of a coarse-grainer's panel row, side by side?)
    drawers = {"configurations.png": (configurations, 2.6, False),
               "receptive_fields.png": (receptive, 2.4, False),
               "correlator_maps.png": (correlators, 2.4, False),
               "coupling_flow.png": (coupling_flow, 3.6, True),
               "exponents.png": (exponents, 3.4, False)}
    if dimension > 2:  # lattices of 3D cannot be drawn as images
        drawers = {k: v for k, v in drawers.items()
                   if k in ("coupling_flow.png", "exponents.png")}
    written, failed = [], []
    n = len(flows)
    for filename, (draw, height, side_by_side) in drawers.items():
        size = (4.2 * n, height) if side_by_side else (11, height * n)
        figure = plt.figure(figsize=size, layout="constrained")
        try:
            grid = (1, n) if side_by_side else (n, 1)
            subfigures = figure.subfigures(*grid, squeeze=False).ravel()
            for subfigure, (name, flow) in zip(subfigures, flows.items()):
                draw(flow, subfigure)
                subfigure.suptitle(name, fontweight="bold")
            with _atomic_write(os.path.join(directory, filename)) as f:
                figure.savefig(f, format="png", dpi=80)
            written.append(filename)
        except Exception as error:  # one figure failing must not lose the report
            failed.append(f"{filename} ({type(error).__name__}: {str(error).splitlines()[0]})")
        finally:
            plt.close(figure)
    note = "" if not failed else "Figures not drawn: " + "; ".join(failed) + "."
    if dimension > 2:
        note += " Lattice images are drawn for 1D and 2D lattices only."
    return written, note.strip()


# ----------------------------------------------------------------------- files


def write_outputs(results, context, directory):
    """Write figures, results.json, report.md and report.html; return the paths."""
    figure_dir = os.path.join(directory, "figures")
    os.makedirs(figure_dir, exist_ok=True)
    figures, note = make_figures(context, results, figure_dir)
    results["figures"] = [f"figures/{name}" for name in figures]
    results["figures_note"] = note
    sections = _sections(results, figures, note)
    paths = {}
    for filename, text in (("results.json", json.dumps(results, indent=1, allow_nan=False)),
                           ("report.md", _markdown(sections)),
                           ("report.html", _html(sections))):
        path = os.path.join(directory, filename)
        with _atomic_write(path, "w") as f:
            f.write(text)
        paths[filename] = path
    return paths
