"""Backprop against the independent complex-step reference, the fused output delta, counts and dtypes."""

import numpy as np
import pytest
from reference import reference_gradients

import gradmethods as gm
from gradmethods.testing import relative_error

ACTIVATIONS = ["sigmoid", "tanh", "relu", "identity"]


def random_problem(seed):
    """A random architecture (1-3 layers, widths 1-5), activations, cost, point and data."""
    rng = np.random.default_rng(seed)
    sizes = [int(n) for n in rng.integers(1, 6, size=rng.integers(2, 5))]
    activations = [str(a) for a in rng.choice(ACTIVATIONS, size=len(sizes) - 1)]
    cost = "cross_entropy" if seed % 3 == 0 else "half_sse"
    if cost == "cross_entropy":
        activations[-1] = "sigmoid"
    net = gm.Network(sizes, activation=activations, cost=cost)
    X = rng.normal(size=(int(rng.integers(1, 5)), sizes[0]))
    Y = rng.uniform(size=(X.shape[0], sizes[-1]))
    params = rng.normal(size=(3, net.n_params))
    # (relu: continuous draws put no pre-activation exactly on the kink, where the derivative is a convention)
    return net, activations, cost, params, X, Y


@pytest.mark.parametrize("seed", range(12))
def test_gradient_matches_the_independent_reference(seed):
    net, _, _, stack, X, Y = random_problem(seed)
    provider = gm.get_provider("backprop")
    for params in stack:
        value, grad = provider.value_and_grad(net, params, X, Y)
        expected = reference_gradients(net, params, X, Y)
        assert value == pytest.approx(expected.value, rel=1e-13)
        assert relative_error(grad, expected.grad) <= 1e-12


@pytest.mark.parametrize("seed", range(6))
def test_input_gradient_matches_the_independent_reference(seed):
    net, _, _, stack, X, Y = random_problem(seed)
    grad_X = gm.get_provider("backprop").input_grad(net, stack[0], X, Y)
    assert grad_X.shape == X.shape
    assert relative_error(grad_X, reference_gradients(net, stack[0], X, Y).input_grad) <= 1e-12


@pytest.mark.parametrize("seed", range(6))
def test_stack_results_equal_per_vector_results(seed):
    net, _, _, stack, X, Y = random_problem(seed)
    provider = gm.get_provider("backprop")
    costs, grads = provider.value_and_grad(net, stack, X, Y)
    input_grads = provider.input_grad(net, stack, X, Y)
    assert costs.shape == (3,) and grads.shape == stack.shape and input_grads.shape == (3,) + X.shape
    for r, params in enumerate(stack):
        value, grad = provider.value_and_grad(net, params, X, Y)
        np.testing.assert_allclose(costs[r], value, rtol=1e-14)
        np.testing.assert_allclose(grads[r], grad, rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(input_grads[r], provider.input_grad(net, params, X, Y), rtol=1e-12, atol=1e-15)


def test_sigmoid_cross_entropy_output_delta_is_output_minus_target():
    # Theory: for C = -y log a - (1 - y) log(1 - a), a = sigmoid(z): dC/dz = a - y; with one
    # layer and one pattern dC/db = a - y and dC/dW = x (a - y).
    net = gm.Network([2, 1], cost="cross_entropy")
    params, X, Y = np.array([0.3, -0.2, 0.1]), np.array([[1.0, 2.0]]), np.array([[1.0]])
    a = 1 / (1 + np.exp(-(0.3 * 1 - 0.2 * 2 + 0.1)))
    _, grad = gm.get_provider("backprop").value_and_grad(net, params, X, Y)
    np.testing.assert_allclose(grad, [1 * (a - 1), 2 * (a - 1), a - 1], rtol=1e-14)


def test_work_is_counted_per_network():
    net, _, _, stack, X, Y = random_problem(1)
    provider = gm.get_provider("backprop")
    provider.value_and_grad(net, stack, X, Y)
    provider.value_and_grad(net, stack[0], X, Y)
    assert (provider.nfev, provider.njev) == (4, 4)
    provider.reset_counts()
    assert provider.counts()["nfev"] == 0


def test_float32_in_float32_out():
    net = gm.Network([2, 2, 2])
    params = np.full(net.n_params, 0.1, dtype=np.float32)
    cost, grad = gm.get_provider("backprop").value_and_grad(net, params, np.ones((2, 2)), np.zeros((2, 2)))
    assert grad.dtype == np.float32 and np.asarray(cost).dtype == np.float32


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_a_stack_of_one_is_the_vector_call(seed, dtype):
    # The stack of one takes its own path (2-D matrices): the same numbers as the public vector
    # call, in the stack's shapes, and the reference's up to rounding.
    net, _, _, stack, X, Y = random_problem(seed)
    params, X, Y = stack[0].astype(dtype), X.astype(dtype), Y.astype(dtype)
    provider = gm.get_provider("backprop")
    value, grad = provider.value_and_grad(net, params, X, Y)
    costs, grads = provider.value_and_grad_prechecked(net, params[None, :], X, Y)
    assert costs.shape == (1,) and grads.shape == (1, net.n_params)
    assert costs.dtype == grads.dtype == np.dtype(dtype) and type(value) is np.dtype(dtype).type
    assert costs[0] == value and np.array_equal(grads[0], grad)
    expected = reference_gradients(net, stack[0], X.astype(np.float64), Y.astype(np.float64))
    tolerance = 1e-12 if dtype == "float64" else 1e-4
    assert relative_error(grad, expected.grad) <= tolerance
