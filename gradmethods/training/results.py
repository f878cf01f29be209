"""What a training run returns: its outcome, final parameters and history."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["Outcome", "TrainResult", "RunBatch", "HISTORY_COLUMNS"]

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


def _html_table(header: list[str], rows: list[list[str]]) -> str:
    from html import escape

    head = "".join(f"<th>{escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{escape(c)}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


class RunBatch(list):
    """The runs of ``gm.train(..., seeds=[...])``: a list of :class:`TrainResult`, one per seed.

    A plain ``list`` in every way (indexing, iteration, ``len``, equality with lists), with
    a short summary as its repr (and an HTML table in notebooks) and a few conveniences.

    Examples
    --------
    >>> import gradmethods as gm
    >>> runs = gm.train("not", init="random", seeds=[1, 2], iterations=50)
    >>> len(runs), runs[0].settings["seed"]
    (2, 1)
    >>> runs                                             # doctest: +ELLIPSIS
    RunBatch(not, backprop, 2 runs: ...; final error median ...)
    """

    __slots__ = ()

    @property
    def outcomes(self) -> dict[str, int]:
        """How many runs ended with each outcome, e.g. ``{"converged": 18, "max_iterations": 2}``."""
        counts: dict[str, int] = {}
        for run in self:
            counts[run.outcome.value] = counts.get(run.outcome.value, 0) + 1
        return dict(sorted(counts.items()))

    @property
    def final_errors(self) -> np.ndarray:
        return np.array([run.final_error for run in self], dtype=float)

    def to_frame(self) -> pd.DataFrame:
        """One row per run: seed, outcome, iterations, final error and cost."""
        return pd.DataFrame(
            [{"seed": run.settings.get("seed"), "outcome": run.outcome.value, "iterations": len(run.history),
              "final_error": run.final_error, "final_cost": run.final_cost} for run in self],
            columns=["seed", "outcome", "iterations", "final_error", "final_cost"],
        )  # fmt: skip

    def _what(self) -> str:
        names = [", ".join(dict.fromkeys(getattr(run, key) for run in self)) for key in ("task", "method")]
        return ", ".join(name for name in names if name)

    def __repr__(self) -> str:
        if not self:
            return "RunBatch([])"
        if not all(isinstance(run, TrainResult) for run in self):
            return f"RunBatch({list.__repr__(self)})"
        outcomes = ", ".join(f"{k} {v}" for k, v in self.outcomes.items())
        errors = self.final_errors
        return (f"RunBatch({self._what()}, {len(self)} runs: {outcomes}; final error median "
                f"{np.median(errors):.3g} [min {errors.min():.3g}, max {errors.max():.3g}])")  # fmt: skip

    def _repr_html_(self) -> str:
        from html import escape

        if not self or not all(isinstance(run, TrainResult) for run in self):
            return f"<pre>{escape(repr(self))}</pre>"
        outcomes = ", ".join(f"{k} {v}" for k, v in self.outcomes.items())
        frame = self.to_frame()
        rows = [[str(r.seed), r.outcome, str(r.iterations), f"{r.final_error:.4g}", f"{r.final_cost:.4g}"]
                for r in frame.itertuples()]  # fmt: skip
        return (f"<div><p><b>RunBatch</b>: {escape(self._what())}, {len(self)} runs ({escape(outcomes)})</p>"
                + _html_table(list(frame.columns), rows) + "</div>")  # fmt: skip
