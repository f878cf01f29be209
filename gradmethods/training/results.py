"""What a training run returns: its outcome, final parameters and history."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["Outcome", "TrainResult", "HISTORY_COLUMNS"]

#: Columns every training history has, whatever the method: ``nfev`` and ``njev`` count
#: calls (cost evaluations and gradients, in the scipy sense), ``fpe`` the work in
#: forward-pass equivalents (float: the arithmetic of one real forward pass of the
#: network, see :class:`gradmethods.gradients.base.Work`), all cumulative per run.
HISTORY_COLUMNS = ("iteration", "cost", "error", "nfev", "njev", "fpe", "seconds")


class Outcome(enum.StrEnum):
    """How a run ended."""

    CONVERGED = "CONVERGED"  #: the error reached the target
    BUDGET_EXHAUSTED = "BUDGET_EXHAUSTED"  #: the iteration / evaluation budget ran out first
    DIVERGED = "DIVERGED"  #: cost, gradient or parameters became non-finite
    FAILED = "FAILED"  #: the run raised an exception (recorded by the experiment runner)

    def __str__(self) -> str:
        return self.value


@dataclass
class TrainResult:
    """The result of :func:`gradmethods.train`.

    Attributes
    ----------
    task, method : str
    outcome : Outcome
    params : ndarray
        Final parameters (after the last update).
    history : pandas.DataFrame
        One row per iteration with at least :data:`HISTORY_COLUMNS`.  Row ``i`` is
        measured at the start of iteration ``i``, before its update, so the last row
        is what the post prints as "Final Error".  The work columns are cumulative:
        ``nfev`` and ``njev`` (int) count calls, ``fpe`` (float) counts
        forward-pass equivalents, the unit in which methods' work compares.
    settings : dict
        The resolved settings of the run (learning rate, iterations, seed, dtype, ...).
    """

    task: str
    method: str
    outcome: Outcome
    params: np.ndarray
    history: pd.DataFrame
    settings: dict[str, Any] = field(default_factory=dict)

    @property
    def final_error(self) -> float:
        return float(self.history["error"].iloc[-1])

    @property
    def final_cost(self) -> float:
        return float(self.history["cost"].iloc[-1])

    @property
    def converged(self) -> bool:
        return self.outcome is Outcome.CONVERGED

    def __repr__(self) -> str:
        return (
            f"TrainResult(task={self.task!r}, method={self.method!r}, outcome={self.outcome.value}, "
            f"iterations={len(self.history)}, final_error={self.final_error:.6g})"
        )
