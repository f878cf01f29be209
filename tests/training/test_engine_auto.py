"""engine="auto": the compiled kernel for small steps, numpy's matrix products for large ones."""

import pytest

import gradmethods as gm
from gradmethods.gradients.backprop import Backprop
from gradmethods.training.trainers.gradient_descent import AUTO_KERNEL_MAX_MULTIPLY_ADDS, GradientDescent

pytest.importorskip("numba")


def test_auto_gives_the_kernel_steps_of_at_most_the_limits_multiply_adds():
    net = gm.Network([2, 3, 1])  # 2*3 + 3*1 = 9 multiply-adds per pattern
    trainer = GradientDescent(Backprop(), lr=0.5)
    most = AUTO_KERNEL_MAX_MULTIPLY_ADDS // 9
    assert trainer.resolve_engine(net, "float64", most) == "numba"
    assert trainer.resolve_engine(net, "float64", most + 1) == "numpy"
    assert GradientDescent(Backprop(), lr=0.5, engine="numba").resolve_engine(net, "float64", most + 1) == "numba"


def test_digits_trains_on_numpy_and_or_and_on_the_kernel_by_default():
    assert gm.train("digits", seed=0, iterations=2).settings["engine"] == "numpy"  # 1438 * (64*32 + 32*10)
    assert gm.train("or_and", seed=0, iterations=2).settings["engine"] == "numba"
    assert gm.train("digits", seed=0, iterations=2, engine="numba").settings["engine"] == "numba"
