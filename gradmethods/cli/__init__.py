"""The ``gradmethods`` command line.

Each subcommand is one module in :mod:`gradmethods.cli.commands` that defines
``add_arguments(parser)``, ``run(args) -> int`` and a one-line docstring; the
modules are discovered, so adding a command is adding a file.
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import importlib
import pkgutil
import sys
import warnings
from collections.abc import Sequence

from .. import __version__
from . import commands

#: The exit status of every command, said in its ``--help`` (a command with more to say defines its own).
EXIT_STATUS = ("Exit status: 0 on success; 2 for a usage, input or file-system error (one line on stderr "
               "names the problem); 130 when interrupted (Ctrl-C or SIGTERM).")  # fmt: skip


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="gradmethods",
        description="Backprop, dual numbers, finite differences and a genetic algorithm, side by side.",
    )
    parser.add_argument("--version", action="version", version=f"gradmethods {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{commands.__name__}.{info.name}")
        summary = (module.__doc__ or "").strip().splitlines()[0]
        epilog = getattr(module, "EXIT_STATUS", EXIT_STATUS)
        sub = subparsers.add_parser(info.name.replace("_", "-"), help=summary, description=module.__doc__,
                                    epilog=epilog)  # fmt: skip
        module.add_arguments(sub)
        sub.set_defaults(handler=module.run)
    return parser


def _file_error(exc: OSError) -> str:
    """One line for a file-system error: what failed, on which path, and why."""
    reason = exc.strerror or type(exc).__name__
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        reason += " (the disk is full: free some space, then finish with --resume)"
    elif exc.errno == errno.EFBIG:
        reason += " (the file would exceed the size allowed: see ulimit -f)"
    paths = [str(p) for p in (exc.filename, exc.filename2) if p is not None]
    where = " -> ".join(paths) if paths else "(no path given)"
    return f"{where}: {reason}"


def _warning_line(command: str):
    def show(message, category, filename, lineno, file=None, line=None) -> None:
        with contextlib.suppress(OSError, ValueError):
            print(f"gradmethods {command}: warning: {message}", file=file or sys.stderr)

    return show


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``gradmethods`` console script.

    Returns the exit status: 0 on success, 1 when a suite ran but some run FAILED
    (``gradmethods run``), 2 for a usage, input or file-system error (one line on
    stderr, no traceback), 130 when interrupted.
    """
    args = build_parser().parse_args(argv)
    previous_showwarning = warnings.showwarning
    warnings.showwarning = _warning_line(args.command)
    try:
        return int(args.handler(args) or 0)
    except ValueError as exc:  # bad input: a clear message, no traceback
        print(f"gradmethods {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # output piped into `head` and the like: stop quietly
        sys.stderr.close()
        return 0
    except OSError as exc:  # permission, missing path, not a directory, disk full, file too large
        print(f"gradmethods {args.command}: error: {_file_error(exc)}", file=sys.stderr)
        return 2
    except MemoryError:
        print(f"gradmethods {args.command}: error: out of memory; make the suite smaller "
              "(see the pre-flight size limits: gradmethods run --help)", file=sys.stderr)  # fmt: skip
        return 2
    except KeyboardInterrupt:
        print(f"gradmethods {args.command}: interrupted", file=sys.stderr)
        return 130
    finally:
        warnings.showwarning = previous_showwarning


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
