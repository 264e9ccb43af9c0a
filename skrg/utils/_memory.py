"""Refuse allocations no machine of this size could hold, before making them."""

import os


def _physical_memory():
    """Bytes of physical memory, or None where the platform does not say."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):  # no sysconf (Windows) or no such name
        return None


def _human(n_bytes):
    for unit in ("bytes", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if n_bytes < 1024 or unit == "PiB":
            return f"{n_bytes:.3g} {unit}"
        n_bytes /= 1024


def check_allocation(n_bytes, what, hint):
    """Raise ``ValueError`` if ``n_bytes`` exceed this machine's physical memory.

    numpy's own ``MemoryError`` comes only when the allocation fails, and on
    Linux an allocation below the size of memory plus swap succeeds and fails
    later, page by page, as it is filled (the out-of-memory killer). A request
    larger than physical memory is refused here, with the parameters to change.

    Parameters
    ----------
    n_bytes : int
        Size of what is about to be allocated.
    what : str
        What it is, for the message (e.g. ``"X (10**12 x 16 int8 spins)"``).
    hint : str
        What to change, for the message.

    Raises
    ------
    ValueError
        If ``n_bytes`` is more than the physical memory.

    Examples
    --------
    >>> from skrg.utils._memory import check_allocation
    >>> check_allocation(1024, "a small array", "nothing")
    >>> check_allocation(2**80, "X", "ask for fewer samples")
    Traceback (most recent call last):
    ...
    ValueError: X would take ... PiB, more than the ... of memory of this machine; ask for ...
    """
    memory = _physical_memory()
    if memory is not None and n_bytes > memory:
        raise ValueError(
            f"{what} would take {_human(n_bytes)}, more than the {_human(memory)} of "
            f"memory of this machine; {hint}."
        )
