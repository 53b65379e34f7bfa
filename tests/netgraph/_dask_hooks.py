"""A Dask worker preload for the cluster tests: hold a task at a known point until the test releases it.

The tests start workers with ``--preload`` this file (or, for a local cluster, with
``DASK_DISTRIBUTED__WORKER__PRELOAD``) and these environment variables:

``NETGRAPH_TEST_HOLD``
    A folder. A held task writes ``started-<pid>-<n>.json`` there (the worker's pid and what it
    was doing), then waits until a file ``release`` appears in the folder; once it exists,
    nothing waits any more.
``NETGRAPH_TEST_HOLD_AT``
    ``train``: hold a training run after its ``NETGRAPH_TEST_HOLD_EPOCH``-th epoch (default 3)
    is on disk (checkpoint and metrics), so that it is mid-way; ``pairs``: hold each pairwise
    task of a report before it computes.

So a test waits for an event (a run is mid-way, a worker holds the networks and works on a
pair) instead of a moment guessed with a sleep, however slow the machine is. A safety limit
(``NETGRAPH_TEST_HOLD_LIMIT``, default 600 s) keeps a forgotten hold from blocking for ever.
Importing this module changes nothing; Dask calls :func:`dask_setup` in each worker.
"""

import functools
import importlib
import json
import os
import time
from pathlib import Path

HOLD = "NETGRAPH_TEST_HOLD"


def _hold(what):
    folder = Path(os.environ[HOLD])
    release = folder / "release"
    if release.exists():
        return
    n = len(list(folder.glob(f"started-{os.getpid()}-*.json")))
    marker = folder / f"started-{os.getpid()}-{n}.json"
    tmp = folder / f".{marker.name}.tmp"
    tmp.write_text(json.dumps({"pid": os.getpid(), **what}))
    os.replace(tmp, marker)  # the test reads complete markers only
    deadline = time.monotonic() + float(os.environ.get("NETGRAPH_TEST_HOLD_LIMIT", "600"))
    while not release.exists() and time.monotonic() < deadline:
        time.sleep(0.02)


def _hold_after_epoch(write_metrics, epoch):
    @functools.wraps(write_metrics)
    def held(run, seed, config, rows, extra=None):  # run: the RunFolder
        write_metrics(run, seed, config, rows, extra)
        if extra is None and len(rows) == epoch:
            _hold({"run": str(run.path), "epoch": epoch})

    return held


def _hold_before(fn):
    @functools.wraps(fn)
    def held(*args):
        _hold({"task": fn.__name__})
        return fn(*args)

    return held


def dask_setup(worker):
    """Install the hold that ``NETGRAPH_TEST_HOLD_AT`` names in this worker process."""
    at = os.environ.get("NETGRAPH_TEST_HOLD_AT")
    if not os.environ.get(HOLD) or not at:
        return
    if at == "train":
        import netgraph.training.run

        epoch = int(os.environ.get("NETGRAPH_TEST_HOLD_EPOCH", "3"))
        netgraph.training.run._write_metrics = _hold_after_epoch(netgraph.training.run._write_metrics, epoch)
    elif at == "pairs":
        pairs = importlib.import_module("analysis._pairs")  # where the pair tasks live: workers find them there
        null = importlib.import_module("analysis._null")
        pairs.aligned_nnstd_task = _hold_before(pairs.aligned_nnstd_task)
        null.null_values = _hold_before(null.null_values)
    else:
        raise ValueError(f"NETGRAPH_TEST_HOLD_AT={at!r}: expected 'train' or 'pairs'")
