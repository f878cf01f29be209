"""Gradient descent with any gradient provider, for one run or many runs as one stack.

:func:`gradient_descent` trains one parameter vector (the post's loop).
:func:`gradient_descent_runs` trains R independent runs -- a ``(R, P)`` stack with
one learning rate per run -- as one computation: every iteration makes one call of
``provider.value_and_grad`` on the stack of runs still active.  A run that converges
(error ``<= target``) or diverges (non-finite cost, gradient or parameters) leaves
the stack, and the others go on; each run's history is the one it would have
trained alone.

Options shared by both: ``momentum`` (heavy-ball, see :mod:`gradmethods.training.optim`),
``batch_size`` for minibatch stochastic gradient descent (full batch, the post's
choice, is the default), and ``record_grad_norms``, which adds the Euclidean norm of
each layer's gradient to the history (:func:`layer_gradient_norms`): the vanishing
gradient of deep sigmoid networks, measured.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ...core.network import Network, error_from_outputs
from ...core.params import InvalidParameterError, Options, short_repr, validate
from ...gradients.base import GradientProvider
from ..optim import Minibatches, Transform, apply_updates, chain, freeze, select_runs, sgd
from ..optim import momentum as momentum_rule
from ..results import Outcome, RowRange, RunBatch, RunColumns
from .base import resolve_engine

__all__ = ["GradientDescent", "descend", "gradient_descent", "gradient_descent_runs", "gradient_descent_stack",
           "StackRecord", "descent_rule", "freeze_mask", "provider_counts", "layer_gradient_norms",
           "GRAD_NORM_COLUMN", "INTEGER_COUNTS", "ENGINES", "FREEZE_CHOICES"]  # fmt: skip

#: Work counters that count calls or passes (whole numbers, int64 in a history); every
#: other counter, ``fpe`` among them, is a float.
INTEGER_COUNTS = ("nfev", "njev", "forward_passes", "backward_passes")

#: History column of layer ``k``'s gradient norm (``GRAD_NORM_COLUMN.format(k)``); layer 0 is next to the input.
GRAD_NORM_COLUMN = "grad_norm_layer{}"


def layer_gradient_norms(net: Network, grad: np.ndarray) -> np.ndarray:
    """Euclidean norm of each layer's gradient (weights and biases together).

    Parameters
    ----------
    net : Network
    grad : ndarray, shape (P,) or (R, P)
        A gradient (or a stack of them) in the network's flat order.

    Returns
    -------
    ndarray, shape (n_layers,) or (R, n_layers)
        Column ``k`` is ``sqrt(sum(grad[layer k] ** 2))``; layer 0 is next to the input.

    Notes
    -----
    A layer's weights and biases are one contiguous block of the flat vector (weights
    row-major, then biases), so the squared norms of all layers are one
    ``np.add.reduceat`` over the layers' first indices -- no loop over layers or runs.

    Examples
    --------
    >>> import numpy as np, gradmethods as gm
    >>> net = gm.Network([1, 1, 1])          # layer 0: w, b; layer 1: w, b
    >>> layer_gradient_norms(net, np.array([3.0, 4.0, 0.0, 2.0])).tolist()
    [5.0, 2.0]
    """
    grad = np.asarray(grad)
    starts = [weights.start for weights, _ in net.layer_param_slices()]
    return np.sqrt(np.add.reduceat(grad * grad, starts, axis=-1))


def provider_counts(provider: GradientProvider) -> dict[str, float]:
    """The provider's work counters: ``counts()`` if it has it, else ``nfev`` and ``njev``.

    ``fpe`` is always a key: a provider that does not count forward-pass equivalents
    gets NaN (not recorded), never a number made up for it.
    """
    counts = getattr(provider, "counts", None)
    found = dict(counts()) if callable(counts) else {"nfev": provider.nfev, "njev": provider.njev}
    found.setdefault("fpe", math.nan)
    return found


def descent_rule(
    lr: Any = None, momentum: float = 0.0, optimizer: Transform | None = None, frozen: np.ndarray | None = None
) -> Transform:
    """The update rule gradient descent steps with: ``optimizer``, or the shortcut ``lr`` / ``momentum``.

    Without ``optimizer``: :func:`~gradmethods.training.optim.sgd` (``momentum == 0``, the
    post's rule) or :func:`~gradmethods.training.optim.momentum`.  ``frozen`` (a boolean
    mask, see :func:`freeze_mask`) wraps the rule in
    :func:`~gradmethods.training.optim.freeze` on both sides: the frozen parameters'
    gradient is zeroed before the rule sees it (so clipping norms and moment estimates
    ignore them) and their update after it (so no rule can move them).
    """
    if optimizer is None:
        rule = sgd(lr) if momentum == 0 else momentum_rule(lr, momentum)
    elif lr is not None or momentum:
        raise ValueError("Give the update rule either as optimizer= or as the shortcuts lr= / momentum=, not both; "
                         "e.g. optimizer=gm.optim.momentum(0.5, beta=0.9).")  # fmt: skip
    else:
        rule = optimizer
    if frozen is None:
        return rule
    held = chain(freeze(frozen), rule, freeze(frozen))
    return Transform(held.init, held.update, rule.spec)


#: What ``freeze`` accepts besides a boolean mask: a layer part of every layer.
FREEZE_CHOICES = ("biases", "weights")


def freeze_mask(net: Network, freeze: Any) -> np.ndarray | None:
    """``freeze`` as a boolean mask over the network's flat parameters (True: frozen), or None.

    Parameters
    ----------
    net : Network
    freeze : {"biases", "weights"}, array_like of bool (P,), or None
        ``"biases"``: every bias; ``"weights"``: every weight; a mask as given.

    Examples
    --------
    >>> import gradmethods as gm
    >>> freeze_mask(gm.Network([1, 1, 1]), "biases").tolist()   # layer 0: w, b; layer 1: w, b
    [False, True, False, True]
    """
    if freeze is None:
        return None
    if isinstance(freeze, str):
        freeze = validate("freeze", freeze, [Options(*FREEZE_CHOICES)])
        mask = np.zeros(net.n_params, dtype=bool)
        for weights, biases in net.layer_param_slices():
            mask[biases if freeze == "biases" else weights] = True
        return mask
    mask = np.asarray(freeze)
    if mask.dtype != bool or mask.shape != (net.n_params,):
        raise InvalidParameterError(
            "freeze", freeze, f"must be 'biases', 'weights' or a boolean mask of shape ({net.n_params},). "
                              f"Got {short_repr(freeze)} instead.",
        )  # fmt: skip
    return mask


def gradient_descent(
    net: Network,
    provider: GradientProvider,
    params: np.ndarray,
    X: np.ndarray,
    Y: np.ndarray,
    *,
    lr: float | None = None,
    iterations: int,
    target: float | None = None,
    momentum: float = 0.0,
    optimizer: Transform | None = None,
    freeze: Any = None,
    batch_size: int | None = None,
    rng: np.random.Generator | None = None,
    record_grad_norms: bool = False,
    provider_rng: np.random.Generator | None = None,
) -> tuple[np.ndarray, pd.DataFrame, Outcome]:
    """Train one network by gradient descent: ``params -= lr * grad`` (the post's update) or any rule.

    Parameters
    ----------
    net, provider
        The network and the gradient provider.
    params : ndarray, shape (P,)
        Initial parameters; their dtype is the dtype of the whole computation.
    X, Y : ndarray
        Training inputs and targets.
    lr : float, optional
        Learning rate of the shortcut rules (plain descent, or heavy-ball with ``momentum``).
    iterations : int
        Number of updates (the post's ``c_numTrainings``).
    target : float, optional
        Stop as soon as the error is ``<= target`` (that iteration makes no update).
    momentum : float, default 0
        Heavy-ball momentum ``beta`` in [0, 1): ``v = beta v + g``, ``params -= lr v``.
    optimizer : Transform, optional
        Any update rule of :mod:`gradmethods.training.optim` (``adam(0.01)``...), instead of
        ``lr`` / ``momentum``.
    freeze : {"biases", "weights"} or array_like of bool, optional
        Parameters kept at their initial values (see :func:`freeze_mask`).
    batch_size : int, optional
        Minibatch size for stochastic gradient descent; ``None`` (default) uses all
        patterns every iteration.
    rng : numpy.random.Generator, optional
        Source of the minibatch order; required with ``batch_size``.
    record_grad_norms : bool, default False
        Add columns ``grad_norm_layer0, grad_norm_layer1, ...`` to the history: the
        Euclidean norm of each layer's (weights and biases) gradient at that row's
        point, from the gradient the provider returned for the update (with
        ``batch_size``, the minibatch's gradient).  See :func:`layer_gradient_norms`.
    provider_rng : numpy.random.Generator, optional
        The random stream of a stochastic provider (required there; see
        :meth:`gradmethods.gradients.base.ProviderBase.check_rng`), distinct from ``rng``.

    Returns
    -------
    params : ndarray
        Final parameters.
    history : DataFrame
        ``iteration, cost, error``, one column per work counter of the provider
        (``provider.counts()``: ``nfev``, ``njev``, ``forward_passes``,
        ``backward_passes`` as int64, ``fpe`` as float64; NaN for a provider that
        does not count ``fpe``), ``seconds``; row ``i`` is measured at the start of
        iteration ``i``.  The counters count the provider's work, cumulatively;
        ``error`` is measured with one extra forward pass that is not counted (it is
        monitoring, not part of the method).  With ``batch_size``, ``cost``
        and ``error`` are those of the whole training set (the gradient is the
        minibatch's).
    outcome : Outcome
        ``CONVERGED``, ``BUDGET_EXHAUSTED`` or ``DIVERGED`` (non-finite cost, gradient
        or parameters; the row that showed it is the last one).
    """
    params = np.asarray(params)
    if params.ndim != 1:
        raise ValueError(f"params must be one vector (P,); got shape {params.shape}. Use gradient_descent_runs.")
    ((final, history, outcome),) = gradient_descent_runs(
        net, provider, params[None, :], X, Y, lr=lr, iterations=iterations, target=target,
        momentum=momentum, optimizer=optimizer, freeze=freeze, batch_size=batch_size,
        rngs=None if rng is None else [rng], record_grad_norms=record_grad_norms,
        provider_rngs=None if provider_rng is None else [provider_rng],
    )  # fmt: skip
    return final, history, outcome


def gradient_descent_runs(*args: Any, **kwargs: Any) -> list[tuple[np.ndarray, pd.DataFrame, Outcome]]:
    """Train R independent runs as one stacked computation; one ``(params, history, outcome)`` per run.

    Takes the arguments of :func:`gradient_descent_stack` and returns
    ``gradient_descent_stack(...).runs()``: for each run, in the order of the stack,
    exactly what :func:`gradient_descent` returns for that run alone, except
    ``seconds``, which is the wall time of the whole stack.
    """
    return gradient_descent_stack(*args, **kwargs).runs()


def gradient_descent_stack(
    net: Network,
    provider: GradientProvider,
    params: np.ndarray,
    X: np.ndarray,
    Y: np.ndarray,
    *,
    lr: float | Sequence[float] | None = None,
    iterations: int,
    target: float | None = None,
    momentum: float = 0.0,
    optimizer: Transform | None = None,
    freeze: Any = None,
    batch_size: int | None = None,
    rngs: Sequence[np.random.Generator] | None = None,
    record_grad_norms: bool = False,
    provider_rngs: Sequence[np.random.Generator] | None = None,
) -> StackRecord:
    """Train R independent runs as one stacked computation: the one descent loop.

    Parameters
    ----------
    params : ndarray, shape (R, P)
        One initial parameter vector per run.
    lr : float or sequence of R floats
        One learning rate for all runs, or one per run (the shortcut rules).
    optimizer : Transform, optional
        The update rule (one state row per run), instead of ``lr`` / ``momentum``.
    rngs : sequence of numpy.random.Generator, optional
        With ``batch_size``: the minibatch order of each run.  Runs given the *same*
        generator object share their minibatches and are computed as one stack;
        runs with distinct generators each draw their own batches (one provider
        call per distinct generator and iteration).
    provider_rngs : sequence of numpy.random.Generator, optional
        For a stochastic provider (required there): one generator per run, its own
        random stream.  Each call hands the provider the generators of the runs in the
        call, so a run draws from its own stream only and computes what it computes
        alone, whatever the other runs of the stack.
    Other parameters
        As :func:`gradient_descent`.

    Returns
    -------
    StackRecord
        Final parameters and histories as arrays; ``.runs()`` gives one
        ``(params, history, outcome)`` per run (building R DataFrames costs far more
        than training tiny networks, so it is left to the caller).

    Notes
    -----
    Work counters are per network (the provider protocol counts R of each for a
    stack of R), so a run's share of a stacked call is the increase of each counter
    divided by the number of networks in the call.  Counters are kept as float64
    (``fpe`` is fractional: 2.22 per backprop call on a 2-2-1 network); the ones that
    count calls or passes (:data:`INTEGER_COUNTS`) are whole numbers, exact in
    float64, and are int64 again in the history.  A run that has stopped is
    removed from the stack (``params`` and every row of the rule's state alike), so
    the remaining runs compute exactly what they would alone: every operation of the
    step is independent across the run axis.

    Nothing is allocated in proportion to ``iterations``: the history arrays grow (by
    doubling) as rows are recorded, so a large budget with a ``target`` costs only the
    rows the runs actually take.
    """
    params = np.array(params, copy=True)
    if params.ndim != 2:
        raise ValueError(f"params must be a stack of shape (R, P); got shape {params.shape}.")
    n_runs = params.shape[0]
    dtype = params.dtype
    X, Y = np.asarray(X, dtype=dtype), np.asarray(Y, dtype=dtype)
    groups = _batch_groups(n_runs, X.shape[0], batch_size, rngs)
    if provider_rngs is not None:
        provider_rngs = list(provider_rngs)
        if len(provider_rngs) != n_runs:
            raise ValueError(f"provider_rngs must hold one generator per run: {n_runs}; got {len(provider_rngs)}.")
    streams = (provider_rngs,)
    uses_step = bool(getattr(provider, "uses_step", False))  # the step number k reaches only a provider that reads it
    if hasattr(provider, "check_call"):  # validated once here; each step calls the unchecked path
        params, X, Y, _ = provider.check_call(net, params, X, Y)
        provider.check_rng(provider_rngs, n_runs)
    rule = descent_rule(lr, momentum, optimizer, freeze_mask(net, freeze))

    count_names = list(provider_counts(provider))
    record = _GrowingHistory(n_runs, len(count_names), net.n_layers if record_grad_norms else 0, iterations)
    total = np.zeros((n_runs, len(count_names)), dtype=np.float64)
    rows = np.full(n_runs, iterations)
    outcomes = [Outcome.BUDGET_EXHAUSTED] * n_runs
    final = params.copy()
    start = time.perf_counter()
    before_update: dict[str, np.ndarray] = {}

    def evaluate(i: int, active: np.ndarray, current: np.ndarray) -> np.ndarray:
        cost, grad, error = _evaluate(net, provider, current, X, Y, active, groups, total, count_names, streams,
                                      step=i if uses_step else None)  # fmt: skip
        record.add(i, active, cost, error, total[active], time.perf_counter() - start,
                   layer_gradient_norms(net, grad) if record_grad_norms else None)  # fmt: skip
        bad = ~(np.isfinite(cost) & np.isfinite(grad).all(axis=1))
        before_update["bad"] = bad
        before_update["reached"] = ~bad & (error <= target) if target is not None else np.zeros_like(bad)
        return grad

    def finish(i: int, active: np.ndarray, previous: np.ndarray, current: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        bad, reached = before_update["bad"], before_update["reached"]
        blew_up = ~bad & ~reached & ~np.isfinite(current).all(axis=1)
        stopped = bad | reached | blew_up
        for row in np.flatnonzero(stopped):
            run = active[row]
            rows[run] = i + 1
            outcomes[run] = Outcome.CONVERGED if reached[row] else Outcome.DIVERGED
            # Stopped before its update (non-finite gradient, target reached) or after it.
            final[run] = current[row] if blew_up[row] else previous[row]
        return current, stopped

    with np.errstate(all="ignore"):
        active, current = descend(params, rule, iterations, evaluate, finish)
    final[active] = current
    costs, errors, counts, seconds, grad_norms = record.arrays()
    return StackRecord(final, costs, errors, count_names, counts, seconds, rows, outcomes, grad_norms)


def descend(
    params: np.ndarray,
    rule: Transform,
    iterations: int,
    evaluate: Callable[[int, np.ndarray, np.ndarray], np.ndarray],
    finish: Callable[[int, np.ndarray, np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]],
) -> tuple[np.ndarray, np.ndarray]:
    """The one descent loop: step a stack of independent rows with ``rule`` until each stops.

    Gradient descent on weights (:func:`gradient_descent_stack`: one run, a stack of runs,
    minibatches) and on inputs (:func:`gradmethods.optimize_input`: one row per pattern)
    both step through it; they differ only in what they evaluate and when a row stops.

    Parameters
    ----------
    params : ndarray, shape (R, P)
        The starting rows (the update rule keeps one state row per row).
    rule : Transform
        The update rule (:mod:`gradmethods.training.optim`).
    iterations : int
        Largest number of steps.
    evaluate : callable
        ``evaluate(i, active, current) -> grad``: the gradient of the rows still running
        (``active`` their indices into ``params``, ``current`` their values), for step ``i``.
    finish : callable
        ``finish(i, active, current, stepped) -> (stepped, stopped)``: given the rows before
        and after the step, the rows to go on from (projected, say) and a boolean per row
        that is True where the row stops now.

    Returns
    -------
    active, current : ndarray
        The rows still running when the budget ran out, and their values.

    Notes
    -----
    A stopped row leaves the stack with its state row (:func:`~gradmethods.training.optim.select_runs`),
    so the remaining rows compute exactly what each would alone.
    """
    state = rule.init(params)
    active = np.arange(params.shape[0])  # index into params of each row of the working stack
    current = params
    for i in range(iterations):
        if active.size == 0:
            break
        grad = evaluate(i, active, current)
        updates, state = rule.update(grad, state)
        current, stopped = finish(i, active, current, apply_updates(current, updates))
        if stopped.any():
            keep = ~stopped
            active, current, state = active[keep], current[keep], select_runs(state, keep)
    return active, current


class _GrowingHistory:
    """The history arrays of a stack, grown by doubling as rows are recorded (never ``iterations`` rows up front)."""

    FIRST_ROWS = 1024

    def __init__(self, n_runs: int, n_counts: int, n_layers: int, iterations: int) -> None:
        self.rows = 0
        capacity = max(1, min(iterations, self.FIRST_ROWS))
        self.costs = np.full((capacity, n_runs), np.nan)
        self.errors = np.full((capacity, n_runs), np.nan)
        self.counts = np.zeros((capacity, n_runs, n_counts), dtype=np.float64)
        self.seconds = np.zeros(capacity)
        self.grad_norms = np.full((capacity, n_runs, n_layers), np.nan) if n_layers else None

    def _grow(self) -> None:
        def doubled(array: np.ndarray, fill: float) -> np.ndarray:
            more = np.full_like(array, fill)
            return np.concatenate([array, more])

        self.costs, self.errors = doubled(self.costs, np.nan), doubled(self.errors, np.nan)
        self.counts, self.seconds = doubled(self.counts, 0.0), doubled(self.seconds, 0.0)
        if self.grad_norms is not None:
            self.grad_norms = doubled(self.grad_norms, np.nan)

    def add(self, i, active, cost, error, counts, seconds, grad_norms) -> None:
        if i >= self.costs.shape[0]:
            self._grow()
        self.costs[i, active], self.errors[i, active], self.counts[i, active] = cost, error, counts
        self.seconds[i] = seconds
        if grad_norms is not None:
            self.grad_norms[i, active] = grad_norms
        self.rows = i + 1

    def arrays(self):
        n = self.rows
        norms = None if self.grad_norms is None else self.grad_norms[:n]
        return self.costs[:n], self.errors[:n], self.counts[:n], self.seconds[:n], norms


@dataclass
class StackRecord:
    """What :func:`gradient_descent_stack` records, as arrays (no per-run DataFrame yet).

    Attributes
    ----------
    params : ndarray, shape (R, P)
        Final parameters of each run.
    costs, errors : ndarray, shape (n_rows, R)
        Row ``i`` measured at the start of iteration ``i``; NaN after a run stopped.
        ``n_rows`` is the longest run's number of rows (at most the iterations).
        float64, or float32 holding a float32 computation's values exactly (read as
        float64 in a history).
    count_names : list of str
        The provider's work counters (``provider.counts()`` keys, ``fpe`` among them).
    counts : ndarray of float64, shape (n_rows, R, len(count_names)), or None
        Each run's cumulative work; :meth:`history` gives the counters of
        :data:`INTEGER_COUNTS` as int64 and the others (``fpe``) as float64.  None
        when every run makes the same calls each step: row ``i`` of counter ``k`` is
        then ``(i + 1) * per_step[k]`` for every run (see ``per_step``).
    seconds : ndarray or RowRange, shape (n_rows,)
        Wall time of the stack at each recorded row.
    rows : ndarray of int, shape (R,)
        Number of history rows of each run.
    outcomes : list of Outcome
    grad_norms : ndarray, shape (n_rows, R, n_layers), optional
        Each layer's gradient norm at each row (with ``record_grad_norms``), else None.
    per_step : ndarray of float64, shape (len(count_names),), optional
        With ``counts=None``: each counter's increase per step, the same for every run.
    """

    params: np.ndarray
    costs: np.ndarray
    errors: np.ndarray
    count_names: list[str]
    counts: np.ndarray | None
    seconds: Any
    rows: np.ndarray
    outcomes: list[Outcome]
    grad_norms: np.ndarray | None = None
    per_step: np.ndarray | None = None

    def _count_column(self, k: int) -> Any:
        """Counter ``k`` over rows and runs: a view ``(n_rows, R)``, or a RowRange shared by every run."""
        if self.counts is not None:
            return self.counts[:, :, k]
        return RowRange(self.costs.shape[0], start=1, step=float(self.per_step[k]), dtype=np.float64)

    def history(self, run: int) -> pd.DataFrame:
        """The history DataFrame of one run."""
        n = self.rows[run]
        columns = {"iteration": np.arange(n), "cost": np.asarray(self.costs[:n, run], dtype=np.float64),
                   "error": np.asarray(self.errors[:n, run], dtype=np.float64)}  # fmt: skip
        for k, name in enumerate(self.count_names):
            values = self._count_column(k)
            values = values[:n] if values.ndim == 1 else values[:n, run]
            columns[name] = values.astype(np.int64) if name in INTEGER_COUNTS else values
        columns["seconds"] = self.seconds[:n]
        if self.grad_norms is not None:
            for k in range(self.grad_norms.shape[2]):
                columns[GRAD_NORM_COLUMN.format(k)] = self.grad_norms[:n, run, k]
        return pd.DataFrame(columns)

    def columns(self) -> RunColumns:
        """The histories as :class:`~gradmethods.training.results.RunColumns`, nothing copied."""
        columns = {"cost": self.costs, "error": self.errors}
        columns.update({name: self._count_column(k) for k, name in enumerate(self.count_names)})
        columns["seconds"] = self.seconds
        if self.grad_norms is not None:
            layers = range(self.grad_norms.shape[2])
            columns.update({GRAD_NORM_COLUMN.format(k): self.grad_norms[:, :, k] for k in layers})
        return RunColumns(columns, self.rows, integer=INTEGER_COUNTS, as_float64=("cost", "error"))

    def runs(self) -> list[tuple[np.ndarray, pd.DataFrame, Outcome]]:
        """``(params, history, outcome)`` of every run."""
        return [(self.params[run], self.history(run), self.outcomes[run]) for run in range(len(self.outcomes))]


def _evaluate(net, provider, current, X, Y, active, groups, total, count_names, streams=(None,), step=None):
    """Cost, gradient and error of the working stack; adds each run's work to ``total``.

    ``step``: the step number of every run of the stack, passed on to a provider with ``uses_step``.
    """
    if groups is None:  # full batch: one call on the whole stack
        cost, grad = _counted_call(provider, net, current, X, Y, active, total, count_names, *streams, step=step)
        error = error_from_outputs(net.trace(current, X)[-1][1], Y)
        return cost, grad, error
    cost = np.empty(current.shape[0], dtype=current.dtype)
    grad = np.empty_like(current)
    for members, batches in groups:
        rows = np.flatnonzero(np.isin(active, members))
        if rows.size == 0:
            continue
        batch = batches.next()
        cost[rows], grad[rows] = _counted_call(
            provider, net, current[rows], X[batch], Y[batch], active[rows], total, count_names, *streams, step=step
        )  # fmt: skip
    # Monitoring on the whole training set (not counted as the method's work).
    z, a = net.trace(current, X)[-1]
    full_cost = net.cost_from_outputs(z, a, Y)
    full_cost = np.where(np.isfinite(cost), full_cost, cost)  # a non-finite batch cost is what stopped the run
    return full_cost, grad, error_from_outputs(a, Y)


def _counted_call(provider, net, stack, X, Y, runs, total, count_names, provider_rngs=None, step=None):
    before = provider_counts(provider)
    rngs = None if provider_rngs is None else [provider_rngs[run] for run in runs]  # each run draws from its own
    if hasattr(provider, "value_and_grad_prechecked"):  # checked once, before the loop (gradient_descent_stack)
        steps = () if step is None else (np.full(stack.shape[0], step, dtype=np.int64),)  # every run is at step i
        cost, grad = provider.value_and_grad_prechecked(net, stack, X, Y, rngs, *steps)
    else:
        cost, grad = provider.value_and_grad(net, stack, X, Y, **({} if rngs is None else {"rng": rngs}),
                                             **({} if step is None else {"step": step}))  # fmt: skip
    after = provider_counts(provider)
    n = stack.shape[0]
    total[runs] += np.array([after[name] - before[name] for name in count_names], dtype=np.float64) / n
    return np.asarray(cost), np.asarray(grad)


def _batch_groups(n_runs, n_samples, batch_size, rngs):
    """``None`` for full batch, else ``[(run indices, Minibatches)]``, one per distinct generator."""
    if batch_size is None:
        return None
    if rngs is None or len(rngs) != n_runs:
        raise ValueError(
            f"batch_size needs one numpy.random.Generator per run for the minibatch order; "
            f"got {None if rngs is None else len(rngs)} for {n_runs} runs."
        )
    groups: dict[int, tuple[list[int], Minibatches]] = {}
    for run, rng in enumerate(rngs):
        key = id(rng)
        if key not in groups:
            groups[key] = ([], Minibatches(n_samples, batch_size, rng))
        groups[key][0].append(run)
    return [(np.array(members), batches) for members, batches in groups.values()]


#: Where gradient descent can run: ``"numpy"`` (the reference), ``"numba"`` (the compiled kernel of
#: :mod:`gradmethods.training.compiled`, which refuses what it cannot compute) or ``"auto"`` (the
#: kernel where it applies and numba is installed, numpy otherwise).
ENGINES = ("auto", "numpy", "numba")
#: ``engine="auto"`` gives a run to the compiled kernel when its step is at most this many
#: multiply-adds (patterns x the layers' fan-in x fan-out, summed): beyond it numpy's BLAS
#: products are faster than the kernel's loops (measured one run and 64 runs at a time, 2 cores:
#: the kernel 2.5-4x faster at 6,144 multiply-adds, even or slower at 49,152, 3-7x slower on
#: digits' 3.4 million; see docs/performance.md).  ``engine="numba"`` ignores it.
AUTO_KERNEL_MAX_MULTIPLY_ADDS = 20_000


def _multiply_adds(net: Network, n_samples: int) -> int:
    """Multiply-adds of one forward pass of ``net`` over ``n_samples`` patterns."""
    return n_samples * sum(fan_in * fan_out for fan_in, fan_out in zip(net.layer_sizes[:-1], net.layer_sizes[1:]))


class GradientDescent:
    """Gradient descent with a gradient provider, as a trainer (the one descent loop behind ``gm.train``).

    ``gm.train(task, method=name)`` with a gradient provider's ``name`` trains with
    ``GradientDescent(provider, ...)``: "backprop" means gradient descent using backprop's
    gradient.  It implements the :class:`~gradmethods.training.trainers.base.Trainer`
    protocol, ``fit`` for one run and ``fit_runs`` for many seeds as one stacked
    computation (:func:`gradient_descent_stack`).

    Parameters
    ----------
    provider : GradientProvider
        The gradient (a registered provider's instance, with its own work counters).
    lr : float or sequence of float, optional
        Learning rate of the shortcut rules (one, or one per run); ``None`` with ``optimizer``.
    momentum : float, default 0
        Heavy-ball momentum of the shortcut rule.
    optimizer : Transform, optional
        The update rule (:mod:`gradmethods.training.optim`), instead of ``lr`` / ``momentum``.
    freeze : {"biases", "weights"} or array_like of bool, optional
        Parameters kept at their initial values (:func:`freeze_mask`).
    batch_size, batch_seed : int, optional
        Minibatch descent (see :func:`gradmethods.train`).
    record_grad_norms : bool, default False
        Record each layer's gradient norm (numpy engine only).
    engine : {"auto", "numpy", "numba"}, default "auto"
        See :data:`ENGINES`.
    """

    name = "gradient_descent"

    def __init__(
        self,
        provider: GradientProvider,
        *,
        lr: Any = None,
        momentum: float = 0.0,
        optimizer: Transform | None = None,
        freeze: Any = None,
        batch_size: int | None = None,
        batch_seed: int | None = None,
        record_grad_norms: bool = False,
        engine: str = "auto",
    ) -> None:
        self.provider = provider
        self.family = getattr(provider, "family", None)
        self.lr, self.momentum, self.optimizer, self.freeze = lr, momentum, optimizer, freeze
        self.batch_size, self.batch_seed, self.record_grad_norms = batch_size, batch_seed, record_grad_norms
        self.engine = validate("engine", engine, [Options(*ENGINES)])
        descent_rule(None if optimizer is not None else (1.0 if lr is None else lr), momentum, optimizer)  # checks

    def fit(self, task, net, params, X, Y, *, iterations, target, seed, settings):
        """Train one run (see :meth:`fit_runs`): a :class:`TrainResult` whose history is built when first read.

        The history is kept as columns until then (a million-step run's counters and
        ``seconds`` are computed from the row number when read), and its final error
        and cost are read without building it.
        """
        stack = None if params is None else np.asarray(params)[None, :]
        return self.fit_runs(task, net, stack, X, Y, iterations=iterations, target=target, seeds=[seed],
                             settings=settings)[0]  # fmt: skip

    def fit_runs(self, task, net, params, X, Y, *, iterations, target, seeds, settings):
        """Train one run per seed as one stack; one :class:`TrainResult` per seed, in seed order.

        ``params`` is the ``(R, P)`` stack of starting points, or None for random ones
        drawn from each run's seed (``numpy.random.default_rng(seed)``).
        """
        dtype = np.dtype(X.dtype)
        if params is None:
            if any(s is None for s in seeds):
                raise ValueError("init='random' needs a seed (an int), so that the run can be repeated.")
            params = np.stack([task.random_params(np.random.default_rng(s), dtype=dtype) for s in seeds])
        frozen = freeze_mask(net, self.freeze)
        engine = self.resolve_engine(net, dtype, X.shape[0])
        common = dict(lr=self.lr, iterations=iterations, target=target, momentum=self.momentum,
                      optimizer=self.optimizer, freeze=frozen, batch_size=self.batch_size,
                      rngs=batch_rngs(seeds, self.batch_seed) if self.batch_size is not None else None,
                      provider_rngs=estimator_rngs(self.provider, seeds) if _stochastic(self.provider) else None)
        if engine == "numba":
            from .. import compiled

            record = compiled.gradient_descent_stack_fast(net, self.provider, params, X, Y, **common)
        else:
            record = gradient_descent_stack(net, self.provider, params, X, Y, **common,
                                            record_grad_norms=self.record_grad_norms)  # fmt: skip
        shared, varying = self._run_settings(len(seeds), engine)
        return RunBatch.from_columns(task.name, self.provider.name, params=record.params, outcomes=record.outcomes,
                                     histories=record.columns(), settings={**settings, **shared},
                                     run_settings={"seed": list(seeds), **varying})  # fmt: skip

    def kernel_problem(self, net: Network, dtype: Any) -> str | None:
        """Why the compiled kernel cannot train ``net`` with this trainer's provider and settings, or None.

        The reason :func:`gradmethods.training.compiled.unsupported_reason` gives (another
        provider, minibatches, an update rule other than sgd/momentum, numba absent, ...),
        whatever :attr:`engine` is.  Suite validation asks it before any run starts, of
        every run that asks for ``engine = "numba"``.
        """
        from .. import compiled

        spec = self.rule_spec()
        if spec is None:
            spec = {"name": "a hand-built transform (no spec)"}
        return compiled.unsupported_reason(net, self.provider, self.batch_size, optimizer=spec,
                                           dtype=np.dtype(dtype), record_grad_norms=self.record_grad_norms)  # fmt: skip

    def resolve_engine(self, net: Network, dtype: np.dtype, n_samples: int | None = None) -> str:
        """The engine that trains ``net`` on ``n_samples`` patterns: ``"auto"`` resolved; ``"numba"`` refused where
        the kernel cannot.

        ``"auto"`` is the kernel where it applies and the step is small enough for it to be the
        faster engine (:data:`AUTO_KERNEL_MAX_MULTIPLY_ADDS`; ``n_samples=None``: not judged),
        numpy otherwise.
        """
        if self.engine == "auto" and n_samples is not None and _multiply_adds(net, n_samples) > (
            AUTO_KERNEL_MAX_MULTIPLY_ADDS
        ):
            return "numpy"
        return resolve_engine(self.engine, lambda: self.kernel_problem(net, dtype), "train")

    def rule_spec(self) -> dict | None:
        """The update rule's spec (None for a hand-built transform)."""
        if self.optimizer is not None:
            return self.optimizer.spec
        if self.momentum:
            return {"name": "momentum", "lr": self.lr, "beta": self.momentum}
        return {"name": "sgd", "lr": self.lr}

    def _run_settings(self, n_runs: int, engine: str) -> tuple[dict, dict[str, list]]:
        """The runs' own settings: those they share, and those that differ run by run (one value per run).

        Only the learning rate differs between the runs of a stack (and with ``optimizer``
        the rule's spec that holds it); the rule, freeze, minibatches and engine are shared.
        """
        spec = self.rule_spec()
        per_run = spec is not None and isinstance(spec.get("lr"), (list, tuple, np.ndarray))
        specs = [_run_spec(spec, run) for run in range(n_runs)] if per_run else [_run_spec(spec, 0)]
        rates = [None if one is None else one.get("lr") for one in specs]
        rates = [float(rate["init_value"]) if isinstance(rate, dict) else rate for rate in rates]
        shared: dict[str, Any] = {}
        varying: dict[str, list] = {"lr": rates} if per_run else {}
        if not per_run:
            shared["lr"] = rates[0]
        if self.optimizer is not None:
            if spec is None:
                shared["optimizer"] = {"name": "custom"}
            elif per_run:
                varying["optimizer"] = specs
            else:
                shared["optimizer"] = specs[0]
        elif self.momentum:
            shared["momentum"] = self.momentum
        if self.freeze is not None:
            shared["freeze"] = self.freeze if isinstance(self.freeze, str) else np.asarray(self.freeze).tolist()
        if self.batch_size is not None:
            shared.update(batch_size=self.batch_size, batch_seed=self.batch_seed)
        if self.record_grad_norms:
            shared["record_grad_norms"] = True
        shared["engine"] = engine
        return shared, varying


def _run_spec(spec: dict | None, run: int) -> dict | None:
    """A rule's spec as one run of a stack saw it: a per-run learning rate list becomes the run's own."""
    if spec is None:
        return None
    spec = dict(spec)
    if isinstance(spec.get("lr"), (list, tuple, np.ndarray)):
        spec["lr"] = float(spec["lr"][run])
    elif isinstance(spec.get("lr"), (int, float, np.floating)):
        spec["lr"] = float(spec["lr"])
    return spec


def _stochastic(provider: Any) -> bool:
    return bool(getattr(provider, "stochastic", False))


def estimator_rngs(provider: Any, seeds: list) -> list[np.random.Generator]:
    """One generator per run for a stochastic provider's random directions: a child of the run's seed.

    Run ``s`` draws its directions from ``default_rng(SeedSequence(s).spawn(2)[1])``: the
    second child of its seed, where the minibatch order takes the first
    (:func:`batch_rngs`) and the initial weights ``default_rng(s)`` itself, so the three
    streams are independent.  A run's stream depends on its seed alone, so batched runs
    equal one-at-a-time runs whatever the stack or the number of workers.
    """
    if any(s is None for s in seeds):
        raise ValueError(
            f"{getattr(provider, 'name', provider)!r} is a stochastic estimator: give seed= (or seeds=) for its "
            "random directions, so that the run can be repeated."
        )
    return [np.random.default_rng(np.random.SeedSequence(s).spawn(2)[1]) for s in seeds]


def batch_rngs(seeds: list, batch_seed: int | None) -> list[np.random.Generator]:
    """One minibatch generator per run: a child of the run's seed, or one shared by all runs of ``batch_seed``."""
    if batch_seed is not None:
        shared = np.random.default_rng(np.random.SeedSequence(batch_seed).spawn(1)[0])
        return [shared] * len(seeds)
    if any(s is None for s in seeds):
        raise ValueError(
            "batch_size needs a seed (or batch_seed) for the minibatch order, so that the run can be repeated."
        )
    return [np.random.default_rng(np.random.SeedSequence(s).spawn(1)[0]) for s in seeds]
