"""Update rules for gradient descent: small pieces that compose, and minibatch sampling.

A :class:`Transform` turns a gradient into an update, optax-style: ``init(params)``
builds its state and ``update(grad, state) -> (updates, state)`` applies it; the
new parameters are ``params + updates``.  Each piece keeps its state in a small
:class:`~typing.NamedTuple`; every array in a state has the leading shape of ``params``
(``()`` for one vector, ``(R,)`` for a stack of R runs), so one transform trains a whole
stack and :func:`select_runs` keeps some runs of a stack and drops the rest.

The pieces:

* :func:`scale` (a factor, one per run if given), :func:`scale_by_schedule` (a
  learning-rate schedule of each run's own step count);
* :func:`trace` (heavy-ball and Nesterov momentum), :func:`scale_by_adam`,
  :func:`scale_by_rms` (RMSprop), :func:`scale_by_rss` (Adagrad);
* :func:`clip_by_global_norm` (per run), :func:`clip` (by value), :func:`freeze`
  (zero the update of chosen parameters);
* :func:`chain`, which applies several in turn.

The rules gradient descent uses are chains of them: :func:`sgd` (``-lr * g``, the
post's), :func:`momentum`, :func:`nesterov`, :func:`adam`, :func:`rmsprop` and
:func:`adagrad`.  A new rule is one small function that chains pieces and is
registered with :func:`register_optimizer`, so that suite files can name it
(``optimizer = { name = "adam", lr = 0.01 }``, see :func:`optimizer_from_spec`).

Learning-rate schedules (:func:`constant_schedule`, :func:`exponential_decay`,
:func:`cosine_decay`, :func:`inverse_time_decay`) are functions of the per-run step
count (0 at the first update); any rule's ``lr`` may be one.

:class:`Minibatches` draws minibatches of pattern indices from a
``numpy.random.Generator``: a new random permutation each epoch, cut into
consecutive batches.

The rules' settings are declared once, as data (:data:`RULE_PARAMETERS` and each
factory's ``parameters``); :func:`gradmethods.train` and suite files read the same
declarations.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np

from ..core.params import (
    Boolean,
    Constraint,
    InstanceOf,
    Integral,
    Interval,
    InvalidParameterError,
    ListOf,
    Options,
    ParameterError,
    Real,
    parameter_problems,
    short_repr,
    validate,
)
from ..core.registry import Registry

__all__ = [
    "RULE_PARAMETERS",
    "Transform",
    "Schedule",
    "scale",
    "scale_by_schedule",
    "scale_by_learning_rate",
    "trace",
    "scale_by_adam",
    "scale_by_rms",
    "scale_by_rss",
    "clip_by_global_norm",
    "clip",
    "freeze",
    "chain",
    "sgd",
    "momentum",
    "nesterov",
    "adam",
    "rmsprop",
    "adagrad",
    "constant_schedule",
    "exponential_decay",
    "cosine_decay",
    "inverse_time_decay",
    "polynomial_decay",
    "register_optimizer",
    "register_schedule",
    "optimizer_names",
    "schedule_names",
    "optimizer_from_spec",
    "optimizer_problems",
    "OptimizerSpec",
    "apply_updates",
    "select_runs",
    "Minibatches",
]

_LEARNING_RATE = Interval(Real, 0, None, closed="neither")
_DECAY = Interval(Real, 0, 1, closed="left")
_EPS = Interval(Real, 0, None, closed="neither")

#: The settings of the update rules and of minibatch sampling, and the values each accepts
#: (see :mod:`gradmethods.core.params`): ``lr`` one positive number or one per run of a stack,
#: ``momentum`` the heavy-ball decay in [0, 1) (0 is plain gradient descent), ``batch_size``
#: the patterns per step.
RULE_PARAMETERS: dict[str, list] = {
    "lr": [_LEARNING_RATE, ListOf(_LEARNING_RATE, min_length=1, noun="learning rate")],
    "momentum": [_DECAY],
    "batch_size": [Interval(Integral, 1, None)],
}

State = Any  # a NamedTuple of ndarrays (or of states), each with the params' leading shape


class Transform(NamedTuple):
    """A gradient transformation: ``init(params) -> state``, ``update(grad, state) -> (updates, state)``.

    ``spec`` is the rule's description as a suite file writes it (``{"name": "adam",
    "lr": 0.01, ...}``), or None for a transform built by hand; :func:`optimizer_from_spec`
    rebuilds the rule from it, and a run records it in its settings.
    """

    init: Callable[[np.ndarray], State]
    update: Callable[[np.ndarray, State], tuple[np.ndarray, State]]
    spec: dict | None = None


# --------------------------------------------------------------------------------------------- states


class ScaleState(NamedTuple):
    factor: np.ndarray  #: shape lead + (1,): one factor per run


class ScheduleState(NamedTuple):
    count: np.ndarray  #: shape lead: each run's number of updates so far


class TraceState(NamedTuple):
    velocity: np.ndarray  #: shape of params
    decay: np.ndarray  #: 0-d, shared


class AdamState(NamedTuple):
    count: np.ndarray  #: shape lead
    mu: np.ndarray  #: first moment, shape of params
    nu: np.ndarray  #: second moment, shape of params


class RmsState(NamedTuple):
    nu: np.ndarray  #: running mean of the squared gradient, shape of params


class RssState(NamedTuple):
    sum_of_squares: np.ndarray  #: accumulated squared gradient, shape of params


class EmptyState(NamedTuple):
    pass


class ChainState(NamedTuple):
    states: tuple  #: one state per transform of the chain


def _per_run(value: Any, params: np.ndarray, argument: str) -> np.ndarray:
    """``value`` (a scalar or one per run) as an array of shape ``params.shape[:-1] + (1,)``."""
    lead = params.shape[:-1]
    array = np.asarray(value, dtype=params.dtype)
    if array.ndim > 1 or (array.ndim == 1 and array.shape != lead):
        raise ValueError(f"{argument} must be one number or one per run (shape {lead}); got shape {array.shape}.")
    return np.array(np.broadcast_to(array.reshape(array.shape + (1,)), lead + (1,)))


# --------------------------------------------------------------------------------------------- pieces


def scale(factor: Any) -> Transform:
    """Multiply the gradient by ``factor`` (a number, or one per run of a stack)."""

    def init(params: np.ndarray) -> State:
        return ScaleState(_per_run(factor, params, "factor"))

    def update(grad: np.ndarray, state: State) -> tuple[np.ndarray, State]:
        return state.factor * grad, state

    return Transform(init, update)


def scale_by_schedule(schedule: Callable[[np.ndarray], Any]) -> Transform:
    """Multiply the gradient by ``schedule(count)``, ``count`` being each run's number of updates so far.

    ``schedule`` maps an integer array of step counts (one per run) to the factors; the
    first update has ``count = 0``.
    """

    def init(params: np.ndarray) -> State:
        return ScheduleState(np.zeros(params.shape[:-1], dtype=np.int64))

    def update(grad: np.ndarray, state: State) -> tuple[np.ndarray, State]:
        factor = np.asarray(schedule(state.count), dtype=np.float64).astype(grad.dtype)
        return factor[..., None] * grad, ScheduleState(state.count + 1)

    return Transform(init, update)


def trace(decay: float, nesterov: bool = False) -> Transform:
    """Momentum: ``v = decay * v + g`` (``v`` starts at 0); the update is ``v``, or ``g + decay * v`` for Nesterov.

    This is the convention of PyTorch's ``SGD(momentum=..., nesterov=...)`` and optax's
    ``trace``; followed by ``scale(-lr)`` the step is ``-lr * v``.  ``decay`` is gradient
    descent's ``momentum`` (:data:`RULE_PARAMETERS`), and messages name it so.

    Notes
    -----
    The Nesterov update ``g + decay * v`` is Sutskever et al.'s look-ahead
    ``v' = decay v' - lr grad(theta + decay v')``, ``theta += v'`` written at the
    look-ahead point ``params = theta + decay v'`` (with ``v' = -lr v``): the gradient is
    taken where momentum is about to carry the parameters.

    Examples
    --------
    >>> import numpy as np
    >>> rule = trace(0.5)
    >>> state = rule.init(np.zeros(2))
    >>> velocity, state = rule.update(np.ones(2), state)
    >>> rule.update(np.ones(2), state)[0]
    array([1.5, 1.5])
    """
    decay = validate("momentum", decay, RULE_PARAMETERS["momentum"])

    def init(params: np.ndarray) -> State:
        return TraceState(np.zeros_like(params), np.asarray(decay, dtype=params.dtype))

    def update(grad: np.ndarray, state: State) -> tuple[np.ndarray, State]:
        velocity = state.decay * state.velocity + grad
        step = grad + state.decay * velocity if nesterov else velocity
        return step, TraceState(velocity, state.decay)

    return Transform(init, update)


def _bias_correction(decay: float, count: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """``1 - decay ** count`` per run, as a column to broadcast over the parameters."""
    return (1.0 - np.power(float(decay), count.astype(np.float64))).astype(dtype)[..., None]


def scale_by_adam(b1: float = 0.9, b2: float = 0.999, eps: float = 1e-8) -> Transform:
    """Adam's direction: ``m_hat / (sqrt(v_hat) + eps)`` with bias-corrected moments.

    ``m = b1 m + (1 - b1) g``, ``v = b2 v + (1 - b2) g^2``, ``m_hat = m / (1 - b1^t)``,
    ``v_hat = v / (1 - b2^t)``, ``t`` the run's update number (1 at the first update);
    Kingma and Ba (2015), Algorithm 1.
    """
    b1 = validate("b1", b1, [_DECAY])
    b2 = validate("b2", b2, [_DECAY])
    eps = validate("eps", eps, [_EPS])

    def init(params: np.ndarray) -> State:
        return AdamState(np.zeros(params.shape[:-1], dtype=np.int64), np.zeros_like(params), np.zeros_like(params))

    def update(grad: np.ndarray, state: State) -> tuple[np.ndarray, State]:
        dtype = grad.dtype
        count = state.count + 1
        mu = dtype.type(b1) * state.mu + dtype.type(1 - b1) * grad
        nu = dtype.type(b2) * state.nu + dtype.type(1 - b2) * grad * grad
        mu_hat = mu / _bias_correction(b1, count, dtype)
        nu_hat = nu / _bias_correction(b2, count, dtype)
        return mu_hat / (np.sqrt(nu_hat) + dtype.type(eps)), AdamState(count, mu, nu)

    return Transform(init, update)


def scale_by_rms(decay: float = 0.9, eps: float = 1e-8) -> Transform:
    """RMSprop's direction: ``g / (sqrt(v) + eps)`` with ``v = decay v + (1 - decay) g^2`` (``v`` starts at 0).

    Tieleman and Hinton's rule, in PyTorch's convention (``eps`` outside the root).
    """
    decay = validate("decay", decay, [_DECAY])
    eps = validate("eps", eps, [_EPS])

    def init(params: np.ndarray) -> State:
        return RmsState(np.zeros_like(params))

    def update(grad: np.ndarray, state: State) -> tuple[np.ndarray, State]:
        dtype = grad.dtype
        nu = dtype.type(decay) * state.nu + dtype.type(1 - decay) * grad * grad
        return grad / (np.sqrt(nu) + dtype.type(eps)), RmsState(nu)

    return Transform(init, update)


def scale_by_rss(eps: float = 1e-10) -> Transform:
    """Adagrad's direction: ``g / (sqrt(s) + eps)`` with ``s`` the sum of all squared gradients so far.

    Duchi, Hazan and Singer (2011), in PyTorch's convention (``s`` starts at 0, ``eps``
    outside the root).
    """
    eps = validate("eps", eps, [_EPS])

    def init(params: np.ndarray) -> State:
        return RssState(np.zeros_like(params))

    def update(grad: np.ndarray, state: State) -> tuple[np.ndarray, State]:
        total = state.sum_of_squares + grad * grad
        return grad / (np.sqrt(total) + grad.dtype.type(eps)), RssState(total)

    return Transform(init, update)


def clip_by_global_norm(max_norm: float) -> Transform:
    """Scale each run's gradient down to Euclidean norm ``max_norm`` where it is longer.

    The norm is over all of one run's parameters (the last axis), so the runs of a
    stack are clipped independently.
    """
    max_norm = validate("clip_norm", max_norm, [_EPS])

    def update(grad: np.ndarray, state: State) -> tuple[np.ndarray, State]:
        norm = np.sqrt(np.sum(grad * grad, axis=-1, keepdims=True))
        factor = np.where(norm > max_norm, grad.dtype.type(max_norm) / np.where(norm > 0, norm, 1), 1)
        return (grad * factor.astype(grad.dtype)), state

    return Transform(lambda params: EmptyState(), update)


def clip(max_delta: float) -> Transform:
    """Clip every component of the gradient to ``[-max_delta, max_delta]``."""
    max_delta = validate("clip_value", max_delta, [_EPS])

    def update(grad: np.ndarray, state: State) -> tuple[np.ndarray, State]:
        return np.clip(grad, -max_delta, max_delta).astype(grad.dtype, copy=False), state

    return Transform(lambda params: EmptyState(), update)


def freeze(mask: Any) -> Transform:
    """Zero the update of the parameters where ``mask`` is True: they keep their values.

    Parameters
    ----------
    mask : array_like of bool, shape (P,)
        True for a frozen parameter, in the network's flat order (see
        :func:`gradmethods.training.trainers.gradient_descent.freeze_mask` for
        ``"biases"`` / ``"weights"``).

    Examples
    --------
    >>> import numpy as np
    >>> rule = chain(freeze([True, False]), sgd(0.5))
    >>> rule.update(np.array([2.0, 2.0]), rule.init(np.zeros(2)))[0]
    array([-0., -1.])
    """
    frozen = np.asarray(mask)
    if frozen.dtype != bool or frozen.ndim != 1:
        raise InvalidParameterError("freeze", mask, f"must be a boolean mask of shape (P,). Got {short_repr(mask)} "
                                                    "instead.")  # fmt: skip

    def init(params: np.ndarray) -> State:
        if params.shape[-1] != frozen.size:
            raise ValueError(f"The 'freeze' mask has {frozen.size} entries; the network has {params.shape[-1]} "
                             "parameters.")  # fmt: skip
        return EmptyState()

    def update(grad: np.ndarray, state: State) -> tuple[np.ndarray, State]:
        return np.where(frozen, grad.dtype.type(0), grad), state

    return Transform(init, update)


def chain(*transforms: Transform) -> Transform:
    """Apply ``transforms`` one after the other; the state holds their states in order."""

    def init(params: np.ndarray) -> State:
        return ChainState(tuple(t.init(params) for t in transforms))

    def update(grad: np.ndarray, state: State) -> tuple[np.ndarray, State]:
        new_state = []
        for t, s in zip(transforms, state.states):
            grad, s = t.update(grad, s)
            new_state.append(s)
        return grad, ChainState(tuple(new_state))

    return Transform(init, update)


# --------------------------------------------------------------------------------------------- schedules


@dataclass(frozen=True)
class Schedule:
    """A learning rate that depends on the run's step count: ``schedule(count) -> lr`` (count 0 first).

    ``spec`` describes it as a suite file writes it (``{"name": "cosine", ...}``).
    """

    function: Callable[[np.ndarray], np.ndarray] = field(repr=False)
    spec: dict

    def __call__(self, count: Any) -> np.ndarray:
        return self.function(np.asarray(count, dtype=np.float64))


#: Name -> schedule factory; each factory declares its settings in ``parameters``.
SCHEDULES: Registry[Callable[..., Schedule]] = Registry("schedule")


def register_schedule(name: str, parameters: dict[str, list]) -> Callable:
    """Register a schedule factory under ``name`` with its declared ``parameters``."""

    def decorator(factory: Callable[..., Schedule]) -> Callable[..., Schedule]:
        factory.parameters = parameters  # type: ignore[attr-defined]
        return SCHEDULES.register(name, factory)

    return decorator


def schedule_names() -> list[str]:
    """The registered learning-rate schedules."""
    return SCHEDULES.names()


_STEPS = Interval(Integral, 1, None)


def _schedule(name: str, function: Callable, **settings: Any) -> Schedule:
    declared = SCHEDULES.get(name).parameters
    for key, value in settings.items():
        settings[key] = validate(key, value, declared[key])
    return Schedule(lambda count: function(count, **settings), {"name": name, **settings})


@register_schedule("constant", {"init_value": [_LEARNING_RATE]})
def constant_schedule(init_value: float) -> Schedule:
    """``lr(t) = init_value``."""
    return _schedule("constant", lambda t, init_value: np.full_like(t, init_value), init_value=init_value)


@register_schedule("exponential", {"init_value": [_LEARNING_RATE], "decay_rate": [Interval(Real, 0, 1,
                   closed="right")], "transition_steps": [_STEPS], "staircase": [Boolean()]})  # fmt: skip
def exponential_decay(init_value: float, decay_rate: float, transition_steps: int = 1,
                      staircase: bool = False) -> Schedule:  # fmt: skip
    """``lr(t) = init_value * decay_rate ** (t / transition_steps)``; with ``staircase``, a step decay.

    ``staircase=True`` uses ``floor(t / transition_steps)``: the rate drops by ``decay_rate``
    every ``transition_steps`` updates (the step decay of Keras' ``ExponentialDecay``).
    """

    def function(t, init_value, decay_rate, transition_steps, staircase):
        exponent = t / transition_steps
        return init_value * decay_rate ** (np.floor(exponent) if staircase else exponent)

    return _schedule("exponential", function, init_value=init_value, decay_rate=decay_rate,
                     transition_steps=transition_steps, staircase=bool(staircase))  # fmt: skip


@register_schedule("cosine", {"init_value": [_LEARNING_RATE], "decay_steps": [_STEPS],
                              "alpha": [Interval(Real, 0, 1)]})  # fmt: skip
def cosine_decay(init_value: float, decay_steps: int, alpha: float = 0.0) -> Schedule:
    """Loshchilov and Hutter's cosine decay without restarts.

    ``lr(t) = init_value * ((1 - alpha) * (1 + cos(pi * min(t, T) / T)) / 2 + alpha)``,
    ``T = decay_steps``: from ``init_value`` down to ``alpha * init_value`` at step ``T``,
    constant after.
    """

    def function(t, init_value, decay_steps, alpha):
        cosine = 0.5 * (1 + np.cos(math.pi * np.minimum(t, decay_steps) / decay_steps))
        return init_value * ((1 - alpha) * cosine + alpha)

    return _schedule("cosine", function, init_value=init_value, decay_steps=decay_steps, alpha=alpha)


@register_schedule("inverse_time", {"init_value": [_LEARNING_RATE], "decay_rate": [Interval(Real, 0, None)],
                                    "transition_steps": [_STEPS]})  # fmt: skip
def inverse_time_decay(init_value: float, decay_rate: float, transition_steps: int = 1) -> Schedule:
    """``lr(t) = init_value / (1 + decay_rate * t / transition_steps)`` (the classic ``1/t`` decay)."""

    def function(t, init_value, decay_rate, transition_steps):
        return init_value / (1 + decay_rate * t / transition_steps)

    return _schedule("inverse_time", function, init_value=init_value, decay_rate=decay_rate,
                     transition_steps=transition_steps)  # fmt: skip


@register_schedule("polynomial", {"init_value": [_LEARNING_RATE], "power": [Interval(Real, 0, None, closed="left")],
                                  "offset": [Interval(Real, 0, None)]})  # fmt: skip
def polynomial_decay(init_value: float, power: float = 0.602, offset: float = 0.0) -> Schedule:
    """``lr(t) = init_value / (t + 1 + offset) ** power``: the step size ``a_k = a / (k + 1 + A)^α`` of SPSA.

    Spall (1998) recommends ``power = 0.602`` (α) and ``offset`` (A) about a tenth of the
    number of steps; with ``power = 1`` and ``offset = 0`` it is the classic ``a / (t + 1)``.
    """

    def function(t, init_value, power, offset):
        return init_value / (t + 1 + offset) ** power

    return _schedule("polynomial", function, init_value=init_value, power=power, offset=offset)


# --------------------------------------------------------------------------------------------- rules


class _LearningRate(Constraint):
    """A schedule (:class:`Schedule`): what a rule's ``lr`` accepts besides numbers."""

    def accepts_type(self, value: Any) -> bool:
        return isinstance(value, Schedule)

    def is_satisfied_by(self, value: Any) -> bool:
        return isinstance(value, Schedule)

    def describe(self) -> str:
        return "a schedule (gm.optim.cosine_decay(...), ...)"

    def describe_plural(self) -> str:
        return "schedules"


#: What any rule's ``lr`` accepts: a positive number, one per run of a stack, or a schedule.
LR_CONSTRAINTS = [*RULE_PARAMETERS["lr"], _LearningRate()]


def scale_by_learning_rate(lr: Any) -> Transform:
    """``-lr * g``: a fixed learning rate (one, or one per run of a stack) or a schedule of the step count.

    The last piece of every rule (a descent step); ``lr`` is checked against :data:`LR_CONSTRAINTS`.
    """
    lr = validate("lr", lr, LR_CONSTRAINTS)
    if isinstance(lr, Schedule):
        return scale_by_schedule(lambda count: -lr(count))
    return scale(-np.asarray(lr, dtype=np.float64))


def _spec_value(value: Any) -> Any:
    """A rule's setting as its spec records it: a schedule as its own spec."""
    if isinstance(value, Schedule):
        return dict(value.spec)
    if isinstance(value, np.ndarray):
        return value.tolist()
    return value


#: Name -> rule factory (``factory(lr, **settings) -> Transform``); each declares ``parameters``.
OPTIMIZERS: Registry[Callable[..., Transform]] = Registry("optimizer")


def register_optimizer(name: str, parameters: dict[str, list]) -> Callable:
    """Register an update rule's factory under ``name`` with its declared ``parameters``.

    The factory takes ``lr`` first (declared for it: a number, one per run, or a
    schedule) and the settings of ``parameters`` as keywords, and returns a chain of
    pieces.  The returned rule carries its ``spec`` (name and settings), so that a run
    records the rule it trained with and a suite file can name it.

    Examples
    --------
    >>> @register_optimizer("sign_sgd", {})
    ... def sign_sgd(lr):
    ...     return chain(Transform(lambda params: EmptyState(), lambda g, s: (np.sign(g), s)),
    ...                  scale_by_learning_rate(lr))
    >>> rule = sign_sgd(0.1)
    >>> rule.spec, rule.update(np.array([3.0, -0.5]), rule.init(np.zeros(2)))[0]
    ({'name': 'sign_sgd', 'lr': 0.1}, array([-0.1,  0.1]))
    >>> _ = OPTIMIZERS.unregister("sign_sgd")
    """
    declared = {"lr": LR_CONSTRAINTS, **parameters}

    def decorator(factory: Callable[..., Transform]) -> Callable[..., Transform]:
        import functools
        import inspect

        signature = inspect.signature(factory)

        @functools.wraps(factory)
        def build(*args: Any, **kwargs: Any) -> Transform:
            bound = signature.bind(*args, **kwargs)
            bound.apply_defaults()
            settings = {key: validate(key, value, declared[key]) if key in declared else value
                        for key, value in bound.arguments.items()}  # fmt: skip
            rule = factory(**settings)
            spec = {"name": name, **{key: _spec_value(value) for key, value in settings.items()}}
            return Transform(rule.init, rule.update, spec)

        build.parameters = declared  # type: ignore[attr-defined]
        OPTIMIZERS.register(name, build)
        return build

    return decorator


def optimizer_names() -> list[str]:
    """The registered update rules (:func:`register_optimizer`)."""
    return OPTIMIZERS.names()


@register_optimizer("sgd", {})
def sgd(lr: Any) -> Transform:
    """Plain gradient descent, the post's rule: ``params -= lr * grad``.

    ``lr`` is one positive number, one per run of a stack (:data:`RULE_PARAMETERS`), or a
    schedule.

    Examples
    --------
    >>> import numpy as np
    >>> rule = sgd(0.5)
    >>> rule.update(np.array([2.0, -4.0]), rule.init(np.zeros(2)))[0]
    array([-1.,  2.])
    """
    return scale_by_learning_rate(lr)


@register_optimizer("momentum", {"beta": RULE_PARAMETERS["momentum"]})
def momentum(lr: Any, beta: float = 0.9) -> Transform:
    """Gradient descent with heavy-ball momentum: ``v = beta v + g``, ``params -= lr * v``.

    ``beta = 0`` gives exactly :func:`sgd`; it is gradient descent's ``momentum`` in
    [0, 1) (:data:`RULE_PARAMETERS`).

    Examples
    --------
    >>> import numpy as np
    >>> rule = momentum(0.5, 0.5)
    >>> updates, state = rule.update(np.ones(1), rule.init(np.zeros(1)))
    >>> rule.update(np.ones(1), state)[0]
    array([-0.75])
    """
    return chain(trace(beta), scale_by_learning_rate(lr))


@register_optimizer("nesterov", {"beta": RULE_PARAMETERS["momentum"]})
def nesterov(lr: Any, beta: float = 0.9) -> Transform:
    """Nesterov momentum: ``v = beta v + g``, ``params -= lr * (g + beta v)`` (see :func:`trace`).

    Examples
    --------
    >>> import numpy as np
    >>> rule = nesterov(0.5, 0.5)
    >>> rule.update(np.ones(1), rule.init(np.zeros(1)))[0]     # -0.5 * (1 + 0.5 * 1)
    array([-0.75])
    """
    return chain(trace(beta, nesterov=True), scale_by_learning_rate(lr))


@register_optimizer("adam", {"b1": [_DECAY], "b2": [_DECAY], "eps": [_EPS]})
def adam(lr: Any, b1: float = 0.9, b2: float = 0.999, eps: float = 1e-8) -> Transform:
    """Adam (Kingma and Ba, 2015): ``params -= lr * m_hat / (sqrt(v_hat) + eps)``; see :func:`scale_by_adam`.

    Examples
    --------
    >>> import numpy as np
    >>> rule = adam(0.1)
    >>> rule.update(np.array([3.0, -0.2]), rule.init(np.zeros(2)))[0].round(6)   # first step: -lr * sign(g)
    array([-0.1,  0.1])
    """
    return chain(scale_by_adam(b1, b2, eps), scale_by_learning_rate(lr))


@register_optimizer("rmsprop", {"decay": [_DECAY], "eps": [_EPS]})
def rmsprop(lr: Any, decay: float = 0.9, eps: float = 1e-8) -> Transform:
    """RMSprop: ``v = decay v + (1 - decay) g^2``, ``params -= lr * g / (sqrt(v) + eps)``."""
    return chain(scale_by_rms(decay, eps), scale_by_learning_rate(lr))


@register_optimizer("adagrad", {"eps": [_EPS]})
def adagrad(lr: Any, eps: float = 1e-10) -> Transform:
    """Adagrad: ``s += g^2``, ``params -= lr * g / (sqrt(s) + eps)``."""
    return chain(scale_by_rss(eps), scale_by_learning_rate(lr))


# --------------------------------------------------------------------------------------------- specs

#: Settings a spec may give besides its rule's: clipping applied to the gradient first.
SPEC_CLIPPING: dict[str, list] = {"clip_norm": [_EPS], "clip_value": [_EPS]}


def _prefixed(problem: ParameterError, prefix: str) -> ParameterError:
    parameter = f"{prefix}.{problem.parameter}"
    reason = problem.reason
    message = str(problem) if str(problem) != f"The {problem.parameter!r} parameter {reason}" else None
    return type(problem)(parameter, problem.value, reason, message)


def optimizer_problems(spec: Any, parameter: str = "optimizer") -> list[ParameterError]:
    """Every problem of an optimizer spec, each naming its setting (``"optimizer.b1"``), without raising.

    A spec is a rule's name (``"adam"``) or a table ``{"name": "adam", "lr": 0.01, ...}``
    whose keys are the rule's settings (see :func:`register_optimizer`) and
    ``clip_norm`` / ``clip_value``; ``lr`` may itself be a schedule's table
    ``{"name": "cosine", "init_value": 0.1, "decay_steps": 1000}``.

    Examples
    --------
    >>> [p.parameter for p in optimizer_problems({"name": "adam", "lr": 0.01, "b1": -0.1})]
    ['optimizer.b1']
    >>> print(optimizer_problems({"name": "adamw"})[0])
    The 'optimizer.name' parameter must be a str among ['adagrad', 'adam', 'momentum', 'nesterov', 'rmsprop', \
'sgd']. Got 'adamw' instead.
    """
    if isinstance(spec, str):
        spec = {"name": spec}
    if not isinstance(spec, Mapping):
        return [InvalidParameterError(parameter, spec, f"must be an optimizer name among {sorted(optimizer_names())} "
                                                       f"or a table with 'name'. Got {short_repr(spec)} "
                                                       f"({type(spec).__name__}) instead.")]  # fmt: skip
    name = spec.get("name")
    problems = parameter_problems({"name": name}, {"name": [Options(*optimizer_names())]})
    if problems:
        return [_prefixed(p, parameter) for p in problems]
    declared = {**OPTIMIZERS.get(name).parameters, **SPEC_CLIPPING}
    settings = {key: value for key, value in spec.items() if key != "name"}
    lr = settings.pop("lr", None)
    problems = parameter_problems(settings, declared, owner=f"optimizer {name!r}")
    if isinstance(lr, Mapping):
        problems += _schedule_problems(lr, "lr")
    elif lr is not None:
        problems += parameter_problems({"lr": lr}, {"lr": LR_CONSTRAINTS[:2]})
    return [_prefixed(p, parameter) for p in problems]


def _schedule_problems(spec: Mapping, parameter: str) -> list[ParameterError]:
    name = spec.get("name")
    problems = parameter_problems({"name": name}, {"name": [Options(*schedule_names())]})
    if problems:
        return [_prefixed(p, parameter) for p in problems]
    declared = SCHEDULES.get(name).parameters
    settings = {key: value for key, value in spec.items() if key != "name"}
    problems = parameter_problems(settings, declared, owner=f"schedule {name!r}")
    missing = [key for key in _required(SCHEDULES.get(name)) if key not in settings]
    problems += [InvalidParameterError(key, None, f"is required by schedule {name!r}.") for key in missing]
    return [_prefixed(p, parameter) for p in problems]


def _required(factory: Callable) -> list[str]:
    import inspect

    return [n for n, p in inspect.signature(factory).parameters.items() if p.default is inspect.Parameter.empty]


def optimizer_from_spec(spec: Any, *, lr: Any = None) -> Transform:
    """Build the update rule a spec describes (see :func:`optimizer_problems`); raise its first problem.

    Parameters
    ----------
    spec : str, dict or Transform
        A rule's name, a table ``{"name": ..., ...}``, or a rule already built (returned as is).
    lr : float, optional
        The learning rate when the spec gives none (``gm.train`` passes the task's).

    Examples
    --------
    >>> rule = optimizer_from_spec({"name": "adam", "lr": 0.01, "clip_norm": 1.0})
    >>> rule.spec
    {'name': 'adam', 'lr': 0.01, 'b1': 0.9, 'b2': 0.999, 'eps': 1e-08, 'clip_norm': 1.0}
    >>> optimizer_from_spec({"name": "adam", "lr": 0.01, "b1": -0.5})
    Traceback (most recent call last):
    ...
    gradmethods.core.params.ParameterError: The 'optimizer.b1' parameter must be a float in the range [0, 1). \
Got -0.5 instead.
    """
    if isinstance(spec, Transform):
        return spec
    problems = optimizer_problems(spec)
    if problems:
        raise problems[0]
    spec = {"name": spec} if isinstance(spec, str) else dict(spec)
    name = spec.pop("name")
    clipping = {key: spec.pop(key) for key in SPEC_CLIPPING if key in spec}
    rate = spec.pop("lr", lr)
    if rate is None:
        raise InvalidParameterError("optimizer.lr", None, f"is required: optimizer {name!r} needs a learning rate.")
    if isinstance(rate, Mapping):
        schedule = dict(rate)
        rate = SCHEDULES.get(schedule.pop("name"))(**schedule)
    rule = OPTIMIZERS.get(name)(rate, **spec)
    if not clipping:
        return rule
    pieces = [clip_by_global_norm(clipping["clip_norm"])] if "clip_norm" in clipping else []
    pieces += [clip(clipping["clip_value"])] if "clip_value" in clipping else []
    clipped = chain(*pieces, rule)
    return Transform(clipped.init, clipped.update, {**rule.spec, **clipping})


class OptimizerSpec(Constraint):
    """An update rule: a :class:`Transform`, a registered rule's name, or a spec table (``gm.train(optimizer=)``)."""

    def accepts_type(self, value: Any) -> bool:
        return isinstance(value, (Transform, str, Mapping))

    def is_satisfied_by(self, value: Any) -> bool:
        return isinstance(value, Transform) or (self.accepts_type(value) and not optimizer_problems(value))

    def describe(self) -> str:
        return f"an optimizer (gm.optim.adam(0.01), a name among {sorted(optimizer_names())} or a table)"

    def describe_plural(self) -> str:
        return "optimizers"


# --------------------------------------------------------------------------------------------- helpers


def apply_updates(params: np.ndarray, updates: np.ndarray) -> np.ndarray:
    """``params + updates`` (a new array)."""
    return params + updates


def select_runs(state: State, keep: np.ndarray) -> State:
    """Keep the runs ``keep`` (an index or boolean mask over the run axis) of a stacked state."""
    if isinstance(state, tuple):
        kept = [select_runs(s, keep) for s in state]
        return type(state)(*kept) if hasattr(state, "_fields") else tuple(kept)
    if isinstance(state, np.ndarray) and state.ndim >= 1:
        return state[keep]
    return state  # shared hyperparameters (0-d arrays)


class Minibatches:
    """Minibatches of pattern indices: each epoch a fresh permutation, cut in order.

    Parameters
    ----------
    n_samples : int
        Number of patterns N.
    batch_size : int
        Patterns per batch, ``1 <= batch_size <= N``.  When it does not divide N the
        last batch of an epoch is smaller (every pattern is seen once per epoch).
    rng : numpy.random.Generator
        The only source of randomness: the same generator state gives the same batches.

    Examples
    --------
    >>> import numpy as np
    >>> batches = Minibatches(5, 2, np.random.default_rng(0))
    >>> sorted(np.concatenate([batches.next() for _ in range(3)]).tolist())
    [0, 1, 2, 3, 4]
    """

    def __init__(self, n_samples: int, batch_size: int, rng: np.random.Generator) -> None:
        self.n_samples = validate("n_samples", n_samples, [Interval(Integral, 1, None)])
        validate("batch_size", batch_size, RULE_PARAMETERS["batch_size"])
        self.batch_size = validate("batch_size", batch_size, [Interval(Integral, 1, self.n_samples)],
                                   note=f"at most the number of patterns, {self.n_samples}")  # fmt: skip
        self.rng = validate("rng", rng, [InstanceOf(np.random.Generator, "a numpy.random.Generator")])
        self._order = np.empty(0, dtype=np.intp)
        self._at = 0

    def next(self) -> np.ndarray:
        """Indices of the next batch."""
        if self._at >= self._order.size:
            self._order = self.rng.permutation(self.n_samples)
            self._at = 0
        batch = self._order[self._at : self._at + self.batch_size]
        self._at += batch.size
        return batch
