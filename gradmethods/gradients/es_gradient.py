"""The evolution-strategy gradient: Gaussian smoothing with antithetic pairs (Salimans et al. 2017)."""

from __future__ import annotations

from numbers import Real

import numpy as np

from ..core.params import Boolean, Integral, Interval, validate
from ..core.registry import register_provider
from ._estimators import AntitheticEstimator, centered_ranks

__all__ = ["ESGradient"]


@register_provider("es_gradient")
class ESGradient(AntitheticEstimator):
    """Gradient of the Gaussian-smoothed cost from n antithetic pairs of perturbations.

    ``ĝ = 1/(2nσ) Σ_i (C(w + σε_i) - C(w - σε_i)) ε_i`` with ``ε_i ~ N(0, I)``: an
    unbiased estimate of the gradient of ``E[C(w + σε)]``, the cost smoothed at scale σ.

    Parameters
    ----------
    n : int, default 8
        Antithetic pairs per estimate.
    sigma : float, default 1e-3
        σ, the absolute standard deviation of the perturbation of every parameter.
    fitness_shaping : bool, default False
        Replace the 2n costs of each network by their centered ranks in ``[-0.5, 0.5]``
        before combining them (Salimans et al.): invariant to monotone transforms of the
        cost and robust to outliers, but then ``ĝ`` estimates a direction, not the
        gradient (its mean is no longer ``∇C``); the statistical checks of
        :mod:`gradmethods.testing` hold only without it.

    Notes
    -----
    Bias against ``∇C`` (without shaping): the smoothed gradient differs from ``∇C`` by
    ``σ²/2 ∇(ΔC) + O(σ⁴)`` (``Δ`` the Laplacian): second order in σ, so halving σ cuts
    it by four.  Variance: about ``(P + 1)/n ||∇C||²`` in all for small σ (the
    forward gradient's with Gaussian tangents; the antithetic pair cancels the even
    terms).  Cost: the 2n perturbed vectors and the unperturbed one (for the exact cost
    at ``w``) are one stacked forward pass: ``nfev = forward_passes = fpe = 2n + 1``
    per ``value_and_grad``, ``2n`` per ``input_grad``.
    """

    family = "stochastic"
    distribution = "gaussian"
    exact = False
    stochastic = True
    tolerance = 1e-3
    style = ("#AA4499", "*", "--")
    parameters = {
        "n": [Interval(Integral, 1, None)],
        "sigma": [Interval(Real, 0, None, closed="neither")],
        "fitness_shaping": [Boolean()],
    }

    def __init__(self, n: int = 8, sigma: float = 1e-3, fitness_shaping: bool = False) -> None:
        super().__init__()
        self.n = validate("n", n, self.parameters["n"])
        self.sigma = float(validate("sigma", sigma, self.parameters["sigma"]))
        self.fitness_shaping = bool(validate("fitness_shaping", fitness_shaping, self.parameters["fitness_shaping"]))

    @property
    def pairs(self) -> int:
        return self.n

    @property
    def size(self) -> float:
        return self.sigma

    def _estimate(self, plus: np.ndarray, minus: np.ndarray, noise: np.ndarray) -> np.ndarray:
        if self.fitness_shaping:
            ranks = centered_ranks(np.concatenate([plus, minus], axis=1))
            plus, minus = ranks[:, : self.n], ranks[:, self.n :]
        weights = (plus - minus) / noise.dtype.type(2 * self.n * self.sigma)  # (R, n)
        return np.einsum("ri,rin->rn", weights, noise)
