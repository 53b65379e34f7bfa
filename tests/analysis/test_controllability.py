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


# --------------------------------------------------------------------------- channel-level graphs (DAGs with skips)


def _channel_graph(spaces, layers, edges):
    """A channel-level graph by hand: ``spaces`` as (units, kind), ``layers`` as (input spaces, output space)."""
    G = nx.DiGraph(
        contract="netgraph-channels-1",
        spaces=[{"units": n, "kind": kind, "module": f"s{m}"} for m, (n, kind) in enumerate(spaces)],
        layers=[
            {"module": f"l{k}", "inputs": [[s, i] for s in ins for i in range(spaces[s][0])], "output": out}
            for k, (ins, out) in enumerate(layers)
        ],
    )
    for m, (n, kind) in enumerate(spaces):
        G.add_nodes_from(((m, i), {"layer": m, "index": i, "kind": kind}) for i in range(n))
    G.add_edges_from(edges)
    return G


def _check_space_bound(G, d):
    """The matching is maximum, the drivers add up by space and each space has at least its bound."""
    m = _hk_matching_size(G)
    assert d.matching_size == m and d.count == max(G.number_of_nodes() - m, 1)
    _check_valid(G, d)
    assert sum(d.layer_drivers) == d.count and d.bound <= d.count
    assert all(x >= b for x, b in zip(d.layer_drivers, d.layer_bound))
    assert d.layer_shortfall == tuple(x - b for x, b in zip(d.layer_drivers, d.layer_bound))
    assert d.layer_sizes == tuple(s["units"] for s in G.graph["spaces"])


def test_a_residual_block_as_a_channel_graph_by_hand():
    # input 2 -> conv1 2 (space 1) -> conv2 2 (space 2); space 3 = conv2 + input
    G = _channel_graph(
        [(2, "input"), (2, "conv"), (2, "conv"), (2, "add")],
        [([0], 1), ([1], 2)],
        [((0, 0), (1, 0)), ((0, 0), (1, 1))]  # pruned: input channel 1 feeds no conv1 channel
        + [((1, 0), (2, 0)), ((1, 1), (2, 1))]
        + [((s, j), (3, j)) for s in (2, 0) for j in range(2)],
    )
    d = driver_nodes(G)
    # conv1's two in-copies have one out-copy, (0, 0), to match from: 1 matched; conv2 2, the add 2:
    # |M| = 5 of 8 nodes, and every space sits at its maximum, so the drivers per space are unique
    assert (d.count, d.matching_size) == (3, 5) and _hk_matching_size(G) == 5
    assert d.layer_drivers == (2, 1, 0, 0)
    # S = 0 (input); conv1's wiring reads both input channels: S = 2; conv2 S = 2; the add S = 2 + 2
    assert d.layer_bound == (2, 0, 0, 0) and d.bound == 2
    assert d.layer_shortfall == (0, 1, 0, 0) and d.shortfall == 1
    _check_space_bound(G, d)
    out = json.loads(json.dumps(d.to_dict()))
    assert out["layer_bound"] == [2, 0, 0, 0] and out["layer_drivers"] == [2, 1, 0, 0] and out["shortfall"] == 1
    assert out["matching"][0][0] in ([0, 0], [0, 1], [1, 0], [1, 1], [2, 0], [2, 1])


def test_a_source_shared_by_two_spaces_makes_the_space_bound_loose():
    # one input channel read by a conv to 2 (space 1) and a shortcut conv to 2 (space 2); their sum (space 3)
    G = _channel_graph(
        [(1, "input"), (2, "conv"), (2, "conv"), (2, "add")],
        [([0], 1), ([0], 2)],
        [((0, 0), (s, j)) for s in (1, 2) for j in range(2)] + [((s, j), (3, j)) for s in (1, 2) for j in range(2)],
    )
    d = driver_nodes(G)
    assert d.layer_bound == (1, 1, 1, 0)  # per space: 2 in-copies, 1 source
    # but (0, 0)'s out-copy matches one of the 4 in-copies of spaces 1 and 2: 3 of them are drivers
    assert d.count == 4 and d.bound == 3 and d.shortfall == 1
    assert d.layer_drivers[0] == 1 and d.layer_drivers[1] + d.layer_drivers[2] == 3 and d.layer_drivers[3] == 0
    _check_space_bound(G, d)


@pytest.mark.parametrize("sizes, density", [([3, 5, 2, 4], 0.5), ([6, 2, 7], 0.3), ([4, 4], 1.0), ([2, 9, 1], 0.0)])
def test_a_chain_as_a_channel_graph_has_the_width_bound(make_layered, rng, sizes, density):
    G = make_layered(sizes, density, rng, weights=False)
    layered = driver_nodes(G)
    G.graph.update(
        contract="netgraph-channels-1",
        spaces=[{"units": n, "kind": "linear" if m else "input", "module": ""} for m, n in enumerate(sizes)],
        layers=[{"inputs": [[m, i] for i in range(n)], "output": m + 1} for m, n in enumerate(sizes[:-1])],
    )
    d = driver_nodes(G)
    assert d.layer_bound == width_bound(sizes) == layered.layer_bound  # with or without edges (density 0)
    assert (d.count, d.layer_drivers, d.layer_shortfall) == (
        layered.count,
        layered.layer_drivers,
        layered.layer_shortfall,
    )
    _check_space_bound(G, d)


def test_a_flatten_reads_each_channel_once():
    # conv 3 -> conv 4 (space 1) -> flatten of 4 channels x 4 features -> Linear to 6 (space 2)
    G = _channel_graph([(3, "input"), (4, "conv"), (6, "linear")], [([0], 1)], [])
    G.graph["layers"].append({"module": "fc", "inputs": [[1, c] for c in range(4) for _ in range(4)], "output": 2})
    G.add_edges_from(((0, i), (1, j)) for i in range(3) for j in range(4))
    G.add_edges_from(((1, c), (2, j)) for c in range(4) for j in range(6))
    d = driver_nodes(G)
    assert d.layer_bound == width_bound([3, 4, 6]) == (3, 1, 2)  # 16 inputs of fc, 4 distinct sources
    assert d.layer_drivers == (3, 1, 2)
    _check_space_bound(G, d)


def test_an_input_space_of_a_block_view_is_all_drivers():
    # two blocks of a block view, (input 2 -> 3) and (input 4 -> 1): nothing enters space 2
    G = _channel_graph(
        [(2, "input"), (3, "linear"), (4, "input"), (1, "linear")],
        [([0], 1), ([2], 3)],
        [((0, i), (1, j)) for i in range(2) for j in range(3)] + [((2, i), (3, 0)) for i in range(4)],
    )
    d = driver_nodes(G)
    assert d.layer_bound == (2, 1, 4, 0) and d.layer_drivers == (2, 1, 4, 0) and d.count == 7
    assert width_bound([2, 3, 4, 1]) == (2, 1, 1, 0)  # the layered bound would not see that space 2 is fed by nothing
    _check_space_bound(G, d)


def test_an_edge_outside_the_traced_wiring_still_counts_as_a_source():
    # input 1 -> conv 1 (space 1) -> conv 3 (space 2), and an edit adds (0, 0) -> (2, 0)
    G = _channel_graph([(1, "input"), (1, "conv"), (3, "conv")], [([0], 1), ([1], 2)], [((0, 0), (1, 0))])
    G.add_edges_from(((1, 0), (2, j)) for j in range(3))
    assert driver_nodes(G).layer_bound == (1, 0, 2) and driver_nodes(G).count == 3
    G.add_edge((0, 0), (2, 0))
    d = driver_nodes(G)
    assert d.layer_bound == (1, 0, 1)  # space 2 can now be fed by (1, 0) and (0, 0)
    assert d.count == 3  # (0, 0) matches into space 1 or space 2, not both
    _check_space_bound(G, d)


def _random_channel_graphs():
    rng = np.random.default_rng(19)
    cases = []
    for _ in range(40):
        spaces, layers, edges = [(int(rng.integers(1, 6)), "input")], [], []
        for m in range(1, int(rng.integers(2, 8))):
            same = [s for s in range(m) if spaces[s][0] == spaces[-1][0]]
            if m > 1 and len(same) >= 2 and rng.random() < 0.3:  # a residual add of two earlier spaces
                a, b = rng.choice(same, size=2, replace=False).tolist()
                spaces.append((spaces[a][0], "add"))
                edges += [((s, j), (m, j)) for s in (a, b) for j in range(spaces[a][0])]
                continue
            ins = sorted(set(rng.choice(m, size=int(rng.integers(1, min(m, 2) + 1)), replace=False).tolist()))
            spaces.append((int(rng.integers(1, 6)), "conv"))
            layers.append((ins, m))
            p = rng.choice([0.0, 0.2, 0.6, 1.0])
            edges += [
                ((s, i), (m, j))
                for s in ins
                for i in range(spaces[s][0])
                for j in range(spaces[m][0])
                if rng.random() < p
            ]
        cases.append(_channel_graph(spaces, layers, edges))
    return cases


@pytest.mark.parametrize("G", _random_channel_graphs())
def test_random_channel_graphs_sit_on_or_above_the_space_bound(G):
    _check_space_bound(G, driver_nodes(G))


def test_a_channel_graph_that_breaks_its_contract():
    from netgraph.errors import GraphContractError

    def graph():
        return _channel_graph([(2, "input"), (1, "conv")], [([0], 1)], [((0, 0), (1, 0))])

    G = graph()
    G.add_node("x")
    with pytest.raises(GraphContractError, match=r"node 'x' of the channel-level graph G is not \(space, index\)"):
        driver_nodes(G)
    G = graph()
    G.remove_node((0, 1))
    with pytest.raises(
        GraphContractError, match=r"space 0 of the channel-level graph G has 2 units but no node \(0, 1\)"
    ):
        driver_nodes(G)
    G = graph()
    G.graph["layers"][0]["output"] = 5
    with pytest.raises(GraphContractError, match="writes no space of it"):
        driver_nodes(G)
    G = graph()
    G.graph["layers"][0]["inputs"].append([0, 7])
    with pytest.raises(GraphContractError, match=r"weight layer 'l0' of the channel-level graph G reads \[0, 7\]"):
        driver_nodes(G)
    G = graph()
    G.graph["spaces"][1]["units"] = "one"
    with pytest.raises(GraphContractError, match="space 1 of the channel-level graph G has no int 'units'"):
        driver_nodes(G)
    G = graph()
    G.graph["contract"] = "something else"  # not a channel graph: read as any graph, layered here
    assert driver_nodes(G).layer_bound == (2, 0)  # so the width bound
