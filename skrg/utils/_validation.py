"""Validation of spin data shared by every estimator and function."""

import numbers
import warnings

import numpy as np
from numba import njit
from sklearn.utils.validation import validate_data

__all__ = ["binary_to_spins", "check_spins", "validate_spin_data"]


def binary_to_spins(X):
    """Map {0, 1} data to {-1, +1} spins as int8 (``0 -> -1``, ``1 -> +1``).

    Parameters
    ----------
    X : array-like
        Data whose values are all 0 or 1.

    Returns
    -------
    spins : ndarray of int8, same shape as ``X``

    Raises
    ------
    ValueError
        If a value is neither 0 nor 1.

    Examples
    --------
    >>> from skrg.utils import binary_to_spins
    >>> binary_to_spins([[0, 1, 1], [1, 0, 0]])
    array([[-1,  1,  1],
           [ 1, -1, -1]], dtype=int8)
    """
    X = np.asarray(X)
    bad = (X != 0) & (X != 1)
    if bad.any():
        raise ValueError(
            f"binary_to_spins expects only 0 and 1, found {X[bad].flat[0]!r}."
        )
    return (2 * X - 1).astype(np.int8)


def check_spins(X, *, allow_soft=False, name="X"):
    """Check that ``X`` holds Ising spins and return it as a 2D array.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_sites)
        Configurations, one per row.
    allow_soft : bool, default=False
        If True, accept real values in [-1, 1] (soft spins, such as the
        ``output="mean"`` of a previous coarse-grainer). If False, every value
        must be exactly -1 or +1.
    name : str, default="X"
        Name used in error messages.

    Returns
    -------
    X : ndarray of shape (n_samples, n_sites)
        int8 for hard spins, unchanged numeric dtype for soft spins.

    Raises
    ------
    ValueError
        If ``X`` is not 2D or has no columns; on NaN or infinite values, values
        outside [-1, 1], or (hard spins) values other than -1 and +1. Data
        holding only zeros and ones also gets a warning that names
        :func:`skrg.utils.binary_to_spins`.
    TypeError
        If ``X`` is not numeric (strings, complex numbers, objects other than
        real numbers).

    Examples
    --------
    >>> from skrg.utils import check_spins
    >>> check_spins([[1, -1], [-1, -1]])
    array([[ 1, -1],
           [-1, -1]], dtype=int8)
    """
    X, hard = _inspect_spins(X, name)
    if allow_soft:
        return X
    if not hard:
        raise ValueError(
            f"{name} must hold spins exactly -1 or +1 here (soft spins are not "
            "accepted by this function)."
        )
    return X.astype(np.int8, copy=False)


def validate_spin_data(estimator, X, *, reset, soft=True):
    """Validate ``X`` for an estimator: sklearn's ``validate_data``, then the spin domain.

    Parameters
    ----------
    estimator : estimator instance
        Records or checks ``n_features_in_`` (see ``reset``).
    X : array-like of shape (n_samples, n_sites)
        Spins in {-1, +1}, or soft spins in [-1, 1] when ``soft``.
    reset : bool
        True in ``fit`` (record ``n_features_in_``), False afterwards (check it).
    soft : bool, default=True
        Accept real values in [-1, 1] (the ``output="mean"`` of a previous stage).

    Returns
    -------
    X : ndarray
        int8 when every value is -1 or +1, whatever the input dtype (so the
        same spins give the same result as integers or as floats), otherwise
        float64 soft spins.

    Raises
    ------
    ValueError
        If ``X`` is not 2D, has no rows or no columns; on NaN or infinite
        values, values outside [-1, 1], soft values where ``soft`` is False, or
        a width other than ``n_features_in_``; data that holds only 0 and 1
        also gets a warning naming :func:`skrg.utils.binary_to_spins`.
    TypeError
        If ``X`` holds objects other than real numbers.

    Examples
    --------
    >>> from sklearn.base import BaseEstimator
    >>> from skrg.utils import validate_spin_data
    >>> validate_spin_data(BaseEstimator(), [[1.0, -1.0], [1.0, 1.0]], reset=True).dtype
    dtype('int8')
    """
    if isinstance(X, (list, tuple)) or getattr(X, "dtype", None) == object:
        # sklearn would turn "1" into 1.0 and fail on None with an anonymous message.
        X = _as_numeric(X, "X")
    X = validate_data(estimator, X, reset=reset, dtype="numeric")
    X, hard = _inspect_spins(X, "X")
    if hard:
        return X.astype(np.int8, copy=False)
    if not soft:
        raise ValueError("X must hold spins exactly -1 or +1 here (soft spins are not accepted).")
    return X.astype(np.float64, copy=False)


def _as_numeric(X, name):
    """``X`` as an array; an object array (pandas, Python lists) as float64.

    Only real numbers are accepted from objects: the strings "1" and "-1" are
    not spins.
    """
    X = np.asarray(X)
    if X.dtype != object:
        return X
    for value in X.flat:
        if isinstance(value, (str, bytes)):
            raise TypeError(f"{name} must be numeric, got the string {value!r} in an object "
                            "array (strings are not spins).")
        if not isinstance(value, (numbers.Real, np.bool_)):
            # Worded as Python's float() would, which sklearn's check_dtype_object expects.
            raise TypeError(f"{name} must be numeric: float() argument must be a string or a "
                            f"real number, not {type(value).__name__!r} ({value!r}).")
    return X.astype(np.float64)


def _inspect_spins(X, name):
    """Check the spin domain of ``X``; return it as an array and whether all are +-1."""
    X = _as_numeric(X, name)
    if X.ndim != 2:
        raise ValueError(
            f"{name} must be 2D, (n_samples, n_sites), got an array of shape {X.shape}."
        )
    if X.dtype.kind not in "biuf":
        raise TypeError(f"{name} must be numeric, got dtype {X.dtype}.")
    if X.shape[1] == 0:
        raise ValueError(f"{name} must have at least one site (column), got shape {X.shape}.")
    if X.size == 0:
        return X, True
    if X.dtype == np.int8 and _all_plus_minus_one(X.reshape(-1) if X.flags.c_contiguous else X.ravel()):
        return X, True
    low, high, has_zero, has_soft = _scan(X)
    if not np.isfinite(low) or not np.isfinite(high):
        raise ValueError(f"{name} contains NaN or infinite values.")
    if low < -1 or high > 1:
        raise ValueError(
            f"{name} must hold spins in [-1, 1]; found values from {low} to {high}."
        )
    if low == 0 and high == 1:
        warnings.warn(
            f"{name} holds only 0 and 1; skrg works with -1/+1 spins. Convert "
            "with skrg.utils.binary_to_spins(X).",
            UserWarning,
            stacklevel=3,
        )
    return X, not (has_zero or has_soft)


_CHUNK_ELEMENTS = 1 << 20


@njit(nogil=True, cache=True)
def _all_plus_minus_one(values):
    # One read of int8 spins, vectorised: x + 1 is 0 or 2 exactly for x = -1, +1.
    # The common case of every estimator's validation; anything else goes to
    # _scan, which finds what is wrong for the message.
    bad = 0
    for x in values:
        bad |= (x + 1) & ~2
    return bad == 0


def _scan(X):
    """Min, max, whether a 0 occurs, whether a value other than -1, 0, +1 occurs.

    Row chunks keep the temporaries small on data of gigabytes. A NaN comes
    back as the min and max, so the caller reports it.
    """
    rows = max(1, _CHUNK_ELEMENTS // max(1, X.shape[1]))
    low, high = np.inf, -np.inf
    has_zero = has_soft = False
    for start in range(0, X.shape[0], rows):
        chunk = X[start : start + rows]
        chunk_low, chunk_high = chunk.min(), chunk.max()
        if np.isnan(chunk_low) or np.isnan(chunk_high):
            return np.nan, np.nan, False, False
        low, high = min(low, chunk_low), max(high, chunk_high)
        has_zero = has_zero or bool((chunk == 0).any())
        if chunk.dtype.kind == "f" and not has_soft:
            has_soft = bool(((chunk != 1) & (chunk != -1) & (chunk != 0)).any())
    return low, high, has_zero, has_soft


def check_int(value, name, *, minimum=0):
    """Return ``value`` as an int, refusing floats, bools and values below ``minimum``.

    Raises
    ------
    TypeError
        If ``value`` is not an integer (``2.5``, ``"3"``, ``True``).
    ValueError
        If ``value < minimum``.

    Examples
    --------
    >>> from skrg.utils._validation import check_int
    >>> check_int(3, "n_steps")
    3
    >>> check_int(0, "n_chains", minimum=1)
    Traceback (most recent call last):
    ...
    ValueError: n_chains must be an int >= 1, got n_chains=0.
    """
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an int, got {name}={value!r}.")
    if value < minimum:
        raise ValueError(f"{name} must be an int >= {minimum}, got {name}={value!r}.")
    return int(value)


def check_finite_parameters(estimator, parameters, rate):
    """Raise ``ValueError`` if training left a non-finite weight (it diverged).

    Parameters
    ----------
    estimator : estimator instance
        Named in the message.
    parameters : sequence of ndarray
        The trained weights and biases.
    rate : str
        Name of the learning-rate parameter, the usual cause, for the message.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.base import BaseEstimator
    >>> from skrg.utils._validation import check_finite_parameters
    >>> check_finite_parameters(BaseEstimator(), [np.ones(3), np.array([np.inf])],
    ...                         "learning_rate")
    Traceback (most recent call last):
    ...
    ValueError: BaseEstimator diverged: training left non-finite weights; lower learning_rate ...
    """
    if not all(np.isfinite(p).all() for p in parameters):
        raise ValueError(
            f"{type(estimator).__name__} diverged: training left non-finite weights; "
            f"lower {rate} (got {rate}={getattr(estimator, rate, None)!r}) or the "
            "weight decay l1/l2."
        )

