"""`gradmethods bench`: the structure of its tables and files (no timing assertions)."""

import inspect
import json
from pathlib import Path

import numpy as np
import pandas as pd

import gradmethods as gm
from gradmethods.analysis.bench import VALUE_GRAD_COLUMNS
from gradmethods.cli import main


def test_bench_quick_writes_the_tables(tmp_path, capsys):
    code = main([
        "bench", "--quick", "--threads", "1", "--runs", "1", "3", "--engine", "numpy",
        "--case", "2-2-2", "--case", "or_and", "--no-extras", "--out", str(tmp_path),
    ])  # fmt: skip
    assert code == 0
    out = capsys.readouterr().out
    assert "threads: 1" in out and "value+grad" in out and "network-steps/s" in out

    table = pd.read_csv(tmp_path / "bench.csv")
    assert list(table.columns) == VALUE_GRAD_COLUMNS
    # Every registered provider on every requested case, in both dtypes.
    expected = {(p, c, d) for p in gm.providers() for c in ("2-2-2 N=1", "or_and N=4") for d in ("float64", "float32")}
    assert set(zip(table.provider, table.case, table.dtype)) == expected
    assert table.loc[table.case == "2-2-2 N=1", "n_params"].eq(12).all()  # 2*2+2 + 2*2+2
    assert table.loc[table.case == "or_and N=4", "n_params"].eq(6).all()
    assert np.isfinite(table.seconds_median).all() and (table.seconds_median > 0).all()
    assert (table.ratio_to_forward > 0).all()
    # Beside each measured ratio, the declared forward-pass equivalents of one call, worked out by hand.
    # 2-2-2 (P = 12): a forward pass is 12 multiply-adds per pattern; backprop's reverse sweep 16 (7/3 in all);
    # a dual pass with 12 tangents 6 (1 + 12) + 6 (1 + 24) = 228 (19); differences P + 1, 2P + 1, 4P + 1 real
    # passes; the complex step P complex passes of 4.  OR/AND (one 2-2 layer, P = 6): backprop 1 + 1, a dual pass
    # 1 + 6, the differences as before.
    declared = {
        "2-2-2 N=1": {"backprop": 7 / 3, "dual": 19, "fd_forward": 13, "fd_central": 25, "fd_richardson": 49,
                      "complex_step": 48},
        "or_and N=4": {"backprop": 2, "dual": 7, "fd_forward": 7, "fd_central": 13, "fd_richardson": 25,
                       "complex_step": 24},
    }  # fmt: skip
    builtin = table[table.provider.isin(declared["or_and N=4"])]
    expected = [declared[case][provider] for case, provider in zip(builtin.case, builtin.provider)]
    np.testing.assert_allclose(builtin.fpe_per_call, expected, rtol=1e-12)
    assert "fpe_per_call" in out and "ratio_per_fpe" in out

    throughput = pd.read_csv(tmp_path / "throughput.csv")
    assert set(throughput.runs) == {1, 3} and set(throughput.engine) == {"numpy"}
    assert set(throughput.task) == {"or_and", "example4"}
    rate = throughput.runs * throughput.iterations / throughput.seconds_median
    np.testing.assert_allclose(throughput.steps_per_second, rate, rtol=1e-12)
    np.testing.assert_allclose(throughput.ratio_to_numpy, 1.0)

    saved = json.loads((tmp_path / "bench.json").read_text())
    assert saved["machine"]["threads"] == 1
    assert len(saved["value_grad"]) == len(table)


def test_bench_rejects_bad_arguments(capsys):
    assert main(["bench", "--quick", "--threads", "0"]) == 2
    assert "--threads" in capsys.readouterr().err


def test_bench_writes_under_results_bench_by_default():
    from gradmethods.analysis.bench import DEFAULT_OUT, BenchResult
    from gradmethods.cli import build_parser

    assert Path(DEFAULT_OUT) == Path("results") / "bench"
    assert inspect.signature(BenchResult.save).parameters["directory"].default == DEFAULT_OUT
    bench = next(a for a in build_parser()._subparsers._group_actions[0].choices["bench"]._actions
                 if a.dest == "out")  # fmt: skip
    assert "results/bench" in bench.help


def test_the_cpp_reference_is_the_posts_example3(tmp_path):
    # The bench times the post's OR/AND loop (Example 3) as transcribed in POST_CPP_SOURCE; run for the post's
    # 520,000 iterations it must give the final error the post prints for that run, 0.007223 (as
    # tests/analysis/test_seed.py's 520,000-iteration reproduction does).
    import shutil
    import subprocess

    import pytest

    from gradmethods.analysis.bench import compile_post_cpp

    if shutil.which("g++") is None and shutil.which("c++") is None:
        pytest.skip("no C++ compiler")
    program = compile_post_cpp(str(tmp_path))
    printed = subprocess.run([program, "520000"], check=True, capture_output=True, text=True).stdout.split()
    assert printed[0] == "520000" and round(float(printed[1]), 6) == 0.007223
