"""Datasets for training: built-in loaders with a seeded split and standardised features.

:func:`load` returns a :class:`Dataset` of float32 features and int64 labels as torch
tensors, split into a training and a test part. Each source is a function with only its own
options (:func:`load_digits`, :func:`load_idx`, :func:`load_csv`, :func:`make_synthetic`);
:func:`load` maps a name (``netgraph train --dataset``) onto them. Features are standardised with the
training part's statistics only, so nothing about the test part leaks into training: per
feature for tabular data, with one mean and standard deviation over all pixels for images.

Names and their sources:

- ``"digits"`` (:func:`load_digits`) — scikit-learn's bundled 8x8 handwritten digits (1797 samples, 64 features,
  10 classes). Works offline; the default.
- ``"mnist"``, ``"fashion-mnist"`` (:func:`load_idx`) — the four standard IDX files (raw or ``.gz``) in a
  directory you name with ``data_dir`` (default ``./data/<name>``). They are never
  downloaded; their own 60000/10000 train/test split is used.
- ``"csv:PATH"`` (:func:`load_csv`) — a table with a header row; ``label_column`` names the class column.
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
- ``"synthetic"`` (:func:`make_synthetic`) — :func:`sklearn.datasets.make_classification`, for fast tests.

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

import math
import numbers
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from ..errors import ParameterError
from ..validation import Interval, NoneOr, check_choice, check_rng
from ._idx import find_idx_files, read_idx, read_idx_dataset
from ._table import read_csv

__all__ = [
    "Dataset",
    "load",
    "load_digits",
    "load_idx",
    "load_csv",
    "make_synthetic",
    "read_idx",
    "find_idx_files",
    "DATASETS",
]

#: Built-in dataset names (plus ``"csv:PATH"``).
DATASETS = ("digits", "mnist", "fashion-mnist", "synthetic")

_DEFAULT_TEST_SIZE = 0.2
_IMAGE_DATASETS = ("digits", "mnist", "fashion-mnist")
_IDX_DATASETS = ("mnist", "fashion-mnist")
_STANDARDIZE = ("global", "feature")
_TEST_SIZE = NoneOr(Interval(numbers.Real, 0, 1, closed="neither"))
_AT_LEAST_TWO = Interval(numbers.Integral, 2)


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
    image_shape : tuple of int or None
        ``(channels, height, width)`` of one sample where the features are an image's pixels
        (digits 8x8, MNIST-style 28x28; what a convolutional network reshapes them to), else None.
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
    image_shape: tuple | None = None

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
            "image_shape": None if self.image_shape is None else list(self.image_shape),
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
    standardize = _check_standardize(standardize, image=name in _IMAGE_DATASETS)
    split = {"rng": rng, "test_size": test_size, "standardize": standardize}
    if name in _IDX_DATASETS:
        return load_idx(data_dir, name=name, test_size=test_size, standardize=standardize)
    if name == "digits":
        return load_digits(**split)
    if name == "synthetic":
        return make_synthetic(n_samples=n_samples, n_features=n_features, n_classes=n_classes, **split)
    return _load_csv(name[len("csv:") :], name, label_column, **split)


def load_digits(*, rng=None, test_size=None, standardize="global"):
    """scikit-learn's bundled 8x8 handwritten digits, split and standardised (``load("digits")``).

    Parameters
    ----------
    rng : None, int or numpy.random.Generator, optional
        Seeds the stratified train/test split.
    test_size : float in (0, 1), optional
        Fraction of each class held out for testing; default 0.2.
    standardize : {"global", "feature"}, optional
        See :func:`load`; default ``"global"``.

    Returns
    -------
    Dataset

    Examples
    --------
    >>> ds = load_digits(rng=0)
    >>> ds.name, ds.n_features, ds.n_classes, len(ds.y_test)
    ('digits', 64, 10, 359)
    """
    from sklearn.datasets import load_digits as sklearn_digits

    test_size, standardize = _check_split(test_size, standardize)
    seed, gen = _seed_of(rng), check_rng(rng)
    bunch = sklearn_digits()
    x, y = bunch.data.astype(np.float32), bunch.target.astype(np.int64)
    class_names = tuple(str(c) for c in bunch.target_names)
    return _split("digits", x, y, gen, test_size, seed, "sklearn.datasets.load_digits", class_names, standardize)


def load_idx(data_dir=None, *, name="mnist", test_size=None, standardize="global"):
    """An MNIST-style dataset from its four IDX files, with its own train/test split (``load("mnist")``).

    Parameters
    ----------
    data_dir : str or Path, optional
        The directory of ``train-images-idx3-ubyte``, ``train-labels-idx1-ubyte``,
        ``t10k-images-idx3-ubyte`` and ``t10k-labels-idx1-ubyte`` (raw or ``.gz``, see
        :func:`find_idx_files`); default ``./data/<name>``. Nothing is ever downloaded.
    name : {"mnist", "fashion-mnist"}, optional
        Which dataset the files are (named in messages, and where to get them).
    test_size : None
        The split is the files' own (60000/10000 for MNIST); any other value is refused.
    standardize : {"global", "feature"}, optional
        See :func:`load`; default ``"global"``.

    Returns
    -------
    Dataset

    Raises
    ------
    ParameterError
        If ``name`` is not an IDX dataset or ``test_size`` is given.
    NetgraphError
        If a file is missing (the message lists the expected names and where to put them), not
        a regular file, not well-formed IDX (:func:`read_idx`), or its images and labels do not
        match; labels must be integers 0..9.

    Examples
    --------
    >>> load_idx("/nonexistent")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    netgraph.errors.NetgraphError: mnist: IDX files not found: /nonexistent does not exist. netgraph never downloads data. ...
    """
    check_choice(name, _IDX_DATASETS, name="name")
    if test_size is not None:
        raise ParameterError(
            f"test_size={test_size!r}: {name} has a fixed 60000/10000 train/test split; leave test_size unset"
        )
    standardize = _check_standardize(standardize, image=True)
    x_tr, y_tr, x_te, y_te, source = read_idx_dataset(name, data_dir)
    class_names = tuple(map(str, range(10)))
    return _finish(
        name, x_tr, y_tr, x_te, y_te, seed=None, source=source, class_names=class_names, standardize=standardize
    )


def load_csv(path, *, label_column="label", rng=None, test_size=None, standardize="feature"):
    r"""A CSV table as a dataset, split and standardised (``load("csv:PATH")``).

    The table's rules (a regular UTF-8 file, a header naming every column once, full rows,
    numeric or one-hot columns, normalised labels, at least two classes) are in the module
    docstring; each broken one is an error naming the file, the line and the column.

    Parameters
    ----------
    path : str or Path
        The file.
    label_column : str, optional
        The name of the class column.
    rng : None, int or numpy.random.Generator, optional
        Seeds the stratified train/test split.
    test_size : float in (0, 1), optional
        Fraction of each class held out for testing; default 0.2.
    standardize : {"global", "feature"}, optional
        See :func:`load`; default ``"feature"``.

    Returns
    -------
    Dataset
        Named ``"csv:PATH"``.

    Raises
    ------
    ParameterError
        If ``label_column`` is not a column of the file, or an option is out of range.
    NetgraphError
        If the file breaks a rule.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "flows.csv"
    >>> _ = p.write_text("bytes,proto,label\n10,tcp,a\n20,udp,b\n30,tcp,a\n40,icmp,b\n")
    >>> ds = load_csv(p, rng=0, test_size=0.5)
    >>> ds.n_features, ds.class_names, ds.name == f"csv:{p}"
    (4, ('a', 'b'), True)
    """
    if not isinstance(path, str | os.PathLike):
        raise ParameterError(f"path={path!r}: expected a path (str or Path)")
    path = os.fspath(path)
    return _load_csv(path, f"csv:{path}", label_column, rng=rng, test_size=test_size, standardize=standardize)


def make_synthetic(*, n_samples=1000, n_features=20, n_classes=4, rng=None, test_size=None, standardize="feature"):
    """Synthetic classification data (:func:`sklearn.datasets.make_classification`), for fast tests.

    Parameters
    ----------
    n_samples, n_features, n_classes : int, optional
        Its size (each at least 2; 10 informative features at most, so at most ``2**10``
        classes, fewer for fewer features).
    rng : None, int or numpy.random.Generator, optional
        Seeds the data and the stratified train/test split.
    test_size : float in (0, 1), optional
        Fraction of each class held out for testing; default 0.2.
    standardize : {"global", "feature"}, optional
        See :func:`load`; default ``"feature"``.

    Returns
    -------
    Dataset
        Named ``"synthetic"``.

    Examples
    --------
    >>> ds = make_synthetic(n_samples=100, n_features=5, n_classes=3, rng=0)
    >>> ds.n_features, ds.n_classes, len(ds.y_train) + len(ds.y_test)
    (5, 3, 100)
    """
    test_size, standardize = _check_split(test_size, standardize)
    seed, gen = _seed_of(rng), check_rng(rng)
    x, y = _synthetic(gen, n_samples, n_features, n_classes)
    class_names = tuple(map(str, range(n_classes)))
    return _split(
        "synthetic", x, y, gen, test_size, seed, "sklearn.datasets.make_classification", class_names, standardize
    )


def _load_csv(path, name, label_column, *, rng, test_size, standardize):
    test_size, standardize = _check_split(test_size, standardize)
    seed, gen = _seed_of(rng), check_rng(rng)
    x, y, class_names = read_csv(Path(path), label_column)
    return _split(name, x, y, gen, test_size, seed, str(Path(path)), class_names, standardize)


def _check_load(name, test_size):
    if not isinstance(name, str) or not (name in DATASETS or name.startswith("csv:")):
        valid = ", ".join(repr(d) for d in DATASETS)
        raise ParameterError(f"name={name!r} is not valid; expected one of {valid} or 'csv:PATH'")
    if name == "csv:":
        raise ParameterError("name='csv:' names no file; expected 'csv:PATH'")
    return name, _check_test_size(test_size)


def _check_test_size(test_size):
    return _TEST_SIZE(test_size, name="test_size")


def _check_standardize(standardize, *, image):
    if standardize is None:
        standardize = "global" if image else "feature"
    return check_choice(standardize, _STANDARDIZE, name="standardize")


def _check_split(test_size, standardize):
    """The test fraction (default 0.2) and the standardisation of a source that splits its data."""
    test_size = _check_test_size(test_size)
    standardize = check_choice(standardize, _STANDARDIZE, name="standardize")
    return (_DEFAULT_TEST_SIZE if test_size is None else test_size), standardize


def _seed_of(rng):
    """The seed a Dataset records: ``rng`` when it is an int, else None."""
    return int(rng) if isinstance(rng, numbers.Integral) and not isinstance(rng, bool) else None


def _split(name, x, y, gen, test_size, seed, source, class_names, standardize):
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


def _synthetic(gen, n_samples, n_features, n_classes):
    from sklearn.datasets import make_classification

    for label, value in (("n_samples", n_samples), ("n_features", n_features), ("n_classes", n_classes)):
        _AT_LEAST_TWO(value, name=label)
    informative = min(n_features, 10)
    if n_classes > 2**informative:
        raise ParameterError(f"n_classes={n_classes}, must be <= {2**informative} for {n_features} features")
    x, y = make_classification(
        n_samples=n_samples,
        n_features=n_features,
        n_informative=informative,
        n_redundant=0,
        n_classes=n_classes,
        random_state=int(gen.integers(2**31)),
    )
    return x.astype(np.float32), y.astype(np.int64)


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
        raise ParameterError(f"test_size={test_size}: leaves an empty train or test part of {len(y)} samples")
    return train, test


#: The image shape of the samples of the image datasets, by name.
_IMAGE_SHAPES = {"digits": (1, 8, 8), "mnist": (1, 28, 28), "fashion-mnist": (1, 28, 28)}


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
        image_shape=_IMAGE_SHAPES.get(name) if math.prod(_IMAGE_SHAPES.get(name, (0,))) == x_tr.shape[1] else None,
    )
