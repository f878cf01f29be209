"""Constraints judging many items at once give the item-by-item answers."""

import itertools
from numbers import Integral, Real

import numpy as np
import pytest

from gradmethods.core.params import Interval, ListOf

INTERVALS = [
    Interval(int, 0, None),
    Interval(int, 1, 5, closed="neither"),
    Interval(int, None, 3, closed="left"),
    Interval(Real, 0, 1, closed="left"),
    Interval(Real, -1.5, 2.0, closed="right"),
    Interval(Real, None, None),
]

SEQUENCES = [
    [], [0], [0, 1, 2], [5, 1], [-1, 3], [1, 5], [3], [2**40, 7], [2**70, 1], [-(2**70)],
    [0.0], [0.5, 1.0], [1.0], [-1.5, 2.0], [float("nan")], [float("inf"), 0], [True], [False, 1], [1, "2"],
    [np.int64(3), 4], [np.float32(0.25)], (1, 2), (0.5,),
    range(0), range(10_000), range(1, 5), range(5, 0, -1), range(-3, 2), range(2**70, 2**70 + 3),
    np.array([], dtype=np.int64), np.array([4, 5], dtype=np.int64), np.array([4, 5], dtype=np.uint32),
    np.array([-1]), np.array([0.25, 0.75]), np.array([np.nan]), np.array([1.0, np.inf]), np.array([True]),
    np.arange(10_000, dtype=np.uint64),
]  # fmt: skip


def _item_by_item(constraint, values):
    return all(constraint.is_satisfied_by(value) for value in values)


@pytest.mark.parametrize(("interval", "values"), list(itertools.product(INTERVALS, SEQUENCES)))
def test_all_satisfied_by_is_the_item_by_item_answer(interval, values):
    expected = _item_by_item(interval, values)
    assert interval.all_satisfied_by(values) is expected
    if expected:
        converted = interval.convert_each(values)
        assert converted == [interval.convert(value) for value in values]
        wanted = int if interval.type is Integral else float
        assert all(type(value) is wanted for value in converted)


def test_a_list_of_ten_thousand_seeds_is_judged_and_converted_like_its_items():
    seeds = ListOf(Interval(int, 0, None), min_length=1, noun="seed")
    for values in (list(range(10_000)), np.arange(10_000), range(10_000)):
        assert seeds.is_satisfied_by(values)
        assert seeds.convert(values) == list(range(10_000))
    assert not seeds.is_satisfied_by([*range(10_000), -1])
    assert not seeds.is_satisfied_by(np.arange(-1, 9_999))
