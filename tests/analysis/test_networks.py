"""Every analysis takes a network (netgraph.network.Checkpoint) as well as its graph, with the same result (issue 17).

A network is read from its sparse blocks; no graph is built. The graph of ``netgraph.to_graph`` is
the same network, so each public function must give equal results for both.
"""

import json

import networkx as nx
import numpy as np
import pytest

import analysis
from analysis._structure import structure
from netgraph import to_graph
from netgraph.checkpoint import Checkpoint

SIZES = [9, 12, 10, 4]


@pytest.fixture(scope="module")
def nets():
    from tests.conftest import random_sparse_mlp

    out = [Checkpoint.from_model(random_sparse_mlp(SIZES, 0.35, seed=s)) for s in range(3)]
    # a present connection of weight 0 is an edge (explicitly stored), an isolated unit is a node
    with_zero = out[0].blocks[0].copy()
    with_zero.data[:2] = 0.0
    out[0] = out[0].replace(blocks=(with_zero, *out[0].blocks[1:]), meta={"seed": 0, "method": "m"})
    return out


def _timeless(d):
    """A result's JSON form without what differs between two runs of the same computation (times, provenance)."""
    if isinstance(d, dict):
        return {k: _timeless(v) for k, v in d.items() if k not in ("seconds", "provenance", "created")}
    if isinstance(d, list):
        return [_timeless(v) for v in d]
    return d


def _same(a, b):
    """Results compared through their JSON form (times and provenance aside), arrays and tuples by value."""
    if hasattr(a, "to_dict"):
        a, b = _timeless(a.to_dict()), _timeless(b.to_dict())
    if isinstance(a, nx.Graph):
        return sorted(a.edges(data=True)) == sorted(b.edges(data=True)) and dict(a.nodes(data=True)) == dict(
            b.nodes(data=True)
        )
    return json.dumps(a, sort_keys=True, default=lambda x: x.tolist()) == json.dumps(
        b, sort_keys=True, default=lambda x: x.tolist()
    )


def test_the_structure_of_a_network_is_that_of_its_graph(nets):
    for net in nets:
        a, b = structure(net), structure(to_graph(net))
        assert a.nodes == b.nodes and a.layered.sizes == b.layered.sizes
        assert np.array_equal(a.indptr, b.indptr) and np.array_equal(a.indices, b.indices)
        assert np.array_equal(a.layered.pos, b.layered.pos) and np.array_equal(a.layered.layer, b.layered.layer)
    assert structure(nets[0]) is structure(nets[0])  # kept with the network


CASES = {
    "degree_distribution in": lambda g: analysis.degree_distribution(g[0]),
    "degree_distribution out, layer 1": lambda g: analysis.degree_distribution(g[0], direction="out", layer=1),
    "degree_distribution total": lambda g: analysis.degree_distribution(g[1], direction="total"),
    "layer_summary": lambda g: analysis.layer_summary(g[0]),
    "input_connectivity": lambda g: analysis.input_connectivity(g[0], shape=(3, 3)),
    "driver_nodes": lambda g: analysis.driver_nodes(g[0]),
    "width_bound": lambda g: analysis.width_bound(g[0]),
    "edge_jaccard": lambda g: analysis.edge_jaccard(g[0], g[1]),
    "edge_jaccard layer": lambda g: analysis.edge_jaccard(g[0], g[1], layer=2),
    "node_jaccard": lambda g: analysis.node_jaccard(g[0], g[1]),
    "aligned_jaccard": lambda g: analysis.aligned_jaccard(g[0], g[1]),
    "aligned_chance_jaccard": lambda g: analysis.aligned_chance_jaccard(g[0], g[1], rng=3),
    "aligned_pairs": lambda g: {str(k): j.to_dict()["value"] for k, j in analysis.aligned_pairs(g).items()},
    "nnstd": lambda g: analysis.nnstd(g[0], g[1]),
    "nnstd_pairs": lambda g: {str(k): d.value for k, d in analysis.nnstd_pairs(g).items()},
    "similarity_matrix edge": lambda g: analysis.similarity_matrix(g),
    "similarity_matrix aligned": lambda g: analysis.similarity_matrix(g, kind="aligned", rng=0),
    "common_subnetwork": lambda g: analysis.common_subnetwork(g, min_share=0.5),
    "common_subnetwork_curve": lambda g: analysis.common_subnetwork_curve(g),
    "initial_survival": lambda g: analysis.initial_survival(g[0], g[1]),
    "shared_edges": lambda g: analysis.shared_edges(g[1], g[2], initial=g[0]),
    "summarize_group": lambda g: analysis.summarize_group(g, rng=0),
    "random_like": lambda g: analysis.random_like(g[0], rng=5),
}


@pytest.mark.parametrize("case", list(CASES))
def test_every_analysis_gives_the_same_for_a_network_and_its_graph(nets, case):
    graphs = [to_graph(n) for n in nets]
    assert _same(CASES[case](nets), CASES[case](graphs))


def test_a_report_of_networks_is_the_report_of_their_graphs(nets):
    a = _timeless(analysis.build_report(nets, rng=0).to_dict())
    b = _timeless(analysis.build_report([to_graph(n) for n in nets], rng=0).to_dict())
    assert json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)


def test_a_copied_network_is_a_duplicate_of_its_graph_too(nets):
    report = analysis.build_report([nets[0], to_graph(nets[0]), nets[1]], aligned=False)
    assert len(report.duplicates) == 1 and len(report.networks) == 2


def test_analysis_refuses_what_is_neither_a_graph_nor_a_network():
    from netgraph.errors import ParameterError

    with pytest.raises(ParameterError, match=r"G is a dict, expected a networkx.DiGraph or a network"):
        analysis.driver_nodes({})


@pytest.mark.parametrize("chunk", [1, 7, 1000])
def test_keys_and_masks_made_in_chunks_are_those_of_the_graph(nets, monkeypatch, chunk):
    """A network's layer keys, flat mask and block masks are made a few edges at a time: the same arrays."""
    import analysis._structure as st

    monkeypatch.setattr(st, "_CHUNK", chunk)
    monkeypatch.setattr(st, "MASK_LIMIT", 0)  # keys and block masks from the chunks, not from the flat mask
    for net in nets:
        a, b = st._from_network(net), structure(to_graph(net))
        assert np.array_equal(a.layer_keys, b.layer_keys)
        assert np.array_equal(a.flat_mask, b.flat_mask)
        for l in range(len(SIZES) - 1):
            assert np.array_equal(a.block_mask(l), b.block_mask(l))
        assert np.array_equal(a.sources, b.sources)


@pytest.mark.parametrize("chunk", [1, 3, 50])
@pytest.mark.parametrize("mode", ["keys", "mask"])
def test_the_common_subnetwork_curve_counted_in_ranges_is_the_same(nets, monkeypatch, chunk, mode):
    import analysis._common as common
    import analysis._space as sp

    expected = analysis.common_subnetwork_curve([to_graph(n) for n in nets]).edges.tolist()
    monkeypatch.setattr(common, "COUNT_CHUNK", chunk)
    monkeypatch.setattr(sp, "use_masks", lambda possible, structs: mode == "mask")
    got = analysis.common_subnetwork_curve(nets).edges.tolist()
    space = sp.edge_space([structure(n) for n in nets])
    assert got == expected and space.mode == ("keys" if mode == "keys" else "mask")


def test_a_long_alignment_is_announced_before_it_starts(nets, monkeypatch):
    """Alignment grows as the cube of the widths: an estimate over a minute is said when it starts (issue 17)."""
    import analysis.report as rep

    said = []
    analysis.build_report(nets, rng=0, progress=said.append)
    assert any(m.startswith("aligning 3 pairs of networks") and "estimate" not in m for m in said)
    monkeypatch.setattr(rep, "ANNOUNCE_SECONDS", 0.0)
    said.clear()
    analysis.build_report(nets, rng=0, progress=said.append)
    line = next(m for m in said if m.startswith("aligning 3 pairs"))
    assert "by an estimate: hidden layers of up to 12 units" in line
    assert rep._alignment_note((10_000,) * 4, 3).startswith(" (about 24 min by an estimate")


def test_the_alignment_cost_counts_the_hidden_layers():
    assert analysis.alignment_cost([5, 7]) == 0  # no hidden layer: nothing to match
    assert analysis.alignment_cost([2, 3, 4, 1]) == 3**2 * (3 + 2) + 4**2 * (4 + 3)
