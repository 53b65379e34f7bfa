"""``netgraph export CKPT --format FMT -o OUT``: GraphML, GEXF, edge list, npz, a plain torch state_dict,
or a SET/NNSTD topology folder; of a convolutional or residual network, its channel-level graph."""

from ._paths import add_bias_row_option, add_blocks_option

__all__ = ["register"]


def register(subparsers):
    p = subparsers.add_parser(
        "export",
        help="write a checkpoint's graph as graphml, gexf, edgelist or npz, a plain torch state_dict, "
        "or a SET/NNSTD topology folder; a .pt2 program's or HuggingFace folder's channel graph",
        description="Write a checkpoint's graph for other tools: GraphML/GEXF (Gephi, "
        "networkx.read_graphml) and edge lists with node ids 'L{layer}:{index}', or npz arrays "
        "(per-layer weights, masks, biases); or, with --format torch, the state_dict of a plain "
        "nn.Sequential of nn.Linear layers (dense weights, 0 where no connection is) that runs "
        "without netgraph: the command prints the line of Python that loads it, and the activation; "
        "or, with --format set-npz, a topology folder as SET and NNSTD save networks "
        "(-o DIR: DIR/weight_l0.npz, weight_l1.npz, ..., one scipy.sparse n_in x n_out matrix per "
        "layer, the biases as its last row, and netgraph.json). A torch.export program (.pt2) or a "
        "HuggingFace model folder of a convolutional or residual network, or with --blocks the block "
        "view of a state_dict or safetensors file, is written as its channel-level graph (graphml, gexf, "
        "edgelist or npz: ids 'L{space}:{channel}', node and edge attributes kind, weight, nnz, bias, "
        "bn_scale/bn_shift, and the spaces and layers as JSON graph attributes; only npz keeps the "
        "element masks); netgraph.io.read_channel_graph reads it back.",
    )
    p.add_argument("checkpoint", help="checkpoint file or topology folder; a .pt2 program or HuggingFace model folder")
    p.add_argument(
        "--format",
        "-f",
        metavar="FORMAT",
        help="graphml, gexf, edgelist, npz, torch or set-npz (default: from the suffix of -o; torch and "
        "set-npz are never implied, a .pt output needs --format torch; a channel graph: the first four)",
    )
    p.add_argument("-o", "--output", required=True, help="file to write (a folder for set-npz)")
    add_bias_row_option(p)
    add_blocks_option(p)
    p.set_defaults(func=_run)


def _run(args):
    from ..fileio import check_not_input
    from ..io import FORMATS, export, export_format, export_notes, input_files, load_checkpoint
    from ..io.channelfiles import channel_format
    from ..io.registry import get
    from ..validation import check_choice
    from ._paths import channel_input, read_channels

    if args.format is not None:
        check_choice(args.format, FORMATS, name="format")
    channels = channel_input(args.checkpoint, args)
    if channels:  # refused before the model is traced: torch and set-npz hold Linear layers only
        fmt = channel_format(args.output, args.format, label=args.checkpoint)
    else:
        fmt = export_format(args.output, args.format)
    if not get(fmt).folder:  # a topology folder refuses the folder it was read from itself
        check_not_input(args.output, input_files([args.checkpoint]), name="output")
    if channels:
        source = read_channels(args.checkpoint, args)
    else:
        source = load_checkpoint(args.checkpoint, bias_row=args.bias_row)
    path = export(source, args.output, format=fmt)
    print(f"wrote {path}")
    for line in export_notes(source, path, format=fmt):
        print(line)
    return 0
