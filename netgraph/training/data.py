"""Datasets for training: built-in loaders with a seeded split and standardised features.

:func:`load` returns a :class:`Dataset` of float32 features and int64 labels as torch
tensors, split into a training and a test part. Features are standardised with the
training part's statistics only, so nothing about the test part leaks into training: per
feature for tabular data, with one mean and standard deviation over all pixels for images.

Built-in names:

- ``"digits"`` — scikit-learn's bundled 8x8 handwritten digits (1797 samples, 64 features,
  10 classes). Works offline; the default.
- ``"mnist"``, ``"fashion-mnist"`` — the four standard IDX files (raw or ``.gz``) in a
  directory you name with ``data_dir`` (default ``./data/<name>``). They are never
  downloaded; their own 60000/10000 train/test split is used.
- ``"csv:PATH"`` — a table with a header row; ``label_column`` names the class column.
  Numeric columns are features as they are; a column with any non-numeric entry (a protocol
  name, say) is one-hot encoded. Class labels may be strings; they are numbered in sorted
  order. The rules, each broken one an error naming the file (and the line and column):

  * the file is a regular file of UTF-8 text (a UTF-8 byte-order mark is allowed);
  * every header cell names its column and no name repeats (a second ``label`` column
    would leak the answer into the features); blank lines are skipped, and line numbers in
    messages count every line of the file;
  * every row has as many fields as the header and no empty (or blank) cell: missing values
    are never imputed; a quoted field is closed before the end of the file;
  * a column is numeric when all its values are numbers; they must be finite (no ``nan`` or
    ``inf``) and fit float32. A column whose values are mostly numbers but not all (a typo,
    or a missing-value marker such as ``NA`` or ``?``) is an error, not a one-hot column; a
    column of mostly text (``tcp``, ``udp``, ``-``) is one-hot encoded in sorted order;
  * labels are not empty, and there are at least 2 classes. A label that is a number is
    normalised to its value, so ``1``, ``1.0``, ``" 1 "`` and ``1e0`` are one class, named
    by its canonical form ``"1"`` (``0.50`` becomes ``"0.5"``); a non-finite number
    (``nan``, ``inf``) is not a label. Numeric classes sort by value, before text ones.
- ``"synthetic"`` — :func:`sklearn.datasets.make_classification`, for fast tests.

Examples
--------
>>> ds = load("digits", rng=0)
>>> ds.n_features, ds.n_classes, len(ds.y_train), len(ds.y_test)
(64, 10, 1438, 359)
>>> ds.x_train.dtype, ds.y_train.dtype
(torch.float32, torch.int64)
>>> round(float(ds.x_train.mean()), 4)
0.0
"""

import codecs
import csv
import decimal
import gzip
import io
import math
import numbers
import os
import stat
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from ..errors import NetgraphError, ParameterError
from ..fileio import file_kind, note_input, stat_input
from ..validation import check_choice, check_rng

__all__ = ["Dataset", "load", "read_idx", "find_idx_files", "DATASETS"]

#: Built-in dataset names (plus ``"csv:PATH"``).
DATASETS = ("digits", "mnist", "fashion-mnist", "synthetic")

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
_DEFAULT_TEST_SIZE = 0.2
#: Cells that mean "missing" in a column of numbers (compared lower-case).
_MISSING_MARKERS = frozenset({"?", "-", "na", "n/a", "null", "none"})
_IMAGE_DATASETS = ("digits", "mnist", "fashion-mnist")


@dataclass(frozen=True, eq=False)
class Dataset:
    """Standardised features and labels, split into training and test parts.

    Attributes
    ----------
    x_train, x_test : torch.Tensor of float32, shape (n_samples, n_features)
        Features, standardised with the training part's mean and standard deviation.
    y_train, y_test : torch.Tensor of int64, shape (n_samples,)
        Class labels ``0 .. n_classes - 1``.
    name : str
        The name it was loaded by (``"digits"``, ``"csv:PATH"``, ...).
    n_features, n_classes : int
        Input width and number of classes: the first and last layer sizes of a network for it.
    seed : int or None
        The seed of the split (and of the synthetic data) when ``rng`` was an int; None when it
        was a Generator or None, or the dataset has a fixed split (MNIST).
    source : str
        Where the data came from (a directory, a file or a library function).
    class_names : tuple of str
        Original label of each class index (e.g. ``"normal"`` for a CSV); a numeric CSV label
        in its canonical form (``"1"`` for ``1.0``).
    standardize : str
        ``"feature"`` or ``"global"`` (see :func:`load`).
    """

    x_train: torch.Tensor = field(repr=False)
    y_train: torch.Tensor = field(repr=False)
    x_test: torch.Tensor = field(repr=False)
    y_test: torch.Tensor = field(repr=False)
    name: str
    n_features: int
    n_classes: int
    seed: int | None = None
    source: str = ""
    class_names: tuple = ()
    standardize: str = "feature"

    def to_dict(self):
        """JSON-safe description (sizes and provenance, not the data)."""
        return {
            "name": self.name,
            "n_features": self.n_features,
            "n_classes": self.n_classes,
            "n_train": int(self.y_train.shape[0]),
            "n_test": int(self.y_test.shape[0]),
            "seed": self.seed,
            "source": self.source,
            "standardize": self.standardize,
            "class_names": list(self.class_names),
        }


def load(
    name="digits",
    *,
    data_dir=None,
    rng=None,
    test_size=None,
    label_column="label",
    n_samples=1000,
    n_features=20,
    n_classes=4,
    standardize=None,
):
    r"""Load a dataset, split it with a seeded shuffle and standardise it.

    Parameters
    ----------
    name : str, optional
        ``"digits"`` (default), ``"mnist"``, ``"fashion-mnist"``, ``"synthetic"`` or
        ``"csv:PATH"``.
    data_dir : str or Path, optional
        Directory holding the IDX files of ``"mnist"`` / ``"fashion-mnist"``; default
        ``./data/<name>``. Ignored by the other datasets.
    rng : None, int or numpy.random.Generator, optional
        Seeds the stratified train/test split (and the synthetic data).
    test_size : float in (0, 1), optional
        Fraction of each class held out for testing; default 0.2. MNIST-style datasets have a
        fixed split and refuse this option.
    label_column : str, optional
        Name of the class column of a CSV file.
    n_samples, n_features, n_classes : int, optional
        Size of the ``"synthetic"`` data (10 informative features at most).
    standardize : {"global", "feature"}, optional
        ``"feature"``: each feature gets its own mean and standard deviation (constant
        features are only centred); ``"global"``: one mean and standard deviation over all
        training values, which keeps the relative scale of pixels (a border pixel that is
        almost always 0 would otherwise turn its rare ink into values of several hundred).
        Default: ``"global"`` for the image datasets (digits, MNIST, Fashion-MNIST),
        ``"feature"`` for CSV and synthetic data.

    Returns
    -------
    Dataset

    Raises
    ------
    ParameterError
        If the name is unknown or an option is out of range.
    NetgraphError
        If the MNIST files are missing (the message lists the expected names and where to put
        them), a path is not a regular file (a directory, a FIFO, a device: refused without
        opening it), or a file breaks its format's rules (see :func:`read_idx` and, for CSV,
        the module docstring); MNIST labels must be integers 0..9. The one-line message names
        the file and what is wrong, and for a CSV the line and column.

    Examples
    --------
    Numeric CSV labels are normalised to their value (``1`` and ``1.0`` are one class):

    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "flows.csv"
    >>> _ = p.write_text("bytes,proto,label\n10,tcp,1\n20,udp,2.0\n30,tcp,1.0\n40,icmp,2\n")
    >>> ds = load(f"csv:{p}", rng=0, test_size=0.5)
    >>> ds.n_features, ds.n_classes, ds.class_names
    (4, 2, ('1', '2'))

    A missing value is an error naming its line and column, never imputed:

    >>> _ = p.write_text("bytes,proto,label\n10,tcp,1\n,udp,2\n")
    >>> load(f"csv:{p}")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    netgraph.errors.NetgraphError: ...flows.csv: line 3, column 'bytes': empty value; fill or drop the row
    """
    name, test_size = _check_load(name, test_size)
    if standardize is None:
        standardize = "global" if name in _IMAGE_DATASETS else "feature"
    check_choice(standardize, ("global", "feature"), name="standardize")
    if name in ("mnist", "fashion-mnist"):
        if test_size is not None:
            raise ParameterError(
                f"test_size={test_size!r}: {name} has a fixed 60000/10000 train/test split; leave test_size unset"
            )
        x_tr, y_tr, x_te, y_te, source = _load_idx_dataset(name, data_dir)
        return _finish(
            name,
            x_tr,
            y_tr,
            x_te,
            y_te,
            seed=None,
            source=source,
            class_names=tuple(map(str, range(10))),
            standardize=standardize,
        )
    seed = int(rng) if isinstance(rng, numbers.Integral) and not isinstance(rng, bool) else None
    gen = check_rng(rng)
    test_size = _DEFAULT_TEST_SIZE if test_size is None else test_size
    if name == "digits":
        from sklearn.datasets import load_digits

        bunch = load_digits()
        x, y = bunch.data.astype(np.float32), bunch.target.astype(np.int64)
        class_names, source = tuple(str(c) for c in bunch.target_names), "sklearn.datasets.load_digits"
    elif name == "synthetic":
        x, y = _synthetic(gen, n_samples, n_features, n_classes)
        class_names, source = tuple(map(str, range(n_classes))), "sklearn.datasets.make_classification"
    else:
        path = Path(name[len("csv:") :])
        x, y, class_names = _read_csv(path, label_column)
        source = str(path)
    train, test = _stratified_split(y, test_size, gen)
    return _finish(
        name,
        x[train],
        y[train],
        x[test],
        y[test],
        seed=seed,
        source=source,
        class_names=class_names,
        standardize=standardize,
    )


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
        with _open_regular(path, "an IDX") as raw:
            if path.suffix == ".gz":
                with gzip.GzipFile(fileobj=raw) as f:
                    data = f.read()
            else:
                data = raw.read()
    except (OSError, EOFError, zlib.error) as exc:
        raise NetgraphError(f"{path}: cannot be read as an IDX file: {_one_line(exc)}") from None
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


def _one_line(exc):
    return " ".join(str(exc).split()) or type(exc).__name__


def _refuse_non_regular(path, mode, what):
    if not stat.S_ISREG(mode):
        kind = file_kind(mode)
        raise NetgraphError(f"{path}: is {kind}, not a regular file; name {what} file")


def _open_regular(path, what):
    """Open a regular file for binary reading; refuse anything else before opening it.

    ``os.stat`` first (opening a FIFO blocks, opening a device can have effects), then a
    non-blocking open and ``fstat`` of what was opened, in case the path changed in between.
    """
    mode = stat_input(path, error=NetgraphError, missing=f"no such {what.split()[-1]} file").st_mode
    _refuse_non_regular(path, mode, what)
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    except OSError as exc:
        raise NetgraphError(f"{path}: cannot be read: {exc.strerror or _one_line(exc)}") from None
    try:
        _refuse_non_regular(path, os.fstat(fd).st_mode, what)
    except BaseException:
        os.close(fd)
        raise
    note_input(path)  # a command never writes over the data it reads
    return os.fdopen(fd, "rb")


def _check_load(name, test_size):
    if not isinstance(name, str) or not (name in DATASETS or name.startswith("csv:")):
        valid = ", ".join(repr(d) for d in DATASETS)
        raise ParameterError(f"name={name!r} is not valid; expected one of {valid} or 'csv:PATH'")
    if name == "csv:":
        raise ParameterError("name='csv:' names no file; expected 'csv:PATH'")
    if test_size is not None:
        if isinstance(test_size, bool) or not isinstance(test_size, numbers.Real) or not 0 < test_size < 1:
            raise ParameterError(f"test_size == {test_size!r}, must be a fraction in (0, 1)")
        test_size = float(test_size)
    return name, test_size


def find_idx_files(directory):
    """The four IDX files of an MNIST-style dataset in ``directory``, as :func:`load` finds them.

    Each file is looked for under its standard name, raw or gzipped, with ``-idx`` or ``.idx``
    (``train-images-idx3-ubyte``, ``train-images.idx3-ubyte.gz``, ...). Nothing is read: use
    this to decide whether ``load("mnist", data_dir=directory)`` has files to read.

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


def _load_idx_dataset(name, data_dir):
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


def _synthetic(gen, n_samples, n_features, n_classes):
    from sklearn.datasets import make_classification

    for label, value, low in (("n_samples", n_samples, 2), ("n_features", n_features, 2), ("n_classes", n_classes, 2)):
        if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < low:
            raise ParameterError(f"{label} == {value!r}, must be an int >= {low}")
    informative = min(n_features, 10)
    if n_classes > 2**informative:
        raise ParameterError(f"n_classes == {n_classes}, must be <= {2**informative} for {n_features} features")
    x, y = make_classification(
        n_samples=n_samples,
        n_features=n_features,
        n_informative=informative,
        n_redundant=0,
        n_classes=n_classes,
        random_state=int(gen.integers(2**31)),
    )
    return x.astype(np.float32), y.astype(np.int64)


def _read_csv(path, label_column):
    """Parse a CSV file by the rules of the module docstring: features, labels, class names."""
    text = _read_utf8(path)
    rows, lines = _csv_rows(path, text)
    if len(rows) < 2:
        raise NetgraphError(f"{path}: needs a header row and at least one data row")
    header, body, body_lines = [h.strip() for h in rows[0]], rows[1:], lines[1:]
    _check_header(path, header)
    if label_column not in header:
        raise ParameterError(f"label_column={label_column!r} is not a column of {path}; columns: {', '.join(header)}")
    for line, row in zip(body_lines, body):
        if len(row) != len(header):
            raise NetgraphError(f"{path}: line {line} has {len(row)} fields, the header has {len(header)}")
    li = header.index(label_column)
    labels = [_csv_label(path, line, label_column, row[li]) for line, row in zip(body_lines, body)]
    class_names = tuple(sorted(set(labels), key=_natural_key))
    if len(class_names) < 2:
        raise NetgraphError(
            f"{path}: column {label_column!r} needs at least 2 classes, found 1 ({class_names[0]!r}); "
            f"there is nothing to learn"
        )
    code = {c: i for i, c in enumerate(class_names)}
    y = np.array([code[v] for v in labels], dtype=np.int64)
    features = [
        _csv_feature(path, body_lines, name, [row[j].strip() for row in body])
        for j, name in enumerate(header)
        if j != li
    ]
    if not features:
        raise NetgraphError(f"{path}: has no feature columns besides {label_column!r}")
    return np.concatenate(features, axis=1), y, class_names


def _read_utf8(path):
    with _open_regular(path, "a CSV") as f:
        try:
            data = f.read()
        except OSError as exc:
            raise NetgraphError(f"{path}: cannot be read: {exc.strerror or _one_line(exc)}") from None
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise NetgraphError(f"{path}: is UTF-16 text; save it as UTF-8")
    nul = data.find(b"\x00")
    if nul >= 0:
        raise NetgraphError(f"{path}: is not a text/CSV file (NUL byte at byte offset {nul})")
    bom = len(codecs.BOM_UTF8) if data.startswith(codecs.BOM_UTF8) else 0
    try:
        return data[bom:].decode("utf-8")
    except UnicodeDecodeError as exc:
        offset = bom + exc.start
        line = data.count(b"\n", 0, offset) + 1
        raise NetgraphError(
            f"{path}: is not UTF-8 text (byte 0x{data[offset]:02x} at line {line}, byte offset {offset}); save it as UTF-8"
        ) from None


def _csv_rows(path, text, strict=True):
    """Non-blank rows and the line of the file each starts on.

    Strict parsing first, to catch a quote that is never closed (it would swallow the rest of
    the file into one field); other strict complaints (``"x" ,1``) are read leniently as before.
    """
    reader = csv.reader(io.StringIO(text, newline=""), strict=strict)
    rows, lines, start = [], [], 1
    try:
        for row in reader:
            if row:
                rows.append(row)
                lines.append(start)
            start = reader.line_num + 1
    except csv.Error as exc:
        if "unexpected end of data" in str(exc):
            raise NetgraphError(
                f"{path}: line {start}: a quoted field is not closed before the end of the file"
            ) from None
        if strict:
            return _csv_rows(path, text, strict=False)
        raise NetgraphError(f"{path}: line {start}: not valid CSV ({_one_line(exc)})") from None
    return rows, lines


def _check_header(path, header):
    for j, name in enumerate(header, start=1):
        if not name:
            hint = " (a trailing comma?)" if j == len(header) > 1 else ""
            raise NetgraphError(f"{path}: column {j} of the header has no name{hint}; name every column")
    positions = {}
    for j, name in enumerate(header, start=1):
        positions.setdefault(name, []).append(j)
    repeated = [(name, js) for name, js in positions.items() if len(js) > 1]
    if repeated:
        listed = ", ".join(f"{name!r} (columns {', '.join(map(str, js[:-1]))} and {js[-1]})" for name, js in repeated)
        raise NetgraphError(f"{path}: duplicate column names in the header: {listed}; name each column once")


def _csv_label(path, line, column, cell):
    """A label's class name: the text, or for a number its canonical form ("1.0" -> "1")."""
    value = cell.strip()
    if not value:
        raise NetgraphError(f"{path}: line {line}, column {column!r}: empty label; fill or drop the row")
    try:
        number = decimal.Decimal(value)
    except decimal.InvalidOperation:
        return value
    if not number.is_finite():
        raise NetgraphError(
            f"{path}: line {line}, column {column!r}: label {value!r} is not a finite number; fix or drop the row"
        )
    return _canonical_number(number)


def _canonical_number(number):
    if number == number.to_integral_value() and number.adjusted() < 30:
        return str(int(number))  # "1.0", "1e0", "-0" -> "1", "1", "0"
    exact = decimal.Context(prec=max(28, len(number.as_tuple().digits)))
    return str(number.normalize(exact))  # "0.50" -> "0.5"


def _csv_feature(path, lines, name, values):
    """One column as a float32 block: the numbers, or a one-hot encoding in sorted order."""
    numbers, empty, text = [], [], []  # text: (line, value) of the non-empty non-numbers
    for line, value in zip(lines, values):
        if not value:
            empty.append(line)
            numbers.append(math.nan)
            continue
        try:
            numbers.append(float(value))
        except ValueError:
            text.append((line, value))
            numbers.append(math.nan)
    n_numbers = len(values) - len(empty) - len(text)
    real_text = [(line, v) for line, v in text if v.lower() not in _MISSING_MARKERS]
    where = lambda line: f"{path}: line {line}, column {name!r}"  # noqa: E731
    if text and n_numbers and (not real_text or n_numbers > len(text)):  # numbers with gaps or typos
        missing = [(line, "") for line in empty] + text
        line, value = min(missing)
        if not value:
            raise NetgraphError(f"{where(line)}: empty value; fill or drop the row")
        if value.lower() in _MISSING_MARKERS:
            raise NetgraphError(f"{where(line)}: missing value {value!r}; fill or drop the row")
        raise NetgraphError(
            f"{where(line)}: {value!r} is not a number, but {n_numbers} of the {len(values) - len(empty)} values in the "
            f"column are; fix it (only a column of mostly text is one-hot encoded)"
        )
    if empty:
        raise NetgraphError(f"{where(empty[0])}: empty value; fill or drop the row")
    if text:  # categorical column: one-hot in sorted order
        cats = sorted(set(values))
        return (np.array(values)[:, None] == np.array(cats)[None, :]).astype(np.float32)
    column = np.array(numbers, dtype=np.float64)
    with np.errstate(over="ignore"):
        column32 = column.astype(np.float32)
    bad = np.flatnonzero(~np.isfinite(column32))
    if len(bad):
        k = bad[0]
        if math.isfinite(column[k]):
            raise NetgraphError(f"{where(lines[k])}: value {values[k]!r} is too large for float32 (at most 3.4e38)")
        raise NetgraphError(f"{where(lines[k])}: non-finite value {values[k]!r}; use a finite number or drop the row")
    return column32[:, None]


def _natural_key(value):
    """Sort key of class names: numbers by value first, then text in sorted order."""
    try:
        return (0, decimal.Decimal(value), value)
    except decimal.InvalidOperation:
        return (1, 0, value)


def _stratified_split(y, test_size, gen):
    test = []
    for c in np.unique(y):
        idx = np.flatnonzero(y == c)
        idx = idx[gen.permutation(len(idx))]
        n_test = int(round(test_size * len(idx)))
        if len(idx) > 1:
            n_test = min(max(n_test, 1), len(idx) - 1)
        test.append(idx[:n_test])
    test = np.sort(np.concatenate(test))
    train = np.setdiff1d(np.arange(len(y)), test)
    if len(train) == 0 or len(test) == 0:
        raise ParameterError(f"test_size == {test_size}: leaves an empty train or test part of {len(y)} samples")
    return train, test


def _finish(name, x_tr, y_tr, x_te, y_te, *, seed, source, class_names, standardize):
    axis = 0 if standardize == "feature" else None
    mean = x_tr.mean(axis=axis, dtype=np.float64)
    std = np.atleast_1d(x_tr.std(axis=axis, dtype=np.float64))
    std[std < 1e-8] = 1.0
    scale = lambda a: ((a - mean) / std).astype(np.float32)  # noqa: E731
    n_classes = int(max(y_tr.max(initial=0), y_te.max(initial=0))) + 1
    return Dataset(
        x_train=torch.from_numpy(scale(x_tr)),
        y_train=torch.from_numpy(np.ascontiguousarray(y_tr, dtype=np.int64)),
        x_test=torch.from_numpy(scale(x_te)),
        y_test=torch.from_numpy(np.ascontiguousarray(y_te, dtype=np.int64)),
        name=name,
        n_features=int(x_tr.shape[1]),
        n_classes=max(n_classes, len(class_names)),
        seed=seed,
        source=source,
        class_names=tuple(class_names),
        standardize=standardize,
    )
