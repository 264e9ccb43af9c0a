"""Learning from data larger than memory: partial_fit over chunks equals fit.

The data are read back in chunks from a dataset file (skrg.io.iter_dataset)
or from the blocks of a dask array (dask-ml's Incremental). A chunk is one
minibatch, and every stream is compared bitwise with ``fit(shuffle=False)``
on the whole array with ``batch_size`` equal to the chunk size: the same
steps on the same arrays in the same order (12 chunks a pass here).
"""

import json

import numpy as np
import pytest
from threadpoolctl import threadpool_limits

from skrg import BernoulliRBM, BernoulliRBMStack, IsingAutoencoder, make_ising
from skrg.io import iter_dataset, load_dataset, save_dataset

CHUNK = 50
N_SAMPLES = 600  # 12 chunks


@pytest.fixture(autouse=True)
def one_blas_thread():
    # Two cores are shared; tiny products gain nothing from threads.
    with threadpool_limits(1, user_api="blas"):
        yield


@pytest.fixture(scope="module")
def data():
    # One temperature: a file-order stream of several temperatures would
    # visit them one after the other (see the user guide).
    return make_ising(N_SAMPLES, (8, 8), 2.5, random_state=0)


@pytest.fixture(scope="module")
def path(data, tmp_path_factory):
    path = tmp_path_factory.mktemp("streaming") / "ising.npz"
    save_dataset(path, *data, seed=0)
    return path


def _assert_same_arrays(a, b, names):
    for name in names:
        got, expected = getattr(a, name), getattr(b, name)
        assert got.dtype == expected.dtype, name
        np.testing.assert_array_equal(got, expected, err_msg=name)


_RBM_STATE = ("components_", "intercept_hidden_", "intercept_visible_", "chains_",
              "hidden_order_", "hidden_signs_")


def _assert_same_model(streamed, fitted, X):
    assert streamed.n_steps_ == fitted.n_steps_
    if isinstance(fitted, BernoulliRBM):
        _assert_same_arrays(streamed, fitted, _RBM_STATE)
    else:
        for a, b in zip(streamed._parameters(), fitted._parameters()):
            assert a.dtype == b.dtype
            np.testing.assert_array_equal(a, b)
        _assert_same_arrays(streamed, fitted, ("hidden_order_", "hidden_signs_"))
    np.testing.assert_array_equal(streamed.transform(X), fitted.transform(X))


# ------------------------------------------------------------ the file reader


def test_iter_dataset_reads_the_file_chunk_by_chunk_on_every_pass(path):
    X, y, metadata = load_dataset(path)
    chunks = iter_dataset(path, chunk_size=70)
    assert len(chunks) == 9 and chunks.shape == X.shape and chunks.chunk_size == 70
    assert chunks.metadata == metadata
    for _ in range(2):  # re-iterable: each pass reads the file again
        pieces = list(chunks)
        assert [len(X_chunk) for X_chunk, _ in pieces] == [70] * 8 + [40]
        assert all(X_chunk.dtype == np.int8 and X_chunk.flags.writeable
                   for X_chunk, _ in pieces)
        np.testing.assert_array_equal(np.concatenate([c for c, _ in pieces]), X)
        np.testing.assert_array_equal(np.concatenate([t for _, t in pieces]), y)
    assert len(iter_dataset(path, chunk_size=N_SAMPLES + 1)) == 1


@pytest.mark.parametrize("chunk_size, error, match", [
    (0, ValueError, "chunk_size must be a positive int, got 0"),
    (2.5, TypeError, "chunk_size must be an int, got float"),
    (True, TypeError, "chunk_size must be an int, got bool"),
])
def test_iter_dataset_rejects_a_bad_chunk_size(path, chunk_size, error, match):
    with pytest.raises(error, match=match):
        iter_dataset(path, chunk_size)


def _rewrite(source, target, **replace):
    """A valid archive with members replaced (the checksum kept)."""
    with np.load(source, allow_pickle=False) as archive:
        members = {key: archive[key] for key in archive.files}
    members.update(replace)
    np.savez(target, **members)


def test_iter_dataset_refuses_what_load_dataset_refuses(path, data, tmp_path):
    X, y = data
    with pytest.raises(FileNotFoundError):
        iter_dataset(tmp_path / "missing.npz")
    raw = path.read_bytes()
    (tmp_path / "cut.npz").write_bytes(raw[: len(raw) // 2])
    with pytest.raises(ValueError, match="not a readable skrg dataset"):
        iter_dataset(tmp_path / "cut.npz")  # when the reader is made, before any pass
    np.savez(tmp_path / "foreign.npz", X=X, y=y)
    with pytest.raises(ValueError, match="not an skrg dataset: it lacks checksum"):
        iter_dataset(tmp_path / "foreign.npz")
    _rewrite(path, tmp_path / "int16.npz", X=X.astype(np.int16))
    with pytest.raises(ValueError, match="dtype int16, expected int8"):
        iter_dataset(tmp_path / "int16.npz")
    _rewrite(path, tmp_path / "fortran.npz", X=np.asfortranarray(X))
    with pytest.raises(ValueError, match="Fortran order"):
        iter_dataset(tmp_path / "fortran.npz")
    with np.load(path) as archive:
        meta = json.loads(archive["metadata"].tobytes())
    meta["lattice_shape"] = [4, 4]
    _rewrite(path, tmp_path / "shape.npz",
             metadata=np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8))
    with pytest.raises(ValueError, match="has 16 sites but X has 64 columns"):
        iter_dataset(tmp_path / "shape.npz")


def test_iter_dataset_checks_spins_per_chunk_and_the_checksum_per_pass(path, data, tmp_path):
    X, _ = data
    flipped = X.copy()
    flipped[-1, 0] *= -1  # still spins: only the checksum can tell
    _rewrite(path, tmp_path / "flipped.npz", X=flipped)
    chunks = iter_dataset(tmp_path / "flipped.npz", chunk_size=CHUNK)
    seen = []
    with pytest.raises(ValueError, match="fails its checksum"):
        for X_chunk, _ in chunks:
            seen.append(X_chunk)
    assert len(seen) == 12  # raised at the end of the pass
    np.testing.assert_array_equal(np.concatenate(seen), flipped)

    broken = X.copy()
    broken[520, 3] = 3
    _rewrite(path, tmp_path / "broken.npz", X=broken)
    seen = []
    with pytest.raises(ValueError, match=r"rows 500 to 549\): X must hold spins -1 or \+1"):
        for X_chunk, _ in iter_dataset(tmp_path / "broken.npz", chunk_size=CHUNK):
            seen.append(X_chunk)
    assert len(seen) == 10  # the chunk holding row 520 is never yielded


# ------------------------------------------------- single layers from a file


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("Estimator, params", [
    (BernoulliRBM, dict(n_iter=2, l1=1e-3, n_gibbs_steps=2)),
    (BernoulliRBM, dict(n_iter=2, persistent=False, learning_rate=0.05)),
    (IsingAutoencoder, dict(max_iter=2, kernel_size=4, learning_rate_init=1e-2)),
    (IsingAutoencoder, dict(max_iter=2, encoder="dense", l2=1e-3)),
])
def test_single_layer_streamed_from_a_file_equals_fit(path, data, Estimator, params, dtype):
    X, _ = data
    params = dict(params, batch_size=CHUNK, shuffle=False, dtype=dtype, random_state=3)
    n_epochs = params.get("n_iter", params.get("max_iter"))
    fitted = Estimator(**params).fit(X)
    streamed = Estimator(**params)
    chunks = iter_dataset(path, chunk_size=CHUNK)
    for _ in range(n_epochs):
        for X_chunk, _ in chunks:
            streamed.partial_fit(X_chunk)
    assert streamed.n_steps_ == n_epochs * 12
    _assert_same_model(streamed, fitted, X)


# ------------------------------------------------------ the stack, level by level


_STACKS = [
    dict(layer_sizes=(16, 4), n_iter=(2, 1), l1=1e-3),
    dict(layer_sizes=(None, None), connectivity="local", kernel_size=(4, 2), n_iter=2,
         output="mean"),
]


def _stream_stack(stack, passes):
    """Train level 1 for its epochs, then level 2, ...: ``passes(level)`` streams one epoch."""
    n_iter = stack.n_iter if isinstance(stack.n_iter, tuple) else (stack.n_iter,) * 2
    for level, n_epochs in enumerate(n_iter, start=1):
        for _ in range(n_epochs):
            passes(level)
    return stack


def _assert_same_stack(streamed, fitted, X):
    for a, b in zip(streamed.layers_, fitted.layers_, strict=True):
        assert a.n_steps_ == b.n_steps_ and a.random_key_ == b.random_key_
        _assert_same_arrays(a, b, _RBM_STATE)
    assert streamed.level_shapes_ == fitted.level_shapes_
    np.testing.assert_array_equal(streamed.transform(X), fitted.transform(X))


@pytest.mark.parametrize("params", _STACKS)
def test_stack_streamed_level_by_level_from_a_file_equals_fit(path, data, params):
    X, _ = data
    params = dict(params, batch_size=CHUNK, shuffle=False, random_state=5)
    fitted = BernoulliRBMStack(**params).fit(X)
    streamed = BernoulliRBMStack(**params)
    chunks = iter_dataset(path, chunk_size=CHUNK)

    def one_epoch(level):
        for X_chunk, _ in chunks:
            streamed.partial_fit(X_chunk, level=level)

    _stream_stack(streamed, one_epoch)
    assert fitted.layers_[0].n_steps_ == 2 * 12
    _assert_same_stack(streamed, fitted, X)


def test_stack_partial_fit_initialises_every_layer_and_trains_the_one_named(data):
    X, _ = data
    stack = BernoulliRBMStack((16, 4), batch_size=CHUNK, random_state=0)
    for level in (0, 3, True, 1.0):
        with pytest.raises(ValueError, match=rf"level must be None \(every layer\) or an int "
                                             rf"from 1 .* to 2, got {level}"):
            stack.partial_fit(X[:CHUNK], level=level)
    assert not hasattr(stack, "layers_")  # refused before any state
    stack.partial_fit(X[:CHUNK], level=1)
    # The first call initialises every layer as fit would; level 2 is untouched.
    initial = BernoulliRBMStack((16, 4), batch_size=CHUNK, n_iter=0, random_state=0).fit(X)
    _assert_same_arrays(stack.layers_[1], initial.layers_[1], _RBM_STATE)
    assert [layer.n_steps_ for layer in stack.layers_] == [1, 0]
    assert stack.transform(X).shape == (N_SAMPLES, 4)
    assert stack.level_shapes_ == ((8, 8), (4, 4), (2, 2))
    with pytest.raises(ValueError, match="64 features"):
        stack.partial_fit(X[:CHUNK, :16], level=2)


def test_stack_partial_fit_without_level_steps_every_layer_in_one_pass(data):
    # level=None: on each chunk, layer 1 steps, then layer 2 steps on the spins
    # of the updated layer 1: the same as level=1 then level=2 chunk by chunk.
    X, _ = data
    params = dict(layer_sizes=(16, 4), batch_size=CHUNK, random_state=2)
    one_pass, by_hand = BernoulliRBMStack(**params), BernoulliRBMStack(**params)
    for start in range(0, N_SAMPLES, CHUNK):
        one_pass.partial_fit(X[start:start + CHUNK])
        for level in (1, 2):
            by_hand.partial_fit(X[start:start + CHUNK], level=level)
    assert [layer.n_steps_ for layer in one_pass.layers_] == [12, 12]
    _assert_same_stack(one_pass, by_hand, X)
    # ... and not the greedy fit: layer 2 learned from a layer 1 still changing.
    greedy = BernoulliRBMStack(**params, n_iter=1, shuffle=False).fit(X)
    np.testing.assert_array_equal(one_pass.layers_[0].components_,
                                  greedy.layers_[0].components_)
    assert not np.array_equal(one_pass.layers_[1].components_, greedy.layers_[1].components_)


# ------------------------------------------------------- dask-ml's Incremental


@pytest.fixture(scope="module")
def dask_data(data):
    da = pytest.importorskip("dask.array")
    X = da.from_array(data[0], chunks=(CHUNK, -1))
    assert X.numblocks == (12, 1)
    return X


@pytest.fixture
def synchronous():
    dask = pytest.importorskip("dask")
    with dask.config.set(scheduler="synchronous"):
        yield


@pytest.mark.parametrize("Estimator, params", [
    (BernoulliRBM, dict(n_iter=2, l1=1e-3)),
    (IsingAutoencoder, dict(max_iter=2, kernel_size=4, learning_rate_init=1e-2)),
])
def test_incremental_fits_a_single_layer_like_fit(data, dask_data, synchronous, Estimator,
                                                  params):
    wrappers = pytest.importorskip("dask_ml.wrappers")
    X, _ = data
    params = dict(params, batch_size=CHUNK, shuffle=False, random_state=3)
    fitted = Estimator(**params).fit(X)
    # shuffle_blocks=False: the blocks in order (Incremental shuffles them by default).
    incremental = wrappers.Incremental(Estimator(**params), shuffle_blocks=False)
    incremental.fit(dask_data)  # epoch 1 (fit starts from a clone)
    incremental.partial_fit(dask_data)  # epoch 2 continues estimator_
    _assert_same_model(incremental.estimator_, fitted, X)
    # transform maps the blocks through the fitted model: rows are independent.
    coarse = incremental.transform(dask_data)
    assert coarse.numblocks == (12, 1)
    np.testing.assert_array_equal(coarse.compute(), fitted.transform(X))


def test_incremental_fits_a_stack_level_by_level(data, dask_data, synchronous):
    wrappers = pytest.importorskip("dask_ml.wrappers")
    X, _ = data
    params = dict(_STACKS[0], batch_size=CHUNK, shuffle=False, random_state=5)
    fitted = BernoulliRBMStack(**params).fit(X)
    incremental = wrappers.Incremental(BernoulliRBMStack(**params), shuffle_blocks=False)
    # partial_fit passes level on to the stack's partial_fit, block after block.
    _stream_stack(incremental.estimator,
                  lambda level: incremental.partial_fit(dask_data, level=level))
    _assert_same_stack(incremental.estimator_, fitted, X)
    np.testing.assert_array_equal(incremental.transform(dask_data).compute(),
                                  fitted.transform(X))
