"""``make_ising``: equilibrium Ising configurations from independent Markov chains."""

import itertools
import math
import numbers
import warnings

import numpy as np
from sklearn.utils._param_validation import Interval, StrOptions, validate_params
from sklearn.utils.parallel import Parallel, delayed

from ..lattice import Lattice, check_lattice_shape
from ..utils import spawn_seeds
from ..utils._memory import check_allocation
from . import _kernels
from . import exact
from .observables import integrated_autocorrelation_time

__all__ = ["make_ising"]

_ALGORITHM_CODES = {
    "metropolis": _kernels.METROPOLIS,
    "wolff": _kernels.WOLFF,
    "swendsen_wang": _kernels.SWENDSEN_WANG,
}
# "auto" uses a cluster algorithm up to this multiple of T_c, where single-spin
# dynamics slows down critically, and Metropolis above it, where clusters are
# small and a sweep of single flips is cheaper.
_AUTO_CLUSTER_UP_TO = 1.25
_DEFAULT_CHAINS = 4
# Burn-in and pilot lengths in sweeps, (minimum burn-in, first pilot, pilot cap).
_PILOT_SWEEPS = {
    "metropolis": (100, 1_000, 64_000),
    "wolff": (20, 200, 12_800),
    "swendsen_wang": (20, 200, 12_800),
}
# A pilot is long enough once it spans this many autocorrelation times; the
# burn-in spans at least _BURN_IN_TAUS of them.
_PILOT_TAUS = 50
_BURN_IN_TAUS = 20


def _check_temperatures(temperature):
    """Return the temperatures as a 1D float64 array, or raise a clear error."""
    values = np.atleast_1d(np.asarray(temperature))
    if values.ndim != 1 or values.size == 0:
        raise ValueError(
            "temperature must be a positive float or a non-empty 1D sequence of "
            f"them, got {temperature!r}."
        )
    if values.dtype.kind not in "iuf":
        raise TypeError(f"temperature must be numeric, got {temperature!r}.")
    values = values.astype(np.float64)
    bad = ~np.isfinite(values) | (values <= 0)
    if bad.any():
        raise ValueError(
            f"temperature must be positive and finite (J = k_B = 1), got {values[bad][0]!r}."
        )
    return values


def _choose_algorithm(algorithm, shape, temperature):
    """Resolve ``"auto"`` for one temperature and check the algorithm fits the lattice."""
    dim = len(shape)
    odd = any(side % 2 for side in shape)
    if algorithm == "auto":
        if dim == 1:
            return "exact"
        near_or_below = temperature <= _AUTO_CLUSTER_UP_TO * exact.critical_temperature(dim)
        return "wolff" if near_or_below or odd else "metropolis"
    if algorithm == "exact" and dim != 1:
        raise ValueError(
            f"algorithm='exact' samples the 1D chain only, got lattice_shape={shape}; "
            "use 'auto', 'wolff', 'swendsen_wang' or 'metropolis'."
        )
    if algorithm == "metropolis" and odd:
        raise ValueError(
            f"algorithm='metropolis' updates a checkerboard, which needs even sides on "
            f"a periodic lattice, got lattice_shape={shape}; use even sides or "
            "algorithm='wolff'."
        )
    return algorithm


def _chain_sizes(n_samples, n_chains):
    base, extra = divmod(n_samples, n_chains)
    return [base + (c < extra) for c in range(n_chains)]


class _Chain:
    """One Markov chain: its spins, its generator state and the lattice tables."""

    def __init__(self, algorithm, shape, temperature, seed):
        lattice = Lattice(shape)
        self.algorithm = algorithm
        self.code = _ALGORITHM_CODES[algorithm]
        self.n_sites = lattice.n_sites
        self.beta = 1.0 / temperature
        self.neighbours = lattice.neighbours()
        self.rows = _kernels.lattice_rows(lattice)
        self.updates_per_sweep = 1
        self.mean_cluster_size = np.nan
        self.sweeps_done = 0
        self.rng = _kernels.new_rng_state(seed)
        if temperature < exact.critical_temperature(lattice.ndim):
            # Ordered start: below T_c it equilibrates far faster than a random one.
            self.spins = np.ones(self.n_sites, dtype=np.int8)
        else:
            self.spins = _kernels.random_spins(self.n_sites, self.rng)

    def run(self, n_sweeps, *, thin=1, out=None, n_trace=0):
        """Run ``n_sweeps`` sweeps, then fill ``out``; return the trace of the sweeps."""
        out = np.empty((0, self.n_sites), np.int8) if out is None else out
        trace = np.empty((min(n_trace, n_sweeps), 3), dtype=np.int64)
        _kernels.run_chain(
            self.code, self.spins, self.neighbours, *self.rows, self.beta,
            self.updates_per_sweep, n_sweeps, thin, out, trace, self.rng,
        )
        self.sweeps_done += n_sweeps
        return trace

    def measure_cluster_size(self):
        """Fix a Wolff sweep to N / <C> cluster updates, <C> measured at this point.

        The sweep length is frozen before any sample is taken: thinning by a
        state-dependent rule such as "until N spins have flipped" biases the
        samples toward order. Burn-in and measurement are counted in flipped
        spins, 50 N each, not in clusters: from a random start near T_c the
        first clusters are tiny, and a number of updates fixed from them would
        grow thousands of the large clusters that follow. (At T_c on 256 x 256,
        <C> settles after about 30 N flipped spins, and 50 N measure it to
        about 10%.)
        """
        flips = 50 * self.n_sites
        _kernels.wolff_flips(self.spins, self.neighbours, self.beta, flips, self.rng)
        updates, flipped = _kernels.wolff_flips(
            self.spins, self.neighbours, self.beta, flips, self.rng
        )
        self.mean_cluster_size = flipped / updates
        self.updates_per_sweep = max(1, round(self.n_sites / self.mean_cluster_size))

    def pilot(self):
        """Autocorrelation time in sweeps, from a pilot run of at least 50 of them."""
        _, first, cap = _PILOT_SWEEPS[self.algorithm]
        traces = [self.run(first, n_trace=first)]
        while True:
            trace = np.concatenate(traces)
            tau = max(
                integrated_autocorrelation_time(trace[:, 0]),
                integrated_autocorrelation_time(np.abs(trace[:, 1])),
            )
            if len(trace) >= _PILOT_TAUS * tau or len(trace) >= cap:
                break
            traces.append(self.run(len(trace), n_trace=len(trace)))
        if len(trace) < _PILOT_TAUS * tau:
            warnings.warn(
                f"{self.algorithm} at T={1 / self.beta:.4g}: the autocorrelation time "
                f"({tau:.0f} sweeps) could not be measured within {cap} pilot sweeps; "
                "the default burn_in and thin are likely too short. Pass them "
                "explicitly or use a cluster algorithm.",
                UserWarning,
                stacklevel=4,
            )
        return tau


class _Destination:
    """The output array, as seen by a chain that runs in this process.

    It pickles to an empty destination, so a chain sent to another process (a
    process-based joblib backend) fills a block of its own and returns it,
    while a chain in this process (threads, or ``n_jobs=1``) writes straight
    into its rows of the output and no block is ever copied.
    """

    def __init__(self, X=None):
        self.X = X

    def __reduce__(self):
        return (_Destination, ())


def _sample_chain(algorithm, shape, temperature, rows, burn_in, thin, seed, destination):
    """Sample the configurations ``rows`` (a slice) from one chain.

    Returns the block of samples (None if written into ``destination``) and a
    summary of the run.
    """
    n_rows = rows.stop - rows.start
    if destination.X is None:
        out = block = np.empty((n_rows, math.prod(shape)), dtype=np.int8)
    else:
        out, block = destination.X[rows], None
    if algorithm == "exact":
        rng = _kernels.new_rng_state(seed)
        _kernels.exact_chain_samples(out, math.tanh(1.0 / temperature), rng)
        return block, dict(burn_in=0, thin=0, tau=1.0, updates_per_sweep=0, cluster=np.nan)
    chain = _Chain(algorithm, shape, temperature, seed)
    if algorithm == "wolff":
        chain.measure_cluster_size()
    tau = np.nan
    extra = 0
    if burn_in is not None:
        chain.run(burn_in)
    if burn_in is None or thin is None:
        if burn_in is None:
            chain.run(_PILOT_SWEEPS[algorithm][0])
        tau = chain.pilot()
        if burn_in is None:
            extra = max(0, math.ceil(_BURN_IN_TAUS * tau) - chain.sweeps_done)
        if thin is None:
            thin = math.ceil(tau)
    chain.run(extra, thin=thin, out=out)
    summary = dict(
        burn_in=chain.sweeps_done, thin=thin, tau=tau,
        updates_per_sweep=chain.updates_per_sweep, cluster=chain.mean_cluster_size,
    )
    return block, summary


@validate_params(
    {
        "n_samples": [Interval(numbers.Integral, 1, None, closed="left")],
        "lattice_shape": ["array-like", Interval(numbers.Integral, 1, None, closed="left")],
        "temperature": ["array-like", Interval(numbers.Real, 0, None, closed="neither")],
        "algorithm": [StrOptions({"auto", "metropolis", "wolff", "swendsen_wang", "exact"})],
        "n_chains": [Interval(numbers.Integral, 1, None, closed="left"), None],
        "burn_in": [Interval(numbers.Integral, 0, None, closed="left"), None],
        "thin": [Interval(numbers.Integral, 1, None, closed="left"), None],
        "random_state": ["random_state"],
        "n_jobs": [numbers.Integral, None],
        "return_info": ["boolean"],
    },
    prefer_skip_nested_validation=True,
)
def make_ising(
    n_samples,
    lattice_shape,
    temperature,
    *,
    algorithm="auto",
    n_chains=None,
    burn_in=None,
    thin=None,
    random_state=None,
    n_jobs=None,
    return_info=False,
):
    """Generate equilibrium configurations of the ferromagnetic Ising model.

    Periodic hypercubic lattice, J = 1, zero field, H = -sum_<ij> s_i s_j. Each
    temperature is sampled by ``n_chains`` independent Markov chains (or, in 1D,
    by the exact sampler), all run in parallel with joblib; the result depends
    on ``random_state`` alone, bit for bit, whatever ``n_jobs`` or backend.

    Parameters
    ----------
    n_samples : int
        Configurations per temperature.
    lattice_shape : int or tuple of int
        Sides of the lattice, 1 to 3 of them, each at least 2 (an int is a chain).
    temperature : float or array-like of float
        One or more temperatures, each positive (T_c of the square lattice is
        ``skrg.ising.exact.critical_temperature(2)``, about 2.269).
    algorithm : {"auto", "metropolis", "wolff", "swendsen_wang", "exact"}, default="auto"
        ``"metropolis"``: checkerboard single-spin Metropolis (even sides;
        every sample is also globally flipped with probability 1/2, an exact
        move that restores the symmetry of the ordered phase).
        ``"wolff"``: single-cluster updates; a sweep is ``N / <C>`` cluster
        updates, with the mean cluster size ``<C>`` measured during burn-in and
        then frozen. ``"swendsen_wang"``: a sweep is one update of all clusters.
        ``"exact"`` (1D only): independent samples of the periodic chain, no
        Markov chain at all. ``"auto"`` takes ``"exact"`` in 1D, ``"wolff"`` at
        or below 1.25 T_c (and on odd sides) and ``"metropolis"`` above.
    n_chains : int, default=None
        Independent chains per temperature; samples are split evenly between
        them. None means ``min(4, n_samples)``. This, not ``n_jobs``, decides
        the result.
    burn_in : int, default=None
        Sweeps discarded before the first sample. None measures the integrated
        autocorrelation time ``tau`` of the energy and ``|m|`` on a pilot run
        (at least 50 tau long, see below) and discards at least ``20 tau``
        sweeps in all, pilot included.
    thin : int, default=None
        Sweeps between stored samples, fixed in advance. None means
        ``ceil(tau)`` from the pilot, about one independent sample per row.
        The pilot starts with 1,000 sweeps for Metropolis and 200 for cluster
        algorithms, and doubles until it spans 50 tau, at most 64,000 and
        12,800 sweeps (a warning says when that was not enough; Metropolis
        near T_c on large lattices needs explicit values or a cluster
        algorithm).
    random_state : int, RandomState instance or None, default=None
        Seeds every chain through :class:`numpy.random.SeedSequence`.
    n_jobs : int, default=None
        Chains run in parallel with joblib (threads unless a
        ``joblib.parallel_config`` backend says otherwise). None means 1,
        -1 all cores.
    return_info : bool, default=False
        Also return a dict describing how each chain ran.

    Returns
    -------
    X : ndarray of shape (n_temperatures * n_samples, n_sites), dtype int8
        Spins -1/+1, one configuration per row (lattice flattened in C order),
        temperature after temperature in the order given.
    y : ndarray of shape (n_temperatures * n_samples,), dtype float64
        The temperature of each row.
    info : dict, only if ``return_info``
        ``"temperature"`` (n_temperatures,), ``"algorithm"`` (list of str, the
        resolved algorithm per temperature), and arrays of shape
        (n_temperatures, n_chains): ``"burn_in"`` and ``"thin"`` (sweeps),
        ``"autocorrelation_time"`` (sweeps, NaN where not measured),
        ``"updates_per_sweep"`` and ``"mean_cluster_size"`` (Wolff).

    Raises
    ------
    ValueError
        On a non-positive temperature or ``n_samples``, a side smaller than 2,
        an unknown algorithm, ``"exact"`` outside 1D, odd sides with
        ``"metropolis"``, or an ``X`` larger than the machine's physical
        memory; all before any sampling starts.
    TypeError
        If ``n_samples`` or a side of ``lattice_shape`` is not an integer, or
        ``temperature`` is not numeric.

    See Also
    --------
    skrg.ising.exact : Exact results the samples are tested against.
    skrg.ising.observables : Energy, magnetization and error estimates.

    Examples
    --------
    >>> from skrg import make_ising
    >>> X, y = make_ising(100, (16, 16), [1.5, 3.5], random_state=0)
    >>> X.shape, X.dtype, sorted(set(y.tolist()))
    ((200, 256), dtype('int8'), [1.5, 3.5])
    >>> from skrg.ising.observables import magnetization
    >>> m = magnetization(X, absolute=True)
    >>> bool(m[:100].mean() > 0.95 and m[100:].mean() < 0.3)   # ordered, then disordered
    True
    """
    if isinstance(n_samples, bool):
        raise TypeError(f"n_samples must be an int, got n_samples={n_samples!r}.")
    shape = check_lattice_shape(lattice_shape)
    if min(shape) < 2:
        raise ValueError(
            f"lattice_shape sides must be at least 2 for sampling, got {shape}."
        )
    temperatures = _check_temperatures(temperature)
    n_sites = math.prod(shape)
    # X, and each chain's spins and neighbour table (int32, 2 * ndim per site).
    check_allocation(
        len(temperatures) * n_samples * n_sites + n_sites * (1 + 8 * len(shape)),
        f"make_ising's {len(temperatures) * n_samples} x {n_sites} spins",
        "ask for fewer n_samples, fewer temperatures or a smaller lattice_shape",
    )
    algorithms = [_choose_algorithm(algorithm, shape, t) for t in temperatures]
    n_chains = min(_DEFAULT_CHAINS, n_samples) if n_chains is None else min(n_chains, n_samples)
    sizes = _chain_sizes(n_samples, n_chains)
    seeds = spawn_seeds(random_state, len(temperatures) * n_chains).reshape(-1, n_chains)

    X = np.empty((len(temperatures) * n_samples, math.prod(shape)), dtype=np.int8)
    destination = _Destination(X)
    bounds = list(itertools.accumulate(sizes * len(temperatures), initial=0))
    rows = [slice(start, stop) for start, stop in zip(bounds, bounds[1:])]
    tasks = (
        delayed(_sample_chain)(alg, shape, t, rows[k * n_chains + c], burn_in, thin,
                               seeds[k, c], destination)
        for k, (alg, t) in enumerate(zip(algorithms, temperatures))
        for c in range(n_chains)
    )
    summaries = []
    # Chains in this process write into X; a block comes back only from another
    # process, and is copied and freed as it arrives, so memory stays near X's size.
    results = Parallel(n_jobs=n_jobs, prefer="threads", return_as="generator")(tasks)
    for chain_rows, (block, summary) in zip(rows, results):
        if block is not None:
            X[chain_rows] = block
        summaries.append(summary)
    y = np.repeat(temperatures, n_samples)
    if not return_info:
        return X, y
    return X, y, _info(temperatures, algorithms, summaries, n_chains)


def _info(temperatures, algorithms, summaries, n_chains):
    def field(key, dtype):
        return np.array([s[key] for s in summaries], dtype=dtype).reshape(-1, n_chains)

    return {
        "temperature": temperatures,
        "algorithm": algorithms,
        "burn_in": field("burn_in", np.int64),
        "thin": field("thin", np.int64),
        "autocorrelation_time": field("tau", np.float64),
        "updates_per_sweep": field("updates_per_sweep", np.int64),
        "mean_cluster_size": field("cluster", np.float64),
    }
