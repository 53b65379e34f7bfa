"""Packages whose public names load on first use (private to netgraph).

Most of netgraph needs torch, which takes seconds to import; a package's ``__init__`` therefore
names what it offers and where it lives, and :func:`lazy_package` imports a submodule only when
one of its names is first asked for. Every ``__init__`` of netgraph uses this one copy.
"""

import importlib
import sys

__all__ = ["lazy_package"]


def lazy_package(package, names, submodules=()):
    """``__getattr__`` and ``__dir__`` for a package that loads its names on first use.

    Parameters
    ----------
    package : str
        The package's ``__name__``.
    names : dict
        ``{public name: submodule (relative, without the dot) that defines it}``.
    submodules : iterable of str
        Submodules reachable as attributes (``package.growth``) without an explicit import.

    Returns
    -------
    (callable, callable)
        The module-level ``__getattr__`` and ``__dir__``.
    """
    submodules = frozenset(submodules)

    def __getattr__(name):
        if name in submodules:
            return importlib.import_module(f".{name}", package)
        if name in names:
            value = getattr(importlib.import_module(f".{names[name]}", package), name)
            setattr(sys.modules[package], name, value)
            return value
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    def __dir__():
        return sorted(set(vars(sys.modules[package])) | set(names) | submodules)

    return __getattr__, __dir__
