"""The dual number type and the dual provider."""

import math

import numpy as np
import pytest
from scipy import special

import gradmethods as gm
from gradmethods.core.dual import RULES, Dual
from gradmethods.gradients.dual import DualNumbers

# Derivatives written out by hand, independent of the rule table.
UNARY = {
    np.exp: (np.array([-1.0, 0.3, 2.0]), lambda x: np.exp(x)),
    np.log: (np.array([0.2, 1.0, 3.0]), lambda x: 1 / x),
    np.log1p: (np.array([-0.5, 0.0, 3.0]), lambda x: 1 / (1 + x)),
    np.sqrt: (np.array([0.25, 1.0, 9.0]), lambda x: 0.5 / np.sqrt(x)),
    np.square: (np.array([-2.0, 0.5, 3.0]), lambda x: 2 * x),
    np.negative: (np.array([-2.0, 0.5, 3.0]), lambda x: -np.ones_like(x)),
}


@pytest.mark.parametrize("ufunc", list(UNARY), ids=lambda f: f.__name__)
def test_unary_rules_match_hand_derivatives(ufunc):
    x, derivative = UNARY[ufunc]
    result = ufunc(Dual(x, np.ones((1,) + x.shape)))
    np.testing.assert_array_equal(result.value, ufunc(x))
    np.testing.assert_allclose(result.tangent[0], derivative(x), rtol=1e-14)


def test_binary_rules_match_hand_derivatives():
    x, y = np.array([0.5, 2.0, -1.5]), np.array([1.5, -0.25, 3.0])
    dx = Dual(x, np.stack([np.ones(3), np.zeros(3)]))  # direction 0: d/dx, direction 1: d/dy
    dy = Dual(y, np.stack([np.zeros(3), np.ones(3)]))
    cases = {
        "add": (dx + dy, (1, 1)),
        "subtract": (dx - dy, (1, -1)),
        "multiply": (dx * dy, (y, x)),
        "divide": (dx / dy, (1 / y, -x / y**2)),
        "logaddexp": (np.logaddexp(dx, dy), (np.exp(x) / (np.exp(x) + np.exp(y)), np.exp(y) / (np.exp(x) + np.exp(y)))),
        "power": (np.abs(x) ** dy, (0 * x, np.abs(x) ** y * np.log(np.abs(x)))),
    }
    for name, (result, (d_dx, d_dy)) in cases.items():
        np.testing.assert_allclose(result.tangent[0], np.broadcast_to(d_dx, (3,)), rtol=1e-14, err_msg=name)
        np.testing.assert_allclose(result.tangent[1], np.broadcast_to(d_dy, (3,)), rtol=1e-14, err_msg=name)
    power = Dual(x, np.ones((1, 3))) ** 3
    np.testing.assert_allclose(power.tangent[0], 3 * x**2, rtol=1e-14)


def test_matmul_and_broadcasting_follow_the_product_rule():
    rng = np.random.default_rng(0)
    A, B = rng.standard_normal((4, 3)), rng.standard_normal((2, 3, 5))  # B is a stack of two
    dA, dB = rng.standard_normal((4, 3)), rng.standard_normal((2, 3, 5))
    result = Dual(A, dA[None]) @ Dual(B, dB[None]) + Dual(np.zeros(5), np.ones((1, 5)))
    assert result.shape == (2, 4, 5) and result.tangent.shape == (1, 2, 4, 5)
    np.testing.assert_allclose(result.tangent[0], dA @ B + A @ dB + 1, rtol=1e-13)
    plain_left = A @ Dual(B, dB[None])  # an ndarray on the left defers to the dual
    np.testing.assert_allclose(plain_left.tangent[0], A @ dB, rtol=1e-14)


def test_indexing_reshape_sum_mean():
    value = np.arange(6.0).reshape(2, 3)
    tangent = np.stack([value * 10, value * 100])
    d = Dual(value, tangent)
    assert (d.shape, d.ndim, d.dtype, d.n_directions, len(d)) == ((2, 3), 2, np.float64, 2, 2)
    np.testing.assert_array_equal(d[..., 1:].tangent, tangent[:, :, 1:])
    np.testing.assert_array_equal(d[..., None, :].value, value[:, None, :])
    np.testing.assert_array_equal(d.reshape(3, 2).tangent, tangent.reshape(2, 3, 2))
    np.testing.assert_array_equal(d.sum(axis=-1).tangent, tangent.sum(axis=-1))
    np.testing.assert_array_equal(d.mean(axis=0).tangent, tangent.mean(axis=1))
    np.testing.assert_array_equal(np.sum(d).tangent, tangent.sum(axis=(1, 2)))
    assert np.add.reduce(d, axis=1).shape == (2,)


def test_unsupported_ufunc_names_the_rule_table():
    with pytest.raises(TypeError, match="gradmethods.core.dual.RULES"):
        np.sin(Dual(np.zeros(2), np.ones((1, 2))))
    assert "sin" not in RULES


@pytest.mark.parametrize("ufunc", [np.tanh, special.expit, np.maximum], ids=lambda f: f.__name__)
def test_activation_ufuncs_have_no_second_rule(ufunc):
    # Activations differentiate duals with their own deriv (tests/core/test_activations.py);
    # the table holds no second copy of their derivatives.
    x = Dual(np.zeros(2), np.ones((1, 2)))
    with pytest.raises(TypeError, match="no derivative rule"):
        ufunc(x, 0) if ufunc is np.maximum else ufunc(x)


def test_mismatched_tangent_shape_is_rejected():
    with pytest.raises(ValueError, match=r"\(k,\) \+ value.shape"):
        Dual(np.zeros(3), np.zeros((2, 4)))


def rel_error(g, ref):
    return np.abs(g - ref).max() / np.abs(ref).max()


@pytest.mark.parametrize("stack", [None, 3])
def test_dual_provider_equals_backprop(stack):
    net = gm.Network([3, 5, 4, 2], activation=["tanh", "relu", "sigmoid"], cost="cross_entropy")
    rng = np.random.default_rng(7)
    params = net.init_params(rng, size=stack) + 0.1 * rng.standard_normal((stack or 1, net.n_params)).squeeze()
    X, Y = rng.uniform(-1, 1, (6, 3)), rng.uniform(0, 1, (6, 2))
    backprop = gm.get_provider("backprop")
    cost_ref, grad_ref = backprop.value_and_grad(net, params, X, Y)
    for chunk in (None, 1, 7):
        cost, grad = DualNumbers(chunk_size=chunk).value_and_grad(net, params, X, Y)
        np.testing.assert_allclose(cost, cost_ref, rtol=1e-14)
        assert rel_error(grad, grad_ref) <= 1e-12
    grad_X = DualNumbers(chunk_size=4).input_grad(net, params, X, Y)
    assert rel_error(grad_X, backprop.input_grad(net, params, X, Y)) <= 1e-12


def test_chunks_are_counted_as_forward_passes():
    net = gm.Network([2, 3, 2])  # P = 17
    X, Y = np.ones((1, 2)), np.zeros((1, 2))
    provider = DualNumbers(chunk_size=5)
    provider.value_and_grad(net, net.init_params(np.random.default_rng(0), size=2), X, Y)
    counts = provider.counts()
    fpe = counts.pop("fpe")
    assert counts == {"nfev": 2 * math.ceil(17 / 5), "njev": 2,
                      "forward_passes": 2 * math.ceil(17 / 5), "backward_passes": 0}
    # Passes of k = 5, 5, 5, 2 tangents.  A real pass costs 2*3 + 3 + 3*2 + 2 = 17
    # multiply-adds; with k tangents the first layer (9) costs 1 + k times that (only W
    # carries tangents), the second (8) 1 + 2k times (W and its input do).
    per_network = sum(9 * (1 + k) + 8 * (1 + 2 * k) for k in (5, 5, 5, 2)) / 17
    assert fpe == pytest.approx(2 * per_network, rel=1e-12)


def test_default_chunk_bounds_memory_for_a_large_network():
    from gradmethods.gradients.dual import TANGENT_BUDGET

    net = gm.Network([784, 128, 10])  # 101,770 parameters
    k = DualNumbers().directions(net, net.n_params, 1, 100)
    per_direction = 2 * net.n_params + 2 * 100 * (128 + 10)  # numbers: tangents of params and of each z, a
    assert 1 <= k < net.n_params
    assert k * per_direction <= TANGENT_BUDGET < (k + 1) * per_direction
    assert DualNumbers().directions(gm.Network([2, 2, 2]), 12, 1, 1) == 12  # small nets: one pass


def test_chunk_size_is_validated():
    with pytest.raises(ValueError, match="chunk_size"):
        DualNumbers(chunk_size=0)
