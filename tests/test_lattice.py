import numpy as np
import pytest

from skrg.lattice import Lattice, check_lattice_shape, resolve_lattice_shape


@pytest.mark.parametrize("shape", [(6,), (4, 6), (2, 4, 6), (3, 5)])
def test_neighbours_match_coordinates(shape):
    lattice = Lattice(shape)
    coords = lattice.coordinates()
    table = lattice.neighbours()
    assert table.shape == (lattice.n_sites, 2 * lattice.ndim)
    assert table.dtype == np.int32
    for axis in range(lattice.ndim):
        step = np.zeros(lattice.ndim, dtype=int)
        step[axis] = 1
        forward = np.ravel_multi_index(((coords + step) % shape).T, shape)
        backward = np.ravel_multi_index(((coords - step) % shape).T, shape)
        np.testing.assert_array_equal(table[:, axis], forward)
        np.testing.assert_array_equal(table[:, lattice.ndim + axis], backward)


def test_every_bond_listed_once_by_forward_columns():
    lattice = Lattice((4, 6))
    forward = lattice.neighbours()[:, :2]
    bonds = {tuple(sorted((i, j))) for i, row in enumerate(forward) for j in row}
    assert len(bonds) == lattice.n_sites * lattice.ndim


@pytest.mark.parametrize("shape", [(8,), (4, 6), (2, 4, 6)])
def test_sublattices_are_a_checkerboard(shape):
    lattice = Lattice(shape)
    colours = lattice.sublattices()
    assert colours.shape == (2, lattice.n_sites // 2)
    np.testing.assert_array_equal(np.sort(colours.ravel()), np.arange(lattice.n_sites))
    table = lattice.neighbours()
    for colour in colours:
        # No site of a colour is the neighbour of another site of the same colour.
        assert not np.isin(table[colour], colour).any()


def test_sublattices_need_even_sides():
    with pytest.raises(ValueError, match="even sides"):
        Lattice((5, 4)).sublattices()


@pytest.mark.parametrize(
    "shape, block, expected_first",
    [((8,), 2, [0, 1]), ((4, 4), 2, [0, 1, 4, 5]), ((4, 6), (2, 3), [0, 1, 2, 6, 7, 8])],
)
def test_block_map(shape, block, expected_first):
    lattice = Lattice(shape)
    blocks = lattice.block_map(block)
    np.testing.assert_array_equal(blocks[0], expected_first)
    # Every site in exactly one block, blocks in C order of the coarse lattice.
    np.testing.assert_array_equal(np.sort(blocks.ravel()), np.arange(lattice.n_sites))
    coarse = lattice.coarse_shape(block)
    assert blocks.shape[0] == np.prod(coarse)
    corner = np.array(np.unravel_index(blocks[:, 0], shape)).T
    block = np.broadcast_to(block, (lattice.ndim,))
    expected = np.indices(coarse).reshape(lattice.ndim, -1).T * block
    np.testing.assert_array_equal(corner, expected)


def test_block_map_3d_against_loop():
    lattice = Lattice((4, 2, 6))
    blocks = lattice.block_map(2)
    coords = lattice.coordinates()
    for members in blocks:
        assert len({tuple(c) for c in coords[members] // 2}) == 1


@pytest.mark.parametrize("block", [3, (2, 5), 0, -2, (2,), 2.0])
def test_bad_block_size(block):
    with pytest.raises(ValueError, match="block_size"):
        Lattice((4, 4)).block_map(block)


def test_check_lattice_shape():
    assert check_lattice_shape(5) == (5,)
    assert check_lattice_shape(np.array([4, 4])) == (4, 4)
    with pytest.raises(ValueError, match="positive"):
        check_lattice_shape((0, 4))
    with pytest.raises(ValueError, match="positive"):
        check_lattice_shape((-4, 4))
    with pytest.raises(ValueError, match="1, 2 or 3 sides"):
        check_lattice_shape((2, 2, 2, 2))
    with pytest.raises(ValueError, match="1, 2 or 3 sides"):
        check_lattice_shape(())
    with pytest.raises(TypeError, match="integers"):
        check_lattice_shape((4.5, 4))
    with pytest.raises(TypeError, match="int or a sequence"):
        check_lattice_shape(None)


def test_resolve_lattice_shape():
    assert resolve_lattice_shape(None, 256) == (16, 16)
    assert resolve_lattice_shape((4, 4, 4), 64) == (4, 4, 4)
    # A chain is never guessed, even when the length is a perfect square.
    assert resolve_lattice_shape(64, 64) == (64,)
    with pytest.raises(ValueError, match="perfect square"):
        resolve_lattice_shape(None, 32)
    with pytest.raises(ValueError, match=r"\(4, 4\) has 16 sites but the data has 32"):
        resolve_lattice_shape((4, 4), 32)


def test_level_shapes():
    from skrg.lattice import level_shapes

    assert level_shapes((12,), 3, 1) == ((12,), (4,))
    assert level_shapes((8, 8, 8), 2, 2) == ((8, 8, 8), (4, 4, 4), (2, 2, 2))
    with pytest.raises(ValueError, match="block_size=3 must divide every side"):
        level_shapes((8, 8), 3, 1)
    with pytest.raises(ValueError, match=r"too small for n_steps=4.*after 3 steps"):
        level_shapes((8, 8), 2, 4)
