"""The ``--workers`` and ``--scheduler`` options of the commands that run many things, and their progress display.

Progress goes to stderr (:class:`netgraph._progress.Progress`): a bar on a terminal, plain lines
such as ``epochs 12/60 (20%), 35 s`` elsewhere (a log, ``nohup``); result lines go through it,
each a line of its own.
"""

import contextlib
import sys

from .._progress import Progress

__all__ = [
    "add_cluster_options",
    "cluster_options_given",
    "open_cluster_from",
    "EpochBar",
    "with_pair_progress",
    "TIMEOUT_HELP",
]

#: What the help says about how long a scheduler has to answer.
TIMEOUT_HELP = "a scheduler that does not answer within $NETGRAPH_SCHEDULER_TIMEOUT seconds (default 20) is an error"


def add_cluster_options(group):
    """Add ``--workers N`` and ``--scheduler ADDRESS`` to an argparse (group of a) parser."""
    group.add_argument(
        "--workers",
        type=int,
        default=None,
        metavar="N",
        help="worker processes of the local Dask cluster, one thread each (default min(2, CPUs))",
    )
    group.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="run on the Dask cluster of this scheduler (tcp://host:8786 or tls://host:8786; default "
        "$DASK_SCHEDULER_ADDRESS, else a local cluster on 127.0.0.1); --out must be on a filesystem every "
        f"worker sees; {TIMEOUT_HELP}",
    )


def cluster_options_given(args):
    """Whether the command line asked for a cluster (``--workers``, ``--scheduler`` or ``DASK_SCHEDULER_ADDRESS``).

    The address is checked here, before anything else runs (a ParameterError: exit code 2).
    """
    from ..training.cluster import scheduler_address

    return args.workers is not None or scheduler_address(args.scheduler) is not None


@contextlib.contextmanager
def open_cluster_from(args, prefix, *, quiet=False):
    """:func:`netgraph.training.cluster.open_cluster` with the command's options; says where the work runs."""
    from ..training.cluster import open_cluster

    with open_cluster(args.scheduler, workers=args.workers, warn=_stderr_warning(prefix)) as cluster:
        if not quiet:
            print(f"{prefix}: on a {cluster.describe()}", file=sys.stderr, flush=True)
        yield cluster


class EpochBar(Progress):
    """The epochs of all runs (``epochs_progress`` of :func:`netgraph.training.study.run_jobs`), on stderr.

    A bar on a terminal, plain lines elsewhere; :meth:`write` prints a result as a line of its own.
    """

    def __init__(self, *, disable=False, stream=None, interval=None):
        super().__init__("epochs", unit="epoch", disable=disable, stream=stream, interval=interval)


def with_pair_progress(pair_map, *, disable=False, stream=None, interval=None):
    """A pair_map that shows the pairs done of each call of ``pair_map`` (which takes ``progress=``).

    The result is a plain pair_map (``analysis.local_pair_map``'s signature), so analysis
    calls it as any other; each call shows its own count, ``pairs 12/45 (27%), 8 s``.
    """
    if disable:
        return pair_map

    def mapped(fn, items, pairs, *args):
        with Progress("pairs", unit="pair", stream=stream, interval=interval) as bar:
            return pair_map(fn, items, pairs, *args, progress=bar)

    return mapped


def _stderr_warning(prefix):
    """A ``warn`` callable for the command line: one line on stderr."""
    return lambda message: print(f"{prefix}: warning: {message}", file=sys.stderr, flush=True)
