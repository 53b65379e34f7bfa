"""MNIST-style datasets: the four IDX files of a directory, read and checked (private).

:func:`netgraph.training.data.load_idx` loads them; :func:`read_idx` and :func:`find_idx_files`
are public there. :func:`open_regular` is how every dataset file is opened (CSV too): a regular
file only, checked before and after opening.
"""

import gzip
import math
import os
import stat
import zlib
from pathlib import Path

import numpy as np

from ..errors import NetgraphError, ParameterError
from ..fileio import error_reason, file_kind, note_input, stat_input

__all__ = ["read_idx", "find_idx_files", "read_idx_dataset", "open_regular"]

_IDX_FILES = {
    "train_images": "train-images-idx3-ubyte",
    "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte",
    "test_labels": "t10k-labels-idx1-ubyte",
}
_IDX_SOURCES = {
    "mnist": "the MNIST database (LeCun, Cortes & Burges), http://yann.lecun.com/exdb/mnist/",
    "fashion-mnist": "Zalando's Fashion-MNIST, https://github.com/zalandoresearch/fashion-mnist",
}
_IDX_DTYPES = {
    0x08: np.dtype(np.uint8),
    0x09: np.dtype(np.int8),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
_IDX_MAX_NDIM = 8
_IDX_N_CLASSES = 10


def read_idx(path):
    """Read one IDX file (raw or gzip-compressed) into a numpy array.

    IDX is the MNIST format: two zero bytes, a type code (``0x08`` = unsigned byte, ...), the
    number of dimensions (1 to 8 here), one big-endian signed int32 per dimension, then the
    data in C order; the data must be exactly as long as the dimensions say.

    Parameters
    ----------
    path : str or Path
        A regular file; ``.gz`` is decompressed. A directory, FIFO or device is refused
        without being opened (reading a FIFO would block).

    Returns
    -------
    numpy.ndarray

    Raises
    ------
    NetgraphError
        If the file is not a well-formed IDX file; the message says what is wrong.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "labels-idx1-ubyte"
    >>> _ = p.write_bytes(bytes([0, 0, 8, 1, 0, 0, 0, 3, 7, 2, 1]))
    >>> read_idx(p)
    array([7, 2, 1], dtype=uint8)
    >>> read_idx(p.parent)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    netgraph.errors.NetgraphError: ...: is a directory, not a regular file; name an IDX file
    """
    path = Path(path)
    try:
        with open_regular(path, "an IDX") as raw:
            if path.suffix == ".gz":
                with gzip.GzipFile(fileobj=raw) as f:
                    data = f.read()
            else:
                data = raw.read()
    except (OSError, EOFError, zlib.error) as exc:
        raise NetgraphError(f"{path}: cannot be read as an IDX file: {error_reason(exc)}") from None
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] not in _IDX_DTYPES:
        raise NetgraphError(f"{path}: not an IDX file (bad magic number {data[:4].hex() or 'empty'})")
    dtype, ndim = _IDX_DTYPES[data[2]], data[3]
    if not 1 <= ndim <= _IDX_MAX_NDIM:
        raise NetgraphError(f"{path}: IDX header declares {ndim} dimensions, expected 1 to {_IDX_MAX_NDIM}")
    header = 4 + 4 * ndim
    if len(data) < header:
        raise NetgraphError(f"{path}: IDX header is truncated")
    shape = tuple(int.from_bytes(data[4 + 4 * k : 8 + 4 * k], "big", signed=True) for k in range(ndim))
    for k, size in enumerate(shape, start=1):
        if size < 0:
            raise NetgraphError(f"{path}: IDX dimension {k} is negative ({size})")
    expected = math.prod(shape) * dtype.itemsize  # Python ints: no overflow, however large
    if len(data) - header != expected:
        hint = "truncated?" if len(data) - header < expected else "trailing bytes?"
        raise NetgraphError(
            f"{path}: IDX data has {len(data) - header} bytes, expected {expected} for shape {shape} ({hint})"
        )
    return np.frombuffer(data, dtype=dtype, offset=header).reshape(shape).astype(dtype.newbyteorder("="))


def find_idx_files(directory):
    """The four IDX files of an MNIST-style dataset in ``directory``, as :func:`netgraph.training.data.load_idx` finds them.

    Each file is looked for under its standard name, raw or gzipped, with ``-idx`` or ``.idx``
    (``train-images-idx3-ubyte``, ``train-images.idx3-ubyte.gz``, ...). Nothing is read: use
    this to decide whether ``load_idx(directory)`` has files to read.

    Parameters
    ----------
    directory : str or Path

    Returns
    -------
    dict
        ``{"train_images", "train_labels", "test_images", "test_labels"}`` -> the Path found,
        or None where the file is missing. A regular file is preferred; else whatever exists
        under one of the names (a FIFO, a folder), which :func:`load` then refuses by name.

    Raises
    ------
    ParameterError
        If ``directory`` is not a str or path-like.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "t10k-labels-idx1-ubyte.gz").write_bytes(b"")
    >>> {key: path and path.name for key, path in find_idx_files(d).items()}
    {'train_images': None, 'train_labels': None, 'test_images': None, 'test_labels': 't10k-labels-idx1-ubyte.gz'}
    >>> all(find_idx_files(d / "missing").values())
    False
    """
    if not isinstance(directory, str | os.PathLike):
        raise ParameterError(f"directory={directory!r}: expected a path (str or Path)")
    directory = Path(directory)
    return {key: _find_idx(directory, stem) for key, stem in _IDX_FILES.items()}


def _find_idx(directory, stem):
    dotted = stem.replace("-idx", ".idx")
    candidates = [directory / c for c in (stem, stem + ".gz", dotted, dotted + ".gz")]
    # a regular file first; else whatever exists there, so read_idx can say what it is (a FIFO, ...)
    return next((c for c in candidates if c.is_file()), None) or next((c for c in candidates if c.exists()), None)


def read_idx_dataset(name, data_dir):
    """The arrays of an MNIST-style dataset in ``data_dir`` (default ``./data/<name>``), checked."""
    directory = Path(data_dir) if data_dir is not None else Path("data") / name
    if directory.exists() and not directory.is_dir():
        raise NetgraphError(
            f"{name}: data_dir {directory} is not a directory; name the directory holding the IDX files"
        )
    found = find_idx_files(directory)
    missing = [_IDX_FILES[key] for key, path in found.items() if path is None]
    if missing:
        where = "does not exist" if not directory.is_dir() else "lacks " + ", ".join(missing)
        raise NetgraphError(
            f"{name}: IDX files not found: {directory} {where}. netgraph never downloads data. "
            f"Put the four files {', '.join(_IDX_FILES.values())} (raw or .gz) from "
            f"{_IDX_SOURCES[name]} in {directory}, or name their directory with data_dir "
            f"(--data-dir on the command line)"
        )
    arrays = {key: read_idx(path) for key, path in found.items()}
    for part in ("train", "test"):
        images, labels = arrays[f"{part}_images"], arrays[f"{part}_labels"]
        image_path, label_path = found[f"{part}_images"], found[f"{part}_labels"]
        mismatch = NetgraphError(
            f"{image_path}: images {images.shape} do not match labels {labels.shape} (expected (n, rows, cols) and (n,))"
        )
        if images.ndim != 3 or labels.ndim != 1:
            raise mismatch
        if images.shape[0] == 0:
            raise NetgraphError(f"{image_path}: holds no images (shape {images.shape})")
        if images.shape[0] != labels.shape[0]:
            raise mismatch
        if images.shape[1] == 0 or images.shape[2] == 0:
            raise NetgraphError(f"{image_path}: images have no pixels (shape {images.shape})")
        train_shape = arrays["train_images"].shape[1:]
        if images.shape[1:] != train_shape:
            raise NetgraphError(
                f"{image_path}: images are {images.shape[1]}x{images.shape[2]} pixels, "
                f"the training images are {train_shape[0]}x{train_shape[1]}"
            )
        if images.dtype.kind == "f":
            n_bad = int(np.count_nonzero(~np.isfinite(images)))
            if n_bad:
                raise NetgraphError(f"{image_path}: {n_bad} pixel values are not finite (NaN or infinity)")
        _check_idx_labels(label_path, labels, name)
    flat = lambda a: a.reshape(a.shape[0], -1).astype(np.float32) / 255.0  # noqa: E731
    return (
        flat(arrays["train_images"]),
        arrays["train_labels"].astype(np.int64),
        flat(arrays["test_images"]),
        arrays["test_labels"].astype(np.int64),
        str(directory),
    )


def _check_idx_labels(path, labels, name):
    """Labels of an MNIST-style file are integers 0..9 (checked now, not as an IndexError mid-training)."""
    if labels.dtype.kind not in "iu":
        raise NetgraphError(f"{path}: labels have type {labels.dtype.name}, expected integers (IDX type 0x08)")
    bad = (labels < 0) | (labels >= _IDX_N_CLASSES)
    if bad.any():
        where = np.flatnonzero(bad)
        values = np.unique(labels[where]).tolist()
        shown = "; values " + ", ".join(map(str, values[:5])) + (", ..." if len(values) > 5 else "")
        shown = shown if len(values) > 1 else ""
        raise NetgraphError(
            f"{path}: {len(where)} of {labels.size} labels are outside the classes 0..{_IDX_N_CLASSES - 1} "
            f"(label {labels[where[0]]} at index {where[0]}{shown}); {name} has the classes 0..{_IDX_N_CLASSES - 1}"
        )


def _refuse_non_regular(path, mode, what):
    if not stat.S_ISREG(mode):
        kind = file_kind(mode)
        raise NetgraphError(f"{path}: is {kind}, not a regular file; name {what} file")


def open_regular(path, what):
    """Open a regular file for binary reading; refuse anything else before opening it.

    ``os.stat`` first (opening a FIFO blocks, opening a device can have effects), then a
    non-blocking open and ``fstat`` of what was opened, in case the path changed in between.
    """
    mode = stat_input(path, error=NetgraphError, missing=f"no such {what.split()[-1]} file").st_mode
    _refuse_non_regular(path, mode, what)
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    except OSError as exc:
        raise NetgraphError(f"{path}: cannot be read: {exc.strerror or error_reason(exc)}") from None
    try:
        _refuse_non_regular(path, os.fstat(fd).st_mode, what)
    except BaseException:
        os.close(fd)
        raise
    note_input(path)  # a command never writes over the data it reads
    return os.fdopen(fd, "rb")
