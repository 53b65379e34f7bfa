"""Progress for a person watching a terminal or reading a log (torch-free, private to netgraph).

:class:`Progress` shows how far a count has come (epochs of a study, batches of a run, pairs
of networks aligned) on a stream, stderr by default:

- on a terminal, a tqdm bar, redrawn in place;
- anywhere else (a log file, ``nohup``, a pipe, a test's captured stderr), plain lines such as
  ``epochs 12/60 (20%), 35 s``, at most one every ``interval`` seconds, and a last one when
  the count reaches its total — never a carriage-return bar.

Lines that belong between the updates (a finished run's result) go through
:meth:`Progress.write`, which clears the bar first and redraws it after, so each is a line of
its own on a terminal too.

Examples
--------
>>> import io
>>> log = io.StringIO()  # not a terminal: plain lines
>>> clock = iter([0, 4, 12, 13, 20]).__next__  # seconds: at the start, then at each update
>>> p = Progress("pairs", stream=log, clock=clock)
>>> for done in (1, 5, 6, 10):
...     p(done, 10)
>>> p.write("a result", file=log)
>>> p.close()
>>> print(log.getvalue(), end="")
pairs 5/10 (50%), 12 s
pairs 10/10 (100%), 20 s
a result
"""

import sys
import time

__all__ = ["Progress", "PROGRESS_INTERVAL"]

#: Seconds between two plain progress lines (where stderr is not a terminal).
PROGRESS_INTERVAL = 10.0


def _is_terminal(stream):
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError, OSError):  # no isatty, or a closed stream
        return False


class Progress:
    """How far a count has come: a tqdm bar on a terminal, plain periodic lines elsewhere.

    Parameters
    ----------
    desc : str
        What is counted, first on every line (``"epochs"``, ``"seed 0 batches"``).
    unit : str, optional
        The unit the bar names (``"epoch"``); plain lines leave it to ``desc``.
    total : int, optional
        The count to reach; may be given (or changed) with each :meth:`__call__`.
    initial : int, optional
        Where the count starts (a resumed run).
    stream : file object, optional
        Default ``sys.stderr`` (looked up when the progress is made).
    interval : float, optional
        Seconds between plain lines; default :data:`PROGRESS_INTERVAL`.
    disable : bool, optional
        Show nothing (``--quiet``); :meth:`write` still writes.
    clock : callable, optional
        Seconds, for tests; default :func:`time.monotonic`.

    Notes
    -----
    A plain line is written when the count has moved and ``interval`` seconds have passed
    since the last line (or the start), and once when the count reaches its total; nothing is
    written after :meth:`close`.
    """

    def __init__(
        self, desc, *, unit="it", total=None, initial=0, stream=None, interval=None, disable=False, clock=None
    ):
        self.desc, self.unit, self.total = desc, unit, total
        self.n = int(initial)
        self.stream = sys.stderr if stream is None else stream
        self.interval = PROGRESS_INTERVAL if interval is None else float(interval)
        self.disable = bool(disable)
        self._clock = clock or time.monotonic
        self._start = self._last = self._clock()
        self._printed = self.n  # the count of the last plain line
        self._postfix, self._values = "", {}
        self._bar = None
        self._closed = False
        self._terminal = not self.disable and _is_terminal(self.stream)

    # ------------------------------------------------------------------ updates

    def __call__(self, done, total=None):
        """Set the count to ``done`` (of ``total``, when given) and show it."""
        if total is not None:
            self.total = int(total)
        self.n = int(done)
        self._show()

    def update(self, n=1):
        """Add ``n`` to the count and show it."""
        self.n += int(n)
        self._show()

    def set_postfix(self, **values):
        """Values shown after the count (``loss="0.312"``), on the bar and on the next plain line."""
        self._values = dict(values)
        self._postfix = ", ".join(f"{k} {v}" for k, v in values.items())
        if self._bar is not None:
            self._bar.set_postfix(self._values, refresh=False)

    def _show(self):
        if self.disable or self._closed:
            return
        if self._terminal:
            bar = self._tqdm()
            if self.total is not None and bar.total != self.total:
                bar.total = self.total
            bar.update(self.n - bar.n)
            return
        now = self._clock()
        finished = self.total is not None and self.n >= self.total
        moved = self.n != self._printed
        if moved and (finished or now - self._last >= self.interval):
            self._line(now)

    def _line(self, now):
        of = f"/{self.total} ({100 * self.n / self.total:.0f}%)" if self.total else ""
        extra = f", {self._postfix}" if self._postfix else ""
        self._print(f"{self.desc} {self.n}{of}, {now - self._start:.0f} s{extra}", self.stream)
        self._last, self._printed = now, self.n

    def _tqdm(self):
        if self._bar is None:
            from tqdm import tqdm

            self._bar = tqdm(
                total=self.total,
                initial=self.n,
                desc=self.desc,
                unit=self.unit,
                file=self.stream,
                dynamic_ncols=True,
                leave=True,
            )
            if self._values:
                self._bar.set_postfix(self._values, refresh=False)
        return self._bar

    # ------------------------------------------------------------------ output between updates

    def write(self, line, *, file=None):
        """Write ``line`` (and a newline) to ``file`` (default stdout) as a line of its own: the bar is cleared first."""
        file = sys.stdout if file is None else file
        bar = self._bar if not self._closed else None
        if bar is not None:
            bar.clear()
        self._print(line, file)
        if bar is not None:
            bar.refresh()

    @staticmethod
    def _print(line, file):
        print(line, file=file, flush=True)

    def close(self):
        """End the display: the bar stays as it is (at its total when the count reached it); no more lines."""
        if self._closed:
            return
        self._closed = True
        if self._bar is not None:
            self._bar.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
