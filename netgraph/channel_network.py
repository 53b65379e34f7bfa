"""The channel-level graph as arrays: a convolutional or residual network that costs its connections.

:func:`netgraph.channels.channel_network` traces a model into a :class:`ChannelNetwork`: the
graph of the channel contract (see :mod:`netgraph.channels`) held as numpy arrays -- per weight
layer the channel connections of its block with their ``nnz`` and ``weight``, the identity
edges of the residual adds, the nodes' biases and BatchNorm maps, and the present kernel
elements of each weight -- with no networkx object. The analyses take it wherever they take a
channel graph (:func:`analysis.driver_nodes`, :func:`analysis.degree_distribution`,
:func:`analysis.block_jaccard`, ...), reading its arrays; :meth:`ChannelNetwork.to_networkx`
gives the same graph as a :class:`networkx.DiGraph`, node for node and edge for edge, for
anything else. This module does not import torch.

Node ``(l, i)`` has the integer id ``offsets[l] + i``; every edge goes from a space to a later
one, so ids are a topological order.

Examples
--------
>>> import numpy as np
>>> block = ChannelBlock(
...     sources=np.array([0, 1]), rows=np.array([0, 0]), cols=np.array([0, 1]),
...     nnz=np.array([1, 2]), weight=np.array([0.5, -1.0]),
... )
>>> net = ChannelNetwork(
...     spaces=({"units": 2, "kind": "input", "module": ""}, {"units": 1, "kind": "linear", "module": "fc"}),
...     layers=({"module": "fc", "weight": "fc.weight", "type": "Linear", "weight_shape": [1, 2], "groups": 1,
...              "inputs": [[0, 0], [0, 1]], "output": 1},),
...     blocks=(block,),
... )
>>> net.n_nodes, net.n_edges, net.adjacency()[1].tolist()
(3, 2, [2, 2])
>>> sorted(net.to_networkx().edges(data=True))[1]
((0, 1), (1, 0), {'kind': 'linear', 'weight': -1.0, 'nnz': 2})
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property

import networkx as nx
import numpy as np
import scipy.sparse as sp

__all__ = ["CONTRACT", "KINDS", "ElementMasks", "ChannelBlock", "ChannelNetwork"]

#: ``contract`` of a channel-level graph (``G.graph["contract"]``).
CONTRACT = "netgraph-channels-1"

#: The edge kinds, by their code in :meth:`ChannelNetwork.edge_arrays`.
KINDS = ("identity", "linear", "conv")


def _frozen(a, dtype):
    a = np.array(a, dtype=dtype)  # a copy: the network owns its arrays
    a.setflags(write=False)
    return a


class ElementMasks(Sequence):
    """The present elements of each weight layer's weight: a sequence of read-only bool arrays.

    Equal to another sequence of arrays when every array is equal (shape and values), so that
    graphs holding them (``G.graph["element_masks"]``) compare as graphs do.

    Examples
    --------
    >>> import numpy as np
    >>> ElementMasks([np.eye(2, dtype=bool)]) == ElementMasks([np.eye(2, dtype=bool)])
    True
    """

    def __init__(self, masks):
        self._masks = tuple(_frozen(m, bool) for m in masks)

    def __getitem__(self, k):
        return self._masks[k]

    def __len__(self):
        return len(self._masks)

    def __eq__(self, other):
        if not isinstance(other, Sequence) or len(other) != len(self):
            return NotImplemented if not isinstance(other, Sequence) else False
        return all(np.array_equal(a, np.asarray(b)) and a.shape == np.shape(b) for a, b in zip(self._masks, other))

    __hash__ = None

    def __repr__(self):
        return f"<ElementMasks: {len(self)} weights, {sum(int(m.sum()) for m in self._masks)} present elements>"


@dataclass(frozen=True, eq=False)
class ChannelBlock:
    """The channel connections of one weight layer.

    Attributes
    ----------
    sources : numpy.ndarray of int64
        The node id of each distinct input node the layer reads (its columns), in the order
        the layer's input units first read them.
    rows, cols : numpy.ndarray of int64
        Per connection: the output channel (within the output space) and the column (an index
        into ``sources``); row-major, columns ascending within a row.
    nnz : numpy.ndarray of int64
        Per connection: the present elements of its kernel slices.
    weight : numpy.ndarray of float64
        Per connection: the sum of those elements.
    """

    sources: np.ndarray
    rows: np.ndarray
    cols: np.ndarray
    nnz: np.ndarray
    weight: np.ndarray

    def __post_init__(self):
        for name, dtype in (("sources", np.int64), ("rows", np.int64), ("cols", np.int64), ("nnz", np.int64)):
            object.__setattr__(self, name, _frozen(getattr(self, name), dtype))
        object.__setattr__(self, "weight", _frozen(self.weight, np.float64))

    @property
    def n_edges(self):
        return int(self.rows.size)


@dataclass(frozen=True, eq=False)
class ChannelNetwork:
    """A channel-level graph held as arrays (see the module docstring).

    Attributes
    ----------
    spaces : tuple of dict
        Per space ``{"units", "kind", "module"}`` (``G.graph["spaces"]``).
    layers : tuple of dict
        Per weight layer its record (``G.graph["layers"]``: module, weight, type, weight_shape,
        groups, inputs, output).
    blocks : tuple of ChannelBlock
        Per weight layer its connections.
    identity : tuple of numpy.ndarray
        ``(sources, targets, weights)`` of the identity edges of residual adds (node ids;
        weight 2.0 where a tensor is added to itself).
    bias, bn_scale, bn_shift : numpy.ndarray of float64
        Per node; ``bn_scale`` and ``bn_shift`` are NaN where no BatchNorm normalises the space.
    element_masks : ElementMasks or None
        Per weight layer, the present elements of its weight (bool, ``weight_shape``), or None
        where they were not kept.
    view : str or None
        ``"blocks"`` for a block view (:func:`netgraph.channels.block_view`).
    contract : str
    """

    spaces: tuple
    layers: tuple
    blocks: tuple
    identity: tuple = ()
    bias: np.ndarray | None = None
    bn_scale: np.ndarray | None = None
    bn_shift: np.ndarray | None = None
    element_masks: tuple | None = None
    view: str | None = None
    contract: str = field(default=CONTRACT)

    def __post_init__(self):
        object.__setattr__(self, "spaces", tuple(self.spaces))
        object.__setattr__(self, "layers", tuple(self.layers))
        object.__setattr__(self, "blocks", tuple(self.blocks))
        n = self.n_nodes
        src, dst, w = self.identity if len(self.identity) else ([], [], [])
        object.__setattr__(self, "identity", (_frozen(src, np.int64), _frozen(dst, np.int64), _frozen(w, np.float64)))
        for name, default in (("bias", 0.0), ("bn_scale", np.nan), ("bn_shift", np.nan)):
            value = getattr(self, name)
            object.__setattr__(self, name, _frozen(np.full(n, default) if value is None else value, np.float64))
        if self.element_masks is not None:
            object.__setattr__(self, "element_masks", ElementMasks(self.element_masks))

    def __repr__(self):
        return f"<ChannelNetwork: {len(self.spaces)} spaces, {self.n_nodes} channels, {self.n_edges} edges>"

    @cached_property
    def sizes(self):
        """Units per space (tuple of int)."""
        return tuple(int(s["units"]) for s in self.spaces)

    @cached_property
    def offsets(self):
        """The id of each space's first node, and the number of nodes last (int64)."""
        return _frozen(np.concatenate([[0], np.cumsum(self.sizes)]), np.int64)

    @property
    def n_nodes(self):
        return int(sum(int(s["units"]) for s in self.spaces))

    @property
    def n_edges(self):
        return int(sum(b.n_edges for b in self.blocks) + self.identity[0].size)

    @cached_property
    def nodes(self):
        """The node labels ``(l, i)`` in id order (tuple)."""
        return tuple((l, i) for l, n in enumerate(self.sizes) for i in range(n))

    def space_of(self, ids):
        """The space of each node id (int64 array)."""
        return np.searchsorted(self.offsets, np.asarray(ids), side="right") - 1

    def block_targets(self, k):
        """The target node ids of block ``k``'s connections."""
        return self.offsets[self.layers[k]["output"]] + self.blocks[k].rows

    def _parts(self):
        """Where each target space's edges come from: ``("identity", slice)`` of an add space, ``("block", k)``.

        Parts laid out by target space, each with its targets ascending (a block's connections
        are row-major; identity edges are kept in order of their targets), sort every edge by
        its target: column-major order.
        """
        cuts = np.searchsorted(self.identity[1], self.offsets)
        parts = {l: ("identity", slice(int(cuts[l]), int(cuts[l + 1]))) for l in range(len(self.spaces))}
        parts = {l: p for l, p in parts.items() if p[1].stop > p[1].start}
        parts.update({layer["output"]: ("block", k) for k, layer in enumerate(self.layers)})
        return [parts[l] for l in sorted(parts)]

    def _field(self, part, i):
        """Field ``i`` (sources, targets, kind code, weights, nnz) of one part's edges."""
        what, where = part
        if what == "identity":
            src, dst, w = self.identity
            size = where.stop - where.start
            return (src[where], dst[where], np.zeros(size, np.int8), w[where], np.ones(size, np.int64))[i]
        b = self.blocks[where]
        if i == 0:
            return b.sources[b.cols]
        if i == 1:
            return self.block_targets(where)
        if i == 2:
            return np.full(b.n_edges, KINDS.index(self.spaces[self.layers[where]["output"]]["kind"]), np.int8)
        return b.weight if i == 3 else b.nnz

    def _column(self, i, dtype):
        """Field ``i`` of every edge, in column-major order (see :meth:`_parts`)."""
        pieces = [self._field(part, i) for part in self._parts()]
        return np.concatenate(pieces) if pieces else np.zeros(0, dtype)

    @cached_property
    def _csr(self):
        """``(indptr, indices, order)``: the CSR out-adjacency (targets ascending) and each entry's column-major position.

        A column-major to row-major conversion (scipy's, linear in the edges) of the edges
        as :meth:`_parts` lays them out.
        """
        src, dst = self._column(0, np.int64), self._column(1, np.int64)
        n, m = self.n_nodes, src.size
        by_target = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(np.bincount(dst, minlength=n), out=by_target[1:])
        del dst
        csr = sp.csc_array((np.arange(m, dtype=np.int64), src, by_target), shape=(n, n)).tocsr()
        out = (csr.indptr.astype(np.int64), csr.indices.astype(np.int64), csr.data)
        for a in out:
            a.setflags(write=False)
        return out

    @cached_property
    def _edges(self):
        indptr, indices, order = self._csr
        src = np.repeat(np.arange(self.n_nodes, dtype=np.int64), np.diff(indptr))
        rest = tuple(self._column(i, t)[order] for i, t in ((2, np.int8), (3, np.float64), (4, np.int64)))
        out = (src, indices, *rest)
        for a in out:
            a.setflags(write=False)
        return out

    def edge_arrays(self):
        """``(sources, targets, kinds, weights, nnz)`` of every edge, in CSR order (see :data:`KINDS`)."""
        return self._edges

    def adjacency(self):
        """``(indptr, indices)``: the CSR out-adjacency over node ids, targets ascending (new arrays)."""
        indptr, indices, _ = self._csr
        return indptr.copy(), indices.copy()

    def graph_attribute(self, key):
        """One entry of :meth:`graph_attributes` (None where there is none), without building the others.

        ``spaces`` and ``layers`` are new lists of the network's records (not copies of them).
        """
        if key in ("spaces", "layers"):
            return list(getattr(self, key))
        if key in ("contract", "view", "element_masks"):
            return getattr(self, key)
        return None

    def graph_attributes(self):
        """``G.graph`` of :meth:`to_networkx` (new lists and dicts; the masks are the network's arrays)."""
        g = {"contract": self.contract}
        if self.view is not None:
            g["view"] = self.view
        g["spaces"] = [dict(s) for s in self.spaces]
        g["layers"] = [dict(r) for r in self.layers]
        if self.element_masks is not None:
            g["element_masks"] = self.element_masks
        return g

    def to_networkx(self):
        """The channel graph as a new :class:`networkx.DiGraph`: nodes in id order, edges in CSR order."""
        G = nx.DiGraph(**self.graph_attributes())
        kinds = [s["kind"] for s in self.spaces]
        layer_of = self.space_of(np.arange(self.n_nodes)).tolist()
        bias, scale, shift = self.bias.tolist(), self.bn_scale.tolist(), self.bn_shift.tolist()
        nodes = self.nodes
        for k, (l, i) in enumerate(nodes):
            attrs = {"layer": l, "index": i, "kind": kinds[layer_of[k]], "bias": bias[k]}
            if scale[k] == scale[k]:  # not NaN
                attrs.update(bn_scale=scale[k], bn_shift=shift[k])
            G.add_node((l, i), **attrs)
        src, dst, kind, weight, nnz = (a.tolist() for a in self._edges)
        G.add_edges_from(
            (nodes[u], nodes[v], {"kind": KINDS[c], "weight": w, "nnz": n})
            for u, v, c, w, n in zip(src, dst, kind, weight, nnz)
        )
        return G
