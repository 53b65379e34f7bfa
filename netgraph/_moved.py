"""The modules that moved into subpackages, importable under their old names (private).

netgraph 0.x kept all its modules side by side (``netgraph.train``, ``netgraph.growth``, ...).
They now live in subpackages that show the architecture (:mod:`netgraph.nn`,
:mod:`netgraph.topology`, :mod:`netgraph.training`); so that no user code breaks, importing an
old name gives the very module object of the new one (``netgraph.train is
netgraph.training.run``), attributes, patches and pickles included. ``netgraph.topology`` kept
its name: it is the package now, and re-exports what the module held.
"""

import importlib
import importlib.abc
import importlib.util
import sys

__all__ = ["MOVED", "install"]

#: old module name -> the module it now is
MOVED = {
    "netgraph.model": "netgraph.nn.model",
    "netgraph.sparse": "netgraph.nn.sparse",
    "netgraph.growth": "netgraph.topology.growth",
    "netgraph.pruning": "netgraph.topology.pruning",
    "netgraph.evolution": "netgraph.topology.evolution",
    "netgraph.edits": "netgraph.topology.edits",
    "netgraph.train": "netgraph.training.run",
    "netgraph.config": "netgraph.training.config",
    "netgraph.data": "netgraph.training.data",
    "netgraph.study": "netgraph.training.study",
    "netgraph.cluster": "netgraph.training.cluster",
}


class _OldNames(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Finds an old name and loads it as the module it moved to."""

    def find_spec(self, fullname, path=None, target=None):
        if fullname in MOVED:
            return importlib.util.spec_from_loader(fullname, self)
        return None

    def __init__(self):
        self._specs = {}

    def create_module(self, spec):
        module = importlib.import_module(MOVED[spec.name])
        self._specs[module.__name__] = module.__spec__
        return module

    def exec_module(self, module):
        # already executed; the import system has just set its __spec__ to the old name's
        module.__spec__ = self._specs.pop(module.__name__)


def install():
    """Put the finder of old names on :data:`sys.meta_path` (once)."""
    if not any(isinstance(f, _OldNames) for f in sys.meta_path):
        sys.meta_path.append(_OldNames())
