"""What a researcher sees while ``netgraph train``, ``demo`` and ``similarity`` run: progress on stderr.

Without a terminal (a log, ``nohup``, captured stderr) progress is plain lines, never a
carriage-return bar; on a terminal each result is a line of its own beside the bar, and the bar
ends at its total. The demo's progress is checked in ``test_demo.py`` (it runs the demo once).
"""

import io
import re
import sys

import pytest

from netgraph import save_checkpoint
from netgraph.cli import main

TRAIN = ["train", "--dataset", "synthetic", "--layers", "20,16,4", "--density", "0.5", "--epochs", "2",
         "--batch-size", "64", "--lr", "0.05"]  # fmt: skip


class Terminal(io.StringIO):
    def isatty(self):
        return True


def _segments(text):
    return [s.strip() for s in re.split(r"[\r\n]", text) if s.strip()]


@pytest.mark.e2e
def test_train_with_seeds_prints_plain_progress_lines_without_a_terminal(tmp_path, capsys):
    assert main(TRAIN + ["--seeds", "0-1", "--workers", "1", "--out", str(tmp_path)]) == 0
    captured = capsys.readouterr()
    assert "\r" not in captured.err
    epochs = [line for line in captured.err.splitlines() if line.startswith("epochs ")]
    assert epochs and re.fullmatch(r"epochs 4/4 \(100%\), \d+ s", epochs[-1])  # ends at the total
    results = [line for line in captured.out.splitlines() if line.startswith("seed ")]
    assert len(results) == 2 and all(
        re.fullmatch(r"seed \d: random, test accuracy .* -> .*seed-\d", r) for r in results
    )


@pytest.mark.e2e
def test_train_with_seeds_on_a_terminal_keeps_results_off_the_bar(tmp_path, monkeypatch):
    term = Terminal()  # stdout and stderr on one terminal, as in a shell
    monkeypatch.setattr(sys, "stdout", term)
    monkeypatch.setattr(sys, "stderr", term)
    assert main(TRAIN + ["--seeds", "0-1", "--workers", "1", "--out", str(tmp_path)]) == 0
    shown = _segments(term.getvalue())
    results = [s for s in shown if "after 2 epochs" in s]
    assert len(results) == 2 and all(s.startswith("seed ") for s in results)  # nothing glued in front
    assert all(re.fullmatch(r"seed \d: random, test accuracy .* -> .*seed-\d", s) for s in results)  # nor behind
    bars = [s for s in shown if s.startswith("epochs:")]
    assert bars and re.search(r"100%.*4/4", bars[-1])


def test_one_seed_prints_plain_lines_of_its_batches_without_a_terminal(tmp_path, capsys):
    assert main(TRAIN + ["--out", str(tmp_path)]) == 0
    err = capsys.readouterr().err
    assert "\r" not in err
    last = err.strip().splitlines()[-1]
    assert re.fullmatch(r"seed 0 batches (\d+)/\1 \(100%\), \d+ s, loss \S+, test \S+", last), err


@pytest.mark.e2e
def test_similarity_shows_the_pairs_done_while_it_aligns(tmp_path, capsys, make_net):
    for seed in range(4):
        save_checkpoint(make_net([12, 16, 16, 4], 0.3, seed=seed), tmp_path / "run" / f"seed-{seed}" / "final.pt",
                        meta={"seed": seed, "method": "m"})  # fmt: skip
    argv = ["similarity", str(tmp_path / "run"), "--out", str(tmp_path / "report"), "--workers", "1"]
    assert main(argv) == 0
    err = capsys.readouterr().err
    assert "\r" not in err
    lines = err.splitlines()
    aligning = lines.index("comparing 4 networks of 12-16-16-4") + 1
    assert lines[aligning] == "aligning 6 pairs of networks"
    assert re.fullmatch(r"pairs 6/6 \(100%\), \d+ s", lines[aligning + 1])  # the aligned pairs, as they finish
    assert re.fullmatch(r"loading 4/4 \(100%\), \d+ s", lines[0])
    # --quiet: nothing at all
    assert main(argv + ["--quiet"]) == 0
    assert capsys.readouterr().err == ""
