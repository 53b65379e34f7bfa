"""state_dicts of chains of Linear layers: plain, wrapped, pruned with ``torch.nn.utils.prune``; modules.

The 2-D ``*.weight`` tensors are taken in state_dict order and their shapes must chain (out of
one = in of the next). A model pruned with ``torch.nn.utils.prune`` (``weight_orig`` +
``weight_mask``) has the mask define the edges and ``weight_orig * weight_mask`` the weights.
Without a mask, a connection exists where the weight is non-zero; missing biases are 0.
"""

import math
import warnings
from collections.abc import Mapping

import torch
from torch import nn

from ..errors import CheckpointError
from ..fileio import check_implied_size, error_reason
from ..network import Checkpoint
from ..nn.model import ACTIVATIONS

__all__ = [
    "ACTIVATION_MODULES",
    "from_state_dict",
    "from_module",
    "module_activation",
    "held_bytes",
    "state_tensor",
]


ACTIVATION_MODULES = {
    nn.ReLU: "relu",
    nn.Tanh: "tanh",
    nn.Sigmoid: "sigmoid",
    nn.GELU: "gelu",
    nn.SiLU: "silu",
    nn.LeakyReLU: "leaky_relu",
    nn.Identity: "identity",
}
# modules that compute nothing at inference (dropout) or nothing at all; they add nothing to the graph
_PASSIVE_MODULES = (nn.Dropout, nn.AlphaDropout, nn.Identity)
_CONTAINERS = (nn.Sequential, nn.ModuleList, nn.ModuleDict)


def _activation_name(m):
    """The netgraph activation a module computes exactly, or None (another function, or other parameters)."""
    name = ACTIVATION_MODULES.get(type(m))
    if name == "leaky_relu" and m.negative_slope != 0.01:  # netgraph's leaky_relu has torch's default slope
        return None
    if name == "gelu" and getattr(m, "approximate", "none") != "none":
        return None
    return name


def _describe(path, m):
    return f"{path or 'the module'} ({m!r})" if len(repr(m)) <= 60 else f"{path or 'the module'} ({type(m).__name__})"


def module_activation(module):
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
                if type(m) not in ACTIVATION_MODULES
                else f"netgraph's {ACTIVATION_MODULES[type(m)]} has torch's default parameters"
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


def from_module(module):
    """The network of an ``nn.Module`` whose state_dict is a chain of Linear layers (its activation read
    from its submodules where they show one)."""
    found = module_activation(module)
    sd = module.state_dict()
    return from_state_dict(sd, source=None, activation=found, label=type(module).__name__, nbytes=held_bytes(sd))


def held_bytes(sd):
    """Bytes a state_dict's tensors really hold (storages; a sparse tensor's indices and values)."""
    total = 0
    for t in sd.values() if isinstance(sd, Mapping) else ():
        if isinstance(t, Mapping):
            total += held_bytes(t)
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


_SUFFIXES = ("weight_orig", "weight_mask", "bias_orig", "bias_mask", "weight", "bias", "mask")


def state_tensor(t, key, label):
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


def from_state_dict(sd, *, source, activation, label, nbytes):
    """A chain of Linear layers from a state_dict (plain, wrapped or torch-prune's ``weight_orig`` / ``weight_mask``).

    Raises
    ------
    CheckpointError
        If the dict is empty, has keys that belong to no Linear layer, a weight that is not a
        2-D real tensor, a mask or bias of the wrong shape, or layers that do not chain.
    """
    if not sd:
        raise CheckpointError(f"{label}: the state_dict is empty; expected Linear layer weights")
    odd = [k for k in sd if not isinstance(k, str)]
    if odd:
        raise CheckpointError(
            f"{label}: the state_dict has a key {odd[0]!r} of type {type(odd[0]).__name__}; state_dict keys are "
            "names such as '0.weight'"
        )
    layers, order = _linear_layers(sd, label, nbytes)
    weights, biases, masks = [], [], []
    pruned = has_bias = False
    for prefix in order:
        parts = layers[prefix]
        name = f"{prefix}." if prefix else ""
        w, mask, pruned_layer = _layer_weight(parts, name, label)
        pruned = pruned or pruned_layer
        weights.append((w * mask).numpy())
        masks.append(mask.numpy())
        b, given = _layer_bias(parts, name, label, w.shape[0])
        has_bias = has_bias or given
        biases.append(b)
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


def _linear_layers(sd, label, nbytes):
    """``({prefix: {suffix: dense tensor}}, [prefix, ...])``: the state_dict's tensors by layer, in order."""
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
        value = _dense(state_tensor(value, key, label), key, label)
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
    return layers, order


def _layer_weight(parts, name, label):
    """One layer's float32 weight and bool mask (torch-prune's pair, a ``mask``, or the non-zeros); pruned?"""
    pruned = "weight_orig" in parts
    if pruned:
        if "weight_mask" not in parts:
            raise CheckpointError(f"{label}: {name}weight_orig has no matching {name}weight_mask")
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
    return w, mask, pruned


def _layer_bias(parts, name, label, n_out):
    """One layer's float32 bias as a numpy array (zeros when it has none), and whether it has one."""
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
    given = b is not None
    if not given:
        b = torch.zeros(n_out)
    if tuple(b.shape) != (n_out,):
        raise CheckpointError(f"{label}: {name}bias has shape {tuple(b.shape)}, expected ({n_out},)")
    if not torch.is_floating_point(b):
        raise CheckpointError(f"{label}: {name}bias has dtype {b.dtype}, expected real floating point")
    return b.detach().to(torch.float32).numpy(), given


def _key(prefix):
    return f"{prefix}.weight" if prefix else "weight"
