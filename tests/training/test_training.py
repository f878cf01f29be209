import numpy as np
import pandas as pd
import pytest

import gradmethods as gm
from gradmethods.training.results import HISTORY_COLUMNS


def test_history_rows_are_measured_before_each_update():
    task = gm.get_task("example4")
    result = gm.train(task, iterations=3)
    assert isinstance(result.history, pd.DataFrame)
    assert result.history.columns[0] == "iteration" and set(HISTORY_COLUMNS) <= set(result.history.columns)
    np.testing.assert_array_equal(result.history["iteration"], [0, 1, 2])
    net, params = task.network(), task.post_params()
    provider = gm.get_provider("backprop")
    for i in range(3):
        assert result.history["cost"][i] == pytest.approx(float(net.cost(params, task.X, task.Y)), rel=1e-15)
        assert result.history["error"][i] == pytest.approx(float(net.error(params, task.X, task.Y)), rel=1e-15)
        params = params - 0.5 * provider.value_and_grad(net, params, task.X, task.Y)[1]
    np.testing.assert_allclose(result.params, params, rtol=1e-15)
    np.testing.assert_array_equal(result.history["nfev"], [1, 2, 3])
    assert result.history["nfev"].dtype == np.int64 and result.history["njev"].dtype == np.int64
    # backprop on 2-2-2: a forward pass of 12 multiply-adds per pattern and a reverse sweep of 16 (12 for
    # dW and db, 4 for the second layer's delta @ W^T): 28 / 12 = 7/3 forward-pass equivalents a step
    assert result.history["fpe"].dtype == np.float64
    np.testing.assert_allclose(result.history["fpe"], [7 / 3, 14 / 3, 7.0], rtol=1e-14)
    assert result.history["seconds"].is_monotonic_increasing
    assert result.outcome is gm.Outcome.BUDGET_EXHAUSTED


def test_target_stops_the_run_without_updating():
    result = gm.train("not", init="random", seed=3, target=0.1)
    assert result.outcome is gm.Outcome.CONVERGED
    assert result.final_error <= 0.1 and (result.history["error"].iloc[:-1] > 0.1).all()
    task = gm.get_task("not")
    assert task.network().error(result.params, task.X, task.Y) == pytest.approx(result.final_error, rel=1e-15)


def test_non_finite_numbers_end_the_run_as_diverged():
    task = gm.get_task("example4", activation="identity")
    result = gm.train(task, lr=1e155, iterations=50)
    assert result.outcome is gm.Outcome.DIVERGED
    assert len(result.history) < 50


def test_random_init_is_reproducible_by_seed():
    a = gm.train("xor", init="random", seed=11, iterations=200)
    b = gm.train("xor", init="random", seed=11, iterations=200)
    c = gm.train("xor", init="random", seed=12, iterations=200)
    pd.testing.assert_frame_equal(a.history.drop(columns="seconds"), b.history.drop(columns="seconds"))
    assert not np.array_equal(a.params, c.params)


def test_explicit_init_and_float32():
    task = gm.get_task("example3")
    result = gm.train(task, init=task.post_params() + 0.1, iterations=5, dtype="float32")
    assert result.params.dtype == np.float32
    assert result.settings["dtype"] == "float32" and result.settings["init"] == "array"


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"method": "backprp"}, "'method'.*backprop"),
        ({"dtype": "float16"}, "'dtype'"),
        ({"lr": -1}, "'lr'"),
        ({"iterations": 0}, "'iterations'"),
        ({"init": "zeros"}, "'init'"),
        ({"init": "random"}, "needs a seed"),
        ({"init": [0.1, 0.2, 0.3]}, "init must have shape \\(2,\\)"),
        ({"target": float("nan")}, "'target'"),
    ],
)
def test_bad_settings_raise_clear_errors(kwargs, message):
    with pytest.raises(ValueError, match=message):
        gm.train("example1", **kwargs)


def test_random_init_is_required_where_the_post_gives_no_weights():
    with pytest.raises(ValueError, match="no initial weights from the post"):
        gm.train("xor", init="post")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"momentum": 1.0}, "The 'momentum' parameter must be a float in the range [0, 1). Got 1.0 instead."),
        ({"iterations": 0}, "The 'iterations' parameter must be an int in the range [1, inf) or None. Got 0 instead."),
        ({"target": 0.0}, "The 'target' parameter must be a float in the range (0, inf) or None. Got 0.0 instead."),
        ({"init": "zeros"},
         "The 'init' parameter must be a str among ['post', 'random'], an array-like or None. Got 'zeros' instead."),
        ({"method": "dual", "chunk_size": 0},
         "The 'chunk_size' parameter must be an int in the range [1, inf) or None. Got 0 instead."),
        ({"method": "fd_central", "step": -1e-3},
         "The 'step' parameter must be a float in the range (0, inf) or None. Got -0.001 instead."),
    ],
)
def test_out_of_range_settings_name_the_parameter_the_value_and_the_range(kwargs, message):
    with pytest.raises(ValueError) as info:
        gm.train("example1", **kwargs)
    assert str(info.value) == message and not isinstance(info.value, TypeError)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"fast": "yes"}, "The 'fast' parameter must be a bool. Got 'yes' (str) instead."),
        ({"iterations": 10.0},
         "The 'iterations' parameter must be an int in the range [1, inf) or None. Got 10.0 (float) instead."),
        ({"lr": "0.5"}, "The 'lr' parameter must be a float in the range (0, inf), a sequence of floats in the range "
                        "(0, inf) (at least one learning rate) or None. Got '0.5' (str) instead."),
        ({"method": "backprop", "step": 1e-3}, "method 'backprop' has no setting 'step'; it takes no settings."),
        ({"method": "dual", "chunk": 4}, "method 'dual' has no setting 'chunk'; its settings are ['chunk_size']."),
    ],
)
def test_wrong_types_and_unknown_settings_are_type_errors_and_value_errors(kwargs, message):
    with pytest.raises(TypeError) as info:
        gm.train("example1", **kwargs)
    assert str(info.value) == message and isinstance(info.value, ValueError)


def test_a_long_value_is_shortened_in_the_message():
    with pytest.raises(TypeError) as info:
        gm.train("xor", init="random", seeds="7" * 100_000)
    message = str(info.value)
    assert message.startswith("The 'seeds' parameter must be a sequence of ints in the range [0, inf) (at least one "
                              "seed) or None. Got '7777") and message.endswith("(str) instead.")
    assert len(message) < 250


def test_a_batch_of_runs_is_a_list_with_a_summary_repr():
    from gradmethods.training.results import RunBatch

    runs = gm.train("not", init="random", seeds=[3, 4, 5], iterations=30)
    assert isinstance(runs, RunBatch) and isinstance(runs, list) and len(runs) == 3
    assert runs == [runs[0], runs[1], runs[2]] and list(runs) == runs[:]
    assert [run.settings["seed"] for run in runs] == [3, 4, 5]
    text = repr(runs)
    assert text.startswith("RunBatch(not, backprop, 3 runs: ") and "final error median" in text
    assert sum(runs.outcomes.values()) == 3 and runs.final_errors.shape == (3,)
    assert list(runs.to_frame()["seed"]) == [3, 4, 5]
    html = runs._repr_html_()
    assert html.startswith("<div>") and html.count("<tr>") == 4
    assert repr(RunBatch()) == "RunBatch([])"
