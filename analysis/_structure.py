"""Structural array view of a directed graph or a network (private).

:func:`structure` turns the edges of any ``networkx`` directed graph -- or the connections of a
:class:`netgraph.network.Checkpoint`, read from its sparse blocks without any graph -- into
integer arrays once:
a CSR adjacency (row = source, column = target) over the nodes in ``G``'s order and, for a
*layered* graph, each node's layer and position within its layer. The view holds structure
only, never weights, and is kept in ``G.__networkx_cache__``, which networkx clears on every
structural edit (adding or removing nodes or edges). Edge-attribute edits such as new weights
do not clear it, which is why weights are never cached.

A graph is *layered* when every node has a layer (its ``"layer"`` attribute, else ``node[0]``
when the node is a tuple whose first item is an int) and every edge goes from a layer ``l``
to ``l + 1``. Within a layer, nodes are ordered by their ``"index"`` attribute, else
``node[1]``, else their order in ``G``; a node's *position* is its rank in that order. For
graphs built by :func:`netgraph.to_graph` the position of node ``(l, i)`` is ``i``.

Node attributes are read when the view is built; after editing ``"layer"`` or ``"index"``
attributes in place, call ``G.__networkx_cache__.clear()``.

A network (:class:`~netgraph.network.Checkpoint`) is the layered graph :func:`netgraph.to_graph`
would build -- nodes ``(layer, index)`` in layer order, edges ``(l, i) -> (l + 1, j)`` for each
stored entry ``W_l[j, i]`` -- and its view is the same, made from the blocks by vectorised
code; it is cached with the network (which cannot change). A graph made by
:func:`netgraph.to_graph` carries the same arrays in its ``__networkx_cache__`` (under
:data:`netgraph.network.ADJACENCY_KEY`, gone with the first structural edit), so its view is
made from them; any other graph's from its adjacency dicts, a dictionary lookup per edge. :func:`graph_meta`,
:func:`graph_attribute` and :func:`edge_weights` read the rest of either kind of input.
"""

import itertools
import numbers
import weakref
from dataclasses import dataclass
from functools import cached_property

import networkx as nx
import numpy as np
import scipy.sparse as sp

from netgraph.channel_network import ChannelNetwork
from netgraph.errors import GraphContractError, ParameterError
from netgraph.network import ADJACENCY_KEY, Checkpoint

__all__ = [
    "Structure",
    "Layered",
    "structure",
    "check_digraph",
    "is_network",
    "is_channel_network",
    "graph_meta",
    "graph_attribute",
    "node_biases",
    "edge_weights",
    "node_to_json",
    "MASK_LIMIT",
]

_CACHE_KEY = "netgraph.analysis.structure"

#: Largest flat edge space (possible edges of a layered graph) handled as a boolean mask.
MASK_LIMIT = 1 << 26


@dataclass(frozen=True, eq=False)
class Layered:
    """Layer structure of a layered graph.

    Attributes
    ----------
    sizes : tuple of int
        Number of nodes per layer.
    layer : numpy.ndarray of int64, shape (N,)
        Layer of each node (in ``G``'s node order).
    pos : numpy.ndarray of int64, shape (N,)
        Position of each node within its layer.
    nodes : tuple of tuple
        The nodes of each layer, by position.
    """

    sizes: tuple
    layer: np.ndarray
    pos: np.ndarray
    nodes: tuple

    @cached_property
    def offsets(self):
        """Start of each block ``l -> l + 1`` in the flat key space of all possible edges."""
        blocks = [a * b for a, b in zip(self.sizes[:-1], self.sizes[1:])]
        return np.concatenate([[0], np.cumsum(blocks, dtype=np.int64)]).astype(np.int64)

    @property
    def possible(self):
        """Number of possible edges ``sum_l n_l * n_{l+1}``."""
        return int(self.offsets[-1])


@dataclass(frozen=True, eq=False)
class Structure:
    """Integer view of a directed graph's structure (see the module docstring).

    Attributes
    ----------
    nodes : tuple
        Nodes in ``G``'s order; node ``k`` of the arrays is ``nodes[k]``.
    indptr, indices : numpy.ndarray of int64
        CSR out-adjacency: the targets of node ``k`` are ``indices[indptr[k]:indptr[k + 1]]``.
    layered : Layered or None
        Layer structure, or None when the graph is not layered.
    """

    nodes: tuple
    indptr: np.ndarray
    indices: np.ndarray
    layered: Layered | None

    @property
    def n_nodes(self):
        return len(self.nodes)

    @property
    def n_edges(self):
        return int(self.indices.size)

    @cached_property
    def index(self):
        """dict: node -> integer id."""
        return {n: k for k, n in enumerate(self.nodes)}

    @cached_property
    def sources(self):
        """Source id of every edge, in CSR order."""
        return np.repeat(np.arange(self.n_nodes, dtype=np.int64), np.diff(self.indptr))

    @cached_property
    def out_degree(self):
        return np.diff(self.indptr)

    @cached_property
    def in_degree(self):
        return np.bincount(self.indices, minlength=self.n_nodes).astype(np.int64)

    def csr(self):
        """The adjacency as a ``scipy.sparse.csr_array`` of int8 ones (no stored zeros)."""
        data = np.ones(self.n_edges, dtype=np.int8)
        return sp.csr_array((data, self.indices, self.indptr), shape=(self.n_nodes, self.n_nodes))

    @cached_property
    def edge_keys(self):
        """Sorted unique int64 keys ``source * N + target`` of the edges."""
        keys = self.sources * self.n_nodes + self.indices
        keys.sort()
        return keys

    @cached_property
    def layer_keys(self):
        """Sorted int64 keys of the edges in the flat space of a layered graph.

        The edge from position ``i`` of layer ``l`` to position ``j`` of layer ``l + 1`` has
        key ``offsets[l] + i * n_{l+1} + j``.
        """
        if self.layered.possible <= MASK_LIMIT:
            return np.flatnonzero(self.flat_mask)
        keys = self._unsorted_layer_keys()
        keys.sort()
        return keys

    def _unsorted_layer_keys(self):
        lay = self.require_layered()
        src, dst = self.sources, self.indices
        l = lay.layer[src]
        width = np.asarray(lay.sizes + (0,), dtype=np.int64)[l + 1]
        return lay.offsets[l] + lay.pos[src] * width + lay.pos[dst]

    def block(self, l):
        """Positions ``(i, j)`` of the edges from layer ``l`` to ``l + 1`` (sorted by key)."""
        lay = self.require_layered()
        keys = self.layer_keys
        lo, hi = np.searchsorted(keys, lay.offsets[l : l + 2])
        local = keys[lo:hi] - lay.offsets[l]
        return np.divmod(local, lay.sizes[l + 1])

    def block_mask(self, l):
        """Boolean mask of shape ``(n_l, n_{l+1})`` (source x target) of block ``l``."""
        lay = self.require_layered()
        if lay.possible <= MASK_LIMIT:  # a read-only view of the flat mask
            return self.flat_mask[lay.offsets[l] : lay.offsets[l + 1]].reshape(lay.sizes[l], lay.sizes[l + 1])
        mask = np.zeros((lay.sizes[l], lay.sizes[l + 1]), dtype=bool)
        i, j = self.block(l)
        mask[i, j] = True
        return mask

    @cached_property
    def flat_mask(self):
        """Boolean vector over all possible edges of a layered graph (see :attr:`layer_keys`)."""
        lay = self.require_layered()
        mask = np.zeros(lay.possible, dtype=bool)
        mask[self._unsorted_layer_keys()] = True
        mask.setflags(write=False)
        return mask

    def require_layered(self, *, name="G", blocks=False):
        """The layering of the graph; GraphContractError if it has none (or, with ``blocks``, a single layer)."""
        if self.layered is None:
            raise GraphContractError(
                f"{name} is not a layered graph: every node needs a layer (its 'layer' attribute or "
                "node[0]) and every edge must go from a layer l to l + 1"
            )
        if blocks and len(self.layered.sizes) < 2:
            raise GraphContractError(
                f"{name} has a single layer ({_nodes(self.layered.sizes)}, no edges "
                "between layers); aligning neurons needs at least two layers (inputs and outputs)"
            )
        return self.layered


def is_network(G):
    """Whether ``G`` is a network (:class:`netgraph.network.Checkpoint`) rather than a graph."""
    return isinstance(G, Checkpoint)


def is_channel_network(G):
    """Whether ``G`` is a channel-level graph held as arrays (:class:`netgraph.channel_network.ChannelNetwork`)."""
    return isinstance(G, ChannelNetwork)


def check_digraph(G, *, name="G"):
    """Raise ``ParameterError`` unless ``G`` is a networkx directed graph, a network or a channel network."""
    if is_network(G) or is_channel_network(G):
        return G
    if not isinstance(G, nx.Graph):
        raise ParameterError(
            f"{name} is a {type(G).__name__}, expected a networkx.DiGraph or a network (netgraph.load_checkpoint)"
        )
    if not G.is_directed():
        raise ParameterError(f"{name} is an undirected {type(G).__name__}, expected a networkx.DiGraph")
    return G


def structure(G, *, name="G"):
    """Return the (cached) :class:`Structure` of the directed graph ``G``.

    Parameters
    ----------
    G : networkx.DiGraph
        Any directed graph; a MultiDiGraph counts parallel edges once.
    name : str, optional
        Parameter name for error messages.

    Returns
    -------
    Structure

    Examples
    --------
    >>> import networkx as nx
    >>> G = nx.DiGraph([((0, 0), (1, 0)), ((0, 1), (1, 0))])
    >>> s = structure(G)
    >>> s.indptr.tolist(), s.indices.tolist(), s.layered.sizes
    ([0, 1, 1, 2], [1, 1], (2, 1))
    >>> structure(G) is s
    True
    """
    check_digraph(G, name=name)
    if is_network(G) or is_channel_network(G):
        hit = _NETWORK_VIEWS.get(G)
        if hit is None:
            hit = _NETWORK_VIEWS[G] = _from_network(G) if is_network(G) else _from_channel_network(G)
        return hit
    cache = None if hasattr(G, "_graph") else getattr(G, "__networkx_cache__", None)  # views: parent edits
    if cache is not None:
        hit = cache.get(_CACHE_KEY)
        if hit is not None:
            return hit
    s = _from_graph_arrays(G, cache) or _build(G)
    if cache is not None:
        cache[_CACHE_KEY] = s
    return s


_NETWORK_VIEWS = weakref.WeakKeyDictionary()  # network -> its Structure (networks are immutable)
_CHUNK = 1 << 22  # entries per step where a network's keys are made: bounded temporaries


@dataclass(frozen=True, eq=False)
class _NetworkStructure(Structure):
    """The Structure of a network: nodes in layer order, edges source-major with targets ascending.

    That order makes a network's layer keys sorted as they come, so they are made chunk by
    chunk without a sort, and the flat mask and block masks without an array of keys.
    """

    def _key_chunks(self, layers=None):
        """``(start, keys)`` of consecutive runs of edges (of block ``l`` for each l in ``layers``, default all),
        their layer keys, sorted, about _CHUNK at a time."""
        lay = self.layered
        starts = np.concatenate([[0], np.cumsum(lay.sizes)]).astype(np.int64)
        for l in range(len(lay.sizes) - 1) if layers is None else layers:
            width = lay.sizes[l + 1]
            first, last = int(starts[l]), int(starts[l + 1])  # the sources: units of layer l
            row = first
            while row < last:
                stop = int(np.searchsorted(self.indptr, self.indptr[row] + _CHUNK, side="right")) - 1
                stop = min(last, max(stop, row + 1))
                lo, hi = int(self.indptr[row]), int(self.indptr[stop])
                src = np.repeat(
                    np.arange(row - first, stop - first, dtype=np.int64), np.diff(self.indptr[row : stop + 1])
                )
                dst = self.indices[lo:hi].astype(np.int64) - starts[l + 1]
                yield lo, lay.offsets[l] + src * width + dst
                row = stop

    @cached_property
    def sources(self):
        """Source id of every edge, in CSR order (int32 where the ids fit)."""
        dtype = self.indices.dtype
        return np.repeat(np.arange(self.n_nodes, dtype=dtype), np.diff(self.indptr))

    def _unsorted_layer_keys(self):
        keys = np.empty(self.n_edges, dtype=np.int64)
        for lo, part in self._key_chunks():
            keys[lo : lo + part.size] = part
        return keys

    @cached_property
    def layer_keys(self):
        if self.layered.possible <= MASK_LIMIT:
            return np.flatnonzero(self.flat_mask)
        return self._unsorted_layer_keys()  # sorted as made

    @cached_property
    def flat_mask(self):
        mask = np.zeros(self.layered.possible, dtype=bool)
        for _, part in self._key_chunks():
            mask[part] = True
        mask.setflags(write=False)
        return mask

    def block_mask(self, l):
        lay = self.layered
        if "flat_mask" in self.__dict__ or lay.possible <= MASK_LIMIT:
            return super().block_mask(l)
        mask = np.zeros((lay.sizes[l], lay.sizes[l + 1]), dtype=bool)
        flat = mask.reshape(-1)
        for _, part in self._key_chunks([l]):
            flat[part - lay.offsets[l]] = True
        return mask


def _from_network(net):
    """The :class:`Structure` of a network, from its blocks: the graph ``to_graph`` would build, no graph built."""
    sizes = tuple(int(s) for s in net.layer_sizes)
    nodes = tuple((l, i) for l, size in enumerate(sizes) for i in range(size))
    return _from_adjacency(nodes, sizes, *net.adjacency())


def _from_channel_network(net):
    """The :class:`Structure` of a channel network, from its arrays: the graph ``to_networkx`` would build.

    Layered, as the DiGraph would be, when every edge joins a space to the next (a chain, a
    block view); otherwise not.
    """
    indptr, indices = net.adjacency()
    sources = np.repeat(np.arange(net.n_nodes, dtype=np.int64), np.diff(indptr))
    if np.array_equal(net.space_of(sources) + 1, net.space_of(indices)):
        return _from_adjacency(net.nodes, net.sizes, indptr, indices)
    return Structure(nodes=net.nodes, indptr=indptr, indices=indices, layered=None)


def _from_adjacency(nodes, sizes, indptr, indices):
    """The layered :class:`Structure` of :meth:`netgraph.network.Checkpoint.adjacency`'s arrays.

    Nodes ``(l, i)`` in layer order (``nodes``: those labels); node ``k`` of layer ``l`` has id
    ``offset_l + k``; the out-adjacency is source-major with targets ascending.
    """
    offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
    layer = np.repeat(np.arange(len(sizes), dtype=np.int64), sizes)
    pos = np.arange(int(offsets[-1]), dtype=np.int64) - np.repeat(offsets[:-1], sizes)
    layer_nodes = tuple(nodes[offsets[l] : offsets[l + 1]] for l in range(len(sizes)))
    s = _NetworkStructure(nodes=nodes, indptr=indptr, indices=indices, layered=None)
    object.__setattr__(s, "layered", Layered(sizes=sizes, layer=layer, pos=pos, nodes=layer_nodes))
    return s


def _from_graph_arrays(G, cache):
    """The Structure of a graph from the arrays :func:`netgraph.to_graph` left in its cache, or None.

    networkx empties the cache on every structural edit, so arrays there describe ``G`` as it
    is; their sizes are checked against the graph all the same.
    """
    entry = cache.get(ADJACENCY_KEY) if cache is not None else None
    if not (isinstance(entry, tuple) and len(entry) == 3):
        return None
    sizes, indptr, indices = entry
    if indptr.size != G.number_of_nodes() + 1 or indices.size != G.number_of_edges() or sum(sizes) != indptr.size - 1:
        return None
    return _from_adjacency(tuple(G), tuple(sizes), indptr, indices)


def graph_meta(G):
    """The metadata dict of a graph (``G.graph["meta"]``) or a network (``meta``); empty when there is none."""
    if is_channel_network(G):
        return {}
    meta = G.meta if is_network(G) else G.graph.get("meta")
    return meta if isinstance(meta, dict) else {}


def graph_attribute(G, key, default=None):
    """``activation``, ``has_bias`` or ``layer_sizes`` of a graph (``G.graph``) or a network; ``contract``,
    ``view``, ``spaces``, ``layers`` or ``element_masks`` of a channel graph or channel network."""
    if is_channel_network(G):
        value = G.graph_attribute(key)
        return default if value is None else value
    if is_network(G):
        return list(G.layer_sizes) if key == "layer_sizes" else getattr(G, key, default)
    return G.graph.get(key, default)


def node_biases(G, s):
    """The ``bias`` of every node in the order of ``s.nodes``: a float64 array for a network, a list for a graph
    (None where a node has none)."""
    if is_channel_network(G):
        return G.bias
    if is_network(G):
        return np.concatenate([np.zeros(G.layer_sizes[0])] + [np.asarray(b, dtype=np.float64) for b in G.biases])
    return [G.nodes[node].get("bias") for node in s.nodes]


def edge_weights(G, s):
    """The weight of every edge in the CSR order of ``s``: a float64 array for a network, a list for a graph
    (None where an edge has none)."""
    if is_channel_network(G):
        return G.edge_arrays()[3]
    if is_network(G):
        return np.concatenate([t.data.astype(np.float64) for t in G.transposed_blocks()] or [np.zeros(0)])
    return [G.edges[s.nodes[u], s.nodes[v]].get("weight") for u, v in zip(s.sources.tolist(), s.indices.tolist())]


def _build(G):
    items = list(G.adjacency())
    nodes = tuple(n for n, _ in items)
    n = len(nodes)
    index = {v: k for k, v in enumerate(nodes)}
    deg = np.fromiter((len(nbrs) for _, nbrs in items), dtype=np.int64, count=n)
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(deg, out=indptr[1:])
    m = int(indptr[-1])
    targets = itertools.chain.from_iterable(nbrs for _, nbrs in items)
    indices = np.fromiter(map(index.__getitem__, targets), dtype=np.int64, count=m)
    s = Structure(nodes=nodes, indptr=indptr, indices=indices, layered=None)
    object.__setattr__(s, "index", index)
    object.__setattr__(s, "layered", _layered(G, s))
    return s


def _is_int(x):
    return type(x) is int or (isinstance(x, numbers.Integral) and not isinstance(x, bool))


def _node_part(node, k):
    """``node[k]`` when ``node`` is a tuple with an int there, else None."""
    if isinstance(node, tuple) and len(node) > k and _is_int(node[k]):
        return node[k]
    return None


def _layered(G, s):
    n = s.n_nodes
    attrs = [a for _, a in G.nodes(data=True)]
    layers = [a.get("layer") for a in attrs]
    if not all(type(x) is int for x in layers):  # fall back to node[0], checked one by one
        layers = [_node_part(node, 0) if x is None else x for node, x in zip(s.nodes, layers)]
        if not all(_is_int(x) for x in layers):
            return None
    keys = [a.get("index") for a in attrs]
    if not all(type(x) is int for x in keys):
        keys = [_node_part(node, 1) if x is None else x for node, x in zip(s.nodes, keys)]
        keys = keys if all(_is_int(x) for x in keys) else None
    layer = np.array(layers, dtype=np.int64)
    if n and layer.min() < 0:
        return None
    if n == 0:
        return None
    if s.n_edges and not np.array_equal(layer[s.indices], layer[s.sources] + 1):
        return None
    n_layers = int(layer.max()) + 1
    sizes = np.bincount(layer, minlength=n_layers)
    if np.any(sizes == 0):
        return None
    pos = np.empty(n, dtype=np.int64)
    if keys is not None:
        order = np.lexsort((np.asarray(keys, dtype=np.int64), layer))
    else:
        order = np.argsort(layer, kind="stable")
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    pos[order] = np.arange(n) - np.repeat(starts, sizes)
    by_layer = np.split(order, np.cumsum(sizes)[:-1])
    layer_nodes = tuple(tuple(s.nodes[k] for k in ids.tolist()) for ids in by_layer)
    return Layered(sizes=tuple(int(x) for x in sizes), layer=layer, pos=pos, nodes=layer_nodes)


def node_to_json(node):
    """A JSON-safe form of a node label: tuples become lists, other non-JSON types strings."""
    if isinstance(node, tuple):
        return [node_to_json(x) for x in node]
    if isinstance(node, (str, bool)) or node is None:
        return node
    if _is_int(node):
        return int(node)
    if isinstance(node, numbers.Real):
        return float(node)
    return str(node)


def _nodes(sizes):
    n = sizes[0] if sizes else 0
    return f"{n} node" if n == 1 else f"{n} nodes"
