"""A batch of runs kept as columns: it is the list of per-run results it replaces."""

import copy
import dataclasses
import pickle

import numpy as np
import pandas as pd
import pytest

import gradmethods as gm
from gradmethods.training.results import Outcome, RunBatch, RunColumns, TrainResult
from gradmethods.training.trainers.gradient_descent import gradient_descent_runs


def _per_run_results(task, provider_name, seeds, lr, iterations, target=None):
    """Today's per-run path, built independently: one TrainResult per (params, DataFrame, outcome) tuple."""
    net = task.network()
    X, Y = task.data()
    stack = np.stack([net.init_params(np.random.default_rng(seed)) for seed in seeds])
    provider_rngs = None
    if gm.get_method(provider_name).stochastic:
        provider_rngs = [np.random.default_rng(np.random.SeedSequence(s).spawn(2)[1]) for s in seeds]
    tuples = gradient_descent_runs(net, gm.get_provider(provider_name), stack, X, Y, lr=lr, iterations=iterations,
                                   target=target, provider_rngs=provider_rngs)  # fmt: skip
    settings = {"iterations": iterations, "dtype": "float64", "target": target, "init": "random"}
    return [TrainResult(task.name, provider_name, outcome, final, history, {"lr": lr, **settings, "seed": seed})
            for seed, (final, history, outcome) in zip(seeds, tuples)]  # fmt: skip


@pytest.mark.parametrize("provider", gm.providers())
def test_a_batch_from_columns_equals_the_per_run_results(provider):
    task = gm.get_task("xor")
    seeds = [4, 5, 6]
    runs = gm.train(task, provider, init="random", seeds=seeds, lr=3.0, iterations=120, target=0.3, engine="numpy")
    expected = _per_run_results(task, provider, seeds, 3.0, 120, target=0.3)
    assert isinstance(runs, RunBatch) and isinstance(runs, list) and runs.histories is not None
    assert len(runs) == 3
    for run, alone in zip(runs, expected):
        assert run.outcome is alone.outcome and run.settings["seed"] == alone.settings["seed"]
        assert run.history_rows == len(alone.history)
        assert run.final_error == alone.final_error and run.final_cost == alone.final_cost  # from the columns
        assert list(run.history.columns) == list(alone.history.columns)
        assert (run.history["seconds"].diff().dropna() >= 0).all()  # wall time of the stack, measured apart
        pd.testing.assert_frame_equal(run.history.drop(columns="seconds"), alone.history.drop(columns="seconds"),
                                      check_exact=True)  # fmt: skip
        np.testing.assert_array_equal(run.params, alone.params)
    assert [run.settings for run in runs] == [
        {**{k: alone.settings[k] for k in ("lr", "iterations", "seed", "dtype", "target", "init")}, "engine": "numpy"}
        for alone in expected
    ]
    np.testing.assert_array_equal(runs.final_errors, [alone.final_error for alone in expected])


def test_columns_give_the_summary_without_building_a_dataframe():
    runs = gm.train("or_and", init="random", seeds=range(50), iterations=40, lr=2.0, target=0.45)
    store = runs.histories
    frame = runs.to_frame()
    assert not any("history" in run.__dict__ for run in runs), "the summary built a per-run DataFrame"
    histories = [run.history for run in runs]  # now built, one per run, as asked
    assert frame["iterations"].tolist() == [len(h) for h in histories]
    assert frame["final_error"].tolist() == [h["error"].iloc[-1] for h in histories]
    assert frame["final_cost"].tolist() == [h["cost"].iloc[-1] for h in histories]
    assert frame["seed"].tolist() == list(range(50))
    assert store.last("nfev").tolist() == [h["nfev"].iloc[-1] for h in histories]
    assert store.last("nfev").dtype == np.int64 and histories[0]["nfev"].dtype == np.int64
    outcomes = {}
    for run in runs:
        outcomes[run.outcome.value] = outcomes.get(run.outcome.value, 0) + 1
    assert runs.outcomes == dict(sorted(outcomes.items())) and sum(outcomes.values()) == 50
    assert set(outcomes) == {"CONVERGED", "BUDGET_EXHAUSTED"}  # the case mixes both


def test_a_batch_behaves_as_a_list():
    runs = gm.train("not", init="random", seeds=[3, 4, 5, 6], iterations=30)
    plain = [copy.copy(run) for run in runs]  # a copy is a plain TrainResult with the same contents
    assert all(type(run) is TrainResult for run in plain)
    assert runs == plain and plain == list(runs) and list(reversed(runs)) == plain[::-1]
    assert runs[1:3] == plain[1:3] and isinstance(runs[1:3], RunBatch) and runs[-1] == plain[-1]
    assert [run.settings["seed"] for run in runs] == [3, 4, 5, 6] and runs.index(runs[2]) == 2
    assert runs[1:3].to_frame()["seed"].tolist() == [4, 5]  # no columns for a slice: read run by run
    assert runs[1:3].histories is None
    np.testing.assert_array_equal(runs[1:3].final_errors, runs.final_errors[1:3])
    back = pickle.loads(pickle.dumps(runs))
    assert type(back) is RunBatch and back == runs and all(type(run) is TrainResult for run in back)
    replaced = dataclasses.replace(runs[0], outcome=Outcome.DIVERGED)
    assert replaced.outcome is Outcome.DIVERGED and replaced.final_error == runs[0].final_error
    assert replaced.history.equals(runs[0].history) and runs[0].outcome is not Outcome.DIVERGED
    changed = copy.copy(plain[0])
    changed.history = changed.history.assign(cost=changed.history["cost"] + 1e-15)
    assert changed != plain[0] and plain[0] == runs[0]


def test_a_mutated_run_keeps_its_mutation():
    runs = gm.train("not", init="random", seeds=[1, 2], iterations=10)
    runs[0].settings["note"] = "mine"
    runs[0].history["extra"] = 1.0
    assert runs[0].settings["note"] == "mine" and "extra" in runs[0].history.columns
    assert "note" not in runs[1].settings


def test_run_columns_check_their_shapes():
    with pytest.raises(ValueError, match=r"history column 'cost' must have shape \(n_rows, R\)"):
        RunColumns({"cost": np.zeros((3, 2))}, rows=[3, 3, 3])
    with pytest.raises(ValueError, match="one row of params and one outcome per run"):
        RunBatch.from_columns("t", "m", params=np.zeros((1, 2)), outcomes=[Outcome.CONVERGED] * 2,
                              histories=RunColumns({"cost": np.zeros((2, 2))}, rows=[1, 2]))  # fmt: skip
    columns = RunColumns({"cost": np.array([[1.0, 2.0], [3.0, np.nan]]), "seconds": np.array([0.5, 0.75])},
                         rows=[2, 1])  # fmt: skip
    assert columns.frame(1).to_dict("list") == {"iteration": [0], "cost": [2.0], "seconds": [0.5]}
    assert columns.last("cost").tolist() == [3.0, 2.0] and columns.last("seconds").tolist() == [0.75, 0.5]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("task_name", ["not", "or_and", "xor", "example4", "digits"])
def test_seeded_stack_is_each_seeds_own_draw(task_name, dtype):
    net = gm.get_task(task_name).network()
    seeds = [0, 1, 2, 17, 2**40]
    stack = net.init_params_for_seeds(seeds, dtype)
    expected = np.stack([net.init_params(np.random.default_rng(seed), dtype=dtype) for seed in seeds])
    assert stack.dtype == np.dtype(dtype)
    np.testing.assert_array_equal(stack, expected)  # bit for bit
    with pytest.raises(ValueError, match="seeds must be a sequence of ints >= 0"):
        net.init_params_for_seeds([1, -2])
