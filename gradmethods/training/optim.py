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
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np

from ..core.validation import check_positive_int

__all__ = ["Transform", "scale", "trace", "chain", "sgd", "momentum", "apply_updates", "select_runs", "Minibatches"]

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
    followed by ``scale(-lr)`` the step is ``-lr * v``.
    """
    if not (isinstance(decay, (int, float, np.floating)) and 0 <= decay < 1):
        raise ValueError(f"The 'momentum' parameter must be a float in [0, 1). Got {decay!r} instead.")

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


def sgd(lr: Any) -> Transform:
    """Plain gradient descent, the post's rule: ``params -= lr * grad``."""
    return scale(-np.asarray(lr, dtype=np.float64))


def momentum(lr: Any, beta: float = 0.9) -> Transform:
    """Gradient descent with heavy-ball momentum: ``v = beta v + g``, ``params -= lr * v``.

    ``beta = 0`` gives exactly :func:`sgd`.
    """
    return chain(trace(beta), scale(-np.asarray(lr, dtype=np.float64)))


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
        self.n_samples = check_positive_int("n_samples", n_samples)
        self.batch_size = check_positive_int("batch_size", batch_size)
        if self.batch_size > self.n_samples:
            raise ValueError(
                f"The 'batch_size' parameter must be an int in [1, {self.n_samples}] (the number of patterns). "
                f"Got {batch_size!r} instead."
            )
        if not isinstance(rng, np.random.Generator):
            raise ValueError(f"rng must be a numpy.random.Generator; got {type(rng).__name__}.")
        self.rng = rng
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
