"""Central finite differences: ``(C(w + h e_j) - C(w - h e_j)) / 2h``."""

from __future__ import annotations

import numpy as np

from ..core.registry import register_provider
from ._finite_differences import PerturbationProvider, absolute_steps, perturbed_costs

__all__ = ["CentralDifference"]


@register_provider("fd_central")
class CentralDifference(PerturbationProvider):
    """Gradient by central differences, second-order accurate.

    Parameters
    ----------
    step : float, optional
        Relative step: coordinate ``j`` moves by ``±h_j``, ``h_j = step * max(1, |w_j|)``.
        Default ``eps**(1/3)`` of the dtype (6.1e-6 in float64).

    Notes
    -----
    The error is ``h**2 C'''/6`` (truncation) plus about ``eps |C| / h`` (rounding),
    smallest near ``h ~ eps**(1/3)``: scipy's rule (``scipy.optimize._numdiff``,
    ``_eps_for_method``), scaled by ``max(1, |w|)``.  The divisor is the exact
    distance ``(w + h) - (w - h)`` of the two evaluated points.  The 2P perturbed
    vectors, plus the unperturbed one for the returned cost, are one stacked forward
    pass (chunked to bound memory): 2P + 1 forward passes per ``value_and_grad``
    (the gradient alone needs 2P).
    """

    exact = False
    step_exponent = 1 / 3
    tolerance = 1e-7
    style = ("#D55E00", "v", "-")
    points = 2
    with_base = True

    def _scheme(self, costs, base: np.ndarray, chunk: int) -> tuple[np.ndarray, np.ndarray]:
        h = absolute_steps(base, self.relative_step(base.dtype))
        f0, f = perturbed_costs(costs, base, np.stack([h, -h]), with_base=True, chunk=chunk)
        return f0, (f[0] - f[1]) / ((base + h) - (base - h))
