"""What the stochastic gradient estimators share: drawing directions per network, centered ranks."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = ["draw_directions", "centered_ranks"]


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

    ``directions`` is ``(R, m, P)`` on the parameters (``on="params"``; the unperturbed
    point is evaluated in the same pass, first, and its cost returned) or
    ``(R, m, N * n_inputs)`` on the inputs (``on="inputs"``; no base cost).  Returns
    ``(base (R,) or None, plus (R, m), minus (R, m))``.
    """
    R, m = directions.shape[:2]
    step = params.dtype.type(size)
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
