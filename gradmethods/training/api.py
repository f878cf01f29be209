"""``gm.train``: one entry point that trains a task with any registered method.

Its own settings are declared once, in :data:`TRAIN_PARAMETERS` (see
:mod:`gradmethods.core.params`); a method's settings are declared by the method's class
(its ``parameters``).  Suite files (:mod:`gradmethods.suites.suite`) are checked against
the same declarations, so a setting is refused or accepted alike from Python and from a
suite file.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from ..core.params import (
    ArrayLike,
    Boolean,
    FloatDType,
    Integral,
    Interval,
    ListOf,
    Options,
    Real,
    declared_parameters,
    validate,
    validate_params,
)
from ..core.registry import MethodInfo, get_method, providers
from ..core.tasks import Task, get_task
from .optim import RULE_PARAMETERS
from .results import RunBatch, RunColumns, TrainResult
from .trainers.gradient_descent import GRAD_NORM_COLUMN, INTEGER_COUNTS, StackRecord, gradient_descent_stack

__all__ = ["train", "initial_params", "TRAIN_PARAMETERS", "check_method_settings"]

_SEED = Interval(Integral, 0, None)

#: :func:`train`'s own settings and the values each accepts (``None``: the task's, the
#: method's or no value).  The update rule's (``lr``, ``momentum``, ``batch_size``) are
#: those of :data:`gradmethods.training.optim.RULE_PARAMETERS`.  Suite files read this
#: table for the settings they may give.
TRAIN_PARAMETERS: dict[str, list] = {
    "lr": [*RULE_PARAMETERS["lr"], None],
    "iterations": [Interval(Integral, 1, None), None],
    "init": [Options("post", "random"), ArrayLike(), None],
    "seed": [_SEED, None],
    "seeds": [ListOf(_SEED, min_length=1, noun="seed"), None],
    "dtype": [FloatDType("float32", "float64")],
    "target": [Interval(Real, 0, None, closed="neither"), None],
    "momentum": RULE_PARAMETERS["momentum"],
    "batch_size": [*RULE_PARAMETERS["batch_size"], None],
    "batch_seed": [_SEED, None],
    "fast": [Boolean()],
    "record_grad_norms": [Boolean()],
}


def check_method_settings(info: MethodInfo, options: dict[str, Any]) -> dict[str, Any]:
    """Check a method's settings against what its class declares; return them normalised.

    An unknown name is refused with the list of the method's settings (see
    :func:`gradmethods.core.params.declared_parameters`).

    Examples
    --------
    >>> import gradmethods as gm
    >>> check_method_settings(gm.get_method("dual"), {"chunk_size": 4})
    {'chunk_size': 4}
    >>> check_method_settings(gm.get_method("backprop"), {"step": 1e-3})
    Traceback (most recent call last):
    ...
    gradmethods.core.params.InvalidParameterError: method 'backprop' has no setting 'step'; it takes no settings.
    """
    return validate_params(options, declared_parameters(info.factory), owner=f"method {info.name!r}")


def initial_params(task: Task, init: Any = None, *, seed: int | None = None, dtype: Any = "float64") -> np.ndarray:
    """Resolve ``init`` to a parameter vector for ``task``.

    Parameters
    ----------
    task : Task
    init : {"post", "random"}, array_like or None
        ``"post"``: the post's weights; ``"random"``: drawn with
        ``numpy.random.default_rng(seed)``; an array: used as given; ``None``:
        ``"post"`` where the post gives weights, else ``"random"``.
    seed : int, optional
        Seed of the random draw (``init="random"``).
    dtype : {"float64", "float32"}

    Examples
    --------
    >>> import gradmethods as gm
    >>> initial_params(gm.get_task("not")).tolist()
    [0.3, 0.5]
    """
    init = validate("init", init, TRAIN_PARAMETERS["init"])
    seed = validate("seed", seed, TRAIN_PARAMETERS["seed"])
    dtype = validate("dtype", dtype, TRAIN_PARAMETERS["dtype"])
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
    params = net.check_params(np.array(init, dtype=dtype), argument="init")
    if params.ndim != 1:
        raise ValueError(f"init must be one parameter vector of shape ({net.n_params},); got shape {params.shape}.")
    return params


def train(
    task: str | Task,
    method: str = "backprop",
    *,
    lr: float | Sequence[float] | None = None,
    iterations: int | None = None,
    init: Any = None,
    seed: int | None = None,
    seeds: Iterable[int] | None = None,
    dtype: Any = "float64",
    target: float | None = None,
    momentum: float = 0.0,
    batch_size: int | None = None,
    batch_seed: int | None = None,
    fast: bool = False,
    record_grad_norms: bool = False,
    **options: Any,
) -> TrainResult | list[TrainResult]:
    """Train a task with a registered method.

    Parameters
    ----------
    task : str or Task
        A task name (see :func:`gradmethods.core.tasks`) or a :class:`Task`.
    method : str, default "backprop"
        A registered method (see :func:`gradmethods.methods`).  Gradient providers are
        trained by gradient descent (full batch by default, as in the post); trainers
        (kind ``"trainer"``, e.g. ``"genetic"``) run their own algorithm.
    lr : float or sequence of float, optional
        Learning rate; defaults to the task's (the post's).  With ``seeds``, one value
        for every run or one per seed.  Gradient-free trainers have none: passing
        ``lr`` with them raises a ValueError.
    iterations : int, optional
        Number of updates; defaults to the task's (the post's).  For a trainer it is
        its own budget (generations for ``"genetic"``, counting the initial one) and
        defaults to the trainer's default, not the task's.
    init : {"post", "random"} or array_like, optional
        Initial parameters; see :func:`initial_params`.  With ``seeds`` an array may
        also be a stack ``(len(seeds), n_params)``, one row per run.  For a trainer,
        ``None`` or ``"random"`` lets it draw its own start (a whole random population
        for ``"genetic"``), while ``"post"`` or an array is handed to it as a starting
        member.
    seed : int, optional
        Seed of the run's ``numpy.random.Generator`` (random initial weights, and
        any randomness of the method).  Three independent streams derive from it:
        the initial weights ``default_rng(seed)``, the minibatch order
        ``SeedSequence(seed).spawn(2)[0]`` and a stochastic method's random
        directions ``SeedSequence(seed).spawn(2)[1]``.  A stochastic method
        (``gm.get_method(method).stochastic``) needs a seed even with ``init="post"``.
    seeds : iterable of int, optional
        Train one run per seed, as one batched computation over an
        ``(R, n_params)`` stack (gradient methods, and trainers with a batched
        ``fit_runs`` such as ``"genetic"``), and return a list of results in seed
        order.  Each run is the run ``train(..., seed=s)`` would give (its history
        agrees to rounding; ``seconds`` is the stack's wall time).
        Runs that converge or diverge leave the stack; the others go on.
    dtype : {"float64", "float32"}
    target : float, optional
        Stop once the error is ``<= target``.
    momentum : float, default 0
        Heavy-ball momentum in [0, 1) (gradient methods): ``v = momentum v + g``,
        ``params -= lr v``.  0 is the post's plain gradient descent.
    batch_size : int, optional
        Minibatch stochastic gradient descent with this many patterns per step
        (a fresh permutation of the patterns each epoch).  ``None`` (default): all
        patterns every step.  ``cost`` and ``error`` in the history are those of the
        whole training set.
    batch_seed : int, optional
        Seed of the minibatch order; default: derived from the run's ``seed``.
        Batched runs that share a ``batch_seed`` share their minibatches and are
        computed as one stack.
    fast : bool, default False
        Use the compiled kernel of :mod:`gradmethods.training.compiled` (needs numba, the
        ``fast`` extra) where it applies -- full-batch ``backprop`` on real dtypes --
        and the numpy path otherwise.  It gives the numpy path's numbers to
        rounding; numpy stays the reference.
    record_grad_norms : bool, default False
        Gradient methods: add history columns ``grad_norm_layer0, grad_norm_layer1,
        ...``, the Euclidean norm of each layer's (weights and biases) gradient at
        that row's point (the minibatch's gradient with ``batch_size``); layer 0 is
        next to the input.  Not available with ``fast=True``.
    **options
        The method's settings (e.g. ``step`` for the finite differences, ``chunk_size``
        for ``dual``, the genetic trainer's ``population_size``), checked against what the
        method's class declares (its ``parameters``); an unknown name is refused with the
        list of the method's settings.

    Raises
    ------
    ValueError
        For a setting outside what it accepts; the message names the setting, the value
        and the allowed range or choices (see :data:`TRAIN_PARAMETERS`).  A value of the
        wrong type or an unknown setting raises
        :class:`~gradmethods.core.params.InvalidParameterError`, both a ValueError and a
        TypeError.

    Returns
    -------
    TrainResult, or RunBatch with ``seeds``
        A :class:`~gradmethods.training.results.RunBatch` is a ``list`` of TrainResult,
        one per seed, whose repr summarizes the outcomes.

    Examples
    --------
    >>> import gradmethods as gm
    >>> result = gm.train("example4")
    >>> round(result.final_error, 6)
    0.005549
    >>> runs = gm.train("xor", init="random", seeds=[1, 2, 3], iterations=200)
    >>> [run.settings["seed"] for run in runs]
    [1, 2, 3]
    """
    task = get_task(task)
    info = get_method(method)
    if seeds is not None and isinstance(seeds, Iterable) and not isinstance(seeds, (str, bytes, np.ndarray)):
        seeds = list(seeds)  # an iterator is read once, here
    given = {
        "lr": lr, "iterations": iterations, "init": init, "seed": seed, "seeds": seeds, "dtype": dtype,
        "target": target, "momentum": momentum, "batch_size": batch_size, "batch_seed": batch_seed, "fast": fast,
        "record_grad_norms": record_grad_norms,
    }  # fmt: skip
    checked = validate_params(given, TRAIN_PARAMETERS)
    dtype, target, momentum = checked["dtype"], checked["target"], checked["momentum"]
    if not info.gives_gradient and seeds is not None and hasattr(info.factory, "fit_runs"):
        if seed is not None:
            raise ValueError("Give either seed= (one run) or seeds= (one run per seed), not both.")
        _reject_gradient_options(method, momentum=momentum, batch_size=batch_size, batch_seed=batch_seed, fast=fast,
                                 record_grad_norms=record_grad_norms)  # fmt: skip
        return _train_without_gradient(task, info, lr=lr, iterations=checked["iterations"], init=init,
                                       seed=checked["seeds"], dtype=dtype, target=target, options=options)  # fmt: skip
    if not info.gives_gradient:
        _reject_gradient_options(method, seeds=seeds, momentum=momentum, batch_size=batch_size,
                                 batch_seed=batch_seed, fast=fast, record_grad_norms=record_grad_norms)  # fmt: skip
        return _train_without_gradient(
            task, info, lr=lr, iterations=checked["iterations"], init=init, seed=checked["seed"], dtype=dtype,
            target=target, options=options,
        )
    options = check_method_settings(info, options)
    iterations = task.iterations if checked["iterations"] is None else checked["iterations"]
    if seeds is not None and seed is not None:
        raise ValueError("Give either seed= (one run) or seeds= (one run per seed), not both.")
    batched = seeds is not None
    run_seeds = checked["seeds"] if batched else [checked["seed"]]
    n_runs = len(run_seeds)
    lrs = _learning_rates(task.lr if lr is None else checked["lr"], n_runs, batched)
    batch_size, batch_seed = checked["batch_size"], checked["batch_seed"]
    fast, record_grad_norms = checked["fast"], checked["record_grad_norms"]
    if fast and record_grad_norms:
        raise ValueError("record_grad_norms=True is recorded by the numpy path only; use fast=False to record "
                         "per-layer gradient norms.")  # fmt: skip
    params = _initial_stack(task, init, run_seeds, dtype)
    net = task.network()
    X, Y = task.data(dtype)
    rngs = _batch_rngs(run_seeds, batch_seed) if batch_size is not None else None
    provider_rngs = _estimator_rngs(method, run_seeds) if info.stochastic else None
    provider = info.factory(**options)
    common = dict(iterations=iterations, target=target, momentum=momentum, batch_size=batch_size)
    if fast:
        from . import compiled

        if not compiled.available():
            raise ValueError(
                "fast=True needs numba; install it with pip install 'gradmethods[fast]', or use fast=False."
            )
        record = compiled.gradient_descent_stack_fast(net, provider, params, X, Y, lr=lrs, **common, rngs=rngs,
                                                      provider_rngs=provider_rngs)  # fmt: skip
    else:
        record = gradient_descent_stack(net, provider, params, X, Y, lr=lrs, **common, rngs=rngs,
                                        record_grad_norms=record_grad_norms, provider_rngs=provider_rngs)  # fmt: skip
    settings = {
        "lr": None, "iterations": iterations, "seed": None, "dtype": dtype.name, "target": target,
        "init": init if isinstance(init, str) or init is None else "array", **options,
    }  # fmt: skip
    if momentum:
        settings["momentum"] = momentum
    if batch_size is not None:
        settings.update(batch_size=batch_size, batch_seed=batch_seed)
    if record_grad_norms:
        settings["record_grad_norms"] = True
    runs = RunBatch.from_columns(task.name, method, params=record.params, outcomes=record.outcomes,
                                 histories=_record_columns(record), settings=settings,
                                 run_settings={"lr": lrs, "seed": run_seeds})  # fmt: skip
    return runs if batched else _plain(runs[0])


def _record_columns(record: StackRecord) -> RunColumns:
    """The histories of a :class:`StackRecord` as columns, nothing copied."""
    columns = {"cost": record.costs, "error": record.errors}
    columns.update({name: record.counts[:, :, k] for k, name in enumerate(record.count_names)})
    columns["seconds"] = record.seconds
    if record.grad_norms is not None:
        columns.update({GRAD_NORM_COLUMN.format(k): record.grad_norms[:, :, k]
                        for k in range(record.grad_norms.shape[2])})  # fmt: skip
    return RunColumns(columns, record.rows, integer=INTEGER_COUNTS)


def _plain(run: TrainResult) -> TrainResult:
    """One run as a plain TrainResult (its history built)."""
    return TrainResult(run.task, run.method, run.outcome, run.params.copy(), run.history, run.settings)


def _reject_gradient_options(method: str, **given: Any) -> None:
    """Trainers take none of gradient descent's options (seeds=, momentum=, batch_size=, ...)."""
    for name, value in given.items():
        if value is not None and value is not False and not (name == "momentum" and value == 0):
            raise ValueError(
                f"The {name!r} parameter applies to gradient methods only; {method!r} is a trainer. "
                f"Gradient methods: {providers()}."
                + (" Train one run per seed with seed=..." if name == "seeds" else "")
            )


def _train_without_gradient(
    task: Task, info: MethodInfo, *, lr: Any, iterations: Any, init: Any, seed: Any, dtype: np.dtype, target: Any,
    options: dict[str, Any],
) -> TrainResult:  # fmt: skip
    """The trainer branch of :func:`train`: checks the run's settings, then ``trainer.fit``."""
    if lr is not None:
        raise ValueError(
            f"method {info.name!r} trains without a gradient and has no learning rate; drop lr={lr!r}."
        )
    options = check_method_settings(info, options)
    trainer = info.factory(**options)  # validates the method's settings before any work
    random_start = init is None or (isinstance(init, str) and init == "random")
    seeds = seed if isinstance(seed, list) else None  # a list: one run per seed, batched (trainer.fit_runs)
    params = None if random_start else initial_params(task, init, seed=None if seeds else seed, dtype=dtype)
    net = task.network()
    X, Y = task.data(dtype)
    settings = {
        "lr": None, "iterations": iterations, "seed": seed, "dtype": dtype.name, "target": target,
        "init": init if isinstance(init, str) or init is None else "array", **options,
    }  # fmt: skip
    if seeds is not None:
        return trainer.fit_runs(task, net, params, X, Y, iterations=iterations, target=target, seeds=seeds,
                                settings={**settings, "seed": None})  # fmt: skip
    return trainer.fit(task, net, params, X, Y, iterations=iterations, target=target, seed=seed, settings=settings)


def _learning_rates(lr: Any, n_runs: int, batched: bool) -> list[float]:
    """One learning rate per run: ``lr`` (checked) repeated, or one per seed as given."""
    if np.ndim(lr) == 0:
        return [float(lr)] * n_runs
    lrs = list(lr)
    if not batched or len(lrs) != n_runs:
        raise ValueError(
            f"The 'lr' parameter must be one float, or one per seed ({n_runs} with seeds=); "
            f"got {len(lrs)} values{'' if batched else ' without seeds='}."
        )
    return lrs


def _initial_stack(task: Task, init: Any, seeds: list, dtype: np.dtype) -> np.ndarray:
    if init is not None and not isinstance(init, str) and np.ndim(init) == 2:
        stack = task.network().check_params(np.array(init, dtype=dtype), argument="init")
        if stack.shape[0] != len(seeds):
            raise ValueError(
                f"init must be one vector ({task.network().n_params},) or one per seed "
                f"({len(seeds)}, {task.network().n_params}); got shape {stack.shape}."
            )
        return stack
    if (isinstance(init, str) and init == "random") or (init is None and not task.has_post_init):
        if any(s is None for s in seeds):
            raise ValueError("init='random' needs a seed (an int), so that the run can be repeated.")
        return task.network().init_params_for_seeds(seeds, dtype)  # default_rng(s)'s numbers, drawn as one stack
    return np.stack([initial_params(task, init, seed=s, dtype=dtype) for s in seeds])


def _estimator_rngs(method: str, seeds: list) -> list[np.random.Generator]:
    """One generator per run for a stochastic method's random directions: a child of the run's seed.

    Run ``s`` draws its directions from ``default_rng(SeedSequence(s).spawn(2)[1])``: the
    second child of its seed, where the minibatch order takes the first
    (:func:`_batch_rngs`) and the initial weights ``default_rng(s)`` itself, so the three
    streams are independent.  A run's stream depends on its seed alone, so batched runs
    equal one-at-a-time runs whatever the stack or the number of workers.
    """
    if any(s is None for s in seeds):
        raise ValueError(
            f"{method!r} is a stochastic estimator: give seed= (or seeds=) for its random directions, so that "
            "the run can be repeated."
        )
    return [np.random.default_rng(np.random.SeedSequence(s).spawn(2)[1]) for s in seeds]


def _batch_rngs(seeds: list, batch_seed: int | None) -> list[np.random.Generator]:
    """One minibatch generator per run: a child of the run's seed, or one shared by all runs of ``batch_seed``."""
    if batch_seed is not None:
        shared = np.random.default_rng(np.random.SeedSequence(batch_seed).spawn(1)[0])
        return [shared] * len(seeds)
    if any(s is None for s in seeds):
        raise ValueError(
            "batch_size needs a seed (or batch_seed) for the minibatch order, so that the run can be repeated."
        )
    return [np.random.default_rng(np.random.SeedSequence(s).spawn(1)[0]) for s in seeds]
