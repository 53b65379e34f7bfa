"""``netgraph train``: dynamic sparse training of an MLP, one run directory per seed.

The options are :class:`~netgraph.training.config.TrainConfig`'s fields, built from
:func:`dataclasses.fields` and :data:`~netgraph.training.config.PARAMETER_CONSTRAINTS` (which stay
torch-free): a field with a help group in its metadata becomes ``--field-name``, an int or a
number option by its :class:`~netgraph.validation.Interval`, a flag for a bool, and a choice of
the names of its registry for :class:`~netgraph.validation.Options`. A registry's names are a
:class:`~netgraph.validation.RegistryNames`, read (and torch imported) only when argparse checks a
value or formats the help, so a strategy registered in
:data:`~netgraph.topology.growth.GROWTH_STRATEGIES` is a valid ``--growth`` with no edit here.
"""

import dataclasses
import statistics
import sys

from ..training.config import EXCLUSIVE, KEEP_CHOICES, PARAMETER_CONSTRAINTS, RegistryNames, TrainConfig
from ..validation import Interval, NoneOr, Options, check_bool
from ._cluster import add_cluster_options

__all__ = ["register"]

# help groups of TrainConfig's fields (metadata "group"), in help order, with their titles
_GROUPS = {
    "data": "data",
    "network": "network and topology",
    "pruning": "pruning",
    "optimisation": "optimisation",
    "runs": "runs",
}
#: TrainConfig fields that are options (every option defaults to None: TrainConfig's default applies).
_FIELDS = tuple(f.name for f in dataclasses.fields(TrainConfig) if "group" in f.metadata)


def register(subparsers):
    p = subparsers.add_parser(
        "train",
        help="train sparse MLPs with topology evolution (SET, strategic, gradient growth) and pruning",
        description="Train a sparse MLP with dynamic sparse training, once per seed. Each run writes "
        "OUT/seed-S/ with params.json, metrics.json, epoch-XXX.pt checkpoints (after each epoch's "
        "training, before its topology evolution; --keep last keeps only the newest) and final.pt. "
        "A run folder is locked while a run writes it: a second run into it fails at once.",
        epilog="example: netgraph train --dataset digits --layers 64,256,256,10 --epsilon 10 "
        "--growth strategic --zeta 0.3 --epochs 50 --seeds 0-4 --out runs/strategic",
    )
    groups = {key: p.add_argument_group(title) for key, title in _GROUPS.items()}
    groups["exclusive"] = groups["network"].add_mutually_exclusive_group()
    for f in dataclasses.fields(TrainConfig):
        if f.name in _FIELDS:
            group = groups["exclusive" if f.name in EXCLUSIVE else f.metadata["group"]]
            group.add_argument(f"--{f.name.replace('_', '-')}", dest=f.name, **_option(f))
        if f.name == "growth_options":  # the one strategy option of the command line
            groups["network"].add_argument(
                "--start-fraction", type=float, help="strategic growth: top fraction of source nodes (0.2)"
            )
    run = groups["runs"]
    run.add_argument("--seeds", default="0", help="seeds, e.g. 0-4 or 0,2,5 (default 0)")
    run.add_argument("--out", required=True, help="experiment directory; each seed goes to OUT/seed-S")
    run.add_argument(
        "--resume",
        action="store_true",
        help="continue interrupted runs from their last checkpoint (and remove their leftover temporary files)",
    )
    run.add_argument(
        "--keep",
        choices=KEEP_CHOICES,
        default="all",
        help="epoch checkpoints to keep on disk (default all: every epoch-XXX.pt, the network after each "
        "epoch; last: only the newest, enough for --resume, besides final.pt)",
    )
    run.add_argument("--quiet", action="store_true", help="no progress bar")
    add_cluster_options(
        p.add_argument_group(
            "where runs execute",
            "One seed without these options trains in this process. Several seeds, or either option, run as "
            "tasks of a Dask cluster: worker processes on this machine (127.0.0.1 only) unless --scheduler "
            "names a running cluster. Each task uses one torch thread; a run whose worker is lost continues "
            "on another from its last checkpoint.",
        )
    )
    p.set_defaults(func=_run)


def _option(f):
    """argparse keywords of the option of field ``f``, from its entry in PARAMETER_CONSTRAINTS."""
    check = PARAMETER_CONSTRAINTS[f.name]
    if isinstance(check, NoneOr):
        check = check.check
    kwargs = {"default": None, "help": f.metadata["help"]}
    if check is check_bool:
        kwargs["action"] = "store_true"
    elif isinstance(check, Interval):
        kwargs["type"] = int if check.integral else float
    elif isinstance(check, Options):
        kwargs["choices"] = check.choices
        if isinstance(check.choices, RegistryNames):  # listed when the help is shown, not before
            kwargs["metavar"] = "NAME"
            kwargs["help"] += "; NAME is one of %(choices)s"
    return kwargs


def _run(args):
    from ..errors import ParameterError
    from ..training.run import train_run
    from ._cluster import cluster_options_given
    from .args import parse_seeds

    kwargs = {name: getattr(args, name) for name in _FIELDS if getattr(args, name) is not None}
    if args.layers is not None:
        try:
            kwargs["layers"] = tuple(int(s) for s in args.layers.split(","))
        except ValueError:
            raise ParameterError(f"--layers {args.layers!r}: expected comma-separated ints such as 64,256,10") from None
    if args.start_fraction is not None:
        kwargs["growth_options"] = {"start_fraction": args.start_fraction}
    config = TrainConfig(**kwargs)
    seeds = parse_seeds(args.seeds)
    from . import Terminated

    if cluster_options_given(args) or len(seeds) > 1:  # the address is checked first, even with several seeds
        results, code = _train_on_cluster(args, config, seeds)
        if results is None:
            return code
    else:
        try:
            results = [
                train_run(config, args.out, seed=seeds[0], resume=args.resume, progress=not args.quiet, keep=args.keep)
            ]
        except KeyboardInterrupt:
            return _interrupted(f" during seed {seeds[0]}")
        except Terminated:
            return _interrupted(f" during seed {seeds[0]}", what="terminated", code=143)
        print(_result_line(results[0]), flush=True)
    if len(results) > 1:
        accuracies = [r.final_test_accuracy for r in results]
        print(
            f"mean test accuracy {statistics.mean(accuracies):.4f} +- {statistics.stdev(accuracies):.4f} "
            f"over {len(accuracies)} seeds"
        )
    return 0


def _train_on_cluster(args, config, seeds):
    """``(results, None)``, or ``(None, exit code)`` when interrupted (Ctrl-C: 130, SIGTERM: 143)."""
    from ..training.study import run_jobs
    from . import Terminated
    from ._cluster import EpochBar, open_cluster_from

    bar = EpochBar(disable=args.quiet)
    try:
        with open_cluster_from(args, "netgraph train", quiet=args.quiet) as cluster:
            return run_jobs(
                [(config, args.out, s) for s in seeds],
                cluster=cluster,
                resume=args.resume,
                keep=args.keep,
                progress=lambda done, total, result: bar.write(_result_line(result)),  # a line of its own
                epochs_progress=bar,
            ), None
    except KeyboardInterrupt:
        bar.close()
        return None, _interrupted()
    except Terminated:
        bar.close()
        return None, _interrupted(what="terminated", code=143)
    finally:
        bar.close()


def _interrupted(during="", *, what="interrupted", code=130):
    print(
        f"netgraph train: {what}{during}; the complete epoch checkpoints are kept: "
        "run the same command with --resume to continue",
        file=sys.stderr,
    )
    return code


def _result_line(result):
    resumed = f", resumed from epoch {result.resumed_from}" if result.resumed_from is not None else ""
    return (
        f"seed {result.seed}: {result.method}, test accuracy {result.final_test_accuracy:.4f} after "
        f"{_count(len(result.epochs), 'epoch')}, {sum(result.final_connections):,} connections "
        f"(density {result.final_density:.4f}){resumed} -> {result.out_dir}"
    )


def _count(n, word):
    """``1 epoch``, ``2 epochs``."""
    return f"{n} {word}" if n == 1 else f"{n} {word}s"
