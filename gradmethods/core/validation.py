"""Input validation shared by every public entry point: one place writes the messages."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np


def check_choice(argument: str, value: Any, choices: Iterable[str]) -> str:
    """Return ``value`` if it is one of ``choices``, else raise a ValueError naming both."""
    choices = list(choices)
    if not isinstance(value, str) or value not in choices:
        raise ValueError(
            f"The {argument!r} parameter must be a str among {sorted(choices)}. Got {value!r} instead."
        )
    return value


def check_positive_int(argument: str, value: Any, *, minimum: int = 1) -> int:
    """Return ``value`` as int if it is an integer >= ``minimum``, else raise ValueError."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"The {argument!r} parameter must be an int >= {minimum}. Got {value!r} instead.")
    return int(value)


def check_positive_float(argument: str, value: Any) -> float:
    """Return ``value`` as float if it is a finite number > 0, else raise ValueError."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = float("nan")
    if isinstance(value, bool) or not np.isfinite(number) or number <= 0:
        raise ValueError(f"The {argument!r} parameter must be a finite float > 0. Got {value!r} instead.")
    return number


def check_float_dtype(argument: str, dtype: Any) -> np.dtype:
    """Return the numpy dtype for 'float32' / 'float64', else raise ValueError."""
    try:
        resolved = np.dtype(dtype)
    except TypeError:
        resolved = None
    if resolved not in (np.dtype("float32"), np.dtype("float64")):
        raise ValueError(
            f"The {argument!r} parameter must be one of ['float32', 'float64']. Got {dtype!r} instead."
        )
    return resolved


def check_array(argument: str, value: Any, *, shape: tuple, dtype: Any = None) -> np.ndarray:
    """Convert ``value`` to a finite array whose shape matches ``shape``.

    ``shape`` holds ints (exact sizes) and ``None`` (any size); it describes the
    trailing axes, and ``value`` may carry at most the leading axes the caller allows
    by passing a longer pattern.
    """
    try:
        array = np.asarray(value, dtype=dtype)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{argument} must be a numeric array: {exc}") from None
    if array.ndim != len(shape) or any(s is not None and s != n for s, n in zip(shape, array.shape)):
        want = "(" + ", ".join("N" if s is None else str(s) for s in shape) + ")"
        raise ValueError(f"{argument} must have shape {want}; got shape {array.shape}.")
    if array.dtype.kind not in "fc":
        array = array.astype(np.float64)
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{argument} holds non-finite values (nan or inf); they must all be finite.")
    return array
