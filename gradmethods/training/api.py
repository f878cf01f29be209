"""``gm.train``: one entry point that trains a task with any registered method.

Its own settings are declared once, in :data:`TRAIN_PARAMETERS` (see
:mod:`gradmethods.core.params`); a method's settings are declared by the method's class
(its ``parameters``).  Suite files (:mod:`gradmethods.suites.suite`) are checked against
the same declarations, so a setting is refused or accepted alike from Python and from a
suite file.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
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
from .optim import RULE_PARAMETERS, OptimizerSpec, optimizer_from_spec, optimizer_problems
from .results import RunBatch, TrainResult
from .trainers.gradient_descent import ENGINES, FREEZE_CHOICES, GradientDescent

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
    "optimizer": [OptimizerSpec(), None],
    "freeze": [Options(*FREEZE_CHOICES), ArrayLike(), None],
    "engine": [Options(*ENGINES)],
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
    optimizer: Any = None,
    freeze: Any = None,
    batch_size: int | None = None,
    batch_seed: int | None = None,
    engine: str = "auto",
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
        A registered method (see :func:`gradmethods.methods`).  A gradient provider's
        name means gradient descent using that provider's gradient
        (:class:`~gradmethods.training.trainers.gradient_descent.GradientDescent`; full
        batch by default, as in the post); a trainer (kind ``"trainer"``, e.g.
        ``"genetic"``) runs its own algorithm.  Both go through the one trainer protocol
        (:class:`~gradmethods.training.trainers.base.Trainer`).
    lr : float or sequence of float, optional
        Learning rate; defaults to the task's (the post's).  With ``seeds``, one value
        for every run or one per seed.  Gradient-free trainers have none: passing
        ``lr`` with them raises a ValueError.  A shortcut for
        ``optimizer=gm.optim.sgd(lr)``; give one or the other.
    iterations : int, optional
        Number of updates; defaults to the task's (the post's).  For a trainer it is
        its own budget (generations for ``"genetic"``, counting the initial one) and
        defaults to the trainer's default, not the task's.  Nothing is allocated in
        proportion to it: with a ``target`` a huge budget costs only the steps taken.
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
        Train one run per seed and return a list of results in seed order.  Gradient
        descent trains them as one batched computation over an ``(R, n_params)`` stack
        (the trainer's ``fit_runs``); a trainer without ``fit_runs`` is called once per
        seed.  Each run is the run ``train(..., seed=s)`` would give (its history
        agrees to rounding; ``seconds`` is the stack's wall time).  Runs that converge
        or diverge leave the stack; the others go on.
    dtype : {"float64", "float32"}
    target : float, optional
        Stop once the error is ``<= target``.
    momentum : float, default 0
        Heavy-ball momentum in [0, 1) (gradient methods): ``v = momentum v + g``,
        ``params -= lr v``.  0 is the post's plain gradient descent.  A shortcut for
        ``optimizer=gm.optim.momentum(lr, momentum)``.
    optimizer : Transform, str or dict, optional
        The update rule of gradient descent: one of :mod:`gradmethods.optim`
        (``gm.optim.adam(0.01)``, ``gm.optim.chain(gm.optim.clip_by_global_norm(1.0),
        gm.optim.nesterov(0.5))``...), a registered rule's name, or a table as a suite
        file writes it (``{"name": "adam", "lr": 0.01}``; a table without ``lr`` takes the
        task's).  Recorded in each run's settings as its table.  Not with ``lr`` or
        ``momentum``.
    freeze : {"biases", "weights"} or array_like of bool, optional
        Keep these parameters at their initial values (a boolean mask over the flat
        parameters: True is frozen).  Works with every provider, optimizer, engine and
        batched runs.
    batch_size : int, optional
        Minibatch stochastic gradient descent with this many patterns per step
        (a fresh permutation of the patterns each epoch).  ``None`` (default): all
        patterns every step.  ``cost`` and ``error`` in the history are those of the
        whole training set.
    batch_seed : int, optional
        Seed of the minibatch order; default: derived from the run's ``seed``.
        Batched runs that share a ``batch_seed`` share their minibatches and are
        computed as one stack.
    engine : {"auto", "numpy", "numba"}, default "auto"
        Where gradient descent runs.  ``"auto"`` (default): the compiled kernel where
        numba is installed and it computes the run, numpy otherwise (a plain install,
        without the ``fast`` extra, always trains on numpy).  ``"numpy"``: the reference.  ``"numba"``: the
        compiled kernel of :mod:`gradmethods.training.compiled` (needs numba, the ``fast``
        extra); it refuses, with the reason, a run it cannot compute (see
        :func:`gradmethods.training.compiled.unsupported_reason`).  The kernel gives
        numpy's numbers to rounding, not bit for bit.  The engine used (``"auto"``
        resolved) is recorded in each run's settings.  With ``method="genetic"``: the
        engine of its breeding step, the same numbers bit for bit (see
        :class:`~gradmethods.training.trainers.genetic.GeneticTrainer`).
    fast : bool, default False
        The former spelling of ``engine="numba"``.
    record_grad_norms : bool, default False
        Gradient methods: add history columns ``grad_norm_layer0, grad_norm_layer1,
        ...``, the Euclidean norm of each layer's (weights and biases) gradient at
        that row's point (the minibatch's gradient with ``batch_size``); layer 0 is
        next to the input.  Numpy engine only.
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
    >>> gm.train("xor", init="random", seed=1, optimizer=gm.optim.adam(0.05), iterations=300).settings["optimizer"]
    {'name': 'adam', 'lr': 0.05, 'b1': 0.9, 'b2': 0.999, 'eps': 1e-08}
    """
    task = get_task(task)
    info = get_method(method)
    if seeds is not None and isinstance(seeds, Iterable) and not isinstance(seeds, (str, bytes, np.ndarray)):
        seeds = list(seeds)  # an iterator is read once, here
    given = {
        "lr": lr, "iterations": iterations, "init": init, "seed": seed, "seeds": seeds, "dtype": dtype,
        "target": target, "momentum": momentum, "optimizer": optimizer, "freeze": freeze, "batch_size": batch_size,
        "batch_seed": batch_seed, "engine": engine, "fast": fast, "record_grad_norms": record_grad_norms,
    }  # fmt: skip
    if isinstance(optimizer, (str, Mapping)):  # a table's problems name its own setting ('optimizer.b1')
        problems = optimizer_problems(optimizer)
        if problems:
            raise problems[0]
    checked = validate_params(given, TRAIN_PARAMETERS)  # 10,000 plain seeds are judged as one array
    if seeds is not None and seed is not None:
        raise ValueError("Give either seed= (one run) or seeds= (one run per seed), not both.")
    batched = seeds is not None
    run_seeds = checked["seeds"] if batched else [checked["seed"]]
    dtype = checked["dtype"]
    options = check_method_settings(info, options)
    trainer, iterations = _trainer(task, info, checked, options, len(run_seeds), batched)
    settings = {
        "lr": None, "iterations": iterations, "seed": None, "dtype": dtype.name, "target": checked["target"],
        "init": init if isinstance(init, str) or init is None else "array", **options,
    }  # fmt: skip
    net = task.network()
    X, Y = task.data(dtype)
    fit = dict(iterations=iterations, target=checked["target"], settings=settings)
    if info.gives_gradient:
        params = _initial_stack(task, init, run_seeds, dtype)
    else:
        random_start = init is None or (isinstance(init, str) and init == "random")
        params = None if random_start else _initial_stack(task, init, run_seeds, dtype)
    if batched and callable(getattr(trainer, "fit_runs", None)):
        results = trainer.fit_runs(task, net, params, X, Y, seeds=run_seeds, **fit)
    else:
        results = [trainer.fit(task, net, None if params is None else params[i], X, Y, seed=s, **fit)
                   for i, s in enumerate(run_seeds)]  # fmt: skip
    if not batched:
        return results[0]
    return results if isinstance(results, RunBatch) else RunBatch(results)


def _trainer(task: Task, info: MethodInfo, checked: dict, options: dict, n_runs: int, batched: bool) -> tuple:
    """The trainer of a run and its budget: gradient descent with a provider's gradient, or the method itself."""
    if not info.gives_gradient:
        if "engine" in getattr(info.factory, "parameters", {}):  # a trainer with engines (genetic) takes engine=
            options = {**options, "engine": checked["engine"]}
            checked = {**checked, "engine": "auto"}
        _reject_gradient_options(info.name, checked)
        return info.factory(**options), checked["iterations"]  # the trainer validates its settings here
    engine = checked["engine"]
    if checked["fast"]:
        if engine not in ("auto", "numba"):
            raise ValueError(f"fast=True is the former spelling of engine='numba'; drop it with engine={engine!r}.")
        engine = "numba"
    optimizer, lrs = checked["optimizer"], None
    if optimizer is not None:
        for name, unset in (("lr", None), ("momentum", 0.0)):
            if checked[name] != unset:
                raise ValueError(f"Give the update rule either as optimizer= or as the shortcuts lr= / momentum=, "
                                 f"not both; got {name}={checked[name]!r} with optimizer=. Put it in the optimizer, "
                                 "e.g. optimizer=gm.optim.momentum(0.5, beta=0.9).")  # fmt: skip
        optimizer = optimizer_from_spec(optimizer, lr=task.lr)
    else:
        lrs = _learning_rates(task.lr if checked["lr"] is None else checked["lr"], n_runs, batched)
    trainer = GradientDescent(
        info.factory(**options), lr=lrs, momentum=checked["momentum"], optimizer=optimizer,
        freeze=checked["freeze"], batch_size=checked["batch_size"], batch_seed=checked["batch_seed"],
        record_grad_norms=checked["record_grad_norms"], engine=engine,
    )  # fmt: skip
    return trainer, task.iterations if checked["iterations"] is None else checked["iterations"]


def _reject_gradient_options(method: str, checked: dict[str, Any]) -> None:
    """Trainers take none of gradient descent's options (momentum=, optimizer=, batch_size=, ...) and no lr."""
    if checked["lr"] is not None:
        raise ValueError(
            f"method {method!r} trains without a gradient and has no learning rate; drop lr={checked['lr']!r}."
        )
    defaults = {"momentum": 0.0, "optimizer": None, "freeze": None, "batch_size": None, "batch_seed": None,
                "engine": "auto", "fast": False, "record_grad_norms": False}  # fmt: skip
    for name, default in defaults.items():
        if checked[name] != default:
            raise ValueError(
                f"The {name!r} parameter applies to gradient methods only; {method!r} is a trainer. "
                f"Gradient methods: {providers()}."
            )


def _learning_rates(lr: Any, n_runs: int, batched: bool) -> float | list[float]:
    """The learning rate of the runs: ``lr`` (checked) shared by every run, or one per seed as given."""
    if np.ndim(lr) == 0:
        return float(lr)
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
