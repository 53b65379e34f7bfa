import networkx as nx
import numpy as np
import pytest

from analysis import common_subnetwork_curve, degree_distribution, driver_nodes, plotting, similarity_matrix


@pytest.fixture
def graphs(make_layered, rng):
    return [make_layered([4, 5, 2], 0.5, rng) for _ in range(3)]


def test_similarity_heatmap_marks_chance(graphs):
    m = similarity_matrix(graphs, labels=["a", "b", "c"])
    ax = plotting.plot_similarity_matrix(m)
    assert [t.get_text() for t in ax.get_xticklabels()] == ["a", "b", "c"]
    assert len(ax.texts) == 9  # annotated cells
    cbar_ax = ax.figure.axes[1]
    assert any(line.get_ydata()[0] == pytest.approx(m.mean_chance) for line in cbar_ax.lines)
    assert plotting.png_bytes(ax)[:4] == b"\x89PNG"


def test_degree_and_input_plots(graphs):
    dists = [degree_distribution(G, direction="in", layer=1) for G in graphs]
    ax = plotting.plot_degree_distribution(dists, labels=["a", "b", "c"])
    assert len(ax.lines) == 3 and ax.get_title() == "layer 1" and ax.get_xlabel() == "in-degree k"
    plotting.close(ax)
    axes = plotting.subplots(3)
    assert len(axes) == 3
    ax = plotting.plot_input_connectivity(np.arange(4).reshape(2, 2), axes[0])
    assert ax is axes[0] and ax.images[0].get_array().tolist() == [[0, 1], [2, 3]]


def test_driver_training_and_common_plots(graphs):
    ax = plotting.plot_driver_nodes([driver_nodes(G) for G in graphs], labels=list("abc"))
    assert len(ax.patches) == 3
    metrics = {"epochs": [{"epoch": 1, "test_accuracy": 0.5}, {"epoch": 2, "test_accuracy": 0.7}]}
    ax = plotting.plot_training_curves(metrics)
    assert ax.lines[0].get_ydata().tolist() == [0.5, 0.7]
    c = common_subnetwork_curve(graphs)
    ax = plotting.plot_common_subnetwork(c, labels=["x"])
    assert ax.lines[0].get_ydata().tolist() == c.edges.tolist()


def test_driver_plot_without_bound():
    ax = plotting.plot_driver_nodes([driver_nodes(nx.DiGraph([("a", "b")]))])
    assert ax.patches[0].get_height() == 1


def test_input_connectivity_colour_scale():
    ax = plotting.plot_input_connectivity(np.arange(4).reshape(2, 2), vmin=0.0, vmax=10.0)
    assert ax.images[0].get_clim() == (0.0, 10.0)
    plotting.close(ax)
    ax = plotting.plot_input_connectivity(np.arange(4).reshape(2, 2))  # default: the image's own range
    assert ax.images[0].get_clim() == (0.0, 3.0)


def _overlaps(a, b):
    return a.x0 < b.x1 and b.x0 < a.x1 and a.y0 < b.y1 and b.y0 < a.y1


@pytest.mark.parametrize("n", [1, 3, 30])
def test_driver_legend_clear_of_the_bars(n):
    """Bars as tall as the axes used to sit under the legend."""
    dense = nx.DiGraph([((0, i), (1, j)) for i in range(4) for j in range(4)])
    drivers = [driver_nodes(dense)] * n
    ax = plotting.plot_driver_nodes(drivers, labels=[f"net {k}" for k in range(n)])
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    fig = ax.figure
    canvas = FigureCanvasAgg(fig)  # as png_bytes renders it: constrained layout runs on draw
    canvas.draw()
    renderer = canvas.get_renderer()
    legend = ax.get_legend().get_window_extent(renderer)
    assert legend.y0 >= ax.get_window_extent(renderer).y1  # above the axes area
    assert not any(_overlaps(legend, bar.get_window_extent(renderer)) for bar in ax.patches)
    assert fig.bbox.contains(legend.x0, legend.y0) and fig.bbox.contains(legend.x1, legend.y1)  # not cut off


def test_training_curves_skip_non_numeric_values():
    rows = [
        {"epoch": 1, "test_accuracy": 0.5},
        {"epoch": 2, "test_accuracy": "high"},
        {"epoch": 3, "test_accuracy": [1, 2]},
        {"epoch": 4, "test_accuracy": {"a": 1}},
        {"epoch": 5, "test_accuracy": True},
        {"epoch": 6, "test_accuracy": None},
        {"epoch": "7", "test_accuracy": 0.6},
        "not a row",
        {"test_accuracy": 0.65},
        {"epoch": 8, "test_accuracy": 0.7},
    ]
    ax = plotting.plot_training_curves([{"epochs": rows}, {"epochs": "nope"}, [1]], labels=list("abc"))
    assert len(ax.lines) == 1
    assert ax.lines[0].get_xdata().tolist() == [1, 8] and ax.lines[0].get_ydata().tolist() == [0.5, 0.7]
    assert plotting.png_bytes(ax)[:4] == b"\x89PNG"


# --------------------------------------------------------------------------- readable at their own size


def _draw(fig):
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = FigureCanvasAgg(fig)  # as png_bytes renders it: constrained layout runs on draw
    canvas.draw()
    return canvas.get_renderer()


@pytest.mark.parametrize("k", [2, 6, 12])
def test_heatmap_values_are_readable_and_inside_their_cells(make_layered, rng, k):
    """The values used to be 6 pt, about 6 pixels tall."""
    gs = [make_layered([4, 5, 2], 0.5, rng) for _ in range(k)]
    m = similarity_matrix(gs, labels=[f"method/seed-{i}" for i in range(k)])
    ax = plotting.plot_similarity_matrix(m)
    renderer = _draw(ax.figure)
    assert len(ax.texts) == k * k
    for text in ax.texts:
        assert text.get_fontsize() >= plotting.MIN_FONT
        i, j = text.get_position()  # the cell (column, row) it is written in
        cell = ax.transData.transform([[i - 0.5, j - 0.5], [i + 0.5, j + 0.5]])
        box = text.get_window_extent(renderer)
        assert cell[:, 0].min() <= box.x0 and box.x1 <= cell[:, 0].max(), (k, text.get_text())
        assert cell[:, 1].min() <= box.y0 and box.y1 <= cell[:, 1].max(), (k, text.get_text())
    for label in ax.get_xticklabels() + ax.get_yticklabels():
        assert label.get_fontsize() >= plotting.MIN_FONT
    assert ax.figure.bbox.contains(*ax.get_tightbbox(renderer).p0)  # nothing cut off
    assert ax.figure.bbox.contains(*ax.get_tightbbox(renderer).p1)


def test_big_heatmaps_are_not_annotated(make_layered, rng):
    gs = [make_layered([4, 5, 2], 0.5, rng) for _ in range(30)]
    ax = plotting.plot_similarity_matrix(similarity_matrix(gs))
    assert len(ax.texts) == 0
    ax = plotting.plot_similarity_matrix(similarity_matrix(gs[:3]), plotting.subplots(1, panel_size=(1.2, 1.0))[0])
    assert len(ax.texts) == 0  # cells too small for 8 pt
    ax = plotting.plot_similarity_matrix(similarity_matrix(gs[:3]), annotate=False)
    assert len(ax.texts) == 0


def test_heatmap_tick_labels_can_be_given(graphs):
    m = similarity_matrix(graphs, labels=["run/a", "run/b", "run/c"])
    ax = plotting.plot_similarity_matrix(m, labels=["a", "b", "c"])
    assert [t.get_text() for t in ax.get_yticklabels()] == ["a", "b", "c"]


def _degree_study(make_layered, rng):
    groups = ["random", "random", "random", "strategic", "strategic", "strategic"]
    dists = [degree_distribution(make_layered([8, 20, 2], 0.4, rng), direction="in", layer=1) for _ in groups]
    return dists, groups, [f"seed {s}" for s in (0, 1, 2, 0, 1, 2)]


def test_degree_curves_are_coloured_by_group_with_seeds_as_line_styles(make_layered, rng):
    dists, groups, styles = _degree_study(make_layered, rng)
    labels = [f"{g}/{s}" for g, s in zip(groups, styles)]
    ax = plotting.plot_degree_distribution(dists, labels=labels, groups=groups, styles=styles)
    colours = [line.get_color() for line in ax.lines]
    assert colours[0] == colours[1] == colours[2] != colours[3] == colours[4] == colours[5]
    dashes = [line.get_linestyle() for line in ax.lines]
    assert dashes[:3] == dashes[3:] and len(set(dashes[:3])) == 3
    legend = ax.get_legend()
    assert [t.get_text() for t in legend.get_texts()] == ["random", "strategic", "seed 0", "seed 1", "seed 2"]
    assert all(t.get_fontsize() >= plotting.MIN_FONT for t in legend.get_texts())
    renderer = _draw(ax.figure)
    box = legend.get_window_extent(renderer)
    assert not _overlaps(box, ax.get_window_extent(renderer))  # outside the data, not over the curves
    assert ax.figure.bbox.contains(box.x0, box.y0) and ax.figure.bbox.contains(box.x1, box.y1)


def test_without_seeds_the_position_in_a_group_picks_the_line_style(make_layered, rng):
    dists, groups, _ = _degree_study(make_layered, rng)
    ax = plotting.plot_degree_distribution(dists, groups=groups, styles=["seed 0"] * 6)  # not telling them apart
    dashes = [line.get_linestyle() for line in ax.lines]
    assert dashes[:3] == dashes[3:] and len(set(dashes[:3])) == 3
    assert [t.get_text() for t in ax.get_legend().get_texts()][:2] == ["random", "strategic"]


def test_one_legend_above_all_the_panels(make_layered, rng):
    dists, groups, styles = _degree_study(make_layered, rng)
    axes = plotting.subplots(4, panel_size=(3.25, 2.9))
    for n, ax in enumerate(axes):
        plotting.plot_degree_distribution(dists, ax, groups=groups, styles=styles, legend="figure" if n == 0 else False)
    fig = axes[0].figure
    assert all(ax.get_legend() is None for ax in axes) and len(fig.legends) == 1
    renderer = _draw(fig)
    box = fig.legends[0].get_window_extent(renderer)
    for ax in axes:
        assert not _overlaps(box, ax.get_tightbbox(renderer))
    assert fig.bbox.contains(box.x0, box.y0) and fig.bbox.contains(box.x1, box.y1)


def test_training_curves_are_coloured_by_group(graphs):
    runs = [{"epochs": [{"epoch": e, "test_accuracy": 0.5 + 0.1 * e + 0.01 * k} for e in (1, 2)]} for k in range(4)]
    ax = plotting.plot_training_curves(runs, groups=["a", "a", "b", "b"], styles=["seed 0", "seed 1"] * 2)
    colours = [line.get_color() for line in ax.lines]
    assert colours[0] == colours[1] != colours[2] == colours[3]
    renderer = _draw(ax.figure)
    assert not _overlaps(ax.get_legend().get_window_extent(renderer), ax.get_window_extent(renderer))
    with pytest.raises(Exception, match="legend='left'"):
        plotting.plot_training_curves(runs, legend="left")


def _labelled_ticks(axis, renderer):
    """The tick labels an axis shows inside its view (what a reader can read off it)."""
    low, high = sorted(axis.get_view_interval())
    shown = []
    for tick in axis.get_major_ticks():
        if low <= tick.get_loc() <= high and tick.label1.get_visible() and tick.label1.get_text():
            shown.append(tick.label1.get_text())
    return shown


def test_log_axes_have_at_least_three_labelled_ticks(rng):
    """A CCDF from 1 down to 0.2 used to show the one tick 10^0."""
    G = nx.DiGraph([((0, i), (1, j)) for j in range(5) for i in range(j + 1)])  # in-degrees 1..5
    d = degree_distribution(G, direction="in", layer=1)
    assert d.ccdf.min() == pytest.approx(0.2)
    ax = plotting.plot_degree_distribution(d)
    renderer = _draw(ax.figure)
    shown = _labelled_ticks(ax.yaxis, renderer)
    assert len(shown) >= 3 and "1" in shown and "0.5" in shown and "0.2" in shown, shown

    wide = nx.DiGraph([((0, 0), (1, j)) for j in range(2000)] + [((0, 1), (1, 0))])  # 1 down to 1/2002
    ax = plotting.plot_degree_distribution(degree_distribution(wide, direction="out", layer=0))
    shown = _labelled_ticks(ax.yaxis, _draw(ax.figure))
    assert 3 <= len(shown) <= 6, shown  # over several decades: the powers of ten only


def test_common_subnetwork_axis_is_labelled_in_a_narrow_range(make_layered, rng):
    G = nx.DiGraph([((0, i), (1, j)) for i in range(7) for j in range(2)])
    H = G.copy()
    H.remove_edges_from(list(G.edges)[:2])
    curve = common_subnetwork_curve([G, H])
    assert curve.edges.tolist() == [14, 12]  # one decade does not hold a power of ten
    ax = plotting.plot_common_subnetwork(curve, labels=["x"])
    renderer = _draw(ax.figure)
    assert len(_labelled_ticks(ax.yaxis, renderer)) >= 3
    assert not _overlaps(ax.get_legend().get_window_extent(renderer), ax.get_window_extent(renderer))


@pytest.mark.parametrize(
    "name",
    [r"$\alpha$", r"$5 and $\undefined$", "caf\udce9", "x" * 500],
    ids=["mathtext", "dollars", "surrogate", "long"],
)
def test_any_name_is_drawn_as_plain_text(graphs, name):
    """Mathtext matplotlib cannot parse, or a lone surrogate, made savefig fail after all the work."""
    m = similarity_matrix(graphs, labels=[name, name + "1", name + "2"])
    figures = [plotting.plot_similarity_matrix(m)]
    dists = [degree_distribution(G, direction="in", layer=1) for G in graphs]
    figures.append(plotting.plot_degree_distribution(dists, labels=[name] * 3, groups=[name, name, "b"], title=name))
    figures.append(plotting.plot_driver_nodes([driver_nodes(G) for G in graphs], labels=[name] * 3))
    figures.append(plotting.plot_input_connectivity(np.eye(3), title=name))
    figures.append(plotting.plot_common_subnetwork(common_subnetwork_curve(graphs), labels=[name]))
    runs = [{"epochs": [{"epoch": 1, name: 0.5}, {"epoch": 2, name: 0.6}]}]
    figures.append(plotting.plot_training_curves(runs * 2, key=name, labels=[name, "b"]))
    assert figures[0].get_yticklabels()[0].get_text().count("…") == (len(name) > plotting.MAX_LABEL)
    for ax in figures:
        assert plotting.png_bytes(ax)[:4] == b"\x89PNG"
