"""A one-page static report of a suite: summary table and every figure with its caption.

:func:`write_report` draws every figure of :data:`gradmethods.report.plots.FIGURES` whose
data exist into ``out_dir/plots/`` (PNG and SVG), then writes ``out_dir/index.html``
(one self-contained page: no server, no scripts, no external assets; images are
relative links to ``plots/``) and ``out_dir/summary.md`` (the same table and figures
in Markdown, linking the PNGs).
"""

from __future__ import annotations

import html
import io
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..analysis.estimator_quality import ESTIMATOR_QUALITY_FILE
from ..suites.markdown import to_markdown
from ..suites.numbers import column_format, format_count, format_spread
from ..suites.runner import atomic_write_bytes, atomic_write_text
from ..suites.tables import FPE_WORDS, NFEV_WORDS, NO_FPE_NOTE, WORK_NOTE, summary_has_fpe
from .plots import FIGURES, FigureSpec, coinciding_note

__all__ = ["write_report", "write_index_without_figures", "summary_table", "FD_STEP_STUDY_FILE", "BENCH_FILE"]

#: Optional inputs read from the results directory when present.
FD_STEP_STUDY_FILE = "fd_step_study.csv"
BENCH_FILE = "bench.csv"
_FORMATS = ("png", "svg")
#: PNG resolutions accepted: below, text is unreadable; above, one figure takes hundreds of megabytes.
MIN_DPI, MAX_DPI = 10, 1200


@dataclass(frozen=True)
class _Drawn:
    """A figure written to disk: its file stem, heading, caption (naming its unit) and files by format."""

    name: str
    title: str
    caption: str
    files: dict[str, str]


@dataclass(frozen=True)
class _ReportData:
    """Everything a figure may draw from; a missing input is None."""

    runs: pd.DataFrame | None
    curves: pd.DataFrame | None
    summary: pd.DataFrame | None
    fd_step_study: pd.DataFrame | None
    bench: pd.DataFrame | None
    estimator_quality: pd.DataFrame | None = None


def _optional_frame(argument: str, given: Any, attribute: Any, directory: Path | None, file_name: str):
    """The first of: the argument (a DataFrame or a CSV path), the results attribute, ``directory/file_name``."""
    for candidate in (given, attribute):
        if candidate is None:
            continue
        if isinstance(candidate, pd.DataFrame):
            return candidate
        if isinstance(candidate, (str, os.PathLike)):
            path = Path(candidate)
            if not path.is_file():
                raise ValueError(f"{argument}: no such file {str(path)!r}.")
            return pd.read_csv(path)
        raise ValueError(f"{argument} must be a DataFrame or a CSV path; got {type(candidate).__name__}.")
    if directory is not None and (directory / file_name).is_file():
        return pd.read_csv(directory / file_name)
    return None


def _frame_attribute(results: Any, name: str) -> pd.DataFrame:
    if not hasattr(results, name):
        raise ValueError(
            f"results has no {name!r} attribute; pass the object returned by gradmethods.load_results(DIR) "
            "(with .runs, .curves, .summary and .path)."
        )
    frame = getattr(results, name)
    if frame is not None and not isinstance(frame, pd.DataFrame):
        raise ValueError(f"results.{name} must be a pandas DataFrame; got {type(frame).__name__}.")
    return frame


def _format_key(value: Any) -> str:
    """A key cell (task, method, a grid setting): as the number it is, without trailing zeros."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    if isinstance(value, (int, np.integer)):
        return format_count(int(value))
    if isinstance(value, (float, np.floating)):
        return format_count(value) if float(value).is_integer() and abs(value) < 1e7 else f"{float(value):g}"
    return str(value)


def _percent(value: Any) -> str:
    return "" if pd.isna(value) else f"{100 * float(value):.0f} %"


def _accuracy(value: Any) -> str:
    """An accuracy in percent with one decimal: differences of a few test patterns stay visible."""
    return "" if pd.isna(value) else f"{100 * float(value):.1f} %"


def _add_median_column(
    shown: pd.DataFrame, summary: pd.DataFrame, median: str, low: str, high: str, label: str, bounds: str,
    count: bool | None = None, fmt=None,
) -> None:
    """Add ``label median [low, high]`` (or ``label median`` without the bounds) when ``median`` exists.

    Numbers are in the column's one format (:func:`gradmethods.suites.numbers.column_format`)
    unless ``fmt`` (a function of one value) is given.
    """
    if median not in summary.columns:
        return
    if {low, high} <= set(summary.columns):
        if fmt is None:
            cells = format_spread(summary[median], summary[low], summary[high], count=count, missing="")
        else:
            cells = [f"{fmt(m)} [{fmt(lo)}, {fmt(hi)}]" if fmt(m) else ""
                     for m, lo, hi in zip(summary[median], summary[low], summary[high])]  # fmt: skip
        shown[f"{label} median [{bounds}]"] = cells
    else:
        fmt = fmt or column_format(summary[median], count=count, missing="")
        shown[f"{label} median"] = [fmt(v) for v in summary[median]]


def summary_table(summary: pd.DataFrame) -> pd.DataFrame:
    """The summary as strings for reading: medians with their quartiles, rates in percent.

    Parameters
    ----------
    summary : DataFrame
        The ``summary`` table of :func:`gradmethods.load_results`; columns it lacks
        are left out of the display.

    Returns
    -------
    DataFrame
        One row per (task, method, grid point), every cell a string. The key
        columns come first: ``task``, ``method`` and the grid settings (every
        column of ``summary`` before ``runs``, as :func:`gradmethods.summarize`
        orders them). Work to target is in forward-pass equivalents and in
        function evaluations (calls), each labelled with its unit; a summary
        without forward-pass equivalents (results written before they were
        recorded) shows calls only. On a task with a test set, the test accuracy
        (median and quartiles over all runs) and the median training accuracy
        follow the final error.

    Examples
    --------
    >>> import pandas as pd
    >>> s = pd.DataFrame({"task": ["xor"], "method": ["backprop"], "runs": [10], "successes": [7],
    ...                   "success_rate": [0.7], "success_low": [0.3968], "success_high": [0.8922]})
    >>> summary_table(s).iloc[0]["success rate [95 % CI]"]
    '70 % [40 %, 89 %]'
    """
    shown = pd.DataFrame(index=summary.index)
    columns = list(summary.columns)
    keys = columns[: columns.index("runs")] if "runs" in columns else [c for c in ("task", "method") if c in columns]
    for column in (*keys, "runs", "successes"):
        if column in columns:
            shown[column] = summary[column].map(_format_key)
    if {"success_rate", "success_low", "success_high"} <= set(summary.columns):
        shown["success rate [95 % CI]"] = [
            f"{_percent(r)} [{_percent(lo)}, {_percent(hi)}]"
            for r, lo, hi in zip(summary["success_rate"], summary["success_low"], summary["success_high"])
        ]
    with_fpe = summary_has_fpe(summary)
    spreads = [(column, label, count) for column, label, count in (
        ("iterations", "iterations", True), ("fpe", FPE_WORDS, None), ("nfev", NFEV_WORDS, True),
        ("seconds", "seconds", False),
    ) if column != "fpe" or with_fpe]  # fmt: skip
    for column, label, count in spreads:
        _add_median_column(shown, summary, f"{column}_median", f"{column}_q25", f"{column}_q75", label, "q25, q75",
                           count)  # fmt: skip
    for column, label in (("ert_fpe", FPE_WORDS), ("ert_nfev", NFEV_WORDS)):
        if column in summary.columns and (column != "ert_fpe" or with_fpe):
            fmt = column_format(summary[column], missing="")
            shown[f"ERT in {label}"] = [fmt(v) for v in summary[column]]
    _add_median_column(
        shown, summary, "final_error_median", "final_error_q10", "final_error_q90", "final error", "q10, q90",
        count=False,
    )  # fmt: skip
    _add_median_column(
        shown, summary, "test_accuracy_median", "test_accuracy_q25", "test_accuracy_q75", "test accuracy",
        "q25, q75", fmt=_accuracy,
    )  # fmt: skip
    if "train_accuracy_median" in summary.columns:
        shown["train accuracy median"] = summary["train_accuracy_median"].map(_accuracy)
    return shown.reset_index(drop=True)


def _outcome_table(runs: pd.DataFrame | None) -> pd.DataFrame | None:
    if runs is None or runs.empty or not {"task", "method", "outcome"} <= set(runs.columns):
        return None
    counts = pd.crosstab([runs["task"], runs["method"]], runs["outcome"].astype(str))
    return counts.reset_index().rename_axis(columns=None)


_CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2em auto; max-width: 1200px;
       padding: 0 1em; color: #222; line-height: 1.45; }
h1 { font-size: 1.6em; } h2 { margin-top: 2em; border-bottom: 1px solid #ddd; }
table { border-collapse: collapse; font-size: 0.9em; margin: 1em 0; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: right; }
td { white-space: nowrap; font-variant-numeric: tabular-nums; }
th { min-width: 5em; vertical-align: bottom; }
.table-scroll { overflow-x: auto; max-width: 100%; }
.table-scroll table { margin: 0; }
th { background: #f3f3f3; } td:nth-child(-n+2) { text-align: left; }
figure { margin: 1.5em 0; } figure img { max-width: 100%; height: auto; border: 1px solid #eee; }
figcaption { font-size: 0.92em; color: #333; max-width: 60em; }
.note { color: #666; font-size: 0.9em; }
.warning { background: #fff3cd; border: 1px solid #e0c060; padding: 0.6em 1em; }
table.facts th { text-align: left; } table.facts td { text-align: left; white-space: normal; }
"""


def _html_table(frame: pd.DataFrame) -> str:
    """The table in a wrapper that scrolls sideways: cells never wrap (no towers of digits) on a narrow page."""
    table = frame.to_html(index=False, escape=True, border=0, na_rep="")
    return f'<div class="table-scroll">\n{table}\n</div>'



def _suite_section(results: Any) -> list[str]:
    """The banner of missing runs and the suite's settings, for a suite's results (else nothing)."""
    if not (hasattr(results, "config") and hasattr(results, "incomplete")):
        return []
    from ..suites.tables import incomplete_note, method_settings, suite_facts

    parts = []
    note = incomplete_note(results)
    if note:
        parts.append(f'<p class="warning"><strong>{html.escape(note)}</strong></p>')
    facts = "".join(f"<tr><th>{html.escape(label)}</th><td>{html.escape(value)}</td></tr>"
                    for label, value in suite_facts(results))  # fmt: skip
    parts += ["<h2>Settings</h2>", f'<div class="table-scroll"><table class="facts">{facts}</table></div>',
              _html_table(method_settings(results))]  # fmt: skip
    return parts


def _write_html(path: Path, title: str, summary: pd.DataFrame | None, outcomes: pd.DataFrame | None,
                drawn: list[_Drawn], skipped: list[FigureSpec], suite: list[str] | None = None,
                figures_note: str | None = None) -> None:
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        f"<title>{html.escape(title)}</title>",
        f"<style>{_CSS}</style>",
        "</head>",
        "<body>",
        f"<h1>{html.escape(title)}</h1>",
        *(suite or []),
    ]
    if summary is not None and not summary.empty:
        parts += ["<h2>Summary</h2>", _html_table(summary_table(summary))]
        parts.append(
            '<p class="note">Success: the error reached the target. Intervals are 95 % Wilson score intervals; '
            "medians come with their quartiles [q25, q75] (final error: [q10, q90]). ERT is the expected work to "
            "reach the target: work spent by all runs divided by the number of successes. "
            "Accuracies (tasks with a test set) are over all runs, successful or not. "
            f"{html.escape(WORK_NOTE if summary_has_fpe(summary) else NO_FPE_NOTE)}</p>"
        )
    if outcomes is not None:
        parts += ["<h2>Outcomes</h2>", _html_table(outcomes)]
    parts.append("<h2>Figures</h2>")
    if figures_note:
        parts.append(f'<p class="warning">{html.escape(figures_note)}</p>')
    for figure in drawn:
        files = figure.files
        image = html.escape(files["png"]) if "png" in files else html.escape(files["svg"])
        link = html.escape(files.get("svg", files.get("png")))
        parts += [
            f'<figure id="{html.escape(figure.name)}">',
            f"<h3>{html.escape(figure.title)}</h3>",
            f'<a href="{link}"><img src="{image}" alt="{html.escape(figure.title)}"></a>',
            f"<figcaption>{html.escape(figure.caption)}</figcaption>",
            "</figure>",
        ]
    if skipped:
        names = ", ".join(html.escape(spec.title) for spec in skipped)
        parts.append(f'<p class="note">Not drawn, their data are not in this suite: {names}.</p>')
    parts += ["</body>", "</html>", ""]
    atomic_write_text(path, "\n".join(parts))


def _write_markdown(path: Path, title: str, summary: pd.DataFrame | None, drawn: list[_Drawn],
                    skipped: list[FigureSpec], head: str | None = None) -> None:
    if head is not None:  # the runner's account of the suite (description, outcomes, failed runs)
        parts = [head, ""]
    else:
        parts = [f"# {title}", ""]
        if summary is not None and not summary.empty:
            parts += ["## Summary", "", to_markdown(summary_table(summary)),
                      WORK_NOTE if summary_has_fpe(summary) else NO_FPE_NOTE, ""]  # fmt: skip
    parts += ["## Figures", ""]
    for figure in drawn:
        image = figure.files.get("png", figure.files.get("svg"))
        parts += [f"### {figure.title}", "", f"![{figure.title}]({image})", "", figure.caption, ""]
    if skipped:
        parts += ["Not drawn, their data are not in this suite: " + ", ".join(s.title for s in skipped) + ".", ""]
    atomic_write_text(path, "\n".join(parts))


def write_report(
    results: Any,
    out_dir: str | os.PathLike | None = None,
    *,
    fd_step_study: pd.DataFrame | str | os.PathLike | None = None,
    bench: pd.DataFrame | str | os.PathLike | None = None,
    formats: Sequence[str] = _FORMATS,
    dpi: int = 120,
    title: str | None = None,
) -> list[Path]:
    """Draw every figure the results have data for, and write ``index.html`` and ``summary.md``.

    Parameters
    ----------
    results : object
        What :func:`gradmethods.load_results` returns: an object with ``runs``,
        ``curves`` and ``summary`` DataFrames and the results directory ``path``.
        Optional ``fd_step_study`` / ``bench`` attributes are used when present.
    out_dir : path, optional
        Where to write; default ``results.path``. Figures go to ``out_dir/plots/``.
    fd_step_study, bench : DataFrame or CSV path, optional
        The FD step study (``method, step, max_rel_error``) and benchmark table
        (``provider, case, n_params, dtype, seconds_median, ratio_to_forward``, and
        ``fpe_per_call`` from ``gradmethods bench``).
        Default: ``results.fd_step_study`` / ``results.bench`` if set, else
        ``fd_step_study.csv`` / ``bench.csv`` in ``results.path`` if they exist.
    formats : sequence of {"png", "svg"}
        Image formats written for each figure; the page shows the PNG and links the
        SVG.
    dpi : int
        Resolution of the PNG files.
    title : str, optional
        Page title; default ``"gradmethods report: <directory name>"``.

    Returns
    -------
    list of Path
        Every file written: the figures (in :data:`gradmethods.report.plots.FIGURES`
        order), then ``index.html`` and ``summary.md``.

    Notes
    -----
    A figure is drawn only when the data it needs are present (for example the
    per-layer gradient norms only when the curves have ``grad_norm_layer*``
    columns); the page lists the figures it left out. Figures are built with
    :class:`matplotlib.figure.Figure` and saved without pyplot, so writing a report
    works headless and leaves no open figures behind.
    """
    formats = list(dict.fromkeys(formats))
    bad = [f for f in formats if f not in _FORMATS]
    if bad or not formats:
        raise ValueError(f"The 'formats' parameter must list values among {list(_FORMATS)}. Got {formats!r} instead.")
    if isinstance(dpi, bool) or not isinstance(dpi, (int, np.integer)) or not MIN_DPI <= dpi <= MAX_DPI:
        raise ValueError(f"The 'dpi' parameter must be an int in the range [{MIN_DPI}, {MAX_DPI}]. "
                         f"Got {dpi!r} instead.")  # fmt: skip
    results_path = getattr(results, "path", None)
    directory = Path(results_path) if results_path is not None else None
    if out_dir is None:
        if directory is None:
            raise ValueError("out_dir is required when results has no 'path'.")
        out_dir = directory
    out_dir = Path(out_dir)
    if hasattr(results, "provenance") and directory is not None:
        from ..suites.tables import refuse_emptying

        refuse_emptying(directory / "runs.csv", results)  # a page of nothing does not replace a page of runs
    data = _ReportData(
        runs=_frame_attribute(results, "runs"),
        curves=_frame_attribute(results, "curves"),
        summary=_frame_attribute(results, "summary"),
        fd_step_study=_optional_frame(
            "fd_step_study", fd_step_study, getattr(results, "fd_step_study", None), directory, FD_STEP_STUDY_FILE
        ),
        bench=_optional_frame("bench", bench, getattr(results, "bench", None), directory, BENCH_FILE),
        estimator_quality=_optional_frame("estimator_quality", None, getattr(results, "estimator_quality", None),
                                          directory, ESTIMATOR_QUALITY_FILE),
    )
    plots_dir = out_dir / "plots"
    plots_dir.mkdir(parents=True, exist_ok=True)

    written: list[Path] = []
    drawn: list[_Drawn] = []
    skipped: list[FigureSpec] = []
    for spec in FIGURES.values():
        if not spec.available(data):
            skipped.append(spec)
            continue
        figure = spec.draw(data)
        files = {}
        for fmt in formats:
            target = plots_dir / f"{spec.name}.{fmt}"
            image = io.BytesIO()  # drawn in memory, then written atomically: a kill never leaves half a figure
            figure.savefig(image, dpi=dpi, format=fmt, metadata=_metadata(fmt), bbox_inches="tight", pad_inches=0.08)
            atomic_write_bytes(target, image.getvalue())
            written.append(target)
            files[fmt] = f"plots/{target.name}"
        heading, text = spec.text(data)
        note = coinciding_note(figure)  # which lines lie on top of each other, found in the data drawn
        drawn.append(_Drawn(spec.name, heading, f"{text} {note}" if note else text, files))

    if title is None:
        title = f"gradmethods report: {(directory or out_dir).resolve().name}"
    index = out_dir / "index.html"
    _write_html(index, title, data.summary, _outcome_table(data.runs), drawn, skipped, _suite_section(results))
    markdown = out_dir / "summary.md"
    head = None
    if hasattr(results, "config") and hasattr(results, "incomplete"):  # a suite's results: keep the runner's account
        from ..suites.tables import summary_markdown

        head = summary_markdown(results)
    _write_markdown(markdown, title, data.summary, drawn, skipped, head=head)
    return written + [index, markdown]


def _metadata(fmt: str) -> dict[str, Any]:
    """File metadata without a creation date, so the same results give the same files."""
    if fmt == "svg":
        return {"Date": None}
    return {"Software": None}


def write_index_without_figures(results: Any, out_dir: str | os.PathLike | None = None) -> Path:
    """Rewrite ``index.html`` from the current records, without redrawing the figures.

    For ``--no-plots`` on a folder that already has a page: an older page must not
    stay beside newer tables looking current.  The page states the settings, the
    records it was built from and what is missing, and says that the figures in
    ``plots/`` were drawn earlier (``gradmethods plot DIR`` redraws them).
    """
    out_dir = Path(out_dir) if out_dir is not None else Path(results.path)
    index = out_dir / "index.html"
    title = f"gradmethods report: {Path(results.path).resolve().name}"
    note = (f"Figures were not redrawn for these records (written with --no-plots); those in plots/ may be older. "
            f"Redraw them with: gradmethods plot {results.path}")  # fmt: skip
    _write_html(index, title, results.summary, _outcome_table(results.runs), [], [], _suite_section(results), note)
    return index
