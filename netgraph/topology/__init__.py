"""Which connections a network has, and how they change.

======================================  ==========================================================
module                                  holds
======================================  ==========================================================
:mod:`~netgraph.topology.initial`       initial topologies: SET's Erdős–Rényi masks, densities
:mod:`~netgraph.topology.growth`        growth strategies (random, strategic, gradient), a registry
:mod:`~netgraph.topology.pruning`       pruning criteria (SET, magnitude), gradual pruning, a registry
:mod:`~netgraph.topology.evolution`     one evolution step of dynamic sparse training
:mod:`~netgraph.topology.edits`         synthesis and pruning as edits of a graph
:mod:`~netgraph.topology.defaults`      defaults that configuration reads (torch-free)
======================================  ==========================================================

The names of :mod:`~netgraph.topology.initial` are importable from here, as they were when this
package was one module.

Examples
--------
>>> from netgraph.topology import expected_density
>>> round(expected_density([784, 1000, 1000, 1000, 10], epsilon=20), 4)
0.045
"""

from .._lazy import lazy_package

__all__ = [
    "epsilon_probability",
    "expected_density",
    "erdos_renyi_mask",
    "init_masks",
    "GROWTH_STRATEGIES",
    "PRUNING_CRITERIA",
    "evolve_",
]

_NAMES = {name: "initial" for name in __all__[:4]} | {
    "GROWTH_STRATEGIES": "growth",
    "PRUNING_CRITERIA": "pruning",
    "evolve_": "evolution",
}
_SUBMODULES = ("initial", "growth", "pruning", "evolution", "edits", "defaults")
__getattr__, __dir__ = lazy_package(__name__, _NAMES, _SUBMODULES)
