"""Activation functions: each one's value, derivative and facts in one object.

An :class:`Activation` holds ``fn(z)`` and ``deriv(z, a)``, and it is the only place
its derivative is written: backprop calls ``deriv`` on the way back, and calling the
activation on a :class:`~gradmethods.core.dual.Dual` applies the same ``deriv`` to the
tangents (forward mode).  On real or complex arrays the call is ``fn(z)``, which is
what finite differences and complex steps push their numbers through.  The
derivative is given both the pre-activation ``z`` and the activation ``a = f(z)``,
because for sigmoid and tanh the cheapest form uses ``a``.

The facts other parts of the package check are declared with the functions:
``analytic`` (``fn`` is complex-analytic, so complex steps apply) and ``kinks`` (the
points where the activation is not differentiable, such as 0 for ``relu``).

Adding an activation is one call to :func:`register_activation`; every provider and
its tests pick it up through :func:`activation_names`.

Examples
--------
>>> import numpy as np, gradmethods as gm
>>> from gradmethods.core.dual import Dual
>>> tanh = gm.get_activation("tanh")
>>> out = tanh(Dual(np.array([0.0, 1.0]), np.ones((1, 2))))   # value and d/dz in one pass
>>> out.value.round(4).tolist(), out.tangent.round(4).tolist()
([0.0, 0.7616], [[1.0, 0.42]])
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import special

from .dual import Dual
from .registry import Registry

__all__ = ["Activation", "ACTIVATIONS", "get_activation", "activation_names", "register_activation"]

#: Real points at which :func:`register_activation` tries a new activation's functions.
_PROBE = np.array([-2.0, -0.5, 0.0, 0.5, 2.0])


@dataclass(frozen=True)
class Activation:
    """One activation function, its derivative and the facts checks need.

    Call it like a function: ``activation(z)``.  On a real or complex array that is
    ``fn(z)``; on a :class:`~gradmethods.core.dual.Dual` it is ``fn`` of the values with
    tangents ``deriv(z, a) * tangent``, the same derivative backprop uses.

    Attributes
    ----------
    name : str
        Name used in ``Network(activation=...)``.
    fn : callable
        ``fn(z) -> a``, elementwise, on real arrays (and on complex arrays when
        ``analytic``).  It never sees a dual number.
    deriv : callable
        ``deriv(z, a) -> da/dz`` on real arrays, elementwise; ``a`` is ``fn(z)``.  Where
        the activation has a kink, the value it returns there is the convention every
        exact method follows (``relu``: 0 at ``z = 0``).
    analytic : bool
        Whether ``fn`` is complex-analytic and accepts complex arrays, so that
        complex-step differentiation applies.  ``relu`` is not.
    kinks : tuple of float
        The points where the activation is not differentiable, in increasing order;
        ``()`` for a smooth one.  A finite difference whose step crosses one of them
        does not approximate ``deriv`` (see :meth:`near_kink`).

    Examples
    --------
    >>> import numpy as np
    >>> square = Activation("square", lambda z: z * z, lambda z, a: 2 * z)
    >>> square(np.array([3.0])).tolist()
    [9.0]
    >>> relu = Activation("relu", lambda z: np.maximum(z, 0), lambda z, a: 1.0 * (z > 0), analytic=False, kinks=[0])
    >>> relu.kinks, relu.near_kink(np.array([-1.0, 1e-9, 2.0]), radius=1e-6).tolist()
    ((0.0,), [False, True, False])
    """

    name: str
    fn: Callable[[Any], Any]
    deriv: Callable[[Any, Any], Any]
    analytic: bool = True
    kinks: tuple[float, ...] = ()

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise TypeError(f"An activation name must be a non-empty str. Got {self.name!r} instead.")
        for role in ("fn", "deriv"):
            if not callable(getattr(self, role)):
                raise TypeError(
                    f"activation {self.name!r}: {role} must be callable. Got {getattr(self, role)!r} instead."
                )
        try:
            kinks = tuple(sorted(float(k) for k in self.kinks))
        except (TypeError, ValueError):
            raise TypeError(
                f"activation {self.name!r}: kinks must be a sequence of numbers. Got {self.kinks!r} instead."
            ) from None
        if not all(math.isfinite(k) for k in kinks):
            raise ValueError(f"activation {self.name!r}: kinks must be finite. Got {self.kinks!r} instead.")
        if kinks and self.analytic:
            raise ValueError(
                f"activation {self.name!r} has kinks at {list(kinks)}, so it is not complex-analytic; "
                f"pass analytic=False."
            )
        object.__setattr__(self, "kinks", kinks)
        object.__setattr__(self, "analytic", bool(self.analytic))

    def __call__(self, z: Any) -> Any:
        """``a = f(z)``; for dual numbers also the tangents ``f'(z) * dz`` from :attr:`deriv`."""
        if isinstance(z, Dual):
            a = self.fn(z.value)
            return Dual(a, self.deriv(z.value, a) * z.tangent)
        return self.fn(z)

    def near_kink(self, z: Any, radius: Any) -> np.ndarray:
        """Where ``[z - radius, z + radius]`` holds a kink: a boolean array shaped like ``z``.

        A finite difference with steps up to ``radius`` in ``z`` is meaningless at these
        entries; for a smooth activation the answer is False everywhere.

        Examples
        --------
        >>> import numpy as np, gradmethods as gm
        >>> gm.get_activation("relu").near_kink(np.array([-0.5, 0.0, 0.3]), 0.2).tolist()
        [False, True, False]
        >>> bool(gm.get_activation("tanh").near_kink(np.array([0.0]), 1.0).any())
        False
        """
        z = np.asarray(z)
        near = np.zeros(z.shape, dtype=bool)
        for kink in self.kinks:
            near |= np.abs(z - kink) <= radius
        return near


def _sigmoid(z):
    # expit is exact, with no overflow and no warning for any |z|.  It has no complex
    # loop, so complex arrays take the equivalent tanh form, which is analytic and
    # does not overflow either.
    if isinstance(z, np.ndarray) and z.dtype.kind == "c":
        return 0.5 + 0.5 * np.tanh(0.5 * z)
    return special.expit(z)


def _relu(z):
    return np.maximum(z, 0)


def _relu_deriv(z, a):
    return (z > 0).astype(a.dtype)  # 0 at the kink z = 0


def _identity(z):
    return z


def _identity_deriv(z, a):
    return np.ones_like(a)


#: Every activation, by name.
ACTIVATIONS: Registry[Activation] = Registry("activation")


def _check_shapes(activation: Activation) -> None:
    """Try the functions on a few real (and, if analytic, complex) points; raise on a clear misfit."""
    name = activation.name
    with np.errstate(all="ignore"):
        try:
            a = np.asarray(activation.fn(_PROBE))
            slope = np.asarray(activation.deriv(_PROBE, a))
        except Exception as exc:
            raise ValueError(f"activation {name!r}: fn or deriv fails on a float array: {exc!r}") from exc
        if a.shape != _PROBE.shape or np.broadcast_shapes(slope.shape, a.shape) != a.shape:
            raise ValueError(
                f"activation {name!r} must be elementwise: on an array of shape {_PROBE.shape} fn gave shape "
                f"{a.shape} and deriv {slope.shape}."
            )
        if activation.analytic:
            try:
                complex_a = np.asarray(activation.fn(_PROBE + 1e-20j))
            except Exception as exc:
                raise ValueError(
                    f"activation {name!r} is declared analytic but fn fails on a complex array ({exc!r}); write "
                    f"it with functions that have complex forms, or pass analytic=False."
                ) from exc
            if complex_a.dtype.kind != "c":
                raise ValueError(
                    f"activation {name!r} is declared analytic but fn returns {complex_a.dtype} for a complex "
                    f"array, dropping the imaginary part; pass analytic=False."
                )


def register_activation(
    name: str | Activation,
    fn: Callable[[Any], Any] | None = None,
    deriv: Callable[[Any, Any], Any] | None = None,
    *,
    analytic: bool = True,
    kinks: tuple[float, ...] = (),
) -> Activation:
    """Register an activation: its function, its derivative and its facts, in one call.

    Every gradient provider uses it from then on: backprop through ``deriv``, dual
    numbers through ``deriv`` too (see :meth:`Activation.__call__`), finite
    differences through ``fn`` and, if ``analytic``, complex steps through ``fn`` on
    complex arrays.  The compiled training kernel does not run registered activations;
    ``gradmethods.training.compiled.unsupported_reason`` says so.

    Parameters
    ----------
    name : str or Activation
        The name used in ``Network(activation=...)``; or a ready :class:`Activation`
        (then give nothing else).
    fn : callable
        ``fn(z) -> a``, elementwise, on real arrays (and complex arrays if ``analytic``).
    deriv : callable
        ``deriv(z, a) -> da/dz`` on real arrays, elementwise, with ``a = fn(z)``.
    analytic : bool, default True
        Whether ``fn`` is complex-analytic (accepts complex arrays).
    kinks : sequence of float, default ()
        Where the activation is not differentiable (needs ``analytic=False``).

    Returns
    -------
    Activation

    Raises
    ------
    ValueError
        If the name is taken by a different activation, or ``fn``/``deriv`` are not
        elementwise on a float array, or an ``analytic`` ``fn`` fails on complex input.
    TypeError
        If ``fn`` or ``deriv`` is not callable, or an Activation comes with other arguments.

    Examples
    --------
    >>> import numpy as np, gradmethods as gm
    >>> from gradmethods.core.activations import ACTIVATIONS
    >>> def softsign(z):
    ...     return z / (1 + np.abs(z))
    >>> act = gm.register_activation("softsign_demo", softsign, lambda z, a: (1 - np.abs(a)) ** 2, analytic=False)
    >>> "softsign_demo" in gm.activation_names()
    True
    >>> gm.Network([1, 1], activation="softsign_demo").forward(np.array([1.0, 0.0]), [[3.0]]).tolist()
    [[0.75]]
    >>> ACTIVATIONS.unregister("softsign_demo") is act
    True
    """
    if isinstance(name, Activation):
        if fn is not None or deriv is not None or analytic is not True or tuple(kinks) != ():
            raise TypeError(
                "register_activation(activation) takes a ready Activation alone; its facts are its own. "
                "Pass either an Activation or name, fn, deriv and keywords."
            )
        activation = name
    else:
        activation = Activation(name, fn, deriv, analytic=analytic, kinks=tuple(kinks))  # type: ignore[arg-type]
    _check_shapes(activation)
    return ACTIVATIONS.register(activation.name, activation, same=lambda old, new: old == new)


#: The package's own activations by name (the objects the compiled kernel has code for).
BUILTIN_ACTIVATIONS: dict[str, Activation] = {
    act.name: register_activation(act)
    for act in (
        Activation("sigmoid", _sigmoid, lambda z, a: a * (1 - a)),
        Activation("tanh", np.tanh, lambda z, a: 1 - a * a),
        Activation("relu", _relu, _relu_deriv, analytic=False, kinks=(0.0,)),
        Activation("identity", _identity, _identity_deriv),
    )
}


def activation_names() -> list[str]:
    """Names of all registered activations, in registration order.

    Examples
    --------
    >>> import gradmethods as gm
    >>> gm.activation_names()[:4]
    ['sigmoid', 'tanh', 'relu', 'identity']
    """
    return ACTIVATIONS.names()


def get_activation(name: str | Activation, *, argument: str = "activation") -> Activation:
    """Look an activation up by name (an :class:`Activation` is returned as it is).

    Raises
    ------
    ValueError
        If the name is unknown; the message names ``argument`` and lists the valid names.

    Examples
    --------
    >>> import gradmethods as gm
    >>> gm.get_activation("relu").kinks
    (0.0,)
    >>> gm.get_activation("sigmod")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: The 'activation' parameter must be a str among ['identity', 'relu', ...]. Got 'sigmod' instead.
    """
    if isinstance(name, Activation):
        return name
    return ACTIVATIONS.get(name, argument=argument)
