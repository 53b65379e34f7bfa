"""``netgraph export CKPT --format FMT -o FILE``: GraphML, GEXF, edge list or npz."""

__all__ = ["register"]


def register(subparsers):
    p = subparsers.add_parser(
        "export",
        help="write a checkpoint's graph as graphml, gexf, edgelist or npz",
        description="Write a checkpoint's graph for other tools: GraphML/GEXF (Gephi, "
        "networkx.read_graphml) and edge lists with node ids 'L{layer}:{index}', or npz arrays "
        "(per-layer weights, masks, biases).",
    )
    p.add_argument("checkpoint", help="checkpoint file")
    p.add_argument(
        "--format", "-f", metavar="FORMAT", help="graphml, gexf, edgelist or npz (default: from the suffix of -o)"
    )
    p.add_argument("-o", "--output", required=True, help="file to write")
    p.set_defaults(func=_run)


def _run(args):
    from ..export import export

    path = export(args.checkpoint, args.output, format=args.format)
    print(f"wrote {path}")
    return 0
