"""optimize_input: descent lowers and ascent raises the cost with every registered provider."""

import numpy as np
import pytest
from scipy.special import expit

import gradmethods as gm

PROVIDERS = [name for name in gm.providers() if not gm.get_method(name).stochastic]  # exact input gradients


def _problem(cost="half_sse", n_patterns=5, seed=3):
    """A small 3-4-2 sigmoid network with random weights, inputs and targets."""
    rng = np.random.default_rng(seed)
    net = gm.Network([3, 4, 2], cost=cost)
    params = net.init_params(rng) + rng.normal(0, 0.5, net.n_params)
    x0 = rng.uniform(0, 1, (n_patterns, 3))
    target = rng.uniform(0.1, 0.9, (n_patterns, 2))
    return net, params, x0, target


def _costs_by_hand(net, params, X, Y):
    """Per-pattern half squared error of a 3-4-2 sigmoid network, written out with numpy."""
    (W1, b1), (W2, b2) = net.unpack(params)
    out = expit(expit(X @ W1 + b1) @ W2 + b2)
    return 0.5 * ((out - Y) ** 2).sum(axis=-1)


@pytest.mark.parametrize("provider", PROVIDERS)
@pytest.mark.parametrize("cost", ["half_sse", "cross_entropy"])
def test_descent_lowers_and_ascent_raises_every_patterns_cost(provider, cost):
    net, params, x0, target = _problem(cost)
    down = gm.optimize_input(net, params, x0, target, steps=20, lr=0.5, provider=provider)
    up = gm.optimize_input(net, params, x0, target, steps=20, lr=0.5, provider=provider, ascent=True)
    assert np.all(down.cost_after < down.cost_before)
    assert np.all(up.cost_after > up.cost_before)
    assert np.all(np.diff(down.cost_history, axis=0) <= 0)  # small steps: monotone
    assert down.njev >= 20 and down.outcome is gm.Outcome.BUDGET_EXHAUSTED


@pytest.mark.parametrize("provider", PROVIDERS)
def test_one_step_is_the_per_pattern_gradient(provider):
    """x1 = x0 - lr * dC_i/dx_i, with each pattern's own cost C_i (central differences)."""
    net, params, x0, target = _problem()
    lr, h = 0.3, 1e-6
    result = gm.optimize_input(net, params, x0, target, steps=1, lr=lr, provider=provider)
    grad = np.empty_like(x0)
    for k in range(x0.shape[1]):
        shift = np.zeros_like(x0)
        shift[:, k] = h
        grad[:, k] = _costs_by_hand(net, params, x0 + shift, target) - _costs_by_hand(net, params, x0 - shift, target)
        grad[:, k] /= 2 * h
    np.testing.assert_allclose(result.x, x0 - lr * grad, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(result.cost_history[0], _costs_by_hand(net, params, x0, target), rtol=1e-12)
    np.testing.assert_allclose(result.cost_history[1], _costs_by_hand(net, params, result.x, target), rtol=1e-12)


@pytest.mark.parametrize("provider", PROVIDERS)
def test_clipped_inputs_stay_in_range(provider):
    net, params, x0, target = _problem()
    for ascent in (False, True):
        result = gm.optimize_input(
            net, params, x0, target, steps=30, lr=50.0, provider=provider, ascent=ascent, clip=(0.0, 1.0)
        )
        assert result.x.min() >= 0.0 and result.x.max() <= 1.0
        assert np.any((result.x == 0.0) | (result.x == 1.0))  # the large steps did hit the walls


def test_one_input_and_many_inputs_agree():
    net, params, x0, target = _problem()
    together = gm.optimize_input(net, params, x0, target, steps=15, lr=0.5)
    for i in range(len(x0)):
        alone = gm.optimize_input(net, params, x0[i], target[i], steps=15, lr=0.5)
        assert alone.x.shape == (3,) and alone.outputs_after.shape == (2,) and alone.cost_history.shape == (16,)
        np.testing.assert_allclose(alone.x, together.x[i], rtol=1e-12)
        np.testing.assert_allclose(alone.cost_history, together.cost_history[:, i], rtol=1e-12)
    assert together.x.shape == x0.shape and together.cost_history.shape == (16, len(x0))


def test_one_target_is_shared_by_all_inputs():
    net, params, x0, target = _problem()
    shared = gm.optimize_input(net, params, x0, target[0], steps=5, lr=0.5)
    spelled_out = gm.optimize_input(net, params, x0, np.tile(target[0], (len(x0), 1)), steps=5, lr=0.5)
    np.testing.assert_array_equal(shared.x, spelled_out.x)


def test_outputs_before_and_after_are_the_networks_outputs():
    net, params, x0, target = _problem()
    result = gm.optimize_input(net, params, x0, target, steps=5, lr=0.5)
    (W1, b1), (W2, b2) = net.unpack(params)
    np.testing.assert_allclose(result.outputs_before, expit(expit(x0 @ W1 + b1) @ W2 + b2), rtol=1e-12)
    np.testing.assert_allclose(result.outputs_after, expit(expit(result.x @ W1 + b1) @ W2 + b2), rtol=1e-12)
    np.testing.assert_array_equal(result.x0, x0)


def test_stop_when_freezes_each_pattern_and_converges():
    net, params, x0, target = _problem()
    threshold = 0.1  # two patterns start below it, the other three reach it at different steps
    start = _costs_by_hand(net, params, x0, target)
    assert (start <= threshold).sum() == 2

    def low_enough(outputs, targets):
        return 0.5 * ((outputs - targets) ** 2).sum(axis=-1) <= threshold

    result = gm.optimize_input(net, params, x0, target, steps=2000, lr=0.5, stop_when=low_enough)
    assert result.outcome is gm.Outcome.CONVERGED and result.done.all()
    assert np.all(result.cost_after <= threshold)
    np.testing.assert_array_equal(result.steps_taken == 0, start <= threshold)
    assert result.steps_taken.max() == result.cost_history.shape[0] - 1
    assert len(set(result.steps_taken.tolist())) == 4
    for i, taken in enumerate(result.steps_taken):  # stops at the first step below the threshold, then stays
        assert taken == 0 or result.cost_history[taken - 1, i] > threshold
        assert np.all(result.cost_history[taken:, i] == result.cost_history[taken, i])
    np.testing.assert_array_equal(result.x[start <= threshold], x0[start <= threshold])


def test_already_satisfied_patterns_take_no_step():
    net, params, x0, target = _problem()
    result = gm.optimize_input(net, params, x0, target, steps=10, stop_when=lambda out, y: np.ones(len(out), bool))
    assert result.outcome is gm.Outcome.CONVERGED and result.steps_taken.tolist() == [0] * len(x0)
    np.testing.assert_array_equal(result.x, x0)


def test_divergence_is_an_outcome_not_a_crash():
    net = gm.Network([1, 1], activation="identity")  # cost 0.5 (w x + b - y)^2 grows without bound
    result = gm.optimize_input(net, np.array([2.0, 0.0]), [1.0], [0.0], steps=5000, lr=1e3, ascent=True)
    assert result.outcome is gm.Outcome.DIVERGED
    assert np.isfinite(result.x).all() and np.isfinite(result.cost_history[:-1]).all()
    assert not np.isfinite(result.cost_after)  # the row that showed the divergence is the last one


def test_provider_instance_and_work_counts():
    net, params, x0, target = _problem()
    provider = gm.get_provider("backprop")
    result = gm.optimize_input(net, params, x0, target, steps=7, lr=0.5, provider=provider)
    assert provider.njev == result.njev == 7
    # One backprop input gradient on 3-4-2: forward (3*4 + 4) + (4*2 + 2) = 26 multiply-adds per pattern;
    # reverse sweep 26 for dW, db and 8 + 12 for delta @ W^T down to the inputs: (26 + 46) / 26 = 36/13.
    assert result.fpe == pytest.approx(7 * 36 / 13, rel=1e-14) and isinstance(result.fpe, float)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"steps": 0}, "'steps'"),
        ({"lr": -1.0}, "'lr'"),
        ({"clip": (1.0, 0.0)}, "'clip'"),
        ({"clip": "01"}, "'clip'"),
        ({"provider": "no-such-method"}, "'method'"),
        ({"provider": object()}, "'provider'"),
        ({"stop_when": lambda out, y: True}, "stop_when must return a bool array of shape \\(5,\\)"),
        ({"stop_when": lambda out, y: out[:, 0]}, "stop_when"),
    ],
)
def test_bad_arguments_are_named(kwargs, match):
    net, params, x0, target = _problem()
    with pytest.raises(ValueError, match=match):
        gm.optimize_input(net, params, x0, target, **kwargs)


def test_bad_shapes_are_named():
    net, params, x0, target = _problem()
    with pytest.raises(ValueError, match="x0"):
        gm.optimize_input(net, params, x0[:, :2], target)
    with pytest.raises(ValueError, match="target"):
        gm.optimize_input(net, params, x0, target[:2])
    with pytest.raises(ValueError, match="one parameter vector"):
        gm.optimize_input(net, np.stack([params, params]), x0, target)


def test_optimize_input_steps_with_any_rule_through_the_descent_loop():
    # One sigmoid neuron, weight 1, bias 0: the cost (sigmoid(x) - 1)^2 / 2 has dC/dx = (s - 1) s (1 - s).
    import gradmethods as gm

    net = gm.Network([1, 1])
    params = np.array([1.0, 0.0])
    plain = gm.optimize_input(net, params, [0.0], [1.0], steps=5, lr=2.0)
    same = gm.optimize_input(net, params, [0.0], [1.0], steps=5, optimizer=gm.optim.sgd(2.0))
    np.testing.assert_array_equal(plain.x, same.x)
    x, v = 0.0, 0.0  # heavy-ball momentum written out
    for _ in range(5):
        s = 1 / (1 + np.exp(-x))
        v = 0.5 * v + (s - 1) * s * (1 - s)
        x -= 2.0 * v
    heavy = gm.optimize_input(net, params, [0.0], [1.0], steps=5, optimizer=gm.optim.momentum(2.0, 0.5))
    assert heavy.x[0] == pytest.approx(x, rel=1e-13)
    with pytest.raises(ValueError, match="not both"):
        gm.optimize_input(net, params, [0.0], [1.0], lr=0.5, optimizer=gm.optim.sgd(2.0))
