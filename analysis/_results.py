"""Helpers shared by the result dataclasses of :mod:`analysis` (private)."""

import numpy as np

from netgraph import __version__
from netgraph.fileio import jsonable

__all__ = ["provenance", "frozen_array", "result_dict", "concise_repr", "published"]


def provenance(function, **parameters):
    """The provenance block every ``to_dict()`` carries: function, parameters, version."""
    return {"function": f"analysis.{function}", "parameters": jsonable(parameters), "netgraph_version": __version__}


def frozen_array(values, dtype=None):
    """A read-only numpy copy of ``values`` (results are immutable)."""
    arr = np.array(values, dtype=dtype)
    arr.setflags(write=False)
    return arr


def result_dict(result, function, **parameters):
    """A result dataclass as JSON-safe values: every field, then the provenance of ``function``."""
    out = {k: getattr(result, k) for k in result.__dataclass_fields__}
    out["provenance"] = provenance(function, **parameters)
    return jsonable(out)


_SHOWN = 8  # longest sequence a repr shows whole


def _short(value):
    """A short text for one field of a result: numbers to 6 digits, long sequences by their length."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return repr(value)
    if isinstance(value, (float, np.floating)):
        return f"{float(value):.6g}"
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, np.ndarray):
        if value.size <= _SHOWN:
            return _short(value.tolist())
        return f"<array {'x'.join(map(str, value.shape))} {value.dtype}>"
    if isinstance(value, (list, tuple)):
        if len(value) <= _SHOWN and all(isinstance(v, (int, float, bool, str, np.number)) or v is None for v in value):
            inner = ", ".join(_short(v) for v in value)
            return f"({inner}{',' if len(value) == 1 else ''})" if isinstance(value, tuple) else f"[{inner}]"
        return f"<{len(value)} item{'' if len(value) == 1 else 's'}>"
    if isinstance(value, dict):
        if len(value) <= _SHOWN and all(not isinstance(v, (dict, list, tuple, np.ndarray)) for v in value.values()):
            return "{" + ", ".join(f"{k!r}: {_short(v)}" for k, v in value.items()) + "}"
        return f"<dict of {len(value)}>"
    return f"<{type(value).__name__}>"


def concise_repr(result):
    """One line for a result dataclass: its scalar fields, short sequences whole, long ones by size.

    Fields that are None are left out; every value stays an attribute of the result.

    Examples
    --------
    >>> from dataclasses import dataclass
    >>> @dataclass(frozen=True, repr=False)
    ... class R:
    ...     value: float
    ...     perms: tuple
    ...     note: str | None = None
    >>> concise_repr(R(1 / 3, tuple(np.arange(1000) for _ in range(3))))
    'R(value=0.333333, perms=<3 items>)'
    """
    parts = []
    for name, f in result.__dataclass_fields__.items():
        value = getattr(result, name)
        if f.repr and value is not None:
            parts.append(f"{name}={_short(value)}")
    return f"{type(result).__name__}({', '.join(parts)})"


def published(module, name=None):
    """Decorator: give a class or function of a private module the address of the public module that binds it.

    Sets ``__module__`` (and with ``name`` also ``__name__`` and ``__qualname__``) so that pickles,
    reprs, ``help`` and doctests name the public module; that module must bind the object under
    that name. A class defined in a private module then carries the address users know
    (as numpy's ``set_module``).

    Parameters
    ----------
    module : str
        The public module, e.g. ``"analysis.similarity"``.
    name : str, optional
        The name it binds the object under, when not the object's own.

    Returns
    -------
    callable
        The decorator; it returns the object it marks.

    Examples
    --------
    >>> @published("analysis.similarity", "_task")
    ... def task():
    ...     pass
    >>> task.__module__, task.__qualname__
    ('analysis.similarity', '_task')
    """

    def mark(obj):
        obj.__module__ = module
        if name is not None:
            obj.__name__ = obj.__qualname__ = name
        return obj

    return mark
