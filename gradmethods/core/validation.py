"""Input validation shared by every public entry point: one place writes the messages.

The helpers here are shorthands for the constraints of :mod:`gradmethods.core.params`,
whose validator writes every message (the parameter, the value, what is allowed).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from .params import FloatDType, Interval, Options, Real, validate

__all__ = ["check_choice", "check_positive_int", "check_positive_float", "check_float_dtype", "check_array"]


def check_choice(argument: str, value: Any, choices: Iterable[str]) -> str:
    """Return ``value`` if it is one of ``choices``, else raise a ValueError naming both.

    Examples
    --------
    >>> check_choice("init", "post", ["post", "random"])
    'post'
    """
    return validate(argument, value, [Options(*choices)])


def check_positive_int(argument: str, value: Any, *, minimum: int = 1) -> int:
    """Return ``value`` as int if it is an integer >= ``minimum``, else raise ValueError.

    Examples
    --------
    >>> check_positive_int("steps", 3)
    3
    """
    return validate(argument, value, [Interval(int, minimum, None)])


def check_positive_float(argument: str, value: Any) -> float:
    """Return ``value`` as float if it is a finite number > 0, else raise ValueError.

    Examples
    --------
    >>> check_positive_float("lr", 2)
    2.0
    """
    return validate(argument, value, [Interval(Real, 0, None, closed="neither")])


def check_float_dtype(argument: str, dtype: Any) -> np.dtype:
    """Return the numpy dtype for 'float32' / 'float64', else raise ValueError.

    Examples
    --------
    >>> check_float_dtype("dtype", "float32")
    dtype('float32')
    """
    return validate(argument, dtype, [FloatDType()])


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
