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
    perturbation_decay : float, default 0
        ``γ`` of Spall's decaying schedule: at step ``k`` (0, 1, 2, ... of the descent)
        the perturbation is ``c_k = c / (k + 1)^γ``.  Spall (1998) recommends
        ``γ = 0.101``.  0 (the default) keeps ``c`` constant; above 0 the provider
        declares ``uses_step`` and every call needs ``step=`` (gradient descent passes
        it, each run its own step).

    Notes
    -----
    Bias: ``E[ĝ] - ∇C = c²/6 E[D³C(w)[Δ, Δ, Δ] Δ] + O(c⁴)``: second order in ``c``, so
    halving ``c`` cuts it by four.  Variance: about ``(P - 1)/k ||∇C||²`` in all for
    small ``c`` (``E||(Δ·g)Δ||² = P ||g||²``).  Cost: the 2k perturbed vectors and the
    unperturbed one (for the exact cost at ``w``) are one stacked forward pass:
    ``nfev = forward_passes = fpe = 2k + 1`` per ``value_and_grad``, ``2k`` per
    ``input_grad`` (which returns no cost), whatever the schedule.  The step size of
    Spall's algorithm, ``a_k = a / (k + 1 + A)^α`` (``α = 0.602``), is a learning-rate
    schedule: :func:`gradmethods.optim.polynomial_decay`.

    Examples
    --------
    >>> import numpy as np, gradmethods as gm
    >>> spsa = gm.get_provider("spsa", perturbation=0.1, perturbation_decay=0.101)
    >>> spsa.sizes(np.array([0, 9]))   # c / (k + 1)^0.101
    array([0.1       , 0.07925013])
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
        "perturbation_decay": [Interval(Real, 0, None, closed="left")],
    }

    def __init__(self, k: int = 1, perturbation: float = 1e-3, perturbation_decay: float = 0.0) -> None:
        super().__init__()
        self.k = validate("k", k, self.parameters["k"])
        self.perturbation = float(validate("perturbation", perturbation, self.parameters["perturbation"]))
        self.perturbation_decay = float(
            validate("perturbation_decay", perturbation_decay, self.parameters["perturbation_decay"])
        )
        self.uses_step = self.perturbation_decay > 0  # a constant c needs no step number

    @property
    def pairs(self) -> int:
        return self.k

    @property
    def size(self) -> float:
        return self.perturbation

    def sizes(self, steps: np.ndarray) -> np.ndarray:
        """``c_k = c / (k + 1)^γ`` for each row's step ``k`` (float64, ``(R,)``)."""
        return self.perturbation / (np.asarray(steps, dtype=np.float64) + 1.0) ** self.perturbation_decay

    def _estimate(self, plus: np.ndarray, minus: np.ndarray, directions: np.ndarray,
                  sizes: np.ndarray | None = None) -> np.ndarray:  # fmt: skip
        if sizes is None:
            quotient = (plus - minus) / directions.dtype.type(2 * self.perturbation)  # (R, k)
        else:  # one perturbation per row
            quotient = (plus - minus) / (2 * np.asarray(sizes, dtype=np.float64)).astype(directions.dtype)[:, None]
        return np.einsum("rk,rkn->rn", quotient, directions) / directions.dtype.type(self.k)
