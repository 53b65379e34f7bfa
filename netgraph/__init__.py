"""netgraph: trained sparse neural networks as graphs.

Train sparse MLPs with dynamic sparse training, save them as checkpoints, convert any
feedforward checkpoint into a weighted ``networkx.DiGraph`` (nodes ``(layer, index)``, edge
``(l, i) -> (l+1, j)`` with ``weight = W_l[j, i]``) and back, and analyse the graphs with
:mod:`analysis`.

Heavy submodules (everything that needs torch) load on first use, so
``import netgraph.errors`` stays light.

Examples
--------
>>> import netgraph
>>> G = netgraph.to_graph(netgraph.SparseMLP([4, 3, 2]))
>>> G.number_of_nodes(), G.number_of_edges()
(9, 18)
"""

import importlib

from ._version import __version__
from .errors import (
    ArchitectureMismatchError,
    CheckpointError,
    GraphContractError,
    NetgraphError,
    OutputError,
    ParameterError,
    RunLockedError,
)

__all__ = [
    "__version__",
    "NetgraphError",
    "ParameterError",
    "CheckpointError",
    "GraphContractError",
    "ArchitectureMismatchError",
    "OutputError",
    "RunLockedError",
    "SparseMLP",
    "Checkpoint",
    "save_checkpoint",
    "load_checkpoint",
    "as_checkpoint",
    "to_graph",
    "from_graph",
    "graph_to_checkpoint",
]

# public name -> submodule that defines it (imported lazily: torch is slow to import)
_LAZY = {
    "SparseMLP": "model",
    "Checkpoint": "network",  # torch-free: analysis takes it
    "save_checkpoint": "io",
    "load_checkpoint": "io",
    "as_checkpoint": "io",
    "to_graph": "convert",
    "from_graph": "convert",
    "graph_to_checkpoint": "convert",
}

# submodules reachable as attributes (``netgraph.edits``) without an explicit import
_SUBMODULES = {
    "checkpoint",
    "cli",
    "config",
    "convert",
    "data",
    "edits",
    "errors",
    "evolution",
    "export",
    "fileio",
    "growth",
    "io",
    "model",
    "network",
    "pruning",
    "study",
    "topology",
    "train",
    "validation",
}


def __getattr__(name):
    if name in _SUBMODULES:
        return importlib.import_module(f".{name}", __name__)
    if name in _LAZY:
        value = getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'netgraph' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(__all__))
