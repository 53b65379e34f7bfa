"""NNSTD (Liu et al. 2020): hand-worked answers and bit-for-bit equality with a literal reference."""

import json
import struct
import sys
from pathlib import Path

import networkx as nx
import numpy as np
import pytest

from analysis import NNSTD, aligned_jaccard, local_pair_map, nnstd, nnstd_pairs
from analysis._nnstd_kernel import edit_costs as _edit_costs
from netgraph.errors import ArchitectureMismatchError, GraphContractError, ParameterError

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))
import bench_nnstd  # noqa: E402

# ---------------------------------------------------------------- the literal reference


def _blocks_of(G, sizes):
    """Boolean source x target matrices of a layered graph, read from its edge list."""
    blocks = [np.zeros((a, b), dtype=bool) for a, b in zip(sizes[:-1], sizes[1:])]
    for (l, i), (_, j) in G.edges:
        blocks[l][i, j] = True
    return blocks


def reference_nnstd(G1, G2):
    """NNSTD from the description, literally (the benchmark's reference, ``scripts/bench_nnstd.py``).

    Returns ``(value, per_layer, col_inds)``; ``col_inds[l][j]`` is the neuron of G2 paired with G1's ``j``.
    """
    sizes = G1.graph["layer_sizes"]
    blocks1, blocks2 = _blocks_of(G1, sizes), _blocks_of(G2, sizes)
    distance, col_inds = bench_nnstd.reference(blocks1, blocks2, len(blocks1))
    distance = np.array(distance)
    return np.mean(distance), distance, col_inds


def _bits(x):
    return struct.pack("<d", float(x))


def _graph(sizes, edges):
    G = nx.DiGraph(layer_sizes=list(sizes))
    for l, n in enumerate(sizes):
        G.add_nodes_from(((l, i), {"layer": l, "index": i}) for i in range(n))
    G.add_edges_from(edges)
    return G


def _edges(l, incoming):
    """Edges into layer ``l + 1``: ``incoming[j]`` lists the sources of target j."""
    return [((l, i), (l + 1, j)) for j, sources in enumerate(incoming) for i in sources]


# ---------------------------------------------------------------- known answers


def test_identical_networks_are_at_distance_zero(make_layered, rng):
    G = make_layered([8, 6, 5, 3], 0.4, rng)
    d = nnstd(G, G.copy())
    assert d.value == 0.0 and d.per_layer == (0.0, 0.0, 0.0)
    assert isinstance(d, NNSTD) and float(d) == 0.0


def _distinct_incoming(G):
    sizes = G.graph["layer_sizes"]
    for block in _blocks_of(G, sizes):
        sets = {tuple(np.nonzero(col)[0]) for col in block.T}
        if len(sets) < block.shape[1]:
            return False
    return True


def test_a_hidden_permutation_is_at_distance_zero_and_found(make_layered, permute, rng):
    G = make_layered([10, 7, 6, 3], 0.5, rng)
    while not _distinct_incoming(G):  # unique zero-cost matchings: the permutation is determined
        G = make_layered([10, 7, 6, 3], 0.5, rng)
    H, perms = permute(G, rng)  # G's neuron i is H's neuron perms[l][i]
    d = nnstd(G, H)
    assert d.value == 0.0 and d.per_layer == (0.0, 0.0, 0.0)
    for found, p in zip(d.permutations, perms):
        assert found.dtype == np.int64 and found.tolist() == np.argsort(p).tolist()  # H's k -> G's position
    assert d.permutations[0].tolist() == list(range(10)) and d.permutations[-1].tolist() == [0, 1, 2]


def test_swapped_hidden_neurons():
    G1 = _graph([2, 2, 1], _edges(0, [[0], [1]]) + _edges(1, [[0, 1]]))
    G2 = _graph([2, 2, 1], _edges(0, [[1], [0]]) + _edges(1, [[0, 1]]))
    d = nnstd(G1, G2)
    assert d.value == 0.0 and [p.tolist() for p in d.permutations] == [[0, 1], [1, 0], [0]]


def test_hand_worked_3_2_2():
    # G1: h0 <- {0, 1}, h1 <- {2};    o0 <- {h0},     o1 <- {h0, h1}
    # G2: h0 <- {2},    h1 <- {0, 1, 2}; o0 <- {h0, h1}, o1 <- {h1}
    G1 = _graph([3, 2, 2], _edges(0, [[0, 1], [2]]) + _edges(1, [[0], [0, 1]]))
    G2 = _graph([3, 2, 2], _edges(0, [[2], [0, 1, 2]]) + _edges(1, [[0, 1], [1]]))
    # layer 0, cost[j of G1, k of G2] = (|A\B| + |B\A|) / |A u B|:
    #   {0,1} vs {2}: disjoint -> 1       {0,1} vs {0,1,2}: (0 + 1) / 3
    #   {2}   vs {2}: 0                   {2}   vs {0,1,2}: (0 + 2) / 3
    # identity costs 1 + 2/3, the swap 1/3 + 0: col_ind = [1, 0], layer distance (1/3 + 0) / 2
    # layer 1: G2's rows become its rows col_ind = [1, 0] (its h1 is G1's h0, its h0 G1's h1), so
    #   G2: o0 <- {h0, h1} -> {0, 1},  o1 <- {h1} -> {0};   G1: o0 <- {0}, o1 <- {0, 1}
    #   {0} vs {0,1}: 1/2   {0} vs {0}: 0   {0,1} vs {0,1}: 0   {0,1} vs {0}: 1/2
    # identity costs 1, the swap 0: the outputs are matched too, layer distance 0
    d = nnstd(G1, G2)
    assert _edit_costs(np.array([[1, 0], [1, 0], [0, 1]], bool), np.array([[0, 1], [0, 1], [1, 1]], bool)).tolist() == [
        [1.0, 1 / 3],
        [0.0, 2 / 3],
    ]
    assert d.per_layer == ((1 / 3 + 0.0) / 2, 0.0)
    assert d.value == 1 / 12
    assert [p.tolist() for p in d.permutations] == [[0, 1, 2], [1, 0], [1, 0]]
    value, per_layer, _ = reference_nnstd(G1, G2)
    assert _bits(value) == _bits(d.value) and tuple(per_layer.tolist()) == d.per_layer


def test_the_cost_is_the_quotient_of_the_counts_not_one_minus_jaccard():
    # A = {0, 1}, B = {1, 2}: 2 / 3 and 1 - 1/3 differ in the last bit
    assert 2 / 3 != 1 - 1 / 3
    A = np.array([[1], [1], [0]], dtype=bool)
    B = np.array([[0], [1], [1]], dtype=bool)
    assert _edit_costs(A, B)[0, 0] == 2 / 3


def test_matching_the_outputs_lowers_the_distance():
    # G2 is G1 with its two outputs swapped: NNSTD matches them (distance 0); aligned Jaccard keeps
    # the outputs fixed and sees different output blocks
    G1 = _graph([2, 2, 2], _edges(0, [[0], [1]]) + _edges(1, [[0], [1]]))
    G2 = _graph([2, 2, 2], _edges(0, [[0], [1]]) + _edges(1, [[1], [0]]))
    d = nnstd(G1, G2)
    assert d.value == 0.0 and d.permutations[2].tolist() == [1, 0]
    assert aligned_jaccard(G1, G2).value < 1.0
    # the output layer alone, kept fixed, would cost (1 + 1) / 2
    assert _edit_costs(*_blocks_of(G1, [2, 2, 2])[1:], *_blocks_of(G2, [2, 2, 2])[1:]).trace() / 2 == 1.0


def test_empty_and_disjoint_sets():
    empty = _graph([3, 2, 2], [])
    assert nnstd(empty, empty.copy()).per_layer == (0.0, 0.0)  # 0 when both sets are empty
    # disjoint incoming sets everywhere: every cost is exactly 1
    G1 = _graph([2, 2], _edges(0, [[0], [0]]))
    G2 = _graph([2, 2], _edges(0, [[1], [1]]))
    d = nnstd(G1, G2)
    assert d.value == 1.0 and d.per_layer == (1.0,)
    # one empty set against a non-empty one: |B| / |B| = 1
    G3 = _graph([2, 2], _edges(0, [[], [0, 1]]))
    assert _edit_costs(*_blocks_of(G1, [2, 2]), *_blocks_of(G3, [2, 2])).tolist() == [[1.0, 0.5], [1.0, 0.5]]
    assert nnstd(G1, _graph([2, 2], [])).value == 1.0


# ---------------------------------------------------------------- against the literal reference, to the bit


@pytest.mark.parametrize("density", [0.03, 0.1, 0.3, 0.7, 0.95, 1.0])
@pytest.mark.parametrize("sizes", [[7, 6, 5, 3], [12, 9, 9, 4], [5, 8, 2]])
def test_equals_the_literal_reference(make_layered, rng, sizes, density):
    for _ in range(4):
        G1, G2 = make_layered(sizes, density, rng), make_layered(sizes, density, rng)
        d = nnstd(G1, G2)
        value, per_layer, col_inds = reference_nnstd(G1, G2)
        assert _bits(d.value) == _bits(value)
        assert [_bits(x) for x in d.per_layer] == [_bits(x) for x in per_layer]
        for perm, col_ind in zip(d.permutations[1:], col_inds):
            assert perm[col_ind].tolist() == list(range(len(col_ind)))  # G2's col_ind[j] goes to G1's j


def test_equals_the_reference_with_mixed_densities(make_layered, rng):
    # sparse, dense and empty blocks, hence many ties
    for _ in range(10):
        G1 = make_layered([9, 7, 6, 4], rng.choice([0.02, 0.5, 0.98]), rng)
        G2 = make_layered([9, 7, 6, 4], rng.choice([0.0, 0.02, 0.5, 1.0]), rng)
        for a, b in ((G1, G2), (G2, G1)):
            value, per_layer, _ = reference_nnstd(a, b)
            d = nnstd(a, b)
            assert _bits(d.value) == _bits(value) and d.per_layer == tuple(per_layer.tolist())


# ---------------------------------------------------------------- many pairs, results


def test_pairs_equal_single_calls_through_any_pair_map(make_layered, rng):
    graphs = [make_layered([8, 6, 4, 3], 0.3, rng) for _ in range(4)]
    calls = []

    def recording(fn, items, pairs, *args):
        calls.append((fn, len(items)))
        return local_pair_map(fn, items, pairs, *args)

    pairs = [(0, 1), (2, 0), (3, 1)]
    found = nnstd_pairs(graphs, pairs, pair_map=recording)
    assert list(found) == pairs and len(calls) == 1 and calls[0][1] == 4
    for (a, b), d in found.items():
        ref = nnstd(graphs[a], graphs[b])
        assert _bits(d.value) == _bits(ref.value) and d.per_layer == ref.per_layer
        assert all(np.array_equal(p, q) for p, q in zip(d.permutations, ref.permutations))
    assert nnstd_pairs(graphs[:1]) == {}


def test_to_dict_is_json_safe(make_layered, rng):
    G1, G2 = make_layered([5, 4, 2], 0.5, rng), make_layered([5, 4, 2], 0.5, rng)
    d = nnstd(G1, G2)
    out = d.to_dict()
    assert json.loads(json.dumps(out)) == out
    assert out["value"] == d.value and out["per_layer"] == list(d.per_layer)
    assert out["permutations"][1] == d.permutations[1].tolist() and out["layer_sizes"] == [5, 4, 2]
    assert out["provenance"]["function"] == "analysis.nnstd" and out["provenance"]["netgraph_version"]
    with pytest.raises(AttributeError):
        d.value = 1.0
    assert not d.permutations[1].flags.writeable


# ---------------------------------------------------------------- bad input


def _chain(sizes):
    return _graph(sizes, [((l, 0), (l + 1, 0)) for l in range(len(sizes) - 1)])


@pytest.mark.parametrize(
    "G1, G2, error, message",
    [
        ("x", _chain([2, 2]), ParameterError, "graphs\\[0\\] is a str"),
        (_chain([2, 2]), nx.Graph([(0, 1)]), ParameterError, "undirected"),
        (nx.DiGraph([("a", "b")]), _chain([2, 2]), GraphContractError, "G1 is not a layered graph"),
        (_chain([2, 2]), nx.DiGraph([((0, 0), (2, 0))]), GraphContractError, "G2 is not a layered graph"),
        (_chain([2, 2]), _chain([2, 3]), ArchitectureMismatchError, r"layer sizes \[2, 2\] and \[2, 3\]"),
        (_chain([2, 2, 1]), _chain([2, 2]), ArchitectureMismatchError, "cannot be compared"),
    ],
)
def test_bad_input(G1, G2, error, message):
    with pytest.raises(error, match=message):
        nnstd(G1, G2)


@pytest.mark.parametrize(
    "pairs, message",
    [("01", "expected None or a sequence"), ([(0, 2)], r"pairs\[0\]=\(0, 2\)"), ([(0,)], r"pairs\[0\]")],
)
def test_bad_pairs(pairs, message):
    with pytest.raises(ParameterError, match=message):
        nnstd_pairs([_chain([2, 2]), _chain([2, 2])], pairs)


def test_bad_pair_map():
    with pytest.raises(ParameterError, match="pair_map=3"):
        nnstd_pairs([_chain([2, 2]), _chain([2, 2])], pair_map=3)
