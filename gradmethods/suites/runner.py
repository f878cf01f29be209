"""Run a suite: sequentially, on local processes, or on a Dask cluster; records that survive a crash.

Layout of an output directory::

    DIR/suite.json         the validated suite: document, source and every planned run
    DIR/runs.jsonl         the run log: one JSON record per finished (or interrupted) run,
                           appended and fsync'ed as each run finishes
    DIR/curves/<id>.csv    the training history of each finished run
    DIR/runs.csv, summary.csv, summary.md   tables, rebuilt from the records

Every file other than the log is written atomically (temporary file in the same
directory, flush, fsync, ``os.replace``, fsync of the directory), and a run's curve is
written before its log record, so a record always has its curve.  A torn or garbage
last log line (a crash mid-write) is ignored on reading and cut off before the next
append.

Ctrl-C or SIGTERM stops the suite cleanly: finished runs are kept, the runs in flight
are marked ``interrupted`` in the log, and ``--resume`` runs only what is missing.

Work is scheduled in *units*: runs that share task, method and settings and differ
only in their seed (:meth:`gradmethods.suites.suite.Suite.units`).  :func:`train_unit` trains
one unit: a gradient method's unit as one batched ``gm.train(..., seeds=[...])``
computation, whose runs are recorded together when the batch finishes (a unit is the
granularity of what an interrupt keeps), and so is a trainer's with a batched ``fit_runs``
(``genetic``); another trainer's runs one by one.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import os
import secrets
import signal
import sys
import threading
import time
import traceback
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..core.registry import get_method
from ..training.results import Outcome, TrainResult
from .suite import RunSpec, Suite, canonical_json

__all__ = ["run_suite", "train_unit", "train_run", "share_of_batch_seconds", "RunLog", "RunnerReport",
           "atomic_write_text", "atomic_write_bytes", "curve_problem", "SUITE_FILE", "LOG_FILE",
           "CURVES_DIR"]  # fmt: skip

SUITE_FILE = "suite.json"
LOG_FILE = "runs.jsonl"
CURVES_DIR = "curves"
INTERRUPTED = "INTERRUPTED"


# -------------------------------------------------------------------------------------------- safe files


def _fsync_dir(directory: Path) -> None:
    with contextlib.suppress(OSError):  # not every platform / file system can fsync a directory
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def atomic_write_bytes(path: str | Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that readers see the old file or the new one, never half of one.

    The temporary file is created with mode ``0o666`` less the umask (the mode ``open``
    gives any new file), so tables and reports are as readable as every other file the
    user writes.  On any error (a full disk, a read-only folder) the temporary file is
    removed and the old ``path`` is left as it was.
    """
    path = Path(path)
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    for _ in range(100):
        tmp = path.parent / f".{path.name}.{secrets.token_hex(4)}.tmp"
        try:
            fd = os.open(tmp, flags, 0o666)
            break
        except FileExistsError:
            continue
    else:  # pragma: no cover - 100 collisions of 32 random bits
        raise FileExistsError(17, "cannot create a temporary file", str(path))
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    _fsync_dir(path.parent)


def atomic_write_text(path: str | Path, text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` atomically: see :func:`atomic_write_bytes`."""
    atomic_write_bytes(path, text.encode("utf-8"))


class RunLog:
    """The append-only JSON-lines run log of an output directory.

    Each line is one record: ``{"record": "run", ...}`` for a finished run (see
    :func:`train_run` for its fields; as it is written, the runner adds
    ``gradmethods_version`` and, for a run with a curve, ``curve_sha256`` and
    ``curve_rows``, the SHA-256 and row count of ``curves/<run_id>.csv``) or
    ``{"record": "interrupted", "run_id": ...}``.  The last record of a run id wins.
    """

    def __init__(self, path: str | Path):
        self.path = Path(path)

    def read(self) -> list[dict]:
        """All readable records; a torn or garbage line is skipped with a warning."""
        if not self.path.exists():
            return []
        records, bad = [], []
        lines = self.path.read_bytes().split(b"\n")
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
                if not isinstance(record, dict) or "run_id" not in record:
                    raise ValueError("not a run record")
            except ValueError:
                bad.append(number)
                continue
            records.append(record)
        if bad:
            where = "the last line" if bad == [len(lines) - (0 if lines[-1] else 1)] else f"lines {bad}"
            warnings.warn(f"{self.path}: ignored {where}, which is not a complete record (torn by a crash?)",
                          RuntimeWarning, stacklevel=2)  # fmt: skip
        return records

    def repair(self) -> None:
        """Cut off a torn last line (no final newline), so the next record starts on a line of its own."""
        if not self.path.exists():
            return
        data = self.path.read_bytes()
        if data and not data.endswith(b"\n"):
            keep = data.rfind(b"\n") + 1
            warnings.warn(f"{self.path}: cut off a torn last line ({len(data) - keep} bytes, an unfinished record)",
                          RuntimeWarning, stacklevel=2)  # fmt: skip
            with open(self.path, "r+b") as handle:
                handle.truncate(keep)
                handle.flush()
                os.fsync(handle.fileno())

    def append(self, records: list[dict]) -> None:
        """Append records, one line each, and fsync before returning."""
        if not records:
            return
        text = "".join(json.dumps(_jsonable(record), allow_nan=True, sort_keys=True) + "\n" for record in records)
        with open(self.path, "a", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())

    def latest(self) -> dict[str, dict]:
        """The last record of each run id."""
        return {record["run_id"]: record for record in self.read()}


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, Outcome):
        return value.value
    return value


# ------------------------------------------------------------------------------------------- one run


def _summarize(run: RunSpec, result: TrainResult) -> dict:
    history = result.history
    last = history.iloc[-1]
    converged = result.outcome is Outcome.CONVERGED
    # iterations = updates made.  Gradient descent's row k is the point before update k: a converged run stops at
    # its last row without updating, any other made one more update.  A trainer's row k is its state after
    # iteration k (a generation, a scipy iteration), whatever the outcome.
    descent = get_method(run.method).gives_gradient
    iterations = int(last["iteration"]) + 1 if descent and not converged else int(last["iteration"])
    # A method whose history has no fpe (a trainer written before it was recorded) gets NaN: not recorded.
    fpe = float(last["fpe"]) if "fpe" in history.columns else math.nan
    return {
        "outcome": str(result.outcome), "iterations": iterations,
        "nfev": int(last["nfev"]), "njev": int(last["njev"]), "fpe": fpe, "seconds": float(last["seconds"]),
        "final_error": float(last["error"]), "final_cost": float(last["cost"]), "message": "",
        # the engine that ran ("auto" resolved), for gradient descent
        **({"engine": result.settings["engine"]} if "engine" in result.settings else {}),
    }  # fmt: skip


#: Record fields of a run on a task with a held-out test set (``digits``), from
#: :func:`gradmethods.core.classification.task_scores` of its final parameters.
SCORE_FIELDS = ("train_accuracy", "test_accuracy", "test_error", "test_cost")


def _scores(task, params: Any) -> list[dict]:
    """Accuracies and test figures of each row of a stack of final parameters; ``[{}] * R`` without a test set.

    A run whose final parameters are not finite (diverged) gets NaN, not the scores of NaN outputs.
    """
    from ..core.classification import task_scores

    if "X_test" not in task.metadata:
        return [{} for _ in range(len(params))]
    params = np.atleast_2d(params)
    finite = np.isfinite(params).all(axis=1)
    with np.errstate(all="ignore"):
        scores = task_scores(task, params)
    return [{name: float(scores[name][row]) if finite[row] else math.nan for name in SCORE_FIELDS}
            for row in range(params.shape[0])]  # fmt: skip


def _base_record(run: RunSpec) -> dict:
    record = {"record": "run", **run.to_dict()}
    del record["task_overrides"]
    record["task_overrides"] = run.task_overrides
    return record


def _failed_record(run: RunSpec, exc: Exception, seconds: float) -> dict:
    frame = traceback.extract_tb(exc.__traceback__)[-1] if exc.__traceback__ else None
    where = f" (at {Path(frame.filename).name}:{frame.lineno})" if frame else ""
    record = _base_record(run)
    record.update(outcome=str(Outcome.FAILED), iterations=0, nfev=0, njev=0, fpe=0.0, seconds=seconds,
                  final_error=math.nan, final_cost=math.nan, message=f"{type(exc).__name__}: {exc}{where}")  # fmt: skip
    return record


def train_run(run: RunSpec) -> tuple[dict, pd.DataFrame | None]:
    """Train one run with ``gm.train``; an exception becomes a FAILED record, never a crash.

    Returns
    -------
    record : dict
        ``run_id, task, method, seed, replicate, settings, options, grid, outcome,
        iterations, nfev, njev, fpe, seconds, final_error, final_cost, message``
        (``nfev``, ``njev``: calls; ``fpe``: the same work in forward-pass
        equivalents, NaN when the method's history does not record it); for a
        task with a held-out test set also :data:`SCORE_FIELDS` (``train_accuracy,
        test_accuracy, test_error, test_cost`` of the final parameters).
    history : DataFrame or None
        The run's curve (None for a FAILED run).
    """
    from ..training.api import train

    start = time.perf_counter()
    try:
        task = run.make_task()
        with np.errstate(all="ignore"):
            result = train(task, **run.train_kwargs())
        (scores,) = _scores(task, [result.params])
    except Exception as exc:  # noqa: BLE001 - one failing run must not stop the suite
        return _failed_record(run, exc, time.perf_counter() - start), None
    record = _base_record(run)
    record.update(_summarize(run, result), **scores)
    return record, result.history


def share_of_batch_seconds(histories: list[pd.DataFrame]) -> list[np.ndarray]:
    """Each run's share of the wall time of runs trained as one stack.

    ``seconds`` in a batched history is the wall time of the whole stack at each row.
    Here the time between two rows is divided equally among the runs still in the
    stack at that row, and each run's ``seconds`` is the running sum of its shares:
    the seconds of a unit's runs add up to the unit's training time, and a run that
    stops early is not charged for the steps of the others.
    """
    rows = np.array([len(history) for history in histories])
    wall = histories[int(rows.argmax())]["seconds"].to_numpy(dtype=float)
    step = np.diff(wall, prepend=0.0)
    active = (rows[:, None] > np.arange(wall.size)[None, :]).sum(axis=0)
    shared = np.cumsum(step / np.maximum(active, 1))
    return [shared[:n] for n in rows]


def _train_batched(unit: list[RunSpec]) -> list[tuple[dict, pd.DataFrame]]:
    """One ``gm.train(..., seeds=[...])`` call for a unit of a gradient method; raises on failure."""
    from ..training.api import train

    kwargs = unit[0].train_kwargs()
    del kwargs["seed"]
    task = unit[0].make_task()
    with np.errstate(all="ignore"):
        results = train(task, **kwargs, seeds=[run.seed for run in unit])
    scores = _scores(task, np.stack([result.params for result in results]))
    histories = [result.history for result in results]  # each built once, from the batch's columns; ours to change
    for history, seconds in zip(histories, share_of_batch_seconds(histories)):
        history["seconds"] = seconds
    finished = []
    for run, result, history, run_scores in zip(unit, results, histories, scores):
        record = _base_record(run)
        record.update(_summarize(run, TrainResult(result.task, result.method, result.outcome, result.params,
                                                  history, result.settings)), **run_scores)  # fmt: skip
        finished.append((record, history))
    return finished


def _batches(unit: list[RunSpec]) -> bool:

    info = get_method(unit[0].method)
    return len(unit) > 1 and (info.gives_gradient or hasattr(info.factory, "fit_runs"))  # a trainer that batches


def train_unit(
    unit: list[RunSpec], on_run: Callable[[dict, pd.DataFrame | None], None] | None = None
) -> list[tuple[dict, pd.DataFrame | None]]:
    """Train a work unit: runs sharing task, method and settings, differing only in seed.

    For a gradient method the unit is trained as one batched computation,
    ``gm.train(..., seeds=[run.seed for run in unit])``, and split into one record
    and curve per run, with the numbers each run gives alone (see
    :func:`gradmethods.train`); so is a trainer's that has ``fit_runs`` (``genetic``),
    another trainer trains its runs one by one.  If the batched call raises, the unit's runs are trained
    one by one, so that each failing run gets its own FAILED record.

    ``on_run(record, history)`` is called as each run finishes (used in-process, so a
    run is on disk before the next one starts); the runs of a batch finish together.

    Notes
    -----
    ``seconds`` of a run trained in a batch (record and curve) is its share of the
    batch's wall time (:func:`share_of_batch_seconds`): each step's time divided
    equally among the runs still training.  It is the run's cost as trained here,
    and smaller than the time it takes alone for small networks, whose steps cost
    about the same for one run as for many.
    """
    finished: list[tuple[dict, pd.DataFrame | None]] = []
    if _batches(unit):
        try:
            finished = _train_batched(unit)
        except Exception:  # noqa: BLE001 - the runs are retried one by one, each failure recorded on its own
            finished = []
        for record, history in finished:
            if on_run is not None:
                on_run(record, history)
        if finished:
            return finished
    for run in unit:
        record, history = train_run(run)
        if on_run is not None:
            on_run(record, history)
        finished.append((record, history))
    return finished


# ------------------------------------------------------------------------------------------ the suite


@dataclass
class RunnerReport:
    """What :func:`run_suite` did."""

    planned: int
    skipped: int  #: finished before (``--resume``)
    finished: int  #: finished in this invocation
    interrupted: bool
    seconds: float
    #: finished before, but rerun because their curve was missing or damaged: run id -> why
    damaged: dict[str, str] = field(default_factory=dict)
    #: outcomes of every planned run that has a record (this invocation's and earlier ones)
    outcomes: dict[str, int] = field(default_factory=dict)


def _write_curve(out: Path, record: dict, history: pd.DataFrame | None) -> None:
    """Write a run's curve and put its checksum and row count into its record (which is written after it)."""
    if history is None:
        return
    data = history.to_csv(index=False).encode("utf-8")
    atomic_write_bytes(out / CURVES_DIR / f"{record['run_id']}.csv", data)
    record["curve_sha256"] = hashlib.sha256(data).hexdigest()
    record["curve_rows"] = len(history)


#: Why a finished run's curve cannot be used (see :func:`curve_problem`).
CURVE_MISSING = "curve missing"
CURVE_MISMATCH = "curve does not match its checksum"


def curve_problem(directory: str | Path, record: dict) -> str | None:
    """What is wrong with the curve file of a finished run's ``record``, or None if it is sound.

    A record with ``curve_sha256`` (written since checksums were recorded) is sound when
    its curve exists and hashes to that checksum.  A record without one (an older
    results folder) can only be checked for the curve's presence.  A FAILED run has no
    curve and is always sound.
    """
    if record.get("outcome") == str(Outcome.FAILED):
        return None
    path = Path(directory) / CURVES_DIR / f"{record['run_id']}.csv"
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return CURVE_MISSING
    except IsADirectoryError:
        return CURVE_MISMATCH
    expected = record.get("curve_sha256")
    if expected is not None and hashlib.sha256(data).hexdigest() != expected:
        return CURVE_MISMATCH
    return None


def count_problems(problems: dict[str, str]) -> str:
    """``"2 curve missing, 1 curve does not match its checksum"`` from run id -> problem."""
    counts: dict[str, int] = {}
    for problem in problems.values():
        counts[problem] = counts.get(problem, 0) + 1
    return ", ".join(f"{count} {problem}" for problem, count in sorted(counts.items()))


class _Recorder:
    """Writes each finished run (curve, then log record) and tracks the progress bar."""

    def __init__(self, out: Path, log: RunLog, bar):
        self.out, self.log, self.bar = out, log, bar
        self.done: set[str] = set()
        self.started: set[str] = set()
        self.failed = 0

    def __call__(self, record: dict, history: pd.DataFrame | None) -> None:
        from .. import __version__

        record["gradmethods_version"] = __version__  # which version wrote it (reports name it)
        _write_curve(self.out, record, history)
        self.log.append([record])
        self.done.add(record["run_id"])
        self.failed += record.get("outcome") == str(Outcome.FAILED)
        if self.bar is not None:
            self.bar.update(1)
            self.bar.set_postfix_str(f"{record['task']}/{record['method']}: {record['outcome']}", refresh=False)


def _progress_bar(total: int, initial: int, description: str):
    if not sys.stderr.isatty():
        return None
    try:
        from tqdm.auto import tqdm
    except ImportError:  # the 'progress' extra is not installed: no bar
        return None
    return tqdm(total=total, initial=initial, desc=description, unit="run", file=sys.stderr, dynamic_ncols=True)


def _duration(seconds: float) -> str:
    seconds = int(round(seconds))
    hours, rest = divmod(seconds, 3600)
    return f"{hours}h{rest // 60:02d}m{rest % 60:02d}s" if hours else f"{rest // 60}m{rest % 60:02d}s"


class _ProgressLine:
    """Without a terminal: one short line on stderr every ``interval`` seconds, so a log shows the suite is alive.

    ``runs 12/40 done, 1 FAILED, 2m03s elapsed, about 4m50s left`` (the estimate is the
    mean time per run finished in this invocation times the runs left).
    """

    def __init__(self, recorder: _Recorder, todo: int, skipped: int, planned: int, interval: float):
        self.recorder, self.todo, self.skipped, self.planned = recorder, todo, skipped, planned
        self.start = time.perf_counter()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, args=(interval,), daemon=True, name="gradmethods-progress")
        self._thread.start()

    def line(self) -> str:
        done = len(self.recorder.done)
        elapsed = time.perf_counter() - self.start
        left = f"about {_duration(elapsed / done * (self.todo - done))} left" if done else "no estimate yet"
        return (f"gradmethods run: runs {self.skipped + done}/{self.planned} done, {self.recorder.failed} FAILED, "
                f"{_duration(elapsed)} elapsed, {left}")  # fmt: skip

    def _loop(self, interval: float) -> None:
        while not self._stop.wait(interval):
            with contextlib.suppress(OSError, ValueError):  # stderr closed: stay quiet
                print(self.line(), file=sys.stderr, flush=True)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=1.0)


@contextlib.contextmanager
def _sigterm_as_interrupt() -> Iterator[None]:
    """Turn SIGTERM into KeyboardInterrupt, so ``kill`` stops a suite as cleanly as Ctrl-C."""
    try:
        previous = signal.signal(signal.SIGTERM, _raise_interrupt)
    except ValueError:  # not the main thread: leave signals alone
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _raise_interrupt(signum, frame) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def _ignore_sigint() -> None:  # pool workers: the parent decides what an interrupt means
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _split(units: list[list[RunSpec]], workers: int) -> list[list[RunSpec]]:
    """Cut units into chunks so every worker has work and a finished chunk is saved soon."""
    total = sum(len(unit) for unit in units)
    size = max(1, math.ceil(total / (4 * max(workers, 1))))
    return [unit[i : i + size] for unit in units for i in range(0, len(unit), size)]


def prepare_output(suite: Suite, out: str | Path, *, resume: bool) -> tuple[Path, RunLog, set[str], dict[str, str]]:
    """Create or check ``out``; return it, its log, the ids of runs already finished, and the damaged ones.

    A finished run whose curve is missing or does not match the checksum in its record
    (:func:`curve_problem`) is not counted as finished: it is returned among the
    damaged runs (run id -> why) and trained again.

    Raises
    ------
    ValueError
        If ``out`` holds results and ``resume`` is False, or if ``resume`` is True and
        the suite differs from the one that wrote ``out`` (the message says what changed).
    """
    out = Path(out)
    suite_file = out / SUITE_FILE
    log = RunLog(out / LOG_FILE)
    if suite_file.exists() or log.path.exists():
        if not resume:
            raise ValueError(f"--out {str(out)!r} already holds results of a suite; add --resume to finish it, "
                             "or choose another --out directory")  # fmt: skip
        if not suite_file.exists():
            raise ValueError(f"cannot resume: {suite_file} is missing, so the runs in {str(out)!r} cannot be checked")
        try:
            stored = json.loads(suite_file.read_text(encoding="utf-8"))
        except (ValueError, UnicodeDecodeError) as exc:
            raise ValueError(f"cannot resume: {suite_file} is not a readable suite record ({exc})") from None
        changes = describe_changes(stored, suite.to_dict())
        if changes:
            raise ValueError("cannot resume: the suite changed since these results were written:\n  "
                             + "\n  ".join(_shorten(changes))
                             + "\nRun it into a new --out directory, or restore the suite file.")  # fmt: skip
        log.repair()
    else:
        if out.exists() and not out.is_dir():
            raise ValueError(f"--out {str(out)!r} exists and is not a directory")
        (out / CURVES_DIR).mkdir(parents=True, exist_ok=True)
        atomic_write_text(suite_file, json.dumps(suite.to_dict(), indent=1, sort_keys=True) + "\n")
    (out / CURVES_DIR).mkdir(parents=True, exist_ok=True)
    finished = {run_id: record for run_id, record in log.latest().items() if record.get("record") == "run"}
    damaged = {run_id: problem for run_id, record in finished.items()
               if (problem := curve_problem(out, record)) is not None}  # fmt: skip
    return out, log, set(finished) - set(damaged), damaged


def _shorten(lines: list[str], keep: int = 20) -> list[str]:
    """At most ``keep`` lines, then how many were left out: a message stays readable, whatever the input."""
    lines = [line if len(line) <= 300 else line[:297] + "..." for line in lines[:keep]] + lines[keep:]
    return lines if len(lines) <= keep else [*lines[:keep], f"... and {len(lines) - keep} more"]


def describe_changes(old: dict, new: dict) -> list[str]:
    """Human-readable differences between two stored suites: changed keys, then added/removed runs."""
    changes = [f"{path}: {a} -> {b}" for path, a, b in _diff(old.get("document", {}), new.get("document", {}))]
    old_ids = {run["run_id"]: run for run in old.get("runs", [])}
    new_ids = {run["run_id"]: run for run in new.get("runs", [])}
    if not changes and old_ids.keys() != new_ids.keys():  # same file, different expansion (e.g. new methods)
        for label, ids, source in (("added", new_ids.keys() - old_ids.keys(), new_ids),
                                   ("removed", old_ids.keys() - new_ids.keys(), old_ids)):  # fmt: skip
            if ids:
                kinds = sorted({f"{source[i]['task']}/{source[i]['method']}" for i in ids})
                changes.append(f"{len(ids)} runs {label} ({', '.join(kinds)}); the registered methods changed?")
    return changes


def _diff(old: Any, new: Any, path: str = "") -> Iterator[tuple[str, str, str]]:
    if isinstance(old, dict) and isinstance(new, dict):
        for key in sorted(old.keys() | new.keys()):
            sub = f"{path}.{key}" if path else key
            if key not in new:
                yield sub, json.dumps(old[key]), "(removed)"
            elif key not in old:
                yield sub, "(absent)", json.dumps(new[key])
            else:
                yield from _diff(old[key], new[key], sub)
    elif isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        for i, (a, b) in enumerate(zip(old, new)):
            yield from _diff(a, b, f"{path}[{i}]")
    elif canonical_json(old) != canonical_json(new):
        yield path or "(document)", json.dumps(old), json.dumps(new)


def run_suite(
    suite: Suite,
    out: str | Path,
    *,
    jobs: int = 1,
    resume: bool = False,
    scheduler: str | None = None,
    progress_interval: float | None = None,
    notice: Callable[[str], None] | None = None,
) -> RunnerReport:
    """Run every run of ``suite`` that ``out`` does not hold yet.

    Parameters
    ----------
    suite : Suite
        From :func:`gradmethods.suites.suite.load_suite`.
    out : path
        Output directory (created).
    jobs : int, default 1
        Worker processes (``1``: in this process).  With ``scheduler="local"``, the
        number of workers of the Dask ``LocalCluster``.
    resume : bool
        Finish a suite that ``out`` already holds (refused if the suite changed).
    scheduler : str, optional
        Address of a Dask distributed scheduler (``"tcp://host:8786"``), or ``"local"``
        to start a ``LocalCluster``.  Needs the ``dask`` extra.
    progress_interval : float, optional
        When standard error is not a terminal (a log file, a batch job), print a
        one-line progress report there every this many seconds (runs done, failures,
        elapsed time, estimate of the time left).  Default 60; 0 turns it off.  On a
        terminal the progress bar (``tqdm``, the ``progress`` extra) shows it instead.
    notice : callable, optional
        Called with each message about the results folder (runs rerun because their
        curve is missing or damaged); default: a ``RuntimeWarning``.

    Returns
    -------
    RunnerReport
        ``interrupted`` is True if Ctrl-C / SIGTERM stopped the suite; finished runs
        are kept and the runs in flight are marked interrupted in the log.

    Notes
    -----
    The folder is locked for the whole call (:func:`gradmethods.suites.lock.results_lock`):
    a second writer is refused at once, with a message naming this process.
    """
    if isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1:
        raise ValueError(f"The 'jobs' parameter must be an int >= 1. Got {jobs!r} instead.")
    from .lock import results_lock

    start = time.perf_counter()
    # connect before touching the output directory, so a wrong address leaves nothing behind
    dask = _dask_connect(scheduler, jobs) if scheduler is not None else None
    try:
        with results_lock(out):
            return _run_locked(suite, Path(out), jobs, resume, dask, start, progress_interval, notice)
    finally:
        _dask_close(dask)


def _run_locked(suite: Suite, out: Path, jobs: int, resume: bool, dask: tuple[Any, Any] | None, start: float,
                progress_interval: float | None, notice: Callable[[str], None] | None) -> RunnerReport:
    out, log, finished_before, damaged = prepare_output(suite, out, resume=resume)
    if damaged:
        message = (f"{out}: {len(damaged)} finished runs are trained again, their curve is damaged: "
                   f"{count_problems(damaged)}")  # fmt: skip
        if notice is None:
            warnings.warn(message, RuntimeWarning, stacklevel=3)
        else:
            notice(message)
    todo = [run for run in suite.runs if run.run_id not in finished_before]
    skipped = len(suite.runs) - len(todo)
    units = [unit for unit in suite.units() if any(run.run_id not in finished_before for run in unit)]
    units = [[run for run in unit if run.run_id not in finished_before] for unit in units]
    bar = _progress_bar(len(suite.runs), skipped, suite.name)
    recorder = _Recorder(out, log, bar)
    ticker = None
    if bar is None and todo and (progress_interval is None or progress_interval > 0):
        ticker = _ProgressLine(recorder, len(todo), skipped, len(suite.runs), progress_interval or 60.0)
    interrupted = False
    try:
        with _sigterm_as_interrupt():
            try:
                if dask is not None:
                    recorder.started.update(run.run_id for run in todo)  # every unit is submitted at once
                    _run_dask(units, recorder, dask)
                elif jobs == 1:
                    for unit in units:
                        recorder.started.update(run.run_id for run in unit)
                        train_unit(unit, on_run=recorder)
                else:
                    recorder.started.update(run.run_id for run in todo)  # the pool takes every unit at once
                    _run_pool(units, recorder, jobs)
            except KeyboardInterrupt:
                interrupted = True
                # the log is the authority on what finished (an interrupt may land between append and bookkeeping)
                logged = {run_id for run_id, record in log.latest().items() if record.get("record") == "run"}
                recorder.done |= logged & {run.run_id for run in todo}
                in_flight = [run for run in todo if run.run_id in recorder.started and run.run_id not in logged]
                log.append([{"record": "interrupted", "run_id": run.run_id, "task": run.task, "method": run.method,
                             "seed": run.seed, "time": time.time()} for run in in_flight])  # fmt: skip
    finally:
        if ticker is not None:
            ticker.stop()
        if bar is not None:
            bar.close()
    planned = {run.run_id for run in suite.runs}
    outcomes: dict[str, int] = {}
    for run_id, record in log.latest().items():
        if run_id in planned and record.get("record") == "run":
            outcomes[record["outcome"]] = outcomes.get(record["outcome"], 0) + 1
    return RunnerReport(len(suite.runs), skipped, len(recorder.done), interrupted, time.perf_counter() - start,
                        damaged, outcomes)  # fmt: skip


def _run_pool(units: list[list[RunSpec]], recorder: _Recorder, jobs: int) -> None:
    import multiprocessing

    # spawn, not fork: a process that has run numba's parallel kernel (engine "numba" or "auto") cannot be
    # forked safely; its forked workers hang.
    pool = multiprocessing.get_context("spawn").Pool(jobs, initializer=_ignore_sigint)
    try:
        for finished in pool.imap_unordered(train_unit, _split(units, jobs)):
            for record, history in finished:
                recorder(record, history)
        pool.close()
    except BaseException:
        pool.terminate()
        raise
    finally:
        pool.join()


def _dask_connect(scheduler: str, jobs: int) -> tuple[Any, Any]:
    """A Dask ``(client, cluster)``: a new ``LocalCluster`` for ``"local"``, else a client of ``scheduler``."""
    try:
        import distributed
    except ImportError:
        raise ValueError(
            "--scheduler needs Dask distributed, which is not installed; install the extra: "
            "pip install 'gradmethods[dask]'"
        ) from None
    if scheduler == "local":
        import logging

        cluster = distributed.LocalCluster(n_workers=jobs, threads_per_worker=1, processes=True,
                                           dashboard_address=None, silence_logs=logging.ERROR)  # fmt: skip
        return distributed.Client(cluster), cluster
    try:
        return distributed.Client(scheduler, timeout="10s"), None
    except (OSError, TimeoutError) as exc:
        raise ValueError(f"cannot connect to the Dask scheduler at {scheduler!r}: {exc}") from None


def _dask_close(dask: tuple[Any, Any] | None) -> None:
    if dask is None:
        return
    client, cluster = dask
    client.close()
    if cluster is not None:
        cluster.close()


def _run_dask(units: list[list[RunSpec]], recorder: _Recorder, dask: tuple[Any, Any]) -> None:
    import distributed

    client, _ = dask
    workers = max(1, len(client.scheduler_info().get("workers", {})))
    futures = [client.submit(train_unit, chunk, pure=False) for chunk in _split(units, workers)]
    try:
        for future in distributed.as_completed(futures):
            for record, history in future.result():
                recorder(record, history)
    finally:
        client.cancel(futures)
