"""The ``netgraph`` command line: a thin layer over the library.

Each subcommand lives in its own module ``netgraph/cli/_<name>.py`` that defines
``register(subparsers)``; :data:`COMMANDS` lists them in the order ``--help`` shows.
Errors the library raises on purpose (:class:`~netgraph.NetgraphError`) and OS errors
become one line on stderr and exit code 2, never a traceback.

Examples
--------
>>> main(["--version"])  # doctest: +ELLIPSIS
netgraph ...
0
"""

import argparse
import importlib
import sys

from .._version import __version__
from ..errors import NetgraphError

__all__ = ["main", "run", "COMMANDS"]

#: Subcommand modules, in help order.
COMMANDS = ["demo", "train", "info", "export", "analyze", "similarity"]


def build_parser():
    """Return the argparse parser with every subcommand registered."""
    parser = argparse.ArgumentParser(
        prog="netgraph",
        description="Trained sparse neural networks as graphs: train, convert, analyse, report.",
    )
    parser.add_argument("--version", action="store_true", help="print the version and exit")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        importlib.import_module(f"._{name}", __name__).register(sub)
    return parser


def main(argv=None):
    """Run the command line with ``argv`` (default ``sys.argv[1:]``) and return the exit code.

    Parameters
    ----------
    argv : list of str, optional

    Returns
    -------
    int
        0 on success, 2 on bad input (usage errors, unreadable files, invalid options),
        130 when interrupted.
    """
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits on --help (0) and usage errors (2)
        return int(exc.code or 0)
    if args.version:
        print(f"netgraph {__version__}")
        return 0
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except NetgraphError as exc:
        print(f"netgraph {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"netgraph {args.command}: error: {where}{exc.strerror or exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"netgraph {args.command}: interrupted", file=sys.stderr)
        return 130


def run():
    """Console-script entry point."""
    raise SystemExit(main())
