"""Plots of analysis results (the only module of :mod:`analysis` that draws).

Every function takes a result, draws on ``ax`` (a new figure's axes when None) and returns the
Axes. matplotlib is imported inside the functions with the non-interactive "Agg" backend, so
importing :mod:`analysis` never loads it; nothing calls ``plt.show()``.

Figures are drawn to be read at their own size (100 dpi): no text below 8 points, legends
outside the data, curves of one group in one colour (the networks of a group told apart by
line style), log axes with at least three labelled ticks. Names are drawn as plain text
(``$`` never starts mathtext, characters that cannot be encoded become ``?``) and long ones
are shortened in the middle (``…``), so no label can make a figure fail to render.

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

from netgraph.errors import ParameterError

__all__ = [
    "plot_similarity_matrix",
    "plot_degree_distribution",
    "plot_input_connectivity",
    "plot_driver_nodes",
    "plot_training_curves",
    "plot_common_subnetwork",
    "plot_block_jaccard",
    "plot_block_nnstd",
    "subplots",
    "png_bytes",
    "close",
    "MIN_FONT",
    "MAX_LABEL",
]

#: Smallest font size (points) of any text drawn here; at 100 dpi 8 pt is 11 pixels.
MIN_FONT = 8
#: Longest name drawn in full (tick labels, legend entries); longer ones are shortened in the middle.
MAX_LABEL = 32
_ANNOTATE_MAX = 12  # the largest matrix annotated by default
_LINESTYLES = ["-", "--", ":", "-.", (0, (5, 1)), (0, (3, 1, 1, 1, 1, 1)), (0, (1, 3)), (0, (8, 2, 1, 2))]


def _axes(ax, figsize=(5, 4)):
    import matplotlib

    if ax is not None:
        return ax
    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    fig = Figure(figsize=figsize, layout="constrained")
    return fig.add_subplot()


def _text(value, limit=None):
    r"""``value`` as text matplotlib draws as it is: ``$`` escaped, unencodable characters as ``?``.

    With ``limit``, text longer than ``limit`` characters keeps its start and end around ``…``.

    Examples
    --------
    >>> print(_text("$x$ cost"), _text("caf\udce9"))
    \$x\$ cost caf?
    >>> _text("a" * 40, limit=10)
    'aaaaa…aaaa'
    """
    text = str(value).encode("utf-8", "replace").decode("utf-8")
    if limit is not None and len(text) > limit:
        head = (limit - 1) - (limit - 1) // 2
        text = text[:head] + "…" + text[len(text) - (limit - 1) // 2 :]
    return text.replace("$", r"\$")


def subplots(n, *, ncols=None, panel_size=(4.0, 3.2)):
    """A new figure with ``n`` axes in a grid (``ncols`` per row, default ``min(n, 4)``); returns the list of axes."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    ncols = min(n, 4) if ncols is None else min(n, ncols)
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


# --------------------------------------------------------------------------- log axes


def _readable_log_ticks(axis, *, symlog=False):
    """Give a log (or symlog) ``axis`` ticks at 1, 2, 5 × 10^k, or every digit, so that at least three are labelled.

    Over more than two decades only the powers of ten are labelled, over less 1, 2 and 5 × 10^k,
    or 1, 2, 3 and 5 × 10^k, or every digit, whichever first gives three; where even the digits
    are fewer than three, evenly spaced values are. On a symlog axis whose view reaches 0, 0 is a tick too.
    """
    from matplotlib import ticker

    class ReadableLogLocator(ticker.Locator):
        def __call__(self):
            return self.tick_values(*self.axis.get_view_interval())

        def tick_values(self, vmin, vmax):
            vmin, vmax = sorted((vmin, vmax))
            low = vmin if vmin > 0 else (1.0 if symlog else max(vmax * 1e-3, 1e-300))
            if vmax <= 0 or low >= vmax:
                return [0.0] if symlog and vmin <= 0 <= vmax else []
            decades = math.log10(vmax / low)
            for subs in ((1,), (1, 2, 5), (1, 2, 3, 5), tuple(range(1, 10))):
                if subs == (1,) and decades <= 2:
                    continue
                ticks = [
                    s * 10.0**e
                    for e in range(math.floor(math.log10(low)) - 1, math.ceil(math.log10(vmax)) + 1)
                    for s in subs
                    if low * (1 - 1e-9) <= s * 10.0**e <= vmax * (1 + 1e-9)
                ]
                if len(ticks) >= 3:
                    break
            else:  # less than a decade between two digits: evenly spaced ticks
                ticks = [t for t in ticker.MaxNLocator(nbins=4).tick_values(low, vmax) if low <= t <= vmax]
            if symlog and vmin <= 0:
                ticks = [0.0, *ticks]
            return ticks

    def label(value, _pos=None):
        if value == 0:
            return "0"
        exponent = math.log10(abs(value))
        if exponent == round(exponent) and abs(exponent) >= 5:
            return f"$10^{{{round(exponent)}}}$"
        return f"{value:g}"

    axis.set_major_locator(ReadableLogLocator())
    axis.set_major_formatter(ticker.FuncFormatter(label))
    axis.set_minor_formatter(ticker.NullFormatter())


# --------------------------------------------------------------------------- colours by group


def _line_styles(n, *, labels=None, groups=None, styles=None):
    """Per item ``(colour, linestyle, legend label)`` and the legend ``[(label, colour, linestyle), ...]``.

    With ``groups``, one colour per group (in order of first appearance) and, within a group, one
    line style per ``styles`` name (e.g. the seed; by position within the group when ``styles``
    is None or names an item of a group twice); the legend names each group once and, when there
    are several and at most ``len(_LINESTYLES)``, each line style once. Without ``groups``, one
    colour per item, named by ``labels``.
    """
    import matplotlib

    many = (n if groups is None else len(set(groups))) > 10
    cmap = matplotlib.colormaps["tab20" if many else "tab10"]
    cycle = 20 if many else 10
    if groups is None:
        items = [(cmap(i % cycle), "-") for i in range(n)]
        legend = [] if labels is None else [(_text(labels[i], MAX_LABEL), *items[i]) for i in range(n)]
        return items, legend
    order = list(dict.fromkeys(groups))
    keys = None
    if styles is not None and None not in styles:
        pairs = list(zip(groups, styles))
        if len(set(pairs)) == len(pairs):
            keys = list(dict.fromkeys(styles))
    position = {}
    items = []
    for i, g in enumerate(groups):
        position[g] = position.get(g, -1) + 1
        k = keys.index(styles[i]) if keys is not None else position[g]
        items.append((cmap(order.index(g) % cycle), _LINESTYLES[k % len(_LINESTYLES)]))
    legend = [(_text(g, MAX_LABEL), cmap(order.index(g) % cycle), "-") for g in order]
    n_styles = len(keys) if keys is not None else max(position.values(), default=-1) + 1
    if 1 < n_styles <= len(_LINESTYLES):
        names = keys if keys is not None else [f"network {k + 1} of a group" for k in range(n_styles)]
        legend += [(_text(s, MAX_LABEL), "0.35", _LINESTYLES[k]) for k, s in enumerate(names)]
    return items, legend


def _draw_legend(ax, entries, where):
    """Draw ``entries`` (label, colour, linestyle) outside the data: right of ``ax``, or above the whole figure."""
    from matplotlib.lines import Line2D

    if not where or len(entries) < 2:
        return
    handles = [Line2D([], [], color=c, linestyle=ls, linewidth=1.5) for _, c, ls in entries]
    names = [name for name, _, _ in entries]
    if where == "figure":
        ax.figure.legend(
            handles, names, loc="outside upper center", ncols=min(len(entries), 5), fontsize=MIN_FONT, frameon=False
        )
    else:
        ax.legend(
            handles,
            names,
            loc="upper left",
            bbox_to_anchor=(1.02, 1.0),
            borderaxespad=0.0,
            fontsize=MIN_FONT,
            frameon=False,
        )


def _check_legend(legend):
    if legend not in (True, False, "figure"):
        raise ParameterError(f"legend={legend!r}, expected True, False or 'figure'")


# --------------------------------------------------------------------------- the plots


def _two_lines(text):
    """``text`` broken after the ``/`` nearest its middle (``random+prune/`` over ``seed-0``), if it has one."""
    cuts = [i + 1 for i, ch in enumerate(text) if ch == "/" and 0 < i < len(text) - 1]
    if len(text) <= 16 or not cuts:
        return text
    cut = min(cuts, key=lambda i: abs(2 * i - len(text)))
    return text[:cut] + "\n" + text[cut:]


def plot_similarity_matrix(matrix, ax=None, *, annotate=None, vmax=None, labels=None):
    """Heatmap of a :class:`~analysis.SimilarityMatrix`, chance level marked on the colour bar.

    A matrix of ``kind="nnstd"`` (distances, from :func:`~analysis.build_report`) is labelled as
    NNSTD, its chance level as the random baseline. A new figure is sized to the matrix: cells
    of about 0.4 inch (smaller for more than 15 networks), the values written in them at 8 to 10 points.

    Parameters
    ----------
    matrix : SimilarityMatrix
    ax : matplotlib.axes.Axes, optional
    annotate : bool, optional
        Write the values in the cells (default: when the cells can hold them at 8 points or
        more, which in a new figure is with at most 12 graphs). Forced on, the values are
        written at the size the cells allow.
    vmax : float, optional
        Top of the colour scale (default 1.0).
    labels : sequence of str, optional
        Tick labels (default: the matrix's labels), e.g. without the prefix they share. Long
        ones are shortened in the middle; in cells of 0.35 inch or more, one longer than 16
        characters is broken onto two lines after a ``/``.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import networkx as nx
    >>> from analysis import similarity_matrix
    >>> m = similarity_matrix([nx.DiGraph([((0, 0), (1, 0))])] * 2, labels=["a", "b"])
    >>> ax = plot_similarity_matrix(m)
    >>> [t.get_text() for t in ax.texts], ax.texts[0].get_fontsize() >= MIN_FONT
    (['1.00', '1.00', '1.00', '1.00'], True)
    >>> close(ax)
    """
    k = len(matrix.labels)
    side = min(6.0, max(1.9, 0.4 * k))
    labels = [_text(x, MAX_LABEL) for x in (matrix.labels if labels is None else labels)]
    if side / max(k, 1) >= 0.35:
        labels = [_two_lines(x) for x in labels]
    label_in = 0.06 * max((len(line) for x in labels for line in x.split("\n")), default=1)  # at 8 pt
    ax = _axes(ax, figsize=(label_in + side + 0.9, side + label_in + 0.75))
    im = ax.imshow(matrix.values, vmin=0.0, vmax=1.0 if vmax is None else vmax, cmap="viridis")
    cbar = ax.figure.colorbar(im, ax=ax)
    cbar.ax.tick_params(labelsize=MIN_FONT)
    chance = matrix.mean_chance if k > 1 else float(matrix.chance[0, 0])
    if matrix.kind == "nnstd":
        measure, baseline = "NNSTD (distance)", "random"
    else:
        measure, baseline = f"{matrix.kind} Jaccard", "chance"
    if math.isfinite(chance):  # a red line on the colour bar, named in the title
        cbar.ax.axhline(chance, color="red", linewidth=2)
    ax.set_xticks(range(k), labels, rotation=90, fontsize=MIN_FONT)
    ax.set_yticks(range(k), labels, fontsize=MIN_FONT)
    title = f"{measure}\nmean {matrix.mean:.3f}, {baseline} {chance:.3f} (red line)" if k > 1 else measure
    ax.set_title(title, fontsize=9)
    ax.figure.draw_without_rendering()  # the layout places the axes: measure the cells
    box = ax.get_window_extent()
    cell_pt = min(box.width, box.height) / max(k, 1) * 72 / ax.figure.dpi
    size = min(10.0, 0.33 * cell_pt)  # "0.00" is about 2.4 font sizes wide
    if annotate is None:
        annotate = k <= _ANNOTATE_MAX and size >= MIN_FONT
    if annotate:
        for i in range(k):
            for j in range(k):
                v = matrix.values[i, j]
                shade = (v - im.norm.vmin) / ((im.norm.vmax - im.norm.vmin) or 1.0)
                ax.text(
                    j, i, f"{v:.2f}", ha="center", va="center", fontsize=size, color="white" if shade < 0.6 else "black"
                )
    return ax


def plot_degree_distribution(dists, ax=None, *, labels=None, groups=None, styles=None, title=None, legend=True):
    """Complementary cumulative distribution P(K >= k) of one or more degree distributions.

    Parameters
    ----------
    dists : DegreeDistribution or sequence of them
    ax : matplotlib.axes.Axes, optional
    labels : sequence of str, optional
        Legend entries, one per distribution (without ``groups``).
    groups : sequence of str, optional
        The group (method) of each distribution: one colour per group, one legend entry per
        group.
    styles : sequence of str, optional
        With ``groups``, what tells the distributions of a group apart (e.g. ``"seed 0"``):
        one line style per name, named once in the legend. Default, or when a group holds a
        name twice: line styles by position within the group.
    title : str, optional
    legend : {True, False, "figure"}, optional
        True: the legend right of the axes, outside the data; ``"figure"``: above all the
        panels of the figure (give it to one of them); False: none.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import networkx as nx
    >>> from analysis import degree_distribution
    >>> G = nx.DiGraph([((0, 0), (1, 0)), ((0, 1), (1, 0)), ((0, 2), (1, 1))])
    >>> d = degree_distribution(G, direction="in", layer=1)
    >>> ax = plot_degree_distribution([d, d, d], groups=["a", "a", "b"], styles=["seed 0", "seed 1", "seed 0"])
    >>> [t.get_text() for t in ax.get_legend().get_texts()]
    ['a', 'b', 'seed 0', 'seed 1']
    >>> [line.get_linestyle() for line in ax.lines]
    ['-', '--', '-']
    >>> close(ax)
    """
    _check_legend(legend)
    ax = _axes(ax, figsize=(5.5, 3.5))
    if not isinstance(dists, (list, tuple)):
        dists = [dists]
    items, entries = _line_styles(len(dists), labels=labels, groups=groups, styles=styles)
    for n, d in enumerate(dists):
        if d.ccdf.size == 0:
            continue
        colour, linestyle = items[n]
        label = None if labels is None else _text(labels[n], MAX_LABEL)
        ax.step(np.arange(d.ccdf.size), d.ccdf, where="post", label=label, color=colour, linestyle=linestyle, lw=1.2)
    ax.set_yscale("log")
    _readable_log_ticks(ax.yaxis)
    ax.tick_params(labelsize=MIN_FONT)
    ax.set_xlabel(f"{dists[0].direction}-degree k" if dists else "degree k", fontsize=9)
    ax.set_ylabel("P(K ≥ k)", fontsize=9)
    if title is None and dists and dists[0].layer is not None:
        title = f"layer {dists[0].layer}"
    if title:
        ax.set_title(_text(title), fontsize=9)
    _draw_legend(ax, entries, legend)
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
    cbar = ax.figure.colorbar(im, ax=ax)
    cbar.set_label("out-degree", fontsize=9)
    cbar.ax.tick_params(labelsize=MIN_FONT)
    ax.set_xticks([])
    ax.set_yticks([])
    if title:
        ax.set_title(_text(title, 40), fontsize=9)
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
    names = [_text(n, MAX_LABEL) for n in labels] if labels is not None else [str(i) for i in x]
    ax.set_xticks(x, names, rotation=90, fontsize=MIN_FONT)
    ax.tick_params(axis="y", labelsize=MIN_FONT)
    ax.set_ylabel("driver nodes", fontsize=9)
    # above the axes: bars may reach the top anywhere (constrained layout makes room for it)
    ax.legend(fontsize=MIN_FONT, loc="lower left", bbox_to_anchor=(0.0, 1.02), ncol=2, borderaxespad=0.0, frameon=False)
    return ax


def plot_training_curves(metrics, ax=None, *, key="test_accuracy", labels=None, groups=None, styles=None, legend=True):
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
    groups, styles : sequence of str, optional
        Colours by group, line styles within a group, as in :func:`plot_degree_distribution`.
    legend : {True, False, "figure"}, optional
        As in :func:`plot_degree_distribution`.

    Returns
    -------
    matplotlib.axes.Axes
    """
    _check_legend(legend)
    ax = _axes(ax, figsize=(5.5, 3.5))
    if isinstance(metrics, dict):
        metrics = [metrics]
    items, entries = _line_styles(len(metrics), labels=labels, groups=groups, styles=styles)
    for n, m in enumerate(metrics):
        rows = m.get("epochs") if isinstance(m, dict) else None
        if not isinstance(rows, list):
            continue
        rows = [r for r in rows if isinstance(r, dict) and _number(r.get("epoch")) and _number(r.get(key))]
        if not rows:
            continue
        label = labels[n] if labels is not None else None
        colour, linestyle = items[n]
        ax.plot(
            [r["epoch"] for r in rows],
            [r[key] for r in rows],
            marker=".",
            markersize=4,
            linewidth=1.2,
            color=colour,
            linestyle=linestyle,
            label=None if label is None else _text(label, MAX_LABEL),
        )
    from matplotlib.ticker import MaxNLocator

    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.tick_params(labelsize=MIN_FONT)
    ax.set_xlabel("epoch", fontsize=9)
    ax.set_ylabel(_text(key.replace("_", " ")), fontsize=9)
    _draw_legend(ax, entries, legend)
    return ax


def _number(x):
    return isinstance(x, numbers.Real) and not isinstance(x, (bool, np.bool_))


def plot_common_subnetwork(curves, ax=None, *, labels=None):
    """Common-subnetwork size against ``min_share`` (from :func:`~analysis.common_subnetwork_curve`).

    The edge counts are on a symmetric log axis (linear below 1, so that 0 shows); the
    legend sits right of the axes.

    Parameters
    ----------
    curves : CommonSubnetworkCurve or sequence of them
    ax : matplotlib.axes.Axes, optional
    labels : sequence of str, optional

    Returns
    -------
    matplotlib.axes.Axes
    """
    ax = _axes(ax, figsize=(6.0, 3.8))
    if not isinstance(curves, (list, tuple)):
        curves = [curves]
    items, entries = _line_styles(len(curves), labels=labels)
    for n, c in enumerate(curves):
        label = labels[n] if labels is not None else None
        ax.plot(
            c.shares,
            c.edges,
            marker="o",
            markersize=4,
            color=items[n][0],
            label=None if label is None else _text(label, MAX_LABEL),
        )
    ax.set_xlabel("min_share", fontsize=9)
    ax.set_ylabel("edges in ≥ min_share\nof the networks", fontsize=9)
    ax.set_yscale("symlog", linthresh=1)
    _readable_log_ticks(ax.yaxis, symlog=True)
    ax.tick_params(labelsize=MIN_FONT)
    if labels is not None:
        ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0.0, fontsize=MIN_FONT, frameon=False)
    return ax


# --------------------------------------------------------------------------- block by block


def _block_axis(ax, n):
    """Blocks ``0 .. n - 1`` on the x axis: every index labelled up to 30 blocks, else about one label per
    half inch at steps of 1, 2, 5 × 10^k with a minor tick on every block (up to 200)."""
    from matplotlib import ticker

    ax.set_xlim(-0.6, n - 0.4)
    if n <= 30:
        ax.set_xticks(range(n))
    else:
        width = ax.get_position().width * ax.figure.get_figwidth()
        bins = max(4, int(width / 0.5))
        ax.xaxis.set_major_locator(ticker.MaxNLocator(nbins=bins, integer=True, steps=[1, 2, 5, 10]))
        if n <= 200:
            ax.xaxis.set_minor_locator(ticker.MultipleLocator(1))
    ax.tick_params(labelsize=MIN_FONT)
    ax.set_xlabel("block (weight layer, in order)", fontsize=9)


def _block_bars(ax, values, levels, colour):
    """Bars of ``values`` per block with a black tick at each block's ``levels``.

    Beyond :data:`_SPARSE_BARS` blocks the bars touch (gaps of a pixel or two would stripe the
    figure) and the ticks join into a step line.
    """
    values = np.asarray(values, dtype=float)
    x = np.arange(values.size)
    if values.size <= _SPARSE_BARS:
        ax.bar(x, values, width=0.6, color=colour, linewidth=0)
        ax.hlines(np.asarray(levels, dtype=float), x - 0.45, x + 0.45, colors="black", linewidth=1.5)
    else:
        ax.bar(x, values, width=1.0, color=colour, linewidth=0)
        edges = np.arange(values.size + 1) - 0.5
        ax.stairs(np.asarray(levels, dtype=float), edges, color="black", linewidth=1.0, baseline=None)
    ax.set_ylim(0.0, 1.05)
    ax.grid(axis="y", color="0.9", linewidth=0.6)
    ax.set_axisbelow(True)


#: Most blocks drawn as separate bars, each with its own chance tick.
_SPARSE_BARS = 100


def _level_mark(n):
    """How :func:`_block_bars` draws the levels of ``n`` blocks, for a title."""
    return "black ticks" if n <= _SPARSE_BARS else "black line"


def _block_figsize(n):
    return (min(12.5, max(6.0, 2.5 + 0.1 * n)), 3.0)


def plot_block_jaccard(result, ax=None):
    """Per block of a :class:`~analysis.BlockJaccard`: its Jaccard index (bars) against its chance level (black ticks).

    Blocks are on the x axis by index, in the graphs' order (their modules are too long to draw:
    the report's tables name them); up to 30 every index is labelled, beyond that about one label
    per half inch (at steps of 1, 2, 5 × 10^k, a minor tick on every block up to 200). Beyond 100
    blocks the bars touch and the chance ticks join into a step line. The title says what was
    compared and the overall value against its chance level.

    Parameters
    ----------
    result : BlockJaccard
    ax : matplotlib.axes.Axes, optional

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import networkx as nx
    >>> from analysis import block_jaccard
    >>> G = nx.DiGraph([((0, 0), (1, 0))])
    >>> G.graph["layers"] = [{"module": "fc", "type": "Linear", "weight_shape": [1, 2], "groups": 1,
    ...                       "inputs": [[0, 0], [0, 1]], "output": 1}]
    >>> ax = plot_block_jaccard(block_jaccard(G, G))
    >>> ax.get_ylabel(), ax.get_title().splitlines()[1]
    ('Jaccard', 'overall 1.000, chance 0.333 (1 block)')
    >>> close(ax)
    """
    n = len(result.blocks)
    ax = _axes(ax, figsize=_block_figsize(n))
    _block_bars(ax, result.values, result.chance, "tab:blue")
    what = "kernel elements" if result.level == "kernel" else "channel connections"
    how = "aligned" if result.aligned else "raw"
    chance = "aligned chance" if result.aligned else "chance"
    ax.set_title(
        f"{what}, {how}: Jaccard per block (bars), {chance} ({_level_mark(n)})\n"
        f"overall {result.value:.3f}, {chance} {result.chance_overall:.3f} ({n} block{'s' if n != 1 else ''})",
        fontsize=9,
    )
    ax.set_ylabel("Jaccard", fontsize=9)
    _block_axis(ax, n)
    return ax


def plot_block_nnstd(result, ax=None):
    """Per block of a :class:`~analysis.BlockNNSTD`: its NNSTD (bars) against the random level (black ticks).

    A distance (lower = more similar); blocks on the x axis as in :func:`plot_block_jaccard`.

    Parameters
    ----------
    result : BlockNNSTD
    ax : matplotlib.axes.Axes, optional

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import networkx as nx
    >>> from analysis import block_nnstd
    >>> G = nx.DiGraph([((0, 0), (1, 0))])
    >>> G.graph["layers"] = [{"module": "fc", "type": "Linear", "weight_shape": [1, 2], "groups": 1,
    ...                       "inputs": [[0, 0], [0, 1]], "output": 1}]
    >>> ax = plot_block_nnstd(block_nnstd(G, G, rng=0))
    >>> ax.get_ylabel()
    'NNSTD'
    >>> close(ax)
    """
    n = len(result.blocks)
    ax = _axes(ax, figsize=_block_figsize(n))
    _block_bars(ax, result.values, result.random, "tab:orange")
    ax.set_title(
        f"NNSTD per block (bars; a distance, lower = more similar), random ({_level_mark(n)})\n"
        f"mean {result.value:.3f}, random {result.random_mean:.3f} ({n} block{'s' if n != 1 else ''})",
        fontsize=9,
    )
    ax.set_ylabel("NNSTD", fontsize=9)
    _block_axis(ax, n)
    return ax
