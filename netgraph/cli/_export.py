"""``netgraph export CKPT --format FMT -o OUT``: GraphML, GEXF, edge list, npz, a plain torch state_dict,
or a SET/NNSTD topology folder."""

from ._paths import add_bias_row_option

__all__ = ["register"]


def register(subparsers):
    p = subparsers.add_parser(
        "export",
        help="write a checkpoint's graph as graphml, gexf, edgelist or npz, a plain torch state_dict, "
        "or a SET/NNSTD topology folder",
        description="Write a checkpoint's graph for other tools: GraphML/GEXF (Gephi, "
        "networkx.read_graphml) and edge lists with node ids 'L{layer}:{index}', or npz arrays "
        "(per-layer weights, masks, biases); or, with --format torch, the state_dict of a plain "
        "nn.Sequential of nn.Linear layers (dense weights, 0 where no connection is) that runs "
        "without netgraph: the command prints the line of Python that loads it, and the activation; "
        "or, with --format set-npz, a topology folder as SET and NNSTD save networks "
        "(-o DIR: DIR/weight_l0.npz, weight_l1.npz, ..., one scipy.sparse n_in x n_out matrix per "
        "layer, the biases as its last row, and netgraph.json).",
    )
    p.add_argument("checkpoint", help="checkpoint file or topology folder")
    p.add_argument(
        "--format",
        "-f",
        metavar="FORMAT",
        help="graphml, gexf, edgelist, npz, torch or set-npz (default: from the suffix of -o; torch and "
        "set-npz are never implied, a .pt output needs --format torch)",
    )
    p.add_argument("-o", "--output", required=True, help="file to write (a folder for set-npz)")
    add_bias_row_option(p)
    p.set_defaults(func=_run)


def _run(args):
    import numpy as np

    from ..checkpoint import TOPOLOGY_FORMAT, load_checkpoint, save_topology_folder
    from ..export import _TORCH_MODULES, FORMATS, export, export_format, torch_load_code
    from ..fileio import check_not_input
    from ..validation import check_choice
    from ._paths import input_files

    if args.format is not None:
        check_choice(args.format, FORMATS + (TOPOLOGY_FORMAT,), name="format")
    if args.format == TOPOLOGY_FORMAT:
        source = load_checkpoint(args.checkpoint, bias_row=args.bias_row)
        path = save_topology_folder(source, args.output)
        print(f"wrote {path}")
        lost = sum(int(np.count_nonzero(block.data == 0)) for block in source.blocks)
        if lost:
            print(
                f"note: {lost} connections of weight exactly 0 are not stored (the format marks a connection by "
                "a non-zero value): they read back as absent"
            )
        return 0
    fmt = export_format(args.output, args.format)
    check_not_input(args.output, input_files([args.checkpoint]), name="output")
    source = load_checkpoint(args.checkpoint, bias_row=args.bias_row)
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
