"""Similarity reports over channel-level graphs: each pair of networks compared block by block.

:func:`build_block_report` analyses several channel-level graphs of one architecture
(:mod:`netgraph.channels`: convolutional or residual networks traced channel by channel, or the
block views of state_dicts; as :class:`networkx.DiGraph` or as a
:class:`~netgraph.channel_network.ChannelNetwork`): per network a summary (its spaces, channels,
channel connections, present weights per block against the possible ones, driver nodes and
degrees), and per pair of networks the measures of :mod:`analysis.blocks` -- the raw Jaccard of
the channel connections (:func:`~analysis.block_jaccard`), that of the kernel elements (when both
networks kept their element masks), the aligned Jaccard (output channels matched block by
block) and the block-by-block NNSTD (:func:`~analysis.block_nnstd`), each against its chance
level. :func:`write_block_report` writes ``report.json`` (every number, with provenance), the
PNG figures and ``report.html``, a self-contained page (figures embedded) that opens offline,
all at once; the page is rendered by :mod:`analysis._block_report_html`, its figures drawn by
:mod:`analysis.plotting`.

Examples
--------
>>> import networkx as nx, tempfile, json, pathlib
>>> def toy(edges):  # one 2 -> 2 Linear layer, written as netgraph.channels writes it
...     G = nx.DiGraph(edges, contract="netgraph-channels-1")
...     G.add_nodes_from([(0, 0), (0, 1), (1, 0), (1, 1)])
...     G.graph["spaces"] = [{"units": 2, "kind": "input", "module": ""}, {"units": 2, "kind": "linear", "module": "fc"}]
...     G.graph["layers"] = [{"module": "fc", "type": "Linear", "weight_shape": [2, 2], "groups": 1,
...                           "inputs": [[0, 0], [0, 1]], "output": 1}]
...     return G
>>> rep = build_block_report([toy([((0, 0), (1, 0))]), toy([((0, 0), (1, 0)), ((0, 1), (1, 1))])], rng=0)
>>> p = rep.pairs[0]
>>> p.channel.value, p.aligned.value, p.kernel is None
(0.5, 0.5, True)
>>> out = pathlib.Path(tempfile.mkdtemp())
>>> paths = write_block_report(rep, out)
>>> json.loads(paths["json"].read_text())["pairs"][0]["channel"]["value"]
0.5
"""

import datetime
import itertools
import math
import numbers
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import networkx as nx
import numpy as np

from netgraph import __version__
from netgraph.errors import ParameterError
from netgraph.fileio import jsonable
from netgraph.validation import check_bool, check_positive_int, check_rng

from . import _channel_blocks as cb
from ._block_report_html import block_figures, block_page
from ._report_figures import write_report_files
from ._report_inputs import default_labels
from ._results import concise_repr, frozen_array
from ._results import provenance as _provenance
from ._structure import graph_attribute, is_channel_network
from .blocks import block_jaccard, block_nnstd
from .controllability import driver_nodes
from .degrees import degree_distribution

__all__ = ["BlockReport", "NetworkBlocks", "BlockPair", "build_block_report", "write_block_report"]


@dataclass(frozen=True, eq=False)
class NetworkBlocks:
    """The summary of one channel-level graph in a :class:`BlockReport`.

    Attributes
    ----------
    label : str
    source : str or None
        The file it was read from.
    contract, view : str or None
        ``G.graph["contract"]`` and ``G.graph["view"]`` (``"blocks"`` for a block view).
    spaces : dict
        Number of spaces of each kind (``"input"``, ``"conv"``, ``"add"``, ``"linear"``).
    channels : int
        Nodes (channels and features) of the graph.
    connections, possible_connections : numpy.ndarray of int
        Per weight layer: its channel connections, and those its wiring allows (within each group).
    identity_edges : int
        Edges of the residual adds (the same in every network of an architecture; not compared).
    weights, possible_weights : numpy.ndarray
        Per weight layer: its present weight elements (from the element masks when the graph
        kept them, else the sum of its edges' ``nnz``; NaN where an edge has no ``nnz``), and
        the elements of its weight.
    weights_from : str
        ``"element_masks"`` or ``"nnz"``.
    drivers : DriverNodes
        :func:`~analysis.driver_nodes` of the whole graph.
    degrees_in, degrees_out : DegreeDistribution
        :func:`~analysis.degree_distribution` of every node.
    """

    label: str
    source: str | None
    contract: str | None
    view: str | None
    spaces: dict
    channels: int
    connections: np.ndarray
    possible_connections: np.ndarray
    identity_edges: int
    weights: np.ndarray
    possible_weights: np.ndarray
    weights_from: str
    drivers: object
    degrees_in: object
    degrees_out: object

    def __repr__(self):
        return concise_repr(self)

    @property
    def n_connections(self):
        """Channel connections of every weight layer."""
        return int(self.connections.sum())

    @property
    def n_weights(self):
        """Present weight elements of every weight layer (None where some are unknown)."""
        total = float(self.weights.sum())
        return int(total) if math.isfinite(total) else None

    @property
    def n_possible_weights(self):
        return int(self.possible_weights.sum())

    @property
    def density(self):
        """``n_weights / n_possible_weights`` (None where the weights are unknown or there are none)."""
        n = self.n_weights
        return None if n is None or not self.n_possible_weights else n / self.n_possible_weights

    def to_dict(self):
        """JSON-safe dict of the summary (the degree distributions as their statistics and histogram)."""
        return jsonable(
            {
                "label": self.label,
                "source": self.source,
                "contract": self.contract,
                "view": self.view,
                "spaces": sum(self.spaces.values()),
                "space_kinds": self.spaces,
                "channels": self.channels,
                "channel_connections": self.n_connections,
                "identity_edges": self.identity_edges,
                "weights": self.n_weights,
                "possible_weights": self.n_possible_weights,
                "density": self.density,
                "weights_from": self.weights_from,
                "blocks": {
                    "channel_connections": self.connections,
                    "possible_channel_connections": self.possible_connections,
                    "weights": [int(w) if math.isfinite(w) else None for w in self.weights.tolist()],
                    "possible_weights": self.possible_weights,
                    "density": _ratio(self.weights, self.possible_weights),
                },
                "driver_nodes": self.drivers.to_dict(nodes=False),
                "degrees": {"in": _degree_json(self.degrees_in), "out": _degree_json(self.degrees_out)},
            }
        )


@dataclass(frozen=True, eq=False)
class BlockPair:
    """The comparison of networks ``a < b`` (positions in :attr:`BlockReport.networks`), block by block.

    Attributes
    ----------
    a, b : int
    labels : tuple of str
        Their labels.
    channel : BlockJaccard
        Raw Jaccard of the channel connections (:func:`~analysis.block_jaccard`).
    kernel : BlockJaccard or None
        Raw Jaccard of the kernel elements (``level="kernel"``); None unless both networks kept
        their element masks.
    aligned : BlockJaccard or None
        Channel connections after relabelling ``b``'s output channels onto ``a``'s
        (``aligned=True``); None without alignment.
    nnstd : BlockNNSTD or None
        :func:`~analysis.block_nnstd`; None without alignment.
    """

    a: int
    b: int
    labels: tuple
    channel: object
    kernel: object = None
    aligned: object = None
    nnstd: object = None

    def __repr__(self):
        return concise_repr(self)

    def to_dict(self, rng=None):
        """JSON-safe dict: each measure's ``to_dict()``; ``blocks`` and ``values`` (the raw channel Jaccard) on top.

        ``rng`` (as recorded in the report's provenance) is named in the provenance of the
        randomised measures.
        """
        drawn = "one generator from build_block_report's rng, drawn pair after pair (aligned chance, then NNSTD random)"
        aligned = nnstd = None
        if self.aligned is not None:
            aligned = self.aligned.to_dict()
            aligned["provenance"] = _provenance("block_jaccard", aligned=True, rng=rng, random_blocks=drawn)
        if self.nnstd is not None:
            nnstd = self.nnstd.to_dict()
            nnstd["provenance"] = _provenance("block_nnstd", rng=rng, random_blocks=drawn)
        return jsonable(
            {
                "a": self.labels[0],
                "b": self.labels[1],
                "networks": [self.a, self.b],
                "blocks": list(self.channel.blocks),
                "values": self.channel.values,  # the raw channel Jaccard per block, as report.json had it first
                "channel": self.channel.to_dict(),
                "kernel": None if self.kernel is None else self.kernel.to_dict(),
                "aligned": aligned,
                "nnstd": nnstd,
            }
        )


@dataclass(frozen=True, eq=False)
class BlockReport:
    """The data of a block report (see :func:`build_block_report`).

    Attributes
    ----------
    layers : tuple of dict
        The architecture's weight layers (blocks), in order: ``{"module", "type",
        "weight_shape", "groups"}`` each.
    networks : tuple of NetworkBlocks
        Per network, in input order.
    pairs : tuple of BlockPair
        Every pair ``a < b``, in order ``(0, 1), (0, 2), ..., (1, 2), ...``.
    notes : tuple of str
        Human-readable remarks (what was not compared, and why).
    provenance : dict
        netgraph version, time, function, parameters (``rng`` as given: an int or None, else
        its repr), files and labels.
    """

    layers: tuple
    networks: tuple
    pairs: tuple
    notes: tuple = ()
    provenance: dict = field(default_factory=dict)

    def __repr__(self):
        return concise_repr(self)

    @property
    def blocks(self):
        """The module of each block (tuple of str)."""
        return tuple(layer["module"] for layer in self.layers)

    def to_dict(self):
        """JSON-safe dict of every number in the report."""
        rng = self.provenance.get("parameters", {}).get("rng")
        return jsonable(
            {
                "provenance": self.provenance,
                "notes": list(self.notes),
                "contract": self.networks[0].contract if self.networks else None,
                "view": self.networks[0].view if self.networks else None,
                "layers": [dict(layer) for layer in self.layers],
                "networks": [n.to_dict() for n in self.networks],
                "pairs": [p.to_dict(rng) for p in self.pairs],
            }
        )


def _ratio(num, den):
    num, den = np.asarray(num, dtype=np.float64), np.asarray(den, dtype=np.float64)
    return np.divide(num, den, out=np.full(num.shape, np.nan), where=den > 0)


def _degree_json(d):
    return {"mean": d.mean, "std": d.std, "max": d.max, "n_isolated": d.n_isolated, "histogram": d.histogram}


def _check_inputs(graphs, labels, sources):
    """``(layers of graphs[0], labels, sources)`` checked; ParameterError or ArchitectureMismatchError."""
    if isinstance(graphs, nx.Graph) or is_channel_network(graphs) or not isinstance(graphs, Sequence) or not graphs:
        raise ParameterError(
            f"graphs is a {type(graphs).__name__}, expected a non-empty sequence of channel-level graphs"
        )
    k = len(graphs)
    for name, value in (("labels", labels), ("sources", sources)):
        if value is not None and (isinstance(value, str) or not isinstance(value, Sequence)):
            raise ParameterError(f"{name}={value!r}: expected a sequence, one entry per graph")
        if value is not None and len(value) != k:
            raise ParameterError(f"{name} has {len(value)} entries, expected {k} (one per graph)")
    layers = [cb.channel_layers(G, f"graphs[{i}]") for i, G in enumerate(graphs)]
    for other in layers[1:]:  # before any work; the error block_jaccard of the pair (0, i) raises
        cb.check_same_layers(layers[0], other)
    sources = [None] * k if sources is None else [None if s is None else str(s) for s in sources]
    if labels is None:
        labels = default_labels(graphs, sources)
    labels = [str(x) for x in labels]
    if len(set(labels)) != k:
        raise ParameterError(f"labels={labels!r}: labels must be unique")
    return layers[0], labels, sources


def _identity_edges(G):
    if is_channel_network(G):
        return int(G.identity[0].size)
    return sum(1 for _, _, kind in G.edges(data="kind") if kind == "identity")


def _block_nnz(G, k, layer):
    """The summed ``nnz`` of block ``k``'s edges (NaN where an edge has none)."""
    if is_channel_network(G):
        return float(G.blocks[k].nnz.sum())
    _, column = cb.columns(layer)
    out, total = layer["output"], 0
    for j in range(layer["weight_shape"][0]):
        for u, d in G.pred.get((out, j), {}).items():
            if u in column:
                n = d.get("nnz")
                if n is None:
                    return math.nan
                total += int(n)
    return float(total)


def _summarize(G, label, source, layers):
    """The :class:`NetworkBlocks` of one graph."""
    masks = graph_attribute(G, "element_masks")
    connections = [int(cb.block_matrix(G, k, layer).sum()) for k, layer in enumerate(layers)]
    possible_connections = [int(cb.allowed(layer).sum()) for layer in layers]
    possible_weights = [math.prod(layer["weight_shape"]) for layer in layers]
    if masks is not None:
        weights = [float(np.count_nonzero(np.asarray(m))) for m in masks]
    else:
        weights = [_block_nnz(G, k, layer) for k, layer in enumerate(layers)]
    spaces = graph_attribute(G, "spaces") or []
    return NetworkBlocks(
        label=label,
        source=source,
        contract=graph_attribute(G, "contract"),
        view=graph_attribute(G, "view"),
        spaces=dict(Counter(str(s.get("kind")) for s in spaces)),
        channels=int(G.n_nodes if is_channel_network(G) else G.number_of_nodes()),
        connections=frozen_array(connections, np.int64),
        possible_connections=frozen_array(possible_connections, np.int64),
        identity_edges=_identity_edges(G),
        weights=frozen_array(weights, np.float64),
        possible_weights=frozen_array(possible_weights, np.int64),
        weights_from="element_masks" if masks is not None else "nnz",
        drivers=driver_nodes(G),
        degrees_in=degree_distribution(G, direction="in"),
        degrees_out=degree_distribution(G, direction="out"),
    )


def _notes(networks, n_pairs, *, aligned):
    notes = []
    if n_pairs == 0:
        notes.append("Only one network: there is no pair to compare.")
    no_masks = [n.label for n in networks if n.weights_from != "element_masks"]
    if n_pairs and no_masks:
        notes.append(
            f"Kernel elements are not compared: {', '.join(no_masks)} kept no element masks (a graph read from a "
            "file that keeps no weights); channel connections are."
        )
    if n_pairs and not aligned:
        notes.append("Aligned Jaccard and NNSTD not computed (aligned=False).")
    if n_pairs and aligned and any(n.view == "blocks" for n in networks):
        notes.append(
            "Block views have no wiring: each block's output channels are matched on their own and its inputs kept, "
            "so aligned values and NNSTD are upper bounds of what one relabelling of the whole model would give."
        )
    return notes


def build_block_report(graphs, *, labels=None, sources=None, aligned=True, n_random=1, rng=None, progress=None):
    """Summarise channel-level graphs of one architecture and compare every pair block by block.

    Parameters
    ----------
    graphs : sequence of networkx.DiGraph or ChannelNetwork
        Channel-level graphs (:func:`netgraph.channels.channel_graph`,
        :func:`~netgraph.channels.channel_network`, a block view), all of one architecture:
        the same weight layers (module, weight shape, groups, wiring).
    labels : sequence of str, optional
        Unique names; default from ``sources`` (``folder/stem``), else the positions.
    sources : sequence of str or Path, optional
        The file of each graph (shown on the page and kept in the provenance).
    aligned : bool, optional
        Also the aligned Jaccard and the NNSTD of every pair (the slow part: a matching per block).
    n_random : int, optional
        Pairs of random blocks behind each block's aligned chance level and NNSTD random level.
    rng : None, int, SeedSequence or numpy.random.Generator, optional
        The random blocks (see :func:`netgraph.validation.check_rng`): one generator, drawn pair
        after pair in the order of :attr:`BlockReport.pairs` (a pair's aligned chance, then its
        NNSTD random level), so that the same int gives the same report. An int (or None) is
        recorded in the provenance.
    progress : callable, optional
        Called with a short message before each pair.

    Returns
    -------
    BlockReport

    Raises
    ------
    ParameterError
        If ``graphs`` is not a non-empty sequence of channel-level graphs, ``labels`` or
        ``sources`` do not line up, labels repeat, or ``n_random`` or ``rng`` is not valid.
    ArchitectureMismatchError
        If the graphs' weight layers differ (from :func:`~analysis.block_jaccard`, naming the first).
    """
    layers, labels, sources = _check_inputs(graphs, labels, sources)
    aligned = check_bool(aligned, name="aligned")
    n_random = check_positive_int(n_random, name="n_random")
    gen = check_rng(rng)
    say = progress or (lambda message: None)
    networks = [_summarize(G, labels[i], sources[i], layers) for i, G in enumerate(graphs)]
    kernel = all(n.weights_from == "element_masks" for n in networks)
    order = list(itertools.combinations(range(len(graphs)), 2))
    pairs = []
    for done, (a, b) in enumerate(order):
        say(f"comparing {labels[a]} ~ {labels[b]} (pair {done + 1} of {len(order)})")
        G1, G2 = graphs[a], graphs[b]
        pairs.append(
            BlockPair(
                a=a,
                b=b,
                labels=(labels[a], labels[b]),
                channel=block_jaccard(G1, G2),
                kernel=block_jaccard(G1, G2, level="kernel") if kernel else None,
                aligned=block_jaccard(G1, G2, aligned=True, n_random=n_random, rng=gen) if aligned else None,
                nnstd=block_nnstd(G1, G2, n_random=n_random, rng=gen) if aligned else None,
            )
        )
    parameters = {
        "aligned": aligned,
        "n_random": n_random,
        "rng": int(rng) if isinstance(rng, numbers.Integral) else rng if rng is None else repr(rng),
    }
    return BlockReport(
        layers=tuple({k: layer.get(k) for k in ("module", "type", "weight_shape", "groups")} for layer in layers),
        networks=tuple(networks),
        pairs=tuple(pairs),
        notes=tuple(_notes(networks, len(pairs), aligned=aligned)),
        provenance={
            "netgraph_version": __version__,
            "created": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
            "function": "analysis.build_block_report",
            "parameters": parameters,
            "files": sources,
            "labels": labels,
        },
    )


def write_block_report(report, out):
    """Write ``report.json``, the PNG figures and a self-contained ``report.html`` into ``out``, all at once.

    As :func:`~analysis.write_report`: the files are replaced together
    (:func:`netgraph.fileio.atomic_files`), so an interruption leaves the report that was there;
    figures of an earlier report in ``out`` that this one no longer has (those its
    ``report.json`` lists) are removed, no other file is touched. ``out`` is created when missing.

    Parameters
    ----------
    report : BlockReport
    out : str or Path

    Returns
    -------
    dict
        ``{"json": Path, "html": Path, "figures": [Path, ...]}``.

    Raises
    ------
    ParameterError
        If ``report`` is not a :class:`BlockReport`.
    OutputError, OSError
        If ``out`` or a file in it cannot be written (nothing is replaced then).
    """
    if not isinstance(report, BlockReport):
        raise ParameterError(f"report is a {type(report).__name__}, expected a BlockReport")
    figs = block_figures(report)
    return write_report_files(Path(out), report.to_dict(), figs, block_page(report, figs))
