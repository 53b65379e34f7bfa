"""Channel-level graphs in files: GraphML, GEXF, edge lists and npz, written and read back exactly.

A channel-level graph (:mod:`netgraph.channels`: a convolutional or residual network, or the
block view of a state_dict) is written with the string node ids of :mod:`netgraph.io.graphfiles`,
``"L{layer}:{index}"`` (``layer`` the space), and its node attributes (``layer``, ``index``,
``kind``, ``bias``; ``bn_scale`` and ``bn_shift`` where a BatchNorm normalises the space) and
edge attributes (``kind``, ``weight``, ``nnz``) as they are. ``G.graph`` is flattened to strings:
``contract``, ``view`` (``"blocks"`` for a block view; absent otherwise), and ``spaces`` and
``layers`` as JSON in ``spaces_json`` and ``layers_json``. GraphML keeps them as graph
attributes, GEXF as a JSON object in its ``<meta><description>``, an edge list in ``#`` lines at
its top, with ``nodes_json`` (per space, each node attribute's values: an edge list has no column
for them), above its lines ``source target weight nnz kind``.

``npz`` holds arrays: ``contract``, ``view`` (where there is one), ``spaces_json``,
``layers_json``; per space ``l`` its nodes' ``bias_{l}`` and ``kind_{l}`` (and ``bn_scale_{l}``,
``bn_shift_{l}``, NaN on a node without, where a node of the space has them) and the edges into
it: ``edge_source_{l}`` (n x 2: each source's space and index), ``edge_target_{l}`` (each target's
index), ``edge_weight_{l}``, ``edge_nnz_{l}`` and ``edge_kind_{l}``; and per weight layer ``k``
(entry ``k`` of ``layers``) ``element_mask_{k}``, the present elements of its weight, where
``G.graph["element_masks"]`` holds them. Only npz keeps the element masks: the graph files leave
them out, and :func:`channel_notes` says so. The other formats of :func:`netgraph.io.export`
(``torch``, a plain ``nn.Sequential`` of Linear layers; ``set-npz``, a topology folder of Linear
layer matrices) cannot hold a channel graph: :func:`channel_format` refuses them.

Examples
--------
>>> import tempfile, pathlib, torch
>>> from torch import nn
>>> from netgraph.channels import channel_graph
>>> G = channel_graph(nn.Sequential(nn.Conv2d(2, 3, 1), nn.ReLU(), nn.Conv2d(3, 1, 1)), torch.zeros(1, 2, 4, 4))
>>> p = write_channel_graph(G, pathlib.Path(tempfile.mkdtemp()) / "net.gexf")
>>> H = read_channel_graph(p)
>>> H.number_of_nodes(), H.number_of_edges(), H.graph["spaces"][1]
(6, 9, {'units': 3, 'kind': 'conv', 'module': '0'})
>>> H.edges[(0, 1), (1, 2)] == G.edges[(0, 1), (1, 2)], H.edges[(0, 1), (1, 2)]["nnz"]
(True, 1)
"""

import json
import math
import re
from functools import partial
from pathlib import Path

import networkx as nx
import numpy as np

from ..channel_network import CONTRACT, ElementMasks
from ..errors import CheckpointError, GraphContractError, ParameterError
from ..fileio import atomic_write, check_implied_size, jsonable, load_json
from .graphfiles import gexf_bytes, gexf_description, graph_bytes, node_id, parse_node_id, scan_edgelist
from .registry import get, read_wrapped, suffix_format

__all__ = [
    "CHANNEL_FORMATS",
    "is_channel_graph",
    "channel_format",
    "channel_notes",
    "write_channel_graph",
    "read_channel_graph",
]

#: The formats a channel-level graph is written in (their suffixes those of :func:`netgraph.io.export`).
CHANNEL_FORMATS = ("graphml", "gexf", "edgelist", "npz")

# why the other export formats cannot hold a channel graph
_REFUSED = {
    "torch": "torch writes the state_dict of a plain nn.Sequential of Linear layers",
    "set-npz": "set-npz writes a SET/NNSTD topology folder of Linear layer matrices",
}
_EDGELIST_TITLE = "# netgraph edge list: source target weight nnz kind (ids L{layer}:{index}; a channel-level graph)"
# the node attributes an edge list's and npz's node ids already say
_ID_ATTRIBUTES = ("layer", "index")


def is_channel_graph(G):
    """Whether ``G`` is a channel-level graph: a DiGraph whose ``G.graph["contract"]`` is the channel contract.

    Examples
    --------
    >>> import networkx as nx
    >>> is_channel_graph(nx.DiGraph(contract="netgraph-channels-1")), is_channel_graph(nx.DiGraph())
    (True, False)
    """
    return isinstance(G, nx.DiGraph) and G.graph.get("contract") == CONTRACT


def channel_format(path, format=None, *, label=None):
    """The format :func:`write_channel_graph` writes ``path`` in: ``format`` if given, else from the suffix.

    Parameters
    ----------
    path : str or Path
    format : {"graphml", "gexf", "edgelist", "npz"}, optional
    label : str, optional
        What the channel graph was read from (a file), to begin the message with.

    Returns
    -------
    str

    Raises
    ------
    ParameterError
        If ``format`` is not one of :data:`CHANNEL_FORMATS` (``torch`` and ``set-npz`` hold
        networks of Linear layers only), or is None and the suffix of ``path`` names none.

    Examples
    --------
    >>> channel_format("net.graphml"), channel_format("net.txt"), channel_format("x", "npz")
    ('graphml', 'edgelist', 'npz')
    >>> channel_format("plain.pt", "torch", label="model.pt2")
    Traceback (most recent call last):
    ...
    netgraph.errors.ParameterError: model.pt2: is a channel-level graph; format='torch', must be one of 'graphml', 'gexf', 'edgelist', 'npz' (torch writes the state_dict of a plain nn.Sequential of Linear layers: no channel graph)
    """
    prefix = f"{label}: is a channel-level graph; " if label is not None else ""
    if format is None:
        format = suffix_format(path)
        if format not in CHANNEL_FORMATS:
            suffixes = ", ".join(s for name in CHANNEL_FORMATS for s in get(name).suffixes)
            raise ParameterError(
                f"{prefix}suffix of path {Path(path).name!r} names no format of channel-level graphs, "
                f"must be one of {suffixes} (or pass format)"
            )
    if format not in CHANNEL_FORMATS:
        valid = ", ".join(repr(f) for f in CHANNEL_FORMATS)
        why = f" ({_REFUSED[format]}: no channel graph)" if format in _REFUSED else ""
        raise ParameterError(f"{prefix}format={str(format)[:40]!r}, must be one of {valid}{why}")
    return format


def channel_notes(G, format):
    """What a user of a file :func:`write_channel_graph` wrote needs to know (what it lost), as lines.

    Examples
    --------
    >>> import networkx as nx, numpy as np
    >>> G = nx.DiGraph(contract="netgraph-channels-1", element_masks=[np.ones((1, 1), bool)])
    >>> channel_notes(G, "graphml")
    ['note: element_masks (the present elements of each weight layer) are not written: graphml cannot hold them (npz does)']
    >>> channel_notes(G, "npz")
    []
    """
    if format == "npz" or G.graph.get("element_masks") is None:
        return []
    return [
        f"note: element_masks (the present elements of each weight layer) are not written: {format} cannot hold "
        "them (npz does)"
    ]


def write_channel_graph(G, path, *, format=None):
    """Write the channel-level graph ``G`` to ``path`` in ``format`` (atomically; see the module docstring).

    Parameters
    ----------
    G : networkx.DiGraph
        A channel-level graph (:func:`netgraph.channels.channel_graph`,
        :func:`~netgraph.channels.block_view`), possibly edited.
    path : str or Path
        The file to write (replaced atomically if it exists; a link is followed). Missing
        parent folders are created.
    format : {"graphml", "gexf", "edgelist", "npz"}, optional
        Default: from the suffix of ``path`` (see :func:`channel_format`).

    Returns
    -------
    pathlib.Path
        The path written.

    Raises
    ------
    ParameterError
        If the format is not one of :data:`CHANNEL_FORMATS` or cannot be told from ``path``.
    GraphContractError
        If ``G`` is not a channel-level graph; for an edge list or npz, also if its nodes are
        not the units of its spaces (those store each space's nodes by index).
    OutputError
        If ``path`` exists and is not a regular file, or is an input of the running command.
    """
    path = Path(path)
    format = channel_format(path, format)
    if not is_channel_graph(G):
        raise GraphContractError(f"G is not a channel-level graph (G.graph['contract'] is not {CONTRACT!r})")
    data = _WRITERS[format](G)
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_write(path) as f:
        if format == "npz":
            np.savez_compressed(f, **data)
        else:
            f.write(data)
    return path


def read_channel_graph(path, *, format=None):
    """Read a file :func:`write_channel_graph` wrote back into the same channel-level graph.

    Parameters
    ----------
    path : str or Path
    format : {"graphml", "gexf", "edgelist", "npz"}, optional
        Default: from the suffix of ``path``.

    Returns
    -------
    networkx.DiGraph
        The nodes ``(layer, index)``, edges and attributes written; ``G.graph`` with
        ``contract``, ``view`` where there was one, ``spaces`` and ``layers`` (the JSON decoded),
        and from npz the ``element_masks`` where they were written.

    Raises
    ------
    ParameterError
        If the format is not one of :data:`CHANNEL_FORMATS` or cannot be told from ``path``.
    CheckpointError
        If the file is not a channel-graph export of that format (a network of Linear layers'
        export is read by :func:`netgraph.load_checkpoint`), or it is damaged; the message
        names the file and what is wrong.

    Examples
    --------
    >>> import tempfile, pathlib, torch
    >>> from netgraph.channels import block_view
    >>> G = block_view({"fc.weight": torch.tensor([[0.5, 0.0], [0.0, -2.0]])})
    >>> p = write_channel_graph(G, pathlib.Path(tempfile.mkdtemp()) / "blocks.graphml")
    >>> H = read_channel_graph(p)
    >>> sorted(H.edges(data="weight")), H.graph["view"], H.graph["layers"][0]["weight_shape"]
    ([((0, 0), (1, 0), 0.5), ((0, 1), (1, 1), -2.0)], 'blocks', [2, 2])
    >>> H.nodes[(1, 1)]
    {'layer': 1, 'index': 1, 'kind': 'linear', 'bias': 0.0}
    """
    path = Path(path)
    format = channel_format(path, format)
    return read_wrapped(path, _READERS[format], what=f"a netgraph {format} channel-graph export")


# --------------------------------------------------------------------------- writing


def _flat_attributes(G):
    """``G.graph`` as strings: contract, view, and the spaces and layers as JSON."""
    flat = {"contract": str(G.graph["contract"])}
    if G.graph.get("view") is not None:
        flat["view"] = str(G.graph["view"])
    flat["spaces_json"] = json.dumps(jsonable(G.graph.get("spaces", [])))
    flat["layers_json"] = json.dumps(jsonable(G.graph.get("layers", [])))
    return flat


def _string_graph(G):
    H = nx.DiGraph()
    H.graph = _flat_attributes(G)
    H.add_nodes_from((node_id(v), d) for v, d in G.nodes(data=True))
    H.add_edges_from((node_id(u), node_id(v), d) for u, v, d in G.edges(data=True))
    return H


def _space_nodes(G):
    """The nodes of each space, by index: checked to be exactly the units of ``G.graph["spaces"]``."""
    sizes = [int(s["units"]) for s in G.graph.get("spaces", [])]
    expected = sum(sizes)
    if G.number_of_nodes() != expected or any(
        not (isinstance(v, tuple) and len(v) == 2 and 0 <= v[0] < len(sizes) and 0 <= v[1] < sizes[v[0]]) for v in G
    ):
        raise GraphContractError(
            f"G has {G.number_of_nodes()} nodes that are not the {expected} units of its spaces; an edge list or npz "
            "stores each space's nodes by index (write GraphML or GEXF)"
        )
    return [[(l, j) for j in range(n)] for l, n in enumerate(sizes)]


def _node_attributes(G, nodes):
    """Per space, each node attribute (but ``layer`` and ``index``) as a list over its nodes (None where absent)."""
    out = []
    for space in nodes:
        names = list(dict.fromkeys(k for v in space for k in G.nodes[v] if k not in _ID_ATTRIBUTES))
        out.append({k: [G.nodes[v].get(k) for v in space] for k in names})
    return out


def _graphml(G):
    return graph_bytes(nx.write_graphml, _string_graph(G))


def _gexf(G):
    return gexf_bytes(_string_graph(G))


def _edgelist(G):
    nodes = _space_nodes(G)
    flat = _flat_attributes(G)
    header = [
        " ".join(f"{k}={flat[k]}" for k in ("contract", "view") if k in flat),
        *(f"{k}={flat[k]}" for k in ("spaces_json", "layers_json")),
        f"nodes_json={json.dumps(_node_attributes(G, nodes))}",
    ]
    H = nx.DiGraph()
    H.add_edges_from((node_id(u), node_id(v), d) for u, v, d in G.edges(data=True))
    lines = graph_bytes(partial(nx.write_edgelist, data=["weight", "nnz", "kind"]), H)
    return "".join(f"{line}\n" for line in [_EDGELIST_TITLE, *(f"# {h}" for h in header)]).encode("utf-8") + lines


def _npz(G):
    nodes = _space_nodes(G)
    flat = _flat_attributes(G)
    arrays = {k: np.asarray(v) for k, v in flat.items()}
    for l, (space, attrs) in enumerate(zip(nodes, _node_attributes(G, nodes))):
        arrays[f"bias_{l}"] = np.asarray([0.0 if b is None else b for b in attrs.get("bias", [None] * len(space))])
        arrays[f"kind_{l}"] = np.asarray([str(k) for k in attrs.get("kind", [""] * len(space))], dtype=str)
        for name in ("bn_scale", "bn_shift"):
            if name in attrs:
                arrays[f"{name}_{l}"] = np.asarray(
                    [math.nan if x is None else x for x in attrs[name]], dtype=np.float64
                )
        edges = [(u, v, d) for v in space for u, _, d in G.in_edges(v, data=True)]
        arrays[f"edge_source_{l}"] = np.asarray([u for u, _, _ in edges], dtype=np.int64).reshape(-1, 2)
        arrays[f"edge_target_{l}"] = np.asarray([v[1] for _, v, _ in edges], dtype=np.int64)
        arrays[f"edge_weight_{l}"] = np.asarray([d["weight"] for _, _, d in edges], dtype=np.float64)
        arrays[f"edge_nnz_{l}"] = np.asarray([d["nnz"] for _, _, d in edges], dtype=np.int64)
        arrays[f"edge_kind_{l}"] = np.asarray([str(d["kind"]) for _, _, d in edges], dtype=str)
    for k, mask in enumerate(G.graph.get("element_masks") or ()):
        arrays[f"element_mask_{k}"] = np.asarray(mask, dtype=bool)
    return arrays


_WRITERS = {"graphml": _graphml, "gexf": _gexf, "edgelist": _edgelist, "npz": _npz}


# --------------------------------------------------------------------------- reading


def _graph_attributes(flat, path):
    """``G.graph`` from the flattened attributes of a file; CheckpointError where it is no channel graph."""
    contract = flat.get("contract")
    if contract != CONTRACT:
        what = "has no contract" if contract is None else f"has contract {str(contract)[:40]!r}"
        raise CheckpointError(
            f"{what}, expected {CONTRACT!r}; not a channel-graph export (one of a network of Linear layers "
            "loads with netgraph.load_checkpoint)"
        )
    out = {"contract": CONTRACT}
    if flat.get("view") is not None:
        out["view"] = str(flat["view"])
    for key in ("spaces", "layers"):
        value = load_json(str(flat.get(f"{key}_json", "[]")), path, field=f"{key}_json")
        if not isinstance(value, list) or not all(isinstance(d, dict) for d in value):
            raise CheckpointError(f"{key}_json is not a list of objects")
        out[key] = value
    return out


def _sizes(G, path, nbytes):
    """The units of each space of ``G.graph["spaces"]``, checked against what the file's size allows."""
    sizes = [s.get("units") for s in G.graph["spaces"]]
    if not all(isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in sizes):
        raise CheckpointError("spaces_json: a space's units is not a non-negative int")
    check_implied_size(path, units=sum(sizes), nbytes=nbytes)
    return sizes


def _tuple_graph(H, G):
    """``G`` with the nodes and edges of the string-id graph ``H`` (networkx readers' extras left out)."""
    nodes = {}
    for n, d in H.nodes(data=True):
        v = parse_node_id(n)
        if v is None:
            raise CheckpointError(
                f"node id {str(n)[:40]!r} is not of the form L{{layer}}:{{index}}; not a netgraph export"
            )
        nodes[n] = v
        G.add_node(v, **{k: x for k, x in d.items() if not (k == "label" and x == n)})  # GEXF's labels are the ids
    G.add_edges_from((nodes[u], nodes[v], {k: x for k, x in d.items() if k != "id"}) for u, v, d in H.edges(data=True))
    return G


def _read_graphml(path, nbytes):
    H = nx.read_graphml(path)
    return _tuple_graph(H, nx.DiGraph(**_graph_attributes(H.graph, path)))


def _read_gexf(path, nbytes):
    G = nx.DiGraph(**_graph_attributes(gexf_description(path), path))
    return _tuple_graph(nx.read_gexf(path), G)


def _read_edgelist(path, nbytes):
    flat, edges = {}, []
    lines = scan_edgelist(
        path,
        columns=("source", "target", "weight", "nnz", "kind"),
        json_keys=("spaces_json", "layers_json", "nodes_json"),
        value_keys=("contract", "view"),
    )
    for lineno, kind, item in lines:
        if kind == "json":
            flat[item[0]] = item[1]
        elif kind == "values":
            flat.update(item)
        else:
            edges.append((lineno, item))
    G = nx.DiGraph(**_graph_attributes(flat, path))
    sizes = _sizes(G, path, nbytes)
    attrs = load_json(flat.get("nodes_json", "[]"), path, field="nodes_json")
    if not isinstance(attrs, list) or len(attrs) != len(sizes) or not all(isinstance(a, dict) for a in attrs):
        raise CheckpointError(f"nodes_json is not a list of {len(sizes)} objects, one per space")
    _add_space_nodes(G, sizes, attrs)
    for lineno, (u, v, weight, nnz, kind) in edges:
        ends = [parse_node_id(u), parse_node_id(v)]
        if not all(end in G for end in ends):
            raise CheckpointError(f"line {lineno}: the edge {u} -> {v} is not between units of the spaces")
        G.add_edge(*ends, weight=float(weight), nnz=int(nnz), kind=kind)
    return G


def _add_space_nodes(G, sizes, attrs):
    """The nodes of every space, with the attributes of ``attrs`` (per space, per attribute its values)."""
    for l, (n, space) in enumerate(zip(sizes, attrs)):
        for name, values in space.items():
            if not isinstance(values, list) or len(values) != n:
                raise CheckpointError(f"space {l}: {str(name)[:40]!r} does not hold a value for each of its {n} nodes")
        for j in range(n):
            d = {"layer": l, "index": j}
            d.update((name, values[j]) for name, values in space.items() if values[j] is not None)
            G.add_node((l, j), **d)


def _read_npz(path, nbytes):
    with np.load(path, allow_pickle=False) as z:
        files = set(z.files)
        missing = [k for k in ("contract", "spaces_json", "layers_json") if k not in files]
        if missing:
            raise CheckpointError(f"npz file without {', '.join(missing)}; not a channel-graph export")
        flat = {k: str(z[k]) for k in ("contract", "view", "spaces_json", "layers_json") if k in files}
        G = nx.DiGraph(**_graph_attributes(flat, path))
        sizes = _sizes(G, path, nbytes)
        _check_unpacked(z, G, sizes)
        names = [f"{stem}_{l}" for l in range(len(sizes)) for stem in ("bias", "kind", *(f"edge_{e}" for e in _EDGE))]
        absent = [k for k in names if k not in files]
        if absent:
            raise CheckpointError(f"npz file lacks {', '.join(absent[:6])} for {len(sizes)} spaces")
        attrs = []
        for l in range(len(sizes)):
            space = {"kind": z[f"kind_{l}"].tolist(), "bias": z[f"bias_{l}"].tolist()}
            for name in ("bn_scale", "bn_shift"):
                if f"{name}_{l}" in files:
                    space[name] = [None if math.isnan(x) else x for x in z[f"{name}_{l}"].tolist()]
            attrs.append(space)
        _add_space_nodes(G, sizes, attrs)
        for l in range(len(sizes)):
            source, target, weight, nnz, kind = (z[f"edge_{e}_{l}"] for e in _EDGE)
            if source.ndim != 2 or source.shape[1:] != (2,) or not (len(source) == len(target) == len(weight)):
                raise CheckpointError(f"the edge arrays of space {l} do not match (sources n x 2, one entry per edge)")
            for u, j, w, c, k in zip(source.tolist(), target.tolist(), weight.tolist(), nnz.tolist(), kind.tolist()):
                if tuple(u) not in G or (l, j) not in G:
                    raise CheckpointError(f"space {l}: the edge L{u[0]}:{u[1]} -> L{l}:{j} is not between units")
                G.add_edge(tuple(u), (l, j), kind=k, weight=w, nnz=c)
        masks = sorted((int(m.group(1)), name) for name in files if (m := re.fullmatch(r"element_mask_(\d+)", name)))
        if masks:
            layers = G.graph["layers"]
            if [k for k, _ in masks] != list(range(len(layers))):
                raise CheckpointError(f"npz file holds element masks of {len(masks)} of {len(layers)} weight layers")
            arrays = [z[name] for _, name in masks]
            for k, mask in enumerate(arrays):
                if mask.dtype != bool or list(mask.shape) != list(layers[k].get("weight_shape", [])):
                    raise CheckpointError(
                        f"element_mask_{k} is {mask.dtype} of shape {list(mask.shape)}, expected bool of the "
                        f"weight shape {layers[k].get('weight_shape')}"
                    )
            G.graph["element_masks"] = ElementMasks(arrays)
    return G


def _check_unpacked(z, G, sizes):
    """Refuse members that unpack to more than a graph of these spaces and layers can need (a zip bomb).

    Per possible connection of a weight layer (its outputs by its distinct inputs) an edge's five
    arrays (at most 72 bytes), per element of its weight a mask byte, per unit its node arrays and
    two identity edges, and 1 MiB of headers.
    """
    connections = elements = 0
    for layer in G.graph.get("layers", []):
        shape = [int(n) for n in layer.get("weight_shape", [])]
        distinct = len({tuple(v) for v in layer.get("inputs", [])})
        connections += (shape[0] if shape else 0) * distinct
        elements += math.prod(shape) if shape else 0
    most = 72 * connections + elements + (56 + 2 * 72) * sum(sizes) + (1 << 20)
    unpacked = sum(info.file_size for info in z.zip.infolist())
    if unpacked > most:
        raise CheckpointError(
            f"its members unpack to {unpacked:,} bytes, more than a channel graph of these spaces and weight "
            f"layers can need ({most:,}); a damaged file or a zip bomb"
        )


_EDGE = ("source", "target", "weight", "nnz", "kind")
_READERS = {"graphml": _read_graphml, "gexf": _read_gexf, "edgelist": _read_edgelist, "npz": _read_npz}
