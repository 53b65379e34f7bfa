"""``netgraph demo``: the short seed study with its similarity report."""

import json
import re

import pytest

from netgraph.cli import main


@pytest.mark.e2e
def test_demo_writes_runs_and_report(tmp_path, capsys, monkeypatch):
    import analysis.report

    summaries = []
    real = analysis.report.compute_group

    def counting(graphs, **kwargs):
        summaries.append(kwargs["method"])
        return real(graphs, **kwargs)

    monkeypatch.setattr(analysis.report, "compute_group", counting)  # one call per comparison
    out = tmp_path / "demo"
    argv = ["demo", "--out", str(out), "--seeds", "0-1", "--epochs", "2", "--workers", "1"]
    assert main(argv) == 0
    # one computation: each comparison of the report is summarised once, and the printed table reads it
    assert summaries == ["random+prune", "strategic+prune", "all methods"]
    captured = capsys.readouterr()
    lines = captured.out.strip().splitlines()
    assert lines[-1] == f"report: {out / 'report' / 'report.html'}"
    assert [line.split()[0] for line in lines[1:3]] == ["random+prune", "strategic+prune"]
    assert "[4/4]" in captured.err  # progress on stderr
    # not a terminal: plain lines, the epochs of all runs up to their total, the pairs as they are aligned
    assert "\r" not in captured.err
    assert re.search(r"^epochs 8/8 \(100%\), \d+ s$", captured.err, flags=re.M)
    assert re.search(r"^  aligning 6 pairs of networks\npairs 6/6 \(100%\), \d+ s$", captured.err, flags=re.M)
    for method in ("random+prune", "strategic+prune"):
        for seed in (0, 1):
            run = out / "runs" / method / f"seed-{seed}"
            # default --keep last: only the newest epoch checkpoint besides final.pt
            assert sorted(p.name for p in run.glob("*.pt")) == ["epoch-002.pt", "final.pt"]
            assert json.loads((run / "params.json").read_text())["keep"] == "last"
    report = json.loads((out / "report" / "report.json").read_text())
    assert report["provenance"]["seeds"] == [0, 1, 0, 1]
    assert report["provenance"]["methods"] == ["random+prune"] * 2 + ["strategic+prune"] * 2
    assert "<html" in (out / "report" / "report.html").read_text()
    assert list((out / "report").glob("*.png"))
    # pruned to half the 10% density: 0.05 of 64*256 + 256*256 + 256*10 = 4224 connections
    assert "4,224" in lines[1]
    # the printed table is the report's: same edge, chance, aligned and aligned random numbers
    for line, comparison in zip(lines[1:3], report["comparisons"]):
        s = comparison["summary"]
        assert comparison["name"] == line.split()[0] == s["method"]
        printed = line.split()[-4:]
        stated = [
            s["edge"]["overall"],
            s["edge_chance"]["overall"],
            s["aligned"]["overall"],
            s["aligned_null"]["overall"],
        ]
        assert printed == [f"{x:.3f}" for x in stated]
        assert comparison["aligned"]["mean_chance"] == s["aligned_null"]["overall"]  # the heatmap's chance line too
        assert f"{s['total_connections']:,.0f}" in line

    # a second call reuses the finished runs and rewrites the report
    assert main(argv + ["--quiet"]) == 0
    again = capsys.readouterr()
    assert again.err == "" and again.out.strip().splitlines()[-1] == lines[-1]


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--seeds", "3"], "give at least 2"),
        (["--seeds", "x"], "not a seed"),
        (["--epochs", "1"], "at least 2 epochs"),
    ],
)
def test_demo_rejects_bad_options(tmp_path, capsys, extra, message):
    assert main(["demo", "--out", str(tmp_path), *extra]) == 2
    err = capsys.readouterr().err
    assert err.startswith("netgraph demo: error:") and message in err


@pytest.mark.parametrize(("extra", "keep"), [([], "last"), (["--keep", "all"], "all"), (["--keep", "last"], "last")])
def test_demo_passes_keep_to_the_grid(tmp_path, monkeypatch, extra, keep):
    import netgraph.training.study
    from netgraph.errors import NetgraphError

    seen = {}

    def fake_run_grid(configs, seeds, out_dir, **kwargs):
        seen.update(kwargs)
        raise NetgraphError("stop here")

    monkeypatch.setattr(netgraph.training.study, "run_grid", fake_run_grid)
    assert main(["demo", "--out", str(tmp_path), "--quiet", *extra]) == 2
    assert seen["keep"] == keep and seen["resume"] is True


def test_demo_help_says_what_keep_keeps(capsys):
    assert main(["demo", "--help"]) == 0
    text = " ".join(capsys.readouterr().out.split())
    assert "--keep {all,last}" in text and "default last: only the newest epoch-XXX.pt" in text
