import json

import networkx as nx
import numpy as np
import pytest

from analysis import driver_nodes, width_bound
from netgraph.errors import ParameterError


def _hk_matching_size(G):
    """Reference: networkx Hopcroft-Karp on the out-copy / in-copy bipartite graph."""
    B = nx.Graph()
    top = [("out", u) for u in G]
    B.add_nodes_from(top)
    B.add_nodes_from(("in", v) for v in G)
    B.add_edges_from((("out", u), ("in", v)) for u, v in G.edges)
    return len(nx.bipartite.hopcroft_karp_matching(B, top_nodes=top)) // 2


def _check_valid(G, d):
    sources = [u for u, _ in d.matching]
    targets = [v for _, v in d.matching]
    assert all(G.has_edge(u, v) for u, v in d.matching)
    assert len(set(sources)) == len(sources) and len(set(targets)) == len(targets)
    unmatched = [n for n in G if n not in set(targets)]
    assert list(d.nodes) == (unmatched or [next(iter(G))])


@pytest.mark.parametrize("n", [1, 2, 5, 30])
def test_directed_path_needs_one_driver(n):
    G = nx.path_graph(n, create_using=nx.DiGraph)
    d = driver_nodes(G)
    assert (d.count, d.nodes, d.fraction) == (1, (0,), 1 / n)


@pytest.mark.parametrize("k", [1, 2, 7])
def test_out_star_with_k_leaves_needs_k(k):
    G = nx.DiGraph((0, leaf) for leaf in range(1, k + 1))
    d = driver_nodes(G)
    assert d.count == k and d.matching_size == 1
    assert 0 in d.nodes  # the hub has no incoming edge


@pytest.mark.parametrize("n", [1, 3, 10])
def test_directed_cycle_needs_one(n):
    G = nx.cycle_graph(n, create_using=nx.DiGraph) if n > 1 else nx.DiGraph([(0, 0)])
    d = driver_nodes(G)
    assert d.count == 1 and d.matching_size == n and len(d.nodes) == 1


def test_empty_and_isolated():
    d = driver_nodes(nx.DiGraph())
    assert (d.count, d.fraction, d.nodes, d.matching) == (0, 0.0, (), ())
    G = nx.DiGraph()
    G.add_nodes_from(range(4))
    assert driver_nodes(G).count == 4
    G.add_edge(0, 1)
    assert set(driver_nodes(G).nodes) == {0, 2, 3}


@pytest.mark.parametrize(
    "sizes, drivers, bound",
    [([3, 5, 2], (3, 2, 0), (3, 2, 0)), ([5, 3], (5, 0), (5, 0)), ([2, 2, 2, 1], (2, 0, 0, 0), (2, 0, 0, 0))],
)
def test_complete_bipartite_layers_sit_on_the_bound(sizes, drivers, bound):
    G = nx.DiGraph()
    for l, n in enumerate(sizes):
        G.add_nodes_from((l, i) for i in range(n))
    for l in range(len(sizes) - 1):
        G.add_edges_from(((l, i), (l + 1, j)) for i in range(sizes[l]) for j in range(sizes[l + 1]))
    d = driver_nodes(G)
    assert d.layer_drivers == drivers and d.layer_bound == bound
    assert d.count == sum(drivers) == d.bound and d.shortfall == 0
    assert d.layer_shortfall == (0,) * len(sizes)


def test_shortfall_counts_units_the_matching_misses():
    # 2 inputs, 2 hidden: only (0,0)->(1,0); hidden unit (1,1) receives nothing
    G = nx.DiGraph([((0, 0), (1, 0))])
    G.add_nodes_from([(0, 1), (1, 1)])
    d = driver_nodes(G)
    assert d.count == 3 and d.bound == 2 and d.layer_shortfall == (0, 1)
    assert set(d.nodes) == {(0, 0), (0, 1), (1, 1)}


def _random_digraphs():
    rng = np.random.default_rng(2024)
    cases = []
    for n in (1, 2, 3, 8, 25, 60):
        for p in (0.0, 0.02, 0.08, 0.3, 0.9):
            G = nx.gnp_random_graph(n, p, seed=int(rng.integers(1 << 30)), directed=True)
            if rng.random() < 0.5:  # self-loops
                G.add_edges_from((v, v) for v in rng.choice(n, size=max(1, n // 4), replace=False).tolist())
            if rng.random() < 0.5:  # isolated nodes
                G.add_nodes_from(range(n, n + 3))
            cases.append(G)
    for n in (10, 40):  # scale-free-ish, many hubs and leaves
        cases.append(nx.DiGraph(nx.scale_free_graph(n, seed=int(rng.integers(1 << 30)))))
    for seed in range(4):  # string labels, shuffled insertion order
        G = nx.gnp_random_graph(20, 0.1, seed=seed, directed=True)
        order = rng.permutation(20).tolist()
        H = nx.DiGraph()
        H.add_nodes_from(f"v{i}" for i in order)
        H.add_edges_from((f"v{u}", f"v{v}") for u, v in G.edges)
        cases.append(H)
    return cases


@pytest.mark.parametrize("G", _random_digraphs())
def test_agrees_with_networkx_hopcroft_karp(G):
    d = driver_nodes(G)
    m = _hk_matching_size(G)
    assert d.matching_size == m
    assert d.count == max(G.number_of_nodes() - m, 1)
    _check_valid(G, d)


@pytest.mark.parametrize("sizes, density", [([6, 9, 4, 3], 0.4), ([10, 10, 10], 0.05), ([5, 2, 8], 0.7)])
def test_layered_random_graphs(make_layered, rng, sizes, density):
    G = make_layered(sizes, density, rng)
    d = driver_nodes(G)
    assert d.matching_size == _hk_matching_size(G)
    assert d.layer_bound == width_bound(sizes)
    assert sum(d.layer_drivers) == d.count and all(s >= 0 for s in d.layer_shortfall)
    assert d.layer_drivers[0] == sizes[0]


def test_to_dict_is_json():
    d = driver_nodes(nx.DiGraph([((0, 0), (1, 0)), ((0, 0), (1, 1))]))
    out = json.loads(json.dumps(d.to_dict()))
    assert out["count"] == 2 and out["bound"] == 2 and out["shortfall"] == 0
    assert out["nodes"] == [[0, 0], [1, 1]] and out["matching"] == [[[0, 0], [1, 0]]]
    assert out["provenance"]["function"] == "analysis.driver_nodes"
    assert "nodes" not in d.to_dict(nodes=False)


@pytest.mark.parametrize(
    "sizes, message", [([3], "at least two layers"), ([3, 0], "positive int"), ("ab", "positive int")]
)
def test_width_bound_bad_input(sizes, message):
    with pytest.raises(ParameterError, match=message):
        width_bound(sizes)


def test_not_a_digraph():
    with pytest.raises(ParameterError, match="undirected"):
        driver_nodes(nx.path_graph(3))
