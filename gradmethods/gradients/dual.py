"""Forward-mode automatic differentiation with multivariable dual numbers."""

from __future__ import annotations

import numpy as np

from ..core.dual import Dual
from ..core.network import Network
from ..core.params import Integral, Interval, validate
from ..core.registry import register_provider
from .base import ProviderBase, Work, dual_pass_fpe

__all__ = ["DualNumbers"]

#: Tangent entries one chunk may hold (parameters plus every layer's z and a): 4 Mi
#: numbers, 32 MiB in float64.  Counted in numbers rather than bytes so that the chunk
#: size, and with it the declared work, does not depend on the dtype.
TANGENT_BUDGET = 4 * 2**20


@register_provider("dual")
class DualNumbers(ProviderBase):
    """Gradient by pushing dual numbers through the network's own forward pass.

    Each parameter carries k tangents (one per seed direction); after one forward pass
    the cost's tangents are k entries of the gradient, exact to rounding.  The P
    directions are processed in ``ceil(P / k)`` chunks.

    Parameters
    ----------
    chunk_size : int, optional
        Directions per pass, k.  Default: the largest ``k <= P`` whose tangents (of the
        parameters and of every layer's ``z`` and ``a`` on the N patterns, for all R
        networks of a stack) fit in :data:`TANGENT_BUDGET` numbers (32 MiB in
        float64).  All P at once for the post's networks; about 100 for a 784-128-10
        network on 100 patterns.

    Notes
    -----
    Forward mode costs ``ceil(P / k)`` forward passes of about ``1 + 2k`` times the
    work each (:func:`~gradmethods.gradients.base.dual_pass_fpe`), i.e. about 2P
    forward-pass equivalents, against backprop's constant 2-3; its appeal is that it
    needs nothing but the forward pass, a table of derivative rules for the ufuncs
    (:data:`gradmethods.core.dual.RULES`) and each activation's own derivative
    (:class:`gradmethods.core.activations.Activation`).  Counts per gradient:
    ``nfev = forward_passes = ceil(P / k)``, ``njev = 1``.
    """

    family = "forward_mode"
    exact = True
    tolerance = 1e-12
    style = ("#E69F00", "s", "-")
    parameters = {"chunk_size": [Interval(Integral, 1, None), None]}

    def __init__(self, chunk_size: int | None = None) -> None:
        super().__init__()
        self.chunk_size = validate("chunk_size", chunk_size, self.parameters["chunk_size"])

    def directions(self, net: Network, n_variables: int, networks: int, patterns: int) -> int:
        """Tangent directions k carried by one pass."""
        if self.chunk_size is not None:
            return min(self.chunk_size, n_variables)
        per_direction = networks * (n_variables + net.n_params + 2 * patterns * sum(net.layer_sizes[1:]))
        return int(max(1, min(n_variables, TANGENT_BUDGET // per_direction)))

    def _work(self, net: Network, n_variables: int, networks: int, patterns: int, on: str) -> Work:
        k = self.directions(net, n_variables, networks, patterns)
        full, rest = divmod(n_variables, k)
        fpe = full * dual_pass_fpe(net, k, on=on) + (dual_pass_fpe(net, rest, on=on) if rest else 0.0)
        passes = full + bool(rest)
        return Work(nfev=passes, njev=1, forward_passes=passes, fpe=fpe)

    def value_and_grad_work(self, net: Network, networks: int, patterns: int) -> Work:
        return self._work(net, net.n_params, networks, patterns, "params")

    def input_grad_work(self, net: Network, networks: int, patterns: int) -> Work:
        return self._work(net, patterns * net.n_inputs, networks, patterns, "inputs")

    def compute_value_and_grad(self, net: Network, params: np.ndarray, X: np.ndarray, Y: np.ndarray):
        k = self.directions(net, net.n_params, params.shape[0], X.shape[0])
        grad = np.empty_like(params)
        cost = None
        for start, tangent in _seeds(params.shape, k, params.dtype):
            z, a = net.trace(Dual(params, tangent), X)[-1]
            result = net.cost_from_outputs(z, a, Y)
            cost = result.value
            grad[..., start : start + tangent.shape[0]] = np.moveaxis(result.tangent, 0, -1)
        return cost, grad

    def compute_input_grad(self, net: Network, params: np.ndarray, X: np.ndarray, Y: np.ndarray) -> np.ndarray:
        k = self.directions(net, X.size, params.shape[0], X.shape[0])
        grad = np.empty(params.shape[:-1] + (X.size,), dtype=params.dtype)
        for start, tangent in _seeds((X.size,), k, X.dtype):
            Xdual = Dual(X, tangent.reshape((tangent.shape[0],) + X.shape))
            z, a = net.trace(params, Xdual)[-1]
            grad[..., start : start + tangent.shape[0]] = np.moveaxis(net.cost_from_outputs(z, a, Y).tangent, 0, -1)
        return grad.reshape(params.shape[:-1] + X.shape)


def _seeds(shape: tuple[int, ...], k: int, dtype: np.dtype):
    """Yield ``(start, tangent)``: unit tangents ``(k_chunk,) + shape`` for directions start..start+k_chunk.

    For a stack ``(R, V)`` every network gets the same k directions of its own variables.
    """
    n = shape[-1]
    for start in range(0, n, k):
        size = min(k, n - start)
        tangent = np.zeros((size,) + shape, dtype=dtype)
        flat = tangent.reshape(size, -1, n)
        local = np.arange(size)
        flat[local, :, start + local] = 1
        yield start, tangent
