"""Finite-difference and complex-step providers: step rules, stacking, counts, refusals."""

import numpy as np
import pytest

import gradmethods as gm
from gradmethods.gradients import _finite_differences as fd
from gradmethods.gradients.complex_step import ComplexStep
from gradmethods.gradients.fd_central import CentralDifference
from gradmethods.gradients.fd_forward import ForwardDifference
from gradmethods.gradients.fd_richardson import RichardsonDifference

EPS = np.finfo(np.float64).eps


def small_problem(stack=None, activation="sigmoid", cost="half_sse"):
    net = gm.Network([2, 3, 2], activation=activation, cost=cost)
    rng = np.random.default_rng(3)
    params = net.init_params(rng, size=stack) + 0.2
    return net, params, rng.uniform(-1, 1, (4, 2)), rng.uniform(0, 1, (4, 2))


def test_default_steps_follow_the_standard_rules():
    assert ForwardDifference().relative_step(np.float64) == pytest.approx(EPS**0.5)
    assert CentralDifference().relative_step(np.float64) == pytest.approx(EPS ** (1 / 3))
    assert CentralDifference().relative_step(np.float32) == pytest.approx(np.finfo(np.float32).eps ** (1 / 3))
    assert RichardsonDifference().relative_step(np.float64) == pytest.approx(EPS ** (1 / 5))
    assert CentralDifference(step=1e-4).relative_step(np.float32) == 1e-4  # a given step is used as given
    # The largest relative perturbation (what the kink exemption of gradmethods.testing reads): the step
    # for real differences, none for the imaginary step of the complex step.
    assert RichardsonDifference().step_radius(np.float64) == RichardsonDifference().relative_step(np.float64)
    assert ComplexStep().step_radius(np.float64) == 0.0
    x = np.array([0.0, 0.5, 3.0, -5.0])
    h = fd.absolute_steps(x, 1e-6)
    np.testing.assert_allclose(h, [1e-6, 1e-6, 3e-6, -5e-6], rtol=1e-9)
    np.testing.assert_array_equal((x + h) - x, h)  # exactly representable
    tiny = fd.absolute_steps(np.array([0.5, -3.0]), 1e-20)  # below an ulp: one ulp, not zero
    np.testing.assert_array_equal(tiny, [np.spacing(1.0), -np.spacing(3.0)])


@pytest.mark.parametrize("stack", [None, 2])
@pytest.mark.parametrize(
    "cls, passes, pass_fpe", [(ForwardDifference, lambda P: P + 1, 1.0), (CentralDifference, lambda P: 2 * P + 1, 1.0),
                              (ComplexStep, lambda P: P, 4.0), (RichardsonDifference, lambda P: 4 * P + 1, 1.0)]
)  # fmt: skip
def test_counts_and_one_stacked_pass(monkeypatch, stack, cls, passes, pass_fpe):
    net, params, X, Y = small_problem(stack)
    calls = []
    original = net.trace
    monkeypatch.setattr(net, "trace", lambda p, x: calls.append(p.shape) or original(p, x))
    provider = cls()
    provider.value_and_grad(net, params, X, Y)
    R = stack or 1
    P = net.n_params
    assert len(calls) == 1  # every perturbed vector in one stacked forward pass
    assert calls[0] == (R * passes(P), P)
    # A complex multiply-add is four real ones: a complex pass costs four forward-pass equivalents.
    assert provider.counts() == {"nfev": R * passes(P), "njev": R, "forward_passes": R * passes(P),
                                 "backward_passes": 0, "fpe": pytest.approx(R * passes(P) * pass_fpe)}


def test_chunked_passes_give_the_same_gradient(monkeypatch):
    net, params, X, Y = small_problem(2)
    whole = CentralDifference().value_and_grad(net, params, X, Y)
    whole_X = CentralDifference().input_grad(net, params, X, Y)
    monkeypatch.setattr(fd, "MEMORY_BUDGET", 1)  # one variable per pass
    calls = []
    original = net.trace
    monkeypatch.setattr(net, "trace", lambda p, x: calls.append(1) or original(p, x))
    chunked = CentralDifference().value_and_grad(net, params, X, Y)
    assert len(calls) == net.n_params
    np.testing.assert_array_equal(chunked[0], whole[0])
    np.testing.assert_array_equal(chunked[1], whole[1])
    np.testing.assert_array_equal(CentralDifference().input_grad(net, params, X, Y), whole_X)


def test_central_error_falls_like_h_squared():
    net, params, X, Y = small_problem()
    _, exact = gm.get_provider("backprop").value_and_grad(net, params, X, Y)
    errors = [np.abs(CentralDifference(step=h).value_and_grad(net, params, X, Y)[1] - exact).max()
              for h in (1e-2, 1e-3)]
    assert 50 < errors[0] / errors[1] < 200  # truncation: h**2 C'''/6
    forward = [np.abs(ForwardDifference(step=h).value_and_grad(net, params, X, Y)[1] - exact).max()
               for h in (1e-2, 1e-3)]
    assert 5 < forward[0] / forward[1] < 20  # truncation: h C''/2
    richardson = [np.abs(RichardsonDifference(step=h).value_and_grad(net, params, X, Y)[1] - exact).max()
                  for h in (1e-1, 1e-2)]
    assert 3e3 < richardson[0] / richardson[1] < 3e5  # truncation: O(h**4)


def test_complex_step_refuses_relu_and_suggests_central():
    net, params, X, Y = small_problem(activation=["relu", "sigmoid"])
    with pytest.raises(ValueError, match=r"'relu'.*method='fd_central'"):
        ComplexStep().value_and_grad(net, params, X, Y)
    with pytest.raises(ValueError, match="fd_central"):
        ComplexStep().input_grad(net, params, X, Y)


def test_complex_step_through_saturated_cross_entropy():
    # Output pre-activations of +-40: the cost's softplus takes both complex branches.
    net = gm.Network([1, 2], activation="sigmoid", cost="cross_entropy")
    params = np.array([40.0, -40.0, 0.0, 0.0])
    X, Y = np.array([[1.0], [-1.0]]), np.array([[0.0, 1.0], [1.0, 0.0]])
    cost, grad = ComplexStep().value_and_grad(net, params, X, Y)
    # Independent: dC/dz = sigmoid(z) - y, C = mean over patterns of sum(softplus(z) - y z).
    z = X @ params[:2].reshape(1, 2)
    a = 1 / (1 + np.exp(-z))
    expected_cost = np.mean(np.sum(np.logaddexp(0, z) - Y * z, axis=1))
    delta = (a - Y) / 2
    expected = np.concatenate([(X.T @ delta).ravel(), delta.sum(axis=0)])
    assert cost == pytest.approx(expected_cost, rel=1e-15)
    np.testing.assert_allclose(grad, expected, rtol=1e-13)


def test_step_option_is_validated():
    for cls in (ForwardDifference, CentralDifference, RichardsonDifference, ComplexStep):
        with pytest.raises(ValueError, match="'step'"):
            cls(step=-1.0)


def test_float32_gradients_stay_float32_and_usable():
    net, params, X, Y = small_problem()
    params32, X32, Y32 = params.astype(np.float32), X.astype(np.float32), Y.astype(np.float32)
    exact = gm.get_provider("backprop").value_and_grad(net, params, X, Y)[1]
    for cls, tol in ((CentralDifference, 1e-3), (ComplexStep, 1e-6), (ForwardDifference, 1e-2)):
        cost, grad = cls().value_and_grad(net, params32, X32, Y32)
        assert grad.dtype == np.float32
        assert np.abs(grad - exact).max() / np.abs(exact).max() < tol
