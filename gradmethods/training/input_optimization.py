"""Optimizing the input instead of the weights (the post's last section).

Backprop gives ``dCost/dInput`` as readily as ``dCost/dWeight``.  Stepping the *input*
along it, with the weights held fixed, answers a different question: which input
makes the network give a wanted output (gradient descent on the cost: "dreaming" a
digit out of noise), or how little must a recognized input change before the network
stops recognizing it (gradient *ascent*: "add the derivatives, don't subtract them",
an adversarial example).  Any gradient provider's ``input_grad`` serves.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..core.network import Network
from ..core.registry import get_method, get_provider, providers
from ..core.validation import check_array, check_positive_float, check_positive_int
from ..gradients.base import GradientProvider
from .optim import Transform, sgd
from .results import Outcome
from .trainers.gradient_descent import descend

__all__ = ["InputOptimizationResult", "optimize_input"]


@dataclass
class InputOptimizationResult:
    """What :func:`optimize_input` returns.

    For a single input ``x0`` of shape ``(n_inputs,)`` the per-pattern axis ``N`` is
    dropped from every array below.

    Attributes
    ----------
    x : ndarray, shape (N, n_inputs)
        The optimized inputs.
    x0 : ndarray, shape (N, n_inputs)
        The starting inputs (a copy).
    target : ndarray, shape (N, n_outputs)
        The targets the cost was measured against.
    cost_history : ndarray, shape (S + 1, N)
        Each pattern's cost before any step (row 0) and after each of the S steps run.
        A pattern that met ``stop_when`` keeps its input, so its cost stays constant.
    outputs_before, outputs_after : ndarray, shape (N, n_outputs)
        The network's outputs for ``x0`` and for ``x``.
    steps_taken : ndarray of int, shape (N,)
        Steps applied to each pattern (fewer than S once it met ``stop_when``).
    done : ndarray of bool, shape (N,)
        Whether each pattern met ``stop_when`` (all False without it).
    outcome : Outcome
        ``CONVERGED`` if every pattern met ``stop_when``; ``DIVERGED`` if a gradient or
        an input became non-finite (that step is not taken) or a cost did (the last
        row of ``cost_history`` shows it); else ``BUDGET_EXHAUSTED``.
    nfev, njev : int
        The provider's work for this optimization, in calls (see
        :class:`~gradmethods.gradients.base.GradientProvider`).
    fpe : float
        The same work in forward-pass equivalents (:class:`~gradmethods.gradients.base.Work`):
        each ``input_grad`` call's arithmetic relative to one real forward pass on the
        patterns it was given.  NaN for a provider that does not count ``fpe``.  The
        forward passes that measure each step's cost are monitoring, not counted.
    """

    x: np.ndarray
    x0: np.ndarray
    target: np.ndarray
    cost_history: np.ndarray
    outputs_before: np.ndarray
    outputs_after: np.ndarray
    steps_taken: np.ndarray
    done: np.ndarray
    outcome: Outcome
    nfev: int
    njev: int
    fpe: float = math.nan

    @property
    def cost_before(self) -> np.ndarray:
        """Each pattern's cost at ``x0``."""
        return self.cost_history[0]

    @property
    def cost_after(self) -> np.ndarray:
        """Each pattern's cost at ``x``."""
        return self.cost_history[-1]


def _resolve_provider(provider: str | GradientProvider) -> GradientProvider:
    if getattr(provider if not isinstance(provider, str) else get_method(provider), "stochastic", False):
        raise ValueError(
            f"optimize_input follows each pattern's input gradient; {getattr(provider, 'name', provider)!r} is a "
            "stochastic estimator, which is not supported here. Use an exact or numerical provider."
        )
    if isinstance(provider, str):
        return get_provider(provider)
    if not callable(getattr(provider, "input_grad", None)):
        raise ValueError(
            f"The 'provider' parameter must be a provider name among {sorted(providers())} or an object "
            f"with an input_grad method. Got {provider!r} instead."
        )
    return provider


def _fpe(provider: GradientProvider) -> float:
    """The provider's ``fpe`` counter, NaN if it keeps none."""
    return float(getattr(provider, "fpe", math.nan))


def _check_clip(clip: Any) -> tuple[float, float] | None:
    if clip is None:
        return None
    try:
        if isinstance(clip, (str, bytes)):
            raise TypeError
        low, high = (float(v) for v in clip)
    except (TypeError, ValueError):
        low = high = float("nan")
    if not (np.isfinite(low) and np.isfinite(high) and low < high):
        raise ValueError(
            f"The 'clip' parameter must be None or (low, high) with finite low < high. Got {clip!r} instead."
        )
    return low, high


def _per_pattern_cost(net: Network, params: np.ndarray, X: np.ndarray, Y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each pattern's cost ``(N,)`` and the outputs ``(N, n_outputs)``: one forward pass."""
    z, a = net.trace(params, X)[-1]
    # cost_from_outputs averages over the pattern axis; a pattern axis of length 1 per
    # pattern turns that mean into the per-pattern cost (fused forms included).
    return net.cost_from_outputs(z[:, None, :], a[:, None, :], Y[:, None, :]), a


def _ask(stop_when: Callable, outputs: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """``stop_when(outputs, targets)`` as a bool array, one entry per pattern."""
    answer = np.asarray(stop_when(outputs, targets))
    if answer.shape != (len(outputs),) or answer.dtype != bool:
        raise ValueError(
            f"stop_when must return a bool array of shape ({len(outputs)},), one entry per pattern; "
            f"got {answer.dtype} of shape {answer.shape}."
        )
    return answer


def optimize_input(
    net: Network,
    params: Any,
    x0: Any,
    target: Any,
    *,
    steps: int = 100,
    lr: float | None = None,
    ascent: bool = False,
    provider: str | GradientProvider = "backprop",
    clip: tuple[float, float] | None = None,
    stop_when: Callable[[np.ndarray, np.ndarray], np.ndarray] | None = None,
    optimizer: Transform | None = None,
) -> InputOptimizationResult:
    """Change the input, not the weights, by gradient descent (or ascent) on the cost.

    Parameters
    ----------
    net : Network
    params : ndarray, shape (P,)
        The (trained) network's parameters; they are not changed.
    x0 : array_like, shape (n_inputs,) or (N, n_inputs)
        Starting input(s).  N inputs are optimized together, each independently.
    target : array_like, shape (n_outputs,) or (N, n_outputs)
        Target output(s) the cost is measured against (one target is used for all N).
    steps : int, default 100
        Largest number of steps.
    lr : float, optional
        Step size (default 0.1): ``x -= lr * dC/dx`` (``+=`` with ``ascent=True``).  Not with ``optimizer``.
    ascent : bool, default False
        Gradient ascent: move the input so that the cost *rises* (away from ``target``).
    provider : str or GradientProvider, default "backprop"
        Name of a registered gradient provider (see :func:`gradmethods.providers`) or
        a provider instance; its ``input_grad`` gives the gradient.
    clip : (float, float) or None
        Valid input range; the inputs are clipped to it after every step.  ``x0``
        itself is used as given.
    stop_when : callable, optional
        ``stop_when(outputs, targets) -> bool array (N,)``, given the network's
        outputs and the targets of the patterns still running (both
        ``(N, n_outputs)``): a pattern for which it is True is left alone from then on
        (checked before the first step too).  The optimization ends when every
        pattern is done.  For example ``lambda out, y: out.argmax(-1) != y.argmax(-1)``
        stops each pattern at its first misclassification.
    optimizer : Transform, optional
        Any update rule of :mod:`gradmethods.optim` (one state row per pattern) instead of
        the plain step of size ``lr``.

    Returns
    -------
    InputOptimizationResult

    Notes
    -----
    ``input_grad`` is the gradient of the *mean* cost over the patterns it is given.
    Pattern ``i``'s input only enters pattern ``i``'s cost, so multiplying by the
    number of patterns gives each input the gradient of its own cost: a step does not
    depend on how many inputs are optimized together, and one input optimized alone
    takes exactly the same path.  Only patterns still running are passed to the
    provider.  Steps are plain gradient steps, as the post describes (or any
    ``optimizer``), taken by the descent loop that trains weights
    (:func:`~gradmethods.training.trainers.gradient_descent.descend`) with one row per
    pattern; clipping after each step is projected gradient descent onto the box
    ``[low, high]``.

    Examples
    --------
    One sigmoid neuron with weight 1 and bias 0: its output ``sigmoid(x)`` rises
    towards the target 1 as the input grows.

    >>> import numpy as np, gradmethods as gm
    >>> net = gm.Network([1, 1])
    >>> result = gm.optimize_input(net, np.array([1.0, 0.0]), [0.0], [1.0], steps=50, lr=2.0)
    >>> bool(result.x[0] > 0) and bool(result.cost_after < result.cost_before)
    True
    """
    params = net.check_params(params)
    if params.ndim != 1:
        raise ValueError(f"params must be one parameter vector of shape ({net.n_params},); got shape {params.shape}.")
    dtype = params.dtype
    single = np.ndim(x0) == 1
    X = check_array("x0", x0, shape=(net.n_inputs,) if single else (None, net.n_inputs), dtype=dtype)
    X = np.array(X.reshape(-1, net.n_inputs), dtype=dtype)
    n_patterns = X.shape[0]
    target_array = np.asarray(target, dtype=dtype)
    if target_array.ndim == 1:
        target_array = check_array("target", target_array, shape=(net.n_outputs,), dtype=dtype)
    else:
        target_array = check_array("target", target_array, shape=(n_patterns, net.n_outputs), dtype=dtype)
    Y = np.array(np.broadcast_to(target_array, (n_patterns, net.n_outputs)))
    steps = check_positive_int("steps", steps)
    if optimizer is None:
        rule = sgd(check_positive_float("lr", 0.1 if lr is None else lr))
    elif lr is not None:
        raise ValueError("Give the step either as lr= or as optimizer=, not both.")
    else:
        rule = optimizer
    box = _check_clip(clip)
    provider = _resolve_provider(provider)
    nfev0, njev0, fpe0 = provider.nfev, provider.njev, _fpe(provider)

    x_start = X.copy()
    cost, outputs = _per_pattern_cost(net, params, X, Y)
    outputs_before = outputs
    history = [cost]
    steps_taken = np.zeros(n_patterns, dtype=np.int64)
    done = np.zeros(n_patterns, dtype=bool) if stop_when is None else _ask(stop_when, outputs, Y)
    outcome = Outcome.BUDGET_EXHAUSTED
    found: dict[str, np.ndarray] = {}

    def evaluate(i: int, running: np.ndarray, x: np.ndarray) -> np.ndarray:
        grad = provider.input_grad(net, params, x, Y[running]) * dtype.type(running.size)
        found["finite"] = np.isfinite(grad).all()
        return -grad if ascent else grad  # ascent: a descent step on the negated gradient

    def finish(i: int, running: np.ndarray, x: np.ndarray, stepped: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        nonlocal cost, outputs, outcome
        if box is not None:
            np.clip(stepped, box[0], box[1], out=stepped)
        if not (found["finite"] and np.isfinite(stepped).all()):  # that step is not taken; everything stops
            outcome = Outcome.DIVERGED
            return x, np.ones(running.size, dtype=bool)
        X[running] = stepped
        steps_taken[running] += 1
        cost, outputs = _per_pattern_cost(net, params, X, Y)
        history.append(cost)
        if not np.isfinite(cost).all():
            outcome = Outcome.DIVERGED
            return stepped, np.ones(running.size, dtype=bool)
        if stop_when is not None:
            done[running] = _ask(stop_when, outputs[running], Y[running])
        return stepped, done[running]

    start = np.flatnonzero(~done)  # the patterns that need steps; descend indexes the rows it is given
    with np.errstate(all="ignore"):
        descend(X[start], rule, steps, lambda i, rows, x: evaluate(i, start[rows], x),
                lambda i, rows, x, stepped: finish(i, start[rows], x, stepped))  # fmt: skip
    if stop_when is not None and done.all():
        outcome = Outcome.CONVERGED

    cost_history = np.array(history)
    if single:
        X, x_start, Y, outputs_before, outputs = X[0], x_start[0], Y[0], outputs_before[0], outputs[0]
        cost_history, steps_taken, done = cost_history[:, 0], steps_taken[0], done[0]
    return InputOptimizationResult(
        x=X, x0=x_start, target=Y, cost_history=cost_history, outputs_before=outputs_before,
        outputs_after=outputs, steps_taken=steps_taken, done=done, outcome=outcome,
        nfev=provider.nfev - nfev0, njev=provider.njev - njev0, fpe=_fpe(provider) - fpe0,
    )  # fmt: skip
