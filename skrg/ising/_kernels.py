"""Numba kernels of the Ising samplers.

Every kernel is serial and releases the GIL. Randomness comes from an explicit
xoshiro256++ generator (Blackman & Vigna) whose four-word state
(``new_rng_state``) each chain owns and passes to every call, so chains run in
parallel under any joblib backend and a chain's output depends only on its
seed. All 64 bits of its output are statistically clean (unlike xoshiro256+,
whose low bits are weak), so a Metropolis sweep splits each output into two
32-bit draws.

The cluster algorithms read the lattice as a neighbour table (see
:meth:`skrg.lattice.Lattice.neighbours`): column ``a < ndim`` is the ``+1``
neighbour along axis ``a``, so one code path serves 1D, 2D and 3D. Metropolis,
whose sweep costs a few nanoseconds per site, reads it as rows along the last
axis instead: neighbours along a row are the next and previous entries, and the
other ``2 (ndim - 1)`` neighbours sit at the same column of neighbouring rows, so
only one row offset per neighbouring row is looked up, not one index per site.

Accept/reject and bond decisions are random, so a branch on them mispredicts
often; the Metropolis and Wolff kernels apply them with selects instead, and
test every candidate with a 32-bit draw whether or not it could be taken. (For
the Swendsen-Wang search, branches measured faster.)

A chain kernel runs ``n_sweeps`` sweeps (recording bond sum, magnetization and
number of flipped spins of each sweep into ``trace`` while it has rows), then
fills ``out`` one row at a time, ``thin`` sweeps apart.
"""

import numpy as np
from numba import njit

METROPOLIS, WOLFF, SWENDSEN_WANG = 0, 1, 2

# numba promotes uint64 combined with a plain int to float64: every constant
# that meets generator words or Metropolis indices is a uint64.
_U64_0, _U64_1, _U64_2 = np.uint64(0), np.uint64(1), np.uint64(2)
_U64_11, _U64_17, _U64_19 = np.uint64(11), np.uint64(17), np.uint64(19)
_U64_23, _U64_32, _U64_41, _U64_45 = np.uint64(23), np.uint64(32), np.uint64(41), np.uint64(45)
_U64_63 = np.uint64(63)
_LOW_32 = np.uint64(0xFFFFFFFF)
_TO_UNIT = 2.0**-53
# Metropolis thresholds are indexed by s_i h_i + _MAX_Z, h_i the sum of the
# 2 ndim neighbours of site i (ndim <= 3).
_MAX_Z = 6
# Swendsen-Wang marks, above the three bond bits.
_IN_CLUSTER, _FLIP = np.uint8(8), np.uint8(16)


def new_rng_state(seed):
    """Four-word xoshiro256++ state from an integer seed, via ``SeedSequence``."""
    state = np.random.SeedSequence(int(seed)).generate_state(4, dtype=np.uint64)
    if not state.any():  # the all-zero state is the generator's only fixed point
        state[0] = 1
    return state


@njit(nogil=True, cache=True, inline="always")
def _next(s0, s1, s2, s3):
    """One xoshiro256++ output and the advanced state, all in registers."""
    x = s0 + s3
    result = ((x << _U64_23) | (x >> _U64_41)) + s0
    t = s1 << _U64_17
    s2 ^= s0
    s3 ^= s1
    s1 ^= s2
    s0 ^= s3
    s2 ^= t
    s3 = (s3 << _U64_45) | (s3 >> _U64_19)
    return result, s0, s1, s2, s3


@njit(nogil=True, cache=True, inline="always")
def _random(state):
    """Next uniform double in [0, 1) (the top 53 bits), advancing ``state`` in place."""
    result, s0, s1, s2, s3 = _next(state[0], state[1], state[2], state[3])
    state[0], state[1], state[2], state[3] = s0, s1, s2, s3
    return (result >> _U64_11) * _TO_UNIT


def lattice_rows(lattice):
    """Row tables of a lattice: neighbouring-row offsets and row colours.

    A row is a line of sites along the last axis, ``n_sites // shape[-1]`` of
    them. Returns the first site of each neighbouring row along every other axis
    (uint64, shape ``(n_rows, 2 * (ndim - 1))``) and the checkerboard colour of
    each row's first site (uint8, shape ``(n_rows,)``). The ``+1`` neighbours
    come first, as in :meth:`skrg.lattice.Lattice.neighbours`.
    """
    n_cols = lattice.shape[-1]
    first_sites = lattice.neighbours()[::n_cols]
    leading = list(range(lattice.ndim - 1))
    columns = leading + [lattice.ndim + a for a in leading]
    row_neighbours = np.ascontiguousarray(first_sites[:, columns], dtype=np.uint64)
    return row_neighbours, lattice.parity()[::n_cols].astype(np.uint8)


@njit(nogil=True, cache=True)
def _bond_sum_and_magnetization(spins, row_neighbours):
    """Sum of ``s_i s_j`` over the bonds to every ``+1`` neighbour, and sum of ``s_i``.

    Row by row with unsigned indices, so the inner loops vectorize.
    """
    n_rows = row_neighbours.shape[0]
    n_cols = np.uint64(spins.shape[0] // n_rows)
    last = n_cols - _U64_1
    bonds = 0
    magnetization = 0
    for r in range(n_rows):
        row = np.uint64(r) * n_cols
        for c in range(last):
            i = row + np.uint64(c)
            bonds += spins[i] * spins[i + _U64_1]
        bonds += spins[row + last] * spins[row]
        for a in range(row_neighbours.shape[1] // 2):
            above = row_neighbours[r, a]
            for c in range(n_cols):
                bonds += spins[row + np.uint64(c)] * spins[above + np.uint64(c)]
        for c in range(n_cols):
            magnetization += spins[row + np.uint64(c)]
    return bonds, magnetization


@njit(nogil=True, cache=True)
def metropolis_thresholds(beta, z):
    """Flip thresholds for a 32-bit draw, indexed by ``s_i h_i + 6``.

    A move is taken when the draw is below ``ceil(2**32 min(1, exp(-2 beta s h)))``,
    with probability within 2**-32 of Metropolis's (always, when the energy does
    not rise). In 1D a move costing no energy is taken with probability 1/2
    instead of 1: checkerboard sweeps that always take it are not ergodic there
    (a domain wall then steps deterministically, every wall the same way, and
    walls never meet); any acceptance in (0, 1] keeps detailed balance and 1/2
    turns the wall motion into a random walk.
    """
    thresholds = np.zeros(2 * _MAX_Z + 1, dtype=np.uint64)
    for energy_index in range(-z, z + 1, 2):
        acceptance = min(1.0, np.exp(-2.0 * beta * energy_index))
        if z == 2 and energy_index == 0:
            acceptance = 0.5
        thresholds[energy_index + _MAX_Z] = np.uint64(np.ceil(acceptance * 2.0**32))
    return thresholds


@njit(nogil=True, cache=True, inline="always")
def _metropolis_site(spins, i, field, thresholds, draw):
    s = spins[i]
    flip = draw < thresholds[np.uint64(s * field + _MAX_Z)]
    # A select, not a branch: the outcome is random, so a branch mispredicts.
    spins[i] = -s if flip else s
    return flip


@njit(nogil=True, cache=True, inline="always")
def _field(spins, row, column, left, right, o0, o1, o2, o3, n_row_neighbours):
    field = spins[row + left] + spins[row + right]
    if n_row_neighbours >= 2:
        field += spins[o0 + column] + spins[o1 + column]
    if n_row_neighbours >= 4:
        field += spins[o2 + column] + spins[o3 + column]
    return field


@njit(nogil=True, cache=True, inline="always")
def _checkerboard(spins, row_neighbours, row_parity, thresholds, rng, n_row_neighbours):
    """One sweep, every site of colour 0 then every site of colour 1, row by row.

    Indices are unsigned so that numba emits no negative-index wraparound, and
    each generator output decides two sites of a row.
    """
    n_rows = row_parity.shape[0]
    n_cols = np.uint64(spins.shape[0] // n_rows)
    last = n_cols - _U64_1
    # Sites of one colour in a row: n_cols // 2, taken in pairs, one left over if odd.
    n_pairs = spins.shape[0] // n_rows // 4
    leftover = (spins.shape[0] // n_rows // 2) % 2 == 1
    s0, s1, s2, s3 = rng[0], rng[1], rng[2], rng[3]
    o0 = o1 = o2 = o3 = _U64_0
    flipped = 0
    for colour in range(2):
        for r in range(n_rows):
            row = np.uint64(r) * n_cols
            if n_row_neighbours >= 2:
                o0, o1 = row_neighbours[r, 0], row_neighbours[r, 1]
            if n_row_neighbours >= 4:
                o2, o3 = row_neighbours[r, 2], row_neighbours[r, 3]
            c = np.uint64((row_parity[r] + colour) & 1)
            for _ in range(n_pairs):
                word, s0, s1, s2, s3 = _next(s0, s1, s2, s3)
                left = c - _U64_1 if c > _U64_0 else last
                field = _field(spins, row, c, left, c + _U64_1, o0, o1, o2, o3,
                               n_row_neighbours)
                flipped += _metropolis_site(spins, row + c, field, thresholds,
                                            word >> _U64_32)
                c += _U64_2
                right = c + _U64_1 if c < last else _U64_0
                field = _field(spins, row, c, c - _U64_1, right, o0, o1, o2, o3,
                               n_row_neighbours)
                flipped += _metropolis_site(spins, row + c, field, thresholds, word & _LOW_32)
                c += _U64_2
            if leftover:
                word, s0, s1, s2, s3 = _next(s0, s1, s2, s3)
                left = c - _U64_1 if c > _U64_0 else last
                right = c + _U64_1 if c < last else _U64_0
                field = _field(spins, row, c, left, right, o0, o1, o2, o3, n_row_neighbours)
                flipped += _metropolis_site(spins, row + c, field, thresholds,
                                            word >> _U64_32)
    rng[0], rng[1], rng[2], rng[3] = s0, s1, s2, s3
    return flipped


@njit(nogil=True, cache=True)
def _metropolis_sweep(spins, row_neighbours, row_parity, thresholds, rng):
    """One checkerboard sweep, compiled once per dimension (a constant neighbour count)."""
    n_row_neighbours = row_neighbours.shape[1]
    if n_row_neighbours == 0:
        return _checkerboard(spins, row_neighbours, row_parity, thresholds, rng, 0)
    if n_row_neighbours == 2:
        return _checkerboard(spins, row_neighbours, row_parity, thresholds, rng, 2)
    return _checkerboard(spins, row_neighbours, row_parity, thresholds, rng, 4)


@njit(nogil=True, cache=True)
def _bond_threshold(beta):
    """A bond between aligned neighbours opens when a 32-bit draw is below this.

    That is with probability ``1 - exp(-2 beta)``, to within 2**-32.
    """
    return np.uint64(np.ceil(-np.expm1(-2.0 * beta) * 2.0**32))


@njit(nogil=True, cache=True, inline="always")
def _wolff_join(spins, j, sign, draw, threshold, stack, top):
    """Add site ``j`` to the cluster if aligned and the bond opens; return the new stack top.

    Selects, not branches: whether the bond opens is random, so a branch would
    mispredict about every other time. ``j`` is written above the top either
    way and only kept if it joined.
    """
    joins = (spins[j] == sign) & (draw < threshold)
    # Flipping a spin as it joins marks it as visited.
    spins[j] = -sign if joins else spins[j]
    stack[top] = j
    return top + joins


@njit(nogil=True, cache=True)
def _wolff_update(spins, neighbours, threshold, stack, rng):
    """Grow and flip one Wolff cluster; return its size.

    Every neighbour of a cluster site is tested with a 32-bit draw (half a
    generator output), aligned or not; a bond opens when the draw is below
    ``threshold = ceil(2**32 p_add)``.
    """
    n_sites, z = neighbours.shape
    seed_site = int(_random(rng) * n_sites)
    sign = spins[seed_site]
    spins[seed_site] = -sign
    stack[0] = seed_site
    top = 1
    size = 1
    s0, s1, s2, s3 = rng[0], rng[1], rng[2], rng[3]
    while top > 0:
        top -= 1
        i = stack[top]
        before = top
        for k in range(0, z, 2):  # z = 2 ndim is even: two neighbours per output
            word, s0, s1, s2, s3 = _next(s0, s1, s2, s3)
            top = _wolff_join(spins, neighbours[i, k], sign, word >> _U64_32, threshold,
                              stack, top)
            top = _wolff_join(spins, neighbours[i, k + 1], sign, word & _LOW_32, threshold,
                              stack, top)
        size += top - before
    rng[0], rng[1], rng[2], rng[3] = s0, s1, s2, s3
    return size


@njit(nogil=True, cache=True)
def wolff_flips(spins, neighbours, beta, n_spins, rng):
    """Wolff updates until at least ``n_spins`` spins have flipped; return (updates, flipped)."""
    threshold = _bond_threshold(beta)
    stack = np.empty(spins.shape[0], dtype=np.int32)
    updates = flipped = 0
    while flipped < n_spins:
        flipped += _wolff_update(spins, neighbours, threshold, stack, rng)
        updates += 1
    return updates, flipped


@njit(nogil=True, cache=True, inline="always")
def _bond_opens(spins, i, j, draw, threshold):
    return np.uint8((spins[i] == spins[j]) & (draw < threshold))


@njit(nogil=True, cache=True)
def _swendsen_wang_update(spins, neighbours, threshold, stack, bonds, rng):
    """Open bonds, find every cluster by a depth-first search, flip each with probability 1/2.

    Bit ``a`` of ``bonds[i]`` says whether the bond from ``i`` to its ``+1``
    neighbour along axis ``a`` is open (bonds are tested with 32-bit draws,
    aligned or not, as in ``_wolff_update``). The search only marks sites, bit
    3 for "in a cluster" and bit 4 for "flip"; the spins are flipped in one
    pass at the end. Measured, this beats flipping during the search, and
    union-find.
    """
    n_sites, z = neighbours.shape
    ndim = z // 2
    s0, s1, s2, s3 = rng[0], rng[1], rng[2], rng[3]
    for i in range(n_sites):
        word, s0, s1, s2, s3 = _next(s0, s1, s2, s3)
        bits = _bond_opens(spins, i, neighbours[i, 0], word >> _U64_32, threshold)
        if ndim >= 2:
            bits |= _bond_opens(spins, i, neighbours[i, 1], word & _LOW_32, threshold) << 1
        if ndim == 3:
            word, s0, s1, s2, s3 = _next(s0, s1, s2, s3)
            bits |= _bond_opens(spins, i, neighbours[i, 2], word >> _U64_32, threshold) << 2
        bonds[i] = bits
    for first in range(n_sites):
        if bonds[first] & _IN_CLUSTER:
            continue
        word, s0, s1, s2, s3 = _next(s0, s1, s2, s3)
        mark = _IN_CLUSTER | (_FLIP if word >> _U64_63 else np.uint8(0))
        bonds[first] |= mark
        stack[0] = first
        top = 1
        while top > 0:
            top -= 1
            i = stack[top]
            for a in range(ndim):
                j = neighbours[i, a]  # bond i -> j is bit a of i
                if (bonds[i] >> a) & 1 and not bonds[j] & _IN_CLUSTER:
                    bonds[j] |= mark
                    stack[top] = j
                    top += 1
                j = neighbours[i, ndim + a]  # bond j -> i is bit a of j
                if (bonds[j] >> a) & 1 and not bonds[j] & _IN_CLUSTER:
                    bonds[j] |= mark
                    stack[top] = j
                    top += 1
    flipped = 0
    for i in range(n_sites):
        flip = bonds[i] & _FLIP
        spins[i] = -spins[i] if flip else spins[i]
        flipped += flip != 0
    rng[0], rng[1], rng[2], rng[3] = s0, s1, s2, s3
    return flipped


@njit(nogil=True, cache=True)
def _sweep(algorithm, spins, neighbours, row_neighbours, row_parity, thresholds, add_threshold,
           updates_per_sweep, workspace, bonds, rng):
    if algorithm == METROPOLIS:
        return _metropolis_sweep(spins, row_neighbours, row_parity, thresholds, rng)
    if algorithm == WOLFF:
        flipped = 0
        for _ in range(updates_per_sweep):
            flipped += _wolff_update(spins, neighbours, add_threshold, workspace, rng)
        return flipped
    return _swendsen_wang_update(spins, neighbours, add_threshold, workspace, bonds, rng)


@njit(nogil=True, cache=True)
def run_chain(algorithm, spins, neighbours, row_neighbours, row_parity, beta, updates_per_sweep,
              n_sweeps, thin, out, trace, rng):
    """Advance one Markov chain in place and write samples into ``out``.

    Parameters
    ----------
    algorithm : int
        ``METROPOLIS``, ``WOLFF`` or ``SWENDSEN_WANG``.
    spins : int8 array of shape (n_sites,)
        Chain state, updated in place.
    neighbours : int32 array of shape (n_sites, 2 * ndim)
    row_neighbours, row_parity : uint64 and uint8 arrays
        The row tables of ``lattice_rows``.
    beta : float
        Inverse temperature.
    updates_per_sweep : int
        Wolff cluster updates per sweep (ignored by the other algorithms).
    n_sweeps : int
        Sweeps to run before the first sample (burn-in).
    thin : int
        Sweeps between consecutive samples.
    out : int8 array of shape (n_out, n_sites)
        Samples, written in place (may have zero rows).
    trace : int64 array of shape (n_trace, 3)
        For the first ``n_trace`` burn-in sweeps: bond sum, total
        magnetization and flipped spins after each sweep.
    rng : uint64 array of shape (4,)
        Generator state of this chain (``new_rng_state``), advanced in place.
    """
    n_sites, z = neighbours.shape
    thresholds = metropolis_thresholds(beta, z)
    add_threshold = _bond_threshold(beta)
    workspace = np.empty(n_sites, dtype=np.int32)
    bonds = np.empty(n_sites, dtype=np.uint8)
    for sweep in range(n_sweeps):
        flipped = _sweep(algorithm, spins, neighbours, row_neighbours, row_parity, thresholds,
                         add_threshold, updates_per_sweep, workspace, bonds, rng)
        if sweep < trace.shape[0]:
            trace[sweep, 0], trace[sweep, 1] = _bond_sum_and_magnetization(
                spins, row_neighbours
            )
            trace[sweep, 2] = flipped
    for row in range(out.shape[0]):
        for _ in range(thin):
            _sweep(algorithm, spins, neighbours, row_neighbours, row_parity, thresholds,
                   add_threshold, updates_per_sweep, workspace, bonds, rng)
        if algorithm == METROPOLIS and _random(rng) < 0.5:
            # A global flip leaves the energy unchanged, so it is a valid move that
            # lets single-spin dynamics visit both ordered states below T_c.
            for i in range(n_sites):
                spins[i] = -spins[i]
        out[row, :] = spins


@njit(nogil=True, cache=True)
def random_spins(n_sites, rng):
    """Independent uniform spins: the infinite-temperature start of a chain."""
    spins = np.empty(n_sites, dtype=np.int8)
    for i in range(n_sites):
        spins[i] = 1 if _random(rng) < 0.5 else -1
    return spins


@njit(nogil=True, cache=True)
def exact_chain_samples(out, tanh_coupling, rng):
    """Independent samples of the periodic 1D chain.

    The bonds ``b_i = s_i s_{i+1}`` of a periodic chain are independent with
    ``P(b = +1) = (1 + tanh K) / 2`` once conditioned on an even number of
    negative bonds (their product is 1 around the ring); draws with odd parity
    are rejected (acceptance ``(1 + tanh^N K) / 2 >= 1/2``). The first spin is
    +1 or -1 with probability 1/2.
    """
    n_sites = out.shape[1]
    p_aligned = 0.5 * (1.0 + tanh_coupling)
    bonds = np.empty(n_sites, dtype=np.int8)
    for row in range(out.shape[0]):
        while True:
            parity = 1
            for i in range(n_sites):
                bonds[i] = 1 if _random(rng) < p_aligned else -1
                parity *= bonds[i]
            if parity == 1:
                break
        spin = 1 if _random(rng) < 0.5 else -1
        for i in range(n_sites):
            out[row, i] = spin
            spin *= bonds[i]
