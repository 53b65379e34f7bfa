"""``--scheduler`` and ``--workers`` on the command line: bad values are one line and exit code 2, before any work."""

import pytest

from netgraph import save_checkpoint
from netgraph.cli import main

ADDRESSES = ["tcp://", "garbage", "inproc://x", "ucx://", "ws://", "tcp://[::1", "tcp://host:0", "tls://host"]


@pytest.fixture
def commands(tmp_path, make_net):
    for seed in (0, 1):
        save_checkpoint(make_net([6, 5, 3], 0.5, seed=seed), tmp_path / "run" / f"seed-{seed}" / "final.pt")
    return {
        "train": [
            "train",
            "--dataset",
            "synthetic",
            "--layers",
            "20,16,4",
            "--epochs",
            "1",
            "--seeds",
            "0-1",
            "--out",
            str(tmp_path / "runs"),
        ],  # fmt: skip
        "demo": ["demo", "--out", str(tmp_path / "demo")],
        "similarity": ["similarity", str(tmp_path / "run"), "--out", str(tmp_path / "report")],
    }


@pytest.mark.parametrize("command", ["train", "demo", "similarity"])
@pytest.mark.parametrize("address", ADDRESSES)
def test_a_malformed_scheduler_is_one_line_and_exit_2(commands, command, address, tmp_path, capsys, monkeypatch):
    import netgraph.training.cluster

    monkeypatch.setattr(netgraph.training.cluster, "_connect", lambda *a: pytest.fail("connected"))
    assert main(commands[command] + ["--scheduler", address]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith(f"netgraph {command}: error: scheduler={address!r}: ")
    assert "expected tcp://HOST:PORT or tls://HOST:PORT" in err
    assert "not encrypted" not in err and "internal error" not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]  # nothing written


@pytest.mark.parametrize("command", ["train", "similarity"])
def test_a_malformed_dask_scheduler_address_is_named(commands, command, capsys, monkeypatch):
    monkeypatch.setenv("DASK_SCHEDULER_ADDRESS", "ucx://h:8786")
    assert main(commands[command]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "DASK_SCHEDULER_ADDRESS='ucx://h:8786': the protocol ucx:// is not supported" in err


def test_a_bad_scheduler_timeout_is_one_line(commands, capsys, monkeypatch):
    monkeypatch.setenv("NETGRAPH_SCHEDULER_TIMEOUT", "soon")
    assert main(commands["train"] + ["--scheduler", "tcp://127.0.0.1:9"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "NETGRAPH_SCHEDULER_TIMEOUT='soon': expected a positive number of seconds" in err


def test_the_help_says_how_long_a_scheduler_has_to_answer(capsys):
    assert main(["train", "--help"]) == 0
    text = " ".join(capsys.readouterr().out.split())
    assert "NETGRAPH_SCHEDULER_TIMEOUT seconds (default 20)" in text
