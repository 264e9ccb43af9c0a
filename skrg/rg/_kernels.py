"""Numba kernels of the block-spin transformation.

One fused pass per row: block sums (or the decimated spin), then the rule,
writing the coarse row directly. The lattice enters as "lines", the runs of
the last axis that are contiguous in memory, so one code path serves 1D, 2D
and 3D and the inner loop reads memory in order.

Randomness is counter-based: the uniform number for row ``r`` and coarse site
``b`` is a hash of (key, the content of row ``r``, ``b``), so a row's output
never depends on the other rows, and a tie costs one hash, no generator state.
The row hash is computed only for rows that need a random number.
"""

from numba import njit

import numpy as np

from ..utils._counter_random import random_bits as _random_bits
from ..utils._counter_random import row_hash as _row_hash
from ..utils._counter_random import uniform as _uniform

MAJORITY, AVERAGE = 0, 1
_ONE = np.uint64(1)


@njit(nogil=True, cache=True)
def block_spin(X, words, multipliers, key, fine_lines, block, block_volume, corners,
               rule, sample, out, line_sums, sums):
    """Coarse-grain every row of ``X`` into ``out``.

    Parameters
    ----------
    X : array of shape (n_rows, n_sites)
        int8 spins or float64 soft spins, C-contiguous.
    words : array of shape (n_rows, n_words)
        The row content to hash (X viewed as uint64 words where possible).
    multipliers : uint64 array of shape (n_words,)
    key : uint64
        Key of this RG step.
    fine_lines : int64 array of shape (n_coarse_lines, block ** (ndim - 1))
        For each line of the coarse lattice (a run of its last axis), the start
        of every fine line whose blocks it collects.
    block : int
        Block side.
    block_volume : int
        Sites per block (1 for decimation, the average of a one-site block).
    corners : int64 array of shape (n_coarse,)
        The kept site of each block (decimation); empty for block rules.
    rule : int
        ``MAJORITY`` or ``AVERAGE``.
    sample : bool
        Draw +-1 spins (True) or give the conditional mean (False).
    out : array of shape (n_rows, n_coarse)
        int8 when sampling, float64 otherwise.
    line_sums, sums : arrays of shape (fine line length,) and (n_coarse,)
        Workspaces of the accumulation type (int16 for int8 spins, else float64).
    """
    n_coarse = out.shape[1]
    scale = 1.0 / block_volume
    for r in range(X.shape[0]):
        row = X[r]
        if corners.shape[0] > 0:
            for b in range(n_coarse):
                sums[b] = row[corners[b]]
        else:
            _block_sums(row, fine_lines, block, line_sums, sums)
        undecided = 0
        if rule == MAJORITY:
            for b in range(n_coarse):
                total = sums[b]
                out[r, b] = (total > 0) - (total < 0)
                undecided += total == 0
            if sample and undecided:
                _break_ties(r, words, multipliers, key, sums, out)
        else:
            for b in range(n_coarse):
                out[r, b] = sums[b] * scale
                undecided += abs(sums[b]) != block_volume
            if sample and undecided:
                _draw(r, words, multipliers, key, sums, scale, block_volume, out)


@njit(nogil=True, cache=True, inline="always")
def _block_sums(row, fine_lines, block, line_sums, sums):
    # Add whole fine lines first (contiguous, vectorised), then sum each run of
    # `block` neighbours along the line: both passes read memory in order.
    # Indexing slices by loop counters (never by offsets loaded from a table)
    # lets LLVM drop numba's negative-index check and vectorise: 10x here.
    line_length = line_sums.shape[0]
    per_line = line_length // block
    for coarse_line in range(fine_lines.shape[0]):
        start = fine_lines[coarse_line, 0]
        line = row[start : start + line_length]
        for x in range(line_length):
            line_sums[x] = line[x]
        for k in range(1, fine_lines.shape[1]):
            start = fine_lines[coarse_line, k]
            line = row[start : start + line_length]
            for x in range(line_length):
                line_sums[x] += line[x]
        coarse = sums[coarse_line * per_line : (coarse_line + 1) * per_line]
        if block == 2:
            for c in range(per_line):
                coarse[c] = line_sums[2 * c] + line_sums[2 * c + 1]
        else:
            for c in range(per_line):
                total = line_sums[c * block]
                for k in range(1, block):
                    total += line_sums[c * block + k]
                coarse[c] = total


@njit(nogil=True, cache=True)
def _break_ties(r, words, multipliers, key, sums, out):
    """Give the tied blocks of row ``r`` (output 0 so far) a random spin.

    One 64-bit random word serves 64 consecutive blocks, one bit each, and
    the update is branch-free: a branch per block mispredicted on every tie
    (8% of blocks at T_c) and cost half the kernel's time.
    """
    row_hash = _row_hash(words, r, multipliers, key)
    n_coarse = out.shape[1]
    for word in range((n_coarse + 63) // 64):
        bits = _random_bits(row_hash, word)
        stop = min(64, n_coarse - 64 * word)
        row = out[r, 64 * word : 64 * word + stop]
        tied = sums[64 * word : 64 * word + stop]
        for k in range(stop):
            coin = np.int8(2 * ((bits >> np.uint64(k)) & _ONE)) - np.int8(1)
            row[k] += (tied[k] == 0) * coin


@njit(nogil=True, cache=True)
def _draw(r, words, multipliers, key, sums, scale, block_volume, out):
    """Draw the spins of row ``r``'s blocks that are not uniform: P(+1) = (1 + mean) / 2."""
    row_hash = _row_hash(words, r, multipliers, key)
    for b in range(sums.shape[0]):
        total = sums[b]
        if abs(total) != block_volume:
            out[r, b] = 1 if _uniform(row_hash, b) < 0.5 * (1.0 + total * scale) else -1
