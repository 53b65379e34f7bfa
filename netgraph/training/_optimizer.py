"""The optimizer of a run, and its state in a form that does not depend on the backend (private).

A run's optimizer is made once per network (:func:`make`); its state travels in the epoch
checkpoints as :func:`state_values` (per-weight states as values at the present connections, so
its size follows the connections, not the dense matrix) and comes back with
:func:`load_state_values`. When the network changes backend (the sparse backend's topology change
runs on a masked copy), :func:`moved` makes the optimizer of the other network with the same
state: the one place the conversion is written.
"""

import torch

from ..errors import CheckpointError

__all__ = [
    "OPTIMIZER_STATE_FORMAT",
    "OPTIMIZER_STATE_VERSION",
    "make",
    "moved",
    "state_values",
    "load_state_values",
    "is_state",
    "saved_state",
]


def make(config, model):
    """The optimizer ``config`` asks for, over ``model``'s parameters."""
    if config.optimizer == "adam":
        return torch.optim.Adam(model.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    return torch.optim.SGD(
        model.parameters(),
        lr=config.lr,
        momentum=config.momentum,
        nesterov=config.nesterov,
        weight_decay=config.weight_decay,
    )


def moved(config, optimizer, model, new_model):
    """An optimizer over ``new_model`` holding ``optimizer``'s state (over ``model``).

    ``new_model`` has ``model``'s connections, on the other backend.
    """
    new = make(config, new_model)
    load_state_values(new, new_model, state_values(optimizer, model))
    return new


#: The format marker of the optimizer state in the epoch checkpoints' ``train_state["optimizer"]``
#: (see :func:`state_values`); checkpoints without it hold a plain ``state_dict()``
#: of the optimizer over a masked network (netgraph before the sparse backend).
OPTIMIZER_STATE_FORMAT = "netgraph-optimizer-values"
OPTIMIZER_STATE_VERSION = 1
_STATE_KEYS = ("values", "weight", "bias")  # of each layer's entry


def state_values(optimizer, model):
    """The optimizer's state in a form that does not depend on the backend (copies of its tensors).

    Per layer: ``"values"``, the per-weight states of the weight parameter (SGD's
    ``momentum_buffer``, Adam's ``exp_avg`` and ``exp_avg_sq``: the tensors of the parameter's
    shape) as values at the present connections in CSR order (``layer.to_values``), which is
    lossless because the trainer keeps them zero at absent connections; ``"weight"``, the weight
    parameter's other states as they are (Adam's ``step``); ``"bias"``, the bias's states as
    they are. Beside them the optimizer's ``param_groups`` (hyperparameters) and the format
    marker. Its size follows the number of connections, and
    :func:`load_state_values` loads it into an optimizer over a network of either
    backend with these connections.

    Parameters
    ----------
    optimizer : torch.optim.Optimizer
        Over ``model.parameters()``.
    model : SparseMLP

    Returns
    -------
    dict
        ``{"format", "version", "param_groups", "layers": [{"values", "weight", "bias"}, ...]}``.

    Examples
    --------
    >>> from netgraph import SparseMLP
    >>> net = SparseMLP([3, 2], masks=[torch.tensor([[True, False, True], [False, True, False]])])
    >>> opt = torch.optim.SGD(net.parameters(), lr=0.1, momentum=0.9)
    >>> net(torch.ones(1, 3)).sum().backward(); opt.step()
    >>> state = state_values(opt, net)
    >>> state["layers"][0]["values"]["momentum_buffer"].tolist()  # 3 connections, not 6 weights
    [1.0, 1.0, 1.0]
    >>> sparse = net.to_backend("sparse")
    >>> opt = torch.optim.SGD(sparse.parameters(), lr=0.1, momentum=0.9)
    >>> load_state_values(opt, sparse, state)
    >>> opt.state[sparse.layers[0].values]["momentum_buffer"].tolist()
    [1.0, 1.0, 1.0]
    """
    saved = optimizer.state_dict()
    index = _parameter_index(optimizer)
    layers = []
    for layer in model.layers:
        weight = layer.weight_param
        entry = {key: {} for key in _STATE_KEYS}
        for name, value in saved["state"].get(index[id(weight)], {}).items():
            if isinstance(value, torch.Tensor) and value.shape == weight.shape:
                entry["values"][name] = layer.to_values(value.detach()).clone()
            else:
                entry["weight"][name] = _copy_state(value)
        if layer.bias is not None:
            entry["bias"] = {k: _copy_state(v) for k, v in saved["state"].get(index[id(layer.bias)], {}).items()}
        layers.append(entry)
    out = {
        "format": OPTIMIZER_STATE_FORMAT,
        "version": OPTIMIZER_STATE_VERSION,
        "param_groups": [_copy_state(group) for group in saved["param_groups"]],
        "layers": layers,
    }
    others = {
        name: {k: _copy_state(v) for k, v in saved["state"].get(index[id(p)], {}).items()}
        for name, p in _other_parameters(model)
    }
    if others:  # a convolutional network's BatchNorm parameters, by name
        out["others"] = others
    return out


def _other_parameters(model):
    """``(name, parameter)`` of the parameters that are not a layer's weight or bias (BatchNorm's)."""
    own = {id(layer.weight_param) for layer in model.layers}
    own |= {id(layer.bias) for layer in model.layers if layer.bias is not None}
    return [(name, p) for name, p in model.named_parameters() if id(p) not in own]


def load_state_values(optimizer, model, state):
    """Load the state of :func:`state_values` into ``optimizer`` (over ``model``'s parameters).

    Per-weight states are laid out as ``model``'s layers keep them (``layer.from_values``:
    dense with zeros at absent connections for masked layers, as they are for sparse ones).

    Raises
    ------
    CheckpointError
        If the state does not fit ``model`` (number of layers, or of connections of a layer).
    """
    layers = state["layers"]
    if len(layers) != len(model.layers):
        raise CheckpointError(
            f"the optimizer state has {len(layers)} layers, expected {len(model.layers)} (the network's)"
        )
    index = _parameter_index(optimizer)
    loaded = {}
    for l, (layer, entry) in enumerate(zip(model.layers, layers)):
        weight = layer.weight_param
        per_weight = {}
        for name, values in entry["values"].items():
            if tuple(values.shape) != (layer.n_connections(),):
                raise CheckpointError(
                    f"the optimizer state {name!r} of layer {l} has shape {tuple(values.shape)}, expected "
                    f"({layer.n_connections()},) (one value per connection of the layer)"
                )
            per_weight[name] = layer.from_values(values.to(weight.device, weight.dtype).clone())
        if per_weight or entry["weight"]:
            loaded[index[id(weight)]] = {**per_weight, **{k: _copy_state(v) for k, v in entry["weight"].items()}}
        if layer.bias is not None and entry["bias"]:
            loaded[index[id(layer.bias)]] = {k: _copy_state(v) for k, v in entry["bias"].items()}
    others = dict(_other_parameters(model))
    for name, entry in state.get("others", {}).items():
        if name not in others:
            raise CheckpointError(f"the optimizer state names a parameter {name!r} the network lacks")
        if entry:
            loaded[index[id(others[name])]] = {k: _copy_state(v) for k, v in entry.items()}
    groups = optimizer.state_dict()["param_groups"]
    if len(groups) != len(state["param_groups"]):
        raise CheckpointError(
            f"the optimizer state has {len(state['param_groups'])} parameter groups, expected {len(groups)}"
        )
    # the saved hyperparameters, with this optimizer's numbering of its parameters
    groups = [{**_copy_state(saved), "params": group["params"]} for saved, group in zip(state["param_groups"], groups)]
    optimizer.load_state_dict({"state": loaded, "param_groups": groups})


def _parameter_index(optimizer):
    """id(parameter) -> its number in ``optimizer.state_dict()``."""
    params = [p for group in optimizer.param_groups for p in group["params"]]
    return {id(p): i for i, p in enumerate(params)}


def _copy_state(value):
    if isinstance(value, torch.Tensor):
        return value.detach().clone()
    if isinstance(value, dict):
        return {k: _copy_state(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_copy_state(v) for v in value)
    return value


def is_state(saved):
    """Whether a checkpoint's ``train_state["optimizer"]`` looks like one (either format)."""
    if not isinstance(saved, dict):
        return False
    if saved.get("format") == OPTIMIZER_STATE_FORMAT:
        layers, groups = saved.get("layers"), saved.get("param_groups")
        return (
            isinstance(layers, list)
            and isinstance(groups, list)
            and all(isinstance(e, dict) and all(isinstance(e.get(k), dict) for k in _STATE_KEYS) for e in layers)
        )
    return isinstance(saved.get("state"), dict) and isinstance(saved.get("param_groups"), list)


def saved_state(saved, config, masked, source):
    """A checkpoint's optimizer state in the form of :func:`state_values`.

    ``masked`` is the checkpoint's network (masked layers); a plain ``optimizer.state_dict()``
    (checkpoints written before the format marker, always over a masked network) is read
    through an optimizer over it.
    """
    if saved.get("format") == OPTIMIZER_STATE_FORMAT:
        if saved.get("version", 0) > OPTIMIZER_STATE_VERSION:
            raise CheckpointError(
                f"{source}: optimizer state format version {saved['version']} is newer than this netgraph "
                f"understands ({OPTIMIZER_STATE_VERSION}); upgrade netgraph"
            )
        return saved
    legacy = make(config, masked)
    legacy.load_state_dict(saved)
    return state_values(legacy, masked)
