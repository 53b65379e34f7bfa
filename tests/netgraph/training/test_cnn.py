"""Training sparse convolutional networks (issue 20): netgraph train --arch lenet5 / resnet8 on digits."""

import json
import shutil

import pytest
import torch

from netgraph import ParameterError
from netgraph.io.cnn import is_cnn_checkpoint, load_cnn_checkpoint
from netgraph.training import TrainConfig, train_run


def _state_equal(a, b):
    return a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def test_a_resnet8_run_resumes_bit_for_bit_after_an_interruption(tmp_path):
    """BatchNorm, momentum and the evolution's random streams all come back from the epoch checkpoint."""
    config = TrainConfig(arch="resnet8", density=0.2, epochs=3, growth="strategic")
    whole = train_run(config, tmp_path / "whole", seed=1, progress=False)
    cut = tmp_path / "cut" / "seed-1"
    shutil.copytree(tmp_path / "whole" / "seed-1", cut)
    for name in ("epoch-003.pt", "final.pt"):  # as if killed during the third epoch
        (cut / name).unlink()
    resumed = train_run(config, tmp_path / "cut", seed=1, resume=True, progress=False)
    assert resumed.resumed_from == 2
    a, b = load_cnn_checkpoint(tmp_path / "whole/seed-1/final.pt"), load_cnn_checkpoint(cut / "final.pt")
    assert _state_equal(a.state, b.state)
    strip = lambda rows: [{k: v for k, v in r.items() if "seconds" not in k} for r in rows]  # noqa: E731
    assert strip(resumed.epochs) == strip(whole.epochs)


@pytest.mark.parametrize("growth", ["random", "strategic", "gradient"])
def test_lenet5_keeps_its_density_through_the_evolution(tmp_path, growth):
    r = train_run(TrainConfig(arch="lenet5", density=0.1, epochs=3, growth=growth), tmp_path, seed=0, progress=False)
    counts = [row["connections"] for row in r.epochs]
    assert counts[0] == counts[1] == counts[2]  # every layer keeps its count
    assert [row["added"] for row in r.epochs][:2] == [row["removed"] for row in r.epochs][:2]
    ckpt = load_cnn_checkpoint(tmp_path / "seed-0" / "final.pt")
    assert ckpt.arch == "lenet5" and ckpt.image_shape == (1, 8, 8) and ckpt.meta["params"]["arch"] == "lenet5"
    model = ckpt.to_model()
    assert abs(model.density() - 0.1) < 1e-3 and model.n_connections() == sum(counts[-1])
    assert is_cnn_checkpoint(tmp_path / "seed-0" / "epoch-001.pt")
    params = json.loads((tmp_path / "seed-0" / "params.json").read_text())
    assert params["weight_shapes"][0] == [6, 1, 3, 3]


def test_erk_with_a_dense_first_layer(tmp_path):
    r = train_run(TrainConfig(arch="lenet5", density=0.2, dense_first=True, epochs=1), tmp_path, seed=0, progress=False)
    model = load_cnn_checkpoint(tmp_path / "seed-0" / "final.pt").to_model()
    assert model.density(layer=0) == 1.0 and abs(model.density() - 0.2) < 1e-3
    assert r.final_connections[0] == 54  # 6 x 1 x 3 x 3, all present


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"arch": "lenet5", "epsilon": 10}, "epsilon=10.0, must be None with arch='lenet5'"),
        ({"arch": "resnet8", "layers": (64, 10)}, "layers=.*must be None with arch='resnet8'"),
        ({"arch": "lenet5", "backend": "sparse"}, "backend='sparse', must be 'masked' or 'auto'"),
        ({"arch": "vgg"}, "arch='vgg'"),
        ({"dense_first": True}, "dense_first=True applies to convolutional networks"),
        ({"sparse_init": "uniform"}, "sparse_init='uniform' applies to convolutional networks"),
    ],
)
def test_bad_convolutional_configurations_are_refused(options, message):
    with pytest.raises(ParameterError, match=message):
        TrainConfig(**options)


def test_a_dataset_without_images_is_refused_for_a_convolutional_network(tmp_path):
    with pytest.raises(ParameterError, match="arch='lenet5' needs images: synthetic"):
        train_run(TrainConfig(arch="lenet5", dataset="synthetic", density=0.5), tmp_path, seed=0, progress=False)


def test_the_commands_read_a_trained_convolutional_network_as_its_channel_graph(tmp_path, capsys):
    import netgraph
    from netgraph.cli import main

    out = tmp_path / "runs"
    argv = ["train", "--arch", "lenet5", "--density", "0.2", "--growth", "strategic", "--epochs", "2"]
    assert main([*argv, "--seeds", "0-1", "--out", str(out), "--quiet"]) == 0
    final = out / "seed-0" / "final.pt"
    capsys.readouterr()
    assert main(["info", str(final)]) == 0
    shown = capsys.readouterr().out
    assert "netgraph convolutional network checkpoint (channel graph)" in shown and "conv1  Conv2d 6x1x3x3" in shown
    assert main(["analyze", str(final)]) == 0
    assert "N_D" in capsys.readouterr().out
    assert main(["similarity", str(out), "--out", str(tmp_path / "report"), "--quiet"]) == 0
    assert "kernel elements" in capsys.readouterr().out and (tmp_path / "report" / "report.html").is_file()
    G = netgraph.to_graph(final)  # the channel-level graph: 1 + 6 + 16 + 120 + 84 + 10 channels
    assert G.graph["contract"] == "netgraph-channels-1" and G.number_of_nodes() == 237
    ckpt = load_cnn_checkpoint(final)
    assert sum(d["nnz"] for *_, d in G.edges(data=True)) == ckpt.to_model().n_connections()


def test_a_run_recorded_before_convolutional_networks_resumes(tmp_path, monkeypatch):
    """Checkpoints whose params lack arch, sparse_init and dense_first: those fields had their defaults."""
    import netgraph.training.run
    from netgraph import load_checkpoint

    real_meta = netgraph.training.run._meta

    def old_meta(*args):
        meta = real_meta(*args)
        for key in ("arch", "sparse_init", "dense_first"):
            del meta["params"][key]
        return meta

    config = TrainConfig(layers=(64, 16, 10), density=0.5, epochs=3)
    whole = train_run(config, tmp_path / "whole", seed=0, progress=False)
    monkeypatch.setattr(netgraph.training.run, "_meta", old_meta)
    train_run(config, tmp_path / "old", seed=0, progress=False)
    monkeypatch.undo()
    run = tmp_path / "old" / "seed-0"
    assert "arch" not in load_checkpoint(run / "epoch-002.pt").meta["params"]
    for name in ("epoch-003.pt", "final.pt"):
        (run / name).unlink()
    resumed = train_run(config, tmp_path / "old", seed=0, resume=True, progress=False)
    assert resumed.resumed_from == 2 and resumed.final_test_accuracy == whole.final_test_accuracy
    changed = TrainConfig(arch="lenet5", density=0.5, epochs=3)  # a real change: refused
    (run / "final.pt").unlink()
    with pytest.raises(ParameterError, match="the configuration differs .*arch: 'mlp' -> 'lenet5'"):
        train_run(changed, tmp_path / "old", seed=0, resume=True, progress=False)


def test_a_cosine_schedule_sets_each_epochs_rate_and_resumes_bit_for_bit(tmp_path):
    config = TrainConfig(arch="lenet5", density=0.2, epochs=3, lr=0.1, lr_schedule="cosine")
    whole = train_run(config, tmp_path / "whole", seed=0, progress=False)
    assert [round(r["lr"], 6) for r in whole.epochs] == [0.1, 0.075, 0.025]  # 0.1 (1 + cos(pi k / 3)) / 2
    cut = tmp_path / "cut" / "seed-0"
    shutil.copytree(tmp_path / "whole" / "seed-0", cut)
    for name in ("epoch-002.pt", "epoch-003.pt", "final.pt"):
        (cut / name).unlink()
    train_run(config, tmp_path / "cut", seed=0, resume=True, progress=False)
    a, b = load_cnn_checkpoint(tmp_path / "whole/seed-0/final.pt"), load_cnn_checkpoint(cut / "final.pt")
    assert _state_equal(a.state, b.state)
