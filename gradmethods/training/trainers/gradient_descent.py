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
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ...core.network import Network, error_from_outputs
from ...gradients.base import GradientProvider
from ..optim import Minibatches, Transform, apply_updates, select_runs, sgd
from ..optim import momentum as momentum_rule
from ..results import Outcome

__all__ = ["gradient_descent", "gradient_descent_runs", "gradient_descent_stack", "StackRecord", "provider_counts",
           "layer_gradient_norms", "GRAD_NORM_COLUMN", "INTEGER_COUNTS"]  # fmt: skip

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


def update_rule(lr: Any, momentum: float = 0.0) -> Transform:
    """The update rule gradient descent uses: :func:`~gradmethods.training.optim.sgd` or momentum."""
    return sgd(lr) if momentum == 0 else momentum_rule(lr, momentum)


def gradient_descent(
    net: Network,
    provider: GradientProvider,
    params: np.ndarray,
    X: np.ndarray,
    Y: np.ndarray,
    *,
    lr: float,
    iterations: int,
    target: float | None = None,
    momentum: float = 0.0,
    batch_size: int | None = None,
    rng: np.random.Generator | None = None,
    record_grad_norms: bool = False,
    provider_rng: np.random.Generator | None = None,
) -> tuple[np.ndarray, pd.DataFrame, Outcome]:
    """Train one network by steepest descent: ``params -= lr * grad``, the post's update.

    Parameters
    ----------
    net, provider
        The network and the gradient provider.
    params : ndarray, shape (P,)
        Initial parameters; their dtype is the dtype of the whole computation.
    X, Y : ndarray
        Training inputs and targets.
    lr : float
    iterations : int
        Number of updates (the post's ``c_numTrainings``).
    target : float, optional
        Stop as soon as the error is ``<= target`` (that iteration makes no update).
    momentum : float, default 0
        Heavy-ball momentum ``beta`` in [0, 1): ``v = beta v + g``, ``params -= lr v``.
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
        momentum=momentum, batch_size=batch_size, rngs=None if rng is None else [rng],
        record_grad_norms=record_grad_norms, provider_rngs=None if provider_rng is None else [provider_rng],
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
    lr: float | Sequence[float],
    iterations: int,
    target: float | None = None,
    momentum: float = 0.0,
    batch_size: int | None = None,
    rngs: Sequence[np.random.Generator] | None = None,
    record_grad_norms: bool = False,
    provider_rngs: Sequence[np.random.Generator] | None = None,
) -> StackRecord:
    """Train R independent runs as one stacked computation.

    Parameters
    ----------
    params : ndarray, shape (R, P)
        One initial parameter vector per run.
    lr : float or sequence of R floats
        One learning rate for all runs, or one per run.
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
    removed from the stack (``params``, update state and learning rate alike), so
    the remaining runs compute exactly what they would alone: every operation of the
    step is independent across the run axis.
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
    if hasattr(provider, "check_call"):  # validated once here; each step calls the unchecked path
        params, X, Y, _ = provider.check_call(net, params, X, Y)
        provider.check_rng(provider_rngs, n_runs)
    rule = update_rule(lr, momentum)
    state = rule.init(params)

    count_names = list(provider_counts(provider))
    n_counts = len(count_names)
    costs = np.full((iterations, n_runs), np.nan)
    errors = np.full((iterations, n_runs), np.nan)
    counts = np.zeros((iterations, n_runs, n_counts), dtype=np.float64)
    seconds = np.zeros(iterations)
    grad_norms = np.full((iterations, n_runs, net.n_layers), np.nan) if record_grad_norms else None
    total = np.zeros((n_runs, n_counts), dtype=np.float64)
    rows = np.full(n_runs, iterations)
    outcomes = [Outcome.BUDGET_EXHAUSTED] * n_runs
    final = params.copy()

    active = np.arange(n_runs)  # run index of each row of the working stack
    current = params
    start = time.perf_counter()
    with np.errstate(all="ignore"):
        for i in range(iterations):
            if active.size == 0:
                break
            cost, grad, error = _evaluate(net, provider, current, X, Y, active, groups, total, count_names, streams)
            costs[i, active], errors[i, active] = cost, error
            counts[i, active] = total[active]
            if grad_norms is not None:
                grad_norms[i, active] = layer_gradient_norms(net, grad)
            seconds[i] = time.perf_counter() - start

            bad = ~(np.isfinite(cost) & np.isfinite(grad).all(axis=1))
            reached = ~bad & (error <= target) if target is not None else np.zeros_like(bad)
            updates, state = rule.update(grad, state)
            previous, current = current, apply_updates(current, updates)
            blew_up = ~bad & ~reached & ~np.isfinite(current).all(axis=1)
            stopped = bad | reached | blew_up
            for row in np.flatnonzero(stopped):
                run = active[row]
                rows[run] = i + 1
                outcomes[run] = Outcome.CONVERGED if reached[row] else Outcome.DIVERGED
                # Stopped before its update (non-finite gradient, target reached) or after it.
                final[run] = current[row] if blew_up[row] else previous[row]
            if stopped.any():
                keep = ~stopped
                active, current, state = active[keep], current[keep], select_runs(state, keep)
    final[active] = current
    return StackRecord(final, costs, errors, count_names, counts, seconds, rows, outcomes, grad_norms)


@dataclass
class StackRecord:
    """What :func:`gradient_descent_stack` records, as arrays (no per-run DataFrame yet).

    Attributes
    ----------
    params : ndarray, shape (R, P)
        Final parameters of each run.
    costs, errors : ndarray, shape (iterations, R)
        Row ``i`` measured at the start of iteration ``i``; NaN after a run stopped.
    count_names : list of str
        The provider's work counters (``provider.counts()`` keys, ``fpe`` among them).
    counts : ndarray of float64, shape (iterations, R, len(count_names))
        Each run's cumulative work; :meth:`history` gives the counters of
        :data:`INTEGER_COUNTS` as int64 and the others (``fpe``) as float64.
    seconds : ndarray, shape (iterations,)
        Wall time of the stack at each recorded row.
    rows : ndarray of int, shape (R,)
        Number of history rows of each run.
    outcomes : list of Outcome
    grad_norms : ndarray, shape (iterations, R, n_layers), optional
        Each layer's gradient norm at each row (with ``record_grad_norms``), else None.
    """

    params: np.ndarray
    costs: np.ndarray
    errors: np.ndarray
    count_names: list[str]
    counts: np.ndarray
    seconds: np.ndarray
    rows: np.ndarray
    outcomes: list[Outcome]
    grad_norms: np.ndarray | None = None

    def history(self, run: int) -> pd.DataFrame:
        """The history DataFrame of one run."""
        n = self.rows[run]
        columns = {"iteration": np.arange(n), "cost": self.costs[:n, run], "error": self.errors[:n, run]}
        for k, name in enumerate(self.count_names):
            values = self.counts[:n, run, k]
            columns[name] = values.astype(np.int64) if name in INTEGER_COUNTS else values
        columns["seconds"] = self.seconds[:n]
        if self.grad_norms is not None:
            for k in range(self.grad_norms.shape[2]):
                columns[GRAD_NORM_COLUMN.format(k)] = self.grad_norms[:n, run, k]
        return pd.DataFrame(columns)

    def runs(self) -> list[tuple[np.ndarray, pd.DataFrame, Outcome]]:
        """``(params, history, outcome)`` of every run."""
        return [(self.params[run], self.history(run), self.outcomes[run]) for run in range(len(self.outcomes))]


def _evaluate(net, provider, current, X, Y, active, groups, total, count_names, streams=(None,)):
    """Cost, gradient and error of the working stack; adds each run's work to ``total``."""
    if groups is None:  # full batch: one call on the whole stack
        cost, grad = _counted_call(provider, net, current, X, Y, active, total, count_names, *streams)
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
            provider, net, current[rows], X[batch], Y[batch], active[rows], total, count_names, *streams
        )  # fmt: skip
    # Monitoring on the whole training set (not counted as the method's work).
    z, a = net.trace(current, X)[-1]
    full_cost = net.cost_from_outputs(z, a, Y)
    full_cost = np.where(np.isfinite(cost), full_cost, cost)  # a non-finite batch cost is what stopped the run
    return full_cost, grad, error_from_outputs(a, Y)


def _counted_call(provider, net, stack, X, Y, runs, total, count_names, provider_rngs=None):
    before = provider_counts(provider)
    rngs = None if provider_rngs is None else [provider_rngs[run] for run in runs]  # each run draws from its own
    if hasattr(provider, "value_and_grad_prechecked"):  # checked once, before the loop (gradient_descent_stack)
        cost, grad = provider.value_and_grad_prechecked(net, stack, X, Y, rngs)
    else:
        cost, grad = provider.value_and_grad(net, stack, X, Y, **({} if rngs is None else {"rng": rngs}))
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
