"""The trained digits network that ``dream`` and ``adversarial`` share, cached on disk.

The network is trained with full-batch backprop from ``init="random"`` and saved as
``<out>/digits_model-<key>.npz``, where ``key`` is a hash of every setting that
changes the trained parameters (task, network, cost, learning rate, iterations,
seed, split, package version).  A later command with the same settings loads the
file instead of training again; other settings get their own file.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

DEFAULT_OUT = "results"


@dataclass(frozen=True)
class DigitsModel:
    """A trained digits network, its held-out test set and where it came from."""

    task: Any
    net: Any
    params: np.ndarray
    X_test: np.ndarray
    Y_test: np.ndarray
    path: Path
    from_cache: bool
    test_accuracy: float
    train_seconds: float


def add_model_arguments(parser: argparse.ArgumentParser) -> None:
    """The options shared by the commands that use the trained digits network."""
    from ...core.costs import cost_names

    group = parser.add_argument_group("digits network (trained with backprop, cached under --out)")
    group.add_argument("--iterations", type=int, help="training iterations (default: the digits task's, 1000)")
    group.add_argument("--train-lr", type=float, help="training learning rate (default: the digits task's, 2.0)")
    group.add_argument("--cost", choices=cost_names(), help="cost function (default: the digits task's)")
    group.add_argument("--train-seed", type=int, default=0, help="seed of the initial weights (default: 0)")
    group.add_argument("--retrain", action="store_true", help="train again even if a cached network exists")
    parser.add_argument(
        "--out", default=DEFAULT_OUT, help=f"directory for the PNG and the network cache (default: {DEFAULT_OUT}/)"
    )


def _settings(task: Any, iterations: int, lr: float, seed: int) -> dict[str, Any]:
    from ... import __version__

    return {
        "task": task.name, "layer_sizes": list(task.layer_sizes), "activation": task.activation,
        "cost": task.cost, "method": "backprop", "init": "random", "dtype": "float64",
        "lr": lr, "iterations": iterations, "seed": seed,
        "split_seed": task.metadata["split_seed"], "test_fraction": task.metadata["test_fraction"],
        "version": __version__,
    }  # fmt: skip


def _cache_key(settings: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(settings, sort_keys=True).encode()).hexdigest()[:12]


def _load(path: Path, settings: dict[str, Any], n_params: int) -> tuple[np.ndarray, float] | None:
    try:
        with np.load(path, allow_pickle=False) as stored:
            if json.loads(str(stored["settings"])) != settings or stored["params"].shape != (n_params,):
                return None
            return np.array(stored["params"]), float(stored["train_seconds"])
    except (OSError, KeyError, ValueError):
        return None  # missing, truncated or foreign file: train again


def _save(path: Path, params: np.ndarray, settings: dict[str, Any], seconds: float) -> None:
    """Write atomically: a reader never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".digits_model-", suffix=".npz")
    try:
        with os.fdopen(handle, "wb") as file:
            np.savez(file, params=params, settings=json.dumps(settings, sort_keys=True), train_seconds=seconds)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def trained_digits_model(args: argparse.Namespace) -> DigitsModel:
    """Load the cached network for these settings, or train and cache it."""
    from ...core.classification import accuracy
    from ...core.datasets import held_out_data
    from ...core.tasks import get_task
    from ...training.api import train

    overrides = {} if args.cost is None else {"cost": args.cost}
    try:
        task = get_task("digits", **overrides)
    except ImportError as exc:  # scikit-learn missing: a one-line message from the command line, no traceback
        raise ValueError(str(exc)) from exc
    iterations = task.iterations if args.iterations is None else args.iterations
    lr = task.lr if args.train_lr is None else args.train_lr
    net = task.network()
    settings = _settings(task, iterations, lr, args.train_seed)
    path = Path(args.out) / f"digits_model-{_cache_key(settings)}.npz"
    cached = None if args.retrain else _load(path, settings, net.n_params)
    if cached is None:
        start = time.perf_counter()
        result = train(task, "backprop", lr=lr, iterations=iterations, init="random", seed=args.train_seed)
        params, seconds = result.params, time.perf_counter() - start
        _save(path, params, settings, seconds)
    else:
        params, seconds = cached
    X_test, Y_test = held_out_data(task)
    return DigitsModel(
        task, net, params, X_test, Y_test, path, from_cache=cached is not None,
        test_accuracy=accuracy(net, params, X_test, Y_test), train_seconds=seconds,
    )  # fmt: skip


def describe(model: DigitsModel) -> str:
    """One line: where the network came from and how well it does."""
    how = "loaded cached" if model.from_cache else f"trained ({model.train_seconds:.1f} s)"
    return (
        f"digits network {list(model.task.layer_sizes)}, cost {model.task.cost}: {how}, "
        f"test accuracy {100 * model.test_accuracy:.1f} % on {len(model.X_test)} images [{model.path}]"
    )


def format_outputs(rows: dict[str, np.ndarray]) -> str:
    """A small table of the network's ten outputs, one labelled row each."""
    width = max(len(label) for label in rows)
    header = " " * width + "  " + " ".join(f"{digit:>6d}" for digit in range(10))
    lines = [header] + [f"{label:<{width}}  " + " ".join(f"{v:6.3f}" for v in values) for label, values in rows.items()]
    return "\n".join(lines)


def a_digit(digit: int) -> str:
    """'a 3', 'an 8'."""
    return f"an {digit}" if digit == 8 else f"a {digit}"


def n_steps(count: int) -> str:
    """'1 step', '2 steps'."""
    return f"{count} step" if count == 1 else f"{count} steps"


def save_figure(fig: Any, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    return path
