"""Full-batch gradient descent with any gradient provider."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd

from ..gradients.base import GradientProvider
from ..network import Network, error_from_outputs
from ..results import Outcome

__all__ = ["gradient_descent"]


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
) -> tuple[np.ndarray, pd.DataFrame, Outcome]:
    """Train by steepest descent: ``params -= lr * grad``, the post's update.

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

    Returns
    -------
    params : ndarray
        Final parameters.
    history : DataFrame
        ``iteration, cost, error, <every counter of provider.counts()>, seconds`` (at
        least ``nfev, njev``); row ``i`` is measured at the start of iteration ``i``.
        The counters are cumulative work of the provider since the start;
        ``error`` is measured with one extra forward pass that is not counted (it is
        monitoring, not part of the method).
    outcome : Outcome
        ``CONVERGED``, ``BUDGET_EXHAUSTED`` or ``DIVERGED`` (non-finite cost, gradient
        or parameters; the row that showed it is the last one).
    """
    params = np.array(params, copy=True)
    dtype = params.dtype
    X, Y = np.asarray(X, dtype=dtype), np.asarray(Y, dtype=dtype)
    step = dtype.type(lr)
    counters = _counts(provider)
    count_names, counts0 = list(counters), np.array(list(counters.values()))
    record = np.full((iterations, 3 + len(count_names)), np.nan)
    outcome = Outcome.BUDGET_EXHAUSTED
    start = time.perf_counter()
    rows = iterations
    with np.errstate(all="ignore"):
        for i in range(iterations):
            cost, grad = provider.value_and_grad(net, params, X, Y)
            error = error_from_outputs(net._propagate(params, X)[-1][1], Y)
            record[i, :2] = cost, error
            record[i, 2:-1] = np.array(list(_counts(provider).values())) - counts0
            record[i, -1] = time.perf_counter() - start
            if not (np.isfinite(cost) and np.isfinite(grad).all()):
                outcome, rows = Outcome.DIVERGED, i + 1
                break
            if target is not None and error <= target:
                outcome, rows = Outcome.CONVERGED, i + 1
                break
            params -= step * grad
            if not np.isfinite(params).all():
                outcome, rows = Outcome.DIVERGED, i + 1
                break
    history = pd.DataFrame(record[:rows], columns=["cost", "error", *count_names, "seconds"])
    history.insert(0, "iteration", np.arange(rows))
    history = history.astype(dict.fromkeys(count_names, np.int64))
    return params, history, outcome


def _counts(provider: GradientProvider) -> dict[str, int]:
    """Every work counter the provider keeps (``counts()``), or at least nfev and njev."""
    counts = getattr(provider, "counts", None)
    return dict(counts()) if callable(counts) else {"nfev": provider.nfev, "njev": provider.njev}
