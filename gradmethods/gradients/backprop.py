"""Backpropagation: reverse-mode differentiation, the chain rule layer by layer."""

from __future__ import annotations

import numpy as np

from ..core.network import Network
from ..core.registry import register_provider
from .base import ProviderBase, Work, backward_sweep_fpe

__all__ = ["Backprop"]


@register_provider("backprop")
class Backprop(ProviderBase):
    """Reverse mode: one forward pass, then one backward pass that applies the chain rule.

    For each layer, from the output back to the input (``delta = dCost/dz``):

    * output layer: ``delta = dC/da * f'(z)`` (or the fused ``a - y`` of cross
      entropy after a sigmoid), divided by N because the cost is a mean
      (:meth:`Network.output_delta <gradmethods.Network.output_delta>`);
    * ``dC/dW = a_prev^T @ delta``, ``dC/db = sum over patterns of delta``;
    * ``delta_prev = (delta @ W^T) * f'(z_prev)`` — the post's "add the
      derivatives of both paths together" is this matrix product.

    Everything is one matrix expression per layer, vectorized over the N patterns and
    the R networks of a stack.  One call costs one forward and one backward pass:
    ``1 + backward_sweep_fpe(net)`` forward-pass equivalents (about 2 to 3).
    """

    family = "reverse_mode"
    exact = True
    tolerance = 1e-12
    style = ("#0072B2", "o", "-")

    def value_and_grad_work(self, net: Network, networks: int, patterns: int) -> Work:
        return Work(nfev=1, njev=1, forward_passes=1, backward_passes=1, fpe=1 + backward_sweep_fpe(net))

    def input_grad_work(self, net: Network, networks: int, patterns: int) -> Work:
        return Work(nfev=1, njev=1, forward_passes=1, backward_passes=1,
                    fpe=1 + backward_sweep_fpe(net, to_inputs=True))  # fmt: skip

    def compute_value_and_grad(self, net: Network, params: np.ndarray, X: np.ndarray, Y: np.ndarray):
        if params.shape[0] == 1:  # one network: plain matrices, without a stack axis to broadcast over
            return self._value_and_grad_one(net, params, X, Y)
        cost, grad, _ = self._backward(net, params, X, Y, want_input=False)
        return cost, grad

    def compute_input_grad(self, net: Network, params: np.ndarray, X: np.ndarray, Y: np.ndarray) -> np.ndarray:
        return self._backward(net, params, X, Y, want_input=True)[2]

    def _value_and_grad_one(self, net: Network, stack: np.ndarray, X: np.ndarray, Y: np.ndarray):
        """The cost ``(1,)`` and gradient ``(1, P)`` of a stack of one, on 2-D matrices.

        The same arithmetic as :meth:`_backward` on the vector ``stack[0]``, the same
        numbers, with the results made in the stack's shapes directly.
        """
        params = stack[0]
        trace = net.trace(params, X)
        z, a = trace[-1]
        cost, delta = net.cost_and_output_delta(z, a, Y, stack_axis=True)
        grad = np.empty(stack.shape, dtype=stack.dtype)
        grad_layers = net.unpack(grad[0])
        if len(trace) == 1:  # one layer (the post's OR/AND network): no sweep below it
            grad_W, grad_b = grad_layers[0]
            np.matmul(X.T, delta, out=grad_W)
            np.add.reduce(delta, axis=0, out=grad_b)
            return cost, grad
        layers = net.unpack(params)
        for index in range(len(trace) - 1, -1, -1):
            grad_W, grad_b = grad_layers[index]
            np.matmul(X.T if index == 0 else trace[index - 1][1].T, delta, out=grad_W)
            np.add.reduce(delta, axis=0, out=grad_b)
            if index > 0:
                delta = delta @ layers[index][0].T
                z_prev, a_prev = trace[index - 1]
                delta *= net.activations[index - 1].deriv(z_prev, a_prev)
        return cost, grad

    def _backward(self, net: Network, params: np.ndarray, X: np.ndarray, Y: np.ndarray, *, want_input: bool):
        trace = net.trace(params, X)
        layers = net.unpack(params) if net.n_layers > 1 or want_input else None  # only the backward sweep needs W
        z, a = trace[-1]
        cost, delta = net.cost_and_output_delta(z, a, Y)

        grad = np.empty_like(params)
        grad_layers = net.unpack(grad)
        for index in range(net.n_layers - 1, -1, -1):
            a_prev = X if index == 0 else trace[index - 1][1]
            grad_W, grad_b = grad_layers[index]
            np.matmul(a_prev.mT, delta, out=grad_W)
            np.add.reduce(delta, axis=-2, out=grad_b)
            if index > 0 or want_input:
                delta = delta @ layers[index][0].mT
                if index > 0:
                    z_prev, a_prev = trace[index - 1]
                    delta *= net.activations[index - 1].deriv(z_prev, a_prev)
        return cost, grad, (delta if want_input else None)
