"""Cross-seed summaries: how alike the networks of one group (one configuration, many seeds) are.

:func:`summarize_group` compares a group of layered networks of one architecture, usually the
final networks of one training configuration across seeds, and returns a
:class:`GroupSummary`: mean pairwise edge Jaccard per block and overall, raw and at the chance
level of independent random masks of the same densities; the mean after NNSTD neuron alignment
(:func:`~analysis.aligned_jaccard`) and its *aligned random baseline*; the mean NNSTD
(:func:`~analysis.nnstd`, a distance) and the same random baseline for it; the common subnetwork at
several ``min_share`` with its chance expectation; the correlation of the input units'
out-degrees; driver nodes against the width bound; degree statistics.

The aligned random baseline is the one :func:`~analysis.build_report` states for every
comparison, so a group summarised alone and the same group in a report (with the same ``rng``)
carry the same numbers: every network gets one random network with its nodes and its edge count
per block (edges placed uniformly within each block, the null model of
:func:`~analysis.random_like`), drawn from ``rng`` network by network, and the random networks
are aligned pairwise like the real ones; ``aligned_null`` is the mean over those pairs.
Alignment lifts random networks above the raw chance level too, so this, not
:func:`~analysis.chance_jaccard`, is what an aligned value is compared with. ``nnstd_null`` is
the mean NNSTD of the same pairs of random networks (each pair's two measures computed in one
task): a group's networks resemble each other in their topology only in as far as their NNSTD
is below it.

Examples
--------
Two copies of one network whose two hidden neurons are swapped: the raw Jaccard sees two
different networks, the aligned one sees the same network twice.

>>> import networkx as nx
>>> G = nx.DiGraph([((0, 0), (1, 0)), ((0, 1), (1, 1)), ((1, 0), (2, 0)), ((1, 1), (2, 0))])
>>> H = nx.relabel_nodes(G, {(1, 0): (1, 1), (1, 1): (1, 0)})
>>> s = summarize_group([G, H], method="demo", rng=0)
>>> s.edge["overall"], s.aligned["overall"], s.nnstd["overall"], s.common_edges
(0.3333333333333333, 1.0, 0.0, {'1.0': 2, '0.8': 2})
"""

from ._group import MIN_SHARES, GroupSummary, compute_group
from ._pairs import check_pair_map

__all__ = ["GroupSummary", "summarize_group", "MIN_SHARES"]

#: The pair task of the random baseline, bound at the address its pickles carry (see
#: :func:`analysis._null.null_values`).


def summarize_group(graphs, *, method=None, aligned=True, rng=None, pair_map=None):
    """Cross-seed similarity, controllability and degree statistics of a group of networks.

    Parameters
    ----------
    graphs : sequence of networkx.DiGraph
        At least two layered graphs of one architecture (e.g. the ``final.pt`` of each seed of
        one configuration, via :func:`netgraph.to_graph`).
    method : str, optional
        Name of the group; default ``meta["method"]`` of the first graph.
    aligned : bool, optional
        Align every pair, for the aligned Jaccard and the NNSTD (the slowest part); False leaves
        ``aligned``, ``aligned_null``, ``nnstd`` and ``nnstd_null`` nan.
    rng : None, int or numpy.random.Generator, optional
        Draws the random networks of the aligned baseline (see the module docstring); an int
        repeats the draw, and :func:`~analysis.build_report` with the same int states the same
        baseline for this group.
    pair_map : callable, optional
        How the pairs are aligned, the real networks' (aligned Jaccard and NNSTD of a pair in
        one task) and the random ones' (drawn here, from ``rng``, before any is aligned); the protocol is
        described in :func:`~analysis.local_pair_map`, the default. The numbers do not depend
        on it.

    Returns
    -------
    GroupSummary

    Raises
    ------
    ParameterError
        If fewer than two graphs are given, or ``pair_map`` is not callable or does not return
        one result per pair.
    GraphContractError
        If a graph is not layered.
    ArchitectureMismatchError
        If the layer sizes differ.

    Examples
    --------
    Five networks, one lacking an edge the other four share: that edge is in the common
    subnetwork at ``min_share`` 0.8 (4 of 5), not at 1.0.

    >>> import networkx as nx
    >>> edges = [((0, 0), (1, 0)), ((0, 1), (1, 1)), ((1, 0), (2, 0)), ((1, 1), (2, 0))]
    >>> gs = [nx.DiGraph(edges) for _ in range(4)] + [nx.DiGraph(edges[:3])]
    >>> gs[4].add_node((1, 1))
    >>> s = summarize_group(gs, method="five", rng=0)
    >>> s.common_edges, s.connections, s.driver_fraction
    ({'1.0': 3, '0.8': 4}, [2.0, 1.8], 0.4)
    """
    check_pair_map(pair_map)
    return compute_group(graphs, method=method, aligned=aligned, rng=rng, pair_map=pair_map).summary
