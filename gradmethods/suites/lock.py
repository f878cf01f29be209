"""One writer at a time: a lock on a results folder, with who holds it.

``gradmethods run``, ``report`` and ``plot`` write into a results folder; two of them at
once would train every run twice and double the records.  :func:`results_lock` takes an
exclusive lock on ``DIR/.gradmethods.lock`` (:class:`filelock.FileLock`: an ``flock`` on
POSIX, which the kernel releases when the holding process dies, however it dies) and
writes who holds it into ``DIR/.gradmethods.lock.json``: pid, host, start time and the
command.  A second writer is refused at once (no waiting) with a message naming the
holder.  A lock left by a killed process is no lock at all (the kernel dropped it); its
info file is recognised as stale — the pid is no longer alive on this host — and
replaced, and the take-over is said on stderr.

The lock is re-entrant within a process: ``gradmethods run`` holds it from before
``--overwrite`` removes anything until the last table is written, and
:func:`gradmethods.suites.runner.run_suite`, called inside, takes it again for free.
"""

from __future__ import annotations

import contextlib
import datetime
import json
import os
import socket
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

__all__ = ["results_lock", "FolderBusyError", "LOCK_FILE", "LOCK_INFO_FILE"]

LOCK_FILE = ".gradmethods.lock"
LOCK_INFO_FILE = ".gradmethods.lock.json"

_held: dict[Path, int] = {}  # folders this process holds, with the depth of re-entry
_guard = threading.Lock()


class FolderBusyError(ValueError):
    """Another process writes into the results folder; the message names it."""


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, owned by someone else
        return True
    except OSError:
        return False
    return True


def _read_info(directory: Path) -> dict:
    try:
        info = json.loads((directory / LOCK_INFO_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return info if isinstance(info, dict) else {}


def _describe(info: dict) -> str:
    if not info:
        return "another process (it has not written its lock info yet)"
    return (f"process {info.get('pid')} on {info.get('host')}, started {info.get('started')}"
            + (f" ({info['command']})" if info.get("command") else ""))  # fmt: skip


def _is_stale(info: dict) -> bool:
    """Lock info left by a process that is gone: same host, pid not alive (or the pid is ours: a reused number)."""
    if not info or info.get("host") != socket.gethostname():
        return False
    pid = info.get("pid")
    return isinstance(pid, int) and (pid == os.getpid() or not _pid_alive(pid))


@contextlib.contextmanager
def results_lock(directory: str | Path, command: str | None = None) -> Iterator[None]:
    """Hold the exclusive writer's lock of ``directory`` (created if missing) for the ``with`` block.

    Raises
    ------
    FolderBusyError (a ValueError)
        At once, if another process holds the lock; the message names it (pid, host,
        start time, command).
    OSError
        If the folder cannot be created or the lock file cannot be written (a
        read-only folder); the CLI turns it into one line naming the path.
    """
    from filelock import FileLock, Timeout

    directory = Path(directory)
    if directory.exists() and not directory.is_dir():
        raise NotADirectoryError(20, "exists and is not a directory", str(directory))
    directory.mkdir(parents=True, exist_ok=True)
    key = directory.resolve()
    with _guard:
        if key in _held:
            _held[key] += 1
            reentered = True
        else:
            reentered = False
    if reentered:
        try:
            yield
        finally:
            with _guard:
                _held[key] -= 1
        return
    lock = FileLock(str(directory / LOCK_FILE), timeout=0, thread_local=False)
    try:
        lock.acquire()
    except Timeout:
        raise FolderBusyError(f"{str(directory)!r} is being written by {_describe(_read_info(directory))}; "
                              "wait for it to finish, or stop it (Ctrl-C keeps its finished runs)") from None
    try:
        previous = _read_info(directory)
        if previous and previous.get("pid") != os.getpid():
            if _is_stale(previous):
                print(f"gradmethods: took over the lock of {directory} left by {_describe(previous)}, "
                      "which is no longer running", file=sys.stderr)  # fmt: skip
            else:  # another host, or a pid we cannot see: the kernel lock is ours, so it is gone all the same
                print(f"gradmethods: took over the lock of {directory} last held by {_describe(previous)}",
                      file=sys.stderr)  # fmt: skip
        info = {"pid": os.getpid(), "host": socket.gethostname(),
                "started": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
                "command": command or " ".join([Path(sys.argv[0]).name, *sys.argv[1:]])}  # fmt: skip
        from .runner import atomic_write_text

        atomic_write_text(directory / LOCK_INFO_FILE, json.dumps(info) + "\n")
        with _guard:
            _held[key] = 1
        try:
            yield
        finally:
            with _guard:
                del _held[key]
            with contextlib.suppress(OSError):
                (directory / LOCK_INFO_FILE).unlink()
    finally:
        lock.release()
