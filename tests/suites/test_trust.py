"""Results one can trust: exit status, one writer, verified curves, file-system errors, reports, progress.

Faults are injected as a hostile but honest user would: deleted, truncated and corrupted curves, a lost
run log, two writers, a killed writer, read-only and full disks, a file where a folder belongs.  The long
fault tests (random kills of real processes) are marked ``slow``.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from suite_runs import SLOW as SLOW_ONE_SEED
from suite_runs import TINY, assert_same_numbers, write_suite

import gradmethods as gm
from gradmethods.cli import build_parser, main
from gradmethods.suites import runner as runner_module
from gradmethods.suites.lock import LOCK_INFO_FILE

ROOT = Path(__file__).resolve().parents[2]

# SLOW with two seeds: 16 runs in 8 work units, long enough to kill at random moments.
# two seeds, and long enough that a fault injected up to 2 s after suite.json lands while the suite works
SLOW = SLOW_ONE_SEED.replace("seeds = 1", "seeds = 2").replace("iterations = 800", "iterations = 4000")

# Every run FAILED: complex step is refused on relu by the pre-flight, so a method that fails at run time is
# registered for the test (``always_failing``).


def run_cli(*args, plots: bool = False) -> int:
    return main(["run", *map(str, args), *([] if plots else ["--no-plots"])])


def finished_records(out: Path) -> list[dict]:
    records = [json.loads(line) for line in (out / "runs.jsonl").read_text().splitlines() if line.strip()]
    return [record for record in records if record["record"] == "run"]


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> Path:
    """TINY run once, sequentially, in this process."""
    tmp = tmp_path_factory.mktemp("trust_reference")
    assert run_cli(write_suite(tmp, TINY), "--out", tmp / "out") == 0
    return tmp / "out"


def copy_results(source: Path, target: Path) -> Path:
    shutil.copytree(source, target)
    return target


def env() -> dict:
    return {**os.environ, "PYTHONPATH": str(ROOT), "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1",
            "MPLBACKEND": "Agg"}  # fmt: skip


def cli_process(*args, **kwargs) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "gradmethods", *map(str, args)], cwd=ROOT, env=env(),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kwargs)  # fmt: skip


# ------------------------------------------------------------------------------------------ exit status (5)


@pytest.fixture
def always_failing():
    """A trainer that raises on every run: registered for this test only."""
    from gradmethods.core import registry

    class Broken:
        family = "gradient_free"

        def fit(self, task, net, params, X, Y, *, iterations, target, seed, settings):
            raise RuntimeError("this method always breaks")

    registry.register_trainer("_broken")(Broken)
    yield "_broken"
    registry.METHODS.unregister("_broken")


def test_a_suite_whose_runs_all_fail_exits_1_with_a_one_line_summary(tmp_path, always_failing, capsys):
    text = TINY.replace('name = "backprop"', f'name = "{always_failing}"').replace("lr = 2.0\n", "")
    text = text.replace("iterations = 1000\n", "")
    assert run_cli(write_suite(tmp_path, text), "--out", tmp_path / "out") == 1
    err = capsys.readouterr().err
    summary = [line for line in err.splitlines() if "FAILED" in line]
    assert len(summary) == 1 and "6 of 6 runs FAILED" in summary[0] and "this method always breaks" in summary[0]
    assert "Traceback" not in err


def test_every_command_documents_its_exit_status():
    parser = build_parser()
    commands = parser._subparsers._group_actions[0].choices  # the subcommand parsers, by name
    assert {"run", "report", "plot", "show"} <= set(commands)
    for name, sub in commands.items():
        assert "Exit status: 0" in sub.epilog and "130" in sub.epilog and "2 for" in sub.epilog, name
    assert "1 when any run FAILED" in commands["run"].format_help()


def test_usage_errors_exit_2(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["run"])
    assert exit_info.value.code == 2
    assert main(["report", str(tmp_path / "nowhere")]) == 2
    err = capsys.readouterr().err
    assert "nowhere" in err and "no such results folder" in err and "Traceback" not in err


# ---------------------------------------------------------------------------------------- one writer (1)

HOLD = """
import sys, time
from gradmethods.suites.lock import results_lock
with results_lock(sys.argv[1], command="holder"):
    print("held", flush=True)
    time.sleep(120)
"""


def hold_lock(directory: Path) -> subprocess.Popen:
    process = subprocess.Popen([sys.executable, "-c", HOLD, str(directory)], cwd=ROOT, env=env(),
                               stdout=subprocess.PIPE, text=True)  # fmt: skip
    assert process.stdout.readline().strip() == "held"
    return process


def test_a_second_writer_is_refused_at_once_and_a_killed_holder_is_taken_over(reference, tmp_path, capsys):
    out = copy_results(reference, tmp_path / "copy")
    suite = write_suite(tmp_path, TINY)
    before = (out / "runs.jsonl").read_bytes()
    holder = hold_lock(out)
    try:
        start = time.monotonic()
        assert run_cli(suite, "--out", out, "--resume") == 2
        assert time.monotonic() - start < 10  # refused at once, not after waiting
        err = capsys.readouterr().err
        assert f"process {holder.pid} on " in err and "holder" in err and "started 20" in err
        assert main(["report", str(out), "--no-plots", "--format", "none"]) == 2
        assert f"process {holder.pid}" in capsys.readouterr().err
        assert (out / "runs.jsonl").read_bytes() == before
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
    info = json.loads((out / LOCK_INFO_FILE).read_text())
    assert info["pid"] == holder.pid  # a killed holder leaves its info behind ...
    assert run_cli(suite, "--out", out, "--resume") == 0  # ... and its lock is no lock: taken over
    err = capsys.readouterr().err
    assert f"left by process {holder.pid}" in err and "no longer running" in err
    assert (out / "runs.jsonl").read_bytes() == before  # nothing rerun
    assert not (out / LOCK_INFO_FILE).exists()


# ---------------------------------------------------------------------------------------- pre-flight (3)


@pytest.mark.parametrize("name", sorted(path.stem for path in (ROOT / "experiments").glob("*.toml")))
def test_the_counted_size_of_each_shipped_suite_matches_its_expansion(name):
    from gradmethods.core.registry import get_method
    from gradmethods.suites.size import CSV_BYTES_PER_ROW
    from gradmethods.suites.suite import load_suite

    suite = load_suite(ROOT / "experiments" / f"{name}.toml")
    assert suite.size.runs == len(suite.runs)

    def budget(run) -> int:  # what the run may train: its own budget, else the trainer's declared default
        if run.settings["iterations"] is not None:
            return run.settings["iterations"]
        trainer = get_method(run.method).factory(**run.options)
        return next(getattr(trainer, name) for name in ("max_generations", "max_iterations") if hasattr(trainer, name))

    rows = sum(budget(run) + 1 for run in suite.runs)
    assert suite.size.history_rows == rows and suite.size.disk_bytes == rows * CSV_BYTES_PER_ROW


def test_a_suite_within_raised_limits_runs(tmp_path, capsys):
    suite = write_suite(tmp_path, TINY)
    assert run_cli(suite, "--out", tmp_path / "refused", "--max-runs", "5") == 2
    assert "6 runs, more than the limit of 5" in capsys.readouterr().err
    assert run_cli(suite, "--out", tmp_path / "out", "--max-runs", "6") == 0
    assert "pre-flight: 6 runs, at most 6,006 history rows" in capsys.readouterr().err


# ------------------------------------------------------------------------------------ verified curves (2)


def test_records_carry_the_checksum_and_row_count_of_their_curve(reference):
    import hashlib

    for record in finished_records(reference):
        data = (reference / "curves" / f"{record['run_id']}.csv").read_bytes()
        assert record["curve_sha256"] == hashlib.sha256(data).hexdigest()
        assert record["curve_rows"] == data.count(b"\n") - 1
        assert record["gradmethods_version"] == gm.__version__
    assert f"written by gradmethods {gm.__version__}" in gm.load_results(reference).provenance.describe()


def damage(out: Path) -> dict[str, str]:
    """Delete one curve, truncate one, flip a digit in one: three damaged runs, run id -> what was done."""
    ids = sorted(record["run_id"] for record in finished_records(out))
    curves = out / "curves"
    (curves / f"{ids[0]}.csv").unlink()
    data = (curves / f"{ids[1]}.csv").read_bytes()
    (curves / f"{ids[1]}.csv").write_bytes(data[: len(data) // 2])
    data = bytearray((curves / f"{ids[2]}.csv").read_bytes())
    position = data.rindex(b",") + 3  # a digit of the last row's seconds
    data[position] = ord("7") if data[position] != ord("7") else ord("3")
    (curves / f"{ids[2]}.csv").write_bytes(bytes(data))
    return {ids[0]: "deleted", ids[1]: "truncated", ids[2]: "corrupted"}


def test_damaged_curves_are_left_out_of_reports_and_rerun_by_resume(reference, tmp_path, capsys):
    out = copy_results(reference, tmp_path / "copy")
    damaged = damage(out)
    with pytest.warns(RuntimeWarning, match=r"left out.*2 curve does not match its checksum, 1 curve missing"):
        results = gm.load_results(out)
    assert set(results.incomplete.loc[results.incomplete["status"] == "damaged", "run_id"]) == set(damaged)
    assert not set(results.runs["run_id"]) & set(damaged) and not set(results.curves["run_id"]) & set(damaged)
    assert main(["report", str(out), "--no-plots", "--format", "none"]) == 0
    err = capsys.readouterr().err
    assert "warning: " in err and "3 finished runs are left out" in err and "--resume" in err
    assert len(pd.read_csv(out / "runs.csv")) == 3
    assert "3 damaged" in (out / "summary.md").read_text()

    assert run_cli(write_suite(tmp_path, TINY), "--out", out, "--resume") == 0
    captured = capsys.readouterr()
    assert "3 finished runs are trained again" in captured.err and "1 curve missing" in captured.err
    assert "3 runs finished" in captured.out
    assert_same_numbers(reference, out)


def test_a_deleted_curves_folder_reruns_every_run(reference, tmp_path, capsys):
    out = copy_results(reference, tmp_path / "copy")
    shutil.rmtree(out / "curves")
    assert run_cli(write_suite(tmp_path, TINY), "--out", out, "--resume") == 0
    assert "6 curve missing" in capsys.readouterr().err
    assert_same_numbers(reference, out)


def test_a_corrupted_checksum_in_a_record_reruns_that_run(reference, tmp_path, capsys):
    out = copy_results(reference, tmp_path / "copy")
    lines = (out / "runs.jsonl").read_text().splitlines()
    record = json.loads(lines[2])
    record["curve_sha256"] = "0" * 64
    lines[2] = json.dumps(record)
    (out / "runs.jsonl").write_text("\n".join(lines) + "\n")
    assert run_cli(write_suite(tmp_path, TINY), "--out", out, "--resume") == 0
    assert "1 finished runs are trained again" in capsys.readouterr().err
    assert_same_numbers(reference, out)


def test_records_without_checksums_stay_readable_and_say_so(reference, tmp_path):
    out = copy_results(reference, tmp_path / "copy")
    lines = [json.loads(line) for line in (out / "runs.jsonl").read_text().splitlines()]
    (out / "runs.jsonl").write_text("".join(json.dumps({k: v for k, v in r.items() if not k.startswith("curve_")})
                                            + "\n" for r in lines))  # fmt: skip
    results = gm.load_results(out)
    assert len(results.runs) == 6 and results.provenance.unverified == 6
    assert "checked for presence only" in results.provenance.describe()
    (out / "curves" / f"{results.runs['run_id'][0]}.csv").unlink()  # presence is still checked
    with pytest.warns(RuntimeWarning, match="1 curve missing"):
        assert len(gm.load_results(out).runs) == 5


def test_report_never_replaces_a_good_table_with_an_empty_one(reference, tmp_path, capsys):
    out = copy_results(reference, tmp_path / "copy")
    table = (out / "runs.csv").read_bytes()
    (out / "runs.jsonl").unlink()
    assert main(["report", str(out), "--no-plots"]) == 2
    err = capsys.readouterr().err
    assert "runs.jsonl is missing" in err and "refusing to replace" in err
    assert main(["plot", str(out)]) == 2
    assert (out / "runs.csv").read_bytes() == table


# ------------------------------------------------------------------------- file-system errors, umask (6)


@pytest.mark.parametrize("mask", [0o022, 0o077, 0o002])
def test_files_are_created_with_the_users_umask(tmp_path, mask):
    previous = os.umask(mask)
    try:
        assert run_cli(write_suite(tmp_path, TINY.replace("seeds = 3", "seeds = 1")), "--out", tmp_path / "out") == 0
    finally:
        os.umask(previous)
    out = tmp_path / "out"
    files = [out / name for name in ("suite.json", "runs.jsonl", "runs.csv", "summary.csv", "summary.md")]
    files += list((out / "curves").glob("*.csv"))
    for path in files:
        assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~mask, path.name


def test_a_file_where_a_folder_belongs_is_one_line(reference, tmp_path, capsys):
    suite = write_suite(tmp_path, TINY)
    a_file = tmp_path / "a_file"
    a_file.write_text("mine")
    assert run_cli(suite, "--out", a_file) == 2
    assert main(["plot", str(reference), "--out", str(a_file)]) == 2
    assert run_cli(suite, "--out", a_file / "below") == 2
    out = copy_results(reference, tmp_path / "copy")
    (out / "runs.csv").unlink()
    (out / "runs.csv").mkdir()  # a table path that is a folder
    assert main(["report", str(out), "--no-plots"]) == 2
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert len(lines) == 4 and all(line.startswith("gradmethods ") and "error:" in line for line in lines)
    assert str(a_file) in lines[0] and str(a_file) in lines[1] and "runs.csv" in lines[3]
    assert "Traceback" not in err and a_file.read_text() == "mine"


def test_an_absurd_dpi_is_refused(reference, tmp_path, capsys):
    out = copy_results(reference, tmp_path / "copy")
    assert main(["plot", str(out), "--dpi", "100000"]) == 2
    assert "[10, 1200]" in capsys.readouterr().err


@pytest.mark.parametrize("error", [errno.ENOSPC, errno.EROFS])
def test_a_write_that_fails_is_one_line_and_loses_nothing(reference, tmp_path, capsys, monkeypatch, error):
    out = copy_results(reference, tmp_path / "copy")
    records = finished_records(out)
    lines = (out / "runs.jsonl").read_text().splitlines()
    (out / "runs.jsonl").write_text("\n".join(lines[:3]) + "\n")  # three runs still to do
    kept = (out / "runs.jsonl").read_bytes()
    real = runner_module.atomic_write_bytes
    calls = []

    def failing(path, data):  # the second write of a new curve fails, as a full or read-only disk would
        calls.append(path)
        if len(calls) == 2:
            raise OSError(error, os.strerror(error), str(path))
        return real(path, data)

    monkeypatch.setattr(runner_module, "atomic_write_bytes", failing)
    assert run_cli(write_suite(tmp_path, TINY), "--out", out, "--resume") == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 2 and err[1].startswith("gradmethods run: error: ") and str(calls[1]) in err[1]
    assert os.strerror(error) in err[1]
    assert (out / "runs.jsonl").read_bytes().startswith(kept)  # nothing already written is lost
    monkeypatch.setattr(runner_module, "atomic_write_bytes", real)
    assert run_cli(write_suite(tmp_path, TINY), "--out", out, "--resume") == 0
    assert_same_numbers(reference, out)
    assert len(records) == 6


def test_a_read_only_out_is_one_line(tmp_path, capsys, monkeypatch):
    from pathlib import Path as PathClass

    real_mkdir = PathClass.mkdir

    def denied(self, *args, **kwargs):
        if "locked" in str(self):
            raise PermissionError(errno.EACCES, "Permission denied", str(self))
        return real_mkdir(self, *args, **kwargs)

    monkeypatch.setattr(PathClass, "mkdir", denied)
    assert run_cli(write_suite(tmp_path, TINY), "--out", tmp_path / "locked" / "out") == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Permission denied" in err and "locked" in err and "Traceback" not in err


@pytest.mark.slow
def test_a_full_disk_in_a_real_process_loses_nothing_and_resume_finishes(reference, tmp_path):
    import resource

    out = copy_results(reference, tmp_path / "copy")
    (out / "runs.jsonl").write_text("".join(line + "\n" for line in (out / "runs.jsonl").read_text().splitlines()[:2]))
    kept = (out / "runs.jsonl").read_bytes()
    suite = write_suite(tmp_path, TINY)

    def small_files() -> None:  # every file write beyond 8 kB fails with EFBIG (Python ignores SIGXFSZ)
        resource.setrlimit(resource.RLIMIT_FSIZE, (8_000, 8_000))

    done = subprocess.run([sys.executable, "-m", "gradmethods", "run", str(suite), "--out", str(out), "--resume",
                           "--no-plots"], cwd=ROOT, env=env(), capture_output=True, text=True,
                          preexec_fn=small_files, timeout=120)  # fmt: skip
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr and "File too large" in done.stderr
    assert (out / "runs.jsonl").read_bytes().startswith(kept)
    assert run_cli(suite, "--out", out, "--resume") == 0
    assert_same_numbers(reference, out)


# ----------------------------------------------------------------------------- reports that say what (7)


def test_reports_state_settings_records_and_missing_runs(reference, tmp_path, capsys):
    out = copy_results(reference, tmp_path / "copy")
    lines = (out / "runs.jsonl").read_text().splitlines()
    (out / "runs.jsonl").write_text("\n".join(lines[:4]) + "\n")
    (out / "index.html").write_text("<html><body>an older page: every run finished</body></html>")
    assert main(["report", str(out), "--no-plots", "--format", "none"]) == 0
    page = (out / "index.html").read_text()
    markdown = (out / "summary.md").read_text()
    for text in (page, markdown):
        assert "Incomplete: 2 of 6 planned runs are not in this report (2 missing)" in text
        assert f"--out {out} --resume" in text and "gradmethods run " in text
        for fact in ("entropy", "11", "3 per task x method x grid point", "not, or_and", "backprop", "0.05",
                     "1000", "float64", "random", "built from 4 run records", f"gradmethods {gm.__version__}"):
            assert fact in text, fact
    assert "an older page" not in page and "Figures were not redrawn" in page and f"gradmethods plot {out}" in page
    digest = gm.load_results(out).provenance.digest
    assert f"digest {digest}" in page
    # --resume --no-plots: the page is rewritten from the new records (no longer incomplete), not left stale
    assert run_cli(write_suite(tmp_path, TINY), "--out", out, "--resume") == 0
    page = (out / "index.html").read_text()
    assert "Incomplete" not in page and "built from 6 run records" in page and f"digest {digest}" not in page
    assert "built from 6 run records" in (out / "summary.md").read_text()


@pytest.mark.slow
def test_a_drawn_page_states_settings_records_and_missing_runs(reference, tmp_path):
    out = copy_results(reference, tmp_path / "copy")
    lines = (out / "runs.jsonl").read_text().splitlines()
    (out / "runs.jsonl").write_text("\n".join(lines[:4]) + "\n")
    assert main(["plot", str(out), "--format", "png"]) == 0
    page = (out / "index.html").read_text()
    assert "Incomplete: 2 of 6 planned runs" in page and "built from 4 run records" in page
    assert "Figures were not redrawn" not in page and "plots/convergence_fpe.png" in page


def test_the_records_digest_depends_on_the_records_not_their_order(reference, tmp_path):
    out = copy_results(reference, tmp_path / "copy")
    digest = gm.load_results(out).provenance.digest
    lines = (out / "runs.jsonl").read_text().splitlines()
    (out / "runs.jsonl").write_text("\n".join(reversed(lines)) + "\n")
    assert gm.load_results(out).provenance.digest == digest
    (out / "runs.jsonl").write_text("\n".join(lines[:5]) + "\n")
    assert gm.load_results(out).provenance.digest != digest


# ----------------------------------------------------------------------------- progress without a tty (8)


def test_progress_lines_go_to_stderr_at_a_steady_interval_without_a_terminal(tmp_path, capsys):
    assert run_cli(write_suite(tmp_path, TINY), "--out", tmp_path / "out", "--progress-interval", "0.02") == 0
    lines = [line for line in capsys.readouterr().err.splitlines() if "elapsed" in line]
    assert lines, "no progress line"
    assert all(line.startswith("gradmethods run: runs ") and "/6 done, 0 FAILED" in line for line in lines)
    assert len(lines[-1]) < 120


def test_no_progress_lines_with_interval_0(tmp_path, capsys):
    assert run_cli(write_suite(tmp_path, TINY), "--out", tmp_path / "out", "--progress-interval", "0") == 0
    assert "elapsed" not in capsys.readouterr().err


# ------------------------------------------------------------------------------------------- slow faults


def kill_after(process: subprocess.Popen, started: Path, seconds: float, signum: int = signal.SIGKILL) -> None:
    """Once ``started`` exists (the process is at work), wait ``seconds`` and send ``signum``; it must still run."""
    deadline = time.monotonic() + 120
    while not started.exists() and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.01)
    time.sleep(seconds)
    assert process.poll() is None, "the process ended before the fault was injected; inject it sooner"
    process.send_signal(signum)
    process.communicate(timeout=60)


@pytest.fixture(scope="module")
def slow_reference(tmp_path_factory) -> tuple[Path, Path]:
    tmp = tmp_path_factory.mktemp("slow_reference")
    suite = write_suite(tmp, SLOW)
    assert run_cli(suite, "--out", tmp / "out") == 0
    return suite, tmp / "out"


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(6))
def test_a_run_killed_at_a_random_moment_resumes_to_identical_records(slow_reference, tmp_path, seed):
    suite, reference_out = slow_reference
    out = tmp_path / "killed"
    moment = float(np.random.default_rng(seed).uniform(0.0, 2.0))  # after suite.json: training and writing
    signum = signal.SIGKILL if seed % 2 == 0 else signal.SIGINT
    kill_after(cli_process("run", suite, "--out", out, "--no-plots"), out / "suite.json", moment, signum)
    assert len(finished_records(out)) < 16 if (out / "runs.jsonl").exists() else True
    assert run_cli(suite, "--out", out, "--resume") == 0
    assert_same_numbers(reference_out, out)
    ids = [record["run_id"] for record in finished_records(out)]
    assert len(ids) == len(set(ids)) == 16  # no run recorded twice


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(3))
def test_plotting_killed_at_a_random_moment_leaves_whole_files(reference, tmp_path, seed):
    out = copy_results(reference, tmp_path / "copy")
    moment = float(np.random.default_rng(100 + seed).uniform(0.0, 1.5))  # while the figures are written
    kill_after(cli_process("plot", out), out / "plots", moment)
    for image in (out / "plots").glob("*.png") if (out / "plots").exists() else []:
        assert image.read_bytes().endswith(b"IEND\xaeB`\x82"), image.name  # a whole PNG, never half of one
    for page in (out / "plots").glob("*.svg") if (out / "plots").exists() else []:
        assert page.read_text().rstrip().endswith("</svg>"), page.name
    assert main(["plot", str(out)]) == 0
    assert "built from 6 run records" in (out / "index.html").read_text()


@pytest.mark.slow
def test_two_real_writers_on_one_folder_one_is_refused(slow_reference, tmp_path):
    suite, reference_out = slow_reference
    out = tmp_path / "shared"
    first = cli_process("run", suite, "--out", out, "--no-plots")
    deadline = time.monotonic() + 60
    while not (out / LOCK_INFO_FILE).exists() and time.monotonic() < deadline:
        time.sleep(0.02)
    second = cli_process("run", suite, "--out", out, "--resume", "--no-plots")
    _, err = second.communicate(timeout=120)
    assert second.returncode == 2 and f"process {first.pid} on" in err and "Traceback" not in err
    first.communicate(timeout=300)
    assert first.returncode == 0
    ids = [record["run_id"] for record in finished_records(out)]
    assert len(ids) == len(set(ids)) == 16
    assert_same_numbers(reference_out, out)
