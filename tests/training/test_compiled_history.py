"""How the compiled path keeps histories: as the kernel wrote them, float32 in float32, counters from the row number.

The numbers must be those of the numpy path (to rounding) and of the kernel run in one chunk
(bit for bit): only where and how they are stored changed.
"""

import numpy as np
import pandas as pd
import pytest

import gradmethods as gm
from gradmethods.training.results import RowRange, RunColumns

numba = pytest.importorskip("numba")
from gradmethods.training import compiled  # noqa: E402 - after the skip


def _same_runs(first, second):
    for a, b in zip(first, second, strict=True):
        assert a.outcome is b.outcome and a.history_rows == b.history_rows
        pd.testing.assert_frame_equal(a.history.drop(columns="seconds"), b.history.drop(columns="seconds"),
                                      check_exact=True)  # fmt: skip
        np.testing.assert_array_equal(a.params, b.params)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("seeds", [range(2), range(12)], ids=["serial", "lanes"])
@pytest.mark.parametrize("target", [None, 0.3])
def test_chunks_of_the_budget_give_the_one_chunk_numbers(monkeypatch, seeds, target, dtype):
    # identity activation: the larger learning rates diverge early (in the first chunks), the others go on.
    task = gm.get_task("or_and", activation="identity")
    lr = [0.2, 40.0] if len(seeds) == 2 else [0.05, 0.2, 3.0, 40.0] * 3
    kwargs = dict(seeds=seeds, lr=lr, iterations=300, init="random", dtype=dtype, target=target,
                  engine="numba")  # fmt: skip
    whole = gm.train(task, **kwargs)
    monkeypatch.setattr(compiled, "CHUNK_ITERATIONS", 16)
    chunked = gm.train(task, **kwargs)
    _same_runs(chunked, whole)
    rows = [run.history_rows for run in whole]
    assert min(rows) // 16 < max(rows) // 16, "the case needs runs that stop chunks before others end"
    assert gm.Outcome.DIVERGED in {run.outcome for run in whole}
    costs = chunked.histories.columns["cost"]
    for run, n in enumerate(rows):  # padding after a run's last row is NaN
        assert np.isnan(np.asarray(costs[n:, run], dtype=np.float64)).all()


def test_one_chunk_without_a_target_is_kept_as_the_kernel_wrote_it():
    runs = gm.train("or_and", seeds=range(20), iterations=50, init="random", engine="numba")
    columns = runs.histories.columns
    assert columns["cost"].shape == columns["error"].shape == (50, 20) and columns["cost"].dtype == np.float64
    assert columns["cost"].base is not None and columns["cost"].base is columns["error"].base  # one allocation
    for name in ("iteration", "nfev", "njev", "fpe", "seconds"):
        assert isinstance(columns[name], RowRange), name


def test_counters_and_seconds_follow_from_the_row_number():
    # backprop on XOR's 2-2-1 with N = 4: one call per step, 20/9 forward-pass equivalents each.
    runs = gm.train("xor", seeds=[1, 2, 3], lr=[0.5, 8.0, 1.0], iterations=300, target=0.45, init="random",
                    engine="numba")  # fmt: skip
    reference = gm.train("xor", seeds=[1, 2, 3], lr=[0.5, 8.0, 1.0], iterations=300, target=0.45, init="random",
                         engine="numpy")  # fmt: skip
    for run, alone in zip(runs, reference):
        history = run.history
        n = len(history)
        assert n == len(alone.history) and run.outcome is alone.outcome
        steps = np.arange(1, n + 1)
        for name in ("nfev", "njev", "forward_passes", "backward_passes", "iteration"):
            assert history[name].dtype == np.int64
            assert history[name].tolist() == alone.history[name].tolist()
        assert history["nfev"].tolist() == steps.tolist()
        np.testing.assert_allclose(history["fpe"], steps * 20 / 9, rtol=1e-13)
        seconds = history["seconds"].to_numpy()
        assert (np.diff(seconds) > 0).all() and seconds[0] > 0
    assert runs.histories.last("nfev").tolist() == [run.history_rows for run in runs]


@pytest.mark.parametrize("seeds", [range(3), range(40)], ids=["serial", "lanes"])
def test_a_float32_run_keeps_float32_values_and_reads_float64(seeds):
    kwargs = dict(seeds=seeds, iterations=200, init="random", dtype="float32", target=0.3)
    runs = gm.train("or_and", engine="numba", **kwargs)
    reference = gm.train("or_and", engine="numpy", **kwargs)
    stored = runs.histories.columns["cost"]
    assert stored.dtype == np.float32
    for index, (run, alone) in enumerate(zip(runs, reference)):
        history = run.history
        assert history["cost"].dtype == history["error"].dtype == np.float64 == alone.history["cost"].dtype
        np.testing.assert_array_equal(history["cost"].to_numpy(), stored[: run.history_rows, index].astype(np.float64))
        np.testing.assert_allclose(history["cost"], alone.history["cost"], rtol=2e-3)
        assert run.final_cost == history["cost"].iloc[-1] and run.final_error == history["error"].iloc[-1]
    np.testing.assert_array_equal(runs.final_errors, [run.history["error"].iloc[-1] for run in runs])


def test_a_single_run_builds_its_history_only_when_read():
    result = gm.train("or_and", seed=0, iterations=70_000, engine="numba")  # two chunks
    assert isinstance(result, gm.TrainResult) and "history" not in result.__dict__
    final_error = result.final_error  # read from the columns
    assert "history" not in result.__dict__
    history = result.history
    assert len(history) == 70_000 and history["iteration"].iloc[-1] == 69_999
    assert history["error"].iloc[-1] == final_error and history["nfev"].iloc[-1] == 70_000
    reference = gm.train("or_and", seed=0, iterations=300, engine="numpy")
    np.testing.assert_allclose(history["cost"][:300], reference.history["cost"], rtol=1e-10)
    again = gm.train("or_and", seed=0, iterations=70_000, engine="numba").history
    pd.testing.assert_frame_equal(again.drop(columns="seconds"), history.drop(columns="seconds"), check_exact=True)


# ---------------------------------------------------------------------------------------------- columns


def test_a_row_range_is_the_arange_it_stands_for():
    column = RowRange(10, start=1, step=2.5, dtype=np.float64)
    full = np.arange(1, 11) * 2.5
    assert column.shape == (10,) and len(column) == 10 and column.ndim == 1 and column.dtype == np.float64
    np.testing.assert_array_equal(np.asarray(column), full)
    np.testing.assert_array_equal(column[2:7:2], full[2:7:2])
    np.testing.assert_array_equal(column[[0, 9, -1, -10]], full[[0, 9, -1, -10]])
    np.testing.assert_array_equal(column[np.array([3, 3])], full[[3, 3]])
    iteration = RowRange(5)
    assert iteration[:].tolist() == [0, 1, 2, 3, 4] and iteration[:].dtype == np.int64
    assert RowRange(0)[:].shape == (0,)
    with pytest.raises(IndexError, match="out of range"):
        column[[10]]
    with pytest.raises(IndexError, match="slice or ints"):
        column[[0.5]]


def test_run_columns_read_float32_columns_as_float64_and_row_ranges_per_run():
    cost = np.array([[0.1, 0.2], [0.3, np.nan]], dtype=np.float32)
    columns = RunColumns({"cost": cost, "nfev": RowRange(2, start=1), "seconds": RowRange(2, start=1, step=0.5,
                          dtype=np.float64)}, rows=[2, 1], integer=["nfev"], as_float64=["cost"])  # fmt: skip
    frame = columns.frame(0)
    assert list(frame.columns) == ["iteration", "cost", "nfev", "seconds"]
    assert frame["cost"].dtype == np.float64 and frame["nfev"].dtype == np.int64
    assert frame["cost"].tolist() == [float(np.float32(0.1)), float(np.float32(0.3))]  # exact: no rounding again
    assert frame["seconds"].tolist() == [0.5, 1.0] and frame["iteration"].tolist() == [0, 1]
    assert columns.frame(1).to_dict("list") == {"iteration": [0], "cost": [float(np.float32(0.2))], "nfev": [1],
                                                "seconds": [0.5]}  # fmt: skip
    assert columns.last("cost").tolist() == [float(np.float32(0.3)), float(np.float32(0.2))]
    assert columns.last("nfev").tolist() == [2, 1] and columns.last("iteration").tolist() == [1, 0]
    assert columns.value("cost", 0) == float(np.float32(0.3)) and columns.value("nfev", 1, 0) == 1
    with pytest.raises(IndexError):
        columns.value("cost", 1, 1)
    plain = RunColumns({"cost": cost}, rows=[2, 1])  # not named in as_float64: read as stored
    assert plain.frame(0)["cost"].dtype == np.float32
    with pytest.raises(ValueError, match=r"history column 'nfev' must have shape"):
        RunColumns({"nfev": RowRange(1)}, rows=[2, 1])


@pytest.mark.slow
@pytest.mark.parametrize("kernel", ["serial", "lanes"])
def test_the_kernel_stores_a_float32_runs_own_float32_values(kernel):
    """What makes float32 storage exact: written to float64 buffers, the kernel's values are float32 numbers.

    Slow: it compiles the kernels for float64 buffers beside float32 parameters.
    """
    task = gm.get_task("or_and", cost="cross_entropy")
    net, (X, Y) = task.network(), task.data("float32")
    params = net.init_params_for_seeds(range(6), "float32")
    sizes = np.array(net.layer_sizes, dtype=np.int64)
    offsets = np.array([s.start for w, b in net.layer_param_slices() for s in (w, b)], dtype=np.int64)
    acts = np.array([compiled._ACTIVATION_CODES[a] for a in net.activations], dtype=np.int64)
    consts = np.array([0.5, 1.0, 0.0, X.shape[0], 0.5, -1.0], dtype=np.float32)
    frozen = np.zeros(net.n_params, dtype=np.bool_)
    found = {}
    for store in (np.float64, np.float32):
        costs, errors = np.empty((50, 6), dtype=store), np.empty((50, 6), dtype=store)
        arguments = (params.copy(), np.zeros_like(params), X, Y, np.full(6, -2.0, np.float32), consts, False, 50,
                     sizes, offsets, acts, compiled._COST_CODES["cross_entropy"], frozen, np.empty_like(params),
                     costs, errors, np.empty(6, np.int64), np.empty(6, np.int64))  # fmt: skip
        if kernel == "serial":
            compiled._train_kernel_serial(*arguments)
        else:
            compiled._train_kernel(*arguments, 4)
        found[store] = costs.astype(np.float64), errors.astype(np.float64)
    for wide, narrow in zip(found[np.float64], found[np.float32]):
        np.testing.assert_array_equal(wide, narrow)
