"""Where multi-run work executes: a Dask cluster, started on this machine unless one is named.

Studies (:func:`netgraph.study.run_grid`: ``netgraph train --seeds``, ``netgraph demo``,
``scripts/reproduce.py``) and the pairwise part of similarity reports run as tasks of a Dask
cluster (``dask.distributed``). :func:`open_cluster` gives one:

- with no scheduler named, a ``LocalCluster`` of worker *processes* with one thread each
  (``workers`` of them, default :func:`default_workers`), listening on 127.0.0.1 only (its
  scheduler, workers and dashboard), closed when the ``with`` block ends;
- with ``scheduler="tcp://host:8786"`` (or ``tls://...``), or the environment variable
  ``DASK_SCHEDULER_ADDRESS`` that Dask itself reads, a client of that running scheduler
  (``dask scheduler`` and ``dask worker`` processes on other machines; docs/SCALING.md). A
  ``tls://`` address uses Dask's TLS settings (``DASK_DISTRIBUTED__COMM__TLS__...``); a plain
  ``tcp://`` address that is not on this machine prints a one-line warning, since anyone who
  can reach such a scheduler can run code on its workers.

Nothing here starts a scheduler on all interfaces.

Examples
--------
>>> with open_cluster(workers=1) as cluster:
...     print(cluster.local, cluster.address.startswith("tcp://127.0.0.1:"), cluster.client.submit(sum, [1, 2]).result())
True True 3
"""

import contextlib
import ipaddress
import logging
import os
import socket
import sys
import warnings
from dataclasses import dataclass
from urllib.parse import urlsplit

from .errors import NetgraphError, ParameterError
from .validation import check_positive_int

__all__ = ["Cluster", "open_cluster", "default_workers", "scheduler_address", "where", "ClusterError"]

_LOOPBACK = "127.0.0.1"


class ClusterError(NetgraphError):
    """The cluster cannot be reached, cannot write where it must, or lost a run too often."""


def default_workers():
    """``min(2, number of usable CPUs)``: the worker count commands default to.

    Examples
    --------
    >>> 1 <= default_workers() <= 2
    True
    """
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cpus = os.cpu_count() or 1
    return max(1, min(2, cpus))


def scheduler_address(scheduler=None):
    """The scheduler to connect to: ``scheduler``, else ``DASK_SCHEDULER_ADDRESS``, else None (start one here).

    Examples
    --------
    >>> scheduler_address("tcp://10.0.0.5:8786")
    'tcp://10.0.0.5:8786'
    """
    if scheduler is not None:
        if not isinstance(scheduler, str) or not scheduler.strip():
            raise ParameterError(f"scheduler={scheduler!r}, expected an address such as 'tcp://host:8786'")
        return scheduler.strip()
    return os.environ.get("DASK_SCHEDULER_ADDRESS") or None


def _is_loopback(host):
    if host in ("localhost", ""):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        try:
            return all(ipaddress.ip_address(info[4][0]).is_loopback for info in socket.getaddrinfo(host, None))
        except (OSError, ValueError):
            return False


def insecure_warning(address):
    """The one-line warning for a plain-text scheduler address off this machine, or None.

    Examples
    --------
    >>> insecure_warning("tls://10.0.0.5:8786") is None, insecure_warning("tcp://127.0.0.1:8786") is None
    (True, True)
    >>> insecure_warning("tcp://10.0.0.5:8786")  # doctest: +ELLIPSIS
    'tcp://10.0.0.5:8786 is not encrypted: anyone who can reach that scheduler can run code on its workers; ...'
    """
    parts = urlsplit(address if "://" in address else f"tcp://{address}")
    if parts.scheme != "tcp" or _is_loopback(parts.hostname or ""):
        return None
    return (
        f"{address} is not encrypted: anyone who can reach that scheduler can run code on its workers; "
        "use tls:// with certificates (docs/SCALING.md) or keep it on a trusted network"
    )


def where():
    """Where this code runs: the Dask worker's name and address (None outside a worker), the host, the pid.

    Examples
    --------
    >>> sorted(where())
    ['address', 'host', 'pid', 'worker']
    """
    worker = address = None
    with contextlib.suppress(Exception):  # ValueError outside a worker
        from distributed import get_worker

        w = get_worker()
        worker, address = str(w.name), str(w.address)
    return {"worker": worker, "address": address, "host": socket.gethostname(), "pid": os.getpid()}


@dataclass
class Cluster:
    """A Dask client and what to say about it.

    Attributes
    ----------
    client : distributed.Client
    local : bool
        Whether the cluster was started here (and is closed with the ``with`` block).
    address : str
        The scheduler's address.
    dashboard : str or None
        The dashboard's address when one is running (it needs the ``bokeh`` package).
    """

    client: object
    local: bool
    address: str
    dashboard: str | None

    @property
    def n_workers(self):
        """int: workers connected now."""
        return len(self.client.scheduler_info(n_workers=-1).get("workers", {}))

    def describe(self):
        """One line: where the work runs."""
        kind = "local Dask cluster" if self.local else "Dask cluster"
        board = f", dashboard {self.dashboard}" if self.dashboard else ""
        return f"{kind} at {self.address}, {self.n_workers} worker(s){board}"

    def pair_map(self, fn, items, pairs, *args):
        """The pair-map protocol of :func:`analysis.local_pair_map` on this cluster.

        Each item is sent to the cluster once (``scatter``); one task per pair; results in order.
        """
        if not pairs:
            return []
        # hash=False: fresh keys for every call, so releasing an earlier call's copy of equal data
        # (two comparisons can hold the same random network) never takes this call's away
        futures = self.client.scatter(list(items), hash=False)
        tasks = [self.client.submit(fn, futures[a], futures[b], *args, pure=False) for a, b in pairs]
        return self.client.gather(tasks)


def _dashboard_link(client):
    try:
        import bokeh  # noqa: F401  (the dashboard runs only with bokeh installed)
    except ImportError:
        return None
    return getattr(client, "dashboard_link", None)


@contextlib.contextmanager
def open_cluster(scheduler=None, *, workers=None, warn=None):
    """A Dask cluster for the ``with`` block: started here on 127.0.0.1, or the one ``scheduler`` names.

    Parameters
    ----------
    scheduler : str, optional
        Address of a running scheduler (``tcp://host:8786``, ``tls://host:8786``); default
        ``DASK_SCHEDULER_ADDRESS``, else a new local cluster.
    workers : int, optional
        Worker processes of a local cluster (one thread each); default :func:`default_workers`.
        Not allowed with ``scheduler`` (the cluster has the workers it has).
    warn : callable, optional
        Called with a one-line warning (a plain-text scheduler off this machine); default
        :func:`warnings.warn`.

    Yields
    ------
    Cluster

    Raises
    ------
    ClusterError
        If the scheduler cannot be reached.
    ParameterError
        If ``workers`` is not a positive int, or is given with a scheduler.
    """
    address = scheduler_address(scheduler)
    if workers is not None:
        workers = check_positive_int(workers, name="workers")
        if address is not None:
            raise ParameterError(
                f"workers={workers}: a running cluster ({address}) has its own workers; leave workers unset"
            )
    warn = warn or (lambda message: warnings.warn(message, stacklevel=3))
    from distributed import Client, LocalCluster

    if address is not None:
        message = insecure_warning(address)
        if message:
            warn(message)
        try:
            client = Client(address, timeout="20s")
        except (OSError, TimeoutError) as exc:
            raise ClusterError(f"cannot reach the Dask scheduler at {address}: {exc}") from None
        except TypeError as exc:  # Dask's way of saying that tls:// has no certificates configured
            if not address.startswith("tls://"):
                raise
            raise ClusterError(
                f"{address} needs Dask's TLS settings: set DASK_DISTRIBUTED__COMM__TLS__CA_FILE, "
                "DASK_DISTRIBUTED__COMM__TLS__CLIENT__CERT and DASK_DISTRIBUTED__COMM__TLS__CLIENT__KEY "
                f"(docs/SCALING.md) ({exc})"
            ) from None
        try:
            yield Cluster(client=client, local=False, address=address, dashboard=_dashboard_link(client))
        finally:
            client.close()
        return
    cluster = LocalCluster(
        n_workers=workers or default_workers(),
        threads_per_worker=1,
        processes=True,
        host=_LOOPBACK,
        dashboard_address=f"{_LOOPBACK}:0",
        silence_logs=logging.ERROR,
    )
    client = Client(cluster)
    try:
        yield Cluster(client=client, local=True, address=cluster.scheduler_address, dashboard=_dashboard_link(client))
    finally:
        with contextlib.suppress(Exception):
            client.close()
        with contextlib.suppress(Exception):
            cluster.close()


def _stderr_warning(prefix):
    """A ``warn`` callable for the command line: one line on stderr."""
    return lambda message: print(f"{prefix}: warning: {message}", file=sys.stderr, flush=True)
