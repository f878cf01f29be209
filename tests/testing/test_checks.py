"""gradmethods.testing: every built-in method passes, and each deliberately broken one fails the check it breaks."""

import subprocess
import sys

import numpy as np
import pytest

import gradmethods as gm
from gradmethods.core import registry
from gradmethods.gradients.backprop import Backprop
from gradmethods.gradients.base import ProviderBase, Work
from gradmethods.gradients.fd_central import CentralDifference
from gradmethods.testing import (
    PROVIDER_CHECKS,
    TRAINER_CHECKS,
    check_provider,
    check_trainer,
    parametrize_with_checks,
)
from gradmethods.training.trainers.genetic import GeneticTrainer

# ------------------------------------------------------------------------------ broken providers


class WrongSign(Backprop):
    """The gradient with the wrong sign: training would climb the cost."""

    def compute_value_and_grad(self, net, params, X, Y):
        cost, grad = super().compute_value_and_grad(net, params, X, Y)
        return cost, -grad


class Float64Leak(Backprop):
    """Right numbers, but float32 parameters come back as float64."""

    def compute_value_and_grad(self, net, params, X, Y):
        wide = [np.asarray(a, dtype=np.float64) for a in (params, X, Y)]
        return super().compute_value_and_grad(net, *wide)

    def compute_input_grad(self, net, params, X, Y):
        wide = [np.asarray(a, dtype=np.float64) for a in (params, X, Y)]
        return super().compute_input_grad(net, *wide)


class MixingStack(Backprop):
    """Hands every network of a stack the mean gradient of the stack (right for one vector)."""

    def compute_value_and_grad(self, net, params, X, Y):
        cost, grad = super().compute_value_and_grad(net, params, X, Y)
        return cost, np.broadcast_to(grad.mean(axis=0), grad.shape).copy()


class UncountedWork(CentralDifference):
    """Central differences (2P + 1 forward passes) declared as one pass."""

    def value_and_grad_work(self, net, networks, patterns):
        return Work(nfev=1, njev=1, forward_passes=1, fpe=1.0)


class CountsTwice(Backprop):
    """Old habits: counts its own work inside the arithmetic, on top of the declared work."""

    def compute_value_and_grad(self, net, params, X, Y):
        self.nfev += params.shape[0]
        return super().compute_value_and_grad(net, params, X, Y)


class SupportsDisagrees(Backprop):
    """Refuses relu networks in unsupported_reason, but supports() says it takes every network."""

    def unsupported_reason(self, net):
        return "backprop through relu is not offered here" if "relu" in net.activation_names else None

    def supports(self, net):
        return True


class OverridesValidation(Backprop):
    """Replaces the base's validation: refused by the contract, which keeps it in one place."""

    def check_call(self, net, params, X, Y):
        return super().check_call(net, params, X, Y)


class MissingDeclaration(ProviderBase):
    """Arithmetic without the declaration of its work."""

    family, exact, tolerance = "reverse_mode", True, 1e-12

    def compute_value_and_grad(self, net, params, X, Y):
        return Backprop().compute_value_and_grad(net, params, X, Y)

    def compute_input_grad(self, net, params, X, Y):
        return Backprop().compute_input_grad(net, params, X, Y)


@pytest.mark.parametrize(
    "broken, failed_check",
    [
        (WrongSign, "check_value_and_grad"),
        (Float64Leak, "check_dtype_preserved"),
        (MixingStack, "check_stack_equals_loop"),
        (UncountedWork, "check_declared_forward_passes"),
        (CountsTwice, "check_work_per_network"),
        (SupportsDisagrees, "check_supports"),
        (MissingDeclaration, "check_contract"),
        (OverridesValidation, "check_contract"),
    ],
)
def test_a_broken_provider_fails_the_check_it_breaks(broken, failed_check):
    with pytest.raises(AssertionError, match=rf"^{failed_check} failed for {broken.__name__}: ") as caught:
        check_provider(broken)
    print(caught.value)  # shown with -s: the message a third party would read


def test_failure_messages_say_what_went_wrong():
    with pytest.raises(AssertionError, match=r"differs from the reference by \S+ relative to .* tolerance 1e-12"):
        check_provider(WrongSign)
    with pytest.raises(AssertionError, match="float32 in, float64 out"):
        check_provider(Float64Leak)
    with pytest.raises(AssertionError, match=r"row \d of a stack of 3 .* must be computed on its own"):
        check_provider(MixingStack)
    # 2P + 1 passes per network: the sigmoid check network [2, 3, 2] has P = 17.
    with pytest.raises(AssertionError, match=r"ran 35 forward passes .* declares 1 per network"):
        check_provider(UncountedWork)
    with pytest.raises(AssertionError, match=r"does not define value_and_grad_work\(\).*input_grad_work\(\)"):
        check_provider(MissingDeclaration)


def test_missing_declaration_is_refused_at_registration():
    with pytest.raises(TypeError, match=r"cannot register '_missing'.*does not define value_and_grad_work\(\)"):
        gm.register_provider("_missing")(MissingDeclaration)
    assert "_missing" not in gm.providers()


@pytest.mark.parametrize("name", registry.providers())
def test_every_built_in_provider_passes(name):
    assert check_provider(name) == [check.__name__ for check in PROVIDER_CHECKS]


def test_the_genetic_trainer_passes():
    assert check_trainer("genetic") == [check.__name__ for check in TRAINER_CHECKS]


def test_an_instance_is_checked_with_its_settings_and_left_alone():
    provider = CentralDifference(step=1e-4)
    net = gm.Network([1, 1])
    provider.value_and_grad(net, np.zeros(2), [[1.0]], [[0.0]])
    check_provider(provider)
    assert provider.nfev == 5  # 2P + 1 (P = 2) of its own call: the checks worked on a copy
    with pytest.raises(AssertionError, match="check_value_and_grad failed for fd_central"):
        check_provider(CentralDifference(step=0.3))  # an error of order step**2 breaks the promised 1e-7


def test_a_provider_is_not_a_trainer():
    with pytest.raises(TypeError, match="check_trainer"):
        check_provider("genetic")
    with pytest.raises(TypeError, match="check_provider"):
        check_trainer("backprop")


# ------------------------------------------------------------------------------ broken trainers


class IgnoresTarget(GeneticTrainer):
    def fit(self, task, net, params, X, Y, *, iterations=None, target=None, seed=None, settings=None):
        return super().fit(task, net, params, X, Y, iterations=iterations, target=None, seed=seed, settings=settings)


class IgnoresSeed(GeneticTrainer):
    draws = iter(range(10**6))

    def fit(self, task, net, params, X, Y, *, iterations=None, target=None, seed=None, settings=None):
        return super().fit(task, net, params, X, Y, iterations=iterations, target=target, seed=next(self.draws),
                           settings=settings)  # fmt: skip


class DropsColumn(GeneticTrainer):
    def fit(self, *args, **kwargs):
        result = super().fit(*args, **kwargs)
        result.history = result.history.drop(columns="njev")
        return result


class CountsBackwards(GeneticTrainer):
    def fit(self, *args, **kwargs):
        result = super().fit(*args, **kwargs)
        result.history["nfev"] -= 100 * result.history["iteration"]  # 96 + 94 g - 100 g: falls
        return result


class OverBudget(GeneticTrainer):
    def fit(self, task, net, params, X, Y, *, iterations=None, target=None, seed=None, settings=None):
        return super().fit(task, net, params, X, Y, iterations=None if iterations is None else iterations + 1,
                           target=target, seed=seed, settings=settings)  # fmt: skip


@pytest.mark.parametrize(
    "broken, failed_check",
    [
        (IgnoresTarget, "check_target_stopping"),
        (IgnoresSeed, "check_same_seed_same_history"),
        (DropsColumn, "check_fit_result"),
        (CountsBackwards, "check_counters_non_decreasing"),
        (OverBudget, "check_budget_respected"),
    ],
)
def test_a_broken_trainer_fails_the_check_it_breaks(broken, failed_check):
    with pytest.raises(AssertionError, match=rf"^{failed_check} failed for {broken.__name__}: "):
        check_trainer(broken)


# ------------------------------------------------------------------------------ the pytest helper


def test_parametrize_with_checks_gives_one_id_per_method_and_check():
    mark = parametrize_with_checks(["backprop", GeneticTrainer, WrongSign()])
    names, params = mark.args
    assert names == "method, check"
    expected = ([f"backprop-{check.__name__}" for check in PROVIDER_CHECKS]
                + [f"genetic-{check.__name__}" for check in TRAINER_CHECKS]
                + [f"WrongSign-{check.__name__}" for check in PROVIDER_CHECKS])  # fmt: skip
    assert [param.id for param in params] == expected
    assert len(set(expected)) == len(expected)


@parametrize_with_checks([WrongSign])
def test_the_helper_runs_one_check_per_test(method, check):
    if check.__name__ in {"check_value_and_grad", "check_dtype_preserved", "check_declared_tolerance"}:
        with pytest.raises(AssertionError, match=f"^{check.__name__} failed for WrongSign"):
            check(method)  # the checks that compare gradients with the reference (float32 included)
    else:
        check(method)  # the others hold: only the sign is wrong


def test_importing_the_checks_does_not_need_pytest():
    code = "import sys; sys.modules['pytest'] = None; import gradmethods.testing; print('ok')"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr
