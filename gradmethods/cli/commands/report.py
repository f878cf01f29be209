"""Rebuild the summary tables (runs.csv, summary.csv, summary.md) of a suite's output directory."""

from __future__ import annotations

import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("directory", help="the --out directory of 'gradmethods run'")
    parser.add_argument("--no-plots", action="store_true",
                        help="write the tables only, not the figures and index.html")
    parser.add_argument("--format", choices=("markdown", "csv", "none"), default="markdown",
                        help="also print the summary in this format (default markdown)")


def run(args: argparse.Namespace) -> int:
    from ...suites.tables import load_results, summary_markdown, write_report_files

    results = load_results(args.directory)
    written = write_report_files(results, plots=not args.no_plots)
    if args.format == "markdown":
        print(summary_markdown(results))
    elif args.format == "csv":
        print(results.summary.to_csv(index=False), end="")
    print("wrote " + ", ".join(str(path) for path in written))
    return 0
