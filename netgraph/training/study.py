"""Seed studies: a grid of training configurations × seeds, run as tasks of a Dask cluster.

:func:`run_grid` trains every configuration with every seed (:func:`netgraph.training.run.train_run`)
into ``OUT/<method label>/seed-S/``, one task per run on a Dask cluster
(:func:`netgraph.training.cluster.open_cluster`: worker processes on this machine by default, or a
running cluster of several machines). Each run uses one torch thread, so a run gives the same
result whichever worker trains it, and a run whose worker is lost continues elsewhere from its
last complete checkpoint. Seeds are given
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

import contextlib
import dataclasses
import math
import queue
import statistics
import uuid
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import ParameterError
from ..fileio import guard_inputs, jsonable, note_input
from ..io.runs import RunFolder
from ..validation import check_choice, check_positive_int, check_seeds
from .cluster import default_workers

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


# --------------------------------------------------------------------------- running


def _data_key(config):
    return (config.dataset, config.data_dir, config.data_seed, config.test_size, config.label_column)


def _load_data(config, cache):
    """The dataset of ``config``, loaded once per process, with the files it was read from."""
    key = _data_key(config)
    if key not in cache:
        with guard_inputs() as noted:  # only to learn which files the loader reads
            data = config.load_data()
        cache[key] = (data, list(noted.values()))
    return cache[key]


_WORKER_DATA = {}  # per worker process: datasets loaded so far


def _train_job(config_dict, out_dir, seed, keep):
    """One run, as a task of the cluster: one torch thread, the run's own checkpoints to resume from.

    A task always resumes: the first attempt finds no checkpoint and starts fresh; an attempt
    after a worker was lost continues from the run's last complete checkpoint (the client
    refused, before submitting, folders that already held a run unless resuming was asked for).
    """
    import torch

    from .cluster import where
    from .run import TrainConfig, train_run

    torch.set_num_threads(1)  # one core per task; and the same arithmetic on every worker
    config = TrainConfig.from_dict(config_dict)
    data, files = _load_data(config, _WORKER_DATA)
    with guard_inputs():  # as in the command that submitted it: a run never writes over its data
        for path in files:
            note_input(path)
        return train_run(config, out_dir, seed=seed, resume=True, progress=False, data=data, keep=keep, where=where())


def _probe_writable(out_dir):
    """Run on every worker: None if it can create ``out_dir`` and write a file there, else why not."""
    import tempfile

    try:
        path = Path(out_dir)
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path, prefix=".netgraph-probe-"):
            pass
    except OSError as exc:
        return f"{exc.strerror or exc}"
    return None


def _check_grid(configs, seeds, keep):
    from .run import KEEP_CHOICES, TrainConfig

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
    seeds = check_seeds(seeds)
    check_choice(keep, KEEP_CHOICES, name="keep")
    return seeds


def _epochs_done(run_dir):
    """Epochs a run has finished, from its metrics.json (0 when there is none yet)."""
    try:
        import json

        return len(json.loads(run_dir.metrics.read_text())["epochs"])
    except (OSError, ValueError, KeyError, TypeError, RecursionError):
        return 0


def run_grid(
    configs,
    seeds,
    out_dir,
    *,
    cluster=None,
    workers=None,
    scheduler=None,
    resume=False,
    progress=None,
    epochs_progress=None,
    keep="all",
):
    """Train every configuration with every seed on a Dask cluster; ``OUT/<method>/seed-S/`` per run.

    Every run is one task (:func:`netgraph.training.run.train_run` with one torch thread), so a run's
    result does not depend on which worker trains it, how many workers there are or in which
    order runs finish. A run whose worker is lost is given to another worker and continues
    from its last complete checkpoint, to the same result as an uninterrupted run; Dask gives up
    on a run after its workers died ``distributed.scheduler.allowed-failures`` times (default
    3). A run that fails for its own reasons (a diverged loss, say) is not retried: the other
    runs finish and the failures are reported together.

    Parameters
    ----------
    configs : list of netgraph.training.run.TrainConfig
        Configurations with distinct method labels (``config.method``), which name their folders.
    seeds : list of int
        Distinct non-negative run seeds, the same for every configuration (see
        :func:`spawn_seeds`).
    out_dir : str or Path
        The study folder. Every worker must be able to write it (checked first): on a
        cluster of several machines, a shared filesystem mounted at the same path.
    cluster : netgraph.training.cluster.Cluster, optional
        A cluster to use (from :func:`netgraph.training.cluster.open_cluster`); default: one opened for
        this call with ``workers`` and ``scheduler``.
    workers, scheduler
        See :func:`netgraph.training.cluster.open_cluster` (without ``cluster``).
    resume : bool, optional
        Keep finished runs and continue interrupted ones from their last checkpoint. Without
        it, a run folder that already holds a run is an error before anything is submitted.
    progress : callable, optional
        Called as ``progress(done, total, result)`` in this process after each finished run.
    epochs_progress : callable, optional
        Called as ``epochs_progress(done, total)`` with the epochs finished over all runs
        (read from each unfinished run's ``metrics.json``), about once a second while runs
        train and after each finished run; the last call, when every run has finished, is
        ``(total, total)``.
    keep : {"all", "last"}, optional
        Passed to :func:`~netgraph.training.run.train_run`.

    Returns
    -------
    list of netgraph.training.run.RunResult
        In grid order: configuration by configuration, seeds in the given order. Each run's
        ``params.json`` records where it ran (``"where"``: worker, address, host, pid).

    Raises
    ------
    ParameterError
        If the grid is malformed, or a run folder already holds a run and ``resume`` is False.
    ClusterError
        If a worker cannot write ``out_dir``, or a run was lost with its workers too often.
    NetgraphError
        If runs failed: the first failure's error, or one listing them all.
    KeyboardInterrupt
        On Ctrl-C: the runs not yet finished are cancelled (a local cluster is shut down, so
        its runs stop at once); every file written is complete, and ``resume=True`` continues.
    """
    seeds = _check_grid(configs, seeds, keep)
    out = Path(out_dir)
    jobs = [(c, out / c.method, s) for c in configs for s in seeds]
    return run_jobs(
        jobs,
        cluster=cluster,
        workers=workers,
        scheduler=scheduler,
        resume=resume,
        progress=progress,
        epochs_progress=epochs_progress,
        keep=keep,
    )


def run_jobs(
    jobs,
    *,
    cluster=None,
    workers=None,
    scheduler=None,
    resume=False,
    progress=None,
    epochs_progress=None,
    keep="all",
):
    """Train runs given as ``(config, out_dir, seed)`` on a Dask cluster: what :func:`run_grid` does.

    Each run goes to ``out_dir/seed-S`` (``netgraph train --seeds`` trains one configuration
    this way). The parameters, the result and the errors are those of :func:`run_grid`.

    Returns
    -------
    list of netgraph.training.run.RunResult
        In the order of ``jobs``.
    """
    from .cluster import ClusterError, open_cluster
    from .run import KEEP_CHOICES, TrainConfig

    check_choice(keep, KEEP_CHOICES, name="keep")
    jobs = [(c, Path(d).absolute(), int(s)) for c, d, s in jobs]  # workers may have another working directory
    for k, (c, _, _) in enumerate(jobs):
        if not isinstance(c, TrainConfig):
            raise ParameterError(f"jobs[{k}][0] is a {type(c).__name__}, expected a TrainConfig")
    if not resume:
        for _, d, s in jobs:
            RunFolder.of(d, s).check_no_run()
    say = progress or (lambda done, total, result: None)
    context = contextlib.nullcontext(cluster) if cluster is not None else open_cluster(scheduler, workers=workers)
    with context as cl:
        client = cl.client
        cl.require_workers()
        for folder in dict.fromkeys(str(d) for _, d, _ in jobs):
            problems = {w: why for w, why in client.run(_probe_writable, folder).items() if why}
            if problems:
                w, why = next(iter(problems.items()))
                raise ClusterError(
                    f"{folder}: worker {w} cannot write there ({why}); --out must be a folder every worker "
                    "can write, at the same path (a shared filesystem on a cluster of several machines)"
                )
        total_epochs = sum(c.epochs for c, _, _ in jobs)
        token = uuid.uuid4().hex[:8]  # keys unique to this call, also on a cluster shared with others
        futures = [
            client.submit(
                _train_job, c.to_dict(), str(d), s, keep, pure=False, key=f"netgraph-{token}-{k}-{c.method}-{s}"
            )
            for k, (c, d, s) in enumerate(jobs)
        ]
        index = {f.key: k for k, f in enumerate(futures)}
        finished = queue.Queue()
        for f in futures:
            f.add_done_callback(finished.put)
        results, failures = [None] * len(jobs), []
        # epochs per run: a finished run counts all its epochs (its metrics.json may not be visible here
        # yet, on a shared filesystem); the others what their metrics.json says so far
        counted = [None] * len(jobs)

        def show_epochs():
            if epochs_progress is not None:
                epochs = [
                    n if n is not None else min(_epochs_done(RunFolder.of(d, s)), c.epochs)
                    for n, (c, d, s) in zip(counted, jobs)
                ]
                epochs_progress(sum(epochs), total_epochs)

        done = 0
        try:
            while done < len(jobs):
                try:
                    f = finished.get(timeout=1.0)
                except queue.Empty:
                    show_epochs()
                    continue
                done += 1
                k = index[f.key]
                c, d, s = jobs[k]
                try:
                    results[k] = f.result()
                except Exception as exc:  # noqa: BLE001 -- reported below, with the run it belongs to
                    failures.append((f"{c.method}/seed-{s}", exc))
                    continue
                counted[k] = c.epochs
                show_epochs()
                say(done, len(jobs), results[k])
            show_epochs()
        except BaseException:
            client.cancel(futures, force=True)
            raise
    if failures:
        raise _failure(failures, len(jobs), ClusterError)
    return results


def _failure(failures, total, cluster_error):
    """One error for the runs that failed: a single run's own error, or one that lists them all."""
    from ..errors import NetgraphError

    def lost(exc):
        return type(exc).__name__ == "KilledWorker"

    def line(run, exc):
        why = f"its worker was lost every time it ran ({exc})" if lost(exc) else f"{type(exc).__name__}: {exc}"
        return f"{run}: {why}"

    if len(failures) == 1:
        run, exc = failures[0]
        if lost(exc):
            return cluster_error(line(run, exc))
        return exc if isinstance(exc, NetgraphError) else NetgraphError(line(run, exc))
    return NetgraphError(f"{len(failures)} of {total} runs failed: " + "; ".join(line(r, e) for r, e in failures))


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
    results : sequence of netgraph.training.run.RunResult
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
