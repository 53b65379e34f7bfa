import json

import pytest

from netgraph import load_checkpoint
from netgraph.cli import main

BASE = ["train", "--dataset", "synthetic", "--layers", "20,16,4", "--density", "0.5", "--epochs", "2",
        "--batch-size", "64", "--lr", "0.05", "--quiet"]


def test_train_two_seeds(tmp_path, capsys):
    out = tmp_path / "runs"
    assert main(BASE + ["--growth", "strategic", "--start-fraction", "0.3", "--seeds", "0,2", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "seed 0: strategic, test accuracy" in text and "seed 2: strategic" in text
    assert "over 2 seeds" in text
    assert sorted(p.name for p in out.iterdir()) == ["seed-0", "seed-2"]
    params = json.loads((out / "seed-2" / "params.json").read_text())["config"]
    assert params["growth_options"] == {"start_fraction": 0.3} and params["density"] == 0.5
    assert params["layers"] == [20, 16, 4] and params["epochs"] == 2
    ckpt = load_checkpoint(out / "seed-2" / "final.pt")
    assert (ckpt.meta["method"], ckpt.meta["seed"], ckpt.meta["epoch"]) == ("strategic", 2, 2)


def test_train_resume_continues(tmp_path, capsys):
    out = str(tmp_path / "runs")
    assert main(BASE + ["--out", out]) == 0
    (tmp_path / "runs" / "seed-0" / "epoch-002.pt").unlink()
    (tmp_path / "runs" / "seed-0" / "final.pt").unlink()
    capsys.readouterr()
    assert main(BASE + ["--out", out]) == 2
    assert "already holds a run; resume it" in capsys.readouterr().err
    assert main(BASE + ["--out", out, "--resume"]) == 0
    assert "resumed from epoch 1" in capsys.readouterr().out


def test_pruning_options(tmp_path, capsys):
    out = tmp_path / "runs"
    args = ["train", "--dataset", "synthetic", "--layers", "20,16,4", "--epochs", "3", "--target-density", "0.3",
            "--prune-start", "1", "--prune-end", "2", "--remove-dead", "--optimizer", "adam", "--quiet",
            "--out", str(out)]
    assert main(args) == 0
    metrics = json.loads((out / "seed-0" / "metrics.json").read_text())
    assert metrics["method"] == "dense+prune"
    assert metrics["epochs"][2]["connections"] == [96, 19]  # 0.3 of 320 and of 64, rounded
    final = load_checkpoint(out / "seed-0" / "final.pt")  # after remove_dead: at most as many
    assert final.n_connections() <= 115 and "remove_dead" in final.meta
    assert f" {final.n_connections()} connections" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--layers", "20,x,4"], "--layers '20,x,4': expected comma-separated ints"),
        (["--layers", "21,16,4"], "layers=[21, 16, 4]: synthetic has 20 features and 4 classes"),
        (["--seeds", "3-1"], "seeds='3-1'"),
        (["--zeta", "2"], "zeta=2.0, must be a number >= 0 and <= 1"),
        (["--dataset", "mnist", "--layers", "784,10", "--data-dir", "{tmp}"], "t10k-labels-idx1-ubyte"),
    ],
)
def test_errors_are_one_line(tmp_path, capsys, args, message):
    args = [a.replace("{tmp}", str(tmp_path)) for a in args]
    assert main(["train", "--dataset", "synthetic", "--quiet", "--out", str(tmp_path / "o")] + args) == 2
    err = capsys.readouterr().err
    assert err.startswith("netgraph train: error:") and message in err and err.count("\n") == 1


def test_epsilon_and_density_exclude_each_other(tmp_path, capsys):
    assert main(["train", "--epsilon", "10", "--density", "0.1", "--out", str(tmp_path)]) == 2
    assert "not allowed with argument" in capsys.readouterr().err


def test_ctrl_c_says_how_to_resume(tmp_path, capsys, monkeypatch):
    import netgraph.train

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(netgraph.train, "train_run", interrupted)
    assert main(BASE + ["--out", str(tmp_path)]) == 130
    assert "interrupted during seed 0" in capsys.readouterr().err
