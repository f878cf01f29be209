"""Time value_and_grad of every gradient provider side by side, and the dual-number layout.

Run: ``PYTHONPATH=. python benchmarks/bench_providers.py [--threads 1]``.
Prints the median of several repeats per call and the ratio to backprop; the BLAS thread
count is fixed with threadpoolctl and printed.
"""

from __future__ import annotations

import argparse
import functools

import numpy as np
from threadpoolctl import threadpool_info, threadpool_limits

import gradmethods as gm
from gradmethods.analysis.bench import _median_time


def best_time(fn, repeats: int, min_seconds: float = 0.2) -> float:
    """Median wall time of ``fn()`` over ``repeats`` rounds (each looping until ``min_seconds``)."""
    return _median_time(fn, repeats, min_seconds=min_seconds)


def problems():
    task = gm.get_task("example4")
    yield "example4 (2-2-2, N=1)", task.network(), task.post_params(), task.X, task.Y
    rng = np.random.default_rng(0)
    net = gm.Network([64, 32, 10])
    yield "64-32-10 (N=256)", net, net.init_params(rng), rng.uniform(-1, 1, (256, 64)), rng.uniform(0, 1, (256, 10))


def bench_providers(repeats: int) -> None:
    print(f"{'problem':24s} {'provider':13s} {'P':>6s} {'seconds/call':>13s} {'x backprop':>10s} {'fwd passes':>10s}")
    for label, net, params, X, Y in problems():
        base = None
        for name in gm.providers():
            provider = gm.get_provider(name)
            seconds = best_time(functools.partial(provider.value_and_grad, net, params, X, Y), repeats)
            provider.reset_counts()
            provider.value_and_grad(net, params, X, Y)
            base = seconds if name == "backprop" else base
            print(f"{label:24s} {name:13s} {net.n_params:6d} {seconds:13.3e} {seconds / base:10.1f} "
                  f"{provider.forward_passes:10d}")


def bench_layout(repeats: int) -> None:
    """Forward-pass tangent arithmetic of a 64-32-10 net, N=256, k=64: directions leading vs trailing."""
    rng = np.random.default_rng(1)
    k, N = 64, 256
    X = rng.standard_normal((N, 64))
    W1, W2 = rng.standard_normal((64, 32)), rng.standard_normal((32, 10))
    dW1, dW2 = rng.standard_normal((k, 64, 32)), rng.standard_normal((k, 32, 10))

    def leading():  # tangents (k,) + shape
        z1 = X @ W1
        a1 = np.tanh(z1)
        t1 = (1 - a1 * a1) * (X @ dW1)
        z2 = a1 @ W2
        return t1 @ W2 + a1 @ dW2, z2

    dW1t, dW2t = np.moveaxis(dW1, 0, -1).copy(), np.moveaxis(dW2, 0, -1).copy()

    def trailing():  # tangents shape + (k,)
        z1 = X @ W1
        a1 = np.tanh(z1)
        t1 = (1 - a1 * a1)[..., None] * np.einsum("ni,ijk->njk", X, dW1t, optimize=True)
        z2 = a1 @ W2
        return np.einsum("njk,jm->nmk", t1, W2, optimize=True) + np.einsum("nj,jmk->nmk", a1, dW2t,
                                                                           optimize=True), z2

    np.testing.assert_allclose(np.moveaxis(leading()[0], 0, -1), trailing()[0], rtol=1e-10, atol=1e-9)
    lead, trail = best_time(leading, repeats), best_time(trailing, repeats)
    print(f"\ndual layout, 64-32-10 N=256 k=64 tangent forward pass: leading {lead:.3e} s, "
          f"trailing {trail:.3e} s (trailing / leading = {trail / lead:.2f})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    with threadpool_limits(args.threads):
        libs = ", ".join(f"{i['internal_api']} {i['num_threads']} thread(s)" for i in threadpool_info())
        print(f"BLAS: {libs}; numpy {np.__version__}\n")
        bench_providers(args.repeats)
        bench_layout(args.repeats)


if __name__ == "__main__":
    main()
