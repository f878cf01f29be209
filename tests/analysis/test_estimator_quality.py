"""gm.estimator_quality: the estimators against backprop as P grows, and `gradmethods check --estimators`."""

import numpy as np
import pandas as pd
import pytest

import gradmethods as gm
from gradmethods.analysis.estimator_quality import COLUMNS, hidden_width
from gradmethods.cli import main


@pytest.fixture(scope="module")
def table():
    return gm.estimator_quality("or_and", n_params=(10, 100, 3_000), samples=64, seed=3)


def test_columns_and_rows(table):
    assert list(table.columns) == COLUMNS
    assert len(table) == 3 * 6
    assert list(table["P"].unique()) == [12, 102, 3002]
    assert set(table["estimator"]) == {"backprop", "forward_gradient k=1", "forward_gradient k=8",
                                       "forward_gradient k=64", "spsa", "es_gradient"}  # fmt: skip
    assert (table["samples"] == 64).all()
    assert (table["seconds_per_estimate"] > 0).all()


def test_backprop_against_itself(table):
    rows = table[table["method"] == "backprop"]
    assert rows["cos_mean"].to_numpy() == pytest.approx(1.0, abs=1e-12)
    assert rows["rel_error_mean"].to_numpy() == pytest.approx(0.0, abs=1e-12)
    assert rows["variance"].to_numpy() == pytest.approx(0.0, abs=1e-20)


def test_declared_cost_per_estimate(table):
    net = gm.Network((2, 2, 2))
    rows = table[table["P"] == 12].set_index("estimator")
    assert rows.loc["spsa", "nfev_per_estimate"] == 3 and rows.loc["es_gradient", "nfev_per_estimate"] == 17
    fg = gm.get_provider("forward_gradient", k=8).value_and_grad_work(net, 1, 4).fpe
    assert rows.loc["forward_gradient k=8", "fpe_per_estimate"] == pytest.approx(fg)


def test_forward_gradient_cosine_follows_theory(table):
    one = table[table["estimator"] == "forward_gradient k=1"].set_index("P")
    assert one["cos_mean"].is_monotonic_decreasing
    # one Gaussian tangent: cosine |a| / |v|, about sqrt(2 / (pi P)) for large P
    P = 3002
    theory = np.sqrt(2 / (np.pi * P))
    assert one.loc[P, "cos_mean"] == pytest.approx(theory, abs=5 * one.loc[P, "cos_std"] / np.sqrt(64))
    # variance (trace of the covariance over |g|^2): P + 1 in theory
    assert one.loc[P, "variance"] == pytest.approx(P + 1, rel=0.5)
    # more tangents, better aligned
    at_p = table[table["P"] == P].set_index("estimator")["cos_mean"]
    assert at_p["forward_gradient k=1"] < at_p["forward_gradient k=8"] < at_p["forward_gradient k=64"]


def test_reproducible_with_a_seed():
    kwargs = dict(n_params=(10, 200), samples=8, estimators=[("forward_gradient", {"k": 2}), "spsa", "es_gradient"])
    first = gm.estimator_quality("xor", seed=5, **kwargs).drop(columns="seconds_per_estimate")
    again = gm.estimator_quality("xor", seed=5, **kwargs).drop(columns="seconds_per_estimate")
    other = gm.estimator_quality("xor", seed=6, **kwargs).drop(columns="seconds_per_estimate")
    pd.testing.assert_frame_equal(first, again)
    assert not first["cos_mean"].equals(other["cos_mean"])


def test_hidden_width_and_arguments():
    task = gm.get_task("or_and")
    assert [hidden_width(task, p) for p in (1, 10, 10_000)] == [1, 2, 2000]
    with pytest.raises(ValueError, match="samples"):
        gm.estimator_quality("or_and", samples=0)
    with pytest.raises(ValueError):
        gm.estimator_quality("or_and", estimators=["no_such_method"])


def test_check_estimators_command(capsys):
    assert main(["check", "--estimators", "--task", "or_and", "--samples", "4", "--n-params", "10,100"]) == 0
    out = capsys.readouterr().out
    assert "cosine" in out and "forward_gradient k=64" in out and "es_gradient" in out
