"""Declared work: exact counts worked out by hand, and forward-pass equivalents against measured time.

The first tests hold each built-in method's declared :class:`~gradmethods.gradients.base.Work`
to numbers written out here from the layer sizes (multiply-adds of the matrix
products, not the package's helpers).  The timing test checks that the declared
forward-pass equivalents (fpe) mean what they say: the time of one call divided by the
time of one forward pass of the same network lies within a factor of
:data:`BAND` of the declared fpe.

Measured with ``tests/conftest.py``'s one BLAS thread (``OPENBLAS_NUM_THREADS=1``),
float64, by :func:`_measured_ratio` as the test calls it (the fastest of five interleaved
forward/call timing loops of each), three times, on a 2-core Xeon @ 2.5 GHz shared with other
work (load average 2.3-3.4); measured ratio / declared fpe:

=============  ===============  ==============  ====================
provider       network, N       declared fpe    measured / declared
=============  ===============  ==============  ====================
backprop       64-32-10, 256    2.13            0.89, 0.84, 0.83
dual           32-4-4, 1024     173             0.69, 0.83, 0.75
complex_step   32-4-4, 1024     608             0.75, 0.76, 0.82
fd_forward     32-4-4, 1024     153             0.85, 0.78, 0.84
fd_central     32-4-4, 1024     305             0.88, 0.85, 0.91
fd_richardson  32-4-4, 1024     609             1.06, 1.03, 0.99
=============  ===============  ==============  ====================

All lie within [0.69, 1.06]: a call takes about its declared fpe in forward passes
(the unit counts the multiply-adds of the matrix products and leaves out per-call
overhead and elementwise work, which a stacked pass of many perturbed networks and the
tangent products of dual numbers spend relatively less of), and at least two thirds of it.
The fastest loop of each is taken because other work on the machine only adds time to a loop:
with the median of five loop-pair ratios the test failed 3 times in one run at load 8 (and passed
alone); the fastest loops do not depend on any one loop.  The band [1/4, 4] leaves a factor of
about 3 below the lowest measurement and about 4 above the highest; a miscounted declaration (a
pass per parameter declared as one call, or a dual pass counted once instead of about 1 + 2k
times) falls far outside it.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

import gradmethods as gm
from gradmethods.analysis.bench import _loop_time

#: measured time ratio / declared fpe must lie in [1 / BAND, BAND].
BAND = 4.0
#: The built-in gradient methods (a plug-in's declaration is its own to test).
BUILTINS = ("backprop", "dual", "complex_step", "fd_forward", "fd_central", "fd_richardson")


def _problem(sizes, n_patterns, seed=0):
    net = gm.Network(list(sizes))
    rng = np.random.default_rng(seed)
    params = net.init_params(rng)
    X = rng.uniform(0, 1, size=(n_patterns, sizes[0]))
    Y = rng.uniform(0, 1, size=(n_patterns, sizes[-1]))
    return net, params, X, Y


# ------------------------------------------------------------------------------ exact counts

# The post's 2-2-2 network (example 4).  Per pattern, a forward pass is two matrix
# products of 2 x 2 plus two biases of 2: (4 + 2) + (4 + 2) = 12 multiply-adds.
# Backprop's reverse sweep: dC/dW (4) and dC/db (2) per layer, 12 in all, and
# delta @ W^T (4) for the second layer only, 16 in all; 20 when the gradient goes on
# to the inputs.  So value_and_grad costs (12 + 16) / 12 = 7/3, input_grad (12 + 20) / 12 = 8/3.
POST_NET = (2, 2, 2)
POST_P = 12


@pytest.mark.parametrize(("call", "fpe"), [("value_and_grad", Fraction(7, 3)), ("input_grad", Fraction(8, 3))])
def test_backprop_declares_one_forward_and_one_reverse_sweep(call, fpe):
    net, params, X, Y = _problem(POST_NET, 3)
    provider = gm.get_provider("backprop")
    getattr(provider, call)(net, params, X, Y)
    assert provider.counts() == pytest.approx(
        {"nfev": 1, "njev": 1, "forward_passes": 1, "backward_passes": 1, "fpe": float(fpe)}, rel=1e-15
    )


def test_backprop_fpe_of_a_wide_first_layer():
    # 64-32-10: forward (64*32 + 32) + (32*10 + 10) = 2410; reverse 2410 + 32*10 = 2730.
    net, params, X, Y = _problem((64, 32, 10), 4)
    provider = gm.get_provider("backprop")
    provider.value_and_grad(net, params, X, Y)
    assert provider.fpe == pytest.approx(1 + 2730 / 2410, rel=1e-15)


@pytest.mark.parametrize(("chunk_size", "passes", "fpe"), [(None, 1, 19), (12, 1, 19), (5, 3, 21), (1, 12, 30)])
def test_dual_declares_its_passes_and_their_tangent_products(chunk_size, passes, fpe):
    # A pass with k tangents on 2-2-2: the first layer's product costs 1 + k times its 6
    # multiply-adds (the data carry no tangent), the second 1 + 2k times (its input and
    # its weights do): (6 (1 + k) + 6 (1 + 2k)) / 12 = 1 + 1.5 k forward passes.
    # k = 12: 19.  k = 5: two passes of 8.5 and one of k = 2, 4: 21.  k = 1: 12 x 2.5 = 30.
    net, params, X, Y = _problem(POST_NET, 3)
    provider = gm.get_provider("dual", chunk_size=chunk_size)
    provider.value_and_grad(net, params, X, Y)
    assert provider.counts() == pytest.approx(
        {"nfev": passes, "njev": 1, "forward_passes": passes, "backward_passes": 0, "fpe": fpe}, rel=1e-15
    )


def test_dual_input_gradient_carries_tangents_on_the_inputs_only():
    # 3 patterns x 2 inputs = 6 tangents, no weight carries one: 1 + 6 products per layer, 7 passes' worth.
    net, params, X, Y = _problem(POST_NET, 3)
    provider = gm.get_provider("dual")
    provider.input_grad(net, params, X, Y)
    assert (provider.nfev, provider.fpe) == (1, pytest.approx(7.0, rel=1e-15))


@pytest.mark.parametrize(
    ("name", "evaluations", "pass_fpe"),
    [
        ("fd_forward", POST_P + 1, 1),  # C(w) and C(w + h e_j)
        ("fd_central", 2 * POST_P + 1, 1),  # C(w) for the cost, C(w +- h e_j)
        ("fd_richardson", 4 * POST_P + 1, 1),  # C(w), C(w +- h e_j), C(w +- h/2 e_j)
        ("complex_step", POST_P, 4),  # C(w + i h e_j); a complex multiply-add is four real ones
    ],
)
def test_difference_schemes_declare_one_forward_pass_per_evaluation(name, evaluations, pass_fpe):
    net, params, X, Y = _problem(POST_NET, 3)
    provider = gm.get_provider(name)
    provider.value_and_grad(net, params, X, Y)
    assert provider.counts() == pytest.approx(
        {"nfev": evaluations, "njev": 1, "forward_passes": evaluations, "backward_passes": 0,
         "fpe": pass_fpe * evaluations}, rel=1e-15,
    )  # fmt: skip


@pytest.mark.parametrize("name", BUILTINS)
def test_a_stack_counts_its_networks_and_fpe_accumulates(name):
    net, params, X, Y = _problem(POST_NET, 3)
    one = gm.get_provider(name)
    one.value_and_grad(net, params, X, Y)
    provider = gm.get_provider(name)
    stack = np.stack([params, 0.5 * params, -params])
    provider.value_and_grad(net, stack, X, Y)
    provider.value_and_grad(net, params, X, Y)
    assert isinstance(provider.fpe, float) and provider.fpe > 0
    assert provider.fpe == pytest.approx(4 * one.fpe, rel=1e-14)
    assert provider.nfev == 4 * one.nfev


# ------------------------------------------------------------------------------ fpe against time

#: Where each method is timed: a network whose forward pass is mostly matrix arithmetic,
#: not per-call overhead.  Backprop (a few passes) on 64-32-10 with 256 patterns; the
#: methods that make P or more passes on 32-4-4 (P = 152) with 1024 patterns, so that
#: each of their passes still does 1024 x 152 multiply-adds and the test stays short.
TIMING_CASES = {"backprop": ((64, 32, 10), 256)} | {name: ((32, 4, 4), 1024) for name in BUILTINS[1:]}


_seconds_per_call = _loop_time  # mean seconds per call of a loop lasting at least min_seconds


def _measured_ratio(name: str, repeats: int) -> tuple[float, float]:
    """(fastest call time / fastest forward-pass time over interleaved repeats, declared fpe per call).

    Other work on the machine only ever adds time to a timing loop (a loop of one or a few calls is
    lengthened whole by a preemption), so the fastest of several loops is each operation's own time;
    the fastest of each, timed side by side, gives a ratio that one unlucky loop cannot move.
    """
    sizes, n_patterns = TIMING_CASES[name]
    net, params, X, Y = _problem(sizes, n_patterns)
    provider = gm.get_provider(name)

    def forward():
        return net.cost(params, X, Y)  # checked, like the provider's public call

    def call():
        return provider.value_and_grad(net, params, X, Y)

    forward(), call()  # warm up
    provider.reset_counts()
    call()
    declared = provider.counts()["fpe"]
    call_times, forward_times = [], []
    for _ in range(repeats):  # forward and call side by side, so a change of load hits both
        call_times.append(_seconds_per_call(call, 0.02))
        forward_times.append(_seconds_per_call(forward, 0.02))
    return min(call_times) / min(forward_times), declared


@pytest.mark.parametrize("name", BUILTINS)
def test_declared_fpe_matches_measured_time_within_the_band(name):
    ratio, declared = _measured_ratio(name, repeats=5)
    assert 1 / BAND <= ratio / declared <= BAND, (
        f"{name}: one call takes {ratio:.3g} forward passes of time but declares {declared:.4g} forward-pass "
        f"equivalents (measured / declared = {ratio / declared:.3g}, outside [1/{BAND:g}, {BAND:g}])"
    )
