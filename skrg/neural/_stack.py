"""BernoulliRBMStack: a greedy stack of spin RBMs, one RG step per layer (Mehta & Schwab)."""

import math
import numbers
import time

import numpy as np
from sklearn.base import (
    BaseEstimator,
    ClassNamePrefixFeaturesOutMixin,
    TransformerMixin,
    _fit_context,
    clone,
)
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import StrOptions, validate_parameter_constraints
from sklearn.utils._set_output import _get_output_config
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_is_fitted

from ..lattice import check_lattice_shape, resolve_lattice_shape
from ..utils import spawn_seeds
from ._rbm import BernoulliRBM, check_sample_args, validate_unit_data

__all__ = ["BernoulliRBMStack"]

# BernoulliRBM parameters that may differ from layer to layer.
_LAYER_PARAMS = (
    "n_iter", "batch_size", "learning_rate", "n_gibbs_steps", "persistent", "n_chains",
    "momentum", "l1", "l2", "fit_biases", "connectivity", "block_size", "kernel_size",
    "shuffle", "dtype",
)


def _all_local(stack):
    """True if every layer is local by construction (``connectivity="local"``)."""
    connectivity = stack.connectivity
    if isinstance(connectivity, str):
        return connectivity == "local"
    return len(connectivity) > 0 and all(c == "local" for c in connectivity)


class BernoulliRBMStack(ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseEstimator):
    """Greedy stack of spin RBMs: a deep coarse-grainer, one RG step per layer.

    Mehta & Schwab's deep network: layer 1 is a :class:`BernoulliRBM` fitted
    on the configurations, and layer ``l`` is fitted on the coarse spins
    ``transform`` of layer ``l - 1`` draws (``output="spins"``), on the coarse
    lattice of that layer. Each layer's ``p(h | v)`` is one RG kernel, so
    :meth:`transform` applies them in turn: the intermediate layers draw
    spins and the last applies ``output``.

    Parameters
    ----------
    layer_sizes : sequence of int or None, default=(400, 100, 25)
        Hidden units of every layer, bottom to top. None means one unit per
        block of ``block_size**d`` sites of that layer's input lattice (as
        ``BernoulliRBM(n_components=None)``); a local layer needs None or the
        number of blocks.
    units : {"spin", "binary"}, default="spin"
        Units of every layer (one value: each layer's input is the previous
        layer's output). ``"binary"`` is outside the coarse-grainer protocol,
        as for :class:`BernoulliRBM`.
    n_iter, batch_size, learning_rate, n_gibbs_steps, persistent, n_chains, \
momentum, l1, l2, fit_biases, connectivity, block_size, kernel_size, shuffle, \
dtype : value or list or tuple of values
        Training parameters of the layers, as in :class:`BernoulliRBM`
        (defaults: 10, 100, 0.01, 1, True, None, 0.5, 0.0, 0.0, True,
        "dense", 2, None, True, "float32"). Each is one value for all layers,
        or a list or tuple with one value per layer.
    output : {"spins", "mean"}, default="spins"
        What the last layer of :meth:`transform` gives: int8 spins drawn from
        ``p(h | v)`` or the float64 mean ``E[h | v]``.
    lattice_shape : int or tuple of int, default=None
        Geometry of the visible lattice. None means square when possible.
    verbose : int, default=0
        Print each layer's training time (and, passed to every layer, the
        pseudo-log-likelihood of every epoch).
    random_state : int, RandomState instance or None, default=None
        Seeds of the layers: one per layer, spawned with
        :class:`numpy.random.SeedSequence` (:func:`skrg.utils.spawn_seeds`),
        so the stack equals its layers fitted by hand with those seeds.

    Attributes
    ----------
    layers_ : list of BernoulliRBM
        The fitted layers, bottom to top. Layer ``l + 1`` has the
        ``random_state`` ``spawn_seeds(random_state, n_layers)[l]``, the
        ``lattice_shape`` of layer ``l``'s ``coarse_lattice_shape_``, and
        ``output="spins"`` except the top one, which has the stack's.
    lattice_shape_ : tuple of int or None
        Geometry of the visible lattice.
    level_shapes_ : tuple
        Geometry of every level, from ``lattice_shape_`` to
        ``coarse_lattice_shape_`` (None for a level without one).
    coarse_lattice_shape_ : tuple of int or None
        Geometry of the top layer's output.
    n_features_in_ : int

    See Also
    --------
    BernoulliRBM : One layer.
    skrg.BlockSpinRG : The exact block-spin RG with several steps.

    Notes
    -----
    As a generative model the stack is a deep belief net: the top RBM is an
    undirected model of the layer below it, and every lower layer is the
    directed ``p(v | h)`` of its RBM (:meth:`sample`). Greedy training
    improves a variational bound on the likelihood of the data layer by
    layer (Hinton, Osindero & Teh, 2006), not the likelihood itself.

    Data larger than memory train through :meth:`partial_fit`, one layer
    at a time, from a source read once per epoch of every layer.

    Receptive fields (Mehta & Schwab): with weights stored as
    ``components_`` of shape (units, inputs), ``R^(1) = W^(1)`` and
    ``R^(l) = W^(l) R^(l-1)``, every layer's rows in its output order.

    Examples
    --------
    >>> from skrg import BernoulliRBMStack, make_ising
    >>> X, _ = make_ising(200, (8, 8), 2.5, random_state=0)
    >>> stack = BernoulliRBMStack((16, 4), n_iter=5, random_state=0).fit(X)
    >>> [layer.coarse_lattice_shape_ for layer in stack.layers_]
    [(4, 4), (2, 2)]
    >>> stack.transform(X[:3]).shape, stack.transform(X[:3], level=1).shape
    ((3, 4), (3, 16))
    >>> stack.receptive_fields(2).shape, stack.inverse_transform(stack.transform(X[:3])).shape
    ((4, 64), (3, 64))
    """

    _parameter_constraints = {
        "layer_sizes": ["array-like"],
        "units": [StrOptions({"spin", "binary"})],
        **{
            name: [*BernoulliRBM._parameter_constraints[name], "array-like"]
            for name in _LAYER_PARAMS
        },
        "output": [StrOptions({"spins", "mean"})],
        "lattice_shape": BernoulliRBM._parameter_constraints["lattice_shape"],
        "verbose": ["verbose"],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        layer_sizes=(400, 100, 25),
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
        dtype="float32",
        output="spins",
        lattice_shape=None,
        verbose=0,
        random_state=None,
    ):
        self.layer_sizes = layer_sizes
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
        self.dtype = dtype
        self.output = output
        self.lattice_shape = lattice_shape
        self.verbose = verbose
        self.random_state = random_state

    # ------------------------------------------------------------ parameters

    def _layer_sizes(self):
        sizes = list(self.layer_sizes)
        if not sizes:
            raise ValueError("layer_sizes must name at least one layer, got an empty sequence.")
        for size in sizes:
            valid = size is None or (
                isinstance(size, numbers.Integral) and not isinstance(size, bool) and size >= 1
            )
            if not valid:
                raise ValueError(
                    "layer_sizes entries must be positive ints or None (one unit per "
                    f"block), got {self.layer_sizes!r}."
                )
        return sizes

    def _layer_params(self):
        """The constructor parameters of every layer, checked value by value."""
        sizes = self._layer_sizes()
        n_layers = len(sizes)
        per_layer = {}
        for name in _LAYER_PARAMS:
            value = getattr(self, name)
            if isinstance(value, (list, tuple, np.ndarray)):
                if len(value) != n_layers:
                    raise ValueError(
                        f"{name} has {len(value)} values but layer_sizes has {n_layers} "
                        "layers; give one value per layer or a single value for all."
                    )
                per_layer[name] = list(value)
            else:
                per_layer[name] = [value] * n_layers
        layers = []
        for index, size in enumerate(sizes):
            params = {name: values[index] for name, values in per_layer.items()}
            validate_parameter_constraints(
                {name: BernoulliRBM._parameter_constraints[name] for name in params},
                params,
                caller_name=f"{type(self).__name__} (layer {index + 1})",
            )
            layers.append({
                "n_components": size,
                "units": self.units,
                **params,
                "output": self.output if index == n_layers - 1 else "spins",
                "verbose": self.verbose,
            })
        return layers

    # ------------------------------------------------------------------ data

    def _validate(self, X, reset):
        return validate_unit_data(self, X, reset=reset)

    def _check_level(self, level):
        n_layers = len(self.layers_)
        if level is None:
            return n_layers
        if isinstance(level, bool) or not isinstance(level, numbers.Integral) or not (
            1 <= level <= n_layers
        ):
            raise ValueError(
                "level must be None or an int from 1 (the first hidden layer) to "
                f"{n_layers} (the top), got {level!r}."
            )
        return int(level)

    # --------------------------------------------------------------- training

    def _input_shape(self, n_features, first_layer):
        """The visible lattice, resolved as the first layer resolves it."""
        needs_geometry = first_layer.n_components is None or first_layer.connectivity == "local"
        try:
            return resolve_lattice_shape(self.lattice_shape, n_features)
        except ValueError:
            if needs_geometry or self.lattice_shape is not None:
                raise
            return None

    def _plan_geometry(self, layers, n_features):
        """Check, before any training, that every layer gets the lattice it needs.

        Returns the input lattice of every layer and the output lattice of the top.
        """
        shapes = [self._input_shape(n_features, layers[0])]
        for index, layer in enumerate(layers):
            shape = shapes[-1]
            needs_geometry = layer.n_components is None or layer.connectivity == "local"
            if shape is None and needs_geometry:
                below = shapes[-2]
                why = (
                    f"match no block step of its lattice {below}"
                    if below is not None else "have no lattice (nor has its input)"
                )
                raise ValueError(
                    f"Layer {index + 1} of {type(self).__name__} needs a lattice "
                    f"(layer_sizes[{index}]={layer.n_components!r}, "
                    f"connectivity={layer.connectivity!r}), but the {n_features} hidden "
                    f"units of layer {index} (layer_sizes[{index - 1}]="
                    f"{layers[index - 1].n_components!r}) {why}, so its "
                    f"coarse_lattice_shape_ is None. Give layer {index} a number of units "
                    f"that one block step gives{_block_step_sizes(below)}, or layer "
                    f"{index + 1} an explicit size and connectivity='dense'."
                )
            probe = clone(layer).set_params(lattice_shape=shape)
            try:
                probe._resolve_geometry(n_features)
            except ValueError as exc:
                raise ValueError(f"Layer {index + 1} of {type(self).__name__}: {exc}") from exc
            n_features = probe._n_units
            shapes.append(probe.coarse_lattice_shape_)
        return shapes

    def _new_layers(self, n_features):
        """The unfitted layers, each with its input lattice and its spawned seed."""
        layers = [BernoulliRBM(**params) for params in self._layer_params()]
        shapes = self._plan_geometry(layers, n_features)
        seeds = spawn_seeds(self.random_state, len(layers))
        return [layer.set_params(lattice_shape=shape, random_state=int(seed))
                for layer, shape, seed in zip(layers, shapes, seeds)]

    def _set_geometry(self):
        """The stack's geometry attributes, read from its layers."""
        self.lattice_shape_ = self.layers_[0].lattice_shape_
        self.level_shapes_ = (self.lattice_shape_,) + tuple(
            layer.coarse_lattice_shape_ for layer in self.layers_
        )
        self.coarse_lattice_shape_ = self.layers_[-1].coarse_lattice_shape_

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Train the layers greedily, bottom to top.

        Layer ``l`` is fitted on the spins layer ``l - 1`` draws from ``X``
        (its ``transform`` with ``output="spins"``).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Spins in {-1, +1} (or soft spins in [-1, 1]); [0, 1] for binary units.
        y : None
            Ignored.

        Returns
        -------
        self : BernoulliRBMStack
        """
        X = self._validate(X, reset=True)
        layers = self._new_layers(X.shape[1])
        self.layers_ = []
        H = X
        for index, layer in enumerate(layers):
            start = time.perf_counter()
            self.layers_.append(layer.fit(H))
            if self.verbose:
                print(f"[{type(self).__name__}] layer {index + 1}: {H.shape[1]} -> "
                      f"{layer._n_units} units, {time.perf_counter() - start:.2f} s")
            if index < len(layers) - 1:
                H = layer._transform(H, "spins")
        self._set_geometry()
        return self

    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y=None, level=None):
        """One minibatch step of layer ``level`` (or of every layer) on ``X``.

        For data larger than memory. ``X`` is coarse-grained by the layers
        below ``level`` (their ``transform`` with ``output="spins"``) and the
        layer takes one :meth:`BernoulliRBM.partial_fit` step on the result.
        Greedy training streams the data once per epoch of layer 1 with
        ``level=1``, then again with ``level=2``, and so on, so the source
        must be readable more than once (a dataset file through
        :func:`skrg.io.iter_dataset`, a dask array). Streaming the minibatches
        of :meth:`fit` (``shuffle=False``) in the same order, level after
        level, gives the same stack, bitwise: the layers below draw every
        row's spins independently of the other rows.

        ``level=None`` steps every layer in turn, bottom to top, layer ``l``
        on the spins the just-updated layers below draw from ``X``: all
        layers learn in a single pass over a stream that cannot be read
        twice. That is not :meth:`fit`'s greedy training (a layer learns from
        layers that are still changing) and matches no in-memory fit.

        The first call builds every layer and initialises it as :meth:`fit`
        would, so the stack can transform from then on.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            One minibatch of visible configurations.
        y : None
            Ignored.
        level : int, default=None
            The layer trained, from 1 (the first hidden layer) to the number
            of layers; None means every layer, as above.

        Returns
        -------
        self : BernoulliRBMStack

        Raises
        ------
        ValueError
            If ``level`` is not None or an int from 1 to the number of layers,
            if ``X`` holds values outside [-1, 1], NaN or infinity, or (after
            the first call) its width differs from ``n_features_in_``.

        Examples
        --------
        >>> from sklearn.utils import gen_batches
        >>> from skrg import BernoulliRBMStack, make_ising
        >>> X, _ = make_ising(200, (8, 8), 2.5, random_state=0)
        >>> params = dict(layer_sizes=(16, 4), n_iter=2, batch_size=50, shuffle=False,
        ...               random_state=0)
        >>> stack = BernoulliRBMStack(**params)
        >>> for level in (1, 2):
        ...     for epoch in range(2):
        ...         for rows in gen_batches(len(X), 50):
        ...             stack = stack.partial_fit(X[rows], level=level)
        >>> fitted = BernoulliRBMStack(**params).fit(X)
        >>> all((a.components_ == b.components_).all()
        ...     for a, b in zip(stack.layers_, fitted.layers_))
        True
        """
        n_layers = len(self._layer_sizes())
        if level is not None and (
            isinstance(level, bool) or not isinstance(level, numbers.Integral)
            or not 1 <= level <= n_layers
        ):
            raise ValueError(
                f"level must be None (every layer) or an int from 1 (the first hidden "
                f"layer) to {n_layers}, got {level!r}."
            )
        first = not hasattr(self, "layers_")
        X = self._validate(X, reset=first)
        if first:
            layers = self._new_layers(X.shape[1])
            n_features = X.shape[1]
            for layer in layers:
                layer.n_features_in_ = n_features
                layer._initialize(n_features)
                layer._assign_hidden_order()
                n_features = layer._n_units
            self.layers_ = layers
            self._set_geometry()
        top = n_layers if level is None else int(level)
        for index, layer in enumerate(self.layers_[:top]):
            if level is None or index == top - 1:
                layer.partial_fit(X)
            if index < top - 1:
                X = layer._transform(X, "spins")
        return self

    # ------------------------------------------------------------ transforms

    def transform(self, X, level=None):
        """Coarse-grain through the layers, up to the top or to ``level``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Visible configurations.
        level : int, default=None
            Last layer applied, from 1 (the first hidden layer) to the number
            of layers; None means the top. The layers below it draw spins and
            it applies ``output``. With ``set_output(transform="pandas")`` the
            columns are named for the top, so ``level`` must then be the top.

        Returns
        -------
        H : ndarray of shape (n_samples, n_units of that layer)
            In that layer's output order: int8 spins (``output="spins"``) or
            float64 means (``output="mean"``).

        Raises
        ------
        sklearn.exceptions.NotFittedError
            If the stack is not fitted.
        ValueError
            If ``level`` is out of range (or not the top with pandas output),
            or ``X`` is not spins of width ``n_features_in_``.
        """
        check_is_fitted(self)
        level = self._check_level(level)
        if level < len(self.layers_) and _get_output_config("transform", self)["dense"] != (
            "default"
        ):
            raise ValueError(
                f"transform(level={level}) gives {self.layers_[level - 1]._n_units} columns "
                "but get_feature_names_out names the top layer's; use level=None with "
                'set_output(transform="pandas"), or set_output(transform="default").'
            )
        X = self._validate(X, reset=False)
        return self._transform(X, level, self.output)

    def _transform(self, X, level, output):
        for index, layer in enumerate(self.layers_[:level]):
            X = layer._transform(X, output if index == level - 1 else "spins")
        return X

    def inverse_transform(self, X, level=None):
        """Top-down mean field from ``level`` to the visible lattice.

        Each layer maps its hidden units to ``E[v | h]`` (the layer's
        :meth:`BernoulliRBM.inverse_transform`), and that mean is the input
        of the next layer down.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_units of that layer)
            Hidden units of layer ``level``, in its output order (spins or means).
        level : int, default=None
            Layer ``X`` belongs to, 1 to the number of layers; None means the top.

        Returns
        -------
        V : ndarray of shape (n_samples, n_features), float64
        """
        check_is_fitted(self)
        level = self._check_level(level)
        for layer in reversed(self.layers_[:level]):
            X = layer.inverse_transform(X)
        return X

    def sample(self, n_samples, n_steps=1000, random_state=None):
        """Visible configurations from the stack as a deep belief net.

        ``n_samples`` independent Gibbs chains run ``n_steps`` steps on the
        top RBM from a uniformly random start; its visible layer is the layer
        below. The sample is then passed down by drawing ``v ~ p(v | h)`` of
        every lower layer in turn, down to the visible lattice.

        Parameters
        ----------
        n_samples : int
            Number of chains, one sample each.
        n_steps : int, default=1000
            Gibbs steps on the top RBM.
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
        """
        check_is_fitted(self)
        top = self.layers_[-1]
        n_samples, n_steps = check_sample_args(n_samples, n_steps, self.n_features_in_)
        rng = np.random.default_rng(check_random_state(random_state).randint(0, 2**31 - 1))
        v = top._random_units((n_samples, top.n_features_in_), rng)
        for _ in range(n_steps):
            v = top._sample_visibles(top._sample_hiddens(v, rng), rng)
        for layer in reversed(self.layers_[:-1]):
            # v is this layer's hidden layer in its output order.
            h = layer._training_order(v).astype(layer.components_.dtype)
            v = layer._sample_visibles(h, rng)
        return v.astype(np.int8)

    def receptive_fields(self, level=None):
        """Effective receptive fields of a layer on the visible lattice.

        ``R^(1) = W^(1)`` and ``R^(l) = W^(l) R^(l-1)`` (Mehta & Schwab), with
        every layer's rows in its output order; layer ``l``'s inputs are layer
        ``l - 1``'s outputs, already in that order.

        Parameters
        ----------
        level : int, default=None
            Layer, from 1 to the number of layers; None means the top.

        Returns
        -------
        R : ndarray of shape (n_units of that layer, n_features), float64
        """
        check_is_fitted(self)
        level = self._check_level(level)
        fields = np.asarray(self.layers_[0].receptive_fields(), dtype=np.float64)
        for layer in self.layers_[1:level]:
            fields = np.asarray(layer.receptive_fields(), dtype=np.float64) @ fields
        return fields

    def score(self, X, y=None):
        """Mean pseudo-log-likelihood per site of the first layer (higher is better).

        The likelihood of a deep belief net is intractable; the first layer
        models the visible lattice itself, so its :meth:`BernoulliRBM.score`
        scores the stack on ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : None
            Ignored.

        Returns
        -------
        score : float
            At most 0.
        """
        check_is_fitted(self)
        X = self._validate(X, reset=False)
        return self.layers_[0].score(X)

    # ----------------------------------------------------------- geometry

    @available_if(_all_local)
    def for_lattice(self, lattice_shape):
        """Return a fitted copy for another lattice size (every layer local).

        Layer 1 is moved to ``lattice_shape`` and layer ``l`` to the new
        coarse lattice of layer ``l - 1``, each with
        :meth:`BernoulliRBM.for_lattice`.

        Parameters
        ----------
        lattice_shape : int or tuple of int

        Returns
        -------
        stack : BernoulliRBMStack

        Raises
        ------
        sklearn.exceptions.NotFittedError
            If the stack is not fitted.
        ValueError
            If ``lattice_shape`` has another dimension or cannot hold a layer's
            blocks (the message names the layer). (A stack with dense layers
            has no ``for_lattice``: AttributeError.)
        """
        check_is_fitted(self)
        shape = check_lattice_shape(lattice_shape)
        copy = clone(self).set_params(lattice_shape=shape)
        copy.layers_ = []
        current = shape
        for index, layer in enumerate(self.layers_):
            try:
                moved = layer.for_lattice(current)
            except ValueError as exc:
                raise ValueError(f"Layer {index + 1} of {type(self).__name__}: {exc}") from exc
            copy.layers_.append(moved)
            current = moved.coarse_lattice_shape_
        copy.n_features_in_ = math.prod(shape)
        copy._set_geometry()
        return copy

    @property
    def _n_features_out(self):
        return self.layers_[-1]._n_units

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float64"] if self.output == "mean" else []
        return tags


def _block_step_sizes(shape):
    """' (e.g. 16, 4 or 1)': unit counts one block step of ``shape`` gives, for messages."""
    if shape is None:
        return ""
    sizes = [
        math.prod(shape) // b ** len(shape)
        for b in range(2, min(shape) + 1)
        if all(side % b == 0 for side in shape)
    ]
    if not sizes:
        return ""
    sizes = [str(size) for size in sizes[:3]]
    if len(sizes) == 1:
        return f" ({sizes[0]})"
    return f" (e.g. {', '.join(sizes[:-1])} or {sizes[-1]})"
