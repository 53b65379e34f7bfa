"""Benchmark: channel-level graphs of real convolutional networks (issues 19 and 17), time and peak memory.

transformers' ResNet-18 (11.2M parameters) and ResNet-50 (23.5M), built offline from their
configurations with seeds 0 and 1, dense and after 90% global unstructured magnitude pruning
(``torch.nn.utils.prune.global_unstructured``), each saved as a ``torch.export`` program
(``.pt2``, traced on a 64x64 input). Then, each in a process of its own whose peak resident
memory is reported:

- **arrays** (the array-native path): :func:`netgraph.channels.channel_network` of the ``.pt2``
  file, :func:`analysis.driver_nodes`, :func:`analysis.degree_distribution`, and the two seeds
  compared block by block -- :func:`analysis.block_jaccard` of channel connections and of kernel
  elements, aligned, and :func:`analysis.block_nnstd`;
- **networkx**: :func:`netgraph.channels.channel_graph` of the same file (the arrays, then a
  ``networkx.DiGraph``) and :func:`analysis.driver_nodes` on it, against the reference, networkx's
  ``hopcroft_karp_matching`` of the same split graph in the same process (the ratio).

Needs the dev extra (``pip install -e ".[dev]"``: transformers). Run:
``python scripts/bench_channels.py`` (writes its section of docs/BENCHMARKS.md; ``--no-write``
prints only; ``--no-reference`` skips the networkx matching, minutes at ResNet-50's size).
"""

import argparse
import json
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _benchlib import machine_line, python_json, write_section  # noqa: E402

NETWORKS = {  # name -> ResNetConfig keyword arguments
    "ResNet-18": {"layer_type": "basic", "depths": [2, 2, 2, 2], "hidden_sizes": [64, 128, 256, 512]},
    "ResNet-50": {},
}

_SAVE = r"""
import json, sys, torch
from torch.nn.utils import prune
from transformers import ResNetConfig, ResNetForImageClassification

kwargs, pruned, seed, path = json.loads(sys.argv[1]), sys.argv[2] == "1", int(sys.argv[3]), sys.argv[4]
torch.manual_seed(seed)
model = ResNetForImageClassification(ResNetConfig(**kwargs)).eval()
layers = [(m, "weight") for m in model.modules() if isinstance(m, (torch.nn.Conv2d, torch.nn.Linear))]
if pruned:
    prune.global_unstructured(layers, pruning_method=prune.L1Unstructured, amount=0.9)
    for m, name in layers:
        prune.remove(m, name)  # the zeros stay: the program holds the pruned weights
torch.export.save(torch.export.export(model, (torch.zeros(1, 3, 64, 64),)), path)
print(json.dumps({"parameters": sum(p.numel() for p in model.parameters())}))
"""

_ARRAYS = r"""
import json, resource, sys, time
from analysis import block_jaccard, block_nnstd, degree_distribution, driver_nodes
from netgraph.channels import channel_network

row = {}
t = time.perf_counter(); net = channel_network(sys.argv[1]); row["graph_s"] = time.perf_counter() - t
row["nodes"], row["edges"] = net.n_nodes, net.n_edges
t = time.perf_counter(); row["drivers"] = driver_nodes(net).count; row["drivers_s"] = time.perf_counter() - t
t = time.perf_counter(); degree_distribution(net, direction="total"); row["degrees_s"] = time.perf_counter() - t
other = channel_network(sys.argv[2])
t = time.perf_counter()
j, k = block_jaccard(net, other), block_jaccard(net, other, level="kernel")
row["jaccard_s"] = time.perf_counter() - t
t = time.perf_counter(); a = block_jaccard(net, other, aligned=True, rng=0); row["aligned_s"] = time.perf_counter() - t
t = time.perf_counter(); d = block_nnstd(net, other, rng=0); row["nnstd_s"] = time.perf_counter() - t
row["values"] = [j.value, j.chance_overall, k.value, k.chance_overall, a.value, a.chance_overall, d.value, d.random_mean]
row["peak_bytes"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
print(json.dumps(row))
"""

_NETWORKX = r"""
import json, resource, sys, time
import networkx as nx
from analysis import driver_nodes
from netgraph.channels import channel_graph

row = {}
t = time.perf_counter(); G = channel_graph(sys.argv[1]); row["graph_s"] = time.perf_counter() - t
t = time.perf_counter(); row["drivers"] = driver_nodes(G).count; row["drivers_s"] = time.perf_counter() - t
if sys.argv[2] == "1":
    t = time.perf_counter()
    B = nx.Graph()
    top = [("out", u) for u in G]
    B.add_nodes_from(top); B.add_nodes_from(("in", v) for v in G)
    B.add_edges_from((("out", u), ("in", v)) for u, v in G.edges)
    matched = len(nx.bipartite.hopcroft_karp_matching(B, top_nodes=top)) // 2
    row["reference_s"] = time.perf_counter() - t
    assert max(G.number_of_nodes() - matched, 1) == row["drivers"], "driver counts differ"
row["peak_bytes"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
print(json.dumps(row))
"""


def measure(kwargs, pruned, reference, folder):
    """The arrays and networkx rows of one network (seed 0, compared with seed 1)."""
    paths = [Path(folder) / f"seed{seed}.pt2" for seed in (0, 1)]
    for seed, path in enumerate(paths):
        info = python_json(_SAVE, json.dumps(kwargs), int(pruned), seed, path)
    arrays = python_json(_ARRAYS, *paths)
    graph = python_json(_NETWORKX, paths[0], int(reference))
    assert graph["drivers"] == arrays["drivers"], "the two paths' driver counts differ"
    return {**info, "arrays": arrays, "networkx": graph}


def table(rows):
    lines = [
        "| network | pruned | nodes | edges | path | graph | driver nodes (count, time) | networkx matching | ratio "
        "| degrees | peak RSS |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, pruned, r in rows:
        a, g = r["arrays"], r["networkx"]
        ref = f"{g['reference_s']:.1f} s" if "reference_s" in g else "not run"
        ratio = f"{g['reference_s'] / a['drivers_s']:.0f}×" if "reference_s" in g else ""
        head = f"| {name} | {'90%' if pruned else 'dense'} | {a['nodes']:,} | {a['edges']:,}"
        lines.append(
            f"{head} | arrays | {a['graph_s']:.1f} s | {a['drivers']:,}, {a['drivers_s']:.2f} s | {ref} | {ratio} "
            f"| {a['degrees_s']:.3f} s | {a['peak_bytes'] / 2**30:.2f} GB |"
        )
        lines.append(
            f"{head} | networkx | {g['graph_s']:.1f} s | {g['drivers']:,}, {g['drivers_s']:.2f} s | | | "
            f"| {g['peak_bytes'] / 2**30:.2f} GB |"
        )
    return "\n".join(lines)


def compare_table(rows):
    lines = [
        "| network | pruned | channel Jaccard (chance) | kernel elements (chance) | aligned (chance) | NNSTD (random) "
        "| raw + kernel | aligned | NNSTD |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for name, pruned, r in rows:
        a = r["arrays"]
        v = a["values"]
        lines.append(
            f"| {name} | {'90%' if pruned else 'dense'} | {v[0]:.4f} ({v[1]:.4f}) | {v[2]:.4f} ({v[3]:.4f}) "
            f"| {v[4]:.4f} ({v[5]:.4f}) | {v[6]:.4f} ({v[7]:.4f}) | {a['jaccard_s']:.2f} s | {a['aligned_s']:.1f} s "
            f"| {a['nnstd_s']:.1f} s |"
        )
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-write", action="store_true", help="print the table, do not write docs/BENCHMARKS.md")
    parser.add_argument("--no-reference", action="store_true", help="skip networkx's matching (the reference)")
    args = parser.parse_args(argv)
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        for name, kwargs in NETWORKS.items():
            for pruned in (False, True):
                r = measure(kwargs, pruned, not args.no_reference, folder)
                rows.append((name, pruned, r))
                print(name, "pruned" if pruned else "dense", r, flush=True)
    body = (
        "## Channel-level graphs of CNNs (`python scripts/bench_channels.py`)\n\n"
        "transformers' ResNets built from their configurations (seeds 0 and 1), dense and at 90% global "
        "unstructured magnitude pruning, saved as `torch.export` programs (`.pt2`, traced on a 64x64 input). "
        "*arrays*: `netgraph.channels.channel_network(path)` (read the program, walk it into arrays; no networkx "
        "object) and the analyses on it; *networkx*: `netgraph.channels.channel_graph(path)` (the same arrays, "
        "then a `networkx.DiGraph`) and `analysis.driver_nodes` on the DiGraph. Driver nodes against networkx's "
        "`hopcroft_karp_matching` of the same split graph (ratio = reference / arrays; all give the same "
        "count). Each path in a process of its own, its peak RSS (torch and the program included).\n\n"
        f"{table(rows)}\n\n"
        'Seed 0 against seed 1, block by block, on the arrays (`analysis.block_jaccard` raw, `level="kernel"`, '
        "`aligned=True` with one random pair per block behind its chance level, and `analysis.block_nnstd`): "
        "untrained networks pruned by magnitude, so every measure sits at its chance level.\n\n"
        f"{compare_table(rows)}\n\n{machine_line()}\n"
    )
    if not args.no_write:
        write_section("channels", body)
    print(body)
    return 0


if __name__ == "__main__":
    sys.exit(main())
