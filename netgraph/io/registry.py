"""The formats netgraph reads and writes, in one table: what tells each apart, its reader, its writer.

Each entry of :data:`FORMATS` is a :class:`Format`; its module in :mod:`netgraph.io` holds the
code. :func:`detect` names the format of a file from its content, trying the file formats in
the table's order (the first that matches wins); a folder is a topology folder or nothing.
netgraph's own checkpoints travel in two containers, ``torch`` and ``safetensors``: their
readers tell a netgraph file from a state_dict by its contents, and
:func:`netgraph.save_checkpoint` writes them (the ``torch`` *export* is the plain
``nn.Sequential`` state_dict that runs without netgraph).

Examples
--------
>>> [f.name for f in FORMATS]
['safetensors', 'npz', 'torch', 'graphml', 'gexf', 'edgelist', 'set-npz']
>>> get("gexf").suffixes, get("set-npz").folder
(('.gexf',), True)
"""

import stat
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from xml.etree import ElementTree

import networkx as nx

from ..errors import CheckpointError, GraphContractError
from ..fileio import error_reason, file_kind, stat_input
from ..validation import check_choice
from . import graphfiles, npz, pytorch, safetensors, sequential, topology

__all__ = [
    "Format",
    "FORMATS",
    "EXPORT_READS",
    "get",
    "detect",
    "suffix_format",
    "read_head",
    "read_export",
    "read_wrapped",
]


@dataclass(frozen=True)
class Format:
    """One format: its name, what tells its files apart, how to read and write it.

    Attributes
    ----------
    name : str
        The name ``source_format`` records and ``--format`` takes.
    what : str
        One line for people.
    detect : callable or None
        ``detect(path, head, size) -> bool`` for a file (``head``: its first 512 bytes),
        ``detect(path) -> bool`` for a folder format.
    read : callable or None
        ``read(path, *, activation, bias_row, nbytes) -> Checkpoint``.
    write : callable or None
        ``write(ckpt, path) -> Path``, atomically.
    suffixes : tuple of str
        File suffixes that imply the format when writing (none for ``torch``: a ``.pt`` file may
        as well be a netgraph checkpoint).
    folder : bool
        Whether the format is a folder of files.
    notes : callable or None
        ``notes(ckpt, path) -> list of str``: what a user of a written file should know.
    """

    name: str
    what: str
    detect: Callable | None
    read: Callable | None
    write: Callable | None
    suffixes: tuple = ()
    folder: bool = False
    notes: Callable | None = None


_EXPORT_READERS = {
    "graphml": graphfiles.read_graphml,
    "gexf": graphfiles.read_gexf,
    "edgelist": graphfiles.read_edgelist,
    "npz": npz.read,
}
#: The export formats :func:`read_export` reads back (``torch`` exports load as state_dicts).
EXPORT_READS = tuple(_EXPORT_READERS)


def _export_reader(name):
    """The registry reader of an export format: :func:`read_export` (which words its errors)."""

    def read(path, *, activation=None, bias_row=None, nbytes=None):
        return read_export(path, name)

    return read


#: Every format, in the order :func:`detect` tries them on a file.
FORMATS = (
    Format(
        safetensors.NAME,
        "safetensors: a netgraph checkpoint saved as .safetensors, or a state_dict",
        safetensors.detect,
        safetensors.read,
        None,
    ),
    Format(
        "npz",
        "numpy npz export: per-layer weights, masks, biases",
        npz.detect,
        _export_reader("npz"),
        npz.write,
        (".npz",),
    ),
    Format(
        pytorch.NAME,
        "torch.save file: a netgraph checkpoint, a state_dict (plain, wrapped, torch-prune); written: a plain "
        "nn.Sequential state_dict",
        pytorch.detect,
        pytorch.read,
        sequential.write,
        notes=sequential.notes,
    ),
    Format(
        "graphml",
        "GraphML graph export",
        graphfiles.detect_graphml,
        _export_reader("graphml"),
        graphfiles.write_graphml,
        (".graphml",),
    ),
    Format(
        "gexf",
        "GEXF graph export (Gephi)",
        graphfiles.detect_gexf,
        _export_reader("gexf"),
        graphfiles.write_gexf,
        (".gexf",),
    ),
    Format(
        "edgelist",
        "edge list export with a # header",
        graphfiles.detect_edgelist,
        _export_reader("edgelist"),
        graphfiles.write_edgelist,
        (".edgelist", ".txt"),
    ),
    Format(
        topology.TOPOLOGY_FORMAT,
        "topology folder of scipy.sparse layer matrices (SET, NNSTD)",
        topology.detect,
        topology.read,
        topology.write,
        folder=True,
        notes=topology.notes,
    ),
)
_BY_NAME = {f.name: f for f in FORMATS}


def get(name):
    """The :class:`Format` called ``name``; ParameterError listing the names if there is none."""
    return _BY_NAME[check_choice(name, tuple(_BY_NAME), name="format")]


def detect(path, head, size):
    """The :class:`Format` of a file from its content (see :func:`read_head`), or None if none matches."""
    for fmt in FORMATS:
        if not fmt.folder and fmt.detect(path, head, size):
            return fmt
    return None


def suffix_format(path):
    """The name of the format the suffix of ``path`` implies, or None."""
    suffix = Path(path).suffix.lower()
    return next((f.name for f in FORMATS if suffix in f.suffixes), None)


def read_head(path):
    """Size and first bytes of a regular file; refuse anything else without opening it."""
    st = stat_input(path, error=CheckpointError, missing="no such file")
    if stat.S_ISDIR(st.st_mode):
        raise CheckpointError(f"{path}: is a directory, expected a checkpoint file")
    if not stat.S_ISREG(st.st_mode):  # opening a FIFO would block until someone writes to it
        raise CheckpointError(f"{path}: is {file_kind(st.st_mode)}, expected a checkpoint file")
    if st.st_size == 0:
        raise CheckpointError(f"{path}: is empty (0 bytes)")
    try:
        with open(path, "rb") as f:
            head = f.read(512)
    except OSError as exc:
        raise CheckpointError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    return st.st_size, head


def read_export(path, format=None):
    """Read a file written by :func:`netgraph.io.export` back into a :class:`~netgraph.Checkpoint`.

    :func:`netgraph.load_checkpoint` calls this for such files (it recognises them by their
    content), so every command reads them too.

    Parameters
    ----------
    path : str or Path
    format : {"graphml", "gexf", "edgelist", "npz"}, optional
        Default: from the suffix of ``path``.

    Returns
    -------
    Checkpoint
        The same layer sizes, weights, biases, masks, activation and metadata as the network
        that was exported; ``source_format`` is the format.

    Raises
    ------
    CheckpointError
        If the file is not a netgraph export of that format, or it is damaged; the message
        names the file and what is wrong.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from netgraph import SparseMLP
    >>> from netgraph.io import export
    >>> net = SparseMLP([3, 2])
    >>> p = export(net, pathlib.Path(tempfile.mkdtemp()) / "net.npz")
    >>> back = read_export(p)
    >>> bool((back.weights[0] == net.layers[0].weight.detach().numpy()).all()), back.source_format
    (True, 'npz')
    """
    path = Path(path)
    if format is None:
        format = suffix_format(path)
    check_choice(format, EXPORT_READS, name="format")
    ckpt = read_wrapped(path, _EXPORT_READERS[format], what=f"a netgraph {format} export")
    return ckpt.replace(source=str(path), source_format=format)


def read_wrapped(path, reader, *, what):
    """``reader(path, nbytes)``, with every error a damaged file makes it raise one CheckpointError naming ``path``.

    A CheckpointError or GraphContractError of the reader keeps its message, prefixed with the
    path; the errors of parsers meeting a damaged file (OSError, ValueError, XML and networkx
    errors, ...) become ``PATH: cannot be read as WHAT (damaged?): REASON``.

    Examples
    --------
    >>> def reader(path, nbytes):
    ...     raise ValueError("bad byte")
    >>> read_wrapped(__file__, reader, what="a netgraph npz export")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    netgraph.errors.CheckpointError: ...registry.py: cannot be read as a netgraph npz export (damaged?): bad byte
    """
    path = Path(path)
    try:
        return reader(path, path.stat().st_size)
    except CheckpointError as exc:
        msg = str(exc)
        raise CheckpointError(
            msg if msg.startswith(f"{path}:") else f"{path}: {msg.removeprefix('network: ')}"
        ) from None
    except GraphContractError as exc:
        raise CheckpointError(f"{path}: {exc}") from None
    except (
        OSError,
        ValueError,
        KeyError,
        TypeError,
        OverflowError,  # a 400-digit integer where a number of a network goes
        RecursionError,
        ElementTree.ParseError,
        nx.NetworkXError,
    ) as exc:
        raise CheckpointError(f"{path}: cannot be read as {what} (damaged?): {error_reason(exc)}") from None
