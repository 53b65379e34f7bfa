"""Block by block: the weight layers of two channel-level graphs compared one at a time.

A channel-level graph (:mod:`netgraph.channels`: a convolutional or residual network as a graph of
its channels) records its weight layers in ``G.graph["layers"]`` -- per layer its module, its
weight shape, groups, the node each input channel reads and its output space. Each layer is a
*block*: the bipartite graph of its channel connections, possible between each distinct input
node and each output channel of its group. :func:`block_jaccard` compares two graphs of one
architecture (two seeds, two pruning methods) block by block: per block the Jaccard index of the
channel connections and its chance level (random sets of the block's sizes among its possible
connections), and overall the index over every block with the chance level that keeps each
block's count. The identity edges of residual adds are the same in every graph of an
architecture and are not compared.

Examples
--------
>>> import networkx as nx
>>> def toy(edges):  # one 2 -> 2 Linear layer, written as netgraph.channels writes it
...     G = nx.DiGraph(edges)
...     G.graph["layers"] = [{"module": "fc", "type": "Linear", "weight_shape": [2, 2], "groups": 1,
...                           "inputs": [[0, 0], [0, 1]], "output": 1}]
...     return G
>>> j = block_jaccard(toy([((0, 0), (1, 0)), ((0, 1), (1, 0))]), toy([((0, 1), (1, 0)), ((0, 1), (1, 1))]))
>>> j.blocks, j.values.tolist(), j.value, j.chance_overall
(('fc',), [0.3333333333333333], 0.3333333333333333, 0.3333333333333333)
"""

from dataclasses import dataclass

import networkx as nx
import numpy as np

from netgraph.errors import ArchitectureMismatchError, ParameterError

from ._jaccard import blockwise_chance
from ._results import concise_repr, frozen_array, result_dict

__all__ = ["BlockJaccard", "block_jaccard"]


@dataclass(frozen=True, eq=False)
class BlockJaccard:
    """The Jaccard index of two channel-level graphs, per weight layer and overall.

    Attributes
    ----------
    blocks : tuple of str
        The module of each weight layer, in the graphs' order.
    values, chance : numpy.ndarray of float
        Per block: the Jaccard index of the channel connections (1.0 when both are empty), and
        its chance level for random sets of the same sizes among the block's possible connections.
    intersection, union, sizes1, sizes2, possible : numpy.ndarray of int
        Per block.
    value, chance_overall : float
        Over every block at once, and its chance level keeping each block's sizes.
    """

    blocks: tuple
    values: np.ndarray
    chance: np.ndarray
    intersection: np.ndarray
    union: np.ndarray
    sizes1: np.ndarray
    sizes2: np.ndarray
    possible: np.ndarray
    value: float
    chance_overall: float

    def __repr__(self):
        return concise_repr(self)

    def to_dict(self):
        """JSON-safe dict of every field plus provenance."""
        return result_dict(self, "block_jaccard")


def _check_channel_graph(G, name):
    if not isinstance(G, nx.DiGraph) or not isinstance(G.graph.get("layers"), list):
        raise ParameterError(
            f"{name} is not a channel-level graph (netgraph.channels): it has no G.graph['layers'] of weight layers"
        )
    return G.graph["layers"]


def _block_edges(G, layer):
    """The channel connections of one weight layer, and how many are possible."""
    inputs = set(tuple(v) for v in layer["inputs"])
    out, n_out, groups = layer["output"], layer["weight_shape"][0], layer["groups"]
    edges = {(u, v) for v in ((out, j) for j in range(n_out)) for u, _ in G.in_edges(v) if u in inputs}
    return edges, n_out * len(inputs) // groups


def block_jaccard(G1, G2):
    """Per weight layer, the Jaccard index of two channel-level graphs' connections (see the module docstring).

    Parameters
    ----------
    G1, G2 : networkx.DiGraph
        Channel-level graphs (``netgraph.to_graph(model, example_input)``) of one architecture.

    Returns
    -------
    BlockJaccard

    Raises
    ------
    ParameterError
        If a graph is not a channel-level graph.
    ArchitectureMismatchError
        If the graphs' weight layers differ (module, weight shape, groups or wiring), naming the first.
    """
    layers1, layers2 = _check_channel_graph(G1, "G1"), _check_channel_graph(G2, "G2")
    keys = ("module", "weight_shape", "groups", "inputs", "output")
    if len(layers1) != len(layers2):
        raise ArchitectureMismatchError(f"G1 has {len(layers1)} weight layers, G2 {len(layers2)}")
    for a, b in zip(layers1, layers2):
        differ = [k for k in keys if a.get(k) != b.get(k)]
        if differ:
            raise ArchitectureMismatchError(
                f"weight layer {a.get('module')!r} of G1 and {b.get('module')!r} of G2 differ in {', '.join(differ)}"
            )
    rows = []
    for layer in layers1:
        (e1, possible), (e2, _) = _block_edges(G1, layer), _block_edges(G2, layer)
        rows.append((len(e1 & e2), len(e1 | e2), len(e1), len(e2), possible))
    inter, union, n1, n2, possible = np.array(rows, dtype=np.int64).reshape(-1, 5).T
    values = np.where(union > 0, inter / np.maximum(union, 1), 1.0)
    chance = np.array([blockwise_chance([a], [b], [p]) if p else 1.0 for a, b, p in zip(n1, n2, possible)])
    total_union = int(union.sum())
    return BlockJaccard(
        blocks=tuple(layer["module"] for layer in layers1),
        values=frozen_array(values),
        chance=frozen_array(chance),
        intersection=frozen_array(inter),
        union=frozen_array(union),
        sizes1=frozen_array(n1),
        sizes2=frozen_array(n2),
        possible=frozen_array(possible),
        value=float(inter.sum() / total_union) if total_union else 1.0,
        chance_overall=blockwise_chance(n1, n2, possible) if possible.sum() else 1.0,
    )
