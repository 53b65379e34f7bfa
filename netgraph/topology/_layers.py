"""One layer's weight and mask as the strategies see them (private to netgraph).

Growth strategies and pruning criteria work on one layer at a time: a weight tensor of 2 or
more dimensions and a boolean mask of the same shape -- out x in (``nn.Linear``'s layout), or
out x in x kernel (``nn.Conv2d``'s) -- and answer with flat row-major indices (``j * n_in + i``
for a Linear layer). These helpers check that input and build that answer, so
:mod:`netgraph.topology.growth`, :mod:`netgraph.topology.pruning`, :mod:`netgraph.topology.evolution` and
:mod:`netgraph.topology.edits` share one copy.
"""

import numpy as np
import torch

from ..errors import ParameterError

__all__ = ["check_layer", "check_grads", "as_index", "np_mask", "np_weight"]


def check_layer(weight, mask):
    """The mask as a bool tensor, after checking that ``weight`` has 2+ dimensions and ``mask`` its shape."""
    if not isinstance(weight, torch.Tensor) or weight.dim() < 2:
        what = f"a {weight.dim()}-D tensor" if isinstance(weight, torch.Tensor) else type(weight).__name__
        raise ParameterError(f"weight is {what}, must be a tensor of 2 or more dimensions (out x in [x kernel])")
    mask = torch.as_tensor(mask)
    if tuple(mask.shape) != tuple(weight.shape):
        raise ParameterError(f"mask has shape {tuple(mask.shape)}, expected {tuple(weight.shape)} (the weight's)")
    return mask.to(torch.bool)


def check_grads(grads, n_layers, strategy, *, name="growth"):
    """One dense gradient (or None) per layer; ``"gradient"`` growth requires them.

    ``name`` is what the caller calls the strategy parameter, for the message.
    """
    if grads is None:
        if strategy == "gradient":
            raise ParameterError(
                f"grads=None: {name}='gradient' needs one dense gradient per layer "
                "(see netgraph.topology.growth.dense_gradients)"
            )
        return [None] * n_layers
    grads = list(grads)
    if len(grads) != n_layers:
        raise ParameterError(f"grads has {len(grads)} entries, expected {n_layers} (one per layer)")
    return grads


def as_index(idx, like):
    """Flat indices as a LongTensor on the device of ``like``."""
    device = like.device if isinstance(like, torch.Tensor) else "cpu"
    return torch.as_tensor(np.ascontiguousarray(idx, dtype=np.int64), device=device)


def np_mask(mask):
    """The mask as a numpy bool array (on the CPU)."""
    return torch.as_tensor(mask).detach().to(torch.bool).cpu().numpy()


def np_weight(weight):
    """The weight as a numpy array (on the CPU, no copy where possible)."""
    return weight.detach().cpu().numpy()
