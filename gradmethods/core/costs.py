"""Cost functions: a name -> (per-pattern cost, derivative) table.

A cost maps the network's output ``a`` and the target ``y`` (both ``(..., N, n_out)``)
to one number per pattern (``(..., N)``); :meth:`gradmethods.Network.cost` averages
it over the N patterns.  The functions use numpy ufuncs only, with derivative rules in
:data:`gradmethods.core.dual.RULES`, so dual and complex numbers flow through them.

A cost may also know a *fused* form for one output activation, written in terms of
the pre-activation ``z`` instead of ``a``.  Cross entropy after a sigmoid is the
standard case: ``C = softplus(z) - y z`` is exact for every ``z`` where
``-y log a - (1 - y) log(1 - a)`` overflows to ``inf`` once ``a`` rounds to 0 or 1,
and its derivative ``dC/dz = a - y`` is the cancellation the post mentions ("cross
entropy cancels out the non linearity of the activation function").
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .reductions import sum_last_axis
from .registry import Registry

__all__ = ["Cost", "COSTS", "get_cost", "cost_names", "register_cost"]


@dataclass(frozen=True)
class Cost:
    """One cost function.

    Attributes
    ----------
    name : str
        Name used in ``Network(cost=...)``.
    per_pattern : callable
        ``per_pattern(a, y) -> (..., N)`` cost of each pattern.
    grad_output : callable
        ``grad_output(a, y) -> dC/da`` (per pattern, same shape as ``a``).
    fused_activation : str or None
        Output activation for which the fused (pre-activation) form below applies.
    per_pattern_from_z : callable or None
        ``per_pattern_from_z(z, y)``: the same cost written in terms of ``z``.
    grad_z : callable or None
        ``grad_z(z, a, y) -> dC/dz`` for the fused activation.
    output_activations : tuple of str or None
        Output activations the cost is defined for (``None``: any).  Cross entropy
        needs outputs in (0, 1), so it takes a sigmoid output layer.
    per_pattern_and_grad : callable or None
        ``per_pattern_and_grad(a, y) -> (per_pattern(a, y), grad_output(a, y))``: both in
        one call, sharing what they compute alike (``a - y`` for half the squared error),
        with the same numbers as the two calls.  Optional: ``None`` means the two calls
        (:meth:`gradmethods.Network.cost_and_output_delta` makes them).
    """

    name: str
    per_pattern: Callable
    grad_output: Callable
    fused_activation: str | None = None
    per_pattern_from_z: Callable | None = None
    grad_z: Callable | None = None
    output_activations: tuple[str, ...] | None = None
    per_pattern_and_grad: Callable | None = None


def _half_sse(a, y):
    diff = a - y
    return 0.5 * sum_last_axis(diff * diff)


def _half_sse_and_grad(a, y):
    """``_half_sse(a, y)`` and its gradient ``a - y``, the difference computed once.

    With two outputs (the post's networks) the two squares are added directly: the
    same sum as ``sum_last_axis``, whose ``+ 0.0`` only turns a sum of ``-0.0`` into
    ``+0.0`` and a square is never ``-0.0``.
    """
    diff = a - y
    squares = diff * diff
    if type(squares) is np.ndarray and squares.ndim and squares.shape[-1] == 2 and squares.dtype.kind == "f":
        return 0.5 * (squares[..., 0] + squares[..., 1]), diff
    return 0.5 * sum_last_axis(squares), diff


def _softplus(z):
    """log(1 + exp(z)) without overflow, analytic so that complex steps pass through."""
    if isinstance(z, np.ndarray) and z.dtype.kind == "c":
        # Two analytic branches chosen by the sign of the real part; each is finite.
        positive = z.real > 0
        flipped = np.where(positive, -z, z)
        return np.where(positive, z, 0) + np.log1p(np.exp(flipped))
    return np.logaddexp(0, z)


def _cross_entropy(a, y):
    return -(y * np.log(a) + (1 - y) * np.log1p(-a)).sum(axis=-1)


#: Every cost, by name.
COSTS: Registry[Cost] = Registry("cost")


def register_cost(cost: Cost) -> Cost:
    """Add a cost to the table and return it; a name may be registered only once.

    Re-registering an equal :class:`Cost` is harmless; a different cost under a taken
    name raises a ValueError.

    Examples
    --------
    >>> import numpy as np, gradmethods as gm
    >>> from gradmethods.core.costs import COSTS, Cost
    >>> l1 = gm.register_cost(Cost("l1_demo", lambda a, y: np.abs(a - y).sum(axis=-1), lambda a, y: np.sign(a - y)))
    >>> "l1_demo" in gm.cost_names()
    True
    >>> COSTS.unregister("l1_demo") is l1
    True
    """
    if not isinstance(cost, Cost):
        raise TypeError(f"register_cost takes a gradmethods.core.costs.Cost. Got {type(cost).__name__} instead.")
    return COSTS.register(cost.name, cost, same=lambda old, new: old == new)


register_cost(Cost("half_sse", _half_sse, lambda a, y: a - y, per_pattern_and_grad=_half_sse_and_grad))
register_cost(
    Cost(
        "cross_entropy",
        _cross_entropy,
        lambda a, y: (a - y) / (a * (1 - a)),
        fused_activation="sigmoid",
        per_pattern_from_z=lambda z, y: (_softplus(z) - y * z).sum(axis=-1),
        grad_z=lambda z, a, y: a - y,
        output_activations=("sigmoid",),
    )
)


def cost_names() -> list[str]:
    """Names of all registered costs, in registration order.

    Examples
    --------
    >>> import gradmethods as gm
    >>> gm.cost_names()[:2]
    ['half_sse', 'cross_entropy']
    """
    return COSTS.names()


def get_cost(name: str | Cost) -> Cost:
    """Look a cost up by name (a :class:`Cost` is returned as it is).

    Raises
    ------
    ValueError
        If the name is unknown; the message lists the valid names.

    Examples
    --------
    >>> import gradmethods as gm
    >>> gm.get_cost("cross_entropy").output_activations
    ('sigmoid',)
    >>> gm.get_cost("mse")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: The 'cost' parameter must be a str among ['cross_entropy', 'half_sse'...]. Got 'mse' instead.
    """
    if isinstance(name, Cost):
        return name
    return COSTS.get(name)
