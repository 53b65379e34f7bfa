"""Where multi-run work executes: a Dask cluster, started on this machine unless one is named.

Studies (:func:`netgraph.training.study.run_grid`: ``netgraph train --seeds``, ``netgraph demo``,
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

An address is checked before anything connects (:func:`scheduler_address`: ``tcp://`` or
``tls://``, a host and a port), and a scheduler must answer within a bounded time
(``timeout``, default ``NETGRAPH_SCHEDULER_TIMEOUT`` or 20 s): a port where something else
listens (a web server, a process that accepts and never answers) is a :class:`ClusterError`
after that time, never a hang. A local cluster's worker processes ignore Ctrl-C (the command
that started them shuts them down), and Dask's own logging is silenced while a cluster shuts
down after an interruption, so Ctrl-C ends a command with its one line.

Nothing here starts a scheduler on all interfaces.

Examples
--------
>>> with open_cluster(workers=1) as cluster:
...     print(cluster.local, cluster.address.startswith("tcp://127.0.0.1:"), cluster.client.submit(sum, [1, 2]).result())
...     print(cluster.pair_map(max, [3, 1, 4], [(0, 1), (1, 2)], progress=lambda done, total: None))
True True 3
[3, 4]
"""

import contextlib
import gc
import ipaddress
import logging
import math
import os
import re
import signal
import socket
import threading
import uuid
import warnings
from dataclasses import dataclass
from urllib.parse import urlsplit

from ..errors import NetgraphError, ParameterError
from ..fileio import error_reason
from ..validation import check_positive_int

__all__ = [
    "Cluster",
    "open_cluster",
    "default_workers",
    "scheduler_address",
    "scheduler_timeout",
    "insecure_warning",
    "where",
    "ClusterError",
    "SCHEDULER_TIMEOUT",
    "TIMEOUT_VARIABLE",
    "WORKER_TIMEOUT",
]

_LOOPBACK = "127.0.0.1"
#: Seconds a scheduler has to answer (connect and say it is a Dask scheduler) by default.
SCHEDULER_TIMEOUT = 20.0
#: The environment variable that sets that time (seconds).
TIMEOUT_VARIABLE = "NETGRAPH_SCHEDULER_TIMEOUT"
#: Seconds a running cluster has to show one worker before work is sent to it.
WORKER_TIMEOUT = 60.0
_SCHEMES = ("tcp", "tls")
_HOST_NAME = re.compile(r"[A-Za-z0-9_]([A-Za-z0-9_.-]*[A-Za-z0-9_])?")


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
    """The scheduler to connect to, checked: ``scheduler``, else ``DASK_SCHEDULER_ADDRESS``, else None (start one here).

    Parameters
    ----------
    scheduler : str, optional
        ``tcp://HOST:PORT`` or ``tls://HOST:PORT``; ``HOST:PORT`` means ``tcp://`` (as in
        Dask). An IPv6 host is written in brackets: ``tcp://[::1]:8786``.

    Returns
    -------
    str or None
        The address, ``scheme://host:port``.

    Raises
    ------
    ParameterError
        If the address (or ``DASK_SCHEDULER_ADDRESS``) is not of that form: another protocol
        (``inproc://``, ``ucx://``, ``ws://``), no host, no port, a port out of range, or
        anything after the port. Nothing has connected then.

    Examples
    --------
    >>> scheduler_address("tcp://10.0.0.5:8786"), scheduler_address("10.0.0.5:8786")
    ('tcp://10.0.0.5:8786', 'tcp://10.0.0.5:8786')
    >>> scheduler_address("ucx://10.0.0.5:8786")
    Traceback (most recent call last):
    ...
    netgraph.errors.ParameterError: scheduler='ucx://10.0.0.5:8786': the protocol ucx:// is not supported; expected tcp://HOST:PORT or tls://HOST:PORT (e.g. tcp://10.0.0.5:8786)
    """
    if scheduler is not None:
        return _check_scheduler(scheduler, name="scheduler")
    value = os.environ.get("DASK_SCHEDULER_ADDRESS")
    return _check_scheduler(value, name="DASK_SCHEDULER_ADDRESS") if value else None


def _check_scheduler(value, *, name):
    """``value`` as ``scheme://host:port`` (scheme tcp or tls), or a ParameterError naming it and what was expected."""
    expected = "expected tcp://HOST:PORT or tls://HOST:PORT (e.g. tcp://10.0.0.5:8786)"

    def bad(why):
        return ParameterError(f"{name}={value!r}: {why}; {expected}")

    if not isinstance(value, str) or not value.strip():
        raise bad("not an address")
    text = value.strip()
    scheme, sep, rest = text.partition("://")
    if not sep:
        scheme, rest = "tcp", text  # Dask reads HOST:PORT as tcp://HOST:PORT
    scheme = scheme.lower()
    if scheme not in _SCHEMES:
        raise bad(f"the protocol {scheme}:// is not supported")
    if any(c in rest for c in "/?#@") or any(c.isspace() for c in rest):
        raise bad("an address is a host and a port, with nothing before or after them")
    if rest.startswith("["):  # [IPv6]:port
        host, close, port = rest[1:].partition("]")
        if not close:
            raise bad("the IPv6 host has no closing ']'")
        try:
            ipaddress.IPv6Address(host)
        except ValueError:
            raise bad(f"[{host}] is not an IPv6 address") from None
        if not port.startswith(":"):
            raise bad("no port")
        port, shown = port[1:], f"[{host}]"
    else:
        host, colon, port = rest.rpartition(":")
        if not colon:
            host, port = rest, ""
        if ":" in host:
            raise bad("an IPv6 host is written in brackets, as tcp://[::1]:8786")
        if not host:
            raise bad("no host")
        if not _HOST_NAME.fullmatch(host):
            raise bad(f"{host!r} is not a host name or address")
        shown = host
    if not port:
        raise bad("no port")
    if not port.isdigit() or not 0 < int(port) < 65536:
        raise bad(f"the port {port!r} is not a number from 1 to 65535")
    return f"{scheme}://{shown}:{int(port)}"


def scheduler_timeout(timeout=None):
    """Seconds a scheduler has to answer: ``timeout``, else ``NETGRAPH_SCHEDULER_TIMEOUT``, else 20.

    Raises
    ------
    ParameterError
        If the value (or the variable) is not a positive number of seconds.

    Examples
    --------
    >>> scheduler_timeout(5), scheduler_timeout("2.5")
    (5.0, 2.5)
    """
    name = "timeout"
    if timeout is None:
        timeout = os.environ.get(TIMEOUT_VARIABLE) or SCHEDULER_TIMEOUT
        name = TIMEOUT_VARIABLE if os.environ.get(TIMEOUT_VARIABLE) else name
    try:
        seconds = float(timeout)
    except (TypeError, ValueError):
        seconds = math.nan
    if isinstance(timeout, bool) or not math.isfinite(seconds) or seconds <= 0:
        raise ParameterError(f"{name}={timeout!r}: expected a positive number of seconds (such as 20)")
    return seconds


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

    Only a well-formed ``tcp://`` address (see :func:`scheduler_address`) whose host is not this
    machine is warned about; a malformed one is a ParameterError (it is no address at all).

    Examples
    --------
    >>> insecure_warning("tls://10.0.0.5:8786") is None, insecure_warning("tcp://127.0.0.1:8786") is None
    (True, True)
    >>> insecure_warning("tcp://10.0.0.5:8786")  # doctest: +ELLIPSIS
    'tcp://10.0.0.5:8786 is not encrypted: anyone who can reach that scheduler can run code on its workers; ...'
    """
    parts = urlsplit(_check_scheduler(address, name="address"))
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

    def require_workers(self, timeout=None):
        """Wait until a running cluster has a worker; ClusterError after ``timeout`` seconds (default 60).

        A local cluster has its workers from the start; a remote scheduler may have none yet
        (their jobs are still queued) or none any more.
        """
        if self.local:
            return
        timeout = WORKER_TIMEOUT if timeout is None else timeout
        try:
            self.client.wait_for_workers(1, timeout=timeout)
        except TimeoutError:
            raise ClusterError(
                f"the Dask scheduler at {self.address} has no workers (waited {timeout:g} s); "
                f"start some with: dask worker {self.address} --nthreads 1"
            ) from None

    def pair_map(self, fn, items, pairs, *args, progress=None):
        """The pair-map protocol of :func:`analysis.local_pair_map` on this cluster, one task per pair.

        Each item is sent to the cluster once, as a task that holds it (boolean arrays packed
        eight to a byte): should the worker that holds an item be lost, the scheduler makes it
        again on another worker, and the pairs that were running there run again, as a lost
        training run does (after ``distributed.scheduler.allowed-failures`` lost workers, 3 by
        default, Dask gives up: a :class:`ClusterError`). Results in the order of ``pairs``,
        identical to :func:`~analysis.local_pair_map`'s. On Ctrl-C the tasks are cancelled.

        Parameters
        ----------
        fn, items, pairs, *args
            As :func:`analysis.local_pair_map`.
        progress : callable, optional
            Called as ``progress(done, total)`` in this process as pairs finish.

        Returns
        -------
        list
        """
        pairs = [(int(a), int(b)) for a, b in pairs]
        if not pairs:
            return []
        self.require_workers()
        client = self.client
        token = uuid.uuid4().hex[:8]  # keys of this call only, also on a cluster shared with others
        held = [
            client.submit(_unpack, _pack(item), key=f"netgraph-item-{token}-{k}", pure=False)
            for k, item in enumerate(items)
        ]
        tasks = [
            client.submit(fn, held[a], held[b], *args, key=f"netgraph-pair-{token}-{n}", pure=False)
            for n, (a, b) in enumerate(pairs)
        ]
        index = {f.key: n for n, f in enumerate(tasks)}
        results = [None] * len(tasks)
        done = 0
        try:
            from distributed import as_completed

            for batch in as_completed(tasks).batches():
                for f, value in zip(batch, client.gather(batch)):
                    results[index[f.key]] = value
                done += len(batch)
                if progress is not None:
                    progress(done, len(tasks))
        except BaseException as exc:  # a failed pair, Ctrl-C, SIGTERM: nothing more to run
            with contextlib.suppress(Exception):
                client.cancel(tasks + held, force=True)
            if type(exc).__name__ == "KilledWorker":
                raise ClusterError(
                    f"a pairwise task lost its worker every time it ran ({exc}); the cluster at {self.address} "
                    "keeps losing workers"
                ) from None
            raise
        return results


def _pack(item):
    """``item`` for the trip to the cluster: numpy boolean arrays in it packed eight to a byte."""
    import numpy as np

    if isinstance(item, tuple | list) and item and all(isinstance(m, np.ndarray) and m.dtype == bool for m in item):
        return ("bits", type(item) is tuple, [(np.packbits(m, axis=None), m.shape) for m in item])
    return ("plain", item)


def _unpack(packed):
    """The item :func:`_pack` packed, exactly (run on a worker)."""
    if packed[0] == "plain":
        return packed[1]
    import numpy as np

    _, as_tuple, arrays = packed
    out = [np.unpackbits(bits, count=math.prod(shape)).reshape(shape).astype(bool) for bits, shape in arrays]
    return tuple(out) if as_tuple else out


def _dashboard_link(client):
    try:
        import bokeh  # noqa: F401  (the dashboard runs only with bokeh installed)
    except ImportError:
        return None
    return getattr(client, "dashboard_link", None)


@contextlib.contextmanager
def open_cluster(scheduler=None, *, workers=None, warn=None, timeout=None):
    """A Dask cluster for the ``with`` block: started here on 127.0.0.1, or the one ``scheduler`` names.

    Parameters
    ----------
    scheduler : str, optional
        Address of a running scheduler (``tcp://host:8786``, ``tls://host:8786``); default
        ``DASK_SCHEDULER_ADDRESS``, else a new local cluster. Checked before anything
        connects (see :func:`scheduler_address`).
    workers : int, optional
        Worker processes of a local cluster (one thread each); default :func:`default_workers`.
        Not allowed with ``scheduler`` (the cluster has the workers it has).
    warn : callable, optional
        Called with a one-line warning (a plain-text scheduler off this machine); default
        :func:`warnings.warn`.
    timeout : float, optional
        Seconds the scheduler has to answer, from the first connection attempt to its reply
        that it is a Dask scheduler; default ``NETGRAPH_SCHEDULER_TIMEOUT``, else 20
        (:func:`scheduler_timeout`).

    Yields
    ------
    Cluster

    Raises
    ------
    ClusterError
        If the scheduler cannot be reached, or does not answer as a Dask scheduler within
        ``timeout`` (something else listens there, or nothing answers), or a ``tls://``
        address lacks Dask's TLS settings.
    ParameterError
        If the address or ``timeout`` is malformed, or ``workers`` is not a positive int or is
        given with a scheduler.

    Notes
    -----
    On Ctrl-C or SIGTERM inside the block (any exception that is not an ``Exception``), Dask's
    logging is silenced while the client and a local cluster shut down, so the interrupted
    command's own line is all that is printed. The worker processes of a local cluster ignore
    SIGINT: a Ctrl-C at the terminal reaches them too, and they are shut down by this process.
    """
    address = scheduler_address(scheduler)
    if workers is not None:
        workers = check_positive_int(workers, name="workers")
        if address is not None:
            raise ParameterError(
                f"workers={workers}: a running cluster ({address}) has its own workers; leave workers unset"
            )
    timeout = scheduler_timeout(timeout)
    warn = warn or (lambda message: warnings.warn(message, stacklevel=3))
    from distributed import Client, LocalCluster

    if address is not None:
        message = insecure_warning(address)
        if message:
            warn(message)
        client = _connect(address, timeout)
        with _shut_down_after(client.close):
            yield Cluster(client=client, local=False, address=address, dashboard=_dashboard_link(client))
        return
    with _children_ignore_sigint():
        cluster = LocalCluster(
            n_workers=workers or default_workers(),
            threads_per_worker=1,
            processes=True,
            host=_LOOPBACK,
            dashboard_address=f"{_LOOPBACK}:0",
            silence_logs=logging.CRITICAL,  # what goes wrong reaches the client as an exception; the rest is noise
        )
    with _shut_down_after(cluster.close):
        client = Client(cluster)
        with _shut_down_after(client.close):
            yield Cluster(
                client=client, local=True, address=cluster.scheduler_address, dashboard=_dashboard_link(client)
            )


_TLS_SETTINGS = (
    "set DASK_DISTRIBUTED__COMM__TLS__CA_FILE, DASK_DISTRIBUTED__COMM__TLS__CLIENT__CERT and "
    "DASK_DISTRIBUTED__COMM__TLS__CLIENT__KEY (docs/SCALING.md)"
)


def _connect(address, timeout):
    """A client of the scheduler at ``address``, once it has answered as one within ``timeout`` seconds."""
    from distributed import Client
    from distributed.security import Security

    connection_args = Security().get_connection_args("client")
    if address.startswith("tls://") and connection_args.get("ssl_context") is None:
        raise ClusterError(f"{address} needs Dask's TLS settings: {_TLS_SETTINGS}")
    _ask_scheduler(address, timeout, connection_args)
    try:
        return Client(address, timeout=f"{timeout}s")
    except (OSError, TimeoutError) as exc:
        raise ClusterError(f"cannot reach the Dask scheduler at {address}: {exc}") from None


def _ask_scheduler(address, timeout, connection_args):
    """Connect to ``address`` and ask who it is, all within ``timeout`` seconds; ClusterError unless a scheduler answers.

    Dask's own connect bounds only the TCP connection: a peer that accepts and then never
    answers (or answers in another protocol, as a web server does) would keep a client
    waiting for good. This asks the ``identity`` of the peer in a thread of its own, with
    its own event loop (the caller's may be running), under one deadline.
    """
    import asyncio

    from distributed.comm import connect

    async def ask():
        comm = await connect(address, timeout=timeout, **connection_args)
        try:
            await comm.write({"op": "identity", "reply": True})
            return await comm.read()
        finally:
            comm.abort()

    async def bounded():
        return await asyncio.wait_for(ask(), timeout)

    outcome = {}

    def run():
        try:
            outcome["reply"] = asyncio.run(bounded())
        except BaseException as exc:  # noqa: BLE001 -- handed to the caller's thread
            outcome["error"] = exc

    thread = threading.Thread(target=run, name="netgraph-scheduler-check", daemon=True)
    thread.start()
    thread.join(timeout + 5)  # asyncio.wait_for ends it by then; the margin is for a loaded machine
    more = f"set {TIMEOUT_VARIABLE} to wait longer than {timeout:g} s"
    if "reply" not in outcome:
        exc = outcome.get("error")
        if exc is None or isinstance(exc, TimeoutError):
            raise ClusterError(
                f"the Dask scheduler at {address} did not answer within {timeout:g} s: is a Dask scheduler "
                f"listening there? ({more})"
            )
        if isinstance(exc, OSError):
            why = error_reason(exc)
            raise ClusterError(f"cannot reach the Dask scheduler at {address}: {why}")
        raise ClusterError(
            f"{address} did not answer as a Dask scheduler ({type(exc).__name__}: {error_reason(exc)[:200]})"
        )
    reply = outcome["reply"]
    kind = reply.get("type") if isinstance(reply, dict) else None
    if kind != "Scheduler":
        what = f"a Dask {kind}" if isinstance(kind, str) else "not a Dask scheduler"
        raise ClusterError(f"{address} answered, but it is {what}; expected the address of a Dask scheduler")


@contextlib.contextmanager
def _shut_down_after(close):
    """Call ``close()`` when the block ends; after Ctrl-C or SIGTERM, with Dask's logging silenced.

    Shutting down with tasks in flight makes distributed (and asyncio, for the futures it was
    waiting on) log a traceback per task; the command's one line says all there is to say. An
    interruption is any exception that is not an ``Exception`` (KeyboardInterrupt, the
    command line's SIGTERM exception, SystemExit). Errors while closing are not reported: the
    block's own outcome is what matters.
    """
    interrupted = True
    try:
        yield
        interrupted = False
    except Exception:
        interrupted = False
        raise
    finally:
        with _dask_logging_silenced(interrupted), contextlib.suppress(Exception):
            close()


_SILENCED = ("distributed", "asyncio", "tornado", "bokeh")


@contextlib.contextmanager
def _dask_logging_silenced(active=True):
    """Dask's loggers (and asyncio's) above CRITICAL in the block; futures never awaited are collected before it ends."""
    if not active:
        yield
        return
    loggers = [logging.getLogger(name) for name in _SILENCED]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.CRITICAL + 1)
    try:
        yield
    finally:
        gc.collect()  # a future nobody awaited reports itself when it is collected: now, while silent
        for logger, level in zip(loggers, levels):
            logger.setLevel(level)


@contextlib.contextmanager
def _children_ignore_sigint():
    """Processes started in the block ignore SIGINT (a Ctrl-C at the terminal reaches them too).

    SIGINT is blocked in this thread for the block, so a Ctrl-C meanwhile is held, not lost:
    it arrives (as KeyboardInterrupt) when the block ends. Signal handlers belong to the main
    thread; elsewhere this does nothing.
    """
    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "pthread_sigmask"):
        yield
        return
    mask = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        handler = signal.signal(signal.SIGINT, signal.SIG_IGN)
    except (ValueError, OSError):
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, handler if handler is not None else signal.SIG_DFL)
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)
