"""The pair_map protocol: pairwise alignments as tasks over plain per-network arrays, same numbers anywhere."""

import concurrent.futures
import math
import multiprocessing
import pickle
import struct

import networkx as nx
import numpy as np
import pytest

from analysis import aligned_jaccard, aligned_pairs, build_report, local_pair_map, summarize_group
from analysis._structure import structure
from netgraph.errors import ArchitectureMismatchError, GraphContractError, ParameterError

# ---------------------------------------------------------------- helpers


def _same(x, y, where="value"):
    """Assert ``x`` and ``y`` are equal bit for bit: same types, float bits, array dtypes, shapes and contents."""
    assert type(x) is type(y), f"{where}: {type(x).__name__} != {type(y).__name__}"
    if isinstance(x, np.ndarray):
        assert x.dtype == y.dtype and x.shape == y.shape and np.array_equal(x, y), where
        assert x.flags.writeable == y.flags.writeable, where
    elif isinstance(x, (tuple, list)):
        assert len(x) == len(y), where
        for n, (a, b) in enumerate(zip(x, y)):
            _same(a, b, f"{where}[{n}]")
    elif isinstance(x, float):
        assert struct.pack("<d", x) == struct.pack("<d", y), f"{where}: {x!r} != {y!r}"
    else:
        assert x == y, f"{where}: {x!r} != {y!r}"


def _same_jaccard(j, ref):
    for name in ref.__dataclass_fields__:
        _same(getattr(j, name), getattr(ref, name), name)


def _check_against_aligned_jaccard(graphs, pairs=None, **kwargs):
    found = aligned_pairs(graphs, pairs, **kwargs)
    expected = pairs if pairs is not None else [(a, b) for a in range(len(graphs)) for b in range(a + 1, len(graphs))]
    assert list(found) == list(dict.fromkeys(tuple(p) for p in expected))
    for (a, b), j in found.items():
        _same_jaccard(j, aligned_jaccard(graphs[a], graphs[b]))
    return found


def _walk(x):
    """Every object inside nested tuples, lists and dicts."""
    yield x
    if isinstance(x, (tuple, list)):
        for y in x:
            yield from _walk(y)
    elif isinstance(x, dict):
        for y in x.values():
            yield from _walk(y)


class Recording:
    """A pair_map that records every call and computes locally."""

    def __init__(self):
        self.calls = []

    def __call__(self, fn, items, pairs, *args):
        self.calls.append((fn, items, list(pairs), args))
        return local_pair_map(fn, items, pairs, *args)


def _shuffled_pair_map(fn, items, pairs, *args):
    """Runs the pairs in a scrambled order and returns the results in the order of ``pairs``."""
    order = np.random.default_rng(len(pairs)).permutation(len(pairs))
    out = [None] * len(pairs)
    for n in order:
        a, b = pairs[n]
        out[n] = fn(items[a], items[b], *args)
    return out


def _run_pickled(fn_bytes, item_a, item_b, args_bytes):
    """One pair in a worker process: the task and its inputs arrive as pickles, as on a cluster."""
    return pickle.loads(fn_bytes)(pickle.loads(item_a), pickle.loads(item_b), *pickle.loads(args_bytes))


class PoolPairMap:
    """A stand-in for a cluster's pair_map: pickles ``fn``, each item once and ``args``, one task per pair."""

    def __init__(self, pool):
        self.pool = pool
        self.pickled_items = 0

    def __call__(self, fn, items, pairs, *args):
        fn_bytes, args_bytes = pickle.dumps(fn), pickle.dumps(args)  # by reference: module-level only
        blobs = [pickle.dumps(item) for item in items]  # each network once, whatever its number of pairs
        self.pickled_items += len(blobs)
        futures = [self.pool.submit(_run_pickled, fn_bytes, blobs[a], blobs[b], args_bytes) for a, b in pairs]
        return [f.result() for f in futures]


@pytest.fixture(scope="module")
def pool():
    # fresh interpreters (spawn), like a remote worker: tasks must import what they run
    with concurrent.futures.ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("spawn")) as ex:
        yield ex


def _layered(edges, sizes, name=lambda l, i: (l, i)):
    """A layered graph with every node and the given (layer, i) -> (layer + 1, j) edges; ``name`` labels nodes."""
    G = nx.DiGraph()
    for l, n in enumerate(sizes):
        G.add_nodes_from((name(l, i), {"layer": l, "index": i}) for i in range(n))
    G.add_edges_from((name(l, i), name(l + 1, j)) for l, i, j in edges)
    return G


def _without_timing(d):
    """A report or summary dict without its creation time and durations."""
    if isinstance(d, dict):
        return {k: _without_timing(v) for k, v in d.items() if k not in ("created", "seconds")}
    if isinstance(d, list):
        return [_without_timing(v) for v in d]
    return d


@pytest.fixture
def study(make_layered, rng, permute):
    """Two methods x three seeds of 9-8-6-3 (one a permuted copy), plus two 9-7-6-3 networks."""
    out = []
    for method, density in (("random", 0.3), ("strategic", 0.4)):
        for seed in range(3):
            G = make_layered([9, 8, 6, 3], density, rng)
            G.graph["meta"] = {"method": method, "seed": seed}
            out.append(G)
    H, _ = permute(out[0], rng)
    H.graph["meta"] = {"method": "strategic", "seed": 7}
    out.append(H)
    for seed in (8, 9):
        odd = make_layered([9, 7, 6, 3], 0.3, rng)
        odd.graph["meta"] = {"method": "random", "seed": seed}
        out.append(odd)
    return out


# ---------------------------------------------------------------- the protocol


def test_local_pair_map_is_the_list_comprehension():
    items = [np.arange(3), np.arange(3) + 1, np.zeros(3)]
    pairs = [(0, 1), (2, 0), (1, 1)]
    got = local_pair_map(np.dot, items, pairs)
    assert got == [float(np.dot(items[a], items[b])) for a, b in pairs]
    assert local_pair_map(divmod, [7, 2], []) == []
    assert local_pair_map(pow, [2, 3], [(0, 1)], 5) == [3]


# ---------------------------------------------------------------- (a) aligned_pairs == aligned_jaccard


@pytest.mark.parametrize("seed", range(4))
def test_aligned_pairs_equal_aligned_jaccard_on_random_networks(seed, make_layered, permute):
    rng = np.random.default_rng(seed)
    sizes = [8, 7, 6, 3] if seed % 2 else [12, 10, 9, 4]
    graphs = [make_layered(sizes, d, rng) for d in (0.2, 0.35, 0.5)]
    graphs.append(permute(graphs[1], rng)[0])
    graphs.append(make_layered(sizes, 0.0, rng))  # no edges at all
    _check_against_aligned_jaccard(graphs)
    # any pairs, either direction, a network with itself, repeats collapsed; the default pair_map explicitly
    _check_against_aligned_jaccard(graphs, [(3, 1), (0, 0), (4, 2), (2, 4), (3, 1)], pair_map=local_pair_map)
    # pairs over part of the networks: only those are passed
    rec = Recording()
    _check_against_aligned_jaccard(graphs, [(4, 1)], pair_map=rec)
    assert len(rec.calls[0][1]) == 2 and rec.calls[0][2] == [(1, 0)]


def test_aligned_pairs_equal_aligned_jaccard_on_hand_made_networks():
    straight = _layered([(0, 0, 0), (0, 1, 1), (1, 0, 0), (1, 1, 1)], (2, 2, 2))
    crossed = _layered([(0, 0, 1), (0, 1, 0), (1, 1, 0), (1, 0, 1)], (2, 2, 2))  # hidden neurons swapped
    lost = _layered([(0, 0, 0), (0, 1, 1), (1, 0, 0)], (2, 2, 2))
    empty = _layered([], (2, 2, 2))
    full = _layered([(l, i, j) for l in range(2) for i in range(2) for j in range(2)], (2, 2, 2))
    found = _check_against_aligned_jaccard([straight, crossed, lost, empty, full])
    j = found[(0, 1)]
    assert (j.value, j.raw, j.layer_values, j.permutations[1].tolist()) == (1.0, 0.0, (1.0, 1.0), [1, 0])
    assert (found[(0, 2)].value, found[(0, 2)].intersection, found[(0, 2)].union) == (0.75, 3, 4)
    assert found[(3, 4)].value == 0.0 and _check_against_aligned_jaccard([empty, empty])[(0, 1)].value == 1.0
    # no hidden layer: nothing to permute
    one_block = [_layered([(0, 0, 1), (0, 2, 0)], (3, 2)), _layered([(0, 0, 1)], (3, 2))]
    j = _check_against_aligned_jaccard(one_block)[(0, 1)]
    assert (j.value, j.raw, [p.tolist() for p in j.permutations]) == (0.5, 0.5, [[0, 1, 2], [0, 1]])


def test_aligned_pairs_with_other_node_labels_and_sorted_keys(make_layered, rng, monkeypatch):
    # same layer sizes, other labels: the raw Jaccard compares labels, the alignment positions
    edges = [(0, 0, 1), (0, 1, 0), (1, 1, 0), (1, 0, 1), (2, 1, 0)]
    named = _layered(edges, (2, 2, 2, 1), name=lambda l, i: f"n{l}.{i}")
    graphs = [_layered(edges, (2, 2, 2, 1)), _layered(edges[:4], (2, 2, 2, 1)), named]
    found = _check_against_aligned_jaccard(graphs)
    assert found[(0, 2)].raw == 0.0 and found[(0, 2)].value == 1.0
    # edge spaces too large for boolean masks use sorted keys; the block masks are built per network
    gs = [make_layered([6, 5, 4, 2], 0.4, rng) for _ in range(3)]
    before = aligned_pairs(gs)
    monkeypatch.setattr("analysis._structure.MASK_LIMIT", 0)
    monkeypatch.setattr("analysis._space.MASK_LIMIT", 0)
    fresh = [G.copy() for G in gs]
    after = _check_against_aligned_jaccard(fresh)
    for pair, j in after.items():
        _same_jaccard(j, before[pair])


def test_aligned_pairs_rejects(make_layered, rng):
    G = make_layered([4, 3, 2], 0.5, rng)
    with pytest.raises(ArchitectureMismatchError, match=r"graphs 0 and 1 have layer sizes \[4, 3, 2\] and \[4, 5, 2\]"):
        aligned_pairs([G, make_layered([4, 5, 2], 0.5, rng)])
    with pytest.raises(GraphContractError, match=r"graphs\[1\] is not a layered graph"):
        aligned_pairs([G, nx.DiGraph([("a", "b")])])
    with pytest.raises(ParameterError, match="expected a sequence of networkx.DiGraph"):
        aligned_pairs(G)
    for bad in ([(0, 2)], [(0,)], [(0, 1.0)], [(True, 0)], [(-1, 0)], ["01"]):
        with pytest.raises(ParameterError, match=r"pairs\[0\]="):
            aligned_pairs([G, G], bad)
    with pytest.raises(ParameterError, match="expected None or a sequence"):
        aligned_pairs([G, G], "01")
    with pytest.raises(ParameterError, match="pair_map=3: expected None or a callable"):
        aligned_pairs([G, G], pair_map=3)
    with pytest.raises(ParameterError, match="returned 0 results for 1 pairs"):
        aligned_pairs([G, G], pair_map=lambda fn, items, pairs, *args: [])
    with pytest.raises(ParameterError, match="returned a non-sequence for 1 pairs"):
        aligned_pairs([G, G], pair_map=lambda fn, items, pairs, *args: None)
    with pytest.raises(ParameterError, match="pair_map='x'"):
        summarize_group([G, G], pair_map="x")
    with pytest.raises(ParameterError, match="pair_map='x'"):
        build_report([G, G], aligned=False, pair_map="x")
    assert aligned_pairs([G], pair_map=lambda *a: pytest.fail("called without pairs")) == {}


# ---------------------------------------------------------------- (b) a pool of processes gives the same report


def test_report_through_a_pool_of_processes_equals_the_local_one(study, pool):
    local = build_report(study, power_law=False, rng=0)
    pooled = PoolPairMap(pool)
    remote = build_report(study, power_law=False, rng=0, pair_map=pooled)
    assert _without_timing(remote.to_dict()) == _without_timing(local.to_dict())
    # architectures 9-8-6-3 (7 networks) and 9-7-6-3 (2): each aligned in one call; then one call per
    # comparison for its random networks (random 9-8-6-3: 3, strategic: 4, random 9-7-6-3: 2, all: 7)
    assert pooled.pickled_items == 7 + 2 + 3 + 4 + 2 + 7
    for c_remote, c_local in zip(remote.comparisons, local.comparisons):
        assert np.array_equal(c_remote.aligned.values, c_local.aligned.values)
        assert np.array_equal(c_remote.aligned.chance, c_local.aligned.chance)
    # a scrambled execution order changes nothing either
    scrambled = build_report(study, power_law=False, rng=0, pair_map=_shuffled_pair_map)
    assert _without_timing(scrambled.to_dict()) == _without_timing(local.to_dict())


def test_aligned_pairs_through_a_pool_of_processes(study, pool):
    graphs = study[:7]
    pairs = [(a, b) for a in range(7) for b in range(7) if a != b]
    remote = aligned_pairs(graphs, pairs, pair_map=PoolPairMap(pool))
    for (a, b), j in remote.items():
        _same_jaccard(j, aligned_jaccard(graphs[a], graphs[b]))


# ---------------------------------------------------------------- (c) what a pair_map is given


def _check_call(fn, items, pairs, args, n_networks):
    assert fn.__module__.startswith("analysis.") and "<locals>" not in fn.__qualname__
    assert pickle.loads(pickle.dumps(fn)) is fn  # pickled by reference
    assert isinstance(items, list) and len(items) == n_networks  # each network once
    assert pairs == [(a, b) for a in range(n_networks) for b in range(a + 1, n_networks)]
    for obj in _walk([items, args]):
        assert not isinstance(obj, (nx.Graph, nx.classes.reportviews.NodeView)), type(obj)
        assert isinstance(obj, (tuple, list, np.ndarray, int)), type(obj)
    for item in items:
        assert isinstance(item, tuple) and all(isinstance(m, np.ndarray) and m.dtype == bool for m in item)
    sizes = args[0]
    assert args == (sizes,) and all(type(n) is int for n in sizes)
    for item in items:
        assert [m.shape for m in item] == list(zip(sizes[:-1], sizes[1:]))


def test_each_networks_arrays_are_passed_once_per_call(study):
    rec = Recording()
    build_report(study, power_law=False, rng=0, pair_map=rec)
    from analysis._null import null_values
    from analysis._pairs import aligned_nnstd_task

    assert [(fn, len(items)) for fn, items, _, _ in rec.calls] == [
        (aligned_nnstd_task, 7),  # the 9-8-6-3 networks: aligned Jaccard and NNSTD in one task
        (aligned_nnstd_task, 2),  # the 9-7-6-3 networks
        (null_values, 3),  # random (9-8-6-3)
        (null_values, 2),  # random (9-7-6-3)
        (null_values, 4),  # strategic
        (null_values, 7),  # all methods (9-8-6-3)
    ]
    for fn, items, pairs, args in rec.calls:
        _check_call(fn, items, pairs, args, len(items))
    # the real networks' items are their structural arrays, in order
    big = [G for G in study if structure(G).layered.sizes == (9, 8, 6, 3)]
    for G, item in zip(big, rec.calls[0][1]):
        s = structure(G)
        assert all(np.array_equal(m, s.block_mask(l)) for l, m in enumerate(item))
    # the random networks keep each network's edge count per block
    for G, item in zip(study[:3], rec.calls[2][1]):
        assert [int(m.sum()) for m in item] == [int(structure(G).block_mask(l).sum()) for l in range(3)]


# ---------------------------------------------------------------- (d) summaries


@pytest.mark.parametrize("aligned", [True, False])
def test_summary_through_a_pair_map_equals_the_local_one(study, pool, aligned):
    graphs = study[:7]
    local = _without_timing(summarize_group(graphs, rng=3, aligned=aligned).to_dict())
    rec = Recording()
    assert _without_timing(summarize_group(graphs, rng=3, aligned=aligned, pair_map=rec).to_dict()) == local
    pooled = PoolPairMap(pool)
    assert _without_timing(summarize_group(graphs, rng=3, aligned=aligned, pair_map=pooled).to_dict()) == local
    if not aligned:
        assert rec.calls == [] and pooled.pickled_items == 0
        return
    from analysis._null import null_values
    from analysis._pairs import aligned_nnstd_task

    assert [fn for fn, *_ in rec.calls] == [aligned_nnstd_task, null_values]
    for fn, items, pairs, args in rec.calls:
        _check_call(fn, items, pairs, args, 7)
    assert pooled.pickled_items == 2 * 7
    # a Generator is drawn from in the same order whatever the pair_map
    a = summarize_group(graphs, rng=np.random.default_rng(5), pair_map=_shuffled_pair_map)
    b = summarize_group(graphs, rng=np.random.default_rng(5))
    assert a.aligned_null == b.aligned_null and not math.isnan(a.aligned_null["overall"])
    assert a.nnstd_null == b.nnstd_null and not math.isnan(a.nnstd_null["overall"])
