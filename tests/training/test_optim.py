"""Update rules and minibatch sampling."""

import numpy as np
import pytest

from gradmethods.training import optim


def run_rule(rule, grad_fn, x0, steps):
    x = np.array(x0, dtype=float)
    state = rule.init(x)
    for _ in range(steps):
        updates, state = rule.update(grad_fn(x), state)
        x = optim.apply_updates(x, updates)
    return x


def test_sgd_on_a_quadratic_contracts_by_one_minus_lr_times_curvature():
    # f(x) = a x^2 / 2: x_k = (1 - lr a)^k x_0.
    a, lr, x0 = 3.0, 0.1, 2.0
    x = run_rule(optim.sgd(lr), lambda x: a * x, [x0], 7)
    assert x[0] == pytest.approx((1 - lr * a) ** 7 * x0, rel=1e-14)


def test_momentum_follows_the_heavy_ball_recursion():
    # v_k = beta v_{k-1} + a x_{k-1}, x_k = x_{k-1} - lr v_k, written out by hand for 3 steps.
    a, lr, beta, x = 2.0, 0.1, 0.9, 1.0
    v1 = a * x
    x1 = x - lr * v1  # 0.8
    v2 = beta * v1 + a * x1  # 1.8 + 1.6 = 3.4
    x2 = x1 - lr * v2  # 0.46
    v3 = beta * v2 + a * x2  # 3.06 + 0.92 = 3.98
    x3 = x2 - lr * v3  # 0.062
    assert x3 == pytest.approx(0.062, rel=1e-12)
    got = run_rule(optim.momentum(lr, beta), lambda x: a * x, [x], 3)
    assert got[0] == pytest.approx(x3, rel=1e-14)


def test_momentum_zero_is_sgd():
    grad = lambda x: np.sin(x) + x  # noqa: E731
    np.testing.assert_array_equal(
        run_rule(optim.momentum(0.3, 0.0), grad, [1.0, -2.0], 5), run_rule(optim.sgd(0.3), grad, [1.0, -2.0], 5)
    )


def test_per_run_learning_rates_and_select_runs():
    params = np.ones((3, 2))
    rule = optim.chain(optim.trace(0.5), optim.scale([-1.0, -2.0, -3.0]))
    state = rule.init(params)
    updates, state = rule.update(np.ones((3, 2)), state)
    np.testing.assert_array_equal(updates, [[-1, -1], [-2, -2], [-3, -3]])
    kept = optim.select_runs(state, np.array([False, True, True]))
    updates, _ = rule.update(np.ones((2, 2)), kept)
    # v = 0.5 * 1 + 1 = 1.5, times the kept runs' factors -2 and -3.
    np.testing.assert_array_equal(updates, [[-3, -3], [-4.5, -4.5]])


def test_float32_params_keep_float32():
    params = np.ones(4, dtype=np.float32)
    rule = optim.momentum(0.1, 0.9)
    updates, _ = rule.update(np.ones(4, dtype=np.float32), rule.init(params))
    assert optim.apply_updates(params, updates).dtype == np.float32


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: optim.scale([1.0, 2.0]).init(np.ones((3, 2))), "one per run"),
        (lambda: optim.trace(1.0), "momentum"),
        (lambda: optim.Minibatches(4, 5, np.random.default_rng(0)), "batch_size"),
        (lambda: optim.Minibatches(4, 0, np.random.default_rng(0)), "batch_size"),
        (lambda: optim.Minibatches(4, 2, 0), "Generator"),
    ],
)
def test_bad_arguments(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_minibatches_see_every_pattern_once_per_epoch():
    batches = optim.Minibatches(10, 4, np.random.default_rng(0))
    sizes = []
    for _ in range(3):  # three epochs of batches 4, 4, 2
        epoch = [batches.next() for _ in range(3)]
        sizes.append([b.size for b in epoch])
        assert sorted(np.concatenate(epoch).tolist()) == list(range(10))
    assert sizes == [[4, 4, 2]] * 3


def test_minibatches_are_reproducible_and_follow_the_generator():
    a = optim.Minibatches(10, 3, np.random.default_rng(42))
    b = optim.Minibatches(10, 3, np.random.default_rng(42))
    first = [a.next() for _ in range(8)]
    assert all(np.array_equal(x, y) for x, y in zip(first, [b.next() for _ in range(8)]))
    expected = np.random.default_rng(42).permutation(10)
    np.testing.assert_array_equal(np.concatenate(first[:4]), expected)


def test_gm_train_reads_the_rules_declarations():
    from gradmethods.training.api import TRAIN_PARAMETERS

    assert TRAIN_PARAMETERS["momentum"] is optim.RULE_PARAMETERS["momentum"]
    assert TRAIN_PARAMETERS["lr"][:-1] == optim.RULE_PARAMETERS["lr"] and TRAIN_PARAMETERS["lr"][-1] is None
    assert TRAIN_PARAMETERS["batch_size"][:-1] == optim.RULE_PARAMETERS["batch_size"]


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: optim.trace(1.0), ValueError,
         "The 'momentum' parameter must be a float in the range [0, 1). Got 1.0 instead."),
        (lambda: optim.momentum(0.1, -0.5), ValueError,
         "The 'beta' parameter must be a float in the range [0, 1). Got -0.5 instead."),
        (lambda: optim.trace("0.9"), TypeError,
         "The 'momentum' parameter must be a float in the range [0, 1). Got '0.9' (str) instead."),
        (lambda: optim.sgd([0.5, -1.0]), ValueError,
         "The 'lr[1]' parameter must be a float in the range (0, inf). Got -1.0 instead."),
        (lambda: optim.sgd(0.0), ValueError,
         "The 'lr' parameter must be a float in the range (0, inf), a sequence of floats in the range (0, inf) "
         "(at least one learning rate) or a schedule (gm.optim.cosine_decay(...), ...). Got 0.0 instead."),
        (lambda: optim.Minibatches(4, 5, np.random.default_rng(0)), ValueError,
         "The 'batch_size' parameter must be an int in the range [1, 4] (at most the number of patterns, 4). "
         "Got 5 instead."),
        (lambda: optim.Minibatches(4, 2.0, np.random.default_rng(0)), TypeError,
         "The 'batch_size' parameter must be an int in the range [1, inf). Got 2.0 (float) instead."),
        (lambda: optim.Minibatches(4, 2, 0), TypeError,
         "The 'rng' parameter must be a numpy.random.Generator. Got 0 (int) instead."),
    ],
)
def test_rule_messages_name_the_parameter_the_value_and_the_range(call, error, message):
    with pytest.raises(error) as info:
        call()
    assert str(info.value) == message and isinstance(info.value, ValueError)
