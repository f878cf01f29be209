"""Backpropagation: reverse-mode differentiation, the chain rule layer by layer."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..core.network import Network
from ..core.registry import register_provider
from .base import ProviderBase

__all__ = ["Backprop"]


def _transpose(a: np.ndarray) -> np.ndarray:
    return np.swapaxes(a, -1, -2)


@register_provider("backprop")
class Backprop(ProviderBase):
    """Reverse mode: one forward pass, then one backward pass that applies the chain rule.

    For each layer, from the output back to the input (``delta = dCost/dz``):

    * output layer: ``delta = dC/da * f'(z)`` (or the fused ``a - y`` of cross
      entropy after a sigmoid), divided by N because the cost is a mean;
    * ``dC/dW = a_prev^T @ delta``, ``dC/db = sum over patterns of delta``;
    * ``delta_prev = (delta @ W^T) * f'(z_prev)`` — the post's "add the
      derivatives of both paths together" is this matrix product.

    Everything is one matrix expression per layer, vectorized over the N patterns and
    the R networks of a stack.  One call costs one forward and one backward pass
    (``nfev``, ``njev``, ``forward_passes`` and ``backward_passes`` each
    ``+= 1`` per network).
    """

    def value_and_grad(self, net: Network, params: Any, X: Any, Y: Any) -> tuple[Any, np.ndarray]:
        cost, grad, _ = self._backward(net, params, X, Y, want_input=False)
        return cost, grad

    def input_grad(self, net: Network, params: Any, X: Any, Y: Any) -> np.ndarray:
        _, _, grad_input = self._backward(net, params, X, Y, want_input=True)
        return grad_input

    def _backward(self, net: Network, params: Any, X: Any, Y: Any, *, want_input: bool):
        params = net.check_params(params)
        X, Y = net._check_data(X, Y, params)
        trace = net._propagate(params, X)
        layers = net.unpack(params)
        z, a = trace[-1]
        cost = net.cost_from_outputs(z, a, Y)

        cost_fn, output_activation = net.cost_function, net.activations[-1]
        if net._fused:
            delta = cost_fn.grad_z(z, a, Y)
        else:
            delta = cost_fn.grad_output(a, Y) * output_activation.deriv(z, a)
        delta = delta / X.shape[0]

        grad = np.empty_like(params)
        grad_layers = net.unpack(grad)
        for index in range(net.n_layers - 1, -1, -1):
            a_prev = X if index == 0 else trace[index - 1][1]
            grad_W, grad_b = grad_layers[index]
            grad_W[...] = _transpose(a_prev) @ delta
            grad_b[...] = delta.sum(axis=-2)
            if index > 0 or want_input:
                delta = delta @ _transpose(layers[index][0])
                if index > 0:
                    z_prev, a_prev = trace[index - 1]
                    delta = delta * net.activations[index - 1].deriv(z_prev, a_prev)
        self._count(params, nfev=1, njev=1, forward_passes=1, backward_passes=1)
        return cost, grad, (delta if want_input else None)
