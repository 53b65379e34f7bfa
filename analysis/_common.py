"""How many of several graphs hold each edge: the counting behind the common subnetwork (private kernel).

See :func:`~analysis.common_subnetwork` and :func:`~analysis.common_subnetwork_curve`; counts are
made in bounded chunks (:data:`COUNT_CHUNK`) so that no temporary grows with the number of graphs
times the edge space.
"""

import math

import numpy as np

from ._space import edge_space

__all__ = ["edge_counts", "mask_counts", "count_histogram", "min_count", "COUNT_CHUNK"]


def edge_counts(structs, labels=None):
    """The edge space and, for every edge present in some graph, its key and how many graphs hold it."""
    space = edge_space(structs, labels=labels)
    if space.mode == "mask":
        counts = mask_counts(space.sets)
        keys = np.flatnonzero(counts)
        return space, keys, counts[keys]
    keys, counts = np.unique(np.concatenate(space.sets), return_counts=True)
    return space, keys, counts


COUNT_CHUNK = 1 << 22  # keys (or positions) counted at a time


def mask_counts(masks):
    """How many of the boolean masks hold each position (uint8 below 256 masks: a byte per possible edge)."""
    counts = np.zeros(masks[0].size, dtype=np.uint8 if len(masks) < 256 else np.int32)
    for m in masks:
        counts += m
    return counts


def count_histogram(structs, labels):
    """``hist[t]``: the edges held by exactly ``t`` of the graphs (t >= 1), without a key per edge in mask mode."""
    k = len(structs)
    space = edge_space(structs, labels=labels)
    hist = np.zeros(k + 1, dtype=np.int64)
    if space.mode == "mask":
        counts = mask_counts(space.sets)
        for start in range(0, counts.size, COUNT_CHUNK):
            hist += np.bincount(counts[start : start + COUNT_CHUNK], minlength=k + 1)
        return hist
    # sorted unique keys per graph: count a range of the key space at a time (bounded temporaries)
    bounds = np.unique(np.concatenate([keys[::COUNT_CHUNK] for keys in space.sets] + [np.zeros(1, np.int64)]))
    edges = np.append(bounds, np.iinfo(np.int64).max)
    for lo, hi in zip(edges[:-1], edges[1:]):
        part = np.concatenate([keys[np.searchsorted(keys, lo) : np.searchsorted(keys, hi)] for keys in space.sets])
        if part.size:
            part.sort()
            starts = np.flatnonzero(np.concatenate([[True], part[1:] != part[:-1]]))
            runs = np.diff(np.append(starts, part.size))  # how many graphs hold each key
            hist += np.bincount(runs, minlength=k + 1)
    return hist


def min_count(min_share, k):
    """How many of ``k`` graphs a share ``min_share`` means: ``ceil(min_share * k)``, at least 1.

    A tolerance of 1e-9 keeps a share such as ``0.8`` of 5 graphs at 4 despite float rounding.
    """
    return max(1, math.ceil(min_share * k - 1e-9))
