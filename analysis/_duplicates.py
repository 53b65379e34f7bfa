"""Networks that repeat an earlier one: what makes a network itself, as a digest (private kernel).

A report leaves out a network identical to an earlier one (the same file twice, a copied seed
folder): :func:`identity` digests its layer sizes, activation, connections with their weights
and its biases, whatever its node names or metadata; :func:`find_duplicates` finds the repeats
and :func:`duplicates_note` says which were left out.
"""

import hashlib
import numbers

import numpy as np

from ._structure import edge_weights, graph_attribute, graph_meta, is_network, node_biases, structure

__all__ = ["identity", "find_duplicates", "duplicates_note"]


def _canonical(values):
    """Weights or biases as comparable bytes: real numbers as float64 (0.0 and -0.0 alike), anything else by repr."""
    if isinstance(values, np.ndarray) and values.dtype.kind == "f":  # a network's arrays: no per-value work
        return (values.astype(np.float64) + 0.0).tobytes() + np.ones(values.size, dtype=bool).tobytes() + b"[]"
    if all(type(v) is float for v in values):
        return _canonical(np.asarray(values, dtype=np.float64))
    real = np.array([isinstance(v, numbers.Real) and not isinstance(v, bool) for v in values], dtype=bool)
    numbers_ = np.array([float(v) + 0.0 if r else 0.0 for v, r in zip(values, real)], dtype=np.float64)
    other = repr([v for v, r in zip(values, real) if not r]).encode("utf-8", "backslashreplace")
    return numbers_.tobytes() + real.tobytes() + other


def identity(G):
    """A digest of what makes the layered network ``G`` itself, whatever its node names or metadata.

    The layer sizes, ``activation`` and ``has_bias``, every block's connections in compressed
    rows (out x in, positions within the layers) with their ``weight``, and every unit's
    ``bias``: two inputs have one digest when they are the same network (the same file twice, a
    copy of a checkpoint, a reload of an export, a network and its graph). A network's arrays are
    hashed a chunk at a time, without copies of its size.
    """
    s = structure(G)
    lay = s.layered
    activation, has_bias = graph_attribute(G, "activation"), graph_attribute(G, "has_bias")
    h = hashlib.sha256(repr((tuple(lay.sizes), activation, bool(has_bias) if has_bias is not None else None)).encode())
    for indptr, indices, weights in _canonical_blocks(G, s):
        for arr, dtype in ((indptr, np.int64), (indices, np.int64)):
            for start in range(0, arr.size, _HASH_CHUNK):
                h.update(np.ascontiguousarray(arr[start : start + _HASH_CHUNK], dtype=dtype).tobytes())
        _update_canonical(h, weights)
    bias = node_biases(G, s)
    by_layer = np.lexsort((lay.pos, lay.layer))  # units in layer order, by position
    _update_canonical(h, bias[by_layer] if isinstance(bias, np.ndarray) else [bias[k] for k in by_layer.tolist()])
    return h.hexdigest()


_HASH_CHUNK = 1 << 22


def _update_canonical(h, values):
    """``h.update(_canonical(values))``, a chunk at a time for an array of floats."""
    if not (isinstance(values, np.ndarray) and values.dtype.kind == "f"):
        h.update(_canonical(values))
        return
    for start in range(0, values.size, _HASH_CHUNK):
        h.update((values[start : start + _HASH_CHUNK].astype(np.float64) + 0.0).tobytes())
    for start in range(0, values.size, _HASH_CHUNK):
        h.update(np.ones(min(_HASH_CHUNK, values.size - start), dtype=bool).tobytes())
    h.update(b"[]")


def _canonical_blocks(G, s):
    """Per block ``(indptr, indices, weights)`` of its connections out x in, indices ascending in each row."""
    if is_network(G):
        for block in G.blocks:
            yield block.indptr, block.indices, block.data
        return
    lay = s.layered
    weights = edge_weights(G, s)
    src, dst = s.sources, s.indices.astype(np.int64)
    layer = lay.layer[src]
    for l in range(len(lay.sizes) - 1):
        sel = np.flatnonzero(layer == l)
        i, j = lay.pos[src[sel]], lay.pos[dst[sel]]
        order = np.lexsort((i, j))
        indptr = np.zeros(lay.sizes[l + 1] + 1, dtype=np.int64)
        np.cumsum(np.bincount(j, minlength=lay.sizes[l + 1]), out=indptr[1:])
        yield indptr, i[order], [weights[k] for k in sel[order].tolist()]


def find_duplicates(graphs, labels, groups, sources):
    """The networks identical to an earlier one: ``(duplicates, kept positions)``.

    A network is a duplicate of the first earlier kept network with the same :func:`identity`
    whose checkpoint's ``meta["initial_topology"]`` does not contradict its own (equal, or
    recorded by at most one of the two), whatever their groups.
    """
    kept, duplicates, first = [], [], {}
    for i, G in enumerate(graphs):
        mine = graph_meta(G).get("initial_topology")
        digest = identity(G)
        twin = None
        for j in first.get(digest, []):
            theirs = graph_meta(graphs[j]).get("initial_topology")
            if not (isinstance(mine, str) and isinstance(theirs, str) and mine != theirs):
                twin = j
                break
        if twin is None:
            first.setdefault(digest, []).append(i)
            kept.append(i)
        else:
            duplicates.append(
                {
                    "label": labels[i],
                    "group": groups[i],
                    "source": sources[i],
                    "duplicate_of": labels[twin],
                    "duplicate_of_group": groups[twin],
                    "duplicate_of_source": sources[twin],
                }
            )
    return duplicates, kept


def duplicates_note(duplicates):
    """The report's note naming the ``duplicates`` (of :func:`find_duplicates`) it left out."""

    def who(label, source):
        return label if source is None else f"{label} ({source})"

    n = len(duplicates)
    pairs = "; ".join(
        f"{who(d['label'], d['source'])} repeats {who(d['duplicate_of'], d['duplicate_of_source'])}" for d in duplicates
    )
    return (
        f"Left out {n} duplicate {'network' if n == 1 else 'networks'} (the same edges, weights and biases as "
        f"an earlier one), which would count as pairs of Jaccard 1 and inflate the similarities: {pairs}."
    )
