"""Multi-run work on Dask: local cluster, a real external cluster, faults, provenance, security.

The external-cluster tests start ``dask scheduler`` and ``dask worker`` processes on 127.0.0.1
themselves, wait for them with a time limit and always stop them.
"""

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from netgraph import load_checkpoint
from netgraph.cli import main
from netgraph.cluster import ClusterError, insecure_warning, open_cluster, scheduler_address
from netgraph.errors import NetgraphError, ParameterError
from netgraph.study import run_jobs
from netgraph.train import TrainConfig, train_run

CONFIG = dict(dataset="digits", layers=(64, 48, 10), density=0.3, batch_size=64, lr=0.05)


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
    import distributed

    def refuse(address, **kwargs):
        raise OSError("connection refused")

    monkeypatch.setattr(distributed, "Client", refuse)
    with pytest.raises(ClusterError, match="cannot reach the Dask scheduler at tcp://10.1.2.3:8786"):
        with open_cluster("tcp://10.1.2.3:8786", warn=lambda m: print(f"warning: {m}")):
            pass
    assert capsys.readouterr().out.startswith("warning: tcp://10.1.2.3:8786 is not encrypted")


def test_workers_and_a_scheduler_do_not_mix():
    with pytest.raises(ParameterError, match="workers=2: a running cluster"):
        with open_cluster("tcp://127.0.0.1:9", workers=2):
            pass


# ----------------------------------------------------------------- a real cluster of separate processes


def _start(args, *, log):
    return subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)


@contextlib.contextmanager
def _dask_processes(tmp_path, *, workers, scheduler_args=(), worker_args=()):
    """``dask scheduler`` and ``workers`` ``dask worker`` processes (w1, w2, ...) on 127.0.0.1; killed on exit.

    Yields ``(address, procs)``, the scheduler first; their output goes to ``tmp_path/cluster.log``.
    """
    info = tmp_path / "scheduler.json"
    log = open(tmp_path / "cluster.log", "w")  # noqa: SIM115 -- closed in finally
    procs = []
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
            )  # fmt: skip
        )
        deadline = time.monotonic() + 60
        while not info.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        address = json.loads(info.read_text())["address"]
        for k in range(workers):
            procs.append(
                _start(
                    [
                        sys.executable,
                        "-m",
                        "distributed.cli.dask_worker",
                        address,
                        "--name",
                        f"w{k + 1}",
                        "--nthreads",
                        "1",
                        "--no-nanny",
                        "--no-dashboard",
                        "--host",
                        "127.0.0.1",
                        *worker_args,
                    ],
                    log=log,
                )  # fmt: skip
            )
        yield address, procs
    finally:
        for p in procs:
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGKILL)
            p.wait(timeout=30)
        log.close()


@pytest.fixture
def external_cluster(tmp_path):
    """``dask scheduler`` and two ``dask worker`` processes on 127.0.0.1; stopped afterwards."""
    with _dask_processes(tmp_path, workers=2) as (address, procs):
        from distributed import Client

        with Client(address, timeout="30s") as client:
            client.wait_for_workers(2, timeout=60)
        yield address, procs


def _holder_pid(run):
    """The pid that holds a run folder's lock (the worker training it), or None."""
    try:
        return json.loads((run / ".lock").read_text())["pid"]
    except (OSError, ValueError, KeyError):
        return None


@pytest.mark.e2e
def test_train_on_a_real_cluster_survives_a_lost_worker(external_cluster, tmp_path):
    address, _ = external_cluster
    out = tmp_path / "runs"
    argv = ["train", "--dataset", "digits", "--layers", "64,128,128,10", "--density", "0.3", "--epochs", "25",
            "--seeds", "0-3", "--quiet", "--out", str(out), "--scheduler", address]  # fmt: skip
    code = "import sys; from netgraph.cli import main; sys.exit(main(sys.argv[1:]))"
    proc = subprocess.Popen(
        [sys.executable, "-c", code, *argv], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    killed = None
    try:
        deadline = time.monotonic() + 120
        while killed is None and time.monotonic() < deadline and proc.poll() is None:
            for run in sorted(out.glob("seed-*")):
                pid = _holder_pid(run)
                if pid and len(list(run.glob("epoch-*.pt"))) >= 3:
                    os.kill(pid, signal.SIGKILL)  # the worker training this run is lost mid-run
                    killed = run.name
                    break
            time.sleep(0.05)
        stdout, stderr = proc.communicate(timeout=300)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert killed is not None, "no run was caught mid-way"
    assert proc.returncode == 0, stderr
    assert stdout.count("seed ") >= 4 and "mean test accuracy" in stdout
    workers = set()
    for seed in range(4):
        run = out / f"seed-{seed}"
        where = json.loads((run / "params.json").read_text())["where"]
        workers.add(where["worker"])
        assert where["address"].startswith("tcp://127.0.0.1:")
        config = TrainConfig(dataset="digits", layers=(64, 128, 128, 10), density=0.3, epochs=25)
        ref = _local_reference(tmp_path, config, seed)
        assert _same_network(run / "final.pt", Path(ref.out_dir) / "final.pt"), f"seed {seed}"
    assert workers <= {"w1", "w2"}
    resumed = json.loads((out / killed / "params.json").read_text())["where"]["worker"]
    assert resumed in {"w1", "w2"}  # the lost run finished on the worker that was left


@pytest.mark.e2e
def test_similarity_on_a_real_cluster_equals_the_local_numbers(external_cluster, tmp_path, make_net):
    from netgraph import save_checkpoint

    address, _ = external_cluster
    for seed in range(4):
        save_checkpoint(make_net([12, 16, 16, 4], 0.3, seed=seed), tmp_path / "run" / f"seed-{seed}" / "final.pt",
                        meta={"seed": seed, "method": "m"})  # fmt: skip
    common = ["similarity", str(tmp_path / "run"), "--quiet"]
    assert main(common + ["--out", str(tmp_path / "remote"), "--scheduler", address]) == 0
    assert main(common + ["--out", str(tmp_path / "local"), "--workers", "1"]) == 0

    def numbers(folder):
        data = json.loads((tmp_path / folder / "report.json").read_text())
        return [(c["aligned"], c["summary"]["aligned_null"]) for c in data["comparisons"]]

    remote, local = numbers("remote"), numbers("local")
    for (a, n), (b, m) in zip(remote, local):
        assert a["values"] == b["values"] and a["chance"] == b["chance"] and n == m
    assert np.isfinite(remote[0][0]["mean"])


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
