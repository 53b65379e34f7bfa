"""What a path stands for: a checkpoint file, a topology folder, a seed, run or study folder, ``NAME=PATH``.

A PATH argument is, in this order of precedence,

- a checkpoint file (any format :func:`netgraph.load_checkpoint` reads);
- a topology folder: one network as SET and NNSTD save it, ``<prefix>_l0.npz``,
  ``<prefix>_l1.npz``, ... directly in the folder (recognised first, whatever else the folder
  holds);
- a seed folder: its ``final.pt``;
- a run folder: every ``seed-*/final.pt`` in it, by seed;
- a study folder: every ``*/seed-*/final.pt`` (one run folder per method, as ``netgraph demo``
  and ``scripts/reproduce.py`` write them);
- a folder of ``epoch_<N>`` topology folders (one run as NNSTD keeps it, a network per epoch):
  its last epoch, as a seed folder stands for its ``final.pt``;
- a folder of topology folders or of such runs: each one (its last epoch), in natural order
  of their names (NNSTD's ``topo/`` with ``e5_s0_w0/``, ``e5_s0_w1/``, ...).

Where a command groups networks (``netgraph similarity``), ``NAME=PATH`` puts the checkpoints of
PATH in the group NAME. An argument that exists as a path is always a path, so a file whose
name holds ``=`` still works.
"""

import os
import re
import stat
from pathlib import Path

from ..errors import CheckpointError, ParameterError
from ..fileio import file_kind, stat_input
from .runs import RUN_FINALS, STUDY_FINALS, RunFolder

__all__ = [
    "checkpoint_files",
    "resolve_checkpoints",
    "input_files",
    "layer_files",
    "layer_file_name",
    "epoch_folders",
    "natural_key",
    "TOPOLOGY_SIDECAR",
    "PATH_HELP",
    "is_hf_folder",
    "is_channel_checkpoint",
]

#: What a PATH argument may be, for the commands' ``--help``.
PATH_HELP = (
    "a checkpoint file, a topology folder (*_l0.npz, *_l1.npz, ...: SET/NNSTD), a seed folder (final.pt), "
    "a run folder (seed-*/final.pt), a study folder (*/seed-*/final.pt), a folder of topology folders "
    "(each; of epoch_N folders, the last), or a network of any architecture as channels: a torch.export "
    "program (.pt2) or a HuggingFace model folder (config.json, model.safetensors; needs transformers)"
)


#: The file :func:`netgraph.io.save_topology_folder` writes beside the layer matrices: the activation, the
#: metadata and whether the matrices hold a bias row, which the matrices themselves cannot say.
TOPOLOGY_SIDECAR = "netgraph.json"
_LAYER_FILE = re.compile(r"(?P<prefix>.*)_l(?P<index>\d+)\.npz")
_EPOCH_FOLDER = re.compile(r"epoch[_-]?(\d+)", re.IGNORECASE)


def is_hf_folder(path):
    """Whether ``path`` is a HuggingFace model folder: ``config.json`` beside ``model.safetensors``.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "config.json").write_text("{}")
    >>> is_hf_folder(d), is_hf_folder(d / "config.json")
    (False, False)
    >>> _ = (d / "model.safetensors").write_bytes(b"")
    >>> is_hf_folder(d)
    True
    """
    p = Path(path)
    return p.is_dir() and (p / "config.json").is_file() and (p / "model.safetensors").is_file()


def is_channel_checkpoint(path):
    """Whether ``path`` holds a network of any architecture, read as a channel graph (:mod:`netgraph.channels`):
    a saved ``torch.export`` program (``.pt2``), a HuggingFace model folder, or the checkpoint of a
    convolutional network netgraph trained (:mod:`netgraph.io.cnn`)."""
    from .cnn import is_cnn_checkpoint

    p = Path(path)
    return (p.suffix == ".pt2" and not p.is_dir()) or is_hf_folder(p) or (p.is_file() and is_cnn_checkpoint(p))


def layer_file_name(name):
    """The match of a layer file name ``<prefix>_l<N>.npz`` (groups ``prefix``, ``index``), or None."""
    return _LAYER_FILE.fullmatch(name)


def layer_files(folder):
    """``{prefix: [(index, name), ...]}`` of the ``<prefix>_l<N>.npz`` entries directly in ``folder``.

    Names only: nothing is opened. Hidden names (starting with ``.``) are left out. Empty when
    there are none or the folder cannot be listed.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> for name in ("weight_l1.npz", "weight_l0.npz", "testacc.txt"):
    ...     _ = (d / name).write_bytes(b"")
    >>> layer_files(d)
    {'weight': [(0, 'weight_l0.npz'), (1, 'weight_l1.npz')]}
    """
    try:
        names = os.listdir(folder)
    except OSError:
        return {}
    found = {}
    for name in names:
        m = None if name.startswith(".") else _LAYER_FILE.fullmatch(name)  # hidden files (._x of macOS) aside
        if m:
            found.setdefault(m["prefix"], []).append((int(m["index"]), name))
    return {prefix: sorted(files) for prefix, files in sorted(found.items())}


def epoch_folders(folder):
    """``[(epoch, path), ...]``, by epoch: the subfolders named ``epoch_<N>`` (also ``epoch-<N>``,
    ``epoch<N>``) that hold layer files, as NNSTD keeps one topology folder per epoch."""
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return []
    found = []
    for entry in entries:
        m = _EPOCH_FOLDER.fullmatch(entry.name)
        if m and entry.is_dir() and layer_files(entry.path):
            found.append((int(m[1]), Path(entry.path)))
    return sorted(found, key=lambda item: (item[0], item[1].name))


def natural_key(key):
    """Sort key that orders ``fc2`` before ``fc10`` and ``layers.2`` before ``layers.10``."""
    return [(0, int(part), "") if part.isdigit() else (1, 0, part) for part in re.split(r"(\d+)", key)]


def _seed_key(path):
    m = re.search(r"(\d+)$", path.parent.name)
    return (str(path.parent.parent), 0, int(m.group(1)), str(path)) if m else (str(path.parent.parent), 1, 0, str(path))


def checkpoint_files(path):
    """The checkpoint files (and topology folders) one path stands for (see the module docstring).

    Parameters
    ----------
    path : str or Path

    Returns
    -------
    list of pathlib.Path
        A file or topology folder: itself; a seed folder: its ``final.pt``; a run or study
        folder: its ``final.pt`` files, by seed; a folder of topology folders: each (of
        ``epoch_<N>`` folders, the last).

    Raises
    ------
    CheckpointError
        If ``path`` does not exist, is neither a regular file nor a folder, or is a folder that
        holds no checkpoint (the message says what was looked for).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> (d / "seed-0").mkdir()
    >>> _ = (d / "seed-0" / "final.pt").write_bytes(b"x")
    >>> [p.relative_to(d).as_posix() for p in checkpoint_files(d)]
    ['seed-0/final.pt']
    """
    p = Path(path)
    st = stat_input(p, error=CheckpointError)
    if stat.S_ISREG(st.st_mode):
        return [p]
    if not stat.S_ISDIR(st.st_mode):
        raise CheckpointError(f"{p}: is {file_kind(st.st_mode)}, expected a checkpoint file or a folder")
    if layer_files(p) or is_hf_folder(p):  # one network, before anything else the folder may hold
        return [p]
    run = RunFolder(p)
    if run.final.is_file():
        return [run.final]
    for pattern in (RUN_FINALS, STUDY_FINALS):
        found = sorted(p.glob(pattern), key=_seed_key)
        if found:
            return found
    found = _topology_networks(p)
    if found:
        return found
    epochs = sorted(p.glob("epoch-*.pt"))
    hint = f" (it holds {len(epochs)} epoch checkpoints but no final.pt: an unfinished run?)" if epochs else ""
    raise CheckpointError(
        f"{p}: no checkpoint found{hint}; expected a checkpoint file, a topology folder with *_l0.npz, *_l1.npz, "
        "..., a seed folder with final.pt, a run folder with seed-*/final.pt, a study folder with "
        "*/seed-*/final.pt, or a folder of topology folders"
    )


def _topology_networks(p):
    """The topology folders a folder stands for: of ``epoch_<N>`` ones its last; else each subfolder
    that is a topology folder or such a run (its last epoch), in natural order of their names."""
    epochs = epoch_folders(p)
    if epochs:
        return [epochs[-1][1]]
    found = []
    for sub in sorted((q for q in p.iterdir() if q.is_dir()), key=lambda q: natural_key(q.name)):
        if layer_files(sub):
            found.append(sub)
        elif epochs := epoch_folders(sub):
            found.append(epochs[-1][1])
    return found


def input_files(paths):
    """The files behind resolved paths: each path, and of a topology folder its layer files and
    ``netgraph.json`` (what a command must never write over)."""
    out = []
    for p in paths:
        p = Path(p)
        out.append(p)
        if is_hf_folder(p):
            out.extend([p / "config.json", p / "model.safetensors"])
        elif p.is_dir():
            out.extend(p / name for files in layer_files(p).values() for _, name in files)
            out.append(p / TOPOLOGY_SIDECAR)
    return out


def _split_group(arg):
    """``(name, path)`` of a ``NAME=PATH`` argument; ``(None, path)`` for a plain path."""
    if "=" not in arg or os.path.lexists(arg):
        return None, Path(arg)
    name, _, rest = arg.partition("=")
    if not name or "/" in name or os.sep in name or not rest:
        return None, Path(arg)
    return name, Path(rest)


def resolve_checkpoints(paths, *, groups=False, unique=True):
    """Expand the PATH arguments of a command into checkpoint files (see the module docstring).

    Parameters
    ----------
    paths : sequence of str
    groups : bool, optional
        Accept ``NAME=PATH`` arguments.
    unique : bool, optional
        Keep each file once (the first time it is named); else every time it is named.

    Returns
    -------
    list of pathlib.Path, or list of (str or None, pathlib.Path) when ``groups``
        In argument order; with ``groups``, each with the group its argument named (None for
        a plain path).

    Raises
    ------
    CheckpointError
        If a path does not exist, is not a regular file or folder, or a folder holds no
        checkpoint.
    ParameterError
        If one file is named in two different groups.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> for s in (0, 1):
    ...     (d / "run" / f"seed-{s}").mkdir(parents=True)
    ...     _ = (d / "run" / f"seed-{s}" / "final.pt").write_bytes(b"x")
    >>> [(g, p.relative_to(d).as_posix()) for g, p in resolve_checkpoints([f"a={d / 'run'}"], groups=True)]
    [('a', 'run/seed-0/final.pt'), ('a', 'run/seed-1/final.pt')]
    """
    found = []
    for arg in paths:
        name, p = _split_group(str(arg)) if groups else (None, Path(arg))
        found.extend((name, f) for f in checkpoint_files(p))
    out, seen = [], {}
    for name, p in found:
        key = p.resolve()
        if key in seen and unique:
            if groups and name is not None and seen[key] not in (None, name):
                raise ParameterError(f"{p} is named in two groups, {seen[key]!r} and {name!r}")
            continue
        seen[key] = name
        out.append((name, p))
    return out if groups else [p for _, p in out]
