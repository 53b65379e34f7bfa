"""Similarity of network topologies: Jaccard indices, neuron alignment, common subnetworks.

The Jaccard index of two sets is :math:`J(A, B) = |A \\cap B| / |A \\cup B|`; two empty sets
have :math:`J = 1` by convention here (they are equal). :func:`edge_jaccard` compares edge
sets as ``(u, v)`` pairs, :func:`node_jaccard` the sets of surviving (non-isolated) nodes.

Every Jaccard comes with its *chance level*: the expected Jaccard of two independent random
sets of densities :math:`d_1, d_2` in the same space,
:math:`d_1 d_2 / (d_1 + d_2 - d_1 d_2)` (:func:`chance_jaccard`). For the edges of layered
graphs over all layers, the random sets keep each block's density:
:math:`\\sum_l d_{1l} d_{2l} P_l / (n_1 + n_2 - \\sum_l d_{1l} d_{2l} P_l)` with :math:`P_l` the
possible edges of block :math:`l` (a dense output layer beside sparse hidden layers would
otherwise drag the chance level far below what random masks reach). A trained network is only
"similar" to another in as far as it beats that number.

Hidden neurons are interchangeable between training runs (permutation symmetry), so the raw
Jaccard of hidden layers across seeds sits near chance even for equivalent networks.
:func:`aligned_jaccard` first matches the hidden neurons of the second network to those of the
first, layer by layer, as NNSTD does (Liu et al. 2020).

Graphs are compared by node label. Layered graphs (see :mod:`analysis`) with the same layer
sizes and labels are compared on boolean masks over all possible edges; other directed graphs
on sorted integer edge keys. Layered graphs whose layer sizes differ cannot be compared edge by
edge and raise :class:`~netgraph.errors.ArchitectureMismatchError`. The *density* of an edge set
is its size over the possible edges: :math:`\\sum_l n_l n_{l+1}` for layered graphs (or one
block with ``layer``), :math:`N^2` (self-loops included) for other graphs; the density of a
node set is its size over the number of nodes.

Examples
--------
>>> import networkx as nx
>>> j = edge_jaccard(nx.DiGraph([("a", "b"), ("b", "c")]), nx.DiGraph([("b", "c"), ("c", "a")]))
>>> j.value, j.intersection, j.union
(0.3333333333333333, 1, 3)

References
----------
Liu, S., Van der Lee, T., Yaman, A., Atashgahi, Z., Ferraro, D., Sokar, G., Pechenizkiy, M. &
Mocanu, D. C. "Topological insights into sparse neural networks", ECML PKDD 2020 (NNSTD).
"""

import math
import numbers
from dataclasses import dataclass

import networkx as nx
import numpy as np

from netgraph.errors import ParameterError
from netgraph.fileio import jsonable
from netgraph.validation import Interval, check_choice, check_positive_int, check_rng

from ._align import align_pair, align_pair_task
from ._blocks import block_counts, check_comparable, check_graphs, check_labels
from ._common import count_histogram, edge_counts, min_count
from ._jaccard import Jaccard, independent_chance
from ._null import aligned_null, random_block
from ._pairs import PairBatch, local_pair_map
from ._results import concise_repr, frozen_array, provenance, result_dict
from ._space import edge_space, node_space, union_index
from ._structure import is_network

__all__ = [
    "Jaccard",
    "SimilarityMatrix",
    "chance_jaccard",
    "edge_jaccard",
    "node_jaccard",
    "aligned_jaccard",
    "aligned_chance_jaccard",
    "aligned_pairs",
    "alignment_cost",
    "ALIGN_SECONDS_PER_UNIT",
    "local_pair_map",
    "random_like",
    "similarity_matrix",
    "common_subnetwork",
    "CommonSubnetworkCurve",
    "common_subnetwork_curve",
]

_DENSITY = Interval(numbers.Real, 0, 1)
_SHARE = Interval(numbers.Real, 0, 1, closed="right")

_KINDS = ("edge", "node", "aligned")


@dataclass(frozen=True, eq=False)
class SimilarityMatrix:
    """Pairwise Jaccard indices of several graphs.

    Attributes
    ----------
    values : numpy.ndarray, shape (k, k)
        Symmetric, 1.0 on the diagonal (for ``kind="nnstd"``: distances, 0.0 on the diagonal).
    chance : numpy.ndarray, shape (k, k)
        Chance level of each pair (for ``kind="nnstd"``: the NNSTD of random networks).
    kind : {"edge", "node", "aligned", "nnstd"}
        ``"nnstd"`` only in :func:`~analysis.build_report`'s comparisons (:func:`~analysis.nnstd`
        of each pair); :func:`similarity_matrix` makes the other three.
    labels : tuple of str
    layer : int or None
    """

    values: np.ndarray
    chance: np.ndarray
    kind: str
    labels: tuple
    layer: int | None = None

    def __repr__(self):
        return concise_repr(self)

    def off_diagonal(self):
        """``(values, chance)`` of the pairs ``i < j`` as flat arrays."""
        iu = np.triu_indices(len(self.labels), k=1)
        return self.values[iu], self.chance[iu]

    @property
    def mean(self):
        """Mean over the pairs ``i < j`` (nan with fewer than two graphs)."""
        v, _ = self.off_diagonal()
        return float(v.mean()) if v.size else math.nan

    @property
    def mean_chance(self):
        """Mean chance level over the pairs ``i < j`` (nan with fewer than two graphs)."""
        _, c = self.off_diagonal()
        return float(c.mean()) if c.size else math.nan

    def to_dict(self):
        """JSON-safe dict of every field plus summary means and provenance."""
        return jsonable(
            {
                "kind": self.kind,
                "layer": self.layer,
                "labels": list(self.labels),
                "values": self.values,
                "chance": self.chance,
                "mean": self.mean,
                "mean_chance": self.mean_chance,
                "provenance": provenance("similarity_matrix", kind=self.kind, layer=self.layer),
            }
        )


def chance_jaccard(d1, d2):
    """Expected Jaccard index of two independent random sets of densities ``d1`` and ``d2``.

    Each of ``n`` possible items is in the first set with probability ``d1`` and in the second
    with probability ``d2``; for large ``n`` the Jaccard index tends to
    :math:`d_1 d_2 / (d_1 + d_2 - d_1 d_2)` (``d / (2 - d)`` for equal densities). Two empty
    sets give 1.0, matching the convention for :math:`J(\\emptyset, \\emptyset)`.

    Parameters
    ----------
    d1, d2 : float
        Densities in ``[0, 1]``.

    Returns
    -------
    float

    Examples
    --------
    >>> chance_jaccard(0.2, 0.2), chance_jaccard(0.0, 0.0)
    (0.1111111111111111, 1.0)
    """
    for name, d in (("d1", d1), ("d2", d2)):
        _DENSITY(d, name=name)
    return independent_chance(d1, d2)


# --------------------------------------------------------------------------- public functions


def edge_jaccard(G1, G2, *, layer=None):
    """Jaccard index of the edge sets of two directed graphs, with its chance level.

    .. math:: J = |E_1 \\cap E_2| / |E_1 \\cup E_2|

    over ``(u, v)`` pairs; two empty edge sets give 1.0.

    Parameters
    ----------
    G1, G2 : networkx.DiGraph
    layer : int, optional
        Only the edges from layer ``layer`` to ``layer + 1`` (layered graphs).

    Returns
    -------
    Jaccard

    Raises
    ------
    ArchitectureMismatchError
        If both graphs are layered with different layer sizes.
    GraphContractError
        If ``layer`` is given and a graph is not layered.

    Examples
    --------
    >>> import networkx as nx
    >>> G1 = nx.DiGraph([((0, 0), (1, 0)), ((0, 1), (1, 0))])
    >>> G2 = nx.DiGraph([((0, 1), (1, 0)), ((0, 1), (1, 1))])
    >>> G1.add_node((1, 1)); G2.add_node((0, 0))
    >>> j = edge_jaccard(G1, G2)
    >>> j.value, j.densities, round(j.chance, 4)
    (0.3333333333333333, (0.5, 0.5), 0.3333)
    >>> edge_jaccard(nx.DiGraph(), nx.DiGraph()).value
    1.0
    """
    structs = check_graphs([G1, G2])
    return edge_space(structs, layer=layer).jaccard(0, 1, kind="edge", layer=layer)


def node_jaccard(G1, G2, *, layer=None):
    """Jaccard index of the surviving (non-isolated) nodes of two graphs, with its chance level.

    Parameters
    ----------
    G1, G2 : networkx.DiGraph
    layer : int, optional
        Only the nodes of this layer (layered graphs).

    Returns
    -------
    Jaccard
        Two graphs without surviving nodes give 1.0.

    Raises
    ------
    ArchitectureMismatchError
        If both graphs are layered with different layer sizes.

    Examples
    --------
    >>> import networkx as nx
    >>> G1 = nx.DiGraph([(0, 1)]); G1.add_node(2)
    >>> G2 = nx.DiGraph([(1, 2)]); G2.add_node(0)
    >>> j = node_jaccard(G1, G2)
    >>> j.value, j.sizes
    (0.3333333333333333, (2, 2))
    """
    structs = check_graphs([G1, G2])
    return node_space(structs, layer=layer).jaccard(0, 1, kind="node", layer=layer)


def aligned_jaccard(G1, G2):
    """Edge Jaccard after matching the hidden neurons of ``G2`` to those of ``G1`` (NNSTD).

    Layer by layer from the first hidden layer, the neurons of ``G2`` are assigned one-to-one to
    those of ``G1`` with the Hungarian method (:func:`scipy.optimize.linear_sum_assignment`) on
    the cost ``1 - J(in_1(j), in_2(k))``, the Jaccard distance between the sets of incoming
    neighbours; ``G2``'s incoming sets are read through the permutation already found for the
    previous layer. Inputs and outputs stay fixed. The edge Jaccard of ``G1`` and the relabelled
    ``G2`` is returned, with the raw (unaligned) value, the aligned value of each block and the
    permutations. Neurons are compared by position within their layer.

    Parameters
    ----------
    G1, G2 : networkx.DiGraph
        Layered graphs with the same layer sizes.

    Returns
    -------
    Jaccard
        ``kind="aligned"``. Since the identity is one of the candidate permutations layer by
        layer, aligned values are usually, though not provably always, at least the raw ones.
        Its ``raw`` value comes with its chance level ``raw_chance``; its ``chance`` is None:
        alignment lifts random networks above the raw chance level, so an aligned value is
        compared with :func:`aligned_chance_jaccard` (which :func:`similarity_matrix` uses for
        ``kind="aligned"``).

    Raises
    ------
    GraphContractError
        If a graph is not layered.
    ArchitectureMismatchError
        If the layer sizes differ.

    References
    ----------
    Liu et al., "Topological insights into sparse neural networks", ECML PKDD 2020.

    Examples
    --------
    Two networks that differ only by swapping the two hidden neurons:

    >>> import networkx as nx
    >>> G1 = nx.DiGraph([((0, 0), (1, 0)), ((0, 1), (1, 1)), ((1, 0), (2, 0)), ((1, 1), (2, 1))])
    >>> G2 = nx.DiGraph([((0, 0), (1, 1)), ((0, 1), (1, 0)), ((1, 1), (2, 0)), ((1, 0), (2, 1))])
    >>> j = aligned_jaccard(G1, G2)
    >>> j.value, j.raw, j.permutations[1].tolist()
    (1.0, 0.0, [1, 0])
    """
    structs = check_graphs([G1, G2])
    for k, s in enumerate(structs):
        s.require_layered(name=f"G{k + 1}", blocks=True)
    check_comparable(structs)
    return align_pair(structs[0], structs[1])


#: Seconds per unit of :func:`alignment_cost` on the 2-core machine of docs/BENCHMARKS.md (measured by
#: ``scripts/bench_scale.py``: one alignment of two 4-layer networks took 0.15 s at width 1,000 and 2.5 s at
#: 3,000, the Hungarian step growing as the cube of a layer's width).
ALIGN_SECONDS_PER_UNIT = 3e-11


def alignment_cost(sizes):
    """The work of one alignment of two networks of ``sizes``: for each hidden layer ``n_l^2 (n_l + n_{l-1})``.

    The neuron matching of :func:`aligned_jaccard` and :func:`~analysis.nnstd` builds, per hidden
    layer, an ``n_l x n_l`` matrix of incoming-set overlaps (a product over ``n_{l-1}`` sources) and
    solves an assignment on it, both cubic in the width. Times :data:`ALIGN_SECONDS_PER_UNIT` it
    estimates the seconds, so that a long alignment can be announced before it starts.

    Examples
    --------
    >>> alignment_cost([784, 1000, 1000, 10])
    3784000000
    >>> round(alignment_cost([10000] * 4) * ALIGN_SECONDS_PER_UNIT)  # seconds, estimated
    120
    """
    sizes = [int(n) for n in sizes]
    return sum(sizes[l] ** 2 * (sizes[l] + sizes[l - 1]) for l in range(1, len(sizes) - 1))


def aligned_pairs(graphs, pairs=None, *, pair_map=None):
    """:func:`aligned_jaccard` of many pairs of networks, the alignments run through a *pair_map*.

    The block masks of each network are built once and passed to ``pair_map`` once, whatever
    the number of pairs it is in; ``pair_map`` aligns each pair (the slow part, see
    :func:`aligned_jaccard`) and this function assembles the results, adding the raw Jaccard
    and the chance level. Each value equals ``aligned_jaccard(graphs[a], graphs[b])`` field
    by field, bit for bit, for any pair_map that computes its tasks correctly.

    Parameters
    ----------
    graphs : sequence of networkx.DiGraph
        Layered graphs, all with the same layer sizes.
    pairs : sequence of (int, int), optional
        The pairs ``(a, b)`` to align (``graphs[b]``'s hidden neurons are matched to
        ``graphs[a]``'s); default every pair ``a < b``, in row order.
    pair_map : callable, optional
        How the pairs are run; the protocol is described in :func:`local_pair_map`, the
        default. Only networks in some pair are passed, one item each.

    Returns
    -------
    dict
        ``(a, b)`` -> :class:`Jaccard` (``kind="aligned"``), in the order of ``pairs``.

    Raises
    ------
    ParameterError
        If ``pairs`` is not a sequence of index pairs, or ``pair_map`` is not callable or does
        not return one result per pair.
    GraphContractError
        If a graph is not layered.
    ArchitectureMismatchError
        If the layer sizes differ; the message names the graphs.

    Examples
    --------
    A network, the same with its two hidden neurons swapped, and one that lost an edge:

    >>> import networkx as nx
    >>> G = nx.DiGraph([((0, 0), (1, 0)), ((0, 1), (1, 1)), ((1, 0), (2, 0)), ((1, 1), (2, 1))])
    >>> H = nx.relabel_nodes(G, {(1, 0): (1, 1), (1, 1): (1, 0)})
    >>> L = G.copy(); L.remove_edge((1, 1), (2, 1))
    >>> found = aligned_pairs([G, H, L])
    >>> [(pair, j.value, j.raw) for pair, j in found.items()]
    [((0, 1), 1.0, 0.0), ((0, 2), 0.75, 0.75), ((1, 2), 0.75, 0.0)]
    >>> found[(0, 1)].permutations[1].tolist()
    [1, 0]
    >>> aligned_pairs([G, H, L], [(2, 1)], pair_map=local_pair_map)[(2, 1)].value
    0.75
    """
    batch = PairBatch(graphs, pairs)
    if not batch.pairs:
        return {}
    return batch.aligned(batch.run(pair_map, align_pair_task))


def aligned_chance_jaccard(G1, G2, *, n_samples=3, rng=None):
    """Chance level of :func:`aligned_jaccard`: the aligned Jaccard of random networks.

    Alignment picks the best of many neuron permutations, so even two independent random
    networks score above the raw chance level :func:`chance_jaccard`. This draws
    ``n_samples`` pairs of random layered networks with exactly the per-block edge counts of
    ``G1`` and ``G2`` (edges placed uniformly within each block), aligns each pair the same
    way and returns the mean aligned Jaccard. An aligned value is informative only in as far
    as it exceeds this number.

    Parameters
    ----------
    G1, G2 : networkx.DiGraph
        Layered graphs with the same layer sizes.
    n_samples : int, optional
        Random pairs to average.
    rng : None, int or numpy.random.Generator, optional
        Source of randomness.

    Returns
    -------
    float

    Raises
    ------
    ParameterError
        If ``n_samples`` is not a positive int.
    ArchitectureMismatchError
        If the layer sizes differ.

    Examples
    --------
    Complete blocks align perfectly; half-full blocks align better than the raw chance 1/3:

    >>> import networkx as nx
    >>> full = nx.DiGraph([((0, i), (1, j)) for i in range(2) for j in range(2)])
    >>> aligned_chance_jaccard(full, full, rng=0)
    1.0
    >>> G = nx.DiGraph([((0, i), (1, j)) for i in range(6) for j in range(6) if (i + j) % 2])
    >>> G.add_edges_from(((1, j), (2, 0)) for j in range(6))
    >>> aligned_chance_jaccard(G, G, n_samples=5, rng=0) > chance_jaccard(0.5, 0.5)
    True
    """
    check_positive_int(n_samples, name="n_samples")
    structs = check_graphs([G1, G2])
    for k, st in enumerate(structs):
        st.require_layered(name=f"G{k + 1}", blocks=True)
    check_comparable(structs)
    return aligned_null(structs[0], structs[1], n_samples, check_rng(rng))


def random_like(G, *, rng=None):
    """A random layered graph with ``G``'s nodes and each block's edge count (a new graph).

    Edges of block ``l`` are placed uniformly among the ``n_l * n_{l+1}`` possible ones —
    the null model behind :func:`aligned_chance_jaccard`.

    Parameters
    ----------
    G : networkx.DiGraph
        A layered graph.
    rng : None, int or numpy.random.Generator, optional
        Source of randomness.

    Returns
    -------
    networkx.DiGraph

    Raises
    ------
    GraphContractError
        If ``G`` is not layered.

    Examples
    --------
    >>> import networkx as nx
    >>> G = nx.DiGraph([((0, 0), (1, 0)), ((0, 1), (1, 0)), ((1, 0), (2, 0))])
    >>> G.add_node((1, 1))
    >>> R = random_like(G, rng=0)
    >>> sorted(R.nodes) == sorted(G.nodes), R.number_of_edges()
    (True, 3)
    """
    st = check_graphs([G])[0]
    lay = st.require_layered(name="G")
    gen = check_rng(rng)
    R = nx.DiGraph()
    for layer in lay.nodes:
        R.add_nodes_from(layer)
    for l, m in enumerate(block_counts(st)):
        src, dst = np.nonzero(random_block(lay.sizes[l], lay.sizes[l + 1], m, gen))
        R.add_edges_from(
            zip(map(lay.nodes[l].__getitem__, src.tolist()), map(lay.nodes[l + 1].__getitem__, dst.tolist()))
        )
    return R


def similarity_matrix(graphs, *, kind="edge", labels=None, layer=None, rng=None, chance_samples=1):
    """Pairwise Jaccard indices of several graphs, with chance levels.

    For ``"edge"`` and ``"node"`` the chance level of a pair is :func:`chance_jaccard` of its
    densities. For ``"aligned"`` it is :func:`aligned_chance_jaccard` (random networks with the
    pair's per-block edge counts, aligned the same way), estimated once per distinct pair of
    per-block densities (rounded to 2 significant digits), since alignment lifts random
    networks above the raw chance level too.

    Parameters
    ----------
    graphs : sequence of networkx.DiGraph
    kind : {"edge", "node", "aligned"}, optional
        :func:`edge_jaccard`, :func:`node_jaccard` or :func:`aligned_jaccard`.
    labels : sequence of str, optional
        A name per graph (default ``"0"``, ``"1"``, ...).
    layer : int, optional
        Restrict ``"edge"`` to one block, ``"node"`` to one layer (not for ``"aligned"``).
    rng : None, int or numpy.random.Generator, optional
        Randomness of the aligned chance level (``"aligned"`` only).
    chance_samples : int, optional
        Random pairs per aligned chance estimate.

    Returns
    -------
    SimilarityMatrix

    Raises
    ------
    ParameterError
        If ``kind`` is unknown, ``labels`` has the wrong length or ``layer`` is given with
        ``kind="aligned"``.
    ArchitectureMismatchError
        If two layered graphs have different layer sizes; the message names them.

    Examples
    --------
    >>> import networkx as nx
    >>> gs = [nx.DiGraph([(0, 1), (1, 2)]), nx.DiGraph([(0, 1)]), nx.DiGraph([(1, 2)])]
    >>> m = similarity_matrix(gs, labels=["a", "b", "c"])
    >>> m.values.tolist()
    [[1.0, 0.5, 0.5], [0.5, 1.0, 0.0], [0.5, 0.0, 1.0]]
    """
    check_choice(kind, _KINDS, name="kind")
    structs = check_graphs(graphs)
    labels = check_labels(graphs, labels)
    k = len(structs)
    values = np.eye(k)
    chance = np.eye(k)
    if kind == "aligned":
        if layer is not None:
            raise ParameterError(f"layer={layer!r} cannot be used with kind='aligned' (alignment spans all layers)")
        for i, s in enumerate(structs):
            s.require_layered(name=f"graphs[{i}]", blocks=True)
        check_comparable(structs, labels)
        check_positive_int(chance_samples, name="chance_samples")
        gen = check_rng(rng)
        space = edge_space(structs)
        possible = [np.array(st.layered.sizes[:-1]) * np.array(st.layered.sizes[1:]) for st in structs]
        density_keys = [
            tuple(float(f"{d:.2g}") for d in np.array(block_counts(st)) / p) for st, p in zip(structs, possible)
        ]
        nulls = {}
        for a in range(k):
            chance[a, a] = space.jaccard(a, a, kind="edge", layer=None).chance
            for b in range(a + 1, k):
                raw = space.jaccard(a, b, kind="edge", layer=None).value
                j = align_pair(structs[a], structs[b], raw=raw)
                values[a, b] = values[b, a] = j.value
                key = tuple(sorted((density_keys[a], density_keys[b])))
                if key not in nulls:
                    nulls[key] = aligned_null(structs[a], structs[b], chance_samples, gen)
                chance[a, b] = chance[b, a] = nulls[key]
    else:
        make = edge_space if kind == "edge" else node_space
        space = make(structs, layer=layer, labels=labels)
        for a in range(k):
            chance[a, a] = space.jaccard(a, a, kind=kind, layer=layer).chance
            for b in range(a + 1, k):
                j = space.jaccard(a, b, kind=kind, layer=layer)
                values[a, b] = values[b, a] = j.value
                chance[a, b] = chance[b, a] = j.chance
    return SimilarityMatrix(
        values=frozen_array(values), chance=frozen_array(chance), kind=kind, labels=labels, layer=layer
    )


@dataclass(frozen=True, eq=False)
class CommonSubnetworkCurve:
    """Size of the common subnetwork for every possible ``min_share``.

    Attributes
    ----------
    n_graphs : int
        Number of graphs ``k``.
    shares : numpy.ndarray of float
        ``t / k`` for ``t = 1 .. k``.
    edges : numpy.ndarray of int64
        ``edges[t - 1]`` = number of edges present in at least ``t`` graphs, i.e. the size of
        ``common_subnetwork(graphs, min_share=t / k)``.
    labels : tuple of str
    """

    n_graphs: int
    shares: np.ndarray
    edges: np.ndarray
    labels: tuple

    def __repr__(self):
        return concise_repr(self)

    def to_dict(self):
        """JSON-safe dict of every field plus provenance."""
        return result_dict(self, "common_subnetwork_curve")


def common_subnetwork_curve(graphs, *, labels=None):
    """Number of edges present in at least ``t`` of the graphs, for ``t = 1 .. k``.

    Parameters
    ----------
    graphs : sequence of networkx.DiGraph
    labels : sequence of str, optional

    Returns
    -------
    CommonSubnetworkCurve

    Raises
    ------
    ArchitectureMismatchError
        If two layered graphs have different layer sizes.

    Examples
    --------
    >>> import networkx as nx
    >>> gs = [nx.DiGraph([(0, 1), (1, 2)]), nx.DiGraph([(0, 1)]), nx.DiGraph([(0, 1), (2, 0)])]
    >>> c = common_subnetwork_curve(gs)
    >>> c.edges.tolist()
    [3, 1, 1]
    """
    structs = check_graphs(graphs)
    labels = check_labels(graphs, labels)
    k = len(structs)
    hist = count_histogram(structs, labels)
    edges = np.cumsum(hist[::-1])[::-1][1:]
    return CommonSubnetworkCurve(
        n_graphs=k,
        shares=frozen_array(np.arange(1, k + 1) / k),
        edges=frozen_array(edges, np.int64),
        labels=labels,
    )


def _check_share(min_share):
    return _SHARE(min_share, name="min_share")


def common_subnetwork(graphs, *, min_share=1.0):
    """The edges present in at least a share ``min_share`` of the graphs.

    Parameters
    ----------
    graphs : sequence of networkx.DiGraph
    min_share : float, optional
        In ``(0, 1]``; an edge is kept when it is in at least ``ceil(min_share * k)`` of the
        ``k`` graphs. The default 1.0 keeps the edges common to all of them.

    Returns
    -------
    networkx.DiGraph
        A new graph with every node of the inputs (layered graphs: the nodes of ``graphs[0]``
        with their ``layer``, ``index`` and ``role`` attributes), the kept edges with attributes
        ``count`` (graphs holding the edge) and ``share`` (``count / k``), and graph attributes
        ``n_graphs``, ``min_share`` and, for layered graphs, ``layer_sizes``. No weights: they
        differ between the graphs.

    Raises
    ------
    ParameterError
        If ``min_share`` is not in ``(0, 1]`` or ``graphs`` is empty.
    ArchitectureMismatchError
        If two layered graphs have different layer sizes.

    Examples
    --------
    >>> import networkx as nx
    >>> gs = [nx.DiGraph([(0, 1), (1, 2)]), nx.DiGraph([(0, 1)]), nx.DiGraph([(0, 1), (2, 0)])]
    >>> sorted(common_subnetwork(gs).edges)
    [(0, 1)]
    >>> sorted(common_subnetwork(gs, min_share=0.3).edges(data="count"))
    [(0, 1, 3), (1, 2, 1), (2, 0, 1)]
    """
    min_share = _check_share(min_share)
    structs = check_graphs(graphs)
    k = len(structs)
    space, keys, counts = edge_counts(structs)
    keep = counts >= min_count(min_share, k)
    H = nx.DiGraph(n_graphs=k, min_share=min_share)
    if space.layered:
        lay = structs[0].layered
        H.graph["layer_sizes"] = list(lay.sizes)
        G0 = graphs[0]
        if is_network(G0):  # the node attributes to_graph would give
            last = len(lay.sizes) - 1
            roles = ["input"] + ["hidden"] * (last - 1) + ["output"]
            H.add_nodes_from(((l, i), {"layer": l, "index": i, "role": roles[l]}) for l, i in structs[0].nodes)
        else:
            H.add_nodes_from(
                (n, {a: G0.nodes[n][a] for a in ("layer", "index", "role") if a in G0.nodes[n]})
                for n in structs[0].nodes
            )
    else:
        H.add_nodes_from(union_index(structs)[0])
    edges = space.decode(keys[keep])
    c = counts[keep].tolist()
    H.add_edges_from((u, v, {"count": n, "share": n / k}) for (u, v), n in zip(edges, c))
    return H
