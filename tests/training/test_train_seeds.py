"""gm.train's seeds: judged (and explained) by the declared check, whatever form they come in."""

import numpy as np
import pytest

import gradmethods as gm
from gradmethods.core.params import validate_params
from gradmethods.training.api import TRAIN_PARAMETERS


@pytest.mark.parametrize("seeds", [[1, -2], [], [0.5], np.array([3, -1]), [np.int64(3), 2**70, -5]])
def test_bad_seeds_get_the_declared_message(seeds):
    with pytest.raises(ValueError) as declared:
        validate_params({"seeds": seeds}, {"seeds": TRAIN_PARAMETERS["seeds"]})
    with pytest.raises(ValueError) as info:
        gm.train("not", init="random", seeds=seeds, iterations=3)
    assert str(info.value) == str(declared.value) and "'seeds" in str(info.value)


def test_seeds_as_a_range_a_list_an_iterator_or_an_array_train_the_same_runs():
    kwargs = dict(init="random", iterations=20)
    expected = gm.train("xor", seeds=[3, 4, 5], **kwargs)
    for seeds in (range(3, 6), iter([3, 4, 5]), np.array([3, 4, 5]), (3, 4, 5)):
        runs = gm.train("xor", seeds=seeds, **kwargs)
        assert [run.settings["seed"] for run in runs] == [3, 4, 5]
        assert all(type(run.settings["seed"]) is int for run in runs)
        for a, b in zip(runs, expected):
            np.testing.assert_array_equal(a.params, b.params)


def test_one_learning_rate_is_every_runs_setting():
    runs = gm.train("xor", init="random", seeds=[1, 2], iterations=10, lr=0.7, engine="numpy")
    assert [run.settings["lr"] for run in runs] == [0.7, 0.7]
    alone = gm.train("xor", init="random", seed=2, iterations=10, lr=0.7, engine="numpy")
    assert runs[1].settings == alone.settings
    np.testing.assert_array_equal(runs[1].history["cost"], alone.history["cost"])
