"""Rebuild the summary tables (runs.csv, summary.csv, summary.md) of a suite's output directory.

Runs whose curve file is missing or does not match the checksum in its record are
left out, with a warning naming the command that reruns them; a table of runs is
never replaced by an empty one (a lost runs.jsonl is refused).
"""

from __future__ import annotations

import argparse
from pathlib import Path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("directory", help="the --out directory of 'gradmethods run'")
    parser.add_argument("--no-plots", action="store_true",
                        help="write the tables only, not the figures and index.html")
    parser.add_argument("--format", choices=("markdown", "csv", "none"), default="markdown",
                        help="also print the summary in this format (default markdown)")


def _check_directory(directory: str, *, suite_file: bool = True) -> None:
    """A results folder that exists (nothing is created for a mistyped path), with its suite.json if asked."""
    path = Path(directory)
    if not path.exists():
        raise FileNotFoundError(2, "no such results folder", directory)
    if not path.is_dir():
        raise NotADirectoryError(20, "not a results folder (a file)", directory)
    if suite_file and not (path / "suite.json").is_file():
        raise ValueError(f"{directory!r} holds no suite results (suite.json is missing); "
                         "write some with: gradmethods run SUITE --out DIR")  # fmt: skip


def run(args: argparse.Namespace) -> int:
    from ...suites.lock import results_lock
    from ...suites.tables import load_results, summary_markdown, write_report_files

    _check_directory(args.directory)
    with results_lock(args.directory):  # not while a run writes the same folder
        results = load_results(args.directory)
        written = write_report_files(results, plots=not args.no_plots)
    if args.format == "markdown":
        print(summary_markdown(results))
    elif args.format == "csv":
        print(results.summary.to_csv(index=False), end="")
    print("wrote " + ", ".join(str(path) for path in written))
    return 0
