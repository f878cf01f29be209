"""Benchmarks: every gradient method side by side, measured in one process.

:func:`run_bench` measures

* **value+grad**: the time of one ``provider.value_and_grad`` call for every
  registered provider on four networks -- 2-2-2 (N=1), OR/AND 2-2 (N=4), 64-32-10
  (N=256) and 784-128-10 (N=256) -- in float64 and float32, its ratio to one
  forward pass (cost evaluation) of the same network, and beside it the call's
  declared work in forward-pass equivalents (``fpe_per_call``, from the provider's
  :meth:`~gradmethods.gradients.base.ProviderBase.value_and_grad_work`), so that the
  declaration and the measurement can be compared: ``ratio_per_fpe`` near 1 where
  arithmetic dominates, above 1 where per-call overhead does (tiny networks);
* **throughput**: batched training in network-steps per second (runs x iterations
  / seconds) on OR/AND and 2-2-2 for R = 1, 100, 10,000 runs, numpy and, where numba
  is installed, the compiled path;
* **suite**: ``gm.train("or_and", init="random", seeds=range(20))`` batched versus
  the same 20 runs one at a time;
* **genetic**: network evaluations per second of the ``genetic`` trainer, if it is
  registered;
* **torch**: the same value+grad with torch's eager autograd, if torch is installed;
* **layout**: backprop on a stack of R = 10,000 OR/AND networks with the run axis
  first (the library's layout) versus last (a hand-written numpy variant), to show
  what the memory layout is worth.

Every time is a median over repeats; BLAS (and numba/torch) threads are pinned
with threadpoolctl to ``threads`` and stated in the result.  Peak memory of the
784-128-10 cases is measured with :mod:`tracemalloc` (numpy reports its buffers
to it).
"""

from __future__ import annotations

import math
import os
import platform
import statistics
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..core.network import Network
from ..core.registry import get_method, get_provider, methods, providers
from ..core.tasks import get_task
from ..training.trainers.gradient_descent import gradient_descent_stack

__all__ = ["BenchResult", "run_bench", "VALUE_GRAD_COLUMNS", "DEFAULT_OUT"]

#: Where ``gradmethods bench`` and :meth:`BenchResult.save` write by default (beside the suites' results).
DEFAULT_OUT = os.path.join("results", "bench")

#: Columns of the value+grad table (``bench.csv``): the measured time ratio to one forward
#: pass next to the declared forward-pass equivalents of one call.
VALUE_GRAD_COLUMNS = ["provider", "case", "n_params", "dtype", "seconds_median", "ratio_to_forward", "fpe_per_call"]

#: The post's C++ program at -O2 trains about 9e6 OR/AND network-steps per second on this machine kind.
POST_CPP_STEPS_PER_SECOND = 9e6
TARGET_STEPS_PER_SECOND = {"float64": 2.2e7, "float32": 3.5e7}


@dataclass
class BenchResult:
    """Tables of one benchmark run (pandas DataFrames) and the machine it ran on."""

    machine: dict[str, Any]
    value_grad: pd.DataFrame
    throughput: pd.DataFrame
    extra: pd.DataFrame
    notes: list[str] = field(default_factory=list)
    targets: pd.DataFrame = field(default_factory=pd.DataFrame)

    def to_text(self) -> str:
        """The whole benchmark as one printable table, section by section."""
        lines = ["gradmethods bench -- " + ", ".join(f"{k}: {v}" for k, v in self.machine.items()), ""]
        with pd.option_context("display.width", 250, "display.max_rows", None, "display.max_columns", None):
            if len(self.targets):
                lines += ["targets, each a ratio measured in this run (goal: the ratio aimed at)"]
                lines += [_format(self.targets).to_string(index=False), ""]
            lines += [
                "value+grad (median seconds per call; measured ratio to one forward pass next to the "
                "declared forward-pass equivalents per call, fpe_per_call; "
                "ratio_per_fpe = ratio_to_forward / fpe_per_call)"
            ]
            lines += [_format(self.value_grad).to_string(index=False), ""]
            lines += ["batched training throughput (network-steps/s = runs x iterations / s)"]
            lines += [_format(self.throughput).to_string(index=False), ""]
            if len(self.extra):
                lines += ["other measurements"]
                lines += [_format(self.extra).to_string(index=False), ""]
        lines += [f"note: {note}" for note in self.notes]
        return "\n".join(lines)

    def save(self, directory: str = DEFAULT_OUT) -> list[str]:
        """Write ``bench.csv`` (value+grad), ``throughput.csv``, ``other.csv``, ``targets.csv`` and ``bench.json``.

        ``directory`` defaults to :data:`DEFAULT_OUT` (``results/bench``), created if needed.
        """
        os.makedirs(directory, exist_ok=True)
        names = ("bench.csv", "throughput.csv", "other.csv", "bench.json", "targets.csv")
        paths = [os.path.join(directory, name) for name in names]
        self.value_grad[VALUE_GRAD_COLUMNS].to_csv(paths[0], index=False)
        self.throughput.to_csv(paths[1], index=False)
        self.extra.to_csv(paths[2], index=False)
        self.targets.to_csv(paths[4], index=False)
        payload = {
            "targets": self.targets.to_dict(orient="records"),
            "machine": self.machine,
            "notes": self.notes,
            "value_grad": self.value_grad.to_dict(orient="records"),
            "throughput": self.throughput.to_dict(orient="records"),
            "other": self.extra.to_dict(orient="records"),
        }
        pd.Series(payload).to_json(paths[3], indent=1, default_handler=str)
        return paths


def _format(table: pd.DataFrame) -> pd.DataFrame:
    shown = table.copy()
    for column in shown.columns:
        if shown[column].dtype.kind == "f":
            shown[column] = [("" if np.isnan(v) else f"{v:.3g}") for v in shown[column]]
    return shown


def _median_time(fn: Callable[[], Any], repeats: int, min_seconds: float = 0.0, budget: float | None = None) -> float:
    """Median wall time of ``fn`` over ``repeats`` timings, each looping until ``min_seconds``.

    The first call warms up (and compiles, for compiled paths) and is timed: where
    ``repeats`` such calls would pass ``budget`` seconds, fewer repeats are made, and
    where one call already does, that first call's time is returned.
    """
    start = time.perf_counter()
    fn()
    first = time.perf_counter() - start
    if budget is not None:
        if first >= budget:
            return first
        repeats = max(1, min(repeats, int(budget // first)))
    return statistics.median([_loop_time(fn, min_seconds) for _ in range(repeats)])


def _loop_time(fn: Callable[[], Any], min_seconds: float) -> float:
    """Mean seconds per call of a loop of calls of ``fn`` lasting at least ``min_seconds`` (one call at least)."""
    calls, start = 0, time.perf_counter()
    while True:
        fn()
        calls += 1
        elapsed = time.perf_counter() - start
        if elapsed >= min_seconds:
            return elapsed / calls


def _peak_bytes(fn: Callable[[], Any]) -> int:
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


# ------------------------------------------------------------------------ value + grad
def _cases() -> list[tuple[str, Network, int]]:
    return [
        ("2-2-2 N=1", Network([2, 2, 2]), 1),
        ("or_and N=4", Network([2, 2]), 4),
        ("64-32-10 N=256", Network([64, 32, 10]), 256),
        ("784-128-10 N=256", Network([784, 128, 10]), 256),
    ]


def _case_data(net: Network, n: int, dtype: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    params = net.init_params(rng, dtype=dtype)
    X = rng.uniform(0, 1, size=(n, net.n_inputs)).astype(dtype)
    Y = rng.uniform(0, 1, size=(n, net.n_outputs)).astype(dtype)
    return params, X, Y


def _value_grad_table(
    repeats: int,
    min_seconds: float,
    cap_seconds: float,
    notes: list[str],
    cases: list[str] | None = None,
    budget: float | None = None,
) -> pd.DataFrame:
    rows = []
    names = providers()
    for dtype in ("float64", "float32"):
        mid_ratio_per_fpe: dict[str, float] = {}  # measured time per declared forward-pass equivalent on 64-32-10
        mid_nfev: dict[str, float] = {}  # cost evaluations per call on 64-32-10
        for case, net, n in _cases():
            if cases is not None and case.split()[0] not in cases:
                continue
            params, X, Y = _case_data(net, n, dtype)
            big = net.n_params > 50_000
            forward = _median_time(
                lambda net=net, params=params, X=X, Y=Y: net.cost(params, X, Y), repeats, min_seconds
            )
            for name in names:
                provider = get_provider(name)
                fpe = _declared_fpe(provider, net, n)
                row = {"provider": name, "case": case, "n_params": net.n_params, "dtype": dtype, "fpe_per_call": fpe,
                       "forward_seconds": forward, "nfev_per_call": np.nan, "ratio_to_stacked_forward": np.nan,
                       "peak_mb": np.nan, "estimated": False}  # fmt: skip
                scaled = mid_ratio_per_fpe.get(name, np.nan) * fpe  # the 64-32-10 time per fpe, times this call's fpe
                grows = mid_nfev.get(name, 2) > 1  # unknown: assume it does
                if big and grows and not scaled * forward <= cap_seconds:
                    row["ratio_to_forward"] = scaled
                    row["seconds_median"] = scaled * forward
                    row["estimated"] = True
                else:
                    calls = [0]

                    # A stochastic provider draws its directions from a seeded stream: part of its time.
                    draws = {"rng": np.random.default_rng(0)} if get_method(name).stochastic else {}

                    def call(provider=provider, net=net, params=params, X=X, Y=Y, calls=calls, draws=draws):
                        calls[0] += 1
                        return provider.value_and_grad(net, params, X, Y, **draws)

                    before = _nfev(provider)
                    row["seconds_median"] = _median_time(call, repeats, min_seconds, budget)
                    row["ratio_to_forward"] = row["seconds_median"] / forward
                    nfev = (_nfev(provider) - before) // calls[0]
                    row.update(_stacked_forward(net, params, X, Y, nfev, row["seconds_median"], repeats, budget))
                    if big:
                        row["peak_mb"] = _peak_bytes(call) / 2**20
                if case.startswith("64-32-10"):
                    mid_ratio_per_fpe[name] = row["ratio_to_forward"] / fpe
                    mid_nfev[name] = row["nfev_per_call"]
                rows.append(row)
    table = pd.DataFrame(rows)
    table["ratio_per_fpe"] = table["ratio_to_forward"] / table["fpe_per_call"]
    if table["estimated"].any():
        notes.append(
            "value+grad rows marked estimated=True were not run on 784-128-10: the method's cost evaluations grow "
            "with P and the predicted time passes the cap (1 s quick, 20 s full). Their ratio to a forward pass is "
            "the declared fpe_per_call times the time per forward-pass equivalent measured on 64-32-10 "
            "(ratio_per_fpe there); seconds = ratio x forward (empty when 64-32-10 was not measured)."
        )
    notes.append(
        "fpe_per_call: the forward-pass equivalents the provider declares for one call (its arithmetic in multiples "
        "of one real forward pass); ratio_per_fpe = ratio_to_forward / fpe_per_call is the measured time per declared "
        "unit, near 1 where arithmetic dominates (64-32-10, 784-128-10) and above it where fixed per-call overhead "
        "does (2-2-2, OR/AND)."
    )
    notes.append(
        "ratio_to_stacked_forward: value+grad time / one forward pass of a stack of nfev_per_call copies of the "
        "network (the work a numerical method must do at least; 1 pass for backprop); empty where that stack "
        "would not fit in memory or the row was estimated."
    )
    notes.append(
        "value+grad: a call slower than the measurement budget (0.5 s quick, 30 s full per repeat set) is timed "
        "with fewer repeats, down to the single warm-up call."
    )
    extra = ["ratio_per_fpe", "forward_seconds", "nfev_per_call", "ratio_to_stacked_forward", "peak_mb", "estimated"]
    return table[VALUE_GRAD_COLUMNS + extra]


def _declared_fpe(provider: Any, net: Network, patterns: int) -> float:
    """Forward-pass equivalents ``provider`` declares for one ``value_and_grad`` call on one vector (NaN: none)."""
    declare = getattr(provider, "value_and_grad_work", None)
    return float(declare(net, 1, patterns).fpe) if callable(declare) else math.nan


def _nfev(provider: Any) -> int:
    return int(provider.counts()["nfev"]) if hasattr(provider, "counts") else int(provider.nfev)


def _stacked_forward(net, params, X, Y, nfev: int, seconds: float, repeats: int, budget: float) -> dict[str, float]:
    """The call's time relative to one forward pass of a stack of ``nfev`` networks (cost evaluations per call)."""
    result = {"nfev_per_call": float(nfev), "ratio_to_stacked_forward": np.nan}
    if nfev * max(net.n_params, X.shape[0] * max(net.layer_sizes)) <= 5e7:
        stack = np.array(np.broadcast_to(params, (nfev, net.n_params)))
        stacked = _median_time(lambda: net.cost(stack, X, Y), repeats, budget=budget)
        result["ratio_to_stacked_forward"] = seconds / stacked
    return result


# ------------------------------------------------------------------------ throughput
def _throughput_table(
    run_counts: list[int], budget: float, repeats: int, notes: list[str], engines: list[str] | None = None,
    cpp: float = POST_CPP_STEPS_PER_SECOND,
) -> pd.DataFrame:
    from ..training import compiled

    if engines is None:
        engines = ["numpy"] + (["numba"] if compiled.available() else [])
    if "numba" in engines and not compiled.available():
        raise ValueError("engine 'numba' needs numba (pip install 'gradmethods[fast]').")
    if not compiled.available():
        notes.append("numba is not installed: the compiled path (extra 'fast') was not measured.")
    rows = []
    for task_name in ("or_and", "example4"):
        task = get_task(task_name)
        net = task.network()
        for dtype in ("float64", "float32"):
            X, Y = task.data(dtype)
            for engine in engines:
                for n_runs in run_counts:
                    params = task.random_params(np.random.default_rng(0), size=n_runs, dtype=dtype)
                    train = gradient_descent_stack if engine == "numpy" else compiled.gradient_descent_stack_fast
                    provider = get_provider("backprop")

                    def fit(iterations, train=train, provider=provider, net=net, params=params, X=X, Y=Y):
                        return train(net, provider, params, X, Y, lr=0.5, iterations=iterations)

                    iterations = _calibrate(fit, budget)
                    seconds = _median_time(lambda fit=fit, iterations=iterations: fit(iterations), repeats)
                    rate = n_runs * iterations / seconds
                    rows.append({
                        "task": task_name, "network": "-".join(map(str, net.layer_sizes)), "engine": engine,
                        "dtype": dtype, "runs": n_runs, "iterations": iterations, "seconds_median": seconds,
                        "steps_per_second": rate, "ratio_to_post_cpp": rate / cpp,
                        "ratio_to_target": rate / TARGET_STEPS_PER_SECOND[dtype] if task_name == "or_and" else np.nan,
                    })  # fmt: skip
    table = pd.DataFrame(rows)
    numpy_rate = table[table.engine == "numpy"].set_index(["task", "dtype", "runs"])["steps_per_second"]
    table["ratio_to_numpy"] = [
        row.steps_per_second / numpy_rate[(row.task, row.dtype, row.runs)] for row in table.itertuples()
    ]
    notes.append(
        f"throughput (the training kernel alone, no results built): post C++ reference {cpp:.3g} OR/AND steps/s; "
        "targets "
        f"{TARGET_STEPS_PER_SECOND['float64']:.1e} (float64) and {TARGET_STEPS_PER_SECOND['float32']:.1e} (float32) "
        "at R = 10,000; each run records its whole history (cost, error, counters)."
    )
    return table


def _calibrate(fit: Callable[[int], Any], budget: float) -> int:
    """Iterations for which one ``fit`` takes about ``budget`` seconds (growing by 4x from 2)."""
    fit(2)  # warm up / compile
    iterations = 2
    while True:
        start = time.perf_counter()
        fit(iterations)
        elapsed = time.perf_counter() - start
        if elapsed >= budget / 4 or iterations >= 1_000_000:
            return int(min(1_000_000, max(2, iterations * budget / max(elapsed, 1e-9))))
        iterations *= 4


# ------------------------------------------------------------------------ other measurements
def _suite_rows(iterations: int, repeats: int) -> list[dict]:
    from ..training.api import train

    def batched():
        return train("or_and", init="random", seeds=range(20), iterations=iterations)

    def one_at_a_time():
        return [train("or_and", init="random", seed=s, iterations=iterations) for s in range(20)]

    fast, slow = _median_time(batched, repeats), _median_time(one_at_a_time, repeats)
    return [
        {"measurement": "or_and, 20 seeds, batched (gm.train seeds=range(20))", "value": fast, "unit": "s",
         "ratio": slow / fast, "ratio_is": f"speed-up over one at a time ({iterations} iterations)"},
        {"measurement": "or_and, 20 seeds, one at a time", "value": slow, "unit": "s", "ratio": 1.0,
         "ratio_is": "reference"},
    ]  # fmt: skip


def _genetic_rows(iterations: int, notes: list[str]) -> list[dict]:
    if "genetic" not in methods():
        notes.append("genetic: no 'genetic' trainer is registered; its evaluations per second were not measured.")
        return []
    from ..training.api import train

    start = time.perf_counter()
    result = train("or_and", "genetic", seed=0, iterations=iterations)
    seconds = time.perf_counter() - start
    evaluations = float(result.history["nfev"].iloc[-1])
    return [{"measurement": "genetic on or_and: network evaluations per second", "value": evaluations / seconds,
             "unit": "evals/s", "ratio": evaluations / seconds / POST_CPP_STEPS_PER_SECOND,
             "ratio_is": "to the post's C++ backprop steps/s"}]  # fmt: skip


def _torch_rows(repeats: int, min_seconds: float, threads: int, notes: list[str]) -> list[dict]:
    try:
        import torch
    except ImportError:
        notes.append("torch is not installed (extra 'bench'): the torch comparison was skipped.")
        return []
    rows = []
    for case, net, n in _cases()[2:]:
        params, X, Y = _case_data(net, n, "float64")

        def call(net=net, params=params, X=X, Y=Y):
            return get_provider("backprop").value_and_grad(net, params, X, Y)

        ours = _median_time(call, repeats, min_seconds)
        layers = [(torch.tensor(W.copy()), torch.tensor(b.copy())) for W, b in net.unpack(params)]
        for W, b in layers:
            W.requires_grad_(True)
            b.requires_grad_(True)
        tx, ty = torch.tensor(X), torch.tensor(Y)

        def step(layers=layers, tx=tx, ty=ty):
            a = tx
            for W, b in layers:
                a = torch.sigmoid(a @ W + b)
            cost = 0.5 * ((a - ty) ** 2).sum(dim=1).mean()
            grads = torch.autograd.grad(cost, [t for pair in layers for t in pair])
            return cost, grads

        for torch_threads in sorted({threads, 1}, reverse=True):
            torch.set_num_threads(torch_threads)
            theirs = _median_time(step, repeats, min_seconds)
            rows.append({
                "measurement": f"torch eager autograd value+grad, {case}, float64, {torch_threads} thread(s)",
                "value": theirs, "unit": "s", "ratio": ours / theirs,
                "ratio_is": f"our backprop time ({ours:.3g} s, {threads} BLAS threads) / torch's",
            })  # fmt: skip
    torch.set_num_threads(threads)
    return rows


def _layout_rows(repeats: int, min_seconds: float) -> list[dict]:
    """Backprop on 10,000 OR/AND networks: run axis first (the library) versus last (hand-written)."""
    from scipy import special

    task = get_task("or_and")
    net = task.network()
    X, Y = task.data()
    stack = task.random_params(np.random.default_rng(0), size=10_000)
    provider = get_provider("backprop")
    first = _median_time(lambda: provider.value_and_grad(net, stack, X, Y), repeats, min_seconds)
    last = np.ascontiguousarray(stack.T)  # (P, R): W[i, j] is row i*2+j, b[j] row 4+j

    def run_axis_last():
        W, b = last[:4].reshape(2, 2, -1), last[4:6]
        z = np.einsum("ni,ijr->njr", X, W) + b[None]  # (N, 2, R), contiguous rows of R
        a = special.expit(z)
        delta = (a - Y[:, :, None]) * a * (1 - a) / X.shape[0]
        cost = 0.5 * ((a - Y[:, :, None]) ** 2).sum(axis=1).mean(axis=0)
        grad_W = np.einsum("ni,njr->ijr", X, delta)
        return cost, np.concatenate([grad_W.reshape(4, -1), delta.sum(axis=0)])

    cost, grad = run_axis_last()
    ref_cost, ref_grad = provider.value_and_grad(net, stack, X, Y)
    agree = float(np.max(np.abs(grad.T - ref_grad)))
    last_time = _median_time(run_axis_last, repeats, min_seconds)
    return [{"measurement": f"layout: backprop on 10,000 OR/AND networks, run axis last (max |diff| {agree:.1e})",
             "value": last_time, "unit": "s", "ratio": first / last_time,
             "ratio_is": f"speed-up over run axis first ({first:.3g} s)"}]  # fmt: skip


# ------------------------------------------------------------------------ the targets, side by side
#: The post's Example 3 (OR/AND: 2 inputs, 2 sigmoid neurons, 4 patterns, float, learning rate
#: 0.5), transcribed without its CSV logging: the same arithmetic per pattern (forward pass,
#: error, cost, the four weight and two bias derivatives, the input derivatives), averaged over
#: the patterns, then the update.  The iteration count comes from the command line; the final
#: error and weights are printed so that the compiler keeps the whole loop.
POST_CPP_SOURCE = r"""
#include <array>
#include <cmath>
#include <cstdio>
#include <cstdlib>
struct Pattern { std::array<float, 2> in, out; };
static void run(const std::array<float, 2>& x, const std::array<float, 2>& y, const std::array<float, 4>& w,
                const std::array<float, 2>& b, float& error, float& cost, std::array<float, 4>& dw,
                std::array<float, 2>& db, std::array<float, 2>& dx) {
  float z0 = x[0] * w[0] + x[1] * w[1] + b[0]; float o0 = 1.0f / (1.0f + std::exp(-z0));
  float z1 = x[0] * w[2] + x[1] * w[3] + b[1]; float o1 = 1.0f / (1.0f + std::exp(-z1));
  float d0 = y[0] - o0, d1 = y[1] - o1;
  error = std::sqrt(d0 * d0 + d1 * d1); cost = 0.5f * error * error;
  float e0 = (o0 - y[0]) * (o0 * (1 - o0)); float e1 = (o1 - y[1]) * (o1 * (1 - o1));
  db[0] = e0; db[1] = e1;
  dw[0] = e0 * x[0]; dw[1] = e0 * x[1]; dw[2] = e1 * x[0]; dw[3] = e1 * x[1];
  dx[0] = e0 * w[0] + e1 * w[2]; dx[1] = e0 * w[1] + e1 * w[3];
}
int main(int argc, char** argv) {
  const size_t iterations = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 520000;
  const float lr = 0.5f;
  const std::array<Pattern, 4> data = {{{{0, 0}, {0, 0}}, {{0, 1}, {1, 0}}, {{1, 0}, {1, 0}}, {{1, 1}, {1, 1}}}};
  std::array<float, 4> w = {0.2f, 0.8f, 0.6f, 0.4f}; std::array<float, 2> b = {0.5f, 0.1f};
  float avgError = 0;
  for (size_t t = 0; t < iterations; ++t) {
    std::array<float, 4> gw = {0, 0, 0, 0}; std::array<float, 2> gb = {0, 0}, gx = {0, 0};
    avgError = 0; float avgCost = 0;
    for (const Pattern& p : data) {
      float error, cost; std::array<float, 4> dw; std::array<float, 2> db, dx;
      run(p.in, p.out, w, b, error, cost, dw, db, dx);
      avgError += error; avgCost += cost;
      for (int i = 0; i < 4; ++i) gw[i] += dw[i];
      for (int i = 0; i < 2; ++i) { gb[i] += db[i]; gx[i] += dx[i]; }
    }
    avgError /= 4.0f; avgCost /= 4.0f;
    for (int i = 0; i < 4; ++i) gw[i] /= 4.0f;
    for (int i = 0; i < 2; ++i) { gb[i] /= 4.0f; gx[i] /= 4.0f; }
    for (int i = 0; i < 4; ++i) w[i] -= gw[i] * lr;
    for (int i = 0; i < 2; ++i) b[i] -= gb[i] * lr;
  }
  std::printf("%zu %.9g %.9g %.9g %.9g %.9g %.9g %.9g\n", iterations, avgError, w[0], w[1], w[2], w[3], b[0], b[1]);
  return 0;
}
"""


def compile_post_cpp(folder: str) -> str | None:
    """Compile :data:`POST_CPP_SOURCE` with ``g++ -O2`` into ``folder``; the program's path, or None without a
    C++ compiler.  The program takes the iteration count and prints it, the final error, the weights and biases."""
    import shutil
    import subprocess

    compiler = shutil.which("g++") or shutil.which("c++")
    if compiler is None:
        return None
    source, program = os.path.join(folder, "post_or_and.cpp"), os.path.join(folder, "post_or_and")
    with open(source, "w") as handle:
        handle.write(POST_CPP_SOURCE)
    subprocess.run([compiler, "-O2", "-o", program, source], check=True, capture_output=True)
    return program


def post_cpp_rate(iterations: int = 2_000_000, repeats: int = 3) -> tuple[float, str]:
    """OR/AND network-steps per second of the post's C++ loop, compiled here with ``g++ -O2`` and timed.

    Returns ``(steps per second, how it was obtained)``; without a C++ compiler,
    :data:`POST_CPP_STEPS_PER_SECOND` (an earlier measurement on this machine kind) and a
    note saying so.  The program's start-up is measured with one iteration and subtracted.
    """
    import subprocess
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        program = compile_post_cpp(folder)
        if program is None:
            return POST_CPP_STEPS_PER_SECOND, "no C++ compiler found: an earlier measurement on this machine kind"

        def timed(n: int) -> float:
            start = time.perf_counter()
            subprocess.run([program, str(n)], check=True, capture_output=True)
            return time.perf_counter() - start

        startup = min(timed(1) for _ in range(repeats))
        loop = min(timed(iterations) for _ in range(repeats)) - startup
    return iterations / max(loop, 1e-9), "the post's Example 3 loop compiled with g++ -O2"


def _plain_numpy_step(X: np.ndarray, Y: np.ndarray, params: np.ndarray) -> Callable[[], Any]:
    """A hand-written numpy value+grad of the OR/AND network (2-2, sigmoid, half squared error)."""

    def step():
        W, b = params[:4].reshape(2, 2), params[4:6]
        a = 1.0 / (1.0 + np.exp(-(X @ W + b)))
        diff = a - Y
        cost = 0.5 * (diff * diff).sum(axis=1).mean()
        delta = diff * a * (1 - a) / X.shape[0]
        return cost, np.concatenate([(X.T @ delta).ravel(), delta.sum(axis=0)])

    return step


def _first_and_median(call: Callable[[], Any], repeats: int) -> tuple[float, float, Any]:
    """Seconds of ``call``'s first call, the median seconds of ``repeats`` more (the first's if 0), the last result.

    The first call of a compiled path compiles its kernels, or loads them from numba's
    disk cache: it is timed apart, with the same arguments, so that the later calls run
    the very kernels a user's repeated call runs.
    """
    start = time.perf_counter()
    result = call()
    first = time.perf_counter() - start
    later = []
    for _ in range(repeats):
        start = time.perf_counter()
        result = call()
        later.append(time.perf_counter() - start)
    return first, float(np.median(later)) if later else first, result


def _target_rows(quick: bool, repeats: int, min_seconds: float, threads: int, notes: list[str], cpp: float,
                 how: str) -> list[dict]:  # fmt: skip
    """Each target of the speed work as a ratio measured in this run, beside the figure it compares."""
    from ..training import compiled
    from ..training.api import train

    rows = [{"target": "post's C++ OR/AND loop (reference of the ratios below)", "measured": cpp,
             "unit": "steps/s", "ratio": 1.0, "ratio_is": how, "goal": np.nan, "threads": 1}]  # fmt: skip

    def add(target, measured, unit, ratio, ratio_is, goal, threads_used=threads):
        rows.append({"target": target, "measured": measured, "unit": unit, "ratio": ratio, "ratio_is": ratio_is,
                     "goal": goal, "threads": threads_used})  # fmt: skip

    runs, iterations = (1_000, 200) if quick else (10_000, 1_000)
    # The default engine ("auto": the compiled kernel where numba is installed), and numpy, the reference.
    engines = [("default engine", {}), ('engine="numpy"', {"engine": "numpy"})]
    for label, engine in engines:
        for dtype, goal in (("float64", 2.5), ("float32", 4.0)):
            def end_to_end(dtype=dtype, engine=engine, iterations=iterations):
                return train("or_and", seeds=range(runs), iterations=iterations, init="random", dtype=dtype, **engine)

            if engine:  # numpy: nothing to compile; one call of the full size (seconds)
                end_to_end(iterations=10)
                _, seconds, batch = _first_and_median(end_to_end, 0)
                first = np.nan
            else:  # the same call first: which kernel runs depends on the size (compiled_shapes)
                first, seconds, batch = _first_and_median(end_to_end, 1 if quick else 3)
            steps = float(batch.histories.rows.sum()) if batch.histories is not None else runs * iterations
            used = batch[0].settings.get("engine", "numpy")
            call = f'gm.train("or_and", seeds=range({runs:,}), iterations={iterations:,}, init="random"), {label}'
            add(f"{call} (ran on {used}), {dtype}: what gm.train delivers, results included", steps / seconds,
                "steps/s", steps / seconds / cpp, "x the post's C++", goal if not engine else np.nan)  # fmt: skip
            if np.isfinite(first):
                add(f"the same, {dtype}: the first call in this process (compiles the kernels, or loads them from "
                    "numba's disk cache)", first, "s", first / seconds, "x a later call", np.nan)  # fmt: skip

    task = get_task("or_and")
    net = task.network()
    X, Y = task.data()
    params = task.random_params(np.random.default_rng(0))
    provider = get_provider("backprop")
    plain = _plain_numpy_step(X, Y, params)
    ours = _median_time(lambda: provider.value_and_grad(net, params, X, Y), repeats, min_seconds)
    theirs = _median_time(plain, repeats, min_seconds)
    add("one backprop value+grad on OR/AND (N=4), public call, float64", ours, "s", ours / theirs,
        f"x a hand-written numpy step ({theirs:.3g} s)", 1.5)  # fmt: skip
    stack = params[None, :]
    inner = _median_time(lambda: provider.value_and_grad_prechecked(net, stack, X, Y), repeats, min_seconds)
    add("the same, a trainer's inner-loop call (value_and_grad_prechecked)", inner, "s", inner / theirs,
        "x the hand-written numpy step", np.nan)  # fmt: skip

    if compiled.available():
        single = 100_000 if quick else 1_000_000
        first, seconds, _ = _first_and_median(
            lambda: train("or_and", seed=0, iterations=single, init="random", engine="numba"), 1 if quick else 3
        )
        rate = single / seconds
        add(f'one compiled run: gm.train("or_and", seed=0, iterations={single:,}, engine="numba"), float64, '
            "results included (the serial kernel)", rate, "steps/s", rate / cpp, "x the post's C++", 1.0)  # fmt: skip
        add("the same: the first call in this process (compiles the kernel, or loads it from numba's disk cache)",
            first, "s", first / seconds, "x a later call", np.nan)  # fmt: skip

    if "genetic" in methods():
        generations = 50 if quick else 200
        train("or_and", "genetic", seeds=range(100), iterations=2)
        start = time.perf_counter()
        batch = train("or_and", "genetic", seeds=range(100), iterations=generations)
        seconds = time.perf_counter() - start
        evaluations = float(np.sum([run.history["nfev"].iloc[-1] for run in batch]))
        add(f'genetic, 100 seeds batched: gm.train("or_and", "genetic", seeds=range(100), iterations={generations}), '
            f'float64, bred on {batch[0].settings["engine"]}',
            evaluations / seconds, "evals/s", evaluations / seconds / 1e6, "x 1e6 evaluations/s", 1.0)  # fmt: skip

    big = Network([784, 128, 10])
    params, X, Y = _case_data(big, 256, "float64")
    forward = _median_time(lambda: big.cost(params, X, Y), repeats, min_seconds)
    both = _median_time(lambda: provider.value_and_grad(big, params, X, Y), repeats, min_seconds)
    add("backprop value+grad on 784-128-10 (N=256), float64", both, "s", both / forward,
        f"x one forward pass ({forward:.3g} s)", 2.0)  # fmt: skip
    notes.append(
        "targets: goal is the ratio aimed at (end-to-end and compiled rows: at least; value+grad rows: at most). "
        "The gm.train rows time the whole call -- seeding, training with every history row recorded, building the "
        "batch of results -- which is what a user gets; the throughput table below times the training kernel "
        "alone. The default engine is 'auto': the compiled kernel where numba is installed and computes the run, numpy "
        "otherwise; 'ran on' names the engine it picked."
    )
    return rows


# ------------------------------------------------------------------------ entry point
def run_bench(
    *,
    quick: bool = False,
    threads: int | None = None,
    runs: list[int] | tuple[int, ...] = (1, 100, 10_000),
    engines: list[str] | None = None,
    cases: list[str] | None = None,
    extras: bool = True,
) -> BenchResult:
    """Run every benchmark and return the tables.

    Parameters
    ----------
    quick : bool
        A short version (fewer repeats, shorter timings; under a minute).
    threads : int, optional
        Threads for BLAS, numba and torch (default: all cores).
    runs : sequence of int
        Stack sizes R of the throughput table.
    engines : list of {"numpy", "numba"}, optional
        Training paths of the throughput table (default: numpy, and numba if installed).
    cases : list of str, optional
        Networks of the value+grad table by their first word (``"2-2-2"``, ``"or_and"``,
        ``"64-32-10"``, ``"784-128-10"``); default: all.
    extras : bool
        Measure the suite, layout, genetic and torch comparisons too.
    """
    try:
        from threadpoolctl import threadpool_info, threadpool_limits
    except ImportError:  # pragma: no cover - threadpoolctl is in the bench and test extras
        raise ValueError(
            "gradmethods bench pins BLAS threads with threadpoolctl; install it: pip install 'gradmethods[bench]'."
        ) from None

    threads = threads or os.cpu_count() or 1
    notes: list[str] = []
    repeats = 3 if quick else 7
    min_seconds = 0.02 if quick else 0.2
    with threadpool_limits(threads):
        try:
            import numba

            numba.set_num_threads(min(threads, numba.config.NUMBA_NUM_THREADS))
            numba_threads = numba.get_num_threads()
        except ImportError:
            numba_threads = None
        blas = sorted({f"{info['internal_api']} x{info['num_threads']}" for info in threadpool_info()})
        machine = {
            "cpu": _cpu_name(), "cores": os.cpu_count(), "threads": threads, "blas": ", ".join(blas),
            "numba threads": numba_threads, "numpy": np.__version__, "python": platform.python_version(),
            "quick": quick,
        }  # fmt: skip
        cap = 1.0 if quick else 20.0
        # The compiled path's worker threads run last, so that they cannot compete with
        # numpy's or torch's threads while those are being timed.
        value_grad = _value_grad_table(
            repeats, min_seconds, cap_seconds=cap, notes=notes, cases=cases, budget=0.5 if quick else 30.0
        )
        extra = []
        cpp, how = post_cpp_rate(200_000 if quick else 2_000_000)
        machine["post C++ steps/s"] = f"{cpp:.3g} ({how})"
        targets = _target_rows(quick, repeats, min_seconds, threads, notes, cpp, how) if extras else []
        if extras:
            extra += _torch_rows(repeats, min_seconds, threads, notes)
            extra += _suite_rows(300 if quick else 3000, repeats)
            extra += _layout_rows(repeats, min_seconds)
            extra += _genetic_rows(20 if quick else 200, notes)
        throughput = _throughput_table(list(runs), 0.15 if quick else 1.5, repeats, notes, engines, cpp)
    big = value_grad[value_grad.case.str.startswith("784")]
    if big["peak_mb"].notna().any():
        notes.append("peak_mb: tracemalloc peak of one value+grad call on 784-128-10 (numpy buffers included).")
    return BenchResult(machine, value_grad, throughput, pd.DataFrame(extra), notes, pd.DataFrame(targets))


def _cpu_name() -> str:
    try:
        with open("/proc/cpuinfo") as handle:
            for line in handle:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:  # pragma: no cover
        pass
    return platform.processor() or "unknown"
