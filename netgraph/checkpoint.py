"""Checkpoints: load and save networks (the code lives in :mod:`netgraph.io`; this module keeps the old imports).

See :func:`load_checkpoint` for every format read, :func:`save_checkpoint` for netgraph's own.
"""

from .io import (
    FORMAT,
    FORMAT_VERSION,
    TOPOLOGY_FORMAT,
    TOPOLOGY_SIDECAR,
    as_checkpoint,
    load_checkpoint,
    save_checkpoint,
    save_topology_folder,
)
from .network import Checkpoint

__all__ = [
    "Checkpoint",
    "save_checkpoint",
    "load_checkpoint",
    "as_checkpoint",
    "save_topology_folder",
    "TOPOLOGY_FORMAT",
    "TOPOLOGY_SIDECAR",
    "FORMAT",
    "FORMAT_VERSION",
]
