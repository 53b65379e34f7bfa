"""The weight layers of channel-level graphs as boolean blocks (private kernel of :mod:`analysis.blocks`).

A channel-level graph -- a :class:`networkx.DiGraph` made by :mod:`netgraph.channels`, or the
same graph held as arrays, a :class:`netgraph.channel_network.ChannelNetwork` -- records its
weight layers (``layers``). Block ``k`` is layer ``k``'s channel connections as a boolean
matrix, output channel x column, the columns being the distinct nodes the layer reads in the
order its input units first read them; both kinds of input give the same matrix.
"""

import networkx as nx
import numpy as np
from scipy.optimize import linear_sum_assignment

from netgraph.errors import ArchitectureMismatchError, ParameterError

from ._align import match_targets
from ._nnstd_kernel import edit_costs
from ._structure import graph_attribute, is_channel_network

__all__ = [
    "channel_layers",
    "check_same_layers",
    "columns",
    "block_matrix",
    "allowed",
    "element_mask",
    "permutable",
    "relabel_columns",
    "match_rows",
    "nnstd_rows",
    "random_block",
]

_KEYS = ("module", "weight_shape", "groups", "inputs", "output")


def channel_layers(G, name):
    """The weight-layer records of a channel-level graph; ParameterError naming ``name`` otherwise."""
    layers = graph_attribute(G, "layers") if isinstance(G, nx.DiGraph) or is_channel_network(G) else None
    if not isinstance(layers, list):
        raise ParameterError(
            f"{name} is not a channel-level graph (netgraph.channels): it has no G.graph['layers'] of weight layers"
        )
    return layers


def check_same_layers(layers1, layers2):
    """ArchitectureMismatchError, naming the first, unless the weight layers agree in module, shape, groups, wiring."""
    if len(layers1) != len(layers2):
        raise ArchitectureMismatchError(f"G1 has {len(layers1)} weight layers, G2 {len(layers2)}")
    for a, b in zip(layers1, layers2):
        differ = [k for k in _KEYS if a.get(k) != b.get(k)]
        if differ:
            raise ArchitectureMismatchError(
                f"weight layer {a.get('module')!r} of G1 and {b.get('module')!r} of G2 differ in {', '.join(differ)}"
            )


def columns(layer):
    """The distinct nodes a layer reads (its columns, as tuples) and the column of each."""
    distinct = list(dict.fromkeys(tuple(v) for v in layer["inputs"]))
    return distinct, {v: k for k, v in enumerate(distinct)}


def block_matrix(G, k, layer):
    """Block ``k`` of ``G`` (whose record is ``layer``): bool, output channel x column."""
    n_out = layer["weight_shape"][0]
    distinct, column = columns(layer)
    A = np.zeros((n_out, len(distinct)), dtype=bool)
    if is_channel_network(G):
        b = G.blocks[k]
        A[b.rows, b.cols] = True
        return A
    out = layer["output"]
    pred = G.pred
    for j in range(n_out):
        cols = [column[u] for u in pred.get((out, j), ()) if u in column]
        A[j, cols] = True
    return A


def allowed(layer):
    """Where block ``k`` can have a connection (bool, output x column): within each group."""
    n_out, per_group = layer["weight_shape"][:2]
    groups = layer["groups"]
    distinct, column = columns(layer)
    group_of_column = np.zeros(len(distinct), dtype=np.int64)
    for unit, v in enumerate(tuple(v) for v in layer["inputs"]):
        group_of_column[column[v]] = unit // per_group
    group_of_row = np.arange(n_out) // (n_out // groups)
    return group_of_row[:, None] == group_of_column[None, :]


def element_mask(G, k, name):
    """The present elements of layer ``k``'s weight (bool, its shape); ParameterError when ``G`` kept none."""
    masks = graph_attribute(G, "element_masks")
    if masks is None:
        raise ParameterError(
            f"{name} has no element masks (G.graph['element_masks']): kernel-element measures need the graph "
            "of netgraph.channels.channel_graph or block_view, not one read from a file that keeps no weights"
        )
    return np.asarray(masks[k], dtype=bool)


def permutable(G, layers):
    """Per layer: whether its output channels may be relabelled (something reads its output space).

    A space is read by a weight layer (its ``inputs``) or by a residual add (an identity edge
    from it); a space nothing reads is an output of the network, and keeps its order. A block
    view knows no wiring: every block's outputs may be relabelled.
    """
    if graph_attribute(G, "view") == "blocks":
        return [True] * len(layers)
    read = {v[0] for layer in layers for v in layer["inputs"]}
    if is_channel_network(G):
        read.update(G.space_of(G.identity[0]).tolist())
    else:
        read.update(u[0] for u, _, kind in G.edges(data="kind") if kind == "identity")
    return [layer["output"] in read for layer in layers]


def relabel_columns(A2, layer, perms):
    """``A2``'s columns relabelled by the permutations of the spaces they read (``perms[space][i]``)."""
    distinct, column = columns(layer)
    target = [column.get((s, int(perms[s][i])) if s in perms else (s, i), c) for c, (s, i) in enumerate(distinct)]
    B = np.zeros_like(A2)
    B[:, target] = A2
    return B


def match_rows(A1, B):
    """The relabelling of ``B``'s rows onto ``A1``'s by the Jaccard of their sets (``perm[k]``: row of ``A1``)."""
    return match_targets(A1.T, B.T)


def nnstd_rows(A1, B):
    """NNSTD's matching of ``B``'s rows onto ``A1``'s: the mean matched edit distance and the permutation."""
    cost = edit_costs(A1.T, B.T)
    rows, cols = linear_sum_assignment(cost)
    perm = np.empty(B.shape[0], dtype=np.int64)
    perm[cols] = rows
    return float(cost[rows, cols].sum() / max(B.shape[0], 1)), perm


def random_block(possible, m, gen):
    """A block with ``m`` connections placed uniformly among the ``possible`` ones (bool mask), drawn from ``gen``."""
    where = np.flatnonzero(possible)
    A = np.zeros(possible.shape, dtype=bool)
    A.flat[gen.choice(where, size=m, replace=False)] = True
    return A
