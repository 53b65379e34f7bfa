"""Atomic writes never destroy what is not a regular file of ours (netgraph.fileio)."""

import os
import stat

import pytest

from netgraph.errors import NetgraphError, OutputError
from netgraph.fileio import atomic_write, check_not_input


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
