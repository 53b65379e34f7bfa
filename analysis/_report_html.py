"""The HTML page of a similarity report, rendered from its results (private).

:func:`page` renders a :class:`~analysis.SimilarityReport` and its figures
(:mod:`analysis._report_figures`) as one self-contained page: tables of the networks, the
similarities and the kinds of pair, the matrices and figures (PNG embedded), each followed by
what its measures mean (the prose of :mod:`analysis._measures`).
"""

import base64
import html
import math
import numbers
import os
from dataclasses import dataclass

from ._blocks import arch_name
from ._measures import EXPLAIN, START_RULES

__all__ = ["page"]


def page(report, figs):
    """The self-contained HTML page of ``report``, its figures ``figs`` (:func:`~analysis._report_figures.figures`) embedded.

    Parameters
    ----------
    report : SimilarityReport
    figs : list of Figure

    Returns
    -------
    str
    """
    by_section = {}
    for f in figs:
        by_section.setdefault(f.section, []).append(f)
    parts = _head(report, by_section)
    parts += _notes(report)
    parts += _networks_section(report)
    parts += _similarity_section(report, by_section.get("matrices", []))
    parts += _figure_sections(report, by_section)
    parts.append("</body></html>")
    return "\n".join(parts)


def _head(report, by_section):
    """The page's head, title, provenance line and navigation (HTML parts)."""
    esc = html.escape
    prov = report.provenance
    sections = [("networks", "Networks"), ("similarity", "Similarity")]
    sections += [("matrices", "Similarity matrices")] if report.comparisons else []
    sections += [("degrees", "Degrees"), ("input-connectivity", "Input connectivity"), ("driver-nodes", "Driver nodes")]
    sections += [("training", "Training")] if "training" in by_section else []
    sections += [("common-subnetwork", "Common subnetwork")] if "common" in by_section else []
    return [
        "<!DOCTYPE html><html><head><meta charset='utf-8'><title>netgraph similarity report</title>",
        f"<style>{_CSS}</style></head><body>",
        "<h1>netgraph similarity report</h1>",
        f"<p>netgraph {esc(str(prov.get('netgraph_version')))}, created {esc(str(prov.get('created')))}; "
        "every number is in <code>report.json</code>.</p>",
        "<nav>" + "".join(f"<a href='#{key}'>{esc(name)}</a>" for key, name in sections) + "</nav>",
    ]


def _notes(report):
    """The notes, the duplicates left out and the architectures that cannot be compared (HTML parts)."""
    esc = html.escape
    parts = [f"<p class='note'>{esc(note)}</p>" for note in report.notes]
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
        rows = [[arch_name(x["layer_sizes"]), _Cell(", ".join(x["labels"]), wrap=True)] for x in report.incomparable]
        parts.append("<h2 id='architectures'>Architectures (not comparable edge by edge across rows)</h2>")
        parts.append(_table(["layer sizes", "networks"], rows))
    return parts


def _networks_section(report):
    """The table of the networks (HTML parts)."""
    parts = ["<h2 id='networks'>Networks</h2>"]
    folder = _common_folder([n.source for n in report.networks])
    if folder is not None:
        parts.append(
            f"<p class='where'>Files in <code>{html.escape(folder)}</code> (hover over a file for its full path).</p>"
        )
    rows = []
    for n in report.networks:
        s, d = n.summary, n.drivers
        rows.append(
            [
                _name_cell(n.label, 32),
                _name_cell(n.group, 24),
                n.meta.get("seed"),
                n.meta.get("epoch"),
                arch_name(s.layer_sizes),
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
    return parts


def _similarity_section(report, matrices):
    """The similarity table, the kinds of pair and every comparison's matrices (HTML parts)."""
    parts = ["<h2 id='similarity'>Similarity</h2>"]
    if not report.comparisons:
        parts.append("<p class='where'>Nothing to compare.</p>")
        return parts
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
    parts += _matrices_section(report, matrices)
    return parts


def _matrices_section(report, matrices):
    """The matrices of every comparison with its per-block Jaccard (HTML parts)."""
    esc = html.escape
    parts = ["<h2 id='matrices'>Similarity matrices</h2>"]
    keys = ["heatmap"] + (["heatmap nnstd"] if any(c.nnstd is not None for c in report.comparisons) else [])
    parts.append(_explain(*keys, "block"))
    for position, c in enumerate(report.comparisons):
        parts.append(f"<section class='comparison' id='comparison-{position}'>")
        parts.append(f"<h3 title='{esc(c.name)}'>{esc(_short(c.name, 80))}</h3>")
        parts.append(_figure_row([f for f in matrices if f.comparison == position]))
        per_layer = [[f"{l} → {l + 1}", m.mean, m.mean_chance] for l, m in enumerate(c.edge_by_layer)]
        parts.append("<p class='where'>Raw edge Jaccard per block:</p>")
        parts.append(_table(["block", "edge J", "chance"], per_layer))
        parts.append(_kinds_pointer(c) or "")
        parts.append("</section>")
    return parts


def _figure_sections(report, by_section):
    """The sections of figures: degrees (and power-law fits), input connectivity, driver nodes, training, common."""
    parts = ["<h2 id='degrees'>Degrees</h2>"]
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
    return parts


def _explain(*keys, extra=()):
    """The "what this means" line for ``keys`` of ``EXPLAIN``, plus ``extra`` sentences (HTML)."""
    items = [f"<b>{html.escape(EXPLAIN[k][0])}</b>: {html.escape(EXPLAIN[k][1])}" for k in keys]
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
    items += [f"<b>{html.escape(r)}</b>: {html.escape(START_RULES[r])}." for r in START_RULES if r in rules]
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
