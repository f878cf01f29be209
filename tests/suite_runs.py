"""A tiny suite and the helpers that compare two results folders, shared by the runner's tests."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pandas as pd

import gradmethods as gm

TINY = """
name = "tiny"
entropy = 11
seeds = 3
tasks = ["not", "or_and"]

[[methods]]
name = "backprop"

[defaults]
init = "random"
lr = 2.0
iterations = 1000
target = 0.05
"""


# Long enough to interrupt: 8 work units (one per learning rate; a unit's runs are recorded together when its
# batch finishes) of a few tenths of a second each.
SLOW = """
name = "slow"
entropy = 5
seeds = 1
tasks = ["or_and"]

[[methods]]
name = "backprop"

[defaults]
init = "random"
iterations = 800
target = "none"
engine = "numpy"  # the reference engine: slow enough that a signal lands while the suite works

[grid]
lr = [0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.1, 1.2]
"""


def write_suite(tmp_path: Path, text: str, name: str = "suite.toml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return path


def numbers(directory: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Runs and curves without wall-clock columns, in a fixed order: what must be identical."""
    results = gm.load_results(directory)
    runs = results.runs.drop(columns="seconds").sort_values("run_id").reset_index(drop=True)
    curves = results.curves.drop(columns="seconds").sort_values(["run_id", "iteration"]).reset_index(drop=True)
    return runs, curves


def assert_same_numbers(a: Path, b: Path) -> None:
    runs_a, curves_a = numbers(a)
    runs_b, curves_b = numbers(b)
    pd.testing.assert_frame_equal(runs_a, runs_b)
    pd.testing.assert_frame_equal(curves_a, curves_b)
