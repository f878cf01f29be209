"""Genetic operators: selection, crossover and mutation on a whole population at once.

Each operator is a small pure function of arrays and a ``numpy.random.Generator``;
none loops over individuals.  A population is a ``(R, P)`` stack of flat parameter
vectors (see :mod:`gradmethods.core.network`), its ``cost`` an ``(R,)`` vector where lower
is better (a non-finite cost must be replaced by ``+inf`` before selection).

* **selection** ``select(cost, n, rng, **options) -> (n,) int indices`` of parents:
  :func:`tournament_selection`, :func:`rank_selection`, :func:`truncation_selection`;
* **crossover** ``cross(first, second, rng, **options) -> children`` of the shape and
  dtype of ``first``: :func:`uniform_crossover`, :func:`blend_crossover`,
  :func:`arithmetic_crossover`;
* **mutation** :func:`gaussian_mutation`.

The name tables :data:`SELECTIONS` and :data:`CROSSOVERS` are what the genetic
trainer's ``selection=`` and ``crossover=`` settings look up.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

__all__ = [
    "tournament_selection",
    "rank_selection",
    "truncation_selection",
    "uniform_crossover",
    "blend_crossover",
    "arithmetic_crossover",
    "gaussian_mutation",
    "tournament_winners",
    "uniform_mix",
    "blend_mix",
    "arithmetic_mix",
    "mutate",
    "SELECTIONS",
    "CROSSOVERS",
    "CROSSOVER_MIXES",
]


# ---------------------------------------------------------------------- selection
def tournament_selection(cost: np.ndarray, n: int, rng: np.random.Generator, *, size: int = 3) -> np.ndarray:
    """Pick ``n`` parents, each the best of ``size`` members drawn with replacement.

    Parameters
    ----------
    cost : ndarray, shape (R,)
        Cost of every member (lower is better; ``+inf`` never wins against a finite cost).
    n : int
        Number of parents to pick.
    rng : numpy.random.Generator
    size : int, default 3
        Tournament size: 1 is uniform random choice, larger is greedier.

    Returns
    -------
    ndarray of int, shape (n,)
        Indices into the population.

    Notes
    -----
    The selection pressure depends only on the cost *ranks*, not on their scale, so
    it is unchanged when the costs shrink by orders of magnitude near a solution.
    With ``size=k`` the best member wins a tournament with probability about ``k / R``.

    Examples
    --------
    >>> import numpy as np
    >>> tournament_selection(np.array([3.0, 1.0, 2.0]), 4, np.random.default_rng(0), size=3).shape
    (4,)
    """
    return tournament_winners(cost, rng.integers(0, cost.shape[0], size=(n, size)))


def tournament_winners(cost: np.ndarray, entrants: np.ndarray) -> np.ndarray:
    """The member of lowest cost of each tournament: ``cost (..., R)``, ``entrants (..., n, size)`` -> ``(..., n)``.

    The arithmetic of :func:`tournament_selection` once its entrants are drawn, for one
    population or a stack of them (leading axes).
    """
    lead = entrants.shape[:-2]
    seen = np.take_along_axis(cost, entrants.reshape(lead + (-1,)), axis=-1).reshape(entrants.shape)
    winner = np.argmin(seen, axis=-1)
    return np.take_along_axis(entrants, winner[..., None], axis=-1)[..., 0]


def rank_selection(cost: np.ndarray, n: int, rng: np.random.Generator, *, pressure: float = 1.5) -> np.ndarray:
    """Pick ``n`` parents with probability falling linearly with the cost rank.

    Parameters
    ----------
    cost : ndarray, shape (R,)
    n : int
    rng : numpy.random.Generator
    pressure : float in [1, 2], default 1.5
        Expected number of picks of the best member per ``R`` picks; the worst member
        gets ``2 - pressure``.  1 is uniform choice.

    Returns
    -------
    ndarray of int, shape (n,)

    Notes
    -----
    Linear ranking (Baker, 1985): the member of rank ``r`` (0 = best) among ``R`` has
    probability ``(pressure - 2 (pressure - 1) r / (R - 1)) / R``; ties are broken by
    position, which a stable sort keeps reproducible.
    """
    members = cost.shape[0]
    order = np.argsort(cost, kind="stable")
    rank = np.empty(members, dtype=np.float64)
    rank[order] = np.arange(members)
    weight = pressure - 2.0 * (pressure - 1.0) * rank / max(members - 1, 1)
    return rng.choice(members, size=n, p=weight / weight.sum())


def truncation_selection(cost: np.ndarray, n: int, rng: np.random.Generator, *, share: float = 0.5) -> np.ndarray:
    """Pick ``n`` parents uniformly among the best ``share`` of the population.

    Parameters
    ----------
    cost : ndarray, shape (R,)
    n : int
    rng : numpy.random.Generator
    share : float in (0, 1], default 0.5
        Fraction of the population that may breed (at least one member).

    Returns
    -------
    ndarray of int, shape (n,)
    """
    members = cost.shape[0]
    best = np.argsort(cost, kind="stable")[: max(1, int(round(share * members)))]
    return best[rng.integers(0, best.shape[0], size=n)]


# ---------------------------------------------------------------------- crossover
def uniform_crossover(first: np.ndarray, second: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Each gene from either parent with probability 1/2.

    Parameters
    ----------
    first, second : ndarray, shape (n, P)
        The two parents of each child, row by row.
    rng : numpy.random.Generator

    Returns
    -------
    ndarray, shape (n, P), dtype of ``first``
    """
    return uniform_mix(first, second, rng.random(first.shape) < 0.5)


def uniform_mix(first: np.ndarray, second: np.ndarray, from_first: np.ndarray) -> np.ndarray:
    """:func:`uniform_crossover` once its coin flips ``from_first`` are drawn."""
    return np.where(from_first, first, second).astype(first.dtype, copy=False)


def blend_crossover(
    first: np.ndarray, second: np.ndarray, rng: np.random.Generator, *, alpha: float = 0.5
) -> np.ndarray:
    """BLX-alpha: each gene drawn uniformly from the parents' interval widened by ``alpha``.

    Parameters
    ----------
    first, second : ndarray, shape (n, P)
    rng : numpy.random.Generator
    alpha : float >= 0, default 0.5
        How far beyond the parents' interval a gene may land, as a fraction of its
        length on each side.

    Returns
    -------
    ndarray, shape (n, P), dtype of ``first``

    Notes
    -----
    Child gene ``x = a + u (b - a)`` with ``u ~ U(-alpha, 1 + alpha)`` per gene
    (Eshelman and Schaffer, 1993).  ``alpha = 0.5`` keeps the variance of the genes
    from shrinking generation after generation, so the search can move outside the
    region the first population spans - the post's networks need weights several
    times larger than the initial ones.
    """
    return blend_mix(first, second, rng.uniform(-alpha, 1.0 + alpha, size=first.shape))


def blend_mix(first: np.ndarray, second: np.ndarray, u: np.ndarray) -> np.ndarray:
    """:func:`blend_crossover` once its draws ``u ~ U(-alpha, 1 + alpha)`` are made: ``first + u (second - first)``."""
    return first + u.astype(first.dtype, copy=False) * (second - first)


def arithmetic_crossover(first: np.ndarray, second: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Whole arithmetic crossover: ``w a + (1 - w) b`` with one ``w ~ U(0, 1)`` per child.

    Parameters
    ----------
    first, second : ndarray, shape (n, P)
    rng : numpy.random.Generator

    Returns
    -------
    ndarray, shape (n, P), dtype of ``first``
    """
    return arithmetic_mix(first, second, rng.random((first.shape[0], 1)))


def arithmetic_mix(first: np.ndarray, second: np.ndarray, w: np.ndarray) -> np.ndarray:
    """:func:`arithmetic_crossover` once its weights ``w (..., n, 1)`` are drawn: ``w a + (1 - w) b``."""
    w = w.astype(first.dtype, copy=False)
    return w * first + (1 - w) * second


# ---------------------------------------------------------------------- mutation
def gaussian_mutation(population: np.ndarray, rng: np.random.Generator, *, rate: float, scale: float) -> np.ndarray:
    """Add ``N(0, scale^2)`` noise to each gene with probability ``rate``.

    Parameters
    ----------
    population : ndarray, shape (n, P)
    rng : numpy.random.Generator
    rate : float in [0, 1]
        Probability that a gene is mutated.
    scale : float >= 0
        Standard deviation of the noise.

    Returns
    -------
    ndarray, shape (n, P), dtype of ``population`` (a new array).

    Examples
    --------
    >>> import numpy as np
    >>> pop = np.zeros((2, 3), dtype=np.float32)
    >>> gaussian_mutation(pop, np.random.default_rng(0), rate=0.0, scale=1.0)
    array([[0., 0., 0.],
           [0., 0., 0.]], dtype=float32)
    """
    mutated = rng.random(population.shape) < rate
    return mutate(population, mutated, rng.standard_normal(population.shape, dtype=population.dtype), scale)


def mutate(population: np.ndarray, mutated: np.ndarray, noise: np.ndarray, scale: float) -> np.ndarray:
    """:func:`gaussian_mutation` once its draws are made: add ``scale noise`` where ``mutated``."""
    dtype = population.dtype
    return population + np.where(mutated, noise * dtype.type(scale), dtype.type(0))


#: Selection operators by name.
SELECTIONS: dict[str, Callable[..., np.ndarray]] = {
    "tournament": tournament_selection,
    "rank": rank_selection,
    "truncation": truncation_selection,
}

#: Crossover operators by name.
CROSSOVERS: dict[str, Callable[..., np.ndarray]] = {
    "uniform": uniform_crossover,
    "blend": blend_crossover,
    "arithmetic": arithmetic_crossover,
}

#: What each crossover computes once its draws are made: ``mix(first, second, draws)``.
CROSSOVER_MIXES: dict[str, Callable[..., np.ndarray]] = {
    "uniform": uniform_mix,
    "blend": blend_mix,
    "arithmetic": arithmetic_mix,
}
