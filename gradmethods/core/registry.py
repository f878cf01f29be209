"""Registries: one generic name -> item table, and the registry of methods with their facts.

:class:`Registry` is the one table type behind methods, activations, costs and tasks:
``register``, ``get``, ``names``, ``unregister``, a clear error on a name collision, and
messages in scikit-learn's words for unknown names.

Two kinds of method live in :data:`METHODS`:

* **gradient providers** (``kind="gradient"``) compute ``value_and_grad`` and
  ``input_grad`` on a :class:`~gradmethods.Network`; gradient descent trains with
  any of them.  They subclass :class:`gradmethods.gradients.base.ProviderBase`;
* **trainers** (``kind="trainer"``) train a network themselves, without handing a
  gradient to gradient descent (the genetic algorithm).

Each entry carries the facts the rest of the package reads (:class:`MethodInfo`):
family, exactness, the gradient tolerance, the plot style and ``supports(net)``; there
is no table keyed by built-in names elsewhere.  Built-in methods register themselves
with :func:`register_provider` / :func:`register_trainer` when their module is
imported.  Third-party packages add theirs through the entry-point group
``gradmethods.providers`` (each entry point loads a module or class that registers
itself); entry points are loaded lazily, the first time a name is looked up or the
registry is listed.
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from importlib.metadata import entry_points
from typing import Any, Generic, TypeVar

from .params import declared_parameters, validate_params

__all__ = [
    "Registry",
    "MethodInfo",
    "FAMILIES",
    "METHODS",
    "register_provider",
    "register_trainer",
    "get_provider",
    "get_method",
    "providers",
    "trainers",
    "methods",
]

T = TypeVar("T")


class Registry(Generic[T]):
    """A table of named items: methods, activations, costs or tasks.

    Parameters
    ----------
    argument : str
        The parameter name that error messages use (``"method"``, ``"activation"``...).
    load : callable, optional
        Called once, before the first lookup or listing (lazy registration of
        built-ins and entry points).

    Examples
    --------
    >>> colours = Registry("colour")
    >>> colours.register("red", "#ff0000")
    '#ff0000'
    >>> colours.get("red"), colours.names()
    ('#ff0000', ['red'])
    >>> colours.get("blue")
    Traceback (most recent call last):
    ...
    ValueError: The 'colour' parameter must be a str among ['red']. Got 'blue' instead.
    """

    def __init__(self, argument: str, *, load: Callable[[], None] | None = None) -> None:
        self.argument = argument
        self._items: dict[str, T] = {}
        self._load = load
        self._loaded = load is None

    def _ensure_loaded(self) -> None:
        if not self._loaded:
            self._loaded = True
            assert self._load is not None
            self._load()

    def register(self, name: str, item: T, *, same: Callable[[T, T], bool] | None = None) -> T:
        """Add ``item`` under ``name``; a second, different item under the same name is refused.

        ``same(old, new)`` decides whether re-registering is harmless (default: identity),
        so that re-importing a module does not raise.
        """
        if not isinstance(name, str) or not name:
            raise TypeError(f"A {self.argument} name must be a non-empty str. Got {name!r} instead.")
        if name in self._items:
            old = self._items[name]
            if not (same(old, item) if same is not None else old is item):
                raise ValueError(
                    f"{_article(self.argument)} {self.argument} named {name!r} is already registered ({old!r}); "
                    "choose another name"
                )
        self._items[name] = item
        return item

    def unregister(self, name: str) -> T:
        """Remove ``name`` and return what was registered under it."""
        if name not in self._items:
            raise KeyError(f"no {self.argument} named {name!r} is registered")
        return self._items.pop(name)

    def get(self, name: str, *, argument: str | None = None) -> T:
        """The item registered as ``name``; an unknown name raises a ValueError listing all names."""
        self._ensure_loaded()
        if not isinstance(name, str) or name not in self._items:
            raise ValueError(
                f"The {argument or self.argument!r} parameter must be a str among {sorted(self._items)}. "
                f"Got {name!r} instead."
            )
        return self._items[name]

    def names(self) -> list[str]:
        """Registered names, in registration order."""
        self._ensure_loaded()
        return list(self._items)

    def items(self) -> list[tuple[str, T]]:
        self._ensure_loaded()
        return list(self._items.items())

    def __contains__(self, name: object) -> bool:
        self._ensure_loaded()
        return name in self._items

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())

    def __len__(self) -> int:
        return len(self.names())

    def __repr__(self) -> str:
        return f"Registry({self.argument!r}, names={list(self._items)})"


def _article(noun: str) -> str:
    return "an" if noun[:1].lower() in "aeiou" else "a"


# --------------------------------------------------------------------------- methods

ENTRY_POINT_GROUP = "gradmethods.providers"
_BUILTIN_MODULES = ("gradmethods.gradients", "gradmethods.training.trainers")
KINDS = ("gradient", "trainer")
#: The families of methods, from exact to gradient-free.
FAMILIES = ("reverse_mode", "forward_mode", "numerical", "stochastic", "gradient_free")


@dataclass(frozen=True)
class MethodInfo:
    """A registry entry: the method's name, kind, the class that implements it, and its facts.

    The facts are read from the class (see :class:`gradmethods.gradients.base.ProviderBase`):
    ``family``, ``exact``, ``stochastic``, ``tolerance`` and ``style``; :meth:`supports` and
    :meth:`unsupported_reason` ask a default instance.
    """

    name: str
    kind: str  # "gradient" or "trainer"
    factory: Callable[..., Any]

    @property
    def gives_gradient(self) -> bool:
        return self.kind == "gradient"

    @property
    def parameters(self) -> dict[str, list]:
        """The method's settings and their constraints (see :func:`gradmethods.core.params.declared_parameters`)."""
        return declared_parameters(self.factory)

    @property
    def family(self) -> str:
        """``reverse_mode``, ``forward_mode``, ``numerical``, ``stochastic`` or ``gradient_free``."""
        return self.factory.family

    @property
    def exact(self) -> bool:
        """Whether the gradient is exact to rounding (trainers: False)."""
        return bool(getattr(self.factory, "exact", False))

    @property
    def stochastic(self) -> bool:
        """Whether the method draws random numbers: its calls need ``rng=`` (trainers: False)."""
        return bool(getattr(self.factory, "stochastic", False)) if self.gives_gradient else False

    @property
    def tolerance(self) -> float | None:
        """The relative gradient error the method promises in float64 (trainers: None)."""
        return getattr(self.factory, "tolerance", None)

    @property
    def style(self) -> tuple[str, str, str] | None:
        """``(color, marker, linestyle)`` for figures, or None for one derived from the name."""
        return getattr(self.factory, "style", None)

    @property
    def missing_requirement(self) -> str | None:
        """Why the method cannot run on this installation, or ``None``.

        A class may declare ``requires``, a mapping of importable module names to the
        command that installs them (e.g. ``{"cma": "pip install 'gradmethods[cma]'"}``);
        the first module that cannot be found is named here.  ``methods = "all"`` in a
        suite leaves such methods out and says so.
        """
        for module, install in dict(getattr(self.factory, "requires", {}) or {}).items():
            if importlib.util.find_spec(module) is None:
                return f"method {self.name!r} needs the optional package {module}, which is not installed; {install}"
        return None

    def unsupported_reason(self, net: Any, **options: Any) -> str | None:
        """Why the method (with ``options``) cannot handle ``net``, or ``None``."""
        check = getattr(self.factory(**options), "unsupported_reason", None)
        return check(net) if check is not None else None

    def supports(self, net: Any, **options: Any) -> bool:
        return self.unsupported_reason(net, **options) is None


def _load_methods() -> None:
    for module in _BUILTIN_MODULES:
        importlib.import_module(module)
    for entry_point in entry_points(group=ENTRY_POINT_GROUP):
        entry_point.load()


#: Every method, gradient providers and trainers, by name.
METHODS: Registry[MethodInfo] = Registry("method", load=_load_methods)



def _register(name: str, kind: str) -> Callable:
    def decorator(cls):
        problems = _method_problems(cls, kind)
        if problems:
            raise TypeError(f"cannot register {name!r}: " + "; ".join(problems) + ".")
        METHODS.register(name, MethodInfo(name, kind, cls), same=lambda old, new: old.factory is new.factory)
        cls.name = name
        return cls

    return decorator


def _method_problems(cls: Any, kind: str) -> list[str]:
    if kind == "gradient":
        from ..gradients.base import contract_problems  # the contract lives with the providers

        return contract_problems(cls)
    problems = []
    if not callable(getattr(cls, "fit", None)):
        problems.append(
            f"{getattr(cls, '__name__', cls)!r} has no fit() method (see gradmethods.training.trainers.Trainer)"
        )
    if getattr(cls, "family", None) not in FAMILIES:
        problems.append(
            f"{getattr(cls, '__name__', cls)}.family must be one of {list(FAMILIES)}; "
            f"got {getattr(cls, 'family', None)!r}"
        )
    return problems


def register_provider(name: str) -> Callable:
    """Class decorator registering a gradient provider under ``name``.

    The class must subclass :class:`gradmethods.gradients.base.ProviderBase`, implement
    its arithmetic (``compute_value_and_grad``, ``compute_input_grad``) and declare its
    work (``value_and_grad_work``, ``input_grad_work``) and facts (``family``,
    ``exact``, ``tolerance``); a class that leaves one out is refused with a TypeError
    that names what to add.
    """
    return _register(name, "gradient")


def register_trainer(name: str) -> Callable:
    """Class decorator registering a trainer (a method with a ``fit``) under ``name``."""
    return _register(name, "trainer")


def get_method(name: str) -> MethodInfo:
    """The registry entry for ``name``; unknown names raise a ValueError listing all names."""
    return METHODS.get(name)


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
    return info.factory(**validate_params(options, info.parameters, owner=f"method {name!r}"))


def _ordered() -> list[MethodInfo]:
    """Registered methods by family (exact to gradient-free), then name: independent of import order."""
    return sorted((info for _, info in METHODS.items()), key=lambda info: (FAMILIES.index(info.family), info.name))


def providers() -> list[str]:
    """Names of the registered gradient providers, by family, then name."""
    return [info.name for info in _ordered() if info.gives_gradient]


def trainers() -> list[str]:
    """Names of the registered trainers, by family, then name."""
    return [info.name for info in _ordered() if not info.gives_gradient]


def methods() -> dict[str, str]:
    """Every registered method name mapped to its kind (``"gradient"`` or ``"trainer"``), by family, then name."""
    return {info.name: info.kind for info in _ordered()}
