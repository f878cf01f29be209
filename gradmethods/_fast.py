"""A compiled path for batched backprop training (optional: needs numba, the ``fast`` extra).

One kernel trains a whole stack of runs: each run's full training loop -- forward
pass, cost, error, backward pass, update, stopping tests -- runs inside compiled
code with the run's parameters, activations and deltas in a few hundred bytes of
cache, and the runs are spread over the CPU's threads (``numba.prange``).  For tiny
networks this removes the per-step cost of numpy (dozens of array operations, each
with its own dispatch overhead) that dominates the numpy path.

It computes what :func:`gradmethods.trainers.gradient_descent.gradient_descent_stack`
computes with the ``backprop`` provider, in the same dtype and with the same formulas
(the expit form of the sigmoid, the fused softplus form of sigmoid + cross entropy,
the update ``p + (-lr) * v`` with ``v = beta v + g``), so the numbers agree to
rounding: only the order of the sums inside a matrix product differs.  The numpy path
stays the reference; tests compare the two.

Used by ``gm.train(..., fast=True)``; it applies to full-batch training with the
``backprop`` provider, and anything else falls back to the numpy path.
"""

from __future__ import annotations

import math
import time
from typing import Any

import numpy as np

from .results import Outcome
from .trainers.gradient_descent import StackRecord, gradient_descent_stack, provider_counts

__all__ = ["available", "supports", "gradient_descent_stack_fast", "gradient_descent_runs"]

try:  # pragma: no cover - depends on the environment
    import numba
    from numba import njit, prange
except ImportError:  # pragma: no cover
    numba = None

_ACTIVATION_CODES = {"identity": 0, "sigmoid": 1, "tanh": 2, "relu": 3}
_COST_CODES = {"half_sse": 0, "cross_entropy": 1}
_OUTCOMES = (Outcome.BUDGET_EXHAUSTED, Outcome.CONVERGED, Outcome.DIVERGED)


def available() -> bool:
    """Whether numba is installed (the compiled path can run)."""
    return numba is not None


def supports(net: Any, provider: Any, batch_size: int | None = None) -> bool:
    """Whether the kernel computes this case: full-batch backprop on the built-in activations and costs."""
    from .gradients.backprop import Backprop

    return (
        available()
        and type(provider) is Backprop
        and batch_size is None
        and all(name in _ACTIVATION_CODES for name in net.activation_names)
        and net.cost_name in _COST_CODES
        and (net.cost_name != "cross_entropy" or net._fused)
    )


def gradient_descent_runs(net, provider, params, X, Y, **kwargs):
    """:func:`gradient_descent_stack_fast` where it applies, else the numpy path; one tuple per run."""
    return gradient_descent_stack_fast(net, provider, params, X, Y, **kwargs).runs()


def gradient_descent_stack_fast(
    net: Any,
    provider: Any,
    params: np.ndarray,
    X: np.ndarray,
    Y: np.ndarray,
    *,
    lr: Any,
    iterations: int,
    target: float | None = None,
    momentum: float = 0.0,
    batch_size: int | None = None,
    rngs: Any = None,
) -> StackRecord:
    """:func:`~gradmethods.trainers.gradient_descent.gradient_descent_stack`, compiled where it applies.

    The arguments and the result are those of the numpy function.  ``seconds`` is the
    kernel's wall time apportioned evenly over the iterations (the compiled loop does
    not read the clock).  The work counters are the provider's per-call counts (found
    with one call of a fresh provider on one vector) times the iterations.
    """
    if not supports(net, provider, batch_size):
        return gradient_descent_stack(
            net, provider, params, X, Y, lr=lr, iterations=iterations, target=target,
            momentum=momentum, batch_size=batch_size, rngs=rngs,
        )  # fmt: skip
    params = np.ascontiguousarray(params)
    dtype = params.dtype
    n_runs, n_params = params.shape
    X = np.ascontiguousarray(X, dtype=dtype)
    Y = np.ascontiguousarray(Y, dtype=dtype)
    lrs = np.ascontiguousarray(np.broadcast_to(-np.asarray(lr, dtype=np.float64), (n_runs,)).astype(dtype))
    sizes = np.array(net.layer_sizes, dtype=np.int64)
    offsets = np.array([s.start for w, b in net.layer_param_slices() for s in (w, b)], dtype=np.int64)
    acts = np.array([_ACTIVATION_CODES[name] for name in net.activation_names], dtype=np.int64)
    consts = np.array([0.5, 1.0, 0.0, X.shape[0], momentum, -1.0 if target is None else target], dtype=dtype)
    has_target = target is not None

    per_call = _per_call_counts(provider, net, params[0], X, Y)
    costs = np.empty((n_runs, iterations), dtype=np.float64)
    errors = np.empty((n_runs, iterations), dtype=np.float64)
    final = np.empty_like(params)
    rows = np.empty(n_runs, dtype=np.int64)
    codes = np.empty(n_runs, dtype=np.int64)
    start = time.perf_counter()
    _train_kernel(
        params, X, Y, lrs, consts, has_target, iterations, sizes, offsets, acts, _COST_CODES[net.cost_name],
        final, costs, errors, rows, codes,
    )  # fmt: skip
    elapsed = time.perf_counter() - start

    names = list(per_call)
    steps = np.arange(1, iterations + 1, dtype=np.int64)
    counts = np.empty((iterations, n_runs, len(names)), dtype=np.int64)
    for k, name in enumerate(names):
        counts[:, :, k] = (steps * per_call[name])[:, None]
    # Account the kernel's work to the provider, as the numpy path does.
    for name in names:
        if hasattr(provider, name):
            setattr(provider, name, getattr(provider, name) + int(rows.sum()) * per_call[name])
    seconds = elapsed * steps / iterations
    return StackRecord(
        final, costs.T, errors.T, names, counts, seconds, rows, [_OUTCOMES[c] for c in codes]
    )  # fmt: skip


def _per_call_counts(provider, net, vector, X, Y) -> dict[str, int]:
    probe = type(provider)()
    before = provider_counts(probe)
    probe.value_and_grad(net, vector, X, Y)
    after = provider_counts(probe)
    return {name: after[name] - before[name] for name in after}


if numba is not None:

    @njit(inline="always")
    def _act(code, z, one, zero):  # pragma: no cover - compiled
        if code == 1:
            # scipy.special.expit
            if z >= zero:
                return one / (one + np.exp(-z))
            e = np.exp(z)
            return e / (one + e)
        if code == 2:
            return np.tanh(z)
        if code == 3:
            return z if z > zero else zero
        return z

    @njit(inline="always")
    def _deriv(code, z, a, one, zero):  # pragma: no cover - compiled
        if code == 1:
            return a * (one - a)
        if code == 2:
            return one - a * a
        if code == 3:
            return one if z > zero else zero
        return one

    @njit(parallel=True, cache=True)
    def _train_kernel(
        params, X, Y, lrs, consts, has_target, iterations, sizes, offsets, acts, cost_code,
        final, costs, errors, rows, codes,
    ):  # pragma: no cover - compiled  # fmt: skip
        half, one, zero, n_float, beta, target = consts[0], consts[1], consts[2], consts[3], consts[4], consts[5]
        n_runs, n_params = params.shape
        n_samples = X.shape[0]
        n_layers = acts.shape[0]
        width = 0
        for s in sizes:
            width = max(width, s)
        n_out = sizes[n_layers]
        for r in prange(n_runs):
            p = params[r].copy()
            velocity = np.zeros(n_params, dtype=params.dtype)
            grad = np.empty(n_params, dtype=params.dtype)
            zs = np.empty((n_layers, n_samples, width), dtype=params.dtype)
            as_ = np.empty((n_layers, n_samples, width), dtype=params.dtype)
            delta = np.empty((n_samples, width), dtype=params.dtype)
            delta_prev = np.empty((n_samples, width), dtype=params.dtype)
            step = lrs[r]
            rows[r] = iterations
            codes[r] = 0
            done = False
            for it in range(iterations):
                # forward: z = a_prev @ W + b, a = f(z)
                for layer in range(n_layers):
                    fan_in, fan_out = sizes[layer], sizes[layer + 1]
                    w0, b0 = offsets[2 * layer], offsets[2 * layer + 1]
                    code = acts[layer]
                    for n in range(n_samples):
                        for j in range(fan_out):
                            s = zero
                            for i in range(fan_in):
                                a_in = X[n, i] if layer == 0 else as_[layer - 1, n, i]
                                s += a_in * p[w0 + i * fan_out + j]
                            z = s + p[b0 + j]
                            zs[layer, n, j] = z
                            as_[layer, n, j] = _act(code, z, one, zero)
                # cost, error and the output delta
                last = n_layers - 1
                out_code = acts[last]
                cost = zero
                error = zero
                for n in range(n_samples):
                    pattern_cost = zero
                    sq = zero
                    for j in range(n_out):
                        z = zs[last, n, j]
                        a = as_[last, n, j]
                        y = Y[n, j]
                        diff = a - y
                        sq += (y - a) * (y - a)
                        if cost_code == 0:
                            pattern_cost += diff * diff
                            delta[n, j] = diff * _deriv(out_code, z, a, one, zero) / n_float
                        else:
                            # softplus(z) - y z, softplus = logaddexp(0, z)
                            softplus = (z if z > zero else zero) + np.log1p(np.exp(-abs(z)))
                            pattern_cost += softplus - y * z
                            delta[n, j] = diff / n_float
                    if cost_code == 0:
                        pattern_cost = half * pattern_cost
                    cost += pattern_cost
                    error += np.sqrt(sq)
                cost = cost / n_float
                error = error / n_float
                # backward
                for layer in range(n_layers - 1, -1, -1):
                    fan_in, fan_out = sizes[layer], sizes[layer + 1]
                    w0, b0 = offsets[2 * layer], offsets[2 * layer + 1]
                    for i in range(fan_in):
                        for j in range(fan_out):
                            s = zero
                            for n in range(n_samples):
                                a_in = X[n, i] if layer == 0 else as_[layer - 1, n, i]
                                s += a_in * delta[n, j]
                            grad[w0 + i * fan_out + j] = s
                    for j in range(fan_out):
                        s = zero
                        for n in range(n_samples):
                            s += delta[n, j]
                        grad[b0 + j] = s
                    if layer > 0:
                        code = acts[layer - 1]
                        for n in range(n_samples):
                            for i in range(fan_in):
                                s = zero
                                for j in range(fan_out):
                                    s += delta[n, j] * p[w0 + i * fan_out + j]
                                d = _deriv(code, zs[layer - 1, n, i], as_[layer - 1, n, i], one, zero)
                                delta_prev[n, i] = s * d
                        for n in range(n_samples):
                            for i in range(fan_in):
                                delta[n, i] = delta_prev[n, i]
                costs[r, it] = cost
                errors[r, it] = error
                finite = math.isfinite(cost)
                for k in range(n_params):
                    if not math.isfinite(grad[k]):
                        finite = False
                if not finite:
                    rows[r], codes[r], done = it + 1, 2, True
                elif has_target and error <= target:
                    rows[r], codes[r], done = it + 1, 1, True
                if done:
                    break
                blew_up = False
                for k in range(n_params):
                    velocity[k] = beta * velocity[k] + grad[k]
                    p[k] = p[k] + step * velocity[k]
                    if not math.isfinite(p[k]):
                        blew_up = True
                if blew_up:
                    rows[r], codes[r] = it + 1, 2
                    break
            final[r] = p
            for it in range(rows[r], iterations):
                costs[r, it] = np.nan
                errors[r, it] = np.nan
