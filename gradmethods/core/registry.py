"""The method registry: every way of training a network, found by name.

Two kinds of method live here:

* **gradient providers** (``kind="gradient"``) compute ``value_and_grad`` and
  ``input_grad`` on a :class:`~gradmethods.Network`; gradient descent trains with
  any of them;
* **trainers** (``kind="trainer"``) train a network without a gradient (the
  genetic algorithm).

Built-in methods register themselves with :func:`register_provider` /
:func:`register_trainer` when their module is imported.  Third-party packages add
theirs through the entry-point group ``gradmethods.providers`` (each entry point
loads a module or class that registers itself); entry points are loaded lazily, the
first time a name is looked up or the registry is listed.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from importlib.metadata import entry_points
from typing import Any

__all__ = [
    "MethodInfo",
    "register_provider",
    "register_trainer",
    "get_provider",
    "get_method",
    "providers",
    "trainers",
    "methods",
]

ENTRY_POINT_GROUP = "gradmethods.providers"
_BUILTIN_MODULES = ("gradmethods.gradients", "gradmethods.training.trainers")


@dataclass(frozen=True)
class MethodInfo:
    """A registry entry: the method's name, kind and the class that implements it."""

    name: str
    kind: str  # "gradient" or "trainer"
    factory: Callable[..., Any]

    @property
    def gives_gradient(self) -> bool:
        return self.kind == "gradient"


_REGISTRY: dict[str, MethodInfo] = {}
_loaded = False


def _register(name: str, kind: str) -> Callable:
    def decorator(cls):
        if name in _REGISTRY and _REGISTRY[name].factory is not cls:
            raise ValueError(
                f"a method named {name!r} is already registered by {_REGISTRY[name].factory!r}; choose another name"
            )
        _REGISTRY[name] = MethodInfo(name, kind, cls)
        cls.name = name
        return cls

    return decorator


def register_provider(name: str) -> Callable:
    """Class decorator registering a gradient provider under ``name``."""
    return _register(name, "gradient")


def register_trainer(name: str) -> Callable:
    """Class decorator registering a gradient-free trainer under ``name``."""
    return _register(name, "trainer")


def _load() -> None:
    global _loaded
    if _loaded:
        return
    _loaded = True
    for module in _BUILTIN_MODULES:
        importlib.import_module(module)
    for entry_point in entry_points(group=ENTRY_POINT_GROUP):
        entry_point.load()


def get_method(name: str) -> MethodInfo:
    """The registry entry for ``name``; unknown names raise a ValueError listing all names."""
    _load()
    if not isinstance(name, str) or name not in _REGISTRY:
        raise ValueError(f"The 'method' parameter must be a str among {sorted(_REGISTRY)}. Got {name!r} instead.")
    return _REGISTRY[name]


def get_provider(name: str, **options: Any):
    """A new instance of the gradient provider ``name`` (with its own work counters).

    Examples
    --------
    >>> import gradmethods as gm
    >>> provider = gm.get_provider("backprop")
    >>> provider.name, provider.nfev
    ('backprop', 0)
    """
    info = get_method(name)
    if not info.gives_gradient:
        raise ValueError(
            f"{name!r} is a trainer, not a gradient provider; it has no gradient. "
            f"Gradient providers: {providers()}. Train with gm.train(task, method={name!r})."
        )
    return info.factory(**options)


def providers() -> list[str]:
    """Names of the registered gradient providers."""
    _load()
    return [name for name, info in _REGISTRY.items() if info.gives_gradient]


def trainers() -> list[str]:
    """Names of the registered gradient-free trainers."""
    _load()
    return [name for name, info in _REGISTRY.items() if not info.gives_gradient]


def methods() -> dict[str, str]:
    """Every registered method name mapped to its kind (``"gradient"`` or ``"trainer"``)."""
    _load()
    return {name: info.kind for name, info in _REGISTRY.items()}
