"""Settings of ``skrg study``: built-in defaults, a TOML file, the command line (which wins)."""

import math
import os
import tomllib

import numpy as np

from ..ising.exact import critical_temperature

__all__ = ["CLIError", "Interrupted", "COARSE_GRAINERS", "resolve_study_settings", "parse_temperatures"]

COARSE_GRAINERS = ("block_spin", "rbm_stack", "autoencoder")
ALGORITHMS = ("auto", "wolff", "metropolis", "swendsen_wang", "exact")

# Temperatures of the default grid, in units of T_c: T_c itself and three on either side.
TC_GRID = (0.90, 0.94, 0.97, 1.00, 1.03, 1.06, 1.10)
# The 1D chain has T_c = 0: a grid of couplings K = 1/T from weak to strong.
CHAIN_GRID = (0.5, 0.75, 1.0, 1.5, 2.0, 3.0)
N_JACKKNIFE_BLOCKS = 20

# dimension -> (size, levels, samples): every analysed level keeps >= 8 sites a side.
DIMENSION_DEFAULTS = {1: (256, 3, 2000), 2: (32, 2, 2000), 3: (16, 1, 500)}

_SCALARS = {
    "dimension": "int", "size": "int", "samples": "int", "levels": "int", "block_size": "int",
    "min_coarse_size": "int", "n_jobs": "int", "seed": "int",
    "temperatures": "temperatures", "coarse_grainers": "names", "algorithm": "str",
    "output": "str", "cache_dir": "str", "scheduler": "str", "no_cache": "bool", "quiet": "bool",
    "json": "bool",
}


class CLIError(Exception):
    """A problem with the user's input: printed as one line, exit status 1 (2 for usage)."""

    def __init__(self, message, status=1):
        super().__init__(message)
        self.status = status


class Interrupted(KeyboardInterrupt):
    """Ctrl-C during a study; ``where`` is the cache that keeps the finished stages."""

    def __init__(self, where=None):
        super().__init__()
        self.where = where


def one_line(error):
    """The first line of an exception's message (its type name if it has none)."""
    text = str(error).strip().splitlines()
    return text[0] if text else type(error).__name__


def _option(key):
    return "--" + key.replace("_", "-")


def parse_temperatures(value, where="--temperatures"):
    """Temperatures from ``"2.0,2.27,2.5"``, ``"2.0:2.6:7"`` (linspace) or a list of numbers."""
    try:
        if isinstance(value, str):
            text = value.strip()
            if ":" in text:
                start, stop, num = text.split(":")
                values = np.linspace(float(start), float(stop), int(num)).tolist()
            else:
                values = [float(v) for v in text.replace(" ", ",").split(",") if v]
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            values = [float(value)]
        elif isinstance(value, list) and all(isinstance(v, (int, float))
                                             and not isinstance(v, bool) for v in value):
            values = [float(v) for v in value]
        else:
            raise ValueError
    except ValueError:
        raise CLIError(f"{where} must be numbers separated by commas (e.g. 2.0,2.27,2.5) or "
                       f"start:stop:count, got {value!r}") from None
    if not values:
        raise CLIError(f"{where} must name at least one temperature, got {value!r}")
    bad = [t for t in values if not (math.isfinite(t) and t > 0)]
    if bad:
        raise CLIError(f"{where}: temperatures must be positive and finite (J = k_B = 1), "
                       f"got {bad[0]:g}")
    if len(set(values)) != len(values):
        raise CLIError(f"{where}: a temperature is given twice ({value!r})")
    return sorted(values)


def _parse_names(value, where):
    names = value.split(",") if isinstance(value, str) else value
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise CLIError(f"{where} must be names separated by commas, got {value!r}")
    names = [n.strip() for n in names if n.strip()]
    unknown = [n for n in names if n not in COARSE_GRAINERS]
    if unknown or not names:
        raise CLIError(f"{where}: unknown coarse-grainer {unknown[0] if unknown else ''!r}; "
                       f"choose from {', '.join(COARSE_GRAINERS)}")
    return list(dict.fromkeys(names))


def _typed(key, value, where):
    kind = _SCALARS[key]
    if kind == "int":
        if isinstance(value, bool) or not isinstance(value, int):
            raise CLIError(f"{where}: {key!r} must be an integer, got {value!r}")
        return value
    if kind == "bool":
        if not isinstance(value, bool):
            raise CLIError(f"{where}: {key!r} must be true or false, got {value!r}")
        return value
    if kind == "str":
        if not isinstance(value, str):
            raise CLIError(f"{where}: {key!r} must be a string, got {value!r}")
        return value
    if kind == "temperatures":
        return parse_temperatures(value, f"{where}: 'temperatures'")
    return _parse_names(value, f"{where}: 'coarse_grainers'")


def load_config(path):
    """The study settings of a TOML file: top-level keys or a ``[study]`` table, and the
    tables ``[block_spin]``, ``[rbm_stack]``, ``[autoencoder]`` of estimator parameters."""
    where = f"config {path}"
    try:
        with open(path, "rb") as f:
            data = tomllib.load(f)
    except OSError as error:
        raise CLIError(f"cannot read {where}: {error.strerror or error}") from None
    except tomllib.TOMLDecodeError as error:
        raise CLIError(f"{where} is not valid TOML: {error}") from None
    except UnicodeDecodeError:
        raise CLIError(f"{where} is not valid TOML: not UTF-8 text") from None
    if "study" in data:  # options in a [study] table, next to any other tables
        study = data.pop("study")
        if not isinstance(study, dict):
            raise CLIError(f"{where}: 'study' must be a table")
        data = {**data, **study}
    settings, params = {}, {}
    for raw_key, value in data.items():
        key = raw_key.replace("-", "_")
        if key in COARSE_GRAINERS:
            if not isinstance(value, dict):
                raise CLIError(f"{where}: [{raw_key}] must be a table of estimator parameters")
            params[key] = dict(value)
        elif key in _SCALARS:
            settings[key] = _typed(key, value, where)
        else:
            raise CLIError(f"{where}: unknown key {raw_key!r} (valid keys: "
                           f"{', '.join(sorted(_SCALARS))}, and tables "
                           f"{', '.join(COARSE_GRAINERS)})")
    return settings, params


def resolve_study_settings(args):
    """Merge defaults, the config file and the command line; validate; return a dict."""
    settings, params = ({}, {}) if args.config is None else load_config(args.config)
    for key in _SCALARS:
        value = getattr(args, key, None)
        if value is None:
            continue
        if key == "temperatures":
            value = parse_temperatures(value)
        elif key == "coarse_grainers":
            value = _parse_names(value, "--coarse-grainers")
        settings[key] = value
    dimension = settings.get("dimension", 2)
    if dimension not in DIMENSION_DEFAULTS:
        raise CLIError(f"--dimension must be 1, 2 or 3, got {dimension}")
    size, levels, samples = DIMENSION_DEFAULTS[dimension]
    t_c = critical_temperature(dimension)
    grid = CHAIN_GRID if dimension == 1 else tuple(round(t_c * f, 4) for f in TC_GRID)
    defaults = {
        "dimension": dimension, "size": size, "levels": levels, "samples": samples,
        "temperatures": list(grid), "coarse_grainers": list(COARSE_GRAINERS),
        "block_size": 2, "min_coarse_size": 8, "algorithm": "auto", "n_jobs": -1, "seed": 0,
        "output": "skrg-study", "cache_dir": default_cache_dir(), "no_cache": False,
        "scheduler": None,
        "quiet": False, "json": False,
    }
    s = {**defaults, **settings}
    s["params"] = params
    for key in ("size", "samples", "levels", "block_size", "min_coarse_size"):
        low = {"size": 2, "samples": N_JACKKNIFE_BLOCKS, "levels": 1, "block_size": 2,
               "min_coarse_size": 1}[key]
        if s[key] < low:
            why = " (the jackknife error bars need that many per temperature)" \
                if key == "samples" else ""
            raise CLIError(f"{_option(key)} must be at least {low}{why}, got {s[key]}")
    if s["n_jobs"] == 0:
        raise CLIError("--n-jobs must be a positive number of jobs or -1 (all cores), got 0")
    if s["algorithm"] not in ALGORITHMS:
        raise CLIError(f"--algorithm must be one of {', '.join(ALGORITHMS)}, "
                       f"got {s['algorithm']!r}")
    factor = s["block_size"] ** s["levels"]
    if s["size"] % factor:
        raise CLIError(
            f"--size {s['size']} is not divisible by block_size**levels = "
            f"{s['block_size']}**{s['levels']} = {factor}: the block size must divide the "
            f"lattice at every level")
    coarsest = s["size"] // factor
    if coarsest < s["min_coarse_size"]:
        raise CLIError(
            f"--levels {s['levels']} on --size {s['size']} leaves a lattice of side {coarsest} "
            f"at the last level, smaller than --min-coarse-size {s['min_coarse_size']}: use "
            f"fewer levels or a larger lattice")
    s["lattice_shape"] = (s["size"],) * dimension
    return s


def default_cache_dir():
    """``$SKRG_CACHE_DIR``, else ``$XDG_CACHE_HOME/skrg``, else ``~/.cache/skrg``."""
    if os.environ.get("SKRG_CACHE_DIR"):
        return os.environ["SKRG_CACHE_DIR"]
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "skrg")
