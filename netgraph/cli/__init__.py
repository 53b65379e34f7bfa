"""The ``netgraph`` command line: a thin layer over the library.

Each subcommand lives in its own module ``netgraph/cli/_<name>.py`` that defines
``register(subparsers)``; :data:`COMMANDS` lists them in the order ``--help`` shows.
Errors the library raises on purpose (:class:`~netgraph.NetgraphError`) and OS errors
become one line on stderr and exit code 2, never a traceback (see :func:`main`).

Examples
--------
>>> main(["--version"])  # doctest: +ELLIPSIS
netgraph ...
0
"""

import argparse
import contextlib
import importlib
import os
import signal
import sys
import threading
import warnings

from .._version import __version__
from ..errors import NetgraphError
from ..fileio import error_reason, guard_inputs

__all__ = ["main", "run", "COMMANDS", "Terminated"]

#: Subcommand modules, in help order.
COMMANDS = ["demo", "train", "info", "export", "analyze", "similarity"]


def build_parser():
    """Return the argparse parser with every subcommand registered."""
    parser = argparse.ArgumentParser(
        prog="netgraph",
        description="Trained sparse neural networks as graphs: train, convert, analyze, report.",
    )
    parser.add_argument("--version", action="store_true", help="print the version and exit")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        importlib.import_module(f"._{name}", __name__).register(sub)
    return parser


def main(argv=None):
    """Run the command line with ``argv`` (default ``sys.argv[1:]``) and return the exit code.

    Errors never show a traceback: bad input (any :class:`~netgraph.NetgraphError`, OS errors)
    is one line on stderr and exit code 2; an unexpected exception is one line naming it as a
    bug and exit code 1 (set ``NETGRAPH_DEBUG=1`` for the traceback). Warnings raised while a
    command runs (torch's, say) are shown as one line each after it succeeds, never beside an
    error. A closed output pipe (``netgraph info ... | head -1``) ends the command quietly.
    SIGTERM is handled as Ctrl-C is: while the command runs (in the main thread), it raises
    :class:`Terminated`, which unwinds the command (a file being written is left as it was, its
    temporary removed), then one line says so; the previous handler is restored afterwards.

    Parameters
    ----------
    argv : list of str, optional

    Returns
    -------
    int
        0 on success, 2 on bad input (usage errors, unreadable files, invalid options),
        1 on an internal error, 130 when interrupted (Ctrl-C), 141 when stdout was closed early,
        143 when terminated (SIGTERM).
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
    prefix = f"netgraph {args.command}"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("default")
        try:
            with _sigterm_unwinds(), guard_inputs():  # nothing the command reads can be written over (netgraph.fileio)
                code = int(args.func(args) or 0)
            sys.stdout.flush()
        except BrokenPipeError:
            return _closed_pipe()
        except NetgraphError as exc:
            return _error(f"{prefix}: error: {exc}", 2)
        except OSError as exc:
            where = f"{exc.filename}: " if exc.filename else ""
            return _error(f"{prefix}: error: {where}{exc.strerror or exc}", 2)
        except MemoryError:
            return _error(f"{prefix}: error: out of memory", 2)
        except KeyboardInterrupt:
            return _error(f"{prefix}: interrupted", 130)
        except Terminated:
            return _error(f"{prefix}: terminated", 143)
        except Exception as exc:
            if os.environ.get("NETGRAPH_DEBUG"):
                raise
            what = error_reason(exc)[:300]
            return _error(
                f"{prefix}: error: internal error ({type(exc).__name__}: {what}); this is a bug in netgraph, "
                "please report it (NETGRAPH_DEBUG=1 shows the traceback)",
                1,
            )
    _show_warnings(prefix, caught)
    return code


class Terminated(BaseException):
    """SIGTERM arrived while a command ran: raised in the main thread, it unwinds like KeyboardInterrupt.

    Not an ``Exception``, so that no ``except Exception`` swallows it; ``finally`` blocks and
    context managers clean up on the way out.
    """


@contextlib.contextmanager
def _sigterm_unwinds():
    """SIGTERM raises :class:`Terminated` in the block (once; a second one while unwinding is ignored).

    Only the main thread receives signals in Python; elsewhere this does nothing. The previous
    handler is restored when the block ends.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    raised = False

    def handler(signum, frame):
        nonlocal raised
        if not raised:
            raised = True
            raise Terminated(signum)

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous if previous is not None else signal.SIG_DFL)


def _error(line, code):
    try:
        print(" ".join(line.split()), file=sys.stderr)
    except OSError:  # stderr closed too: nothing left to tell
        pass
    return code


def _closed_pipe():
    """Stdout was closed by its reader: stop quietly, and keep Python from complaining at exit."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):  # stdout without a file descriptor (tests)
        pass
    return 141


def _show_warnings(prefix, caught):
    seen = set()
    for w in caught:
        text = " ".join(str(w.message).split())
        if text in seen:
            continue
        seen.add(text)
        _error(f"{prefix}: warning: {text}", 0)


def run():
    """Console-script entry point."""
    raise SystemExit(main())
