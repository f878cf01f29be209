"""Batched training: R runs as one stack give each run the history it has alone."""

import numpy as np
import pandas as pd
import pytest

import gradmethods as gm
from gradmethods.training.results import Outcome
from gradmethods.training.trainers.gradient_descent import gradient_descent, gradient_descent_runs

RTOL = 1e-12


def reference_run(task, provider_name, params, lr, iterations, target=None, beta=0.0, seed=None):
    """An independent plain loop: one vector, one provider call per step, the post's update.

    A stochastic provider draws from the stream gm.train documents for the run's ``seed``:
    ``default_rng(SeedSequence(seed).spawn(2)[1])``.

    Returns (costs, errors, counts per step, outcome, final params).
    """
    net = task.network()
    X, Y = task.data(params.dtype)
    provider = gm.get_provider(provider_name)
    draws = {}
    if gm.get_method(provider_name).stochastic:
        draws = {"rng": np.random.default_rng(np.random.SeedSequence(seed).spawn(2)[1])}
    p = params.copy()
    velocity = np.zeros_like(p)
    costs, errors, counts = [], [], []
    with np.errstate(all="ignore"):
        for _ in range(iterations):
            cost, grad = provider.value_and_grad(net, p, X, Y, **draws)
            out = net.trace(p, X)[-1][1]
            error = np.mean(np.sqrt(np.sum((Y - out) ** 2, axis=1)))
            costs.append(float(cost))
            errors.append(float(error))
            counts.append(dict(provider.counts()))
            if not (np.isfinite(cost) and np.isfinite(grad).all()):
                return costs, errors, counts, Outcome.DIVERGED, p
            if target is not None and error <= target:
                return costs, errors, counts, Outcome.CONVERGED, p
            velocity = beta * velocity + grad
            p = p - p.dtype.type(lr) * velocity
            if not np.isfinite(p).all():
                return costs, errors, counts, Outcome.DIVERGED, p
    return costs, errors, counts, Outcome.BUDGET_EXHAUSTED, p


def assert_matches_reference(result, reference):
    costs, errors, counts, outcome, final = reference
    history = result.history
    assert result.outcome is outcome
    assert len(history) == len(costs)
    np.testing.assert_allclose(history["cost"], costs, rtol=RTOL)
    np.testing.assert_allclose(history["error"], errors, rtol=RTOL)
    for name in counts[0]:
        expected = [row[name] for row in counts]
        if name == "fpe":  # fractional: a stack's share is a difference of float sums divided by R
            assert history[name].dtype == np.float64
            np.testing.assert_allclose(history[name], expected, rtol=1e-13, err_msg=name)
        else:  # calls and passes: whole numbers, exact
            assert history[name].dtype == np.int64, name
            assert history[name].tolist() == expected, name
    finite = np.isfinite(final)
    np.testing.assert_array_equal(np.isfinite(result.params), finite)
    np.testing.assert_allclose(result.params[finite], final[finite], rtol=1e-11, atol=1e-14)


CASES = [
    # task name, overrides, seeds, learning rates, iterations, target
    ("xor", {}, [0, 1, 2, 3], [0.5, 2.0, 4.0, 8.0], 200, 0.45),
    ("or_and", {}, [5, 6, 7], 1.5, 150, 0.4),
    ("example4", {}, [0, 1], [0.5, 3.0], 100, None),
    ("xor", {"layer_sizes": (2, 3, 3, 1), "activation": ("tanh", "relu", "sigmoid")}, [3, 4, 5], 0.7, 100, None),
    ("or_and", {"cost": "cross_entropy"}, [1, 2, 3, 4], [0.5, 1.0, 5.0, 20.0], 150, 0.2),
]


@pytest.mark.parametrize("provider", gm.providers())
@pytest.mark.parametrize("case", CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_batched_runs_equal_each_run_alone(provider, case):
    name, overrides, seeds, lr, iterations, target = case
    task = gm.get_task(name, **overrides)
    net, (X, Y) = task.network(), task.data()
    try:  # a provider may refuse a network (complex steps need analytic activations)
        gm.get_provider(provider).value_and_grad(net, task.random_params(np.random.default_rng(0)), X, Y,
                                                 rng=np.random.default_rng(0))  # fmt: skip
    except ValueError as exc:
        pytest.skip(f"{provider} does not apply: {exc}")
    runs = gm.train(task, provider, init="random", seeds=seeds, lr=lr, iterations=iterations, target=target)
    lrs = lr if isinstance(lr, list) else [lr] * len(seeds)
    assert [run.settings["seed"] for run in runs] == seeds
    assert [run.settings["lr"] for run in runs] == lrs
    for seed, run_lr, run in zip(seeds, lrs, runs):
        init = task.random_params(np.random.default_rng(seed))
        assert_matches_reference(run, reference_run(task, provider, init, run_lr, iterations, target, seed=seed))
    if provider == "backprop":  # the public one-run call goes through the same engine as a stack of one
        for seed, run_lr, run in zip(seeds, lrs, runs):
            alone = gm.train(task, provider, init="random", seed=seed, lr=run_lr, iterations=iterations, target=target)
            np.testing.assert_allclose(alone.history["error"], run.history["error"], rtol=RTOL)
    stopped = [run for run in runs if run.outcome is Outcome.CONVERGED]
    if target is not None:
        assert stopped, "each case with a target has a run that stops early"
        assert all(len(run.history) < iterations and run.final_error <= target for run in stopped)


def test_target_stopped_runs_drop_out_and_the_others_go_on():
    # Larger learning rates reach the target sooner; the slow run exhausts its budget.
    runs = gm.train("or_and", init="post", seeds=[0, 0, 0], lr=[8.0, 3.0, 0.05], iterations=2000, target=0.1)
    lengths = [len(run.history) for run in runs]
    assert [run.outcome for run in runs] == [Outcome.CONVERGED, Outcome.CONVERGED, Outcome.BUDGET_EXHAUSTED]
    assert lengths[0] < lengths[1] < lengths[2] == 2000
    task = gm.get_task("or_and")
    for run in runs[:2]:
        errors = run.history["error"].to_numpy()
        assert errors[-1] <= 0.1 < errors[:-1].min()
        # No update is made on the iteration that reaches the target.
        assert task.network().error(run.params, task.X, task.Y) == pytest.approx(errors[-1], rel=1e-15)
    for run, lr in zip(runs, [8.0, 3.0, 0.05]):
        assert_matches_reference(run, reference_run(task, "backprop", task.post_params(), lr, 2000, 0.1))


@pytest.mark.parametrize("provider", gm.providers())
def test_diverging_runs_drop_out_without_stopping_the_others(provider):
    # A linear network (identity activation) on OR/AND: gradient descent on a quadratic, which
    # diverges once lr exceeds 2 / (largest curvature) and overflows to inf.
    task = gm.get_task("or_and", activation="identity")
    lrs = [0.1, 40.0, 0.3, 400.0]
    runs = gm.train(task, provider, init="random", seeds=[0, 1, 2, 3], lr=lrs, iterations=250)
    if not gm.get_method(provider).stochastic:  # a random direction's curvature is not the largest one
        assert [run.outcome for run in runs] == [
            Outcome.BUDGET_EXHAUSTED, Outcome.DIVERGED, Outcome.BUDGET_EXHAUSTED, Outcome.DIVERGED,
        ]  # fmt: skip
        assert len(runs[3].history) < len(runs[1].history) < 250
    for seed, lr, run in zip(range(4), lrs, runs):
        init = task.random_params(np.random.default_rng(seed))
        assert_matches_reference(run, reference_run(task, provider, init, lr, 250, seed=seed))


def test_work_counters_are_per_run():
    runs = gm.train("xor", init="random", seeds=[0, 1, 2], lr=[0.5, 8.0, 1.0], iterations=300, target=0.45)
    for run in runs:
        n = len(run.history)
        # Backprop spends one cost evaluation and one gradient per iteration of a run.
        assert run.history["nfev"].tolist() == list(range(1, n + 1))
        assert run.history["njev"].tolist() == list(range(1, n + 1))
        # 2-2-1: forward (2*2 + 2) + (2*1 + 1) = 9 multiply-adds per pattern, reverse 9 + 2: 20/9 per iteration.
        np.testing.assert_allclose(run.history["fpe"], np.arange(1, n + 1) * 20 / 9, rtol=1e-13)


def test_float32_batched_runs_match_runs_alone():
    runs = gm.train("xor", init="random", seeds=[0, 1], dtype="float32", iterations=200)
    for seed, run in zip([0, 1], runs):
        alone = gm.train("xor", init="random", seed=seed, dtype="float32", iterations=200)
        assert run.params.dtype == np.float32
        np.testing.assert_allclose(run.history["error"], alone.history["error"], rtol=1e-6)


def test_stack_init_gives_one_row_per_run():
    task = gm.get_task("example4")
    stack = np.stack([task.post_params(), task.post_params() * 0.5])
    runs = gm.train(task, init=stack, seeds=[0, 1], iterations=50)
    alone = gm.train(task, init=stack[1], iterations=50)
    np.testing.assert_allclose(runs[1].history["cost"], alone.history["cost"], rtol=RTOL)
    assert runs[0].history["cost"].iloc[0] != runs[1].history["cost"].iloc[0]


def test_gradient_descent_one_vector_still_works():
    task = gm.get_task("example4")
    net, (X, Y) = task.network(), task.data()
    params, history, outcome = gradient_descent(
        net, gm.get_provider("backprop"), task.post_params(), X, Y, lr=0.5, iterations=10
    )
    assert params.shape == (net.n_params,) and len(history) == 10 and outcome is Outcome.BUDGET_EXHAUSTED
    # The post's example 4 gives 0.298371109 as the first total error.
    assert history["cost"].iloc[0] == pytest.approx(0.298371109, abs=1e-9)


# ---------------------------------------------------------------------------- momentum, minibatch SGD
def test_momentum_matches_an_independent_loop():
    task = gm.get_task("xor")
    runs = gm.train(task, init="random", seeds=[0, 1], lr=[0.5, 1.0], momentum=0.9, iterations=200)
    for seed, lr, run in zip([0, 1], [0.5, 1.0], runs):
        init = task.random_params(np.random.default_rng(seed))
        assert_matches_reference(run, reference_run(task, "backprop", init, lr, 200, beta=0.9))
        assert run.settings["momentum"] == 0.9


def _many_samples_task():
    rng = np.random.default_rng(123)
    X = rng.uniform(-1, 1, size=(40, 2))
    Y = (X[:, :1] * X[:, 1:] > 0).astype(float)  # quadrant parity
    base = gm.get_task("xor")
    import dataclasses

    return dataclasses.replace(base, name="parity40", X=X, Y=Y, layer_sizes=(2, 4, 1))


def test_minibatch_sgd_with_a_fixed_seed_is_reproducible():
    task = _many_samples_task()
    first = gm.train(task, init="random", seed=3, batch_size=8, iterations=100)
    again = gm.train(task, init="random", seed=3, batch_size=8, iterations=100)
    other = gm.train(task, init="random", seed=3, batch_size=8, batch_seed=99, iterations=100)
    np.testing.assert_array_equal(first.history["cost"], again.history["cost"])
    np.testing.assert_array_equal(first.params, again.params)
    assert not np.array_equal(first.params, other.params)
    assert first.settings["batch_size"] == 8


def test_minibatch_of_all_patterns_is_full_batch_descent():
    task = _many_samples_task()
    full = gm.train(task, init="random", seed=3, iterations=60)
    whole = gm.train(task, init="random", seed=3, batch_size=40, iterations=60)
    # Only the order of the 40 patterns in the sums differs.
    np.testing.assert_allclose(whole.history["cost"], full.history["cost"], rtol=1e-12)


def test_minibatch_steps_use_the_batch_gradient():
    task = _many_samples_task()
    net, (X, Y) = task.network(), task.data()
    init = task.random_params(np.random.default_rng(0))
    rng = np.random.default_rng(7)
    params, history, _ = gradient_descent(
        net, gm.get_provider("backprop"), init, X, Y, lr=0.5, iterations=3, batch_size=16, rng=rng
    )
    # Independent replay: an epoch is a permutation cut into batches 16, 16, 8.
    order = np.random.default_rng(7).permutation(40)
    p = init.copy()
    provider = gm.get_provider("backprop")
    for batch in (order[:16], order[16:32]):
        p = p - 0.5 * provider.value_and_grad(net, p, X[batch], Y[batch])[1]
    np.testing.assert_allclose(history["cost"].iloc[2], net.cost(p, X, Y), rtol=1e-13)
    p = p - 0.5 * provider.value_and_grad(net, p, X[order[32:]], Y[order[32:]])[1]
    np.testing.assert_allclose(params, p, rtol=1e-13)


@pytest.mark.parametrize("shared", [False, True])
def test_batched_minibatch_runs_equal_runs_alone(shared):
    task = _many_samples_task()
    kwargs = dict(init="random", batch_size=10, iterations=80, momentum=0.5, batch_seed=11 if shared else None)
    runs = gm.train(task, seeds=[0, 1, 2], **kwargs)
    for seed, run in zip([0, 1, 2], runs):
        alone = gm.train(task, seed=seed, **kwargs)
        np.testing.assert_allclose(run.history["cost"], alone.history["cost"], rtol=RTOL)
        np.testing.assert_allclose(run.params, alone.params, rtol=RTOL)


def test_runs_sharing_a_generator_share_one_stacked_call():
    task = _many_samples_task()
    net, (X, Y) = task.network(), task.data()
    stack = task.random_params(np.random.default_rng(0), size=3)
    provider = gm.get_provider("backprop")
    shared = np.random.default_rng(5)
    gradient_descent_runs(net, provider, stack, X, Y, lr=0.5, iterations=4, batch_size=10, rngs=[shared] * 3)
    assert provider.nfev == 12  # 3 runs x 4 iterations, whatever the grouping
    distinct = [np.random.default_rng(s) for s in range(3)]
    results = gradient_descent_runs(net, provider, stack, X, Y, lr=0.5, iterations=4, batch_size=10, rngs=distinct)
    assert [r[1]["nfev"].iloc[-1] for r in results] == [4, 4, 4]


# ---------------------------------------------------------------------------- validation
@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"seeds": [1, 2], "lr": [0.5]}, "one per seed"),
        ({"seed": 1, "lr": [0.5, 0.6]}, "without seeds"),
        ({"seeds": [1, 2], "seed": 3}, "either seed"),
        ({"seeds": []}, "at least one seed"),
        ({"seeds": "12"}, "sequence of ints"),
        ({"seeds": [1, -2]}, "seeds\\[1\\]"),
        ({"seeds": [1, 2], "lr": [0.5, -1.0]}, "lr\\[1\\]"),
        ({"seed": 1, "momentum": 1.0}, "momentum"),
        ({"seed": 1, "batch_size": 5}, "batch_size"),
        ({"seeds": [1, 2], "init": np.zeros((3, 9))}, "one per seed"),
    ],
)
def test_bad_batched_arguments_raise_clear_errors(kwargs, message):
    with pytest.raises(ValueError, match=message):
        gm.train("xor", init=kwargs.pop("init", "random"), iterations=5, **kwargs)


def test_minibatch_needs_a_seed():
    with pytest.raises(ValueError, match="needs a seed"):
        gm.train("not", init="post", batch_size=1, iterations=5)


def test_a_trainer_without_fit_runs_trains_one_run_per_seed():
    """gm.train(seeds=...) calls fit once per seed when the trainer has no fit_runs: each run is its seed's run."""
    trainers = [name for name in gm.core.registry.trainers()
                if not callable(getattr(gm.get_method(name).factory, "fit_runs", None))]  # fmt: skip
    if not trainers:
        pytest.skip("every registered trainer has fit_runs")
    runs = gm.train("not", trainers[0], init="random", seeds=[1, 2], iterations=5)
    for seed, run in zip([1, 2], runs):
        alone = gm.train("not", trainers[0], init="random", seed=seed, iterations=5)
        assert run.settings["seed"] == seed
        pd.testing.assert_frame_equal(run.history.drop(columns="seconds"), alone.history.drop(columns="seconds"))


def test_trainers_reject_gradient_descent_options():
    trainers = gm.core.registry.trainers()
    if not trainers:
        pytest.skip("no gradient-free trainer is registered")
    for option in ({"momentum": 0.5}, {"optimizer": "adam"}, {"freeze": "biases"}, {"engine": "numba"}):
        with pytest.raises(ValueError, match="gradient methods only"):
            gm.train("xor", trainers[0], init="random", seed=1, iterations=5, **option)


# ---------------------------------------------------------------------------- compiled path
FAST_CASES = [
    ("xor", {}, [0, 1, 2, 3], [0.5, 2.0, 4.0, 8.0], 400, 0.3, 0.0),
    ("or_and", {"cost": "cross_entropy"}, [1, 2, 3], [0.5, 5.0, 20.0], 300, 0.2, 0.0),
    ("xor", {"layer_sizes": (2, 3, 3, 1), "activation": ("tanh", "relu", "sigmoid")}, [3, 4], 0.7, 150, None, 0.5),
    ("or_and", {"activation": "identity"}, [0, 1, 2], [0.1, 40.0, 400.0], 300, None, 0.0),  # two diverge
]


def test_fast_path_gives_the_numpy_numbers():
    pytest.importorskip("numba")
    for name, overrides, seeds, lr, iterations, target, beta in FAST_CASES:
        task = gm.get_task(name, **overrides)
        kwargs = dict(init="random", seeds=seeds, lr=lr, iterations=iterations, target=target, momentum=beta)
        fast, reference = gm.train(task, fast=True, **kwargs), gm.train(task, **kwargs)
        for a, b in zip(fast, reference):
            assert a.outcome is b.outcome and len(a.history) == len(b.history), name
            for column in ("cost", "error"):
                np.testing.assert_allclose(a.history[column], b.history[column], rtol=RTOL)
            for column in ("iteration", "nfev", "njev"):
                assert a.history[column].dtype == b.history[column].dtype == np.int64
                assert a.history[column].tolist() == b.history[column].tolist()
            assert a.history["fpe"].dtype == np.float64
            np.testing.assert_allclose(a.history["fpe"], b.history["fpe"], rtol=1e-13)
            finite = np.isfinite(b.params)
            np.testing.assert_array_equal(np.isfinite(a.params), finite)
            np.testing.assert_allclose(a.params[finite], b.params[finite], rtol=1e-11, atol=1e-14)
    outcomes = [run.outcome for run in fast]
    assert outcomes.count(Outcome.DIVERGED) == 2


def test_engine_auto_falls_back_to_numpy_for_minibatches_and_numba_refuses_them():
    pytest.importorskip("numba")
    task = _many_samples_task()
    kwargs = dict(init="random", seed=2, batch_size=8, iterations=20)
    auto = gm.train(task, engine="auto", **kwargs)
    np.testing.assert_array_equal(auto.params, gm.train(task, **kwargs).params)
    assert auto.settings["engine"] == "numpy"
    for spelling in ({"engine": "numba"}, {"fast": True}):
        with pytest.raises(ValueError, match="engine='numba' cannot train this run: .*full-batch only"):
            gm.train(task, **spelling, **kwargs)


def test_fast_path_accounts_its_work_to_the_provider_as_numpy_does():
    pytest.importorskip("numba")
    from gradmethods.training.compiled import gradient_descent_stack_fast

    task = gm.get_task("xor")
    net, (X, Y) = task.network(), task.data()
    stack = task.random_params(np.random.default_rng(0), size=3)
    fast, slow = gm.get_provider("backprop"), gm.get_provider("backprop")
    record = gradient_descent_stack_fast(net, fast, stack, X, Y, lr=[0.5, 8.0, 1.0], iterations=300, target=0.45)
    gradient_descent_runs(net, slow, stack, X, Y, lr=[0.5, 8.0, 1.0], iterations=300, target=0.45)
    calls = int(record.rows.sum())
    assert isinstance(fast.nfev, int) and isinstance(fast.fpe, float)
    assert (fast.nfev, fast.njev) == (slow.nfev, slow.njev) == (calls, calls)
    assert fast.fpe == pytest.approx(slow.fpe, rel=1e-13) and fast.fpe == pytest.approx(calls * 20 / 9, rel=1e-13)


class _CallsOnly:
    """A provider written before forward-pass equivalents: nfev and njev, no counts()."""

    name = "calls_only"

    def __init__(self):
        self.nfev = self.njev = 0
        self.backprop = gm.get_provider("backprop")

    def value_and_grad(self, net, params, X, Y):
        networks = 1 if np.ndim(params) == 1 else len(params)
        self.nfev += networks
        self.njev += networks
        return self.backprop.value_and_grad(net, params, X, Y)


def test_a_provider_without_fpe_gets_nan_fpe_not_a_made_up_number():
    task = gm.get_task("xor")
    net, (X, Y) = task.network(), task.data()
    stack = task.random_params(np.random.default_rng(0), size=2)
    runs = gradient_descent_runs(net, _CallsOnly(), stack, X, Y, lr=0.5, iterations=5)
    for _, history, _ in runs:
        assert history["nfev"].tolist() == [1, 2, 3, 4, 5] and history["nfev"].dtype == np.int64
        assert history["fpe"].isna().all()
