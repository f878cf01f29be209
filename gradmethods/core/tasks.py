"""Tasks: a data set, a network shape and the post's training settings.

The post's worked examples are tasks with the post's own initial weights, learning
rate and iteration count; ``xor`` is added as the classic problem plain gradient
descent can get stuck on.  ``gm.get_task(name, **overrides)`` returns a task, with
any field replaced (for example ``layer_sizes=(2, 3, 1)``).
"""

from __future__ import annotations

import dataclasses
import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .network import Network
from .registry import Registry
from .validation import check_choice, check_float_dtype

__all__ = ["Task", "TASKS", "get_task", "tasks", "register_task"]


@dataclass(frozen=True)
class Task:
    """A training problem.

    Attributes
    ----------
    name : str
    X, Y : ndarray
        Inputs ``(N, n_inputs)`` and targets ``(N, n_outputs)``.
    layer_sizes : tuple of int
    activation : str or tuple of str
    cost : str
    lr : float
        Learning rate (the post's where it gives one).
    iterations : int
        Iteration budget (the post's where it gives one).
    post_weights, post_biases : tuple of float or None
        The post's initial weights and biases, in the post's numbering (neuron by
        neuron); ``None`` where the post starts from nothing in particular.
    target : float or None
        Default error target used by experiment suites (``None``: train the whole budget).
    description : str
    """

    name: str
    X: np.ndarray
    Y: np.ndarray
    layer_sizes: tuple[int, ...]
    activation: str | tuple[str, ...] = "sigmoid"
    cost: str = "half_sse"
    lr: float = 0.5
    iterations: int = 10_000
    post_weights: tuple[float, ...] | None = None
    post_biases: tuple[float, ...] | None = None
    target: float | None = None
    description: str = ""
    metadata: dict = field(default_factory=dict, compare=False)

    def network(self) -> Network:
        """The task's network."""
        return Network(self.layer_sizes, activation=self.activation, cost=self.cost)

    @property
    def has_post_init(self) -> bool:
        return self.post_weights is not None

    def post_params(self, dtype: Any = "float64") -> np.ndarray:
        """The post's initial weights and biases as a flat parameter vector."""
        if not self.has_post_init:
            raise ValueError(f"task {self.name!r} has no initial weights from the post; use init='random'.")
        dtype = check_float_dtype("dtype", dtype)
        return self.network().from_post(self.post_weights, self.post_biases, dtype=dtype)

    def random_params(self, rng: np.random.Generator, size: int | None = None, dtype: Any = "float64") -> np.ndarray:
        """Random initial parameters drawn from ``rng`` (see :meth:`Network.init_params`)."""
        return self.network().init_params(rng, size=size, dtype=dtype)

    def data(self, dtype: Any = "float64") -> tuple[np.ndarray, np.ndarray]:
        """``(X, Y)`` in the given dtype."""
        dtype = check_float_dtype("dtype", dtype)
        return self.X.astype(dtype), self.Y.astype(dtype)


def _load_data_set_tasks() -> None:
    # The data-set tasks live in datasets.py, which imports this module; importing it
    # registers them (their data, and scikit-learn, are loaded only when a task is built).
    importlib.import_module(f"{__package__}.datasets")


#: Every task, by name: zero-argument functions that build the :class:`Task`.
TASKS: Registry[Callable[[], Task]] = Registry("task", load=_load_data_set_tasks)


def register_task(name: str) -> Callable[[Callable[[], Task]], Callable[[], Task]]:
    """Decorator registering a zero-argument function that builds a :class:`Task`.

    The function runs each time the task is looked up, so a task whose data are
    expensive to load costs nothing until it is used.

    Examples
    --------
    >>> import numpy as np, gradmethods as gm
    >>> from gradmethods.core.tasks import TASKS, Task
    >>> @gm.register_task("identity_demo")
    ... def _identity_demo():
    ...     return Task("identity_demo", np.eye(2), np.eye(2), (2, 2), activation="identity")
    >>> gm.get_task("identity_demo").layer_sizes
    (2, 2)
    >>> TASKS.unregister("identity_demo") is _identity_demo
    True
    """

    def decorator(factory: Callable[[], Task]) -> Callable[[], Task]:
        if not callable(factory):
            raise TypeError(f"register_task({name!r}) decorates a function that builds a Task. Got {factory!r}.")
        return TASKS.register(name, factory)

    return decorator


def tasks() -> list[str]:
    """Names of all registered tasks, in registration order.

    Examples
    --------
    >>> import gradmethods as gm
    >>> gm.tasks()[:3]
    ['example1', 'not', 'example3']
    """
    return TASKS.names()


def get_task(name: str | Task, **overrides: Any) -> Task:
    """Look a task up by name, optionally replacing some of its fields.

    Changing ``layer_sizes`` drops the post's initial weights (they no longer fit).

    Examples
    --------
    >>> import gradmethods as gm
    >>> task = gm.get_task("example4")
    >>> task.layer_sizes, task.lr, task.iterations
    ((2, 2, 2), 0.5, 5000)
    >>> gm.get_task("xor", layer_sizes=(2, 3, 1)).layer_sizes
    (2, 3, 1)
    """
    if isinstance(name, Task):
        task = name
    else:
        task = TASKS.get(name)()
    if not overrides:
        return task
    fields = {f.name for f in dataclasses.fields(Task)} - {"name", "X", "Y"}
    for key in overrides:
        check_choice("task override", key, fields)
    if "layer_sizes" in overrides:
        overrides["layer_sizes"] = tuple(overrides["layer_sizes"])
        if overrides["layer_sizes"] != task.layer_sizes:
            overrides.setdefault("post_weights", None)
            overrides.setdefault("post_biases", None)
    task = dataclasses.replace(task, **overrides)
    task.network()  # validates layer sizes, activation and cost together
    return task


def _array(rows) -> np.ndarray:
    return np.array(rows, dtype=np.float64)


@register_task("example1")
def _example1() -> Task:
    return Task(
        "example1", _array([[1]]), _array([[0]]), (1, 1),
        lr=0.5, iterations=10_000, post_weights=(0.3,), post_biases=(0.5,),
        description="Post example 1: one neuron learns input 1 -> output 0.",
    )  # fmt: skip


@register_task("not")
def _not() -> Task:
    return Task(
        "not", _array([[1], [0]]), _array([[0], [1]]), (1, 1),
        lr=0.5, iterations=100_000, post_weights=(0.3,), post_biases=(0.5,), target=0.05,
        description="Post example 2: one neuron learns a NOT gate (two patterns).",
    )  # fmt: skip


@register_task("example3")
def _example3() -> Task:
    return Task(
        "example3", _array([[0, 1]]), _array([[1, 0]]), (2, 2),
        lr=0.5, iterations=20_000, post_weights=(0.2, 0.8, 0.6, 0.4), post_biases=(0.5, 0.1),
        description="Post example 3, one pattern: two neurons learn 01 -> 10.",
    )  # fmt: skip


@register_task("or_and")
def _or_and() -> Task:
    return Task(
        "or_and", _array([[0, 0], [0, 1], [1, 0], [1, 1]]), _array([[0, 0], [1, 0], [1, 0], [1, 1]]), (2, 2),
        lr=0.5, iterations=520_000, post_weights=(0.2, 0.8, 0.6, 0.4), post_biases=(0.5, 0.1), target=0.05,
        description="Post example 3, four patterns: output 0 is OR, output 1 is AND.",
    )  # fmt: skip


@register_task("example4")
def _example4() -> Task:
    return Task(
        "example4", _array([[0.05, 0.1]]), _array([[0.01, 0.99]]), (2, 2, 2),
        lr=0.5, iterations=5_000,
        post_weights=(0.15, 0.2, 0.25, 0.3, 0.4, 0.45, 0.5, 0.55), post_biases=(0.35, 0.35, 0.6, 0.6),
        description="Post example 4: a 2-2-2 network, 0.05, 0.1 -> 0.01, 0.99.",
    )  # fmt: skip


@register_task("xor")
def _xor() -> Task:
    return Task(
        "xor", _array([[0, 0], [0, 1], [1, 0], [1, 1]]), _array([[0], [1], [1], [0]]), (2, 2, 1),
        lr=0.5, iterations=20_000, target=0.05,
        description="XOR with a 2-2-1 network: not linearly separable; gradient descent can stall.",
    )  # fmt: skip
