"""The networks and points the conformance checks differentiate, and how errors are measured.

:func:`check_problems` is a small fixed set (every built-in activation and cost, a deep
cross-entropy network, ``relu`` networks); :func:`random_problem` draws one network,
point and data set from a seed, for the checks' and the test suite's sweeps.
:func:`compare_with_reference` measures a provider against the independent
:mod:`~gradmethods.testing.reference` the way its declared ``tolerance`` is stated.

How errors are measured
-----------------------
A gradient's error is ``max_j |g_j - g_ref_j|`` divided by the largest of

* ``|g_ref|_inf``, the gradient's size;
* the size of the terms it sums (:attr:`~gradmethods.testing.reference.ReferenceResult.grad_scale`):
  near a fit the residual ``a - y`` is far smaller than ``a`` and ``y``, the gradient
  is that much smaller than its terms, and rounding (of every float64 method and of
  the reference alike) is relative to the terms, so ``|g_ref|_inf`` alone would ask
  for more digits than the problem has;
* for a method that is not ``exact``, ``|cost|``: a finite difference divides
  rounding errors of size ``eps |C|`` by its step.

Far from a fit the terms are of the order of the gradient, so the first two agree
within a small factor.  A cost's error is measured against the larger of ``|C|`` and
its terms (:attr:`~gradmethods.testing.reference.ReferenceResult.value_scale`).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..core.network import Network
from .reference import ACTIVATIONS, ReferenceResult, Spec, kink_crossings, reference_gradients

__all__ = [
    "Problem",
    "Comparison",
    "check_problems",
    "random_problem",
    "compare_with_reference",
    "relative_error",
    "gradient_floor",
    "value_error",
    "VALUE_RTOL",
]

#: Relative agreement every method's cost must have with the reference: the cost is one
#: real forward pass whatever the method, so it is exact to rounding.
VALUE_RTOL = 1e-12


@dataclass
class Problem:
    """One network, a point, a stack of points and data.

    Attributes
    ----------
    label : str
        Short description used in failure messages.
    net : Network
    params : ndarray, shape (P,)
    stack : ndarray, shape (R, P)
        Different points of the same network (for the stack checks).
    X : ndarray, shape (N, n_inputs)
    Y : ndarray, shape (N, n_outputs)
    """

    label: str
    net: Network
    params: np.ndarray
    stack: np.ndarray
    X: np.ndarray
    Y: np.ndarray
    _references: dict = field(default_factory=dict, repr=False)

    @property
    def spec(self) -> Spec:
        return Spec.of(self.net)

    def reference(self, dtype: Any = np.float64) -> ReferenceResult:
        """The reference at ``params`` (rounded to ``dtype`` first), computed once."""
        dtype = np.dtype(dtype)
        if dtype not in self._references:
            params, X, Y = (np.asarray(a, dtype=dtype) for a in (self.params, self.X, self.Y))
            self._references[dtype] = reference_gradients(self.spec, params, X, Y)
        return self._references[dtype]

    def __str__(self) -> str:
        return f"{self.label} {self.net!r}"


def _draw_params(sizes: list[int], rng: np.random.Generator, size: int | None = None) -> np.ndarray:
    """Glorot-uniform weights and small random biases, in the documented flat order."""
    lead = () if size is None else (size,)
    pieces = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        limit = np.sqrt(6.0 / (fan_in + fan_out))
        pieces.append(rng.uniform(-limit, limit, lead + (fan_in * fan_out,)))
        pieces.append(np.zeros(lead + (fan_out,)))
    params = np.concatenate(pieces, axis=-1)
    return params + 0.1 * rng.standard_normal(params.shape)


def _problem(label: str, sizes: list[int], activations: list[str], cost: str, n_patterns: int,
             rng: np.random.Generator, scale: float = 1.0) -> Problem:  # fmt: skip
    net = Network(sizes, activation=activations, cost=cost)
    params = scale * _draw_params(sizes, rng)
    stack = scale * _draw_params(sizes, rng, size=3)
    X = rng.uniform(-1, 1, (n_patterns, sizes[0]))
    Y = rng.uniform(0, 1, (n_patterns, sizes[-1]))
    return Problem(label, net, params, stack, X, Y)


@functools.cache
def _check_problems() -> tuple[Problem, ...]:
    rng = np.random.default_rng(20240611)
    return (
        _problem("sigmoid", [2, 3, 2], ["sigmoid", "sigmoid"], "half_sse", 4, rng, scale=2.0),
        _problem("tanh-identity", [3, 4, 1], ["tanh", "identity"], "half_sse", 3, rng, scale=2.0),
        _problem("deep cross entropy", [3, 4, 3, 2], ["sigmoid", "tanh", "sigmoid"], "cross_entropy", 5, rng,
                 scale=2.0),  # fmt: skip
        _problem("relu", [2, 5, 2], ["relu", "sigmoid"], "cross_entropy", 4, rng, scale=2.0),
        _problem("relu-relu", [3, 4, 3, 1], ["relu", "relu", "identity"], "half_sse", 3, rng, scale=2.0),
    )


def check_problems() -> tuple[Problem, ...]:
    """The fixed problems of the provider checks: every built-in activation and cost, ``relu`` twice.

    The same objects every call (their references are computed once and kept).
    """
    return _check_problems()


def random_problem(seed: int, *, max_layers: int = 4, max_width: int = 8, max_patterns: int = 4) -> Problem:
    """A random network, point and data set, drawn from ``seed`` alone.

    1 to ``max_layers`` layers of 1 to ``max_width`` neurons, activations drawn from
    the reference's (:data:`gradmethods.testing.reference.ACTIVATIONS`), either cost
    (cross entropy with a sigmoid output), Glorot-uniform weights plus 0.1 standard
    normal noise, inputs uniform in [-1, 1] and targets in [0, 1].

    Examples
    --------
    >>> problem = random_problem(3)
    >>> problem.params.shape == (problem.net.n_params,), problem.stack.shape[0]
    (True, 3)
    """
    rng = np.random.default_rng(seed)
    n_layers = int(rng.integers(1, max_layers + 1))
    sizes = [int(n) for n in rng.integers(1, max_width + 1, size=n_layers + 1)]
    names = sorted(ACTIVATIONS)
    activations = [names[int(i)] for i in rng.integers(0, len(names), size=n_layers)]
    cost = "cross_entropy" if rng.random() < 0.5 else "half_sse"
    if cost == "cross_entropy":
        activations[-1] = "sigmoid"
    return _problem(f"random problem {seed}", sizes, activations, cost, int(rng.integers(1, max_patterns + 1)), rng)


def relative_error(grad: Any, reference: Any, *, floor: float = 0.0, exempt: Any = None) -> float:
    """``max_j |g_j - g_ref_j| / max(|g_ref|_inf, floor, tiny)``, leaving out ``exempt`` entries.

    Examples
    --------
    >>> relative_error([1.0, 2.5], [1.0, 2.0])
    0.25
    >>> relative_error([1.0, 2.5], [1.0, 2.0], floor=5.0, exempt=[False, False])
    0.1
    >>> relative_error([1.0, 2.5], [1.0, 2.0], exempt=[False, True])
    0.0
    """
    grad, reference = np.asarray(grad, dtype=np.float64), np.asarray(reference, dtype=np.float64)
    difference = np.abs(grad - reference)
    if exempt is not None:
        difference = np.where(exempt, 0.0, difference)
    scale = max(float(np.abs(reference).max(initial=0.0)), floor, np.finfo(np.float64).tiny)
    return float(difference.max(initial=0.0) / scale)


def gradient_floor(reference: ReferenceResult, *, exact: bool, inputs: bool = False) -> float:
    """The floor under ``|g_ref|_inf`` of the scale a gradient's error is measured against.

    The size of the gradient's terms, and ``|cost|`` for a method that is not exact
    (see the module's notes).
    """
    terms = reference.input_grad_scale if inputs else reference.grad_scale
    return terms if exact else max(terms, abs(reference.value))


def value_error(cost: Any, reference: ReferenceResult) -> float:
    """``|C - C_ref| / max(|C_ref|, size of its terms, tiny)``."""
    scale = max(abs(reference.value), reference.value_scale, np.finfo(np.float64).tiny)
    return abs(float(cost) - reference.value) / scale


@dataclass(frozen=True)
class Comparison:
    """A provider's results against the reference on one problem (worst row of a stack).

    Attributes
    ----------
    value_error : float
        Relative error of the cost (:func:`value_error`).
    grad_error, input_grad_error : float
        Relative errors of the gradients, measured as the provider's ``tolerance`` is
        stated (see the module's notes: against ``|g_ref|_inf``, the size of the
        gradient's terms, and ``|cost|`` for ``exact=False`` methods), without the
        entries a finite difference takes across a kink.
    exempt_params, exempt_inputs : int
        How many entries were left out for a kink crossing.
    tolerance : float
        The provider's declared tolerance.
    """

    value_error: float
    grad_error: float
    input_grad_error: float
    exempt_params: int
    exempt_inputs: int
    tolerance: float

    @property
    def passed(self) -> bool:
        return (self.value_error <= VALUE_RTOL and self.grad_error <= self.tolerance
                and self.input_grad_error <= self.tolerance)  # fmt: skip


def compare_with_reference(provider: Any, net: Network, params: Any, X: Any, Y: Any,
                           references: list[ReferenceResult] | None = None) -> Comparison:  # fmt: skip
    """Call ``provider`` on ``params`` (``(P,)`` or ``(R, P)``) and measure it against the reference.

    Parameters
    ----------
    provider : ProviderBase
    net, params, X, Y
        A problem the provider supports.
    references : list of ReferenceResult, optional
        One per row of ``params``, if already computed.

    Returns
    -------
    Comparison
        The worst row's errors.
    """
    params = np.asarray(params)
    rows = params[None] if params.ndim == 1 else params
    X, Y = np.asarray(X, dtype=params.dtype), np.asarray(Y, dtype=params.dtype)
    cost, grad = provider.value_and_grad(net, params, X, Y)
    input_grad = provider.input_grad(net, params, X, Y)
    costs = np.reshape(np.asarray(cost, dtype=np.float64), (len(rows),))
    grads, input_grads = np.reshape(grad, rows.shape), np.reshape(input_grad, (len(rows),) + X.shape)
    spec = Spec.of(net)
    radius = float(provider.step_radius(params.dtype))
    worst = dict(value_error=0.0, grad_error=0.0, input_grad_error=0.0, exempt_params=0, exempt_inputs=0)
    for r, row in enumerate(rows):
        ref = references[r] if references is not None else reference_gradients(spec, row, X, Y)
        exempt = kink_crossings(spec, row, X, radius)
        exempt_inputs = kink_crossings(spec, row, X, radius, wrt="inputs")
        floor = gradient_floor(ref, exact=provider.exact)
        input_floor = gradient_floor(ref, exact=provider.exact, inputs=True)
        errors = dict(
            value_error=value_error(costs[r], ref),
            grad_error=relative_error(grads[r], ref.grad, floor=floor, exempt=exempt),
            input_grad_error=relative_error(input_grads[r], ref.input_grad, floor=input_floor, exempt=exempt_inputs),
            exempt_params=int(exempt.sum()),
            exempt_inputs=int(exempt_inputs.sum()),
        )
        worst = {key: max(worst[key], value) for key, value in errors.items()}
    return Comparison(**worst, tolerance=float(provider.tolerance))
