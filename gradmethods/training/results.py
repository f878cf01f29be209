"""What a training run returns: its outcome, final parameters and history."""

from __future__ import annotations

import enum
import gc
from collections.abc import Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["Outcome", "TrainResult", "RunBatch", "RunColumns", "RowRange", "HISTORY_COLUMNS"]

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


@dataclass(eq=False)
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

    Two results are equal when their contents are: task, method, outcome, settings,
    the same final parameters and the same history (values and dtypes).
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
    def history_rows(self) -> int:
        """Number of rows of the history (``len(history)``)."""
        return len(self.history)

    @property
    def converged(self) -> bool:
        return self.outcome is Outcome.CONVERGED

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, TrainResult):
            return NotImplemented
        if self is other:
            return True
        return (
            (self.task, self.method, self.outcome) == (other.task, other.method, other.outcome)
            and _same_settings(self.settings, other.settings)
            and np.array_equal(np.asarray(self.params), np.asarray(other.params), equal_nan=True)
            and self.history.equals(other.history)
            and list(self.history.columns) == list(other.history.columns)
        )

    __hash__ = None  # type: ignore[assignment]  # mutable, compared by contents

    def __repr__(self) -> str:
        return (
            f"TrainResult(task={self.task!r}, method={self.method!r}, outcome={self.outcome.value}, "
            f"iterations={self.history_rows}, final_error={self.final_error:.6g})"
        )


def _same_settings(first: dict, second: dict) -> bool:
    if first.keys() != second.keys():
        return False
    for key, value in first.items():
        other = second[key]
        if isinstance(value, np.ndarray) or isinstance(other, np.ndarray):
            if not np.array_equal(value, other):
                return False
        elif value != other:
            return False
    return True


class RowRange:
    """A history column holding ``(i + start) * step`` at row ``i``, the same for every run, made when read.

    The columns that follow from the row number alone -- ``iteration`` (``0, 1, ...``), a
    compiled stack's work counters (``(i + 1)`` times one call's count) and its wall time
    apportioned evenly over the rows -- need no array of their own: this stands for
    ``np.arange(start, start + n_rows) * step`` in ``dtype`` and computes only the rows
    that are read.  Indexing it (a slice, an int, an array of ints) gives an ndarray;
    ``np.asarray(column)`` gives all of it.

    Parameters
    ----------
    n_rows : int
    start : int, default 0
        The factor of row 0 is ``start``.
    step : int or float, default 1
    dtype : default int64

    Examples
    --------
    >>> column = RowRange(1_000_000, start=1, step=2.5, dtype="float64")
    >>> column[:3].tolist(), column[[999_999]].tolist(), column.shape
    ([2.5, 5.0, 7.5], [2500000.0], (1000000,))
    """

    ndim = 1

    def __init__(self, n_rows: int, start: int = 0, step: float = 1, dtype: Any = np.int64) -> None:
        self.shape = (int(n_rows),)
        self.start, self.step, self.dtype = start, step, np.dtype(dtype)

    def __len__(self) -> int:
        return self.shape[0]

    def _values(self, factors: np.ndarray) -> np.ndarray:
        factors = factors.astype(self.dtype, copy=False)
        return factors if self.step == 1 else factors * self.dtype.type(self.step)

    def __getitem__(self, index: Any) -> np.ndarray:
        n = self.shape[0]
        if isinstance(index, slice):
            first, stop, stride = index.indices(n)
            return self._values(np.arange(first + self.start, stop + self.start, stride, dtype=np.int64))
        rows = np.asarray(index)
        if rows.dtype.kind not in "iu":
            raise IndexError(f"a RowRange is indexed by a slice or ints; got {index!r}.")
        if rows.size and (rows.max() >= n or rows.min() < -n):
            raise IndexError(f"row index out of range for a column of {n} rows.")
        return self._values(np.where(rows < 0, rows + n, rows) + self.start)

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        values = self[:]
        return values if dtype is None else values.astype(dtype)

    def __repr__(self) -> str:
        return f"RowRange(n_rows={self.shape[0]}, start={self.start}, step={self.step!r}, dtype={self.dtype.name})"


class RunColumns:
    """The histories of R runs as columns: one array per history column over all runs.

    Parameters
    ----------
    columns : mapping of str to ndarray or RowRange
        Each column an array ``(n_rows, R)``: row ``i`` of run ``r`` is
        ``column[i, r]``, meaningful for ``i < rows[r]`` only (what follows a run's
        last row is padding); or ``(n_rows,)``, one value per row shared by every run
        (the wall time of a stack), which may be a :class:`RowRange` (computed when
        read).  Without an ``"iteration"`` column, one is made (``0, 1, ...``, a
        RowRange) and put first.
    rows : array_like of int, shape (R,)
        Number of history rows of each run.
    integer : collection of str
        Columns given as floats that hold whole numbers (calls, iterations) and are
        int64 in a run's DataFrame.
    as_float64 : collection of str
        Float columns stored in a narrower dtype (float32: the values of a float32
        computation, which float32 holds exactly) and float64 in a run's DataFrame, as
        the history of a float32 run is.

    Notes
    -----
    Nothing per run is built until asked: :meth:`frame` makes one run's DataFrame,
    :meth:`last` reads every run's last row of a column as one array.  Columns are
    kept as given (no copy): a column may be a strided view of a larger array.
    """

    def __init__(
        self, columns: Mapping[str, Any], rows: Any, integer: Collection[str] = (), as_float64: Collection[str] = ()
    ) -> None:
        self.rows = np.asarray(rows, dtype=np.int64)
        if self.rows.ndim != 1:
            raise ValueError(f"rows must hold one row count per run, shape (R,); got shape {self.rows.shape}.")
        n_runs = self.rows.shape[0]
        n_rows = int(self.rows.max(initial=0))
        given = dict(columns)
        if "iteration" not in given:
            given = {"iteration": RowRange(n_rows), **given}
        self.columns: dict[str, Any] = {}
        for name, values in given.items():
            if not isinstance(values, RowRange):
                values = np.asarray(values)
            runs_axis_fits = values.ndim == 1 or (values.ndim == 2 and values.shape[1] == n_runs)
            if values.ndim not in (1, 2) or values.shape[0] < n_rows or not runs_axis_fits:
                raise ValueError(
                    f"history column {name!r} must have shape (n_rows, R) = (>= {n_rows}, {n_runs}) or (n_rows,); "
                    f"got shape {values.shape}."
                )
            self.columns[name] = values
        integer = {*integer, "iteration"} if self.columns["iteration"].dtype.kind in "iu" else set(integer)
        self.integer = frozenset(name for name in integer if name in self.columns)
        widened = (name for name in as_float64 if name in self.columns and name not in self.integer)
        self.as_float64 = frozenset(
            name for name in widened if self.columns[name].dtype.kind == "f" and self.columns[name].dtype != np.float64
        )

    @property
    def names(self) -> list[str]:
        """The column names, in history order."""
        return list(self.columns)

    def __len__(self) -> int:
        return self.rows.shape[0]

    def _as_read(self, name: str, values: np.ndarray) -> np.ndarray:
        if name in self.integer:
            return values.astype(np.int64)
        if name in self.as_float64:
            return values.astype(np.float64)
        return values

    def column(self, name: str, run: int) -> np.ndarray:
        """Run ``run``'s values of one column (``rows[run]`` of them), in the column's history dtype."""
        values = self.columns[name]
        values = values[: self.rows[run]] if values.ndim == 1 else values[: self.rows[run], run]
        return self._as_read(name, values)

    def value(self, name: str, run: int, row: int = -1) -> Any:
        """One value of run ``run``'s column ``name`` (row ``-1``: its last), read without the rest of the column."""
        n = int(self.rows[run])
        if not -n <= row < n:
            raise IndexError(f"row {row} of a history of {n} rows.")
        row = row % n
        values = self.columns[name]
        found = values[[row]] if values.ndim == 1 else values[[row], run]
        return self._as_read(name, found)[0]

    def frame(self, run: int) -> pd.DataFrame:
        """The history DataFrame of one run."""
        return pd.DataFrame({name: self.column(name, run) for name in self.columns})

    def last(self, name: str) -> np.ndarray:
        """Every run's value of ``name`` at its last row, shape (R,) (NaN for a run without rows)."""
        values = self.columns[name]
        index = np.maximum(self.rows - 1, 0)
        last = values[index] if values.ndim == 1 else values[index, np.arange(len(self))]
        if name in self.integer:
            return last.astype(np.int64)
        return np.where(self.rows > 0, last.astype(np.float64), np.nan)


class _RunStore:
    """What the runs of a :class:`RunBatch` built from columns share: one record of every run."""

    __slots__ = ("task", "method", "outcomes", "params", "histories", "settings", "run_settings")

    def __init__(self, task, method, outcomes, params, histories, settings, run_settings) -> None:
        self.task, self.method, self.outcomes, self.params = task, method, outcomes, params
        self.histories, self.settings, self.run_settings = histories, settings, run_settings

    def field(self, name: str, run: int) -> Any:
        if name == "history":
            return self.histories.frame(run)
        if name == "settings":
            settings = dict(self.settings)
            for key, values in self.run_settings.items():
                settings[key] = values[run]
            return settings
        if name == "params":
            return self.params[run]
        if name == "outcome":
            return self.outcomes[run]
        if name in ("task", "method"):
            return getattr(self, name)
        raise AttributeError(name)


class _StoredRun(TrainResult):
    """A run of a :class:`RunBatch` kept in columns: fields are read from the batch when first used.

    It is a :class:`TrainResult` in every way; its history DataFrame is built on first
    access (and kept), its final error and cost are read from the columns without it.
    A copy or a pickle is a plain :class:`TrainResult`.
    """

    def __init__(self, store: _RunStore | None = None, run: int | None = None, **fields: Any) -> None:
        if store is None:  # built from fields (dataclasses.replace): a result like any other
            TrainResult.__init__(self, **fields)
        self._store = store
        self._run = run

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        value = self._store.field(name, self._run)
        self.__dict__[name] = value  # kept: a mutated history or settings stays mutated
        return value

    def _last(self, column: str) -> float:
        if "history" in self.__dict__:
            return float(self.history[column].iloc[-1])
        return float(self._store.histories.value(column, self._run))

    @property
    def final_error(self) -> float:
        return self._last("error")

    @property
    def final_cost(self) -> float:
        return self._last("cost")

    @property
    def history_rows(self) -> int:
        if "history" in self.__dict__:
            return len(self.history)
        return int(self._store.histories.rows[self._run])

    def __reduce__(self):
        return (TrainResult, (self.task, self.method, self.outcome, self.params, self.history, self.settings))


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector (if it runs) for the block.

    Making 10,000 objects would otherwise start a dozen collections, now and then a full
    one that walks every object of the process (a tenth of a second with numba and
    pandas loaded).  Nothing made in the block is garbage, so nothing is lost.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _html_table(header: list[str], rows: list[list[str]]) -> str:
    from html import escape

    head = "".join(f"<th>{escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{escape(c)}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


class RunBatch(list):
    """The runs of ``gm.train(..., seeds=[...])``: a list of :class:`TrainResult`, one per seed.

    A plain ``list`` in every way (indexing, slicing, iteration, ``len``, equality with
    lists), with a short summary as its repr (and an HTML table in notebooks) and a few
    conveniences.

    A batch built by training (:meth:`from_columns`) keeps its histories as columns
    (:class:`RunColumns`, :attr:`histories`): its runs are :class:`TrainResult` objects
    that build their history DataFrame only when it is asked for, so a batch of
    10,000 tiny runs costs no more than its arrays until it is read run by run.
    :attr:`outcomes`, :attr:`final_errors` and :meth:`to_frame` read the columns.

    Examples
    --------
    >>> import gradmethods as gm
    >>> runs = gm.train("not", init="random", seeds=[1, 2], iterations=50)
    >>> len(runs), runs[0].settings["seed"]
    (2, 1)
    >>> runs                                             # doctest: +ELLIPSIS
    RunBatch(not, backprop, 2 runs: ...; final error median ...)
    >>> runs.histories.last("iteration").tolist()       # every run's last row, from the columns
    [49, 49]
    """

    __slots__ = ("_store",)

    def __init__(self, runs: Any = ()) -> None:
        super().__init__(runs)
        self._store: _RunStore | None = None

    @classmethod
    def from_columns(
        cls,
        task: str,
        method: str,
        *,
        params: np.ndarray,
        outcomes: Sequence[Outcome],
        histories: RunColumns,
        settings: Mapping[str, Any] | None = None,
        run_settings: Mapping[str, Sequence[Any]] | None = None,
    ) -> RunBatch:
        """A batch of R runs recorded as arrays, with no per-run DataFrame built.

        Parameters
        ----------
        task, method : str
        params : ndarray, shape (R, P)
            Final parameters of each run (run ``r``'s ``params`` is the view ``params[r]``).
        outcomes : sequence of R Outcome
        histories : RunColumns
            The histories of the R runs.
        settings : mapping, optional
            The settings every run shares.
        run_settings : mapping of str to sequence of R values, optional
            Settings that differ from run to run (``seed``, ``lr``), added to each run's
            settings after the shared ones.

        Returns
        -------
        RunBatch
            Run ``r`` equals ``TrainResult(task, method, outcomes[r], params[r],
            histories.frame(r), settings | {key: values[r]})``.
        """
        n_runs = len(histories)
        run_settings = {key: list(values) for key, values in (run_settings or {}).items()}
        if np.shape(params)[0] != n_runs or len(outcomes) != n_runs:
            raise ValueError(
                f"from_columns needs one row of params and one outcome per run ({n_runs}); got "
                f"{np.shape(params)[0]} and {len(outcomes)}."
            )
        for key, values in run_settings.items():
            if len(values) != n_runs:
                raise ValueError(f"run_settings[{key!r}] must hold one value per run ({n_runs}); got {len(values)}.")
        store = _RunStore(task, method, list(outcomes), params, histories, dict(settings or {}), run_settings)
        with _collector_paused():  # R small objects without cycles: no heap traversals while they are made
            batch = cls(_StoredRun(store, run) for run in range(n_runs))
        batch._store = store
        return batch

    @property
    def histories(self) -> RunColumns | None:
        """The histories as columns (:class:`RunColumns`), run ``r`` being ``self[r]``; ``None`` when the
        batch was not built from columns (or was changed since)."""
        store = self._store
        if store is None or len(self) != len(store.histories):
            return None
        if any(not isinstance(run, _StoredRun) or run._store is not store or run._run != index
               for index, run in enumerate(self)):  # fmt: skip
            return None
        return store.histories

    def __getitem__(self, index: Any) -> Any:
        found = super().__getitem__(index)
        return RunBatch(found) if isinstance(index, slice) else found

    @property
    def outcomes(self) -> dict[str, int]:
        """How many runs ended with each outcome, e.g. ``{"BUDGET_EXHAUSTED": 2, "CONVERGED": 18}``."""
        counts: dict[str, int] = {}
        for run in self:
            counts[run.outcome.value] = counts.get(run.outcome.value, 0) + 1
        return dict(sorted(counts.items()))

    @property
    def final_errors(self) -> np.ndarray:
        """Each run's error at its last history row."""
        return self._last("error", lambda run: run.final_error)

    def _last(self, column: str, read: Any) -> np.ndarray:
        histories = self.histories
        if histories is not None:
            return histories.last(column)
        return np.array([read(run) for run in self], dtype=float)

    def to_frame(self) -> pd.DataFrame:
        """One row per run: seed, outcome, iterations, final error and cost."""
        histories = self.histories
        rows = histories.rows if histories is not None else [run.history_rows for run in self]
        return pd.DataFrame(
            {"seed": [run.settings.get("seed") for run in self], "outcome": [run.outcome.value for run in self],
             "iterations": np.asarray(rows, dtype=np.int64), "final_error": self.final_errors,
             "final_cost": self._last("cost", lambda run: run.final_cost)},
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

    def __reduce__(self):
        return (RunBatch, (list(self),))
