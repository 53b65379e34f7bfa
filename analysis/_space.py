"""Edge and node sets of several graphs in one comparable representation (private kernel).

Layered graphs with the same layer sizes and labels are compared on boolean masks over all
possible edges (or on sorted keys of the present ones, for huge sparse spaces); other directed
graphs on sorted integer keys over the union of their nodes (see :mod:`analysis.similarity`).
A :class:`Space` holds one such set per graph and computes Jaccard indices with their chance
levels.
"""

import numpy as np

from netgraph.errors import ArchitectureMismatchError, ParameterError

from ._blocks import check_comparable
from ._jaccard import Jaccard, blockwise_chance, independent_chance
from ._structure import MASK_LIMIT

__all__ = ["Space", "edge_space", "node_space", "union_index", "use_masks", "check_layer", "check_block"]


class Space:
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
            return independent_chance(d1, d2)
        return blockwise_chance(self.block_sizes(a), self.block_sizes(b), np.diff(self.offsets))

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


def union_index(structs):
    """The union of the nodes of ``structs`` and, per structure, its node positions in it (None where the same)."""
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


def use_masks(possible, structs):
    """Whether edge sets are boolean masks (a byte per possible edge) rather than keys (eight per present one)."""
    return possible <= MASK_LIMIT or all(possible <= 8 * s.n_edges for s in structs)


def edge_space(structs, *, layer=None, labels=None):
    """The edge sets of ``structs`` as a :class:`Space` (one block only with ``layer``); checks the architectures."""
    same_layers = check_comparable(structs, labels)
    if same_layers:
        lay = structs[0].layered
        if layer is not None:
            layer = check_block(layer, len(lay.sizes) - 1)
            lo, hi = int(lay.offsets[layer]), int(lay.offsets[layer + 1])
        else:
            lo, hi = 0, lay.possible
        if use_masks(lay.possible, structs):
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
        return Space(mode, sets, [hi - lo] * len(structs), decode, layered=True, offsets=offsets)
    if layer is not None:
        for k, s in enumerate(structs):
            s.require_layered(name=f"graphs[{k}]")
        raise ArchitectureMismatchError("layered graphs with different node labels cannot be compared by layer")
    nodes, maps = union_index(structs)
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

    return Space("keys", sets, [s.n_nodes**2 for s in structs], decode)


def node_space(structs, *, layer=None, labels=None):
    """The sets of surviving (non-isolated) nodes of ``structs`` as a :class:`Space` (one layer only with ``layer``)."""
    same_layers = check_comparable(structs, labels)
    if same_layers:
        lay = structs[0].layered
        starts = np.concatenate([[0], np.cumsum(lay.sizes)]).astype(np.int64)
        if layer is not None:
            layer = check_layer(layer, len(lay.sizes))
            lo, hi = int(starts[layer]), int(starts[layer + 1])
        else:
            lo, hi = 0, int(starts[-1])
        sets = []
        for s in structs:
            alive = np.zeros(int(starts[-1]), dtype=bool)
            alive[starts[s.layered.layer] + s.layered.pos] = (s.in_degree + s.out_degree) > 0
            sets.append(alive[lo:hi])
        return Space("mask", sets, [hi - lo] * len(structs), None)
    if layer is not None:
        for k, s in enumerate(structs):
            s.require_layered(name=f"graphs[{k}]")
        raise ArchitectureMismatchError("layered graphs with different node labels cannot be compared by layer")
    nodes, maps = union_index(structs)
    sets = []
    for s, m in zip(structs, maps):
        ids = np.flatnonzero((s.in_degree + s.out_degree) > 0)
        sets.append(np.sort(ids if m is None else m[ids]))
    return Space("keys", sets, [s.n_nodes for s in structs], None)


def check_layer(layer, n_layers, *, name="layer"):
    """``layer`` as an int in ``[0, n_layers)``; ParameterError otherwise."""
    if isinstance(layer, bool) or not isinstance(layer, (int, np.integer)) or not 0 <= layer < n_layers:
        raise ParameterError(f"{name}={layer!r}, expected None or an int in [0, {n_layers - 1}]")
    return int(layer)


def check_block(layer, n_blocks):
    """``layer`` as the int of a block in ``[0, n_blocks)`` (edges from layer l to l + 1); ParameterError otherwise."""
    if isinstance(layer, bool) or not isinstance(layer, (int, np.integer)) or not 0 <= layer < n_blocks:
        raise ParameterError(
            f"layer={layer!r}, expected None or an int in [0, {n_blocks - 1}] (edges from layer l to l + 1)"
        )
    return int(layer)
