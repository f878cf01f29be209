"""Convergence reports from a suite's records: tidy pandas tables, CSV and Markdown.

``gm.load_results(DIR)`` reads what :mod:`gradmethods.suites.runner` wrote and returns a
:class:`Results` with three tidy DataFrames:

* ``runs`` — one row per finished run: ``run_id, task, method, seed, replicate,
  outcome, iterations, nfev, njev, fpe, seconds, final_error, final_cost, target, lr,
  budget_iterations, init, dtype, message`` and one column per method option and per
  grid setting (a grid over ``iterations`` is the ``budget_iterations`` column); for a
  task with a held-out test set (``digits``) also ``train_accuracy, test_accuracy,
  test_error, test_cost`` of each run's final parameters;
* ``curves`` — long format, one row per run and iteration: ``run_id, iteration, nfev,
  njev, fpe, seconds, cost, error`` and any extra history column a method records;
* ``summary`` — one row per task x method (x grid point): see :func:`summarize`.

Work comes in two units.  ``nfev`` and ``njev`` count *calls* (cost evaluations and
gradients in the scipy sense: a dual-number pass carrying 151 tangents, a complex pass
and a backprop call count one each).  ``fpe`` counts *forward-pass equivalents*: the
arithmetic of the method's calls in multiples of one real forward pass of the same
network (:class:`gradmethods.gradients.base.Work`), the unit in which methods' work
compares.  Results written before ``fpe`` was recorded have none: their ``fpe`` column
is NaN (never filled in from ``nfev``), the summary's fpe figures are NaN, and reports
fall back to ``nfev``, saying so (:func:`fpe_recorded`).
"""

from __future__ import annotations

import hashlib
import importlib
import json
import math
import warnings
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy.special import ndtri

from ..training.results import Outcome
from .markdown import to_markdown
from .numbers import column_format, format_count, format_spread
from .runner import (
    CURVES_DIR,
    LOG_FILE,
    SCORE_FIELDS,
    SUITE_FILE,
    RunLog,
    atomic_write_text,
    count_problems,
    curve_problem,
)
from .suite import RunSpec, Suite

__all__ = ["Results", "load_results", "summarize", "wilson_interval", "expected_running_time", "write_report_files",
           "summary_markdown", "fpe_recorded", "summary_has_fpe", "RUN_COLUMNS", "CURVE_COLUMNS",
           "SUMMARY_COLUMNS"]  # fmt: skip

RUN_COLUMNS = (
    "run_id", "task", "method", "seed", "replicate", "outcome", "iterations", "nfev", "njev", "fpe", "seconds",
    "final_error", "final_cost", "target", "lr", "budget_iterations", "init", "dtype", "message",
)  # fmt: skip
CURVE_COLUMNS = ("run_id", "iteration", "nfev", "njev", "fpe", "seconds", "cost", "error")
SUMMARY_COLUMNS = (
    "task", "method", "runs", "successes", "success_rate", "success_low", "success_high",
    "iterations_median", "iterations_q25", "iterations_q75", "nfev_median", "nfev_q25", "nfev_q75",
    "fpe_median", "fpe_q25", "fpe_q75", "seconds_median", "seconds_q25", "seconds_q75", "ert_nfev", "ert_fpe",
    "final_error_q10", "final_error_median", "final_error_q90",
)  # fmt: skip
#: Columns of runs on a task with a test set (see :data:`gradmethods.suites.runner.SCORE_FIELDS`), after the fixed ones.
SCORE_COLUMNS = SCORE_FIELDS
#: Summary columns added when the runs have test accuracies (over all runs that have one, not only successes).
TEST_ACCURACY_SUMMARY_COLUMNS = ("test_accuracy_median", "test_accuracy_q25", "test_accuracy_q75",
                                 "train_accuracy_median")  # fmt: skip
_SETTING_COLUMNS = {"lr": "lr", "iterations": "budget_iterations", "init": "init", "dtype": "dtype",
                    "target": "target"}  # fmt: skip


def wilson_interval(successes: int, trials: int, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval for a binomial proportion.

    Notes
    -----
    With ``p = successes / trials`` and ``z`` the two-sided normal quantile::

        centre = (p + z²/2n) / (1 + z²/n),  half = z / (1 + z²/n) * sqrt(p(1-p)/n + z²/4n²)

    Unlike the normal (Wald) interval it stays inside [0, 1] and does not collapse to
    a point at 0 or n successes, which matters for the small run counts of a suite.
    ``trials == 0`` gives ``(nan, nan)``.

    Examples
    --------
    >>> low, high = wilson_interval(0, 20)
    >>> round(low, 4), round(high, 4)
    (0.0, 0.1611)
    """
    if trials == 0:
        return math.nan, math.nan
    z = float(ndtri(0.5 + confidence / 2))
    p = successes / trials
    denominator = 1 + z * z / trials
    centre = (p + z * z / (2 * trials)) / denominator
    half = z / denominator * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials))
    return max(0.0, centre - half), min(1.0, centre + half)


def expected_running_time(work: np.ndarray, successes: int) -> float:
    """ERT as in COCO: work spent by all runs (successful or not) / number of successes.

    ``work`` is each run's work in one unit: function evaluations (``nfev``) or
    forward-pass equivalents (``fpe``).  Infinite when no run succeeded; ``nan`` when
    there are no runs.
    """
    work = np.asarray(work, dtype=float)
    if work.size == 0:
        return math.nan
    return math.inf if successes == 0 else float(work.sum() / successes)


def fpe_recorded(frame: pd.DataFrame | None) -> bool:
    """Whether every row of ``frame`` (runs or curves) records its work in forward-pass equivalents.

    False for results written before ``fpe`` was recorded (no column, or NaN), and for
    a frame in which any run lacks it (a trainer that does not count it): work in one
    table or figure is then shown in function evaluations (calls) for every run, with
    labels that say so, never in two units side by side.

    Examples
    --------
    >>> import pandas as pd
    >>> fpe_recorded(pd.DataFrame({"nfev": [3], "fpe": [6.6]})), fpe_recorded(pd.DataFrame({"nfev": [3]}))
    (True, False)
    """
    if frame is None or "fpe" not in frame.columns or frame.empty:
        return False
    return bool(pd.to_numeric(frame["fpe"], errors="coerce").notna().all())


def summarize(runs: pd.DataFrame, by: tuple[str, ...] = ("task", "method")) -> pd.DataFrame:
    """One row per group (task x method, plus grid settings): success and cost to target.

    Columns: ``runs, successes, success_rate, success_low, success_high`` (95 % Wilson
    interval), median and quartiles of ``iterations``, ``nfev`` (calls), ``fpe``
    (forward-pass equivalents) and ``seconds`` over the *successful* runs (the cost to
    reach the target; NaN if none succeeded), ``ert_nfev`` and ``ert_fpe``
    (:func:`expected_running_time` in calls and in forward-pass equivalents), and the
    10 %, 50 % and 90 % quantiles of the final error over all runs that produced one.
    A success is a run whose outcome is ``CONVERGED``.  The ``fpe`` figures of a group
    in which any run lacks ``fpe`` (results written before it was recorded) are NaN:
    they are not estimated from the runs that have it, nor from ``nfev``.  When
    ``runs`` has a ``test_accuracy`` column (a task with a held-out test set), also
    :data:`TEST_ACCURACY_SUMMARY_COLUMNS`: median and quartiles of the test accuracy
    and the median training accuracy over all runs that have one (the accuracy each
    method reached, success or not).
    """
    scored = "test_accuracy" in runs.columns
    if "fpe" not in runs.columns:
        runs = runs.assign(fpe=math.nan)
    rows = []
    for key, group in runs.groupby(list(by), sort=False, dropna=False):
        key = key if isinstance(key, tuple) else (key,)
        success = group["outcome"] == str(Outcome.CONVERGED)
        n, s = len(group), int(success.sum())
        low, high = wilson_interval(s, n)
        row = dict(zip(by, key))
        row.update(runs=n, successes=s, success_rate=s / n if n else math.nan, success_low=low, success_high=high)
        for column in ("iterations", "nfev", "fpe", "seconds"):
            values = group.loc[success, column].to_numpy(dtype=float)
            known = values.size and not np.isnan(values).any()  # NaN: not recorded (fpe of old results)
            q25, median, q75 = np.quantile(values, [0.25, 0.5, 0.75]) if known else (math.nan,) * 3
            row.update({f"{column}_median": median, f"{column}_q25": q25, f"{column}_q75": q75})
        row["ert_nfev"] = expected_running_time(group["nfev"].to_numpy(), s)
        fpe = group["fpe"].to_numpy(dtype=float)
        row["ert_fpe"] = expected_running_time(fpe, s) if not np.isnan(fpe).any() else math.nan
        errors = group["final_error"].to_numpy(dtype=float)
        errors = errors[np.isfinite(errors)]
        q10, q50, q90 = np.quantile(errors, [0.1, 0.5, 0.9]) if errors.size else (math.nan,) * 3
        row.update(final_error_q10=q10, final_error_median=q50, final_error_q90=q90)
        if scored:
            test = group["test_accuracy"].to_numpy(dtype=float)
            test = test[np.isfinite(test)]
            q25, median, q75 = np.quantile(test, [0.25, 0.5, 0.75]) if test.size else (math.nan,) * 3
            train = group["train_accuracy"].to_numpy(dtype=float) if "train_accuracy" in group else np.array([])
            train = train[np.isfinite(train)]
            row.update(test_accuracy_median=median, test_accuracy_q25=q25, test_accuracy_q75=q75,
                       train_accuracy_median=float(np.median(train)) if train.size else math.nan)  # fmt: skip
        rows.append(row)
    columns = list(by) + [c for c in SUMMARY_COLUMNS if c not in by]
    if scored:
        columns += list(TEST_ACCURACY_SUMMARY_COLUMNS)
    return pd.DataFrame(rows, columns=columns)


@dataclass
class Results:
    """The records of a suite run, as tidy DataFrames.

    Attributes
    ----------
    directory : Path
    config : dict
        The stored suite: ``name``, ``description``, ``source``, ``document`` (the
        parsed suite file), ``grid_keys`` and every planned run.
    runs : DataFrame
        One row per finished run (see the module docstring), in planned order.
    incomplete : DataFrame
        Planned runs without a usable finished record: ``run_id, task, method, seed,
        status`` with status ``interrupted``, ``missing`` or ``damaged`` (finished, but
        its curve file is missing or does not match the checksum in its record; left
        out of every table and figure, with a warning, and rerun by ``--resume``).
    curves : DataFrame
        Long-format training histories of the finished runs (read on first access).
    summary : DataFrame
        :func:`summarize` of ``runs`` by task, method and grid settings.
    """

    directory: Path
    config: dict
    runs: pd.DataFrame
    incomplete: pd.DataFrame
    grid_columns: tuple[str, ...] = field(default=())
    provenance: Provenance | None = None

    @property
    def path(self) -> Path:
        """The results directory (same as :attr:`directory`)."""
        return self.directory

    @cached_property
    def curves(self) -> pd.DataFrame:
        frames = []
        for run_id in self.runs["run_id"]:
            path = self.directory / CURVES_DIR / f"{run_id}.csv"
            if path.exists():
                frame = pd.read_csv(path)
                frame.insert(0, "run_id", run_id)
                frames.append(frame)
        if not frames:
            return pd.DataFrame({c: pd.Series(dtype=float) for c in CURVE_COLUMNS})
        curves = pd.concat(frames, ignore_index=True)
        if "fpe" not in curves.columns:  # written before fpe was recorded: not recorded, NaN
            curves["fpe"] = math.nan
        leading = [c for c in CURVE_COLUMNS if c in curves.columns]
        return curves[leading + [c for c in curves.columns if c not in leading]]

    @cached_property
    def summary(self) -> pd.DataFrame:
        return summarize(self.runs, by=("task", "method", *self.grid_columns))

    def _overview(self) -> tuple[str, list[str]]:
        """A heading and a few lines: what ran, how it ended (the repr and the notebook view)."""
        planned = len(self.runs) + len(self.incomplete)
        head = (f"Results({str(self.directory)!r}): suite {self.config.get('name')!r}, "
                f"{len(self.runs)} of {planned} runs finished")  # fmt: skip
        lines = []
        if len(self.runs):
            for column in ("task", "method"):
                names = list(dict.fromkeys(self.runs[column]))
                lines.append(f"{column}s: {', '.join(map(str, names))}")
            counts = self.runs["outcome"].value_counts()
            lines.append("outcomes: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
        if len(self.incomplete):
            counts = self.incomplete["status"].value_counts()
            lines.append("incomplete: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
        lines.append(".runs, .summary, .curves (DataFrames); figures: gradmethods.report.plots")
        return head, lines

    def __repr__(self) -> str:
        head, lines = self._overview()
        return "\n".join([head, *(f"  {line}" for line in lines)])

    def _repr_html_(self) -> str:
        from html import escape

        head, lines = self._overview()
        items = "".join(f"<li>{escape(line)}</li>" for line in lines)
        table = ""
        if len(self.runs):
            shown = [c for c in ("task", "method", *self.grid_columns, "runs", "successes", "success_rate",
                                 "iterations_median", "fpe_median") if c in self.summary.columns]  # fmt: skip
            table = self.summary[shown].to_html(index=False, float_format=lambda v: f"{v:.4g}", border=0)
        return f"<div><p><b>{escape(head)}</b></p><ul>{items}</ul>{table}</div>"


def _option_column(name: str) -> str:
    return f"option_{name}" if name in RUN_COLUMNS else name


def _run_row(run: RunSpec, record: dict) -> dict:
    row = {"run_id": run.run_id, "task": run.label or run.task, "method": run.method, "seed": run.seed,
           "replicate": run.replicate}  # fmt: skip
    for key in ("outcome", "iterations", "nfev", "njev", "seconds", "final_error", "final_cost", "message"):
        row[key] = record.get(key)
    fpe = record.get("fpe")  # absent from records written before fpe was recorded
    row["fpe"] = math.nan if fpe is None else float(fpe)
    for key in SCORE_COLUMNS:
        if key in record:
            row[key] = record[key]
    for key, column in _SETTING_COLUMNS.items():
        row[column] = run.settings.get(key)
    for key, value in run.options.items():
        row[_option_column(key)] = value if not isinstance(value, list | dict) else json.dumps(value)
    row["task_name"] = run.task
    for key, value in run.task_overrides.items():
        row[f"task_{key}"] = json.dumps(value) if isinstance(value, list | dict) else value
    return row


def load_results(directory: str | Path) -> Results:
    """Read the records of a suite run (see :mod:`gradmethods.suites.runner`) into tidy DataFrames.

    Parameters
    ----------
    directory : path
        The ``--out`` directory of ``gradmethods run``.

    Returns
    -------
    Results
        With ``.runs``, ``.curves``, ``.summary``, ``.incomplete`` and ``.config``.

    Raises
    ------
    ValueError
        If ``directory`` holds no suite records.
    """
    directory = Path(directory)
    suite_file = directory / SUITE_FILE
    if not suite_file.exists():
        raise ValueError(f"{str(directory)!r} holds no suite results ({SUITE_FILE} is missing); "
                         "write some with: gradmethods run SUITE --out DIR")  # fmt: skip
    config = json.loads(suite_file.read_text(encoding="utf-8"))
    suite = Suite.from_dict(config)
    latest = RunLog(directory / LOG_FILE).latest()
    rows, incomplete, damaged, records = [], [], {}, []
    for run in suite.runs:
        record = latest.get(run.run_id)
        problem = curve_problem(directory, record) if record is not None and record.get("record") == "run" else None
        if record is not None and record.get("record") == "run" and problem is None:
            rows.append(_run_row(run, record))
            records.append(record)
        else:
            status = "damaged" if problem else "interrupted" if record is not None else "missing"
            if problem:
                damaged[run.run_id] = problem
            incomplete.append({"run_id": run.run_id, "task": run.label or run.task, "method": run.method,
                               "seed": run.seed, "status": status})  # fmt: skip
    if damaged:
        warnings.warn(f"{directory}: {len(damaged)} finished runs are left out, their curve is damaged "
                      f"({count_problems(damaged)}); rerun them with: gradmethods run "
                      f"{config.get('source') or 'SUITE'} --out {directory} --resume",
                      RuntimeWarning, stacklevel=2)  # fmt: skip
    runs = pd.DataFrame(rows, columns=list(RUN_COLUMNS)) if not rows else pd.DataFrame(rows)
    if rows:
        extra = [c for c in runs.columns if c not in RUN_COLUMNS]
        runs = runs[list(RUN_COLUMNS) + extra]
        runs = runs.astype({"seed": "int64", "iterations": "int64", "nfev": "int64", "njev": "int64", "fpe": "float64",
                            "final_error": "float64", "final_cost": "float64", "seconds": "float64"})  # fmt: skip
    grid_columns = tuple(_SETTING_COLUMNS.get(key, _option_column(key)) for key in suite.grid_keys)
    incomplete_frame = pd.DataFrame(incomplete, columns=["run_id", "task", "method", "seed", "status"])
    provenance = Provenance(len(records), records_digest(records),
                            sum("curve_sha256" not in r and r.get("outcome") != str(Outcome.FAILED) for r in records),
                            (directory / LOG_FILE).exists(),
                            tuple(sorted({str(r.get("gradmethods_version", "unknown")) for r in records})))  # fmt: skip
    return Results(directory, config, runs, incomplete_frame, grid_columns, provenance)


@dataclass(frozen=True)
class Provenance:
    """What a table or page was built from: the finished records used, and a digest that changes with them."""

    records: int
    digest: str  #: first 12 hex digits of :func:`records_digest`
    unverified: int = 0  #: records written before curve checksums (their curves are checked for presence only)
    log_exists: bool = True
    #: gradmethods versions that wrote the records ("unknown": written before the version was recorded)
    versions: tuple[str, ...] = ()

    def describe(self) -> str:
        text = f"built from {self.records} run records (digest {self.digest})"
        if self.versions:
            text += f", written by gradmethods {', '.join(self.versions)}"
        if self.unverified:
            text += (f"; {self.unverified} of them were written before curve checksums were recorded, so their "
                     "curves were checked for presence only")  # fmt: skip
        return text


def records_digest(records: list[dict]) -> str:
    """SHA-256 (first 12 hex digits) of the canonical JSON of the records, sorted by run id.

    The same records give the same digest, whatever their order in the log; any other
    record (a run finished since, a rerun) changes it.  Compare it with the digest a
    page or table states to see whether it is current.
    """
    text = "\n".join(json.dumps(r, sort_keys=True, allow_nan=True) for r in sorted(records, key=lambda r: r["run_id"]))
    return hashlib.sha256(text.encode()).hexdigest()[:12]


#: How summaries and figures name the two units of work.
FPE_WORDS = "forward-pass equivalents"
NFEV_WORDS = "function evaluations (calls)"
#: Said under a summary whose results record no forward-pass equivalents.
NO_FPE_NOTE = (
    "These results record no forward-pass equivalents (fpe): they were written before fpe was recorded, or by a "
    "method that does not count it. Work is shown in function evaluations (calls) only, which count a dual-number "
    "pass, a complex-step pass and a backprop call as one each, whatever their arithmetic."
)
#: Said under a summary with both units.
WORK_NOTE = (
    "Work to target in two units: forward-pass equivalents (fpe: the arithmetic spent, in multiples of one real "
    "forward pass of the network; the unit in which methods compare) and function evaluations (calls, in the "
    "scipy sense: a dual-number pass with many tangents counts one)."
)


def summary_has_fpe(summary: pd.DataFrame) -> bool:
    """Whether any group of a :func:`summarize` table has its work in forward-pass equivalents."""
    return "ert_fpe" in summary.columns and bool(summary["ert_fpe"].notna().any())


def _grid_value(value: Any) -> Any:
    """A grid setting as the suite file wrote it: ``-`` where a method has none (NaN), ``8`` for 8.0."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _format_summary(summary: pd.DataFrame) -> pd.DataFrame:
    """The summary as strings for Markdown: rate with its interval, median [IQR].

    Every number goes through :mod:`gradmethods.suites.numbers`: one format per
    column (counts whole with thousands separators and their half-units kept,
    measurements with the column's significant digits), one notation per cell.
    Work appears in forward-pass equivalents and in calls; without any ``fpe`` (old
    results) only in calls, and :data:`NO_FPE_NOTE` says why.
    """
    shown = pd.DataFrame({c: summary[c] if c in ("task", "method") else summary[c].map(_grid_value)
                          for c in summary.columns[: list(summary.columns).index("runs")]})
    shown["runs"] = [format_count(n) for n in summary["runs"]]
    shown["success (95 % CI)"] = [
        f"{rate:.0%} [{low:.0%}, {high:.0%}]" if np.isfinite(rate) else "-"
        for rate, low, high in zip(summary["success_rate"], summary["success_low"], summary["success_high"])
    ]
    with_fpe = summary_has_fpe(summary)
    spreads = [("iterations", "iterations", True), ("fpe", FPE_WORDS, None), ("nfev", NFEV_WORDS, True),
               ("seconds", "seconds", False)]  # fmt: skip
    for column, label, count in spreads if with_fpe else [spread for spread in spreads if spread[0] != "fpe"]:
        shown[f"{label} median [IQR]"] = format_spread(
            summary[f"{column}_median"], summary[f"{column}_q25"], summary[f"{column}_q75"], count=count
        )
    erts = [("ert_fpe", FPE_WORDS), ("ert_nfev", NFEV_WORDS)]
    for column, label in erts if with_fpe else erts[1:]:
        fmt = column_format(summary[column])
        shown[f"ERT in {label}"] = [fmt(v) for v in summary[column]]
    shown["final error q10 / median / q90"] = format_spread(
        summary["final_error_median"], summary["final_error_q10"], summary["final_error_q90"], count=False,
        sep="{lo} / {m} / {hi}",
    )  # fmt: skip
    if "test_accuracy_median" in summary.columns:
        shown["test accuracy median [IQR]"] = [
            f"{m:.1%} [{a:.1%}, {b:.1%}]" if np.isfinite(m) else "-"
            for m, a, b in zip(summary["test_accuracy_median"], summary["test_accuracy_q25"],
                               summary["test_accuracy_q75"])
        ]  # fmt: skip
        shown["train accuracy median"] = [f"{v:.1%}" if np.isfinite(v) else "-"
                                          for v in summary["train_accuracy_median"]]  # fmt: skip
    return shown


def finish_command(source: str, directory: str | Path) -> str:
    """The command that finishes (or repairs) a suite's results folder."""
    import shlex

    return f"gradmethods run {shlex.quote(str(source) or 'SUITE')} --out {shlex.quote(str(directory))} --resume"


def incomplete_note(results: Results) -> str | None:
    """One sentence for the top of a report when planned runs are not in it, with the command that finishes them."""
    if not len(results.incomplete):
        return None
    planned = len(results.runs) + len(results.incomplete)
    counts = results.incomplete["status"].value_counts()
    kinds = ", ".join(f"{count} {status}" for status, count in sorted(counts.items()))
    return (f"Incomplete: {len(results.incomplete)} of {planned} planned runs are not in this report ({kinds}). "
            f"Finish them with: {finish_command(results.config.get('source', ''), results.directory)}")  # fmt: skip


def _values(values: list) -> str:
    shown = sorted({json.dumps(v, sort_keys=True) if not isinstance(v, str) else v for v in values}, key=str)
    shown = ["none" if v == "null" else v for v in shown]
    return ", ".join(shown[:8]) + (f" ... ({len(shown)} values)" if len(shown) > 8 else "")


def suite_facts(results: Results) -> list[tuple[str, str]]:
    """What a report states about the suite: source, entropy, seeds, tasks, target, budgets, dtype, version."""
    from .. import __version__

    config = results.config
    document = config.get("document", {})
    planned = [RunSpec.from_dict(run) for run in config.get("runs", [])]
    facts = [("suite", f"{config.get('name', '')} ({config.get('source', '')})"),
             ("entropy", str(document.get("entropy", 0))),
             ("seeds", f"{document.get('seeds', 1)} per task x method x grid point"),
             ("tasks", _values([run.label or run.task for run in planned])),
             ("methods", _values([run.method for run in planned]))]  # fmt: skip
    for key, label in (("target", "error target"), ("iterations", "iteration budgets"), ("lr", "learning rates"),
                       ("init", "initial weights"), ("dtype", "dtype")):  # fmt: skip
        facts.append((label, _values([run.settings.get(key) for run in planned])))
    facts += [("planned runs", str(len(planned))),
              ("records", results.provenance.describe() if results.provenance else "-"),
              ("page written by", f"gradmethods {__version__}")]  # fmt: skip
    return facts


def method_settings(results: Results) -> pd.DataFrame:
    """One row per method: its settings and options as the suite resolved them (every value used)."""
    planned = [RunSpec.from_dict(run) for run in results.config.get("runs", [])]
    rows = []
    for method in dict.fromkeys(run.method for run in planned):
        runs = [run for run in planned if run.method == method]
        options = sorted({key for run in runs for key in run.options})
        settings = {key: _values([run.settings.get(key) for run in runs]) for key in ("lr", "iterations", "target")}
        rows.append({"method": method, "runs": len(runs), **settings,
                     "options": "; ".join(f"{key} = {_values([run.options.get(key) for run in runs])}"
                                          for key in options) or "-"})  # fmt: skip
    return pd.DataFrame(rows, columns=["method", "runs", "lr", "iterations", "target", "options"])


def summary_markdown(results: Results) -> str:
    """``summary.md``: a heading, what was run (settings, records used, what is missing), and the summary table."""
    config = results.config
    lines = [f"# {config.get('name', 'suite')}", ""]
    note = incomplete_note(results)
    if note:
        head, command = note.split(" Finish them with: ")
        lines += [f"> **{head}** Finish them with: `{command}`", ""]
    if config.get("description"):
        lines += [config["description"].strip(), ""]
    outcomes = results.runs["outcome"].value_counts().to_dict() if len(results.runs) else {}
    lines.append(f"{len(results.runs)} finished runs of {len(config.get('runs', []))} planned"
                 + (f"; outcomes: {', '.join(f'{k} {v}' for k, v in sorted(outcomes.items()))}" if outcomes else "")
                 + ".")  # fmt: skip
    lines += ["", "## Settings", ""]
    lines += [f"- **{label}**: {value}" for label, value in suite_facts(results)]
    lines += ["", to_markdown(method_settings(results)), "## Summary"]
    lines += ["", "Success = error <= target (CONVERGED). Medians and IQR over successful runs; "
                  "ERT = all work spent / successes (COCO).", ""]  # fmt: skip
    lines += [WORK_NOTE if summary_has_fpe(results.summary) else NO_FPE_NOTE, ""]
    lines.append(to_markdown(_format_summary(results.summary)))
    failed = results.runs[results.runs["outcome"] == str(Outcome.FAILED)] if len(results.runs) else results.runs
    if len(failed):
        lines += ["", "## Failed runs", ""]
        lines.append(to_markdown(failed[["run_id", "task", "method", "seed", "message"]]))
    return "\n".join(lines)


def write_report_files(results: Results, out_dir: str | Path | None = None, *, plots: bool = True) -> list[Path]:
    """Write ``runs.csv``, ``summary.csv`` and ``summary.md`` (atomically), then the figures.

    The figures and the HTML page come from :func:`gradmethods.report.html.write_report`
    when that module is available (it rewrites ``summary.md`` with the figures linked);
    ``plots=False`` skips them.  Returns the paths written.
    """
    out = Path(out_dir) if out_dir is not None else results.directory
    refuse_emptying(out / "runs.csv", results)
    written = []
    for name, text in (
        ("runs.csv", results.runs.to_csv(index=False)),
        ("summary.csv", results.summary.to_csv(index=False)),
        ("summary.md", summary_markdown(results)),
    ):
        atomic_write_text(out / name, text)
        written.append(out / name)
    if plots:
        written += _draw_figures(results, out)
    elif (out / "index.html").is_file():  # an older page must not look current beside the new tables
        report = _report_module()
        if report is not None:
            written.append(report.write_index_without_figures(results, out))
    return written


def _table_rows(path: Path) -> int:
    """Data rows of a CSV table on disk (0 if there is none or it cannot be read)."""
    try:
        with open(path, "rb") as handle:
            return max(0, sum(1 for _ in handle) - 1)
    except OSError:
        return 0


def refuse_emptying(table: Path, results: Results) -> None:
    """No command replaces a table of runs with one built from nothing (a lost or emptied ``runs.jsonl``)."""
    if len(results.runs):
        return
    before = _table_rows(table)
    if before:
        provenance = results.provenance
        why = (f"{LOG_FILE} is missing" if provenance is not None and not provenance.log_exists
               else f"{LOG_FILE} holds no usable finished run")  # fmt: skip
        raise ValueError(f"{results.directory}: {why}, but {table} holds {before} runs; refusing to replace it "
                         f"with an empty table. Restore {LOG_FILE}, or rerun the suite with --resume.")  # fmt: skip


#: The module that draws the figures and writes index.html (a layer above this one, so imported when used).
REPORT_MODULE = "gradmethods.report.html"


def _report_module():
    try:
        return importlib.import_module(REPORT_MODULE)
    except ModuleNotFoundError as exc:
        if exc.name != REPORT_MODULE:
            raise  # the report module exists but a dependency of it is missing: say so
        return None


def _draw_figures(results: Results, out: Path) -> list[Path]:
    # ---- plot hook: the single call site of the figure report, report.html.write_report(results, out_dir) ----
    report = _report_module()
    return [] if report is None else list(report.write_report(results, out))
