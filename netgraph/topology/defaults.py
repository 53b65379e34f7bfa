"""Defaults of the topology operations that configuration reads (torch-free).

:mod:`netgraph.training.config` builds its parameter table from these values without importing
torch; :mod:`netgraph.topology.growth` re-exports them.

Examples
--------
>>> from netgraph.topology.defaults import DEFAULT_INIT_SCALE
>>> DEFAULT_INIT_SCALE
0.3
"""

__all__ = ["DEFAULT_INIT_SCALE"]

#: Default ``init_scale`` of regrown weights. With 1.0 (the full spread of the surviving weights,
#: which SET removal has already stripped of its smallest ones) weights grew every epoch and
#: training on digits at 10% density diverged within 40 epochs; 0.3 trains stably.
DEFAULT_INIT_SCALE = 0.3
