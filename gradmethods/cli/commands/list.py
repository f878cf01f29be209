"""List the tasks, the methods (and which give a gradient) and the suites in experiments/."""

from __future__ import annotations

import argparse
from pathlib import Path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--suites-dir", default="experiments", help="where to look for suites (default experiments)")


def run(args: argparse.Namespace) -> int:
    from ...core.registry import get_method, methods
    from ...core.tasks import get_task, tasks
    from ...suites.suite import SuiteError, load_suite

    print("Tasks:")
    for name in tasks():
        task = get_task(name)
        shape = "-".join(map(str, task.layer_sizes))
        print(f"  {name:<10} {shape:<7} {len(task.X)} patterns  {task.description}")
    print("\nMethods:")
    for name, kind in methods().items():
        info = get_method(name)
        doc = (info.factory.__doc__ or "").strip().splitlines()
        gives = "gives a gradient" if info.gives_gradient else "no gradient (trains directly)"
        print(f"  {name:<13} {kind:<9} {gives:<30} {doc[0] if doc else ''}")
    print(f"\nSuites in {args.suites_dir}/:")
    found = sorted(Path(args.suites_dir).glob("*.toml"))
    if not found:
        print("  (none)")
    for path in found:
        try:
            suite = load_suite(path)
        except SuiteError as exc:
            print(f"  {str(path):<32} INVALID: {len(exc.problems)} problems (gradmethods run shows them)")
            continue
        first_line = suite.description.strip().splitlines()[0] if suite.description.strip() else ""
        print(f"  {str(path):<32} {len(suite.runs):>5} runs  {first_line}")
    return 0
