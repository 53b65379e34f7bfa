"""Torch-free graph builders for the analysis tests."""

import networkx as nx
import numpy as np
import pytest


def layered_graph(sizes, density, rng, *, weights=True):
    """A layered DiGraph following the netgraph contract with Bernoulli(density) edges."""
    G = nx.DiGraph(layer_sizes=list(sizes))
    for l, n in enumerate(sizes):
        G.add_nodes_from(((l, i), {"layer": l, "index": i}) for i in range(n))
    for l in range(len(sizes) - 1):
        src, dst = np.nonzero(rng.random((sizes[l], sizes[l + 1])) < density)
        edges = zip([(l, int(i)) for i in src], [(l + 1, int(j)) for j in dst])
        if weights:
            G.add_weighted_edges_from((u, v, float(w)) for (u, v), w in zip(edges, rng.standard_normal(src.size)))
        else:
            G.add_edges_from(edges)
    return G


def permute_hidden(G, rng):
    """A copy of G with the neurons of every hidden layer relabelled by a random permutation."""
    sizes = G.graph["layer_sizes"]
    mapping = {}
    perms = []
    for l, n in enumerate(sizes):
        p = np.arange(n) if l in (0, len(sizes) - 1) else rng.permutation(n)
        perms.append(p)
        mapping.update({(l, i): (l, int(p[i])) for i in range(n)})
    H = nx.DiGraph(layer_sizes=list(sizes))
    H.add_nodes_from(sorted((mapping[u], {"layer": u[0], "index": mapping[u][1]}) for u in G.nodes))
    H.add_edges_from((mapping[u], mapping[v], d) for u, v, d in G.edges(data=True))
    return H, perms


@pytest.fixture
def make_layered():
    """Factory fixture: ``make_layered(sizes, density, rng, *, weights=True)``, the analysis tests' one
    builder of random layered graphs (:func:`layered_graph`)."""
    return layered_graph


@pytest.fixture
def permute():
    """Factory fixture: ``permute(G, rng) -> (H, perms)`` relabels every hidden layer at random."""
    return permute_hidden
