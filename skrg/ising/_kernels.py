"""Numba kernels of the Ising samplers.

Every kernel is serial and releases the GIL. Randomness comes from an explicit
xoshiro256+ generator whose four-word state (``new_rng_state``) each chain owns
and passes to every call, so chains run in parallel under any joblib backend
and a chain's output depends only on its seed. It is about twice as fast as
numba's Mersenne Twister in the Metropolis loop, where drawing random numbers
is most of the work. Lattices enter as neighbour tables (see
:meth:`skrg.lattice.Lattice.neighbours`): column ``a < ndim`` is the ``+1``
neighbour along axis ``a``, so one code path serves 1D, 2D and 3D.

A chain kernel runs ``n_sweeps`` sweeps (recording bond sum, magnetization and
number of flipped spins of each sweep into ``trace`` while it has rows), then
fills ``out`` one row at a time, ``thin`` sweeps apart.
"""

import numpy as np
from numba import njit

METROPOLIS, WOLFF, SWENDSEN_WANG = 0, 1, 2

_U64_17 = np.uint64(17)
_U64_45 = np.uint64(45)
_U64_19 = np.uint64(19)
_U64_11 = np.uint64(11)
_TO_UNIT = 2.0**-53


def new_rng_state(seed):
    """Four-word xoshiro256+ state from an integer seed, via ``SeedSequence``."""
    state = np.random.SeedSequence(int(seed)).generate_state(4, dtype=np.uint64)
    if not state.any():  # the all-zero state is the generator's only fixed point
        state[0] = 1
    return state


@njit(nogil=True, cache=True, inline="always")
def _random(state):
    """Next uniform double in [0, 1) from xoshiro256+ (Blackman & Vigna), advancing ``state``."""
    s0, s1, s2, s3 = state[0], state[1], state[2], state[3]
    result = s0 + s3
    t = s1 << _U64_17
    s2 ^= s0
    s3 ^= s1
    s1 ^= s2
    s0 ^= s3
    s2 ^= t
    s3 = (s3 << _U64_45) | (s3 >> _U64_19)
    state[0], state[1], state[2], state[3] = s0, s1, s2, s3
    return (result >> _U64_11) * _TO_UNIT


@njit(nogil=True, cache=True)
def _bond_sum(spins, neighbours, ndim):
    total = 0
    for i in range(spins.shape[0]):
        s = spins[i]
        for a in range(ndim):
            total += s * spins[neighbours[i, a]]
    return total


@njit(nogil=True, cache=True)
def _metropolis_sweep(spins, neighbours, sublattices, acceptance, rng):
    """One checkerboard sweep: every site of colour 0, then every site of colour 1."""
    z = neighbours.shape[1]
    flipped = 0
    for colour in range(2):
        for i in sublattices[colour]:
            field = 0
            for k in range(z):
                field += spins[neighbours[i, k]]
            energy_index = spins[i] * field
            # A move that lowers the energy is always taken: no random number needed.
            if energy_index < 0 or _random(rng) < acceptance[(energy_index + z) // 2]:
                spins[i] = -spins[i]
                flipped += 1
    return flipped


@njit(nogil=True, cache=True)
def _wolff_update(spins, neighbours, p_add, stack, rng):
    """Grow and flip one Wolff cluster; return its size."""
    n_sites, z = neighbours.shape
    seed_site = int(_random(rng) * n_sites)
    sign = spins[seed_site]
    # Flipping a spin as it joins marks it as visited.
    spins[seed_site] = -sign
    stack[0] = seed_site
    top = 1
    size = 1
    while top > 0:
        top -= 1
        i = stack[top]
        for k in range(z):
            j = neighbours[i, k]
            if spins[j] == sign and _random(rng) < p_add:
                spins[j] = -sign
                stack[top] = j
                top += 1
                size += 1
    return size


@njit(nogil=True, cache=True)
def _find(parent, i):
    while parent[i] != i:
        parent[i] = parent[parent[i]]
        i = parent[i]
    return i


@njit(nogil=True, cache=True)
def _swendsen_wang_update(spins, neighbours, p_add, parent, cluster_flip, rng):
    """Activate bonds, label clusters by union-find, flip each cluster with probability 1/2."""
    n_sites = spins.shape[0]
    ndim = neighbours.shape[1] // 2
    for i in range(n_sites):
        parent[i] = i
        cluster_flip[i] = 0
    for i in range(n_sites):
        for a in range(ndim):
            j = neighbours[i, a]
            if spins[i] == spins[j] and _random(rng) < p_add:
                root_i = _find(parent, i)
                root_j = _find(parent, j)
                if root_i != root_j:
                    parent[max(root_i, root_j)] = min(root_i, root_j)
    flipped = 0
    for i in range(n_sites):
        root = _find(parent, i)
        if cluster_flip[root] == 0:
            cluster_flip[root] = 1 if _random(rng) < 0.5 else -1
        if cluster_flip[root] < 0:
            spins[i] = -spins[i]
            flipped += 1
    return flipped


@njit(nogil=True, cache=True)
def _sweep(algorithm, spins, neighbours, sublattices, acceptance, p_add, updates_per_sweep,
           workspace, cluster_flip, rng):
    if algorithm == METROPOLIS:
        return _metropolis_sweep(spins, neighbours, sublattices, acceptance, rng)
    if algorithm == WOLFF:
        flipped = 0
        for _ in range(updates_per_sweep):
            flipped += _wolff_update(spins, neighbours, p_add, workspace, rng)
        return flipped
    return _swendsen_wang_update(spins, neighbours, p_add, workspace, cluster_flip, rng)


@njit(nogil=True, cache=True)
def run_chain(algorithm, spins, neighbours, sublattices, beta, updates_per_sweep, n_sweeps,
              thin, out, trace, rng):
    """Advance one Markov chain in place and write samples into ``out``.

    Parameters
    ----------
    algorithm : int
        ``METROPOLIS``, ``WOLFF`` or ``SWENDSEN_WANG``.
    spins : int8 array of shape (n_sites,)
        Chain state, updated in place.
    neighbours : int32 array of shape (n_sites, 2 * ndim)
    sublattices : int32 array of shape (2, n_sites // 2)
        Checkerboard colours (Metropolis only; any array otherwise).
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
    ndim = z // 2
    acceptance = np.minimum(1.0, np.exp(-2.0 * beta * np.arange(-z, z + 1, 2)))
    if ndim == 1:
        # Checkerboard sweeps that always take a move costing no energy are not
        # ergodic in 1D: a domain wall then steps deterministically, every wall
        # the same way, and walls never meet. Any acceptance in (0, 1] keeps
        # detailed balance; 1/2 turns the wall motion into a random walk.
        acceptance[z // 2] = 0.5
    p_add = -np.expm1(-2.0 * beta)
    workspace = np.empty(n_sites, dtype=np.int32)
    cluster_flip = np.empty(n_sites, dtype=np.int8)
    for sweep in range(n_sweeps):
        flipped = _sweep(algorithm, spins, neighbours, sublattices, acceptance, p_add,
                         updates_per_sweep, workspace, cluster_flip, rng)
        if sweep < trace.shape[0]:
            trace[sweep, 0] = _bond_sum(spins, neighbours, ndim)
            trace[sweep, 1] = np.sum(spins.astype(np.int64))
            trace[sweep, 2] = flipped
    for row in range(out.shape[0]):
        for _ in range(thin):
            _sweep(algorithm, spins, neighbours, sublattices, acceptance, p_add,
                   updates_per_sweep, workspace, cluster_flip, rng)
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
