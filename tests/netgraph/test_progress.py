"""netgraph._progress: a bar on a terminal, plain periodic lines elsewhere, result lines of their own."""

import io
import re

import pytest

from netgraph._progress import PROGRESS_INTERVAL, Progress


class Terminal(io.StringIO):
    """A stream that says it is a terminal (tqdm draws its bar into it)."""

    def isatty(self):
        return True


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def _segments(text):
    """What a terminal would show as separate pieces: text between carriage returns and newlines."""
    return [s.strip() for s in re.split(r"[\r\n]", text) if s.strip()]


def test_without_a_terminal_plain_lines_at_most_every_interval_and_at_the_end():
    log, clock = io.StringIO(), Clock()
    p = Progress("epochs", unit="epoch", stream=log, clock=clock, interval=10)
    for t, done in [(1, 1), (5, 2), (10, 3), (12, 4), (19, 5), (20.5, 6), (21, 6), (31, 7), (40, 60)]:
        clock.now = t
        p(done, 60)
    p.close()
    clock.now = 99
    p(61, 60)  # nothing after close
    assert log.getvalue().splitlines() == [
        "epochs 3/60 (5%), 10 s",
        "epochs 6/60 (10%), 20 s",
        "epochs 7/60 (12%), 31 s",
        "epochs 60/60 (100%), 40 s",
    ]
    assert "\r" not in log.getvalue()


def test_plain_lines_carry_the_postfix_and_a_count_without_total():
    log, clock = io.StringIO(), Clock()
    p = Progress("seed 0 batches", stream=log, clock=clock, interval=1)
    p.set_postfix(loss="0.312", test="0.9123")
    clock.now = 2
    p.update(5)
    q = Progress("loading", stream=log, clock=clock, interval=1)
    clock.now = 4
    q.update()
    assert log.getvalue().splitlines() == ["seed 0 batches 5, 2 s, loss 0.312, test 0.9123", "loading 1, 2 s"]


def test_a_count_that_does_not_move_prints_nothing_more():
    log, clock = io.StringIO(), Clock()
    p = Progress("pairs", stream=log, clock=clock, interval=1)
    for t in range(1, 5):
        clock.now = t
        p(0, 3)
    assert log.getvalue() == ""
    assert PROGRESS_INTERVAL >= 1  # a log gets a line every few seconds, not a flood


def test_on_a_terminal_a_bar_that_ends_at_its_total_with_results_on_lines_of_their_own():
    term = Terminal()
    p = Progress("epochs", unit="epoch", stream=term)
    p(2, 6)
    p.write("seed 0: a result", file=term)
    p(6, 6)
    p.write("seed 1: another", file=term)
    p.close()
    shown = _segments(term.getvalue())
    assert "\r" in term.getvalue()  # a bar, redrawn in place
    assert "seed 0: a result" in shown and "seed 1: another" in shown  # never glued to the bar
    assert re.search(r"epochs: 100%.*6/6", shown[-1])  # the bar ends at its total


def test_disabled_shows_nothing_but_writes():
    term = Terminal()
    p = Progress("epochs", stream=term, disable=True)
    p(3, 6)
    p.write("a result", file=term)
    p.close()
    assert term.getvalue() == "a result\n"


@pytest.mark.parametrize("stream", [io.StringIO(), Terminal()])
def test_write_goes_to_stdout_by_default(stream, capsys):
    with Progress("x", stream=stream) as p:
        p(1, 2)
        p.write("to stdout")
    assert capsys.readouterr().out == "to stdout\n"
