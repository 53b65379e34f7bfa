"""Benchmark: channel-level graphs of real convolutional networks (issue 19), time and peak memory.

transformers' ResNet-18 (11.2M parameters) and ResNet-50 (23.5M), built offline from their
configurations, dense and after 90% global unstructured magnitude pruning
(``torch.nn.utils.prune.global_unstructured``): :func:`netgraph.channels.channel_graph` on a
64x64 input, then :func:`analysis.driver_nodes` (scipy's Hopcroft-Karp on the graph's arrays)
against the reference, networkx's ``hopcroft_karp_matching`` of the same split graph, measured
in the same process (the ratio), and :func:`analysis.degree_distribution`. Each network runs in
a process of its own, whose peak resident memory is reported.

Needs the dev extra (``pip install -e ".[dev]"``: transformers). Run:
``python scripts/bench_channels.py`` (writes its section of docs/BENCHMARKS.md; ``--no-write``
prints only; ``--no-reference`` skips the networkx matching, minutes at ResNet-50's size).
"""

import argparse
import json
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _benchlib import machine_line, write_section  # noqa: E402

NETWORKS = {  # name -> ResNetConfig keyword arguments
    "ResNet-18": {"layer_type": "basic", "depths": [2, 2, 2, 2], "hidden_sizes": [64, 128, 256, 512]},
    "ResNet-50": {},
}

_ONE = r"""
import json, resource, sys, time
import networkx as nx, torch
from torch.nn.utils import prune
from transformers import ResNetConfig, ResNetForImageClassification
from analysis import degree_distribution, driver_nodes
from netgraph.channels import channel_graph

kwargs, pruned, reference = json.loads(sys.argv[1]), sys.argv[2] == "1", sys.argv[3] == "1"
torch.manual_seed(0)
model = ResNetForImageClassification(ResNetConfig(**kwargs)).eval()
layers = [(m, "weight") for m in model.modules() if isinstance(m, (torch.nn.Conv2d, torch.nn.Linear))]
if pruned:
    prune.global_unstructured(layers, pruning_method=prune.L1Unstructured, amount=0.9)
row = {"parameters": sum(p.numel() for p in model.parameters())}
t = time.perf_counter(); G = channel_graph(model, torch.zeros(1, 3, 64, 64)); row["graph_s"] = time.perf_counter() - t
row["nodes"], row["edges"] = G.number_of_nodes(), G.number_of_edges()
t = time.perf_counter(); row["drivers"] = driver_nodes(G).count; row["drivers_s"] = time.perf_counter() - t
t = time.perf_counter(); degree_distribution(G, direction="total"); row["degrees_s"] = time.perf_counter() - t
if reference:
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


def measure(kwargs, pruned, reference):
    done = subprocess.run(
        [sys.executable, "-c", _ONE, json.dumps(kwargs), str(int(pruned)), str(int(reference))],
        capture_output=True,
        text=True,
    )
    if done.returncode:
        raise RuntimeError(done.stderr[-2000:])
    return json.loads(done.stdout.strip().splitlines()[-1])


def table(rows):
    lines = [
        "| network | pruned | nodes | edges | channel_graph | driver nodes (count, time) | networkx matching | ratio | degrees | peak RSS |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, pruned, r in rows:
        ref = f"{r['reference_s']:.1f} s" if "reference_s" in r else "not run"
        ratio = f"{r['reference_s'] / r['drivers_s']:.0f}×" if "reference_s" in r else ""
        lines.append(
            f"| {name} | {'90%' if pruned else 'dense'} | {r['nodes']:,} | {r['edges']:,} | {r['graph_s']:.1f} s "
            f"| {r['drivers']:,}, {r['drivers_s']:.2f} s | {ref} | {ratio} | {r['degrees_s']:.3f} s "
            f"| {r['peak_bytes'] / 2**30:.2f} GB |"
        )
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-write", action="store_true", help="print the table, do not write docs/BENCHMARKS.md")
    parser.add_argument("--no-reference", action="store_true", help="skip networkx's matching (the reference)")
    args = parser.parse_args(argv)
    rows = []
    for name, kwargs in NETWORKS.items():
        for pruned in (False, True):
            r = measure(kwargs, pruned, not args.no_reference)
            rows.append((name, pruned, r))
            print(name, "pruned" if pruned else "dense", r, flush=True)
    body = (
        "## Channel-level graphs of CNNs (`python scripts/bench_channels.py`)\n\n"
        "transformers' ResNets built from their configurations (seed 0), dense and at 90% global "
        "unstructured magnitude pruning, traced on a 64x64 input by `netgraph.channels.channel_graph` "
        "(a `networkx.DiGraph` of channels: the array-native path of issue 17 does not cover these graphs "
        "yet). Driver nodes: `analysis.driver_nodes` against networkx's `hopcroft_karp_matching` of the "
        "same split graph in the same process (ratio = reference / ours; both give the same count). "
        "Each network in a process of its own, its peak RSS.\n\n"
        f"{table(rows)}\n\n{machine_line()}\n"
    )
    if not args.no_write:
        write_section("channels", body)
    print(body)
    return 0


if __name__ == "__main__":
    sys.exit(main())
