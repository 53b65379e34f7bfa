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
from collections.abc import Sequence
from dataclasses import dataclass

import networkx as nx
import numpy as np
from scipy.optimize import linear_sum_assignment

from netgraph.errors import ArchitectureMismatchError, ParameterError
from netgraph.fileio import jsonable
from netgraph.validation import check_choice, check_positive_int, check_rng

from ._results import concise_repr, frozen_array, provenance, result_dict
from ._structure import MASK_LIMIT, is_network, structure

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

_KINDS = ("edge", "node", "aligned")


@dataclass(frozen=True, eq=False)
class Jaccard:
    """A Jaccard index with its chance level.

    Attributes
    ----------
    value : float
        ``intersection / union`` (1.0 when both sets are empty).
    chance : float or None
        The baseline of ``value``: its expected value for independent random sets of the same
        densities. None for ``kind="aligned"``: alignment lifts random networks above that
        level, so an aligned value's baseline is :func:`aligned_chance_jaccard` (which
        :func:`similarity_matrix` and the reports use); ``raw_chance`` is the baseline of ``raw``.
    intersection, union : int
    sizes : tuple of int
        Sizes of the two sets.
    densities : tuple of float
        Sizes over the possible edges (or nodes).
    kind : {"edge", "node", "aligned"}
    layer : int or None
    raw : float or None
        For ``kind="aligned"``: the edge Jaccard before alignment.
    raw_chance : float or None
        For ``kind="aligned"``: the chance level of ``raw`` (random networks of these block
        densities, not aligned).
    layer_values : tuple of float or None
        For ``kind="aligned"``: the aligned Jaccard of each block ``l -> l + 1``.
    permutations : tuple of numpy.ndarray or None
        For ``kind="aligned"``: per layer, ``perm[k]`` is the position in the first graph that
        neuron ``k`` of the second graph is matched to (identity for inputs and outputs).
    """

    value: float
    chance: float | None
    intersection: int
    union: int
    sizes: tuple
    densities: tuple
    kind: str
    layer: int | None = None
    raw: float | None = None
    layer_values: tuple | None = None
    permutations: tuple | None = None
    raw_chance: float | None = None

    def __float__(self):
        return float(self.value)

    def __repr__(self):
        return concise_repr(self)

    def to_dict(self):
        """JSON-safe dict of every field plus provenance."""
        fn = {"edge": "edge_jaccard", "node": "node_jaccard", "aligned": "aligned_jaccard"}[self.kind]
        return result_dict(self, fn, layer=self.layer)


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
        if isinstance(d, bool) or not isinstance(d, numbers.Real) or not 0.0 <= d <= 1.0:
            raise ParameterError(f"{name} == {d!r}, must be a density in [0, 1]")
    den = d1 + d2 - d1 * d2
    return 1.0 if den == 0 else float(d1 * d2 / den)


# --------------------------------------------------------------------------- edge/node sets


class _Space:
    """Edge or node sets of several graphs in one comparable representation.

    ``sets[k]`` is a boolean mask over all possible items (mode "mask") or a sorted array of
    unique int64 keys (mode "keys"); ``possible[k]`` is the size of graph k's space.
    """

    def __init__(self, mode, sets, possible, decode, *, layered=False, offsets=None):
        self.mode, self.sets, self.possible, self.decode = mode, sets, possible, decode
        self.layered = layered
        # block boundaries of a layered edge space: the chance level is then taken block by block
        self.offsets = None if offsets is None else np.asarray(offsets, dtype=np.int64)

    def block_sizes(self, k):
        s = self.sets[k]
        if self.mode == "mask":
            return np.array([np.count_nonzero(s[a:b]) for a, b in zip(self.offsets[:-1], self.offsets[1:])])
        return np.diff(np.searchsorted(s, self.offsets))

    def chance(self, a, b, d1, d2):
        """Expected Jaccard of independent random sets with the same (per-block) densities."""
        if self.offsets is None or len(self.offsets) <= 2:
            return chance_jaccard(d1, d2)
        return _blockwise_chance(self.block_sizes(a), self.block_sizes(b), np.diff(self.offsets))

    def size(self, k):
        s = self.sets[k]
        return int(np.count_nonzero(s)) if self.mode == "mask" else int(s.size)

    def intersection(self, a, b):
        if self.mode == "mask":
            return int(np.count_nonzero(self.sets[a] & self.sets[b]))
        x, y = self.sets[a], self.sets[b]
        if x.size > y.size:
            x, y = y, x
        if not x.size or not y.size:
            return 0
        idx = np.searchsorted(y, x)
        idx[idx == y.size] = 0
        return int(np.count_nonzero(y[idx] == x))

    def jaccard(self, a, b, *, kind, layer):
        n1, n2 = self.size(a), self.size(b)
        inter = self.intersection(a, b)
        union = n1 + n2 - inter
        d1 = n1 / self.possible[a] if self.possible[a] else 0.0
        d2 = n2 / self.possible[b] if self.possible[b] else 0.0
        return Jaccard(
            value=inter / union if union else 1.0,
            chance=self.chance(a, b, d1, d2),
            intersection=inter,
            union=union,
            sizes=(n1, n2),
            densities=(d1, d2),
            kind=kind,
            layer=layer,
        )


def _blockwise_chance(n1, n2, possible):
    """Chance Jaccard of random edge sets keeping each block's edge count (see module docs)."""
    n1, n2 = np.asarray(n1, dtype=float), np.asarray(n2, dtype=float)
    inter = float(np.sum(n1 * n2 / np.asarray(possible, dtype=float)))  # sum of d1_l * d2_l * P_l
    union = float(n1.sum() + n2.sum()) - inter
    return 1.0 if union <= 0 else inter / union


def _labels(graphs, labels):
    if labels is None:
        return tuple(str(k) for k in range(len(graphs)))
    labels = tuple(str(x) for x in labels)
    if len(labels) != len(graphs):
        raise ParameterError(f"labels has {len(labels)} entries, expected {len(graphs)} (one per graph)")
    return labels


def _check_graphs(graphs, *, minimum=1):
    if isinstance(graphs, nx.Graph) or not isinstance(graphs, Sequence):
        raise ParameterError(f"graphs is a {type(graphs).__name__}, expected a sequence of networkx.DiGraph")
    if len(graphs) < minimum:
        raise ParameterError(f"graphs has {len(graphs)} entries, expected at least {minimum}")
    return [structure(G, name=f"graphs[{k}]") for k, G in enumerate(graphs)]


def _check_comparable(structs, labels=None):
    """Raise ArchitectureMismatchError if two layered graphs have different layer sizes."""
    layered = [(k, s.layered.sizes) for k, s in enumerate(structs) if s.layered is not None]
    if len(layered) < len(structs):
        return False
    k0, sizes0 = layered[0]
    for k, sizes in layered[1:]:
        if sizes != sizes0:
            name = (lambda i: f"{i} ({labels[i]!r})") if labels else str
            raise ArchitectureMismatchError(
                f"graphs {name(k0)} and {name(k)} have layer sizes {list(sizes0)} and {list(sizes)}: "
                "they cannot be compared edge by edge"
            )
    return all(s.layered.nodes == structs[0].layered.nodes for s in structs)


def _union_index(structs):
    first = structs[0]
    if all(s.nodes == first.nodes for s in structs[1:]):
        return first.nodes, [None] * len(structs)
    nodes = list(first.nodes)
    index = dict(first.index)
    maps = []
    for s in structs:
        for v in s.nodes:
            if v not in index:
                index[v] = len(nodes)
                nodes.append(v)
        maps.append(np.fromiter((index[v] for v in s.nodes), dtype=np.int64, count=s.n_nodes))
    return tuple(nodes), maps


def _use_masks(possible, structs):
    """Whether edge sets are boolean masks (a byte per possible edge) rather than keys (eight per present one)."""
    return possible <= MASK_LIMIT or all(possible <= 8 * s.n_edges for s in structs)


def _edge_space(structs, *, layer=None, labels=None):
    same_layers = _check_comparable(structs, labels)
    if same_layers:
        lay = structs[0].layered
        if layer is not None:
            layer = _check_block(layer, len(lay.sizes) - 1)
            lo, hi = int(lay.offsets[layer]), int(lay.offsets[layer + 1])
        else:
            lo, hi = 0, lay.possible
        if _use_masks(lay.possible, structs):
            mode, sets = "mask", [s.flat_mask[lo:hi] for s in structs]
        else:
            mode, sets = "keys", []
            for s in structs:
                a, b = np.searchsorted(s.layer_keys, [lo, hi])
                part = s.layer_keys[a:b]
                sets.append(part - lo if lo else part)  # a view where no shift is needed

        def decode(keys):
            keys = np.asarray(keys, dtype=np.int64) + lo
            l = np.searchsorted(lay.offsets, keys, side="right") - 1
            widths = np.asarray(lay.sizes, dtype=np.int64)[np.minimum(l + 1, len(lay.sizes) - 1)]
            i, j = np.divmod(keys - lay.offsets[l], widths)
            return [(lay.nodes[a][b], lay.nodes[a + 1][c]) for a, b, c in zip(l.tolist(), i.tolist(), j.tolist())]

        offsets = lay.offsets if layer is None else [0, hi - lo]
        return _Space(mode, sets, [hi - lo] * len(structs), decode, layered=True, offsets=offsets)
    if layer is not None:
        for k, s in enumerate(structs):
            s.require_layered(name=f"graphs[{k}]")
        raise ArchitectureMismatchError("layered graphs with different node labels cannot be compared by layer")
    nodes, maps = _union_index(structs)
    n = len(nodes)
    sets = []
    for s, m in zip(structs, maps):
        if m is None:
            sets.append(s.edge_keys)
        else:
            keys = m[s.sources] * n + m[s.indices]
            keys.sort()
            sets.append(keys)

    def decode(keys):
        u, v = np.divmod(np.asarray(keys, dtype=np.int64), n)
        return [(nodes[a], nodes[b]) for a, b in zip(u.tolist(), v.tolist())]

    return _Space("keys", sets, [s.n_nodes**2 for s in structs], decode)


def _node_space(structs, *, layer=None, labels=None):
    same_layers = _check_comparable(structs, labels)
    if same_layers:
        lay = structs[0].layered
        starts = np.concatenate([[0], np.cumsum(lay.sizes)]).astype(np.int64)
        if layer is not None:
            layer = _check_layer(layer, len(lay.sizes))
            lo, hi = int(starts[layer]), int(starts[layer + 1])
        else:
            lo, hi = 0, int(starts[-1])
        sets = []
        for s in structs:
            alive = np.zeros(int(starts[-1]), dtype=bool)
            alive[starts[s.layered.layer] + s.layered.pos] = (s.in_degree + s.out_degree) > 0
            sets.append(alive[lo:hi])
        return _Space("mask", sets, [hi - lo] * len(structs), None)
    if layer is not None:
        for k, s in enumerate(structs):
            s.require_layered(name=f"graphs[{k}]")
        raise ArchitectureMismatchError("layered graphs with different node labels cannot be compared by layer")
    nodes, maps = _union_index(structs)
    sets = []
    for s, m in zip(structs, maps):
        ids = np.flatnonzero((s.in_degree + s.out_degree) > 0)
        sets.append(np.sort(ids if m is None else m[ids]))
    return _Space("keys", sets, [s.n_nodes for s in structs], None)


def _check_layer(layer, n_layers, *, name="layer"):
    if isinstance(layer, bool) or not isinstance(layer, (int, np.integer)) or not 0 <= layer < n_layers:
        raise ParameterError(f"{name}={layer!r}, expected None or an int in [0, {n_layers - 1}]")
    return int(layer)


def _check_block(layer, n_blocks):
    if isinstance(layer, bool) or not isinstance(layer, (int, np.integer)) or not 0 <= layer < n_blocks:
        raise ParameterError(
            f"layer={layer!r}, expected None or an int in [0, {n_blocks - 1}] (edges from layer l to l + 1)"
        )
    return int(layer)


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
    structs = _check_graphs([G1, G2])
    return _edge_space(structs, layer=layer).jaccard(0, 1, kind="edge", layer=layer)


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
    structs = _check_graphs([G1, G2])
    return _node_space(structs, layer=layer).jaccard(0, 1, kind="node", layer=layer)


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
    structs = _check_graphs([G1, G2])
    for k, s in enumerate(structs):
        s.require_layered(name=f"G{k + 1}", blocks=True)
    _check_comparable(structs)
    return _aligned(structs[0], structs[1])


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


def _align_blocks(blocks1, blocks2, sizes):
    """Align boolean source x target blocks of two layered networks (the NNSTD core).

    Returns ``(intersection, n1, n2, layer_values, perms)`` of the aligned edge sets.
    """
    n_blocks = len(sizes) - 1
    perm = np.arange(sizes[0])
    perms = [perm]
    inter_total = n1 = n2 = 0
    layer_values = []
    for l in range(n_blocks):
        A1 = blocks1[l]
        A2 = blocks2[l]
        B = np.empty_like(A2)
        B[perm] = A2  # row perm[k] of B = row k of A2 (sources relabelled)
        if l + 1 < n_blocks:  # hidden target layer: match neurons by incoming sets
            a1 = A1.astype(np.float32)
            b = B.astype(np.float32)
            inter = a1.T @ b  # [j of G1, k of G2]
            c1, c2 = a1.sum(axis=0), b.sum(axis=0)
            union = c1[:, None] + c2[None, :] - inter
            with np.errstate(invalid="ignore", divide="ignore"):
                jac = np.where(union > 0, inter / union, 1.0)
            rows, cols = linear_sum_assignment(1.0 - jac)
            nxt = np.empty(sizes[l + 1], dtype=np.int64)
            nxt[cols] = rows
        else:
            nxt = np.arange(sizes[l + 1])
        C = np.empty_like(B)
        C[:, nxt] = B  # column nxt[k] of C = column k of B (targets relabelled)
        i_l = int(np.count_nonzero(A1 & C))
        m1, m2 = int(np.count_nonzero(A1)), int(np.count_nonzero(C))
        u_l = m1 + m2 - i_l
        layer_values.append(i_l / u_l if u_l else 1.0)
        inter_total, n1, n2 = inter_total + i_l, n1 + m1, n2 + m2
        perm = nxt
        perms.append(perm)
    return inter_total, n1, n2, layer_values, perms


def _blocks(st):
    """The boolean block masks ``(source x target)`` of a layered structure, one per block ``l -> l + 1``."""
    return tuple(st.block_mask(l) for l in range(len(st.layered.sizes) - 1))


def _align_pair_task(blocks1, blocks2, sizes):
    """The pair task of :func:`aligned_pairs`: :func:`_align_blocks` of two networks' block masks.

    Module-level and pure, with plain results (ints, floats, int64 arrays), so that a
    *pair_map* can run it anywhere (see :func:`local_pair_map`).
    """
    inter, n1, n2, layer_values, perms = _align_blocks(blocks1, blocks2, sizes)
    return inter, n1, n2, tuple(layer_values), tuple(perms)


def _aligned_result(result, raw, counts1, counts2, sizes):
    """The aligned :class:`Jaccard` from an :func:`_align_pair_task` result, the raw Jaccard and block counts."""
    inter_total, n1, n2, layer_values, perms = result
    block_possible = np.array(sizes[:-1], dtype=np.int64) * np.array(sizes[1:], dtype=np.int64)
    possible = int(block_possible.sum())
    union = n1 + n2 - inter_total
    return Jaccard(
        value=inter_total / union if union else 1.0,
        chance=None,
        raw_chance=_blockwise_chance(counts1, counts2, block_possible),
        intersection=inter_total,
        union=union,
        sizes=(n1, n2),
        densities=(n1 / possible, n2 / possible),
        kind="aligned",
        raw=raw,
        layer_values=tuple(layer_values),
        permutations=tuple(frozen_array(p, np.int64) for p in perms),
    )


def _aligned(s1, s2, raw=None):
    sizes = s1.layered.sizes
    result = _align_pair_task(_blocks(s1), _blocks(s2), sizes)
    if raw is None:
        raw = _edge_space([s1, s2]).jaccard(0, 1, kind="edge", layer=None).value
    return _aligned_result(result, raw, _block_counts(s1), _block_counts(s2), sizes)


def local_pair_map(fn, items, pairs, *args, progress=None):
    """``[fn(items[a], items[b], *args) for a, b in pairs]``: the reference *pair_map*, in this process.

    A *pair_map* is any callable with this signature and result: a list with one result per
    pair, in the order of ``pairs``. The pairwise work of :mod:`analysis` —
    :func:`aligned_pairs`, and through it :func:`~analysis.build_report` and
    :func:`~analysis.summarize_group` (its ``pair_map`` argument) — goes through one, so that a
    caller can run the pairs elsewhere: a Dask pair_map sends each item to the workers once,
    submits one task per pair and gathers the results in order. What :mod:`analysis` passes
    makes that possible:

    - ``fn`` is a pure module-level function of :mod:`analysis` (pickled by reference);
    - ``items`` is a list with one entry per network, each a tuple of numpy boolean arrays,
      the masks ``(n_l, n_{l+1})`` (source x target) of its blocks ``l -> l + 1``: plain data,
      no graphs, each network's structural arrays once whatever the number of pairs;
    - ``pairs`` is a list of ``(a, b)`` int tuples indexing ``items``;
    - ``args`` are small picklable values (the layer sizes, a tuple of int);
    - ``fn`` returns plain numbers, tuples, dicts and numpy arrays.

    The random draws and the assembly of results stay with the caller, so any pair_map that
    returns what ``fn`` returns gives numbers identical to this one, bit for bit, whichever
    process or machine ran each pair and in whatever order they finished.

    A pair_map may also take a keyword ``progress``, a callable it calls as
    ``progress(done, total)`` as pairs finish. :mod:`analysis` never passes it, so a pair_map
    without it works as before; whoever chooses the pair_map binds it, e.g.
    ``build_report(graphs, pair_map=functools.partial(local_pair_map, progress=show))``
    (``Cluster.pair_map`` of :mod:`netgraph.cluster` takes it too).

    Parameters
    ----------
    fn : callable
        ``fn(item_a, item_b, *args)``.
    items : sequence
    pairs : sequence of (int, int)
    *args
        Passed to every call after the two items.
    progress : callable, optional
        Called as ``progress(done, total)`` after each pair.

    Returns
    -------
    list
        ``fn``'s result for each pair, in the order of ``pairs``.

    Examples
    --------
    >>> local_pair_map(max, [3, 1, 4], [(0, 1), (1, 2)])
    [3, 4]
    >>> local_pair_map(pow, [2, 3, 5], [(0, 1), (2, 0)], 7)  # pow(2, 3, 7), pow(5, 2, 7)
    [1, 4]
    >>> local_pair_map(max, [3, 1, 4], [(0, 1), (1, 2)], progress=lambda done, total: print(f"{done}/{total}"))
    1/2
    2/2
    [3, 4]
    """
    if progress is None:
        return [fn(items[a], items[b], *args) for a, b in pairs]
    out = []
    for a, b in pairs:
        out.append(fn(items[a], items[b], *args))
        progress(len(out), len(pairs))
    return out


def _check_pair_map(pair_map):
    """``pair_map``, or :func:`local_pair_map` for None; ParameterError if it is not callable."""
    if pair_map is None:
        return local_pair_map
    if not callable(pair_map):
        raise ParameterError(f"pair_map={pair_map!r}: expected None or a callable (see analysis.local_pair_map)")
    return pair_map


def _run_pairs(pair_map, fn, items, pairs, *args):
    """``pair_map(fn, items, pairs, *args)`` (None: :func:`local_pair_map`), checked to give one result per pair."""
    pair_map = _check_pair_map(pair_map)
    if not pairs:
        return []
    results = pair_map(fn, items, pairs, *args)
    try:
        results = list(results)
    except TypeError:
        results = None
    if results is None or len(results) != len(pairs):
        got = "a non-sequence" if results is None else f"{len(results)} results"
        raise ParameterError(
            f"pair_map={pair_map!r} returned {got} for {len(pairs)} pairs, expected one result per pair, in order"
        )
    return results


def _check_pairs(pairs, k):
    """``pairs`` as a list of distinct ``(a, b)`` int tuples in ``[0, k)`` (default: every ``a < b``, row order)."""
    if pairs is None:
        return [(a, b) for a in range(k) for b in range(a + 1, k)]
    if isinstance(pairs, (str, bytes)) or not isinstance(pairs, (Sequence, np.ndarray)):
        raise ParameterError(f"pairs={pairs!r}: expected None or a sequence of (a, b) index pairs")
    out = []
    for n, p in enumerate(pairs):
        ok = isinstance(p, (Sequence, np.ndarray)) and not isinstance(p, (str, bytes)) and len(p) == 2
        if ok:
            ok = all(not isinstance(x, bool) and isinstance(x, (int, np.integer)) and 0 <= x < k for x in p)
        if not ok:
            raise ParameterError(f"pairs[{n}]={p!r}: expected a pair (a, b) of ints in [0, {k - 1}]")
        out.append((int(p[0]), int(p[1])))
    return list(dict.fromkeys(out))


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
    batch = _PairBatch(graphs, pairs)
    if not batch.pairs:
        return {}
    return batch.aligned(batch.run(pair_map, _align_pair_task))


class _PairBatch:
    """Many pairs of layered networks prepared for a *pair_map* (see :func:`aligned_pairs`).

    Checks the graphs (layered, one architecture) and the pairs; ``items`` holds the block
    masks of the networks that are in some pair, one entry per network, and ``slots`` the
    pairs as indices into ``items``.
    """

    def __init__(self, graphs, pairs):
        structs = _check_graphs(graphs)
        for i, st in enumerate(structs):
            st.require_layered(name=f"graphs[{i}]", blocks=True)
        _check_comparable(structs)
        self.pairs = _check_pairs(pairs, len(structs))
        used = sorted({i for p in self.pairs for i in p})
        slot = {i: n for n, i in enumerate(used)}
        self.structs = [structs[i] for i in used]
        self.sizes = structs[0].layered.sizes
        self.items = [_blocks(st) for st in self.structs]
        self.slots = [(slot[a], slot[b]) for a, b in self.pairs]

    def run(self, pair_map, fn):
        """``fn`` of every pair through ``pair_map``: one result per pair, in order."""
        return _run_pairs(pair_map, fn, self.items, self.slots, self.sizes)

    def aligned(self, results):
        """``(a, b)`` -> aligned :class:`Jaccard` from the :func:`_align_pair_task` results."""
        counts = [tuple(int(np.count_nonzero(m)) for m in blocks) for blocks in self.items]
        space = _edge_space(self.structs)
        out = {}
        for pair, (a, b), result in zip(self.pairs, self.slots, results):
            raw = space.jaccard(a, b, kind="edge", layer=None).value
            out[pair] = _aligned_result(result, raw, counts[a], counts[b], self.sizes)
        return out


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
    structs = _check_graphs([G1, G2])
    for k, st in enumerate(structs):
        st.require_layered(name=f"G{k + 1}", blocks=True)
    _check_comparable(structs)
    return _aligned_null(structs[0], structs[1], n_samples, check_rng(rng))


def _block_counts(st):
    return tuple(int(np.count_nonzero(m)) for m in _blocks(st))


def _aligned_null(s1, s2, n_samples, gen):
    sizes = s1.layered.sizes
    counts = [_block_counts(s1), _block_counts(s2)]
    values = []
    for _ in range(n_samples):
        blocks = [[_random_block(sizes[l], sizes[l + 1], c[l], gen) for l in range(len(sizes) - 1)] for c in counts]
        inter, n1, n2, _, _ = _align_blocks(blocks[0], blocks[1], sizes)
        union = n1 + n2 - inter
        values.append(inter / union if union else 1.0)
    return float(np.mean(values))


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
    st = _check_graphs([G])[0]
    lay = st.require_layered(name="G")
    gen = check_rng(rng)
    R = nx.DiGraph()
    for layer in lay.nodes:
        R.add_nodes_from(layer)
    for l, m in enumerate(_block_counts(st)):
        src, dst = np.nonzero(_random_block(lay.sizes[l], lay.sizes[l + 1], m, gen))
        R.add_edges_from(
            zip(map(lay.nodes[l].__getitem__, src.tolist()), map(lay.nodes[l + 1].__getitem__, dst.tolist()))
        )
    return R


def _random_block(n_in, n_out, m, gen):
    mask = np.zeros(n_in * n_out, dtype=bool)
    mask[gen.choice(n_in * n_out, size=m, replace=False)] = True
    return mask.reshape(n_in, n_out)


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
    structs = _check_graphs(graphs)
    labels = _labels(graphs, labels)
    k = len(structs)
    values = np.eye(k)
    chance = np.eye(k)
    if kind == "aligned":
        if layer is not None:
            raise ParameterError(f"layer={layer!r} cannot be used with kind='aligned' (alignment spans all layers)")
        for i, s in enumerate(structs):
            s.require_layered(name=f"graphs[{i}]", blocks=True)
        _check_comparable(structs, labels)
        check_positive_int(chance_samples, name="chance_samples")
        gen = check_rng(rng)
        space = _edge_space(structs)
        possible = [np.array(st.layered.sizes[:-1]) * np.array(st.layered.sizes[1:]) for st in structs]
        density_keys = [
            tuple(float(f"{d:.2g}") for d in np.array(_block_counts(st)) / p) for st, p in zip(structs, possible)
        ]
        nulls = {}
        for a in range(k):
            chance[a, a] = space.jaccard(a, a, kind="edge", layer=None).chance
            for b in range(a + 1, k):
                raw = space.jaccard(a, b, kind="edge", layer=None).value
                j = _aligned(structs[a], structs[b], raw=raw)
                values[a, b] = values[b, a] = j.value
                key = tuple(sorted((density_keys[a], density_keys[b])))
                if key not in nulls:
                    nulls[key] = _aligned_null(structs[a], structs[b], chance_samples, gen)
                chance[a, b] = chance[b, a] = nulls[key]
    else:
        make = _edge_space if kind == "edge" else _node_space
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
    structs = _check_graphs(graphs)
    labels = _labels(graphs, labels)
    k = len(structs)
    hist = _count_histogram(structs, labels)
    edges = np.cumsum(hist[::-1])[::-1][1:]
    return CommonSubnetworkCurve(
        n_graphs=k,
        shares=frozen_array(np.arange(1, k + 1) / k),
        edges=frozen_array(edges, np.int64),
        labels=labels,
    )


def _check_share(min_share):
    if isinstance(min_share, bool) or not isinstance(min_share, numbers.Real) or not 0.0 < min_share <= 1.0:
        raise ParameterError(f"min_share == {min_share!r}, must be a fraction in (0, 1]")
    return float(min_share)


def _edge_counts(structs, labels=None):
    """The edge space and, for every edge present in some graph, its key and how many graphs hold it."""
    space = _edge_space(structs, labels=labels)
    if space.mode == "mask":
        counts = _mask_counts(space.sets)
        keys = np.flatnonzero(counts)
        return space, keys, counts[keys]
    keys, counts = np.unique(np.concatenate(space.sets), return_counts=True)
    return space, keys, counts


_COUNT_CHUNK = 1 << 22  # keys (or positions) counted at a time


def _mask_counts(masks):
    """How many of the boolean masks hold each position (uint8 below 256 masks: a byte per possible edge)."""
    counts = np.zeros(masks[0].size, dtype=np.uint8 if len(masks) < 256 else np.int32)
    for m in masks:
        counts += m
    return counts


def _count_histogram(structs, labels):
    """``hist[t]``: the edges held by exactly ``t`` of the graphs (t >= 1), without a key per edge in mask mode."""
    k = len(structs)
    space = _edge_space(structs, labels=labels)
    hist = np.zeros(k + 1, dtype=np.int64)
    if space.mode == "mask":
        counts = _mask_counts(space.sets)
        for start in range(0, counts.size, _COUNT_CHUNK):
            hist += np.bincount(counts[start : start + _COUNT_CHUNK], minlength=k + 1)
        return hist
    # sorted unique keys per graph: count a range of the key space at a time (bounded temporaries)
    bounds = np.unique(np.concatenate([keys[::_COUNT_CHUNK] for keys in space.sets] + [np.zeros(1, np.int64)]))
    edges = np.append(bounds, np.iinfo(np.int64).max)
    for lo, hi in zip(edges[:-1], edges[1:]):
        part = np.concatenate([keys[np.searchsorted(keys, lo) : np.searchsorted(keys, hi)] for keys in space.sets])
        if part.size:
            part.sort()
            starts = np.flatnonzero(np.concatenate([[True], part[1:] != part[:-1]]))
            runs = np.diff(np.append(starts, part.size))  # how many graphs hold each key
            hist += np.bincount(runs, minlength=k + 1)
    return hist


def _min_count(min_share, k):
    """How many of ``k`` graphs a share ``min_share`` means: ``ceil(min_share * k)``, at least 1.

    A tolerance of 1e-9 keeps a share such as ``0.8`` of 5 graphs at 4 despite float rounding.
    """
    return max(1, math.ceil(min_share * k - 1e-9))


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
    structs = _check_graphs(graphs)
    k = len(structs)
    space, keys, counts = _edge_counts(structs)
    keep = counts >= _min_count(min_share, k)
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
        H.add_nodes_from(_union_index(structs)[0])
    edges = space.decode(keys[keep])
    c = counts[keep].tolist()
    H.add_edges_from((u, v, {"count": n, "share": n / k}) for (u, v), n in zip(edges, c))
    return H
