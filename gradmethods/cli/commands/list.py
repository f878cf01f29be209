"""List the tasks, the methods (and which give a gradient) and the suites that run by name."""

from __future__ import annotations

import argparse
import shutil
import textwrap


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--suites-dir", action="append", metavar="DIR", default=[],
        help="also list the suites in DIR, searched before the installed ones (repeatable)",
    )  # fmt: skip


def wrap(text: str, indent: str, width: int | None = None) -> list[str]:
    """Every paragraph of ``text`` (blank-line separated) wrapped at ``width``, never cut."""
    width = width or max(60, min(shutil.get_terminal_size((100, 24)).columns, 120))
    lines: list[str] = []
    for paragraph in (p for p in text.strip().split("\n\n") if p.strip()):
        if lines:
            lines.append("")
        lines += textwrap.wrap(" ".join(paragraph.split()), width=width, initial_indent=indent,
                               subsequent_indent=indent, break_long_words=False, break_on_hyphens=False)  # fmt: skip
    return lines


def run(args: argparse.Namespace) -> int:
    from ...core.registry import get_method, methods
    from ...core.tasks import get_task, tasks
    from ...suites.catalog import find_suites, suite_dirs
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
        gives = "gives a gradient" if info.gives_gradient else "runs its own algorithm"
        print(f"  {name:<13} {kind:<9} {gives:<30} {doc[0] if doc else ''}")
    found = find_suites(args.suites_dir)
    where = ", ".join(str(d) for d in suite_dirs(args.suites_dir)) or "no suite directory found"
    print(f"\nSuites (run one with: gradmethods run NAME --out DIR; see it with: gradmethods show NAME), from {where}:")
    if not found:
        print("  (none)")
    for name, path in found.items():
        try:
            suite = load_suite(path)
        except SuiteError as exc:
            print(f"  {name:<14} INVALID: {len(exc.problems)} problems (gradmethods run {path} shows them)  [{path}]")
            continue
        print(f"  {name:<14} {len(suite.runs):>5} runs  [{path}]")
        for line in wrap(suite.description, " " * 6):
            print(line)
    return 0
