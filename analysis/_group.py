"""A comparison computed once: a group of networks of one architecture, its measures and baselines (private kernel).

Both :func:`~analysis.summarize_group` and :func:`~analysis.build_report` compute a comparison the
same way, in two steps:

- :func:`measure_group` measures a set of networks of one architecture pair by pair (edge Jaccard
  matrices overall and per block, node Jaccard for a report, and every pair aligned once, its
  aligned Jaccard and NNSTD in one task) and network by network (:class:`NetworkStats`), giving
  :class:`GroupMeasures`; a report measures every network of an architecture at once and takes
  each comparison's part of it (:meth:`GroupMeasures.subset`);
- :func:`compute_group` adds what is drawn or derived for one comparison, its random baselines
  (one random network per network, aligned pairwise through the *pair_map*) and common
  subnetwork, and gives :class:`GroupComputation`: the measures, the baselines, the aligned and
  NNSTD matrices and the :class:`GroupSummary` (published in :mod:`analysis.summary`).
"""

import dataclasses
import math
import numbers
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import networkx as nx
import numpy as np

from netgraph import __version__
from netgraph.errors import ParameterError
from netgraph.fileio import jsonable
from netgraph.validation import check_rng

from ._common import min_count
from ._null import block_values, null_rows
from ._pairs import aligned_and_nnstd_pairs, check_pairs
from ._results import concise_repr, frozen_array, provenance, published
from ._structure import graph_meta, structure
from .controllability import driver_nodes
from .degrees import degree_distribution, layer_summary
from .similarity import SimilarityMatrix, common_subnetwork_curve, similarity_matrix

__all__ = [
    "MIN_SHARES",
    "NULL_MODEL",
    "GroupSummary",
    "NetworkStats",
    "GroupMeasures",
    "GroupComputation",
    "measure_group",
    "compute_group",
]

#: ``min_share`` values at which :func:`~analysis.summarize_group` reports the common subnetwork.
MIN_SHARES = (1.0, 0.8)

#: The random baseline of a group, as its summary's parameters record it.
NULL_MODEL = "one random mask per network, same edge count per block"


@published("analysis.summary")
@dataclass(frozen=True)
class GroupSummary:
    """Cross-seed structure of a group of networks of one architecture (see :func:`~analysis.summarize_group`).

    Jaccard dicts map ``"overall"`` and ``"0"``, ``"1"``, ... (block ``l -> l + 1``) to the mean
    over the pairs of networks.

    Attributes
    ----------
    method : str
        The name of the group.
    n_networks : int
    seeds : list
        ``meta["seed"]`` of each network (None where not recorded).
    layer_sizes : list of int
    connections : list of float
        Mean connections per block.
    total_connections : float
    density : float
        Mean overall density.
    edge, edge_chance : dict
        Raw edge Jaccard and its chance level: ``d1 d2 / (d1 + d2 - d1 d2)`` per block; overall,
        the expected intersection of random masks summed over the blocks (so blocks of different
        densities, e.g. a dense output layer, are accounted for) over the expected union.
    aligned, aligned_null : dict
        Jaccard after NNSTD alignment of the hidden neurons, and the same for random masks with
        the same edge count per block (one random network per network, aligned pairwise; see
        the module docstring). Values are nan when the summary was made with ``aligned=False``.
    nnstd, nnstd_null : dict
        Mean NNSTD (:func:`~analysis.nnstd`, a distance: lower = more similar; ``"overall"`` is
        the mean of the pairs' NNSTD, ``"0"``, ``"1"``, ... of their layer distances), and the
        same for the pairs of random networks of ``aligned_null``. nan with ``aligned=False``.
    common_edges : dict
        ``str(min_share)`` -> edges present in at least ``ceil(min_share * k)`` networks.
    common_edges_chance : dict
        The expected number for independent random masks of the networks' per-block densities.
    common_curve, common_curve_chance : dict
        The same for every ``min_share`` ``t / k``, ``t = 1 .. k`` (keys ``f"{t / k:.3g}"``).
    input_correlation : float
        Mean pairwise Pearson correlation of the input units' out-degrees (which inputs keep
        connections): inputs are the same units in every run, so this compares them without any
        permutation symmetry (nan when a network's input degrees are all equal, e.g. dense).
    driver_fraction, driver_shortfall : float
        Mean ``N_D / N`` and mean ``N_D`` minus the width bound.
    layer_shortfall : list of float
        Mean shortfall per layer.
    degrees : dict
        Means over the networks of :class:`~analysis.LayerSummary` fields (``in_mean``,
        ``in_std``, ``in_max``, ``out_mean``, ``out_std``, ``out_max``, ``n_isolated``), per layer.
    seconds : float
        Time taken by the summary.
    netgraph_version : str
    parameters : dict
        ``min_shares``, the ``aligned_null`` model, whether alignments were computed and the
        ``rng`` (an int or None; a Generator is recorded by its repr).

    Examples
    --------
    >>> import json, networkx as nx
    >>> G = nx.DiGraph([((0, 0), (1, 0)), ((0, 1), (1, 0))])
    >>> d = summarize_group([G, G.copy()], method="same", rng=0).to_dict()
    >>> d["method"], d["edge"], d["input_correlation"], d["provenance"]["function"]
    ('same', {'overall': 1.0, '0': 1.0}, None, 'analysis.summarize_group')
    >>> json.loads(json.dumps(d)) == d
    True
    """

    method: str
    n_networks: int
    seeds: list
    layer_sizes: list
    connections: list
    total_connections: float
    density: float
    edge: dict
    edge_chance: dict
    aligned: dict
    aligned_null: dict
    nnstd: dict
    nnstd_null: dict
    common_edges: dict
    common_edges_chance: dict
    common_curve: dict
    common_curve_chance: dict
    input_correlation: float
    driver_fraction: float
    driver_shortfall: float
    layer_shortfall: list
    degrees: dict
    seconds: float = 0.0
    netgraph_version: str = __version__
    parameters: dict = field(default_factory=dict)

    def __repr__(self):
        return concise_repr(self)

    def to_dict(self):
        """JSON-safe dict of every field (non-finite floats become None) plus provenance."""
        out = dataclasses.asdict(self)
        out["provenance"] = provenance("summarize_group", method=self.method, **self.parameters)
        return jsonable(out)


@dataclass(frozen=True, eq=False)
class NetworkStats:
    """What a comparison reads of one of its networks.

    Attributes
    ----------
    summary : LayerSummary
        :func:`~analysis.layer_summary` of the network.
    drivers : DriverNodes
        :func:`~analysis.driver_nodes` of the network.
    input_degrees : numpy.ndarray
        The out-degrees of its inputs, ``degree_distribution(G, direction="out", layer=0).degrees``.
    """

    summary: object
    drivers: object
    input_degrees: object

    @classmethod
    def of(cls, G):
        """The statistics of the network ``G``, computed.

        Parameters
        ----------
        G : networkx.DiGraph
            A layered graph or a network.

        Returns
        -------
        NetworkStats
        """
        return cls(
            summary=layer_summary(G),
            drivers=driver_nodes(G),
            input_degrees=degree_distribution(G, direction="out", layer=0).degrees,
        )


@dataclass(frozen=True, eq=False)
class GroupMeasures:
    """A set of networks of one architecture measured pair by pair and network by network (see :func:`measure_group`).

    Attributes
    ----------
    graphs : tuple
        The networks (graphs or networks), in order.
    labels : tuple of str
    edge : SimilarityMatrix
        Raw edge Jaccard of every pair, over all blocks.
    edge_by_layer : tuple of SimilarityMatrix
        The same per block ``l -> l + 1``.
    node : SimilarityMatrix or None
        Node Jaccard of every pair (None when not measured).
    aligned : dict or None
        ``(a, b)`` -> :func:`~analysis.aligned_jaccard` of the networks ``a < b``, in row order;
        None without alignment.
    nnstd : dict or None
        ``(a, b)`` -> :func:`~analysis.nnstd` of the same pairs; None without alignment.
    networks : tuple of NetworkStats
        One per network.
    """

    graphs: tuple
    labels: tuple
    edge: SimilarityMatrix
    edge_by_layer: tuple
    node: SimilarityMatrix | None
    aligned: dict | None
    nnstd: dict | None
    networks: tuple

    def __repr__(self):
        return concise_repr(self)

    def subset(self, ids):
        """The measures of the networks at the increasing positions ``ids``, renumbered from 0.

        Parameters
        ----------
        ids : sequence of int

        Returns
        -------
        GroupMeasures
        """
        ids = list(ids)
        pairs = [(n, m) for n in range(len(ids)) for m in range(n + 1, len(ids))]

        def part(found):
            return None if found is None else {(n, m): found[(ids[n], ids[m])] for n, m in pairs}

        return GroupMeasures(
            graphs=tuple(self.graphs[i] for i in ids),
            labels=tuple(self.labels[i] for i in ids),
            edge=_sub(self.edge, ids),
            edge_by_layer=tuple(_sub(m, ids) for m in self.edge_by_layer),
            node=_sub(self.node, ids),
            aligned=part(self.aligned),
            nnstd=part(self.nnstd),
            networks=tuple(self.networks[i] for i in ids),
        )


def _sub(m, ids):
    """The matrix ``m`` of the networks ``ids`` alone (None for None)."""
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


def measure_group(graphs, *, labels=None, aligned=True, pair_map=None, node=False, networks=None):
    """Measure a set of layered networks of one architecture: every pair once, every network once.

    Parameters
    ----------
    graphs : sequence of networkx.DiGraph
        Layered graphs (or networks) with the same layer sizes.
    labels : sequence of str, optional
        A name per graph (default ``"0"``, ``"1"``, ...).
    aligned : bool, optional
        Align every pair (with at least two networks): its aligned Jaccard and NNSTD in one task
        through ``pair_map``.
    pair_map : callable, optional
        See :func:`~analysis.local_pair_map`.
    node : bool, optional
        Measure the node Jaccard matrix too.
    networks : sequence of NetworkStats, optional
        The statistics of each network, when known (a report computes them with the rest of
        each network's analysis); computed otherwise.

    Returns
    -------
    GroupMeasures

    Raises
    ------
    ArchitectureMismatchError
        If the layer sizes differ.
    """
    edge = similarity_matrix(graphs, kind="edge", labels=labels)  # checks the architectures
    nodes = similarity_matrix(graphs, kind="node", labels=labels) if node else None
    n_blocks = len(structure(graphs[0]).layered.sizes) - 1
    by_layer = tuple(similarity_matrix(graphs, kind="edge", labels=labels, layer=l) for l in range(n_blocks))
    pairs = distances = None
    if aligned and len(graphs) > 1:
        pairs, distances = aligned_and_nnstd_pairs(graphs, check_pairs(None, len(graphs)), pair_map=pair_map)
    if networks is None:
        networks = [NetworkStats.of(G) for G in graphs]
    return GroupMeasures(
        graphs=tuple(graphs),
        labels=edge.labels,
        edge=edge,
        edge_by_layer=by_layer,
        node=nodes,
        aligned=pairs,
        nnstd=distances,
        networks=tuple(networks),
    )


@dataclass(frozen=True, eq=False)
class GroupComputation:
    """One comparison, computed once (see :func:`compute_group`): what its summary states and its report shows.

    Attributes
    ----------
    method : str
        The name of the group.
    structs : tuple
        The structures of the networks.
    measures : GroupMeasures
    curve : CommonSubnetworkCurve
        The common-subnetwork curve of the networks.
    null, nnstd_null : numpy.ndarray, shape (k, k)
        The aligned Jaccard and the NNSTD of each pair's two random networks (nan on the
        diagonal; all nan without alignment).
    aligned_matrix, nnstd_matrix : SimilarityMatrix or None
        The aligned Jaccard matrix, its chance level the pairs' ``null`` (the raw chance level on
        the diagonal), and the NNSTD matrix (``kind="nnstd"``, 0.0 on the diagonal), its chance
        level ``nnstd_null`` (0.0 on the diagonal); None without alignment.
    summary : GroupSummary
    """

    method: str
    structs: tuple
    measures: GroupMeasures
    curve: object
    null: np.ndarray
    nnstd_null: np.ndarray
    aligned_matrix: SimilarityMatrix | None
    nnstd_matrix: SimilarityMatrix | None
    summary: GroupSummary

    def __repr__(self):
        return concise_repr(self)


def check_group(graphs):
    """The structures of ``graphs``: a sequence of at least two layered graphs.

    Parameters
    ----------
    graphs : sequence of networkx.DiGraph

    Returns
    -------
    list of structures

    Raises
    ------
    ParameterError
        If fewer than two graphs are given.
    GraphContractError
        If a graph is not layered (with at least two layers).
    """
    if isinstance(graphs, nx.Graph) or not isinstance(graphs, Sequence) or len(graphs) < 2:
        got = len(graphs) if isinstance(graphs, Sequence) and not isinstance(graphs, str) else repr(graphs)
        raise ParameterError(f"graphs: {got}; need >= 2 graphs")
    structs = [structure(G, name=f"graphs[{k}]") for k, G in enumerate(graphs)]
    for k, st in enumerate(structs):
        st.require_layered(name=f"graphs[{k}]", blocks=True)
    return structs


def compute_group(graphs, *, method=None, aligned=True, rng=None, pair_map=None, measures=None):
    """Compute the comparison of a group of networks: its measures, random baselines, matrices and summary.

    Parameters
    ----------
    graphs : sequence of networkx.DiGraph
        At least two layered graphs of one architecture.
    method : str, optional
        The name of the group; default ``meta["method"]`` of the first graph.
    aligned : bool, optional
        Align the pairs, when ``measures`` are measured here.
    rng : None, int or numpy.random.Generator, optional
        Draws the random networks of the baselines (one per network, in order).
    pair_map : callable, optional
        How the pairs are run (see :func:`~analysis.local_pair_map`).
    measures : GroupMeasures, optional
        The measures of these graphs, when already made (a report's part of an architecture's);
        measured here (:func:`measure_group`) otherwise. They tell whether the pairs are
        aligned.

    Returns
    -------
    GroupComputation
    """
    t0 = time.perf_counter()
    structs = check_group(graphs)
    if measures is None:
        measures = measure_group(graphs, aligned=aligned, pair_map=pair_map)
    k = len(graphs)
    if method is None:
        method = graph_meta(graphs[0]).get("method") or "(no method)"
    null = np.full((k, k), math.nan)
    nnstd_null = np.full((k, k), math.nan)
    rows = None
    if measures.aligned is not None:
        order = check_pairs(None, k)  # a < b, row order
        rows = null_rows(structs, order, check_rng(rng), pair_map)
        for (a, b), row in zip(order, rows):
            null[a, b] = null[b, a] = row["aligned"]["overall"]
            nnstd_null[a, b] = nnstd_null[b, a] = row["nnstd"]["overall"]
    curve = common_subnetwork_curve(graphs, labels=measures.labels)
    summary = _summary(str(method), structs, measures, curve, rows, rng=rng, started=t0)
    aligned_matrix, nnstd_matrix = _pair_matrices(measures, null, nnstd_null)
    return GroupComputation(
        method=str(method),
        structs=tuple(structs),
        measures=measures,
        curve=curve,
        null=null,
        nnstd_null=nnstd_null,
        aligned_matrix=aligned_matrix,
        nnstd_matrix=nnstd_matrix,
        summary=summary,
    )


def _pair_matrices(measures, null, nnstd_null):
    """The aligned Jaccard and NNSTD matrices of ``measures`` with their baselines (None, None without alignment)."""
    if measures.aligned is None:
        return None, None
    n = len(measures.labels)
    values, distances = np.eye(n), np.zeros((n, n))
    for (a, b), j in measures.aligned.items():
        values[a, b] = values[b, a] = j.value
        distances[a, b] = distances[b, a] = measures.nnstd[(a, b)].value
    chance = np.where(np.isnan(null), measures.edge.chance, null)  # the diagonal: the raw chance level
    aligned = SimilarityMatrix(
        values=frozen_array(values), chance=frozen_array(chance), kind="aligned", labels=tuple(measures.labels)
    )
    nnstd = SimilarityMatrix(
        values=frozen_array(distances),
        chance=frozen_array(np.nan_to_num(nnstd_null, nan=0.0)),  # the diagonal: a network's own distance
        kind="nnstd",
        labels=tuple(measures.labels),
    )
    return aligned, nnstd


def _summary(method, structs, measures, curve, rows, *, rng, started):
    """The :class:`GroupSummary` of a computed comparison (``rows``: the random pairs' values, None without alignment)."""
    k = len(structs)
    sizes = list(structs[0].layered.sizes)
    summaries = [net.summary for net in measures.networks]
    drivers = [net.drivers for net in measures.networks]
    edge_values, chance = _edge_means(measures)
    aligned_mean, null_mean, nnstd_mean, nnstd_null_mean = _aligned_means(measures, rows, len(sizes) - 1)
    common, common_chance, curve_edges, curve_chance = _common_counts(curve, sizes, summaries, k)
    return GroupSummary(
        method=method,
        n_networks=k,
        seeds=[graph_meta(G).get("seed") for G in measures.graphs],
        layer_sizes=sizes,
        connections=np.mean([s.connections for s in summaries], axis=0).tolist(),
        total_connections=float(np.mean([s.total_connections for s in summaries])),
        density=float(np.mean([s.total_density for s in summaries])),
        edge=edge_values,
        edge_chance=chance,
        aligned=aligned_mean,
        aligned_null=null_mean,
        nnstd=nnstd_mean,
        nnstd_null=nnstd_null_mean,
        common_edges=common,
        common_edges_chance=common_chance,
        common_curve=curve_edges,
        common_curve_chance=curve_chance,
        input_correlation=_input_correlation([net.input_degrees for net in measures.networks]),
        driver_fraction=float(np.mean([d.fraction for d in drivers])),
        driver_shortfall=float(np.mean([d.shortfall for d in drivers])),
        layer_shortfall=np.mean([d.layer_shortfall for d in drivers], axis=0).tolist(),
        degrees=_degree_means(summaries),
        seconds=time.perf_counter() - started,
        parameters={
            "min_shares": list(MIN_SHARES),
            "aligned_null": NULL_MODEL,
            "aligned": measures.aligned is not None,
            "rng": _rng_record(rng),
        },
    )


def _edge_means(measures):
    """The mean raw edge Jaccard and its chance level: ``"overall"`` and per block (chance: blocks first)."""
    edge_values = {"overall": measures.edge.mean}
    chance = {}
    for l, m in enumerate(measures.edge_by_layer):
        edge_values[str(l)], chance[str(l)] = m.mean, m.mean_chance
    chance["overall"] = measures.edge.mean_chance  # block by block: a dense block counts as shared
    return edge_values, chance


def _aligned_means(measures, rows, n_blocks):
    """Mean aligned Jaccard, its random baseline, mean NNSTD and its random baseline (all nan without alignment)."""
    if rows is None:
        keys = ["overall"] + [str(l) for l in range(n_blocks)]
        return tuple(dict.fromkeys(keys, math.nan) for _ in range(4))
    return (
        _mean_dict([block_values(j.layer_values, j.value) for j in measures.aligned.values()]),
        _mean_dict([row["aligned"] for row in rows]),
        _mean_dict([block_values(d.per_layer, d.value) for d in measures.nnstd.values()]),
        _mean_dict([row["nnstd"] for row in rows]),
    )


def _common_counts(curve, sizes, summaries, k):
    """The common subnetwork at :data:`MIN_SHARES` and at every share, with the expectations for random masks."""
    possible = [a * b for a, b in zip(sizes[:-1], sizes[1:])]
    densities = [np.mean([s.density[l] for s in summaries]) for l in range(len(sizes) - 1)]

    def expected(t):  # edges in at least t of k independent random masks of these block densities
        return float(sum(p * _binom_tail(k, t, d) for p, d in zip(possible, densities)))

    common, common_chance = {}, {}
    for share in MIN_SHARES:
        t = min_count(share, k)
        common[str(share)] = int(curve.edges[t - 1])
        common_chance[str(share)] = expected(t)
    curve_edges = {f"{t / k:.3g}": int(curve.edges[t - 1]) for t in range(1, k + 1)}
    curve_chance = {f"{t / k:.3g}": expected(t) for t in range(1, k + 1)}
    return common, common_chance, curve_edges, curve_chance


def _input_correlation(input_degrees):
    """Mean pairwise Pearson correlation of the networks' input out-degrees (nan pairs where one is constant)."""
    input_deg = [np.asarray(d, dtype=float) for d in input_degrees]
    k = len(input_deg)
    corr = []
    for a in range(k):
        for b in range(a + 1, k):
            if input_deg[a].std() > 0 and input_deg[b].std() > 0:
                corr.append(float(np.corrcoef(input_deg[a], input_deg[b])[0, 1]))
            else:
                corr.append(math.nan)
    return float(np.mean(corr))


def _degree_means(summaries):
    """Means over the networks of the :class:`~analysis.LayerSummary` degree fields, per layer."""
    degrees = {}
    for key in ("in_mean", "in_std", "in_max", "out_mean", "out_std", "out_max", "n_isolated"):
        values = np.array([getattr(s, key) for s in summaries], dtype=float)
        degrees[key] = values.mean(axis=0).tolist()
    return degrees


def _binom_tail(k, t, p):
    """P(Binomial(k, p) >= t)."""
    return sum(math.comb(k, i) * p**i * (1 - p) ** (k - i) for i in range(t, k + 1))


def _rng_record(rng):
    return rng if rng is None or (isinstance(rng, numbers.Integral) and not isinstance(rng, bool)) else repr(rng)


def _mean_dict(rows):
    return {key: float(np.mean([r[key] for r in rows])) for key in rows[0]}
