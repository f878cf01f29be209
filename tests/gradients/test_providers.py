"""Every registered gradient provider, held to its contract by gradmethods.testing.

The conformance checks run on each provider (one test per provider and check); then
random networks, drawn by hypothesis and by a fixed sweep of seeds, compare every
provider with the independent complex-step reference of
:mod:`gradmethods.testing.reference`, within the tolerance the provider declares.  A
finite-difference entry whose step crosses a ``relu`` kink measures the jump, not the
derivative, and is exempt; every other entry must meet the tolerance, for any draw.
A provider registered later is tested by the same code for free.
"""

import functools
import re

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import gradmethods as gm
from gradmethods.testing import compare_with_reference, parametrize_with_checks, random_problem, relative_error
from gradmethods.testing.problems import gradient_floor
from gradmethods.testing.reference import ACTIVATIONS, COSTS, Spec, kink_crossings, reference_gradients

#: Seeds of the deterministic sweep of random networks.
SWEEP_SEEDS = range(150)


@parametrize_with_checks(gm.providers())
def test_provider_conforms(method, check):
    check(method)


# ------------------------------------------------------------------------------ random networks


@st.composite
def problems(draw):
    n_layers = draw(st.integers(1, 4))
    sizes = [draw(st.integers(1, 12)) for _ in range(n_layers + 1)]
    cost = draw(st.sampled_from(sorted(COSTS)))
    activations = [draw(st.sampled_from(sorted(ACTIVATIONS))) for _ in range(n_layers)]
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


#: Providers held to a pointwise tolerance: every one that is not a stochastic estimator (those are
#: checked statistically, by gradmethods.testing and tests/gradients/test_estimators.py).
POINTWISE = [name for name in gm.providers() if not gm.get_method(name).stochastic]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problem=problems())
def test_every_provider_meets_its_tolerance_on_any_random_network(problem):
    net, params, X, Y = build(*problem)
    spec = Spec.of(net)
    references = [reference_gradients(spec, row, X, Y) for row in np.atleast_2d(params)]
    for name in POINTWISE:
        provider = gm.get_provider(name)
        reason = provider.unsupported_reason(net)
        if reason is not None:
            with pytest.raises(ValueError, match=re.escape(reason)):
                provider.value_and_grad(net, params, X, Y)
            continue
        comparison = compare_with_reference(provider, net, params, X, Y, references)
        assert comparison.passed, f"{name} on {net!r}: {comparison}"


@functools.cache
def sweep():
    """The sweep's problems; each keeps its reference once computed, for every provider."""
    return tuple(random_problem(seed) for seed in SWEEP_SEEDS)


@pytest.mark.parametrize("name", POINTWISE)
def test_provider_meets_its_tolerance_on_150_seeded_networks(name):
    failures = []
    for problem in sweep():
        provider = gm.get_provider(name)
        if not provider.supports(problem.net):
            continue
        comparison = compare_with_reference(provider, problem.net, problem.params, problem.X, problem.Y,
                                            [problem.reference()])  # fmt: skip
        if not comparison.passed:
            failures.append(f"{problem}: {comparison}")
    assert failures == []


def test_the_sweep_covers_every_activation_and_cost():
    assert {name for problem in sweep() for name in problem.net.activation_names} == set(ACTIVATIONS)
    assert {problem.net.cost_name for problem in sweep()} == set(COSTS)
    assert sum("relu" in problem.net.activation_names for problem in sweep()) >= 50


def near_kink_problem(seed, radius):
    """A relu network whose first pre-activation (pattern 0, neuron 0) sits radius / 4 above the kink."""
    net = gm.Network([3, 5, 4, 2], activation=["relu", "relu", "sigmoid"])
    rng = np.random.default_rng(seed)
    params, X, Y = rng.uniform(-1, 1, net.n_params), rng.uniform(-1, 1, (4, 3)), rng.uniform(0, 1, (4, 2))
    (W, b), *_ = net.unpack(params)  # views into params
    b[0] += radius / 4 - (X[0] @ W[:, 0] + b[0])
    return net, params, X, Y


@pytest.mark.parametrize("name", [name for name in gm.providers() if gm.get_provider(name).step_radius() > 0])
@pytest.mark.parametrize("seed", range(5))
def test_steps_across_a_kink_are_exempt_and_only_those(name, seed):
    provider = gm.get_provider(name)
    radius = provider.step_radius(np.float64)
    net, params, X, Y = near_kink_problem(seed, radius)
    spec = Spec.of(net)
    reference = reference_gradients(spec, params, X, Y)
    exempt = np.flatnonzero(kink_crossings(spec, params, X, radius))
    # Only the weights into neuron 0 of the first layer (W[i, 0] at 5 i) and its bias (at 15) move that
    # pre-activation; the bias moves it by the full step, and W[i, 0] by X[0, i] times the step.
    assert set(exempt) <= {0, 5, 10, 15} and 15 in exempt
    assert {5 * i for i in range(3) if abs(X[0, i]) > 0.25} <= set(exempt)
    comparison = compare_with_reference(provider, net, params, X, Y, [reference])
    assert comparison.passed and comparison.exempt_params == len(exempt)
    _, grad = provider.value_and_grad(net, params, X, Y)
    floor = gradient_floor(reference, exact=provider.exact)
    assert relative_error(grad, reference.grad, floor=floor) > provider.tolerance  # the jump, without the exemption


def near_fit_problem(seed, residual):
    """A network whose output is within ``residual`` of its target: the gradient is that much smaller than its terms."""
    net = gm.Network([3, 5, 1], activation=["tanh", "identity"])
    rng = np.random.default_rng(seed)
    params, X = rng.uniform(-1, 1, net.n_params), rng.uniform(-1, 1, (1, 3))
    return net, params, X, net.forward(params, X) + residual


@pytest.mark.parametrize("seed", range(3))
def test_near_a_fit_errors_are_measured_against_the_gradients_terms(seed):
    net, params, X, Y = near_fit_problem(seed, 1e-6)
    reference = reference_gradients(Spec.of(net), params, X, Y)
    # dC/dw = (a - y) da/dw: 1e-6 times its terms (|a| + |y|) |da/dw|, which the reference measures.
    assert reference.grad_scale > 1e4 * np.abs(reference.grad).max()
    for name in POINTWISE:
        comparison = compare_with_reference(gm.get_provider(name), net, params, X, Y, [reference])
        assert comparison.passed, f"{name}: {comparison}"
    # Against |g_ref| and |cost| alone, forward differences would miss their promise (1e-5) hundreds of
    # times over: their truncation h |C''| / 2 ~ 1e-8 |da/dw|**2 does not shrink with the residual.
    _, grad = gm.get_provider("fd_forward").value_and_grad(net, params, X, Y)
    assert relative_error(grad, reference.grad, floor=abs(reference.value)) > 100 * 1e-5


# ------------------------------------------------------------------------------ training


@pytest.mark.parametrize("name", gm.providers())
def test_training_history_has_every_counter(name):
    result = gm.train("example4", method=name, iterations=3, seed=0)  # a stochastic method needs a seed
    for column in gm.get_provider(name).counts():
        assert column in result.history.columns
    assert list(result.history["njev"]) == [1, 2, 3]


@pytest.mark.parametrize("name", [p for p in POINTWISE if p != "backprop"])
@pytest.mark.parametrize(
    "task, iterations", [("example4", 1000), ("example1", 1000), ("not", 1000), ("example3", 1000)]
)
def test_training_follows_backprop(name, task, iterations):
    """With the post's settings, the first 1000 updates (in full: the slow test below), the
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
@pytest.mark.parametrize("name", [p for p in POINTWISE if p != "backprop"])
@pytest.mark.parametrize("task", ["example1", "not", "example3", "example4"])
def test_training_full_post_settings(name, task):
    ours = gm.train(task, method=name)
    assert ours.final_error == pytest.approx(backprop_run(task, None)[1], rel=1e-6)
