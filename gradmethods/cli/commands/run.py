"""Run an experiment suite (by name or TOML file) and write its records, summary tables and report.

SUITE is a suite name (``gradmethods list`` shows them, ``gradmethods show SUITE`` shows
what it runs) or the path of a suite file; a path to an existing file wins over a name.
Every run of the suite is validated first (all problems reported at once); records are
written as runs finish, so Ctrl-C keeps what is done and --resume finishes the rest.
--overwrite starts the results folder afresh: it says what it removes (only the files
this command writes) and refuses a folder that does not hold a suite's results.

Before the first run the whole suite is checked (every task's network and data,
every method against every network, every setting against its range) and its size
is counted against limits that --max-runs, --max-disk and --max-memory raise. One
process writes a results folder at a time: a second one is refused at once, naming
the first. With --resume, a finished run whose curve file is missing or does not
match the checksum in its record is trained again (the command says how many and
why). Without a terminal, a progress line goes to stderr every --progress-interval
seconds.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ...suites.size import SizeLimits, format_bytes, parse_bytes


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("suite", metavar="SUITE",
                        help="suite name (e.g. not_or_and; see 'gradmethods list') or suite file")
    parser.add_argument("--out", required=True, help="output directory for the records and tables")
    parser.add_argument("--jobs", "-j", type=int, default=1,
                        help="worker processes (default 1: in this process); with --scheduler local, Dask workers")
    again = parser.add_mutually_exclusive_group()
    again.add_argument("--resume", action="store_true",
                       help="finish a suite that --out already holds (runs only what is missing or interrupted)")
    again.add_argument("--overwrite", action="store_true",
                       help="start afresh: first remove the results that --out holds (the files this command "
                            "writes; anything else stays)")
    parser.add_argument("--no-plots", action="store_true",
                        help="write the tables only, not the figures and index.html")
    limits = SizeLimits()
    parser.add_argument("--max-runs", type=_positive_int, default=limits.max_runs, metavar="N",
                        help=f"refuse a suite of more runs (default {limits.max_runs:,})")
    parser.add_argument("--max-disk", type=_size, default=limits.max_disk_bytes, metavar="SIZE",
                        help="refuse a suite whose curves could take more disk, e.g. 50GB "
                             f"(default {format_bytes(limits.max_disk_bytes)})")
    parser.add_argument("--max-memory", type=_size, default=limits.max_memory_bytes, metavar="SIZE",
                        help="refuse a suite whose histories in flight could take more memory, e.g. 16GB "
                             f"(default {format_bytes(limits.max_memory_bytes)})")
    parser.add_argument("--progress-interval", type=float, default=60.0, metavar="SECONDS",
                        help="without a terminal, print a progress line to stderr this often (default 60; 0: never)")
    parser.add_argument("--scheduler", metavar="ADDRESS",
                        help="run on a Dask distributed scheduler at ADDRESS, or 'local' for a LocalCluster "
                             "(needs the 'dask' extra)")


#: The exit status of ``gradmethods run`` (its ``--help`` epilog).
EXIT_STATUS = ("Exit status: 0 when every run finished with an outcome other than FAILED (CONVERGED, "
               "BUDGET_EXHAUSTED, DIVERGED); 1 when any run FAILED (a one-line summary on stderr; the records say "
               "why); 2 for a suite, usage or file-system error (one line on stderr, nothing run or nothing lost); "
               "130 when interrupted (Ctrl-C or SIGTERM; finish with --resume).")  # fmt: skip


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} must be at least 1")
    return value


def _size(text: str) -> int:
    try:
        return parse_bytes(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def result_files(out: Path) -> list[Path]:
    """The files of ``out`` that ``gradmethods run`` writes (and ``--overwrite`` removes).

    The runner's records (``suite.json``, ``runs.jsonl``, ``curves/*.csv``), the tables
    (``runs.csv``, ``summary.csv``, ``summary.md``), the report (``index.html``,
    ``plots/*.png``, ``plots/*.svg``) and temporary files of an interrupted atomic write.
    """
    from ...suites.runner import CURVES_DIR, LOG_FILE, SUITE_FILE

    names = (SUITE_FILE, LOG_FILE, "runs.csv", "summary.csv", "summary.md", "index.html")
    found = [out / name for name in names if (out / name).is_file()]
    found += sorted(p for p in out.glob(".*.tmp") if p.is_file() and any(p.name.startswith(f".{n}.") for n in names))
    for sub, patterns in ((CURVES_DIR, ("*.csv", ".*.tmp")), ("plots", ("*.png", "*.svg"))):
        if (out / sub).is_dir():
            found += sorted(p for pattern in patterns for p in (out / sub).glob(pattern) if p.is_file())
    return found


def remove_results(out: Path) -> list[Path]:
    """Remove the files of a suite's results folder that ``gradmethods run`` writes; print what goes first.

    Raises
    ------
    ValueError
        If ``out`` is not a directory, or is a non-empty directory without ``suite.json``
        or ``runs.jsonl`` (it does not look like a suite's results; nothing is removed).
    """
    from ...suites.lock import LOCK_FILE, LOCK_INFO_FILE
    from ...suites.runner import CURVES_DIR, LOG_FILE, SUITE_FILE

    if not out.exists():
        return []
    if not out.is_dir():
        raise ValueError(f"--out {str(out)!r} exists and is not a directory; --overwrite removes nothing")
    if not any(p.name not in (LOCK_FILE, LOCK_INFO_FILE) for p in out.iterdir()):
        return []
    if not ((out / SUITE_FILE).is_file() or (out / LOG_FILE).is_file()):
        raise ValueError(f"--overwrite refuses {str(out)!r}: it does not look like a suite's results folder "
                         f"(no {SUITE_FILE} or {LOG_FILE}); nothing was removed. Choose another --out.")  # fmt: skip
    files = result_files(out)
    by_folder: dict[str, int] = {}
    for path in files:
        folder = path.parent.name + "/" if path.parent != out else ""
        by_folder[folder] = by_folder.get(folder, 0) + 1
    top = [p.name for p in files if p.parent == out]
    sub = [f"{folder} ({count} files)" for folder, count in by_folder.items() if folder]
    print(f"--overwrite: removing {len(files)} files from {out}: {', '.join(top + sub)}")
    for path in files:
        path.unlink()
    for folder in (CURVES_DIR, "plots"):
        if (out / folder).is_dir() and not any((out / folder).iterdir()):
            (out / folder).rmdir()
    kept = sorted(p.name for p in out.iterdir() if p.name not in (LOCK_FILE, LOCK_INFO_FILE)) if out.is_dir() else []
    if kept:
        print(f"--overwrite: kept what gradmethods run does not write: {', '.join(kept)}")
    return files


def run(args: argparse.Namespace) -> int:
    from ...suites.lock import results_lock
    from ...suites.suite import load_suite

    limits = SizeLimits(args.max_runs, args.max_disk, args.max_memory, args.jobs if args.scheduler is None else 1)
    suite = load_suite(args.suite, limits)  # a bad suite fails before anything is removed or locked
    for name, reason in suite.left_out:
        _notice(f'methods = "all" leaves out {name}: {reason}')
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise ValueError(f"--out {str(out)!r} exists and is not a directory")
    with results_lock(out):  # one writer: from before --overwrite removes anything to the last table
        return _run_locked(args, suite, out)


def _notice(message: str) -> None:
    print(f"gradmethods run: {message}", file=sys.stderr)


def _run_locked(args: argparse.Namespace, suite, out: Path) -> int:
    from ...suites.runner import LOG_FILE, SUITE_FILE, run_suite
    from ...suites.tables import finish_command, load_results, write_report_files

    if args.overwrite:
        remove_results(out)
    elif not args.resume and any((out / name).is_file() for name in (SUITE_FILE, LOG_FILE)):
        raise ValueError(f"--out {str(out)!r} already holds results of a suite; add --resume to finish it, "
                         "--overwrite to start afresh, or choose another --out directory")  # fmt: skip
    if suite.size is not None:
        _notice(f"pre-flight: {suite.size.describe()}")
    report = run_suite(suite, out, jobs=args.jobs, resume=args.resume, scheduler=args.scheduler,
                       progress_interval=args.progress_interval, notice=_notice)  # fmt: skip
    results = load_results(out)
    written = write_report_files(results, plots=not args.no_plots)
    done = report.skipped + report.finished
    print(f"{suite.name} [{suite.source}]: {report.finished} runs finished in {report.seconds:.1f} s"
          + (f" ({report.skipped} were already done)" if report.skipped else "")
          + f"; {done} of {report.planned} in {out}")
    if report.interrupted:
        print(f"gradmethods run: interrupted; {done} of {report.planned} runs are kept. Finish with:\n"
              f"  {finish_command(args.suite, args.out)}", file=sys.stderr)  # fmt: skip
        return 130
    counts = results.runs["outcome"].value_counts().to_dict()
    print("outcomes: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
    print(f"summary: {out / 'summary.md'}, {out / 'summary.csv'}")
    index = [p for p in written if Path(p).name == "index.html"]
    if index:
        print(f"report: {index[0]} (open it in a browser)")
    print(f"wrote {out.resolve()}")
    failed = counts.get("FAILED", 0)
    if failed:
        messages = results.runs.loc[results.runs["outcome"] == "FAILED", "message"].astype(str)
        first = messages.iloc[0] if len(messages) else ""
        print(f"gradmethods run: {failed} of {report.planned} runs FAILED (first: {first[:200]}); "
              f"see the failed runs in {out / 'summary.md'}", file=sys.stderr)  # fmt: skip
        return 1
    return 0

