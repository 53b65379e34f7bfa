"""Structural controllability: driver nodes by maximum matching.

A directed network is structurally controllable from a set of *driver nodes* that receive
independent input signals. Liu, Slotine & Barabási (2011) showed that the minimum number of
drivers is

.. math::

    N_D = \\max(N - |M^*|, 1)

where :math:`M^*` is a maximum matching of the graph: a largest set of edges no two of which
share a start node or an end node. The nodes no matched edge points to are drivers; when the
matching is perfect, any one node will do. Self-loops ``i -> i`` are edges like any other and
isolated nodes are always drivers.

The matching is a maximum matching of the bipartite graph whose left side holds each node's
"out" copy and whose right side each node's "in" copy, computed with
:func:`scipy.sparse.csgraph.maximum_bipartite_matching` (Hopcroft–Karp) on the graph's CSR
adjacency. In a layered network every edge joins layer ``l`` to ``l + 1``, so the matching
splits into independent blocks, one per adjacent pair of layers; block ``l`` can match at most
``min(n_l, n_{l+1})`` edges, which gives the *width bound*

.. math::

    N_D \\ge n_0 + \\sum_l \\max(0, n_{l+1} - n_l).

Random masks sit on the bound unless very sparse, so the *shortfall* above it per layer,
``min(n_l, n_{l+1}) - |M_l|``, is what carries information about a trained topology.

A *channel-level graph* (:mod:`netgraph.channels`: ``G.graph["contract"] ==
"netgraph-channels-1"``, nodes ``(space, index)``) of a convolutional or residual network is a
DAG whose edges may skip spaces, so it is not layered; its bound is taken space by space. Let
:math:`P_m` be the units that can feed space ``m``: the distinct nodes of the ``"inputs"`` of
the weight layer that writes ``m`` (its traced wiring, whether pruning kept their edges or
not) together with every unit of each space from which ``G`` has an edge into ``m`` (the two
operands of a residual add, say), and :math:`S_m = |P_m|`. Then

.. math::

    N_D \\ge \\sum_m \\max(0, n_m - S_m),

``n_0`` for the input (:math:`S_0 = 0`). Proof: every edge into ``m`` starts in :math:`P_m`
and a matching uses each out-copy once, so at most :math:`\\min(n_m, S_m)` in-copies of
``m``'s units are matched and at least :math:`\\max(0, n_m - S_m)` of them are drivers.
The spaces are disjoint, so these per-space counts add up to a bound on :math:`N_D`; a source
shared by several spaces can be matched into only one of them, which can only raise
:math:`N_D` further above the sum, never bring it below. For a chain :math:`S_m = n_{m-1}`:
the width bound. A channel graph gets this bound even when it is also layered: a chain of
convolutions has the width bound; a block view (:func:`netgraph.channels.block_view`), whose
input spaces nothing enters, a tighter one (all of their units). Unlike a layered graph's, a
channel graph's drivers per space are those of the computed matching: where spaces share
sources, another maximum matching can move drivers between them (the count stays).

For residual networks the bound is looser, and may be far from tight, because sources are
shared: a residual add has :math:`S_m = 2 n_m` and bound 0, and a space read by several
layers counts its units for each of them. A downsampling block whose first convolution and
shortcut both map the same ``C`` channels to ``2C`` gets bound ``C + C``, though ``C``
out-copies can match at most ``C`` of those ``4C`` in-copies, so even the dense wiring
needs ``3C`` drivers there. The shortfall of a channel graph therefore counts drivers that the
architecture's shared sources force as well as those its topology adds.

Examples
--------
>>> import networkx as nx
>>> d = driver_nodes(nx.DiGraph([(0, 1), (0, 2)]))
>>> d.count, d.fraction
(2, 0.6666666666666666)

References
----------
Liu, Y.-Y., Slotine, J.-J. & Barabási, A.-L. "Controllability of complex networks",
Nature 473, 167–173 (2011).
"""

import numbers
from dataclasses import dataclass

import networkx as nx
import numpy as np
from scipy.sparse.csgraph import maximum_bipartite_matching

from netgraph.channel_network import CONTRACT
from netgraph.errors import GraphContractError
from netgraph.fileio import jsonable
from netgraph.validation import check_layer_sizes

from ._results import concise_repr, provenance
from ._structure import graph_attribute, is_channel_network, is_network, node_to_json, structure

__all__ = ["DriverNodes", "driver_nodes", "width_bound"]


@dataclass(frozen=True, eq=False)
class DriverNodes:
    """A minimum set of driver nodes and the matching it comes from.

    Attributes
    ----------
    count : int
        :math:`N_D = \\max(N - |M^*|, 1)`, or 0 for a graph without nodes.
    fraction : float
        ``count / N`` (0.0 for a graph without nodes).
    nodes : tuple
        One minimum driver set, in ``G``'s node order. Minimum driver sets are in general not
        unique: this is the one the computed matching gives.
    matching : tuple of (u, v)
        The edges of a maximum matching.
    n_nodes : int
    layer_sizes : tuple of int or None
        For a layered graph: nodes per layer; for a channel-level graph: units per space (else
        None, like the fields below).
    layer_drivers : tuple of int or None
        Drivers in each layer (space).
    layer_bound : tuple of int or None
        The width bound per layer: ``n_0`` for the inputs, ``max(0, n_l - n_{l-1})`` after;
        per space of a channel-level graph ``max(0, n_m - S_m)`` (see the module docstring).
    layer_shortfall : tuple of int or None
        ``layer_drivers - layer_bound``; 0 for the inputs.
    """

    count: int
    fraction: float
    nodes: tuple
    matching: tuple
    n_nodes: int
    layer_sizes: tuple | None = None
    layer_drivers: tuple | None = None
    layer_bound: tuple | None = None
    layer_shortfall: tuple | None = None

    def __repr__(self):
        return concise_repr(self)

    @property
    def matching_size(self):
        return len(self.matching)

    @property
    def bound(self):
        """The width bound on ``count``, or a channel-level graph's bound (None for other graphs)."""
        return None if self.layer_bound is None else sum(self.layer_bound)

    @property
    def shortfall(self):
        """``count - bound`` (None when there is no bound)."""
        return None if self.layer_shortfall is None else sum(self.layer_shortfall)

    def to_dict(self, *, nodes=True):
        """JSON-safe dict of every field plus provenance.

        Parameters
        ----------
        nodes : bool, optional
            Include the driver nodes and the matching (long lists for big graphs).
        """
        out = {
            "count": self.count,
            "fraction": self.fraction,
            "n_nodes": self.n_nodes,
            "matching_size": self.matching_size,
            "bound": self.bound,
            "shortfall": self.shortfall,
            "layer_sizes": self.layer_sizes,
            "layer_drivers": self.layer_drivers,
            "layer_bound": self.layer_bound,
            "layer_shortfall": self.layer_shortfall,
        }
        if nodes:
            out["nodes"] = [node_to_json(n) for n in self.nodes]
            out["matching"] = [[node_to_json(u), node_to_json(v)] for u, v in self.matching]
        out["provenance"] = provenance("driver_nodes")
        return jsonable(out)


def width_bound(layer_sizes):
    """Lower bound on the driver nodes of a layered network, per layer.

    Parameters
    ----------
    layer_sizes : sequence of int, networkx.DiGraph or network
        The widths of the layers, or a layered graph or network (its layer sizes are used).

    Returns
    -------
    tuple of int
        ``n_0`` followed by ``max(0, n_{l+1} - n_l)`` for each later layer; the bound is the sum.

    Raises
    ------
    ParameterError
        If ``layer_sizes`` is not a sequence of at least two positive ints.
    GraphContractError
        If it is a graph that is not layered.

    Examples
    --------
    >>> width_bound([784, 1000, 1000, 10])
    (784, 216, 0, 0)
    >>> import networkx as nx
    >>> width_bound(nx.DiGraph([((0, 0), (1, 0)), ((0, 0), (1, 1))]))
    (1, 1)
    """
    if isinstance(layer_sizes, nx.Graph) or is_network(layer_sizes):
        layer_sizes = structure(layer_sizes, name="layer_sizes").require_layered(name="layer_sizes").sizes
    sizes = check_layer_sizes(layer_sizes)
    return (sizes[0],) + tuple(max(0, b - a) for a, b in zip(sizes[:-1], sizes[1:]))


def driver_nodes(G):
    """Minimum driver nodes for structural controllability (Liu, Slotine & Barabási 2011).

    Parameters
    ----------
    G : networkx.DiGraph
        Any directed graph; self-loops count as edges, edge weights are ignored.

    Returns
    -------
    DriverNodes
        ``count`` = ``max(N - |M|, 1)`` for ``N >= 1`` nodes, 0 for the empty graph; for
        layered graphs also the per-layer drivers, width bound and shortfall; for channel-level
        graphs (:mod:`netgraph.channels`) the same per space, with the bound of the module
        docstring.

    Raises
    ------
    ParameterError
        If ``G`` is not a directed networkx graph.
    GraphContractError
        If ``G`` claims the channel contract but its nodes are not the units of its spaces, or
        a weight layer's record names a space or an input that is not in it.

    Examples
    --------
    A directed path needs one driver, its first node; a cycle needs one, any node:

    >>> import networkx as nx
    >>> driver_nodes(nx.path_graph(4, create_using=nx.DiGraph)).nodes
    (0,)
    >>> d = driver_nodes(nx.cycle_graph(3, create_using=nx.DiGraph))
    >>> d.count, d.matching_size
    (1, 3)

    A channel-level graph of a residual block: 2 input channels, a convolution to 3 (space 1),
    one from 3 to 3 (space 2), their sum (space 3). Space 1 can be fed by 2 units, so one of
    its 3 is a driver; space 2 by 3, the add by the 6 units of its operands:

    >>> spaces = [{"units": n, "kind": k, "module": ""} for n, k in [(2, "input"), (3, "conv"), (3, "conv"), (3, "add")]]
    >>> layers = [{"inputs": [[0, 0], [0, 1]], "output": 1}, {"inputs": [[1, j] for j in range(3)], "output": 2}]
    >>> G = nx.DiGraph(contract="netgraph-channels-1", spaces=spaces, layers=layers)
    >>> G.add_edges_from(((0, i), (1, j)) for i in range(2) for j in range(3))
    >>> G.add_edges_from(((1, 0), (2, j)) for j in range(3))  # pruned: only channel 0 feeds space 2
    >>> G.add_edges_from(((s, j), (3, j)) for s in (1, 2) for j in range(3))
    >>> d = driver_nodes(G)
    >>> d.count, d.layer_drivers, d.layer_bound, d.layer_shortfall
    (5, (2, 1, 2, 0), (2, 1, 0, 0), (0, 0, 2, 0))
    """
    s = structure(G)
    n = s.n_nodes
    if n == 0:
        return DriverNodes(count=0, fraction=0.0, nodes=(), matching=(), n_nodes=0)
    A = s.csr()
    A.eliminate_zeros()  # scipy counts explicitly stored zeros as edges
    # perm_type="column": entry r is the column (target) matched to row (source) r, or -1
    col_of_row = maximum_bipartite_matching(A, perm_type="column")
    rows = np.flatnonzero(col_of_row >= 0)
    cols = col_of_row[rows]
    matched = np.zeros(n, dtype=bool)
    matched[cols] = True
    drivers = np.flatnonzero(~matched)
    if drivers.size == 0:  # perfect matching: one driver, any node
        drivers = np.array([0])
    count = int(drivers.size)
    nodes = s.nodes
    extra = {}
    lay = s.layered
    wiring = _channel_wiring(G)
    if wiring is not None:
        space, sizes, bound = _space_bound(s, *wiring)
        per_space = np.bincount(space[drivers], minlength=len(sizes))
        extra = {
            "layer_sizes": sizes,
            "layer_drivers": tuple(int(x) for x in per_space),
            "layer_bound": bound,
            "layer_shortfall": tuple(int(d) - b for d, b in zip(per_space, bound)),
        }
    elif lay is not None:
        per_layer = np.bincount(lay.layer[~matched], minlength=len(lay.sizes))
        bound = width_bound(lay.sizes) if len(lay.sizes) > 1 else (lay.sizes[0],)
        extra = {
            "layer_sizes": lay.sizes,
            "layer_drivers": tuple(int(x) for x in per_layer),
            "layer_bound": bound,
            "layer_shortfall": tuple(int(d) - b for d, b in zip(per_layer, bound)),
        }
    return DriverNodes(
        count=count,
        fraction=count / n,
        nodes=tuple(nodes[k] for k in drivers.tolist()),
        matching=tuple((nodes[r], nodes[c]) for r, c in zip(rows.tolist(), cols.tolist())),
        n_nodes=n,
        **extra,
    )


def _channel_wiring(G):
    """``(spaces, layers)`` of a channel-level graph, or None for any other input.

    The one place the channel contract's wiring is read: ``G.graph`` of a networkx graph, or
    the same of a :class:`~netgraph.channel_network.ChannelNetwork`.
    """
    if not (isinstance(G, nx.Graph) or is_channel_network(G)):
        return None
    meta = {k: graph_attribute(G, k) for k in ("contract", "spaces", "layers")}
    if meta["contract"] != CONTRACT:
        return None
    spaces, layers = meta.get("spaces"), meta.get("layers")
    if not isinstance(spaces, list | tuple):
        return None
    layers = [] if layers is None else layers
    if not isinstance(layers, list | tuple):
        raise GraphContractError(f"G is a channel-level graph whose 'layers' is a {type(layers).__name__}, not a list")
    return spaces, layers


def _space_bound(s, spaces, layers):
    """The space of every node (in ``s``'s order), the units per space and ``max(0, n_m - S_m)`` per space.

    ``S_m`` counts the units that can feed space ``m`` (see the module docstring): the distinct
    inputs of the weight layers writing ``m``, and every unit of each space with an edge into ``m``.
    """
    sizes = []
    for m, entry in enumerate(spaces):
        units = entry.get("units") if isinstance(entry, dict) else None
        if not (_is_int(units) and units >= 0):
            raise GraphContractError(f"space {m} of the channel-level graph G has no int 'units' >= 0: {entry!r}")
        sizes.append(units)
    n_spaces = len(sizes)
    units = [(m, i) for m, n in enumerate(sizes) for i in range(n)]
    ids = list(map(s.index.get, units))
    if None in ids:
        m, i = units[ids.index(None)]
        raise GraphContractError(f"space {m} of the channel-level graph G has {sizes[m]} units but no node {(m, i)!r}")
    if len(ids) != s.n_nodes:  # every unit is a node: the others are not units
        known = set(ids)
        node = next(s.nodes[k] for k in range(s.n_nodes) if k not in known)
        raise GraphContractError(
            f"node {node!r} of the channel-level graph G is not (space, index) of one of its {n_spaces} spaces"
        )
    space = np.empty(s.n_nodes, dtype=np.int64)
    space[np.array(ids, dtype=np.int64)] = np.repeat(np.arange(n_spaces, dtype=np.int64), sizes)
    # the spaces each space has an edge from, and the units they hold
    pairs = np.unique(space[s.indices] * n_spaces + space[s.sources])
    target, source = np.divmod(pairs, n_spaces)
    feeds = np.bincount(target, weights=np.asarray(sizes, dtype=np.int64)[source], minlength=n_spaces).astype(np.int64)
    extra = {}  # per space, the ids of its layer's inputs in spaces with no edge into it
    for record in layers:
        out = record.get("output") if isinstance(record, dict) else None
        if not (_is_int(out) and 0 <= out < n_spaces):
            raise GraphContractError(f"a weight layer of the channel-level graph G writes no space of it: {record!r}")
        inputs = record.get("inputs", [])
        try:
            ids = [s.index.get(tuple(v)) for v in inputs]
        except TypeError:  # not a list of lists
            ids = None
        if ids is None or None in ids:
            bad = inputs if ids is None else inputs[ids.index(None)]
            raise GraphContractError(
                f"weight layer {record.get('module', '')!r} of the channel-level graph G reads {bad!r}, not a node of G"
            )
        ids = np.asarray(ids, dtype=np.int64)
        extra.setdefault(out, []).append(ids[~np.isin(out * n_spaces + space[ids], pairs)])
    sources = feeds.copy()
    for out, parts in extra.items():
        sources[out] += np.unique(np.concatenate(parts)).size
    bound = tuple(max(0, n - int(f)) for n, f in zip(sizes, sources))
    return space, tuple(sizes), bound


def _is_int(x):
    return isinstance(x, numbers.Integral) and not isinstance(x, bool)
