"""The graph contract, both ways, for a network in memory: :class:`~netgraph.network.Checkpoint` <-> DiGraph.

No files and no torch: :mod:`netgraph.convert` puts its public functions on top of these, and
the graph-file formats of :mod:`netgraph.io` read and write through them.
"""

import numbers

import networkx as nx
import numpy as np

from .errors import CheckpointError, GraphContractError
from .network import ADJACENCY_KEY, Checkpoint, adjacency_of, csr_block

__all__ = ["layer_nodes", "network_graph", "graph_to_checkpoint", "graph_layer_sizes"]

_ROLES = ("input", "hidden", "output")


def layer_nodes(layer_sizes):
    """The node tuples of each layer: ``[[(0, 0), (0, 1), ...], [(1, 0), ...], ...]``.

    Examples
    --------
    >>> layer_nodes([2, 1])
    [[(0, 0), (0, 1)], [(1, 0)]]
    """
    return [[(l, i) for i in range(n)] for l, n in enumerate(layer_sizes)]


def network_graph(ckpt):
    """The ``networkx.DiGraph`` of a network (the contract of :mod:`netgraph.convert`); a new graph.

    The graph's structure as arrays (the network's blocks, transposed) is put in its
    ``__networkx_cache__`` under :data:`netgraph.network.ADJACENCY_KEY`, which networkx empties on
    every structural edit: until then, :mod:`analysis` reads the graph from those arrays.
    """
    sizes = list(ckpt.layer_sizes)
    last = len(sizes) - 1
    G = nx.DiGraph(
        layer_sizes=sizes,
        activation=ckpt.activation,
        has_bias=bool(ckpt.has_bias),
        meta=dict(ckpt.meta),
    )
    nodes = layer_nodes(sizes)
    for l, layer in enumerate(nodes):
        role = _ROLES[0] if l == 0 else _ROLES[2] if l == last else _ROLES[1]
        bias = [0.0] * sizes[0] if l == 0 else np.asarray(ckpt.biases[l - 1], dtype=np.float64).tolist()
        G.add_nodes_from(
            (node, {"layer": l, "index": node[1], "role": role, "bias": b}) for node, b in zip(layer, bias)
        )
    transposed = list(ckpt.transposed_blocks())  # the edges and the structure arrays both come from them
    for l, block in enumerate(transposed):
        # source-major: edges come grouped by source unit, targets ascending
        src = np.repeat(np.arange(block.shape[0]), np.diff(block.indptr))
        dst, wt = block.indices, block.data.astype(np.float64)
        G.add_weighted_edges_from(
            zip(map(nodes[l].__getitem__, src.tolist()), map(nodes[l + 1].__getitem__, dst.tolist()), wt.tolist())
        )
    cache = getattr(G, "__networkx_cache__", None)  # networkx >= 3.3
    if cache is not None:
        cache[ADJACENCY_KEY] = (tuple(sizes), *adjacency_of(sizes, transposed, ckpt.n_connections()))
    return G


def graph_to_checkpoint(G, *, meta=None):
    """Read a graph that follows the contract back into a :class:`~netgraph.Checkpoint`.

    Layer sizes come from ``G.graph["layer_sizes"]`` when present, otherwise from the nodes.
    Node ``bias`` defaults to 0.0, ``G.graph["activation"]`` to ``"relu"``.

    Parameters
    ----------
    G : networkx.DiGraph
    meta : dict, optional
        Metadata to record; default ``G.graph.get("meta", {})``.

    Returns
    -------
    Checkpoint

    Raises
    ------
    GraphContractError
        If ``G`` is not a ``networkx.DiGraph`` (a MultiDiGraph could hold several weights for
        one connection, an undirected graph no direction), a node is not a ``(layer, index)``
        pair of ints within the layer sizes, ``G.graph["layer_sizes"]`` is not a list of ints
        (or the ``"784,1000,10"`` string of an export), an edge does not go from layer ``l``
        to ``l + 1``, an edge has no real ``weight``, a ``bias`` is not a real number, or the
        graph attributes (``activation``, ``has_bias``, ``meta``) are invalid.
    """
    _check_graph(G)
    sizes = _layer_sizes(G)
    n_layers = len(sizes) - 1
    edges = [(np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.float64))] * n_layers
    biases = [np.zeros(sizes[l + 1], dtype=np.float32) for l in range(n_layers)]
    m = G.number_of_edges()
    if m:
        try:
            arr = np.array([(u[0], u[1], v[0], v[1]) for u, v in G.edges()], dtype=np.int64)
        except (TypeError, IndexError, ValueError):
            raise GraphContractError("graph edges must join (layer, index) nodes") from None
        w = np.fromiter(_edge_weights(G), dtype=np.float64, count=m)
        lu, iu, lv, jv = arr.T
        bad = np.flatnonzero(lv != lu + 1)
        if bad.size:
            u, v = tuple(arr[bad[0], :2].tolist()), tuple(arr[bad[0], 2:].tolist())
            raise GraphContractError(f"edge {u} -> {v} does not go from layer l to layer l + 1 ({bad.size} such edges)")
        edges = [(jv[lu == l], iu[lu == l], w[lu == l]) for l in range(n_layers)]
    for node, b in G.nodes(data="bias", default=0.0):
        if not _is_real(b):
            raise GraphContractError(f"node {node} has bias {b!r}, expected a real number")
        if node[0] > 0 and b:
            biases[node[0] - 1][node[1]] = b
    blocks = []
    for l, (rows, cols, values) in enumerate(edges):  # a DiGraph holds each connection once
        order = np.lexsort((cols, rows))
        indptr = np.zeros(sizes[l + 1] + 1, dtype=np.int64)
        np.cumsum(np.bincount(rows, minlength=sizes[l + 1]), out=indptr[1:])
        with np.errstate(over="ignore"):  # beyond float32: inf, refused as non-finite
            data = values[order].astype(np.float32)
        blocks.append(csr_block(indptr, cols[order], data, (sizes[l + 1], sizes[l])))
    try:
        return Checkpoint(
            layer_sizes=tuple(sizes),
            blocks=tuple(blocks),
            biases=tuple(biases),
            activation=G.graph.get("activation", "relu"),
            has_bias=G.graph.get("has_bias", True),
            meta=_graph_meta(G) if meta is None else meta,
        )
    except (CheckpointError, TypeError, ValueError) as exc:  # e.g. an unknown activation, has_bias "yes"
        raise GraphContractError(
            f"the graph does not describe a network: {str(exc).removeprefix('network: ')}"
        ) from None


def _is_real(x):
    return isinstance(x, numbers.Real) and not isinstance(x, bool)


def _edge_weights(G):
    for u, v, w in G.edges(data="weight"):
        if w is None:
            raise GraphContractError(f"edge {u} -> {v} has no 'weight' attribute")
        if not _is_real(w):
            raise GraphContractError(f"edge {u} -> {v} has weight {w!r}, expected a real number")
        yield w


def _graph_meta(G):
    meta = G.graph.get("meta", {})
    return dict(meta) if isinstance(meta, dict) else meta  # anything else is refused by Checkpoint


def _check_graph(G):
    if not isinstance(G, nx.Graph):
        raise GraphContractError(f"G is a {type(G).__name__}, expected a networkx.DiGraph")
    if G.is_multigraph():
        raise GraphContractError(
            f"G is a {type(G).__name__}: parallel edges would give one connection several weights; "
            "convert it to a networkx.DiGraph, deciding which weight each connection keeps"
        )
    if not G.is_directed():
        raise GraphContractError(f"G is an undirected {type(G).__name__}; a network needs a networkx.DiGraph")


def graph_layer_sizes(value):
    """``G.graph["layer_sizes"]``: a sequence of ints, or the comma-separated string of an export."""
    if isinstance(value, str):
        parts = [p.strip() for p in value.split(",")]
        if all(p.isdigit() for p in parts):
            return [int(p) for p in parts]
    elif isinstance(value, (list, tuple, np.ndarray)) and all(
        isinstance(x, numbers.Integral) and not isinstance(x, bool) for x in value
    ):
        return [int(x) for x in value]
    raise GraphContractError(
        f"G.graph['layer_sizes'] is {value!r}, expected a list of ints such as [784, 1000, 10] "
        "(or the string '784,1000,10')"
    )


def _layer_sizes(G):
    for node in G.nodes:
        if not (
            isinstance(node, tuple)
            and len(node) == 2
            and all(isinstance(x, (int, np.integer)) and not isinstance(x, bool) for x in node)
            and node[0] >= 0
            and node[1] >= 0
        ):
            raise GraphContractError(f"node {node!r} is not a (layer, index) pair of non-negative ints")
    if "layer_sizes" in G.graph:
        sizes = graph_layer_sizes(G.graph["layer_sizes"])
        for node in G.nodes:
            if node[0] >= len(sizes) or node[1] >= sizes[node[0]]:
                raise GraphContractError(f"node {node!r} lies outside layer_sizes {sizes}")
    else:
        if G.number_of_nodes() == 0:
            raise GraphContractError("the graph has no nodes and no 'layer_sizes' attribute")
        n_layers = 1 + max(node[0] for node in G.nodes)
        sizes = [0] * n_layers
        for l, i in G.nodes:
            sizes[l] = max(sizes[l], i + 1)
        if 0 in sizes:
            raise GraphContractError(f"layer {sizes.index(0)} has no nodes; set G.graph['layer_sizes']")
    if len(sizes) < 2:
        raise GraphContractError(f"layer_sizes {sizes}: a network needs at least two layers")
    return sizes
