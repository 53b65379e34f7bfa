"""Checkpoint arguments of the commands: files, topology folders, seed, run and study folders, ``NAME=PATH``.

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

import argparse
import os
import re
import stat
from pathlib import Path

from ..errors import CheckpointError, ParameterError
from ..fileio import file_kind, stat_input

__all__ = ["resolve_checkpoints", "input_files", "check_report_folder", "add_bias_row_option", "PATH_HELP"]

#: What a PATH argument may be, for the commands' ``--help``.
PATH_HELP = (
    "a checkpoint file, a topology folder (*_l0.npz, *_l1.npz, ...: SET/NNSTD), a seed folder (final.pt), "
    "a run folder (seed-*/final.pt), a study folder (*/seed-*/final.pt), or a folder of topology folders "
    "(each; of epoch_N folders, the last)"
)


def add_bias_row_option(parser):
    """Add ``--bias-row`` / ``--no-bias-row`` (``args.bias_row``: True, False or None) to ``parser``."""
    parser.add_argument(
        "--bias-row",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="topology folders: the last row of every layer matrix holds the biases (--bias-row) or "
        "none does (--no-bias-row); default: told from how the shapes chain",
    )


def _seed_key(path):
    m = re.search(r"(\d+)$", path.parent.name)
    return (str(path.parent.parent), 0, int(m.group(1)), str(path)) if m else (str(path.parent.parent), 1, 0, str(path))


def _expand(p):
    """The checkpoint files a path stands for."""
    st = stat_input(p, error=CheckpointError)
    if stat.S_ISREG(st.st_mode):
        return [p]
    if not stat.S_ISDIR(st.st_mode):
        raise CheckpointError(f"{p}: is {file_kind(st.st_mode)}, expected a checkpoint file or a folder")
    from ..checkpoint import _layer_files

    if _layer_files(p):  # one network, before anything else the folder may hold
        return [p]
    if (p / "final.pt").is_file():
        return [p / "final.pt"]
    for pattern in ("seed-*/final.pt", "*/seed-*/final.pt"):
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
    from ..checkpoint import _epoch_folders, _layer_files, _natural_key

    epochs = _epoch_folders(p)
    if epochs:
        return [epochs[-1][1]]
    found = []
    for sub in sorted((q for q in p.iterdir() if q.is_dir()), key=lambda q: _natural_key(q.name)):
        if _layer_files(sub):
            found.append(sub)
        elif epochs := _epoch_folders(sub):
            found.append(epochs[-1][1])
    return found


def input_files(paths):
    """The files behind resolved PATHs (a topology folder's layer files), to keep outputs off them."""
    from ..checkpoint import TOPOLOGY_SIDECAR, _layer_files

    out = []
    for p in paths:
        p = Path(p)
        out.append(p)
        if p.is_dir():
            out.extend(p / name for files in _layer_files(p).values() for _, name in files)
            out.append(p / TOPOLOGY_SIDECAR)
    return out


def check_report_folder(out, files, *, option="--out"):
    """Refuse a report folder where the report would replace one of its inputs (before any work).

    A report writes ``report.json``, ``report.html`` and PNG figures into ``out``: an input file
    (or a layer file of an input topology folder) with such a name in ``out``, also through a hard
    or symbolic link, is refused with an :class:`~netgraph.errors.OutputError` naming both.
    """
    from ..fileio import check_outputs

    out = Path(out)
    if not out.is_dir():
        return
    inputs = input_files(files)
    written = [out / "report.json", out / "report.html"]
    try:
        written += [out / name for name in os.listdir(out) if name.lower().endswith(".png")]
    except OSError:
        pass
    check_outputs(written, inputs, name=option)


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
        found.extend((name, f) for f in _expand(p))
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
