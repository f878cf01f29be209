"""What every check shares: how a method is named, resolved to a fresh object, and how a failure reads."""

from __future__ import annotations

import copy
import functools
from collections.abc import Callable
from typing import Any

from ..core.registry import METHODS
from ..gradients.base import ProviderBase

__all__ = ["Check", "label_of", "kind_of", "named_check"]

#: A check: called with a method (a registered name, a class or an instance); raises
#: AssertionError naming itself and what went wrong, returns None when the method passes.
Check = Callable[[Any], None]


def label_of(method: Any) -> str:
    """How messages and test ids name ``method``: its registered name or its class name."""
    if isinstance(method, str):
        return method
    cls = method if isinstance(method, type) else type(method)
    registered = [name for name, info in METHODS.items() if info.factory is cls]
    return registered[0] if registered else cls.__name__


def kind_of(method: Any) -> str:
    """``"gradient"`` for a gradient provider, ``"trainer"`` for a trainer.

    Raises
    ------
    TypeError
        If ``method`` is neither.
    """
    if isinstance(method, str):
        return METHODS.get(method).kind
    cls = method if isinstance(method, type) else type(method)
    if issubclass(cls, ProviderBase):
        return "gradient"
    if callable(getattr(cls, "fit", None)):
        return "trainer"
    if callable(getattr(cls, "value_and_grad", None)):
        return "gradient"  # an old-style provider: check_contract says what it lacks
    raise TypeError(
        f"{method!r} is neither a gradient provider (a subclass of gradmethods.gradients.base.ProviderBase) "
        "nor a trainer (a class with a fit() method), nor the registered name of one."
    )


def fresh(method: Any, kind: str) -> Any:
    """A new object of ``method`` with zero counters: built from a name or class, copied from an instance."""
    if isinstance(method, str):
        info = METHODS.get(method)
        if info.kind != kind:
            other = "check_trainer" if info.kind == "trainer" else "check_provider"
            raise TypeError(f"{method!r} is a {info.kind}, not a {kind} method; use {other}({method!r}).")
        return info.factory()
    if isinstance(method, type):
        return method()
    method = copy.deepcopy(method)
    reset = getattr(method, "reset_counts", None)
    if callable(reset):
        reset()
    return method


def named_check(kind: str) -> Callable[[Callable[[Any], None]], Check]:
    """Make ``fn(obj)`` a check: resolve the method, run, and name the check in any failure.

    Any exception the method raises inside a check is reported the same way, as an
    AssertionError ``"<check> failed for <method>: <what went wrong>"`` chained to the
    original.
    """

    def decorate(fn: Callable[[Any], None]) -> Check:
        @functools.wraps(fn)
        def check(method: Any) -> None:
            label = label_of(method)
            try:
                fn(fresh(method, kind))
            except AssertionError as exc:
                raise AssertionError(f"{fn.__name__} failed for {label}: {exc}") from exc
            except Exception as exc:
                raise AssertionError(f"{fn.__name__} failed for {label}: {type(exc).__name__}: {exc}") from exc

        check.kind = kind  # type: ignore[attr-defined]
        return check

    return decorate
