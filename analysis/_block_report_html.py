"""The figures and the HTML page of a block report, rendered from its results (private).

:func:`block_figures` draws the figures of a :class:`~analysis.block_report.BlockReport` through
:mod:`analysis.plotting` (per pair its per-block values against chance, the degree distributions of
the networks); :func:`block_page` renders the report and those figures as one self-contained
page: what was compared, what each measure means (the prose table :data:`EXPLAIN`), the networks,
the similarity of every pair, the figures and, folded away, every block's numbers. Every name
from a file (labels, paths, module names of a checkpoint) is escaped.
"""

import html
import numbers
from collections import Counter

from . import plotting
from ._report_figures import Figure, _Namer, _slug
from ._report_html import _CSS, _Cell, _common_folder, _figure_row, _file_cell, _name_cell, _short
from ._report_html import _table as _plain_table

__all__ = ["EXPLAIN", "block_figures", "block_page"]

#: What each measure of a block report means: key -> (term, sentence), listed once near the top of the page.
EXPLAIN = {
    "block": (
        "block",
        "a weight layer (a convolution or a Linear layer; in a block view, one weight of the state_dict): the "
        "connections from the channels it reads to its output channels. Blocks are numbered in the order the "
        "network computes them (0 first); the tables at the end name the module of each.",
    ),
    "channel": (
        "channel connections",
        "input channel i and output channel j of a block are connected when the kernel slice W[j, i] (all k×k "
        "elements of a convolution) keeps at least one weight. The channel Jaccard of a block is "
        "|A ∩ B| / |A ∪ B| of the two networks' sets of connections: 1 = the same connections, 0 = none shared "
        "(1 where both are empty). Overall, all blocks are pooled. The identity edges of residual adds are the "
        "same in every network of an architecture and are not compared.",
    ),
    "kernel": (
        "kernel elements",
        "the same index over the single weights that survived pruning (a 3×3 convolution has nine per channel "
        "connection): finer than channel connections, and compared only where both networks kept their element "
        "masks.",
    ),
    "chance": (
        "chance",
        "the Jaccard index of random networks: per block, random sets of the same numbers of connections (or "
        "elements) among those the block allows (within its groups), n1·n2/P shared of n1 + n2 − n1·n2/P; overall, "
        "each block keeping its counts. Two networks share structure only as far as they beat it, and a dense "
        "block has a high chance level.",
    ),
    "aligned": (
        "aligned",
        "output channels can be permuted without changing what a network computes (the next blocks' inputs "
        "permuted alike), so the second network's channels are first matched to the first's, block by block "
        "(Hungarian method on the Jaccard distance of their incoming connections, each block's inputs relabelled by "
        "the matching of the block that writes them), then compared as channel connections. The input and output "
        "channels of the network keep their order. Where a residual add ties the channels of several blocks "
        "together each block is matched on its own, so the value is an upper bound of what one relabelling of the "
        "whole network would give.",
    ),
    "aligned chance": (
        "aligned chance",
        "the aligned Jaccard of pairs of random blocks with the same numbers of connections, matched the same way "
        "(n_random pairs per block, drawn from the report's rng): matching lifts random blocks above the raw chance "
        "level, so aligned values are read against this one.",
    ),
    "NNSTD": (
        "NNSTD",
        "the Neural Network Sparse Topology Distance of Liu et al. (2020), block by block: each output channel of "
        "the second network is paired with one of the first at the least total normalised edit distance "
        "(|A∖B| + |B∖A|) / |A∪B| between their incoming connections; a block's value is the mean matched distance "
        "and the overall value the mean over the blocks. A distance: 0 = the same block up to a relabelling of its "
        "channels, 1 = nothing in common, lower = more similar.",
    ),
    "NNSTD random": (
        "NNSTD random",
        "the NNSTD of random blocks with the same numbers of connections: networks share topology only as far as "
        "their NNSTD is below it.",
    ),
    "weights": (
        "weights",
        "the present (unpruned) elements of the weights, against all their elements (possible); density = "
        "weights / possible.",
    ),
    "N_D": (
        "N_D",
        "driver nodes: the fewest channels that need an outside input signal to control the whole graph "
        "(structural controllability, Liu, Slotine & Barabási 2011), found by maximum matching; the fraction is "
        "N_D over all channels.",
    ),
    "degrees": (
        "degrees",
        "a channel's in-degree counts the channels it is connected from (the identity edges of residual adds "
        "included), its out-degree those it feeds; the figure shows P(K ≥ k), the share of channels of degree at "
        "least k.",
    ),
    "figures": (
        "figures",
        "one per pair, a panel per measure: a bar per block (its value) with a black tick at the block's chance "
        "level (for NNSTD its random level; beyond 100 blocks the bars touch and the ticks join into a line); "
        "the overall values are in the panel titles.",
    ),
}

#: Longest module name shown whole in a table cell (longer ones are cut in the middle, in full on hover).
_MODULE_MAX = 64


# --------------------------------------------------------------------------- figures


def block_figures(report):
    """Render every figure of ``report``: list of :class:`~analysis._report_figures.Figure`, in page order."""
    figs = []
    namer = _Namer()
    nets = report.networks
    if nets:
        axes = plotting.subplots(2, panel_size=(4.6, 3.3))
        labels = [n.label for n in nets]
        for ax, direction, legend in ((axes[0], "in", "figure"), (axes[1], "out", False)):
            plotting.plot_degree_distribution(
                [getattr(n, f"degrees_{direction}") for n in nets],
                ax,
                labels=labels,
                title=f"{direction}-degree of every channel",
                legend=legend if len(nets) > 1 else False,
            )
        title = "Degree distributions"
        figs.append(Figure(namer("degrees"), title, title, plotting.png_bytes(axes[0]), "networks"))
    for position, pair in enumerate(report.pairs):
        panels = [pair.channel, pair.kernel, pair.aligned, pair.nnstd]
        panels = [p for p in panels if p is not None]
        n = len(pair.channel.blocks)
        ncols = 2 if n <= _TWO_COLUMNS and len(panels) > 1 else 1
        axes = plotting.subplots(len(panels), ncols=ncols, panel_size=(_panel_width(n, ncols), 2.8))
        for ax, result in zip(axes, panels):
            if result is pair.nnstd:
                plotting.plot_block_nnstd(result, ax)
            else:
                plotting.plot_block_jaccard(result, ax)
        a, b = pair.labels
        title = f"{a} ~ {b}: per block"
        stem = f"blocks-{_slug(a)}-vs-{_slug(b)}"
        figs.append(Figure(namer(stem), title, title, plotting.png_bytes(axes[0]), "pairs", position))
    return figs


#: Most blocks whose panels are drawn two side by side (a page 12 inches wide shows two of 6).
_TWO_COLUMNS = 40


def _panel_width(n_blocks, ncols):
    """Inches for a panel of ``n_blocks`` bars: 6 side by side, else from 6 (30 blocks) to 12 (90 and more)."""
    return 6.0 if ncols == 2 else min(12.0, max(6.0, 3.0 + 0.1 * n_blocks))


# --------------------------------------------------------------------------- the page


def block_page(report, figs):
    """The self-contained HTML page of ``report`` with its figures ``figs`` embedded (str)."""
    by_section = {}
    for f in figs:
        by_section.setdefault(f.section, []).append(f)
    parts = _head(report)
    parts += [f"<p class='note'>{html.escape(note)}</p>" for note in report.notes]
    parts += _compared_section(report)
    parts += _measures_section(report)
    parts += _networks_section(report, by_section.get("networks", []))
    parts += _similarity_section(report)
    parts += _pairs_section(report, by_section.get("pairs", []))
    parts += _blocks_section(report)
    parts.append("</body></html>")
    return "\n".join(parts)


def _aligned(report):
    return any(p.aligned is not None for p in report.pairs)


def _kernel(report):
    return any(p.kernel is not None for p in report.pairs)


def _head(report):
    esc = html.escape
    prov = report.provenance
    sections = [("compared", "What was compared"), ("measures", "Measures"), ("networks", "Networks")]
    if report.pairs:
        sections += [("similarity", "Similarity"), ("pairs", "Per block"), ("blocks", "Block tables")]
    title = "netgraph block report"
    return [
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{title}</title>",
        f"<style>{_CSS}{_EXTRA_CSS}</style></head><body>",
        f"<h1>{title}: channel-level graphs compared block by block</h1>",
        f"<p>netgraph {esc(str(prov.get('netgraph_version')))}, created {esc(str(prov.get('created')))}; "
        "every number is in <code>report.json</code>.</p>",
        "<nav>" + "".join(f"<a href='#{key}'>{esc(name)}</a>" for key, name in sections) + "</nav>",
    ]


def _count_text(counter):
    return ", ".join(f"{n} {kind}" for kind, n in counter.items())


def _compared_section(report):
    """What was compared: the networks, their architecture and view, the parameters (HTML parts)."""
    esc = html.escape
    nets = report.networks
    parts = ["<h2 id='compared'>What was compared</h2>"]
    first = nets[0]
    view = (
        "block views of state_dicts (each weight its own block, no wiring)"
        if first.view == "blocks"
        else "channel-level graphs traced from the models"
    )
    types = _count_text(Counter(str(layer.get("type")) for layer in report.layers))
    spaces = _count_text(first.spaces)
    parts.append(
        f"<p>{len(nets)} network{'s' if len(nets) != 1 else ''} of one architecture, {esc(view)} (contract "
        f"<code>{esc(str(first.contract))}</code>): {len(report.layers)} blocks ({esc(types)}), "
        f"{sum(first.spaces.values())} spaces ({esc(spaces)}), {first.channels:,} channels; "
        f"{len(report.pairs)} pair{'s' if len(report.pairs) != 1 else ''} compared.</p>"
    )
    params = report.provenance.get("parameters", {})
    if report.pairs:
        if params.get("aligned"):
            rng = params.get("rng")
            seed = "fresh entropy (rng=None)" if rng is None else f"rng={rng}"
            what = (
                f"raw and aligned, with NNSTD; {params.get('n_random')} pair(s) of random blocks per block behind "
                f"each aligned chance and NNSTD random level, from {seed}"
            )
        else:
            what = "raw only (no alignment, no NNSTD)"
        parts.append(f"<p class='where'>Measures: {esc(what)}.</p>")
    folder = _common_folder([n.source for n in nets])
    if folder is not None:
        parts.append(f"<p class='where'>Files in <code>{esc(folder)}</code> (hover over a file for its full path).</p>")
    rows = [[k, _name_cell(n.label, 48), _file_cell(n.source, folder, 72)] for k, n in enumerate(nets)]
    parts.append(_table(["#", "network", "file"], rows))
    return parts


def _measures_section(report):
    """The plain-language explanation of every measure on the page (HTML parts)."""
    keys = ["block", "channel"]
    keys += ["kernel"] if _kernel(report) else []
    keys += ["chance"]
    keys += ["aligned", "aligned chance", "NNSTD", "NNSTD random"] if _aligned(report) else []
    keys += ["weights", "N_D", "degrees"]
    keys += ["figures"] if report.pairs else []
    items = "".join(f"<dt>{html.escape(EXPLAIN[k][0])}</dt><dd>{html.escape(EXPLAIN[k][1])}</dd>" for k in keys)
    return ["<h2 id='measures'>What the measures mean</h2>", f"<dl class='explain'>{items}</dl>"]


def _networks_section(report, figs):
    rows = []
    for n in report.networks:
        d = n.drivers
        rows.append(
            [
                _name_cell(n.label, 40),
                sum(n.spaces.values()),
                n.channels,
                n.n_connections,
                n.identity_edges,
                n.n_weights,
                n.n_possible_weights,
                n.density,
                d.count,
                d.fraction,
                d.bound,
                n.degrees_in.mean,
                n.degrees_in.max,
                n.degrees_out.max,
                n.degrees_in.n_isolated,
            ]
        )
    header = ["network", "spaces", "channels", "channel connections", "identity edges", "weights", "possible"]
    header += ["density", "N_D", "N_D fraction", "N_D bound", "mean degree", "max in", "max out", "isolated"]
    parts = ["<h2 id='networks'>Networks</h2>", _table(header, rows)]
    if any(n.weights_from != "element_masks" for n in report.networks):
        parts.append(
            "<p class='where'>Weights of a network without element masks are the sums of its connections' "
            "<code>nnz</code>.</p>"
        )
    parts.append(_figure_row(figs))
    return parts


def _lowest(result):
    """The block of lowest Jaccard and its value, as a cell (None for no blocks)."""
    if not len(result.blocks):
        return None
    k = int(result.values.argmin())
    name = result.blocks[k]
    return _Cell(f"{k}: {_short(name, 40)} ({result.values[k]:.3g})", title=name)


def _similarity_section(report):
    if not report.pairs:
        return []
    kernel, aligned = _kernel(report), _aligned(report)
    header = ["a", "b", "channel J", "chance"]
    header += ["kernel J", "chance"] if kernel else []
    header += ["aligned J", "aligned chance", "NNSTD", "NNSTD random"] if aligned else []
    header += ["lowest channel J"]
    rows = []
    for p in report.pairs:
        row = [_name_cell(p.labels[0], 32), _name_cell(p.labels[1], 32), p.channel.value, p.channel.chance_overall]
        if kernel:
            row += [None, None] if p.kernel is None else [p.kernel.value, p.kernel.chance_overall]
        if aligned:
            row += [p.aligned.value, p.aligned.chance_overall, p.nnstd.value, p.nnstd.random_mean]
        rows.append([*row, _lowest(p.channel)])
    return [
        "<h2 id='similarity'>Similarity of each pair</h2>",
        "<p class='where'>Over all blocks; Jaccard: higher = more alike, NNSTD: lower = more alike.</p>",
        _table(header, rows),
    ]


def _pairs_section(report, figs):
    if not report.pairs:
        return []
    esc = html.escape
    parts = ["<h2 id='pairs'>Per block</h2>"]
    for position, p in enumerate(report.pairs):
        a, b = p.labels
        parts.append(f"<section class='pair' id='pair-{position}'>")
        parts.append(f"<h3 title='{esc(a)} ~ {esc(b)}'>{esc(_short_name(a))} ~ {esc(_short_name(b))}</h3>")
        parts.append(_figure_row([f for f in figs if f.comparison == position]))
        parts.append(f"<p class='where'>Every block's numbers: <a href='#blocks-{position}'>table</a>.</p>")
        parts.append("</section>")
    return parts


def _short_name(name):
    return _short(name, 60)


def _module_cell(name):
    """A module name: left-aligned on one line (this page's ``td.wrap``), cut in the middle beyond :data:`_MODULE_MAX`."""
    name = str(name)
    return _Cell(_short(name, _MODULE_MAX), title=name if len(name) > _MODULE_MAX else None, wrap=True)


def _blocks_section(report):
    """The per-block tables, folded away: the architecture and each network's counts, then each pair (HTML parts)."""
    if not report.networks:
        return []
    parts = ["<h2 id='blocks'>Block tables</h2>"]
    nets = report.networks
    grouped = any(layer.get("groups") != 1 for layer in report.layers)
    header = ["#", "module", "type", "weight shape", *(["groups"] if grouped else [])]
    header += ["possible connections", "possible weights"]
    for n in nets:
        label = _short_name(n.label)
        header += [f"{label}: connections", f"{label}: weights"]
    rows = []
    for k, layer in enumerate(report.layers):
        shape = layer.get("weight_shape") or []
        row = [k, _module_cell(layer.get("module")), layer.get("type"), "×".join(map(str, shape))]
        row += [layer.get("groups")] if grouped else []
        row += [nets[0].possible_connections[k], nets[0].possible_weights[k]]
        for n in nets:
            row += [n.connections[k], _count(n.weights[k])]
        rows.append(row)
    parts.append(_details(f"Blocks of the networks ({len(report.layers)} weight layers)", _table(header, rows)))
    kernel, aligned = _kernel(report), _aligned(report)
    for position, p in enumerate(report.pairs):
        header = ["#", "module", "channel J", "chance", "shared", "union"]
        header += ["kernel J", "chance"] if kernel else []
        header += ["aligned J", "aligned chance", "NNSTD", "NNSTD random"] if aligned else []
        rows = []
        c = p.channel
        for k, name in enumerate(c.blocks):
            row = [k, _module_cell(name), c.values[k], c.chance[k], c.intersection[k], c.union[k]]
            if kernel:
                row += [None, None] if p.kernel is None else [p.kernel.values[k], p.kernel.chance[k]]
            if aligned:
                row += [p.aligned.values[k], p.aligned.chance[k], p.nnstd.values[k], p.nnstd.random[k]]
            rows.append(row)
        a, b = (_short_name(x) for x in p.labels)
        parts.append(
            _details(f"{a} ~ {b}: every block ({len(c.blocks)})", _table(header, rows), ident=f"blocks-{position}")
        )
    return parts


def _table(header, rows):
    """The table of :mod:`analysis._report_html`, counts written with thousands separators (``1,116,794``)."""
    return _plain_table(header, [[_grouped(c) for c in row] for row in rows])


def _grouped(c):
    return f"{int(c):,}" if isinstance(c, numbers.Integral) and not isinstance(c, bool) else c


def _count(x):
    """A count held as a float (NaN: unknown) as an int, or None."""
    return int(x) if x == x else None


def _details(summary, body, ident=None):
    """A folded section; ``ident`` is the id of its content, so that a link to it unfolds it (in Chromium)."""
    ident = "" if ident is None else f" id='{ident}'"
    return f"<details><summary>{html.escape(summary)}</summary><div{ident}>{body}</div></details>"


_EXTRA_CSS = """
th{white-space:normal;vertical-align:bottom;min-width:3.5em}
td.wrap{white-space:nowrap;text-align:left;min-width:0;max-width:none}
details{margin:0.5em 0}
summary{cursor:pointer;font-weight:600;font-size:0.95em}
dl.explain{max-width:70em}
dl.explain dt{font-weight:600;margin-top:0.4em}
dl.explain dd{margin:0.1em 0 0.3em 1.5em}
section.pair{margin:0.8em 0 1.6em}
"""
