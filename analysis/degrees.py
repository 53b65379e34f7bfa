"""Degree distributions, per-layer summaries and input connectivity maps.

Every function works on any ``networkx`` directed graph; :func:`layer_summary` and
:func:`input_connectivity` need a layered one (see :mod:`analysis`). Degrees count edges,
not weights.

Examples
--------
>>> import networkx as nx
>>> G = nx.DiGraph([((0, 0), (1, 0)), ((0, 1), (1, 0)), ((0, 1), (1, 1))])
>>> G.add_node((0, 2))
>>> d = degree_distribution(G, direction="out", layer=0)
>>> d.degrees.tolist(), d.mean, d.n_isolated
([1, 2, 0], 1.0, 1)
>>> input_connectivity(G, shape=(1, 3)).tolist()
[[1, 2, 0]]
"""

import math
import numbers
import warnings
from dataclasses import dataclass

import numpy as np

from netgraph.channel_network import CONTRACT
from netgraph.errors import ParameterError
from netgraph.fileio import jsonable
from netgraph.validation import Interval, NoneOr, check_choice

from ._results import concise_repr, frozen_array, provenance
from ._space import check_layer
from ._structure import graph_attribute, node_to_json, structure

__all__ = [
    "DegreeDistribution",
    "LayerSummary",
    "degree_distribution",
    "layer_summary",
    "input_connectivity",
    "compare_power_law",
]

_POSITIVE = Interval(numbers.Integral, 1)

_DIRECTIONS = ("in", "out", "total")


@dataclass(frozen=True, eq=False)
class DegreeDistribution:
    """Degrees of a graph's nodes and their distribution.

    Attributes
    ----------
    direction : {"in", "out", "total"}
    layer : int or None
        The layer the nodes were taken from (None: all nodes).
    nodes : tuple
        The nodes, in ``G``'s order (by position within the layer when ``layer`` is given).
    degrees : numpy.ndarray of int64
        ``degrees[k]`` is the degree of ``nodes[k]``.
    histogram : numpy.ndarray of int64
        ``histogram[k]`` = number of nodes of degree ``k``, for ``k = 0 .. max``.
    ccdf : numpy.ndarray of float
        ``ccdf[k]`` = fraction of nodes of degree ``>= k``, for ``k = 0 .. max``.
    mean, std, max : float, float, int
        Mean, population standard deviation and maximum degree (nan, nan, 0 with no nodes).
    n_isolated : int
        Nodes without any edge (in or out), whatever ``direction``.
    """

    direction: str
    layer: int | None
    nodes: tuple
    degrees: np.ndarray
    histogram: np.ndarray
    ccdf: np.ndarray
    mean: float
    std: float
    max: int
    n_isolated: int

    def __repr__(self):
        return concise_repr(self)

    @property
    def n_nodes(self):
        return len(self.nodes)

    def to_dict(self):
        """JSON-safe dict of every field plus provenance."""
        return jsonable(
            {
                "direction": self.direction,
                "layer": self.layer,
                "n_nodes": self.n_nodes,
                "nodes": [node_to_json(n) for n in self.nodes],
                "degrees": self.degrees,
                "histogram": self.histogram,
                "ccdf": self.ccdf,
                "mean": self.mean,
                "std": self.std,
                "max": self.max,
                "n_isolated": self.n_isolated,
                "provenance": provenance("degree_distribution", direction=self.direction, layer=self.layer),
            }
        )


@dataclass(frozen=True, eq=False)
class LayerSummary:
    """Per-layer structure of a layered graph.

    Attributes
    ----------
    layer_sizes : tuple of int
        Nodes per layer.
    connections : tuple of int
        Edges from layer ``l`` to ``l + 1``, one entry per block (``len(layer_sizes) - 1``).
    density : tuple of float
        ``connections[l] / (n_l * n_{l+1})``.
    in_mean, in_std, out_mean, out_std : tuple of float
        Degree statistics per layer (nan for the in-degree of layer 0 and the out-degree of the
        last layer, which have no edges by construction).
    in_max, out_max : tuple of int
    n_isolated : tuple of int
        Nodes of each layer without any edge.
    """

    layer_sizes: tuple
    connections: tuple
    density: tuple
    in_mean: tuple
    in_std: tuple
    in_max: tuple
    out_mean: tuple
    out_std: tuple
    out_max: tuple
    n_isolated: tuple

    def __repr__(self):
        return concise_repr(self)

    @property
    def total_connections(self):
        return sum(self.connections)

    @property
    def total_density(self):
        possible = sum(a * b for a, b in zip(self.layer_sizes[:-1], self.layer_sizes[1:]))
        return self.total_connections / possible if possible else math.nan

    def to_dict(self):
        """JSON-safe dict of every field plus provenance."""
        fields = {k: getattr(self, k) for k in self.__dataclass_fields__}
        return jsonable(
            {
                **fields,
                "total_connections": self.total_connections,
                "total_density": self.total_density,
                "provenance": provenance("layer_summary"),
            }
        )


def _degrees(s, direction):
    if direction == "in":
        return s.in_degree
    if direction == "out":
        return s.out_degree
    return s.in_degree + s.out_degree


def _layer_nodes(G, s, layer):
    """The ids (in ``s``) and labels of the nodes of ``layer``, by position.

    A layered graph's layer; a channel-level graph's space (its nodes ``(layer, index)``, edges
    that may skip spaces), whose in-degrees are those of the block that writes it.
    """
    spaces = graph_attribute(G, "spaces") if graph_attribute(G, "contract") == CONTRACT else None
    if s.layered is not None or spaces is None:
        lay = s.require_layered()
        layer = check_layer(layer, len(lay.sizes))
        ids = np.flatnonzero(lay.layer == layer)
        return ids[np.argsort(lay.pos[ids])], lay.nodes[layer]
    layer = check_layer(layer, len(spaces))
    nodes = tuple((layer, i) for i in range(int(spaces[layer]["units"])))
    return np.array([s.index[v] for v in nodes], dtype=np.int64), nodes


def degree_distribution(G, *, direction="in", layer=None):
    """Degree of every node and the distribution of degrees.

    Parameters
    ----------
    G : networkx.DiGraph
        Any directed graph. A self-loop adds one to both the in- and the out-degree.
    direction : {"in", "out", "total"}, optional
        Which degree: incoming edges, outgoing edges or both.
    layer : int, optional
        Only the nodes of this layer (``G`` must then be layered, or a channel-level graph:
        the nodes of this space, whose in-degrees are those of the block writing it). Default:
        all nodes.

    Returns
    -------
    DegreeDistribution

    Raises
    ------
    ParameterError
        If ``direction`` is unknown, ``G`` is not directed or ``layer`` is out of range.
    GraphContractError
        If ``layer`` is given and ``G`` is not layered.

    Examples
    --------
    >>> import networkx as nx
    >>> d = degree_distribution(nx.DiGraph([(0, 1), (0, 2), (1, 2)]), direction="out")
    >>> d.degrees.tolist(), d.histogram.tolist(), d.ccdf.tolist()
    ([2, 1, 0], [1, 1, 1], [1.0, 0.6666666666666666, 0.3333333333333333])
    """
    check_choice(direction, _DIRECTIONS, name="direction")
    s = structure(G)
    deg = _degrees(s, direction)
    total = s.in_degree + s.out_degree
    nodes = s.nodes
    if layer is not None:
        ids, nodes = _layer_nodes(G, s, layer)
        deg, total = deg[ids], total[ids]
    if deg.size:
        hist = np.bincount(deg)
        ccdf = np.cumsum(hist[::-1])[::-1] / deg.size
        mean, std, mx = float(deg.mean()), float(deg.std()), int(deg.max())
    else:
        hist, ccdf, mean, std, mx = np.zeros(0, np.int64), np.zeros(0), math.nan, math.nan, 0
    return DegreeDistribution(
        direction=direction,
        layer=layer,
        nodes=tuple(nodes),
        degrees=frozen_array(deg, np.int64),
        histogram=frozen_array(hist, np.int64),
        ccdf=frozen_array(ccdf, np.float64),
        mean=mean,
        std=std,
        max=mx,
        n_isolated=int(np.count_nonzero(total == 0)),
    )


def layer_summary(G):
    """Connections, density and degree statistics of each layer of a layered graph.

    Parameters
    ----------
    G : networkx.DiGraph
        A layered graph, e.g. from :func:`netgraph.to_graph`.

    Returns
    -------
    LayerSummary

    Raises
    ------
    GraphContractError
        If ``G`` is not layered.

    Examples
    --------
    >>> import networkx as nx
    >>> G = nx.DiGraph([((0, 0), (1, 0)), ((0, 1), (1, 0)), ((1, 0), (2, 0))])
    >>> G.add_node((1, 1))
    >>> s = layer_summary(G)
    >>> s.layer_sizes, s.connections, s.density, s.in_mean, s.n_isolated
    ((2, 2, 1), (2, 1), (0.5, 0.5), (nan, 1.0, 1.0), (0, 1, 0))
    """
    s = structure(G)
    lay = s.require_layered()
    n_layers = len(lay.sizes)
    # every edge leaves layer l for l + 1: a block's connections are its sources' out-degrees
    conn = np.bincount(lay.layer, weights=s.out_degree, minlength=n_layers)[:-1].astype(np.int64)
    total = s.in_degree + s.out_degree
    stats = {k: [] for k in ("in_mean", "in_std", "in_max", "out_mean", "out_std", "out_max", "n_isolated")}
    for l in range(n_layers):
        sel = lay.layer == l
        for key, deg, empty in (("in", s.in_degree, l == 0), ("out", s.out_degree, l == n_layers - 1)):
            d = deg[sel]
            stats[f"{key}_mean"].append(math.nan if empty else float(d.mean()))
            stats[f"{key}_std"].append(math.nan if empty else float(d.std()))
            stats[f"{key}_max"].append(0 if empty else int(d.max()))
        stats["n_isolated"].append(int(np.count_nonzero(total[sel] == 0)))
    possible = [a * b for a, b in zip(lay.sizes[:-1], lay.sizes[1:])]
    return LayerSummary(
        layer_sizes=lay.sizes,
        connections=tuple(int(c) for c in conn),
        density=tuple(int(c) / p for c, p in zip(conn, possible)),
        **{k: tuple(v) for k, v in stats.items()},
    )


def input_connectivity(G, *, shape=None):
    """Out-degree of each input unit (layer 0), as an image.

    Training with SET keeps the connections of informative inputs: on MNIST the map shows
    the digit area bright and the border dark.

    Parameters
    ----------
    G : networkx.DiGraph
        A layered graph.
    shape : tuple of int, optional
        Shape of the image; its product must equal the number of inputs. Default: square
        when the number of inputs is a perfect square (``(28, 28)`` for 784 inputs),
        else ``(1, n_inputs)``.

    Returns
    -------
    numpy.ndarray of int64
        ``image.ravel()[i]`` is the out-degree of input ``i`` (by position).

    Raises
    ------
    ParameterError
        If ``shape`` does not hold the inputs.
    GraphContractError
        If ``G`` is not layered.

    Examples
    --------
    >>> import networkx as nx
    >>> G = nx.DiGraph([((0, 0), (1, 0)), ((0, 3), (1, 0)), ((0, 3), (1, 1))])
    >>> G.add_nodes_from([(0, 1), (0, 2)])
    >>> input_connectivity(G).tolist()
    [[1, 0], [0, 2]]
    """
    s = structure(G)
    lay = s.require_layered()
    n_in = lay.sizes[0]
    if shape is None:
        side = math.isqrt(n_in)
        shape = (side, side) if side * side == n_in else (1, n_in)
    try:
        shape = tuple(int(x) for x in shape)
    except (TypeError, ValueError):
        raise ParameterError(f"shape={shape!r}: expected a tuple of ints") from None
    if math.prod(shape) != n_in or any(x < 1 for x in shape):
        raise ParameterError(f"shape={shape!r} holds {math.prod(shape)} values, expected {n_in} (the number of inputs)")
    ids = np.flatnonzero(lay.layer == 0)
    out = np.zeros(n_in, dtype=np.int64)
    out[lay.pos[ids]] = s.out_degree[ids]
    return out.reshape(shape)


_MIN_FIT_NODES = 10
_FIT_KEYS = ("alpha", "xmin", "loglikelihood_ratio", "p_value", "preferred")


def _skipped(reason):
    return {**dict.fromkeys(_FIT_KEYS), "skipped": reason}


def _why_not_fittable(data, xmin):
    """Why the positive degrees ``data`` cannot be fitted (None when they can)."""
    distinct = np.unique(data)
    if data.size < _MIN_FIT_NODES:
        return f"fewer than {_MIN_FIT_NODES} nodes have a positive degree"
    if distinct.size == 1:
        return "all positive degrees are equal"
    if xmin is None and distinct.size < 3:
        # powerlaw never tries the largest value as xmin and needs two candidates
        return "fewer than 3 distinct positive degrees"
    if xmin is not None and np.unique(data[data >= xmin]).size < 2:
        return "fewer than 2 distinct degrees are >= xmin"
    return None


def compare_power_law(dist, *, xmin=None):
    """Compare power-law and lognormal fits of a degree distribution (optional ``powerlaw`` package).

    A degree distribution too narrow to fit (every unit of a dense network has nearly the same
    degree) gets no fit but the reason why: the result's ``"skipped"`` says it, and every other
    value is None. Nothing raised inside ``powerlaw`` escapes; it becomes the reason.

    Parameters
    ----------
    dist : DegreeDistribution
        Only the positive degrees are fitted.
    xmin : int, optional
        Smallest degree fitted; default: chosen by ``powerlaw`` (Clauset et al. 2009).

    Returns
    -------
    dict or None
        ``{"alpha", "xmin", "loglikelihood_ratio", "p_value", "preferred", "skipped"}`` where a
        positive ratio favours the power law; ``preferred`` is ``"power_law"``, ``"lognormal"``
        or ``"undecided"`` (p >= 0.1). ``skipped`` is None for a fit, else the reason there is
        none (then the other values are None): fewer than 10 nodes have a positive degree, all
        positive degrees are equal, fewer than 3 distinct positive degrees (``powerlaw``'s
        search for ``xmin`` needs three), fewer than 2 distinct degrees are >= ``xmin``,
        ``powerlaw``'s xmin search left no degrees to fit, ``powerlaw`` failed (the exception),
        or ``powerlaw`` returned no finite fit. None when ``powerlaw`` is not installed and the
        degrees could be fitted.

    Raises
    ------
    ParameterError
        If ``dist`` is not a :class:`DegreeDistribution` or ``xmin`` not a positive int.

    References
    ----------
    Alstott, Bullmore & Plenz, "powerlaw: a Python package for analysis of heavy-tailed
    distributions", PLoS ONE 9 (2014). Clauset, Shalizi & Newman, SIAM Review 51 (2009).

    Examples
    --------
    Every unit of a directed cycle has degree 2: there is nothing to fit.

    >>> import networkx as nx
    >>> ring = nx.DiGraph([(i, (i + 1) % 12) for i in range(12)])
    >>> compare_power_law(degree_distribution(ring, direction="total"))["skipped"]
    'all positive degrees are equal'
    """
    if not isinstance(dist, DegreeDistribution):
        raise ParameterError(f"dist is a {type(dist).__name__}, expected a DegreeDistribution")
    xmin = NoneOr(_POSITIVE)(xmin, name="xmin")
    data = dist.degrees[dist.degrees > 0]
    reason = _why_not_fittable(data, xmin)
    if reason is not None:
        return _skipped(reason)
    try:
        import powerlaw
    except ImportError:
        return None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            kwargs = {"discrete": True, "verbose": False}
            if xmin is not None:
                kwargs["xmin"] = int(xmin)
            fit = powerlaw.Fit(data, **kwargs)
            ratio, p = fit.distribution_compare("power_law", "lognormal", normalized_ratio=True)
            alpha, fitted_xmin = fit.power_law.alpha, fit.power_law.xmin
    except Exception as exc:  # noqa: BLE001 - whatever powerlaw raises becomes the reason
        if "No data points in defined range" in str(exc):
            return _skipped("powerlaw's xmin search left no degrees to fit")
        return _skipped(f"powerlaw failed ({type(exc).__name__}: {exc})")
    try:
        finite = all(math.isfinite(float(x)) for x in (alpha, fitted_xmin, ratio, p))
    except (TypeError, ValueError):
        finite = False
    if not finite:
        return _skipped("powerlaw returned no finite fit")
    preferred = "undecided" if not p < 0.1 else ("power_law" if ratio > 0 else "lognormal")
    return jsonable(
        {
            "alpha": alpha,
            "xmin": fitted_xmin,
            "loglikelihood_ratio": ratio,
            "p_value": p,
            "preferred": preferred,
            "skipped": None,
        }
    )
