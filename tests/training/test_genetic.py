"""The genetic trainer: registry, settings, reproducibility, elitism, budgets, one forward pass per generation."""

import doctest

import numpy as np
import pandas as pd
import pytest

import gradmethods as gm
from gradmethods.core import registry
from gradmethods.core.network import Network
from gradmethods.training.results import HISTORY_COLUMNS, Outcome, TrainResult
from gradmethods.training.trainers import Trainer, genetic
from gradmethods.training.trainers.genetic import GENETIC_HISTORY_COLUMNS, GeneticTrainer


def test_doctests():
    assert doctest.testmod(genetic).failed == 0


def test_registered_as_a_trainer_not_a_provider():
    assert gm.methods()["genetic"] == "trainer"
    assert gm.get_method("genetic").factory is GeneticTrainer
    assert isinstance(GeneticTrainer(), Trainer)
    with pytest.raises(ValueError, match="trainer, not a gradient provider"):
        gm.get_provider("genetic")


@pytest.mark.parametrize("name", registry.trainers())
def test_every_registered_trainer_follows_the_protocol(name):
    trainer = gm.get_method(name).factory()
    assert isinstance(trainer, Trainer) and trainer.name == name
    first = gm.train("or_and", method=name, seed=0, iterations=3)
    again = gm.train("or_and", method=name, seed=0, iterations=3)
    assert isinstance(first, TrainResult) and first.method == name
    assert set(HISTORY_COLUMNS) <= set(first.history.columns) and 1 <= len(first.history) <= 3
    assert first.params.shape == (gm.get_task("or_and").network().n_params,)
    np.testing.assert_array_equal(first.params, again.params)
    with pytest.raises(ValueError, match="no learning rate"):
        gm.train("or_and", method=name, seed=0, lr=0.1)


# ---------------------------------------------------------------------- settings
@pytest.mark.parametrize(
    "setting, value",
    [
        ("population_size", 1),
        ("population_size", 2.5),
        ("mutation_rate", 1.5),
        ("mutation_rate", -0.1),
        ("crossover_rate", 2.0),
        ("loser_share", -0.5),
        ("loser_share", float("nan")),
        ("mutation_scale", -1.0),
        ("mutation_decay", 0.0),
        ("mutation_decay", 1.1),
        ("tournament_size", 0),
        ("rank_pressure", 2.5),
        ("truncation_share", 0.0),
        ("blend_alpha", -0.1),
        ("selection", "roulette"),
        ("crossover", "one_point"),
        ("max_generations", 0),
        ("max_nfev", 10),  # fewer than the 96 networks of the first generation
        ("elitism", -1),
    ],
)
def test_invalid_settings_name_the_setting(setting, value):
    with pytest.raises(ValueError, match=f"'{setting}'"):
        GeneticTrainer(**{setting: value})
    with pytest.raises(ValueError, match=f"'{setting}'"):
        gm.train("not", method="genetic", seed=0, **{setting: value})


@pytest.mark.parametrize("elitism", [8, 9])
def test_elitism_must_leave_room_for_children(elitism):
    with pytest.raises(ValueError, match=r"'elitism'.*\[0, 7\]"):
        GeneticTrainer(population_size=8, elitism=elitism)


@pytest.mark.parametrize(
    ("settings", "error", "message"),
    [
        ({"mutation_rate": 1.5}, ValueError,
         "The 'mutation_rate' parameter must be a float in the range [0, 1]. Got 1.5 instead."),
        ({"truncation_share": 0.0}, ValueError,
         "The 'truncation_share' parameter must be a float in the range (0, 1]. Got 0.0 instead."),
        ({"selection": "roulette"}, ValueError,
         "The 'selection' parameter must be a str among ['rank', 'tournament', 'truncation']. Got 'roulette' instead."),
        ({"population_size": 2.5}, TypeError,
         "The 'population_size' parameter must be an int in the range [2, inf). Got 2.5 (float) instead."),
        ({"crossover": 1}, TypeError,
         "The 'crossover' parameter must be a str among ['arithmetic', 'blend', 'uniform']. Got 1 (int) instead."),
        ({"population_size": 8, "elitism": 8}, ValueError,
         "The 'elitism' parameter must be an int in the range [0, 7] (smaller than population_size=8, so each "
         "generation has children). Got 8 instead."),
        ({"population_size": 8, "max_nfev": 7}, ValueError,
         "The 'max_nfev' parameter must be an int in the range [8, inf) (at least population_size=8, the first "
         "generation). Got 7 instead."),
    ],
)
def test_settings_messages_are_the_same_from_the_class_and_from_gm_train(settings, error, message):
    with pytest.raises(error) as built:
        GeneticTrainer(**settings)
    with pytest.raises(error) as trained:
        gm.train("not", method="genetic", seed=0, **settings)
    assert str(built.value) == str(trained.value) == message and isinstance(built.value, ValueError)


def test_settings_are_declared_once_and_kept_normalised():
    assert list(GeneticTrainer().get_params()) == list(GeneticTrainer.parameters)
    trainer = GeneticTrainer(np.int64(12), mutation_rate=1, elitism=np.int32(3))
    assert type(trainer.population_size) is int and type(trainer.elitism) is int
    assert type(trainer.mutation_rate) is float and trainer.mutation_rate == 1.0


def test_train_rejects_lr_unknown_settings_and_missing_seed():
    with pytest.raises(ValueError, match="no learning rate"):
        gm.train("not", method="genetic", seed=0, lr=0.5)
    with pytest.raises(ValueError, match="no setting 'population'.*population_size"):
        gm.train("not", method="genetic", seed=0, population=10)
    with pytest.raises(ValueError, match="'seed'"):
        gm.train("not", method="genetic")
    with pytest.raises(ValueError, match="'iterations'"):
        gm.train("not", method="genetic", seed=0, iterations=0)


# ---------------------------------------------------------------------- runs
def _run(task="xor", **kwargs):
    kwargs.setdefault("seed", 3)
    return gm.train(task, method="genetic", **kwargs)


def test_same_seed_same_run_other_seed_other_run():
    first, second, other = _run(iterations=40), _run(iterations=40), _run(iterations=40, seed=4)
    columns = [c for c in GENETIC_HISTORY_COLUMNS if c != "seconds"]
    pd.testing.assert_frame_equal(first.history[columns], second.history[columns])
    np.testing.assert_array_equal(first.params, second.params)
    assert not np.array_equal(first.params, other.params)


def test_history_columns_and_counts():
    result = _run(iterations=25, population_size=20, elitism=3)
    history = result.history
    assert tuple(history.columns[: len(HISTORY_COLUMNS)]) == HISTORY_COLUMNS
    assert list(history.columns) == list(GENETIC_HISTORY_COLUMNS)
    np.testing.assert_array_equal(history["iteration"], np.arange(25))
    # generation 0 evaluates all 20; each later one only the 17 children
    np.testing.assert_array_equal(history["nfev"], 20 + 17 * np.arange(25))
    # every network evaluated is one real forward pass: fpe equals nfev, as a float
    assert history["nfev"].dtype == np.int64 and history["fpe"].dtype == np.float64
    np.testing.assert_array_equal(history["fpe"], 20.0 + 17.0 * np.arange(25))
    assert (history["njev"] == 0).all()
    assert (history["median_cost"] >= history["cost"]).all()
    assert history["seconds"].is_monotonic_increasing
    assert result.outcome is Outcome.BUDGET_EXHAUSTED
    assert result.settings["population_size"] == 20 and result.settings["iterations"] == 25


def test_returned_params_are_the_best_member_as_recorded():
    result = _run(iterations=30)
    net = gm.get_task("xor").network()
    task = gm.get_task("xor")
    # independent re-evaluation of the returned vector with the public API
    assert net.cost(result.params, task.X, task.Y) == pytest.approx(result.final_cost, rel=1e-12)
    assert net.error(result.params, task.X, task.Y) == pytest.approx(result.final_error, rel=1e-12)


@pytest.mark.parametrize("elitism", [1, 4])
def test_elitism_never_lets_the_best_cost_get_worse(elitism):
    history = _run(iterations=150, elitism=elitism, loser_share=0.5, mutation_scale=3.0).history
    assert (np.diff(history["cost"].to_numpy()) <= 0).all()


def test_without_elitism_the_best_cost_can_get_worse():
    # the check above is not vacuous: with no elite the best member is often lost
    history = _run(iterations=60, elitism=0).history
    assert (np.diff(history["cost"].to_numpy()) > 0).any()


def test_not_is_learned_with_a_fixed_seed():
    task = gm.get_task("not")
    result = gm.train(task, method="genetic", seed=0, target=0.05)
    assert result.outcome is Outcome.CONVERGED
    assert len(result.history) < 500
    # the outputs of the returned network, checked by hand: NOT(1) ~ 0 and NOT(0) ~ 1
    outputs = task.network().forward(result.params, task.X)[:, 0]
    assert outputs[0] < 0.1 and outputs[1] > 0.9
    assert np.abs(task.Y[:, 0] - outputs).mean() <= 0.05


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_dtype_is_kept(dtype):
    result = _run("or_and", iterations=5, dtype=dtype)
    assert result.params.dtype == np.dtype(dtype)


def test_forward_pass_runs_once_per_generation(monkeypatch):
    calls = []
    propagate = Network.trace

    def counting(self, params, X):
        calls.append(np.shape(params))
        return propagate(self, params, X)

    monkeypatch.setattr(Network, "trace", counting)
    result = _run(iterations=12, population_size=30, elitism=2)
    assert len(result.history) == 12
    assert calls == [(30, 9)] + [(28, 9)] * 11  # xor 2-2-1 has 9 parameters


def test_target_stops_the_run():
    result = _run("not", seed=1, target=0.05)
    errors = result.history["error"].to_numpy()
    assert result.outcome is Outcome.CONVERGED
    assert errors[-1] <= 0.05 and (errors[:-1] > 0.05).all()


def test_max_nfev_budget():
    result = _run(population_size=10, elitism=2, max_nfev=50)
    # 10 networks, then 8 children per generation; after 50 another generation would need 58 > 50
    np.testing.assert_array_equal(result.history["nfev"], [10, 18, 26, 34, 42, 50])
    assert result.outcome is Outcome.BUDGET_EXHAUSTED


def test_given_start_is_a_member_of_the_first_generation():
    task = gm.get_task("or_and")
    good = gm.train(task, method="genetic", seed=0, target=0.02).params  # far better than any random member
    result = gm.train(task, method="genetic", seed=5, init=good, iterations=1)
    np.testing.assert_array_equal(result.params, good)
    post = gm.train(task, method="genetic", seed=5, init="post", iterations=1)
    assert post.final_cost <= task.network().cost(task.post_params(), task.X, task.Y)
    random = gm.train(task, method="genetic", seed=5, iterations=1)
    assert not np.array_equal(random.params, good)


def test_non_finite_members_lose_and_all_non_finite_diverges():
    task = gm.get_task("not", activation="identity")  # unbounded outputs: huge weights overflow the cost
    wild = dict(method="genetic", seed=0, mutation_rate=1.0, mutation_scale=1e300, iterations=5)
    survived = gm.train(task, elitism=2, **wild)
    assert survived.outcome is Outcome.BUDGET_EXHAUSTED
    assert np.isfinite(survived.history["cost"]).all()
    assert np.isinf(survived.history["median_cost"].iloc[1:]).all()
    diverged = gm.train(task, elitism=0, crossover_rate=0.0, **wild)
    assert diverged.outcome is Outcome.DIVERGED
    assert len(diverged.history) == 2 and np.isinf(diverged.history["cost"].iloc[-1])


# ---------------------------------------------------------------------- many runs as one stack
BATCH_CASES = [
    # task, trainer settings, iterations, target, init
    ("or_and", {}, 60, 0.05, None),
    ("xor", {"selection": "rank", "crossover": "uniform", "mutation_decay": 0.97}, 40, 0.1, None),
    ("not", {"selection": "truncation", "crossover": "arithmetic", "elitism": 0, "population_size": 7}, 50, 0.02,
     "post"),
    ("or_and", {"max_nfev": 96 + 94 * 12}, 100, None, None),
    ("or_and", {"population_size": 10, "elitism": 3}, 30, None, "float32"),
]


def _alone(task, trainer, seed, iterations, target, init):
    net = task.network()
    dtype = "float32" if init == "float32" else "float64"
    X, Y = task.data(dtype)
    params = task.post_params() if init == "post" else None
    return trainer.fit(task, net, params, X, Y, iterations=iterations, target=target, seed=seed, settings={})


@pytest.mark.parametrize("case", BATCH_CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(BATCH_CASES)])
def test_batched_genetic_runs_equal_each_run_alone(case):
    name, settings, iterations, target, init = case
    task = gm.get_task(name)
    trainer = gm.get_method("genetic").factory(**settings)
    seeds = [0, 3, 11, 12, 25]
    dtype = "float32" if init == "float32" else "float64"
    X, Y = task.data(dtype)
    params = task.post_params()[None, :].repeat(len(seeds), axis=0) if init == "post" else None
    runs = trainer.fit_runs(task, task.network(), params, X, Y, iterations=iterations, target=target, seeds=seeds,
                            settings={})  # fmt: skip
    assert len(runs) == len(seeds)
    rtol = 1e-12 if dtype == "float64" else 1e-6
    for seed, run in zip(seeds, runs):
        alone = _alone(task, trainer, seed, iterations, target, init)
        assert run.outcome is alone.outcome, seed
        assert run.settings == alone.settings
        history, expected = run.history, alone.history
        assert list(history.columns) == list(expected.columns) and len(history) == len(expected)
        for column in ("iteration", "nfev", "njev"):
            assert history[column].dtype == np.int64 and history[column].tolist() == expected[column].tolist()
        for column in ("cost", "error", "fpe", "median_cost", "population_std", "mutation_scale"):
            np.testing.assert_allclose(history[column], expected[column], rtol=rtol, err_msg=column)
        np.testing.assert_allclose(run.params, alone.params, rtol=rtol)
    if name == "or_and" and target is not None:  # some runs converge and leave the stack, the others go on
        assert Outcome.CONVERGED in {run.outcome for run in runs} and len({len(run.history) for run in runs}) > 1


def test_batched_genetic_runs_check_their_seeds():
    task = gm.get_task("not")
    trainer = gm.get_method("genetic").factory()
    with pytest.raises(ValueError, match="'seeds' parameter must be an int >= 0"):
        trainer.fit_runs(task, task.network(), None, task.X, task.Y, iterations=3, target=None, seeds=[1, -1],
                         settings={})  # fmt: skip


def test_train_with_seeds_batches_the_genetic_runs():
    runs = gm.train("or_and", method="genetic", seeds=[2, 9], iterations=15, target=0.05)
    assert [run.settings["seed"] for run in runs] == [2, 9]
    for seed, run in zip([2, 9], runs):
        alone = gm.train("or_and", method="genetic", seed=seed, iterations=15, target=0.05)
        assert run.outcome is alone.outcome and run.settings == alone.settings
        pd.testing.assert_frame_equal(run.history.drop(columns="seconds"), alone.history.drop(columns="seconds"))


def test_batched_tournament_and_gathers_equal_the_per_population_operators():
    from gradmethods.training.trainers.genetic import _take_per_run, _tournament_winners_per_run
    from gradmethods.training.trainers.operators import tournament_winners

    rng = np.random.default_rng(7)
    cost = rng.integers(0, 5, size=(6, 20)).astype(float)  # many ties
    cost[0, :3] = np.inf
    cost[2, ::3] = -0.0  # equal to +0.0
    for t in (1, 2, 3, 5):
        entrants = rng.integers(0, 20, size=(6, 30, t))
        expected = np.stack([tournament_winners(cost[a], entrants[a]) for a in range(6)])
        assert np.array_equal(_tournament_winners_per_run(cost, entrants), expected)
    index = rng.integers(0, 20, size=(6, 11))
    assert np.array_equal(_take_per_run(cost, index), np.take_along_axis(cost, index, axis=1))
    assert np.array_equal(_take_per_run(cost[:, 4:], index % 16), np.take_along_axis(cost[:, 4:], index % 16, axis=1))


def test_histories_grow_past_their_first_allocation_and_a_huge_budget_needs_no_memory():
    """No record is sized by the budget: 10**12 generations with a target is an ordinary run, and a run longer than
    the first allocation keeps every row (batched and alone alike)."""
    from gradmethods.training.trainers.genetic import FIRST_HISTORY_ROWS

    huge = gm.train("or_and", method="genetic", seed=0, iterations=10**12, target=0.05)
    assert huge.converged and len(huge.history) < 1000
    generations = 2 * FIRST_HISTORY_ROWS + 7
    alone = [gm.train("xor", method="genetic", seed=s, iterations=generations, population_size=8) for s in (3, 4)]
    batch = gm.train("xor", method="genetic", seeds=[3, 4], iterations=generations, population_size=8)
    for single, batched in zip(alone, batch):
        assert len(single.history) == len(batched.history) == generations
        assert single.history["iteration"].tolist() == list(range(generations))
        pd.testing.assert_frame_equal(single.history.drop(columns="seconds"), batched.history.drop(columns="seconds"))
