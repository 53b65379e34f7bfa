"""Files and JSON (torch-free, shared by netgraph and analysis): safe writes, input checks, JSON-safe values.

:func:`atomic_write` writes into a temporary file beside the destination and renames it onto
the destination only once everything is written, so readers never see a half-written file
and an interrupted write leaves the old file intact. Where the destination is a symbolic
link, the link is kept and its target is replaced (atomically, in the target's folder); a
destination that exists but is not a regular file (a FIFO, a device such as ``/dev/null``, a
socket, a directory) is refused instead of being replaced by a file. A replaced file keeps
its permission bits. :func:`check_not_input` refuses an output path that is one of the inputs,
:func:`stat_input` checks an input before anything opens it, and :func:`jsonable` turns
results into values :func:`json.dump` writes as strict JSON.
"""

import contextlib
import math
import numbers
import os
import stat
import tempfile
from pathlib import Path

from .errors import OutputError

__all__ = ["atomic_write", "check_not_input", "error_reason", "file_kind", "jsonable", "stat_input", "TMP_SUFFIX"]

#: Suffix of the temporary files :func:`atomic_write` creates (named ``.{name}.{random}.tmp``).
TMP_SUFFIX = ".tmp"


def _umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask


def error_reason(exc):
    """The first line of an exception's message, or its type name when it has none.

    For one-line errors that say why a file could not be read without a library's traceback.

    Examples
    --------
    >>> error_reason(ValueError("bad header\\nmore detail")), error_reason(EOFError())
    ('bad header', 'EOFError')
    """
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def file_kind(mode):
    """A word for the kind of file a ``st_mode`` describes ("a FIFO", "a directory", ...).

    Examples
    --------
    >>> import stat
    >>> file_kind(stat.S_IFIFO | 0o644), file_kind(stat.S_IFREG | 0o644)
    ('a FIFO (named pipe)', 'a regular file')
    """
    for test, word in (
        (stat.S_ISREG, "a regular file"),
        (stat.S_ISDIR, "a directory"),
        (stat.S_ISFIFO, "a FIFO (named pipe)"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISSOCK, "a socket"),
    ):
        if test(mode):
            return word
    return "not a regular file"


def stat_input(path, *, error, missing="no such file or directory"):
    """``os.stat(path)`` of an input; a missing or unreadable path raises ``error`` naming it.

    Callers check the kind of file from the result before opening anything (a FIFO would
    block ``open``).

    Examples
    --------
    >>> from netgraph.errors import CheckpointError
    >>> stat_input("/nonexistent/net.pt", error=CheckpointError, missing="no such file")
    Traceback (most recent call last):
    ...
    netgraph.errors.CheckpointError: /nonexistent/net.pt: no such file
    """
    try:
        return os.stat(path)
    except FileNotFoundError:
        raise error(f"{path}: {missing}") from None
    except OSError as exc:
        raise error(f"{path}: cannot be read ({exc.strerror or exc})") from None


def _destination(path):
    """The file to replace: ``path`` itself, or the final target of a symlink (chain)."""
    path = Path(path)
    target = Path(os.path.realpath(path)) if path.is_symlink() else path
    try:
        st = os.stat(target)
    except FileNotFoundError:
        return target, None
    if not stat.S_ISREG(st.st_mode):
        shown = f"{path} (a link to {target})" if target != path else str(path)
        raise OutputError(f"{shown} is {file_kind(st.st_mode)}; netgraph writes and replaces only regular files")
    return target, st


@contextlib.contextmanager
def atomic_write(path, mode="wb", **kwargs):
    """Open a temporary file beside the destination; on success rename it onto the destination.

    An exception (or Ctrl-C) inside the block removes the temporary file and leaves
    whatever was at ``path`` before untouched, so readers never see a half-written file.

    Parameters
    ----------
    path : str or Path
        Final destination. Its directory must exist. A symbolic link is followed: its
        target is replaced and the link stays a link.
    mode : {"wb", "w"}
        Binary or text mode.
    **kwargs
        Passed to :func:`open` (e.g. ``encoding``).

    Yields
    ------
    file object
        The open temporary file.

    Raises
    ------
    OutputError
        If ``path`` (or the target of the link) exists and is not a regular file, e.g. a
        FIFO, a device such as ``/dev/null`` or a directory, or its folder does not exist;
        nothing is written then.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> with atomic_write(d / "a.txt", "w") as f:
    ...     _ = f.write("hello")
    >>> (d / "a.txt").read_text()
    'hello'
    """
    target, old = _destination(path)
    if not target.parent.is_dir():
        raise OutputError(f"{path}: the folder {target.parent} does not exist")
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=TMP_SUFFIX, dir=target.parent)
    try:
        # mkstemp creates 0600: keep the permissions of the file replaced, else those open() gives
        os.chmod(tmp, stat.S_IMODE(old.st_mode) if old is not None else 0o666 & ~_umask())
        with os.fdopen(fd, mode, **kwargs) as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def check_not_input(output, inputs, *, name="output"):
    """Refuse an output path that names one of the input files (it would overwrite its own source).

    Parameters
    ----------
    output : str or Path
        The file about to be written.
    inputs : iterable of str or Path
        Files the command reads; entries that are not paths are ignored.
    name : str, optional
        How the output is called in the message (e.g. ``"-o"``).

    Raises
    ------
    OutputError
        If ``output`` exists and is the same file as an input (also through links).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "net.pt"
    >>> _ = p.write_bytes(b"x")
    >>> check_not_input(p.with_name("copy.npz"), [p])
    >>> check_not_input(p, [p])  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    netgraph.errors.OutputError: ... is the input file itself; writing it would destroy its own source. Choose another output file
    """
    out = Path(output)
    if not out.exists():
        return
    for src in inputs:
        if not isinstance(src, (str, os.PathLike)):
            continue
        try:
            same = os.path.samefile(out, src)
        except OSError:  # an input that does not exist cannot be overwritten
            same = False
        if same:
            raise OutputError(
                f"{name} {out} is the input file itself; writing it would destroy its own source. "
                "Choose another output file"
            )


def jsonable(value):
    """Recursively turn a value into one :func:`json.dump` writes as strict JSON.

    Mappings become dicts with string keys, tuples and lists lists, arrays and tensors (anything
    with a ``tolist()`` method) lists, numpy scalars Python numbers, and non-finite floats None.

    Examples
    --------
    >>> import numpy as np
    >>> jsonable({"a": np.arange(3), "b": (np.float64(0.5), float("nan")), 1: np.bool_(True)})
    {'a': [0, 1, 2], 'b': [0.5, None], '1': True}
    """
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, (bool, str)) or value is None:
        return value
    if type(value).__name__ == "bool_":  # numpy's bool is no numbers.Integral
        return bool(value)
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        value = float(value)
        return value if math.isfinite(value) else None
    if callable(getattr(value, "tolist", None)):  # numpy arrays, torch tensors
        return jsonable(value.tolist())
    return value
