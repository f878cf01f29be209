"""Forward-mode automatic differentiation with multivariable dual numbers."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..core.dual import Dual
from ..core.network import Network
from ..core.registry import register_provider
from ..core.validation import check_positive_int
from .base import ProviderBase

__all__ = ["DualNumbers"]

#: Bytes the tangents of one chunk may take (parameters plus every layer's z and a).
TANGENT_BUDGET = 32 * 2**20


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
        networks of a stack) fit in :data:`TANGENT_BUDGET` (32 MiB).  All P at once
        for the post's networks; about 100 for a 784-128-10 network on 100 patterns.

    Notes
    -----
    Forward mode costs about ``ceil(P / k)`` forward passes of k-times the work each,
    i.e. work proportional to P times a forward pass, against backprop's constant
    factor; its appeal is that it needs nothing but the forward pass and a table of
    derivative rules (:data:`gradmethods.core.dual.RULES`).  Counts per gradient:
    ``nfev = forward_passes = ceil(P / k)``, ``njev = 1``.
    """

    def __init__(self, chunk_size: int | None = None) -> None:
        super().__init__()
        self.chunk_size = None if chunk_size is None else check_positive_int("chunk_size", chunk_size)

    def _directions(self, net: Network, n_variables: int, n_networks: int, n_patterns: int, itemsize: int) -> int:
        if self.chunk_size is not None:
            return min(self.chunk_size, n_variables)
        per_direction = n_networks * (n_variables + net.n_params + 2 * n_patterns * sum(net.layer_sizes[1:]))
        return int(max(1, min(n_variables, TANGENT_BUDGET // (per_direction * itemsize))))

    def value_and_grad(self, net: Network, params: Any, X: Any, Y: Any) -> tuple[Any, np.ndarray]:
        params = net.check_params(params)
        X, Y = net._check_data(X, Y, params)
        R = 1 if params.ndim == 1 else params.shape[0]
        k = self._directions(net, net.n_params, R, X.shape[0], params.itemsize)
        grad = np.empty_like(params)
        cost = None
        for start, tangent in _seeds(params.shape, k, params.dtype):
            z, a = net._propagate(Dual(params, tangent), X)[-1]
            result = net.cost_from_outputs(z, a, Y)
            cost = result.value
            grad[..., start : start + tangent.shape[0]] = np.moveaxis(result.tangent, 0, -1)
        passes = math.ceil(net.n_params / k)
        self._count(params, nfev=passes, njev=1)
        return cost, grad

    def input_grad(self, net: Network, params: Any, X: Any, Y: Any) -> np.ndarray:
        params = net.check_params(params)
        X, Y = net._check_data(X, Y, params)
        R = 1 if params.ndim == 1 else params.shape[0]
        k = self._directions(net, X.size, R, X.shape[0], params.itemsize)
        grad = np.empty(params.shape[:-1] + (X.size,), dtype=params.dtype)
        for start, tangent in _seeds((X.size,), k, X.dtype):
            Xdual = Dual(X, tangent.reshape((tangent.shape[0],) + X.shape))
            z, a = net._propagate(params, Xdual)[-1]
            grad[..., start : start + tangent.shape[0]] = np.moveaxis(net.cost_from_outputs(z, a, Y).tangent, 0, -1)
        self._count(params, nfev=math.ceil(X.size / k), njev=1)
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
