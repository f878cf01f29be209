"""predict_classes and accuracy, against hand-made networks whose answers are known."""

import numpy as np
import pytest

import gradmethods as gm

# A 2-2 network with W = [[1, -1], [-1, 1]], b = 0: output 0 wins when x0 > x1.
PREFERS_FIRST = np.array([1.0, -1.0, -1.0, 1.0, 0.0, 0.0])
PREFERS_SECOND = -PREFERS_FIRST
X = np.array([[1.0, 0.0], [0.0, 1.0], [0.9, 0.2]])
LABELS = np.array([0, 1, 1])  # the third pattern is "wrong" for PREFERS_FIRST


def test_predict_classes_single_and_stack():
    net = gm.Network([2, 2])
    assert gm.predict_classes(net, PREFERS_FIRST, X).tolist() == [0, 1, 0]
    stacked = gm.predict_classes(net, np.stack([PREFERS_FIRST, PREFERS_SECOND]), X)
    assert stacked.tolist() == [[0, 1, 0], [1, 0, 1]]


def test_accuracy_from_labels_and_one_hot():
    net = gm.Network([2, 2])
    assert gm.accuracy(net, PREFERS_FIRST, X, LABELS) == pytest.approx(2 / 3)
    assert gm.accuracy(net, PREFERS_FIRST, X, np.eye(2)[LABELS]) == pytest.approx(2 / 3)
    stacked = gm.accuracy(net, np.stack([PREFERS_FIRST, PREFERS_SECOND]), X, LABELS)
    assert stacked.shape == (2,)
    np.testing.assert_allclose(stacked, [2 / 3, 1 / 3])


def test_single_output_is_thresholded_at_one_half():
    net = gm.Network([1, 1])
    params = np.array([1.0, 0.0])  # sigmoid(x) >= 0.5 exactly when x >= 0
    assert gm.accuracy(net, params, [[-2.0], [3.0], [1.0]], [[0.0], [1.0], [0.0]]) == pytest.approx(2 / 3)


def test_bad_targets_are_rejected():
    net = gm.Network([2, 2])
    with pytest.raises(ValueError, match=r"\(N, 2\)"):
        gm.accuracy(net, PREFERS_FIRST, X, np.zeros((3, 3)))
    with pytest.raises(ValueError, match="ints"):
        gm.accuracy(net, PREFERS_FIRST, X, np.array([0.0, 1.0, 1.0]))
    with pytest.raises(ValueError, match="3"):
        gm.accuracy(net, PREFERS_FIRST, X, LABELS[:2])


def test_task_scores_with_and_without_a_test_set():
    X_test = np.array([[0.2, 0.9], [0.8, 0.1]])
    Y_test = np.array([[0.0, 1.0], [0.0, 1.0]])
    task = gm.Task("toy", X, np.eye(2)[LABELS], (2, 2), metadata={"X_test": X_test, "Y_test": Y_test})
    scores = gm.task_scores(task, PREFERS_FIRST)
    assert scores["train_accuracy"] == pytest.approx(2 / 3)
    assert scores["test_accuracy"] == pytest.approx(1 / 2)  # the second test pattern is read as 0
    out = 1 / (1 + np.exp(-(X_test @ np.array([[1.0, -1.0], [-1.0, 1.0]]))))
    assert scores["test_error"] == pytest.approx(np.mean(np.sqrt(((Y_test - out) ** 2).sum(axis=1))))
    assert scores["test_cost"] == pytest.approx(np.mean(0.5 * ((Y_test - out) ** 2).sum(axis=1)))
    stacked = gm.task_scores(task, np.stack([PREFERS_FIRST, PREFERS_SECOND]))
    np.testing.assert_allclose(stacked["test_accuracy"], [1 / 2, 1 / 2])
    assert stacked["test_error"].shape == (2,)
    assert set(gm.task_scores(gm.get_task("xor"), np.zeros(9))) == {"train_accuracy"}
