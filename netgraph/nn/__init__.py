"""The networks themselves: the masked and the sparse MLP, and their layers.

:mod:`~netgraph.nn.model` holds :class:`SparseMLP` (a chain of masked ``nn.Linear`` layers, with
a masked or a sparse CSR backend) and its registries of activations and weight initialisations;
:mod:`~netgraph.nn.sparse` the CSR layer :class:`SparseLinear` behind the sparse backend.

Examples
--------
>>> from netgraph.nn import SparseMLP
>>> SparseMLP([4, 3, 2]).layer_sizes
(4, 3, 2)
"""

from .._lazy import lazy_package

__all__ = ["SparseMLP", "MaskedLinear", "SparseLinear", "ACTIVATIONS", "BACKENDS", "WEIGHT_INITS"]

_NAMES = {name: "model" for name in __all__} | {"SparseLinear": "sparse"}
__getattr__, __dir__ = lazy_package(__name__, _NAMES, ("model", "sparse"))
