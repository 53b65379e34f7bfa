"""Exports for other tools: GraphML, GEXF, edge lists, npz, torch, set-npz (the code lives in :mod:`netgraph.io`;
this module keeps the old imports). See :func:`export`."""

from .io import (
    FORMATS,
    export,
    export_format,
    export_notes,
    read_export,
    sequential_code,
    sequential_state_dict,
    torch_load_code,
)
from .io.graphfiles import node_id, parse_node_id, to_string_graph

__all__ = [
    "FORMATS",
    "export",
    "export_format",
    "export_notes",
    "read_export",
    "node_id",
    "parse_node_id",
    "to_string_graph",
    "sequential_state_dict",
    "sequential_code",
    "torch_load_code",
]
