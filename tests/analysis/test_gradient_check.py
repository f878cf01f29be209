"""gm.check_gradients, the Taylor test, the FD step study and `gradmethods check`."""

import numpy as np
import pytest

import gradmethods as gm
from gradmethods.cli import main
from gradmethods.core import registry
from gradmethods.gradients.complex_step import ComplexStep
from gradmethods.gradients.fd_central import CentralDifference
from gradmethods.gradients.fd_forward import ForwardDifference


def test_max_relative_error_by_hand():
    assert gm.max_relative_error([1.0, 2.5], [1.0, 2.0]) == 0.25
    # One network's input gradient (N, n_in) is scaled as a whole; a stack network by network.
    assert gm.max_relative_error([[1.0, 0.0], [0.0, 0.2]], [[1.0, 0.0], [0.0, 0.1]]) == pytest.approx(0.1)
    assert gm.max_relative_error([[1.0, 0.0], [0.0, 0.2]], [[1.0, 0.0], [0.0, 0.1]], stacked=True) == pytest.approx(1.0)
    assert gm.max_relative_error([0.0, 0.0], [0.0, 0.0]) == 0.0
    with pytest.raises(ValueError, match="same shape"):
        gm.max_relative_error([1.0], [1.0, 2.0])


def test_check_gradients_table():
    task = gm.get_task("example4")
    table = gm.check_gradients(task.network(), task.post_params(), task.X, task.Y)
    names = [name for name in gm.providers() if not gm.get_method(name).stochastic]  # estimators are left out
    assert list(table.columns) == ["quantity", "provider", "reference", "max_rel_error", "tolerance", "agrees"]
    assert len(table) == 2 * len(names) ** 2
    diagonal = table[table["provider"] == table["reference"]]
    assert (diagonal["max_rel_error"] == 0).all()
    exact = table[table["provider"].isin(["dual", "complex_step"]) & (table["reference"] == "backprop")]
    assert (exact["max_rel_error"] <= 1e-12).all()
    assert table.attrs["skipped"] == {}
    pairs = table.set_index(["quantity", "provider", "reference"])
    # The tolerance of a pair is the sum of what the two methods declare.
    assert pairs.loc[("params", "fd_forward", "backprop"), "tolerance"] == 1e-5 + 1e-12
    assert pairs.loc[("inputs", "complex_step", "dual"), "tolerance"] == 1e-13 + 1e-12
    assert table["agrees"].all()


class Overpromising(ForwardDifference):
    """Forward differences (error ~1e-8) that declare the tolerance of an exact method."""

    tolerance = 1e-12


def test_a_method_beyond_its_declared_tolerance_disagrees(capsys):
    gm.register_provider("_overpromising")(Overpromising)
    try:
        task = gm.get_task("example4")
        table = gm.check_gradients(task.network(), task.post_params(), task.X, task.Y,
                                   providers=["backprop", "dual", "_overpromising"])  # fmt: skip
        pairs = table.set_index(["quantity", "provider", "reference"])["agrees"]
        assert not pairs["params", "_overpromising", "backprop"] and not pairs["params", "backprop", "_overpromising"]
        assert pairs["params", "dual", "backprop"]
        assert main(["check", "--task", "example4", "--providers", "backprop,_overpromising"]) == 0
        out = capsys.readouterr().out
        assert "more than the sum of their declared tolerances" in out
        assert "dC/dw _overpromising against backprop" in out
    finally:
        registry.METHODS.unregister("_overpromising")


def test_unsupported_providers_are_skipped_without_being_called(monkeypatch):
    net = gm.Network([2, 3, 1], activation=["relu", "sigmoid"])
    called = []
    monkeypatch.setattr(ComplexStep, "compute_value_and_grad", lambda *args: called.append(1))
    table = gm.check_gradients(net, net.init_params(np.random.default_rng(0)), np.ones((2, 2)), np.zeros((2, 1)),
                               providers=["backprop", "complex_step"])  # fmt: skip
    assert called == []
    assert table.attrs["skipped"] == {"complex_step": ComplexStep().unsupported_reason(net)}


def test_step_methods_come_from_the_registry():
    # Numerical methods with a step setting, least accurate (largest declared tolerance) first.
    assert gm.analysis.gradient_check.step_methods() == ["fd_forward", "fd_central", "fd_richardson", "complex_step"]
    relu = gm.Network([2, 2, 1], activation=["relu", "sigmoid"])
    assert "complex_step" not in gm.analysis.gradient_check.step_methods(relu)

    class CoarseCentral(CentralDifference):
        tolerance = 1e-3

    gm.register_provider("_coarse_central")(CoarseCentral)
    try:
        assert gm.analysis.gradient_check.step_methods()[0] == "_coarse_central"
        task = gm.get_task("example4")
        study = gm.fd_step_study(task.network(), task.post_params(), task.X, task.Y, steps=[1e-4])
        assert list(study["method"]) == ["_coarse_central", "fd_forward", "fd_central", "fd_richardson",
                                         "complex_step"]  # fmt: skip
        with pytest.raises(ValueError, match=r"takes? none.*Methods with a step"):
            gm.fd_step_study(task.network(), task.post_params(), task.X, task.Y, methods=["backprop"])
    finally:
        registry.METHODS.unregister("_coarse_central")


def test_check_gradients_on_a_stack():
    net = gm.Network([3, 4, 2], activation="tanh")
    rng = np.random.default_rng(5)
    params = net.init_params(rng, size=3)
    table = gm.check_gradients(net, params, rng.uniform(-1, 1, (5, 3)), rng.uniform(0, 1, (5, 2)),
                               providers=["backprop", "dual", "fd_central"])
    pairs = table.set_index(["quantity", "provider", "reference"])["max_rel_error"]
    assert pairs["params", "dual", "backprop"] <= 1e-12 and pairs["inputs", "dual", "backprop"] <= 1e-12
    assert 0 < pairs["params", "fd_central", "backprop"] <= 1e-7


def test_check_gradients_skips_complex_step_on_relu_with_reason():
    net = gm.Network([2, 3, 1], activation=["relu", "sigmoid"])
    params = net.init_params(np.random.default_rng(0))
    table = gm.check_gradients(net, params, np.ones((2, 2)), np.zeros((2, 1)), providers=["backprop", "complex_step"])
    assert set(table["provider"]) == {"backprop"}
    assert "fd_central" in table.attrs["skipped"]["complex_step"]
    with pytest.raises(ValueError, match="providers"):
        gm.check_gradients(net, params, np.ones((2, 2)), np.zeros((2, 1)), providers=["backprp"])


class ScaledBackprop:
    """A wrong gradient: backprop's, 10% too large."""

    def value_and_grad(self, net, params, X, Y):
        cost, grad = gm.get_provider("backprop").value_and_grad(net, params, X, Y)
        return cost, 1.1 * grad


def test_taylor_test_order_two_for_a_true_gradient_and_one_for_a_wrong_one():
    task = gm.get_task("or_and")
    net, params = task.network(), task.post_params()
    table, order = gm.taylor_test(net, params, task.X, task.Y, "dual")
    assert list(table.columns) == ["h", "remainder", "order"]
    assert order == pytest.approx(2.0, abs=0.1)
    steps = 1e-2 * 2.0 ** -np.arange(8)
    _, wrong = gm.taylor_test(net, params, task.X, task.Y, ScaledBackprop(), steps=steps)
    assert wrong == pytest.approx(1.0, abs=0.2)


def test_fd_step_study_has_the_v_shape_where_theory_puts_it():
    task = gm.get_task("example4")
    study = gm.fd_step_study(task.network(), task.post_params(), task.X, task.Y)
    assert list(study.columns) == ["method", "step", "max_rel_error"]
    assert set(study["method"]) == {"fd_forward", "fd_central", "fd_richardson", "complex_step"}
    best = gm.step_study_minima(study).set_index("method")["step"]
    eps = np.finfo(float).eps
    # Optimal steps ~ eps**(1/2) and eps**(1/3) up to problem-dependent factors of O(10).
    assert eps**0.5 / 30 <= best["fd_forward"] <= eps**0.5 * 30
    assert eps ** (1 / 3) / 30 <= best["fd_central"] <= eps ** (1 / 3) * 30
    assert eps ** (1 / 5) / 30 <= best["fd_richardson"] <= eps ** (1 / 5) * 30
    forward = study[study["method"] == "fd_forward"].set_index("step")["max_rel_error"]
    assert forward.iloc[0] > 1e3 * forward.min() and forward.iloc[-1] > 1e3 * forward.min()  # both arms of the V
    complex_step = study[study["method"] == "complex_step"]
    assert (complex_step[complex_step["step"] <= 1e-8]["max_rel_error"] <= 1e-15).all()  # no rounding arm


def test_check_command_prints_tables(capsys):
    assert main(["check", "--task", "example4", "--providers", "backprop,dual,fd_central"]) == 0
    out = capsys.readouterr().out
    assert "dC/dw" in out and "dC/dX" in out and "observed_order" in out
    assert "complex_step" not in out


def test_check_command_rejects_unknown_provider(capsys):
    assert main(["check", "--task", "example4", "--providers", "nope"]) == 2
    assert "nope" in capsys.readouterr().err
