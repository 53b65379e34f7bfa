"""Benchmark: checkpoint -> NetworkX conversion and checkpoint loading.

Targets (issue 2): ``to_graph`` on a 784-1000-1000-1000-10 net at 2% and 20% density within
1.5x of a bare ``nx.DiGraph.add_weighted_edges_from`` on the same edge list (measured in the
same run); ``load_checkpoint`` of that net under 50 ms.

Run: ``python scripts/bench_convert.py`` (writes its section of docs/BENCHMARKS.md).
"""

import argparse
import sys
import tempfile
from pathlib import Path

import networkx as nx
import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _benchlib import machine_line, median_time, write_section  # noqa: E402

from netgraph import SparseMLP, load_checkpoint, save_checkpoint, to_graph  # noqa: E402
from netgraph.network import Checkpoint  # noqa: E402

SIZES = [784, 1000, 1000, 1000, 10]


def make_net(density, seed=0):
    gen = torch.Generator().manual_seed(seed)
    masks = [torch.rand(b, a, generator=gen) < density for a, b in zip(SIZES[:-1], SIZES[1:])]
    return SparseMLP(SIZES, masks=masks)


def edge_list(ckpt):
    """The edge list to_graph builds, prepared outside the timed reference."""
    edges = []
    for l, (w, m) in enumerate(zip(ckpt.weights, ckpt.masks)):
        src, dst = np.nonzero(m.T)
        edges.extend(
            zip(
                ((l, i) for i in src.tolist()), ((l + 1, j) for j in dst.tolist()), w.T[src, dst].astype(float).tolist()
            )
        )
    return edges


def reference(edges):
    G = nx.DiGraph()
    G.add_weighted_edges_from(edges)
    return G


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--no-write", action="store_true", help="print only; do not touch docs/BENCHMARKS.md")
    args = parser.parse_args(argv)
    rows = []
    load_rows = []
    for density in (0.02, 0.20):
        ckpt = Checkpoint.from_model(make_net(density))
        edges = edge_list(ckpt)
        t_ref = median_time(lambda edges=edges: reference(edges), repeat=args.repeat)
        t_ours = median_time(lambda ckpt=ckpt: to_graph(ckpt), repeat=args.repeat)
        G = to_graph(ckpt)
        assert G.number_of_edges() == len(edges) == ckpt.n_connections()
        rows.append((density, len(edges), t_ref, t_ours))
        with tempfile.TemporaryDirectory() as d:
            path = save_checkpoint(ckpt, Path(d) / "net.pt")
            load_checkpoint(path)  # warm the page cache
            t_load = median_time(lambda path=path: load_checkpoint(path), repeat=args.repeat)
            load_rows.append((density, path.stat().st_size, t_load))
        print(
            f"density {density:.0%}: {len(edges):,} edges  ref {t_ref:.3f}s  to_graph {t_ours:.3f}s  ratio {t_ours / t_ref:.2f}  load {t_load * 1e3:.1f} ms",
            flush=True,
        )
    lines = [
        "## Conversion (`python scripts/bench_convert.py`)",
        "",
        f"Machine: {machine_line()}. Net 784-1000-1000-1000-10, random masks; median of {args.repeat} runs.",
        "Reference: bare `nx.DiGraph().add_weighted_edges_from(edges)` on a prepared edge list of the same edges.",
        "`to_graph` starts from an in-memory `Checkpoint` and includes building that list and all node attributes. `load_checkpoint` is timed with the file in the page cache.",
        "",
        "| density | edges | reference (s) | `to_graph` (s) | ratio (target ≤ 1.5) | `load_checkpoint` (ms, target < 50) | file (MB) |",
        "|---|---|---|---|---|---|---|",
    ]
    for (density, n, t_ref, t_ours), (_, size, t_load) in zip(rows, load_rows):
        lines.append(
            f"| {density:.0%} | {n:,} | {t_ref:.3f} | {t_ours:.3f} | {t_ours / t_ref:.2f} | {t_load * 1e3:.1f} | {size / 1e6:.1f} |"
        )
    if not args.no_write:
        print(f"wrote {write_section('convert', chr(10).join(lines))}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
