"""Suites by name from any folder, ``gradmethods show``, ``run --overwrite`` and the installed data files."""

import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

import gradmethods as gm
from gradmethods.cli import main
from gradmethods.suites.catalog import SHARE_SUBDIR, find_suites, resolve_suite, suite_dirs
from gradmethods.suites.suite import SuiteError, load_suite

ROOT = Path(__file__).resolve().parents[2]
EXPERIMENTS = ROOT / "experiments"
SHIPPED = sorted(p.stem for p in EXPERIMENTS.glob("*.toml"))

TINY = """
name = "tiny"
description = "One task, backprop, two seeds, twenty steps: a suite small enough for a test."
entropy = 1
seeds = 2
tasks = ["not"]
methods = [{ name = "backprop" }]

[defaults]
init = "random"
iterations = 20
"""


def test_every_shipped_suite_is_found_by_name_from_another_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert list(find_suites()) == SHIPPED
    for name in SHIPPED:
        assert resolve_suite(name).resolve() == (EXPERIMENTS / f"{name}.toml").resolve()
        assert resolve_suite(f"{name}.toml").resolve() == (EXPERIMENTS / f"{name}.toml").resolve()
    assert load_suite("not_or_and").name == "not_or_and"


def test_a_path_works_and_wins_over_a_name(tmp_path, monkeypatch):
    own = tmp_path / "xor.toml"
    own.write_text(TINY)
    monkeypatch.chdir(tmp_path)
    assert resolve_suite("xor.toml") == Path("xor.toml")  # the file in this folder, not the shipped suite
    assert load_suite("xor.toml").name == "tiny"
    assert load_suite(own).name == "tiny"
    assert load_suite("xor").name == "xor"  # a bare name without a file of that name: the shipped suite


def test_an_unknown_name_lists_the_known_suites(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SuiteError, match="no suite named 'not_a_suite'") as caught:
        load_suite("not_a_suite")
    for name in SHIPPED:
        assert name in str(caught.value)
    with pytest.raises(SuiteError, match="cannot read the suite file"):
        load_suite(tmp_path / "missing" / "xor.toml")


def test_run_with_an_unknown_name_is_a_message_without_traceback(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["run", "nope", "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "known suites: " in err and "not_or_and" in err and "Traceback" not in err
    assert not (tmp_path / "out").exists()


def test_list_shows_every_suite_with_its_whole_description_from_any_folder(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("COLUMNS", "70")
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    flat = " ".join(out.split())
    assert "(none)" not in out
    for name in SHIPPED:
        description = tomllib.loads((EXPERIMENTS / f"{name}.toml").read_text())["description"]
        assert " ".join(description.split()) in flat, name  # wrapped, never cut
    descriptions = [line for line in out.split("\nSuites")[1].splitlines() if line.startswith(" " * 6)]
    assert descriptions and max(len(line) for line in descriptions) <= 70


def test_list_also_shows_the_suites_of_a_given_folder(tmp_path, capsys):
    (tmp_path / "tiny.toml").write_text(TINY)
    assert main(["list", "--suites-dir", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    flat = " ".join(out.split())
    assert "tiny" in out and "small enough for a test" in flat and "not_or_and" in out
    assert suite_dirs([tmp_path])[0] == tmp_path


def test_show_prints_the_description_and_every_resolved_setting(capsys):
    assert main(["show", "not_or_and"]) == 0
    out = capsys.readouterr().out
    suite = load_suite("not_or_and")
    assert "random Glorot initial weights" in " ".join(out.split()) and "20 seeds per task x method x grid point" in out
    assert f"{len(suite.runs)} runs." in out
    for method in gm.methods():
        assert method in out
    for line in (line for line in out.splitlines() if line.startswith("  or_and ") and "random" in line):
        assert line.split()[-1] == "20"  # seeds per combination
    assert "20000" in out and "0.05" in out


def test_show_a_grid(tmp_path, capsys):
    (tmp_path / "grid.toml").write_text(TINY + "\n[grid]\nlr = [0.5, 2.0]\n")
    assert main(["show", str(tmp_path / "grid.toml")]) == 0
    out = capsys.readouterr().out
    assert "2 grid points" in out and "4 runs." in out and "lr = [0.5, 2.0]" in out


@pytest.fixture
def tiny_results(tmp_path, capsys):
    suite = tmp_path / "tiny.toml"
    suite.write_text(TINY)
    out = tmp_path / "out"
    assert main(["run", str(suite), "--out", str(out), "--no-plots"]) == 0
    printed = capsys.readouterr().out
    assert f"wrote {out.resolve()}" in printed
    return suite, out


def test_a_second_run_says_how_to_start_afresh(tiny_results, capsys):
    suite, out = tiny_results
    assert main(["run", str(suite), "--out", str(out), "--no-plots"]) == 2
    err = capsys.readouterr().err
    assert "already holds results" in err and "--overwrite" in err and "--resume" in err


def test_overwrite_says_what_it_removes_and_keeps_other_files(tiny_results, capsys):
    suite, out = tiny_results
    (out / "notes.txt").write_text("mine")
    (out / "plots").mkdir()
    (out / "plots" / "old.png").write_bytes(b"")
    assert main(["run", str(suite), "--out", str(out), "--no-plots", "--overwrite"]) == 0
    printed = capsys.readouterr().out
    assert "--overwrite: removing" in printed
    for name in ("suite.json", "runs.jsonl", "runs.csv", "summary.csv", "summary.md", "curves/ (2 files)",
                 "plots/ (1 files)"):  # fmt: skip
        assert name in printed
    assert "kept what gradmethods run does not write: notes.txt" in printed
    assert (out / "notes.txt").read_text() == "mine" and not (out / "plots").exists()
    results = gm.load_results(out)
    assert len(results.runs) == 2


def test_overwrite_refuses_a_folder_that_is_not_a_results_folder(tmp_path, capsys):
    suite = tmp_path / "tiny.toml"
    suite.write_text(TINY)
    other = tmp_path / "other"
    other.mkdir()
    (other / "runs.csv").write_text("precious")
    assert main(["run", str(suite), "--out", str(other), "--overwrite"]) == 2
    err = capsys.readouterr().err
    assert "does not look like a suite's results folder" in err and "nothing was removed" in err
    assert (other / "runs.csv").read_text() == "precious"
    assert main(["run", str(suite), "--out", str(suite), "--overwrite"]) == 2  # a file, not a folder
    assert "not a directory" in capsys.readouterr().err and suite.read_text() == TINY


def test_overwrite_and_resume_exclude_each_other(tiny_results, capsys):
    suite, out = tiny_results
    with pytest.raises(SystemExit):
        main(["run", str(suite), "--out", str(out), "--resume", "--overwrite"])
    assert "not allowed with argument" in capsys.readouterr().err


def test_results_show_a_short_summary(tiny_results):
    _, out = tiny_results
    results = gm.load_results(out)
    text = repr(results)
    assert text.startswith(f"Results({str(out)!r}): suite 'tiny', 2 of 2 runs finished")
    assert "methods: backprop" in text and "outcomes: " in text and len(text.splitlines()) <= 8
    html = results._repr_html_()
    assert html.startswith("<div>") and "<table" in html and "backprop" in html


def _copy_source(dest: Path) -> Path:
    dest.mkdir()
    for name in ("setup.cfg", "pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, dest / name)
    for folder in ("gradmethods", "experiments"):
        shutil.copytree(ROOT / folder, dest / folder, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    return dest


@pytest.mark.slow  # builds a virtual environment and installs the package: CI's separate long step
def test_a_plain_install_ships_the_suites_and_finds_them_from_any_folder(tmp_path):
    """``pip install --target`` (not editable) of a copy of the source; then list and show from elsewhere."""
    source = _copy_source(tmp_path / "src")
    target = tmp_path / "site"
    command = [sys.executable, "-m", "pip", "install", "--no-deps", "--no-input", "--quiet", "--target", str(target)]
    try:
        import wheel  # noqa: F401  # the build backend's requirements are here: build without isolation (faster)

        command.append("--no-build-isolation")
    except ImportError:
        pass
    done = subprocess.run([*command, str(source)], capture_output=True, text=True, cwd=tmp_path, timeout=300)
    if done.returncode != 0 and "No matching distribution found" in done.stderr:
        pytest.skip(f"cannot get the build requirements: {done.stderr.strip().splitlines()[-1]}")
    assert done.returncode == 0, done.stderr
    shipped = sorted(p.name for p in (target / SHARE_SUBDIR).glob("*.toml"))
    assert shipped == [f"{name}.toml" for name in SHIPPED]
    assert not (target / "experiments").exists()

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {**os.environ, "PYTHONPATH": str(target), "COLUMNS": "100"}
    probe = ("import gradmethods, gradmethods.suites.catalog as c; print(gradmethods.__file__); "
             "print(c.resolve_suite('not_or_and'))")  # fmt: skip
    where = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=elsewhere, env=env)
    assert where.returncode == 0, where.stderr
    package, suite = where.stdout.split()
    assert Path(package).resolve().is_relative_to(target.resolve())
    assert Path(suite).resolve() == (target / SHARE_SUBDIR / "not_or_and.toml").resolve()
    listed = subprocess.run([sys.executable, "-m", "gradmethods", "list"], capture_output=True, text=True,
                            cwd=elsewhere, env=env)  # fmt: skip
    assert listed.returncode == 0, listed.stderr
    assert "(none)" not in listed.stdout
    for name in SHIPPED:
        assert f"  {name} " in listed.stdout
    shown = subprocess.run([sys.executable, "-m", "gradmethods", "show", "not_or_and"], capture_output=True,
                           text=True, cwd=elsewhere, env=env)  # fmt: skip
    planned = len(gm.load_suite(ROOT / "experiments" / "not_or_and.toml").runs)  # the checkout's copy
    assert shown.returncode == 0 and f"{planned} runs." in shown.stdout, shown.stderr
