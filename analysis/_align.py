"""Neuron alignment of two layered networks given as boolean blocks (private kernel).

The alignment of :func:`~analysis.aligned_jaccard`: layer by layer, the hidden neurons of the
second network are matched to those of the first (Hungarian method on the Jaccard distance of
their incoming sets, as NNSTD matches them), the inputs and outputs kept fixed.
"""

import numpy as np
from scipy.optimize import linear_sum_assignment

from ._blocks import block_counts, block_masks
from ._jaccard import Jaccard, blockwise_chance
from ._results import frozen_array
from ._space import edge_space

__all__ = ["match_targets", "align_blocks", "align_pair_task", "aligned_result", "align_pair"]


def match_targets(A1, B):
    """Match the targets (columns) of ``B`` to those of ``A1`` by the Jaccard of their incoming sets.

    Hungarian method (:func:`scipy.optimize.linear_sum_assignment`) on the Jaccard distance;
    ``A1`` and ``B`` are boolean source x target blocks over the same sources. Returns ``nxt``
    (int64): target ``k`` of ``B`` goes to target ``nxt[k]`` of ``A1``.
    """
    a1 = A1.astype(np.float32)
    b = B.astype(np.float32)
    inter = a1.T @ b  # [j of G1, k of G2]
    c1, c2 = a1.sum(axis=0), b.sum(axis=0)
    union = c1[:, None] + c2[None, :] - inter
    with np.errstate(invalid="ignore", divide="ignore"):
        jac = np.where(union > 0, inter / union, 1.0)
    rows, cols = linear_sum_assignment(1.0 - jac)
    nxt = np.empty(B.shape[1], dtype=np.int64)
    nxt[cols] = rows
    return nxt


def align_blocks(blocks1, blocks2, sizes):
    """Align boolean source x target blocks of two layered networks (the NNSTD core).

    Returns ``(intersection, n1, n2, layer_values, perms)`` of the aligned edge sets.
    """
    n_blocks = len(sizes) - 1
    perm = np.arange(sizes[0])
    perms = [perm]
    inter_total = n1 = n2 = 0
    layer_values = []
    for l in range(n_blocks):
        A1 = blocks1[l]
        A2 = blocks2[l]
        B = np.empty_like(A2)
        B[perm] = A2  # row perm[k] of B = row k of A2 (sources relabelled)
        if l + 1 < n_blocks:  # hidden target layer: match neurons by incoming sets
            nxt = match_targets(A1, B)
        else:
            nxt = np.arange(sizes[l + 1])
        C = np.empty_like(B)
        C[:, nxt] = B  # column nxt[k] of C = column k of B (targets relabelled)
        i_l = int(np.count_nonzero(A1 & C))
        m1, m2 = int(np.count_nonzero(A1)), int(np.count_nonzero(C))
        u_l = m1 + m2 - i_l
        layer_values.append(i_l / u_l if u_l else 1.0)
        inter_total, n1, n2 = inter_total + i_l, n1 + m1, n2 + m2
        perm = nxt
        perms.append(perm)
    return inter_total, n1, n2, layer_values, perms


def align_pair_task(blocks1, blocks2, sizes):
    """The pair task of :func:`~analysis.aligned_pairs`: :func:`align_blocks` of two networks' block masks.

    Module-level and pure, with plain results (ints, floats, int64 arrays), so that a
    *pair_map* can run it anywhere (see :func:`~analysis.local_pair_map`).
    """
    inter, n1, n2, layer_values, perms = align_blocks(blocks1, blocks2, sizes)
    return inter, n1, n2, tuple(layer_values), tuple(perms)


def aligned_result(result, raw, counts1, counts2, sizes):
    """The aligned :class:`Jaccard` from an :func:`align_pair_task` result, the raw Jaccard and block counts."""
    inter_total, n1, n2, layer_values, perms = result
    block_possible = np.array(sizes[:-1], dtype=np.int64) * np.array(sizes[1:], dtype=np.int64)
    possible = int(block_possible.sum())
    union = n1 + n2 - inter_total
    return Jaccard(
        value=inter_total / union if union else 1.0,
        chance=None,
        raw_chance=blockwise_chance(counts1, counts2, block_possible),
        intersection=inter_total,
        union=union,
        sizes=(n1, n2),
        densities=(n1 / possible, n2 / possible),
        kind="aligned",
        raw=raw,
        layer_values=tuple(layer_values),
        permutations=tuple(frozen_array(p, np.int64) for p in perms),
    )


def align_pair(s1, s2, raw=None):
    """The aligned :class:`~analysis.Jaccard` of two layered structures of one architecture.

    ``raw`` is their raw edge Jaccard when known (computed otherwise).
    """
    sizes = s1.layered.sizes
    result = align_pair_task(block_masks(s1), block_masks(s2), sizes)
    if raw is None:
        raw = edge_space([s1, s2]).jaccard(0, 1, kind="edge", layer=None).value
    return aligned_result(result, raw, block_counts(s1), block_counts(s2), sizes)
