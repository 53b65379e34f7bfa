"""Atomic writes never destroy what is not a regular file of ours (netgraph.fileio)."""

import errno
import os
import stat
import threading

import pytest

from netgraph.errors import CheckpointError, NetgraphError, OutputError, ParameterError
from netgraph.fileio import (
    READ_LIMITS,
    atomic_files,
    atomic_write,
    check_implied_size,
    check_not_input,
    check_outputs,
    guard_inputs,
    load_json,
    note_input,
    read_limit,
)


def _write(path, text):
    with atomic_write(path, "w", encoding="utf-8") as f:
        f.write(text)


def test_symlink_is_kept_and_its_target_replaced(tmp_path):
    target = tmp_path / "data" / "real.json"
    target.parent.mkdir()
    target.write_text("old")
    link = tmp_path / "link.json"
    link.symlink_to(target)
    _write(link, "new")
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert target.read_text() == "new"
    assert sorted(os.listdir(tmp_path)) == ["data", "link.json"]  # no temporary file left beside the link
    assert os.listdir(target.parent) == ["real.json"]


def test_dangling_symlink_creates_its_target(tmp_path):
    link = tmp_path / "link.txt"
    link.symlink_to(tmp_path / "made.txt")
    _write(link, "hello")
    assert link.is_symlink() and (tmp_path / "made.txt").read_text() == "hello"


def test_fifo_is_refused_at_once_and_kept(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with pytest.raises(
        OutputError, match=r"pipe is a FIFO \(named pipe\); netgraph writes and replaces only regular files"
    ):
        _write(fifo, "x")
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)
    assert os.listdir(tmp_path) == ["pipe"]


def test_link_to_a_device_is_refused_and_the_device_untouched(tmp_path):
    link = tmp_path / "out.npz"
    link.symlink_to(os.devnull)
    with pytest.raises(OutputError, match="a character device"):
        _write(link, "x")
    assert link.is_symlink() and stat.S_ISCHR(os.stat(os.devnull).st_mode)


def test_directory_is_refused(tmp_path):
    (tmp_path / "d").mkdir()
    with pytest.raises(OutputError, match="is a directory"):
        _write(tmp_path / "d", "x")


def test_replaced_file_keeps_its_permissions(tmp_path):
    path = tmp_path / "private.json"
    path.write_text("old")
    path.chmod(0o600)
    _write(path, "new")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and path.read_text() == "new"


def test_output_error_is_a_netgraph_error_and_an_os_error():
    assert issubclass(OutputError, NetgraphError) and issubclass(OutputError, OSError)


def test_check_not_input(tmp_path):
    src = tmp_path / "net.pt"
    src.write_bytes(b"x")
    check_not_input(tmp_path / "other.pt", [src])
    check_not_input(src, [tmp_path / "missing.pt", 3])
    link = tmp_path / "alias.pt"
    link.symlink_to(src)
    with pytest.raises(OutputError, match="is the input file itself"):
        check_not_input(link, [src])


def test_missing_folder_is_named(tmp_path):
    with pytest.raises(OutputError, match=r"x.json: the folder .*nope does not exist"):
        _write(tmp_path / "nope" / "x.json", "x")


# ----------------------------------------------------------------- issue 16: a full disk, groups, inputs, limits


class _FullDisk:
    """``os.fdopen`` whose files take ``room`` bytes, then fail as a full disk does (ENOSPC)."""

    def __init__(self, real, room):
        self.real, self.room = real, room

    def __call__(self, fd, mode="r", **kwargs):
        f = self.real(fd, mode, **kwargs)
        if "w" not in mode:
            return f
        room = self

        class Proxy:
            def __init__(self):
                self._f = f

            def write(self, data):
                if len(data) > room.room:
                    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
                room.room -= len(data)
                return self._f.write(data)

            def __getattr__(self, name):
                return getattr(self._f, name)

            def __enter__(self):
                return self

            def __exit__(self, *exc):
                self._f.close()

        return Proxy()


def test_a_full_disk_during_torch_save_names_the_file_and_keeps_the_old_one(tmp_path, monkeypatch):
    """torch.save turns ENOSPC into "enforce fail ... unexpected pos"; the error says what happened, to which file."""
    import netgraph.fileio
    from netgraph import SparseMLP, load_checkpoint, save_checkpoint

    path = tmp_path / "net.pt"
    save_checkpoint(SparseMLP([3, 2]), path, meta={"old": True})
    before = path.read_bytes()
    monkeypatch.setattr(netgraph.fileio.os, "fdopen", _FullDisk(os.fdopen, room=100))
    with pytest.raises(OSError) as caught:
        save_checkpoint(SparseMLP([300, 200]), path)
    assert caught.value.errno == errno.ENOSPC and caught.value.filename == str(path)
    assert "No space left on device" in str(caught.value)
    monkeypatch.undo()
    assert path.read_bytes() == before and load_checkpoint(path).meta["old"] is True
    assert os.listdir(tmp_path) == ["net.pt"]  # no temporary left


def test_a_full_disk_through_the_command_line_is_one_line_naming_the_file(tmp_path, monkeypatch, capsys):
    import netgraph.fileio
    from netgraph import SparseMLP, save_checkpoint
    from netgraph.cli import main

    src = save_checkpoint(SparseMLP([30, 20]), tmp_path / "net.pt")
    monkeypatch.setattr(netgraph.fileio.os, "fdopen", _FullDisk(os.fdopen, room=50))
    assert main(["export", str(src), "--format", "torch", "-o", str(tmp_path / "out.pt")]) == 2
    err = capsys.readouterr().err.strip()
    assert err == f"netgraph export: error: {tmp_path / 'out.pt'}: No space left on device"


def _mount_tmpfs(path, size):
    import shutil
    import subprocess

    if os.geteuid() != 0 or not shutil.which("mount"):
        pytest.skip("mounting a tmpfs needs root")
    path.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)], capture_output=True)
    if done.returncode:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")


def test_a_real_full_disk_keeps_the_old_checkpoint(tmp_path):
    """On a 256 KiB tmpfs: saving a checkpoint bigger than the room left fails naming the file, the old one intact."""
    import subprocess

    from netgraph import SparseMLP, load_checkpoint, save_checkpoint

    disk = tmp_path / "disk"
    _mount_tmpfs(disk, "256k")
    try:
        path = save_checkpoint(SparseMLP([3, 2]), disk / "net.pt", meta={"old": True})
        with pytest.raises(OSError) as caught:
            save_checkpoint(SparseMLP([300, 300]), path)  # 360 KB of weights
        assert caught.value.errno == errno.ENOSPC and caught.value.filename == str(path)
        assert load_checkpoint(path).meta["old"] is True and os.listdir(disk) == ["net.pt"]
    finally:
        subprocess.run(["umount", "-l", str(disk)], check=False)


def test_atomic_files_replace_a_group_all_at_once(tmp_path):
    folder = tmp_path / "out"
    with atomic_files(folder) as group:
        group.write("a.json", "old a", mode="w", encoding="utf-8")
        group.write("b.png", b"old b")
    assert sorted(os.listdir(folder)) == ["a.json", "b.png"]
    with atomic_files(folder) as group:
        with group.open("a.json", "w", encoding="utf-8") as f:
            f.write("new a")
        group.write("b.png", b"new b")
    assert (folder / "a.json").read_text() == "new a" and (folder / "b.png").read_bytes() == b"new b"


@pytest.mark.parametrize("failing", [1, 2])
def test_a_failure_while_staging_leaves_the_old_group(tmp_path, monkeypatch, failing):
    """A full disk at the n-th file: every old file byte-identical, no temporary left."""
    import netgraph.fileio

    folder = tmp_path / "out"
    folder.mkdir()
    for name in ("a.json", "b.png", "c.html"):
        (folder / name).write_text(f"old {name}")
    real, calls = os.fdopen, []

    def fdopen(fd, mode="r", **kwargs):
        calls.append(fd)
        if len(calls) == failing + 1:
            return _FullDisk(real, room=0)(fd, mode, **kwargs)
        return real(fd, mode, **kwargs)

    monkeypatch.setattr(netgraph.fileio.os, "fdopen", fdopen)
    with pytest.raises(OSError, match="No space left on device"):
        with atomic_files(folder) as group:
            for name in ("a.json", "b.png", "c.html"):
                group.write(name, f"new {name}", mode="w")
    assert {p.name: p.read_text() for p in folder.iterdir()} == {n: f"old {n}" for n in ("a.json", "b.png", "c.html")}


def _signal_after_the_first_rename(monkeypatch, signum):
    """Make ``os.replace`` in netgraph.fileio send ``signum`` to this process once ``a.json`` is in place."""
    import netgraph.fileio

    real = os.replace

    def replace_and_signal(src, dst):
        real(src, dst)
        if dst.name == "a.json":
            os.kill(os.getpid(), signum)

    monkeypatch.setattr(netgraph.fileio.os, "replace", replace_and_signal)


def _write_the_group(folder):
    with atomic_files(folder) as group:
        group.write("a.json", b"new a")
        group.write("b.png", b"new b")


def test_ctrl_c_during_the_renames_waits_until_the_group_is_in_place(tmp_path, monkeypatch):
    """SIGINT arriving between two renames is held back: the new group is complete when it is raised."""
    import signal

    folder = tmp_path / "out"
    _signal_after_the_first_rename(monkeypatch, signal.SIGINT)
    # another thread alive, as a Dask client's are: the kernel may hand the signal to it
    idle = threading.Event()
    other = threading.Thread(target=idle.wait)
    other.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            _write_the_group(folder)
    finally:
        idle.set()
        other.join()
    assert sorted(os.listdir(folder)) == ["a.json", "b.png"] and (folder / "b.png").read_bytes() == b"new b"


def test_sigterm_during_the_renames_is_delivered_after_them(tmp_path, monkeypatch):
    import signal

    folder = tmp_path / "out"
    seen = []
    previous = signal.signal(signal.SIGTERM, lambda number, frame: seen.append(sorted(os.listdir(folder))))
    _signal_after_the_first_rename(monkeypatch, signal.SIGTERM)
    try:
        _write_the_group(folder)
    finally:
        signal.signal(signal.SIGTERM, previous)
    assert seen == [["a.json", "b.png"]]  # the handler ran once, when both were in place


def test_an_exception_inside_the_group_removes_every_temporary(tmp_path):
    folder = tmp_path / "out"
    with pytest.raises(RuntimeError):
        with atomic_files(folder) as group:
            group.write("a.json", b"x")
            raise RuntimeError("boom")
    assert os.listdir(folder) == []


def test_remove_takes_away_a_stale_file_of_the_group_only(tmp_path):
    folder = tmp_path / "out"
    folder.mkdir()
    (folder / "old.png").write_bytes(b"stale")
    (folder / "keep.txt").write_bytes(b"mine")
    with atomic_files(folder) as group:
        group.write("new.png", b"new")
        group.remove("old.png")
    assert sorted(os.listdir(folder)) == ["keep.txt", "new.png"]


@pytest.mark.parametrize("link", ["same", "hard", "symbolic"])
def test_a_guarded_input_is_never_replaced(tmp_path, link):
    src = tmp_path / "net.pt"
    src.write_bytes(b"input")
    out = {"same": src, "hard": tmp_path / "hard.pt", "symbolic": tmp_path / "sym.pt"}[link]
    if link == "hard":
        os.link(src, out)
    elif link == "symbolic":
        out.symlink_to(src)
    with guard_inputs():
        note_input(src)
        with pytest.raises(OutputError, match="is an input of this command"):
            _write(out, "output")
        with pytest.raises(OutputError, match="is an input of this command"):
            with atomic_files(tmp_path) as group:
                group.write("ok.txt", b"fine")
                group.write(out.name, b"output")
    assert src.read_bytes() == b"input" and not (tmp_path / "ok.txt").exists()
    _write(out, "output")  # outside the guard: an ordinary file
    assert (out if link != "symbolic" else src).read_text() == "output"


def test_check_outputs_names_the_input_behind_a_hard_link(tmp_path):
    src = tmp_path / "a.pt"
    src.write_bytes(b"x")
    os.link(src, tmp_path / "report.json")
    with pytest.raises(
        OutputError, match=r"--out .*report.json is the input file itself \(the same file as the input .*a.pt\)"
    ):
        check_outputs([tmp_path / "report.html", tmp_path / "report.json"], [src], name="--out")


@pytest.mark.parametrize(
    ("elements", "units", "nbytes", "message"),
    [
        (
            300_000_000,
            2,
            2_400,
            r"x.pt: implies dense arrays of 300,000,000 elements \(about 1.4 GiB\) but holds 2,400 bytes",
        ),
        (0, 3_000_001, 2_400, "x.pt: implies 3,000,001 units but holds 2,400 bytes"),
        (2**31 + 1, 10, 10**12, "implies dense arrays of 2,147,483,649 elements"),  # the cap, whatever the size
    ],
)
def test_what_a_file_implies_is_checked_against_what_it_holds(elements, units, nbytes, message):
    with pytest.raises(CheckpointError, match=message):
        check_implied_size("x.pt", elements=elements, units=units, nbytes=nbytes)


def test_limits_in_proportion_to_the_file(monkeypatch):
    lim = READ_LIMITS
    check_implied_size("x", elements=lim["dense_floor"], units=lim["units_floor"], nbytes=0)  # any file
    check_implied_size("x", elements=lim["dense_per_byte"] * 10**6, units=10**6, nbytes=10**6)
    with pytest.raises(CheckpointError):
        check_implied_size("x", elements=lim["dense_per_byte"] * 10**6 + 1, units=0, nbytes=10**6)
    with read_limit(10**12):
        check_implied_size("x", elements=10**12, units=10**12, nbytes=1)
    monkeypatch.setenv("NETGRAPH_MAX_DENSE", "1000")
    with pytest.raises(CheckpointError, match="the limit 1,000 set by NETGRAPH_MAX_DENSE=1000"):
        check_implied_size("x", elements=1001, units=0, nbytes=10**9)
    monkeypatch.setenv("NETGRAPH_MAX_DENSE", "lots")
    with pytest.raises(ParameterError, match="NETGRAPH_MAX_DENSE='lots', expected a positive int"):
        check_implied_size("x", elements=1, units=0, nbytes=1)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[" * 100_000 + "]" * 100_000, r"f.json: meta is not valid JSON \(nested deeper than 64 levels\)"),
        ('{"a": ' * 65 + "1" + "}" * 65, "nested deeper than 64 levels"),
        ("{'a': 1}", r"f.json: meta is not valid JSON \(Expecting property name"),
        (b"\xff\xfe", r"f.json: meta is not valid JSON \('utf-8' codec"),
    ],
)
def test_load_json_refuses_damage_and_deep_nesting(text, message):
    with pytest.raises(CheckpointError, match=message):
        load_json(text, "f.json", field="meta")


def test_load_json_reads_nesting_within_the_limit_and_brackets_in_strings():
    assert load_json('{"a": ' * 64 + '"[[[{{{"' + "}" * 64, "f")["a"]["a"]
    assert load_json('["\\"[", 1]', "f") == ['"[', 1]
