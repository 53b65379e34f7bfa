"""Seed studies: a grid of training configurations × seeds, run in worker processes, and summarised.

:func:`run_grid` trains every configuration with every seed (:func:`netgraph.train.train_run`)
into ``OUT/<method label>/seed-S/``, in parallel worker processes when ``workers > 1``. Each
worker uses one torch thread (``torch.set_num_threads(1)``), so ``workers`` processes use about
``workers`` cores, and a run gives the same result whichever process trains it. Seeds are given
explicitly or drawn with :func:`spawn_seeds` from a :class:`numpy.random.SeedSequence`; every
run records its seed (``params.json``, checkpoint ``meta``).

:func:`summarize_group` compares the final networks of one configuration across seeds: mean
pairwise edge Jaccard per block and overall, raw, at the chance level of independent random
masks of the same densities, after NNSTD neuron alignment (:func:`analysis.aligned_jaccard`) and
the aligned Jaccard of random masks with the same per-block edge counts (alignment raises
random masks above chance too, so that is its baseline); the common subnetwork at several
``min_share`` with its chance expectation; driver nodes against the width bound; degree
statistics.

Examples
--------
>>> import networkx as nx
>>> G = nx.DiGraph([((0, 0), (1, 0)), ((0, 1), (1, 1)), ((1, 0), (2, 0)), ((1, 1), (2, 0))])
>>> H = nx.relabel_nodes(G, {(1, 0): (1, 1), (1, 1): (1, 0)})  # hidden neurons swapped
>>> s = summarize_group([G, H], method="demo", rng=0)
>>> s.edge["overall"], s.aligned["overall"], s.common_edges
(0.3333333333333333, 1.0, {'1.0': 2, '0.8': 2})
"""

import dataclasses
import math
import numbers
import os
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .validation import check_choice, check_positive_int, check_random_state
from ._version import __version__
from .fileio import jsonable
from .errors import ParameterError

__all__ = ["spawn_seeds", "default_workers", "run_grid", "GroupSummary", "summarize_group", "MIN_SHARES"]

#: ``min_share`` values at which :func:`summarize_group` reports the common subnetwork.
MIN_SHARES = (1.0, 0.8)


def spawn_seeds(n, *, entropy=None):
    """``n`` run seeds drawn from a :class:`numpy.random.SeedSequence`.

    Parameters
    ----------
    n : int
        Number of seeds.
    entropy : int, optional
        Root entropy; None draws fresh entropy from the OS. Record it to repeat the draw.

    Returns
    -------
    seeds : list of int
        One 32-bit seed per child sequence (``SeedSequence(entropy).spawn(n)``).
    entropy : int
        The root entropy used.

    Examples
    --------
    >>> seeds, entropy = spawn_seeds(3, entropy=42)
    >>> len(seeds), entropy, seeds == spawn_seeds(3, entropy=42)[0]
    (3, 42, True)
    """
    check_positive_int(n, name="n")
    root = np.random.SeedSequence(entropy)
    seeds = [int(child.generate_state(1, np.uint32)[0]) for child in root.spawn(int(n))]
    return seeds, int(root.entropy)


def default_workers():
    """``min(2, number of usable CPUs)``: the worker count scripts default to."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cpus = os.cpu_count() or 1
    return max(1, min(2, cpus))


# --------------------------------------------------------------------------- running


def _data_key(config):
    return (config.dataset, config.data_dir, config.data_seed, config.test_size, config.label_column)


def _load_data(config, cache):
    key = _data_key(config)
    if key not in cache:
        cache[key] = config.load_data()
    return cache[key]


_WORKER_DATA = {}  # per worker process: datasets loaded so far


def _init_worker():
    import torch

    torch.set_num_threads(1)


def _worker(config_dict, out_dir, seed, resume, keep):
    from .train import TrainConfig, train_run

    config = TrainConfig.from_dict(config_dict)
    return train_run(
        config, out_dir, seed=seed, resume=resume, progress=False, data=_load_data(config, _WORKER_DATA), keep=keep
    )


def _check_grid(configs, seeds, workers, keep):
    from .train import KEEP_CHOICES, TrainConfig

    if isinstance(configs, TrainConfig) or not isinstance(configs, list | tuple) or not configs:
        raise ParameterError(f"configs={configs!r}: expected a non-empty list of TrainConfig")
    labels = []
    for k, c in enumerate(configs):
        if not isinstance(c, TrainConfig):
            raise ParameterError(f"configs[{k}] is a {type(c).__name__}, expected a TrainConfig")
        labels.append(c.method)
    dup = sorted({m for m in labels if labels.count(m) > 1})
    if dup:
        raise ParameterError(f"configs: method labels {dup} occur more than once; give them distinct labels (label=...)")
    if isinstance(seeds, int | str) or not isinstance(seeds, list | tuple) or not seeds:
        raise ParameterError(f"seeds={seeds!r}: expected a non-empty list of non-negative ints")
    for s in seeds:
        if isinstance(s, bool) or not isinstance(s, numbers.Integral) or s < 0:
            raise ParameterError(f"seeds={list(seeds)!r}: {s!r} is not a non-negative int")
    if len(set(seeds)) != len(seeds):
        raise ParameterError(f"seeds={list(seeds)!r}: seeds must be distinct")
    check_choice(keep, KEEP_CHOICES, name="keep")
    return [int(s) for s in seeds], check_positive_int(workers, name="workers")


def run_grid(configs, seeds, out_dir, *, workers=1, resume=False, progress=None, keep="all"):
    """Train every configuration with every seed; ``OUT/<method>/seed-S/`` per run.

    Parameters
    ----------
    configs : list of netgraph.train.TrainConfig
        Configurations with distinct method labels (``config.method``), which name their folders.
    seeds : list of int
        Distinct non-negative run seeds, the same for every configuration (see
        :func:`spawn_seeds`).
    out_dir : str or Path
        The study folder.
    workers : int, optional
        Worker processes (``spawn`` start method, one torch thread each). 1 trains in this
        process, also with one torch thread (restored afterwards), so results do not depend on
        ``workers``.
    resume : bool, optional
        Passed to :func:`~netgraph.train.train_run`: finished runs are kept, interrupted ones
        continue from their last checkpoint.
    progress : callable, optional
        Called as ``progress(done, total, result)`` in this process after each finished run.
    keep : {"all", "last"}, optional
        Passed to :func:`~netgraph.train.train_run`: keep every ``epoch-XXX.pt`` (default) or
        only the newest besides ``final.pt``.

    Returns
    -------
    list of netgraph.train.RunResult
        In grid order: configuration by configuration, seeds in the given order.

    Raises
    ------
    ParameterError
        If the grid is malformed, or a run raises it (e.g. its folder already holds a run and
        ``resume`` is False).
    RunLockedError
        If another process is writing one of the run folders.
    """
    seeds, workers = _check_grid(configs, seeds, workers, keep)
    out = Path(out_dir)
    jobs = [(c, out / c.method, s) for c in configs for s in seeds]
    results = [None] * len(jobs)
    say = progress or (lambda done, total, result: None)
    if workers == 1:
        import torch

        from .train import train_run

        cache = {}
        threads = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            for k, (c, d, s) in enumerate(jobs):
                results[k] = train_run(
                    c, d, seed=s, resume=resume, progress=False, data=_load_data(c, cache), keep=keep
                )
                say(k + 1, len(jobs), results[k])
        finally:
            torch.set_num_threads(threads)
        return results
    import multiprocessing

    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=min(workers, len(jobs)), mp_context=ctx, initializer=_init_worker) as pool:
        futures = {pool.submit(_worker, c.to_dict(), str(d), s, resume, keep): k for k, (c, d, s) in enumerate(jobs)}
        try:
            for done, fut in enumerate(as_completed(futures), start=1):
                k = futures[fut]
                results[k] = fut.result()
                say(done, len(jobs), results[k])
        except BaseException:
            for fut in futures:
                fut.cancel()
            raise
    return results


# --------------------------------------------------------------------------- summarising


@dataclass(frozen=True)
class GroupSummary:
    """Cross-seed structure of the final networks of one configuration.

    Jaccard dicts map ``"overall"`` and ``"0"``, ``"1"``, ... (block ``l -> l + 1``) to the mean
    over the pairs of networks.

    Attributes
    ----------
    method : str
    n_networks : int
    seeds : list
    layer_sizes : list of int
    connections : list of float
        Mean connections per block.
    total_connections : float
    density : float
        Mean overall density.
    edge, edge_chance : dict
        Raw edge Jaccard and its chance level: ``d1 d2 / (d1 + d2 - d1 d2)`` per block; overall,
        the expected intersection of random masks summed over the blocks (so blocks of different
        densities, e.g. a dense output layer, are accounted for) over the expected union.
    aligned, aligned_null : dict
        Jaccard after NNSTD alignment of the hidden neurons, and the same for random masks with
        the same edge count per block (one random pair per pair of networks).
    common_edges : dict
        ``str(min_share)`` -> edges present in at least ``ceil(min_share * k)`` networks.
    common_edges_chance : dict
        The expected number for independent random masks of the networks' per-block densities.
    common_curve, common_curve_chance : dict
        The same for every ``min_share`` ``t / k``, ``t = 1 .. k`` (keys ``f"{t / k:.3g}"``).
    input_correlation : float
        Mean pairwise Pearson correlation of the input units' out-degrees (which inputs keep
        connections): inputs are the same units in every run, so this compares them without any
        permutation symmetry (nan when a network's input degrees are all equal, e.g. dense).
    driver_fraction, driver_shortfall : float
        Mean ``N_D / N`` and mean ``N_D`` minus the width bound.
    layer_shortfall : list of float
        Mean shortfall per layer.
    degrees : dict
        Means over the networks of :class:`analysis.LayerSummary` fields (``in_mean``,
        ``in_std``, ``in_max``, ``out_mean``, ``out_std``, ``out_max``, ``n_isolated``), per layer.
    seconds : float
        Time taken by the summary.
    netgraph_version : str
    """

    method: str
    n_networks: int
    seeds: list
    layer_sizes: list
    connections: list
    total_connections: float
    density: float
    edge: dict
    edge_chance: dict
    aligned: dict
    aligned_null: dict
    common_edges: dict
    common_edges_chance: dict
    common_curve: dict
    common_curve_chance: dict
    input_correlation: float
    driver_fraction: float
    driver_shortfall: float
    layer_shortfall: list
    degrees: dict
    seconds: float = 0.0
    netgraph_version: str = __version__
    parameters: dict = field(default_factory=dict)

    def to_dict(self):
        """JSON-safe dict of every field (non-finite floats become None)."""
        return jsonable(dataclasses.asdict(self))


def _binom_tail(k, t, p):
    """P(Binomial(k, p) >= t)."""
    return sum(math.comb(k, i) * p**i * (1 - p) ** (k - i) for i in range(t, k + 1))


def summarize_group(graphs, *, method=None, rng=None):
    """Cross-seed similarity, controllability and degree statistics of one configuration.

    Parameters
    ----------
    graphs : sequence of networkx.DiGraph
        Layered graphs of one architecture (e.g. the ``final.pt`` of each seed, via
        :func:`netgraph.to_graph`), at least two.
    method : str, optional
        Name of the group; default ``meta["method"]`` of the first graph.
    rng : None, int or numpy.random.Generator, optional
        Draws the random masks of the aligned baseline.

    Returns
    -------
    GroupSummary

    Raises
    ------
    ParameterError
        If fewer than two graphs are given.
    ArchitectureMismatchError
        If the layer sizes differ.
    """
    from analysis import (
        aligned_jaccard,
        common_subnetwork_curve,
        degree_distribution,
        driver_nodes,
        layer_summary,
        random_like,
        similarity_matrix,
    )
    from analysis._arrays import structure

    t0 = time.perf_counter()
    if not isinstance(graphs, list | tuple) or len(graphs) < 2:
        raise ParameterError(f"graphs: {len(graphs) if isinstance(graphs, list | tuple) else graphs!r}; need >= 2 graphs")
    rng = check_random_state(rng)
    k = len(graphs)
    if method is None:
        method = (graphs[0].graph.get("meta") or {}).get("method") or "(no method)"
    raw = similarity_matrix(graphs, kind="edge")  # also checks that the architectures match
    structs = [structure(G) for G in graphs]
    sizes = list(structs[0].layered.sizes)
    n_blocks = len(sizes) - 1
    edge = {"overall": raw.mean}
    chance = {}
    for l in range(n_blocks):
        m = similarity_matrix(graphs, kind="edge", layer=l)
        edge[str(l)], chance[str(l)] = m.mean, m.mean_chance
    randoms = [random_like(G, rng=rng) for G in graphs]
    aligned_vals, null_vals = [], []
    for a in range(k):
        for b in range(a + 1, k):
            aligned_vals.append(_aligned_values(aligned_jaccard(graphs[a], graphs[b])))
            null_vals.append(_aligned_values(aligned_jaccard(randoms[a], randoms[b])))
    aligned = _mean_dict(aligned_vals)
    aligned_null = _mean_dict(null_vals)

    summaries = [layer_summary(G) for G in graphs]
    curve = common_subnetwork_curve(graphs)
    possible = [a * b for a, b in zip(sizes[:-1], sizes[1:])]
    chance["overall"] = raw.mean_chance  # block by block: a dense block counts as shared
    densities = [np.mean([s.density[l] for s in summaries]) for l in range(n_blocks)]
    common, common_chance = {}, {}
    for share in MIN_SHARES:
        t = max(1, math.ceil(share * k - 1e-9))
        common[str(share)] = int(curve.edges[t - 1])
        common_chance[str(share)] = float(sum(p * _binom_tail(k, t, d) for p, d in zip(possible, densities)))
    curve_edges = {f"{t / k:.3g}": int(curve.edges[t - 1]) for t in range(1, k + 1)}
    curve_chance = {
        f"{t / k:.3g}": float(sum(p * _binom_tail(k, t, d) for p, d in zip(possible, densities))) for t in range(1, k + 1)
    }
    drivers = [driver_nodes(G) for G in graphs]
    input_deg = [np.asarray(degree_distribution(G, direction="out", layer=0).degrees, dtype=float) for G in graphs]
    corr = []
    for a in range(k):
        for b in range(a + 1, k):
            if input_deg[a].std() > 0 and input_deg[b].std() > 0:
                corr.append(float(np.corrcoef(input_deg[a], input_deg[b])[0, 1]))
            else:
                corr.append(math.nan)
    degrees = {}
    for key in ("in_mean", "in_std", "in_max", "out_mean", "out_std", "out_max", "n_isolated"):
        values = np.array([getattr(s, key) for s in summaries], dtype=float)
        degrees[key] = values.mean(axis=0).tolist()
    return GroupSummary(
        method=str(method),
        n_networks=k,
        seeds=[(G.graph.get("meta") or {}).get("seed") for G in graphs],
        layer_sizes=sizes,
        connections=np.mean([s.connections for s in summaries], axis=0).tolist(),
        total_connections=float(np.mean([s.total_connections for s in summaries])),
        density=float(np.mean([s.total_density for s in summaries])),
        edge=edge,
        edge_chance=chance,
        aligned=aligned,
        aligned_null=aligned_null,
        common_edges=common,
        common_edges_chance=common_chance,
        common_curve=curve_edges,
        common_curve_chance=curve_chance,
        input_correlation=float(np.mean(corr)),
        driver_fraction=float(np.mean([d.fraction for d in drivers])),
        driver_shortfall=float(np.mean([d.shortfall for d in drivers])),
        layer_shortfall=np.mean([d.layer_shortfall for d in drivers], axis=0).tolist(),
        degrees=degrees,
        seconds=time.perf_counter() - t0,
        parameters={"min_shares": list(MIN_SHARES), "aligned_null": "one random mask per network, same edge count per block"},
    )


def _aligned_values(j):
    out = {"overall": j.value}
    out.update({str(l): v for l, v in enumerate(j.layer_values)})
    return out


def _mean_dict(rows):
    return {key: float(np.mean([r[key] for r in rows])) for key in rows[0]}
