"""Results print in one line (issue 16): scalars and short sequences whole, arrays and long ones by size."""

import networkx as nx
import pytest

import analysis
from analysis._results import concise_repr


def _layered(sizes, seed):
    import numpy as np

    rng = np.random.default_rng(seed)
    G = nx.DiGraph()
    for l, n in enumerate(sizes):
        G.add_nodes_from(((l, i), {"layer": l}) for i in range(n))
    for l in range(len(sizes) - 1):
        for i in range(sizes[l]):
            for j in range(sizes[l + 1]):
                if rng.random() < 0.1:
                    G.add_edge((l, i), (l + 1, j))
    return G


@pytest.fixture(scope="module")
def pair():
    return _layered([200, 120, 120, 10], 0), _layered([200, 120, 120, 10], 1)


@pytest.mark.parametrize(
    "make",
    [
        lambda a, b: analysis.aligned_jaccard(a, b),
        lambda a, b: analysis.edge_jaccard(a, b),
        lambda a, b: analysis.nnstd(a, b),
        lambda a, b: analysis.driver_nodes(a),
        lambda a, b: analysis.degree_distribution(a),
        lambda a, b: analysis.layer_summary(a),
        lambda a, b: analysis.similarity_matrix([a, b, a.copy()]),
        lambda a, b: analysis.summarize_group([a, b], rng=0),
        lambda a, b: analysis.build_report([a, b], rng=0),
    ],
    ids=["aligned", "edge", "nnstd", "drivers", "degrees", "layers", "matrix", "summary", "report"],
)
def test_a_result_prints_in_one_short_line(pair, make):
    text = repr(make(*pair))
    assert "\n" not in text and len(text) < 1200, text[:300]  # before: up to ≈ 180 lines of arrays


def test_concise_repr_keeps_what_is_short_and_counts_what_is_not():
    j = analysis.aligned_jaccard(
        nx.DiGraph([((0, 0), (1, 0)), ((0, 1), (1, 1)), ((1, 0), (2, 0)), ((1, 1), (2, 1))]),
        nx.DiGraph([((0, 0), (1, 1)), ((0, 1), (1, 0)), ((1, 1), (2, 0)), ((1, 0), (2, 1))]),
    )
    assert (
        repr(j)
        == concise_repr(j)
        == (
            "Jaccard(value=1, intersection=4, union=4, sizes=(4, 4), densities=(0.5, 0.5), kind='aligned', raw=0, "
            "layer_values=(1, 1), permutations=<3 items>, raw_chance=0.333333)"
        )
    )
