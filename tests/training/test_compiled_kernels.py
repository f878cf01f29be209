"""The compiled kernels' exponential and sigmoid against numpy/scipy, and the shape-specialised kernels
against the generic ones."""

import dataclasses
import math

import numpy as np
import pytest
from scipy import special

import gradmethods as gm

numba = pytest.importorskip("numba")

EXTREMES = [-1000.0, -746.0, -745.2, -745.0, -744.5, -740.0, -720.0, -709.0, -708.5, -708.4, -708.0, -700.0, -1.0,
            -1e-300, -0.0, 0.0, 1e-300, 0.5, 1.0, 700.0, 708.0, 709.0, 709.78, 709.782, 709.79, 710.0, 745.0, 1000.0,
            math.inf, -math.inf, math.nan]  # fmt: skip
TINY = 5e-324  # the smallest subnormal float64


def grid():
    rng = np.random.default_rng(0)
    return np.concatenate([EXTREMES, rng.uniform(-750.0, 750.0, 2000), rng.uniform(-30.0, 30.0, 2000)])


def test_the_kernels_exp_is_numpys_exp_over_the_whole_range():
    from gradmethods.training.compiled import _exp1

    x = grid()
    kernel = np.array([_exp1(value) for value in x])
    with np.errstate(over="ignore", under="ignore"):
        expected = np.exp(x)
    assert np.array_equal(np.isnan(kernel), np.isnan(x))
    assert not np.signbit(kernel[~np.isnan(x)]).any()  # no -0.0, no negative values
    assert np.array_equal(np.isinf(kernel), np.isinf(expected))
    finite = np.isfinite(expected)
    normal = finite & (expected >= np.finfo(np.float64).tiny)
    # 2 ulp where the result is a normal number; one subnormal ulp below that (0 below about -745.13)
    np.testing.assert_allclose(kernel[normal], expected[normal], rtol=4.5e-16, atol=0)
    np.testing.assert_allclose(kernel[finite & ~normal], expected[finite & ~normal], rtol=0, atol=TINY)
    assert _exp1(-1000.0) == 0.0 and _exp1(1000.0) == math.inf and _exp1(0.0) == 1.0
    assert _exp1(-math.inf) == 0.0 and _exp1(math.inf) == math.inf


def test_the_kernels_sigmoid_is_scipys_expit_over_the_whole_range():
    from gradmethods.training.compiled import _sigmoid1

    z = grid()
    kernel = np.array([_sigmoid1(value) for value in z])
    expected = special.expit(z)
    assert np.array_equal(np.isnan(kernel), np.isnan(z))
    ok = ~np.isnan(z)
    assert not np.signbit(kernel[ok]).any() and (kernel[ok] <= 1.0).all()
    normal = ok & (expected >= np.finfo(np.float64).tiny)
    np.testing.assert_allclose(kernel[normal], expected[normal], rtol=8.9e-16, atol=0)
    np.testing.assert_allclose(kernel[ok & ~normal], expected[ok & ~normal], rtol=0, atol=TINY)
    assert _sigmoid1(1000.0) == 1.0 and _sigmoid1(math.inf) == 1.0 and _sigmoid1(0.0) == 0.5
    assert _sigmoid1(-1000.0) == 0.0 and _sigmoid1(-math.inf) == 0.0
    assert _sigmoid1(-709.0) == pytest.approx(math.exp(-709.0), rel=1e-15)


F32_EXTREMES = [-1000.0, -200.0, -104.0, -103.98, -103.972, -103.97, -103.9, -100.0, -88.8, -88.73, -88.72, -87.5,
                -87.3, -1.0, -1e-30, -0.0, 0.0, 1e-30, 0.5, 1.0, 87.0, 88.5, 88.72, 88.7228, 88.72283, 88.72284, 88.73,
                89.0, 104.0, 1000.0, math.inf, -math.inf, math.nan]  # fmt: skip
F32_TINY = float(np.finfo(np.float32).smallest_subnormal)


def float32_grid():
    rng = np.random.default_rng(1)
    values = np.concatenate([F32_EXTREMES, rng.uniform(-110.0, 110.0, 4000), rng.uniform(-20.0, 20.0, 4000),
                             rng.uniform(-1.0, 1.0, 2000)])  # fmt: skip
    return values.astype(np.float32)


def as_float32(values):
    """Values returned to Python (as float) that are float32 values, as a float32 array."""
    narrow = values.astype(np.float32)
    np.testing.assert_array_equal(narrow.astype(np.float64), values)  # computed in float32: nothing lost
    return narrow


def float32_ulps(values, reference):
    """|values - reference| in units of the float32 spacing at ``reference`` (normal positive references)."""
    return np.abs(values.astype(np.float64) - reference.astype(np.float64)) / np.spacing(reference)


def test_the_kernels_float32_exp_is_the_float64_exp_rounded_to_one_ulp():
    from gradmethods.training.compiled import _exp1f

    x = float32_grid()
    kernel = as_float32(np.array([_exp1f(value) for value in x]))
    with np.errstate(over="ignore", under="ignore"):
        expected = np.exp(x.astype(np.float64)).astype(np.float32)  # the exact exp, rounded once (to 1e-16)
    assert np.array_equal(np.isnan(kernel), np.isnan(x))
    assert not np.signbit(kernel[~np.isnan(x)]).any()
    assert np.array_equal(np.isinf(kernel), np.isinf(expected))
    finite = np.isfinite(expected)
    normal = finite & (expected >= np.finfo(np.float32).tiny)
    assert float32_ulps(kernel[normal], expected[normal]).max() <= 1.0
    np.testing.assert_allclose(kernel[finite & ~normal], expected[finite & ~normal], rtol=0, atol=F32_TINY)
    assert _exp1f(np.float32(0.0)) == 1.0 and _exp1f(np.float32(-1000.0)) == 0.0 and _exp1f(np.float32(89.0)) == np.inf


def test_the_kernels_float32_sigmoid_is_the_float64_sigmoid_rounded_to_two_ulp_like_scipys_float32_expit():
    from gradmethods.training.compiled import _sigmoid1f

    z = float32_grid()
    kernel = as_float32(np.array([_sigmoid1f(value) for value in z]))
    expected = special.expit(z.astype(np.float64)).astype(np.float32)
    scipy32 = special.expit(z)  # the numpy engine's float32 sigmoid: 1 / (1 + exp(-z)) in float32
    assert scipy32.dtype == np.float32
    ok = ~np.isnan(z)
    assert np.array_equal(np.isnan(kernel), ~ok)
    assert not np.signbit(kernel[ok]).any() and (kernel[ok] <= 1.0).all()
    # three roundings (exp, 1 + e, the quotient), each half an ulp of a value in [0.5, 2] or of the result
    normal = ok & (expected >= np.finfo(np.float32).tiny)
    assert float32_ulps(kernel[normal], expected[normal]).max() <= 2.0
    assert float32_ulps(scipy32[normal], expected[normal]).max() <= 2.0
    # below z = -87.3 the result is subnormal, and where exp(-z) overflows float32 (z < -88.72) the formula gives
    # 0: as scipy's float32 expit does, to one subnormal unit
    np.testing.assert_allclose(kernel[ok & ~normal], scipy32[ok & ~normal], rtol=0, atol=F32_TINY)
    assert (kernel[ok & (z < -88.73)] == 0).all() and (scipy32[ok & (z < -88.73)] == 0).all()
    assert _sigmoid1f(np.float32(0.0)) == 0.5 and _sigmoid1f(np.float32(1000.0)) == 1.0
    assert _sigmoid1f(np.float32(-1000.0)) == 0.0 and _sigmoid1f(np.float32(math.inf)) == 1.0


CASES = [
    ("or_and", {}, None, 0.5),
    ("or_and", {}, 0.05, [0.5, 3.0, 40.0]),  # some reach the target
    ("example4", {}, None, 0.5),
    ("xor", {"layer_sizes": (2, 3, 3, 1), "activation": ("relu", "sigmoid", "sigmoid")}, 0.05, 0.5),
    ("or_and", {"activation": "identity"}, None, [0.5, 2.0, 40.0]),
]


# Each case compiles a shape's kernels (the lane kernel 20-60 s on an empty cache): the first case's serial
# kernels in the test command, every case with both kernels in CI's slow step.
PARAMETERS = [
    pytest.param(*case, dtype, kinds, marks=pytest.mark.slow if slow else ())
    for index, case in enumerate(CASES)
    for dtype in ("float64", "float32")
    for kinds, slow in ((("serial",), False), (("serial", "lane"), True))
    if slow or (index, dtype) == (0, "float64")
]


@pytest.mark.parametrize("name, overrides, target, lr, dtype, kinds", PARAMETERS)
def test_the_shape_specialised_kernels_give_the_generic_kernels_numbers_bit_for_bit(
    monkeypatch, name, overrides, target, lr, dtype, kinds
):  # fmt: skip
    from gradmethods.training import compiled, compiled_shapes

    task = dataclasses.replace(gm.get_task(name), **overrides)
    net = task.network()
    acts = tuple(compiled._ACTIVATION_CODES[a] for a in net.activations)
    assert compiled_shapes.specialisable(tuple(net.layer_sizes), acts, 0, task.X.shape[0])
    n_seeds = 3 if isinstance(lr, list) else 40
    freeze = "biases" if name == "example4" else None
    kwargs = dict(seeds=range(n_seeds), lr=lr, momentum=0.5, iterations=600, init="random", dtype=dtype,
                  target=target, engine="numba", freeze=freeze)  # fmt: skip
    results = {}
    monkeypatch.setattr(compiled, "SPECIALISE_FROM_STEPS", 0)  # whatever the work
    monkeypatch.setattr(compiled, "SPECIALISED_LANE_DTYPES", ("float64", "float32"))  # both kernels
    for specialise in (True, False):
        monkeypatch.setattr(compiled, "SPECIALISE", specialise)
        for serial_below in [{"lane": 0, "serial": 10**9}[kind] for kind in kinds]:
            monkeypatch.setattr(compiled, "SERIAL_BELOW", serial_below)
            results[specialise, serial_below] = gm.train(task, **kwargs)
    reference = results[False, 10**9]  # the generic serial kernel
    for key, runs in results.items():
        for a, b in zip(runs, reference):
            assert a.outcome == b.outcome and len(a.history) == len(b.history), key
            np.testing.assert_array_equal(a.params, b.params)
            np.testing.assert_array_equal(a.history["cost"].to_numpy(), b.history["cost"].to_numpy())
            np.testing.assert_array_equal(a.history["error"].to_numpy(), b.history["error"].to_numpy())
    outcomes = {run.outcome for run in reference}
    if target is not None:
        assert gm.Outcome.CONVERGED in outcomes
    if overrides.get("activation") == "identity":
        assert gm.Outcome.DIVERGED in outcomes  # the stop on non-finite numbers (identity at lr 40)
    written = compiled_shapes.shape_kernels(tuple(net.layer_sizes), acts, 0, task.X.shape[0], dtype)
    assert written[0].py_func.__module__.startswith("gradmethods._shape_kernels.")  # specialised, not generic


def test_short_work_uses_the_generic_kernels_and_long_work_the_specialised_ones(monkeypatch, tmp_path):
    from gradmethods.training import compiled

    monkeypatch.setenv("GRADMETHODS_KERNEL_DIR", str(tmp_path))
    net = gm.get_task("or_and").network()
    generic = (compiled._train_kernel_serial, compiled._train_kernel)
    assert compiled._kernels_for(net, 4, np.dtype("float64"), compiled.SPECIALISE_FROM_STEPS - 1) == generic
    serial, lane = compiled._kernels_for(net, 4, np.dtype("float64"), compiled.SPECIALISE_FROM_STEPS)
    assert serial is not generic[0] and serial.py_func.__module__.startswith("gradmethods._shape_kernels.")
    assert (lane is generic[1]) == ("float64" not in compiled.SPECIALISED_LANE_DTYPES)
    serial, lane = compiled._kernels_for(net, 4, np.dtype("float32"), compiled.SPECIALISE_FROM_STEPS)
    assert serial.py_func.__module__.startswith("gradmethods._shape_kernels.") and lane is generic[1]
