"""The digits data and task: shapes, scaling, one-hot targets, the stratified split, the missing-sklearn message."""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import gradmethods as gm
from gradmethods.core.datasets import (
    DIGITS_SPLIT_SEED,
    held_out_data,
    load_digits,
    one_hot,
    stratified_split,
)

sklearn_datasets = pytest.importorskip("sklearn.datasets")


@pytest.fixture(scope="module")
def raw_digits():
    """The data straight from scikit-learn, independent of the code under test."""
    images = sklearn_datasets.load_digits()
    return images.data, images.target


@pytest.fixture(scope="module")
def digits_task():
    return gm.get_task("digits")


def test_digits_task_is_listed_without_importing_sklearn():
    code = "import sys, gradmethods as gm; assert 'digits' in gm.tasks(); print('sklearn' in sys.modules)"
    env = {**os.environ, "PYTHONPATH": str(Path(gm.__file__).parents[1])}  # this checkout's gradmethods
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env).stdout
    assert out.strip() == "False"


def test_shapes_and_network(digits_task, raw_digits):
    X_test, Y_test = held_out_data(digits_task)
    assert digits_task.X.shape == (1438, 64) and digits_task.Y.shape == (1438, 10)
    assert X_test.shape == (359, 64) and Y_test.shape == (359, 10)
    assert len(digits_task.X) + len(X_test) == len(raw_digits[0]) == 1797
    assert digits_task.layer_sizes == (64, 32, 10)
    assert digits_task.network().n_params == 64 * 32 + 32 + 32 * 10 + 10 == 2410


def test_pixels_are_the_raw_intensities_divided_by_16(raw_digits):
    data, _ = raw_digits
    split = load_digits()
    assert np.array_equal(split.X_train, data[split.train_index] / 16)
    assert np.array_equal(split.X_test, data[split.test_index] / 16)
    both = np.concatenate([split.X_train, split.X_test])
    assert both.min() == 0.0 and both.max() == 1.0


def test_targets_are_one_hot_of_the_labels(raw_digits):
    _, target = raw_digits
    split = load_digits()
    for Y, labels, index in ((split.Y_train, split.labels_train, split.train_index),
                             (split.Y_test, split.labels_test, split.test_index)):  # fmt: skip
        assert set(np.unique(Y)) == {0.0, 1.0}
        assert np.array_equal(Y.sum(axis=1), np.ones(len(Y)))
        assert np.array_equal(Y.argmax(axis=1), labels)
        assert np.array_equal(labels, target[index])


def test_split_is_stratified_disjoint_and_complete(raw_digits):
    _, target = raw_digits
    split = load_digits()
    assert np.array_equal(np.sort(np.concatenate([split.train_index, split.test_index])), np.arange(1797))
    counts = np.bincount(target, minlength=10)
    assert np.array_equal(np.bincount(split.labels_test, minlength=10), np.rint(0.2 * counts).astype(int))
    assert np.array_equal(np.bincount(split.labels_train, minlength=10), counts - np.rint(0.2 * counts).astype(int))


def test_split_is_fixed_across_calls_and_depends_on_the_seed():
    first, second = gm.get_task("digits"), gm.get_task("digits")
    assert np.array_equal(first.metadata["X_test"], second.metadata["X_test"])
    assert np.array_equal(first.X, second.X)
    assert first.metadata["split_seed"] == DIGITS_SPLIT_SEED
    other = load_digits(seed=DIGITS_SPLIT_SEED + 1)
    assert not np.array_equal(other.test_index, load_digits().test_index)


def test_overrides_keep_the_test_set():
    task = gm.get_task("digits", cost="half_sse", lr=4.0)
    assert task.cost == "half_sse" and held_out_data(task)[0].shape == (359, 64)


def test_stratified_split_on_a_small_example():
    labels = np.array([0] * 10 + [1] * 5 + [2] * 2)
    train, test = stratified_split(labels, 0.2, np.random.default_rng(1))
    # round(0.2 * 10) = 2, round(0.2 * 5) = 1, round(0.2 * 2) = 0
    assert np.array_equal(np.bincount(labels[test], minlength=3), [2, 1, 0])
    assert np.array_equal(np.sort(np.concatenate([train, test])), np.arange(17))
    with pytest.raises(ValueError, match="test_fraction"):
        stratified_split(labels, 1.0, np.random.default_rng(1))


def test_one_hot():
    assert np.array_equal(one_hot([1, 0, 2], 3), [[0, 1, 0], [1, 0, 0], [0, 0, 1]])
    with pytest.raises(ValueError, match=r"\[0, 3\)"):
        one_hot([3], 3)
    with pytest.raises(ValueError, match="ints"):
        one_hot([0.5], 3)


def test_held_out_data_needs_a_test_set():
    with pytest.raises(ValueError, match="no held-out test set"):
        held_out_data(gm.get_task("xor"))


def test_missing_sklearn_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "sklearn.datasets", None)  # makes `import sklearn.datasets` fail
    with pytest.raises(ImportError, match=r"pip install gradmethods\[data\]"):
        gm.get_task("digits")


def test_backprop_reaches_95_percent_test_accuracy(digits_task):
    # The numpy engine: on this 64-32-10 network (1438 patterns) it trains 5-8 times faster than the compiled
    # serial kernel that engine="auto" picks, to the same numbers up to rounding (test accuracy 0.972 on both).
    result = gm.train(digits_task, init="random", seed=0, iterations=500, engine="numpy")
    X_test, Y_test = held_out_data(digits_task)
    assert gm.accuracy(digits_task.network(), result.params, X_test, Y_test) >= 0.95
