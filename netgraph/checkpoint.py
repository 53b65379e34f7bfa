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
  their layers are put in natural order (``fc2`` before ``fc10``, ``0`` before ``10``).

Without a mask, a connection exists where the weight is non-zero. Missing biases are 0.
Loading never executes code from the file: ``.pt`` files are read with
``torch.load(weights_only=True)``, so a whole pickled module (``torch.save(model)``) or any
pickle that would run code is refused before anything in it runs.
"""

import json
import pickle
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from torch import nn

from ._io import atomic_write
from ._version import __version__
from .errors import CheckpointError, ParameterError
from .model import ACTIVATIONS, SparseMLP

__all__ = ["Checkpoint", "save_checkpoint", "load_checkpoint", "as_checkpoint"]

FORMAT = "netgraph-checkpoint"
FORMAT_VERSION = 1
_JSON_HEADER_KEYS = ("format_version", "layer_sizes", "has_bias")
_WRAPPER_KEYS = ("state_dict", "model_state_dict", "model", "net", "network")
_ACTIVATION_MODULES = {
    nn.ReLU: "relu",
    nn.Tanh: "tanh",
    nn.Sigmoid: "sigmoid",
    nn.GELU: "gelu",
    nn.SiLU: "silu",
    nn.LeakyReLU: "leaky_relu",
    nn.Identity: "identity",
}


@dataclass(frozen=True, eq=False)
class Checkpoint:
    """The weights, masks and metadata of a layered feedforward network.

    Attributes
    ----------
    layer_sizes : tuple of int
        Widths from inputs to outputs.
    weights : tuple of numpy.ndarray
        ``weights[l]`` has shape ``(layer_sizes[l+1], layer_sizes[l])`` (out x in), float32,
        zero wherever the mask is False.
    biases : tuple of numpy.ndarray
        ``biases[l]`` has shape ``(layer_sizes[l+1],)``; zeros when the file had none.
    masks : tuple of numpy.ndarray of bool
        Which connections exist (a present connection may have weight 0).
    activation : str
        Activation between layers. Foreign state_dicts do not record it: ``"relu"`` is then
        assumed and ``meta["activation_assumed"]`` is True.
    has_bias : bool
        Whether the network has bias parameters.
    meta : dict
        JSON-safe metadata (seed, dataset, method, epoch, metrics, netgraph_version, ...).
    source : str or None
        The file it was read from.
    source_format : str
        ``"netgraph"``, ``"state_dict"``, ``"torch-prune"``, or either with ``"safetensors:"``
        in front.
    train_state : dict or None
        Optimizer and random-generator state saved by the trainer for ``--resume``.
    """

    layer_sizes: tuple
    weights: tuple
    biases: tuple
    masks: tuple
    activation: str = "relu"
    has_bias: bool = True
    meta: dict = field(default_factory=dict)
    source: str | None = None
    source_format: str = "netgraph"
    train_state: dict | None = field(default=None, repr=False)

    def n_connections(self, *, layer=None):
        """Number of present connections, in total or of layer ``layer``."""
        if layer is None:
            return sum(int(m.sum()) for m in self.masks)
        return int(self.masks[layer].sum())

    def density(self, *, layer=None):
        """Fraction of possible connections present, in total or of layer ``layer``."""
        if layer is None:
            return self.n_connections() / sum(m.size for m in self.masks)
        return self.n_connections(layer=layer) / self.masks[layer].size

    def to_model(self):
        """Build the :class:`~netgraph.SparseMLP` this checkpoint describes.

        Returns
        -------
        SparseMLP
        """
        model = SparseMLP(
            self.layer_sizes,
            activation=self.activation,
            bias=self.has_bias,
            masks=[torch.from_numpy(np.asarray(m, dtype=bool)) for m in self.masks],
        )
        with torch.no_grad():
            for layer, w, b in zip(model.layers, self.weights, self.biases):
                layer.weight.copy_(torch.from_numpy(np.asarray(w, dtype=np.float32)))
                if layer.bias is not None:
                    layer.bias.copy_(torch.from_numpy(np.asarray(b, dtype=np.float32)))
        return model.apply_masks_()

    @classmethod
    def from_model(cls, model, *, meta=None, train_state=None):
        """Take a snapshot of a :class:`~netgraph.SparseMLP` (arrays are copies).

        Parameters
        ----------
        model : SparseMLP
        meta : dict, optional
            JSON-safe metadata to record.
        train_state : dict, optional
            Trainer state to keep alongside (see :attr:`train_state`).

        Returns
        -------
        Checkpoint
        """
        if not isinstance(model, SparseMLP):
            raise ParameterError(f"model is a {type(model).__name__}, expected a SparseMLP")
        weights, biases, masks = [], [], []
        for layer in model.layers:
            m = layer.mask.detach().cpu()
            masks.append(m.numpy().copy())
            weights.append((layer.weight.detach().cpu() * m).to(torch.float32).numpy().copy())
            if layer.bias is None:
                biases.append(np.zeros(layer.out_features, dtype=np.float32))
            else:
                biases.append(layer.bias.detach().cpu().to(torch.float32).numpy().copy())
        return cls(
            layer_sizes=model.layer_sizes,
            weights=tuple(weights),
            biases=tuple(biases),
            masks=tuple(masks),
            activation=model.activation,
            has_bias=model.has_bias,
            meta=_check_meta(meta),
            train_state=train_state,
        )


def save_checkpoint(model, path, *, meta=None, train_state=None):
    """Write a network to ``path`` atomically.

    The file is first written beside ``path`` and then renamed onto it, so an interrupted
    save never leaves a half-written file at ``path`` (an older file there stays intact).
    Masks are stored explicitly, so a present connection of weight 0 survives the round trip.
    A path ending in ``.safetensors`` is written in that format (without ``train_state``);
    anything else is a ``torch.save`` file that :func:`load_checkpoint` reads with
    ``weights_only=True``.

    Parameters
    ----------
    model : SparseMLP or Checkpoint
        The network.
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

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "net.pt"
    >>> _ = save_checkpoint(SparseMLP([2, 3, 1]), p, meta={"seed": 0})
    >>> ckpt = load_checkpoint(p)
    >>> ckpt.layer_sizes, ckpt.meta["seed"], ckpt.n_connections()
    ((2, 3, 1), 0, 9)
    """
    if isinstance(model, SparseMLP):
        ckpt = Checkpoint.from_model(model)
    elif isinstance(model, Checkpoint):
        ckpt = model
    else:
        raise ParameterError(f"model is a {type(model).__name__}, expected a SparseMLP or Checkpoint")
    full_meta = {**ckpt.meta, **_check_meta(meta), "netgraph_version": __version__}
    if train_state is None:
        train_state = ckpt.train_state
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    weights = [torch.from_numpy(np.ascontiguousarray(w, dtype=np.float32)) for w in ckpt.weights]
    biases = [torch.from_numpy(np.ascontiguousarray(b, dtype=np.float32)) for b in ckpt.biases]
    masks = [torch.from_numpy(np.ascontiguousarray(m, dtype=bool)) for m in ckpt.masks]
    header = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "layer_sizes": list(ckpt.layer_sizes),
        "activation": ckpt.activation,
        "has_bias": bool(ckpt.has_bias),
        "meta_json": json.dumps(full_meta, sort_keys=True),
    }
    if path.suffix == ".safetensors":
        if train_state is not None:
            raise ParameterError("train_state cannot be stored in a .safetensors file; use a .pt path")
        from safetensors.torch import save as st_save

        tensors = {}
        for l, (w, b, m) in enumerate(zip(weights, biases, masks)):
            tensors[f"layers.{l}.weight"] = w
            tensors[f"layers.{l}.bias"] = b
            tensors[f"layers.{l}.mask"] = m
        metadata = {k: json.dumps(v) if k in _JSON_HEADER_KEYS else v for k, v in header.items()}
        data = st_save(tensors, metadata=metadata)
        with atomic_write(path) as f:
            f.write(data)
        return path
    payload = {**header, "weights": weights, "biases": biases, "masks": masks}
    if train_state is not None:
        payload["train_state"] = train_state
    with atomic_write(path) as f:
        torch.save(payload, f)
    return path


def load_checkpoint(path, *, activation=None):
    """Read a checkpoint file without executing any code from it.

    Parameters
    ----------
    path : str or Path
        A netgraph checkpoint, a ``state_dict`` saved with ``torch.save`` (plain, wrapped in
        ``{"state_dict": ...}``, or pruned with ``torch.nn.utils.prune``), or a
        ``.safetensors`` file with the same keys.
    activation : str, optional
        Activation to use where the file does not record one (foreign state_dicts);
        default ``"relu"``.

    Returns
    -------
    Checkpoint

    Raises
    ------
    CheckpointError
        If the file is missing, a directory, empty, truncated or corrupt, text, a pickled
        module (``torch.save(model)``) or other pickled code, or does not describe a chain of
        Linear layers. The message names the file and the problem.

    See Also
    --------
    save_checkpoint, as_checkpoint

    Examples
    --------
    >>> import tempfile, pathlib, torch
    >>> seq = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.ReLU(), torch.nn.Linear(3, 2))
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "seq.pt"
    >>> torch.save(seq.state_dict(), p)
    >>> ckpt = load_checkpoint(p)
    >>> ckpt.layer_sizes, ckpt.source_format, ckpt.meta["activation_assumed"]
    ((4, 3, 2), 'state_dict', True)
    """
    path = Path(path)
    if activation is not None:
        _check_activation(activation)
    if not path.exists():
        raise CheckpointError(f"{path}: no such file")
    if path.is_dir():
        raise CheckpointError(f"{path}: is a directory, expected a checkpoint file")
    try:
        size = path.stat().st_size
        with open(path, "rb") as f:
            head = f.read(64)
    except OSError as exc:
        raise CheckpointError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    if size == 0:
        raise CheckpointError(f"{path}: is empty (0 bytes)")
    if _looks_like_safetensors(head, size):
        return _load_safetensors(path, activation)
    if not (head.startswith(b"PK\x03\x04") or head[:1] == b"\x80"):
        if _looks_like_text(head):
            raise CheckpointError(f"{path}: is a text file, not a checkpoint")
        raise CheckpointError(f"{path}: is not a PyTorch or safetensors checkpoint (unrecognised header)")
    obj = _torch_load(path)
    return _from_object(obj, source=str(path), activation=activation, path_label=str(path))


def as_checkpoint(source, *, activation=None):
    """Turn anything netgraph accepts as a network into a :class:`Checkpoint`.

    Parameters
    ----------
    source : str, Path, Checkpoint, SparseMLP, torch.nn.Module or Mapping
        A file, a checkpoint, a model (an ``nn.Sequential`` of Linear and activation layers,
        or any module whose state_dict is a chain of Linear layers) or a state_dict.
    activation : str, optional
        Activation to assume where ``source`` does not tell.

    Returns
    -------
    Checkpoint

    Raises
    ------
    CheckpointError
        If ``source`` is not a layered feedforward network.
    """
    if isinstance(source, Checkpoint):
        return source
    if isinstance(source, (str, Path)):
        return load_checkpoint(source, activation=activation)
    if isinstance(source, SparseMLP):
        return Checkpoint.from_model(source)
    if isinstance(source, nn.Module):
        found = activation or _module_activation(source)
        ckpt = _from_state_dict(
            source.state_dict(), source=None, activation=found, label=type(source).__name__
        )
        return ckpt
    if isinstance(source, Mapping):
        return _from_object(source, source=None, activation=activation, path_label="state_dict")
    raise CheckpointError(
        f"source is a {type(source).__name__}; expected a path, Checkpoint, nn.Module or state_dict"
    )


# --------------------------------------------------------------------------- helpers


def _check_meta(meta):
    if meta is None:
        return {}
    if not isinstance(meta, Mapping):
        raise ParameterError(f"meta is a {type(meta).__name__}, expected a dict")
    try:
        return json.loads(json.dumps(dict(meta)))
    except (TypeError, ValueError) as exc:
        raise ParameterError(f"meta must be JSON-serialisable: {exc}") from None


def _check_activation(activation):
    if activation not in ACTIVATIONS:
        valid = ", ".join(repr(a) for a in ACTIVATIONS)
        raise ParameterError(f"activation={activation!r} is not valid; expected one of {valid}")
    return activation


def _module_activation(module):
    names = {_ACTIVATION_MODULES[type(m)] for m in module.modules() if type(m) in _ACTIVATION_MODULES}
    return names.pop() if len(names) == 1 else None


def _looks_like_safetensors(head, size):
    if len(head) < 10:
        return False
    n = int.from_bytes(head[:8], "little")
    return head[8:9] == b"{" and 0 < n <= size - 8


def _looks_like_text(head):
    try:
        head.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return all(c >= 32 or c in (9, 10, 13) for c in head)


def _torch_load(path):
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as exc:
        msg = str(exc)
        found = re.search(r"GLOBAL ([\w.]+)", msg) or re.search(r"global[:\s]+'?([\w.]+)", msg)
        what = f" ({found.group(1)})" if found else ""
        raise CheckpointError(
            f"{path}: holds pickled Python objects{what}, e.g. a whole model saved with "
            "torch.save(model); netgraph never runs code from a file. Save the weights instead: "
            "torch.save(model.state_dict(), path)"
        ) from None
    except Exception as exc:  # torch raises RuntimeError, EOFError, ValueError... on damage
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise CheckpointError(
            f"{path}: cannot be read as a PyTorch checkpoint (truncated or corrupt?): {reason}"
        ) from None


def _load_safetensors(path, activation):
    from safetensors import SafetensorError
    from safetensors.torch import load as st_load

    data = path.read_bytes()
    try:
        tensors = st_load(data)
        n = int.from_bytes(data[:8], "little")
        metadata = json.loads(data[8 : 8 + n]).get("__metadata__") or {}
    except (SafetensorError, ValueError, RuntimeError) as exc:
        raise CheckpointError(f"{path}: cannot be read as safetensors (truncated or corrupt?): {exc}") from None
    if metadata.get("format") == FORMAT:
        try:
            header = {k: (json.loads(v) if k in _JSON_HEADER_KEYS else v) for k, v in metadata.items()}
            n_layers = len(header["layer_sizes"]) - 1
            obj = {
                **header,
                "weights": [tensors[f"layers.{l}.weight"] for l in range(n_layers)],
                "biases": [tensors[f"layers.{l}.bias"] for l in range(n_layers)],
                "masks": [tensors[f"layers.{l}.mask"] for l in range(n_layers)],
            }
        except (KeyError, ValueError, TypeError) as exc:
            raise CheckpointError(f"{path}: netgraph safetensors file is incomplete: missing {exc}") from None
        ckpt = _from_native(obj, source=str(path), label=str(path))
    else:
        # safetensors stores keys sorted as strings: restore layer order with a natural sort
        ordered = {k: tensors[k] for k in sorted(tensors, key=_natural_key)}
        ckpt = _from_state_dict(ordered, source=str(path), activation=activation, label=str(path))
    fmt = f"safetensors:{ckpt.source_format}"
    return Checkpoint(**{**ckpt.__dict__, "source_format": fmt})


def _natural_key(key):
    """Sort key that orders ``fc2`` before ``fc10`` and ``layers.2`` before ``layers.10``."""
    return [(0, int(part), "") if part.isdigit() else (1, 0, part) for part in re.split(r"(\d+)", key)]


def _from_object(obj, *, source, activation, path_label):
    if isinstance(obj, Mapping) and obj.get("format") == FORMAT:
        return _from_native(obj, source=source, label=path_label)
    if isinstance(obj, Mapping):
        if obj and not all(isinstance(v, torch.Tensor) for v in obj.values()):
            for key in _WRAPPER_KEYS:
                inner = obj.get(key)
                if isinstance(inner, Mapping) and inner and all(isinstance(v, torch.Tensor) for v in inner.values()):
                    ckpt = _from_state_dict(inner, source=source, activation=activation, label=path_label)
                    return Checkpoint(**{**ckpt.__dict__, "meta": {**ckpt.meta, "state_dict_key": key}})
        return _from_state_dict(obj, source=source, activation=activation, label=path_label)
    raise CheckpointError(
        f"{path_label}: holds a {type(obj).__name__}, expected a state_dict (a dict of tensors)"
    )


def _from_native(obj, *, source, label):
    try:
        version = int(obj["format_version"])
        if version > FORMAT_VERSION:
            raise CheckpointError(
                f"{label}: checkpoint format version {version} is newer than this netgraph "
                f"understands ({FORMAT_VERSION}); upgrade netgraph"
            )
        sizes = tuple(int(s) for s in obj["layer_sizes"])
        meta = json.loads(obj["meta_json"])
        weights = tuple(t.to(torch.float32).numpy() for t in obj["weights"])
        biases = tuple(t.to(torch.float32).numpy() for t in obj["biases"])
        masks = tuple(t.to(torch.bool).numpy() for t in obj["masks"])
        activation = obj["activation"]
        has_bias = bool(obj["has_bias"])
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise CheckpointError(f"{label}: netgraph checkpoint is incomplete or damaged: {exc!r}") from None
    n = len(sizes) - 1
    if not (len(weights) == len(biases) == len(masks) == n):
        raise CheckpointError(f"{label}: netgraph checkpoint has {len(weights)} weight tensors for {n} layers")
    for l in range(n):
        expect = (sizes[l + 1], sizes[l])
        if weights[l].shape != expect or masks[l].shape != expect or biases[l].shape != expect[:1]:
            raise CheckpointError(
                f"{label}: layer {l} has weight {weights[l].shape}, mask {masks[l].shape}, "
                f"bias {biases[l].shape}; expected {expect}"
            )
    return Checkpoint(
        layer_sizes=sizes,
        weights=weights,
        biases=biases,
        masks=masks,
        activation=activation,
        has_bias=has_bias,
        meta=meta,
        source=source,
        source_format="netgraph",
        train_state=obj.get("train_state"),
    )


_SUFFIXES = ("weight_orig", "weight_mask", "bias_orig", "bias_mask", "weight", "bias", "mask")


def _from_state_dict(sd, *, source, activation, label):
    if not sd:
        raise CheckpointError(f"{label}: the state_dict is empty; expected Linear layer weights")
    layers = {}  # prefix -> {suffix: tensor}, in order of first weight appearance
    order = []
    unexpected = []
    for key, value in sd.items():
        prefix, _, suffix = key.rpartition(".")
        if suffix not in _SUFFIXES:
            unexpected.append(key)
            continue
        if not isinstance(value, torch.Tensor):
            raise CheckpointError(f"{label}: {key} is a {type(value).__name__}, expected a tensor")
        if suffix in ("weight", "weight_orig") and prefix not in order:
            order.append(prefix)
        layers.setdefault(prefix, {})[suffix] = value
    for prefix, parts in layers.items():
        if "weight" not in parts and "weight_orig" not in parts:
            unexpected.extend(f"{prefix}.{s}" if prefix else s for s in parts)
    if unexpected:
        shown = ", ".join(f"{k} {tuple(sd[k].shape) if isinstance(sd[k], torch.Tensor) else ''}".strip() for k in unexpected[:5])
        more = f" and {len(unexpected) - 5} more" if len(unexpected) > 5 else ""
        raise CheckpointError(
            f"{label}: not a feedforward MLP state_dict: keys that belong to no Linear layer: {shown}{more}"
        )
    weights, biases, masks = [], [], []
    pruned = False
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
        if not torch.is_floating_point(w):
            raise CheckpointError(f"{label}: {key} has dtype {w.dtype}, expected floating point")
        if m is not None and tuple(m.shape) != tuple(w.shape):
            raise CheckpointError(f"{label}: mask of {key} has shape {tuple(m.shape)}, expected {tuple(w.shape)}")
        w = w.detach().to(torch.float32)
        mask = (m != 0) if m is not None else (w != 0)
        weights.append((w * mask).numpy())
        masks.append(mask.numpy())
        if "bias_orig" in parts:
            b = parts["bias_orig"] * parts.get("bias_mask", torch.ones_like(parts["bias_orig"]))
        else:
            b = parts.get("bias")
        if b is None:
            b = torch.zeros(w.shape[0])
        if tuple(b.shape) != (w.shape[0],):
            raise CheckpointError(f"{label}: {name}bias has shape {tuple(b.shape)}, expected ({w.shape[0]},)")
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
        has_bias=True,
        meta=meta,
        source=source,
        source_format="torch-prune" if pruned else "state_dict",
    )


def _key(prefix):
    return f"{prefix}.weight" if prefix else "weight"
