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
