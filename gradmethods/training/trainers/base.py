"""The trainer protocol: what trains a network, run by run or a stack of runs at once.

A registered trainer is the sibling of :class:`gradmethods.gradients.base.GradientProvider`:
it does not hand a gradient to gradient descent; it is registered with
:func:`gradmethods.register_trainer` and :func:`gradmethods.train` hands it the whole
run through :meth:`Trainer.fit`.  Gradient descent itself is a trainer of this protocol
(:class:`~gradmethods.training.trainers.gradient_descent.GradientDescent`, built by
``gm.train`` around a gradient provider), so every method reaches ``gm.train`` the same way.

A trainer may also implement :meth:`BatchedTrainer.fit_runs`, which trains one run per
seed as one computation; ``gm.train(..., seeds=...)`` calls it when present and
``fit`` once per seed otherwise.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol, runtime_checkable

import numpy as np

from ...core.network import Network
from ...core.tasks import Task
from ..results import TrainResult

__all__ = ["Trainer", "BatchedTrainer", "resolve_engine"]


def resolve_engine(engine: str, problem: Callable[[], str | None], action: str) -> str:
    """A trainer's ``engine`` setting resolved for one call: ``"numpy"`` or ``"numba"``.

    Parameters
    ----------
    engine : {"auto", "numpy", "numba"}
        The setting.
    problem : callable
        Why the compiled path cannot take the run (None: it can); asked only when
        ``engine`` is not ``"numpy"``.
    action : str
        The work, for the refusal: ``engine='numba' cannot {action} this run: ...``.

    Returns
    -------
    str
        ``"numba"`` where the compiled path takes the run; ``"numpy"`` for ``"numpy"`` and
        for ``"auto"`` where it cannot.

    Raises
    ------
    ValueError
        ``engine="numba"`` for a run the compiled path cannot take, with the reason.
    """
    if engine == "numpy":
        return "numpy"
    reason = problem()
    if reason is None:
        return "numba"
    if engine == "auto":
        return "numpy"
    raise ValueError(f"engine='numba' cannot {action} this run: {reason} Use engine='auto' (numba where it "
                     "applies, numpy otherwise) or engine='numpy'.")  # fmt: skip


@runtime_checkable
class Trainer(Protocol):
    """What :func:`gradmethods.train` needs from a gradient-free method.

    The class is built with the method's options (``info.factory(**options)``), so
    invalid options should raise a ValueError there, before any work.  A trainer
    declares its settings' constraints in a class attribute ``parameters`` (see
    :mod:`gradmethods.core.params`): ``gm.train`` and suite validation check them for it,
    with the same messages.  It also declares ``family`` (usually ``"gradient_free"``)
    and may declare ``style``, a ``(color, marker, linestyle)`` tuple for figures.
    """

    name: str

    def fit(
        self,
        task: Task,
        net: Network,
        params: np.ndarray | None,
        X: np.ndarray,
        Y: np.ndarray,
        *,
        iterations: int | None,
        target: float | None,
        seed: int | None,
        settings: dict[str, Any],
    ) -> TrainResult:
        """Train ``net`` on ``X, Y`` and return the run's :class:`TrainResult`.

        Parameters
        ----------
        task : Task
            The task (its name goes into the result).
        net : Network
        params : ndarray of shape (P,), or None
            A starting point chosen by the user (``init="post"`` or an array), or
            ``None`` for no preference (``init="random"``).  Its dtype is the run's dtype.
        X, Y : ndarray
            Training data, in the run's dtype.
        iterations : int or None
            The method's main budget (generations for a genetic algorithm); ``None``
            for the method's default.
        target : float or None
            Stop once the error is ``<= target``.
        seed : int or None
            Seed of the run's one ``numpy.random.Generator``.
        settings : dict
            The settings :func:`gradmethods.train` resolved; the trainer adds its own
            and stores them in the result.

        Returns
        -------
        TrainResult
            With a history holding at least :data:`gradmethods.training.results.HISTORY_COLUMNS`.
        """
        ...


@runtime_checkable
class BatchedTrainer(Trainer, Protocol):
    """A :class:`Trainer` that also trains many runs at once (optional: ``gm.train`` checks for ``fit_runs``)."""

    def fit_runs(
        self,
        task: Task,
        net: Network,
        params: np.ndarray | None,
        X: np.ndarray,
        Y: np.ndarray,
        *,
        iterations: int | None,
        target: float | None,
        seeds: list[int],
        settings: dict[str, Any],
    ) -> list[TrainResult]:
        """Train one run per seed; return one :class:`TrainResult` per seed, in seed order.

        Parameters
        ----------
        params : ndarray of shape (R, P), or None
            One starting point per run (``R = len(seeds)``), or ``None`` for no preference.
        seeds : list of int
            One run per seed; run ``r`` must be the run ``fit(..., seed=seeds[r])`` gives
            (to rounding), whatever the other runs.
        Other parameters
            As :meth:`Trainer.fit`; ``settings`` are common to all runs (the trainer adds
            each run's seed and its own settings).
        """
        ...
