"""The Jaccard result and its chance levels (private kernel; :class:`Jaccard` is published in :mod:`analysis.similarity`).

A Jaccard index is only informative against its chance level, the expected Jaccard of
independent random sets of the same densities: :func:`independent_chance` for one space,
:func:`blockwise_chance` for the edges of layered graphs, block by block (see
:mod:`analysis.similarity`).
"""

from dataclasses import dataclass

import numpy as np

from ._results import concise_repr, published, result_dict

__all__ = ["Jaccard", "independent_chance", "blockwise_chance"]


@published("analysis.similarity")
@dataclass(frozen=True, eq=False)
class Jaccard:
    """A Jaccard index with its chance level.

    Attributes
    ----------
    value : float
        ``intersection / union`` (1.0 when both sets are empty).
    chance : float or None
        The baseline of ``value``: its expected value for independent random sets of the same
        densities. None for ``kind="aligned"``: alignment lifts random networks above that
        level, so an aligned value's baseline is :func:`~analysis.aligned_chance_jaccard` (which
        :func:`~analysis.similarity_matrix` and the reports use); ``raw_chance`` is the baseline of ``raw``.
    intersection, union : int
    sizes : tuple of int
        Sizes of the two sets.
    densities : tuple of float
        Sizes over the possible edges (or nodes).
    kind : {"edge", "node", "aligned"}
    layer : int or None
    raw : float or None
        For ``kind="aligned"``: the edge Jaccard before alignment.
    raw_chance : float or None
        For ``kind="aligned"``: the chance level of ``raw`` (random networks of these block
        densities, not aligned).
    layer_values : tuple of float or None
        For ``kind="aligned"``: the aligned Jaccard of each block ``l -> l + 1``.
    permutations : tuple of numpy.ndarray or None
        For ``kind="aligned"``: per layer, ``perm[k]`` is the position in the first graph that
        neuron ``k`` of the second graph is matched to (identity for inputs and outputs).
    """

    value: float
    chance: float | None
    intersection: int
    union: int
    sizes: tuple
    densities: tuple
    kind: str
    layer: int | None = None
    raw: float | None = None
    layer_values: tuple | None = None
    permutations: tuple | None = None
    raw_chance: float | None = None

    def __float__(self):
        return float(self.value)

    def __repr__(self):
        return concise_repr(self)

    def to_dict(self):
        """JSON-safe dict of every field plus provenance."""
        fn = {"edge": "edge_jaccard", "node": "node_jaccard", "aligned": "aligned_jaccard"}[self.kind]
        return result_dict(self, fn, layer=self.layer)


def independent_chance(d1, d2):
    """:func:`~analysis.chance_jaccard` of densities known to lie in ``[0, 1]`` (unchecked).

    Parameters
    ----------
    d1, d2 : float

    Returns
    -------
    float
    """
    den = d1 + d2 - d1 * d2
    return 1.0 if den == 0 else float(d1 * d2 / den)


def blockwise_chance(n1, n2, possible):
    """Chance Jaccard of random edge sets keeping each block's edge count (see module docs)."""
    n1, n2 = np.asarray(n1, dtype=float), np.asarray(n2, dtype=float)
    inter = float(np.sum(n1 * n2 / np.asarray(possible, dtype=float)))  # sum of d1_l * d2_l * P_l
    union = float(n1.sum() + n2.sum()) - inter
    return 1.0 if union <= 0 else inter / union
