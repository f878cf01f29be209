"""The size of a suite, counted before it is expanded into runs, and the limits it must stay within.

A suite's size grows as the product of its tasks, methods, grid values and seeds, and
the memory and disk of each run with its iteration budget.  :func:`suite_size` counts
it from the validated entries, by arithmetic, before a single run is built, so a suite
with a billion seeds or a trillion-iteration budget is refused in a moment instead of
filling memory.  The counts are upper bounds: a run that reaches its target stops
early and writes fewer history rows.

Default limits (:class:`SizeLimits`; ``gradmethods run --max-runs/--max-disk/--max-memory``
raise them):

* runs: 100,000;
* disk: 20 GB of curves (about :data:`CSV_BYTES_PER_ROW` bytes per history row);
* memory: 4 GB for the histories in flight at once (the largest work unit — runs that
  differ only in their seed and train as one stack — times the worker count).
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from typing import Any

__all__ = ["SizeLimits", "SuiteSize", "suite_size", "size_problems", "parse_bytes", "format_bytes"]

#: Bytes of one history row in a curve file (seven numbers written in full precision, as measured).
CSV_BYTES_PER_ROW = 110
#: Numbers held per history row while a run trains (cost, error, counts, seconds, a DataFrame copy of each).
MEMORY_NUMBERS_PER_ROW = 16
#: The budget a trainer without a gradient uses when neither the suite nor its options give one.
TRAINER_BUDGET_OPTIONS = ("max_generations", "max_iterations")


@dataclass(frozen=True)
class SizeLimits:
    """Limits a suite's size must stay within (:func:`size_problems`); the defaults are in the module docstring."""

    max_runs: int = 100_000
    max_disk_bytes: int = 20 * 10**9
    max_memory_bytes: int = 4 * 10**9
    jobs: int = 1


@dataclass(frozen=True)
class SuiteSize:
    """A suite's size at most: runs, history rows, bytes of curves on disk, bytes of histories in memory."""

    runs: int
    history_rows: int
    disk_bytes: int
    memory_bytes: int

    def describe(self) -> str:
        return (f"{self.runs:,} runs, at most {self.history_rows:,} history rows, {format_bytes(self.disk_bytes)} "
                f"of curves on disk, {format_bytes(self.memory_bytes)} of memory")  # fmt: skip


def format_bytes(count: float) -> str:
    """``1.5 GB``: decimal units, three significant digits."""
    for unit in ("B", "kB", "MB", "GB", "TB", "PB"):
        if abs(count) < 1000 or unit == "PB":
            return f"{count:.3g} {unit}" if unit != "B" else f"{int(count)} B"
        count /= 1000
    return f"{count:.3g} EB"  # pragma: no cover


_UNITS = {"": 1, "b": 1, "k": 10**3, "kb": 10**3, "m": 10**6, "mb": 10**6, "g": 10**9, "gb": 10**9,
          "t": 10**12, "tb": 10**12, "kib": 2**10, "mib": 2**20, "gib": 2**30, "tib": 2**40}  # fmt: skip


def parse_bytes(text: str) -> int:
    """``"20GB"``, ``"512 MiB"``, ``"1e9"`` -> bytes.

    Raises
    ------
    ValueError
        If ``text`` is not a positive size.
    """
    stripped = str(text).strip().lower().replace(" ", "")
    number = stripped.rstrip("kmgtibB")
    unit = stripped[len(number):]
    try:
        value = float(number) * _UNITS[unit]
    except (ValueError, KeyError):
        raise ValueError(f"{text!r} is not a size; give bytes with an optional unit, e.g. 500MB, 20GB, 4GiB") from None
    if not math.isfinite(value) or value <= 0:
        raise ValueError(f"{text!r} is not a positive size")
    return int(value)


def _trainer_budget(method: str, options: dict, task: Any) -> int:
    """The budget of a trainer that is given no ``iterations``: its option, else the default it was built with."""
    from ..core.registry import get_method

    for name in TRAINER_BUDGET_OPTIONS:
        if isinstance(options.get(name), int):
            return options[name]
    try:
        trainer = get_method(method).factory(**options)
    except (TypeError, ValueError):  # refused settings are reported with the suite's values
        trainer = None
    for name in TRAINER_BUDGET_OPTIONS:
        if isinstance(getattr(trainer, name, None), int):
            return getattr(trainer, name)
    return int(task.iterations)


def _budgets(values: list) -> list[int]:
    return [value for value in values if isinstance(value, int) and not isinstance(value, bool)]


def suite_size(task_list: list, method_list: list, defaults: dict, grid: dict[str, list], seeds: int,
               gradient_only: tuple[str, ...], jobs: int = 1) -> SuiteSize:
    """Count a validated suite's size without expanding it.

    Parameters
    ----------
    task_list, method_list
        The suite's valid task and method entries (:mod:`gradmethods.suites.suite`):
        ``task`` (the resolved task) on each task entry, ``name``, ``settings`` and
        ``grid`` on each method entry.
    defaults, grid : dict
        The suite's ``[defaults]`` and ``[grid]`` tables.
    seeds : int
    gradient_only : tuple of str
        Settings that ``[defaults]`` and ``[grid]`` apply to gradient methods only.
    jobs : int
        Worker processes: how many work units are in memory at once.
    """
    from ..core.registry import get_method

    runs = rows = 0
    largest_unit = 0
    for task_entry in task_list:
        task = task_entry.task
        for method in method_list:
            gradient = get_method(method.name).gives_gradient
            shared = {k: v for k, v in grid.items() if gradient or k not in gradient_only}
            merged_grid = {**shared, **method.grid}
            points = math.prod(len(values) for key, values in merged_grid.items() if key != "iterations")
            if gradient and _has_fpe_budget(defaults, method, merged_grid):
                budgets = _fpe_budgets(task, method, defaults, gradient_only, merged_grid)
                runs += len(budgets) * seeds
                rows += seeds * sum(budget + 1 for budget in budgets)
                largest_unit = max([largest_unit] + [seeds * (budget + 1) for budget in budgets])
                continue
            if "iterations" in merged_grid:
                budgets = _budgets(merged_grid["iterations"])
            else:
                fixed = method.settings.get("iterations", defaults.get("iterations") if gradient else None)
                if fixed is None:
                    fixed = task.iterations if gradient else _trainer_budget(method.name, method.settings, task)
                budgets = _budgets([fixed])
            if not budgets:
                continue
            runs += points * len(budgets) * seeds
            rows += points * seeds * sum(budget + 1 for budget in budgets)
            largest_unit = max(largest_unit, seeds * (max(budgets) + 1))
    memory = largest_unit * MEMORY_NUMBERS_PER_ROW * 8 * max(1, jobs)
    return SuiteSize(runs, rows, rows * CSV_BYTES_PER_ROW, memory)


def _has_fpe_budget(defaults: dict, method: Any, merged_grid: dict) -> bool:
    from .suite import BUDGET_KEY

    return BUDGET_KEY in defaults or BUDGET_KEY in method.settings or BUDGET_KEY in merged_grid


def _fpe_budgets(task: Any, method: Any, defaults: dict, gradient_only: tuple, merged_grid: dict) -> list[int]:
    """A gradient method's iteration budget at each grid point when it is given in forward-pass equivalents.

    The budget in iterations depends on the point's settings (e.g. ``k`` of forward_gradient), so
    the points are counted one by one, as :func:`gradmethods.suites.suite.parse_suite` expands them
    (grids large enough to make this slow are refused before).
    """
    from .suite import BUDGET_KEY, RUN_SETTINGS, iterations_for_budget

    budgets = []
    keys = list(merged_grid)
    for values in itertools.product(*(merged_grid[key] for key in keys)):
        merged = {**defaults, **method.settings, **dict(zip(keys, values))}
        if "iterations" in merged:
            budgets.append(merged["iterations"])
            continue
        options = {k: v for k, v in merged.items() if k not in RUN_SETTINGS and k != BUDGET_KEY}
        try:
            budgets.append(iterations_for_budget(task, method.name, merged[BUDGET_KEY], options)[0])
        except (TypeError, ValueError):  # refused settings are reported with the suite's values
            continue
    return [budget for budget in budgets if isinstance(budget, int) and budget >= 1]


def size_problems(size: SuiteSize, limits: SizeLimits) -> list[tuple[str, str]]:
    """``(path, message)`` for each limit the suite exceeds; each message says how to raise the limit."""
    problems = []
    if size.runs > limits.max_runs:
        problems.append(("", f"the suite has {size.runs:,} runs, more than the limit of {limits.max_runs:,}; "
                             "use fewer seeds, tasks, methods or grid values, or raise the limit with "
                             "--max-runs"))  # fmt: skip
    if size.disk_bytes > limits.max_disk_bytes:
        problems.append(("", f"its curves could take {format_bytes(size.disk_bytes)} on disk "
                             f"({size.history_rows:,} history rows at most), more than the limit of "
                             f"{format_bytes(limits.max_disk_bytes)}; lower the iteration budgets, or raise the "
                             "limit with --max-disk"))  # fmt: skip
    if size.memory_bytes > limits.max_memory_bytes:
        problems.append(("", f"its histories could take {format_bytes(size.memory_bytes)} of memory at once "
                             f"(the largest work unit, x {limits.jobs} workers), more than the limit of "
                             f"{format_bytes(limits.max_memory_bytes)}; lower the iteration budgets or the seeds, "
                             "or raise the limit with --max-memory"))  # fmt: skip
    return problems
