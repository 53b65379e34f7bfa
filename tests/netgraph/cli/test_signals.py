"""Ctrl-C and SIGTERM: every command ends with one line, its exit code (130, 143) and nothing half-written.

The subprocess tests send the signal at a moment they observe, never after a guessed sleep: a
file being written has reached the disk (a hook on ``os.fsync``), or a worker of the command's
Dask cluster has started a pairwise task and waits there (``_dask_hooks.py``).
"""

import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from netgraph import save_checkpoint
from netgraph.cli import Terminated, main

SAFETY = 600  # seconds: only ever reached when something hangs
HOOKS = Path(__file__).resolve().parent.parent / "_dask_hooks.py"

# python -c: the command, with os.fsync holding the first regular file it flushes (the temporary
# file of an atomic write, complete and not yet renamed) until a signal ends the process
_HOLD_THE_WRITE = """
import os, stat, sys, time
ready, argv = sys.argv[1], sys.argv[2:]
real = os.fsync
def fsync(fd):
    real(fd)
    if stat.S_ISREG(os.fstat(fd).st_mode) and not os.path.exists(ready):
        open(ready, "w").close()
        while True:
            time.sleep(0.05)
os.fsync = fsync
from netgraph.cli import main
sys.exit(main(argv))
"""


def _wait_for(condition, proc, *, what):
    deadline = time.monotonic() + SAFETY
    while not condition():
        assert proc.poll() is None, f"waiting for {what}, but the command ended: {proc.communicate()}"
        assert time.monotonic() < deadline, f"waited {SAFETY} s for {what}"
        time.sleep(0.02)


def _leftovers(folder):
    return sorted(p.name for p in folder.rglob("*") if p.name.endswith(".tmp"))


@pytest.mark.e2e
def test_sigterm_while_export_writes_keeps_the_old_file_and_is_one_line(tmp_path, make_net):
    save_checkpoint(make_net([30, 40, 5], 0.5, seed=0), tmp_path / "net.pt")
    out = tmp_path / "out" / "net.graphml"
    out.parent.mkdir()
    out.write_text("the old export\n")
    ready = tmp_path / "writing"
    argv = ["export", str(tmp_path / "net.pt"), "-o", str(out)]
    proc = subprocess.Popen(
        [sys.executable, "-c", _HOLD_THE_WRITE, str(ready), *argv],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        _wait_for(ready.exists, proc, what="the export to be writing")
        assert _leftovers(out.parent), "the temporary file is there while it is written"
        proc.send_signal(signal.SIGTERM)
        stdout, stderr = proc.communicate(timeout=SAFETY)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 143
    assert stderr == "netgraph export: terminated\n"
    assert _leftovers(tmp_path) == []
    assert out.read_text() == "the old export\n"


def _session_processes(sid):
    import psutil

    found = []
    for p in psutil.process_iter():
        try:
            if os.getsid(p.pid) == sid and p.status() != psutil.STATUS_ZOMBIE:
                found.append(p.pid)
        except (OSError, psutil.Error):
            continue
    return found


@pytest.mark.e2e
@pytest.mark.parametrize(
    ("sig", "to_group", "code", "line"),
    [
        (signal.SIGINT, True, 130, "netgraph similarity: interrupted\n"),  # Ctrl-C: the terminal signals the group
        (signal.SIGTERM, False, 143, "netgraph similarity: terminated\n"),  # kill PID
    ],
)
def test_ctrl_c_or_sigterm_while_similarity_aligns_is_one_line(tmp_path, seed_folders, sig, to_group, code, line):
    run = seed_folders(tmp_path / "run", n=4)
    hold = tmp_path / "hold"
    hold.mkdir()
    env = {
        **os.environ,
        "DASK_DISTRIBUTED__WORKER__PRELOAD": json.dumps([str(HOOKS)]),  # the local cluster's workers hold pairs
        "NETGRAPH_TEST_HOLD": str(hold),
        "NETGRAPH_TEST_HOLD_AT": "pairs",
    }
    argv = ["similarity", str(run), "--out", str(tmp_path / "report"), "--workers", "2", "--quiet"]
    proc = subprocess.Popen(
        [sys.executable, "-m", "netgraph", *argv],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        start_new_session=True,  # a session of its own, as a command started at a terminal
    )
    try:
        _wait_for(lambda: list(hold.glob("started-*.json")), proc, what="a worker to start a pair")
        if to_group:
            os.killpg(proc.pid, sig)
        else:
            proc.send_signal(sig)
        (hold / "release").touch()  # the command is ending: let its workers finish their pair and stop
        stdout, stderr = proc.communicate(timeout=SAFETY)
        deadline = time.monotonic() + SAFETY
        while _session_processes(proc.pid) and time.monotonic() < deadline:  # the workers end with the command
            time.sleep(0.05)
        assert _session_processes(proc.pid) == [], "a worker process outlived the command"
    finally:
        (hold / "release").touch()
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
    assert (proc.returncode, stderr, stdout) == (code, line, "")
    assert not (tmp_path / "report").exists()


# ----------------------------------------------------------------- in this process


@pytest.fixture
def sigterm_in(monkeypatch):
    """``sigterm_in("info")``: the command ``info`` sends this process SIGTERM, then waits to be ended."""

    def install(command):
        import importlib

        mod = importlib.import_module(f"netgraph.cli._{command}")

        def run(args):
            os.kill(os.getpid(), signal.SIGTERM)
            deadline = time.monotonic() + SAFETY
            while time.monotonic() < deadline:
                time.sleep(0.01)
            pytest.fail("SIGTERM did not end the command")

        monkeypatch.setattr(mod, "_run", run)

    return install


def test_sigterm_during_a_command_is_one_line_and_exit_143(sigterm_in, tmp_path, capsys):
    before = signal.getsignal(signal.SIGTERM)
    sigterm_in("info")
    assert main(["info", str(tmp_path / "x.pt")]) == 143
    captured = capsys.readouterr()
    assert (captured.out, captured.err) == ("", "netgraph info: terminated\n")
    assert signal.getsignal(signal.SIGTERM) is before  # the handler is the command's only while it runs


def test_the_previous_sigterm_handler_is_restored(tmp_path, capsys, make_net):
    seen = []

    def previous(signum, frame):
        seen.append(signum)

    old = signal.signal(signal.SIGTERM, previous)
    try:
        save_checkpoint(make_net([3, 2], 1.0), tmp_path / "n.pt")
        assert main(["info", str(tmp_path / "n.pt")]) == 0
        assert main(["info", str(tmp_path / "missing.pt")]) == 2
        assert signal.getsignal(signal.SIGTERM) is previous
        os.kill(os.getpid(), signal.SIGTERM)
        deadline = time.monotonic() + SAFETY
        while not seen and time.monotonic() < deadline:
            time.sleep(0.01)
        assert seen == [signal.SIGTERM]
    finally:
        signal.signal(signal.SIGTERM, old)


def test_a_command_in_another_thread_leaves_the_signals_alone(tmp_path, make_net):
    save_checkpoint(make_net([3, 2], 1.0), tmp_path / "n.pt")
    before = signal.getsignal(signal.SIGTERM)
    codes = []
    thread = threading.Thread(target=lambda: codes.append(main(["info", str(tmp_path / "n.pt")])))
    thread.start()
    thread.join(SAFETY)
    assert codes == [0] and signal.getsignal(signal.SIGTERM) is before


def test_terminated_is_not_an_exception():
    assert issubclass(Terminated, BaseException) and not issubclass(Terminated, Exception)


@pytest.mark.parametrize("seeds", ["0", "0-1"])
def test_sigterm_during_training_says_how_to_resume(seeds, tmp_path, capsys, monkeypatch):
    import netgraph.training.run
    import netgraph.training.study

    def terminated(*args, **kwargs):
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(SAFETY)

    monkeypatch.setattr(netgraph.training.run, "train_run", terminated)  # one seed: in this process
    monkeypatch.setattr(netgraph.training.study, "run_jobs", terminated)  # several: on a cluster
    monkeypatch.setattr("netgraph.cli._cluster.open_cluster_from", lambda *a, **k: contextlib.nullcontext())
    argv = ["train", "--dataset", "synthetic", "--layers", "20,16,4", "--epochs", "2", "--seeds", seeds, "--quiet"]
    assert main(argv + ["--out", str(tmp_path)]) == 143
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("netgraph train: terminated")
    assert "run the same command with --resume to continue" in err
