"""The stochastic gradient estimators: statistics with fixed seeds, streams, costs.

Every statistical test draws from fixed seeds, so it cannot be flaky; each bound is one
that a wrong estimator (a wrong scale, non-centred directions, a first-order bias) would
miss.  The figures these tests measure are quoted in docs/estimators.md.
"""

import numpy as np
import pytest

import gradmethods as gm
from gradmethods.gradients._estimators import centered_ranks, draw_directions
from gradmethods.gradients.base import dual_pass_fpe
from gradmethods.gradients.forward_gradient import ForwardGradient
from gradmethods.testing import check_provider
from gradmethods.testing.statistics import draw_estimates, mean_test

ESTIMATORS = [name for name in gm.providers() if gm.get_method(name).stochastic]


def smooth_problem(hidden=4, seed=0, patterns=5):
    """A tanh-sigmoid network, a point and data: smooth, so the theory's Taylor expansions hold."""
    net = gm.Network([3, hidden, 2], activation=["tanh", "sigmoid"])
    rng = np.random.default_rng(seed)
    params = rng.normal(0, 1, net.n_params)
    X, Y = rng.uniform(-1, 1, (patterns, 3)), rng.uniform(0, 1, (patterns, 2))
    return net, params, X, Y


def exact_gradient(net, params, X, Y):
    return gm.get_provider("backprop").value_and_grad(net, params, X, Y)


def test_the_registry_marks_the_estimators():
    assert set(ESTIMATORS) == {"forward_gradient", "spsa", "es_gradient"}
    for name in ESTIMATORS:
        info = gm.get_method(name)
        assert (info.family, info.exact, info.stochastic) == ("stochastic", False, True)
    assert not any(gm.get_method(name).stochastic for name in ("backprop", "dual", "fd_central", "genetic"))
    styles = [gm.get_method(name).style for name in gm.methods()]
    assert len({style[:2] for style in styles}) == len(styles)  # colour and marker distinct from every method


def test_settings_pass_the_conformance_checks():
    check_provider(ForwardGradient(k=3, combination="orthogonal"))  # the defaults run in test_providers.py


# ------------------------------------------------------------------------------ unbiasedness


class ScaledForwardGradient(ForwardGradient):
    """A deliberately wrong forward gradient: 10 % too long (not registered)."""

    def compute_value_and_grad(self, net, params, X, Y, rngs):
        cost, grad = super().compute_value_and_grad(net, params, X, Y, rngs)
        return cost, 1.1 * grad


class UncentredForwardGradient(ForwardGradient):
    """A deliberately wrong forward gradient: tangents |v| (mean sqrt(2/pi), not 0)."""

    def _directions(self, rngs, n_variables, dtype):
        V, factor = super()._directions(rngs, n_variables, dtype)
        return np.abs(V), factor


@pytest.mark.parametrize("settings", [{}, {"distribution": "rademacher"}, {"k": 4, "combination": "orthogonal"}])
def test_forward_gradient_is_unbiased_and_biased_variants_fail_the_same_test(settings):
    net, params, X, Y = smooth_problem()
    _, g = exact_gradient(net, params, X, Y)
    samples = 12_000
    _, estimates = draw_estimates(ForwardGradient(**settings), net, params, X, Y, samples, seed=1)
    assert mean_test(estimates, g).passed, mean_test(estimates, g)
    for wrong in (ScaledForwardGradient(**settings), UncentredForwardGradient(**settings)):
        _, biased = draw_estimates(wrong, net, params, X, Y, samples, seed=1)
        result = mean_test(biased, g)
        assert not result.passed, f"{type(wrong).__name__} passed: {result}"


# ------------------------------------------------------------------------------ second-order bias


def bias_with_common_directions(name, size, net, params, X, Y, samples=4000, seed=2):
    """E[ĝ(size)] - ∇C, measured with the same directions for every size (common random numbers).

    The estimate at size -> 0 with the same directions, (1/m) Σ (d_i·g) d_i, has mean g exactly,
    so the mean of the differences is the bias, and the sampling noise of the directions is
    common to every size.
    """
    _, g = exact_gradient(net, params, X, Y)
    if name == "spsa":
        provider, m, distribution = gm.get_provider("spsa", k=2, perturbation=size), 2, "rademacher"
    else:
        provider, m, distribution = gm.get_provider("es_gradient", n=2, sigma=size), 2, "gaussian"
    _, estimates = draw_estimates(provider, net, params, X, Y, samples, seed=seed)
    D = draw_directions([np.random.default_rng(seed)] * samples, (m, net.n_params), distribution, np.float64)
    limit = np.einsum("rk,rkp->rp", D @ g, D) / m
    return (estimates - limit).mean(axis=0)


@pytest.mark.parametrize("name", ["spsa", "es_gradient"])
def test_bias_is_second_order_in_the_perturbation(name):
    net, params, X, Y = smooth_problem()
    sizes = [0.1, 0.05, 0.025, 0.0125]
    norms = [np.linalg.norm(bias_with_common_directions(name, size, net, params, X, Y)) for size in sizes]
    ratios = np.array(norms[:-1]) / np.array(norms[1:])
    assert np.all((ratios > 3.6) & (ratios < 4.4)), ratios  # halving the size cuts the bias by 4
    assert norms[-1] < 1e-3 * np.linalg.norm(exact_gradient(net, params, X, Y)[1])


# ------------------------------------------------------------------------------ variance


def expected_square_norm(P, k, distribution, combination):
    """E||ĝ||² / ||∇C||² of the forward gradient."""
    if combination == "orthogonal":
        return P / min(k, P)
    if distribution == "rademacher":  # ||v||² = P exactly, E(g·v)² = ||g||²; cross terms ||g||²
        return (P + k - 1) / k
    return (P + k + 1) / k  # Gaussian: E(g·v)²||v||² = (P + 2)||g||²


@pytest.mark.parametrize("distribution, k, combination",
                         [("gaussian", 1, "mean"), ("rademacher", 1, "mean"), ("gaussian", 4, "mean"),
                          ("gaussian", 4, "orthogonal")])  # fmt: skip
def test_forward_gradient_variance_grows_with_P_as_theory_says(distribution, k, combination):
    provider = ForwardGradient(k=k, distribution=distribution, combination=combination)
    ratios = []
    for hidden in (2, 8, 32):
        net, params, X, Y = smooth_problem(hidden)
        _, g = exact_gradient(net, params, X, Y)
        _, estimates = draw_estimates(provider, net, params, X, Y, 4000, seed=3)
        square = (estimates**2).sum(axis=1) / (g @ g)
        expected = expected_square_norm(net.n_params, k, distribution, combination)
        se = square.std(ddof=1) / np.sqrt(square.size)
        assert abs(square.mean() - expected) <= 5 * se + 1e-12 * expected, (net.n_params, square.mean(), expected, se)
        ratios.append(square.mean())
    assert ratios[0] < ratios[1] < ratios[2]


def test_orthogonal_projection_needs_gaussian_tangents():
    with pytest.raises(ValueError, match="needs distribution='gaussian'"):
        ForwardGradient(k=2, distribution="rademacher", combination="orthogonal")


def test_orthogonal_projection_with_k_at_least_P_is_the_gradient():
    net, params, X, Y = smooth_problem(2)
    cost, g = exact_gradient(net, params, X, Y)
    provider = ForwardGradient(k=net.n_params + 3, combination="orthogonal")
    value, estimate = provider.value_and_grad(net, params, X, Y, rng=np.random.default_rng(0))
    np.testing.assert_allclose(estimate, g, rtol=1e-12, atol=1e-14)
    assert value == pytest.approx(cost, rel=1e-15)
    assert provider.fpe == pytest.approx(dual_pass_fpe(net, net.n_params))  # carries P tangents, not k


# ------------------------------------------------------------------------------ streams


@pytest.mark.parametrize("name", ESTIMATORS)
def test_stack_with_per_row_generators_equals_row_by_row_calls(name):
    net, params, X, Y = smooth_problem(6)
    stack = params + np.random.default_rng(4).normal(0, 0.3, (5, net.n_params))
    provider = gm.get_provider(name)
    costs, grads = provider.value_and_grad(net, stack, X, Y, rng=[np.random.default_rng(s) for s in range(5)])
    inputs = provider.input_grad(net, stack, X, Y, rng=[np.random.default_rng(s) for s in range(5)])
    for r, row in enumerate(stack):
        cost, grad = provider.value_and_grad(net, row, X, Y, rng=np.random.default_rng(r))
        input_grad = provider.input_grad(net, row, X, Y, rng=np.random.default_rng(r))
        assert costs[r] == pytest.approx(cost, rel=1e-12)
        np.testing.assert_allclose(grads[r], grad, rtol=1e-12, atol=1e-12 * np.abs(grad).max())
        np.testing.assert_allclose(inputs[r], input_grad, rtol=1e-12, atol=1e-12 * np.abs(input_grad).max())
    again = provider.value_and_grad(net, stack, X, Y, rng=[np.random.default_rng(s) for s in range(5)])[1]
    np.testing.assert_array_equal(again, grads)  # the same seeds: the same estimates


def test_rng_is_required_and_validated():
    net, params, X, Y = smooth_problem()
    provider = gm.get_provider("forward_gradient")
    with pytest.raises(ValueError, match="stochastic estimator: it needs rng="):
        provider.value_and_grad(net, params, X, Y)
    with pytest.raises(TypeError, match="rng must be a numpy.random.Generator"):
        provider.value_and_grad(net, params, X, Y, rng=0)
    with pytest.raises(ValueError, match="one per network of the stack: 2; got 3"):
        provider.value_and_grad(net, np.stack([params, params]), X, Y, rng=[np.random.default_rng(0)] * 3)
    assert provider.nfev == 0
    backprop = gm.get_provider("backprop")  # exact providers ignore a valid rng
    np.testing.assert_array_equal(backprop.value_and_grad(net, params, X, Y, rng=np.random.default_rng(0))[1],
                                  backprop.value_and_grad(net, params, X, Y)[1])  # fmt: skip


@pytest.mark.parametrize("name, settings", [("forward_gradient", {"k": 2}), ("spsa", {}), ("es_gradient", {"n": 2})])
def test_batched_training_equals_one_run_at_a_time(name, settings):
    seeds = [3, 1, 4]
    for extra in ({}, {"batch_size": 2}):
        runs = gm.train("or_and", method=name, init="random", seeds=seeds, iterations=40, **settings, **extra)
        for seed, run in zip(seeds, runs):
            alone = gm.train("or_and", method=name, init="random", seed=seed, iterations=40, **settings, **extra)
            np.testing.assert_array_equal(alone.params, run.params)
            np.testing.assert_array_equal(alone.history["cost"], run.history["cost"])
    shared = gm.train("or_and", method=name, init="post", seeds=[7, 7], iterations=10, **settings)
    np.testing.assert_array_equal(shared[0].params, shared[1].params)  # a run's stream is its seed's
    with pytest.raises(ValueError, match="stochastic estimator: give seed="):
        gm.train("or_and", method=name, init="post", iterations=5, **settings)


# ------------------------------------------------------------------------------ costs


def test_declared_work():
    net, params, X, Y = smooth_problem(3)  # 3-3-2: layers of 3*3+3 = 12 and 3*2+2 = 8 multiply-adds
    for k in (1, 5):
        provider = ForwardGradient(k=k)
        provider.value_and_grad(net, params, X, Y, rng=np.random.default_rng(0))
        by_hand = ((1 + k) * 12 + (1 + 2 * k) * 8) / 20  # first layer 1 + k products, the others 1 + 2k
        assert provider.counts() == {"nfev": 1, "njev": 1, "forward_passes": 1, "backward_passes": 0,
                                     "fpe": pytest.approx(by_hand)}  # fmt: skip
        assert dual_pass_fpe(net, k) == pytest.approx(by_hand)
        provider.reset_counts()
        provider.input_grad(net, params, X, Y, rng=np.random.default_rng(0))
        assert provider.fpe == pytest.approx((1 + k) * 20 / 20)  # tangents on the inputs: 1 + k everywhere
    for name, key, count in (("spsa", "k", 3), ("es_gradient", "n", 5)):
        provider = gm.get_provider(name, **{key: count})
        provider.value_and_grad(net, np.stack([params, params]), X, Y, rng=np.random.default_rng(0))
        assert provider.counts() == {"nfev": 2 * (2 * count + 1), "njev": 2, "forward_passes": 2 * (2 * count + 1),
                                     "backward_passes": 0, "fpe": 2.0 * (2 * count + 1)}  # fmt: skip
        provider.reset_counts()
        provider.input_grad(net, params, X, Y, rng=np.random.default_rng(0))
        assert (provider.nfev, provider.fpe) == (2 * count, 2.0 * count)  # no cost returned: no base point


def test_fitness_shaping_uses_centered_ranks():
    np.testing.assert_allclose(centered_ranks(np.array([[3.0, -1.0, 10.0]])), [[0.0, -0.5, 0.5]])
    net, params, X, Y = smooth_problem()
    shaped = gm.get_provider("es_gradient", fitness_shaping=True)
    cost, grad = shaped.value_and_grad(net, params, X, Y, rng=np.random.default_rng(0))
    _, g = exact_gradient(net, params, X, Y)
    assert cost == pytest.approx(exact_gradient(net, params, X, Y)[0], rel=1e-15)
    assert np.all(np.isfinite(grad)) and grad @ g > 0  # a descent direction, not the gradient's scale


# ------------------------------------------------------------------------------ Spall's decaying perturbation


def spsa_by_hand(net, row, X, Y, rng, c, k):
    """One SPSA estimate written out: c_k-sized ±1 perturbations, the quotient times the direction."""
    directions = 2.0 * rng.integers(0, 2, size=(k, net.n_params), dtype=np.int8) - 1.0  # spsa's own draw
    cost = lambda w: net.cost_from_outputs(*net.trace(w, X)[-1], Y)  # noqa: E731
    quotients = np.array([(cost(row + c * d) - cost(row - c * d)) / (2 * c) for d in directions])
    return cost(row), quotients @ directions / k


def test_decaying_perturbation_follows_spalls_formula():
    net, params, X, Y = smooth_problem(4)
    stack = params + np.random.default_rng(5).normal(0, 0.3, (3, net.n_params))
    c, gamma, steps = 0.2, 0.101, [0, 4, 99]
    provider = gm.get_provider("spsa", k=2, perturbation=c, perturbation_decay=gamma)
    assert provider.uses_step
    np.testing.assert_allclose(provider.sizes(np.array(steps)), [0.2, 0.2 / 5**0.101, 0.2 / 100**0.101], rtol=1e-15)
    costs, grads = provider.value_and_grad(net, stack, X, Y, rng=[np.random.default_rng(s) for s in range(3)],
                                           step=steps)  # fmt: skip
    for r, step in enumerate(steps):
        cost, grad = spsa_by_hand(net, stack[r], X, Y, np.random.default_rng(r), c / (step + 1) ** gamma, 2)
        assert costs[r] == pytest.approx(cost, rel=1e-12)
        np.testing.assert_allclose(grads[r], grad, rtol=1e-10, atol=1e-12 * np.abs(grad).max())
    # At step 99 the perturbation is not c: the estimate differs from a constant c's.
    constant = spsa_by_hand(net, stack[2], X, Y, np.random.default_rng(2), c, 2)[1]
    assert np.abs(grads[2] - constant).max() > 1e-6 * np.abs(constant).max()
    # input_grad perturbs the inputs by c_k too: the same as a constant-c provider with c = c_k.
    fixed = gm.get_provider("spsa", k=2, perturbation=c / 100**gamma)
    np.testing.assert_allclose(provider.input_grad(net, stack[2], X, Y, rng=np.random.default_rng(7), step=99),
                               fixed.input_grad(net, stack[2], X, Y, rng=np.random.default_rng(7)), rtol=1e-10)
    assert provider.nfev == 3 * 5 + 4  # declared work unchanged: 2k + 1 per network, 2k for input_grad


def test_decaying_perturbation_in_a_stack_equals_row_by_row_calls():
    net, params, X, Y = smooth_problem(6)
    stack = params + np.random.default_rng(4).normal(0, 0.3, (4, net.n_params))
    provider = gm.get_provider("spsa", k=3, perturbation=0.1, perturbation_decay=0.101)
    steps = [0, 7, 7, 250]
    costs, grads = provider.value_and_grad(net, stack, X, Y, rng=[np.random.default_rng(s) for s in range(4)],
                                           step=steps)  # fmt: skip
    for r, row in enumerate(stack):
        cost, grad = provider.value_and_grad(net, row, X, Y, rng=np.random.default_rng(r), step=steps[r])
        assert costs[r] == pytest.approx(cost, rel=1e-12)
        np.testing.assert_allclose(grads[r], grad, rtol=1e-12, atol=1e-12 * np.abs(grad).max())


def test_batched_training_with_the_decaying_perturbation_equals_one_run_at_a_time():
    seeds = [3, 1, 4]
    settings = dict(k=2, perturbation=0.05, perturbation_decay=0.101, lr=2.0, iterations=40)
    constant = gm.train("or_and", method="spsa", init="random", seed=3, **{**settings, "perturbation_decay": 0})
    for extra in ({}, {"batch_size": 2}, {"target": 0.3}):  # with a target, runs leave the stack at different steps
        runs = gm.train("or_and", method="spsa", init="random", seeds=seeds, **settings, **extra)
        for seed, run in zip(seeds, runs):
            alone = gm.train("or_and", method="spsa", init="random", seed=seed, **settings, **extra)
            np.testing.assert_allclose(alone.params, run.params, rtol=1e-12, atol=1e-12)
            np.testing.assert_allclose(alone.history["cost"], run.history["cost"], rtol=1e-12)
            np.testing.assert_array_equal(alone.history["nfev"], run.history["nfev"])
    assert not np.array_equal(runs[0].params, constant.params)  # the schedule changed the descent


def test_constant_perturbation_reproduces_the_numbers_before_the_schedule():
    # Final costs and weights of these runs as computed before the schedule existed (no step= anywhere).
    before = {3: (0.13408573914477534, [0.5328148588948434, 0.28844423636154426, 1.289108807754979]),
              1: (0.11104433815709111, [1.235536698012198, 1.0565778361371017, 0.5966827410650655])}  # fmt: skip
    for decay in ({}, {"perturbation_decay": 0}, {"perturbation_decay": 0.0}):
        runs = gm.train("or_and", method="spsa", init="random", seeds=[3, 1], iterations=30, perturbation=0.05, k=2,
                        lr=2.0, **decay)  # fmt: skip
        for run, seed in zip(runs, (3, 1)):
            assert float(run.history["cost"].iloc[-1]) == before[seed][0]
            assert run.params[:3].tolist() == before[seed][1]
    provider = gm.get_provider("spsa")
    assert not provider.uses_step
    net, params, X, Y = smooth_problem()
    np.testing.assert_array_equal(provider.value_and_grad(net, params, X, Y, rng=np.random.default_rng(0))[1],
                                  provider.value_and_grad(net, params, X, Y, rng=np.random.default_rng(0),
                                                          step=12)[1])  # fmt: skip


def test_step_is_required_by_the_schedule_and_validated():
    net, params, X, Y = smooth_problem()
    provider = gm.get_provider("spsa", perturbation_decay=0.101)
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match=r"'spsa' needs step=, the step number k of the descent"):
        provider.value_and_grad(net, params, X, Y, rng=rng)
    with pytest.raises(ValueError, match=r"'spsa' needs step="):
        provider.input_grad(net, params, X, Y, rng=rng)
    with pytest.raises(TypeError, match="step must be an int >= 0"):
        provider.value_and_grad(net, params, X, Y, rng=rng, step=1.5)
    with pytest.raises(TypeError, match="step must be an int >= 0"):
        provider.value_and_grad(net, params, X, Y, rng=rng, step=True)
    with pytest.raises(ValueError, match="step must be >= 0"):
        provider.value_and_grad(net, params, X, Y, rng=rng, step=-1)
    with pytest.raises(ValueError, match="one per network of the stack: 2; got 3"):
        provider.value_and_grad(net, np.stack([params, params]), X, Y, rng=rng, step=[0, 1, 2])
    assert provider.nfev == 0
    with pytest.raises(ValueError, match="perturbation_decay"):
        gm.get_provider("spsa", perturbation_decay=-0.1)
    backprop = gm.get_provider("backprop")  # a provider without a schedule accepts a step and ignores it
    np.testing.assert_array_equal(backprop.value_and_grad(net, params, X, Y, step=5)[1],
                                  backprop.value_and_grad(net, params, X, Y)[1])  # fmt: skip

