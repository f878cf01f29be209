"""The CMA-ES trainer (pycma): one stacked forward pass per generation, seeding, budgets, stops, the extra."""

import doctest
import importlib.util
import sys
import tomllib

import numpy as np
import pytest

import gradmethods as gm
from gradmethods.cli import main
from gradmethods.core import registry
from gradmethods.core.network import Network
from gradmethods.suites.suite import SuiteError, parse_suite
from gradmethods.testing import parametrize_with_checks
from gradmethods.training.results import Outcome
from gradmethods.training.trainers import Trainer, cma_es
from gradmethods.training.trainers.cma_es import CMA_HISTORY_COLUMNS, CMAESTrainer
from gradmethods.training.trainers.genetic import GENETIC_HISTORY_COLUMNS

#: Every test but the one that simulates its absence needs pycma (the test extra installs it).
needs_cma = pytest.mark.skipif(importlib.util.find_spec("cma") is None, reason="pycma is not installed")


@needs_cma
def test_doctests():
    assert doctest.testmod(cma_es).failed == 0


@needs_cma
@parametrize_with_checks(["cma_es"])
def test_conformance(method, check):
    check(method)


@needs_cma
def test_registered_with_the_genetic_trainers_history_columns():
    assert gm.methods()["cma_es"] == "trainer" and gm.get_method("cma_es").factory is CMAESTrainer
    assert isinstance(CMAESTrainer(), Trainer)
    run = gm.train("xor", method="cma_es", seed=0, iterations=5)
    assert list(run.history.columns) == list(CMA_HISTORY_COLUMNS) == list(GENETIC_HISTORY_COLUMNS)


def test_every_registered_method_has_its_own_colour_and_marker():
    styles = [gm.get_method(name).style for name in gm.methods()]
    assert all(style is not None for style in styles)
    colours, markers = [s[0] for s in styles], [s[1] for s in styles]
    assert len(set(colours)) == len(colours) and len(set(markers)) == len(markers)


@needs_cma
def test_one_stacked_forward_pass_per_generation(monkeypatch):
    shapes = []
    trace = Network.trace

    def counted(self, params, X):
        shapes.append(np.shape(params))
        return trace(self, params, X)

    monkeypatch.setattr(Network, "trace", counted)
    run = gm.train("xor", method="cma_es", seed=1, iterations=6, popsize=12)
    n_params = gm.get_task("xor").network().n_params
    assert shapes == [(1, n_params)] + [(12, n_params)] * 5  # the start, then one (popsize, P) stack each
    assert run.history["nfev"].tolist() == [1, 13, 25, 37, 49, 61]
    assert run.history["fpe"].tolist() == run.history["nfev"].tolist() and (run.history["njev"] == 0).all()


@needs_cma
def test_the_row_is_the_best_network_so_far_and_the_result_is_that_network():
    task = gm.get_task("xor")
    X, Y = task.data()
    run = gm.train(task, method="cma_es", seed=2, iterations=30)
    cost = run.history["cost"].to_numpy()
    assert (np.diff(cost) <= 0).all()
    assert float(task.network().cost(run.params, X, Y)) == cost[-1]
    assert float(task.network().error(run.params, X, Y)) == run.history["error"].iloc[-1]
    assert (run.history["median_cost"].iloc[1:] >= cost[1:]).all()


@needs_cma
def test_one_seed_one_run_whatever_numpys_global_state():
    np.random.seed(1)
    first = gm.train("xor", method="cma_es", seed=3, iterations=40)
    np.random.seed(2)
    second = gm.train("xor", method="cma_es", seed=3, iterations=40)
    other = gm.train("xor", method="cma_es", seed=4, iterations=40)
    np.testing.assert_array_equal(first.params, second.params)
    assert first.history.drop(columns="seconds").equals(second.history.drop(columns="seconds"))
    assert not np.array_equal(first.params, other.params)
    # the start is gradient descent's random start with that seed
    start = gm.train("xor", method="cma_es", seed=3, iterations=1).params
    np.testing.assert_array_equal(start, gm.initial_params(gm.get_task("xor"), "random", seed=3))


@needs_cma
def test_budgets_in_generations_and_networks_evaluated():
    run = gm.train("xor", method="cma_es", seed=0, iterations=4, popsize=10)
    assert len(run.history) == 4 and run.outcome is Outcome.BUDGET_EXHAUSTED
    run = gm.train("xor", method="cma_es", seed=0, popsize=10, max_nfev=45)
    assert run.history["nfev"].iloc[-1] == 41  # 1 + 4 x 10; a fifth generation would exceed 45
    assert run.outcome is Outcome.BUDGET_EXHAUSTED and run.settings["stop_reason"].startswith("max_nfev")


@needs_cma
def test_pycmas_own_stop_is_a_recorded_outcome():
    run = gm.train("xor", method="cma_es", seed=0, tolfun=0.05)
    assert run.outcome is Outcome.BUDGET_EXHAUSTED and "tolfun" in run.settings["stop_reason"]
    assert len(run.history) < 1000


@needs_cma
def test_target_stopping_and_float32():
    run = gm.train("or_and", method="cma_es", seed=0, target=0.05, dtype="float32")
    assert run.outcome is Outcome.CONVERGED and run.params.dtype == np.float32
    assert run.history["error"].iloc[-1] <= 0.05 < run.history["error"].iloc[-2]


@needs_cma
@pytest.mark.parametrize(
    "settings, named",
    [
        ({"sigma0": 0.0}, "'sigma0' parameter"),
        ({"popsize": 1}, "'popsize' parameter"),
        ({"tolfun": -1.0}, "'tolfun' parameter"),
        ({"diagonal": "yes"}, "'diagonal' parameter must be a bool"),
        ({"sigma": 1.0}, "has no setting 'sigma'"),
    ],
)
def test_bad_settings_are_refused_naming_the_setting(settings, named):
    with pytest.raises(ValueError, match=named):
        gm.train("or_and", method="cma_es", seed=0, **settings)


@needs_cma
def test_a_full_covariance_is_refused_for_many_parameters_and_diagonal_runs():
    task = gm.get_task("xor", layer_sizes=[2, 100, 60, 1])
    assert task.network().n_params > cma_es.FULL_COVARIANCE_LIMIT
    with pytest.raises(ValueError, match="diagonal=True"):
        gm.train(task, method="cma_es", seed=0, iterations=2)
    run = gm.train(task, method="cma_es", seed=0, iterations=3, diagonal=True)
    assert len(run.history) == 3


SUITE = """
name = "cma"
entropy = 3
seeds = 2
tasks = ["or_and"]

[[methods]]
name = "cma_es"
popsize = 8

[defaults]
init = "random"
target = 0.05
"""


def test_without_the_extra_the_method_is_listed_and_refused_before_any_run(monkeypatch, tmp_path, capsys):
    monkeypatch.setitem(sys.modules, "cma", None)  # as if pycma were not installed: importing it fails
    assert "cma_es" in gm.methods()
    with pytest.raises(ValueError, match=r"pip install 'gradmethods\[cma\]'"):
        gm.train("or_and", method="cma_es", seed=0)
    with pytest.raises(SuiteError, match=r"cma_es.*pip install 'gradmethods\[cma\]'"):
        parse_suite(tomllib.loads(SUITE))
    path = tmp_path / "suite.toml"
    path.write_text(SUITE)
    assert main(["run", str(path), "--out", str(tmp_path / "out"), "--no-plots"]) == 2
    assert not (tmp_path / "out" / "runs.jsonl").exists()
    assert main(["list"]) == 0
    assert "cma_es" in capsys.readouterr().out


@needs_cma
def test_a_suite_runs_it(tmp_path):
    path = tmp_path / "suite.toml"
    path.write_text(SUITE)
    assert main(["run", str(path), "--out", str(tmp_path / "out"), "--no-plots"]) == 0
    results = gm.load_results(tmp_path / "out")
    assert set(results.runs["outcome"]) == {"CONVERGED"} and results.curves["median_cost"].notna().any()
    assert registry.get_method("cma_es").family == "gradient_free"


def test_without_the_extra_methods_all_leaves_it_out_and_says_so(monkeypatch, tmp_path, capsys):
    monkeypatch.setitem(sys.modules, "cma", None)
    reason = registry.get_method("cma_es").missing_requirement
    assert reason is not None and "pip install 'gradmethods[cma]'" in reason
    assert registry.get_method("backprop").missing_requirement is None
    suite = parse_suite(tomllib.loads('methods = "all"\ntasks = ["not"]\n'))
    assert dict(suite.left_out) == {"cma_es": reason}
    assert "cma_es" not in {run.method for run in suite.runs}
    assert {run.method for run in suite.runs} == set(gm.methods()) - {"cma_es"}
    path = tmp_path / "suite.toml"
    path.write_text('methods = "all"\ntasks = ["not"]\n[defaults]\niterations = 3\n')
    assert main(["run", str(path), "--out", str(tmp_path / "out"), "--no-plots"]) == 0
    assert "leaves out cma_es" in capsys.readouterr().err


@needs_cma
def test_a_huge_budget_with_a_target_allocates_only_the_rows_taken():
    """No history is sized by the budget: 10**12 generations with a reachable target is an ordinary run."""
    result = gm.train("or_and", method="cma_es", seed=0, iterations=10**12, target=0.05)
    assert result.converged and len(result.history) < 1000
