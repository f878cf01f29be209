"""sum_last_axis gives numpy's ``sum(axis=-1)`` bit for bit."""

import numpy as np
import pytest

from gradmethods.core.reductions import sum_last_axis


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize(
    "shape", [(2,), (1,), (5, 2), (7, 1), (300, 4, 2), (300, 4, 1), (3, 9400 // 3, 2), (6, 3), (4, 9)]
)
def test_equals_numpy_sum_bit_for_bit(shape, dtype):
    rng = np.random.default_rng(sum(shape))
    values = (rng.standard_normal(shape) * 10.0 ** rng.integers(-8, 8, shape)).astype(dtype)
    values.flat[::7] = -0.0  # signed zeros keep their sign as in numpy's sum
    expected = values.sum(axis=-1)
    got = sum_last_axis(values)
    assert np.asarray(got).dtype == np.asarray(expected).dtype
    assert np.asarray(got).shape == np.asarray(expected).shape
    assert np.array_equal(np.asarray(got), np.asarray(expected))
    assert np.array_equal(np.signbit(got), np.signbit(expected))


def test_non_finite_and_other_types():
    values = np.array([[np.inf, -np.inf], [np.nan, 1.0], [1e308, 1e308], [-0.0, -0.0], [0.0, -0.0]])
    assert np.array_equal(sum_last_axis(values), values.sum(axis=-1), equal_nan=True)
    assert not np.signbit(sum_last_axis(values)[3:]).any()
    complex_values = np.array([[1 + 2j, -0.0 - 0.0j]])
    assert np.array_equal(sum_last_axis(complex_values), complex_values.sum(axis=-1))
    assert sum_last_axis(np.arange(6).reshape(3, 2)).tolist() == [1, 5, 9]
