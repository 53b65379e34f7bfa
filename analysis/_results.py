"""Helpers shared by the result dataclasses of :mod:`analysis` (private)."""

import numpy as np

from netgraph import __version__
from netgraph.fileio import jsonable

__all__ = ["provenance", "frozen_array", "result_dict"]


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
