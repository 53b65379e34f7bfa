"""Similarity reports over several trained networks: numbers, figures, HTML.

:func:`build_report` analyses a list of layered graphs (usually checkpoints of several seeds
and methods): per network its layer summary, degree distributions, input connectivity map,
driver nodes against the width bound and, when a ``metrics.json`` sits beside its checkpoint,
the training curves; per group of networks (one group per ``meta["method"]``) the raw, node and
aligned Jaccard matrices with chance levels and the common-subnetwork size against
``min_share``. Networks of different architectures are never compared edge by edge: the report
lists which cannot be.

:func:`write_report` writes ``report.json`` (every number, with provenance), the PNG figures
and ``report.html``, a single self-contained page (figures embedded) that opens offline.

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
import html
import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import networkx as nx
import numpy as np

from netgraph._io import atomic_write
from netgraph._validation import check_random_state
from netgraph._version import __version__
from netgraph.errors import ParameterError

from . import plotting
from ._arrays import structure
from ._results import jsonable
from .controllability import driver_nodes
from .degrees import compare_power_law, degree_distribution, input_connectivity, layer_summary
from ._results import frozen_array
from .similarity import SimilarityMatrix, common_subnetwork_curve, similarity_matrix

__all__ = ["SimilarityReport", "build_report", "write_report", "load_metrics"]

_NO_METHOD = "(no method)"


@dataclass(frozen=True, eq=False)
class NetworkAnalysis:
    """Everything the report computes about one network."""

    label: str
    source: str | None
    meta: dict
    summary: object
    drivers: object
    degrees_in: tuple
    degrees_out: tuple
    input_image: np.ndarray
    metrics: dict | None
    power_law: dict | None

    @property
    def method(self):
        return self.meta.get("method") or _NO_METHOD

    def to_dict(self):
        return jsonable(
            {
                "label": self.label,
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
    """Similarity of a group of networks of one architecture."""

    name: str
    labels: tuple
    layer_sizes: tuple
    edge: object
    node: object
    aligned: object
    edge_by_layer: tuple
    curve: object

    def to_dict(self):
        return jsonable(
            {
                "name": self.name,
                "labels": list(self.labels),
                "layer_sizes": self.layer_sizes,
                "edge": self.edge.to_dict(),
                "node": self.node.to_dict(),
                "aligned": None if self.aligned is None else self.aligned.to_dict(),
                "edge_by_layer": [m.to_dict() for m in self.edge_by_layer],
                "common_subnetwork": self.curve.to_dict(),
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
        One per method group (and architecture) with at least two networks, plus one across
        methods per architecture when there are several methods.
    incomparable : tuple of dict
        When the networks have several architectures: ``{"layer_sizes", "labels"}`` per
        architecture; networks of different entries cannot be compared edge by edge.
    notes : tuple of str
        Human-readable remarks (incomparable architectures, missing optional packages).
    provenance : dict
    """

    networks: tuple
    comparisons: tuple
    incomparable: tuple
    notes: tuple
    provenance: dict = field(default_factory=dict)

    def to_dict(self):
        """JSON-safe dict of every number in the report."""
        return jsonable(
            {
                "provenance": self.provenance,
                "notes": list(self.notes),
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
        ``{"seed", "method", "epochs": [row, ...]}``; None when there is no such file.

    Raises
    ------
    ParameterError
        If the file exists but is not valid JSON with an ``"epochs"`` list.

    Examples
    --------
    >>> load_metrics("/nonexistent/final.pt") is None
    True
    """
    path = Path(path)
    if path.name != "metrics.json":
        path = path.parent / "metrics.json"
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise ParameterError(f"{path}: cannot be read as metrics JSON ({exc})") from None
    if not isinstance(data, dict) or not isinstance(data.get("epochs"), list):
        raise ParameterError(f"{path}: expected a JSON object with an 'epochs' list")
    return data


def _default_labels(graphs, sources):
    labels = []
    for k, G in enumerate(graphs):
        meta = G.graph.get("meta") or {}
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


def _check_report_args(graphs, labels, sources, metrics):
    if isinstance(graphs, nx.Graph) or not isinstance(graphs, Sequence) or not graphs:
        raise ParameterError(f"graphs={graphs!r}: expected a non-empty sequence of networkx.DiGraph")
    k = len(graphs)
    for name, value in (("labels", labels), ("sources", sources), ("metrics", metrics)):
        if value is not None and len(value) != k:
            raise ParameterError(f"{name} has {len(value)} entries, expected {k} (one per graph)")
    for i, G in enumerate(graphs):
        structure(G, name=f"graphs[{i}]").require_layered(name=f"graphs[{i}]")
    if labels is not None:
        labels = [str(x) for x in labels]
        if len(set(labels)) != k:
            raise ParameterError(f"labels={labels!r}: labels must be unique")
    return labels


def _analyse_network(G, label, source, metrics, *, power_law):
    summary = layer_summary(G)
    n_layers = len(summary.layer_sizes)
    meta = dict(G.graph.get("meta") or {})
    pl = None
    if power_law:
        hidden = degree_distribution(G, direction="total")
        pl = compare_power_law(hidden)
    return NetworkAnalysis(
        label=label,
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


def _matrices(graphs, labels, *, aligned, say, rng=None):
    """Edge, node, aligned and per-block edge matrices of graphs of one architecture."""
    n_blocks = len(structure(graphs[0]).layered.sizes) - 1
    out = {
        "edge": similarity_matrix(graphs, kind="edge", labels=labels),
        "node": similarity_matrix(graphs, kind="node", labels=labels),
        "layers": tuple(similarity_matrix(graphs, kind="edge", labels=labels, layer=l) for l in range(n_blocks)),
    }
    if aligned and len(graphs) > 1:
        say(f"aligning {len(graphs) * (len(graphs) - 1) // 2} pairs of networks")
        out["aligned"] = similarity_matrix(graphs, kind="aligned", labels=labels, rng=rng)
    else:
        out["aligned"] = None
    return out


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


def _compare(name, graphs, full, ids):
    """The comparison of ``graphs`` (positions ``ids`` within the matrices ``full``)."""
    sub = [graphs[i] for i in ids]
    return Comparison(
        name=name,
        labels=tuple(full["edge"].labels[i] for i in ids),
        layer_sizes=structure(sub[0]).layered.sizes,
        edge=_sub(full["edge"], ids),
        node=_sub(full["node"], ids),
        aligned=_sub(full["aligned"], ids),
        edge_by_layer=tuple(_sub(m, ids) for m in full["layers"]),
        curve=common_subnetwork_curve(sub, labels=[full["edge"].labels[i] for i in ids]),
    )


def _arch(sizes):
    return "-".join(str(s) for s in sizes)


def build_report(graphs, *, labels=None, sources=None, metrics=None, aligned=True, power_law=True, progress=None, rng=None):
    """Analyse several layered networks and compare them within and across methods.

    Parameters
    ----------
    graphs : sequence of networkx.DiGraph
        Layered graphs, e.g. from :func:`netgraph.to_graph`; ``G.graph["meta"]`` (seed, method,
        epoch, params, ...) is reported when present and ``meta["method"]`` groups them.
    labels : sequence of str, optional
        Unique names; default ``"method/seed-S"`` from the metadata, else from ``sources``.
    sources : sequence of str, optional
        The checkpoint file of each graph (for provenance and to find ``metrics.json``).
    metrics : sequence of dict or None, optional
        Training metrics per graph; default: read ``metrics.json`` beside each source.
    aligned : bool, optional
        Compute aligned Jaccard matrices (the slowest part).
    power_law : bool, optional
        Compare power-law and lognormal fits of the degrees when ``powerlaw`` is installed.
    progress : callable, optional
        Called with a short message before each step.
    rng : None, int or numpy.random.Generator, optional
        Randomness of the aligned chance level (random networks aligned like the real ones);
        an int is recorded in the provenance.

    Returns
    -------
    SimilarityReport

    Raises
    ------
    ParameterError
        If the arguments do not line up.
    GraphContractError
        If a graph is not layered.
    """
    labels = _check_report_args(graphs, labels, sources, metrics)
    k = len(graphs)
    sources = [None if s is None else str(s) for s in sources] if sources is not None else [None] * k
    labels = labels or _default_labels(graphs, sources)
    if metrics is None:
        metrics = [load_metrics(s) if s is not None else None for s in sources]
    say = progress or (lambda message: None)
    gen = check_random_state(rng)
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
        networks.append(_analyse_network(G, labels[i], sources[i], metrics[i], power_law=have_powerlaw))

    # architecture classes and method groups, in order of first appearance
    archs = {}
    for i, net in enumerate(networks):
        archs.setdefault(net.summary.layer_sizes, []).append(i)
    methods = {}
    for i, net in enumerate(networks):
        methods.setdefault(net.method, []).append(i)

    notes = []
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

    # one set of matrices per architecture; method groups are sub-matrices of it
    comparisons = []
    full = {}
    for sizes, ids in archs.items():
        if len(ids) < 2:
            continue
        say(f"comparing {len(ids)} networks of {_arch(sizes)}")
        full[sizes] = (
            ids,
            _matrices([graphs[i] for i in ids], [labels[i] for i in ids], aligned=aligned, say=say, rng=gen),
        )
    for method, ids in methods.items():
        by_arch = {}
        for i in ids:
            by_arch.setdefault(networks[i].summary.layer_sizes, []).append(i)
        for sizes, sub in by_arch.items():
            if len(sub) < 2:
                continue
            name = method if len(by_arch) == 1 else f"{method} ({_arch(sizes)})"
            members, mats = full[sizes]
            comparisons.append(_compare(name, [graphs[i] for i in members], mats, [members.index(i) for i in sub]))
    for sizes, ids in archs.items():
        if len({networks[i].method for i in ids}) < 2:
            continue
        name = "all methods" if len(archs) == 1 else f"all methods ({_arch(sizes)})"
        members, mats = full[sizes]
        comparisons.append(_compare(name, [graphs[i] for i in members], mats, list(range(len(members)))))
    if not comparisons:
        notes.append("No two networks share a method and an architecture: there is nothing to compare.")

    provenance = {
        "netgraph_version": __version__,
        "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "function": "analysis.build_report",
        "parameters": {
            "aligned": bool(aligned),
            "power_law": bool(power_law),
            "rng": rng if isinstance(rng, (int, type(None))) else repr(rng),
        },
        "files": sources,
        "labels": list(labels),
        "seeds": [net.meta.get("seed") for net in networks],
        "methods": [net.meta.get("method") for net in networks],
    }
    return SimilarityReport(
        networks=tuple(networks),
        comparisons=tuple(comparisons),
        incomparable=tuple(incomparable),
        notes=tuple(notes),
        provenance=provenance,
    )


# --------------------------------------------------------------------------- writing


def _slug(text):
    slug = re.sub(r"[^a-z0-9]+", "-", str(text).lower()).strip("-")
    return slug or "group"


def _figures(report):
    """Render every figure: list of (file name, title, png bytes)."""
    figs = []
    nets = report.networks
    labels = [n.label for n in nets]
    used = set()

    def name_for(stem):
        name, n = stem, 1
        while name in used:
            n += 1
            name = f"{stem}-{n}"
        used.add(name)
        return f"{name}.png"

    for comp in report.comparisons:
        slug = _slug(comp.name)
        for kind in ("edge", "aligned"):
            m = getattr(comp, kind)
            if m is None:
                continue
            ax = plotting.plot_similarity_matrix(m)
            title = f"{comp.name}: {'raw edge' if kind == 'edge' else 'aligned (NNSTD)'} Jaccard"
            figs.append((name_for(f"jaccard-{kind}-{slug}"), title, plotting.png_bytes(ax)))

    archs = {}
    for net in nets:
        archs.setdefault(net.summary.layer_sizes, []).append(net)
    for sizes, group in archs.items():
        suffix = "" if len(archs) == 1 else f"-{_arch(sizes)}"
        n_layers = len(sizes)
        axes = plotting.subplots(n_layers)
        for l, ax in enumerate(axes):
            dists = [net.degrees_out[l] if l == 0 else net.degrees_in[l] for net in group]
            plotting.plot_degree_distribution(
                dists, ax, labels=[n.label for n in group], title=f"layer {l} ({'out' if l == 0 else 'in'}-degree)"
            )
        figs.append((name_for(f"degrees{suffix}"), f"Degree distributions per layer {_arch(sizes)}", plotting.png_bytes(axes[0])))

        methods = {}
        for net in group:
            methods.setdefault(net.method, []).append(net)
        axes = plotting.subplots(len(methods), panel_size=(4.0, 3.5))
        for ax, (method, members) in zip(axes, methods.items()):
            mean = np.mean([m.input_image for m in members], axis=0)
            plotting.plot_input_connectivity(mean, ax, title=f"{method} (mean of {len(members)})")
        figs.append(
            (name_for(f"input-connectivity{suffix}"), f"Input connectivity {_arch(sizes)}", plotting.png_bytes(axes[0]))
        )

    ax = plotting.plot_driver_nodes([n.drivers for n in nets], labels=labels)
    figs.append((name_for("driver-nodes"), "Driver nodes against the width bound", plotting.png_bytes(ax)))

    with_metrics = [n for n in nets if n.metrics]
    if with_metrics:
        axes = plotting.subplots(2, panel_size=(5.0, 3.5))
        ml = [n.label for n in with_metrics]
        plotting.plot_training_curves([n.metrics for n in with_metrics], axes[0], key="test_accuracy", labels=ml)
        plotting.plot_training_curves([n.metrics for n in with_metrics], axes[1], key="total_connections", labels=ml)
        figs.append((name_for("training"), "Accuracy and connections over epochs", plotting.png_bytes(axes[0])))

    if report.comparisons:
        ax = plotting.plot_common_subnetwork(
            [c.curve for c in report.comparisons], labels=[c.name for c in report.comparisons]
        )
        figs.append((name_for("common-subnetwork"), "Common-subnetwork size against min_share", plotting.png_bytes(ax)))
    return figs


def _fmt(x, digits=4):
    if x is None:
        return "–"
    if isinstance(x, float):
        return "–" if not math.isfinite(x) else f"{x:.{digits}g}"
    return str(x)


def _table(header, rows):
    head = "".join(f"<th>{html.escape(str(h))}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(_fmt(c))}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


_CSS = """
body{font-family:system-ui,sans-serif;margin:2em;max-width:1200px;color:#222}
table{border-collapse:collapse;margin:1em 0;font-size:0.85em}
td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}
th{background:#f0f0f0}
.note{background:#fff4d6;border-left:4px solid #e0a800;padding:0.5em 1em}
figure{display:inline-block;margin:0.5em}
figcaption{font-size:0.85em;color:#555}
img{max-width:100%}
"""


def _html(report, figs):
    esc = html.escape
    prov = report.provenance
    parts = [
        "<!DOCTYPE html><html><head><meta charset='utf-8'><title>netgraph similarity report</title>",
        f"<style>{_CSS}</style></head><body>",
        "<h1>netgraph similarity report</h1>",
        f"<p>netgraph {esc(str(prov.get('netgraph_version')))}, created {esc(str(prov.get('created')))}; "
        "every number is in <code>report.json</code>.</p>",
    ]
    for note in report.notes:
        parts.append(f"<p class='note'>{esc(note)}</p>")
    if report.incomparable:
        rows = [[_arch(x["layer_sizes"]), ", ".join(x["labels"])] for x in report.incomparable]
        parts.append("<h2>Architectures (not comparable edge by edge across rows)</h2>")
        parts.append(_table(["layer sizes", "networks"], rows))

    parts.append("<h2>Networks</h2>")
    rows = []
    for n in report.networks:
        acc = None
        if n.metrics and n.metrics.get("epochs"):
            acc = n.metrics["epochs"][-1].get("test_accuracy")
        elif isinstance(n.meta.get("metrics"), dict):
            acc = n.meta["metrics"].get("test_accuracy")
        s, d = n.summary, n.drivers
        rows.append(
            [
                n.label,
                n.meta.get("method"),
                n.meta.get("seed"),
                n.meta.get("epoch"),
                _arch(s.layer_sizes),
                s.total_connections,
                s.total_density,
                d.count,
                d.bound,
                d.shortfall,
                acc,
                n.source,
            ]
        )
    parts.append(
        _table(
            ["label", "method", "seed", "epoch", "layers", "connections", "density", "N_D", "bound", "shortfall",
             "test acc.", "file"],
            rows,
        )
    )
    if report.comparisons:
        parts.append("<h2>Similarity</h2>")
        rows = []
        for c in report.comparisons:
            rows.append(
                [
                    c.name,
                    len(c.labels),
                    c.edge.mean,
                    c.edge.mean_chance,
                    None if c.aligned is None else c.aligned.mean,
                    None if c.aligned is None else c.aligned.mean_chance,
                    c.node.mean,
                    c.node.mean_chance,
                    int(c.curve.edges[-1]),
                ]
            )
        parts.append(
            _table(
                ["group", "networks", "edge J", "chance", "aligned J", "aligned chance", "node J", "node chance", "edges in all"],
                rows,
            )
        )
        for c in report.comparisons:
            per_layer = [[f"{l} → {l + 1}", m.mean, m.mean_chance] for l, m in enumerate(c.edge_by_layer)]
            parts.append(f"<h3>{esc(c.name)}: raw edge Jaccard per layer</h3>")
            parts.append(_table(["block", "edge J", "chance"], per_layer))
    parts.append("<h2>Figures</h2>")
    for name, title, png in figs:
        data = base64.b64encode(png).decode("ascii")
        parts.append(
            f"<figure><img alt='{esc(title)}' src='data:image/png;base64,{data}'>"
            f"<figcaption>{esc(title)} ({esc(name)})</figcaption></figure>"
        )
    parts.append("</body></html>")
    return "\n".join(parts)


def write_report(report, out_dir):
    """Write ``report.json``, the PNG figures and a self-contained ``report.html`` into ``out_dir``.

    Every file is written atomically; ``out_dir`` is created when missing.

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
    """
    if not isinstance(report, SimilarityReport):
        raise ParameterError(f"report is a {type(report).__name__}, expected a SimilarityReport")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    data = report.to_dict()
    figs = _figures(report)
    data["figures"] = [{"file": name, "title": title} for name, title, _ in figs]
    paths = []
    for name, _, png in figs:
        with atomic_write(out / name) as f:
            f.write(png)
        paths.append(out / name)
    with atomic_write(out / "report.json", "w", encoding="utf-8") as f:
        json.dump(data, f, indent=1, allow_nan=False)
    with atomic_write(out / "report.html", "w", encoding="utf-8") as f:
        f.write(_html(report, figs))
    return {"json": out / "report.json", "html": out / "report.html", "figures": paths}
