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
from ..core.params import Interval, Real, validate
from .base import ProviderBase, Work

#: Bytes that one stacked forward pass of perturbed copies may use (approximately).
MEMORY_BUDGET = 32 * 2**20

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


def analytic_reason(net: Network, method: str) -> str | None:
    """Why ``net`` cannot be differentiated by a complex-analytic method, or None."""
    for index, activation in enumerate(net.activations):
        if not activation.analytic:
            return (
                f"{method} differentiation needs complex-analytic activations; {activation.name!r} "
                f"(layer {index + 1} of {net!r}) is not. Use method='fd_central'."
            )
    return None


def _width_sum(net: Network) -> int:
    return sum(net.layer_sizes[1:])


def param_evaluator(net: Network, X: np.ndarray, Y: np.ndarray) -> Callable[[np.ndarray], np.ndarray]:
    """``costs(rows)``: rows ``(R, M, P)`` of parameter vectors -> costs ``(R, M)``, one forward pass."""

    def costs(rows: np.ndarray) -> np.ndarray:
        R, M, P = rows.shape
        z, a = net.trace(rows.reshape(R * M, P), X)[-1]
        return net.cost_from_outputs(z, a, Y).reshape(R, M)

    return costs


def input_evaluator(net: Network, params: np.ndarray, Y: np.ndarray, n_inputs: int) -> Callable:
    """``costs(rows)``: rows ``(R, M, N * n_in)`` of flat inputs -> costs ``(R, M)``, one forward pass.

    ``params`` is ``(R, P)``; row ``r`` of the inputs goes through network ``r``.
    """

    def costs(rows: np.ndarray) -> np.ndarray:
        R, M, V = rows.shape
        X = np.swapaxes(rows, 0, 1).reshape(M, R, V // n_inputs, n_inputs)  # (M, R, N, n_in)
        z, a = net.trace(params, X)[-1]
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


class PerturbationProvider(ProviderBase):
    """Base of the difference schemes: ``value_and_grad`` / ``input_grad`` from costs of stacked copies.

    A subclass sets ``points`` (perturbed copies per variable), ``with_base`` (whether
    it also needs the unperturbed cost), ``pass_fpe`` (forward-pass equivalents of one
    evaluation: 1 for a real pass, 4 for a complex one) and ``default_step``, and
    implements ``_scheme(costs, base, chunk) -> (cost (R,), grad (R, V))``.
    """

    family = "numerical"
    points: int = 1
    with_base: bool = False
    pass_fpe: float = 1.0
    default_step: float | None = None  # None: the dtype's rule (see relative_step)
    #: The exponent of eps in the default relative step (1/2 one-sided, 1/3 central...).
    step_exponent: float = 0.5
    #: ``step``: the relative step, > 0; ``None`` for the default (see :meth:`relative_step`).
    parameters = {"step": [Interval(Real, 0, None, closed="neither"), None]}

    def __init__(self, step: float | None = None) -> None:
        super().__init__()
        self.step = validate("step", self.default_step if step is None else step, self.parameters["step"])

    def relative_step(self, dtype: Any) -> float:
        """The relative step used in ``dtype``: the ``step`` setting, or ``eps**step_exponent``.

        The default exponents minimise truncation plus rounding error: ``h f''/2 +
        2 eps |f| / h`` one-sided (optimum ~ eps**(1/2)), ``h**2 f'''/6 + eps |f| / h``
        central (optimum ~ eps**(1/3)), for ``f`` and its derivatives of order one; it
        is the rule of ``scipy.optimize._numdiff._eps_for_method``.
        """
        return self.step or float(np.finfo(dtype).eps) ** self.step_exponent

    def step_radius(self, dtype: Any = np.float64) -> float:
        return self.relative_step(dtype)

    def _work(self, n_variables: int) -> Work:
        evaluations = self.points * n_variables + int(self.with_base)
        return Work(nfev=evaluations, njev=1, forward_passes=evaluations, fpe=self.pass_fpe * evaluations)

    def value_and_grad_work(self, net: Network, networks: int, patterns: int) -> Work:
        return self._work(net.n_params)

    def input_grad_work(self, net: Network, networks: int, patterns: int) -> Work:
        return self._work(patterns * net.n_inputs)

    def _chunk(self, net: Network, base: np.ndarray, n_patterns: int) -> int:
        itemsize = base.itemsize * (2 if self.pass_fpe > 1 else 1)  # complex copies take twice the bytes
        return chunk_size(net, self.points, base.shape[0], base.shape[1], n_patterns, itemsize)

    def compute_value_and_grad(self, net: Network, params: np.ndarray, X: np.ndarray, Y: np.ndarray):
        return self._scheme(param_evaluator(net, X, Y), params, self._chunk(net, params, X.shape[0]))

    def compute_input_grad(self, net: Network, params: np.ndarray, X: np.ndarray, Y: np.ndarray) -> np.ndarray:
        base = np.broadcast_to(X.reshape(-1), (params.shape[0], X.size)).astype(X.dtype)
        _, grad = self._scheme(input_evaluator(net, params, Y, net.n_inputs), base, self._chunk(net, base, X.shape[0]))
        return grad.reshape((params.shape[0],) + X.shape)
