"""Run an experiment suite (a TOML file) and write its records and summary tables.

Every run of the suite is validated first (all problems reported at once); records are
written as runs finish, so Ctrl-C keeps what is done and --resume finishes the rest.
"""

from __future__ import annotations

import argparse
import sys


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("suite", help="suite file, e.g. experiments/not_or_and.toml")
    parser.add_argument("--out", required=True, help="output directory for the records and tables")
    parser.add_argument("--jobs", "-j", type=int, default=1,
                        help="worker processes (default 1: in this process); with --scheduler local, Dask workers")
    parser.add_argument("--resume", action="store_true",
                        help="finish a suite that --out already holds (runs only what is missing or interrupted)")
    parser.add_argument("--no-plots", action="store_true",
                        help="write the tables only, not the figures and index.html")
    parser.add_argument("--scheduler", metavar="ADDRESS",
                        help="run on a Dask distributed scheduler at ADDRESS, or 'local' for a LocalCluster "
                             "(needs the 'dask' extra)")


def run(args: argparse.Namespace) -> int:
    from ...suites.runner import run_suite
    from ...suites.suite import load_suite
    from ...suites.tables import load_results, write_report_files

    suite = load_suite(args.suite)
    report = run_suite(suite, args.out, jobs=args.jobs, resume=args.resume, scheduler=args.scheduler)
    results = load_results(args.out)
    write_report_files(results, plots=not args.no_plots)
    done = report.skipped + report.finished
    print(f"{suite.name}: {report.finished} runs finished in {report.seconds:.1f} s"
          + (f" ({report.skipped} were already done)" if report.skipped else "")
          + f"; {done} of {report.planned} in {args.out}")
    if report.interrupted:
        print(f"gradmethods run: interrupted; {done} of {report.planned} runs are kept. Finish with:\n"
              f"  gradmethods run {args.suite} --out {args.out} --resume", file=sys.stderr)
        return 130
    counts = results.runs["outcome"].value_counts().to_dict()
    print("outcomes: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
    print(f"summary: {args.out}/summary.md, {args.out}/summary.csv")
    return 0
