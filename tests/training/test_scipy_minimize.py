"""The scipy.optimize trainers: counted work against scipy's own counts, iterates, outcomes, settings, suites."""

import doctest
import re
import tomllib
from pathlib import Path

import numpy as np
import pytest
import scipy.optimize

import gradmethods as gm
from gradmethods.cli import main
from gradmethods.core import registry
from gradmethods.gradients.backprop import Backprop
from gradmethods.suites.suite import SuiteError, parse_suite
from gradmethods.testing import parametrize_with_checks
from gradmethods.training.results import HISTORY_COLUMNS, Outcome
from gradmethods.training.trainers import Trainer, scipy_minimize
from gradmethods.training.trainers.scipy_minimize import SCIPY_HISTORY_COLUMNS

SCIPY_METHODS = {"lbfgsb": "L-BFGS-B", "bfgs": "BFGS", "cg": "CG", "nelder_mead": "Nelder-Mead", "powell": "Powell"}
GRADIENT_METHODS = ("lbfgsb", "bfgs", "cg")


def test_doctests():
    assert doctest.testmod(scipy_minimize).failed == 0


@parametrize_with_checks(list(SCIPY_METHODS))
def test_conformance(method, check):
    check(method)


@pytest.mark.parametrize("name", list(SCIPY_METHODS))
def test_registered_as_trainers_with_a_style(name):
    info = gm.get_method(name)
    assert gm.methods()[name] == "trainer" and isinstance(info.factory(), Trainer)
    assert info.factory.scipy_method == SCIPY_METHODS[name]
    assert info.style is not None
    assert ("gradient" in info.parameters) == (name in GRADIENT_METHODS)


def _start(task_name="xor", seed=3):
    task = gm.get_task(task_name)
    return task, task.network(), *task.data(), gm.initial_params(task, "random", seed=seed)


def _scipy_run(net, provider, x0, X, Y, method, *, rng=None, iterations=None, **options):
    """scipy alone, with the provider's fused cost and gradient: the reference counts and iterates."""
    iterates = [x0.copy()]

    def fused(x):
        cost, grad = provider.value_and_grad(net, x, X, Y, rng=rng)
        return float(cost), grad

    def callback(intermediate_result):
        iterates.append(intermediate_result.x.copy())
        if iterations is not None and len(iterates) == iterations:
            raise StopIteration

    result = scipy.optimize.minimize(fused, x0, jac=True, method=method, callback=callback, options=options)
    return result, iterates


@pytest.mark.parametrize("name", GRADIENT_METHODS)
@pytest.mark.parametrize("gradient", ["backprop", "dual", "fd_central"])
def test_counted_work_is_scipys_calls_times_the_declared_cost(name, gradient):
    task, net, X, Y, x0 = _start()
    work = gm.get_provider(gradient).value_and_grad_work(net, 1, X.shape[0])
    # scipy ends this run by itself (its gradient test or a line search), with no callback stop
    result, iterates = _scipy_run(net, gm.get_provider(gradient), x0, X, Y, SCIPY_METHODS[name], maxiter=10_000)
    assert result.status != 99 and result.nfev > 5
    run = gm.train(task, method=name, init=x0, gradient=gradient, iterations=10_000)
    last = run.history.iloc[-1]
    assert last["nfev"] == result.nfev * work.nfev and last["njev"] == result.njev * work.njev
    assert last["forward_passes"] == result.nfev * work.forward_passes
    assert last["backward_passes"] == result.nfev * work.backward_passes
    assert last["fpe"] == pytest.approx(result.nfev * work.fpe, rel=1e-12)
    assert len(run.history) == len(iterates) == result.nit + 1  # one row per iteration and the start
    np.testing.assert_array_equal(run.params, result.x)
    assert run.settings["stop_reason"] == f"scipy {SCIPY_METHODS[name]} status {result.status}: {result.message}"


def test_a_budget_of_iterations_stops_where_a_stopping_callback_stops_scipy():
    task, net, X, Y, x0 = _start()
    result, iterates = _scipy_run(net, gm.get_provider("backprop"), x0, X, Y, "L-BFGS-B", iterations=6)
    assert result.status == 99  # scipy's "callback raised StopIteration"
    run = gm.train(task, method="lbfgsb", init=x0, iterations=6)
    assert run.outcome is Outcome.BUDGET_EXHAUSTED and len(run.history) == 6
    assert run.history["nfev"].iloc[-1] == result.nfev
    np.testing.assert_array_equal(run.params, iterates[-1])
    expected = [float(net.cost(x, X, Y)) for x in iterates]
    np.testing.assert_allclose(run.history["cost"], expected, rtol=1e-14)


@pytest.mark.parametrize("task_name", ["xor", "example4"])
def test_lbfgsb_with_backprop_and_with_dual_gives_the_same_iterates(task_name):
    task, net, X, Y, x0 = _start(task_name, seed=5)
    runs = {gradient: gm.train(task, method="lbfgsb", init=x0, gradient=gradient, iterations=40)
            for gradient in ("backprop", "dual")}  # fmt: skip
    backprop, dual = runs["backprop"].history, runs["dual"].history
    assert len(backprop) == len(dual) > 10
    np.testing.assert_allclose(dual["cost"], backprop["cost"], rtol=1e-9, atol=1e-15)
    np.testing.assert_array_equal(dual["nfev"], backprop["nfev"])  # the same line searches
    np.testing.assert_allclose(runs["dual"].params, runs["backprop"].params, rtol=1e-8, atol=1e-10)
    # the work differs by what each provider declares per call, not by the number of calls
    per_call = {g: gm.get_provider(g).value_and_grad_work(net, 1, X.shape[0]).fpe for g in runs}
    assert dual["fpe"].iloc[-1] / per_call["dual"] == pytest.approx(backprop["fpe"].iloc[-1] / per_call["backprop"])


def test_a_stochastic_gradient_draws_from_the_runs_second_seed_stream():
    task, net, X, Y, x0 = _start()
    rng = np.random.default_rng(np.random.SeedSequence(7).spawn(2)[1])
    result, iterates = _scipy_run(net, gm.get_provider("spsa"), x0, X, Y, "L-BFGS-B", rng=rng, maxiter=50)
    run = gm.train(task, method="lbfgsb", gradient="spsa", init=x0, seed=7, iterations=51)
    np.testing.assert_array_equal(run.params, result.x)
    assert run.history["nfev"].iloc[-1] == result.nfev * gm.get_provider("spsa").value_and_grad_work(net, 1, 4).nfev
    other = gm.train(task, method="lbfgsb", gradient="spsa", init=x0, seed=8, iterations=51)
    assert not np.array_equal(other.params, run.params)
    with pytest.raises(ValueError, match="stochastic estimator.*seed="):
        gm.train(task, method="lbfgsb", gradient="spsa", init=x0)


@pytest.mark.parametrize("name", list(SCIPY_METHODS))
def test_max_nfev_stops_before_the_evaluation_that_would_exceed_it(name):
    gradient = {"gradient": "fd_central"} if name in GRADIENT_METHODS else {}
    task, net, X, Y, x0 = _start()
    per_call = gm.get_provider("fd_central").value_and_grad_work(net, 1, 4).nfev if gradient else 1
    budget = 7 * per_call + per_call // 2
    run = gm.train(task, method=name, init=x0, max_nfev=budget, **gradient)
    assert run.outcome is Outcome.BUDGET_EXHAUSTED and run.settings["stop_reason"].startswith("max_nfev")
    # every evaluation made is counted, those of the unfinished iteration too: seven calls
    assert run.history["nfev"].iloc[-1] == 7 * per_call


def test_line_search_failures_are_recorded_outcomes():
    task, net, X, Y, x0 = _start()
    lbfgsb = gm.train(task, method="lbfgsb", init=x0, dtype="float32", gtol=0.0, ftol=0.0)
    bfgs = gm.train(task, method="bfgs", init=x0, dtype="float32", gtol=0.0)
    assert lbfgsb.outcome is Outcome.BUDGET_EXHAUSTED and "ABNORMAL" in lbfgsb.settings["stop_reason"]
    assert bfgs.outcome is Outcome.BUDGET_EXHAUSTED and "precision loss" in bfgs.settings["stop_reason"]
    for run in (lbfgsb, bfgs):
        assert len(run.history) < 1000 and np.isfinite(run.history[["cost", "error"]].to_numpy()).all()


class _NaNAfterTen(Backprop):
    """Backprop whose gradient turns NaN from its eleventh call on (a test provider)."""

    def compute_value_and_grad(self, net, params, X, Y):
        cost, grad = super().compute_value_and_grad(net, params, X, Y)
        if self.nfev >= 10:
            grad = np.full_like(grad, np.nan)
        return cost, grad


def test_a_non_finite_gradient_ends_the_run_as_diverged_at_that_point():
    registry.register_provider("_nan_after_ten")(_NaNAfterTen)
    try:
        task, net, X, Y, x0 = _start()
        run = gm.train(task, method="bfgs", init=x0, gradient="_nan_after_ten")
    finally:
        registry.METHODS.unregister("_nan_after_ten")
    assert run.outcome is Outcome.DIVERGED
    assert run.history["nfev"].iloc[-1] == 11
    # the last row is the point whose gradient was NaN: its cost is finite, and it is the result
    assert float(net.cost(run.params, X, Y)) == run.history["cost"].iloc[-1]


def test_float32_runs_return_the_last_iterate_rounded_to_float32():
    task, net, X, Y, x0 = _start()
    for name in SCIPY_METHODS:
        run = gm.train(task, method=name, init=x0.astype(np.float32), dtype="float32", iterations=20)
        assert run.params.dtype == np.float32 and set(HISTORY_COLUMNS) <= set(run.history.columns)
        X32, Y32 = task.data("float32")
        assert float(net.cost(run.params, X32, Y32)) == run.history["cost"].iloc[-1]


def test_a_random_start_is_gradient_descents_random_start():
    task = gm.get_task("xor")
    run = gm.train(task, method="nelder_mead", seed=4, iterations=1)
    assert list(run.history.columns) == list(SCIPY_HISTORY_COLUMNS)
    np.testing.assert_array_equal(run.params, gm.initial_params(task, "random", seed=4))
    with pytest.raises(ValueError, match="'seed' parameter must be an int"):
        gm.train(task, method="nelder_mead")


# ---------------------------------------------------------------------- settings, refused before any run
@pytest.mark.parametrize(
    "method, settings, named",
    [
        ("lbfgsb", {"gradient": "dul"}, "'gradient' parameter must be a str among"),
        ("lbfgsb", {"gradient": "genetic"}, "'gradient' parameter must be a str among"),
        ("lbfgsb", {"gtol": -1.0}, "'gtol' parameter"),
        ("lbfgsb", {"maxcor": 0}, "'maxcor' parameter"),
        ("bfgs", {"max_nfev": 0}, "'max_nfev' parameter"),
        ("cg", {"maxiter": 10}, "has no setting 'maxiter'"),
        ("nelder_mead", {"gradient": "backprop"}, "has no setting 'gradient'"),
        ("nelder_mead", {"adaptive": 1}, "'adaptive' parameter must be a bool"),
        ("powell", {"xtol": float("nan")}, "'xtol' parameter"),
        ("lbfgs", {}, "'method' parameter must be a str among"),
    ],
)
def test_bad_settings_are_refused_naming_the_setting(method, settings, named, monkeypatch):
    def no_run(*args, **kwargs):  # pragma: no cover - reached only if the refusal came too late
        raise AssertionError("scipy was called")

    monkeypatch.setattr(scipy.optimize, "minimize", no_run)
    with pytest.raises(ValueError, match=named):
        gm.train("or_and", method=method, seed=0, **settings)


def test_a_network_the_gradient_cannot_differentiate_is_refused():
    task = gm.get_task("xor", activation="relu")
    assert gm.get_method("lbfgsb").unsupported_reason(task.network(), gradient="complex_step") is not None
    with pytest.raises(ValueError, match="gradient='complex_step'"):
        gm.train(task, method="lbfgsb", gradient="complex_step", seed=0)


SUITE = """
name = "scipy_bridge"
entropy = 7
seeds = 2
tasks = ["or_and"]

[[methods]]
name = "lbfgsb"
gradient = "dual"

[[methods]]
name = "lbfgsb"
gradient = "fd_central"

[[methods]]
name = "nelder_mead"
adaptive = true

[defaults]
init = "random"
target = 0.05
"""


def test_suite_files_check_the_settings_and_run_the_trainers(tmp_path):
    suite = parse_suite(tomllib.loads(SUITE))
    assert [run.options for run in suite.runs[::2]] == [{"gradient": "dual"}, {"gradient": "fd_central"},
                                                        {"adaptive": True}]  # fmt: skip
    assert all(run.settings["lr"] is None and run.settings["iterations"] is None for run in suite.runs)
    bad = SUITE.replace('gradient = "dual"', 'gradient = "duals"').replace("adaptive = true", "xatol = -1.0")
    with pytest.raises(SuiteError) as caught:
        parse_suite(tomllib.loads(bad))
    message = str(caught.value)
    assert "methods[0].gradient" in message and "'duals'" in message and "methods[2].xatol" in message
    path = tmp_path / "suite.toml"
    path.write_text(SUITE)
    assert main(["run", str(path), "--out", str(tmp_path / "out"), "--no-plots"]) == 0
    runs = gm.load_results(tmp_path / "out").runs
    assert len(runs) == 6 and set(runs["outcome"]) == {"CONVERGED"}
    fd = runs[runs["gradient"] == "fd_central"]
    per_call = gm.get_provider("fd_central").value_and_grad_work(gm.get_task("or_and").network(), 1, 4)
    np.testing.assert_allclose(fd["fpe"], fd["nfev"] / per_call.nfev * per_call.fpe, rtol=1e-12)


def test_the_suite_in_the_docs_is_valid():
    text = (Path(__file__).resolve().parents[2] / "docs" / "scipy_cma.md").read_text(encoding="utf-8")
    (block,) = [b for b in re.findall(r"```toml\n(.*?)```", text, flags=re.S) if "# bridges.toml" in b]
    suite = parse_suite(tomllib.loads(block))
    assert len(suite.runs) == 2 * 20 * 10  # tasks x seeds x (8 methods, lbfgsb with 3 gradients)
    assert {run.options.get("gradient") for run in suite.runs if run.method == "lbfgsb"} == {
        "backprop", "dual", "fd_central"}


def test_a_budget_below_one_evaluation_is_refused():
    with pytest.raises(ValueError, match=r"max_nfev=5 is less than one evaluation.*fd_central.*\(13 cost"):
        gm.train("or_and", method="lbfgsb", gradient="fd_central", seed=0, max_nfev=5)


def test_a_nan_gradient_at_the_start_is_one_row():
    class NaNGradient(Backprop):
        def compute_value_and_grad(self, net, params, X, Y):
            cost, grad = super().compute_value_and_grad(net, params, X, Y)
            return cost, np.full_like(grad, np.nan)

    registry.register_provider("_nan_gradient")(NaNGradient)
    try:
        run = gm.train("or_and", method="lbfgsb", gradient="_nan_gradient", seed=0)
    finally:
        registry.METHODS.unregister("_nan_gradient")
    assert run.outcome is Outcome.DIVERGED and len(run.history) == 1 and run.history["nfev"].iloc[0] == 1
