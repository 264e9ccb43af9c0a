"""BlockSpinRG: the exact real-space RG step (majority, decimation, block average)."""

import math
import numbers
from functools import lru_cache

import numpy as np
from sklearn.base import (
    BaseEstimator,
    ClassNamePrefixFeaturesOutMixin,
    TransformerMixin,
    _fit_context,
    clone,
)
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted, validate_data

from ..lattice import Lattice, check_lattice_shape, level_shapes, resolve_lattice_shape
from ..utils import validate_spin_data
from ..utils._counter_random import hash_multipliers, row_words, step_key
from ..utils._validation import _inspect_spins
from . import _kernels

__all__ = ["BlockSpinRG"]


class BlockSpinRG(ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseEstimator):
    """Real-space renormalization by blocks of spins (Kadanoff).

    Each step maps a periodic lattice of side ``L`` to one of side
    ``L / block_size`` by replacing every block of ``block_size**d`` spins with
    one coarse spin. Like every skrg coarse-grainer it is a kernel
    ``p(h | v)`` from fine to coarse spins: ``output="mean"`` gives
    ``E[h | v]``, ``output="spins"`` a draw from it. With ``n_steps > 1`` the
    intermediate steps draw spins and only the last applies ``output``.

    Parameters
    ----------
    block_size : int, default=2
        Side of a block, the RG scale factor ``b``. It must divide every side
        of the lattice at every step.
    rule : {"majority", "decimation", "average"}, default="majority"
        ``"majority"``: the sign of the block sum (mean: 0 on a tie; spins: a
        tie is broken at random). ``"decimation"``: the spin at the block's
        first corner. ``"average"``: the block average (the comparator of de
        Mello Koch et al.; spins: +1 with probability ``(1 + average) / 2``).
    n_steps : int, default=1
        Number of RG steps.
    output : {"spins", "mean"}, default="spins"
        ``"spins"``: int8 coarse spins in {-1, +1}; ``"mean"``: float64
        conditional means in [-1, 1].
    lattice_shape : int or tuple of int, default=None
        Shape of the fine lattice. None means a square 2D lattice; a chain or a
        cubic lattice must be given explicitly.
    random_state : int, RandomState instance or None, default=None
        Key of the counter-based randomness (ties, sampled averages). The random
        number for row ``r`` and coarse site ``j`` is a hash of (key, content
        of row ``r``, ``j``), so a row's output does not depend on the other
        rows, and identical rows get identical coarse samples. None draws a
        fresh key at every ``fit``.

    Attributes
    ----------
    lattice_shape_ : tuple of int
        Shape of the fine lattice.
    level_shapes_ : tuple of tuple of int
        Lattice shape at every level, from ``lattice_shape_`` to
        ``coarse_lattice_shape_``.
    coarse_lattice_shape_ : tuple of int
        Shape of the output lattice.
    random_key_ : int
        The 63-bit key drawn from ``random_state`` at fit.
    n_features_in_ : int
        Number of fine sites.

    See Also
    --------
    skrg.make_ising : Configurations to coarse-grain.

    Notes
    -----
    Soft input (real values in [-1, 1], e.g. another coarse-grainer's mean)
    is accepted: majority takes the sign of the block sum, decimation keeps
    the soft value (``"spins"``: +1 with probability ``(1 + value) / 2``) and
    average averages it. Data given as floats that are all -1 or +1 is treated
    exactly as the same int8 spins.

    Examples
    --------
    >>> from skrg import BlockSpinRG, make_ising
    >>> X, _ = make_ising(50, (16, 16), 2.0, random_state=0)
    >>> rg = BlockSpinRG(block_size=2, n_steps=2, random_state=0).fit(X)
    >>> X_coarse = rg.transform(X)
    >>> X_coarse.shape, X_coarse.dtype, rg.coarse_lattice_shape_
    ((50, 16), dtype('int8'), (4, 4))
    >>> BlockSpinRG(rule="average", output="mean").fit_transform([[1, 1, 1, -1]])
    array([[0.5]])
    """

    _parameter_constraints = {
        "block_size": [Interval(numbers.Integral, 2, None, closed="left")],
        "rule": [StrOptions({"majority", "decimation", "average"})],
        "n_steps": [Interval(numbers.Integral, 1, None, closed="left")],
        "output": [StrOptions({"spins", "mean"})],
        "lattice_shape": [None, "array-like", Interval(numbers.Integral, 1, None, closed="left")],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        block_size=2,
        rule="majority",
        n_steps=1,
        output="spins",
        lattice_shape=None,
        random_state=None,
    ):
        self.block_size = block_size
        self.rule = rule
        self.n_steps = n_steps
        self.output = output
        self.lattice_shape = lattice_shape
        self.random_state = random_state

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Check the data and record the geometry of every level.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_sites)
            Spins in {-1, +1} or soft spins in [-1, 1].
        y : None
            Ignored.

        Returns
        -------
        self : BlockSpinRG
        """
        X = validate_spin_data(self, X, reset=True)
        self._set_geometry(resolve_lattice_shape(self.lattice_shape, X.shape[1]))
        self.random_key_ = int(check_random_state(self.random_state).randint(0, 2**63 - 1,
                                                                             dtype=np.int64))
        return self

    def _set_geometry(self, shape):
        shapes = level_shapes(shape, self.block_size, self.n_steps)
        self.lattice_shape_ = shape
        self.level_shapes_ = tuple(shapes)
        self.coarse_lattice_shape_ = shapes[-1]
        self.n_features_in_ = math.prod(shape)
        self._n_features_out = math.prod(shapes[-1])

    def transform(self, X):
        """Coarse-grain configurations by ``n_steps`` block-spin steps.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_sites)
            Spins in {-1, +1} or soft spins in [-1, 1].

        Returns
        -------
        X_coarse : ndarray of shape (n_samples, n_coarse_sites)
            int8 spins (``output="spins"``) or float64 means (``output="mean"``).
        """
        check_is_fitted(self)
        if isinstance(X, np.ndarray) and _checks_spins(X.dtype, self.lattice_shape_,
                                                       self.block_size, self.rule):
            # The first step's kernel checks the spins in its own read of X,
            # which saves the separate read of validate_spin_data (a third of
            # the time); it gives None on any other value, and the full
            # validation below then raises or takes them as soft spins.
            X_coarse = self._coarse_grain(validate_data(self, X, reset=False), self.output)
            if X_coarse is not None:
                return X_coarse
        X = validate_spin_data(self, X, reset=False)
        return self._coarse_grain(X, self.output)

    def _coarse_grain(self, X, output):
        """``n_steps`` steps of ``X``; None if a step found a value other than +-1."""
        for step, shape in enumerate(self.level_shapes_[:-1]):
            last = step == self.n_steps - 1
            sample = output == "spins" or not last
            X = _block_step(X, shape, self.block_size, self.rule, sample,
                            step_key(self.random_key_, step))
            if X is None:
                return None
        return X

    def inverse_transform(self, X):
        """Map coarse configurations back to the fine lattice by block replication.

        Every fine site takes the value of the coarse site its block (after
        ``n_steps`` steps) maps to.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_coarse_sites)
            Coarse spins or means in [-1, 1].

        Returns
        -------
        X_fine : ndarray of shape (n_samples, n_sites)
            Same dtype as the validated input (int8 for spins).

        Raises
        ------
        ValueError
            If ``X`` is not 2D spins in [-1, 1] with one column per coarse site.
        """
        check_is_fitted(self)
        X, hard = _inspect_spins(X, "X")
        if X.shape[1] != self._n_features_out:
            raise ValueError(
                f"X has {X.shape[1]} features, but inverse_transform expects "
                f"{self._n_features_out} coarse sites ({self.coarse_lattice_shape_})."
            )
        X = X.astype(np.int8 if hard else np.float64, copy=False)
        return X[:, _fine_to_coarse(self.lattice_shape_, self.block_size, self.n_steps)]

    def score(self, X, y=None):
        """Mean overlap of each fine spin with the coarse mean of its block.

        ``mean_i s_i * m(B(i))``, where ``m`` is the ``output="mean"`` transform
        replicated back to the fine lattice. In [-1, 1], higher is better: 1
        means every block is uniform and its coarse variable says so.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_sites)
            Spins in {-1, +1} or soft spins in [-1, 1].
        y : None
            Ignored.

        Returns
        -------
        score : float
        """
        check_is_fitted(self)
        X = validate_spin_data(self, X, reset=False)
        means = self._coarse_grain(X, "mean")
        replicated = means[:, _fine_to_coarse(self.lattice_shape_, self.block_size, self.n_steps)]
        return float(np.mean(X * replicated))

    def for_lattice(self, lattice_shape):
        """Return a fitted copy for another lattice size.

        The rule, block size, number of steps and random key are kept, so the
        copy transforms exactly as a fresh fit on data of that shape with the
        same integer ``random_state`` would.

        Parameters
        ----------
        lattice_shape : int or tuple of int
            Shape of the new fine lattice.

        Returns
        -------
        estimator : BlockSpinRG
            Fitted, with ``lattice_shape=lattice_shape``.

        Examples
        --------
        >>> from skrg import BlockSpinRG
        >>> rg = BlockSpinRG(random_state=0).fit([[1, -1, 1, 1]])
        >>> rg.for_lattice((8, 8)).coarse_lattice_shape_
        (4, 4)
        """
        check_is_fitted(self)
        shape = check_lattice_shape(lattice_shape)
        copy = clone(self).set_params(lattice_shape=shape)
        copy._set_geometry(shape)
        copy.random_key_ = self.random_key_
        return copy

    def receptive_fields(self):
        """Exact linear kernel of the coarse-graining, one row per coarse site.

        ``R[a, i] = E[h_a v_i]`` for fine spins ``v`` drawn independently and
        uniformly from {-1, +1}, where ``h_a`` is coarse site ``a``'s
        ``output="mean"`` value (a draw with ``output="spins"`` has the same
        expectation). It is the linear response of the coarse spins to the fine
        ones, the RG counterpart of an RBM's weights: what
        :func:`skrg.metrics.hidden_visible_correlation` measures on uniform
        random spins, without the sampling noise.

        One step on a block of ``n = block_size**d`` sites gives, on the sites of
        the block (0 elsewhere):

        - ``"average"``: ``1 / n`` on every site;
        - ``"decimation"``: 1 on the kept site (the block's first corner), 0 on
          the others;
        - ``"majority"``: ``C(n - 1, n // 2) / 2**(n - 1)`` on every site (3/8 for
          a 2 x 2 block, 1/2 for a block of 2 or 3). A site moves the expected
          majority only when it is pivotal: for odd ``n`` when the other
          ``n - 1`` spins sum to 0 (the sign flips, a change of 2); for even
          ``n`` when they sum to ±1 (a tie, broken at random, against a clear
          sign: a change of 1 in either case), and the two probabilities are
          equal, ``C(n - 1, n // 2) / 2**(n - 1)``.

        With ``n_steps > 1`` the coefficients multiply: for uniform input the
        intermediate spins are again independent and uniform, and by the
        spin-flip symmetry ``E[v_i | Y_b] = c Y_b`` for the intermediate spin
        ``Y_b`` of ``v_i``'s block, so ``R`` is the product of the per-step
        coefficients on the ``block_size**n_steps`` block (decimation keeps the
        corner of the corner).

        Returns
        -------
        R : ndarray of shape (n_coarse_sites, n_sites), float64
            Rows in the order of the transform's columns, fine sites in C
            order. Dense, like :meth:`skrg.BernoulliRBM.receptive_fields`:
            ``8 * n_coarse_sites * n_sites`` bytes.

        Examples
        --------
        >>> from skrg import BlockSpinRG
        >>> X = [[1, -1, 1, 1] * 4]
        >>> rg = BlockSpinRG(rule="majority").fit(X)   # 4 x 4 lattice, 2 x 2 blocks
        >>> rg.receptive_fields()[0].reshape(4, 4)
        array([[0.375, 0.375, 0.   , 0.   ],
               [0.375, 0.375, 0.   , 0.   ],
               [0.   , 0.   , 0.   , 0.   ],
               [0.   , 0.   , 0.   , 0.   ]])
        >>> BlockSpinRG(rule="decimation").fit(X).receptive_fields()[3].reshape(4, 4)
        array([[0., 0., 0., 0.],
               [0., 0., 0., 0.],
               [0., 0., 1., 0.],
               [0., 0., 0., 0.]])
        """
        check_is_fitted(self)
        n_sites = math.prod(self.lattice_shape_)
        n_coarse = math.prod(self.coarse_lattice_shape_)
        fields = np.zeros((n_coarse, n_sites))
        if self.rule == "decimation":
            # The kept site, followed down from the coarsest level to the finest.
            kept = np.arange(n_coarse)
            for shape in reversed(self.level_shapes_[:-1]):
                kept = Lattice(shape).block_map(self.block_size)[kept, 0]
            fields[np.arange(n_coarse), kept] = 1.0
            return fields
        volume = self.block_size ** len(self.lattice_shape_)
        if self.rule == "average":
            coefficient = 1.0 / volume
        else:
            coefficient = math.comb(volume - 1, volume // 2) / 2.0 ** (volume - 1)
        coarse = _fine_to_coarse(self.lattice_shape_, self.block_size, self.n_steps)
        fields[coarse, np.arange(n_sites)] = coefficient**self.n_steps
        return fields

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float64"] if self.output == "mean" else []
        return tags


def _checks_spins(dtype, shape, block, rule):
    """Whether `_block_step` takes the fused kernel, which checks the +-1 spins itself.

    Majority rule on 2 x 2 blocks (or pairs, in 1D) of int8 spins whose lines
    are whole uint64 words: most data, done eight spins at a time. 3D blocks
    span four lines and keep the generic kernel (a four-line loop cost 2D 25%).
    """
    return (dtype == np.int8 and block == 2 and rule == "majority" and len(shape) <= 2
            and shape[-1] % 8 == 0)


def _block_step(X, shape, block, rule, sample, key):
    """One block-spin step of every row of ``X`` on a lattice of ``shape``.

    Returns None if ``X`` was not checked and the fused kernel (see
    `_checks_spins`) found a value other than +-1.
    """
    if not _checks_spins(X.dtype, shape, block, rule):
        return _generic_block_step(X, shape, block, rule, sample, key)
    fine_lines, _ = _tables(shape, block, False)
    X = np.ascontiguousarray(X)
    words = X.view(np.uint64)
    out = np.empty((X.shape[0], X.shape[1] // 2 ** len(shape)), dtype=np.int8)
    # In words; a chain gives its one line twice (see majority_pairs).
    line_pairs = np.repeat(fine_lines // 8, 2 // fine_lines.shape[1], axis=1)
    valid = _kernels.majority_pairs(words, hash_multipliers(words.shape[1], key), key,
                                    line_pairs, sample, out, out.view(np.uint32))
    if not valid:
        return None
    return out if sample else out.astype(np.float64)


def _generic_block_step(X, shape, block, rule, sample, key):
    """`_block_step` by the kernel of every rule, block size and dtype."""
    fine_lines, corners = _tables(shape, block, rule == "decimation")
    n_coarse = X.shape[1] // block ** len(shape)
    out = np.empty((X.shape[0], n_coarse), dtype=np.int8 if sample else np.float64)
    X = np.ascontiguousarray(X)
    words = row_words(X)
    multipliers = hash_multipliers(words.shape[1], key)
    # int16 holds any block sum of int8 spins for blocks up to 32767 sites.
    volume = block ** len(shape)
    sum_dtype = np.int16 if X.dtype == np.int8 and volume < 2**15 else np.float64
    line_sums = np.empty(shape[-1], dtype=sum_dtype)
    sums = np.empty(n_coarse, dtype=sum_dtype)
    rule_code = _kernels.MAJORITY if rule == "majority" else _kernels.AVERAGE
    _kernels.block_spin(X, words, multipliers, key, fine_lines, block,
                        1 if rule == "decimation" else volume, corners, rule_code, sample,
                        out, line_sums, sums)
    return out


@lru_cache(maxsize=128)
def _tables(shape, block, decimation):
    """Fine line starts of every coarse line, and the kept corner of every block."""
    lattice = Lattice(shape)
    coarse = lattice.coarse_shape(block)
    # The corner of every block, then the first site of each of its fine lines
    # (all offsets within the block on the axes but the last).
    corners = lattice.block_map(block)[:, 0].astype(np.int64)
    first_of_line = corners.reshape(-1, coarse[-1])[:, 0]
    within = np.array(list(np.ndindex(*(block,) * (len(shape) - 1))), dtype=np.int64)
    strides = np.array([math.prod(shape[a + 1:]) for a in range(len(shape) - 1)], dtype=np.int64)
    fine_lines = first_of_line[:, None] + (within @ strides)[None, :]
    if not decimation:
        corners = np.empty(0, dtype=np.int64)
    fine_lines = np.ascontiguousarray(fine_lines, dtype=np.int64)
    fine_lines.setflags(write=False)
    corners.setflags(write=False)
    return fine_lines, corners


@lru_cache(maxsize=128)
def _fine_to_coarse(shape, block, n_steps):
    """Index of the final coarse site of every fine site."""
    index = np.arange(math.prod(shape))
    current = shape
    for _ in range(n_steps):
        lattice = Lattice(current)
        site_to_block = np.empty(lattice.n_sites, dtype=np.int64)
        blocks = lattice.block_map(block)
        site_to_block[blocks] = np.arange(len(blocks))[:, None]
        index = site_to_block[index]
        current = lattice.coarse_shape(block)
    index.setflags(write=False)
    return index
