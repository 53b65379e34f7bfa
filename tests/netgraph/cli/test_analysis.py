"""``netgraph analyze`` and ``netgraph similarity``."""

import json

import pytest
import torch

from netgraph import save_checkpoint
from netgraph.cli import main


@pytest.fixture
def ckpt_231(tmp_path, net_231):
    return save_checkpoint(net_231, tmp_path / "net.pt", meta={"seed": 7, "method": "set", "epoch": 3})


@pytest.fixture
def run_dir(tmp_path, make_net):
    """OUT/seed-0, OUT/seed-1 (8-6-4-3, method "random") with final.pt and metrics.json."""
    out = tmp_path / "run"
    for seed in (0, 1):
        d = out / f"seed-{seed}"
        net = make_net([8, 6, 4, 3], 0.6, seed=seed)
        save_checkpoint(net, d / "final.pt", meta={"seed": seed, "method": "random", "epoch": 2})
        rows = [{"epoch": e, "test_accuracy": 0.5 + 0.1 * e, "total_connections": 60 - e} for e in (1, 2)]
        (d / "metrics.json").write_text(json.dumps({"seed": seed, "method": "random", "epochs": rows}))
    return out


def test_analyze_table(ckpt_231, capsys):
    assert main(["analyze", str(ckpt_231)]) == 0
    out = capsys.readouterr().out
    assert "method set, seed 7, epoch 3" in out
    # 2-3-1: 6 connections of 9; matching 2 + 1 -> N_D = 6 - 3 = 3 = bound 2 + 1 + 0
    assert "total  2-3-1: 6 connections, density 0.6667" in out
    assert "N_D 3 (0.5000 of 6 nodes), bound 3, shortfall 0" in out
    rows = [line.split() for line in out.splitlines() if line.split() and line.split()[0] in ("0", "1", "2")]
    assert rows[1][:4] == ["1", "3", "4", "0.6667"] and rows[2][:4] == ["2", "1", "2", "0.6667"]


def test_analyze_json(ckpt_231, tmp_path, capsys):
    path = tmp_path / "a.json"
    assert main(["analyze", str(ckpt_231), str(ckpt_231), "--json", str(path)]) == 0
    data = json.loads(path.read_text())
    assert len(data) == 2 and data[0]["connections"] == 6 and data[0]["driver_nodes"]["count"] == 3
    assert data[0]["layer_summary"]["connections"] == [4, 2] and data[0]["seed"] == 7


def test_analyze_missing_file(tmp_path, capsys):
    assert main(["analyze", str(tmp_path / "nope.pt")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("netgraph analyze: error:") and "no such file" in err and len(err.splitlines()) == 1


@pytest.mark.e2e
def test_similarity_report(run_dir, tmp_path, capsys, make_net):
    net = make_net([8, 5, 4, 3], 0.6, seed=5)
    other = save_checkpoint(net, tmp_path / "other.pt", meta={"seed": 5, "method": "random"})
    out = tmp_path / "report"
    assert main(["similarity", str(run_dir), str(other), "--out", str(out), "--quiet"]) == 0
    text = capsys.readouterr().out
    assert "cannot be compared edge by edge" in text and "wrote" in text
    data = json.loads((out / "report.json").read_text())
    assert data["provenance"]["files"] == [
        str(run_dir / "seed-0" / "final.pt"),
        str(run_dir / "seed-1" / "final.pt"),
        str(other),
    ]
    assert data["incomparable"][1] == {"layer_sizes": [8, 5, 4, 3], "labels": ["random/seed-5"]}
    (cmp,) = data["comparisons"]
    assert cmp["labels"] == ["random/seed-0", "random/seed-1"] and cmp["aligned"] is not None
    assert data["networks"][0]["metrics"]["epochs"][1]["test_accuracy"] == pytest.approx(0.7)
    assert (out / "report.html").is_file() and (out / "training.png").is_file()


@pytest.mark.e2e
def test_similarity_seed_dir_and_duplicates(run_dir, tmp_path, capsys):
    out = tmp_path / "r"
    args = ["similarity", str(run_dir / "seed-1"), str(run_dir / "seed-1" / "final.pt"), str(run_dir / "seed-0")]
    assert main(args + ["--out", str(out), "--no-aligned", "--quiet"]) == 0
    data = json.loads((out / "report.json").read_text())
    assert data["provenance"]["seeds"] == [1, 0] and data["comparisons"][0]["aligned"] is None


@pytest.mark.parametrize(
    "make_path, message", [(lambda p: p / "missing", "no such file or directory"), (lambda p: p, "no checkpoint found")]
)
def test_similarity_bad_paths(tmp_path, capsys, make_path, message):
    (tmp_path / "empty").mkdir()
    path = make_path(tmp_path / "empty")
    assert main(["similarity", str(path), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("netgraph similarity: error:") and message in err


def _foreign_runs(tmp_path):
    """Two groups of plain nn.Sequential state_dicts (no method recorded), two networks each."""
    from torch import nn

    dirs = {}
    for name, width in (("small", 4), ("wide", 4)):
        d = tmp_path / name
        d.mkdir()
        for k in range(2):
            torch.manual_seed(10 * len(dirs) + k)
            torch.save(nn.Sequential(nn.Linear(6, width), nn.ReLU(), nn.Linear(width, 3)).state_dict(), d / f"m{k}.pt")
        dirs[name] = d
    return dirs


@pytest.mark.e2e
def test_similarity_groups_by_name(tmp_path, capsys):
    dirs = _foreign_runs(tmp_path)
    args = [
        f"small={dirs['small'] / 'm0.pt'}",
        f"small={dirs['small'] / 'm1.pt'}",
        f"wide={dirs['wide'] / 'm0.pt'}",
        f"wide={dirs['wide'] / 'm1.pt'}",
    ]
    assert main(["similarity", *args, "--out", str(tmp_path / "r"), "--quiet", "--no-aligned"]) == 0
    data = json.loads((tmp_path / "r" / "report.json").read_text())
    assert [c["name"] for c in data["comparisons"]] == ["small", "wide", "all groups"]
    assert data["provenance"]["groups"] == ["small", "small", "wide", "wide"]


@pytest.mark.e2e
def test_similarity_group_and_plain_paths_mix(run_dir, tmp_path):
    from torch import nn

    torch.manual_seed(0)
    sd = tmp_path / "sd"
    sd.mkdir()
    for k in range(2):
        torch.save(
            nn.Sequential(nn.Linear(8, 6), nn.ReLU(), nn.Linear(6, 4), nn.ReLU(), nn.Linear(4, 3)).state_dict(),
            sd / f"{k}.pt",
        )
    assert (
        main(
            [
                "similarity",
                str(run_dir),
                f"mine={sd / '0.pt'}",
                f"mine={sd / '1.pt'}",
                "--out",
                str(tmp_path / "r"),
                "--quiet",
                "--no-aligned",
            ]
        )
        == 0
    )
    data = json.loads((tmp_path / "r" / "report.json").read_text())
    assert data["provenance"]["groups"] == ["random", "random", "mine", "mine"]


def test_similarity_same_file_in_two_groups_is_refused(run_dir, tmp_path, capsys):
    f = run_dir / "seed-0" / "final.pt"
    assert main(["similarity", f"a={f}", f"b={f}", "--out", str(tmp_path / "r")]) == 2
    assert "is named in two groups, 'a' and 'b'" in capsys.readouterr().err


def test_analyze_reads_run_and_study_folders(run_dir, capsys):
    assert main(["analyze", str(run_dir)]) == 0
    assert capsys.readouterr().out.count("total  8-6-4-3") == 2
    assert main(["analyze", str(run_dir.parent)]) == 0  # a study folder: */seed-*/final.pt
    assert capsys.readouterr().out.count("total  8-6-4-3") == 2


def test_analyze_json_never_overwrites_an_input(ckpt_231, capsys):
    before = ckpt_231.read_bytes()
    assert main(["analyze", str(ckpt_231), "--json", str(ckpt_231)]) == 2
    assert "--json" in capsys.readouterr().err and ckpt_231.read_bytes() == before
