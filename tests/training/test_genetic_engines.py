"""The genetic trainer's two engines give the same numbers bit for bit.

The numpy engine is the reference (its numbers are pinned in test_genetic_streams.py, whose independent replay
runs on the default engine); the compiled breeding step must give the same children from the same generators and
leave the generators in the same state, and whole runs must agree in every history column but ``seconds``.
"""

import copy

import numpy as np
import pytest

import gradmethods as gm
from gradmethods.training.trainers import genetic_compiled
from gradmethods.training.trainers.genetic import GeneticTrainer, _kept_half

needs_numba = pytest.mark.skipif(not genetic_compiled.available(), reason="numba is not installed")

CONFIGURATIONS = [
    {},
    {"crossover": "uniform", "mutation_decay": 0.9},
    {"crossover": "arithmetic", "selection": "truncation", "elitism": 0},
    {"tournament_size": 1, "loser_share": 0.5, "crossover_rate": 0.3, "mutation_rate": 1.0},
    {"selection": "truncation", "truncation_share": 0.01, "elitism": 5, "population_size": 6},
]


def _live_state(rng):
    """The generator's state that decides its next draws (a stale 32-bit half it does not keep aside)."""
    state = rng.bit_generator.state
    return state["state"], state["has_uint32"], state["uinteger"] if state["has_uint32"] else None


@needs_numba
@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_compiled_normals_are_numpys(dtype, seed):
    """Two million draws reach the ziggurat's wedges and its tail (|x| > r = 3.654...) many times."""
    ours, numpys = np.random.default_rng(seed), np.random.default_rng(seed)
    for rng in (ours, numpys):  # an odd number of 32-bit draws: the generator keeps a half (used by float32)
        rng.integers(0, 5, size=seed + 1)
    drawn = genetic_compiled.standard_normal(ours, 2_000_000, dtype)
    expected = numpys.standard_normal(2_000_000, dtype=dtype)
    assert (np.abs(expected) > 3.6541528853610087).sum() > 100
    assert drawn.dtype == np.dtype(dtype)
    assert drawn.tobytes() == expected.tobytes()
    assert _live_state(ours) == _live_state(numpys)


@needs_numba
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("settings", CONFIGURATIONS)
def test_compiled_breeding_gives_the_numpy_engines_children_and_generator_states(dtype, settings):
    trainer = GeneticTrainer(**settings)
    size, runs, n_params = trainer.population_size, 12, 6
    n = size - trainer.elitism
    data = np.random.default_rng(99)
    numpy_rngs = [np.random.default_rng(seed) for seed in range(runs)]
    for run, rng in enumerate(numpy_rngs):  # some runs keep a 32-bit half when the generation starts
        rng.integers(0, 7, size=run % 3)
    compiled_rngs = [copy.deepcopy(rng) for rng in numpy_rngs]
    pointers = genetic_compiled.generator_pointers(compiled_rngs)
    for generation in range(3):
        populations = (3 * data.standard_normal((runs, size, n_params))).astype(dtype)
        cost = data.random((runs, size))
        cost[:, ::3] = cost[:, 0:1]  # ties
        cost[0, :2] = np.inf
        order = np.argsort(cost, axis=1, kind="stable")
        half_kept = np.array([_kept_half(rng) for rng in numpy_rngs], dtype=np.int64)
        scale = 1.5 * 0.9**generation
        expected = trainer._breed_runs(populations, cost, order, n, scale, numpy_rngs, half_kept)
        children = genetic_compiled.breed_runs(trainer, populations, cost, order, n, scale, pointers)
        assert children.dtype == expected.dtype
        assert children.tobytes() == expected.tobytes()
        assert [_live_state(rng) for rng in compiled_rngs] == [_live_state(rng) for rng in numpy_rngs]


def _same_runs(first, second):
    for one, other in zip(first, second):
        assert one.outcome == other.outcome
        assert one.params.dtype == other.params.dtype and one.params.tobytes() == other.params.tobytes()
        columns = [column for column in one.history.columns if column != "seconds"]
        assert one.history[columns].equals(other.history[columns])


@needs_numba
@pytest.mark.parametrize(("task", "settings", "iterations", "dtype"), [
    ("or_and", {}, 80, "float64"),
    ("or_and", {}, 80, "float32"),
    ("xor", {"crossover": "uniform", "mutation_decay": 0.97}, 40, "float64"),
    ("xor", {"selection": "truncation", "crossover": "arithmetic", "elitism": 0, "population_size": 7}, 40,
     "float32"),
])  # fmt: skip
def test_both_engines_train_the_same_runs_alone_and_batched(task, settings, iterations, dtype):
    seeds = [0, 5, 11]
    runs = {}
    for engine in ("numpy", "numba"):
        batch = gm.train(task, "genetic", seeds=seeds, iterations=iterations, dtype=dtype, target=1e-3,
                         engine=engine, **settings)  # fmt: skip
        alone = [gm.train(task, "genetic", seed=seed, iterations=iterations, dtype=dtype, target=1e-3,
                          engine=engine, **settings) for seed in seeds]  # fmt: skip
        assert {run.settings["engine"] for run in [*batch, *alone]} == {engine}
        _same_runs(batch, alone)
        runs[engine] = batch
    _same_runs(runs["numpy"], runs["numba"])


def test_auto_breeds_on_numba_where_it_can_and_numpy_otherwise():
    auto = gm.train("not", "genetic", seed=0, iterations=3)
    assert auto.settings["engine"] == ("numba" if genetic_compiled.available() else "numpy")
    rank = gm.train("not", "genetic", seed=0, iterations=3, selection="rank")
    assert rank.settings["engine"] == "numpy"
    assert gm.train("not", "genetic", seed=0, iterations=3, engine="numpy").settings["engine"] == "numpy"


def test_engine_numba_refuses_what_it_cannot_breed_and_a_bad_engine_is_named():
    with pytest.raises(ValueError, match="engine='numba' cannot breed this run: .*selections"):
        gm.train("not", "genetic", seed=0, iterations=3, selection="rank", engine="numba")
    with pytest.raises(ValueError, match="engine"):
        gm.train("not", "genetic", seed=0, iterations=3, engine="gpu")
    with pytest.raises(ValueError, match="engine"):
        GeneticTrainer(engine="gpu")


@needs_numba
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_compiled_population_spread_is_numpys_std(dtype):
    data = np.random.default_rng(4)
    for runs, size, n_params in [(1, 2, 2), (3, 7, 9), (100, 96, 6), (2, 200, 17)]:
        scales = np.exp2(data.integers(-8, 8, (runs, size, n_params)))  # magnitudes that make the order matter
        populations = (data.standard_normal((runs, size, n_params)) * scales).astype(dtype)
        populations[0, 0, 0] = np.inf if size > 2 else populations[0, 0, 0]
        with np.errstate(invalid="ignore"):  # inf - inf in the run holding an inf: a NaN spread, as numpy's
            expected = np.std(populations, axis=1)
        spread = genetic_compiled.population_std(populations)
        assert spread.dtype == expected.dtype and spread.tobytes() == expected.tobytes()
