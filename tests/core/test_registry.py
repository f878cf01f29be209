import numpy as np
import pytest

import gradmethods as gm
from gradmethods.core import registry
from gradmethods.gradients.base import GradientProvider, ProviderBase


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


def test_a_third_party_provider_plugs_in_and_trains(monkeypatch):
    monkeypatch.setattr(registry, "_REGISTRY", dict(registry._REGISTRY))

    @gm.register_provider("scaled_backprop")
    class ScaledBackprop(ProviderBase):
        """Backprop's gradient, halved: a provider written outside the package."""

        def value_and_grad(self, net, params, X, Y):
            cost, grad = gm.get_provider("backprop").value_and_grad(net, params, X, Y)
            self._count(params, nfev=1, njev=1)
            return cost, grad / 2

        def input_grad(self, net, params, X, Y):
            return gm.get_provider("backprop").input_grad(net, params, X, Y) / 2

    assert "scaled_backprop" in gm.providers()
    halved = gm.train("example4", method="scaled_backprop", iterations=10)
    plain = gm.train("example4", lr=0.25, iterations=10)
    np.testing.assert_allclose(halved.params, plain.params, rtol=1e-14)

    with pytest.raises(ValueError, match="already registered"):
        gm.register_provider("scaled_backprop")(type("Other", (ProviderBase,), {}))


def test_entry_points_are_loaded_lazily(monkeypatch):
    loaded = []

    class FakeEntryPoint:
        def load(self):
            loaded.append(True)

    monkeypatch.setattr(registry, "_loaded", False)
    monkeypatch.setattr(
        registry, "entry_points", lambda group: [FakeEntryPoint()] if group == "gradmethods.providers" else []
    )
    assert loaded == []
    gm.providers()
    assert loaded == [True]
