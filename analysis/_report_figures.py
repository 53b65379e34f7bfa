"""The figures of a similarity report, rendered from its results with :mod:`analysis.plotting` (private).

:func:`figures` draws every figure of a :class:`~analysis.SimilarityReport` (matrices, degree
distributions, input connectivity, driver nodes, training curves, common subnetworks) through the
functions of :mod:`analysis.plotting`, the one module that draws, and returns them as PNG bytes
with their file names, titles and captions (:class:`Figure`).
"""

import hashlib
import json
import os
import re
from dataclasses import dataclass

import numpy as np

from . import plotting
from ._blocks import arch_name

__all__ = ["Figure", "figures", "listed_figures", "write_report_files"]


@dataclass(frozen=True)
class Figure:
    """A rendered figure: its file, title (in ``report.json``), caption, PNG and where the page shows it."""

    name: str
    title: str
    caption: str
    png: bytes
    section: str
    comparison: int | None = None  # position in report.comparisons of a similarity matrix


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


class _Namer:
    """Bounded, unique file names for the figures of one report (at most ``_STEM_MAX + 7`` characters)."""

    def __init__(self):
        self.used = set()

    def __call__(self, stem):
        stem = _stem(stem)
        name, n = stem, 1
        while name in self.used:
            n += 1
            name = f"{stem}-{n}"
        self.used.add(name)
        return f"{name}.png"


def figures(report):
    """Render every figure of ``report``: list of :class:`Figure`, in the order the page shows them.

    File names are bounded (at most ``_STEM_MAX + 7`` characters) and unique, whatever the
    names of groups and architectures.

    Parameters
    ----------
    report : SimilarityReport

    Returns
    -------
    list of Figure
    """
    figs = []
    namer = _Namer()

    def add(stem, title, caption, ax, section, comparison=None):
        figs.append(Figure(namer(stem), title, caption, plotting.png_bytes(ax), section, comparison))

    archs = {}
    for net in report.networks:
        archs.setdefault(net.summary.layer_sizes, []).append(net)
    _matrix_figures(report, add)
    _degree_figures(archs, add)
    _input_figures(archs, add)
    _driver_figure(report, add)
    _training_figure(report, add)
    _common_figure(report, add)
    return figs


def _matrix_figures(report, add):
    """The raw, aligned and NNSTD matrices of every comparison."""
    for position, comp in enumerate(report.comparisons):
        slug = _slug(comp.name)
        for kind, what in (("edge", "raw edge Jaccard"), ("aligned", "aligned Jaccard"), ("nnstd", "NNSTD (distance)")):
            m = getattr(comp, kind)
            if m is None:
                continue
            ax = plotting.plot_similarity_matrix(m, labels=_tick_labels(m.labels))
            stem = f"nnstd-{slug}" if kind == "nnstd" else f"jaccard-{kind}-{slug}"
            add(stem, f"{comp.name}: {what}", what, ax, "matrices", position)


def _degree_figures(archs, add):
    """The degree distributions of each architecture's networks, a panel per layer."""
    for sizes, arch_nets in archs.items():
        suffix = "" if len(archs) == 1 else f"-{arch_name(sizes)}"
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
        title = f"Degree distributions per layer {arch_name(sizes)}"
        add(f"degrees{suffix}", title, title, axes[0], "degrees")


def _input_figures(archs, add):
    """The mean input connectivity of each group, per architecture, on one colour scale."""
    for sizes, arch_nets in archs.items():
        suffix = "" if len(archs) == 1 else f"-{arch_name(sizes)}"
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
        title = f"Input connectivity {arch_name(sizes)}"
        add(f"input-connectivity{suffix}", title, title, axes[0], "input")


def _driver_figure(report, add):
    """The driver nodes of every network against the width bound."""
    nets = report.networks
    ax = plotting.plot_driver_nodes([n.drivers for n in nets], labels=[n.label for n in nets])
    title = "Driver nodes against the width bound"
    add("driver-nodes", title, title, ax, "drivers")


def _training_figure(report, add):
    """Test accuracy and connections over the epochs, of the networks with metrics (none without)."""
    with_metrics = [n for n in report.networks if n.metrics]
    if not with_metrics:
        return
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


def _common_figure(report, add):
    """The common-subnetwork curve of every comparison (none without comparisons)."""
    if not report.comparisons:
        return
    ax = plotting.plot_common_subnetwork(
        [c.curve for c in report.comparisons], labels=[c.name for c in report.comparisons]
    )
    title = "Common-subnetwork size against min_share"
    add("common-subnetwork", title, title, ax, "common")


def listed_figures(out):
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


def write_report_files(out, data, figs, html_page):
    """Write a report's ``report.json`` (``data`` with its figure list), PNGs and page into ``out``, as one group.

    Staged and renamed together (:func:`netgraph.fileio.atomic_files`); the figures an earlier
    report there listed that this one lacks are removed. Returns the paths.
    """
    from netgraph.fileio import atomic_files

    data = {**data, "figures": [{"file": f.name, "title": f.title} for f in figs]}
    text = json.dumps(data, indent=1, allow_nan=False)  # ASCII: every character escaped
    html_page = html_page.encode("utf-8", "backslashreplace")  # a name from a non-UTF-8 path cannot fail it
    with atomic_files(out) as group:
        old = listed_figures(out)
        for f in figs:
            group.write(f.name, f.png)
        group.write("report.json", text, mode="w", encoding="utf-8")
        group.write("report.html", html_page)  # last: whoever opens the page finds its figures
        for name in old:
            if name not in {f.name for f in figs}:
                group.remove(name)
    return {"json": out / "report.json", "html": out / "report.html", "figures": [out / f.name for f in figs]}
