"""Swendsen's matching of two lattice sizes against Onsager's T_c."""

import math

import numpy as np
import pytest

from skrg import BernoulliRBM, BlockSpinRG, make_ising
from skrg.analysis import matching_critical_temperature
from skrg.ising.exact import critical_temperature

T_C = critical_temperature(2)
GRID = T_C * np.array([0.92, 0.95, 0.98, 1.01, 1.04, 1.07])


@pytest.fixture(scope="module")
def two_sizes():
    # 1000 Wolff samples at each of six temperatures within +-8% of T_c, on 32 x 32
    # and 16 x 16 lattices (independent runs).
    large = make_ising(1000, (32, 32), GRID, algorithm="wolff", random_state=2, n_jobs=2)
    small = make_ising(1000, (16, 16), GRID, algorithm="wolff", random_state=102, n_jobs=2)
    return large, small


def test_matching_finds_onsagers_tc(two_sizes):
    # Majority rule: level 2 of 32 x 32 against level 1 of 16 x 16, both 8 x 8. The
    # nearest-neighbour correlations cross at T_c: measured -0.57% (+-0.24%), and
    # +0.35%, -0.26%, -0.17% with other seeds (errors 0.2-0.35%). Bound: 1% of
    # Onsager's T_c (about 3 sigma, plus the interpolation bias of a grid 3% apart; a
    # grid 1% apart at 64/32 measured -0.1% +- 0.07%).
    (X_L, y_L), (X_S, y_S) = two_sizes
    T_c, T_c_std, curves = matching_critical_temperature(
        X_L, y_L, X_S, y_S, level=2, random_state=0, return_curves=True)
    assert abs(T_c / T_C - 1) < 0.01 and 0 < T_c_std < 0.01 * T_C
    np.testing.assert_array_equal(curves.temperatures, GRID)
    assert curves.coarse_lattice_shape == (8, 8)
    d = curves.correlation_large - curves.correlation_small
    d_std = np.hypot(curves.correlation_large_std, curves.correlation_small_std)
    # Below T_c the large lattice, one RG step further, is more ordered; above, less.
    assert d[0] > 4 * d_std[0] and d[-1] < -4 * d_std[-1]
    # The same numbers without the curves, and the same seed gives the same answer.
    assert matching_critical_temperature(X_L, y_L, X_S, y_S, random_state=0) == (T_c, T_c_std)


def test_matching_with_a_learned_local_coarse_grainer(two_sizes):
    # A local RBM is fitted once on the large lattice and moved to the small one (and
    # to every coarser level) with for_lattice: the same frozen kernel on both sides,
    # each unit oriented with its block. Measured -0.64% (+-0.26%), as majority rule;
    # bound 2%. (Decimation, by contrast, does not cross on this grid at all.)
    (X_L, y_L), (X_S, y_S) = two_sizes
    threadpoolctl = pytest.importorskip("threadpoolctl")
    rbm = BernoulliRBM(connectivity="local", n_iter=3, learning_rate=0.05, batch_size=50)
    with threadpoolctl.threadpool_limits(1, user_api="blas"):  # tiny matrices: see test_flow
        T_c, T_c_std = matching_critical_temperature(X_L, y_L, X_S, y_S, rbm, level=2,
                                                     random_state=0)
    assert abs(T_c / T_C - 1) < 0.02 and 0 < T_c_std < 0.01 * T_C
    T_c, _ = matching_critical_temperature(X_L, y_L, X_S, y_S, BlockSpinRG(rule="decimation"),
                                           random_state=0)
    assert math.isnan(T_c)


def test_matching_in_1d_is_nan():
    # The chain has no finite-temperature fixed point.
    X_L, y_L = make_ising(200, 64, [0.8, 1.0, 1.2], random_state=0)
    X_S, y_S = make_ising(200, 32, [0.8, 1.0, 1.2], random_state=1)
    T_c, T_c_std = matching_critical_temperature(
        X_L, y_L, X_S, y_S, BlockSpinRG(rule="decimation"), lattice_shapes=(64, 32),
        level=1, random_state=0)
    assert math.isnan(T_c) and math.isnan(T_c_std)


def test_matching_bad_input():
    X_L, y_L = make_ising(40, (16, 16), [2.0, 2.5], random_state=0)
    X_S, y_S = make_ising(40, (8, 8), [2.0, 2.5], random_state=1)
    X_4, y_4 = make_ising(40, (4, 4), [2.0, 2.5], random_state=1)
    kwargs = dict(n_jackknife_blocks=4, random_state=0)
    with pytest.raises(ValueError, match=r"Level 2 .*is \(4, 4\) but level 1 .*is \(2, 2\)"):
        matching_critical_temperature(X_L, y_L, X_4, y_4, **kwargs)
    with pytest.raises(ValueError, match="share at least two temperatures"):
        matching_critical_temperature(X_L, y_L, X_S, np.full(len(X_S), 2.2), **kwargs)
    with pytest.raises(ValueError, match="temperature 2 of X_large.*fewer than n_jackknife_blocks=50"):
        matching_critical_temperature(X_L, y_L, X_S, y_S, n_jackknife_blocks=50)
    with pytest.raises(ValueError, match="no for_lattice"):
        matching_critical_temperature(X_L, y_L, X_S, y_S, BernoulliRBM(n_iter=1), **kwargs)
    with pytest.raises(ValueError, match="X_small must hold spins exactly"):
        matching_critical_temperature(X_L, y_L, X_S * 0.5, y_S, **kwargs)
    with pytest.raises(ValueError, match="y_large has 79 values"):
        matching_critical_temperature(X_L, y_L[1:], X_S, y_S, **kwargs)
    with pytest.raises(ValueError, match="level must be an integer >= 1"):
        matching_critical_temperature(X_L, y_L, X_S, y_S, level=0, **kwargs)
    with pytest.raises(ValueError, match="lattice_shapes must give two shapes"):
        matching_critical_temperature(X_L, y_L, X_S, y_S, lattice_shapes=(None,), **kwargs)
