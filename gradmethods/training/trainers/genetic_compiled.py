"""A compiled breeding step for the genetic trainer (optional: needs numba, the ``fast`` extra).

:meth:`GeneticTrainer._breed <gradmethods.training.trainers.genetic.GeneticTrainer._breed>`
draws, run by run, the selection's bounded integers, the loser coins and picks, the
crossover's and the coins' ``random()`` numbers and the mutation noise, then computes the
children with a dozen array operations.  The kernel here does the same for every run of a
stack in one compiled loop: it calls each run's bit generator through the C functions
numpy's ``Generator`` calls (``next_uint64``, ``next_uint32``, ``next_double``, reached from
``bit_generator.ctypes``), computes each number as numpy's C code computes it (Lemire's
bounded integers, ``low + (high - low) random()``, the ziggurat normals with numpy's
tables, ``float32`` noise from 32-bit values with the comparison in double as numpy makes
it) and each child gene with the operations of the numpy path, in the same dtype and the
same order.  So the children, and the generators' states afterwards, are the numpy
path's bit for bit; tests compare the two engines.

The population's spread (:func:`population_std`, ``np.std`` over the members, the same sums in
the same order) is computed here too; the evaluation, the sort and the history stay on the
numpy path.  Rank selection
(``choice`` with probabilities) and bit generators other than numpy's ``PCG64`` are not
compiled (:func:`unsupported_reason`); ``engine="auto"`` breeds them on the numpy path.

The kernel is compiled with ``cache=True`` (numba keeps the machine code on disk, in
``__pycache__`` beside this file or ``NUMBA_CACHE_DIR``); one compile per dtype.
"""

from __future__ import annotations

import ctypes
from typing import Any

import numpy as np

__all__ = ["available", "unsupported_reason", "generator_pointers", "breed_runs", "population_std", "standard_normal"]

try:  # pragma: no cover - depends on the environment
    from llvmlite import ir
    from numba import njit, types
    from numba.extending import intrinsic
    from numba.np.random import _constants as _zig
except ImportError:  # pragma: no cover
    njit = None

#: Selection and crossover codes of the kernel.
SELECTION_CODES = {"tournament": 0, "truncation": 1}
CROSSOVER_CODES = {"blend": 0, "uniform": 1, "arithmetic": 2}


def available() -> bool:
    """Whether numba is installed (the compiled breeding step can run)."""
    return njit is not None


def unsupported_reason(trainer: Any, dtype: Any, rngs: list[np.random.Generator] | None = None) -> str | None:
    """Why the kernel cannot breed these runs (the numpy path then does), or None if it can."""
    if not available():
        return "numba is not installed (pip install 'gradmethods[fast]')."
    if trainer.selection not in SELECTION_CODES:
        return f"the compiled breeding step computes the selections {list(SELECTION_CODES)}; got {trainer.selection!r}."
    if np.dtype(dtype) not in (np.dtype(np.float32), np.dtype(np.float64)):
        return f"the compiled breeding step computes float32 and float64; got {np.dtype(dtype).name}."
    if trainer.population_size >= 2**32:
        return "the compiled breeding step draws bounds below 2**32."
    if rngs is not None and any(type(rng.bit_generator) is not np.random.PCG64 for rng in rngs):
        return "the compiled breeding step draws from numpy's PCG64 bit generator (default_rng) only."
    return None


def generator_pointers(rngs: list[np.random.Generator]) -> np.ndarray:
    """``(R, 4)`` uint64: each generator's state address and its ``next_uint64``, ``next_uint32``, ``next_double``.

    The addresses stay valid while the generators live (the caller keeps them).
    """
    table = np.empty((len(rngs), 4), dtype=np.uint64)
    for row, rng in enumerate(rngs):
        handles = rng.bit_generator.ctypes
        table[row, 0] = handles.state_address
        for column, function in enumerate((handles.next_uint64, handles.next_uint32, handles.next_double), 1):
            table[row, column] = ctypes.cast(function, ctypes.c_void_p).value
    return table


if njit is not None:  # pragma: no branch

    def _caller(return_type, ir_return):
        @intrinsic
        def call(typingctx, function, state):
            def codegen(context, builder, signature, args):
                address = ir.IntType(64)
                pointer = builder.inttoptr(args[0], ir.FunctionType(ir_return, [address]).as_pointer())
                return builder.call(pointer, [args[1]])

            return return_type(types.uint64, types.uint64), codegen

        return call

    _next_uint64 = _caller(types.uint64, ir.IntType(64))
    _next_uint32 = _caller(types.uint32, ir.IntType(32))
    _next_double = _caller(types.float64, ir.DoubleType())

    _KI_DOUBLE = _zig.ki_double.astype(np.uint64)
    _WI_DOUBLE = _zig.wi_double.astype(np.float64)
    _FI_DOUBLE = _zig.fi_double.astype(np.float64)
    _KI_FLOAT = _zig.ki_float.astype(np.uint32)
    _WI_FLOAT = _zig.wi_float.astype(np.float32)
    _FI_FLOAT = _zig.fi_float.astype(np.float32)
    _NOR_R = float(_zig.ziggurat_nor_r)
    _NOR_INV_R = float(_zig.ziggurat_nor_inv_r)
    _NOR_R_F = np.float32(_zig.ziggurat_nor_r_f)
    _NOR_INV_R_F = np.float32(_zig.ziggurat_nor_inv_r_f)

    @njit(cache=True)
    def _bounded(g, bound):
        """numpy's ``integers(0, bound)`` (int64, ``bound <= 2**32 - 1``): Lemire's method on 32-bit values."""
        rng = np.uint32(bound - 1)
        if rng == 0:  # numpy draws nothing for a single value
            return 0
        excl = np.uint64(rng) + np.uint64(1)
        m = np.uint64(_next_uint32(g[2], g[0])) * excl
        leftover = m & np.uint64(0xFFFFFFFF)
        if leftover < excl:
            threshold = (np.uint64(0xFFFFFFFF) - np.uint64(rng)) % excl
            while leftover < threshold:
                m = np.uint64(_next_uint32(g[2], g[0])) * excl
                leftover = m & np.uint64(0xFFFFFFFF)
        return np.int64(m >> np.uint64(32))

    @njit(cache=True)
    def _random(g):
        return _next_double(g[3], g[0])

    @njit(cache=True)
    def _normal_double(g):
        """numpy's ``random_standard_normal`` (the ziggurat of ``standard_normal``, float64)."""
        while True:
            r = _next_uint64(g[1], g[0])
            idx = np.int64(r & np.uint64(0xFF))
            r >>= np.uint64(8)
            sign = r & np.uint64(1)
            rabs = (r >> np.uint64(1)) & np.uint64(0x000FFFFFFFFFFFFF)
            x = np.float64(rabs) * _WI_DOUBLE[idx]
            if sign & np.uint64(1):
                x = -x
            if rabs < _KI_DOUBLE[idx]:
                return x
            if idx == 0:
                while True:
                    xx = -_NOR_INV_R * np.log1p(-_next_double(g[3], g[0]))
                    yy = -np.log1p(-_next_double(g[3], g[0]))
                    if yy + yy > xx * xx:
                        return -(_NOR_R + xx) if (rabs >> np.uint64(8)) & np.uint64(1) else _NOR_R + xx
            elif (_FI_DOUBLE[idx - 1] - _FI_DOUBLE[idx]) * _next_double(g[3], g[0]) + _FI_DOUBLE[idx] < np.exp(
                -0.5 * x * x
            ):
                return x

    @njit(cache=True)
    def _next_float(g):
        return np.float32(_next_uint32(g[2], g[0]) >> np.uint32(8)) * np.float32(1.0 / 16777216.0)

    @njit(cache=True)
    def _normal_float(g):
        """numpy's ``random_standard_normal_f`` (float32): its wedge test compares with ``exp`` in double, as C does."""
        while True:
            r = _next_uint32(g[2], g[0])
            idx = np.int64(r & np.uint32(0xFF))
            sign = (r >> np.uint32(8)) & np.uint32(1)
            rabs = (r >> np.uint32(9)) & np.uint32(0x0007FFFFF)
            x = np.float32(rabs) * _WI_FLOAT[idx]
            if sign & np.uint32(1):
                x = -x
            if rabs < _KI_FLOAT[idx]:
                return x
            if idx == 0:
                while True:
                    xx = -_NOR_INV_R_F * np.float32(np.log1p(-_next_float(g)))
                    yy = -np.float32(np.log1p(-_next_float(g)))
                    if yy + yy > xx * xx:
                        return -(_NOR_R_F + xx) if (rabs >> np.uint32(8)) & np.uint32(1) else _NOR_R_F + xx
            else:
                wedge = (_FI_FLOAT[idx - 1] - _FI_FLOAT[idx]) * _next_float(g) + _FI_FLOAT[idx]
                if np.float64(wedge) < np.exp(-0.5 * np.float64(x) * np.float64(x)):
                    return x

    @njit(cache=True)
    def _population_std(populations, count):
        """``np.std(populations, axis=1)``: numpy sums along a middle axis one row after the other, from the first."""
        runs, size, n_params = populations.shape
        spread = np.empty((runs, n_params), dtype=populations.dtype)
        total = np.empty(n_params, dtype=populations.dtype)
        for run in range(runs):
            members = populations[run]
            total[:] = members[0]
            for member in range(1, size):
                for k in range(n_params):
                    total[k] = total[k] + members[member, k]
            for k in range(n_params):
                total[k] = total[k] / count  # the mean
            for k in range(n_params):
                distance = members[0, k] - total[k]
                spread[run, k] = distance * distance
            for member in range(1, size):
                for k in range(n_params):
                    distance = members[member, k] - total[k]
                    spread[run, k] = spread[run, k] + distance * distance
            for k in range(n_params):
                spread[run, k] = np.sqrt(spread[run, k] / count)
        return spread

    @njit(cache=True)
    def _fill_normal(g, out):
        for i in range(out.size):
            out[i] = _normal_double(g) if out.itemsize == 8 else _normal_float(g)
        return out

    @njit(cache=True)
    def _breed_kernel(populations, cost, order, children, pointers, selection, tournament_size, breeding, elitism,
                      loser_share, crossover, crossover_rate, alpha, mutation_rate, scale, one):  # fmt: skip
        """Children of every run, drawn and computed as :meth:`GeneticTrainer._breed` does (see the module).

        ``scale`` and ``one`` are scalars of the populations' dtype; ``mixing`` and ``noise`` hold the
        crossover's draws and the noise in that dtype (assigning a double rounds it as ``astype`` does).
        """
        runs, size, n_params = populations.shape
        n = children.shape[1]
        picks = 2 * n
        zero = one - one
        chosen = np.empty(picks, dtype=np.int64)
        loser_coin = np.empty(picks, dtype=np.bool_)
        mixing = np.empty((n, n_params), dtype=populations.dtype)
        noise = np.empty((n, n_params), dtype=populations.dtype)
        mutated = np.empty((n, n_params), dtype=np.bool_)
        low = -alpha
        width = (1.0 + alpha) - low
        n_losers = size - elitism
        for run in range(runs):
            g = pointers[run]
            # selection: integers(0, size, (picks, t)) and the first best entrant of each tournament,
            # or order[integers(0, breeding, picks)]
            if selection == 0:
                for pick in range(picks):
                    best = _bounded(g, size)
                    best_cost = cost[run, best]
                    for _ in range(1, tournament_size):
                        entrant = _bounded(g, size)
                        if cost[run, entrant] < best_cost:
                            best, best_cost = entrant, cost[run, entrant]
                    chosen[pick] = best
            else:
                for pick in range(picks):
                    chosen[pick] = order[run, _bounded(g, breeding)]
            for pick in range(picks):  # random(picks) < loser_share
                loser_coin[pick] = _random(g) < loser_share
            for pick in range(picks):  # order[elitism:][integers(0, n_losers, picks)] where a loser
                loser = order[run, elitism + _bounded(g, n_losers)]
                if loser_coin[pick]:
                    chosen[pick] = loser
            # the crossover's draws, in the dtype
            if crossover == 0:  # uniform(-alpha, 1 + alpha, (n, P)): low + width random()
                for child in range(n):
                    for k in range(n_params):
                        mixing[child, k] = low + width * _random(g)
            elif crossover == 1:  # random((n, P)) < 0.5: from the first parent
                for child in range(n):
                    for k in range(n_params):
                        mixing[child, k] = one if _random(g) < 0.5 else zero
            else:  # random((n, 1))
                for child in range(n):
                    mixing[child, 0] = _random(g)
            for child in range(n):
                first = populations[run, chosen[child]]
                second = populations[run, chosen[n + child]]
                out = children[run, child]
                if crossover == 0:  # first + u (second - first)
                    for k in range(n_params):
                        out[k] = first[k] + mixing[child, k] * (second[k] - first[k])
                elif crossover == 1:  # where(from_first, first, second)
                    for k in range(n_params):
                        out[k] = first[k] if mixing[child, k] == one else second[k]
                else:  # w first + (1 - w) second
                    w = mixing[child, 0]
                    for k in range(n_params):
                        out[k] = w * first[k] + (one - w) * second[k]
            for child in range(n):  # does a crossover with probability crossover_rate, else copies the first parent
                if not (_random(g) < crossover_rate):
                    first = populations[run, chosen[child]]
                    for k in range(n_params):
                        children[run, child, k] = first[k]
            # gaussian_mutation: random((n, P)) < rate, then standard_normal((n, P), dtype)
            for child in range(n):
                for k in range(n_params):
                    mutated[child, k] = _random(g) < mutation_rate
            for child in range(n):
                for k in range(n_params):
                    if noise.itemsize == 8:
                        noise[child, k] = _normal_double(g)
                    else:
                        noise[child, k] = _normal_float(g)
            for child in range(n):  # children + where(mutated, noise scale, +0)
                for k in range(n_params):
                    step = noise[child, k] * scale if mutated[child, k] else zero
                    children[run, child, k] = children[run, child, k] + step
        return children


def standard_normal(rng: np.random.Generator, count: int, dtype: Any = np.float64) -> np.ndarray:
    """``rng.standard_normal(count, dtype=dtype)`` drawn by the kernel's ziggurat (for the tests that compare them)."""
    out = np.empty(count, dtype=dtype)
    return _fill_normal(generator_pointers([rng])[0], out)


def population_std(populations: np.ndarray) -> np.ndarray:
    """``np.std(populations, axis=1)`` of a ``(A, size, P)`` stack, bit for bit (the same sums in the same order)."""
    populations = np.ascontiguousarray(populations)
    return _population_std(populations, populations.dtype.type(populations.shape[1]))


def breed_runs(trainer: Any, populations: np.ndarray, cost: np.ndarray, order: np.ndarray, n: int, scale: float,
               pointers: np.ndarray) -> np.ndarray:  # fmt: skip
    """``n`` children per run ``(A, n, P)``, bred by the kernel; ``pointers`` from :func:`generator_pointers`."""
    runs, size, n_params = populations.shape
    children = np.empty((runs, n, n_params), dtype=populations.dtype)
    breeding = max(1, int(round(trainer.truncation_share * size)))
    return _breed_kernel(
        np.ascontiguousarray(populations), np.ascontiguousarray(cost, dtype=np.float64),
        np.ascontiguousarray(order, dtype=np.int64), children, pointers, SELECTION_CODES[trainer.selection],
        int(trainer.tournament_size), breeding, int(trainer.elitism), float(trainer.loser_share),
        CROSSOVER_CODES[trainer.crossover], float(trainer.crossover_rate), float(trainer.blend_alpha),
        float(trainer.mutation_rate), populations.dtype.type(scale), populations.dtype.type(1),
    )  # fmt: skip
