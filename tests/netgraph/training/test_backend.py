"""Training with either backend: the same trajectories up to rounding, optimizer state across
backends, resuming with the other backend or from a run recorded before backends existed."""

import copy
import json

import numpy as np
import pytest
import torch

from netgraph import CheckpointError, load_checkpoint
from netgraph.training._optimizer import load_state_values, make, state_values
from netgraph.training.data import load
from netgraph.training.run import TrainConfig, train_run

LAYERS = (8, 24, 16, 3)


@pytest.fixture(scope="module")
def data():
    return load("synthetic", rng=0, n_samples=240, n_features=8, n_classes=3)


@pytest.fixture(scope="module")
def digits():
    return load("digits", rng=0)


def _config(**kwargs):
    base = dict(dataset="synthetic", layers=LAYERS, density=0.4, epochs=3, batch_size=32, lr=0.05)
    return TrainConfig(**{**base, **kwargs})


def _steps(model, optimizer, n, seed):
    gen = torch.Generator().manual_seed(seed)
    for _ in range(n):
        x, y = torch.randn(16, model.layer_sizes[0], generator=gen), torch.randint(0, 3, (16,), generator=gen)
        optimizer.zero_grad()
        torch.nn.functional.cross_entropy(model(x), y).backward()
        optimizer.step()


def _assert_close_runs(a, b, epochs, *, atol=1e-5):
    """Two run folders: the same masks at every checkpoint, weights and biases within atol."""
    for name in [f"epoch-{e:03d}.pt" for e in range(1, epochs + 1)] + ["final.pt"]:
        x, y = load_checkpoint(a / name), load_checkpoint(b / name)
        for m1, m2 in zip(x.masks, y.masks):
            assert np.array_equal(m1, m2), name
        for w1, w2 in zip(x.weights + x.biases, y.weights + y.biases):
            np.testing.assert_allclose(w1, w2, rtol=0, atol=atol, err_msg=name)


def _rows(run):
    rows = json.loads((run / "metrics.json").read_text())["epochs"]
    return [{k: row[k] for k in ("connections", "removed", "added")} for row in rows]


# --------------------------------------------------------------------------- optimizer state across backends


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_optimizer_state_carries_across_backends(make_net, optimizer):
    config = TrainConfig(optimizer=optimizer, nesterov=optimizer == "sgd").resolved()
    net = make_net([8, 24, 16, 3], 0.3, seed=0)
    sparse = net.to_backend("sparse")
    opt_m, opt_s = make(config, net), make(config, sparse)
    _steps(net, opt_m, 3, seed=1)
    state = state_values(opt_m, net)
    assert state["format"] == "netgraph-optimizer-values"
    for entry, layer in zip(state["layers"], net.layers):  # per-weight states: one value per connection
        assert entry["values"] and all(v.shape == (layer.n_connections(),) for v in entry["values"].values())
    sparse = net.to_backend("sparse")  # the network after 3 steps, and its optimizer state
    opt_s = make(config, sparse)
    load_state_values(opt_s, sparse, state)
    again = state_values(opt_s, sparse)  # lossless both ways
    for e1, e2 in zip(state["layers"], again["layers"]):
        for key in ("values", "weight", "bias"):
            assert e1[key].keys() == e2[key].keys()
            assert all(torch.equal(e1[key][k], e2[key][k]) for k in e1[key])
    back = make(config, net)
    load_state_values(back, net, again)
    for p, q in zip(net.parameters(), net.parameters()):
        for k, v in opt_m.state[p].items():
            assert torch.equal(back.state[q][k], v)
    assert back.state_dict()["param_groups"] == opt_m.state_dict()["param_groups"]
    _steps(net, opt_m, 3, seed=2)  # further steps agree up to rounding
    _steps(sparse, opt_s, 3, seed=2)
    for a, b in zip(net.layers, sparse.layers):
        torch.testing.assert_close(b.dense_weight(), a.dense_weight(), rtol=1e-5, atol=1e-6)


def test_optimizer_state_that_does_not_fit_the_network_is_refused(make_net):
    config = TrainConfig().resolved()
    a, b = make_net([8, 24, 3], 0.3, seed=0), make_net([8, 24, 3], 0.3, seed=1)
    opt = make(config, a)
    _steps(a, opt, 1, seed=0)
    state = state_values(opt, a)
    n = a.n_connections(layer=0)
    with pytest.raises(CheckpointError, match=rf"'momentum_buffer' of layer 0 has shape \({n},\), expected \("):
        load_state_values(make(config, b), b, state)
    c = make_net([8, 3], 0.3, seed=0)
    with pytest.raises(CheckpointError, match=r"the optimizer state has 2 layers, expected 1"):
        load_state_values(make(config, c), c, state)


# --------------------------------------------------------------------------- the same trajectories

# digits, 64-64-32-10 at density 0.2, 4 epochs, seed 0: no near tie decides a topology choice in
# these settings (checked over seeds 0-2 and also with criterion="magnitude": the masks were equal
# at every epoch, weights within 9e-7, final accuracies equal)
TRAJECTORIES = {
    "random-sgd": {"growth": "random"},
    "strategic-gmp": {"growth": "strategic", "target_density": 0.1},
    "gradient-adam": {"growth": "gradient", "optimizer": "adam", "lr": 0.01},
    "gradient-gmp": {"growth": "gradient", "target_density": 0.1, "criterion": "magnitude"},
}


@pytest.mark.parametrize("kwargs", TRAJECTORIES.values(), ids=TRAJECTORIES.keys())
def test_backends_follow_the_same_trajectory(tmp_path, digits, kwargs):
    base = dict(dataset="digits", layers=(64, 64, 32, 10), density=0.2, epochs=4, batch_size=24)
    runs = {
        b: train_run(TrainConfig(**base, **kwargs, backend=b), tmp_path / b, seed=0, progress=False, data=digits)
        for b in ("masked", "sparse")
    }
    masked, sparse = tmp_path / "masked" / "seed-0", tmp_path / "sparse" / "seed-0"
    assert runs["sparse"].params["backend"] == "sparse" and runs["masked"].params["backend"] == "masked"
    _assert_close_runs(masked, sparse, 4)  # the same topology choices, weights within 1e-5
    assert _rows(masked) == _rows(sparse)
    assert any(r["removed"][0] > 0 for r in _rows(masked))  # the topology did change
    for e in range(1, 5):  # the optimizer state too
        s1, s2 = (load_checkpoint(run / f"epoch-{e:03d}.pt").train_state["optimizer"] for run in (masked, sparse))
        for e1, e2 in zip(s1["layers"], s2["layers"]):
            for k in e1["values"]:
                torch.testing.assert_close(e2["values"][k], e1["values"][k], rtol=1e-4, atol=1e-6)
    assert abs(runs["masked"].final_test_accuracy - runs["sparse"].final_test_accuracy) <= 0.01
    assert runs["masked"].final_test_accuracy > 0.8


# --------------------------------------------------------------------------- resuming across backends


def _interrupt(run, epochs, *, after):
    for name in ["final.pt"] + [f"epoch-{e:03d}.pt" for e in range(after + 1, epochs + 1)]:
        (run / name).unlink()


@pytest.mark.parametrize(("first", "then"), [("masked", "sparse"), ("sparse", "masked")])
def test_resume_with_the_other_backend(tmp_path, data, first, then):
    kwargs = dict(growth="strategic", optimizer="adam", lr=0.01, target_density=0.2, epochs=4)
    full = train_run(_config(backend=first, **kwargs), tmp_path / "full", seed=3, progress=False, data=data)
    train_run(_config(backend=first, **kwargs), tmp_path / "part", seed=3, progress=False, data=data)
    run = tmp_path / "part" / "seed-3"
    _interrupt(run, 4, after=1)
    resumed = train_run(
        _config(backend=then, **kwargs), tmp_path / "part", seed=3, resume=True, progress=False, data=data
    )
    assert resumed.resumed_from == 1 and resumed.params["backend"] == then
    assert json.loads((run / "params.json").read_text())["config"]["backend"] == then
    assert load_checkpoint(run / "epoch-001.pt").meta["params"]["backend"] == first
    assert load_checkpoint(run / "epoch-002.pt").meta["params"]["backend"] == then
    _assert_close_runs(tmp_path / "full" / "seed-3", run, 4)  # the uninterrupted run, up to rounding
    assert _rows(run) == _rows(tmp_path / "full" / "seed-3")
    assert abs(resumed.final_test_accuracy - full.final_test_accuracy) <= 0.01


@pytest.mark.parametrize("backend", ["auto", "sparse"])
def test_a_run_recorded_before_backends_resumes(tmp_path, data, monkeypatch, backend):
    """Checkpoints whose params have no backend and whose optimizer state is a plain state_dict."""
    import netgraph.training._optimizer
    import netgraph.training.run

    kwargs = dict(growth="random", optimizer="adam", lr=0.01, epochs=3)
    full = train_run(_config(**kwargs), tmp_path / "full", seed=1, progress=False, data=data)
    # the trainer as it was: a deep copy of optimizer.state_dict(), and no backend in the configuration
    real_meta, real_params = netgraph.training.run._meta, netgraph.training.run._params

    def old_meta(*args):
        meta = real_meta(*args)
        del meta["params"]["backend"]
        return meta

    def old_params(*args):
        params = real_params(*args)
        del params["config"]["backend"]
        return params

    monkeypatch.setattr(
        netgraph.training._optimizer, "state_values", lambda opt, model: copy.deepcopy(opt.state_dict())
    )
    monkeypatch.setattr(netgraph.training.run, "_meta", old_meta)
    monkeypatch.setattr(netgraph.training.run, "_params", old_params)
    train_run(_config(**kwargs), tmp_path / "old", seed=1, progress=False, data=data)
    monkeypatch.undo()
    run = tmp_path / "old" / "seed-1"
    old = load_checkpoint(run / "epoch-001.pt")
    assert "backend" not in old.meta["params"] and set(old.train_state["optimizer"]) == {"state", "param_groups"}
    _interrupt(run, 3, after=1)
    resumed = train_run(
        _config(backend=backend, **kwargs), tmp_path / "old", seed=1, resume=True, progress=False, data=data
    )
    assert resumed.resumed_from == 1
    if backend == "auto":  # masked, as the run was trained: bit-identical to the uninterrupted run
        _assert_close_runs(tmp_path / "full" / "seed-1", run, 3, atol=0)
        assert resumed.final_test_accuracy == full.final_test_accuracy
    else:
        _assert_close_runs(tmp_path / "full" / "seed-1", run, 3)
        assert abs(resumed.final_test_accuracy - full.final_test_accuracy) <= 0.01


def test_a_newer_optimizer_state_format_is_refused(tmp_path, data):
    from netgraph import save_checkpoint

    train_run(_config(), tmp_path, seed=0, progress=False, data=data)
    run = tmp_path / "seed-0"
    _interrupt(run, 3, after=1)
    ckpt = load_checkpoint(run / "epoch-001.pt")
    state = dict(ckpt.train_state, optimizer={**ckpt.train_state["optimizer"], "version": 99})
    save_checkpoint(ckpt, run / "epoch-001.pt", train_state=state)
    with pytest.raises(CheckpointError, match=r"optimizer state format version 99 is newer than this netgraph"):
        train_run(_config(), tmp_path, seed=0, resume=True, progress=False, data=data)


def test_a_checkpoint_with_a_damaged_optimizer_state_is_skipped(tmp_path, data):
    from netgraph import save_checkpoint

    full = train_run(_config(), tmp_path / "full", seed=0, progress=False, data=data)
    train_run(_config(), tmp_path / "part", seed=0, progress=False, data=data)
    run = tmp_path / "part" / "seed-0"
    _interrupt(run, 3, after=2)
    ckpt = load_checkpoint(run / "epoch-002.pt")
    damaged = {**ckpt.train_state["optimizer"], "layers": [{"values": None}]}
    save_checkpoint(ckpt, run / "epoch-002.pt", train_state=dict(ckpt.train_state, optimizer=damaged))
    resumed = train_run(_config(), tmp_path / "part", seed=0, resume=True, progress=False, data=data)
    assert resumed.resumed_from == 1 and resumed.final_test_accuracy == full.final_test_accuracy
    _assert_close_runs(tmp_path / "full" / "seed-0", run, 3, atol=0)
