"""Shared machinery of the finite-difference providers: step rules and stacked evaluation.

Every perturbed copy of the variables (parameters, or inputs X) of one gradient is
evaluated by stacking the copies into one array and calling the network's forward pass
once per chunk of copies; the chunk is sized so that the stack and the activations
it produces stay within :data:`MEMORY_BUDGET` bytes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ..core.network import Network
from ..core.validation import check_positive_float

#: Bytes that one stacked forward pass of perturbed copies may use (approximately).
MEMORY_BUDGET = 32 * 2**20

_ORDER_EXPONENT = {"forward": 1 / 2, "central": 1 / 3}


def relative_step(scheme: str, dtype: np.dtype) -> float:
    """Default relative step: ``eps**(1/2)`` one-sided, ``eps**(1/3)`` central.

    These minimise truncation error + rounding error, ``h f''/2 + 2 eps |f| / h``
    (one-sided, optimum ~ sqrt(eps)) and ``h**2 f'''/6 + eps |f| / h`` (central,
    optimum ~ eps**(1/3)), for ``f`` and its derivatives of order one; it is the rule
    of ``scipy.optimize._numdiff._eps_for_method``.
    """
    return float(np.finfo(dtype).eps) ** _ORDER_EXPONENT[scheme]


def absolute_steps(x: np.ndarray, rel_step: float) -> np.ndarray:
    """``h = rel_step * max(1, |x|)`` per element, signed like ``x`` (scipy's rule).

    The step is then rounded so that ``x + h`` is exactly representable
    (``h = (x + h) - x``), which removes one rounding error from the difference
    quotient; a step that rounds to zero becomes one ulp of ``max(1, |x|)``.
    """
    sign = np.where(x >= 0, 1, -1).astype(x.dtype)
    scale = np.maximum(1, np.abs(x))
    h = (x + rel_step * sign * scale) - x
    # A step below half an ulp rounds to zero: use one ulp, the smallest step there is.
    return np.where(h == 0, sign * np.spacing(scale.astype(x.dtype)), h)


def resolve_step(step: float | None) -> float | None:
    return None if step is None else check_positive_float("step", step)


def check_analytic(net: Network, method: str) -> None:
    """Refuse networks whose activations are not complex-analytic."""
    for index, activation in enumerate(net.activations):
        if not activation.analytic:
            raise ValueError(
                f"{method} differentiation needs complex-analytic activations; {activation.name!r} "
                f"(layer {index + 1} of {net!r}) is not. Use method='fd_central'."
            )


def _width_sum(net: Network) -> int:
    return sum(net.layer_sizes[1:])


def param_evaluator(net: Network, X: np.ndarray, Y: np.ndarray) -> Callable[[np.ndarray], np.ndarray]:
    """``costs(rows)``: rows ``(R, M, P)`` of parameter vectors -> costs ``(R, M)``, one forward pass."""

    def costs(rows: np.ndarray) -> np.ndarray:
        R, M, P = rows.shape
        z, a = net._propagate(rows.reshape(R * M, P), X)[-1]
        return net.cost_from_outputs(z, a, Y).reshape(R, M)

    return costs


def input_evaluator(net: Network, params: np.ndarray, Y: np.ndarray, n_inputs: int) -> Callable:
    """``costs(rows)``: rows ``(R, M, N * n_in)`` of flat inputs -> costs ``(R, M)``, one forward pass.

    ``params`` is ``(R, P)``; row ``r`` of the inputs goes through network ``r``.
    """

    def costs(rows: np.ndarray) -> np.ndarray:
        R, M, V = rows.shape
        X = np.swapaxes(rows, 0, 1).reshape(M, R, V // n_inputs, n_inputs)  # (M, R, N, n_in)
        z, a = net._propagate(params, X)[-1]
        return np.swapaxes(net.cost_from_outputs(z, a, Y), 0, 1)  # (M, R) -> (R, M)

    return costs


def chunk_size(net: Network, n_rows_per_variable: int, n_networks: int, n_variables: int, n_patterns: int,
               itemsize: int) -> int:
    """Variables per stacked pass so the stack and its activations fit in :data:`MEMORY_BUDGET`."""
    per_variable = n_rows_per_variable * n_networks * (n_variables + n_patterns * 2 * _width_sum(net)) * itemsize
    return int(max(1, min(n_variables, MEMORY_BUDGET // max(per_variable, 1))))


def perturbed_costs(costs: Callable[[np.ndarray], np.ndarray], base: np.ndarray, steps: np.ndarray, *,
                    with_base: bool, chunk: int) -> tuple[np.ndarray | None, np.ndarray]:
    """Costs at ``base + steps[q, r, j] * e_j`` for every scheme point q, network r, variable j.

    Parameters
    ----------
    costs
        Evaluator from :func:`param_evaluator` or :func:`input_evaluator`.
    base : ndarray, shape (R, V)
    steps : ndarray, shape (Q, R, V)
        Real steps for finite differences, imaginary ones for the complex step.
    with_base : bool
        Also evaluate ``base`` itself (in the first stacked pass).
    chunk : int
        Variables per stacked pass; each pass evaluates ``Q * chunk`` (+1) rows per network.

    Returns
    -------
    base_costs : ndarray (R,) or None
    costs : ndarray (Q, R, V)
    """
    Q, R, V = steps.shape
    dtype = np.result_type(base, steps)
    out = np.empty((Q, R, V), dtype=dtype)
    base_costs = None
    for start in range(0, V, chunk):  # chunks bound memory; each chunk is one stacked pass
        stop = min(V, start + chunk)
        k, extra = stop - start, int(with_base and start == 0)
        rows = np.empty((R, extra + Q * k, V), dtype=dtype)
        rows[...] = base[:, None, :]
        grid = rows[:, extra:, :].reshape(R, Q, k, V)
        local = np.arange(k)
        grid[:, :, local, start + local] += np.moveaxis(steps[:, :, start:stop], 0, 1)
        values = costs(rows)
        if extra:
            base_costs = values[:, 0]
        out[:, :, start:stop] = np.moveaxis(values[:, extra:].reshape(R, Q, k), 1, 0)
    return base_costs, out


def prepare(net: Network, params: Any, X: Any, Y: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray, bool]:
    """Validate and return ``params`` as ``(R, P)``, ``X``, ``Y`` and whether the input was one vector."""
    params = net.check_params(params)
    X, Y = net._check_data(X, Y, params)
    single = params.ndim == 1
    return (params[None, :] if single else params), X, Y, single


def finish(value: np.ndarray, single: bool) -> np.ndarray:
    return value[0] if single else value


class PerturbationProvider:
    """Mixin: ``value_and_grad`` / ``input_grad`` from a difference scheme on stacked copies.

    A subclass sets ``points`` (perturbed copies per variable), ``with_base`` (whether
    it also needs the unperturbed cost) and implements ``_scheme(costs, base, chunk)
    -> (cost (R,), grad (R, V))``; it is a :class:`~gradmethods.gradients.base.ProviderBase`.
    """

    points: int = 1
    with_base: bool = False
    default_step: float | None = None  # None: the dtype's rule (see relative_step)

    def __init__(self, step: float | None = None) -> None:
        super().__init__()
        self.step = resolve_step(self.default_step if step is None else step)

    def _check_network(self, net: Network) -> None:
        """Hook: refuse networks the scheme cannot differentiate."""

    def _chunk(self, net: Network, base: np.ndarray, n_patterns: int) -> int:
        itemsize = 2 * base.itemsize if self.analytic_only else base.itemsize
        return chunk_size(net, self.points, base.shape[0], base.shape[1], n_patterns, itemsize)

    def value_and_grad(self, net: Network, params: Any, X: Any, Y: Any) -> tuple[Any, np.ndarray]:
        self._check_network(net)
        base, X, Y, single = prepare(net, params, X, Y)
        cost, grad = self._scheme(param_evaluator(net, X, Y), base, self._chunk(net, base, X.shape[0]))
        passes = self.points * net.n_params + int(self.with_base)
        self._count(base, nfev=passes, njev=1)
        return finish(cost, single), finish(grad, single)

    def input_grad(self, net: Network, params: Any, X: Any, Y: Any) -> np.ndarray:
        self._check_network(net)
        stack, X, Y, single = prepare(net, params, X, Y)
        base = np.broadcast_to(X.reshape(-1), (stack.shape[0], X.size)).astype(X.dtype)
        _, grad = self._scheme(input_evaluator(net, stack, Y, net.n_inputs), base, self._chunk(net, base, X.shape[0]))
        self._count(stack, nfev=self.points * X.size + int(self.with_base), njev=1)
        return finish(grad.reshape((stack.shape[0],) + X.shape), single)
