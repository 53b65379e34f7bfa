"""meta["initial_topology"]: the fingerprint of a run's initial masks, shared by the methods of one seed."""

import hashlib

import numpy as np
import pytest

from netgraph import load_checkpoint, save_checkpoint
from netgraph.data import load
from netgraph.train import TrainConfig, train_run

LAYERS = (8, 24, 16, 3)


@pytest.fixture(scope="module")
def data():
    return load("synthetic", rng=0, n_samples=240, n_features=8, n_classes=3)


def _config(**kwargs):
    base = dict(dataset="synthetic", layers=LAYERS, density=0.4, epochs=3, batch_size=32, lr=0.05)
    return TrainConfig(**{**base, **kwargs})


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
    from netgraph.train import initial_network

    first = load_checkpoint(runs / method / "seed-1" / "epoch-001.pt")  # before any topology change
    net = initial_network(_config(growth="random"), 1, data=data)
    assert all(np.array_equal(layer.mask.numpy(), m) for layer, m in zip(net.layers, first.masks))
    assert first.meta["initial_topology"] == _expected([layer.mask for layer in net.layers], LAYERS)


@pytest.mark.parametrize(
    ("seed", "message"), [(-1, "seed=-1, must be a non-negative int"), (True, "seed=True"), (1.5, "seed=1.5")]
)
def test_initial_network_refuses_bad_seeds(seed, message):
    from netgraph.errors import ParameterError
    from netgraph.train import initial_network

    with pytest.raises(ParameterError, match=message):
        initial_network(_config(), seed)
