"""Cross-seed summaries: how alike the networks of one group (one configuration, many seeds) are.

:func:`summarize_group` compares a group of layered networks of one architecture, usually the
final networks of one training configuration across seeds, and returns a
:class:`GroupSummary`: mean pairwise edge Jaccard per block and overall, raw and at the chance
level of independent random masks of the same densities; the mean after NNSTD neuron alignment
(:func:`~analysis.aligned_jaccard`) and its *aligned random baseline*; the mean NNSTD
(:func:`~analysis.nnstd`, a distance) and the same random baseline for it; the common subnetwork at
several ``min_share`` with its chance expectation; the correlation of the input units'
out-degrees; driver nodes against the width bound; degree statistics.

The aligned random baseline is the one :func:`~analysis.build_report` states for every
comparison, so a group summarised alone and the same group in a report (with the same ``rng``)
carry the same numbers: every network gets one random network with its nodes and its edge count
per block (edges placed uniformly within each block, the null model of
:func:`~analysis.random_like`), drawn from ``rng`` network by network, and the random networks
are aligned pairwise like the real ones; ``aligned_null`` is the mean over those pairs.
Alignment lifts random networks above the raw chance level too, so this, not
:func:`~analysis.chance_jaccard`, is what an aligned value is compared with. ``nnstd_null`` is
the mean NNSTD of the same pairs of random networks (each pair's two measures computed in one
task): a group's networks resemble each other in their topology only in as far as their NNSTD
is below it.

Examples
--------
Two copies of one network whose two hidden neurons are swapped: the raw Jaccard sees two
different networks, the aligned one sees the same network twice.

>>> import networkx as nx
>>> G = nx.DiGraph([((0, 0), (1, 0)), ((0, 1), (1, 1)), ((1, 0), (2, 0)), ((1, 1), (2, 0))])
>>> H = nx.relabel_nodes(G, {(1, 0): (1, 1), (1, 1): (1, 0)})
>>> s = summarize_group([G, H], method="demo", rng=0)
>>> s.edge["overall"], s.aligned["overall"], s.nnstd["overall"], s.common_edges
(0.3333333333333333, 1.0, 0.0, {'1.0': 2, '0.8': 2})
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

from ._results import concise_repr, provenance
from ._structure import graph_meta, structure
from .controllability import driver_nodes
from .degrees import degree_distribution, layer_summary
from .nnstd import _aligned_and_nnstd_pairs, _mean_distance, _nnstd_blocks
from .similarity import (
    _align_blocks,
    _block_counts,
    _check_pair_map,
    _check_pairs,
    _min_count,
    _random_block,
    _run_pairs,
    common_subnetwork_curve,
    similarity_matrix,
)

__all__ = ["GroupSummary", "summarize_group", "MIN_SHARES"]

#: ``min_share`` values at which :func:`summarize_group` reports the common subnetwork.
MIN_SHARES = (1.0, 0.8)

_NULL = "one random mask per network, same edge count per block"


@dataclass(frozen=True)
class GroupSummary:
    """Cross-seed structure of a group of networks of one architecture (see :func:`summarize_group`).

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


def _binom_tail(k, t, p):
    """P(Binomial(k, p) >= t)."""
    return sum(math.comb(k, i) * p**i * (1 - p) ** (k - i) for i in range(t, k + 1))


def _check_group(graphs):
    """The structures of ``graphs``: a sequence of at least two layered graphs."""
    if isinstance(graphs, nx.Graph) or not isinstance(graphs, Sequence) or len(graphs) < 2:
        got = len(graphs) if isinstance(graphs, Sequence) and not isinstance(graphs, str) else repr(graphs)
        raise ParameterError(f"graphs: {got}; need >= 2 graphs")
    structs = [structure(G, name=f"graphs[{k}]") for k, G in enumerate(graphs)]
    for k, st in enumerate(structs):
        st.require_layered(name=f"graphs[{k}]", blocks=True)
    return structs


def _rng_record(rng):
    return rng if rng is None or (isinstance(rng, numbers.Integral) and not isinstance(rng, bool)) else repr(rng)


def summarize_group(graphs, *, method=None, aligned=True, rng=None, pair_map=None):
    """Cross-seed similarity, controllability and degree statistics of a group of networks.

    Parameters
    ----------
    graphs : sequence of networkx.DiGraph
        At least two layered graphs of one architecture (e.g. the ``final.pt`` of each seed of
        one configuration, via :func:`netgraph.to_graph`).
    method : str, optional
        Name of the group; default ``meta["method"]`` of the first graph.
    aligned : bool, optional
        Align every pair, for the aligned Jaccard and the NNSTD (the slowest part); False leaves
        ``aligned``, ``aligned_null``, ``nnstd`` and ``nnstd_null`` nan.
    rng : None, int or numpy.random.Generator, optional
        Draws the random networks of the aligned baseline (see the module docstring); an int
        repeats the draw, and :func:`~analysis.build_report` with the same int states the same
        baseline for this group.
    pair_map : callable, optional
        How the pairs are aligned, the real networks' (aligned Jaccard and NNSTD of a pair in
        one task) and the random ones' (drawn here, from ``rng``, before any is aligned); the protocol is
        described in :func:`~analysis.local_pair_map`, the default. The numbers do not depend
        on it.

    Returns
    -------
    GroupSummary

    Raises
    ------
    ParameterError
        If fewer than two graphs are given, or ``pair_map`` is not callable or does not return
        one result per pair.
    GraphContractError
        If a graph is not layered.
    ArchitectureMismatchError
        If the layer sizes differ.

    Examples
    --------
    Five networks, one lacking an edge the other four share: that edge is in the common
    subnetwork at ``min_share`` 0.8 (4 of 5), not at 1.0.

    >>> import networkx as nx
    >>> edges = [((0, 0), (1, 0)), ((0, 1), (1, 1)), ((1, 0), (2, 0)), ((1, 1), (2, 0))]
    >>> gs = [nx.DiGraph(edges) for _ in range(4)] + [nx.DiGraph(edges[:3])]
    >>> gs[4].add_node((1, 1))
    >>> s = summarize_group(gs, method="five", rng=0)
    >>> s.common_edges, s.connections, s.driver_fraction
    ({'1.0': 3, '0.8': 4}, [2.0, 1.8], 0.4)
    """
    _check_pair_map(pair_map)
    return _summarize(graphs, method=method, aligned=aligned, rng=rng, pair_map=pair_map)[0]


def _summarize(
    graphs,
    *,
    method=None,
    aligned=True,
    rng=None,
    pair_map=None,
    pairs=None,
    nnstds=None,
    edge=None,
    edge_by_layer=None,
    curve=None,
    layer_summaries=None,
    drivers=None,
    input_degrees=None,
):
    """:func:`summarize_group`, reusing what a caller (:func:`~analysis.build_report`) computed.

    ``pairs`` and ``nnstds`` are the :func:`~analysis.aligned_jaccard` and :func:`~analysis.nnstd`
    results of the pairs ``a < b`` in row order (both or neither),
    ``edge`` and ``edge_by_layer`` the edge :class:`SimilarityMatrix` of these graphs overall
    and per block, ``curve`` their common-subnetwork curve, ``layer_summaries``, ``drivers``
    and ``input_degrees`` per graph :func:`layer_summary`, :func:`driver_nodes` and
    ``degree_distribution(G, direction="out", layer=0)``. Anything not given is computed.

    Returns ``(summary, null, nnstd_null)``: ``null`` is the (k, k) array of the aligned Jaccard
    of the pairs of random networks (nan on the diagonal; all nan without alignment), whose mean
    over the pairs ``a < b`` is ``summary.aligned_null["overall"]``; ``nnstd_null`` the same for
    their NNSTD (``summary.nnstd_null["overall"]``).
    """
    t0 = time.perf_counter()
    structs = _check_group(graphs)
    k = len(graphs)
    if method is None:
        method = graph_meta(graphs[0]).get("method") or "(no method)"
    raw = edge if edge is not None else similarity_matrix(graphs, kind="edge")  # checks the architectures
    sizes = list(structs[0].layered.sizes)
    n_blocks = len(sizes) - 1
    edge_values = {"overall": raw.mean}
    chance = {}
    for l in range(n_blocks):
        m = edge_by_layer[l] if edge_by_layer is not None else similarity_matrix(graphs, kind="edge", layer=l)
        edge_values[str(l)], chance[str(l)] = m.mean, m.mean_chance

    null = np.full((k, k), math.nan)
    nnstd_null = np.full((k, k), math.nan)
    if aligned:
        order = _check_pairs(None, k)  # a < b, row order
        if pairs is None:
            found, found_nnstd = _aligned_and_nnstd_pairs(graphs, order, pair_map=pair_map)
            pairs, nnstds = [found[p] for p in order], [found_nnstd[p] for p in order]
        gen = check_rng(rng)
        # every random network is drawn here, in network order, before any pair is aligned
        randoms = [
            tuple(_random_block(sizes[l], sizes[l + 1], c, gen) for l, c in enumerate(_block_counts(st)))
            for st in structs
        ]
        null_rows = _run_pairs(pair_map, _null_values, randoms, order, tuple(sizes))
        for (a, b), row in zip(order, null_rows):
            null[a, b] = null[b, a] = row["aligned"]["overall"]
            nnstd_null[a, b] = nnstd_null[b, a] = row["nnstd"]["overall"]
        aligned_mean = _mean_dict([_aligned_values(j) for j in pairs])
        null_mean = _mean_dict([row["aligned"] for row in null_rows])
        nnstd_mean = _mean_dict([_nnstd_values(d.per_layer, d.value) for d in nnstds])
        nnstd_null_mean = _mean_dict([row["nnstd"] for row in null_rows])
    else:
        keys = ["overall"] + [str(l) for l in range(n_blocks)]
        aligned_mean, null_mean = dict.fromkeys(keys, math.nan), dict.fromkeys(keys, math.nan)
        nnstd_mean, nnstd_null_mean = dict.fromkeys(keys, math.nan), dict.fromkeys(keys, math.nan)

    summaries = layer_summaries if layer_summaries is not None else [layer_summary(G) for G in graphs]
    curve = curve if curve is not None else common_subnetwork_curve(graphs)
    possible = [a * b for a, b in zip(sizes[:-1], sizes[1:])]
    chance["overall"] = raw.mean_chance  # block by block: a dense block counts as shared
    densities = [np.mean([s.density[l] for s in summaries]) for l in range(n_blocks)]

    def expected(t):  # edges in at least t of k independent random masks of these block densities
        return float(sum(p * _binom_tail(k, t, d) for p, d in zip(possible, densities)))

    common, common_chance = {}, {}
    for share in MIN_SHARES:
        t = _min_count(share, k)
        common[str(share)] = int(curve.edges[t - 1])
        common_chance[str(share)] = expected(t)
    curve_edges = {f"{t / k:.3g}": int(curve.edges[t - 1]) for t in range(1, k + 1)}
    curve_chance = {f"{t / k:.3g}": expected(t) for t in range(1, k + 1)}

    drivers = drivers if drivers is not None else [driver_nodes(G) for G in graphs]
    if input_degrees is None:
        input_degrees = [degree_distribution(G, direction="out", layer=0).degrees for G in graphs]
    input_deg = [np.asarray(d, dtype=float) for d in input_degrees]
    corr = []
    for a in range(k):
        for b in range(a + 1, k):
            if input_deg[a].std() > 0 and input_deg[b].std() > 0:
                corr.append(float(np.corrcoef(input_deg[a], input_deg[b])[0, 1]))
            else:
                corr.append(math.nan)
    degrees = {}
    for key in ("in_mean", "in_std", "in_max", "out_mean", "out_std", "out_max", "n_isolated"):
        values = np.array([getattr(s, key) for s in summaries], dtype=float)
        degrees[key] = values.mean(axis=0).tolist()
    summary = GroupSummary(
        method=str(method),
        n_networks=k,
        seeds=[graph_meta(G).get("seed") for G in graphs],
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
        input_correlation=float(np.mean(corr)),
        driver_fraction=float(np.mean([d.fraction for d in drivers])),
        driver_shortfall=float(np.mean([d.shortfall for d in drivers])),
        layer_shortfall=np.mean([d.layer_shortfall for d in drivers], axis=0).tolist(),
        degrees=degrees,
        seconds=time.perf_counter() - t0,
        parameters={
            "min_shares": list(MIN_SHARES),
            "aligned_null": _NULL,
            "aligned": bool(aligned),
            "rng": _rng_record(rng),
        },
    )
    return summary, null, nnstd_null


def _aligned_values(j):
    out = {"overall": j.value}
    out.update({str(l): v for l, v in enumerate(j.layer_values)})
    return out


def _nnstd_values(per_layer, value):
    out = {"overall": value}
    out.update({str(l): v for l, v in enumerate(per_layer)})
    return out


def _null_values(blocks1, blocks2, sizes):
    """Overall and per-block aligned Jaccard and NNSTD of two random networks given as boolean blocks.

    The pair task of the random baseline: module-level and pure, with plain dicts of floats as
    result (``{"aligned": {...}, "nnstd": {...}}``, each with ``"overall"`` and ``"0"``,
    ``"1"``, ... per block), so that a *pair_map* can run it anywhere (see
    :func:`~analysis.local_pair_map`).
    """
    inter, n1, n2, layer_values, _ = _align_blocks(blocks1, blocks2, sizes)
    union = n1 + n2 - inter
    aligned = {"overall": inter / union if union else 1.0}
    aligned.update({str(l): v for l, v in enumerate(layer_values)})
    per_layer, _ = _nnstd_blocks(blocks1, blocks2, sizes)
    nnstd = _nnstd_values(per_layer, _mean_distance(per_layer))
    return {"aligned": aligned, "nnstd": nnstd}


def _mean_dict(rows):
    return {key: float(np.mean([r[key] for r in rows])) for key in rows[0]}
