"""Benchmark of the analysis fast paths; writes the "analysis" section of docs/BENCHMARKS.md.

On 784-1000-1000-1000-10 SparseMLPs with random masks (20% and 2% density), starting from the
``nx.DiGraph`` made by ``netgraph.to_graph``, every timing including its own conversion:

- ``analysis.driver_nodes`` against networkx Hopcroft–Karp on the out-/in-copy bipartite graph;
- the same for *any DiGraph*: the structure read from the graph's dicts, not from the arrays ``to_graph`` leaves;
- ``driver_nodes`` again on the unchanged graph (structural view cached in ``G.__networkx_cache__``);
- ``analysis.similarity_matrix`` (edge Jaccard) over 5 graphs against Python sets of edge tuples;
- ``analysis.aligned_jaccard`` of one pair;
- ``netgraph similarity`` over 10 checkpoints at 20% density, aligned Jaccard included (target < 60 s).

Usage: ``python scripts/bench_analysis.py [--quick]`` (``--quick``: 2% only, 4 checkpoints; not written).
"""

import argparse
import itertools
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import networkx as nx
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _benchlib import machine_line, median_time, write_section  # noqa: E402

import analysis  # noqa: E402
from netgraph import SparseMLP, save_checkpoint, to_graph  # noqa: E402
from netgraph.io.runs import RunFolder  # noqa: E402
from netgraph.network import ADJACENCY_KEY  # noqa: E402

SIZES = [784, 1000, 1000, 1000, 10]


def random_net(density, seed):
    gen = torch.Generator().manual_seed(seed)
    masks = [torch.rand(b, a, generator=gen) < density for a, b in zip(SIZES[:-1], SIZES[1:])]
    net = SparseMLP(SIZES, masks=masks)
    with torch.no_grad():
        for layer in net.layers:
            layer.weight.normal_(generator=gen)
    return net.apply_masks_()


def cold(G, fn, *, arrays=True):
    """Run fn(G) with the structural cache emptied first (conversion included).

    ``arrays``: keep the structure arrays ``to_graph`` leaves with the graph (as on a graph just
    made); without them the structure is read from the graph's adjacency dicts, as for any DiGraph.
    """
    entry = G.__networkx_cache__.get(ADJACENCY_KEY)
    G.__networkx_cache__.clear()
    if arrays and entry is not None:
        G.__networkx_cache__[ADJACENCY_KEY] = entry
    return fn(G)


def hk_reference(G):
    B = nx.Graph()
    top = [("out", u) for u in G]
    B.add_nodes_from(top)
    B.add_nodes_from(("in", v) for v in G)
    B.add_edges_from((("out", u), ("in", v)) for u, v in G.edges)
    m = len(nx.bipartite.hopcroft_karp_matching(B, top_nodes=top)) // 2
    return max(G.number_of_nodes() - m, 1)


def sets_reference(graphs):
    sets = [set(G.edges) for G in graphs]
    out = {}
    for a, b in itertools.combinations(range(len(sets)), 2):
        inter = len(sets[a] & sets[b])
        out[a, b] = inter / (len(sets[a]) + len(sets[b]) - inter)
    return out


def bench_density(density, n_graphs, rows):
    graphs = [to_graph(random_net(density, seed)) for seed in range(n_graphs)]
    G = graphs[0]
    m = G.number_of_edges()
    ours = median_time(lambda: cold(G, analysis.driver_nodes), repeat=5)
    dicts = median_time(lambda: cold(G, analysis.driver_nodes, arrays=False), repeat=5)
    cold(G, analysis.driver_nodes)
    cached = median_time(lambda: analysis.driver_nodes(G), repeat=5)
    t0 = time.perf_counter()
    ref_count = hk_reference(G)
    ref = time.perf_counter() - t0
    assert ref_count == analysis.driver_nodes(G).count
    rows.append((f"driver_nodes, {density:.0%} ({m:,} edges)", ours, "networkx Hopcroft–Karp", ref))
    rows.append((f"driver_nodes, {density:.0%}, any DiGraph (from its dicts)", dicts, "networkx Hopcroft–Karp", ref))
    rows.append((f"driver_nodes again, unchanged graph, {density:.0%}", cached, "networkx Hopcroft–Karp", ref))

    def sim(arrays=True):
        for H in graphs:
            cold(H, lambda H: None, arrays=arrays)
        return analysis.similarity_matrix(graphs, kind="edge")

    ours = median_time(sim, repeat=3)
    ours_dicts = median_time(lambda: sim(arrays=False), repeat=3)
    t0 = time.perf_counter()
    ref_vals = sets_reference(graphs)
    ref = time.perf_counter() - t0
    mat = sim()
    assert all(abs(mat.values[a, b] - v) < 1e-12 for (a, b), v in ref_vals.items())
    rows.append((f"similarity_matrix, {n_graphs} graphs, {density:.0%}", ours, "Python sets of edge tuples", ref))
    rows.append(
        (
            f"similarity_matrix, {n_graphs} graphs, {density:.0%}, any DiGraph",
            ours_dicts,
            "Python sets of edge tuples",
            ref,
        )
    )
    aligned = median_time(lambda: analysis.aligned_jaccard(graphs[0], graphs[1]), repeat=3)
    rows.append((f"aligned_jaccard, one pair, {density:.0%}", aligned, None, None))
    return graphs


def bench_cli(density, n_ckpt):
    with tempfile.TemporaryDirectory() as tmp:
        run = Path(tmp) / "run"
        for seed in range(n_ckpt):
            save_checkpoint(
                random_net(density, seed), RunFolder.of(run, seed).final, meta={"seed": seed, "method": "random"}
            )
        cmd = [sys.executable, "-m", "netgraph", "similarity", str(run), "--out", str(Path(tmp) / "report"), "--quiet"]
        t0 = time.perf_counter()
        subprocess.run(cmd, check=True, capture_output=True)
        return time.perf_counter() - t0


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2%% density only, 4 checkpoints, print only")
    args = parser.parse_args(argv)
    torch.set_num_threads(2)
    rows = []
    densities = [0.02] if args.quick else [0.2, 0.02]
    for d in densities:
        bench_density(d, 10, rows)
    n_ckpt = 4 if args.quick else 10
    cli = bench_cli(0.02 if args.quick else 0.2, n_ckpt)
    lines = [
        "## Analysis (`scripts/bench_analysis.py`)",
        "",
        f"Machine: {machine_line()}.",
        "",
        "784-1000-1000-1000-10 SparseMLP, random masks, starting from the `nx.DiGraph` of `netgraph.to_graph`;",
        "each timing includes its own conversion from the graph (except the cached row): for a graph as",
        "`to_graph` makes it, from the structure arrays it leaves in the graph's networkx cache; for",
        "*any DiGraph* (that cache emptied, as after an edit), from the graph's adjacency dicts. Median seconds.",
        "",
        "| operation | netgraph s | reference | reference s | speed-up |",
        "|---|---:|---|---:|---:|",
    ]
    for name, ours, ref_name, ref in rows:
        if ref is None:
            lines.append(f"| {name} | {ours:.4f} | – | – | – |")
        else:
            lines.append(f"| {name} | {ours:.4f} | {ref_name} | {ref:.3f} | {ref / ours:.0f}× |")
    lines += [
        "",
        f"`netgraph similarity` over {n_ckpt} checkpoints at {'2' if args.quick else '20'}% density "
        f"(loading, per-network analysis, raw/node/aligned Jaccard, figures, HTML): **{cli:.1f} s** "
        "(target < 60 s on 2 cores).",
        "",
        "Targets: driver_nodes ≥ 20× faster than Hopcroft–Karp; similarity_matrix ≥ 5× faster than sets.",
    ]
    body = "\n".join(lines)
    print(body)
    if not args.quick:
        write_section("analysis", body)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
