"""A small on-disk cache of study stages, keyed by every parameter that changes a result.

Each entry is one file, ``<dir>/v1/<stage>/<key>.<ext>``, where ``key`` is a SHA-256
of the stage name, skrg's version, a fingerprint of skrg's source code (so a
changed library, e.g. an editable install being developed, never serves stale
results) and the parameters (canonical JSON). Entries
are written atomically (temporary file, then rename), so an interrupted study
leaves only complete entries; an entry that cannot be read is a miss and is
recomputed. Hits and misses are counted per stage.
"""

import contextlib
import functools
import hashlib
import json
import os
from pathlib import Path

import joblib

from .. import __version__
from ..io import _atomic_write, load_dataset, save_dataset

__all__ = ["Cache"]

# Modules of the command that only present results: editing them keeps the cache valid.
_PRESENTATION = {"__init__.py", "_commands.py", "_config.py", "_progress.py", "_report.py"}


@functools.lru_cache(maxsize=1)
def code_fingerprint():
    """SHA-256 of every source file of skrg that can change a cached result."""
    root = Path(__file__).resolve().parents[1]
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*.py")):
        relative = path.relative_to(root)
        if relative.parts[0] == "cli" and relative.name in _PRESENTATION:
            continue
        digest.update(str(relative.as_posix()).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


_EXTENSIONS = {"dataset": "npz", "pickle": "joblib", "json": "json"}
_LAYOUT = "v1"


class Cache:
    """Stage results on disk; ``enabled=False`` computes everything and stores nothing."""

    def __init__(self, directory, enabled=True):
        self.directory = None if directory is None else os.path.abspath(directory)
        self.enabled = enabled and directory is not None
        self.stats = {}

    def key(self, stage, params):
        payload = json.dumps({"stage": stage, "skrg": __version__, "code": code_fingerprint(),
                              "params": params},
                             sort_keys=True, default=repr, separators=(",", ":"))
        return hashlib.sha256(payload.encode()).hexdigest()[:32]

    def _path(self, stage, key, kind):
        return os.path.join(self.directory, _LAYOUT, stage, f"{key}.{_EXTENSIONS[kind]}")

    def _count(self, stage, hit):
        counts = self.stats.setdefault(stage, {"hits": 0, "misses": 0})
        counts["hits" if hit else "misses"] += 1

    def _load(self, path, kind):
        if kind == "dataset":
            return load_dataset(path)
        if kind == "pickle":
            return joblib.load(path)
        with open(path, encoding="utf-8") as f:
            return json.load(f)

    def _store(self, path, kind, value):
        os.makedirs(os.path.dirname(path), exist_ok=True)
        if kind == "dataset":
            X, y, metadata = value
            save_dataset(path, X, y, **metadata)
        elif kind == "pickle":
            with _atomic_write(path) as f:
                joblib.dump(value, f)
        else:
            with _atomic_write(path, "w") as f:
                json.dump(value, f)

    def get_or_compute(self, stage, params, kind, compute):
        """``(value, hit)``: the stored value for ``params``, else ``compute()`` stored."""
        key = self.key(stage, params)
        if self.enabled:
            path = self._path(stage, key, kind)
            if os.path.exists(path):
                with contextlib.suppress(Exception):  # unreadable entry: recompute it
                    value = self._load(path, kind)
                    self._count(stage, True)
                    return value, True
        value = compute()
        self._count(stage, False)
        if self.enabled:
            path = self._path(stage, key, kind)
            self._store(path, kind, value)
            if kind == "dataset":  # as a hit would return it: verified, with its checksum
                value = self._load(path, kind)
        return value, False

    def check_writable(self):
        """Create the cache directory or raise OSError."""
        if self.enabled:
            os.makedirs(os.path.join(self.directory, _LAYOUT), exist_ok=True)
            with _atomic_write(os.path.join(self.directory, _LAYOUT, ".probe")):
                pass
            os.unlink(os.path.join(self.directory, _LAYOUT, ".probe"))
