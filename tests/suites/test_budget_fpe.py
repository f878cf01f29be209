"""budget_fpe: one budget of forward-pass equivalents, turned into each gradient method's iterations per task.

Expected costs per step come from the methods' definitions, not from the code: on OR/AND (a
2-2 network, P = 6, no hidden layer) central differences evaluate 2P + 1 = 13 networks per
step, SPSA 2k + 1 (3 for k = 1, 5 for k = 2), the evolution-strategy gradient 2n + 1 (17 for
its 8 pairs), and the forward gradient one dual pass carrying k tangents through its one layer,
1 + k forward passes.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from gradmethods.suites.suite import SuiteError, load_suite, parse_suite, run_id_of
from gradmethods.training.api import TRAIN_PARAMETERS

EXPERIMENTS = Path(__file__).resolve().parents[2] / "experiments"


def suite(methods: str, defaults: str = "budget_fpe = 1000") -> dict:
    import tomllib

    text = textwrap.dedent(f"""
        name = "budget"
        seeds = 2
        tasks = ["or_and"]

        [defaults]
        init = "random"
        lr = 2.0
        {defaults}
    """) + textwrap.dedent(methods)
    return tomllib.loads(text)


def iterations(parsed) -> dict[tuple, int]:
    return {(run.method, tuple(sorted(run.options.items()))): run.settings["iterations"] for run in parsed.runs}


def test_a_budget_becomes_each_methods_iterations():
    parsed = parse_suite(suite("""
        [[methods]]
        name = "fd_central"
        [[methods]]
        name = "spsa"
        grid = { k = [1, 2] }
        [[methods]]
        name = "es_gradient"
        [[methods]]
        name = "forward_gradient"
        k = 8
        [[methods]]
        name = "genetic"
        max_nfev = 1000
    """))
    assert iterations(parsed) == {
        ("fd_central", ()): 1000 // 13,            # 76
        ("spsa", (("k", 1),)): 1000 // 3,          # 333
        ("spsa", (("k", 2),)): 1000 // 5,          # 200
        ("es_gradient", ()): 1000 // 17,           # 58
        ("forward_gradient", (("k", 8),)): 1000 // 9,  # 111
        ("genetic", (("max_nfev", 1000),)): None,  # a trainer keeps its own budget
    }  # fmt: skip
    assert all("budget_fpe" not in run.options and "budget_fpe" not in run.settings for run in parsed.runs)


def test_a_budget_run_is_the_run_with_those_iterations():
    by_budget = parse_suite(suite('[[methods]]\nname = "fd_central"\n'))
    by_iterations = parse_suite(suite('[[methods]]\nname = "fd_central"\n', defaults="iterations = 76"))
    assert [run.run_id for run in by_budget.runs] == [run.run_id for run in by_iterations.runs]
    assert by_budget.runs[0].run_id == run_id_of(by_iterations.runs[0].config)


def test_a_budget_grid_is_a_table_column():
    parsed = parse_suite(suite('[[methods]]\nname = "spsa"\ngrid = { budget_fpe = [30, 300] }\n', defaults=""))
    assert "budget_fpe" in parsed.grid_keys
    assert sorted({(run.grid["budget_fpe"], run.settings["iterations"]) for run in parsed.runs}) == [(30, 10),
                                                                                                      (300, 100)]


def test_budget_problems_are_reported_with_their_path():
    with pytest.raises(SuiteError) as raised:
        parse_suite(suite("""
            [[methods]]
            name = "fd_central"
            budget_fpe = 12
            [[methods]]
            name = "backprop"
            iterations = 10
        """))
    text = str(raised.value)
    assert "methods[0]: budget_fpe = 12 is less than one step of method 'fd_central' on or_and (13" in text
    assert "methods[1]: both 'iterations' and 'budget_fpe' are given for method 'backprop'; give one" in text
    with pytest.raises(SuiteError, match=r"methods\[0\]\.budget_fpe: 'budget_fpe' sets the steps of gradient "
                                         r"descent; method 'genetic' is a trainer"):
        parse_suite(suite('[[methods]]\nname = "genetic"\nbudget_fpe = 1000\n', defaults=""))
    with pytest.raises(SuiteError, match=r"defaults\.budget_fpe: .*range \(0, inf\)\. Got -5"):
        parse_suite(suite('[[methods]]\nname = "backprop"\n', defaults="budget_fpe = -5"))
    assert "budget_fpe" not in TRAIN_PARAMETERS  # a suite key: gm.train takes iterations


def test_shipped_estimators_suite_matches_its_budgets():
    parsed = load_suite(EXPERIMENTS / "estimators.toml")
    assert {run.task for run in parsed.runs} == {"or_and", "xor"}
    steps = {(run.task, run.method, run.options.get("k")): run.settings["iterations"] for run in parsed.runs}
    assert steps[("or_and", "fd_central", None)] == 100_000 // 13
    assert steps[("xor", "fd_central", None)] == 100_000 // 19  # 2-2-1: P = 9
    assert steps[("or_and", "spsa", None)] == steps[("xor", "spsa", None)] == 100_000 // 3
    assert steps[("or_and", "es_gradient", None)] == 100_000 // 17
    assert {k for (_, method, k) in steps if method == "forward_gradient"} == {1, 8, 64}
    genetic = [run for run in parsed.runs if run.method == "genetic"]
    assert {run.options["max_nfev"] for run in genetic} == {100_000}  # one fpe per network on all 4 patterns
    # population 96, elitism 2: the generations that fit, 1 + (100,000 - 96) // 94, are within its iterations
    assert all(run.settings["iterations"] >= 1 + (100_000 - 96) // 94 for run in genetic)
    assert len(parsed.runs) == 2 * 9 * 20


def test_shipped_estimators_digits_suite_matches_its_budgets():
    pytest.importorskip("sklearn")
    parsed = load_suite(EXPERIMENTS / "estimators_digits.toml")
    steps = {(run.method, run.options.get("k")): run.settings["iterations"] for run in parsed.runs}
    assert steps[("fd_central", None)] == 40_000 // (2 * 2410 + 1)
    assert steps[("spsa", None)] == 40_000 // 3 and steps[("es_gradient", None)] == 40_000 // 17
    assert {k for (method, k) in steps if method == "forward_gradient"} == {1, 8, 64}
    assert {run.options["batch_size"] for run in parsed.runs if run.method != "genetic"} == {16}
    (max_nfev,) = {run.options["max_nfev"] for run in parsed.runs if run.method == "genetic"}
    assert max_nfev == 40_000 * 16 // 1438  # a network on all 1,438 images is 1,438 / 16 minibatch passes
    assert len(parsed.runs) == 9 * 3


def _optimizer_runs(name: str) -> dict[tuple, list]:
    """The runs of a shipped optimizers suite by (task, method, rule or gradient)."""
    groups: dict[tuple, list] = {}
    for run in load_suite(EXPERIMENTS / f"{name}.toml").runs:
        which = run.options.get("optimizer", {}).get("name") or run.options.get("gradient")
        groups.setdefault((run.task, run.method, which), []).append(run)
    return groups


def test_shipped_optimizers_suite_matches_its_budgets():
    import math

    groups = _optimizer_runs("optimizers")
    budget = 20_000
    # a backprop call: one forward and one reverse sweep, 2 fpe on the 2-2 OR/AND network, 20/9 on XOR 2-2-1
    backprop_fpe = {"or_and": 2.0, "xor": 20 / 9}
    n_params = {"or_and": 6, "xor": 9}
    for task in ("or_and", "xor"):
        for rule in ("sgd", "momentum", "nesterov", "adam"):
            (steps,) = {run.settings["iterations"] for run in groups[(task, "backprop", rule)]}
            assert steps == int(budget // backprop_fpe[task])
        (calls,) = {run.options["max_nfev"] for run in groups[(task, "lbfgsb", "backprop")]}
        assert calls * backprop_fpe[task] <= budget + 1e-9  # one evaluation per backprop call
        (fd,) = groups[(task, "lbfgsb", "fd_central")][:1]
        assert fd.options["max_nfev"] == budget  # 2P + 1 evaluations per call, each one fpe
        assert fd.settings["iterations"] >= budget // (2 * n_params[task] + 1)  # the calls that fit
        for method in ("nelder_mead", "cma_es", "genetic"):
            assert {run.options["max_nfev"] for run in groups[(task, method, None)]} == {budget}
        popsize = 4 + math.floor(3 * math.log(n_params[task]))  # pycma's default population
        assert all(run.settings["iterations"] >= 1 + (budget - 1) // popsize for run in groups[(task, "cma_es", None)])
        # genetic: population 96, elitism 2, 96 + 94 per further generation
        assert all(run.settings["iterations"] >= 1 + (budget - 96) // 94 for run in groups[(task, "genetic", None)])
    assert sum(map(len, groups.values())) == 2 * 9 * 20


def test_shipped_optimizers_digits_suite_matches_its_budgets():
    pytest.importorskip("sklearn")
    groups = _optimizer_runs("optimizers_digits")
    budget, n_params = 10_000, 2410
    # full batch; a backprop call is one forward pass (P multiply-adds) and a reverse sweep: P for the weight and
    # bias gradients and 32 x 10 to carry the delta back through the second layer, so 1 + (2410 + 320) / 2410 fpe
    backprop_fpe = 1 + (n_params + 32 * 10) / n_params
    for rule in ("sgd", "momentum", "nesterov", "adam"):
        runs = groups[("digits", "backprop", rule)]
        assert {run.settings["iterations"] for run in runs} == {int(budget // backprop_fpe)} == {4688}
        assert all(run.options.get("batch_size") is None for run in runs)  # every method in one unit
    calls = {run.options["max_nfev"] for run in groups[("digits", "lbfgsb", "backprop")]}
    assert calls == {int(budget // backprop_fpe)}  # one evaluation per backprop call
    assert {run.options["max_nfev"] for run in groups[("digits", "lbfgsb", "fd_central")]} == {budget}
    assert budget // (2 * n_params + 1) == 2  # what fd_central's budget buys: two gradients
    for method in ("cma_es", "genetic", "nelder_mead"):  # Nelder-Mead's iterations are capped below it (CPU)
        assert {run.options["max_nfev"] for run in groups[("digits", method, None)]} == {budget}
    assert all(run.options["diagonal"] for run in groups[("digits", "cma_es", None)])
    assert sum(map(len, groups.values())) == 9 * 3


def test_summary_writes_a_missing_grid_setting_as_a_dash_and_whole_numbers_as_written():
    import pandas as pd

    from gradmethods.suites.tables import _format_summary, summarize

    runs = pd.DataFrame({
        "run_id": ["a", "b", "c"], "task": "or_and", "method": ["backprop", "forward_gradient", "forward_gradient"],
        "k": [None, 1, 8], "outcome": "CONVERGED", "iterations": 10, "nfev": 10, "fpe": 20.0, "seconds": 0.1,
        "final_error": 0.04,
    })  # fmt: skip
    shown = _format_summary(summarize(runs, by=("task", "method", "k")))
    assert shown["k"].tolist() == ["-", 1, 8]  # pandas reads the column as 1.0, 8.0 and NaN
