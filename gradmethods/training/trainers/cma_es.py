"""CMA-ES through the maintained ``cma`` package (pycma), an optional extra.

The covariance matrix adaptation evolution strategy samples a population of parameter
vectors from a Gaussian, ranks them by cost and moves the Gaussian's mean, step size and
covariance toward the better ones.  pycma does the adaptation (``ask`` / ``tell``); this
module evaluates each generation's whole population with **one** forward pass of the
``(popsize, n_params)`` stack, as the genetic trainer does, and keeps the history in the
genetic trainer's columns.

pycma is not a dependency of gradmethods: ``pip install 'gradmethods[cma]'`` adds it.
Without it the method is still registered (``gradmethods list`` shows it) and building
it raises a ValueError that says how to install it, so ``gm.train`` and suite files
refuse it before any run.
"""

from __future__ import annotations

import importlib.util
import time
from typing import Any

import numpy as np
import pandas as pd

from ...core.network import Network
from ...core.params import Boolean, Integral, Interval, Real, validate, validate_params
from ...core.registry import register_trainer
from ...core.tasks import Task
from ..results import Outcome, TrainResult
from .genetic import GENETIC_HISTORY_COLUMNS, evaluate_population

__all__ = ["CMAESTrainer", "CMA_HISTORY_COLUMNS", "INSTALL_HINT", "FULL_COVARIANCE_LIMIT"]

#: History columns of a CMA-ES run: the genetic trainer's (``mutation_scale`` is CMA-ES's step size sigma).
CMA_HISTORY_COLUMNS = GENETIC_HISTORY_COLUMNS
#: What to run when the ``cma`` package is missing.
INSTALL_HINT = "pip install 'gradmethods[cma]'"
#: Most parameters a network may have for CMA-ES with a full covariance matrix (``diagonal=False``):
#: the matrix has ``P**2`` entries and its eigendecomposition costs ``O(P**3)``.
FULL_COVARIANCE_LIMIT = 5000


def _require_cma() -> None:
    """A ValueError saying how to install ``cma`` when it is missing (the import itself waits for a run)."""
    if importlib.util.find_spec("cma") is None:
        raise ValueError(
            f"method 'cma_es' needs the optional package cma (pycma), which is not installed; install it with "
            f"{INSTALL_HINT}"
        )


@register_trainer("cma_es")
class CMAESTrainer:
    """CMA-ES (pycma): a Gaussian search distribution adapted to the costs of its samples.

    Every setting is checked when the trainer is built, and so is the ``cma`` package:
    without it, building the trainer raises a ValueError that says
    ``pip install 'gradmethods[cma]'``.  Reach it through
    ``gm.train(task, method="cma_es", seed=..., **settings)``.

    Parameters
    ----------
    sigma0 : float > 0, default 2.0
        Initial step size: the standard deviation of the first generation around the
        starting point, in parameter units.  A sigmoid network needs weights of a few
        units to bring its outputs near 0 and 1; 2.0 reached the target on XOR more
        often than 0.5, 1 or 4 (``docs/scipy_cma.md``).
    popsize : int >= 2, optional
        Samples per generation; default pycma's, ``4 + floor(3 ln P)``.
    diagonal : bool, default False
        Adapt a diagonal covariance only (separable CMA-ES, pycma's ``CMA_diagonal``):
        ``O(P)`` memory and work per sample instead of ``O(P**2)``, and no
        correlations between parameters.  Needed above
        :data:`FULL_COVARIANCE_LIMIT` parameters.
    tolfun : float >= 0, default 1e-11
        pycma stops when the costs of the last generations differ by less than this.
    tolx : float >= 0, default 1e-11
        pycma stops when the step size times the largest standard deviation is below this.
    max_generations : int >= 1, default 1000
        History rows when :func:`gradmethods.train` gets no ``iterations``: the
        starting point, then one row per generation.
    max_nfev : int >= 1, optional
        Budget of networks evaluated; the run stops before a generation that would
        exceed it.

    Notes
    -----
    Row 0 evaluates the starting point (one forward pass): the mean of the first
    generation, the point every method of a seed starts from.  Each later row is one
    generation: ``popsize`` samples evaluated by one forward pass of their stack.  The
    row's ``cost`` and ``error`` are those of the best network evaluated so far (by
    cost), which is what the run returns; ``median_cost`` and ``population_std`` describe
    the generation just evaluated and ``mutation_scale`` is the step size sigma that
    samples the next one.

    Random numbers: pycma draws its samples through its ``randn`` option, which is given
    ``numpy.random.default_rng(seed)``'s ``standard_normal`` (after the random start, if
    any, is drawn from the same generator).  pycma's own ``seed`` option is not used: it
    reseeds numpy's global generator, a side effect on the caller and on other runs in
    the same process.  So one seed gives one run, whatever else runs.

    Outcomes: ``CONVERGED`` once the best network's error is ``<= target``;
    ``DIVERGED`` when no sample of a generation has a finite cost; otherwise
    ``BUDGET_EXHAUSTED``, with ``settings["stop_reason"]`` naming the budget or pycma's
    own stop conditions (``tolfun``, ``tolx``, ``tolstagnation``, ``tolflatfitness``...).
    A sample whose cost is not finite ranks last.

    Examples
    --------
    >>> import gradmethods as gm
    >>> result = gm.train("or_and", method="cma_es", seed=0, target=0.05)
    >>> result.outcome.value, result.history.columns[-3:].tolist()
    ('CONVERGED', ['median_cost', 'population_std', 'mutation_scale'])
    """

    name = "cma_es"
    #: Optional packages the method needs (see ``MethodInfo.missing_requirement``).
    requires = {"cma": f"install it with {INSTALL_HINT}"}
    family = "gradient_free"
    style = ("#661100", "x", "-")
    #: Each setting and the values it accepts (see :mod:`gradmethods.core.params`).
    parameters = {
        "sigma0": [Interval(Real, 0, None, closed="neither")],
        "popsize": [Interval(Integral, 2, None), None],
        "diagonal": [Boolean()],
        "tolfun": [Interval(Real, 0, None)],
        "tolx": [Interval(Real, 0, None)],
        "max_generations": [Interval(Integral, 1, None)],
        "max_nfev": [Interval(Integral, 1, None), None],
    }

    def __init__(
        self,
        sigma0: float = 2.0,
        *,
        popsize: int | None = None,
        diagonal: bool = False,
        tolfun: float = 1e-11,
        tolx: float = 1e-11,
        max_generations: int = 1000,
        max_nfev: int | None = None,
    ) -> None:
        given = {name: value for name, value in locals().items() if name in self.parameters}
        settings = validate_params(given, self.parameters, owner="method 'cma_es'")
        _require_cma()  # before any run; pycma itself (a slow import) is imported by fit
        for name, value in settings.items():
            setattr(self, name, value)

    def get_params(self) -> dict[str, Any]:
        """The trainer's settings as a dict (scikit-learn style), in the order of :attr:`parameters`."""
        return {name: getattr(self, name) for name in self.parameters}

    def __repr__(self) -> str:
        settings = ", ".join(f"{key}={value!r}" for key, value in self.get_params().items())
        return f"CMAESTrainer({settings})"

    def unsupported_reason(self, net: Network) -> str | None:
        """Why CMA-ES with these settings cannot train ``net`` (too many parameters for a full covariance), or None."""
        if not self.diagonal and net.n_params > FULL_COVARIANCE_LIMIT:
            return (f"CMA-ES with a full covariance matrix is limited to {FULL_COVARIANCE_LIMIT} parameters (its "
                    f"P x P matrix and O(P^3) eigendecomposition); this network has {net.n_params}. Use "
                    "diagonal=True.")  # fmt: skip
        return None

    def _strategy(self, x0: np.ndarray, rng: np.random.Generator) -> Any:
        """A pycma ``CMAEvolutionStrategy`` at ``x0`` that draws from ``rng`` and leaves the stopping to :meth:`fit`."""
        options = {
            "seed": np.nan,  # "do nothing": the samples come from rng through randn
            "randn": lambda *shape: rng.standard_normal(shape),
            "tolfun": self.tolfun, "tolx": self.tolx,
            "maxiter": np.inf, "maxfevals": np.inf,  # the budgets are the trainer's
            "verbose": -9, "verb_disp": 0, "verb_log": 0, "signals_filename": "",  # no output, no files
        }  # fmt: skip
        if self.popsize is not None:
            options["popsize"] = self.popsize
        if self.diagonal:
            options["CMA_diagonal"] = True
        import cma

        return cma.CMAEvolutionStrategy(np.asarray(x0, dtype=np.float64), self.sigma0, options)

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
        """Run CMA-ES from ``params`` (or a random start) on ``X, Y`` and return the best network.

        Parameters
        ----------
        task : Task
        net : Network
        params : ndarray of shape (P,), or None
            The starting point (the first mean); ``None``: Glorot weights drawn with
            ``numpy.random.default_rng(seed)``, the start of gradient descent with
            ``init="random"`` and the same seed.  Its dtype (else ``X``'s) is the run's
            dtype: the dtype of the forward passes (pycma itself works in float64).
        X, Y : ndarray
        iterations : int, optional
            History rows: the starting point, then one per generation; default
            ``max_generations``.
        target : float, optional
            Stop once the best network's error is ``<= target``.
        seed : int
            Seed of the run's only ``numpy.random.Generator``.
        settings : dict, optional
            Settings resolved by :func:`gradmethods.train`; the trainer's own are added,
            and ``stop_reason``, why the run ended.

        Returns
        -------
        TrainResult
            ``params`` is the best network evaluated (in the run's dtype); ``history`` has
            :data:`CMA_HISTORY_COLUMNS`: ``nfev`` networks evaluated so far, ``njev`` 0,
            ``fpe`` equal to ``nfev``.
        """
        if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
            raise ValueError(
                f"The 'seed' parameter must be an int >= 0 (CMA-ES is random; a seed makes the run repeatable). "
                f"Got {seed!r} instead."
            )
        reason = self.unsupported_reason(net)
        if reason is not None:
            raise ValueError(reason)
        rows = self.max_generations if iterations is None else validate("iterations", iterations,
                                                                         [Interval(Integral, 1, None)])  # fmt: skip
        dtype = np.asarray(params if params is not None else X).dtype
        X, Y = np.asarray(X, dtype=dtype), np.asarray(Y, dtype=dtype)
        rng = np.random.default_rng(seed)
        x0 = net.init_params(rng, dtype=dtype) if params is None else net.check_params(np.asarray(params, dtype=dtype))
        strategy = self._strategy(x0, rng)
        start = time.perf_counter()
        record: list[tuple] = []  # grows with the run: no allocation sized by the budget
        with np.errstate(all="ignore"):
            cost, error = evaluate_population(net, x0[None, :], X, Y)
            best_cost, best_error, best = float(cost[0]), float(error[0]), x0.copy()
            nfev, row = 1, 0
            record.append((0, best_cost, best_error, nfev, 0, nfev, time.perf_counter() - start, best_cost, 0.0,
                           self.sigma0))  # fmt: skip
            stop = self._verdict(strategy, np.isfinite(cost).any(), best_error, target, rows, row, nfev)
            while stop is None:
                samples = strategy.ask()
                stack = np.asarray(samples, dtype=np.float64).astype(dtype)
                cost, error = evaluate_population(net, stack, X, Y)
                nfev += len(samples)
                strategy.tell(samples, cost.tolist())
                winner = int(np.argmin(cost))
                if cost[winner] < best_cost:
                    best_cost, best_error, best = float(cost[winner]), float(error[winner]), stack[winner].copy()
                row += 1
                record.append((row, best_cost, best_error, nfev, 0, nfev, time.perf_counter() - start,
                               float(np.median(cost)), float(np.std(stack, axis=0).mean()), float(strategy.sigma)))
                stop = self._verdict(strategy, np.isfinite(cost).any(), best_error, target, rows, row, nfev)
        outcome, reason = stop
        history = pd.DataFrame(np.array(record, dtype=np.float64), columns=list(CMA_HISTORY_COLUMNS))
        history = history.astype({"iteration": np.int64, "nfev": np.int64, "njev": np.int64})
        settings = {**(settings or {}), **self.get_params(), "iterations": rows, "seed": seed, "stop_reason": reason}
        return TrainResult(task.name, self.name, outcome, best, history, settings)

    def _verdict(self, strategy: Any, any_finite: bool, error: float, target: float | None, rows: int, row: int,
                 nfev: int) -> tuple[Outcome, str] | None:  # fmt: skip
        """Why the run ends after ``row`` (the best network has ``error``), or None to go on."""
        if not any_finite:
            return Outcome.DIVERGED, "no network of the generation has a finite cost"
        if target is not None and error <= target:
            return Outcome.CONVERGED, f"error {error:.6g} <= target {target:g}"
        if row + 1 >= rows:
            return Outcome.BUDGET_EXHAUSTED, f"iterations: {rows} rows recorded"
        if self.max_nfev is not None and nfev + strategy.popsize > self.max_nfev:
            return Outcome.BUDGET_EXHAUSTED, f"max_nfev: {self.max_nfev} networks evaluated"
        stop = strategy.stop() if row > 0 else {}
        if stop:
            return Outcome.BUDGET_EXHAUSTED, "pycma stopped: " + ", ".join(f"{k}={v}" for k, v in stop.items())
        return None
