"""Many pairs of layered networks run through a *pair_map* (private kernel).

The protocol of a *pair_map* is :func:`local_pair_map` (published in :mod:`analysis.similarity`);
:class:`PairBatch` prepares the networks of many pairs (each network's block masks once) and runs
a pair task on them, checked to give one result per pair. :func:`aligned_and_nnstd_pairs` runs
the aligned Jaccard and the NNSTD of every pair in one task (:func:`aligned_nnstd_task`), the
pass of :func:`~analysis.build_report` and :func:`~analysis.summarize_group`.
"""

from collections.abc import Sequence

import numpy as np

from netgraph.errors import ParameterError

from ._align import align_pair_task, aligned_result
from ._blocks import block_masks, check_comparable, check_graphs
from ._nnstd_kernel import nnstd_blocks, nnstd_result
from ._results import published
from ._space import edge_space

__all__ = [
    "local_pair_map",
    "check_pair_map",
    "run_pairs",
    "check_pairs",
    "PairBatch",
    "aligned_nnstd_task",
    "aligned_and_nnstd_pairs",
]


@published("analysis.similarity")
def local_pair_map(fn, items, pairs, *args, progress=None):
    """``[fn(items[a], items[b], *args) for a, b in pairs]``: the reference *pair_map*, in this process.

    A *pair_map* is any callable with this signature and result: a list with one result per
    pair, in the order of ``pairs``. The pairwise work of :mod:`analysis` —
    :func:`~analysis.aligned_pairs`, and through it :func:`~analysis.build_report` and
    :func:`~analysis.summarize_group` (its ``pair_map`` argument) — goes through one, so that a
    caller can run the pairs elsewhere: a Dask pair_map sends each item to the workers once,
    submits one task per pair and gathers the results in order. What :mod:`analysis` passes
    makes that possible:

    - ``fn`` is a pure module-level function of :mod:`analysis` (pickled by reference);
    - ``items`` is a list with one entry per network, each a tuple of numpy boolean arrays,
      the masks ``(n_l, n_{l+1})`` (source x target) of its blocks ``l -> l + 1``: plain data,
      no graphs, each network's structural arrays once whatever the number of pairs;
    - ``pairs`` is a list of ``(a, b)`` int tuples indexing ``items``;
    - ``args`` are small picklable values (the layer sizes, a tuple of int);
    - ``fn`` returns plain numbers, tuples, dicts and numpy arrays.

    The random draws and the assembly of results stay with the caller, so any pair_map that
    returns what ``fn`` returns gives numbers identical to this one, bit for bit, whichever
    process or machine ran each pair and in whatever order they finished.

    A pair_map may also take a keyword ``progress``, a callable it calls as
    ``progress(done, total)`` as pairs finish. :mod:`analysis` never passes it, so a pair_map
    without it works as before; whoever chooses the pair_map binds it, e.g.
    ``build_report(graphs, pair_map=functools.partial(local_pair_map, progress=show))``
    (``Cluster.pair_map`` of :mod:`netgraph.cluster` takes it too).

    Parameters
    ----------
    fn : callable
        ``fn(item_a, item_b, *args)``.
    items : sequence
    pairs : sequence of (int, int)
    *args
        Passed to every call after the two items.
    progress : callable, optional
        Called as ``progress(done, total)`` after each pair.

    Returns
    -------
    list
        ``fn``'s result for each pair, in the order of ``pairs``.

    Examples
    --------
    >>> local_pair_map(max, [3, 1, 4], [(0, 1), (1, 2)])
    [3, 4]
    >>> local_pair_map(pow, [2, 3, 5], [(0, 1), (2, 0)], 7)  # pow(2, 3, 7), pow(5, 2, 7)
    [1, 4]
    >>> local_pair_map(max, [3, 1, 4], [(0, 1), (1, 2)], progress=lambda done, total: print(f"{done}/{total}"))
    1/2
    2/2
    [3, 4]
    """
    if progress is None:
        return [fn(items[a], items[b], *args) for a, b in pairs]
    out = []
    for a, b in pairs:
        out.append(fn(items[a], items[b], *args))
        progress(len(out), len(pairs))
    return out


def check_pair_map(pair_map):
    """``pair_map``, or :func:`local_pair_map` for None; ParameterError if it is not callable."""
    if pair_map is None:
        return local_pair_map
    if not callable(pair_map):
        raise ParameterError(f"pair_map={pair_map!r}: expected None or a callable (see analysis.local_pair_map)")
    return pair_map


def run_pairs(pair_map, fn, items, pairs, *args):
    """``pair_map(fn, items, pairs, *args)`` (None: :func:`local_pair_map`), checked to give one result per pair."""
    pair_map = check_pair_map(pair_map)
    if not pairs:
        return []
    results = pair_map(fn, items, pairs, *args)
    try:
        results = list(results)
    except TypeError:
        results = None
    if results is None or len(results) != len(pairs):
        got = "a non-sequence" if results is None else f"{len(results)} results"
        raise ParameterError(
            f"pair_map={pair_map!r} returned {got} for {len(pairs)} pairs, expected one result per pair, in order"
        )
    return results


def check_pairs(pairs, k):
    """``pairs`` as a list of distinct ``(a, b)`` int tuples in ``[0, k)`` (default: every ``a < b``, row order)."""
    if pairs is None:
        return [(a, b) for a in range(k) for b in range(a + 1, k)]
    if isinstance(pairs, (str, bytes)) or not isinstance(pairs, (Sequence, np.ndarray)):
        raise ParameterError(f"pairs={pairs!r}: expected None or a sequence of (a, b) index pairs")
    out = []
    for n, p in enumerate(pairs):
        ok = isinstance(p, (Sequence, np.ndarray)) and not isinstance(p, (str, bytes)) and len(p) == 2
        if ok:
            ok = all(not isinstance(x, bool) and isinstance(x, (int, np.integer)) and 0 <= x < k for x in p)
        if not ok:
            raise ParameterError(f"pairs[{n}]={p!r}: expected a pair (a, b) of ints in [0, {k - 1}]")
        out.append((int(p[0]), int(p[1])))
    return list(dict.fromkeys(out))


class PairBatch:
    """Many pairs of layered networks prepared for a *pair_map* (see :func:`~analysis.aligned_pairs`).

    Checks the graphs (layered, one architecture) and the pairs; ``items`` holds the block
    masks of the networks that are in some pair, one entry per network, and ``slots`` the
    pairs as indices into ``items``.
    """

    def __init__(self, graphs, pairs):
        structs = check_graphs(graphs)
        for i, st in enumerate(structs):
            st.require_layered(name=f"graphs[{i}]", blocks=True)
        check_comparable(structs)
        self.pairs = check_pairs(pairs, len(structs))
        used = sorted({i for p in self.pairs for i in p})
        slot = {i: n for n, i in enumerate(used)}
        self.structs = [structs[i] for i in used]
        self.sizes = structs[0].layered.sizes
        self.items = [block_masks(st) for st in self.structs]
        self.slots = [(slot[a], slot[b]) for a, b in self.pairs]

    def run(self, pair_map, fn):
        """``fn`` of every pair through ``pair_map``: one result per pair, in order."""
        return run_pairs(pair_map, fn, self.items, self.slots, self.sizes)

    def aligned(self, results):
        """``(a, b)`` -> aligned :class:`~analysis.Jaccard` from the :func:`align_pair_task` results."""
        counts = [tuple(int(np.count_nonzero(m)) for m in blocks) for blocks in self.items]
        space = edge_space(self.structs)
        out = {}
        for pair, (a, b), result in zip(self.pairs, self.slots, results):
            raw = space.jaccard(a, b, kind="edge", layer=None).value
            out[pair] = aligned_result(result, raw, counts[a], counts[b], self.sizes)
        return out


def aligned_nnstd_task(blocks1, blocks2, sizes):
    """The pair task of a report: the aligned Jaccard and the NNSTD of a pair from one shipment of its arrays.

    ``(align_pair_task(...), nnstd_pair_task(...))``; module-level and pure like them (a Dask
    worker resolves a task by reference, ``analysis._pairs.aligned_nnstd_task``).
    """
    return align_pair_task(blocks1, blocks2, sizes), nnstd_blocks(blocks1, blocks2, sizes)


def aligned_and_nnstd_pairs(graphs, pairs=None, *, pair_map=None):
    """:func:`~analysis.aligned_pairs` and :func:`~analysis.nnstd_pairs` of the same pairs in one pass.

    One pair task (:func:`aligned_nnstd_task`) per pair computes both, so each network's
    arrays are passed to ``pair_map`` once for the two measures. Returns ``(aligned, nnstd)``,
    two dicts ``(a, b)`` -> result, equal to what the two functions return.
    """
    batch = PairBatch(graphs, pairs)
    if not batch.pairs:
        return {}, {}
    results = batch.run(pair_map, aligned_nnstd_task)
    aligned = batch.aligned([r[0] for r in results])
    return aligned, {pair: nnstd_result(r[1], batch.sizes) for pair, r in zip(batch.pairs, results)}
