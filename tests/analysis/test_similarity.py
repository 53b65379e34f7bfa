import itertools
import json

import networkx as nx
import numpy as np
import pytest

from analysis import (
    aligned_jaccard,
    chance_jaccard,
    common_subnetwork,
    common_subnetwork_curve,
    edge_jaccard,
    node_jaccard,
    similarity_matrix,
)
from netgraph.errors import ArchitectureMismatchError, GraphContractError, ParameterError


def _set_jaccard(a, b):
    a, b = set(a), set(b)
    return len(a & b) / len(a | b) if a | b else 1.0


def test_jaccard_of_ab_and_bc_is_one_third():
    G1 = nx.DiGraph([("x", "a"), ("x", "b")])
    G2 = nx.DiGraph([("x", "b"), ("x", "c")])
    j = edge_jaccard(G1, G2)
    assert (j.value, j.intersection, j.union, j.sizes) == (1 / 3, 1, 3, (2, 2))
    assert float(j) == 1 / 3
    # nodes: {x,a,b} vs {x,b,c}
    assert node_jaccard(G1, G2).value == pytest.approx(2 / 4)


def test_two_empty_edge_sets_give_one():
    j = edge_jaccard(nx.DiGraph(), nx.DiGraph())
    assert (j.value, j.chance) == (1.0, 1.0)
    G = nx.DiGraph()
    G.add_nodes_from([(0, 0), (1, 0)])
    assert edge_jaccard(G, G.copy()).value == 1.0
    assert node_jaccard(G, G.copy()).value == 1.0


@pytest.mark.parametrize(
    "d1, d2, expected", [(0.2, 0.2, 0.2 / 1.8), (1.0, 0.5, 0.5), (0.5, 0.0, 0.0), (0.1, 0.3, 0.03 / 0.37)]
)
def test_chance_level_formula(d1, d2, expected):
    assert chance_jaccard(d1, d2) == pytest.approx(expected)


@pytest.mark.parametrize("d", [-0.1, 1.5, "x", True, None])
def test_chance_level_bad_density(d):
    with pytest.raises(ParameterError, match=r"^d1=.*, must be (a number >= 0 and <= 1|a finite number)$"):
        chance_jaccard(d, 0.5)


def test_chance_level_matches_independent_random_masks(rng, make_layered):
    G1 = make_layered([200, 200], 0.3, rng)
    G2 = make_layered([200, 200], 0.1, rng)
    j = edge_jaccard(G1, G2)
    assert j.densities == pytest.approx((0.3, 0.1), abs=0.01)
    assert j.value == pytest.approx(j.chance, abs=0.01)
    assert j.chance == pytest.approx(chance_jaccard(*j.densities))


def test_layered_equals_python_sets(rng, make_layered):
    G1 = make_layered([6, 7, 3], 0.4, rng)
    G2 = make_layered([6, 7, 3], 0.5, rng)
    assert edge_jaccard(G1, G2).value == pytest.approx(_set_jaccard(G1.edges, G2.edges))
    for l in range(2):
        e1 = [e for e in G1.edges if e[0][0] == l]
        e2 = [e for e in G2.edges if e[0][0] == l]
        j = edge_jaccard(G1, G2, layer=l)
        assert j.value == pytest.approx(_set_jaccard(e1, e2))
        assert j.densities[0] == len(e1) / (G1.graph["layer_sizes"][l] * G1.graph["layer_sizes"][l + 1])
    alive = lambda G, l: [n for n in G if n[0] == l and G.degree(n)]  # noqa: E731
    assert node_jaccard(G1, G2, layer=1).value == pytest.approx(_set_jaccard(alive(G1, 1), alive(G2, 1)))


@pytest.mark.parametrize("seed", range(5))
def test_insertion_order_and_node_sets_do_not_matter(seed):
    G1 = nx.gnp_random_graph(15, 0.2, seed=seed, directed=True)
    G2 = nx.gnp_random_graph(18, 0.2, seed=seed + 100, directed=True)
    H2 = nx.DiGraph()
    H2.add_nodes_from(np.random.default_rng(seed).permutation(18).tolist())
    H2.add_edges_from(G2.edges)
    assert edge_jaccard(G1, H2).value == pytest.approx(_set_jaccard(G1.edges, G2.edges))
    live = lambda G: [n for n in G if G.degree(n)]  # noqa: E731
    assert node_jaccard(G1, H2).value == pytest.approx(_set_jaccard(live(G1), live(G2)))
    assert edge_jaccard(G1, H2).densities[1] == G2.number_of_edges() / 18**2


def test_different_architectures_raise(make_layered):
    G1 = make_layered([4, 3, 2], 0.5, np.random.default_rng(0))
    G2 = make_layered([4, 5, 2], 0.5, np.random.default_rng(1))
    with pytest.raises(ArchitectureMismatchError, match=r"\[4, 3, 2\] and \[4, 5, 2\]"):
        edge_jaccard(G1, G2)
    with pytest.raises(ArchitectureMismatchError, match=r"graphs 0 \('a'\) and 1 \('b'\)"):
        similarity_matrix([G1, G2], labels=["a", "b"])


@pytest.mark.parametrize("seed", range(4))
def test_permuted_copy_aligns_perfectly(seed, make_layered, permute):
    rng = np.random.default_rng(seed)
    sizes = [8, 6, 4, 3] if seed % 2 else [12, 20, 15, 4]
    G = make_layered(sizes, 0.5, rng)
    # NNSTD matches neurons by incoming sets; ties would make the optimum ambiguous
    for l in range(1, len(sizes) - 1):
        ins = [frozenset(G.predecessors((l, i))) for i in range(sizes[l])]
        if len(set(ins)) < len(ins):
            pytest.skip("duplicate incoming sets")
    H, perms = permute(G, rng)
    j = aligned_jaccard(G, H)
    assert j.value == 1.0 and j.raw < 1.0
    assert j.layer_values == (1.0,) * (len(sizes) - 1)
    assert edge_jaccard(G, H).value == j.raw
    # the permutation found maps H's neuron back to G's: perm[new] = old
    for l in range(1, len(sizes) - 1):
        inv = np.argsort(perms[l])
        assert j.permutations[l].tolist() == inv.tolist()
    assert j.permutations[0].tolist() == list(range(sizes[0]))
    assert j.permutations[-1].tolist() == list(range(sizes[-1]))


def test_aligned_is_at_least_raw_for_random_nets(rng, make_layered):
    G1 = make_layered([10, 12, 12, 3], 0.3, rng)
    G2 = make_layered([10, 12, 12, 3], 0.3, rng)
    j = aligned_jaccard(G1, G2)
    assert j.value >= j.raw
    # the raw value's baseline is named for it; an aligned value has none of its own here (issue 16)
    assert j.raw_chance == pytest.approx(edge_jaccard(G1, G2).chance) and j.chance is None
    assert json.loads(json.dumps(j.to_dict()))["permutations"][0] == list(range(10))


def test_aligned_needs_layered_graphs():
    with pytest.raises(GraphContractError, match="G1 is not a layered graph"):
        aligned_jaccard(nx.DiGraph([("a", "b")]), nx.DiGraph([("a", "b")]))


@pytest.mark.parametrize("kind", ["edge", "node", "aligned"])
def test_similarity_matrix_matches_pairwise(kind, rng, make_layered):
    graphs = [make_layered([6, 8, 3], 0.4, rng) for _ in range(4)]
    fn = {"edge": edge_jaccard, "node": node_jaccard, "aligned": aligned_jaccard}[kind]
    m = similarity_matrix(graphs, kind=kind, labels="abcd", rng=0)
    assert m.labels == ("a", "b", "c", "d") and m.kind == kind
    assert np.allclose(m.values, m.values.T) and np.all(np.diag(m.values) == 1.0)
    for a, b in itertools.combinations(range(4), 2):
        j = fn(graphs[a], graphs[b])
        assert m.values[a, b] == pytest.approx(j.value)
        if kind == "aligned":  # chance of aligned pairs: random networks aligned the same way
            assert m.chance[a, b] > j.raw_chance
        else:
            assert m.chance[a, b] == pytest.approx(j.chance)
    assert m.mean == pytest.approx(m.values[np.triu_indices(4, 1)].mean())
    out = json.loads(json.dumps(m.to_dict()))
    assert out["labels"] == ["a", "b", "c", "d"] and len(out["values"]) == 4


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        ({"kind": "cosine"}, ParameterError, "kind='cosine' is not valid"),
        ({"labels": ["a"]}, ParameterError, "labels has 1 entries, expected 2"),
        ({"kind": "aligned", "layer": 0}, ParameterError, "cannot be used with kind='aligned'"),
        ({"layer": 5}, ParameterError, r"layer=5, expected None or an int in \[0, 1\]"),
    ],
)
def test_similarity_matrix_bad_arguments(kwargs, error, message, rng, make_layered):
    graphs = [make_layered([3, 3, 2], 0.5, rng) for _ in range(2)]
    with pytest.raises(error, match=message):
        similarity_matrix(graphs, **kwargs)


@pytest.mark.parametrize("graphs", [[], nx.DiGraph(), "abc"])
def test_similarity_matrix_needs_graphs(graphs):
    with pytest.raises(ParameterError):
        similarity_matrix(graphs)


def test_common_subnetwork_known():
    gs = [
        nx.DiGraph([((0, 0), (1, 0)), ((0, 1), (1, 0))]),
        nx.DiGraph([((0, 0), (1, 0)), ((0, 1), (1, 1))]),
        nx.DiGraph([((0, 0), (1, 0)), ((0, 1), (1, 0))]),
    ]
    for G in gs:
        G.add_nodes_from([(0, 0), (0, 1), (1, 0), (1, 1)], layer=None)
        for n in G:
            G.nodes[n]["layer"], G.nodes[n]["role"] = n[0], "input" if n[0] == 0 else "output"
    H = common_subnetwork(gs)
    assert sorted(H.edges) == [((0, 0), (1, 0))]
    assert H.number_of_nodes() == 4 and H.nodes[(1, 1)]["role"] == "output"
    assert H.graph["layer_sizes"] == [2, 2] and H.graph["n_graphs"] == 3
    H = common_subnetwork(gs, min_share=0.5)
    assert sorted(H.edges(data="count")) == [((0, 0), (1, 0), 3), ((0, 1), (1, 0), 2)]
    assert H[(0, 1)][(1, 0)]["share"] == pytest.approx(2 / 3)
    c = common_subnetwork_curve(gs)
    assert c.edges.tolist() == [3, 2, 1] and c.shares.tolist() == pytest.approx([1 / 3, 2 / 3, 1.0])


def test_common_subnetwork_random_matches_sets(rng, make_layered):
    gs = [make_layered([5, 6, 2], 0.5, rng) for _ in range(4)]
    for share in (0.25, 0.5, 0.75, 1.0):
        need = int(np.ceil(share * 4))
        expected = {e for e in set().union(*(G.edges for G in gs)) if sum(G.has_edge(*e) for G in gs) >= need}
        assert set(common_subnetwork(gs, min_share=share).edges) == expected
    gen = [nx.gnp_random_graph(10, 0.3, seed=s, directed=True) for s in range(3)]
    assert set(common_subnetwork(gen).edges) == set(gen[0].edges) & set(gen[1].edges) & set(gen[2].edges)


@pytest.mark.parametrize("share", [0, 0.0, 1.5, -1, "all", True])
def test_common_subnetwork_bad_share(share):
    with pytest.raises(ParameterError, match="min_share"):
        common_subnetwork([nx.DiGraph()], min_share=share)


def test_huge_edge_spaces_use_sorted_keys(make_layered, rng, monkeypatch):
    gs = [make_layered([5, 6, 3], 0.5, rng) for _ in range(3)]
    expected = similarity_matrix(gs).values
    common = set(common_subnetwork(gs, min_share=0.5).edges)
    monkeypatch.setattr("analysis._structure.MASK_LIMIT", 0)
    monkeypatch.setattr("analysis._space.MASK_LIMIT", 0)
    fresh = [G.copy() for G in gs]
    assert np.array_equal(similarity_matrix(fresh).values, expected)
    assert edge_jaccard(fresh[0], fresh[1], layer=1).value == pytest.approx(
        _set_jaccard([e for e in gs[0].edges if e[0][0] == 1], [e for e in gs[1].edges if e[0][0] == 1])
    )
    assert set(common_subnetwork(fresh, min_share=0.5).edges) == common


def test_aligned_chance_is_above_raw_chance_and_matches_random_pairs(make_layered):
    from analysis import aligned_chance_jaccard, aligned_jaccard, chance_jaccard, similarity_matrix

    rng = np.random.default_rng(5)
    nets = [make_layered([8, 12, 12, 3], 0.3, rng, weights=False) for _ in range(4)]
    null = aligned_chance_jaccard(nets[0], nets[1], n_samples=20, rng=1)
    raw_chance = edge_jaccard(nets[0], nets[1]).chance
    assert null > raw_chance * 1.05
    # independent random networks sit at the aligned chance level, not at the raw one
    observed = np.mean(
        [aligned_jaccard(a, b).value for a, b in [(nets[0], nets[1]), (nets[2], nets[3]), (nets[0], nets[3])]]
    )
    assert abs(observed - null) < abs(observed - raw_chance)
    m = similarity_matrix(nets, kind="aligned", rng=0)
    assert m.mean_chance > chance_jaccard(0.3, 0.3)
    assert np.allclose(m.chance, m.chance.T)


@pytest.mark.parametrize("bad", [0, -1, 1.5, True])
def test_aligned_chance_bad_samples(bad):
    from analysis import aligned_chance_jaccard

    G = nx.DiGraph([((0, 0), (1, 0))])
    with pytest.raises(ParameterError, match="n_samples="):
        aligned_chance_jaccard(G, G, n_samples=bad)


def test_chance_of_layered_edges_is_taken_block_by_block():
    # block 0: 4x4 = 16 possible, each graph has 4 edges; block 1: 4x1 = 4 possible, both dense
    def net(edges0):
        G = nx.DiGraph()
        G.add_nodes_from([(0, i) for i in range(4)] + [(1, j) for j in range(4)] + [(2, 0)])
        G.add_edges_from(((0, i), (1, j)) for i, j in edges0)
        G.add_edges_from(((1, j), (2, 0)) for j in range(4))
        return G

    j = edge_jaccard(net([(0, 0), (1, 1), (2, 2), (3, 3)]), net([(0, 1), (1, 0), (2, 3), (3, 2)]))
    # expected intersection: 4*4/16 + 4*4/4 = 1 + 4 = 5; union: 8 + 8 - 5 = 11
    assert j.chance == pytest.approx(5 / 11)
    assert j.value == pytest.approx(4 / 12)
    assert edge_jaccard(net([(0, 0)]), net([(0, 0)]), layer=0).chance == pytest.approx(chance_jaccard(1 / 16, 1 / 16))


def test_random_like_keeps_nodes_and_block_counts():
    from analysis import random_like

    G = nx.DiGraph()
    G.add_nodes_from([(0, i) for i in range(5)] + [(1, j) for j in range(4)] + [(2, 0), (2, 1)])
    G.add_edges_from([((0, 0), (1, 0)), ((0, 1), (1, 0)), ((0, 4), (1, 3)), ((1, 2), (2, 1))])
    R = random_like(G, rng=3)
    assert set(R.nodes) == set(G.nodes)
    assert sorted(u[0] for u, _ in R.edges) == [0, 0, 0, 1]
    assert all(v[0] == u[0] + 1 for u, v in R.edges)
    assert sorted(random_like(G, rng=3).edges) == sorted(R.edges)
    with pytest.raises(GraphContractError, match="not a layered graph"):
        random_like(nx.DiGraph([("a", "b")]))
