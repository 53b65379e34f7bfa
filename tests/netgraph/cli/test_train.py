import json
import os
import signal
import subprocess
import sys
import time

import pytest

from netgraph import ParameterError, load_checkpoint
from netgraph.cli import main

BASE = [
    "train",
    "--dataset",
    "synthetic",
    "--layers",
    "20,16,4",
    "--density",
    "0.5",
    "--epochs",
    "2",
    "--batch-size",
    "64",
    "--lr",
    "0.05",
    "--quiet",
]


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
    args = [
        "train",
        "--dataset",
        "synthetic",
        "--layers",
        "20,16,4",
        "--epochs",
        "3",
        "--target-density",
        "0.3",
        "--prune-start",
        "1",
        "--prune-end",
        "2",
        "--remove-dead",
        "--optimizer",
        "adam",
        "--quiet",
        "--out",
        str(out),
    ]
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
        (["--zeta", "2"], "zeta=2.0, must be a number >= 0 and < 1"),
        (
            ["--zeta", "1.0", "--density", "0.5"],
            "zeta=1.0 removes every connection each epoch, so nothing learned survives; must be < 1",
        ),
        (["--growth", "strategic"], "growth='strategic' with a dense start (neither epsilon nor a density < 1)"),
        (
            ["--density", "1e-9"],
            "layer 0 (20 -> 256) drew no connection at density 1e-09; use a larger density or epsilon",
        ),
        (["--dataset", "mnist", "--layers", "784,10", "--data-dir", "{tmp}"], "t10k-labels-idx1-ubyte"),
    ],
)
def test_errors_are_one_line(tmp_path, capsys, args, message):
    args = [a.replace("{tmp}", str(tmp_path)) for a in args]
    assert main(["train", "--dataset", "synthetic", "--quiet", "--out", str(tmp_path / "o")] + args) == 2
    err = capsys.readouterr().err
    assert err.startswith("netgraph train: error:") and message in err and err.count("\n") == 1


def test_backend_option_is_recorded_and_a_run_resumes_with_the_other(tmp_path, capsys):
    out = tmp_path / "runs"
    assert main(BASE + ["--epochs", "3", "--backend", "sparse", "--out", str(out)]) == 0
    run = out / "seed-0"
    assert json.loads((run / "params.json").read_text())["config"]["backend"] == "sparse"
    for name in ("final.pt", "epoch-003.pt"):
        (run / name).unlink()
    assert main(BASE + ["--epochs", "3", "--backend", "masked", "--out", str(out), "--resume"]) == 0
    assert "resumed from epoch 2" in capsys.readouterr().out
    assert json.loads((run / "params.json").read_text())["config"]["backend"] == "masked"
    assert load_checkpoint(run / "final.pt").meta["params"]["backend"] == "masked"
    assert main(BASE + ["--out", str(tmp_path / "auto")]) == 0  # density 0.5: auto is masked
    assert json.loads((tmp_path / "auto" / "seed-0" / "params.json").read_text())["config"]["backend"] == "masked"
    capsys.readouterr()
    assert main(BASE + ["--backend", "dense", "--out", str(tmp_path / "x")]) == 2
    assert "invalid choice: 'dense' (choose from 'auto', 'sparse', 'masked')" in capsys.readouterr().err
    assert main(["train", "--help"]) == 0
    text = " ".join(capsys.readouterr().out.split())
    assert "--backend {auto,sparse,masked}" in text and "sparse on CPU below initial density 0.2" in text


def test_epsilon_and_density_exclude_each_other(tmp_path, capsys):
    assert main(["train", "--epsilon", "10", "--density", "0.1", "--out", str(tmp_path)]) == 2
    assert "not allowed with argument" in capsys.readouterr().err


def test_ctrl_c_says_how_to_resume(tmp_path, capsys, monkeypatch):
    import netgraph.training.run

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(netgraph.training.run, "train_run", interrupted)
    assert main(BASE + ["--out", str(tmp_path)]) == 130
    assert "interrupted during seed 0" in capsys.readouterr().err


def test_density_without_connections_writes_nothing(tmp_path, capsys):
    out = tmp_path / "o"
    args = ["train", "--dataset", "synthetic", "--layers", "20,16,4", "--density", "1e-9", "--quiet", "--out", str(out)]
    assert main(args) == 2
    assert "drew no connection at density 1e-09" in capsys.readouterr().err
    assert not out.exists()


def test_keep_last_and_all(tmp_path, capsys):
    assert main(BASE + ["--epochs", "3", "--out", str(tmp_path / "last"), "--keep", "last"]) == 0
    run = tmp_path / "last" / "seed-0"
    assert sorted(p.name for p in run.iterdir()) == ["epoch-003.pt", "final.pt", "metrics.json", "params.json"]
    assert json.loads((run / "params.json").read_text())["keep"] == "last"
    assert main(BASE + ["--out", str(tmp_path / "all")]) == 0  # default: all
    assert sorted(p.name for p in (tmp_path / "all" / "seed-0").glob("*.pt")) == [
        "epoch-001.pt",
        "epoch-002.pt",
        "final.pt",
    ]
    assert json.loads((tmp_path / "all" / "seed-0" / "params.json").read_text())["keep"] == "all"
    assert main(BASE + ["--out", str(tmp_path / "x"), "--keep", "some"]) == 2
    assert "invalid choice: 'some'" in capsys.readouterr().err


def test_help_says_what_keep_keeps(capsys):
    assert main(["train", "--help"]) == 0
    text = " ".join(capsys.readouterr().out.split())
    assert "--keep {all,last}" in text and "default all: every epoch-XXX.pt" in text


_HOLDER = """
import sys, time
from netgraph._lock import run_lock
with run_lock(sys.argv[1]):
    print("locked", flush=True)
    time.sleep(120)
"""


def test_a_second_run_into_the_same_folder_fails_at_once_and_a_killed_holder_is_not_obeyed(tmp_path, capsys):
    out = tmp_path / "runs"
    (out / "seed-0").mkdir(parents=True)
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLDER, str(out / "seed-0")],
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        while (out / "seed-0" / ".lock").stat().st_size == 0 if (out / "seed-0" / ".lock").exists() else True:
            assert holder.poll() is None and time.monotonic() < deadline, "the lock holder did not start"
            time.sleep(0.05)
        assert holder.stdout.readline().strip() == "locked"
        t0 = time.monotonic()
        assert main(BASE + ["--out", str(out)]) == 2
        assert time.monotonic() - t0 < 30  # at once, not after waiting
        err = capsys.readouterr().err
        assert err.startswith(
            f"netgraph train: error: {out / 'seed-0'} is in use by another netgraph run (pid {holder.pid} on host "
        )
        assert "wait for it or choose another --out" in err and err.count("\n") == 1
        assert sorted(p.name for p in (out / "seed-0").iterdir()) == [".lock"]  # nothing written
        os.kill(holder.pid, signal.SIGKILL)
        holder.wait(timeout=30)
        assert (out / "seed-0" / ".lock").exists()  # left behind by the killed holder, and not obeyed
        assert main(BASE + ["--out", str(out)]) == 0
        assert not (out / "seed-0" / ".lock").exists()
        assert (out / "seed-0" / "final.pt").is_file()
    finally:
        if holder.poll() is None:
            holder.kill()
        holder.wait(timeout=30)
        holder.stdout.close()


def test_resume_cleans_up_after_a_killed_run(tmp_path, capsys):
    out = tmp_path / "runs"
    assert main(BASE + ["--epochs", "3", "--out", str(out)]) == 0
    run = out / "seed-0"
    (run / "final.pt").unlink()
    (run / "epoch-003.pt").unlink()
    (run / ".epoch-003.pt.x1y2z3ab.tmp").write_bytes(b"half")
    (run / ".metrics.json.q9w8e7r6.tmp").write_text("{")
    (run / ".lock").write_text('{"pid": 999999999, "host": "gone"}')
    assert main(BASE + ["--epochs", "3", "--out", str(out), "--resume"]) == 0
    assert sorted(p.name for p in run.iterdir()) == [
        "epoch-001.pt",
        "epoch-002.pt",
        "epoch-003.pt",
        "final.pt",
        "metrics.json",
        "params.json",
    ]


# --------------------------------------------------------------------------- configuration from the fields

# what a run of this command recorded before TrainConfig moved to netgraph.training.config (resume compatibility)
_RECORDED = (
    '{"dataset": "synthetic", "data_dir": null, "label_column": "label", "test_size": null, "data_seed": 0, '
    '"layers": [20, 16, 4], "activation": "relu", "epsilon": 4.0, "density": null, "growth": "strategic", '
    '"zeta": 0.3, "criterion": "set", "grow_init": null, "init_scale": 0.3, "growth_options": {"start_fraction": 0.3}, '
    '"pruning": "gmp", "target_density": 0.2, "prune_start": 1, "prune_end": 2, "prune_criterion": "magnitude", '
    '"prune_scope": "proportional", "remove_dead": false, "optimizer": "sgd", "lr": 0.05, "momentum": 0.9, '
    '"nesterov": false, "weight_decay": 0.0002, "batch_size": 16, "epochs": 3, "weight_init": "he", "device": "cpu", '
    '"label": null}'
)


def test_the_recorded_configuration_of_a_command_is_unchanged(tmp_path):
    args = [
        "train",
        "--dataset",
        "synthetic",
        "--layers",
        "20,16,4",
        "--epsilon",
        "4",
        "--epochs",
        "3",
        "--growth",
        "strategic",
        "--start-fraction",
        "0.3",
        "--target-density",
        "0.2",
        "--quiet",
        "--out",
        str(tmp_path),
    ]
    assert main(args) == 0
    recorded = json.loads((tmp_path / "seed-0" / "params.json").read_text())["config"]
    meta = load_checkpoint(tmp_path / "seed-0" / "final.pt").meta["params"]
    # one key is new since then: the resolved backend (a run may be resumed with another backend,
    # so a run recorded without it resumes: test_backend.py::test_a_run_recorded_before_backends_resumes)
    assert recorded.pop("backend") == meta.pop("backend") == "masked"  # density 0.54: above the crossover
    # and three since issue 20, the convolutional networks' (a run recorded without them resumes:
    # tests/netgraph/training/test_cnn.py::test_a_run_recorded_before_convolutional_networks_resumes)
    for key, default in (("arch", "mlp"), ("sparse_init", "erk"), ("dense_first", False), ("lr_schedule", "constant")):
        assert recorded.pop(key) == meta.pop(key) == default
    assert json.dumps(recorded) == _RECORDED  # same keys, order, values and types (4.0, not 4)
    assert json.dumps(meta, sort_keys=True) == json.dumps(json.loads(_RECORDED), sort_keys=True)


def test_every_option_field_of_train_config_is_an_option(capsys):
    import dataclasses

    from netgraph.training.config import TrainConfig

    assert main(["train", "--help"]) == 0
    text = capsys.readouterr().out
    for f in dataclasses.fields(TrainConfig):
        if f.name not in ("growth_options", "pruning"):  # --start-fraction; implied by --target-density
            assert f"--{f.name.replace('_', '-')}" in text, f.name


def _counting(fn, calls):
    import functools

    @functools.wraps(fn)  # keeps fn's signature (a strategy's options are read from it)
    def counted(*args, **kwargs):
        calls.append(1)
        return fn(*args, **kwargs)

    return counted


def _register(monkeypatch, module, registry, name, like):
    """Register a counting copy of registry[like] as registry[name] (undone after the test)."""
    import importlib

    table = getattr(importlib.import_module(module), registry)
    calls = []
    monkeypatch.setitem(table, name, _counting(table[like], calls))
    return calls


@pytest.mark.parametrize(
    ("module", "registry", "option", "like"),
    [
        ("netgraph.topology.growth", "GROWTH_STRATEGIES", "--growth", "random"),
        ("netgraph.topology.pruning", "PRUNING_CRITERIA", "--criterion", "set"),
        ("netgraph.topology.pruning", "PRUNING_CRITERIA", "--prune-criterion", "magnitude"),
        ("netgraph.topology.growth", "GROW_INITS", "--grow-init", "normal"),
        ("netgraph.nn.model", "WEIGHT_INITS", "--weight-init", "he"),
        ("netgraph.nn.model", "ACTIVATIONS", "--activation", "relu"),
    ],
)
def test_a_registered_function_is_an_option_with_no_other_edit(
    tmp_path, capsys, monkeypatch, module, registry, option, like
):
    from netgraph.training.config import TrainConfig

    calls = _register(monkeypatch, module, registry, "toy", like)
    field = option[2:].replace("-", "_")
    with pytest.raises(ParameterError, match="toy-2"):  # not a name anywhere before it is registered
        TrainConfig(**{field: "toy-2"})
    assert getattr(TrainConfig(density=0.5, **{field: "toy"}), field) == "toy"
    extra = ["--target-density", "0.3"] if option == "--prune-criterion" else []
    assert main(BASE + [option, "toy", "--epochs", "3", "--out", str(tmp_path)] + extra) == 0
    assert calls, f"the registered {registry} function was not used"
    config = json.loads((tmp_path / "seed-0" / "params.json").read_text())["config"]
    assert config[field] == "toy"
    if option == "--growth":
        assert "seed 0: toy, test accuracy" in capsys.readouterr().out
    capsys.readouterr()
    assert main(["train", "--help"]) == 0
    assert "toy" in " ".join(capsys.readouterr().out.split())  # listed by --help


def test_an_unregistered_name_is_refused_by_the_parser_with_the_registered_names(tmp_path, capsys):
    assert main(BASE + ["--growth", "toy", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "invalid choice: 'toy'" in err and "'random', 'strategic', 'gradient', 'none'" in err
    assert not tmp_path.joinpath("seed-0").exists()
