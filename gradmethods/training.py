"""``gm.train``: one entry point that trains a task with any registered method."""

from __future__ import annotations

import inspect
from typing import Any

import numpy as np

from ._validation import check_float_dtype, check_positive_float, check_positive_int
from .registry import get_method
from .results import TrainResult
from .tasks import Task, get_task
from .trainers.gradient_descent import gradient_descent

__all__ = ["train", "initial_params"]


def initial_params(task: Task, init: Any = None, *, seed: int | None = None, dtype: Any = "float64") -> np.ndarray:
    """Resolve ``init`` to a parameter vector for ``task``.

    Parameters
    ----------
    init : {"post", "random"}, array_like or None
        ``"post"``: the post's weights; ``"random"``: drawn with
        ``numpy.random.default_rng(seed)``; an array: used as given; ``None``:
        ``"post"`` where the post gives weights, else ``"random"``.
    """
    dtype = check_float_dtype("dtype", dtype)
    net = task.network()
    if init is None:
        init = "post" if task.has_post_init else "random"
    if isinstance(init, str):
        if init == "post":
            return task.post_params(dtype)
        if init == "random":
            if seed is None:
                raise ValueError("init='random' needs a seed (an int), so that the run can be repeated.")
            return task.random_params(np.random.default_rng(seed), dtype=dtype)
        raise ValueError(f"The 'init' parameter must be 'post', 'random' or an array. Got {init!r} instead.")
    params = net.check_params(np.array(init, dtype=dtype), argument="init")
    if params.ndim != 1:
        raise ValueError(f"init must be one parameter vector of shape ({net.n_params},); got shape {params.shape}.")
    return params


def train(
    task: str | Task,
    method: str = "backprop",
    *,
    lr: float | None = None,
    iterations: int | None = None,
    init: Any = None,
    seed: int | None = None,
    dtype: Any = "float64",
    target: float | None = None,
    **options: Any,
) -> TrainResult:
    """Train a task with a registered method.

    Parameters
    ----------
    task : str or Task
        A task name (see :func:`gradmethods.tasks`) or a :class:`Task`.
    method : str, default "backprop"
        A registered method (see :func:`gradmethods.methods`).  Gradient providers are
        trained by full-batch gradient descent; trainers (kind ``"trainer"``, e.g.
        ``"genetic"``) run their own algorithm.
    lr : float, optional
        Learning rate; defaults to the task's (the post's).  Gradient-free trainers
        have none: passing ``lr`` with them raises a ValueError.
    iterations : int, optional
        Number of updates; defaults to the task's (the post's).  For a trainer it is
        its own budget (generations for ``"genetic"``, counting the initial one) and
        defaults to the trainer's default, not the task's.
    init : {"post", "random"} or array_like, optional
        Initial parameters; see :func:`initial_params`.  For a trainer, ``None`` or
        ``"random"`` lets it draw its own start (a whole random population for
        ``"genetic"``), while ``"post"`` or an array is handed to it as a starting
        member.
    seed : int, optional
        Seed of the run's ``numpy.random.Generator`` (random initial weights, and
        any randomness of the method).
    dtype : {"float64", "float32"}
    target : float, optional
        Stop once the error is ``<= target``.
    **options
        Passed to the method (e.g. a provider's step size, or the genetic trainer's
        ``population_size``); a trainer rejects names it does not know.

    Returns
    -------
    TrainResult

    Examples
    --------
    >>> import gradmethods as gm
    >>> result = gm.train("example4")
    >>> round(result.final_error, 6)
    0.005549
    """
    task = get_task(task)
    info = get_method(method)
    dtype = check_float_dtype("dtype", dtype)
    if not info.gives_gradient:
        return _train_without_gradient(
            task, info, lr=lr, iterations=iterations, init=init, seed=seed, dtype=dtype, target=target, options=options
        )
    lr = check_positive_float("lr", task.lr if lr is None else lr)
    iterations = check_positive_int("iterations", task.iterations if iterations is None else iterations)
    if target is not None:
        target = check_positive_float("target", target)
    params = initial_params(task, init, seed=seed, dtype=dtype)
    net = task.network()
    X, Y = task.data(dtype)
    settings = {
        "lr": lr, "iterations": iterations, "seed": seed, "dtype": dtype.name, "target": target,
        "init": init if isinstance(init, str) or init is None else "array", **options,
    }  # fmt: skip
    provider = info.factory(**options)
    params, history, outcome = gradient_descent(
        net, provider, params, X, Y, lr=lr, iterations=iterations, target=target
    )
    return TrainResult(task.name, method, outcome, params, history, settings)


def _train_without_gradient(
    task: Task, info: Any, *, lr: Any, iterations: Any, init: Any, seed: Any, dtype: np.dtype, target: Any,
    options: dict[str, Any],
) -> TrainResult:  # fmt: skip
    """The trainer branch of :func:`train`: checks the run's settings, then ``trainer.fit``."""
    if lr is not None:
        raise ValueError(
            f"method {info.name!r} trains without a gradient and has no learning rate; drop lr={lr!r}."
        )
    accepted = [name for name in inspect.signature(info.factory).parameters if name not in ("self",)]
    unknown = sorted(set(options) - set(accepted))
    if unknown:
        raise ValueError(
            f"method {info.name!r} has no setting {unknown[0]!r}; its settings are {sorted(accepted)}."
        )
    if iterations is not None:
        iterations = check_positive_int("iterations", iterations)
    if target is not None:
        target = check_positive_float("target", target)
    trainer = info.factory(**options)  # validates the method's settings before any work
    random_start = init is None or (isinstance(init, str) and init == "random")
    params = None if random_start else initial_params(task, init, seed=seed, dtype=dtype)
    net = task.network()
    X, Y = task.data(dtype)
    settings = {
        "lr": None, "iterations": iterations, "seed": seed, "dtype": dtype.name, "target": target,
        "init": init if isinstance(init, str) or init is None else "array", **options,
    }  # fmt: skip
    return trainer.fit(task, net, params, X, Y, iterations=iterations, target=target, seed=seed, settings=settings)
