import numpy as np
import pytest

import gradmethods as gm
from gradmethods.core import registry
from gradmethods.gradients.backprop import Backprop
from gradmethods.gradients.base import GradientProvider, ProviderBase, Work, backward_sweep_fpe


def test_backprop_is_a_registered_gradient_provider():
    assert "backprop" in gm.providers()
    assert gm.methods()["backprop"] == "gradient"
    provider = gm.get_provider("backprop")
    assert isinstance(provider, GradientProvider) and provider.name == "backprop"


def test_each_lookup_gives_a_fresh_provider_with_its_own_counters():
    a, b = gm.get_provider("backprop"), gm.get_provider("backprop")
    net = gm.Network([1, 1])
    a.value_and_grad(net, np.zeros(2), np.ones((1, 1)), np.ones((1, 1)))
    assert (a.nfev, b.nfev) == (1, 0)


def test_unknown_names_list_the_registered_ones():
    with pytest.raises(ValueError, match="'method'.*backprop.*Got 'backprob'"):
        gm.get_provider("backprob")


class ScaledBackprop(ProviderBase):
    """Backprop's gradient, halved: a provider written outside the package, against the contract."""

    family, exact, tolerance = "reverse_mode", False, 1e-12

    def compute_value_and_grad(self, net, params, X, Y):
        cost, grad = Backprop().compute_value_and_grad(net, params, X, Y)
        return cost, grad / 2

    def compute_input_grad(self, net, params, X, Y):
        return Backprop().compute_input_grad(net, params, X, Y) / 2

    def value_and_grad_work(self, net, networks, patterns):
        return Work(nfev=1, njev=1, forward_passes=1, backward_passes=1, fpe=1 + backward_sweep_fpe(net))

    def input_grad_work(self, net, networks, patterns):
        return Work(nfev=1, njev=1, forward_passes=1, backward_passes=1,
                    fpe=1 + backward_sweep_fpe(net, to_inputs=True))  # fmt: skip


def test_a_third_party_provider_plugs_in_and_trains():
    gm.register_provider("scaled_backprop")(ScaledBackprop)
    try:
        assert "scaled_backprop" in gm.providers()
        assert gm.get_method("scaled_backprop").family == "reverse_mode"
        halved = gm.train("example4", method="scaled_backprop", iterations=10)
        plain = gm.train("example4", lr=0.25, iterations=10)  # half the gradient at lr 0.5 is the gradient at 0.25
        np.testing.assert_allclose(halved.params, plain.params, rtol=1e-14)
        assert list(halved.history["nfev"]) == list(range(1, 11))  # one declared evaluation per update
        with pytest.raises(ValueError, match="already registered"):
            gm.register_provider("scaled_backprop")(type("Other", (ScaledBackprop,), {}))
    finally:
        registry.METHODS.unregister("scaled_backprop")
    assert "scaled_backprop" not in gm.providers()


def test_an_old_style_provider_is_refused_with_what_to_add():
    class OldStyle(ProviderBase):
        """Overrides the public methods and counts by hand: the pre-contract way."""

        def value_and_grad(self, net, params, X, Y):
            cost, grad = gm.get_provider("backprop").value_and_grad(net, params, X, Y)
            self._count(params, nfev=1, njev=1)
            return cost, grad

        def input_grad(self, net, params, X, Y):
            return gm.get_provider("backprop").input_grad(net, params, X, Y)

    with pytest.raises(TypeError) as refused:
        gm.register_provider("old_style")(OldStyle)
    message = str(refused.value)
    assert message.startswith("cannot register 'old_style': ")
    for needed in ("does not define compute_value_and_grad()", "does not define compute_input_grad()",
                   "does not define value_and_grad_work()", "does not define input_grad_work()",
                   "overrides value_and_grad(), which validates and counts; implement compute_value_and_grad() "
                   "instead and declare value_and_grad_work()", "overrides input_grad()",
                   "OldStyle.family must be one of", "OldStyle.tolerance must be a float in (0, 1)"):  # fmt: skip
        assert needed in message, needed
    assert "old_style" not in gm.providers()
    with pytest.raises(TypeError, match="not a subclass of gradmethods.gradients.base.ProviderBase"):
        gm.register_provider("duck")(type("Duck", (), {"value_and_grad": lambda self, *args: None}))


def test_entry_points_are_loaded_lazily(monkeypatch):
    loaded = []

    class FakeEntryPoint:
        def load(self):
            loaded.append(True)

    monkeypatch.setattr(registry.METHODS, "_loaded", False)
    monkeypatch.setattr(
        registry, "entry_points", lambda group: [FakeEntryPoint()] if group == "gradmethods.providers" else []
    )
    assert loaded == []
    gm.providers()
    assert loaded == [True]
