"""Shape-specialised compiled training kernels for small networks (part of the ``fast`` path).

The generic kernels of :mod:`gradmethods.training.compiled` loop over layers, patterns
and units whose counts they read at run time, through working arrays.  For a small
network (a few dozen parameters, a few patterns) that bookkeeping costs more than the
arithmetic.  Here the same training step is written out for one network shape -- every
pattern, unit and parameter a named scalar, every loop bound a literal -- as the source
of a small module, which numba compiles once per shape (``cache=True``: the machine code
is kept on disk across processes).  The lane kernel's innermost loop then runs the whole
step of one run per lane, with the runs side by side in SIMD registers; the serial
kernel runs the same step on scalars.

Every operation is the generic kernels', in the same order and dtypes (a sum starts
from zero and adds its terms in the generic loops' order; the exponential is
:func:`gradmethods.training.compiled._sigmoid`), so a run's numbers are the generic
kernels' bit for bit; tests compare the two.

The modules are written to :func:`kernel_directory`, named by a hash of their source
(which includes a hash of :mod:`~gradmethods.training.compiled`, whose helpers they
call), so that a changed generator or helper gives a new module rather than stale
machine code.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import sys
from typing import Any

import numpy as np

__all__ = ["kernel_directory", "specialisable", "shape_kernels"]

#: Networks up to this many (pattern, parameter) pairs are specialised: the written-out step
#: grows with n_samples * n_params (its compile time with it; OR/AND: 24, a 2-3-3-1 net on 4
#: patterns: 100).
MAX_UNROLLED = 512
#: Activation codes (those of :mod:`~gradmethods.training.compiled`) the written-out step computes:
#: identity, sigmoid, relu; tanh (a libm call, which keeps the lane loop from vectorizing) is
#: left to the generic kernels.
SPECIALISED_ACTIVATIONS = (0, 1, 3)
#: Cost codes: half squared error; cross entropy (fused with a sigmoid output) needs libm's log1p
#: per output, and is left to the generic kernels.
SPECIALISED_COSTS = (0,)
#: Runs side by side in one block of the lane kernel (a literal in its code; the kernel ignores its
#: ``lanes`` argument).
LANES = 32

_loaded: dict[tuple, tuple[Any, Any]] = {}


def kernel_directory() -> str:
    """Where the generated modules (and numba's cache of them) are written.

    ``GRADMETHODS_KERNEL_DIR`` if set; else ``gradmethods-kernels`` in ``NUMBA_CACHE_DIR``
    if set; else ``$XDG_CACHE_HOME/gradmethods/kernels`` (``~/.cache/...``).
    """
    if os.environ.get("GRADMETHODS_KERNEL_DIR"):
        return os.environ["GRADMETHODS_KERNEL_DIR"]
    if os.environ.get("NUMBA_CACHE_DIR"):
        return os.path.join(os.environ["NUMBA_CACHE_DIR"], "gradmethods-kernels")
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "gradmethods", "kernels")


def specialisable(sizes: tuple[int, ...], act_codes: tuple[int, ...], cost_code: int, n_samples: int) -> bool:
    """Whether :func:`shape_kernels` writes kernels for this shape (small, and only vectorizable functions)."""
    n_params = sum(fan_in * fan_out + fan_out for fan_in, fan_out in zip(sizes[:-1], sizes[1:]))
    return (
        n_samples * n_params <= MAX_UNROLLED
        and all(code in SPECIALISED_ACTIVATIONS for code in act_codes)
        and cost_code in SPECIALISED_COSTS
    )


def shape_kernels(sizes: tuple[int, ...], act_codes: tuple[int, ...], cost_code: int, n_samples: int,
                  dtype: Any) -> tuple[Any, Any]:  # fmt: skip
    """``(serial kernel, lane kernel)`` written out for this shape, with the generic kernels' signatures.

    Raises OSError where the module cannot be written.
    """
    dtype = np.dtype(dtype)
    key = (tuple(int(s) for s in sizes), tuple(int(c) for c in act_codes), int(cost_code), int(n_samples), dtype.name)
    if key not in _loaded:
        source = module_source(*key)
        digest = hashlib.sha256(source.encode()).hexdigest()[:20]
        name = f"gm_kernel_{digest}"
        directory = kernel_directory()
        os.makedirs(directory, exist_ok=True)
        path = os.path.join(directory, name + ".py")
        if not os.path.exists(path):  # written once: numba's cache is keyed by the file's time stamp
            temporary = f"{path}.{os.getpid()}.tmp"
            with open(temporary, "w") as handle:
                handle.write(source)
            os.replace(temporary, path)
        module_name = f"gradmethods._shape_kernels.{name}"
        spec = importlib.util.spec_from_file_location(module_name, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[module_name] = module
        spec.loader.exec_module(module)
        _loaded[key] = (module.serial_kernel, module.lane_kernel)
    return _loaded[key]


# ------------------------------------------------------------------------------------------ source writing
def _compiled_digest() -> str:
    from . import compiled

    with open(compiled.__file__, "rb") as handle:
        return hashlib.sha256(handle.read()).hexdigest()[:20]


class _Step:
    """The lines of one training step (forward, cost, backward) on named scalars."""

    def __init__(self, sizes, act_codes, cost_code, n_samples, dtype_name, batch_sigmoids=False):
        self.batch_sigmoids = batch_sigmoids
        self.sig_half = n_samples * max(sizes[1:])
        self.sizes, self.acts, self.cost_code, self.n = sizes, act_codes, cost_code, n_samples
        self.cast = f"np.{dtype_name}"
        self.offsets = []
        start = 0
        for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
            self.offsets.append((start, start + fan_in * fan_out))
            start += fan_in * fan_out + fan_out
        self.n_params = start
        self.lines: list[str] = []

    def emit(self, line: str) -> None:
        self.lines.append(line)

    @staticmethod
    def sum_of(terms: list[str]) -> str:
        """``zero + t0 + t1 + ...`` evaluated left to right (the generic loops' accumulation)."""
        expression = "zero"
        for term in terms:
            expression = f"({expression} + {term})"
        return expression

    def deriv(self, code: int, z: str, a: str) -> str:
        if code == 1:
            return f"({a} * (one - {a}))"
        if code == 3:
            return f"(one if {z} > zero else zero)"
        return "one"

    def activation(self, code: int, z: str) -> str:
        if code == 1:  # in the run's dtype (float32 runs: float32 exponential)
            return f"{self.cast}(_sigmoid({z}))"
        if code == 3:
            return f"({z} if {z} > zero else zero)"
        return z

    def write(self) -> list[str]:
        sizes, n_layers = self.sizes, len(self.sizes) - 1
        for layer in range(n_layers):
            fan_in, fan_out = sizes[layer], sizes[layer + 1]
            w0, b0 = self.offsets[layer]
            batch = self.batch_sigmoids and self.acts[layer] == 1
            units = [(n, j) for n in range(self.n) for j in range(fan_out)]
            for m, (n, j) in enumerate(units):
                terms = [f"a{layer}_{n}_{i} * p{w0 + i * fan_out + j}" for i in range(fan_in)]
                self.emit(f"z{layer}_{n}_{j} = ({self.sum_of(terms)} + p{b0 + j})")
                if batch:  # the layer's sigmoids as one loop over a row (it vectorizes), the same values
                    self.emit(f"sig[{m}] = z{layer}_{n}_{j}")
                else:
                    self.emit(f"a{layer + 1}_{n}_{j} = {self.activation(self.acts[layer], f'z{layer}_{n}_{j}')}")
            if batch:
                self.emit(f"for m in range({len(units)}):")
                self.emit(f"    sig[{self.sig_half} + m] = _sigmoid(sig[m])")
                for m, (n, j) in enumerate(units):
                    self.emit(f"a{layer + 1}_{n}_{j} = {self.cast}(sig[{self.sig_half + m}])")
        last = n_layers - 1
        n_out = sizes[-1]
        self.emit("cost = zero")
        self.emit("error = zero")
        for n in range(self.n):
            self.emit("pattern_cost = zero")
            self.emit("squares = zero")
            for j in range(n_out):
                a, z, y = f"a{n_layers}_{n}_{j}", f"z{last}_{n}_{j}", f"y{n}_{j}"
                self.emit(f"diff = {a} - {y}")
                self.emit(f"squares = squares + ({y} - {a}) * ({y} - {a})")
                self.emit("pattern_cost = pattern_cost + diff * diff")
                self.emit(f"d{last}_{n}_{j} = diff * {self.deriv(self.acts[last], z, a)} / n_float")
            self.emit("pattern_cost = half * pattern_cost")
            self.emit("cost = cost + pattern_cost")
            self.emit("error = error + _sqrt(squares)")
        self.emit("cost = cost / n_float")
        self.emit("error = error / n_float")
        for layer in range(n_layers - 1, -1, -1):
            fan_in, fan_out = sizes[layer], sizes[layer + 1]
            w0, b0 = self.offsets[layer]
            for i in range(fan_in):
                for j in range(fan_out):
                    terms = [f"a{layer}_{n}_{i} * d{layer}_{n}_{j}" for n in range(self.n)]
                    self.emit(f"g{w0 + i * fan_out + j} = {self.sum_of(terms)}")
            for j in range(fan_out):
                self.emit(f"g{b0 + j} = {self.sum_of([f'd{layer}_{n}_{j}' for n in range(self.n)])}")
            if layer > 0:
                code = self.acts[layer - 1]
                for n in range(self.n):
                    for i in range(fan_in):
                        terms = [f"d{layer}_{n}_{j} * p{w0 + i * fan_out + j}" for j in range(fan_out)]
                        self.emit(f"dp{n}_{i} = {self.sum_of(terms)}")
                for n in range(self.n):
                    for i in range(fan_in):
                        d = self.deriv(code, f"z{layer - 1}_{n}_{i}", f"a{layer}_{n}_{i}")
                        self.emit(f"d{layer - 1}_{n}_{i} = dp{n}_{i} * {d}")
        # non-finite cost or gradient: bad is nan (x * 0 of an infinity or a nan), else 0
        self.emit(f"bad = {self.sum_of_bad(['cost'] + [f'g{k}' for k in range(self.n_params)], start='')}")
        return self.lines

    @staticmethod
    def sum_of_bad(values: list[str], start: str) -> str:
        expression = start or f"{values[0]} * zero"
        for value in values[1:] if not start else values:
            expression = f"({expression} + {value} * zero)"
        return expression


def module_source(sizes, act_codes, cost_code, n_samples, dtype_name) -> str:
    """The Python source of the module holding ``serial_kernel`` and ``lane_kernel`` for one shape."""
    step = _Step(sizes, act_codes, cost_code, n_samples, dtype_name)
    body = step.write()
    serial_step = _Step(sizes, act_codes, cost_code, n_samples, dtype_name, batch_sigmoids=True)
    serial_body = serial_step.write()
    n_params, n_in, n_out = step.n_params, sizes[0], sizes[-1]
    cast = step.cast
    ks = range(n_params)
    load_data = [f"x{n}_{i} = X[{n}, {i}]" for n in range(n_samples) for i in range(n_in)]
    load_data += [f"a0_{n}_{i} = x{n}_{i}" for n in range(n_samples) for i in range(n_in)]
    load_data += [f"y{n}_{j} = Y[{n}, {j}]" for n in range(n_samples) for j in range(n_out)]
    load_data += [f"fz{k} = frozen[{k}]" for k in ks]
    bad_after = _Step.sum_of_bad([f"pn{k}" for k in ks], start="zero")
    head = [
        f"# Shape-specialised training kernels: sizes {tuple(sizes)}, activations {tuple(act_codes)}, cost "
        f"{cost_code}, {n_samples} patterns, {dtype_name}.",
        f"# Written by gradmethods.training.compiled_shapes for compiled.py {_compiled_digest()}; do not edit.",
        "import numpy as np",
        "from numba import njit, prange",
        "from gradmethods.training.compiled import _sigmoid, _sqrt",
        "",
        "",
    ]

    def indent(lines, depth):
        return ["    " * depth + line for line in lines]

    consts = [
        "half, one, zero, n_float, beta, target = consts[0], consts[1], consts[2], consts[3], consts[4], consts[5]",
        # consts[3] is the number of patterns: as a literal, a division by a power of two becomes the
        # (exact, so identical) product with its reciprocal
        f"n_float = {cast}({n_samples})",
        "n_runs = params.shape[0]",
    ]
    signature = ("(params, velocity_io, X, Y, lrs, consts, has_target, iterations, sizes, offsets, acts, cost_code, "
                 "frozen, final, costs, errors, rows, codes{extra}):")  # fmt: skip
    serial = ['@njit(cache=True, error_model="numpy")', "def serial_kernel" + signature.format(extra="")]
    serial += indent(consts + load_data + [f"sig = np.empty({2 * serial_step.sig_half}, dtype={cast})"], 1)
    serial += indent(["for r in range(n_runs):"], 1)
    serial += indent(
        [f"p{k} = params[r, {k}]" for k in ks] + [f"v{k} = velocity_io[r, {k}]" for k in ks]
        + ["step = lrs[r]", "rows[r] = iterations", "codes[r] = 0", "stopped = False", "for it in range(iterations):"],
        2,
    )  # fmt: skip
    serial += indent(serial_body, 3)
    serial += indent(
        ["costs[it, r] = cost", "errors[it, r] = error", "stop = 0", "if bad != zero:", "    stop = 2",
         "elif has_target and error <= target:", "    stop = 1", "if stop:",
         "    rows[r], codes[r] = it + 1, stop", "    stopped = True", "    break"]
        + [line for k in ks for line in (f"if not fz{k}:", f"    v{k} = beta * v{k} + g{k}",
                                          f"    p{k} = p{k} + step * v{k}")]
        + [f"pn{k} = p{k}" for k in ks]
        + [f"if {bad_after} != zero:", "    rows[r], codes[r] = it + 1, 2", "    stopped = True", "    break"],
        3,
    )  # fmt: skip
    serial += indent(
        [f"final[r, {k}] = p{k}" for k in ks]
        + ["if not stopped:"] + [f"    velocity_io[r, {k}] = v{k}" for k in ks]
        + ["for it in range(rows[r], iterations):", "    costs[it, r] = np.nan", "    errors[it, r] = np.nan"],
        2,
    )  # fmt: skip

    # The lane kernel: blocks of LANES runs in prange.  A block's state lives in ONE array, row q of
    # it at state[q * LANES + lane] (literal offsets), so that the lane loop's accesses are provably
    # independent across lanes and it vectorizes without run-time alias checks.
    rows_ = {"p": 0, "v": n_params, "step": 2 * n_params, "cost": 2 * n_params + 1, "error": 2 * n_params + 2,
             "flag": 2 * n_params + 3, "active": 2 * n_params + 4}  # fmt: skip
    at = {name: row * LANES for name, row in rows_.items()}
    lane = ["@njit(parallel=True, cache=True, error_model=\"numpy\")",
            "def lane_kernel" + signature.format(extra=", lanes")]  # fmt: skip
    lane += indent(consts + load_data + [f"n_blocks = (n_runs + {LANES - 1}) // {LANES}",
                                         "for block in prange(n_blocks):"], 1)  # fmt: skip
    lane += indent(
        [
            f"r0 = block * {LANES}",
            f"m = min({LANES}, n_runs - r0)",
            f"state = np.zeros({(2 * n_params + 5) * LANES}, dtype={cast})",
            f"for lane in range({LANES}):",
            "    r = min(r0 + lane, n_runs - 1)  # the last block is padded with copies of the last run",
            f"    state[{at['step']} + lane] = lrs[r]",
            f"    for k in range({n_params}):",
            f"        state[k * {LANES} + lane] = params[r, k]",
            f"        state[{at['v']} + k * {LANES} + lane] = velocity_io[r, k]",
            "for lane in range(m):",
            f"    state[{at['active']} + lane] = one",
            "    rows[r0 + lane] = iterations",
            "    codes[r0 + lane] = 0",
            "n_active = m",
            "for it in range(iterations):",
            "    if n_active == 0:",
            "        break",
            "    any_stop = 0",
            f"    for lane in range({LANES}):",
        ],
        2,
    )
    lane += indent([f"p{k} = state[{at['p'] + k * LANES} + lane]" for k in ks]
                   + [f"v{k} = state[{at['v'] + k * LANES} + lane]" for k in ks], 5)  # fmt: skip
    lane += indent(body, 5)
    lane += indent(
        [
            f"state[{at['cost']} + lane] = cost",
            f"state[{at['error']} + lane] = error",
            "stop = 2 if bad != zero else (1 if (has_target and error <= target) else 0)",
            f"live = state[{at['active']} + lane] != zero",
            "stop = stop if live else 0",
            "go = live and stop == 0",
            f"step = state[{at['step']} + lane]",
        ]
        + [line for k in ks for line in (f"vn{k} = v{k} if fz{k} else beta * v{k} + g{k}",
                                          f"pn{k} = p{k} if fz{k} else p{k} + step * vn{k}")]
        + [f"stop = 2 if (go and {bad_after} != zero) else stop"]
        + [line for k in ks for line in (f"state[{at['p'] + k * LANES} + lane] = pn{k} if go else p{k}",
                                          f"state[{at['v'] + k * LANES} + lane] = vn{k} if go else v{k}")]
        + [f"state[{at['flag']} + lane] = {cast}(stop)", "any_stop = any_stop | stop"],
        5,
    )  # fmt: skip
    lane += indent(
        [
            "for lane in range(m):",
            f"    costs[it, r0 + lane] = state[{at['cost']} + lane]",
            f"    errors[it, r0 + lane] = state[{at['error']} + lane]",
            "if any_stop != 0:",
            "    for lane in range(m):",
            f"        if state[{at['flag']} + lane] != zero:",
            "            r = r0 + lane",
            f"            rows[r], codes[r] = it + 1, np.int64(state[{at['flag']} + lane])",
            f"            state[{at['active']} + lane] = zero",
            "            n_active -= 1",
            f"            for k in range({n_params}):",
            f"                final[r, k] = state[k * {LANES} + lane]",
        ],
        3,
    )
    lane += indent(
        [
            "for lane in range(m):",
            "    r = r0 + lane",
            f"    if state[{at['active']} + lane] != zero:",
            f"        for k in range({n_params}):",
            f"            final[r, k] = state[k * {LANES} + lane]",
            f"            velocity_io[r, k] = state[{at['v']} + k * {LANES} + lane]",
            "    for it in range(rows[r], iterations):",
            "        costs[it, r] = np.nan",
            "        errors[it, r] = np.nan",
        ],
        2,
    )
    # The block's code as its own (serial) function, which the parallel kernel calls once per block: numba's
    # parallel passes then see a few lines, not the whole step (a fraction of the compile time).
    start = lane.index("    for block in prange(n_blocks):") + 1
    block = ['@njit(cache=True, error_model="numpy")', f"def train_block(block, {BLOCK_ARGUMENTS}):"]
    block += indent(consts + load_data, 1) + [line[4:] for line in lane[start:]]
    kernel = lane[:2] + [
        f"    n_blocks = (params.shape[0] + {LANES - 1}) // {LANES}",
        "    for block in prange(n_blocks):",
        f"        train_block(block, {BLOCK_ARGUMENTS})",
    ]
    return "\n".join(head + serial + ["", ""] + block + ["", ""] + kernel) + "\n"


BLOCK_ARGUMENTS = (
    "params, velocity_io, X, Y, lrs, consts, has_target, iterations, frozen, final, costs, errors, rows, codes"
)
