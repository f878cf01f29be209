"""Gradient descent's per-layer gradient norms (``record_grad_norms``)."""

import numpy as np
import pytest

import gradmethods as gm
from gradmethods.training.trainers.gradient_descent import layer_gradient_norms

TASK = gm.get_task("xor", layer_sizes=(2, 4, 3, 1))  # three layers of different sizes
LR, ITERATIONS = 2.0, 40


def reference_norms(params: np.ndarray) -> np.ndarray:
    """An independent loop: backprop's gradient at each point, per-layer norms from ``unpack``, the post's update."""
    net = TASK.network()
    X, Y = TASK.data()
    provider = gm.get_provider("backprop")
    norms = []
    p = params.copy()
    for _ in range(ITERATIONS):
        _, grad = provider.value_and_grad(net, p, X, Y)
        norms.append([np.sqrt(np.sum(W**2) + np.sum(b**2)) for W, b in net.unpack(grad)])
        p = p - LR * grad
    return np.array(norms)


def norm_columns(history):
    return history[[f"grad_norm_layer{k}" for k in range(3)]].to_numpy()


def test_one_run_records_each_layers_gradient_norm_at_each_row():
    result = gm.train(TASK, init="random", seed=3, lr=LR, iterations=ITERATIONS, record_grad_norms=True)
    assert list(result.history.columns[-3:]) == ["grad_norm_layer0", "grad_norm_layer1", "grad_norm_layer2"]
    expected = reference_norms(gm.initial_params(TASK, "random", seed=3))
    np.testing.assert_allclose(norm_columns(result.history), expected, rtol=1e-12)
    assert result.settings["record_grad_norms"] is True
    assert result.settings["engine"] == "numpy"  # the kernel records no norms: the default engine="auto" chose numpy
    plain = gm.train(TASK, init="random", seed=3, lr=LR, iterations=ITERATIONS, engine="numpy")
    assert not any(c.startswith("grad_norm") for c in plain.history.columns)
    np.testing.assert_array_equal(plain.history["cost"], result.history["cost"])  # recording changes nothing else


def test_a_stack_records_each_runs_norms_as_it_would_alone():
    seeds = [0, 1, 2]
    results = gm.train(TASK, init="random", seeds=seeds, lr=LR, iterations=ITERATIONS, record_grad_norms=True)
    for seed, result in zip(seeds, results):
        expected = reference_norms(gm.initial_params(TASK, "random", seed=seed))
        np.testing.assert_allclose(norm_columns(result.history), expected, rtol=1e-12)


def test_layer_gradient_norms_of_a_stack():
    net = gm.Network([1, 2, 1])  # layer 0: 2 weights + 2 biases; layer 1: 2 weights + 1 bias
    grad = np.array([[1.0, 1.0, 1.0, 1.0, 3.0, 0.0, 4.0], [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]])
    np.testing.assert_allclose(layer_gradient_norms(net, grad), [[2.0, 5.0], [0.0, 0.0]])


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"record_grad_norms": "yes"}, "'record_grad_norms' parameter must be a bool. Got 'yes'"),
        ({"record_grad_norms": True, "fast": True}, "does not record per-layer gradient norms"),
        ({"method": "genetic", "record_grad_norms": True}, "applies to gradient methods only"),
    ],
)
def test_bad_grad_norm_requests_are_clear_errors(kwargs, message):
    with pytest.raises(ValueError, match=message):
        gm.train(TASK, **{"init": "random", "seed": 0, "iterations": 5, **kwargs})
