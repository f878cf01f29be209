"""The static report: files written, every figure referenced with its caption, nothing external."""

import html
import re
import sys
import types

import numpy as np
import pandas as pd
import pytest
from synthetic_results import make_bench, make_estimator_quality, make_fd_study, make_results, strip_fpe

from gradmethods import cli
from gradmethods.report import plots
from gradmethods.report.html import summary_table, write_report


@pytest.fixture(scope="module")
def full_report(tmp_path_factory):
    """A suite with every kind of data: curves, genetic medians, layer norms, FD study and estimator quality (files),
    bench (attribute)."""
    directory = tmp_path_factory.mktemp("suite")
    results = make_results(directory)
    make_fd_study().to_csv(directory / "fd_step_study.csv", index=False)
    make_estimator_quality().to_csv(directory / "estimator_quality.csv", index=False)
    results.bench = make_bench()
    written = write_report(results, dpi=30)
    return directory, written


def test_every_figure_is_written_as_png_and_svg(full_report):
    directory, written = full_report
    stems = list(plots.FIGURES)
    expected = [directory / "plots" / f"{s}.{fmt}" for s in stems for fmt in ("png", "svg")]
    assert written == expected + [directory / "index.html", directory / "summary.md"]
    for path in written:
        assert path.is_file() and path.stat().st_size > 0
    assert (directory / "plots" / "convergence_fpe.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert b"<svg" in (directory / "plots" / "convergence_fpe.svg").read_bytes()[:2000]


def test_index_html_shows_table_and_every_figure_with_its_caption(full_report):
    directory, written = full_report
    page = (directory / "index.html").read_text(encoding="utf-8")
    for png in (p for p in written if p.suffix == ".png"):
        assert f'src="plots/{png.name}"' in page
        assert f'href="plots/{png.stem}.svg"' in page
    for spec in plots.FIGURES.values():
        assert html.escape(spec.caption) in page
    # summary table: xor / fd_central converged 2 of 3; Wilson 95 % interval [20.8 %, 93.9 %]
    assert "<td>67 % [21 %, 94 %]</td>" in page
    assert "<th>DIVERGED</th>" in page  # the outcome counts table
    assert "Not drawn" not in page


def test_index_html_is_static_and_self_contained(full_report):
    directory, _ = full_report
    page = (directory / "index.html").read_text(encoding="utf-8")
    assert "<script" not in page and "<link" not in page
    assert not re.search(r"""(src|href)=["']?(https?:|//)""", page)
    assert page.count("<figure") == len(plots.FIGURES)


def test_summary_md_links_every_png(full_report):
    directory, written = full_report
    text = (directory / "summary.md").read_text(encoding="utf-8")
    for png in (p for p in written if p.suffix == ".png"):
        assert f"](plots/{png.name})" in text
    assert "| xor | fd_central | 3 | 2 | 67 % [21 %, 94 %] |" in text
    assert plots.caption("target_ecdf") in text


def test_only_figures_with_data_are_drawn(tmp_path):
    results = make_results(tmp_path, methods=("backprop", "fd_central"), layer_norms=False)
    written = write_report(results, tmp_path / "out", formats=["png"], dpi=30)
    names = sorted(p.name for p in written if p.parent.name == "plots")
    assert names == sorted(
        f"{s}.png" for s in ("convergence_iteration", "convergence_fpe", "convergence_seconds", "target_ecdf",
                             "success_rate")
    )
    assert sorted(p.name for p in (tmp_path / "out" / "plots").iterdir()) == names
    page = (tmp_path / "out" / "index.html").read_text(encoding="utf-8")
    assert "Not drawn" in page and "Genetic trainer" in page and "Per-layer gradient magnitude" in page
    assert "genetic_costs.png" not in page


def test_bad_input_is_a_clear_error(tmp_path):
    results = make_results(tmp_path)
    with pytest.raises(ValueError, match="'formats' parameter"):
        write_report(results, formats=["pdf"])
    with pytest.raises(ValueError, match="no 'curves' attribute"):
        write_report(types.SimpleNamespace(runs=results.runs, summary=results.summary, path=tmp_path))
    with pytest.raises(ValueError, match="bench: no such file"):
        write_report(results, bench=tmp_path / "missing.csv")


def test_summary_table_formats_medians_with_quartiles():
    summary = pd.DataFrame(
        {"task": ["not"], "method": ["dual"], "runs": [5], "iterations_median": [120.0], "iterations_q25": [100.0],
         "iterations_q75": [150.5], "final_error_median": [0.012345], "final_error_q10": [0.01],
         "final_error_q90": [0.02]}
    )
    row = summary_table(summary).iloc[0]
    assert row["iterations median [q25, q75]"] == "120 [100, 150.5]"
    assert row["final error median [q10, q90]"] == "0.0123 [0.0100, 0.0200]"  # 3 digits in every cell


def test_summary_table_gives_work_in_both_units_each_named():
    summary = pd.DataFrame(
        {"task": ["xor"], "method": ["dual"], "runs": [3], "nfev_median": [1926.0], "nfev_q25": [1878.0],
         "nfev_q75": [2130.4], "fpe_median": [25038.0], "fpe_q25": [24414.0], "fpe_q75": [27696.4],
         "ert_nfev": [4877.25], "ert_fpe": [63401.0]}
    )
    table = summary_table(summary)
    row = table.iloc[0]
    # whole numbers from 100 on, with thousands separators
    assert row["forward-pass equivalents median [q25, q75]"] == "25,038 [24,414, 27,696]"
    assert row["function evaluations (calls) median [q25, q75]"] == "1,926 [1,878, 2,130]"
    assert (row["ERT in forward-pass equivalents"], row["ERT in function evaluations (calls)"]) == ("63,401", "4,877")
    # results written before fpe was recorded: calls only, still named as calls
    old = summary_table(summary.assign(fpe_median=np.nan, fpe_q25=np.nan, fpe_q75=np.nan, ert_fpe=np.nan))
    assert not [c for c in old.columns if "forward-pass" in c]
    assert old.iloc[0]["ERT in function evaluations (calls)"] == "4,877"


def test_plot_command_writes_the_report(tmp_path, monkeypatch, capsys):
    results = make_results(tmp_path, methods=("backprop",), layer_norms=False)
    loaded = []

    def load_results(directory):
        loaded.append(directory)
        return results

    monkeypatch.setitem(sys.modules, "gradmethods.suites.tables", types.SimpleNamespace(load_results=load_results))
    assert cli.main(["plot", str(tmp_path), "--format", "png", "--dpi", "30"]) == 0
    assert loaded == [str(tmp_path)]
    assert (tmp_path / "index.html").is_file() and (tmp_path / "plots" / "success_rate.png").is_file()
    assert str(tmp_path / "index.html") in capsys.readouterr().out


def _scored_grid_summary():
    """Two learning rates of one method on a task with a test set, summarized by the runner's code.

    Test accuracies 0.90, 0.95, 1.00 (lr 0.5) give median 95.0 %, quartiles 92.5 % and 97.5 %;
    training accuracies 0.96, 0.98, 0.99 give median 98.0 %.
    """
    from gradmethods.suites.tables import summarize

    runs = pd.DataFrame(
        {"run_id": [f"r{i}" for i in range(4)], "task": "digits", "method": "backprop", "lr": [0.5, 0.5, 0.5, 2.0],
         "outcome": ["CONVERGED", "CONVERGED", "BUDGET_EXHAUSTED", "DIVERGED"], "iterations": [10, 20, 30, 5],
         "nfev": [10, 20, 30, 5], "seconds": [0.1, 0.2, 0.3, 0.05], "final_error": [0.1, 0.1, 0.3, float("nan")],
         "test_accuracy": [1.0, 0.9, 0.95, float("nan")], "train_accuracy": [0.99, 0.96, 0.98, float("nan")]}
    )
    return summarize(runs, by=("task", "method", "lr"))


def test_summary_table_shows_grid_columns_and_accuracies():
    table = summary_table(_scored_grid_summary())
    columns = list(table.columns)
    assert columns[:5] == ["task", "method", "lr", "runs", "successes"]
    assert columns[-2:] == ["test accuracy median [q25, q75]", "train accuracy median"]
    first, second = table.iloc[0], table.iloc[1]
    assert (first["lr"], second["lr"]) == ("0.5", "2")
    assert first["test accuracy median [q25, q75]"] == "95.0 % [92.5 %, 97.5 %]"
    assert first["train accuracy median"] == "98.0 %"
    assert second["test accuracy median [q25, q75]"] == "" and second["train accuracy median"] == ""


def test_index_html_shows_the_optional_summary_columns(tmp_path):
    results = make_results(tmp_path, methods=("backprop",), layer_norms=False)
    results.summary = _scored_grid_summary()
    write_report(results, formats=["png"], dpi=30)
    page = (tmp_path / "index.html").read_text(encoding="utf-8")
    header = page.split("<thead>", 1)[1].split("</thead>", 1)[0]
    assert re.findall(r"<th>([^<]*)</th>", header)[:3] == ["task", "method", "lr"]
    assert "<th>test accuracy median [q25, q75]</th>" in header and "<th>train accuracy median</th>" in header
    assert "<td>95.0 % [92.5 %, 97.5 %]</td>" in page and "<td>98.0 %</td>" in page


def test_a_report_of_results_written_before_fpe_shows_calls_and_says_so(tmp_path):
    results = make_results(tmp_path, fpe=False)
    write_report(results, formats=["png"], dpi=30)
    page = html.unescape((tmp_path / "index.html").read_text(encoding="utf-8"))
    assert "<h3>Convergence against function evaluations (calls; no forward-pass equivalents recorded)</h3>" in page
    assert "<h3>Function evaluations (calls) to reach the target (ECDF)</h3>" in page
    assert page.count("These results record no forward-pass equivalents") == 3  # two captions and the summary note
    assert "Convergence against forward-pass equivalents" not in page
    assert (tmp_path / "plots" / "convergence_fpe.png").is_file()


TINY_SUITE = """
name = "tiny"
entropy = 11
seeds = 2
tasks = ["not"]
methods = ["backprop", "genetic"]

[defaults]
init = "random"
lr = 2.0
iterations = 40
target = 0.05
"""


@pytest.mark.slow  # runs a suite, then both commands on its folder: CI's separate long step
def test_plot_and_report_commands_on_an_old_results_folder(tmp_path, capsys):
    (tmp_path / "suite.toml").write_text(TINY_SUITE)
    out = tmp_path / "out"
    assert cli.main(["run", str(tmp_path / "suite.toml"), "--out", str(out), "--no-plots"]) == 0
    strip_fpe(out)  # as written before fpe was recorded
    assert cli.main(["report", str(out), "--format", "none"]) == 0
    assert cli.main(["plot", str(out), "--format", "png", "--dpi", "30"]) == 0
    page = html.unescape((out / "index.html").read_text(encoding="utf-8"))
    assert "Convergence against function evaluations (calls; no forward-pass equivalents recorded)" in page
    assert "<th>ERT in function evaluations (calls)</th>" in page and "ERT in forward-pass" not in page
    text = (out / "summary.md").read_text(encoding="utf-8")
    assert "These results record no forward-pass equivalents" in text
    assert (out / "plots" / "target_ecdf.png").is_file()
