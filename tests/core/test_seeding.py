"""numpy's default_rng(seed) streams computed for many seeds at once: numpy's own numbers, bit for bit.

Every expected number here comes from numpy's generators (an independent implementation,
in C and Cython), one seed at a time.
"""

import numpy as np
import pytest

import gradmethods as gm
from gradmethods.core import seeding

EDGE_SEEDS = [0, 1, 2, 3, 255, 2**16, 2**31 - 1, 2**31, 2**32 - 1, 2**32, 2**32 + 1, 2**40, 2**63 - 1, 2**63,
              2**64 - 1]  # fmt: skip


def _random_seeds(count: int, high: int, seed: int) -> list[int]:
    return np.random.default_rng(seed).integers(0, high, size=count, dtype=np.uint64).tolist()


SEEDS = EDGE_SEEDS + _random_seeds(200, 2**32, 1) + _random_seeds(200, 2**64 - 1, 2)


def test_seed_sequence_state_is_numpys():
    state = seeding.seed_sequence_state(np.array(SEEDS, dtype=np.uint64))
    expected = np.stack([np.random.SeedSequence(seed).generate_state(4, np.uint64) for seed in SEEDS])
    assert state.dtype == np.uint64 and state.shape == (len(SEEDS), 4)
    np.testing.assert_array_equal(state, expected)


@pytest.mark.parametrize("n_words", [0, 1, 5, 64])
def test_the_array_path_gives_numpys_raw_words(n_words):
    words = seeding._pcg64_words_vectorized(np.array(SEEDS, dtype=np.uint64), n_words)
    expected = np.stack([np.random.default_rng(seed).bit_generator.random_raw(n_words) for seed in SEEDS])
    assert words.dtype == np.uint64 and words.shape == (len(SEEDS), n_words)
    np.testing.assert_array_equal(words, expected)


@pytest.mark.parametrize("vectorized", [True, False])
def test_both_paths_of_pcg64_words_give_numpys_words(monkeypatch, vectorized):
    monkeypatch.setattr(seeding, "vectorized_pays", lambda n_seeds, n_words: vectorized)
    seeds = EDGE_SEEDS + _random_seeds(30, 2**63, 3)
    expected = np.stack([np.random.PCG64(seed).random_raw(7) for seed in seeds])
    np.testing.assert_array_equal(seeding.pcg64_words(seeds, 7), expected)
    np.testing.assert_array_equal(seeding.pcg64_words(np.array(seeds, dtype=np.uint64), 7), expected)


def test_seeds_beyond_64_bits_and_bad_seeds():
    big = [2**64, 2**70 + 3, 0]
    np.testing.assert_array_equal(seeding.pcg64_words(big, 3),
                                  np.stack([np.random.PCG64(seed).random_raw(3) for seed in big]))  # fmt: skip
    with pytest.raises(ValueError, match="seeds must be ints >= 0; got -1"):
        seeding.pcg64_words([3, -1], 2)
    assert seeding.pcg64_words([], 4).shape == (0, 4)


def test_seed_array_takes_ints_of_any_size_and_refuses_the_rest():
    assert seeding.seed_array(range(3)).tolist() == [0, 1, 2] and seeding.seed_array(range(3)).dtype == np.uint64
    assert seeding.seed_array([1, 2**64 - 1]).tolist() == [1, 2**64 - 1]  # numpy alone would make floats of it
    assert seeding.seed_array([2**70, np.int64(3)]).tolist() == [2**70, 3]
    assert seeding.seed_array(np.array([3], dtype=np.int8)).dtype == np.uint64 and seeding.seed_array([]).size == 0
    for bad in ([True], [1.0], ["1"], [[1]], [1, "a", 2**70], [2**70, True], np.array([1.0]), 5, np.array([True])):
        with pytest.raises(ValueError, match="seeds must be a sequence of ints >= 0; got "):
            seeding.seed_array(bad)
    for negative in ([2**63, -1], np.array([4, -1]), [2**70, -1]):
        with pytest.raises(ValueError, match="seeds must be ints >= 0; got -1"):
            seeding.seed_array(negative)


def test_the_array_path_is_chosen_for_many_seeds_and_numpy_for_wide_networks():
    assert seeding.vectorized_pays(10_000, 4)  # gm.train("or_and", seeds=range(10_000))
    assert seeding.vectorized_pays(1_000, 50)
    assert not seeding.vectorized_pays(3, 100_000)  # a few runs of 784-128-10
    assert not seeding.vectorized_pays(1, 4)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("layers", [(2, 2), (2, 2, 1), (2, 3, 3, 1), (4, 8, 8, 3), (64, 16, 10)])
def test_a_seeded_stack_is_init_params_of_each_seeds_default_rng(layers, dtype):
    net = gm.Network(list(layers))
    seeds = EDGE_SEEDS + _random_seeds(300, 2**63, 4)
    stack = net.init_params_for_seeds(seeds, dtype)
    expected = np.stack([net.init_params(np.random.default_rng(seed), dtype=dtype) for seed in seeds])
    assert stack.dtype == np.dtype(dtype)
    np.testing.assert_array_equal(stack, expected)  # bit for bit, whichever path drew the words
