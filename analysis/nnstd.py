"""Neural Network Sparse Topology Distance (NNSTD, Liu et al. 2020), as its authors compute it.

NNSTD compares two layered networks of the same layer sizes layer by layer. Each weight layer
``l`` is a binary incidence matrix, sources x targets. For a target neuron ``j`` of the first
network and ``k`` of the second, with incoming sets :math:`A` (sources of ``j``) and :math:`B`
(sources of ``k``, read through the matching of the layer below), the cost is the normalised
edit distance

.. math:: c(A, B) = \\frac{|A \\setminus B| + |B \\setminus A|}{|A \\cup B|},

0 for two empty sets and 1 for disjoint ones. The targets of the two networks are matched
one-to-one at least total cost (:func:`scipy.optimize.linear_sum_assignment`, rows the first
network's targets), the layer distance is the matched cost over the number of targets, and the
matching relabels the sources of the next layer of the second network. Every layer is matched,
the output layer included; the inputs are not permuted. NNSTD is the mean of the layer
distances: 0 for networks equal up to a relabelling of their hidden and output neurons, 1 when
no neuron shares a source with its partner.

The numbers equal those of the authors' public code (``sparse_topology_distance.py`` of
Shiweiliuiiiiiii/Sparse_Topology_Distance) bit for bit: the same cost matrix (the cost is the
float64 quotient of the two integer counts, not ``1 - J``), the same assignment, the same sums.
Here the cost matrix of a layer is computed at once from the intersection counts, a product of
the two incidence matrices, instead of set by set.

Unlike :func:`~analysis.aligned_jaccard`, which keeps the outputs fixed (they are the same
classes in every network) and scores the aligned edge sets by a Jaccard index (higher = more
similar), NNSTD is a distance (lower = more similar) that also matches the outputs.

Examples
--------
Two networks whose hidden neurons are swapped and whose output neurons are swapped too:

>>> import networkx as nx
>>> G1 = nx.DiGraph([((0, 0), (1, 0)), ((0, 1), (1, 1)), ((1, 0), (2, 0)), ((1, 1), (2, 1))])
>>> G2 = nx.relabel_nodes(G1, {(1, 0): (1, 1), (1, 1): (1, 0), (2, 0): (2, 1), (2, 1): (2, 0)})
>>> d = nnstd(G1, G2)
>>> d.value, d.per_layer, [p.tolist() for p in d.permutations]
(0.0, (0.0, 0.0), [[0, 1], [1, 0], [1, 0]])

References
----------
Liu, S., Van der Lee, T., Yaman, A., Atashgahi, Z., Ferraro, D., Sokar, G., Pechenizkiy, M. &
Mocanu, D. C. "Topological insights into sparse neural networks", ECML PKDD 2020.
"""

from ._blocks import block_masks, check_comparable, check_graphs
from ._nnstd_kernel import NNSTD, nnstd_pair_task, nnstd_result
from ._pairs import PairBatch

__all__ = ["NNSTD", "nnstd", "nnstd_pairs"]


def nnstd(G1, G2):
    """The Neural Network Sparse Topology Distance of two layered networks (Liu et al. 2020).

    Layer by layer from the first weight layer, the target neurons of ``G2`` are matched
    one-to-one to those of ``G1`` at least total normalised edit distance between their sets
    of incoming neighbours (see :mod:`analysis.nnstd`), ``G2``'s incoming sets read through the
    matching of the layer below; the output layer is matched too, the inputs are not permuted.

    .. math:: \\mathrm{NNSTD} = \\frac{1}{L} \\sum_{l=0}^{L-1} \\frac{1}{n_{l+1}}
              \\min_{\\pi} \\sum_j c\\bigl(\\mathrm{in}_1(j), \\mathrm{in}_2(\\pi(j))\\bigr),
              \\qquad c(A, B) = \\frac{|A \\setminus B| + |B \\setminus A|}{|A \\cup B|}

    Neurons are compared by position within their layer.

    Parameters
    ----------
    G1, G2 : networkx.DiGraph
        Layered graphs with the same layer sizes.

    Returns
    -------
    NNSTD
        A distance: 0.0 for equal networks, lower = more similar. Not symmetric in every
        case: where a layer has several best matchings, the one chosen shapes the layers above.

    Raises
    ------
    ParameterError
        If a graph is not a networkx directed graph.
    GraphContractError
        If a graph is not layered.
    ArchitectureMismatchError
        If the layer sizes differ.

    Notes
    -----
    The numbers are those of the authors' public code bit for bit (tested against a literal
    set-by-set implementation of it): the cost of two incoming sets is the float64 quotient of
    the integer counts ``|A \\ B| + |B \\ A|`` and ``|A ∪ B|`` (not ``1 - J``, which can differ in
    the last bit), 0.0 for two empty sets; a layer's distance is
    ``cost[rows, cols].sum() / n_{l+1}`` with ``rows, cols = linear_sum_assignment(cost)``,
    and the network's the numpy mean of the layer distances. Its permutation convention:
    row ``j`` of ``G2``'s next block becomes ``G2``'s row ``cols[j]``.

    References
    ----------
    Liu et al., "Topological insights into sparse neural networks", ECML PKDD 2020.

    Examples
    --------
    A 2-2-1 network and one whose second hidden neuron lost its input: the hidden neurons
    pair up at costs 0 and 1 (layer distance 1/2), the output at cost 0.

    >>> import networkx as nx
    >>> G1 = nx.DiGraph([((0, 0), (1, 0)), ((0, 1), (1, 1)), ((1, 0), (2, 0)), ((1, 1), (2, 0))])
    >>> G2 = G1.copy(); G2.remove_edge((0, 1), (1, 1))
    >>> d = nnstd(G1, G2)
    >>> d.value, d.per_layer
    (0.25, (0.5, 0.0))
    >>> d.to_dict()["provenance"]["function"]
    'analysis.nnstd'
    """
    structs = check_graphs([G1, G2])
    for k, st in enumerate(structs):
        st.require_layered(name=f"G{k + 1}", blocks=True)
    check_comparable(structs)
    sizes = structs[0].layered.sizes
    return nnstd_result(nnstd_pair_task(block_masks(structs[0]), block_masks(structs[1]), sizes), sizes)


def nnstd_pairs(graphs, pairs=None, *, pair_map=None):
    """:func:`nnstd` of many pairs of networks, run through a *pair_map*.

    As :func:`~analysis.aligned_pairs`: the block masks of each network are built once and
    passed to ``pair_map`` once, whatever the number of pairs it is in. Each value equals
    ``nnstd(graphs[a], graphs[b])`` field by field, bit for bit, for any pair_map that computes
    its tasks correctly.

    Parameters
    ----------
    graphs : sequence of networkx.DiGraph
        Layered graphs, all with the same layer sizes.
    pairs : sequence of (int, int), optional
        The pairs ``(a, b)`` (``graphs[b]``'s neurons are matched to ``graphs[a]``'s); default
        every pair ``a < b``, in row order.
    pair_map : callable, optional
        How the pairs are run; the protocol is described in :func:`~analysis.local_pair_map`,
        the default.

    Returns
    -------
    dict
        ``(a, b)`` -> :class:`NNSTD`, in the order of ``pairs``.

    Raises
    ------
    ParameterError
        If ``pairs`` is not a sequence of index pairs, or ``pair_map`` is not callable or does
        not return one result per pair.
    GraphContractError
        If a graph is not layered.
    ArchitectureMismatchError
        If the layer sizes differ.

    Examples
    --------
    >>> import networkx as nx
    >>> G = nx.DiGraph([((0, 0), (1, 0)), ((0, 1), (1, 1)), ((1, 0), (2, 0)), ((1, 1), (2, 0))])
    >>> L = G.copy(); L.remove_edge((0, 1), (1, 1))
    >>> [(pair, d.value) for pair, d in nnstd_pairs([G, G.copy(), L]).items()]
    [((0, 1), 0.0), ((0, 2), 0.25), ((1, 2), 0.25)]
    """
    batch = PairBatch(graphs, pairs)
    if not batch.pairs:
        return {}
    results = batch.run(pair_map, nnstd_pair_task)
    return {pair: nnstd_result(r, batch.sizes) for pair, r in zip(batch.pairs, results)}


#: The pair task of a report's pass (aligned Jaccard and NNSTD of a pair in one task), bound at the
#: address its pickles carry (see :func:`analysis._pairs.aligned_nnstd_task`).
