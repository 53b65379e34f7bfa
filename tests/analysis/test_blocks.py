"""Block-by-block comparison of channel-level graphs (analysis.blocks): hand-worked answers, torch-free."""

import networkx as nx
import numpy as np
import pytest

from analysis import block_jaccard, block_nnstd, driver_nodes
from netgraph import ArchitectureMismatchError, ParameterError
from netgraph.channel_network import CONTRACT, ChannelBlock, ChannelNetwork


def _layer(module, shape, inputs, output, groups=1, kind="Linear"):
    return {"module": module, "weight": f"{module}.weight", "type": kind, "weight_shape": list(shape),
            "groups": groups, "inputs": [list(v) for v in inputs], "output": output}  # fmt: skip


def _graph(edges, sizes, layers, masks=None, view=None):
    """A channel-level DiGraph as netgraph.channels writes it."""
    G = nx.DiGraph(contract=CONTRACT)
    if view:
        G.graph["view"] = view
    G.graph["spaces"] = [
        {"units": n, "kind": "input" if l == 0 else "linear", "module": ""} for l, n in enumerate(sizes)
    ]
    G.graph["layers"] = layers
    if masks is not None:
        G.graph["element_masks"] = [np.asarray(m, dtype=bool) for m in masks]
    G.add_nodes_from((l, i) for l, n in enumerate(sizes) for i in range(n))
    G.add_edges_from(edges, kind="linear", weight=1.0, nnz=1)
    return G


def _as_network(G):
    """The same graph as a ChannelNetwork (arrays), written from its edges."""
    spaces = G.graph["spaces"]
    offsets = np.cumsum([0] + [s["units"] for s in spaces])
    blocks = []
    for layer in G.graph["layers"]:
        distinct = list(dict.fromkeys(tuple(v) for v in layer["inputs"]))
        col = {v: k for k, v in enumerate(distinct)}
        pairs = sorted((v[1], col[u]) for u, v in G.edges if v[0] == layer["output"] and u in col)
        rows, cols = (np.array([p[k] for p in pairs], dtype=np.int64) for k in (0, 1))
        blocks.append(
            ChannelBlock([offsets[s] + i for s, i in distinct], rows, cols, np.ones(len(pairs)), np.ones(len(pairs)))
        )
    return ChannelNetwork(
        spaces=spaces, layers=G.graph["layers"], blocks=blocks, element_masks=G.graph.get("element_masks"),
        view=G.graph.get("view"),
    )  # fmt: skip


IN2 = [(0, 0), (0, 1)]
HIDDEN2 = [(1, 0), (1, 1)]
CHAIN = [_layer("fc1", (2, 2), IN2, 1), _layer("fc2", (1, 2), HIDDEN2, 2)]
# G2 is G1 with its two hidden channels swapped: nothing in common raw, the same network aligned
G1 = _graph([((0, 0), (1, 0)), ((0, 1), (1, 1)), ((1, 0), (2, 0))], (2, 2, 1), CHAIN)
G2 = _graph([((0, 1), (1, 0)), ((0, 0), (1, 1)), ((1, 1), (2, 0))], (2, 2, 1), CHAIN)


@pytest.mark.parametrize("convert", [lambda G: G, _as_network], ids=["digraph", "arrays"])
def test_a_swap_of_hidden_channels_is_undone_by_the_alignment(convert):
    a, b = convert(G1), convert(G2)
    raw = block_jaccard(a, b)
    assert raw.values.tolist() == [0.0, 0.0] and raw.value == 0.0
    aligned = block_jaccard(a, b, aligned=True, rng=0)
    assert aligned.values.tolist() == [1.0, 1.0] and aligned.value == 1.0
    assert [p.tolist() for p in aligned.permutations] == [[1, 0], [0]]  # fc2's output is the network's: kept
    d = block_nnstd(a, b, rng=0)
    assert d.values.tolist() == [0.0, 0.0] and d.value == 0.0
    assert [p.tolist() for p in d.permutations] == [[1, 0], [0]]


def test_an_output_nothing_reads_keeps_its_order_but_a_block_view_matches_every_block():
    layers = [_layer("q.weight", (2, 2), IN2, 1)]
    a = _graph([((0, 0), (1, 0))], (2, 2), layers)
    b = _graph([((0, 0), (1, 1))], (2, 2), layers)
    assert block_jaccard(a, b, aligned=True, rng=0).value == 0.0  # the network's output: not relabelled
    a.graph["view"] = b.graph["view"] = "blocks"
    assert block_jaccard(a, b, aligned=True, rng=0).value == 1.0


def test_kernel_elements_by_hand():
    """Weight (2, 1, 1, 2): masks {(0,0,0,0), (0,0,0,1)} and {(0,0,0,0)}: J = 1/2, chance (2*1/4) / (2+1-1/2) = 0.2."""
    layers = [_layer("conv", (2, 1, 1, 2), [(0, 0)], 1, kind="Conv2d")]
    edges = [((0, 0), (1, 0))]
    a = _graph(edges, (1, 2), layers, masks=[[[[[1, 1]]], [[[0, 0]]]]])
    b = _graph(edges, (1, 2), layers, masks=[[[[[1, 0]]], [[[0, 0]]]]])
    for x, y in ((a, b), (_as_network(a), _as_network(b))):
        j = block_jaccard(x, y, level="kernel")
        assert (j.level, j.values.tolist(), j.chance.tolist()) == ("kernel", [0.5], [pytest.approx(0.2)])
        assert (j.intersection.tolist(), j.union.tolist(), j.possible.tolist()) == ([1], [2], [4])
    assert block_jaccard(a, b).value == 1.0  # one channel connection each: the same


def test_chance_counts_only_the_connections_within_a_group():
    """Depthwise 2 -> 2 (groups=2): 2 possible connections, both present: every random block is the same."""
    layers = [_layer("dw", (2, 1, 3, 3), IN2, 1, groups=2, kind="Conv2d")]
    G = _graph([((0, 0), (1, 0)), ((0, 1), (1, 1))], (2, 2), layers)
    raw = block_jaccard(G, G)
    assert (raw.possible.tolist(), raw.chance.tolist()) == ([2], [1.0])
    aligned = block_jaccard(G, G, aligned=True, n_random=3, rng=1)
    assert aligned.chance.tolist() == [1.0] and aligned.chance_overall == 1.0


def test_the_aligned_chance_follows_the_rng():
    layers = [
        _layer("fc1", (6, 6), [(0, i) for i in range(6)], 1),
        _layer("fc2", (1, 6), [(1, i) for i in range(6)], 2),
    ]
    edges = [((0, i), (1, (i * 5) % 6)) for i in range(6)] + [((0, i), (1, (i + 1) % 6)) for i in range(3)]
    G = _graph(edges + [((1, 0), (2, 0))], (6, 6, 1), layers)
    a = block_jaccard(G, G, aligned=True, n_random=4, rng=7)
    b = block_jaccard(G, G, aligned=True, n_random=4, rng=7)
    assert a.chance.tolist() == b.chance.tolist() and 0.0 < a.chance[0] < 1.0
    assert a.values.tolist() == [1.0, 1.0]  # a graph aligned with itself


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: block_jaccard(G1, G2, level="element"), ParameterError, "level='element'"),
        (lambda: block_jaccard(G1, G2, level="kernel", aligned=True), ParameterError, "aligned=True, must be False"),
        (lambda: block_jaccard(G1, G2, level="kernel"), ParameterError, "G1 has no element masks"),
        (lambda: block_jaccard(G1, G2, aligned=True, n_random=0), ParameterError, "n_random"),
        (lambda: block_nnstd(G1, nx.DiGraph()), ParameterError, "G2 is not a channel-level graph"),
        (lambda: block_nnstd(G1, _graph([], (2, 1), [_layer("fc1", (1, 2), IN2, 1)])), ArchitectureMismatchError,
         "G1 has 2 weight layers, G2 1"),
    ],
)  # fmt: skip
def test_bad_input_is_refused(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_the_arrays_give_the_graph_and_its_driver_nodes():
    net = _as_network(G1)
    G = net.to_networkx()
    assert sorted(G.edges) == sorted(G1.edges) and G.graph["layers"] == CHAIN
    assert net.n_nodes == 5 and net.n_edges == 3
    d = driver_nodes(net)
    assert d.count == driver_nodes(G1).count == 2  # the inputs; every hidden and output channel is matched


@pytest.mark.parametrize("convert", [lambda G: G, _as_network], ids=["digraph", "arrays"])
def test_degrees_per_space_of_a_channel_graph_with_a_skip(convert):
    """A skip edge (input -> space 2) makes the graph non-layered; its spaces still have their degrees."""
    layers = [_layer("fc1", (2, 2), IN2, 1), _layer("fc2", (1, 4), [*HIDDEN2, *IN2], 2)]  # fc2 reads both spaces
    edges = [((0, 0), (1, 0)), ((0, 1), (1, 0)), ((1, 0), (2, 0)), ((0, 1), (2, 0))]
    G = convert(_graph(edges, (2, 2, 1), layers))
    from analysis import degree_distribution

    assert degree_distribution(G, direction="in", layer=1).degrees.tolist() == [2, 0]
    assert degree_distribution(G, direction="out", layer=0).degrees.tolist() == [1, 2]
    assert degree_distribution(G, direction="in", layer=2).degrees.tolist() == [2]
