"""Seed studies: a grid of training configurations × seeds, run in worker processes.

:func:`run_grid` trains every configuration with every seed (:func:`netgraph.train.train_run`)
into ``OUT/<method label>/seed-S/``, in parallel worker processes when ``workers > 1``. Each
worker uses one torch thread (``torch.set_num_threads(1)``), so ``workers`` processes use about
``workers`` cores, and a run gives the same result whichever process trains it. Seeds are given
explicitly or drawn with :func:`spawn_seeds` from a :class:`numpy.random.SeedSequence`; every
run records its seed (``params.json``, checkpoint ``meta``).

:func:`pruning_window` is the default pruning schedule of a study's pruned configurations;
:func:`summarize_runs` aggregates the runs of one configuration over seeds (test accuracy mean
± std, connections, compression against dense). How alike the final networks are is measured
by :func:`analysis.summarize_group` (or :func:`analysis.build_report`, which states it for
every group it compares).

Examples
--------
>>> pruning_window(50)
(10, 40)
>>> seeds, entropy = spawn_seeds(2, entropy=7)
>>> len(seeds), entropy
(2, 7)
"""

import dataclasses
import math
import numbers
import os
import statistics
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .errors import ParameterError
from .fileio import jsonable
from .validation import check_choice, check_positive_int

__all__ = ["spawn_seeds", "default_workers", "run_grid", "pruning_window", "RunsSummary", "summarize_runs"]


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
        raise ParameterError(
            f"configs: method labels {dup} occur more than once; give them distinct labels (label=...)"
        )
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


# --------------------------------------------------------------------------- study design and outcome


def pruning_window(epochs):
    """The epochs between which a study's gradual magnitude pruning runs by default.

    About the middle 60% of training: ``start = max(1, round(0.2 * epochs))``,
    ``end = max(start, round(0.8 * epochs))`` for 10 or more epochs, so the network trains a
    fifth of the time before pruning and a fifth after it; shorter runs prune from epoch 1 to
    ``epochs - 1``, leaving one epoch after the last step. ``netgraph demo`` and
    ``scripts/reproduce.py`` pass these as ``TrainConfig(prune_start=..., prune_end=...)``.

    Parameters
    ----------
    epochs : int
        Epochs of the runs, at least 2.

    Returns
    -------
    tuple of int
        ``(prune_start, prune_end)``.

    Raises
    ------
    ParameterError
        If ``epochs`` is not an int >= 2 (a schedule needs an epoch to prune after).

    Examples
    --------
    >>> pruning_window(50), pruning_window(10), pruning_window(4), pruning_window(2)
    ((10, 40), (2, 8), (1, 3), (1, 1))
    """
    check_positive_int(epochs, name="epochs")
    if epochs < 2:
        raise ParameterError(f"epochs={epochs!r}: a pruning schedule needs at least 2 epochs")
    epochs = int(epochs)
    if epochs >= 10:
        start = max(1, round(0.2 * epochs))
        return start, max(start, round(0.8 * epochs))
    return 1, epochs - 1


@dataclass(frozen=True)
class RunsSummary:
    """Test accuracy and size of the runs of one configuration across seeds (see :func:`summarize_runs`).

    Attributes
    ----------
    method : str
    seeds : list of int
    test_accuracy : list of float
        Final test accuracy of each run, in the given order.
    accuracy_mean, accuracy_std : float
        Mean and sample standard deviation (``statistics.stdev``; 0.0 for one run).
    connections_mean : float
        Mean connections of the final networks.
    dense_connections : int
        Connections of the dense network of these layer sizes.
    compression : float
        ``dense_connections / connections_mean``.
    run_seconds : list of float
        Wall time of each run.
    """

    method: str
    seeds: list
    test_accuracy: list
    accuracy_mean: float
    accuracy_std: float
    connections_mean: float
    dense_connections: int
    compression: float
    run_seconds: list

    def to_dict(self):
        """JSON-safe dict of every field (non-finite floats become None)."""
        return jsonable(dataclasses.asdict(self))


def summarize_runs(results):
    """Aggregate the runs of one configuration over seeds: accuracy mean ± std, connections, compression.

    Parameters
    ----------
    results : sequence of netgraph.train.RunResult
        Runs of one method label and one architecture (anything with ``method``, ``seed``,
        ``layer_sizes``, ``final_test_accuracy``, ``final_connections`` and ``seconds``).

    Returns
    -------
    RunsSummary

    Raises
    ------
    ParameterError
        If ``results`` is empty or mixes method labels or layer sizes.

    Examples
    --------
    >>> from types import SimpleNamespace as Run
    >>> runs = [Run(method="m", seed=s, layer_sizes=(4, 3, 2), final_test_accuracy=a,
    ...             final_connections=(6, 3), seconds=1.0) for s, a in ((0, 0.9), (1, 0.8))]
    >>> r = summarize_runs(runs)
    >>> round(r.accuracy_mean, 4), round(r.accuracy_std, 4), r.connections_mean, r.dense_connections, r.compression
    (0.85, 0.0707, 9, 18, 2.0)
    """
    if isinstance(results, str) or not isinstance(results, list | tuple) or not results:
        raise ParameterError(f"results={results!r}: expected a non-empty list of RunResult")
    methods = sorted({str(r.method) for r in results})
    if len(methods) > 1:
        raise ParameterError(f"results mix the methods {methods}; summarise one configuration at a time")
    shapes = sorted({tuple(r.layer_sizes) for r in results})
    if len(shapes) > 1:
        raise ParameterError(
            f"results mix the layer sizes {[list(x) for x in shapes]}; summarise one architecture at a time"
        )
    sizes = shapes[0]
    accs = [r.final_test_accuracy for r in results]
    conns = [sum(r.final_connections) for r in results]
    dense = sum(a * b for a, b in zip(sizes[:-1], sizes[1:]))
    mean_conns = statistics.mean(conns)
    return RunsSummary(
        method=methods[0],
        seeds=[r.seed for r in results],
        test_accuracy=accs,
        accuracy_mean=statistics.mean(accs),
        accuracy_std=statistics.stdev(accs) if len(accs) > 1 else 0.0,
        connections_mean=mean_conns,
        dense_connections=dense,
        compression=dense / mean_conns if mean_conns else math.inf,
        run_seconds=[r.seconds for r in results],
    )
