"""Benchmark: networks of 10^5 to 10^8 connections from file to numbers, time and peak memory.

Targets (issue 17), on a 2-core, 24 GB machine, at 10^8 connections (four layers of 10,000 units
at 33%): ``netgraph info`` < 10 s and < 2 GB peak RSS; ``netgraph analyze`` (degrees, driver
nodes, width bound) < 120 s and < 4 GB; ``netgraph similarity --no-aligned`` of three such
networks < 300 s and < 8 GB. Beside them, where it fits in memory, today's reference path
through a ``networkx.DiGraph`` (``to_graph`` then the same analysis), measured in the same run:
the ratio. Aligned Jaccard (NNSTD's matching) is timed per layer width.

Every measurement runs in a process of its own (``python -m netgraph ...`` or a short
``python -c``), and its peak resident memory is that process's own (``os.wait4``). The networks
are random (each row a uniform sample of its columns), saved as format-2 checkpoints, and one of
each size also as a SET/NNSTD topology folder.

Run: ``python scripts/bench_scale.py`` (writes its section of docs/BENCHMARKS.md and
``docs/figures/bench-scale.png``; ``--no-write`` prints only, ``--largest 7`` stops at 10^7).
"""

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _benchlib import figure, machine_line, relpath, write_section  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
FIGURE = ROOT / "docs" / "figures" / "bench-scale.png"
#: (log10 of the connections, layer width, density): four layers of the width.
SIZES = [(5, 1000, 0.0333), (6, 3000, 0.037), (7, 10000, 0.0333), (8, 10000, 0.3333)]
#: The largest size the DiGraph reference is run at (about 256 B per connection: 2.6 GB at 10^7).
GRAPH_LIMIT = 7
#: Layer widths the aligned Jaccard of one pair is timed at (hidden layers of that width, 5% density).
ALIGN_WIDTHS = [1000, 3000, 10000]


def make_network(width, density, seed):
    """A random 4-layer network of ``width`` units per layer: each row a uniform sample of ``density`` of its columns."""
    from netgraph.network import Checkpoint, csr_block

    rng = np.random.default_rng(seed)
    blocks = []
    for _ in range(3):
        counts = rng.binomial(width, density, size=width)
        indptr = np.concatenate([[0], np.cumsum(counts)])
        indices = np.empty(int(indptr[-1]), dtype=np.int32)
        for j, c in enumerate(counts.tolist()):
            indices[indptr[j] : indptr[j + 1]] = np.sort(rng.choice(width, size=c, replace=False))
        blocks.append(csr_block(indptr, indices, rng.normal(size=indices.size).astype(np.float32), (width, width)))
    biases = tuple(np.zeros(width, dtype=np.float32) for _ in range(3))
    return Checkpoint((width,) * 4, blocks=tuple(blocks), biases=biases, meta={"seed": seed, "method": "random"})


# The measured process is started by this small one, so that its peak RSS is its own: a child made by
# fork() from the benchmark (which holds the networks) would count the benchmark's pages as its own.
_LAUNCHER = (
    "import os, sys\n"
    "pid = os.fork()\n"
    "if pid == 0:\n"
    "    os.execv(sys.argv[1], sys.argv[1:])\n"
    "_, status, usage = os.wait4(pid, 0)\n"
    "sys.stderr.write(f'\\nMAXRSS {usage.ru_maxrss}\\n')\n"
    "sys.exit(os.waitstatus_to_exitcode(status))\n"
)


def run(argv, *, cwd=None):
    """Wall seconds, peak RSS (bytes) and stdout of one process (its own peak, through :data:`_LAUNCHER`)."""
    t0 = time.perf_counter()
    done = subprocess.run([PY, "-c", _LAUNCHER, *argv], cwd=cwd, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if done.returncode:
        raise RuntimeError(f"{' '.join(argv)} failed ({done.returncode}): {done.stderr[-2000:]}")
    maxrss = int(done.stderr.rsplit("MAXRSS", 1)[1].split()[0]) * 1024  # kilobytes on Linux
    return wall, maxrss, done.stdout


PY = sys.executable
_GRAPH_ANALYZE = (  # what netgraph analyze computes, on the DiGraph of to_graph
    "import sys, time; t = time.perf_counter(); import analysis; from netgraph import load_checkpoint, to_graph; "
    "G = to_graph(load_checkpoint(sys.argv[1])); built = time.perf_counter() - t; "
    "analysis.layer_summary(G), analysis.driver_nodes(G), analysis.degree_distribution(G, direction='total'); "
    "print(built, time.perf_counter() - t)"
)
_LOAD = (
    "import sys, time; from netgraph import load_checkpoint; import netgraph.io.load; t = time.perf_counter(); "
    "load_checkpoint(sys.argv[1]); print(time.perf_counter() - t)"
)  # the load alone: imports before the clock starts
_ALIGN = (
    "import sys, time; import numpy as np; sys.path.insert(0, sys.argv[2]); import bench_scale as b; import analysis; "
    "w = int(sys.argv[1]); nets = [b.make_network(w, 0.05, s) for s in (1, 2)]; t = time.perf_counter(); "
    "analysis.aligned_jaccard(nets[0], nets[1]); a = time.perf_counter() - t; t = time.perf_counter(); "
    "analysis.nnstd(nets[0], nets[1]); print(a, time.perf_counter() - t)"
)


def bench_size(exp, width, density, folder, *, graph):
    """The measurements at one size: a dict of (seconds, peak bytes) per step."""
    from netgraph import save_checkpoint
    from netgraph.io import save_topology_folder

    t0 = time.perf_counter()
    nets = [make_network(width, density, seed) for seed in range(3)]
    paths = [save_checkpoint(net, folder / f"n{exp}-{seed}.pt") for seed, net in enumerate(nets)]
    topo = save_topology_folder(nets[0], folder / f"n{exp}-topo")
    connections = nets[0].n_connections()
    made = time.perf_counter() - t0
    del nets
    row = {"exp": exp, "width": width, "density": density, "connections": connections, "made_s": made}
    row["file_bytes"] = paths[0].stat().st_size
    wall, rss, out = run([PY, "-c", _LOAD, str(paths[0])])
    row["load"] = (float(out.split()[-1]), rss)
    row["info"] = run([PY, "-m", "netgraph", "info", str(paths[0])])[:2]
    row["info_topology"] = run([PY, "-m", "netgraph", "info", str(topo)])[:2]
    row["analyze"] = run([PY, "-m", "netgraph", "analyze", str(paths[0])])[:2]
    out_dir = folder / f"report-{exp}"
    row["similarity"] = run(
        [PY, "-m", "netgraph", "similarity", *map(str, paths), "--no-aligned", "--quiet", "--out", str(out_dir)]
    )[:2]
    if graph:
        wall, rss, out = run([PY, "-c", _GRAPH_ANALYZE, str(paths[0])])
        built, total = (float(x) for x in out.split()[-2:])
        row["graph_analyze"] = (wall, rss)
        row["graph_build_s"] = built
    for p in paths:
        p.unlink()
    return row


def gb(x):
    return f"{x / 2**30:.2f}"


def table(rows, aligned):
    lines = [
        "| connections | file (MB) | load (s) | `info` (s / GB) | `info`, topology folder (s / GB) | `analyze` (s / GB) "
        "| `analyze` through a DiGraph (s / GB) | ratio (time, memory) | `similarity --no-aligned`, 3 networks (s / GB) |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        graph = (
            "did not fit (≈ 26 GB)"
            if "graph_analyze" not in r
            else f"{r['graph_analyze'][0]:.1f} / {gb(r['graph_analyze'][1])}"
        )
        ratio = (
            "–"
            if "graph_analyze" not in r
            else f"{r['graph_analyze'][0] / r['analyze'][0]:.1f}×, {r['graph_analyze'][1] / r['analyze'][1]:.1f}×"
        )
        lines.append(
            f"| {r['connections']:,} | {r['file_bytes'] / 1e6:.1f} | {r['load'][0]:.2f} | "
            f"{r['info'][0]:.1f} / {gb(r['info'][1])} | {r['info_topology'][0]:.1f} / {gb(r['info_topology'][1])} | "
            f"{r['analyze'][0]:.1f} / {gb(r['analyze'][1])} | {graph} | {ratio} | "
            f"{r['similarity'][0]:.1f} / {gb(r['similarity'][1])} |"
        )
    align = ["| layer width | aligned Jaccard, one pair (s) | NNSTD, one pair (s) |", "|---:|---:|---:|"]
    for w, (a, n) in aligned.items():
        align.append(f"| {w:,} | {a:.2f} | {n:.2f} |")
    return "\n".join(lines), "\n".join(align)


def draw(rows, path):
    fig = figure(9, 3.4)
    ax_t, ax_m = fig.subplots(1, 2)
    x = [r["connections"] for r in rows]
    for key, label in (("info", "info"), ("analyze", "analyze"), ("similarity", "similarity, 3 networks")):
        ax_t.plot(x, [r[key][0] for r in rows], marker="o", label=label)
        ax_m.plot(x, [r[key][1] / 2**30 for r in rows], marker="o", label=label)
    g = [r for r in rows if "graph_analyze" in r]
    ax_t.plot(
        [r["connections"] for r in g],
        [r["graph_analyze"][0] for r in g],
        marker="s",
        ls="--",
        label="analyze via DiGraph",
    )
    ax_m.plot(
        [r["connections"] for r in g],
        [r["graph_analyze"][1] / 2**30 for r in g],
        marker="s",
        ls="--",
        label="analyze via DiGraph",
    )
    for ax, ylabel in ((ax_t, "seconds"), (ax_m, "peak RSS (GB)")):
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("connections")
        ax.set_ylabel(ylabel)
        ax.grid(True, which="both", alpha=0.3)
    ax_t.legend(fontsize=8)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-write", action="store_true", help="print only; do not touch docs/")
    parser.add_argument("--largest", type=int, default=8, help="log10 of the largest size (default 8)")
    args = parser.parse_args(argv)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for exp, width, density in SIZES:
            if exp > args.largest:
                continue
            row = bench_size(exp, width, density, Path(tmp), graph=exp <= GRAPH_LIMIT)
            rows.append(row)
            print(json.dumps(row), flush=True)
    aligned = {}
    for w in ALIGN_WIDTHS:
        _, _, out = run([PY, "-c", _ALIGN, str(w), str(Path(__file__).resolve().parent)])
        aligned[w] = tuple(float(x) for x in out.split()[-2:])
        print(f"aligned width {w}: {aligned[w]}", flush=True)
    main_table, align_table = table(rows, aligned)
    print(main_table)
    print(align_table)
    if args.no_write:
        return 0
    draw(rows, FIGURE)
    largest = max(r["exp"] for r in rows)
    body = f"""## Scale (`python scripts/bench_scale.py`)

Machine: {machine_line()}. Networks of four layers (width x 4), random rows; three of each size,
saved as format-2 checkpoints (one also as a topology folder). Each number is one process's own
wall time (interpreter start and imports included: most of the smallest row) and peak RSS (`os.wait4`). "Through a
DiGraph" is the path `netgraph analyze` took before (issue 17): `to_graph`, then the same analysis on
the graph, run here up to 10^{GRAPH_LIMIT} connections.

{main_table}

Targets at 10^8 (issue 17): `info` < 10 s and < 2 GB, `analyze` < 120 s and < 4 GB, `similarity --no-aligned`
of three < 300 s and < 8 GB.

Aligned Jaccard and NNSTD of one pair (hidden layers matched by `scipy.optimize.linear_sum_assignment`,
whose cost grows as the cube of the width), two random 4-layer networks at 5% density:

{align_table}

![time and memory against connections]({relpath(FIGURE, BENCHMARKS_DIR)})
"""
    write_section("scale", body)
    print(f"wrote docs/BENCHMARKS.md and {FIGURE.relative_to(ROOT)} (largest 10^{largest})")
    return 0


BENCHMARKS_DIR = ROOT / "docs"

if __name__ == "__main__":
    raise SystemExit(main())
