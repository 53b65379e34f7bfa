"""Topology folders: one network as the code of SET and NNSTD saves it (format ``set-npz``).

One ``scipy.sparse`` matrix per layer in ``<prefix>_l0.npz``, ``<prefix>_l1.npz``, ...
(``scipy.sparse.save_npz``), each ``n_in x n_out`` (the transpose of ``nn.Linear.weight``),
optionally with the biases as an extra last row; a connection is a non-zero entry.
:func:`save_topology_folder` writes such folders with ``netgraph.json`` beside them (see
:func:`netgraph.load_checkpoint` for how the bias row is told apart).
"""

import hashlib
import io
import json
import os
import stat
import warnings
import zipfile
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from .._version import __version__
from ..errors import CheckpointError, OutputError, ParameterError
from ..fileio import atomic_files, check_implied_size, error_reason, file_kind, load_json, note_input, stat_input
from ..network import Checkpoint, check_meta, transpose
from ..nn.model import ACTIVATIONS, SparseMLP
from .paths import TOPOLOGY_SIDECAR, epoch_folders, layer_file_name, layer_files

__all__ = [
    "TOPOLOGY_FORMAT",
    "save_topology_folder",
    "read",
    "write",
    "notes",
    "is_layer_file",
    "detect",
]


#: ``source_format`` of a network read from a topology folder (SET / NNSTD layer matrices), and
#: the name of the format :func:`save_topology_folder` writes (``netgraph export --format set-npz``).
TOPOLOGY_FORMAT = "set-npz"
_SIDECAR_TAG = "netgraph-topology-folder"
_SPARSE_FORMATS = ("csr", "csc", "coo", "bsr", "dia")


def save_topology_folder(model, folder, *, prefix="weight", meta=None):
    """Write a network as a topology folder: one ``scipy.sparse`` matrix per layer (SET / NNSTD).

    Layer ``l`` goes to ``folder/<prefix>_l<l>.npz`` (``scipy.sparse.save_npz`` of a matrix in
    compressed sparse columns, whose arrays are those of the layer's out x in CSR block, so
    neither writing nor reading transposes anything; uncompressed, so it reads at disk speed), of shape ``n_in x n_out`` (``M_l[i, j] = W_l[j, i]``, the transpose of
    ``nn.Linear.weight``), with the biases as an extra last row when the network has biases;
    ``folder/netgraph.json`` records the activation, the metadata and whether there is a bias
    row, so that :func:`load_checkpoint` reads the folder back exactly. The matrices are what
    SET's and NNSTD's code read (NNSTD drops the last row: ``load_npz(f).toarray()[:-1, :]``).
    The files are written all at once (:func:`netgraph.fileio.atomic_files`): an interruption
    or a full disk leaves the folder as it was, never the layers of two networks side by side.
    ``netgraph.json`` records the size and SHA-256 of each layer file, so a folder whose files
    were mixed some other way (a layer file replaced by hand) is refused when read.

    Parameters
    ----------
    model : SparseMLP or Checkpoint
        The network, of either backend.
    folder : str or Path
        The folder to write into, created if missing. It may hold other files, but no layer
        files (``*_l<N>.npz``) other than those written.
    prefix : str, optional
        Start of the file names (NNSTD's is ``"weight"``).
    meta : dict, optional
        JSON-safe metadata, merged over the checkpoint's own; ``netgraph_version`` is added.

    Returns
    -------
    pathlib.Path
        The folder.

    Raises
    ------
    ParameterError
        If ``model`` is not a network, ``prefix`` is not a plain file-name part or ``meta``
        is not JSON-serialisable.
    OutputError
        If ``folder`` exists and is not a folder, is the folder the network was read from, or
        holds layer files of another network (netgraph never deletes files).

    Notes
    -----
    The format marks a connection by a non-zero value: a present connection of weight exactly
    0 is not stored, and reads back as absent. Everything else reads back exactly.

    Examples
    --------
    >>> import tempfile, pathlib, scipy.sparse as sp, torch
    >>> from netgraph import SparseMLP, load_checkpoint
    >>> net = SparseMLP([2, 3, 1], masks=[torch.tensor([[1, 0], [0, 1], [1, 1]]), torch.ones(1, 3)])
    >>> d = save_topology_folder(net, pathlib.Path(tempfile.mkdtemp()) / "topo", meta={"seed": 0})
    >>> sorted(p.name for p in d.iterdir())
    ['netgraph.json', 'weight_l0.npz', 'weight_l1.npz']
    >>> m = sp.load_npz(d / "weight_l0.npz")
    >>> m.shape, m.nnz - 3  # 2 inputs + the bias row, 3 units; 4 connections and 3 biases
    ((3, 3), 4)
    >>> back = load_checkpoint(d)
    >>> back.layer_sizes, back.source_format, back.meta["seed"], back.n_connections()
    ((2, 3, 1), 'set-npz', 0, 7)
    """
    if isinstance(model, SparseMLP):
        try:
            ckpt = Checkpoint.from_model(model)
        except CheckpointError as exc:
            raise CheckpointError(f"{folder}: not saved: {str(exc).removeprefix('network: ')}") from None
    elif isinstance(model, Checkpoint):
        ckpt = model
    else:
        raise ParameterError(f"model is a {type(model).__name__}, expected a SparseMLP or Checkpoint")
    if (
        not isinstance(prefix, str)
        or not prefix
        or prefix in (".", "..")
        or any(c in prefix for c in ("/", "\0", os.sep))
        or layer_file_name(f"{prefix}_l0.npz")["prefix"] != prefix
    ):
        raise ParameterError(f"prefix={prefix!r} is not valid; expected a non-empty file-name part such as 'weight'")
    full_meta = {**ckpt.meta, **check_meta(meta), "netgraph_version": __version__}
    folder = Path(folder)
    if os.path.lexists(folder):
        st = stat_input(folder, error=OutputError)
        if not stat.S_ISDIR(st.st_mode):
            raise OutputError(f"{folder} is {file_kind(st.st_mode)}; a topology folder is written into a folder")
        if ckpt.source is not None and os.path.lexists(ckpt.source) and os.path.samefile(folder, ckpt.source):
            raise OutputError(
                f"{folder} is the folder the network was read from; writing it would destroy its own source. "
                "Choose another folder"
            )
    names = [f"{prefix}_l{l}.npz" for l in range(len(ckpt.blocks))]
    others = [name for files in layer_files(folder).values() for _, name in files if name not in names]
    if others:
        shown = ", ".join(others[:3]) + (f" and {len(others) - 3} more" if len(others) > 3 else "")
        raise OutputError(
            f"{folder} already holds {shown}: layer files of another network, which would be read with these. "
            "Choose a new or empty folder (netgraph never deletes files)"
        )
    layer_bytes = {}
    for name, block, b in zip(names, ckpt.blocks, ckpt.biases):
        m = _layer_matrix(block, b if ckpt.has_bias else None)
        buf = io.BytesIO()
        sp.save_npz(buf, m, compressed=False)
        layer_bytes[name] = buf.getvalue()
    sidecar = {
        "format": _SIDECAR_TAG,
        "format_version": 1,
        "prefix": prefix,
        "layers": len(names),
        "bias_row": bool(ckpt.has_bias),
        "activation": ckpt.activation,
        "meta": full_meta,
        "files": {name: _file_digest(data) for name, data in layer_bytes.items()},
    }
    # all or nothing: the description first, then the layers it describes; a reader that finds a
    # layer file the description does not (an interrupted write, or one file replaced by hand) refuses
    with atomic_files(folder) as group:
        group.write(TOPOLOGY_SIDECAR, json.dumps(sidecar, indent=1, sort_keys=True), mode="w", encoding="utf-8")
        for name, data in layer_bytes.items():
            group.write(name, data)
    return folder


def detect(path):
    """Whether a folder is a topology folder: it holds layer files (``<prefix>_l<N>.npz``)."""
    return bool(layer_files(path))


def write(ckpt, folder):
    """Write a network as a topology folder (:func:`save_topology_folder` with the default prefix)."""
    return save_topology_folder(ckpt, folder)


def notes(ckpt, folder):
    """What a user of the folder needs to know: connections of weight 0 are not stored."""
    lost = sum(int(np.count_nonzero(block.data == 0)) for block in ckpt.blocks)
    if not lost:
        return []
    return [
        f"note: {lost} connections of weight exactly 0 are not stored (the format marks a connection by "
        "a non-zero value): they read back as absent"
    ]


def _layer_matrix(block, bias):
    """The ``n_in x n_out`` matrix of a layer (``bias``: its last row, or None) in compressed sparse columns.

    Column ``j`` of the matrix is row ``j`` of the out x in block, so the block's CSR arrays are
    the matrix's CSC arrays as they are (the bias, when there is one, at the end of each column):
    nothing is transposed, on writing or on reading. Zeros are not stored.
    """
    data, indices, indptr = block.data.astype(np.float32), block.indices, block.indptr
    n_out, n_rows = block.shape
    if bias is not None:  # row n_in, after every input: appended to each column with a bias
        bias = np.asarray(bias, dtype=np.float32)
        has = bias != 0
        at = indptr[1:][has]
        data, indices = np.insert(data, at, bias[has]), np.insert(indices, at, n_rows)
        indptr = indptr + np.concatenate([[0], np.cumsum(has)])
        n_rows += 1
    m = sp.csc_matrix((data, indices, indptr), shape=(n_rows, n_out), copy=True)  # never the block's own arrays
    m.eliminate_zeros()  # zeros are not stored: the format marks a connection by its value
    m.sort_indices()
    return m


def _out_by_in(m, bias_row):
    """The out x in CSR block and the biases (or zeros) of a layer matrix ``m`` (``n_in x n_out``)."""
    n_rows, n_out = m.shape
    biases = np.zeros(n_out, dtype=np.float32)
    if m.format == "csc":  # its CSC arrays are the block's CSR arrays: no transpose
        data, indices, indptr = m.data, m.indices, m.indptr
        if bias_row:  # row n_rows - 1 is the last entry of a column (indices sorted), where present
            ends = indptr[1:] - 1
            has = (np.diff(indptr) > 0) & (indices[np.maximum(ends, 0)] == n_rows - 1)
            biases[has] = data[ends[has]]
            if has.any():
                keep = np.ones(data.size, dtype=bool)
                keep[ends[has]] = False
                data, indices = data[keep], indices[keep]
                indptr = indptr - np.concatenate([[0], np.cumsum(has)])
            n_rows -= 1
        return sp.csr_array((data, indices, indptr), shape=(n_out, n_rows)), biases
    if bias_row:  # the last row holds the biases: split it off the CSR arrays
        cut = int(m.indptr[-2])
        biases[m.indices[cut:]] = m.data[cut:]
        m = sp.csr_array((m.data[:cut], m.indices[:cut], m.indptr[:-1]), shape=(n_rows - 1, n_out))
    return transpose(m), biases  # n_in x n_out, as SET stores it -> out x in, as nn.Linear


def _file_digest(data):
    """What ``netgraph.json`` records of a layer file: its size and SHA-256."""
    return {"bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}


def _check_sidecar_files(folder, sidecar, names):
    """Refuse layer files that are not the ones ``netgraph.json`` describes (a mix of two writes)."""
    files = sidecar.get("files")
    if files is None:  # written by a netgraph that recorded no digests
        return
    for name in names:
        want = files.get(name)
        path = Path(folder) / name
        digest = None
        if isinstance(want, dict) and os.path.getsize(path) == want.get("bytes"):
            with open(path, "rb") as f:  # read a block at a time: a layer file may be a gigabyte
                digest = {"bytes": want["bytes"], "sha256": hashlib.file_digest(f, "sha256").hexdigest()}
        if digest != want:
            raise CheckpointError(
                f"{path}: is not the layer file {folder / TOPOLOGY_SIDECAR} describes (its size or SHA-256 differs): "
                "the folder mixes files of two networks (an interrupted export, or a file replaced by hand); "
                f"export the network again, or remove {TOPOLOGY_SIDECAR} to read the layer files as they are"
            )


def is_layer_file(path):
    """Whether an npz file holds a ``scipy.sparse.save_npz`` matrix (by its member names)."""
    try:
        with zipfile.ZipFile(path) as z:
            names = set(z.namelist())
    except (zipfile.BadZipFile, OSError, ValueError):
        return False
    return {"format.npy", "shape.npy", "data.npy"} <= names and "layer_sizes.npy" not in names


def read(folder, *, activation=None, bias_row=None, nbytes=None):
    """The :class:`Checkpoint` of a topology folder (see :func:`load_checkpoint`, Notes)."""
    found = layer_files(folder)
    if not found:
        epochs = epoch_folders(folder)
        if epochs:
            raise CheckpointError(
                f"{folder}: holds {len(epochs)} epoch folders of layer files ({epochs[0][1].name} ... "
                f"{epochs[-1][1].name}), a run rather than one network; pass one of them, e.g. "
                f"{epochs[-1][1]} (the last; netgraph commands take it)"
            )
        raise CheckpointError(
            f"{folder}: is a directory without layer files (<prefix>_l0.npz, <prefix>_l1.npz, ...); "
            "expected a checkpoint file or a topology folder of scipy.sparse layer matrices (SET, NNSTD)"
        )
    if len(found) > 1:
        shown = "; ".join(f"{prefix}_l*.npz: {_file_list(files)}" for prefix, files in found.items())
        raise CheckpointError(
            f"{folder}: holds the layer files of {len(found)} networks ({shown}); a topology folder holds "
            "one network: put each in a folder of its own"
        )
    ((prefix, files),) = found.items()
    seen = {}
    for index, name in files:
        if index in seen:
            raise CheckpointError(f"{folder}: {seen[index]} and {name} both claim layer {index}")
        seen[index] = name
    if max(seen) >= len(seen):  # a gap: name the first few missing, never list them all
        missing, l = [], 0
        while len(missing) < 3 and l <= max(seen):
            if l not in seen:
                missing.append(f"{prefix}_l{l}.npz")
            l += 1
        n_missing = max(seen) + 1 - len(seen)
        shown = ", ".join(missing) + (f" and {n_missing - len(missing):,} more" if n_missing > len(missing) else "")
        raise CheckpointError(
            f"{folder}: {shown} missing (found {_file_list(files)}); layer files are numbered 0, 1, 2, ... without gaps"
        )
    names = [name for _, name in files]
    for name in names:
        note_input(folder / name)
    sidecar = _read_sidecar(folder, prefix, len(names))
    headers = [_layer_header(folder / name) for name in names]
    shapes = [shape for shape, _ in headers]
    check_implied_size(
        folder,
        elements=sum(r * c for r, c in shapes),
        units=sum(r + c for r, c in shapes),
        nbytes=sum(nbytes for _, nbytes in headers),
    )
    if sidecar is not None:
        _check_sidecar_files(folder, sidecar, names)
    matrices = [_read_layer_matrix(folder / name) for name in names]
    if bias_row is None and sidecar is not None:
        bias_row = sidecar["bias_row"]
    bias_row = _chain_bias_row(folder, names, [m.shape for m in matrices], bias_row)
    blocks, biases = [], []
    for m in matrices:
        block, bias = _out_by_in(m, bias_row)
        blocks.append(block)
        biases.append(bias)
    sizes = (blocks[0].shape[1],) + tuple(b.shape[0] for b in blocks)
    if sidecar is not None:
        activation, meta = sidecar["activation"], sidecar["meta"]
    else:
        meta = {
            "activation_assumed": activation is None,
            "source_format": TOPOLOGY_FORMAT,
            "source_folder": str(folder),
            "layer_prefix": prefix,
            "bias_row": bias_row,
        }
    return Checkpoint(
        layer_sizes=tuple(int(s) for s in sizes),
        blocks=tuple(blocks),
        biases=tuple(biases),
        activation=activation or "relu",
        has_bias=bias_row,
        meta=meta,
        source=str(folder),
        source_format=TOPOLOGY_FORMAT,
    )


def _file_list(files):
    names = [name for _, name in files]
    return ", ".join(names) if len(names) <= 4 else f"{names[0]}, {names[1]}, ..., {names[-1]} ({len(names)} files)"


def _shapes_text(names, shapes):
    return ", ".join(f"{name} {r} x {c}" for name, (r, c) in zip(names, shapes))


def _chain_bias_row(folder, names, shapes, bias_row):
    """Whether the layer matrices hold a bias row, told from how their shapes chain.

    ``bias_row`` (True or False) is checked against the shapes; None is told from them.

    Examples
    --------
    >>> _chain_bias_row("t", ["a_l0.npz", "a_l1.npz"], [(785, 100), (101, 10)], None)
    True
    >>> _chain_bias_row("t", ["a_l0.npz", "a_l1.npz"], [(784, 100), (100, 10)], None)
    False
    >>> _chain_bias_row("t", ["a_l0.npz", "a_l1.npz"], [(784, 100), (99, 10)], None)
    Traceback (most recent call last):
    ...
    netgraph.errors.CheckpointError: t: layer shapes do not chain: a_l1.npz has 99 rows, expected 100 (no bias row) or 101 (a bias row) after the 100 columns of a_l0.npz; shapes (n_in x n_out): a_l0.npz 784 x 100, a_l1.npz 99 x 10
    """
    shown = f"shapes (n_in x n_out): {_shapes_text(names, shapes)}"
    force = "pass bias_row=True or bias_row=False (netgraph commands: --bias-row or --no-bias-row)"
    steps = [shapes[l][0] - shapes[l - 1][1] for l in range(1, len(shapes))]  # 0: no bias row, 1: a bias row
    plain = all(s == 0 for s in steps)
    biased = all(s == 1 for s in steps) and shapes[0][0] >= 2
    if bias_row is None:
        if plain and biased:
            (r, c) = shapes[0]
            raise CheckpointError(
                f"{folder}: cannot tell whether the last row of {names[0]} ({r} x {c}) holds biases: a single "
                f"layer has no next layer to chain with ({r} inputs without a bias row, or {r - 1} and a bias row); "
                f"{force}"
            )
        if plain or biased:
            return biased
        for l, step in enumerate(steps, start=1):
            if step not in (0, 1):
                c = shapes[l - 1][1]
                raise CheckpointError(
                    f"{folder}: layer shapes do not chain: {names[l]} has {shapes[l][0]} rows, expected {c} "
                    f"(no bias row) or {c + 1} (a bias row) after the {c} columns of {names[l - 1]}; {shown}"
                )
        with_row, without = steps.index(1) + 1, steps.index(0) + 1
        raise CheckpointError(
            f"{folder}: {names[with_row]} has a bias row ({shapes[with_row][0]} rows after {shapes[with_row - 1][1]} "
            f"columns) but {names[without]} has none ({shapes[without][0]} after {shapes[without - 1][1]}); every "
            f"layer must have one or none; {shown}"
        )
    bias_row = bool(bias_row)
    if bias_row and shapes[0][0] < 2:
        raise CheckpointError(f"{folder}: with bias_row=True, {names[0]} has 1 row: no inputs besides the bias row")
    want = int(bias_row)
    for l, step in enumerate(steps, start=1):
        if step != want:
            c = shapes[l - 1][1]
            plus = " + its bias row" if bias_row else ""
            raise CheckpointError(
                f"{folder}: with bias_row={bias_row}, {names[l]} should have {c + want} rows (the {c} columns of "
                f"{names[l - 1]}{plus}), it has {shapes[l][0]}; {shown}"
            )
    return bias_row


def _layer_header(path):
    """``((n_rows, n_cols), file_bytes)`` of one layer file, read from its small members only.

    The file must be a zip of ``scipy.sparse.save_npz`` members whose uncompressed sizes fit
    the shape they declare (a sparse matrix stores at most a value and an index per element):
    a compressed archive that would unpack to more (a zip bomb) is refused before anything is
    decompressed.
    """
    st = stat_input(path, error=CheckpointError, missing="no such file (a broken link?)")
    if not stat.S_ISREG(st.st_mode):
        raise CheckpointError(f"{path}: is {file_kind(st.st_mode)}, expected a scipy.sparse .npz file")
    if st.st_size == 0:
        raise CheckpointError(f"{path}: is empty (0 bytes)")
    if not zipfile.is_zipfile(path):
        raise CheckpointError(f"{path}: is not an .npz file (not a zip archive); expected scipy.sparse.save_npz output")
    try:
        with zipfile.ZipFile(path) as z:
            members = {info.filename.removesuffix(".npy"): info for info in z.infolist()}
            small = {}
            for key in ("format", "shape"):
                info = members.get(key)
                if info is not None and info.file_size <= 4096:
                    with z.open(info) as f:
                        small[key] = np.lib.format.read_array(f, allow_pickle=False)
    except Exception as exc:  # zipfile, numpy and OS errors on damage
        reason = error_reason(exc)
        raise CheckpointError(f"{path}: cannot be read as an .npz file (truncated or corrupt?): {reason}") from None
    keys = sorted(members)
    if "format" not in members:
        what = "a netgraph npz export (a whole network)" if "layer_sizes" in keys else f"the arrays {', '.join(keys)}"
        raise CheckpointError(
            f"{path}: holds {what}, not a scipy.sparse matrix; a topology folder's layer files are written by "
            "scipy.sparse.save_npz"
        )
    fmt = small.get("format")
    fmt = None if fmt is None or fmt.shape != () else fmt.item()
    if isinstance(fmt, bytes):
        fmt = fmt.decode("ascii", errors="replace")
    if fmt not in _SPARSE_FORMATS:
        raise CheckpointError(f"{path}: sparse format {fmt!r} is unknown; expected one of {', '.join(_SPARSE_FORMATS)}")
    shape = small.get("shape")
    if shape is None or shape.dtype.kind not in "iu" or shape.ndim != 1:
        raise CheckpointError(f"{path}: has no readable shape (shape.npy); is it scipy.sparse.save_npz output?")
    if shape.size != 2:
        raise CheckpointError(
            f"{path}: holds a {shape.size}-D sparse array of shape {tuple(shape.tolist())}; a layer is a 2-D n_in x n_out "
            "matrix"
        )
    r, c = (int(x) for x in shape)
    if r <= 0 or c <= 0:
        raise CheckpointError(f"{path}: has shape {r} x {c}; every layer needs at least one unit on each side")
    unpacked = sum(info.file_size for info in members.values())
    most = 16 * (r * c + r + c) + (1 << 16)
    if unpacked > most:
        raise CheckpointError(
            f"{path}: its members unpack to {unpacked:,} bytes, more than a {r} x {c} sparse matrix can need "
            f"({most:,}); a damaged file or a zip bomb"
        )
    return (r, c), st.st_size


def _read_layer_matrix(path):
    """The float32 matrix of one layer file (CSC if stored so, else CSR), a 2-D ``scipy.sparse`` matrix, checked first.

    :func:`_layer_header` has checked the file and its size; here the matrix is loaded, its
    index structure checked, and entries listed twice refused (scipy would add them up).
    """

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            m = sp.load_npz(path)
            if m.format in ("csr", "csc", "bsr"):  # indices checked before any C++ code uses them
                m.check_format(full_check=True)
    except Exception as exc:  # ValueError, KeyError, IndexError, TypeError... on a damaged matrix
        reason = error_reason(exc)
        raise CheckpointError(f"{path}: is a damaged scipy.sparse matrix ({reason})") from None
    if m.ndim != 2:
        raise CheckpointError(
            f"{path}: holds a {m.ndim}-D sparse array of shape {tuple(m.shape)}; a layer is a 2-D n_in x n_out matrix"
        )
    if m.dtype.kind != "f":  # complex, integer, bool: nothing is silently dropped or rounded
        raise CheckpointError(f"{path}: has dtype {m.dtype}, expected real floating point weights")
    if m.dtype.itemsize < 4:  # float16: exact in float32
        m = m.astype(np.float32)
    if m.format in ("csr", "csc"):  # scipy checks "sorted, each entry once" in C, without copies
        if not m.has_canonical_format:
            m.sort_indices()
        if not m.has_canonical_format:  # sorted, so an entry is stored twice
            _refuse_duplicates(path, m)
    else:
        _refuse_duplicates(path, m)
    kind = sp.csc_array if m.format == "csc" else sp.csr_array  # CSC as it is: the block's rows, no transpose
    m = kind(m)  # no entry twice (refused above), so nothing is summed
    bad = m.data.size - np.count_nonzero(np.isfinite(m.data))
    if bad:
        raise CheckpointError(f"{path}: holds {bad} non-finite values (nan or inf)")
    with np.errstate(over="ignore"):
        values = m.data.astype(np.float32, copy=False)
    if not np.isfinite(values).all():
        raise CheckpointError(f"{path}: holds values beyond the float32 range (largest {np.abs(m.data).max():.3g})")
    out = kind((values, m.indices, m.indptr), shape=m.shape)
    out.eliminate_zeros()  # a connection is a non-zero value (also after rounding to float32)
    out.sort_indices()
    return out


def _refuse_duplicates(path, m):
    """Refuse a matrix that stores an entry twice (scipy adds duplicates up: two weights for one connection)."""
    if m.format == "dia":  # scipy refuses repeated diagonals when it loads one
        return
    coo = m.tocoo()
    if coo.nnz < 2:
        return
    linear = coo.row.astype(np.int64) * np.int64(m.shape[1]) + coo.col.astype(np.int64)
    order = np.sort(linear)
    twice = np.flatnonzero(order[1:] == order[:-1])
    if twice.size:
        first = int(order[twice[0]])
        i, j = divmod(first, m.shape[1])
        raise CheckpointError(
            f"{path}: stores entry ({i}, {j}) more than once ({twice.size} repeated entries); scipy would add them "
            "up, so one connection would have several weights"
        )


def _read_sidecar(folder, prefix, n_layers):
    """What ``netgraph.json`` in a topology folder records, checked; None if there is none."""
    path = Path(folder) / TOPOLOGY_SIDECAR
    if not os.path.lexists(path):
        return None
    st = stat_input(path, error=CheckpointError)
    if not stat.S_ISREG(st.st_mode):
        raise CheckpointError(f"{path}: is {file_kind(st.st_mode)}, expected netgraph's JSON description of the folder")
    note_input(path)
    try:
        text = path.read_bytes()
    except OSError as exc:
        raise CheckpointError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    data = load_json(text, str(path))
    if not isinstance(data, dict) or data.get("format") != _SIDECAR_TAG:
        raise CheckpointError(
            f'{path}: is not netgraph\'s description of a topology folder (no "format": "{_SIDECAR_TAG}"); '
            "remove or rename it"
        )
    if data.get("format_version") != 1:
        raise CheckpointError(
            f"{path}: format_version {data.get('format_version')!r} is unknown (this netgraph reads 1); upgrade netgraph"
        )
    if data.get("prefix") != prefix or data.get("layers") != n_layers:
        raise CheckpointError(
            f"{path}: describes {data.get('layers')!r} layers named {data.get('prefix')!r}_l<N>.npz, but the folder "
            f"holds {n_layers} named {prefix!r}_l<N>.npz (a stale description? remove it)"
        )
    for key, ok, expected in (
        ("bias_row", isinstance(data.get("bias_row"), bool), "true or false"),
        ("activation", data.get("activation") in ACTIVATIONS, f"one of {', '.join(ACTIVATIONS)}"),
        ("meta", isinstance(data.get("meta"), dict), "a JSON object"),
        ("files", isinstance(data.get("files", {}), dict), "an object of layer file digests"),
    ):
        if not ok:
            raise CheckpointError(f"{path}: {key!r} is {data.get(key)!r:.60}, expected {expected}")
    return data
