"""BernoulliRBM: a restricted Boltzmann machine with spin or binary units, an RG kernel."""

import math
import numbers
import time

import numpy as np
from scipy.special import expit, logsumexp
from sklearn.base import (
    BaseEstimator,
    ClassNamePrefixFeaturesOutMixin,
    TransformerMixin,
    _fit_context,
)
from sklearn.utils import check_array, check_random_state, gen_batches
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_is_fitted, validate_data

from ..lattice import check_lattice_shape
from ..utils import check_spins, validate_spin_data
from ..utils._memory import check_allocation
from ..utils._validation import check_finite_parameters, check_int
from ..utils._counter_random import counter_uniforms
from ._geometry import assign_units_to_sites, layer_geometry, local_windows, orient_units

__all__ = ["BernoulliRBM"]

_MAX_ENUMERATED_UNITS = 20
_TRANSFORM_CHUNK = 4096


def validate_unit_data(estimator, X, *, reset):
    """Validate ``X`` for an RBM-based estimator with ``units`` "spin" or "binary"."""
    if estimator.units == "spin":
        return validate_spin_data(estimator, X, reset=reset)
    X = validate_data(estimator, X, reset=reset, dtype=[np.float64, np.float32])
    if X.size and (X.min() < 0 or X.max() > 1):
        raise ValueError(
            f"X must hold values in [0, 1] for units='binary'; found values from "
            f"{X.min()} to {X.max()}. Spin data (-1/+1) needs units='spin'."
        )
    return X


def check_sample_args(n_samples, n_steps, n_features):
    """``sample``'s counts as ints, refused before a chain of impossible size is made."""
    n_samples = check_int(n_samples, "n_samples")
    n_steps = check_int(n_steps, "n_steps")
    check_allocation(n_samples * n_features * 8, f"{n_samples} samples of {n_features} sites",
                     "ask for fewer n_samples")
    return n_samples, n_steps


def _log_2cosh(a):
    # log(e^a + e^-a), stable for any a.
    return np.logaddexp(a, -a)


class BernoulliRBM(ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseEstimator):
    """Restricted Boltzmann machine with spin (±1) or binary ({0, 1}) units.

    Energy ``E(v, h) = -h·W v - b·v - c·h`` with ``W = components_``,
    ``b = intercept_visible_``, ``c = intercept_hidden_``. With spin units
    ``p(h_j = +1 | v) = σ(2 (W v + c)_j)`` and ``E[h | v] = tanh(W v + c)``;
    ``p(h | v)`` is the RG kernel of Mehta & Schwab and the hidden units carry
    the coarse Hamiltonian ``H_RBM(h) = -c·h - Σ_i log 2cosh(b_i + (Wᵀh)_i)``
    (:meth:`hidden_hamiltonian`). Trained by contrastive divergence (CD-k) or
    persistent CD (PCD), with momentum and L1/L2 weight decay; ``fit`` is a
    fixed sequence of minibatch steps and :meth:`partial_fit` is one such
    step, with every piece of optimizer and chain state stored on the
    estimator.

    Parameters
    ----------
    n_components : int, default=None
        Hidden units. None means one per block of ``block_size**d`` sites, so
        a clone refitted on a coarser lattice shrinks with it.
    units : {"spin", "binary"}, default="spin"
        ``"spin"``: ±1 units, inside skrg's coarse-grainer protocol.
        ``"binary"``: {0, 1} units as in scikit-learn's BernoulliRBM (data in
        [0, 1]); outside the protocol (its "spins" are 0/1 samples).
    n_iter : int, default=10
        Passes over the training data.
    batch_size : int, default=100
        Configurations per minibatch step.
    learning_rate : float or callable, default=0.01
        Step size, or a function of the step count ``n_steps_`` (a schedule
        counted in minibatch steps) returning it.
    n_gibbs_steps : int, default=1
        Gibbs steps k of CD-k / PCD-k.
    persistent : bool, default=True
        Persistent chains (PCD) rather than chains restarted at the data (CD).
    n_chains : int, default=None
        Persistent chains, independent of ``batch_size``. None means
        ``batch_size``.
    momentum : float, default=0.5
        Momentum of the parameter updates, in [0, 1).
    l1, l2 : float, default=0.0
        L1 and L2 penalties on the weights (Mehta & Schwab used L1 = 2e-4).
    fit_biases : bool, default=True
        Learn the biases; False keeps them at zero (an RBM without biases, as
        in Iso et al.).
    connectivity : {"dense", "local"}, default="dense"
        ``"local"``: hidden unit ``j`` sees only a ``kernel_size`` window
        centred on block ``j``, so the layer has lattice geometry by
        construction and offers :meth:`for_lattice`.
    block_size : int, default=2
        Block side for ``n_components=None`` and local windows.
    kernel_size : int, default=None
        Side of a local window, at least ``block_size``. None means
        ``block_size``.
    shuffle : bool, default=True
        Visit the training data in a new random order every epoch. With
        False, streaming the same batches through :meth:`partial_fit`
        reproduces :meth:`fit` exactly.
    output : {"spins", "mean"}, default="spins"
        ``transform`` gives a counter-based sample of ``p(h | v)`` (int8) or
        the mean field ``E[h | v]`` (float64).
    lattice_shape : int or tuple of int, default=None
        Geometry of the visible layer. None means square when possible.
    dtype : {"float32", "float64"}, default="float32"
        Compute type of training and transforms.
    verbose : int, default=0
        Print the pseudo-log-likelihood per site and the time of every epoch.
    random_state : int, RandomState instance or None, default=None
        Decides initial weights, chains, Gibbs sampling, shuffling, and the
        key of the counter-based samples of ``transform``.

    Attributes
    ----------
    components_ : ndarray of shape (n_components, n_features)
        Weights W, rows in training order.
    intercept_hidden_ : ndarray of shape (n_components,)
    intercept_visible_ : ndarray of shape (n_features,)
    hidden_order_ : ndarray of shape (n_components,)
        Hidden unit shown at each output position: the unit assigned to each
        coarse site (see Notes), applied by transform, inverse_transform,
        hidden_hamiltonian and get_feature_names_out.
    hidden_signs_ : ndarray of shape (n_components,)
        ±1 per output position. A spin unit flipped with its weights and bias
        is the same model, so training leaves each unit's sign to chance; the
        output orients every unit so that its weights on its own block sum
        to a non-negative number, like the block spin it stands for (all +1
        for binary units). Applied with ``hidden_order_``; the parameters keep
        their training signs.
    coarse_lattice_shape_ : tuple of int or None
        Geometry of the output, None when the hidden units match no lattice.
    lattice_shape_ : tuple of int or None
        Geometry of the input.
    chains_ : ndarray of shape (n_chains, n_features)
        Persistent chains (PCD).
    n_steps_ : int
        Minibatch steps taken.
    n_features_in_ : int

    Notes
    -----
    A dense layer has no geometry by construction. When ``n_components``
    matches a coarse lattice (one block step of the visible lattice), each
    hidden unit is assigned to a coarse site by matching the centroids of the
    receptive fields (circular means on the torus) to block centres with
    :func:`scipy.optimize.linear_sum_assignment`, recomputed after every fit
    or partial_fit.

    Examples
    --------
    >>> from skrg import BernoulliRBM, make_ising
    >>> X, _ = make_ising(200, (8, 8), 2.5, random_state=0)
    >>> rbm = BernoulliRBM(n_iter=5, random_state=0).fit(X)
    >>> rbm.components_.shape, rbm.coarse_lattice_shape_
    ((16, 64), (4, 4))
    >>> rbm.transform(X[:3]).shape
    (3, 16)
    """

    _parameter_constraints = {
        "n_components": [None, Interval(numbers.Integral, 1, None, closed="left")],
        "units": [StrOptions({"spin", "binary"})],
        "n_iter": [Interval(numbers.Integral, 0, None, closed="left")],
        "batch_size": [Interval(numbers.Integral, 1, None, closed="left")],
        "learning_rate": [Interval(numbers.Real, 0, None, closed="neither"), callable],
        "n_gibbs_steps": [Interval(numbers.Integral, 1, None, closed="left")],
        "persistent": ["boolean"],
        "n_chains": [None, Interval(numbers.Integral, 1, None, closed="left")],
        "momentum": [Interval(numbers.Real, 0, 1, closed="left")],
        "l1": [Interval(numbers.Real, 0, None, closed="left")],
        "l2": [Interval(numbers.Real, 0, None, closed="left")],
        "fit_biases": ["boolean"],
        "connectivity": [StrOptions({"dense", "local"})],
        "block_size": [Interval(numbers.Integral, 1, None, closed="left")],
        "kernel_size": [None, Interval(numbers.Integral, 1, None, closed="left")],
        "shuffle": ["boolean"],
        "output": [StrOptions({"spins", "mean"})],
        "lattice_shape": [None, "array-like", Interval(numbers.Integral, 1, None, closed="left")],
        "dtype": [StrOptions({"float32", "float64"})],
        "verbose": ["verbose"],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        n_components=None,
        *,
        units="spin",
        n_iter=10,
        batch_size=100,
        learning_rate=0.01,
        n_gibbs_steps=1,
        persistent=True,
        n_chains=None,
        momentum=0.5,
        l1=0.0,
        l2=0.0,
        fit_biases=True,
        connectivity="dense",
        block_size=2,
        kernel_size=None,
        shuffle=True,
        output="spins",
        lattice_shape=None,
        dtype="float32",
        verbose=0,
        random_state=None,
    ):
        self.n_components = n_components
        self.units = units
        self.n_iter = n_iter
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.n_gibbs_steps = n_gibbs_steps
        self.persistent = persistent
        self.n_chains = n_chains
        self.momentum = momentum
        self.l1 = l1
        self.l2 = l2
        self.fit_biases = fit_biases
        self.connectivity = connectivity
        self.block_size = block_size
        self.kernel_size = kernel_size
        self.shuffle = shuffle
        self.output = output
        self.lattice_shape = lattice_shape
        self.dtype = dtype
        self.verbose = verbose
        self.random_state = random_state

    # ------------------------------------------------------------------ data

    def _validate(self, X, reset):
        return validate_unit_data(self, X, reset=reset)

    # ------------------------------------------------------- the model's math

    def _activation(self, a):
        """Mean of a unit given its input: tanh for spins, the logistic for binary."""
        return np.tanh(a) if self.units == "spin" else expit(a)

    def _sample(self, a, rng):
        """Draw units given their inputs ``a``."""
        u = rng.random(a.shape, dtype=a.dtype)
        if self.units == "spin":
            # P(+1) = σ(2a) = (1 + tanh a) / 2; numpy's tanh vectorises, scipy's expit does not.
            u *= 2
            u -= 1
            spins = (u < np.tanh(a)).astype(a.dtype)
            spins *= 2
            spins -= 1
            return spins
        return (u < expit(a)).astype(a.dtype)

    def _hidden_input(self, v):
        # (W vᵀ)ᵀ rather than v Wᵀ: OpenBLAS is faster in this order (100 x 1600
        # x 400 float32: 10% on one thread, 30% on two).
        return np.add((self.components_ @ v.T).T, self.intercept_hidden_, order="C")

    def _visible_input(self, h):
        return h @ self.components_ + self.intercept_visible_

    def _mean_hiddens(self, v):
        """E[h | v] in training order."""
        return self._activation(self._hidden_input(v))

    def _sample_hiddens(self, v, rng):
        return self._sample(self._hidden_input(v), rng)

    def _sample_visibles(self, h, rng):
        return self._sample(self._visible_input(h), rng)

    def _log_partition_of_units(self, a):
        """Σ_j log Σ_{h_j} exp(h_j a_j): what summing out a layer contributes."""
        if self.units == "spin":
            return _log_2cosh(a).sum(axis=-1)
        return np.logaddexp(0, a).sum(axis=-1)

    def _free_energy(self, v):
        v = np.asarray(v, dtype=np.float64)
        W, b, c = (np.asarray(p, dtype=np.float64) for p in self._parameters())
        return -v @ b - self._log_partition_of_units(v @ W.T + c)

    def _hidden_free_energy(self, h):
        W, b, c = (np.asarray(p, dtype=np.float64) for p in self._parameters())
        return -h @ c - self._log_partition_of_units(h @ W + b)

    def _parameters(self):
        return self.components_, self.intercept_visible_, self.intercept_hidden_

    # --------------------------------------------------------------- training

    def _initialize(self, n_features):
        n_chains = self.batch_size if self.n_chains is None else self.n_chains
        n_units = n_features if self.n_components is None else self.n_components
        check_allocation(
            (n_units + n_chains) * n_features * np.dtype(self.dtype).itemsize,
            f"The weights of {n_units} units and {n_chains} persistent chains",
            "lower n_components, or n_chains (None means batch_size)",
        )
        self._resolve_geometry(n_features)
        dtype = np.dtype(self.dtype)
        seeds = np.random.SeedSequence(
            check_random_state(self.random_state).randint(0, 2**31 - 1)
        ).spawn(3)
        init_rng = np.random.default_rng(seeds[0])
        self.random_state_ = np.random.default_rng(seeds[1])
        self.random_key_ = int(seeds[2].generate_state(1, dtype=np.uint64)[0] >> np.uint64(1))
        n_units = self._n_units
        self.components_ = (0.01 * init_rng.standard_normal((n_units, n_features))).astype(dtype)
        if self._mask is not None:
            self.components_ *= self._mask
        self.intercept_hidden_ = np.zeros(n_units, dtype=dtype)
        self.intercept_visible_ = np.zeros(n_features, dtype=dtype)
        self.chains_ = self._random_units((n_chains, n_features), init_rng)
        self._velocities = [np.zeros_like(p) for p in self._parameters()]
        self.n_steps_ = 0

    def _random_units(self, shape, rng):
        dtype = np.dtype(self.dtype)
        if self.units == "spin":
            return np.where(rng.random(shape) < 0.5, 1, -1).astype(dtype)
        return (rng.random(shape) < 0.5).astype(dtype)

    def _resolve_geometry(self, n_features):
        """Set the input and output geometry, and the mask of a local layer."""
        self.lattice_shape_, self.coarse_lattice_shape_, self._n_units = layer_geometry(
            self.lattice_shape, n_features, self.n_components, self.block_size,
            needs_geometry=self.n_components is None or self.connectivity == "local",
        )
        self._mask = None
        if self.connectivity == "local":
            kernel = self.block_size if self.kernel_size is None else self.kernel_size
            self._windows = local_windows(self.lattice_shape_, self.block_size, kernel)
            self._mask = np.zeros((self._n_units, n_features), dtype=np.dtype(self.dtype))
            np.put_along_axis(self._mask, self._windows, 1, axis=1)
        self.hidden_order_ = np.arange(self._n_units)
        self.hidden_signs_ = np.ones(self._n_units)

    def _assign_hidden_order(self):
        """Output order (a coarse site per unit) and sign (oriented along its block)."""
        check_finite_parameters(self, self._parameters(), "learning_rate")
        if self.connectivity == "dense" and self.coarse_lattice_shape_ is not None:
            self.hidden_order_ = assign_units_to_sites(
                self.components_, self.lattice_shape_, self.coarse_lattice_shape_
            )
        if self.units == "spin":
            self.hidden_signs_ = orient_units(self.components_[self.hidden_order_],
                                              self.lattice_shape_, self.coarse_lattice_shape_)

    def _learning_rate(self):
        rate = self.learning_rate
        return float(rate(self.n_steps_) if callable(rate) else rate)

    def _step(self, v_pos):
        """One minibatch step of CD-k or PCD-k with momentum and weight decay."""
        rng = self.random_state_
        a_pos = self._hidden_input(v_pos)
        h_pos = self._activation(a_pos)
        # CD's chains start at the data, whose hidden inputs are already known.
        v_neg = self.chains_ if self.persistent else v_pos
        a = self._hidden_input(v_neg) if self.persistent else a_pos
        for k in range(self.n_gibbs_steps):
            if k:
                a = self._hidden_input(v_neg)
            v_neg = self._sample_visibles(self._sample(a, rng), rng)
        if self.persistent:
            self.chains_ = v_neg
        h_neg = self._activation(self._hidden_input(v_neg))

        W = self.components_
        dtype = W.dtype
        rate = self._learning_rate()
        # rate (<h v>_data - <h v>_model) as one product of stacked rows, each
        # phase pre-scaled by ±rate / its size: no pass over W to scale it.
        phase = np.repeat(np.array([rate / len(v_pos), -rate / len(v_neg)], dtype=dtype),
                          [len(v_pos), len(v_neg)])
        hidden = np.concatenate([h_pos, h_neg])
        hidden *= phase[:, None]
        visible = np.concatenate([v_pos, v_neg]).astype(dtype, copy=False)
        step_W = hidden.T @ visible
        if self.l2:
            step_W -= dtype.type(rate * self.l2) * W
        if self.l1:
            step_W -= dtype.type(rate * self.l1) * np.sign(W)
        if self._mask is not None:
            step_W *= self._mask
        steps = [step_W]
        if self.fit_biases:
            # The same phases give the differences of the means.
            steps += [phase @ visible, hidden.sum(axis=0)]
        momentum = dtype.type(self.momentum)
        for parameter, velocity, step in zip(self._parameters(), self._velocities, steps):
            velocity *= momentum
            velocity += step
            parameter += velocity
        self.n_steps_ += 1

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Train by ``n_iter`` passes of minibatch steps over ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Spins in {-1, +1} (or soft spins in [-1, 1]); [0, 1] for binary units.
        y : None
            Ignored.

        Returns
        -------
        self : BernoulliRBM
        """
        X = self._validate(X, reset=True)
        self._initialize(X.shape[1])
        shuffle_rng = np.random.default_rng(self.random_key_)
        dtype = np.dtype(self.dtype)
        for epoch in range(self.n_iter):
            start = time.perf_counter()
            order = shuffle_rng.permutation(len(X)) if self.shuffle else np.arange(len(X))
            for batch in gen_batches(len(X), self.batch_size):
                # One batch at a time in the compute type: no float copy of X.
                self._step(X[order[batch]].astype(dtype))
            if self.verbose:
                self._assign_hidden_order()
                # The exact pseudo-likelihood visits every site: 100 rows keep it cheap.
                pll = self.score(X[: min(len(X), 100)])
                print(f"[{type(self).__name__}] epoch {epoch + 1}: pseudo-log-likelihood "
                      f"per site {pll:.4f}, {time.perf_counter() - start:.2f} s")
        self._assign_hidden_order()
        return self

    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y=None):
        """One minibatch step on ``X`` (the first call also initializes the model).

        Streaming the batches of :meth:`fit` (``shuffle=False``) in the same
        order through ``partial_fit`` gives the same model.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            One minibatch.
        y : None
            Ignored.

        Returns
        -------
        self : BernoulliRBM
        """
        first = not hasattr(self, "components_")
        X = self._validate(X, reset=first)
        if first:
            self._initialize(X.shape[1])
        self._step(X.astype(np.dtype(self.dtype)))
        self._assign_hidden_order()
        return self

    # ------------------------------------------------------------ transforms

    def transform(self, X):
        """Coarse-grain: the hidden units given the visible configuration.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Visible configurations.

        Returns
        -------
        H : ndarray of shape (n_samples, n_components)
            In output order (``hidden_order_``): int8 spins drawn from
            ``p(h | v)`` with counter-based randomness (``output="spins"``;
            0/1 for binary units), or float64 ``E[h | v]`` (``output="mean"``).
        """
        check_is_fitted(self)
        X = self._validate(X, reset=False)
        return self._transform(X, self.output)

    def _transform(self, X, output):
        out = np.empty((len(X), self._n_units), np.int8 if output == "spins" else np.float64)
        # float64 whatever the training dtype: float32 sums depend on how BLAS
        # blocks a batch, and a row's output must not depend on the other rows.
        W, _, c = (np.asarray(p, dtype=np.float64) for p in self._parameters())
        signs = self.hidden_signs_
        W, c = W[self.hidden_order_] * signs[:, None], c[self.hidden_order_] * signs
        for rows in gen_batches(len(X), _TRANSFORM_CHUNK):
            mean = self._activation(X[rows].astype(np.float64) @ W.T + c)
            if output == "mean":
                out[rows] = mean
                continue
            u = counter_uniforms(X[rows], self._n_units, np.uint64(self.random_key_))
            p_up = (1 + mean) / 2 if self.units == "spin" else mean
            low = -1 if self.units == "spin" else 0
            out[rows] = np.where(u < p_up, 1, low)
        return out

    def _training_order(self, H, name="X"):
        if self.units == "spin":
            H = np.asarray(check_spins(H, allow_soft=True, name=name), dtype=np.float64)
        else:
            H = check_array(H, dtype=np.float64, input_name=name)
            if H.size and (H.min() < 0 or H.max() > 1):
                raise ValueError(f"{name} must hold values in [0, 1] for units='binary'; "
                                 f"found values from {H.min()} to {H.max()}.")
        if H.shape[1] != self._n_units:
            raise ValueError(
                f"{name} must have shape (n_samples, {self._n_units}) (one column per hidden "
                f"unit), got {H.shape}."
            )
        unordered = np.empty_like(H)
        unordered[:, self.hidden_order_] = H * self.hidden_signs_
        return unordered

    def inverse_transform(self, X):
        """Top-down mean field: ``E[v | h]`` for hidden configurations or means.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_components)
            Hidden units in output order.

        Returns
        -------
        V : ndarray of shape (n_samples, n_features), float64

        Raises
        ------
        ValueError
            If ``X`` is not 2D with ``n_components`` columns, or holds NaN,
            infinite values or values outside [-1, 1].
        """
        check_is_fitted(self)
        H = self._training_order(X)
        W, b, _ = (np.asarray(p, dtype=np.float64) for p in self._parameters())
        return self._activation(H @ W + b)

    def gibbs(self, v):
        """One Gibbs step v -> h -> v', drawn with the estimator's generator.

        Parameters
        ----------
        v : array-like of shape (n_samples, n_features)

        Returns
        -------
        v_new : ndarray of shape (n_samples, n_features), float of the compute type
        """
        check_is_fitted(self)
        v = self._validate(v, reset=False).astype(np.dtype(self.dtype))
        rng = self.random_state_
        return self._sample_visibles(self._sample_hiddens(v, rng), rng)

    def sample(self, n_samples, n_steps=1000, random_state=None):
        """Visible configurations from ``n_samples`` independent Gibbs chains.

        Parameters
        ----------
        n_samples : int
            Number of chains, one sample each.
        n_steps : int, default=1000
            Gibbs steps from a uniformly random start.
        random_state : int, RandomState instance or None, default=None

        Returns
        -------
        V : ndarray of shape (n_samples, n_features)
            int8 spins (0/1 for binary units).

        Raises
        ------
        TypeError
            If ``n_samples`` or ``n_steps`` is not an int.
        ValueError
            If either is negative, or the samples would not fit in memory.

        Notes
        -----
        Gibbs chains of a trained RBM can mix slowly: check that statistics of
        the samples (e.g. ``<|m|>``) have stopped drifting with ``n_steps``.
        """
        check_is_fitted(self)
        n_samples, n_steps = check_sample_args(n_samples, n_steps, self.n_features_in_)
        rng = np.random.default_rng(check_random_state(random_state).randint(0, 2**31 - 1))
        v = self._random_units((n_samples, self.n_features_in_), rng)
        for _ in range(n_steps):
            v = self._sample_visibles(self._sample_hiddens(v, rng), rng)
        return v.astype(np.int8)

    # ------------------------------------------------------- energies, scores

    def free_energy(self, X):
        """``F(v) = -b·v - Σ_j log Σ_{h_j} exp(h_j (W v + c)_j)`` of each row.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        F : ndarray of shape (n_samples,), float64
        """
        check_is_fitted(self)
        return self._free_energy(self._validate(X, reset=False))

    def hidden_hamiltonian(self, H):
        """Mehta & Schwab's coarse Hamiltonian ``H_RBM(h) = -log Σ_v exp(-E(v, h))``.

        For spin units ``-c·h - Σ_i log 2cosh(b_i + (Wᵀh)_i)``: the effective
        Hamiltonian of the hidden (coarse) spins that the RBM's kernel defines.

        Parameters
        ----------
        H : array-like of shape (n_samples, n_components)
            Hidden configurations in output order.

        Returns
        -------
        energy : ndarray of shape (n_samples,), float64
        """
        check_is_fitted(self)
        return self._hidden_free_energy(self._training_order(H, "H"))

    def score_samples(self, X):
        """Exact pseudo-log-likelihood of each row: ``Σ_i log p(v_i | v_rest)``.

        Every site is counted (scikit-learn's BernoulliRBM flips one random site
        and assumes {0, 1} units).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        pll : ndarray of shape (n_samples,), float64, at most 0
        """
        check_is_fitted(self)
        v = np.asarray(self._validate(X, reset=False), dtype=np.float64)
        W, b, c = (np.asarray(p, dtype=np.float64) for p in self._parameters())
        a = v @ W.T + c
        base = self._log_partition_of_units(a)
        total = np.zeros(len(v))
        for i in range(v.shape[1]):
            # Flipping v_i moves every hidden input by dv W[:, i].
            dv = -2 * v[:, i] if self.units == "spin" else 1 - 2 * v[:, i]
            flipped = self._log_partition_of_units(a + dv[:, None] * W[:, i])
            # F(v') - F(v) = -b_i dv - (flipped - base)
            delta = -b[i] * dv - (flipped - base)
            total -= np.logaddexp(0, -delta)
        return total

    def score(self, X, y=None):
        """Mean pseudo-log-likelihood per site (higher is better, at most 0).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : None
            Ignored.

        Returns
        -------
        score : float
        """
        return float(np.mean(self.score_samples(X)) / self.n_features_in_)

    def log_likelihood(self, X):
        """Exact log-likelihood of each row, by enumerating the smaller layer.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        log_p : ndarray of shape (n_samples,), float64

        Raises
        ------
        ValueError
            If ``X`` holds values other than -1 and +1 (0 and 1 for binary
            units): a probability is for configurations, not means. If both
            layers have more than 20 units (use :meth:`ais_log_partition`).
        """
        check_is_fitted(self)
        X = self._validate(X, reset=False)
        low, values = (-1, "-1 or +1") if self.units == "spin" else (0, "0 or 1")
        if not np.all((X == low) | (X == 1)):
            raise ValueError(f"log_likelihood needs configurations: X must hold exactly "
                             f"{values} for units={self.units!r}, not mean values.")
        return -self._free_energy(X) - self.log_partition()

    def log_partition(self):
        """Exact ``log Z``, enumerating the smaller layer (at most 20 units).

        Raises
        ------
        ValueError
            If both layers have more than 20 units (use :meth:`ais_log_partition`).
        """
        check_is_fitted(self)
        n_hidden, n_visible = self.components_.shape
        if min(n_hidden, n_visible) > _MAX_ENUMERATED_UNITS:
            raise ValueError(
                f"log Z is exact only when a layer has at most {_MAX_ENUMERATED_UNITS} units "
                f"(here {n_visible} visible, {n_hidden} hidden); use ais_log_partition()."
            )
        if n_hidden <= n_visible:
            return float(logsumexp(-self._hidden_free_energy(self._all_states(n_hidden))))
        return float(logsumexp(-self._free_energy(self._all_states(n_visible))))

    def _all_states(self, n_units):
        bits = (np.arange(2**n_units)[:, None] >> np.arange(n_units)) & 1
        return (2 * bits - 1.0) if self.units == "spin" else bits.astype(np.float64)

    def ais_log_partition(self, n_chains=100, n_betas=1000, random_state=None):
        """Annealed importance sampling estimate of ``log Z``, with its standard error.

        Anneals from the RBM without weights and hidden biases (whose ``Z`` is
        known) to this one, scaling ``W`` and ``c`` by β from 0 to 1 in
        ``n_betas`` steps, one Gibbs step per β, in ``n_chains`` independent runs.

        Parameters
        ----------
        n_chains : int, default=100
        n_betas : int, default=1000
        random_state : int, RandomState instance or None, default=None

        Returns
        -------
        log_z : float
        error : float
            Standard error of ``log_z`` (delta method on the importance weights).

        Raises
        ------
        TypeError
            If ``n_chains`` or ``n_betas`` is not an int.
        ValueError
            If ``n_chains < 2`` or ``n_betas < 1``.
        """
        check_is_fitted(self)
        # Two chains at least: the error is a standard deviation over chains.
        n_chains = check_int(n_chains, "n_chains", minimum=2)
        n_betas = check_int(n_betas, "n_betas", minimum=1)
        check_allocation((n_chains * self.n_features_in_ + n_betas) * 8,
                         f"AIS with {n_chains} chains and {n_betas} betas",
                         "lower n_chains or n_betas")
        rng = np.random.default_rng(check_random_state(random_state).randint(0, 2**31 - 1))
        W, b, c = (np.asarray(p, dtype=np.float64) for p in self._parameters())
        n_hidden = len(c)
        if self.units == "spin":
            log_z0 = n_hidden * np.log(2) + _log_2cosh(b).sum()
            v = np.where(rng.random((n_chains, len(b))) < expit(2 * b), 1.0, -1.0)
        else:
            log_z0 = n_hidden * np.log(2) + np.logaddexp(0, b).sum()
            v = (rng.random((n_chains, len(b))) < expit(b)).astype(np.float64)
        betas = np.linspace(0.0, 1.0, n_betas + 1)
        log_w = np.zeros(n_chains)

        def log_p(v, beta):
            return v @ b + self._log_partition_of_units(beta * (v @ W.T + c))

        for previous, beta in zip(betas[:-1], betas[1:]):
            log_w += log_p(v, beta) - log_p(v, previous)
            h = self._sample(beta * (v @ W.T + c), rng)
            v = self._sample(h @ (beta * W) + b, rng)
        log_mean_w = logsumexp(log_w) - np.log(n_chains)
        w = np.exp(log_w - log_w.max())
        error = w.std(ddof=1) / w.mean() / math.sqrt(n_chains)
        return float(log_z0 + log_mean_w), float(error)

    # ----------------------------------------------------------- geometry

    @available_if(lambda self: self.connectivity == "local")
    def for_lattice(self, lattice_shape):
        """Return a fitted copy of a local layer for another lattice size.

        Only layers local by construction (``connectivity="local"``) have it:
        a dense layer's weights fit one lattice only.

        The layer is treated as a periodic tiling of its learned windows: the
        unit on coarse site ``x`` of the new lattice takes the weights (and
        hidden bias) of the unit on site ``x`` modulo the trained coarse
        lattice, and visible biases are tiled the same way. Momentum and
        persistent chains are reset.

        Parameters
        ----------
        lattice_shape : int or tuple of int

        Returns
        -------
        rbm : BernoulliRBM

        Raises
        ------
        sklearn.exceptions.NotFittedError
            If the layer is not fitted.
        ValueError
            If ``lattice_shape`` has another dimension or sides that
            ``block_size`` does not divide. (A dense layer has no
            ``for_lattice``: AttributeError.)
        """
        check_is_fitted(self)
        shape = check_lattice_shape(lattice_shape)
        if len(shape) != len(self.lattice_shape_):
            raise ValueError(
                f"lattice_shape={shape} must have the dimension of {self.lattice_shape_}."
            )
        # One unit per block on the new lattice, whatever n_components said on the old.
        copy = type(self)(**{**self.get_params(), "lattice_shape": shape, "n_components": None})
        n_features = math.prod(shape)
        copy._resolve_geometry(n_features)
        copy.n_features_in_ = n_features
        old_coarse = np.array(self.coarse_lattice_shape_)
        new_coarse = np.indices(copy.coarse_lattice_shape_).reshape(len(shape), -1).T
        source = np.ravel_multi_index(tuple((new_coarse % old_coarse).T), tuple(old_coarse))
        kernels = np.take_along_axis(self.components_, self._windows, axis=1)
        copy.components_ = np.zeros((len(source), n_features), dtype=self.components_.dtype)
        np.put_along_axis(copy.components_, copy._windows, kernels[source], axis=1)
        copy.intercept_hidden_ = self.intercept_hidden_[source].copy()
        fine = np.indices(shape).reshape(len(shape), -1).T % np.array(self.lattice_shape_)
        copy.intercept_visible_ = self.intercept_visible_[
            np.ravel_multi_index(tuple(fine.T), self.lattice_shape_)
        ].copy()
        copy.random_state_ = np.random.default_rng(self.random_key_)
        copy.random_key_ = self.random_key_
        copy.chains_ = copy._random_units((len(self.chains_), n_features), copy.random_state_)
        copy._velocities = [np.zeros_like(p) for p in copy._parameters()]
        copy.n_steps_ = self.n_steps_
        copy._assign_hidden_order()
        return copy

    def receptive_fields(self):
        """Weights of every hidden unit in output order, shape ``(n_components, n_features_in_)``."""
        check_is_fitted(self)
        return self.components_[self.hidden_order_] * self.hidden_signs_[:, None].astype(
            self.components_.dtype)

    @property
    def _n_features_out(self):
        return self._n_units

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float64"] if self.output == "mean" else []
        return tags
