"""Statistical checks for stochastic gradient estimators: fixed seeds, bounds from the sample variance.

An estimator's single estimate is far from the gradient by design; what can be held to a
bound is the *mean* of many estimates.  :func:`draw_estimates` draws M estimates of one
point as one stacked call from one seeded generator (so a check is repeatable: it
cannot be flaky), and :func:`mean_test` says whether their mean is within ``z``
standard errors (computed from the sample variance) plus an allowance for a declared
bias of the exact gradient, coordinate by coordinate and along the gradient itself.
The second criterion catches a wrong scale: the projection of the estimates on the
gradient's direction is one number per sample, with a far smaller standard error than
a single coordinate's when P is large.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["MeanTest", "mean_test", "coordinate_bound", "draw_estimates", "Z_BOUND"]

#: Standard errors the mean of the estimates may lie from the exact gradient.
Z_BOUND = 5.0


@dataclass(frozen=True)
class MeanTest:
    """The outcome of :func:`mean_test`.

    Attributes
    ----------
    passed : bool
    coordinate_excess : float
        The largest ``(|mean_j - g_j| - allowance) / se_j`` over coordinates (``<=``
        :func:`coordinate_bound` to pass; ``-inf`` when every deviation is within the
        allowance).
    along_excess : float
        The same for the projection on ``g / |g|`` (``nan`` for ``g = 0``).
    samples : int
    """

    passed: bool
    coordinate_excess: float
    along_excess: float
    samples: int

    def __str__(self) -> str:
        return (f"mean of {self.samples} estimates: worst coordinate {self.coordinate_excess:.2f} standard errors "
                f"beyond the allowance, along the gradient {self.along_excess:.2f}")  # fmt: skip


def _excess(deviation: np.ndarray, se: np.ndarray, allowance: float) -> np.ndarray:
    beyond = np.abs(deviation) - allowance
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(beyond <= 0, -np.inf, np.where(se > 0, beyond / se, np.inf))


def coordinate_bound(z: float, coordinates: int) -> float:
    """The bound each of ``coordinates`` tests gets so that together they alarm as often as one ``z`` test."""
    from scipy.special import ndtr, ndtri

    return float(-ndtri(ndtr(-z) / max(int(coordinates), 1)))


def mean_test(estimates: Any, exact: Any, *, allowance: float = 0.0, z: float = Z_BOUND) -> MeanTest:
    """Whether the mean of M estimates ``(M, D)`` agrees with ``exact`` ``(D,)`` within sampling error.

    Passes when the projections ``s_m = ĝ_m · g/|g|`` have ``|mean(s) - |g|| <= z se +
    allowance`` (``se`` the sample standard deviation over ``sqrt(M)``) and, for every
    coordinate j, ``|mean_j - g_j| <= z_D se_j + allowance``, where ``z_D`` (the
    coordinate bound, :func:`coordinate_bound`) gives the family of D coordinates the
    false-alarm probability of one z test (Bonferroni): 5.0 for one coordinate, 5.8 for
    100, 6.6 for 10,000.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> g = np.array([1.0, -2.0, 0.5])
    >>> samples = g + rng.standard_normal((4000, 3))
    >>> mean_test(samples, g).passed, mean_test(1.2 * samples, g).passed
    (True, False)
    """
    estimates = np.asarray(estimates, dtype=np.float64)
    exact = np.asarray(exact, dtype=np.float64).reshape(-1)
    estimates = estimates.reshape(estimates.shape[0], -1)
    M = estimates.shape[0]
    se = estimates.std(axis=0, ddof=1) / np.sqrt(M)
    coordinate = float(np.max(_excess(estimates.mean(axis=0) - exact, se, allowance), initial=-np.inf))
    coordinate_z = coordinate_bound(z, exact.size)
    norm = float(np.linalg.norm(exact))
    along = np.nan
    if norm > 0:
        projections = estimates @ (exact / norm)
        along = float(_excess(np.asarray(projections.mean() - norm), np.asarray(projections.std(ddof=1) / np.sqrt(M)),
                              allowance))  # fmt: skip
    passed = coordinate <= coordinate_z and not (along > z)
    return MeanTest(bool(passed), coordinate, along, M)


def draw_estimates(provider: Any, net: Any, params: np.ndarray, X: Any, Y: Any, samples: int, *, seed: int = 0,
                   wrt: str = "params") -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """``samples`` estimates at one point, as one stacked call drawing from ``default_rng(seed)``.

    Returns ``(costs (samples,), estimates (samples, D))`` for ``wrt="params"``
    (D = P) or ``(None, estimates (samples, N * n_inputs))`` for ``wrt="inputs"``.
    """
    stack = np.repeat(np.asarray(params)[None, :], samples, axis=0)
    rng = np.random.default_rng(seed)
    if wrt == "params":
        costs, grads = provider.value_and_grad(net, stack, X, Y, rng=rng)
        return np.asarray(costs), np.asarray(grads)
    return None, np.asarray(provider.input_grad(net, stack, X, Y, rng=rng)).reshape(samples, -1)
