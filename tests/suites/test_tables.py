"""Report statistics against hand-computed values: Wilson interval, ERT, the summary table."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from gradmethods.suites.tables import SUMMARY_COLUMNS, expected_running_time, fpe_recorded, summarize, wilson_interval

Z95 = 1.959963984540054  # standard normal 0.975 quantile


@pytest.mark.parametrize(
    ("successes", "trials", "low", "high"),
    [(81, 263, 0.2553, 0.3662), (15, 148, 0.0624, 0.1605), (0, 20, 0.0, 0.1611), (1, 29, 0.0061, 0.1718)],
)
def test_wilson_interval_matches_newcombe_1998(successes, trials, low, high):
    # Newcombe, Statistics in Medicine 17 (1998) 857-872, Table II, method 3 (score interval)
    assert wilson_interval(successes, trials) == pytest.approx((low, high), abs=5e-5)


def test_wilson_interval_by_hand():
    # 3 successes of 20, written out: centre and half width of the score interval
    p, z2 = 3 / 20, Z95**2
    centre = (p + z2 / 40) / (1 + z2 / 20)
    half = Z95 / (1 + z2 / 20) * math.sqrt(p * 0.85 / 20 + z2 / 1600)
    assert wilson_interval(3, 20) == pytest.approx((centre - half, centre + half), rel=1e-12)


@pytest.mark.parametrize("n", [1, 5, 20, 100])
def test_wilson_interval_at_the_edges_has_closed_forms(n):
    # 0 successes: [0, z²/(n+z²)];  n successes: [n/(n+z²), 1]
    z2 = Z95**2
    assert wilson_interval(0, n) == pytest.approx((0.0, z2 / (n + z2)), abs=1e-12)
    assert wilson_interval(n, n) == pytest.approx((n / (n + z2), 1.0), abs=1e-12)


def test_wilson_interval_of_no_trials_is_nan():
    assert all(math.isnan(v) for v in wilson_interval(0, 0))


def test_ert_is_all_evaluations_over_successes():
    assert expected_running_time(np.array([100, 200, 300, 400]), 2) == 500.0
    assert expected_running_time(np.array([100, 300]), 0) == math.inf
    assert math.isnan(expected_running_time(np.array([]), 0))


def _runs() -> pd.DataFrame:
    rows = [
        # task, method, outcome, iterations, nfev, seconds, final_error
        ("not", "a", "CONVERGED", 10, 11, 0.1, 0.01),
        ("not", "a", "CONVERGED", 30, 31, 0.3, 0.02),
        ("not", "a", "CONVERGED", 20, 21, 0.2, 0.03),
        ("not", "a", "BUDGET_EXHAUSTED", 100, 101, 1.0, 0.5),
        ("not", "a", "DIVERGED", 5, 6, 0.05, math.inf),
        ("not", "b", "FAILED", 0, 0, 0.0, math.nan),
        ("not", "b", "BUDGET_EXHAUSTED", 50, 500, 2.0, 0.4),
    ]
    return pd.DataFrame(rows, columns=["task", "method", "outcome", "iterations", "nfev", "seconds", "final_error"])


def test_summary_by_hand():
    summary = summarize(_runs())
    assert list(summary.columns) == list(SUMMARY_COLUMNS)
    a, b = summary.iloc[0], summary.iloc[1]
    assert (a["task"], a["method"], a["runs"], a["successes"]) == ("not", "a", 5, 3)
    assert a["success_rate"] == 0.6
    assert (a["success_low"], a["success_high"]) == pytest.approx(wilson_interval(3, 5))
    # medians and quartiles over the 3 successful runs only: iterations 10, 20, 30
    assert (a["iterations_q25"], a["iterations_median"], a["iterations_q75"]) == (15.0, 20.0, 25.0)
    assert (a["nfev_q25"], a["nfev_median"], a["nfev_q75"]) == (16.0, 21.0, 26.0)
    assert a["seconds_median"] == pytest.approx(0.2)
    # ERT: (11 + 31 + 21 + 101 + 6) / 3
    assert a["ert_nfev"] == pytest.approx(170 / 3)
    # final error quantiles over finite errors 0.01, 0.02, 0.03, 0.5 (linear interpolation)
    assert a["final_error_median"] == pytest.approx(0.025)
    assert a["final_error_q10"] == pytest.approx(0.01 + 0.3 * 0.01)
    assert a["final_error_q90"] == pytest.approx(0.03 + 0.7 * 0.47)
    # method b: nothing succeeded
    assert (b["runs"], b["successes"], b["success_rate"]) == (2, 0, 0.0)
    assert b["ert_nfev"] == math.inf and math.isnan(b["nfev_median"])
    assert b["final_error_median"] == 0.4


def test_summary_groups_by_grid_columns():
    runs = pd.concat([_runs().assign(lr=0.5), _runs().assign(lr=2.0)], ignore_index=True)
    summary = summarize(runs, by=("task", "method", "lr"))
    assert list(summary.columns[:3]) == ["task", "method", "lr"]
    assert len(summary) == 4 and list(summary["runs"]) == [5, 2, 5, 2]


def test_summary_of_forward_pass_equivalents_by_hand():
    # The runs above with fpe: backprop on 2-2-1 spends 20/9 per call, so fpe = nfev * 20/9.
    runs = _runs().assign(fpe=lambda frame: frame["nfev"] * 20 / 9)
    a, b = summarize(runs).iloc[0], summarize(runs).iloc[1]
    # successful runs of a: nfev 11, 31, 21 -> quartiles of 11, 21, 31 times 20/9
    assert (a["fpe_q25"], a["fpe_median"], a["fpe_q75"]) == pytest.approx((16 * 20 / 9, 21 * 20 / 9, 26 * 20 / 9))
    assert a["ert_fpe"] == pytest.approx(170 / 3 * 20 / 9)
    assert a["ert_nfev"] == pytest.approx(170 / 3)  # the calls are still there
    assert b["ert_fpe"] == math.inf and math.isnan(b["fpe_median"])


def test_summary_without_fpe_has_nan_fpe_figures_not_estimates():
    old = summarize(_runs())  # results written before fpe was recorded: no column
    assert old[["fpe_median", "fpe_q25", "fpe_q75", "ert_fpe"]].isna().all().all()
    assert old.loc[0, "ert_nfev"] == pytest.approx(170 / 3)
    # one run of a group lacking fpe: the group's fpe figures are unknown, not taken from the others
    partial = _runs().assign(fpe=[24.0, 68.0, 46.0, np.nan, 13.0, 0.0, 1000.0])
    summary = summarize(partial)
    assert math.isnan(summary.loc[0, "ert_fpe"])
    assert summary.loc[0, "fpe_median"] == 46.0  # its successful runs all have fpe
    assert summary.loc[1, "ert_fpe"] == math.inf  # nothing succeeded: infinite in any unit


def test_fpe_recorded_only_when_every_row_has_it():
    assert fpe_recorded(pd.DataFrame({"fpe": [1.0, 2.5]}))
    assert not fpe_recorded(pd.DataFrame({"nfev": [1, 2]}))
    assert not fpe_recorded(pd.DataFrame({"fpe": [1.0, np.nan]}))
    assert not fpe_recorded(pd.DataFrame({"fpe": pd.Series([], dtype=float)}))


def test_two_tables_of_one_method_are_two_rows_of_the_summary(tmp_path):
    """Two [[methods]] tables of backprop that differ in their update rule (no grid) are not pooled."""
    import tomllib

    import gradmethods as gm
    from gradmethods.suites.runner import run_suite
    from gradmethods.suites.suite import parse_suite

    suite = parse_suite(tomllib.loads("""
tasks = ["not"]
seeds = 2
[defaults]
iterations = 20
init = "random"
[[methods]]
name = "backprop"
[[methods]]
name = "backprop"
optimizer = { name = "momentum", lr = 0.5, beta = 0.9 }
"""))
    assert "optimizer" in suite.grid_keys
    run_suite(suite, tmp_path / "out")
    summary = gm.load_results(tmp_path / "out").summary
    assert len(summary) == 2 and summary["runs"].tolist() == [2, 2]
    assert summary["optimizer"].isna().sum() == 1  # the plain rule's row has no optimizer table
