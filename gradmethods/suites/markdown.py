"""Plain Markdown tables from DataFrames (no optional dependency needed)."""

from __future__ import annotations

import pandas as pd

__all__ = ["to_markdown"]


def _cell(value: object, float_format: str) -> str:
    if isinstance(value, float):
        return format(value, float_format)
    return str(value).replace("|", "\\|")


def to_markdown(frame: pd.DataFrame, float_format: str = ".6g", index: bool = False) -> str:
    """Render ``frame`` as a GitHub-flavoured Markdown table."""
    if index:
        frame = frame.reset_index()
    header = [str(c) for c in frame.columns]
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    for row in frame.itertuples(index=False):
        lines.append("| " + " | ".join(_cell(v, float_format) for v in row) + " |")
    return "\n".join(lines) + "\n"
