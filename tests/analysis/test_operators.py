"""Operator basis: every operator against explicit loops, local fields against flips."""

import itertools
import math

import numpy as np
import pytest

from skrg.analysis import (
    OPERATORS,
    check_operators,
    evaluate_operators,
    local_operator_fields,
    operator_names,
    operator_reach,
)

SHAPES = [(7,), (9,), (5, 5), (5, 6), (7, 5), (5, 5, 5), (5, 5, 6)]


def _naive_instances(name, shape):
    """Every instance of an operator as a list of sites, built from scratch.

    Apply every signed axis permutation to the pattern, place each image at
    every site, and keep each distinct set of sites once. On a lattice whose
    sides all exceed twice the reach, a set of sites determines its instance.
    (At exactly twice the reach the library, like skrg.lattice for a side of
    2, counts the two wrapped copies of a pattern separately: see
    test_wrapped_patterns_count_twice.)
    """
    ndim = len(shape)
    pattern = np.array(OPERATORS[name].patterns[ndim]).reshape(-1, ndim)
    seen = {}
    for perm in itertools.permutations(range(ndim)):
        for signs in itertools.product((1, -1), repeat=ndim):
            image = pattern[:, perm] * np.array(signs)
            for x in itertools.product(*(range(side) for side in shape)):
                coords = (image + np.array(x)) % np.array(shape)
                sites = np.ravel_multi_index(tuple(coords.T), shape).tolist()
                seen.setdefault(frozenset(sites), sites)
    return list(seen.values())


def _naive_sums(X, shape, names):
    out = np.zeros((len(X), len(names)))
    for a, name in enumerate(names):
        for sites in _naive_instances(name, shape):
            out[:, a] += np.prod(X[:, sites].astype(np.int64), axis=1)
    return out


@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_operators_match_explicit_loops(shape):
    rng = np.random.default_rng(sum(shape))
    X = rng.choice(np.array([-1, 1], dtype=np.int8), size=(7, math.prod(shape)))
    names = check_operators(None, shape)
    assert names == operator_names(len(shape))
    np.testing.assert_array_equal(evaluate_operators(X, shape, names), _naive_sums(X, shape, names))


def test_instance_counts_and_known_values():
    # All spins up: S_a = number of instances; nn = n_sites * ndim, as skrg.lattice counts.
    for shape in [(7,), (5, 6), (5, 5, 5)]:
        X = np.ones((1, math.prod(shape)), dtype=np.int8)
        S = evaluate_operators(X, shape)[0]
        counts = [len(_naive_instances(n, shape)) for n in operator_names(len(shape))]
        np.testing.assert_array_equal(S, counts)
        assert S[0] == math.prod(shape) * len(shape)
    # Neel state on 4x4: nn = -32, nnn = +32, plaquette = +16, m = 0.
    neel = ((np.indices((4, 4)).sum(axis=0) % 2) * 2 - 1).reshape(1, -1)
    np.testing.assert_array_equal(
        evaluate_operators(neel, (4, 4), ["nn", "nnn", "plaquette", "m"]), [[-32, 32, 16, 0]]
    )


def test_wrapped_patterns_count_twice():
    # On a side of exactly twice the reach, the instance at x and its image
    # wrapped around the torus are the same set of sites, counted twice (as a
    # side of 2 carries two nn bonds in skrg.lattice). Compare with the same
    # configuration tiled onto a lattice twice as large, where nothing wraps.
    rng = np.random.default_rng(4)
    for shape in [(6,), (4, 4), (4, 6), (4, 4, 4)]:
        X = rng.choice(np.array([-1, 1], dtype=np.int8), size=(5, math.prod(shape)))
        big = tuple(2 * s for s in shape)
        tiled = np.tile(X.reshape((-1,) + shape), (1,) + (2,) * len(shape)).reshape(5, -1)
        names = check_operators(None, shape)
        np.testing.assert_array_equal(
            2 ** len(shape) * evaluate_operators(X, shape, names),
            evaluate_operators(tiled, big, names),
        )


@pytest.mark.parametrize("shape", [(7,), (4, 5), (4, 4, 4)], ids=str)
def test_local_fields_match_explicit_flips(shape):
    rng = np.random.default_rng(1)
    n_sites = math.prod(shape)
    X = rng.choice(np.array([-1, 1], dtype=np.int8), size=(3, n_sites))
    names = check_operators(None, shape)
    fields = local_operator_fields(X, shape, names)
    assert fields.shape == (3, n_sites, len(names))
    S = evaluate_operators(X, shape, names)
    for i in range(n_sites):
        flipped = X.copy()
        flipped[:, i] *= -1
        change = evaluate_operators(flipped, shape, names) - S
        np.testing.assert_array_equal(change, -2 * X[:, [i]] * fields[:, i, :])


def test_local_fields_do_not_depend_on_the_spin_itself():
    rng = np.random.default_rng(2)
    X = rng.choice(np.array([-1, 1], dtype=np.int8), size=(2, 36))
    fields = local_operator_fields(X, (6, 6))
    flipped = X.copy()
    flipped[:, 7] *= -1
    np.testing.assert_array_equal(local_operator_fields(flipped, (6, 6))[:, 7], fields[:, 7])


def test_large_batches_are_chunked_consistently():
    rng = np.random.default_rng(3)
    X = rng.choice(np.array([-1, 1], dtype=np.int8), size=(1500, 1024))  # several chunks
    S = evaluate_operators(X, (32, 32), ["nn", "pair_21", "3spin"])
    np.testing.assert_array_equal(S[-5:], evaluate_operators(X[-5:], (32, 32), ["nn", "pair_21", "3spin"]))
    np.testing.assert_array_equal(S[:, 0], _naive_nn_2d(X, (32, 32)))


def _naive_nn_2d(X, shape):
    Y = X.reshape((-1,) + shape).astype(np.int64)
    return (Y * np.roll(Y, -1, 1) + Y * np.roll(Y, -1, 2)).sum(axis=(1, 2))


def test_sectors_and_reach():
    for ndim in (1, 2, 3):
        names = operator_names(ndim)
        assert names[0] == "nn"
        even, odd = operator_names(ndim, "even"), operator_names(ndim, "odd")
        assert names == even + odd and odd[0] == "m"
        for name in even:
            assert all(len(o) % 2 == 0 for o in OPERATORS[name].orientations(ndim))
        for name in odd:
            assert all(len(o) % 2 == 1 for o in OPERATORS[name].orientations(ndim))
    assert len(operator_names(2, "even")) >= 6 and len(operator_names(3, "even")) >= 6
    assert len(operator_names(2, "odd")) >= 3
    assert [operator_reach(n, 2) for n in ["nn", "nnn", "3nn", "plaquette", "pair_22", "m"]] == [
        1, 1, 2, 1, 2, 0]
    assert operator_reach("nnn", 1) == 2


def test_feature_codes_fit_in_int64():
    # estimate_couplings packs the per-site sums of all operators into one int64 key.
    for ndim in (1, 2, 3):
        radix = math.prod(2 * OPERATORS[n].multiplicity(ndim) + 1 for n in operator_names(ndim))
        assert radix < 2**62


def test_bad_input():
    X = np.ones((2, 16), dtype=np.int8)
    with pytest.raises(ValueError, match="Unknown operator 'bogus'.*valid names are nn"):
        evaluate_operators(X, (4, 4), ["nn", "bogus"])
    with pytest.raises(ValueError, match="Unknown operator 'plaquette'.*1D"):
        evaluate_operators(X, (16,), ["plaquette"])
    with pytest.raises(ValueError, match="'3nn' reaches 2.*at least 4.*too small"):
        evaluate_operators(np.ones((2, 12), dtype=np.int8), (3, 4), ["3nn"])
    with pytest.raises(ValueError, match="must not repeat"):
        evaluate_operators(X, (4, 4), ["nn", "nn"])
    with pytest.raises(ValueError, match="at least one operator"):
        evaluate_operators(X, (4, 4), [])
    with pytest.raises(ValueError, match="exactly -1 or \\+1"):
        evaluate_operators(X * 0.5, (4, 4), ["nn"])
    with pytest.raises(ValueError, match="has 9 sites"):
        local_operator_fields(X, (3, 3), ["nn"])
    with pytest.raises(ValueError, match="ndim must be 1, 2 or 3"):
        operator_names(4)
    with pytest.raises(ValueError, match="sector must be"):
        operator_names(2, "both")
