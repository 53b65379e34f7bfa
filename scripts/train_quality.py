"""Training quality of issue 3 item 7, written to the training section of docs/RESULTS.md.

Parts (each can run alone; the section is rebuilt from every run directory present):

- ``digits``: 64-256-256-10 at epsilon=8 (10.4% of the connections), random and strategic
  growth, and the dense network; targets: test accuracy >= 0.95 (sparse), >= 0.97 (dense).
- ``mnist``: 784-1000-1000-1000-10, epsilon=20, zeta=0.3, SGD, random growth (SET); target:
  test accuracy >= 0.975 within 30 epochs. Needs the MNIST IDX files (``--data-dir``).
- ``cnn``: LeNet-5 and ResNet-8 (:mod:`netgraph.nn.conv`) on MNIST at 10% density (ERK), random
  (SET), strategic and gradient growth, and each dense; target: test accuracy >= 0.985 within 10
  epochs. Written to its own section of docs/RESULTS.md (``--arch`` runs one network only).
- ``report``: only rebuild the section from the runs already in ``--out``.

Runs are resumable (``--resume`` semantics of ``netgraph train``): rerunning a part
continues interrupted runs and leaves finished ones as they are.

Usage::

    python scripts/train_quality.py digits --seeds 0-4
    python scripts/train_quality.py mnist --seeds 0 --data-dir ../shared/data/mnist
    python scripts/train_quality.py cnn --seeds 0 --data-dir ../shared/data/mnist
    python scripts/train_quality.py report
"""

import argparse
import json
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _benchlib import machine_line, replace_marked  # noqa: E402

from netgraph.cli.args import parse_seeds  # noqa: E402
from netgraph.training.data import load  # noqa: E402
from netgraph.training.run import TrainConfig, train_run  # noqa: E402

RESULTS_MD = Path(__file__).resolve().parent.parent / "docs" / "RESULTS.md"
_HEADER = """# Results

Measured results of netgraph's methods. Each section is written by the script it names.
"""
_DIGITS = {
    "random": dict(growth="random"),
    "strategic": dict(growth="strategic"),
    "dense": dict(epsilon=None, growth="none"),
}
_DIGITS_BASE = dict(
    dataset="digits", layers=(64, 256, 256, 10), epsilon=8.0, zeta=0.3, epochs=50, batch_size=32, lr=0.03
)
_DIGITS_TARGET = {"random": 0.95, "strategic": 0.95, "dense": 0.97}
_MNIST_BASE = dict(
    dataset="mnist",
    layers=(784, 1000, 1000, 1000, 10),
    epsilon=20.0,
    zeta=0.3,
    growth="random",
    epochs=30,
    batch_size=128,
    lr=0.05,
    momentum=0.9,
    weight_decay=0.0002,
)
_MNIST_TARGET = 0.975
_CNN_ARCHS = ("lenet5", "resnet8")
_CNN_METHODS = {
    "random": dict(density=0.1, growth="random"),
    "strategic": dict(density=0.1, growth="strategic"),
    "gradient": dict(density=0.1, growth="gradient"),
    "dense": dict(growth="none"),
}
_CNN_BASE = dict(dataset="mnist", sparse_init="erk", zeta=0.3, epochs=10, lr=0.05, momentum=0.9, weight_decay=0.0002)
_CNN_TARGET = 0.985


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("part", choices=("digits", "mnist", "cnn", "report"))
    parser.add_argument("--arch", choices=_CNN_ARCHS, help="cnn: only this network (default both)")
    parser.add_argument(
        "--lr-schedule", choices=("constant", "cosine"), default="constant", help="cnn: the learning-rate schedule"
    )
    parser.add_argument("--seeds", default=None, help="default: 0-4 for digits, 0 for mnist")
    parser.add_argument("--out", default="runs/quality", help="where the runs go (default runs/quality)")
    parser.add_argument("--data-dir", default=str(Path(__file__).resolve().parents[2] / "shared" / "data" / "mnist"))
    parser.add_argument("--epochs", type=int, default=None, help="override the epoch count (mnist: 30)")
    parser.add_argument("--quiet", action="store_true")
    parser.add_argument("--note", help="a remark about the MNIST runs, kept in OUT/mnist-random/NOTE.md and reported")
    args = parser.parse_args(argv)
    out = Path(args.out)
    if args.note:
        (out / "mnist-random").mkdir(parents=True, exist_ok=True)
        (out / "mnist-random" / "NOTE.md").write_text(args.note.strip() + "\n")
    if args.part == "digits":
        data = load("digits", rng=0)
        for method, kw in _DIGITS.items():
            cfg = TrainConfig(**{**_DIGITS_BASE, **kw, **({"epochs": args.epochs} if args.epochs else {})})
            for seed in parse_seeds(args.seeds or "0-4"):
                r = train_run(cfg, out / f"digits-{method}", seed=seed, resume=True, progress=not args.quiet, data=data)
                print(f"digits {method} seed {seed}: {r.final_test_accuracy:.4f}", flush=True)
    elif args.part == "mnist":
        cfg = TrainConfig(
            **{**_MNIST_BASE, "data_dir": args.data_dir, **({"epochs": args.epochs} if args.epochs else {})}
        )
        data = load("mnist", data_dir=args.data_dir)
        for seed in parse_seeds(args.seeds or "0"):
            r = train_run(cfg, out / "mnist-random", seed=seed, resume=True, progress=not args.quiet, data=data)
            print(f"mnist random seed {seed}: {r.final_test_accuracy:.4f}", flush=True)
    elif args.part == "cnn":
        data = load("mnist", data_dir=args.data_dir)
        for arch in (args.arch,) if args.arch else _CNN_ARCHS:
            for method, kw in _CNN_METHODS.items():
                cfg = TrainConfig(
                    **{**_CNN_BASE, **kw, "arch": arch, "data_dir": args.data_dir, "lr_schedule": args.lr_schedule},
                    **({"epochs": args.epochs} if args.epochs else {}),
                )
                folder = out / _cnn_folder(arch, method, args.lr_schedule)
                for seed in parse_seeds(args.seeds or "0"):
                    r = train_run(cfg, folder, seed=seed, resume=True, progress=not args.quiet, data=data)
                    print(f"{arch} {method} seed {seed}: {r.final_test_accuracy:.4f}", flush=True)
        body = cnn_report(out)
        replace_marked(RESULTS_MD, "results:cnn", body, header=_HEADER, title="## Convolutional networks")
        print(body)
        return 0
    body = report(out)
    write_section("training", body)
    print(body)
    return 0


def _cnn_folder(arch, method, schedule):
    return f"{arch}-{method}" + ("" if schedule == "constant" else f"-{schedule}")


def cnn_report(out):
    """The Markdown body of the convolutional networks' section, from the runs under ``out``."""
    lines = [
        "Measured by `python scripts/train_quality.py cnn --seeds 0 --data-dir ../shared/data/mnist` (and with "
        f"`--lr-schedule cosine`; runs under `{out}`). Machine: {machine_line()}.",
        "",
        "MNIST (60000 train / 10000 test), `netgraph train --arch lenet5|resnet8`: masks on every kernel "
        "element and Linear weight, initial densities by ERK (RigL) at 10% overall, exact counts; ζ = 0.3 "
        "(SET removal criterion), SGD lr 0.05 momentum 0.9, weight decay 2e-4, batch 128, 10 epochs, the "
        "learning rate constant or decayed by a cosine; dense: the same network without masks or evolution. "
        f"Target: test accuracy ≥ {_CNN_TARGET} within 10 epochs. Seconds per epoch include the test "
        "evaluation and the evolution, and runs shared the machine with other work (speed: docs/BENCHMARKS.md).",
        "",
        "| network | method | lr | seed | density | test accuracy by epoch | last | first epoch ≥ 0.985 | "
        "median s/epoch | median evolution s | met |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for arch in _CNN_ARCHS:
        for schedule in ("constant", "cosine"):
            for method in _CNN_METHODS:
                runs = _runs(Path(out) / _cnn_folder(arch, method, schedule))
                if not runs and schedule == "constant":
                    lines.append(f"| {arch} | {method} | {schedule} | | | not run | | | | | |")
                for m, p in runs:
                    rows = m["epochs"]
                    accs = [r["test_accuracy"] for r in rows]
                    first = next((r["epoch"] for r in rows if r["test_accuracy"] >= _CNN_TARGET), None)
                    done = len(rows) == p["config"]["epochs"]
                    met = "yes" if first is not None else ("no" if done else "not yet")
                    lines.append(
                        f"| {arch} | {method} | {schedule} | {m['seed']} | {rows[-1]['density']:.4f} | "
                        + ", ".join(f"{a:.4f}" for a in accs)
                        + f" | {accs[-1]:.4f} | {first if first is not None else '—'} | "
                        f"{statistics.median(r['seconds'] for r in rows):.1f} | "
                        f"{statistics.median(r['evolution_seconds'] for r in rows):.2f} | {met} |"
                    )
    return "\n".join(lines)


def _runs(directory):
    """metrics.json and params.json of every seed directory under ``directory``."""
    from netgraph.io.runs import SEED_FOLDERS, RunFolder

    runs = []
    for run in map(RunFolder, sorted(Path(directory).glob(SEED_FOLDERS))):
        if run.metrics.exists() and run.params.exists():
            runs.append((json.loads(run.metrics.read_text()), json.loads(run.params.read_text())))
    return runs


def report(out):
    """The Markdown body of the training section, from the runs under ``out``."""
    lines = [
        "Measured by `scripts/train_quality.py` (test accuracy of the network after the last epoch; "
        f"runs under `{out}`). Machine: {machine_line()}.",
        "",
        "### digits, 64-256-256-10 at about 10% density",
        "",
        "`python scripts/train_quality.py digits --seeds 0-4`: ε = 8 (10.4% of the connections: "
        "layer densities 0.156 / 0.0625 / 0.83), ζ = 0.3, SET pruning criterion, SGD lr 0.03 momentum 0.9, "
        "weight decay 2e-4, batch 32, 50 epochs, regrown weights N(0, (0.3·σ_W)²); dense: same without "
        "masks or evolution. Split: 1438 train / 359 test (stratified, data seed 0).",
        "",
        "| method | density | seeds | test accuracy mean ± std | min | max | target | met |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for method in _DIGITS:
        runs = [m for m, p in _runs(Path(out) / f"digits-{method}") if len(m["epochs"]) == p["config"]["epochs"]]
        if not runs:
            lines.append(f"| {method} | | 0 | not run | | | ≥ {_DIGITS_TARGET[method]} | |")
            continue
        accs = [m["epochs"][-1]["test_accuracy"] for m in runs]
        density = runs[0]["epochs"][-1]["density"]
        std = statistics.stdev(accs) if len(accs) > 1 else 0.0
        met = "yes" if statistics.mean(accs) >= _DIGITS_TARGET[method] else "no"
        lines.append(
            f"| {method} | {density:.3f} | {len(accs)} | {statistics.mean(accs):.4f} ± {std:.4f} | "
            f"{min(accs):.4f} | {max(accs):.4f} | ≥ {_DIGITS_TARGET[method]} (mean) | {met} |"
        )
    lines += [
        "",
        "### MNIST, 784-1000-1000-1000-10, ε = 20, ζ = 0.3, SGD, random growth (SET)",
        "",
        "`python scripts/train_quality.py mnist --seeds 0 --data-dir ../shared/data/mnist`: "
        "SGD lr 0.05 momentum 0.9, weight decay 2e-4, batch 128, SET pruning criterion, regrown "
        "weights N(0, (0.3·σ_W)²), pixels standardised with one global mean and std; 60000 train / "
        "10000 test (the standard split). Target: ≥ 0.975 within 30 epochs.",
        "",
        "| seed | backend | epochs run | density | first epoch ≥ 0.975 | best (epoch) | last | median s/epoch | met |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    runs = _runs(Path(out) / "mnist-random")
    if not runs:
        lines.append("| | | 0 | | | | | | not run |")
    for m, p in runs:
        rows = m["epochs"]
        accs = [r["test_accuracy"] for r in rows]
        first = next((r["epoch"] for r in rows if r["test_accuracy"] >= _MNIST_TARGET), None)
        best = max(range(len(accs)), key=accs.__getitem__)
        secs = statistics.median(r["seconds"] for r in rows)
        met = "yes" if first is not None and first <= 30 else ("no" if len(rows) >= 30 else "not yet")
        lines.append(
            f"| {m['seed']} | {p['config'].get('backend', 'masked')} | {len(rows)} of {p['config']['epochs']} | {rows[-1]['density']:.4f} | "
            f"{first if first is not None else '—'} | {accs[best]:.4f} ({rows[best]['epoch']}) | {accs[-1]:.4f} | "
            f"{secs:.1f} | {met} |"
        )
        lines.append("")
        lines.append(f"Seed {m['seed']} test accuracy by epoch: " + ", ".join(f"{a:.4f}" for a in accs) + ".")
        lines.append("")
        lines.append(f"Seed {m['seed']} seconds by epoch: " + ", ".join(f"{r['seconds']:.0f}" for r in rows) + ".")
    note = Path(out) / "mnist-random" / "NOTE.md"
    if runs and note.exists():
        lines += ["", "Note: " + note.read_text().strip()]
    return "\n".join(lines)


def write_section(name, body, *, path=RESULTS_MD):
    """Replace (or append) the section ``name`` of docs/RESULTS.md with ``body``."""
    return replace_marked(path, f"results:{name}", body, header=_HEADER, title="## Training quality")


if __name__ == "__main__":
    raise SystemExit(main())
