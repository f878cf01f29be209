"""Malformed or oversized suites: each gives a short, clear message, no traceback, exit status 2, nothing run."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from gradmethods.cli import main

ROOT = Path(__file__).resolve().parents[2]

GOOD = """name = "good"
entropy = 3
seeds = 2
tasks = ["xor"]
methods = ["backprop"]

[defaults]
init = "random"
lr = 1.0
iterations = 100
"""


def replaced(old: str, new: str) -> str:
    assert old in GOOD
    return GOOD.replace(old, new)


def added(text: str) -> str:
    return GOOD + text


LONG_GRID = "[grid]\nlr = [" + ", ".join(str(0.001 * (i + 1)) for i in range(100_001)) + "]\n"

# (id, suite text or bytes, extra CLI arguments, words the message must contain)
CASES = [
    ("empty file", "", [], ["'tasks'"]),
    ("not toml", "name = \n", [], ["not valid TOML"]),
    ("not utf-8", b"name = \"\xff\xfe\"\n", [], ["not UTF-8"]),
    ("no tasks", replaced('tasks = ["xor"]\n', ""), [], ["tasks", "missing"]),
    ("no methods", replaced('methods = ["backprop"]\n', ""), [], ["methods", "missing"]),
    ("tasks empty", replaced('tasks = ["xor"]', "tasks = []"), [], ["tasks", "non-empty"]),
    ("tasks a string", replaced('tasks = ["xor"]', 'tasks = "xor"'), [], ["tasks"]),
    ("unknown task", replaced('tasks = ["xor"]', 'tasks = ["xnor"]'), [], ["unknown task", "xnor"]),
    ("task a number", replaced('tasks = ["xor"]', "tasks = [42]"), [], ["tasks[0]"]),
    ("network does not fit", replaced('tasks = ["xor"]', 'tasks = [{ name = "xor", layer_sizes = [3, 4, 1] }]'),
     [], ["does not fit"]),
    ("unknown task key", replaced('tasks = ["xor"]', 'tasks = [{ name = "xor", colour = "red" }]'), [],
     ["unknown key", "colour"]),
    ("task listed twice", replaced('tasks = ["xor"]', 'tasks = ["xor", "xor"]'), [], ["listed twice"]),
    ("methods empty", replaced('methods = ["backprop"]', "methods = []"), [], ["methods"]),
    ("methods a word", replaced('methods = ["backprop"]', 'methods = "some"'), [], ["methods", "all"]),
    ("unknown method", replaced('methods = ["backprop"]', 'methods = ["backprops"]'), [], ["unknown method"]),
    ("unknown method option", replaced('methods = ["backprop"]', 'methods = [{ name = "backprop", bogus = 1 }]'),
     [], ["bogus"]),
    ("complex step on relu", replaced('tasks = ["xor"]\nmethods = ["backprop"]',
                                      'tasks = [{ name = "xor", activation = "relu" }]\nmethods = ["complex_step"]'),
     [], ["complex_step", "cannot train"]),
    ("lr for genetic", replaced('methods = ["backprop"]', 'methods = [{ name = "genetic", lr = 0.1 }]'), [],
     ["no learning rate"]),
    ("seeds zero", replaced("seeds = 2", "seeds = 0"), [], ["seeds"]),
    ("seeds negative", replaced("seeds = 2", "seeds = -3"), [], ["seeds"]),
    ("seeds a word", replaced("seeds = 2", 'seeds = "many"'), [], ["seeds"]),
    ("seeds a float", replaced("seeds = 2", "seeds = 1.5"), [], ["seeds"]),
    ("a billion seeds", replaced("seeds = 2", "seeds = 1_000_000_000"), [], ["1,000,000,000 runs", "--max-runs"]),
    ("entropy negative", replaced("entropy = 3", "entropy = -1"), [], ["entropy"]),
    ("entropy a word", replaced("entropy = 3", 'entropy = "x"'), [], ["entropy"]),
    ("empty name", replaced('name = "good"', 'name = ""'), [], ["name"]),
    ("unknown top-level key", 'colour = "red"\n' + GOOD, [], ["unknown key", "colour"]),
    ("lr a word", replaced("lr = 1.0", 'lr = "fast"'), [], ["defaults.lr"]),
    ("lr negative", replaced("lr = 1.0", "lr = -1.0"), [], ["defaults.lr"]),
    ("iterations zero", replaced("iterations = 100", "iterations = 0"), [], ["defaults.iterations"]),
    ("iterations 1e12 float", replaced("iterations = 100", "iterations = 1e12"), [], ["defaults.iterations"]),
    ("iterations a trillion", replaced("iterations = 100", "iterations = 1_000_000_000_000"), [],
     ["on disk", "--max-disk", "--max-memory"]),
    ("target a word", added('target = "soon"\n'), [], ["defaults.target"]),
    ("unknown dtype", added('dtype = "float7"\n'), [], ["defaults.dtype"]),
    ("unknown init", replaced('init = "random"', 'init = "zeros?"'), [], ["defaults.init"]),
    ("unknown setting", added("speed = 3\n"), [], ["unknown setting", "speed"]),
    ("defaults not a table", replaced('[defaults]\ninit = "random"\nlr = 1.0\niterations = 100\n', "defaults = 3\n"),
     [], ["defaults", "table"]),
    ("grid entry empty", added("[grid]\nlr = []\n"), [], ["grid.lr", "non-empty"]),
    ("grid entry not a list", added("[grid]\nlr = 0.5\n"), [], ["grid.lr"]),
    ("grid value twice", added("[grid]\nlr = [0.5, 0.5]\n"), [], ["twice"]),
    ("grid over an unknown setting", added("[grid]\nspeed = [1, 2]\n"), [], ["unknown setting"]),
    ("grid with a bad value", added("[grid]\nlr = [0.5, -1.0, \"x\"]\n"), [], ["grid.lr[1]", "grid.lr[2]"]),
    ("grid of 100,001 values", added(LONG_GRID), [], ["100,001 values"]),
    ("grid too many runs", added("[grid]\nlr = [" + ", ".join(f"{0.01 * (i + 1):.2f}" for i in range(2000)) + "]\n"),
     ["--max-runs", "1000"], ["4,000 runs", "limit of 1,000"]),
    ("file over 1 MB", GOOD + "# " + "x" * 1_100_000 + "\n", [], ["more than the 1,000,000"]),
    ("batch size zero", replaced('methods = ["backprop"]', 'methods = [{ name = "backprop", batch_size = 0 }]'), [],
     ["batch_size"]),
    ("memory limit", GOOD, ["--max-memory", "1kB"], ["of memory", "--max-memory"]),
    ("disk limit", GOOD, ["--max-disk", "1kB"], ["on disk", "--max-disk"]),
    ("bad size flag", GOOD, ["--max-disk", "lots"], ["not a size"]),
    ("seed_group of different sizes", replaced('tasks = ["xor"]', 'tasks = [{ name = "xor", seed_group = "g" }, '
                                               '{ name = "xor", layer_sizes = [2, 3, 1], seed_group = "g" }]'),
     [], ["seed group"]),
    ("numba for another provider", replaced('methods = ["backprop"]',
                                            'methods = [{ name = "spsa", engine = "numba" }]'),
     [], ["methods[0].engine", "engine = 'numba' cannot train method 'spsa'", "backprop's gradient", "'auto'"]),
    ("numba with minibatches", replaced('methods = ["backprop"]',
                                        'methods = [{ name = "backprop", engine = "numba", batch_size = 2 }]'),
     [], ["methods[0].engine", "full-batch only", "batch_size=2"]),
    ("numba with adam", replaced('methods = ["backprop"]', 'methods = [{ name = "backprop", engine = "numba", '
                                 'optimizer = { name = "adam", lr = 0.01 } }]'),
     [], ["methods[0].engine", "got optimizer 'adam'"]),
    ("numba in the grid", added('[grid]\nengine = ["numpy", "numba"]\n').replace('["backprop"]', '["fd_central"]'),
     [], ["grid.engine", "'fd_central'", "backprop's gradient"]),
    ("numba in the defaults", added('engine = "numba"\nrecord_grad_norms = true\n'),
     [], ["defaults.engine", "gradient norms"]),
    ("spsa decay negative", replaced('methods = ["backprop"]',
                                     'methods = [{ name = "spsa", perturbation_decay = -1 }]'),
     [], ["perturbation_decay"]),
]


@pytest.mark.parametrize(("text", "extra", "words"), [case[1:] for case in CASES], ids=[case[0] for case in CASES])
def test_a_malformed_or_oversized_suite_is_one_clear_message(tmp_path, capsys, text, extra, words):
    suite = tmp_path / "suite.toml"
    suite.write_bytes(text if isinstance(text, bytes) else text.encode())
    out = tmp_path / "out"
    start = time.monotonic()
    try:
        status = main(["run", str(suite), "--out", str(out), "--no-plots", *extra])
    except SystemExit as exc:  # argparse refuses a bad flag value
        status = exc.code
    elapsed = time.monotonic() - start
    err = capsys.readouterr().err
    assert status == 2
    assert "Traceback" not in err and "error:" in err
    for word in words:
        assert word in err, (word, err[:2000])
    assert len(err) < 6000 and max(len(line) for line in err.splitlines()) < 600  # short, whatever the input
    assert not out.exists()  # refused before anything was written
    assert elapsed < 30


def test_there_are_at_least_forty_cases():
    assert len(CASES) >= 40 and len({case[0] for case in CASES}) == len(CASES)


@pytest.mark.parametrize("case", ["a billion seeds", "iterations a trillion"])
def test_an_oversized_suite_is_refused_quickly_by_the_real_command(tmp_path, case):
    text = dict((c[0], c[1]) for c in CASES)[case]
    suite = tmp_path / "suite.toml"
    suite.write_text(text)
    environment = {**os.environ, "PYTHONPATH": str(ROOT), "OPENBLAS_NUM_THREADS": "1"}
    done = subprocess.run([sys.executable, "-m", "gradmethods", "run", str(suite), "--out", str(tmp_path / "out")],
                          cwd=ROOT, env=environment, capture_output=True, text=True, timeout=60)  # fmt: skip
    assert done.returncode == 2 and "Traceback" not in done.stderr and "limit" in done.stderr
    assert done.stderr.count("\n") < 10 and not (tmp_path / "out").exists()


def test_numba_absent_is_refused_before_any_run(tmp_path, capsys, monkeypatch):
    from gradmethods.training import compiled

    monkeypatch.setattr(compiled, "available", lambda: False)
    suite = tmp_path / "suite.toml"
    suite.write_text(replaced('methods = ["backprop"]', 'methods = [{ name = "backprop", engine = "numba" }]'))
    out = tmp_path / "out"
    assert main(["run", str(suite), "--out", str(out), "--no-plots"]) == 2
    err = capsys.readouterr().err
    assert "methods[0].engine" in err and "needs numba" in err and "pip install 'gradmethods[fast]'" in err
    assert not out.exists()
