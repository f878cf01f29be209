"""The compiled path's serial kernel (few runs) against its lane kernel (many runs) and numpy."""

import dataclasses

import numpy as np
import pytest

import gradmethods as gm

CASES = [
    ("or_and", {}, None),
    ("or_and", {"cost": "cross_entropy"}, 0.05),
    ("xor", {"layer_sizes": (2, 3, 3, 1), "activation": ("tanh", "relu", "sigmoid")}, 0.05),
    ("or_and", {"activation": "identity"}, None),
]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("name, overrides, target", CASES)
def test_the_serial_kernel_gives_the_lane_kernels_numbers_bit_for_bit(monkeypatch, name, overrides, target, dtype):
    pytest.importorskip("numba")
    from gradmethods.training import compiled

    task = dataclasses.replace(gm.get_task(name), **overrides)
    lr = [0.5, 2.0, 40.0] if overrides.get("activation") == "identity" else 0.5  # identity at lr 40 diverges
    kwargs = dict(seeds=range(3), lr=lr, momentum=0.5, iterations=700, init="random", dtype=dtype, target=target,
                  engine="numba")  # fmt: skip
    monkeypatch.setattr(compiled, "SERIAL_BELOW", 10**9)
    serial = gm.train(task, **kwargs)
    monkeypatch.setattr(compiled, "SERIAL_BELOW", 0)
    lanes = gm.train(task, **kwargs)
    for a, b in zip(serial, lanes):
        assert a.outcome == b.outcome and len(a.history) == len(b.history)
        np.testing.assert_array_equal(a.params, b.params)
        np.testing.assert_array_equal(a.history["cost"].to_numpy(), b.history["cost"].to_numpy())
        np.testing.assert_array_equal(a.history["error"].to_numpy(), b.history["error"].to_numpy())
    if overrides.get("activation") == "identity":
        assert gm.Outcome.DIVERGED in {run.outcome for run in serial}  # the stop on non-finite numbers, too


def test_one_compiled_run_gives_the_numpy_numbers_to_rounding():
    pytest.importorskip("numba")
    kwargs = dict(seed=4, iterations=2_000, init="random", momentum=0.9)
    fast, reference = gm.train("or_and", engine="numba", **kwargs), gm.train("or_and", engine="numpy", **kwargs)
    np.testing.assert_allclose(fast.params, reference.params, rtol=1e-10)
    np.testing.assert_allclose(fast.history["cost"], reference.history["cost"], rtol=1e-10)
