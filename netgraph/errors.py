"""Exceptions raised by netgraph and analysis.

Every error the library raises on purpose derives from :class:`NetgraphError`, so a
caller (and the command line) can catch them all in one place. This module does not
import torch: :mod:`analysis` uses it too.
"""

__all__ = [
    "NetgraphError",
    "ParameterError",
    "CheckpointError",
    "GraphContractError",
    "ArchitectureMismatchError",
    "OutputError",
    "RunLockedError",
]


class NetgraphError(Exception):
    """Base class of every error raised on purpose by netgraph and analysis."""


class ParameterError(NetgraphError, ValueError):
    """A public function got an argument of the wrong type or value.

    The message names the parameter, the value and what was expected, e.g.
    ``amount == 1.5, must be a fraction in [0, 1] (or an int count)``.
    """


class CheckpointError(NetgraphError, ValueError):
    """A file or state_dict cannot be read as a feedforward network.

    The message names the file (when there is one) and what is wrong with it.
    """


class GraphContractError(NetgraphError, ValueError):
    """A graph does not follow the layered ``(layer, index)`` contract of :func:`netgraph.to_graph`."""


class ArchitectureMismatchError(NetgraphError, ValueError):
    """Two networks cannot be compared edge by edge because their layer sizes differ."""


class OutputError(NetgraphError, OSError):
    """An output path cannot be written safely: it is not a regular file, or it is an input.

    netgraph never replaces a FIFO, a device or a directory with a file, and never writes over
    the file it is reading from.
    """


class RunLockedError(NetgraphError):
    """A run folder is locked by another process (see :func:`netgraph.training.run.train_run`).

    Attributes
    ----------
    holder : dict
        What the holder recorded (``pid``, ``host``, ``started``, ``command``); empty when it
        recorded nothing (yet).
    """

    def __init__(self, message, holder=None):
        super().__init__(message)
        self.holder = dict(holder or {})

    def __reduce__(self):  # keep the holder across processes (run_grid's workers)
        return type(self), (str(self), self.holder)
