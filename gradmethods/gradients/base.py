"""The gradient-provider contract: what a method implements, what it declares, what the base does.

A gradient method is a subclass of :class:`ProviderBase` that supplies two things:

* **arithmetic**: :meth:`~ProviderBase.compute_value_and_grad` and
  :meth:`~ProviderBase.compute_input_grad`, called with checked arrays and always with
  a stack of networks (``params`` of shape ``(R, P)``);
* **its cost**: :meth:`~ProviderBase.value_and_grad_work` and
  :meth:`~ProviderBase.input_grad_work`, the :class:`Work` of one call per network, as
  a function of the network, the stack size, the number of patterns and the
  provider's own settings.

The public :meth:`~ProviderBase.value_and_grad` and :meth:`~ProviderBase.input_grad`
are written once, here: they validate the input (shapes, finiteness, dtype,
:meth:`~ProviderBase.unsupported_reason`), call the arithmetic, add the declared work to
the counters and return a vector or a stack as given.  So every method is validated and
counted the same way, and a method's counts cannot drift from what it computes: the
conformance checks of :mod:`gradmethods.testing` hold the declaration to what the
arithmetic does.

The facts the rest of the package reads about a method live on its class:
``family``, ``exact``, ``stochastic``, ``tolerance`` and ``style`` (see :class:`ProviderBase`).

Randomness
----------
A *stochastic* provider (``stochastic = True``: the gradient estimators) draws random
directions.  It never owns a generator: every call takes ``rng=``, one
:class:`numpy.random.Generator` or one per network of the stack, and the base hands its
arithmetic a list of R generators, one per row (:meth:`ProviderBase.check_rng`).  Row r
draws only from its own generator, so a stack with one generator per row computes what
row-by-row calls with those generators compute; one generator for a whole stack is
drawn from row after row, like row-by-row calls in order.  Exact providers accept
``rng`` and ignore it.

Step number
-----------
A provider whose arithmetic depends on the step of the descent it serves (SPSA's
decaying perturbation ``c_k = c / (k + 1)^γ``) says so with ``uses_step = True`` (a
class attribute, or an instance attribute set from its settings).  Its calls then take
``step=``, the step number k of each network, one int or one per row, and its arithmetic
gets an ``(R,)`` integer array as the keyword ``steps`` (:meth:`ProviderBase.check_step`).
The descent loop passes the step only to such providers; every other provider accepts
``step`` and ignores it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields
from typing import Any, ClassVar, Protocol, runtime_checkable

import numpy as np

from ..core.network import Network
from ..core.registry import FAMILIES

__all__ = [
    "FAMILIES",
    "GradientProvider",
    "ProviderBase",
    "Work",
    "forward_multiply_adds",
    "backward_sweep_fpe",
    "dual_pass_fpe",
    "COMPLEX_PASS_FPE",
]

#: Forward-pass equivalents of one complex forward pass: a complex multiply-add is four
#: real multiplications and four additions, so every matrix product costs four real ones.
COMPLEX_PASS_FPE = 4.0


@dataclass(frozen=True)
class Work:
    """What one call of a gradient method costs, for one network of a stack.

    Attributes
    ----------
    nfev : int
        Cost evaluations on all N patterns, in the scipy sense (a numerical method's
        perturbed evaluations count one each; a dual pass carrying k tangents counts one).
    njev : int
        Gradients (or input gradients) returned.
    forward_passes : int
        Passes of a parameter vector (real, complex or dual) through the forward pass.
    backward_passes : int
        Reverse sweeps.
    fpe : float
        The call's arithmetic in *forward-pass equivalents*: multiples of one real
        forward pass of the same network on the same patterns (see
        :func:`forward_multiply_adds`).  The one unit in which every method's work is
        compared: a dual pass with k tangents, a complex pass and a backward sweep each
        cost what their operation counts say, not one "evaluation" each.
    """

    nfev: int
    njev: int
    forward_passes: int = 0
    backward_passes: int = 0
    fpe: float = 0.0

    def __post_init__(self) -> None:
        for field in fields(self):
            value = getattr(self, field.name)
            if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
                raise TypeError(f"Work.{field.name} must be a number. Got {value!r} instead.")
            if not math.isfinite(value) or value < 0:
                raise ValueError(f"Work.{field.name} must be finite and >= 0. Got {value!r} instead.")

    def as_dict(self) -> dict[str, float]:
        return {field.name: getattr(self, field.name) for field in fields(self)}


def forward_multiply_adds(net: Network) -> int:
    """Multiply-adds of one real forward pass per pattern: the unit of :attr:`Work.fpe`.

    Each layer costs ``fan_in * fan_out`` for ``a @ W`` and ``fan_out`` for ``+ b``.
    Elementwise activations are left out: they cost the same in every method's passes,
    relative to the matrix products, except where a method multiplies them (a dual
    pass's k tangents), which the factors of :func:`dual_pass_fpe` already count.
    """
    return sum(fan_in * fan_out + fan_out for fan_in, fan_out in zip(net.layer_sizes[:-1], net.layer_sizes[1:]))


def backward_sweep_fpe(net: Network, *, to_inputs: bool = False) -> float:
    """Forward-pass equivalents of one reverse sweep of backpropagation.

    Per layer, ``dC/dW = a_prev^T @ delta`` costs ``fan_in * fan_out`` and ``dC/db`` a
    sum of ``fan_out``; ``delta @ W^T`` (``fan_in * fan_out``) is needed for every layer
    but the first, and for the first too when the gradient with respect to the inputs
    is wanted (``to_inputs``).  For the post's 2-2-2 network this is 1.33; for a wide
    first layer (784-128-10) it approaches 1, since the first layer's ``delta @ W^T`` is
    skipped.  With the forward pass, backprop costs ``1 + backward_sweep_fpe``.
    """
    sizes = list(zip(net.layer_sizes[:-1], net.layer_sizes[1:]))
    weights = sum(fan_in * fan_out + fan_out for fan_in, fan_out in sizes)
    propagate = sum(fan_in * fan_out for index, (fan_in, fan_out) in enumerate(sizes) if index > 0 or to_inputs)
    return (weights + propagate) / forward_multiply_adds(net)


def dual_pass_fpe(net: Network, tangents: int, *, on: str = "params") -> float:
    """Forward-pass equivalents of one forward pass carrying ``tangents`` dual directions.

    A dual matrix product ``(a + a' ε) @ (W + W' ε)`` costs the value's product plus
    ``a' @ W`` and ``a @ W'`` for each of the k tangents.  Tangents on the parameters
    (``on="params"``): every ``W`` carries k tangents, and every layer's input but the
    first (the data) does, so the first layer costs ``1 + k`` products and the others
    ``1 + 2k``.  Tangents on the inputs (``on="inputs"``): no ``W`` carries a tangent,
    every layer's input does: ``1 + k`` products per layer.
    """
    if on not in ("params", "inputs"):
        raise ValueError(f"The 'on' parameter must be 'params' or 'inputs'. Got {on!r} instead.")
    total = 0.0
    for index, (fan_in, fan_out) in enumerate(zip(net.layer_sizes[:-1], net.layer_sizes[1:])):
        factor = 1 + tangents * (1 + (index > 0)) if on == "params" else 1 + tangents
        total += factor * (fan_in * fan_out + fan_out)
    return total / forward_multiply_adds(net)


@runtime_checkable
class GradientProvider(Protocol):
    """What gradient descent, the gradient check and the suites need from a method.

    ``params`` is one flat vector ``(P,)`` or a stack ``(R, P)``; ``X`` is
    ``(N, n_inputs)`` and ``Y`` is ``(N, n_outputs)``.  Work is counted per network: a
    call on a stack of R networks counts R of each counter (see :class:`Work`).
    :class:`ProviderBase` implements this protocol; a subclass of it is the way to add
    a method.
    """

    name: str
    nfev: int
    njev: int

    def value_and_grad(self, net: Any, params: Any, X: Any, Y: Any, rng: Any = None,
                       step: Any = None) -> tuple[Any, np.ndarray]:  # fmt: skip
        """Cost (scalar, or ``(R,)``) and its gradient (shape of ``params``)."""
        ...

    def input_grad(self, net: Any, params: Any, X: Any, Y: Any, rng: Any = None, step: Any = None) -> np.ndarray:
        """dCost/dX: shape ``(N, n_inputs)``, or ``(R, N, n_inputs)`` for a stack."""
        ...

    def counts(self) -> dict[str, float]:
        """The work counters (the fields of :class:`Work`)."""
        ...

    def reset_counts(self) -> None:
        """Set the work counters back to zero."""
        ...


class ProviderBase:
    """Base class of every gradient method: validation and counting, written once.

    A subclass implements :meth:`compute_value_and_grad` and :meth:`compute_input_grad`
    (the arithmetic, on checked arrays and a stack ``(R, P)``) and declares
    :meth:`value_and_grad_work` and :meth:`input_grad_work` (what one call costs per
    network).  It registers with :func:`gradmethods.register_provider`, which refuses a
    class that leaves any of the four out.

    Class attributes (the facts plots, checks, tests and suite validation read):

    family : str
        One of :data:`FAMILIES`.
    exact : bool
        Whether the gradient is exact up to rounding (backprop, dual numbers, the
        complex step), or an approximation (finite differences, estimators).
    stochastic : bool
        Whether the method draws random numbers (the estimators of family
        ``"stochastic"``).  A stochastic method's public calls require ``rng=`` and its
        arithmetic takes one more argument, ``rngs``, a list of R generators, one per
        row of the stack: ``compute_value_and_grad(net, params, X, Y, rngs)``.  For a
        stochastic method ``tolerance`` bounds the *bias* of the estimate (the mean of
        many estimates against the exact gradient), not one estimate's error; the
        checks of :mod:`gradmethods.testing` test it statistically.
    tolerance : float
        The largest error of the gradient against the exact one that the method
        promises in float64 on networks it supports, relative to the largest of
        ``|g_ref|_inf``, the size of the terms the gradient sums (near a fit, ``a - y``
        is much smaller than ``a`` and ``y``, and every float64 method rounds relative
        to the terms) and, for ``exact=False`` methods, ``|cost|`` (a difference of
        costs rounds relative to the cost).  On non-smooth activations (``relu``) a
        finite-difference entry whose step crosses a kink is exempt (see
        :meth:`step_radius`).  :func:`gradmethods.testing.check_provider` holds a
        method to it (see :mod:`gradmethods.testing.problems`).
    style : tuple of (color, marker, linestyle) or None
        How figures draw the method; ``None`` for a style derived from the name.
    parameters : dict
        The method's settings (constructor keywords) and the values each accepts, as
        constraints of :mod:`gradmethods.core.params`; ``gm.train`` and suite files check
        settings against it.  Empty: no settings.
    uses_step : bool
        Whether the arithmetic reads the step number of the descent (``step=`` of the
        public calls, the keyword ``steps`` of the arithmetic; see :meth:`check_step`).
        May be set per instance from the settings.  Default False.

    Counters, all per network (a call on a stack of R networks counts R times): the
    fields of :class:`Work`, ``nfev``, ``njev``, ``forward_passes``,
    ``backward_passes`` and ``fpe``.

    Examples
    --------
    >>> import numpy as np, gradmethods as gm
    >>> from gradmethods.gradients.base import ProviderBase, Work
    >>> class Doubling(ProviderBase):             # not registered: a sketch
    ...     family, exact, tolerance = "reverse_mode", True, 1e-12
    ...     backprop = gm.get_provider("backprop")
    ...     def compute_value_and_grad(self, net, params, X, Y):
    ...         return self.backprop.compute_value_and_grad(net, params, X, Y)
    ...     def compute_input_grad(self, net, params, X, Y):
    ...         return self.backprop.compute_input_grad(net, params, X, Y)
    ...     def value_and_grad_work(self, net, networks, patterns):
    ...         return Work(nfev=1, njev=1, forward_passes=1, backward_passes=1, fpe=3.0)
    ...     def input_grad_work(self, net, networks, patterns):
    ...         return self.value_and_grad_work(net, networks, patterns)
    >>> provider = Doubling()
    >>> cost, grad = provider.value_and_grad(gm.Network([2, 1]), np.zeros((5, 3)), [[0, 1]], [[1]])
    >>> provider.nfev, provider.fpe            # five networks, one call each
    (5, 15.0)
    """

    name: str = "provider"
    family: ClassVar[str | None] = None
    exact: ClassVar[bool] = False
    stochastic: ClassVar[bool] = False
    tolerance: ClassVar[float | None] = None
    style: ClassVar[tuple[str, str, str] | None] = None
    parameters: ClassVar[dict[str, list]] = {}
    uses_step: bool = False

    def __init__(self) -> None:
        self.reset_counts()

    # ------------------------------------------------------------------ what a method declares
    def unsupported_reason(self, net: Network) -> str | None:
        """Why this method cannot differentiate ``net``, or ``None`` if it can.

        The default supports every network; complex step refuses non-analytic
        activations here.  Suite validation asks before any run starts.
        """
        return None

    def supports(self, net: Network) -> bool:
        """Whether :meth:`unsupported_reason` is ``None``."""
        return self.unsupported_reason(net) is None

    def step_radius(self, dtype: Any = np.float64) -> float:
        """Largest relative perturbation of one variable the method evaluates (0: none).

        A finite-difference method evaluates the cost at ``w_j ± r max(1, |w_j|)``;
        where such a point lies across a kink of a non-smooth activation, its quotient
        measures the jump, not the derivative, and its declared ``tolerance`` does not
        apply to that entry.  :func:`gradmethods.testing.check_provider` uses this to
        exempt exactly those entries.
        """
        return 0.0

    def value_and_grad_work(self, net: Network, networks: int, patterns: int) -> Work:
        """The :class:`Work` of one :meth:`value_and_grad` call, per network of the stack."""
        raise NotImplementedError

    def input_grad_work(self, net: Network, networks: int, patterns: int) -> Work:
        """The :class:`Work` of one :meth:`input_grad` call, per network of the stack."""
        raise NotImplementedError

    def compute_value_and_grad(
        self, net: Network, params: np.ndarray, X: np.ndarray, Y: np.ndarray, *rngs: Any
    ) -> tuple[np.ndarray, np.ndarray]:
        """The arithmetic: costs ``(R,)`` and gradients ``(R, P)`` of a checked stack ``(R, P)``.

        A stochastic provider's takes a fifth argument, ``rngs``: a list of R
        generators, row r drawing from ``rngs[r]`` only.
        """
        raise NotImplementedError

    def compute_input_grad(self, net: Network, params: np.ndarray, X: np.ndarray, Y: np.ndarray, *rngs: Any
                           ) -> np.ndarray:  # fmt: skip
        """The arithmetic: ``dCost/dX`` ``(R, N, n_inputs)`` of a checked stack ``(R, P)`` (and ``rngs``)."""
        raise NotImplementedError

    # ------------------------------------------------------------------ written once, here
    def check_call(self, net: Network, params: Any, X: Any, Y: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray, bool]:
        """Validate one call: ``(stack (R, P), X, Y, whether params was one vector)``.

        Raises ValueError for a network the method does not support, parameters of the
        wrong shape, non-finite values, or data that does not fit the network.
        """
        if not isinstance(net, Network):
            raise TypeError(f"net must be a gradmethods.Network. Got {type(net).__name__} instead.")
        reason = self.unsupported_reason(net)
        if reason is not None:
            raise ValueError(reason)
        params, X, Y = net.check_params_and_data(params, X, Y)
        if params.ndim == 1:
            return params[None, :], X, Y, True
        return params, X, Y, False

    def _check_rng_and_step(self, rng: Any, step: Any, networks: int) -> tuple[Any, Any]:
        """:meth:`check_rng` and :meth:`check_step` of a call on ``networks`` networks; ``rng=None`` and
        ``step=None`` pass as None without the checks where the method ignores them."""
        rngs = None if rng is None and not self.stochastic else self.check_rng(rng, networks)
        steps = None if step is None and not self.uses_step else self.check_step(step, networks)
        return rngs, steps

    def check_rng(self, rng: Any, networks: int) -> list[np.random.Generator] | None:
        """Validate ``rng`` for a call on ``networks`` networks: the per-row generators, or ``None``.

        ``rng`` is one :class:`numpy.random.Generator` (every row draws from it, row
        after row) or a sequence of ``networks`` generators (row r draws from the r-th).
        A stochastic provider refuses ``rng=None`` with a ValueError; any provider
        refuses a wrong type (TypeError) or length (ValueError).  Exact providers get
        ``None`` back: they ignore the generators.
        """
        if rng is None:
            if self.stochastic:
                raise ValueError(
                    f"{self.name!r} is a stochastic estimator: it needs rng=, one numpy.random.Generator or one "
                    f"per network of the stack ({networks}), e.g. rng=numpy.random.default_rng(seed), so that "
                    "its random directions can be repeated."
                )
            return None
        if isinstance(rng, np.random.Generator):
            rngs = [rng] * networks
        elif isinstance(rng, (list, tuple)) and all(isinstance(item, np.random.Generator) for item in rng):
            if len(rng) != networks:
                raise ValueError(
                    f"rng must be one numpy.random.Generator or one per network of the stack: {networks}; "
                    f"got {len(rng)}."
                )
            rngs = list(rng)
        else:
            raise TypeError(
                "rng must be a numpy.random.Generator (numpy.random.default_rng(seed)) or a list of them, one per "
                f"network of the stack. Got {type(rng).__name__} instead."
            )
        return rngs if self.stochastic else None

    def check_step(self, step: Any, networks: int) -> np.ndarray | None:
        """Validate ``step`` for a call on ``networks`` networks: an ``(R,)`` int array, or ``None``.

        ``step`` is the step number k (>= 0) of the descent, one int for every row or a
        sequence of ``networks`` ints, one per row (rows of a stack may be at different
        steps).  A provider with ``uses_step`` refuses ``step=None`` with a ValueError;
        any provider refuses a wrong type (TypeError), a negative step or a wrong length
        (ValueError).  Providers without ``uses_step`` get ``None`` back: they ignore it.
        """
        if step is None:
            if self.uses_step:
                raise ValueError(
                    f"{self.name!r} needs step=, the step number k of the descent (one int >= 0, or one per network "
                    f"of the stack: {networks}), because its settings depend on the step (a decaying perturbation); "
                    "gradient descent passes it."
                )
            return None
        values = np.asarray(step)
        if values.dtype == bool or not np.issubdtype(values.dtype, np.integer) or values.ndim > 1:
            raise TypeError(f"step must be an int >= 0 or a sequence of them, one per network of the stack. "
                            f"Got {step!r} instead.")  # fmt: skip
        if values.ndim == 1 and values.shape[0] != networks:
            raise ValueError(
                f"step must be one int or one per network of the stack: {networks}; got {values.shape[0]}."
            )
        if (values < 0).any():
            raise ValueError(f"step must be >= 0 (the first step is 0). Got {step!r} instead.")
        return np.broadcast_to(values.astype(np.int64), (networks,)).copy() if self.uses_step else None

    def value_and_grad(self, net: Network, params: Any, X: Any, Y: Any, rng: Any = None,
                       step: Any = None) -> tuple[Any, np.ndarray]:  # fmt: skip
        """Cost and its gradient with respect to the parameters.

        Parameters
        ----------
        net : Network
        params : array_like, shape (P,) or (R, P)
            One parameter vector or a stack of R; float32 stays float32.
        X : array_like, shape (N, n_inputs)
        Y : array_like, shape (N, n_outputs)
        rng : numpy.random.Generator or sequence of R of them, optional
            The random stream of a stochastic provider (required there, see
            :meth:`check_rng`); ignored by exact ones.
        step : int or sequence of R int, optional
            The step number of the descent, for a provider with ``uses_step`` (required
            there, see :meth:`check_step`); ignored by the others.

        Returns
        -------
        cost : scalar or ndarray (R,)
            The mean cost over the N patterns.
        grad : ndarray, shape of ``params``
        """
        stack, X, Y, single = self.check_call(net, params, X, Y)
        rngs, steps = self._check_rng_and_step(rng, step, stack.shape[0])
        cost, grad = self.value_and_grad_prechecked(net, stack, X, Y, rngs, steps)
        return (cost[0], grad[0]) if single else (cost, grad)

    def value_and_grad_prechecked(
        self, net: Network, stack: np.ndarray, X: np.ndarray, Y: np.ndarray, rngs: list | None = None,
        steps: np.ndarray | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`value_and_grad` on inputs already checked: the arithmetic and the count, no validation.

        For the inner loop of a trainer that makes many calls on the same network and
        data: check once with :meth:`check_call` (and :meth:`check_rng`), then call this
        every step.  The work is counted exactly as :meth:`value_and_grad` counts it.

        Parameters
        ----------
        net : Network
        stack : ndarray, shape (R, P)
            A stack as :meth:`check_call` returns it (finite, a real or complex float dtype).
        X, Y : ndarray
            As :meth:`check_call` returns them (the stack's real dtype).
        rngs : list of R numpy.random.Generator, optional
            As :meth:`check_rng` returns them (required by a stochastic provider, else ``None``).
        steps : ndarray of int, shape (R,), optional
            As :meth:`check_step` returns them (required by a provider with ``uses_step``, else ``None``).

        Returns
        -------
        cost : ndarray, shape (R,)
        grad : ndarray, shape (R, P)

        Notes
        -----
        Nothing is checked here.  The shapes and dtypes of a training loop do not change
        from step to step, and the parameters' finiteness is what the loop watches itself
        (a non-finite cost, gradient or update ends the run).  Anything else goes through
        :meth:`value_and_grad`.
        """
        if steps is not None:
            cost, grad = self.compute_value_and_grad(net, stack, X, Y, *(() if rngs is None else (rngs,)), steps=steps)
        elif rngs is None:
            cost, grad = self.compute_value_and_grad(net, stack, X, Y)
        else:
            cost, grad = self.compute_value_and_grad(net, stack, X, Y, rngs)
        self._count("value_and_grad", net, stack.shape[0], X.shape[0])
        return cost, grad

    def input_grad(self, net: Network, params: Any, X: Any, Y: Any, rng: Any = None, step: Any = None) -> np.ndarray:
        """Gradient of the mean cost with respect to the inputs: the shape of ``X``, or
        ``(R, N, n_inputs)`` for a stack of parameters (``rng`` and ``step`` as in :meth:`value_and_grad`)."""
        stack, X, Y, single = self.check_call(net, params, X, Y)
        rngs, steps = self._check_rng_and_step(rng, step, stack.shape[0])
        grad = self.compute_input_grad(net, stack, X, Y, *(() if rngs is None else (rngs,)),
                                       **({} if steps is None else {"steps": steps}))  # fmt: skip
        self._count("input_grad", net, stack.shape[0], X.shape[0])
        return grad[0] if single else grad

    def declared_work(self, call: str, net: Network, networks: int, patterns: int) -> Work:
        """The :class:`Work` the method declares for one ``call`` (``"value_and_grad"`` or
        ``"input_grad"``), per network.

        The declaration is a function of the network, the stack size, the number of
        patterns and the provider's settings, which are fixed when it is built; it is
        computed once per combination and remembered by the instance, so that a training
        loop of many small steps does not pay for it every step.
        """
        declared = self.__dict__.setdefault("_declared", {})  # also when a subclass skipped __init__
        key = (call, net, networks, patterns)
        work = declared.get(key)
        if work is None:
            work = getattr(self, f"{call}_work")(net, networks, patterns)
            if not isinstance(work, Work):
                raise TypeError(
                    f"{type(self).__name__}.{call}_work returned {work!r}; it must return a "
                    "gradmethods.gradients.base.Work."
                )
            declared[key] = work
        return work

    def _count(self, call: str, net: Network, networks: int, patterns: int) -> None:
        """Add the declared work of one ``call`` on ``networks`` networks to the counters.

        The same sums as ``add_work(declared_work(...), networks)``, with the declaration's
        fields read once per (call, network, stack size, patterns) and kept.
        """
        try:
            counted = self._counted
        except AttributeError:  # a subclass that skipped __init__
            counted = self.__dict__.setdefault("_counted", {})
        key = (call, net, networks, patterns)
        fields = counted.get(key)
        if fields is None:
            work = self.declared_work(call, net, networks, patterns)
            fields = counted[key] = (int(work.nfev) * networks, int(work.njev) * networks,
                                     int(work.forward_passes) * networks, int(work.backward_passes) * networks,
                                     float(work.fpe) * networks)  # fmt: skip
        nfev, njev, forward_passes, backward_passes, fpe = fields
        self.nfev += nfev
        self.njev += njev
        self.forward_passes += forward_passes
        self.backward_passes += backward_passes
        self.fpe += fpe

    # ------------------------------------------------------------------ counters
    def reset_counts(self) -> None:
        """Set every counter back to zero."""
        self.nfev = 0
        self.njev = 0
        self.forward_passes = 0
        self.backward_passes = 0
        self.fpe = 0.0

    def counts(self) -> dict[str, float]:
        """The work counters as a dict (the fields of :class:`Work`)."""
        return {
            "nfev": self.nfev,
            "njev": self.njev,
            "forward_passes": self.forward_passes,
            "backward_passes": self.backward_passes,
            "fpe": self.fpe,
        }

    def add_work(self, work: Work, networks: int = 1) -> None:
        """Add ``networks`` times ``work`` to the counters."""
        if not isinstance(work, Work):
            raise TypeError(
                f"{type(self).__name__} declared its work as {work!r}; "
                "value_and_grad_work / input_grad_work must return a gradmethods.gradients.Work."
            )
        self.nfev += int(work.nfev) * networks
        self.njev += int(work.njev) * networks
        self.forward_passes += int(work.forward_passes) * networks
        self.backward_passes += int(work.backward_passes) * networks
        self.fpe += float(work.fpe) * networks

    def __repr__(self) -> str:
        return f"{type(self).__name__}({', '.join(f'{k}={v:g}' for k, v in self.counts().items())})"


#: What a registered provider must define (not inherit from :class:`ProviderBase`).
REQUIRED_METHODS = ("compute_value_and_grad", "compute_input_grad", "value_and_grad_work", "input_grad_work")
#: Template methods a subclass must not replace (they validate and count).
TEMPLATE_METHODS = ("value_and_grad", "value_and_grad_prechecked", "input_grad", "check_call", "check_rng",
                    "check_step", "add_work", "declared_work", "_count")


def contract_problems(cls: type) -> list[str]:
    """What ``cls`` lacks to be a registrable gradient method; empty when it is complete.

    Each entry names the missing piece and what to add.
    """
    problems = []
    if not (isinstance(cls, type) and issubclass(cls, ProviderBase)):
        return [f"{cls!r} is not a subclass of gradmethods.gradients.base.ProviderBase; subclass it"]
    for name in REQUIRED_METHODS:
        if getattr(cls, name) is getattr(ProviderBase, name):
            problems.append(f"{cls.__name__} does not define {name}() (see ProviderBase.{name})")
    for name in TEMPLATE_METHODS:
        if getattr(cls, name) is not getattr(ProviderBase, name):
            problems.append(
                f"{cls.__name__} overrides {name}(), which validates and counts; implement "
                f"compute_{name}() instead and declare {name}_work()"
            )
    if cls.family not in FAMILIES:
        problems.append(f"{cls.__name__}.family must be one of {list(FAMILIES)}; got {cls.family!r}")
    if not isinstance(cls.exact, bool):
        problems.append(f"{cls.__name__}.exact must be True or False; got {cls.exact!r}")
    if not isinstance(cls.stochastic, bool):
        problems.append(f"{cls.__name__}.stochastic must be True or False; got {cls.stochastic!r}")
    elif cls.stochastic and cls.exact is True:
        problems.append(f"{cls.__name__} is stochastic and exact; an estimate from random directions is not exact")
    tolerance = cls.tolerance
    if isinstance(tolerance, bool) or not isinstance(tolerance, (int, float)) or not 0 < tolerance < 1:
        problems.append(
            f"{cls.__name__}.tolerance must be a float in (0, 1): the relative gradient error it promises "
            f"in float64; got {tolerance!r}"
        )
    style = cls.style
    well_formed = isinstance(style, tuple) and len(style) == 3 and all(isinstance(part, str) for part in style)
    if style is not None and not well_formed:
        problems.append(f"{cls.__name__}.style must be None or a (color, marker, linestyle) tuple; got {style!r}")
    return problems
