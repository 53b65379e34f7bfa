"""Checkpoint arguments of the commands: files, seed folders, run folders, study folders, ``NAME=PATH``.

A PATH argument is

- a checkpoint file (any format :func:`netgraph.load_checkpoint` reads);
- a seed folder: its ``final.pt``;
- a run folder: every ``seed-*/final.pt`` in it, by seed;
- a study folder: every ``*/seed-*/final.pt`` (one run folder per method, as ``netgraph demo``
  and ``scripts/reproduce.py`` write them).

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

__all__ = ["resolve_checkpoints", "PATH_HELP"]

#: What a PATH argument may be, for the commands' ``--help``.
PATH_HELP = (
    "a checkpoint file, a seed folder (final.pt), a run folder (seed-*/final.pt) or a study folder (*/seed-*/final.pt)"
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
    if (p / "final.pt").is_file():
        return [p / "final.pt"]
    for pattern in ("seed-*/final.pt", "*/seed-*/final.pt"):
        found = sorted(p.glob(pattern), key=_seed_key)
        if found:
            return found
    epochs = sorted(p.glob("epoch-*.pt"))
    hint = f" (it holds {len(epochs)} epoch checkpoints but no final.pt: an unfinished run?)" if epochs else ""
    raise CheckpointError(
        f"{p}: no checkpoint found{hint}; expected a checkpoint file, a seed folder with final.pt, "
        "a run folder with seed-*/final.pt or a study folder with */seed-*/final.pt"
    )


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
