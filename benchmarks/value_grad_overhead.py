"""Overhead of one backprop value+grad call, against a hand-written numpy step and a forward pass.

Measured side by side in this one process, interleaved (each repeat times every case once,
in turn), each time the median over repeats of the mean time of a loop of calls lasting at
least ``--min-seconds``; BLAS threads pinned with threadpoolctl to ``--threads``.  With
``--stat min`` the fastest repeat instead of the median: on a machine shared with other work,
the time of a loop that ran without being interrupted (use many short repeats, e.g.
``--repeats 200 --min-seconds 0.005``).

Rows:

* OR/AND (2-2 sigmoid, half squared error, N = 4, float64): the public
  ``get_provider("backprop").value_and_grad(net, params, X, Y)`` and a trainer's inner-loop
  call ``value_and_grad_prechecked(net, params[None, :], X, Y)``, each against
  ``gradmethods.analysis.bench._plain_numpy_step`` (the issue's goal: public call <= 1.5x);
* the same with float32 parameters and data;
* 64-32-10 and 784-128-10 (N = 256, float64, the bench's data): the public value+grad against
  the public ``net.cost`` (one forward pass; the goal on 784-128-10: <= 2x);
* stacks of R OR/AND networks (``value_and_grad_prechecked`` on ``(R, 6)``), per call;
* the OR/AND and 784-128-10 ratios once more timed as ``gradmethods bench`` times its target
  rows (``_median_time``: 7 repeats of >= 0.2 s, the two sides one after the other).

    OPENBLAS_NUM_THREADS=1 python benchmarks/value_grad_overhead.py --threads 1
    python benchmarks/value_grad_overhead.py --threads 2 --repeats 15
"""

from __future__ import annotations

import argparse
import os
import statistics
from collections.abc import Callable

import numpy as np

import gradmethods as gm
from gradmethods.analysis.bench import _case_data, _median_time, _plain_numpy_step
from gradmethods.analysis.bench import _loop_time as loop_time

STATISTIC = statistics.median


def interleaved_medians(cases: dict[str, Callable[[], object]], repeats: int, min_seconds: float) -> dict[str, float]:
    """Median (or ``--stat``) over ``repeats`` of each case's :func:`loop_time`, the cases timed in turn."""
    for fn in cases.values():  # warm up
        fn()
    times: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(repeats):
        for name, fn in cases.items():
            times[name].append(loop_time(fn, min_seconds))
    return {name: STATISTIC(values) for name, values in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--threads", type=int, default=1, help="BLAS threads (default 1)")
    parser.add_argument("--repeats", type=int, default=11, help="timings per case (median taken; default 11)")
    parser.add_argument("--min-seconds", type=float, default=0.05, help="length of one timing (default 0.05)")
    parser.add_argument("--stacks", type=int, nargs="*", default=[10, 100, 10_000], help="stack sizes R")
    parser.add_argument("--stat", choices=["median", "min"], default="median", help="statistic over the repeats")
    args = parser.parse_args()
    global STATISTIC
    STATISTIC = statistics.median if args.stat == "median" else min

    from threadpoolctl import threadpool_limits

    provider = gm.get_provider("backprop")
    task = gm.get_task("or_and")
    net = task.network()
    rows: list[tuple[str, float, str, float]] = []
    with threadpool_limits(args.threads):
        for dtype in ("float64", "float32"):
            X, Y = (array.astype(dtype) for array in task.data())
            params = task.random_params(np.random.default_rng(0)).astype(dtype)
            stack = params[None, :]
            times = interleaved_medians(
                {
                    "hand": _plain_numpy_step(X, Y, params),
                    "public": lambda X=X, Y=Y, params=params: provider.value_and_grad(net, params, X, Y),
                    "prechecked": lambda X=X, Y=Y, stack=stack: provider.value_and_grad_prechecked(net, stack, X, Y),
                },
                args.repeats,
                args.min_seconds,
            )
            hand = times["hand"]
            rows.append((f"OR/AND N=4 {dtype}: hand-written numpy step", hand, "1.00x (reference)", np.nan))
            rows.append((f"OR/AND N=4 {dtype}: public value_and_grad", times["public"], "x the hand step",
                         times["public"] / hand))  # fmt: skip
            rows.append((f"OR/AND N=4 {dtype}: value_and_grad_prechecked (R=1)", times["prechecked"],
                         "x the hand step", times["prechecked"] / hand))  # fmt: skip

        for sizes in ([64, 32, 10], [784, 128, 10]):
            big = gm.Network(sizes)
            params, X, Y = _case_data(big, 256, "float64")
            times = interleaved_medians(
                {
                    "forward": lambda big=big, params=params, X=X, Y=Y: big.cost(params, X, Y),
                    "both": lambda big=big, params=params, X=X, Y=Y: provider.value_and_grad(big, params, X, Y),
                },
                args.repeats,
                args.min_seconds,
            )
            name = "-".join(map(str, sizes))
            rows.append((f"{name} N=256 float64: public net.cost (one forward pass)", times["forward"], "", np.nan))
            rows.append((f"{name} N=256 float64: public value_and_grad", times["both"], "x one forward pass",
                         times["both"] / times["forward"]))  # fmt: skip

        X, Y = task.data()
        params = task.random_params(np.random.default_rng(0))
        ours = _median_time(lambda: provider.value_and_grad(net, params, X, Y), 7, 0.2)
        theirs = _median_time(_plain_numpy_step(X, Y, params), 7, 0.2)
        rows.append(("as gradmethods bench times it: OR/AND public value_and_grad", ours, "x the hand step",
                     ours / theirs))  # fmt: skip
        big = gm.Network([784, 128, 10])
        big_params, big_X, big_Y = _case_data(big, 256, "float64")
        forward = _median_time(lambda: big.cost(big_params, big_X, big_Y), 7, 0.2)
        both = _median_time(lambda: provider.value_and_grad(big, big_params, big_X, big_Y), 7, 0.2)
        rows.append(("as gradmethods bench times it: 784-128-10 N=256 value_and_grad", both, "x one forward pass",
                     both / forward))  # fmt: skip
        cases = {}
        for R in args.stacks:
            stack = net.init_params(np.random.default_rng(1), size=R)
            cases[R] = lambda stack=stack: provider.value_and_grad_prechecked(net, stack, X, Y)
        times = interleaved_medians(cases, args.repeats, args.min_seconds)
        for R, seconds in times.items():
            rows.append((f"OR/AND N=4 float64: value_and_grad_prechecked, stack R={R:,}", seconds,
                         "us per network", seconds / R * 1e6))  # fmt: skip

    load = os.getloadavg()
    print(f"threads: {args.threads} (BLAS, threadpoolctl); {args.stat} of {args.repeats} x >= {args.min_seconds} s; "
          f"numpy {np.__version__}; load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")  # fmt: skip
    width = max(len(row[0]) for row in rows)
    for label, seconds, ratio_is, ratio in rows:
        ratio_text = "" if np.isnan(ratio) else f"{ratio:7.2f} {ratio_is}"
        if not ratio_text and ratio_is:
            ratio_text = ratio_is
        print(f"{label:<{width}}  {seconds * 1e6:10.2f} us  {ratio_text}")


if __name__ == "__main__":
    main()
