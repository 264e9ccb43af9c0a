"""Tests of skrg.BernoulliRBM against exact enumeration, physics and the sklearn contract.

Every check here can fail: exact identities are compared with float64 tolerances,
statistical ones in standard errors (with fixed seeds, stated in each test).
Enumeration uses the convention of ``_states``: state index ``s`` has unit ``i``
up (+1, or 1 for binary units) when bit ``i`` of ``s`` is set.
"""

import numpy as np
import pytest
from scipy.special import expit, logsumexp
from scipy.stats import chisquare
from sklearn.utils import gen_batches

from skrg import BernoulliRBM, make_ising
from skrg.neural._geometry import circular_centroids

# ----------------------------------------------------------------- helpers


def _states(n, units="spin"):
    """All 2**n configurations of n units, row s has bit i of s in column i."""
    bits = ((np.arange(2**n)[:, None] >> np.arange(n)) & 1).astype(np.float64)
    return 2 * bits - 1 if units == "spin" else bits


def _state_index(X):
    """Index (as in ``_states``) of each row of spins or binary units."""
    return ((np.asarray(X) > 0) * (1 << np.arange(X.shape[1]))).sum(axis=1)


def _set_parameters(rbm, W, b, c):
    """Overwrite the weights and biases of a fitted RBM in place."""
    rbm.components_[...] = W
    rbm.intercept_visible_[...] = b
    rbm.intercept_hidden_[...] = c


def _random_rbm(n_visible, n_hidden, *, units="spin", scale=0.8, seed=0, **params):
    """A float64 RBM initialised by ``fit`` with ``n_iter=0``, then given random parameters."""
    rng = np.random.default_rng(seed)
    X = _states(n_visible, units)[rng.integers(0, 2**n_visible, size=10)]
    rbm = BernoulliRBM(n_hidden, units=units, n_iter=0, dtype="float64", random_state=seed,
                       **params)
    rbm.fit(X)
    W = rng.normal(0, scale, (n_hidden, n_visible))
    b = rng.normal(0, 0.3, n_visible)
    c = rng.normal(0, 0.3, n_hidden)
    _set_parameters(rbm, W, b, c)
    return rbm, W, b, c


def _joint_log_probabilities(W, b, c, units="spin"):
    """log p(v, h) on the grid (hidden state, visible state), by brute force."""
    V, H = _states(W.shape[1], units), _states(W.shape[0], units)
    minus_energy = H @ W @ V.T + (V @ b)[None, :] + (H @ c)[:, None]
    return minus_energy - logsumexp(minus_energy), V, H


def _block_weights(lattice_side, block, unit_block, rng, noise=0.0):
    """Dense weights: unit u covers block ``unit_block[u]`` (C order), random magnitudes."""
    n_coarse = lattice_side // block
    coords = np.indices((lattice_side, lattice_side)).reshape(2, -1).T
    site_block = (coords[:, 0] // block) * n_coarse + coords[:, 1] // block
    W = noise * rng.standard_normal((len(unit_block), lattice_side**2))
    for u, k in enumerate(unit_block):
        W[u, site_block == k] = rng.uniform(0.5, 1.2)
    return W


def _refresh_hidden_order(rbm, X):
    """Let the estimator recompute ``hidden_order_`` for hand-set weights.

    A ``partial_fit`` step with learning rate 1e-300 and no momentum: the
    weights change by ~1e-300 (nothing in float64 next to weights of order 1),
    and the step recomputes the assignment of units to coarse sites.
    """
    rbm.set_params(learning_rate=1e-300, momentum=0.0)
    rbm.partial_fit(X)
    return rbm


# ------------------------------------------------------------- 1. gradients


def _exact_gradient(W, b, c, X):
    """Exact gradient of the mean log-likelihood: <.>_data - <.>_model by enumeration."""
    log_p, V, H = _joint_log_probabilities(W, b, c)
    p = np.exp(log_p)
    h_data = np.tanh(X @ W.T + c)  # E[h | v] for each data row
    grad_W = h_data.T @ X / len(X) - H.T @ p @ V
    grad_b = X.mean(axis=0) - p.sum(axis=0) @ V
    grad_c = h_data.mean(axis=0) - p.sum(axis=1) @ H
    return grad_W, grad_b, grad_c


def test_exact_gradient_matches_finite_differences_of_log_likelihood():
    # 6 visible, 3 hidden spins, float64, W ~ N(0, 0.8): the enumerated
    # gradient agrees with central differences (eps=1e-5) of the mean
    # log_likelihood to rtol 1e-6 (atol 1e-8 for components near zero).
    rbm, W, b, c = _random_rbm(6, 3, seed=0)
    X = _states(6)[np.random.default_rng(1).integers(0, 64, size=40)]
    exact = _exact_gradient(W, b, c, X)
    eps = 1e-5
    for which, value in enumerate((W, b, c)):
        finite = np.zeros_like(value)
        for index in np.ndindex(value.shape):
            shifted = []
            for sign in (1, -1):
                params = [W.copy(), b.copy(), c.copy()]
                params[which][index] += sign * eps
                _set_parameters(rbm, *params)
                shifted.append(rbm.log_likelihood(X).mean())
            finite[index] = (shifted[0] - shifted[1]) / (2 * eps)
        np.testing.assert_allclose(finite, exact[which], rtol=1e-6, atol=1e-8)
        assert np.abs(exact[which]).max() > 1e-2  # not a vacuous comparison


class _GradientProbe:
    """Reads the update direction of ``BernoulliRBM._step`` through ``partial_fit``.

    With momentum 0, no weight decay and learning rate 1, one step moves every
    parameter by exactly the gradient estimate; the parameters are then put
    back, so the model stays fixed while (for PCD) the chains keep running.
    """

    def __init__(self, rbm, W, b, c):
        self.rbm, self.W, self.b, self.c = rbm, W, b, c
        rbm.set_params(momentum=0.0, learning_rate=1.0, l1=0.0, l2=0.0)

    def __call__(self, X):
        rbm = self.rbm
        _set_parameters(rbm, self.W, self.b, self.c)
        rbm.partial_fit(X)
        step = np.concatenate([
            (rbm.components_ - self.W).ravel(),
            rbm.intercept_visible_ - self.b,
            rbm.intercept_hidden_ - self.c,
        ])
        _set_parameters(rbm, self.W, self.b, self.c)
        return step


def _gibbs_transition(W, b, c):
    """Visible-to-visible transition matrix of one Gibbs step v -> h -> v' (spins)."""
    V, H = _states(W.shape[1]), _states(W.shape[0])
    p_h_given_v = np.prod(expit(2 * H[None] * (V @ W.T + c)[:, None]), axis=2)
    p_v_given_h = np.prod(expit(2 * V[None] * (H @ W + b)[:, None]), axis=2)
    return p_h_given_v @ p_v_given_h


def test_cd_and_pcd_gradient_estimates_converge_to_exact_gradient():
    # Model: 6 visible, 3 hidden, W ~ N(0, 0.8) (second Gibbs eigenvalue 0.83,
    # so CD-1 is strongly biased); data: 2000 rows with P(+1) = 0.8 per site,
    # far from the model.
    rbm, W, b, c = _random_rbm(6, 3, seed=0, persistent=False, batch_size=2000)
    X = np.where(np.random.default_rng(5).random((2000, 6)) < 0.8, 1.0, -1.0)
    exact = np.concatenate([g.ravel() for g in _exact_gradient(W, b, c, X)])

    # What CD-k estimates on average, exactly: chains start at the data
    # (distribution q0) and take k Gibbs steps, q_k = q0 T^k.
    V = _states(6)
    F = np.tanh(V @ W.T + c)
    h_data = np.tanh(X @ W.T + c)
    data_term = np.concatenate([(h_data.T @ X / len(X)).ravel(), X.mean(0), h_data.mean(0)])

    def model_term(q):
        return np.concatenate([((F * q[:, None]).T @ V).ravel(), q @ V, q @ F])

    T = _gibbs_transition(W, b, c)
    q0 = np.bincount(_state_index(X), minlength=64) / len(X)
    probe = _GradientProbe(rbm, W, b, c)
    n_repeats = 60
    mse = {}
    for k in (1, 10):
        rbm.set_params(n_gibbs_steps=k)
        estimates = np.array([probe(X) for _ in range(n_repeats)])
        # The step computes the CD-k formula: its mean over 60 repeats is the
        # exact CD-k expectation within 5 standard errors (every component).
        expected = data_term - model_term(q0 @ np.linalg.matrix_power(T, k))
        se = estimates.std(axis=0, ddof=1) / np.sqrt(n_repeats)
        assert np.all(np.abs(estimates.mean(axis=0) - expected) < 5 * se + 1e-12)
        errors = ((estimates - exact) ** 2).sum(axis=1)
        mse[k] = (errors.mean(), errors.std(ddof=1) / np.sqrt(n_repeats))
    # The mean squared error to the exact gradient falls from k=1 to k=10, by
    # more than 5 standard errors of the difference (measured about 0.24 -> 0.015).
    difference = mse[1][0] - mse[10][0]
    assert difference > 5 * np.hypot(mse[1][1], mse[10][1])
    assert mse[10][0] < 0.25 * mse[1][0]

    # PCD-1 with 20,000 persistent chains (independent of the 2000-row batch):
    # after 60 steps with the model held fixed, each component of the estimate
    # is within 5 standard errors (per-chain spread / sqrt(20,000)) of the
    # exact gradient. The first step, one Gibbs sweep from uniform chains, is
    # far off (measured max |z| ~ 40; ~1.8 after 60 steps), so this also shows
    # that the chains persist.
    pcd, *_ = _random_rbm(6, 3, seed=0, persistent=True, n_chains=20_000, batch_size=2000)
    probe = _GradientProbe(pcd, W, b, c)
    z_max = []
    for step in range(60):
        estimate = probe(X)
        if step in (0, 59):
            chains = pcd.chains_
            h = np.tanh(chains @ W.T + c)
            per_chain = np.hstack([(h[:, :, None] * chains[:, None, :]).reshape(len(chains), -1),
                                   chains, h])
            se = per_chain.std(axis=0, ddof=1) / np.sqrt(len(chains))
            z_max.append(np.max(np.abs(estimate - exact) / se))
    assert z_max[0] > 20
    assert z_max[1] < 5


# -------------------------------------------------------------- 2. learning


def test_learns_periodic_chain_to_small_kl():
    # Periodic chain of 8 spins at K = 0.6, 4000 exact samples. Settings:
    # spin units, n_components=8 (one per bond can represent the chain exactly),
    # n_iter=50 epochs, batch_size=100, learning_rate=0.05, momentum=0.5,
    # PCD-5 (persistent, n_gibbs_steps=5, 100 chains), float64, random_state=0.
    # KL(p_chain || model) is exact by enumeration of the 256 states and must be
    # below 10% of the KL of the best independent-spin model, the uniform
    # distribution (8 ln 2 - H(p_chain) = 1.254). Measured: 3.4%.
    n, K = 8, 0.6
    V = _states(n)
    log_weight = K * (V * np.roll(V, -1, axis=1)).sum(axis=1)
    log_p = log_weight - logsumexp(log_weight)
    p = np.exp(log_p)
    kl_uniform = n * np.log(2) + (p * log_p).sum()
    assert kl_uniform == pytest.approx(1.2536, abs=1e-4)

    X, _ = make_ising(4000, n, 1 / K, algorithm="exact", random_state=0)
    rbm = BernoulliRBM(
        8, n_iter=50, batch_size=100, learning_rate=0.05, momentum=0.5,
        n_gibbs_steps=5, persistent=True, dtype="float64", random_state=0,
    )
    untrained = rbm.set_params(n_iter=0).fit(X)
    kl_untrained = (p * (log_p - untrained.log_likelihood(V))).sum()
    assert kl_untrained > 0.9 * kl_uniform  # weights 0.01: about uniform

    rbm.set_params(n_iter=50).fit(X)
    kl = (p * (log_p - rbm.log_likelihood(V))).sum()
    assert 0 <= kl < 0.1 * kl_uniform


# -------------------------------------------------------------- 3. locality


def _circular_spread(W, lattice_shape):
    """Weighted circular variance of each row on the torus, averaged over axes.

    Per axis of side L: 1 - |Σ_i w_i² exp(2πi x_i / L)| / Σ_i w_i², in [0, 1];
    0 for a field on one site, about 1 for weight spread evenly.
    """
    coords = np.indices(lattice_shape).reshape(len(lattice_shape), -1).T
    mass = np.asarray(W, dtype=np.float64) ** 2
    spread = np.zeros(len(mass))
    for axis, side in enumerate(lattice_shape):
        phase = np.exp(2j * np.pi * coords[:, axis] / side)
        spread += 1 - np.abs(mass @ phase) / mass.sum(axis=1)
    return spread / len(lattice_shape)


def test_circular_spread_building_blocks():
    # The spread measure and circular_centroids on hand-made fields: a 2x2
    # block straddling the corner of the 16x16 torus has spread 1 - cos(pi/16)
    # (per axis, two sites 2pi/16 apart) and is centred on the corner (15.5,
    # 15.5); uniform weights have spread 1.
    W = np.zeros((2, 256))
    field = np.zeros((16, 16))
    field[[15, 15, 0, 0], [15, 0, 15, 0]] = 1
    W[0] = field.ravel()
    W[1] = 1.0
    spread = _circular_spread(W, (16, 16))
    assert spread[0] == pytest.approx(1 - np.cos(np.pi / 16), abs=1e-12)
    assert spread[1] == pytest.approx(1.0, abs=1e-12)
    centroid = circular_centroids(W[:1], (16, 16))[0]
    np.testing.assert_allclose(np.minimum(np.abs(centroid - 15.5), 16 - np.abs(centroid - 15.5)),
                               0, atol=1e-9)


def test_l1_rbm_receptive_fields_are_local_on_2d_ising():
    # Mehta & Schwab's K = 0.408 on a 16x16 torus, 3000 samples (make_ising,
    # random_state=0); dense spin RBM with n_components=None (64 units, one per
    # 2x2 block), L1 = 2e-4, 20 epochs, batch 100, learning rate 0.01, PCD-1.
    # Each unit's spread (weighted circular variance, weights W²) is compared
    # with the same unit's weights permuted at random over the sites: the mean
    # per-unit reduction of the spread exceeds 5 standard errors over units
    # (measured ~16) and the trained fields are more compact on average.
    X, _ = make_ising(3000, (16, 16), 1 / 0.408, random_state=0)
    rbm = BernoulliRBM(n_iter=20, batch_size=100, learning_rate=0.01, l1=2e-4,
                       random_state=0).fit(X)
    W = rbm.components_.astype(np.float64)
    assert W.shape == (64, 256)
    rng = np.random.default_rng(1)
    shuffled = np.array([rng.permutation(w) for w in W])
    spread = _circular_spread(W, (16, 16))
    control = _circular_spread(shuffled, (16, 16))
    gain = control - spread
    assert gain.mean() > 5 * gain.std(ddof=1) / np.sqrt(len(gain))
    assert spread.mean() < 0.8 * control.mean()
    # The geometry found for the units is a permutation of the 64 coarse sites.
    assert rbm.coarse_lattice_shape_ == (8, 8)
    np.testing.assert_array_equal(np.sort(rbm.hidden_order_), np.arange(64))


# ------------------------------------------------------ 4. hidden Hamiltonian


def test_hidden_hamiltonian_is_exact_marginal_in_output_order():
    # 4x4 visible spins, dense, n_components=None: 4 hidden units on a 2x2 coarse
    # lattice. Weights are 2x2 blocks (plus noise 0.05) in a scrambled unit
    # order, so hidden_order_ is a 3-cycle, not the identity nor its own inverse.
    # H_RBM(h) = -log Σ_v exp(-E(v, h)) by enumeration of the 2^16 visible
    # states; it equals hidden_hamiltonian exactly (atol 1e-10), in particular
    # up to a constant.
    rng = np.random.default_rng(3)
    X = np.where(rng.random((20, 16)) < 0.5, 1, -1)
    rbm = BernoulliRBM(n_iter=0, dtype="float64", random_state=0).fit(X)
    unit_block = np.array([1, 2, 0, 3])
    W = _block_weights(4, 2, unit_block, rng, noise=0.05)
    b = rng.normal(0, 0.3, 16)
    c = np.array([-0.7, 0.1, 0.5, 1.1])
    _set_parameters(rbm, W, b, c)
    _refresh_hidden_order(rbm, X)
    order = rbm.hidden_order_
    np.testing.assert_array_equal(order, np.argsort(unit_block))
    assert not np.array_equal(order[order], np.arange(4))

    V = _states(16)
    H_out = _states(4)  # in output order
    H_train = np.empty_like(H_out)
    H_train[:, order] = H_out  # output column k is unit order[k]
    W_, b_, c_ = rbm.components_, rbm.intercept_visible_, rbm.intercept_hidden_
    minus_energy = H_train @ W_ @ V.T + (V @ b_)[None, :] + (H_train @ c_)[:, None]
    expected = -logsumexp(minus_energy, axis=1)
    got = rbm.hidden_hamiltonian(H_out)
    assert np.ptp(got - expected) < 1e-10  # up to a constant
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-10)  # and exactly
    assert np.ptp(expected) > 1  # the h's differ


# ---------------------------------------------------------------- 5. sample


def test_sample_reproduces_enumerated_distribution():
    # 4 visible, 3 hidden spins, W ~ N(0, 1): 40,000 chains of 50 Gibbs steps
    # (random_state=0). Counts over the 16 states vs exp(log_likelihood):
    # chi-square p > 1e-3. A model of the wrong sign of W gets p ~ 0.
    rbm, W, b, c = _random_rbm(4, 3, scale=1.0, seed=2)
    V = _states(4)
    p = np.exp(rbm.log_likelihood(V))
    samples = rbm.sample(40_000, n_steps=50, random_state=0)
    assert samples.dtype == np.int8 and set(np.unique(samples)) <= {-1, 1}
    counts = np.bincount(_state_index(samples), minlength=16)
    assert chisquare(counts, p * len(samples)).pvalue > 1e-3
    # Power: the same counts reject a nearby wrong model.
    _set_parameters(rbm, -W, b, c)
    wrong = np.exp(rbm.log_likelihood(V))
    assert chisquare(counts, wrong * len(samples)).pvalue < 1e-6


# ------------------------------------------------------------- 6. streaming


def _schedule(step):
    return 0.05 / (1 + 0.1 * step)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("persistent", [True, False])
def test_partial_fit_on_fit_batches_reproduces_fit(dtype, persistent):
    # 4x4 spins, 100 rows, batches of 30 (the last one 10), 3 epochs, momentum
    # 0.5, L1 and L2, a learning-rate schedule, PCD-2 or CD-2: bitwise equal.
    X, _ = make_ising(100, (4, 4), 2.5, random_state=1)
    params = dict(n_iter=3, batch_size=30, shuffle=False, momentum=0.5, l1=1e-3, l2=1e-3,
                  learning_rate=_schedule, n_gibbs_steps=2, persistent=persistent,
                  dtype=dtype, random_state=7)
    fitted = BernoulliRBM(**params).fit(X)
    streamed = BernoulliRBM(**params)
    for _ in range(params["n_iter"]):
        for batch in gen_batches(len(X), params["batch_size"]):
            streamed.partial_fit(X[batch])
    assert fitted.n_steps_ == streamed.n_steps_ == 3 * 4
    for name in ("components_", "intercept_visible_", "intercept_hidden_", "chains_",
                 "hidden_order_"):
        got, expected = getattr(streamed, name), getattr(fitted, name)
        assert got.dtype == expected.dtype
        np.testing.assert_array_equal(got, expected, err_msg=name)
    assert fitted.components_.dtype == np.dtype(dtype)
    assert np.abs(fitted.components_).max() > 0.02  # it did train


# ------------------------------------------- 7. normalisation and partition


@pytest.mark.parametrize("units", ["spin", "binary"])
@pytest.mark.parametrize("n_visible, n_hidden", [(6, 3), (4, 7)])
def test_log_likelihood_normalised_and_log_partition_exact(units, n_visible, n_hidden):
    # (6, 3) enumerates the hidden layer, (4, 7) the visible one. The
    # probabilities of all 2^n_visible states sum to 1 (|logsumexp| < 1e-12),
    # and log_partition equals a brute-force sum over all (v, h) (atol 1e-10).
    rbm, W, b, c = _random_rbm(n_visible, n_hidden, units=units, scale=1.0, seed=4)
    V = _states(n_visible, units)
    assert abs(logsumexp(rbm.log_likelihood(V))) < 1e-12
    _, Vs, Hs = _joint_log_probabilities(W, b, c, units)
    minus_energy = Hs @ W @ Vs.T + (Vs @ b)[None, :] + (Hs @ c)[:, None]
    assert rbm.log_partition() == pytest.approx(logsumexp(minus_energy), abs=1e-10)


@pytest.mark.parametrize("units", ["spin", "binary"])
def test_ais_log_partition_within_its_standard_error(units):
    # 12 visible, 5 hidden, W ~ N(0, 0.5): AIS with 200 runs of 1000
    # temperatures (random_state=0) agrees with the exact log Z within 5 of its
    # own standard errors; the error is informative (0 < error < 0.1).
    rbm, *_ = _random_rbm(12, 5, units=units, scale=0.5, seed=6)
    exact = rbm.log_partition()
    estimate, error = rbm.ais_log_partition(n_chains=200, n_betas=1000, random_state=0)
    assert 0 < error < 0.1
    assert abs(estimate - exact) < 5 * error


def test_exact_likelihood_refuses_big_layers():
    # 21 visible and 21 hidden: no layer can be enumerated.
    X = np.where(np.random.default_rng(0).random((10, 21)) < 0.5, 1, -1)
    rbm = BernoulliRBM(21, n_iter=0, random_state=0).fit(X)
    with pytest.raises(ValueError, match=r"at most 20 units.*21 visible, 21 hidden"):
        rbm.log_partition()
    with pytest.raises(ValueError, match=r"ais_log_partition"):
        rbm.log_likelihood(X)
    log_z, error = rbm.ais_log_partition(n_chains=10, n_betas=10, random_state=0)
    assert np.isfinite(log_z) and np.isfinite(error)


# ---------------------------------------------------- 8. pseudo-likelihood


@pytest.mark.parametrize("units", ["spin", "binary"])
def test_score_samples_is_brute_force_pseudo_log_likelihood(units):
    # 7 visible, 4 hidden, 25 random rows: Σ_i log p(v_i | v_rest) from
    # free_energy of each row and of the row with site i flipped (rtol 1e-12),
    # and the same from exact log_likelihood (atol 1e-10); score is its mean per site.
    rbm, *_ = _random_rbm(7, 4, units=units, scale=1.0, seed=8)
    X = _states(7, units)[np.random.default_rng(9).integers(0, 128, size=25)]
    F = rbm.free_energy(X)
    log_l = rbm.log_likelihood(X)
    by_free_energy = np.zeros(len(X))
    by_likelihood = np.zeros(len(X))
    for i in range(7):
        flipped = X.copy()
        flipped[:, i] = -X[:, i] if units == "spin" else 1 - X[:, i]
        F_flip = rbm.free_energy(flipped)
        by_free_energy += -F - np.logaddexp(-F, -F_flip)
        by_likelihood += log_l - np.logaddexp(log_l, rbm.log_likelihood(flipped))
    got = rbm.score_samples(X)
    np.testing.assert_allclose(got, by_free_energy, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(got, by_likelihood, rtol=0, atol=1e-10)
    assert np.all(got < 0)
    assert rbm.score(X) == pytest.approx(got.mean() / 7, rel=1e-12)


# ------------------------------------------------------------- 9. transform


def _ordered_block_rbm(units="spin", output="mean", seed=11):
    """4x4 dense RBM, 4 units on 2x2 blocks in scrambled order, distinct hidden biases."""
    rng = np.random.default_rng(seed)
    if units == "spin":
        X = np.where(rng.random((20, 16)) < 0.5, 1.0, -1.0)
    else:
        X = (rng.random((20, 16)) < 0.5).astype(np.float64)
    rbm = BernoulliRBM(units=units, output=output, n_iter=0, dtype="float64",
                       random_state=seed).fit(X)
    unit_block = np.array([2, 0, 3, 1])
    W = 0.4 * _block_weights(4, 2, unit_block, rng, noise=0.05)
    b = rng.normal(0, 0.3, 16)
    c = np.array([-1.0, -0.3, 0.4, 1.2])
    _set_parameters(rbm, W, b, c)
    _refresh_hidden_order(rbm, X)
    assert not np.array_equal(rbm.hidden_order_, np.arange(4))
    np.testing.assert_array_equal(rbm.hidden_order_, np.argsort(unit_block))
    return rbm, X


@pytest.mark.parametrize("units", ["spin", "binary"])
def test_transform_mean_and_inverse_transform_in_output_order(units):
    # mean = tanh (spin) or sigmoid (binary) of X Wᵀ + c, columns permuted by
    # hidden_order_; inverse_transform(H) = act(H W + b) with H in output
    # order (column k belongs to unit hidden_order_[k]). rtol 1e-12.
    rbm, X = _ordered_block_rbm(units)
    activation = np.tanh if units == "spin" else expit
    W, b, c = rbm.components_, rbm.intercept_visible_, rbm.intercept_hidden_
    order = rbm.hidden_order_
    mean = rbm.transform(X)
    assert mean.dtype == np.float64
    np.testing.assert_allclose(mean, activation(X @ W.T + c)[:, order], rtol=1e-12, atol=1e-15)
    H = _states(4, units)
    H_train = np.empty_like(H)
    H_train[:, order] = H
    expected = activation(H_train @ W + b)
    np.testing.assert_allclose(rbm.inverse_transform(H), expected, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(expected, activation(H @ W[order] + b), rtol=1e-12)
    np.testing.assert_array_equal(rbm.receptive_fields(), W[order])


@pytest.mark.parametrize("units, dtype", [("spin", np.float64), ("binary", np.float64),
                                          ("binary", np.float32)])
def test_transform_spins_frequencies_match_mean(units, dtype):
    # 20,000 distinct rows with the same p(h | v): soft input (0.3 everywhere
    # for spin, 0.6 for binary) plus a different tiny offset per row (|.| <
    # 1e-6, moving the means by < 1e-5). The frequency of the up state in
    # each output column matches (1 + mean) / 2 (spin) or mean (binary) within
    # 5 standard errors sqrt(p (1 - p) / n); the hidden biases make the four
    # columns differ by ~30 standard errors, so a wrong order is caught.
    rbm, _ = _ordered_block_rbm(units, output="spins")
    n = 20_000
    rng = np.random.default_rng(12)
    base = 0.3 if units == "spin" else 0.6
    X = (base + 1e-6 * rng.uniform(-1, 1, (n, 16))).astype(dtype)
    assert len(np.unique(X, axis=0)) == n
    spins = rbm.transform(X)
    assert spins.dtype == np.int8
    mean = rbm.set_params(output="mean").transform(X[:1])[0]
    p_up = (1 + mean) / 2 if units == "spin" else mean
    up = 1
    frequency = (spins == up).mean(axis=0)
    se = np.sqrt(p_up * (1 - p_up) / n)
    assert np.all(np.abs(frequency - p_up) < 5 * se), (frequency, p_up)
    assert np.ptp(p_up) > 30 * se.max()


# -------------------------------------------------------------- 10. geometry


def test_dense_layer_geometry_and_hidden_order():
    X, _ = make_ising(300, (8, 8), 2.5, random_state=2)
    rbm = BernoulliRBM(16, n_iter=3, dtype="float64", random_state=0).fit(X)
    assert rbm.coarse_lattice_shape_ == (4, 4)
    np.testing.assert_array_equal(np.sort(rbm.hidden_order_), np.arange(16))
    assert not hasattr(rbm, "for_lattice")

    # Exact 2x2 blocks in a scrambled unit order: the order is recovered.
    rng = np.random.default_rng(4)
    unit_block = rng.permutation(16)
    _set_parameters(rbm, _block_weights(8, 2, unit_block, rng), np.zeros(64), np.zeros(16))
    _refresh_hidden_order(rbm, X)
    np.testing.assert_array_equal(rbm.hidden_order_, np.argsort(unit_block))
    # The output columns are now the blocks in C order: column k sees block k
    # (weights off the block are ~1e-300 after the refresh step, not 0).
    coords = np.indices((8, 8)).reshape(2, -1).T
    site_block = (coords[:, 0] // 2) * 4 + coords[:, 1] // 2
    for k in range(16):
        np.testing.assert_array_equal(np.nonzero(np.abs(rbm.receptive_fields()[k]) > 1e-100)[0],
                                      np.nonzero(site_block == k)[0])

    # 10 units match no coarse lattice: no geometry, identity order, transform works.
    odd = BernoulliRBM(10, n_iter=2, output="mean", random_state=0).fit(X)
    assert odd.coarse_lattice_shape_ is None
    np.testing.assert_array_equal(odd.hidden_order_, np.arange(10))
    assert odd.transform(X[:5]).shape == (5, 10)
    assert odd.set_params(output="spins").transform(X[:5]).shape == (5, 10)


def _window_mask(side, block, kernel):
    """Sites of each unit's window (kernel-wide, centred on its block, wrapped), C order."""
    n_coarse = side // block
    mask = np.zeros((n_coarse**2, side**2), dtype=bool)
    offset = (kernel - block) // 2
    for a in range(n_coarse):
        for d in range(n_coarse):
            rows = (a * block - offset + np.arange(kernel)) % side
            cols = (d * block - offset + np.arange(kernel)) % side
            window = np.zeros((side, side), dtype=bool)
            window[np.ix_(rows, cols)] = True
            mask[a * n_coarse + d] = window.ravel()
    return mask


def test_local_layer_stays_local_and_tiles_to_bigger_lattice():
    # 8x8, block 2, kernel 4, L1 1e-3, 10 epochs: every weight outside the
    # unit's window is exactly 0 and the block itself is inside the window.
    X, _ = make_ising(400, (8, 8), 2.5, random_state=3)
    rbm = BernoulliRBM(connectivity="local", kernel_size=4, l1=1e-3, n_iter=10,
                       output="mean", dtype="float64", random_state=0).fit(X)
    assert rbm.coarse_lattice_shape_ == (4, 4)
    np.testing.assert_array_equal(rbm.hidden_order_, np.arange(16))
    mask = _window_mask(8, 2, 4)
    assert np.all(rbm.components_[~mask] == 0)
    assert np.all(rbm.components_[mask] != 0)
    assert mask.sum(axis=1).tolist() == [16] * 16

    # for_lattice((16, 16)) of a tiled configuration = the tiled transform
    # (mean output, atol 1e-12).
    big = rbm.for_lattice((16, 16))
    assert big.n_features_in_ == 256 and big.coarse_lattice_shape_ == (8, 8)
    assert np.all(big.components_[~_window_mask(16, 2, 4)] == 0)
    small = X[:20]
    tiled = np.tile(small.reshape(-1, 8, 8), (1, 2, 2)).reshape(-1, 256)
    expected = np.tile(rbm.transform(small).reshape(-1, 4, 4), (1, 2, 2)).reshape(-1, 64)
    np.testing.assert_allclose(big.transform(tiled), expected, rtol=0, atol=1e-12)
    np.testing.assert_allclose(big.inverse_transform(expected),
                               np.tile(rbm.inverse_transform(rbm.transform(small))
                                       .reshape(-1, 8, 8), (1, 2, 2)).reshape(-1, 256),
                               rtol=0, atol=1e-12)


def test_for_lattice_of_local_layer_with_explicit_n_components():
    # A local layer accepts n_components equal to its number of blocks (16 on
    # 8x8); its for_lattice copy must still be one unit per block of the new lattice.
    X, _ = make_ising(100, (8, 8), 2.5, random_state=3)
    rbm = BernoulliRBM(16, connectivity="local", n_iter=1, output="mean",
                       dtype="float64", random_state=0).fit(X)
    big = rbm.for_lattice((16, 16))
    assert big.components_.shape == (64, 256)
    tiled = np.tile(X[:3].reshape(-1, 8, 8), (1, 2, 2)).reshape(-1, 256)
    expected = np.tile(rbm.transform(X[:3]).reshape(-1, 4, 4), (1, 2, 2)).reshape(-1, 64)
    np.testing.assert_allclose(big.transform(tiled), expected, rtol=0, atol=1e-12)


# ------------------------------------------------------------- 11. bad input


def test_bad_input_raises_clear_errors():
    X, _ = make_ising(20, (4, 4), 2.5, random_state=0)
    with pytest.raises(ValueError, match=r"\[-1, 1\].*2"):
        BernoulliRBM(n_iter=1).fit(np.where(X > 0, 2, -1))
    with pytest.raises(ValueError, match=r"\[-1, 1\]"):
        BernoulliRBM(n_iter=1).fit(X * 1.5)
    with pytest.raises(ValueError, match=r"\[0, 1\].*units='binary'"):
        BernoulliRBM(units="binary", n_iter=1).fit(X)  # -1 is not binary
    with pytest.raises(ValueError, match=r"\[0, 1\].*units='binary'"):
        BernoulliRBM(units="binary", n_iter=1).fit(np.full((5, 16), 1.5))

    fitted = BernoulliRBM(n_iter=1, random_state=0).fit(X)
    wrong_width = np.ones((3, 9))
    for method in ("transform", "score_samples", "free_energy", "partial_fit"):
        with pytest.raises(ValueError, match=r"9 features.*expecting 16 features"):
            getattr(fitted, method)(wrong_width)
    with pytest.raises(ValueError, match=r"shape \(n_samples, 4\)"):
        fitted.inverse_transform(np.ones((2, 5)))
    with pytest.raises(ValueError, match=r"shape \(n_samples, 4\)"):
        fitted.hidden_hamiltonian(np.ones((2, 3)))

    X8, _ = make_ising(20, (8, 8), 2.5, random_state=0)
    with pytest.raises(ValueError, match=r"n_components=5 .*16 blocks"):
        BernoulliRBM(5, connectivity="local", n_iter=1).fit(X8)
    with pytest.raises(ValueError, match=r"kernel_size=1 must be at least block_size=2"):
        BernoulliRBM(connectivity="local", kernel_size=1, n_iter=1).fit(X8)
    with pytest.raises(ValueError, match=r"lattice_shape=None .*12 sites is not a perfect square"):
        BernoulliRBM(n_iter=1).fit(np.ones((5, 12)))
    with pytest.raises(ValueError, match=r"lattice_shape"):
        BernoulliRBM(n_iter=1, lattice_shape=(4, 5)).fit(X)


def test_output_is_oriented_and_invariant_under_flipping_a_unit():
    # A spin unit flipped with its weights and bias is the same model: the output,
    # oriented along each unit's own block, must not change.
    X, _ = make_ising(300, (8, 8), 2.3, random_state=4)
    rbm = BernoulliRBM(n_iter=3, output="mean", dtype="float64", random_state=1).fit(X)
    fields = rbm.receptive_fields().reshape(16, 4, 2, 4, 2)
    assert all(fields[a, a // 4, :, a % 4, :].sum() >= 0 for a in range(16))
    before, back = rbm.transform(X), rbm.inverse_transform(rbm.transform(X))
    unit = rbm.hidden_order_[3]
    rbm.components_[unit] *= -1
    rbm.intercept_hidden_[unit] *= -1
    rbm._assign_hidden_order()
    np.testing.assert_allclose(rbm.transform(X), before, atol=1e-12)
    np.testing.assert_allclose(rbm.inverse_transform(before), back, atol=1e-12)
