"""Reproduce the post's worked examples: its figures beside ours in float32 and float64."""

from __future__ import annotations

import argparse
import time


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--example", action="append",
                        help="only this example (repeatable), e.g. example4 or example4_frozen_biases (example "
                             "4 trained on its weights only: Mazur's published worked example); default: all")
    parser.add_argument("--format", choices=("text", "markdown"), default="text", help="output format")


def run(args: argparse.Namespace) -> int:
    import pandas as pd

    from ...analysis.seed import example_names, seed_table
    from ...suites.markdown import to_markdown

    for name in args.example or ():
        if name not in example_names():
            raise ValueError(f"The 'example' parameter must be a str among {example_names()}. Got {name!r} instead.")
    start = time.perf_counter()
    table = seed_table(tasks=tuple(args.example) if args.example else None)
    seconds = time.perf_counter() - start
    shown = table.copy()
    for dtype in ("float32", "float64"):
        shown[dtype] = [_shown(v, post) for v, post in zip(table[dtype], table["post"])]
        shown[f"agrees_{dtype}"] = table[f"agrees_{dtype}"].map({True: "yes", False: "NO"})
    shown = shown.rename(columns={"agrees_float32": "f32 agrees", "agrees_float64": "f64 agrees"})
    if args.format == "markdown":
        print(to_markdown(shown))
    else:
        with pd.option_context("display.width", 200, "display.max_colwidth", 60, "display.max_rows", None):
            print(shown.drop(columns=["note", "source"]).to_string(index=False))
        notes = table.loc[table["note"] != "", ["example", "figure", "note"]]
        sources = sorted(set(table["source"]) - {"post"})
        if sources:
            print("\nFigures of " + ", ".join(table.loc[table["source"] == s, "example"].iloc[0] for s in sources)
                  + " are published in " + ", ".join(sources) + ", not in the post.")  # fmt: skip
        if len(notes):
            print("\nNotes:")
            for row in notes.itertuples(index=False):
                print(f"- {row.example}, {row.figure}: {row.note}")
    agree32, agree64 = int(table["agrees_float32"].sum()), int(table["agrees_float64"].sum())
    print(f"\n{agree32} of {len(table)} figures agree in float32 and {agree64} in float64 to the printed digits; "
          f"{seconds:.1f} s.")
    return 0


def _shown(value: float, published: str) -> str:
    """``value`` with as many decimals as the published figure prints (at least 6, or 6 significant digits)."""
    decimals = len(published.split(".")[1]) if "." in published else 0
    if abs(value) < 1e-3 and decimals <= 6:
        return f"{value:.6g}"
    return f"{value:.{max(6, decimals)}f}"
