"""Independent reference implementations used by the tests.

Written plainly (Python loops, explicit formulas) and sharing no code with the
package, so that the package is checked against something it did not compute.
"""

from __future__ import annotations

import math

import numpy as np

ACTIVATIONS = {
    "sigmoid": lambda z: 1.0 / (1.0 + np.exp(-z)),
    "tanh": np.tanh,
    "relu": lambda z: np.where(z > 0, z, 0.0),
    "identity": lambda z: z,
}


def reference_layers(sizes, params):
    """Split a flat vector by the documented order: per layer, W row-major (fan_in, fan_out), then b."""
    layers, at = [], 0
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        W = np.array(params[at : at + fan_in * fan_out], dtype=float).reshape(fan_in, fan_out)
        at += fan_in * fan_out
        b = np.array(params[at : at + fan_out], dtype=float)
        at += fan_out
        layers.append((W, b))
    assert at == len(params)
    return layers


def reference_outputs(sizes, activations, params, X):
    """Forward pass pattern by pattern, neuron by neuron."""
    outputs = []
    for x in np.asarray(X, dtype=float):
        a = list(x)
        for (W, b), act in zip(reference_layers(sizes, params), activations):
            z = [sum(a[i] * W[i, j] for i in range(len(a))) + b[j] for j in range(W.shape[1])]
            a = [float(ACTIVATIONS[act](np.float64(v))) for v in z]
        outputs.append(a)
    return np.array(outputs)


def reference_cost(sizes, activations, cost, params, X, Y):
    """Mean over patterns of the per-pattern cost."""
    out = reference_outputs(sizes, activations, params, X)
    total = 0.0
    for o, y in zip(out, np.asarray(Y, dtype=float)):
        if cost == "half_sse":
            total += 0.5 * sum((oi - yi) ** 2 for oi, yi in zip(o, y))
        else:
            total += -sum(yi * math.log(oi) + (1 - yi) * math.log(1 - oi) for oi, yi in zip(o, y))
    return total / len(out)


def reference_gradient(f, x, h=1e-6):
    """Central differences, one coordinate at a time (error ~h^2)."""
    x = np.array(x, dtype=float)
    grad = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        step = h * max(1.0, abs(x[index]))
        up, down = x.copy(), x.copy()
        up[index] += step
        down[index] -= step
        grad[index] = (f(up) - f(down)) / (2 * step)
    return grad
