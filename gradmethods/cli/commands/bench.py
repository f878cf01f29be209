"""Benchmark every gradient method side by side: value+grad cost, batched training throughput, memory.

Prints one table (every figure also as a ratio), measured in this process with BLAS
threads pinned: each provider's measured value+grad time as a ratio to one forward pass
next to the forward-pass equivalents it declares per call.  Saves, under --out (default
``results/bench/``), ``bench.csv``
(value+grad: provider, case, n_params, dtype, seconds_median, ratio_to_forward,
fpe_per_call), ``throughput.csv``, ``other.csv`` and ``bench.json``.
"""

from __future__ import annotations

import argparse
import os
import time


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--quick", action="store_true", help="a short version (under a minute)")
    parser.add_argument("--out", metavar="DIR", help="directory for the CSV and JSON results (default: results/bench)")
    parser.add_argument("--threads", type=int, help="threads for BLAS, numba and torch (default: all cores)")
    parser.add_argument(
        "--runs", type=int, nargs="+", default=[1, 100, 10_000], help="stack sizes R of the throughput table"
    )
    parser.add_argument("--engine", action="append", choices=("numpy", "numba"), help="training path (repeatable)")
    parser.add_argument(
        "--case", action="append", choices=("2-2-2", "or_and", "64-32-10", "784-128-10"), help="value+grad network"
    )
    parser.add_argument("--no-extras", action="store_true", help="skip the suite, layout, genetic and torch rows")


def run(args: argparse.Namespace) -> int:
    from ...analysis.bench import DEFAULT_OUT, run_bench

    if args.threads is not None and args.threads < 1:
        raise ValueError(f"--threads must be an int >= 1. Got {args.threads} instead.")
    if any(r < 1 for r in args.runs):
        raise ValueError(f"--runs must be ints >= 1. Got {args.runs} instead.")
    start = time.perf_counter()
    result = run_bench(
        quick=args.quick, threads=args.threads, runs=args.runs, engines=args.engine, cases=args.case,
        extras=not args.no_extras,
    )  # fmt: skip
    print(result.to_text())
    out = args.out or DEFAULT_OUT
    paths = result.save(out)
    print(f"\nsaved {', '.join(paths)} (in {os.path.abspath(out)}); {time.perf_counter() - start:.1f} s.")
    return 0
