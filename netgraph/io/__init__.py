"""Reading and writing networks: every file format netgraph knows, one module each.

========================  ==========================  ===============================================
format                    module                      reads / writes
========================  ==========================  ===============================================
netgraph checkpoint       :mod:`~netgraph.io.native`  :func:`save_checkpoint` (``.pt`` or
                                                      ``.safetensors``), format versions 1 and 2
torch                     ``pytorch``, ``sequential``  any ``torch.save`` file (netgraph's own, a
                                                      state_dict: plain, wrapped, torch-prune);
                                                      writes a plain ``nn.Sequential`` state_dict
safetensors               ``safetensors``              netgraph's own or a state_dict
state_dicts, modules      ``state_dict``               chains of Linear layers, in memory or in files
scikit-learn              ``sklearn``                  fitted ``MLPClassifier`` / ``MLPRegressor``
set-npz                   ``topology``                 SET / NNSTD topology folders, both ways
graphml, gexf, edgelist   ``graphfiles``               graph files with ids ``L{layer}:{index}``
npz                       ``npz``                      the arrays of a network
channel graphs            ``channelfiles``             graphml, gexf, edgelist, npz of channel-level
                                                      graphs (:mod:`netgraph.channels`), both ways
========================  ==========================  ===============================================

:mod:`netgraph.io.registry` is the table of them (:data:`~netgraph.io.registry.FORMATS`: what
tells each apart, its reader, its writer); :func:`load_checkpoint` recognises a file by its
content and calls its reader, :func:`export` writes through it. :mod:`netgraph.io.paths` says
what a path argument stands for (a checkpoint, a topology folder, a seed, run or study folder,
NNSTD's ``topo/``). Every reader returns a :class:`netgraph.network.Checkpoint`, made from the
file's sparse arrays where the file stores them so (format 2, safetensors, topology folders);
:func:`read_channel_graph` reads a channel-level graph that :func:`export` (through
:func:`write_channel_graph`) wrote back into its ``networkx.DiGraph``.

Examples
--------
>>> import tempfile, pathlib
>>> from netgraph import SparseMLP
>>> from netgraph.io import checkpoint_files, load_checkpoint, save_checkpoint
>>> d = pathlib.Path(tempfile.mkdtemp())
>>> ckpt = load_checkpoint(save_checkpoint(SparseMLP([3, 2]), d / "seed-0" / "final.pt"))
>>> ckpt.source_format, [p.relative_to(d).as_posix() for p in checkpoint_files(d)]
('netgraph', ['seed-0/final.pt'])
"""

from .._lazy import lazy_package

__all__ = [
    "load_checkpoint",
    "save_checkpoint",
    "as_checkpoint",
    "save_topology_folder",
    "export",
    "export_format",
    "export_notes",
    "read_export",
    "write_channel_graph",
    "read_channel_graph",
    "sequential_state_dict",
    "sequential_code",
    "torch_load_code",
    "checkpoint_files",
    "resolve_checkpoints",
    "input_files",
    "RunFolder",
    "PATH_HELP",
    "FORMATS",
    "FORMAT",
    "FORMAT_VERSION",
    "TOPOLOGY_FORMAT",
    "TOPOLOGY_SIDECAR",
]

# public name -> submodule that defines it, imported on first use: ``import netgraph.io.paths`` (the
# command line's argument handling) stays free of torch, which most formats need
_LAZY = {
    "load_checkpoint": "load",
    "as_checkpoint": "load",
    "save_checkpoint": "native",
    "FORMAT": "native",
    "FORMAT_VERSION": "native",
    "save_topology_folder": "topology",
    "TOPOLOGY_FORMAT": "topology",
    "export": "exports",
    "export_format": "exports",
    "export_notes": "exports",
    "sequential_state_dict": "exports",
    "sequential_code": "exports",
    "torch_load_code": "exports",
    "FORMATS": "exports",
    "read_export": "registry",
    "write_channel_graph": "channelfiles",
    "read_channel_graph": "channelfiles",
    "checkpoint_files": "paths",
    "resolve_checkpoints": "paths",
    "input_files": "paths",
    "RunFolder": "runs",
    "PATH_HELP": "paths",
    "TOPOLOGY_SIDECAR": "paths",
}


__getattr__, __dir__ = lazy_package(__name__, _LAZY)
