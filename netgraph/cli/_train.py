"""``netgraph train``: dynamic sparse training of an MLP, one run directory per seed."""

import statistics
import sys

__all__ = ["register"]

# option dest -> TrainConfig field (every option defaults to None: TrainConfig's default applies)
_FIELDS = {
    "dataset": "dataset",
    "data_dir": "data_dir",
    "label_column": "label_column",
    "test_size": "test_size",
    "data_seed": "data_seed",
    "activation": "activation",
    "epsilon": "epsilon",
    "density": "density",
    "growth": "growth",
    "zeta": "zeta",
    "criterion": "criterion",
    "grow_init": "grow_init",
    "init_scale": "init_scale",
    "target_density": "target_density",
    "prune_start": "prune_start",
    "prune_end": "prune_end",
    "prune_criterion": "prune_criterion",
    "prune_scope": "prune_scope",
    "optimizer": "optimizer",
    "lr": "lr",
    "momentum": "momentum",
    "weight_decay": "weight_decay",
    "batch_size": "batch_size",
    "epochs": "epochs",
    "weight_init": "weight_init",
    "device": "device",
    "label": "label",
}


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
    data = p.add_argument_group("data")
    data.add_argument("--dataset", help="digits (default), mnist, fashion-mnist, synthetic or csv:PATH")
    data.add_argument("--data-dir", help="directory of the MNIST / Fashion-MNIST IDX files (default ./data/NAME)")
    data.add_argument("--label-column", help="class column of a CSV dataset (default: label)")
    data.add_argument("--test-size", type=float, help="held-out fraction (default 0.2; MNIST has its own split)")
    data.add_argument("--data-seed", type=int, help="seed of the train/test split, shared by all seeds (default 0)")

    net = p.add_argument_group("network and topology")
    net.add_argument("--layers", help="layer widths, e.g. 64,256,256,10 (default: FEATURES,256,256,CLASSES)")
    net.add_argument("--activation", help="hidden activation (default relu)")
    sparsity = net.add_mutually_exclusive_group()
    sparsity.add_argument("--epsilon", type=float, help="SET's epsilon: p = eps(n_in+n_out)/(n_in n_out) per layer")
    sparsity.add_argument("--density", type=float, help="initial connection probability of every layer")
    net.add_argument(
        "--growth",
        choices=("random", "strategic", "gradient", "none"),
        help="regrowth after each epoch but the last (default: random if sparse, none if dense)",
    )
    net.add_argument("--zeta", type=float, help="fraction of each layer's connections rewired per epoch (default 0.3)")
    net.add_argument("--criterion", choices=("set", "magnitude"), help="which connections to remove (default set)")
    net.add_argument("--grow-init", choices=("normal", "zero"), help="weights of regrown connections")
    net.add_argument("--init-scale", type=float, help="std of regrown weights / std of present weights (default 0.3)")
    net.add_argument("--start-fraction", type=float, help="strategic growth: top fraction of source nodes (0.2)")
    net.add_argument("--weight-init", choices=("he", "torch"), help="initial weights (default he)")

    prune = p.add_argument_group("pruning")
    prune.add_argument("--target-density", type=float, help="gradual magnitude pruning down to this density")
    prune.add_argument("--prune-start", type=int, help="first epoch after which to prune (default 1)")
    prune.add_argument("--prune-end", type=int, help="epoch after which the target is reached (default EPOCHS-1)")
    prune.add_argument("--prune-criterion", choices=("magnitude", "set"), help="pruning criterion (magnitude)")
    prune.add_argument(
        "--prune-scope",
        choices=("proportional", "uniform"),
        help="proportional: each layer keeps the same share of its initial connections (default); "
        "uniform: every layer to the scheduled density",
    )
    prune.add_argument("--remove-dead", action="store_true", help="remove neurons without effect at the end")

    opt = p.add_argument_group("optimisation")
    opt.add_argument("--optimizer", choices=("sgd", "adam"), help="sgd with momentum (default) or adam")
    opt.add_argument("--lr", type=float, help="learning rate (default 0.05 sgd, 0.001 adam)")
    opt.add_argument("--momentum", type=float, help="SGD momentum (default 0.9)")
    opt.add_argument("--nesterov", action="store_true", help="Nesterov momentum")
    opt.add_argument("--weight-decay", type=float, help="L2 penalty (default 0.0002)")
    opt.add_argument("--batch-size", type=int, help="minibatch size (default: about 60 steps per epoch, between 16 and 128: 24 on digits, 128 on MNIST)")
    opt.add_argument("--epochs", type=int, help="number of epochs (default 10)")
    opt.add_argument("--device", help="cpu (default) or cuda")

    run = p.add_argument_group("runs")
    run.add_argument("--seeds", default="0", help="seeds, e.g. 0-4 or 0,2,5 (default 0)")
    run.add_argument("--out", required=True, help="experiment directory; each seed goes to OUT/seed-S")
    run.add_argument(
        "--resume",
        action="store_true",
        help="continue interrupted runs from their last checkpoint (and remove their leftover temporary files)",
    )
    run.add_argument(
        "--keep",
        choices=("all", "last"),
        default="all",
        help="epoch checkpoints to keep on disk (default all: every epoch-XXX.pt, the network after each "
        "epoch; last: only the newest, enough for --resume, besides final.pt)",
    )
    run.add_argument("--label", help="method label stored in the checkpoints (default from the options)")
    run.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=_run)


def _run(args):
    from ..errors import ParameterError
    from ..train import TrainConfig, parse_seeds, train_run

    kwargs = {field: getattr(args, dest) for dest, field in _FIELDS.items() if getattr(args, dest) is not None}
    if args.layers is not None:
        try:
            kwargs["layers"] = tuple(int(s) for s in args.layers.split(","))
        except ValueError:
            raise ParameterError(f"--layers {args.layers!r}: expected comma-separated ints such as 64,256,10") from None
    if args.start_fraction is not None:
        kwargs["growth_options"] = {"start_fraction": args.start_fraction}
    for flag in ("remove_dead", "nesterov"):
        if getattr(args, flag):
            kwargs[flag] = True
    config = TrainConfig(**kwargs)
    seeds = parse_seeds(args.seeds)
    data = config.load_data()
    accuracies = []
    for seed in seeds:
        try:
            result = train_run(
                config, args.out, seed=seed, resume=args.resume, progress=not args.quiet, data=data, keep=args.keep
            )
        except KeyboardInterrupt:
            print(
                f"netgraph train: interrupted during seed {seed}; the complete epoch checkpoints are kept: "
                "run the same command with --resume to continue",
                file=sys.stderr,
            )
            return 130
        accuracies.append(result.final_test_accuracy)
        resumed = f", resumed from epoch {result.resumed_from}" if result.resumed_from is not None else ""
        print(
            f"seed {seed}: {result.method}, test accuracy {result.final_test_accuracy:.4f} after "
            f"{len(result.epochs)} epochs, {sum(result.final_connections):,} connections "
            f"(density {result.final_density:.4f}){resumed} -> {result.out_dir}"
        )
        sys.stdout.flush()
    if len(accuracies) > 1:
        print(
            f"mean test accuracy {statistics.mean(accuracies):.4f} +- {statistics.stdev(accuracies):.4f} "
            f"over {len(accuracies)} seeds"
        )
    return 0
