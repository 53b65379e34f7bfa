"""Helpers shared by the result dataclasses of :mod:`analysis` (private)."""

import math

import numpy as np

from netgraph._version import __version__

__all__ = ["provenance", "jsonable", "frozen_array"]


def provenance(function, **parameters):
    """The provenance block every ``to_dict()`` carries: function, parameters, version."""
    return {"function": f"analysis.{function}", "parameters": jsonable(parameters), "netgraph_version": __version__}


def frozen_array(values, dtype=None):
    """A read-only numpy copy of ``values`` (results are immutable)."""
    arr = np.array(values, dtype=dtype)
    arr.setflags(write=False)
    return arr


def jsonable(value):
    """Recursively turn numpy scalars/arrays, tuples and non-finite floats into JSON-safe values.

    Non-finite floats become None.

    Examples
    --------
    >>> jsonable({"a": np.arange(3), "b": (np.float64(0.5), float("nan"))})
    {'a': [0, 1, 2], 'b': [0.5, None]}
    """
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return jsonable(value.tolist())
    if isinstance(value, (np.bool_, bool)):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, (np.floating, float)):
        value = float(value)
        return value if math.isfinite(value) else None
    return value
