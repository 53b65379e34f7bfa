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

:func:`build_report` only computes: its :class:`SimilarityReport` holds every result, and
:func:`write_report` renders the figures from it (:mod:`analysis._report_figures`, drawn by
:mod:`analysis.plotting`) and the page (:mod:`analysis._report_html`, whose explanations are the
prose table of :mod:`analysis._measures`). The comparisons are computed as
:func:`~analysis.summarize_group` computes a group (:mod:`analysis._group`), once each.

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

# build_report is about 150 lines, 100 of them its docstring (the parameters, the kinds of pair, the
# duplicates and examples, where help() shows them); its code is about 50 lines, its steps the functions after it.

import datetime
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from netgraph import __version__
from netgraph.errors import ParameterError
from netgraph.fileio import jsonable, load_json, note_input
from netgraph.validation import check_rng

from ._blocks import arch_name
from ._duplicates import duplicates_note, find_duplicates
from ._group import NetworkStats, compute_group, measure_group
from ._pair_kinds import pair_kinds
from ._pairs import check_pair_map
from ._report_figures import figures, write_report_files
from ._report_html import page
from ._report_inputs import check_report_args, default_group, default_labels, metrics_problem
from ._results import concise_repr
from ._results import provenance as _provenance
from ._structure import graph_meta, structure
from .controllability import driver_nodes
from .degrees import compare_power_law, degree_distribution, input_connectivity, layer_summary
from .similarity import ALIGN_SECONDS_PER_UNIT, alignment_cost

__all__ = ["SimilarityReport", "build_report", "write_report", "load_metrics"]


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
    alignment. ``pair_kinds`` (see :func:`analysis._pair_kinds.pair_kinds`) is None when no pair could be
    classified.
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
    problem = metrics_problem(data)
    if problem is not None:
        raise ParameterError(f"{path}: {problem}")
    return data


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


#: Estimated seconds above which the start of an alignment says how long it will take.
ANNOUNCE_SECONDS = 60


def _measure(graphs, networks, *, aligned, say, pair_map=None):
    """The measures of networks of one architecture: matrices, every pair aligned once, per-network statistics.

    ``networks`` are their :class:`NetworkAnalysis`; the pairs (:func:`~analysis.aligned_jaccard`
    and :func:`~analysis.nnstd` of each, one task per pair) run through ``pair_map`` in one call;
    the comparisons and their summaries take their parts of these measures.
    """
    if aligned and len(graphs) > 1:
        n_pairs = len(graphs) * (len(graphs) - 1) // 2
        say(f"aligning {n_pairs} pairs of networks{_alignment_note(structure(graphs[0]).layered.sizes, n_pairs)}")
    stats = [NetworkStats(net.summary, net.drivers, net.degrees_out[0].degrees) for net in networks]
    labels = [net.label for net in networks]
    return measure_group(graphs, labels=labels, aligned=aligned, pair_map=pair_map, node=True, networks=stats)


def _compare(name, measures, ids, networks, rng, pair_map=None):
    """The comparison of the networks at positions ``ids`` of an architecture's ``measures``, with its summary.

    ``networks`` (:class:`NetworkAnalysis`) are those of ``measures``. The comparison takes its
    part of the measures (matrices, aligned pairs and their NNSTD, per-network statistics) and
    draws the random networks of its baselines from ``rng`` (aligned through ``pair_map``).
    """
    part = measures.subset(ids)
    aligned = part.aligned is not None
    comp = compute_group(list(part.graphs), method=name, aligned=aligned, rng=rng, pair_map=pair_map, measures=part)
    groups = tuple(networks[i].group for i in ids)
    metas = [networks[i].meta for i in ids]
    return Comparison(
        name=name,
        labels=part.labels,
        groups=groups,
        layer_sizes=comp.structs[0].layered.sizes,
        edge=part.edge,
        node=part.node,
        aligned=comp.aligned_matrix,
        edge_by_layer=part.edge_by_layer,
        curve=comp.curve,
        summary=comp.summary,
        nnstd=comp.nnstd_matrix,
        pair_kinds=pair_kinds(part.labels, groups, metas, part.edge, comp.aligned_matrix, comp.nnstd_matrix),
    )


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
    groups, labels = check_report_args(graphs, groups, labels, sources, metrics)
    check_pair_map(pair_map)
    given_groups = groups
    graphs, labels, groups, sources, metrics, duplicates = _kept_inputs(graphs, groups, labels, sources, metrics)
    metrics, metric_notes = _metrics_of(metrics, labels, sources)
    say = progress or (lambda message: None)
    # an int (or SeedSequence) seeds every comparison alike, as summarize_group(..., rng=rng) would;
    # None or a Generator is one stream, drawn from comparison after comparison
    seed = check_rng(rng) if rng is None or isinstance(rng, np.random.Generator) else rng
    have_powerlaw = power_law and _powerlaw_installed()
    networks = []
    for i, G in enumerate(graphs):
        say(f"analysing {labels[i]}")
        networks.append(_analyze_network(G, labels[i], groups[i], sources[i], metrics[i], power_law=have_powerlaw))

    archs = {}  # architecture classes, in order of first appearance
    for i, net in enumerate(networks):
        archs.setdefault(net.summary.layer_sizes, []).append(i)
    notes = [duplicates_note(duplicates)] if duplicates else []
    notes += _notes(networks, archs, power_law=power_law, have_powerlaw=have_powerlaw)
    notes.extend(metric_notes)
    incomparable = []
    if len(archs) > 1:
        incomparable = [
            {"layer_sizes": list(sizes), "labels": [labels[i] for i in ids]} for sizes, ids in archs.items()
        ]
    comparisons = _comparisons(
        graphs, networks, archs, across="all methods" if given_groups is None else "all groups", aligned=aligned,
        say=say, rng=seed, pair_map=pair_map,
    )  # fmt: skip
    if not comparisons:
        what = "method" if given_groups is None else "group"
        notes.append(f"No two networks share a {what} and an architecture: there is nothing to compare.")
    parameters = {"groups": given_groups, "aligned": bool(aligned), "power_law": bool(power_law), "rng": rng}
    return SimilarityReport(
        networks=tuple(networks),
        comparisons=tuple(comparisons),
        incomparable=tuple(incomparable),
        notes=tuple(notes),
        provenance=_report_provenance(networks, sources, parameters),
        duplicates=tuple(duplicates),
    )


def _kept_inputs(graphs, groups, labels, sources, metrics):
    """The inputs of :func:`build_report` completed (labels, groups, sources) and without the duplicates.

    Returns ``(graphs, labels, groups, sources, metrics, duplicates)``: lists, ``metrics`` None
    when not given, ``duplicates`` as :attr:`SimilarityReport.duplicates`.
    """
    k = len(graphs)
    sources = [None if s is None else str(s) for s in sources] if sources is not None else [None] * k
    labels = labels or default_labels(graphs, sources)
    groups = [default_group(G) if g is None else g for G, g in zip(graphs, groups or [None] * k)]
    duplicates, kept = find_duplicates(graphs, labels, groups, sources)
    if duplicates:  # left out entirely: not analysed, not compared, named in report.duplicates
        graphs, labels, groups, sources = ([x[i] for i in kept] for x in (graphs, labels, groups, sources))
        metrics = None if metrics is None else [metrics[i] for i in kept]
    return list(graphs), labels, groups, sources, metrics, duplicates


def _metrics_of(metrics, labels, sources):
    """``(metrics, notes)``: the given metrics, else each network's ``metrics.json`` (a rejected file: a note)."""
    if metrics is not None:
        return metrics, []
    metrics, notes = [], []
    for label, source in zip(labels, sources):
        try:
            metrics.append(load_metrics(source) if source is not None else None)
        except ParameterError as exc:
            metrics.append(None)
            notes.append(f"Training curves of {label} skipped, its metrics file is ignored: {exc}")
    return metrics, notes


def _powerlaw_installed():
    """Whether the optional package ``powerlaw`` can be imported."""
    try:
        import powerlaw  # noqa: F401
    except ImportError:
        return False
    return True


def _notes(networks, archs, *, power_law, have_powerlaw):
    """The notes on incomparable architectures, a missing ``powerlaw`` and networks without a power-law fit."""
    notes = []
    if len(archs) > 1:
        labels = [net.label for net in networks]
        desc = "; ".join(f"{arch_name(s)}: {', '.join(labels[i] for i in ids)}" for s, ids in archs.items())
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
        notes.append(f"No power-law fit for {sum(map(len, no_fit.values()))} of {len(networks)} networks: {why}.")
    return notes


def _comparisons(graphs, networks, archs, *, across, aligned, say, rng, pair_map):
    """Every comparison: per group and architecture, then across the groups of each architecture.

    The networks of an architecture are measured once (:func:`_measure`); each comparison takes
    its part of those measures (:func:`_compare`).
    """
    full = {}
    for sizes, ids in archs.items():
        if len(ids) < 2:
            continue
        say(f"comparing {len(ids)} networks of {arch_name(sizes)}")
        members = [networks[i] for i in ids]
        measured = _measure([graphs[i] for i in ids], members, aligned=aligned, say=say, pair_map=pair_map)
        full[sizes] = (ids, measured)

    def compare(name, sizes, sub):
        """The comparison of the networks ``sub`` (ids) of architecture ``sizes``."""
        members, measures = full[sizes]
        say(f"summarising {name} ({len(sub)} networks)")
        nets = [networks[i] for i in members]
        return _compare(name, measures, [members.index(i) for i in sub], nets, rng, pair_map)

    by_group = {}
    for i, net in enumerate(networks):
        by_group.setdefault(net.group, []).append(i)
    comparisons = []
    for group, ids in by_group.items():
        by_arch = {}
        for i in ids:
            by_arch.setdefault(networks[i].summary.layer_sizes, []).append(i)
        for sizes, sub in by_arch.items():
            if len(sub) < 2:
                continue
            comparisons.append(compare(group if len(by_arch) == 1 else f"{group} ({arch_name(sizes)})", sizes, sub))
    for sizes, ids in archs.items():
        if len({networks[i].group for i in ids}) < 2:
            continue
        comparisons.append(compare(across if len(archs) == 1 else f"{across} ({arch_name(sizes)})", sizes, ids))
    return comparisons


def _report_provenance(networks, sources, parameters):
    """The provenance of a report: version, time, parameters and, per network, file, label, group, seed, method."""
    rng = parameters["rng"]
    return {
        "netgraph_version": __version__,
        "created": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "function": "analysis.build_report",
        "parameters": {**parameters, "rng": rng if isinstance(rng, (int, type(None))) else repr(rng)},
        "files": sources,
        "labels": [net.label for net in networks],
        "groups": [net.group for net in networks],
        "seeds": [net.meta.get("seed") for net in networks],
        "methods": [net.meta.get("method") for net in networks],
    }


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
    figs = figures(report)
    return write_report_files(Path(out_dir), report.to_dict(), figs, page(report, figs))
