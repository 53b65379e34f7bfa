"""``netgraph similarity PATH... --out DIR``: a similarity report over checkpoints or runs.

A PATH is a checkpoint file, a seed folder (its ``final.pt``) or a run folder (every
``seed-*/final.pt``). Networks are grouped by the ``method`` their checkpoints record. Writes
``DIR/report.json``, ``DIR/report.html`` (self-contained) and PNG figures.
"""

import re
import sys
from pathlib import Path

__all__ = ["register", "resolve_checkpoints"]


def register(subparsers):
    p = subparsers.add_parser(
        "similarity",
        help="similarity report across seeds and methods (Jaccard, aligned Jaccard, driver nodes)",
        description="Compare trained networks: raw and aligned (NNSTD) edge Jaccard with chance levels, "
        "node Jaccard, common subnetworks, degree distributions, input connectivity, driver nodes and "
        "training curves (from metrics.json). PATH is a checkpoint, a seed folder (final.pt) or a run "
        "folder (seed-*/final.pt).",
    )
    p.add_argument("paths", nargs="+", metavar="PATH", help="checkpoint files, seed folders or run folders")
    p.add_argument("--out", required=True, metavar="DIR", help="folder for report.json, report.html and PNGs")
    p.add_argument("--no-aligned", action="store_true", help="skip the aligned (NNSTD) Jaccard, the slowest part")
    p.add_argument("--quiet", action="store_true", help="no progress output")
    p.add_argument(
        "--seed", type=int, default=0, help="seed of the random networks behind the aligned chance level (default 0)"
    )
    p.set_defaults(func=_run)


def _seed_key(path):
    m = re.search(r"(\d+)$", path.parent.name)
    return (0, int(m.group(1)), str(path)) if m else (1, 0, str(path))


def resolve_checkpoints(paths):
    """Expand checkpoint files, seed folders and run folders into a list of checkpoint files.

    Raises
    ------
    CheckpointError
        If a path does not exist or a folder holds no ``final.pt`` nor ``seed-*/final.pt``.
    """
    from netgraph.errors import CheckpointError

    found = []
    for raw in paths:
        p = Path(raw)
        if p.is_file():
            found.append(p)
        elif p.is_dir():
            if (p / "final.pt").is_file():
                found.append(p / "final.pt")
            else:
                seeds = sorted(p.glob("seed-*/final.pt"), key=_seed_key)
                if not seeds:
                    raise CheckpointError(
                        f"{p}: no checkpoint found (expected a checkpoint file, a seed folder with final.pt "
                        "or a run folder with seed-*/final.pt)"
                    )
                found.extend(seeds)
        else:
            raise CheckpointError(f"{p}: no such file or directory")
    unique, seen = [], set()
    for p in found:
        key = p.resolve()
        if key not in seen:
            seen.add(key)
            unique.append(p)
    return unique


def _run(args):
    from tqdm import tqdm

    from analysis import build_report, write_report
    from netgraph import to_graph

    files = resolve_checkpoints(args.paths)
    show = not args.quiet and sys.stderr.isatty()
    graphs = [to_graph(p) for p in tqdm(files, desc="loading", unit="ckpt", disable=not show, file=sys.stderr)]

    def progress(message):
        if not args.quiet:
            print(message, file=sys.stderr)

    report = build_report(
        graphs, sources=[str(p) for p in files], aligned=not args.no_aligned, progress=progress, rng=args.seed
    )
    paths = write_report(report, args.out)
    for note in report.notes:
        print(f"note: {note}")
    for c in report.comparisons:
        aligned = "" if c.aligned is None else f", aligned {c.aligned.mean:.4f} (chance {c.aligned.mean_chance:.4f})"
        print(
            f"{c.name}: {len(c.labels)} networks, edge Jaccard {c.edge.mean:.4f} (chance {c.edge.mean_chance:.4f})"
            f"{aligned}, node Jaccard {c.node.mean:.4f}"
        )
    print(f"wrote {paths['json']}, {paths['html']} and {len(paths['figures'])} figures")
    return 0
