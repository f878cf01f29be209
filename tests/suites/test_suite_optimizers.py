"""Suite files name update rules, frozen parameters and the engine; bad ones are refused before any run."""

import numpy as np
import pytest

import gradmethods as gm
from gradmethods.suites.suite import SuiteError, parse_suite


def suite(methods, **defaults):
    return {"name": "t", "tasks": ["xor"], "methods": methods,
            "defaults": {"init": "random", "iterations": 20, **defaults}}  # fmt: skip


def problems(document):
    with pytest.raises(SuiteError) as info:
        parse_suite(document)
    return dict(info.value.problems)


def test_bad_optimizer_settings_are_named_with_their_path():
    found = problems(suite([
        {"name": "backprop", "optimizer": {"name": "adam", "lr": 0.01, "b1": -0.1}},
        {"name": "dual", "optimizer": {"name": "adamw"}},
        {"name": "backprop", "grid": {"optimizer": [{"name": "sgd", "lr": {"name": "cosine", "init_value": 0.1}}]}},
        {"name": "genetic", "optimizer": "adam"},
        {"name": "fd_central", "freeze": "everything", "engine": "gpu"},
    ]))  # fmt: skip
    assert found["methods[0].optimizer.b1"] == "must be a float in the range [0, 1). Got -0.1 instead."
    assert "['adagrad', 'adam', 'momentum', 'nesterov', 'rmsprop', 'sgd']" in found["methods[1].optimizer.name"]
    assert "required by schedule 'cosine'" in found["methods[2].grid.optimizer[0].lr.decay_steps"]
    assert "option of gradient descent" in found["methods[3].optimizer"]
    assert "['biases', 'weights']" in found["methods[4].freeze"]
    assert "['auto', 'numba', 'numpy']" in found["methods[4].engine"]


def test_a_suite_run_trains_with_the_named_rule_and_records_it():
    spec = parse_suite(suite([{"name": "backprop", "optimizer": {"name": "adam", "lr": 0.01}, "freeze": "biases"},
                              {"name": "backprop", "optimizer": "nesterov"}], lr=0.7))  # fmt: skip
    adam_run, nesterov_run = spec.runs
    assert adam_run.settings["lr"] is None and nesterov_run.options["optimizer"] == {"name": "nesterov", "lr": 0.7}
    result = gm.train(adam_run.make_task(), **adam_run.train_kwargs())
    assert result.settings["optimizer"] == {"name": "adam", "lr": 0.01, "b1": 0.9, "b2": 0.999, "eps": 1e-8}
    assert result.settings["freeze"] == "biases" and result.settings["engine"] == "numpy"
    direct = gm.train("xor", init="random", seed=adam_run.seed, iterations=20, optimizer=gm.optim.adam(0.01),
                      freeze="biases")  # fmt: skip
    np.testing.assert_array_equal(result.params, direct.params)
    # The recorded table trains the same run again (what a suite reads back from runs.jsonl).
    again = gm.train("xor", init="random", seed=adam_run.seed, iterations=20, optimizer=result.settings["optimizer"],
                     freeze="biases")  # fmt: skip
    np.testing.assert_array_equal(again.params, direct.params)


def test_momentum_beside_an_optimizer_is_refused():
    found = problems(suite([{"name": "backprop", "optimizer": "adam", "momentum": 0.9}]))
    assert "optimizer = { name = \"momentum\"" in found["methods[0].momentum"]


def test_engine_numba_is_checked_per_run_against_the_kernel_and_accepted_where_it_applies():
    found = problems(suite([
        {"name": "backprop", "engine": "numba"},  # the kernel computes this: no problem
        {"name": "backprop", "engine": "numba", "optimizer": {"name": "momentum", "lr": 0.5, "beta": 0.9}},
        {"name": "spsa", "grid": {"engine": ["auto", "numba"]}},
        {"name": "backprop", "engine": "numba", "grid": {"batch_size": [2, 4]}},
    ]))  # fmt: skip
    assert set(found) == {"methods[2].grid.engine", "methods[3].engine"}, found
    assert "cannot train method 'spsa' on xor" in found["methods[2].grid.engine"]
    assert "backprop's gradient; got provider SPSA" in found["methods[2].grid.engine"]
    assert "full-batch only" in found["methods[3].engine"]
    assert len(parse_suite(suite([{"name": "backprop", "engine": "numba"},
                                  {"name": "spsa", "engine": "auto"}])).runs) == 2  # fmt: skip


def test_a_trainer_with_engines_takes_engine_in_its_own_table_and_numba_is_checked_before_any_run():
    pytest.importorskip("numba")
    document = suite([{"name": "genetic", "engine": "numpy", "max_generations": 3}])
    (run,) = parse_suite(document).runs
    assert run.options["engine"] == "numpy"
    result = gm.train(run.make_task(), **run.train_kwargs())
    assert result.settings["engine"] == "numpy"
    found = problems(suite([{"name": "genetic", "engine": "numba", "selection": "rank"},
                            {"name": "genetic", "engine": "numba"}]))  # fmt: skip
    assert set(found) == {"methods[0].engine"}, found
    assert "cannot train method 'genetic' on xor" in found["methods[0].engine"]
    assert "'rank'" in found["methods[0].engine"]
    (run,) = parse_suite(suite([{"name": "genetic"}], engine="numpy")).runs  # [defaults]: gradient descent's
    assert "engine" not in run.options


def test_a_suite_trains_spsa_with_spalls_decaying_perturbation():
    spec = parse_suite(suite([{"name": "spsa", "perturbation": 0.05, "perturbation_decay": 0.101}], lr=2.0))
    (run,) = spec.runs
    assert run.options == {"perturbation": 0.05, "perturbation_decay": 0.101}
    result = gm.train(run.make_task(), **run.train_kwargs())
    direct = gm.train("xor", "spsa", init="random", seed=run.seed, iterations=20, lr=2.0, perturbation=0.05,
                      perturbation_decay=0.101)  # fmt: skip
    np.testing.assert_array_equal(result.params, direct.params)
    assert result.settings["perturbation_decay"] == 0.101
    constant = gm.train("xor", "spsa", init="random", seed=run.seed, iterations=20, lr=2.0, perturbation=0.05)
    assert not np.array_equal(result.params, constant.params)
    found = problems(suite([{"name": "spsa", "perturbation_decay": "fast"}]))
    assert "perturbation_decay" in next(iter(found))
