"""Network-steps per second of the compiled training kernels, beside the post's C++ loop (same run).

Times the kernel call alone (no histories' assembly, no result objects): the lane kernel
on a stack of runs over ``--threads`` numba threads, and the serial kernel on one run, for
each case and dtype, each the median of ``--repeats`` timed calls after one warm-up call
(which compiles, or loads the compiled code from numba's cache).  The C++ rate is
:func:`gradmethods.analysis.bench.post_cpp_rate` (``g++ -O2``, one thread), measured in
the same run.  Example::

    OPENBLAS_NUM_THREADS=1 python benchmarks/kernel_speed.py --threads 2
    python benchmarks/kernel_speed.py --case or_and --runs 10000 --iterations 1000 --serial-iterations 1000000
    python benchmarks/kernel_speed.py --end-to-end   # issue 16's gm.train calls, whole

``--kernels generic`` / ``specialised`` times one family of kernels whatever the defaults
choose (``auto``, the default, times what ``gm.train`` uses).  ``--end-to-end`` times the
whole ``gm.train`` calls of issue 16 instead (histories, result objects and all), each
figure's C++ rate measured right before it.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import numpy as np

import gradmethods as gm
from gradmethods.analysis.bench import post_cpp_rate
from gradmethods.training import compiled

CASES = {
    # the lane kernel's runs and iterations, and the serial run's iterations, as fractions of the options'
    "or_and": dict(task="or_and", runs_scale=1.0, iterations_scale=1.0, serial_scale=1.0),
    "example4": dict(task="example4", runs_scale=1.0, iterations_scale=1.0, serial_scale=1.0),
    "xor-2-3-3-1": dict(task="xor", layer_sizes=(2, 3, 3, 1), runs_scale=1.0, iterations_scale=1.0, serial_scale=0.2),
    # 2,410 parameters, 1,347 images, cross entropy: the generic kernels
    "digits": dict(task="digits", runs_scale=0.0032, iterations_scale=0.02, serial_scale=0.0001),
}


def kernel_arguments(net, params, X, Y, iterations, lr=0.5, momentum=0.0):
    """The arguments of the kernels (those :func:`compiled.gradient_descent_stack_fast` passes), one chunk."""
    dtype = params.dtype
    n_runs = params.shape[0]
    X = np.ascontiguousarray(X, dtype=dtype)
    Y = np.ascontiguousarray(Y, dtype=dtype)
    lrs = np.full(n_runs, -lr, dtype=dtype)
    sizes = np.array(net.layer_sizes, dtype=np.int64)
    offsets = np.array([s.start for w, b in net.layer_param_slices() for s in (w, b)], dtype=np.int64)
    acts = np.array([compiled._ACTIVATION_CODES[a] for a in net.activations], dtype=np.int64)
    consts = np.array([0.5, 1.0, 0.0, X.shape[0], momentum, -1.0], dtype=dtype)
    frozen = np.zeros(net.n_params, dtype=np.bool_)
    store = np.float32 if dtype == np.float32 else np.float64  # as the wrapper stores histories
    return [params.copy(), np.zeros_like(params), X, Y, lrs, consts, False, iterations, sizes, offsets, acts,
            compiled._COST_CODES[net.cost_name], frozen, np.empty_like(params),
            np.empty((iterations, n_runs), dtype=store), np.empty((iterations, n_runs), dtype=store),
            np.empty(n_runs, dtype=np.int64), np.empty(n_runs, dtype=np.int64)]  # fmt: skip


def kernels(net, n_samples, dtype, work, family="auto"):
    """The serial and lane kernels ``gm.train`` would use (``auto``), or those of one family."""
    if family == "auto":
        return compiled._kernels_for(net, n_samples, dtype, work)
    saved = compiled.SPECIALISE, compiled.SPECIALISE_FROM_STEPS, compiled.SPECIALISED_LANE_DTYPES
    try:
        compiled.SPECIALISE = family == "specialised"
        compiled.SPECIALISE_FROM_STEPS, compiled.SPECIALISED_LANE_DTYPES = 0, ("float64", "float32")
        return compiled._kernels_for(net, n_samples, dtype, work)
    finally:
        compiled.SPECIALISE, compiled.SPECIALISE_FROM_STEPS, compiled.SPECIALISED_LANE_DTYPES = saved


def time_kernel(kind, net, params, X, Y, iterations, repeats, family="auto"):
    """Median seconds of one kernel call (fresh copies of the parameters each call), and the first call's."""
    if hasattr(compiled, "_kernels_for"):
        serial, lane = kernels(net, X.shape[0], params.dtype, params.shape[0] * iterations, family)
    else:  # a version before shape-specialised kernels
        serial, lane = compiled._train_kernel_serial, compiled._train_kernel
    times = []
    first = None
    for repeat in range(repeats + 1):
        arguments = kernel_arguments(net, params, X, Y, iterations)
        start = time.perf_counter()
        if kind == "serial":
            serial(*arguments)
        else:
            lane(*arguments, compiled._lanes(net, X.shape[0], params.dtype.itemsize, params.shape[0]))
        elapsed = time.perf_counter() - start
        if repeat == 0:
            first = elapsed
        else:
            times.append(elapsed)
    return statistics.median(times), first


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--case", action="append", choices=sorted(CASES), help="case to time (repeatable; default all)")
    parser.add_argument("--dtype", action="append", choices=["float64", "float32"], help="(repeatable; default both)")
    parser.add_argument("--runs", type=int, default=10_000, help="runs of the lane kernel (scaled down for digits)")
    parser.add_argument("--iterations", type=int, default=1000, help="iterations of the lane kernel's runs")
    parser.add_argument("--serial-iterations", type=int, default=1_000_000, help="iterations of the serial run")
    parser.add_argument("--threads", type=int, default=2, help="numba threads for the lane kernel")
    parser.add_argument("--repeats", type=int, default=3, help="timed calls per figure (median)")
    parser.add_argument("--no-serial", action="store_true", help="skip the serial kernel")
    parser.add_argument(
        "--kernels",
        choices=["auto", "generic", "specialised"],
        default="auto",
        help="which kernels to time (auto: those gm.train uses)",
    )
    parser.add_argument("--end-to-end", action="store_true", help="time issue 16's whole gm.train calls instead")
    args = parser.parse_args(argv)
    import numba

    numba.set_num_threads(args.threads)
    if args.end_to_end:
        return end_to_end(args.repeats)
    cpp, how = post_cpp_rate()
    print(f"C++ (post's OR/AND loop, 1 thread): {cpp:.3g} steps/s  [{how}]")
    print(f"numba threads for the lane kernel: {numba.get_num_threads()}; load {os.getloadavg()[0]:.2f}")
    print(f"{'case':14s} {'dtype':8s} {'kernel':7s} {'runs':>6s} {'iters':>8s} {'steps/s':>10s} {'x C++':>7s} "
          f"{'1st call s':>10s}")  # fmt: skip
    for name in args.case or list(CASES):
        case = dict(CASES[name])
        task = gm.get_task(case.pop("task"), **{k: v for k, v in case.items() if k == "layer_sizes"})
        net = task.network()
        for dtype in args.dtype or ["float64", "float32"]:
            X, Y = task.data(dtype)
            kinds = [("lane", max(4, int(args.runs * case["runs_scale"])),
                      max(1, int(args.iterations * case["iterations_scale"])))]  # fmt: skip
            if not args.no_serial:
                kinds.append(("serial", 1, max(1, int(args.serial_iterations * case["serial_scale"]))))
            for kind, runs, iterations in kinds:
                params = net.init_params(np.random.default_rng(0), size=runs, dtype=dtype)
                seconds, first = time_kernel(kind, net, params, X, Y, iterations, args.repeats, args.kernels)
                rate = runs * iterations / seconds
                print(f"{name:14s} {dtype:8s} {kind:7s} {runs:6d} {iterations:8d} {rate:10.3g} {rate / cpp:7.2f} "
                      f"{first:10.2f}", flush=True)  # fmt: skip


#: Issue 16's end-to-end calls: (label, gm.train keyword arguments, network-steps).
END_TO_END = [
    ("gm.train or_and, 10,000 seeds x 1000, float64", dict(seeds=range(10_000), iterations=1000, init="random"), 1e7),
    (
        "gm.train or_and, 10,000 seeds x 1000, float32",
        dict(seeds=range(10_000), iterations=1000, init="random", dtype="float32"),
        1e7,
    ),
    ("gm.train or_and, 1 run x 1e6, engine=numba", dict(seed=0, iterations=1_000_000, engine="numba"), 1e6),
]


def end_to_end(repeats):
    """Each call's network-steps/s over the C++ rate measured right before it (medians of ``repeats``)."""
    import numba

    print(f"numba threads: {numba.get_num_threads()}")
    for label, kwargs, steps in END_TO_END:
        gm.train("or_and", **kwargs)  # compiles, or loads from the cache
        times, cpps = [], []
        for _ in range(repeats):
            cpps.append(post_cpp_rate()[0])
            start = time.perf_counter()
            gm.train("or_and", **kwargs)
            times.append(time.perf_counter() - start)
        rate, cpp = steps / statistics.median(times), statistics.median(cpps)
        print(f"{label:48s} {rate:10.3g} steps/s  C++ {cpp:9.3g}  {rate / cpp:5.2f}x  load {os.getloadavg()[0]:.2f}",
              flush=True)  # fmt: skip


if __name__ == "__main__":
    main()
