"""Conformance checks of a gradient provider: each one small, named, and run on a fresh provider.

Every check takes a method (a registered name, a :class:`~gradmethods.gradients.base.ProviderBase`
subclass or an instance, which is copied) and raises an AssertionError that starts with
the check's name when the provider breaks the contract.  The numbers are judged against
:mod:`gradmethods.testing.reference`, which shares no code with the providers, and
against the provider's own declarations (``tolerance``, ``exact``, ``step_radius``,
``value_and_grad_work`` and ``input_grad_work``).
"""

from __future__ import annotations

import copy
import functools
import math
from dataclasses import fields
from typing import Any

import numpy as np

from ..core.params import short_repr
from ..gradients.base import GradientProvider, Work, contract_problems
from ._base import Check, named_check
from .problems import (
    VALUE_RTOL,
    Problem,
    check_problems,
    gradient_floor,
    random_problem,
    relative_error,
    value_error,
)
from .reference import kink_crossings
from .statistics import Z_BOUND, draw_estimates, mean_test

__all__ = [
    "PROVIDER_CHECKS",
    "FLOAT32_TOLERANCE",
    "check_contract",
    "check_supports",
    "check_shapes",
    "check_value_and_grad",
    "check_input_grad",
    "check_stack_equals_loop",
    "check_dtype_preserved",
    "check_work_per_network",
    "check_declared_forward_passes",
    "check_rng",
    "check_reset_counts",
    "check_non_finite_refused",
    "check_declared_tolerance",
]

#: Largest relative error (against ``max(|g_ref|_inf, |cost|)``) accepted for a float32
#: gradient: a sanity bound that every method meets in float32 arithmetic, not a promise.
FLOAT32_TOLERANCE = 1e-2
#: Estimates whose mean a stochastic provider's check compares with the reference, per check network.
STOCHASTIC_SAMPLES = 4000
#: The same on each random network of :func:`check_declared_tolerance`.
STOCHASTIC_TOLERANCE_SAMPLES = 1000
#: Largest relative difference of a stochastic provider's stack row and the row alone (same generator state).
STOCHASTIC_STACK_RTOL = 1e-12
#: Seeds of the random networks of :func:`check_declared_tolerance`.
TOLERANCE_SEEDS = range(12)

_WORK_FIELDS = tuple(field.name for field in fields(Work))
_CALLS = (("value_and_grad", "value_and_grad_work"), ("input_grad", "input_grad_work"))


def _supported(provider: Any) -> list[Problem]:
    problems = [problem for problem in check_problems() if provider.supports(problem.net)]
    assert problems, (
        f"it supports none of the check networks ({', '.join(str(p) for p in check_problems())}), "
        "so nothing about its gradients can be checked"
    )
    return problems


def _measure(provider: Any) -> str:
    """What a gradient's error is relative to (see gradmethods.testing.problems)."""
    return "max(|g_ref|_inf, its terms, |cost|)" if not provider.exact else "max(|g_ref|_inf, its terms)"


def _floor(provider: Any, cost: float) -> float:
    return 0.0 if provider.exact else abs(float(cost))


def _worst_entry(values: np.ndarray, reference: np.ndarray, exempt: np.ndarray | None = None) -> str:
    difference = np.abs(np.asarray(values, dtype=np.float64) - reference)
    if exempt is not None:
        difference = np.where(exempt, 0.0, difference)
    index = np.unravel_index(int(np.argmax(difference)), difference.shape)
    where = index[0] if len(index) == 1 else index
    return f"worst entry {where}: {float(np.asarray(values)[index]):.6g} against {float(reference[index]):.6g}"


def _rng(provider: Any, seed: int = 0) -> dict[str, Any]:
    """The ``rng=`` of a call: a seeded generator for a stochastic provider, nothing for an exact one."""
    return {"rng": np.random.default_rng(seed)} if getattr(provider, "stochastic", False) else {}


def _stochastic(provider: Any) -> bool:
    return bool(getattr(provider, "stochastic", False))


def _zero_counts(provider: Any) -> bool:
    return all(value == 0 for value in provider.counts().values())


# --------------------------------------------------------------------------------------- the contract


@named_check("gradient")
def check_contract(provider: Any) -> None:
    """The class declares everything :func:`gradmethods.register_provider` requires, and counters start at zero."""
    problems = contract_problems(type(provider))
    assert not problems, "; ".join(problems)
    assert isinstance(provider, GradientProvider), "it lacks part of the GradientProvider protocol"
    counts = provider.counts()
    assert tuple(counts) == _WORK_FIELDS, f"counts() must give the fields of Work {_WORK_FIELDS}; got {tuple(counts)}"
    assert _zero_counts(provider), f"a new provider's counters must be zero; got {counts}"


@named_check("gradient")
def check_supports(provider: Any) -> None:
    """``supports`` agrees with ``unsupported_reason``, and an unsupported network is refused with that reason."""
    for problem in check_problems():
        reason = provider.unsupported_reason(problem.net)
        assert reason is None or (isinstance(reason, str) and reason), (
            f"unsupported_reason({problem.net!r}) must be None or a message; got {reason!r}"
        )
        assert provider.supports(problem.net) == (reason is None), (
            f"supports({problem.net!r}) is {provider.supports(problem.net)} but unsupported_reason gives {reason!r}"
        )
        if reason is None:
            continue
        for call in (provider.value_and_grad, provider.input_grad):
            try:
                call(problem.net, problem.params, problem.X, problem.Y, **_rng(provider))
            except ValueError as exc:
                assert reason in str(exc), (
                    f"{call.__name__} refused {problem.net!r} with {str(exc)!r}, which does not carry "
                    f"unsupported_reason: {reason!r}"
                )
            else:
                raise AssertionError(
                    f"{call.__name__} accepted {problem.net!r}, which unsupported_reason refuses: {reason!r}; "
                    "it must raise ValueError with that reason"
                )
        assert _zero_counts(provider), f"a refused call counted work: {provider.counts()}"
    _supported(provider)


@named_check("gradient")
def check_shapes(provider: Any) -> None:
    """A scalar cost, ``(P,)`` and ``(N, n_in)`` for one vector; ``(R,)``, ``(R, P)``, ``(R, N, n_in)`` for R."""
    for problem in _supported(provider):
        net, X, Y = problem.net, problem.X, problem.Y
        P, R = net.n_params, problem.stack.shape[0]
        for params, lead in ((problem.params, ()), (problem.stack, (R,)), (problem.stack[:1], (1,))):
            cost, grad = provider.value_and_grad(net, params, X, Y, **_rng(provider))
            input_grad = provider.input_grad(net, params, X, Y, **_rng(provider))
            given = f"params of shape {params.shape} on {problem}"
            assert np.shape(cost) == lead, f"cost has shape {np.shape(cost)} for {given}; expected {lead}"
            assert isinstance(grad, np.ndarray) and grad.shape == lead + (P,), (
                f"gradient has shape {np.shape(grad)} for {given}; expected {lead + (P,)}"
            )
            assert isinstance(input_grad, np.ndarray) and input_grad.shape == lead + X.shape, (
                f"input gradient has shape {np.shape(input_grad)} for {given}; expected {lead + X.shape}"
            )


# --------------------------------------------------------------------------------------- the numbers


def _check_value(provider: Any, problem: Problem, cost: Any) -> None:
    reference = problem.reference()
    error = value_error(cost, reference)
    assert error <= VALUE_RTOL, (
        f"on {problem}: cost {float(cost)!r} against the reference {reference.value!r} (relative error "
        f"{error:.2e} > {VALUE_RTOL:g}); the cost is one real forward pass for every method"
    )


def _check_estimates(provider: Any, problem: Problem, samples: int, wrt: str) -> None:
    """A stochastic provider: the exact cost, and the mean of ``samples`` estimates within sampling error.

    The estimates are drawn with a fixed seed (:func:`gradmethods.testing.statistics.draw_estimates`);
    their mean must lie within :data:`~gradmethods.testing.statistics.Z_BOUND` standard
    errors of the reference, plus the declared ``tolerance`` (the estimator's bias
    bound) times ``max(|g_ref|_inf, its terms, |cost|)``.
    """
    reference = problem.reference()
    costs, estimates = draw_estimates(provider, problem.net, problem.params, problem.X, problem.Y, samples, wrt=wrt)
    if costs is not None:
        _check_value(provider, problem, costs[0])
        assert np.all(costs == costs[0]), f"on {problem}: the cost at one point differs between estimates"
    exact = reference.grad if wrt == "params" else reference.input_grad
    scale = max(float(np.max(np.abs(exact), initial=0.0)),
                gradient_floor(reference, exact=False, inputs=wrt == "inputs"))  # fmt: skip
    result = mean_test(estimates, exact, allowance=provider.tolerance * scale)
    quantity = "gradient" if wrt == "params" else "input gradient"
    assert result.passed, (
        f"on {problem}: the {quantity} estimates are biased: {result} (more than {Z_BOUND:g}; the allowance is the "
        f"declared tolerance {provider.tolerance:g} times {scale:.3g})"
    )


@named_check("gradient")
def check_value_and_grad(provider: Any) -> None:
    """Cost and gradient against the independent reference, within the declared tolerance.

    For a stochastic provider: the cost exactly, and the mean of
    :data:`STOCHASTIC_SAMPLES` seeded estimates within sampling error of the reference
    gradient, plus the declared tolerance as a bias allowance.

    A finite-difference entry whose step crosses a kink (``relu``) is exempt (see
    :func:`gradmethods.testing.reference.kink_crossings`).
    """
    if _stochastic(provider):
        for problem in _supported(provider):
            _check_estimates(provider, problem, STOCHASTIC_SAMPLES, "params")
        return
    radius = float(provider.step_radius(np.float64))
    for problem in _supported(provider):
        cost, grad = provider.value_and_grad(problem.net, problem.params, problem.X, problem.Y)
        _check_value(provider, problem, cost)
        reference = problem.reference()
        exempt = kink_crossings(problem.spec, problem.params, problem.X, radius)
        floor = gradient_floor(reference, exact=provider.exact)
        error = relative_error(grad, reference.grad, floor=floor, exempt=exempt)
        assert error <= provider.tolerance, (
            f"on {problem}: the gradient differs from the reference by {error:.2e} relative to "
            f"{_measure(provider)}, more than the declared tolerance {provider.tolerance:g} "
            f"({_worst_entry(grad, reference.grad, exempt)})"
        )


@named_check("gradient")
def check_input_grad(provider: Any) -> None:
    """The gradient with respect to the inputs against the reference, within the declared tolerance."""
    if _stochastic(provider):
        for problem in _supported(provider):
            _check_estimates(provider, problem, STOCHASTIC_SAMPLES, "inputs")
        return
    radius = float(provider.step_radius(np.float64))
    for problem in _supported(provider):
        input_grad = provider.input_grad(problem.net, problem.params, problem.X, problem.Y)
        reference = problem.reference()
        exempt = kink_crossings(problem.spec, problem.params, problem.X, radius, wrt="inputs")
        floor = gradient_floor(reference, exact=provider.exact, inputs=True)
        error = relative_error(input_grad, reference.input_grad, floor=floor, exempt=exempt)
        assert error <= provider.tolerance, (
            f"on {problem}: the input gradient differs from the reference by {error:.2e} relative to "
            f"{_measure(provider)}, more than the declared tolerance {provider.tolerance:g} "
            f"({_worst_entry(input_grad, reference.input_grad, exempt)})"
        )


def _check_stochastic_stack(provider: Any) -> None:
    for problem in _supported(provider):
        net, stack, X, Y = problem.net, problem.stack, problem.X, problem.Y
        R = stack.shape[0]
        seeds = [100 + r for r in range(R)]

        def generators(seeds=seeds):
            return [np.random.default_rng(s) for s in seeds]

        costs, grads = provider.value_and_grad(net, stack, X, Y, rng=generators())
        input_grads = provider.input_grad(net, stack, X, Y, rng=generators())
        shared = provider.value_and_grad(net, stack, X, Y, rng=np.random.default_rng(7))[1]
        again = np.random.default_rng(7)
        in_order = [provider.value_and_grad(net, row, X, Y, rng=again)[1] for row in stack]
        for r, row in enumerate(stack):
            cost, grad = provider.value_and_grad(net, row, X, Y, rng=np.random.default_rng(seeds[r]))
            input_grad = provider.input_grad(net, row, X, Y, rng=np.random.default_rng(seeds[r]))
            where = f"row {r} of a stack of {R} on {problem}, each row with its own generator"
            assert math.isclose(float(costs[r]), float(cost), rel_tol=VALUE_RTOL, abs_tol=0.0), (
                f"{where}: cost {float(costs[r])!r}, but {float(cost)!r} for that row alone"
            )
            one = f"row {r} of a stack of {R} on {problem} drawing from one generator"
            pairs = (("gradient", grads[r], grad, where), ("input gradient", input_grads[r], input_grad, where),
                     ("gradient", shared[r], in_order[r], one))  # fmt: skip
            for quantity, stacked, alone, label in pairs:
                error = relative_error(stacked, alone, floor=abs(float(cost)))
                assert error <= STOCHASTIC_STACK_RTOL, (
                    f"{label}: the {quantity} differs from the one of that row alone (same generator, same state) by "
                    f"{error:.2e} relative to max(|g_alone|_inf, |cost|), more than {STOCHASTIC_STACK_RTOL:g}; each "
                    f"row must draw from its own generator only ({_worst_entry(stacked, alone)})"
                )


@named_check("gradient")
def check_stack_equals_loop(provider: Any) -> None:
    """Row r of a stack call equals the call on row r alone (within the declared tolerance): no mixing.

    A stochastic provider is given one generator per row, and the row alone the same
    generator (seeded again); rows must then agree within :data:`STOCHASTIC_STACK_RTOL`.
    One generator for the whole stack must give what row-by-row calls drawing from one
    generator in order give.
    """
    if _stochastic(provider):
        _check_stochastic_stack(provider)
        return
    for problem in _supported(provider):
        net, stack, X, Y = problem.net, problem.stack, problem.X, problem.Y
        costs, grads = provider.value_and_grad(net, stack, X, Y)
        input_grads = provider.input_grad(net, stack, X, Y)
        for r, row in enumerate(stack):
            cost, grad = provider.value_and_grad(net, row, X, Y)
            input_grad = provider.input_grad(net, row, X, Y)
            where = f"row {r} of a stack of {len(stack)} on {problem}"
            assert math.isclose(float(costs[r]), float(cost), rel_tol=VALUE_RTOL, abs_tol=0.0), (
                f"{where}: cost {float(costs[r])!r}, but {float(cost)!r} for that row alone"
            )
            for quantity, stacked, alone in (("gradient", grads[r], grad), ("input gradient", input_grads[r],
                                                                               input_grad)):  # fmt: skip
                error = relative_error(stacked, alone, floor=_floor(provider, cost))
                scale = "max(|g_alone|_inf, |cost|)" if not provider.exact else "|g_alone|_inf"
                assert error <= provider.tolerance, (
                    f"{where}: the {quantity} differs from the one of that row alone by {error:.2e} relative to "
                    f"{scale}, more than the declared tolerance {provider.tolerance:g}; each network "
                    f"of a stack must be computed on its own ({_worst_entry(stacked, alone)})"
                )


@named_check("gradient")
def check_dtype_preserved(provider: Any) -> None:
    """float32 in, float32 out (cost, gradient, input gradient; vector and stack); float64 likewise.

    The float32 gradients must also be usable: within :data:`FLOAT32_TOLERANCE` of the
    reference at the same (rounded) point, measured as for a method that is not exact.
    """
    for problem in _supported(provider):
        for dtype in (np.float32, np.float64):
            params, stack, X, Y = (np.asarray(a, dtype=dtype) for a in (problem.params, problem.stack, problem.X,
                                                                        problem.Y))  # fmt: skip
            for points in (params, stack):
                cost, grad = provider.value_and_grad(problem.net, points, X, Y, **_rng(provider))
                input_grad = provider.input_grad(problem.net, points, X, Y, **_rng(provider))
                for quantity, value in (("cost", cost), ("gradient", grad), ("input gradient", input_grad)):
                    got = np.asarray(value).dtype
                    assert got == dtype, (
                        f"{np.dtype(dtype).name} in, {got} out: the {quantity} of params {points.shape} on {problem}"
                    )
        params32, X32 = problem.params.astype(np.float32), problem.X.astype(np.float32)
        cost, grad = provider.value_and_grad(problem.net, params32, X32, problem.Y.astype(np.float32), **_rng(provider))
        if _stochastic(provider):  # the same directions in float64: the estimates must agree
            _, grad64 = provider.value_and_grad(problem.net, params32.astype(np.float64), X32.astype(np.float64),
                                                problem.Y, **_rng(provider))  # fmt: skip
            error = relative_error(grad, grad64, floor=abs(float(cost)))
            assert error <= FLOAT32_TOLERANCE, (
                f"on {problem}: the float32 estimate differs from the float64 one from the same generator by "
                f"{error:.2e} relative to max(|g|_inf, |cost|), more than {FLOAT32_TOLERANCE:g}"
            )
            continue
        reference = problem.reference(np.float32)
        exempt = kink_crossings(problem.spec, params32, X32, float(provider.step_radius(np.float32)))
        error = relative_error(grad, reference.grad, floor=gradient_floor(reference, exact=False), exempt=exempt)
        assert error <= FLOAT32_TOLERANCE, (
            f"on {problem}: the float32 gradient differs from the reference by {error:.2e} relative to "
            f"max(|g_ref|_inf, its terms, |cost|), more than {FLOAT32_TOLERANCE:g} "
            f"({_worst_entry(grad, reference.grad, exempt)})"
        )


# --------------------------------------------------------------------------------------- the work


@named_check("gradient")
def check_work_per_network(provider: Any) -> None:
    """After calls on a stack of R and on one vector, the counters hold R + 1 times the declared Work.

    Each declaration must be a :class:`~gradmethods.gradients.base.Work` with ``njev=1``
    (one gradient per network), ``nfev >= 1`` and ``fpe > 0``.
    """
    problem = _supported(provider)[0]
    net, X, Y = problem.net, problem.X, problem.Y
    N = X.shape[0]
    for call_name, declaration in _CALLS:
        call, declare = getattr(provider, call_name), getattr(provider, declaration)
        provider.reset_counts()
        expected: dict[str, float] = dict.fromkeys(_WORK_FIELDS, 0)
        for params in (problem.stack, problem.params):
            R = 1 if params.ndim == 1 else params.shape[0]
            call(net, params, X, Y, **_rng(provider))
            work = declare(net, R, N)
            assert isinstance(work, Work), f"{declaration}() must return a Work; got {work!r}"
            assert work.njev == 1, (
                f"{declaration}() declares njev={work.njev} per network; a call returns one gradient per network"
            )
            assert work.nfev >= 1 and work.fpe > 0, (
                f"{declaration}() declares {work}: a gradient costs at least one evaluation and some arithmetic"
            )
            for key, value in work.as_dict().items():
                expected[key] += R * value
            counts = provider.counts()
            assert all(math.isclose(counts[key], expected[key], rel_tol=1e-12, abs_tol=0.0) for key in _WORK_FIELDS), (
                f"after {call_name} on a stack of {R} (following the calls before it) the counters are {counts}; "
                f"the declared work per network times the networks adds up to {expected}"
            )


class _CountingTrace:
    """Stands in for ``net.trace``: counts the parameter vectors that go through the forward pass.

    A call on a stack ``(R, P)`` (or inputs ``(M, R, N, n_in)`` broadcast against it) is
    R (or M R) forward passes, whatever the number type: a dual pass with k tangents is one.
    """

    def __init__(self, trace: Any) -> None:
        self.trace = trace
        self.passes = 0

    def __call__(self, params: Any, X: Any) -> Any:
        lead = np.broadcast_shapes(tuple(params.shape[:-1]), tuple(X.shape[:-2]))
        self.passes += math.prod(lead)
        return self.trace(params, X)


@named_check("gradient")
def check_declared_forward_passes(provider: Any) -> None:
    """The declared ``forward_passes`` are the passes through ``net.trace`` the provider makes.

    The network's forward pass is wrapped in a counting proxy; after a call on a stack
    of R, the passes it saw must be R times the declared ``forward_passes``.  (A
    provider that runs a forward pass of its own, never calling ``net.trace``, cannot
    be observed this way and passes.)
    """
    for problem in _supported(provider)[:2]:
        for call_name, declaration in _CALLS:
            for params in (problem.params, problem.stack):
                R = 1 if params.ndim == 1 else params.shape[0]
                net = copy.copy(problem.net)
                counter = _CountingTrace(net.trace)
                net.trace = counter  # an instance attribute: the provider's net.trace(...) calls go through it
                getattr(provider, call_name)(net, params, problem.X, problem.Y, **_rng(provider))
                declared = getattr(provider, declaration)(problem.net, R, problem.X.shape[0]).forward_passes
                if counter.passes == 0:
                    continue
                assert counter.passes == R * declared, (
                    f"{call_name} on a stack of {R} on {problem} ran {counter.passes} forward passes of the network "
                    f"(counted at net.trace), but {declaration}() declares {declared} per network, "
                    f"{R * declared} in all: the declared work must be the work done"
                )


@named_check("gradient")
def check_rng(provider: Any) -> None:
    """``rng=`` is validated; a stochastic provider requires it and repeats itself from the same seed.

    Any provider refuses an ``rng`` that is not a Generator (TypeError) or a list of the
    wrong length (ValueError).  An exact provider ignores a valid one.  A stochastic
    provider refuses a call without it (ValueError, no work counted), gives the same
    estimate twice from the same seed and another from another seed.
    """
    problem = _supported(provider)[0]
    net, params, stack, X, Y = problem.net, problem.params, problem.stack, problem.X, problem.Y
    for bad, error in ((12345, TypeError), ([np.random.default_rng(0)] * (stack.shape[0] + 1), ValueError)):
        try:
            provider.value_and_grad(net, stack, X, Y, rng=bad)
        except error:
            pass
        else:
            raise AssertionError(f"value_and_grad accepted rng={short_repr(bad)}; it must raise {error.__name__}")
    assert _zero_counts(provider), f"refused calls counted work: {provider.counts()}"
    if not _stochastic(provider):
        plain = provider.value_and_grad(net, params, X, Y)[1]
        seeded = provider.value_and_grad(net, params, X, Y, rng=np.random.default_rng(0))[1]
        assert np.array_equal(plain, seeded), "an exact provider must ignore rng=, but the gradient changed with it"
        return
    for call in (provider.value_and_grad, provider.input_grad):
        try:
            call(net, params, X, Y)
        except ValueError as exc:
            assert "rng" in str(exc), f"{call.__name__} without rng= raised {str(exc)!r}, which does not name rng"
        else:
            raise AssertionError(f"{call.__name__} without rng= was accepted; a stochastic provider must raise "
                                 "ValueError asking for a generator")  # fmt: skip
    assert _zero_counts(provider), f"refused calls counted work: {provider.counts()}"
    first = provider.value_and_grad(net, params, X, Y, rng=np.random.default_rng(3))[1]
    second = provider.value_and_grad(net, params, X, Y, rng=np.random.default_rng(3))[1]
    other = provider.value_and_grad(net, params, X, Y, rng=np.random.default_rng(4))[1]
    assert np.array_equal(first, second), "the same seed gave two different estimates"
    assert not np.array_equal(first, other), "two seeds gave the same estimate: the generator is not used"


@named_check("gradient")
def check_reset_counts(provider: Any) -> None:
    """Calls add to the counters, and ``reset_counts`` sets every one of them back to zero."""
    problem = _supported(provider)[0]
    provider.value_and_grad(problem.net, problem.params, problem.X, problem.Y, **_rng(provider))
    provider.input_grad(problem.net, problem.stack, problem.X, problem.Y, **_rng(provider))
    counts = provider.counts()
    assert counts["nfev"] > 0 and counts["njev"] > 0, f"two calls left the counters at {counts}"
    provider.reset_counts()
    assert _zero_counts(provider), f"after reset_counts() the counters are {provider.counts()}"
    assert provider.nfev == 0 and provider.njev == 0, "reset_counts() must reset the nfev and njev attributes"


@named_check("gradient")
def check_non_finite_refused(provider: Any) -> None:
    """NaN or inf in the parameters (vector or one row of a stack), X or Y raises ValueError, and counts nothing."""
    problem = _supported(provider)[0]
    params, stack, X, Y = problem.params.copy(), problem.stack.copy(), problem.X.copy(), problem.Y.copy()
    bad_params, bad_stack, bad_X, bad_Y = params.copy(), stack.copy(), X.copy(), Y.copy()
    bad_params[0] = np.nan
    bad_stack[-1, -1] = np.inf
    bad_X[-1, 0] = np.nan
    bad_Y[0, -1] = -np.inf
    cases = (("NaN in params", bad_params, X, Y), ("inf in one row of a stack", bad_stack, X, Y),
             ("NaN in X", params, bad_X, Y), ("-inf in Y", params, X, bad_Y))  # fmt: skip
    for what, p, x, y in cases:
        for call in (provider.value_and_grad, provider.input_grad):
            try:
                call(problem.net, p, x, y, **_rng(provider))
            except ValueError:
                pass
            else:
                raise AssertionError(f"{call.__name__} accepted {what}; non-finite input must raise ValueError")
    assert _zero_counts(provider), f"refused calls counted work: {provider.counts()}"


@functools.cache
def _tolerance_problems() -> tuple[Problem, ...]:
    return tuple(random_problem(seed, max_layers=3, max_width=6) for seed in TOLERANCE_SEEDS)


@named_check("gradient")
def check_declared_tolerance(provider: Any) -> None:
    """The declared tolerance holds on random networks (every activation and cost), kink crossings exempt.

    For a stochastic provider, the statistical test of :func:`check_value_and_grad`
    (with :data:`STOCHASTIC_TOLERANCE_SAMPLES` estimates) on each random network.
    """
    from .problems import compare_with_reference

    for problem in _tolerance_problems():
        if not provider.supports(problem.net):
            continue
        if _stochastic(provider):
            for wrt in ("params", "inputs"):
                _check_estimates(provider, problem, STOCHASTIC_TOLERANCE_SAMPLES, wrt)
            continue
        result = compare_with_reference(provider, problem.net, problem.params, problem.X, problem.Y,
                                         references=[problem.reference()])  # fmt: skip
        assert result.value_error <= VALUE_RTOL, f"on {problem}: cost off the reference by {result.value_error:.2e}"
        worst = max(result.grad_error, result.input_grad_error)
        assert worst <= provider.tolerance, (
            f"on {problem}: gradient error {result.grad_error:.2e}, input gradient error "
            f"{result.input_grad_error:.2e} relative to {_measure(provider)}, more than the declared tolerance "
            f"{provider.tolerance:g} (kink crossings exempt: {result.exempt_params} parameters, "
            f"{result.exempt_inputs} inputs)"
        )


#: Every provider check, in the order :func:`gradmethods.testing.check_provider` runs them.
PROVIDER_CHECKS: tuple[Check, ...] = (
    check_contract,
    check_supports,
    check_shapes,
    check_value_and_grad,
    check_input_grad,
    check_stack_equals_loop,
    check_dtype_preserved,
    check_work_per_network,
    check_declared_forward_passes,
    check_rng,
    check_reset_counts,
    check_non_finite_refused,
    check_declared_tolerance,
)
