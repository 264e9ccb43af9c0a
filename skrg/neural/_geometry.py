"""Lattice geometry of learned layers: local windows and hidden-unit assignment."""

import math

import numpy as np
from scipy.optimize import linear_sum_assignment

from ..lattice import Lattice, level_shapes, resolve_lattice_shape


def coarse_shape_for(lattice_shape, n_units):
    """Coarse lattice whose sites ``n_units`` hidden units can be, or None.

    The coarse lattice must come from one block step: ``n_units * b**d`` equals
    the number of sites for an integer ``b`` that divides every side.
    """
    if lattice_shape is None:
        return None
    n_sites = math.prod(lattice_shape)
    if n_sites % n_units:
        return None
    block = round((n_sites // n_units) ** (1.0 / len(lattice_shape)))
    for b in (block - 1, block, block + 1):
        if b >= 1 and b ** len(lattice_shape) * n_units == n_sites:
            if all(side % b == 0 for side in lattice_shape):
                return level_shapes(lattice_shape, b, 1)[1]
    return None


def layer_geometry(lattice_shape, n_features, n_units, block_size, *, needs_geometry,
                   units_name="n_components"):
    """Input lattice, coarse lattice and unit count of a learned layer.

    A layer that needs geometry (``needs_geometry``: local, or one unit per
    block asked for by ``n_units=None``) has one unit per block of
    ``block_size`` and must know its lattice. Any other layer keeps ``n_units``
    and has a coarse lattice only when ``n_units`` matches a one-step block
    lattice of a known input lattice (None otherwise).

    Returns
    -------
    lattice_shape : tuple of int or None
    coarse_lattice_shape : tuple of int or None
    n_units : int
    """
    try:
        shape = resolve_lattice_shape(lattice_shape, n_features)
    except ValueError:
        if needs_geometry or lattice_shape is not None:
            raise
        return None, None, n_units
    if not needs_geometry:
        return shape, coarse_shape_for(shape, n_units), n_units
    coarse = level_shapes(shape, block_size, 1)[1]
    n_blocks = math.prod(coarse)
    if n_units not in (None, n_blocks):
        raise ValueError(
            f"{units_name}={n_units} does not match the {n_blocks} blocks of "
            f"block_size={block_size} on the lattice {shape}; this layer has one unit per "
            f"block ({units_name}=None)."
        )
    return shape, coarse, n_blocks


def local_windows(lattice_shape, block_size, kernel_size):
    """Sites of every hidden unit's window, shape ``(n_blocks, kernel_size**d)``.

    Unit ``j`` sits on block ``j`` (C order of the coarse lattice); its window is
    the ``kernel_size``-wide cube centred on the block, wrapped on the torus, its
    sites listed in C order of the offset within the window.
    """
    lattice = Lattice(lattice_shape)
    if kernel_size < block_size or kernel_size > min(lattice.shape):
        raise ValueError(
            f"kernel_size={kernel_size} must be at least block_size={block_size} and at "
            f"most the smallest side of the lattice {lattice.shape}."
        )
    coarse = lattice.coarse_shape(block_size)
    corners = np.indices(coarse).reshape(len(coarse), -1).T * block_size
    start = corners - (kernel_size - block_size) // 2
    offsets = np.indices((kernel_size,) * lattice.ndim).reshape(lattice.ndim, -1).T
    coords = (start[:, None, :] + offsets[None, :, :]) % np.array(lattice.shape)
    return np.ravel_multi_index(tuple(np.moveaxis(coords, -1, 0)), lattice.shape)


def circular_centroids(weights, lattice_shape):
    """Centre of mass of every row of ``weights`` on the periodic lattice.

    Each axis is a circle, so the mean is the angle of the weighted mean of
    unit vectors (a plain mean of coordinates would put a field straddling the
    boundary in the middle of the lattice).

    Returns
    -------
    centroids : ndarray of shape (n_units, ndim), coordinates in [0, side)
    """
    coords = Lattice(lattice_shape).coordinates()
    mass = np.asarray(weights, dtype=np.float64) ** 2
    centroids = np.empty((mass.shape[0], len(lattice_shape)))
    for axis, side in enumerate(lattice_shape):
        angle = 2 * np.pi * coords[:, axis] / side
        mean_angle = np.arctan2(mass @ np.sin(angle), mass @ np.cos(angle))
        centroids[:, axis] = (mean_angle * side / (2 * np.pi)) % side
    return centroids


def assign_units_to_sites(weights, lattice_shape, coarse_shape):
    """Hidden unit on each coarse site, matching receptive-field centroids to block centres.

    Returns
    -------
    order : ndarray of shape (n_coarse_sites,)
        ``order[k]`` is the unit assigned to coarse site ``k``.
    """
    block = lattice_shape[0] // coarse_shape[0]
    centres = np.indices(coarse_shape).reshape(len(coarse_shape), -1).T * block + (block - 1) / 2
    centroids = circular_centroids(weights, lattice_shape)
    sides = np.array(lattice_shape, dtype=np.float64)
    delta = np.abs(centroids[:, None, :] - centres[None, :, :])
    delta = np.minimum(delta, sides - delta)
    units, sites = linear_sum_assignment((delta**2).sum(axis=2))
    order = np.empty(len(sites), dtype=np.int64)
    order[sites] = units
    return order


def orient_units(fields, lattice_shape, coarse_shape):
    """Sign that orients each unit along its own block: +1 or -1 per row of ``fields``.

    Flipping a spin unit together with its weights and bias changes nothing in
    the model, so each unit's sign is a gauge that training picks at random.
    Pooled statistics of the coarse lattice (correlations, couplings, mutual
    information) need one convention: a unit is oriented so that the sum of
    its weights on its own block (row ``a`` on block ``a`` of ``coarse_shape``)
    is non-negative, like the block spin it stands for; without a geometry,
    the sum of all its weights.

    Parameters
    ----------
    fields : ndarray of shape (n_units, n_sites)
        Weights in output order.
    lattice_shape, coarse_shape : tuple of int or None

    Returns
    -------
    signs : ndarray of shape (n_units,), float64, values ±1
    """
    fields = np.asarray(fields, dtype=np.float64)
    if lattice_shape is None or coarse_shape is None:
        totals = fields.sum(axis=1)
    else:
        block = lattice_shape[0] // coarse_shape[0]
        blocks = local_windows(lattice_shape, block, block)
        totals = np.take_along_axis(fields, blocks, axis=1).sum(axis=1)
    return np.where(totals < 0, -1.0, 1.0)
