"""A compiled path for batched backprop training (optional: needs numba, the ``fast`` extra).

One kernel trains a whole stack of runs: each run's full training loop -- forward
pass, cost, error, backward pass, update, stopping tests -- runs inside compiled
code with the run's parameters, activations and deltas in a few hundred bytes of
cache, and the runs are spread over the CPU's threads (``numba.prange``).  For tiny
networks this removes the per-step cost of numpy (dozens of array operations, each
with its own dispatch overhead) that dominates the numpy path.

It computes what :func:`gradmethods.training.trainers.gradient_descent.gradient_descent_stack`
computes with the ``backprop`` provider, in the same dtype and with the same formulas
(the expit form of the sigmoid, the fused softplus form of sigmoid + cross entropy,
the update ``p + (-lr) * v`` with ``v = beta v + g``), so the numbers agree to
rounding: only the order of the sums inside a matrix product and the exponential differ
(the kernels' own, which vectorizes: within 1 ulp of numpy's, in the run's dtype; see
``_exp1``).  The numpy path stays the reference; tests compare the two.

Used by ``gm.train(..., engine="numba")`` (``fast=True``, its former spelling) and
``engine="auto"``.  It declares what it computes (:func:`unsupported_reason`:
full-batch ``backprop``, the rules :data:`SUPPORTED_RULES`, frozen parameters, real
dtypes); ``engine="numba"`` refuses anything else with the reason, ``engine="auto"``
and :func:`gradient_descent_stack_fast` train it on the numpy path.

The kernel is compiled with ``cache=True``: numba keeps the machine code on disk
(``__pycache__`` beside this file, or ``NUMBA_CACHE_DIR``), so only the first process
after an install pays the compile.

Small networks with sigmoid, relu or identity layers and the half squared error
(OR/AND, the post's 2-2-2 example, a 2-3-3-1 XOR net, ...) are trained by kernels
written out for their shape (:mod:`~gradmethods.training.compiled_shapes`): the same
operations in the same order, so the same numbers bit for bit, several times faster.
Each new shape compiles once (cached on disk as well; see
:func:`~gradmethods.training.compiled_shapes.kernel_directory`).
"""

from __future__ import annotations

import math
import time
from typing import Any

import numpy as np

from ..core.activations import BUILTIN_ACTIVATIONS, Activation
from .results import Outcome, RowRange
from .trainers.gradient_descent import (
    INTEGER_COUNTS,
    StackRecord,
    freeze_mask,
    gradient_descent_stack,
    provider_counts,
)

__all__ = ["available", "supports", "unsupported_reason", "gradient_descent_stack_fast", "gradient_descent_runs"]

try:  # pragma: no cover - depends on the environment
    import numba
    from numba import njit, prange
except ImportError:  # pragma: no cover
    numba = None

#: The kernel's code for each activation it computes (``_activate_lanes`` and ``_deriv``), keyed
#: by the package's own :class:`~gradmethods.core.activations.Activation` objects: an
#: activation registered later, or a different one under a built-in name, has no code.
_ACTIVATION_CODES: dict[Activation, int] = {
    BUILTIN_ACTIVATIONS[name]: code for name, code in (("identity", 0), ("sigmoid", 1), ("tanh", 2), ("relu", 3))
}
_COST_CODES = {"half_sse": 0, "cross_entropy": 1}
_OUTCOMES = (Outcome.BUDGET_EXHAUSTED, Outcome.CONVERGED, Outcome.DIVERGED)


def available() -> bool:
    """Whether numba is installed (the compiled path can run)."""
    return numba is not None


#: The update rules the kernel computes (by their spec's name; see :mod:`gradmethods.training.optim`):
#: plain descent and heavy-ball momentum, with a fixed learning rate (one, or one per run), with or
#: without frozen parameters.
SUPPORTED_RULES = ("sgd", "momentum")
#: Iterations per kernel call: the histories of a call are allocated for this many rows at most, so
#: a huge budget with a target costs only the rows the runs take (the runs' state carries over).
CHUNK_ITERATIONS = 2**16


def _rule_reason(spec: dict) -> str | None:
    """Why the kernel cannot step with this rule, or None."""
    if spec.get("name") not in SUPPORTED_RULES:
        return (f"the compiled kernel computes the rules {list(SUPPORTED_RULES)} (and frozen parameters); "
                f"got optimizer {spec.get('name')!r}.")  # fmt: skip
    extra = sorted(set(spec) - {"name", "lr", "beta"})
    if extra:
        return f"the compiled kernel computes {spec['name']!r} without {extra}."
    if isinstance(spec.get("lr"), dict):
        return "the compiled kernel takes a fixed learning rate; a schedule runs on the numpy path."
    return None


def unsupported_reason(
    net: Any, provider: Any, batch_size: int | None = None, *, optimizer: dict | None = None, dtype: Any = None,
    record_grad_norms: bool = False,
) -> str | None:  # fmt: skip
    """Why the kernel cannot train this case (the numpy path then does), or None if it can.

    The kernel computes full-batch backprop on the package's own activations (sigmoid,
    tanh, relu, identity) and costs, in float32 or float64, stepping with
    :data:`SUPPORTED_RULES` (``optimizer`` is the rule's spec; None: plain descent), with
    or without frozen parameters; an activation registered with
    :func:`gradmethods.register_activation` is named in the reason.

    Examples
    --------
    >>> import gradmethods as gm
    >>> from gradmethods.gradients.backprop import Backprop
    >>> unsupported_reason(gm.Network([2, 1]), Backprop(), batch_size=1)
    'the compiled kernel trains full-batch only (batch_size=None); got batch_size=1.'
    >>> unsupported_reason(gm.Network([2, 1]), Backprop(), optimizer=gm.optim.adam(0.01).spec)
    "the compiled kernel computes the rules ['sgd', 'momentum'] (and frozen parameters); got optimizer 'adam'."
    """
    from ..gradients.backprop import Backprop

    if type(provider) is not Backprop:
        return f"the compiled kernel computes backprop's gradient; got provider {type(provider).__name__}."
    if batch_size is not None:
        return f"the compiled kernel trains full-batch only (batch_size=None); got batch_size={batch_size!r}."
    if optimizer is not None:
        reason = _rule_reason(optimizer)
        if reason is not None:
            return reason
    if dtype is not None and np.dtype(dtype) not in (np.dtype(np.float32), np.dtype(np.float64)):
        return f"the compiled kernel computes in float32 or float64; got {np.dtype(dtype).name}."
    if record_grad_norms:
        return "the compiled kernel does not record per-layer gradient norms (record_grad_norms=True)."
    for layer, activation in enumerate(net.activations, start=1):
        if activation not in _ACTIVATION_CODES:
            known = [act.name for act in _ACTIVATION_CODES]
            return (
                f"the compiled kernel has no code for activation {activation.name!r} (layer {layer} of {net!r}); "
                f"it computes {known}."
            )
    if net.cost_name not in _COST_CODES or (net.cost_name == "cross_entropy" and not net.fused_output):
        return f"the compiled kernel has no code for cost {net.cost_name!r} on {net!r}."
    if not available():
        return "the compiled kernel needs numba; install it with pip install 'gradmethods[fast]'."
    return None


def supports(net: Any, provider: Any, batch_size: int | None = None, **kwargs: Any) -> bool:
    """Whether the kernel computes this case (see :func:`unsupported_reason`)."""
    return unsupported_reason(net, provider, batch_size, **kwargs) is None


def gradient_descent_runs(net, provider, params, X, Y, **kwargs):
    """:func:`gradient_descent_stack_fast` where it applies, else the numpy path; one tuple per run."""
    return gradient_descent_stack_fast(net, provider, params, X, Y, **kwargs).runs()


def gradient_descent_stack_fast(
    net: Any,
    provider: Any,
    params: np.ndarray,
    X: np.ndarray,
    Y: np.ndarray,
    *,
    lr: Any = None,
    iterations: int,
    target: float | None = None,
    momentum: float = 0.0,
    optimizer: Any = None,
    freeze: Any = None,
    batch_size: int | None = None,
    rngs: Any = None,
    provider_rngs: Any = None,
) -> StackRecord:
    """:func:`~gradmethods.training.trainers.gradient_descent.gradient_descent_stack`, compiled where it applies.

    The arguments and the result are those of the numpy function; a case the kernel does
    not compute (:func:`unsupported_reason`) is trained by the numpy function.  ``seconds``
    is the kernel's wall time apportioned evenly over the rows (the compiled loop does
    not read the clock).  The work counters are the provider's per-call counts (found
    with one call of a fresh provider on one vector) times the iterations, as float64
    like the numpy path's (``fpe`` is fractional).

    The kernel is called on chunks of at most :data:`CHUNK_ITERATIONS` iterations, each
    run's parameters and velocity carried from one chunk to the next.  With a ``target``
    the histories are allocated chunk by chunk, so a huge budget costs only the rows the
    runs take; without one every run takes ``iterations`` rows unless it diverges, and its
    rows are allocated once and written in place.  The histories are kept as the kernel
    wrote them (a float32 run's cost and error in float32), the counters and ``seconds``
    as :class:`~gradmethods.training.results.RowRange` columns (see
    :class:`~gradmethods.training.trainers.gradient_descent.StackRecord`).
    """
    params = np.ascontiguousarray(params)
    dtype = params.dtype
    spec = optimizer.spec if optimizer is not None else None
    hand_built = optimizer is not None and spec is None
    if hand_built or not supports(net, provider, batch_size, optimizer=spec, dtype=dtype):
        return gradient_descent_stack(
            net, provider, params, X, Y, lr=lr, iterations=iterations, target=target, momentum=momentum,
            optimizer=optimizer, freeze=freeze, batch_size=batch_size, rngs=rngs, provider_rngs=provider_rngs,
        )  # fmt: skip
    if spec is not None:
        lr, momentum = spec["lr"], spec.get("beta", 0.0)
    frozen = freeze_mask(net, freeze)
    frozen = np.zeros(net.n_params, dtype=np.bool_) if frozen is None else np.ascontiguousarray(frozen, dtype=np.bool_)
    n_runs, n_params = params.shape
    X = np.ascontiguousarray(X, dtype=dtype)
    Y = np.ascontiguousarray(Y, dtype=dtype)
    lrs = np.ascontiguousarray(np.broadcast_to(-np.asarray(lr, dtype=np.float64), (n_runs,)).astype(dtype))
    sizes = np.array(net.layer_sizes, dtype=np.int64)
    offsets = np.array([s.start for w, b in net.layer_param_slices() for s in (w, b)], dtype=np.int64)
    acts = np.array([_ACTIVATION_CODES[activation] for activation in net.activations], dtype=np.int64)
    consts = np.array([0.5, 1.0, 0.0, X.shape[0], momentum, -1.0 if target is None else target], dtype=dtype)
    has_target = target is not None
    per_call = _per_call_counts(provider, net, params[0], X, Y)
    # The kernel computes cost and error in the run's dtype: a float32 run's are stored as float32
    # (exactly its values, float64 when read), half the memory to write.
    store = np.float32 if dtype == np.float32 else np.float64
    serial_kernel, lane_kernel = _kernels_for(net, X.shape[0], dtype, n_runs * iterations)

    current, velocity = params.copy(), np.zeros_like(params)
    final = params.copy()
    rows = np.full(n_runs, iterations, dtype=np.int64)
    codes = np.zeros(n_runs, dtype=np.int64)
    # Without a target every run goes on to the budget unless it diverges: the histories take
    # `iterations` rows, allocated once (pages are touched as the kernel writes them), and each
    # chunk in which every run is still training writes straight into its rows.
    whole = np.empty((2, iterations, n_runs), dtype=store) if target is None else None
    chunks = []  # (first iteration, run indices, costs, errors); run indices None: written into `whole`
    running = np.arange(n_runs)
    done_iterations = 0
    start = time.perf_counter()
    while running.size and done_iterations < iterations:
        n = min(CHUNK_ITERATIONS, iterations - done_iterations)
        chunk_params = np.ascontiguousarray(current[running])
        chunk_velocity = np.ascontiguousarray(velocity[running])
        chunk_final = np.empty_like(chunk_params)
        if whole is not None and running.size == n_runs:
            costs, errors = whole[:, done_iterations : done_iterations + n]
            chunks.append((done_iterations, None, costs, errors))
        else:
            costs = np.empty((n, running.size), dtype=store)
            errors = np.empty((n, running.size), dtype=store)
            chunks.append((done_iterations, running, costs, errors))
        chunk_rows = np.empty(running.size, dtype=np.int64)
        chunk_codes = np.empty(running.size, dtype=np.int64)
        arguments = (chunk_params, chunk_velocity, X, Y, np.ascontiguousarray(lrs[running]), consts, has_target, n,
                     sizes, offsets, acts, _COST_CODES[net.cost_name], frozen, chunk_final, costs, errors, chunk_rows,
                     chunk_codes)  # fmt: skip
        if running.size < SERIAL_BELOW:
            serial_kernel(*arguments)
        else:
            lane_kernel(*arguments, _lanes(net, X.shape[0], dtype.itemsize, running.size))
        stopped = chunk_codes != 0
        rows[running[stopped]] = done_iterations + chunk_rows[stopped]
        codes[running[stopped]] = chunk_codes[stopped]
        final[running] = chunk_final
        current[running], velocity[running] = chunk_final, chunk_velocity
        running = running[~stopped]
        done_iterations += n
    elapsed = time.perf_counter() - start

    n_rows = int(rows.max()) if n_runs else 0
    all_costs, all_errors = _join_chunks(chunks, whole, n_rows, n_runs, store)
    names = list(per_call)
    # Account the kernel's work to the provider, as the numpy path does.
    calls = int(rows.sum())
    for name in names:
        if hasattr(provider, name):
            work = calls * per_call[name]
            setattr(provider, name, getattr(provider, name) + (int(work) if name in INTEGER_COUNTS else float(work)))
    # Every run makes one call per step: its counters at row i are (i + 1) calls' worth, the same for
    # every run, and the wall time is apportioned evenly over the rows; both are computed when read.
    per_step = np.array([per_call[name] for name in names], dtype=np.float64)
    seconds = RowRange(n_rows, start=1, step=elapsed / max(n_rows, 1), dtype=np.float64)
    return StackRecord(final, all_costs, all_errors, names, None, seconds, rows, _outcomes(codes), per_step=per_step)


def _join_chunks(chunks: list, whole: np.ndarray | None, n_rows: int, n_runs: int, dtype: Any) -> tuple:
    """The costs and errors of every chunk as two ``(n_rows, R)`` arrays, NaN after each run's last row.

    A chunk that held every run wrote its rows in place (into ``whole``, or its own arrays
    when it is the only chunk), and the kernel filled each stopped run's later rows of it
    with NaN; those rows are used as they are, nothing copied.  A chunk of fewer runs
    (the others had stopped) is copied into its rows, NaN for the runs it did not hold.
    """
    if whole is None and len(chunks) == 1 and chunks[0][1].size == n_runs:
        _, _, costs, errors = chunks[0]
        return costs[:n_rows], errors[:n_rows]
    if whole is None:
        whole = np.empty((2, n_rows, n_runs), dtype=dtype)  # every row is written below
    for first, members, costs, errors in chunks:
        last = min(first + costs.shape[0], n_rows)
        if members is None or last <= first:  # written in place, or past every run's last row
            continue
        block = whole[:, first:last]
        if members.size == n_runs:
            block[0], block[1] = costs[: last - first], errors[: last - first]
        else:
            block[...] = np.nan
            block[0][:, members], block[1][:, members] = costs[: last - first], errors[: last - first]
    return whole[0, :n_rows], whole[1, :n_rows]


def _outcomes(codes: np.ndarray) -> list[Outcome]:
    """Each run's outcome from the kernel's code (0 budget exhausted, 1 converged, 2 diverged)."""
    return np.array(_OUTCOMES, dtype=object)[codes].tolist()


def _kernels_for(net: Any, n_samples: int, dtype: Any, network_steps: int = 0) -> tuple[Any, Any]:
    """The serial and the lane kernel that train ``net`` on ``n_samples`` patterns in ``dtype``.

    The kernels written out for the network's shape (:mod:`~gradmethods.training.compiled_shapes`)
    where it is small and computes only vectorizable functions, the work is at least
    :data:`SPECIALISE_FROM_STEPS` network-steps (runs x iterations) and, for the lane kernel, the
    dtype is one of :data:`SPECIALISED_LANE_DTYPES`; else the generic ones.  Both give the same
    numbers bit for bit, so the choice only moves the time: a shape's kernels compile once per
    machine (5-25 s each, then loaded from the disk cache), which pays off on long runs only.
    """
    from . import compiled_shapes

    acts = tuple(_ACTIVATION_CODES[activation] for activation in net.activations)
    cost_code = _COST_CODES[net.cost_name]
    serial, lane = _train_kernel_serial, _train_kernel
    if (
        SPECIALISE
        and network_steps >= SPECIALISE_FROM_STEPS
        and compiled_shapes.specialisable(tuple(net.layer_sizes), acts, cost_code, n_samples)
    ):
        try:
            shaped = compiled_shapes.shape_kernels(tuple(net.layer_sizes), acts, cost_code, n_samples, dtype)
        except OSError:  # no writable kernel directory: the generic kernels
            return serial, lane
        serial = shaped[0]
        if np.dtype(dtype).name in SPECIALISED_LANE_DTYPES:
            lane = shaped[1]
    return serial, lane


def _lanes(net: Any, n_samples: int, itemsize: int, n_runs: int) -> int:
    """Runs per block: up to MAX_LANES, fewer where one block's arrays would pass BLOCK_BYTES."""
    width = max(net.layer_sizes)
    per_lane = (2 * net.n_layers + 3) * n_samples * width + 3 * net.n_params + 8
    lanes = min(MAX_LANES, max(1, BLOCK_BYTES // (per_lane * max(itemsize, 8))))
    # Enough blocks for every thread (blocks of at least 8 runs).
    per_thread = -(-n_runs // numba.get_num_threads())
    return int(min(lanes, max(8, per_thread), n_runs))


def _per_call_counts(provider, net, vector, X, Y) -> dict[str, float]:
    """Each work counter's increase in one call on one vector (``fpe`` fractional), from a fresh provider."""
    probe = type(provider)()
    before = provider_counts(probe)
    probe.value_and_grad(net, vector, X, Y)
    after = provider_counts(probe)
    return {name: after[name] - before[name] for name in after}


#: At most this many runs are trained side by side in one block: the innermost
#: (contiguous) axis of every working array, so that each operation of the loop nest
#: runs over a long contiguous row of runs (SIMD, and the loop overhead paid once per
#: block).  Measured on OR/AND, one thread: 8 lanes 4.5e6, 32 lanes 1.3e7, 64 lanes
#: 1.8e7, 128 lanes 2.0e7, 256 lanes 1.95e7 network-steps/s.
MAX_LANES = 128
#: Stacks of fewer runs than this are trained by the serial kernel (one run after another, no
#: lane axis, no threads), whose numbers are the lane kernel's bit for bit: at R = 1 the lane
#: kernel's blocks and thread launch cost more than the arithmetic.
SERIAL_BELOW = 4
#: Whether small networks are trained by kernels written out for their shape
#: (:mod:`~gradmethods.training.compiled_shapes`; the same numbers as the generic kernels, bit for bit).
SPECIALISE = True
#: ... for work of at least this many network-steps (runs x iterations), where the one-time compile of
#: a shape's kernels (5-10 s serial, 20-25 s lane on a quiet 2-core machine) is small beside the run:
#: one OR/AND run of 1e6 steps takes ~0.5 s on the generic serial kernel, ~0.1 s on its own.
SPECIALISE_FROM_STEPS = 1_000_000
#: ... and, for the lane kernel, in these dtypes: on OR/AND (5,000 runs x 1000 iterations, one thread,
#: load 2.2) the specialised lane kernel ran at 1.9-2.0e7 network-steps/s in float64 against the generic
#: kernel's 1.4e7, but at 2.4e7 against 2.8e7 in float32 (``benchmarks/kernel_speed.py --kernels``).
SPECIALISED_LANE_DTYPES = ("float64",)
#: Bytes the working arrays of one block may take (fewer lanes for bigger networks).
BLOCK_BYTES = 4 * 2**20

# exp(x) = 2^k * exp(r), x = k ln2 + r, |r| <= ln2 / 2 (Cody and Waite's reduction with a
# two-part ln 2, so that k * LN2_HI is exact); k = round(x / ln 2) by adding and subtracting
# 1.5 * 2^52, whose sum also holds k in its low bits.  exp(r) = 1 + r + r^2 q(r), q the
# Taylor series' terms 1/2! .. 1/13! r^11 (truncation error 0.35^14 / 14! ~ 4e-18, below a
# twentieth of an ulp), evaluated by Estrin's scheme with fused multiply-adds (llvm.fma, one
# rounding each): a dependency chain of 6 operations instead of Horner's 26, 16 operations
# in all, and one rounding of the result's size (the last addition of 1).  2^k is applied as
# two powers of two 2^(k//2) * 2^(k - k//2) built from their exponent bits, each a normal
# number over the whole range, so that results in the subnormal range (x < -708.4) are
# rounded once, by the last product.  Written with + * fma and bit casts only, so that it
# vectorizes over the lanes (libm's exp does not).  Measured against np.exp over 6e6 points
# of [-750, 750]: at most 1 ulp apart (0 in 89 % of points), one subnormal ulp below -708.4.
_LOG2E = 1.4426950408889634
_LN2_HI = 0.693147180369123816490  # 0x3FE62E42FEE00000, exact times any |k| < 2^11
_LN2_LO = 1.90821492927058770002e-10
_ROUND = 6755399441055744.0  # 1.5 * 2^52: x + _ROUND - _ROUND is x rounded to an integer (|x| < 2^51)
_ROUND_BITS = 0x4338000000000000  # its bit pattern: bits(k + _ROUND) - _ROUND_BITS == k
_C2, _C3, _C4, _C5, _C6, _C7, _C8, _C9, _C10, _C11, _C12, _C13 = (1.0 / math.factorial(n) for n in range(2, 14))
#: exp(x) overflows above this (the largest x with a finite float64 exp is just below it) ...
_EXP_OVERFLOW = 709.782712893384
#: ... and is below half the smallest subnormal, 0 after rounding, under this.
_EXP_UNDERFLOW = -745.2

# The float32 exponential of float32 runs: the same algorithm in float32 (8 lanes to a 256-bit
# register), ln 2 in two parts with 8 trailing zero bits (k * LN2_HI_F exact for |k| < 256) and
# the Taylor terms to r^7 (truncation 0.35^8 / 8! ~ 5e-9, a tenth of a float32 ulp).  Measured
# against float64 np.exp rounded to float32 over 9e6 points of [-110, 110]: at most 1 ulp apart.
_F32 = np.float32
_LOG2E_F = _F32(_LOG2E)
_LN2_HI_F = _F32(0.693145751953125)  # 0x3F317200
_LN2_LO_F = _F32(1.428606765330187e-06)
_ROUND_F = _F32(12582912.0)  # 1.5 * 2^23
_ROUND_BITS_F = 0x4B400000
_D2, _D3, _D4, _D5, _D6, _D7 = (_F32(1.0 / math.factorial(n)) for n in range(2, 8))
_ONE_F, _ZERO_F, _INF_F = _F32(1.0), _F32(0.0), _F32(math.inf)
#: float32 exp(x) overflows above this (the largest float32 with a finite float32 exp) ...
_EXP_OVERFLOW_F = _F32(88.72283172607422)
#: ... and rounds to 0 below this (exp(x) < 2^-150, half the smallest float32 subnormal).
_EXP_UNDERFLOW_F = _F32(-103.97208)


if numba is not None:
    from llvmlite import ir as _llvm_ir
    from numba.core import types as _numba_types
    from numba.extending import intrinsic, overload

    @intrinsic
    def _float64_from_bits(typingctx, bits):  # pragma: no cover - compiled
        """The float64 whose bit pattern is the int64 ``bits`` (a bit cast, which vectorizes)."""
        if bits != _numba_types.int64:
            return None

        def codegen(context, builder, signature, args):
            return builder.bitcast(args[0], _llvm_ir.DoubleType())

        return _numba_types.float64(_numba_types.int64), codegen

    @intrinsic
    def _bits_of_float64(typingctx, x):  # pragma: no cover - compiled
        """The bit pattern of a float64 as an int64 (a bit cast)."""
        if x != _numba_types.float64:
            return None

        def codegen(context, builder, signature, args):
            return builder.bitcast(args[0], _llvm_ir.IntType(64))

        return _numba_types.int64(_numba_types.float64), codegen

    @intrinsic
    def _float32_from_bits(typingctx, bits):  # pragma: no cover - compiled
        """The float32 whose bit pattern is the low 32 bits of the int64 ``bits``."""
        if bits != _numba_types.int64:
            return None

        def codegen(context, builder, signature, args):
            return builder.bitcast(builder.trunc(args[0], _llvm_ir.IntType(32)), _llvm_ir.FloatType())

        return _numba_types.float32(_numba_types.int64), codegen

    @intrinsic
    def _bits_of_float32(typingctx, x):  # pragma: no cover - compiled
        """The bit pattern of a float32 as an int64 (a bit cast, sign-extended)."""
        if x != _numba_types.float32:
            return None

        def codegen(context, builder, signature, args):
            return builder.sext(builder.bitcast(args[0], _llvm_ir.IntType(32)), _llvm_ir.IntType(64))

        return _numba_types.int64(_numba_types.float32), codegen

    @intrinsic
    def _fma(typingctx, a, b, c):  # pragma: no cover - compiled
        """``a * b + c`` rounded once (LLVM's fma: one instruction where the CPU has FMA; vectorizes)."""
        if not (a == b == c) or a not in (_numba_types.float64, _numba_types.float32):
            return None

        def codegen(context, builder, signature, args):
            kind = args[0].type
            function = builder.module.declare_intrinsic("llvm.fma", [kind], _llvm_ir.FunctionType(kind, [kind] * 3))
            return builder.call(function, args)

        return a(a, a, a), codegen

    @intrinsic
    def _sqrt(typingctx, x):  # pragma: no cover - compiled
        """The correctly rounded square root of a float64 or float32 (LLVM's sqrt: no errno, so it vectorizes)."""
        if x not in (_numba_types.float64, _numba_types.float32):
            return None

        def codegen(context, builder, signature, args):
            function = builder.module.declare_intrinsic("llvm.sqrt", [args[0].type])
            return builder.call(function, args)

        return x(x), codegen

    @njit(inline="always")
    def _exp1(x):  # pragma: no cover - compiled
        """``exp(x)`` of one float64, with + * fma and bit casts only (vectorizes in a loop over lanes).

        Exact powers of two scale the polynomial: where the result is a normal number the
        two products are exact and it equals ``poly * 2^k``; +inf above
        :data:`_EXP_OVERFLOW`, 0 below :data:`_EXP_UNDERFLOW` and at -inf, nan for nan.
        """
        # No clamping on the way: outside [_EXP_UNDERFLOW, _EXP_OVERFLOW] (and for nan) the bits below
        # are meaningless but harmless (no conversions, integer shifts wrap), and the result is replaced.
        shifted = _fma(x, _LOG2E, _ROUND)  # k + 1.5 * 2^52, k = round(x / ln 2)
        k = shifted - _ROUND
        k_int = _bits_of_float64(shifted) - _ROUND_BITS
        r = _fma(-k, _LN2_HI, x)
        r = _fma(-k, _LN2_LO, r)
        r2 = r * r
        r4 = r2 * r2
        q = _fma(
            _fma(_fma(_C9, r, _C8), r2, _fma(_C7, r, _C6)),
            r4,
            _fma(_fma(_C5, r, _C4), r2, _fma(_C3, r, _C2)),
        )  # fmt: skip
        q = _fma(_fma(_fma(_C13, r, _C12), r2, _fma(_C11, r, _C10)), r4 * r4, q)
        poly = 1.0 + _fma(q, r2, r)
        k_low = k_int >> 1
        k_high = k_int - k_low
        value = poly * _float64_from_bits((k_low + 1023) << 52) * _float64_from_bits((k_high + 1023) << 52)
        value = math.inf if x > _EXP_OVERFLOW else value
        value = 0.0 if x < _EXP_UNDERFLOW else value
        return x if x != x else value

    @njit(inline="always")
    def _exp1f(x):  # pragma: no cover - compiled
        """``exp(x)`` of one float32 in float32: :func:`_exp1`'s algorithm with float32 constants."""
        shifted = _fma(x, _LOG2E_F, _ROUND_F)
        k = shifted - _ROUND_F
        k_int = _bits_of_float32(shifted) - _ROUND_BITS_F
        r = _fma(-k, _LN2_HI_F, x)
        r = _fma(-k, _LN2_LO_F, r)
        r2 = r * r
        q = _fma(_fma(_D7, r, _D6), r2 * r2, _fma(_fma(_D5, r, _D4), r2, _fma(_D3, r, _D2)))
        poly = _ONE_F + _fma(q, r2, r)
        k_low = k_int >> 1
        k_high = k_int - k_low
        value = poly * _float32_from_bits((k_low + 127) << 23) * _float32_from_bits((k_high + 127) << 23)
        value = _INF_F if x > _EXP_OVERFLOW_F else value
        value = _ZERO_F if x < _EXP_UNDERFLOW_F else value
        return x if x != x else value

    @njit(inline="always")
    def _sigmoid1(z):  # pragma: no cover - compiled
        """The kernels' sigmoid ``1 / (1 + exp(-z))`` of one value, in float64: scipy.special.expit's
        formula for float64, and like it 0 where ``exp(-z)`` overflows (``z < -709.78``)."""
        return 1.0 / (1.0 + _exp1(np.float64(-z)))

    @njit(inline="always")
    def _sigmoid1f(z):  # pragma: no cover - compiled
        """:func:`_sigmoid1` of a float32 in float32 (scipy.special.expit's float32 formula: 0 below -88.72)."""
        return _ONE_F / (_ONE_F + _exp1f(-z))

    def _sigmoid(z):  # pragma: no cover - compiled callers only
        """The sigmoid in the value's own precision: :func:`_sigmoid1f` of a float32, :func:`_sigmoid1` else."""
        raise NotImplementedError("compiled code only")

    @overload(_sigmoid)
    def _sigmoid_for_type(z):  # pragma: no cover - compiled
        if z == _numba_types.float32:
            return lambda z: _sigmoid1f(z)
        return lambda z: _sigmoid1(np.float64(z))

    def _exp(x):  # pragma: no cover - compiled callers only
        """exp in the value's own precision: :func:`_exp1f` of a float32, :func:`_exp1` else."""
        raise NotImplementedError("compiled code only")

    @overload(_exp)
    def _exp_for_type(x):  # pragma: no cover - compiled
        if x == _numba_types.float32:
            return lambda x: _exp1f(x)
        return lambda x: _exp1(np.float64(x))

    @njit(inline="always")
    def _activate_lanes(code, z, a, one, zero):  # pragma: no cover - compiled
        """``a = f(z)`` over the lanes (sigmoid: scipy.special.expit's 1 / (1 + exp(-z)))."""
        if code == 1:
            for lane in range(z.shape[0]):
                a[lane] = _sigmoid(z[lane])
        elif code == 2:
            for lane in range(z.shape[0]):
                a[lane] = np.tanh(z[lane])
        elif code == 3:
            for lane in range(z.shape[0]):
                a[lane] = z[lane] if z[lane] > zero else zero
        else:
            for lane in range(z.shape[0]):
                a[lane] = z[lane]

    @njit(inline="always")
    def _deriv(code, z, a, one, zero):  # pragma: no cover - compiled
        if code == 1:
            return a * (one - a)
        if code == 2:
            return one - a * a
        if code == 3:
            return one if z > zero else zero
        return one

    @njit(parallel=True, cache=True)
    def _train_kernel(
        params, velocity_io, X, Y, lrs, consts, has_target, iterations, sizes, offsets, acts, cost_code, frozen,
        final, costs, errors, rows, codes, lanes,
    ):  # pragma: no cover - compiled  # fmt: skip
        """Blocks of ``lanes`` runs in prange; within a block every array has the lane (run) axis last."""
        half, one, zero, n_float, beta, target = consts[0], consts[1], consts[2], consts[3], consts[4], consts[5]
        n_runs, n_params = params.shape
        n_samples, n_in = X.shape
        n_layers = acts.shape[0]
        width = 0
        for s in sizes:
            width = max(width, s)
        n_out = sizes[n_layers]
        last = n_layers - 1
        dtype = params.dtype
        n_blocks = (n_runs + lanes - 1) // lanes
        for block in prange(n_blocks):
            r0 = block * lanes
            p = np.empty((n_params, lanes), dtype=dtype)
            step = np.empty(lanes, dtype=dtype)
            velocity = np.empty((n_params, lanes), dtype=dtype)
            for lane in range(lanes):
                r = min(r0 + lane, n_runs - 1)  # the last block is padded with copies of the last run
                step[lane] = lrs[r]
                for k in range(n_params):
                    p[k, lane] = params[r, k]
                    velocity[k, lane] = velocity_io[r, k]
            grad = np.empty((n_params, lanes), dtype=dtype)
            acts_out = np.empty((n_layers + 1, n_samples, width, lanes), dtype=dtype)
            zs = np.empty((n_layers, n_samples, width, lanes), dtype=dtype)
            delta = np.empty((n_samples, width, lanes), dtype=dtype)
            delta_prev = np.empty((n_samples, width, lanes), dtype=dtype)
            cost = np.empty(lanes, dtype=dtype)
            error = np.empty(lanes, dtype=dtype)
            bad = np.empty(lanes, dtype=dtype)
            active = np.zeros(lanes, dtype=np.bool_)
            e = np.empty(lanes, dtype=dtype)
            pattern_cost = np.empty(lanes, dtype=dtype)
            squares = np.empty(lanes, dtype=dtype)
            n_active = 0
            for lane in range(lanes):
                if r0 + lane < n_runs:
                    active[lane] = True
                    n_active += 1
                    rows[r0 + lane] = iterations
                    codes[r0 + lane] = 0
            for n in range(n_samples):
                for i in range(n_in):
                    for lane in range(lanes):
                        acts_out[0, n, i, lane] = X[n, i]
            for it in range(iterations):
                if n_active == 0:
                    break
                # forward: z = a_prev @ W + b, a = f(z)
                for layer in range(n_layers):
                    fan_in, fan_out = sizes[layer], sizes[layer + 1]
                    w0, b0 = offsets[2 * layer], offsets[2 * layer + 1]
                    code = acts[layer]
                    for n in range(n_samples):
                        for j in range(fan_out):
                            for lane in range(lanes):
                                zs[layer, n, j, lane] = zero
                            for i in range(fan_in):
                                for lane in range(lanes):
                                    zs[layer, n, j, lane] += acts_out[layer, n, i, lane] * p[w0 + i * fan_out + j, lane]
                            for lane in range(lanes):
                                zs[layer, n, j, lane] += p[b0 + j, lane]
                            _activate_lanes(code, zs[layer, n, j], acts_out[layer + 1, n, j], one, zero)
                # cost, error and the output delta
                out_code = acts[last]
                for lane in range(lanes):
                    cost[lane] = zero
                    error[lane] = zero
                for n in range(n_samples):
                    for lane in range(lanes):
                        pattern_cost[lane] = zero
                        squares[lane] = zero
                    for j in range(n_out):
                        y = Y[n, j]
                        z_row, a_row, delta_row = zs[last, n, j], acts_out[n_layers, n, j], delta[n, j]
                        if cost_code == 0:
                            for lane in range(lanes):
                                a = a_row[lane]
                                diff = a - y
                                squares[lane] += (y - a) * (y - a)
                                pattern_cost[lane] += diff * diff
                                delta_row[lane] = diff * _deriv(out_code, z_row[lane], a, one, zero) / n_float
                        else:  # softplus(z) - y z, softplus = logaddexp(0, z) = max(z, 0) + log1p(exp(-|z|))
                            for lane in range(lanes):
                                e[lane] = _exp(-abs(z_row[lane]))
                            for lane in range(lanes):
                                a, z = a_row[lane], z_row[lane]
                                diff = a - y
                                squares[lane] += (y - a) * (y - a)
                                pattern_cost[lane] += ((z if z > zero else zero) + np.log1p(e[lane])) - y * z
                                delta_row[lane] = diff / n_float
                    for lane in range(lanes):
                        if cost_code == 0:
                            pattern_cost[lane] = half * pattern_cost[lane]
                        cost[lane] += pattern_cost[lane]
                        error[lane] += _sqrt(squares[lane])
                for lane in range(lanes):
                    cost[lane] = cost[lane] / n_float
                    error[lane] = error[lane] / n_float
                # backward
                for layer in range(n_layers - 1, -1, -1):
                    fan_in, fan_out = sizes[layer], sizes[layer + 1]
                    w0, b0 = offsets[2 * layer], offsets[2 * layer + 1]
                    for i in range(fan_in):
                        for j in range(fan_out):
                            k = w0 + i * fan_out + j
                            for lane in range(lanes):
                                grad[k, lane] = zero
                            for n in range(n_samples):
                                for lane in range(lanes):
                                    grad[k, lane] += acts_out[layer, n, i, lane] * delta[n, j, lane]
                    for j in range(fan_out):
                        for lane in range(lanes):
                            grad[b0 + j, lane] = zero
                        for n in range(n_samples):
                            for lane in range(lanes):
                                grad[b0 + j, lane] += delta[n, j, lane]
                    if layer > 0:
                        code = acts[layer - 1]
                        for n in range(n_samples):
                            for i in range(fan_in):
                                for lane in range(lanes):
                                    delta_prev[n, i, lane] = zero
                                for j in range(fan_out):
                                    for lane in range(lanes):
                                        delta_prev[n, i, lane] += delta[n, j, lane] * p[w0 + i * fan_out + j, lane]
                        for n in range(n_samples):
                            for i in range(fan_in):
                                for lane in range(lanes):
                                    d = _deriv(code, zs[layer - 1, n, i, lane], acts_out[layer, n, i, lane], one, zero)
                                    delta[n, i, lane] = delta_prev[n, i, lane] * d
                # record, then stop the runs whose cost or gradient is non-finite or that reached the target
                for lane in range(lanes):
                    bad[lane] = cost[lane] * zero  # 0 if finite, nan otherwise
                for k in range(n_params):
                    for lane in range(lanes):
                        bad[lane] += grad[k, lane] * zero
                for lane in range(lanes):
                    if active[lane]:
                        r = r0 + lane
                        costs[it, r] = cost[lane]
                        errors[it, r] = error[lane]
                        stop = 0
                        if bad[lane] != zero:
                            stop = 2
                        elif has_target and error[lane] <= target:
                            stop = 1
                        if stop:
                            rows[r], codes[r] = it + 1, stop
                            active[lane] = False
                            n_active -= 1
                            for k in range(n_params):
                                final[r, k] = p[k, lane]
                # update: v = beta v + g, p = p + (-lr) v; a frozen parameter keeps v = 0 and its value
                for k in range(n_params):
                    if frozen[k]:
                        continue
                    for lane in range(lanes):
                        velocity[k, lane] = beta * velocity[k, lane] + grad[k, lane]
                        p[k, lane] = p[k, lane] + step[lane] * velocity[k, lane]
                for lane in range(lanes):
                    bad[lane] = zero
                for k in range(n_params):
                    for lane in range(lanes):
                        bad[lane] += p[k, lane] * zero
                for lane in range(lanes):
                    if active[lane] and bad[lane] != zero:
                        r = r0 + lane
                        rows[r], codes[r] = it + 1, 2
                        active[lane] = False
                        n_active -= 1
                        for k in range(n_params):
                            final[r, k] = p[k, lane]
            for lane in range(lanes):
                r = r0 + lane
                if r < n_runs:
                    if active[lane]:
                        for k in range(n_params):
                            final[r, k] = p[k, lane]
                            velocity_io[r, k] = velocity[k, lane]
                    for it in range(rows[r], iterations):
                        costs[it, r] = np.nan
                        errors[it, r] = np.nan

    @njit(cache=True)
    def _train_kernel_serial(
        params, velocity_io, X, Y, lrs, consts, has_target, iterations, sizes, offsets, acts, cost_code, frozen,
        final, costs, errors, rows, codes,
    ):  # pragma: no cover - compiled  # fmt: skip
        """:func:`_train_kernel` one run after another on one thread, without the lane axis.

        For one run or a few: the lane kernel's blocks, lane loops and thread launch cost
        more than the arithmetic at R = 1.  Every operation is the lane kernel's, in the same
        order and dtypes (float64 for the exponential, results stored in the run's dtype), so
        a run's numbers are the lane kernel's bit for bit.  Working arrays are flat, indexed
        ``(layer * n_samples + n) * width + unit``.
        """
        half, one, zero, n_float, beta, target = consts[0], consts[1], consts[2], consts[3], consts[4], consts[5]
        n_runs, n_params = params.shape
        n_samples, n_in = X.shape
        n_layers = acts.shape[0]
        width = 0
        for s in sizes:
            width = max(width, s)
        n_out = sizes[n_layers]
        last = n_layers - 1
        dtype = params.dtype
        plane = n_samples * width
        p = np.empty(n_params, dtype=dtype)
        velocity = np.empty(n_params, dtype=dtype)
        grad = np.empty(n_params, dtype=dtype)
        a_all = np.zeros((n_layers + 1) * plane, dtype=dtype)
        z_all = np.zeros(n_layers * plane, dtype=dtype)
        delta = np.zeros(plane, dtype=dtype)
        delta_prev = np.zeros(plane, dtype=dtype)
        cast = np.empty(1, dtype=dtype)  # a value stored in the run's dtype, as the lane kernel stores it
        work = np.empty(plane, dtype=dtype)
        e = np.empty(plane, dtype=dtype)
        for n in range(n_samples):
            for i in range(n_in):
                a_all[n * width + i] = X[n, i]
        for r in range(n_runs):
            step = lrs[r]
            for k in range(n_params):
                p[k] = params[r, k]
                velocity[k] = velocity_io[r, k]
            rows[r] = iterations
            codes[r] = 0
            stopped = False
            for it in range(iterations):
                for layer in range(n_layers):
                    fan_in, fan_out = sizes[layer], sizes[layer + 1]
                    w0, b0 = offsets[2 * layer], offsets[2 * layer + 1]
                    code = acts[layer]
                    a_in, a_out = layer * plane, (layer + 1) * plane
                    m = 0
                    for n in range(n_samples):
                        for j in range(fan_out):
                            z = zero
                            for i in range(fan_in):
                                z += a_all[a_in + n * width + i] * p[w0 + i * fan_out + j]
                            z += p[b0 + j]
                            z_all[a_in + n * width + j] = z
                            work[m] = z
                            m += 1
                    if code == 1:  # the layer's sigmoids as one contiguous row
                        for lane in range(m):
                            e[lane] = _sigmoid(work[lane])
                    m = 0
                    for n in range(n_samples):
                        for j in range(fan_out):
                            z = z_all[a_in + n * width + j]
                            if code == 1:
                                a_all[a_out + n * width + j] = e[m]
                            elif code == 2:
                                a_all[a_out + n * width + j] = np.tanh(z)
                            elif code == 3:
                                a_all[a_out + n * width + j] = z if z > zero else zero
                            else:
                                a_all[a_out + n * width + j] = z
                            m += 1
                out_code = acts[last]
                a_last, z_last = n_layers * plane, last * plane
                cost = zero
                error = zero
                for n in range(n_samples):
                    pattern_cost = zero
                    squares = zero
                    for j in range(n_out):
                        y = Y[n, j]
                        a, z = a_all[a_last + n * width + j], z_all[z_last + n * width + j]
                        diff = a - y
                        squares += (y - a) * (y - a)
                        if cost_code == 0:
                            pattern_cost += diff * diff
                            delta[n * width + j] = diff * _deriv(out_code, z, a, one, zero) / n_float
                        else:
                            cast[0] = pattern_cost + (((z if z > zero else zero) + np.log1p(_exp(-abs(z)))) - y * z)
                            pattern_cost = cast[0]
                            delta[n * width + j] = diff / n_float
                    if cost_code == 0:
                        pattern_cost = half * pattern_cost
                    cost += pattern_cost
                    error += _sqrt(squares)
                cost = cost / n_float
                error = error / n_float
                for layer in range(n_layers - 1, -1, -1):
                    fan_in, fan_out = sizes[layer], sizes[layer + 1]
                    w0, b0 = offsets[2 * layer], offsets[2 * layer + 1]
                    a_in = layer * plane
                    for i in range(fan_in):
                        for j in range(fan_out):
                            g = zero
                            for n in range(n_samples):
                                g += a_all[a_in + n * width + i] * delta[n * width + j]
                            grad[w0 + i * fan_out + j] = g
                    for j in range(fan_out):
                        g = zero
                        for n in range(n_samples):
                            g += delta[n * width + j]
                        grad[b0 + j] = g
                    if layer > 0:
                        code = acts[layer - 1]
                        z_in = (layer - 1) * plane
                        for n in range(n_samples):
                            for i in range(fan_in):
                                d = zero
                                for j in range(fan_out):
                                    d += delta[n * width + j] * p[w0 + i * fan_out + j]
                                delta_prev[n * width + i] = d
                        for n in range(n_samples):
                            for i in range(fan_in):
                                d = _deriv(code, z_all[z_in + n * width + i], a_all[a_in + n * width + i], one, zero)
                                delta[n * width + i] = delta_prev[n * width + i] * d
                costs[it, r] = cost
                errors[it, r] = error
                bad = cost * zero  # 0 if finite, nan otherwise
                for k in range(n_params):
                    bad += grad[k] * zero
                stop = 0
                if bad != zero:
                    stop = 2
                elif has_target and error <= target:
                    stop = 1
                if stop:
                    rows[r], codes[r] = it + 1, stop
                    stopped = True
                    break
                for k in range(n_params):
                    if frozen[k]:
                        continue
                    velocity[k] = beta * velocity[k] + grad[k]
                    p[k] = p[k] + step * velocity[k]
                bad = zero
                for k in range(n_params):
                    bad += p[k] * zero
                if bad != zero:
                    rows[r], codes[r] = it + 1, 2
                    stopped = True
                    break
            for k in range(n_params):
                final[r, k] = p[k]
                if not stopped:
                    velocity_io[r, k] = velocity[k]
            for it in range(rows[r], iterations):
                costs[it, r] = np.nan
                errors[it, r] = np.nan
