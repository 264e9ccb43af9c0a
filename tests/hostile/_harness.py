"""Shared pieces of the hostile-input suite: tiny valid data, fitted estimators, and the
two outcomes a hostile case may have (a clear exception, or a correct result).

Loaded by the test modules through ``conftest.py`` (``--import-mode=importlib`` gives
test directories no package to import from).
"""

import copy
import functools
import math
import resource
import sys
import warnings
from contextlib import contextmanager

import numpy as np
import pytest
from sklearn.base import BaseEstimator, clone

SHAPE = (4, 4)
TEMPERATURES = (2.0, 3.0)


@functools.cache
def data():
    """16 configurations of a 4x4 lattice, 8 at each temperature, and their temperatures."""
    from skrg import make_ising

    X, y = make_ising(8, SHAPE, list(TEMPERATURES), random_state=0)
    X.setflags(write=False)
    y.setflags(write=False)
    return X, y


def estimators():
    """One tiny, seeded instance of every public estimator (1 iteration, 4x4 lattice)."""
    from skrg import (BernoulliRBM, BernoulliRBMStack, BlockSpinRG, CouplingFlowAnalyzer,
                      IsingAutoencoder)

    return {
        "BlockSpinRG": BlockSpinRG(random_state=0),
        "BernoulliRBM": BernoulliRBM(n_iter=1, batch_size=8, random_state=0),
        "BernoulliRBMStack": BernoulliRBMStack(layer_sizes=(4,), n_iter=1, batch_size=8,
                                               random_state=0),
        "IsingAutoencoder": IsingAutoencoder(max_iter=1, batch_size=8, random_state=0),
        "CouplingFlowAnalyzer": CouplingFlowAnalyzer(n_levels=1, operators=["nn"],
                                                     min_coarse_size=2, n_jackknife_blocks=2,
                                                     random_state=0),
    }


ESTIMATOR_NAMES = tuple(estimators())


@functools.cache
def cached_fit(name):
    """A fitted estimator shared by every case: never hand it to a hostile call."""
    X, y = data()
    return clone(estimators()[name]).fit(X, y)


def fitted(name):
    """A fitted estimator, a private copy (so a hostile call cannot spoil the cache)."""
    return copy.deepcopy(cached_fit(name))


def unfitted(name):
    return clone(estimators()[name])


def targets_for(X):
    """A temperature per row of ``X`` where ``X`` has rows, else the valid ``y``."""
    try:
        n = len(X)
    except TypeError:
        return data()[1]
    return np.resize(np.asarray(TEMPERATURES), n) if n else np.empty(0)


# ----------------------------------------------------------------- outcomes


class Raises:
    """The call must raise one of ``types`` with a message matching ``match``."""

    def __init__(self, types, match=None, *, overflow_ok=False):
        self.types = types if isinstance(types, tuple) else (types,)
        self.match = match
        # Training that diverges overflows on its way to the error that reports it.
        self.overflow_ok = overflow_ok

    def __repr__(self):
        return f"Raises({'/'.join(t.__name__ for t in self.types)}, {self.match!r})"


class Works:
    """The call must succeed; ``check(result)`` asserts that the result is right."""

    def __init__(self, check=None):
        self.check = check

    def __repr__(self):
        return "Works()"


class Either:
    """Work correctly (``check``) or raise ``types`` matching ``match``: both are clear."""

    def __init__(self, types, match=None, check=None):
        self.raises = Raises(types, match)
        self.works = Works(check)

    def __repr__(self):
        return f"Either({self.raises!r})"


def run_case(call, expect, warns=None):
    """Run ``call()`` against its expected outcome.

    RuntimeWarnings are errors: a NaN born of ``0/0`` or ``log(0)`` inside an entry
    point is silently wrong output, whatever happens to it afterwards. ``warns``, if
    given, is a warning class that must be emitted (and is then allowed).
    """
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        if not getattr(expect, "overflow_ok", False):
            warnings.simplefilter("error", RuntimeWarning)
        if isinstance(expect, Raises):
            with pytest.raises(expect.types, match=expect.match):
                call()
        else:
            try:
                result = call()
            except Exception as error:
                if isinstance(expect, Either) and isinstance(error, expect.raises.types):
                    with pytest.raises(expect.raises.types, match=expect.raises.match):
                        raise error
                    return
                raise
            check = expect.works.check if isinstance(expect, Either) else expect.check
            (check or assert_finite)(result)
    if warns is not None:
        assert any(issubclass(w.category, warns) for w in caught), (
            f"expected a {warns.__name__}, got {[str(w.message) for w in caught]}")


def assert_finite(result):
    """Every number reachable in ``result`` is finite (arrays, tuples, dicts, Bunches)."""
    for value in _numbers(result):
        assert np.all(np.isfinite(value)), f"non-finite output: {value!r}"


def _numbers(result):
    if isinstance(result, (bool, np.bool_)) or result is None or isinstance(result, str):
        return
    if isinstance(result, (int, float, np.number)):
        yield np.asarray(result)
    elif isinstance(result, np.ndarray):
        if result.dtype.kind in "biufc":
            yield result
        elif result.dtype.kind == "O":
            for item in result.ravel():
                yield from _numbers(item)
    elif isinstance(result, dict):
        for item in result.values():
            yield from _numbers(item)
    elif isinstance(result, (list, tuple)):
        for item in result:
            yield from _numbers(item)


def rows_of(n_rows, width=None, *, finite=True):
    """Check: an array of ``n_rows`` rows (and ``width`` columns if given), finite."""

    def check(result):
        result = np.asarray(result)
        assert result.shape[0] == n_rows, (result.shape, n_rows)
        if width is not None:
            assert result.shape[1:] == (width,), (result.shape, width)
        if finite:
            assert_finite(result)

    return check


# -------------------------------------------------------- memory guard rails


@contextmanager
def address_space_limit(extra_bytes=2 << 30):
    """Cap this process's address space at its current size plus ``extra_bytes``.

    Cases that ask for absurd allocations run under it, so a missing size check
    fails with ``MemoryError`` instead of taking the machine's memory; Linux only
    (elsewhere the case is skipped by the caller).
    """
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    with open("/proc/self/statm") as f:
        current = int(f.read().split()[0]) * resource.getpagesize()
    limit = current + extra_bytes
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


CAN_LIMIT_MEMORY = sys.platform.startswith("linux")


def base_estimator():
    return BaseEstimator()


def finite_number(result):
    assert np.ndim(result) == 0 and math.isfinite(float(result)), result


# Examples run by the hypothesis tests (reported by conftest at the end of the session).
HYPOTHESIS_EXAMPLES = [0]
