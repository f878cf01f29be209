"""Genetic operators: shapes, dtypes, purity and the distributions theory predicts."""

import doctest

import numpy as np
import pytest

from gradmethods.training.trainers import operators
from gradmethods.training.trainers.operators import (
    CROSSOVERS,
    SELECTIONS,
    arithmetic_crossover,
    blend_crossover,
    gaussian_mutation,
    rank_selection,
    tournament_selection,
    truncation_selection,
    uniform_crossover,
)

DTYPES = [np.float32, np.float64]


def test_doctests():
    assert doctest.testmod(operators).failed == 0


@pytest.mark.parametrize("name", sorted(SELECTIONS))
def test_selection_returns_n_valid_indices(name):
    cost = np.array([0.5, np.inf, 0.1, 0.3, 0.2])
    picked = SELECTIONS[name](cost, 7, np.random.default_rng(1))
    assert picked.shape == (7,)
    assert picked.dtype.kind == "i"
    assert picked.min() >= 0 and picked.max() < cost.shape[0]


@pytest.mark.parametrize("name", sorted(SELECTIONS))
def test_selection_is_reproducible_and_pure(name):
    cost = np.array([0.5, 0.4, 0.1, 0.3, 0.2])
    before = cost.copy()
    first = SELECTIONS[name](cost, 50, np.random.default_rng(7))
    second = SELECTIONS[name](cost, 50, np.random.default_rng(7))
    np.testing.assert_array_equal(first, second)
    np.testing.assert_array_equal(cost, before)


def test_huge_tournament_always_picks_the_best():
    # With 500 entrants drawn from 5 members, missing the best has probability 0.8**500 ~ 1e-49.
    cost = np.array([0.5, 0.4, 0.1, 0.3, np.inf])
    picked = tournament_selection(cost, 100, np.random.default_rng(0), size=500)
    assert np.all(picked == 2)


def test_tournament_of_one_is_uniform():
    cost = np.array([0.0, 1.0, 2.0, 3.0])
    picked = tournament_selection(cost, 40_000, np.random.default_rng(0), size=1)
    np.testing.assert_allclose(np.bincount(picked, minlength=4) / 40_000, 0.25, atol=0.01)


def test_binary_tournament_frequencies_match_theory():
    # Size-2 tournament with replacement on R members: P(rank r wins) = ((R - r)^2 - (R - r - 1)^2) / R^2.
    cost = np.array([3.0, 0.0, 2.0, 1.0])  # ranks: member 1 best, then 3, 2, 0
    picked = tournament_selection(cost, 80_000, np.random.default_rng(3), size=2)
    expected_by_rank = np.array([7, 5, 3, 1]) / 16
    expected = expected_by_rank[[3, 0, 2, 1]]
    np.testing.assert_allclose(np.bincount(picked, minlength=4) / 80_000, expected, atol=0.01)


def test_rank_selection_linear_probabilities():
    # pressure 2 on three members: probabilities 2/3, 1/3, 0 for ranks 0, 1, 2.
    cost = np.array([0.9, 0.1, 0.5])
    picked = rank_selection(cost, 60_000, np.random.default_rng(2), pressure=2.0)
    freq = np.bincount(picked, minlength=3) / 60_000
    np.testing.assert_allclose(freq, [0.0, 2 / 3, 1 / 3], atol=0.01)


def test_truncation_picks_only_the_best_share():
    cost = np.array([0.6, 0.1, 0.9, 0.3, 0.2, 0.8])
    picked = truncation_selection(cost, 1000, np.random.default_rng(0), share=0.5)
    assert set(np.unique(picked)) == {1, 3, 4}  # the three lowest costs


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", sorted(CROSSOVERS))
def test_crossover_keeps_shape_and_dtype_and_inputs(name, dtype):
    rng = np.random.default_rng(0)
    first = rng.normal(size=(6, 9)).astype(dtype)
    second = rng.normal(size=(6, 9)).astype(dtype)
    kept_first, kept_second = first.copy(), second.copy()
    child = CROSSOVERS[name](first, second, np.random.default_rng(1))
    assert child.shape == (6, 9)
    assert child.dtype == dtype
    np.testing.assert_array_equal(first, kept_first)
    np.testing.assert_array_equal(second, kept_second)


def test_uniform_crossover_takes_each_gene_from_a_parent():
    first, second = np.zeros((200, 50)), np.ones((200, 50))
    child = uniform_crossover(first, second, np.random.default_rng(0))
    assert set(np.unique(child)) == {0.0, 1.0}
    assert abs(child.mean() - 0.5) < 0.02


def test_blend_crossover_stays_in_the_widened_interval():
    rng = np.random.default_rng(0)
    first, second = rng.normal(size=(300, 8)), rng.normal(size=(300, 8))
    low, high = np.minimum(first, second), np.maximum(first, second)
    child = blend_crossover(first, second, np.random.default_rng(1), alpha=0.5)
    width = high - low
    assert np.all(child >= low - 0.5 * width - 1e-12)
    assert np.all(child <= high + 0.5 * width + 1e-12)
    assert np.any(child < low) and np.any(child > high)  # alpha > 0 does leave the interval
    inside = blend_crossover(first, second, np.random.default_rng(1), alpha=0.0)
    assert np.all((inside >= low - 1e-12) & (inside <= high + 1e-12))


def test_arithmetic_crossover_uses_one_weight_per_child():
    rng = np.random.default_rng(0)
    first, second = rng.normal(size=(10, 5)), rng.normal(size=(10, 5))
    child = arithmetic_crossover(first, second, np.random.default_rng(1))
    weight = (child - second) / (first - second)  # the same w on every gene of a child
    np.testing.assert_allclose(weight, weight[:, :1].repeat(5, axis=1), rtol=1e-9)
    assert np.all((weight >= 0) & (weight <= 1))


@pytest.mark.parametrize("dtype", DTYPES)
def test_mutation_keeps_shape_dtype_and_input(dtype):
    population = np.ones((4, 7), dtype=dtype)
    mutated = gaussian_mutation(population, np.random.default_rng(0), rate=0.5, scale=0.1)
    assert mutated.shape == (4, 7) and mutated.dtype == dtype
    np.testing.assert_array_equal(population, np.ones((4, 7), dtype=dtype))


def test_mutation_rate_and_scale():
    population = np.zeros((400, 250))
    none = gaussian_mutation(population, np.random.default_rng(0), rate=0.0, scale=1.0)
    np.testing.assert_array_equal(none, population)
    some = gaussian_mutation(population, np.random.default_rng(0), rate=0.3, scale=2.0)
    changed = some != 0
    assert abs(changed.mean() - 0.3) < 0.01
    assert abs(some[changed].std() - 2.0) < 0.03
    assert abs(some[changed].mean()) < 0.03
