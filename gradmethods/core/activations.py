"""Activation functions: a name -> (function, derivative) table.

Every function here is written with numpy ufuncs only, so that any number type that
numpy dispatches (float arrays, complex arrays, dual numbers through
``__array_ufunc__``) flows through it unchanged.  The derivative is used by
reverse-mode methods and is given both the pre-activation ``z`` and the
activation ``a = f(z)``, because for sigmoid and tanh the cheapest form uses ``a``.

Adding an activation is one call to :func:`register_activation`; every provider and
its tests pick it up through :func:`activation_names`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy import special

from .validation import check_choice

__all__ = ["Activation", "get_activation", "activation_names", "register_activation"]


@dataclass(frozen=True)
class Activation:
    """One activation function and its derivative.

    Attributes
    ----------
    name : str
        Name used in ``Network(activation=...)``.
    fn : callable
        ``fn(z) -> a``, elementwise, generic over the number type.
    deriv : callable
        ``deriv(z, a) -> da/dz`` for real arrays, elementwise.
    analytic : bool
        Whether the function is complex-analytic (safe for complex-step
        differentiation).  ``relu`` is not.
    """

    name: str
    fn: Callable
    deriv: Callable
    analytic: bool = True


def _sigmoid(z):
    # expit is a numpy ufunc: exact, no overflow and no warning for any |z|, and
    # dispatched by __array_ufunc__ for custom number types.  It has no complex
    # loop, so complex arrays take the equivalent tanh form, which is analytic
    # and does not overflow either.
    if isinstance(z, np.ndarray) and z.dtype.kind == "c":
        return 0.5 + 0.5 * np.tanh(0.5 * z)
    return special.expit(z)


_ACTIVATIONS: dict[str, Activation] = {}


def register_activation(activation: Activation) -> Activation:
    """Add an activation to the table; a name may be registered only once."""
    if activation.name in _ACTIVATIONS:
        raise ValueError(f"activation {activation.name!r} is already registered")
    _ACTIVATIONS[activation.name] = activation
    return activation


for _activation in (
    Activation("sigmoid", _sigmoid, lambda z, a: a * (1 - a)),
    Activation("tanh", np.tanh, lambda z, a: 1 - a * a),
    Activation("relu", lambda z: np.maximum(z, 0), lambda z, a: (z > 0).astype(a.dtype), analytic=False),
    Activation("identity", lambda z: z, lambda z, a: np.ones_like(a)),
):
    register_activation(_activation)


def activation_names() -> list[str]:
    """Names of all registered activations, in registration order."""
    return list(_ACTIVATIONS)


def get_activation(name: str | Activation, *, argument: str = "activation") -> Activation:
    """Look an activation up by name.

    Raises
    ------
    ValueError
        If the name is unknown; the message lists the valid names.
    """
    if isinstance(name, Activation):
        return name
    check_choice(argument, name, _ACTIVATIONS)
    return _ACTIVATIONS[name]
