"""Plots of analysis results (the only module of :mod:`analysis` that draws).

Every function takes a result, draws on ``ax`` (a new figure's axes when None) and returns the
Axes. matplotlib is imported inside the functions with the non-interactive "Agg" backend, so
importing :mod:`analysis` never loads it; nothing calls ``plt.show()``.

Examples
--------
>>> import networkx as nx
>>> from analysis import driver_nodes
>>> ax = plot_driver_nodes([driver_nodes(nx.DiGraph([((0, 0), (1, 0))]))], labels=["a"])
>>> ax.get_ylabel()
'driver nodes'
>>> close(ax)
"""

import math
import numbers

import numpy as np

__all__ = [
    "plot_similarity_matrix",
    "plot_degree_distribution",
    "plot_input_connectivity",
    "plot_driver_nodes",
    "plot_training_curves",
    "plot_common_subnetwork",
    "subplots",
    "png_bytes",
    "close",
]


def _axes(ax, figsize=(5, 4)):
    import matplotlib

    if ax is not None:
        return ax
    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    fig = Figure(figsize=figsize, layout="constrained")
    return fig.add_subplot()


def subplots(n, *, ncols=None, panel_size=(4.0, 3.2)):
    """A new figure with ``n`` axes in a grid (``ncols`` per row, default ``min(n, 4)``); returns the list of axes."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    ncols = min(n, 4) if ncols is None else ncols
    nrows = math.ceil(n / ncols)
    fig = Figure(figsize=(panel_size[0] * ncols, panel_size[1] * nrows), layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=False).ravel().tolist()
    for ax in axes[n:]:
        ax.set_visible(False)
    return axes[:n]


def png_bytes(ax, *, dpi=100):
    """The figure of ``ax`` (an Axes or a Figure) rendered as PNG bytes; the figure is then cleared."""
    import io

    fig = getattr(ax, "figure", ax)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    fig.clear()
    return buf.getvalue()


def close(ax):
    """Release the figure of ``ax`` (figures made here are not registered with pyplot)."""
    fig = ax.figure
    fig.clear()


def plot_similarity_matrix(matrix, ax=None, *, annotate=None, vmax=None):
    """Heatmap of a :class:`~analysis.SimilarityMatrix`, chance level marked on the colour bar.

    A matrix of ``kind="nnstd"`` (distances, from :func:`~analysis.build_report`) is labelled as
    NNSTD, its chance level as the random baseline.

    Parameters
    ----------
    matrix : SimilarityMatrix
    ax : matplotlib.axes.Axes, optional
    annotate : bool, optional
        Write the values in the cells (default: with at most 12 graphs).
    vmax : float, optional
        Top of the colour scale (default 1.0).

    Returns
    -------
    matplotlib.axes.Axes
    """
    ax = _axes(ax, figsize=(5.5, 4.5))
    k = len(matrix.labels)
    im = ax.imshow(matrix.values, vmin=0.0, vmax=1.0 if vmax is None else vmax, cmap="viridis")
    cbar = ax.figure.colorbar(im, ax=ax)
    chance = matrix.mean_chance if k > 1 else float(matrix.chance[0, 0])
    if matrix.kind == "nnstd":
        measure, baseline = "NNSTD (distance)", "random"
    else:
        measure, baseline = f"{matrix.kind} Jaccard", "chance"
    if math.isfinite(chance):  # a red line on the colour bar; named in the bar's label, clear of the ticks
        cbar.ax.axhline(chance, color="red", linewidth=2)
        cbar.set_label(f"{measure} (red line: {'random networks' if baseline == 'random' else 'chance level'})")
    else:
        cbar.set_label(measure)
    ax.set_xticks(range(k), matrix.labels, rotation=90, fontsize=7)
    ax.set_yticks(range(k), matrix.labels, fontsize=7)
    title = f"{measure} (mean {matrix.mean:.3f}, {baseline} {chance:.3f})" if k > 1 else matrix.kind
    ax.set_title(title, fontsize=9)
    if annotate is None:
        annotate = k <= 12
    if annotate:
        for i in range(k):
            for j in range(k):
                v = matrix.values[i, j]
                ax.text(j, i, f"{v:.2f}", ha="center", va="center", fontsize=6, color="white" if v < 0.6 else "black")
    return ax


def plot_degree_distribution(dists, ax=None, *, labels=None, title=None):
    """Complementary cumulative distribution P(K >= k) of one or more degree distributions.

    Parameters
    ----------
    dists : DegreeDistribution or sequence of them
    ax : matplotlib.axes.Axes, optional
    labels : sequence of str, optional
        Legend entries.
    title : str, optional

    Returns
    -------
    matplotlib.axes.Axes
    """
    ax = _axes(ax)
    if not isinstance(dists, (list, tuple)):
        dists = [dists]
    for n, d in enumerate(dists):
        if d.ccdf.size == 0:
            continue
        label = labels[n] if labels is not None else None
        ax.step(np.arange(d.ccdf.size), d.ccdf, where="post", label=label, linewidth=1)
    ax.set_yscale("log")
    ax.set_xlabel(f"{dists[0].direction}-degree k" if dists else "degree k")
    ax.set_ylabel("P(K ≥ k)")
    if title is None and dists and dists[0].layer is not None:
        title = f"layer {dists[0].layer}"
    if title:
        ax.set_title(title, fontsize=9)
    if labels is not None and 1 < len(dists) <= 12:
        ax.legend(fontsize=6)
    return ax


def plot_input_connectivity(image, ax=None, *, title="input out-degree", vmin=None, vmax=None):
    """Each input unit's out-degree as an image (from :func:`~analysis.input_connectivity`).

    Parameters
    ----------
    image : array_like, 2-D
    ax : matplotlib.axes.Axes, optional
    title : str, optional
    vmin, vmax : float, optional
        Ends of the colour scale (default: the image's own range). Give every panel of a
        comparison the same ``vmin`` and ``vmax`` so that one colour means one out-degree.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> ax = plot_input_connectivity([[0, 1], [2, 3]], vmin=0, vmax=10)
    >>> ax.images[0].get_clim()
    (0.0, 10.0)
    >>> close(ax)
    """
    ax = _axes(ax, figsize=(4, 3.5))
    image = np.asarray(image)
    im = ax.imshow(image, cmap="magma", aspect="auto" if image.shape[0] == 1 else "equal", vmin=vmin, vmax=vmax)
    ax.figure.colorbar(im, ax=ax, label="out-degree")
    ax.set_xticks([])
    ax.set_yticks([])
    if title:
        ax.set_title(title, fontsize=9)
    return ax


def plot_driver_nodes(drivers, ax=None, *, labels=None):
    """Driver nodes of several networks as bars, the width bound as a black tick on each.

    The legend sits above the axes, clear of the bars.

    Parameters
    ----------
    drivers : sequence of DriverNodes
    ax : matplotlib.axes.Axes, optional
    labels : sequence of str, optional

    Returns
    -------
    matplotlib.axes.Axes
    """
    ax = _axes(ax, figsize=(max(4, 0.35 * len(drivers) + 2), 3.5))
    x = np.arange(len(drivers))
    ax.bar(x, [d.count for d in drivers], color="tab:blue", label="driver nodes N_D")
    bounds = [d.bound for d in drivers]
    if any(b is not None for b in bounds):
        ax.scatter(
            x, [np.nan if b is None else b for b in bounds], marker="_", s=400, color="black", label="width bound"
        )
    ax.set_xticks(x, labels if labels is not None else [str(i) for i in x], rotation=90, fontsize=7)
    ax.set_ylabel("driver nodes")
    # above the axes: bars may reach the top anywhere (constrained layout makes room for it)
    ax.legend(fontsize=7, loc="lower left", bbox_to_anchor=(0.0, 1.02), ncol=2, borderaxespad=0.0, frameon=False)
    return ax


def plot_training_curves(metrics, ax=None, *, key="test_accuracy", labels=None):
    """A per-epoch quantity of one or more runs (``metrics.json`` contents).

    Parameters
    ----------
    metrics : dict or sequence of dict
        Each ``{"epochs": [{"epoch": 1, key: value, ...}, ...], ...}``. Rows whose ``epoch`` or
        ``key`` is not a number (missing, None, a string, a list, a bool) are skipped.
    ax : matplotlib.axes.Axes, optional
    key : str, optional
        Row key to plot, e.g. ``"test_accuracy"`` or ``"total_connections"``.
    labels : sequence of str, optional

    Returns
    -------
    matplotlib.axes.Axes
    """
    ax = _axes(ax)
    if isinstance(metrics, dict):
        metrics = [metrics]
    for n, m in enumerate(metrics):
        rows = m.get("epochs") if isinstance(m, dict) else None
        if not isinstance(rows, list):
            continue
        rows = [r for r in rows if isinstance(r, dict) and _number(r.get("epoch")) and _number(r.get(key))]
        if not rows:
            continue
        label = labels[n] if labels is not None else None
        ax.plot([r["epoch"] for r in rows], [r[key] for r in rows], marker=".", linewidth=1, label=label)
    ax.set_xlabel("epoch")
    ax.set_ylabel(key.replace("_", " "))
    if labels is not None and 1 < len(metrics) <= 12:
        ax.legend(fontsize=6)
    return ax


def _number(x):
    return isinstance(x, numbers.Real) and not isinstance(x, (bool, np.bool_))


def plot_common_subnetwork(curves, ax=None, *, labels=None):
    """Common-subnetwork size against ``min_share`` (from :func:`~analysis.common_subnetwork_curve`).

    Parameters
    ----------
    curves : CommonSubnetworkCurve or sequence of them
    ax : matplotlib.axes.Axes, optional
    labels : sequence of str, optional

    Returns
    -------
    matplotlib.axes.Axes
    """
    ax = _axes(ax)
    if not isinstance(curves, (list, tuple)):
        curves = [curves]
    for n, c in enumerate(curves):
        label = labels[n] if labels is not None else None
        ax.plot(c.shares, c.edges, marker="o", label=label)
    ax.set_xlabel("min_share")
    ax.set_ylabel("edges in ≥ min_share of the networks")
    ax.set_yscale("symlog", linthresh=1)
    if labels is not None:
        ax.legend(fontsize=7)
    return ax
