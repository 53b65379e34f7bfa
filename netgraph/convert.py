"""Checkpoint <-> NetworkX graph conversion.

The graph contract
------------------
:func:`to_graph` turns a layered feedforward network into a ``networkx.DiGraph``:

- every unit is a node ``(layer, index)`` of Python ints, layer 0 being the inputs; all
  nodes are present, isolated ones too. Node attributes: ``layer``, ``index``, ``role``
  (``"input"``, ``"hidden"`` or ``"output"``) and ``bias`` (0.0 for inputs);
- each present connection is an edge ``(l, i) -> (l + 1, j)`` with attribute
  ``weight = W_l[j, i]`` (a float; ``nn.Linear.weight`` is out x in). Absent connections
  are not edges; a present connection of weight 0.0 is an edge of weight 0.0;
- ``G.graph`` holds ``layer_sizes`` (list of int), ``activation`` (str), ``has_bias``
  (bool) and ``meta`` (the checkpoint's metadata dict).

:func:`from_graph` inverts it exactly: the same weights, biases and masks.

Examples
--------
>>> import torch
>>> from netgraph import SparseMLP, to_graph
>>> net = SparseMLP([2, 3, 1])
>>> with torch.no_grad():
...     _ = net.layers[0].weight.copy_(torch.tensor([[1.0, 0.0], [0.0, 2.0], [3.0, 4.0]]))
...     net.layers[0].set_mask(net.layers[0].weight != 0)
...     _ = net.layers[1].weight.copy_(torch.tensor([[5.0, 0.0, 6.0]]))
...     net.layers[1].set_mask(torch.tensor([[True, False, True]]))
>>> G = to_graph(net)
>>> sorted(G.edges(data="weight"))
[((0, 0), (1, 0), 1.0), ((0, 0), (1, 2), 3.0), ((0, 1), (1, 1), 2.0), ((0, 1), (1, 2), 4.0), ((1, 0), (2, 0), 5.0), ((1, 2), (2, 0), 6.0)]
>>> G.nodes[(1, 1)]["role"], G.number_of_nodes()
('hidden', 6)
"""

import os

from ._contract import graph_to_checkpoint, layer_nodes, network_graph
from .errors import GraphContractError
from .io import as_checkpoint
from .io.paths import is_channel_checkpoint

__all__ = ["to_graph", "from_graph", "graph_to_checkpoint", "layer_nodes"]


def to_graph(source, example_input=None, *, activation=None):
    """Build the weighted directed graph of a feedforward network.

    Parameters
    ----------
    source : str, Path, Checkpoint, SparseMLP, torch.nn.Module or Mapping
        A checkpoint file or SET/NNSTD topology folder, a loaded :class:`~netgraph.Checkpoint`,
        a model, or a state_dict (see :func:`~netgraph.as_checkpoint`). To say whether a
        topology folder's matrices hold a bias row, load it first:
        ``to_graph(load_checkpoint(folder, bias_row=True))``.
    example_input : torch.Tensor, optional
        With an ``nn.Module`` of any feedforward architecture (convolutions, residual adds,
        concatenations): trace it on this input and return its channel-level graph
        (:func:`netgraph.channels.channel_graph`, whose contract is in :mod:`netgraph.channels`).
        A saved ``torch.export`` program (a ``.pt2`` path, or the ``ExportedProgram``) needs
        none: it is traced already; nor does a HuggingFace image model's folder.
    activation : str, optional
        Activation to assume where ``source`` does not record one.

    Returns
    -------
    networkx.DiGraph
        A new graph following the contract in this module's docstring.

    Raises
    ------
    CheckpointError
        If ``source`` cannot be read as a layered feedforward network.

    See Also
    --------
    from_graph : the inverse.
    """
    if example_input is not None or _is_program(source):
        from .channels import channel_graph

        return channel_graph(source, example_input)
    return network_graph(as_checkpoint(source, activation=activation))


def from_graph(G, model=None, *, backend="masked"):
    """Build the :class:`~netgraph.SparseMLP` a graph describes (the inverse of :func:`to_graph`).

    Parameters
    ----------
    G : networkx.DiGraph
        A graph following the contract of :func:`to_graph`, possibly edited.
    model : torch.nn.Module, optional
        For a channel-level graph (``to_graph(model, example_input)``): the model to write the
        graph's edges back into as masks, in place (:func:`netgraph.channels.apply_channel_graph`).
    backend : {"masked", "sparse"}, optional
        The layer kind of the network built (see :mod:`netgraph.nn.model`).

    Returns
    -------
    SparseMLP or torch.nn.Module
        Masks are the edges, weights the edge ``weight`` attributes, biases the node ``bias``
        attributes; for a channel-level graph, ``model`` with its masks.

    Raises
    ------
    GraphContractError
        See :func:`graph_to_checkpoint`.

    Examples
    --------
    >>> import torch
    >>> from netgraph import SparseMLP, to_graph
    >>> net = SparseMLP([3, 4, 2])
    >>> back = from_graph(to_graph(net))
    >>> x = torch.randn(5, 3)
    >>> bool(torch.equal(net(x), back(x)))
    True
    """
    from .channels import CONTRACT, apply_channel_graph

    if isinstance(getattr(G, "graph", None), dict) and G.graph.get("contract") == CONTRACT:
        if model is None:
            raise GraphContractError("G is a channel-level graph: from_graph(G, model) writes it into its model")
        return apply_channel_graph(G, model)
    return graph_to_checkpoint(G).to_model(backend=backend)


def _is_program(source):
    """Whether ``source`` is read as a channel graph: a ``.pt2`` path or HuggingFace folder, or an ``ExportedProgram``."""
    if isinstance(source, str | os.PathLike):
        return is_channel_checkpoint(source)
    return type(source).__name__ == "ExportedProgram"  # without importing torch for the question
