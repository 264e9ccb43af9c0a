"""Seeds for independent Monte Carlo chains, a function of ``random_state`` alone."""

import numbers

import numpy as np
from sklearn.utils import check_random_state

from ._memory import check_allocation
from ._validation import check_int


def spawn_seeds(random_state, n_seeds):
    """Derive ``n_seeds`` independent 32-bit seeds from ``random_state``.

    The seeds depend only on ``random_state`` and their position, never on
    how the work is later split between jobs, so chain ``k`` gets the same seed
    whatever ``n_jobs`` is. An int seeds a :class:`numpy.random.SeedSequence`
    directly; a :class:`numpy.random.RandomState` (or None, meaning fresh
    entropy) first draws the entropy of that sequence.

    Parameters
    ----------
    random_state : int, RandomState instance or None
        The source of randomness.
    n_seeds : int
        Number of seeds to derive.

    Returns
    -------
    seeds : ndarray of shape (n_seeds,), dtype uint32

    Raises
    ------
    TypeError
        If ``n_seeds`` is not an int.
    ValueError
        If ``n_seeds`` is negative or more seeds than memory holds, or an int
        ``random_state`` is negative.

    Examples
    --------
    >>> from skrg.utils import spawn_seeds
    >>> a = spawn_seeds(0, 4)
    >>> bool((a == spawn_seeds(0, 4)).all()), len(set(a.tolist()))
    (True, 4)
    """
    n_seeds = check_int(n_seeds, "n_seeds")
    # A SeedSequence and its state take a few hundred bytes each.
    check_allocation(n_seeds * 512, f"{n_seeds} seed sequences", "ask for fewer n_seeds")
    if isinstance(random_state, numbers.Integral) and not isinstance(random_state, bool):
        if random_state < 0:
            raise ValueError(f"random_state must be non-negative, got {random_state}.")
        entropy = int(random_state)
    else:
        rng = check_random_state(random_state)
        entropy = [int(x) for x in rng.randint(0, 2**32, size=4, dtype=np.uint64)]
    children = np.random.SeedSequence(entropy).spawn(n_seeds)
    return np.array([c.generate_state(1, dtype=np.uint32)[0] for c in children], dtype=np.uint32)
