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

from . import _moved
from ._lazy import lazy_package
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
    "SparseMLP": "nn.model",
    "Checkpoint": "network",  # torch-free: analysis takes it
    "save_checkpoint": "io",
    "load_checkpoint": "io",
    "as_checkpoint": "io",
    "to_graph": "convert",
    "from_graph": "convert",
    "graph_to_checkpoint": "convert",
}

# submodules reachable as attributes (``netgraph.training``) without an explicit import
_SUBMODULES = {
    "checkpoint",
    "cli",
    "convert",
    "errors",
    "export",
    "fileio",
    "io",
    "network",
    "nn",
    "topology",
    "training",
    "validation",
} | {name.rpartition(".")[2] for name in _moved.MOVED}  # and the old names of moved modules

_moved.install()
__getattr__, __dir__ = lazy_package(__name__, _LAZY, _SUBMODULES)
