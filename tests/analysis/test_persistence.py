"""analysis.persistence: survival of the initial network and the kept/grown split of shared edges."""

import networkx as nx
import numpy as np
import pytest

from analysis import edge_jaccard, initial_survival, shared_edges
from netgraph.errors import ArchitectureMismatchError, GraphContractError


def net(blocks, sizes):
    """A layered graph from per-block lists of (source, target) index pairs."""
    G = nx.DiGraph(layer_sizes=list(sizes))
    for l, n in enumerate(sizes):
        G.add_nodes_from(((l, i), {"layer": l, "index": i}) for i in range(n))
    for l, pairs in enumerate(blocks):
        G.add_edges_from(((l, i), (l + 1, j)) for i, j in pairs)
    return G


SIZES = (2, 2, 1)  # block 0: 4 possible edges, block 1: 2


def test_survival_known_answer():
    G0 = net([[(0, 0), (0, 1)], [(0, 0), (1, 0)]], SIZES)
    G = net([[(0, 0), (1, 1)], [(0, 0)]], SIZES)
    s = initial_survival(G0, G)
    assert (s.kept, s.n_initial, s.n_edges) == (2, 4, 3)
    assert s.value == 0.5 and s.share_of_network == pytest.approx(2 / 3)
    # block 0: 2 initial edges, G holds 2 of 4 -> 2 * 2 / 4 = 1; block 1: 2 initial, 1 of 2 -> 1
    assert s.chance == pytest.approx(2 / 4)


def test_shared_edges_known_answer():
    G0 = net([[(0, 0), (0, 1)], [(0, 0), (1, 0)]], SIZES)
    G1 = net([[(0, 0), (1, 1)], [(0, 0), (1, 0)]], SIZES)
    G2 = net([[(0, 0), (1, 1), (1, 0)], [(1, 0)]], SIZES)
    s = shared_edges(G1, G2, initial=G0)
    # shared: (0,0)->(1,0) kept by both; (0,1)->(1,1) grown by both; (1,0)->(2,0) kept by both
    assert (s.intersection, s.union, s.kept_both, s.grown_both) == (3, 5, 2, 1)
    assert s.value == pytest.approx(3 / 5)
    assert s.value == edge_jaccard(G1, G2).value
    # block 0: kept 1 and 1 of 2 initial -> 1/2; block 1: kept 2 and 1 of 2 -> 1
    assert s.kept_both_chance == pytest.approx(1.5)
    # block 0: grew 1 and 2 of the 2 other slots -> 1; block 1: no other slot
    assert s.grown_both_chance == pytest.approx(1.0)
    # blockwise chance: expected intersection 2*3/4 + 2*1/2 = 2.5 over 4 + 4 - 2.5
    assert s.chance == pytest.approx(2.5 / 5.5)


def test_identical_runs_share_everything_they_kept():
    G0 = net([[(0, 0), (1, 1)], [(0, 0)]], SIZES)
    s = shared_edges(G0, G0, initial=G0)
    assert (s.value, s.kept_both, s.grown_both) == (1.0, 3, 0)
    assert s.to_dict()["provenance"]["function"] == "analysis.shared_edges"


def test_random_runs_match_their_chance_levels():
    rng = np.random.default_rng(0)
    sizes = (30, 40, 20)
    blocks = lambda d: [  # noqa: E731
        list(zip(*np.nonzero(rng.random((sizes[l], sizes[l + 1])) < d))) for l in range(2)
    ]
    G0 = net(blocks(0.3), sizes)
    kept, grown, surv = [], [], []
    for _ in range(40):
        G1, G2 = net(blocks(0.2), sizes), net(blocks(0.2), sizes)
        s = shared_edges(G1, G2, initial=G0)
        kept.append(s.kept_both - s.kept_both_chance)
        grown.append(s.grown_both - s.grown_both_chance)
        v = initial_survival(G0, G1)
        surv.append(v.value - v.chance)
    for diffs in (kept, grown, surv):
        assert abs(np.mean(diffs)) < 4 * np.std(diffs) / np.sqrt(len(diffs)) + 1e-9


@pytest.mark.parametrize(
    ("graphs", "error", "message"),
    [
        (
            (net([[(0, 0)], [(0, 0)]], SIZES), net([[(0, 0)], [(0, 0)]], (2, 3, 1))),
            ArchitectureMismatchError,
            "layer sizes",
        ),
        ((nx.DiGraph([("a", "b"), ("b", "a")]), net([[(0, 0)], [(0, 0)]], SIZES)), GraphContractError, "layered"),
    ],
)
def test_bad_graphs_are_refused(graphs, error, message):
    with pytest.raises(error, match=message):
        initial_survival(*graphs)
    with pytest.raises(error, match=message):
        shared_edges(graphs[1], graphs[1], initial=graphs[0])
