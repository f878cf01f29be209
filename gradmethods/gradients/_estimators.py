"""What the stochastic gradient estimators share: drawing directions per network, centered ranks,
and the base of the estimators that difference the cost at ``w ± size · d``."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .base import ProviderBase, Work

__all__ = ["draw_directions", "centered_ranks", "AntitheticEstimator"]


def draw_directions(rngs: Sequence[np.random.Generator], shape: tuple[int, ...], distribution: str,
                    dtype: np.dtype) -> np.ndarray:  # fmt: skip
    """Random directions ``(R,) + shape``: row r drawn from ``rngs[r]`` alone, in float64, then cast.

    ``"gaussian"``: independent standard normal entries; ``"rademacher"``: independent
    ``±1`` with probability one half each.  The draws are made in float64 whatever the
    dtype (one block per generator), so a float32 call sees the same directions,
    rounded, as a float64 call from the same generators.
    """
    if distribution == "gaussian":
        rows = [rng.standard_normal(shape) for rng in rngs]
    elif distribution == "rademacher":
        rows = [2.0 * rng.integers(0, 2, size=shape, dtype=np.int8) - 1.0 for rng in rngs]
    else:
        raise ValueError(f"unknown distribution {distribution!r}; expected 'gaussian' or 'rademacher'.")
    return np.stack(rows).astype(dtype, copy=False)


def centered_ranks(values: np.ndarray) -> np.ndarray:
    """Each row's values replaced by their ranks scaled to ``[-0.5, 0.5]`` (Salimans et al. 2017).

    The smallest of a row of m values becomes ``-0.5``, the largest ``0.5``; ties are
    broken by position.  Rows are independent.
    """
    m = values.shape[-1]
    ranks = np.argsort(np.argsort(values, axis=-1, kind="stable"), axis=-1, kind="stable")
    return (ranks / max(m - 1, 1) - 0.5).astype(values.dtype, copy=False)


def antithetic_costs(net, params: np.ndarray, X: np.ndarray, Y: np.ndarray, directions: np.ndarray, size: float,
                     on: str = "params") -> tuple[np.ndarray | None, np.ndarray, np.ndarray]:  # fmt: skip
    """Costs at ``x ± size * d`` for every direction, as one stacked forward pass.

    ``size`` is one number for every row, or an ``(R,)`` array, one per row.
    ``directions`` is ``(R, m, P)`` on the parameters (``on="params"``; the unperturbed
    point is evaluated in the same pass, first, and its cost returned) or
    ``(R, m, N * n_inputs)`` on the inputs (``on="inputs"``; no base cost).  Returns
    ``(base (R,) or None, plus (R, m), minus (R, m))``.
    """
    R, m = directions.shape[:2]
    if np.ndim(size) == 0:
        step = params.dtype.type(size)
    else:  # one size per row, broadcast over the row's directions and entries
        step = np.asarray(size, dtype=params.dtype).reshape((R, 1, 1) if on == "params" else (R, 1, 1, 1))
    if on == "params":
        base = params[:, None, :]
        points = np.concatenate([base, base + step * directions, base - step * directions], axis=1)
        z, a = net.trace(points, X)[-1]
        costs = net.cost_from_outputs(z, a, Y)  # (R, 2m + 1)
        return costs[:, 0], costs[:, 1 : m + 1], costs[:, m + 1 :]
    shift = step * directions.reshape((R, m) + X.shape)
    inputs = np.concatenate([X + shift, X - shift], axis=1)  # (R, 2m, N, n_in)
    z, a = net.trace(params[:, None, :], inputs)[-1]
    costs = net.cost_from_outputs(z, a, Y)  # (R, 2m)
    return None, costs[:, :m], costs[:, m:]


class AntitheticEstimator(ProviderBase):
    """Base of the estimators that difference the cost at ``w ± size · d`` along random directions.

    A subclass says how many direction pairs one estimate draws (:attr:`pairs`), how far it
    steps (:attr:`size`), from which :attr:`distribution`, and how the cost differences
    become an estimate (``_estimate(plus, minus, directions)``).  One call evaluates the
    ``2 * pairs`` perturbed vectors of every network of the stack (and ``w`` itself for
    ``value_and_grad``, whose cost is returned exactly) as one stacked forward pass, so it
    declares ``2 * pairs + 1`` real forward passes (``2 * pairs`` for ``input_grad``).

    A subclass whose size depends on the step of the descent sets ``uses_step`` (see
    :mod:`gradmethods.gradients.base`) and implements :meth:`sizes`; its ``_estimate`` then
    takes the sizes as a fourth argument.
    """

    distribution: str = "gaussian"

    @property
    def pairs(self) -> int:
        """Direction pairs per estimate."""
        raise NotImplementedError

    @property
    def size(self) -> float:
        """The perturbation along each direction."""
        raise NotImplementedError

    def sizes(self, steps: np.ndarray) -> np.ndarray:
        """The perturbation of each row at its step number (``(R,)``, float64); for ``uses_step``."""
        raise NotImplementedError

    def _estimate(self, plus: np.ndarray, minus: np.ndarray, directions: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def _sized_estimate(self, net, params, X, Y, directions, steps, on="params"):
        """The costs at ``x ± size · d`` and the estimate: at :attr:`size`, or at each row's
        :meth:`sizes` when ``steps`` is given."""
        if steps is None:
            cost, plus, minus = antithetic_costs(net, params, X, Y, directions, self.size, on=on)
            return cost, self._estimate(plus, minus, directions)
        sizes = self.sizes(steps)
        cost, plus, minus = antithetic_costs(net, params, X, Y, directions, sizes, on=on)
        return cost, self._estimate(plus, minus, directions, sizes)

    @staticmethod
    def _real_passes(evaluations: int) -> Work:
        return Work(nfev=evaluations, njev=1, forward_passes=evaluations, fpe=float(evaluations))

    def value_and_grad_work(self, net, networks: int, patterns: int) -> Work:
        return self._real_passes(2 * self.pairs + 1)

    def input_grad_work(self, net, networks: int, patterns: int) -> Work:
        return self._real_passes(2 * self.pairs)

    def compute_value_and_grad(self, net, params: np.ndarray, X: np.ndarray, Y: np.ndarray, rngs: list,
                               steps: np.ndarray | None = None):  # fmt: skip
        directions = draw_directions(rngs, (self.pairs, net.n_params), self.distribution, params.dtype)
        return self._sized_estimate(net, params, X, Y, directions, steps)

    def compute_input_grad(self, net, params: np.ndarray, X: np.ndarray, Y: np.ndarray, rngs: list,
                           steps: np.ndarray | None = None) -> np.ndarray:  # fmt: skip
        directions = draw_directions(rngs, (self.pairs, X.size), self.distribution, X.dtype)
        _, estimate = self._sized_estimate(net, params, X, Y, directions, steps, on="inputs")
        return estimate.reshape((params.shape[0],) + X.shape)
