"""Periodic hypercubic lattices: shapes, neighbour tables, sublattices and block maps.

A configuration is one row of ``X``, the lattice flattened in C order, so site
``i`` of a lattice of shape ``(L0, L1)`` sits at ``(i // L1, i % L1)``. Every
lattice is periodic. The Hamiltonian convention used throughout skrg counts the
bond from each site to its ``+1`` neighbour along every axis, ``n_sites * ndim``
bonds in all (a side of 2 therefore carries two bonds between the same pair of
sites, exactly as the formula ``-sum_i sum_a s_i s_{i + e_a}`` says).
"""

import math
import numbers
from functools import lru_cache

import numpy as np

__all__ = ["Lattice", "check_lattice_shape", "level_shapes", "resolve_lattice_shape"]

MAX_DIM = 3


def check_lattice_shape(lattice_shape, *, name="lattice_shape"):
    """Validate a lattice shape and return it as a tuple of Python ints.

    Parameters
    ----------
    lattice_shape : int or sequence of int
        Side lengths, one per axis (1, 2 or 3 axes). An int means a 1D chain.
    name : str, default="lattice_shape"
        Parameter name used in error messages.

    Returns
    -------
    shape : tuple of int

    Raises
    ------
    TypeError
        If a side is not an integer.
    ValueError
        If there are no axes or more than three, or a side is smaller than 1.

    Examples
    --------
    >>> from skrg.lattice import check_lattice_shape
    >>> check_lattice_shape([16, 16])
    (16, 16)
    >>> check_lattice_shape(32)
    (32,)
    """
    if isinstance(lattice_shape, numbers.Integral) and not isinstance(lattice_shape, bool):
        lattice_shape = (lattice_shape,)
    try:
        if isinstance(lattice_shape, (set, frozenset, dict)):  # no order, so no shape
            raise TypeError
        sides = tuple(lattice_shape)
    except TypeError:
        raise TypeError(
            f"{name} must be an int or a sequence of ints, got {lattice_shape!r}."
        ) from None
    if not 1 <= len(sides) <= MAX_DIM:
        raise ValueError(
            f"{name} must have 1, 2 or 3 sides (a chain, a square or a cubic "
            f"lattice), got {lattice_shape!r}."
        )
    for side in sides:
        if isinstance(side, bool) or not isinstance(side, numbers.Integral):
            raise TypeError(f"{name} sides must be integers, got {lattice_shape!r}.")
        if side < 1:
            raise ValueError(
                f"{name} sides must be positive integers, got {lattice_shape!r}."
            )
    return tuple(int(side) for side in sides)


def resolve_lattice_shape(lattice_shape, n_sites, *, name="lattice_shape"):
    """Return the lattice shape for rows of ``n_sites`` spins.

    ``None`` means a square 2D lattice when ``n_sites`` is a perfect square. A
    chain or a cubic lattice is never guessed: every even power of two is a
    perfect square, so guessing would silently turn a chain of 64 sites into an
    8x8 square.

    Parameters
    ----------
    lattice_shape : None, int or sequence of int
        The shape given by the user.
    n_sites : int
        Number of spins in one configuration (the width of ``X``).
    name : str, default="lattice_shape"
        Parameter name used in error messages.

    Returns
    -------
    shape : tuple of int

    Raises
    ------
    ValueError
        If ``lattice_shape`` is None and ``n_sites`` is not a perfect square, or
        the product of the sides differs from ``n_sites``.

    Examples
    --------
    >>> from skrg.lattice import resolve_lattice_shape
    >>> resolve_lattice_shape(None, 64)
    (8, 8)
    >>> resolve_lattice_shape((64,), 64)
    (64,)
    """
    n_sites = int(n_sites)
    if lattice_shape is None:
        side = math.isqrt(max(n_sites, 0))
        if n_sites < 1 or side * side != n_sites:
            raise ValueError(
                f"{name}=None means a square 2D lattice, but {n_sites} sites is not a "
                f"perfect square; pass {name} explicitly, e.g. ({n_sites},) for a chain."
            )
        return (side, side)
    shape = check_lattice_shape(lattice_shape, name=name)
    if math.prod(shape) != n_sites:
        raise ValueError(
            f"{name}={shape} has {math.prod(shape)} sites but the data has "
            f"{n_sites} features; they must match."
        )
    return shape


def level_shapes(lattice_shape, block_size, n_steps):
    """Lattice shape at every level of ``n_steps`` block transformations.

    Parameters
    ----------
    lattice_shape : tuple of int
        Shape of the finest lattice.
    block_size : int
        Side of a block, the scale factor of one step.
    n_steps : int
        Number of steps.

    Returns
    -------
    shapes : tuple of tuple of int
        ``n_steps + 1`` shapes, from ``lattice_shape`` to the coarsest.

    Raises
    ------
    ValueError
        If ``block_size`` is not a positive int or does not divide a side of
        ``lattice_shape``, ``n_steps`` is not a non-negative int, or the
        lattice becomes too small for the requested number of steps.

    Examples
    --------
    >>> from skrg.lattice import level_shapes
    >>> level_shapes((16, 16), 2, 3)
    ((16, 16), (8, 8), (4, 4), (2, 2))
    """
    shapes = [check_lattice_shape(lattice_shape)]
    for name, value, low in (("block_size", block_size, 1), ("n_steps", n_steps, 0)):
        if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < low:
            raise ValueError(f"{name} must be an int >= {low}, got {name}={value!r}.")
    for step in range(n_steps):
        if any(side % block_size for side in shapes[-1]):
            if step == 0:
                raise ValueError(
                    f"block_size={block_size} must divide every side of the lattice "
                    f"{shapes[0]}."
                )
            raise ValueError(
                f"lattice_shape {shapes[0]} is too small for n_steps={n_steps} with "
                f"block_size={block_size}: after {step} steps the lattice is "
                f"{shapes[-1]}, which block_size={block_size} does not divide."
            )
        shapes.append(tuple(side // block_size for side in shapes[-1]))
    return tuple(shapes)


def _check_block_size(block_size, ndim):
    """Return the block size as a tuple of ints, one per axis."""
    if isinstance(block_size, numbers.Integral) and not isinstance(block_size, bool):
        block_size = (int(block_size),) * ndim
    block = tuple(block_size) if np.iterable(block_size) else (block_size,)
    if len(block) != ndim or any(
        isinstance(b, bool) or not isinstance(b, numbers.Integral) or b < 1 for b in block
    ):
        raise ValueError(
            f"block_size must be a positive int or {ndim} positive ints, got {block_size!r}."
        )
    return tuple(int(b) for b in block)


class Lattice:
    """A periodic hypercubic lattice in 1, 2 or 3 dimensions.

    Parameters
    ----------
    shape : int or sequence of int
        Side lengths. An int means a 1D chain.

    Attributes
    ----------
    shape : tuple of int
        The validated side lengths.
    ndim : int
        Number of axes.
    n_sites : int
        Number of sites, the product of the sides.

    Examples
    --------
    >>> from skrg.lattice import Lattice
    >>> lattice = Lattice((4, 4))
    >>> lattice.n_sites, lattice.ndim
    (16, 2)
    >>> lattice.neighbours()[0]          # +x, +y, -x, -y neighbours of site 0
    array([ 4,  1, 12,  3], dtype=int32)
    >>> lattice.coarse_shape(2)
    (2, 2)
    """

    def __init__(self, shape):
        self.shape = check_lattice_shape(shape, name="shape")

    @property
    def ndim(self):
        return len(self.shape)

    @property
    def n_sites(self):
        return math.prod(self.shape)

    def __repr__(self):
        return f"Lattice({self.shape})"

    def __eq__(self, other):
        return isinstance(other, Lattice) and other.shape == self.shape

    def __hash__(self):
        return hash(self.shape)

    def coordinates(self):
        """Integer coordinates of every site, shape ``(n_sites, ndim)``."""
        return _coordinates(self.shape).copy()

    def neighbours(self):
        """Nearest-neighbour table of shape ``(n_sites, 2 * ndim)``, int32.

        Column ``a`` holds the ``+1`` neighbour along axis ``a`` and column
        ``ndim + a`` the ``-1`` neighbour, so ``neighbours()[:, :ndim]`` lists
        every bond exactly once.
        """
        return _neighbours(self.shape).copy()

    def parity(self):
        """Checkerboard colour of every site (sum of coordinates mod 2), int8."""
        return (_coordinates(self.shape).sum(axis=1) % 2).astype(np.int8)

    def sublattices(self):
        """Sites of the two checkerboard sublattices, shape ``(2, n_sites // 2)``.

        Raises
        ------
        ValueError
            If a side is odd: a periodic lattice with an odd side is not
            bipartite, so a checkerboard update would update neighbours at once.
        """
        if any(side % 2 for side in self.shape):
            raise ValueError(
                f"A checkerboard needs even sides on a periodic lattice, got "
                f"lattice_shape={self.shape}; use even sides or a cluster algorithm."
            )
        parity = self.parity()
        return np.stack([np.flatnonzero(parity == colour) for colour in (0, 1)]).astype(
            np.int32
        )

    def check_block_size(self, block_size):
        """Return ``block_size`` as a tuple, checking that it divides every side.

        Raises
        ------
        ValueError
            If a block side is not a positive integer or does not divide the
            corresponding lattice side.
        """
        block = _check_block_size(block_size, self.ndim)
        if any(side % b for side, b in zip(self.shape, block)):
            raise ValueError(
                f"block_size={block_size!r} must divide every side of the lattice "
                f"{self.shape}."
            )
        return block

    def coarse_shape(self, block_size):
        """Shape of the lattice after one block transformation with ``block_size``."""
        block = self.check_block_size(block_size)
        return tuple(side // b for side, b in zip(self.shape, block))

    def block_map(self, block_size):
        """Sites of every block, shape ``(n_blocks, sites_per_block)``, int32.

        Blocks are numbered in C order on the coarse lattice and the sites of a
        block in C order within the block, so column 0 is the block's corner
        (the spin kept by decimation).
        """
        block = self.check_block_size(block_size)
        coarse = self.coarse_shape(block)
        _check_int32_sites(self.shape)
        index = np.arange(self.n_sites, dtype=np.int32).reshape(self.shape)
        # Split every axis into (coarse, within-block) and bring the block axes last.
        split = index.reshape(tuple(x for c, b in zip(coarse, block) for x in (c, b)))
        order = tuple(range(0, 2 * self.ndim, 2)) + tuple(range(1, 2 * self.ndim, 2))
        return split.transpose(order).reshape(math.prod(coarse), math.prod(block)).copy()


@lru_cache(maxsize=64)
def _coordinates(shape):
    coords = np.indices(shape).reshape(len(shape), -1).T
    coords.setflags(write=False)
    return coords


def _check_int32_sites(shape):
    # Site tables (and the kernels reading them) index sites with int32.
    if math.prod(shape) > np.iinfo(np.int32).max:
        raise ValueError(
            f"lattice_shape={shape} has {math.prod(shape)} sites, more than the "
            f"{np.iinfo(np.int32).max} that int32 site tables can index."
        )


@lru_cache(maxsize=64)
def _neighbours(shape):
    _check_int32_sites(shape)
    ndim = len(shape)
    index = np.arange(math.prod(shape), dtype=np.int32).reshape(shape)
    columns = [np.roll(index, -1, axis=a).ravel() for a in range(ndim)]
    columns += [np.roll(index, 1, axis=a).ravel() for a in range(ndim)]
    table = np.ascontiguousarray(np.stack(columns, axis=1), dtype=np.int32)
    table.setflags(write=False)
    return table
