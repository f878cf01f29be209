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
    """Counters and bookkeeping shared by the built-in providers.

    Counters, all per network (a call on a stack of R networks counts R times):

    * ``nfev``: cost evaluations on all N patterns, as in scipy;
    * ``njev``: gradients (or input gradients) computed;
    * ``forward_passes``: passes of a parameter vector (real, complex or dual) through
      the network's forward pass — finite differences spend one per perturbed vector,
      dual numbers one per chunk of tangent directions;
    * ``backward_passes``: reverse sweeps (backprop: one per gradient).
    """

    name: str = "provider"
    #: Whether the method needs complex-analytic activations (complex step does).
    analytic_only: bool = False

    def __init__(self) -> None:
        self.reset_counts()

    def reset_counts(self) -> None:
        self.nfev = 0
        self.njev = 0
        self.forward_passes = 0
        self.backward_passes = 0

    def counts(self) -> dict[str, int]:
        """The work counters as a dict."""
        return {
            "nfev": self.nfev,
            "njev": self.njev,
            "forward_passes": self.forward_passes,
            "backward_passes": self.backward_passes,
        }

    def _count(
        self, params: Any, *, nfev: int, njev: int, forward_passes: int | None = None, backward_passes: int = 0
    ) -> None:
        networks = 1 if np.ndim(params) == 1 else int(np.shape(params)[0])
        self.nfev += nfev * networks
        self.njev += njev * networks
        self.forward_passes += (nfev if forward_passes is None else forward_passes) * networks
        self.backward_passes += backward_passes * networks

    def __repr__(self) -> str:
        return f"{type(self).__name__}({', '.join(f'{k}={v}' for k, v in self.counts().items())})"
