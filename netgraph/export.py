"""Write a network's graph to files other tools open: GraphML, GEXF, edge lists, npz.

Graph files (GraphML, GEXF, edge list) use string node ids ``"L{layer}:{index}"`` such as
``"L1:17"`` — Gephi and most readers cannot use tuples — and keep ``layer``, ``index``,
``role`` and ``bias`` as node attributes and ``weight`` as the edge attribute. Graph-level
attributes are flattened to strings: ``layer_sizes`` as ``"784,1000,10"``, ``meta`` as
JSON in ``meta_json``. The npz file holds the arrays themselves: ``layer_sizes``,
``weight_{l}`` (out x in), ``mask_{l}``, ``bias_{l}``, ``activation`` and ``meta_json``.

Every file is written atomically (temporary file, then rename).
"""

import io
import json
from pathlib import Path

import networkx as nx
import numpy as np

from ._io import atomic_write
from ._validation import check_choice
from .checkpoint import as_checkpoint
from .convert import to_graph

__all__ = ["FORMATS", "export", "node_id", "to_string_graph"]

#: Formats :func:`export` writes, by name; the name is also the usual file suffix.
FORMATS = ("graphml", "gexf", "edgelist", "npz")
_SUFFIXES = {".graphml": "graphml", ".gexf": "gexf", ".edgelist": "edgelist", ".txt": "edgelist", ".npz": "npz"}


def node_id(node):
    """The string id of a ``(layer, index)`` node in exported graph files.

    Examples
    --------
    >>> node_id((1, 17))
    'L1:17'
    """
    return f"L{node[0]}:{node[1]}"


def to_string_graph(G):
    """Return a copy of ``G`` with string node ids and string-flattened graph attributes.

    Parameters
    ----------
    G : networkx.DiGraph
        A graph following the :func:`~netgraph.to_graph` contract.

    Returns
    -------
    networkx.DiGraph
        A new graph (``G`` is not changed).

    Examples
    --------
    >>> from netgraph import SparseMLP, to_graph
    >>> H = to_string_graph(to_graph(SparseMLP([2, 1])))
    >>> sorted(H.nodes), H.graph["layer_sizes"]
    (['L0:0', 'L0:1', 'L1:0'], '2,1')
    """
    H = nx.relabel_nodes(G, {n: node_id(n) for n in G}, copy=True)
    H.graph = {
        "layer_sizes": ",".join(str(s) for s in G.graph.get("layer_sizes", [])),
        "activation": str(G.graph.get("activation", "")),
        "has_bias": bool(G.graph.get("has_bias", True)),
        "meta_json": json.dumps(G.graph.get("meta", {}), sort_keys=True),
    }
    return H


def export(source, path, *, format=None):
    """Write the network ``source`` to ``path`` in ``format``.

    Parameters
    ----------
    source : str, Path, Checkpoint, SparseMLP, nn.Module or state_dict
        Anything :func:`~netgraph.to_graph` accepts.
    path : str or Path
        The file to write (replaced atomically if it exists).
    format : {"graphml", "gexf", "edgelist", "npz"}, optional
        Default: from the suffix of ``path``.

    Returns
    -------
    pathlib.Path
        The path written.

    Raises
    ------
    ParameterError
        If the format is unknown or cannot be inferred from ``path``.
    CheckpointError
        If ``source`` cannot be read.

    Examples
    --------
    >>> import tempfile, pathlib, networkx as nx
    >>> from netgraph import SparseMLP
    >>> p = export(SparseMLP([3, 2]), pathlib.Path(tempfile.mkdtemp()) / "net.graphml")
    >>> H = nx.read_graphml(p)
    >>> H.number_of_edges(), H.nodes["L1:0"]["role"]
    (6, 'output')
    """
    path = Path(path)
    if format is None:
        format = _SUFFIXES.get(path.suffix.lower())
        if format is None:
            check_choice(path.suffix, tuple(_SUFFIXES), name="suffix of path (or pass format)")
    check_choice(format, FORMATS, name="format")
    ckpt = as_checkpoint(source)
    if format == "npz":
        arrays = {
            "layer_sizes": np.asarray(ckpt.layer_sizes, dtype=np.int64),
            "activation": np.asarray(ckpt.activation),
            "has_bias": np.asarray(ckpt.has_bias),
            "meta_json": np.asarray(json.dumps(ckpt.meta, sort_keys=True)),
        }
        for l, (w, b, m) in enumerate(zip(ckpt.weights, ckpt.biases, ckpt.masks)):
            arrays[f"weight_{l}"], arrays[f"bias_{l}"], arrays[f"mask_{l}"] = w, b, m
        with atomic_write(path) as f:
            np.savez_compressed(f, **arrays)
        return path
    H = to_string_graph(to_graph(ckpt))
    if format == "graphml":
        with atomic_write(path) as f:
            nx.write_graphml(H, f)
    elif format == "gexf":
        with atomic_write(path) as f:
            nx.write_gexf(H, f)
    else:
        buf = io.BytesIO()
        nx.write_weighted_edgelist(H, buf)
        with atomic_write(path) as f:
            header = (
                "# netgraph edge list: source target weight (ids L{layer}:{index})\n"
                f"# layer_sizes={H.graph['layer_sizes']} activation={H.graph['activation']}\n"
            )
            f.write(header.encode())
            f.write(buf.getvalue())
    return path
