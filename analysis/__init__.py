"""Structural analysis of directed graphs, above all trained sparse networks (torch-free).

Every function works on any ``networkx.DiGraph`` -- a network from :func:`netgraph.to_graph`, a
gene network or a citation graph -- and on a network itself, a :class:`netgraph.network.Checkpoint`
(what :func:`netgraph.load_checkpoint` returns), read from its sparse blocks without building a
graph; a network and its graph give the same results. Functions about layers need a *layered*
graph: each node has a layer (its ``"layer"`` attribute, else ``node[0]``) and every edge goes
from a layer ``l`` to ``l + 1``; within a layer nodes are ordered by their ``"index"`` attribute
(else ``node[1]``). A network is always layered.

The edges are turned into integer arrays once per input and kept: in ``G.__networkx_cache__``,
which networkx clears on every structural edit, or with the network, which cannot change;
weights are never cached.

- degrees: :func:`degree_distribution`, :func:`layer_summary`, :func:`input_connectivity`,
  :func:`compare_power_law`;
- controllability: :func:`driver_nodes`, :func:`width_bound`;
- similarity: :func:`edge_jaccard`, :func:`node_jaccard`, :func:`aligned_jaccard`,
  :func:`chance_jaccard`, :func:`aligned_chance_jaccard`, :func:`similarity_matrix`, :func:`common_subnetwork`,
  :func:`common_subnetwork_curve`; channel-level graphs of convolutional networks block by block:
  :func:`block_jaccard` (channel connections or kernel elements, raw or aligned) and
  :func:`block_nnstd`; many pairs aligned at once, through a pluggable *pair_map* (the
  protocol: :func:`local_pair_map`; a Dask one runs the pairs on a cluster): :func:`aligned_pairs`;
- topology distance: :func:`nnstd` (NNSTD of Liu et al. 2020, as its authors compute it),
  :func:`nnstd_pairs` through a *pair_map*;
- what training keeps of its starting network: :func:`initial_survival`, :func:`shared_edges`
  (the edges two runs from one start share, split into kept and grown);
- groups of networks (one configuration across seeds): :func:`summarize_group`
  (:class:`GroupSummary`), the summary every comparison of a report carries;
- reports: :func:`build_report`, :func:`write_report`, :func:`load_metrics`;
- plots: :mod:`analysis.plotting`.

Examples
--------
>>> import networkx as nx
>>> import analysis
>>> G = nx.DiGraph([((0, 0), (1, 0)), ((0, 1), (1, 0))])
>>> analysis.driver_nodes(G).count, analysis.layer_summary(G).connections
(2, (2,))
"""

from .block_report import BlockReport, build_block_report, write_block_report
from .blocks import BlockJaccard, BlockNNSTD, block_jaccard, block_nnstd
from .controllability import DriverNodes, driver_nodes, width_bound
from .degrees import (
    DegreeDistribution,
    LayerSummary,
    compare_power_law,
    degree_distribution,
    input_connectivity,
    layer_summary,
)
from .nnstd import NNSTD, nnstd, nnstd_pairs
from .persistence import SharedEdges, Survival, initial_survival, shared_edges
from .report import SimilarityReport, build_report, load_metrics, write_report
from .similarity import (
    CommonSubnetworkCurve,
    Jaccard,
    SimilarityMatrix,
    aligned_chance_jaccard,
    aligned_jaccard,
    aligned_pairs,
    alignment_cost,
    chance_jaccard,
    common_subnetwork,
    common_subnetwork_curve,
    edge_jaccard,
    local_pair_map,
    node_jaccard,
    random_like,
    similarity_matrix,
)
from .summary import MIN_SHARES, GroupSummary, summarize_group

__all__ = [
    "DegreeDistribution",
    "LayerSummary",
    "degree_distribution",
    "layer_summary",
    "input_connectivity",
    "compare_power_law",
    "DriverNodes",
    "driver_nodes",
    "width_bound",
    "Jaccard",
    "SimilarityMatrix",
    "CommonSubnetworkCurve",
    "chance_jaccard",
    "edge_jaccard",
    "node_jaccard",
    "aligned_jaccard",
    "aligned_chance_jaccard",
    "aligned_pairs",
    "alignment_cost",
    "local_pair_map",
    "random_like",
    "similarity_matrix",
    "NNSTD",
    "nnstd",
    "nnstd_pairs",
    "common_subnetwork",
    "common_subnetwork_curve",
    "BlockJaccard",
    "block_jaccard",
    "BlockNNSTD",
    "block_nnstd",
    "Survival",
    "SharedEdges",
    "initial_survival",
    "shared_edges",
    "GroupSummary",
    "summarize_group",
    "MIN_SHARES",
    "SimilarityReport",
    "build_report",
    "write_report",
    "load_metrics",
    "BlockReport",
    "build_block_report",
    "write_block_report",
]
