"""Conformance checks for gradient methods and trainers, in the manner of scikit-learn's ``check_estimator``.

A method added to gradmethods from outside must be validated, counted and described
exactly like the built-in ones.  These checks hold it to that:

* :func:`check_provider` runs every provider check (:data:`PROVIDER_CHECKS`) on a
  gradient provider: value, gradient and input gradient against an independent
  reference (:mod:`gradmethods.testing.reference`), within the declared ``tolerance``;
  shapes of a vector and of a stack; each network of a stack computed on its own;
  float32 kept float32; the declared work equal to what the counters hold and to the
  forward passes the provider makes; ``reset_counts``; non-finite input refused; an
  unsupported network refused with its ``unsupported_reason``; ``rng=`` validated.
  A stochastic provider (``stochastic = True``) gets the same checks with seeded
  generators, except that the pointwise accuracy checks become statistical ones: the mean
  of many seeded estimates within sampling error of the reference
  (:mod:`gradmethods.testing.statistics`), and a stack with one generator per row equal
  to row-by-row calls.
* :func:`check_trainer` runs the trainer checks (:data:`TRAINER_CHECKS`): the result
  and its history columns, repeatability from a seed, stopping at a target, budgets,
  counters that never decrease.
* :func:`parametrize_with_checks` makes one pytest test per method and check.

Each check is a small function named ``check_*``; a failure raises AssertionError whose
message starts with that name and says what went wrong.  The checks take a registered
name, a class or an instance (copied, so its counters are left alone).

Examples
--------
>>> from gradmethods.testing import check_provider
>>> check_provider("backprop")[:3]
['check_contract', 'check_supports', 'check_shapes']

In a test module of one's own::

    from gradmethods.testing import parametrize_with_checks

    @parametrize_with_checks(["my_method"])
    def test_my_method(method, check):
        check(method)
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from . import reference
from ._base import Check, kind_of, label_of
from .problems import Comparison, Problem, check_problems, compare_with_reference, random_problem, relative_error
from .provider_checks import PROVIDER_CHECKS
from .statistics import MeanTest, draw_estimates, mean_test
from .trainer_checks import TRAINER_CHECKS

__all__ = [
    "check_provider",
    "check_trainer",
    "parametrize_with_checks",
    "checks_for",
    "PROVIDER_CHECKS",
    "TRAINER_CHECKS",
    "Problem",
    "Comparison",
    "check_problems",
    "random_problem",
    "compare_with_reference",
    "relative_error",
    "reference",
    "MeanTest",
    "mean_test",
    "draw_estimates",
]


def checks_for(method: Any) -> tuple[Check, ...]:
    """The checks that apply to ``method``: :data:`PROVIDER_CHECKS` or :data:`TRAINER_CHECKS`."""
    return PROVIDER_CHECKS if kind_of(method) == "gradient" else TRAINER_CHECKS


def _run(method: Any, checks: tuple[Check, ...]) -> list[str]:
    for check in checks:
        check(method)
    return [check.__name__ for check in checks]


def check_provider(provider_or_class_or_name: Any) -> list[str]:
    """Run every provider check on a gradient provider; raise at the first that fails.

    Parameters
    ----------
    provider_or_class_or_name : str, type or ProviderBase
        A registered provider name, a :class:`~gradmethods.gradients.base.ProviderBase`
        subclass (built with no arguments), or an instance (copied; built with the
        settings to check, e.g. ``CentralDifference(step=1e-4)``).

    Returns
    -------
    list of str
        The names of the checks, all passed.

    Raises
    ------
    AssertionError
        ``"<check> failed for <method>: <what went wrong>"``.
    TypeError
        If the method is a trainer.
    """
    if kind_of(provider_or_class_or_name) != "gradient":
        raise TypeError(f"{label_of(provider_or_class_or_name)!r} is a trainer; use check_trainer().")
    return _run(provider_or_class_or_name, PROVIDER_CHECKS)


def check_trainer(trainer_or_name: Any) -> list[str]:
    """Run every trainer check on a trainer; raise at the first that fails.

    Parameters
    ----------
    trainer_or_name : str, type or trainer instance
        A registered trainer name, a trainer class (built with no arguments) or an
        instance (copied).

    Returns
    -------
    list of str
        The names of the checks, all passed.

    Raises
    ------
    AssertionError
        ``"<check> failed for <method>: <what went wrong>"``.
    TypeError
        If the method is a gradient provider.
    """
    if kind_of(trainer_or_name) != "trainer":
        raise TypeError(f"{label_of(trainer_or_name)!r} is a gradient provider; use check_provider().")
    return _run(trainer_or_name, TRAINER_CHECKS)


def parametrize_with_checks(methods: Iterable[Any]) -> Any:
    """A pytest decorator: one test per method and check, with ids ``<method>-<check>``.

    The decorated test takes the arguments ``method`` and ``check`` and calls
    ``check(method)``.  Needs pytest (imported here, not by ``import gradmethods.testing``).

    Parameters
    ----------
    methods : iterable of str, type or instance
        Registered names, provider or trainer classes, or instances; providers get
        :data:`PROVIDER_CHECKS`, trainers :data:`TRAINER_CHECKS`.

    Examples
    --------
    >>> @parametrize_with_checks(["backprop", "genetic"])
    ... def test_conformance(method, check):
    ...     check(method)
    >>> [param.id for param in test_conformance.pytestmark[0].args[1]][:2]
    ['backprop-check_contract', 'backprop-check_supports']
    """
    import pytest

    params = [
        pytest.param(method, check, id=f"{label_of(method)}-{check.__name__}")
        for method in methods
        for check in checks_for(method)
    ]
    return pytest.mark.parametrize("method, check", params)
