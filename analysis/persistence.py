"""What training keeps of the network it started from, and what two runs from one start share.

Runs of dynamic sparse training that start from one network (one seed: the same initial
topology) can end alike for two reasons: both *kept* the same connections of the initial
network, or both *grew* the same new ones. :func:`initial_survival` measures the first for one
network, :func:`shared_edges` splits the edges two networks share into the two kinds, each with
its chance level:

- a network holds a share of the initial connections; a random network with the same number
  of connections per block would hold a share equal to its density there;
- two networks that kept :math:`k_1` and :math:`k_2` of the :math:`n_I` initial connections of a
  block share :math:`k_1 k_2 / n_I` of them on average if each kept a random subset; two
  networks that hold :math:`g_1` and :math:`g_2` connections among the :math:`P - n_I` others
  share :math:`g_1 g_2 / (P - n_I)` of those. Both are summed over blocks.

All graphs must be layered (see :mod:`analysis`) with the same layer sizes.

Examples
--------
>>> import networkx as nx
>>> G0 = nx.DiGraph([((0, 0), (1, 0)), ((0, 1), (1, 0))])
>>> G0.add_node((1, 1))
>>> G = nx.DiGraph([((0, 0), (1, 0)), ((0, 1), (1, 1))])
>>> s = initial_survival(G0, G)
>>> s.value, s.kept, s.chance
(0.5, 1, 0.5)
"""

from dataclasses import dataclass

from ._blocks import block_masks, check_comparable
from ._results import concise_repr, result_dict
from ._structure import structure

__all__ = ["Survival", "SharedEdges", "initial_survival", "shared_edges"]


@dataclass(frozen=True)
class Survival:
    """The share of an initial network's connections that a network still holds.

    Attributes
    ----------
    value : float
        ``kept / n_initial`` (1.0 for an initial network without connections).
    chance : float
        The share a random network with the same number of connections per block would hold.
    kept : int
        Connections of the initial network present in the network.
    n_initial, n_edges : int
        Connections of the initial network and of the network.
    share_of_network : float
        ``kept / n_edges``: how much of the network is initial connections.
    """

    value: float
    chance: float
    kept: int
    n_initial: int
    n_edges: int
    share_of_network: float

    def __repr__(self):
        return concise_repr(self)

    def to_dict(self):
        """JSON-safe dict of every field plus provenance."""
        return result_dict(self, "initial_survival")


@dataclass(frozen=True)
class SharedEdges:
    """The edges two networks share, split into initial connections both kept and connections both grew.

    Attributes
    ----------
    value : float
        Edge Jaccard of the two networks, ``intersection / union``.
    chance : float
        Its chance level: independent random networks with the same connections per block.
    intersection, union : int
    kept_both : int
        Shared edges that are connections of the initial network.
    kept_both_chance : float
        Expected ``kept_both`` had each network kept a random subset of the initial connections,
        of the size it kept, per block.
    grown_both : int
        Shared edges that are not connections of the initial network.
    grown_both_chance : float
        Expected ``grown_both`` for random subsets of the other possible edges, of the sizes
        each network holds there, per block.
    """

    value: float
    chance: float
    intersection: int
    union: int
    kept_both: int
    kept_both_chance: float
    grown_both: int
    grown_both_chance: float

    def __repr__(self):
        return concise_repr(self)

    def to_dict(self):
        """JSON-safe dict of every field plus provenance."""
        return result_dict(self, "shared_edges")


def _check_blocks(graphs, names):
    """The boolean block masks (source x target) of layered graphs with one set of layer sizes."""
    structs = [structure(G, name=name) for G, name in zip(graphs, names)]
    for s, name in zip(structs, names):
        s.require_layered(name=name)
    check_comparable(structs, labels=names)
    return [block_masks(s) for s in structs]


def _expected(a, b, space):
    return a * b / space if space else 0.0


def initial_survival(initial, G):
    """The share of the connections of ``initial`` that ``G`` still holds, with its chance level.

    Parameters
    ----------
    initial, G : networkx.DiGraph
        Layered graphs with the same layer sizes: the network a run started from, and a later one.

    Returns
    -------
    Survival

    Raises
    ------
    GraphContractError
        If a graph is not layered.
    ArchitectureMismatchError
        If the layer sizes differ.

    Examples
    --------
    >>> import networkx as nx
    >>> G0 = nx.DiGraph([((0, 0), (1, 0)), ((0, 1), (1, 0))])
    >>> initial_survival(G0, G0).value
    1.0
    """
    I, A = _check_blocks([initial, G], ["initial", "G"])
    n_i = sum(int(i.sum()) for i in I)
    n_a = sum(int(a.sum()) for a in A)
    kept = sum(int((a & i).sum()) for a, i in zip(A, I))
    expected = sum(_expected(int(i.sum()), int(a.sum()), a.size) for a, i in zip(A, I))
    return Survival(
        value=kept / n_i if n_i else 1.0,
        chance=expected / n_i if n_i else 1.0,
        kept=kept,
        n_initial=n_i,
        n_edges=n_a,
        share_of_network=kept / n_a if n_a else 1.0,
    )


def shared_edges(G1, G2, *, initial):
    """Edge Jaccard of ``G1`` and ``G2``, its shared edges split by whether ``initial`` held them.

    Parameters
    ----------
    G1, G2 : networkx.DiGraph
        Layered graphs with the same layer sizes (two runs, typically from one start).
    initial : networkx.DiGraph
        The network both started from.

    Returns
    -------
    SharedEdges

    Raises
    ------
    GraphContractError
        If a graph is not layered.
    ArchitectureMismatchError
        If the layer sizes differ.

    Examples
    --------
    One block of four possible edges; the initial network held the first two:

    >>> import networkx as nx
    >>> def net(*targets):
    ...     G = nx.DiGraph([((0, 0), (1, j)) for j in targets])
    ...     G.add_nodes_from((1, j) for j in range(4))
    ...     return G
    >>> s = shared_edges(net(0, 1), net(1, 2), initial=net(0, 1))
    >>> round(s.value, 4), s.kept_both, s.kept_both_chance, s.grown_both
    (0.3333, 1, 1.0, 0)
    """
    A, B, I = _check_blocks([G1, G2, initial], ["G1", "G2", "initial"])
    inter = union = kept = 0
    e_inter = e_kept = e_grown = 0.0
    for a, b, i in zip(A, B, I):
        ab = a & b
        n_ab, n_a, n_b, n_i = int(ab.sum()), int(a.sum()), int(b.sum()), int(i.sum())
        inter += n_ab
        union += n_a + n_b - n_ab
        e_inter += _expected(n_a, n_b, a.size)
        kept += int((ab & i).sum())
        k_a, k_b = int((a & i).sum()), int((b & i).sum())
        e_kept += _expected(k_a, k_b, n_i)
        e_grown += _expected(n_a - k_a, n_b - k_b, a.size - n_i)
    n1 = sum(int(a.sum()) for a in A)
    n2 = sum(int(b.sum()) for b in B)
    denominator = n1 + n2 - e_inter
    return SharedEdges(
        value=inter / union if union else 1.0,
        chance=e_inter / denominator if denominator else 1.0,
        intersection=inter,
        union=union,
        kept_both=kept,
        kept_both_chance=float(e_kept),
        grown_both=inter - kept,
        grown_both_chance=float(e_grown),
    )
