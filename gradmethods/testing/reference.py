"""An independent reference for costs and gradients, written from the documentation alone.

Nothing here comes from the code it checks: the forward pass is written again from the
documented parameter layout (per layer, ``W`` of shape ``(fan_in, fan_out)`` in
row-major order, then ``b``; ``z = a @ W + b``), the activations and costs have their
own formulas (:data:`ACTIVATIONS`, :data:`COSTS`), and derivatives are complex steps
taken one coordinate at a time in a plain loop: for a real-analytic function,
``Im f(x + i h e_j) / h`` is ``df/dx_j`` with an error of order ``h**2`` and no
subtraction, so with ``h = 1e-30`` it is exact to rounding.  ``relu`` is piecewise
linear, and its complex form ``where(Re z > 0, z, 0)`` carries the derivative (0 or 1)
in the imaginary part just as well, away from its kink.

The module shares no code with the gradient providers or with
:mod:`gradmethods.core.network`; it only reads a network's description (its layer
sizes, activation names and cost name, see :class:`Spec`).  A third party with an
activation of its own can add its formula to :data:`ACTIVATIONS` (and its kinks to
:data:`KINKS`).

Examples
--------
>>> import numpy as np
>>> spec = Spec((1, 1), ("identity",), "half_sse")
>>> params, X, Y = np.array([2.0, 0.5]), np.array([[3.0]]), np.array([[1.0]])
>>> result = reference_gradients(spec, params, X, Y)   # C = (2 * 3 + 0.5 - 1)**2 / 2
>>> float(result.value), result.grad.tolist(), result.input_grad.tolist()
(15.125, [16.5, 5.5], [[11.0]])
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = [
    "ACTIVATIONS",
    "COSTS",
    "ReferenceCost",
    "KINKS",
    "H",
    "Spec",
    "ReferenceResult",
    "reference_layers",
    "reference_trace",
    "reference_cost",
    "reference_gradients",
    "kink_crossings",
]

#: The imaginary step of the reference derivatives.
H = 1e-30


def _sigmoid(z: Any) -> Any:
    with np.errstate(over="ignore"):
        return 1 / (1 + np.exp(-z))


def _relu(z: Any) -> Any:
    return np.where(np.real(z) > 0, z, 0 * z)


#: Each built-in activation's formula, valid on real and complex arrays.
ACTIVATIONS: dict[str, Callable[[Any], Any]] = {
    "sigmoid": _sigmoid,
    "tanh": np.tanh,
    "relu": _relu,
    "identity": lambda z: z,
}

#: Where an activation is not differentiable (the points its sign pattern is taken against).
KINKS: dict[str, tuple[float, ...]] = {"relu": (0.0,)}


def _softplus(z: Any) -> Any:
    """``log(1 + exp(z))``, on complex arrays too, without overflow."""
    positive = np.real(z) > 0
    flipped = np.where(positive, -z, z)
    return np.where(positive, z, 0 * z) + np.log(1 + np.exp(flipped))


@dataclass(frozen=True)
class ReferenceCost:
    """A cost's formula, and the sizes of the terms it sums, which rounding errors are relative to.

    Attributes
    ----------
    per_pattern : callable
        ``per_pattern(z, a, Y) -> (..., N)``: the cost of each pattern from the output
        layer's ``(z, a)``.
    variable : {"a", "z"}
        The output-layer quantity ``v`` the cost's derivative starts from: ``dc/dv`` is
        a difference of two terms (``a - y`` for ``half_sse``, ``sigmoid(z) - y`` for
        cross entropy in ``z``).
    residual_terms : callable
        ``residual_terms(z, a, Y) -> (..., N, n_out)``: the size of those two terms
        (``|a| + |y|``).  Near a fit (``a`` close to ``y``) the difference is far
        smaller than its terms, and every float64 evaluation of it is off by about
        eps times the terms, not eps times the difference.
    value_terms : callable
        ``value_terms(z, a, Y) -> (..., N)``: the sum of the absolute values of the
        terms of each pattern's cost (``(|a| + |y|)**2 / 2`` per output for
        ``half_sse``, expanding ``(a - y)**2``).
    """

    per_pattern: Callable[[Any, Any, Any], Any]
    variable: str
    residual_terms: Callable[[Any, Any, Any], Any]
    value_terms: Callable[[Any, Any, Any], Any]


def _half_sse(z: Any, a: Any, Y: Any) -> Any:
    return 0.5 * ((a - Y) ** 2).sum(axis=-1)


def _cross_entropy(z: Any, a: Any, Y: Any) -> Any:
    # -y log(sigmoid(z)) - (1 - y) log(1 - sigmoid(z)) = softplus(z) - y z: written in z, it never
    # takes the log of a rounded 0 or 1.  (The network refuses cross entropy without a sigmoid output.)
    return (_softplus(z) - Y * z).sum(axis=-1)


#: Each built-in cost: its formula per pattern and the sizes of its terms.
COSTS: dict[str, ReferenceCost] = {
    "half_sse": ReferenceCost(
        _half_sse, "a", lambda z, a, Y: np.abs(a) + np.abs(Y),
        lambda z, a, Y: 0.5 * ((np.abs(a) + np.abs(Y)) ** 2).sum(axis=-1),
    ),
    "cross_entropy": ReferenceCost(
        _cross_entropy, "z", lambda z, a, Y: _sigmoid(z) + np.abs(Y),
        lambda z, a, Y: (_softplus(z) + np.abs(Y * z)).sum(axis=-1),
    ),
}  # fmt: skip


@dataclass(frozen=True)
class Spec:
    """What the reference needs to know about a network: sizes, activation names, cost name.

    Attributes
    ----------
    sizes : tuple of int
        Neurons per layer, inputs first.
    activations : tuple of str
        One name per layer with weights.
    cost : str
    """

    sizes: tuple[int, ...]
    activations: tuple[str, ...]
    cost: str

    def __post_init__(self) -> None:
        if len(self.activations) != len(self.sizes) - 1:
            raise ValueError(f"{len(self.sizes) - 1} activation names needed; got {list(self.activations)}.")
        unknown = [name for name in self.activations if name not in ACTIVATIONS]
        if unknown or self.cost not in COSTS:
            raise ValueError(
                f"the reference has no formula for {unknown or [self.cost]}; it knows the activations "
                f"{sorted(ACTIVATIONS)} and the costs {sorted(COSTS)} (add a formula to "
                f"gradmethods.testing.reference.ACTIVATIONS or COSTS)."
            )

    @classmethod
    def of(cls, net: Any) -> Spec:
        """The description of a :class:`gradmethods.Network` (read, not computed)."""
        return cls(tuple(net.layer_sizes), tuple(net.activation_names), net.cost_name)

    @property
    def n_params(self) -> int:
        return sum(fan_in * fan_out + fan_out for fan_in, fan_out in zip(self.sizes[:-1], self.sizes[1:]))

    @property
    def kinked(self) -> bool:
        """Whether any activation has a kink."""
        return any(KINKS.get(name) for name in self.activations)


@dataclass(frozen=True)
class ReferenceResult:
    """Cost and derivatives of one network at one point.

    Attributes
    ----------
    value : float
        The mean cost over the patterns.
    grad : ndarray, shape (P,)
        ``dC/dw``.
    input_grad : ndarray, shape (N, n_inputs)
        ``dC/dX``.
    value_scale, grad_scale, input_grad_scale : float
        The sizes of the terms the cost and its derivatives sum, before the residual
        ``a - y`` cancels (see :class:`ReferenceCost`): the cost's absolute terms, and
        for each derivative ``mean_n sum_k (|a_nk| + |y_nk|) |dv_nk/dw_j|``, largest
        over ``j``.  Far from a fit they are of the order of ``|C|`` and ``|g|_inf``;
        near one they are much larger, and they, not ``|C|`` and ``|g|``, set what any
        float64 method's rounding (and a finite difference's truncation) is relative to.
    """

    value: float
    grad: np.ndarray
    input_grad: np.ndarray
    value_scale: float = 0.0
    grad_scale: float = 0.0
    input_grad_scale: float = 0.0


def reference_layers(sizes: tuple[int, ...], params: Any) -> list[tuple[np.ndarray, np.ndarray]]:
    """Split flat parameters by the documented order: per layer, ``W`` row-major ``(fan_in, fan_out)``, then ``b``.

    ``params`` is one vector ``(P,)`` or has leading axes (``(M, P)``), which ``W`` and
    ``b`` keep.
    """
    params = np.asarray(params)
    lead = params.shape[:-1]
    layers, at = [], 0
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        W = params[..., at : at + fan_in * fan_out].reshape(lead + (fan_in, fan_out))
        at += fan_in * fan_out
        b = params[..., at : at + fan_out]
        at += fan_out
        layers.append((W, b))
    if at != params.shape[-1]:
        raise ValueError(f"a network of sizes {list(sizes)} has {at} parameters; got {params.shape[-1]}.")
    return layers


def reference_trace(spec: Spec, params: Any, X: Any) -> list[tuple[np.ndarray, np.ndarray]]:
    """Every layer's ``(z, a)`` for parameters ``(P,)`` and inputs ``(N, n_inputs)``.

    Leading axes broadcast (parameters ``(M, P)`` or inputs ``(M, N, n_inputs)`` give
    ``z`` of shape ``(M, N, fan_out)``).  Real inputs are computed in float64, complex
    ones in complex128.
    """
    params, X = _promote(params), _promote(X)
    trace, a = [], X
    for (W, b), name in zip(reference_layers(spec.sizes, params), spec.activations):
        z = a @ W + b[..., None, :]
        a = ACTIVATIONS[name](z)
        trace.append((z, a))
    return trace


def reference_cost(spec: Spec, params: Any, X: Any, Y: Any) -> Any:
    """The mean over the patterns of the per-pattern cost (complex for complex inputs; one per leading row)."""
    z, a = reference_trace(spec, params, X)[-1]
    return COSTS[spec.cost].per_pattern(z, a, np.asarray(Y, dtype=np.float64)).mean(axis=-1)


def reference_gradients(spec: Spec, params: Any, X: Any, Y: Any, *, h: float = H) -> ReferenceResult:
    """Cost, ``dC/dw`` and ``dC/dX`` by one complex step per coordinate, in a plain loop, and their scales."""
    params = np.asarray(params, dtype=np.float64)
    X = np.asarray(X, dtype=np.float64)
    Y = np.asarray(Y, dtype=np.float64)
    cost = COSTS[spec.cost]
    z, a = reference_trace(spec, params, X)[-1]
    terms = cost.residual_terms(z, a, Y)

    def derivative(w: np.ndarray, x: np.ndarray) -> tuple[float, float]:
        """The complex-step derivative of the cost along the perturbed coordinate, and its scale."""
        z, a = reference_trace(spec, w, x)[-1]
        slope = (a if cost.variable == "a" else z).imag / h
        return float(cost.per_pattern(z, a, Y).mean().imag / h), float((terms * np.abs(slope)).sum(-1).mean())

    grad, grad_scale = np.empty(params.size), np.empty(params.size)
    for j in range(params.size):
        w = params.astype(np.complex128)
        w[j] += 1j * h
        grad[j], grad_scale[j] = derivative(w, X)
    flat = X.ravel()
    input_grad, input_scale = np.empty(flat.size), np.empty(flat.size)
    for j in range(flat.size):
        x = flat.astype(np.complex128)
        x[j] += 1j * h
        input_grad[j], input_scale[j] = derivative(params, x.reshape(X.shape))
    return ReferenceResult(
        value=float(cost.per_pattern(z, a, Y).mean()),
        grad=grad,
        input_grad=input_grad.reshape(X.shape),
        value_scale=float(cost.value_terms(z, a, Y).mean()),
        grad_scale=float(grad_scale.max(initial=0.0)),
        input_grad_scale=float(input_scale.max(initial=0.0)),
    )


#: Fractions of the radius at which :func:`kink_crossings` compares sign patterns.
_PROBES = (-1.0, -0.5, 0.5, 1.0)


def _sign_patterns(spec: Spec, params: np.ndarray, X: np.ndarray) -> np.ndarray:
    """For every kinked layer, pattern, neuron and kink: whether ``z`` lies above the kink.

    One row per point of the leading axis (of ``params`` or ``X``), flattened.
    """
    sides = []
    for (z, _), name in zip(reference_trace(spec, params, X), spec.activations):
        for kink in KINKS.get(name, ()):
            sides.append((z > kink).reshape(z.shape[:-2] + (-1,)))
    return np.concatenate(sides, axis=-1)


def kink_crossings(spec: Spec, params: Any, X: Any, radius: float, *, wrt: str = "params") -> np.ndarray:
    """Which coordinates a finite difference of relative radius ``radius`` would take across a kink.

    Coordinate ``j`` (a parameter, or an input with ``wrt="inputs"``) is moved to
    ``v_j + t radius max(1, |v_j|)`` for ``t`` in (-1, -1/2, 1/2, 1), in the dtype of
    ``params``; it *crosses a kink* if, at any of those points, some pre-activation of
    a non-smooth activation (:data:`KINKS`) lies on the other side of a kink than at
    the unperturbed point.  Between the probes nothing is missed in a network whose
    kinked layers are piecewise linear: a layer's pre-activations are affine in ``v_j``
    while the sign patterns of the layers before it stay the same, so equal patterns
    at the ends of an interval mean equal patterns throughout.

    Parameters
    ----------
    spec : Spec
    params : array_like, shape (P,)
    X : array_like, shape (N, n_inputs)
    radius : float
        The method's largest relative perturbation (``provider.step_radius(dtype)``);
        0 gives no crossings.
    wrt : {"params", "inputs"}

    Returns
    -------
    ndarray of bool
        Shaped like ``params`` (``wrt="params"``) or ``X`` (``wrt="inputs"``).

    Examples
    --------
    >>> import numpy as np
    >>> spec = Spec((1, 1), ("relu",), "half_sse")   # z = w x + b = 1e-4 at x = 0.5
    >>> params, X = np.array([1.0, -0.4999]), np.array([[0.5]])
    >>> kink_crossings(spec, params, X, 1e-3).tolist(), kink_crossings(spec, params, X, 1e-5).tolist()
    ([True, True], [False, False])
    """
    if wrt not in ("params", "inputs"):
        raise ValueError(f"wrt must be 'params' or 'inputs'; got {wrt!r}.")
    params, X = np.asarray(params), np.asarray(X)
    variables = params if wrt == "params" else X
    if radius <= 0 or not spec.kinked:
        return np.zeros(variables.shape, dtype=bool)
    flat = variables.ravel()
    V = flat.size
    scale = np.maximum(1.0, np.abs(flat.astype(np.float64)))
    moved = np.repeat(flat[None, :], len(_PROBES) * V, axis=0)  # row q V + j: coordinate j at probe q
    for q, t in enumerate(_PROBES):
        rows = q * V + np.arange(V)
        moved[rows, np.arange(V)] = flat + (t * radius * scale).astype(flat.dtype)
    moved = moved.reshape((len(_PROBES) * V,) + variables.shape)
    base = _sign_patterns(spec, params, X)
    patterns = _sign_patterns(spec, moved, X) if wrt == "params" else _sign_patterns(spec, params, moved)
    changed = (patterns != base).any(axis=-1).reshape(len(_PROBES), V).any(axis=0)
    return changed.reshape(variables.shape)


def _promote(values: Any) -> np.ndarray:
    values = np.asarray(values)
    return values.astype(np.complex128 if np.iscomplexobj(values) else np.float64)
