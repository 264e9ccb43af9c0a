"""Datasets and fitted models on disk, written atomically and read without pickle.

**Datasets.** A dataset is the pair ``(X, y)`` of :func:`skrg.make_ising`: ``X`` the int8
spins, one configuration per row, and ``y`` the temperature of every row. It
is stored with what is needed to trust and reuse it: the lattice shape, the
temperatures, the sampling algorithm, the seed, the skrg version that wrote
it (and any other JSON-serialisable values), and a SHA-256 checksum over the
arrays and the metadata. :func:`load_dataset` verifies the checksum, the
dtypes and the metadata, and refuses a truncated or altered file with a
``ValueError`` that says what is wrong. Files are read with
``numpy.load(allow_pickle=False)``: loading a dataset never executes code from
the file. :func:`iter_dataset` reads one in chunks of rows, for ``partial_fit``
on data larger than memory.

**Models.** :func:`save_model` writes a fitted estimator (or a Pipeline of skrg
and scikit-learn estimators) in the `skops <https://skops.readthedocs.io>`_
format, and :func:`load_model` reads it back: the file lists the type of every
object it holds, and only types known to be safe are loaded (skops' defaults,
which cover numpy, scipy and scikit-learn, plus skrg's own classes). A file
holding any other type is refused with :class:`UntrustedModelError` before
anything from it is imported or run. skops is optional: ``pip install "skrg[io]"``.

Both write to a temporary name in the target directory and rename it into
place, so a crash or Ctrl-C never leaves half a file under the final name.

pickle (or joblib) also stores any estimator and loads it faster, but
unpickling runs whatever code the file names: use it only for files you wrote
yourself or otherwise fully trust.
"""
import contextlib
import hashlib
import json
import importlib
import inspect
import math
import numbers
import os
import pathlib
import struct
import tempfile
import zipfile
import zlib

import numpy as np

__all__ = ["UntrustedModelError", "iter_dataset", "load_dataset", "load_model",
           "save_dataset", "save_model"]

_FORMAT = "skrg.dataset/1"
_KEYS = {"format", "X", "y", "metadata", "checksum"}
_RESERVED = ("lattice_shape", "temperatures", "algorithm", "seed", "skrg_version")


# ------------------------------------------------------------------ atomic files


def _default_mode():
    """Permissions of a new file under the current umask (mkstemp would give 0600)."""
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


@contextlib.contextmanager
def _atomic_write(path, mode="wb"):
    """Open a temporary file beside ``path``; rename it onto ``path`` on success.

    The temporary file is ``.<name>.<random>.tmp`` in the same directory (so the
    rename is atomic on POSIX and Windows), flushed and fsynced before
    :func:`os.replace`. On any exception, KeyboardInterrupt included, it is
    removed and ``path`` is left as it was.
    """
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{os.path.basename(path)}.",
                               suffix=".tmp")
    try:
        with os.fdopen(fd, mode, **({} if "b" in mode else {"encoding": "utf-8"})) as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, _default_mode())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


# ---------------------------------------------------------------------- helpers


def _jsonable(value, key):
    """``value`` as plain JSON types (numpy scalars and arrays, tuples converted)."""
    if value is None or isinstance(value, (str, bool)):
        return value
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        value = float(value)
        if not math.isfinite(value):
            raise ValueError(f"metadata {key!r} must be finite, got {value!r}.")
        return value
    if isinstance(value, np.ndarray):
        return [_jsonable(v, key) for v in value.tolist()]
    if isinstance(value, (list, tuple)):
        return [_jsonable(v, key) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v, key) for k, v in value.items()}
    raise TypeError(
        f"metadata {key!r} must be JSON-serialisable (str, number, bool, None, list, "
        f"dict or numpy array), got {type(value).__name__}."
    )


def _array_tag(dtype, shape):
    """What the checksum reads before an array's bytes: its dtype and shape."""
    return f"\0{dtype.str}{tuple(shape)}\0".encode()


def _checksum(X, y, metadata_bytes):
    """SHA-256 over the format, each array's dtype, shape and bytes, and the metadata."""
    digest = hashlib.sha256(_FORMAT.encode())
    for array in (X, y):
        digest.update(_array_tag(array.dtype, array.shape))
        digest.update(np.ascontiguousarray(array).data)
    digest.update(b"\0")
    digest.update(metadata_bytes)
    return digest.hexdigest()


def _check_arrays(X, y, lattice_shape, temperatures, where):
    """Check spins, temperatures and their agreement with the metadata."""
    _check_layout(X.dtype, X.shape, y, lattice_shape, temperatures, where)
    _check_spin_values(X, where)


def _check_layout(X_dtype, X_shape, y, lattice_shape, temperatures, where):
    """Everything :func:`_check_arrays` checks but the values of the spins."""
    if X_dtype != np.int8 or len(X_shape) != 2:
        raise ValueError(f"{where}: X must be a 2D int8 array of spins, got "
                         f"{len(X_shape)}D {X_dtype}.")
    if y.dtype != np.float64 or y.ndim != 1 or len(y) != X_shape[0]:
        raise ValueError(f"{where}: y must be a float64 array with one temperature per row "
                         f"of X ({X_shape[0]}), got shape {y.shape} and dtype {y.dtype}.")
    if not np.all(np.isfinite(y) & (y > 0)):
        raise ValueError(f"{where}: y must hold positive, finite temperatures.")
    if math.prod(lattice_shape) != X_shape[1]:
        raise ValueError(f"{where}: lattice_shape {tuple(lattice_shape)} has "
                         f"{math.prod(lattice_shape)} sites but X has {X_shape[1]} columns.")
    if sorted(set(y.tolist())) != sorted(temperatures):
        raise ValueError(f"{where}: the temperatures of the metadata {list(temperatures)} "
                         f"are not those of y {sorted(set(y.tolist()))}.")


def _check_spin_values(X, where):
    if X.size and not np.all((X == 1) | (X == -1)):
        raise ValueError(f"{where}: X must hold spins -1 or +1 only.")


# ------------------------------------------------------------------------ public


def save_dataset(path, X, y, **metadata):
    """Save Ising configurations and their temperatures to an ``.npz`` file, atomically.

    The file holds ``X`` (int8), ``y`` (float64), the metadata as JSON and a
    SHA-256 checksum of all three. It is written to a temporary file in the
    same directory and renamed onto ``path``, so ``path`` is either the old
    file, or the complete new one, never a partial write.

    Parameters
    ----------
    path : str or path-like
        Destination, conventionally ending in ``.npz`` (used as given). Its
        directory must exist.
    X : array-like of shape (n_samples, n_sites)
        Spins, every value -1 or +1; stored as int8.
    y : array-like of shape (n_samples,)
        The temperature of every row, positive; stored as float64.
    **metadata
        JSON-serialisable values stored with the data (numpy scalars and
        arrays are converted). Recognised keys: ``lattice_shape`` (default: a
        square lattice when ``n_sites`` is a perfect square, else required),
        ``temperatures`` (default: the distinct values of ``y``, sorted; if
        given it must be exactly those), ``algorithm`` and ``seed`` (default
        None). ``skrg_version`` is always set to the version writing the file.

    Returns
    -------
    checksum : str
        The hexadecimal SHA-256 stored in the file.

    Raises
    ------
    ValueError
        If ``X`` is not -1/+1 spins, ``y`` not one positive temperature per
        row, the lattice shape does not match ``n_sites`` (or cannot be
        inferred), or the temperatures disagree with ``y``.
    TypeError
        If a metadata value is not JSON-serialisable.
    OSError
        If ``path`` cannot be written (``FileNotFoundError`` when its directory
        does not exist, ``IsADirectoryError`` when it is a directory).

    See Also
    --------
    load_dataset : Read and verify a saved dataset.

    Examples
    --------
    >>> import os, tempfile
    >>> from skrg import make_ising
    >>> from skrg.io import load_dataset, save_dataset
    >>> X, y = make_ising(20, (8, 8), [2.0, 3.0], random_state=0)
    >>> path = os.path.join(tempfile.mkdtemp(), "ising.npz")
    >>> checksum = save_dataset(path, X, y, algorithm="auto", seed=0)
    >>> X2, y2, meta = load_dataset(path)
    >>> bool((X2 == X).all() and (y2 == y).all())
    True
    >>> meta["lattice_shape"], meta["temperatures"], meta["seed"], meta["checksum"] == checksum
    ((8, 8), [2.0, 3.0], 0, True)
    """
    from . import __version__
    from .lattice import check_lattice_shape, resolve_lattice_shape
    from .utils import check_spins

    X = np.ascontiguousarray(check_spins(X), dtype=np.int8)
    y = np.ascontiguousarray(np.asarray(y, dtype=np.float64).reshape(-1))
    if len(y) != len(X):
        raise ValueError(f"y has {len(y)} values but X has {len(X)} rows; y must hold the "
                         "temperature of every row.")
    shape = metadata.pop("lattice_shape", None)
    shape = (resolve_lattice_shape(None, X.shape[1]) if shape is None
             else check_lattice_shape(shape))
    temperatures = metadata.pop("temperatures", None)
    temperatures = (sorted(set(y.tolist())) if temperatures is None
                    else sorted(float(t) for t in np.atleast_1d(temperatures)))
    metadata.pop("skrg_version", None)
    _check_arrays(X, y, shape, temperatures, "save_dataset")
    meta = {
        "lattice_shape": [int(s) for s in shape],
        "temperatures": temperatures,
        "algorithm": _jsonable(metadata.pop("algorithm", None), "algorithm"),
        "seed": _jsonable(metadata.pop("seed", None), "seed"),
        "skrg_version": __version__,
    }
    meta.update({key: _jsonable(value, key) for key, value in metadata.items()})
    meta_bytes = json.dumps(meta, sort_keys=True, separators=(",", ":")).encode()
    checksum = _checksum(X, y, meta_bytes)
    with _atomic_write(path) as f:
        np.savez_compressed(
            f, format=np.array(_FORMAT), X=X, y=y,
            metadata=np.frombuffer(meta_bytes, dtype=np.uint8), checksum=np.array(checksum),
        )
    return checksum


def load_dataset(path):
    """Load a dataset written by :func:`save_dataset` and verify it.

    Parameters
    ----------
    path : str or path-like
        An ``.npz`` file written by :func:`save_dataset`.

    Returns
    -------
    X : ndarray of shape (n_samples, n_sites), dtype int8
        Spins -1/+1.
    y : ndarray of shape (n_samples,), dtype float64
        The temperature of every row.
    metadata : dict
        The stored metadata (``lattice_shape`` as a tuple, ``temperatures``
        as a list, ``algorithm``, ``seed``, ``skrg_version`` and any others),
        plus ``checksum``, the verified SHA-256.

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    ValueError
        If the file is truncated, not an ``.npz`` archive, not an skrg dataset,
        or altered (checksum mismatch), or if its arrays or metadata are
        inconsistent (dtype, spins, shapes, temperatures). The message names
        the file and the problem.

    See Also
    --------
    save_dataset : Write a dataset.

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np
    >>> from skrg.io import load_dataset, save_dataset
    >>> path = os.path.join(tempfile.mkdtemp(), "tiny.npz")
    >>> X = np.array([[1, -1, -1, 1], [1, 1, 1, 1]], dtype=np.int8)
    >>> _ = save_dataset(path, X, [2.5, 2.5], algorithm="wolff", seed=7)
    >>> X2, y2, meta = load_dataset(path)
    >>> X2.dtype, y2.tolist(), meta["lattice_shape"], meta["algorithm"]
    (dtype('int8'), [2.5, 2.5], (2, 2), 'wolff')

    A file cut short is refused:

    >>> with open(path, "rb") as f:
    ...     data = f.read()
    >>> with open(path, "wb") as f:
    ...     _ = f.write(data[: len(data) // 2])
    >>> load_dataset(path)
    Traceback (most recent call last):
    ...
    ValueError: ...tiny.npz is not a readable skrg dataset (truncated or not an .npz file)...
    """
    name = _existing_file(path)
    arrays = _read_members(name, _KEYS)
    meta_bytes, stored = _checked_header(name, arrays)
    X, y = arrays["X"], arrays["y"]
    if X.dtype != np.int8:
        raise ValueError(f"{name}: X has dtype {X.dtype}, expected int8 spins.")
    if _checksum(X, y, meta_bytes) != stored:
        raise ValueError(f"{name} fails its checksum: the data or metadata were altered "
                         "after it was written.")
    metadata = _parse_metadata(name, meta_bytes, stored)
    _check_arrays(X, y, metadata["lattice_shape"], metadata["temperatures"], name)
    return X, y, metadata


def _existing_file(path):
    name = os.fspath(path)
    if not os.path.exists(name):
        raise FileNotFoundError(f"No dataset at {name}.")
    return name


@contextlib.contextmanager
def _reading(name):
    """Turn what a damaged archive raises while it is read into a ValueError naming it."""
    try:
        yield
    except ValueError as error:
        if str(error).startswith(name):
            raise
        raise ValueError(f"{name} is not a readable skrg dataset (truncated or not an "
                         f".npz file written without pickles): {error}") from None
    except (OSError, EOFError, zipfile.BadZipFile, zlib.error, KeyError) as error:
        raise ValueError(f"{name} is not a readable skrg dataset (truncated or not an "
                         f".npz file): {error}") from None


def _read_members(name, keys):
    """The arrays ``keys`` of the dataset archive ``name`` (every member of _KEYS must exist)."""
    with _reading(name):
        archive = np.load(name, allow_pickle=False)
        if not isinstance(archive, np.lib.npyio.NpzFile):  # a lone .npy array
            raise ValueError(f"{name} is not an skrg dataset: it holds a single array, not "
                             "an .npz archive (save it with skrg.io.save_dataset).")
        with archive:
            missing = _KEYS - set(archive.files)
            if missing:
                raise ValueError(
                    f"{name} is not an skrg dataset: it lacks "
                    f"{', '.join(sorted(missing))} (save it with skrg.io.save_dataset)."
                )
            return {key: archive[key] for key in keys}


def _checked_header(name, arrays):
    """The format checked; the metadata bytes and the stored checksum."""
    if arrays["format"].shape != () or str(arrays["format"]) != _FORMAT:
        raise ValueError(f"{name} has format {arrays['format']!r}, expected {_FORMAT!r}.")
    meta_bytes = arrays["metadata"]
    if meta_bytes.dtype != np.uint8 or meta_bytes.ndim != 1:
        raise ValueError(f"{name}: the metadata must be UTF-8 JSON bytes.")
    return meta_bytes.tobytes(), str(arrays["checksum"])


def _parse_metadata(name, meta_bytes, checksum):
    """The metadata dict of load_dataset (lattice_shape a tuple, checksum added)."""
    try:
        metadata = json.loads(meta_bytes.decode())
        if not isinstance(metadata, dict):
            raise ValueError("not a JSON object")
        missing = [key for key in _RESERVED if key not in metadata]
        if missing:
            raise ValueError(f"missing {', '.join(missing)}")
        shape = tuple(int(s) for s in metadata["lattice_shape"])
        temperatures = [float(t) for t in metadata["temperatures"]]
    except (ValueError, TypeError, UnicodeDecodeError) as error:
        raise ValueError(f"{name} has malformed metadata: {error}.") from None
    metadata["lattice_shape"] = shape
    metadata["temperatures"] = temperatures
    metadata["checksum"] = checksum
    return metadata


# ------------------------------------------------------------ reading in chunks


def iter_dataset(path, chunk_size=10_000):
    """Read a dataset written by :func:`save_dataset` in chunks of rows.

    For data larger than memory: the spins are decompressed from the file as
    they are read, so at most ``chunk_size`` rows of ``X`` are in memory at a
    time, and each chunk can go to an estimator's ``partial_fit``. The
    returned reader can be iterated any number of times (once per epoch, or
    once per layer of :class:`skrg.BernoulliRBMStack`): every ``for`` loop
    reads the file again from the start. The temperatures ``y`` (8 bytes a
    row) and the metadata are read whole when the reader is made.

    The header, the metadata and ``y`` are checked when the reader is made,
    the spins of every chunk as it is read, and the checksum over the whole
    file when a pass reaches its end, so a file altered after it was written
    raises ``ValueError`` at the end of the first pass (a loop that stops
    early checks no checksum).

    Parameters
    ----------
    path : str or path-like
        An ``.npz`` file written by :func:`save_dataset`.
    chunk_size : int, default=10_000
        Rows per chunk; the last chunk of a pass holds the rest. To stream
        the minibatches of an estimator's ``fit``, use its ``batch_size``.

    Returns
    -------
    chunks : iterable of (X_chunk, y_chunk)
        Re-iterable; each pass yields int8 spins of shape
        ``(n_rows, n_sites)`` and their float64 temperatures, rows in file
        order. ``len(chunks)`` is the number of chunks of a pass, and
        ``chunks.shape`` (the shape of ``X``), ``chunks.chunk_size`` and
        ``chunks.metadata`` (as :func:`load_dataset` returns it) are known
        without reading ``X``.

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    TypeError, ValueError
        If ``chunk_size`` is not a positive int. ValueError for the problems
        :func:`load_dataset` refuses, when the reader is made or, for the
        spins and the checksum, during a pass.

    See Also
    --------
    load_dataset : Read a dataset whole.

    Examples
    --------
    >>> import os, tempfile
    >>> from skrg import BernoulliRBM, make_ising
    >>> from skrg.io import iter_dataset, save_dataset
    >>> X, y = make_ising(120, (8, 8), 2.5, random_state=0)
    >>> path = os.path.join(tempfile.mkdtemp(), "ising.npz")
    >>> _ = save_dataset(path, X, y)
    >>> chunks = iter_dataset(path, chunk_size=50)
    >>> len(chunks), chunks.shape, chunks.metadata["lattice_shape"]
    (3, (120, 64), (8, 8))
    >>> [len(X_chunk) for X_chunk, _ in chunks]
    [50, 50, 20]
    >>> rbm = BernoulliRBM(random_state=0)
    >>> for epoch in range(2):
    ...     for X_chunk, _ in chunks:
    ...         rbm = rbm.partial_fit(X_chunk)
    >>> rbm.n_steps_
    6
    """
    if isinstance(chunk_size, bool) or not isinstance(chunk_size, numbers.Integral):
        raise TypeError(f"chunk_size must be an int, got {type(chunk_size).__name__}.")
    if chunk_size < 1:
        raise ValueError(f"chunk_size must be a positive int, got {chunk_size}.")
    return _DatasetChunks(_existing_file(path), int(chunk_size))


def _read_npy_header(stream):
    """Shape, Fortran order and dtype of the ``.npy`` member read by ``stream``."""
    version = np.lib.format.read_magic(stream)
    if version == (1, 0):
        return np.lib.format.read_array_header_1_0(stream)
    return np.lib.format.read_array_header_2_0(stream)


class _DatasetChunks:
    """The re-iterable reader :func:`iter_dataset` returns."""

    def __init__(self, name, chunk_size):
        self._name, self.chunk_size = name, chunk_size
        arrays = _read_members(name, _KEYS - {"X"})
        self._meta_bytes, self._stored = _checked_header(name, arrays)
        self._y = arrays["y"]
        with _reading(name), zipfile.ZipFile(name) as archive, archive.open("X.npy") as x:
            shape, fortran_order, dtype = _read_npy_header(x)
        if dtype != np.int8:
            raise ValueError(f"{name}: X has dtype {dtype}, expected int8 spins.")
        if fortran_order:
            raise ValueError(f"{name}: X is stored in Fortran order; save_dataset writes "
                             "rows contiguously, which reading in chunks of rows needs.")
        self.metadata = _parse_metadata(name, self._meta_bytes, self._stored)
        _check_layout(dtype, shape, self._y, self.metadata["lattice_shape"],
                      self.metadata["temperatures"], name)
        self.shape = tuple(int(s) for s in shape)

    def __len__(self):
        return -(-self.shape[0] // self.chunk_size)

    def __repr__(self):
        return f"iter_dataset({self._name!r}, chunk_size={self.chunk_size})"

    def __iter__(self):
        name, (n_samples, n_sites) = self._name, self.shape
        digest = hashlib.sha256(_FORMAT.encode())
        digest.update(_array_tag(np.dtype(np.int8), self.shape))
        with _reading(name), zipfile.ZipFile(name) as archive, archive.open("X.npy") as x:
            # The header was checked when the reader was made; the checksum
            # at the end of the pass covers a file replaced since.
            _read_npy_header(x)
            for start in range(0, n_samples, self.chunk_size):
                rows = min(self.chunk_size, n_samples - start)
                buffer = bytearray(rows * n_sites)
                if x.readinto(buffer) != len(buffer):
                    raise ValueError(f"{name}: X ends before its {n_samples} rows.")
                digest.update(buffer)
                X = np.frombuffer(buffer, dtype=np.int8).reshape(rows, n_sites)
                _check_spin_values(X, f"{name} (rows {start} to {start + rows - 1})")
                yield X, self._y[start:start + rows].copy()
        digest.update(_array_tag(self._y.dtype, self._y.shape))
        digest.update(np.ascontiguousarray(self._y).data)
        digest.update(b"\0")
        digest.update(self._meta_bytes)
        if digest.hexdigest() != self._stored:
            raise ValueError(f"{name} fails its checksum: the data or metadata were altered "
                             "after it was written (or the file was replaced during the "
                             "pass); the chunks already read came from it.")


# ------------------------------------------------------------------------ models

# What a malformed model file raises while skops parses or builds it: zip errors
# (NotImplementedError for a compression method altered to an unknown one), JSON
# errors, a schema missing keys or naming unknown loaders, arrays cut short.
_MODEL_READ_ERRORS = (OSError, EOFError, zipfile.BadZipFile, zlib.error, struct.error,
                      NotImplementedError, OverflowError, RecursionError, KeyError,
                      IndexError, AttributeError, TypeError, ValueError)


class UntrustedModelError(ValueError):
    """A model file holds types that :func:`load_model` does not trust.

    Raised before anything from the file is imported, built or called. The
    message lists the types and how to accept them; ``types`` holds them.

    Parameters
    ----------
    message : str
        What was refused and how to accept it.
    types : sequence of str, default=()
        The refused types, fully qualified (``"module.name"``).

    Attributes
    ----------
    types : tuple of str
        The refused types, sorted.

    See Also
    --------
    load_model : Load a model saved with :func:`save_model`.

    Examples
    --------
    skrg's classes are trusted, its functions are not (a trusted object could
    call them, and some write files):

    >>> import os, tempfile
    >>> from sklearn.preprocessing import FunctionTransformer
    >>> from skrg.ising.observables import magnetization
    >>> from skrg.io import UntrustedModelError, load_model, save_model
    >>> path = save_model(FunctionTransformer(magnetization),
    ...                   os.path.join(tempfile.mkdtemp(), "m.skops"))
    >>> try:
    ...     load_model(path)
    ... except UntrustedModelError as error:
    ...     print(error.types)
    ('skrg.ising.observables.magnetization',)
    >>> load_model(path, trusted=["skrg.ising.observables.magnetization"])
    FunctionTransformer(func=<function magnetization at ...>)
    """

    def __init__(self, message, types=()):
        super().__init__(message)
        self.types = tuple(sorted(types))


def _skops_io():
    """``skops.io``, or an ImportError that says how to install it."""
    try:
        import skops.io
    except ImportError as error:
        raise ImportError(
            "skrg.io.save_model and load_model need skops (safe persistence without "
            'pickle): pip install "skrg[io]"'
        ) from error
    return skops.io


def _always_trusted():
    """Types trusted on top of skops' defaults and skrg's classes."""
    from sklearn.utils import Bunch

    # A dict with attribute access (CouplingFlowAnalyzer.exponents_by_level_), which
    # skops builds as an empty Bunch filled item by item: no code of the file runs.
    return {f"{Bunch.__module__}.{Bunch.__qualname__}"}


def _is_skrg_class(name):
    """Whether ``name`` (``"module.Class"``) is a class defined in skrg.

    Only modules inside the skrg package are imported, and a name merely spelled
    like skrg's (``skrg_evil.X``, ``skrg.os.system``, ``skrg.io.os``) is not one:
    the attribute must be a class whose own ``__module__`` is skrg or a submodule.
    """
    module_name, _, attr = name.rpartition(".")
    parts = module_name.split(".")
    if (parts[0] != "skrg" or "__main__" in parts
            or not all(part.isidentifier() for part in [*parts, attr])):
        return False
    try:
        module = importlib.import_module(module_name)
    except ImportError:
        return False
    obj = getattr(module, attr, None)
    owner = getattr(obj, "__module__", None) or ""
    return (inspect.isclass(obj) and obj.__name__ == attr
            and (owner == "skrg" or owner.startswith("skrg.")))


def _check_trusted(trusted):
    """The user's extra trusted types as a set of str."""
    if trusted is None:
        return set()
    if isinstance(trusted, (str, bytes)) or not isinstance(trusted, (list, tuple, set)):
        raise TypeError(f"trusted must be a list of type names (str), such as those an "
                        f"UntrustedModelError lists, got {trusted!r}.")
    bad = [t for t in trusted if not isinstance(t, str)]
    if bad:
        raise TypeError(f"trusted must hold type names (str) like 'module.Class', got {bad!r}.")
    return set(trusted)


def save_model(model, path):
    """Save a fitted estimator (or Pipeline) in the skops format, atomically.

    The file is a zip archive of a JSON schema and the numpy arrays; it holds
    no pickle. It is written to a temporary file in the same directory and
    renamed onto ``path``, so ``path`` is either the old file or the complete
    new one. Read it back with :func:`load_model`.

    Parameters
    ----------
    model : estimator
        Any skrg or scikit-learn estimator, fitted or not, or a composite of
        them (Pipeline, GridSearchCV, ...).
    path : str or path-like
        Destination, conventionally ending in ``.skops`` (used as given). Its
        directory must exist.

    Returns
    -------
    path : pathlib.Path
        The file written.

    Raises
    ------
    ImportError
        If skops is not installed (``pip install "skrg[io]"``).
    TypeError
        If ``model`` holds an object skops cannot store.

    See Also
    --------
    load_model : Load the model back, trusting only known types.
    save_dataset : Save the spins and temperatures a model was fitted on.

    Notes
    -----
    ``pickle.dump`` (or ``joblib.dump``) stores any estimator too, and is
    faster, but loading a pickle runs whatever code the file names: keep it
    for files you wrote yourself and never load one from an untrusted source.

    Examples
    --------
    >>> import os, tempfile
    >>> from skrg import BlockSpinRG, make_ising
    >>> from skrg.io import load_model, save_model
    >>> X, _ = make_ising(20, (8, 8), 2.5, random_state=0)
    >>> rg = BlockSpinRG(random_state=0).fit(X)
    >>> path = save_model(rg, os.path.join(tempfile.mkdtemp(), "rg.skops"))
    >>> path.name
    'rg.skops'
    >>> bool((load_model(path).transform(X) == rg.transform(X)).all())
    True
    """
    sio = _skops_io()
    path = pathlib.Path(path)
    with _atomic_write(path) as f:
        sio.dump(model, f, compression=zipfile.ZIP_DEFLATED)
    return path


def load_model(path, *, trusted=None):
    """Load a model saved with :func:`save_model`, trusting only known types.

    Every type the file names is checked before anything is imported or built.
    Trusted are skops' defaults (builtins, numpy, scipy and scikit-learn's
    estimators), :class:`sklearn.utils.Bunch`, every class defined in skrg,
    and the types in ``trusted``. A file naming any other type, an skrg
    function or a class from another package, is refused with
    :class:`UntrustedModelError`.

    Parameters
    ----------
    path : str or path-like
        A ``.skops`` file written by :func:`save_model` (or ``skops.io.dump``).
    trusted : list of str, default=None
        More types to trust, fully qualified (``"package.module.Class"``), as
        an :class:`UntrustedModelError` lists them. Add a type only if you
        know the file is safe: loading imports its module and may call it.

    Returns
    -------
    model : estimator
        The object saved, with its fitted state.

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    UntrustedModelError
        If the file holds a type that is not trusted; the message lists them.
    ValueError
        If the file is empty, truncated, corrupted or not a skops file.
    TypeError
        If ``trusted`` is not a list of str.
    ImportError
        If skops is not installed (``pip install "skrg[io]"``).

    See Also
    --------
    save_model : Write a model.
    UntrustedModelError : What a refused file raises.

    Notes
    -----
    A pickle loads faster and needs no skops, but unpickling runs arbitrary
    code from the file: ``pickle.load`` is a fast path for files you wrote
    yourself, never for files from elsewhere.

    Examples
    --------
    A Pipeline of skrg and scikit-learn estimators loads as it was saved:

    >>> import os, tempfile
    >>> from sklearn.linear_model import Ridge
    >>> from sklearn.pipeline import make_pipeline
    >>> from skrg import BlockSpinRG, make_ising
    >>> from skrg.io import load_model, save_model
    >>> X, y = make_ising(40, (8, 8), [2.0, 3.0], random_state=0)
    >>> pipe = make_pipeline(BlockSpinRG(output="mean"), Ridge()).fit(X, y)
    >>> path = save_model(pipe, os.path.join(tempfile.mkdtemp(), "pipe.skops"))
    >>> loaded = load_model(path)
    >>> [name for name, _ in loaded.steps]
    ['blockspinrg', 'ridge']
    >>> bool((loaded.predict(X) == pipe.predict(X)).all())
    True
    """
    sio = _skops_io()
    extra = _check_trusted(trusted)
    name = os.fspath(path)
    if not os.path.exists(name):
        raise FileNotFoundError(f"No model at {name}.")
    # One read: the types audited are those of the bytes loaded.
    with open(name, "rb") as f:
        data = f.read()
    if not data:
        raise ValueError(f"{name} is empty, not a model file written by skrg.io.save_model.")
    unreadable = (f"{name} is not a readable skops model file (truncated, corrupted or not "
                  "written by skrg.io.save_model)")
    try:
        found = set(sio.get_untrusted_types(data=data))
    except _MODEL_READ_ERRORS as error:
        raise ValueError(f"{unreadable}: {error!r}") from None
    accepted = {t for t in found if t in extra or t in _always_trusted() or _is_skrg_class(t)}
    refused = sorted(found - accepted)
    if refused:
        raise UntrustedModelError(
            f"{name} holds types that skrg does not trust: {refused}. Loading them would "
            "import their modules and may run their code. If you know the file is safe "
            "(you wrote it, or trust whoever did), load it with "
            f"skrg.io.load_model(path, trusted={refused}).",
            refused,
        )
    try:
        return sio.loads(data, trusted=sorted(accepted))
    except _MODEL_READ_ERRORS as error:
        raise ValueError(f"{unreadable}: {error!r}") from None
