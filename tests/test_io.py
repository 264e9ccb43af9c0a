"""skrg.io: datasets round-trip with their metadata; altered or truncated files are refused."""

import json
import zipfile

import numpy as np
import pytest

from skrg import __version__, make_ising
from skrg.io import load_dataset, save_dataset


@pytest.fixture(scope="module")
def data():
    return make_ising(30, (8, 8), [2.0, 3.0], random_state=0)


def _files(directory):
    return sorted(p.name for p in directory.iterdir())


def test_round_trip_keeps_arrays_and_metadata(tmp_path, data):
    X, y = data
    path = tmp_path / "d.npz"
    checksum = save_dataset(path, X, y, algorithm=["wolff", "wolff"], seed=np.int64(3),
                            note="test", thin=np.array([1, 2]))
    X2, y2, meta = load_dataset(path)
    np.testing.assert_array_equal(X2, X)
    np.testing.assert_array_equal(y2, y)
    assert X2.dtype == np.int8 and y2.dtype == np.float64
    assert meta["lattice_shape"] == (8, 8) and meta["temperatures"] == [2.0, 3.0]
    assert meta["algorithm"] == ["wolff", "wolff"] and meta["seed"] == 3
    assert meta["note"] == "test" and meta["thin"] == [1, 2]
    assert meta["skrg_version"] == __version__ and meta["checksum"] == checksum
    assert len(checksum) == 64
    assert _files(tmp_path) == ["d.npz"]  # no temporary file left


def test_lattice_shape_is_required_when_not_square(tmp_path):
    X = np.ones((4, 12), dtype=np.int8)
    with pytest.raises(ValueError, match="perfect square"):
        save_dataset(tmp_path / "a.npz", X, [2.0] * 4)
    save_dataset(tmp_path / "a.npz", X, [2.0] * 4, lattice_shape=(3, 4))
    assert load_dataset(tmp_path / "a.npz")[2]["lattice_shape"] == (3, 4)


@pytest.mark.parametrize("change, match", [
    (lambda X, y: (X * 2, y, {}), "spins in \\[-1, 1\\]"),
    (lambda X, y: (X, y[1:], {}), "y has 59 values but X has 60 rows"),
    (lambda X, y: (X, -y, {}), "positive, finite temperatures"),
    (lambda X, y: (X, y, {"temperatures": [2.0]}), "temperatures of the metadata"),
    (lambda X, y: (X, y, {"lattice_shape": (4, 4)}), "has 16 sites but X has 64"),
])
def test_save_rejects_inconsistent_data(tmp_path, data, change, match):
    X, y, meta = change(*data)
    with pytest.raises(ValueError, match=match):
        save_dataset(tmp_path / "bad.npz", X, y, **meta)
    assert _files(tmp_path) == []


def test_save_rejects_metadata_that_is_not_json(tmp_path, data):
    with pytest.raises(TypeError, match="JSON-serialisable"):
        save_dataset(tmp_path / "bad.npz", *data, model=object())


def test_truncated_file_is_refused(tmp_path, data):
    path = tmp_path / "d.npz"
    save_dataset(path, *data)
    raw = path.read_bytes()
    for cut in (10, len(raw) // 2, len(raw) - 5):
        path.write_bytes(raw[:cut])
        with pytest.raises(ValueError, match="not a readable skrg dataset"):
            load_dataset(path)


def test_flipped_bytes_never_load_as_altered_data(tmp_path, data, flip_each_byte):
    # A flipped byte is refused, or it sat in a zip field that does not hold the
    # data (a timestamp, say) and the data load unchanged: never altered data.
    X, y = data
    path = tmp_path / "d.npz"
    save_dataset(path, X, y, seed=5)
    refused = 0
    for _ in flip_each_byte(path):
        try:
            X2, y2, meta = load_dataset(path)
        except ValueError:
            refused += 1
            continue
        np.testing.assert_array_equal(X2, X)
        np.testing.assert_array_equal(y2, y)
        assert meta["seed"] == 5
    assert refused > 40


def _rewrite(path, **replace):
    """Rewrite the archive with some members replaced (a valid zip, CRCs and all)."""
    with np.load(path, allow_pickle=False) as archive:
        members = {key: archive[key] for key in archive.files}
    members.update(replace)
    np.savez(path, **members)


def test_altered_arrays_or_metadata_fail_the_checksum(tmp_path, data):
    X, y = data
    path = tmp_path / "d.npz"
    save_dataset(path, X, y, seed=1)
    flipped = X.copy()
    flipped[0, 0] *= -1
    _rewrite(path, X=flipped)
    with pytest.raises(ValueError, match="fails its checksum"):
        load_dataset(path)

    save_dataset(path, X, y, seed=1)
    with np.load(path) as archive:
        meta = json.loads(archive["metadata"].tobytes())
    meta["seed"] = 2
    _rewrite(path, metadata=np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8))
    with pytest.raises(ValueError, match="fails its checksum"):
        load_dataset(path)


def test_wrong_dtype_and_foreign_files_are_refused(tmp_path, data):
    X, y = data
    path = tmp_path / "d.npz"
    save_dataset(path, X, y)
    _rewrite(path, X=X.astype(np.int16))
    with pytest.raises(ValueError, match="dtype int16, expected int8"):
        load_dataset(path)

    np.savez(path, X=X, y=y)
    with pytest.raises(ValueError, match="not an skrg dataset: it lacks checksum"):
        load_dataset(path)

    np.savez(path, format="x", X=X, y=y, metadata=np.zeros(2, np.uint8), checksum="0",
             extra=np.array([object()], dtype=object))
    with pytest.raises(ValueError, match="has format"):
        load_dataset(path)

    (tmp_path / "text.npz").write_text("not a zip")
    with pytest.raises(ValueError, match="not a readable skrg dataset"):
        load_dataset(tmp_path / "text.npz")
    with pytest.raises(FileNotFoundError):
        load_dataset(tmp_path / "missing.npz")


def test_pickled_members_are_never_loaded(tmp_path, data):
    X, y = data
    path = tmp_path / "d.npz"
    save_dataset(path, X, y)
    _rewrite(path, metadata=np.array([{"a": 1}], dtype=object))
    with pytest.raises(ValueError, match="not a readable skrg dataset.*allow_pickle"):
        load_dataset(path)


def test_interrupted_write_keeps_the_old_file(tmp_path, data, monkeypatch):
    X, y = data
    path = tmp_path / "d.npz"
    checksum = save_dataset(path, X, y, seed=1)

    def interrupted(file, **arrays):
        file.write(b"partial")
        raise KeyboardInterrupt

    monkeypatch.setattr(np, "savez_compressed", interrupted)
    with pytest.raises(KeyboardInterrupt):
        save_dataset(path, X[:10], y[:10], seed=2)
    monkeypatch.undo()
    assert _files(tmp_path) == ["d.npz"]
    assert load_dataset(path)[2]["checksum"] == checksum
    assert zipfile.is_zipfile(path)
