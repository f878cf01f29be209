"""The one network definition every method shares.

A :class:`Network` is a fully connected feed-forward network described by its layer
sizes, one activation per layer and one cost.  It holds no parameters: every method
takes a flat parameter vector (or a stack of them), so the same network serves
backprop, dual numbers, finite differences and a genetic population alike.

Flat parameter order
--------------------
Layer by layer, from the input side: first the layer's weight matrix ``W`` of shape
``(fan_in, fan_out)`` in row-major (C) order, then its bias vector ``b`` of length
``fan_out``.  So ``W[i, j]``, the weight from input ``i`` to neuron ``j``, is at
offset ``i * fan_out + j`` within the layer's block, and the pre-activation is
``z = a @ W + b``.  A stack of R parameter vectors has shape ``(R, n_params)``.

(The post numbers its weights neuron by neuron - ``weights[j * fan_in + i]`` - which
is the transpose of this layout; :meth:`Network.from_post` converts.)
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from .activations import Activation, get_activation
from .costs import Cost, get_cost
from .reductions import sum_last_axis
from .validation import check_array, check_float_dtype, check_positive_int

__all__ = ["Network"]


class Network:
    """A fully connected feed-forward network.

    Parameters
    ----------
    layer_sizes : sequence of int
        Neurons per layer, inputs first, e.g. ``[2, 2, 2]`` for the post's example 4.
    activation : str or sequence of str, default "sigmoid"
        One activation name for every layer, or one per layer (``len(layer_sizes) - 1``
        names).  See :func:`gradmethods.core.activations.activation_names`.
    cost : str, default "half_sse"
        ``"half_sse"`` (the post's cost, half the squared error) or ``"cross_entropy"``.

    Examples
    --------
    >>> import numpy as np, gradmethods as gm
    >>> net = gm.Network([2, 2, 2])
    >>> net.n_params
    12
    >>> params = np.arange(12.0)
    >>> [W.shape for W, b in net.unpack(params)]
    [(2, 2), (2, 2)]
    >>> bool(np.array_equal(net.pack(net.unpack(params)), params))
    True
    """

    def __init__(
        self,
        layer_sizes: Sequence[int],
        activation: str | Sequence[str] = "sigmoid",
        cost: str = "half_sse",
    ) -> None:
        if isinstance(layer_sizes, (str, bytes)) or not isinstance(layer_sizes, Sequence) or len(layer_sizes) < 2:
            raise ValueError(
                f"layer_sizes must be a sequence of at least two positive ints (inputs, ..., outputs). "
                f"Got {layer_sizes!r} instead."
            )
        self.layer_sizes: tuple[int, ...] = tuple(
            check_positive_int(f"layer_sizes[{i}]", size) for i, size in enumerate(layer_sizes)
        )
        n_layers = len(self.layer_sizes) - 1
        if isinstance(activation, (str, Activation)):
            names = [get_activation(activation, argument="activation")] * n_layers
        else:
            names = list(activation)
            if len(names) != n_layers:
                raise ValueError(
                    f"activation must be one name or {n_layers} names (one per layer); got {len(names)}: {names!r}."
                )
        self.activations: tuple[Activation, ...] = tuple(
            get_activation(name, argument="activation" if n_layers == 1 else f"activation[{i}]")
            for i, name in enumerate(names)
        )
        self.cost_function: Cost = get_cost(cost)
        allowed = self.cost_function.output_activations
        if allowed is not None and self.activations[-1].name not in allowed:
            raise ValueError(
                f"cost {self.cost_function.name!r} needs an output activation among {list(allowed)}; "
                f"the output layer uses {self.activations[-1].name!r}. "
                f"Use activation=[..., {allowed[0]!r}] or cost='half_sse'."
            )
        self.fused_output: bool = self.cost_function.fused_activation == self.activations[-1].name

        self._blocks: list[tuple[slice, tuple[int, int], slice]] = []
        offset = 0
        for fan_in, fan_out in zip(self.layer_sizes[:-1], self.layer_sizes[1:]):
            w = slice(offset, offset + fan_in * fan_out)
            b = slice(w.stop, w.stop + fan_out)
            self._blocks.append((w, (fan_in, fan_out), b))
            offset = b.stop
        self.n_params: int = offset
        self._widths = (self.n_params, self.layer_sizes[0], self.layer_sizes[-1])  # for check_params_and_data
        self._hash = hash(self._key())  # a network never changes: hash it once (dict keys, caches)

    # ------------------------------------------------------------------ description
    @property
    def n_layers(self) -> int:
        """Number of layers with weights (the input layer is not counted)."""
        return len(self.layer_sizes) - 1

    @property
    def n_inputs(self) -> int:
        return self.layer_sizes[0]

    @property
    def n_outputs(self) -> int:
        return self.layer_sizes[-1]

    @property
    def activation_names(self) -> tuple[str, ...]:
        return tuple(act.name for act in self.activations)

    @property
    def cost_name(self) -> str:
        return self.cost_function.name

    def layer_param_slices(self) -> list[tuple[slice, slice]]:
        """``(weights, biases)`` slices of the flat vector, one pair per layer."""
        return [(w, b) for w, _, b in self._blocks]

    def __repr__(self) -> str:
        acts = set(self.activation_names)
        act = repr(self.activation_names[0]) if len(acts) == 1 else repr(list(self.activation_names))
        return f"Network({list(self.layer_sizes)}, activation={act}, cost={self.cost_name!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Network) and self._key() == other._key()

    def __hash__(self) -> int:
        return self._hash

    def _key(self) -> tuple:
        return (self.layer_sizes, self.activation_names, self.cost_name)

    # ------------------------------------------------------------------ parameters
    def check_params(self, params: Any, argument: str = "params") -> Any:
        """Validate a parameter vector or stack and return it.

        Plain arrays must be ``(n_params,)`` or ``(R, n_params)`` and finite.  Other
        number types (dual numbers) only need a matching ``shape``.
        """
        if type(params) is np.ndarray and params.dtype.kind == "f" and params.ndim in (1, 2):
            if params.shape[-1] == self.n_params and _all_finite(params):
                return params  # already right: nothing to convert (the common case, checked by attributes)
        if not hasattr(params, "shape"):
            params = np.asarray(params, dtype=np.float64)
        shape = tuple(params.shape)
        if len(shape) not in (1, 2) or shape[-1] != self.n_params:
            raise ValueError(
                f"{argument} must have shape ({self.n_params},) or (R, {self.n_params}) for {self!r}; "
                f"got shape {shape}."
            )
        if isinstance(params, np.ndarray):
            if params.dtype.kind not in "fc":
                params = params.astype(np.float64)
            if not _all_finite(params):
                raise ValueError(f"{argument} holds non-finite values (nan or inf); they must all be finite.")
        return params

    def check_params_and_data(self, params: Any, X: Any, Y: Any) -> tuple[Any, np.ndarray, np.ndarray]:
        """:meth:`check_params`, then :meth:`check_data` of ``X`` and ``Y`` in the parameters' dtype.

        The same checks, messages and results as the two calls; arrays that are already
        right (a finite real float parameter array, finite 2-D data of its dtype and of the
        network's widths) are recognised by their attributes and returned as they are,
        with one finiteness test per array, the cost that matters on small networks.
        """
        if type(params) is np.ndarray and type(X) is np.ndarray and type(Y) is np.ndarray:
            # The widths the arrays must have, (n_params, n_inputs, n_outputs), against their shapes, in one
            # comparison of small tuples: (P, n_in, N, n_out) == (n_params, n_in, N, n_out).
            widths = self._widths
            X_shape, Y_shape = X.shape, Y.shape
            rows = X_shape[0] if len(X_shape) == 2 else -1
            right = (params.shape[-1:], X_shape, Y_shape) == ((widths[0],), (rows, widths[1]), (rows, widths[2]))
        else:
            right = False
        if right and params.ndim <= 2:
            dtype = params.dtype
            size = params.size + X.size + Y.size
            if size <= _SUM_OF_SQUARES_MAX_SIZE and dtype.char in "fd" and X.dtype == dtype and Y.dtype == dtype:
                # One finite total says every entry of the three arrays is finite (an inf or a nan makes any sum
                # of them inf or nan; a total that overflows only sends the arrays to the checks below, which
                # find which one is not finite).  A few dozen entries are summed as Python floats (no numpy
                # call per array); more as _all_finite's sums of squares (one BLAS dot per array).
                if size <= _PYTHON_SUM_MAX_SIZE:
                    total = sum(params.ravel().tolist()) + sum(X.ravel().tolist()) + sum(Y.ravel().tolist())
                else:
                    total = float(np.vdot(params, params)) + float(np.vdot(X, X)) + float(np.vdot(Y, Y))
                if math.isfinite(total):
                    return params, X, Y
        params = self.check_params(params)
        X, Y = self.check_data(X, Y, params)
        return params, X, Y

    def unpack(self, params: Any) -> list[tuple[Any, Any]]:
        """Split parameters into one ``(W, b)`` pair per layer.

        ``W`` has shape ``(fan_in, fan_out)`` and ``b`` ``(fan_out,)``, each with a
        leading R axis for a stack.  For arrays they are views: writing into them
        writes into ``params``.
        """
        if getattr(params, "ndim", None) == 1:  # one vector: plain slices (cheaper than the Ellipsis form)
            return [(params[w].reshape(shape), params[b]) for w, shape, b in self._blocks]
        lead = tuple(params.shape[:-1])
        return [(params[..., w].reshape(lead + shape), params[..., b]) for w, shape, b in self._blocks]

    def pack(self, layers: Sequence[tuple[Any, Any]]) -> np.ndarray:
        """Inverse of :meth:`unpack`: concatenate ``(W, b)`` pairs into flat parameters."""
        if len(layers) != self.n_layers:
            raise ValueError(f"layers must hold {self.n_layers} (W, b) pairs; got {len(layers)}.")
        pieces = []
        for i, ((W, b), (_, shape, _)) in enumerate(zip(layers, self._blocks)):
            W, b = np.asarray(W), np.asarray(b)
            if W.shape[-2:] != shape or b.shape[-1:] != shape[1:] or W.shape[:-2] != b.shape[:-1]:
                raise ValueError(
                    f"layers[{i}] must be W of shape (..., {shape[0]}, {shape[1]}) and b of shape (..., {shape[1]}); "
                    f"got {W.shape} and {b.shape}."
                )
            pieces += [W.reshape(W.shape[:-2] + (-1,)), b]
        return np.concatenate(pieces, axis=-1)

    def from_post(self, weights: Sequence[float], biases: Sequence[float], dtype: Any = np.float64) -> np.ndarray:
        """Flat parameters from the post's numbering (neuron by neuron, layer by layer)."""
        weights = np.asarray(weights, dtype=dtype)
        biases = np.asarray(biases, dtype=dtype)
        layers, w_at, b_at = [], 0, 0
        for _, (fan_in, fan_out), _ in self._blocks:
            W = weights[w_at : w_at + fan_in * fan_out].reshape(fan_out, fan_in).T
            layers.append((W, biases[b_at : b_at + fan_out]))
            w_at, b_at = w_at + fan_in * fan_out, b_at + fan_out
        if w_at != weights.size or b_at != biases.size:
            raise ValueError(
                f"{self!r} has {w_at} weights and {b_at} biases; got {weights.size} and {biases.size}."
            )
        return self.pack(layers)

    def init_params(self, rng: np.random.Generator, size: int | None = None, dtype: Any = "float64") -> np.ndarray:
        """Draw random parameters: Glorot-uniform weights and zero biases.

        Parameters
        ----------
        rng : numpy.random.Generator
            The only source of randomness.
        size : int, optional
            Number of networks R; returns ``(R, n_params)`` instead of ``(n_params,)``.
        dtype : {"float64", "float32"}

        Notes
        -----
        Weights are drawn from U(-l, l) with ``l = sqrt(6 / (fan_in + fan_out))``
        (Glorot and Bengio, 2010), which keeps the variance of the pre-activations
        roughly constant from layer to layer for sigmoid and tanh networks.
        """
        dtype = check_float_dtype("dtype", dtype)
        if not isinstance(rng, np.random.Generator):
            raise ValueError(f"rng must be a numpy.random.Generator; got {type(rng).__name__}.")
        lead = () if size is None else (check_positive_int("size", size),)
        params = np.zeros(lead + (self.n_params,), dtype=np.float64)
        for W, _ in self.unpack(params):
            limit = np.sqrt(6.0 / (W.shape[-2] + W.shape[-1]))
            W[...] = rng.uniform(-limit, limit, size=W.shape)
        return params.astype(dtype, copy=False)

    def init_params_for_seeds(self, seeds: Sequence[int], dtype: Any = "float64") -> np.ndarray:
        """A stack of random parameters, row ``r`` being ``init_params(default_rng(seeds[r]))``.

        Parameters
        ----------
        seeds : sequence of int
            One seed per row of the stack.
        dtype : {"float64", "float32"}

        Returns
        -------
        ndarray, shape (len(seeds), n_params)
            The same numbers, bit for bit, as one :meth:`init_params` call per seed with
            ``numpy.random.default_rng(seed)``.

        Notes
        -----
        The uniform draws consume one raw 64-bit word of each seed's PCG64 stream per
        weight, layer after layer.  The words of all seeds are computed at once
        (:func:`gradmethods.core.seeding.pcg64_words`: numpy's SeedSequence hashing and
        PCG64 steps as array arithmetic over the seeds, or one numpy generator per seed
        where that is faster: few seeds, many weights); the conversion to doubles
        (``(word >> 11) * 2**-53``, numpy's ``random()``) and the Glorot scaling
        (``low + (high - low) u``, numpy's ``uniform``) are one array operation over the
        whole stack.

        Examples
        --------
        >>> import numpy as np, gradmethods as gm
        >>> net = gm.Network([2, 2, 1])
        >>> stack = net.init_params_for_seeds([3, 4])
        >>> bool(np.array_equal(stack[1], net.init_params(np.random.default_rng(4))))
        True
        """
        from .seeding import pcg64_words, seed_array

        dtype = check_float_dtype("dtype", dtype)
        try:
            given = seed_array(seeds)
        except ValueError:
            raise ValueError(f"seeds must be a sequence of ints >= 0; got {seeds!r}.") from None
        n_weights = sum(shape[0] * shape[1] for _, shape, _ in self._blocks)
        words = pcg64_words(given, n_weights)
        uniform = (words >> np.uint64(11)) * (1.0 / 9007199254740992.0)
        params = np.zeros((len(given), self.n_params), dtype=np.float64)
        at = 0
        for w, (fan_in, fan_out), _ in self._blocks:
            limit = np.sqrt(6.0 / (fan_in + fan_out))
            params[:, w] = -limit + (limit - -limit) * uniform[:, at : at + fan_in * fan_out]
            at += fan_in * fan_out
        return params.astype(dtype, copy=False)

    # ------------------------------------------------------------------ evaluation
    def check_data(self, X: Any, Y: Any | None = None, params: Any = None) -> tuple[np.ndarray, np.ndarray | None]:
        """Validate training data and return it as arrays in the parameters' dtype.

        Parameters
        ----------
        X : array_like, shape (N, n_inputs)
        Y : array_like, shape (N, n_outputs), optional
        params : array, optional
            Checked parameters (see :meth:`check_params`); ``X`` and ``Y`` are converted
            to their real dtype (float32 parameters give float32 data).  Default float64.

        Raises
        ------
        ValueError
            If a shape does not fit the network or a value is not finite; the message
            names the array and the shape it must have.
        """
        dtype = getattr(params, "dtype", None)
        if not (isinstance(dtype, np.dtype) and dtype.kind == "f"):  # complex or none: its real dtype
            dtype = np.finfo(np.float64 if dtype is None else dtype).dtype
        if _is_checked(X, dtype, self.n_inputs) and (Y is None or _is_checked(Y, dtype, self.n_outputs, X.shape[0])):
            return X, Y  # already arrays of the right dtype, shape and finite: nothing to convert
        X = check_array("X", X, shape=(None, self.n_inputs), dtype=dtype)
        if Y is not None:
            Y = check_array("Y", Y, shape=(X.shape[0], self.n_outputs), dtype=dtype)
        return X, Y

    def layer_outputs(self, params: Any, X: Any) -> list[tuple[Any, Any]]:
        """Run the forward pass, keeping every layer's ``(z, a)``.

        This is the network's only forward pass: :meth:`forward`, :meth:`cost` and
        every gradient method call it.  It uses ``@``, ``+``, indexing and the
        activations' ufuncs only, so it is generic over the number type.

        Returns
        -------
        list of (z, a)
            One pair per layer, each ``(N, fan_out)`` or ``(R, N, fan_out)``.
        """
        params = self.check_params(params)
        X, _ = self.check_data(X, None, params)
        return self.trace(params, X)

    def trace(self, params: Any, X: Any) -> list[tuple[Any, Any]]:
        """The forward pass on inputs that are already checked: every layer's ``(z, a)``.

        The same computation as :meth:`layer_outputs` without validation, for the inner
        loops of gradient methods and trainers: check once with :meth:`check_params` and
        :meth:`check_data`, then call this as often as needed.  ``params`` may be a
        vector ``(P,)``, a stack ``(R, P)`` or any number type that supports ``@``,
        ``+``, indexing and the activations' ufuncs (dual or complex numbers); ``X``
        is ``(N, n_inputs)`` or broadcasts against the stack (``(R, N, n_inputs)``).
        """
        trace = []
        a = X
        one = getattr(params, "ndim", None) == 1  # one vector: its biases broadcast over the patterns as they are
        if one and type(params) is np.ndarray:  # plain slices of the vector, without unpack's list
            layers = ((params[w].reshape(shape), params[b]) for w, shape, b in self._blocks)
        else:
            layers = self.unpack(params)
        for (W, b), activation in zip(layers, self.activations):
            z = a @ W
            if type(z) is np.ndarray and z.dtype == b.dtype:  # a new array of the sum's shape and dtype: add in place
                z += b if one else b[..., None, :]
                a = activation.fn(z)  # what activation(z) computes on an array
            else:
                z = z + (b if one else b[..., None, :])
                a = activation(z)
            trace.append((z, a))
        return trace

    def forward(self, params: Any, X: Any) -> Any:
        """Outputs ``(N, n_outputs)``, or ``(R, N, n_outputs)`` for a stack of parameters."""
        return self.layer_outputs(params, X)[-1][1]

    def cost_from_outputs(self, z: Any, a: Any, Y: Any) -> Any:
        """Mean cost over patterns from the output layer's ``(z, a)``.

        Uses the cost's fused form (written in ``z``) when :attr:`fused_output` is true.
        """
        if self.fused_output:
            per_pattern = self.cost_function.per_pattern_from_z(z, Y)
        else:
            per_pattern = self.cost_function.per_pattern(a, Y)
        return _mean_over_patterns(per_pattern)

    def output_delta(self, z: Any, a: Any, Y: Any) -> Any:
        """``dC/dz`` of each pattern's cost at the output layer (not divided by N).

        ``a - y`` for cross entropy after a sigmoid (the fused form), otherwise
        ``dC/da * f'(z)``: the start of every reverse sweep.
        """
        if self.fused_output:
            return self.cost_function.grad_z(z, a, Y)
        return self.cost_function.grad_output(a, Y) * self.activations[-1].deriv(z, a)

    def cost_and_output_delta(self, z: Any, a: Any, Y: Any, *, stack_axis: bool = False) -> tuple[Any, Any]:
        """:meth:`cost_from_outputs` and :meth:`output_delta` divided by N, in one pass.

        The start of a reverse sweep: the mean cost and ``dC/dz`` of the mean cost at the
        output layer, the same numbers as ``cost_from_outputs(z, a, Y)`` and
        ``output_delta(z, a, Y) / N``, with the work the two share done once (a cost's
        ``per_pattern_and_grad``) and without temporary arrays the two would make.

        Parameters
        ----------
        z, a : arrays
            The output layer's ``(z, a)``: ``(N, n_outputs)`` or ``(..., N, n_outputs)``.
        Y : array, shape (N, n_outputs)
        stack_axis : bool, default False
            For one network (2-D ``z`` and ``a``): the cost as an array of shape ``(1,)``
            (the cost of a stack of one) instead of a scalar.

        Returns
        -------
        cost : scalar or ndarray
            Shape ``z.shape[:-2]`` (or ``(1,)``, see ``stack_axis``).
        delta : ndarray
            Shaped like ``z``; a new array, which the caller may overwrite.
        """
        cost_function = self.cost_function
        patterns = z.shape[-2]
        if self.fused_output:
            per_pattern = cost_function.per_pattern_from_z(z, Y)
            delta = cost_function.grad_z(z, a, Y) / patterns
        else:
            if cost_function.per_pattern_and_grad is not None:
                per_pattern, grad_output = cost_function.per_pattern_and_grad(a, Y)
            else:
                per_pattern, grad_output = cost_function.per_pattern(a, Y), cost_function.grad_output(a, Y)
            delta = grad_output * self.activations[-1].deriv(z, a)
            if type(delta) is np.ndarray:
                delta /= patterns  # the product is a new array: divide it where it is
            else:
                delta = delta / patterns
        if stack_axis and getattr(per_pattern, "ndim", None) == 1 and type(per_pattern) is np.ndarray:
            return np.add.reduce(per_pattern, axis=-1, keepdims=True) / patterns, delta
        return _mean_over_patterns(per_pattern), delta

    def cost(self, params: Any, X: Any, Y: Any) -> Any:
        """Mean over the N patterns of the per-pattern cost: a scalar, or ``(R,)`` for a stack."""
        params = self.check_params(params)
        X, Y = self.check_data(X, Y, params)
        z, a = self.trace(params, X)[-1]
        return self.cost_from_outputs(z, a, Y)

    def error(self, params: Any, X: Any, Y: Any) -> Any:
        """What the post prints as "error": the mean over patterns of ``|Y - output|``."""
        params = self.check_params(params)
        X, Y = self.check_data(X, Y, params)
        return error_from_outputs(self.trace(params, X)[-1][1], Y)


def error_from_outputs(outputs: Any, Y: Any) -> Any:
    """Mean over patterns of the Euclidean length of ``Y - outputs``."""
    diff = Y - outputs
    return _mean_over_patterns(np.sqrt(sum_last_axis(diff * diff)))


def _mean_over_patterns(values: Any) -> Any:
    """``values.mean(axis=-1)``, the same numbers (numpy's mean is this sum divided by the count), without
    the Python layer of ``ndarray.mean``, which costs more than the arithmetic on a few patterns."""
    if not isinstance(values, np.ndarray) or values.dtype.kind not in "fc":
        return values.mean(axis=-1)
    total = np.add.reduce(values, axis=-1)
    return total / values.shape[-1] if total.ndim else total.dtype.type(total / values.shape[-1])


#: Largest array (entries) whose finiteness is tested by its sum of squares (see :func:`_all_finite`).  Below
#: the size from which BLAS splits a dot product over its threads (OpenBLAS: above 10,000 entries): waking
#: them costs milliseconds on a busy machine, against microseconds for ``isfinite`` on such an array.
_SUM_OF_SQUARES_MAX_SIZE = 4096
#: Largest number of entries (parameters and data together) that :meth:`Network.check_params_and_data` tests
#: for finiteness by summing them as Python floats: below it that is cheaper than a BLAS dot per array
#: (the post's OR/AND call: 22 entries, 1.3 us against 2.6 us).
_PYTHON_SUM_MAX_SIZE = 96


def _all_finite(array: np.ndarray) -> bool:
    """Whether every entry of a numeric array is finite.

    For small float32 and float64 arrays, first the sum of squares ``vdot(x, x)`` (one
    BLAS call, no temporary array, no floating-point warnings): its terms are >= 0, so it
    is nan or inf if and only if some entry is, or the squares overflow (``|x|`` beyond
    about 1e154, or 1e19 in float32).  A finite sum answers; otherwise, and for larger
    arrays, ``isfinite`` decides, entry by entry.
    """
    if array.dtype.char in "fd" and array.size <= _SUM_OF_SQUARES_MAX_SIZE and math.isfinite(np.vdot(array, array)):
        return True
    return bool(np.isfinite(array).all())


def _is_checked(array: Any, dtype: np.dtype, width: int, rows: int | None = None) -> bool:
    """Whether ``array`` passes :meth:`Network.check_data` unchanged: a finite 2-D ndarray of ``dtype``."""
    return (
        type(array) is np.ndarray and array.dtype == dtype and array.ndim == 2 and array.shape[1] == width
        and (rows is None or array.shape[0] == rows) and _all_finite(array)
    )  # fmt: skip

