"""Multi-run work on Dask: local cluster, a real external cluster, faults, provenance, security.

The external-cluster tests start ``dask scheduler`` and ``dask worker`` processes on 127.0.0.1
themselves and always stop them. They wait on events, never on the clock: for workers to
connect, for a task to reach a known point (the workers load ``_dask_hooks.py``, which holds a
training run mid-way or a pairwise task before it computes until the test releases it). Time
limits are generous safety nets only (:data:`SAFETY`), never what a test's outcome depends on.
"""

import contextlib
import http.server
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from netgraph import load_checkpoint
from netgraph.cli import main
from netgraph.errors import NetgraphError, ParameterError
from netgraph.training.cluster import (
    ClusterError,
    _pack,
    _unpack,
    insecure_warning,
    open_cluster,
    scheduler_address,
    scheduler_timeout,
)
from netgraph.training.run import TrainConfig, train_run
from netgraph.training.study import run_jobs

CONFIG = dict(dataset="digits", layers=(64, 48, 10), density=0.3, batch_size=64, lr=0.05)
#: Seconds after which a test gives up waiting for an event: only ever hit when something hangs.
SAFETY = 600
HOOKS = Path(__file__).resolve().parent.parent / "_dask_hooks.py"


def _same_network(a, b):
    a, b = load_checkpoint(a), load_checkpoint(b)
    return all((x == y).all() for x, y in zip(a.weights + a.biases + a.masks, b.weights + b.biases + b.masks))


def _local_reference(tmp_path, config, seed):
    """The run trained in this process, one torch thread, as the cluster's tasks do."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        return train_run(config, tmp_path / "reference", seed=seed, progress=False)
    finally:
        torch.set_num_threads(threads)


# ----------------------------------------------------------------- the local cluster


@pytest.fixture(scope="module")
def local_cluster():
    with open_cluster(workers=2) as cluster:
        yield cluster


def test_local_cluster_listens_on_loopback_only(local_cluster):
    import psutil

    client = local_cluster.client
    pids = {os.getpid(), *client.run(os.getpid).values()}
    pids |= {p.pid for p in psutil.Process().children(recursive=True)}
    listening = [c for c in psutil.net_connections(kind="inet") if c.status == psutil.CONN_LISTEN and c.pid in pids]
    assert listening, "the cluster listens somewhere"
    assert {c.laddr.ip for c in listening} == {"127.0.0.1"}
    assert local_cluster.local and local_cluster.address.startswith("tcp://127.0.0.1:")
    assert local_cluster.n_workers == 2 and "local Dask cluster at tcp://127.0.0.1:" in local_cluster.describe()


@pytest.mark.e2e
def test_runs_on_the_cluster_equal_the_runs_in_this_process(local_cluster, tmp_path):
    config = TrainConfig(**CONFIG, epochs=3, growth="strategic")
    results = run_jobs([(config, tmp_path / "c", s) for s in (0, 1, 2)], cluster=local_cluster)
    assert [r.seed for r in results] == [0, 1, 2]  # in the order asked, whichever finished first
    for r in results:
        ref = _local_reference(tmp_path, config, r.seed)
        assert _same_network(Path(r.out_dir) / "final.pt", Path(ref.out_dir) / "final.pt")
        where = json.loads((Path(r.out_dir) / "params.json").read_text())["where"]
        assert where["worker"] is not None and where["address"].startswith("tcp://127.0.0.1:") and where["host"]


def test_a_run_that_fails_for_its_own_reasons_is_reported_once(local_cluster, tmp_path):
    good = TrainConfig(**CONFIG, epochs=2)
    diverging = TrainConfig(**{**CONFIG, "lr": 1e6}, epochs=3)
    with pytest.raises(NetgraphError, match="the run diverged") as info:
        run_jobs([(good, tmp_path / "good", 0), (diverging, tmp_path / "bad", 0)], cluster=local_cluster)
    assert "seed 0, epoch" in str(info.value)
    assert (tmp_path / "good" / "seed-0" / "final.pt").is_file()  # the other run finished
    assert not (tmp_path / "bad" / "seed-0" / "final.pt").exists()


def test_an_out_folder_a_worker_cannot_write_is_refused(local_cluster, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    config = TrainConfig(**CONFIG, epochs=1)
    with pytest.raises(ClusterError, match=r"file/x: worker \S+ cannot write there .*every worker can write"):
        run_jobs([(config, blocker / "x", 0)], cluster=local_cluster)


def test_a_folder_holding_a_run_is_refused_before_anything_runs(local_cluster, tmp_path):
    config = TrainConfig(**CONFIG, epochs=1)
    run_jobs([(config, tmp_path, 0)], cluster=local_cluster)
    with pytest.raises(ParameterError, match="already holds a run"):
        run_jobs([(config, tmp_path, 0)], cluster=local_cluster)
    again = run_jobs([(config, tmp_path, 0)], cluster=local_cluster, resume=True)
    assert again[0].resumed_from == 1


def test_pair_map_equals_local_pair_map_and_counts_the_pairs_done(local_cluster):
    import operator

    from analysis import local_pair_map

    rng = np.random.default_rng(0)
    shapes = [(5, 7), (7, 3), (3, 0), (1, 1)]
    nets = [tuple(rng.random(shape) < 0.4 for shape in shapes) for _ in range(4)]
    pairs = [(0, 1), (3, 2), (1, 1), (2, 0)]
    seen = []
    got = local_cluster.pair_map(operator.add, nets, pairs, progress=lambda done, total: seen.append((done, total)))
    expected = local_pair_map(operator.add, nets, pairs)
    assert len(got) == len(expected) == 4
    for g, e in zip(got, expected):
        assert len(g) == len(e) == 8 and all(x.dtype == bool and np.array_equal(x, y) for x, y in zip(g, e))
    assert seen[-1] == (4, 4) and [t for _, t in seen] == [4] * len(seen)
    assert [d for d, _ in seen] == sorted({d for d, _ in seen})  # increasing, to the total
    # other items go as they are; no pairs, no tasks; the callback is optional
    assert local_cluster.pair_map(operator.add, [1, 2.5, "x"], [(0, 1), (1, 0)]) == [3.5, 3.5]
    assert local_cluster.pair_map(operator.add, [[True], [False]], [(0, 1)]) == [[True, False]]
    assert local_cluster.pair_map(operator.add, [1, 2], []) == []


@pytest.mark.parametrize(
    "item",
    [
        (np.zeros((0, 3), bool), np.ones((2, 9), bool), np.eye(3, dtype=bool)),
        [np.array([True, False, True])],
        (np.ones(3), np.zeros(2, bool)),  # not all boolean: as it is
        (),
        "text",
    ],
)
def test_items_packed_for_the_cluster_come_back_exactly(item):
    back = _unpack(_pack(item))
    assert type(back) is type(item) and len(back) == len(item)
    for x, y in zip(back, item):
        assert np.asarray(x).dtype == np.asarray(y).dtype and np.array_equal(x, y)


def test_ctrl_c_cancels_the_remaining_runs_and_leaves_complete_files(tmp_path):
    config = TrainConfig(**CONFIG, epochs=2)

    def interrupt(done, total, result):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_jobs([(config, tmp_path, s) for s in range(6)], workers=1, progress=interrupt)
    finished = sorted(p.parent.name for p in tmp_path.glob("seed-*/final.pt"))
    assert 1 <= len(finished) < 6  # the rest was cancelled
    assert not list(tmp_path.rglob("*.tmp"))
    for run in tmp_path.glob("seed-*"):
        for ckpt in run.glob("*.pt"):
            load_checkpoint(ckpt)  # every file is complete


# ----------------------------------------------------------------- scheduler addresses and security


def test_scheduler_address_comes_from_the_option_or_dask_s_variable(monkeypatch):
    monkeypatch.delenv("DASK_SCHEDULER_ADDRESS", raising=False)
    assert scheduler_address() is None
    monkeypatch.setenv("DASK_SCHEDULER_ADDRESS", "tcp://127.0.0.1:9")
    assert scheduler_address() == "tcp://127.0.0.1:9"
    assert scheduler_address("tls://h:8786") == "tls://h:8786"
    with pytest.raises(ParameterError, match="scheduler=''"):
        scheduler_address("")


@pytest.mark.parametrize(
    ("address", "warned"),
    [
        ("tcp://10.1.2.3:8786", True),
        ("tcp://example.org:8786", True),
        ("10.1.2.3:8786", True),
        ("tls://10.1.2.3:8786", False),
        ("tcp://127.0.0.1:8786", False),
        ("tcp://localhost:8786", False),
        ("tcp://[::1]:8786", False),
    ],
)
def test_plain_text_schedulers_off_this_machine_are_warned_about(address, warned):
    message = insecure_warning(address)
    assert (message is not None) is warned
    if warned:
        assert "\n" not in message and "anyone who can reach that scheduler can run code on its workers" in message


def test_the_warning_comes_before_connecting(monkeypatch, capsys):
    import netgraph.training.cluster

    def refuse(address, timeout):
        assert capsys.readouterr().out.startswith("warning: tcp://10.1.2.3:8786 is not encrypted")
        raise ClusterError(f"cannot reach the Dask scheduler at {address}: connection refused")

    monkeypatch.setattr(netgraph.training.cluster, "_connect", refuse)
    with pytest.raises(ClusterError, match="cannot reach the Dask scheduler at tcp://10.1.2.3:8786"):
        with open_cluster("tcp://10.1.2.3:8786", warn=lambda m: print(f"warning: {m}")):
            pass


@pytest.mark.parametrize(
    ("address", "message"),
    [
        ("tcp://", "no host"),
        ("garbage", "no port"),
        ("inproc://x", "the protocol inproc:// is not supported"),
        ("ucx://", "the protocol ucx:// is not supported"),
        ("ucx://10.0.0.5:8786", "the protocol ucx:// is not supported"),
        ("ws://", "the protocol ws:// is not supported"),
        ("tcp://[::1", "the IPv6 host has no closing ']'"),
        ("tcp://[::1]", "no port"),
        ("tcp://[nonsense]:8786", r"\[nonsense\] is not an IPv6 address"),
        ("tcp://::1:8786", "an IPv6 host is written in brackets"),
        ("tcp://host", "no port"),
        ("tcp://host:", "no port"),
        ("tcp://:8786", "no host"),
        ("tcp://host:0", "the port '0' is not a number from 1 to 65535"),
        ("tcp://host:65536", "the port '65536' is not a number from 1 to 65535"),
        ("tcp://host:http", "the port 'http' is not a number"),
        ("tcp://host:8786/path", "an address is a host and a port, with nothing before or after them"),
        ("tcp://user@host:8786", "an address is a host and a port, with nothing before or after them"),
        ("tcp://ho st:8786", "an address is a host and a port, with nothing before or after them"),
        ("tcp://h*st:8786", "'h\\*st' is not a host name or address"),
        ("   ", "not an address"),
    ],
)
def test_malformed_scheduler_addresses_are_refused_before_connecting(address, message, monkeypatch):
    import netgraph.training.cluster

    monkeypatch.setattr(netgraph.training.cluster, "_connect", lambda *a: pytest.fail("connected"))
    expected = "expected tcp://HOST:PORT or tls://HOST:PORT"
    with pytest.raises(ParameterError, match=f"scheduler={re.escape(repr(address))}: {message}.*{expected}"):
        scheduler_address(address)
    warned = []
    with pytest.raises(ParameterError, match=expected):
        with open_cluster(address, warn=warned.append):
            pass
    assert warned == []  # no warning about encryption for what is no address at all
    monkeypatch.setenv("DASK_SCHEDULER_ADDRESS", address)
    if address.strip():
        with pytest.raises(ParameterError, match=f"DASK_SCHEDULER_ADDRESS={re.escape(repr(address))}"):
            scheduler_address()


@pytest.mark.parametrize(
    ("address", "cleaned"),
    [
        ("tcp://10.0.0.5:8786", "tcp://10.0.0.5:8786"),
        ("TLS://node-1.cluster.example:8786", "tls://node-1.cluster.example:8786"),
        ("10.0.0.5:8786", "tcp://10.0.0.5:8786"),
        (" tcp://[::1]:08786 ", "tcp://[::1]:8786"),
        ("tcp://my_host:1", "tcp://my_host:1"),
    ],
)
def test_well_formed_scheduler_addresses(address, cleaned):
    assert scheduler_address(address) == cleaned


@pytest.mark.parametrize("value", ["0", "-1", "nan", "inf", "soon", ""])
def test_the_scheduler_timeout_is_a_positive_number_of_seconds(value, monkeypatch):
    if value:
        with pytest.raises(ParameterError, match=f"timeout={re.escape(repr(value))}: expected a positive number"):
            scheduler_timeout(value)
    monkeypatch.setenv("NETGRAPH_SCHEDULER_TIMEOUT", value)
    if value:
        with pytest.raises(ParameterError, match="NETGRAPH_SCHEDULER_TIMEOUT="):
            scheduler_timeout()
    else:
        assert scheduler_timeout() == 20.0  # unset or empty: the default
    with pytest.raises(ParameterError, match="timeout=True"):
        scheduler_timeout(True)


# ----------------------------------------------------------------- something else listens at the address


class _QuietHandler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass


@contextlib.contextmanager
def _http_server():
    """A web server on 127.0.0.1 (answers HTTP, not Dask); yields its tcp:// address."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _QuietHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"tcp://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(SAFETY)


@contextlib.contextmanager
def _silent_server():
    """A socket on 127.0.0.1 that accepts connections and never answers; yields ``(address, accepted)``."""
    sock = socket.create_server(("127.0.0.1", 0))
    sock.settimeout(0.05)
    accepted, stop = [], threading.Event()

    def accept():
        while not stop.is_set():
            try:
                accepted.append(sock.accept()[0])
            except TimeoutError:
                continue
            except OSError:
                return

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"tcp://127.0.0.1:{sock.getsockname()[1]}", accepted
    finally:
        stop.set()
        thread.join(SAFETY)
        for conn in accepted:
            conn.close()
        sock.close()


def _returns_within(seconds, fn):
    """``fn()``'s outcome (result or exception), failing the test if it has none after ``seconds``."""
    outcome = {}

    def run():
        try:
            outcome["result"] = fn()
        except BaseException as exc:  # noqa: BLE001 -- handed to the test
            outcome["error"] = exc

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(seconds)
    assert outcome, f"still waiting after {seconds} s: it hangs"
    return outcome.get("error", outcome.get("result"))


def _open(address, **kwargs):
    with open_cluster(address, **kwargs):
        pass


@pytest.mark.parametrize("server", ["http", "silent"])
def test_a_port_where_no_scheduler_answers_is_an_error_not_a_hang(server):
    with contextlib.ExitStack() as stack:
        if server == "http":
            address = stack.enter_context(_http_server())
        else:
            address, accepted = stack.enter_context(_silent_server())
        error = _returns_within(SAFETY, lambda: _open(address, timeout=1))
        assert isinstance(error, ClusterError), error
        assert "\n" not in str(error) and address in str(error)
        if server == "silent":
            assert accepted, "the client connected"
            assert "did not answer within 1 s" in str(error) and "NETGRAPH_SCHEDULER_TIMEOUT" in str(error)


@pytest.mark.e2e
def test_the_command_line_gives_up_on_a_silent_scheduler_after_netgraph_scheduler_timeout(tmp_path):
    argv = ["train", "--dataset", "synthetic", "--layers", "20,16,4", "--epochs", "1", "--seeds", "0-1",
            "--quiet", "--out", str(tmp_path / "runs")]  # fmt: skip
    with _silent_server() as (address, accepted):
        proc = subprocess.run(
            [sys.executable, "-m", "netgraph", *argv, "--scheduler", address],
            env={**os.environ, "NETGRAPH_SCHEDULER_TIMEOUT": "1"},
            capture_output=True,
            text=True,
            timeout=SAFETY,
        )
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.count("\n") == 1 and proc.stderr.startswith("netgraph train: error: ")
    assert f"the Dask scheduler at {address} did not answer within 1 s" in proc.stderr
    assert not (tmp_path / "runs").exists()


def test_workers_and_a_scheduler_do_not_mix():
    with pytest.raises(ParameterError, match="workers=2: a running cluster"):
        with open_cluster("tcp://127.0.0.1:9", workers=2):
            pass


# ----------------------------------------------------------------- a real cluster of separate processes


def _start(args, *, log, env=None):
    return subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, start_new_session=True, env=env)


def _hold_env(hold, at):
    """The environment of processes whose Dask workers load ``_dask_hooks.py`` and hold tasks ``at`` a point."""
    return {**os.environ, "NETGRAPH_TEST_HOLD": str(hold), "NETGRAPH_TEST_HOLD_AT": at}


class _Processes(list):
    """The processes of a test cluster, the scheduler first; :meth:`add_worker` starts one more worker."""

    def __init__(self, log, hold, worker_args):
        super().__init__()
        self.log, self.hold, self.worker_args, self.address = log, hold, worker_args, None

    def add_worker(self, name):
        hooks = ["--preload", str(HOOKS)] if self.hold else []
        self.append(
            _start(
                [
                    sys.executable,
                    "-m",
                    "distributed.cli.dask_worker",
                    self.address,
                    "--name",
                    name,
                    "--nthreads",
                    "1",
                    "--no-nanny",
                    "--no-dashboard",
                    "--host",
                    "127.0.0.1",
                    *hooks,
                    *self.worker_args,
                ],
                log=self.log,
                env=_hold_env(*self.hold) if self.hold else None,
            )  # fmt: skip
        )
        return self[-1]


@contextlib.contextmanager
def _dask_processes(tmp_path, *, workers, scheduler_args=(), worker_args=(), hold=None, scheduler_env=None):
    """``dask scheduler`` and ``workers`` ``dask worker`` processes (w1, w2, ...) on 127.0.0.1; killed on exit.

    Yields ``(address, procs)``, the scheduler first, once every worker has connected; their
    output goes to ``tmp_path/cluster.log``. With ``hold=(folder, at)`` the workers hold tasks
    (see ``_dask_hooks.py``); ``scheduler_env`` adds to the scheduler's environment (Dask's
    ``DASK_...`` settings).
    """
    info = tmp_path / "scheduler.json"
    log = open(tmp_path / "cluster.log", "w")  # noqa: SIM115 -- closed in finally
    procs = _Processes(log, hold, worker_args)
    try:
        procs.append(
            _start(
                [
                    sys.executable,
                    "-m",
                    "distributed.cli.dask_scheduler",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    "0",
                    "--no-dashboard",
                    "--scheduler-file",
                    str(info),
                    *scheduler_args,
                ],
                log=log,
                env={**os.environ, **(scheduler_env or {})},
            )  # fmt: skip
        )
        _wait_for(lambda: _address_in(info), procs, what="the scheduler to write its address")
        procs.address = address = _address_in(info)
        for k in range(workers):
            procs.add_worker(f"w{k + 1}")
        if workers:
            _wait_for_workers(address, workers)
        yield address, procs
    finally:
        for p in procs:
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGKILL)
            p.wait(timeout=SAFETY)
        log.close()


def _address_in(scheduler_file):
    """The address in a scheduler file, or None while it is missing or not completely written."""
    try:
        return json.loads(scheduler_file.read_text())["address"]
    except (OSError, ValueError, KeyError):
        return None


def _wait_for(condition, procs=(), *, what):
    """Wait until ``condition()`` is true (polled): the event a test waits on. Fails if a process ends first."""
    deadline = time.monotonic() + SAFETY
    while not condition():
        ended = [p.args for p in procs if p.poll() is not None]
        assert not ended, f"waiting for {what}, but {ended[0]} ended"
        assert time.monotonic() < deadline, f"waited {SAFETY} s for {what}"
        time.sleep(0.02)


def _wait_for_workers(address, n):
    if address.startswith("tls://"):
        return  # the TLS test's client needs its settings; its command waits for workers itself
    from distributed import Client

    with Client(address, timeout=f"{SAFETY}s") as client:
        client.wait_for_workers(n, timeout=SAFETY)


@pytest.fixture
def external_cluster(tmp_path):
    """``dask scheduler`` and two ``dask worker`` processes on 127.0.0.1; stopped afterwards."""
    with _dask_processes(tmp_path, workers=2) as (address, procs):
        yield address, procs


def _cli(argv, **kwargs):
    """``python -m netgraph ARGV`` as a process of its own (stdout and stderr as text)."""
    return subprocess.Popen(
        [sys.executable, "-m", "netgraph", *argv], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kwargs
    )


def _markers(hold):
    """What the held tasks recorded (``_dask_hooks.py``), in the order they started."""
    paths = sorted(hold.glob("started-*.json"), key=lambda p: p.stat().st_mtime_ns)
    return [json.loads(p.read_text()) for p in paths]


def _kill_worker_and_release(procs, pid, hold):
    """SIGKILL the worker process ``pid`` (one of ``procs``), then let the held tasks go on."""
    worker = next(p for p in procs if p.pid == pid)
    os.killpg(worker.pid, signal.SIGKILL)
    worker.wait(timeout=SAFETY)
    (hold / "release").touch()
    return worker


@pytest.mark.e2e
def test_train_on_a_real_cluster_survives_a_lost_worker(tmp_path):
    hold = tmp_path / "hold"
    hold.mkdir()
    out = tmp_path / "runs"
    layers, epochs = "64,64,10", 6
    argv = ["train", "--dataset", "digits", "--layers", layers, "--density", "0.3", "--epochs", str(epochs),
            "--seeds", "0-3", "--quiet", "--out", str(out)]  # fmt: skip
    with _dask_processes(tmp_path, workers=2, hold=(hold, "train")) as (address, procs):
        proc = _cli([*argv, "--scheduler", address])
        try:
            # a run is mid-way: its epochs 1-3 are on disk and it waits (_dask_hooks.py) until released
            _wait_for(lambda: _markers(hold), [proc, *procs], what="a run to be mid-way")
            caught = _markers(hold)[0]
            killed = _kill_worker_and_release(procs, caught["pid"], hold)
            stdout, stderr = proc.communicate(timeout=SAFETY)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.communicate()
    lost, left = ("w1", "w2") if killed is procs[1] else ("w2", "w1")
    run = Path(caught["run"])
    assert (caught["epoch"], run.parent) == (3, out)
    assert proc.returncode == 0, stderr
    assert "Traceback" not in stderr
    assert stdout.count("seed ") == 4 and "mean test accuracy" in stdout
    assert f"seed {run.name.split('-')[1]}: " in stdout and "resumed from epoch 3" in stdout
    for seed in range(4):
        where = json.loads((out / f"seed-{seed}" / "params.json").read_text())["where"]
        assert where["address"].startswith("tcp://127.0.0.1:") and where["worker"] in {"w1", "w2"}
        config = TrainConfig(dataset="digits", layers=tuple(map(int, layers.split(","))), density=0.3, epochs=epochs)
        ref = _local_reference(tmp_path, config, seed)
        assert _same_network(out / f"seed-{seed}" / "final.pt", Path(ref.out_dir) / "final.pt"), f"seed {seed}"
    resumed = json.loads((run / "params.json").read_text())["where"]["worker"]
    assert (resumed, lost) == (left, lost)  # the lost run finished on the worker that was left


def _aligned_numbers(report):
    """The aligned Jaccard values, their chance levels and the aligned random baseline of each comparison."""
    return [
        (c["aligned"]["values"], c["aligned"]["chance"], c["summary"]["aligned_null"]) for c in report["comparisons"]
    ]


def _in_process_numbers(folder):
    """The same report's numbers computed in this process, without any cluster."""
    from analysis import build_report
    from netgraph import to_graph

    files = sorted(folder.glob("seed-*/final.pt"))
    report = build_report([to_graph(p) for p in files], sources=[str(p) for p in files], rng=0)
    return _aligned_numbers(json.loads(json.dumps(report.to_dict())))


@pytest.mark.e2e
def test_similarity_on_a_real_cluster_equals_the_local_numbers(external_cluster, tmp_path, seed_folders):
    address, procs = external_cluster
    run = seed_folders(tmp_path / "run", n=4)
    common = ["similarity", str(run), "--quiet"]
    assert main(common + ["--out", str(tmp_path / "remote"), "--scheduler", address]) == 0
    assert main(common + ["--out", str(tmp_path / "local"), "--workers", "1"]) == 0

    def numbers(folder):
        return _aligned_numbers(json.loads((tmp_path / folder / "report.json").read_text()))

    remote, local = numbers("remote"), numbers("local")
    assert remote == local == _in_process_numbers(run)
    assert np.isfinite(np.mean(remote[0][0]))
    # the address of a worker is no scheduler's: one clear error
    from distributed import Client

    with Client(address, timeout=f"{SAFETY}s") as client:
        worker = next(iter(client.scheduler_info(n_workers=-1)["workers"]))
    with pytest.raises(ClusterError, match=f"{re.escape(worker)} answered, but it is a Dask Worker"):
        _open(worker, timeout=SAFETY)


def _similarity_losing_the_held_worker(run, tmp_path, address, procs, hold, before_kill=None):
    """``netgraph similarity`` of ``run`` on the cluster; the worker of the first pair held (_dask_hooks.py) is
    killed, then the held pair released. Returns the process, its stdout and stderr."""
    proc = _cli(["similarity", str(run), "--quiet", "--out", str(tmp_path / "report"), "--scheduler", address])
    try:
        _wait_for(lambda: _markers(hold), [proc, *procs], what="a worker to start a pair")
        if before_kill is not None:
            before_kill()
        _kill_worker_and_release(procs, _markers(hold)[0]["pid"], hold)
        stdout, stderr = proc.communicate(timeout=SAFETY)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    return proc, stdout, stderr


@pytest.mark.e2e
def test_similarity_on_a_real_cluster_survives_a_lost_worker(tmp_path, seed_folders):
    """The only worker that holds the networks is lost while it aligns: the pairs run again elsewhere, same numbers."""
    hold = tmp_path / "hold"
    hold.mkdir()
    run = seed_folders(tmp_path / "run")
    no_stealing = {"DASK_DISTRIBUTED__SCHEDULER__WORK_STEALING": "False"}  # w2 takes no work from w1 while it lives
    with _dask_processes(tmp_path, workers=1, hold=(hold, "pairs"), scheduler_env=no_stealing) as (address, procs):

        def add_a_worker():  # w1, the one worker, holds every network and has started a pair, which waits
            procs.add_worker("w2")
            _wait_for_workers(address, 2)

        proc, stdout, stderr = _similarity_losing_the_held_worker(run, tmp_path, address, procs, hold, add_a_worker)
    assert proc.returncode == 0, stderr[-3000:]
    assert "Traceback" not in stderr
    assert "wrote " in stdout
    remote = _aligned_numbers(json.loads((tmp_path / "report" / "report.json").read_text()))
    assert remote == _in_process_numbers(run)


@pytest.mark.e2e
def test_a_pair_that_keeps_losing_its_worker_is_one_clear_error(tmp_path, seed_folders):
    hold = tmp_path / "hold"
    hold.mkdir()
    run = seed_folders(tmp_path / "run")
    give_up = {"DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES": "0"}  # Dask gives up on a task at its first lost worker
    with _dask_processes(tmp_path, workers=2, hold=(hold, "pairs"), scheduler_env=give_up) as (address, procs):
        proc, stdout, stderr = _similarity_losing_the_held_worker(run, tmp_path, address, procs, hold)
    assert proc.returncode == 2, stderr[-3000:]
    assert stderr.count("\n") == 1 and stderr.startswith("netgraph similarity: error: a pairwise task lost its worker")
    assert f"the cluster at {address} keeps losing workers" in stderr
    assert not (tmp_path / "report").exists()


def test_a_scheduler_without_workers_is_an_error_after_a_while(tmp_path, monkeypatch):
    import netgraph.training.cluster

    monkeypatch.setattr(netgraph.training.cluster, "WORKER_TIMEOUT", 1)
    with _dask_processes(tmp_path, workers=0) as (address, _):
        with open_cluster(address, timeout=SAFETY) as cluster:
            with pytest.raises(ClusterError, match=f"the Dask scheduler at {address} has no workers .*dask worker"):
                cluster.pair_map(max, [1, 2], [(0, 1)])
            with pytest.raises(ClusterError, match="has no workers"):
                run_jobs([(TrainConfig(**CONFIG, epochs=1), tmp_path / "runs", 0)], cluster=cluster)


@pytest.mark.e2e
@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command to make certificates")
def test_a_tls_scheduler_works_with_dask_s_tls_settings(tmp_path, monkeypatch):
    """The commands of docs/SCALING.md: a certificate, a TLS scheduler and worker, the client's settings."""
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=netgraph-test",
         "-keyout", str(key), "-out", str(cert), "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    tls = ["--tls-ca-file", str(cert), "--tls-cert", str(cert), "--tls-key", str(key)]
    processes = _dask_processes(tmp_path, workers=1, scheduler_args=["--protocol", "tls", *tls], worker_args=tls)
    with processes as (address, _):
        assert address.startswith("tls://127.0.0.1:")
        argv = ["train", "--dataset", "synthetic", "--layers", "20,16,4", "--density", "0.5", "--epochs", "2",
                "--seeds", "0-1", "--quiet", "--scheduler", address]  # fmt: skip
        # without the client's TLS settings: one clear error
        for name in ("CA_FILE", "CLIENT__CERT", "CLIENT__KEY"):
            monkeypatch.delenv(f"DASK_DISTRIBUTED__COMM__TLS__{name}", raising=False)
        with pytest.raises(ClusterError, match="needs Dask's TLS settings"):
            with open_cluster(address):
                pass
        monkeypatch.setenv("DASK_DISTRIBUTED__COMM__TLS__CA_FILE", str(cert))
        monkeypatch.setenv("DASK_DISTRIBUTED__COMM__TLS__CLIENT__CERT", str(cert))
        monkeypatch.setenv("DASK_DISTRIBUTED__COMM__TLS__CLIENT__KEY", str(key))
        import dask

        dask.config.refresh()  # Dask reads its environment variables into its configuration
        try:
            assert main(argv + ["--out", str(tmp_path / "runs")]) == 0
        finally:
            monkeypatch.undo()
            dask.config.refresh()
        assert (tmp_path / "runs" / "seed-1" / "final.pt").is_file()
