"""Training sparse networks: configuration, one run, data, studies of many runs, clusters.

====================================  ============================================================
module                                holds
====================================  ============================================================
:mod:`~netgraph.training.config`      :class:`TrainConfig` and the table of its parameters' rules
:mod:`~netgraph.training.run`         :func:`train_run`: one seeded, resumable run into its folder
:mod:`~netgraph.training.data`        the datasets: one function per source, and ``load`` by name
:mod:`~netgraph.training.study`       many runs over seeds and configurations, their summary
:mod:`~netgraph.training.cluster`     the Dask cluster the runs of a study go to
====================================  ============================================================

Examples
--------
>>> from netgraph.training import TrainConfig
>>> TrainConfig(epochs=3).epochs
3
"""

from .._lazy import lazy_package

__all__ = [
    "TrainConfig",
    "RunResult",
    "train_run",
    "initial_network",
    "Dataset",
    "DATASETS",
    "load_digits",
    "load_idx",
    "load_csv",
    "make_synthetic",
    "spawn_seeds",
    "run_grid",
    "pruning_window",
    "RunsSummary",
    "summarize_runs",
    "open_cluster",
    "ClusterError",
]

_NAMES = {
    "TrainConfig": "config",
    "RunResult": "run",
    "train_run": "run",
    "initial_network": "run",
    "Dataset": "data",
    "DATASETS": "data",
    "load_digits": "data",
    "load_idx": "data",
    "load_csv": "data",
    "make_synthetic": "data",
    "spawn_seeds": "study",
    "run_grid": "study",
    "pruning_window": "study",
    "RunsSummary": "study",
    "summarize_runs": "study",
    "open_cluster": "cluster",
    "ClusterError": "cluster",
}
__getattr__, __dir__ = lazy_package(__name__, _NAMES, ("config", "run", "data", "study", "cluster"))
