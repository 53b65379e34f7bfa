"""``netgraph export CKPT --format FMT -o FILE``: GraphML, GEXF, edge list, npz, or a plain torch state_dict."""

__all__ = ["register"]


def register(subparsers):
    p = subparsers.add_parser(
        "export",
        help="write a checkpoint's graph as graphml, gexf, edgelist or npz, or a plain torch state_dict",
        description="Write a checkpoint's graph for other tools: GraphML/GEXF (Gephi, "
        "networkx.read_graphml) and edge lists with node ids 'L{layer}:{index}', or npz arrays "
        "(per-layer weights, masks, biases); or, with --format torch, the state_dict of a plain "
        "nn.Sequential of nn.Linear layers (dense weights, 0 where no connection is) that runs "
        "without netgraph: the command prints the line of Python that loads it, and the activation.",
    )
    p.add_argument("checkpoint", help="checkpoint file")
    p.add_argument(
        "--format",
        "-f",
        metavar="FORMAT",
        help="graphml, gexf, edgelist, npz or torch (default: from the suffix of -o; torch is never "
        "implied, a .pt output needs --format torch)",
    )
    p.add_argument("-o", "--output", required=True, help="file to write")
    p.set_defaults(func=_run)


def _run(args):
    from ..checkpoint import load_checkpoint
    from ..export import _TORCH_MODULES, export, export_format, torch_load_code

    fmt = export_format(args.output, args.format)
    # the torch format prints how to rebuild the network: read the checkpoint once, here
    source = load_checkpoint(args.checkpoint) if fmt == "torch" else args.checkpoint
    path = export(source, args.output, format=fmt)
    print(f"wrote {path}")
    if fmt == "torch":
        print(f"load with: {torch_load_code(source, path)}")
        act = source.activation
        if act not in _TORCH_MODULES:
            act += " (torch.nn has no module for it: put one that computes it where the line says ACTIVATION)"
        print(
            f"activation: {act} between layers (the last layer gives raw scores); weights are dense, "
            "0 where no connection is (netgraph reads a connection of weight exactly 0 back as absent)"
        )
    return 0
