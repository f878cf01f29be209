"""input_change_figure: one row per input, the images shown are the inputs, shapes are checked."""

import numpy as np
import pytest
from matplotlib.figure import Figure

from gradmethods.report.input_figures import input_change_figure


def _data(n_rows):
    rng = np.random.default_rng(0)
    before = rng.uniform(0, 1, (n_rows, 6))
    after = np.clip(before + rng.normal(0, 0.3, before.shape), 0, 1)
    return before, after, rng.uniform(0, 1, (n_rows, 4)), rng.uniform(0, 1, (n_rows, 4))


def test_rows_show_before_after_and_their_difference(tmp_path):
    before, after, out_before, out_after = _data(2)
    fig = input_change_figure(before, after, out_before, out_after, image_shape=(2, 3), title="t", labels=("a", "b"))
    assert isinstance(fig, Figure)
    image_axes = [ax for ax in fig.axes if ax.images]
    assert len(image_axes) == 6  # 2 rows x (before, after, difference)
    for row in range(2):
        shown = [ax.images[0].get_array() for ax in image_axes[3 * row : 3 * row + 3]]
        np.testing.assert_array_equal(shown[0], before[row].reshape(2, 3))
        np.testing.assert_array_equal(shown[1], after[row].reshape(2, 3))
        np.testing.assert_allclose(shown[2], (after[row] - before[row]).reshape(2, 3))
    assert [ax.get_title() for ax in image_axes[:3]] == ["a", "b", "b - a"]
    heights = [patch.get_height() for patch in fig.axes[3].patches]  # first row's bar chart
    np.testing.assert_allclose(heights, np.concatenate([out_before[0], out_after[0]]))
    fig.savefig(tmp_path / "grid.png")
    assert (tmp_path / "grid.png").stat().st_size > 0


def test_the_difference_scale_is_symmetric_and_shared():
    before, after, out_before, out_after = _data(3)
    fig = input_change_figure(before, after, out_before, out_after, image_shape=(2, 3))
    limit = np.abs(after - before).max()
    for ax in [ax for ax in fig.axes if ax.images][2::3]:
        assert ax.images[0].get_clim() == pytest.approx((-limit, limit))


def test_one_input_without_a_row_axis():
    before, after, out_before, out_after = _data(1)
    fig = input_change_figure(before[0], after[0], out_before[0], out_after[0], image_shape=(3, 2))
    assert len([ax for ax in fig.axes if ax.images]) == 3


def test_mismatched_shapes_are_rejected():
    before, after, out_before, out_after = _data(2)
    with pytest.raises(ValueError, match="equal shapes"):
        input_change_figure(before, after[:1], out_before, out_after, image_shape=(2, 3))
    with pytest.raises(ValueError, match="image_shape"):
        input_change_figure(before, after, out_before, out_after, image_shape=(2, 2))
