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
  order.
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

import csv
import gzip
import numbers
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from ._validation import check_choice, check_random_state
from .errors import NetgraphError, ParameterError

__all__ = ["Dataset", "load", "read_idx", "DATASETS"]

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
_DEFAULT_TEST_SIZE = 0.2
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
        Original label of each class index (e.g. ``"normal"`` for a CSV).
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
    """Load a dataset, split it with a seeded shuffle and standardise it.

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
        them) or a file cannot be parsed.
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
            name, x_tr, y_tr, x_te, y_te, seed=None, source=source, class_names=tuple(map(str, range(10))),
            standardize=standardize,
        )
    seed = int(rng) if isinstance(rng, numbers.Integral) and not isinstance(rng, bool) else None
    gen = check_random_state(rng)
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
        name, x[train], y[train], x[test], y[test], seed=seed, source=source, class_names=class_names,
        standardize=standardize,
    )


def read_idx(path):
    """Read one IDX file (raw or gzip-compressed) into a numpy array.

    IDX is the MNIST format: two zero bytes, a type code (``0x08`` = unsigned byte, ...), the
    number of dimensions, one big-endian int32 per dimension, then the data in C order.

    Parameters
    ----------
    path : str or Path

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
    """
    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as f:
            data = f.read()
    except (OSError, EOFError) as exc:
        raise NetgraphError(f"{path}: cannot be read as an IDX file: {exc}") from None
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] not in _IDX_DTYPES:
        raise NetgraphError(f"{path}: not an IDX file (bad magic number {data[:4].hex() or 'empty'})")
    dtype, ndim = _IDX_DTYPES[data[2]], data[3]
    header = 4 + 4 * ndim
    if len(data) < header:
        raise NetgraphError(f"{path}: IDX header is truncated")
    shape = tuple(int.from_bytes(data[4 + 4 * k : 8 + 4 * k], "big") for k in range(ndim))
    expected = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    if len(data) - header != expected:
        raise NetgraphError(
            f"{path}: IDX data has {len(data) - header} bytes, expected {expected} for shape {shape} (truncated?)"
        )
    return np.frombuffer(data, dtype=dtype, offset=header).reshape(shape).astype(dtype.newbyteorder("="))


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


def _find_idx(directory, stem):
    for candidate in (stem, stem + ".gz", stem.replace("-idx", ".idx"), stem.replace("-idx", ".idx") + ".gz"):
        if (directory / candidate).is_file():
            return directory / candidate
    return None


def _load_idx_dataset(name, data_dir):
    directory = Path(data_dir) if data_dir is not None else Path("data") / name
    found = {key: _find_idx(directory, stem) for key, stem in _IDX_FILES.items()}
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
        if images.ndim != 3 or labels.ndim != 1 or images.shape[0] != labels.shape[0]:
            raise NetgraphError(
                f"{found[f'{part}_images']}: images {images.shape} do not match labels {labels.shape} "
                f"(expected (n, rows, cols) and (n,))"
            )
    flat = lambda a: a.reshape(a.shape[0], -1).astype(np.float32) / 255.0  # noqa: E731
    return (
        flat(arrays["train_images"]),
        arrays["train_labels"].astype(np.int64),
        flat(arrays["test_images"]),
        arrays["test_labels"].astype(np.int64),
        str(directory),
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
    if not path.is_file():
        raise NetgraphError(f"{path}: no such CSV file")
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    rows = [r for r in rows if r]
    if len(rows) < 2:
        raise NetgraphError(f"{path}: needs a header row and at least one data row")
    header, body = [h.strip() for h in rows[0]], rows[1:]
    if label_column not in header:
        raise ParameterError(f"label_column={label_column!r} is not a column of {path}; columns: {', '.join(header)}")
    for k, row in enumerate(body, start=2):
        if len(row) != len(header):
            raise NetgraphError(f"{path}: line {k} has {len(row)} fields, the header has {len(header)}")
    columns = list(zip(*body))
    li = header.index(label_column)
    labels = [v.strip() for v in columns[li]]
    class_names = tuple(sorted(set(labels), key=_natural_key))
    code = {c: i for i, c in enumerate(class_names)}
    y = np.array([code[v] for v in labels], dtype=np.int64)
    features = []
    for j, col in enumerate(columns):
        if j == li:
            continue
        values = [v.strip() for v in col]
        try:
            features.append(np.array([float(v) for v in values], dtype=np.float32)[:, None])
        except ValueError:  # categorical column: one-hot in sorted order
            cats = sorted(set(values))
            features.append((np.array(values)[:, None] == np.array(cats)[None, :]).astype(np.float32))
    if not features:
        raise NetgraphError(f"{path}: has no feature columns besides {label_column!r}")
    x = np.concatenate(features, axis=1)
    if not np.isfinite(x).all():
        raise NetgraphError(f"{path}: has missing or non-finite numeric values")
    return x, y, class_names


def _natural_key(value):
    try:
        return (0, float(value), value)
    except ValueError:
        return (1, 0.0, value)


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
    standardise = lambda a: ((a - mean) / std).astype(np.float32)  # noqa: E731
    n_classes = int(max(y_tr.max(initial=0), y_te.max(initial=0))) + 1
    return Dataset(
        x_train=torch.from_numpy(standardise(x_tr)),
        y_train=torch.from_numpy(np.ascontiguousarray(y_tr, dtype=np.int64)),
        x_test=torch.from_numpy(standardise(x_te)),
        y_test=torch.from_numpy(np.ascontiguousarray(y_te, dtype=np.int64)),
        name=name,
        n_features=int(x_tr.shape[1]),
        n_classes=max(n_classes, len(class_names)),
        seed=seed,
        source=source,
        class_names=tuple(class_names),
        standardize=standardize,
    )
