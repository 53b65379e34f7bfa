"""The ``--workers`` and ``--scheduler`` options of the commands that run many things, and their progress display."""

import contextlib
import sys

__all__ = ["add_cluster_options", "cluster_options_given", "open_cluster_from", "EpochBar"]


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
        "worker sees",
    )


def cluster_options_given(args):
    """Whether the command line asked for a cluster (``--workers``, ``--scheduler`` or ``DASK_SCHEDULER_ADDRESS``)."""
    from ..cluster import scheduler_address

    return args.workers is not None or scheduler_address(args.scheduler) is not None


@contextlib.contextmanager
def open_cluster_from(args, prefix, *, quiet=False):
    """:func:`netgraph.cluster.open_cluster` with the command's options; says where the work runs."""
    from ..cluster import _stderr_warning, open_cluster

    with open_cluster(args.scheduler, workers=args.workers, warn=_stderr_warning(prefix)) as cluster:
        if not quiet:
            print(f"{prefix}: on a {cluster.describe()}", file=sys.stderr, flush=True)
        yield cluster


class EpochBar:
    """One progress bar of the epochs of all runs, on stderr when it is a terminal (``epochs_progress``)."""

    def __init__(self, *, disable=False):
        self._bar, self._disable = None, disable

    def __call__(self, done, total):
        if self._disable:
            return
        if self._bar is None:
            from tqdm import tqdm

            self._bar = tqdm(
                total=total, desc="epochs", unit="epoch", file=sys.stderr, disable=None, dynamic_ncols=True
            )
        self._bar.update(done - self._bar.n)

    def close(self):
        if self._bar is not None:
            self._bar.close()
