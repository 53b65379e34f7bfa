"""``netgraph similarity PATH... --out DIR``: a similarity report over checkpoints or runs.

A PATH is a checkpoint file, a topology folder (SET/NNSTD ``*_lN.npz`` layer matrices), a
seed folder (its ``final.pt``), a run folder (every ``seed-*/final.pt``), a study folder (every
``*/seed-*/final.pt``) or a folder of topology folders (see :mod:`netgraph.cli._paths`);
``NAME=PATH`` puts its checkpoints in the group NAME. Networks are otherwise grouped by the
``method`` their checkpoints record. Writes ``DIR/report.json``, ``DIR/report.html``
(self-contained) and PNG figures.
"""

import sys

from ._cluster import add_cluster_options
from ._paths import PATH_HELP, add_bias_row_option, add_blocks_option

__all__ = ["register"]


def register(subparsers):
    p = subparsers.add_parser(
        "similarity",
        help="similarity report across seeds and methods (Jaccard, aligned Jaccard, driver nodes)",
        description="Compare trained networks: raw and aligned edge Jaccard and NNSTD with chance levels (across "
        "methods, pairs that started from one initial topology apart from the others), node Jaccard, common subnetworks, degree distributions, input connectivity, driver nodes and "
        "training curves (from metrics.json). PATH is " + PATH_HELP + ". Networks are grouped by the "
        "method their checkpoints record; NAME=PATH puts the checkpoints of PATH in the group NAME "
        "(e.g. for state_dicts, which record no method).",
        epilog="example: netgraph similarity baseline=runs/a/ pruned=runs/b/ extra/final.pt --out report/",
    )
    p.add_argument("paths", nargs="+", metavar="[NAME=]PATH", help=PATH_HELP + "; NAME= names its group")
    p.add_argument("--out", required=True, metavar="DIR", help="folder for report.json, report.html and PNGs")
    p.add_argument("--no-aligned", action="store_true", help="skip the aligned Jaccard and the NNSTD, the slowest part")
    p.add_argument("--quiet", action="store_true", help="no progress output")
    add_bias_row_option(p)
    add_blocks_option(p)
    p.add_argument(
        "--seed", type=int, default=0, help="seed of the random networks behind the aligned chance level (default 0)"
    )
    add_cluster_options(
        p.add_argument_group(
            "where the pairwise alignments run",
            "The aligned Jaccard of every pair of networks, and of the random networks behind its chance level, "
            "runs as tasks of a Dask cluster (worker processes on this machine, 127.0.0.1 only, unless "
            "--scheduler names one); each network's arrays are sent to the cluster once, and the pairs of a lost "
            "worker run again on another. Same numbers as in one process.",
        )
    )
    p.set_defaults(func=_run)


def _run_channels(args, files):
    """``netgraph similarity`` of channel graphs (programs, HuggingFace folders, ``--blocks`` views): a block report."""
    from analysis import build_block_report, write_block_report

    from ._paths import read_channel_network

    graphs = [read_channel_network(p, args) for p in files]  # arrays: no networkx graph
    names = [p.name for p in files]
    labels = names if len(set(names)) == len(names) else None  # else folder/stem, made unique

    def progress(message):
        if not args.quiet:
            print(message, file=sys.stderr)

    def line(pair):
        """Channel Jaccard vs chance (and the lowest block), kernel elements, aligned and NNSTD of a pair."""
        j = pair.channel
        text = (
            f"{pair.labels[0]} ~ {pair.labels[1]}: channel-connection Jaccard {j.value:.4f} "
            f"(chance {j.chance_overall:.4f}) over {len(j.blocks)} weight layers"
        )
        if len(j.blocks):
            low = int(j.values.argmin())
            text += f"; lowest {j.blocks[low]} {j.values[low]:.4f} (chance {j.chance[low]:.4f})"
        if pair.kernel is not None:
            text += f"; kernel elements {pair.kernel.value:.4f} (chance {pair.kernel.chance_overall:.4f})"
        if pair.aligned is not None:
            text += f"; aligned {pair.aligned.value:.4f} (chance {pair.aligned.chance_overall:.4f})"
        if pair.nnstd is not None:
            text += f"; NNSTD {pair.nnstd.value:.4f} (random {pair.nnstd.random_mean:.4f})"
        return text

    report = build_block_report(
        graphs, labels=labels, sources=[str(p) for p in files], aligned=not args.no_aligned, rng=args.seed,
        progress=progress,
    )  # fmt: skip
    paths = write_block_report(report, args.out)
    for note in report.notes:
        print(f"note: {note}")
    for pair in report.pairs:
        print(line(pair))
    print(f"wrote {paths['json']}, {paths['html']} and {len(paths['figures'])} figures")
    return 0


def _run(args):
    from analysis import build_report, write_report
    from netgraph import load_checkpoint

    from .._progress import Progress
    from ..errors import ParameterError
    from ..training.cluster import scheduler_address
    from ._cluster import open_cluster_from, with_pair_progress
    from ._paths import channel_input, check_report_folder, resolve_checkpoints

    scheduler_address(args.scheduler)  # a malformed --scheduler is bad input before any work
    named = resolve_checkpoints(args.paths, groups=True)
    files = [p for _, p in named]
    check_report_folder(args.out, files)  # before any work: the report never replaces what it reads
    programs = [channel_input(p, args) for p in files]
    if any(programs):
        if not all(programs):
            raise ParameterError(
                "PATH: networks read as channel graphs (.pt2 programs, HuggingFace folders) are compared with "
                "each other only (block by block); give only those or none"
            )
        return _run_channels(args, files)
    groups = [g for g, _ in named] if any(g is not None for g, _ in named) else None
    with Progress("loading", unit="ckpt", total=len(files), disable=args.quiet) as loading:
        graphs = []
        for p in files:
            graphs.append(load_checkpoint(p, bias_row=args.bias_row))  # networks: analysis needs no graph
            loading.update()

    def progress(message):
        if not args.quiet:
            print(message, file=sys.stderr)

    options = dict(groups=groups, sources=[str(p) for p in files], aligned=not args.no_aligned, progress=progress)
    if args.no_aligned or len(graphs) < 2:  # nothing to align: no cluster to start
        report = build_report(graphs, rng=args.seed, **options)
    else:
        with open_cluster_from(args, "netgraph similarity", quiet=args.quiet) as cluster:
            pair_map = with_pair_progress(cluster.pair_map, disable=args.quiet)  # pairs done, as they finish
            report = build_report(graphs, rng=args.seed, pair_map=pair_map, **options)
    paths = write_report(report, args.out)
    for note in report.notes:
        print(f"note: {note}")
    for c in report.comparisons:
        aligned = "" if c.aligned is None else f", aligned {c.aligned.mean:.4f} (chance {c.aligned.mean_chance:.4f})"
        if c.nnstd is not None:
            aligned += f", NNSTD {c.nnstd.mean:.4f} (random {c.nnstd.mean_chance:.4f})"
        print(
            f"{c.name}: {len(c.labels)} networks, edge Jaccard {c.edge.mean:.4f} (chance {c.edge.mean_chance:.4f})"
            f"{aligned}, node Jaccard {c.node.mean:.4f}"
        )
        for kind in (c.pair_kinds or {}).values():
            if kind["n_pairs"] and len(set(c.groups)) > 1:  # within one group: the line above
                nnstd = (
                    ""
                    if c.nnstd is None
                    else f", NNSTD {kind['nnstd_mean']:.4f} (random {kind['nnstd_random_mean']:.4f})"
                )
                print(
                    f"  {kind['name']}: {kind['n_pairs']} pairs, edge Jaccard {kind['edge_mean']:.4f} "
                    f"(chance {kind['edge_chance_mean']:.4f}){nnstd}"
                )
    print(f"wrote {paths['json']}, {paths['html']} and {len(paths['figures'])} figures")
    return 0
