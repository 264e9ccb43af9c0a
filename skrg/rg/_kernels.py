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

from ..utils._counter_random import finish_row_hash as _finish_row_hash
from ..utils._counter_random import random_bits as _random_bits
from ..utils._counter_random import row_hash as _row_hash
from ..utils._counter_random import uniform as _uniform

MAJORITY, AVERAGE = 0, 1
_ONE = np.uint64(1)
# SWAR on uint64 words of eight int8 spins (little-endian: spin 0 is the low
# byte). A spin +1 is the byte 0x01, -1 is 0xFF.
_BYTES = np.uint64(0x0101010101010101)  # bit 0 of every byte
_NOT_LOW_TWO = np.uint64(0xFCFCFCFCFCFCFCFC)  # bits 2-7 of every byte
_EVEN_BYTES = np.uint64(0x0001000100010001)  # bit 0 of bytes 0, 2, 4, 6
_BYTE = np.uint64(0xFF)
_PAIRS = np.uint64(0x0000FFFF0000FFFF)
_LOW_WORD = np.uint64(0xFFFFFFFF)
_U1, _U7, _U8, _U16 = np.uint64(1), np.uint64(7), np.uint64(8), np.uint64(16)
# Added to a byte count n of -1 spins (at most 4), sets bit 7 iff n >= 2, a
# tie or more; minus _BYTES, iff n > 2.
_ABOVE_TIE = np.uint64(0x80 - 2) * _BYTES


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
                _break_ties(_row_hash(words, r, multipliers, key), out[r])
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
def majority_pairs(words, multipliers, key, line_pairs, sample, out, out_words):
    """Majority rule on 2 x 2 blocks (or pairs) of int8 spins, eight spins per uint64 word.

    The special case of `block_spin` that most data takes (block_size 2, the
    default rule, 2D), in one pass over memory that also checks the spins,
    so ``transform`` needs no separate validation pass (a third of its time). SWAR on whole
    words keeps the 8-bit arithmetic in 64-bit registers (numba widens int8
    scalars to int64, which loses the 8-bit SIMD). Same output, hash and tie
    bits as `block_spin`.

    Parameters
    ----------
    words : uint64 array of shape (n_rows, n_words)
        The int8 rows viewed as words; every fine line is whole words.
    multipliers, key
        As for `block_spin`.
    line_pairs : int64 array of shape (n_coarse_lines, 2)
        The first word of the two fine lines of every coarse line; a chain
        gives its one line twice (the counts double, the signs are the same).
    sample : bool
        Break ties at random (True) or leave them 0 (the conditional mean).
    out : int8 array of shape (n_rows, n_coarse)
    out_words : uint32 array of shape (n_rows, n_coarse // 4)
        ``out`` viewed as uint32: the four coarse spins of one fine word.

    Returns
    -------
    valid : bool
        False, with ``out`` incomplete, if ``words`` holds a value other than
        -1 and +1.
    """
    n_line = out_words.shape[1] // line_pairs.shape[0]
    for r in range(words.shape[0]):
        row = words[r]
        h = np.uint64(0)
        bad = np.uint64(0)
        for j in range(row.shape[0]):
            w = row[j]
            # A byte is +-1 iff its bit 0 is set and its bits 1 to 7 are equal.
            bad |= ((w & _BYTES) ^ _BYTES) | ((w ^ (w << _U1)) & _NOT_LOW_TWO)
            h += w * multipliers[j]
        if bad:
            return False
        ties = np.uint64(0)
        for coarse_line in range(line_pairs.shape[0]):
            # One loop over both lines: a loop per line (or a workspace) cost
            # 2x, the lines being only a few words long.
            first = row[line_pairs[coarse_line, 0] : line_pairs[coarse_line, 0] + n_line]
            second = row[line_pairs[coarse_line, 1] : line_pairs[coarse_line, 1] + n_line]
            coarse = out_words[r, coarse_line * n_line : (coarse_line + 1) * n_line]
            for j in range(n_line):
                # The -1 spins (bit 7 of a byte) of the block: of each column,
                # then of each pair of columns, in the even bytes (0 to 4).
                n = ((first[j] >> _U7) & _BYTES) + ((second[j] >> _U7) & _BYTES)
                n += n >> _U8
                at_least = ((n + _ABOVE_TIE) >> _U7) & _EVEN_BYTES
                above = ((n + _ABOVE_TIE - _BYTES) >> _U7) & _EVEN_BYTES
                ties |= at_least & ~above
                # +1 (0x01) below a tie, -1 (0xFF) above, 0 on a tie; then the
                # even bytes packed into four.
                spins = (at_least ^ _EVEN_BYTES) | (above * _BYTE)
                spins = (spins | (spins >> _U8)) & _PAIRS
                coarse[j] = np.uint32((spins | (spins >> _U16)) & _LOW_WORD)
        if sample and ties:
            _break_ties(_finish_row_hash(h, key), out[r])
    return True


@njit(nogil=True, cache=True)
def _break_ties(row_hash, row):
    """Give the tied blocks of a row, its output 0 so far, a random spin.

    One 64-bit random word serves 64 consecutive blocks, one bit each, and
    the update is branch-free: a branch per block mispredicted on every tie
    (8% of blocks at T_c) and cost half the kernel's time. The ties are read
    from ``row`` itself: marking them in a second array cost 8x here (the
    aliasing checks failed when both were the same array, and LLVM gave up
    the SIMD).
    """
    n_coarse = row.shape[0]
    for word in range((n_coarse + 63) // 64):
        bits = _random_bits(row_hash, word)
        stop = min(64, n_coarse - 64 * word)
        spins = row[64 * word : 64 * word + stop]
        for k in range(stop):
            coin = np.int8(2 * ((bits >> np.uint64(k)) & _ONE)) - np.int8(1)
            spins[k] += (spins[k] == 0) * coin


@njit(nogil=True, cache=True)
def _draw(r, words, multipliers, key, sums, scale, block_volume, out):
    """Draw the spins of row ``r``'s blocks that are not uniform: P(+1) = (1 + mean) / 2."""
    row_hash = _row_hash(words, r, multipliers, key)
    for b in range(sums.shape[0]):
        total = sums[b]
        if abs(total) != block_volume:
            out[r, b] = 1 if _uniform(row_hash, b) < 0.5 * (1.0 + total * scale) else -1
