"""Write a network to files other tools open, and read those files back: GraphML, GEXF, edge lists, npz, torch.

Graph files (GraphML, GEXF, edge list) use string node ids ``"L{layer}:{index}"`` such as
``"L1:17"`` — Gephi and most readers cannot use tuples — and keep ``layer``, ``index``,
``role`` and ``bias`` as node attributes and ``weight`` as the edge attribute. Graph-level
attributes are flattened to strings: ``layer_sizes`` as ``"784,1000,10"``, ``activation``,
``has_bias`` and ``meta`` as JSON in ``meta_json``. GraphML stores them as graph attributes;
GEXF, whose graphs have no attributes, as a JSON object in the file's
``<meta><description>``; an edge list in ``#`` comment lines at its top (with the biases,
which an edge list has no column for), which edge-list readers skip. The npz file holds the
arrays themselves: ``layer_sizes``, ``weight_{l}`` (out x in), ``mask_{l}``, ``bias_{l}``,
``activation``, ``has_bias`` and ``meta_json``.

Every one of these formats reads back exactly (:func:`read_export`, and so
:func:`netgraph.load_checkpoint`, :func:`netgraph.to_graph` and every command): the same
weights, biases, masks and metadata.

``torch`` is the deployable output: the ``state_dict`` of a plain ``nn.Sequential`` of
``nn.Linear`` layers with the activation between them (keys ``0.weight``, ``0.bias``,
``2.weight``, ...), dense, zero where no connection is, so the network runs without netgraph
(:func:`torch_load_code` says how to build and load it). It records neither masks, nor the
activation, nor metadata: netgraph reads it back as a foreign state_dict, with a connection
wherever a weight is non-zero, so a present connection of weight exactly 0 comes back absent,
and the activation assumed ``relu`` unless given.

Every file is written atomically (temporary file, then rename).

Examples
--------
>>> import tempfile, pathlib
>>> from netgraph import SparseMLP, load_checkpoint
>>> p = export(SparseMLP([3, 2]), pathlib.Path(tempfile.mkdtemp()) / "net.gexf")
>>> ckpt = load_checkpoint(p)
>>> ckpt.layer_sizes, ckpt.source_format, ckpt.n_connections()
((3, 2), 'gexf', 6)
"""

import io
import json
import re
from pathlib import Path
from xml.etree import ElementTree
from xml.sax.saxutils import escape

import networkx as nx
import numpy as np
import torch

from .checkpoint import _ACTIVATION_MODULES, Checkpoint, as_checkpoint
from .convert import _graph_layer_sizes, graph_to_checkpoint, to_graph
from .errors import CheckpointError, GraphContractError, ParameterError
from .fileio import atomic_write, check_implied_size, check_not_input, error_reason, load_json
from .validation import check_choice

__all__ = [
    "FORMATS",
    "export",
    "export_format",
    "read_export",
    "node_id",
    "parse_node_id",
    "to_string_graph",
    "sequential_state_dict",
    "sequential_code",
    "torch_load_code",
]

#: Formats :func:`export` writes, by name; the name is also the usual file suffix, but for
#: ``torch`` (``.pt``), which a suffix never implies (see :func:`export_format`).
FORMATS = ("graphml", "gexf", "edgelist", "npz", "torch")
_READ_FORMATS = ("graphml", "gexf", "edgelist", "npz")
_SUFFIXES = {".graphml": "graphml", ".gexf": "gexf", ".edgelist": "edgelist", ".txt": "edgelist", ".npz": "npz"}
# a .pt file may be a netgraph checkpoint or a plain state_dict: the torch format is never implied
_AMBIGUOUS_SUFFIXES = (".pt", ".pth")
#: ``torch.nn`` module (as Python code) of each activation, for :func:`sequential_code`.
_TORCH_MODULES = {name: f"nn.{cls.__name__}()" for cls, name in _ACTIVATION_MODULES.items()}
_NODE_ID = re.compile(r"L(\d+):(\d+)")
_EDGELIST_TITLE = "# netgraph edge list: source target weight (ids L{layer}:{index})"
_GEXF_TAG = "netgraph"


def node_id(node):
    """The string id of a ``(layer, index)`` node in exported graph files.

    Examples
    --------
    >>> node_id((1, 17))
    'L1:17'
    """
    return f"L{node[0]}:{node[1]}"


def parse_node_id(text):
    """The ``(layer, index)`` node of a string id ``"L{layer}:{index}"``; None if it is not one.

    Examples
    --------
    >>> parse_node_id("L1:17"), parse_node_id("a")
    ((1, 17), None)
    """
    m = _NODE_ID.fullmatch(str(text))
    return (int(m.group(1)), int(m.group(2))) if m else None


def _flat_attributes(G):
    return {
        "layer_sizes": ",".join(str(s) for s in G.graph.get("layer_sizes", [])),
        "activation": str(G.graph.get("activation", "")),
        "has_bias": bool(G.graph.get("has_bias", True)),
        "meta_json": json.dumps(G.graph.get("meta", {}), sort_keys=True),
    }


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
    H.graph = _flat_attributes(G)
    return H


def export_format(path, format=None):
    """The format :func:`export` writes ``path`` in: ``format`` if given, else from the suffix.

    Parameters
    ----------
    path : str or Path
    format : {"graphml", "gexf", "edgelist", "npz", "torch"}, optional

    Returns
    -------
    str

    Raises
    ------
    ParameterError
        If ``format`` is unknown, or is None and the suffix of ``path`` names no format. A
        ``.pt`` or ``.pth`` suffix never implies one: such a file could be a netgraph checkpoint
        or a plain state_dict, so ``format="torch"`` must be asked for.

    Examples
    --------
    >>> export_format("net.graphml"), export_format("net.pt", "torch")
    ('graphml', 'torch')
    >>> export_format("net.pt")
    Traceback (most recent call last):
    ...
    netgraph.errors.ParameterError: suffix of path 'net.pt' is ambiguous (a netgraph checkpoint or a plain state_dict?): pass format='torch' (netgraph export --format torch) for a plain nn.Sequential state_dict
    """
    if format is None:
        suffix = Path(path).suffix.lower()
        if suffix in _AMBIGUOUS_SUFFIXES:
            raise ParameterError(
                f"suffix of path {Path(path).name!r} is ambiguous (a netgraph checkpoint or a plain "
                "state_dict?): pass format='torch' (netgraph export --format torch) for a plain "
                "nn.Sequential state_dict"
            )
        format = _SUFFIXES.get(suffix)
        if format is None:
            check_choice(suffix, tuple(_SUFFIXES), name="suffix of path (or pass format)")
    return check_choice(format, FORMATS, name="format")


def export(source, path, *, format=None):
    """Write the network ``source`` to ``path`` in ``format``.

    Parameters
    ----------
    source : str, Path, Checkpoint, SparseMLP, nn.Module or state_dict
        Anything :func:`~netgraph.to_graph` accepts.
    path : str or Path
        The file to write (replaced atomically if it exists; a link is followed). Missing
        parent folders are created.
    format : {"graphml", "gexf", "edgelist", "npz", "torch"}, optional
        Default: from the suffix of ``path`` (see :func:`export_format`; ``torch`` is never
        implied). ``torch`` writes the ``state_dict`` of a plain ``nn.Sequential`` (see
        :func:`sequential_state_dict`): dense weights, zero where no connection is, without
        masks, so netgraph reads a present connection of weight exactly 0 back as absent.

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
    OutputError
        If ``path`` is the source file itself, or exists and is not a regular file.

    Examples
    --------
    >>> import tempfile, pathlib, networkx as nx
    >>> from netgraph import SparseMLP
    >>> p = export(SparseMLP([3, 2]), pathlib.Path(tempfile.mkdtemp()) / "net.graphml")
    >>> H = nx.read_graphml(p)
    >>> H.number_of_edges(), H.nodes["L1:0"]["role"]
    (6, 'output')
    >>> p = export(SparseMLP([3, 2, 1]), p.with_name("net.pt"), format="torch")
    >>> sorted(torch.load(p, weights_only=True))
    ['0.bias', '0.weight', '2.bias', '2.weight']
    """
    path = Path(path)
    format = export_format(path, format)
    # a loaded Checkpoint still names its file: never write over it either
    check_not_input(path, [source, source.source if isinstance(source, Checkpoint) else None], name="output")
    ckpt = as_checkpoint(source)
    path.parent.mkdir(parents=True, exist_ok=True)
    if format == "torch":
        state = sequential_state_dict(ckpt)
        with atomic_write(path) as f:
            torch.save(state, f)
        return path
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
        data = _write_bytes(nx.write_graphml, H)
    elif format == "gexf":
        data = _gexf_bytes(H)
    else:
        data = _edgelist_bytes(H, ckpt)
    with atomic_write(path) as f:
        f.write(data)
    return path


# --------------------------------------------------------------------------- plain torch


def sequential_state_dict(source):
    """The ``state_dict`` of the plain ``nn.Sequential`` that computes the network ``source``.

    The module is ``nn.Sequential(Linear, activation, Linear, activation, ..., Linear)`` (see
    :func:`sequential_code`), so layer ``l`` is entry ``2 * l``: keys ``0.weight``, ``0.bias``,
    ``2.weight``, ... Weights are dense float32 (out x in), zero where no connection is; a
    bias-free network has no ``.bias`` keys. Masks are not kept: a present connection of weight
    exactly 0 cannot be told from an absent one.

    Parameters
    ----------
    source : str, Path, Checkpoint, SparseMLP, nn.Module or state_dict
        Anything :func:`~netgraph.as_checkpoint` accepts.

    Returns
    -------
    dict of str to torch.Tensor
        New tensors (not shared with ``source``).

    Examples
    --------
    >>> from netgraph import SparseMLP
    >>> sd = sequential_state_dict(SparseMLP([3, 2, 1], bias=False))
    >>> {k: tuple(v.shape) for k, v in sd.items()}
    {'0.weight': (2, 3), '2.weight': (1, 2)}
    """
    ckpt = as_checkpoint(source)
    state = {}
    for l, (w, b) in enumerate(zip(ckpt.weights, ckpt.biases)):
        state[f"{2 * l}.weight"] = torch.from_numpy(np.array(w, dtype=np.float32))
        if ckpt.has_bias:
            state[f"{2 * l}.bias"] = torch.from_numpy(np.array(b, dtype=np.float32))
    return state


def sequential_code(source):
    """Python code for the ``nn.Sequential`` whose state_dict :func:`sequential_state_dict` gives.

    It names the modules as ``nn.Linear``, ``nn.ReLU``, ... (``from torch import nn``). An
    activation registered in :data:`netgraph.model.ACTIVATIONS` that has no ``torch.nn``
    module is written as ``ACTIVATION``, a placeholder to replace with a module computing it.

    Parameters
    ----------
    source : str, Path, Checkpoint, SparseMLP, nn.Module or state_dict

    Returns
    -------
    str

    Examples
    --------
    >>> from netgraph import SparseMLP
    >>> sequential_code(SparseMLP([784, 300, 10], activation="tanh"))
    'nn.Sequential(nn.Linear(784, 300), nn.Tanh(), nn.Linear(300, 10))'
    >>> sequential_code(SparseMLP([3, 2], bias=False))
    'nn.Sequential(nn.Linear(3, 2, bias=False))'
    """
    ckpt = as_checkpoint(source)
    act = _TORCH_MODULES.get(ckpt.activation, "ACTIVATION")
    bias = "" if ckpt.has_bias else ", bias=False"
    sizes = ckpt.layer_sizes
    linear = [f"nn.Linear({sizes[l]}, {sizes[l + 1]}{bias})" for l in range(len(sizes) - 1)]
    return f"nn.Sequential({f', {act}, '.join(linear)})"


def torch_load_code(source, path):
    """One line of Python that builds the network of ``source`` and loads a ``torch`` export at ``path``.

    Parameters
    ----------
    source : str, Path, Checkpoint, SparseMLP, nn.Module or state_dict
        The network that was exported.
    path : str or Path
        The file :func:`export` wrote with ``format="torch"``.

    Returns
    -------
    str
        Python code that needs only torch: ``import torch; from torch import nn; model =
        nn.Sequential(...); model.load_state_dict(torch.load(path, weights_only=True))``.

    Examples
    --------
    >>> from netgraph import SparseMLP
    >>> print(torch_load_code(SparseMLP([4, 3, 2]), "net.pt"))
    import torch; from torch import nn; model = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2)); model.load_state_dict(torch.load('net.pt', weights_only=True))
    """
    return (
        f"import torch; from torch import nn; model = {sequential_code(source)}; "
        f"model.load_state_dict(torch.load({str(path)!r}, weights_only=True))"
    )


def _write_bytes(writer, H):
    buf = io.BytesIO()
    writer(H, buf)
    return buf.getvalue()


def _gexf_bytes(H):
    """GEXF from networkx, with the graph attributes as JSON in ``<meta><description>``."""
    text = _write_bytes(nx.write_gexf, H).decode("utf-8")
    description = json.dumps({"format": _GEXF_TAG, **H.graph}, sort_keys=True)
    head, sep, tail = text.partition("</meta>")
    if not sep:  # networkx always writes <meta>; keep the file valid if that ever changes
        raise RuntimeError("networkx wrote GEXF without a <meta> element")
    return f"{head}  <description>{escape(description)}</description>\n  {sep}{tail}".encode()


def _edgelist_bytes(H, ckpt):
    header = [
        _EDGELIST_TITLE,
        f"# layer_sizes={H.graph['layer_sizes']} activation={H.graph['activation']}",
        f"# has_bias={json.dumps(H.graph['has_bias'])}",
        f"# meta_json={H.graph['meta_json']}",
        f"# biases_json={json.dumps([np.asarray(b, dtype=np.float64).tolist() for b in ckpt.biases])}",
    ]
    return ("\n".join(header) + "\n").encode("utf-8") + _write_bytes(nx.write_weighted_edgelist, H)


# --------------------------------------------------------------------------- reading back


def read_export(path, format=None):
    """Read a file written by :func:`export` back into a :class:`~netgraph.Checkpoint`.

    :func:`netgraph.load_checkpoint` calls this for such files (it recognises them by their
    content), so every command reads them too.

    Parameters
    ----------
    path : str or Path
    format : {"graphml", "gexf", "edgelist", "npz"}, optional
        Default: from the suffix of ``path``.

    Returns
    -------
    Checkpoint
        The same layer sizes, weights, biases, masks, activation and metadata as the network
        that was exported; ``source_format`` is the format.

    Raises
    ------
    CheckpointError
        If the file is not a netgraph export of that format, or it is damaged; the message
        names the file and what is wrong.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from netgraph import SparseMLP
    >>> net = SparseMLP([3, 2])
    >>> p = export(net, pathlib.Path(tempfile.mkdtemp()) / "net.npz")
    >>> back = read_export(p)
    >>> bool((back.weights[0] == net.layers[0].weight.detach().numpy()).all()), back.source_format
    (True, 'npz')
    """
    path = Path(path)
    if format is None:
        format = _SUFFIXES.get(path.suffix.lower())
    check_choice(format, _READ_FORMATS, name="format")
    reader = {"graphml": _read_graphml, "gexf": _read_gexf, "edgelist": _read_edgelist, "npz": _read_npz}[format]
    try:
        ckpt = reader(path, path.stat().st_size)
    except CheckpointError as exc:
        msg = str(exc)
        raise CheckpointError(
            msg if msg.startswith(f"{path}:") else f"{path}: {msg.removeprefix('network: ')}"
        ) from None
    except GraphContractError as exc:
        raise CheckpointError(f"{path}: {exc}") from None
    except (
        OSError,
        ValueError,
        KeyError,
        TypeError,
        OverflowError,  # a 400-digit integer where a number of a network goes
        RecursionError,
        ElementTree.ParseError,
        nx.NetworkXError,
    ) as exc:
        reason = error_reason(exc)
        raise CheckpointError(f"{path}: cannot be read as a netgraph {format} export (damaged?): {reason}") from None
    return ckpt.replace(source=str(path), source_format=format)


def _graph_attributes(flat, path):
    """Graph attributes of the contract from the flattened ones (missing ones are left out)."""
    out = {}
    if flat.get("layer_sizes") not in (None, ""):
        out["layer_sizes"] = str(flat["layer_sizes"])
    if flat.get("activation") not in (None, ""):
        out["activation"] = flat["activation"]
    if "has_bias" in flat:
        out["has_bias"] = flat["has_bias"]
    if flat.get("meta_json") is not None:
        out["meta"] = load_json(str(flat["meta_json"]), path, field="meta_json")
    return out


def _check_declared_sizes(path, nbytes, layer_sizes, nodes):
    """Check the dense size a graph file implies (its ``layer_sizes``, else its node ids) before it is built."""
    if layer_sizes is not None:
        try:
            sizes = _graph_layer_sizes(layer_sizes)
        except GraphContractError:
            return  # refused with its own message when the graph is read
    else:
        sizes = {}
        for l, i in nodes:
            sizes[l] = max(sizes.get(l, 0), i + 1)
        sizes = [sizes.get(l, 0) for l in range(max(sizes) + 1)] if sizes else []
    elements = sum(a * b for a, b in zip(sizes, sizes[1:]))
    check_implied_size(path, elements=elements, units=sum(sizes), nbytes=nbytes)


def _contract_graph(H, flat, path, nbytes):
    """The :func:`~netgraph.to_graph` graph of a string-id graph read from a file."""
    if H.is_multigraph():
        raise CheckpointError("holds parallel edges (several weights for one connection)")
    nodes = {}
    for n in H.nodes:
        node = parse_node_id(n)
        if node is None:
            raise CheckpointError(f"node id {n!r} is not of the form L{{layer}}:{{index}}; not a netgraph export")
        nodes[n] = node
    _check_declared_sizes(path, nbytes, flat.get("layer_sizes") or None, nodes.values())
    G = nx.DiGraph(**_graph_attributes(flat, path))
    G.add_nodes_from((node, {"bias": H.nodes[n].get("bias", 0.0)}) for n, node in nodes.items())
    G.add_edges_from((nodes[u], nodes[v], {"weight": w}) for u, v, w in H.edges(data="weight"))
    return graph_to_checkpoint(G)


def _read_graphml(path, nbytes):
    H = nx.read_graphml(path)
    return _contract_graph(H, H.graph, path, nbytes)


def _read_gexf(path, nbytes):
    description = None
    for _, elem in ElementTree.iterparse(path, events=("end",)):
        if elem.tag.rsplit("}", 1)[-1] == "description":
            description = elem.text
            break
        if elem.tag.rsplit("}", 1)[-1] in ("graph", "nodes"):  # the description comes before the graph
            break
    flat = {}
    if description:
        try:
            flat = load_json(description, path)
        except CheckpointError:  # another tool's description: not ours to read
            flat = {}
        if not isinstance(flat, dict) or flat.get("format") != _GEXF_TAG:
            flat = {}
    return _contract_graph(nx.read_gexf(path), flat, path, nbytes)


def _read_edgelist(path, nbytes):
    flat, edges, seen = {}, [], {}
    with open(path, encoding="utf-8") as f:
        for lineno, line in enumerate(f, start=1):
            line = line.strip()
            if not line:
                continue
            if line.startswith("#"):
                body = line[1:].strip()
                for key in ("meta_json", "biases_json", "has_bias"):
                    if body.startswith(f"{key}="):
                        flat[key] = load_json(body[len(key) + 1 :], path, field=f"line {lineno} ({key})")
                        break
                else:
                    flat.update(re.findall(r"(layer_sizes|activation)=(\S+)", body))
                continue
            parts = line.split()
            if len(parts) != 3:
                raise CheckpointError(f"line {lineno}: expected 'source target weight', got {line[:60]!r}")
            key = (parts[0], parts[1])
            if key in seen:
                raise CheckpointError(
                    f"line {lineno}: the edge {parts[0]} -> {parts[1]} is listed again (first on line {seen[key]}); "
                    "a connection has one weight"
                )
            seen[key] = lineno
            edges.append((parts[0], parts[1], float(parts[2])))
    H = nx.DiGraph()
    if "layer_sizes" in flat:
        try:
            sizes = _graph_layer_sizes(str(flat["layer_sizes"]))
        except GraphContractError:
            raise CheckpointError(
                f"layer_sizes={flat['layer_sizes']!r:.60} in the header, expected comma-separated ints such as 784,1000,10"
            ) from None
        _check_declared_sizes(path, nbytes, sizes, ())
        H.add_nodes_from(node_id((l, i)) for l, n in enumerate(sizes) for i in range(n))
    H.add_weighted_edges_from(edges)
    if "meta_json" in flat:  # the header holds the object itself; _graph_attributes expects its JSON
        flat["meta_json"] = json.dumps(flat["meta_json"])
    biases = flat.pop("biases_json", None)
    if biases is not None:
        if not isinstance(biases, list) or not all(isinstance(b, list) for b in biases):
            raise CheckpointError("biases_json is not a list of lists of numbers")
        for l, layer in enumerate(biases, start=1):
            for i, b in enumerate(layer):
                H.add_node(node_id((l, i)), bias=b)
    return _contract_graph(H, flat, path, nbytes)


def _read_npz(path, nbytes):
    with np.load(path, allow_pickle=False) as z:
        files = set(z.files)
        missing = [k for k in ("layer_sizes", "activation", "has_bias", "meta_json") if k not in files]
        if missing:
            raise CheckpointError(f"npz file without {', '.join(missing)}; not a netgraph export")
        unpacked = {info.filename.removesuffix(".npy"): info.file_size for info in z.zip.infolist()}
        if unpacked["layer_sizes"] > 1 << 16:
            raise CheckpointError(f"layer_sizes unpacks to {unpacked['layer_sizes']:,} bytes; not a list of widths")
        raw = z["layer_sizes"]
        if raw.dtype.kind not in "iu" or raw.ndim != 1:
            raise CheckpointError(
                f"layer_sizes is {raw.tolist()!r:.60} ({raw.dtype}, {raw.ndim}-D), expected a 1-D array of ints"
            )
        sizes = tuple(int(s) for s in raw.tolist())
        n = len(sizes) - 1
        elements = sum(a * b for a, b in zip(sizes, sizes[1:]))
        check_implied_size(path, elements=elements, units=sum(sizes), nbytes=nbytes)
        most = 16 * (elements + sum(sizes)) + (1 << 20)  # float64 weights, masks and biases, and headers
        if sum(unpacked.values()) > most:
            raise CheckpointError(
                f"its members unpack to {sum(unpacked.values()):,} bytes, more than a network of layer sizes "
                f"{list(sizes)} can need ({most:,}); a damaged file or a zip bomb"
            )
        arrays = {}
        for key, stem in (("weights", "weight"), ("biases", "bias"), ("masks", "mask")):
            names = [f"{stem}_{l}" for l in range(n)]
            absent = [k for k in names if k not in files]
            if absent:
                raise CheckpointError(f"npz file lacks {', '.join(absent)} for layer sizes {list(sizes)}")
            arrays[key] = tuple(z[k] for k in names)
        has_bias = z["has_bias"].item() if z["has_bias"].shape == () else z["has_bias"]
        return Checkpoint(
            layer_sizes=sizes,
            activation=str(z["activation"]),
            has_bias=has_bias,
            meta=load_json(str(z["meta_json"]), path, field="meta_json"),
            **arrays,
        )
