"""A genetic algorithm that trains a network without any gradient.

The post's fourth way: create many random networks, see how they do, combine the
good ones (with some losers, so as not to get stuck), mutate, repeat.  The population
is a ``(population_size, n_params)`` stack of flat parameter vectors; each generation
evaluates all its new members with **one** call of the network's forward pass.
"""

from __future__ import annotations

import math
import sys
import time
from typing import Any

import numpy as np
import pandas as pd

from ...core.network import Network, _mean_over_patterns, error_from_outputs
from ...core.params import Integral, Interval, Options, Real, validate, validate_params
from ...core.reductions import sum_last_axis
from ...core.registry import register_trainer
from ...core.tasks import Task
from ..results import Outcome, RunBatch, RunColumns, TrainResult
from .base import resolve_engine
from .operators import CROSSOVER_MIXES, CROSSOVERS, SELECTIONS, gaussian_mutation

__all__ = ["GeneticTrainer", "GENETIC_HISTORY_COLUMNS", "evaluate_population", "ENGINES"]

#: Engines of the breeding step: ``"numpy"`` (the reference), ``"numba"`` (the compiled step of
#: :mod:`~gradmethods.training.trainers.genetic_compiled`, the same numbers bit for bit), ``"auto"``
#: (numba where it is installed and breeds the run, numpy otherwise).
ENGINES = ("auto", "numpy", "numba")

#: History columns of a genetic run: the common ones (``fpe`` equals ``nfev``: every network
#: evaluated is one real forward pass), then the population's statistics.
GENETIC_HISTORY_COLUMNS = (
    "iteration", "cost", "error", "nfev", "njev", "fpe", "seconds", "median_cost", "population_std",
    "mutation_scale",
)  # fmt: skip


def evaluate_population(net: Network, population: np.ndarray, X: np.ndarray, Y: np.ndarray
                        ) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """Cost and error (float64, ``(R,)``) of every member of a ``(R, P)`` stack from ONE forward pass.

    A member whose cost or error is not finite (overflow) gets ``+inf`` for both, so it
    loses every comparison.  The genetic and CMA-ES trainers evaluate their populations
    with it.

    With the ``half_sse`` cost (not fused with the output activation) the cost and the
    error share each pattern's squared distance ``|a - y|^2``, computed once: the half
    SSE is ``0.5`` times it and the error its square root, both averaged over the patterns
    as :meth:`Network.cost_from_outputs` and :func:`error_from_outputs` average them (the
    same operations, so the same numbers: ``y - a`` is ``-(a - y)`` exactly).
    """
    z, a = net.trace(population, X)[-1]
    if net.cost_function.name == "half_sse" and not net.fused_output and type(a) is np.ndarray:
        diff = a - Y
        squared = sum_last_axis(np.multiply(diff, diff, out=diff))
        cost = np.asarray(_mean_over_patterns(0.5 * squared), dtype=np.float64)
        error = np.asarray(_mean_over_patterns(np.sqrt(squared)), dtype=np.float64)
    else:
        cost = np.asarray(net.cost_from_outputs(z, a, Y), dtype=np.float64)
        error = np.asarray(error_from_outputs(a, Y), dtype=np.float64)
    bad = ~(np.isfinite(cost) & np.isfinite(error))
    cost[bad] = np.inf
    error[bad] = np.inf
    return cost, error


def _take_per_run(values: np.ndarray, index: np.ndarray) -> np.ndarray:
    """``np.take_along_axis(values, index, axis=1)`` for 2-D arrays, as one gather from the flat array."""
    runs, width = values.shape
    return np.ascontiguousarray(values).reshape(-1)[index + (np.arange(runs) * width)[:, None]]


def _tournament_winners_per_run(cost: np.ndarray, entrants: np.ndarray) -> np.ndarray:
    """:func:`~.operators.tournament_winners` for a stack of runs: ``cost (A, size)``, ``entrants (A, n, t)``.

    The entrant of lowest cost, the first one on a tie (``argmin``'s choice; costs are never NaN:
    :func:`evaluate_population` makes a non-finite cost ``+inf``), found by comparing the ``t``
    entrants one after the other instead of an ``argmin`` over a short last axis.  The entrants
    are laid out position by position (``(t, A, n)``) so that each comparison reads contiguous
    memory; the best cost so far is ``np.minimum`` (equal costs are equal whatever the sign of a
    zero, so only which entrant wins matters) and the winner is chosen on the bits of the indices
    (numpy's ``where`` branches on every element, which random outcomes make slow).
    """
    runs, n, size = entrants.shape
    by_position = np.ascontiguousarray(np.moveaxis(entrants, -1, 0))  # (t, A, n)
    seen = np.ascontiguousarray(cost).reshape(-1)[by_position + (np.arange(runs) * cost.shape[1])[:, None]]
    best_cost, winner = seen[0], by_position[0]  # updated in place: both are this function's arrays
    better = np.empty(best_cost.shape, dtype=bool)
    chooser = np.empty(winner.shape, dtype=np.int64)
    for j in range(1, size):  # a few entrants per tournament
        np.less(seen[j], best_cost, out=better)
        np.minimum(best_cost, seen[j], out=best_cost)
        np.negative(better.view(np.int8), out=chooser)  # -1 (every bit set) where entrant j is better, else 0
        np.bitwise_and(np.bitwise_xor(winner, by_position[j]), chooser, out=chooser)
        np.bitwise_xor(winner, chooser, out=winner)
    return winner


def _zero_where_not(mask: np.ndarray, values: np.ndarray) -> np.ndarray:
    """``np.where(mask, values, 0)`` in place for a float array, bit for bit, without branches.

    ``values & -mask`` on the bits (``+0.0`` has no bit set): numpy's ``where`` branches on every
    element, which a random mask makes slow.
    """
    bits = np.dtype(f"u{values.dtype.itemsize}")
    ones = np.negative(mask.astype(bits))  # all bits set where mask
    np.bitwise_and(values.view(bits), ones, out=values.view(bits))
    return values


def _median_of_sorted(cost: np.ndarray, order: np.ndarray) -> np.ndarray:
    """``np.median(cost, axis=1)`` from the stable ``order`` of each row (costs are never NaN).

    numpy's median is the mean of the middle one or two order statistics: their sum (from
    ``+0.0``, numpy's reduction identity) divided by their count.
    """
    runs, width = cost.shape
    middle = [width // 2] if width % 2 else [width // 2 - 1, width // 2]
    values = _take_per_run(cost, order[:, middle])
    total = values[:, 0] + 0.0 if len(middle) == 1 else values[:, 0] + values[:, 1] + 0.0
    return total / len(middle)


def _check_int(name: str, value: Any, low: int, high: int | None = None) -> int:
    """``value`` as an int in ``[low, high]`` (``high`` None: no upper bound)."""
    return validate(name, value, [Interval(Integral, low, high)])


_SHARE = Interval(Real, 0, 1)


def _check_seed(seed: Any, name: str = "seed") -> None:
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(
            f"The {name!r} parameter must be an int >= 0 (the genetic algorithm is random; a seed makes the "
            f"run repeatable). Got {seed!r} instead."
        )


@register_trainer("genetic")
class GeneticTrainer:
    """Train a network with a genetic algorithm over a population of parameter vectors.

    Every setting is checked when the trainer is built, so a bad one fails before
    any work.  Reach it through ``gm.train(task, method="genetic", seed=..., **settings)``.

    Parameters
    ----------
    population_size : int >= 2, default 96
        Networks per generation.
    selection : {"tournament", "rank", "truncation"}, default "tournament"
        How parents are picked (see :mod:`gradmethods.training.trainers.operators`).
    tournament_size : int >= 1, default 3
        Members per tournament (``selection="tournament"``).
    rank_pressure : float in [1, 2], default 1.5
        Expected picks of the best member per population (``selection="rank"``).
    truncation_share : float in (0, 1], default 0.5
        Share of the population allowed to breed (``selection="truncation"``).
    crossover : {"blend", "uniform", "arithmetic"}, default "blend"
        How two parents make a child.
    crossover_rate : float in [0, 1], default 0.9
        Probability that a child is a crossover; otherwise it copies its first parent
        (then mutation alone changes it).
    blend_alpha : float >= 0, default 0.5
        Widening of the parents' interval (``crossover="blend"``).
    mutation_rate : float in [0, 1], default 0.2
        Probability that a gene of a child is mutated.
    mutation_scale : float >= 0, default 1.5
        Standard deviation of the Gaussian mutation in generation 0.
    mutation_decay : float in (0, 1], default 1.0
        The scale in generation ``g`` is ``mutation_scale * mutation_decay ** g``; 1
        keeps it constant.
    elitism : int, 0 <= elitism < population_size, default 2
        The best members copied unchanged into the next generation.
    loser_share : float in [0, 1], default 0.1
        Share of the parents drawn uniformly from the non-elite members, whatever
        their cost: the post's "losers" that reproduce to keep diversity.
    max_generations : int >= 1, default 500
        Generations evaluated (generation 0 is the initial population) when
        :func:`gradmethods.train` gets no ``iterations``.
    max_nfev : int >= population_size, optional
        Budget of networks evaluated; the run stops before a generation that would
        exceed it.
    engine : {"auto", "numpy", "numba"}, default "auto"
        What breeds each generation (:data:`ENGINES`): numpy's array operations, or a
        compiled step (numba, the ``fast`` extra) that draws from each run's own
        generator and computes the same numbers bit for bit; ``"auto"`` takes numba
        where it is installed and breeds the run (tournament or truncation selection,
        ``default_rng`` generators, float32 or float64), numpy otherwise.  The engine
        that ran is recorded in each run's settings.

    Notes
    -----
    One generation: sort by cost; keep the ``elitism`` best unchanged; draw
    ``2 (population_size - elitism)`` parents with the selection operator, replacing
    a ``loser_share`` of them by uniformly drawn non-elite members; cross each pair
    (with probability ``crossover_rate``); mutate; evaluate the children with one
    forward pass of the ``(population_size - elitism, n_params)`` stack.  The elites
    keep their measured cost (they are not re-evaluated), so the best cost never
    increases and ``nfev`` counts only networks actually evaluated:
    ``population_size + g (population_size - elitism)`` after generation ``g``.

    A member whose cost is not finite (overflow) gets cost ``+inf`` and so loses
    every comparison; only a generation in which *no* member is finite ends the run
    as ``DIVERGED``.

    The defaults were tuned on the post's ``not`` and ``or_and`` tasks and on XOR
    (see ``docs/genetic.md``).  The blend crossover with ``alpha = 0.5`` and a
    constant mutation scale let the weights grow well beyond their Glorot-uniform
    start, which a sigmoid network needs to bring its outputs within 0.05 of 0 and 1.

    Examples
    --------
    >>> import gradmethods as gm
    >>> result = gm.train("not", method="genetic", seed=0, target=0.05)
    >>> result.outcome.value
    'CONVERGED'
    """

    name = "genetic"
    family = "gradient_free"
    style = ("#000000", "P", "-")
    #: Each setting and the values it accepts (see :mod:`gradmethods.core.params`);
    #: ``gm.train`` and suite files check settings against this table.  Two limits
    #: depend on ``population_size`` and are checked when the trainer is built:
    #: ``elitism < population_size`` and ``max_nfev >= population_size``.
    parameters = {
        "population_size": [Interval(Integral, 2, None)],
        "selection": [Options(*SELECTIONS)],
        "tournament_size": [Interval(Integral, 1, None)],
        "rank_pressure": [Interval(Real, 1, 2)],
        "truncation_share": [Interval(Real, 0, 1, closed="right")],
        "crossover": [Options(*CROSSOVERS)],
        "crossover_rate": [_SHARE],
        "blend_alpha": [Interval(Real, 0, None)],
        "mutation_rate": [_SHARE],
        "mutation_scale": [Interval(Real, 0, None)],
        "mutation_decay": [Interval(Real, 0, 1, closed="right")],
        "elitism": [Interval(Integral, 0, None)],
        "loser_share": [_SHARE],
        "max_generations": [Interval(Integral, 1, None)],
        "max_nfev": [Interval(Integral, 1, None), None],
        "engine": [Options(*ENGINES)],
    }

    def __init__(
        self,
        population_size: int = 96,
        *,
        selection: str = "tournament",
        tournament_size: int = 3,
        rank_pressure: float = 1.5,
        truncation_share: float = 0.5,
        crossover: str = "blend",
        crossover_rate: float = 0.9,
        blend_alpha: float = 0.5,
        mutation_rate: float = 0.2,
        mutation_scale: float = 1.5,
        mutation_decay: float = 1.0,
        elitism: int = 2,
        loser_share: float = 0.1,
        max_generations: int = 500,
        max_nfev: int | None = None,
        engine: str = "auto",
    ) -> None:
        given = {name: value for name, value in locals().items() if name in self.parameters}  # the arguments
        settings = validate_params(given, self.parameters, owner="method 'genetic'")
        size = settings["population_size"]
        settings["elitism"] = validate("elitism", settings["elitism"], [Interval(Integral, 0, size - 1)],
                                       note=f"smaller than population_size={size}, so each generation has children")
        if settings["max_nfev"] is not None:
            settings["max_nfev"] = validate("max_nfev", settings["max_nfev"], [Interval(Integral, size, None)],
                                            note=f"at least population_size={size}, the first generation")
        for name, value in settings.items():
            setattr(self, name, value)

    def get_params(self) -> dict[str, Any]:
        """The trainer's settings as a dict (scikit-learn style), in the order of :attr:`parameters`."""
        return {name: getattr(self, name) for name in self.parameters}

    def __repr__(self) -> str:
        settings = ", ".join(f"{key}={value!r}" for key, value in self.get_params().items())
        return f"GeneticTrainer({settings})"

    def engine_problem(self, dtype: Any, rngs: list[np.random.Generator] | None = None) -> str | None:
        """Why the compiled breeding step cannot breed runs of ``dtype`` drawing from ``rngs``; None if it can.

        What ``engine="numba"`` refuses (suites ask it before any run).
        """
        return _compiled_step().unsupported_reason(self, dtype, rngs)

    def resolve_engine(self, dtype: Any, rngs: list[np.random.Generator] | None = None) -> str:
        """The engine that breeds runs of ``dtype`` drawing from ``rngs``: ``"auto"`` resolved; ``"numba"`` refused
        where the compiled step cannot breed them."""
        return resolve_engine(self.engine, lambda: self.engine_problem(dtype, rngs), "breed")

    # ------------------------------------------------------------------ one generation
    _evaluate = staticmethod(evaluate_population)

    def _select_parents(self, cost: np.ndarray, order: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
        """``n`` parent indices: by the selection operator, a ``loser_share`` of them non-elite at random."""
        options = {
            "tournament": {"size": self.tournament_size},
            "rank": {"pressure": self.rank_pressure},
            "truncation": {"share": self.truncation_share},
        }[self.selection]
        chosen = SELECTIONS[self.selection](cost, n, rng, **options)
        losers = order[self.elitism :]  # never empty: elitism < population_size
        is_loser = rng.random(n) < self.loser_share
        loser = losers[rng.integers(0, losers.shape[0], size=n)]
        return np.where(is_loser, loser, chosen)

    def _breed(self, population: np.ndarray, cost: np.ndarray, order: np.ndarray, n: int, scale: float,
               rng: np.random.Generator) -> np.ndarray:  # fmt: skip
        """``n`` children: selection, crossover (with probability ``crossover_rate``), mutation."""
        parents = self._select_parents(cost, order, 2 * n, rng)
        first, second = population[parents[:n]], population[parents[n:]]
        options = {"alpha": self.blend_alpha} if self.crossover == "blend" else {}
        crossed = CROSSOVERS[self.crossover](first, second, rng, **options)
        does_cross = rng.random((n, 1)) < self.crossover_rate
        children = np.where(does_cross, crossed, first)
        return gaussian_mutation(children, rng, rate=self.mutation_rate, scale=scale)

    def _breed_runs(self, populations: np.ndarray, cost: np.ndarray, order: np.ndarray, n: int, scale: float,
                    rngs: list[np.random.Generator], half_kept: np.ndarray) -> np.ndarray:  # fmt: skip
        """:meth:`_breed` for a stack of runs ``(A, size, P)``: ``n`` children per run, ``(A, n, P)``.

        Run ``a`` draws from ``rngs[a]`` exactly what :meth:`_breed` draws (the same numbers from
        the same generator, in the same order), so its children are the ones it breeds alone; the
        selection, crossover and mutation arithmetic is one array operation over the stack.
        ``half_kept[a]`` is the 32-bit half ``rngs[a]`` keeps for its next 32-bit draw, -1 if none
        (see :class:`_GenerationDraws`); it is updated in place.
        """
        runs, size, n_params = populations.shape
        draws = _GenerationDraws(self, runs, size, n, n_params, populations.dtype)
        chances = None
        if self.selection == "rank":
            rank = np.empty(cost.shape, dtype=np.float64)
            np.put_along_axis(rank, order, np.arange(size, dtype=np.float64)[None, :], axis=1)
            weight = self.rank_pressure - 2.0 * (self.rank_pressure - 1.0) * rank / max(size - 1, 1)
            chances = weight / weight.sum(axis=1, keepdims=True)
        draws.draw(rngs, half_kept, chances)
        selected, words = draws.selected, draws.double_words
        mixes = draws.mixes
        # The coins compare the words with the rate (_random_below); only the crossover's own draws become floats.
        is_loser = _random_below(draws.uniform_words, self.loser_share)
        if self.crossover == "uniform":
            mixing = _random_below(words[:, :mixes], 0.5).reshape((runs, n, -1))
        else:
            mixing = _doubles_from_words(words[:, :mixes]).reshape((runs, n, -1))
        if self.crossover == "blend":  # low + (high - low) u, in place
            low, high = -self.blend_alpha, 1.0 + self.blend_alpha
            np.add(np.multiply(mixing, high - low, out=mixing), low, out=mixing)
        keeps_first = ~_random_below(words[:, mixes : mixes + n, None], self.crossover_rate)  # not does_cross
        mutated = _random_below(words[:, mixes + n :], self.mutation_rate).reshape((runs, n, n_params))
        if self.selection == "tournament":
            chosen = _tournament_winners_per_run(cost, selected)
        elif self.selection == "rank":
            chosen = selected
        else:
            chosen = _take_per_run(order[:, : draws.breeding], selected)
        loser = _take_per_run(order[:, self.elitism :], draws.loser_at)
        parents = np.where(is_loser, loser, chosen)
        # Rows of the flat (runs * size, P) stack: one gather of whole rows instead of take_along_axis's
        # broadcast index over every parameter.
        rows = parents + (np.arange(runs) * size)[:, None]
        flat = populations.reshape(runs * size, n_params)
        first = np.take(flat, rows[:, :n], axis=0)
        second = np.take(flat, rows[:, n:], axis=0)
        if self.crossover == "blend":  # blend_mix, first + u (second - first), in the gathered second parents
            crossed = np.subtract(second, first, out=second)
            np.multiply(crossed, mixing if mixing.dtype == crossed.dtype else mixing.astype(crossed.dtype), out=crossed)
            np.add(first, crossed, out=crossed)
        else:
            crossed = CROSSOVER_MIXES[self.crossover](first, second, mixing)
        np.copyto(crossed, first, where=keeps_first)  # np.where(does_cross, crossed, first)
        # mutate(): children + np.where(mutated, scale * noise, 0), in place
        noise = np.multiply(draws.noise, populations.dtype.type(scale), out=draws.noise)
        return np.add(crossed, _zero_where_not(mutated, noise), out=crossed)

    # ------------------------------------------------------------------ the run
    def fit(
        self,
        task: Task,
        net: Network,
        params: np.ndarray | None,
        X: np.ndarray,
        Y: np.ndarray,
        *,
        iterations: int | None = None,
        target: float | None = None,
        seed: int | None = None,
        settings: dict[str, Any] | None = None,
    ) -> TrainResult:
        """Evolve a population on ``X, Y`` and return the best member.

        Parameters
        ----------
        task : Task
        net : Network
        params : ndarray of shape (P,), or None
            If given, it replaces the first member of the random initial population
            (``init="post"`` or an array in :func:`gradmethods.train`); the other
            members are drawn with ``net.init_params``.  ``None``: all random.
            Its dtype (else ``X``'s) is the dtype of the run.
        X, Y : ndarray
        iterations : int, optional
            Generations to evaluate, counting the initial one; default ``max_generations``.
        target : float, optional
            Stop once the best member's error is ``<= target``.
        seed : int
            Seed of the run's only ``numpy.random.Generator``.
        settings : dict, optional
            Settings resolved by :func:`gradmethods.train`; the trainer's own are added.

        Returns
        -------
        TrainResult
            ``params`` is the best member of the last generation (on ``DIVERGED``
            that member is not finite, as the last history row shows); ``history`` has
            :data:`GENETIC_HISTORY_COLUMNS`, one row per generation: the best member's
            ``cost`` and ``error``, ``nfev`` networks evaluated so far, ``njev`` 0,
            ``fpe`` equal to ``nfev`` (each evaluation is one real forward pass),
            ``seconds``, the population's ``median_cost``, ``population_std`` (the mean
            over parameters of their standard deviation across the population, a
            measure of diversity) and the ``mutation_scale`` that bred the next generation.
        """
        _check_seed(seed)
        generations = self.max_generations if iterations is None else _check_int("iterations", iterations, 1)
        dtype = np.asarray(params if params is not None else X).dtype
        X, Y = np.asarray(X, dtype=dtype), np.asarray(Y, dtype=dtype)
        rng = np.random.default_rng(seed)
        engine = self.resolve_engine(dtype, [rng])
        compiled = _compiled_step() if engine == "numba" else None
        pointers = compiled.generator_pointers([rng]) if compiled is not None else None
        size, n_children = self.population_size, self.population_size - self.elitism

        population = net.init_params(rng, size=size, dtype=dtype)
        if params is not None:
            population[0] = net.check_params(params)
        start = time.perf_counter()
        record = _history_rows((len(GENETIC_HISTORY_COLUMNS),), generations)
        outcome, rows = Outcome.BUDGET_EXHAUSTED, generations
        with np.errstate(all="ignore"):
            cost, error = self._evaluate(net, population, X, Y)
            nfev = size
            for generation in range(generations):
                order = np.argsort(cost, kind="stable")
                best = order[0]
                scale = self.mutation_scale * self.mutation_decay**generation
                record = _room_for(record, generation, generations, axis=0)
                record[generation] = (
                    generation, cost[best], error[best], nfev, 0, nfev, time.perf_counter() - start,
                    np.median(cost), float(np.std(population, axis=0).mean()), scale,
                )  # fmt: skip
                if not np.isfinite(cost[best]):
                    outcome, rows = Outcome.DIVERGED, generation + 1
                    break
                if target is not None and error[best] <= target:
                    outcome, rows = Outcome.CONVERGED, generation + 1
                    break
                if self.max_nfev is not None and nfev + n_children > self.max_nfev:
                    rows = generation + 1
                    break
                if generation + 1 == generations:
                    break
                if compiled is not None:
                    children = compiled.breed_runs(self, population[None], cost[None], order[None], n_children, scale,
                                                   pointers)[0]  # fmt: skip
                else:
                    children = self._breed(population, cost, order, n_children, scale, rng)
                child_cost, child_error = self._evaluate(net, children, X, Y)
                elite = order[: self.elitism]
                population = np.concatenate([population[elite], children])
                cost = np.concatenate([cost[elite], child_cost])
                error = np.concatenate([error[elite], child_error])
                nfev += n_children
        history = pd.DataFrame(record[:rows], columns=list(GENETIC_HISTORY_COLUMNS))
        history = history.astype({"iteration": np.int64, "nfev": np.int64, "njev": np.int64})
        best_params = population[order[0]].copy()
        settings = {**(settings or {}), **self.get_params(), "engine": engine, "iterations": generations, "seed": seed}
        return TrainResult(task.name, self.name, outcome, best_params, history, settings)

    # ------------------------------------------------------------------ many runs as one stack
    def fit_runs(
        self,
        task: Task,
        net: Network,
        params: np.ndarray | None,
        X: np.ndarray,
        Y: np.ndarray,
        *,
        iterations: int | None = None,
        target: float | None = None,
        seeds: list[int],
        settings: dict[str, Any] | None = None,
    ) -> RunBatch:
        """Evolve one population per seed, all evaluated together; one result per seed, in seed order.

        Run ``r`` is the run ``fit(..., seed=seeds[r])`` gives: the same generator
        (``default_rng(seeds[r])``) makes the same draws in the same order, so its
        history, outcome, counters and final parameters are those of the run alone
        (``seconds`` aside).  What the runs share is the arithmetic: every generation
        evaluates the children of all runs still evolving with **one** forward pass of
        the stacked ``(runs x children, n_params)`` populations, and sorts, summarises
        and replaces the populations of all runs at once.  A run that reaches the
        target (or diverges) leaves the stack; the others go on.

        Parameters
        ----------
        task, net, X, Y, iterations, target, settings
            As :meth:`fit`.
        params : ndarray of shape (R, P) or (P,), or None
            Starting members: row ``r`` replaces the first member of run ``r``'s initial
            population (one vector: the same member for every run).  ``None``: all random.
        seeds : list of int
            One run per seed.

        Returns
        -------
        RunBatch
            One :class:`TrainResult` per seed, its history kept as columns.  ``seconds``
            is the wall time of the whole stack at each generation (as for gradient
            methods trained with ``seeds=``): a run's history shows when the stack
            reached that generation.
        """
        seeds = list(seeds)
        if not seeds:
            raise ValueError("The 'seeds' parameter must hold at least one seed.")
        for seed in seeds:
            _check_seed(seed, "seeds")
        generations = self.max_generations if iterations is None else _check_int("iterations", iterations, 1)
        dtype = np.asarray(params if params is not None else X).dtype
        X, Y = np.asarray(X, dtype=dtype), np.asarray(Y, dtype=dtype)
        n_runs, n_params = len(seeds), net.n_params
        size, n_children = self.population_size, self.population_size - self.elitism
        rngs = [np.random.default_rng(seed) for seed in seeds]
        engine = self.resolve_engine(dtype, rngs)
        populations = np.stack([net.init_params(rng, size=size, dtype=dtype) for rng in rngs])  # (R, size, P)
        if params is not None:
            populations[:, 0] = net.check_params(np.broadcast_to(params, (n_runs, n_params)))
        # the half of a 64-bit word each generator keeps for its next 32-bit draw, -1 if none (see _GenerationDraws)
        half_kept = np.array([_kept_half(rng) for rng in rngs], dtype=np.int64)
        # the compiled step calls each generator's C functions on its state (see genetic_compiled)
        compiled = _compiled_step() if engine == "numba" else None
        pointers = compiled.generator_pointers(rngs) if compiled is not None else None
        start = time.perf_counter()
        record = np.moveaxis(_history_rows((len(GENETIC_HISTORY_COLUMNS), n_runs), generations), 0, 1)
        rows = np.full(n_runs, generations)
        outcomes = [Outcome.BUDGET_EXHAUSTED] * n_runs
        final = np.empty((n_runs, n_params), dtype=dtype)
        active = np.arange(n_runs)  # run index of each row of the working stack
        with np.errstate(all="ignore"):
            cost, error = (values.reshape(n_runs, size) for values in
                           self._evaluate(net, populations.reshape(n_runs * size, n_params), X, Y))  # fmt: skip
            nfev = size
            for generation in range(generations):
                order = np.argsort(cost, axis=1, kind="stable")
                best = order[:, 0]
                here = np.arange(active.size)
                best_cost, best_error = cost[here, best], error[here, best]
                scale = self.mutation_scale * self.mutation_decay**generation
                member_std = np.std(populations, axis=1) if compiled is None else compiled.population_std(populations)
                spread = member_std.mean(axis=1)
                record = _room_for(record, generation, generations, axis=1)
                record[:, generation, active] = np.stack(np.broadcast_arrays(
                    generation, best_cost, best_error, nfev, 0, nfev, time.perf_counter() - start,
                    _median_of_sorted(cost, order), spread, scale,
                ))  # fmt: skip
                diverged = ~np.isfinite(best_cost)
                converged = ~diverged & (best_error <= target) if target is not None else np.zeros_like(diverged)
                out_of_budget = self.max_nfev is not None and nfev + n_children > self.max_nfev
                stopped = diverged | converged | (out_of_budget or generation + 1 == generations)
                for row in np.flatnonzero(stopped):
                    run = active[row]
                    rows[run] = generation + 1
                    if diverged[row] or converged[row]:
                        outcomes[run] = Outcome.DIVERGED if diverged[row] else Outcome.CONVERGED
                final[active[stopped]] = populations[stopped, best[stopped]]
                if stopped.all():
                    break
                if stopped.any():
                    keep = ~stopped
                    active, populations, cost, error, order = (
                        active[keep], populations[keep], cost[keep], error[keep], order[keep])  # fmt: skip
                if compiled is not None:
                    children = compiled.breed_runs(self, populations, cost, order, n_children, scale, pointers[active])
                else:
                    kept = half_kept[active]
                    children = self._breed_runs(populations, cost, order, n_children, scale,
                                                [rngs[run] for run in active], kept)  # fmt: skip
                    half_kept[active] = kept
                child_cost, child_error = (values.reshape(active.size, n_children) for values in
                                           self._evaluate(net, children.reshape(-1, n_params), X, Y))  # fmt: skip
                elite = order[:, : self.elitism]
                kept = populations.reshape(-1, n_params)[elite + (np.arange(active.size) * size)[:, None]]
                populations = np.concatenate([kept, children], axis=1)
                cost = np.concatenate([_take_per_run(cost, elite), child_cost], axis=1)
                error = np.concatenate([_take_per_run(error, elite), child_error], axis=1)
                nfev += n_children
        record = record[:, : rows.max()]
        histories = RunColumns(dict(zip(GENETIC_HISTORY_COLUMNS, record)), rows, integer=("iteration", "nfev", "njev"))
        common = {**(settings or {}), **self.get_params(), "engine": engine, "iterations": generations, "seed": None}
        return RunBatch.from_columns(task.name, self.name, params=final, outcomes=outcomes, histories=histories,
                                     settings=common, run_settings={"seed": seeds})  # fmt: skip


def _compiled_step() -> Any:
    """The module :mod:`.genetic_compiled`, imported when a run may use it (it imports numba)."""
    from . import genetic_compiled

    return genetic_compiled


def _kept_half(rng: np.random.Generator) -> int:
    """The 32-bit half ``rng``'s bit generator keeps for its next 32-bit draw, -1 if none."""
    state = rng.bit_generator.state
    return int(state["uinteger"]) if state.get("has_uint32") else -1


_LITTLE_ENDIAN = sys.byteorder == "little"
_LOW_HALF = np.uint64(0xFFFFFFFF)
_HALF_BITS = np.uint64(32)
_DOUBLE_SHIFT = np.uint64(11)
_DOUBLE_UNIT = 1.0 / 9007199254740992.0  # 2 ** -53: numpy's random() is (word >> 11) * 2 ** -53


def _doubles_from_words(words: np.ndarray) -> np.ndarray:
    """numpy's ``random()`` from each 64-bit word: its top 53 bits times ``2 ** -53`` (exact), a new array."""
    return np.multiply((words >> _DOUBLE_SHIFT).view(np.int64), _DOUBLE_UNIT)


def _words_from_doubles(doubles: np.ndarray) -> np.ndarray:
    """Words that :func:`_doubles_from_words` maps to ``doubles`` (draws of ``random()``): ``(u * 2 ** 53) << 11``."""
    return (doubles * 9007199254740992.0).astype(np.uint64) << _DOUBLE_SHIFT


def _random_below(words: np.ndarray, rate: float) -> np.ndarray:
    """``random() < rate`` for the ``random()`` draws numpy makes from ``words``, compared on the words.

    With ``u = m 2 ** -53`` (``m = word >> 11``) and ``rate`` in ``[0, 1]``, ``u < rate`` exactly when
    ``m < ceil(rate 2 ** 53)`` (``rate 2 ** 53`` is exact), that is ``word < ceil(rate 2 ** 53) << 11``.
    """
    threshold = math.ceil(float(rate) * 9007199254740992.0) << 11
    if threshold >= 2**64:  # rate 1: every draw is below it
        return np.ones(words.shape, dtype=bool)
    return words < np.uint64(threshold)


def _bounded_from_halves(halves: np.ndarray, bound: int, out: np.ndarray) -> np.ndarray:
    """``integers(0, bound)`` from the 32-bit values ``halves (A, m)`` numpy's 32-bit draws would use, in order.

    numpy draws a bound below ``2 ** 32`` with Lemire's method on 32-bit values (for ``PCG64``:
    a kept half first, then the low half of each 64-bit word, then its high half):
    ``(value * bound) >> 32``, unless the low 32 bits of that product fall below
    ``2 ** 32 % bound``, in which case the value is rejected and the next one used.  The values
    go to ``out``; the result says which rows hold a value that *may* be rejected (low 32 bits
    below ``bound``, a superset): those rows are not numpy's draws and must be drawn again by
    the generator.
    """
    scaled = np.multiply(halves, np.uint64(bound), dtype=np.uint64)
    np.right_shift(scaled, _HALF_BITS, out=out, casting="unsafe")
    return ((scaled & _LOW_HALF) < np.uint64(bound)).any(axis=1)


def _keep_half(rng: np.random.Generator, half: int) -> None:
    """Make ``rng``'s bit generator keep ``half`` for its next 32-bit draw (as its own draws would have)."""
    state = rng.bit_generator.state
    state["has_uint32"], state["uinteger"] = 1, int(half)
    rng.bit_generator.state = state


class _GenerationDraws:
    """The draws of one generation of a stack of runs: what :meth:`GeneticTrainer._breed` draws, run by run.

    :meth:`GeneticTrainer._breed` makes, in this order: the selection's draws (``integers``, or
    ``choice`` for rank selection), ``random`` coins for the losers, ``integers`` picks of losers,
    ``random`` for the crossover, its coins and the mutation coins (one call: consecutive
    ``random`` draws; the blend's ``uniform`` is ``low + (high - low) random()``), then the
    mutation noise (``standard_normal``).

    The generator's calls cost far more than their numbers (a bounded ``integers`` call about ten
    microseconds), so where it gives the same numbers a run draws everything before the noise with
    **one** call, ``bit_generator.random_raw(K)``, and the numbers are computed from those ``K``
    words as numpy computes them, for all runs at once: ``random`` is ``(word >> 11) * 2 ** -53``;
    a bounded ``integers`` draw is Lemire's method on 32-bit values (see
    :func:`_bounded_from_halves`).  This holds when

    * the bit generator is numpy's ``PCG64`` (``default_rng``).  Its 32-bit draws take the low
      half of a word, then keep the high half for the next 32-bit draw, across calls (``random``
      and ``random_raw`` leave a kept half alone).  So the bounded draws' values are: the half the
      generator keeps when the generation starts (``half_kept``, -1 if none), then the halves of
      their words; every bounded draw takes an even number of values (``2 n`` picks), so with a
      kept half each draw leaves its last half to the next one and the last is kept again, which
      :func:`_keep_half` tells the generator (``random_raw`` does not);
    * no value is rejected.

    A run for which a condition fails (a value near rejection, with probability ``bound / 2 ** 32``
    per value, 2e-8 for the default population of 96; rank selection, whose ``choice`` stays a
    call) makes numpy's calls themselves, after ``bit_generator.advance(-K)`` has taken back the
    words it read (and its kept half has been given back).  ``half_kept`` is read from the
    generator's state after such calls and after ``float32`` noise (drawn from 32-bit values);
    ``float64`` noise uses whole words.
    """

    def __init__(self, trainer: GeneticTrainer, runs: int, size: int, n: int, n_params: int, dtype: np.dtype):
        self.trainer, self.size, self.n = trainer, size, n
        self.picks = picks = 2 * n
        self.breeding = max(1, int(round(trainer.truncation_share * size)))
        self.n_losers = size - trainer.elitism
        tournament = trainer.selection == "tournament"
        self.selected = np.empty((runs, picks, trainer.tournament_size) if tournament else (runs, picks),
                                 dtype=np.int64)  # fmt: skip
        self.loser_at = np.empty((runs, picks), dtype=np.int64)
        self.mixes = n * n_params if trainer.crossover != "arithmetic" else n
        doubles = self.mixes + n + n * n_params
        self.noise = np.empty((runs, n, n_params), dtype=dtype)
        self.selection_bound = size if tournament else self.breeding
        # 32-bit values each bounded draw takes (every count is even: picks is) and the words of each part
        self.selection_words = self.selected[0].size // 2
        self.word_parts = [int(at) for at in np.cumsum([0, self.selection_words, picks, picks // 2, doubles])]
        _, uniform_at, loser_start, doubles_at, end = self.word_parts
        #: The words of every run (for a run drawn by calls, words that give its random() draws)
        self.words = np.empty((runs, end), dtype=np.uint64)
        self.uniform_words = self.words[:, uniform_at:loser_start]  # loser coins
        self.double_words = self.words[:, doubles_at:]  # crossover draws, crossover coins, mutation coins
        self.from_words = (trainer.selection != "rank" and self.selection_bound >= 2 and self.n_losers >= 2
                           and _LITTLE_ENDIAN)  # fmt: skip
        self.halves_in_noise = np.dtype(dtype) != np.float64

    def draw(self, rngs: list[np.random.Generator], half_kept: np.ndarray, chances: np.ndarray | None) -> None:
        """Fill the arrays with each run's draws (``chances``: rank selection's probabilities per run)."""
        runs = len(rngs)
        by_words = np.zeros(runs, dtype=bool)
        if self.from_words:
            by_words = np.array([type(rng.bit_generator) is np.random.PCG64 for rng in rngs])
        kept = half_kept >= 0
        suspicious = np.zeros(runs, dtype=bool)
        last_half = half_kept.copy()  # the half a run keeps after its bounded draws
        if by_words.any():
            _, uniform_at, loser_start, doubles_at, end = self.word_parts
            words = self.words
            for run in np.flatnonzero(by_words):
                words[run] = rngs[run].bit_generator.random_raw(end)
            selection = words[:, :uniform_at].view(np.uint32)  # the words' halves, low first (little-endian)
            losers = words[:, loser_start:doubles_at].view(np.uint32)
            shifted = np.flatnonzero(by_words & kept)
            if shifted.size:  # the kept half comes first; each bounded draw leaves its last half to the next one
                selection, losers = selection.copy(), losers.copy()
                carried = selection[shifted, -1]
                last_half[shifted] = losers[shifted, -1]
                selection[shifted, 1:] = selection[shifted, :-1]
                selection[shifted, 0] = half_kept[shifted]
                losers[shifted, 1:] = losers[shifted, :-1]
                losers[shifted, 0] = carried
            suspicious = _bounded_from_halves(selection, self.selection_bound, self.selected.reshape(runs, -1))
            suspicious |= _bounded_from_halves(losers, self.n_losers, self.loser_at)
            suspicious &= by_words
        for run, (rng, from_words, wrong) in enumerate(zip(rngs, by_words.tolist(), suspicious.tolist())):
            if wrong:  # take the words back (advance forgets a kept half: give it back too)
                rng.bit_generator.advance(-int(self.word_parts[-1]))
                if kept[run]:
                    _keep_half(rng, half_kept[run])
            elif from_words and kept[run]:  # the generator's calls would keep this half
                _keep_half(rng, last_half[run])
            if wrong or not from_words:
                self._draw_with_calls(run, rng, chances)
            rng.standard_normal(dtype=self.noise.dtype, out=self.noise[run])
            if self.from_words:  # else half_kept is not used
                if self.halves_in_noise or wrong or not from_words:
                    state = rng.bit_generator.state
                    half_kept[run] = state["uinteger"] if state.get("has_uint32") else -1
                else:
                    half_kept[run] = last_half[run]

    def _draw_with_calls(self, run: int, rng: np.random.Generator, chances: np.ndarray | None) -> None:
        """Run ``run``'s draws before the noise, by the generator's calls in :meth:`GeneticTrainer._breed`'s order.

        A draw of shape ``(a, b)`` is the draw of ``a * b`` values in C order, so flat sizes (and ``out=`` where
        the generator takes it) give the same numbers.
        """
        picks = self.picks
        selection = self.trainer.selection
        if selection == "tournament":
            self.selected[run] = rng.integers(0, self.size, size=self.selected[run].size).reshape(picks, -1)
        elif selection == "rank":
            self.selected[run] = rng.choice(self.size, size=picks, p=chances[run])
        else:
            self.selected[run] = rng.integers(0, self.breeding, size=picks)
        self.uniform_words[run] = _words_from_doubles(rng.random(picks))
        self.loser_at[run] = rng.integers(0, self.n_losers, size=picks)
        self.double_words[run] = _words_from_doubles(rng.random(self.double_words.shape[1]))


#: History rows allocated at first; the record doubles as a run goes on (never sized by the budget alone).
FIRST_HISTORY_ROWS = 256


def _history_rows(shape: tuple[int, ...], generations: int) -> np.ndarray:
    """A NaN record of ``min(generations, FIRST_HISTORY_ROWS)`` rows of ``shape`` (rows first)."""
    return np.full((min(generations, FIRST_HISTORY_ROWS), *shape), np.nan)


def _room_for(record: np.ndarray, row: int, generations: int, *, axis: int) -> np.ndarray:
    """``record`` with room for ``row`` along ``axis``: doubled (at most to ``generations`` rows) when full."""
    if row < record.shape[axis]:
        return record
    grown_shape = list(record.shape)
    grown_shape[axis] = min(generations, 2 * record.shape[axis])
    grown = np.full(grown_shape, np.nan)
    index = [slice(None)] * record.ndim
    index[axis] = slice(0, record.shape[axis])
    grown[tuple(index)] = record
    return grown
