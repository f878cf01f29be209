"""Frozen parameters with every kind of provider and rule; the engines; budgets that are never allocated."""

import numpy as np
import pytest

import gradmethods as gm
from gradmethods.training import compiled
from gradmethods.training.trainers.gradient_descent import freeze_mask, gradient_descent_stack


@pytest.mark.parametrize("method", ["backprop", "dual", "fd_central", "forward_gradient", "spsa"])
@pytest.mark.parametrize("freeze", ["biases", "weights", "mask"])
def test_frozen_parameters_keep_their_initial_values_with_any_provider_rule_and_stack(method, freeze):
    task = gm.get_task("xor")
    net = task.network()
    mask = np.arange(net.n_params) % 3 == 0 if freeze == "mask" else freeze_mask(net, freeze)
    given = mask if freeze == "mask" else freeze
    seeds = [1, 2]
    runs = gm.train(task, method, init="random", seeds=seeds, iterations=30, freeze=given,
                    optimizer=gm.optim.adam(0.05))  # fmt: skip
    for seed, run in zip(seeds, runs):
        start = gm.initial_params(task, "random", seed=seed)
        np.testing.assert_array_equal(run.params[mask], start[mask])
        assert (run.params[~mask] != start[~mask]).all()
        alone = gm.train(task, method, init="random", seed=seed, iterations=30, freeze=given,
                         optimizer=gm.optim.adam(0.05))  # fmt: skip
        np.testing.assert_allclose(run.params, alone.params, rtol=1e-12)
    assert runs[0].settings["freeze"] == (freeze if freeze != "mask" else mask.tolist())


def test_freeze_masks_follow_the_layers():
    net = gm.Network([2, 3, 1])  # W0 (6), b0 (3), W1 (3), b1 (1)
    assert np.flatnonzero(freeze_mask(net, "biases")).tolist() == [6, 7, 8, 12]
    assert np.flatnonzero(freeze_mask(net, "weights")).tolist() == [0, 1, 2, 3, 4, 5, 9, 10, 11]


@pytest.mark.parametrize(
    ("freeze", "message"),
    [("bias", "must be a str among \\['biases', 'weights'\\]"), (np.ones(3, dtype=bool), "shape \\(9,\\)"),
     (np.ones(9), "boolean mask")],
)
def test_bad_freeze_values_are_refused_before_any_run(freeze, message):
    with pytest.raises(ValueError, match=message):
        gm.train("xor", init="random", seed=1, iterations=3, freeze=freeze)


# ------------------------------------------------------------------------------------------------ engines


def test_the_kernel_declares_what_it_computes():
    net, backprop = gm.get_task("xor").network(), gm.get_provider("backprop")
    for rule in (gm.optim.sgd(0.5), gm.optim.momentum(0.5, 0.9), gm.optim.sgd([0.5, 1.0])):
        assert compiled._rule_reason(rule.spec) is None
    for rule, words in ((gm.optim.adam(0.1), "got optimizer 'adam'"),
                        (gm.optim.sgd(gm.optim.cosine_decay(0.5, 10)), "fixed learning rate"),
                        (gm.optim.optimizer_from_spec({"name": "sgd", "lr": 0.5, "clip_norm": 1.0}), "clip_norm")):
        assert words in compiled.unsupported_reason(net, backprop, optimizer=rule.spec)  # fmt: skip
    assert "backprop's gradient" in compiled.unsupported_reason(net, gm.get_provider("dual"))


def test_engine_numba_refuses_with_the_reason_and_auto_falls_back():
    pytest.importorskip("numba")
    kwargs = dict(init="random", seed=3, iterations=20)
    with pytest.raises(ValueError, match="engine='numba' cannot train this run: .*'adam'"):
        gm.train("xor", engine="numba", optimizer=gm.optim.adam(0.1), **kwargs)
    with pytest.raises(ValueError, match="hand-built transform"):
        gm.train("xor", engine="numba", optimizer=gm.optim.chain(gm.optim.clip(1.0), gm.optim.sgd(0.5)), **kwargs)
    auto = gm.train("xor", engine="auto", optimizer=gm.optim.adam(0.1), **kwargs)
    assert auto.settings["engine"] == "numpy"
    np.testing.assert_array_equal(auto.params, gm.train("xor", optimizer=gm.optim.adam(0.1), **kwargs).params)
    assert gm.train("xor", engine="auto", **kwargs).settings["engine"] == "numba"
    with pytest.raises(ValueError, match="former spelling"):
        gm.train("xor", engine="numpy", fast=True, **kwargs)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize(
    "rule",
    [{"optimizer": gm.optim.sgd([0.5, 2.0, 4.0])}, {"optimizer": gm.optim.momentum([0.5, 1.0, 2.0], 0.9)},
     {"lr": 2.0, "momentum": 0.5, "freeze": "biases"}, {"optimizer": gm.optim.momentum(1.0, 0.8), "freeze": "weights"}],
    ids=["sgd", "momentum", "momentum frozen biases", "momentum frozen weights"],
)
def test_each_rule_the_kernel_claims_gives_numpys_numbers(rule, dtype, monkeypatch):
    pytest.importorskip("numba")
    monkeypatch.setattr(compiled, "CHUNK_ITERATIONS", 64)  # several chunks: parameters and velocity carry over
    kwargs = dict(init="random", seeds=[1, 2, 3], iterations=300, target=0.2, dtype=dtype, **rule)
    fast, reference = gm.train("xor", engine="numba", **kwargs), gm.train("xor", **kwargs)
    rtol = 1e-10 if dtype == "float64" else 2e-3
    for a, b in zip(fast, reference):
        assert a.outcome is b.outcome and len(a.history) == len(b.history)
        np.testing.assert_allclose(a.history["cost"], b.history["cost"], rtol=rtol)
        np.testing.assert_allclose(a.params, b.params, rtol=rtol, atol=1e-6 if dtype == "float32" else 0)
        assert a.history["nfev"].tolist() == b.history["nfev"].tolist()
        assert a.settings["engine"] == "numba" and {k: v for k, v in a.settings.items() if k != "engine"} == {
            k: v for k, v in b.settings.items() if k != "engine"}


# ------------------------------------------------------------------------------------------------ budgets


@pytest.fixture(scope="module")
def huge_budget_numpy_run():
    """XOR to a target with a budget of 10**12 iterations, on the numpy engine (trained once for both tests)."""
    return gm.train("xor", iterations=10**12, target=0.05, init="random", seed=1, engine="numpy")


def test_a_huge_budget_with_a_target_allocates_only_the_rows_taken(huge_budget_numpy_run):
    # 10**12 rows of float64 would be 8 TB: the run works only if nothing is allocated per budgeted iteration.
    result = huge_budget_numpy_run
    assert result.converged and len(result.history) < 20_000
    task = gm.get_task("xor")
    record = gradient_descent_stack(task.network(), gm.get_provider("backprop"),
                                    gm.initial_params(task, "random", seed=1)[None, :], *task.data(), lr=0.5,
                                    iterations=10**12, target=0.05)  # fmt: skip
    assert record.costs.shape == (len(result.history), 1)
    np.testing.assert_array_equal(record.costs[:, 0], result.history["cost"])


def test_a_huge_budget_on_the_kernel_too(huge_budget_numpy_run):
    pytest.importorskip("numba")
    result = gm.train("xor", iterations=10**12, target=0.05, init="random", seed=1, engine="numba")
    reference = huge_budget_numpy_run
    assert result.converged and len(result.history) == len(reference.history)
