"""`gradmethods bench`: the structure of its tables and files (no timing assertions)."""

import json

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
