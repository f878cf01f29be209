"""The runner: records that survive interrupts and crashes, resume, outcomes, and worker independence."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import types
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from suite_runs import SLOW, TINY, assert_same_numbers, write_suite
from synthetic_results import strip_fpe

import gradmethods as gm
from gradmethods.cli import main
from gradmethods.core import registry
from gradmethods.training.results import Outcome, TrainResult

ROOT = Path(__file__).resolve().parents[2]

def run_cli(*args: str) -> int:
    return main(["run", *map(str, args), "--no-plots"])  # figures are tested where they are drawn


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> Path:
    """TINY run sequentially, in this process."""
    tmp = tmp_path_factory.mktemp("reference")
    assert run_cli(write_suite(tmp, TINY), "--out", tmp / "out") == 0
    return tmp / "out"


def test_a_run_writes_records_curves_and_tables(reference):
    results = gm.load_results(reference)
    assert len(results.runs) == 6 and len(results.incomplete) == 0
    assert set(results.runs["outcome"]) <= {str(o) for o in Outcome}
    for column in ("run_id", "task", "method", "seed", "outcome", "iterations", "nfev", "seconds", "final_error",
                   "final_cost", "njev", "fpe", "target", "lr", "dtype", "message"):  # fmt: skip
        assert column in results.runs.columns
    assert {"run_id", "iteration", "nfev", "fpe", "seconds", "cost", "error"} <= set(results.curves.columns)
    assert results.runs["nfev"].dtype == np.int64 and results.runs["fpe"].dtype == np.float64
    # backprop on a one-layer network (not: 1-1, or_and: 2-2): a reverse sweep costs what the forward pass
    # does (dW and db, no delta @ W^T below the first layer), so 2 forward-pass equivalents per call
    np.testing.assert_array_equal(results.runs["fpe"], 2.0 * results.runs["nfev"])
    np.testing.assert_array_equal(results.curves["fpe"], 2.0 * results.curves["nfev"])
    for name in ("suite.json", "runs.jsonl", "runs.csv", "summary.csv", "summary.md"):
        assert (reference / name).exists()
    assert len(list((reference / "curves").glob("*.csv"))) == 6
    # the record agrees with its curve and with training the same run directly
    row = results.runs.iloc[0]
    direct = gm.train(row["task"], "backprop", lr=2.0, iterations=1000, init="random", seed=int(row["seed"]),
                      target=0.05)  # fmt: skip
    assert row["outcome"] == str(direct.outcome)
    assert row["final_error"] == direct.final_error
    assert row["nfev"] == direct.history["nfev"].iloc[-1]
    assert row["fpe"] == direct.history["fpe"].iloc[-1]
    curve = results.curves[results.curves["run_id"] == row["run_id"]]
    np.testing.assert_array_equal(curve["error"].to_numpy(), direct.history["error"].to_numpy())


def test_existing_output_is_not_overwritten_without_resume(reference, tmp_path, capsys):
    before = (reference / "runs.jsonl").read_bytes()
    assert run_cli(write_suite(tmp_path, TINY), "--out", reference) == 2
    assert "already holds results" in capsys.readouterr().err
    assert (reference / "runs.jsonl").read_bytes() == before


def test_resume_of_a_finished_suite_runs_nothing(reference, tmp_path, capsys):
    out = tmp_path / "copy"
    _copy_tree(reference, out)
    assert run_cli(write_suite(tmp_path, TINY), "--out", out, "--resume") == 0
    assert "0 runs finished" in capsys.readouterr().out
    assert_same_numbers(reference, out)


def _copy_tree(source: Path, target: Path) -> None:
    import shutil

    shutil.copytree(source, target)


def test_changed_config_is_refused_on_resume_saying_what_changed(reference, tmp_path, capsys):
    out = tmp_path / "copy"
    _copy_tree(reference, out)
    changed = write_suite(tmp_path, TINY.replace("lr = 2.0", "lr = 1.0").replace("seeds = 3", "seeds = 4"))
    assert run_cli(changed, "--out", out, "--resume") == 2
    err = capsys.readouterr().err
    assert "the suite changed" in err
    assert "defaults.lr: 2.0 -> 1.0" in err and "seeds: 3 -> 4" in err
    assert "Traceback" not in err


def test_torn_or_garbage_last_line_is_ignored_and_resume_repairs_it(reference, tmp_path, capsys):
    out = tmp_path / "copy"
    _copy_tree(reference, out)
    log = out / "runs.jsonl"
    lines = log.read_bytes().splitlines(keepends=True)
    # lose the last record, and leave half of it behind, as a crash in mid-write would
    log.write_bytes(b"".join(lines[:-1]) + lines[-1][: len(lines[-1]) // 2])
    with pytest.warns(RuntimeWarning, match="the last line"):
        results = gm.load_results(out)
    assert len(results.runs) == 5 and list(results.incomplete["status"]) == ["missing"]
    assert run_cli(write_suite(tmp_path, TINY), "--out", out, "--resume") == 0
    captured = capsys.readouterr()
    assert "1 runs finished" in captured.out
    assert "gradmethods run: warning:" in captured.err and "cut off a torn last line" in captured.err
    assert_same_numbers(reference, out)
    assert all(json.loads(line) for line in log.read_bytes().splitlines())  # the torn line was cut off
    # garbage (not JSON at all) as the last line is skipped too
    with open(log, "ab") as handle:
        handle.write(b"\x00\x17garbage{{{\n")
    with pytest.warns(RuntimeWarning, match="ignored"):
        assert len(gm.load_results(out).runs) == 6


def test_report_command_rebuilds_the_tables(reference, tmp_path, capsys):
    out = tmp_path / "copy"
    _copy_tree(reference, out)
    summary = (out / "summary.csv").read_text()
    for name in ("summary.csv", "summary.md", "runs.csv"):
        (out / name).unlink()
    assert main(["report", str(out), "--no-plots"]) == 0
    assert (out / "summary.csv").read_text() == summary
    assert "| not | backprop | 3 |" in (out / "summary.md").read_text()
    assert "| or_and | backprop | 3 |" in capsys.readouterr().out


def test_report_of_a_directory_without_results_is_a_clear_error(tmp_path, capsys):
    assert main(["report", str(tmp_path)]) == 2
    assert "holds no suite results" in capsys.readouterr().err


def test_jobs_2_gives_the_same_numbers_as_jobs_1(reference, tmp_path):
    assert run_cli(write_suite(tmp_path, TINY), "--out", tmp_path / "out", "--jobs", 2) == 0
    assert_same_numbers(reference, tmp_path / "out")


@pytest.mark.slow  # starts a local cluster of worker processes: CI's separate long step
def test_dask_local_cluster_gives_the_same_numbers_as_jobs_1(reference, tmp_path):
    pytest.importorskip("distributed")
    out = tmp_path / "out"
    assert run_cli(write_suite(tmp_path, TINY), "--out", out, "--scheduler", "local", "--jobs", 2) == 0
    assert_same_numbers(reference, out)


def test_a_diverging_learning_rate_gives_diverged_rows(tmp_path):
    text = TINY.replace('tasks = ["not", "or_and"]', 'tasks = [{ name = "or_and", activation = "identity" }]')
    text = text.replace("lr = 2.0", "lr = 10.0").replace("iterations = 400", "iterations = 2000")
    assert run_cli(write_suite(tmp_path, text), "--out", tmp_path / "out") == 0
    results = gm.load_results(tmp_path / "out")
    assert list(results.runs["outcome"]) == ["DIVERGED"] * 3
    assert results.summary.loc[0, "successes"] == 0 and results.summary.loc[0, "ert_nfev"] == np.inf
    assert "task_activation" in results.runs.columns
    assert set(results.summary["task"]) == {"or_and(activation=identity)"}


@pytest.fixture
def failing_method():
    """A trainer that raises on one seed: registered for this test only."""

    class Flaky:
        family = "gradient_free"

        def fit(self, task, net, params, X, Y, *, iterations, target, seed, settings):
            if seed % 2 == 0:
                raise RuntimeError("the flaky method fails on even seeds")
            history = pd.DataFrame({"iteration": [0], "cost": [1.0], "error": [0.5], "nfev": [1], "njev": [0],
                                    "seconds": [0.0], "median_cost": [2.0]})  # fmt: skip
            return TrainResult(task.name, "_flaky", Outcome.BUDGET_EXHAUSTED, params, history, settings)

    registry.register_trainer("_flaky")(Flaky)
    yield "_flaky"
    registry.METHODS.unregister("_flaky")


def test_an_exception_in_a_run_is_a_failed_row_and_the_suite_goes_on(tmp_path, failing_method):
    text = TINY.replace('name = "backprop"', f'name = "{failing_method}"').replace("seeds = 3", "seeds = 6")
    assert run_cli(write_suite(tmp_path, text), "--out", tmp_path / "out") == 1  # a run FAILED: exit status 1
    results = gm.load_results(tmp_path / "out")
    even = results.runs["seed"] % 2 == 0
    assert 0 < even.sum() < len(results.runs)
    assert set(results.runs.loc[even, "outcome"]) == {"FAILED"}
    assert set(results.runs.loc[~even, "outcome"]) == {"BUDGET_EXHAUSTED"}
    assert results.runs.loc[even, "message"].str.startswith("RuntimeError: the flaky method fails on even seeds").all()
    assert "median_cost" in results.curves.columns  # a method's extra history columns are kept
    # its history has no fpe: not recorded (NaN), never filled in; a failed run spent nothing
    assert results.runs.loc[~even, "fpe"].isna().all() and (results.runs.loc[even, "fpe"] == 0).all()
    assert results.curves["fpe"].isna().all()
    assert results.summary[["fpe_median", "ert_fpe"]].isna().all().all()
    assert "## Failed runs" in (tmp_path / "out" / "summary.md").read_text()


def _run_subprocess(suite: Path, out: Path, *extra: str) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
    return subprocess.Popen(
        [sys.executable, "-m", "gradmethods", "run", str(suite), "--out", str(out), "--no-plots", *extra],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def _finished_in_log(out: Path) -> int:
    log = out / "runs.jsonl"
    if not log.exists():
        return 0
    return sum(b'"record": "run"' in line for line in log.read_bytes().splitlines())


@pytest.mark.slow  # a real process signalled mid-suite: timed, so it runs in CI's separate long step
@pytest.mark.parametrize(("signum", "jobs"), [(signal.SIGINT, "1"), (signal.SIGTERM, "2")])
def test_an_interrupted_suite_keeps_finished_runs_and_resume_completes_it(tmp_path, signum, jobs):
    suite = write_suite(tmp_path, SLOW)
    out = tmp_path / "interrupted"
    process = _run_subprocess(suite, out, "--jobs", jobs)
    deadline = time.monotonic() + 60
    while _finished_in_log(out) < 2 and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.02)
    process.send_signal(signum)
    stdout, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stderr
    assert "Traceback" not in stderr and "--resume" in stderr
    records = [json.loads(line) for line in (out / "runs.jsonl").read_text().splitlines()]
    finished = {r["run_id"] for r in records if r["record"] == "run"}
    marked = {r["run_id"] for r in records if r["record"] == "interrupted"}
    assert len(finished) >= 2 and marked and not finished & marked
    assert len(finished) < 8, "the suite finished before the signal; make SLOW slower"
    partial = gm.load_results(out)
    assert set(partial.runs["run_id"]) == finished  # no finished run is lost
    assert set(partial.incomplete.loc[partial.incomplete["status"] == "interrupted", "run_id"]) == marked

    resumed = _run_subprocess(suite, out, "--resume", "--jobs", jobs)
    stdout, stderr = resumed.communicate(timeout=120)
    assert resumed.returncode == 0, stderr
    assert f"{8 - len(finished)} runs finished" in stdout
    # finished runs were not rerun: their records appear once
    records = [json.loads(line) for line in (out / "runs.jsonl").read_text().splitlines()]
    assert sorted(r["run_id"] for r in records if r["record"] == "run") == sorted(gm.load_results(out).runs["run_id"])

    straight = tmp_path / "straight"
    assert run_cli(suite, "--out", straight) == 0
    assert_same_numbers(straight, out)


def test_run_ends_by_calling_the_figure_report_hook(tmp_path, monkeypatch):
    calls = []
    fake = types.ModuleType("gradmethods.report.html")
    fake.write_report = lambda results, out_dir: calls.append((results, out_dir)) or [Path(out_dir) / "index.html"]
    monkeypatch.setitem(sys.modules, "gradmethods.report.html", fake)
    assert main(["run", str(write_suite(tmp_path, TINY)), "--out", str(tmp_path / "out")]) == 0
    [(results, out_dir)] = calls
    assert len(results.runs) == 6 and Path(out_dir) == tmp_path / "out"


def test_without_the_figure_module_the_tables_are_still_written(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "gradmethods.report.html", None)  # import raises ModuleNotFoundError
    assert main(["run", str(write_suite(tmp_path, TINY)), "--out", str(tmp_path / "out")]) == 0
    assert (tmp_path / "out" / "summary.md").exists() and not (tmp_path / "out" / "index.html").exists()


def test_resume_after_the_registered_methods_changed_is_refused(tmp_path, capsys):
    # every registered method, 10 iterations each: what is tested is the refusal, not the training
    every_method = TINY.replace('[[methods]]\nname = "backprop"\n', 'methods = "all"\n')
    suite = write_suite(tmp_path, every_method.replace("iterations = 1000", "iterations = 10"))
    out = tmp_path / "out"
    assert run_cli(suite, "--out", out) == 0

    class Extra:
        family = "gradient_free"

        def fit(self, *args, **kwargs):  # pragma: no cover - never trained: the resume is refused
            raise AssertionError

    registry.register_trainer("_extra")(Extra)
    try:
        assert run_cli(suite, "--out", out, "--resume") == 2
    finally:
        registry.METHODS.unregister("_extra")
    err = capsys.readouterr().err
    assert "6 runs added (not/_extra, or_and/_extra)" in err and "registered methods changed" in err


# ------------------------------------------------------------------------------------------ batched units

BATCH = """
name = "batch"
entropy = 3
seeds = 4
tasks = ["or_and", "xor"]

[[methods]]
name = "backprop"

[[methods]]
name = "fd_central"
iterations = 150

[defaults]
init = "random"
lr = 2.0
iterations = 600
target = 0.3
"""


def _assert_close_frames(batched: pd.DataFrame, alone: pd.DataFrame, rtol: float = 1e-12) -> None:
    assert list(batched.columns) == list(alone.columns)
    for column in batched.columns:
        a, b = batched[column], alone[column]
        if pd.api.types.is_float_dtype(a) and pd.api.types.is_float_dtype(b):
            np.testing.assert_allclose(a.to_numpy(), b.to_numpy(), rtol=rtol, atol=0, err_msg=column)
        else:
            assert a.tolist() == b.tolist(), column


def test_a_unit_trained_as_one_batch_gives_each_run_its_numbers_alone(tmp_path, monkeypatch):
    from gradmethods.suites.runner import train_run, train_unit

    suite = gm.load_suite(write_suite(tmp_path, BATCH))
    units = suite.units()
    assert [len(unit) for unit in units] == [4] * 4
    calls = []
    original = gm.training.api.train

    def counting_train(*args, **kwargs):
        calls.append(kwargs.get("seeds"))
        return original(*args, **kwargs)

    outcomes = set()
    for unit in units:
        calls.clear()
        with monkeypatch.context() as patch:
            patch.setattr(gm.training.api, "train", counting_train)
            batched = train_unit(unit)
        assert calls == [[run.seed for run in unit]]  # one batched call for the whole unit
        for run, (record, history) in zip(unit, batched):
            alone_record, alone_history = train_run(run)
            assert record["run_id"] == run.run_id
            record = {k: v for k, v in record.items() if k != "seconds"}
            expected = {k: v for k, v in alone_record.items() if k != "seconds"}
            assert record.keys() == expected.keys()
            for key, value in expected.items():
                if isinstance(value, float):
                    np.testing.assert_allclose(record[key], value, rtol=1e-12, atol=0, err_msg=key)
                else:
                    assert record[key] == value, key
            _assert_close_frames(history.drop(columns="seconds"), alone_history.drop(columns="seconds"))
            outcomes.add(record["outcome"])
    assert outcomes == {"CONVERGED", "BUDGET_EXHAUSTED"}  # runs left the batch early and ran to the end


def test_share_of_batch_seconds_adds_up_to_the_batch_time():
    from gradmethods.suites.runner import share_of_batch_seconds

    wall = pd.DataFrame({"seconds": [1.0, 2.0, 3.0, 4.0]})
    # rows 0-1: two runs share each step; rows 2-3: the long run alone
    short, long = share_of_batch_seconds([wall.iloc[:2], wall])
    np.testing.assert_allclose(short, [0.5, 1.0])
    np.testing.assert_allclose(long, [0.5, 1.0, 2.0, 3.0])
    assert short[-1] + long[-1] == pytest.approx(4.0)


@pytest.fixture
def stack_shy_provider():
    """Backprop that fails on any stack holding a network whose *initial* first weight is positive."""
    from gradmethods.gradients.backprop import Backprop

    class StackShy(Backprop):
        def compute_value_and_grad(self, net, params, X, Y):
            if not hasattr(self, "failing"):  # a new instance per gm.train call: the first call sees the start
                self.failing = bool(np.any(np.asarray(params)[..., 0] > 0))
            if self.failing:
                raise RuntimeError("positive first weight")
            return super().compute_value_and_grad(net, params, X, Y)

    registry.register_provider("_stack_shy")(StackShy)
    yield "_stack_shy"
    registry.METHODS.unregister("_stack_shy")


def test_a_failing_batch_falls_back_to_one_run_at_a_time(tmp_path, stack_shy_provider):
    text = TINY.replace('name = "backprop"', f'name = "{stack_shy_provider}"').replace("seeds = 3", "seeds = 8")
    text = text.replace('tasks = ["not", "or_and"]', 'tasks = ["or_and"]')
    assert run_cli(write_suite(tmp_path, text), "--out", tmp_path / "out") == 1  # some runs FAILED
    runs = gm.load_results(tmp_path / "out").runs
    assert len(runs) == 8
    task = gm.get_task("or_and")
    positive = np.array([task.random_params(np.random.default_rng(seed))[0] > 0 for seed in runs["seed"]])
    assert 0 < positive.sum() < 8  # both kinds of run are in the unit, so the batch fails
    assert set(runs.loc[positive, "outcome"]) == {"FAILED"}
    assert runs.loc[positive, "message"].str.startswith("RuntimeError: positive first weight").all()
    assert "FAILED" not in set(runs.loc[~positive, "outcome"])


# ------------------------------------------------------------------------------------ test-set scores

DIGITS = """
name = "digits_tiny"
entropy = 9
seeds = 3
tasks = ["digits"]

[[methods]]
name = "backprop"

[defaults]
init = "random"
iterations = 15
target = "none"
"""


def test_runs_on_a_task_with_a_test_set_record_test_accuracy(tmp_path):
    pytest.importorskip("sklearn")
    assert run_cli(write_suite(tmp_path, DIGITS), "--out", tmp_path / "out") == 0
    results = gm.load_results(tmp_path / "out")
    runs = results.runs
    assert list(runs.columns[: len(gm.suites.tables.RUN_COLUMNS)]) == list(gm.suites.tables.RUN_COLUMNS)  # only added
    task = gm.get_task("digits")
    X_test, labels_test = task.metadata["X_test"], task.metadata["labels_test"]
    for _, row in runs.iterrows():
        params = gm.train(task, init="random", seed=int(row["seed"]), iterations=15).params
        # an independent classifier: the forward pass written out, the largest output wins
        a = X_test
        for W, b in task.network().unpack(params):
            a = 1 / (1 + np.exp(-(a @ W + b)))
        assert row["test_accuracy"] == pytest.approx(np.mean(a.argmax(axis=1) == labels_test), abs=1e-15)
        assert row["test_error"] == pytest.approx(np.mean(np.linalg.norm(task.metadata["Y_test"] - a, axis=1)))
        assert 0 <= row["train_accuracy"] <= 1
    summary = results.summary.iloc[0]
    assert summary["test_accuracy_median"] == pytest.approx(np.median(runs["test_accuracy"]))
    assert summary["test_accuracy_q25"] == pytest.approx(np.quantile(runs["test_accuracy"], 0.25))
    assert "test accuracy median [IQR]" in (tmp_path / "out" / "summary.md").read_text()


def test_tasks_without_a_test_set_add_no_score_columns(reference):
    results = gm.load_results(reference)
    assert not {"test_accuracy", "train_accuracy"} & set(results.runs.columns)
    assert "test_accuracy_median" not in results.summary.columns


def test_results_written_before_fpe_was_recorded_still_load(reference, tmp_path):
    old = tmp_path / "old"
    _copy_tree(reference, old)
    strip_fpe(old)  # records and curves without fpe, as the runner wrote them before
    assert b'"fpe"' not in (old / "runs.jsonl").read_bytes()
    results = gm.load_results(old)
    new = gm.load_results(reference)
    assert results.runs["fpe"].isna().all() and results.curves["fpe"].isna().all()  # not recorded, not invented
    pd.testing.assert_frame_equal(results.runs.drop(columns="fpe"), new.runs.drop(columns="fpe"))
    pd.testing.assert_frame_equal(results.curves.drop(columns="fpe"), new.curves.drop(columns="fpe"))
    summary = results.summary
    assert summary[["fpe_median", "fpe_q25", "fpe_q75", "ert_fpe"]].isna().all().all()
    np.testing.assert_array_equal(summary["ert_nfev"], new.summary["ert_nfev"])
    # the tables fall back to calls and say why
    assert main(["report", str(old), "--no-plots", "--format", "none"]) == 0
    text = (old / "summary.md").read_text()
    assert "record no forward-pass equivalents" in text and "ERT in function evaluations (calls)" in text
    assert "forward-pass equivalents median" not in text
    assert "ERT in forward-pass equivalents" in (reference / "summary.md").read_text()


def test_iterations_count_updates_for_descent_and_iterations_for_trainers(tmp_path):
    """Gradient descent's last row precedes its last update; a trainer's last row follows its last iteration."""
    import tomllib

    import gradmethods as gm
    from gradmethods.suites.runner import run_suite
    from gradmethods.suites.suite import parse_suite

    suite = parse_suite(tomllib.loads("""
tasks = ["xor"]
seeds = 1
methods = ["backprop", { name = "genetic", max_generations = 5 }]
[defaults]
iterations = 5
init = "random"
target = 1e-9
"""))
    run_suite(suite, tmp_path / "out")
    runs = gm.load_results(tmp_path / "out").runs.set_index("method")
    assert runs.loc["backprop", "outcome"] == "BUDGET_EXHAUSTED" and runs.loc["backprop", "iterations"] == 5
    # 5 generations counting the initial one: 4 rounds of breeding
    assert runs.loc["genetic", "outcome"] == "BUDGET_EXHAUSTED" and runs.loc["genetic", "iterations"] == 4
    alone = gm.train("xor", "genetic", init="random", seed=runs.loc["genetic", "seed"], iterations=5, target=1e-9)
    assert alone.history["iteration"].iloc[-1] == 4
