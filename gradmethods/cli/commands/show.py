"""Show a suite: its description and every resolved setting of its runs (by name or path).

Prints the suite's file, description, entropy and seed count, its tasks (network,
activation, cost, overrides, seed group), its methods with their options, the
[defaults] and [grid] tables, then one line per task x method x grid point with the
resolved learning rate, iteration budget, error target, initial weights, dtype, method
options and number of seeds, the total number of runs and the suite's size at most
(history rows, disk, memory: what the pre-flight of 'gradmethods run' checks).  Nothing is run.
"""

from __future__ import annotations

import argparse
import json


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("suite", metavar="SUITE", help="suite name (see 'gradmethods list') or suite file")


def _value(value) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, str):
        return value
    return json.dumps(value)


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(header)]
    lines = ["  " + "  ".join(h.ljust(w) for h, w in zip(header, widths)).rstrip()]
    lines += ["  " + "  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip() for row in rows]
    return lines


def run(args: argparse.Namespace) -> int:
    from ...core.registry import get_method
    from ...suites.suite import load_suite
    from .list import wrap

    suite = load_suite(args.suite)
    document = suite.document
    units = suite.units()
    tasks = list(dict.fromkeys((run.label, run.task, json.dumps(run.task_overrides, sort_keys=True))
                               for run in suite.runs))  # fmt: skip
    method_names = list(dict.fromkeys(run.method for run in suite.runs))
    grid_points = len({json.dumps(run.grid, sort_keys=True) for run in suite.runs})

    print(f"suite {suite.name}  [{suite.source}]")
    for line in wrap(suite.description, "  ") or ["  (no description)"]:
        print(line)
    print(f"\nentropy {document.get('entropy', 0)}, {document.get('seeds', 1)} seeds per task x method x grid point")

    print(f"\ntasks ({len(tasks)}):")
    rows = []
    for label, name, _ in tasks:
        run = next(r for r in suite.runs if r.label == label)
        task = run.make_task()
        entry = next((e for e in document.get("tasks", []) if isinstance(e, dict) and
                      (e.get("label") == label or (e.get("name") == name and "label" not in e))), {})  # fmt: skip
        network = "-".join(map(str, task.layer_sizes))
        rows.append([label, name, network, _value(task.activation), task.cost, str(len(task.X)),
                     _value(run.task_overrides or None), _value(entry.get("seed_group"))])  # fmt: skip
    for line in _table(["label", "task", "network", "activation", "cost", "patterns", "overrides", "seed group"],
                       rows):  # fmt: skip
        print(line)

    print(f"\nmethods ({len(method_names)}):")
    for name in method_names:
        info = get_method(name)
        kind = "gives a gradient" if info.gives_gradient else "trainer: runs its own algorithm"
        print(f"  {name:<13} {kind}")
    for table in ("defaults", "grid"):
        if document.get(table):
            print(f"\n[{table}]")
            for key, value in document[table].items():
                print(f"  {key} = {_value(value)}")

    points = f"{grid_points} grid point" + ("s" if grid_points != 1 else "")
    print(f"\nresolved settings ({len(units)} task x method x grid point combinations, {points}):")
    rows = []
    for unit in units:
        run = unit[0]
        s = run.settings
        options = ", ".join(f"{k}={_value(v)}" for k, v in sorted(run.options.items())) or "-"
        rows.append([run.label, run.method, _value(s["lr"]), _value(s["iterations"]), _value(s["target"]),
                     s["init"], s["dtype"], options, str(len(unit))])  # fmt: skip
    for line in _table(["task", "method", "lr", "iterations", "target", "init", "dtype", "options", "seeds"], rows):
        print(line)
    print("  (lr '-': a trainer without a learning rate; iterations '-': the trainer's own budget; "
          "target '-': train the whole budget)")  # fmt: skip
    print(f"\n{len(suite.runs)} runs. Run it with: gradmethods run {suite.name} --out results/{suite.name}")
    if suite.size is not None:
        print(f"size at most: {suite.size.describe()}")
    return 0
