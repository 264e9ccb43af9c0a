"""Shared fixtures: numba kernels are compiled (or loaded from cache) once per session."""

import os

import pytest

os.environ.setdefault("MPLBACKEND", "Agg")


@pytest.fixture(scope="session", autouse=True)
def warm_numba_kernels():
    """Compile every sampler kernel once, so no single test pays for it."""
    from skrg import make_ising

    for algorithm in ("metropolis", "wolff", "swendsen_wang"):
        make_ising(2, (4, 4), 2.0, algorithm=algorithm, burn_in=1, thin=1, random_state=0)
    make_ising(2, 8, 1.0, algorithm="exact", random_state=0)
