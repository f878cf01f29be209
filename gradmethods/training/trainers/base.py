"""The trainer protocol: a method that trains a network without a gradient.

A trainer is the sibling of :class:`gradmethods.gradients.base.GradientProvider`.  It
does not compute a gradient; it is registered with
:func:`gradmethods.register_trainer` and :func:`gradmethods.train` hands it the whole
run through :meth:`Trainer.fit`.
"""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

import numpy as np

from ...core.network import Network
from ...core.tasks import Task
from ..results import TrainResult

__all__ = ["Trainer"]


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
