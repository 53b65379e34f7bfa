"""The kinds of pair of a comparison: runs of one method from different starts, of different methods (private kernel).

See :func:`~analysis.build_report` (Notes): two networks started from one initial topology when
their checkpoints record the same ``initial_topology`` fingerprint, else the same seed and
parameters (:func:`same_start`); :func:`pair_kinds` sorts a comparison's pairs into the kinds of
:data:`~analysis._measures.PAIR_KINDS` with their mean similarities.
"""

import math

import numpy as np

from ._measures import PAIR_KINDS, START_RULES

__all__ = ["same_start", "pair_kinds"]


def _start_params(meta):
    params = meta.get("params") if isinstance(meta.get("params"), dict) else {}
    return params.get("epsilon"), params.get("density")


def same_start(meta1, meta2):
    """Whether two networks of one architecture started from one initial topology, and the rule that said so.

    ``(True or False, "fingerprint")`` when both metas record ``initial_topology``; else
    ``(same, "seed")`` when both record a seed: the same seed and equal ``epsilon`` and
    ``density`` (the layer sizes are equal within a comparison); else ``(None, None)``.
    """
    f1, f2 = meta1.get("initial_topology"), meta2.get("initial_topology")
    if isinstance(f1, str) and isinstance(f2, str):
        return f1 == f2, "fingerprint"
    s1, s2 = meta1.get("seed"), meta2.get("seed")
    if s1 is None or s2 is None:
        return None, None
    return s1 == s2 and _start_params(meta1) == _start_params(meta2), "seed"


def pair_kinds(labels, groups, metas, edge, aligned, nnstd):
    """The pairs of a comparison by kind (:data:`PAIR_KINDS`), with their mean similarities.

    A pair of one group whose initial topologies differ is *within method, across seeds*; a
    pair of different groups is *across methods, same initial topology* or *across methods,
    across seeds* (:func:`same_start`). Pairs of one group from one initial topology, and
    pairs whose initial topologies are unknown, are in no kind.

    Returns None when no pair has a kind; else per kind ``{"name", "meaning", "n_pairs",
    "pairs", "rules", "edge_mean", "edge_chance_mean", "aligned_mean", "aligned_chance_mean",
    "nnstd_mean", "nnstd_random_mean"}``: ``pairs`` lists label pairs, ``rules`` how many pairs
    each rule of :data:`START_RULES` classified, the means are over the kind's pairs (nan
    without pairs, or for the aligned measures without alignment); ``*_chance_mean`` and
    ``nnstd_random_mean`` are the chance levels of the matrices, pair by pair.
    """
    found = {kind: [] for kind in PAIR_KINDS}
    for a in range(len(labels)):
        for b in range(a + 1, len(labels)):
            same, rule = same_start(metas[a], metas[b])
            if same is None:
                continue
            if groups[a] == groups[b]:
                kind = None if same else "within_method_across_seed"
            else:
                kind = "across_method_same_initial_topology" if same else "across_method_across_seed"
            if kind is not None:
                found[kind].append((a, b, rule))
    if not any(found.values()):
        return None

    def mean(matrix, pairs, field="values"):
        if matrix is None or not pairs:
            return math.nan
        values = getattr(matrix, field)
        return float(np.mean([values[a, b] for a, b, _ in pairs]))

    out = {}
    for kind, pairs in found.items():
        name, meaning = PAIR_KINDS[kind]
        out[kind] = {
            "name": name,
            "meaning": meaning,
            "n_pairs": len(pairs),
            "pairs": [[labels[a], labels[b]] for a, b, _ in pairs],
            "rules": {rule: sum(r == rule for *_, r in pairs) for rule in START_RULES},
            "edge_mean": mean(edge, pairs),
            "edge_chance_mean": mean(edge, pairs, "chance"),
            "aligned_mean": mean(aligned, pairs),
            "aligned_chance_mean": mean(aligned, pairs, "chance"),
            "nnstd_mean": mean(nnstd, pairs),
            "nnstd_random_mean": mean(nnstd, pairs, "chance"),
        }
    return out
