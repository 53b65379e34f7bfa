"""The inputs of a similarity report: checked, labelled and grouped (private kernel).

What :func:`~analysis.build_report` accepts (:func:`check_report_args`), the metrics rows it
reads (:func:`metrics_problem`), and the labels and groups it gives networks that have none
(:func:`default_labels`, :func:`default_group`).
"""

from collections.abc import Sequence
from pathlib import Path

import networkx as nx
import numpy as np

from netgraph.errors import ParameterError

from ._structure import graph_meta, structure

__all__ = ["NO_METHOD", "metrics_problem", "default_labels", "check_report_args", "default_group"]


NO_METHOD = "(no method)"


def metrics_problem(data):
    """What keeps ``data`` from being metrics (None when it is: rows are dicts with an int epoch)."""
    if not isinstance(data, dict) or not isinstance(data.get("epochs"), list):
        return "expected a JSON object with an 'epochs' list"
    for i, row in enumerate(data["epochs"]):
        if not isinstance(row, dict):
            return f"epochs[{i}] is a {type(row).__name__}, expected an object with an int 'epoch'"
        if "epoch" not in row:
            return f"epochs[{i}] has no 'epoch'"
        epoch = row["epoch"]
        if isinstance(epoch, bool) or not isinstance(epoch, int):
            return f"epochs[{i}]['epoch'] == {epoch!r}, expected an int"
    return None


def default_labels(graphs, sources):
    """Unique labels ``"method/seed-S"`` from the metadata, else from the source file, else the position."""
    labels = []
    for k, G in enumerate(graphs):
        meta = graph_meta(G)
        if meta.get("method") is not None and meta.get("seed") is not None:
            label = f"{meta['method']}/seed-{meta['seed']}"
        elif sources is not None and sources[k] is not None:
            p = Path(sources[k])
            label = f"{p.parent.name}/{p.stem}" if p.parent.name else p.stem
        else:
            label = str(k)
        labels.append(label)
    seen = {}
    out = []
    for label in labels:
        seen[label] = seen.get(label, 0) + 1
        out.append(label if seen[label] == 1 else f"{label}#{seen[label]}")
    return out


def check_report_args(graphs, groups, labels, sources, metrics):
    """Validate the arguments of :func:`~analysis.build_report`; returns ``(groups, labels)`` cleaned."""
    if isinstance(graphs, nx.Graph) or not isinstance(graphs, Sequence) or not graphs:
        raise ParameterError(f"graphs={graphs!r}: expected a non-empty sequence of networkx.DiGraph")
    k = len(graphs)
    if groups is not None and (isinstance(groups, str) or not isinstance(groups, (Sequence, np.ndarray))):
        raise ParameterError(f"groups={groups!r}: expected a sequence of str, one per graph")
    for name, value in (("groups", groups), ("labels", labels), ("sources", sources), ("metrics", metrics)):
        if value is not None and len(value) != k:
            raise ParameterError(f"{name} has {len(value)} entries, expected {k} (one per graph)")
    if groups is not None:
        for i, g in enumerate(groups):
            if g is not None and (not isinstance(g, str) or not g.strip()):
                raise ParameterError(f"groups[{i}]={g!r}: expected a non-empty string or None")
        groups = [None if g is None else str(g) for g in groups]
    for i, m in enumerate(metrics or ()):
        problem = None if m is None else metrics_problem(m)
        if problem is not None:
            raise ParameterError(f"metrics[{i}]: {problem}")
    for i, G in enumerate(graphs):
        structure(G, name=f"graphs[{i}]").require_layered(name=f"graphs[{i}]")
    if labels is not None:
        labels = [str(x) for x in labels]
        if len(set(labels)) != k:
            raise ParameterError(f"labels={labels!r}: labels must be unique")
    return groups, labels


def default_group(G):
    """The group of ``G`` when none is given: its ``meta["method"]``, else :data:`NO_METHOD`."""
    method = graph_meta(G).get("method")
    return NO_METHOD if method is None or method == "" else str(method)
