import importlib.util
import json
import math

import networkx as nx
import numpy as np
import pytest

from analysis import compare_power_law, degree_distribution, input_connectivity, layer_summary
from netgraph.errors import GraphContractError, ParameterError


@pytest.fixture
def small():
    """inputs (0,0),(0,1),(0,2); hidden (1,0),(1,1); output (2,0). (0,2) and (1,1) isolated."""
    G = nx.DiGraph([((0, 0), (1, 0)), ((0, 1), (1, 0)), ((1, 0), (2, 0))])
    G.add_nodes_from([(0, 2), (1, 1)])
    return G


def test_known_degrees(small):
    d_in = degree_distribution(small, direction="in")
    assert dict(zip(d_in.nodes, d_in.degrees.tolist())) == {
        (0, 0): 0,
        (1, 0): 2,
        (0, 1): 0,
        (2, 0): 1,
        (0, 2): 0,
        (1, 1): 0,
    }
    assert d_in.histogram.tolist() == [4, 1, 1]
    assert d_in.ccdf.tolist() == pytest.approx([1.0, 2 / 6, 1 / 6])
    assert (d_in.mean, d_in.max, d_in.n_isolated) == (0.5, 2, 2)
    d_tot = degree_distribution(small, direction="total")
    assert d_tot.degrees.sum() == 2 * small.number_of_edges()
    assert d_tot.std == pytest.approx(np.std([1, 3, 1, 1, 0, 0]))


def test_layer_is_in_position_order(small):
    d = degree_distribution(small, direction="out", layer=0)
    assert d.nodes == ((0, 0), (0, 1), (0, 2)) and d.degrees.tolist() == [1, 1, 0]
    assert d.layer == 0 and d.n_isolated == 1


def test_self_loop_counts_both_ways():
    d = degree_distribution(nx.DiGraph([(0, 0)]), direction="total")
    assert d.degrees.tolist() == [2] and d.n_isolated == 0


def test_empty_graph():
    d = degree_distribution(nx.DiGraph())
    assert d.degrees.size == 0 and math.isnan(d.mean) and d.max == 0


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        ({"direction": "both"}, ParameterError, "direction='both' is not valid"),
        ({"layer": 3}, ParameterError, r"layer=3, expected None or an int in \[0, 2\]"),
        ({"layer": True}, ParameterError, "layer=True"),
    ],
)
def test_bad_arguments(small, kwargs, error, message):
    with pytest.raises(error, match=message):
        degree_distribution(small, **kwargs)


def test_layer_needs_a_layered_graph():
    with pytest.raises(GraphContractError, match="not a layered graph"):
        degree_distribution(nx.DiGraph([("a", "b")]), layer=0)


def test_layer_summary_known(small):
    s = layer_summary(small)
    assert s.layer_sizes == (3, 2, 1)
    assert s.connections == (2, 1) and s.density == (2 / 6, 1 / 2)
    assert s.total_connections == 3 and s.total_density == pytest.approx(3 / 8)
    assert s.in_mean[1:] == (1.0, 1.0) and math.isnan(s.in_mean[0])
    assert s.out_max == (1, 1, 0) and math.isnan(s.out_mean[2])
    assert s.n_isolated == (1, 1, 0)
    out = json.loads(json.dumps(s.to_dict()))
    assert out["in_mean"][0] is None and out["connections"] == [2, 1]


def test_layer_summary_matches_random_masks(make_layered, rng):
    G = make_layered([20, 15, 5], 0.3, rng)
    s = layer_summary(G)
    for l in range(2):
        assert s.connections[l] == sum(1 for u, _ in G.edges if u[0] == l)


def test_input_connectivity(small):
    assert input_connectivity(small, shape=(3, 1)).tolist() == [[1], [1], [0]]
    assert input_connectivity(small).tolist() == [[1, 1, 0]]  # 3 is not a square


def test_input_connectivity_square(make_layered, rng):
    G = make_layered([16, 4], 0.5, rng)
    img = input_connectivity(G)
    assert img.shape == (4, 4)
    assert img.ravel().tolist() == [G.out_degree((0, i)) for i in range(16)]


@pytest.mark.parametrize("shape, message", [((2, 2), "holds 4 values, expected 3"), ("ab", "tuple of ints")])
def test_input_connectivity_bad_shape(small, shape, message):
    with pytest.raises(ParameterError, match=message):
        input_connectivity(small, shape=shape)


def test_to_dict_is_json(small):
    out = json.loads(json.dumps(degree_distribution(small, layer=1).to_dict()))
    assert out["nodes"] == [[1, 0], [1, 1]] and out["degrees"] == [2, 0]
    assert out["provenance"]["parameters"] == {"direction": "in", "layer": 1}


def test_power_law_is_optional(make_layered, rng):
    d = degree_distribution(make_layered([30, 30], 0.3, rng), direction="total")
    result = compare_power_law(d)
    if importlib.util.find_spec("powerlaw") is None:
        assert result is None
    else:
        assert result["preferred"] in ("power_law", "lognormal", "undecided")
        assert result["skipped"] is None and math.isfinite(result["alpha"])
    with pytest.raises(ParameterError, match="expected a DegreeDistribution"):
        compare_power_law([1, 2, 3])


_FIT_KEYS = ("alpha", "xmin", "loglikelihood_ratio", "p_value", "preferred")


def _assert_skipped(result, reason):
    assert result["skipped"] == reason
    assert all(result[k] is None for k in _FIT_KEYS)
    assert json.loads(json.dumps(result)) == result


@pytest.mark.parametrize("sizes", [[8, 16, 16, 4], [64, 256, 256, 10]])
def test_power_law_skips_dense_layered_graphs(make_layered, rng, sizes):
    """Every edge present: 3 distinct total degrees, and powerlaw's xmin search leaves nothing to fit."""
    pytest.importorskip("powerlaw")
    d = degree_distribution(make_layered(sizes, 1.0, rng), direction="total")
    assert np.unique(d.degrees).size == 3
    _assert_skipped(compare_power_law(d), "powerlaw's xmin search left no degrees to fit")


def _ring(n):
    """A directed cycle: every node has total degree 2."""
    return nx.DiGraph([(i, (i + 1) % n) for i in range(n)])


def _complete_block(a, b):
    """Every edge from a inputs to b outputs: total degrees b (inputs) and a (outputs)."""
    return nx.DiGraph([((0, i), (1, j)) for i in range(a) for j in range(b)])


def _star(n):
    """One hub with n leaves: degrees n and 1."""
    return nx.DiGraph([("hub", i) for i in range(n)])


@pytest.mark.parametrize(
    "G, kwargs, reason",
    [
        (_ring(12), {}, "all positive degrees are equal"),
        (_ring(6), {}, "fewer than 10 nodes have a positive degree"),
        (nx.DiGraph([(0, 1), (2, 3)]), {}, "fewer than 10 nodes have a positive degree"),
        (_complete_block(4, 8), {}, "fewer than 3 distinct positive degrees"),
        (_star(20), {"xmin": 2}, "fewer than 2 distinct degrees are >= xmin"),
    ],
)
def test_power_law_skips_degenerate_distributions(G, kwargs, reason):
    """Checked before powerlaw is imported: the same answer with or without it."""
    _assert_skipped(compare_power_law(degree_distribution(G, direction="total"), **kwargs), reason)


def test_power_law_reports_any_failure_inside_powerlaw(make_layered, rng, monkeypatch):
    powerlaw = pytest.importorskip("powerlaw")
    d = degree_distribution(make_layered([30, 30], 0.3, rng), direction="total")

    def boom(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(powerlaw, "Fit", boom)
    _assert_skipped(compare_power_law(d), "powerlaw failed (RuntimeError: boom)")


def test_power_law_rejects_a_fit_that_is_not_finite(make_layered, rng, monkeypatch):
    powerlaw = pytest.importorskip("powerlaw")
    d = degree_distribution(make_layered([30, 30], 0.3, rng), direction="total")

    class NanFit:
        def __init__(self, data, **kwargs):
            self.power_law = type("PL", (), {"alpha": math.nan, "xmin": 1.0})()

        def distribution_compare(self, *args, **kwargs):
            return math.nan, math.nan

    monkeypatch.setattr(powerlaw, "Fit", NanFit)
    _assert_skipped(compare_power_law(d), "powerlaw returned no finite fit")


@pytest.mark.parametrize("xmin", [0, -1, 1.5, True, "2"])
def test_power_law_bad_xmin(small, xmin):
    with pytest.raises(ParameterError, match=r"^xmin=.*, must be an int >= 1$"):
        compare_power_law(degree_distribution(small), xmin=xmin)
