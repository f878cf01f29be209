"""The gradient-provider protocol and the work counting every provider shares."""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

import numpy as np

__all__ = ["GradientProvider", "ProviderBase"]


@runtime_checkable
class GradientProvider(Protocol):
    """What gradient descent (and the gradient check) needs from a method.

    ``params`` is one flat vector ``(P,)`` or a stack ``(R, P)``; ``X`` is
    ``(N, n_inputs)`` and ``Y`` is ``(N, n_outputs)``.

    Work is counted in the scipy sense, per network: ``nfev`` is the number of cost
    evaluations of one network on all N patterns (forward passes, including those a
    numerical method spends on perturbed parameters), ``njev`` the number of gradients
    of one network.  A call on a stack of R networks counts R of each.
    """

    name: str
    nfev: int
    njev: int

    def value_and_grad(self, net: Any, params: Any, X: Any, Y: Any) -> tuple[Any, np.ndarray]:
        """Cost (scalar, or ``(R,)``) and its gradient (shape of ``params``)."""
        ...

    def input_grad(self, net: Any, params: Any, X: Any, Y: Any) -> np.ndarray:
        """dCost/dX: shape ``(N, n_inputs)``, or ``(R, N, n_inputs)`` for a stack."""
        ...

    def reset_counts(self) -> None:
        """Set the work counters back to zero."""
        ...


class ProviderBase:
    """Counters and bookkeeping shared by the built-in providers."""

    name: str = "provider"

    def __init__(self) -> None:
        self.nfev = 0
        self.njev = 0

    def reset_counts(self) -> None:
        self.nfev = 0
        self.njev = 0

    def counts(self) -> dict[str, int]:
        """The work counters as a dict."""
        return {"nfev": self.nfev, "njev": self.njev}

    def _count(self, params: Any, *, nfev: int, njev: int) -> None:
        networks = 1 if np.ndim(params) == 1 else int(np.shape(params)[0])
        self.nfev += nfev * networks
        self.njev += njev * networks

    def __repr__(self) -> str:
        return f"{type(self).__name__}(nfev={self.nfev}, njev={self.njev})"
