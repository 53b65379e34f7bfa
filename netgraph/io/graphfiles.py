"""Graph files other tools open: GraphML, GEXF and edge lists, written and read back exactly.

They use string node ids ``"L{layer}:{index}"`` such as ``"L1:17"`` -- Gephi and most readers
cannot use tuples -- and keep ``layer``, ``index``, ``role`` and ``bias`` as node attributes and
``weight`` as the edge attribute. Graph-level attributes are flattened to strings:
``layer_sizes`` as ``"784,1000,10"``, ``activation``, ``has_bias`` and ``meta`` as JSON in
``meta_json``. GraphML stores them as graph attributes; GEXF, whose graphs have no attributes,
as a JSON object in the file's ``<meta><description>``; an edge list in ``#`` comment lines at
its top (with the biases, which an edge list has no column for), which edge-list readers skip.
Channel-level graphs are written in these formats by :mod:`netgraph.io.channelfiles`, through
the helpers here; the readers here refuse such a file, naming the reader that takes it.
"""

import io
import json
import re
from xml.etree import ElementTree
from xml.sax.saxutils import escape

import networkx as nx
import numpy as np

from .._contract import graph_layer_sizes, graph_to_checkpoint, network_graph
from ..errors import CheckpointError, GraphContractError
from ..fileio import atomic_write, check_implied_size, load_json, looks_like_text

__all__ = [
    "detect_graphml",
    "detect_gexf",
    "detect_edgelist",
    "node_id",
    "parse_node_id",
    "to_string_graph",
    "xml_root",
    "graph_bytes",
    "gexf_bytes",
    "gexf_description",
    "scan_edgelist",
    "read_graphml",
    "read_gexf",
    "read_edgelist",
    "write_graphml",
    "write_gexf",
    "write_edgelist",
]


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


def detect_graphml(path, head, size):
    """Whether a file is GraphML: text whose XML root element is ``graphml``."""
    return _text(head).startswith("<") and xml_root(path) == "graphml"


def detect_gexf(path, head, size):
    """Whether a file is GEXF: text whose XML root element is ``gexf``."""
    return _text(head).startswith("<") and xml_root(path) == "gexf"


def detect_edgelist(path, head, size):
    """Whether a file is a netgraph edge list (its title line)."""
    return _text(head).startswith("# netgraph edge list")


def _text(head):
    """The start of a text file's first bytes (a byte-order mark and blanks removed); "" if not text."""
    if not looks_like_text(head):
        return ""
    return head.decode("utf-8", errors="replace").lstrip("\ufeff \t\r\n")


def write_graphml(ckpt, path):
    """Write the GraphML export of a network (atomically)."""
    return _write(path, graph_bytes(nx.write_graphml, _string_graph(ckpt)))


def write_gexf(ckpt, path):
    """Write the GEXF export of a network (atomically)."""
    return _write(path, gexf_bytes(_string_graph(ckpt)))


def write_edgelist(ckpt, path):
    """Write the edge-list export of a network (atomically)."""
    return _write(path, _edgelist_bytes(_string_graph(ckpt), ckpt))


def _string_graph(ckpt):
    return to_string_graph(network_graph(ckpt))


def _write(path, data):
    with atomic_write(path) as f:
        f.write(data)
    return path


def xml_root(path, limit=1 << 20):
    """The local name of the root element of an XML file (``"graphml"``, ``"gexf"``, ...), or None.

    Reads until the root element starts (comments, processing instructions, a DOCTYPE may come
    first), at most ``limit`` bytes; nothing after the root's start tag is parsed.
    """
    parser = ElementTree.XMLPullParser(events=("start",))
    try:
        with open(path, "rb") as f:
            read = 0
            while read < limit:
                chunk = f.read(min(1 << 16, limit - read))
                if not chunk:
                    break
                read += len(chunk)
                parser.feed(chunk)
                for _, elem in parser.read_events():
                    return elem.tag.rsplit("}", 1)[-1]
    except (ElementTree.ParseError, OSError, ValueError):
        return None
    return None


def graph_bytes(writer, H):
    """The bytes ``writer(H, file)`` (a networkx writer: ``nx.write_graphml``, ...) writes."""
    buf = io.BytesIO()
    writer(H, buf)
    return buf.getvalue()


def gexf_bytes(H):
    """GEXF from networkx, with the graph attributes (strings) as JSON in ``<meta><description>``.

    :func:`gexf_description` reads them back.
    """
    text = graph_bytes(nx.write_gexf, H).decode("utf-8")
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
    return ("\n".join(header) + "\n").encode("utf-8") + graph_bytes(nx.write_weighted_edgelist, H)


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
            sizes = graph_layer_sizes(layer_sizes)
        except GraphContractError:
            return  # refused with its own message when the graph is read
    else:
        sizes = {}
        for l, i in nodes:
            sizes[l] = max(sizes.get(l, 0), i + 1)
        sizes = [sizes.get(l, 0) for l in range(max(sizes) + 1)] if sizes else []
    elements = sum(a * b for a, b in zip(sizes, sizes[1:]))
    check_implied_size(path, elements=elements, units=sum(sizes), nbytes=nbytes)


def _refuse_channels(flat):
    """A channel-level graph export (:mod:`netgraph.io.channelfiles`) is no network of Linear layers: say so."""
    if flat.get("contract") is not None:
        raise CheckpointError(
            f"is a channel-level graph export (contract {str(flat['contract'])[:40]!r}), not a network of Linear "
            "layers: read it with netgraph.io.read_channel_graph"
        )


def _contract_graph(H, flat, path, nbytes):
    """The :func:`~netgraph.to_graph` graph of a string-id graph read from a file."""
    _refuse_channels(flat)
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


def read_graphml(path, nbytes):
    """The network of a GraphML export."""
    H = nx.read_graphml(path)
    return _contract_graph(H, H.graph, path, nbytes)


def gexf_description(path):
    """The graph attributes :func:`gexf_bytes` wrote into a GEXF file's ``<meta><description>``.

    Returns
    -------
    dict
        Empty where the file has no description, or another tool's.
    """
    description = None
    for _, elem in ElementTree.iterparse(path, events=("end",)):
        if elem.tag.rsplit("}", 1)[-1] == "description":
            description = elem.text
            break
        if elem.tag.rsplit("}", 1)[-1] in ("graph", "nodes"):  # the description comes before the graph
            break
    if not description:
        return {}
    try:
        flat = load_json(description, path)
    except CheckpointError:  # another tool's description: not ours to read
        return {}
    if not isinstance(flat, dict) or flat.get("format") != _GEXF_TAG:
        return {}
    return {k: v for k, v in flat.items() if k != "format"}


def read_gexf(path, nbytes):
    """The network of a GEXF export (graph attributes from its ``<meta><description>``)."""
    return _contract_graph(nx.read_gexf(path), gexf_description(path), path, nbytes)


def scan_edgelist(path, *, columns, json_keys, value_keys, again=""):
    """The lines of an edge-list export, read one by one, shared by the network's and the channel graph's readers.

    Yields ``(lineno, "json", (key, text))`` for a ``# KEY=JSON`` header line of ``json_keys``,
    ``(lineno, "values", {key: value})`` for the ``KEY=VALUE`` tokens of ``value_keys`` in any
    other header line, and ``(lineno, "edge", parts)`` for every edge line; blank lines are
    skipped. An edge line with another number of fields than ``columns``, or an edge listed a
    second time (``again`` ends that message), is a CheckpointError naming the line.
    """
    seen = {}
    tokens = re.compile(rf"({'|'.join(value_keys)})=(\S+)")
    with open(path, encoding="utf-8") as f:
        for lineno, line in enumerate(f, start=1):
            line = line.strip()
            if not line:
                continue
            if line.startswith("#"):
                body = line[1:].strip()
                key = next((k for k in json_keys if body.startswith(f"{k}=")), None)
                if key is not None:
                    yield lineno, "json", (key, body[len(key) + 1 :])
                else:
                    yield lineno, "values", dict(tokens.findall(body))
                continue
            parts = line.split()
            if len(parts) != len(columns):
                raise CheckpointError(f"line {lineno}: expected '{' '.join(columns)}', got {line[:60]!r}")
            key = (parts[0], parts[1])
            if key in seen:
                raise CheckpointError(
                    f"line {lineno}: the edge {parts[0]} -> {parts[1]} is listed again (first on line {seen[key]}){again}"
                )
            seen[key] = lineno
            yield lineno, "edge", parts


def read_edgelist(path, nbytes):
    """The network of an edge-list export (graph attributes and biases from its ``#`` header)."""
    flat, edges = {}, []
    lines = scan_edgelist(
        path,
        columns=("source", "target", "weight"),
        json_keys=("meta_json", "biases_json", "has_bias"),
        value_keys=("layer_sizes", "activation", "contract"),
        again="; a connection has one weight",
    )
    for lineno, kind, item in lines:
        if kind == "json":
            key, text = item
            flat[key] = load_json(text, path, field=f"line {lineno} ({key})")
        elif kind == "values":
            flat.update(item)
            _refuse_channels(flat)
        else:
            edges.append((item[0], item[1], float(item[2])))
    H = nx.DiGraph()
    if "layer_sizes" in flat:
        try:
            sizes = graph_layer_sizes(str(flat["layer_sizes"]))
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
