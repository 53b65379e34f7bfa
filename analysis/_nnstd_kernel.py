"""The NNSTD of two networks given as boolean blocks, and its result (private kernel).

The computation behind :func:`~analysis.nnstd` and :func:`~analysis.nnstd_pairs` (see
:mod:`analysis.nnstd` for the measure); :class:`NNSTD` is published in :mod:`analysis.nnstd`.
"""

from dataclasses import dataclass

import numpy as np
from scipy.optimize import linear_sum_assignment

from ._results import concise_repr, frozen_array, published, result_dict

__all__ = ["NNSTD", "FLOAT32_EXACT", "edit_costs", "nnstd_blocks", "nnstd_pair_task", "mean_distance", "nnstd_result"]


@published("analysis.nnstd")
@dataclass(frozen=True, eq=False)
class NNSTD:
    """The NNSTD of two layered networks (see :func:`~analysis.nnstd`).

    Attributes
    ----------
    value : float
        Mean of ``per_layer``: 0.0 for networks equal up to a relabelling of their hidden and
        output neurons, at most 1.0.
    per_layer : tuple of float
        Per weight layer ``l -> l + 1``: the matched cost over the number of targets ``n_{l+1}``.
    permutations : tuple of numpy.ndarray
        One int64 array per layer of units: ``perm[k]`` is the position in the first network
        that neuron ``k`` of the second network is matched to (identity for the inputs; the
        outputs are matched too). The convention of :attr:`Jaccard.permutations
        <analysis.Jaccard>`.
    layer_sizes : tuple of int
    """

    value: float
    per_layer: tuple
    permutations: tuple
    layer_sizes: tuple

    def __repr__(self):
        return concise_repr(self)

    def __float__(self):
        return float(self.value)

    def to_dict(self):
        """JSON-safe dict of every field plus provenance."""
        return result_dict(
            self, "nnstd", reference="Liu et al. 2020, Shiweiliuiiiiiii/Sparse_Topology_Distance (same numbers)"
        )


# incidence counts up to this many sources are exact in a float32 matrix product
FLOAT32_EXACT = 1 << 24


def edit_costs(A, B):
    """The normalised edit distances of every target of ``A`` to every target of ``B`` (float64).

    ``A`` and ``B`` are boolean incidence matrices, sources x targets. Rows of the result are
    ``A``'s targets. The counts are exact: a float32 product of 0/1 matrices is exact below
    2**24 sources (float64 above).
    """
    dtype = np.float32 if A.shape[0] < FLOAT32_EXACT else np.float64
    inter = (A.T.astype(dtype) @ B.astype(dtype)).astype(np.int64)  # [j of A, k of B]
    size_a = np.count_nonzero(A, axis=0).astype(np.int64)
    size_b = np.count_nonzero(B, axis=0).astype(np.int64)
    union = size_a[:, None] + size_b[None, :] - inter
    cost = np.zeros(union.shape, dtype=np.float64)  # 0.0 where both sets are empty
    np.divide(union - inter, union, out=cost, where=union > 0)  # int64 / int64: float64 quotient
    return cost


def nnstd_blocks(blocks1, blocks2, sizes):
    """NNSTD of two networks given as boolean source x target blocks (the core).

    Returns ``(per_layer, permutations)``: a tuple of float and a tuple of int64 arrays.
    """
    sources = np.arange(sizes[0])  # row j of network 2's block = its original row sources[j]
    perms = [np.arange(sizes[0], dtype=np.int64)]
    per_layer = []
    for l in range(len(sizes) - 1):
        cost = edit_costs(blocks1[l], blocks2[l][sources])
        rows, cols = linear_sum_assignment(cost)  # network 2's target cols[j] goes with network 1's rows[j]
        per_layer.append(float(cost[rows, cols].sum() / sizes[l + 1]))
        perm = np.empty(sizes[l + 1], dtype=np.int64)
        perm[cols] = rows
        perms.append(perm)
        sources = cols
    return tuple(per_layer), tuple(perms)


def nnstd_pair_task(blocks1, blocks2, sizes):
    """The pair task of :func:`~analysis.nnstd_pairs`: :func:`nnstd_blocks` of two networks' block masks.

    Module-level and pure, with plain results (floats, int64 arrays), so that a *pair_map* can
    run it anywhere (see :func:`~analysis.local_pair_map`).
    """
    return nnstd_blocks(blocks1, blocks2, sizes)


def mean_distance(per_layer):
    """The network's NNSTD from its layer distances: their numpy mean, as the authors take it."""
    return float(np.mean(np.asarray(per_layer, dtype=np.float64)))


def nnstd_result(result, sizes):
    """The :class:`NNSTD` from a :func:`nnstd_pair_task` result."""
    per_layer, perms = result
    return NNSTD(
        value=mean_distance(per_layer),
        per_layer=tuple(float(v) for v in per_layer),
        permutations=tuple(frozen_array(p, np.int64) for p in perms),
        layer_sizes=tuple(int(n) for n in sizes),
    )
