"""gm.train hands every method to a trainer: fit for one run, fit_runs (when present) for seeds=."""

import numpy as np
import pandas as pd
import pytest

import gradmethods as gm
from gradmethods.core.registry import METHODS
from gradmethods.training.results import Outcome, TrainResult
from gradmethods.training.trainers import BatchedTrainer, GradientDescent, Trainer


class _Recorder:
    """A gradient-free trainer that records how it was called and returns its start unchanged."""

    family = "gradient_free"
    calls: list = []

    def fit(self, task, net, params, X, Y, *, iterations, target, seed, settings):
        type(self).calls.append(("fit", seed))
        return self._result(task, seed, settings)

    def fit_runs(self, task, net, params, X, Y, *, iterations, target, seeds, settings):
        type(self).calls.append(("fit_runs", tuple(seeds), None if params is None else params.shape))
        return [self._result(task, s, settings) for s in seeds]

    def _result(self, task, seed, settings):
        history = pd.DataFrame({"iteration": [0], "cost": [1.0], "error": [1.0], "nfev": [0], "njev": [0],
                                "fpe": [0.0], "seconds": [0.0]})  # fmt: skip
        return TrainResult(task.name, "recorder", Outcome.BUDGET_EXHAUSTED, np.zeros(1), history,
                           {**settings, "seed": seed})  # fmt: skip


@pytest.fixture
def recorder():
    gm.register_trainer("recorder")(_Recorder)
    _Recorder.calls = []
    try:
        yield _Recorder
    finally:
        METHODS.unregister("recorder")


def test_seeds_go_to_fit_runs_in_one_call_and_a_single_run_to_fit(recorder):
    runs = gm.train("xor", "recorder", init="random", seeds=[4, 2, 9])
    assert [r.settings["seed"] for r in runs] == [4, 2, 9]
    assert recorder.calls == [("fit_runs", (4, 2, 9), None)]
    gm.train("xor", "recorder", init="post" if gm.get_task("xor").has_post_init else "random", seed=5)
    assert recorder.calls[-1] == ("fit", 5)


def test_a_start_chosen_by_the_user_reaches_fit_runs_as_a_stack(recorder):
    gm.train("not", "recorder", init="post", seeds=[1, 2])
    assert recorder.calls == [("fit_runs", (1, 2), (2, 2))]


def test_gradient_descent_is_a_batched_trainer():
    trainer = GradientDescent(gm.get_provider("backprop"), lr=0.5)
    assert isinstance(trainer, Trainer) and isinstance(trainer, BatchedTrainer)
    task = gm.get_task("not")
    X, Y = task.data()
    runs = trainer.fit_runs(task, task.network(), None, X, Y, iterations=20, target=None, seeds=[1, 2],
                            settings={"lr": None})  # fmt: skip
    for seed, run in zip([1, 2], runs):
        alone = gm.train("not", init="random", seed=seed, iterations=20)
        np.testing.assert_array_equal(run.params, alone.params)
        assert run.settings["seed"] == seed and run.settings["lr"] == 0.5
