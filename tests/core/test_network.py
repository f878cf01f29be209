import warnings

import numpy as np
import pytest
from reference import reference_cost, reference_outputs

import gradmethods as gm


def test_layout_is_the_documented_flat_order():
    net = gm.Network([3, 2, 1])
    params = np.arange(net.n_params, dtype=float)
    (W0, b0), (W1, b1) = net.unpack(params)
    assert net.n_params == 3 * 2 + 2 + 2 * 1 + 1
    # W[i, j] (input i -> neuron j) sits at i * fan_out + j within its block, bias after the block.
    assert W0[2, 1] == 2 * 2 + 1
    np.testing.assert_array_equal(b0, [6, 7])
    assert W1[1, 0] == 8 + 1
    np.testing.assert_array_equal(b1, [10])


def test_pack_inverts_unpack_for_vectors_and_stacks():
    net = gm.Network([2, 4, 3, 1])
    stack = np.random.default_rng(0).normal(size=(5, net.n_params))
    for params in (stack[0], stack):
        layers = net.unpack(params)
        assert [W.shape[-2:] for W, _ in layers] == [(2, 4), (4, 3), (3, 1)]
        np.testing.assert_array_equal(net.pack(layers), params)


def test_unpack_returns_views():
    net = gm.Network([2, 2])
    params = np.zeros((3, net.n_params))
    W, b = net.unpack(params)[0]
    W[1, 0, 1] = 5.0
    b[2, 1] = 7.0
    assert params[1, 1] == 5.0 and params[2, 5] == 7.0


def test_from_post_transposes_the_posts_neuron_numbering():
    net = gm.Network([2, 2])
    params = net.from_post([0.2, 0.8, 0.6, 0.4], [0.5, 0.1])
    ((W, b),) = net.unpack(params)
    # post: Z0 = in0 * w0 + in1 * w1 + b0, Z1 = in0 * w2 + in1 * w3 + b1
    np.testing.assert_array_equal(W, [[0.2, 0.6], [0.8, 0.4]])
    np.testing.assert_array_equal(b, [0.5, 0.1])


@pytest.mark.parametrize("activation", ["sigmoid", "tanh", "relu", "identity"])
def test_forward_matches_a_neuron_by_neuron_reference(activation):
    rng = np.random.default_rng(1)
    net = gm.Network([3, 4, 2], activation=activation)
    params, X = rng.normal(size=net.n_params), rng.normal(size=(5, 3))
    expected = reference_outputs(net.layer_sizes, [activation] * 2, params, X)
    np.testing.assert_allclose(net.forward(params, X), expected, rtol=1e-13, atol=1e-15)


def test_stack_results_equal_per_vector_results():
    rng = np.random.default_rng(2)
    net = gm.Network([2, 3, 2], activation=["tanh", "sigmoid"], cost="cross_entropy")
    stack, X, Y = rng.normal(size=(4, net.n_params)), rng.normal(size=(6, 2)), rng.uniform(size=(6, 2))
    outputs, costs, errors = net.forward(stack, X), net.cost(stack, X, Y), net.error(stack, X, Y)
    assert outputs.shape == (4, 6, 2) and costs.shape == (4,) and errors.shape == (4,)
    for r in range(4):
        np.testing.assert_allclose(outputs[r], net.forward(stack[r], X), rtol=1e-15)
        np.testing.assert_allclose(costs[r], net.cost(stack[r], X, Y), rtol=1e-14)
        np.testing.assert_allclose(errors[r], net.error(stack[r], X, Y), rtol=1e-14)


@pytest.mark.parametrize("cost", ["half_sse", "cross_entropy"])
def test_cost_and_error_definitions(cost):
    rng = np.random.default_rng(3)
    net = gm.Network([2, 3], cost=cost)
    params, X, Y = rng.normal(size=net.n_params), rng.normal(size=(4, 2)), rng.uniform(size=(4, 3))
    expected_cost = reference_cost(net.layer_sizes, ["sigmoid"], cost, params, X, Y)
    np.testing.assert_allclose(net.cost(params, X, Y), expected_cost, rtol=1e-13)
    out = reference_outputs(net.layer_sizes, ["sigmoid"], params, X)
    expected_error = np.mean([np.sqrt(np.sum((y - o) ** 2)) for o, y in zip(out, Y)])
    np.testing.assert_allclose(net.error(params, X, Y), expected_error, rtol=1e-13)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_sigmoid_and_cross_entropy_neither_overflow_nor_warn(dtype):
    net = gm.Network([1, 1], cost="cross_entropy")
    X, Y = np.array([[1.0], [1.0]]), np.array([[0.0], [1.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for z in (-1e4, -800.0, 800.0, 1e4):
            params = np.array([z, 0.0], dtype=dtype)
            out = net.forward(params, X)
            assert np.all(np.isfinite(out)) and np.all((out >= 0) & (out <= 1))
            # cross entropy from the pre-activation: exactly |z| for the wrong target, 0 for the right one
            np.testing.assert_allclose(net.cost(params, X, Y), abs(z) / 2, rtol=1e-6)


def test_forward_keeps_float32():
    net = gm.Network([2, 2])
    params = np.ones(net.n_params, dtype=np.float32)
    assert net.forward(params, np.ones((3, 2))).dtype == np.float32


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: gm.Network([2]), "layer_sizes"),
        (lambda: gm.Network([2, 0, 1]), "layer_sizes\\[1\\]"),
        (lambda: gm.Network([2, 1], activation="sigmod"), "'activation'.*sigmoid.*sigmod"),
        (lambda: gm.Network([2, 2, 1], activation=["tanh"]), "one per layer"),
        (lambda: gm.Network([2, 2, 1], activation=["tanh", "sigmod"]), "activation\\[1\\]"),
        (lambda: gm.Network([2, 1], cost="mse"), "'cost'.*cross_entropy.*half_sse"),
        (lambda: gm.Network([2, 1], activation="tanh", cost="cross_entropy"), "output activation"),
        (lambda: gm.Network([2, 1]).forward(np.zeros(4), np.zeros((1, 2))), "params must have shape \\(3,\\)"),
        (lambda: gm.Network([2, 1]).forward(np.zeros((2, 2, 3)), np.zeros((1, 2))), "params must have shape"),
        (lambda: gm.Network([2, 1]).forward(np.array([0, np.nan, 0]), np.zeros((1, 2))), "params holds non-finite"),
        (lambda: gm.Network([2, 1]).forward(np.zeros(3), np.zeros((1, 3))), "X must have shape \\(N, 2\\)"),
        (lambda: gm.Network([2, 1]).forward(np.zeros(3), np.array([[np.inf, 0]])), "X holds non-finite"),
        (
            lambda: gm.Network([2, 1]).cost(np.zeros(3), np.zeros((2, 2)), np.zeros((3, 1))),
            "Y must have shape \\(2, 1\\)",
        ),
        (lambda: gm.Network([2, 1]).init_params(np.random.default_rng(0), dtype="int32"), "'dtype'"),
    ],
)
def test_bad_input_raises_a_clear_value_error(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_init_params_is_reproducible_and_glorot_bounded():
    net = gm.Network([4, 8, 2])
    a = net.init_params(np.random.default_rng(7), size=3)
    b = net.init_params(np.random.default_rng(7), size=3)
    np.testing.assert_array_equal(a, b)
    W0, b0 = net.unpack(a)[0]
    assert np.abs(W0).max() <= np.sqrt(6 / 12) and np.all(b0 == 0)


@pytest.mark.parametrize("dtype", ["float64", "float32", "float16", "complex128"])
def test_all_finite_decides_every_entry(dtype):
    # The fast test sums squares; its answer must be isfinite's, entry by entry, also where the
    # squares overflow (large finite values), the signs mix (inf and -inf) or the array is empty.
    from gradmethods.core.network import _all_finite

    big = float(np.finfo(dtype).max) / 2
    base = np.array([[0.5, -2.0, 3.0], [big, -big, 1.0]], dtype=dtype)
    assert _all_finite(base) is True
    assert _all_finite(np.zeros((0, 3), dtype=dtype)) is True
    for value in (np.nan, np.inf, -np.inf):
        for index in np.ndindex(base.shape):
            bad = base.copy()
            bad[index] = value
            assert _all_finite(bad) is False
            assert _all_finite(bad.T) is False  # not contiguous
    large = np.ones((100, 100), dtype=dtype)  # past the sum-of-squares size: isfinite decides
    assert _all_finite(large) is True
    large[57, 3] = np.nan
    assert _all_finite(large) is False
    mixed = np.array([np.inf, -np.inf, 1.0], dtype=dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no floating-point warnings on the way
        assert _all_finite(mixed) is False
        assert _all_finite(np.array([1e300, 1e300])) is True


def _right_and_wrong_inputs():
    """(params, X, Y) triples for Network([2, 3]): arrays already right and everything that needs conversion."""
    rng = np.random.default_rng(0)
    params, stack = rng.normal(size=9), rng.normal(size=(4, 9))
    X, Y = rng.normal(size=(5, 2)), rng.normal(size=(5, 3))
    return [
        (params, X, Y),
        (stack, X, Y),
        (params.astype(np.float32), X.astype(np.float32), Y.astype(np.float32)),
        (params.astype(np.float32), X, Y),  # data converted to the parameters' dtype
        (params, X.astype(np.float32), Y),
        (params.tolist(), X.tolist(), Y.tolist()),
        (np.arange(9), np.arange(10).reshape(5, 2), Y),  # integers become float64
        (params.astype(np.complex128), X, Y),  # complex parameters, real data
        (params, np.asfortranarray(X), Y[::1]),
    ]


@pytest.mark.parametrize("case", range(9))
def test_check_params_and_data_equals_the_two_checks(case):
    net = gm.Network([2, 3])
    params, X, Y = _right_and_wrong_inputs()[case]
    expected_params = net.check_params(params)
    expected_X, expected_Y = net.check_data(X, Y, expected_params)
    got = net.check_params_and_data(params, X, Y)
    for got_array, expected in zip(got, (expected_params, expected_X, expected_Y)):
        assert type(got_array) is np.ndarray and got_array.dtype == expected.dtype
        np.testing.assert_array_equal(got_array, expected)
    if case < 3:  # already right: returned as they are, nothing copied
        assert got[0] is params and got[1] is X and got[2] is Y


@pytest.mark.parametrize("patterns", [2, 40], ids=["summed as Python floats", "sums of squares"])
@pytest.mark.parametrize("where", ["params", "X", "Y"])
def test_the_finiteness_shortcut_of_right_arrays_accepts_huge_values_and_finds_every_non_finite_one(patterns, where):
    net = gm.Network([2, 3])  # 9 parameters; 2 patterns: 19 entries in all, 40 patterns: 209
    arrays = {"params": np.full(9, 1e308), "X": np.full((patterns, 2), -1e308), "Y": np.full((patterns, 3), 1e308)}
    got = net.check_params_and_data(arrays["params"], arrays["X"], arrays["Y"])  # finite; their sums overflow
    assert all(a is b for a, b in zip(got, arrays.values()))
    for bad in (np.inf, -np.inf, np.nan):
        spoiled = dict(arrays)
        spoiled[where] = spoiled[where].copy()
        spoiled[where].flat[-1] = bad
        with pytest.raises(ValueError, match=f"{where} holds non-finite"):
            net.check_params_and_data(spoiled["params"], spoiled["X"], spoiled["Y"])


@pytest.mark.parametrize(
    "params, X, Y, message",
    [
        (np.zeros(4), np.zeros((1, 2)), np.zeros((1, 1)), "params must have shape \\(3,\\) or \\(R, 3\\)"),
        (np.zeros((2, 2, 3)), np.zeros((1, 2)), np.zeros((1, 1)), "params must have shape"),
        (np.array([0, np.nan, 0]), np.zeros((1, 2)), np.zeros((1, 1)), "params holds non-finite"),
        (np.array([[0, 0, 0], [0, 0, np.inf]]), np.zeros((1, 2)), np.zeros((1, 1)), "params holds non-finite"),
        (np.zeros(3), np.zeros((1, 3)), np.zeros((1, 1)), "X must have shape \\(N, 2\\)"),
        (np.zeros(3), np.zeros(2), np.zeros((1, 1)), "X must have shape \\(N, 2\\)"),
        (np.zeros(3), np.array([[np.inf, 0]]), np.zeros((1, 1)), "X holds non-finite"),
        (np.zeros(3), np.zeros((2, 2)), np.zeros((3, 1)), "Y must have shape \\(2, 1\\)"),
        (np.zeros(3), np.zeros((2, 2)), np.zeros((2, 2)), "Y must have shape \\(2, 1\\)"),
        (np.zeros(3), np.zeros((2, 2)), np.array([[0.0], [-np.inf]]), "Y holds non-finite"),
        (np.zeros(3, dtype=np.float32), np.zeros((1, 2)), np.array([[np.nan]]), "Y holds non-finite"),
        (np.zeros(3), [["a", "b"]], np.zeros((1, 1)), "X must be a numeric array"),
    ],
)
def test_check_params_and_data_refuses_what_the_two_checks_refuse(params, X, Y, message):
    net = gm.Network([2, 1])
    with pytest.raises(ValueError, match=message):
        net.check_params(params)
        net.check_data(X, Y, net.check_params(params))
    with pytest.raises(ValueError, match=message):
        net.check_params_and_data(params, X, Y)
    with pytest.raises(ValueError, match=message):  # and so does every provider's public call
        gm.get_provider("backprop").value_and_grad(net, params, X, Y)


@pytest.mark.parametrize(
    "sizes, activations, cost",
    [
        ([2, 2], ["sigmoid"], "half_sse"),
        ([3, 4, 1], ["tanh", "identity"], "half_sse"),
        ([3, 4, 3], ["relu", "tanh"], "half_sse"),
        ([2, 3, 2], ["tanh", "sigmoid"], "cross_entropy"),  # the fused form
    ],
)
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_cost_and_output_delta_are_the_two_calls_bit_for_bit(sizes, activations, cost, dtype):
    net = gm.Network(sizes, activation=activations, cost=cost)
    rng = np.random.default_rng(1)
    X = rng.normal(size=(5, sizes[0])).astype(dtype)
    Y = rng.uniform(size=(5, sizes[-1])).astype(dtype)
    for params in (rng.normal(size=net.n_params).astype(dtype), rng.normal(size=(3, net.n_params)).astype(dtype)):
        z, a = net.trace(params, X)[-1]
        z_before, a_before = z.copy(), a.copy()
        cost_value, delta = net.cost_and_output_delta(z, a, Y)
        expected_cost = net.cost_from_outputs(z, a, Y)
        expected_delta = net.output_delta(z, a, Y) / X.shape[0]
        assert type(cost_value) is type(expected_cost) and np.shape(cost_value) == np.shape(expected_cost)
        assert np.array_equal(cost_value, expected_cost) and np.asarray(cost_value).dtype == np.dtype(dtype)
        assert delta.dtype == expected_delta.dtype and np.array_equal(delta, expected_delta)
        assert np.array_equal(z, z_before) and np.array_equal(a, a_before)  # the trace is left alone
        if params.ndim == 1:
            stacked, _ = net.cost_and_output_delta(z, a, Y, stack_axis=True)
            assert stacked.shape == (1,) and stacked.dtype == np.dtype(dtype) and stacked[0] == expected_cost


def test_half_sse_cost_and_delta_from_the_definition():
    # half the squared error, mean over patterns; dC/dz = (a - y) a (1 - a) / N for a sigmoid output.
    net = gm.Network([1, 2])
    params = np.array([0.5, -1.0, 0.25, 0.0])
    X, Y = np.array([[1.0], [2.0], [-1.0]]), np.array([[0.0, 1.0], [1.0, 1.0], [0.5, 0.0]])
    z = X @ params[:2].reshape(1, 2) + params[2:]
    a = 1 / (1 + np.exp(-z))
    cost, delta = net.cost_and_output_delta(z, a, Y)
    assert cost == pytest.approx(np.mean(0.5 * ((a - Y) ** 2).sum(axis=1)), rel=1e-15)
    np.testing.assert_allclose(delta, (a - Y) * a * (1 - a) / 3, rtol=1e-15)


def test_a_registered_cost_without_a_combined_form_gets_the_two_calls():
    from gradmethods.core.costs import COSTS, Cost

    l1 = gm.register_cost(Cost("l1_delta_demo", lambda a, y: np.abs(a - y).sum(axis=-1), lambda a, y: np.sign(a - y)))
    try:
        net = gm.Network([2, 2], activation="tanh", cost="l1_delta_demo")
        rng = np.random.default_rng(2)
        params, X, Y = rng.normal(size=net.n_params), rng.normal(size=(4, 2)), rng.normal(size=(4, 2))
        z, a = net.trace(params, X)[-1]
        cost, delta = net.cost_and_output_delta(z, a, Y)
        assert cost == pytest.approx(np.abs(np.tanh(z) - Y).sum(axis=1).mean(), rel=1e-15)
        np.testing.assert_allclose(delta, np.sign(a - Y) * (1 - a * a) / 4, rtol=1e-15)
    finally:
        assert COSTS.unregister("l1_delta_demo") is l1
