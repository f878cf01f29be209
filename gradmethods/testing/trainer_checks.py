"""Conformance checks of a trainer (a method that trains a network without handing out a gradient).

Each check takes a registered name, a trainer class or an instance (which is copied),
fits it on a small built-in task through :meth:`~gradmethods.training.trainers.base.Trainer.fit`,
and raises an AssertionError that starts with the check's name when the trainer breaks
the contract.
"""

from __future__ import annotations

import inspect
from dataclasses import fields
from typing import Any

import numpy as np
import pandas as pd

from ..core.params import declared_parameters
from ..core.registry import FAMILIES
from ..core.tasks import get_task
from ..gradients.base import Work
from ..training.results import HISTORY_COLUMNS, Outcome, TrainResult
from ._base import Check, named_check

__all__ = [
    "TRAINER_CHECKS",
    "TRAINER_TASK",
    "check_trainer_contract",
    "check_fit_result",
    "check_same_seed_same_history",
    "check_target_stopping",
    "check_budget_respected",
    "check_counters_non_decreasing",
]

#: The task the trainer checks fit on: the post's OR/AND network (2-2, four patterns).
TRAINER_TASK = "or_and"
#: The budget (``iterations``) of the checks' runs.
ITERATIONS = 12
_COUNTERS = tuple(field.name for field in fields(Work))


def _fit(trainer: Any, *, iterations: int = ITERATIONS, target: float | None = None, seed: int = 0,
         dtype: str = "float64") -> TrainResult:  # fmt: skip
    task = get_task(TRAINER_TASK)
    X, Y = task.data(dtype)
    return trainer.fit(task, task.network(), None, X, Y, iterations=iterations, target=target, seed=seed,
                       settings={})  # fmt: skip


def _without_seconds(history: pd.DataFrame) -> pd.DataFrame:
    return history.drop(columns="seconds")


def _same_rows(first: pd.DataFrame, second: pd.DataFrame, what: str) -> None:
    try:
        pd.testing.assert_frame_equal(_without_seconds(first), _without_seconds(second), check_exact=True)
    except AssertionError as exc:
        raise AssertionError(f"{what}: {exc}") from None


@named_check("trainer")
def check_trainer_contract(trainer: Any) -> None:
    """A ``name``, a ``family`` among FAMILIES, a ``style`` or None, and ``fit`` taking the Trainer arguments."""
    cls = type(trainer)
    name = getattr(trainer, "name", None)
    assert isinstance(name, str) and name, f"{cls.__name__}.name must be a non-empty str; got {name!r}"
    family = getattr(cls, "family", None)
    assert family in FAMILIES, f"{cls.__name__}.family must be one of {list(FAMILIES)}; got {family!r}"
    style = getattr(cls, "style", None)
    assert style is None or (isinstance(style, tuple) and len(style) == 3 and all(isinstance(s, str) for s in style)), (
        f"{cls.__name__}.style must be None or a (color, marker, linestyle) tuple; got {style!r}"
    )
    fit = getattr(trainer, "fit", None)
    assert callable(fit), f"{cls.__name__} has no fit() method (see gradmethods.training.trainers.Trainer)"
    task = get_task(TRAINER_TASK)
    try:
        inspect.signature(fit).bind(task, task.network(), None, task.X, task.Y, iterations=1, target=None, seed=0,
                                    settings={})  # fmt: skip
    except TypeError as exc:
        raise AssertionError(
            f"{cls.__name__}.fit must take (task, net, params, X, Y, *, iterations, target, seed, settings): {exc}"
        ) from None


@named_check("trainer")
def check_fit_result(trainer: Any) -> None:
    """``fit`` returns a TrainResult: the common history columns, an ``iteration`` count, the network's parameters.

    In float32 the final parameters are float32.
    """
    task = get_task(TRAINER_TASK)
    result = _fit(trainer)
    assert isinstance(result, TrainResult), f"fit() must return a TrainResult; got {type(result).__name__}"
    history = result.history
    assert isinstance(history, pd.DataFrame), f"the history must be a pandas DataFrame; got {type(history).__name__}"
    missing = [column for column in HISTORY_COLUMNS if column not in history.columns]
    assert not missing, f"the history lacks the common columns {missing} (it has {list(history.columns)})"
    assert len(history) >= 1, "the history is empty; row 0 is the starting point"
    assert history["iteration"].tolist() == list(range(len(history))), (
        f"the iteration column must count 0, 1, ...; got {history['iteration'].tolist()}"
    )
    assert isinstance(result.outcome, Outcome), f"outcome must be an Outcome; got {result.outcome!r}"
    assert result.task == task.name, f"the result names task {result.task!r}; it was {task.name!r}"
    params = np.asarray(result.params)
    assert params.shape == (task.network().n_params,), (
        f"the final parameters have shape {params.shape}; the network has {task.network().n_params}"
    )
    if result.outcome is not Outcome.DIVERGED:
        assert np.isfinite(params).all(), "final parameters are not finite, yet the outcome is not DIVERGED"
        assert np.isfinite(history[["cost", "error"]].to_numpy()).all(), "the history holds non-finite costs"
    single = _fit(trainer, dtype="float32")
    assert np.asarray(single.params).dtype == np.float32, (
        f"float32 data gave {np.asarray(single.params).dtype} parameters; the run's dtype must be kept"
    )


@named_check("trainer")
def check_same_seed_same_history(trainer: Any) -> None:
    """Two fits with the same seed give the same history (but ``seconds``) and the same parameters."""
    first = _fit(trainer, seed=7)
    second = _fit(trainer, seed=7)
    _same_rows(first.history, second.history, "two fits with seed=7 gave different histories")
    assert np.array_equal(first.params, second.params), "two fits with seed=7 gave different parameters"


@named_check("trainer")
def check_target_stopping(trainer: Any) -> None:
    """With a target, the run stops, CONVERGED, at the first row whose error is <= target, and not before.

    The target is the lowest error of a run without one (same seed), so the run with it
    must be that run's first rows; a target above the first error stops at row 0.
    """
    free = _fit(trainer, seed=1)
    assert free.outcome is not Outcome.CONVERGED, "a run without a target ended CONVERGED"
    errors = free.history["error"].to_numpy()
    target = float(errors.min())
    first = int(np.argmax(errors <= target))
    stopped = _fit(trainer, seed=1, target=target)
    assert stopped.outcome is Outcome.CONVERGED, (
        f"target={target!r} (reached at row {first} without a target) ended {stopped.outcome}"
    )
    assert len(stopped.history) == first + 1, (
        f"target={target!r} is first reached at row {first}, but the run has {len(stopped.history)} rows"
    )
    _same_rows(stopped.history, free.history.iloc[: first + 1],
               f"with target={target!r} the rows differ from the same run without a target")  # fmt: skip
    above = _fit(trainer, seed=1, target=2 * float(errors[0]) + 1e-6)
    assert above.outcome is Outcome.CONVERGED and len(above.history) == 1, (
        f"a target above the first error must stop at row 0 as CONVERGED; got {above.outcome} after "
        f"{len(above.history)} rows"
    )


@named_check("trainer")
def check_budget_respected(trainer: Any) -> None:
    """``iterations`` bounds the history; a declared ``max_nfev`` bounds the networks evaluated."""
    for iterations in (1, 4):
        result = _fit(trainer, iterations=iterations, seed=2)
        assert len(result.history) <= iterations, f"iterations={iterations} gave {len(result.history)} rows"
        assert result.outcome is not Outcome.CONVERGED, f"iterations={iterations} without a target ended CONVERGED"
    if "max_nfev" in declared_parameters(type(trainer)):
        first_row = int(_fit(trainer, iterations=1, seed=2).history["nfev"].iloc[-1])
        budget = 3 * first_row
        budgeted = type(trainer)(max_nfev=budget)
        result = _fit(budgeted, iterations=100, seed=2)
        spent = int(result.history["nfev"].iloc[-1])
        assert spent <= budget, f"max_nfev={budget} but {spent} networks were evaluated"
        assert result.outcome is Outcome.BUDGET_EXHAUSTED, f"max_nfev={budget} ended {result.outcome}"


@named_check("trainer")
def check_counters_non_decreasing(trainer: Any) -> None:
    """The work counters in the history never decrease, and the first row has evaluated something."""
    history = _fit(trainer, seed=3).history
    for column in _COUNTERS:
        if column not in history.columns:
            continue
        values = history[column].to_numpy(dtype=np.float64)
        assert (np.diff(values) >= 0).all(), f"the {column} column decreases: {values.tolist()}"
    assert history["nfev"].iloc[0] >= 1, f"row 0 has nfev={history['nfev'].iloc[0]}; its cost was evaluated"


#: Every trainer check, in the order :func:`gradmethods.testing.check_trainer` runs them.
TRAINER_CHECKS: tuple[Check, ...] = (
    check_trainer_contract,
    check_fit_result,
    check_same_seed_same_history,
    check_target_stopping,
    check_budget_respected,
    check_counters_non_decreasing,
)
