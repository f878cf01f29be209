"""Wall-clock time to the target, forward gradient against backprop, on the digits network.

Baydin et al. (2022, "Gradients without Backpropagation") report training with the forward
gradient up to about twice as fast as backprop in wall-clock time in some of their cases.
This script measures the same ratio here: minibatch SGD on ``digits`` (64-32-10 sigmoid
network, cross entropy, 2,410 parameters, 16 images per step), from the same random initial
weights and minibatch order per seed as ``gm.train`` (weights ``default_rng(seed)``,
minibatches ``default_rng(SeedSequence(seed).spawn(2)[0])``, the estimator's tangents
``default_rng(SeedSequence(seed).spawn(2)[1])``), until the training error on the whole
training set is <= each target (default 0.5, 0.3, 0.2 and 0.10, the task's).

Both methods run in this one process, interleaved seed by seed (the order of the methods
alternates from seed to seed), with BLAS pinned by threadpoolctl to each thread count
given.  Timed: each step's minibatch gather, ``value_and_grad`` call and update; not timed:
the error on the whole training set, checked after step 10, 20, ... and then about every
1 % of the steps taken (so steps to target are known to within 1 %, the same for every
method).  Prints one row per run, then per method the medians over seeds of the steps, the
forward-pass equivalents and the seconds to each target, the seconds per step, and the
ratios of median seconds, steps and seconds per step against the first method.

    OPENBLAS_NUM_THREADS=1 python benchmarks/forward_gradient_time.py --seeds 0 1 2 --threads 1 2
    OPENBLAS_NUM_THREADS=1 python benchmarks/forward_gradient_time.py --step-timing 2000 --threads 1 2
    python benchmarks/forward_gradient_time.py --method forward_gradient:k=8:lr=0.05 --max-steps 200000
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np
import pandas as pd

import gradmethods as gm
from gradmethods.core.network import error_from_outputs
from gradmethods.training.api import initial_params
from gradmethods.training.optim import Minibatches


def parse_method(text: str) -> tuple[str, dict, float]:
    """``name[:key=value...]`` with ``lr=`` among the keys, e.g. ``forward_gradient:k=8:lr=0.05``."""
    name, *pairs = text.split(":")
    settings = {}
    for pair in pairs:
        key, value = pair.split("=")
        settings[key] = float(value) if key == "lr" or "." in value else int(value)
    lr = settings.pop("lr", 2.0)
    return name, settings, lr


def time_to_targets(task, name: str, settings: dict, lr: float, seed: int, *, targets: list[float], batch_size: int,
                    max_steps: int) -> list[dict]:
    """Train one run with plain minibatch SGD; the timed seconds, steps and work until the error is <= each target.

    One row per target; a target not reached within ``max_steps`` has ``reached`` False and the
    run's totals (a lower bound of what it would need).
    """
    net = task.network()
    X, Y = task.data("float64")
    provider = gm.get_provider(name, **settings)
    stochastic = gm.get_method(name).stochastic
    batch_stream, provider_stream = np.random.SeedSequence(seed).spawn(2)
    batches = Minibatches(X.shape[0], batch_size, np.random.default_rng(batch_stream))
    rng = np.random.default_rng(provider_stream) if stochastic else None
    params = initial_params(task, "random", seed=seed)
    fpe_per_step = provider.value_and_grad_work(net, 1, batch_size).fpe
    label = name + "".join(f" {k}={v}" for k, v in settings.items()) + f" lr={lr:g}"
    pending = sorted(targets, reverse=True)
    rows = []
    seconds, step, next_check, error = 0.0, 0, 10, np.inf
    while step < max_steps and pending:
        began = time.perf_counter()
        batch = batches.next()
        _, grad = provider.value_and_grad(net, params, X[batch], Y[batch], rng=rng)
        params = params - lr * grad
        seconds += time.perf_counter() - began
        step += 1
        if step >= next_check:
            error = float(error_from_outputs(net.trace(params, X)[-1][1], Y))
            if not np.isfinite(error):
                break
            while pending and error <= pending[0]:
                rows.append({"method": label, "seed": seed, "target": pending.pop(0), "reached": True, "steps": step,
                             "fpe": step * fpe_per_step, "seconds": seconds, "error": error})
            next_check = max(step + 10, int(step * 1.01))
    rows += [{"method": label, "seed": seed, "target": target, "reached": False, "steps": step,
              "fpe": step * fpe_per_step, "seconds": seconds, "error": error} for target in pending]
    for row in rows:
        row["us_per_step"] = 1e6 * seconds / max(step, 1)
    return rows


def interleaved_step_seconds(task, methods: list[tuple[str, dict, float]], *, batch_size: int, steps: int,
                             block: int = 10, seed: int = 0) -> pd.DataFrame:
    """Seconds per step of each method, measured in alternating blocks of ``block`` steps in one loop.

    Every method trains its own run from the same weights; the blocks alternate method by
    method, so a change of the machine's load falls on all of them alike.  Returns the
    median over blocks of the seconds per step, and its ratio to the first method's.
    """
    net = task.network()
    X, Y = task.data("float64")
    runs = []
    for name, settings, lr in methods:
        batch_stream, provider_stream = np.random.SeedSequence(seed).spawn(2)
        runs.append({
            "provider": gm.get_provider(name, **settings), "lr": lr,
            "params": initial_params(task, "random", seed=seed),
            "batches": Minibatches(X.shape[0], batch_size, np.random.default_rng(batch_stream)),
            "rng": np.random.default_rng(provider_stream) if gm.get_method(name).stochastic else None,
            "label": name + "".join(f" {k}={v}" for k, v in settings.items()), "blocks": [],
        })  # fmt: skip
    for _ in range(max(1, steps // block)):
        for run in runs:
            began = time.perf_counter()
            for _ in range(block):
                batch = run["batches"].next()
                _, grad = run["provider"].value_and_grad(net, run["params"], X[batch], Y[batch], rng=run["rng"])
                run["params"] = run["params"] - run["lr"] * grad
            run["blocks"].append((time.perf_counter() - began) / block)
    frame = pd.DataFrame({"method": [run["label"] for run in runs],
                          "us_per_step": [1e6 * float(np.median(run["blocks"])) for run in runs]})
    frame["ratio"] = frame["us_per_step"] / frame["us_per_step"].iloc[0]
    return frame


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--method", action="append", dest="methods",
                        help="name[:key=value...][:lr=LR], repeatable; the first is the reference "
                             "(default: backprop:lr=2.0 and forward_gradient:k=1:lr=0.05)")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--threads", type=int, nargs="+", default=[1])
    parser.add_argument("--targets", type=float, nargs="+", default=[0.5, 0.3, 0.2, 0.1],
                        help="training errors to time (default 0.5 0.3 0.2 0.1; the task's target is 0.10)")
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--max-steps", type=int, default=400_000)
    parser.add_argument("--step-timing", type=int, default=0, metavar="STEPS",
                        help="instead: seconds per step of each method, STEPS steps each in alternating blocks of 10")
    args = parser.parse_args()
    from threadpoolctl import threadpool_info, threadpool_limits

    methods = [parse_method(m) for m in (args.methods or ["backprop:lr=2.0", "forward_gradient:k=1:lr=0.05"])]
    task = gm.get_task("digits")
    if args.step_timing:
        for threads in args.threads:
            with threadpool_limits(threads):
                blas = ", ".join(sorted({f"{i['internal_api']} x{i['num_threads']}" for i in threadpool_info()}))
                print(f"{blas}; load {' '.join(f'{v:.2f}' for v in os.getloadavg())}; seconds per step, median over "
                      f"blocks of 10 alternating steps, {args.step_timing} steps each:")
                table = interleaved_step_seconds(task, methods, batch_size=args.batch_size, steps=args.step_timing)
                print(table.to_string(index=False, float_format="{:.4g}".format), flush=True)
        return
    print(f"digits {task.layer_sizes}, batch {args.batch_size}, targets {args.targets} (training error), "
          f"OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS', 'unset')}; load at start: "
          f"{' '.join(f'{v:.2f}' for v in os.getloadavg())}", flush=True)
    rows = []
    for threads in args.threads:
        with threadpool_limits(threads):
            blas = ", ".join(sorted({f"{i['internal_api']} x{i['num_threads']}" for i in threadpool_info()}))
            for position, seed in enumerate(args.seeds):
                order = methods if position % 2 == 0 else methods[::-1]
                for name, settings, lr in order:
                    found = time_to_targets(task, name, settings, lr, seed, targets=args.targets,
                                            batch_size=args.batch_size, max_steps=args.max_steps)
                    for row in found:
                        row["threads"] = blas
                    rows += found
                    last = found[-1]
                    print(f"  {blas} seed {seed} {last['method']}: {last['steps']} steps, {last['seconds']:.2f} s, "
                          f"{last['us_per_step']:.0f} us/step, error {last['error']:.3f}; reached "
                          + ", ".join(f"{r['target']:g} at step {r['steps']} ({r['seconds']:.2f} s)"
                                      for r in found if r["reached"]), flush=True)
    frame = pd.DataFrame(rows)
    summary = frame.groupby(["threads", "target", "method"], sort=False).agg(
        runs=("seed", "size"), reached=("reached", "sum"), steps=("steps", "median"), fpe=("fpe", "median"),
        seconds=("seconds", "median"), us_per_step=("us_per_step", "median"))
    first = summary.groupby(level=[0, 1])
    for column in ("seconds", "steps", "us_per_step"):
        summary[f"ratio_{column}"] = summary[column] / first[column].transform("first")
    print(f"\nmedians over seeds, ratios against {summary.index[0][2]} (a run that did not reach a target counts "
          "its whole budget: then the ratio is a lower bound):")
    print(summary.to_string(float_format="{:.4g}".format))
    print(f"load at end: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")


if __name__ == "__main__":
    main()
