import hashlib
import json
import os

import numpy as np
import pytest
import torch

from netgraph import NetgraphError, ParameterError, __version__, load_checkpoint, save_checkpoint
from netgraph.cli.args import parse_seeds
from netgraph.training.data import load
from netgraph.training.run import TrainConfig, default_batch_size, initial_network, method_label, train_run

LAYERS = (8, 24, 16, 3)


@pytest.fixture(scope="module")
def data():
    return load("synthetic", rng=0, n_samples=240, n_features=8, n_classes=3)


def _config(**kwargs):
    base = dict(dataset="synthetic", layers=LAYERS, density=0.4, epochs=3, batch_size=32, lr=0.05)
    return TrainConfig(**{**base, **kwargs})


def _rows_without_time(path):
    doc = json.loads(path.read_text())
    for row in doc["epochs"]:
        row.pop("seconds")
        row.pop("evolution_seconds")
    return doc


def _assert_same_network(a, b):
    assert a.layer_sizes == b.layer_sizes
    for x, y in zip(a.weights + a.biases + a.masks, b.weights + b.biases + b.masks):
        assert torch.equal(torch.from_numpy(x), torch.from_numpy(y))


@pytest.mark.parametrize(
    "kwargs",
    [
        {"growth": "random"},
        {"growth": "gradient", "optimizer": "adam", "lr": 0.01},
        {"growth": "strategic", "target_density": 0.2, "epochs": 4, "remove_dead": True},
    ],
    ids=["random-sgd", "gradient-adam", "strategic-gmp"],
)
@pytest.mark.parametrize("backend", ["masked", "sparse"])
def test_resume_is_bit_identical(tmp_path, data, kwargs, backend):
    config = _config(backend=backend, **kwargs)
    full = train_run(config, tmp_path / "full", seed=3, progress=False, data=data)
    part = train_run(config, tmp_path / "part", seed=3, progress=False, data=data)
    run = tmp_path / "part" / "seed-3"
    # simulate an interruption during epoch 3: later files gone, epoch 2 half-written
    for name in ["final.pt"] + [f"epoch-{e:03d}.pt" for e in range(3, config.epochs + 1)]:
        (run / name).unlink()
    data2 = (run / "epoch-002.pt").read_bytes()
    (run / "epoch-002.pt").write_bytes(data2[: len(data2) // 2])
    resumed = train_run(config, tmp_path / "part", seed=3, resume=True, progress=False, data=data)
    assert resumed.resumed_from == 1 and full.resumed_from is None and part.resumed_from is None
    for name in ["final.pt"] + [f"epoch-{e:03d}.pt" for e in range(1, config.epochs + 1)]:
        a = load_checkpoint(tmp_path / "full" / "seed-3" / name)
        b = load_checkpoint(run / name)
        _assert_same_network(a, b)
        a.meta["metrics"].pop("seconds"), b.meta["metrics"].pop("seconds")
        a.meta["metrics"].pop("evolution_seconds"), b.meta["metrics"].pop("evolution_seconds")
        assert a.meta == b.meta
    assert _rows_without_time(run / "metrics.json") == _rows_without_time(tmp_path / "full" / "seed-3" / "metrics.json")
    assert resumed.final_test_accuracy == full.final_test_accuracy


def test_evolution_keeps_each_layers_connection_count(tmp_path, data):
    result = train_run(_config(growth="random", zeta=0.3), tmp_path, seed=0, progress=False, data=data)
    rows = result.epochs
    first = rows[0]["connections"]
    assert all(row["connections"] == first for row in rows)
    assert rows[0]["removed"] == rows[0]["added"] and min(rows[0]["removed"]) > 0
    assert rows[-1]["removed"] == rows[-1]["added"] == [0, 0, 0, 0][: len(first)]
    # ckpt of epoch 2 (before its evolution) differs from epoch 3's masks; the last epoch does not evolve
    e2, e3, final = (load_checkpoint(tmp_path / "seed-0" / f) for f in ("epoch-002.pt", "epoch-003.pt", "final.pt"))
    assert any(not np.array_equal(a, b) for a, b in zip(e2.masks, e3.masks))
    _assert_same_network(e3, final)


def test_checkpoint_is_taken_before_the_epochs_evolution(tmp_path, data):
    # epoch 1 of a 3-epoch run == the whole of a 1-epoch run (no evolution ever happens there)
    train_run(_config(growth="random"), tmp_path / "a", seed=5, progress=False, data=data)
    train_run(_config(growth="random", epochs=1), tmp_path / "b", seed=5, progress=False, data=data)
    _assert_same_network(
        load_checkpoint(tmp_path / "a" / "seed-5" / "epoch-001.pt"),
        load_checkpoint(tmp_path / "b" / "seed-5" / "final.pt"),
    )


def test_run_files_and_meta(tmp_path, data):
    config = _config(growth="strategic", label="my-method")
    result = train_run(config, tmp_path, seed=2, progress=False, data=data)
    run = tmp_path / "seed-2"
    assert sorted(os.listdir(run)) == [
        "epoch-001.pt",
        "epoch-002.pt",
        "epoch-003.pt",
        "final.pt",
        "metrics.json",
        "params.json",
    ]
    params = json.loads((run / "params.json").read_text())
    assert params["seed"] == 2 and params["method"] == "my-method"
    # what a run records is the resolved configuration (here backend "auto" resolves to "masked")
    assert params["config"] == config.resolved(data).to_dict() and params["layer_sizes"] == list(LAYERS)
    assert params["config"]["backend"] == "masked" and config.backend == "auto"
    assert params["dataset"]["n_train"] == 192 and params["netgraph_version"] == __version__
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["seed"] == 2 and metrics["method"] == "my-method" and len(metrics["epochs"]) == 3
    row = metrics["epochs"][1]
    assert set(row) == {
        "epoch",
        "loss",
        "train_accuracy",
        "test_accuracy",
        "connections",
        "total_connections",
        "density",
        "removed",
        "added",
        "seconds",
        "evolution_seconds",
    }
    assert row["epoch"] == 2 and row["total_connections"] == sum(row["connections"])
    assert row["density"] == pytest.approx(row["total_connections"] / (8 * 24 + 24 * 16 + 16 * 3))
    assert 0 <= row["test_accuracy"] <= 1 and 0 <= row["train_accuracy"] <= 1
    ckpt = load_checkpoint(run / "epoch-002.pt")
    assert len(ckpt.meta["initial_topology"]) == 16  # tests/netgraph/topology/test_initial.py
    assert ckpt.meta == {
        "seed": 2,
        "initial_topology": ckpt.meta["initial_topology"],
        "dataset": "synthetic",
        "method": "my-method",
        "growth": "strategic",
        "pruning": None,
        "epoch": 2,
        "metrics": row,
        "params": config.resolved(data).to_dict(),
        "netgraph_version": __version__,
    }
    assert [int(m.sum()) for m in ckpt.masks] == row["connections"]
    assert result.to_dict()["epochs"][1] == row and result.seed == 2
    json.dumps(result.to_dict())


def test_gradual_pruning_reaches_target_density(tmp_path, data):
    config = _config(density=None, growth="none", target_density=0.25, epochs=4, prune_start=1, prune_end=3)
    result = train_run(config, tmp_path, seed=0, progress=False, data=data)
    assert result.method == "dense+prune"
    rows = result.epochs
    sizes = [8 * 24, 24 * 16, 16 * 3]
    assert rows[0]["connections"] == sizes  # dense during epoch 1
    # cubic schedule from 1.0 to 0.25 over epochs 1..3: after epoch 2, 0.25 + 0.75 * (1 - 1/2)^3
    assert rows[2]["connections"] == pytest.approx([0.34375 * s for s in sizes], abs=1)
    assert rows[3]["connections"] == pytest.approx([0.25 * s for s in sizes], abs=1)
    assert rows[1]["removed"] == [a - b for a, b in zip(rows[1]["connections"], rows[2]["connections"])]
    assert rows[1]["added"] == [0, 0, 0]


@pytest.mark.parametrize("scope", ["proportional", "uniform"])
def test_pruning_scope_with_a_dense_output_layer(tmp_path, data, scope):
    # epsilon 6: layer 0 (8x24) at p = 6*32/192 = 1.0, layer 1 (24x16) at p = 6*40/384 = 0.625, layer 2 dense
    config = _config(
        density=None,
        epsilon=6,
        growth="none",
        target_density=0.3,
        epochs=3,
        prune_start=1,
        prune_end=2,
        prune_scope=scope,
    )
    rows = train_run(config, tmp_path, seed=0, progress=False, data=data).epochs
    sizes = np.array([8 * 24, 24 * 16, 16 * 3])
    initial, final = np.array(rows[0]["connections"]), np.array(rows[-1]["connections"])
    d0 = initial.sum() / sizes.sum()
    if scope == "proportional":  # every layer keeps the same share of its connections; overall density = target
        assert final == pytest.approx(initial * 0.3 / d0, abs=1)
        assert final.sum() / sizes.sum() == pytest.approx(0.3, abs=0.01)
    else:  # every layer at the target density itself
        assert final == pytest.approx(sizes * 0.3, abs=1)


@pytest.mark.parametrize("backend", ["masked", "sparse"])
def test_checkpoints_store_the_optimizer_state_per_connection(tmp_path, data, backend):
    train_run(_config(growth="random", optimizer="adam", backend=backend), tmp_path, seed=1, progress=False, data=data)
    ckpt = load_checkpoint(tmp_path / "seed-1" / "epoch-003.pt")
    saved = ckpt.train_state["optimizer"]
    assert (saved["format"], saved["version"]) == ("netgraph-optimizer-values", 1)
    assert saved["param_groups"][0]["lr"] == 0.05 and len(saved["layers"]) == len(ckpt.masks)
    for entry, mask, bias in zip(saved["layers"], ckpt.masks, ckpt.biases):
        assert set(entry["values"]) == {"exp_avg", "exp_avg_sq"} and set(entry["weight"]) == {"step"}
        for values in entry["values"].values():  # one value per connection, nothing for absent ones
            assert values.shape == (int(mask.sum()),) and torch.count_nonzero(values) > 0
        assert entry["bias"]["exp_avg"].shape == bias.shape
        assert float(entry["weight"]["step"]) == float(entry["bias"]["step"]) == 3 * 192 / 32


@pytest.mark.parametrize(
    "kwargs",
    [
        {"growth": "random"},
        {"growth": "strategic", "nesterov": True, "target_density": 0.2, "epochs": 4},
        {"growth": "gradient", "optimizer": "adam", "lr": 0.01, "target_density": 0.2, "epochs": 4},
        {"density": None, "growth": "none", "optimizer": "adam", "target_density": 0.3, "epochs": 4},
    ],
    ids=["random-sgd", "strategic-nesterov-gmp", "gradient-adam-gmp", "dense-adam-gmp"],
)
@pytest.mark.parametrize("backend", ["masked", "sparse"])
def test_per_weight_optimizer_state_is_zero_at_absent_connections(tmp_path, data, monkeypatch, kwargs, backend):
    """What makes storing it as values at the present connections lossless, with either backend."""
    import netgraph.training._optimizer

    real, checked = netgraph.training._optimizer.state_values, []

    def checking(optimizer, model):
        for layer in model.layers:
            for name, value in optimizer.state[layer.weight_param].items():
                if isinstance(value, torch.Tensor) and value.shape == layer.weight_param.shape:
                    if model.backend == "masked":  # exactly zero at absent connections
                        assert torch.count_nonzero(value[~layer.mask]) == 0, name
                    else:  # a sparse layer keeps values at its connections only
                        assert value.shape == (layer.n_connections(),)
                    assert torch.equal(layer.from_values(layer.to_values(value)), value)  # lossless
                    checked.append((model.backend, name))
        return real(optimizer, model)

    monkeypatch.setattr(netgraph.training._optimizer, "state_values", checking)
    train_run(_config(backend=backend, **kwargs), tmp_path, seed=1, progress=False, data=data)
    assert (backend, "exp_avg" if "optimizer" in kwargs else "momentum_buffer") in checked  # every checkpoint
    if backend == "sparse":  # and the masked copy of each topology change
        assert any(b == "masked" for b, _ in checked)


def test_seeds_differ_and_repeat(tmp_path, data):
    runs = [
        train_run(_config(epochs=1), tmp_path / n, seed=s, progress=False, data=data)
        for n, s in (("a", 0), ("b", 0), ("c", 1))
    ]
    a, b, c = (load_checkpoint(tmp_path / n / f"seed-{s}" / "final.pt") for n, s in (("a", 0), ("b", 0), ("c", 1)))
    _assert_same_network(a, b)
    assert not np.array_equal(a.masks[0], c.masks[0])
    assert runs[0].epochs[0]["loss"] == runs[1].epochs[0]["loss"]


def test_keyboard_interrupt_leaves_only_complete_checkpoints(tmp_path, data, monkeypatch):

    real_save, calls = torch.save, []

    def save_then_interrupt(obj, f, *args, **kwargs):
        calls.append(1)
        if len(calls) == 2:  # the second checkpoint: half written, then Ctrl-C
            f.write(b"\x80partial")
            raise KeyboardInterrupt
        return real_save(obj, f, *args, **kwargs)

    monkeypatch.setattr(torch, "save", save_then_interrupt)
    with pytest.raises(KeyboardInterrupt):
        train_run(_config(), tmp_path, seed=0, progress=False, data=data)
    monkeypatch.setattr(torch, "save", real_save)
    run = tmp_path / "seed-0"
    assert sorted(p.name for p in run.iterdir()) == ["epoch-001.pt", "metrics.json", "params.json"]
    assert load_checkpoint(run / "epoch-001.pt").meta["epoch"] == 1
    assert len(json.loads((run / "metrics.json").read_text())["epochs"]) == 1
    resumed = train_run(_config(), tmp_path, seed=0, resume=True, progress=False, data=data)
    train_run(_config(), tmp_path / "full", seed=0, progress=False, data=data)
    assert resumed.resumed_from == 1
    _assert_same_network(load_checkpoint(run / "final.pt"), load_checkpoint(tmp_path / "full" / "seed-0" / "final.pt"))


@pytest.mark.parametrize("backend", ["masked", "sparse"])
def test_remove_dead_at_the_end_keeps_outputs(tmp_path, data, backend):
    config = _config(density=0.15, growth="none", remove_dead=True, epochs=2, backend=backend)
    train_run(config, tmp_path, seed=0, progress=False, data=data)
    last = load_checkpoint(tmp_path / "seed-0" / "epoch-002.pt")
    final = load_checkpoint(tmp_path / "seed-0" / "final.pt")
    assert final.n_connections() <= last.n_connections()
    assert "remove_dead" in final.meta
    assert "remove_dead" in json.loads((tmp_path / "seed-0" / "metrics.json").read_text())
    with torch.no_grad():
        torch.testing.assert_close(final.to_model()(data.x_test), last.to_model()(data.x_test), rtol=1e-5, atol=1e-5)


def test_existing_run_needs_resume(tmp_path, data):
    train_run(_config(epochs=1), tmp_path, seed=0, progress=False, data=data)
    with pytest.raises(ParameterError, match="already holds a run; resume it"):
        train_run(_config(epochs=1), tmp_path, seed=0, progress=False, data=data)
    with pytest.raises(ParameterError, match=r"configuration differs from the checkpoint's \(lr: 0.05 -> 0.1\)"):
        train_run(_config(epochs=1, lr=0.1), tmp_path, seed=0, resume=True, progress=False, data=data)
    # resuming a finished run only rewrites final.pt with the same network
    before = load_checkpoint(tmp_path / "seed-0" / "final.pt")
    again = train_run(_config(epochs=1), tmp_path, seed=0, resume=True, progress=False, data=data)
    assert again.resumed_from == 1
    _assert_same_network(before, load_checkpoint(tmp_path / "seed-0" / "final.pt"))


def test_layers_must_fit_the_data(tmp_path, data):
    with pytest.raises(ParameterError, match=r"layers=\[8, 5, 4\]: synthetic has 8 features and 3 classes"):
        train_run(_config(layers=(8, 5, 4)), tmp_path, seed=0, progress=False, data=data)


def test_divergence_is_an_error(tmp_path, data):
    with pytest.raises(NetgraphError, match="seed 0, epoch 1: the training loss is nan"):
        train_run(_config(lr=1e30, density=None, growth="none"), tmp_path, seed=0, progress=False, data=data)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"epsilon": 10, "density": 0.1}, "give at most one of them"),
        ({"density": 1.5}, r"density=1.5, must be a number > 0 and <= 1"),
        ({"growth": "magic"}, "growth='magic' is not valid; expected one of 'random'"),
        ({"zeta": -0.1}, r"zeta=-0.1, must be a number >= 0 and < 1"),
        ({"zeta": 1.0}, r"zeta=1.0 removes every connection each epoch, so nothing learned survives; must be < 1"),
        ({"zeta": 1}, r"zeta=1.0 removes every connection each epoch"),
        ({"zeta": 1.5}, r"zeta=1.5, must be a number >= 0 and < 1"),
        ({"lr": float("inf")}, r"lr=inf, must be a finite number"),
        ({"init_scale": float("inf")}, r"init_scale=inf, must be a finite number"),
        ({"weight_decay": float("nan")}, r"weight_decay=nan, must be a finite number"),
        ({"epsilon": float("inf")}, r"epsilon=inf, must be a finite number"),
        ({"growth": "random"}, r"growth='random' with a dense start \(neither epsilon nor a density < 1\)"),
        ({"growth": "strategic", "density": 1.0}, r"growth='strategic' with a dense start"),
        ({"growth": "gradient", "target_density": 0.1}, r"growth='gradient' with a dense start"),
        ({"epsilon": 100, "layers": (8, 24, 16, 3)}, r"growth='random' with epsilon=100 leaves every layer dense"),
        ({"epochs": 0}, "epochs=0, must be an int >= 1"),
        ({"batch_size": 2.5}, "batch_size=2.5, must be an int >= 1"),
        ({"optimizer": "rmsprop"}, "optimizer='rmsprop' is not valid"),
        ({"pruning": "gmp"}, "pruning='gmp' needs target_density"),
        ({"target_density": 0.0}, r"target_density=0.0, must be a number > 0 and <= 1"),
        ({"target_density": 0.1, "epochs": 1}, "a pruning schedule needs at least 2 epochs"),
        ({"target_density": 0.1, "epochs": 5, "prune_end": 5}, r"prune_end=5, must be an int >= 1 and <= 4"),
        ({"device": "tpu"}, "device='tpu' is not valid; expected 'cpu' or 'cuda'"),
        ({"growth_options": {"init_scale": 1.0}}, "set TrainConfig.init_scale instead"),
        ({"grow_init": "ones"}, "grow_init='ones' is not valid"),
        ({"layers": (8, 0, 3)}, "every size must be a positive int"),
        ({"nesterov": True, "optimizer": "adam"}, "nesterov=True needs optimizer='sgd'"),
    ],
)
def test_bad_config(kwargs, message):
    with pytest.raises(ParameterError, match=message):
        TrainConfig(**kwargs)


def test_config_defaults_and_round_trip():
    cfg = TrainConfig(epsilon=20, optimizer="adam", target_density=0.05, epochs=10)
    # what you construct is what you get; the defaults a run trains with come from resolved()
    assert (cfg.growth, cfg.lr, cfg.pruning, cfg.prune_start, cfg.prune_end) == (None, None, None, 1, None)
    run = cfg.resolved()
    assert (run.growth, run.lr, run.pruning, run.prune_start, run.prune_end) == ("random", 0.001, "gmp", 1, 9)
    assert TrainConfig().growth is None and TrainConfig().lr is None
    assert TrainConfig().resolved().growth == "none" and TrainConfig().resolved().lr == 0.05
    assert TrainConfig.from_dict(json.loads(json.dumps(cfg.to_dict()))) == cfg
    assert TrainConfig.from_dict(json.loads(json.dumps(run.to_dict()))) == run
    with pytest.raises(ParameterError, match=r"unknown TrainConfig keys \['colour'\]"):
        TrainConfig.from_dict({"colour": "red"})


@pytest.mark.parametrize(
    ("kwargs", "label"),
    [
        ({}, "dense"),
        ({"epsilon": 20}, "random"),
        ({"density": 0.1, "growth": "none"}, "static"),
        ({"epsilon": 20, "growth": "strategic", "target_density": 0.02}, "strategic+prune"),
        ({"target_density": 0.1}, "dense+prune"),
        ({"epsilon": 20, "growth": "gradient"}, "gradient"),
    ],
)
def test_method_label(kwargs, label):
    assert method_label(TrainConfig(**kwargs)) == label


@pytest.mark.parametrize(
    ("text", "seeds"), [("0-4", [0, 1, 2, 3, 4]), ("0,2,5", [0, 2, 5]), ("3", [3]), ("1-2, 2, 7", [1, 2, 7])]
)
def test_parse_seeds(text, seeds):
    assert parse_seeds(text) == seeds


@pytest.mark.parametrize("text", ["", "a", "4-2", "-1", "1.5", "0-"])
def test_parse_seeds_rejects(text):
    with pytest.raises(ParameterError, match="is not a seed or a range like 0-4"):
        parse_seeds(text)


def test_an_epsilon_that_leaves_every_layer_dense_refuses_growth_once_the_layers_are_known(tmp_path, data):
    # layers from the data: 8-256-256-3, where epsilon 1000 gives p = 1 everywhere
    config = TrainConfig(dataset="synthetic", epsilon=1000, growth="strategic", epochs=2)
    with pytest.raises(ParameterError, match=r"growth='strategic' with epsilon=1000 leaves every layer dense"):
        train_run(config, tmp_path, seed=0, progress=False, data=data)
    assert not any(tmp_path.iterdir())
    assert TrainConfig(epsilon=100, layers=LAYERS, growth="none").growth == "none"


def test_dense_start_without_growth_and_partly_dense_epsilon_are_allowed():
    assert TrainConfig(growth="none").growth == "none" and TrainConfig(density=1.0).resolved().growth == "none"
    # SET's epsilon leaves the small output layer dense: normal, and growth is allowed
    assert TrainConfig(epsilon=20, layers=(784, 1000, 10), growth="strategic").growth == "strategic"


def test_zeta_just_below_one_still_trains_a_live_network(tmp_path, data):
    # rounding removes every connection of the small layers; regrown weights must not all be 0
    result = train_run(
        _config(zeta=0.999, criterion="magnitude", epochs=2), tmp_path, seed=0, progress=False, data=data
    )
    assert result.epochs[0]["removed"] == result.epochs[0]["connections"]
    final = load_checkpoint(tmp_path / "seed-0" / "final.pt")
    for w, m in zip(final.weights, final.masks):
        assert np.count_nonzero(w[m]) == np.count_nonzero(m) and np.abs(w[m]).mean() > 1e-3


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"density": 1e-9},
            r"layer 0 \(8 -> 24\) drew no connection at density 1e-09; use a larger density or epsilon",
        ),
        ({"density": None, "epsilon": 1e-9}, r"layer 0 \(8 -> 24\) drew no connection at epsilon 1e-09 \(p = "),
    ],
)
def test_a_layer_without_connections_is_an_error_and_writes_nothing(tmp_path, data, kwargs, message):
    out = tmp_path / "out"
    with pytest.raises(ParameterError, match=message):
        train_run(_config(**kwargs), out, seed=0, progress=False, data=data)
    assert not out.exists()


@pytest.mark.parametrize("scope", ["proportional", "uniform"])
def test_a_pruning_target_that_empties_a_layer_is_an_error_and_writes_nothing(tmp_path, data, scope):
    # layer 2 (16 -> 3) has 48 possible connections: 0.005 of them rounds to none
    out = tmp_path / "out"
    config = _config(target_density=0.005, epochs=3, prune_scope=scope)
    with pytest.raises(ParameterError, match=r"target_density=0.005 prunes layer 2 \(16 -> 3\) to no connection"):
        train_run(config, out, seed=0, progress=False, data=data)
    assert not out.exists()


def test_resume_removes_leftover_temporary_files(tmp_path, data):
    config = _config()
    train_run(config, tmp_path, seed=0, progress=False, data=data)
    run = tmp_path / "seed-0"
    for name in ("final.pt", "epoch-003.pt"):
        (run / name).unlink()
    leftovers = [
        ".metrics.json.k2x9_q1a.tmp",
        ".epoch-003.pt.abcd1234.tmp",
        ".final.pt.zz00yy11.tmp",
        ".params.json.0a1b2c3d.tmp",
    ]
    for name in leftovers:
        (run / name).write_bytes(b"partial")
    foreign = ["notes.tmp", ".notes.txt.abcd1234.tmp", "metrics.json.tmp"]
    for name in foreign:
        (run / name).write_text("mine")
    train_run(config, tmp_path, seed=0, resume=True, progress=False, data=data)
    names = sorted(p.name for p in run.iterdir())
    assert not set(leftovers) & set(names)
    assert set(foreign) <= set(names)


def test_keep_last_keeps_the_newest_epoch_checkpoint_and_final(tmp_path, data):
    full = train_run(_config(), tmp_path / "all", seed=1, progress=False, data=data)
    last = train_run(_config(), tmp_path / "last", seed=1, progress=False, data=data, keep="last")
    run = tmp_path / "last" / "seed-1"
    assert sorted(os.listdir(run)) == ["epoch-003.pt", "final.pt", "metrics.json", "params.json"]
    assert json.loads((run / "params.json").read_text())["keep"] == "last"
    assert json.loads((tmp_path / "all" / "seed-1" / "params.json").read_text())["keep"] == "all"
    assert last.final_test_accuracy == full.final_test_accuracy
    _assert_same_network(load_checkpoint(run / "final.pt"), load_checkpoint(tmp_path / "all" / "seed-1" / "final.pt"))
    assert _rows_without_time(run / "metrics.json") == _rows_without_time(tmp_path / "all" / "seed-1" / "metrics.json")


def test_keep_last_deletes_the_previous_checkpoint_only_after_the_new_one_is_written(tmp_path, data, monkeypatch):

    real_save, calls = torch.save, []

    def save_then_interrupt(obj, f, *args, **kwargs):
        calls.append(1)
        if len(calls) == 3:  # epoch 3's checkpoint, half written
            f.write(b"\x80partial")
            raise KeyboardInterrupt
        return real_save(obj, f, *args, **kwargs)

    monkeypatch.setattr(torch, "save", save_then_interrupt)
    with pytest.raises(KeyboardInterrupt):
        train_run(_config(), tmp_path, seed=0, progress=False, data=data, keep="last")
    monkeypatch.setattr(torch, "save", real_save)
    run = tmp_path / "seed-0"
    assert sorted(p.name for p in run.iterdir()) == ["epoch-002.pt", "metrics.json", "params.json"]
    # keep is not part of the configuration: resuming with another keep is fine
    resumed = train_run(_config(), tmp_path, seed=0, resume=True, progress=False, data=data, keep="all")
    assert resumed.resumed_from == 2
    assert sorted(p.name for p in run.iterdir()) == [
        "epoch-002.pt",
        "epoch-003.pt",
        "final.pt",
        "metrics.json",
        "params.json",
    ]
    train_run(_config(), tmp_path / "full", seed=0, progress=False, data=data)
    _assert_same_network(load_checkpoint(run / "final.pt"), load_checkpoint(tmp_path / "full" / "seed-0" / "final.pt"))


def test_resume_with_keep_last_thins_an_earlier_keep_all_run(tmp_path, data):
    config = _config(epochs=4)
    train_run(config, tmp_path, seed=0, progress=False, data=data)
    run = tmp_path / "seed-0"
    for name in ("final.pt", "epoch-004.pt"):
        (run / name).unlink()
    train_run(config, tmp_path, seed=0, resume=True, progress=False, data=data, keep="last")
    assert sorted(p.name for p in run.glob("*.pt")) == ["epoch-004.pt", "final.pt"]


@pytest.mark.parametrize("keep", ["some", None, 1])
def test_bad_keep(tmp_path, data, keep):
    with pytest.raises(ParameterError, match=r"keep=.* is not valid; expected one of 'all', 'last'"):
        train_run(_config(), tmp_path, seed=0, progress=False, data=data, keep=keep)
    assert not any(tmp_path.iterdir())


def test_a_locked_run_directory_is_refused(tmp_path, data):
    from netgraph._lock import RunLockedError, run_lock

    (tmp_path / "seed-0").mkdir()
    with run_lock(tmp_path / "seed-0"):
        with pytest.raises(
            RunLockedError, match=rf"seed-0 is in use by another netgraph run \(pid {os.getpid()} on host "
        ):
            train_run(_config(), tmp_path, seed=0, progress=False, data=data)
    assert list((tmp_path / "seed-0").iterdir()) == []
    train_run(_config(), tmp_path, seed=0, progress=False, data=data)
    assert not (tmp_path / "seed-0" / ".lock").exists()


@pytest.mark.parametrize(("n_train", "batch"), [(1, 16), (960, 16), (1438, 24), (7620, 127), (7621, 128), (60000, 128)])
def test_default_batch_size(n_train, batch):
    assert default_batch_size(n_train) == batch


def test_default_batch_size_is_resolved_from_the_data_and_recorded(tmp_path, data):
    # 240 synthetic samples, test_size 0.2: 192 training samples -> the floor of 16
    result = train_run(_config(batch_size=None, epochs=1), tmp_path, seed=0, progress=False, data=data)
    assert result.params["batch_size"] == 16 and len(data.y_train) == 192
    params = json.loads((tmp_path / "seed-0" / "params.json").read_text())
    assert params["config"]["batch_size"] == 16
    assert TrainConfig().batch_size is None  # what you construct is what you get


# --------------------------------------------------------------------------- TrainConfig: table, rules, resolution


def test_construction_changes_nothing_and_resolved_cleans():
    cfg = TrainConfig(epsilon=1, layers=[8, 24, 3], zeta=0, momentum=1, data_seed=np.int64(2), growth_options={})
    assert (cfg.epsilon, cfg.layers, cfg.zeta, cfg.momentum, cfg.growth, cfg.lr) == (1, [8, 24, 3], 0, 1, None, None)
    assert type(cfg.data_seed) is np.int64
    run = cfg.resolved()
    assert (run.epsilon, run.layers, run.zeta, run.momentum, run.growth, run.lr) == (
        1.0,
        (8, 24, 3),
        0.0,
        1.0,
        "random",
        0.05,
    )
    assert [type(v) for v in (run.epsilon, run.zeta, run.momentum, run.data_seed)] == [float, float, float, int]
    assert run.resolved() == run and cfg.resolved() == run  # idempotent, and cfg is left as it was
    assert cfg.layers == [8, 24, 3] and cfg.method == run.method == "random"


def test_resolved_with_data_fills_in_layers_and_batch_size(data):
    cfg = TrainConfig(dataset="synthetic", density=0.5)
    assert (cfg.layers, cfg.batch_size) == (None, None)
    run = cfg.resolved(data)
    assert run.layers == (8, 256, 256, 3) and run.batch_size == 16  # 192 training samples: the floor
    assert (
        cfg.resolved(data) == run
        and TrainConfig(dataset="synthetic", density=0.5, batch_size=7).resolved(data).batch_size == 7
    )
    with pytest.raises(ParameterError, match=r"layers=\[8, 5, 4\]: synthetic has 8 features and 3 classes"):
        TrainConfig(dataset="synthetic", layers=(8, 5, 4)).resolved(data)


def test_the_constraint_table_covers_every_field_and_nothing_else():
    import dataclasses

    from netgraph.training.config import PARAMETER_CONSTRAINTS

    assert list(PARAMETER_CONSTRAINTS) == [f.name for f in dataclasses.fields(TrainConfig)]


def test_train_config_lives_in_a_module_without_torch():
    import subprocess
    import sys

    import netgraph.training.config
    import netgraph.training.run

    assert netgraph.training.run.TrainConfig is netgraph.training.config.TrainConfig
    assert netgraph.training.run.method_label is netgraph.training.config.method_label
    code = "import sys, netgraph.training.config; print('torch' in sys.modules, 'numpy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"prune_start": 0}, r"prune_start=0, must be an int >= 1"),  # checked whether or not pruning
        ({"prune_end": 2.5}, r"prune_end=2.5, must be an int >= 1"),
        ({"target_density": 0.1, "epochs": 5, "prune_start": 5}, r"prune_start=5, must be an int >= 1 and <= 4"),
        (
            {"target_density": 0.1, "epochs": 5, "prune_start": 3, "prune_end": 2},
            r"prune_end=2, must be an int >= 3 and <= 4",
        ),
        ({"data_dir": 3}, r"data_dir=3, expected a directory path"),
        ({"label_column": ""}, r"label_column='', expected a column name"),
        ({"data_seed": -1}, r"data_seed=-1, must be an int >= 0"),
        ({"test_size": 0}, r"test_size=0, must be a number > 0 and <= 1"),
        ({"momentum": 1.5}, r"momentum=1.5, must be a number >= 0 and <= 1"),
        ({"remove_dead": 1}, r"remove_dead=1, expected True or False"),
        ({"growth_options": []}, r"growth_options=\[\], expected a dict"),
        ({"growth_options": {"x": object}}, r"values must be JSON-safe"),
        ({"label": ""}, r"label='', expected a non-empty string"),
        ({"activation": "swish"}, r"activation='swish' is not valid; expected one of 'relu', 'tanh'"),
        ({"criterion": "random"}, r"criterion='random' is not valid; expected one of 'set', 'magnitude'"),
        ({"weight_init": "xavier"}, r"weight_init='xavier' is not valid; expected one of 'he', 'torch'"),
        ({"pruning": "l1"}, r"pruning='l1' is not valid; expected one of 'gmp'"),
        (
            {"epsilon": 10, "density": 0.1, "growth": "banana"},
            r"growth='banana' is not valid",
        ),  # the table before the rules
    ],
)
def test_bad_config_messages_come_from_the_table(kwargs, message):
    with pytest.raises(ParameterError, match=message):
        TrainConfig(**kwargs)


# --------------------------------------------------------------------------- backend


@pytest.mark.parametrize(
    ("kwargs", "backend"),
    [
        ({}, "masked"),  # dense
        ({"density": 0.1}, "sparse"),
        ({"density": 0.2}, "masked"),  # at the crossover: masked
        ({"density": 0.19}, "sparse"),
        ({"epsilon": 20, "layers": (784, 1000, 1000, 1000, 10)}, "sparse"),  # SET's MNIST net: 4.5%
        ({"epsilon": 4, "layers": (20, 16, 4)}, "masked"),  # 54%
        ({"epsilon": 20}, "auto"),  # the layers come with the data
        ({"density": 0.1, "device": "cuda"}, "masked"),  # CUDA: masked until measured
        ({"density": 0.1, "device": "cuda:1", "backend": "sparse"}, "sparse"),  # asked for: as asked
        ({"density": 0.9, "backend": "sparse"}, "sparse"),
        ({"density": 0.01, "backend": "masked"}, "masked"),
    ],
)
def test_backend_auto_resolves_by_device_and_expected_initial_density(kwargs, backend):
    from netgraph.training.config import SPARSE_MAX_DENSITY

    assert SPARSE_MAX_DENSITY == 0.2
    cfg = TrainConfig(**kwargs)
    assert cfg.backend == kwargs.get("backend", "auto")  # what you construct is what you get
    assert cfg.resolved().backend == backend and cfg.resolved().resolved() == cfg.resolved()


def test_backend_auto_is_decided_with_the_data_and_recorded(tmp_path, data, monkeypatch):
    import netgraph.training.run

    real, seen = netgraph.training.run._train_epoch, []

    def spy(model, *args, **kwargs):
        seen.append(model.backend)
        return real(model, *args, **kwargs)

    monkeypatch.setattr(netgraph.training.run, "_train_epoch", spy)
    # epsilon 1 on 8-24-16-3: p = 1/6, 1/9.6, 19/48 -> expected density 91/624 = 0.146
    result = train_run(_config(density=None, epsilon=1), tmp_path, seed=0, progress=False, data=data)
    assert result.params["backend"] == "sparse" and seen == ["sparse"] * 3
    assert json.loads((tmp_path / "seed-0" / "params.json").read_text())["config"]["backend"] == "sparse"
    assert load_checkpoint(tmp_path / "seed-0" / "final.pt").meta["params"]["backend"] == "sparse"


def test_bad_backend():
    with pytest.raises(
        ParameterError, match=r"backend='dense' is not valid; expected one of 'auto', 'sparse', 'masked'"
    ):
        TrainConfig(backend="dense")


def test_backend_choices_are_auto_and_the_layer_kinds():
    from netgraph.nn.model import BACKENDS
    from netgraph.training.config import BACKEND_CHOICES

    assert BACKEND_CHOICES[0] == "auto" and set(BACKEND_CHOICES[1:]) == set(BACKENDS)


# --------------------------------------------------------------------------- the initial topology
# meta["initial_topology"]: the fingerprint of a run's initial masks, shared by the methods of one seed


def _fingerprints(run):
    return {p.name: load_checkpoint(p).meta.get("initial_topology") for p in sorted(run.glob("*.pt"))}


def _expected(masks, sizes):
    """The documented fingerprint, computed from the masks (out x in) and layer sizes."""
    digest = hashlib.sha256(b"netgraph-initial-topology-1")
    digest.update(np.asarray(sizes, dtype="<i8").tobytes())
    for m in masks:
        digest.update(np.packbits(np.asarray(m, dtype=bool), axis=None).tobytes())
    return digest.hexdigest()[:16]


@pytest.fixture(scope="module")
def runs(tmp_path_factory, data):
    out = tmp_path_factory.mktemp("runs")
    kwargs = {
        "random": {"growth": "random"},
        "strategic": {"growth": "strategic", "target_density": 0.2},
        "gradient": {"growth": "gradient", "optimizer": "adam", "lr": 0.01},
    }
    for name, kw in kwargs.items():
        for seed in (0, 1):
            train_run(_config(**kw), out / name, seed=seed, progress=False, data=data)
    return out


def test_every_checkpoint_of_a_run_records_its_initial_topology(runs):
    run = runs / "random" / "seed-0"
    found = _fingerprints(run)
    assert list(found) == ["epoch-001.pt", "epoch-002.pt", "epoch-003.pt", "final.pt"]
    assert len(set(found.values())) == 1
    # epoch 1 is checkpointed before any topology change: its masks are the initial ones
    first = load_checkpoint(run / "epoch-001.pt")
    assert found["final.pt"] == _expected(first.masks, first.layer_sizes)
    final = load_checkpoint(run / "final.pt")
    assert _expected(final.masks, final.layer_sizes) != found["final.pt"]  # the topology evolved, the record stays


def test_methods_with_one_seed_share_it_seeds_differ(runs):
    by = {
        (m, s): _fingerprints(runs / m / f"seed-{s}")["final.pt"]
        for m in ("random", "strategic", "gradient")
        for s in (0, 1)
    }
    assert by[("random", 0)] == by[("strategic", 0)] == by[("gradient", 0)]
    assert by[("random", 1)] == by[("strategic", 1)] == by[("gradient", 1)]
    assert by[("random", 0)] != by[("random", 1)]
    # the masks themselves agree, not only their hashes
    a, b = (load_checkpoint(runs / m / "seed-0" / "epoch-001.pt") for m in ("random", "strategic"))
    assert all(np.array_equal(x, y) for x, y in zip(a.masks, b.masks))


def test_other_topology_parameters_give_another_fingerprint(tmp_path, data, runs):
    train_run(_config(growth="random", density=0.5, epochs=1), tmp_path, seed=0, progress=False, data=data)
    other = _fingerprints(tmp_path / "seed-0")["final.pt"]
    assert other != _fingerprints(runs / "random" / "seed-0")["final.pt"]


def test_the_fingerprint_survives_resume(tmp_path, data, runs):
    config = _config(growth="strategic", target_density=0.2)
    train_run(config, tmp_path, seed=0, progress=False, data=data)
    run = tmp_path / "seed-0"
    for name in ("final.pt", "epoch-002.pt", "epoch-003.pt"):
        (run / name).unlink()
    resumed = train_run(config, tmp_path, seed=0, resume=True, progress=False, data=data)
    assert resumed.resumed_from == 1
    found = _fingerprints(run)
    assert set(found.values()) == {_fingerprints(runs / "strategic" / "seed-0")["final.pt"]}
    assert len(found) == 4


def test_resume_keeps_the_recorded_value(tmp_path, data):
    """A resumed run carries on the fingerprint its checkpoint records (not one drawn again)."""
    config = _config(growth="random")
    train_run(config, tmp_path, seed=0, progress=False, data=data)
    run = tmp_path / "seed-0"
    for name in ("final.pt", "epoch-002.pt", "epoch-003.pt"):
        (run / name).unlink()
    first = load_checkpoint(run / "epoch-001.pt")
    save_checkpoint(
        first,
        run / "epoch-001.pt",
        meta={**first.meta, "initial_topology": "0123456789abcdef"},
        train_state=first.train_state,
    )
    train_run(config, tmp_path, seed=0, resume=True, progress=False, data=data)
    assert set(_fingerprints(run).values()) == {"0123456789abcdef"}


@pytest.mark.parametrize("method", ["random", "strategic", "gradient"])
def test_initial_network_is_what_each_run_starts_from(runs, data, method):
    first = load_checkpoint(runs / method / "seed-1" / "epoch-001.pt")  # before any topology change
    net = initial_network(_config(growth="random"), 1, data=data)
    assert all(np.array_equal(layer.mask.numpy(), m) for layer, m in zip(net.layers, first.masks))
    assert first.meta["initial_topology"] == _expected([layer.mask for layer in net.layers], LAYERS)


@pytest.mark.parametrize(
    ("seed", "message"), [(-1, "seed=-1, must be an int >= 0"), (True, "seed=True"), (1.5, "seed=1.5")]
)
def test_initial_network_refuses_bad_seeds(seed, message):
    from netgraph.errors import ParameterError

    with pytest.raises(ParameterError, match=message):
        initial_network(_config(), seed)


# ----------------------------------------------------------------- issue 16: a damaged train_state is refused


def _damage(key, value):
    def change(ts):
        if callable(value):
            value(ts)
        else:
            ts[key] = value

    return change


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (_damage("numpy_rng", "not json"), "train_state 'numpy_rng' is not valid JSON"),
        (
            _damage("numpy_rng", json.dumps({"bit_generator": "MT19937"})),
            "'numpy_rng' is no state of the run's generator",
        ),
        (_damage("torch_rng", torch.zeros(3, dtype=torch.uint8)), "'torch_rng' is no state of the run's generator"),
        (_damage("torch_rng", torch.zeros(5056)), "'torch_rng' is a torch.float32 tensor, expected a torch.uint8"),
        (_damage("rows_json", json.dumps({"a": 1})), "'rows_json' is not the metrics of epochs 1 to 2"),
        (_damage("rows_json", "[]"), "'rows_json' is not the metrics of epochs 1 to 2"),
        (_damage("initial_density", json.dumps({"overall": -3, "layers": [1]})), "'initial_density' is"),
        (_damage("initial_density", json.dumps({"overall": 0.4, "layers": [0.4, 0.4]})), "'initial_density' is"),
        (_damage("epoch", 7), "its train_state is of epoch 7, the file of 2"),
        (
            _damage(
                "optimizer",
                lambda ts: ts["optimizer"]["layers"][0]["values"].__setitem__("momentum_buffer", torch.zeros(3)),
            ),
            "the optimizer state 'momentum_buffer' of layer 0 has shape (3,)",
        ),
    ],
)
def test_resume_refuses_a_damaged_train_state(tmp_path, data, change, message):
    config = _config(momentum=0.9)
    train_run(config, tmp_path, seed=0, progress=False, data=data)
    run = tmp_path / "seed-0"
    (run / "final.pt").unlink()
    (run / "epoch-003.pt").unlink()
    ckpt = load_checkpoint(run / "epoch-002.pt")
    state = ckpt.train_state
    change(state)
    save_checkpoint(ckpt, run / "epoch-002.pt", train_state=state)
    with pytest.raises(NetgraphError) as caught:
        train_run(config, tmp_path, seed=0, resume=True, progress=False, data=data)
    text = str(caught.value)
    assert text.startswith(f"{run / 'epoch-002.pt'}: cannot resume from this checkpoint: ") and message in text
