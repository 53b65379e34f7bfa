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
