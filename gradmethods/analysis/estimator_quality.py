"""How good one gradient estimate is: the stochastic estimators against backprop, as P grows.

For each network size and each estimator, :func:`estimator_quality` draws S estimates
at one parameter point, each from its own seeded generator, and compares them with the
exact gradient ``g`` from backprop:

* the cosine similarity ``ĝ·g / (|ĝ| |g|)`` (mean and standard deviation over the S
  estimates): the share of a step along ``ĝ`` that goes downhill.  For the forward
  gradient with one Gaussian tangent ``ĝ = (g·v) v`` and the cosine is ``|a| / |v|``
  with ``a ~ N(0, 1)`` and ``|v|² ~ χ²(P)``: about ``sqrt(2 / (π P))``;
* the relative error ``|ĝ - g| / |g|`` (mean and standard deviation);
* the variance: the trace of the estimates' sample covariance over ``|g|²``
  (``P + 1`` in theory for one Gaussian tangent, ``(P + 1) / k`` for k of them);
* the cost of one estimate: the provider's declared forward-pass equivalents and cost
  evaluations per call (its counters over its calls), and the measured seconds.

The S estimates are computed as stacked calls: a stack of identical parameter rows with
one generator per row gives independent estimates in one call (see
:mod:`gradmethods.gradients.base`), in chunks that keep the arrays of a call small.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..core.network import Network
from ..core.registry import get_method, get_provider
from ..core.tasks import Task, get_task

__all__ = ["estimator_quality", "save_estimator_quality", "ESTIMATOR_QUALITY_FILE", "DEFAULT_ESTIMATORS",
           "hidden_width"]

#: The file of a results folder that holds :func:`estimator_quality` tables; the report draws it
#: (:func:`gradmethods.report.plots.estimator_cosine`) when present.
ESTIMATOR_QUALITY_FILE = "estimator_quality.csv"

#: The estimators compared by default: backprop (the reference, compared with itself),
#: the forward gradient with 1, 8 and 64 tangents, SPSA and ES at their defaults.
DEFAULT_ESTIMATORS: tuple[tuple[str, dict], ...] = (
    ("backprop", {}),
    ("forward_gradient", {"k": 1}),
    ("forward_gradient", {"k": 8}),
    ("forward_gradient", {"k": 64}),
    ("spsa", {}),
    ("es_gradient", {}),
)

#: Largest number of floats, roughly, that one stacked call may hold per layer.
_CHUNK_ELEMENTS = 2 * 10**7

COLUMNS = [
    "task", "estimator", "method", "settings", "P", "hidden", "samples",
    "cos_mean", "cos_std", "rel_error_mean", "rel_error_std", "variance",
    "fpe_per_estimate", "nfev_per_estimate", "seconds_per_estimate",
]  # fmt: skip


def hidden_width(task: Task, n_params: int) -> int:
    """The hidden width h whose network ``n_inputs - h - n_outputs`` has about ``n_params`` parameters.

    Such a network has ``h (n_inputs + 1 + n_outputs) + n_outputs`` parameters; h is at least 1.
    """
    n_in, n_out = task.layer_sizes[0], task.layer_sizes[-1]
    return max(1, round((n_params - n_out) / (n_in + 1 + n_out)))


def _estimators(estimators: Iterable[Any] | None) -> list[tuple[str, dict]]:
    chosen = []
    for item in DEFAULT_ESTIMATORS if estimators is None else estimators:
        name, settings = (item, {}) if isinstance(item, str) else (item[0], dict(item[1]))
        get_provider(name, **settings)  # validates the name and the settings
        chosen.append((name, settings))
    return chosen


def _label(name: str, settings: dict) -> str:
    return " ".join([name] + [f"{key}={value}" for key, value in settings.items()])


def _cosines(estimates: np.ndarray, exact: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    norm = np.linalg.norm(exact)
    norms = np.linalg.norm(estimates, axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        cosine = np.where(norms > 0, estimates @ exact / (norms * norm), 0.0)
    return cosine, np.linalg.norm(estimates - exact, axis=1) / norm


def estimator_quality(
    task: str | Task = "or_and",
    *,
    estimators: Iterable[Any] | None = None,
    n_params: Sequence[int] = (10, 100, 1_000, 10_000),
    samples: int = 32,
    seed: int = 0,
    activation: str | None = None,
) -> pd.DataFrame:
    """Cosine similarity, error, variance and cost of gradient estimates, for growing networks.

    Each size of ``n_params`` gives a network ``n_inputs - h - n_outputs`` on the task's
    data (h from :func:`hidden_width`, the task's cost), with parameters drawn by
    ``Network.init_params`` from ``default_rng(seed)``.  Every estimator draws
    ``samples`` estimates there, estimate s from its own generator (children of
    ``SeedSequence(seed)``, one family per size and estimator), and is compared with
    backprop's gradient.  An exact method (``backprop``) is evaluated as a stack of S
    identical rows too, so that its time per gradient is measured as the estimators' is.

    Parameters
    ----------
    task : str or Task, default "or_and"
        Data and cost (and the input and output sizes of the networks).
    estimators : iterable, optional
        Method names or ``(name, settings)`` pairs; default :data:`DEFAULT_ESTIMATORS`.
    n_params : sequence of int, default (10, 100, 1000, 10000)
        Approximate parameter counts of the networks (sizes giving the same hidden width
        are measured once).
    samples : int, default 32
        Estimates per estimator and size (S).
    seed : int, default 0
        Seed of the parameters and of the estimators' generators: the same seed gives
        the same table, except ``seconds_per_estimate``.
    activation : str, optional
        Hidden and output activation; default the task's when it names one, else
        ``"sigmoid"``.

    Returns
    -------
    pandas.DataFrame
        One row per estimator and size, columns ``task, estimator`` (name and
        settings), ``method, settings, P, hidden, samples, cos_mean, cos_std,
        rel_error_mean, rel_error_std, variance`` (trace of the sample covariance
        over ``|g|²``; 0 for an exact method), ``fpe_per_estimate, nfev_per_estimate``
        (the provider's declared work of one estimate) and ``seconds_per_estimate``
        (median over the stacked calls of a call's time over its estimates).

    Examples
    --------
    >>> import gradmethods as gm
    >>> table = gm.estimator_quality("or_and", n_params=(10, 1000), samples=8,
    ...                              estimators=["backprop", ("forward_gradient", {"k": 8})])
    >>> print(table[["estimator", "P", "cos_mean"]].round(2).to_string(index=False))
               estimator    P  cos_mean
                backprop   12      1.00
    forward_gradient k=8   12      0.62
                backprop 1002      1.00
    forward_gradient k=8 1002      0.10
    """
    if isinstance(samples, bool) or not isinstance(samples, (int, np.integer)) or samples < 1:
        raise ValueError(f"samples must be an integer >= 1. Got {samples!r} instead.")
    task = get_task(task)
    chosen = _estimators(estimators)
    if activation is None:
        activation = task.activation if isinstance(task.activation, str) else "sigmoid"
    X, Y = task.data("float64")
    widths = list(dict.fromkeys(hidden_width(task, int(p)) for p in n_params))
    reference = get_provider("backprop")
    rows = []
    for size_index, width in enumerate(widths):
        net = Network((task.layer_sizes[0], width, task.layer_sizes[-1]), activation=activation, cost=task.cost)
        params = net.init_params(np.random.default_rng(seed))
        _, exact = reference.value_and_grad(net, params, X, Y)
        for estimator_index, (name, settings) in enumerate(chosen):
            provider = get_provider(name, **settings)
            stochastic = get_method(name).stochastic
            count = samples
            streams = np.random.SeedSequence(seed, spawn_key=(size_index, estimator_index)).spawn(count)
            per_call = provider.value_and_grad_work(net, 1, X.shape[0]).fpe
            chunk = max(1, min(count, int(_CHUNK_ELEMENTS // max(1.0, per_call * X.shape[0] * max(width, 1)))))
            estimates, seconds = [], []
            for start in range(0, count, chunk):
                block = streams[start:start + chunk]
                stack = np.repeat(params[None, :], len(block), axis=0)
                rng = [np.random.default_rng(stream) for stream in block] if stochastic else None
                began = time.perf_counter()
                _, grads = provider.value_and_grad(net, stack, X, Y, rng=rng)
                seconds.append((time.perf_counter() - began) / len(block))
                estimates.append(grads)
            estimates = np.concatenate(estimates)
            cosine, error = _cosines(estimates, exact)
            centered = estimates - estimates.mean(axis=0)
            variance = float((centered**2).sum() / max(count - 1, 1) / (exact @ exact)) if count > 1 else 0.0
            counts = provider.counts()
            rows.append({
                "task": task.name, "estimator": _label(name, settings), "method": name,
                "settings": ", ".join(f"{key}={value}" for key, value in settings.items()),
                "P": net.n_params, "hidden": width, "samples": count,
                "cos_mean": float(cosine.mean()), "cos_std": float(cosine.std()),
                "rel_error_mean": float(error.mean()), "rel_error_std": float(error.std()),
                "variance": variance,
                "fpe_per_estimate": counts["fpe"] / count, "nfev_per_estimate": counts["nfev"] / count,
                "seconds_per_estimate": float(np.median(seconds)),
            })  # fmt: skip
    return pd.DataFrame(rows, columns=COLUMNS)


def save_estimator_quality(table: pd.DataFrame, directory: str | os.PathLike) -> Path:
    """Write ``table`` into ``directory/estimator_quality.csv``, replacing that file's rows of the same tasks.

    The rows of other tasks already in the file are kept, so tables measured task by task
    (``gradmethods check --estimators --task or_and --out DIR``, then ``--task digits``)
    gather in one file, which ``gradmethods report DIR`` / ``plot DIR`` draw with one panel
    per task.  The file is replaced atomically; ``directory`` is created if needed.

    Parameters
    ----------
    table : DataFrame
        What :func:`estimator_quality` returns.
    directory : path
        A results folder (any folder).

    Returns
    -------
    Path
        The file written.

    Examples
    --------
    >>> import tempfile, pandas as pd
    >>> folder = tempfile.mkdtemp()
    >>> first = pd.DataFrame({"task": ["or_and"], "estimator": ["spsa"], "P": [12], "cos_mean": [0.2]})
    >>> path = save_estimator_quality(first, folder)
    >>> path = save_estimator_quality(first.assign(task="xor", P=9), folder)
    >>> path = save_estimator_quality(first.assign(cos_mean=0.3), folder)
    >>> pd.read_csv(path)[["task", "cos_mean"]].values.tolist()
    [['xor', 0.2], ['or_and', 0.3]]
    """
    if "task" not in getattr(table, "columns", ()):
        raise ValueError("table must be a DataFrame with a 'task' column (what estimator_quality returns).")
    folder = Path(directory)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / ESTIMATOR_QUALITY_FILE
    if path.is_file():
        kept = pd.read_csv(path)
        if "task" in kept.columns:
            kept = kept[~kept["task"].astype(str).isin(table["task"].astype(str))]
            table = pd.concat([kept, table], ignore_index=True) if not kept.empty else table
    partial = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    table.to_csv(partial, index=False)
    os.replace(partial, path)
    return path
