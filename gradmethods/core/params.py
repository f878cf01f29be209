"""Declarative parameter constraints: each setting's allowed values, declared once, as data.

In the style of scikit-learn's ``sklearn.utils._param_validation``: a method, a trainer
or a function declares its parameters in a table that maps each name to a list of
constraints, ::

    parameters = {"chunk_size": [Interval(Integral, 1, None), None]}

and :func:`validate` / :func:`validate_params` check values against it.  A value is
valid when it satisfies *any* constraint of its list; ``None`` in the list allows
``None``, and an empty list allows any value.  The constraints are small classes:
:class:`Interval` (ints or floats in a range), :class:`Options` (strings among
choices), :class:`Boolean`, :class:`Text`, :class:`FloatDType`, :class:`ArrayLike`,
:class:`ListOf` (a sequence whose items satisfy a constraint) and :class:`InstanceOf`.

One function writes every message.  It names the parameter, shows the value (shortened,
see :func:`short_repr`, so that a long list never prints in full) and says what is
allowed::

    The 'chunk_size' parameter must be an int in the range [1, inf) or None. Got 0 instead.

A value whose *type* no constraint accepts raises :class:`InvalidParameterError`, which
is both a ``TypeError`` and a ``ValueError``; a value of an accepted type outside what is
allowed raises :class:`ParameterError`, a ``ValueError``.  Experiment suites read the
same tables through :func:`parameter_problems`, which lists every problem instead of
raising the first, so a setting is checked the same way from Python and from a suite
file.
"""

from __future__ import annotations

import inspect
import math
import reprlib
from collections.abc import Iterable, Mapping, Sequence
from numbers import Integral, Real
from typing import Any

import numpy as np

__all__ = [
    "ParameterError",
    "InvalidParameterError",
    "Constraint",
    "Interval",
    "Options",
    "Boolean",
    "Text",
    "FloatDType",
    "ArrayLike",
    "ListOf",
    "InstanceOf",
    "Integral",
    "Real",
    "validate",
    "validate_params",
    "parameter_problems",
    "declared_parameters",
    "describe",
    "short_repr",
]


# --------------------------------------------------------------------------------------------- errors


class ParameterError(ValueError):
    """A parameter's value is outside what its constraints allow.

    Attributes
    ----------
    parameter : str
        The parameter's name (``"seeds[1]"`` for an item of a sequence).
    value : object
        The value given.
    reason : str
        The message without the parameter's name: ``"must be ... Got ... instead."``
        (what a suite file prints after the setting's path).
    """

    def __init__(self, parameter: str, value: Any, reason: str, message: str | None = None) -> None:
        self.parameter = parameter
        self.value = value
        self.reason = reason
        super().__init__(message if message is not None else f"The {parameter!r} parameter {reason}")


class InvalidParameterError(ParameterError, TypeError):
    """A parameter's value has a type that none of its constraints accepts, or an unknown name.

    Both a ``ValueError`` and a ``TypeError``: ``except ValueError`` catches it as it
    catches every :class:`ParameterError`, and so does ``except TypeError``.
    """


# --------------------------------------------------------------------------------------------- values in messages

_SHORT = reprlib.Repr()
_SHORT.maxlist = _SHORT.maxtuple = _SHORT.maxset = _SHORT.maxfrozenset = _SHORT.maxdict = 6
_SHORT.maxstring = 60
_SHORT.maxother = 60
_SHORT.maxlevel = 3
_ARRAY_ITEMS_SHOWN = 6


def short_repr(value: Any) -> str:
    """The ``repr`` of ``value``, shortened for messages (reprlib-style).

    Lists, tuples, dicts and sets show their first few items, long strings their ends,
    and an array with many elements its shape and dtype; so the repr of a value of any
    size stays short and is computed from a few of its items only.

    Examples
    --------
    >>> short_repr(list(range(1_500_000)))
    '[0, 1, 2, 3, 4, 5, ...] (1500000 items)'
    >>> short_repr(0.5)
    '0.5'
    >>> import numpy as np
    >>> short_repr(np.zeros((1000, 3)))
    'array(shape=(1000, 3), dtype=float64)'
    """
    if isinstance(value, np.ndarray):
        if value.size <= _ARRAY_ITEMS_SHOWN:
            return repr(value)
        return f"array(shape={value.shape}, dtype={value.dtype})"
    text = _SHORT.repr(value)
    if isinstance(value, (list, tuple, dict, set, frozenset)) and len(value) > _ARRAY_ITEMS_SHOWN:
        text += f" ({len(value)} items)"
    return text


def _join_or(parts: Sequence[str]) -> str:
    if len(parts) <= 1:
        return "".join(parts)
    return ", ".join(parts[:-1]) + " or " + parts[-1]


def _number(value: float) -> str:
    return str(value) if isinstance(value, Integral) else f"{value:g}"


# --------------------------------------------------------------------------------------------- constraints


class Constraint:
    """A set of allowed values.

    A subclass says which values have the right type (:meth:`accepts_type`; a value of
    another type is a type error), which of those are allowed (:meth:`is_satisfied_by`),
    how an allowed value is normalised (:meth:`convert`), and describes the set in
    words (:meth:`describe`, :meth:`describe_plural`).
    """

    def accepts_type(self, value: Any) -> bool:
        """Whether ``value`` has a type this constraint is about."""
        raise NotImplementedError

    def is_satisfied_by(self, value: Any) -> bool:
        """Whether ``value`` is allowed."""
        raise NotImplementedError

    def convert(self, value: Any) -> Any:
        """An allowed value in its normal form (e.g. ``int`` for a numpy integer)."""
        return value

    def all_satisfied_by(self, values: Iterable[Any]) -> bool:
        """Whether every item of ``values`` is allowed (what :class:`ListOf` asks of its item).

        Subclasses may answer for many items at once (:class:`Interval` judges a number
        array or a list of plain numbers as one array); the answer is the item-by-item one.
        """
        return all(self.is_satisfied_by(value) for value in values)

    def convert_each(self, values: Iterable[Any]) -> list:
        """Every item of ``values`` (all allowed) in its normal form, as a list."""
        return [self.convert(value) for value in values]

    def describe(self) -> str:
        """The set in words, with an article: ``"an int in the range [1, inf)"``."""
        raise NotImplementedError

    def describe_plural(self) -> str:
        """The set in words, plural: ``"ints in the range [1, inf)"``."""
        raise NotImplementedError

    def __str__(self) -> str:
        return self.describe()

    def __repr__(self) -> str:
        return f"<{type(self).__name__}: {self.describe()}>"


class _NoneConstraint(Constraint):
    """``None`` (written ``None`` in a constraint list)."""

    def accepts_type(self, value: Any) -> bool:
        return value is None

    def is_satisfied_by(self, value: Any) -> bool:
        return value is None

    def describe(self) -> str:
        return "None"

    def describe_plural(self) -> str:
        return "None"


_CLOSED = ("both", "left", "right", "neither")


class Interval(Constraint):
    """Ints or floats in a range.

    Parameters
    ----------
    type : {numbers.Integral, numbers.Real} (or int, float)
        ``Integral``: ints (Python or numpy, not bool); ``Real``: any real number
        (ints too, not bool), finite.
    low, high : number or None
        The bounds; ``None`` for none (an open end at ``-inf`` / ``inf``).
    closed : {"both", "left", "right", "neither"}, default "both"
        Which finite bounds belong to the range.

    Examples
    --------
    >>> momentum = Interval(Real, 0, 1, closed="left")
    >>> momentum.is_satisfied_by(0.9), momentum.is_satisfied_by(1.0)
    (True, False)
    >>> str(momentum)
    'a float in the range [0, 1)'
    >>> str(Interval(int, 1, None))
    'an int in the range [1, inf)'
    """

    def __init__(self, type: type, low: float | None, high: float | None, *, closed: str = "both") -> None:
        if type is int:
            type = Integral
        elif type is float:
            type = Real
        if type not in (Integral, Real):
            raise TypeError(f"Interval type must be numbers.Integral or numbers.Real (or int, float). Got {type!r}.")
        if closed not in _CLOSED:
            raise ValueError(f"Interval closed must be one of {list(_CLOSED)}. Got {closed!r}.")
        for bound in (low, high):
            if bound is None:
                continue
            if isinstance(bound, bool) or not isinstance(bound, Integral if type is Integral else Real):
                raise TypeError(f"Interval bounds of {type.__name__} must be {type.__name__}s or None. Got {bound!r}.")
            if not math.isfinite(bound):
                raise ValueError("Interval bounds must be finite; use None for no bound.")
        if low is not None and high is not None and low > high:
            raise ValueError(f"Interval low must be <= high. Got low={low!r}, high={high!r}.")
        self.type = type
        self.low = low
        self.high = high
        self.closed = closed

    def accepts_type(self, value: Any) -> bool:
        return not isinstance(value, (bool, np.bool_)) and isinstance(value, self.type)

    def is_satisfied_by(self, value: Any) -> bool:
        if not self.accepts_type(value):
            return False
        if not isinstance(value, Integral) and not math.isfinite(value):  # nan, +-inf: outside every range
            return False
        if self.low is not None:
            if value < self.low or (value == self.low and self.closed in ("right", "neither")):
                return False
        if self.high is not None:
            if value > self.high or (value == self.high and self.closed in ("left", "neither")):
                return False
        return True

    def convert(self, value: Any) -> Any:
        return int(value) if self.type is Integral else float(value)

    def _extremes(self, values: Iterable[Any]) -> tuple | None:
        """The smallest and largest item, when every item plainly has this constraint's type; else None.

        A range holds every item if and only if it holds these two (``()`` for no items).
        Int arrays (and, for ``Real``, float arrays: a NaN is then the extreme), ranges, and
        lists or tuples of Python ints (and floats, for ``Real``): the items
        :meth:`is_satisfied_by` would accept by type, bools excluded. Anything else is left
        to the item-by-item check.
        """
        if isinstance(values, np.ndarray):
            if values.ndim != 1 or values.dtype.kind not in ("iu" if self.type is Integral else "iuf"):
                return None
            return (values.min(), values.max()) if values.size else ()
        if isinstance(values, range):
            return (min(values[0], values[-1]), max(values[0], values[-1])) if values else ()
        if not isinstance(values, (list, tuple)):
            return None
        types = set(map(type, values))
        if not types <= ({int} if self.type is Integral else {int, float}):
            return None
        if float in types:  # Python's min and max skip a NaN after the first item; numpy's return it
            as_floats = np.array(values, dtype=float)
            return as_floats.min(), as_floats.max()
        return (min(values), max(values)) if values else ()

    def all_satisfied_by(self, values: Iterable[Any]) -> bool:
        extremes = self._extremes(values)
        if extremes is None:
            return super().all_satisfied_by(values)
        return all(self.is_satisfied_by(value) for value in extremes)

    def convert_each(self, values: Iterable[Any]) -> list:
        if isinstance(values, np.ndarray) and values.ndim == 1 and values.dtype.kind in "iuf":
            return (values if self.type is Integral else values.astype(float)).tolist()
        if self.type is Integral and (
            isinstance(values, range) or (isinstance(values, (list, tuple)) and set(map(type, values)) <= {int})
        ):
            return list(values)  # plain ints are their own normal form
        return super().convert_each(values)

    def _range(self) -> str:
        left = "(" if self.low is None or self.closed in ("right", "neither") else "["
        right = ")" if self.high is None or self.closed in ("left", "neither") else "]"
        low = "-inf" if self.low is None else _number(self.low)
        high = "inf" if self.high is None else _number(self.high)
        return f"{left}{low}, {high}{right}"

    def describe(self) -> str:
        article = "an int" if self.type is Integral else "a float"
        return f"{article} in the range {self._range()}"

    def describe_plural(self) -> str:
        return f"{'ints' if self.type is Integral else 'floats'} in the range {self._range()}"


class Options(Constraint):
    """Strings among fixed choices.

    Examples
    --------
    >>> init = Options("post", "random")
    >>> init.is_satisfied_by("post"), init.is_satisfied_by("zeros"), init.accepts_type(3)
    (True, False, False)
    >>> str(init)
    "a str among ['post', 'random']"
    """

    def __init__(self, *choices: str) -> None:
        if not all(isinstance(choice, str) for choice in choices):
            raise TypeError(f"Options takes str choices. Got {choices!r}.")
        self.choices = tuple(choices)

    def accepts_type(self, value: Any) -> bool:
        return isinstance(value, str)

    def is_satisfied_by(self, value: Any) -> bool:
        return isinstance(value, str) and value in self.choices

    def convert(self, value: Any) -> str:
        return str(value)

    def describe(self) -> str:
        return f"a str among {sorted(self.choices)}"

    def describe_plural(self) -> str:
        return f"strs among {sorted(self.choices)}"


class Boolean(Constraint):
    """``True`` or ``False`` (a Python or numpy bool; not 0 or 1).

    Examples
    --------
    >>> Boolean().is_satisfied_by(True), Boolean().is_satisfied_by(1)
    (True, False)
    """

    def accepts_type(self, value: Any) -> bool:
        return isinstance(value, (bool, np.bool_))

    def is_satisfied_by(self, value: Any) -> bool:
        return self.accepts_type(value)

    def convert(self, value: Any) -> bool:
        return bool(value)

    def describe(self) -> str:
        return "a bool"

    def describe_plural(self) -> str:
        return "bools"


class Text(Constraint):
    """A string, optionally with a least length (``min_length=1``: non-empty).

    Examples
    --------
    >>> str(Text(min_length=1)), Text(min_length=1).is_satisfied_by("")
    ('a non-empty str', False)
    """

    def __init__(self, *, min_length: int = 0) -> None:
        self.min_length = min_length

    def accepts_type(self, value: Any) -> bool:
        return isinstance(value, str)

    def is_satisfied_by(self, value: Any) -> bool:
        return isinstance(value, str) and len(value) >= self.min_length

    def _length(self) -> str:
        if self.min_length == 0:
            return ""
        return " (non-empty)" if self.min_length == 1 else f" of at least {self.min_length} characters"

    def describe(self) -> str:
        return "a non-empty str" if self.min_length == 1 else f"a str{self._length()}"

    def describe_plural(self) -> str:
        return "non-empty strs" if self.min_length == 1 else f"strs{self._length()}"


class FloatDType(Constraint):
    """A real floating dtype among ``choices``, in any spelling numpy understands.

    Examples
    --------
    >>> import numpy as np
    >>> dtype = FloatDType()
    >>> dtype.convert("float32"), dtype.is_satisfied_by(np.float64), dtype.is_satisfied_by("float16")
    (dtype('float32'), True, False)
    """

    def __init__(self, *choices: str) -> None:
        self.choices = tuple(choices) or ("float32", "float64")
        self._dtypes = {np.dtype(choice) for choice in self.choices}

    def accepts_type(self, value: Any) -> bool:
        return isinstance(value, (str, np.dtype, type))

    def is_satisfied_by(self, value: Any) -> bool:
        if not self.accepts_type(value):
            return False
        try:
            return np.dtype(value) in self._dtypes
        except (TypeError, ValueError):
            return False

    def convert(self, value: Any) -> np.dtype:
        return np.dtype(value)

    def describe(self) -> str:
        return f"a dtype among {list(self.choices)}"

    def describe_plural(self) -> str:
        return f"dtypes among {list(self.choices)}"


class ArrayLike(Constraint):
    """An array, list or tuple (the caller checks its shape and values).

    Examples
    --------
    >>> ArrayLike().is_satisfied_by([0.1, 0.2]), ArrayLike().is_satisfied_by("0.1")
    (True, False)
    """

    def accepts_type(self, value: Any) -> bool:
        return isinstance(value, (np.ndarray, list, tuple))

    def is_satisfied_by(self, value: Any) -> bool:
        return self.accepts_type(value)

    def describe(self) -> str:
        return "an array-like"

    def describe_plural(self) -> str:
        return "array-likes"


class ListOf(Constraint):
    """A sequence (list, tuple, range or 1-d array) whose every item satisfies ``item``.

    Parameters
    ----------
    item : Constraint
    min_length : int, default 0
        Fewest items allowed.
    noun : str, optional
        What one item is, for the message about ``min_length`` ("seed": "at least one seed").

    Examples
    --------
    >>> seeds = ListOf(Interval(int, 0, None), min_length=1, noun="seed")
    >>> seeds.is_satisfied_by([1, 2]), seeds.is_satisfied_by([]), seeds.convert((3, 4))
    (True, False, [3, 4])
    >>> str(seeds)
    'a sequence of ints in the range [0, inf) (at least one seed)'
    """

    def __init__(self, item: Constraint, *, min_length: int = 0, noun: str | None = None) -> None:
        self.item = _as_constraint(item)
        self.min_length = min_length
        self.noun = noun

    def accepts_type(self, value: Any) -> bool:
        if isinstance(value, np.ndarray):
            return value.ndim == 1
        return isinstance(value, (list, tuple, range))

    def long_enough(self, value: Any) -> bool:
        return len(value) >= self.min_length

    def is_satisfied_by(self, value: Any) -> bool:
        return (
            self.accepts_type(value)
            and self.long_enough(value)
            and self.item.all_satisfied_by(value)
        )

    def convert(self, value: Any) -> list:
        return self.item.convert_each(value)

    def _length(self) -> str:
        if self.min_length == 0:
            return ""
        count = "one" if self.min_length == 1 else str(self.min_length)
        noun = self.noun or "item"
        return f" (at least {count} {noun}{'' if self.min_length == 1 else 's'})"

    def describe(self) -> str:
        return f"a sequence of {self.item.describe_plural()}{self._length()}"

    def describe_plural(self) -> str:
        return f"sequences of {self.item.describe_plural()}{self._length()}"


class InstanceOf(Constraint):
    """An instance of a class.

    Examples
    --------
    >>> import numpy as np
    >>> str(InstanceOf(np.random.Generator, "a numpy.random.Generator"))
    'a numpy.random.Generator'
    """

    def __init__(self, cls: type, description: str | None = None) -> None:
        self.cls = cls
        self.description = description or f"an instance of {cls.__module__}.{cls.__qualname__}"

    def accepts_type(self, value: Any) -> bool:
        return isinstance(value, self.cls)

    def is_satisfied_by(self, value: Any) -> bool:
        return isinstance(value, self.cls)

    def describe(self) -> str:
        return self.description

    def describe_plural(self) -> str:
        return f"{self.description} (each)"


def _as_constraint(constraint: Any) -> Constraint:
    if constraint is None:
        return _NoneConstraint()
    if isinstance(constraint, Constraint):
        return constraint
    raise TypeError(f"A parameter constraint must be a Constraint or None. Got {constraint!r}.")


def _as_constraints(constraints: Any) -> list[Constraint]:
    if constraints is None or isinstance(constraints, Constraint):
        constraints = [constraints]
    return [_as_constraint(constraint) for constraint in constraints]


def describe(constraints: Any) -> str:
    """What a constraint list allows, in words.

    Examples
    --------
    >>> describe([Interval(int, 1, None), None])
    'an int in the range [1, inf) or None'
    """
    return _join_or([constraint.describe() for constraint in _as_constraints(constraints)])


# --------------------------------------------------------------------------------------------- the validator


def _problem(parameter: str, value: Any, constraints: list[Constraint], note: str = "") -> ParameterError | None:
    """The problem of ``value`` against ``constraints`` (None if it satisfies one): the only message writer."""
    if not constraints or any(constraint.is_satisfied_by(value) for constraint in constraints):
        return None
    for constraint in constraints:  # a sequence of the right kind: name its first bad item
        if isinstance(constraint, ListOf) and constraint.accepts_type(value) and constraint.long_enough(value):
            for index, entry in enumerate(value):
                problem = _problem(f"{parameter}[{index}]", entry, [constraint.item])
                if problem is not None:
                    return problem
    wrong_type = not any(constraint.accepts_type(value) for constraint in constraints)
    shown = short_repr(value)
    if wrong_type and value is not None:
        shown += f" ({type(value).__name__})"
    allowed = describe(constraints) + (f" ({note})" if note else "")
    error = InvalidParameterError if wrong_type else ParameterError
    return error(parameter, value, f"must be {allowed}. Got {shown} instead.")


def _unknown(parameter: str, value: Any, owner: str, known: Sequence[str]) -> InvalidParameterError:
    settings = f"its settings are {sorted(known)}" if known else "it takes no settings"
    message = f"{owner or 'this call'} has no setting {parameter!r}; {settings}."
    return InvalidParameterError(parameter, value, message, message)


def validate(parameter: str, value: Any, constraints: Any, *, note: str = "") -> Any:
    """Return ``value`` (normalised) if it satisfies one of ``constraints``, else raise.

    Parameters
    ----------
    parameter : str
        The name the message uses.
    value : object
    constraints : list of Constraint or None
        The allowed values (one constraint alone is accepted too); an empty list allows
        anything.
    note : str, optional
        Why the range is what it is, added to the message in parentheses.

    Returns
    -------
    object
        ``value`` converted by the first constraint it satisfies: ``int`` / ``float``
        for an :class:`Interval`, a list for a :class:`ListOf`, a ``numpy.dtype`` for a
        :class:`FloatDType`; otherwise ``value`` itself.

    Raises
    ------
    InvalidParameterError
        If no constraint accepts the type of ``value`` (a TypeError and a ValueError).
    ParameterError
        If the type fits but the value is not allowed (a ValueError).

    Examples
    --------
    >>> validate("chunk_size", 8, [Interval(int, 1, None), None])
    8
    >>> validate("chunk_size", 0, [Interval(int, 1, None), None])
    Traceback (most recent call last):
    ...
    gradmethods.core.params.ParameterError: The 'chunk_size' parameter must be an int in the range [1, inf) or None. \
Got 0 instead.
    >>> validate("chunk_size", "8", [Interval(int, 1, None), None])
    Traceback (most recent call last):
    ...
    gradmethods.core.params.InvalidParameterError: The 'chunk_size' parameter must be an int in the range [1, inf) \
or None. Got '8' (str) instead.
    """
    checked = _as_constraints(constraints)
    problem = _problem(parameter, value, checked, note)
    if problem is not None:
        raise problem
    return _convert(value, checked)


def _convert(value: Any, constraints: list[Constraint]) -> Any:
    for constraint in constraints:
        if constraint.is_satisfied_by(value):
            return constraint.convert(value)
    return value


def parameter_problems(
    values: Mapping[str, Any], declared: Mapping[str, Any], *, owner: str = ""
) -> list[ParameterError]:
    """Every problem of ``values`` against the table ``declared``, without raising.

    A name missing from ``declared`` is a problem too (an :class:`InvalidParameterError`
    whose message lists the declared names; ``owner`` says whose settings they are, e.g.
    ``"method 'dual'"``).  Each problem's ``parameter`` is the name it is about and its
    ``reason`` the message to show after a path.

    Examples
    --------
    >>> table = {"lr": [Interval(float, 0, None, closed="neither")], "fast": [Boolean()]}
    >>> [str(p) for p in parameter_problems({"lr": -1.0, "fast": True, "fastest": 1}, table, owner="train")]
    ["The 'lr' parameter must be a float in the range (0, inf). Got -1.0 instead.", \
"train has no setting 'fastest'; its settings are ['fast', 'lr']."]
    """
    problems: list[ParameterError] = []
    for name, value in values.items():
        if name not in declared:
            problems.append(_unknown(name, value, owner, list(declared)))
            continue
        problem = _problem(name, value, _as_constraints(declared[name]))
        if problem is not None:
            problems.append(problem)
    return problems


def validate_params(values: Mapping[str, Any], declared: Mapping[str, Any], *, owner: str = "") -> dict[str, Any]:
    """Check every value of ``values`` against ``declared``; return them normalised.

    Raises the first of :func:`parameter_problems` (in the order of ``values``).

    Examples
    --------
    >>> table = {"population_size": [Interval(int, 2, None)], "selection": [Options("rank", "tournament")]}
    >>> validate_params({"population_size": 8, "selection": "rank"}, table)
    {'population_size': 8, 'selection': 'rank'}
    >>> validate_params({"population": 8}, table, owner="method 'genetic'")
    Traceback (most recent call last):
    ...
    gradmethods.core.params.InvalidParameterError: method 'genetic' has no setting 'population'; its settings are \
['population_size', 'selection'].
    """
    problems = parameter_problems(values, declared, owner=owner)
    if problems:
        raise problems[0]
    return {name: _convert(value, _as_constraints(declared[name])) for name, value in values.items()}


def declared_parameters(factory: Any) -> dict[str, list]:
    """The settings a method's class accepts, each with its constraints.

    The class attribute ``parameters`` (a table as above), plus any keyword argument of
    the constructor the table leaves out, with no constraint (an empty list: the
    constructor checks it itself).  So a class that declares its parameters gets them
    checked by :func:`gradmethods.train` and by suite files alike, and one that does not
    still has its settings' names known.

    Examples
    --------
    >>> class Method:
    ...     parameters = {"step": [Interval(float, 0, None, closed="neither"), None]}
    ...     def __init__(self, step=None, verbose=False): ...
    >>> sorted(declared_parameters(Method))
    ['step', 'verbose']
    >>> declared_parameters(Method)["verbose"]
    []
    """
    declared = {name: list(_as_constraints(constraints)) for name, constraints in
                dict(getattr(factory, "parameters", None) or {}).items()}  # fmt: skip
    try:
        signature = inspect.signature(factory)
    except (TypeError, ValueError):
        return declared
    for name, parameter in signature.parameters.items():
        keyword = parameter.kind in (parameter.POSITIONAL_OR_KEYWORD, parameter.KEYWORD_ONLY)
        if keyword and name not in declared:
            declared[name] = []
    return declared
