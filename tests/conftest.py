"""Test configuration: one BLAS thread, so numbers compared to the last digit are stable."""

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")
os.environ.setdefault("MPLBACKEND", "Agg")

try:
    from threadpoolctl import threadpool_limits

    threadpool_limits(1)
except ImportError:  # pragma: no cover - threadpoolctl is in the test extra
    pass



#: The test modules that train with the compiled path's generic lane kernels (batched runs on the numba
#: engine), first in float64 and float32: on an empty numba cache each lane kernel compiles for 30-40 s on a
#: quiet 2-core machine (over a minute under load).  They run first, as one block: with ``-n auto``'s
#: default distribution the first worker's first chunk of tests (a quarter of its share, ~200 tests) holds
#: the whole block, so one worker compiles each lane kernel once, at the start, and the other worker never
#: compiles it too (two workers reaching a kernel within its compile time each compile it) nor waits at the
#: end for a compile started late.  Only the order changes; a module left out of the list is still run.
EARLY_MODULES = (
    "tests/training/test_batched.py",
    "tests/training/test_compiled_history.py",
    "tests/training/test_compiled_serial.py",
    "tests/training/test_results.py",
    "tests/suites/test_runner.py",
)


def pytest_collection_modifyitems(session, config, items):
    """Run :data:`EARLY_MODULES` first, in that order, each module's tests in their own order."""
    rank = {module: index for index, module in enumerate(EARLY_MODULES)}
    early = [item for item in items if item.nodeid.split("::")[0] in rank]
    if early:
        early.sort(key=lambda item: rank[item.nodeid.split("::")[0]])  # stable: a module keeps its order
        items[:] = early + [item for item in items if item.nodeid.split("::")[0] not in rank]
