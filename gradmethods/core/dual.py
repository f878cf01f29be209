"""Multivariable dual numbers: an array of values with k tangent directions each.

A :class:`Dual` carries ``value`` (any shape ``S``) and ``tangent`` (shape ``(k,) + S``):
``tangent[i]`` is the directional derivative of ``value`` along the i-th seed
direction.  Pushing duals through a function computes the function and k columns of
its Jacobian in one pass (forward-mode automatic differentiation).

numpy hands every ufunc call on a :class:`Dual` to :meth:`Dual.__array_ufunc__`, which
evaluates the ufunc on the values and applies the derivative rule from the table
:data:`RULES`.  So the network's forward pass (``a @ W + b``, the costs' ufuncs and
``sum``/``mean``) runs on duals unchanged.  Activations are not in the table: calling a
:class:`~gradmethods.core.activations.Activation` on a dual applies the activation's own
derivative, the one backprop uses, so each activation's derivative is written once.

Layout
------
The k directions sit on a *leading* axis.  The derivative factor of an elementwise
rule (shape ``S``) then broadcasts against the tangent ``(k,) + S`` with no axis
juggling, and ``tangent @ W`` is a broadcast matmul.  A trailing axis (``S + (k,)``)
needs ``[..., None]`` on every factor and a contraction (einsum) for every matmul.
Measured on the tangent arithmetic of a 64-32-10 forward pass with N=256 and k=64
(``benchmarks/bench_providers.py``, one BLAS thread), the leading layout was 2.6-2.8
times faster than the trailing one.

Examples
--------
>>> import numpy as np
>>> from gradmethods.core.dual import Dual
>>> x = Dual.variables(np.array([1.0, 2.0]))       # two inputs, two directions
>>> y = np.exp(x[0]) * x[1]
>>> float(y.value), y.tangent.tolist()              # e*2, [d/dx0, d/dx1] = [2e, e]
(5.43656365691809, [5.43656365691809, 2.718281828459045])
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.lib.mixins import NDArrayOperatorsMixin

__all__ = ["Dual", "RULES"]


def _identity(ans, *args):  # marker: the partial derivative is 1
    raise AssertionError("marker, never called")


def _negated(ans, *args):  # marker: the partial derivative is -1
    raise AssertionError("marker, never called")


def _matmul_jvp(x, y, tx, ty, ndim: int):
    out = 0
    if tx is not None:
        out = out + _lift(tx, ndim) @ y
    if ty is not None:
        out = out + x @ _lift(ty, ndim)
    return out


#: Derivative rules, numpy ufunc name -> one partial derivative per argument.
#: Each partial is ``partial(ans, *values)`` with ``ans`` the ufunc's result; it is
#: called only for arguments that carry tangents.  ``matmul`` is bilinear and has a
#: jvp ``(x, y, tx, ty, ndim) -> tangent`` instead.  The table covers arithmetic and what
#: the costs use; activations carry their derivative themselves (``Activation.deriv``).
RULES: dict[str, tuple[Callable, ...] | Callable] = {
    "add": (_identity, _identity),
    "subtract": (_identity, _negated),
    "negative": (_negated,),
    "positive": (_identity,),
    "multiply": (lambda ans, x, y: y, lambda ans, x, y: x),
    "divide": (lambda ans, x, y: 1 / y, lambda ans, x, y: -ans / y),
    "square": (lambda ans, x: 2 * x,),
    "sqrt": (lambda ans, x: 0.5 / ans,),
    "power": (lambda ans, x, y: y * x ** (y - 1), lambda ans, x, y: ans * np.log(x)),
    "exp": (lambda ans, x: ans,),
    "log": (lambda ans, x: 1 / x,),
    "log1p": (lambda ans, x: 1 / (1 + x),),
    "logaddexp": (lambda ans, x, y: np.exp(x - ans), lambda ans, x, y: np.exp(y - ans)),
    "matmul": _matmul_jvp,
}


def _lift(tangent: np.ndarray, ndim: int) -> np.ndarray:
    """Insert axes after the direction axis so a tangent broadcasts against ``ndim``-d values."""
    missing = ndim + 1 - tangent.ndim
    if missing <= 0:
        return tangent
    return tangent.reshape(tangent.shape[:1] + (1,) * missing + tangent.shape[1:])


class Dual(NDArrayOperatorsMixin):
    """An ndarray of dual numbers with ``k`` tangent directions on a leading axis.

    Parameters
    ----------
    value : array_like, shape S
    tangent : array_like, shape (k,) + S

    Notes
    -----
    Supported: the ufuncs in :data:`RULES` (with operators ``+ - * / @ **`` and unary
    minus through :class:`numpy.lib.mixins.NDArrayOperatorsMixin`), ``np.add.reduce``,
    indexing, :meth:`reshape`, :meth:`sum`, :meth:`mean`, and ``np.sum``/``np.mean``/
    ``np.reshape``/``np.shape``/``np.ndim``.  Anything else raises a TypeError naming
    the missing rule rather than silently dropping the derivative.
    """

    __slots__ = ("value", "tangent")

    def __init__(self, value: Any, tangent: Any) -> None:
        value = np.asarray(value)
        tangent = np.asarray(tangent)
        if tangent.shape[1:] != value.shape:
            raise ValueError(
                f"tangent must have shape (k,) + value.shape = (k,) + {value.shape}; got {tangent.shape}."
            )
        self.value = value
        self.tangent = tangent

    @classmethod
    def variables(cls, value: Any) -> Dual:
        """Seed one direction per element of ``value`` (the identity Jacobian)."""
        value = np.asarray(value, dtype=float)
        tangent = np.eye(value.size, dtype=value.dtype).reshape((value.size,) + value.shape)
        return cls(value, tangent)

    # ------------------------------------------------------------------ array-like
    @property
    def shape(self) -> tuple[int, ...]:
        return self.value.shape

    @property
    def ndim(self) -> int:
        return self.value.ndim

    @property
    def dtype(self) -> np.dtype:
        return self.value.dtype

    @property
    def size(self) -> int:
        return self.value.size

    @property
    def n_directions(self) -> int:
        """k, the number of tangent directions."""
        return self.tangent.shape[0]

    def __len__(self) -> int:
        return len(self.value)

    def __repr__(self) -> str:
        return f"Dual(shape={self.shape}, directions={self.n_directions}, dtype={self.dtype})"

    def __getitem__(self, key: Any) -> Dual:
        key = key if isinstance(key, tuple) else (key,)
        return Dual(self.value[key], self.tangent[(slice(None),) + key])

    def reshape(self, *shape: Any) -> Dual:
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        value = self.value.reshape(shape)
        return Dual(value, self.tangent.reshape((self.n_directions,) + value.shape))

    def _tangent_axis(self, axis: Any) -> Any:
        if axis is None:
            return tuple(range(1, self.tangent.ndim))
        axes = axis if isinstance(axis, tuple) else (axis,)
        return tuple((a % self.ndim) + 1 for a in axes)

    def sum(self, axis: Any = None, keepdims: bool = False) -> Dual:
        return Dual(
            self.value.sum(axis=axis, keepdims=keepdims),
            self.tangent.sum(axis=self._tangent_axis(axis), keepdims=keepdims),
        )

    def mean(self, axis: Any = None, keepdims: bool = False) -> Dual:
        summed = self.sum(axis=axis, keepdims=keepdims)
        count = self.value.size // max(summed.value.size, 1)
        return Dual(summed.value / count, summed.tangent / count)

    # ------------------------------------------------------------------ numpy protocol
    def __array_ufunc__(self, ufunc: np.ufunc, method: str, *inputs: Any, **kwargs: Any) -> Any:
        name = ufunc.__name__
        if method == "reduce" and name == "add" and not kwargs.get("out"):
            return inputs[0].sum(axis=kwargs.get("axis", 0), keepdims=kwargs.get("keepdims", False))
        rule = RULES.get(name)
        if method != "__call__" or rule is None or kwargs.get("out") is not None:
            raise TypeError(
                f"Dual numbers have no derivative rule for numpy.{name}.{method}; "
                f"add one to gradmethods.core.dual.RULES (known: {sorted(RULES)})."
            )
        values = [x.value if isinstance(x, Dual) else x for x in inputs]
        tangents = [x.tangent if isinstance(x, Dual) else None for x in inputs]
        ans = ufunc(*values, **kwargs)
        ndim = np.ndim(ans)
        if callable(rule):  # a jvp (matmul)
            tangent = rule(*values, *tangents, ndim)
        else:
            tangent = 0
            for partial, value_tangent in zip(rule, tangents):
                if value_tangent is None:
                    continue
                lifted = _lift(value_tangent, ndim)
                if partial is _identity:
                    tangent = tangent + lifted
                elif partial is _negated:
                    tangent = tangent - lifted
                else:
                    tangent = tangent + partial(ans, *values) * lifted
        k = next(t.shape[0] for t in tangents if t is not None)
        full = (k,) + np.shape(ans)
        if np.shape(tangent) != full:
            tangent = np.broadcast_to(tangent, full)
        return Dual(ans, tangent)

    def __array_function__(self, func: Callable, types: Any, args: Any, kwargs: Any) -> Any:
        handler = _FUNCTIONS.get(func)
        if handler is None:
            raise TypeError(
                f"Dual numbers do not support numpy.{func.__name__}; supported: "
                f"{sorted(f.__name__ for f in _FUNCTIONS)}."
            )
        return handler(*args, **kwargs)


_FUNCTIONS: dict[Callable, Callable] = {
    np.sum: lambda a, axis=None, keepdims=False: a.sum(axis=axis, keepdims=keepdims),
    np.mean: lambda a, axis=None, keepdims=False: a.mean(axis=axis, keepdims=keepdims),
    np.reshape: lambda a, shape: a.reshape(shape),
    np.shape: lambda a: a.shape,
    np.ndim: lambda a: a.ndim,
}
