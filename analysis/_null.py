"""Random networks with the edge counts of real ones, and the baselines drawn from them (private kernel).

The null model of :func:`~analysis.random_like` and :func:`~analysis.aligned_chance_jaccard`: each
block keeps its edge count, its edges placed uniformly among the possible ones. The random baseline
of a group (:mod:`analysis.summary`) draws one such network per network and aligns them pairwise
(:func:`null_rows`, the pair task :func:`null_values`).
"""

import numpy as np

from ._align import align_blocks
from ._blocks import block_counts
from ._nnstd_kernel import mean_distance, nnstd_blocks
from ._pairs import run_pairs

__all__ = ["random_block", "aligned_null", "block_values", "null_values", "null_rows"]


def random_block(n_in, n_out, m, gen):
    """A random ``(n_in, n_out)`` boolean block with ``m`` edges placed uniformly, drawn from ``gen``."""
    mask = np.zeros(n_in * n_out, dtype=bool)
    mask[gen.choice(n_in * n_out, size=m, replace=False)] = True
    return mask.reshape(n_in, n_out)


def aligned_null(s1, s2, n_samples, gen):
    """The mean aligned Jaccard of ``n_samples`` pairs of random networks with the block edge counts of ``s1`` and ``s2``.

    The estimate of :func:`~analysis.aligned_chance_jaccard`, drawn from ``gen``.
    """
    sizes = s1.layered.sizes
    counts = [block_counts(s1), block_counts(s2)]
    values = []
    for _ in range(n_samples):
        blocks = [[random_block(sizes[l], sizes[l + 1], c[l], gen) for l in range(len(sizes) - 1)] for c in counts]
        inter, n1, n2, _, _ = align_blocks(blocks[0], blocks[1], sizes)
        union = n1 + n2 - inter
        values.append(inter / union if union else 1.0)
    return float(np.mean(values))


def block_values(per_layer, value):
    """``{"overall": value, "0": per_layer[0], "1": ...}``: a measure overall and per block."""
    out = {"overall": value}
    out.update({str(l): v for l, v in enumerate(per_layer)})
    return out


def null_values(blocks1, blocks2, sizes):
    """Overall and per-block aligned Jaccard and NNSTD of two random networks given as boolean blocks.

    The pair task of the random baseline: module-level and pure, with plain dicts of floats as
    result (``{"aligned": {...}, "nnstd": {...}}``, each with ``"overall"`` and ``"0"``,
    ``"1"``, ... per block), so that a *pair_map* can run it anywhere (see
    :func:`~analysis.local_pair_map`).
    """
    inter, n1, n2, layer_values, _ = align_blocks(blocks1, blocks2, sizes)
    union = n1 + n2 - inter
    aligned = {"overall": inter / union if union else 1.0}
    aligned.update({str(l): v for l, v in enumerate(layer_values)})
    per_layer, _ = nnstd_blocks(blocks1, blocks2, sizes)
    nnstd = block_values(per_layer, mean_distance(per_layer))
    return {"aligned": aligned, "nnstd": nnstd}


def null_rows(structs, pairs, gen, pair_map=None):
    """:func:`null_values` of the pairs of random networks drawn for ``structs``, through ``pair_map``.

    Every random network is drawn here, one per structure, in order, from ``gen``, before any pair
    is aligned, so the numbers do not depend on the pair_map.

    Parameters
    ----------
    structs : sequence of structures
        Layered, of one architecture.
    pairs : list of (int, int)
    gen : numpy.random.Generator
    pair_map : callable, optional

    Returns
    -------
    list of dict
        One :func:`null_values` result per pair, in order.
    """
    sizes = list(structs[0].layered.sizes)
    randoms = [
        tuple(random_block(sizes[l], sizes[l + 1], c, gen) for l, c in enumerate(block_counts(st))) for st in structs
    ]
    return run_pairs(pair_map, null_values, randoms, pairs, tuple(sizes))
