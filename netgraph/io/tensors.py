"""The named tensors of a file, whatever network they make up (safetensors or ``torch.save``).

:func:`read_tensors` is what the block view (:func:`netgraph.channels.block_view`) reads: a
state_dict of any model, loaded without running code (``torch.load(weights_only=True)``, or
safetensors), unwrapped from the usual ``{"state_dict": ...}`` wrappers.

Examples
--------
>>> import tempfile, pathlib, torch
>>> p = pathlib.Path(tempfile.mkdtemp()) / "sd.pt"
>>> torch.save({"state_dict": {"q.weight": torch.ones(2, 3)}}, p)
>>> {k: tuple(v.shape) for k, v in read_tensors(p).items()}
{'q.weight': (2, 3)}
"""

from collections.abc import Mapping
from pathlib import Path

import torch

from ..errors import CheckpointError
from ..fileio import note_input, stat_input
from . import pytorch

__all__ = ["read_tensors"]


def read_tensors(path):
    """``{name: tensor}`` of a safetensors file or a ``torch.save`` state_dict (plain or wrapped).

    Raises
    ------
    CheckpointError
        If the file is not one of those, or holds no dict of tensors; the message names the file.
    """
    path = Path(path)
    st = stat_input(path, error=CheckpointError)
    note_input(path)
    if path.suffix == ".safetensors":
        from safetensors import SafetensorError
        from safetensors.torch import load

        try:
            return dict(load(path.read_bytes()))
        except (SafetensorError, ValueError, RuntimeError) as exc:
            raise CheckpointError(f"{path}: cannot be read as safetensors (truncated or corrupt?): {exc}") from None
    head = b""
    if path.is_file():  # the first bytes only: the whole file is read once, by the reader below
        with open(path, "rb") as f:
            head = f.read(8)
    if not pytorch.detect(path, head, st.st_size):
        raise CheckpointError(f"{path}: is neither a safetensors file nor a torch.save file")
    obj = pytorch.torch_load(path)
    if isinstance(obj, Mapping) and obj and not all(isinstance(v, torch.Tensor) for v in obj.values()):
        inner = next((obj[k] for k in pytorch.WRAPPER_KEYS if isinstance(obj.get(k), Mapping) and obj[k]), None)
        obj = inner if inner is not None else obj
    if not isinstance(obj, Mapping) or not obj or not all(isinstance(v, torch.Tensor) for v in obj.values()):
        raise CheckpointError(f"{path}: holds no state_dict (a dict of tensors)")
    return dict(obj)
