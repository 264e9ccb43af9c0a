"""The operator basis of coarse Hamiltonians: names, geometry and fast evaluation.

A coarse configuration is described by ``H = -sum_a K_a S_a``. Every operator
``S_a`` is an extensive sum, over the periodic lattice, of products of spins
in one fixed pattern, each pattern placed once at every site in every distinct
orientation (images under the rotations and reflections of the lattice, counted
once each). So every bond, plaquette or triangle is counted once and
``K_nn = 1/T`` on the input lattice (the convention of
:class:`skrg.lattice.Lattice`: ``n_sites * ndim`` nearest-neighbour bonds).
An operator fits a lattice whose sides are all at least twice its reach; at
exactly twice, a pattern and its image wrapped around the torus cover the
same sites and both are counted, as a side of 2 carries two nn bonds.

Evaluation works on whole blocks of rows with numpy: the lattice is padded
periodically once per block of rows, and each spin of a pattern is then a
slice of the padded array, so a pattern costs one vectorised int8 product per
spin over all rows and sites (no index tables, no ``np.roll``).
"""

import itertools
import numbers
from dataclasses import dataclass

import numpy as np

from ..lattice import check_lattice_shape, resolve_lattice_shape
from ..utils import check_spins

__all__ = [
    "OPERATORS",
    "check_operators",
    "evaluate_operators",
    "local_operator_fields",
    "operator_names",
    "operator_reach",
]

# Rows are processed in blocks of about this many spins, so temporaries stay small.
_CHUNK_SPINS = 1 << 20


@dataclass(frozen=True)
class Operator:
    """One operator of the basis: a pattern of spins and its symmetry sector.

    Parameters
    ----------
    name : str
        The name used everywhere (``"nn"``, ``"plaquette"``, ...).
    sector : {"even", "odd"}
        Even operators (an even number of spins) are invariant under a global
        spin flip; odd ones change sign (magnetization-like).
    patterns : dict of int to tuple of tuple of int
        For each dimension where the operator exists, the spins of one
        instance as integer offsets (one tuple of ``ndim`` ints per spin).
    description : str
        A one-line description.
    """

    name: str
    sector: str
    patterns: dict
    description: str

    @property
    def dims(self):
        """The dimensions where the operator exists."""
        return tuple(sorted(self.patterns))

    def orientations(self, ndim):
        """Distinct orientations of the pattern, each with offsets in ``[0, reach]``.

        Every image of the pattern under the signed permutations of the axes,
        translated so that its smallest coordinate along each axis is 0;
        images that coincide after translation are kept once.

        Returns
        -------
        orientations : tuple of tuple of tuple of int
        """
        return _orientations(self.name, ndim)

    def reach(self, ndim):
        """Largest extent of any orientation along any axis (0 for one spin)."""
        return max(max(max(p[a] for p in o) for a in range(ndim)) for o in self.orientations(ndim))

    def multiplicity(self, ndim):
        """Instances containing a given site: orientations times spins per pattern."""
        return sum(len(o) for o in self.orientations(ndim))


def _line(*positions):
    return tuple((p,) for p in positions)


def _in_plane(points):
    """Give a pattern in the (x, y) plane for 2D and 3D."""
    return {2: tuple(points), 3: tuple(p + (0,) for p in points)}


OPERATORS = {
    op.name: op
    for op in [
        # ------------------------------------------------------------ even sector
        Operator("nn", "even",
                 {1: _line(0, 1), **_in_plane([(0, 0), (1, 0)])},
                 "nearest-neighbour pairs s_x s_{x+e} (K_nn = 1/T on the input lattice)"),
        Operator("nnn", "even",
                 {1: _line(0, 2), **_in_plane([(0, 0), (1, 1)])},
                 "next-nearest pairs: face diagonals (1, 1) in 2D and 3D; distance 2 in 1D"),
        Operator("pair_111", "even",
                 {3: ((0, 0, 0), (1, 1, 1))},
                 "body-diagonal pairs (1, 1, 1), 3D only (distance sqrt 3)"),
        Operator("3nn", "even",
                 {1: _line(0, 3), **_in_plane([(0, 0), (2, 0)])},
                 "third-neighbour pairs: distance 2 along an axis in 2D and 3D; distance 3 in 1D"),
        Operator("plaquette", "even",
                 _in_plane([(0, 0), (1, 0), (0, 1), (1, 1)]),
                 "four spins around an elementary square"),
        Operator("pair_21", "even",
                 _in_plane([(0, 0), (2, 1)]),
                 "pairs at offset (2, 1) (a knight's move)"),
        Operator("pair_22", "even",
                 _in_plane([(0, 0), (2, 2)]),
                 "pairs at offset (2, 2)"),
        Operator("diamond", "even",
                 _in_plane([(1, 0), (0, 1), (2, 1), (1, 2)]),
                 "the four nearest neighbours of a site in a plane (the site excluded)"),
        Operator("line4", "even",
                 {1: _line(0, 1, 2, 3)},
                 "four consecutive spins, 1D only"),
        # ------------------------------------------------------------- odd sector
        Operator("m", "odd",
                 {1: ((0,),), 2: ((0, 0),), 3: ((0, 0, 0),)},
                 "magnetization, the sum of the spins"),
        Operator("3spin", "odd",
                 _in_plane([(0, 0), (1, 0), (0, 1)]),
                 "three spins of an elementary square's corner (an L), every orientation"),
        Operator("3spin_line", "odd",
                 {1: _line(0, 1, 2), **_in_plane([(0, 0), (1, 0), (2, 0)])},
                 "three consecutive spins along an axis"),
        Operator("5spin_cross", "odd",
                 _in_plane([(1, 1), (1, 0), (0, 1), (2, 1), (1, 2)]),
                 "a site and its four nearest neighbours in a plane"),
    ]
}
"""dict of str to Operator: every operator of the basis, by name.

Even sector (``ndim``: names in default order): 1D ``nn, nnn, 3nn, line4``;
2D ``nn, nnn, 3nn, plaquette, pair_21, pair_22, diamond``; 3D ``nn, nnn,
pair_111, 3nn, plaquette, pair_21, pair_22, diamond``. Odd sector: 1D
``m, 3spin_line``; 2D and 3D ``m, 3spin, 3spin_line, 5spin_cross``. The pair
operators and the plaquette are the standard MCRG set of Swendsen (1979,
1984); see each entry's ``description``.
"""

_DEFAULT_ORDER = {
    1: ("nn", "nnn", "3nn", "line4", "m", "3spin_line"),
    2: ("nn", "nnn", "3nn", "plaquette", "pair_21", "pair_22", "diamond",
        "m", "3spin", "3spin_line", "5spin_cross"),
    3: ("nn", "nnn", "pair_111", "3nn", "plaquette", "pair_21", "pair_22", "diamond",
        "m", "3spin", "3spin_line", "5spin_cross"),
}

_ORIENTATION_CACHE = {}


def _orientations(name, ndim):
    key = (name, ndim)
    if key not in _ORIENTATION_CACHE:
        pattern = np.array(OPERATORS[name].patterns[ndim], dtype=np.int64).reshape(-1, ndim)
        images = set()
        for perm in itertools.permutations(range(ndim)):
            for signs in itertools.product((1, -1), repeat=ndim):
                image = pattern[:, perm] * np.array(signs)
                image -= image.min(axis=0)
                images.add(tuple(sorted(tuple(int(c) for c in p) for p in image)))
        _ORIENTATION_CACHE[key] = tuple(sorted(images))
    return _ORIENTATION_CACHE[key]


def _check_ndim(ndim):
    if isinstance(ndim, bool) or not isinstance(ndim, numbers.Integral) or ndim not in (1, 2, 3):
        raise ValueError(f"ndim must be 1, 2 or 3, got {ndim!r}.")
    return int(ndim)


def operator_names(ndim, sector=None):
    """Names of the operators available in ``ndim`` dimensions, in default order.

    The default order puts ``"nn"`` first, then the even operators roughly by
    range, then the odd sector starting with the magnetization ``"m"``; MCRG
    truncations use the first ``k`` operators of each sector in this order.

    Parameters
    ----------
    ndim : {1, 2, 3}
        Dimension of the lattice.
    sector : {None, "even", "odd"}, default=None
        Only the operators of one sector; None lists both, even first.

    Returns
    -------
    names : list of str

    Raises
    ------
    ValueError
        If ``ndim`` is not 1, 2 or 3 or ``sector`` is not None, "even" or "odd".

    Examples
    --------
    >>> from skrg.analysis import operator_names
    >>> operator_names(2, "even")
    ['nn', 'nnn', '3nn', 'plaquette', 'pair_21', 'pair_22', 'diamond']
    >>> operator_names(1)
    ['nn', 'nnn', '3nn', 'line4', 'm', '3spin_line']
    """
    ndim = _check_ndim(ndim)
    if sector not in (None, "even", "odd"):
        raise ValueError(f"sector must be None, 'even' or 'odd', got {sector!r}.")
    return [n for n in _DEFAULT_ORDER[ndim] if sector is None or OPERATORS[n].sector == sector]


def operator_reach(name, ndim):
    """Largest extent of operator ``name`` along any axis, in lattice spacings.

    An operator fits a periodic lattice when every side is at least twice its
    reach; on a smaller lattice the pattern wraps onto itself.

    Parameters
    ----------
    name : str
        An operator name (see :func:`operator_names`).
    ndim : {1, 2, 3}
        Dimension of the lattice.

    Returns
    -------
    reach : int

    Raises
    ------
    ValueError
        If ``name`` is not an operator of dimension ``ndim``.

    Examples
    --------
    >>> from skrg.analysis import operator_reach
    >>> operator_reach("nn", 2), operator_reach("pair_21", 2), operator_reach("3nn", 1)
    (1, 2, 3)
    """
    ndim = _check_ndim(ndim)
    _check_names([name], ndim)
    return OPERATORS[name].reach(ndim)


def _check_names(operators, ndim, name="operators"):
    valid = _DEFAULT_ORDER[ndim]
    for op in operators:
        if not isinstance(op, str) or op not in valid:
            raise ValueError(
                f"Unknown operator {op!r} in {name} for a {ndim}D lattice; valid names are "
                f"{', '.join(valid)}."
            )


def check_operators(operators, lattice_shape, *, name="operators"):
    """Validate operator names for a lattice and return them as a list.

    Parameters
    ----------
    operators : None, str or sequence of str
        Operator names; None means every operator of the lattice's dimension
        (:func:`operator_names`), a str a single operator.
    lattice_shape : tuple of int
        The lattice the operators will be measured on.
    name : str, default="operators"
        Parameter name used in error messages.

    Returns
    -------
    operators : list of str

    Raises
    ------
    ValueError
        On an empty list, an unknown or repeated name, or a lattice with a side
        smaller than twice an operator's reach (it would wrap onto itself).
    TypeError
        If ``operators`` is not None, a str or a sequence of str.

    Examples
    --------
    >>> from skrg.analysis import check_operators
    >>> check_operators(["nn", "plaquette"], (8, 8))
    ['nn', 'plaquette']
    >>> check_operators("nn", (4,))
    ['nn']
    """
    shape = check_lattice_shape(lattice_shape)
    ndim = _check_ndim(len(shape))
    if operators is None:
        operators = operator_names(ndim)
    elif isinstance(operators, str):
        operators = [operators]
    else:
        try:
            operators = list(operators)
        except TypeError:
            raise TypeError(
                f"{name} must be None, a str or a sequence of str, got {operators!r}."
            ) from None
    if not operators:
        raise ValueError(f"{name} must name at least one operator, got an empty list.")
    _check_names(operators, ndim, name)
    if len(set(operators)) != len(operators):
        raise ValueError(f"{name} must not repeat a name, got {operators!r}.")
    for op in operators:
        reach = OPERATORS[op].reach(ndim)
        if min(shape) < 2 * reach:
            raise ValueError(
                f"Operator {op!r} reaches {reach} sites along an axis and needs every side "
                f"of the lattice to be at least {2 * reach}; lattice_shape={shape} is too "
                f"small (the pattern would wrap onto itself). Drop {op!r} from {name}."
            )
    return operators


def _prepare(X, lattice_shape, operators):
    X = check_spins(X)
    shape = resolve_lattice_shape(lattice_shape, X.shape[1])
    operators = check_operators(operators, shape)
    return X, shape, operators


def _chunks(n_rows, n_sites):
    step = max(1, _CHUNK_SPINS // max(1, n_sites))
    for start in range(0, n_rows, step):
        yield slice(start, min(start + step, n_rows))


def _pad_high(Y, pad):
    """Periodic padding by ``pad`` on the high side of every lattice axis of ``Y``."""
    for axis in range(1, Y.ndim if pad else 1):
        index = (slice(None),) * axis + (slice(0, pad),)
        Y = np.concatenate([Y, Y[index]], axis=axis)
    return Y


def _pad_low(Y, pad):
    """Periodic padding by ``pad`` on the low side of every lattice axis of ``Y``."""
    for axis in range(1, Y.ndim if pad else 1):
        index = (slice(None),) * axis + (slice(Y.shape[axis] - pad, None),)
        Y = np.concatenate([Y[index], Y], axis=axis)
    return Y


def _window(point, shape, base=0, sign=1):
    """Slice of a padded array giving the spins at ``x + sign * point`` for every x."""
    return (slice(None),) + tuple(
        slice(base + sign * p, base + sign * p + side) for p, side in zip(point, shape)
    )


def _instance_products(Yp, shape, orientation, out):
    """``out[r, x] = prod_k s[r, x + p_k]`` for one orientation (int8, +-1)."""
    np.copyto(out, Yp[_window(orientation[0], shape)])
    for point in orientation[1:]:
        np.multiply(out, Yp[_window(point, shape)], out=out)
    return out


def _operator_sums(X, shape, operators):
    """Totals ``S_a`` of every row, int64 of shape (n_rows, n_operators)."""
    ndim = len(shape)
    out = np.zeros((len(X), len(operators)), dtype=np.int64)
    pad = max(OPERATORS[op].reach(ndim) for op in operators)
    for rows in _chunks(len(X), X.shape[1]):
        Y = X[rows].reshape((-1,) + shape)
        Yp = _pad_high(Y, pad)
        product = np.empty_like(Y)
        for a, op in enumerate(operators):
            for orientation in OPERATORS[op].orientations(ndim):
                _instance_products(Yp, shape, orientation, product)
                out[rows, a] += product.reshape(len(Y), -1).sum(axis=1, dtype=np.int64)
    return out


def _site_sums(Y, Yp, shape, op, out):
    """``out[r, x] = s_x dS_op/ds_x``: the sum of the instances of ``op`` containing x.

    ``Y`` is a block of rows shaped as lattices and ``Yp`` the same padded
    periodically on the high side by at least the operator's reach. Each instance anchored at ``x - p_k`` contains x
    as its k-th spin, so the instance products are shifted back by every
    ``p_k`` and summed (int8: at most 36 instances contain a site).
    """
    ndim = len(shape)
    out[...] = 0
    product = np.empty_like(Y)
    for orientation in OPERATORS[op].orientations(ndim):
        _instance_products(Yp, shape, orientation, product)
        reach = max(max(p) for p in orientation)
        padded = _pad_low(product, reach)
        for point in orientation:
            out += padded[_window(point, shape, base=reach, sign=-1)]
    return out


def evaluate_operators(X, lattice_shape=None, operators=None):
    """Extensive operator sums ``S_a`` of every configuration.

    ``S_a = sum_x sum_o prod_{p in o} s_{x + p}``: every instance of the
    pattern (each orientation ``o`` placed at each site ``x`` of the periodic
    lattice) counted once, so ``S_nn`` is the sum over the ``n_sites * ndim``
    nearest-neighbour bonds (minus the energy) and ``S_m`` the magnetization.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_sites)
        Spins exactly -1 or +1, one configuration per row.
    lattice_shape : None, int or tuple of int, default=None
        None means a square 2D lattice.
    operators : None, str or sequence of str, default=None
        Operator names (see :func:`operator_names`); None means all of the
        lattice's dimension in default order.

    Returns
    -------
    S : ndarray of shape (n_samples, n_operators), float64
        Integers stored as floats, one column per operator.

    Raises
    ------
    ValueError
        On values other than -1 and +1, a ``lattice_shape`` that does not match
        ``X``, an unknown operator or a lattice smaller than twice an
        operator's reach.

    Examples
    --------
    >>> import numpy as np
    >>> from skrg.analysis import evaluate_operators
    >>> X = np.ones((1, 16), dtype=np.int8)                  # all up, 4 x 4
    >>> evaluate_operators(X, (4, 4), ["nn", "nnn", "plaquette", "m", "3spin"])
    array([[32., 32., 16., 16., 64.]])
    >>> evaluate_operators([[1, -1, 1, -1, 1, -1]], 6, ["nn", "nnn", "m"])
    array([[-6.,  6.,  0.]])
    """
    X, shape, operators = _prepare(X, lattice_shape, operators)
    return _operator_sums(X, shape, operators).astype(np.float64)


def local_operator_fields(X, lattice_shape=None, operators=None):
    """Local fields ``h_{a,i} = dS_a / ds_i`` of every operator at every site.

    ``S_a`` is linear in each spin, ``S_a = s_i h_{a,i} + (terms without s_i)``,
    and ``h_{a,i}`` (the sum, over the instances of ``S_a`` containing site
    ``i``, of the product of their other spins) does not depend on ``s_i``. So
    flipping ``s_i`` changes ``S_a`` by exactly ``-2 s_i h_{a,i}``, and for
    ``H = -sum_a K_a S_a`` the conditional of one spin is
    ``P(s_i | rest) = sigmoid(2 s_i sum_a K_a h_{a,i})``, the model fitted by
    :func:`estimate_couplings`.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_sites)
        Spins exactly -1 or +1.
    lattice_shape : None, int or tuple of int, default=None
        None means a square 2D lattice.
    operators : None, str or sequence of str, default=None
        Operator names; None means all of the lattice's dimension.

    Returns
    -------
    fields : ndarray of shape (n_samples, n_sites, n_operators), float64
        Memory is ``8 * n_samples * n_sites * n_operators`` bytes: call it on
        blocks of rows for large data.

    Raises
    ------
    ValueError
        As :func:`evaluate_operators`.

    Examples
    --------
    >>> import numpy as np
    >>> from skrg.analysis import local_operator_fields
    >>> X = np.array([[1, 1, -1, 1]], dtype=np.int8)          # a chain of 4
    >>> local_operator_fields(X, 4, ["nn", "m"])[0]
    array([[2., 1.],
           [0., 1.],
           [2., 1.],
           [0., 1.]])
    """
    X, shape, operators = _prepare(X, lattice_shape, operators)
    ndim = len(shape)
    n_sites = X.shape[1]
    out = np.empty((len(X), n_sites, len(operators)), dtype=np.float64)
    pad = max(OPERATORS[op].reach(ndim) for op in operators)
    for rows in _chunks(len(X), n_sites):
        Y = X[rows].reshape((-1,) + shape)
        Yp = _pad_high(Y, pad)
        sums = np.empty_like(Y)
        for a, op in enumerate(operators):
            _site_sums(Y, Yp, shape, op, sums)
            # h = s * (s h), since s^2 = 1.
            out[rows, :, a] = (sums * Y).reshape(len(Y), n_sites)
    return out
