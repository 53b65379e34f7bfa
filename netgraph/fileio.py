"""Files and JSON (torch-free, shared by netgraph and analysis): safe writes, input checks, reading limits.

Writing
-------
:func:`atomic_write` writes into a temporary file beside the destination and renames it onto
the destination only once everything is written, so readers never see a half-written file
and an interrupted write leaves the old file intact. Where the destination is a symbolic
link, the link is kept and its target is replaced (atomically, in the target's folder); a
destination that exists but is not a regular file (a FIFO, a device such as ``/dev/null``, a
socket, a directory) is refused instead of being replaced by a file. A replaced file keeps
its permission bits. A write that fails for want of space names the file and says so (``No
space left on device``), whatever library was writing.

:func:`atomic_files` does the same for a *group* of files that belong together (a topology
folder's layer files, a report's JSON, HTML and figures): every file is written in full as a
temporary first; only then are they renamed onto their destinations, one after the other, with
Ctrl-C and SIGTERM held back meanwhile, so an interruption or a full disk leaves either the old
group or the new one, never a mix.

Never writing over an input
---------------------------
:func:`check_not_input` and :func:`check_outputs` refuse output paths that are input files
(also through hard and symbolic links). Inside :func:`guard_inputs` (every ``netgraph``
command runs in one), each file a reader reports with :func:`note_input` is protected, and
:func:`atomic_write` and :func:`atomic_files` refuse to replace it: the one check every command
that writes goes through.

Reading
-------
:func:`stat_input` checks an input before anything opens it. :func:`check_implied_size` is the
one rule that keeps a small file from taking a lot of memory: before a reader allocates the
dense arrays a file's header implies, that size is checked against the file's own size and the
limits :data:`READ_LIMITS` documents (overridable with ``NETGRAPH_MAX_DENSE`` or
:func:`read_limit`). :func:`load_json` reads JSON of bounded nesting.
:func:`jsonable` turns results into values :func:`json.dump` writes as strict JSON.

Why one module of some 850 lines: it is one of the four torch-free modules :mod:`analysis` may
import from netgraph (with ``errors``, ``validation`` and ``network``; ``tests/test_imports.py``
holds that list), and its parts share private state: the writers (:func:`atomic_write`,
:func:`atomic_files`) refuse what the readers noted inside the current :func:`guard_inputs`
(``_GUARD``), and the reading limits are one context variable. Split, either the private state
would cross modules or analysis would import more of netgraph; most of its length is the
documentation of those rules.
"""

import contextlib
import contextvars
import json
import math
import numbers
import os
import signal
import stat
import tempfile
import threading
from pathlib import Path

from .errors import CheckpointError, OutputError, ParameterError

__all__ = [
    "atomic_write",
    "atomic_files",
    "FileGroup",
    "check_not_input",
    "check_outputs",
    "guard_inputs",
    "note_input",
    "check_implied_size",
    "read_limit",
    "READ_LIMITS",
    "load_json",
    "MAX_JSON_DEPTH",
    "error_reason",
    "file_kind",
    "jsonable",
    "stat_input",
    "looks_like_text",
    "TMP_SUFFIX",
]

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
    _refuse_guarded(path, st)
    return target, st


class _Recording:
    """A file object that remembers the first OSError its writes raised.

    Some writers (``torch.save``) turn the OSError of a full disk into an error of their own
    ("enforce fail ... unexpected pos"); the recorded one says what happened and to which file.
    """

    def __init__(self, f):
        self._f = f
        self.error = None

    def _call(self, name, *args):
        try:
            return getattr(self._f, name)(*args)
        except OSError as exc:
            if self.error is None:
                self.error = exc
            raise

    def write(self, data):
        return self._call("write", data)

    def flush(self):
        return self._call("flush")

    def __getattr__(self, name):
        return getattr(self._f, name)

    def __iter__(self):
        return iter(self._f)


def _write_error(exc, recorded, path):
    """The OSError to raise for a failed write of ``path`` (the one the disk gave, naming the file), or None.

    None when no write failed, or when ``exc`` is an OSError of something else (another file).
    """
    if recorded is None or recorded.errno is None or (isinstance(exc, OSError) and exc is not recorded):
        return None
    return OSError(recorded.errno, os.strerror(recorded.errno), str(path))


def _new_temporary(target, mode, old, kwargs):
    """A temporary file beside ``target`` (same folder, so that a rename replaces it atomically)."""
    if not target.parent.is_dir():
        raise OutputError(f"{target}: the folder {target.parent} does not exist")
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=TMP_SUFFIX, dir=target.parent)
    try:
        # mkstemp creates 0600: keep the permissions of the file replaced, else those open() gives
        os.chmod(tmp, stat.S_IMODE(old.st_mode) if old is not None else 0o666 & ~_umask())
        f = os.fdopen(fd, mode, **kwargs)
    except BaseException:
        os.close(fd)
        _unlink(tmp)
        raise
    return f, tmp


def _unlink(path):
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)


@contextlib.contextmanager
def _temporary(path, mode, kwargs):
    """Yield ``(file, tmp, target)``: an open temporary for ``path``, flushed to disk on success.

    Any exception removes the temporary; a failed write raises the disk's OSError naming ``path``.
    """
    target, old = _destination(path)
    f, tmp = _new_temporary(target, mode, old, kwargs)
    rec = _Recording(f)
    try:
        try:
            with f:
                yield rec, tmp, target
                rec.flush()
                try:
                    os.fsync(f.fileno())
                except OSError as exc:
                    rec.error = rec.error or exc
                    raise
        except Exception as exc:
            error = _write_error(exc, rec.error, path)
            if error is not None:
                raise error from None
            raise
    except BaseException:
        _unlink(tmp)
        raise


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
        FIFO, a device such as ``/dev/null`` or a directory, or its folder does not exist, or
        it is an input of the running command (see :func:`guard_inputs`); nothing is written
        then.
    OSError
        If the disk refuses the data (``ENOSPC``: no space left), with ``filename`` set to
        ``path``, whatever the writer inside the block raised; the old file stays intact.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> with atomic_write(d / "a.txt", "w") as f:
    ...     _ = f.write("hello")
    >>> (d / "a.txt").read_text()
    'hello'
    """
    with _temporary(path, mode, kwargs) as (f, tmp, target):
        yield f
    try:
        _destination(path)  # still a regular file, still no input: then replace it
        os.replace(tmp, target)
    except BaseException:
        _unlink(tmp)
        raise


class FileGroup:
    """Files written together by :func:`atomic_files`: each is staged as a temporary in ``folder``.

    Attributes
    ----------
    folder : pathlib.Path
        Where the files go.
    names : list of str
        The files staged so far, in the order they will be renamed into place.
    """

    def __init__(self, folder):
        self.folder = Path(folder)
        self.names = []
        self._staged = {}  # name -> (tmp, target)
        self._removals = []

    @contextlib.contextmanager
    def open(self, name, mode="wb", **kwargs):
        """Open the temporary of ``folder/name`` (a plain file name); it is renamed into place on commit.

        Raises
        ------
        ParameterError
            If ``name`` is not a plain file name or was staged already.
        OutputError, OSError
            As :func:`atomic_write`.
        """
        if not isinstance(name, str) or not name or name in (".", "..") or "/" in name or os.sep in name:
            raise ParameterError(f"name={name!r} is not a plain file name")
        if name in self._staged:
            raise ParameterError(f"name={name!r} is staged twice in {self.folder}")
        with _temporary(self.folder / name, mode, kwargs) as (f, tmp, target):
            self._staged[name] = (tmp, target)
            self.names.append(name)
            try:
                yield f
            except BaseException:
                del self._staged[name]
                self.names.remove(name)
                raise

    def write(self, name, data, mode="wb", **kwargs):
        """Stage ``data`` (bytes, or str with ``mode="w"``) as ``folder/name``."""
        with self.open(name, mode, **kwargs) as f:
            f.write(data)

    def remove(self, name):
        """Remove ``folder/name`` on commit, after the renames (a file of the group's that it no longer holds).

        Nothing happens if it is missing then; a path that is not a regular file is left alone.
        """
        self._removals.append(name)

    def _discard(self):
        for tmp, _ in self._staged.values():
            _unlink(tmp)
        self._staged.clear()

    def _commit(self):
        for name in self.names:  # every destination checked before any is replaced
            _destination(self.folder / name)
        with _signals_held():
            for name in self.names:
                tmp, target = self._staged[name]
                os.replace(tmp, target)
                del self._staged[name]
            for name in self._removals:
                path = self.folder / name
                if name not in self.names and path.is_file() and not path.is_symlink():
                    with contextlib.suppress(OSError):
                        _refuse_guarded(path, os.stat(path))
                        os.unlink(path)
            _fsync_folder(self.folder)


@contextlib.contextmanager
def atomic_files(folder):
    """Write a group of files into ``folder`` all at once: the old group or the new one, never a mix.

    Each file opened with :meth:`FileGroup.open` (or written with :meth:`FileGroup.write`) is
    written in full as a temporary beside its destination and flushed to disk. When the block
    ends without an exception, every destination is checked (as :func:`atomic_write` checks
    one) and then the temporaries are renamed onto them in the order they were opened, with
    SIGINT and SIGTERM held back until the last one is in place. An exception inside the block
    (a full disk, Ctrl-C) removes every temporary and leaves the folder as it was.

    Parameters
    ----------
    folder : str or Path
        The folder, created (with its parents) when missing.

    Yields
    ------
    FileGroup

    Raises
    ------
    OutputError, OSError
        As :func:`atomic_write`; nothing is replaced then.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> with atomic_files(d / "out") as group:
    ...     group.write("a.txt", "one", mode="w")
    ...     group.write("b.txt", b"two")
    >>> sorted(p.name for p in (d / "out").iterdir()), group.names
    (['a.txt', 'b.txt'], ['a.txt', 'b.txt'])
    """
    folder = Path(folder)
    if os.path.lexists(folder) and not folder.is_dir():
        st = os.stat(folder) if folder.exists() else os.lstat(folder)
        raise OutputError(f"{folder} is {file_kind(st.st_mode)}; expected a folder to write into")
    folder.mkdir(parents=True, exist_ok=True)
    group = FileGroup(folder)
    try:
        yield group
        group._commit()
    finally:
        group._discard()


@contextlib.contextmanager
def _signals_held():
    """Hold back SIGINT and SIGTERM while the block runs; deliver them when it ends.

    The handlers are swapped for one that only records the signal (a mask would not do: the
    kernel hands a process's signal to any thread that does not block it, and Python then runs
    the handler in the main thread at once). Afterwards the old handlers are back and each signal
    that arrived is raised again, so Ctrl-C still interrupts, SIGTERM still terminates, right
    after the block. Handlers belong to the main thread; elsewhere nothing is held (signals
    interrupt the main thread, not this one).
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    pending = []
    previous = {}
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(ValueError, OSError):
            previous[signum] = signal.signal(signum, lambda number, frame: pending.append(number))
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler if handler is not None else signal.SIG_DFL)
        for signum in dict.fromkeys(pending):
            signal.raise_signal(signum)


def _fsync_folder(folder):
    with contextlib.suppress(OSError):  # not every system can open a folder for fsync
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


# --------------------------------------------------------------------------- inputs are never outputs

_GUARD = contextvars.ContextVar("netgraph_input_guard", default=None)


@contextlib.contextmanager
def guard_inputs():
    """Within the block, files reported with :func:`note_input` cannot be replaced by netgraph.

    :func:`atomic_write` and :func:`atomic_files` refuse, with an :class:`OutputError`, to
    replace a file that was read as an input while the guard is active (the same file: also
    through a hard or symbolic link). Every ``netgraph`` command runs inside one, and every
    reader of networks and data notes its files, so no command writes over what it reads.

    Yields
    ------
    dict
        The guarded files: ``{(st_dev, st_ino): path}``.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "net.pt"
    >>> _ = p.write_bytes(b"x")
    >>> with guard_inputs():
    ...     note_input(p)
    ...     with atomic_write(p) as f:  # doctest: +ELLIPSIS
    ...         _ = f.write(b"y")
    Traceback (most recent call last):
    ...
    netgraph.errors.OutputError: ... is an input of this command; writing it would destroy its own source. Choose another output
    >>> p.read_bytes()
    b'x'
    """
    guarded = {}
    token = _GUARD.set(guarded)
    try:
        yield guarded
    finally:
        _GUARD.reset(token)


def note_input(path):
    """Report ``path`` as an input of the running command (see :func:`guard_inputs`); no-op outside one.

    A missing path or one that is not a regular file is ignored.
    """
    guarded = _GUARD.get()
    if guarded is None:
        return
    with contextlib.suppress(OSError, TypeError, ValueError):
        st = os.stat(path)
        if stat.S_ISREG(st.st_mode):
            guarded.setdefault((st.st_dev, st.st_ino), str(path))


def _refuse_guarded(path, st):
    guarded = _GUARD.get()
    if guarded and (st.st_dev, st.st_ino) in guarded:
        source = guarded[(st.st_dev, st.st_ino)]
        also = "" if os.path.abspath(source) == os.path.abspath(path) else f" ({source}, the same file)"
        raise OutputError(
            f"{path} is an input of this command{also}; writing it would destroy its own source. Choose another output"
        )


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
    check_outputs([output], inputs, name=name)


def check_outputs(outputs, inputs, *, name="output"):
    """Refuse output paths that are input files, before any work is done.

    Parameters
    ----------
    outputs : iterable of str or Path
        The files a command is about to write.
    inputs : iterable of str or Path
        Files the command reads; entries that are not paths are ignored.
    name : str, optional
        How the outputs are called in the message (e.g. ``"--out"``).

    Raises
    ------
    OutputError
        If an output exists and is the same file as an input (also through hard or symbolic
        links), naming both.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "a.pt").write_bytes(b"x")
    >>> check_outputs([d / "report.json", d / "report.html"], [d / "a.pt"])
    >>> check_outputs([d / "report.json", d / "a.pt"], [d / "a.pt"], name="--out")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    netgraph.errors.OutputError: --out .../a.pt is the input file itself; writing it would destroy its own source. Choose another output file
    """
    sources = []
    for src in inputs:
        if isinstance(src, (str, os.PathLike)):
            with contextlib.suppress(OSError):  # an input that does not exist cannot be overwritten
                sources.append((src, os.stat(src)))
    for output in outputs:
        out = Path(output)
        try:
            st = os.stat(out)
        except OSError:
            continue
        for src, sst in sources:
            if (st.st_dev, st.st_ino) == (sst.st_dev, sst.st_ino):
                also = "" if os.path.abspath(src) == os.path.abspath(out) else f" (the same file as the input {src})"
                raise OutputError(
                    f"{name} {out} is the input file itself{also}; writing it would destroy its own source. "
                    "Choose another output file"
                )


# --------------------------------------------------------------------------- reading limits

#: The limits :func:`check_implied_size` applies to what a file implies, by default. A file of
#: ``b`` bytes may imply at most ``max(dense_floor, dense_per_byte * b)`` elements of dense
#: weight matrices (never more than ``dense_cap``) and ``max(units_floor, units_per_byte * b)``
#: units (graph nodes). ``NETGRAPH_MAX_DENSE=N`` (or :func:`read_limit`) replaces the rule by
#: one limit: at most ``N`` dense elements and ``N`` units, whatever the file's size.
READ_LIMITS = {
    "dense_floor": 1 << 24,
    "dense_per_byte": 64,
    "dense_cap": 1 << 31,
    "units_floor": 1 << 17,
    "units_per_byte": 1,
}
_LIMIT_ENV = "NETGRAPH_MAX_DENSE"
_LIMIT = contextvars.ContextVar("netgraph_read_limit", default=None)


@contextlib.contextmanager
def read_limit(max_elements):
    """Within the block, files may imply up to ``max_elements`` dense elements and units (see :data:`READ_LIMITS`).

    Parameters
    ----------
    max_elements : int
        Positive. Overrides both the default rule and ``NETGRAPH_MAX_DENSE``.

    Examples
    --------
    >>> check_implied_size("big.pt", elements=10**9, units=10, nbytes=100)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    netgraph.errors.CheckpointError: big.pt: implies dense arrays of 1,000,000,000 elements (...) but holds 100 bytes; ...
    >>> with read_limit(10**9):
    ...     check_implied_size("big.pt", elements=10**9, units=10, nbytes=100)
    """
    if isinstance(max_elements, bool) or not isinstance(max_elements, numbers.Integral) or max_elements < 1:
        raise ParameterError(f"max_elements={max_elements!r}, expected a positive int")
    token = _LIMIT.set(int(max_elements))
    try:
        yield
    finally:
        _LIMIT.reset(token)


def _override():
    value = _LIMIT.get()
    if value is not None:
        return value, "read_limit()"
    text = os.environ.get(_LIMIT_ENV, "").strip()
    if not text:
        return None, None
    try:
        value = int(text.replace("_", ""))
    except ValueError:
        value = 0
    if value < 1:
        raise ParameterError(f"{_LIMIT_ENV}={text!r}, expected a positive int (dense elements a file may imply)")
    return value, f"{_LIMIT_ENV}={value}"


def check_implied_size(label, *, elements=0, units=0, nbytes, error=CheckpointError):
    """Refuse a file whose implied dense arrays are out of proportion to its size, before they are allocated.

    The one rule netgraph applies at every reading boundary (checkpoints, exports, topology
    folders, state_dicts, sparse tensors): what a file *declares* (layer sizes, shapes) must
    not cost more memory than its content warrants (:data:`READ_LIMITS`).

    Parameters
    ----------
    label : str
        The file, for the message.
    elements : int, optional
        Elements of the dense arrays the file implies (for a network, the sum over its layers
        of ``n_in * n_out``).
    units : int, optional
        Units (graph nodes) it implies.
    nbytes : int
        Size of the file (or of all the files of a topology folder) in bytes.
    error : type, optional
        The exception class raised.

    Raises
    ------
    CheckpointError
        (or ``error``) naming the file, the size implied, the file's size and how to raise
        the limit.

    Examples
    --------
    >>> check_implied_size("net.pt", elements=784 * 1000, units=1794, nbytes=4096)
    >>> check_implied_size("tiny.pt", elements=0, units=3 * 10**8, nbytes=2400)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    netgraph.errors.CheckpointError: tiny.pt: implies 300,000,000 units but holds 2,400 bytes; ...
    """
    elements, units, nbytes = int(elements), int(units), max(0, int(nbytes))
    limit, source = _override()
    if limit is not None:
        dense_max = units_max = limit
        how = f"the limit {limit:,} set by {source}"
    else:
        lim = READ_LIMITS
        dense_max = min(lim["dense_cap"], max(lim["dense_floor"], lim["dense_per_byte"] * nbytes))
        units_max = max(lim["units_floor"], lim["units_per_byte"] * nbytes)
        how = "netgraph's reading limit (netgraph.fileio.READ_LIMITS)"
    advice = (
        f"more than {how} allows; if the file is genuine, raise it with {_LIMIT_ENV}=N (elements) or "
        "netgraph.fileio.read_limit(N)"
    )
    if elements > dense_max:
        gib = elements * 5 / 2**30  # float32 weights and a bool mask per element
        raise error(
            f"{label}: implies dense arrays of {elements:,} elements (about {gib:,.1f} GiB) but holds {nbytes:,} "
            f"bytes; {advice}"
        )
    if units > units_max:
        raise error(f"{label}: implies {units:,} units but holds {nbytes:,} bytes; {advice}")


# --------------------------------------------------------------------------- JSON

#: Deepest nesting :func:`load_json` accepts (netgraph's own files nest a few levels).
MAX_JSON_DEPTH = 64


def load_json(text, label, *, field=None, error=CheckpointError, what="JSON"):
    """``json.loads(text)``, refusing damage and nesting deeper than :data:`MAX_JSON_DEPTH` with one error.

    Parameters
    ----------
    text : str or bytes
    label : str
        The file, for the message.
    field : str, optional
        The field of the file that holds the text, for the message.
    error : type, optional
        The exception class raised.
    what : str, optional
        What the text should be, for the message.

    Returns
    -------
    object

    Raises
    ------
    CheckpointError
        (or ``error``) if the text is not valid JSON or nests too deeply.

    Examples
    --------
    >>> load_json('{"a": [1, 2]}', "x.json")
    {'a': [1, 2]}
    >>> load_json("[" * 100000, "x.json")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    netgraph.errors.CheckpointError: x.json: is not valid JSON (nested deeper than 64 levels)
    """
    head = f"{label}: {field} is not valid {what}" if field else f"{label}: is not valid {what}"
    deep = f"{head} (nested deeper than {MAX_JSON_DEPTH} levels)"
    try:
        if isinstance(text, bytes):
            text = text.decode("utf-8")
    except ValueError as exc:
        raise error(f"{head} ({error_reason(exc)})") from None
    if _nesting(text) > MAX_JSON_DEPTH:
        raise error(deep)
    try:
        return json.loads(text)
    except RecursionError:
        raise error(deep) from None
    except ValueError as exc:  # JSONDecodeError
        raise error(f"{head} ({error_reason(exc)})") from None


def _nesting(text):
    """The deepest bracket nesting of JSON text, strings skipped (an upper bound for damaged text)."""
    depth = deepest = 0
    in_string = escaped = False
    for ch in text:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest > MAX_JSON_DEPTH:
                    return deepest
        elif ch in "]}":
            depth -= 1
    return deepest


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


def looks_like_text(head):
    """Whether the first bytes of a file read as text (UTF-8, no control characters but tabs and line ends)."""
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 3:  # not just a character cut at the end of the sample
            return False
    return all(c >= 32 or c in (9, 10, 13) for c in head)
