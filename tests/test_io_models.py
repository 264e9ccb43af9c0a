"""skrg.io.save_model/load_model: every estimator round-trips through skops; files naming
a type that is not trusted are refused before any of it is imported or run."""

import json
import sys
import zipfile

import numpy as np
import pytest
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.linear_model import Ridge
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from skrg import BernoulliRBM, BlockSpinRG, make_ising
from skrg.io import UntrustedModelError, _is_skrg_class, load_model, save_model
from skrg.utils import _instances
from skrg.utils.estimator_checks import _estimator_id

# Imported through the module: pytest would collect a function named test*.
ESTIMATORS = list(_instances.tested_estimators())


@pytest.fixture(scope="module")
def data():
    return make_ising(40, (8, 8), [2.0, 3.0], random_state=0)


@pytest.fixture(autouse=True)
def one_thread():
    with threadpool_limits(1):
        yield


def _assert_same(a, b, where="model"):
    """Bitwise equality of two objects, attribute by attribute for estimators."""
    assert type(a) is type(b), f"{where}: {type(a)} != {type(b)}"
    if isinstance(a, np.ndarray):
        assert a.dtype == b.dtype and a.shape == b.shape, where
        np.testing.assert_array_equal(a, b, err_msg=where, strict=True)
    elif isinstance(a, np.random.RandomState):
        _assert_same(a.get_state(legacy=False), b.get_state(legacy=False), where)
    elif isinstance(a, np.random.Generator):
        _assert_same(a.bit_generator.state, b.bit_generator.state, where)
    elif isinstance(a, dict):
        assert list(a) == list(b), f"{where}: keys {list(a)} != {list(b)}"
        for key in a:
            _assert_same(a[key], b[key], f"{where}[{key!r}]")
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b)):
            _assert_same(x, y, f"{where}[{i}]")
    elif isinstance(a, BaseEstimator):
        _assert_same(vars(a), vars(b), f"{where}.{type(a).__name__}")
    elif isinstance(a, float) and np.isnan(a):
        assert np.isnan(b), where
    else:
        assert a == b, f"{where}: {a!r} != {b!r}"


class Negate(TransformerMixin, BaseEstimator):
    """A transformer from outside skrg, scikit-learn and numpy."""

    def fit(self, X, y=None):
        return self

    def transform(self, X):
        return -np.asarray(X, dtype=float)


NEGATE = f"{Negate.__module__}.{Negate.__qualname__}"


# ------------------------------------------------------------------ round trips


@pytest.mark.parametrize("estimator", ESTIMATORS, ids=_estimator_id)
def test_every_estimator_round_trips_bitwise(tmp_path, data, estimator):
    X, y = data
    estimator.fit(X, y)
    path = save_model(estimator, tmp_path / "model.skops")
    assert path == tmp_path / "model.skops" and path.is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.skops"]
    loaded = load_model(path)
    _assert_same(estimator, loaded)  # every fitted attribute, bitwise
    _assert_same(estimator.get_params(), loaded.get_params())
    # The same random_state draws the same spins (output="spins" samples them).
    _assert_same(estimator.transform(X), loaded.transform(X))


def test_round_trip_keeps_a_random_state_instance(tmp_path, data):
    X, _ = data
    rbm = BernoulliRBM(n_components=4, n_iter=1, random_state=np.random.RandomState(3)).fit(X)
    loaded = load_model(save_model(rbm, tmp_path / "rbm.skops"))
    _assert_same(rbm, loaded)
    _assert_same(rbm.transform(X), loaded.transform(X))


def test_pipeline_of_skrg_and_sklearn_estimators_round_trips(tmp_path, data):
    X, y = data
    pipe = make_pipeline(
        BlockSpinRG(output="mean", random_state=0),
        BernoulliRBM(n_components=4, lattice_shape=(4, 4), connectivity="local",
                     kernel_size=2, n_iter=2, output="mean", random_state=0),
        StandardScaler(), Ridge(alpha=0.1),
    ).fit(X, y)
    loaded = load_model(save_model(pipe, tmp_path / "pipe.skops"))
    _assert_same(pipe, loaded)
    np.testing.assert_array_equal(loaded.predict(X), pipe.predict(X), strict=True)
    assert loaded.score(X, y) == pipe.score(X, y)


def test_save_model_overwrites_atomically_and_keeps_the_old_file_on_failure(tmp_path, data):
    X, _ = data
    path = tmp_path / "m.skops"
    save_model(BlockSpinRG(rule="decimation").fit(X), path)
    old = path.read_bytes()
    # skops cannot store a generator: the dump fails and the old file stays whole.
    with pytest.raises(TypeError):
        save_model(BlockSpinRG(random_state=(i for i in range(3))), path)
    assert path.read_bytes() == old
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.skops"]
    assert load_model(path).rule == "decimation"


# ------------------------------------------------------------- refused types


def test_pipeline_with_a_foreign_step_is_refused_unless_trusted(tmp_path, data):
    X, y = data
    pipe = make_pipeline(BlockSpinRG(output="mean"), Negate(), Ridge()).fit(X, y)
    path = save_model(pipe, tmp_path / "pipe.skops")
    with pytest.raises(UntrustedModelError, match="does not trust") as info:
        load_model(path)
    assert info.value.types == (NEGATE,)
    assert repr(NEGATE) in str(info.value) and "trusted=" in str(info.value)
    assert isinstance(info.value, ValueError)
    loaded = load_model(path, trusted=[NEGATE])
    np.testing.assert_array_equal(loaded.predict(X), pipe.predict(X), strict=True)


def _crafted(tmp_path, payload):
    """A BlockSpinRG file whose ``rule`` parameter is replaced by ``payload``."""
    X, _ = make_ising(4, (4, 4), 2.5, random_state=0)
    path = save_model(BlockSpinRG().fit(X), tmp_path / "crafted.skops")
    members = _members(path)
    schema = json.loads(members["schema.json"])
    schema["content"]["content"]["rule"] = payload
    members["schema.json"] = json.dumps(schema).encode()
    _write_zip(path, members)
    return path


def _members(path):
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def _write_zip(path, members):
    """A valid zip (CRCs and all) holding ``members``, name to bytes."""
    with zipfile.ZipFile(path, "w") as archive:
        for name, content in members.items():
            archive.writestr(name, content)


def _call(module, name, *args):
    """Schema of ``module.name(*args)``, which skops builds by calling it."""
    strings = [{"__class__": "str", "__module__": "builtins", "__loader__": "JsonNode",
                "content": json.dumps(arg), "is_json": True, "__id__": 900 + i}
               for i, arg in enumerate(args)]
    return {"__class__": name, "__module__": module, "__loader__": "ConstructorFromReduceNode",
            "__id__": 800, "content": {"__class__": "tuple", "__module__": "builtins",
                                       "__loader__": "TupleNode", "content": strings,
                                       "__id__": 801}}


def _object(module, name):
    """Schema of an instance of ``module.name``, which skops builds after importing it."""
    return {"__class__": name, "__module__": module, "__loader__": "ObjectNode", "__id__": 802}


@pytest.fixture
def evil_module(tmp_path, monkeypatch):
    """A module ``skrg_evil`` on sys.path that leaves a mark if ever imported."""
    mark = tmp_path / "imported"
    (tmp_path / "skrg_evil.py").write_text(
        f"open({str(mark)!r}, 'w').close()\nclass Payload:\n    pass\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    yield mark
    sys.modules.pop("skrg_evil", None)


@pytest.mark.parametrize("module, name, how", [
    ("os", "system", "shell"),
    ("builtins", "eval", "python"),
    ("builtins", "exec", "python"),
    ("skrg.io", "save_model", "save"),  # skrg's functions are not trusted, only its classes
    ("skrg.os", "system", "shell"),  # spelled like skrg, not skrg's
    ("skrg.io", "os", "shell"),
])
def test_file_calling_a_foreign_function_is_refused_and_nothing_runs(tmp_path, module, name,
                                                                    how):
    mark = tmp_path / "ran"
    args = {"shell": [f"touch {mark}"], "python": [f"open({str(mark)!r}, 'w').close()"],
            "save": [[1], str(mark)]}[how]
    path = _crafted(tmp_path, _call(module, name, *args))
    with pytest.raises(UntrustedModelError) as info:
        load_model(path)
    assert info.value.types == (f"{module}.{name}",)
    assert f"{module}.{name}" in str(info.value)
    assert not mark.exists()


def test_refused_call_would_run_if_trusted(tmp_path):
    # The crafted files above are live: trusting the function runs it on load.
    mark = tmp_path / "ran"
    path = _crafted(tmp_path, _call("skrg.io", "save_model", [1], str(mark)))
    loaded = load_model(path, trusted=["skrg.io.save_model"])
    assert mark.exists() and loaded.rule == mark


@pytest.mark.parametrize("module, name", [
    ("skrg_evil", "Payload"),  # a lookalike package: never imported
    ("skrg.io", "np"),  # a module skrg imports, not a class of skrg
    ("skrg.neural._rbm", "BaseEstimator"),  # imported into skrg, defined in sklearn
])
def test_file_holding_a_foreign_object_is_refused_and_not_imported(tmp_path, evil_module,
                                                                  module, name):
    path = _crafted(tmp_path, _object(module, name))
    with pytest.raises(UntrustedModelError, match="does not trust") as info:
        load_model(path)
    assert info.value.types == (f"{module}.{name}",)
    assert not evil_module.exists() and "skrg_evil" not in sys.modules


def test_trusted_lets_a_user_accept_a_foreign_object(tmp_path, evil_module):
    path = _crafted(tmp_path, _object("skrg_evil", "Payload"))
    loaded = load_model(path, trusted=["skrg_evil.Payload"])
    assert type(loaded.rule).__name__ == "Payload" and evil_module.exists()


@pytest.mark.parametrize("name, trusted", [
    ("skrg.rg._block_spin.BlockSpinRG", True),
    ("skrg.rg.BlockSpinRG", True),  # re-exported, defined in skrg
    ("skrg.io.UntrustedModelError", True),
    ("skrg.lattice.Lattice", True),
    ("skrg.io.save_model", False),  # a function
    ("skrg.ising.observables.magnetization", False),
    ("skrg.io.np", False),  # a module
    ("skrg.io.os", False),
    ("skrg.io.BaseEstimator", False),
    ("skrg.utils._instances.IsingAutoencoder", True),
    ("skrg.neural._rbm.BaseEstimator", False),  # imported into skrg, defined in sklearn
    ("skrg.os.system", False),
    ("skrg.__main__.main", False),
    ("skrg_evil.Payload", False),
    ("skrg.Missing", False),
    ("skrg..X", False),
    ("skrg", False),
    ("sklearn.base.BaseEstimator", False),
])
def test_only_classes_defined_in_skrg_are_skrg_classes(name, trusted):
    assert _is_skrg_class(name) is trusted


# ----------------------------------------------------------------- bad files


@pytest.fixture
def saved(tmp_path, data):
    X, _ = data
    rbm = BernoulliRBM(n_components=4, n_iter=1, random_state=0).fit(X)
    return rbm, save_model(rbm, tmp_path / "rbm.skops")


def test_missing_file_raises_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError, match="No model at .*nothing.skops"):
        load_model(tmp_path / "nothing.skops")


def test_truncated_file_is_refused(saved):
    _, path = saved
    raw = path.read_bytes()
    for cut in (0, 10, len(raw) // 3, len(raw) // 2, len(raw) - 5):
        path.write_bytes(raw[:cut])
        with pytest.raises(ValueError, match="empty|not a readable skops model file"):
            load_model(path)


def test_random_bytes_and_other_files_are_refused(tmp_path):
    path = tmp_path / "noise.skops"
    path.write_bytes(np.random.default_rng(0).bytes(4096))
    with pytest.raises(ValueError, match="noise.skops is not a readable skops model file"):
        load_model(path)
    # A zip that is not skops, and a skops zip whose schema is not JSON.
    for members in ({"hello.txt": b"hi"}, {"schema.json": b"{not json"},
                    {"schema.json": b'{"__loader__": "NoSuchNode", "__module__": "a", '
                                    b'"__class__": "b", "protocol": 2}'}):
        _write_zip(path, members)
        with pytest.raises(ValueError, match="not a readable skops model file"):
            load_model(path)


def test_file_missing_an_array_is_refused(saved):
    _, path = saved
    members = _members(path)
    arrays = [name for name in members if name.endswith(".npy")]
    assert arrays
    del members[arrays[0]]
    _write_zip(path, members)
    with pytest.raises(ValueError, match="not a readable skops model file"):
        load_model(path)


def test_flipped_bytes_never_load_as_an_altered_model(saved, flip_each_byte):
    # A flipped byte is refused (zip CRC, deflate or schema errors), or it sat in a
    # field that holds no model data (a timestamp, say) and the model loads unchanged.
    rbm, path = saved
    refused = 0
    for position in flip_each_byte(path):
        try:
            loaded = load_model(path)
        except ValueError:
            refused += 1
            continue
        _assert_same(rbm, loaded, f"byte {position}")
    assert refused >= 40


def test_trusted_must_be_a_list_of_names(saved):
    _, path = saved
    for bad in ("skrg_evil.Payload", True, [Negate]):
        with pytest.raises(TypeError, match="trusted must"):
            load_model(path, trusted=bad)


def test_missing_skops_says_how_to_install_it(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "skops", None)
    monkeypatch.setitem(sys.modules, "skops.io", None)
    for call in (lambda: save_model(BlockSpinRG(), tmp_path / "m.skops"),
                 lambda: load_model(tmp_path / "m.skops")):
        with pytest.raises(ImportError, match=r'pip install "skrg\[io\]"'):
            call()
    assert not (tmp_path / "m.skops").exists()
