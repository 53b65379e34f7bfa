import networkx as nx
import numpy as np
import pytest

from analysis._structure import structure
from netgraph.errors import GraphContractError, ParameterError


def test_csr_holds_exactly_the_edges(rng):
    G = nx.gnp_random_graph(40, 0.1, seed=1, directed=True)
    G.add_edge(3, 3)
    s = structure(G)
    got = {(s.nodes[r], s.nodes[c]) for r, c in zip(s.sources.tolist(), s.indices.tolist())}
    assert got == set(G.edges)
    assert s.n_nodes == 40 and s.n_edges == G.number_of_edges()
    assert s.in_degree.tolist() == [G.in_degree(n) for n in s.nodes]
    assert s.csr().sum() == G.number_of_edges()


def test_cached_until_a_structural_edit():
    G = nx.DiGraph([((0, 0), (1, 0))])
    s = structure(G)
    assert structure(G) is s
    G[(0, 0)][(1, 0)]["weight"] = 5.0  # attribute edits keep the structural view
    assert structure(G) is s
    G.add_edge((0, 1), (1, 0))
    s2 = structure(G)
    assert s2 is not s and s2.n_edges == 2
    G.remove_node((0, 1))
    assert structure(G).n_edges == 1


def test_views_are_not_cached():
    G = nx.DiGraph([(0, 1), (1, 2)])
    H = G.subgraph([0, 1, 2])
    assert structure(H).n_edges == 2
    G.remove_edge(0, 1)  # changes the view without clearing its cache
    assert structure(H).n_edges == 1


def test_layered_from_attributes_and_index_order():
    G = nx.DiGraph()
    G.add_node("b", layer=0, index=1)
    G.add_node("a", layer=0, index=0)
    G.add_node("z", layer=1, index=0)
    G.add_edges_from([("b", "z")])
    lay = structure(G).layered
    assert lay.sizes == (2, 1)
    assert lay.nodes == (("a", "b"), ("z",))
    assert structure(G).block_mask(0).tolist() == [[False], [True]]


@pytest.mark.parametrize(
    "edges",
    [
        [((0, 0), (2, 0))],  # skips a layer
        [((1, 0), (0, 0))],  # goes backwards
        [("x", "y")],  # no layers at all
    ],
)
def test_not_layered(edges):
    G = nx.DiGraph(edges)
    G.add_node((1, 5))
    s = structure(G)
    assert s.layered is None
    with pytest.raises(GraphContractError, match="not a layered graph"):
        s.require_layered()


def test_undirected_is_refused():
    with pytest.raises(ParameterError, match="undirected Graph"):
        structure(nx.Graph())
    with pytest.raises(ParameterError, match="expected a networkx.DiGraph"):
        structure([(0, 1)])


def test_layer_keys_decode_to_block_positions(make_layered, rng):
    G = make_layered([3, 4, 2], 0.5, rng)
    s = structure(G)
    for l in range(2):
        i, j = s.block(l)
        assert {((l, a), (l + 1, b)) for a, b in zip(i.tolist(), j.tolist())} == {
            (u, v) for u, v in G.edges if u[0] == l
        }
    assert np.all(np.diff(s.layer_keys) > 0)


def test_equal_but_distinct_node_objects():
    # targets that are equal to, but not the same object as, the node keys take the dict path
    G = nx.DiGraph()
    G.add_nodes_from([(0, 0), (1, 0)])
    G.add_edge(tuple([0, 0]), tuple([1, 0]))
    s = structure(G)
    assert s.indices.tolist() == [1] and s.layered.sizes == (1, 1)


def _arrays(s):
    return s.nodes, s.indptr.tolist(), s.indices.tolist(), s.layered.sizes


def _net_2_3_1():
    """A 2-3-1 network with 5 connections: 0->0, 0->2, 1->1 into layer 1; units 0 and 2 of layer 1 -> the output."""
    import scipy.sparse as sp

    from netgraph.network import Checkpoint

    W0 = sp.csr_array((np.array([1.0, 2.0, 3.0], np.float32), [0, 1, 0], [0, 1, 2, 3]), shape=(3, 2))
    W1 = sp.csr_array((np.array([4.0, 5.0], np.float32), [0, 2], [0, 2]), shape=(1, 3))
    return Checkpoint((2, 3, 1), blocks=(W0, W1), biases=(np.zeros(3, np.float32), np.zeros(1, np.float32)))


def test_a_graph_from_to_graph_carries_its_arrays():
    from netgraph import to_graph
    from netgraph.network import ADJACENCY_KEY

    G = to_graph(_net_2_3_1())
    assert ADJACENCY_KEY in G.__networkx_cache__
    s = structure(G)
    # nodes (0,0) (0,1) | (1,0) (1,1) (1,2) | (2,0): ids 0..5
    assert s.indptr.tolist() == [0, 2, 3, 4, 4, 5, 5]
    assert s.indices.tolist() == [2, 4, 3, 5, 5]
    assert s.nodes[0] is next(iter(G))  # the graph's own node objects
    G.__networkx_cache__.clear()  # the same structure from the graph's dicts
    assert _arrays(structure(G)) == _arrays(s)


def test_a_structural_edit_drops_the_arrays():
    from netgraph import to_graph
    from netgraph.network import ADJACENCY_KEY

    G = to_graph(_net_2_3_1())
    G.remove_edge((0, 0), (1, 2))
    assert ADJACENCY_KEY not in G.__networkx_cache__
    s = structure(G)
    assert s.n_edges == 4 and s.indptr.tolist() == [0, 1, 2, 3, 3, 4, 4] and s.indices.tolist() == [2, 3, 5, 5]


def test_arrays_that_do_not_fit_the_graph_are_not_used():
    from netgraph.network import ADJACENCY_KEY

    G = nx.DiGraph([((0, 0), (1, 0))])
    G.__networkx_cache__[ADJACENCY_KEY] = ((2, 1), np.array([0, 1, 1, 1]), np.array([2]))  # 3 nodes, not 2
    s = structure(G)
    assert s.indices.tolist() == [1] and s.layered.sizes == (1, 1)
