"""BernoulliRBMStack: greedy training, level-wise transforms, receptive fields, sampling."""

import copy
import itertools

import numpy as np
import pytest
from sklearn.base import clone

from skrg import BernoulliRBM, BernoulliRBMStack, make_ising
from skrg.utils import spawn_seeds


@pytest.fixture(scope="module")
def data():
    X, _ = make_ising(40, (8, 8), [2.2, 3.0], random_state=0)
    return X


@pytest.fixture(scope="module")
def stack(data):
    return BernoulliRBMStack((16, 4), n_iter=3, batch_size=20, random_state=0).fit(data)


@pytest.fixture(scope="module")
def deep_stack(data):
    # 64 -> 16 (4x4) -> 4 (2x2) -> 1: three levels of geometry.
    return BernoulliRBMStack((None, None, None), n_iter=2, batch_size=20,
                             random_state=1).fit(data)


def _assert_same_layer(a, b):
    for name in ("components_", "intercept_hidden_", "intercept_visible_", "chains_",
                 "hidden_order_"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name), err_msg=name)
    assert a.coarse_lattice_shape_ == b.coarse_lattice_shape_
    assert a.lattice_shape_ == b.lattice_shape_
    assert a.random_key_ == b.random_key_


# ---------------------------------------------------------------- training


def test_greedy_training_equals_layers_fitted_by_hand(data):
    params = dict(n_iter=3, batch_size=20, persistent=False, l1=[0.0, 1e-3], momentum=0.3)
    stack = BernoulliRBMStack((16, 4), **params, random_state=3).fit(data)
    seeds = spawn_seeds(3, 2)
    first = BernoulliRBM(16, n_iter=3, batch_size=20, persistent=False, l1=0.0, momentum=0.3,
                         random_state=int(seeds[0])).fit(data)
    second = BernoulliRBM(4, n_iter=3, batch_size=20, persistent=False, l1=1e-3, momentum=0.3,
                          lattice_shape=first.coarse_lattice_shape_,
                          random_state=int(seeds[1])).fit(first.transform(data))
    assert len(stack.layers_) == 2
    _assert_same_layer(stack.layers_[0], first)
    _assert_same_layer(stack.layers_[1], second)
    assert stack.n_features_in_ == 64
    assert stack.lattice_shape_ == (8, 8)
    assert stack.level_shapes_ == ((8, 8), (4, 4), (2, 2))
    assert stack.coarse_lattice_shape_ == (2, 2)


def test_fit_is_deterministic_under_random_state(data):
    a = BernoulliRBMStack((16, 4), n_iter=2, batch_size=20, random_state=5).fit(data)
    b = BernoulliRBMStack((16, 4), n_iter=2, batch_size=20, random_state=5).fit(data)
    c = BernoulliRBMStack((16, 4), n_iter=2, batch_size=20, random_state=6).fit(data)
    for la, lb in zip(a.layers_, b.layers_):
        _assert_same_layer(la, lb)
    np.testing.assert_array_equal(a.transform(data), b.transform(data))
    assert not np.array_equal(a.layers_[0].components_, c.layers_[0].components_)
    # Each layer has its own seed.
    assert a.layers_[0].random_state != a.layers_[1].random_state


def test_per_layer_parameters_reach_each_layer(data):
    per_layer = {
        "n_iter": [2, 1], "batch_size": (10, 20), "learning_rate": [0.02, 0.005],
        "n_gibbs_steps": [1, 2], "persistent": [True, False], "n_chains": [7, None],
        "momentum": [0.0, 0.4], "l1": [1e-4, 0.0], "l2": [0.0, 1e-3],
        "fit_biases": [True, False], "shuffle": [False, True], "dtype": ["float64", "float32"],
    }
    stack = BernoulliRBMStack((16, 4), **per_layer, random_state=0).fit(data)
    for index, layer in enumerate(stack.layers_):
        params = layer.get_params()
        for name, values in per_layer.items():
            assert params[name] == values[index], (name, index)
        assert params["n_components"] == (16, 4)[index]
    assert stack.layers_[0].components_.dtype == np.float64
    assert stack.layers_[1].components_.dtype == np.float32
    assert len(stack.layers_[0].chains_) == 7
    assert not stack.layers_[1].intercept_hidden_.any()  # fit_biases=False
    # A scalar reaches every layer.
    stack = BernoulliRBMStack((16, 4), n_iter=1, l2=1e-3, random_state=0).fit(data)
    assert [layer.l2 for layer in stack.layers_] == [1e-3, 1e-3]


def test_layers_output_spins_but_the_top_one(data):
    stack = BernoulliRBMStack((16, 4), n_iter=1, output="mean", random_state=0).fit(data)
    assert [layer.output for layer in stack.layers_] == ["spins", "mean"]


def test_layer_sizes_none_follow_the_lattice(deep_stack):
    assert [layer.components_.shape for layer in deep_stack.layers_] == [
        (16, 64), (4, 16), (1, 4)
    ]
    assert deep_stack.level_shapes_ == ((8, 8), (4, 4), (2, 2), (1, 1))


def test_local_layers_and_kernel_size_per_layer(data):
    stack = BernoulliRBMStack((None, None), connectivity="local", kernel_size=(4, 2),
                              n_iter=1, random_state=0).fit(data)
    first, second = stack.layers_
    # Every unit of layer 1 sees a 4x4 window, of layer 2 a 2x2 window.
    assert ((first.components_ != 0).sum(axis=1) == 16).all()
    assert ((second.components_ != 0).sum(axis=1) == 4).all()


def test_verbose_prints_every_layer(data, capsys):
    BernoulliRBMStack((16, 4), n_iter=1, verbose=1, random_state=0).fit(data)
    out = capsys.readouterr().out
    assert "layer 1: 64 -> 16 units" in out and "layer 2: 16 -> 4 units" in out


def test_binary_units(data):
    X01 = (data + 1) // 2
    stack = BernoulliRBMStack((16, 4), units="binary", n_iter=1, random_state=0).fit(X01)
    assert set(np.unique(stack.transform(X01))) <= {0, 1}
    assert set(np.unique(stack.sample(5, n_steps=3, random_state=0))) <= {0, 1}


# -------------------------------------------------------------- transforms


def test_transform_level_chains_the_layers(stack, data):
    first, second = stack.layers_
    np.testing.assert_array_equal(stack.transform(data, level=1), first.transform(data))
    np.testing.assert_array_equal(stack.transform(data), second.transform(first.transform(data)))
    np.testing.assert_array_equal(stack.transform(data, level=2), stack.transform(data))
    assert stack.transform(data).dtype == np.int8
    assert stack.transform(data, level=1).shape == (len(data), 16)


def test_transform_mean_applies_at_the_last_level(stack, data):
    mean = copy.deepcopy(stack).set_params(output="mean")
    first = copy.deepcopy(stack.layers_[0]).set_params(output="mean")
    second = copy.deepcopy(stack.layers_[1]).set_params(output="mean")
    np.testing.assert_array_equal(mean.transform(data, level=1), first.transform(data))
    np.testing.assert_array_equal(
        mean.transform(data), second.transform(stack.layers_[0].transform(data))
    )
    assert mean.transform(data).dtype == np.float64


def test_three_levels(deep_stack, data):
    H = data
    for level, layer in enumerate(deep_stack.layers_, start=1):
        H = layer.transform(H)
        np.testing.assert_array_equal(deep_stack.transform(data, level=level), H)


def test_inverse_transform_chains_the_layers(stack, data):
    first, second = stack.layers_
    H = stack.transform(data)
    V = stack.inverse_transform(H)
    assert V.shape == data.shape and V.dtype == np.float64
    assert np.abs(V).max() <= 1
    np.testing.assert_allclose(V, first.inverse_transform(second.inverse_transform(H)))
    H1 = stack.transform(data, level=1)
    np.testing.assert_allclose(stack.inverse_transform(H1, level=1), first.inverse_transform(H1))
    # Means are accepted as well as spins.
    H_mean = copy.deepcopy(stack).set_params(output="mean").transform(data)
    assert stack.inverse_transform(H_mean).shape == data.shape


def test_receptive_fields_are_the_product_of_weights(deep_stack):
    # Each layer's weights act on the oriented output of the layer below.
    W = [layer.components_[layer.hidden_order_].astype(np.float64)
         * layer.hidden_signs_[:, None] for layer in deep_stack.layers_]
    np.testing.assert_allclose(deep_stack.receptive_fields(1), W[0])
    np.testing.assert_allclose(deep_stack.receptive_fields(2), W[1] @ W[0])
    np.testing.assert_allclose(deep_stack.receptive_fields(3), W[2] @ W[1] @ W[0])
    np.testing.assert_allclose(deep_stack.receptive_fields(), deep_stack.receptive_fields(3))
    np.testing.assert_allclose(deep_stack.receptive_fields(1),
                               deep_stack.layers_[0].receptive_fields())
    assert deep_stack.receptive_fields(2).shape == (4, 64)


def test_receptive_fields_follow_the_output_order(stack, data):
    # The top layer's pre-activation is linear in the layer below's output:
    # R^(2) applied to X equals W^(2) applied to the first layer's inputs W^(1) X.
    first, second = stack.layers_
    W1 = first.components_[first.hidden_order_].astype(np.float64) * first.hidden_signs_[:, None]
    W2 = (second.components_[second.hidden_order_].astype(np.float64)
          * second.hidden_signs_[:, None])
    np.testing.assert_allclose(data @ stack.receptive_fields(2).T, (data @ W1.T) @ W2.T)


def test_score_is_the_first_layers_score(stack, data):
    assert stack.score(data) == stack.layers_[0].score(data)
    assert stack.score(data) <= 0


def test_feature_names_and_pandas_output(stack, data):
    names = stack.get_feature_names_out()
    assert list(names) == [f"bernoullirbmstack{i}" for i in range(4)]
    pytest.importorskip("pandas")
    pandas_stack = clone(stack).set_output(transform="pandas").fit(data)
    assert list(pandas_stack.transform(data).columns) == list(names)
    with pytest.raises(ValueError, match=r"transform\(level=1\) gives 16 columns"):
        pandas_stack.transform(data, level=1)


def test_for_lattice_moves_every_layer(data):
    stack = BernoulliRBMStack((None, None), connectivity="local", kernel_size=4, n_iter=1,
                              random_state=0).fit(data)
    big = stack.for_lattice((16, 16))
    assert big.n_features_in_ == 256 and stack.n_features_in_ == 64
    assert big.level_shapes_ == ((16, 16), (8, 8), (4, 4))
    first = stack.layers_[0].for_lattice((16, 16))
    second = stack.layers_[1].for_lattice(first.coarse_lattice_shape_)
    for moved, by_hand in zip(big.layers_, (first, second)):
        _assert_same_layer(moved, by_hand)
    X_big = np.tile(data.reshape(-1, 8, 8), (1, 2, 2)).reshape(len(data), -1)
    np.testing.assert_array_equal(big.transform(X_big), second.transform(first.transform(X_big)))
    np.testing.assert_array_equal(stack.for_lattice((8, 8)).transform(data),
                                  stack.transform(data))


def test_for_lattice_only_when_every_layer_is_local(stack):
    assert not hasattr(stack, "for_lattice")
    assert not hasattr(BernoulliRBMStack(connectivity=["local", "dense"]), "for_lattice")
    assert hasattr(BernoulliRBMStack(connectivity=("local", "local")), "for_lattice")


# ----------------------------------------------------------------- sampling


def test_sample_shape_and_values(stack):
    V = stack.sample(7, n_steps=5, random_state=0)
    assert V.shape == (7, 64) and V.dtype == np.int8
    assert set(np.unique(V)) <= {-1, 1}
    np.testing.assert_array_equal(V, stack.sample(7, n_steps=5, random_state=0))


def _all_spins(n):
    return np.array(list(itertools.product((-1.0, 1.0), repeat=n)))


def test_sample_is_the_deep_belief_net(data):
    # 16 visible -> 4 hidden (a 2x2 lattice) -> 2 top units, with strong
    # weights. The DBN's exact moments, summing over the 16 states of the top
    # RBM's visible layer (layer 1's output, in its output order):
    #   p(u) = exp(-F_top(u)) / Z,  E[v | u] = tanh(W1^T t(u) + b1),
    # where t(u) puts output position k, times hidden_signs_[k], at training
    # unit hidden_order_[k].
    X, _ = make_ising(20, (4, 4), 2.5, random_state=0)
    stack = BernoulliRBMStack((4, 2), n_iter=1, dtype="float64", random_state=0).fit(X)
    first, top = stack.layers_
    rng = np.random.default_rng(0)
    first.components_ = rng.normal(0, 0.6, first.components_.shape)
    first.intercept_visible_ = rng.normal(0, 0.3, 16)
    first.hidden_order_ = np.array([2, 0, 3, 1])
    first.hidden_signs_ = np.array([1.0, -1.0, -1.0, 1.0])
    top.components_ = rng.normal(0, 1.0, top.components_.shape)
    top.intercept_visible_ = np.array([0.5, -0.3, 0.2, 0.0])
    top.intercept_hidden_ = np.array([0.4, -0.2])

    U = _all_spins(4)
    log_p = -top.free_energy(U)
    p = np.exp(log_p - log_p.max())
    p /= p.sum()
    T = np.empty_like(U)
    T[:, first.hidden_order_] = U * first.hidden_signs_
    means = np.tanh(T @ first.components_ + first.intercept_visible_)
    exact_m = p @ means
    exact_c = np.einsum("s,si,sj->ij", p, means, means)
    np.fill_diagonal(exact_c, 1.0)

    n = 20000
    V = stack.sample(n, n_steps=300, random_state=1).astype(np.float64)
    tolerance = 5 / np.sqrt(n)
    np.testing.assert_allclose(V.mean(axis=0), exact_m, atol=tolerance)
    np.testing.assert_allclose(V.T @ V / n, exact_c, atol=tolerance)
    # The top RBM's own samples are the layer-1 marginal p(u).
    seen = stack.layers_[-1].sample(n, n_steps=300, random_state=2)
    index = ((seen + 1) // 2) @ (2 ** np.arange(3, -1, -1))
    np.testing.assert_allclose(np.bincount(index, minlength=16) / n, p, atol=tolerance)


# ---------------------------------------------------------------- bad input


def test_sequence_of_wrong_length(data):
    with pytest.raises(ValueError, match="n_iter has 3 values but layer_sizes has 2 layers"):
        BernoulliRBMStack((16, 4), n_iter=[1, 2, 3]).fit(data)
    with pytest.raises(ValueError, match="connectivity has 1 values"):
        BernoulliRBMStack((16, 4), connectivity=["dense"]).fit(data)


def test_invalid_per_layer_value_names_the_layer(data):
    with pytest.raises(ValueError, match=r"'n_iter' parameter of BernoulliRBMStack \(layer 2\)"):
        BernoulliRBMStack((16, 4), n_iter=[1, -1]).fit(data)
    with pytest.raises(ValueError, match=r"'connectivity' parameter .*\(layer 1\)"):
        BernoulliRBMStack((16, 4), connectivity=["sparse", "dense"]).fit(data)


@pytest.mark.parametrize("layer_sizes", [(), (16, 0), (16, 2.5), (True,)])
def test_bad_layer_sizes(data, layer_sizes):
    with pytest.raises(ValueError, match="layer_sizes"):
        BernoulliRBMStack(layer_sizes).fit(data)


@pytest.mark.parametrize(
    "params",
    [
        {"layer_sizes": (20, None)},  # 20 units are no coarse lattice of 8x8
        {"layer_sizes": (20, 4), "connectivity": ["dense", "local"]},
        {"layer_sizes": (16, 5, None)},  # layer 2's 5 units are no lattice of 4x4
    ],
)
def test_later_layer_needing_a_lattice_it_cannot_get(data, params):
    layer = len(params["layer_sizes"])
    stack = BernoulliRBMStack(**params, n_iter=1)
    with pytest.raises(ValueError, match=rf"Layer {layer} of BernoulliRBMStack needs a lattice"):
        stack.fit(data)
    assert not hasattr(stack, "layers_")  # raised before any training


def test_block_step_suggestion_in_the_geometry_error(data):
    with pytest.raises(ValueError, match=r"one block step gives \(e\.g\. 16, 4 or 1\)"):
        BernoulliRBMStack((20, None)).fit(data)


def test_layer_errors_name_the_layer(data):
    with pytest.raises(ValueError, match="Layer 1 of BernoulliRBMStack: n_components=10"):
        BernoulliRBMStack((10, None), connectivity="local").fit(data)
    with pytest.raises(ValueError, match="Layer 2 of BernoulliRBMStack: kernel_size=8"):
        BernoulliRBMStack((None, None), connectivity="local", kernel_size=[2, 8]).fit(data)


def test_dense_layers_without_geometry_still_fit(data):
    stack = BernoulliRBMStack((20, 6), n_iter=1, random_state=0).fit(data)
    assert stack.coarse_lattice_shape_ is None
    assert stack.transform(data).shape == (len(data), 6)


def test_lattice_errors(data):
    with pytest.raises(ValueError, match=r"lattice_shape=\(4, 4\) has 16 sites"):
        BernoulliRBMStack(lattice_shape=(4, 4)).fit(data)
    with pytest.raises(ValueError, match="perfect square"):
        BernoulliRBMStack((None,)).fit(data[:, :60])
    # A dense first layer of explicit size needs no lattice.
    assert BernoulliRBMStack((8,), n_iter=1).fit(data[:, :60]).lattice_shape_ is None


def test_values_outside_the_spin_range(stack, data):
    bad = data.astype(np.float64)
    bad[3, 5] = 1.5
    with pytest.raises(ValueError, match=r"X must hold spins in \[-1, 1\]"):
        clone(stack).fit(bad)
    with pytest.raises(ValueError, match=r"X must hold spins in \[-1, 1\]"):
        stack.transform(bad)
    with pytest.raises(ValueError, match=r"X must hold spins in \[-1, 1\]"):
        stack.score(bad)


def test_wrong_number_of_features(stack, data):
    with pytest.raises(ValueError, match="X has 16 features.*expecting 64"):
        stack.transform(data[:, :16])
    with pytest.raises(ValueError, match="expecting 64"):
        stack.score(data[:, :16])
    with pytest.raises(ValueError, match=r"shape \(n_samples, 4\)"):
        stack.inverse_transform(np.ones((2, 16)))
    with pytest.raises(ValueError, match=r"shape \(n_samples, 16\)"):
        stack.inverse_transform(np.ones((2, 4)), level=1)


@pytest.mark.parametrize("level", [0, 3, -1, 1.5, True])
def test_bad_level(stack, data, level):
    with pytest.raises(ValueError, match="level must be None or an int from 1"):
        stack.transform(data, level=level)
    with pytest.raises(ValueError, match="level must be None or an int from 1"):
        stack.receptive_fields(level)

