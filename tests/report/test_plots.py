"""Structural tests of the comparison figures (axes, lines, scales, labels, errors), not pixels.

Expected values come from the synthetic records of ``synthetic_results`` (errors
``0.5 * exp(-0.1 i)``, runs of 30/40/50 iterations), worked out here by hand.
"""

import os
import subprocess
import sys
import types

import matplotlib.colors as mcolors
import numpy as np
import pandas as pd
import pytest
from matplotlib._pylab_helpers import Gcf
from matplotlib.figure import Figure
from synthetic_results import FPE_PER_EVALUATION, TARGET, make_bench, make_fd_study, make_frames

import gradmethods as gm
from gradmethods.core import registry
from gradmethods.gradients.backprop import Backprop
from gradmethods.report import plots


@pytest.fixture(scope="module")
def frames():
    return make_frames()


def _labelled_lines(ax):
    return [line for line in ax.get_lines() if not line.get_label().startswith("_")]


def _ylabel(ax):
    """The y label of a panel: its own, or the figure's shared one (``supylabel``)."""
    return ax.get_ylabel() or ax.figure.get_supylabel()


def _line(ax, label):
    (line,) = [line for line in ax.get_lines() if line.get_label() == label]
    return line


# --------------------------------------------------------------------------- style


#: The built-in methods' styles (colour-blind-safe Okabe-Ito colours), as figures have always drawn them.
BUILTIN_STYLES = {
    "backprop": ("#0072B2", "o", "-"), "dual": ("#E69F00", "s", "-"), "fd_forward": ("#009E73", "^", "-"),
    "fd_central": ("#D55E00", "v", "-"), "complex_step": ("#CC79A7", "D", "-"), "genetic": ("#000000", "P", "-"),
    "fd_richardson": ("#56B4E9", "<", "-"),
}  # fmt: skip


def test_builtin_styles_come_from_their_classes_and_are_distinct():
    assert not hasattr(plots, "METHOD_STYLES")  # no table keyed by built-in names: the registry holds the styles
    for name, style in BUILTIN_STYLES.items():
        assert plots.method_style(name) == plots.MethodStyle(*style) == plots.MethodStyle(*gm.get_method(name).style)
    colors = [style[0] for style in BUILTIN_STYLES.values()]
    markers = [style[1] for style in BUILTIN_STYLES.values()]
    assert len(set(colors)) == len(colors) and len(set(markers)) == len(markers)
    assert all(mcolors.is_color_like(c) for c in colors)


@pytest.fixture
def styled_plugin():
    """Two providers registered for one test: one declares a style, one does not."""

    class Styled(Backprop):
        style = ("#123456", "h", ":")

    class Plain(Backprop):
        style = None

    registry.register_provider("_styled")(Styled)
    registry.register_provider("_plain")(Plain)
    yield
    registry.METHODS.unregister("_styled")
    registry.METHODS.unregister("_plain")


def test_a_registered_plugin_is_drawn_with_its_declared_style(styled_plugin, frames):
    assert plots.method_style("_styled") == plots.MethodStyle("#123456", "h", ":")
    plain = plots.method_style("_plain")  # no style declared: derived from the name, like an unknown one
    assert plain.linestyle != "-" and plain == plots.method_style("_plain")
    runs, curves, _ = frames
    renamed = runs.assign(method=runs["method"].replace({"genetic": "_styled"}))
    line = _line(plots.convergence(renamed, curves, tasks=["not"]).axes[0], "_styled")
    assert (line.get_color(), line.get_marker(), line.get_linestyle()) == ("#123456", "h", ":")


def test_unknown_method_style_is_stable_across_processes_and_not_builtin():
    style = plots.method_style("someone_elses_plugin")
    assert mcolors.is_color_like(style.color)
    assert style.linestyle != "-"  # never mistaken for a built-in
    code = (
        "from gradmethods.report.plots import method_style as s; "
        "m = s('someone_elses_plugin'); print(m.color, m.marker)"
    )
    env = dict(os.environ, PYTHONHASHSEED="12345", PYTHONPATH=os.pathsep.join(sys.path))
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout
    assert out.split() == [style.color, style.marker]


def test_a_method_has_the_same_colour_in_every_figure(frames):
    runs, curves, summary = frames
    want = mcolors.to_rgba(BUILTIN_STYLES["fd_central"][0])
    figures = [
        plots.convergence(runs, curves).axes[0],
        plots.target_ecdf(runs).axes[0],
        plots.fd_step_curve(make_fd_study()).axes[0],
        plots.gradient_cost(make_bench()).axes[0],
    ]
    for ax in figures:
        assert mcolors.to_rgba(_line(ax, "fd_central").get_color()) == want
    errorbars = plots.success_rates(summary).axes[0].containers
    (fd,) = [c for c in errorbars if c.get_label() == "fd_central"]
    assert mcolors.to_rgba(fd.lines[0].get_color()) == want


# --------------------------------------------------------------------------- convergence


@pytest.mark.parametrize(("x", "scale", "unit"), [
    ("iteration", "linear", "iteration (gradient steps; genetic: generations)"),  # the axis says it mixes them
    ("fpe", "log", "forward-pass equivalents (arithmetic of one real forward pass)"),
    ("nfev", "log", "function evaluations (calls)"),
    ("seconds", "log", "wall-clock time (s)"),
])  # fmt: skip
def test_convergence_structure(frames, x, scale, unit):
    runs, curves, _ = frames
    fig = plots.convergence(runs, curves, x=x)
    assert isinstance(fig, Figure)
    assert [ax.get_title() for ax in fig.axes] == ["not", "xor"]
    for ax in fig.axes:
        assert [line.get_label() for line in _labelled_lines(ax)] == ["backprop", "fd_central", "genetic", "target"]
        assert ax.get_yscale() == "log" and ax.get_xscale() == scale
        assert ax.get_xlabel().replace("\n", " ") == unit and "error" in _ylabel(ax)
        assert _line(ax, "target").get_ydata()[0] == pytest.approx(TARGET)
        assert len(ax.collections) == 3  # one quantile band per method
    assert Gcf.get_num_fig_managers() == 0  # no pyplot figure was opened


def test_convergence_median_carries_stopped_runs_forward(frames):
    runs, curves, _ = frames
    ax = plots.convergence(runs, curves, x="iteration", tasks=["not"], methods=["backprop"]).axes[0]
    line = _line(ax, "backprop")
    x, y = np.asarray(line.get_xdata()), np.asarray(line.get_ydata())
    # At iteration 45 seed 0 stopped at 29 and seed 1 at 39; seed 2 is still running.
    values = sorted([0.5 * np.exp(-2.9), 0.5 * np.exp(-3.9), 0.5 * np.exp(-4.5)])
    assert y[x == 45] == pytest.approx(values[1])
    assert x.max() == 49 and x.min() == 0
    assert y[x == 10] == pytest.approx(0.5 * np.exp(-1.0))  # all three seeds agree


def test_convergence_diverged_run_ranks_worst(frames):
    runs, curves, _ = frames
    ax = plots.convergence(runs, curves, tasks=["xor"], methods=["fd_central"]).axes[0]
    line = _line(ax, "fd_central")
    x, y = np.asarray(line.get_xdata()), np.asarray(line.get_ydata())
    # At 48 the seeds hold 0.5 e^-2.9 (stopped), 0.5 e^-3.9 (stopped), 0.5 e^-4.8: median 0.5 e^-3.9.
    assert y[x == 48] == pytest.approx(0.5 * np.exp(-3.9))
    # At 49 seed 2 diverged and ranks worst, so the median rises to seed 0's 0.5 e^-2.9.
    assert y[x == 49] == pytest.approx(0.5 * np.exp(-2.9))
    assert np.all(np.isfinite(y))


def test_convergence_on_evaluations_uses_a_log_grid(frames):
    runs, curves, _ = frames
    ax = plots.convergence(runs, curves, x="nfev", tasks=["not"], n_points=50).axes[0]
    x = np.asarray(_line(ax, "genetic").get_xdata())
    ratios = x[1:] / x[:-1]
    assert x.min() == 1 and x.max() == 49 * 20 + 1
    assert np.allclose(ratios, ratios[0])


def test_convergence_on_forward_pass_equivalents_draws_fpe_not_calls(frames):
    runs, curves, _ = frames
    ax = plots.convergence(runs, curves, x="fpe", tasks=["not"], methods=["backprop"], n_points=50).axes[0]
    x = np.asarray(_line(ax, "backprop").get_xdata())
    # backprop's calls 1 .. 50 (seed 2's 50 rows) at 20/9 forward-pass equivalents each
    assert x.min() == pytest.approx(FPE_PER_EVALUATION["backprop"]) and x.max() == pytest.approx(50 * 20 / 9)
    y = np.asarray(_line(ax, "backprop").get_ydata())
    # up to 30 calls every seed is running: at x forward-pass equivalents each has made floor(x / (20/9)) calls,
    # its last record is iteration calls - 1, error 0.5 exp(-0.1 (calls - 1))
    calls = np.floor(x / (20 / 9) + 1e-9)
    early = calls <= 30
    assert early.sum() > 10
    np.testing.assert_allclose(y[early], 0.5 * np.exp(-0.1 * (calls[early] - 1)), rtol=1e-12)


def test_results_without_fpe_fall_back_to_calls_and_say_so():
    runs, curves, summary = make_frames(fpe=False)
    fig = plots.convergence(runs, curves, x="fpe")
    for ax in fig.axes:
        label = ax.get_xlabel().replace("\n", " ")
        assert label == "function evaluations (calls; these results record no forward-pass equivalents)"
    assert "no forward-pass equivalents recorded" in fig.get_suptitle().replace("\n", " ")
    reference = plots.convergence(runs, curves, x="nfev")  # the same lines as an explicit nfev figure
    for ax, ref in zip(fig.axes, reference.axes):
        np.testing.assert_array_equal(_line(ax, "genetic").get_xdata(), _line(ref, "genetic").get_xdata())
    ecdf = plots.target_ecdf(runs).axes[1]
    assert "calls; these results record no forward-pass equivalents" in ecdf.get_xlabel().replace("\n", " ")
    assert _line(ecdf, "backprop").get_xdata()[-1] == runs.loc[runs["task"] == "xor", "nfev"].max()
    data = types.SimpleNamespace(runs=runs, curves=curves, summary=summary)
    title, caption = plots.FIGURES["convergence_fpe"].text(data)
    assert "function evaluations (calls" in title and "record no forward-pass equivalents" in caption
    assert "calls" in plots.FIGURES["target_ecdf"].text(data)[0]


def test_one_run_without_fpe_puts_the_whole_figure_in_calls(frames):
    runs, curves, _ = frames
    mixed = curves.assign(fpe=curves["fpe"].mask(curves["run_id"] == "xor-genetic-1"))
    label = plots.convergence(runs, mixed, x="fpe").axes[0].get_xlabel().replace("\n", " ")
    assert label.startswith("function evaluations (calls;")
    assert plots.convergence(runs, curves, x="fpe").axes[0].get_xlabel().startswith("forward-pass equivalents")


# --------------------------------------------------------------------------- other figures


def test_target_ecdf_stays_below_one_for_failures(frames):
    runs, _, _ = frames
    fig = plots.target_ecdf(runs)
    assert len(fig.axes) == 2
    xor = fig.axes[1]
    assert xor.get_xscale() == "log"
    assert xor.get_xlabel().replace("\n", " ") == (
        "forward-pass equivalents (arithmetic of one real forward pass), to reach the target"
    )
    finals = {line.get_label(): line.get_ydata()[-1] for line in _labelled_lines(xor)}
    # synthetic: backprop 3/3, fd_central 2/3 (one diverged), genetic 1/3 converged on xor
    assert finals == pytest.approx({"backprop": 1.0, "fd_central": 2 / 3, "genetic": 1 / 3})
    # backprop's runs reach the target at their last rows: 30, 40, 50 calls of 20/9 forward-pass equivalents
    hits = np.asarray(_line(xor, "backprop").get_xdata())[1:-1]
    np.testing.assert_allclose(hits, np.array([30, 40, 50]) * 20 / 9)
    budget = runs.loc[runs["task"] == "xor", "fpe"].max()
    for line in _labelled_lines(xor):
        y = np.asarray(line.get_ydata())
        assert np.all(np.diff(y) >= 0) and y[0] == 0.0 and y.max() <= 1.0
        assert line.get_xdata()[-1] == budget
    calls = plots.target_ecdf(runs, x="nfev").axes[1]
    assert calls.get_xlabel().replace("\n", " ") == "function evaluations (calls), to reach the target"
    np.testing.assert_array_equal(np.asarray(_line(calls, "backprop").get_xdata())[1:-1], [30, 40, 50])


def test_success_rates_show_wilson_intervals(frames):
    _, _, summary = frames
    fig = plots.success_rates(summary, tasks=["not", "xor"])
    (ax,) = fig.axes
    assert [t.get_text() for t in ax.get_xticklabels()] == ["not", "xor"]
    assert "success rate" in ax.get_ylabel() and ax.get_ylim()[0] < 0 < 1 < ax.get_ylim()[1]
    (fd,) = [c for c in ax.containers if c.get_label() == "fd_central"]
    assert np.asarray(fd.lines[0].get_ydata()) == pytest.approx([1.0, 2 / 3])
    # Wilson interval for 2 of 3 at 95 %: [0.2077, 0.9385] (by hand, z = 1.96)
    segments = fd.lines[2][0].get_segments()
    assert [segments[1][0][1], segments[1][1][1]] == pytest.approx([0.2077, 0.9385], abs=1e-4)


def test_fd_step_curve_is_log_log_and_clips_zero_errors():
    fig = plots.fd_step_curve(make_fd_study())
    (ax,) = fig.axes
    assert ax.get_xscale() == ax.get_yscale() == "log"
    assert "step" in ax.get_xlabel() and "error" in ax.get_ylabel()
    # one family (numerical), so by name
    assert [line.get_label() for line in _labelled_lines(ax)] == ["complex_step", "fd_central", "fd_forward"]
    assert np.all(_line(ax, "complex_step").get_ydata() == np.finfo(float).eps)
    central = _line(ax, "fd_central")
    best = central.get_xdata()[np.argmin(central.get_ydata())]
    assert 1e-7 <= best <= 1e-4  # bottom of the V near eps**(1/3) ~ 6e-6


def test_gradient_cost_slopes_on_log_log_axes():
    fig = plots.gradient_cost(make_bench())
    assert [ax.get_title() for ax in fig.axes] == ["float32", "float64"]
    for ax in fig.axes:
        assert ax.get_xscale() == ax.get_yscale() == "log"
        assert "parameters" in ax.get_xlabel() and "(s" in _ylabel(ax)
        for label, slope in (("backprop", 1.0), ("fd_central", 2.0)):
            line = _line(ax, label)
            fitted = np.polyfit(np.log(line.get_xdata()), np.log(line.get_ydata()), 1)[0]
            assert fitted == pytest.approx(slope)


def test_layer_gradient_norms_one_line_per_layer(frames):
    runs, curves, _ = frames
    fig = plots.layer_gradient_norms(runs, curves)
    (ax,) = fig.axes  # only xor / backprop recorded norms
    assert ax.get_title() == "xor · backprop" and ax.get_yscale() == "log"
    assert [line.get_label() for line in _labelled_lines(ax)] == ["layer 0", "layer 1"]
    assert _line(ax, "layer 1").get_ydata()[0] == pytest.approx(0.1)
    with pytest.raises(ValueError, match="grad_norm_layer0"):
        plots.layer_gradient_norms(runs, curves.drop(columns=["grad_norm_layer0", "grad_norm_layer1"]))


def test_genetic_costs_best_below_median(frames):
    runs, curves, _ = frames
    fig = plots.genetic_costs(runs, curves)
    assert len(fig.axes) == 2
    for ax in fig.axes:
        assert ax.get_xlabel() == "generation" and ax.get_yscale() == "log"
        best, median = _line(ax, "genetic: best"), _line(ax, "genetic: population median")
        assert median.get_linestyle() == "--"
        assert np.all(np.asarray(best.get_ydata()) < np.asarray(median.get_ydata()))


# --------------------------------------------------------------------------- errors and captions

_CALLS = {
    "convergence": lambda f, **kw: plots.convergence(f[0], f[1], **kw),
    "target_ecdf": lambda f, **kw: plots.target_ecdf(f[0], **kw),
    "success_rates": lambda f, **kw: plots.success_rates(f[2], **kw),
    "genetic_costs": lambda f, **kw: plots.genetic_costs(f[0], f[1], **kw),
    "fd_step_curve": lambda f, **kw: plots.fd_step_curve(make_fd_study(), **kw),
    "gradient_cost": lambda f, **kw: plots.gradient_cost(make_bench(), **kw),
}


_AVAILABLE = {
    "convergence": ["backprop", "fd_central", "genetic"],
    "target_ecdf": ["backprop", "fd_central", "genetic"],
    "success_rates": ["backprop", "fd_central", "genetic"],
    "genetic_costs": ["genetic"],  # only methods that recorded a population median
    "fd_step_curve": ["complex_step", "fd_central", "fd_forward"],
    "gradient_cost": ["backprop", "fd_central"],
}


@pytest.mark.parametrize("name", sorted(_CALLS))
def test_missing_method_is_a_clear_error(frames, name):
    with pytest.raises(ValueError) as info:
        _CALLS[name](frames, methods=[_AVAILABLE[name][0], "dual"])
    assert str(info.value) == f"method(s) ['dual'] not in the data; available methods: {_AVAILABLE[name]}."


def test_missing_task_is_a_clear_error(frames):
    message = r"task\(s\) \['example4'\] not in the data; available tasks: \['not', 'xor'\]"
    with pytest.raises(ValueError, match=message):
        plots.convergence(frames[0], frames[1], tasks=["example4"])


def test_bad_arguments_name_the_parameter(frames):
    runs, curves, _ = frames
    with pytest.raises(ValueError, match="'x' parameter"):
        plots.convergence(runs, curves, x="epochs")
    with pytest.raises(ValueError, match="quantiles"):
        plots.convergence(runs, curves, quantiles=(0.6, 0.9))
    with pytest.raises(ValueError, match=r"runs lacks the column\(s\) \['outcome'\]"):
        plots.target_ecdf(runs.drop(columns="outcome"))


def test_third_party_method_is_drawn_with_its_fallback_style(frames):
    runs, curves, _ = frames
    renamed = runs.assign(method=runs["method"].replace({"genetic": "my_plugin"}))
    ax = plots.convergence(renamed, curves, tasks=["not"]).axes[0]
    line = _line(ax, "my_plugin")
    assert line.get_color() == plots.method_style("my_plugin").color
    assert [ln.get_label() for ln in _labelled_lines(ax)][:3] == ["backprop", "fd_central", "my_plugin"]


def test_every_figure_has_a_caption_saying_how_to_read_it():
    assert len(plots.FIGURES) == 10
    for name, spec in plots.FIGURES.items():
        assert spec.name == name and len(spec.caption) > 150 and spec.title
    assert "carries its last value forward" in plots.caption("convergence_fpe")
    for name in ("convergence_fpe", "target_ecdf"):  # the figures of work name their unit, and the fallback's
        spec = plots.FIGURES[name]
        assert "forward-pass equivalents" in spec.title.lower() and "multiples of one real forward pass" in spec.caption
        assert "function evaluations (calls" in spec.fallback[0].lower() and "count one each" in spec.fallback[1]
    assert "below 1" in plots.caption("target_ecdf")
    with pytest.raises(ValueError, match="convergence_iteration"):
        plots.caption("nope")


def test_empty_selection_data_is_an_error():
    empty = pd.DataFrame(columns=["task", "method", "runs", "success_rate", "success_low", "success_high"])
    with pytest.raises(ValueError, match="no tasks"):
        plots.success_rates(empty)


def test_convergence_line_starts_when_every_seed_has_started(frames):
    runs, curves, _ = frames
    late = curves["run_id"] == "not-backprop-1"
    shifted = curves.assign(seconds=curves["seconds"].where(~late, curves["seconds"] + 0.01))
    ax = plots.convergence(runs, shifted, x="seconds", tasks=["not"], methods=["backprop"]).axes[0]
    x = np.asarray(_line(ax, "backprop").get_xdata())
    assert x.min() >= 0.011  # shifted seed 1 records first at 0.011 s
    assert x.max() == pytest.approx(0.05)  # and the line still runs to the end of the grid


# --------------------------------------------------------------------------- layout


def _texts(fig):
    """(name, bbox in pixels) of every piece of text the figure draws, after the layout has run.

    The figure's own texts (title, shared y label), each panel's title, axis labels and
    the tick labels inside its view, and each legend as one box.
    """
    fig.draw_without_rendering()
    boxes = [(f"figure text {t.get_text()!r}", t.get_window_extent()) for t in fig.texts if t.get_text()]
    for i, ax in enumerate(fig.axes):
        for name, text in (("title", ax.title), ("xlabel", ax.xaxis.label), ("ylabel", ax.yaxis.label)):
            if text.get_text() and text.get_visible():
                boxes.append((f"panel {i} {name} {text.get_text()!r}", text.get_window_extent()))
        for axis in (ax.xaxis, ax.yaxis):
            low, high = sorted(axis.get_view_interval())
            for tick in axis.get_major_ticks() + axis.get_minor_ticks():
                label = tick.label1
                if label.get_visible() and label.get_text() and low <= tick.get_loc() <= high:
                    boxes.append((f"panel {i} tick {label.get_text()!r}", label.get_window_extent()))
    boxes += [(f"legend {k}", legend.get_window_extent()) for k, legend in enumerate(fig.legends)]
    return boxes


def _assert_readable(fig):
    """No text is cut off by the figure's edge and no two texts overlap (no pixels compared)."""
    boxes = _texts(fig)
    frame = fig.bbox
    for name, box in boxes:
        assert frame.x0 - 1 <= box.x0 and box.x1 <= frame.x1 + 1, f"{name} is cut off at the side: {box}"
        assert frame.y0 - 1 <= box.y0 and box.y1 <= frame.y1 + 1, f"{name} is cut off at the top/bottom: {box}"
    for i, (name, box) in enumerate(boxes):
        for other, other_box in boxes[i + 1:]:
            overlap_x = min(box.x1, other_box.x1) - max(box.x0, other_box.x0)
            overlap_y = min(box.y1, other_box.y1) - max(box.y0, other_box.y0)
            assert overlap_x <= 1 or overlap_y <= 1, f"{name} overlaps {other}"


def _legend_labels(fig):
    (legend,) = fig.legends
    return [t.get_text() for t in legend.get_texts()]


def _depth_frames():
    """Two networks of different depth on one task: 3 and 7 recorded layer norms."""
    runs, curves, _ = make_frames(methods=("backprop",), tasks=("digits · 2 hidden", "digits · 6 hidden"),
                                  seeds=(0, 1), layer_norms=False)
    deep = curves["run_id"].str.startswith("digits · 6 hidden")
    iteration = curves["iteration"].to_numpy(float)
    for layer in range(7):
        norm = 10.0 ** (layer - 6) * np.exp(-0.01 * iteration)
        curves[f"grad_norm_layer{layer}"] = np.where(deep | (layer < 3), norm, np.nan)
    return runs, curves


def test_layer_legend_lists_the_layers_of_every_panel_with_one_colour_per_layer():
    runs, curves = _depth_frames()
    fig = plots.layer_gradient_norms(runs, curves)
    shallow, deep = fig.axes
    assert [line.get_label() for line in _labelled_lines(shallow)] == ["layer 0", "layer 1", "layer 2"]
    assert [line.get_label() for line in _labelled_lines(deep)] == [f"layer {k}" for k in range(7)]
    assert _legend_labels(fig) == [f"layer {k}" for k in range(7)]  # not only the first panel's three
    (legend,) = fig.legends
    for k, handle in enumerate(legend.legend_handles):
        colour = mcolors.to_rgba(handle.get_color())
        assert mcolors.to_rgba(_line(deep, f"layer {k}").get_color()) == colour
        if k < 3:
            assert mcolors.to_rgba(_line(shallow, f"layer {k}").get_color()) == colour
    assert len({mcolors.to_hex(h.get_color()) for h in legend.legend_handles}) == 7
    _assert_readable(fig)


def test_a_method_drawn_only_in_a_later_panel_is_in_the_legend(frames):
    runs, curves, _ = frames
    drop = (runs["task"] == "not") & (runs["method"] == "fd_central")
    fig = plots.convergence(runs[~drop], curves)
    assert "fd_central" not in [line.get_label() for line in _labelled_lines(fig.axes[0])]
    assert _legend_labels(fig) == ["backprop", "fd_central", "genetic", "target"]


_MULTI_PANEL = {
    "convergence": lambda runs, curves, summary: plots.convergence(runs, curves, x="fpe"),
    "target_ecdf": lambda runs, curves, summary: plots.target_ecdf(runs),
    "genetic_costs": lambda runs, curves, summary: plots.genetic_costs(runs, curves),
    "gradient_cost": lambda runs, curves, summary: plots.gradient_cost(make_bench()),
    "layer_gradient_norms": lambda runs, curves, summary: plots.layer_gradient_norms(*_depth_frames()),
}


@pytest.mark.parametrize("name", sorted(_MULTI_PANEL))
def test_multi_panel_figures_share_one_y_label_and_no_text_overlaps(frames, name):
    fig = _MULTI_PANEL[name](*frames)
    assert len(fig.axes) >= 2
    assert all(ax.get_ylabel() == "" for ax in fig.axes)
    assert fig.get_supylabel()  # one label for the figure
    _assert_readable(fig)


_LONG_TASKS = ("xor · relu · cross_entropy", "xor · sigmoid · cross_entropy", "xor · tanh · half_sse",
               "or_and · cross_entropy", "digits · half_sse", "not · half_sse", "digits · 6 hidden · backprop")
#: In legend order: registered methods by family (reverse mode, forward mode, numerical, gradient-free) and
#: name, then a method that is not registered.
_MANY_METHODS = ("backprop", "dual", "complex_step", "fd_central", "fd_forward", "fd_richardson", "genetic",
                 "someone_elses_plugin")


def test_single_panel_figure_keeps_its_title_and_a_long_legend_inside():
    runs, curves, _ = make_frames(methods=_MANY_METHODS, tasks=("digits",), seeds=(0,), layer_norms=False)
    for x in ("iteration", "fpe", "nfev", "seconds"):
        fig = plots.convergence(runs, curves, x=x)
        (ax,) = fig.axes
        assert ax.get_ylabel().startswith("error")  # one panel keeps its own y label
        assert _legend_labels(fig) == [*_MANY_METHODS, "target"]
        _assert_readable(fig)
    _assert_readable(plots.target_ecdf(runs))
    _assert_readable(plots.genetic_costs(runs, curves))


def test_long_task_labels_stay_readable_in_many_panels():
    runs, curves, summary = make_frames(methods=("backprop", "genetic"), tasks=_LONG_TASKS, seeds=(0, 1),
                                        layer_norms=False)
    fig = plots.convergence(runs, curves)
    assert [ax.get_title().replace("\n", " ") for ax in fig.axes] == sorted(_LONG_TASKS)
    _assert_readable(fig)
    fig = plots.success_rates(summary, methods=["backprop"])  # one method: the narrowest slot per task
    ticks = [t.get_text() for t in fig.axes[0].get_xticklabels()]
    assert [t.replace("\n", " · ") for t in ticks] == sorted(_LONG_TASKS)
    _assert_readable(fig)



def test_success_rates_draw_one_marker_per_grid_point(frames):
    _, _, summary = frames
    grid = pd.concat([summary.assign(lr=0.5), summary.assign(lr=2.0, success_rate=0.0, success_low=0.0)])
    grid = grid[["task", "method", "lr", *[c for c in summary.columns if c not in ("task", "method")]]]
    (ax,) = plots.success_rates(grid, methods=["backprop", "fd_central"]).axes
    labels = [c.get_label() for c in ax.containers]
    assert labels == ["backprop (lr=0.5)", "backprop (lr=2.0)", "fd_central (lr=0.5)", "fd_central (lr=2.0)"]
    (fd_fast,) = [c for c in ax.containers if c.get_label() == "fd_central (lr=2.0)"]
    assert np.asarray(fd_fast.lines[0].get_ydata()) == pytest.approx([0.0, 0.0])
    (fd,) = [c for c in ax.containers if c.get_label() == "fd_central (lr=0.5)"]
    assert np.asarray(fd.lines[0].get_ydata()) == pytest.approx([1.0, 2 / 3])
    assert fd.lines[0].get_color() == fd_fast.lines[0].get_color() == BUILTIN_STYLES["fd_central"][0]
    assert fd.lines[0].get_fillstyle() != fd_fast.lines[0].get_fillstyle()
