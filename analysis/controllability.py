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

from dataclasses import dataclass

import networkx as nx
import numpy as np
from scipy.sparse.csgraph import maximum_bipartite_matching

from netgraph.fileio import jsonable
from netgraph.validation import check_layer_sizes

from ._results import concise_repr, provenance
from ._structure import is_network, node_to_json, structure

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
        For a layered graph: nodes per layer (else None, like the fields below).
    layer_drivers : tuple of int or None
        Drivers in each layer.
    layer_bound : tuple of int or None
        The width bound per layer: ``n_0`` for the inputs, ``max(0, n_l - n_{l-1})`` after.
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
        """The width bound on ``count`` (None when the graph is not layered)."""
        return None if self.layer_bound is None else sum(self.layer_bound)

    @property
    def shortfall(self):
        """``count - bound`` (None when the graph is not layered)."""
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
        layered graphs also the per-layer drivers, width bound and shortfall.

    Raises
    ------
    ParameterError
        If ``G`` is not a directed networkx graph.

    Examples
    --------
    A directed path needs one driver, its first node; a cycle needs one, any node:

    >>> import networkx as nx
    >>> driver_nodes(nx.path_graph(4, create_using=nx.DiGraph)).nodes
    (0,)
    >>> d = driver_nodes(nx.cycle_graph(3, create_using=nx.DiGraph))
    >>> d.count, d.matching_size
    (1, 3)
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
    if lay is not None:
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
