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
