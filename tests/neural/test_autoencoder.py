"""Tests of skrg.IsingAutoencoder: exact gradients, transfer, streaming, pipelines.

Exact identities are compared with float64 tolerances; statistical ones in
standard errors with fixed seeds. Each test can fail: the comparisons are
against an independent computation (finite differences, an explicit periodic
convolution, BlockSpinRG, a DummyRegressor), never against the model itself.
"""

import numpy as np
import pytest
from sklearn.dummy import DummyRegressor
from sklearn.linear_model import Ridge
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import PolynomialFeatures
from sklearn.utils import gen_batches

from skrg import BlockSpinRG, IsingAutoencoder, make_ising


@pytest.fixture(scope="module")
def ising_16():
    """2D Ising configurations on 16x16 at six temperatures around T_c."""
    return make_ising(100, (16, 16), [1.8, 2.1, 2.3, 2.5, 2.9, 3.5], random_state=0)


def _untrained(X, **params):
    params = {"max_iter": 0, "random_state": 0, "dtype": "float64", **params}
    return IsingAutoencoder(**params).fit(X)


def _objective(ae, V, parameters):
    return ae._loss_and_gradients(V, parameters)[0]


@pytest.mark.parametrize("encoder", ["local", "dense"])
@pytest.mark.parametrize("activation", ["tanh", "hardtanh"])
def test_gradients_match_finite_differences(encoder, activation):
    rng = np.random.default_rng(1)
    V = rng.choice([-1.0, 1.0], size=(12, 16))
    V[:3] = rng.uniform(-1, 1, size=(3, 16))  # soft spins are soft targets
    ae = _untrained(V, encoder=encoder, kernel_size=4 if encoder == "local" else None,
                    latent_activation=activation, l1=1e-3, l2=1e-2, lattice_shape=(4, 4))
    parameters = [p + rng.normal(0, 0.4, p.shape) for p in ae._parameters()]
    pre = ae._forward(V, parameters)[0]
    # Finite differences are valid away from hardtanh's kinks and |w| = 0 (L1).
    assert np.abs(np.abs(pre) - 1).min() > 1e-3
    assert min(np.abs(p).min() for p in parameters[::2]) > 1e-4
    _, gradients = ae._loss_and_gradients(V, parameters)
    h = 1e-6
    for parameter, gradient in zip(parameters, gradients):
        numeric = np.empty(parameter.size)
        for k in range(parameter.size):
            flat = parameter.reshape(-1)
            flat[k] += h
            up = _objective(ae, V, parameters)
            flat[k] -= 2 * h
            down = _objective(ae, V, parameters)
            flat[k] += h
            numeric[k] = (up - down) / (2 * h)
        np.testing.assert_allclose(gradient.reshape(-1), numeric, rtol=1e-5, atol=1e-9)


def test_frozen_encoder_gets_no_gradient():
    V = np.random.default_rng(2).choice([-1.0, 1.0], size=(8, 16))
    ae = _untrained(V, freeze_encoder=True)
    gradients = ae._loss_and_gradients(V)[1]
    assert gradients[0] is None and gradients[1] is None
    assert np.abs(gradients[2]).max() > 0


def test_hardtanh_units_started_at_plus_minus_one_still_learn():
    # Uniform blocks put the block-spin encoder's pre-activation exactly at ±1.
    V = np.ones((20, 16))
    V[10:] = -1
    ae = IsingAutoencoder(latent_activation="hardtanh", encoder_init="block_spin",
                          kernel_size=4, dtype="float64", random_state=0).partial_fit(V)
    pre = ae._forward(V, ae._parameters())[0]
    assert np.abs(pre).min() > 0.99  # still (almost) saturated after one small step
    start = _untrained(V, latent_activation="hardtanh", encoder_init="block_spin",
                       kernel_size=4)
    encoder_gradient = start._loss_and_gradients(V)[1][0]
    assert np.abs(encoder_gradient).max() > 1e-3
    assert not np.array_equal(ae.encoder_weights_, start.encoder_weights_)


def _periodic_convolution(X, shape, kernel, intercept, block):
    """Latent pre-activations by an explicit periodic correlation sampled at stride ``block``."""
    V = np.asarray(X, dtype=np.float64).reshape(len(X), *shape)
    start = (kernel.shape[0] - block) // 2
    out = np.zeros((len(X), *(side // block for side in shape)))
    axes = tuple(range(1, len(shape) + 1))
    for offset in np.ndindex(kernel.shape):
        shifted = np.roll(V, tuple(start - o for o in offset), axis=axes)
        out += kernel[offset] * shifted[(slice(None),) + (slice(None, None, block),) * len(shape)]
    return out.reshape(len(X), -1) + intercept


@pytest.mark.parametrize("activation", ["tanh", "hardtanh"])
def test_local_encoder_transfers_to_bigger_lattices_as_the_same_convolution(ising_16, activation):
    X, _ = ising_16
    ae = IsingAutoencoder(kernel_size=4, latent_activation=activation, max_iter=3,
                          output="mean", random_state=0).fit(X)
    kernel = ae.encoder_weights_.astype(np.float64)
    assert np.abs(kernel).max() > 0.05
    for side in (32, 64):
        big, _ = make_ising(20, (side, side), 2.3, random_state=side)
        transferred = ae.for_lattice((side, side))
        assert transferred.coarse_lattice_shape_ == (side // 2, side // 2)
        pre = _periodic_convolution(big, (side, side), kernel, float(ae.encoder_intercept_[0]), 2)
        expected = np.tanh(pre) if activation == "tanh" else np.clip(pre, -1, 1)
        # One shared kernel, so one orientation for every unit.
        sign = transferred.hidden_signs_
        assert np.all(sign == ae.hidden_signs_[0])
        np.testing.assert_allclose(transferred.transform(big), sign * expected, rtol=0,
                                   atol=1e-12)
    # The encoder applied to its own output (one more RG step).
    coarse = ae.transform(X)
    second = ae.for_lattice(ae.coarse_lattice_shape_)
    pre = _periodic_convolution(coarse, (8, 8), kernel, float(ae.encoder_intercept_[0]), 2)
    expected = np.tanh(pre) if activation == "tanh" else np.clip(pre, -1, 1)
    np.testing.assert_allclose(second.transform(coarse), second.hidden_signs_ * expected,
                               rtol=0, atol=1e-12)


def test_local_encoder_in_1d_is_a_periodic_convolution():
    X, _ = make_ising(300, (32,), 1.0, random_state=3)
    ae = IsingAutoencoder(block_size=2, kernel_size=5, lattice_shape=32, max_iter=5,
                          output="mean", random_state=0).fit(X)
    assert ae.coarse_lattice_shape_ == (16,)
    pre = _periodic_convolution(X, (32,), ae.encoder_weights_.astype(np.float64),
                                float(ae.encoder_intercept_[0]), 2)
    sign = ae.hidden_signs_[0]
    np.testing.assert_allclose(ae.transform(X), sign * np.tanh(pre), rtol=0, atol=1e-12)
    long = make_ising(10, (96,), 1.0, random_state=4)[0]
    pre = _periodic_convolution(long, (96,), ae.encoder_weights_.astype(np.float64),
                                float(ae.encoder_intercept_[0]), 2)
    np.testing.assert_allclose(ae.for_lattice(96).transform(long), sign * np.tanh(pre),
                               atol=1e-12)


@pytest.mark.parametrize("encoder, block, kernel", [("local", 2, 4), ("local", 3, 3),
                                                    ("dense", 2, None)])
def test_block_spin_start_is_block_average_and_stays_with_frozen_encoder(encoder, block, kernel):
    side = 12
    X, _ = make_ising(300, (side, side), 2.3, random_state=5)
    params = dict(encoder=encoder, block_size=block, kernel_size=kernel, encoder_init="block_spin",
                  latent_activation="hardtanh", output="mean", random_state=0)
    average = BlockSpinRG(block_size=block, rule="average", output="mean").fit(X).transform(X)
    # float32 weights hold 1/4 exactly, 1/9 to float32 precision.
    tolerance = 0 if block == 2 else 1e-7
    start = IsingAutoencoder(max_iter=0, **params).fit(X)
    np.testing.assert_allclose(start.transform(X), average, rtol=0, atol=tolerance)
    tuned = IsingAutoencoder(max_iter=10, freeze_encoder=True, learning_rate_init=1e-2,
                             **params).fit(X)
    np.testing.assert_allclose(tuned.transform(X), average, rtol=0, atol=tolerance)
    assert not np.array_equal(tuned.decoder_weights_, start.decoder_weights_)
    assert tuned.score(X) > start.score(X) + 0.01
    if encoder == "dense":
        np.testing.assert_array_equal(tuned.hidden_order_, np.arange(36))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("params", [
    {"kernel_size": 4},
    {"encoder": "dense", "l1": 1e-4, "l2": 1e-3},
    {"encoder_init": "block_spin", "freeze_encoder": True, "latent_activation": "hardtanh"},
])
def test_partial_fit_on_fit_batches_reproduces_fit(ising_16, dtype, params):
    X = ising_16[0][::3]
    common = dict(max_iter=3, batch_size=40, shuffle=False, dtype=dtype, random_state=7, **params)
    fitted = IsingAutoencoder(**common).fit(X)
    streamed = IsingAutoencoder(**common)
    for _ in range(common["max_iter"]):
        for batch in gen_batches(len(X), common["batch_size"]):
            streamed.partial_fit(X[batch])
    assert streamed.n_steps_ == fitted.n_steps_ == 3 * 5
    for a, b in zip(fitted._parameters(), streamed._parameters()):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(fitted.hidden_order_, streamed.hidden_order_)
    np.testing.assert_array_equal(fitted.transform(X), streamed.transform(X))


def test_training_lowers_the_loss_and_random_state_decides(ising_16):
    X, _ = ising_16
    ae = IsingAutoencoder(kernel_size=4, max_iter=8, learning_rate_init=1e-2, random_state=0)
    ae.fit(X)
    assert ae.loss_curve_[-1] < 0.8 * ae.loss_curve_[0]
    assert ae.n_iter_ == 8 and len(ae.loss_curve_) == 8
    assert ae.validation_scores_ is None
    again = IsingAutoencoder(**ae.get_params()).fit(X)
    np.testing.assert_array_equal(ae.encoder_weights_, again.encoder_weights_)
    other = IsingAutoencoder(**{**ae.get_params(), "random_state": 1}).fit(X)
    assert not np.array_equal(ae.encoder_weights_, other.encoder_weights_)


def test_early_stopping_keeps_the_best_validation_parameters(ising_16):
    X, _ = ising_16
    ae = IsingAutoencoder(encoder="dense", n_latent=64, max_iter=60, learning_rate_init=3e-2,
                          early_stopping=True, validation_fraction=0.2, n_iter_no_change=3,
                          tol=0.0, dtype="float64", random_state=0).fit(X[::2])
    assert ae.n_iter_ < 60  # a large step size overfits 240 rows quickly
    assert ae.best_validation_score_ == max(ae.validation_scores_)
    assert ae.validation_scores_[-1] < ae.best_validation_score_
    _, validation = ae._split(len(X[::2]), np.random.default_rng(ae.random_key_))
    assert len(validation) == 60
    np.testing.assert_allclose(ae.score(X[::2][validation]), ae.best_validation_score_,
                               rtol=1e-12)


def test_warm_start_continues_on_another_temperature_range():
    cold, _ = make_ising(300, (16, 16), 1.9, random_state=8)
    hot, _ = make_ising(300, (16, 16), 2.6, random_state=9)
    params = dict(kernel_size=4, max_iter=10, learning_rate_init=1e-2, random_state=0)
    ae = IsingAutoencoder(**params).fit(cold)
    first = ae.encoder_weights_.copy()
    ae.set_params(warm_start=True, max_iter=1).fit(hot)
    assert ae.n_steps_ == 3  # a fresh Adam state: one epoch of 3 batches
    fresh = IsingAutoencoder(**{**params, "max_iter": 1}).fit(hot)
    # Warm: one epoch moves the weights by at most ~ 3 steps of the step size.
    assert np.abs(ae.encoder_weights_ - first).max() < 3.5e-2
    assert ae.loss_curve_[0] < fresh.loss_curve_[0] - 0.05
    # Warm start across sizes: for_lattice, then fine-tune on the new size.
    big, _ = make_ising(50, (32, 32), 2.6, random_state=10)
    moved = ae.for_lattice((32, 32)).fit(big)
    assert moved.n_features_in_ == 1024 and moved.n_iter_ == 1


def test_transform_spins_are_drawn_with_probability_from_latent(ising_16):
    X, _ = ising_16
    ae = IsingAutoencoder(kernel_size=4, max_iter=2, random_state=0).fit(X)
    spins = ae.transform(X)
    assert spins.dtype == np.int8 and set(np.unique(spins)) <= {-1, 1}
    mean = ae.set_params(output="mean").transform(X)
    p_up = (1 + mean) / 2
    # The count of +1 over all units and rows against its binomial expectation.
    z = ((spins == 1).sum() - p_up.sum()) / np.sqrt((p_up * (1 - p_up)).sum())
    assert abs(z) < 4
    # Counter-based: a row's draws do not depend on the other rows.
    ae.set_params(output="spins")
    np.testing.assert_array_equal(ae.transform(X[5:9]), spins[5:9])


def test_inverse_transform_decodes_and_score_is_minus_cross_entropy():
    rng = np.random.default_rng(11)
    X = rng.choice([-1, 1], size=(50, 16)).astype(np.int8)
    ae = _untrained(X, encoder="dense", n_latent=4, lattice_shape=(4, 4))
    ae.decoder_weights_[...] = rng.normal(0, 0.5, ae.decoder_weights_.shape)
    ae.decoder_intercept_[...] = rng.normal(0, 0.5, 16)
    ae.set_params(output="mean")
    Z = ae.transform(X)
    unordered = np.empty_like(Z)
    unordered[:, ae.hidden_order_] = Z * ae.hidden_signs_
    A = unordered @ ae.decoder_weights_.T + ae.decoder_intercept_
    np.testing.assert_allclose(ae.inverse_transform(Z), np.tanh(A), rtol=1e-12)
    p_up = 1 / (1 + np.exp(-2 * A))
    cross_entropy = -np.where(X == 1, np.log(p_up), np.log(1 - p_up)).mean()
    np.testing.assert_allclose(ae.score(X), -cross_entropy, rtol=1e-12)
    ae.decoder_weights_[...] = 0
    ae.decoder_intercept_[...] = 0
    np.testing.assert_allclose(ae.score(X), -np.log(2), rtol=1e-12)


def test_receptive_fields_place_the_kernel_on_each_window():
    X, _ = make_ising(50, (8, 8), 2.3, random_state=12)
    ae = _untrained(X, kernel_size=3, encoder_init="random")
    fields = ae.receptive_fields().reshape(16, 8, 8)
    kernel = ae.encoder_weights_
    # Unit (1, 2) has its block at (2, 4) and its 3x3 window starting there (start offset 0).
    np.testing.assert_array_equal(fields[1 * 4 + 2][2:5, 4:7], ae.hidden_signs_[0] * kernel)
    assert np.count_nonzero(fields[1 * 4 + 2]) == 9


def test_pipeline_predicts_temperature_and_block_spin_drops_in(ising_16):
    X, y = ising_16
    rng = np.random.default_rng(0)
    order = rng.permutation(len(X))
    train, test = order[:400], order[400:]

    def pipeline(first):
        # Pair products of coarse spins let a linear model read the energy.
        return make_pipeline(first, PolynomialFeatures(2, interaction_only=True,
                                                       include_bias=False), Ridge(alpha=10.0))

    ae = IsingAutoencoder(kernel_size=4, max_iter=10, learning_rate_init=1e-2, output="mean",
                          random_state=0)
    dummy = DummyRegressor().fit(X[train], y[train]).score(X[test], y[test])
    r2_ae = pipeline(ae).fit(X[train], y[train]).score(X[test], y[test])
    r2_rg = pipeline(BlockSpinRG(rule="average", output="mean")).fit(
        X[train], y[train]).score(X[test], y[test])
    assert dummy < 0.01
    print(f"held-out R2: autoencoder {r2_ae:.3f}, block spin {r2_rg:.3f}, dummy {dummy:.3f}")
    assert r2_ae > dummy + 0.5, (r2_ae, dummy)
    assert r2_rg > dummy + 0.5, (r2_rg, dummy)


def test_grid_search_over_autoencoder_parameters_selects_and_refits(ising_16):
    X, y = ising_16
    pipe = make_pipeline(
        IsingAutoencoder(kernel_size=4, max_iter=4, learning_rate_init=1e-2, output="mean",
                         random_state=0),
        PolynomialFeatures(2, interaction_only=True, include_bias=False), Ridge(alpha=10.0))
    search = GridSearchCV(pipe, {"isingautoencoder__encoder_init": ["random", "block_spin"],
                                 "isingautoencoder__latent_activation": ["tanh", "hardtanh"]},
                          cv=2, error_score="raise").fit(X[::2], y[::2])
    assert len(search.cv_results_["params"]) == 4
    best = search.best_estimator_.named_steps["isingautoencoder"]
    assert best.get_params()["encoder_init"] == search.best_params_[
        "isingautoencoder__encoder_init"]
    assert best.n_features_in_ == 256 and best.n_iter_ == 4
    assert np.isfinite(search.best_score_)


def test_bad_input_raises_clear_errors():
    X, _ = make_ising(20, (8, 8), 2.3, random_state=13)
    with pytest.raises(ValueError, match=r"\[-1, 1\]"):
        IsingAutoencoder().fit(2.0 * X)
    with pytest.raises(ValueError, match="block_size=3"):
        IsingAutoencoder(block_size=3).fit(X)
    with pytest.raises(ValueError, match="kernel_size=1 must be at least block_size=2"):
        IsingAutoencoder(kernel_size=1).fit(X)
    with pytest.raises(ValueError, match="n_latent=5 does not match the 16 blocks"):
        IsingAutoencoder(n_latent=5).fit(X)
    with pytest.raises(ValueError, match="n_latent=5 does not match the 16 blocks"):
        IsingAutoencoder(encoder="dense", n_latent=5, encoder_init="block_spin").fit(X)
    with pytest.raises(ValueError, match="validation_fraction=0.01"):
        IsingAutoencoder(early_stopping=True, validation_fraction=0.01).fit(X)
    ae = IsingAutoencoder(max_iter=1, kernel_size=4, random_state=0).fit(X)
    with pytest.raises(ValueError, match="must have the dimension"):
        ae.for_lattice(16)
    with pytest.raises(ValueError, match="kernel_size=4"):
        ae.for_lattice((2, 2))
    with pytest.raises(ValueError, match="16 columns"):
        ae.inverse_transform(np.zeros((2, 5)))
    with pytest.raises(ValueError, match="X has 16 features"):
        ae.transform(X[:, :16])
    assert not hasattr(IsingAutoencoder(encoder="dense"), "for_lattice")


@pytest.mark.parametrize("encoder", ["local", "dense"])
def test_output_is_oriented_and_invariant_under_flipping_a_unit(ising_16, encoder):
    # Flipping a unit with its weights is the same model; the output must not change.
    X, _ = ising_16
    ae = IsingAutoencoder(encoder=encoder, kernel_size=4 if encoder == "local" else None,
                          max_iter=2, output="mean", dtype="float64", random_state=3).fit(X)
    fields = ae.receptive_fields().reshape(-1, 8, 2, 8, 2)
    own_block = np.array([fields[a, a // 8, :, a % 8, :].sum() for a in range(64)])
    assert np.all(own_block >= 0)
    before = ae.transform(X)
    flipped = IsingAutoencoder(**ae.get_params()).fit(X)
    if encoder == "local":
        flipped.encoder_weights_ *= -1
        flipped.encoder_intercept_ *= -1
        flipped.decoder_weights_ *= -1
    else:
        unit = flipped.hidden_order_[5]
        flipped.encoder_weights_[unit] *= -1
        flipped.encoder_intercept_[unit] *= -1
        flipped.decoder_weights_[:, unit] *= -1
    flipped._assign_hidden_order()
    np.testing.assert_allclose(flipped.transform(X), before, atol=1e-12)
    np.testing.assert_allclose(flipped.inverse_transform(before), ae.inverse_transform(before),
                               atol=1e-12)
