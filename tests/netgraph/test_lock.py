"""netgraph._lock: one process per run folder; dead holders are never obeyed."""

import json
import os
import pickle
import socket
import subprocess
import sys

import pytest

import netgraph._lock as lock_module
from netgraph._lock import LOCK_NAME, RunLockedError, read_holder, run_lock
from netgraph.errors import NetgraphError


def _dead_pid():
    proc = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True, timeout=60
    )
    return int(proc.stdout)


@pytest.fixture(params=["flock", "exclusive-create"])
def mode(request, monkeypatch):
    """Both implementations: fcntl.flock (POSIX) and the O_EXCL fallback (where fcntl is missing)."""
    if request.param == "flock" and lock_module.fcntl is None:
        pytest.skip("no fcntl on this platform")
    if request.param == "exclusive-create":
        monkeypatch.setattr(lock_module, "fcntl", None)
    return request.param


def test_holder_is_recorded_named_and_released(tmp_path, mode):
    with run_lock(tmp_path) as me:
        holder = json.loads((tmp_path / LOCK_NAME).read_text())
        assert holder == me == read_holder(tmp_path)
        assert holder["pid"] == os.getpid() and holder["host"] == socket.gethostname()
        assert holder["started"] and "command" in holder
        with pytest.raises(RunLockedError) as info:
            with run_lock(tmp_path):
                pass
        message = str(info.value)
        assert message.startswith(f"{tmp_path} is in use by another netgraph run (pid {os.getpid()} on host ")
        assert f"since {holder['started']}" in message and "wait for it or choose another --out" in message
        assert "\n" not in message and isinstance(info.value, NetgraphError)
        assert info.value.holder["pid"] == os.getpid()
        again = pickle.loads(pickle.dumps(info.value))  # as it comes back from a worker process
        assert str(again) == message and again.holder == info.value.holder
    assert not (tmp_path / LOCK_NAME).exists() and read_holder(tmp_path) is None
    with run_lock(tmp_path):  # free again
        pass


def test_released_when_the_block_raises(tmp_path, mode):
    with pytest.raises(KeyboardInterrupt):
        with run_lock(tmp_path):
            raise KeyboardInterrupt
    assert not (tmp_path / LOCK_NAME).exists()


def test_a_lock_file_left_by_a_dead_process_is_not_obeyed(tmp_path, mode):
    stale = {"pid": _dead_pid(), "host": socket.gethostname(), "started": "2020-01-01T00:00:00+00:00", "command": "x"}
    (tmp_path / LOCK_NAME).write_text(json.dumps(stale))
    with run_lock(tmp_path) as me:
        assert me["pid"] == os.getpid() and read_holder(tmp_path)["pid"] == os.getpid()
    assert not (tmp_path / LOCK_NAME).exists()


def test_fallback_obeys_a_live_holder_and_one_on_another_host(tmp_path, monkeypatch):
    monkeypatch.setattr(lock_module, "fcntl", None)
    other = {"pid": _dead_pid(), "host": socket.gethostname() + "-elsewhere", "started": "s", "command": "c"}
    (tmp_path / LOCK_NAME).write_text(json.dumps(other))
    with pytest.raises(RunLockedError, match=r"pid \d+ on host .*-elsewhere since s"):
        with run_lock(tmp_path):
            pass
    live = dict(other, pid=os.getppid(), host=socket.gethostname())
    (tmp_path / LOCK_NAME).write_text(json.dumps(live))
    with pytest.raises(RunLockedError, match=rf"pid {os.getppid()} on host"):
        with run_lock(tmp_path):
            pass
    assert json.loads((tmp_path / LOCK_NAME).read_text()) == live  # a refused caller leaves it alone


@pytest.mark.skipif(lock_module.fcntl is None, reason="no fcntl on this platform")
def test_a_held_lock_without_a_recorded_holder_is_still_refused(tmp_path):
    import fcntl

    fd = os.open(tmp_path / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        with pytest.raises(RunLockedError, match="is in use by another netgraph run \\(holder not recorded"):
            with run_lock(tmp_path):
                pass
    finally:
        os.close(fd)


@pytest.mark.skipif(lock_module.fcntl is None, reason="no fcntl on this platform")
def test_a_lock_file_unlinked_by_its_releasing_holder_is_not_trusted(tmp_path, monkeypatch):
    # B opens .lock, A releases (unlinks, closes) before B's flock: B then holds a lock on a
    # file nobody can find, and must start over on a new file
    import contextlib
    import fcntl

    first = contextlib.ExitStack()
    first.enter_context(run_lock(tmp_path))
    calls = []

    class RacingFcntl:
        LOCK_EX, LOCK_NB, LOCK_UN = fcntl.LOCK_EX, fcntl.LOCK_NB, fcntl.LOCK_UN

        @staticmethod
        def flock(fd, op):
            if not calls:
                first.close()  # A lets go between B's open and B's flock
            calls.append(os.fstat(fd).st_ino)
            return fcntl.flock(fd, op)

    monkeypatch.setattr(lock_module, "fcntl", RacingFcntl)
    with run_lock(tmp_path) as me:
        assert len(calls) == 2  # the first file was found unlinked; the second try took a new one
        held = os.stat(tmp_path / LOCK_NAME).st_ino
        assert calls[-1] == held and me["pid"] == os.getpid()
        monkeypatch.setattr(lock_module, "fcntl", fcntl)
        with pytest.raises(RunLockedError):
            with run_lock(tmp_path):
                pass
    assert not (tmp_path / LOCK_NAME).exists()


def test_missing_directory_is_an_os_error(tmp_path):
    with pytest.raises(FileNotFoundError):
        with run_lock(tmp_path / "nope"):
            pass
