"""Comparison figures drawn from the run records of an experiment suite.

Every function takes the pandas DataFrames of :func:`gradmethods.load_results`
(``runs``, ``curves``, ``summary``) or of the FD step study / benchmark, and returns a
:class:`matplotlib.figure.Figure` built without :mod:`matplotlib.pyplot`: no global
figure state, nothing to close, and no GUI backend is ever selected, so the functions
work headless (``Figure.savefig`` renders with Agg).

Each method keeps one colour and one marker in every figure (:func:`method_style`,
read from the method's class through the registry).  Each figure has a caption saying
what it shows and how to read it; the captions and the rule deciding whether a suite has
the data for a figure live in :data:`FIGURES`, a table of :class:`FigureSpec` that
:func:`gradmethods.report.html.write_report` walks.

Work is drawn in **forward-pass equivalents** (``fpe``: the arithmetic a method spent,
in multiples of one real forward pass of the network), the one unit in which backprop,
dual numbers, finite differences, the complex step and a genetic algorithm compare.
Function evaluations (``nfev``) count calls: a dual-number pass carrying 151 tangents,
a complex pass and a backprop call count one each.  Results written before ``fpe`` was
recorded have none; their figures fall back to ``nfev`` and every label says so.  Every
axis label names its unit.

Examples
--------
>>> import pandas as pd
>>> from gradmethods.report import plots
>>> study = pd.DataFrame({"method": ["fd_forward"] * 3, "step": [1e-2, 1e-5, 1e-8],
...                       "max_rel_error": [1e-2, 1e-6, 1e-4]})
>>> fig = plots.fd_step_curve(study)
>>> fig.axes[0].get_xscale(), fig.axes[0].get_yscale()
('log', 'log')
"""

from __future__ import annotations

import math
import re
import zlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, LogLocator, MaxNLocator, NullFormatter, ScalarFormatter

from ..core.registry import FAMILIES, METHODS
from ..core.validation import check_choice
from ..suites.tables import fpe_recorded

__all__ = [
    "MethodStyle",
    "method_style",
    "WorkAxis",
    "work_axis",
    "FigureSpec",
    "FIGURES",
    "caption",
    "convergence",
    "target_ecdf",
    "success_rates",
    "fd_step_curve",
    "gradient_cost",
    "layer_gradient_norms",
    "genetic_costs",
    "estimator_cosine",
    "random_direction_cosine",
    "label_grid_points",
]


# --------------------------------------------------------------------------- style


@dataclass(frozen=True)
class MethodStyle:
    """How one method is drawn in every figure."""

    color: str
    marker: str
    linestyle: str = "-"

    def line_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for :meth:`matplotlib.axes.Axes.plot`."""
        return {"color": self.color, "marker": self.marker, "linestyle": self.linestyle}


_FALLBACK_COLORS = ("#56B4E9", "#F0E442", "#7f7f7f", "#8c564b", "#17becf", "#bcbd22", "#9467bd", "#e41a1c")
_FALLBACK_MARKERS = ("X", "*", "h", "p", "<", ">", "d", "8")
_FALLBACK_LINESTYLES = ("--", "-.", ":")
#: Line styles of the series that share a method (its grid points, or estimators such as the forward
#: gradient with k = 1, 8, 64), in the order of their settings.
_SETTING_LINESTYLES = ("-", "--", "-.", ":")


def _base_method(label: str) -> str:
    """The method a series label names: ``"forward_gradient (k=8)"`` (a grid point) -> ``"forward_gradient"``."""
    if not isinstance(label, str) or label in METHODS or " (" not in label:
        return label
    base = label.split(" (", 1)[0]
    return base if base in METHODS else label


def _registered(method: str) -> Any:
    """The registry entry of ``method`` (or of the method of a grid-point label), or None for a name not
    registered (a plug-in not installed)."""
    method = _base_method(method)
    return METHODS.get(method) if isinstance(method, str) and method in METHODS else None


def _natural_key(text: str) -> list:
    """Sort key that orders the numbers inside a label by value: ``k=8`` before ``k=64``."""
    return [(0, int(part), "") if part.isdigit() else (1, 0, part) for part in re.split(r"(\d+)", str(text)) if part]


def method_style(method: str, siblings: Iterable[str] | None = None) -> MethodStyle:
    """The colour, marker and line style of ``method``, the same in every figure.

    A registered method is drawn with the ``style`` its class declares (``(color,
    marker, linestyle)``; the built-ins use colour-blind-safe Okabe–Ito colours).  A
    name that is not registered (a plug-in not installed where old results are
    plotted) or whose class declares no style gets a style derived from a CRC-32
    checksum of its name: the same name always gets the same style, in every process
    and session (Python's ``hash`` is salted per process, so it is not used).  Those
    are drawn with a broken line so they never look like a built-in one.

    A label of one grid point of a method, ``"forward_gradient (k=8)"`` (a suite that
    runs a method with several settings: :func:`label_grid_points`), is drawn in the
    method's colour and marker; given the other labels of the figure (``siblings``), the
    grid points of one method differ by line style, in the order of their settings.

    Examples
    --------
    >>> method_style("backprop").color
    '#0072B2'
    >>> method_style("my_plugin") == method_style("my_plugin")
    True
    >>> labels = ["forward_gradient (k=1)", "forward_gradient (k=8)"]
    >>> [method_style(label, labels).linestyle for label in labels]
    ['-', '--']
    """
    info = _registered(method)
    declared = info.style if info is not None else None
    if declared is not None:
        if method != _base_method(method) and siblings is not None:
            variants = sorted({label for label in siblings if label != _base_method(label)
                               and _base_method(label) == _base_method(method)} | {method}, key=_natural_key)
            return MethodStyle(declared[0], declared[1],
                               _SETTING_LINESTYLES[variants.index(method) % len(_SETTING_LINESTYLES)])
        return MethodStyle(*declared)
    code = zlib.crc32(str(method).encode("utf-8"))
    return MethodStyle(
        _FALLBACK_COLORS[code % len(_FALLBACK_COLORS)],
        _FALLBACK_MARKERS[(code // len(_FALLBACK_COLORS)) % len(_FALLBACK_MARKERS)],
        _FALLBACK_LINESTYLES[(code // 64) % len(_FALLBACK_LINESTYLES)],
    )


# --------------------------------------------------------------------------- helpers

_X_WORDS = {
    "iteration": "iterations",
    "fpe": "forward-pass equivalents",
    "nfev": "function evaluations (calls)",
    "seconds": "wall-clock time",
}
_X_LABELS = {
    "iteration": "iteration (gradient steps or generations)",
    "fpe": "forward-pass equivalents (arithmetic of one real forward pass)",
    "nfev": "function evaluations (calls)",
    "seconds": "wall-clock time (s)",
}
#: The label of work in calls where forward-pass equivalents were asked for but not recorded.
_NO_FPE_LABEL = "function evaluations (calls; these results record no forward-pass equivalents)"


@dataclass(frozen=True)
class WorkAxis:
    """The column a figure draws as work, and how its axis and title name it.

    Attributes
    ----------
    column : str
        ``"fpe"``, ``"nfev"``, ``"iteration"`` or ``"seconds"``.
    label : str
        The axis label, with its unit.
    words : str
        How a title names it.
    fallback : bool
        True where forward-pass equivalents were asked for and the data hold none
        (results written before they were recorded), so ``nfev`` is drawn instead.
    """

    column: str
    label: str
    words: str
    fallback: bool = False


def work_axis(frame: pd.DataFrame | None, x: str = "fpe") -> WorkAxis:
    """What to draw for ``x`` from ``frame`` (runs or curves): fpe where every row records it, else nfev.

    Parameters
    ----------
    frame : DataFrame
        The rows to draw.
    x : {"fpe", "nfev", "iteration", "seconds"}
        The wanted column.  ``"fpe"`` falls back to ``"nfev"`` when any row lacks
        ``fpe`` (:func:`gradmethods.suites.tables.fpe_recorded`): one unit for every
        run of a figure, never two side by side, and a label saying which.

    Examples
    --------
    >>> import pandas as pd
    >>> work_axis(pd.DataFrame({"nfev": [1], "fpe": [2.2]})).label
    'forward-pass equivalents (arithmetic of one real forward pass)'
    >>> work_axis(pd.DataFrame({"nfev": [1]})).label
    'function evaluations (calls; these results record no forward-pass equivalents)'
    """
    x = check_choice("x", x, tuple(_X_LABELS))
    if x == "fpe" and not fpe_recorded(frame):
        return WorkAxis("nfev", _NO_FPE_LABEL, "function evaluations (calls; no forward-pass equivalents recorded)",
                        fallback=True)  # fmt: skip
    return WorkAxis(x, _X_LABELS[x], _X_WORDS[x])


_ERROR_LABEL = "error (mean distance to targets)"
#: The run table's column for a curve column where their names differ.
_RUN_COLUMN = {"iteration": "iterations"}
_SUCCESS_OUTCOME = "CONVERGED"
#: Narrowest figure (inches): the title and a legend of several methods must fit across it.
_MIN_FIGURE_WIDTH = 6.4
_MAX_LEGEND_COLUMNS = 6


def _require_columns(frame: pd.DataFrame | None, name: str, columns: Iterable[str]) -> pd.DataFrame:
    if not isinstance(frame, pd.DataFrame):
        raise ValueError(f"{name} must be a pandas DataFrame; got {type(frame).__name__}.")
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{name} lacks the column(s) {missing}; it has {list(frame.columns)}.")
    return frame


def _select(available: Sequence[str], requested: Iterable[str] | None, what: str) -> list[str]:
    """The requested names in the requested order, or all available ones sorted.

    A requested name missing from the data raises a ValueError naming it and the
    names that are available.
    """
    available = list(dict.fromkeys(str(a) for a in available))
    if requested is None:
        if not available:
            raise ValueError(f"the data hold no {what}s to draw.")
        return _ordered_methods(available) if what == "method" else sorted(available)
    if isinstance(requested, str):
        requested = [requested]
    requested = list(dict.fromkeys(requested))
    missing = [r for r in requested if r not in available]
    if missing:
        raise ValueError(
            f"{what}(s) {missing} not in the data; available {what}s: {sorted(available)}."
        )
    if not requested:
        raise ValueError(f"no {what}s requested; available {what}s: {sorted(available)}.")
    return requested


def _ordered_methods(names: Iterable[str]) -> list[str]:
    """Registered methods by family (exact reverse mode first, gradient-free last) and name, then the others.

    The family order is :data:`gradmethods.core.registry.FAMILIES`; names that are not
    registered (a plug-in not installed here) follow alphabetically.
    """

    def key(name: str) -> tuple[int, str, list]:
        info = _registered(name)
        family = getattr(info, "family", None) if info is not None else None
        return (FAMILIES.index(family) if family in FAMILIES else len(FAMILIES), _base_method(name),
                _natural_key(name))

    return sorted(set(names), key=key)


def _panel_grid(n_panels: int, *, max_cols: int = 3, width: float = 4.6, height: float = 3.6):
    """A constrained-layout figure with ``n_panels`` axes, at most ``max_cols`` per row.

    A single panel gets at least :data:`_MIN_FIGURE_WIDTH` inches so that the figure
    title and a legend of several methods fit across it.
    """
    ncols = min(n_panels, max_cols)
    nrows = math.ceil(n_panels / ncols)
    fig = Figure(figsize=(max(width * ncols, _MIN_FIGURE_WIDTH), height * nrows + 0.6), layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=False)
    for ax in axes.flat[n_panels:]:  # unused cells of the last row
        fig.delaxes(ax)
    return fig, list(axes.flat[:n_panels])


def _tidy_log_axes(fig: Figure) -> None:
    """Readable ticks on log axes that span less than two decades.

    Matplotlib labels the minor ticks of such an axis in scientific notation, and the
    labels run into each other.  Below one decade a few evenly spaced plain numbers
    read better; up to two decades, labelled ticks at 1, 2 and 5 times powers of ten.
    """
    for ax in fig.axes:
        for axis, limits in ((ax.xaxis, ax.get_xlim()), (ax.yaxis, ax.get_ylim())):
            low, high = sorted(limits)
            if axis.get_scale() != "log" or low <= 0:
                continue
            if high / low < 10:
                axis.set_major_locator(MaxNLocator(5))
                axis.set_major_formatter(ScalarFormatter())
            elif high / low < 100:
                axis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
                axis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))
            else:
                continue
            axis.set_minor_formatter(NullFormatter())


def _finish(fig: Figure, axes: Sequence, title: str, *, order: Callable[[str], Any] | None = None) -> Figure:
    """Lay out a figure readably; called last by every figure function.

    * log axes get readable ticks (:func:`_tidy_log_axes`);
    * panels that share a y label get one label for the figure (``fig.supylabel``)
      instead of one per panel, so a long label never runs into the neighbouring
      panel's tick labels;
    * one legend below the panels, gathered from *every* panel (a method or a layer
      drawn in only some panels is still listed), with as many columns as fit the
      figure's width;
    * the figure title, the panel titles and the x labels are wrapped (at ``" · "``
      and spaces) to the width they have.

    Parameters
    ----------
    fig : Figure
    axes : sequence of Axes
        The panels, in reading order.
    title : str
        The figure title.
    order : callable, optional
        Sort key of the legend labels; default the order in which they are first
        drawn, panel by panel.
    """
    _tidy_log_axes(fig)
    axes = list(axes)
    ylabels = {ax.get_ylabel() for ax in axes}
    if len(axes) > 1 and len(ylabels) == 1 and "" not in ylabels:
        for ax in axes:
            ax.set_ylabel("")
        fig.supylabel(ylabels.pop(), fontsize="medium")
    entries: dict[str, Any] = {}
    for ax in axes:
        for handle, label in zip(*ax.get_legend_handles_labels()):
            entries.setdefault(label, handle)
    labels = sorted(entries, key=order) if order is not None else list(entries)
    suptitle = fig.suptitle(title)
    fig.draw_without_rendering()  # run the layout once, so widths below are the real ones
    width = fig.bbox.width
    _wrap_to_width(suptitle, 0.98 * width)
    for ax in axes:
        room = ax.get_window_extent().width
        _wrap_to_width(ax.title, 1.05 * room)
        _wrap_to_width(ax.xaxis.label, 1.05 * room)
    if labels:
        handles = [entries[label] for label in labels]
        for ncols in range(min(len(labels), _MAX_LEGEND_COLUMNS), 0, -1):
            legend = fig.legend(handles, labels, loc="outside lower center", ncols=ncols, frameon=False)
            fits = legend.get_window_extent().width <= 0.98 * width
            legend.remove()
            if fits or ncols == 1:
                break
        n_rows = math.ceil(len(labels) / ncols)
        fig.legend(handles, labels, loc="outside lower center", ncols=math.ceil(len(labels) / n_rows), frameon=False)
    return fig


def _wrap_to_width(text, width: float) -> None:
    """Break ``text`` into lines, at ``" · "`` first and else at spaces, to fit ``width`` pixels.

    Lines are filled greedily; a single word wider than ``width`` stays whole.
    """
    original = text.get_text()
    if not original or text.get_window_extent().width <= width:
        return
    for separator, line_end in ((" · ", " ·\n"), (" ", "\n")):
        pieces = original.split(separator)
        if len(pieces) < 2:
            continue
        lines = [pieces[0]]
        for piece in pieces[1:]:
            text.set_text(lines[-1] + separator + piece)
            if text.get_window_extent().width <= width:
                lines[-1] += separator + piece
            else:
                lines.append(piece)
        text.set_text(line_end.join(lines))
        if text.get_window_extent().width <= width:
            return


def _run_frame(runs: pd.DataFrame, curves: pd.DataFrame) -> pd.DataFrame:
    """``curves`` with each row's task and method, from ``runs``."""
    _require_columns(runs, "runs", ("run_id", "task", "method"))
    _require_columns(curves, "curves", ("run_id", "iteration"))
    keys = runs[["run_id", "task", "method"]].drop_duplicates("run_id")
    return curves.merge(keys, on="run_id", how="inner", validate="many_to_one")


def _aligned(frame: pd.DataFrame, x: str, values: Sequence[str], grid: np.ndarray) -> pd.DataFrame:
    """Every run's ``values`` on the common ``grid`` of ``x``, last value carried forward.

    For grid point g, a run contributes its last record with ``x <= g`` (so a run that
    stopped early keeps its final value to the end of the grid); grid points before a
    run's first record get NaN. Done with one :func:`pandas.merge_asof` over all runs.
    """
    keys = frame[["run_id", "task", "method"]].drop_duplicates("run_id")
    left = keys.loc[keys.index.repeat(grid.size)].assign(grid=np.tile(grid.astype(float), len(keys)))
    left = left.sort_values("grid", kind="stable").reset_index(drop=True)
    right = frame[["run_id", x, *values]].dropna(subset=[x]).astype({x: float}).sort_values(x, kind="stable")
    merged = pd.merge_asof(left, right, left_on="grid", right_on=x, by="run_id", direction="backward")
    return merged.rename(columns={x: "_recorded_at"})


def _grid(x_values: pd.Series, n_points: int, log: bool) -> np.ndarray:
    x_values = x_values.to_numpy(dtype=float)
    x_values = x_values[np.isfinite(x_values)]
    if log:
        x_values = x_values[x_values > 0]
    if x_values.size == 0:
        return np.array([])
    lo, hi = x_values.min(), x_values.max()
    if lo == hi:
        return np.array([lo])
    if log:
        return np.unique(np.concatenate([np.geomspace(lo, hi, n_points), [lo, hi]]))
    if np.allclose(x_values, np.round(x_values)) and hi - lo + 1 <= n_points:
        return np.arange(lo, hi + 1)
    return np.linspace(lo, hi, n_points)


def _band(
    aligned: pd.DataFrame, keys: list[str], column: str, quantiles: tuple[float, float], *, nan_as_inf: bool = True
) -> pd.DataFrame:
    """Median and quantile band of ``column`` over runs, per ``keys`` and grid point.

    Only grid points at which every run of the group has started are kept (so the
    median is always over all seeds). Recorded non-finite values (a diverged run)
    count as +inf when ``nan_as_inf``: they rank worst, and a quantile that falls on
    them is not drawn; otherwise NaN means "not recorded" and is skipped.
    """
    values = aligned[column].astype(float)
    recorded = aligned["_recorded_at"].notna()
    worst = recorded & ~np.isfinite(values) if nan_as_inf else recorded & np.isinf(values)
    values = values.mask(worst, np.inf).mask(~recorded, np.nan)
    if keys:
        n_runs = aligned.groupby(keys)["run_id"].transform("nunique")
    else:
        n_runs = pd.Series(aligned["run_id"].nunique(), index=aligned.index)
    data = aligned[keys + ["grid"]].assign(value=values, started=recorded, n_runs=n_runs)
    grouped = data.groupby(keys + ["grid"], sort=True)
    low, high = quantiles
    stats = pd.DataFrame(
        {
            "median": grouped["value"].quantile(0.5),
            "low": grouped["value"].quantile(low),
            "high": grouped["value"].quantile(high),
            "started": grouped["started"].sum(),
            "n_runs": grouped["n_runs"].max(),
        }
    ).reset_index()
    stats = stats[stats["started"] == stats["n_runs"]].drop(columns=["started", "n_runs"])
    return stats.replace([np.inf, -np.inf], np.nan).reset_index(drop=True)


def _check_quantiles(quantiles: Sequence[float]) -> tuple[float, float]:
    try:
        low, high = (float(q) for q in quantiles)
    except (TypeError, ValueError):
        raise ValueError(f"quantiles must be two numbers (low, high); got {quantiles!r}.") from None
    if not 0.0 <= low < 0.5 < high <= 1.0:
        raise ValueError(f"quantiles must satisfy 0 <= low < 0.5 < high <= 1; got {quantiles!r}.")
    return low, high


def _targets(runs: pd.DataFrame) -> dict[str, float]:
    if "target" not in runs.columns:
        return {}
    target = runs.groupby("task")["target"].agg(lambda t: t.iloc[0] if t.nunique() == 1 else np.nan)
    return {task: float(value) for task, value in target.items() if np.isfinite(value) and value > 0}


# --------------------------------------------------------------------------- coinciding lines

#: The attribute of a drawn figure that lists its coinciding lines: ``[(panel, (method, ...)), ...]``.
COINCIDING_ATTRIBUTE = "gradmethods_coinciding"
_DASH = 3.0  # points of one dash of a coinciding line


def _coinciding_groups(lines: dict[str, tuple[np.ndarray, np.ndarray]]) -> list[tuple[str, ...]]:
    """Groups (two or more, in drawing order) of methods whose lines have the same points.

    Examples
    --------
    >>> same = (np.arange(3.0), np.array([0.5, 0.2, 0.1]))
    >>> _coinciding_groups({"backprop": same, "dual": same, "genetic": (np.arange(3.0), np.ones(3))})
    [('backprop', 'dual')]
    """
    groups: list[list[str]] = []
    for method, (xs, ys) in lines.items():
        for group in groups:
            gx, gy = lines[group[0]]
            if len(gx) == len(xs) and np.allclose(gx, xs, rtol=1e-9, atol=0, equal_nan=True) and np.allclose(
                gy, ys, rtol=1e-9, atol=0, equal_nan=True
            ):
                group.append(method)
                break
        else:
            groups.append([method])
    return [tuple(group) for group in groups if len(group) > 1]


def _coinciding_style(method: str, groups: list[tuple[str, ...]]) -> tuple[int, int]:
    """(position, size) of ``method`` in its coinciding group; (0, 1) when its line coincides with none."""
    for group in groups:
        if method in group:
            return group.index(method), len(group)
    return 0, 1


def _dashes(position: int, size: int, style: MethodStyle) -> Any:
    """A line style that leaves the lines drawn before it visible.

    The first of ``size`` coinciding lines keeps its style; the k-th of the others draws
    one dash in ``size - 1``, offset so that no two of them cover the same stretch.
    """
    if size == 1 or position == 0:
        return style.linestyle
    return ((size - position) * _DASH, (_DASH, (size - 1) * _DASH))


def coinciding_note(fig: Figure) -> str:
    """A sentence naming the methods whose lines coincide in ``fig`` (empty when none do).

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> fig = Figure()
    >>> setattr(fig, COINCIDING_ATTRIBUTE, [("not", ("backprop", "dual")), ("xor", ("backprop", "dual"))])
    >>> coinciding_note(fig).split(": ")[1]
    'backprop and dual (not, xor).'
    """
    found = getattr(fig, COINCIDING_ATTRIBUTE, None) or []
    panels: dict[tuple[str, ...], list[str]] = {}
    for panel, group in found:
        panels.setdefault(tuple(group), []).append(str(panel))
    if not panels:
        return ""
    parts = []
    for group, names in panels.items():
        methods = ", ".join(group[:-1]) + f" and {group[-1]}"
        parts.append(f"{methods} ({', '.join(names)})")
    return ("Coinciding lines (identical data; drawn with alternating dashes and offset markers so each stays "
            f"visible): {'; '.join(parts)}.")  # fmt: skip


def _iteration_label(methods: Iterable[str]) -> str:
    """The iteration axis label; it says so when generations of a trainer share the axis with gradient steps."""
    kinds = {(_registered(m).kind if _registered(m) is not None else "gradient") for m in methods}
    if kinds == {"trainer"}:
        return "iteration (generations)"
    if "trainer" in kinds:
        trainers = sorted(m for m in methods if _registered(m) is not None and _registered(m).kind == "trainer")
        return f"iteration (gradient steps; {', '.join(trainers)}: generations)"
    return "iteration (gradient steps)"


# --------------------------------------------------------------------------- figures


def convergence(
    runs: pd.DataFrame,
    curves: pd.DataFrame,
    *,
    x: str = "iteration",
    methods: Iterable[str] | None = None,
    tasks: Iterable[str] | None = None,
    quantiles: Sequence[float] = (0.25, 0.75),
    n_points: int = 200,
    xscale: str | None = None,
) -> Figure:
    """Error against iterations, work (forward-pass equivalents or calls) or seconds; one panel per task.

    Parameters
    ----------
    runs, curves : DataFrame
        The run table (``run_id, task, method``, optionally ``target``) and the long
        curves table (``run_id, iteration, fpe, nfev, seconds, error``).
    x : {"iteration", "fpe", "nfev", "seconds"}
        The column on the horizontal axis.  ``"fpe"``, the work in forward-pass
        equivalents, falls back to ``"nfev"`` (function evaluations, calls) when the
        curves drawn do not all record it (results written before it was recorded);
        the axis label then says so (see :func:`work_axis`).
    methods, tasks : iterable of str, optional
        What to draw, in this order; default every method / task in the data. A name
        missing from the data raises ValueError.
    quantiles : (float, float)
        The band drawn around the median over seeds (default the inter-quartile range).
    n_points : int
        Size of the common grid for work and seconds (iterations use every integer
        when there are at most this many).
    xscale : {"linear", "log"}, optional
        Default ``"linear"`` for iterations and ``"log"`` for work and seconds, whose
        ranges span orders of magnitude between methods.

    Returns
    -------
    Figure

    Notes
    -----
    Runs record their curves at different x values (and finite differences spend
    many more forward passes per iteration than backprop), so each run is first put on
    a common grid per task: at each grid point it contributes its last record at or
    before that point. A run that stopped early (converged or diverged) keeps its
    last value to the end of the grid, so the median describes all seeds, not only
    the ones still running; a line starts at the first grid point where every seed
    has a record. Non-finite errors count as +inf.
    """
    x = check_choice("x", x, tuple(_X_LABELS))
    low, high = _check_quantiles(quantiles)
    if xscale is None:
        xscale = "linear" if x == "iteration" else "log"
    xscale = check_choice("xscale", xscale, ("linear", "log"))
    _require_columns(curves, "curves", ("run_id", "error"))
    frame = _run_frame(runs, curves)
    tasks = _select(frame["task"].unique(), tasks, "task")
    methods = _select(frame["method"].unique(), methods, "method")
    frame = frame[frame["task"].isin(tasks) & frame["method"].isin(methods)]
    targets = _targets(runs)
    axis = work_axis(frame, x)
    x = axis.column
    _require_columns(curves, "curves", (x,))

    fig, axes = _panel_grid(len(tasks))
    coinciding: list[tuple[str, tuple[str, ...]]] = []
    for ax, task in zip(axes, tasks):
        in_task = frame[frame["task"] == task]
        grid = _grid(in_task[x], n_points, log=xscale == "log")
        stats = _band(_aligned(in_task, x, ["error"], grid), ["method"], "error", (low, high))
        drawn = {m: stats[stats["method"] == m] for m in methods if (stats["method"] == m).any()}
        groups = _coinciding_groups({m: (line["grid"].to_numpy(), line["median"].to_numpy())
                                     for m, line in drawn.items()})  # fmt: skip
        coinciding += [(task, group) for group in groups]
        for method, line in drawn.items():
            style = method_style(method, methods)
            position, size = _coinciding_style(method, groups)
            every = max(1, len(line) // 8)
            kwargs = {**style.line_kwargs(), "linestyle": _dashes(position, size, style)}
            ax.plot(
                line["grid"], line["median"], label=method, markevery=(position * every // size, every),
                markersize=5, **kwargs,
            )
            ax.fill_between(line["grid"], line["low"], line["high"], color=style.color, alpha=0.18, linewidth=0)
        if task in targets:
            ax.axhline(targets[task], color="0.4", linestyle=":", linewidth=1.0, label="target")
        ax.set_yscale("log")
        ax.set_xscale(xscale)
        ax.set_title(task)
        ax.set_xlabel(_iteration_label(drawn) if x == "iteration" else axis.label)
        ax.set_ylabel(_ERROR_LABEL)
        ax.grid(True, which="major", alpha=0.3)
    legend_order = [*methods, "target"]
    setattr(fig, COINCIDING_ATTRIBUTE, coinciding)
    return _finish(fig, axes, f"Convergence: median error over seeds against {axis.words}", order=legend_order.index)


def target_ecdf(
    runs: pd.DataFrame,
    *,
    x: str = "fpe",
    methods: Iterable[str] | None = None,
    tasks: Iterable[str] | None = None,
) -> Figure:
    """ECDF of the work needed to reach the target; one panel per task.

    Parameters
    ----------
    runs : DataFrame
        ``run_id, task, method, outcome, nfev`` and ``fpe``: a run with outcome
        ``CONVERGED`` reached the target after that much work.
    x : {"fpe", "nfev", "iteration", "seconds"}
        The work: ``"fpe"`` (default), forward-pass equivalents, falls back to
        ``"nfev"`` (function evaluations, calls) when the runs drawn do not all record
        it, and the axis label says so (see :func:`work_axis`).  The run table's
        column ``iterations`` serves ``"iteration"``.
    methods, tasks : iterable of str, optional
        What to draw; default everything in the data.

    Returns
    -------
    Figure

    Notes
    -----
    The fixed-target view of COCO: at x work, the curve of a method is the
    fraction of *all* its runs that reached the target within x. Runs that failed
    (budget exhausted, diverged, failed) never reach it, so the curve ends below 1
    at the method's success rate; it is extended flat to the largest budget any run
    on the task used, so a curve stopping early means "no more successes", not "no
    more data".
    """
    x = check_choice("x", x, tuple(_X_LABELS))
    _require_columns(runs, "runs", ("run_id", "task", "method", "outcome"))
    tasks = _select(runs["task"].unique(), tasks, "task")
    methods = _select(runs["method"].unique(), methods, "method")
    frame = runs[runs["task"].isin(tasks) & runs["method"].isin(methods)]
    axis = work_axis(frame, x)
    column = _RUN_COLUMN.get(axis.column, axis.column)
    _require_columns(runs, "runs", (column,))

    fig, axes = _panel_grid(len(tasks))
    coinciding: list[tuple[str, tuple[str, ...]]] = []
    for ax, task in zip(axes, tasks):
        in_task = frame[frame["task"] == task]
        spent = pd.to_numeric(in_task[column], errors="coerce")
        spent = spent[np.isfinite(spent) & (spent > 0)]
        first, budget = (spent.min(), spent.max()) if len(spent) else (1.0, 1.0)
        steps = {}
        for method in methods:
            mine = in_task[in_task["method"] == method]
            if mine.empty:
                continue
            hits = np.sort(mine.loc[mine["outcome"].astype(str) == _SUCCESS_OUTCOME, column].to_numpy(dtype=float))
            fraction = np.arange(1, hits.size + 1) / len(mine)
            xs = np.concatenate([[first], hits, [budget]])
            ys = np.concatenate([[0.0], fraction, [fraction[-1] if hits.size else 0.0]])
            steps[method] = (xs, ys)
        groups = _coinciding_groups(steps)
        coinciding += [(task, group) for group in groups]
        for method, (xs, ys) in steps.items():
            style = method_style(method, methods)
            position, size = _coinciding_style(method, groups)
            # a coinciding curve also marks one of its rises, a different one for each method of the group
            marks = [len(xs) - 1] if size == 1 else sorted({1 + (position * (len(xs) - 2)) // size, len(xs) - 1})
            kwargs = {**style.line_kwargs(), "linestyle": _dashes(position, size, style)}
            ax.step(xs, ys, where="post", label=method, markevery=marks, **kwargs)
        ax.set_xscale("log")
        ax.set_ylim(-0.02, 1.02)
        ax.set_title(task)
        label = _iteration_label(steps) if axis.column == "iteration" else axis.label
        ax.set_xlabel(f"{label}, to reach the target")
        ax.set_ylabel("fraction of runs that reached the target")
        ax.grid(True, alpha=0.3)
    title = f"Fixed-target view: runs reaching the target within a budget of {axis.words}"
    setattr(fig, COINCIDING_ATTRIBUTE, coinciding)
    return _finish(fig, axes, title, order=methods.index)


def success_rates(
    summary: pd.DataFrame,
    *,
    methods: Iterable[str] | None = None,
    tasks: Iterable[str] | None = None,
) -> Figure:
    """Success rate per method and task, with its 95 % Wilson interval.

    Parameters
    ----------
    summary : DataFrame
        ``task, method, runs, success_rate, success_low, success_high``.
    methods, tasks : iterable of str, optional
        What to draw; default everything in the data.

    Returns
    -------
    Figure
        One axes; tasks along x, one marker and error bar per method (offset
        sideways so they do not overlap). A summary with grid settings (columns
        between ``method`` and ``runs``, as :func:`gradmethods.summarize` writes
        them) gets one marker per method and grid point, labelled with the
        settings: the method's colour and marker, a different marker fill.

    Notes
    -----
    The Wilson score interval is used (it is computed by the runner) because the
    normal interval collapses to zero width at 0 % and 100 %, which are the usual
    rates with a handful of seeds.
    """
    _require_columns(summary, "summary", ("task", "method", "runs", "success_rate", "success_low", "success_high"))
    tasks = _select(summary["task"].unique(), tasks, "task")
    methods = _select(summary["method"].unique(), methods, "method")
    columns = list(summary.columns)
    grid_columns = columns[columns.index("method") + 1: columns.index("runs")]
    series = [(method, key) for method in methods
              for key in _grid_points(summary[summary["method"] == method], grid_columns)]  # fmt: skip
    fig = Figure(figsize=(max(5.0, 1.1 * len(tasks) * len(series) ** 0.5 + 3), 4.2), layout="constrained")
    ax = fig.add_subplot()
    width = 0.8 / len(series)
    positions = np.arange(len(tasks), dtype=float)
    for i, (method, key) in enumerate(series):
        mine = summary["method"] == method
        for column, value in zip(grid_columns, key):
            mine &= summary[column].isna() if pd.isna(value) else summary[column] == value
        rows = summary[mine].drop_duplicates("task").set_index("task").reindex(tasks)
        rate = rows["success_rate"].to_numpy(dtype=float)
        err = np.vstack([rate - rows["success_low"].to_numpy(float), rows["success_high"].to_numpy(float) - rate])
        style = method_style(method)
        label = method if not grid_columns else f"{method} ({', '.join(f'{c}={v}' for c, v in zip(grid_columns, key))})"
        fill = _FILL_STYLES[[k for m, k in series if m == method].index(key) % len(_FILL_STYLES)]
        ax.errorbar(
            positions - 0.4 + width * (i + 0.5), rate, yerr=np.clip(err, 0, None), label=label,
            color=style.color, marker=style.marker, fillstyle=fill, linestyle="none", capsize=3, markersize=6,
        )
    ax.set_xticks(positions, tasks)
    _fit_tick_labels(fig, ax, len(tasks))
    ax.set_xlim(-0.5, len(tasks) - 0.5)
    ax.set_ylim(-0.03, 1.03)
    ax.set_xlabel("task")
    ax.set_ylabel("success rate (fraction of runs converged)")
    ax.grid(True, axis="y", alpha=0.3)
    return _finish(fig, [ax], "Success rate with 95 % Wilson interval")


_FILL_STYLES = ("full", "none", "left", "right", "bottom", "top")


def _grid_points(summary: pd.DataFrame, grid_columns: list[str]) -> list[tuple]:
    """The distinct values of the grid columns in ``summary``, in order of appearance (``[()]`` without a grid)."""
    if not grid_columns:
        return [()]
    return list(summary[grid_columns].drop_duplicates().itertuples(index=False, name=None))


def _fit_tick_labels(fig: Figure, ax, n_slots: int) -> None:
    """Keep category tick labels (long task names) from running into each other.

    A label wider than its slot is broken at ``" · "`` into lines; if some are
    still too wide, all labels are turned by 30 degrees.
    """
    fig.draw_without_rendering()
    slot = 0.95 * ax.get_window_extent().width / n_slots
    labels = ax.get_xticklabels()
    if max(label.get_window_extent().width for label in labels) <= slot:
        return
    for label in labels:
        label.set_text(label.get_text().replace(" · ", "\n"))
    ax.set_xticks(ax.get_xticks(), [label.get_text() for label in labels])
    labels = ax.get_xticklabels()
    fig.draw_without_rendering()
    if max(label.get_window_extent().width for label in labels) > slot:
        ax.tick_params(axis="x", labelrotation=30)
        for label in labels:
            label.set_horizontalalignment("right")
            label.set_rotation_mode("anchor")


def fd_step_curve(study: pd.DataFrame, *, methods: Iterable[str] | None = None) -> Figure:
    """The finite-difference step-size V-curve: gradient error against step, log-log.

    Parameters
    ----------
    study : DataFrame
        ``method, step, max_rel_error`` (from ``gradmethods.analysis.gradient_check.fd_step_study``).
    methods : iterable of str, optional
        What to draw; default every method in the study.

    Returns
    -------
    Figure

    Notes
    -----
    For large steps the truncation error dominates (slope 1 for forward, 2 for
    central differences); for small steps rounding error, of order eps/h, takes
    over. The bottom of the V is the best step, near eps^(1/2) (forward) and
    eps^(1/3) (central); the complex step has no subtraction and stays flat. A
    zero error is drawn at the machine epsilon of float64 so it stays on the log
    axis.
    """
    _require_columns(study, "FD step study", ("method", "step", "max_rel_error"))
    methods = _select(study["method"].unique(), methods, "method")
    fig = Figure(figsize=(6.4, 4.6), layout="constrained")
    ax = fig.add_subplot()
    floor = np.finfo(np.float64).eps
    for method in methods:
        rows = study[study["method"] == method].sort_values("step")
        error = np.clip(rows["max_rel_error"].to_numpy(dtype=float), floor, None)
        steps = rows["step"].to_numpy(dtype=float)
        ax.plot(steps, error, label=method, markersize=5, **method_style(method).line_kwargs())
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("step size h (parameter units)")
    ax.set_ylabel("max relative gradient error (vs. backprop)")
    ax.grid(True, which="major", alpha=0.3)
    return _finish(fig, [ax], "Finite-difference step size: the V-curve")


def gradient_cost(bench: pd.DataFrame, *, methods: Iterable[str] | None = None) -> Figure:
    """Time per gradient against the number of parameters, log-log; one panel per dtype.

    Parameters
    ----------
    bench : DataFrame
        ``provider, case, n_params, dtype, seconds_median`` (``gradmethods bench``).
    methods : iterable of str, optional
        Providers to draw; default all.

    Returns
    -------
    Figure

    Notes
    -----
    On log-log axes a cost growing like ``n_params ** k`` is a straight line of
    slope k: backprop (a fixed number of passes, each of cost ~ n_params) is
    expected near slope 1; forward-mode dual numbers and finite differences (one
    or two passes per parameter) near slope 2. Several cases with the same size
    are reduced to their median.
    """
    _require_columns(bench, "bench", ("provider", "n_params", "dtype", "seconds_median"))
    methods = _select(bench["provider"].unique(), methods, "method")
    dtypes = sorted(bench["dtype"].astype(str).unique())
    fig, axes = _panel_grid(len(dtypes), width=5.2, height=4.2)
    for ax, dtype in zip(axes, dtypes):
        in_dtype = bench[bench["dtype"].astype(str) == dtype]
        for method in methods:
            rows = in_dtype[in_dtype["provider"] == method]
            if rows.empty:
                continue
            line = rows.groupby("n_params")["seconds_median"].median().sort_index()
            ax.plot(line.index.to_numpy(float), line.to_numpy(float), label=method, markersize=5,
                    **method_style(method).line_kwargs())
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_title(dtype)
        ax.set_xlabel("number of parameters")
        ax.set_ylabel("time per gradient (s, median)")
        ax.grid(True, which="major", alpha=0.3)
    return _finish(fig, axes, "Gradient cost against network size", order=methods.index)



def random_direction_cosine(n_params: Any) -> np.ndarray:
    """Mean ``|cos|`` between a fixed vector and a uniformly random direction in ``n_params`` dimensions.

    ``Γ(P/2) / (√π Γ((P+1)/2))``, about ``sqrt(2 / (π P))`` for large P: the cosine
    similarity one Gaussian forward-gradient tangent ``(g·v) v`` has with ``g`` on
    average.

    Examples
    --------
    >>> random_direction_cosine([1, 2, 10_000]).round(4).tolist()
    [1.0, 0.6366, 0.008]
    """
    P = np.asarray(n_params, dtype=float)
    lgamma = np.vectorize(math.lgamma, otypes=[float])
    return np.exp(lgamma(P / 2) - lgamma((P + 1) / 2)) / math.sqrt(math.pi)


def estimator_cosine(
    quality: pd.DataFrame,
    *,
    estimators: Iterable[str] | None = None,
    tasks: Iterable[str] | None = None,
    reference: bool = True,
) -> Figure:
    """Cosine similarity of one gradient estimate with the exact gradient against P; one panel per task.

    Parameters
    ----------
    quality : DataFrame
        The tidy table of :func:`gradmethods.estimator_quality` (``estimator_quality.csv``
        in a results folder): columns ``task, estimator, method, P, cos_mean, cos_std``.
    estimators : iterable of str, optional
        Values of the ``estimator`` column to draw (e.g. ``"forward_gradient k=8"``);
        default all, in the table's order.
    tasks : iterable of str, optional
        Tasks to draw; default all.
    reference : bool, default True
        Also draw, dotted grey, the mean ``|cos|`` of a uniformly random direction
        (:func:`random_direction_cosine`): what one Gaussian forward-gradient tangent
        gives in theory.

    Returns
    -------
    Figure
        Per estimator one line (mean cosine over the estimates drawn at each size, log x)
        with a band of ± one standard deviation over those estimates.

    Notes
    -----
    The cosine is the share of a small step along the estimate that goes downhill:
    1 for an exact gradient, about ``sqrt(2 / (π P))`` for one random tangent, so a
    line falling with slope -1/2 against log P is an estimator whose directions
    carry less and less of the gradient as the network grows.  Several estimators of
    one method (the forward gradient with 1, 8 or 64 tangents) share the method's
    colour and differ by line style.

    Examples
    --------
    >>> import pandas as pd
    >>> quality = pd.DataFrame({"task": "or_and", "estimator": ["backprop"] * 2 + ["spsa"] * 2,
    ...                         "method": ["backprop"] * 2 + ["spsa"] * 2, "P": [12, 1002] * 2,
    ...                         "cos_mean": [1.0, 1.0, 0.24, 0.03], "cos_std": [0.0, 0.0, 0.2, 0.02]})
    >>> fig = estimator_cosine(quality)
    >>> fig.axes[0].get_xscale(), [line.get_label() for line in fig.axes[0].get_lines()][:2]
    ('log', ['backprop', 'spsa'])
    """
    _require_columns(quality, "estimator quality", ("task", "estimator", "method", "P", "cos_mean", "cos_std"))
    available = list(dict.fromkeys(quality["estimator"].astype(str)))
    chosen = available if estimators is None else _select(available, estimators, "estimator")
    tasks = _select(list(dict.fromkeys(quality["task"].astype(str))), tasks, "task")
    methods = quality.drop_duplicates("estimator").set_index("estimator")["method"].astype(str)
    shown_of_method: dict[str, list[str]] = {}
    for estimator in chosen:
        shown_of_method.setdefault(methods[estimator], []).append(estimator)
    fig, axes = _panel_grid(len(tasks), width=5.2, height=4.2)
    for ax, task in zip(axes, tasks):
        in_task = quality[quality["task"].astype(str) == task]
        for estimator in chosen:
            rows = in_task[in_task["estimator"].astype(str) == estimator].sort_values("P")
            if rows.empty:
                continue
            method = methods[estimator]
            style = method_style(method)
            position = shown_of_method[method].index(estimator)
            P = rows["P"].to_numpy(dtype=float)
            mean, spread = rows["cos_mean"].to_numpy(dtype=float), rows["cos_std"].to_numpy(dtype=float)
            ax.plot(P, mean, color=style.color, marker=style.marker, markersize=5,
                    linestyle=_SETTING_LINESTYLES[position % len(_SETTING_LINESTYLES)], label=estimator)
            ax.fill_between(P, mean - spread, mean + spread, color=style.color, alpha=0.12, linewidth=0)
        if reference and not in_task.empty:
            P = np.geomspace(in_task["P"].min(), in_task["P"].max(), 50)
            ax.plot(P, random_direction_cosine(P), color="0.45", linestyle=":", linewidth=1.2,
                    label="one random direction (theory)")
        ax.set_xscale("log")
        ax.set_ylim(min(0.0, ax.get_ylim()[0]), 1.05)
        ax.set_title(task)
        ax.set_xlabel("number of parameters P")
        ax.set_ylabel("cosine similarity with backprop's gradient (1 = exact direction)")
        ax.grid(True, which="major", alpha=0.3)
    return _finish(fig, axes, "Quality of one gradient estimate against network size")


def _layer_columns(curves: pd.DataFrame) -> list[str]:
    columns = [c for c in curves.columns if str(c).startswith("grad_norm_layer") and str(c)[15:].isdigit()]
    return sorted(columns, key=lambda c: int(str(c)[15:]))


def layer_gradient_norms(
    runs: pd.DataFrame,
    curves: pd.DataFrame,
    *,
    methods: Iterable[str] | None = None,
    tasks: Iterable[str] | None = None,
    n_points: int = 200,
) -> Figure:
    """Per-layer gradient norm during training; one panel per (task, method).

    Parameters
    ----------
    runs, curves : DataFrame
        ``curves`` must have ``grad_norm_layer0, grad_norm_layer1, ...`` columns;
        only (task, method) pairs with recorded norms are drawn.
    methods, tasks : iterable of str, optional
        What to draw; default every pair with data.
    n_points : int
        Grid size for aligning runs (see :func:`convergence`).

    Returns
    -------
    Figure
        One legend lists every layer drawn in any panel (a deeper network adds
        layers); a layer has the same colour in every panel.

    Notes
    -----
    Each line is a layer (layer 0 is next to the input), the median over seeds of
    the Euclidean norm of that layer's weight-and-bias gradient. Lines that fall
    away from each other toward the input layers show the vanishing gradient of
    saturated sigmoids; lines climbing by orders of magnitude show an unstable one.
    """
    columns = _layer_columns(curves)
    if not columns:
        raise ValueError(
            "curves has no per-layer gradient norms (columns 'grad_norm_layer0', 'grad_norm_layer1', ...)."
        )
    frame = _run_frame(runs, curves)
    frame = frame[frame[columns].notna().any(axis=1)]
    tasks = _select(frame["task"].unique(), tasks, "task")
    methods = _select(frame["method"].unique(), methods, "method")
    frame = frame[frame["task"].isin(tasks) & frame["method"].isin(methods)]
    pairs = [(t, m) for t in tasks for m in methods if ((frame["task"] == t) & (frame["method"] == m)).any()]
    if not pairs:
        raise ValueError(f"no recorded per-layer gradient norms for tasks {tasks} and methods {methods}.")
    fig, axes = _panel_grid(len(pairs))
    colors = _layer_colors(len(columns))
    for ax, (task, method) in zip(axes, pairs):
        mine = frame[(frame["task"] == task) & (frame["method"] == method)]
        grid = _grid(mine["iteration"], n_points, log=False)
        aligned = _aligned(mine, "iteration", columns, grid)
        for k, column in enumerate(columns):
            if mine[column].isna().all():
                continue
            stats = _band(aligned, [], column, (0.25, 0.75), nan_as_inf=False)
            ax.plot(stats["grid"], stats["median"], color=colors[k], label=f"layer {_layer_number(column)}")
            ax.fill_between(stats["grid"], stats["low"], stats["high"], color=colors[k], alpha=0.15, linewidth=0)
        ax.set_yscale("log")
        ax.set_title(f"{task} · {method}")
        ax.set_xlabel("iteration (gradient steps)")
        ax.set_ylabel("gradient norm of the layer (cost per parameter unit)")
        ax.grid(True, which="major", alpha=0.3)
    return _finish(fig, axes, "Per-layer gradient magnitude during training", order=_layer_number)


def _layer_number(name: str) -> int:
    """The layer index in a column name ``grad_norm_layer<k>`` or a legend label ``layer <k>``."""
    return int(str(name).removeprefix("grad_norm_layer").removeprefix("layer "))


def _layer_colors(n_layers: int) -> list:
    from matplotlib import colormaps

    cmap = colormaps["viridis"]
    return [cmap(v) for v in np.linspace(0.0, 0.85, n_layers)]


def genetic_costs(
    runs: pd.DataFrame,
    curves: pd.DataFrame,
    *,
    methods: Iterable[str] | None = None,
    tasks: Iterable[str] | None = None,
    quantiles: Sequence[float] = (0.25, 0.75),
    n_points: int = 200,
) -> Figure:
    """Best and median population cost per generation; one panel per task.

    Parameters
    ----------
    runs, curves : DataFrame
        ``curves`` must have a ``median_cost`` column (the population median) next to
        ``cost`` (the best member's cost); only runs that recorded it are drawn.
    methods, tasks : iterable of str, optional
        What to draw; default every population-based method and task with data.
    quantiles : (float, float)
        Band over seeds around each median line.
    n_points : int
        Grid size for aligning runs (see :func:`convergence`).

    Returns
    -------
    Figure
        Per method: a solid line (best member) and a dashed line (population
        median), both the median over seeds.

    Notes
    -----
    The gap between the two lines is the spread of the population: a gap that
    closes means selection has converged the population around the best member
    (exploration is over); a best cost that stalls while the gap stays open means
    mutation keeps the population diverse but no better member is found.
    """
    _require_columns(curves, "curves", ("run_id", "iteration", "cost", "median_cost"))
    low, high = _check_quantiles(quantiles)
    frame = _run_frame(runs, curves)
    frame = frame[frame["median_cost"].notna()]
    tasks = _select(frame["task"].unique(), tasks, "task")
    methods = _select(frame["method"].unique(), methods, "method")
    frame = frame[frame["task"].isin(tasks) & frame["method"].isin(methods)]
    fig, axes = _panel_grid(len(tasks))
    for ax, task in zip(axes, tasks):
        in_task = frame[frame["task"] == task]
        grid = _grid(in_task["iteration"], n_points, log=False)
        aligned = _aligned(in_task, "iteration", ["cost", "median_cost"], grid)
        for method in methods:
            style = method_style(method)
            for column, linestyle, what in (("cost", "-", "best"), ("median_cost", "--", "population median")):
                stats = _band(aligned[aligned["method"] == method], ["method"], column, (low, high))
                if stats.empty:
                    continue
                ax.plot(stats["grid"], stats["median"], color=style.color, linestyle=linestyle,
                        label=f"{method}: {what}")
                ax.fill_between(stats["grid"], stats["low"], stats["high"], color=style.color, alpha=0.12,
                                linewidth=0)
        ax.set_yscale("log")
        ax.set_title(task)
        ax.set_xlabel("generation")
        ax.set_ylabel("cost (mean over patterns)")
        ax.grid(True, which="major", alpha=0.3)
    def legend_order(label: str) -> tuple[int, str]:
        method, _, what = label.rpartition(": ")
        return methods.index(method), what

    return _finish(fig, axes, "Genetic trainer: best and median cost per generation", order=legend_order)


def label_grid_points(runs: pd.DataFrame, summary: pd.DataFrame | None) -> pd.DataFrame:
    """``runs`` with the ``method`` of a method run at several grid points naming the point.

    A suite that runs one method with several settings (``grid = { k = [1, 8, 64] }``)
    has one summary row per setting; the figures drawn from runs and curves group by
    ``method``, so without this they would pool the settings.  The grid columns are the
    summary's columns between ``method`` and ``runs`` (as :func:`success_rates` reads
    them).  A method with one grid point keeps its name.

    Examples
    --------
    >>> import pandas as pd
    >>> runs = pd.DataFrame({"method": ["backprop", "forward_gradient", "forward_gradient"], "k": [None, 1, 8]})
    >>> summary = pd.DataFrame({"task": "or_and", "method": ["backprop", "forward_gradient", "forward_gradient"],
    ...                         "k": [None, 1, 8], "runs": 1})
    >>> label_grid_points(runs, summary)["method"].tolist()
    ['backprop', 'forward_gradient (k=1)', 'forward_gradient (k=8)']
    """
    if summary is None or "method" not in summary.columns or "runs" not in summary.columns:
        return runs
    columns = list(summary.columns)
    grid_columns = [c for c in columns[columns.index("method") + 1: columns.index("runs")] if c in runs.columns]
    if not grid_columns:
        return runs
    labels = runs["method"].astype(str).copy()
    for method, mine in runs.groupby("method", sort=False):
        varying = [c for c in grid_columns if mine[c].nunique(dropna=False) > 1]
        if not varying:
            continue
        for index, row in mine[varying].iterrows():
            shown = [f"{c}={_setting_text(row[c])}" for c in varying if not pd.isna(row[c])]
            labels[index] = f"{method} ({', '.join(shown)})" if shown else str(method)
    return runs.assign(method=labels)


def _setting_text(value: Any) -> str:
    """A grid value as a suite file writes it: ``8`` for a whole number pandas read as 8.0."""
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return str(int(value))
    return str(value)


# --------------------------------------------------------------------------- figure table


@dataclass(frozen=True)
class FigureSpec:
    """One figure of the report: how to draw it, when the data allow it, its caption.

    Attributes
    ----------
    name : str
        File stem of the saved figure (``plots/<name>.png``).
    title : str
        Heading in the report.
    caption : str
        What the figure shows and how to read it.
    available : callable
        ``available(data) -> bool``: whether ``data`` (an object with ``runs``,
        ``curves``, ``summary``, ``fd_step_study``, ``bench`` attributes, each a
        DataFrame or None) holds what the figure needs.
    draw : callable
        ``draw(data) -> Figure``.
    records_fpe : callable, optional
        For a figure of work: ``records_fpe(data) -> bool``, whether the data drawn
        record forward-pass equivalents.  Where they do not (results written before
        fpe was recorded) the figure shows function evaluations (calls) instead, and
        :meth:`text` gives ``fallback``.
    fallback : (str, str), optional
        Title and caption of the figure drawn in calls.
    """

    name: str
    title: str
    caption: str
    available: Callable[[Any], bool]
    draw: Callable[[Any], Figure]
    records_fpe: Callable[[Any], bool] | None = None
    fallback: tuple[str, str] | None = None

    def text(self, data: Any) -> tuple[str, str]:
        """Title and caption of the figure drawn from ``data``, naming the unit it shows.

        Examples
        --------
        >>> import pandas as pd, types
        >>> runs = pd.DataFrame({"run_id": ["a"], "task": ["xor"], "method": ["backprop"], "outcome": ["CONVERGED"],
        ...                      "nfev": [3]})
        >>> FIGURES["target_ecdf"].text(types.SimpleNamespace(runs=runs))[0]
        'Function evaluations (calls) to reach the target (ECDF)'
        """
        if self.records_fpe is not None and self.fallback is not None and not self.records_fpe(data):
            return self.fallback
        return self.title, self.caption


def _grid_runs(data: Any) -> pd.DataFrame:
    """The runs of report data, each grid point of a method its own series (:func:`label_grid_points`)."""
    return label_grid_points(data.runs, getattr(data, "summary", None))


def _has(frame: pd.DataFrame | None, columns: Iterable[str]) -> bool:
    return isinstance(frame, pd.DataFrame) and not frame.empty and all(c in frame.columns for c in columns)


def _has_curves(data: Any, column: str) -> bool:
    return _has(data.runs, ("run_id", "task", "method")) and _has(data.curves, ("run_id", column, "error"))


def _curves_record_fpe(data: Any) -> bool:
    """Whether every curve row of the runs drawn records forward-pass equivalents (what :func:`convergence` asks)."""
    return not work_axis(_run_frame(data.runs, data.curves), "fpe").fallback


def _runs_record_fpe(data: Any) -> bool:
    """Whether every run drawn records forward-pass equivalents (what :func:`target_ecdf` asks)."""
    return not work_axis(data.runs, "fpe").fallback


#: How the captions of the figures of work describe the unit.
_FPE_NOTE = (
    "Work is in forward-pass equivalents (log x): the arithmetic a method spent, in multiples of one real forward "
    "pass of the network, from each method's declared cost per call. A backprop step costs about 2 to 3, a "
    "dual-number step up to about 2P and a finite-difference or complex step P + 1 to 4P + 1 for P parameters, a "
    "generation of the genetic algorithm one per network it evaluates."
)
_NO_FPE_NOTE = (
    "These results record no forward-pass equivalents (they were written before those were recorded), so work is "
    "in function evaluations (calls, log x): a dual-number pass carrying many tangents, a complex-step pass and a "
    "backprop call count one each, whatever their arithmetic, so this axis understates the work of dual numbers and "
    "of the complex step against backprop."
)


_ALIGN_NOTE = (
    "Runs are aligned on a common x grid per task; a run that stopped early (converged or diverged) carries its "
    "last value forward, so every seed counts at every x, and lines start where every seed has a first record. "
    "A diverged run counts as infinite error."
)


def _convergence_caption(what: str, extra: str) -> str:
    return (
        f"Error (log scale) against {what}, one panel per task. Each line is the median over seeds of a method; "
        f"the shaded band spans the 25th to 75th percentile. {extra} The dotted grey line is the target error. "
        f"{_ALIGN_NOTE}"
    )


def _convergence_spec(x: str, what: str, extra: str) -> FigureSpec:
    return FigureSpec(
        name=f"convergence_{x}",
        title=f"Convergence against {what}",
        caption=_convergence_caption(what, extra),
        available=lambda data: _has_curves(data, x),
        draw=lambda data: convergence(_grid_runs(data), data.curves, x=x),
    )


_WORK_COMPARISON = (
    "Lines further left reached the same error with less arithmetic; methods that compute the same gradient "
    "differ here by what their gradient costs."
)


def _ecdf_caption(what: str, unit_note: str) -> str:
    return (
        f"Fixed-target view (COCO style), one panel per task: at x {what}, each curve gives the fraction of a "
        "method's runs that reached the target error within x. Runs that never reached it keep the curve below 1: "
        "its final height is the success rate, and curves are extended flat to the largest budget used. Further "
        f"left means cheaper, higher means more reliable. {unit_note}"
    )


#: The report's figures in page order.
FIGURES: dict[str, FigureSpec] = {
    spec.name: spec
    for spec in (
        _convergence_spec(
            "iteration", "iterations",
            "Lower and further left is faster per step; methods that compute the same gradient should overlap.",
        ),
        FigureSpec(
            name="convergence_fpe",
            title="Convergence against forward-pass equivalents",
            caption=_convergence_caption("work in forward-pass equivalents", f"{_FPE_NOTE} {_WORK_COMPARISON}"),
            available=lambda data: _has_curves(data, "fpe") or _has_curves(data, "nfev"),
            draw=lambda data: convergence(_grid_runs(data), data.curves, x="fpe"),
            records_fpe=_curves_record_fpe,
            fallback=(
                "Convergence against function evaluations (calls; no forward-pass equivalents recorded)",
                _convergence_caption("function evaluations (calls)", _NO_FPE_NOTE),
            ),
        ),
        _convergence_spec(
            "seconds", "wall-clock time",
            "Time includes all overhead of a method (log x); it depends on the machine, compare methods within "
            "one figure only.",
        ),
        FigureSpec(
            name="target_ecdf",
            title="Forward-pass equivalents to reach the target (ECDF)",
            caption=_ecdf_caption("forward-pass equivalents", _FPE_NOTE),
            available=lambda data: _has(data.runs, ("run_id", "task", "method", "outcome", "nfev")),
            draw=lambda data: target_ecdf(_grid_runs(data), x="fpe"),
            records_fpe=_runs_record_fpe,
            fallback=(
                "Function evaluations (calls) to reach the target (ECDF)",
                _ecdf_caption("function evaluations (calls)", _NO_FPE_NOTE),
            ),
        ),
        FigureSpec(
            name="success_rate",
            title="Success rate",
            caption=(
                "Fraction of runs that converged to the target, per task and method, with the 95 % Wilson score "
                "interval over seeds as error bar. With few seeds the interval is wide: two methods differ only "
                "where their intervals do not overlap."
            ),
            available=lambda data: _has(
                data.summary, ("task", "method", "runs", "success_rate", "success_low", "success_high")
            ),
            draw=lambda data: success_rates(data.summary),
        ),
        FigureSpec(
            name="fd_step_study",
            title="Finite-difference step size",
            caption=(
                "Maximum relative error of each finite-difference gradient against the exact (backprop) gradient, "
                "as a function of the step h, log-log. Right of the bottom of the V, truncation error dominates "
                "(slope 1 forward, slope 2 central); left of it, rounding error of order eps/h grows as the step "
                "shrinks. The complex step has no subtraction and stays flat down to tiny steps. Errors of exactly "
                "zero are drawn at float64 machine epsilon."
            ),
            available=lambda data: _has(data.fd_step_study, ("method", "step", "max_rel_error")),
            draw=lambda data: fd_step_curve(data.fd_step_study),
        ),
        FigureSpec(
            name="gradient_cost",
            title="Gradient cost against network size",
            caption=(
                "Median time to compute one gradient against the number of parameters, log-log, one panel per "
                "dtype. A straight line of slope k means cost grows like n_params^k: backprop needs a fixed number "
                "of passes (slope about 1), forward-mode and finite-difference methods one pass per parameter "
                "(slope about 2). Absolute times depend on the machine; compare slopes and ratios."
            ),
            available=lambda data: _has(data.bench, ("provider", "n_params", "dtype", "seconds_median")),
            draw=lambda data: gradient_cost(data.bench),
        ),
        FigureSpec(
            name="layer_gradient_norms",
            title="Per-layer gradient magnitude",
            caption=(
                "Euclidean norm of each layer's gradient during training (median over seeds, log scale, band = "
                "inter-quartile range), one panel per task and method. Layer 0 is next to the input. Lines that "
                "drift apart, with the input-side layers orders of magnitude smaller, show the vanishing gradient "
                f"of saturated sigmoids; lines growing without bound show an unstable gradient. {_ALIGN_NOTE}"
            ),
            available=lambda data: _has(data.runs, ("run_id", "task", "method"))
            and isinstance(data.curves, pd.DataFrame)
            and bool(_layer_columns(data.curves))
            and bool(data.curves[_layer_columns(data.curves)].notna().any().any()),
            draw=lambda data: layer_gradient_norms(data.runs, data.curves),
        ),
        FigureSpec(
            name="genetic_costs",
            title="Genetic trainer: best and median cost",
            caption=(
                "Cost of the best population member (solid) and the population median (dashed) per generation, "
                "median over seeds with the inter-quartile band, log scale, one panel per task. A closing gap "
                "means selection has gathered the population around the best member; a stalled best line with an "
                f"open gap means mutation keeps diversity without finding better members. {_ALIGN_NOTE}"
            ),
            available=lambda data: _has(data.runs, ("run_id", "task", "method"))
            and _has(data.curves, ("run_id", "iteration", "cost", "median_cost"))
            and bool(data.curves["median_cost"].notna().any()),
            draw=lambda data: genetic_costs(data.runs, data.curves),
        ),
        FigureSpec(
            name="estimator_cosine",
            title="Quality of one gradient estimate against network size",
            caption=(
                "Cosine similarity between one estimate of each stochastic estimator and backprop's exact gradient, "
                "against the number of parameters P (log x), one panel per task, from estimator_quality.csv "
                "(gradmethods check --estimators --out DIR). Each line is the mean over the estimates drawn at one "
                "parameter point per size; the band spans ± one standard deviation over them. 1 is the exact "
                "direction; the dotted grey line is the mean cosine of one random direction, about sqrt(2/(πP)), "
                "what one Gaussian forward-gradient tangent gives. More tangents, pairs or samples raise the line "
                "at a cost per estimate that grows with their number."
            ),
            available=lambda data: _has(getattr(data, "estimator_quality", None),
                                        ("task", "estimator", "method", "P", "cos_mean", "cos_std")),
            draw=lambda data: estimator_cosine(data.estimator_quality),
        ),
    )
}


def caption(name: str) -> str:
    """The caption of the report figure ``name`` (a key of :data:`FIGURES`), for results that record fpe.

    :meth:`FigureSpec.text` gives the caption for given data (a figure of work drawn
    in calls, for results without forward-pass equivalents, says so).

    Examples
    --------
    >>> "Wilson" in caption("success_rate")
    True
    """
    return FIGURES[check_choice("name", name, FIGURES)].caption
