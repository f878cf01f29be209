"""Which cost, learning rate and budget give >= 95 % test accuracy on ``digits``?

Full-batch backprop from ``init="random"``; prints one markdown row per run:
cost, lr, iterations, seconds, outcome, final training error, train and test accuracy.
BLAS is pinned to one thread (threadpoolctl) so the seconds are comparable.

    PYTHONPATH=. python benchmarks/digits_budget.py                  # the grid
    PYTHONPATH=. python benchmarks/digits_budget.py --seeds 0 1 2 3 4 --grid default
"""

from __future__ import annotations

import argparse
import itertools
import time

import gradmethods as gm
from gradmethods.core.datasets import held_out_data

GRIDS = {
    "full": {
        "half_sse": ((1.0, 2.0, 4.0, 8.0), (200, 500, 1000, 2000)),
        "cross_entropy": ((1.0, 2.0, 4.0), (200, 500, 1000)),
    },
    "default": {"cross_entropy": ((2.0,), (1000,))},
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--grid", choices=sorted(GRIDS), default="full")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    args = parser.parse_args()
    try:
        from threadpoolctl import threadpool_limits

        threadpool_limits(1)
        threads = "1 BLAS thread"
    except ImportError:  # pragma: no cover
        threads = "BLAS threads not pinned (threadpoolctl missing)"
    print(f"digits, full-batch backprop, init='random', {threads}\n")
    print("| cost | lr | iterations | seed | seconds | outcome | train error | train acc. | test acc. |")
    print("|---|---:|---:|---:|---:|---|---:|---:|---:|")
    for cost, (rates, budgets) in GRIDS[args.grid].items():
        task = gm.get_task("digits", cost=cost)
        net = task.network()
        X_test, Y_test = held_out_data(task)
        for lr, iterations, seed in itertools.product(rates, budgets, args.seeds):
            start = time.perf_counter()
            result = gm.train(task, init="random", seed=seed, lr=lr, iterations=iterations)
            seconds = time.perf_counter() - start
            train_acc = gm.accuracy(net, result.params, task.X, task.Y)
            test_acc = gm.accuracy(net, result.params, X_test, Y_test)
            print(
                f"| {cost} | {lr:g} | {iterations} | {seed} | {seconds:.1f} | {result.outcome} | "
                f"{result.final_error:.4f} | {100 * train_acc:.1f} % | {100 * test_acc:.1f} % |",
                flush=True,
            )


if __name__ == "__main__":
    main()
