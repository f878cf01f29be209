"""Network evaluations per second of batched genetic runs, numpy engine against the compiled one.

What ``gradmethods bench`` measures in its genetic target row, for each engine: the wall time of
``gm.train("or_and", "genetic", seeds=range(100), iterations=200, engine=...)`` (seeding,
breeding, evaluation, the history, the batch of results) and the evaluations made (the sum of
the runs' final ``nfev``), after a warm-up call.  The engines are timed interleaved in this one
process (each repeat times every engine once, in turn) and the median over repeats is printed,
with the main thread's CPU time beside the wall time (less sensitive to other work on a shared
machine), the BLAS thread count (pinned with threadpoolctl) and the load average.  Each repeat
also checks that both engines gave the same numbers (histories but ``seconds``, final parameters).

    OPENBLAS_NUM_THREADS=2 python benchmarks/genetic_speed.py --threads 2
    python benchmarks/genetic_speed.py --dtype float32 --repeats 7
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import numpy as np

import gradmethods as gm
from gradmethods.training.trainers import genetic_compiled


def _time_once(engine: str, dtype: str, seeds: int, generations: int):
    start, cpu = time.perf_counter(), time.thread_time()
    batch = gm.train("or_and", "genetic", seeds=range(seeds), iterations=generations, dtype=dtype, engine=engine)
    seconds, cpu = time.perf_counter() - start, time.thread_time() - cpu
    evaluations = float(np.sum([run.history["nfev"].iloc[-1] for run in batch]))
    return evaluations / seconds, evaluations / cpu, batch


def _numbers(batch) -> list:
    return [(run.params.tobytes(), run.history.drop(columns="seconds").to_numpy().tobytes()) for run in batch]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--threads", type=int, default=1, help="BLAS threads (threadpoolctl)")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--dtype", default="float64", choices=["float64", "float32"])
    parser.add_argument("--seeds", type=int, default=100)
    parser.add_argument("--generations", type=int, default=200)
    args = parser.parse_args()
    from threadpoolctl import threadpool_limits

    engines = ["numpy"] + (["numba"] if genetic_compiled.available() else [])
    rates: dict[str, list[tuple[float, float]]] = {engine: [] for engine in engines}
    with threadpool_limits(args.threads):
        for engine in engines:  # warm-up (and the compile, or the load of the cached kernel)
            start = time.perf_counter()
            gm.train("or_and", "genetic", seeds=range(args.seeds), iterations=2, dtype=args.dtype, engine=engine)
            print(f"warm-up {engine}: {time.perf_counter() - start:.2f} s")
        for _ in range(args.repeats):
            numbers = {}
            for engine in engines:
                wall, cpu, batch = _time_once(engine, args.dtype, args.seeds, args.generations)
                rates[engine].append((wall, cpu))
                numbers[engine] = _numbers(batch)
            if len(numbers) == 2 and numbers["numpy"] != numbers["numba"]:
                raise AssertionError("the engines gave different numbers")
    print(f'gm.train("or_and", "genetic", seeds=range({args.seeds}), iterations={args.generations}), {args.dtype}; '
          f"BLAS threads {args.threads}; load average {os.getloadavg()[0]:.2f} (1 min); "
          f"median of {args.repeats} interleaved repeats")  # fmt: skip
    for engine in engines:
        wall = statistics.median(rate for rate, _ in rates[engine])
        cpu = statistics.median(rate for _, rate in rates[engine])
        print(f"  {engine:6s} {wall:10.4g} evaluations/s (wall)  {cpu:10.4g} /s (CPU of the main thread)  "
              f"{wall / 1e6:.2f}x the 1e6/s goal")  # fmt: skip
    if len(engines) == 2:
        ratio = statistics.median(rates["numba"][i][0] / rates["numpy"][i][0] for i in range(args.repeats))
        print(f"  numba / numpy (median of the repeats' ratios, wall): {ratio:.2f}x")


if __name__ == "__main__":
    main()
