"""Similarity reports over several trained networks: numbers, figures, HTML.

:func:`build_report` analyses a list of layered graphs (usually checkpoints of several seeds
and methods): per network its layer summary, degree distributions, input connectivity map,
driver nodes against the width bound and, when a ``metrics.json`` sits beside its checkpoint,
the training curves; per group of networks (one group per ``meta["method"]`` unless ``groups``
names them) the raw, node and aligned Jaccard matrices with chance levels, the NNSTD matrix
(:func:`~analysis.nnstd`, a distance) with its random baseline, the common-subnetwork size
against ``min_share`` and the group's :class:`~analysis.GroupSummary`
(:func:`~analysis.summarize_group`, computed from the same matrices and alignments: every pair
is aligned once, its aligned Jaccard and NNSTD in one task). The pairs of each comparison are
also told apart by kind (see :func:`build_report`): runs of one method from different initial
topologies, and runs of different methods from one initial topology. Networks of different architectures are never
compared edge by edge: the report lists which cannot be. A network identical to an earlier one
(a copied checkpoint) is left out and named, so that it cannot inflate the similarities. What
cannot be computed (a degree distribution too narrow for a power-law fit, a ``metrics.json`` of
the wrong shape) becomes a note, not an error.

:func:`write_report` writes ``report.json`` (every number, with provenance), the PNG figures
and ``report.html``, a single self-contained page (figures embedded) that opens offline, all
at once: an interrupted write leaves the report that was there before.

Examples
--------
>>> import networkx as nx, tempfile, json, pathlib
>>> G1 = nx.DiGraph([((0, 0), (1, 0)), ((0, 1), (1, 1))])
>>> G2 = nx.DiGraph([((0, 0), (1, 0)), ((0, 1), (1, 0))]); G2.add_node((1, 1))
>>> rep = build_report([G1, G2], labels=["a", "b"])
>>> float(rep.comparisons[0].edge.values[0, 1])
0.3333333333333333
>>> out = pathlib.Path(tempfile.mkdtemp())
>>> paths = write_report(rep, out)
>>> json.loads((out / "report.json").read_text())["comparisons"][0]["edge"]["values"][0][1]
0.3333333333333333
"""

import base64
import datetime
import hashlib
import html
import json
import math
import numbers
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import networkx as nx
import numpy as np

from netgraph import __version__
from netgraph.errors import ParameterError
from netgraph.fileio import atomic_files, jsonable, load_json, note_input
from netgraph.validation import check_rng

from . import plotting
from ._results import concise_repr, frozen_array
from ._results import provenance as _provenance
from ._structure import edge_weights, graph_attribute, graph_meta, is_network, node_biases, structure
from .controllability import driver_nodes
from .degrees import compare_power_law, degree_distribution, input_connectivity, layer_summary
from .nnstd import _aligned_and_nnstd_pairs
from .similarity import (
    ALIGN_SECONDS_PER_UNIT,
    SimilarityMatrix,
    _check_pair_map,
    alignment_cost,
    common_subnetwork_curve,
    similarity_matrix,
)
from .summary import _summarize

__all__ = ["SimilarityReport", "build_report", "write_report", "load_metrics"]

_NO_METHOD = "(no method)"


@dataclass(frozen=True, eq=False)
class NetworkAnalysis:
    """Everything the report computes about one network."""

    label: str
    group: str
    source: str | None
    meta: dict
    summary: object
    drivers: object
    degrees_in: tuple
    degrees_out: tuple
    input_image: np.ndarray
    metrics: dict | None
    power_law: dict | None

    def __repr__(self):
        return concise_repr(self)

    def to_dict(self):
        return jsonable(
            {
                "label": self.label,
                "group": self.group,
                "source": self.source,
                "method": self.meta.get("method"),
                "seed": self.meta.get("seed"),
                "epoch": self.meta.get("epoch"),
                "dataset": self.meta.get("dataset"),
                "parameters": self.meta.get("params"),
                "meta": self.meta,
                "layer_summary": self.summary.to_dict(),
                "driver_nodes": self.drivers.to_dict(nodes=False),
                "degrees": {
                    "in": [_degree_json(d) for d in self.degrees_in],
                    "out": [_degree_json(d) for d in self.degrees_out],
                },
                "input_connectivity": self.input_image,
                "power_law": self.power_law,
                "metrics": self.metrics,
            }
        )


@dataclass(frozen=True, eq=False)
class Comparison:
    """Similarity of a group of networks of one architecture.

    ``groups[i]`` is the group of ``labels[i]``. ``summary`` is the group's
    :class:`~analysis.GroupSummary` (:func:`~analysis.summarize_group` of these networks): the
    group means the page states come from it, and the chance level of the ``aligned`` matrix
    is, pair by pair, the aligned Jaccard of the pair's random networks drawn for it, so its
    mean is ``summary.aligned_null["overall"]``. ``nnstd`` is the matrix of the pairs'
    :func:`~analysis.nnstd` (``kind="nnstd"``: distances, 0.0 on the diagonal, the pair
    ``a < b`` computed as ``nnstd(a, b)`` and mirrored), its ``chance`` the NNSTD of the same
    random networks (mean ``summary.nnstd_null["overall"]``; 0.0 on the diagonal); None without
    alignment. ``pair_kinds`` (see :func:`_pair_kinds`) is None when no pair could be classified.
    """

    name: str
    labels: tuple
    groups: tuple
    layer_sizes: tuple
    edge: object
    node: object
    aligned: object
    edge_by_layer: tuple
    curve: object
    summary: object = None
    nnstd: object = None
    pair_kinds: dict | None = None

    def __repr__(self):
        return concise_repr(self)

    def to_dict(self):
        aligned = None
        if self.aligned is not None:
            aligned = self.aligned.to_dict()
            aligned["provenance"] = _provenance(
                "build_report",
                aligned_chance="per pair: the aligned Jaccard of its two random networks (summarize_group)",
            )
        nnstd = None
        if self.nnstd is not None:
            nnstd = self.nnstd.to_dict()
            nnstd["provenance"] = _provenance(
                "build_report",
                measure="analysis.nnstd of each pair a < b (a distance: lower = more similar), mirrored",
                nnstd_chance="per pair: the NNSTD of its two random networks (summarize_group)",
            )
        return jsonable(
            {
                "name": self.name,
                "labels": list(self.labels),
                "groups": list(self.groups),
                "layer_sizes": self.layer_sizes,
                "edge": self.edge.to_dict(),
                "node": self.node.to_dict(),
                "aligned": aligned,
                "nnstd": nnstd,
                "edge_by_layer": [m.to_dict() for m in self.edge_by_layer],
                "common_subnetwork": self.curve.to_dict(),
                "summary": None if self.summary is None else self.summary.to_dict(),
                "pair_kinds": self.pair_kinds,
            }
        )


@dataclass(frozen=True, eq=False)
class SimilarityReport:
    """The data of a similarity report (see :func:`build_report`).

    Attributes
    ----------
    networks : tuple of NetworkAnalysis
        Per-network results, in input order.
    comparisons : tuple of Comparison
        One per group (and architecture) with at least two networks, plus one across groups
        per architecture when there are several groups.
    incomparable : tuple of dict
        When the networks have several architectures: ``{"layer_sizes", "labels"}`` per
        architecture; networks of different entries cannot be compared edge by edge.
    notes : tuple of str
        Human-readable remarks (duplicate networks left out, incomparable architectures,
        missing optional packages, networks without a power-law fit, ignored ``metrics.json``
        files).
    provenance : dict
    duplicates : tuple of dict
        The networks left out because they are identical to an earlier one (see
        :func:`build_report`): ``{"label", "group", "source", "duplicate_of",
        "duplicate_of_group", "duplicate_of_source"}`` each, in input order.
    """

    networks: tuple
    comparisons: tuple
    incomparable: tuple
    notes: tuple
    provenance: dict = field(default_factory=dict)
    duplicates: tuple = ()

    def __repr__(self):
        return concise_repr(self)

    def to_dict(self):
        """JSON-safe dict of every number in the report."""
        return jsonable(
            {
                "provenance": self.provenance,
                "notes": list(self.notes),
                "duplicates": list(self.duplicates),
                "incomparable": list(self.incomparable),
                "networks": [n.to_dict() for n in self.networks],
                "comparisons": [c.to_dict() for c in self.comparisons],
            }
        )


def _degree_json(d):
    return {
        "layer": d.layer,
        "direction": d.direction,
        "n_nodes": d.n_nodes,
        "histogram": d.histogram,
        "mean": d.mean,
        "std": d.std,
        "max": d.max,
        "n_isolated": d.n_isolated,
    }


def load_metrics(path):
    """Read a ``metrics.json`` written by the trainer.

    Parameters
    ----------
    path : str or Path
        The file, or a checkpoint file whose folder holds ``metrics.json``.

    Returns
    -------
    dict or None
        ``{"seed", "method", "epochs": [row, ...]}``, each row a dict with an int ``"epoch"``;
        None when there is no such file.

    Raises
    ------
    ParameterError
        If the file exists but is not UTF-8 JSON of that shape (the message names the file and
        what is wrong).

    Examples
    --------
    >>> load_metrics("/nonexistent/final.pt") is None
    True
    >>> import tempfile, pathlib
    >>> bad = pathlib.Path(tempfile.mkdtemp()) / "metrics.json"
    >>> _ = bad.write_text('{"epochs": [{"epoch": "x"}]}')
    >>> try:
    ...     load_metrics(bad)
    ... except ParameterError as exc:
    ...     print(str(exc).removeprefix(f"{bad}: "))
    epochs[0]['epoch'] == 'x', expected an int
    """
    path = Path(path)
    if path.name != "metrics.json":
        path = path.parent / "metrics.json"
    if not path.is_file():
        return None
    try:
        text = path.read_bytes()
    except OSError as exc:
        raise ParameterError(f"{path}: cannot be read as metrics JSON ({exc})") from None
    note_input(path)
    try:
        data = load_json(text, "", error=ParameterError)
    except ParameterError as exc:  # damage or nesting deeper than netgraph.fileio.MAX_JSON_DEPTH
        reason = str(exc).removeprefix(": is not valid JSON ")
        raise ParameterError(f"{path}: cannot be read as metrics JSON {reason}") from None
    problem = _metrics_problem(data)
    if problem is not None:
        raise ParameterError(f"{path}: {problem}")
    return data


def _metrics_problem(data):
    """What keeps ``data`` from being metrics (None when it is: rows are dicts with an int epoch)."""
    if not isinstance(data, dict) or not isinstance(data.get("epochs"), list):
        return "expected a JSON object with an 'epochs' list"
    for i, row in enumerate(data["epochs"]):
        if not isinstance(row, dict):
            return f"epochs[{i}] is a {type(row).__name__}, expected an object with an int 'epoch'"
        if "epoch" not in row:
            return f"epochs[{i}] has no 'epoch'"
        epoch = row["epoch"]
        if isinstance(epoch, bool) or not isinstance(epoch, int):
            return f"epochs[{i}]['epoch'] == {epoch!r}, expected an int"
    return None


def _default_labels(graphs, sources):
    labels = []
    for k, G in enumerate(graphs):
        meta = graph_meta(G)
        if meta.get("method") is not None and meta.get("seed") is not None:
            label = f"{meta['method']}/seed-{meta['seed']}"
        elif sources is not None and sources[k] is not None:
            p = Path(sources[k])
            label = f"{p.parent.name}/{p.stem}" if p.parent.name else p.stem
        else:
            label = str(k)
        labels.append(label)
    seen = {}
    out = []
    for label in labels:
        seen[label] = seen.get(label, 0) + 1
        out.append(label if seen[label] == 1 else f"{label}#{seen[label]}")
    return out


def _check_report_args(graphs, groups, labels, sources, metrics):
    """Validate the arguments of :func:`build_report`; returns ``(groups, labels)`` cleaned."""
    if isinstance(graphs, nx.Graph) or not isinstance(graphs, Sequence) or not graphs:
        raise ParameterError(f"graphs={graphs!r}: expected a non-empty sequence of networkx.DiGraph")
    k = len(graphs)
    if groups is not None and (isinstance(groups, str) or not isinstance(groups, (Sequence, np.ndarray))):
        raise ParameterError(f"groups={groups!r}: expected a sequence of str, one per graph")
    for name, value in (("groups", groups), ("labels", labels), ("sources", sources), ("metrics", metrics)):
        if value is not None and len(value) != k:
            raise ParameterError(f"{name} has {len(value)} entries, expected {k} (one per graph)")
    if groups is not None:
        for i, g in enumerate(groups):
            if g is not None and (not isinstance(g, str) or not g.strip()):
                raise ParameterError(f"groups[{i}]={g!r}: expected a non-empty string or None")
        groups = [None if g is None else str(g) for g in groups]
    for i, m in enumerate(metrics or ()):
        problem = None if m is None else _metrics_problem(m)
        if problem is not None:
            raise ParameterError(f"metrics[{i}]: {problem}")
    for i, G in enumerate(graphs):
        structure(G, name=f"graphs[{i}]").require_layered(name=f"graphs[{i}]")
    if labels is not None:
        labels = [str(x) for x in labels]
        if len(set(labels)) != k:
            raise ParameterError(f"labels={labels!r}: labels must be unique")
    return groups, labels


def _default_group(G):
    method = graph_meta(G).get("method")
    return _NO_METHOD if method is None or method == "" else str(method)


def _canonical(values):
    """Weights or biases as comparable bytes: real numbers as float64 (0.0 and -0.0 alike), anything else by repr."""
    if isinstance(values, np.ndarray) and values.dtype.kind == "f":  # a network's arrays: no per-value work
        return (values.astype(np.float64) + 0.0).tobytes() + np.ones(values.size, dtype=bool).tobytes() + b"[]"
    if all(type(v) is float for v in values):
        return _canonical(np.asarray(values, dtype=np.float64))
    real = np.array([isinstance(v, numbers.Real) and not isinstance(v, bool) for v in values], dtype=bool)
    numbers_ = np.array([float(v) + 0.0 if r else 0.0 for v, r in zip(values, real)], dtype=np.float64)
    other = repr([v for v, r in zip(values, real) if not r]).encode("utf-8", "backslashreplace")
    return numbers_.tobytes() + real.tobytes() + other


def _identity(G):
    """A digest of what makes the layered network ``G`` itself, whatever its node names or metadata.

    The layer sizes, ``activation`` and ``has_bias``, every block's connections in compressed
    rows (out x in, positions within the layers) with their ``weight``, and every unit's
    ``bias``: two inputs have one digest when they are the same network (the same file twice, a
    copy of a checkpoint, a reload of an export, a network and its graph). A network's arrays are
    hashed a chunk at a time, without copies of its size.
    """
    s = structure(G)
    lay = s.layered
    activation, has_bias = graph_attribute(G, "activation"), graph_attribute(G, "has_bias")
    h = hashlib.sha256(repr((tuple(lay.sizes), activation, bool(has_bias) if has_bias is not None else None)).encode())
    for indptr, indices, weights in _canonical_blocks(G, s):
        for arr, dtype in ((indptr, np.int64), (indices, np.int64)):
            for start in range(0, arr.size, _HASH_CHUNK):
                h.update(np.ascontiguousarray(arr[start : start + _HASH_CHUNK], dtype=dtype).tobytes())
        _update_canonical(h, weights)
    bias = node_biases(G, s)
    by_layer = np.lexsort((lay.pos, lay.layer))  # units in layer order, by position
    _update_canonical(h, bias[by_layer] if isinstance(bias, np.ndarray) else [bias[k] for k in by_layer.tolist()])
    return h.hexdigest()


_HASH_CHUNK = 1 << 22


def _update_canonical(h, values):
    """``h.update(_canonical(values))``, a chunk at a time for an array of floats."""
    if not (isinstance(values, np.ndarray) and values.dtype.kind == "f"):
        h.update(_canonical(values))
        return
    for start in range(0, values.size, _HASH_CHUNK):
        h.update((values[start : start + _HASH_CHUNK].astype(np.float64) + 0.0).tobytes())
    for start in range(0, values.size, _HASH_CHUNK):
        h.update(np.ones(min(_HASH_CHUNK, values.size - start), dtype=bool).tobytes())
    h.update(b"[]")


def _canonical_blocks(G, s):
    """Per block ``(indptr, indices, weights)`` of its connections out x in, indices ascending in each row."""
    if is_network(G):
        for block in G.blocks:
            yield block.indptr, block.indices, block.data
        return
    lay = s.layered
    weights = edge_weights(G, s)
    src, dst = s.sources, s.indices.astype(np.int64)
    layer = lay.layer[src]
    for l in range(len(lay.sizes) - 1):
        sel = np.flatnonzero(layer == l)
        i, j = lay.pos[src[sel]], lay.pos[dst[sel]]
        order = np.lexsort((i, j))
        indptr = np.zeros(lay.sizes[l + 1] + 1, dtype=np.int64)
        np.cumsum(np.bincount(j, minlength=lay.sizes[l + 1]), out=indptr[1:])
        yield indptr, i[order], [weights[k] for k in sel[order].tolist()]


def _duplicates(graphs, labels, groups, sources):
    """The networks identical to an earlier one: ``(duplicates, kept positions)``.

    A network is a duplicate of the first earlier kept network with the same :func:`_identity`
    whose checkpoint's ``meta["initial_topology"]`` does not contradict its own (equal, or
    recorded by at most one of the two), whatever their groups.
    """
    kept, duplicates, first = [], [], {}
    for i, G in enumerate(graphs):
        mine = graph_meta(G).get("initial_topology")
        digest = _identity(G)
        twin = None
        for j in first.get(digest, []):
            theirs = graph_meta(graphs[j]).get("initial_topology")
            if not (isinstance(mine, str) and isinstance(theirs, str) and mine != theirs):
                twin = j
                break
        if twin is None:
            first.setdefault(digest, []).append(i)
            kept.append(i)
        else:
            duplicates.append(
                {
                    "label": labels[i],
                    "group": groups[i],
                    "source": sources[i],
                    "duplicate_of": labels[twin],
                    "duplicate_of_group": groups[twin],
                    "duplicate_of_source": sources[twin],
                }
            )
    return duplicates, kept


def _duplicates_note(duplicates):
    def who(label, source):
        return label if source is None else f"{label} ({source})"

    n = len(duplicates)
    pairs = "; ".join(
        f"{who(d['label'], d['source'])} repeats {who(d['duplicate_of'], d['duplicate_of_source'])}" for d in duplicates
    )
    return (
        f"Left out {n} duplicate {'network' if n == 1 else 'networks'} (the same edges, weights and biases as "
        f"an earlier one), which would count as pairs of Jaccard 1 and inflate the similarities: {pairs}."
    )


def _analyze_network(G, label, group, source, metrics, *, power_law):
    summary = layer_summary(G)
    n_layers = len(summary.layer_sizes)
    meta = dict(graph_meta(G))
    pl = None
    if power_law:
        hidden = degree_distribution(G, direction="total")
        pl = compare_power_law(hidden)
    return NetworkAnalysis(
        label=label,
        group=group,
        source=source,
        meta=meta,
        summary=summary,
        drivers=driver_nodes(G),
        degrees_in=tuple(degree_distribution(G, direction="in", layer=l) for l in range(n_layers)),
        degrees_out=tuple(degree_distribution(G, direction="out", layer=l) for l in range(n_layers)),
        input_image=input_connectivity(G),
        metrics=metrics,
        power_law=pl,
    )


def _matrices(graphs, labels, *, aligned, say, pair_map=None):
    """Edge, node and per-block edge matrices of graphs of one architecture, and every pair aligned once.

    ``"pairs"`` maps ``(a, b)``, ``a < b``, to :func:`~analysis.aligned_jaccard` of graphs ``a``
    and ``b``, ``"nnstd"`` to their :func:`~analysis.nnstd` (both None without alignment), both
    computed through ``pair_map`` in one call, one task per pair; the comparisons and their
    summaries read their pairs from them.
    """
    n_blocks = len(structure(graphs[0]).layered.sizes) - 1
    out = {
        "edge": similarity_matrix(graphs, kind="edge", labels=labels),
        "node": similarity_matrix(graphs, kind="node", labels=labels),
        "layers": tuple(similarity_matrix(graphs, kind="edge", labels=labels, layer=l) for l in range(n_blocks)),
    }
    if aligned and len(graphs) > 1:
        n_pairs = len(graphs) * (len(graphs) - 1) // 2
        say(f"aligning {n_pairs} pairs of networks{_alignment_note(structure(graphs[0]).layered.sizes, n_pairs)}")
        out["pairs"], out["nnstd"] = _aligned_and_nnstd_pairs(graphs, pair_map=pair_map)
    else:
        out["pairs"] = out["nnstd"] = None
    return out


#: Estimated seconds above which the start of an alignment says how long it will take.
ANNOUNCE_SECONDS = 60


def _alignment_note(sizes, n_pairs):
    """``" (about 24 min by an estimate ...)"`` for alignments estimated to take long, else ``""``.

    Each pair is aligned twice (aligned Jaccard and NNSTD), and as many random networks are aligned
    for the baselines; :func:`~analysis.similarity.alignment_cost` gives the work of one.
    """
    seconds = 4 * n_pairs * alignment_cost(sizes) * ALIGN_SECONDS_PER_UNIT
    if seconds < ANNOUNCE_SECONDS:
        return ""
    widest = max(sizes[1:-1], default=0)
    took = f"{seconds / 3600:.1f} h" if seconds >= 5400 else f"{seconds / 60:.0f} min"
    return (
        f" (about {took} by an estimate: hidden layers of up to {widest:,} units, the matching's cost growing "
        "as the cube of the width; a report without alignment skips it)"
    )


def _sub(m, ids):
    if m is None:
        return None
    ix = np.ix_(ids, ids)
    return SimilarityMatrix(
        values=frozen_array(m.values[ix]),
        chance=frozen_array(m.chance[ix]),
        kind=m.kind,
        labels=tuple(m.labels[i] for i in ids),
        layer=m.layer,
    )


#: The kinds of pair of a comparison: key -> (name on the page, what the kind means).
_PAIR_KINDS = {
    "within_method_across_seed": (
        "within method, across seeds",
        "pairs of one group (method) from different initial topologies: do independent runs of one method "
        "converge to the same network?",
    ),
    "across_method_same_initial_topology": (
        "across methods, same initial topology",
        "pairs of different groups (methods) that started from one initial topology (one seed): how much of the "
        "common starting network do different growth rules keep and re-grow alike?",
    ),
    "across_method_across_seed": (
        "across methods, across seeds",
        "pairs of different groups from different initial topologies: how alike different methods' networks are "
        "with nothing shared but the data; compare methods by these, since pairs that share an initial topology "
        "sit above them without the methods converging.",
    ),
}

#: How two networks were found to share (or not) their initial topology: key -> explanation.
_START_RULES = {
    "fingerprint": "both checkpoints record an initial_topology fingerprint (sha256 of the run's initial masks and "
    "layer sizes), compared",
    "seed": "a checkpoint records no initial_topology fingerprint: same initial topology means the same meta seed "
    "with equal layer sizes and equal epsilon and density (params)",
}


def _start_params(meta):
    params = meta.get("params") if isinstance(meta.get("params"), dict) else {}
    return params.get("epsilon"), params.get("density")


def _same_start(meta1, meta2):
    """Whether two networks of one architecture started from one initial topology, and the rule that said so.

    ``(True or False, "fingerprint")`` when both metas record ``initial_topology``; else
    ``(same, "seed")`` when both record a seed: the same seed and equal ``epsilon`` and
    ``density`` (the layer sizes are equal within a comparison); else ``(None, None)``.
    """
    f1, f2 = meta1.get("initial_topology"), meta2.get("initial_topology")
    if isinstance(f1, str) and isinstance(f2, str):
        return f1 == f2, "fingerprint"
    s1, s2 = meta1.get("seed"), meta2.get("seed")
    if s1 is None or s2 is None:
        return None, None
    return s1 == s2 and _start_params(meta1) == _start_params(meta2), "seed"


def _pair_kinds(labels, groups, metas, edge, aligned, nnstd):
    """The pairs of a comparison by kind (:data:`_PAIR_KINDS`), with their mean similarities.

    A pair of one group whose initial topologies differ is *within method, across seeds*; a
    pair of different groups is *across methods, same initial topology* or *across methods,
    across seeds* (:func:`_same_start`). Pairs of one group from one initial topology, and
    pairs whose initial topologies are unknown, are in no kind.

    Returns None when no pair has a kind; else per kind ``{"name", "meaning", "n_pairs",
    "pairs", "rules", "edge_mean", "edge_chance_mean", "aligned_mean", "aligned_chance_mean",
    "nnstd_mean", "nnstd_random_mean"}``: ``pairs`` lists label pairs, ``rules`` how many pairs
    each rule of :data:`_START_RULES` classified, the means are over the kind's pairs (nan
    without pairs, or for the aligned measures without alignment); ``*_chance_mean`` and
    ``nnstd_random_mean`` are the chance levels of the matrices, pair by pair.
    """
    found = {kind: [] for kind in _PAIR_KINDS}
    for a in range(len(labels)):
        for b in range(a + 1, len(labels)):
            same, rule = _same_start(metas[a], metas[b])
            if same is None:
                continue
            if groups[a] == groups[b]:
                kind = None if same else "within_method_across_seed"
            else:
                kind = "across_method_same_initial_topology" if same else "across_method_across_seed"
            if kind is not None:
                found[kind].append((a, b, rule))
    if not any(found.values()):
        return None

    def mean(matrix, pairs, field="values"):
        if matrix is None or not pairs:
            return math.nan
        values = getattr(matrix, field)
        return float(np.mean([values[a, b] for a, b, _ in pairs]))

    out = {}
    for kind, pairs in found.items():
        name, meaning = _PAIR_KINDS[kind]
        out[kind] = {
            "name": name,
            "meaning": meaning,
            "n_pairs": len(pairs),
            "pairs": [[labels[a], labels[b]] for a, b, _ in pairs],
            "rules": {rule: sum(r == rule for *_, r in pairs) for rule in _START_RULES},
            "edge_mean": mean(edge, pairs),
            "edge_chance_mean": mean(edge, pairs, "chance"),
            "aligned_mean": mean(aligned, pairs),
            "aligned_chance_mean": mean(aligned, pairs, "chance"),
            "nnstd_mean": mean(nnstd, pairs),
            "nnstd_random_mean": mean(nnstd, pairs, "chance"),
        }
    return out


def _compare(name, graphs, full, ids, groups, metas, analyses, rng, pair_map=None):
    """The comparison of ``graphs`` (positions ``ids`` within the matrices ``full``), with its summary.

    ``groups``, ``metas`` and ``analyses`` (:class:`NetworkAnalysis`) are per member of ``full``,
    like ``graphs``. The summary reuses the matrices, the aligned pairs and their NNSTD and the
    per-network analyses, and draws the random networks of its baselines from ``rng`` (aligned
    through ``pair_map``).
    """
    sub = [graphs[i] for i in ids]
    labels = [full["edge"].labels[i] for i in ids]
    edge = _sub(full["edge"], ids)
    edge_by_layer = tuple(_sub(m, ids) for m in full["layers"])
    curve = common_subnetwork_curve(sub, labels=labels)
    sub_groups = tuple(groups[i] for i in ids)
    pairs, nnstds = full["pairs"], full["nnstd"]
    order = [(a, b) for n, a in enumerate(ids) for b in ids[n + 1 :]]
    nets = [analyses[i] for i in ids]
    summary, null, nnstd_null = _summarize(
        sub,
        method=name,
        aligned=pairs is not None,
        rng=rng,
        pair_map=pair_map,
        pairs=None if pairs is None else [pairs[p] for p in order],
        nnstds=None if nnstds is None else [nnstds[p] for p in order],
        edge=edge,
        edge_by_layer=edge_by_layer,
        curve=curve,
        layer_summaries=[net.summary for net in nets],
        drivers=[net.drivers for net in nets],
        input_degrees=[net.degrees_out[0].degrees for net in nets],
    )
    aligned = nnstd = None
    if pairs is not None:
        values, distances = np.eye(len(ids)), np.zeros((len(ids), len(ids)))
        for n, a in enumerate(ids):
            for m, b in enumerate(ids[n + 1 :], start=n + 1):
                values[n, m] = values[m, n] = pairs[(a, b)].value
                distances[n, m] = distances[m, n] = nnstds[(a, b)].value
        chance = np.where(np.isnan(null), edge.chance, null)  # the diagonal: the raw chance level
        aligned = SimilarityMatrix(
            values=frozen_array(values), chance=frozen_array(chance), kind="aligned", labels=tuple(labels)
        )
        nnstd = SimilarityMatrix(
            values=frozen_array(distances),
            chance=frozen_array(np.nan_to_num(nnstd_null, nan=0.0)),  # the diagonal: a network's own distance
            kind="nnstd",
            labels=tuple(labels),
        )
    sub_metas = [metas[i] for i in ids]
    return Comparison(
        name=name,
        labels=tuple(labels),
        groups=sub_groups,
        layer_sizes=structure(sub[0]).layered.sizes,
        edge=edge,
        node=_sub(full["node"], ids),
        aligned=aligned,
        edge_by_layer=edge_by_layer,
        curve=curve,
        summary=summary,
        nnstd=nnstd,
        pair_kinds=_pair_kinds(labels, sub_groups, sub_metas, edge, aligned, nnstd),
    )


def _arch(sizes):
    return "-".join(str(s) for s in sizes)


def build_report(
    graphs,
    *,
    groups=None,
    labels=None,
    sources=None,
    metrics=None,
    aligned=True,
    power_law=True,
    progress=None,
    rng=None,
    pair_map=None,
):
    """Analyse several layered networks and compare them within and across groups.

    Parameters
    ----------
    graphs : sequence of networkx.DiGraph
        Layered graphs, e.g. from :func:`netgraph.to_graph`; ``G.graph["meta"]`` (seed, method,
        epoch, params, ...) is reported when present. ``meta["initial_topology"]`` (the trainer
        records it, a fingerprint of the run's initial masks) tells which networks started from
        one initial topology (see Notes). A graph identical to an earlier one is left out (see
        Notes).
    groups : sequence of str or None, optional
        The group of each graph (a non-empty name, or None for the default): networks are
        compared within each group and across groups. Default: ``meta["method"]``, else
        ``"(no method)"``. Give it for networks whose checkpoints record no method (foreign
        state_dicts), which would otherwise all fall into one group. The comparison across
        groups is named ``"all groups"`` when ``groups`` is given, else ``"all methods"``.
    labels : sequence of str, optional
        Unique names; default ``"method/seed-S"`` from the metadata, else from ``sources``.
    sources : sequence of str, optional
        The checkpoint file of each graph (for provenance and to find ``metrics.json``).
    metrics : sequence of dict or None, optional
        Training metrics per graph; default: read ``metrics.json`` beside each source (a file
        that :func:`load_metrics` rejects is ignored, with a note).
    aligned : bool, optional
        Align every pair of networks of an architecture, once, for its aligned Jaccard and its
        NNSTD (:func:`~analysis.nnstd`; the slowest part); every comparison reads its values
        from that one pass.
    power_law : bool, optional
        Compare power-law and lognormal fits of the degrees when ``powerlaw`` is installed
        (:func:`~analysis.compare_power_law`; a network whose degrees cannot be fitted gets a
        note instead).
    progress : callable, optional
        Called with a short message before each step.
    rng : None, int or numpy.random.Generator, optional
        Randomness of the aligned chance level (random networks aligned like the real ones,
        see :mod:`analysis.summary`). An int seeds every comparison alike, so a comparison's
        ``summary`` equals ``summarize_group(its graphs, method=its name, rng=rng)``, which is
        what ``netgraph demo`` prints and ``scripts/reproduce.py`` records; a Generator (or
        None) is one stream, drawn from comparison after comparison. An int is recorded in the
        provenance.
    pair_map : callable, optional
        How the pairwise alignments run: every pair of networks of an architecture (aligned
        Jaccard and NNSTD of a pair in one task, one call per architecture) and every comparison's
        pairs of random networks (drawn here from ``rng``, in the same order whatever
        ``pair_map`` is). The protocol is described in :func:`~analysis.local_pair_map`, the
        default; a pair_map that runs on a cluster gives the same report.

    Returns
    -------
    SimilarityReport

    Raises
    ------
    ParameterError
        If the arguments do not line up, a group name is empty, a ``metrics`` entry is not
        shaped like :func:`load_metrics` output, or ``pair_map`` is not callable or does not
        return one result per pair.
    GraphContractError
        If a graph is not layered.

    Notes
    -----
    Each comparison sorts its pairs into kinds (``Comparison.pair_kinds``, a table on the page):
    *within method, across seeds* (one group, different initial topologies: do independent runs
    of one method converge to the same network?), *across methods, same initial topology*
    (different groups, one initial topology: how much of the common starting network do
    different growth rules keep and re-grow alike?) and *across methods, across seeds*. Two
    networks share their initial topology when both metas record ``initial_topology`` and it is
    equal; when one lacks it, when they record the same ``seed`` and equal ``params`` ``epsilon``
    and ``density`` (the layer sizes are equal within a comparison). Each kind records how many
    pairs each rule classified, and its mean edge Jaccard, aligned Jaccard and NNSTD with their
    chance levels and random baselines.

    A network identical to an earlier one of ``graphs`` (the same layer sizes, activation,
    edges with the same weights and biases: the same file given twice, a copied seed folder)
    would be compared with its original as a pair of Jaccard 1 and inflate every similarity of
    its groups. Such a *duplicate* is left out entirely, whatever its group: it is not analysed,
    not in ``networks``, ``comparisons`` or the provenance lists, and the report equals the one
    over the other networks but for ``duplicates`` (which names it, its group and source, and
    the network it repeats) and a note saying so. Labels are given before duplicates are left
    out (the default label of a copy ends in ``#2``). Two networks whose checkpoints record
    different ``initial_topology`` fingerprints are never duplicates of each other; their
    ``meta`` is otherwise not compared (a copy records the seed of its original).

    Examples
    --------
    >>> import networkx as nx
    >>> gs = [nx.DiGraph([((0, 0), (1, 0))]), nx.DiGraph([((0, 0), (1, 0)), ((0, 1), (1, 0))])]
    >>> gs[0].add_node((0, 1))
    >>> gs += [g.copy() for g in gs]
    >>> for g in gs[2:]:  # the same edges with weights of their own: other networks
    ...     nx.set_edge_attributes(g, 0.5, "weight")
    >>> rep = build_report(gs, groups=["mine", "mine", "theirs", "theirs"], aligned=False)
    >>> [(c.name, c.edge.mean) for c in rep.comparisons]
    [('mine', 0.5), ('theirs', 0.5), ('all groups', 0.6666666666666666)]

    A copy of a network is left out, and named:

    >>> rep = build_report(gs + [gs[0].copy()], groups=["mine"] * 2 + ["theirs"] * 3, aligned=False)
    >>> [(d["label"], d["duplicate_of"]) for d in rep.duplicates], len(rep.networks)
    ([('4', '0')], 4)
    """
    groups, labels = _check_report_args(graphs, groups, labels, sources, metrics)
    _check_pair_map(pair_map)
    k = len(graphs)
    sources = [None if s is None else str(s) for s in sources] if sources is not None else [None] * k
    labels = labels or _default_labels(graphs, sources)
    given_groups = groups
    groups = [_default_group(G) if g is None else g for G, g in zip(graphs, groups or [None] * k)]
    duplicates, kept = _duplicates(graphs, labels, groups, sources)
    if duplicates:  # left out entirely: not analysed, not compared, named in report.duplicates
        graphs, labels, groups, sources = ([x[i] for i in kept] for x in (graphs, labels, groups, sources))
        metrics = None if metrics is None else [metrics[i] for i in kept]
        k = len(graphs)
    metric_notes = []
    if metrics is None:
        metrics = []
        for label, source in zip(labels, sources):
            try:
                metrics.append(load_metrics(source) if source is not None else None)
            except ParameterError as exc:
                metrics.append(None)
                metric_notes.append(f"Training curves of {label} skipped, its metrics file is ignored: {exc}")
    say = progress or (lambda message: None)
    # an int (or SeedSequence) seeds every comparison alike, as summarize_group(..., rng=rng) would;
    # None or a Generator is one stream, drawn from comparison after comparison
    seed = check_rng(rng) if rng is None or isinstance(rng, np.random.Generator) else rng
    have_powerlaw = False
    if power_law:
        try:
            import powerlaw  # noqa: F401

            have_powerlaw = True
        except ImportError:
            pass
    networks = []
    for i, G in enumerate(graphs):
        say(f"analysing {labels[i]}")
        networks.append(_analyze_network(G, labels[i], groups[i], sources[i], metrics[i], power_law=have_powerlaw))

    # architecture classes and groups, in order of first appearance
    archs = {}
    for i, net in enumerate(networks):
        archs.setdefault(net.summary.layer_sizes, []).append(i)
    by_group = {}
    for i, net in enumerate(networks):
        by_group.setdefault(net.group, []).append(i)
    seeds = [net.meta.get("seed") for net in networks]

    notes = [_duplicates_note(duplicates)] if duplicates else []
    incomparable = []
    if len(archs) > 1:
        for sizes, ids in archs.items():
            incomparable.append({"layer_sizes": list(sizes), "labels": [labels[i] for i in ids]})
        desc = "; ".join(f"{_arch(s)}: {', '.join(labels[i] for i in ids)}" for s, ids in archs.items())
        notes.append(
            f"The networks have {len(archs)} different architectures and cannot be compared edge by edge "
            f"across them ({desc}). Similarities are computed within each architecture only."
        )
    if power_law and not have_powerlaw:
        notes.append("Power-law fits skipped: the optional package 'powerlaw' is not installed (pip install powerlaw).")
    no_fit = {}
    for net in networks:
        if net.power_law is not None and net.power_law.get("skipped"):
            no_fit.setdefault(net.power_law["skipped"], []).append(net.label)
    if no_fit:
        why = "; ".join(f"{reason} ({', '.join(names)})" for reason, names in no_fit.items())
        notes.append(f"No power-law fit for {sum(map(len, no_fit.values()))} of {k} networks: {why}.")
    notes.extend(metric_notes)

    # one set of matrices per architecture; groups are sub-matrices of it
    comparisons = []
    full = {}
    for sizes, ids in archs.items():
        if len(ids) < 2:
            continue
        say(f"comparing {len(ids)} networks of {_arch(sizes)}")
        full[sizes] = (
            ids,
            _matrices([graphs[i] for i in ids], [labels[i] for i in ids], aligned=aligned, say=say, pair_map=pair_map),
        )

    def compare(name, sizes, sub):
        """The comparison of the networks ``sub`` (ids) of architecture ``sizes``."""
        members, mats = full[sizes]
        say(f"summarising {name} ({len(sub)} networks)")
        return _compare(
            name,
            [graphs[i] for i in members],
            mats,
            [members.index(i) for i in sub],
            [groups[i] for i in members],
            [networks[i].meta for i in members],
            [networks[i] for i in members],
            seed,
            pair_map,
        )

    for group, ids in by_group.items():
        by_arch = {}
        for i in ids:
            by_arch.setdefault(networks[i].summary.layer_sizes, []).append(i)
        for sizes, sub in by_arch.items():
            if len(sub) < 2:
                continue
            comparisons.append(compare(group if len(by_arch) == 1 else f"{group} ({_arch(sizes)})", sizes, sub))
    across = "all methods" if given_groups is None else "all groups"
    for sizes, ids in archs.items():
        if len({groups[i] for i in ids}) < 2:
            continue
        comparisons.append(compare(across if len(archs) == 1 else f"{across} ({_arch(sizes)})", sizes, ids))
    if not comparisons:
        what = "method" if given_groups is None else "group"
        notes.append(f"No two networks share a {what} and an architecture: there is nothing to compare.")

    provenance = {
        "netgraph_version": __version__,
        "created": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "function": "analysis.build_report",
        "parameters": {
            "groups": given_groups,
            "aligned": bool(aligned),
            "power_law": bool(power_law),
            "rng": rng if isinstance(rng, (int, type(None))) else repr(rng),
        },
        "files": sources,
        "labels": list(labels),
        "groups": list(groups),
        "seeds": seeds,
        "methods": [net.meta.get("method") for net in networks],
    }
    return SimilarityReport(
        networks=tuple(networks),
        comparisons=tuple(comparisons),
        incomparable=tuple(incomparable),
        notes=tuple(notes),
        provenance=provenance,
        duplicates=tuple(duplicates),
    )


# --------------------------------------------------------------------------- writing


#: Longest slug of a name in a file name; a longer one is cut and ends in a hash of the whole name.
_SLUG_MAX = 40


def _slug(text):
    """A short file-name part for ``text``: lower-case ASCII letters, digits and ``-``, at most :data:`_SLUG_MAX`.

    Examples
    --------
    >>> _slug("Random+Prune")
    'random-prune'
    >>> long = _slug("x" * 300)
    >>> len(long), long[-9:] != _slug("x" * 299)[-9:]
    (40, True)
    """
    slug = re.sub(r"[^a-z0-9]+", "-", str(text).lower()).strip("-") or "group"
    if len(slug) > _SLUG_MAX:
        digest = hashlib.sha256(str(text).encode("utf-8", "surrogatepass")).hexdigest()[:8]
        slug = f"{slug[: _SLUG_MAX - 9].rstrip('-')}-{digest}"
    return slug


# What each measure means: (term, sentence), shown under the table or figure where it appears.
_EXPLAIN = {
    "N_D": (
        "N_D",
        "driver nodes, the minimum number of units that need an outside input signal to control the network "
        "(structural controllability, Liu, Slotine & Barabási 2011), found by maximum matching.",
    ),
    "bound": (
        "bound",
        "the width bound n_0 + Σ max(0, n_{l+1} − n_l): the fewest driver nodes any layered network of these "
        "widths can have; random masks sit on it.",
    ),
    "shortfall": ("shortfall", "N_D minus the bound: the driver nodes a trained topology adds."),
    "edge J": ("edge J", "the Jaccard |A ∩ B| / |A ∪ B| of the edge sets of two networks, averaged over the pairs."),
    "chance": (
        "chance",
        "the Jaccard of two independent random masks with the same per-layer densities, d1·d2/(d1+d2−d1·d2) per "
        "block; networks are similar only in as far as they beat it.",
    ),
    "aligned J": (
        "aligned J",
        "the edge Jaccard after matching the hidden units of the two networks layer by layer (Hungarian method on "
        "their sets of incoming units, as NNSTD matches them; outputs kept fixed), since hidden units can be "
        "permuted without changing what a network computes.",
    ),
    "aligned chance": (
        "aligned chance",
        "the aligned Jaccard of random networks with the same per-block edge counts, aligned the same way "
        "(one random network per network, aligned pair by pair): alignment lifts random networks above the raw "
        "chance level.",
    ),
    "NNSTD": (
        "NNSTD",
        "the Neural Network Sparse Topology Distance of Liu et al. (2020), as their code computes it: layer by "
        "layer, the units of one network (hidden and output) are paired with those of the other at least total "
        "normalised edit distance (|A∖B| + |B∖A|) / |A∪B| between their sets of incoming units, and the matched "
        "distances are averaged over a layer's units and then over the layers; a distance, 0 for networks equal "
        "up to a relabelling of their units, lower = more similar.",
    ),
    "NNSTD random": (
        "NNSTD random",
        "the NNSTD of the same random networks as the aligned chance level (one per network, same per-block edge "
        "counts): networks share topology only in as far as their NNSTD is below it.",
    ),
    "node J": (
        "node J",
        "the Jaccard of the sets of surviving, non-isolated units; node chance is that of random sets of units "
        "of the same sizes.",
    ),
    "edges in all": (
        "edges in all",
        "the common subnetwork at min_share = 1; the common subnetwork is the set of edges present in at least a "
        "share min_share of the networks.",
    ),
    "block": (
        "block l → l + 1",
        "the raw edge Jaccard of the edges from layer l to layer l + 1 alone, and its chance level "
        "d1·d2/(d1+d2−d1·d2) from the two densities of that block.",
    ),
    "heatmap": (
        "Jaccard cells",
        "the raw or aligned edge Jaccard of each pair of networks (1 on the diagonal); the red line on the colour "
        "bar marks the mean chance level, stated in the title. Tick labels leave out the part of the labels that "
        "all the networks of a comparison share (their group).",
    ),
    "heatmap nnstd": (
        "NNSTD cells",
        "the NNSTD of each pair of networks (0 on the diagonal, lower = more similar); the red line on the colour "
        "bar marks the mean NNSTD of the random networks.",
    ),
    "pair kinds": (
        "kinds of pair",
        "whether two networks started from one initial topology is read from their checkpoints' initial_topology "
        "fingerprint, else from their seed, layer sizes and epsilon/density (the column says which rule matched); "
        "pairs of one method from one initial topology, and pairs whose start is unknown, are in no kind.",
    ),
    "degrees": (
        "P(K ≥ k)",
        "the share of a layer's units whose degree is at least k (out-degree for the inputs, in-degree for the "
        "other layers).",
    ),
    "input": (
        "input connectivity",
        "each input unit's out-degree, averaged over the networks of a group; the panels share one colour scale, "
        "so one colour is one out-degree.",
    ),
    "styles": (
        "colours and line styles",
        "one colour per group; within a group, one line style per seed (or per network, in table order, where "
        "the seeds do not tell them apart), named in the legend above the panels; the training curves below are "
        "drawn alike.",
    ),
    "power law": (
        "power-law fit",
        "α and xmin of the power law P(k) ∝ k^−α fitted to the total degrees k ≥ xmin of a network's units "
        "(powerlaw package; Clauset, Shalizi & Newman 2009); R is the normalised log-likelihood ratio of the power "
        "law against a lognormal (positive favours the power law) and p its significance; preferred names the "
        "better fit where p < 0.1, else undecided.",
    ),
    "drivers": ("bars and ticks", "the bars are N_D, the black ticks the width bound."),
    "training": (
        "curves",
        "test accuracy and connections after each epoch, from the metrics.json beside each checkpoint.",
    ),
    "common": (
        "common subnetwork",
        "the edges present in at least a share min_share of the networks, for every possible min_share; one "
        "curve per comparison.",
    ),
}


def _explain(*keys, extra=()):
    """The "what this means" line for ``keys`` of ``_EXPLAIN``, plus ``extra`` sentences (HTML)."""
    items = [f"<b>{html.escape(_EXPLAIN[k][0])}</b>: {html.escape(_EXPLAIN[k][1])}" for k in keys]
    return "<p class='explain'>" + " ".join(items + list(extra)) + "</p>"


def _rules_text(rules):
    used = {rule: n for rule, n in rules.items() if n}
    if len(used) == 1:
        return next(iter(used))
    return ", ".join(f"{rule} {n}" for rule, n in used.items())


def _shown_kinds(comp):
    """The kinds of pair of ``comp`` worth stating apart: some of its pairs, not all of them."""
    n_pairs = len(comp.labels) * (len(comp.labels) - 1) // 2
    return [kind for kind in (comp.pair_kinds or {}).values() if 0 < kind["n_pairs"] < n_pairs]


def _kinds_pointer(comp):
    """A line pointing from a comparison's matrices to its kinds of pair (HTML); None without kinds to state."""
    kinds = _shown_kinds(comp)
    if not kinds:
        return None
    what = ", ".join(f"{kind['n_pairs']} {html.escape(kind['name'])}" for kind in kinds)
    return f"<p class='explain'>Its pairs by kind ({what}): see <a href='#pair-kinds'>Kinds of pair</a>.</p>"


@dataclass(frozen=True)
class _Figure:
    """A rendered figure: its file, title (in ``report.json``), caption, PNG and where the page shows it."""

    name: str
    title: str
    caption: str
    png: bytes
    section: str
    comparison: int | None = None  # position in report.comparisons of a similarity matrix


#: Longest file-name stem; a longer one is cut and ends in a hash of the whole stem.
_STEM_MAX = 64


def _stem(text):
    if len(text) <= _STEM_MAX:
        return text
    digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:8]
    return f"{text[: _STEM_MAX - 9].rstrip('-')}-{digest}"


def _seed_styles(nets):
    """What tells the networks of a group apart in a plot: their seeds (None where one records none)."""
    return [None if n.meta.get("seed") is None else f"seed {n.meta['seed']}" for n in nets]


def _tick_labels(labels):
    """``labels`` without the part up to a ``/`` that all of them share (``random/seed-0`` -> ``seed-0``)."""
    labels = list(labels)
    cut = os.path.commonprefix(labels).rfind("/") + 1
    if len(labels) < 2 or cut == 0 or any(len(x) == cut for x in labels):
        return labels
    return [x[cut:] for x in labels]


def _figures(report):
    """Render every figure: list of :class:`_Figure`, in the order the page shows them.

    File names are bounded (at most ``_STEM_MAX + 7`` characters) and unique, whatever the
    names of groups and architectures.
    """
    figs = []
    nets = report.networks
    labels = [n.label for n in nets]
    used = set()

    def add(stem, title, caption, ax, section, comparison=None):
        stem = _stem(stem)
        name, n = stem, 1
        while name in used:
            n += 1
            name = f"{stem}-{n}"
        used.add(name)
        figs.append(_Figure(f"{name}.png", title, caption, plotting.png_bytes(ax), section, comparison))

    for position, comp in enumerate(report.comparisons):
        slug = _slug(comp.name)
        for kind, what in (("edge", "raw edge Jaccard"), ("aligned", "aligned Jaccard"), ("nnstd", "NNSTD (distance)")):
            m = getattr(comp, kind)
            if m is None:
                continue
            ax = plotting.plot_similarity_matrix(m, labels=_tick_labels(m.labels))
            stem = f"nnstd-{slug}" if kind == "nnstd" else f"jaccard-{kind}-{slug}"
            add(stem, f"{comp.name}: {what}", what, ax, "matrices", position)

    archs = {}
    for net in nets:
        archs.setdefault(net.summary.layer_sizes, []).append(net)
    for sizes, arch_nets in archs.items():
        suffix = "" if len(archs) == 1 else f"-{_arch(sizes)}"
        n_layers = len(sizes)
        axes = plotting.subplots(n_layers, ncols=4, panel_size=(3.25, 2.9))
        groups, styles = [n.group for n in arch_nets], _seed_styles(arch_nets)
        for l, ax in enumerate(axes):
            dists = [net.degrees_out[l] if l == 0 else net.degrees_in[l] for net in arch_nets]
            plotting.plot_degree_distribution(
                dists,
                ax,
                labels=[n.label for n in arch_nets],
                groups=groups,
                styles=styles,
                title=f"layer {l} ({'out' if l == 0 else 'in'}-degree)",
                legend="figure" if l == 0 else False,
            )
        title = f"Degree distributions per layer {_arch(sizes)}"
        add(f"degrees{suffix}", title, title, axes[0], "degrees")

    for sizes, arch_nets in archs.items():
        suffix = "" if len(archs) == 1 else f"-{_arch(sizes)}"
        groups = {}
        for net in arch_nets:
            groups.setdefault(net.group, []).append(net)
        means = {group: np.mean([m.input_image for m in members], axis=0) for group, members in groups.items()}
        top = max(float(mean.max()) for mean in means.values())
        vmax = top if top > 0 else 1.0  # one colour scale for every panel
        axes = plotting.subplots(len(groups), panel_size=(3.3, 3.0))
        for ax, (group, members) in zip(axes, groups.items()):
            plotting.plot_input_connectivity(
                means[group], ax, title=f"{group} (mean of {len(members)})", vmin=0.0, vmax=vmax
            )
        title = f"Input connectivity {_arch(sizes)}"
        add(f"input-connectivity{suffix}", title, title, axes[0], "input")

    ax = plotting.plot_driver_nodes([n.drivers for n in nets], labels=labels)
    title = "Driver nodes against the width bound"
    add("driver-nodes", title, title, ax, "drivers")

    with_metrics = [n for n in nets if n.metrics]
    if with_metrics:
        axes = plotting.subplots(2, panel_size=(4.6, 3.3))
        options = dict(
            labels=[n.label for n in with_metrics],
            groups=[n.group for n in with_metrics],
            styles=_seed_styles(with_metrics),
        )
        curves = [n.metrics for n in with_metrics]
        plotting.plot_training_curves(curves, axes[0], key="test_accuracy", legend="figure", **options)
        plotting.plot_training_curves(curves, axes[1], key="total_connections", legend=False, **options)
        title = "Accuracy and connections over epochs"
        add("training", title, title, axes[0], "training")

    if report.comparisons:
        ax = plotting.plot_common_subnetwork(
            [c.curve for c in report.comparisons], labels=[c.name for c in report.comparisons]
        )
        title = "Common-subnetwork size against min_share"
        add("common-subnetwork", title, title, ax, "common")
    return figs


def _fmt(x, digits=4):
    if x is None:
        return "–"
    if isinstance(x, float):
        return "–" if not math.isfinite(x) else f"{x:.{digits}g}"
    return str(x)


def _short(text, limit):
    """``text`` cut to ``limit`` characters in the middle (``…``), for table cells and headings."""
    text = str(text)
    if len(text) <= limit:
        return text
    head = (limit - 1) - (limit - 1) // 2
    return text[:head] + "…" + text[len(text) - (limit - 1) // 2 :]


@dataclass(frozen=True)
class _Cell:
    """A table cell shown as ``text``, with ``title`` (the full text) on hover; ``wrap`` lets long text wrap."""

    text: str
    title: str | None = None
    wrap: bool = False


def _name_cell(name, limit=40):
    """A label or group name: in full, or shortened with the full name in the cell's title."""
    name = str(name)
    return name if len(name) <= limit else _Cell(_short(name, limit), title=name)


def _td(c):
    if not isinstance(c, _Cell):
        return f"<td>{html.escape(_fmt(c))}</td>"
    title = "" if c.title is None else f" title='{html.escape(c.title)}'"
    wrap = " class='wrap'" if c.wrap else ""
    return f"<td{wrap}{title}>{html.escape(c.text)}</td>"


def _table(header, rows):
    """An HTML table; in a box of its own that scrolls sideways should it be wider than the page."""
    head = "".join(f"<th>{html.escape(str(h))}</th>" for h in header)
    body = "".join("<tr>" + "".join(_td(c) for c in row) + "</tr>" for row in rows)
    return f"<div class='table'><table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>"


def _common_folder(paths):
    """The deepest folder holding every path of ``paths`` (None entries ignored); None when it is the root or none."""
    paths = [os.path.abspath(p) for p in paths if p is not None]
    if not paths:
        return None
    try:
        folder = os.path.commonpath([os.path.dirname(p) for p in paths])
    except ValueError:  # different drives
        return None
    return None if os.path.dirname(folder) == folder else folder


def _file_cell(source, folder, limit=48):
    """A source file relative to ``folder`` (shortened when long), the full path as the cell's title."""
    if source is None:
        return None
    shown = source if folder is None else os.path.relpath(os.path.abspath(source), folder)
    return _Cell(_short(shown, limit), title=source)


def _accuracy(net):
    """The last test accuracy of ``net`` (metrics rows, else its checkpoint's metadata), if a number."""
    acc = None
    if net.metrics and net.metrics.get("epochs"):
        acc = net.metrics["epochs"][-1].get("test_accuracy")
    elif isinstance(net.meta.get("metrics"), dict):
        acc = net.meta["metrics"].get("test_accuracy")
    return acc if isinstance(acc, numbers.Real) and not isinstance(acc, bool) else None


_CSS = """
body{font-family:system-ui,sans-serif;margin:1.5em;max-width:1400px;color:#222}
h2{margin-top:1.6em;border-bottom:1px solid #ddd}
table{border-collapse:collapse;margin:0.6em 0 0.3em;font-size:0.85em}
td,th{border:1px solid #ccc;padding:3px 8px;text-align:right;white-space:nowrap}
td.wrap{white-space:normal;text-align:left;min-width:16em;max-width:36em}
th{background:#f0f0f0}
nav{font-size:0.9em}
nav a{margin-right:1em}
.note{background:#fff4d6;border-left:4px solid #e0a800;padding:0.5em 1em}
.explain{font-size:0.85em;color:#444;margin:0.3em 0 1.2em;max-width:70em}
.where{font-size:0.85em;color:#444;margin:0.3em 0}
.figures{display:flex;flex-wrap:wrap;gap:0.8em 1.6em;align-items:flex-start}
.table{max-width:100%;overflow-x:auto}
figure{display:table;margin:0.4em 0}
figcaption{display:table-caption;caption-side:bottom;font-size:0.85em;color:#555;overflow-wrap:anywhere}
section.comparison{margin:0.8em 0 1.6em}
img{max-width:100%;height:auto;display:block}
"""


def _pair_kind_section(report):
    """The "Kinds of pair" table and its explanations (HTML parts); nothing when no kind adds to the table above.

    A kind that holds every pair of its comparison is left out: the similarity table states it.
    """
    shown = [(c, kind) for c in report.comparisons for kind in _shown_kinds(c)]
    if not shown:
        return []
    rows = []
    for c, kind in shown:
        aligned = ["aligned_mean", "aligned_chance_mean", "nnstd_mean", "nnstd_random_mean"]
        aligned = [None] * 4 if c.aligned is None else [kind[key] for key in aligned]
        rows.append(
            [_name_cell(c.name), kind["name"], kind["n_pairs"], _rules_text(kind["rules"]), kind["edge_mean"]]
            + [kind["edge_chance_mean"], *aligned]
        )
    header = ["group", "kind of pair", "pairs", "initial topology by", "edge J", "chance"]
    header += ["aligned J", "aligned chance", "NNSTD", "NNSTD random"]
    meanings = {kind["name"]: kind["meaning"] for _, kind in shown}
    rules = {rule for _, kind in shown for rule, n in kind["rules"].items() if n}
    items = [f"<b>{html.escape(name)}</b>: {html.escape(meaning)}" for name, meaning in meanings.items()]
    items += [f"<b>{html.escape(r)}</b>: {html.escape(_START_RULES[r])}." for r in _START_RULES if r in rules]
    return ["<h3 id='pair-kinds'>Kinds of pair</h3>", _table(header, rows), _explain("pair kinds", extra=items)]


def _img(fig):
    """A figure of the page: the PNG embedded, its caption and file name below."""
    data = base64.b64encode(fig.png).decode("ascii")
    group = "" if fig.comparison is None else f" data-comparison='{fig.comparison}'"
    return (
        f"<figure{group}><img alt='{html.escape(fig.title)}' src='data:image/png;base64,{data}'>"
        f"<figcaption>{html.escape(_short(fig.caption, 120))} ({html.escape(fig.name)})</figcaption></figure>"
    )


def _figure_row(figs):
    return "<div class='figures'>" + "".join(_img(f) for f in figs) + "</div>"


def _power_law_section(report):
    """The power-law fits of the networks (HTML parts): nothing when none was attempted."""
    if not report.provenance.get("parameters", {}).get("power_law", True):
        return []
    parts = ["<h3 id='power-law'>Power-law fits</h3>"]
    fitted = [n for n in report.networks if n.power_law is not None]
    if not fitted:
        parts.append("<p class='where'>Not computed: the optional package powerlaw is not installed.</p>")
        return parts
    rows = []
    for n in fitted:
        pl = n.power_law
        result = pl["preferred"] if not pl.get("skipped") else _Cell(f"no fit: {pl['skipped']}", wrap=True)
        rows.append(
            [
                _name_cell(n.label, 32),
                _name_cell(n.group, 24),
                pl.get("alpha"),
                pl.get("xmin"),
                pl.get("loglikelihood_ratio"),
                pl.get("p_value"),
                result,
            ]
        )
    parts.append(_table(["network", "group", "α", "xmin", "R (power law vs lognormal)", "p", "preferred"], rows))
    parts.append(_explain("power law"))
    return parts


def _html(report, figs):
    esc = html.escape
    prov = report.provenance
    by_section = {}
    for f in figs:
        by_section.setdefault(f.section, []).append(f)
    sections = [("networks", "Networks"), ("similarity", "Similarity")]
    sections += [("matrices", "Similarity matrices")] if report.comparisons else []
    sections += [("degrees", "Degrees"), ("input-connectivity", "Input connectivity"), ("driver-nodes", "Driver nodes")]
    sections += [("training", "Training")] if "training" in by_section else []
    sections += [("common-subnetwork", "Common subnetwork")] if "common" in by_section else []
    parts = [
        "<!DOCTYPE html><html><head><meta charset='utf-8'><title>netgraph similarity report</title>",
        f"<style>{_CSS}</style></head><body>",
        "<h1>netgraph similarity report</h1>",
        f"<p>netgraph {esc(str(prov.get('netgraph_version')))}, created {esc(str(prov.get('created')))}; "
        "every number is in <code>report.json</code>.</p>",
        "<nav>" + "".join(f"<a href='#{key}'>{esc(name)}</a>" for key, name in sections) + "</nav>",
    ]
    for note in report.notes:
        parts.append(f"<p class='note'>{esc(note)}</p>")
    if report.duplicates:
        folder = _common_folder([d[k] for d in report.duplicates for k in ("source", "duplicate_of_source")])
        rows = [
            [
                _name_cell(d["label"]),
                _name_cell(d["group"]),
                _file_cell(d["source"], folder),
                _name_cell(d["duplicate_of"]),
                _file_cell(d["duplicate_of_source"], folder),
            ]
            for d in report.duplicates
        ]
        parts.append("<h2 id='duplicates'>Duplicates (left out)</h2>")
        if folder is not None:
            parts.append(f"<p class='where'>Files in <code>{esc(folder)}</code>.</p>")
        parts.append(_table(["left out", "group", "file", "repeats", "its file"], rows))
        parts.append(
            "<p class='explain'>Each of these networks has the same edges, weights and biases as the one it repeats; "
            "it is not analysed or compared, so that a copy cannot count as a pair of Jaccard 1.</p>"
        )
    if report.incomparable:
        rows = [[_arch(x["layer_sizes"]), _Cell(", ".join(x["labels"]), wrap=True)] for x in report.incomparable]
        parts.append("<h2 id='architectures'>Architectures (not comparable edge by edge across rows)</h2>")
        parts.append(_table(["layer sizes", "networks"], rows))

    parts.append("<h2 id='networks'>Networks</h2>")
    folder = _common_folder([n.source for n in report.networks])
    if folder is not None:
        parts.append(f"<p class='where'>Files in <code>{esc(folder)}</code> (hover over a file for its full path).</p>")
    rows = []
    for n in report.networks:
        s, d = n.summary, n.drivers
        rows.append(
            [
                _name_cell(n.label, 32),
                _name_cell(n.group, 24),
                n.meta.get("seed"),
                n.meta.get("epoch"),
                _arch(s.layer_sizes),
                s.total_connections,
                s.total_density,
                d.count,
                d.bound,
                d.shortfall,
                _accuracy(n),
                _file_cell(n.source, folder),
            ]
        )
    header = ["label", "group", "seed", "epoch", "layers", "connections", "density", "N_D", "bound", "shortfall"]
    parts.append(_table([*header, "test acc.", "file"], rows))
    parts.append(_explain("N_D", "bound", "shortfall"))

    parts.append("<h2 id='similarity'>Similarity</h2>")
    if report.comparisons:
        rows = []
        for c in report.comparisons:
            s = c.summary  # the group means, as summarize_group states them
            rows.append(
                [
                    _name_cell(c.name),
                    len(c.labels),
                    s.edge["overall"],
                    s.edge_chance["overall"],
                    None if c.aligned is None else s.aligned["overall"],
                    None if c.aligned is None else s.aligned_null["overall"],
                    None if c.nnstd is None else s.nnstd["overall"],
                    None if c.nnstd is None else s.nnstd_null["overall"],
                    c.node.mean,
                    c.node.mean_chance,
                    s.common_edges["1.0"],
                ]
            )
        header = ["group", "networks", "edge J", "chance", "aligned J", "aligned chance", "NNSTD", "NNSTD random"]
        parts.append(_table([*header, "node J", "node chance", "edges in all"], rows))
        keys = ["edge J", "chance"]
        if any(c.aligned is not None for c in report.comparisons):
            keys += ["aligned J", "aligned chance", "NNSTD", "NNSTD random"]
        parts.append(_explain(*keys, "node J", "edges in all"))
        parts.extend(_pair_kind_section(report))

        parts.append("<h2 id='matrices'>Similarity matrices</h2>")
        keys = ["heatmap"] + (["heatmap nnstd"] if any(c.nnstd is not None for c in report.comparisons) else [])
        parts.append(_explain(*keys, "block"))
        matrices = by_section.get("matrices", [])
        for position, c in enumerate(report.comparisons):
            parts.append(f"<section class='comparison' id='comparison-{position}'>")
            parts.append(f"<h3 title='{esc(c.name)}'>{esc(_short(c.name, 80))}</h3>")
            parts.append(_figure_row([f for f in matrices if f.comparison == position]))
            per_layer = [[f"{l} → {l + 1}", m.mean, m.mean_chance] for l, m in enumerate(c.edge_by_layer)]
            parts.append("<p class='where'>Raw edge Jaccard per block:</p>")
            parts.append(_table(["block", "edge J", "chance"], per_layer))
            parts.append(_kinds_pointer(c) or "")
            parts.append("</section>")
    else:
        parts.append("<p class='where'>Nothing to compare.</p>")

    parts.append("<h2 id='degrees'>Degrees</h2>")
    parts.append(_figure_row(by_section.get("degrees", [])))
    parts.append(_explain("degrees", "styles"))
    parts.extend(_power_law_section(report))
    parts.append("<h2 id='input-connectivity'>Input connectivity</h2>")
    parts.append(_figure_row(by_section.get("input", [])))
    parts.append(_explain("input"))
    parts.append("<h2 id='driver-nodes'>Driver nodes</h2>")
    parts.append(_figure_row(by_section.get("drivers", [])))
    parts.append(_explain("drivers"))
    if "training" in by_section:
        parts.append("<h2 id='training'>Training</h2>")
        parts.append(_figure_row(by_section["training"]))
        parts.append(_explain("training"))
    if "common" in by_section:
        parts.append("<h2 id='common-subnetwork'>Common subnetwork</h2>")
        parts.append(_figure_row(by_section["common"]))
        parts.append(_explain("common"))
    parts.append("</body></html>")
    return "\n".join(parts)


def _old_figures(out):
    """The PNG files the report already in ``out`` lists in its ``report.json`` (its "figures"), if any.

    Only plain file names ending in ``.png`` count; a missing or unreadable ``report.json``
    lists none.
    """
    try:
        data = json.loads((out / "report.json").read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):
        return []
    figures = data.get("figures") if isinstance(data, dict) else None
    names = [f.get("file") for f in figures if isinstance(f, dict)] if isinstance(figures, list) else []
    return [
        name
        for name in names
        if isinstance(name, str)
        and name.endswith(".png")
        and name == os.path.basename(name)
        and name not in ("..", ".")
    ]


def write_report(report, out_dir):
    """Write ``report.json``, the PNG figures and a self-contained ``report.html`` into ``out_dir``, all at once.

    The files are written as one group (:func:`netgraph.fileio.atomic_files`): every one is
    staged as a temporary first and then all are renamed into place together, so an
    interruption or a full disk leaves the folder as it was (the old report, whole) and never a
    new ``report.json`` beside an old ``report.html``. Figures of a report written there before
    that the new one no longer has (the PNG files its ``report.json`` lists) are removed; no
    other file of ``out_dir`` is touched. ``out_dir`` is created when missing.

    Parameters
    ----------
    report : SimilarityReport
    out_dir : str or Path

    Returns
    -------
    dict
        ``{"json": Path, "html": Path, "figures": [Path, ...]}``.

    Raises
    ------
    ParameterError
        If ``report`` is not a :class:`SimilarityReport`.
    OutputError, OSError
        If ``out_dir`` or a file in it cannot be written (nothing is replaced then).
    """
    if not isinstance(report, SimilarityReport):
        raise ParameterError(f"report is a {type(report).__name__}, expected a SimilarityReport")
    out = Path(out_dir)
    data = report.to_dict()
    figs = _figures(report)
    data["figures"] = [{"file": f.name, "title": f.title} for f in figs]
    page = _html(report, figs).encode("utf-8", "backslashreplace")  # a name from a non-UTF-8 path cannot fail it
    text = json.dumps(data, indent=1, allow_nan=False)  # ASCII: every character escaped
    with atomic_files(out) as group:
        old = _old_figures(out)
        for f in figs:
            group.write(f.name, f.png)
        group.write("report.json", text, mode="w", encoding="utf-8")
        group.write("report.html", page)  # last: whoever opens the page finds its figures
        for name in old:
            if name not in {f.name for f in figs}:
                group.remove(name)
    return {"json": out / "report.json", "html": out / "report.html", "figures": [out / f.name for f in figs]}
