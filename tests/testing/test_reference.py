"""The independent reference: layout, formulas and derivatives checked by hand, and kink crossings."""

import math

import numpy as np
import pytest

import gradmethods as gm
from gradmethods.testing import relative_error
from gradmethods.testing.reference import (
    ACTIVATIONS,
    KINKS,
    Spec,
    kink_crossings,
    reference_cost,
    reference_gradients,
    reference_layers,
    reference_trace,
)


def test_the_flat_layout_is_the_documented_one():
    # Per layer: W (fan_in, fan_out) row-major, so W[i, j] sits at i * fan_out + j, then b.
    (W1, b1), (W2, b2) = reference_layers((2, 3, 1), np.arange(13.0))
    assert W1.tolist() == [[0, 1, 2], [3, 4, 5]] and b1.tolist() == [6, 7, 8]
    assert W2.tolist() == [[9], [10], [11]] and b2.tolist() == [12]
    with pytest.raises(ValueError, match="has 13 parameters; got 12"):
        reference_layers((2, 3, 1), np.arange(12.0))


def test_one_tanh_neuron_by_hand():
    # C = mean over patterns of (tanh(w x + b) - y)^2 / 2; dC/dw = mean (a - y)(1 - a^2) x, dC/db likewise
    # without x, dC/dx_n = (a_n - y_n)(1 - a_n^2) w / N.
    w, b = 0.7, -0.2
    X, Y = np.array([[0.5], [-1.5]]), np.array([[0.1], [0.3]])
    a = np.tanh(w * X[:, 0] + b)
    delta = (a - Y[:, 0]) * (1 - a * a)
    result = reference_gradients(Spec((1, 1), ("tanh",), "half_sse"), np.array([w, b]), X, Y)
    assert result.value == pytest.approx(np.mean(0.5 * (a - Y[:, 0]) ** 2), rel=1e-15)
    assert relative_error(result.grad, [np.mean(delta * X[:, 0]), np.mean(delta)]) <= 1e-15
    assert relative_error(result.input_grad[:, 0], delta * w / 2) <= 1e-15
    # The sizes of the terms: a - y is summed from |a| + |y|, the cost from (|a| + |y|)^2 / 2.
    terms, slope = np.abs(a) + np.abs(Y[:, 0]), 1 - a * a
    assert result.value_scale == pytest.approx(np.mean(0.5 * terms**2), rel=1e-15)
    assert result.grad_scale == pytest.approx(max(np.mean(terms * slope * np.abs(X[:, 0])), np.mean(terms * slope)),
                                              rel=1e-15)  # fmt: skip
    assert result.input_grad_scale == pytest.approx(np.max(terms * slope * w / 2), rel=1e-15)


def test_sigmoid_cross_entropy_by_hand_even_when_saturated():
    # C = softplus(z) - y z per output, dC/dz = sigmoid(z) - y: at z = +-40 the log form would overflow.
    X, Y = np.array([[1.0], [-1.0]]), np.array([[0.0, 1.0], [1.0, 0.0]])
    params = np.array([40.0, -40.0, 0.0, 0.0])
    result = reference_gradients(Spec((1, 2), ("sigmoid",), "cross_entropy"), params, X, Y)
    z = X @ params[:2].reshape(1, 2)
    delta = (1 / (1 + np.exp(-z)) - Y) / 2
    assert result.value == pytest.approx(np.mean(np.sum(np.logaddexp(0, z) - Y * z, axis=1)), rel=1e-15)
    assert relative_error(result.grad, np.concatenate([(X.T @ delta).ravel(), delta.sum(axis=0)])) <= 1e-15


def test_relu_derivative_is_zero_or_one_away_from_the_kink():
    spec = Spec((1, 2), ("relu",), "half_sse")  # z = (2x - 1, -x + 0.5): one active, one not at x = 1
    result = reference_gradients(spec, np.array([2.0, -1.0, -1.0, 0.5]), np.array([[1.0]]), np.array([[0.0, 0.0]]))
    # C = ((2x - 1)^2 + 0) / 2: dC/dW0 = (2x - 1) x = 1, dC/db0 = 1, the inactive neuron's are 0; dC/dx = 2.
    assert result.grad.tolist() == [1.0, 0.0, 1.0, 0.0]
    assert result.input_grad.tolist() == [[2.0]]


def test_stacks_broadcast_through_the_forward_pass():
    spec = Spec((2, 3, 2), ("tanh", "sigmoid"), "half_sse")
    rng = np.random.default_rng(0)
    stack, X, Y = rng.normal(size=(4, spec.n_params)), rng.normal(size=(5, 2)), rng.uniform(size=(5, 2))
    costs = reference_cost(spec, stack, X, Y)
    assert costs.shape == (4,)
    for r, row in enumerate(stack):
        assert costs[r] == pytest.approx(float(reference_cost(spec, row, X, Y)), rel=1e-14)
        np.testing.assert_allclose(reference_trace(spec, stack, X)[-1][1][r], reference_trace(spec, row, X)[-1][1],
                                   rtol=1e-14)  # fmt: skip


def test_kink_crossings_by_hand():
    spec = Spec((2, 1), ("relu",), "half_sse")
    # z = 1 * 0.5 + 1 * 0.1 - 0.5999 = 1e-4 above the kink.
    params, X = np.array([1.0, 1.0, -0.5999]), np.array([[0.5, 0.1]])
    # A step r moves z by r X[0, i] for weight i, by r for the bias, by r W[i] for input i: it crosses when
    # that reaches 1e-4.
    assert kink_crossings(spec, params, X, 2e-3).tolist() == [True, True, True]
    assert kink_crossings(spec, params, X, 5e-4).tolist() == [True, False, True]
    assert kink_crossings(spec, params, X, 5e-5).tolist() == [False, False, False]
    assert kink_crossings(spec, params, X, 5e-4, wrt="inputs").tolist() == [[True, True]]
    assert kink_crossings(spec, params, X, 0.0).tolist() == [False, False, False]
    smooth = Spec((2, 1), ("tanh",), "half_sse")
    assert not kink_crossings(smooth, params, X, 0.5).any()


def test_the_reference_knows_the_built_in_activations_and_their_kinks():
    assert set(ACTIVATIONS) <= set(gm.activation_names())
    for name in ACTIVATIONS:
        activation = gm.get_activation(name)
        assert KINKS.get(name, ()) == tuple(getattr(activation, "kinks", KINKS.get(name, ())))
        assert (name in KINKS) == (not activation.analytic)
    with pytest.raises(ValueError, match="no formula for .*'softsign'.*gradmethods.testing.reference.ACTIVATIONS"):
        Spec((1, 1), ("softsign",), "half_sse")


def test_the_complex_step_is_exact_to_rounding_where_differences_are_not():
    # d/dw of tanh(w) at w = 0.3 is 1 - tanh(0.3)^2: the reference gets it to the last bits.
    result = reference_gradients(Spec((1, 1), ("tanh",), "half_sse"), np.array([0.3, 0.0]),
                                 np.array([[1.0]]), np.array([[0.0]]))  # fmt: skip
    a = math.tanh(0.3)
    assert result.grad[0] == pytest.approx(a * (1 - a * a), rel=1e-15)
