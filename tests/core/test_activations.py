"""Activations: one derivative rule each, registered in one call, used by every provider.

The references here share no code with the package: a forward pass written out over
complex numbers, differentiated by a complex step per coordinate (h = 1e-30, exact to
rounding for analytic functions), and derivatives written by hand.
"""

import numpy as np
import pytest

import gradmethods as gm
from gradmethods.core.activations import ACTIVATIONS, Activation
from gradmethods.core.dual import Dual
from gradmethods.core.registry import Registry
from gradmethods.gradients.backprop import Backprop
from gradmethods.training import compiled

H = 1e-30


def _swish(z):
    # z * sigmoid(z), with the sigmoid in its tanh form: analytic, and no overflow.
    return z * (0.5 + 0.5 * np.tanh(0.5 * z))


def _swish_deriv(z, a):
    s = 0.5 + 0.5 * np.tanh(0.5 * z)
    return s + z * s * (1 - s)


def _leaky(z):
    return np.where(z > 0, z, 0.1 * z)


def _leaky_deriv(z, a):
    return np.where(z > 0, 1.0, 0.1)


@pytest.fixture
def swish():
    activation = gm.register_activation("swish", _swish, _swish_deriv)
    try:
        yield activation
    finally:
        ACTIVATIONS.unregister("swish")


@pytest.fixture
def leaky():
    activation = gm.register_activation("leaky", _leaky, _leaky_deriv, analytic=False, kinks=(0.0,))
    try:
        yield activation
    finally:
        ACTIVATIONS.unregister("leaky")


# ------------------------------------------------------------------ independent reference
REFERENCE = {
    "swish": lambda z: z / (1 + np.exp(-z)),
    "sigmoid": lambda z: 1 / (1 + np.exp(-z)),
    "tanh": np.tanh,
}


def reference_cost(sizes, names, params, X, Y):
    """Mean half squared error, from the documented layout (per layer: W row-major, then b)."""
    a, at = X, 0
    for (fan_in, fan_out), name in zip(zip(sizes[:-1], sizes[1:]), names):
        W = params[at : at + fan_in * fan_out].reshape(fan_in, fan_out)
        b = params[at + fan_in * fan_out : at + fan_in * fan_out + fan_out]
        at += fan_in * fan_out + fan_out
        a = REFERENCE[name](a @ W + b)
    return (0.5 * ((a - Y) ** 2).sum(axis=1)).mean()


def reference_gradients(sizes, names, params, X, Y):
    """dC/dw and dC/dX, one complex step per coordinate."""
    grad = np.empty(params.size)
    for j in range(params.size):
        w = params.astype(complex)
        w[j] += 1j * H
        grad[j] = reference_cost(sizes, names, w, X, Y).imag / H
    grad_X = np.empty(X.size)
    for j in range(X.size):
        x = X.astype(complex).ravel()
        x[j] += 1j * H
        grad_X[j] = reference_cost(sizes, names, params, x.reshape(X.shape), Y).imag / H
    return reference_cost(sizes, names, params, X, Y), grad, grad_X.reshape(X.shape)


def relative_error(g, ref, floor=0.0):
    return np.abs(g - ref).max() / max(np.abs(ref).max(), floor)


def problem(names, stack=None, seed=3):
    sizes = (3, 4, 2)
    net = gm.Network(sizes, activation=list(names))
    rng = np.random.default_rng(seed)
    params = net.init_params(rng, size=stack)
    params = params + 0.3 * rng.standard_normal(params.shape)
    X, Y = rng.uniform(-2, 2, (5, 3)), rng.uniform(0, 1, (5, 2))
    return sizes, net, params, X, Y


# ------------------------------------------------------------------ a registered activation, every provider
@pytest.mark.parametrize("method", ["backprop", "dual", "complex_step", "fd_central"])
@pytest.mark.parametrize("stack", [None, 2])
def test_a_registered_activation_gives_every_provider_the_reference_gradient(swish, method, stack):
    names = ("swish", "sigmoid")
    sizes, net, params, X, Y = problem(names, stack)
    provider = gm.get_provider(method)
    tolerance = gm.get_method(method).tolerance
    value, grad = provider.value_and_grad(net, params, X, Y)
    grad_X = provider.input_grad(net, params, X, Y)
    rows = [(params, value, grad, grad_X)] if stack is None else list(zip(params, value, grad, grad_X))
    for row, v, g, gx in rows:
        ref_value, ref_grad, ref_grad_X = reference_gradients(sizes, names, row, X, Y)
        assert v == pytest.approx(ref_value.real, rel=1e-14)
        # Methods that are not exact promise their tolerance relative to max(|g|_inf, |C|).
        floor = 0.0 if gm.get_method(method).exact else abs(ref_value.real)
        assert relative_error(g, ref_grad, floor) <= tolerance
        assert relative_error(gx, ref_grad_X, floor) <= tolerance


def test_dual_numbers_use_the_same_derivative_as_backprop(swish):
    # One rule: a dual pass through the activation multiplies the tangents by deriv(z, a).
    z = np.array([-3.0, -0.4, 0.0, 1.5])
    out = swish(Dual(z, np.stack([np.ones(4), 2 * np.ones(4)])))
    s = 1 / (1 + np.exp(-z))
    hand = s * (1 + z * (1 - s))  # d/dz z s(z) = s + z s (1 - s)
    np.testing.assert_allclose(out.value, z * s, rtol=1e-15)
    np.testing.assert_allclose(out.tangent, [hand, 2 * hand], rtol=1e-14)


def test_a_kinked_activation_is_refused_by_complex_step_and_agrees_elsewhere(leaky):
    assert leaky.kinks == (0.0,) and not leaky.analytic
    net = gm.Network([2, 3, 1], activation=["leaky", "sigmoid"])
    rng = np.random.default_rng(0)
    params = rng.standard_normal(net.n_params)
    X, Y = rng.uniform(-1, 1, (4, 2)), rng.uniform(0, 1, (4, 1))
    with pytest.raises(ValueError, match="'leaky'"):
        gm.get_provider("complex_step").value_and_grad(net, params, X, Y)
    z = net.trace(params, X)[0][0]
    assert not leaky.near_kink(z, 1e-3).any()  # central differences with these steps see no kink
    # fn uses np.where, which has no dual rule: dual numbers see only deriv.
    _, reference = gm.get_provider("backprop").value_and_grad(net, params, X, Y)
    for method in ("dual", "fd_central"):
        _, grad = gm.get_provider(method).value_and_grad(net, params, X, Y)
        assert relative_error(grad, reference) <= 1e-7


# ------------------------------------------------------------------ the compiled path
def test_the_compiled_path_names_an_activation_it_has_no_code_for(swish):
    net = gm.Network([2, 3, 1], activation=["swish", "sigmoid"])
    reason = compiled.unsupported_reason(net, Backprop())
    assert reason is not None and "'swish'" in reason and "layer 1" in reason
    assert not compiled.supports(net, Backprop())
    # An activation that merely shares a built-in's name is not the built-in.
    impostor = Activation("sigmoid", _swish, _swish_deriv)
    assert "'sigmoid'" in compiled.unsupported_reason(gm.Network([2, 1], activation=impostor), Backprop())
    if compiled.available():
        assert compiled.unsupported_reason(gm.Network([2, 3, 1], activation=["relu", "tanh"]), Backprop()) is None


def test_fast_training_of_a_registered_activation_is_the_numpy_training(swish):
    pytest.importorskip("numba")
    task = gm.get_task("xor", activation=("swish", "sigmoid"))
    kwargs = dict(init="random", seeds=[0, 1], lr=1.0, iterations=50)
    for fast, plain in zip(gm.train(task, engine="auto", **kwargs), gm.train(task, **kwargs)):
        np.testing.assert_array_equal(fast.params, plain.params)
        np.testing.assert_array_equal(fast.history["cost"], plain.history["cost"])


# ------------------------------------------------------------------ the built-in activations
HAND_DERIVATIVES = {
    "sigmoid": lambda z: np.exp(-z) / (1 + np.exp(-z)) ** 2,
    "tanh": lambda z: 1 / np.cosh(z) ** 2,
    "relu": lambda z: (z > 0) * 1.0,  # 0 at the kink, the convention of every exact method
    "identity": lambda z: np.ones_like(z),
}


@pytest.mark.parametrize("name", list(HAND_DERIVATIVES))
def test_builtin_activations_push_hand_derivatives_through_duals(name):
    # |z| <= 2: tanh's 1 - a*a loses about eps / (1 - a*a) relatively (3e-15 at z = 2).
    z = np.array([-2.0, -0.5, 0.0, 0.7, 2.0])
    activation = gm.get_activation(name)
    out = activation(Dual(z, np.ones((1, 5))))
    np.testing.assert_array_equal(out.value, activation(z))
    np.testing.assert_allclose(out.tangent[0], HAND_DERIVATIVES[name](z), rtol=1e-14)
    np.testing.assert_allclose(activation.deriv(z, activation(z)), HAND_DERIVATIVES[name](z), rtol=1e-14)


def test_builtin_facts():
    facts = {name: (gm.get_activation(name).analytic, gm.get_activation(name).kinks) for name in HAND_DERIVATIVES}
    assert facts == {"sigmoid": (True, ()), "tanh": (True, ()), "relu": (False, (0.0,)), "identity": (True, ())}


def test_near_kink_marks_the_entries_within_the_radius():
    relu = gm.get_activation("relu")
    z = np.array([[-1.0, -1e-7], [0.0, 2e-6]])
    assert relu.near_kink(z, 1e-6).tolist() == [[False, True], [True, False]]
    assert not gm.get_activation("sigmoid").near_kink(z, 10.0).any()


# ------------------------------------------------------------------ registering
def test_registering_is_one_call_and_unregistering_undoes_it():
    activation = gm.register_activation("cube", lambda z: z**3, lambda z, a: 3 * z**2)
    try:
        assert isinstance(activation, Activation) and activation.analytic and activation.kinks == ()
        assert gm.activation_names()[-1] == "cube" and gm.get_activation("cube") is activation
        assert gm.Network([1, 1], activation="cube").forward(np.array([2.0, 1.0]), [[1.0]]).tolist() == [[27.0]]
        # The same activation again is harmless; another one under the name is refused.
        assert gm.register_activation(activation) is activation
        with pytest.raises(ValueError, match="already registered"):
            gm.register_activation("cube", lambda z: z**3, lambda z, a: 3 * z**2)
    finally:
        assert ACTIVATIONS.unregister("cube") is activation
    assert "cube" not in gm.activation_names()
    with pytest.raises(ValueError, match="'activation'"):
        gm.get_activation("cube")


def test_an_activation_instance_registers_for_compatibility():
    activation = Activation("halve", lambda z: z / 2, lambda z, a: np.full_like(a, 0.5))
    try:
        assert gm.register_activation(activation) is activation and gm.get_activation("halve") is activation
    finally:
        ACTIVATIONS.unregister("halve")
    with pytest.raises(TypeError, match="Activation alone"):
        gm.register_activation(activation, lambda z: z)


@pytest.mark.parametrize(
    "args, kwargs, error, message",
    [
        (("k", np.abs, lambda z, a: np.sign(z)), {"kinks": (0.0,)}, ValueError, "analytic=False"),
        (("k", np.abs, lambda z, a: np.sign(z)), {"analytic": False, "kinks": ("zero",)}, TypeError, "kinks"),
        (("k", np.abs, lambda z, a: np.sign(z)), {"analytic": False, "kinks": (np.inf,)}, ValueError, "finite"),
        (("k", np.tanh, "1 - a * a"), {}, TypeError, "deriv must be callable"),
        (("k", lambda z: z.sum(), lambda z, a: 1.0), {}, ValueError, "elementwise"),
        (("k", lambda z: np.where(z.real > 0, z, 0).real, lambda z, a: 1.0 * (z > 0)), {}, ValueError, "analytic"),
        (("", np.tanh, lambda z, a: 1 - a * a), {}, TypeError, "non-empty str"),
    ],
)
def test_bad_registrations_are_refused_with_a_reason(args, kwargs, error, message):
    with pytest.raises(error, match=message):
        gm.register_activation(*args, **kwargs)
    assert "k" not in gm.activation_names()


def test_an_analytic_fn_without_a_complex_form_is_refused():
    from scipy import special

    with pytest.raises(ValueError, match="'k' is declared analytic.*complex"):
        gm.register_activation("k", special.expit, lambda z, a: a * (1 - a))
    gm.register_activation("k", special.expit, lambda z, a: a * (1 - a), analytic=False)
    ACTIVATIONS.unregister("k")


# ------------------------------------------------------------------ the registries
def test_activations_costs_and_tasks_share_the_generic_registry():
    from gradmethods.core.costs import COSTS
    from gradmethods.core.tasks import TASKS

    assert all(isinstance(table, Registry) for table in (ACTIVATIONS, COSTS, TASKS))
    assert gm.activation_names() == ACTIVATIONS.names()
    assert gm.cost_names() == COSTS.names() == ["half_sse", "cross_entropy"]
    assert gm.tasks() == TASKS.names() and "digits" in gm.tasks()


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: gm.get_activation("sigmod"),
         r"^The 'activation' parameter must be a str among \['identity', 'relu', 'sigmoid', 'tanh'\]\. "
         r"Got 'sigmod' instead\.$"),
        (lambda: gm.Network([2, 2, 1], activation=["tanh", "sigmod"]), r"^The 'activation\[1\]' parameter .*'sigmod'"),
        (lambda: gm.get_cost("mse"),
         r"^The 'cost' parameter must be a str among \['cross_entropy', 'half_sse'\]\. Got 'mse' instead\.$"),
        (lambda: gm.get_task("nand"), r"^The 'task' parameter must be a str among \[.*'digits'.*'xor'\]\. Got 'nand'"),
    ],
)
def test_unknown_names_list_the_registered_ones(call, message):
    with pytest.raises(ValueError, match=message):
        call()
