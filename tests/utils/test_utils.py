import numpy as np
import pytest

from skrg.utils import binary_to_spins, check_spins, spawn_seeds


def test_binary_to_spins():
    out = binary_to_spins(np.array([[0, 1], [1, 1]], dtype=np.uint8))
    np.testing.assert_array_equal(out, [[-1, 1], [1, 1]])
    assert out.dtype == np.int8
    with pytest.raises(ValueError, match="only 0 and 1"):
        binary_to_spins([[0, 2]])


def test_check_spins_hard_and_soft():
    assert check_spins([[1.0, -1.0]]).dtype == np.int8
    soft = check_spins([[0.5, -1.0]], allow_soft=True)
    assert soft.dtype == np.float64
    with pytest.raises(ValueError, match="exactly -1 or \\+1"):
        check_spins([[0.5, -1.0]])
    with pytest.raises(ValueError, match=r"\[-1, 1\]"):
        check_spins([[2, -1]], allow_soft=True)
    with pytest.raises(ValueError, match="NaN"):
        check_spins([[np.nan, 1.0]], allow_soft=True)
    with pytest.raises(ValueError, match="2D"):
        check_spins([1, -1])
    with pytest.raises(TypeError, match="numeric"):
        check_spins([["a", "b"]])


def test_check_spins_warns_on_binary_data():
    with pytest.warns(UserWarning, match="binary_to_spins"):
        with pytest.raises(ValueError):
            check_spins([[0, 1], [1, 0]])


def test_spawn_seeds_depend_on_random_state_only():
    np.testing.assert_array_equal(spawn_seeds(3, 8), spawn_seeds(3, 8))
    assert not np.array_equal(spawn_seeds(3, 8), spawn_seeds(4, 8))
    # The first seeds do not change when more are asked for.
    np.testing.assert_array_equal(spawn_seeds(3, 8)[:4], spawn_seeds(3, 4))
    a = spawn_seeds(np.random.RandomState(1), 4)
    b = spawn_seeds(np.random.RandomState(1), 4)
    np.testing.assert_array_equal(a, b)
    with pytest.raises(ValueError, match="non-negative"):
        spawn_seeds(-1, 2)


def test_all_up_configurations_are_not_mistaken_for_binary_data():
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        check_spins(np.ones((3, 4), dtype=np.int8))


def test_check_spins_large_input_in_chunks():
    X = np.ones((3000, 1024), dtype=np.int8)
    X[0, 0] = -1
    X[2999, 5] = 0
    with pytest.raises(ValueError, match="exactly -1 or \\+1"):
        check_spins(X)
    X = np.ones((3000, 1024))
    X[2500, 3] = np.inf
    with pytest.raises(ValueError, match="NaN or infinite"):
        check_spins(X, allow_soft=True)
