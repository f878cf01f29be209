"""Gradient checks: every provider against every other, a Taylor test, the FD step study.

The relative error of a gradient ``g`` against a reference ``g_ref`` is, per network,

    max_j |g_j - g_ref_j| / max(max_j |g_ref_j|, tiny)

(the largest entrywise error in units of the reference's largest entry; ``tiny`` is
the dtype's smallest normal number, so an all-zero reference gives the absolute
error).  For a stack of networks it is the maximum over the networks.  Scaling by the
largest entry rather than entry by entry keeps gradient entries that are zero, or
nearly so, from turning harmless absolute rounding errors into huge ratios.

Which methods exist and what they promise is read from the registry
(:func:`gradmethods.get_method`): a pair of methods agrees when their difference is
within the sum of their declared tolerances, measured as those tolerances are stated
(see :func:`check_gradients`); the step study covers the numerical methods that take a
``step`` setting (:func:`step_methods`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..core.network import Network
from ..core.params import declared_parameters
from ..core.registry import get_method, get_provider, providers
from ..core.validation import check_choice

__all__ = ["max_relative_error", "check_gradients", "taylor_test", "fd_step_study", "step_study_minima",
           "step_methods"]  # fmt: skip


def step_methods(net: Network | None = None) -> list[str]:
    """The registered numerical methods that take a ``step`` setting, least accurate first.

    Finite differences (whose ``step_radius`` is their relative step) and the complex
    step: every provider of family ``"numerical"`` whose class declares a ``step``
    parameter, ordered by declared tolerance, largest first.  With ``net``, only those
    that support it (the complex step refuses ``relu``).

    Examples
    --------
    >>> step_methods()
    ['fd_forward', 'fd_central', 'fd_richardson', 'complex_step']
    """
    infos = [get_method(name) for name in providers()]
    chosen = [info for info in infos
              if info.family == "numerical" and "step" in declared_parameters(info.factory)
              and (net is None or info.supports(net))]  # fmt: skip
    return [info.name for info in sorted(chosen, key=lambda info: -info.tolerance)]


def max_relative_error(grad: Any, reference: Any, *, stacked: bool = False) -> float:
    """``max|g - g_ref| / max(|g_ref|_inf, tiny)`` for one network, maximum over a stack.

    Parameters
    ----------
    grad, reference : array_like
        Same shape.
    stacked : bool, default False
        The leading axis indexes R networks (a gradient ``(R, P)`` or an input gradient
        ``(R, N, n_in)``): each network is scaled by its own reference and the
        largest of the R errors is returned.

    Examples
    --------
    >>> max_relative_error([1.0, 2.5], [1.0, 2.0])
    0.25
    >>> max_relative_error([[1.0, 2.5], [10.0, 10.0]], [[1.0, 2.0], [10.0, 11.0]], stacked=True)
    0.25
    """
    grad, reference = np.asarray(grad, dtype=float), np.asarray(reference, dtype=float)
    if grad.shape != reference.shape:
        raise ValueError(f"grad and reference must have the same shape; got {grad.shape} and {reference.shape}.")
    networks = len(reference) if stacked else 1
    error = np.abs(grad - reference).reshape(networks, -1).max(axis=1, initial=0.0)
    scale = np.abs(reference).reshape(networks, -1).max(axis=1, initial=0.0)
    return float(np.max(error / np.maximum(scale, np.finfo(reference.dtype).tiny)))


def _resolve_providers(names: Sequence[str] | None) -> list[str]:
    """The providers to compare: by default every one that is not stochastic.

    A stochastic estimator has no pointwise tolerance to hold it to (its single
    estimate is far from the gradient by design), so naming one is refused.
    """
    available = [name for name in providers() if not get_method(name).stochastic]
    names = available if names is None else list(names)
    for name in names:
        if name in providers() and get_method(name).stochastic:
            raise ValueError(
                f"{name!r} is a stochastic estimator: one estimate does not agree with the gradient pointwise, so "
                "the gradient check leaves it out; gradmethods.testing checks estimators statistically."
            )
        check_choice("providers", name, available)
    return names


def _error_within_tolerance(grad: np.ndarray, reference: np.ndarray, cost: np.ndarray, *, exact: bool) -> float:
    """The error as declared tolerances state it: against ``max(|g_ref|_inf, |cost|)`` unless both are exact."""
    networks = cost.size
    error = np.abs(grad - reference).reshape(networks, -1).max(axis=1, initial=0.0)
    scale = np.abs(reference).reshape(networks, -1).max(axis=1, initial=0.0)
    if not exact:
        scale = np.maximum(scale, np.abs(cost.reshape(networks)))
    return float(np.max(error / np.maximum(scale, np.finfo(np.float64).tiny)))


def check_gradients(
    net: Network, params: Any, X: Any, Y: Any, providers: Sequence[str] | None = None
) -> pd.DataFrame:
    """Pairwise relative differences of every provider's gradient and input gradient.

    Parameters
    ----------
    net : Network
    params : array_like, (P,) or (R, P)
    X, Y : array_like
    providers : sequence of str, optional
        Provider names (default: all registered that are not stochastic).  A provider that does not support
        the network (``supports(net)`` is false: complex step on ``relu``) is left out
        and listed in ``result.attrs["skipped"]`` with its ``unsupported_reason``.

    Returns
    -------
    DataFrame
        Long form, one row per ordered pair: ``quantity`` ("params" for dC/dw,
        "inputs" for dC/dX), ``provider``, ``reference``, ``max_rel_error`` (see
        :func:`max_relative_error`; the reference's scale is the denominator),
        ``tolerance`` (the sum of the two methods' declared tolerances) and ``agrees``
        (whether the difference is within it, measured as the tolerances are stated:
        against ``max(|g_ref|_inf, |cost|)`` when either method is not exact).
        Pivot with ``df.pivot(index="provider", columns="reference", values=...)``.
    """
    names = _resolve_providers(providers)
    params = net.check_params(params)
    X, Y = net.check_data(X, Y, params)
    grads: dict[str, dict[str, np.ndarray]] = {"params": {}, "inputs": {}}
    costs: dict[str, np.ndarray] = {}
    skipped: dict[str, str] = {}
    for name in names:
        provider = get_provider(name)
        if not provider.supports(net):
            skipped[name] = provider.unsupported_reason(net)
            continue
        cost, grads["params"][name] = provider.value_and_grad(net, params, X, Y)
        grads["inputs"][name] = provider.input_grad(net, params, X, Y)
        costs[name] = np.asarray(cost, dtype=np.float64)
    facts = {name: get_method(name) for name in costs}
    stacked = params.ndim == 2
    rows = []
    for quantity, by_name in grads.items():
        for name in by_name:
            for ref in by_name:
                tolerance = float(facts[name].tolerance) + float(facts[ref].tolerance)
                declared = _error_within_tolerance(
                    np.asarray(by_name[name], dtype=np.float64), np.asarray(by_name[ref], dtype=np.float64),
                    costs[ref], exact=facts[name].exact and facts[ref].exact,
                )  # fmt: skip
                error = max_relative_error(by_name[name], by_name[ref], stacked=stacked)
                rows.append((quantity, name, ref, error, tolerance, declared <= tolerance))
    columns = ["quantity", "provider", "reference", "max_rel_error", "tolerance", "agrees"]
    table = pd.DataFrame(rows, columns=columns)
    table.attrs["skipped"] = skipped
    return table


def taylor_test(
    net: Network,
    params: Any,
    X: Any,
    Y: Any,
    provider: Any = "backprop",
    *,
    rng: np.random.Generator | None = None,
    steps: Any = None,
) -> tuple[pd.DataFrame, float]:
    """Taylor-remainder test of a provider's gradient along a random direction.

    With ``g`` the provider's gradient and ``d`` a direction, the remainder
    ``r(h) = |C(w + h d) - C(w) - h g.d|`` is ``O(h**2)`` if ``g`` is the gradient and
    only ``O(h)`` if it is wrong; the observed order is the slope of ``log r`` against
    ``log h``.

    Parameters
    ----------
    net, params, X, Y
        One network (``params`` of shape ``(P,)``) and its data.
    provider : str or provider instance
    rng : numpy.random.Generator, optional
        Draws ``d`` (standard normal, scaled to unit Euclidean length); default seed 0.
    steps : array_like, optional
        Step sizes h, decreasing; default ``0.5 * 2**-k`` for k = 0..11.

    Returns
    -------
    table : DataFrame
        Columns ``h, remainder, order`` (order between consecutive rows).
    observed_order : float
        Least-squares slope of ``log r`` on ``log h`` over the steps whose remainder is
        above rounding (``1e3 * eps * (1 + |C|)``); NaN if fewer than two are.

    Notes
    -----
    All perturbed costs are one stacked forward pass.
    """
    params = net.check_params(params)
    if params.ndim != 1:
        raise ValueError(f"taylor_test takes one parameter vector of shape ({net.n_params},); got {params.shape}.")
    X, Y = net.check_data(X, Y, params)
    rng = np.random.default_rng(0) if rng is None else rng
    steps = 0.5 * 2.0 ** -np.arange(12) if steps is None else np.asarray(steps, dtype=params.dtype)
    direction = rng.standard_normal(net.n_params).astype(params.dtype)
    direction /= np.linalg.norm(direction)
    provider = get_provider(provider) if isinstance(provider, str) else provider
    cost, grad = provider.value_and_grad(net, params, X, Y)
    stack = params + steps[:, None] * direction
    z, a = net.trace(stack, X)[-1]
    remainder = np.abs(net.cost_from_outputs(z, a, Y) - cost - steps * (grad @ direction))
    with np.errstate(divide="ignore", invalid="ignore"):
        order = np.concatenate([[np.nan], np.diff(np.log(remainder)) / np.diff(np.log(steps))])
    table = pd.DataFrame({"h": steps, "remainder": remainder, "order": order})
    usable = remainder > 1e3 * np.finfo(params.dtype).eps * (1 + abs(float(cost)))
    if usable.sum() < 2:
        return table, float("nan")
    slope = np.polyfit(np.log(steps[usable]), np.log(remainder[usable]), 1)[0]
    return table, float(slope)


def fd_step_study(
    net: Network,
    params: Any,
    X: Any,
    Y: Any,
    *,
    methods: Sequence[str] | None = None,
    steps: Any = None,
    reference: str = "dual",
) -> pd.DataFrame:
    """Error of finite-difference gradients against an exact one, over a range of steps.

    The classic V: truncation error falls with the step, rounding error grows as the
    step shrinks; the minimum sits near ``eps**(1/2)`` for forward and ``eps**(1/3)`` for
    central differences.  The complex step has no rounding branch.

    Parameters
    ----------
    net, params, X, Y
        The network and point (``(P,)`` or a stack ``(R, P)``).
    methods : sequence of str, optional
        Providers taking a ``step=`` option; default :func:`step_methods` of ``net``
        (every registered numerical method with a ``step`` setting that supports the
        network: the complex step only for analytic activations).
    steps : array_like, optional
        Relative steps; default ``10**k`` for k from -16 to -1 in steps of 0.25.
    reference : str, default "dual"
        Exact provider the errors are measured against.

    Returns
    -------
    DataFrame
        Long form: ``method, step, max_rel_error`` (see :func:`max_relative_error`).
    """
    methods = step_methods(net) if methods is None else _resolve_providers(methods)
    without_step = [name for name in methods if "step" not in declared_parameters(get_method(name).factory)]
    if without_step:
        raise ValueError(f"fd_step_study varies the 'step' setting; {without_step} take none. "
                         f"Methods with a step: {step_methods()}.")  # fmt: skip
    steps = 10.0 ** np.arange(-16, -0.99, 0.25) if steps is None else np.asarray(steps, dtype=float)
    params = net.check_params(params)
    exact = get_provider(reference).value_and_grad(net, params, X, Y)[1]
    rows = [
        (method, float(step), max_relative_error(get_provider(method, step=step).value_and_grad(net, params, X, Y)[1],
                                                 exact, stacked=params.ndim == 2))
        for method in methods
        for step in steps
    ]
    return pd.DataFrame(rows, columns=["method", "step", "max_rel_error"])


def step_study_minima(study: pd.DataFrame) -> pd.DataFrame:
    """The bottom of each method's V: the row of :func:`fd_step_study` with the smallest error."""
    best = study.loc[study.groupby("method", sort=False)["max_rel_error"].idxmin()]
    return best.reset_index(drop=True)
