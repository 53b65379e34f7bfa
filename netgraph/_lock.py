"""Run-folder locks: at most one netgraph process writes a run folder at a time (torch-free).

:func:`run_lock` holds ``DIR/.lock`` for the duration of a ``with`` block and records the
holder in it (pid, host, start time, command line). A second process that asks for the same
folder fails at once with :class:`RunLockedError`, whose message names the holder.

On POSIX the lock is ``fcntl.flock(LOCK_EX | LOCK_NB)`` on the file: the kernel releases it
when the holder exits or is killed, so a ``.lock`` file left behind by a killed process is
never obeyed (it is taken over and rewritten). Releasing unlinks the file while still holding
the lock, then closes it; a process that opened the file just before the unlink and locks it
afterwards sees that the path no longer names the file it locked, and starts over.

Where ``fcntl`` is missing (Windows), the file is created with ``O_CREAT | O_EXCL`` instead;
a file whose holder is a process of this host that no longer runs is stale and is removed.
That fallback cannot tell whether a holder on another host is alive, and obeys it.

Examples
--------
>>> import tempfile
>>> d = tempfile.mkdtemp()
>>> with run_lock(d) as me:
...     try:
...         with run_lock(d):
...             pass
...     except RunLockedError as exc:
...         print(exc.holder["pid"] == me["pid"])
True
>>> read_holder(d) is None  # released: the lock file is gone
True
"""

import contextlib
import datetime
import errno
import json
import os
import shlex
import socket
import sys
import time
from pathlib import Path

import psutil

from .errors import NetgraphError, RunLockedError

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None

__all__ = ["LOCK_NAME", "RunLockedError", "run_lock", "read_holder"]

#: Name of the lock file inside a locked folder.
LOCK_NAME = ".lock"

_MAX_TRIES = 50  # attempts when the lock file keeps changing under us
_HOLDER_WAIT = 0.5  # seconds to wait for a new holder to record itself
_STALE_EMPTY = 10.0  # fallback: an empty lock file older than this is left over from a crash
_MAX_COMMAND = 200


def _identity():
    argv = getattr(sys, "orig_argv", None) or sys.argv
    return {
        "pid": os.getpid(),
        "host": socket.gethostname(),
        "started": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
        "command": shlex.join(str(a) for a in argv),
    }


def _parse(data):
    try:
        holder = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return None
    return holder if isinstance(holder, dict) else None


def read_holder(directory):
    """The holder recorded in ``directory/.lock``, or None (no lock file, or nothing readable).

    A file left by a killed process still names it: whether the lock is held is only known to
    :func:`run_lock`.
    """
    try:
        with open(Path(directory) / LOCK_NAME, "rb") as f:
            return _parse(f.read(65536))
    except (FileNotFoundError, IsADirectoryError):
        return None


def _describe(holder):
    if not holder:
        return "holder not recorded yet"
    command = " ".join(str(holder.get("command", "")).split())  # one line
    if len(command) > _MAX_COMMAND:
        command = command[: _MAX_COMMAND - 3] + "..."
    text = f"pid {holder.get('pid', '?')} on host {holder.get('host', '?')} since {holder.get('started', '?')}"
    return f"{text}: {command}" if command else text


def _busy(directory, holder):
    return RunLockedError(
        f"{directory} is in use by another netgraph run ({_describe(holder)}); wait for it or choose another --out",
        holder,
    )


def _same_file(path, fd):
    try:
        st = os.stat(path, follow_symlinks=False)
    except FileNotFoundError:
        return False
    own = os.fstat(fd)
    return (st.st_dev, st.st_ino) == (own.st_dev, own.st_ino)


def _write_identity(fd, identity):
    data = json.dumps(identity).encode("utf-8")
    os.ftruncate(fd, 0)
    os.lseek(fd, 0, os.SEEK_SET)
    os.write(fd, data)


def _read_fd(fd):
    os.lseek(fd, 0, os.SEEK_SET)
    return os.read(fd, 65536)


def _wait_for_holder(read):
    """The holder's record; a holder that has just locked may not have written it yet."""
    deadline = time.monotonic() + _HOLDER_WAIT
    while True:
        holder = _parse(read())
        if holder is not None or time.monotonic() >= deadline:
            return holder
        time.sleep(0.02)


def _flags(*names):
    out = 0
    for name in names:
        out |= getattr(os, name, 0)
    return out


# --------------------------------------------------------------------------- fcntl.flock


def _acquire_flock(directory, path, identity):
    for _ in range(_MAX_TRIES):
        fd = os.open(path, _flags("O_RDWR", "O_CREAT", "O_CLOEXEC", "O_NOFOLLOW"), 0o644)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as exc:
                if exc.errno not in (errno.EAGAIN, errno.EWOULDBLOCK, errno.EACCES):
                    raise
                raise _busy(directory, _wait_for_holder(lambda fd=fd: _read_fd(fd))) from None
            if _same_file(path, fd):
                _write_identity(fd, identity)
                return fd
        except BaseException:
            os.close(fd)
            raise
        os.close(fd)  # the holder released (unlinked) the file between our open and flock
    raise NetgraphError(f"{directory}: could not lock {path}: it kept being replaced ({_MAX_TRIES} tries)")


def _release_flock(path, fd):
    try:
        if _same_file(path, fd):
            os.unlink(path)  # while still holding the lock: nobody can take this file now
    finally:
        os.close(fd)


# --------------------------------------------------------------------------- O_EXCL fallback


def _pid_alive(pid):
    """Whether process ``pid`` of this host runs (True when that cannot be told)."""
    if not isinstance(pid, int) or isinstance(pid, bool) or pid <= 0:
        return True
    if os.name == "nt":  # os.kill would end the process there: ask the system through psutil
        return psutil.pid_exists(pid)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _stale(path, holder):
    if holder is None:  # nothing recorded: a crash between creating and writing, if it is old
        try:
            return time.time() - os.stat(path).st_mtime > _STALE_EMPTY
        except FileNotFoundError:
            return False
    return holder.get("host") == socket.gethostname() and not _pid_alive(holder.get("pid"))


def _read_path(path):
    try:
        with open(path, "rb") as f:
            return f.read(65536)
    except FileNotFoundError:
        return b""


def _acquire_exclusive(directory, path, identity):
    for _ in range(_MAX_TRIES):
        try:
            fd = os.open(path, _flags("O_WRONLY", "O_CREAT", "O_EXCL", "O_BINARY", "O_NOINHERIT"), 0o644)
        except FileExistsError:
            holder = _wait_for_holder(lambda: _read_path(path))
            if not _stale(path, holder):
                raise _busy(directory, holder) from None
            # remove the stale file, unless someone replaced it meanwhile (a narrow race remains)
            with contextlib.suppress(FileNotFoundError):
                if _parse(_read_path(path)) == holder:
                    os.unlink(path)
            continue
        try:
            _write_identity(fd, identity)
        except BaseException:
            os.close(fd)
            with contextlib.suppress(FileNotFoundError):
                os.unlink(path)
            raise
        return fd
    raise NetgraphError(f"{directory}: could not lock {path}: it kept being replaced ({_MAX_TRIES} tries)")


def _release_exclusive(path, fd):
    os.close(fd)  # Windows cannot remove an open file
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)


# --------------------------------------------------------------------------- public


@contextlib.contextmanager
def run_lock(directory):
    """Hold the lock of ``directory`` for the duration of the ``with`` block.

    Parameters
    ----------
    directory : str or Path
        An existing folder (a run folder ``OUT/seed-S``). The lock file is ``directory/.lock``;
        it is removed again on exit (also on an exception or Ctrl-C).

    Yields
    ------
    dict
        The identity recorded in the lock file: ``pid``, ``host``, ``started`` (ISO 8601 with
        the UTC offset) and ``command`` (the command line).

    Raises
    ------
    RunLockedError
        If another holder has the lock (also another ``run_lock`` of this process); the
        message names it, e.g. ``runs/x/seed-0 is in use by another netgraph run (pid 1234 on
        host lab1 since 2026-01-05T10:00:00+01:00: netgraph train ...); wait for it or choose
        another --out``.
    OSError
        If the folder does not exist or the lock file cannot be created.
    """
    directory = Path(directory)
    path = directory / LOCK_NAME
    identity = _identity()
    lock_api = fcntl  # looked up once, so the release matches the acquisition
    if lock_api is not None:
        fd = _acquire_flock(directory, path, identity)
        release = _release_flock
    else:
        fd = _acquire_exclusive(directory, path, identity)
        release = _release_exclusive
    try:
        yield dict(identity)
    finally:
        release(path, fd)
