"""IsingAutoencoder: an autoencoder whose bottleneck is a coarse lattice."""

import copy
import math
import numbers
import time

import numpy as np
from sklearn.base import (
    BaseEstimator,
    ClassNamePrefixFeaturesOutMixin,
    TransformerMixin,
    _fit_context,
)
from sklearn.utils import check_random_state, gen_batches
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_is_fitted

from ..lattice import check_lattice_shape, level_shapes
from ..utils import check_spins, validate_spin_data
from ..utils._memory import check_allocation
from ..utils._validation import check_finite_parameters
from ..utils._counter_random import counter_uniforms
from ._geometry import assign_units_to_sites, layer_geometry, local_windows, orient_units

__all__ = ["IsingAutoencoder"]

_TRANSFORM_CHUNK = 4096
_ADAM_BETA1, _ADAM_BETA2, _ADAM_EPSILON = 0.9, 0.999, 1e-8


def _reconstruction_loss(a, v):
    """Binary cross-entropy per spin of ``v`` under ``P(+1) = σ(2a)``.

    With ``t = (1 + v) / 2`` the cross-entropy ``-t log σ(2a) - (1 - t) log σ(-2a)``
    simplifies to ``log(1 + e^{-2a}) + (1 - v) a``; its derivative in ``a`` is
    ``tanh(a) - v``. Soft spins are soft targets.
    """
    return np.logaddexp(0, -2 * a) + (1 - v) * a


def _mean_reconstruction_loss(a, t, v):
    """Mean of :func:`_reconstruction_loss` from ``a`` and ``t = tanh(a)``, float64.

    ``log(1 + e^{-2a}) + (1 - v) a = |a| - v a + log 2 - log1p(|t|)`` exactly
    (``e^{-2|a|} = (1 - |t|) / (1 + |t|)``); every term is finite, and it
    needs one log1p and no exp per element instead of logaddexp's exp and log.
    """
    buffer = np.abs(t)
    np.log1p(buffer, out=buffer)
    total = -buffer.sum(dtype=np.float64)
    total += np.abs(a, out=buffer).sum(dtype=np.float64)
    total -= np.multiply(v, a, out=buffer).sum(dtype=np.float64)
    return float(total / a.size + math.log(2.0))


class IsingAutoencoder(ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseEstimator):
    """Autoencoder whose latent layer is a coarse lattice of spins.

    The encoder maps a configuration ``v`` to latent units
    ``z = f(W v + c)`` in [-1, 1], with ``f`` tanh or hardtanh (clipped
    linear); the decoder maps them back to ``E[v | z] = tanh(D z + e)``, i.e.
    ``P(v_i = +1 | z) = σ(2 (D z + e)_i)``, trained by minimising the binary
    cross-entropy of the spins per site (plus ``l1 Σ|w| + l2/2 Σ w²`` over
    the weights of both layers) with Adam on minibatches. As a coarse-grainer
    (the protocol of :class:`skrg.BlockSpinRG`), the latent unit is a coarse
    spin: ``output="mean"`` gives ``z``, ``output="spins"`` draws ±1 with
    ``P(+1) = (1 + z) / 2``.

    ``encoder="local"`` is a convolution over the periodic lattice: one
    kernel of ``kernel_size`` sites a side, shared by every block of
    ``block_size`` (stride ``block_size``, the window centred on its block)
    and one shared intercept; the decoder is the mirrored transposed
    convolution. The same weights therefore apply to any lattice size
    (:meth:`for_lattice`), including the encoder's own coarse output.
    ``encoder="dense"`` connects ``n_latent`` units to every site; its units
    earn a geometry as a dense RBM's do (``hidden_order_``).

    ``encoder_init="block_spin"`` starts the encoder as the block average
    (``1 / block_size**d`` on the block's sites) and the decoder's weights
    as block replication (weight 1 from a unit to its block's sites, so the
    untrained reconstruction is ``tanh(z)`` there, not ``z``: the decoder's
    output layer cannot express plain replication, which
    :meth:`skrg.BlockSpinRG.inverse_transform` is). With
    ``latent_activation="hardtanh"`` the untrained
    ``transform`` with ``output="mean"`` equals
    ``BlockSpinRG(rule="average", output="mean")``. With
    ``freeze_encoder=True`` only the decoder learns, which is the transfer
    learning set-up of Shukla & Thakur (2022).

    Parameters
    ----------
    encoder : {"local", "dense"}, default="local"
        Convolutional encoder with shared weights, or dense.
    block_size : int, default=2
        Linear size ``b`` of a block: a local encoder has one latent unit per
        block (stride ``b``); a dense encoder with ``n_latent=None`` has as many
        units as blocks.
    kernel_size : int, default=None
        Side of a local encoder's window, at least ``block_size``; None means
        ``block_size`` (each unit reads its own block only).
    n_latent : int, default=None
        Number of latent units of a dense encoder; None means one per block.
        A local encoder has one per block (``None`` or that number).
    latent_activation : {"tanh", "hardtanh"}, default="tanh"
        ``f`` above. Hardtanh's derivative is taken as 1 on the closed
        interval [-1, 1], so units sitting exactly at ±1 (as the block-spin
        start puts them on uniform blocks) still learn.
    max_iter : int, default=50
        Number of passes over the training rows (epochs).
    batch_size : int, default=100
        Rows per minibatch step.
    learning_rate_init : float, default=1e-3
        Adam's step size.
    l1, l2 : float, default=0.0
        Weight penalties ``l1 Σ|w| + l2/2 Σ w²`` on the weights of both
        layers (not the intercepts), added to the cross-entropy per site.
        L1 makes sparse weights, one of Shukla & Thakur's observables
        (:func:`skrg.metrics.weight_sparsity`).
    early_stopping : bool, default=False
        If True, hold out ``validation_fraction`` of the rows, stop when their
        loss has not improved by ``tol`` for ``n_iter_no_change`` epochs and
        keep the best parameters. If False, ``fit`` runs exactly
        ``max_iter`` epochs.
    validation_fraction : float, default=0.1
        Share of rows held out when ``early_stopping=True``.
    n_iter_no_change : int, default=10
        Epochs without improvement before early stopping.
    tol : float, default=1e-4
        Improvement of the validation loss that counts.
    encoder_init : {"random", "block_spin"}, default="random"
        Glorot-uniform weights, or the block-spin rule described above.
    freeze_encoder : bool, default=False
        If True, fitting updates the decoder only.
    warm_start : bool, default=False
        If True, ``fit`` continues from the fitted parameters (a new Adam
        state) instead of initialising them: e.g. fine-tuning on another
        temperature range, or on another lattice size after
        :meth:`for_lattice`.
    shuffle : bool, default=True
        Shuffle rows every epoch. With False, streaming the batches of
        ``fit`` through :meth:`partial_fit` reproduces ``fit``.
    output : {"spins", "mean"}, default="spins"
        What :meth:`transform` returns: int8 coarse spins drawn with
        counter-based randomness, or the float64 latent ``z``.
    lattice_shape : int or tuple of int, default=None
        Shape of the input lattice; None means a square 2D lattice.
    dtype : {"float32", "float64"}, default="float32"
        Type of the parameters and of training arithmetic. Transforms always
        compute in float64, so a row's output never depends on the batch.
    verbose : int, default=0
        Print the loss and time of every epoch.
    random_state : int, RandomState instance or None, default=None
        Decides the initial weights, the shuffling, the validation split and
        the key of ``transform``'s counter-based draws.

    Attributes
    ----------
    encoder_weights_ : ndarray
        ``(kernel_size,) * d`` kernel of a local encoder, or
        ``(n_latent, n_features_in_)`` in training order for a dense one.
    encoder_intercept_ : ndarray of shape (1,) or (n_latent,)
    decoder_weights_ : ndarray
        ``(kernel_size,) * d`` kernel of a local decoder, or
        ``(n_features_in_, n_latent)`` for a dense one.
    decoder_intercept_ : ndarray of shape (1,) or (n_features,)
    lattice_shape_ : tuple of int or None
        Input lattice (None: a dense encoder on a width with no known lattice).
    coarse_lattice_shape_ : tuple of int or None
        Geometry of the latent units (None: a dense encoder whose units match
        no block lattice).
    hidden_order_ : ndarray of shape (n_latent,)
        Latent unit on each coarse site: the output order of every method.
    hidden_signs_ : ndarray of shape (n_latent,)
        ±1 per output position: each unit oriented so that its encoder
        weights on its own block sum to a non-negative number (flipping a
        unit with its weights is the same model, so training leaves the sign
        to chance). Applied with ``hidden_order_`` by every method.
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Only when ``X`` had string column names.
    n_iter_ : int
        Epochs run by the last ``fit``.
    n_steps_ : int
        Adam steps taken since the parameters were initialised.
    loss_curve_ : list of float
        Mean training loss (cross-entropy per site plus penalties) of each epoch.
    validation_scores_ : list of float or None
        Minus the validation cross-entropy per site after each epoch
        (``early_stopping=True``).
    best_validation_score_ : float or None
    random_key_ : int
        Key of the counter-based draws of ``transform``.

    See Also
    --------
    skrg.BlockSpinRG : the fixed block-spin rules.
    skrg.BernoulliRBM : the other learned coarse-grainer.

    Notes
    -----
    ``fit`` is a fixed sequence of Adam steps; :meth:`partial_fit` is one
    such step with the optimizer state stored on the estimator, so streaming
    the batches of ``fit`` (``shuffle=False``, ``early_stopping=False``)
    through ``partial_fit`` gives the same model.

    References
    ----------
    .. [1] A. Shukla and P. Thakur, "An enquiry on similarities between
       renormalization group and auto-encoders using transfer learning",
       Physica A (2022), arXiv:2108.06157.

    Examples
    --------
    >>> from skrg import IsingAutoencoder, make_ising
    >>> X, _ = make_ising(200, (8, 8), 2.5, random_state=0)
    >>> ae = IsingAutoencoder(kernel_size=4, max_iter=5, random_state=0).fit(X)
    >>> ae.encoder_weights_.shape, ae.coarse_lattice_shape_
    ((4, 4), (4, 4))
    >>> ae.transform(X[:3]).shape
    (3, 16)
    >>> ae.for_lattice((16, 16)).transform(make_ising(2, (16, 16), 2.5, random_state=1)[0]).shape
    (2, 64)
    """

    _parameter_constraints = {
        "encoder": [StrOptions({"local", "dense"})],
        "block_size": [Interval(numbers.Integral, 1, None, closed="left")],
        "kernel_size": [None, Interval(numbers.Integral, 1, None, closed="left")],
        "n_latent": [None, Interval(numbers.Integral, 1, None, closed="left")],
        "latent_activation": [StrOptions({"tanh", "hardtanh"})],
        "max_iter": [Interval(numbers.Integral, 0, None, closed="left")],
        "batch_size": [Interval(numbers.Integral, 1, None, closed="left")],
        "learning_rate_init": [Interval(numbers.Real, 0, None, closed="neither")],
        "l1": [Interval(numbers.Real, 0, None, closed="left")],
        "l2": [Interval(numbers.Real, 0, None, closed="left")],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(numbers.Real, 0, 1, closed="neither")],
        "n_iter_no_change": [Interval(numbers.Integral, 1, None, closed="left")],
        "tol": [Interval(numbers.Real, 0, None, closed="left")],
        "encoder_init": [StrOptions({"random", "block_spin"})],
        "freeze_encoder": ["boolean"],
        "warm_start": ["boolean"],
        "shuffle": ["boolean"],
        "output": [StrOptions({"spins", "mean"})],
        "lattice_shape": [None, "array-like", Interval(numbers.Integral, 1, None, closed="left")],
        "dtype": [StrOptions({"float32", "float64"})],
        "verbose": ["verbose"],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        *,
        encoder="local",
        block_size=2,
        kernel_size=None,
        n_latent=None,
        latent_activation="tanh",
        max_iter=50,
        batch_size=100,
        learning_rate_init=1e-3,
        l1=0.0,
        l2=0.0,
        early_stopping=False,
        validation_fraction=0.1,
        n_iter_no_change=10,
        tol=1e-4,
        encoder_init="random",
        freeze_encoder=False,
        warm_start=False,
        shuffle=True,
        output="spins",
        lattice_shape=None,
        dtype="float32",
        verbose=0,
        random_state=None,
    ):
        self.encoder = encoder
        self.block_size = block_size
        self.kernel_size = kernel_size
        self.n_latent = n_latent
        self.latent_activation = latent_activation
        self.max_iter = max_iter
        self.batch_size = batch_size
        self.learning_rate_init = learning_rate_init
        self.l1 = l1
        self.l2 = l2
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.tol = tol
        self.encoder_init = encoder_init
        self.freeze_encoder = freeze_encoder
        self.warm_start = warm_start
        self.shuffle = shuffle
        self.output = output
        self.lattice_shape = lattice_shape
        self.dtype = dtype
        self.verbose = verbose
        self.random_state = random_state

    # ------------------------------------------------------------- geometry

    @property
    def _local(self):
        return self.encoder == "local"

    def _resolve_geometry(self, n_features):
        """Set the input and latent geometry (and a local layer's windows)."""
        self.lattice_shape_, self.coarse_lattice_shape_, self._n_units = layer_geometry(
            self.lattice_shape, n_features, self.n_latent, self.block_size,
            units_name="n_latent",
            needs_geometry=self._local or self.n_latent is None
            or self.encoder_init == "block_spin",
        )
        if self._local:
            kernel = self.block_size if self.kernel_size is None else self.kernel_size
            self._windows = local_windows(self.lattice_shape_, self.block_size, kernel)
        self.hidden_order_ = np.arange(self._n_units)
        self.hidden_signs_ = np.ones(self._n_units)

    def _assign_hidden_order(self):
        """Output order (a coarse site per unit) and sign (oriented along its block)."""
        check_finite_parameters(self, self._parameters(), "learning_rate_init")
        if not self._local and self.coarse_lattice_shape_ is not None:
            self.hidden_order_ = assign_units_to_sites(
                self.encoder_weights_, self.lattice_shape_, self.coarse_lattice_shape_
            )
        self.hidden_signs_ = orient_units(self._unsigned_fields(), self.lattice_shape_,
                                          self.coarse_lattice_shape_)

    # --------------------------------------------------------- initialisation

    def _initialize(self, n_features):
        n_latent = n_features if self.n_latent is None else self.n_latent
        # Encoder and decoder, with Adam's two moments each.
        check_allocation(6 * n_latent * n_features * np.dtype(self.dtype).itemsize,
                         f"The weights of {n_latent} latent units", "lower n_latent")
        self._resolve_geometry(n_features)
        seeds = np.random.SeedSequence(
            check_random_state(self.random_state).randint(0, 2**31 - 1)
        ).spawn(2)
        init_rng = np.random.default_rng(seeds[0])
        self.random_key_ = int(seeds[1].generate_state(1, dtype=np.uint64)[0] >> np.uint64(1))
        dtype = np.dtype(self.dtype)
        if self.encoder_init == "block_spin":
            encoder, decoder = self._block_spin_weights(n_features)
        else:
            encoder, decoder = self._random_weights(n_features, init_rng)
        n_bias_hidden, n_bias_visible = (1, 1) if self._local else (self._n_units, n_features)
        self.encoder_weights_ = encoder.astype(dtype)
        self.encoder_intercept_ = np.zeros(n_bias_hidden, dtype=dtype)
        self.decoder_weights_ = decoder.astype(dtype)
        self.decoder_intercept_ = np.zeros(n_bias_visible, dtype=dtype)
        self._reset_optimizer()

    def _random_weights(self, n_features, rng):
        """Glorot-uniform weights for tanh units, as scikit-learn's MLP."""
        if self._local:
            shape = self._kernel_shape()
            fan_in, fan_out = math.prod(shape), 1
            shapes = (shape, shape)
        else:
            fan_in, fan_out = n_features, self._n_units
            shapes = ((self._n_units, n_features), (n_features, self._n_units))
        bound = math.sqrt(6 / (fan_in + fan_out))
        return tuple(rng.uniform(-bound, bound, size) for size in shapes)

    def _kernel_shape(self):
        kernel = self.block_size if self.kernel_size is None else self.kernel_size
        return (kernel,) * len(self.lattice_shape_)

    def _block_spin_weights(self, n_features):
        """Encoder = block average, decoder weights = block replication."""
        ndim = len(self.lattice_shape_)
        n_block_sites = self.block_size**ndim
        if self._local:
            kernel = np.zeros(self._kernel_shape())
            start = (kernel.shape[0] - self.block_size) // 2
            kernel[(slice(start, start + self.block_size),) * ndim] = 1.0
            return kernel / n_block_sites, kernel
        blocks = local_windows(self.lattice_shape_, self.block_size, self.block_size)
        encoder = np.zeros((self._n_units, n_features))
        np.put_along_axis(encoder, blocks, 1.0 / n_block_sites, axis=1)
        return encoder, (encoder * n_block_sites).T.copy()

    def _reset_optimizer(self):
        self._adam_moments = [
            (np.zeros_like(p), np.zeros_like(p)) for p in self._parameters()
        ]
        self.n_steps_ = 0

    def _parameters(self):
        return [self.encoder_weights_, self.encoder_intercept_,
                self.decoder_weights_, self.decoder_intercept_]

    # ------------------------------------------------------- the model's math

    def _latent_activation(self, pre):
        if self.latent_activation == "tanh":
            return np.tanh(pre)
        return np.clip(pre, -1, 1)

    def _latent_derivative(self, pre, z):
        if self.latent_activation == "tanh":
            return 1 - z * z
        # 1 on the closed interval: a unit started at exactly ±1 still learns.
        return (np.abs(pre) <= 1).astype(pre.dtype)

    def _encode_input(self, V, W, c):
        """Encoder input ``W v + c`` in training order (and a local layer's patches)."""
        if not self._local:
            pre = V @ W.T
            pre += c
            return pre, None
        patches = V[:, self._windows]
        return patches @ W.reshape(-1) + c, patches

    def _decode_input(self, Z, D, e):
        """Decoder input ``D z + e`` for latent values in training order."""
        if not self._local:
            A = Z @ D.T
            A += e
            return A
        A = np.empty((len(Z), self.n_features_in_), dtype=Z.dtype)
        A[...] = e
        # Each offset of the window maps the latent lattice onto distinct sites.
        for offset, weight in enumerate(D.reshape(-1)):
            A[:, self._windows[:, offset]] += weight * Z
        return A

    def _forward(self, V, parameters):
        W, c, D, e = parameters
        pre, patches = self._encode_input(V, W, c)
        Z = self._latent_activation(pre)
        return pre, patches, Z, self._decode_input(Z, D, e)

    def _penalty(self, weights):
        total = 0.0
        for w in weights:
            if self.l1:
                total += self.l1 * float(np.abs(w).sum())
            if self.l2:
                total += 0.5 * self.l2 * float((w * w).sum())
        return total

    def _loss_and_gradients(self, V, parameters=None):
        """Mean cross-entropy per site plus penalties, and its gradients.

        Gradients come in the order of :meth:`_parameters`; the encoder's are
        None when ``freeze_encoder=True``.
        """
        parameters = self._parameters() if parameters is None else parameters
        W, c, D, e = parameters
        pre, patches, Z, A = self._forward(V, parameters)
        dtype = A.dtype
        scale = dtype.type(1.0 / V.size)
        delta_A = np.tanh(A)
        loss = _mean_reconstruction_loss(A, delta_A, V)
        delta_A -= V
        delta_A *= scale
        if self._local:
            delta_patches = delta_A[:, self._windows]
            grad_D = np.tensordot(Z, delta_patches, axes=([0, 1], [0, 1])).reshape(D.shape)
            grad_e = delta_A.sum(keepdims=True).reshape(1)
        else:
            grad_D = delta_A.T @ Z
            grad_e = delta_A.sum(axis=0)
        weights = [D]
        gradients = [None, None, grad_D, grad_e]
        if not self.freeze_encoder:
            if self._local:
                delta_Z = delta_patches @ D.reshape(-1)
            else:
                delta_Z = delta_A @ D
            delta_pre = delta_Z * self._latent_derivative(pre, Z)
            if self._local:
                grad_W = np.tensordot(delta_pre, patches, axes=([0, 1], [0, 1])).reshape(W.shape)
                grad_c = delta_pre.sum(keepdims=True).reshape(1)
            else:
                grad_W = delta_pre.T @ V
                grad_c = delta_pre.sum(axis=0)
            gradients[:2] = grad_W, grad_c
            weights.append(W)
        for index in (0, 2):
            if gradients[index] is not None:
                self._add_penalty_gradient(gradients[index], parameters[index])
        return loss + self._penalty(weights), gradients

    def _add_penalty_gradient(self, gradient, weight):
        if self.l1:
            gradient += gradient.dtype.type(self.l1) * np.sign(weight)
        if self.l2:
            gradient += gradient.dtype.type(self.l2) * weight

    def _step(self, V):
        """One Adam step on the minibatch ``V``; returns its loss."""
        loss, gradients = self._loss_and_gradients(V)
        self.n_steps_ += 1
        dtype = self.encoder_weights_.dtype.type
        t = self.n_steps_
        rate = self.learning_rate_init * math.sqrt(1 - _ADAM_BETA2**t) / (1 - _ADAM_BETA1**t)
        square_scale = dtype((1 - _ADAM_BETA2) / (1 - _ADAM_BETA1) ** 2)
        for parameter, (m, s), g in zip(self._parameters(), self._adam_moments, gradients):
            if g is None:
                continue
            # g is this step's own array: work in it, no temporaries.
            g *= dtype(1 - _ADAM_BETA1)
            m *= dtype(_ADAM_BETA1)
            m += g
            np.square(g, out=g)
            g *= square_scale  # (1 - beta2) gradient**2
            s *= dtype(_ADAM_BETA2)
            s += g
            np.sqrt(s, out=g)
            g += dtype(_ADAM_EPSILON)
            np.divide(m, g, out=g)
            g *= dtype(rate)
            parameter -= g
        return loss

    # --------------------------------------------------------------- training

    def _validate(self, X, reset):
        return validate_spin_data(self, X, reset=reset)

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Train for ``max_iter`` epochs of minibatch Adam steps (fewer with early stopping).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Spins in {-1, +1}, or soft spins in [-1, 1].
        y : None
            Ignored.

        Returns
        -------
        self : IsingAutoencoder
        """
        warm = self.warm_start and hasattr(self, "encoder_weights_")
        X = self._validate(X, reset=not warm)
        if warm:
            self._reset_optimizer()
        else:
            self._initialize(X.shape[1])
        rng = np.random.default_rng(self.random_key_)
        train, validation = self._split(len(X), rng)
        dtype = np.dtype(self.dtype)
        X_validation = X[validation].astype(dtype) if validation is not None else None
        self.loss_curve_, self.n_iter_ = [], 0
        self.validation_scores_ = [] if validation is not None else None
        self.best_validation_score_ = None
        best, stale = None, 0
        for epoch in range(self.max_iter):
            start = time.perf_counter()
            order = rng.permutation(train) if self.shuffle else train
            losses = [self._step(X[order[batch]].astype(dtype)) * len(order[batch])
                      for batch in gen_batches(len(order), self.batch_size)]
            self.loss_curve_.append(sum(losses) / len(order))
            self.n_iter_ = epoch + 1
            if self.verbose:
                print(f"[{type(self).__name__}] epoch {epoch + 1}: loss "
                      f"{self.loss_curve_[-1]:.5f}, {time.perf_counter() - start:.2f} s")
            if validation is None:
                continue
            score = -float(_reconstruction_loss(
                self._forward(X_validation, self._parameters())[3], X_validation
            ).mean(dtype=np.float64))
            self.validation_scores_.append(score)
            if best is None or score > self.best_validation_score_ + self.tol:
                self.best_validation_score_, stale = score, 0
                best = [p.copy() for p in self._parameters()]
            else:
                stale += 1
                if stale >= self.n_iter_no_change:
                    break
        if best is not None:
            for parameter, kept in zip(self._parameters(), best):
                parameter[...] = kept
        self._assign_hidden_order()
        return self

    def _split(self, n_samples, rng):
        """Training rows and held-out validation rows (None without early stopping)."""
        if not self.early_stopping:
            return np.arange(n_samples), None
        n_validation = int(round(self.validation_fraction * n_samples))
        if n_validation < 1 or n_validation >= n_samples:
            raise ValueError(
                f"validation_fraction={self.validation_fraction} of n_samples={n_samples} "
                f"leaves {n_validation} validation rows; early stopping needs at least one "
                "validation row and one training row."
            )
        permutation = rng.permutation(n_samples)
        return np.sort(permutation[n_validation:]), np.sort(permutation[:n_validation])

    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y=None):
        """One Adam step on the minibatch ``X`` (the first call also initialises).

        Streaming the batches of :meth:`fit` (``shuffle=False``,
        ``early_stopping=False``) in the same order gives the same model.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            One minibatch of spins.
        y : None
            Ignored.

        Returns
        -------
        self : IsingAutoencoder
        """
        first = not hasattr(self, "encoder_weights_")
        X = self._validate(X, reset=first)
        if first:
            self._initialize(X.shape[1])
        self._step(X.astype(np.dtype(self.dtype)))
        self._assign_hidden_order()
        return self

    # ------------------------------------------------------------ transforms

    def _float64_parameters(self):
        return [np.asarray(p, dtype=np.float64) for p in self._parameters()]

    def _latent(self, X):
        """Latent ``z`` in output order, float64 (a row never depends on the others)."""
        W, c, _, _ = self._float64_parameters()
        Z = np.empty((len(X), self._n_units))
        for rows in gen_batches(len(X), _TRANSFORM_CHUNK):
            Z[rows] = self._latent_activation(
                self._encode_input(X[rows].astype(np.float64), W, c)[0]
            )
        return Z[:, self.hidden_order_] * self.hidden_signs_

    def transform(self, X):
        """Encode: the coarse lattice of each configuration.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Spins in {-1, +1}, or soft spins in [-1, 1].

        Returns
        -------
        Z : ndarray of shape (n_samples, n_latent)
            In output order (``hidden_order_``): int8 spins drawn with
            ``P(+1) = (1 + z) / 2`` by counter-based randomness
            (``output="spins"``), or the float64 latent ``z``
            (``output="mean"``).
        """
        check_is_fitted(self)
        X = self._validate(X, reset=False)
        Z = self._latent(X)
        if self.output == "mean":
            return Z
        u = counter_uniforms(X, self._n_units, np.uint64(self.random_key_))
        return np.where(u < (1 + Z) / 2, 1, -1).astype(np.int8)

    def inverse_transform(self, X):
        """Decode: ``E[v | z] = tanh(D z + e)`` for latent values in output order.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_latent)
            Coarse spins or latent values in [-1, 1], in output order.

        Returns
        -------
        V : ndarray of shape (n_samples, n_features), float64

        Raises
        ------
        ValueError
            If ``X`` is not 2D with ``n_latent`` columns, or holds NaN, infinite
            values or values outside [-1, 1].
        """
        check_is_fitted(self)
        Z = np.asarray(check_spins(X, allow_soft=True), dtype=np.float64)
        if Z.shape[1] != self._n_units:
            raise ValueError(
                f"X must have {self._n_units} columns (one per latent unit), got {Z.shape[1]}."
            )
        unordered = np.empty_like(Z)
        unordered[:, self.hidden_order_] = Z * self.hidden_signs_
        _, _, D, e = self._float64_parameters()
        return np.tanh(self._decode_input(unordered, D, e))

    def score_samples(self, X):
        """Minus the reconstruction cross-entropy per site of each row (nats).

        The reconstruction decodes the latent mean ``z``: the objective that
        training minimises, without the penalties.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        scores : ndarray of shape (n_samples,)
        """
        check_is_fitted(self)
        X = self._validate(X, reset=False)
        parameters = self._float64_parameters()
        scores = np.empty(len(X))
        for rows in gen_batches(len(X), _TRANSFORM_CHUNK):
            V = X[rows].astype(np.float64)
            scores[rows] = -_reconstruction_loss(self._forward(V, parameters)[3], V).mean(axis=1)
        return scores

    def score(self, X, y=None):
        """Minus the mean reconstruction cross-entropy per spin (nats; higher is better).

        0 is a perfect reconstruction of hard spins; ``-log 2`` is what a
        decoder that outputs 0 everywhere scores.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : None
            Ignored.

        Returns
        -------
        score : float
        """
        return float(self.score_samples(X).mean())

    def receptive_fields(self):
        """Encoder weights of every latent unit on the fine lattice, in output order.

        A local encoder's kernel is placed on each unit's window.

        Returns
        -------
        fields : ndarray of shape (n_latent, n_features)
        """
        check_is_fitted(self)
        return self._unsigned_fields() * self.hidden_signs_[:, None].astype(
            self.encoder_weights_.dtype)

    def _unsigned_fields(self):
        """Encoder weights on the fine lattice in output order, before orientation."""
        if not self._local:
            return self.encoder_weights_[self.hidden_order_]
        fields = np.zeros((self._n_units, self.n_features_in_), dtype=self.encoder_weights_.dtype)
        kernel = np.broadcast_to(self.encoder_weights_.reshape(-1), self._windows.shape)
        np.put_along_axis(fields, self._windows, kernel, axis=1)
        return fields

    # ----------------------------------------------------------- transfer

    @available_if(lambda self: self.encoder == "local")
    def for_lattice(self, lattice_shape):
        """Return a fitted copy for another lattice size (local encoders only).

        The convolution's weights are shared by every block, so the copy holds
        the same kernels and intercepts, and Adam's state, on the new lattice:
        ``for_lattice(L).transform`` is the same convolution, :meth:`partial_fit`
        continues the same Adam trajectory, and ``fit`` with ``warm_start=True``
        fine-tunes from these weights with a fresh Adam state.
        ``for_lattice(self.coarse_lattice_shape_)`` applies the encoder to its
        own output. (A clone, as model selection makes, keeps the parameters
        but not the weights: wrap the copy in
        :class:`sklearn.frozen.FrozenEstimator` to reuse it frozen inside
        cross-validation.)

        Parameters
        ----------
        lattice_shape : int or tuple of int
            Same dimension as ``lattice_shape_``; every side divisible by
            ``block_size`` and at least ``kernel_size``.

        Returns
        -------
        autoencoder : IsingAutoencoder

        Raises
        ------
        sklearn.exceptions.NotFittedError
            If the autoencoder is not fitted.
        ValueError
            If ``lattice_shape`` has another dimension, or a side that
            ``block_size`` does not divide or that is smaller than
            ``kernel_size``.
        """
        check_is_fitted(self)
        shape = check_lattice_shape(lattice_shape)
        if len(shape) != len(self.lattice_shape_):
            raise ValueError(
                f"lattice_shape={shape} must have the dimension of {self.lattice_shape_}."
            )
        level_shapes(shape, self.block_size, 1)
        other = copy.deepcopy(self)
        other.set_params(lattice_shape=shape, n_latent=None)
        n_features = math.prod(shape)
        other._resolve_geometry(n_features)
        other.n_features_in_ = n_features
        if hasattr(other, "feature_names_in_"):
            del other.feature_names_in_
        other._assign_hidden_order()
        return other

    @property
    def _n_features_out(self):
        return self._n_units

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float64"] if self.output == "mean" else []
        return tags
