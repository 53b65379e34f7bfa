"""Path arguments of the commands: what a PATH stands for is :mod:`netgraph.io.paths`; here the options."""

import argparse
import os
from pathlib import Path

from ..fileio import check_outputs
from ..io.paths import PATH_HELP, input_files, resolve_checkpoints

__all__ = [
    "resolve_checkpoints",
    "input_files",
    "check_report_folder",
    "add_bias_row_option",
    "add_blocks_option",
    "channel_input",
    "read_channels",
    "read_channel_network",
    "PATH_HELP",
]


def add_bias_row_option(parser):
    """Add ``--bias-row`` / ``--no-bias-row`` (``args.bias_row``: True, False or None) to ``parser``."""
    parser.add_argument(
        "--bias-row",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="topology folders: the last row of every layer matrix holds the biases (--bias-row) or "
        "none does (--no-bias-row); default: told from how the shapes chain",
    )


def add_blocks_option(parser):
    """Add ``--blocks`` (``args.blocks``): read each PATH as the block view of its weights."""
    parser.add_argument(
        "--blocks",
        action="store_true",
        help="read each PATH (a state_dict or safetensors file of any model) as the block view of its weights: "
        "each weight of 2+ dimensions its own bipartite block of channels, named by its key (no wiring)",
    )


def channel_input(path, args):
    """Whether ``path`` is read as a channel graph: with ``--blocks``, a .pt2 program or a HuggingFace folder."""
    from ..io.paths import is_channel_checkpoint

    return args.blocks or is_channel_checkpoint(path)


def read_channels(path, args):
    """The channel graph of ``path`` (:func:`~netgraph.channels.channel_graph`), or its block view with ``--blocks``."""
    from ..channels import block_view, channel_graph

    return block_view(path) if args.blocks else channel_graph(path)


def read_channel_network(path, args):
    """The channel graph of ``path`` as arrays (:func:`~netgraph.channels.channel_network`; the block view with ``--blocks``)."""
    from ..channels import block_network, channel_network

    return block_network(path) if args.blocks else channel_network(path)


def check_report_folder(out, files, *, option="--out"):
    """Refuse a report folder where the report would replace one of its inputs (before any work).

    A report writes ``report.json``, ``report.html`` and PNG figures into ``out``: an input file
    (or a layer file of an input topology folder) with such a name in ``out``, also through a hard
    or symbolic link, is refused with an :class:`~netgraph.errors.OutputError` naming both.
    """
    out = Path(out)
    if not out.is_dir():
        return
    inputs = input_files(files)
    written = [out / "report.json", out / "report.html"]
    try:
        written += [out / name for name in os.listdir(out) if name.lower().endswith(".png")]
    except OSError:
        pass
    check_outputs(written, inputs, name=option)
