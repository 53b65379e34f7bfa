"""Channel-level graphs of feedforward DAGs: convolutional and residual networks as graphs.

A chain of ``nn.Linear`` layers has the contract of :mod:`netgraph.convert`. Any other
feedforward ``nn.Module`` is traced with :func:`torch.export.export` on an example input and
becomes a graph of its *spaces*:

- a space is an activation tensor that a weight layer reads or writes, or that a residual add
  produces; the network's input is space 0 and the others are numbered in the order the traced
  program makes them (a topological order). Its units -- the channels of a convolution's
  tensor (dimension 1), the features of a Linear layer's (the last dimension) -- are the nodes
  ``(layer, index)``, ``layer`` the space's number. Node attributes: ``layer``, ``index``,
  ``kind`` (of the space: ``"input"``, ``"linear"``, ``"conv"`` or ``"add"``), ``bias`` (of the
  layer that writes it, 0.0 where there is none) and, where a BatchNorm normalises the space,
  ``bn_scale`` and ``bn_shift`` (``weight / sqrt(running_var + eps)`` and
  ``bias - running_mean * bn_scale``: the affine map it applies in evaluation);
- a Linear or Conv1d/Conv2d layer gives an edge ``(l, i) -> (m, j)`` for each input unit ``i``
  and output channel ``j`` whose kernel slice ``W[j, i, ...]`` has a present element: masked in
  where the module carries torch-prune's ``weight_mask``, else non-zero. ``groups`` is honoured
  (depthwise too: output channel ``j`` of group ``g`` reads only the input channels of ``g``).
  Edge attributes: ``kind`` (``"linear"`` or ``"conv"``), ``nnz`` (present elements of the slice)
  and ``weight``, the **sum of the slice's present elements** -- the slice's gain for a constant
  input, equal to ``W[j, i]`` for a Linear layer;
- a residual add makes a new space with an edge ``kind="identity"``, ``weight=1.0``, ``nnz=1``
  from unit ``j`` of each operand to its unit ``j``; a concatenation along the channels makes
  its consumer read the units of several spaces; activations, normalisation, pooling, dropout
  and reshapes that keep the channels add nothing; a flatten of ``C`` channels into a Linear
  layer maps each input feature to its channel, so the Linear layer has an edge from channel
  ``c`` to output ``j`` when any of ``c``'s features reaches ``j`` (``nnz`` and ``weight`` summed
  over them);
- ``G.graph`` holds ``contract`` (:data:`CONTRACT`), ``spaces`` (per space its number of units,
  kind and the module that makes it) and ``layers`` (per weight layer its module path, type,
  weight shape, groups, the node each input channel or feature reads and its output space):
  the traced wiring, with which :func:`apply_channel_graph` writes an edited graph back into
  the model as masks -- a removed edge zeroes its whole kernel slice (channel-connection pruning
  as a graph edit).

An operation the contract cannot place is a :class:`~netgraph.errors.GraphContractError` naming
the operation and the module it belongs to.

Examples
--------
>>> import torch
>>> from torch import nn
>>> model = nn.Sequential(nn.Conv2d(2, 3, 3, padding=1), nn.ReLU(), nn.Flatten(), nn.Linear(3 * 4, 2))
>>> G = channel_graph(model, torch.zeros(1, 2, 2, 2))
>>> [G.graph["spaces"][l]["kind"] for l in range(3)], G.number_of_nodes(), G.number_of_edges()
(['input', 'conv', 'linear'], 7, 12)
>>> G.edges[(0, 1), (1, 2)]["kind"], G.edges[(0, 1), (1, 2)]["nnz"]
('conv', 9)
"""

import importlib
import logging
import math
import operator
import os
import re
import stat
import warnings
from pathlib import Path

import networkx as nx
import numpy as np
import torch
from torch import nn
from torch.nn.utils import prune

from .channel_network import CONTRACT, ChannelBlock, ChannelNetwork
from .errors import CheckpointError, GraphContractError, ParameterError
from .fileio import error_reason, file_kind, note_input, stat_input
from .io.cnn import is_cnn_checkpoint, load_cnn_checkpoint
from .io.paths import is_hf_folder, natural_key

__all__ = [
    "CONTRACT",
    "PYTREE_PACKAGES",
    "channel_network",
    "channel_graph",
    "apply_channel_graph",
    "block_network",
    "block_view",
]

_CONV = {"aten.conv1d.default": 1, "aten.conv2d.default": 2}
_LINEAR = "aten.linear.default"
_ADD = ("aten.add.Tensor", "aten.add_.Tensor")
_CAT = "aten.cat.default"
_FLATTEN = "aten.flatten.using_ints"
_RESHAPE = ("aten.view.default", "aten.reshape.default", "aten._unsafe_view.default")
_BATCH_NORM = ("aten.batch_norm.default", "aten._native_batch_norm_legit_no_training.default")
# operations whose output has the channels of their (first) input, unit for unit
_KEEP = frozenset(
    f"aten.{name}"
    for name in (
        "relu.default relu_.default gelu.default silu.default silu_.default sigmoid.default tanh.default "
        "hardtanh.default hardtanh_.default hardswish.default hardswish_.default leaky_relu.default elu.default "
        "relu6.default dropout.default clone.default contiguous.default alias.default detach.default "
        "max_pool1d.default max_pool2d.default avg_pool1d.default avg_pool2d.default adaptive_avg_pool1d.default "
        "adaptive_avg_pool2d.default max_pool2d_with_indices.default adaptive_max_pool2d.default "
        "mul.Tensor div.Tensor"
    ).split()
)


def channel_graph(model, example_input=None, *, weights=None):
    """The channel-level graph of a feedforward ``nn.Module`` (see the module docstring).

    ``channel_network(model, example_input, weights=weights).to_networkx()``: the graph as a
    :class:`networkx.DiGraph`, its ``G.graph["element_masks"]`` the present elements of each
    weight layer's weight (bool arrays of its shape). See :func:`channel_network` for the
    parameters and errors.

    Returns
    -------
    networkx.DiGraph
        A new graph; the model is not changed.
    """
    return channel_network(model, example_input, weights=weights).to_networkx()


def channel_network(model, example_input=None, *, weights=None):
    """The channel-level graph of a feedforward ``nn.Module`` as arrays, with no networkx graph.

    Parameters
    ----------
    model : torch.nn.Module, torch.export.ExportedProgram, str or Path
        A module, traced in evaluation mode (restored afterwards) with :func:`torch.export.export`;
        or a program already exported, in memory or saved with :func:`torch.export.save` (a
        ``.pt2`` file: graph and weights in one file, read without unpickling code); or the
        checkpoint of a convolutional network netgraph trained (``netgraph train --arch``,
        :mod:`netgraph.io.cnn`; traced on a zero image of its shape); or a
        HuggingFace model folder (``config.json`` and ``model.safetensors``, built by
        transformers when it is installed; image models, traced on a zero batch of their size).
    example_input : torch.Tensor
        For a module: one input batch of the shape it takes (its values do not matter). A
        program was traced on its own.
    weights : Mapping or path, optional
        For a module: a state_dict, or a safetensors or ``torch.save`` file of one (read
        without running code, :func:`netgraph.io.tensors.read_tensors`), loaded into a copy of
        the module before it is traced -- a checkpoint of any architecture read with the module
        that makes it. torch-prune's ``weight_orig`` / ``weight_mask`` keys are honoured.

    Returns
    -------
    netgraph.channel_network.ChannelNetwork
        What :func:`channel_graph` gives as a DiGraph; the model is not changed.

    Raises
    ------
    ParameterError
        If ``model`` is none of these, or ``example_input`` not a tensor of 2 or more dimensions.
    CheckpointError
        If a ``.pt2`` file cannot be read as a program, or ``weights`` do not fit the module
        (missing, unexpected or misshapen keys, named).
    GraphContractError
        If the traced program holds an operation the contract cannot place (named with its module).

    Examples
    --------
    >>> import torch
    >>> from torch import nn
    >>> model = nn.Sequential(nn.Conv2d(1, 2, 1, bias=False))
    >>> state = {"0.weight": torch.tensor([1.0, 0.0]).reshape(2, 1, 1, 1)}
    >>> channel_network(model, torch.zeros(1, 1, 2, 2), weights=state).n_edges  # the file's weights, not the module's
    1
    """
    if weights is not None:
        if not isinstance(model, nn.Module):
            raise ParameterError(f"weights=..., must be None for a {type(model).__name__}: they go into a module")
        model = _with_weights(model, weights)
    if isinstance(model, str | os.PathLike):
        if is_hf_folder(model):
            model, example_input = _load_hf_folder(Path(model))
        elif is_cnn_checkpoint(model):  # a convolutional network netgraph trained, traced on a zero image
            ckpt = load_cnn_checkpoint(model)
            model, example_input = ckpt.to_model(), torch.zeros(1, *ckpt.image_shape)
        else:
            model = _load_program(Path(model))
    if isinstance(model, torch.export.ExportedProgram):
        return _Tracer(model).network()
    if not isinstance(model, nn.Module):
        raise ParameterError(
            f"model is a {type(model).__name__}, expected a torch.nn.Module, a torch.export program or a .pt2 file"
        )
    if not isinstance(example_input, torch.Tensor) or example_input.dim() < 2:
        what = f"a {example_input.dim()}-D tensor" if isinstance(example_input, torch.Tensor) else "not a tensor"
        raise ParameterError(f"example_input is {what}, expected a batch tensor (N, C, ...) or (N, features)")
    training = model.training
    model.eval()
    try:
        with warnings.catch_warnings():  # torch-prune's pre-hook assigns module.weight: read as such below
            warnings.filterwarnings("ignore", message=r"The tensor attributes? .* assigned during export")
            program = torch.export.export(model, (example_input,))
    finally:
        model.train(training)
    return _Tracer(program).network()


def _named_tensors(source, name):
    """``(label, tensors)`` of a state_dict (labelled ``name``) or of a file of one (labelled by its path)."""
    from collections.abc import Mapping

    from .io.tensors import read_tensors

    if isinstance(source, Mapping):
        return name, dict(source)
    return str(source), read_tensors(source)


def _with_weights(model, weights):
    """A copy of ``model`` holding ``weights`` (a state_dict, or a file of one); CheckpointError if they do not fit."""
    import copy

    label, tensors = _named_tensors(weights, "weights")
    model = copy.deepcopy(model)
    for key in tensors:
        if key.endswith("_mask") and f"{key.removesuffix('_mask')}_orig" in tensors:
            path, _, name = key.removesuffix("_mask").rpartition(".")
            try:
                module = model.get_submodule(path)
            except AttributeError:
                continue  # reported as an unexpected key below
            if not hasattr(module, f"{name}_orig") and isinstance(getattr(module, name, None), torch.Tensor):
                prune.identity(module, name)  # the keys of torch-prune's parametrisation, then loaded
    try:
        model.load_state_dict(tensors, strict=True)
    except RuntimeError as exc:
        reason = " ".join(str(exc).split())
        raise CheckpointError(f"{label}: does not fit the module ({reason[:400]})") from None
    return model


#: Packages whose pytree types (the output classes of a model) a program may need registered
#: before it loads; a program names the type, and netgraph imports its module from these only.
PYTREE_PACKAGES = ("transformers",)
_UNREGISTERED = re.compile(r"Deserializing ([A-Za-z_][\w.]*)\.(\w+) in pytree is not registered")


class _Records(logging.Handler):
    """The log records of a torch.export load (torch logs the cause of a failure, then raises a generic error)."""

    def __init__(self):
        super().__init__()
        self.records = []

    def emit(self, record):
        self.records.append(record)


def _load_program(path):
    """A saved :func:`torch.export.save` program; CheckpointError naming the file otherwise.

    A program whose output is a type registered by a library (transformers' ``ModelOutput``
    classes) needs that type registered to load: when the load names such a type of a package
    in :data:`PYTREE_PACKAGES`, its module is imported and the load tried once more.
    """
    st = stat_input(path, error=CheckpointError)
    if not stat.S_ISREG(st.st_mode):
        raise CheckpointError(f"{path}: is {file_kind(st.st_mode)}, expected a .pt2 file (torch.export.save)")
    note_input(path)
    imported = set()
    while True:
        reason = _try_load(path)
        if not isinstance(reason, str):
            return reason
        m = _UNREGISTERED.search(reason)
        module = m.group(1) if m else None
        if module is None or module in imported or module.partition(".")[0] not in PYTREE_PACKAGES:
            break
        try:
            importlib.import_module(module)
        except ImportError:
            reason += f" (a type of {module.partition('.')[0]}: install it to read this program)"
            break
        imported.add(module)
    raise CheckpointError(f"{path}: cannot be read as a torch.export program (.pt2): {reason}")


def _load_hf_folder(path):
    """The model of a HuggingFace folder (its ``config.architectures[0]``) and an input for it.

    Built by transformers from ``config.json`` and ``model.safetensors`` alone (never remote
    code); the input is a zero batch of ``config.num_channels`` x ``image_size`` (224 where the
    configuration names none): the channel contract reads image models only.
    """
    try:
        import transformers
    except ImportError:
        raise CheckpointError(
            f"{path}: is a HuggingFace model folder; reading it needs transformers (pip install transformers)"
        ) from None
    for name in ("config.json", "model.safetensors"):
        note_input(path / name)
    try:
        config = transformers.AutoConfig.from_pretrained(path, local_files_only=True)
    except Exception as exc:  # transformers raises what its JSON reading raises
        raise CheckpointError(f"{path}: config.json is not a transformers configuration: {error_reason(exc)}") from None
    if not isinstance(getattr(config, "num_channels", None), int):
        raise GraphContractError(
            f"{path}: a {type(config).__name__} names no num_channels; the channel contract reads image models "
            "(a block view of other models' weights is not there yet)"
        )
    architecture = (getattr(config, "architectures", None) or ["AutoModel"])[0]
    cls = getattr(transformers, architecture, None)
    if cls is None or not hasattr(cls, "from_pretrained"):
        raise CheckpointError(f"{path}: config.json names the architecture {architecture!r}, which transformers lacks")
    bars = transformers.utils.logging.is_progress_bar_enabled()
    transformers.utils.logging.disable_progress_bar()
    try:
        model = cls.from_pretrained(path, local_files_only=True).eval()
    except Exception as exc:
        raise CheckpointError(f"{path}: transformers cannot build its {architecture}: {error_reason(exc)}") from None
    finally:
        if bars:
            transformers.utils.logging.enable_progress_bar()
    size = getattr(config, "image_size", None) or 224
    size = tuple(size) if isinstance(size, list | tuple) else (size, size)
    return model, torch.zeros(1, config.num_channels, *size)


def _try_load(path):
    """The program, or the reason it does not load (the cause torch logged, else its error)."""
    log = logging.getLogger("torch.export")
    records, propagate, handlers = _Records(), log.propagate, log.handlers
    # torch logs the traceback of a failed load to its own stderr handler before raising a generic
    # error: the records are kept here instead (the cause goes into netgraph's one-line message)
    log.handlers, log.propagate = [records], False
    try:
        return torch.export.load(path)
    except Exception as exc:  # torch raises what its zip and JSON readers raise
        causes = [r.exc_info[1] for r in records.records if r.exc_info and r.exc_info[1] is not None]
        return error_reason(causes[-1] if causes else exc)
    finally:
        log.handlers, log.propagate = handlers, propagate


class _Tracer:
    """Walks an exported program once, giving each tensor the graph nodes of its units."""

    def __init__(self, program):
        self.program = program
        sig = program.graph_signature
        state = program.state_dict
        self.tensors = {}  # placeholder name -> (tensor, fully qualified name)
        for name, fqn in {**sig.inputs_to_parameters, **sig.inputs_to_buffers}.items():
            self.tensors[name] = (state[fqn] if fqn in state else program.constants[fqn], fqn)
        self.weights = {}  # node name -> (weight, mask or None, fqn): torch-prune's weight_orig * weight_mask
        self.units = {}  # node name -> list of graph nodes, one per unit of the tensor
        self.out = _Builder()

    def network(self):
        names = self._user_inputs()
        users = [n for n in self.program.graph.nodes if n.op == "placeholder" and n.name in names]
        if len(users) != 1:
            raise GraphContractError(f"the model takes {len(users)} tensor inputs; the channel contract needs one")
        for node in self.program.graph.nodes:
            if node.op == "call_function":
                self._call(node)
            elif node.op == "placeholder" and node is users[0]:
                self.units[node.name] = self.out.space(_channels(node), "input", "")
        return self.out.network()

    def _user_inputs(self):
        return {spec.arg.name for spec in self.program.graph_signature.input_specs if spec.kind.name == "USER_INPUT"}

    def _call(self, node):
        target = str(node.target)
        if node.target is operator.getitem:
            if node.args[1] == 0 and node.args[0].name in self.units:
                self.units[node.name] = self.units[node.args[0].name]
            return
        if not self._inputs(node):  # computed from parameters and buffers alone
            return self._static(node, target)
        if target in _CONV or target == _LINEAR:
            return self._weight_layer(node, target)
        if target in _ADD:
            return self._add(node)
        if target == _CAT:
            return self._cat(node)
        if target in _BATCH_NORM:
            return self._batch_norm(node)
        if target == _FLATTEN or target in _RESHAPE:
            return self._reshape(node)
        if target in _KEEP or target == "aten.mean.dim":
            return self._keep(node, target)
        raise self._refuse(node, "has no place in the channel contract")

    def _inputs(self, node):
        """The traced tensors among ``node``'s arguments."""
        args = [b for a in node.args for b in (a if isinstance(a, list | tuple) else [a])]
        return [a for a in args if isinstance(a, torch.fx.Node) and a.name in self.units]

    def _refuse(self, node, why):
        return GraphContractError(f"operation {node.target} (module {_module(node)!r}) {why}")

    def _keep(self, node, target):
        source, *rest = self._inputs(node)
        if rest:
            raise self._refuse(node, "combines traced tensors other than by a residual add")
        if target == "aten.mean.dim" and 1 in {d % len(_shape(source)) for d in node.args[1]}:
            raise self._refuse(node, "reduces over the channels")
        self.units[node.name] = self.units[source.name]

    def _static(self, node, target):
        """A computation on parameters and buffers: a dtype conversion, or torch-prune's weight.

        torch-prune's forward pre-hook computes ``weight = weight_orig * weight_mask`` (the mask
        converted to the weight's dtype first); that product is the layer's weight, and its mask
        says which elements are present. Anything else computed from parameters alone is left
        out: only what a weight layer reads matters.
        """
        args = [a for a in node.args if isinstance(a, torch.fx.Node)]
        if target in ("aten.to.dtype", "aten._to_copy.default", "aten.clone.default") and args[0].name in self.tensors:
            tensor, fqn = self.tensors[args[0].name]
            self.tensors[node.name] = (tensor.to(node.meta["val"].dtype), fqn)
        elif target == "aten.mul.Tensor" and len(args) == 2 and all(a.name in self.tensors for a in args):
            (w, fqn), (m, mask_fqn) = sorted((self.tensors[a.name] for a in args), key=lambda t: t[1].endswith("_mask"))
            mask = m.to(torch.bool) if mask_fqn.endswith("_mask") else None
            self.weights[node.name] = (w * m, mask, fqn.removesuffix("_orig"))

    def _resolve_weight(self, node, arg):
        if arg.name in self.weights:
            return self.weights[arg.name]
        if arg.name in self.tensors:
            w, fqn = self.tensors[arg.name]
            return w, None, fqn
        raise self._refuse(node, "takes a weight that is computed in the forward pass")

    def _weight_layer(self, node, target):
        source = node.args[0]
        if source.name not in self.units:
            raise self._refuse(node, "reads a tensor that is not traced from the input")
        weight, mask, fqn = self._resolve_weight(node, node.args[1])
        bias = node.args[2] if len(node.args) > 2 else None
        bias = self._resolve_weight(node, bias)[0] if isinstance(bias, torch.fx.Node) else None
        inputs = self.units[source.name]
        if target == _LINEAR:
            groups, kind = 1, "linear"
            if len(_shape(source)) != 2:  # (N, T, features) and the like: its units are not the features
                raise self._refuse(
                    node, f"reads a tensor of shape {_shape(source)}; Linear layers are placed on (N, features)"
                )
            if len(inputs) != weight.shape[1]:
                raise self._refuse(node, f"reads {weight.shape[1]} features of a tensor with {len(inputs)} units")
        else:
            groups, kind = (node.args[6] if len(node.args) > 6 else 1), "conv"
            if len(inputs) != weight.shape[1] * groups:
                raise self._refuse(node, f"reads {weight.shape[1] * groups} channels of a tensor with {len(inputs)}")
        module = fqn.rpartition(".")[0]
        outputs = self.out.space(weight.shape[0], kind, module, bias)
        layer_type = "Linear" if kind == "linear" else f"Conv{_CONV[target]}d"
        self.out.weight_layer(weight, mask, groups, inputs, outputs, module=module, fqn=fqn, layer_type=layer_type)
        self.units[node.name] = outputs

    def _add(self, node):
        operands = self._inputs(node)
        if len(operands) < 2:  # a constant or a parameter added: the channels stay
            return self._keep(node, "aten.add.Tensor")
        a, b = (self.units[o.name] for o in operands)
        if len(a) != len(b) or _shape(operands[0]) != _shape(operands[1]):
            raise self._refuse(node, f"adds tensors of shapes {_shape(operands[0])} and {_shape(operands[1])}")
        outputs = self.out.space(len(a), "add", _module(node))
        for j, v in enumerate(outputs):
            for u in (a[j], b[j]):
                self.out.identity_edge(u, v)
        self.units[node.name] = outputs

    def _cat(self, node):
        tensors, dim = node.args[0], (node.args[1] if len(node.args) > 1 else 0)
        if not all(isinstance(t, torch.fx.Node) and t.name in self.units for t in tensors):
            raise self._refuse(node, "concatenates tensors that are not all traced from the input")
        if dim % len(_shape(tensors[0])) != 1:
            raise self._refuse(node, f"concatenates along dimension {dim}, not the channels")
        self.units[node.name] = [v for t in tensors for v in self.units[t.name]]

    def _batch_norm(self, node):
        source = node.args[0]
        weight, bias, mean, var = (self._resolve_weight(node, a)[0] if a is not None else None for a in node.args[1:5])
        eps = node.args[7] if str(node.target) == "aten.batch_norm.default" else node.args[6]
        scale = (weight if weight is not None else torch.ones_like(var)) / torch.sqrt(var + eps)
        shift = (bias if bias is not None else torch.zeros_like(mean)) - mean * scale
        for v, s, t in zip(self.units[source.name], scale.tolist(), shift.tolist()):
            self.out.bn[v] = (float(s), float(t))
        self.units[node.name] = self.units[source.name]

    def _reshape(self, node):
        source = node.args[0]
        before, after = _shape(source), tuple(node.meta["val"].shape)
        units = self.units[source.name]
        if after == before:
            self.units[node.name] = units
        elif len(after) == 2 and after[0] == before[0] and len(before) >= 2 and after[1] == math.prod(before[1:]):
            per_channel = math.prod(before[2:])
            self.units[node.name] = [v for v in units for _ in range(per_channel)]  # channel c's features
        else:
            raise self._refuse(node, f"reshapes {before} to {after}, which keeps neither the channels nor (N, C*...)")


def _channels(node):
    shape = _shape(node)
    if len(shape) < 2:
        raise GraphContractError(f"the input has shape {shape}; expected (N, C, ...) or (N, features)")
    return shape[1]


def _shape(node):
    return tuple(node.meta["val"].shape)


def _module(node):
    stack = node.meta.get("nn_module_stack") or {}
    return next(reversed(stack.values()))[0] if stack else ""


def _slices(weight, present, groups):
    """``(nnz, gain)``, out x in over the full input channels: present elements and their sum per kernel slice."""
    present = present.to(torch.bool)
    w = torch.where(present, weight, torch.zeros((), dtype=weight.dtype))
    dims = tuple(range(2, weight.dim()))
    nnz = present.sum(dim=dims) if dims else present.to(torch.int64)
    gain = w.sum(dim=dims) if dims else w
    if groups == 1:
        return nnz.numpy(), gain.numpy()
    n_out, per_group = nnz.shape
    full_nnz = np.zeros((n_out, per_group * groups), dtype=np.int64)
    full_gain = np.zeros((n_out, per_group * groups))
    out_per_group = n_out // groups
    for g in range(groups):
        rows, cols = slice(g * out_per_group, (g + 1) * out_per_group), slice(g * per_group, (g + 1) * per_group)
        full_nnz[rows, cols] = nnz[rows].numpy()
        full_gain[rows, cols] = gain[rows].numpy()
    return full_nnz, full_gain


class _Builder:
    """What a trace or a block view makes, collected into a :class:`ChannelNetwork`."""

    def __init__(self):
        self.spaces, self.layers, self.blocks, self.masks = [], [], [], []
        self.offsets, self.biases = [0], []
        self.bn = {}  # node -> (scale, shift)
        self.identity = {}  # (source id, target id) -> weight

    def space(self, n, kind, module, bias=None):
        """Add a space of ``n`` units; its nodes ``(layer, index)``."""
        layer = len(self.spaces)
        self.spaces.append({"units": n, "kind": kind, "module": module})
        self.offsets.append(self.offsets[-1] + n)
        self.biases.append(np.zeros(n) if bias is None else bias.detach().to(torch.float64).cpu().numpy())
        return [(layer, j) for j in range(n)]

    def id(self, v):
        return self.offsets[v[0]] + v[1]

    def identity_edge(self, u, v):
        key = (self.id(u), self.id(v))
        self.identity[key] = self.identity.get(key, 0.0) + 1.0  # x + x: one edge of weight 2

    def weight_layer(self, weight, mask, groups, inputs, outputs, *, module, fqn, layer_type):
        """A weight layer: its block (per distinct input node and output unit, the slices' sums) and record."""
        present = ((weight != 0) if mask is None else mask).to(torch.bool)
        nnz, gain = _slices(weight.detach().to(torch.float64), present, groups)
        distinct, _, which = _columns(inputs)
        total_nnz = np.zeros((len(outputs), len(distinct)), dtype=np.int64)
        total_gain = np.zeros((len(outputs), len(distinct)))
        if len(distinct) == len(inputs):  # each unit its own node: the slices are the connections
            total_nnz[:, which], total_gain[:, which] = nnz, gain
        else:  # a flatten: a channel's features summed into one connection
            np.add.at(total_nnz.T, which, nnz.T)
            np.add.at(total_gain.T, which, gain.T)
        rows, cols = np.nonzero(total_nnz)
        sources = [self.id(v) for v in distinct]
        self.blocks.append(ChannelBlock(sources, rows, cols, total_nnz[rows, cols], total_gain[rows, cols]))
        self.masks.append(present.cpu().numpy())
        self.layers.append(
            {
                "module": module,
                "weight": fqn,
                "type": layer_type,
                "weight_shape": list(weight.shape),
                "groups": int(groups),
                "inputs": [list(v) for v in inputs],
                "output": outputs[0][0],
            }
        )

    def network(self, view=None):
        pairs = list(self.identity)
        n = self.offsets[-1]
        scale, shift = np.full(n, np.nan), np.full(n, np.nan)
        for v, (a, b) in self.bn.items():
            scale[self.id(v)], shift[self.id(v)] = a, b
        return ChannelNetwork(
            spaces=self.spaces,
            layers=self.layers,
            blocks=self.blocks,
            identity=([u for u, _ in pairs], [v for _, v in pairs], list(self.identity.values())),
            bias=np.concatenate(self.biases) if self.biases else np.zeros(0),
            bn_scale=scale,
            bn_shift=shift,
            element_masks=self.masks,
            view=view,
        )


def _columns(inputs):
    """The distinct input nodes, each one's column, and the column of every input unit."""
    distinct = list(dict.fromkeys(inputs))
    column = {v: k for k, v in enumerate(distinct)}
    return distinct, column, np.array([column[v] for v in inputs])


def apply_channel_graph(G, model):
    """Write a (possibly edited) channel-level graph back into ``model`` as masks, in place.

    Each weight layer of ``G.graph["layers"]`` gets a mask (:func:`torch.nn.utils.prune.custom_from_mask`,
    so it composes with pruning already there): a kernel slice stays where its edge is in ``G``, and
    is zeroed where the edge was removed. Adding edges that were not traced is not possible (a
    zeroed slice has no weights to restore).

    Parameters
    ----------
    G : networkx.DiGraph
        Made by :func:`channel_graph` from this model (or one of its architecture).
    model : torch.nn.Module
        Changed in place.

    Returns
    -------
    torch.nn.Module
        ``model``.

    Raises
    ------
    GraphContractError
        If ``G`` is not a channel-level graph, or names a module ``model`` lacks or whose weight
        has another shape.

    Examples
    --------
    >>> import torch
    >>> from torch import nn
    >>> model = nn.Sequential(nn.Conv2d(2, 2, 1), nn.ReLU())
    >>> G = channel_graph(model, torch.zeros(1, 2, 3, 3))
    >>> G.remove_edge((0, 1), (1, 0))
    >>> _ = apply_channel_graph(G, model)
    >>> model[0].weight_mask[:, :, 0, 0].tolist()
    [[1.0, 0.0], [1.0, 1.0]]
    """
    if not isinstance(G, nx.DiGraph) or G.graph.get("contract") != CONTRACT:
        raise GraphContractError(f"G is not a channel-level graph (G.graph['contract'] is not {CONTRACT!r})")
    for layer in G.graph["layers"]:
        try:
            module = model.get_submodule(layer["module"])
        except AttributeError:
            raise GraphContractError(f"the model has no module {layer['module']!r} (a layer of G)") from None
        weight = getattr(module, "weight_orig", getattr(module, "weight", None))
        if weight is None or list(weight.shape) != layer["weight_shape"]:
            raise GraphContractError(
                f"module {layer['module']!r} has a weight of shape "
                f"{None if weight is None else list(weight.shape)}, G's is {layer['weight_shape']}"
            )
        prune.custom_from_mask(module, "weight", _kept_slices(G, layer, weight))
    return model


def _kept_slices(G, layer, weight):
    """The mask of ``weight``: 1 on the kernel slices whose edge ``G`` still has, 0 elsewhere."""
    n_out, per_group = weight.shape[:2]
    groups, out = layer["groups"], layer["output"]
    distinct, column, which = _columns([tuple(v) for v in layer["inputs"]])
    keep = np.zeros((n_out, per_group), dtype=bool)
    out_per_group = n_out // groups
    for j in range(n_out):
        reached = np.zeros(len(distinct), dtype=bool)
        reached[[column[u] for u in G.predecessors((out, j)) if u in column]] = True
        g = j // out_per_group
        keep[j] = reached[which[g * per_group : (g + 1) * per_group]]
    keep = torch.from_numpy(keep).reshape(n_out, per_group, *([1] * (weight.dim() - 2)))
    return keep.expand(weight.shape).to(weight.dtype)


def block_view(source):
    """The block view of a model's weights as a graph: ``block_network(source).to_networkx()``.

    See :func:`block_network` for what the view is, its parameter and its errors.

    Returns
    -------
    networkx.DiGraph
        ``G.graph["view"] == "blocks"``.

    Examples
    --------
    >>> import torch
    >>> G = block_view({"attn.q.weight": torch.eye(2), "norm.weight": torch.ones(2)})
    >>> G.graph["layers"][0]["module"], sorted(G.edges)
    ('attn.q.weight', [((0, 0), (1, 0)), ((0, 1), (1, 1))])
    """
    return block_network(source).to_networkx()


def block_network(source):
    """The weights of a model without its module: each 2-D (or convolution) weight its own block.

    For a state_dict or safetensors file whose module is not at hand (a transformer's blocks,
    say), there is no wiring to trace; each weight of 2 or more dimensions becomes a bipartite
    block of the channel contract, named by its key: its own input space (``shape[1]`` units)
    and output space (``shape[0]``), with an edge where the slice ``W[j, i, ...]`` has a present
    element (torch-prune's ``weight_mask`` where the key has one, else non-zero), and the edge
    attributes of :func:`channel_graph`. Block ``b`` of the keys in natural order (``layers.2``
    before ``layers.10``, whatever order the file stores them in) has spaces ``2b`` and
    ``2b + 1``; the layer records name each block by its key, so the analyses that take
    channel graphs take the view (:func:`analysis.block_jaccard` of the same blocks of two
    checkpoints, degrees, driver nodes of each block).

    Parameters
    ----------
    source : Mapping or path
        A state_dict, or a safetensors or ``torch.save`` file of one (see
        :func:`netgraph.io.tensors.read_tensors`).

    Returns
    -------
    netgraph.channel_network.ChannelNetwork
        ``view == "blocks"``.

    Raises
    ------
    CheckpointError
        If the file is not a state_dict, or it holds no weight of 2 or more dimensions.

    Examples
    --------
    >>> import torch
    >>> net = block_network({"attn.q.weight": torch.eye(2), "norm.weight": torch.ones(2)})
    >>> net.sizes, net.n_edges, net.view
    ((2, 2), 2, 'blocks')
    """
    label, tensors = _named_tensors(source, "the state_dict")
    out = _Builder()
    for key in sorted(tensors, key=natural_key):  # the same blocks in the same order from any file format
        value = tensors[key]
        if not isinstance(value, torch.Tensor) or value.dim() < 2 or key.endswith("_mask"):
            continue
        name = key.removesuffix("_orig")
        mask = tensors.get(f"{name}_mask") if key.endswith("_orig") else None
        weight = value.detach().to(torch.float64) * (mask if mask is not None else 1)
        kind = "conv" if weight.dim() > 2 else "linear"
        inputs = out.space(weight.shape[1], "input", name)
        outputs = out.space(weight.shape[0], kind, name)
        layer_type = "Conv" if kind == "conv" else "Linear"
        out.weight_layer(weight, mask, 1, inputs, outputs, module=name, fqn=name, layer_type=layer_type)
    if not out.layers:
        raise CheckpointError(f"{label}: holds no weight of 2 or more dimensions")
    return out.network(view="blocks")
