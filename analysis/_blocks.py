"""Layered graphs as boolean blocks, and the checks that make several graphs comparable (private kernel).

The shared first steps of every comparison in :mod:`analysis`: a sequence of graphs (or networks)
turned into their structures (:func:`check_graphs`), one label per graph (:func:`check_labels`),
one set of layer sizes (:func:`check_comparable`), and each layered structure as its boolean
block masks, source x target, one per block ``l -> l + 1`` (:func:`block_masks`).
"""

from collections.abc import Sequence

import networkx as nx
import numpy as np

from netgraph.errors import ArchitectureMismatchError, ParameterError

from ._structure import structure

__all__ = ["check_graphs", "check_labels", "check_comparable", "block_masks", "block_counts", "arch_name"]


def check_labels(graphs, labels):
    """One label per graph, as a tuple of str (default ``"0"``, ``"1"``, ...); ParameterError on a wrong count."""
    if labels is None:
        return tuple(str(k) for k in range(len(graphs)))
    labels = tuple(str(x) for x in labels)
    if len(labels) != len(graphs):
        raise ParameterError(f"labels has {len(labels)} entries, expected {len(graphs)} (one per graph)")
    return labels


def check_graphs(graphs, *, minimum=1):
    """The structures of ``graphs``, a sequence of at least ``minimum`` graphs or networks; ParameterError otherwise."""
    if isinstance(graphs, nx.Graph) or not isinstance(graphs, Sequence):
        raise ParameterError(f"graphs is a {type(graphs).__name__}, expected a sequence of networkx.DiGraph")
    if len(graphs) < minimum:
        raise ParameterError(f"graphs has {len(graphs)} entries, expected at least {minimum}")
    return [structure(G, name=f"graphs[{k}]") for k, G in enumerate(graphs)]


def check_comparable(structs, labels=None):
    """Raise ArchitectureMismatchError if two layered graphs have different layer sizes."""
    layered = [(k, s.layered.sizes) for k, s in enumerate(structs) if s.layered is not None]
    if len(layered) < len(structs):
        return False
    k0, sizes0 = layered[0]
    for k, sizes in layered[1:]:
        if sizes != sizes0:
            name = (lambda i: f"{i} ({labels[i]!r})") if labels else str
            raise ArchitectureMismatchError(
                f"graphs {name(k0)} and {name(k)} have layer sizes {list(sizes0)} and {list(sizes)}: "
                "they cannot be compared edge by edge"
            )
    return all(s.layered.nodes == structs[0].layered.nodes for s in structs)


def block_masks(st):
    """The boolean block masks ``(source x target)`` of a layered structure, one per block ``l -> l + 1``."""
    return tuple(st.block_mask(l) for l in range(len(st.layered.sizes) - 1))


def block_counts(st):
    """The edge count of each block ``l -> l + 1`` of a layered structure, a tuple of int."""
    return tuple(int(np.count_nonzero(m)) for m in block_masks(st))


def arch_name(sizes):
    """Layer sizes as the name of an architecture, ``"784-100-10"``.

    Examples
    --------
    >>> arch_name((784, 100, 10))
    '784-100-10'
    """
    return "-".join(str(s) for s in sizes)
