"""Figures of optimized inputs: before, after, their difference and the network's outputs.

Uses :class:`matplotlib.figure.Figure` directly (no pyplot, no global figure state),
so it works under any backend and in threads; ``fig.savefig(path)`` writes the file.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib.figure import Figure

__all__ = ["input_change_figure"]


def input_change_figure(
    before: np.ndarray,
    after: np.ndarray,
    outputs_before: np.ndarray,
    outputs_after: np.ndarray,
    *,
    image_shape: tuple[int, int],
    value_range: tuple[float, float] = (0.0, 1.0),
    row_titles: Sequence[str] | None = None,
    title: str = "",
    class_names: Sequence[str] | None = None,
    labels: tuple[str, str] = ("before", "after"),
) -> Figure:
    """One row per input: before | after | after - before | the outputs before and after.

    Parameters
    ----------
    before, after : ndarray, shape (N, n_inputs) or (n_inputs,)
        Inputs before and after optimization; each is shown as an image of
        ``image_shape`` (``n_inputs`` pixels, row-major).
    outputs_before, outputs_after : ndarray, shape (N, n_outputs) or (n_outputs,)
        The network's outputs for ``before`` and ``after``, drawn as paired bars.
    image_shape : (int, int)
    value_range : (float, float), default (0, 1)
        Pixel range of the before/after images (``gray_r``: low is white, high is
        dark, like ink on paper).
    row_titles : sequence of str, optional
        One label per row (shown left of the row).
    title : str
        Figure title.
    class_names : sequence of str, optional
        Labels of the output bars (default ``0, 1, ...``).
    labels : (str, str), default ("before", "after")
        Names of the two states, used in the column titles and the bar legend.

    Returns
    -------
    matplotlib.figure.Figure

    Notes
    -----
    The difference uses a diverging colour map centred on 0 with limits
    ``+-max|after - before|`` over the whole figure, so rows are comparable and
    the sign of each change reads at a glance (red: more ink, blue: less).
    """
    before, after = np.atleast_2d(before), np.atleast_2d(after)
    outputs_before, outputs_after = np.atleast_2d(outputs_before), np.atleast_2d(outputs_after)
    n_rows, n_outputs = before.shape[0], outputs_before.shape[1]
    if after.shape != before.shape or outputs_after.shape != outputs_before.shape:
        raise ValueError(
            f"before/after must have equal shapes; got {before.shape} and {after.shape}, "
            f"outputs {outputs_before.shape} and {outputs_after.shape}."
        )
    if before.shape[1] != image_shape[0] * image_shape[1]:
        raise ValueError(f"image_shape {image_shape} does not hold the {before.shape[1]} inputs of each pattern.")
    names = [str(k) for k in range(n_outputs)] if class_names is None else list(class_names)
    difference = after - before
    limit = float(np.abs(difference).max()) or 1.0

    fig = Figure(figsize=(10.0, 2.4 * n_rows + 1.2), layout="constrained")
    axes = fig.subplots(n_rows, 4, squeeze=False, width_ratios=(1, 1, 1, 1.7))
    low, high = value_range
    for row in range(n_rows):
        ax_before, ax_after, ax_diff, ax_out = axes[row]
        shown_before = ax_before.imshow(before[row].reshape(image_shape), cmap="gray_r", vmin=low, vmax=high)
        ax_after.imshow(after[row].reshape(image_shape), cmap="gray_r", vmin=low, vmax=high)
        shown_diff = ax_diff.imshow(difference[row].reshape(image_shape), cmap="RdBu_r", vmin=-limit, vmax=limit)
        for ax in (ax_before, ax_after, ax_diff):
            ax.set_xticks([])
            ax.set_yticks([])
        positions = np.arange(n_outputs)
        ax_out.bar(positions - 0.2, outputs_before[row], width=0.4, color="0.6", label=labels[0])
        ax_out.bar(positions + 0.2, outputs_after[row], width=0.4, color="tab:red", label=labels[1])
        ax_out.set_xticks(positions, names)
        ax_out.set_ylim(0, 1.05)
        ax_out.set_ylabel("output")
        if row_titles is not None:
            ax_before.set_ylabel(row_titles[row])
        if row == 0:
            ax_before.set_title(labels[0])
            ax_after.set_title(labels[1])
            ax_diff.set_title(f"{labels[1]} - {labels[0]}")
            ax_out.set_title("network outputs")
            ax_out.legend(loc="upper left", fontsize="small", frameon=False)
    fig.colorbar(shown_before, ax=axes[-1, :2], location="bottom", shrink=0.8, label="pixel value")
    fig.colorbar(shown_diff, ax=axes[-1, 2], location="bottom", shrink=0.9, label="change")
    if title:
        fig.suptitle(title)
    return fig
