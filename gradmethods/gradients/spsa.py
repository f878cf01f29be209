"""Simultaneous perturbation stochastic approximation (Spall 1992)."""

from __future__ import annotations

from numbers import Real

import numpy as np

from ..core.params import Integral, Interval, validate
from ..core.registry import register_provider
from ._estimators import AntitheticEstimator

__all__ = ["SPSA"]


@register_provider("spsa")
class SPSA(AntitheticEstimator):
    """Gradient estimate from two cost evaluations along one random ±1 direction, k times.

    For a direction ``Δ`` with independent ``±1`` entries (Rademacher),
    ``ĝ = (C(w + cΔ) - C(w - cΔ)) / (2c) · Δ^{-1}``, where ``Δ^{-1}`` is the
    elementwise inverse, equal to ``Δ`` for ``±1``.  ``k`` such estimates, each with its
    own direction, are averaged.

    Parameters
    ----------
    k : int, default 1
        Directions (pairs of evaluations) per estimate.
    perturbation : float, default 1e-3
        ``c``: the *absolute* size of the perturbation of every parameter (each moves by
        exactly ``±c``), as in Spall's algorithm; not scaled by ``|w|``.

    Notes
    -----
    Bias: ``E[ĝ] - ∇C = c²/6 E[D³C(w)[Δ, Δ, Δ] Δ] + O(c⁴)``: second order in ``c``, so
    halving ``c`` cuts it by four.  Variance: about ``(P - 1)/k ||∇C||²`` in all for
    small ``c`` (``E||(Δ·g)Δ||² = P ||g||²``).  Cost: the 2k perturbed vectors and the
    unperturbed one (for the exact cost at ``w``) are one stacked forward pass:
    ``nfev = forward_passes = fpe = 2k + 1`` per ``value_and_grad``, ``2k`` per
    ``input_grad`` (which returns no cost).  Spall's decaying schedule
    ``c_t = c / (t + 1)^0.101`` is not built in: a trainer that wants it builds a
    provider per stage with the ``perturbation`` it needs.
    """

    family = "stochastic"
    distribution = "rademacher"
    exact = False
    stochastic = True
    tolerance = 1e-4
    style = ("#117733", "h", "--")
    parameters = {
        "k": [Interval(Integral, 1, None)],
        "perturbation": [Interval(Real, 0, None, closed="neither")],
    }

    def __init__(self, k: int = 1, perturbation: float = 1e-3) -> None:
        super().__init__()
        self.k = validate("k", k, self.parameters["k"])
        self.perturbation = float(validate("perturbation", perturbation, self.parameters["perturbation"]))

    @property
    def pairs(self) -> int:
        return self.k

    @property
    def size(self) -> float:
        return self.perturbation

    def _estimate(self, plus: np.ndarray, minus: np.ndarray, directions: np.ndarray) -> np.ndarray:
        quotient = (plus - minus) / directions.dtype.type(2 * self.perturbation)  # (R, k)
        return np.einsum("rk,rkn->rn", quotient, directions) / directions.dtype.type(self.k)
