import numpy as np
import pytest

import gradmethods as gm


def test_the_posts_examples_and_xor_are_registered():
    assert {"example1", "not", "example3", "or_and", "example4", "xor"} <= set(gm.tasks())


@pytest.mark.parametrize(
    "name, sizes, lr, iterations",
    [
        ("example1", (1, 1), 0.5, 10_000),
        ("not", (1, 1), 0.5, 100_000),
        ("example3", (2, 2), 0.5, 20_000),
        ("or_and", (2, 2), 0.5, 520_000),
        ("example4", (2, 2, 2), 0.5, 5_000),
    ],
)
def test_post_settings(name, sizes, lr, iterations):
    task = gm.get_task(name)
    assert (task.layer_sizes, task.lr, task.iterations) == (sizes, lr, iterations)
    assert task.X.shape == (task.Y.shape[0], sizes[0]) and task.Y.shape[1] == sizes[-1]
    assert task.post_params().shape == (task.network().n_params,)


def test_or_and_targets():
    task = gm.get_task("or_and")
    x0, x1 = task.X.T
    np.testing.assert_array_equal(task.Y[:, 0], np.logical_or(x0, x1))
    np.testing.assert_array_equal(task.Y[:, 1], np.logical_and(x0, x1))


def test_overrides_replace_fields_and_drop_post_weights_that_no_longer_fit():
    task = gm.get_task("example4", layer_sizes=[2, 3, 2], lr=0.1)
    assert task.layer_sizes == (2, 3, 2) and task.lr == 0.1 and not task.has_post_init
    assert gm.get_task("example4", lr=0.1).has_post_init


def test_random_params_come_from_the_generator():
    task = gm.get_task("xor")
    a = task.random_params(np.random.default_rng(5), size=4)
    np.testing.assert_array_equal(a, task.random_params(np.random.default_rng(5), size=4))
    assert a.shape == (4, 9)


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: gm.get_task("nand"), "'task'.*example1"),
        (lambda: gm.get_task("xor", hidden=3), "'task override'"),
        (lambda: gm.get_task("xor", activation="sigmod"), "'activation'"),
    ],
)
def test_bad_task_requests(call, message):
    with pytest.raises(ValueError, match=message):
        call()
