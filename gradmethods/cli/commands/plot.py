"""Draw the comparison figures of a results directory and write its index.html and summary.md.

Reads the run records of DIR (written by ``gradmethods run``), draws every figure
whose data exist into DIR/plots/ as PNG and SVG, and writes DIR/index.html (one
static page: summary table and every figure with its caption) and DIR/summary.md.
``fd_step_study.csv`` and ``bench.csv`` in DIR are drawn when present.
Runs whose curve file is missing or does not match the checksum in its record are
left out, with a warning.
"""

from __future__ import annotations

import argparse
from pathlib import Path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("directory", metavar="DIR", help="results directory written by 'gradmethods run'")
    parser.add_argument("--out", metavar="OUT", help="write the report here instead of DIR")
    parser.add_argument("--fd-step-study", metavar="CSV", help="FD step study table (default: DIR/fd_step_study.csv)")
    parser.add_argument("--bench", metavar="CSV", help="benchmark table (default: DIR/bench.csv)")
    parser.add_argument(
        "--format", action="append", choices=("png", "svg"), dest="formats",
        help="image format (repeatable); default: png and svg",
    )
    parser.add_argument("--dpi", type=int, default=120, help="PNG resolution, 10 to 1200 (default: 120)")


def run(args: argparse.Namespace) -> int:
    from ...report.html import write_report
    from ...suites.lock import results_lock
    from ...suites.tables import load_results
    from .report import _check_directory

    _check_directory(args.directory, suite_file=False)  # load_results says what a folder without records lacks
    target = Path(args.out) if args.out else Path(args.directory)
    if target.exists() and not target.is_dir():
        raise NotADirectoryError(20, "--out must be a folder, and this is a file", str(target))
    with results_lock(target):  # not while a run (or another plot) writes the same folder
        results = load_results(args.directory)
        written = write_report(
            results,
            args.out,
            fd_step_study=args.fd_step_study,
            bench=args.bench,
            formats=tuple(args.formats or ("png", "svg")),
            dpi=args.dpi,
        )
    figures = [p for p in written if p.suffix == ".png"] or [p for p in written if p.parent.name == "plots"]
    print(f"{len(figures)} figures in {figures[0].parent if figures else '(none)'}")
    for path in written:
        if path.parent.name != "plots":
            print(path)
    return 0
