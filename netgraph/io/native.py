"""netgraph's own checkpoint format: what :func:`save_checkpoint` writes (``.pt`` or ``.safetensors``).

Format version 2 stores present connections only: per layer the compressed sparse row (CSR)
structure of its mask and the weights in that order, so a file grows with the number of
connections, not with the dense matrix; it is read straight into CSR blocks, with every index
checked before it is used. Version 1 files (dense weight and mask per layer) still load.
"""

import json
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import torch

from .._version import __version__
from ..errors import CheckpointError, ParameterError
from ..fileio import atomic_write, check_implied_size, load_json
from ..network import Checkpoint, check_csr, check_meta, check_sizes, csr_block, index_dtype
from ..nn.model import SparseMLP
from .state_dict import state_tensor

__all__ = ["FORMAT", "FORMAT_VERSION", "CSR_KEYS", "JSON_HEADER_KEYS", "save_checkpoint", "from_native", "is_native"]


FORMAT = "netgraph-checkpoint"
#: Version of the files :func:`save_checkpoint` writes: 1 stored dense weights and masks, 2 the
#: present connections only (CSR structure and values per layer). Both load.
FORMAT_VERSION = 2
#: The arrays of a layer in a format-2 file, and the header fields a safetensors file stores as JSON text.
CSR_KEYS = ("crow", "col", "values", "bias")
JSON_HEADER_KEYS = ("format_version", "layer_sizes", "has_bias")


def save_checkpoint(model, path, *, meta=None, train_state=None):
    """Write a network to ``path`` atomically, storing its present connections only.

    The file is first written beside ``path`` and then renamed onto it, so an interrupted
    save never leaves a half-written file at ``path`` (an older file there stays intact).
    A path ending in ``.safetensors`` is written in that format (without ``train_state``);
    anything else is a ``torch.save`` file that :func:`load_checkpoint` reads with
    ``weights_only=True``.

    The file (format version 2) holds, for each layer ``l``, the compressed sparse row (CSR)
    form of its connections: ``crow`` (``n_out + 1`` offsets: the connections into unit ``j``
    of the layer after are entries ``crow[j]:crow[j+1]``), ``col`` (``nnz`` source units,
    strictly increasing within each row), ``values`` (``nnz`` float32 weights) and ``bias``
    (``n_out`` float32). Indices are int32 where they fit (``nnz`` and the layer's input width
    below 2^31), int64 otherwise. A ``.pt`` file keeps them as a list ``layers`` of dicts with
    those keys, a ``.safetensors`` file as tensors ``layers.{l}.crow``, ``layers.{l}.col``, ...
    The structure is explicit, so a present connection of weight 0 survives the round trip.
    Beside them: ``format`` (``"netgraph-checkpoint"``), ``format_version``,
    ``layer_sizes``, ``activation``, ``has_bias``, ``meta_json`` and, in ``.pt`` files, the
    ``train_state`` given, stored as it is.

    Parameters
    ----------
    model : SparseMLP or Checkpoint
        The network, of either backend.
    path : str or Path
        Destination file. Missing parent directories are created.
    meta : dict, optional
        JSON-safe metadata, merged over the checkpoint's own; ``netgraph_version`` is added.
    train_state : dict, optional
        Optimizer / RNG state for resuming training (tensors, numbers, strings, lists, dicts).

    Returns
    -------
    pathlib.Path
        The path written.

    Raises
    ------
    ParameterError
        If ``meta`` is not JSON-serialisable or ``model`` is not a network.
    CheckpointError
        If the network is one :func:`load_checkpoint` would refuse (e.g. non-finite weights;
        see :class:`Checkpoint`); nothing is written then.
    OutputError
        If ``path`` (or the target of a link there) exists and is not a regular file.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from netgraph import SparseMLP, load_checkpoint
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "net.pt"
    >>> _ = save_checkpoint(SparseMLP([2, 3, 1]), p, meta={"seed": 0})
    >>> ckpt = load_checkpoint(p)
    >>> ckpt.layer_sizes, ckpt.meta["seed"], ckpt.n_connections()
    ((2, 3, 1), 0, 9)
    >>> obj = torch.load(p, weights_only=True)
    >>> obj["format_version"], sorted(obj["layers"][0]), obj["layers"][0]["crow"].tolist()
    (2, ['bias', 'col', 'crow', 'values'], [0, 2, 4, 6])
    >>> obj["layers"][0]["col"].dtype, obj["layers"][0]["values"].dtype
    (torch.int32, torch.float32)
    """
    if isinstance(model, SparseMLP):
        try:
            ckpt = Checkpoint.from_model(model)
        except CheckpointError as exc:  # e.g. weights that diverged to nan
            raise CheckpointError(f"{path}: not saved: {str(exc).removeprefix('network: ')}") from None
    elif isinstance(model, Checkpoint):
        ckpt = model
    else:
        raise ParameterError(f"model is a {type(model).__name__}, expected a SparseMLP or Checkpoint")
    full_meta = {**ckpt.meta, **check_meta(meta), "netgraph_version": __version__}
    if train_state is None:
        train_state = ckpt.train_state
    path = Path(path)
    if path.suffix == ".safetensors" and train_state is not None:
        raise ParameterError("train_state cannot be stored in a .safetensors file; use a .pt path")
    path.parent.mkdir(parents=True, exist_ok=True)
    layers = [_csr_layer(block, b) for block, b in zip(ckpt.blocks, ckpt.biases)]
    header = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "layer_sizes": list(ckpt.layer_sizes),
        "activation": ckpt.activation,
        "has_bias": bool(ckpt.has_bias),
        "meta_json": json.dumps(full_meta, sort_keys=True),
    }
    if path.suffix == ".safetensors":
        from safetensors.torch import save as st_save

        tensors = {f"layers.{l}.{key}": t for l, layer in enumerate(layers) for key, t in layer.items()}
        metadata = {k: json.dumps(v) if k in JSON_HEADER_KEYS else v for k, v in header.items()}
        data = st_save(tensors, metadata=metadata)
        with atomic_write(path) as f:
            f.write(data)
        return path
    payload = {**header, "layers": layers}
    if train_state is not None:
        payload["train_state"] = train_state
    with atomic_write(path) as f:
        torch.save(payload, f)
    return path


def _csr_layer(block, bias):
    """The stored form of one layer: its CSR structure, the weights in that order, the bias."""
    index = index_dtype(block.nnz, block.shape[1])
    return {
        "crow": torch.from_numpy(np.ascontiguousarray(block.indptr, dtype=index)),
        "col": torch.from_numpy(np.ascontiguousarray(block.indices, dtype=index)),
        "values": torch.from_numpy(np.ascontiguousarray(block.data, dtype=np.float32)),
        "bias": torch.from_numpy(np.ascontiguousarray(bias, dtype=np.float32)),
    }


def is_native(obj):
    """Whether an object read from a file is a netgraph checkpoint (its ``format`` entry)."""
    return isinstance(obj, Mapping) and obj.get("format") == FORMAT


def from_native(obj, *, source, label, nbytes):
    """The network of a netgraph checkpoint's contents (a ``.pt`` file's dict, or a safetensors file's header
    and tensors); every field and index checked before it is used."""

    def need(key, types, what):
        if key not in obj:
            raise CheckpointError(f"{label}: netgraph checkpoint lacks {key!r} (damaged file?)")
        value = obj[key]
        if not isinstance(value, types) or isinstance(value, bool) and bool not in types:
            raise CheckpointError(f"{label}: {key!r} is {value!r:.60}, expected {what}")
        return value

    version = need("format_version", (int,), "an int")
    if version > FORMAT_VERSION:
        raise CheckpointError(
            f"{label}: checkpoint format version {version} is newer than this netgraph "
            f"understands ({FORMAT_VERSION}); upgrade netgraph"
        )
    if version < 1:
        raise CheckpointError(f"{label}: checkpoint format version {version} is unknown (netgraph writes 1 and up)")
    sizes = need("layer_sizes", (list, tuple), "a list of ints")
    if not all(isinstance(x, int) and not isinstance(x, bool) for x in sizes):
        raise CheckpointError(f"{label}: 'layer_sizes' is {sizes!r:.60}, expected a list of ints")
    meta = load_json(need("meta_json", (str,), "a JSON string"), label, field="'meta_json'")
    activation = need("activation", (str,), "an activation name")
    has_bias = need("has_bias", (bool,), "True or False")
    sizes = check_sizes(tuple(sizes), label)
    check_implied_size(label, elements=_dense_elements(sizes), units=sum(sizes), nbytes=nbytes)
    if version == 1:
        arrays = _dense_arrays(obj, need, label, sizes)
    else:
        arrays = _csr_arrays(need("layers", (list, tuple), "a list of per-layer dicts"), sizes, label)
    return Checkpoint(
        layer_sizes=tuple(sizes),
        activation=activation,
        has_bias=has_bias,
        meta=meta,
        source=source,
        source_format="netgraph",
        train_state=obj.get("train_state"),
        **arrays,
    )


def _dense_elements(sizes):
    """Elements of a network's dense weight matrices: the sum of ``n_in * n_out`` over its layers."""
    return sum(int(a) * int(b) for a, b in zip(sizes, sizes[1:]))


def _dense_arrays(obj, need, label, sizes):
    """Weights, biases and masks of a version 1 file: dense tensors per layer, shapes checked before any copy."""
    arrays = {}
    for key, kind in (("weights", "float"), ("biases", "float"), ("masks", "bool")):
        tensors = need(key, (list, tuple), "a list of tensors")
        if len(tensors) != len(sizes) - 1:
            raise CheckpointError(f"{label}: {len(tensors)} {key} for {len(sizes) - 1} layers of {list(sizes)}")
        out = []
        for l, t in enumerate(tensors):
            name = f"{key}[{l}]"
            t = _check_tensor(t, name, label)
            shape = (sizes[l + 1],) if key == "biases" else (sizes[l + 1], sizes[l])
            if tuple(t.shape) != shape:
                what = {"weights": "weight", "biases": "bias", "masks": "mask"}[key]
                raise CheckpointError(f"{label}: layer {l} {what} has shape {tuple(t.shape)}, expected {shape}")
            if kind == "bool" and t.dtype != torch.bool:
                raise CheckpointError(f"{label}: {name} has dtype {t.dtype}, expected torch.bool")
            if kind == "float" and not t.is_floating_point():  # complex, int: nothing is silently dropped
                raise CheckpointError(f"{label}: {name} has dtype {t.dtype}, expected real floating point")
            out.append(t.numpy() if kind == "bool" else t.to(torch.float32).numpy())
        arrays[key] = tuple(out)
    return arrays


def _check_tensor(t, name, label, *, ndim=None):
    """``t`` detached on the CPU if it is a dense tensor (of ``ndim`` dimensions) with values; else CheckpointError."""
    if not isinstance(t, torch.Tensor):
        raise CheckpointError(f"{label}: {name} is a {type(t).__name__}, expected a tensor")
    if t.layout != torch.strided:
        raise CheckpointError(f"{label}: {name} is a {t.layout} tensor; netgraph checkpoints store dense tensors")
    if ndim is not None and t.dim() != ndim:
        raise CheckpointError(f"{label}: {name} has shape {tuple(t.shape)}, expected {ndim} dimension")
    return state_tensor(t, name, label)


def _csr_arrays(layers, sizes, label):
    """The blocks and biases of a version 2 file, its CSR layers checked first (no dense copy).

    Every index is checked with numpy before it is used: ``crow`` starts at 0, never decreases
    and ends at the number of values; every ``col`` lies in ``[0, n_in)`` and increases strictly
    within its row (:func:`netgraph.network.check_csr`). A damaged index raises CheckpointError,
    never reaches a sparse or tensor operation.
    """
    n = len(sizes) - 1
    if len(layers) != n:
        raise CheckpointError(f"{label}: 'layers' holds {len(layers)} layers, expected {n} for {list(sizes)}")
    blocks, biases = [], []
    for l, layer in enumerate(layers):
        n_in, n_out = sizes[l], sizes[l + 1]
        if not isinstance(layer, Mapping):
            raise CheckpointError(f"{label}: layers[{l}] is a {type(layer).__name__}, expected a dict of tensors")
        for key in CSR_KEYS:
            if key not in layer:
                raise CheckpointError(f"{label}: layers[{l}] lacks {key!r} (damaged file?)")
        layer = {key: _check_tensor(layer[key], f"layers[{l}].{key}", label, ndim=1) for key in CSR_KEYS}
        for key in ("values", "bias"):
            if not layer[key].is_floating_point():  # complex, int: nothing is silently dropped
                raise CheckpointError(
                    f"{label}: layers[{l}].{key} has dtype {layer[key].dtype}, expected real floating point"
                )
        for key in ("crow", "col"):
            t = layer[key]
            if t.is_floating_point() or t.is_complex() or t.dtype == torch.bool:
                raise CheckpointError(f"{label}: layers[{l}].{key} has dtype {t.dtype}, expected an integer dtype")
        nnz = layer["values"].numel()
        if nnz > n_in * n_out:
            raise CheckpointError(
                f"{label}: layers[{l}].values has {nnz:,} entries, more than the {n_in * n_out:,} connections a "
                f"{n_out} x {n_in} layer can have"
            )
        for key, expect in (("crow", n_out + 1), ("col", nnz), ("bias", n_out)):
            if layer[key].numel() != expect:
                why = {"crow": f"n_out + 1 for {n_out} units", "col": "one per value", "bias": "one per unit"}[key]
                raise CheckpointError(
                    f"{label}: layers[{l}].{key} has {layer[key].numel()} entries, expected {expect} ({why})"
                )
        crow, col = layer["crow"].numpy(), layer["col"].numpy()
        check_csr(crow, col, nnz, n_out, n_in, f"{label}: layers[{l}]")
        values = layer["values"].to(torch.float32).numpy()
        bad = values.size - np.count_nonzero(np.isfinite(values))
        if bad:
            raise CheckpointError(f"{label}: layer {l} has {bad} non-finite weights (nan or inf)")
        blocks.append(csr_block(crow, col, values, (n_out, n_in)))
        biases.append(layer["bias"].to(torch.float32).numpy())
    return {"blocks": tuple(blocks), "biases": tuple(biases)}
