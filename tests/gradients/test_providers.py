"""Conformance of every registered gradient provider against an independent reference.

The reference is written here, not taken from the package: its own forward pass over
complex numbers, and complex-step derivatives taken one parameter (or input) at a time
in a plain Python loop, with h = 1e-30, which is exact to rounding for these
functions.  A provider registered later is tested by the same code for free.
"""

import functools
import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import gradmethods as gm

#: Accepted max relative error against the reference (see gradmethods.analysis.gradient_check); others: 1e-5.
TOLERANCE = {"backprop": 1e-12, "dual": 1e-12, "complex_step": 1e-13, "fd_central": 1e-7, "fd_forward": 1e-5,
             "fd_richardson": 1e-9}
DEFAULT_TOLERANCE = 1e-5
#: Methods that difference real costs: their absolute error cannot go below ~sqrt(eps |C C''|)
#: (forward) or ~eps**(2/3) |C| (central), whatever the gradient's size, so their error is
#: measured against max(|g_ref|_inf, |C|) instead of |g_ref|_inf alone.  A deep chain of
#: sigmoids can make dC/dX 1e-3 of the cost; there fd_forward's error relative to |g|_inf is
#: ~2e-5 for any step.
COST_SCALED = {"fd_central", "fd_forward", "fd_richardson"}
H = 1e-30

REFERENCE_ACTIVATIONS = {
    "sigmoid": lambda z: 1 / (1 + np.exp(-z)),
    "tanh": np.tanh,
    "relu": lambda z: np.where(z.real > 0, z, 0),
    "identity": lambda z: z,
}


def reference_cost(sizes, activations, cost, params, X, Y):
    """Mean cost of one network, written from the documented layout: per layer W row-major, then b."""
    a, offset = X, 0
    for (fan_in, fan_out), name in zip(zip(sizes[:-1], sizes[1:]), activations):
        W = params[offset : offset + fan_in * fan_out].reshape(fan_in, fan_out)
        offset += fan_in * fan_out
        b = params[offset : offset + fan_out]
        offset += fan_out
        z = a @ W + b
        a = REFERENCE_ACTIVATIONS[name](z)
    if cost == "half_sse":
        per_pattern = 0.5 * ((a - Y) ** 2).sum(axis=1)
    else:  # cross entropy after a sigmoid, in terms of z
        per_pattern = (np.log(1 + np.exp(z)) - Y * z).sum(axis=1)
    return per_pattern.mean()


def reference_gradients(sizes, activations, cost, params, X, Y):
    """dC/dw and dC/dX by a complex step per coordinate, in a loop."""
    grad = np.empty(params.size)
    for j in range(params.size):
        w = params.astype(complex)
        w[j] += 1j * H
        grad[j] = reference_cost(sizes, activations, cost, w, X, Y).imag / H
    grad_X = np.empty(X.size)
    for j in range(X.size):
        x = X.astype(complex).ravel()
        x[j] += 1j * H
        grad_X[j] = reference_cost(sizes, activations, cost, params, x.reshape(X.shape), Y).imag / H
    value = reference_cost(sizes, activations, cost, params, X, Y)
    return value, grad, grad_X.reshape(X.shape)


def relative_error(g, ref, floor=0.0):
    return np.abs(g - ref).max() / max(np.abs(ref).max(), floor, np.finfo(float).tiny)


@st.composite
def problems(draw):
    n_layers = draw(st.integers(1, 4))
    sizes = [draw(st.integers(1, 16)) for _ in range(n_layers + 1)]
    cost = draw(st.sampled_from(gm.cost_names()))
    names = gm.activation_names()
    activations = [draw(st.sampled_from(names)) for _ in range(n_layers)]
    if cost == "cross_entropy":
        activations[-1] = "sigmoid"
    stack = draw(st.sampled_from([None, 2]))
    n_patterns = draw(st.integers(1, 4))
    seed = draw(st.integers(0, 2**32 - 1))
    return sizes, activations, cost, stack, n_patterns, seed


def build(sizes, activations, cost, stack, n_patterns, seed):
    net = gm.Network(sizes, activation=activations, cost=cost)
    rng = np.random.default_rng(seed)
    params = net.init_params(rng, size=stack)
    params = params + 0.1 * rng.standard_normal(params.shape)  # nonzero biases
    X = rng.uniform(-1, 1, size=(n_patterns, sizes[0]))
    Y = rng.uniform(0, 1, size=(n_patterns, sizes[-1]))
    return net, params, X, Y


@pytest.mark.parametrize("name", gm.providers())
@settings(max_examples=20, derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problem=problems())
def test_provider_matches_independent_reference(name, problem):
    sizes, activations, cost, stack, n_patterns, seed = problem
    net, params, X, Y = build(*problem)
    provider = gm.get_provider(name)
    if getattr(provider, "analytic_only", False) and not all(a.analytic for a in net.activations):
        with pytest.raises(ValueError, match="fd_central"):
            provider.value_and_grad(net, params, X, Y)
        return
    tolerance = TOLERANCE.get(name, DEFAULT_TOLERANCE)
    value, grad = provider.value_and_grad(net, params, X, Y)
    grad_X = provider.input_grad(net, params, X, Y)
    assert grad.shape == params.shape
    assert grad_X.shape == (() if stack is None else (stack,)) + X.shape
    rows = [params] if stack is None else list(params)
    values = [value] if stack is None else list(value)
    grads = [grad] if stack is None else list(grad)
    grads_X = [grad_X] if stack is None else list(grad_X)
    for row, v, g, gx in zip(rows, values, grads, grads_X):
        ref_value, ref_grad, ref_grad_X = reference_gradients(sizes, activations, cost, row, X, Y)
        assert math.isclose(float(v), ref_value.real, rel_tol=1e-13, abs_tol=1e-300)
        floor = abs(ref_value.real) if name in COST_SCALED else 0.0
        assert relative_error(g, ref_grad, floor) <= tolerance
        assert relative_error(gx, ref_grad_X, floor) <= tolerance


@pytest.mark.parametrize("name", gm.providers())
def test_provider_counts_one_gradient_per_network(name):
    net = gm.Network([2, 3, 1])
    params = net.init_params(np.random.default_rng(1), size=3)
    X, Y = np.ones((2, 2)), np.zeros((2, 1))
    provider = gm.get_provider(name)
    provider.value_and_grad(net, params, X, Y)
    counts = provider.counts()
    assert counts["njev"] == 3
    assert counts["nfev"] >= 3 and counts["forward_passes"] >= 3
    provider.reset_counts()
    assert set(provider.counts().values()) == {0}


@pytest.mark.parametrize("name", gm.providers())
def test_training_history_has_every_counter(name):
    result = gm.train("example4", method=name, iterations=3)
    for column in gm.get_provider(name).counts():
        assert column in result.history.columns
    assert list(result.history["njev"]) == [1, 2, 3]


@pytest.mark.parametrize("name", [p for p in gm.providers() if p != "backprop"])
@pytest.mark.parametrize(
    "task, iterations", [("example4", None), ("example1", 1000), ("not", 1000), ("example3", 1000)]
)
def test_training_follows_backprop(name, task, iterations):
    """With the post's settings (example4 in full; the others' first 1000 updates), the
    final float64 error equals backprop's to at least 6 significant digits."""
    ours = gm.train(task, method=name, iterations=iterations)
    rows, error = backprop_run(task, iterations)
    assert len(ours.history) == rows
    assert ours.final_error == pytest.approx(error, rel=1e-6)


@functools.cache
def backprop_run(task, iterations):
    result = gm.train(task, method="backprop", iterations=iterations)
    return len(result.history), result.final_error


@pytest.mark.slow
@pytest.mark.parametrize("name", [p for p in gm.providers() if p != "backprop"])
@pytest.mark.parametrize("task", ["example1", "not", "example3"])
def test_training_full_post_settings(name, task):
    ours = gm.train(task, method=name)
    assert ours.final_error == pytest.approx(backprop_run(task, None)[1], rel=1e-6)
