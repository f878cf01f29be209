"""Complex-step differentiation: ``Im C(w + i h e_j) / h``."""

from __future__ import annotations

import numpy as np

from ..core.network import Network
from ..core.registry import register_provider
from ._finite_differences import PerturbationProvider, analytic_reason, perturbed_costs
from .base import COMPLEX_PASS_FPE

__all__ = ["ComplexStep"]


@register_provider("complex_step")
class ComplexStep(PerturbationProvider):
    """Gradient from an imaginary perturbation: exact to rounding, no cancellation.

    Parameters
    ----------
    step : float, default 1e-20
        Relative step: coordinate ``j`` moves by ``i h_j``, ``h_j = step * max(1, |w_j|)``.

    Notes
    -----
    For a real-analytic cost, ``C(w + i h e_j) = C(w) + i h dC/dw_j - h**2 C''/2 + O(h**3)``,
    so ``Im C / h`` is the derivative with error ``O(h**2)`` and no subtraction of
    nearly equal numbers: with ``h = 1e-20`` the truncation error (~1e-40) is far below
    rounding, and ``Re C`` is the cost itself (Squire and Trapp, 1998; Martins, Sturdza
    and Alonso, 2003).  It needs every function on the way to be analytic: ``relu`` is
    not (``Activation.analytic``), and networks using it are refused.  The sigmoid and
    the cross-entropy's softplus have analytic complex forms in
    :mod:`gradmethods.core.activations` and :mod:`gradmethods.core.costs`.  The P perturbed
    vectors are one stacked complex forward pass (chunked): P forward passes.
    """

    tolerance = 1e-13
    style = ("#CC79A7", "D", "-")
    points = 1
    with_base = False
    exact = True
    pass_fpe = COMPLEX_PASS_FPE
    default_step = 1e-20

    def unsupported_reason(self, net: Network) -> str | None:
        return analytic_reason(net, "complex-step")

    def step_radius(self, dtype=np.float64) -> float:
        return 0.0  # the step is imaginary: the real point never moves

    def _scheme(self, costs, base: np.ndarray, chunk: int) -> tuple[np.ndarray, np.ndarray]:
        h = self.step * np.maximum(1, np.abs(base))
        _, f = perturbed_costs(costs, base, 1j * h[None], with_base=False, chunk=chunk)
        return f[0, :, 0].real.astype(base.dtype), (f[0].imag / h).astype(base.dtype)
