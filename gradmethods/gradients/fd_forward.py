"""Forward (one-sided) finite differences: ``(C(w + h e_j) - C(w)) / h``."""

from __future__ import annotations

import numpy as np

from ..core.registry import register_provider
from ._finite_differences import PerturbationProvider, absolute_steps, perturbed_costs

__all__ = ["ForwardDifference"]


@register_provider("fd_forward")
class ForwardDifference(PerturbationProvider):
    """Gradient by forward differences, first-order accurate.

    Parameters
    ----------
    step : float, optional
        Relative step: coordinate ``j`` moves by ``h_j = step * max(1, |w_j|)``.
        Default ``eps**(1/2)`` of the dtype (1.5e-8 in float64).

    Notes
    -----
    The error is ``h C''/2`` (truncation) plus about ``2 eps |C| / h`` (rounding), smallest
    near ``h ~ sqrt(eps)``; this is scipy's rule (``scipy.optimize._numdiff``,
    ``_eps_for_method`` and ``_compute_absolute_step``), including scaling by
    ``max(1, |w|)`` and rounding ``h`` so that ``w + h`` is exact.  The P perturbed
    vectors and the unperturbed one are evaluated as one stacked forward pass (in
    chunks that bound memory): P + 1 forward passes per gradient.
    """

    exact = False
    step_exponent = 1 / 2
    tolerance = 1e-5
    style = ("#009E73", "^", "-")
    points = 1
    with_base = True

    def _scheme(self, costs, base: np.ndarray, chunk: int) -> tuple[np.ndarray, np.ndarray]:
        h = absolute_steps(base, self.relative_step(base.dtype))
        f0, f_plus = perturbed_costs(costs, base, h[None], with_base=True, chunk=chunk)
        return f0, (f_plus[0] - f0[:, None]) / h
