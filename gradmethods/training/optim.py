"""Update rules for gradient descent: small pieces that compose, and minibatch sampling.

A :class:`Transform` turns a gradient into an update, optax-style: ``init(params)``
builds its state and ``update(grad, state) -> (updates, state)`` applies it; the
new parameters are ``params + updates``.  The pieces are

* :func:`scale` -- multiply by a factor (one per run of a stack, if given);
* :func:`trace` -- heavy-ball momentum, ``v = decay * v + g``;
* :func:`chain` -- apply several transforms in turn;

and the rules gradient descent uses are built from them: :func:`sgd` (``-lr * g``,
what the post does) and :func:`momentum` (``v = beta v + g``, step ``-lr v``).

Every array in a state has the leading shape of ``params`` (``()`` for one vector,
``(R,)`` for a stack), so :func:`select_runs` can keep some runs of a stack and
drop the rest; the per-run learning rates live in the state for that reason.

:class:`Minibatches` draws minibatches of pattern indices from a
``numpy.random.Generator``: a new random permutation each epoch, cut into
consecutive batches.

The rules' settings are declared once, in :data:`RULE_PARAMETERS`; :func:`gradmethods.train`
and suite files read the same declarations.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np

from ..core.params import InstanceOf, Integral, Interval, ListOf, Real, validate

__all__ = [
    "RULE_PARAMETERS",
    "Transform",
    "scale",
    "trace",
    "chain",
    "sgd",
    "momentum",
    "apply_updates",
    "select_runs",
    "Minibatches",
]

_LEARNING_RATE = Interval(Real, 0, None, closed="neither")

#: The settings of the update rules and of minibatch sampling, and the values each accepts
#: (see :mod:`gradmethods.core.params`): ``lr`` one positive number or one per run of a stack,
#: ``momentum`` the heavy-ball decay in [0, 1) (0 is plain gradient descent), ``batch_size``
#: the patterns per step.
RULE_PARAMETERS: dict[str, list] = {
    "lr": [_LEARNING_RATE, ListOf(_LEARNING_RATE, min_length=1, noun="learning rate")],
    "momentum": [Interval(Real, 0, 1, closed="left")],
    "batch_size": [Interval(Integral, 1, None)],
}

State = Any  # a tuple of ndarrays (and nested tuples), each with the params' leading shape


class Transform(NamedTuple):
    """A gradient transformation: ``init(params) -> state``, ``update(grad, state) -> (updates, state)``."""

    init: Callable[[np.ndarray], State]
    update: Callable[[np.ndarray, State], tuple[np.ndarray, State]]


def _per_run(value: Any, params: np.ndarray, argument: str) -> np.ndarray:
    """``value`` (a scalar or one per run) as an array of shape ``params.shape[:-1] + (1,)``."""
    lead = params.shape[:-1]
    array = np.asarray(value, dtype=params.dtype)
    if array.ndim > 1 or (array.ndim == 1 and array.shape != lead):
        raise ValueError(f"{argument} must be one number or one per run (shape {lead}); got shape {array.shape}.")
    return np.array(np.broadcast_to(array.reshape(array.shape + (1,)), lead + (1,)))


def scale(factor: Any) -> Transform:
    """Multiply the gradient by ``factor`` (a number, or one per run of a stack)."""

    def init(params: np.ndarray) -> State:
        return (_per_run(factor, params, "factor"),)

    def update(grad: np.ndarray, state: State) -> tuple[np.ndarray, State]:
        return state[0] * grad, state

    return Transform(init, update)


def trace(decay: float) -> Transform:
    """Heavy-ball momentum: ``v = decay * v + g``, returned as the update (``v`` starts at 0).

    This is the convention of PyTorch's ``SGD(momentum=...)`` and optax's ``trace``;
    followed by ``scale(-lr)`` the step is ``-lr * v``.  ``decay`` is gradient descent's
    ``momentum`` (:data:`RULE_PARAMETERS`), and messages name it so.

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
        return (np.zeros_like(params), np.asarray(decay, dtype=params.dtype))

    def update(grad: np.ndarray, state: State) -> tuple[np.ndarray, State]:
        velocity = state[1] * state[0] + grad
        return velocity, (velocity, state[1])

    return Transform(init, update)


def chain(*transforms: Transform) -> Transform:
    """Apply ``transforms`` one after the other; the state is the tuple of their states."""

    def init(params: np.ndarray) -> State:
        return tuple(t.init(params) for t in transforms)

    def update(grad: np.ndarray, state: State) -> tuple[np.ndarray, State]:
        new_state = []
        for t, s in zip(transforms, state):
            grad, s = t.update(grad, s)
            new_state.append(s)
        return grad, tuple(new_state)

    return Transform(init, update)


def _learning_rates(lr: Any) -> np.ndarray:
    return np.asarray(validate("lr", lr, RULE_PARAMETERS["lr"]), dtype=np.float64)


def sgd(lr: Any) -> Transform:
    """Plain gradient descent, the post's rule: ``params -= lr * grad``.

    ``lr`` is one positive number, or one per run of a stack (:data:`RULE_PARAMETERS`).

    Examples
    --------
    >>> import numpy as np
    >>> rule = sgd(0.5)
    >>> rule.update(np.array([2.0, -4.0]), rule.init(np.zeros(2)))[0]
    array([-1.,  2.])
    """
    return scale(-_learning_rates(lr))


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
    return chain(trace(beta), scale(-_learning_rates(lr)))


def apply_updates(params: np.ndarray, updates: np.ndarray) -> np.ndarray:
    """``params + updates`` (a new array)."""
    return params + updates


def select_runs(state: State, keep: np.ndarray) -> State:
    """Keep the runs ``keep`` (an index or boolean mask over the run axis) of a stacked state."""
    if isinstance(state, tuple):
        return tuple(select_runs(s, keep) for s in state)
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
