"""Scaling on Dask: the same study on 1 and 2 workers, the cost of scheduling a run, similarity in parallel.

Measures, on local Dask clusters of this machine (``netgraph.training.cluster.open_cluster``):

- training: 4 seeds of the demo's configuration (digits, 64-256-256-10 at 10% density, random
  growth, 50 epochs) with ``netgraph.training.study.run_jobs`` on 1 worker and on 2 workers (wall time of
  the runs, the cluster started beforehand; target: 2 workers ≥ 1.7× faster);
- scheduling overhead per run: 20 one-epoch runs of a tiny network (synthetic data, 20-16-4) on
  one warm worker; overhead = (wall time - the runs' own seconds) / 20 (target < 1 s);
- similarity: ``netgraph similarity`` over 30 random networks of SET's MNIST architecture
  (784-1000-1000-1000-10 at ε = 20) with the aligned Jaccard and its random baseline, on 1 and
  2 workers (whole command: loading, per-network analysis, alignments, figures).

Writes the measured section of docs/SCALING.md.

Usage::

    python scripts/bench_scaling.py            # about 10 minutes on 2 cores
"""

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
from _benchlib import machine_line, replace_marked  # noqa: E402

from netgraph.training.cluster import open_cluster  # noqa: E402
from netgraph.training.run import TrainConfig  # noqa: E402
from netgraph.training.study import run_jobs  # noqa: E402

SCALING_MD = ROOT / "docs" / "SCALING.md"
DEMO = dict(dataset="digits", layers=(64, 256, 256, 10), density=0.1, growth="random", epochs=50)


def time_training(workers, out):
    config = TrainConfig(**DEMO)
    with open_cluster(workers=workers) as cluster:
        # warm-up, one short run per worker: each imports torch and loads the data once
        warm = TrainConfig(**{**DEMO, "epochs": 1})
        run_jobs([(warm, out / f"warm-{workers}", 100 + k) for k in range(workers)], cluster=cluster)
        t0 = time.perf_counter()
        results = run_jobs([(config, out / f"w{workers}", s) for s in range(4)], cluster=cluster)
        return time.perf_counter() - t0, results


def time_overhead(out, n=20):
    config = TrainConfig(dataset="synthetic", layers=(20, 16, 4), density=0.5, epochs=1)
    with open_cluster(workers=1) as cluster:
        run_jobs([(config, out / "warm", 99)], cluster=cluster)
        t0 = time.perf_counter()
        results = run_jobs([(config, out / "tiny", s) for s in range(n)], cluster=cluster)
        wall = time.perf_counter() - t0
    own = sum(r.seconds for r in results)
    return (wall - own) / n, wall, own


def time_similarity(workers, folder, out):
    from netgraph.cli import main

    t0 = time.perf_counter()
    code = main(["similarity", str(folder), "--out", str(out), "--quiet", "--workers", str(workers)])
    assert code == 0
    return time.perf_counter() - t0


def make_networks(folder, n=30):
    from netgraph import SparseMLP, save_checkpoint
    from netgraph.io.runs import RunFolder
    from netgraph.topology.initial import init_masks

    sizes = [784, 1000, 1000, 1000, 10]
    for seed in range(n):
        net = SparseMLP(sizes, masks=init_masks(sizes, epsilon=20, rng=seed))
        save_checkpoint(net, RunFolder.of(folder, seed).final, meta={"seed": seed, "method": "random masks"})


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--no-write", action="store_true", help="print only; do not touch docs/SCALING.md")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        train = {w: time_training(w, tmp / "train") for w in (1, 2)}
        for w, (t, results) in train.items():
            print(
                f"training, 4 runs on {w} worker(s): {t:.1f} s (runs {[round(r.seconds, 1) for r in results]})",
                flush=True,
            )
        overhead, wall, own = time_overhead(tmp / "overhead")
        print(f"scheduling overhead: {overhead:.3f} s per run ({wall:.1f} s wall, {own:.1f} s of runs)", flush=True)
        make_networks(tmp / "nets")
        sim = {w: time_similarity(w, tmp / "nets", tmp / f"report-{w}") for w in (1, 2)}
        for w, t in sim.items():
            print(f"similarity of 30 networks on {w} worker(s): {t:.1f} s", flush=True)
    speed_train = train[1][0] / train[2][0]
    speed_sim = sim[1] / sim[2]
    run_seconds = sum(r.seconds for r in train[1][1]) / 4
    lines = [
        f"Measured with `python scripts/bench_scaling.py` on {machine_line()} (local Dask clusters, one "
        "thread per worker process).",
        "",
        "| measurement | 1 worker | 2 workers | speed-up | target |",
        "|---|---|---|---|---|",
        f"| training: 4 seeds of the demo's configuration (digits 64-256-256-10, 10%, 50 epochs; {run_seconds:.1f} s "
        f"per run) | {train[1][0]:.1f} s | {train[2][0]:.1f} s | {speed_train:.2f}× | ≥ 1.7× |",
        f"| `netgraph similarity` of 30 networks of 784-1000-1000-1000-10 at ε = 20, aligned (435 pairs and "
        f"435 random pairs) | {sim[1]:.1f} s | {sim[2]:.1f} s | {speed_sim:.2f}× | – |",
        "",
        f"Scheduling overhead per run: **{overhead * 1e3:.0f} ms** (20 one-epoch runs of a tiny network queued on one "
        f"warm worker: {wall:.2f} s wall for {own:.2f} s of the runs' own time, which includes their files; the rest is "
        "submitting the tasks, scheduling them and returning their results; target < 1 s).",
    ]
    if args.no_write:
        print("\n".join(lines))
        return 0
    replace_marked(SCALING_MD, "scaling:measured", "\n".join(lines), header="# Scaling\n", title="## Measured")
    print(f"wrote {SCALING_MD}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
