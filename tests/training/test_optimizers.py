"""The update rules of gm.optim against formulas written out here, and batched runs against one-at-a-time runs."""

import math

import numpy as np
import pytest

import gradmethods as gm
from gradmethods.training import optim

DTYPES = [np.float64, np.float32]
RTOL = {np.float64: 1e-13, np.float32: 2e-5}
# float32: a moment that is a small difference of larger terms loses relative accuracy; in units of the step size
ATOL_PER_LR = {np.float64: 0.0, np.float32: 1e-5}


def gradients(shape, steps, dtype, seed=0):
    """A fixed sequence of gradients (not a function of the parameters: each rule's state alone is tested)."""
    return np.random.default_rng(seed).normal(size=(steps, *shape)).astype(dtype)


def updates_of(rule, grads):
    """The updates ``rule`` gives for the gradient sequence ``grads`` (params only give the shape)."""
    state = rule.init(np.zeros(grads.shape[1:], dtype=grads.dtype))
    out = []
    for g in grads:
        u, state = rule.update(g, state)
        assert u.dtype == grads.dtype
        out.append(u)
    return np.array(out)


# ------------------------------------------------------------------------------- independent formulas, scalar loops


def adam_reference(grads, lr, b1, b2, eps):
    """Kingma and Ba's Algorithm 1, element by element in Python floats."""
    flat = grads.reshape(len(grads), -1).astype(float)
    m, v, out = [0.0] * flat.shape[1], [0.0] * flat.shape[1], []
    for t, g in enumerate(flat, start=1):
        row = []
        for k, gk in enumerate(g):
            m[k] = b1 * m[k] + (1 - b1) * gk
            v[k] = b2 * v[k] + (1 - b2) * gk * gk
            m_hat, v_hat = m[k] / (1 - b1**t), v[k] / (1 - b2**t)
            row.append(-lr * m_hat / (math.sqrt(v_hat) + eps))
        out.append(row)
    return np.array(out).reshape(grads.shape)


def rmsprop_reference(grads, lr, decay, eps):
    flat = grads.reshape(len(grads), -1).astype(float)
    s, out = [0.0] * flat.shape[1], []
    for g in flat:
        row = []
        for k, gk in enumerate(g):
            s[k] = decay * s[k] + (1 - decay) * gk * gk
            row.append(-lr * gk / (math.sqrt(s[k]) + eps))
        out.append(row)
    return np.array(out).reshape(grads.shape)


def adagrad_reference(grads, lr, eps):
    flat = grads.reshape(len(grads), -1).astype(float)
    s, out = [0.0] * flat.shape[1], []
    for g in flat:
        row = []
        for k, gk in enumerate(g):
            s[k] += gk * gk
            row.append(-lr * gk / (math.sqrt(s[k]) + eps))
        out.append(row)
    return np.array(out).reshape(grads.shape)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(5,), (3, 5)], ids=["one run", "stack of 3"])
def test_adam_with_its_bias_correction(dtype, shape):
    grads = gradients(shape, 12, dtype)
    got = updates_of(optim.adam(0.01, b1=0.8, b2=0.99, eps=1e-7), grads)
    np.testing.assert_allclose(got, adam_reference(grads, 0.01, 0.8, 0.99, 1e-7), rtol=RTOL[dtype],
                               atol=0.01 * ATOL_PER_LR[dtype])  # fmt: skip
    # The first bias-corrected step is -lr * g / (|g| + eps): about lr in size whatever the gradient's scale.
    np.testing.assert_allclose(np.abs(got[0]), 0.01 * np.abs(grads[0]) / (np.abs(grads[0]) + 1e-7), rtol=RTOL[dtype])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(4,), (2, 4)], ids=["one run", "stack of 2"])
def test_rmsprop_and_adagrad(dtype, shape):
    grads = gradients(shape, 10, dtype, seed=1)
    np.testing.assert_allclose(updates_of(optim.rmsprop(0.05, decay=0.7, eps=1e-6), grads),
                               rmsprop_reference(grads, 0.05, 0.7, 1e-6), rtol=RTOL[dtype],
                               atol=0.05 * ATOL_PER_LR[dtype])  # fmt: skip
    np.testing.assert_allclose(updates_of(optim.adagrad(0.3, eps=1e-9), grads),
                               adagrad_reference(grads, 0.3, 1e-9), rtol=RTOL[dtype])  # fmt: skip


@pytest.mark.parametrize("dtype", DTYPES)
def test_nesterov_is_the_look_ahead_gradient_written_at_the_look_ahead_point(dtype):
    """Sutskever et al. (2013): v <- mu v - lr grad(theta + mu v), theta <- theta + v.

    On f(x) = x^T A x / 2 the rule's parameters are that method's look-ahead point
    phi = theta + mu v at every step (Nesterov's gradient is taken there).
    """
    A = np.array([[3.0, 0.5], [0.5, 1.0]])
    lr, mu = 0.1, 0.9
    theta, v = np.array([1.0, -2.0]), np.zeros(2)
    x = theta.astype(dtype)
    rule = optim.nesterov(lr, beta=mu)
    state = rule.init(x)
    for _ in range(25):
        v = mu * v - lr * A @ (theta + mu * v)
        theta = theta + v
        updates, state = rule.update((A @ x.astype(float)).astype(dtype), state)
        x = optim.apply_updates(x, updates)
        np.testing.assert_allclose(x, theta + mu * v, rtol=RTOL[dtype] * 10, atol=1e-6 if dtype == np.float32 else 0)


@pytest.mark.parametrize("dtype", DTYPES)
def test_nesterov_on_a_stack_rows_are_independent(dtype):
    grads = gradients((3, 4), 6, dtype, seed=2)
    rule = optim.nesterov([0.1, 0.2, 0.3], beta=0.5)
    stacked = updates_of(rule, grads)
    for run, lr in enumerate([0.1, 0.2, 0.3]):
        buf, expected = np.zeros(4), []
        for g in grads[:, run].astype(float):  # PyTorch's SGD(nesterov=True), written out
            buf = 0.5 * buf + g
            expected.append(-lr * (g + 0.5 * buf))
        np.testing.assert_allclose(stacked[:, run], expected, rtol=RTOL[dtype])


@pytest.mark.parametrize("dtype", DTYPES)
def test_clipping_by_global_norm_per_run_and_by_value(dtype):
    grads = np.array([[[3.0, 4.0], [0.3, 0.4]]], dtype=dtype)  # norms 5 and 0.5
    clipped = updates_of(optim.clip_by_global_norm(1.0), grads)[0]
    np.testing.assert_allclose(clipped, [[0.6, 0.8], [0.3, 0.4]], rtol=RTOL[dtype])
    by_value = updates_of(optim.clip(0.35), grads)[0]
    np.testing.assert_array_equal(by_value, np.array([[0.35, 0.35], [0.3, 0.35]], dtype=dtype))


@pytest.mark.parametrize(
    ("schedule", "formula"),
    [
        (optim.constant_schedule(0.3), lambda t: 0.3),
        (optim.exponential_decay(0.5, 0.9), lambda t: 0.5 * 0.9**t),
        (optim.exponential_decay(0.5, 0.5, transition_steps=3, staircase=True), lambda t: 0.5 * 0.5 ** (t // 3)),
        (optim.cosine_decay(1.0, 10, alpha=0.1),
         lambda t: 0.9 * 0.5 * (1 + math.cos(math.pi * min(t, 10) / 10)) + 0.1),
        (optim.inverse_time_decay(2.0, 0.5, transition_steps=2), lambda t: 2.0 / (1 + 0.5 * t / 2)),
        (optim.polynomial_decay(0.16, power=0.602, offset=10), lambda t: 0.16 / (t + 1 + 10) ** 0.602),  # Spall's a_k
    ],
    ids=["constant", "exponential", "step", "cosine", "inverse_time", "polynomial"],
)
@pytest.mark.parametrize("dtype", DTYPES)
def test_schedules_follow_their_formulas_as_the_learning_rate_of_sgd(schedule, formula, dtype):
    grads = np.ones((14, 2, 3), dtype=dtype)
    got = updates_of(optim.sgd(schedule), grads)
    expected = np.array([-formula(t) for t in range(14)])
    np.testing.assert_allclose(got[:, 0, 0], expected, rtol=RTOL[dtype])
    np.testing.assert_allclose(got[:, 1, 2], expected, rtol=RTOL[dtype])


def test_a_schedule_counts_each_runs_own_steps_after_runs_leave_the_stack():
    rule = optim.sgd(optim.exponential_decay(1.0, 0.5))
    state = rule.init(np.zeros((2, 1)))
    _, state = rule.update(np.ones((2, 1)), state)
    state = optim.select_runs(state, np.array([False, True]))
    updates, _ = rule.update(np.ones((1, 1)), state)
    assert updates[0, 0] == -0.5  # the kept run's second step


def test_freeze_keeps_the_masked_entries_and_chain_composes_with_any_rule():
    mask = np.array([True, False, True])
    rule = optim.chain(optim.freeze(mask), optim.adam(0.1))
    got = updates_of(rule, gradients((2, 3), 5, np.float64))
    assert (got[:, :, mask] == 0).all() and (got[:, :, ~mask] != 0).all()


def test_states_are_named_tuples_with_one_row_per_run():
    state = optim.adam(0.1).init(np.zeros((4, 3)))
    adam_state = state.states[0]
    assert type(adam_state).__name__ == "AdamState" and adam_state._fields == ("count", "mu", "nu")
    assert adam_state.count.shape == (4,) and adam_state.mu.shape == (4, 3)
    kept = optim.select_runs(state, np.array([True, False, True, False]))
    assert type(kept.states[0]) is type(adam_state) and kept.states[0].nu.shape == (2, 3)


# ------------------------------------------------------------------------------- specs and validation


def test_a_spec_rebuilds_the_rule_that_wrote_it():
    rule = optim.adam(optim.cosine_decay(0.1, 100), b1=0.8)
    rebuilt = optim.optimizer_from_spec(rule.spec)
    grads = gradients((3,), 8, np.float64)
    np.testing.assert_array_equal(updates_of(rebuilt, grads), updates_of(rule, grads))
    assert rebuilt.spec == rule.spec == {"name": "adam", "lr": {"name": "cosine", "init_value": 0.1,
                                         "decay_steps": 100, "alpha": 0.0}, "b1": 0.8, "b2": 0.999, "eps": 1e-8}


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"name": "adam", "lr": 0.01, "b1": -0.1},
         "The 'optimizer.b1' parameter must be a float in the range [0, 1). Got -0.1 instead."),
        ({"name": "adamw"}, "The 'optimizer.name' parameter must be a str among ['adagrad', 'adam', 'momentum', "
                            "'nesterov', 'rmsprop', 'sgd']. Got 'adamw' instead."),
        ({"name": "sgd", "lr": -1.0}, "'optimizer.lr' parameter must be a float in the range (0, inf)"),
        ({"name": "sgd", "beta": 0.9}, "optimizer 'sgd' has no setting 'beta'; its settings are ['clip_norm', "
                                       "'clip_value', 'lr']."),
        ({"name": "sgd", "lr": {"name": "cosine", "init_value": 0.1}}, "'optimizer.lr.decay_steps' parameter is "
                                                                        "required by schedule 'cosine'"),
        ({"name": "momentum", "clip_norm": 0}, "'optimizer.clip_norm' parameter must be a float in the range (0, inf)"),
    ],
)
def test_bad_specs_name_the_setting(spec, message):
    with pytest.raises(ValueError) as info:
        optim.optimizer_from_spec(spec)
    assert message in str(info.value)
    with pytest.raises(ValueError) as info:  # the same message from gm.train, before any run
        gm.train("not", optimizer=spec, iterations=3)
    assert message in str(info.value)


def test_adam_with_a_negative_beta_is_refused_naming_it():
    with pytest.raises(ValueError, match="The 'b1' parameter must be a float in the range \\[0, 1\\). Got -0.5"):
        gm.optim.adam(0.01, b1=-0.5)


def test_train_refuses_lr_or_momentum_with_an_optimizer():
    for shortcut in ({"lr": 0.5}, {"momentum": 0.9}):
        with pytest.raises(ValueError, match="either as optimizer= or as the shortcuts lr= / momentum="):
            gm.train("not", optimizer=gm.optim.adam(0.01), iterations=3, **shortcut)


def test_the_shortcuts_are_the_rules_they_name():
    for kwargs, rule in (({"lr": 0.7}, gm.optim.sgd(0.7)), ({"lr": 0.7, "momentum": 0.6}, gm.optim.momentum(0.7, 0.6))):
        a = gm.train("example4", iterations=50, **kwargs)
        b = gm.train("example4", iterations=50, optimizer=rule)
        np.testing.assert_array_equal(a.params, b.params)
        assert b.settings["optimizer"] == rule.spec


def test_the_recorded_optimizer_trains_the_same_run_again():
    run = gm.train("xor", init="random", seed=4, optimizer=gm.optim.rmsprop(0.02, decay=0.8), iterations=60)
    again = gm.train("xor", init="random", seed=4, optimizer=run.settings["optimizer"], iterations=60)
    np.testing.assert_array_equal(run.params, again.params)
    named = gm.train("xor", init="random", seed=4, optimizer={"name": "rmsprop", "decay": 0.8}, iterations=60)
    assert named.settings["optimizer"]["lr"] == gm.get_task("xor").lr  # a table without lr takes the task's


# ------------------------------------------------------------------------------- batched runs = one-at-a-time runs

RULES = {
    "sgd": lambda: gm.optim.sgd(0.5),
    "momentum": lambda: gm.optim.momentum(0.5, 0.9),
    "nesterov": lambda: gm.optim.nesterov(0.5, 0.9),
    "adam": lambda: gm.optim.adam(0.05),
    "rmsprop": lambda: gm.optim.rmsprop(0.01),
    "adagrad": lambda: gm.optim.adagrad(0.3),
    "clipped cosine": lambda: gm.optim.chain(gm.optim.clip_by_global_norm(0.5),
                                             gm.optim.nesterov(gm.optim.cosine_decay(2.0, 40))),
}


def assert_runs_equal(batched, alone_runs):
    for a, b in zip(batched, alone_runs):
        assert a.outcome is b.outcome and len(a.history) == len(b.history)
        for column in ("cost", "error"):
            np.testing.assert_allclose(a.history[column], b.history[column], rtol=1e-12)
        np.testing.assert_allclose(a.params, b.params, rtol=1e-12)


@pytest.mark.parametrize("rule", list(RULES))
@pytest.mark.parametrize(
    ("method", "extra"),
    [("backprop", {}), ("backprop", {"batch_size": 2}), ("forward_gradient", {}),
     ("forward_gradient", {"batch_size": 3})],  # fmt: skip
    ids=["backprop", "backprop minibatch", "forward_gradient", "forward_gradient minibatch"],
)
def test_batched_runs_with_any_rule_equal_one_at_a_time_runs(rule, method, extra):
    seeds = [3, 5, 8]
    kwargs = dict(init="random", iterations=40, target=0.3, **extra)
    batched = gm.train("xor", method, seeds=seeds, optimizer=RULES[rule](), **kwargs)
    alone = [gm.train("xor", method, seed=s, optimizer=RULES[rule](), **kwargs) for s in seeds]
    assert_runs_equal(batched, alone)
    assert [r.settings["seed"] for r in batched] == seeds
