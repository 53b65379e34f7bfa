"""CSV tables as datasets: the rules of a table netgraph trains on, each broken one an error (private).

:func:`read_csv` tokenises with the standard library's :mod:`csv` module and enforces the rules
that :mod:`netgraph.training.data` documents (a regular UTF-8 file; named, distinct header
cells; full rows without empty cells; numeric or one-hot columns; labels normalised, at least
two classes). Every message names the file, and the line and column where there is one.
"""

import codecs
import csv
import decimal
import io
import math

import numpy as np

from ..errors import NetgraphError, ParameterError
from ..fileio import error_reason
from ._idx import open_regular

__all__ = ["read_csv"]

_MISSING_MARKERS = frozenset({"?", "-", "na", "n/a", "null", "none"})


def read_csv(path, label_column):
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
    class_names = tuple(sorted(set(labels), key=_class_order))
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
    with open_regular(path, "a CSV") as f:
        try:
            data = f.read()
        except OSError as exc:
            raise NetgraphError(f"{path}: cannot be read: {exc.strerror or error_reason(exc)}") from None
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
        raise NetgraphError(f"{path}: line {start}: not valid CSV ({error_reason(exc)})") from None
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


def _class_order(value):
    """Sort key of class names: numbers by value first, then text in sorted order."""
    try:
        return (0, decimal.Decimal(value), value)
    except decimal.InvalidOperation:
        return (1, 0, value)
