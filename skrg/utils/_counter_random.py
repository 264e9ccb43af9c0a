"""Counter-based random numbers: a hash of (key, row content, column).

Transforms draw their random spins from these, so the output of a row never
depends on which other rows are in ``X`` or in what order (scikit-learn's
subset and order invariance), and drawing costs no generator state. The
consequence, documented by every user: identical rows get identical draws.
"""

import numpy as np
from numba import njit

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)
_S30 = np.uint64(30)
_S27 = np.uint64(27)
_S31 = np.uint64(31)
_S11 = np.uint64(11)
_ONE = np.uint64(1)
_TO_UNIT = 2.0**-53


@njit(nogil=True, cache=True, inline="always")
def mix64(z):
    """SplitMix64's finaliser: a bijective 64-bit mixer with full avalanche."""
    z = (z ^ (z >> _S30)) * _MIX1
    z = (z ^ (z >> _S27)) * _MIX2
    return z ^ (z >> _S31)


@njit(nogil=True, cache=True)
def hash_multipliers(n_words, key):
    """Odd 64-bit multipliers, one per word of a row, derived from ``key``."""
    out = np.empty(n_words, dtype=np.uint64)
    for j in range(n_words):
        out[j] = mix64(key + np.uint64(j + 1) * _GOLDEN) | _ONE
    return out


@njit(nogil=True, cache=True, inline="always")
def row_hash(words, r, multipliers, key):
    # A multiply-add per word vectorises; the final mix spreads it over all bits.
    h = np.uint64(0)
    for j in range(words.shape[1]):
        h += np.uint64(words[r, j]) * multipliers[j]
    return finish_row_hash(h, key)


@njit(nogil=True, cache=True, inline="always")
def finish_row_hash(h, key):
    """The row hash from ``h``, the sum of the row's words times their multipliers.

    The sum wraps modulo 2**64, so a kernel may add the words in any order.
    """
    return mix64(h ^ key)


@njit(nogil=True, cache=True, inline="always")
def random_bits(row_hash, index):
    """64 random bits, number ``index`` of the row whose hash is ``row_hash``."""
    return mix64(row_hash ^ (np.uint64(index + 1) * _GOLDEN))


@njit(nogil=True, cache=True, inline="always")
def uniform(row_hash, site):
    return (random_bits(row_hash, site) >> _S11) * _TO_UNIT


def row_words(X):
    """The content of the rows of ``X`` as the array the row hash reads.

    Floats are hashed by the bits of their float64 value (with -0.0 made +0.0,
    so equal values hash equally); int8 rows whose length is a multiple of 8 as uint64 words,
    eight spins at a time; anything else element by element.
    """
    X = np.ascontiguousarray(X)
    if X.dtype.kind == "f":
        return (X.astype(np.float64) + 0.0).view(np.uint64)
    if X.dtype == np.int8 and X.shape[1] % 8 == 0:
        return X.view(np.uint64)
    return X


def step_key(random_key, step):
    """The uint64 key of one step (or layer) of a transform keyed by ``random_key``."""
    # Python ints, masked: numpy would warn on the intended uint64 wrap-around.
    return np.uint64(mix64(np.uint64((random_key + (step + 1) * 0x9E3779B97F4A7C15) % 2**64)))


@njit(nogil=True, cache=True)
def _uniforms(words, multipliers, key, out):
    for r in range(out.shape[0]):
        h = row_hash(words, r, multipliers, key)
        for j in range(out.shape[1]):
            out[r, j] = uniform(h, j)


def counter_uniforms(X, n_columns, key):
    """Uniform numbers in [0, 1), shape ``(len(X), n_columns)``, from row content.

    Parameters
    ----------
    X : ndarray of shape (n_rows, n_features)
        The rows whose content seeds the numbers (int8 or float64).
    n_columns : int
        Numbers per row.
    key : numpy.uint64
        Key (see :func:`step_key`).

    Returns
    -------
    u : ndarray of shape (n_rows, n_columns), float64
    """
    words = row_words(X)
    out = np.empty((X.shape[0], n_columns), dtype=np.float64)
    _uniforms(words, hash_multipliers(words.shape[1], key), key, out)
    return out
