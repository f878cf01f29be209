"""The estimator-quality figure: cosine similarity against P, from estimator_quality.csv in a results folder."""

import math
import sys
import types

import numpy as np
import pandas as pd
import pytest
from synthetic_results import make_estimator_quality, make_results

from gradmethods import cli
from gradmethods.analysis.estimator_quality import ESTIMATOR_QUALITY_FILE, save_estimator_quality
from gradmethods.report import plots

REFERENCE = "one random direction (theory)"


def _estimator_lines(ax):
    return [line for line in ax.get_lines() if not line.get_label().startswith("_") and line.get_label() != REFERENCE]


def _ylabel(ax):
    return ax.get_ylabel() or ax.figure.get_supylabel()


def test_one_line_per_estimator_on_a_log_axis_with_labelled_units():
    frame = pd.DataFrame({
        "task": "xor", "P": [9, 90, 900] * 3,
        "estimator": ["backprop"] * 3 + ["spsa"] * 3 + ["forward_gradient k=4"] * 3,
        "method": ["backprop"] * 3 + ["spsa"] * 3 + ["forward_gradient"] * 3,
        "cos_mean": [1.0, 1.0, 1.0, 0.3, 0.1, 0.03, 0.6, 0.2, 0.06],
        "cos_std": [0.0, 0.0, 0.0, 0.2, 0.05, 0.02, 0.1, 0.1, 0.03],
    })  # fmt: skip
    fig = plots.estimator_cosine(frame)
    (ax,) = fig.axes
    lines = _estimator_lines(ax)
    assert [line.get_label() for line in lines] == ["backprop", "spsa", "forward_gradient k=4"]
    spsa = lines[1]
    np.testing.assert_array_equal(spsa.get_xdata(), [9, 90, 900])
    np.testing.assert_array_equal(spsa.get_ydata(), [0.3, 0.1, 0.03])
    assert ax.get_xscale() == "log"
    assert "number of parameters" in ax.get_xlabel()
    assert "cosine similarity" in _ylabel(ax)
    assert len(ax.collections) == 3  # one ± std band per estimator
    band = ax.collections[1].get_paths()[0].vertices
    # from 0.03 - 0.02 at P=900 to 0.3 + 0.2 at P=9
    assert band[:, 1].min() == pytest.approx(0.01) and band[:, 1].max() == pytest.approx(0.5)
    legend = [text.get_text() for text in fig.legends[0].get_texts()]
    assert legend == ["backprop", "spsa", "forward_gradient k=4", REFERENCE]


def test_one_panel_per_task_and_estimators_of_one_method_share_its_colour():
    quality = make_estimator_quality()
    fig = plots.estimator_cosine(quality)
    assert [ax.get_title() for ax in fig.axes] == ["digits", "or_and"]  # tasks sorted by name
    for ax in fig.axes:
        lines = {line.get_label(): line for line in _estimator_lines(ax)}
        assert list(lines) == ["backprop", "forward_gradient k=1", "forward_gradient k=8"]
        one, eight = lines["forward_gradient k=1"], lines["forward_gradient k=8"]
        assert one.get_color() == eight.get_color() == plots.method_style("forward_gradient").color
        assert one.get_linestyle() != eight.get_linestyle()
    only = plots.estimator_cosine(quality, estimators=["forward_gradient k=8"], tasks=["digits"], reference=False)
    assert [line.get_label() for line in only.axes[0].get_lines()] == ["forward_gradient k=8"]
    with pytest.raises(ValueError, match="cos_std"):
        plots.estimator_cosine(quality.drop(columns="cos_std"))


def test_reference_is_the_mean_cosine_of_a_random_direction():
    # P = 2: |cos| of a uniform angle, mean 2/π; P = 3: |cos| is uniform on [0, 1] (Archimedes), mean 1/2;
    # large P: Γ(x)/Γ(x + 1/2) = x^(-1/2) (1 + 1/(8x) + ...) with x = P/2 gives sqrt(2 / (π P)) (1 + 1/(4P) + ...)
    assert plots.random_direction_cosine([1, 2, 3]) == pytest.approx([1.0, 2 / math.pi, 0.5])
    P = 10_000
    assert plots.random_direction_cosine(P) == pytest.approx(math.sqrt(2 / (math.pi * P)) * (1 + 1 / (4 * P)), rel=1e-7)
    directions = np.random.default_rng(0).standard_normal((20_000, 5))
    sample = np.abs(directions[:, 0]) / np.linalg.norm(directions, axis=1)
    assert abs(sample.mean() - plots.random_direction_cosine(5)) < 5 * sample.std() / math.sqrt(sample.size)


def test_drawn_only_when_the_table_is_there():
    spec = plots.FIGURES["estimator_cosine"]
    assert not spec.available(types.SimpleNamespace(runs=None, curves=None))  # report data without the attribute
    assert not spec.available(types.SimpleNamespace(estimator_quality=None))
    assert spec.available(types.SimpleNamespace(estimator_quality=make_estimator_quality()))
    assert "sqrt(2/(πP))" in spec.caption and "estimator_quality.csv" in spec.caption


def test_save_keeps_the_rows_of_other_tasks(tmp_path):
    quality = make_estimator_quality()
    save_estimator_quality(quality, tmp_path)
    changed = quality[quality["task"] == "digits"].assign(cos_mean=0.5)
    path = save_estimator_quality(changed, tmp_path)
    saved = pd.read_csv(path)
    assert len(saved) == len(quality)
    assert (saved.loc[saved["task"] == "digits", "cos_mean"] == 0.5).all()
    pd.testing.assert_frame_equal(saved[saved["task"] == "or_and"].reset_index(drop=True),
                                  quality[quality["task"] == "or_and"].reset_index(drop=True))
    assert [p.name for p in tmp_path.iterdir()] == [ESTIMATOR_QUALITY_FILE]  # no temporary file left
    with pytest.raises(ValueError, match="'task' column"):
        save_estimator_quality(pd.DataFrame({"P": [1]}), tmp_path)


def test_check_estimators_out_writes_the_table(tmp_path, capsys):
    argv = ["check", "--estimators", "--task", "or_and", "--samples", "4", "--n-params", "10", "--out", str(tmp_path)]
    assert cli.main(argv) == 0
    assert f"wrote {tmp_path / ESTIMATOR_QUALITY_FILE}" in capsys.readouterr().out
    saved = pd.read_csv(tmp_path / ESTIMATOR_QUALITY_FILE)
    assert set(saved["task"]) == {"or_and"} and set(saved["P"]) == {12} and len(saved) == 6  # the default estimators
    with pytest.raises(SystemExit, match="give --estimators too"):
        cli.main(["check", "--task", "or_and", "--out", str(tmp_path)])
    with pytest.raises(SystemExit, match="is a file"):
        cli.main([*argv[:-1], str(tmp_path / ESTIMATOR_QUALITY_FILE)])


@pytest.mark.slow
def test_check_estimators_out_then_plot_draws_the_figure(tmp_path, monkeypatch):
    import gradmethods.report.html  # noqa: F401  (imported before load_results is replaced below)

    results = make_results(tmp_path, methods=("backprop",), layer_norms=False)
    argv = ["check", "--estimators", "--task", "or_and", "--samples", "4", "--n-params", "10,100", "--out"]
    assert cli.main([*argv, str(tmp_path)]) == 0
    monkeypatch.setitem(sys.modules, "gradmethods.suites.tables", types.SimpleNamespace(load_results=lambda _: results))
    assert cli.main(["plot", str(tmp_path), "--format", "png", "--dpi", "30"]) == 0
    assert (tmp_path / "plots" / "estimator_cosine.png").is_file()
    assert 'src="plots/estimator_cosine.png"' in (tmp_path / "index.html").read_text(encoding="utf-8")


def test_each_grid_point_of_a_method_is_its_own_series_in_the_figures_of_runs():
    # forward gradient at k = 1 (two runs, both converge) and k = 8 (two runs, one converges), backprop once
    runs = pd.DataFrame({
        "run_id": list("abcde"), "task": "or_and",
        "method": ["backprop", "forward_gradient", "forward_gradient", "forward_gradient", "forward_gradient"],
        "k": [np.nan, 1.0, 1.0, 8.0, 8.0],
        "outcome": ["CONVERGED", "CONVERGED", "CONVERGED", "CONVERGED", "BUDGET_EXHAUSTED"],
        "nfev": [10, 10, 20, 5, 50], "fpe": [20.0, 20.0, 40.0, 50.0, 500.0],
    })  # fmt: skip
    summary = pd.DataFrame({"task": "or_and", "method": ["backprop", "forward_gradient", "forward_gradient"],
                            "k": [np.nan, 1.0, 8.0], "runs": [1, 2, 2]})
    labelled = plots.label_grid_points(runs, summary)
    assert labelled["method"].tolist() == ["backprop"] + ["forward_gradient (k=1)"] * 2 + ["forward_gradient (k=8)"] * 2
    fig = plots.target_ecdf(labelled, x="fpe")
    lines = {line.get_label(): line for line in fig.axes[0].get_lines() if not line.get_label().startswith("_")}
    assert list(lines) == ["backprop", "forward_gradient (k=1)", "forward_gradient (k=8)"]
    one, eight = lines["forward_gradient (k=1)"], lines["forward_gradient (k=8)"]
    assert one.get_ydata()[-1] == 1.0 and eight.get_ydata()[-1] == 0.5  # pooled, both would read 0.75
    assert one.get_color() == eight.get_color() == plots.method_style("forward_gradient").color
    assert one.get_linestyle() != eight.get_linestyle()
    assert plots.label_grid_points(runs, None) is runs
    assert plots.label_grid_points(runs, summary.drop(columns="k"))["method"].tolist() == runs["method"].tolist()
