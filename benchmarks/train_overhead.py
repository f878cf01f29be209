"""What gm.train adds around the compiled kernel: its time against the kernel call it makes.

Each repeat is one ``gm.train`` call on the compiled engine; the kernel calls it makes
(``compiled._train_kernel`` and ``_train_kernel_serial``, every chunk) are timed inside
that same call, so the two times are of the same work, side by side.  Everything else in
the call -- checking the arguments, seeding the runs, allocating the histories, building
the result -- is the overhead.  Medians over the repeats; the ratio is the median of the
per-call ratios.

    python benchmarks/train_overhead.py                      # 10,000 x 1000 OR/AND, f64 and f32; 1e6-step run
    python benchmarks/train_overhead.py --threads 2 --repeats 7 --runs 10000 --iterations 1000

Prints the thread count (numba's) and the load average beside the figures: on a shared
machine the kernel's time moves with the load, the ratio much less.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import numpy as np


def _timed_kernels(compiled):
    """Wrap the kernels so that each call's wall time is added to a list; returns (list, restore)."""
    spent: list[float] = []
    originals = {name: getattr(compiled, name) for name in ("_train_kernel", "_train_kernel_serial")}

    def wrap(kernel):
        def timed(*arguments):
            start = time.perf_counter()
            kernel(*arguments)
            spent.append(time.perf_counter() - start)

        return timed

    for name, kernel in originals.items():
        setattr(compiled, name, wrap(kernel))

    def restore():
        for name, kernel in originals.items():
            setattr(compiled, name, kernel)

    return spent, restore


def measure(call, repeats: int, compiled) -> dict[str, float]:
    """Median kernel time, median gm.train time and median ratio of ``repeats`` calls of ``call()``."""
    spent, restore = _timed_kernels(compiled)
    kernels, totals = [], []
    try:
        for _ in range(repeats):
            spent.clear()
            start = time.perf_counter()
            result = call()
            totals.append(time.perf_counter() - start)
            kernels.append(sum(spent))
            del result
    finally:
        restore()
    ratios = [total / kernel for total, kernel in zip(totals, kernels)]
    return {"kernel": statistics.median(kernels), "train": statistics.median(totals),
            "ratio": statistics.median(ratios), "ratio_min": min(ratios), "ratio_max": max(ratios)}  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--task", default="or_and")
    parser.add_argument("--runs", type=int, default=10_000, help="seeds of the batched case (default 10000)")
    parser.add_argument("--iterations", type=int, default=1000, help="iterations of the batched case (default 1000)")
    parser.add_argument("--single-iterations", type=int, default=1_000_000,
                        help="iterations of the single run (default 1e6; 0 skips it)")  # fmt: skip
    parser.add_argument("--dtype", nargs="+", default=["float64", "float32"], choices=["float64", "float32"])
    parser.add_argument("--repeats", type=int, default=5, help="calls per case (default 5)")
    parser.add_argument("--threads", type=int, default=None, help="numba threads (default: numba's)")
    args = parser.parse_args(argv)

    import numba

    import gradmethods as gm
    from gradmethods.training import compiled

    if args.threads is not None:
        numba.set_num_threads(args.threads)
    threads = numba.get_num_threads()
    cases = [(f"gm.train({args.task!r}, seeds=range({args.runs}), iterations={args.iterations}, init='random', "
              f"dtype={dtype!r})", dtype,
              lambda dtype=dtype: gm.train(args.task, seeds=range(args.runs), iterations=args.iterations,
                                           init="random", dtype=dtype))
             for dtype in args.dtype]  # fmt: skip
    if args.single_iterations:
        cases.append((f"gm.train({args.task!r}, seed=0, iterations={args.single_iterations}, engine='numba')",
                      "float64", lambda: gm.train(args.task, seed=0, iterations=args.single_iterations,
                                                  engine="numba")))  # fmt: skip
    for dtype in args.dtype:  # compile (or load the cached machine code) before timing
        gm.train(args.task, seeds=range(8), iterations=3, init="random", dtype=dtype, engine="numba")
        gm.train(args.task, seed=0, iterations=3, dtype=dtype, engine="numba")
    print(f"numba threads: {threads}; load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}; "
          f"repeats: {args.repeats}; numpy {np.__version__}, numba {numba.__version__}")  # fmt: skip
    print(f"{'case':<92} {'kernel s':>9} {'gm.train s':>10} {'ratio':>6} {'[min, max]':>14}")
    for label, _, call in cases:
        found = measure(call, args.repeats, compiled)
        print(f"{label:<92} {found['kernel']:>9.4f} {found['train']:>10.4f} {found['ratio']:>6.3f} "
              f"[{found['ratio_min']:.3f}, {found['ratio_max']:.3f}]")  # fmt: skip
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
