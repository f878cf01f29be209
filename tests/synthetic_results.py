"""Small synthetic run records in the data contract of ``gradmethods.load_results``.

The numbers are made up (exponential decay with known rates) so that figure tests
know exactly what each line should contain without running any training.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

TASKS = ("not", "xor")
METHODS = ("backprop", "fd_central", "genetic")
SEEDS = (0, 1, 2)
TARGET = 0.05
#: Evaluations per iteration (finite differences: 2 per parameter of a 2-2-1 net).
NFEV_PER_ITERATION = {"backprop": 1, "fd_central": 18, "genetic": 20}
#: Forward-pass equivalents per evaluation: a backprop call on 2-2-1 is a forward pass of 9
#: multiply-adds per pattern and a reverse sweep of 11 (20/9); a finite-difference evaluation
#: and a genetic network are one real forward pass each.
FPE_PER_EVALUATION = {"backprop": 20 / 9, "fd_central": 1.0, "genetic": 1.0}


@dataclass
class Results:
    """The duck type ``write_report`` needs: ``runs``, ``curves``, ``summary``, ``path``."""

    runs: pd.DataFrame
    curves: pd.DataFrame
    summary: pd.DataFrame
    path: Path


def make_frames(methods=METHODS, tasks=TASKS, seeds=SEEDS, layer_norms=True, fpe=True):
    """(runs, curves, summary) for every (task, method, seed).

    Run lengths differ by seed (30, 40, 50 iterations) so alignment has to carry the
    last value forward; seed 2 of ``fd_central`` on ``xor`` diverges (error becomes
    NaN at its last record); every other run's error is ``0.5 * exp(-rate * i)``.
    Work: ``nfev = i * NFEV_PER_ITERATION + 1`` and ``fpe = nfev * FPE_PER_EVALUATION``;
    ``fpe=False`` leaves ``fpe`` out everywhere, as in results written before it was
    recorded.
    """
    run_rows, curve_frames = [], []
    for task in tasks:
        for method in methods:
            for seed in seeds:
                run_id = f"{task}-{method}-{seed}"
                n = 30 + 10 * seed
                iteration = np.arange(n)
                rate = 0.1 if method != "genetic" else 0.05
                error = 0.5 * np.exp(-rate * iteration)
                diverged = task == "xor" and method == "fd_central" and seed == 2
                if diverged:
                    error[-1] = np.nan
                frame = pd.DataFrame(
                    {
                        "run_id": run_id,
                        "iteration": iteration,
                        "nfev": iteration * NFEV_PER_ITERATION.get(method, 10) + 1,
                        "fpe": (iteration * NFEV_PER_ITERATION.get(method, 10) + 1)
                        * FPE_PER_EVALUATION.get(method, 1.0),
                        "seconds": (iteration + 1) * 1e-3,
                        "cost": error**2,
                        "error": error,
                    }
                )
                if method == "genetic":
                    frame["median_cost"] = 2 * error**2
                if layer_norms and task == "xor" and method == "backprop":
                    frame["grad_norm_layer0"] = 1e-3 * np.exp(-0.05 * iteration)
                    frame["grad_norm_layer1"] = 1e-1 * np.exp(-0.05 * iteration)
                curve_frames.append(frame)
                reached = np.nonzero(error < TARGET)[0]
                if diverged:
                    outcome = "DIVERGED"
                elif reached.size:
                    outcome = "CONVERGED"
                else:
                    outcome = "BUDGET_EXHAUSTED"
                run_rows.append(
                    {
                        "run_id": run_id, "task": task, "method": method, "seed": seed, "outcome": outcome,
                        "iterations": n, "nfev": int(frame["nfev"].iloc[-1]), "njev": n,
                        "fpe": float(frame["fpe"].iloc[-1]), "seconds": n * 1e-3,
                        "final_error": error[-1], "final_cost": error[-1] ** 2, "target": TARGET, "lr": 0.5,
                        "dtype": "float64", "message": "",
                    }
                )
    runs = pd.DataFrame(run_rows)
    curves = pd.concat(curve_frames, ignore_index=True)
    if not fpe:
        runs, curves = runs.drop(columns="fpe"), curves.drop(columns="fpe")
    return runs, curves, make_summary(runs)


def make_summary(runs: pd.DataFrame) -> pd.DataFrame:
    """The summary table; the Wilson interval is written out here independently."""
    rows = []
    for (task, method), group in runs.groupby(["task", "method"], sort=False):
        n = len(group)
        k = int((group["outcome"] == "CONVERGED").sum())
        z = 1.959963984540054
        p = k / n
        centre = (p + z * z / (2 * n)) / (1 + z * z / n)
        half = z / (1 + z * z / n) * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
        rows.append(
            {
                "task": task, "method": method, "runs": n, "successes": k, "success_rate": p,
                "success_low": max(0.0, centre - half), "success_high": min(1.0, centre + half),
                "iterations_median": group["iterations"].median(), "nfev_median": group["nfev"].median(),
                "seconds_median": group["seconds"].median(), "ert_nfev": group["nfev"].sum() / max(k, 1),
                "final_error_median": group["final_error"].median(),
            }
        )
        if "fpe" in group:
            rows[-1].update(fpe_median=group["fpe"].median(), ert_fpe=group["fpe"].sum() / max(k, 1))
        else:
            rows[-1].update(fpe_median=np.nan, ert_fpe=np.nan)
    return pd.DataFrame(rows)


def make_fd_study() -> pd.DataFrame:
    """A V-curve: truncation h (forward) / h**2 (central) plus rounding eps/h."""
    steps = np.logspace(-12, -1, 12)
    eps = np.finfo(float).eps
    return pd.concat(
        [
            pd.DataFrame({"method": "fd_forward", "step": steps, "max_rel_error": steps + eps / steps}),
            pd.DataFrame({"method": "fd_central", "step": steps, "max_rel_error": steps**2 + eps / steps}),
            pd.DataFrame({"method": "complex_step", "step": steps, "max_rel_error": np.full(steps.size, 0.0)}),
        ],
        ignore_index=True,
    )


def make_bench() -> pd.DataFrame:
    """Seconds growing like n (backprop) and n**2 (fd_central), in two dtypes."""
    n_params = np.array([9, 33, 129, 513])
    rows = []
    for dtype in ("float32", "float64"):
        for provider, power in (("backprop", 1), ("fd_central", 2)):
            for n in n_params:
                rows.append(
                    {"provider": provider, "case": f"n{n}", "n_params": n, "dtype": dtype,
                     "seconds_median": 1e-6 * n**power, "ratio_to_forward": float(n ** (power - 1))}
                )
    return pd.DataFrame(rows)


def make_estimator_quality() -> pd.DataFrame:
    """A small estimator-quality table (two tasks, three estimators, three sizes): cosines falling like 1/sqrt(P)."""
    rows = []
    for task in ("or_and", "digits"):
        for estimator, method, scale in (("backprop", "backprop", None),
                                         ("forward_gradient k=1", "forward_gradient", 1.0),
                                         ("forward_gradient k=8", "forward_gradient", 3.0)):
            for P in (12, 102, 1002):
                cos = 1.0 if scale is None else min(1.0, scale * 0.8 / np.sqrt(P))
                rows.append({"task": task, "estimator": estimator, "method": method, "P": P, "cos_mean": cos,
                             "cos_std": 0.0 if scale is None else 0.5 * cos})
    return pd.DataFrame(rows)


def strip_fpe(directory: Path) -> None:
    """Turn a results folder into one written before fpe was recorded: no ``fpe`` in any record or curve.

    That is the only difference between the two formats: the older runner wrote the
    same ``suite.json``, the same record fields but ``fpe`` (and the curve checksums
    ``curve_sha256``, ``curve_rows``, recorded later still), and the same history columns
    but ``fpe``.
    """
    log = Path(directory) / "runs.jsonl"
    records = [json.loads(line) for line in log.read_text().splitlines() if line.strip()]
    newer = ("fpe", "curve_sha256", "curve_rows")
    log.write_text("".join(json.dumps({k: v for k, v in r.items() if k not in newer}) + "\n" for r in records))
    for curve in (Path(directory) / "curves").glob("*.csv"):
        pd.read_csv(curve).drop(columns="fpe", errors="ignore").to_csv(curve, index=False)
    for table in ("runs.csv", "summary.csv", "summary.md", "index.html"):
        (Path(directory) / table).unlink(missing_ok=True)


def make_results(path: Path, **kwargs) -> Results:
    runs, curves, summary = make_frames(**kwargs)
    return Results(runs, curves, summary, Path(path))
