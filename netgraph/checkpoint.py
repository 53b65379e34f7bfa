"""Checkpoints of feedforward networks: safe loading, atomic saving, foreign formats.

A :class:`Checkpoint` is the plain data of a layered network: layer sizes, one weight
matrix (out x in), bias vector and boolean mask per layer, the activation and a JSON-safe
``meta`` dict (seed, dataset, method, epoch, metrics, netgraph version, ...).

:func:`load_checkpoint` reads

- netgraph's own files written by :func:`save_checkpoint` (``.pt`` or ``.safetensors``);
- a ``state_dict`` of a plain ``nn.Sequential`` of ``Linear`` and activation layers
  (``0.weight``, ``2.weight``, ...) or of a custom module with Linear layers named like
  ``fc1, fc2`` or ``layers.0, layers.1``: the 2-D ``*.weight`` tensors are taken in
  state_dict order and their shapes must chain (out of one = in of the next);
- a model pruned with ``torch.nn.utils.prune`` (``weight_orig`` + ``weight_mask``): the mask
  defines the edges, the weight is ``weight_orig * weight_mask``;
- ``.safetensors`` files with the same keys. safetensors stores keys in string order, so
  their layers are put in natural order (``fc2`` before ``fc10``, ``0`` before ``10``);
- a *topology folder*, as the code of SET (Mocanu et al. 2018) and NNSTD (Liu et al. 2020)
  saves a network: one ``scipy.sparse`` matrix per layer in ``<prefix>_l0.npz``,
  ``<prefix>_l1.npz``, ... (``scipy.sparse.save_npz``), each ``n_in x n_out`` (the transpose
  of ``nn.Linear.weight``), optionally with the biases as an extra last row. A connection is
  a non-zero entry. :func:`save_topology_folder` writes such folders (see
  :func:`load_checkpoint` for how the bias row is told apart).

netgraph's own files store present connections only (format version 2): per layer the
compressed sparse row (CSR) structure of its mask and the weights in that order, so a file
grows with the number of connections, not with the dense matrix. Version 1 files (dense
weight and mask per layer) still load. In memory a :class:`Checkpoint` holds dense arrays
whichever version it was read from.

Without a mask, a connection exists where the weight is non-zero. Missing biases are 0.
Loading never executes code from the file: ``.pt`` files are read with
``torch.load(weights_only=True)``, so a whole pickled module (``torch.save(model)``) or any
pickle that would run code is refused before anything in it runs.
"""

import hashlib
import io
import json
import math
import os
import pickle
import pickletools
import re
import stat
import warnings
import zipfile
from collections.abc import Mapping
from pathlib import Path
from xml.etree import ElementTree

import numpy as np
import scipy.sparse as sp
import torch
from torch import nn

from ._version import __version__
from .errors import CheckpointError, OutputError, ParameterError
from .fileio import (
    atomic_files,
    atomic_write,
    check_implied_size,
    error_reason,
    file_kind,
    load_json,
    note_input,
    stat_input,
)
from .model import ACTIVATIONS, SparseMLP
from .network import Checkpoint, _check_sizes, check_csr, csr_block, index_dtype, transpose

__all__ = [
    "Checkpoint",
    "save_checkpoint",
    "load_checkpoint",
    "as_checkpoint",
    "save_topology_folder",
    "TOPOLOGY_FORMAT",
]

FORMAT = "netgraph-checkpoint"
#: Version of the files :func:`save_checkpoint` writes: 1 stored dense weights and masks, 2 the
#: present connections only (CSR structure and values per layer). Both load.
FORMAT_VERSION = 2
_CSR_KEYS = ("crow", "col", "values", "bias")
_JSON_HEADER_KEYS = ("format_version", "layer_sizes", "has_bias")
_WRAPPER_KEYS = ("state_dict", "model_state_dict", "model", "net", "network")
#: ``source_format`` of a network read from a topology folder (SET / NNSTD layer matrices), and
#: the name of the format :func:`save_topology_folder` writes (``netgraph export --format set-npz``).
TOPOLOGY_FORMAT = "set-npz"
#: The file :func:`save_topology_folder` writes beside the layer matrices: the activation, the
#: metadata and whether the matrices hold a bias row, which the matrices themselves cannot say.
TOPOLOGY_SIDECAR = "netgraph.json"
_SIDECAR_TAG = "netgraph-topology-folder"
_LAYER_FILE = re.compile(r"(?P<prefix>.*)_l(?P<index>\d+)\.npz")
_EPOCH_FOLDER = re.compile(r"epoch[_-]?(\d+)", re.IGNORECASE)
_SPARSE_FORMATS = ("csr", "csc", "coo", "bsr", "dia")
_ACTIVATION_MODULES = {
    nn.ReLU: "relu",
    nn.Tanh: "tanh",
    nn.Sigmoid: "sigmoid",
    nn.GELU: "gelu",
    nn.SiLU: "silu",
    nn.LeakyReLU: "leaky_relu",
    nn.Identity: "identity",
}


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
    full_meta = {**ckpt.meta, **_check_meta(meta), "netgraph_version": __version__}
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
        metadata = {k: json.dumps(v) if k in _JSON_HEADER_KEYS else v for k, v in header.items()}
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


def load_checkpoint(path, *, activation=None, bias_row=None):
    """Read a checkpoint file or topology folder without executing any code from it.

    Parameters
    ----------
    path : str or Path
        A netgraph checkpoint (format version 2, or 1: the dense weights and masks netgraph
        wrote before), a ``state_dict`` saved with ``torch.save`` (plain, wrapped in
        ``{"state_dict": ...}``, or pruned with ``torch.nn.utils.prune``), a
        ``.safetensors`` file with the same keys, a file written by
        :func:`netgraph.export.export` (GraphML, GEXF, edge list or npz), recognised by its
        content, or a topology folder (see Notes).
    activation : str, optional
        Activation to use where the file does not record one (foreign state_dicts, topology
        folders); default ``"relu"``. A file that records its activation keeps it: another one
        asked for here is a ParameterError, never silently ignored.
    bias_row : bool, optional
        Topology folders only (other sources ignore it): True if the last row of every layer
        matrix holds the biases, False if none does. Default: told from the shapes (Notes).

    Returns
    -------
    Checkpoint

    Raises
    ------
    CheckpointError
        If the file is missing, a folder that is no topology folder or another non-regular
        file (a FIFO is refused at once, never opened), empty, truncated or corrupt, text, a
        pickled module (``torch.save(model)``), a pickled scikit-learn estimator or other
        pickled code, or does not describe a chain of Linear layers (see :class:`Checkpoint`
        for the checks). In a version 2 file, the index structure of every layer is checked
        before it is used: ``crow`` of ``n_out + 1`` integers that starts at 0, never
        decreases and ends at the number of values; ``col`` of one integer per value, each in
        ``[0, n_in)``, strictly increasing within a row; float ``values`` and ``bias`` of the
        right lengths. A topology folder is refused if it holds the layers of several networks
        (two prefixes), misses a layer file (``_l0``, ``_l1``, ... without gaps), holds a layer
        file that is not a 2-D ``scipy.sparse`` matrix of real floating-point values (a dense
        or damaged ``.npz``, complex or integer values, nan or inf), or if its shapes do not
        chain, or chain both with and without a bias row (Notes). The message names the file
        or folder and the problem.
    ParameterError
        If ``activation`` or ``bias_row`` is not a valid value, or ``activation`` differs from
        the one the file records.

    See Also
    --------
    save_checkpoint, as_checkpoint, save_topology_folder

    Notes
    -----
    A topology folder holds one network as the code of SET (Mocanu et al. 2018) and NNSTD
    (Liu et al. 2020) saves it: layer ``l`` in ``<prefix>_l<l>.npz``, a matrix written by
    ``scipy.sparse.save_npz`` of shape ``n_in x n_out`` (``M_l[i, j]`` is the weight of the
    connection from unit ``i`` to unit ``j`` of the next layer, so ``W_l = M_l.T`` in
    ``nn.Linear``'s out x in), or ``(n_in + 1) x n_out`` with the biases as the last row.
    Other files in the folder are ignored. A connection is a non-zero entry (an explicitly
    stored 0 is none), its weight the value (read as float32). With a bias row, the biases are
    its values and ``has_bias`` is True; without, ``has_bias`` is False.

    Whether the matrices carry a bias row is told from how their shapes ``(r_l, c_l)`` chain:
    without one ``r_{l+1} == c_l``, with one ``r_{l+1} == c_l + 1``, for every layer (a folder
    has a bias row in all its layers or in none). With two layers or more at most one reading
    fits; a single layer fits both, and a folder whose shapes fit neither is refused, either
    way naming the shapes and asking for ``bias_row``. A folder written by
    :func:`save_topology_folder` records it (with the activation and metadata) in
    ``netgraph.json``. ``meta`` is that metadata; for other folders it records
    ``source_format`` (``"set-npz"``), ``source_folder``, ``layer_prefix``, ``bias_row`` and
    ``activation_assumed``. A folder of ``epoch_<N>`` topology folders (one per epoch, as NNSTD
    keeps them) is one run, not one network: it is refused with the name of its last epoch
    (the netgraph commands take that one).

    Examples
    --------
    >>> import tempfile, pathlib, torch
    >>> seq = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.ReLU(), torch.nn.Linear(3, 2))
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "seq.pt"
    >>> torch.save(seq.state_dict(), p)
    >>> ckpt = load_checkpoint(p)
    >>> ckpt.layer_sizes, ckpt.source_format, ckpt.meta["activation_assumed"]
    ((4, 3, 2), 'state_dict', True)

    A topology folder of a 2-3-1 network with bias rows (3 x 3 = 2 inputs + biases, then 4 x 1):

    >>> import scipy.sparse as sp
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> sp.save_npz(d / "weight_l0.npz", sp.csr_matrix([[1.5, 0, 0.5], [0, -2, 0], [0.1, 0.2, -0.3]]))
    >>> sp.save_npz(d / "weight_l1.npz", sp.coo_matrix([[3.0], [0.0], [-1.0], [0.5]]))
    >>> ckpt = load_checkpoint(d)
    >>> ckpt.layer_sizes, ckpt.has_bias, ckpt.source_format, ckpt.n_connections()
    ((2, 3, 1), True, 'set-npz', 5)
    >>> ckpt.weights[0].tolist(), ckpt.biases[1].tolist()
    ([[1.5, 0.0], [0.0, -2.0], [0.5, 0.0]], [0.5])
    """
    path = Path(path)
    if activation is not None:
        _check_activation(activation)
    if bias_row is not None and not isinstance(bias_row, (bool, np.bool_)):
        raise ParameterError(f"bias_row={bias_row!r} is not valid; expected True, False or None (tell from the shapes)")
    return _with_activation(_load(path, activation, bias_row), activation)


def _load(path, activation, bias_row):
    """The body of :func:`load_checkpoint` (its arguments checked)."""
    st = stat_input(path, error=CheckpointError, missing="no such file")
    if stat.S_ISDIR(st.st_mode):
        return _load_topology_folder(path, activation=activation, bias_row=bias_row)
    size, head = _check_readable(path)
    note_input(path)
    kind = _sniff(path, head, size)
    if kind == "safetensors":
        return _load_safetensors(path, activation, size)
    if kind == "npz" and _is_sparse_npz(path):
        m = _LAYER_FILE.fullmatch(path.name)
        where = f"{path.parent} (with the other {m['prefix']}_l*.npz files)" if m else "the folder of all its layers"
        raise CheckpointError(
            f"{path}: holds one scipy.sparse matrix, one layer of a SET/NNSTD topology folder; "
            f"pass {where} to read the network"
        )
    if kind in ("graphml", "gexf", "npz", "edgelist"):
        from .export import read_export

        return read_export(path, kind)
    if kind == "text":
        raise CheckpointError(f"{path}: is a text file, not a checkpoint")
    if kind is None:
        raise CheckpointError(f"{path}: is not a PyTorch or safetensors checkpoint (unrecognised header)")
    obj = _torch_load(path)
    return _from_object(obj, source=str(path), activation=activation, path_label=str(path), nbytes=size)


def as_checkpoint(source, *, activation=None):
    """Turn anything netgraph accepts as a network into a :class:`Checkpoint`.

    Parameters
    ----------
    source : str, Path, Checkpoint, SparseMLP, torch.nn.Module, Mapping or sklearn MLP
        A file or topology folder (see :func:`load_checkpoint`), a checkpoint, a model (an
        ``nn.Sequential`` of Linear and activation layers, or any module whose state_dict is a
        chain of Linear layers), a state_dict, or a fitted
        :class:`sklearn.neural_network.MLPClassifier` / ``MLPRegressor``.
    activation : str, optional
        Activation to assume where ``source`` does not tell.

    Returns
    -------
    Checkpoint

    Raises
    ------
    CheckpointError
        If ``source`` is not a layered feedforward network.

    Notes
    -----
    A scikit-learn MLP becomes the network of its ``coefs_`` (in x out, transposed to
    out x in) and ``intercepts_``, with a connection wherever a weight is non-zero (as for
    other foreign networks without masks). Its hidden activation maps to netgraph's
    (``"logistic"`` is ``"sigmoid"``); the output activation (``out_activation_``, softmax for
    a classifier) is not part of the network's logits and is recorded in
    ``meta["sklearn_out_activation"]``.

    Examples
    --------
    >>> from sklearn.neural_network import MLPClassifier
    >>> clf = MLPClassifier(hidden_layer_sizes=(5,), max_iter=5, random_state=0)
    >>> import warnings
    >>> with warnings.catch_warnings():  # 5 iterations do not converge: silence that warning
    ...     warnings.simplefilter("ignore")
    ...     clf = clf.fit([[0.0, 1.0], [1.0, 0.0], [1.0, 1.0]], [0, 1, 1])
    >>> ckpt = as_checkpoint(clf)
    >>> ckpt.layer_sizes, ckpt.activation, ckpt.source_format
    ((2, 5, 1), 'relu', 'sklearn')
    """
    if activation is not None:
        _check_activation(activation)
    if isinstance(source, (str, Path)):
        return load_checkpoint(source, activation=activation)
    if isinstance(source, Checkpoint):
        ckpt = source
    elif isinstance(source, SparseMLP):
        ckpt = Checkpoint.from_model(source)
    elif _is_sklearn_mlp(source):
        ckpt = _from_sklearn(source, activation)
    elif isinstance(source, nn.Module):
        found = _module_activation(source)
        sd = source.state_dict()
        ckpt = _from_state_dict(sd, source=None, activation=found, label=type(source).__name__, nbytes=_held_bytes(sd))
    elif isinstance(source, Mapping):
        ckpt = _from_object(source, source=None, activation=None, path_label="state_dict", nbytes=_held_bytes(source))
    else:
        raise CheckpointError(
            f"source is a {type(source).__name__}; expected a path, Checkpoint, nn.Module or state_dict"
        )
    return _with_activation(ckpt, activation)


def _with_activation(ckpt, activation):
    """``ckpt`` with ``activation`` where it records none (``meta["activation_assumed"]``).

    A network that records its activation keeps it: asking for another one is an error, never
    silently ignored.
    """
    if activation is None or activation == ckpt.activation and not ckpt.meta.get("activation_assumed"):
        return ckpt
    if ckpt.meta.get("activation_assumed"):
        meta = {**ckpt.meta, "activation_assumed": False}
        return ckpt.replace(activation=activation, meta=meta)
    where = ckpt.source or "the network"
    raise ParameterError(
        f"activation={activation!r}: {where} records its activation, {ckpt.activation!r}; activation= applies only "
        "to networks that record none (foreign state_dicts, topology folders)"
    )


# --------------------------------------------------------------------------- helpers


def _check_meta(meta):
    if meta is None:
        return {}
    if not isinstance(meta, Mapping):
        raise ParameterError(f"meta is a {type(meta).__name__}, expected a dict")
    try:
        text = json.dumps(dict(meta))
    except RecursionError:
        raise ParameterError("meta nests too deeply to be stored as JSON") from None
    except (TypeError, ValueError) as exc:
        raise ParameterError(f"meta must be JSON-serialisable: {exc}") from None
    # what load_checkpoint would refuse (nesting deeper than MAX_JSON_DEPTH) is refused here already
    return load_json(text, "meta", error=ParameterError)


def _check_activation(activation):
    if activation not in ACTIVATIONS:
        valid = ", ".join(repr(a) for a in ACTIVATIONS)
        raise ParameterError(f"activation={activation!r} is not valid; expected one of {valid}")
    return activation


# modules that compute nothing at inference (dropout) or nothing at all; they add nothing to the graph
_PASSIVE_MODULES = (nn.Dropout, nn.AlphaDropout, nn.Identity)
_CONTAINERS = (nn.Sequential, nn.ModuleList, nn.ModuleDict)


def _activation_name(m):
    """The netgraph activation a module computes exactly, or None (another function, or other parameters)."""
    name = _ACTIVATION_MODULES.get(type(m))
    if name == "leaky_relu" and m.negative_slope != 0.01:  # netgraph's leaky_relu has torch's default slope
        return None
    if name == "gelu" and getattr(m, "approximate", "none") != "none":
        return None
    return name


def _describe(path, m):
    return f"{path or 'the module'} ({m!r})" if len(repr(m)) <= 60 else f"{path or 'the module'} ({type(m).__name__})"


def _module_activation(module):
    """The activation between the Linear layers of ``module``; None where it shows none (a custom forward).

    Every submodule must be a Linear layer, an activation netgraph computes exactly, a dropout
    or an identity (or a container of those); anything else (a normalisation, ELU, Softmax, a
    LeakyReLU of another slope) changes what the network computes in a way the graph would not
    show, and is refused. In an ``nn.Sequential`` the order is known: one activation between
    consecutive Linear layers, the same everywhere, none after the last.
    """
    leaves = []
    for path, m in module.named_modules():
        if list(m.children()):  # a container, or a custom block: what it computes is in its leaves
            continue
        if isinstance(m, nn.Linear) or isinstance(m, _PASSIVE_MODULES):
            leaves.append((path, m, None))
            continue
        name = _activation_name(m)
        if name is None:
            what = (
                f"{type(m).__name__} computes what netgraph's activations ({', '.join(ACTIVATIONS)}) do not"
                if type(m) not in _ACTIVATION_MODULES
                else f"netgraph's {_ACTIVATION_MODULES[type(m)]} has torch's default parameters"
            )
            raise CheckpointError(
                f"{type(module).__name__}: {_describe(path, m)} is refused: {what}, so the graph would compute "
                "something else; netgraph reads chains of nn.Linear layers with one activation between them"
            )
        leaves.append((path, m, name))
    names = {name for _, _, name in leaves if name is not None}
    if len(names) > 1:
        raise CheckpointError(
            f"{type(module).__name__}: mixes activations ({', '.join(sorted(names))}); a netgraph network uses one "
            "activation between all its layers"
        )
    if not isinstance(module, nn.Sequential):
        return names.pop() if names else None
    kinds = [("linear" if isinstance(m, nn.Linear) else "act" if name else "passive", path) for path, m, name in leaves]
    kinds = [(k, path) for k, path in kinds if k != "passive"]
    linears = [i for i, (k, _) in enumerate(kinds) if k == "linear"]
    if not linears:
        return names.pop() if names else None
    after = [path for k, path in kinds[linears[-1] + 1 :]]
    if after:
        raise CheckpointError(
            f"{type(module).__name__}: {after[0]} comes after the last Linear layer; a netgraph network ends in raw "
            "scores (leave the output activation out)"
        )
    gaps = [sum(1 for k, _ in kinds[a + 1 : b] if k == "act") for a, b in zip(linears, linears[1:])]
    if any(g > 1 for g in gaps):
        raise CheckpointError(
            f"{type(module).__name__}: two activations in a row between Linear layers; netgraph applies one"
        )
    if gaps and len(set(gaps)) > 1:
        raise CheckpointError(
            f"{type(module).__name__}: an activation between some Linear layers but not others; a netgraph network "
            "applies the same activation between every two layers"
        )
    if gaps and gaps[0] == 0:
        return "identity"
    return names.pop() if names else None


def _held_bytes(sd):
    """Bytes a state_dict's tensors really hold (storages; a sparse tensor's indices and values)."""
    total = 0
    for t in sd.values() if isinstance(sd, Mapping) else ():
        if isinstance(t, Mapping):
            total += _held_bytes(t)
            continue
        if not isinstance(t, torch.Tensor) or t.device.type == "meta":
            continue
        if t.layout == torch.sparse_coo:
            total += t._indices().nbytes + t._values().nbytes
        elif t.layout in (torch.sparse_csr, torch.sparse_bsr):
            total += t.crow_indices().nbytes + t.col_indices().nbytes + t.values().nbytes
        elif t.layout in (torch.sparse_csc, torch.sparse_bsc):
            total += t.ccol_indices().nbytes + t.row_indices().nbytes + t.values().nbytes
        else:
            total += t.untyped_storage().nbytes()
    return int(total)


def _check_readable(path):
    """Size and first bytes of a regular file; refuse anything else without opening it."""
    st = stat_input(path, error=CheckpointError, missing="no such file")
    if stat.S_ISDIR(st.st_mode):
        raise CheckpointError(f"{path}: is a directory, expected a checkpoint file")
    if not stat.S_ISREG(st.st_mode):  # opening a FIFO would block until someone writes to it
        raise CheckpointError(f"{path}: is {file_kind(st.st_mode)}, expected a checkpoint file")
    if st.st_size == 0:
        raise CheckpointError(f"{path}: is empty (0 bytes)")
    try:
        with open(path, "rb") as f:
            head = f.read(512)
    except OSError as exc:
        raise CheckpointError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    return st.st_size, head


def _sniff(path, head, size):
    """The format of a file from its content: "safetensors", "torch", "npz", "graphml",
    "gexf", "edgelist", "text" or None (unknown)."""
    if _looks_like_safetensors(head, size):
        return "safetensors"
    if head.startswith(b"PK\x03\x04"):  # a zip: torch.save's archive or numpy's npz
        try:
            with zipfile.ZipFile(path) as z:
                names = z.namelist()
        except (zipfile.BadZipFile, OSError, ValueError):
            return "torch"  # let torch report the damage
        if names and all(n.endswith(".npy") for n in names):
            return "npz"
        return "torch"
    if head[:1] == b"\x80":
        return "torch"
    if not _looks_like_text(head):
        return None
    text = head.decode("utf-8", errors="replace").lstrip("\ufeff \t\r\n")
    if text.startswith("<"):
        root = _xml_root(path)
        if root in ("graphml", "gexf"):
            return root
    if text.startswith("# netgraph edge list"):
        return "edgelist"
    return "text"


def _xml_root(path, limit=1 << 20):
    """The local name of the root element of an XML file (``"graphml"``, ``"gexf"``, ...), or None.

    Reads until the root element starts (comments, processing instructions, a DOCTYPE may come
    first), at most ``limit`` bytes; nothing after the root's start tag is parsed.
    """
    parser = ElementTree.XMLPullParser(events=("start",))
    try:
        with open(path, "rb") as f:
            read = 0
            while read < limit:
                chunk = f.read(min(1 << 16, limit - read))
                if not chunk:
                    break
                read += len(chunk)
                parser.feed(chunk)
                for _, elem in parser.read_events():
                    return elem.tag.rsplit("}", 1)[-1]
    except (ElementTree.ParseError, OSError, ValueError):
        return None
    return None


def _looks_like_safetensors(head, size):
    if len(head) < 10:
        return False
    n = int.from_bytes(head[:8], "little")
    return head[8:9] == b"{" and 0 < n <= size - 8


def _looks_like_text(head):
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 3:  # not just a character cut at the end of the sample
            return False
    return all(c >= 32 or c in (9, 10, 13) for c in head)


def _torch_load(path):
    # sparse tensors are checked on load (indices within bounds), so nothing malformed reaches
    # to_dense(); torch's own warnings (beta sparse layouts, pickle protocols) are not ours to show
    try:
        with torch.sparse.check_sparse_tensor_invariants(), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError:
        raise CheckpointError(f"{path}: {_pickle_advice(path)}") from None
    except Exception as exc:  # torch raises RuntimeError, EOFError, ValueError... on damage
        reason = error_reason(exc)
        raise CheckpointError(
            f"{path}: cannot be read as a PyTorch checkpoint (truncated or corrupt?): {reason}"
        ) from None


def _pickle_globals(path, limit=1 << 26):
    """Names (``module.qualname``) of the Python objects a pickle would import, found by reading
    its opcodes with :mod:`pickletools` (which never runs them). Empty if it cannot be read."""
    try:
        if zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as z:
                member = next((n for n in z.namelist() if n.endswith("data.pkl")), None)
                if member is None or z.getinfo(member).file_size > limit:
                    return []
                data = z.read(member)
        else:
            with open(path, "rb") as f:
                data = f.read(limit)
    except (OSError, zipfile.BadZipFile, ValueError):
        return []
    found, strings = [], []
    try:
        for op, arg, _ in pickletools.genops(data):
            if op.name in ("SHORT_BINUNICODE", "BINUNICODE", "UNICODE", "BINUNICODE8"):
                strings = (strings + [arg])[-2:]
            elif op.name == "GLOBAL":
                found.append(str(arg).replace(" ", "."))
            elif op.name == "STACK_GLOBAL" and len(strings) == 2:
                found.append(".".join(strings))
    except Exception:  # a damaged pickle: keep what was read so far
        pass
    return list(dict.fromkeys(found))


def _pickle_advice(path):
    """Why a pickle is refused and what to do instead, by what it would import."""
    names = [n for n in _pickle_globals(path) if not n.startswith(("torch._utils.", "collections.OrderedDict"))]
    sklearn = [n for n in names if n.startswith("sklearn.")]
    if sklearn:
        return (
            f"holds a pickled scikit-learn object ({sklearn[0]}); netgraph never unpickles code from a "
            "file. If you trust the file, load it in Python (joblib.load or pickle.load) and convert the "
            "fitted MLPClassifier/MLPRegressor: netgraph.save_checkpoint(netgraph.as_checkpoint(clf), "
            "'net.pt') writes a checkpoint every netgraph command reads (netgraph.to_graph(clf) gives "
            "its graph directly)"
        )
    what = f" ({names[0]})" if names else ""
    return (
        f"holds pickled Python objects{what}, e.g. a whole model saved with "
        "torch.save(model); netgraph never runs code from a file. Save the weights instead: "
        "torch.save(model.state_dict(), path)"
    )


def _dense(t, key, label):
    """A strided (dense) float tensor for ``t``; sparse layouts are checked and densified."""
    if t.layout == torch.strided:
        return t
    try:
        with torch.sparse.check_sparse_tensor_invariants(), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if t.layout == torch.sparse_coo:
                t = torch.sparse_coo_tensor(t._indices(), t._values(), t.shape)
            else:  # compressed layouts: rebuilt with the invariants checked
                row = t.layout in (torch.sparse_csr, torch.sparse_bsr)
                compressed = t.crow_indices() if row else t.ccol_indices()
                plain = t.col_indices() if row else t.row_indices()
                t = torch.sparse_compressed_tensor(compressed, plain, t.values(), t.shape, layout=t.layout)
            return t.to_dense()
    except (RuntimeError, ValueError, TypeError) as exc:
        reason = error_reason(exc)
        raise CheckpointError(f"{label}: {key} is a damaged sparse tensor ({reason})") from None


def _is_sklearn_mlp(obj):
    module = type(obj).__module__ or ""
    return module.startswith("sklearn.neural_network") and hasattr(type(obj), "predict")


_SKLEARN_ACTIVATIONS = {"relu": "relu", "tanh": "tanh", "logistic": "sigmoid", "identity": "identity"}


def _from_sklearn(model, activation):
    name = type(model).__name__
    coefs, intercepts = getattr(model, "coefs_", None), getattr(model, "intercepts_", None)
    if coefs is None or intercepts is None:
        raise CheckpointError(f"{name} is not fitted (no coefs_): call fit() first")
    act = activation or _SKLEARN_ACTIVATIONS.get(getattr(model, "activation", None))
    if act is None:
        raise CheckpointError(f"{name}: activation {model.activation!r} has no netgraph equivalent; pass activation=")
    sd = {}
    for l, (w, b) in enumerate(zip(coefs, intercepts)):
        sd[f"coefs_{l}.weight"] = torch.as_tensor(np.asarray(w, dtype=np.float32).T.copy())
        sd[f"coefs_{l}.bias"] = torch.as_tensor(np.asarray(b, dtype=np.float32))
    ckpt = _from_state_dict(sd, source=None, activation=act, label=name, nbytes=_held_bytes(sd))
    meta = {
        "activation_assumed": False,
        "sklearn_class": f"{type(model).__module__}.{name}",
        "sklearn_out_activation": getattr(model, "out_activation_", None),
    }
    return ckpt.replace(meta=meta, source_format="sklearn")


def _load_safetensors(path, activation, nbytes):
    from safetensors import SafetensorError
    from safetensors.torch import load as st_load

    data = path.read_bytes()
    try:
        tensors = st_load(data)
        n = int.from_bytes(data[:8], "little")
        metadata = load_json(data[8 : 8 + n], path, field="the header").get("__metadata__") or {}
    except (SafetensorError, ValueError, RuntimeError, AttributeError) as exc:
        reason = str(exc).removeprefix(f"{path}: ")
        raise CheckpointError(f"{path}: cannot be read as safetensors (truncated or corrupt?): {reason}") from None
    if not isinstance(metadata, dict):
        raise CheckpointError(f"{path}: safetensors __metadata__ is a {type(metadata).__name__}, expected an object")
    if metadata.get("format") == FORMAT:
        try:
            header = {
                k: (load_json(v, path, field=f"metadata {k!r}") if k in _JSON_HEADER_KEYS else v)
                for k, v in metadata.items()
            }
            version = header.get("format_version")
            obj = dict(header)  # an unknown or newer version: _from_native says so
            if version == 1:
                n_layers = len(header["layer_sizes"]) - 1
                for key, stem in (("weights", "weight"), ("biases", "bias"), ("masks", "mask")):
                    obj[key] = [tensors[f"layers.{l}.{stem}"] for l in range(n_layers)]
            elif version == FORMAT_VERSION:
                n_layers = len(header["layer_sizes"]) - 1
                obj["layers"] = [{k: tensors[f"layers.{l}.{k}"] for k in _CSR_KEYS} for l in range(n_layers)]
        except KeyError as exc:
            raise CheckpointError(f"{path}: netgraph safetensors file is incomplete: missing {exc}") from None
        except CheckpointError:
            raise
        except (ValueError, TypeError) as exc:
            raise CheckpointError(f"{path}: netgraph safetensors header is damaged ({exc})") from None
        ckpt = _from_native(obj, source=str(path), label=str(path), nbytes=nbytes)
    else:
        # safetensors stores keys sorted as strings: restore layer order with a natural sort
        ordered = {k: tensors[k] for k in sorted(tensors, key=_natural_key)}
        ckpt = _from_state_dict(ordered, source=str(path), activation=activation, label=str(path), nbytes=nbytes)
    fmt = f"safetensors:{ckpt.source_format}"
    return ckpt.replace(source_format=fmt)


def _natural_key(key):
    """Sort key that orders ``fc2`` before ``fc10`` and ``layers.2`` before ``layers.10``."""
    return [(0, int(part), "") if part.isdigit() else (1, 0, part) for part in re.split(r"(\d+)", key)]


def _from_object(obj, *, source, activation, path_label, nbytes):
    if isinstance(obj, Mapping) and obj.get("format") == FORMAT:
        return _from_native(obj, source=source, label=path_label, nbytes=nbytes)
    if isinstance(obj, Mapping):
        if obj and not all(isinstance(v, torch.Tensor) for v in obj.values()):
            for key in _WRAPPER_KEYS:
                inner = obj.get(key)
                if isinstance(inner, Mapping) and inner and all(isinstance(v, torch.Tensor) for v in inner.values()):
                    ckpt = _from_state_dict(
                        inner, source=source, activation=activation, label=path_label, nbytes=nbytes
                    )
                    return ckpt.replace(meta={**ckpt.meta, "state_dict_key": key})
        return _from_state_dict(obj, source=source, activation=activation, label=path_label, nbytes=nbytes)
    raise CheckpointError(f"{path_label}: holds a {type(obj).__name__}, expected a state_dict (a dict of tensors)")


def _from_native(obj, *, source, label, nbytes):
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
    sizes = _check_sizes(tuple(sizes), label)
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
    return _state_tensor(t, name, label)


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
        for key in _CSR_KEYS:
            if key not in layer:
                raise CheckpointError(f"{label}: layers[{l}] lacks {key!r} (damaged file?)")
        layer = {key: _check_tensor(layer[key], f"layers[{l}].{key}", label, ndim=1) for key in _CSR_KEYS}
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


_SUFFIXES = ("weight_orig", "weight_mask", "bias_orig", "bias_mask", "weight", "bias", "mask")


def _state_tensor(t, key, label):
    """``t`` detached, on the CPU, real data: tensors on the meta device (shapes without values) are refused."""
    if t.device.type == "meta":
        raise CheckpointError(
            f"{label}: {key} is a tensor on the meta device (a shape without values, e.g. saved from a model "
            "built with device='meta'); save the weights of a materialised model"
        )
    return t.detach().cpu() if t.device.type != "cpu" else t.detach()


def _implied_by_state_dict(sd, label, nbytes):
    """Check the dense size a state_dict's tensor shapes imply against the bytes it holds (before any is densified)."""
    elements = units = 0
    for value in sd.values():
        if isinstance(value, torch.Tensor):
            elements += math.prod(value.shape)
            if value.dim() == 2:
                units += value.shape[0] + value.shape[1]
    check_implied_size(label, elements=elements, units=units, nbytes=nbytes)


def _check_mask_values(m, key, label):
    """A mask holds 0 and 1 only (bool, or numbers exactly 0 or 1): 0.5 or nan is no connection state."""
    if m.dtype == torch.bool:
        return m
    if m.is_complex():
        raise CheckpointError(f"{label}: {key} has dtype {m.dtype}, expected 0/1 values")
    bad = ~((m == 0) | (m == 1))
    n = int(bad.sum())
    if n:
        first = m[bad].flatten()[0].item()
        raise CheckpointError(
            f"{label}: {key} holds {n} values that are neither 0 nor 1 (e.g. {first!r}); a mask says for each "
            "connection whether it exists"
        )
    return m != 0


def _from_state_dict(sd, *, source, activation, label, nbytes):
    if not sd:
        raise CheckpointError(f"{label}: the state_dict is empty; expected Linear layer weights")
    odd = [k for k in sd if not isinstance(k, str)]
    if odd:
        raise CheckpointError(
            f"{label}: the state_dict has a key {odd[0]!r} of type {type(odd[0]).__name__}; state_dict keys are "
            "names such as '0.weight'"
        )
    layers = {}  # prefix -> {suffix: tensor}, in order of first weight appearance
    order = []
    unexpected = []
    checked = False
    for key, value in sd.items():
        prefix, _, suffix = key.rpartition(".")
        if suffix not in _SUFFIXES:
            unexpected.append(key)
            continue
        if not isinstance(value, torch.Tensor):
            raise CheckpointError(f"{label}: {key} is a {type(value).__name__}, expected a tensor")
        if not checked:  # every shape, before anything is densified or copied
            _implied_by_state_dict(sd, label, nbytes)
            checked = True
        value = _dense(_state_tensor(value, key, label), key, label)
        if suffix in ("weight", "weight_orig") and prefix not in order:
            order.append(prefix)
        layers.setdefault(prefix, {})[suffix] = value
    for prefix, parts in layers.items():
        if "weight" not in parts and "weight_orig" not in parts:
            unexpected.extend(f"{prefix}.{s}" if prefix else s for s in parts)
    if unexpected:
        shown = ", ".join(
            f"{k} {tuple(sd[k].shape) if isinstance(sd[k], torch.Tensor) else ''}".strip() for k in unexpected[:5]
        )
        more = f" and {len(unexpected) - 5} more" if len(unexpected) > 5 else ""
        raise CheckpointError(
            f"{label}: not a feedforward MLP state_dict: keys that belong to no Linear layer: {shown}{more}"
        )
    weights, biases, masks = [], [], []
    pruned = has_bias = False
    for prefix in order:
        parts = layers[prefix]
        name = f"{prefix}." if prefix else ""
        if "weight_orig" in parts:
            if "weight_mask" not in parts:
                raise CheckpointError(f"{label}: {name}weight_orig has no matching {name}weight_mask")
            pruned = True
            w, m = parts["weight_orig"], parts["weight_mask"]
            key = f"{name}weight_orig"
        else:
            w, m = parts["weight"], parts.get("mask", parts.get("weight_mask"))
            key = f"{name}weight"
        if w.ndim != 2:
            kind = " (a convolution?)" if w.ndim == 4 else " (a normalisation layer?)" if w.ndim == 1 else ""
            raise CheckpointError(
                f"{label}: {key} has shape {tuple(w.shape)}{kind}; netgraph reads 2-D Linear weights (out x in) only"
            )
        if not torch.is_floating_point(w):  # complex or int: nothing is silently dropped or rounded
            raise CheckpointError(f"{label}: {key} has dtype {w.dtype}, expected real floating point")
        if m is not None and tuple(m.shape) != tuple(w.shape):
            raise CheckpointError(f"{label}: mask of {key} has shape {tuple(m.shape)}, expected {tuple(w.shape)}")
        w = w.detach().to(torch.float32)
        mask_key = f"{name}weight_mask" if "weight_mask" in parts else f"{name}mask"
        mask = _check_mask_values(m, mask_key, label) if m is not None else (w != 0)
        weights.append((w * mask).numpy())
        masks.append(mask.numpy())
        if "bias_orig" in parts:
            b = parts["bias_orig"]
            if "bias_mask" in parts:
                bm = parts["bias_mask"]
                if tuple(bm.shape) != tuple(b.shape):
                    raise CheckpointError(
                        f"{label}: {name}bias_mask has shape {tuple(bm.shape)}, expected {tuple(b.shape)} "
                        f"(that of {name}bias_orig)"
                    )
                b = b * _check_mask_values(bm, f"{name}bias_mask", label)
        else:
            if "bias_mask" in parts:
                raise CheckpointError(f"{label}: {name}bias_mask has no matching {name}bias_orig")
            b = parts.get("bias")
        if b is None:
            b = torch.zeros(w.shape[0])
        else:
            has_bias = True
        if tuple(b.shape) != (w.shape[0],):
            raise CheckpointError(f"{label}: {name}bias has shape {tuple(b.shape)}, expected ({w.shape[0]},)")
        if not torch.is_floating_point(b):
            raise CheckpointError(f"{label}: {name}bias has dtype {b.dtype}, expected real floating point")
        biases.append(b.detach().to(torch.float32).numpy())
    for l in range(1, len(weights)):
        if weights[l].shape[1] != weights[l - 1].shape[0]:
            raise CheckpointError(
                f"{label}: layer shapes do not chain: {_key(order[l - 1])} is {weights[l - 1].shape} "
                f"but {_key(order[l])} is {weights[l].shape} (its in-features must equal "
                f"{weights[l - 1].shape[0]})"
            )
    sizes = (weights[0].shape[1],) + tuple(w.shape[0] for w in weights)
    meta = {"activation_assumed": activation is None}
    return Checkpoint(
        layer_sizes=tuple(int(s) for s in sizes),
        weights=tuple(weights),
        biases=tuple(biases),
        masks=tuple(masks),
        activation=activation or "relu",
        has_bias=has_bias,
        meta=meta,
        source=source,
        source_format="torch-prune" if pruned else "state_dict",
    )


def _key(prefix):
    return f"{prefix}.weight" if prefix else "weight"


# --------------------------------------------------------------------------- topology folders


def save_topology_folder(model, folder, *, prefix="weight", meta=None):
    """Write a network as a topology folder: one ``scipy.sparse`` matrix per layer (SET / NNSTD).

    Layer ``l`` goes to ``folder/<prefix>_l<l>.npz`` (``scipy.sparse.save_npz`` of a CSR
    matrix), of shape ``n_in x n_out`` (``M_l[i, j] = W_l[j, i]``, the transpose of
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
    >>> import tempfile, pathlib, scipy.sparse as sp
    >>> from netgraph import SparseMLP
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
        or _LAYER_FILE.fullmatch(f"{prefix}_l0.npz")["prefix"] != prefix
    ):
        raise ParameterError(f"prefix={prefix!r} is not valid; expected a non-empty file-name part such as 'weight'")
    full_meta = {**ckpt.meta, **_check_meta(meta), "netgraph_version": __version__}
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
    others = [name for files in _layer_files(folder).values() for _, name in files if name not in names]
    if others:
        shown = ", ".join(others[:3]) + (f" and {len(others) - 3} more" if len(others) > 3 else "")
        raise OutputError(
            f"{folder} already holds {shown}: layer files of another network, which would be read with these. "
            "Choose a new or empty folder (netgraph never deletes files)"
        )
    layer_bytes = {}
    for name, block, b in zip(names, ckpt.blocks, ckpt.biases):
        m = transpose(block).astype(np.float32)  # out x in -> n_in x n_out, as SET stores it
        if ckpt.has_bias:
            m = sp.vstack([m, sp.csr_array(np.asarray(b, dtype=np.float32)[None, :])], format="csr")
        m = sp.csr_matrix(m)
        m.eliminate_zeros()  # zeros are not stored: the format marks a connection by its value
        m.sort_indices()
        buf = io.BytesIO()
        sp.save_npz(buf, m)
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


def _layer_files(folder):
    """``{prefix: [(index, name), ...]}`` of the ``<prefix>_l<N>.npz`` entries directly in ``folder``.

    Names only: nothing is opened. Hidden names (starting with ``.``) are left out. Empty when
    there are none or the folder cannot be listed.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> for name in ("weight_l1.npz", "weight_l0.npz", "testacc.txt"):
    ...     _ = (d / name).write_bytes(b"")
    >>> _layer_files(d)
    {'weight': [(0, 'weight_l0.npz'), (1, 'weight_l1.npz')]}
    """
    try:
        names = os.listdir(folder)
    except OSError:
        return {}
    found = {}
    for name in names:
        m = None if name.startswith(".") else _LAYER_FILE.fullmatch(name)  # hidden files (._x of macOS) aside
        if m:
            found.setdefault(m["prefix"], []).append((int(m["index"]), name))
    return {prefix: sorted(files) for prefix, files in sorted(found.items())}


def _epoch_folders(folder):
    """``[(epoch, path), ...]``, by epoch: the subfolders named ``epoch_<N>`` (also ``epoch-<N>``,
    ``epoch<N>``) that hold layer files, as NNSTD keeps one topology folder per epoch."""
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return []
    found = []
    for entry in entries:
        m = _EPOCH_FOLDER.fullmatch(entry.name)
        if m and entry.is_dir() and _layer_files(entry.path):
            found.append((int(m[1]), Path(entry.path)))
    return sorted(found, key=lambda item: (item[0], item[1].name))


def _is_sparse_npz(path):
    """Whether an npz file holds a ``scipy.sparse.save_npz`` matrix (by its member names)."""
    try:
        with zipfile.ZipFile(path) as z:
            names = set(z.namelist())
    except (zipfile.BadZipFile, OSError, ValueError):
        return False
    return {"format.npy", "shape.npy", "data.npy"} <= names and "layer_sizes.npy" not in names


def _load_topology_folder(folder, *, activation, bias_row):
    """The :class:`Checkpoint` of a topology folder (see :func:`load_checkpoint`, Notes)."""
    found = _layer_files(folder)
    if not found:
        epochs = _epoch_folders(folder)
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
        n_rows, n_out = m.shape
        if bias_row:  # the last row holds the biases: split it off the CSR arrays
            cut = int(m.indptr[-2])
            last = np.zeros(n_out, dtype=np.float32)
            last[m.indices[cut:]] = m.data[cut:]
            biases.append(last)
            m = sp.csr_array((m.data[:cut], m.indices[:cut], m.indptr[:-1]), shape=(n_rows - 1, n_out))
        else:
            biases.append(np.zeros(n_out, dtype=np.float32))
        blocks.append(transpose(m))  # n_in x n_out, as SET stores it -> out x in, as nn.Linear
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
    """The dense float32 values of one layer file, a 2-D ``scipy.sparse`` matrix, checked first.

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
    m = sp.csr_array(m)  # no entry twice (refused above), so nothing is summed
    bad = m.data.size - np.count_nonzero(np.isfinite(m.data))
    if bad:
        raise CheckpointError(f"{path}: holds {bad} non-finite values (nan or inf)")
    with np.errstate(over="ignore"):
        values = m.data.astype(np.float32, copy=False)
    if not np.isfinite(values).all():
        raise CheckpointError(f"{path}: holds values beyond the float32 range (largest {np.abs(m.data).max():.3g})")
    out = sp.csr_array((values, m.indices, m.indptr), shape=m.shape)
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
