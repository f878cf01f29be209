"""Reproduce the post's worked examples: its figures beside ours in float32 and float64."""

from __future__ import annotations

import argparse
import time


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--example", action="append", help="only this example (repeatable); default: all")
    parser.add_argument("--format", choices=("text", "markdown"), default="text", help="output format")


def run(args: argparse.Namespace) -> int:
    import pandas as pd

    from ...analysis.seed import seed_table
    from ...core.tasks import get_task
    from ...suites.markdown import to_markdown

    for name in args.example or ():
        get_task(name)  # validates the name
    start = time.perf_counter()
    table = seed_table(tasks=tuple(args.example) if args.example else None)
    seconds = time.perf_counter() - start
    shown = table.copy()
    for dtype in ("float32", "float64"):
        shown[dtype] = [f"{v:.6f}" if abs(v) >= 1e-3 else f"{v:.6g}" for v in table[dtype]]
        shown[f"agrees_{dtype}"] = table[f"agrees_{dtype}"].map({True: "yes", False: "NO"})
    shown = shown.rename(columns={"agrees_float32": "f32 agrees", "agrees_float64": "f64 agrees"})
    if args.format == "markdown":
        print(to_markdown(shown))
    else:
        with pd.option_context("display.width", 200, "display.max_colwidth", 60, "display.max_rows", None):
            print(shown.drop(columns="note").to_string(index=False))
        notes = table.loc[table["note"] != "", ["example", "figure", "note"]]
        if len(notes):
            print("\nNotes:")
            for row in notes.itertuples(index=False):
                print(f"- {row.example}, {row.figure}: {row.note}")
    agree = int(table["agrees_float32"].sum())
    print(f"\n{agree} of {len(table)} figures agree in float32 to the printed digits; {seconds:.1f} s.")
    return 0
