"""Shared fixtures: numba kernels are compiled (or loaded from cache) once per session."""

import os

import numpy as np
import pytest

os.environ.setdefault("MPLBACKEND", "Agg")


@pytest.fixture(scope="session", autouse=True)
def warm_numba_kernels():
    """Compile every sampler kernel once, so no single test pays for it."""
    from skrg import make_ising

    for algorithm in ("metropolis", "wolff", "swendsen_wang"):
        make_ising(2, (4, 4), 2.0, algorithm=algorithm, burn_in=1, thin=1, random_state=0)
    make_ising(2, 8, 1.0, algorithm="exact", random_state=0)


@pytest.fixture
def flip_each_byte():
    """Iterate over copies of a file with one byte flipped, written in its place.

    ``for position in flip_each_byte(path, n): ...`` flips ``n`` positions spread
    over the file, one at a time (the original bytes are not restored).
    """
    def flip(path, n=60):
        raw = path.read_bytes()
        for position in np.linspace(0, len(raw) - 1, n).astype(int):
            altered = bytearray(raw)
            altered[position] ^= 0xFF
            path.write_bytes(bytes(altered))
            yield position

    return flip
