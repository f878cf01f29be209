"""The forward gradient: directional derivatives along random tangents, by one dual pass.

Baydin, Pearlmutter, Syme, Wood and Torr (2022), "Gradients without Backpropagation".
"""

from __future__ import annotations

import numpy as np

from ..core.dual import Dual
from ..core.network import Network
from ..core.params import Integral, Interval, Options, validate
from ..core.registry import register_provider
from ._estimators import draw_directions
from .base import ProviderBase, Work, dual_pass_fpe

__all__ = ["ForwardGradient"]


@register_provider("forward_gradient")
class ForwardGradient(ProviderBase):
    """Unbiased gradient estimate from k random directional derivatives, one forward pass.

    Each network draws k tangents ``v_1..v_k`` from its own generator; one forward pass
    of dual numbers carrying the k tangents gives the cost and the k directional
    derivatives ``d_i = ∇f·v_i`` exactly (forward-mode AD, as the ``dual`` method, but
    along random directions instead of unit ones).

    Parameters
    ----------
    k : int, default 1
        Tangents per estimate.
    distribution : {"gaussian", "rademacher"}, default "gaussian"
        Entries of the tangents: standard normal, or ``±1``.  Both have ``E[v v^T] = I``.
    combination : {"mean", "orthogonal"}, default "mean"
        ``"mean"``: ``ĝ = (1/k) Σ_i d_i v_i``, unbiased (``E[v v^T] = I``).
        ``"orthogonal"`` (the orthogonal projection of Flügel et al. 2024): the k
        tangents are orthonormalised first (QR, ``V`` of shape ``(P, k')`` with
        ``k' = min(k, P)``), the pass carries the columns of ``V``, and
        ``ĝ = (P/k') V (V^T ∇f)``.  The projection ``V V^T ∇f`` itself is biased by
        design: for Gaussian tangents ``V`` is a uniformly random orthonormal frame and
        ``E[V V^T] = (k'/P) I``, so its mean is ``(k'/P) ∇f``.  It is returned scaled
        by ``P/k'``, which makes it unbiased, with a smaller variance than the mean of
        k non-orthogonal tangents (``k' = P`` gives ∇f exactly).  Gaussian tangents only:
        k Rademacher tangents are linearly dependent with positive probability, and the
        orthonormal basis of a dependent draw is not isotropic.

    Notes
    -----
    Cost: one dual pass with k tangents (k' for ``"orthogonal"``), ``nfev =
    forward_passes = 1`` and ``fpe = dual_pass_fpe(net, k)``; it returns the exact cost
    at ``w`` (the pass's value).  Variance (``"mean"``, Gaussian tangents):
    ``E||ĝ||² = (P + k + 1)/k ||∇f||²``; Rademacher with k = 1: ``P ||∇f||²``.  The
    input gradient is estimated the same way, with tangents on the N x n_inputs inputs.
    """

    family = "stochastic"
    exact = False
    stochastic = True
    tolerance = 1e-10
    style = ("#882255", "X", "--")
    parameters = {
        "k": [Interval(Integral, 1, None)],
        "distribution": [Options("gaussian", "rademacher")],
        "combination": [Options("mean", "orthogonal")],
    }

    def __init__(self, k: int = 1, distribution: str = "gaussian", combination: str = "mean") -> None:
        super().__init__()
        self.k = validate("k", k, self.parameters["k"])
        self.distribution = validate("distribution", distribution, self.parameters["distribution"])
        self.combination = validate("combination", combination, self.parameters["combination"])
        if self.combination == "orthogonal" and self.distribution == "rademacher":
            raise ValueError(
                "combination='orthogonal' needs distribution='gaussian': k Rademacher tangents are linearly dependent "
                "with positive probability, and the orthonormal basis of a dependent draw is not isotropic."
            )

    def tangents(self, n_variables: int) -> int:
        """Tangents one pass carries for ``n_variables`` variables: k, or ``min(k, n)`` when orthogonal."""
        return min(self.k, n_variables) if self.combination == "orthogonal" else self.k

    def _work(self, net: Network, n_variables: int, on: str) -> Work:
        return Work(nfev=1, njev=1, forward_passes=1, fpe=dual_pass_fpe(net, self.tangents(n_variables), on=on))

    def value_and_grad_work(self, net: Network, networks: int, patterns: int) -> Work:
        return self._work(net, net.n_params, "params")

    def input_grad_work(self, net: Network, networks: int, patterns: int) -> Work:
        return self._work(net, patterns * net.n_inputs, "inputs")

    def _directions(self, rngs: list, n_variables: int, dtype: np.dtype) -> tuple[np.ndarray, float]:
        """Tangents ``(R, k', n)`` of every network, and the factor of the combination."""
        V = draw_directions(rngs, (self.k, n_variables), self.distribution, dtype)
        if self.combination == "mean":
            return V, 1.0 / self.k
        Q = np.linalg.qr(np.swapaxes(V, 1, 2))[0]  # (R, n, k'), orthonormal columns
        return np.swapaxes(Q, 1, 2), n_variables / Q.shape[-1]

    def compute_value_and_grad(self, net: Network, params: np.ndarray, X: np.ndarray, Y: np.ndarray, rngs: list):
        V, factor = self._directions(rngs, net.n_params, params.dtype)  # (R, k', P)
        z, a = net.trace(Dual(params, np.swapaxes(V, 0, 1)), X)[-1]
        result = net.cost_from_outputs(z, a, Y)  # value (R,), tangent (k', R): the directional derivatives
        grad = np.einsum("kr,rkp->rp", result.tangent, V) * params.dtype.type(factor)
        return result.value, grad

    def compute_input_grad(self, net: Network, params: np.ndarray, X: np.ndarray, Y: np.ndarray,
                           rngs: list) -> np.ndarray:  # fmt: skip
        R = params.shape[0]
        V, factor = self._directions(rngs, X.size, X.dtype)  # (R, k', N n_in)
        tangent = np.swapaxes(V, 0, 1).reshape((V.shape[1], R) + X.shape)
        z, a = net.trace(params, Dual(np.broadcast_to(X, (R,) + X.shape), tangent))[-1]
        d = net.cost_from_outputs(z, a, Y).tangent  # (k', R)
        grad = np.einsum("kr,rkn->rn", d, V) * X.dtype.type(factor)
        return grad.reshape((R,) + X.shape)
