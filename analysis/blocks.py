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

``level="kernel"`` compares the present kernel *elements* of each weight instead (a 3x3
convolution's nine per channel connection), against random sets of elements of the same
sizes. ``aligned=True`` first relabels the output channels of each block of ``G2`` onto those
of ``G1`` (Hungarian method on the Jaccard distance of their incoming sets, as
:func:`~analysis.aligned_jaccard` aligns the hidden neurons of an MLP), the columns of each
block relabelled by the matching of the block that writes the space they read; outputs of the
network (spaces nothing reads) keep their order, and so do the channels of residual adds and
the network's input. A block view has no wiring: each block's outputs are matched, its inputs
kept (the last projection of a model too, which a real relabelling would keep, so there the
value overstates). Each block is matched on its
own, so where a residual add ties the channels of several blocks together the aligned value
is an upper bound of what one permutation of the whole residual stream would give. Its chance
level is the mean aligned Jaccard of ``n_random`` pairs of random blocks of the same sizes
(``rng``). :func:`block_nnstd` is NNSTD (Liu et al. 2020) block by block, matched the same way
(every block's outputs matched, as NNSTD matches an MLP's output neurons too).

A graph here is a channel-level :class:`networkx.DiGraph` (:func:`netgraph.channels.channel_graph`,
:func:`~netgraph.channels.block_view`) or the same graph as arrays, a
:class:`~netgraph.channel_network.ChannelNetwork` (:func:`~netgraph.channels.channel_network`):
the same numbers from either.

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

import numpy as np

from netgraph.errors import ParameterError
from netgraph.validation import check_choice, check_positive_int, check_rng

from . import _channel_blocks as cb
from ._jaccard import blockwise_chance
from ._results import concise_repr, frozen_array, result_dict

__all__ = ["BlockJaccard", "BlockNNSTD", "block_jaccard", "block_nnstd"]

LEVELS = ("channel", "kernel")


@dataclass(frozen=True, eq=False)
class BlockJaccard:
    """The Jaccard index of two channel-level graphs, per weight layer and overall.

    Attributes
    ----------
    blocks : tuple of str
        The module of each weight layer, in the graphs' order.
    values, chance : numpy.ndarray of float
        Per block: the Jaccard index (1.0 when both sets are empty), and its chance level: for
        random sets of the same sizes among the block's possible connections (or elements), or,
        aligned, the mean aligned Jaccard of random blocks.
    intersection, union, sizes1, sizes2, possible : numpy.ndarray of int
        Per block (after the alignment, when aligned).
    value, chance_overall : float
        Over every block at once, and its chance level keeping each block's sizes.
    level : str
        ``"channel"`` (channel connections) or ``"kernel"`` (kernel elements).
    aligned : bool
    permutations : tuple of numpy.ndarray or None
        Aligned: per block, ``perm[k]`` the output channel of ``G1`` that channel ``k`` of
        ``G2`` is matched to (identity where the outputs keep their order).
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
    level: str = "channel"
    aligned: bool = False
    permutations: tuple | None = None

    def __repr__(self):
        return concise_repr(self)

    def to_dict(self):
        """JSON-safe dict of every field plus provenance."""
        return result_dict(self, "block_jaccard")


@dataclass(frozen=True, eq=False)
class BlockNNSTD:
    """NNSTD of two channel-level graphs, per weight layer (see :func:`block_nnstd`).

    Attributes
    ----------
    blocks : tuple of str
    values, random : numpy.ndarray of float
        Per block: the matched edit distance over the block's output channels (0.0 for blocks
        equal up to a relabelling of their outputs, at most 1.0), and the mean over ``n_random``
        pairs of random blocks of the same sizes.
    value, random_mean : float
        The means over the blocks.
    permutations : tuple of numpy.ndarray
        Per block, ``perm[k]`` the output channel of ``G1`` that channel ``k`` of ``G2`` is matched to.
    """

    blocks: tuple
    values: np.ndarray
    random: np.ndarray
    value: float
    random_mean: float
    permutations: tuple

    def __repr__(self):
        return concise_repr(self)

    def to_dict(self):
        """JSON-safe dict of every field plus provenance."""
        return result_dict(self, "block_nnstd")


def _check_pair(G1, G2):
    layers1, layers2 = cb.channel_layers(G1, "G1"), cb.channel_layers(G2, "G2")
    cb.check_same_layers(layers1, layers2)
    return layers1


def _aligned_blocks(G1, G2, layers, *, match, keep_order):
    """Walk the blocks in order, relabelling each of ``G2``'s onto ``G1``'s: yields ``(k, A1, C, value)``.

    ``match(A1, B)`` returns ``(value, perm)`` for a block whose outputs may be relabelled;
    ``keep_order[k]`` says the outputs of block ``k`` keep their order (``match`` is then given
    the identity).
    """
    perms = {}
    for k, layer in enumerate(layers):
        A1 = cb.block_matrix(G1, k, layer)
        B = cb.relabel_columns(cb.block_matrix(G2, k, layer), layer, perms)
        value, perm = match(A1, B, keep_order[k])
        C = np.empty_like(B)
        C[perm] = B
        perms[layer["output"]] = perm
        yield k, A1, C, value, perm


def _jaccard_match(A1, B, keep):
    return None, (np.arange(B.shape[0]) if keep else cb.match_rows(A1, B))


def _counts(pairs):
    """``(inter, union, n1, n2)`` arrays of ``(A, B)`` boolean pairs."""
    rows = [(np.count_nonzero(a & b), np.count_nonzero(a), np.count_nonzero(b)) for a, b in pairs]
    inter, n1, n2 = np.array(rows, dtype=np.int64).reshape(-1, 3).T
    return inter, n1 + n2 - inter, n1, n2


def _values(inter, union):
    return np.where(union > 0, inter / np.maximum(union, 1), 1.0)


def block_jaccard(G1, G2, *, level="channel", aligned=False, n_random=1, rng=None):
    """Per weight layer, the Jaccard index of two channel-level graphs (see the module docstring).

    Parameters
    ----------
    G1, G2 : networkx.DiGraph or ChannelNetwork
        Channel-level graphs (``netgraph.to_graph(model, example_input)``, a block view, or
        :func:`netgraph.channels.channel_network`) of one architecture.
    level : {"channel", "kernel"}
        Compare channel connections, or the present elements of each weight.
    aligned : bool
        Relabel ``G2``'s output channels onto ``G1``'s first (channel level only).
    n_random : int
        Aligned: pairs of random blocks behind each block's chance level.
    rng : None, int, SeedSequence or numpy.random.Generator
        Aligned: the random blocks.

    Returns
    -------
    BlockJaccard

    Raises
    ------
    ParameterError
        If a graph is not a channel-level graph, ``level`` is unknown, ``aligned`` is asked at
        kernel level, or the kernel level is asked of a graph that kept no element masks.
    ArchitectureMismatchError
        If the graphs' weight layers differ (module, weight shape, groups or wiring), naming the first.
    """
    check_choice(level, LEVELS, name="level")
    layers = _check_pair(G1, G2)
    if aligned and level == "kernel":
        raise ParameterError("aligned=True, must be False at level='kernel' (channels are aligned, not elements)")
    perms = None
    if level == "kernel":
        pairs = [(cb.element_mask(G1, k, "G1"), cb.element_mask(G2, k, "G2")) for k in range(len(layers))]
        possible = np.array([a.size for a, _ in pairs], dtype=np.int64)
    else:
        possible = np.array([int(cb.allowed(l).sum()) for l in layers], dtype=np.int64)
    if level == "channel" and not aligned:
        pairs = [(cb.block_matrix(G1, k, l), cb.block_matrix(G2, k, l)) for k, l in enumerate(layers)]
    elif aligned:
        n_random = check_positive_int(n_random, name="n_random")
        gen = check_rng(rng)
        keep = [not p for p in cb.permutable(G1, layers)]
        walked = list(_aligned_blocks(G1, G2, layers, match=_jaccard_match, keep_order=keep))
        pairs = [(A1, C) for _, A1, C, _, _ in walked]
        perms = tuple(frozen_array(p, np.int64) for *_, p in walked)
    inter, union, n1, n2 = _counts(pairs)
    values = _values(inter, union)
    total_union = int(union.sum())
    if aligned:
        chance, chance_overall = _aligned_chance(layers, n1, n2, keep, n_random, gen)
    else:
        chance = np.array([blockwise_chance([a], [b], [p]) if p else 1.0 for a, b, p in zip(n1, n2, possible)])
        chance_overall = blockwise_chance(n1, n2, possible) if possible.sum() else 1.0
    return BlockJaccard(
        blocks=tuple(layer["module"] for layer in layers),
        values=frozen_array(values),
        chance=frozen_array(chance),
        intersection=frozen_array(inter),
        union=frozen_array(union),
        sizes1=frozen_array(n1),
        sizes2=frozen_array(n2),
        possible=frozen_array(possible),
        value=float(inter.sum() / total_union) if total_union else 1.0,
        chance_overall=chance_overall,
        level=level,
        aligned=bool(aligned),
        permutations=perms,
    )


def _random_pairs(layers, n1, n2, n_random, gen):
    """``n_random`` pairs of random blocks per layer, of the sizes ``n1``, ``n2``: ``[k][r] -> (A, B)``."""
    out = []
    for k, layer in enumerate(layers):
        possible = cb.allowed(layer)
        out.append(
            [(cb.random_block(possible, n1[k], gen), cb.random_block(possible, n2[k], gen)) for _ in range(n_random)]
        )
    return out


def _aligned_chance(layers, n1, n2, keep, n_random, gen):
    """Per block the mean aligned Jaccard of random pairs, and overall that of their pooled counts."""
    inter = np.zeros((n_random, len(layers)))
    union = np.zeros((n_random, len(layers)))
    for k, draws in enumerate(_random_pairs(layers, n1, n2, n_random, gen)):
        for r, (A, B) in enumerate(draws):
            perm = np.arange(B.shape[0]) if keep[k] else cb.match_rows(A, B)
            C = np.empty_like(B)
            C[perm] = B
            inter[r, k] = np.count_nonzero(A & C)
            union[r, k] = np.count_nonzero(A | C)
    per_block = np.where(union > 0, inter / np.maximum(union, 1), 1.0).mean(axis=0)
    totals = union.sum(axis=1)
    overall = np.where(totals > 0, inter.sum(axis=1) / np.maximum(totals, 1), 1.0).mean()
    return per_block, float(overall)


def block_nnstd(G1, G2, *, n_random=1, rng=None):
    """NNSTD of two channel-level graphs block by block (Liu et al. 2020; see the module docstring).

    Per block, each output channel of ``G2`` is matched to one of ``G1`` (Hungarian method on
    the normalised edit distance of their incoming sets, the columns relabelled by the matching
    of the block that writes them), and the block's value is the matched distance over its
    output channels, as NNSTD scores a layer of an MLP.

    Parameters
    ----------
    G1, G2 : networkx.DiGraph or ChannelNetwork
        Channel-level graphs of one architecture.
    n_random : int
        Pairs of random blocks of the same sizes behind each block's random level.
    rng : None, int, SeedSequence or numpy.random.Generator

    Returns
    -------
    BlockNNSTD

    Raises
    ------
    ParameterError
        If a graph is not a channel-level graph.
    ArchitectureMismatchError
        If the graphs' weight layers differ, naming the first.

    References
    ----------
    Liu, S., et al. "Topological insights into sparse neural networks", ECML PKDD 2020.

    Examples
    --------
    >>> import networkx as nx
    >>> G1 = nx.DiGraph([((0, 0), (1, 0)), ((0, 1), (1, 1))])
    >>> G1.graph["layers"] = [{"module": "fc", "type": "Linear", "weight_shape": [2, 2], "groups": 1,
    ...                        "inputs": [[0, 0], [0, 1]], "output": 1}]
    >>> G2 = nx.DiGraph([((0, 0), (1, 1)), ((0, 1), (1, 0))], **G1.graph)
    >>> d = block_nnstd(G1, G2, rng=0)
    >>> d.values.tolist(), d.permutations[0].tolist()
    ([0.0], [1, 0])
    """
    layers = _check_pair(G1, G2)
    n_random = check_positive_int(n_random, name="n_random")
    gen = check_rng(rng)
    walked = list(
        _aligned_blocks(G1, G2, layers, match=lambda a, b, _: cb.nnstd_rows(a, b), keep_order=[False] * len(layers))
    )
    values = np.array([v for _, _, _, v, _ in walked])
    _, _, n1, n2 = _counts([(A1, C) for _, A1, C, _, _ in walked])
    random = np.array(
        [np.mean([cb.nnstd_rows(A, B)[0] for A, B in draws]) for draws in _random_pairs(layers, n1, n2, n_random, gen)]
    )
    return BlockNNSTD(
        blocks=tuple(layer["module"] for layer in layers),
        values=frozen_array(values),
        random=frozen_array(random),
        value=float(values.mean()) if values.size else 0.0,
        random_mean=float(random.mean()) if random.size else 0.0,
        permutations=tuple(frozen_array(p, np.int64) for *_, p in walked),
    )
