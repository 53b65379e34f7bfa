"""The seed's questions asked of sparse convolutional networks (issue 20), written to docs/RESULTS.md.

LeNet-5 (or ResNet-8, ``--arch``) on MNIST at 10% density (ERK), 10 epochs, cosine learning rate,
with random (SET), strategic and gradient growth, seeds 0-2, and strategic growth with gradual
magnitude pruning on top down to 5%. Then, on the channel-level graphs of the final networks
(:func:`netgraph.channels.channel_network`), block by block (:func:`analysis.block_jaccard`):

- **reading A** -- one method across seeds: do independent runs converge to the same network?
  Mean over the seed pairs of the channel-connection and kernel-element Jaccard, raw and aligned,
  each against its chance level;
- **reading B** -- approaches from one initial network: runs of different methods with one seed
  start from the same masks; mean over the seeds of each pair of methods;
- **pruning on top of synthesis**: density and test accuracy of strategic growth with and
  without the pruning schedule.

Runs are resumable; rerunning continues interrupted runs and keeps finished ones.

Usage::

    python scripts/cnn_seed_study.py --data-dir ../shared/data/mnist --out runs/cnn-seed
"""

import argparse
import itertools
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _benchlib import machine_line, replace_marked  # noqa: E402

RESULTS_MD = Path(__file__).resolve().parent.parent / "docs" / "RESULTS.md"
METHODS = {
    "random": dict(growth="random"),
    "strategic": dict(growth="strategic"),
    "gradient": dict(growth="gradient"),
    "strategic+prune": dict(growth="strategic", target_density=0.05),
}
MEASURES = (("channel", {}), ("kernel", {"level": "kernel"}), ("aligned", {"aligned": True}))


def main(argv=None):
    from netgraph.cli.args import parse_seeds
    from netgraph.training import TrainConfig, train_run
    from netgraph.training.data import load

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--arch", choices=("lenet5", "resnet8"), default="lenet5")
    parser.add_argument("--seeds", default="0-2")
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--out", default="runs/cnn-seed")
    parser.add_argument("--data-dir", default=str(Path(__file__).resolve().parents[2] / "shared" / "data" / "mnist"))
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args(argv)
    out, seeds = Path(args.out) / args.arch, parse_seeds(args.seeds)
    data = load("mnist", data_dir=args.data_dir)
    base = dict(arch=args.arch, dataset="mnist", data_dir=args.data_dir, density=0.1, epochs=args.epochs)
    results = {}
    for method, kw in METHODS.items():
        for seed in seeds:
            cfg = TrainConfig(**base, **kw, lr_schedule="cosine")
            r = train_run(cfg, out / method, seed=seed, resume=True, progress=not args.quiet, data=data)
            results[method, seed] = r
            print(f"{args.arch} {method} seed {seed}: {r.final_test_accuracy:.4f} at {r.final_density:.4f}", flush=True)
    body = report(args, out, seeds, results)
    replace_marked(
        RESULTS_MD, f"results:cnn-seed-{args.arch}", body, header="# Results\n", title=f"## Seed study, {args.arch}"
    )
    print(body)
    return 0


def _compare(a, b, rng):
    from analysis import block_jaccard

    out = {}
    for name, options in MEASURES:
        j = block_jaccard(a, b, rng=rng, **options)
        out[name] = (j.value, j.chance_overall)
    return out


def _mean(rows):
    return {k: tuple(statistics.mean(r[k][i] for r in rows) for i in (0, 1)) for k in rows[0]}


def _cells(m):
    return " | ".join(f"{m[k][0]:.4f} ({m[k][1]:.4f})" for k, _ in MEASURES)


def report(args, out, seeds, results):
    from netgraph.channels import channel_network

    nets = {key: channel_network(out / key[0] / f"seed-{key[1]}" / "final.pt") for key in results}
    head = "| {} | pairs | channel Jaccard (chance) | kernel elements (chance) | aligned channels (chance) |"
    rule = "| --- | --- | --- | --- | --- |"
    lines = [
        f"Measured by `python scripts/cnn_seed_study.py --arch {args.arch} --seeds {args.seeds} --data-dir "
        f"../shared/data/mnist` (runs under `{out}`). Machine: {machine_line()}.",
        "",
        f"{args.arch} on MNIST, 10% density (ERK), {args.epochs} epochs, SGD lr 0.05 with a cosine decay, ζ = 0.3; "
        "`strategic+prune` adds gradual magnitude pruning to 5% (epochs 1 to E−1). Jaccard over every weight "
        "layer of the channel-level graphs (`analysis.block_jaccard`), its chance level in brackets (aligned: "
        "of random blocks of the same sizes, rng 0).",
        "",
        "### Reading A: one method across seeds",
        "",
        head.format("method"),
        rule,
    ]
    for method in METHODS:
        pairs = list(itertools.combinations(seeds, 2))
        if pairs:
            m = _mean([_compare(nets[method, a], nets[method, b], 0) for a, b in pairs])
            lines.append(f"| {method} | {len(pairs)} | {_cells(m)} |")
    lines += ["", "### Reading B: approaches from one initial network (same seed)", "", head.format("methods"), rule]
    for x, y in itertools.combinations(METHODS, 2):
        m = _mean([_compare(nets[x, s], nets[y, s], 0) for s in seeds])
        lines.append(f"| {x} ~ {y} | {len(seeds)} | {_cells(m)} |")
    lines += [
        "",
        "### Pruning on top of synthesis",
        "",
        "| method | seeds | final density | test accuracy mean ± std |",
        "| --- | --- | --- | --- |",
    ]
    for method in METHODS:
        accs = [results[method, s].final_test_accuracy for s in seeds]
        dens = statistics.mean(results[method, s].final_density for s in seeds)
        std = statistics.stdev(accs) if len(accs) > 1 else 0.0
        lines.append(f"| {method} | {len(seeds)} | {dens:.4f} | {statistics.mean(accs):.4f} ± {std:.4f} |")
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
