"""Declarative parameter constraints: what each constraint allows, and the one message writer."""

from __future__ import annotations

import doctest
import time

import numpy as np
import pytest

from gradmethods.core import params
from gradmethods.core.params import (
    ArrayLike,
    Boolean,
    FloatDType,
    InstanceOf,
    Integral,
    Interval,
    InvalidParameterError,
    ListOf,
    Options,
    ParameterError,
    Real,
    Text,
    declared_parameters,
    describe,
    parameter_problems,
    short_repr,
    validate,
    validate_params,
)


def test_doctests():
    assert doctest.testmod(params).failed == 0


def test_the_type_error_is_both_a_type_error_and_a_value_error():
    assert issubclass(InvalidParameterError, TypeError) and issubclass(InvalidParameterError, ValueError)
    assert issubclass(ParameterError, ValueError) and not issubclass(ParameterError, TypeError)
    with pytest.raises(TypeError):
        validate("chunk_size", "8", [Interval(int, 1, None)])
    with pytest.raises(ValueError):
        validate("chunk_size", "8", [Interval(int, 1, None)])


# ---------------------------------------------------------------------------- intervals


@pytest.mark.parametrize(
    ("closed", "text", "inside", "outside"),
    [
        ("both", "[0, 1]", [0, 0.5, 1], [-0.1, 1.1]),
        ("left", "[0, 1)", [0, 0.999], [1, -1e-12]),
        ("right", "(0, 1]", [1, 1e-300], [0, 1.5]),
        ("neither", "(0, 1)", [0.5], [0, 1]),
    ],
)
def test_interval_bounds(closed, text, inside, outside):
    interval = Interval(Real, 0, 1, closed=closed)
    assert str(interval) == f"a float in the range {text}"
    assert all(interval.is_satisfied_by(value) for value in inside)
    assert not any(interval.is_satisfied_by(value) for value in outside)


def test_an_open_end_is_infinite_and_excludes_infinity_and_nan():
    positive = Interval(Real, 0, None, closed="neither")
    assert str(positive) == "a float in the range (0, inf)"
    assert positive.is_satisfied_by(1e308) and positive.is_satisfied_by(np.float32(2))
    for value in (float("inf"), float("nan"), 0.0):
        assert not positive.is_satisfied_by(value)
    assert str(Interval(int, None, 3)) == "an int in the range (-inf, 3]"


def test_ints_and_reals_are_distinct():
    count = Interval(Integral, 1, None)
    assert count.is_satisfied_by(3) and count.is_satisfied_by(np.int64(3)) and count.is_satisfied_by(10**400)
    assert not count.accepts_type(3.0) and not count.accepts_type(True) and not count.accepts_type(np.bool_(True))
    real = Interval(Real, 0, None)
    assert real.accepts_type(3) and real.accepts_type(np.float32(0.5)) and not real.accepts_type(False)
    assert not real.accepts_type("0.5") and not real.accepts_type(1j)
    assert type(validate("n", np.int64(3), [count])) is int and type(validate("x", 2, [real])) is float


def test_an_interval_is_declared_sensibly():
    with pytest.raises(ValueError, match="low must be <= high"):
        Interval(Real, 1, 0)
    with pytest.raises(ValueError, match="closed"):
        Interval(Real, 0, 1, closed="open")
    with pytest.raises(TypeError, match="Integral"):
        Interval(str, 0, 1)
    with pytest.raises(TypeError, match="bounds"):
        Interval(int, 0.5, None)
    with pytest.raises(ValueError, match="None for no bound"):
        Interval(Real, 0, float("inf"))


# ---------------------------------------------------------------------------- the other constraints


def test_options_booleans_text_and_dtypes():
    init = Options("random", "post")
    assert init.is_satisfied_by("post") and not init.is_satisfied_by("zeros") and not init.accepts_type(1)
    assert str(init) == "a str among ['post', 'random']"
    assert Boolean().is_satisfied_by(np.bool_(False)) and not Boolean().accepts_type(0)
    assert validate("fast", np.bool_(True), [Boolean()]) is True
    assert Text(min_length=1).is_satisfied_by("x") and not Text(min_length=1).is_satisfied_by("")
    dtype = FloatDType()
    assert validate("dtype", "f4", [dtype]) == np.dtype("float32") and dtype.is_satisfied_by(np.float64)
    assert not dtype.is_satisfied_by("float16") and not dtype.is_satisfied_by("no such dtype")
    assert not dtype.accepts_type(3)


def test_array_likes_sequences_and_instances():
    assert ArrayLike().is_satisfied_by(np.zeros(3)) and ArrayLike().is_satisfied_by((1, 2))
    assert not ArrayLike().accepts_type("12") and not ArrayLike().accepts_type({1: 2})
    seeds = ListOf(Interval(int, 0, None), min_length=1, noun="seed")
    assert seeds.is_satisfied_by(range(3)) and seeds.is_satisfied_by(np.arange(3))
    assert not seeds.is_satisfied_by([]) and not seeds.is_satisfied_by([1, -1]) and not seeds.accepts_type("12")
    assert not seeds.accepts_type(np.zeros((2, 2)))
    assert validate("seeds", np.array([1, 2]), [seeds]) == [1, 2]
    assert str(ListOf(Boolean(), min_length=2)) == "a sequence of bools (at least 2 items)"
    generator = InstanceOf(np.random.Generator, "a numpy.random.Generator")
    assert generator.is_satisfied_by(np.random.default_rng(0)) and not generator.accepts_type(0)


def test_none_and_an_empty_list():
    assert validate("chunk_size", None, [Interval(int, 1, None), None]) is None
    with pytest.raises(InvalidParameterError, match="must be an int in the range \\[1, inf\\)\\. Got None instead"):
        validate("chunk_size", None, [Interval(int, 1, None)])
    assert validate("anything", {"a": 1}, []) == {"a": 1}  # undeclared: no constraint
    assert describe([Options("a"), ArrayLike(), None]) == "a str among ['a'], an array-like or None"
    with pytest.raises(TypeError, match="Constraint or None"):
        validate("x", 1, [int])


# ---------------------------------------------------------------------------- messages


@pytest.mark.parametrize(
    ("value", "constraints", "error", "message"),
    [
        (0, [Interval(int, 1, None), None], ParameterError,
         "The 'p' parameter must be an int in the range [1, inf) or None. Got 0 instead."),
        (2.5, [Interval(int, 1, None)], InvalidParameterError,
         "The 'p' parameter must be an int in the range [1, inf). Got 2.5 (float) instead."),
        ("fast", [Options("post", "random"), ArrayLike(), None], ParameterError,
         "The 'p' parameter must be a str among ['post', 'random'], an array-like or None. Got 'fast' instead."),
        (1, [Boolean()], InvalidParameterError, "The 'p' parameter must be a bool. Got 1 (int) instead."),
        (1.0, [Interval(Real, 0, 1, closed="left")], ParameterError,
         "The 'p' parameter must be a float in the range [0, 1). Got 1.0 instead."),
        (float("nan"), [Interval(Real, 0, 1)], ParameterError,
         "The 'p' parameter must be a float in the range [0, 1]. Got nan instead."),
    ],
)
def test_messages_name_the_parameter_the_value_and_what_is_allowed(value, constraints, error, message):
    with pytest.raises(error) as info:
        validate("p", value, constraints)
    assert str(info.value) == message
    assert info.value.parameter == "p" and info.value.value is value
    assert message == f"The 'p' parameter {info.value.reason}"


def test_a_note_says_why_a_range_is_what_it_is():
    with pytest.raises(ParameterError) as info:
        validate("elitism", 8, [Interval(int, 0, 7)], note="smaller than population_size=8")
    assert str(info.value) == (
        "The 'elitism' parameter must be an int in the range [0, 7] (smaller than population_size=8). Got 8 instead."
    )


def test_a_bad_item_of_a_sequence_is_named_by_its_index():
    seeds = [ListOf(Interval(int, 0, None), min_length=1, noun="seed"), None]
    with pytest.raises(ParameterError) as info:
        validate("seeds", [1, 2, -3, -4], seeds)
    assert str(info.value) == "The 'seeds[2]' parameter must be an int in the range [0, inf). Got -3 instead."
    with pytest.raises(InvalidParameterError, match=r"'seeds\[1\]'.*Got 2\.0 \(float\)"):
        validate("seeds", [1, 2.0], seeds)
    with pytest.raises(ParameterError, match=r"at least one seed\) or None\. Got \[\] instead"):
        validate("seeds", [], seeds)


def test_long_values_are_shortened():
    huge = list(range(1_500_000))
    start = time.perf_counter()
    with pytest.raises(InvalidParameterError) as info:
        validate("lr", huge, [Interval(Real, 0, None, closed="neither")])
    assert time.perf_counter() - start < 1.0
    message = str(info.value)
    assert message == (
        "The 'lr' parameter must be a float in the range (0, inf). Got [0, 1, 2, 3, 4, 5, ...] (1500000 items) "
        "(list) instead."
    )
    assert "1499999" not in message and len(message) < 200
    long_text = "x" * 10_000
    assert len(short_repr(long_text)) <= 60 and short_repr(long_text).startswith("'xxx")
    assert short_repr(np.zeros((1000, 1000))) == "array(shape=(1000, 1000), dtype=float64)"
    assert short_repr(np.array([1.0, 2.0])) == "array([1., 2.])"
    assert short_repr({"k": list(range(100))}).startswith("{'k': [0, 1, 2, 3, 4, 5, ...]}")


# ---------------------------------------------------------------------------- tables


TABLE = {
    "population_size": [Interval(int, 2, None)],
    "rate": [Interval(Real, 0, 1)],
    "selection": [Options("rank", "tournament")],
}


def test_a_table_lists_every_problem_or_raises_the_first():
    values = {"population_size": 1, "rate": "high", "selection": "rank", "popsize": 3}
    problems = parameter_problems(values, TABLE, owner="method 'genetic'")
    assert [(type(p), p.parameter) for p in problems] == [
        (ParameterError, "population_size"), (InvalidParameterError, "rate"), (InvalidParameterError, "popsize"),
    ]
    assert problems[2].reason == (
        "method 'genetic' has no setting 'popsize'; its settings are ['population_size', 'rate', 'selection']."
    )
    with pytest.raises(ParameterError, match="'population_size'"):
        validate_params(values, TABLE)
    assert validate_params({"population_size": np.int32(4), "rate": 1}, TABLE) == {"population_size": 4, "rate": 1.0}
    assert parameter_problems({"x": 1}, {}, owner="method 'backprop'")[0].reason == (
        "method 'backprop' has no setting 'x'; it takes no settings."
    )


def test_declared_parameters_come_from_the_class_and_its_constructor():
    class Declares:
        parameters = {"step": [Interval(Real, 0, None, closed="neither"), None]}

        def __init__(self, step=None, *, verbose=False, **extra):
            pass

    declared = declared_parameters(Declares)
    assert set(declared) == {"step", "verbose"}
    assert declared["verbose"] == [] and len(declared["step"]) == 2

    class Nothing:
        pass

    assert declared_parameters(Nothing) == {}
