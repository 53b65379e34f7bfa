"""Checkpoints of sparse convolutional networks (:mod:`netgraph.nn.conv`): ``netgraph train --arch``.

A :class:`~netgraph.network.Checkpoint` holds a chain of Linear layers; a convolutional
network's checkpoint is a ``torch.save`` file of one dict, read back with
``torch.load(weights_only=True)`` (no code runs)::

    {"format": "netgraph-cnn-checkpoint", "version": 1,
     "arch": "lenet5", "arch_options": {...}, "image_shape": [C, H, W], "n_classes": K,
     "state_dict": {...},   # the module's: weights, kernel-element masks, BatchNorm statistics
     "meta": {...},         # JSON-safe: seed, epoch, metrics, params (as a netgraph checkpoint's)
     "train_state": {...}}  # epoch checkpoints: what resuming needs (optimizer, random streams)

:func:`is_cnn_checkpoint` tells such a file without torch (its pickle names the format);
:func:`load_cnn_checkpoint` gives a :class:`CNNCheckpoint`, whose :meth:`~CNNCheckpoint.to_model`
rebuilds the network. The channel-level graph of one is
:func:`netgraph.channels.channel_network` of the path (traced on a zero image).
"""

import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import CheckpointError
from ..fileio import atomic_write, note_input, stat_input

__all__ = ["FORMAT", "VERSION", "CNNCheckpoint", "is_cnn_checkpoint", "save_cnn_checkpoint", "load_cnn_checkpoint"]

#: ``"format"`` of a convolutional network's checkpoint.
FORMAT = "netgraph-cnn-checkpoint"
VERSION = 1
_PICKLE_LIMIT = 1 << 24  # a checkpoint's data.pkl holds names and small values, the tensors lie beside it


def is_cnn_checkpoint(path):
    """Whether ``path`` is a convolutional network's checkpoint: a torch zip whose pickle names :data:`FORMAT`.

    Reads the archive's small ``data.pkl`` only (never unpickles it); False for anything else.

    Examples
    --------
    >>> is_cnn_checkpoint("/nonexistent.pt")
    False
    """
    try:
        with zipfile.ZipFile(path) as z:
            member = next((n for n in z.namelist() if n.endswith("/data.pkl") or n == "data.pkl"), None)
            if member is None or z.getinfo(member).file_size > _PICKLE_LIMIT:
                return False
            return FORMAT.encode() in z.read(member)
    except (OSError, zipfile.BadZipFile, ValueError):
        return False


@dataclass(frozen=True, eq=False)
class CNNCheckpoint:
    """A convolutional network as saved: its architecture, its module's state and metadata.

    Attributes
    ----------
    arch : str
        A name in :data:`netgraph.nn.conv.ARCHITECTURES`.
    arch_options : dict
        Further constructor arguments (ResNet-8's ``widths``).
    image_shape : tuple of int
    n_classes : int
    state : dict
        The module's state_dict (copies).
    meta : dict
    train_state : dict or None
    source : str or None
        The file it was read from.
    """

    arch: str
    arch_options: dict
    image_shape: tuple
    n_classes: int
    state: dict = field(repr=False)
    meta: dict = field(default_factory=dict)
    train_state: dict | None = field(default=None, repr=False)
    source: str | None = None

    @classmethod
    def from_model(cls, model, *, meta=None):
        """A snapshot of a :class:`~netgraph.nn.conv.SparseCNN` (its tensors copied)."""
        state = {k: v.detach().clone().cpu() for k, v in model.state_dict().items()}
        return cls(
            model.arch, dict(model.arch_options), tuple(model.image_shape), model.n_classes, state, dict(meta or {})
        )

    def to_model(self):
        """The network, rebuilt and loaded with the saved state (masked layers, on the CPU)."""
        from ..nn.conv import ARCHITECTURES

        if self.arch not in ARCHITECTURES:
            raise CheckpointError(
                f"{self.source}: names the architecture {self.arch!r}; netgraph knows {', '.join(ARCHITECTURES)}"
            )
        model = ARCHITECTURES[self.arch](self.image_shape, self.n_classes, **self.arch_options)
        try:
            model.load_state_dict(self.state, strict=True)
        except RuntimeError as exc:
            raise CheckpointError(
                f"{self.source}: its state does not fit a {self.arch} ({' '.join(str(exc).split())[:300]})"
            ) from None
        return model


def save_cnn_checkpoint(model, path, *, meta=None, train_state=None):
    """Write a convolutional network (a :class:`~netgraph.nn.conv.SparseCNN` or a :class:`CNNCheckpoint`) atomically.

    Parameters
    ----------
    model : SparseCNN or CNNCheckpoint
    path : str or Path
    meta : dict, optional
        JSON-safe metadata (replaces a snapshot's).
    train_state : dict, optional
        What resuming needs (epoch checkpoints).

    Returns
    -------
    pathlib.Path
    """
    import torch

    snap = model if isinstance(model, CNNCheckpoint) else CNNCheckpoint.from_model(model)
    doc = {
        "format": FORMAT,
        "version": VERSION,
        "arch": snap.arch,
        "arch_options": dict(snap.arch_options),
        "image_shape": list(snap.image_shape),
        "n_classes": int(snap.n_classes),
        "state_dict": dict(snap.state),
        "meta": dict(meta if meta is not None else snap.meta),
        "train_state": train_state,
    }
    with atomic_write(path, "wb") as f:
        torch.save(doc, f)
    return Path(path)


def load_cnn_checkpoint(path):
    """Read a convolutional network's checkpoint (no code runs); CheckpointError naming the file otherwise.

    Returns
    -------
    CNNCheckpoint
    """
    from .pytorch import torch_load

    stat_input(path, error=CheckpointError)
    note_input(path)
    doc = torch_load(path)
    if not isinstance(doc, Mapping) or doc.get("format") != FORMAT:
        raise CheckpointError(f"{path}: is not a convolutional network's checkpoint (no format {FORMAT!r})")
    if doc.get("version") != VERSION:
        raise CheckpointError(f"{path}: is version {doc.get('version')!r} of {FORMAT}; this netgraph reads {VERSION}")
    missing = [k for k in ("arch", "image_shape", "n_classes", "state_dict", "meta") if k not in doc]
    if missing:
        raise CheckpointError(f"{path}: lacks {', '.join(missing)}")
    shape = doc["image_shape"]
    if not (isinstance(shape, list) and len(shape) == 3 and all(isinstance(n, int) and n > 0 for n in shape)):
        raise CheckpointError(f"{path}: image_shape is {shape!r}, expected [channels, height, width]")
    if not isinstance(doc["state_dict"], Mapping) or not isinstance(doc["meta"], Mapping):
        raise CheckpointError(f"{path}: state_dict and meta must be dicts")
    return CNNCheckpoint(
        arch=str(doc["arch"]),
        arch_options=dict(doc.get("arch_options") or {}),
        image_shape=tuple(shape),
        n_classes=int(doc["n_classes"]),
        state=dict(doc["state_dict"]),
        meta=dict(doc["meta"]),
        train_state=doc.get("train_state"),
        source=str(path),
    )
