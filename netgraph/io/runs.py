"""The folders training writes: one run per seed, runs per method in a study (torch-free).

``netgraph train --out OUT`` writes each seed to ``OUT/seed-S``; a study (``netgraph demo``,
:func:`netgraph.training.study.run_grid`) writes one such run folder per method,
``OUT/<method>/seed-S``. A seed folder holds

========================  ===========================================================================
``params.json``           everything needed to repeat the run (configuration, data, versions)
``metrics.json``          one row per epoch
``epoch-XXX.pt``          the network after epoch XXX (1-based, three digits or more), with what
                          ``--resume`` needs
``final.pt``              the trained network
``.lock``                 while a process writes the folder (:mod:`netgraph._lock`)
========================  ===========================================================================

:class:`RunFolder` is that layout, in one place: the trainer writes through it, studies and the
command line find runs through it, :mod:`netgraph.io.paths` resolves seed, run and study folders
with its patterns.

Examples
--------
>>> from netgraph.io.runs import RunFolder
>>> run = RunFolder.of("runs/a", 3)
>>> run.path.as_posix(), run.final.name, run.epoch(7).name
('runs/a/seed-3', 'final.pt', 'epoch-007.pt')
"""

import re
from dataclasses import dataclass
from pathlib import Path

from ..errors import ParameterError

__all__ = ["RunFolder", "FINAL", "PARAMS", "METRICS", "SEED_FOLDERS", "RUN_FINALS", "STUDY_FINALS"]

#: The trained network of a seed folder.
FINAL = "final.pt"
#: The configuration of a run.
PARAMS = "params.json"
#: Its rows, one per epoch.
METRICS = "metrics.json"
#: The seed folders of a run folder, as a glob pattern.
SEED_FOLDERS = "seed-*"
#: The final checkpoints of a run folder (``OUT/seed-S/final.pt``), as a glob pattern.
RUN_FINALS = f"{SEED_FOLDERS}/{FINAL}"
#: The final checkpoints of a study folder (``OUT/<method>/seed-S/final.pt``), as a glob pattern.
STUDY_FINALS = f"*/{RUN_FINALS}"

_EPOCH_FILE = re.compile(r"^epoch-(\d{3,})\.pt$")
# temporary files of netgraph.fileio.atomic_write (".{name}.{random}.tmp") for the files of a run
_TEMP_FILE = re.compile(r"^\.(?:params\.json|metrics\.json|final\.pt|epoch-\d{3,}\.pt)\.[A-Za-z0-9_]+\.tmp$")


@dataclass(frozen=True)
class RunFolder:
    """The files of one training run: a seed folder ``OUT/seed-S``.

    Parameters
    ----------
    path : path-like
        The seed folder.

    Examples
    --------
    >>> import tempfile
    >>> run = RunFolder.of(tempfile.mkdtemp(), 0)
    >>> run.holds_run(), run.epoch_files()
    (False, [])
    """

    path: Path

    def __post_init__(self):
        object.__setattr__(self, "path", Path(self.path))

    @classmethod
    def of(cls, out_dir, seed):
        """The run of ``seed`` in the experiment folder ``out_dir``: ``out_dir/seed-S``."""
        return cls(Path(out_dir) / f"seed-{seed}")

    @classmethod
    def in_study(cls, out_dir, method, seed):
        """The run of ``seed`` with method ``method`` in the study folder ``out_dir``."""
        return cls.of(Path(out_dir) / method, seed)

    @property
    def params(self):
        """``params.json``."""
        return self.path / PARAMS

    @property
    def metrics(self):
        """``metrics.json``."""
        return self.path / METRICS

    @property
    def final(self):
        """``final.pt``."""
        return self.path / FINAL

    def epoch(self, epoch):
        """The checkpoint of ``epoch`` (1-based): ``epoch-XXX.pt``."""
        return self.path / f"epoch-{epoch:03d}.pt"

    def epoch_files(self):
        """``[(epoch, path), ...]`` of the epoch checkpoints present, by epoch (files only)."""
        if not self.path.is_dir():
            return []
        found = ((_EPOCH_FILE.match(p.name), p) for p in self.path.iterdir())
        return sorted((int(m.group(1)), p) for m, p in found if m and p.is_file())

    def holds_run(self):
        """Whether the folder holds (part of) a run already: an epoch checkpoint or ``final.pt``."""
        return self.path.is_dir() and (any(self.path.glob("epoch-*.pt")) or self.final.exists())

    def check_no_run(self):
        """Raise :class:`~netgraph.errors.ParameterError` if the folder holds a run already.

        Raises
        ------
        ParameterError
            If :meth:`holds_run`: a new run would mix its files with the old one's.
        """
        if self.holds_run():
            raise ParameterError(
                f"out_dir: {self.path} already holds a run; resume it (resume=True, --resume) or choose another directory"
            )

    def temp_files(self):
        """The temporary files that interrupted atomic writes of the run's files left behind."""
        return [p for p in self.path.iterdir() if _TEMP_FILE.match(p.name) and not p.is_symlink() and p.is_file()]
