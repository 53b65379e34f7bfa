"""Writing a network for other tools: :func:`export` to GraphML, GEXF, edge lists, npz, torch, set-npz.

A channel-level graph (a convolutional or residual network: a ``torch.export`` program, a
HuggingFace model folder, or a graph of :mod:`netgraph.channels`, a block view too) is written
in GraphML, GEXF, an edge list or npz by :mod:`netgraph.io.channelfiles`, and read back with
:func:`netgraph.io.read_channel_graph`; ``torch`` and ``set-npz`` hold networks of Linear layers
only. For a network of Linear layers, every format but ``torch`` reads back exactly (:func:`netgraph.io.read_export`, and so
:func:`netgraph.load_checkpoint`, :func:`netgraph.to_graph` and every command): the same
weights, biases, masks and metadata. ``torch`` is the deployable output: the ``state_dict`` of
a plain ``nn.Sequential`` of ``nn.Linear`` layers (:func:`torch_load_code` says how to build and
load it); netgraph reads it back as a foreign state_dict. ``set-npz`` writes a topology folder
(:func:`netgraph.io.save_topology_folder`). Every file is written atomically (temporary file,
then rename).

Examples
--------
>>> import tempfile, pathlib
>>> from netgraph import SparseMLP, load_checkpoint
>>> p = export(SparseMLP([3, 2]), pathlib.Path(tempfile.mkdtemp()) / "net.gexf")
>>> ckpt = load_checkpoint(p)
>>> ckpt.layer_sizes, ckpt.source_format, ckpt.n_connections()
((3, 2), 'gexf', 6)
"""

import os
from pathlib import Path

from ..channel_network import ChannelNetwork
from ..errors import ParameterError
from ..fileio import check_not_input
from ..network import Checkpoint
from ..validation import check_choice
from . import sequential
from .channelfiles import channel_format, channel_notes, is_channel_graph, write_channel_graph
from .load import as_checkpoint
from .paths import is_channel_checkpoint
from .registry import get, suffix_format

__all__ = [
    "FORMATS",
    "export",
    "export_format",
    "export_notes",
    "is_channel_source",
    "sequential_state_dict",
    "sequential_code",
    "torch_load_code",
]

#: Formats :func:`export` writes, by name; the name is also the usual file suffix, but for
#: ``torch`` (``.pt``) and ``set-npz`` (a folder), which a suffix never implies (see :func:`export_format`).
FORMATS = ("graphml", "gexf", "edgelist", "npz", "torch", "set-npz")

# a .pt file may be a netgraph checkpoint or a plain state_dict: the torch format is never implied
_AMBIGUOUS_SUFFIXES = (".pt", ".pth")


def export_format(path, format=None):
    """The format :func:`export` writes ``path`` in: ``format`` if given, else from the suffix.

    Parameters
    ----------
    path : str or Path
    format : {"graphml", "gexf", "edgelist", "npz", "torch", "set-npz"}, optional

    Returns
    -------
    str

    Raises
    ------
    ParameterError
        If ``format`` is unknown, or is None and the suffix of ``path`` names no format. A
        ``.pt`` or ``.pth`` suffix never implies one: such a file could be a netgraph checkpoint
        or a plain state_dict, so ``format="torch"`` must be asked for.

    Examples
    --------
    >>> export_format("net.graphml"), export_format("net.pt", "torch")
    ('graphml', 'torch')
    >>> export_format("net.pt")
    Traceback (most recent call last):
    ...
    netgraph.errors.ParameterError: suffix of path 'net.pt' is ambiguous (a netgraph checkpoint or a plain state_dict?): pass format='torch' (netgraph export --format torch) for a plain nn.Sequential state_dict
    """
    if format is None:
        suffix = Path(path).suffix.lower()
        if suffix in _AMBIGUOUS_SUFFIXES:
            raise ParameterError(
                f"suffix of path {Path(path).name!r} is ambiguous (a netgraph checkpoint or a plain "
                "state_dict?): pass format='torch' (netgraph export --format torch) for a plain "
                "nn.Sequential state_dict"
            )
        format = suffix_format(path)
        if format is None:
            suffixes = tuple(s for name in FORMATS for s in get(name).suffixes)
            check_choice(suffix, suffixes, name="suffix of path (or pass format)")
    return check_choice(format, FORMATS, name="format")


def export(source, path, *, format=None):
    """Write the network ``source`` to ``path`` in ``format``.

    Parameters
    ----------
    source : str, Path, Checkpoint, SparseMLP, nn.Module, state_dict, networkx.DiGraph or ExportedProgram
        Anything :func:`~netgraph.to_graph` accepts without an example input; a ``.pt2``
        program, a HuggingFace model folder, an ``ExportedProgram`` or a channel-level graph
        (:func:`netgraph.channels.channel_graph`, :func:`~netgraph.channels.block_view`) is
        written as its channel-level graph (:func:`netgraph.io.write_channel_graph`).
    path : str or Path
        The file to write (replaced atomically if it exists; a link is followed). Missing
        parent folders are created.
    format : {"graphml", "gexf", "edgelist", "npz", "torch", "set-npz"}, optional
        Default: from the suffix of ``path`` (see :func:`export_format`; ``torch`` and
        ``set-npz``, a topology folder at ``path``, are never implied). ``torch`` writes the
        ``state_dict`` of a plain ``nn.Sequential`` (see :func:`sequential_state_dict`): dense
        weights, zero where no connection is, without masks, so netgraph reads a present
        connection of weight exactly 0 back as absent. A channel-level graph takes the first
        four only (see :func:`netgraph.io.channelfiles.channel_format`).

    Returns
    -------
    pathlib.Path
        The path written.

    Raises
    ------
    ParameterError
        If the format is unknown or cannot be inferred from ``path``, or cannot hold a
        channel-level graph ``source`` is.
    CheckpointError
        If ``source`` cannot be read.
    OutputError
        If ``path`` is the source file itself, or exists and is not a regular file.

    Examples
    --------
    >>> import tempfile, pathlib, networkx as nx, torch
    >>> from netgraph import SparseMLP
    >>> p = export(SparseMLP([3, 2]), pathlib.Path(tempfile.mkdtemp()) / "net.graphml")
    >>> H = nx.read_graphml(p)
    >>> H.number_of_edges(), H.nodes["L1:0"]["role"]
    (6, 'output')
    >>> p = export(SparseMLP([3, 2, 1]), p.with_name("net.pt"), format="torch")
    >>> sorted(torch.load(p, weights_only=True))
    ['0.bias', '0.weight', '2.bias', '2.weight']
    """
    path = Path(path)
    if is_channel_source(source):
        fmt = channel_format(path, format, label=None if is_channel_graph(source) else str(source))
        check_not_input(path, [source], name="output")
        return write_channel_graph(_channel_graph(source), path, format=fmt)
    fmt = get(export_format(path, format))
    if not fmt.folder:  # a folder format refuses its source folder itself, saying so
        # a loaded Checkpoint still names its file: never write over it either
        check_not_input(path, [source, source.source if isinstance(source, Checkpoint) else None], name="output")
    ckpt = as_checkpoint(source)
    path.parent.mkdir(parents=True, exist_ok=True)
    return fmt.write(ckpt, path)


def export_notes(source, path, *, format):
    """What a user of a file :func:`export` wrote needs to know (how to load it, what it lost), as lines.

    Examples
    --------
    >>> from netgraph import SparseMLP
    >>> export_notes(SparseMLP([2, 1]), "net.pt", format="torch")[0]
    "load with: import torch; from torch import nn; model = nn.Sequential(nn.Linear(2, 1)); model.load_state_dict(torch.load('net.pt', weights_only=True))"
    >>> export_notes(SparseMLP([2, 1]), "net.gexf", format="gexf")
    []
    """
    if is_channel_source(source):
        return channel_notes(_channel_graph(source), format)
    fmt = get(format)
    return fmt.notes(as_checkpoint(source), path) if fmt.notes else []


def is_channel_source(source):
    """Whether :func:`export` writes ``source`` as a channel-level graph (see its ``source``).

    Examples
    --------
    >>> import networkx as nx
    >>> G = nx.DiGraph(contract="netgraph-channels-1")
    >>> is_channel_source("model.pt2"), is_channel_source("net.pt"), is_channel_source(G)
    (True, False, True)
    """
    if isinstance(source, str | os.PathLike):
        return is_channel_checkpoint(source)
    return is_channel_graph(source) or isinstance(source, ChannelNetwork) or type(source).__name__ == "ExportedProgram"


def _channel_graph(source):
    """The channel-level graph of a source :func:`is_channel_source` says is one (traced where it is a program)."""
    if is_channel_graph(source):
        return source
    if isinstance(source, ChannelNetwork):
        return source.to_networkx()
    from ..channels import channel_graph

    return channel_graph(source)


def sequential_state_dict(source):
    """The ``state_dict`` of the plain ``nn.Sequential`` that computes the network ``source``.

    The module is ``nn.Sequential(Linear, activation, Linear, activation, ..., Linear)`` (see
    :func:`sequential_code`), so layer ``l`` is entry ``2 * l``: keys ``0.weight``, ``0.bias``,
    ``2.weight``, ... Weights are dense float32 (out x in), zero where no connection is; a
    bias-free network has no ``.bias`` keys. Masks are not kept: a present connection of weight
    exactly 0 cannot be told from an absent one.

    Parameters
    ----------
    source : str, Path, Checkpoint, SparseMLP, nn.Module or state_dict
        Anything :func:`~netgraph.as_checkpoint` accepts.

    Returns
    -------
    dict of str to torch.Tensor
        New tensors (not shared with ``source``).

    Examples
    --------
    >>> from netgraph import SparseMLP
    >>> sd = sequential_state_dict(SparseMLP([3, 2, 1], bias=False))
    >>> {k: tuple(v.shape) for k, v in sd.items()}
    {'0.weight': (2, 3), '2.weight': (1, 2)}
    """
    return sequential.state_dict_of(as_checkpoint(source))


def sequential_code(source):
    """Python code for the ``nn.Sequential`` whose state_dict :func:`sequential_state_dict` gives.

    It names the modules as ``nn.Linear``, ``nn.ReLU``, ... (``from torch import nn``). An
    activation registered in :data:`netgraph.nn.model.ACTIVATIONS` that has no ``torch.nn``
    module is written as ``ACTIVATION``, a placeholder to replace with a module computing it.

    Parameters
    ----------
    source : str, Path, Checkpoint, SparseMLP, nn.Module or state_dict

    Returns
    -------
    str

    Examples
    --------
    >>> from netgraph import SparseMLP
    >>> sequential_code(SparseMLP([784, 300, 10], activation="tanh"))
    'nn.Sequential(nn.Linear(784, 300), nn.Tanh(), nn.Linear(300, 10))'
    >>> sequential_code(SparseMLP([3, 2], bias=False))
    'nn.Sequential(nn.Linear(3, 2, bias=False))'
    """
    return sequential.code_of(as_checkpoint(source))


def torch_load_code(source, path):
    """One line of Python that builds the network of ``source`` and loads a ``torch`` export at ``path``.

    Parameters
    ----------
    source : str, Path, Checkpoint, SparseMLP, nn.Module or state_dict
        The network that was exported.
    path : str or Path
        The file :func:`export` wrote with ``format="torch"``.

    Returns
    -------
    str
        Python code that needs only torch: ``import torch; from torch import nn; model =
        nn.Sequential(...); model.load_state_dict(torch.load(path, weights_only=True))``.

    Examples
    --------
    >>> from netgraph import SparseMLP
    >>> print(torch_load_code(SparseMLP([4, 3, 2]), "net.pt"))
    import torch; from torch import nn; model = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2)); model.load_state_dict(torch.load('net.pt', weights_only=True))
    """
    return sequential.load_code(as_checkpoint(source), path)
