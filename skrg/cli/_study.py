"""``skrg study``: sample, coarse-grain three ways, analyse, measure; every stage cached.

The stages, each cached on disk under a key of every parameter that changes
its result (:mod:`skrg.cli._cache`):

1. ``sample``: :func:`skrg.make_ising` on the temperature grid (a dataset file,
   :func:`skrg.io.save_dataset`).
2. ``analysis`` (one per coarse-grainer): :class:`skrg.CouplingFlowAnalyzer`
   fitted on the pooled data. A learned coarse-grainer is fitted once, on all
   temperatures, and frozen: the analyzer's ``refit_each_level=False``.
3. ``metrics`` (one per coarse-grainer): every shared metric of
   :mod:`skrg.metrics` on the rows at the grid temperature nearest ``T_c``.
"""

import copy
import math
import time
import warnings

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin

from .. import (
    BernoulliRBMStack,
    BlockSpinRG,
    CouplingFlowAnalyzer,
    IsingAutoencoder,
    __version__,
    make_ising,
    metrics,
)
from ..ising.exact import critical_temperature
from ..plotting._flow import ISING_EXPONENTS
from ._config import N_JACKKNIFE_BLOCKS, CLIError

__all__ = ["coarse_grainer", "analyzer_params", "run_study", "exact_values", "coarse_levels"]


# ------------------------------------------------------------- the estimators


def coarse_grainer(name, n_levels, block_size=2, params=None):
    """The coarse-grainer ``name`` of the study, with the user's ``params`` applied.

    Learned models are kept small so that the default study runs in minutes:
    a stack of local spin RBMs (one unit per block, one layer per level, two
    epochs) and a convolutional autoencoder (one shared 2 x 2 kernel, five
    epochs), both fitted once on the data pooled over temperatures.
    """
    if name == "block_spin":
        estimator = BlockSpinRG(block_size=block_size, rule="majority")
    elif name == "rbm_stack":
        estimator = BernoulliRBMStack((None,) * n_levels, connectivity="local",
                                      block_size=block_size, n_iter=2, learning_rate=0.05,
                                      batch_size=100)
    elif name == "autoencoder":
        estimator = IsingAutoencoder(block_size=block_size, latent_activation="hardtanh",
                                     max_iter=5, batch_size=50, learning_rate_init=0.01)
    else:  # pragma: no cover - names are checked with the settings
        raise CLIError(f"unknown coarse-grainer {name!r}")
    if params:
        try:
            estimator.set_params(**params)
        except ValueError as error:
            raise CLIError(f"[{name}] in the config: {str(error).splitlines()[0]}") from None
    return estimator


def analyzer_params(settings):
    """Parameters of the :class:`skrg.CouplingFlowAnalyzer` of every coarse-grainer."""
    return dict(n_levels=settings["levels"], min_coarse_size=settings["min_coarse_size"],
                n_jackknife_blocks=N_JACKKNIFE_BLOCKS,
                lattice_shape=list(settings["lattice_shape"]), random_state=settings["seed"])


def exact_values(dimension):
    """Reference values for the report: exact in 1D and 2D, best estimates in 3D."""
    t_c = critical_temperature(dimension)
    if dimension == 1:
        return {"critical_temperature": 0.0, "source": "1D chain: no transition at T > 0",
                "exponents": {}}
    source = ("Onsager (exact)" if dimension == 2
              else "best estimates (K_c = 0.221654626, conformal bootstrap exponents)")
    return {"critical_temperature": t_c, "source": source,
            "exponents": dict(ISING_EXPONENTS[dimension])}


class _Oriented(TransformerMixin, BaseEstimator):
    """A fitted coarse-grainer read in the analyzer's gauge: unit ``a`` times ``signs[a]``.

    A learned unit's sign is arbitrary (an RBM is unchanged when a hidden unit
    flips with its weights); the analyzer orients every unit to correlate
    positively with its block (``orientations_``). The metrics that pool units
    (mutual information, correlation preservation, entropy) read the units in
    that same gauge, so they measure the coarse-graining the couplings describe.
    """

    def __init__(self, estimator=None, signs=None, output="spins"):
        self.estimator = estimator
        self.signs = signs
        self.output = output

    def fit(self, X=None, y=None):
        """No-op: the wrapped coarse-grainer is fitted (and frozen) already."""
        return self

    def __sklearn_is_fitted__(self):
        return True

    @property
    def n_features_in_(self):
        return self.estimator.n_features_in_

    @property
    def lattice_shape_(self):
        return self.estimator.lattice_shape_

    @property
    def coarse_lattice_shape_(self):
        return self.estimator.coarse_lattice_shape_

    def transform(self, X):
        inner = copy.copy(self.estimator).set_params(output=self.output)
        return np.asarray(inner.transform(X)) * self.signs

    def inverse_transform(self, X):
        return self.estimator.inverse_transform(np.asarray(X) * self.signs)

    def receptive_fields(self):
        return np.asarray(self.estimator.receptive_fields()) * self.signs[:, None]


_ORIENTED_TYPES = {}


def oriented(flow):
    """The first level of a fitted analyzer in its gauge, named as the estimator it wraps."""
    estimator = flow.coarse_grainers_[0]
    name = type(estimator).__name__
    if name not in _ORIENTED_TYPES:  # displays title panels with the class name
        _ORIENTED_TYPES[name] = type(name, (_Oriented,), {"__module__": __name__})
    return _ORIENTED_TYPES[name](estimator, flow.orientations_[0].astype(np.int8))


def coarse_levels(flow, X):
    """The spins of every level of ``X`` as the analyzer reads them (oriented)."""
    stack = isinstance(flow.coarse_grainer, BernoulliRBMStack)
    levels, raw = [np.asarray(X)], np.asarray(X)
    for estimator, signs in zip(flow.coarse_grainers_, flow.orientations_):
        raw = np.asarray(estimator.transform(raw if stack else levels[-1]))
        levels.append(raw * signs)
    return levels


# ---------------------------------------------------------------- JSON helpers


def _number(value):
    value = float(value)
    return value if math.isfinite(value) else None


def jsonable(value):
    """Arrays, numpy scalars and tuples as JSON types; NaN and inf as None."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return jsonable(value.tolist())
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return _number(value)
    if value is None or isinstance(value, str):
        return value
    return repr(value)


# ---------------------------------------------------------------------- stages


def _sample(settings):
    X, y, info = make_ising(settings["samples"], settings["lattice_shape"],
                            settings["temperatures"], algorithm=settings["algorithm"],
                            random_state=settings["seed"], n_jobs=settings["n_jobs"],
                            return_info=True)
    metadata = jsonable({
        "lattice_shape": settings["lattice_shape"],
        "temperatures": settings["temperatures"],
        "algorithm": info["algorithm"],
        "requested_algorithm": settings["algorithm"],
        "seed": settings["seed"],
        "n_samples": settings["samples"],
        "burn_in": info["burn_in"],
        "thin": info["thin"],
        "autocorrelation_time": info["autocorrelation_time"],
    })
    return X, y, metadata


def _analyse(name, estimator, X, y, settings):
    start = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        flow = CouplingFlowAnalyzer(estimator, n_jobs=settings["n_jobs"],
                                    **analyzer_params(settings)).fit(X, y)
    return {"analyzer": flow, "seconds": time.perf_counter() - start,
            "warnings": sorted({str(w.message) for w in caught})}


def metric_temperature(temperatures, dimension):
    """The grid temperature nearest T_c (the lowest one for the chain)."""
    t_c = critical_temperature(dimension)
    return float(min(temperatures, key=lambda t: (abs(t - t_c), t)))


def _measure(flow, X, y, temperature, seed):
    """Every shared metric (``get_scorer_names``) with its error where one exists."""
    estimator = oriented(flow)
    rows = X[y == temperature]
    full = {
        "mutual_information": lambda: metrics.mutual_information(estimator, rows,
                                                                 random_state=seed),
        "correlation_preservation": lambda: metrics.correlation_preservation(estimator, rows),
        "block_alignment": lambda: metrics.block_alignment(estimator, random_state=seed),
        "coupling_locality": lambda: metrics.coupling_locality_score(flow, X, y),
        "coarse_entropy": lambda: metrics.coarse_entropy(
            estimator, rows, n_jackknife_blocks=min(N_JACKKNIFE_BLOCKS, len(rows))),
    }
    names = list(dict.fromkeys([*metrics.get_scorer_names(), "coarse_entropy"]))
    start = time.perf_counter()
    results = {}
    for name in names:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                value = (full[name] if name in full
                         else lambda: metrics.get_scorer(name)(estimator, rows))()
            except Exception as error:  # a metric that does not apply: reported, not fatal
                results[name] = {"value": None, "std": None,
                                 "error": f"{type(error).__name__}: {error}".splitlines()[0]}
                continue
        if isinstance(value, dict):
            v = value.get("value", value.get("score"))
            e = value.get("std", value.get("score_error"))
        else:
            v, e = value, None
        results[name] = {"value": _number(v) if v is not None else None,
                         "std": _number(e) if e is not None else None}
        if caught:
            results[name]["warnings"] = sorted({str(w.message).splitlines()[0]
                                                for w in caught})
    return {"metrics": results, "seconds": time.perf_counter() - start,
            "temperature": temperature}


# ------------------------------------------------------------------------ study


def _estimator_record(estimator):
    return {"class": type(estimator).__name__,
            "params": jsonable(estimator.get_params(deep=False))}


def _analysis_record(flow):
    """Every number of a fitted analyzer, as JSON types."""
    by_level = {key: jsonable(value) for key, value in flow.exponents_by_level_.items()}
    return {
        "lattice_shapes": jsonable(flow.lattice_shapes_),
        "block_size": int(flow.block_size_),
        "operators": list(flow.operators_),
        "temperatures": jsonable(flow.temperatures_),
        "n_samples_by_temperature": jsonable(flow.n_samples_by_temperature_),
        "couplings": jsonable(flow.couplings_),
        "couplings_std": jsonable(flow.couplings_std_),
        "flow": jsonable(flow.flow_),
        "flow_std": jsonable(flow.flow_std_),
        "critical_temperature": _number(flow.critical_temperature_),
        "critical_temperature_std": _number(flow.critical_temperature_std_),
        "exponent_temperature": _number(flow.exponent_temperature_),
        "exponents": jsonable(flow.exponents_),
        "exponents_by_level": by_level,
        "flipped_units": [int((o < 0).sum()) for o in flow.orientations_],
    }


def run_study(settings, progress, cache):
    """Run every stage; return ``(results, context)``.

    ``results`` is the JSON document of ``results.json``; ``context`` holds
    the data and fitted analyzers the figures are drawn from.
    """
    timings = {}
    n_t = len(settings["temperatures"])
    shape_text = " x ".join(map(str, settings["lattice_shape"]))
    sample_params = {key: jsonable(settings[key]) for key in
                     ("lattice_shape", "temperatures", "samples", "algorithm", "seed")}
    with progress.stage("sample", f"{n_t} temperatures x {settings['samples']} "
                        f"configurations of {shape_text}") as stage:
        (X, y, metadata), stage.cached = cache.get_or_compute(
            "sample", sample_params, "dataset", lambda: _sample(settings))
    timings["sample"] = stage.seconds
    dataset_key = cache.key("sample", sample_params)
    t_metric = metric_temperature(settings["temperatures"], settings["dimension"])

    records, flows = {}, {}
    for name in settings["coarse_grainers"]:
        estimator = coarse_grainer(name, settings["levels"], settings["block_size"],
                                   settings["params"].get(name))
        analysis_params = {"dataset": dataset_key, "name": name,
                           "estimator": _estimator_record(estimator),
                           "analyzer": analyzer_params(settings)}
        with progress.stage(f"analysis {name}", f"{type(estimator).__name__}, "
                            f"{settings['levels']} level(s), couplings and exponents") as stage:
            analysis, stage.cached = cache.get_or_compute(
                "analysis", analysis_params, "pickle",
                lambda: _analyse(name, estimator, X, y, settings))
        timings[f"analysis {name}"] = stage.seconds
        flow = analysis["analyzer"]
        for message in analysis["warnings"]:
            progress.message(f"  warning ({name}): {message}")
        metric_params = {"analysis": cache.key("analysis", analysis_params),
                         "temperature": t_metric, "seed": settings["seed"],
                         "names": metrics.get_scorer_names()}
        with progress.stage(f"metrics {name}", f"shared metrics at T = {t_metric:g}") as stage:
            measured, stage.cached = cache.get_or_compute(
                "metrics", metric_params, "json",
                lambda: _measure(flow, X, y, t_metric, settings["seed"]))
        timings[f"metrics {name}"] = stage.seconds
        flows[name] = flow
        records[name] = {
            "estimator": _estimator_record(estimator),
            "analyzer": jsonable(analyzer_params(settings)),
            **_analysis_record(flow),
            "metric_temperature": measured["temperature"],
            "metrics": measured["metrics"],
            "warnings": analysis["warnings"],
            "compute_seconds": {"analysis": round(analysis["seconds"], 3),
                                "metrics": round(measured["seconds"], 3)},
        }

    results = {
        "skrg_version": __version__,
        "settings": jsonable({key: settings[key] for key in (
            "dimension", "size", "lattice_shape", "temperatures", "samples", "levels",
            "block_size", "min_coarse_size", "algorithm", "seed", "coarse_grainers")}),
        "sampling": {
            "function": "skrg.make_ising",
            "kwargs": {"n_samples": settings["samples"],
                       "lattice_shape": list(settings["lattice_shape"]),
                       "temperature": list(settings["temperatures"]),
                       "algorithm": settings["algorithm"], "random_state": settings["seed"]},
            "dataset_checksum": metadata.get("checksum"),
            **{key: metadata.get(key) for key in ("algorithm", "burn_in", "thin",
                                                  "autocorrelation_time")},
        },
        "exact": exact_values(settings["dimension"]),
        "metric_temperature": t_metric,
        "coarse_grainers": records,
        "cache": {"enabled": cache.enabled, "directory": cache.directory,
                  "stages": cache.stats},
        "timings": {key: round(value, 3) for key, value in timings.items()},
    }
    return results, {"X": X, "y": y, "flows": flows, "metric_temperature": t_metric}
