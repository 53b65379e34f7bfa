"""Benchmark: masked training step vs. dense step, and topology evolution vs. an epoch.

Targets (issue 3 item 8), on 784-1000-1000-1000-10 with batch 128 and SGD + momentum:

- one training step of the masked :class:`~netgraph.SparseMLP` at ε = 20 (forward through
  ``W * M``, backward, optimizer step) within 1.3x of a step of the same net built from plain
  dense ``nn.Linear`` layers, measured in the same run;
- one topology evolution (:func:`netgraph.topology.evolution.evolve_`, ζ = 0.3, SET criterion, random
  growth, plus the trainer's optimizer-state reset) at ε = 20 within 10% of an epoch, the
  epoch being 469 steps (60000 MNIST images / 128) at the measured masked step time.

Strategic and gradient growth (with the gradient on one batch) are timed for information.

Run: ``python scripts/bench_train.py`` (writes its section of docs/BENCHMARKS.md).
"""

import argparse
import math
import sys
from pathlib import Path

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _benchlib import machine_line, median_time, write_section  # noqa: E402

from netgraph import SparseMLP  # noqa: E402
from netgraph.topology.evolution import (
    evolve_,  # noqa: E402
    reset_optimizer_state,  # noqa: E402
)
from netgraph.topology.growth import dense_gradients  # noqa: E402
from netgraph.topology.initial import init_masks  # noqa: E402

SIZES = [784, 1000, 1000, 1000, 10]
BATCH = 128
STEPS_PER_EPOCH = math.ceil(60000 / BATCH)


def dense_net():
    layers = []
    for l, (a, b) in enumerate(zip(SIZES[:-1], SIZES[1:])):
        layers.append(nn.Linear(a, b))
        if l < len(SIZES) - 2:
            layers.append(nn.ReLU())
    return nn.Sequential(*layers)


def sparse_net(epsilon=20.0, seed=0):
    return SparseMLP(SIZES, masks=init_masks(SIZES, epsilon=epsilon, rng=seed))


def step_fn(model, x, y):
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, weight_decay=2e-4)

    def step():
        loss = F.cross_entropy(model(x), y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

    for _ in range(3):  # warm-up, and momentum buffers exist
        step()
    return step, opt


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7, help="timed repetitions (median)")
    parser.add_argument("--steps", type=int, default=20, help="training steps per repetition")
    parser.add_argument("--no-write", action="store_true", help="print only; do not touch docs/BENCHMARKS.md")
    args = parser.parse_args(argv)
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(BATCH, SIZES[0], generator=gen)
    y = torch.randint(0, SIZES[-1], (BATCH,), generator=gen)

    nets = {
        "dense nn.Linear (reference)": dense_net(),
        "SparseMLP, ε = 20": sparse_net(),
        "SparseMLP, all-True masks": SparseMLP(SIZES),
    }
    steps = {name: step_fn(net, x, y)[0] for name, net in nets.items()}
    times = {name: float("inf") for name in nets}
    for _ in range(args.repeat):  # interleaved, so load changes hit every variant alike
        for name, step in steps.items():
            t = median_time(step, repeat=args.steps)
            times[name] = min(times[name], t)
    t_ref = times["dense nn.Linear (reference)"]
    for name, t in times.items():
        print(f"step {name}: {t * 1e3:.1f} ms  ratio {t / t_ref:.2f}", flush=True)

    t_step = times["SparseMLP, ε = 20"]
    t_epoch = t_step * STEPS_PER_EPOCH
    evo_rows = []
    for growth in ("random", "strategic", "gradient"):
        net = sparse_net()
        step, opt = step_fn(net, x, y)
        rng = np.random.default_rng(0)

        def evolve(net=net, opt=opt, rng=rng, growth=growth):
            grads = dense_gradients(net, x, y) if growth == "gradient" else None
            stats = evolve_(net, zeta=0.3, criterion="set", growth=growth, rng=rng, grads=grads, init_scale=0.3)
            reset_optimizer_state(opt, net, [s["added_index"] for s in stats])

        before = net.n_connections()
        t = median_time(evolve, repeat=max(3, args.repeat // 2))
        assert net.n_connections() == before
        evo_rows.append((growth, t))
        print(f"evolution {growth}: {t:.3f} s = {t / t_epoch:.1%} of an epoch ({t_epoch:.1f} s)", flush=True)

    connections = sparse_net().n_connections()
    lines = [
        "## Training (`python scripts/bench_train.py`)",
        "",
        f"Machine: {machine_line()}, {torch.get_num_threads()} torch threads. Net 784-1000-1000-1000-10, "
        f"batch {BATCH}, SGD momentum 0.9 + weight decay; random inputs. Step = forward, cross-entropy, "
        f"backward, optimizer step; best over {args.repeat} interleaved rounds of the median of "
        f"{args.steps} steps.",
        "",
        "| network | step (ms) | ratio to dense reference (target ≤ 1.3 for ε = 20) |",
        "|---|---|---|",
    ]
    for name, t in times.items():
        lines.append(f"| {name} | {t * 1e3:.1f} | {t / t_ref:.2f} |")
    lines += [
        "",
        f"Topology evolution at ε = 20 ({connections:,} connections), ζ = 0.3, SET criterion, including "
        f"the optimizer-state reset; epoch = {STEPS_PER_EPOCH} masked steps = {t_epoch:.1f} s "
        f"(median of {max(3, args.repeat // 2)}).",
        "",
        "| growth | evolution (s) | fraction of an epoch (target ≤ 10% for random) |",
        "|---|---|---|",
    ]
    for growth, t in evo_rows:
        extra = " (includes the dense gradient on one batch)" if growth == "gradient" else ""
        lines.append(f"| {growth}{extra} | {t:.3f} | {t / t_epoch:.1%} |")
    if not args.no_write:
        print(f"wrote {write_section('train', chr(10).join(lines))}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
