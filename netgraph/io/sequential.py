"""The ``torch`` export: the state_dict of a plain ``nn.Sequential`` that runs without netgraph.

The module is ``nn.Sequential(Linear, activation, Linear, activation, ..., Linear)``: keys
``0.weight``, ``0.bias``, ``2.weight``, ..., dense, zero where no connection is. It records
neither masks, nor the activation, nor metadata: netgraph reads it back as a foreign state_dict,
with a connection wherever a weight is non-zero, so a present connection of weight exactly 0
comes back absent, and the activation assumed ``relu`` unless given.
"""

import numpy as np
import torch

from ..fileio import atomic_write
from .state_dict import ACTIVATION_MODULES

__all__ = ["NAME", "TORCH_MODULES", "state_dict_of", "code_of", "load_code", "write", "notes"]

#: The format name in the registry.
NAME = "torch"


#: ``torch.nn`` module (as Python code) of each activation, for :func:`sequential_code`.
TORCH_MODULES = {name: f"nn.{cls.__name__}()" for cls, name in ACTIVATION_MODULES.items()}


def state_dict_of(ckpt):
    """The plain ``nn.Sequential`` state_dict of a network (see :func:`netgraph.io.sequential_state_dict`)."""
    state = {}
    for l, (w, b) in enumerate(zip(ckpt.weights, ckpt.biases)):
        state[f"{2 * l}.weight"] = torch.from_numpy(np.array(w, dtype=np.float32))
        if ckpt.has_bias:
            state[f"{2 * l}.bias"] = torch.from_numpy(np.array(b, dtype=np.float32))
    return state


def code_of(ckpt):
    """Python code of the ``nn.Sequential`` of a network (see :func:`netgraph.io.sequential_code`)."""
    act = TORCH_MODULES.get(ckpt.activation, "ACTIVATION")
    bias = "" if ckpt.has_bias else ", bias=False"
    sizes = ckpt.layer_sizes
    linear = [f"nn.Linear({sizes[l]}, {sizes[l + 1]}{bias})" for l in range(len(sizes) - 1)]
    return f"nn.Sequential({f', {act}, '.join(linear)})"


def load_code(ckpt, path):
    """One line of Python that builds the network and loads the export at ``path`` (see
    :func:`netgraph.io.torch_load_code`)."""
    return (
        f"import torch; from torch import nn; model = {code_of(ckpt)}; "
        f"model.load_state_dict(torch.load({str(path)!r}, weights_only=True))"
    )


def write(ckpt, path):
    """Write the ``torch`` export of a network to ``path`` (atomically)."""
    state = state_dict_of(ckpt)
    with atomic_write(path) as f:
        torch.save(state, f)
    return path


def notes(ckpt, path):
    """What a user of the file needs to know: the line that loads it, the activation, the weights."""
    act = ckpt.activation
    if act not in TORCH_MODULES:
        act += " (torch.nn has no module for it: put one that computes it where the line says ACTIVATION)"
    return [
        f"load with: {load_code(ckpt, path)}",
        f"activation: {act} between layers (the last layer gives raw scores); weights are dense, "
        "0 where no connection is (netgraph reads a connection of weight exactly 0 back as absent)",
    ]
