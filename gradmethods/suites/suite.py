"""Experiment suites: a TOML file naming tasks, methods, settings and seeds.

A suite file is read with :mod:`tomllib`, checked *completely* before any run
starts (every problem is reported at once, each with its path in the file, the bad
value and the valid choices), and expanded into a list of :class:`RunSpec` — one per
task x method x grid point x seed.  The format is documented in
``docs/experiments.md``; a small example::

    name = "demo"
    entropy = 2024
    seeds = 20
    tasks = ["not", "or_and"]
    methods = "all"            # or [[methods]] tables, see below

    [defaults]
    init = "random"
    lr = 2.0
    iterations = 10000

    [grid]
    lr = [0.5, 2.0]

Every run has a ``run_id``: the first 16 hex digits of the SHA-256 of its canonical
configuration (sorted-key JSON of task, method, resolved settings, method options and
seed), so the same run gets the same id in any suite, on any machine.

Notes
-----
Seeds come from :class:`numpy.random.SeedSequence` with the suite's ``entropy`` and a
spawn key built from the *task* configuration and the replicate number — not from the
position of the run in the suite.  So results do not depend on run order or on the
number of workers, adding a method to a suite does not change the other runs, and every
method (and every grid point) of replicate ``k`` starts from the same random initial
weights: a paired comparison (common random numbers), which makes method differences
less noisy than independent draws would.  Task entries with the same ``seed_group``
(``{ name = "xor", cost = "cross_entropy", seed_group = "xor" }``) share their seeds
too, so costs or activations are compared from the same initial weights.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from ..core.params import (
    ArrayLike,
    Integral,
    Interval,
    ListOf,
    Options,
    ParameterError,
    Real,
    Text,
    declared_parameters,
    parameter_problems,
    short_repr,
)
from ..core.registry import get_method, methods
from ..core.tasks import get_task, tasks
from ..training.api import TRAIN_PARAMETERS
from ..training.optim import optimizer_problems
from .size import SizeLimits, SuiteSize, size_problems, suite_size

__all__ = ["Suite", "RunSpec", "SuiteError", "load_suite", "parse_suite", "canonical_json", "run_id_of",
           "iterations_for_budget"]

#: Settings the runner itself resolves and passes to ``gm.train`` by name.
RUN_SETTINGS = ("lr", "iterations", "init", "dtype", "target")
#: Settings of gradient descent: ``[defaults]`` and ``[grid]`` apply them to gradient methods only.
GRADIENT_DESCENT_SETTINGS = ("lr", "iterations")
#: Options of gradient descent (``gm.train`` keywords), allowed in ``[defaults]``, ``[grid]`` and a gradient
#: method's ``[[methods]]`` table; a run stores them with its method options (only when given, so suites
#: without them keep their run ids).  ``[defaults]`` and ``[grid]`` apply them to gradient methods only.
GRADIENT_DESCENT_OPTIONS = ("momentum", "batch_size", "record_grad_norms", "optimizer", "freeze", "engine")
#: Top-level keys of a suite file.
TOP_LEVEL_KEYS = ("name", "description", "entropy", "seeds", "tasks", "methods", "defaults", "grid")
#: Task fields a suite may override (see :func:`gradmethods.get_task`).
TASK_OVERRIDES = ("layer_sizes", "activation", "cost")
#: How a suite file says "no error target" (``target = "none"``).
NO_TARGET = "none"


class SuiteError(ValueError):
    """A suite file has problems; ``problems`` lists ``(path, message)`` pairs, all of them."""

    def __init__(self, source: str, problems: list[tuple[str, str]]):
        self.source = source
        self.problems = problems
        count = f"{len(problems)} problem" + ("s" if len(problems) != 1 else "")
        lines = [f"{source}: {count}:"]
        lines += [_clip(f"  {path}: {message}" if path else f"  {message}") for path, message in problems[:MAX_SHOWN]]
        if len(problems) > MAX_SHOWN:
            lines.append(f"  ... and {len(problems) - MAX_SHOWN} more problems")
        super().__init__("\n".join(lines))


#: A suite error lists at most this many problems, each at most :data:`MAX_PROBLEM_CHARS` long: a rejected
#: grid of a million values gives a message one can read, not megabytes.
MAX_SHOWN = 30
MAX_PROBLEM_CHARS = 400


def _clip(line: str) -> str:
    return line if len(line) <= MAX_PROBLEM_CHARS else line[: MAX_PROBLEM_CHARS - 3] + "..."


@dataclass(frozen=True)
class RunSpec:
    """One run of a suite: everything ``gm.train`` needs, plus its identity.

    Attributes
    ----------
    run_id : str
        Hash of :attr:`config` (see :func:`run_id_of`).
    task : str
        Task name; ``task_overrides`` replace fields of the registered task.
    method : str
    settings : dict
        Resolved ``lr, iterations, init, dtype, target`` (``target`` may be None).
    options : dict
        Method options passed to ``gm.train`` as keyword arguments.
    seed : int
        Seed given to ``gm.train`` (drawn from the suite's SeedSequence).
    replicate : int
        Replicate number ``0 .. seeds - 1``.
    grid : dict
        The grid settings of this run (a subset of settings and options), for tables.
    label : str
        The task's name in tables: the task name, or the suite's ``label`` for a task
        with overrides (default ``name(key=value,...)``).  Not part of the run id.
    """

    run_id: str
    task: str
    task_overrides: dict
    method: str
    settings: dict
    options: dict
    seed: int
    replicate: int
    grid: dict = field(default_factory=dict)
    label: str = ""

    @property
    def config(self) -> dict:
        """The canonical configuration the run id is the hash of."""
        return _run_config(self.task, self.task_overrides, self.method, self.settings, self.options, self.seed)

    @property
    def unit_key(self) -> str:
        """Identical for runs that differ only in their seed (one work unit; see the runner)."""
        config = self.config
        del config["seed"]
        return canonical_json(config)

    def train_kwargs(self) -> dict:
        """Keyword arguments for ``gm.train`` (besides the task); unset (None) lr / iterations are left out."""
        settings = {k: v for k, v in self.settings.items() if v is not None or k not in GRADIENT_DESCENT_SETTINGS}
        return {"method": self.method, "seed": self.seed, **settings, **self.options}

    def make_task(self):
        return get_task(self.task, **_task_overrides_for_get_task(self.task_overrides))

    def to_dict(self) -> dict:
        return {
            "run_id": self.run_id, "task": self.task, "task_overrides": self.task_overrides, "method": self.method,
            "settings": self.settings, "options": self.options, "seed": self.seed, "replicate": self.replicate,
            "grid": self.grid, "label": self.label,
        }  # fmt: skip

    @classmethod
    def from_dict(cls, data: dict) -> RunSpec:
        return cls(**data)


@dataclass(frozen=True)
class Suite:
    """A validated, expanded suite.

    Attributes
    ----------
    name, description : str
    source : str
        Path of the file it was read from.
    document : dict
        The parsed TOML document (what ``--resume`` compares).
    runs : list of RunSpec
        In planned order: task, method, grid point, replicate.
    grid_keys : tuple of str
        Settings and options that vary over the grid (one table column each).
    left_out : tuple of (str, str)
        Methods that ``methods = "all"`` leaves out because an optional package they need
        is not installed, each with the reason (see ``MethodInfo.missing_requirement``).
    """

    name: str
    description: str
    source: str
    document: dict
    runs: list[RunSpec]
    grid_keys: tuple[str, ...] = ()
    left_out: tuple[tuple[str, str], ...] = ()
    #: The suite's size at most (runs, history rows, bytes), counted by the pre-flight; None if not counted.
    size: Any = field(default=None, compare=False)

    def units(self) -> list[list[RunSpec]]:
        """Work units: runs sharing task, method and settings (all but the seed), in planned order."""
        return group_units(self.runs)

    def to_dict(self) -> dict:
        return {
            "name": self.name, "description": self.description, "source": self.source, "document": self.document,
            "grid_keys": list(self.grid_keys), "runs": [run.to_dict() for run in self.runs],
        }  # fmt: skip

    @classmethod
    def from_dict(cls, data: dict) -> Suite:
        return cls(
            data["name"], data.get("description", ""), data.get("source", ""), data["document"],
            [RunSpec.from_dict(run) for run in data["runs"]], tuple(data.get("grid_keys", ())),
        )  # fmt: skip


def group_units(runs: Iterable[RunSpec]) -> list[list[RunSpec]]:
    """Group runs that share everything but their seed, keeping first-seen order."""
    units: dict[str, list[RunSpec]] = {}
    for run in runs:
        units.setdefault(run.unit_key, []).append(run)
    return list(units.values())


def canonical_json(value: Any) -> str:
    """Sorted-key, whitespace-free JSON: the canonical text that run ids hash."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), allow_nan=False)


def run_id_of(config: dict) -> str:
    """First 16 hex digits (64 bits) of the SHA-256 of the canonical JSON of ``config``."""
    return hashlib.sha256(canonical_json(config).encode()).hexdigest()[:16]


def _run_config(task: str, overrides: dict, method: str, settings: dict, options: dict, seed: int) -> dict:
    return {"task": task, "task_overrides": overrides, "method": method, "settings": settings, "options": options,
            "seed": seed}  # fmt: skip


def _task_overrides_for_get_task(overrides: dict) -> dict:
    resolved = dict(overrides)
    if "layer_sizes" in resolved:
        resolved["layer_sizes"] = tuple(resolved["layer_sizes"])
    if isinstance(resolved.get("activation"), list):
        resolved["activation"] = tuple(resolved["activation"])
    return resolved


def seed_for(entropy: int, task_config: dict, replicate: int) -> int:
    """The seed of replicate ``replicate`` of a task: independent of run order and workers.

    The spawn key is four 32-bit words of the SHA-256 of the task's canonical JSON,
    then the replicate number; the seed is 64 bits drawn from that SeedSequence.
    """
    digest = hashlib.sha256(canonical_json(task_config).encode()).digest()
    words = tuple(int.from_bytes(digest[i : i + 4], "little") for i in range(0, 16, 4))
    state = np.random.SeedSequence(entropy, spawn_key=(*words, replicate)).generate_state(2, np.uint64)
    return int(state[0] >> np.uint64(1))  # 63 bits: a non-negative int that every JSON reader keeps exactly


# --------------------------------------------------------------------------------------------- validation


def _one_value_per_run(constraints: list) -> list:
    """``gm.train``'s constraints of a setting as a suite file gives it: one value per run.

    A file gives no per-seed lists or arrays (``lr`` per seed, ``init`` as weights), and a
    key it leaves out, not ``None``, means the default.
    """
    return [constraint for constraint in constraints
            if constraint is not None and not isinstance(constraint, (ListOf, ArrayLike))]  # fmt: skip


#: The ``gm.train`` settings a suite file may give in ``[defaults]``, ``[grid]`` and ``[[methods]]``, with
#: ``gm.train``'s own declarations (:data:`gradmethods.training.api.TRAIN_PARAMETERS`), so that a file and
#: the Python API accept the same values; ``target`` may also be ``"none"`` (train the whole budget).
SETTING_PARAMETERS: dict[str, list] = {
    key: _one_value_per_run(TRAIN_PARAMETERS[key]) for key in RUN_SETTINGS + GRADIENT_DESCENT_OPTIONS
}
SETTING_PARAMETERS["target"] = [*SETTING_PARAMETERS["target"], Options(NO_TARGET)]
#: A budget of forward-pass equivalents per run, for gradient methods: the suite turns it into each
#: method's ``iterations`` on each task (see :func:`iterations_for_budget`), so that methods whose steps
#: cost different work get the same work.  Only in suite files; ``gm.train`` takes ``iterations``.
BUDGET_KEY = "budget_fpe"
SETTING_PARAMETERS[BUDGET_KEY] = [Interval(Real, 0, None, closed="neither")]

#: The suite's own top-level values (``tasks`` and ``methods`` are checked entry by entry).
SUITE_PARAMETERS: dict[str, list] = {
    "name": [Text(min_length=1)],
    "description": [Text()],
    "entropy": [Interval(Integral, 0, None)],
    "seeds": [Interval(Integral, 1, None)],
}
#: The fields of a task table besides ``name`` and the task overrides.
TASK_ENTRY_PARAMETERS: dict[str, list] = {"label": [Text(min_length=1)], "seed_group": [Text(min_length=1)]}


class _Checker:
    """Collects every problem of a document instead of stopping at the first."""

    def __init__(self) -> None:
        self.problems: list[tuple[str, str]] = []
        self._seen: set[tuple[str, str]] = set()

    def add(self, path: str, message: str) -> None:
        if (path, message) not in self._seen:  # a grid can find one problem several times
            self._seen.add((path, message))
            self.problems.append((path, message))

    def keys(self, path: str, table: dict, allowed: Iterable[str]) -> None:
        allowed = list(allowed)
        for key in table:
            if key not in allowed:
                self.add(_join(path, key), f"unknown key {key!r}; valid keys are {sorted(allowed)}")

    def values(self, path: str, values: dict, declared: dict, *, owner: str = "") -> bool:
        """Check the table ``values`` found at ``path`` against ``declared``; True if it has no problem."""
        problems = parameter_problems(values, declared, owner=owner)
        for problem in problems:
            self.add(_join(path, problem.parameter), problem.reason)
        return not problems

    def value(self, path: str, name: str, value: Any, constraints: list) -> bool:
        """Check one value found at ``path`` (a grid entry) as the setting ``name``; True if it is valid."""
        problems = parameter_problems({name: value}, {name: constraints})
        for problem in problems:
            self.add(path + problem.parameter[len(name):], problem.reason)
        return not problems


def _join(path: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


def _describe(value: Any) -> str:
    return f"{short_repr(value)} ({type(value).__name__})"


def _check_settings_table(check: _Checker, path: str, table: Any, *, method: str | None) -> dict:
    """Validate a table of settings (``gm.train`` settings + method options); return what is usable.

    The method options of a ``[[methods]]`` table are checked by :func:`_check_methods`,
    against the method's own declarations.
    """
    if not isinstance(table, dict):
        check.add(path, f"must be a table of settings; got {_describe(table)}")
        return {}
    for key, value in table.items():
        if key == "optimizer":  # a table: each problem names its own setting (optimizer.b1)
            _check_optimizer(check, _join(path, key), value)
        elif key in SETTING_PARAMETERS:
            check.values(path, {key: value}, SETTING_PARAMETERS)
        elif method is None:
            check.add(_join(path, key), f"unknown setting {key!r}; valid settings here are {list(SETTING_PARAMETERS)} "
                                        "(method options go in a [[methods]] table)")  # fmt: skip
    return table


def _check_optimizer(check: _Checker, path: str, spec: Any) -> None:
    """``optimizer = { name = "adam", lr = 0.01 }``: checked against the rule's declared settings."""
    for problem in optimizer_problems(spec, parameter=""):
        check.add(path + problem.parameter, problem.reason)


def _optimizer_with_lr(spec: Any, lr: float) -> dict:
    """An optimizer table without ``lr`` takes the run's ``lr`` setting; one with its own keeps it."""
    table = {"name": spec} if isinstance(spec, str) else dict(spec)
    table.setdefault("lr", lr)
    return table


def _check_grid(check: _Checker, path: str, grid: Any, *, method: str | None) -> dict[str, list]:
    if not isinstance(grid, dict):
        check.add(path, f"must be a table mapping a setting to a list of values; got {_describe(grid)}")
        return {}
    usable = {}
    for key, values in grid.items():
        key_path = _join(path, key)
        if not isinstance(values, list) or not values:
            check.add(key_path, f"a grid entry must be a non-empty list of values; got {_describe(values)}")
            continue
        if _too_many_values(check, key_path, values):
            continue
        if key == "optimizer":
            for i, value in enumerate(values):
                _check_optimizer(check, _join(key_path, i), value)
        elif key in SETTING_PARAMETERS:
            for i, value in enumerate(values):
                check.value(_join(key_path, i), key, value, SETTING_PARAMETERS[key])
        elif method is None:
            check.add(key_path, f"unknown setting {key!r}; valid grid settings here are {list(SETTING_PARAMETERS)} "
                                "(grids over method options go in a [[methods]] table)")  # fmt: skip
            continue
        if len({json.dumps(v, sort_keys=True) for v in values}) != len(values):  # nan is refused above, not here
            check.add(key_path, f"holds a value twice: {short_repr(values)}")
        usable[key] = values
    return usable


#: The most values one grid entry may list; more would exceed every reasonable run count before seeds.
MAX_GRID_VALUES = 100_000


def _too_many_values(check: _Checker, path: str, values: list) -> bool:
    """Refuse a grid entry of more than :data:`MAX_GRID_VALUES` values, before checking each of them."""
    if len(values) <= MAX_GRID_VALUES:
        return False
    check.add(path, f"lists {len(values):,} values, more than the {MAX_GRID_VALUES:,} a grid entry may have "
                    "(each value is a set of runs); give fewer values")  # fmt: skip
    return True


def _default_label(name: str, overrides: dict) -> str:
    if not overrides:
        return name
    shown = ("-".join(map(str, v)) if isinstance(v, list) else str(v) for v in overrides.values())
    return f"{name}(" + ",".join(f"{k}={v}" for k, v in zip(overrides, shown)) + ")"


class _TaskEntry(NamedTuple):
    """A valid entry of ``tasks``: what the expansion needs, and the task itself for the pre-flight."""

    name: str
    overrides: dict
    label: str
    seed_group: str | None
    path: str
    task: Any


def _check_tasks(check: _Checker, raw: Any) -> list[_TaskEntry]:
    """``tasks = ["not", {name = "xor", layer_sizes = [2, 3, 1]}]`` -> the valid entries.

    Each entry's network is built and checked against the task's data (a ``layer_sizes``
    that does not fit the task's inputs or outputs is refused).  A task table may name a
    ``seed_group``: entries of one group draw the same seeds, hence the same random initial
    weights (they must have the same layer sizes), so that entries differing only in cost
    or activation are a paired comparison.
    """
    if not isinstance(raw, list) or not raw:
        check.add("tasks", f"must be a non-empty list of task names or tables; got {_describe(raw)}. "
                           f"Tasks: {tasks()}")  # fmt: skip
        return []
    found, seen, labels = [], set(), set()
    group_sizes: dict[str, tuple[tuple[int, ...], str]] = {}
    for i, entry in enumerate(raw):
        path = _join("tasks", i)
        label = group = None
        if isinstance(entry, str):
            name, overrides = entry, {}
        elif isinstance(entry, dict):
            name, label, group = entry.get("name"), entry.get("label"), entry.get("seed_group")
            check.keys(path, entry, ("name", "label", "seed_group", *TASK_OVERRIDES))
            overrides = {k: v for k, v in entry.items() if k in TASK_OVERRIDES}
            fields = {k: v for k, v in entry.items() if k in TASK_ENTRY_PARAMETERS}
            if not check.values(path, fields, TASK_ENTRY_PARAMETERS):
                continue
        else:
            check.add(path, f"must be a task name or a table with 'name'; got {_describe(entry)}")
            continue
        if name not in tasks():
            check.add(_join(path, "name") if isinstance(entry, dict) else path,
                      f"unknown task {short_repr(name)}; valid tasks are {sorted(tasks())}")  # fmt: skip
            continue
        try:
            resolved = get_task(name, **_task_overrides_for_get_task(overrides))
        except (TypeError, ValueError) as exc:
            check.add(path, f"invalid task overrides {short_repr(overrides)}: {exc}")
            continue
        try:
            resolved.network().check_data(resolved.X, resolved.Y)
        except ValueError as exc:
            check.add(path, f"the network {list(resolved.layer_sizes)} does not fit the data of task {name!r} "
                            f"({resolved.X.shape[1]} inputs, {resolved.Y.shape[1]} outputs): {exc}")  # fmt: skip
            continue
        if group is not None:
            sizes, first = group_sizes.setdefault(group, (resolved.layer_sizes, path))
            if sizes != resolved.layer_sizes:
                check.add(_join(path, "seed_group"), f"seed group {group!r} shares initial weights, so its tasks need "
                                                     f"the same layer sizes: {list(resolved.layer_sizes)} here, "
                                                     f"{list(sizes)} at {first}")  # fmt: skip
                continue
        key = canonical_json([name, overrides])
        if key in seen:
            check.add(path, f"task {name!r} with these overrides is listed twice")
            continue
        seen.add(key)
        label = label or _default_label(name, overrides)
        if label in labels:
            check.add(path, f"label {label!r} is used by another task entry; give each entry its own 'label'")
            continue
        labels.add(label)
        found.append(_TaskEntry(name, overrides, label, group, path, resolved))
    return found


class _MethodEntry(NamedTuple):
    """A valid entry of ``methods``: its settings (with options), its grid, its path and whether its
    method options passed their declared constraints (only then is the method built in the pre-flight)."""

    name: str
    settings: dict
    grid: dict[str, list]
    path: str
    options_valid: bool


def _left_out(raw: Any) -> dict[str, str]:
    """``methods = "all"``: the registered methods whose optional packages are missing, with the reason."""
    if raw != "all":
        return {}
    reasons = {name: get_method(name).missing_requirement for name in methods()}
    return {name: reason for name, reason in reasons.items() if reason is not None}


def _check_methods(check: _Checker, raw: Any) -> list[_MethodEntry]:
    """``methods = "all"`` or ``[[methods]]`` tables -> the valid entries.

    A method's options are checked against what its class declares
    (:func:`gradmethods.core.params.declared_parameters`), by the same validator as
    ``gm.train(..., **options)``: an unknown option is refused with the method's settings.
    """
    registered = methods()
    if raw == "all":
        return [_MethodEntry(name, {}, {}, "methods", True) for name in registered if name not in _left_out(raw)]
    if not isinstance(raw, list) or not raw:
        check.add("methods", f"must be \"all\" or a list of method tables ([[methods]] with name = ...); "
                             f"got {_describe(raw)}. Methods: {sorted(registered)}")  # fmt: skip
        return []
    found = []
    for i, entry in enumerate(raw):
        path = _join("methods", i)
        if isinstance(entry, str):
            entry = {"name": entry}
        if not isinstance(entry, dict):
            check.add(path, f"must be a method table with 'name' (or a method name); got {_describe(entry)}")
            continue
        name = entry.get("name")
        if name not in registered:
            check.add(_join(path, "name"), f"unknown method {short_repr(name)}; registered methods are "
                                           f"{sorted(registered)}")  # fmt: skip
            continue
        settings = _check_settings_table(check, path, {k: v for k, v in entry.items() if k not in ("name", "grid")},
                                         method=name)  # fmt: skip
        grid = _check_grid(check, _join(path, "grid"), entry.get("grid", {}), method=name)
        if registered[name] != "gradient":
            for where, table in ((path, settings), (_join(path, "grid"), grid)):
                if BUDGET_KEY in table:
                    check.add(_join(where, BUDGET_KEY), f"{BUDGET_KEY!r} sets the steps of gradient descent; method "
                                                        f"{name!r} is a {registered[name]} without a gradient: give "
                                                        "its own budget (for example max_nfev)")  # fmt: skip
                if "lr" in table:
                    check.add(_join(where, "lr"), f"method {name!r} is a {registered[name]} without a gradient; "
                                                  "it has no learning rate: remove 'lr'")  # fmt: skip
                own = declared_parameters(get_method(name).factory)  # a trainer may have its own (genetic: engine)
                for key in GRADIENT_DESCENT_OPTIONS:
                    if key in table and key not in own:
                        check.add(_join(where, key), f"{key!r} is an option of gradient descent; method "
                                                     f"{name!r} is a {registered[name]} without a gradient: "
                                                     "remove it")  # fmt: skip
        options_valid = _check_options(check, path, name, settings, grid)
        found.append(_MethodEntry(name, settings, grid, path, options_valid))
    return found


def _check_options(check: _Checker, path: str, name: str, settings: dict, grid: dict[str, list]) -> bool:
    """Check a ``[[methods]]`` table's method options, fixed and in its grid, against the method's declarations."""
    declared = declared_parameters(get_method(name).factory)
    owner = f"method {name!r}"
    valid = True
    for where, table in ((path, settings), (_join(path, "grid"), grid)):
        for key, value in table.items():
            if key in SETTING_PARAMETERS:
                continue  # gm.train's own, checked above
            if key not in declared or where == path:
                if isinstance(value, dict):
                    check.add(_join(where, key), "a method option must be a number, string, boolean or list; "
                                                 "got a table")  # fmt: skip
                    valid = False
                else:
                    valid = check.values(where, {key: value}, declared, owner=owner) and valid
                continue
            for j, entry in enumerate(value):  # a grid over a declared option: check each value
                valid = check.value(_join(_join(where, key), j), key, entry, declared[key]) and valid
    return valid


def _method_option_points(entry: _MethodEntry) -> list[dict]:
    """Every combination of a method entry's options: its fixed ones with each point of its option grid."""
    fixed = {k: v for k, v in entry.settings.items() if k not in SETTING_PARAMETERS}
    option_grid = {k: v for k, v in entry.grid.items() if k not in SETTING_PARAMETERS}
    return [{**fixed, **point} for point in _grid_points(option_grid)]


def _preflight(check: _Checker, task_list: list[_TaskEntry], method_list: list[_MethodEntry]) -> None:
    """Build every method with each combination of its options, and ask it about every task's network.

    A method refuses settings that do not go together (the genetic trainer's ``elitism``
    and ``population_size``) when it is built, and a network it cannot handle through
    ``get_method(name).unsupported_reason(net, **options)`` (complex step on ``relu``).
    """
    networks = [(entry, entry.task.network()) for entry in task_list]
    for method in method_list:
        if not method.options_valid:
            continue
        info = get_method(method.name)
        where = _join(method.path, "grid") if any(k not in SETTING_PARAMETERS for k in method.grid) else method.path
        for options in _method_option_points(method):
            try:
                info.factory(**options)
            except ParameterError as exc:
                check.add(_join(where, exc.parameter), f"{exc.reason} (method {method.name!r} with {options})")
                continue
            except (TypeError, ValueError) as exc:
                check.add(where, f"method {method.name!r} rejects the options {options}: {exc}")
                continue
            for task, net in networks:
                reason = info.unsupported_reason(net, **options)
                if reason is not None:
                    check.add(where, f"method {method.name!r} cannot train {task.path} ({task.label}): {reason}")


def parse_suite(document: dict, source: str = "<suite>", limits: SizeLimits | None = None) -> Suite:
    """Validate a parsed suite document and expand it into runs.

    ``limits`` bounds the suite's size (:class:`gradmethods.suites.size.SizeLimits`;
    default: its defaults), counted before the suite is expanded.

    Raises
    ------
    SuiteError
        Listing every problem, each with its path in the file, the bad value and the
        valid choices.
    """
    check = _Checker()
    check.keys("", document, TOP_LEVEL_KEYS)
    check.values("", {k: v for k, v in document.items() if k in SUITE_PARAMETERS}, SUITE_PARAMETERS)
    name = document.get("name", Path(source).stem)
    description = document.get("description", "")
    entropy = document.get("entropy", 0)
    seeds = document.get("seeds", 1)
    for required in ("tasks", "methods"):
        if required not in document:
            check.add(required, "is missing; a suite needs 'tasks' and 'methods'")
    task_list = _check_tasks(check, document["tasks"]) if "tasks" in document else []
    method_list = _check_methods(check, document["methods"]) if "methods" in document else []
    defaults = _check_settings_table(check, "defaults", document.get("defaults", {}), method=None)
    grid = _check_grid(check, "grid", document.get("grid", {}), method=None)
    for method in method_list:
        for key in method.grid:
            if key in grid:
                check.add(_join(_join(method.path, "grid"), key), f"{key!r} is already a grid setting in [grid]")
            elif key in method.settings:
                check.add(_join(_join(method.path, "grid"), key), f"{key!r} is both a fixed setting and a grid setting")
    _preflight(check, task_list, method_list)
    if not check.problems:
        for task in task_list:
            _check_init_fits(check, task.name, task.overrides, defaults, grid, method_list)
    size = _check_size(check, task_list, method_list, defaults, grid, seeds, limits or SizeLimits())
    if check.problems:
        raise SuiteError(source, check.problems)

    runs: list[RunSpec] = []
    seen_points: set[str] = set()
    grid_keys: list[str] = list(grid)
    for task_name, overrides, label, seed_group, _, task in task_list:
        for entry_index, (method_name, method_settings, method_grid, method_path, _) in enumerate(method_list):
            for key in method_grid:
                if key not in grid_keys:
                    grid_keys.append(key)
            gradient = get_method(method_name).gives_gradient
            descent_only = GRADIENT_DESCENT_SETTINGS + GRADIENT_DESCENT_OPTIONS + (BUDGET_KEY,)
            shared = {k: v for k, v in grid.items() if gradient or k not in descent_only}
            base = {k: v for k, v in defaults.items() if gradient or k not in descent_only}
            for point in _grid_points({**shared, **method_grid}):
                merged = {**base, **method_settings, **point}
                if BUDGET_KEY in merged:
                    if "iterations" in merged:
                        check.add(method_path, f"both 'iterations' and {BUDGET_KEY!r} are given for method "
                                               f"{method_name!r}; give one")  # fmt: skip
                        continue
                    budget = merged.pop(BUDGET_KEY)
                    options = {k: v for k, v in merged.items() if k not in RUN_SETTINGS}
                    merged["iterations"], fpe = iterations_for_budget(task, method_name, budget, options)
                    if merged["iterations"] < 1:
                        check.add(method_path, f"{BUDGET_KEY} = {budget:g} is less than one step of method "
                                               f"{method_name!r} on {label} ({fpe:g} forward-pass equivalents)")
                        continue
                settings = _resolve_settings(task, merged, gradient=gradient)
                options = {k: v for k, v in merged.items() if k not in RUN_SETTINGS}
                if "optimizer" in options and "lr" in merged:  # lr from [defaults] / [grid] fills the rule's
                    options["optimizer"] = _optimizer_with_lr(options["optimizer"], merged["lr"])
                if "optimizer" in options and options.get("momentum"):
                    raise SuiteError(source, [(_join(_join("methods", entry_index), "momentum"),
                                               "momentum is a shortcut of the plain rules; with 'optimizer' give it "
                                               "there: optimizer = { name = \"momentum\", beta = ... }")])  # fmt: skip
                task_config = {"task": task_name, "task_overrides": overrides, "init": settings["init"],
                               "dtype": settings["dtype"]}  # fmt: skip
                if seed_group is not None:  # the group, not the task's overrides, picks the seeds
                    task_config = {"seed_group": seed_group, "init": settings["init"], "dtype": settings["dtype"]}
                point_key = canonical_json([task_name, overrides, entry_index, settings, options])
                if point_key in seen_points:  # a trainer ignores an lr grid: one set of runs, not one per lr
                    continue
                seen_points.add(point_key)
                if options.get("engine") == "numba":
                    problem = _kernel_problem if gradient else _trainer_engine_problem
                    reason = problem(task, method_name, settings, options)
                    if reason is not None:
                        check.add(_engine_path(method_path, method_settings, method_grid, point),
                                  f"engine = 'numba' cannot train method {method_name!r} on {label}: {reason} Use "
                                  "engine = 'auto' (numba where it applies, numpy otherwise) or 'numpy'.")  # fmt: skip
                        continue
                for replicate in range(seeds):
                    seed = seed_for(entropy, task_config, replicate)
                    config = _run_config(task_name, overrides, method_name, settings, options, seed)
                    runs.append(RunSpec(run_id_of(config), task_name, overrides, method_name, settings, options,
                                        seed, replicate, dict(point), label))  # fmt: skip
    if check.problems:
        raise SuiteError(source, check.problems)
    duplicates = len(runs) - len({run.run_id for run in runs})
    if duplicates:
        raise SuiteError(source, [("", f"{duplicates} runs are identical to others (same task, method, settings "
                                       "and seed); remove the repeated entries")])  # fmt: skip
    grid_keys += [key for key in _varying_outside_grid(runs) if key not in grid_keys]
    left_out = tuple(_left_out(document.get("methods")).items())
    return Suite(name, description, source, document, runs, tuple(grid_keys), left_out, size)


def _varying_outside_grid(runs: list[RunSpec]) -> list[str]:
    """Options (and ``lr``) that differ between runs of one method on one task without being in a grid.

    Two ``[[methods]]`` tables of one method with different settings (say two update rules
    for ``backprop``) are two sets of runs; these keys become table columns like grid
    settings, so that summaries and figures keep the sets apart instead of pooling them.
    """
    by_group: dict[tuple, list[dict]] = {}
    for run in runs:
        table = {"lr": run.settings.get("lr"), **run.options}
        by_group.setdefault((run.label or run.task, run.method), []).append(table)
    varying: list[str] = []
    for tables in by_group.values():
        for key in dict.fromkeys(key for table in tables for key in table):
            if key not in varying and len({canonical_json(table.get(key)) for table in tables}) > 1:
                varying.append(key)
    return varying


def _check_size(check: _Checker, task_list, method_list, defaults, grid, seeds, limits: SizeLimits) -> SuiteSize | None:
    """Count the suite's size before expanding it, and add a problem for each limit it exceeds."""
    if isinstance(seeds, bool) or not isinstance(seeds, int) or seeds < 1:
        return None  # reported with the suite's values
    size = suite_size(task_list, method_list, defaults, grid, seeds,
                      GRADIENT_DESCENT_SETTINGS + GRADIENT_DESCENT_OPTIONS, limits.jobs)  # fmt: skip
    for path, message in size_problems(size, limits):
        check.add(path, message)
    return size


def _check_init_fits(check, task_name, overrides, defaults, grid, method_list) -> None:
    """init = "post" needs the post's weights: say which task lacks them."""
    task = get_task(task_name, **_task_overrides_for_get_task(overrides))
    if task.has_post_init:
        return
    wants_post = defaults.get("init") == "post" or "post" in grid.get("init", [])
    wants_post = wants_post or any(m.settings.get("init") == "post" or "post" in m.grid.get("init", [])
                                   for m in method_list)  # fmt: skip
    if wants_post:
        check.add("defaults.init" if defaults.get("init") == "post" else "init",
                  f"init = 'post' needs the post's initial weights, which task {task_name!r} does not have"
                  f"{' with these overrides' if overrides else ''}; use init = 'random'")  # fmt: skip


def _grid_points(grid: dict[str, list]) -> list[dict]:
    keys = list(grid)
    return [dict(zip(keys, values)) for values in itertools.product(*(grid[k] for k in keys))]


def iterations_for_budget(task, method: str, budget: float, options: dict) -> tuple[int, float]:
    """Steps of gradient method ``method`` that fit in ``budget`` forward-pass equivalents on ``task``.

    One step costs the work the method's provider declares for one call on the task's
    network with ``options`` (its settings and ``batch_size``): ``value_and_grad_work(net,
    1, n).fpe`` with ``n`` the batch size or the number of patterns.  With minibatches
    that is relative to a forward pass over the minibatch, as the runs record it.

    Returns
    -------
    (int, float)
        ``floor(budget / fpe_per_step)`` and ``fpe_per_step``.

    Examples
    --------
    >>> import gradmethods as gm
    >>> iterations_for_budget(gm.get_task("or_and"), "fd_central", 1000, {})  # 2P + 1 = 13 per step, P = 6
    (76, 13.0)
    """
    method_options = {k: v for k, v in options.items() if k not in GRADIENT_DESCENT_OPTIONS}
    provider = get_method(method).factory(**method_options)
    batch = options.get("batch_size")
    fpe = float(provider.value_and_grad_work(task.network(), 1, batch or task.X.shape[0]).fpe)
    return int(budget // fpe), fpe


def _kernel_problem(task, method_name: str, settings: dict, options: dict) -> str | None:
    """Why the compiled kernel cannot train this run (what ``gm.train(..., engine="numba")`` would refuse), or None.

    The run's gradient-descent trainer, built as ``gm.train`` builds it, answers
    (:meth:`~gradmethods.training.trainers.gradient_descent.GradientDescent.kernel_problem`).
    """
    from ..training.optim import optimizer_from_spec
    from ..training.trainers.gradient_descent import GradientDescent

    provider = get_method(method_name).factory(**{k: v for k, v in options.items()
                                                  if k not in GRADIENT_DESCENT_OPTIONS})  # fmt: skip
    optimizer = options.get("optimizer")
    trainer = GradientDescent(
        provider, lr=settings["lr"] if optimizer is None else None, momentum=options.get("momentum", 0.0),
        optimizer=None if optimizer is None else optimizer_from_spec(optimizer, lr=task.lr),
        batch_size=options.get("batch_size"), record_grad_norms=bool(options.get("record_grad_norms", False)),
        engine="numba",
    )  # fmt: skip
    return trainer.kernel_problem(task.network(), settings["dtype"])


def _trainer_engine_problem(task, method_name: str, settings: dict, options: dict) -> str | None:
    """Why a trainer with engines (genetic) cannot run this run on ``engine="numba"``, or None."""
    return get_method(method_name).factory(**options).engine_problem(np.dtype(settings["dtype"]))


def _engine_path(method_path: str, method_settings: dict, method_grid: dict, point: dict) -> str:
    """Where a run's ``engine`` was set: the method's table, its grid, the suite's grid or its defaults."""
    if "engine" in method_settings:
        return _join(method_path, "engine")
    if "engine" in method_grid:
        return _join(_join(method_path, "grid"), "engine")
    return "grid.engine" if "engine" in point else "defaults.engine"


def _resolve_settings(task, merged: dict, *, gradient: bool) -> dict:
    """Fill unset settings from the task (the post's), so the run config says exactly what ran.

    A trainer has no learning rate (``lr`` is None) and, unless its own table sets
    ``iterations``, keeps its own budget (``iterations`` is None).
    """
    target = merged.get("target", task.target)
    iterations = merged.get("iterations", task.iterations if gradient else None)
    with_optimizer = "optimizer" in merged  # its table carries the learning rate (the task's if it gives none)
    return {
        "lr": float(merged.get("lr", task.lr)) if gradient and not with_optimizer else None,
        "iterations": None if iterations is None else int(iterations),
        "init": merged.get("init", "post" if task.has_post_init else "random"),
        "dtype": np.dtype(merged.get("dtype", "float64")).name,  # one spelling per dtype
        "target": None if target is None or target == NO_TARGET else float(target),
    }


#: The largest suite file read (a suite is written by hand; a bigger file is refused before it is parsed).
MAX_SUITE_FILE_BYTES = 1_000_000


def load_suite(path: str | Path, limits: SizeLimits | None = None) -> Suite:
    """Read, validate and expand a suite file, given by its path or by its name.

    A path to an existing file wins; otherwise a bare name (``"not_or_and"``, or
    ``"not_or_and.toml"``) is looked up among the installed suites and the source tree's
    ``experiments/`` (see :mod:`gradmethods.suites.catalog`).

    Raises
    ------
    SuiteError (a ValueError)
        If the file is missing (an unknown name lists the known ones), is not valid
        TOML, or has any problem (all listed).
    """
    from .catalog import find_suites, resolve_suite

    path = Path(path)
    if not path.exists() and len(path.parts) == 1:
        path = resolve_suite(path)  # a name; raises SuiteError listing the known suites
    try:
        text = path.read_bytes()
    except OSError as exc:
        problem = f"cannot read the suite file: {exc.strerror or exc}"
        stem = path.name.removesuffix(".toml")
        if stem in find_suites():
            problem += f" (an installed suite is named {stem!r}: give its name instead of a path)"
        raise SuiteError(str(path), [("", problem)]) from None
    if len(text) > MAX_SUITE_FILE_BYTES:
        raise SuiteError(str(path), [("", f"the file is {len(text):,} bytes, more than the "
                                          f"{MAX_SUITE_FILE_BYTES:,} a suite file may have; a suite lists its "
                                          "values, grids span them")])  # fmt: skip
    try:
        document = tomllib.loads(text.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise SuiteError(str(path), [("", f"not UTF-8 text: {exc}")]) from None
    except tomllib.TOMLDecodeError as exc:
        raise SuiteError(str(path), [("", f"not valid TOML: {exc}")]) from None
    return parse_suite(document, str(path), limits)
