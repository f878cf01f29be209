"""Sums over the last axis that skip numpy's reduction machinery where that gives the same numbers."""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["sum_last_axis"]


def sum_last_axis(values: Any) -> Any:
    """``values.sum(axis=-1)``, bit for bit, computed from the slices ``values[..., 0]`` (and
    ``values[..., 1]``) when the last axis has one or two entries.

    For so few entries every order of summation gives the same value, up to the sign of a zero sum,
    which numpy returns as ``+0.0`` (its reduction starts from the identity ``+0.0``); adding ``+0.0``
    does the same and changes nothing else.  Reducing a short last axis of a large stack costs numpy
    one inner-loop call per row (a 2-output network's 9,400 x 4 patterns: 1.3 ms, the slices 0.03 ms).
    Longer axes, complex and other number types go to ``sum``.
    """
    if type(values) is np.ndarray and values.ndim and values.dtype.kind == "f":
        width = values.shape[-1]
        zero = values.dtype.type(0.0)
        if width == 2:
            return values[..., 0] + values[..., 1] + zero
        if width == 1:
            return values[..., 0] + zero
    return values.sum(axis=-1)
