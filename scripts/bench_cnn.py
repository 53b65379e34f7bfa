"""Benchmark: an epoch of sparse LeNet-5 and ResNet-8 on MNIST (issue 20), against the same network dense.

Each network as ``netgraph train --arch`` builds it (:func:`netgraph.training.run.initial_network`:
ERK masks at 10% density, or dense), trained for one epoch over the 60000 MNIST images (SGD
lr 0.05, momentum 0.9, batch 128, the trainer's loop: masked layers multiply weight and mask in
every step), on the CPU with 1 and 2 threads, each in a process of its own. Then one topology
evolution step (ζ = 0.3) of the trained sparse network with each growth strategy, timed against
the epoch (gradient growth includes its dense gradient on one batch). Ratio = sparse epoch /
dense epoch: the masked backend computes the dense product, so it saves no time by itself.

Needs the MNIST IDX files. Run: ``python scripts/bench_cnn.py --data-dir ../shared/data/mnist``
(writes its section of docs/BENCHMARKS.md; ``--no-write`` prints only).
"""

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _benchlib import machine_line, python_json, write_section  # noqa: E402

_ONE = r"""
import json, sys, time
import torch
from torch.nn import functional as F
from netgraph.training import TrainConfig
from netgraph.training.data import load
from netgraph.training.run import initial_network
from netgraph.topology.evolution import evolve_
from netgraph.topology.growth import dense_gradients

arch, sparse, threads, data_dir = sys.argv[1], sys.argv[2] == "1", int(sys.argv[3]), sys.argv[4]
torch.set_num_threads(threads)
data = load("mnist", data_dir=data_dir)
cfg = TrainConfig(arch=arch, dataset="mnist", data_dir=data_dir, **({"density": 0.1} if sparse else {}))
model = initial_network(cfg, 0, data=data)
opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, weight_decay=0.0002)
gen = torch.Generator().manual_seed(0)
x, y = data.x_train, data.y_train
model.train()
t = time.perf_counter()
perm = torch.randperm(len(y), generator=gen)
for start in range(0, len(y), 128):
    idx = perm[start : start + 128]
    loss = F.cross_entropy(model(x[idx]), y[idx])
    opt.zero_grad(set_to_none=True)
    loss.backward()
    opt.step()
row = {"epoch_s": time.perf_counter() - t, "weights": model.n_connections()}
if sparse:
    for growth in ("random", "strategic", "gradient"):
        t = time.perf_counter()
        grads = dense_gradients(model, x[:128], y[:128]) if growth == "gradient" else None
        evolve_(model, zeta=0.3, criterion="set", growth=growth, rng=0, grads=grads)
        row[f"evolve_{growth}_s"] = time.perf_counter() - t
print(json.dumps(row))
"""


def measure(arch, sparse, threads, data_dir):
    return python_json(_ONE, arch, int(sparse), threads, data_dir)


def table(rows):
    lines = [
        "| network | threads | sparse epoch (10%, ERK) | dense epoch | sparse / dense | evolution: random | strategic "
        "| gradient | largest share of the epoch |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for arch, threads, s, d in rows:
        ev = [s[f"evolve_{g}_s"] for g in ("random", "strategic", "gradient")]
        lines.append(
            f"| {arch} | {threads} | {s['epoch_s']:.1f} s ({s['weights']:,} weights) | {d['epoch_s']:.1f} s "
            f"({d['weights']:,}) | {s['epoch_s'] / d['epoch_s']:.2f} | "
            + " | ".join(f"{e:.3f} s" for e in ev)
            + f" | {max(ev) / s['epoch_s']:.1%} |"
        )
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default=str(Path(__file__).resolve().parents[2] / "shared" / "data" / "mnist"))
    parser.add_argument("--no-write", action="store_true", help="print the table, do not write docs/BENCHMARKS.md")
    args = parser.parse_args(argv)
    rows = []
    for arch in ("lenet5", "resnet8"):
        for threads in (1, 2):
            s, d = (measure(arch, sparse, threads, args.data_dir) for sparse in (True, False))
            rows.append((arch, threads, s, d))
            print(arch, threads, s, d, flush=True)
    body = (
        "## Sparse convolutional networks, an epoch on MNIST (`python scripts/bench_cnn.py`)\n\n"
        "One epoch of training over the 60000 MNIST images (batch 128, SGD with momentum) of the networks "
        "`netgraph train --arch lenet5|resnet8` builds, at 10% density (ERK masks, masked layers: weight × mask "
        "in every step) and dense, each in a process of its own with 1 and 2 torch threads; then one evolution "
        "step (ζ = 0.3) of the trained sparse network per growth strategy (gradient growth with its dense "
        "gradient on one batch), and the largest of them as a share of the sparse epoch.\n\n"
        f"{table(rows)}\n\n{machine_line()}\n"
    )
    if not args.no_write:
        write_section("cnn", body)
    print(body)
    return 0


if __name__ == "__main__":
    sys.exit(main())
