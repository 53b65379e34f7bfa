"""``netgraph demo``: a short seed study on digits (about 20 s on 2 idle cores), ending in a similarity report.

Trains random and strategic growth, both with gradual magnitude pruning, on scikit-learn's
bundled digits (64-256-256-10 at 10% density, offline) for a few seeds, compares the final
networks across seeds (raw and aligned edge Jaccard against their chance levels, common
subnetworks, driver nodes) and writes the HTML similarity report. The printed table is read
from that report (each method's :class:`analysis.GroupSummary`), so its numbers are the
report's. The full study is ``scripts/reproduce.py``.
"""

import sys
import time
from pathlib import Path

from ._cluster import add_cluster_options

__all__ = ["register"]

_LAYERS = (64, 256, 256, 10)
_DENSITY = 0.1
_LR = 0.03
_BATCH = 32


def register(subparsers):
    p = subparsers.add_parser(
        "demo",
        help="short demo (about 20 s on 2 idle cores): random vs strategic growth with pruning on digits, then a similarity report",
        description="Train random and strategic growth with gradual magnitude pruning on the bundled digits "
        f"data ({'-'.join(map(str, _LAYERS))} at {_DENSITY:.0%} density, pruned to half of it) for a few seeds, "
        "then write the similarity report (report.html, report.json, PNGs). Finished runs in OUT are reused. "
        "Each run keeps final.pt and only its newest epoch checkpoint unless --keep all.",
    )
    p.add_argument("--out", default="netgraph-demo", metavar="DIR", help="output folder (default ./netgraph-demo)")
    p.add_argument("--seeds", default="0-2", help="seeds, e.g. 0-2 or 0,5 (default 0-2; at least 2)")
    p.add_argument("--epochs", type=int, default=50, help="epochs per run (default 50; at least 2)")
    p.add_argument(
        "--keep",
        choices=("all", "last"),
        default="last",
        help="epoch checkpoints kept per run (default last: only the newest epoch-XXX.pt besides final.pt, "
        "which is all the report needs; all: every epoch-XXX.pt, one per epoch)",
    )
    p.add_argument("--quiet", action="store_true", help="no progress output")
    add_cluster_options(p)
    p.set_defaults(func=_run)


def _configs(epochs):
    from ..training.run import TrainConfig
    from ..training.study import pruning_window

    start, end = pruning_window(epochs)
    return [
        TrainConfig(
            dataset="digits",
            layers=_LAYERS,
            density=_DENSITY,
            lr=_LR,
            batch_size=_BATCH,
            epochs=epochs,
            growth=growth,
            target_density=_DENSITY / 2,
            prune_start=start,
            prune_end=end,
        )
        for growth in ("random", "strategic")
    ]


def _run(args):
    from ..errors import ParameterError
    from ..training.cluster import scheduler_address
    from ..training.study import run_grid, summarize_runs
    from ._cluster import EpochBar, open_cluster_from, with_pair_progress
    from .args import parse_seeds

    scheduler_address(args.scheduler)  # a malformed --scheduler is bad input before any work
    seeds = parse_seeds(args.seeds)
    if len(seeds) < 2:
        raise ParameterError(f"--seeds {args.seeds!r}: the demo compares seeds, give at least 2 (e.g. 0-2)")
    if args.epochs < 2:
        raise ParameterError(f"--epochs {args.epochs}: the pruning schedule needs at least 2 epochs")
    out = Path(args.out)
    t0 = time.perf_counter()

    def say(message):
        if not args.quiet:
            print(message, file=sys.stderr, flush=True)

    configs = _configs(args.epochs)
    say(
        f"netgraph demo: {len(configs)} methods x {len(seeds)} seeds on digits "
        f"({'-'.join(map(str, _LAYERS))}, density {_DENSITY} pruned to {_DENSITY / 2}), {args.epochs} epochs -> {out}"
    )

    bar = EpochBar(disable=args.quiet)

    def progress(done, total, r):
        if not args.quiet:  # through the bar: a line of its own
            bar.write(
                f"  [{done}/{total}] {r.method} seed {r.seed}: test accuracy {r.final_test_accuracy:.4f}, "
                f"{sum(r.final_connections):,} connections ({time.perf_counter() - t0:.0f} s since the demo started)",
                file=sys.stderr,
            )

    from analysis import build_report, write_report

    from ..io import load_checkpoint

    with open_cluster_from(args, "netgraph demo", quiet=args.quiet) as cluster:
        with bar:
            results = run_grid(
                configs,
                seeds,
                out / "runs",
                cluster=cluster,
                resume=True,
                progress=progress,
                epochs_progress=bar,
                keep=args.keep,
            )
        files = [r.folder.final for r in results]
        graphs = [load_checkpoint(p) for p in files]  # networks: analysis needs no graph
        say("similarity report:")
        # one computation: the table below prints each method's summary from the report
        report = build_report(
            graphs,
            sources=[str(p) for p in files],
            progress=lambda m: say(f"  {m}"),
            rng=0,
            pair_map=with_pair_progress(cluster.pair_map, disable=args.quiet),  # pairs done, as they finish
        )
    summaries = {c.name: c.summary for c in report.comparisons}
    print(
        f"{'method':<16} {'test accuracy':>15} {'connections':>11} {'edge J':>7} {'chance':>7} {'aligned J':>9} {'aligned random':>14}"
    )
    for c in configs:
        runs = summarize_runs([r for r in results if r.method == c.method])
        s = summaries[c.method]
        print(
            f"{c.method:<16} {runs.accuracy_mean:>8.4f} ± {runs.accuracy_std:.3f} {s.total_connections:>11,.0f} "
            f"{s.edge['overall']:>7.3f} {s.edge_chance['overall']:>7.3f} {s.aligned['overall']:>9.3f} "
            f"{s.aligned_null['overall']:>14.3f}"
        )
    paths = write_report(report, out / "report")
    say(f"done in {time.perf_counter() - t0:.0f} s")
    print(f"report: {paths['html']}")
    return 0
