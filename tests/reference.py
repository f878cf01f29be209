"""The tests' independent reference: :mod:`gradmethods.testing.reference`, with the call signatures older tests use.

That module writes the forward pass again from the documented parameter layout, with its
own activation and cost formulas, and takes derivatives by complex steps one coordinate
at a time; it shares no code with :mod:`gradmethods.core.network` or the providers.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from gradmethods.testing import reference
from gradmethods.testing.reference import ReferenceResult, Spec

__all__ = ["reference_outputs", "reference_cost", "reference_gradients", "Spec"]


def reference_outputs(sizes: Any, activations: Any, params: Any, X: Any) -> np.ndarray:
    """Outputs ``(N, n_outputs)`` of one parameter vector."""
    spec = Spec(tuple(sizes), tuple(activations), "half_sse")
    return reference.reference_trace(spec, params, X)[-1][1].real


def reference_cost(sizes: Any, activations: Any, cost: str, params: Any, X: Any, Y: Any) -> float:
    """Mean over patterns of the per-pattern cost."""
    return float(reference.reference_cost(Spec(tuple(sizes), tuple(activations), cost), params, X, Y).real)


def reference_gradients(net: Any, params: Any, X: Any, Y: Any) -> ReferenceResult:
    """Cost, dC/dw and dC/dX of ``net`` at one parameter vector (complex steps, h = 1e-30)."""
    return reference.reference_gradients(Spec.of(net), params, X, Y)
