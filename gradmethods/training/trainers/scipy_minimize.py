"""Trainers that hand the network's cost to :func:`scipy.optimize.minimize`.

Five registered methods, one per scipy method, so that each has its own name in tables
and figures, as in scipy itself:

=============== ================= ============================================================
method          scipy method      gradient
=============== ================= ============================================================
``lbfgsb``      ``L-BFGS-B``      from any registered provider (setting ``gradient``)
``bfgs``        ``BFGS``          from any registered provider (setting ``gradient``)
``cg``          ``CG``            from any registered provider (setting ``gradient``)
``nelder_mead`` ``Nelder-Mead``   none: the cost by one forward pass
``powell``      ``Powell``        none: the cost by one forward pass
=============== ================= ============================================================

The quasi-Newton and conjugate-gradient methods take the cost and its gradient from one
fused call (``jac=True``) of a gradient provider (:mod:`gradmethods.gradients`), so the
gradient axis of the comparison (backprop, dual numbers, finite differences, estimators)
combines with these update rules.  The work is counted in the common units: every call
scipy makes costs what the provider declares for one ``value_and_grad`` call
(:meth:`~gradmethods.gradients.base.ProviderBase.value_and_grad_work`), and a call of a
gradient-free method costs one forward pass (``nfev=1, fpe=1``).

scipy works in float64.  The run's dtype is the dtype of the network's arithmetic: each
evaluation rounds scipy's float64 point to it and hands the cost and gradient back as
float64, while scipy's own state (iterates, curvature pairs, simplex, line search) stays
float64.  The final parameters are the last iterate rounded to the run's dtype, the very
vector whose cost and error the last history row shows.
"""

from __future__ import annotations

import time
import warnings
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from ...core.network import Network, error_from_outputs
from ...core.params import Boolean, Integral, Interval, Options, Real, validate, validate_params
from ...core.registry import get_method, providers, register_trainer
from ...core.tasks import Task
from ...gradients.base import Work
from ..results import Outcome, TrainResult

__all__ = [
    "ScipyTrainer",
    "LBFGSBTrainer",
    "BFGSTrainer",
    "CGTrainer",
    "NelderMeadTrainer",
    "PowellTrainer",
    "ProviderName",
    "SCIPY_HISTORY_COLUMNS",
    "WORK_COUNTERS",
    "start_params",
]

#: The work counters of a history, in the order of a provider's ``counts()``.
WORK_COUNTERS = ("nfev", "njev", "forward_passes", "backward_passes", "fpe")
#: History columns of a scipy run: the common ones with every work counter, as gradient descent's.
SCIPY_HISTORY_COLUMNS = ("iteration", "cost", "error", *WORK_COUNTERS, "seconds")
#: What one evaluation of a gradient-free method costs: one forward pass of one network.
FORWARD_PASS_WORK = Work(nfev=1, njev=0, forward_passes=1, backward_passes=0, fpe=1.0)


class ProviderName(Options):
    """The name of a registered gradient provider, looked up when a value is checked.

    Providers registered later (a plug-in's entry point) are accepted too, and the
    message lists the providers registered at the time of the check.

    Examples
    --------
    >>> ProviderName().is_satisfied_by("dual"), ProviderName().is_satisfied_by("genetic")
    (True, False)
    """

    def __init__(self) -> None:  # no fixed choices: see ``choices``
        pass

    @property
    def choices(self) -> tuple[str, ...]:
        return tuple(providers())


def start_params(net: Network, params: np.ndarray | None, seed: Any, dtype: np.dtype, method: str) -> np.ndarray:
    """The run's starting point: ``params`` as given, or Glorot weights drawn with ``default_rng(seed)``.

    The draw is the one ``gm.train(..., init="random", seed=seed)`` makes for gradient
    descent, so a trainer and gradient descent with the same seed start from the same
    weights.
    """
    if params is not None:
        return net.check_params(np.asarray(params, dtype=dtype))
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(
            f"method {method!r} starts from random weights drawn with numpy.random.default_rng(seed) when init is "
            f"None or 'random': the 'seed' parameter must be an int >= 0 (or give init='post' or an array). "
            f"Got {seed!r} instead."
        )
    return net.init_params(np.random.default_rng(seed), dtype=dtype)


class _Stop(Exception):
    """Ends a run between two evaluations (raised from the objective, caught by :meth:`ScipyTrainer.fit`)."""


class _Run:
    """One run's bookkeeping: the objective and callback scipy calls, the work counted, the rows."""

    def __init__(self, net: Network, X: np.ndarray, Y: np.ndarray, dtype: np.dtype, *, provider: Any,
                 provider_rng: Any, rows: int, target: float | None, max_nfev: int | None) -> None:  # fmt: skip
        self.net, self.X, self.Y, self.dtype = net, X, Y, dtype
        self.provider, self.provider_rng = provider, provider_rng
        self.budget_rows, self.target, self.max_nfev = rows, target, max_nfev
        self.work = (FORWARD_PASS_WORK if provider is None
                     else provider.declared_work("value_and_grad", net, 1, X.shape[0]))  # fmt: skip
        self.total = dict.fromkeys(WORK_COUNTERS, 0.0)
        self.rows: list[tuple] = []
        self.last_x: np.ndarray | None = None
        self.outcome: Outcome | None = None
        self.reason = ""
        self.start = time.perf_counter()

    # ------------------------------------------------------------------ rows
    def _measure(self, x: np.ndarray) -> tuple[float, float]:
        """Cost and error at ``x`` in the run's dtype: one forward pass of monitoring, not counted."""
        z, a = self.net.trace(x.astype(self.dtype), self.X)[-1]
        return float(self.net.cost_from_outputs(z, a, self.Y)), float(error_from_outputs(a, self.Y))

    def record(self, x: np.ndarray) -> tuple[float, float]:
        """Append the row of iterate ``x`` (its cost, error and the work so far)."""
        cost, error = self._measure(x)
        counts = tuple(self.total[name] for name in WORK_COUNTERS)
        self.rows.append((len(self.rows), cost, error, *counts, time.perf_counter() - self.start))
        self.last_x = np.array(x, dtype=np.float64)
        return cost, error

    def verdict(self, cost: float, error: float) -> tuple[Outcome, str] | None:
        """Why the run ends at the row just recorded, or None to go on."""
        if not (np.isfinite(cost) and np.isfinite(error)):
            return Outcome.DIVERGED, "the cost at the iterate is not finite"
        if self.target is not None and error <= self.target:
            return Outcome.CONVERGED, f"error {error:.6g} <= target {self.target:g}"
        if len(self.rows) >= self.budget_rows:
            return Outcome.BUDGET_EXHAUSTED, f"iterations: {self.budget_rows} rows recorded"
        return None

    def end(self, outcome: Outcome, reason: str) -> None:
        self.outcome, self.reason = outcome, reason

    # ------------------------------------------------------------------ what scipy calls
    def _charge(self, x: np.ndarray) -> np.ndarray:
        """Check the budget and the point before an evaluation; the point in the run's dtype."""
        if self.max_nfev is not None and self.total["nfev"] + self.work.nfev > self.max_nfev:
            self.end(Outcome.BUDGET_EXHAUSTED, f"max_nfev: {self.max_nfev} cost evaluations")
            raise _Stop
        params = np.asarray(x).astype(self.dtype)
        if not np.isfinite(params).all():  # a step that overflowed: the point is the run's last row
            self.record(x)
            self.end(Outcome.DIVERGED, "scipy asked for the cost at a point that is not finite")
            raise _Stop
        return params

    def _first(self, x: np.ndarray) -> None:
        """Row 0, at the first evaluation (scipy evaluates its starting point first)."""
        if not self.rows:
            stop = self.verdict(*self.record(x))
            if stop is not None:
                self.end(*stop)
                raise _Stop

    def value(self, x: np.ndarray) -> float:
        """The cost at ``x`` from one forward pass (gradient-free methods); +inf where it is not finite."""
        params = self._charge(x)
        z, a = self.net.trace(params, self.X)[-1]
        cost = float(self.net.cost_from_outputs(z, a, self.Y))
        for name, amount in self.work.as_dict().items():
            self.total[name] += amount
        self._first(x)
        return cost if np.isfinite(cost) else np.inf

    def value_and_grad(self, x: np.ndarray) -> tuple[float, np.ndarray]:
        """Cost and gradient at ``x`` from one call of the provider (``jac=True``)."""
        params = self._charge(x)
        cost, grad = self.provider.value_and_grad(self.net, params, self.X, self.Y, rng=self.provider_rng)
        self.total.update({name: float(value) for name, value in self.provider.counts().items()
                           if name in self.total})  # fmt: skip
        self._first(x)
        if not (np.isfinite(cost) and np.isfinite(grad).all()):
            if not np.array_equal(x, self.last_x):  # row 0 may already be this point
                self.record(x)
            self.end(Outcome.DIVERGED, "the provider's cost or gradient is not finite")
            raise _Stop
        return float(cost), np.asarray(grad, dtype=np.float64)

    def callback(self, intermediate_result: Any) -> None:
        """After each iteration: its row; StopIteration at the target or the end of the budget."""
        stop = self.verdict(*self.record(intermediate_result.x))
        if stop is not None:
            self.end(*stop)
            raise StopIteration

    # ------------------------------------------------------------------ the history
    def history(self) -> pd.DataFrame:
        """The rows as a DataFrame; the last row's counters hold all the work spent.

        An unfinished iteration (a budget or a failed line search ended it) spent
        evaluations that no iteration row counts; they are added to the last row, so the
        run's total work is its last row's, as for every method.
        """
        rows = [list(row) for row in self.rows]
        first_counter = SCIPY_HISTORY_COLUMNS.index(WORK_COUNTERS[0])
        rows[-1][first_counter : first_counter + len(WORK_COUNTERS)] = [self.total[n] for n in WORK_COUNTERS]
        rows[-1][-1] = time.perf_counter() - self.start
        history = pd.DataFrame(rows, columns=list(SCIPY_HISTORY_COLUMNS))
        return history.astype({"iteration": np.int64, "nfev": np.int64, "njev": np.int64,
                               "forward_passes": np.int64, "backward_passes": np.int64})  # fmt: skip


#: scipy's status for "NaN result encountered", by method.
_NAN_STATUS = {"BFGS": 3, "CG": 3, "Powell": 3}


def _scipy_outcome(method: str, result: Any) -> Outcome:
    """The outcome of a run that scipy ended by itself: DIVERGED on a NaN, else BUDGET_EXHAUSTED (no target)."""
    if not np.isfinite(result.fun) or _NAN_STATUS.get(method) == result.status:
        return Outcome.DIVERGED
    return Outcome.BUDGET_EXHAUSTED


class ScipyTrainer:
    """Base of the trainers that call :func:`scipy.optimize.minimize`; see the subclasses.

    A subclass names its ``scipy_method``, whether it ``uses_gradient``, its settings'
    constraints (``parameters``) and their ``defaults``; the settings named in
    ``scipy_options`` go to scipy unchanged.  Settings every scipy trainer has:

    max_iterations : int >= 1
        History rows, counting the starting point (so ``max_iterations - 1`` scipy
        iterations), when :func:`gradmethods.train` gets no ``iterations``.
    max_nfev : int >= 1, optional
        Budget of cost evaluations, in the history's ``nfev`` unit (for a gradient
        method, scipy's calls times the provider's declared ``nfev`` per call); the run
        stops before an evaluation that would exceed it.

    Notes
    -----
    Outcomes: ``CONVERGED`` when an iterate's error is ``<= target``; ``DIVERGED``
    when a cost, a gradient or a point scipy asks for is not finite; otherwise
    ``BUDGET_EXHAUSTED``: the run ended without reaching the target, because a budget
    ran out or because scipy stopped by its own test (its tolerances met, or a line
    search that can make no more progress, such as L-BFGS-B's
    ``ABNORMAL_TERMINATION_IN_LNSRCH`` or BFGS's "Desired error not necessarily
    achieved due to precision loss").  None of these is an exception: the result's
    ``settings["stop_reason"]`` says which, in scipy's words where scipy stopped.
    """

    name: ClassVar[str] = "scipy"
    family: ClassVar[str] = "gradient_free"
    style: ClassVar[tuple[str, str, str] | None] = None
    scipy_method: ClassVar[str] = ""
    uses_gradient: ClassVar[bool] = False
    scipy_options: ClassVar[tuple[str, ...]] = ()
    parameters: ClassVar[dict[str, list]] = {}
    defaults: ClassVar[dict[str, Any]] = {}

    def __init__(self, **settings: Any) -> None:
        checked = validate_params(settings, self.parameters, owner=f"method {self.name!r}")
        for name, value in {**self.defaults, **checked}.items():
            setattr(self, name, value)

    def get_params(self) -> dict[str, Any]:
        """The trainer's settings as a dict (scikit-learn style), in the order of :attr:`parameters`."""
        return {name: getattr(self, name) for name in self.parameters}

    def __repr__(self) -> str:
        settings = ", ".join(f"{key}={value!r}" for key, value in self.get_params().items())
        return f"{type(self).__name__}({settings})"

    def unsupported_reason(self, net: Network) -> str | None:
        """Why the gradient provider cannot differentiate ``net`` (complex step on ``relu``), or None."""
        if not self.uses_gradient:
            return None
        return get_method(self.gradient).unsupported_reason(net)

    def _options(self, rows: int) -> dict[str, Any]:
        """scipy's options: the trainer's own, and budgets that leave the stopping to :class:`_Run`."""
        options = {name: getattr(self, name) for name in self.scipy_options}
        options["maxiter"] = rows  # a backstop: the callback stops the run at ``rows`` rows
        return options

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
        """Minimize the network's cost on ``X, Y`` with scipy, one history row per iteration.

        Parameters
        ----------
        task : Task
        net : Network
        params : ndarray of shape (P,), or None
            The starting point (``init="post"`` or an array); ``None``: Glorot weights
            drawn with ``numpy.random.default_rng(seed)``, the start that gradient descent
            with ``init="random"`` and the same seed has.  Its dtype (else ``X``'s) is
            the run's dtype.
        X, Y : ndarray
        iterations : int, optional
            History rows, counting the starting point; default ``max_iterations``.
        target : float, optional
            Stop once an iterate's error is ``<= target``.
        seed : int, optional
            Needed for a random start and for a stochastic provider, whose stream is
            ``default_rng(SeedSequence(seed).spawn(2)[1])`` as in :func:`gradmethods.train`.
        settings : dict, optional
            Settings resolved by :func:`gradmethods.train`; the trainer's own are added,
            and ``stop_reason``, why the run ended.

        Returns
        -------
        TrainResult
            ``params`` is the last iterate (in the run's dtype); ``history`` has
            :data:`SCIPY_HISTORY_COLUMNS`: row 0 is the starting point, row ``k`` the
            iterate after scipy's iteration ``k`` (its ``callback``), with its cost and
            error (measured by one forward pass that is not counted, as in gradient
            descent) and the work spent so far.  On ``DIVERGED`` the last row is the
            point that showed it.
        """
        rows = self.max_iterations if iterations is None else validate("iterations", iterations,
                                                                      [Interval(Integral, 1, None)])  # fmt: skip
        dtype = np.asarray(params if params is not None else X).dtype
        X, Y = np.asarray(X, dtype=dtype), np.asarray(Y, dtype=dtype)
        x0 = start_params(net, params, seed, dtype, self.name)
        provider, provider_rng = self._provider(net, seed)
        run = _Run(net, X, Y, dtype, provider=provider, provider_rng=provider_rng, rows=rows, target=target,
                   max_nfev=self.max_nfev)  # fmt: skip
        if self.max_nfev is not None and self.max_nfev < run.work.nfev:
            raise ValueError(
                f"max_nfev={self.max_nfev} is less than one evaluation of method {self.name!r}"
                + (f" with gradient={self.gradient!r}" if self.uses_gradient else "")
                + f" on this network ({run.work.nfev} cost evaluations): the starting point could not be evaluated."
            )
        objective = run.value_and_grad if self.uses_gradient else run.value
        import scipy.optimize  # here: importing gradmethods does not import scipy.optimize

        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", scipy.optimize.OptimizeWarning)
            warnings.simplefilter("ignore", RuntimeWarning)  # the line search's LineSearchWarning among them
            try:
                result = scipy.optimize.minimize(
                    objective, x0.astype(np.float64), jac=True if self.uses_gradient else None,
                    method=self.scipy_method, callback=run.callback, options=self._options(rows),
                )  # fmt: skip
            except _Stop:
                pass
            if run.outcome is None:  # scipy ended the run by itself, at the last iterate
                run.end(_scipy_outcome(self.scipy_method, result), f"scipy {self.scipy_method} status {result.status}: "
                                                f"{result.message}")  # fmt: skip
        history = run.history()
        final = run.last_x.astype(dtype)
        settings = {**(settings or {}), **self.get_params(), "iterations": rows, "seed": seed,
                    "stop_reason": run.reason}  # fmt: skip
        return TrainResult(task.name, self.name, run.outcome, final, history, settings)

    def _provider(self, net: Network, seed: Any) -> tuple[Any, Any]:
        """A fresh gradient provider (its own counters) and its random stream, or ``(None, None)``."""
        if not self.uses_gradient:
            return None, None
        reason = self.unsupported_reason(net)
        if reason is not None:
            raise ValueError(f"method {self.name!r} with gradient={self.gradient!r}: {reason}")
        info = get_method(self.gradient)
        if not info.stochastic:
            return info.factory(), None
        if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
            raise ValueError(
                f"gradient={self.gradient!r} is a stochastic estimator: method {self.name!r} needs seed= for its "
                f"random directions, so that the run can be repeated. Got seed={seed!r}."
            )
        return info.factory(), np.random.default_rng(np.random.SeedSequence(int(seed)).spawn(2)[1])


_COUNT = Interval(Integral, 1, None)
_TOLERANCE = Interval(Real, 0, None)
_BUDGETS = {"max_iterations": [_COUNT], "max_nfev": [_COUNT, None]}
_GRADIENT = {"gradient": [ProviderName()]}


class _GradientScipyTrainer(ScipyTrainer):
    """A scipy method that takes the gradient from a registered provider (the setting ``gradient``)."""

    family = "reverse_mode"  # that of the default gradient, backprop
    uses_gradient = True


@register_trainer("lbfgsb")
class LBFGSBTrainer(_GradientScipyTrainer):
    """L-BFGS-B (scipy.optimize.minimize), with the gradient of any registered provider.

    Every setting is checked when the trainer is built.  Reach it through
    ``gm.train(task, method="lbfgsb", seed=..., gradient="dual", ...)``.

    Parameters
    ----------
    gradient : str, default "backprop"
        The registered gradient provider whose ``value_and_grad`` gives the cost and
        gradient (one fused call per scipy evaluation).
    max_iterations : int >= 1, default 1000
        History rows, counting the starting point, when ``iterations`` is not given.
    max_nfev : int >= 1, optional
        Budget of cost evaluations in the history's ``nfev`` unit.
    maxcor : int >= 1, default 10
        Curvature pairs kept (scipy's ``maxcor``).
    ftol : float >= 0, default 2.220446049250313e-09
        scipy stops when ``(f_k - f_{k+1}) / max(|f_k|, |f_{k+1}|, 1) <= ftol``.
    gtol : float >= 0, default 1e-05
        scipy stops when the largest gradient component is ``<= gtol``.
    maxls : int >= 1, default 20
        Evaluations per line search.

    Notes
    -----
    See :class:`ScipyTrainer` for the outcomes and the dtype.

    Examples
    --------
    >>> import gradmethods as gm
    >>> result = gm.train("or_and", method="lbfgsb", seed=0, target=0.05)
    >>> result.outcome.value, len(result.history) - 1          # scipy iterations
    ('CONVERGED', 8)
    """

    style = ("#332288", "d", "-.")
    scipy_method = "L-BFGS-B"
    scipy_options = ("maxcor", "ftol", "gtol", "maxls")
    parameters = {**_GRADIENT, **_BUDGETS, "maxcor": [_COUNT], "ftol": [_TOLERANCE], "gtol": [_TOLERANCE],
                  "maxls": [_COUNT]}  # fmt: skip
    defaults = {"gradient": "backprop", "max_iterations": 1000, "max_nfev": None, "maxcor": 10,
                "ftol": 2.220446049250313e-09, "gtol": 1e-05, "maxls": 20}  # fmt: skip

    def _options(self, rows: int) -> dict[str, Any]:
        return {**super()._options(rows), "maxfun": np.iinfo(np.int32).max}  # max_nfev is checked per evaluation


@register_trainer("bfgs")
class BFGSTrainer(_GradientScipyTrainer):
    """BFGS (scipy.optimize.minimize), with the gradient of any registered provider.

    Parameters
    ----------
    gradient : str, default "backprop"
        The registered gradient provider (one fused ``value_and_grad`` call per scipy
        evaluation).
    max_iterations : int >= 1, default 1000
        History rows, counting the starting point, when ``iterations`` is not given.
    max_nfev : int >= 1, optional
        Budget of cost evaluations in the history's ``nfev`` unit.
    gtol : float >= 0, default 1e-05
        scipy stops when the gradient's largest component is ``<= gtol``.
    xrtol : float >= 0, default 0
        scipy stops when a step is smaller than ``xrtol`` relative to the iterate.

    Notes
    -----
    See :class:`ScipyTrainer` for the outcomes and the dtype.
    """

    style = ("#44AA99", "p", "-.")
    scipy_method = "BFGS"
    scipy_options = ("gtol", "xrtol")
    parameters = {**_GRADIENT, **_BUDGETS, "gtol": [_TOLERANCE], "xrtol": [_TOLERANCE]}
    defaults = {"gradient": "backprop", "max_iterations": 1000, "max_nfev": None, "gtol": 1e-05, "xrtol": 0.0}


@register_trainer("cg")
class CGTrainer(_GradientScipyTrainer):
    """Nonlinear conjugate gradient (scipy.optimize.minimize, Polak-Ribiere), with any registered provider.

    Parameters
    ----------
    gradient : str, default "backprop"
        The registered gradient provider (one fused ``value_and_grad`` call per scipy
        evaluation).
    max_iterations : int >= 1, default 1000
        History rows, counting the starting point, when ``iterations`` is not given.
    max_nfev : int >= 1, optional
        Budget of cost evaluations in the history's ``nfev`` unit.
    gtol : float >= 0, default 1e-05
        scipy stops when the gradient's largest component is ``<= gtol``.

    Notes
    -----
    See :class:`ScipyTrainer` for the outcomes and the dtype.
    """

    style = ("#999933", "8", "-.")
    scipy_method = "CG"
    scipy_options = ("gtol",)
    parameters = {**_GRADIENT, **_BUDGETS, "gtol": [_TOLERANCE]}
    defaults = {"gradient": "backprop", "max_iterations": 1000, "max_nfev": None, "gtol": 1e-05}


@register_trainer("nelder_mead")
class NelderMeadTrainer(ScipyTrainer):
    """Nelder-Mead simplex search (scipy.optimize.minimize): no gradient, the cost by forward passes.

    Parameters
    ----------
    max_iterations : int >= 1, default 5000
        History rows, counting the starting point, when ``iterations`` is not given.
    max_nfev : int >= 1, optional
        Budget of cost evaluations (forward passes).
    xatol : float >= 0, default 0.0001
        scipy stops when the simplex is this small and ``fatol`` holds too.
    fatol : float >= 0, default 0.0001
        scipy stops when the costs on the simplex differ by less than this and
        ``xatol`` holds too.
    adaptive : bool, default False
        Adapt the reflection, expansion and contraction coefficients to the dimension
        (Gao and Han, 2012), which helps in many dimensions.

    Notes
    -----
    The first simplex is scipy's: the start and one vertex per parameter, that
    parameter 5 % larger (0.00025 where it is 0), so it costs ``P + 1`` evaluations.
    See :class:`ScipyTrainer` for the outcomes and the dtype.

    Examples
    --------
    >>> import gradmethods as gm
    >>> result = gm.train("or_and", method="nelder_mead", seed=0, target=0.05)
    >>> result.outcome.value, int(result.history["nfev"].iloc[-1])      # forward passes
    ('CONVERGED', 475)
    """

    style = ("#DDCC77", ">", ":")
    scipy_method = "Nelder-Mead"
    scipy_options = ("xatol", "fatol", "adaptive")
    parameters = {**_BUDGETS, "xatol": [_TOLERANCE], "fatol": [_TOLERANCE], "adaptive": [Boolean()]}
    defaults = {"max_iterations": 5000, "max_nfev": None, "xatol": 1e-4, "fatol": 1e-4, "adaptive": False}

    def _options(self, rows: int) -> dict[str, Any]:
        return {**super()._options(rows), "maxfev": np.inf}  # max_nfev is checked per evaluation


@register_trainer("powell")
class PowellTrainer(ScipyTrainer):
    """Powell's conjugate-direction method (scipy.optimize.minimize): no gradient, the cost by forward passes.

    Parameters
    ----------
    max_iterations : int >= 1, default 1000
        History rows, counting the starting point, when ``iterations`` is not given.
        One iteration is a line search (Brent) along each of the ``P`` directions.
    max_nfev : int >= 1, optional
        Budget of cost evaluations (forward passes).
    xtol : float >= 0, default 0.0001
        Tolerance on the points of the line searches.
    ftol : float >= 0, default 0.0001
        scipy stops when an iteration lowers the cost by less than this, relatively.

    Notes
    -----
    See :class:`ScipyTrainer` for the outcomes and the dtype.
    """

    style = ("#888888", "H", ":")
    scipy_method = "Powell"
    scipy_options = ("xtol", "ftol")
    parameters = {**_BUDGETS, "xtol": [_TOLERANCE], "ftol": [_TOLERANCE]}
    defaults = {"max_iterations": 1000, "max_nfev": None, "xtol": 1e-4, "ftol": 1e-4}

    def _options(self, rows: int) -> dict[str, Any]:
        return {**super()._options(rows), "maxfev": np.inf}
