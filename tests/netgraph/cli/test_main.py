import json

import networkx as nx
import pytest
import torch

from netgraph import save_checkpoint
from netgraph.cli import main


@pytest.fixture
def ckpt_path(tmp_path, net_231):
    return save_checkpoint(net_231, tmp_path / "net.pt", meta={"seed": 7, "method": "strategic"})


def test_version_and_help(capsys):
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.startswith("netgraph ")
    assert main(["--help"]) == 0
    assert "info" in capsys.readouterr().out
    assert main([]) == 2


def test_info(ckpt_path, capsys):
    assert main(["info", str(ckpt_path)]) == 0
    out = capsys.readouterr().out
    assert "2-3-1" in out
    assert "4 / 6" in out and "2 / 3" in out
    assert "6 / 9  density 0.6667  (compression 1.5x vs. dense)" in out
    assert "meta.seed" in out and "strategic" in out


def test_info_json(ckpt_path, capsys):
    assert main(["info", str(ckpt_path), "--json"]) == 0
    s = json.loads(capsys.readouterr().out)
    assert s["connections"] == 6 and s["possible"] == 9
    assert [row["connections"] for row in s["layers"]] == [4, 2]
    assert s["compression"] == pytest.approx(1.5)
    assert s["meta"]["method"] == "strategic"


def test_export(ckpt_path, tmp_path, capsys):
    out = tmp_path / "g.graphml"
    assert main(["export", str(ckpt_path), "--format", "graphml", "-o", str(out)]) == 0
    assert f"wrote {out}" in capsys.readouterr().out
    assert nx.read_graphml(out).number_of_edges() == 6


def test_export_torch_prints_how_to_load_it(ckpt_path, net_231, tmp_path, capsys):
    out = tmp_path / "plain.pt"
    assert main(["export", str(ckpt_path), "--format", "torch", "-o", str(out)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == f"wrote {out}" and len(lines) == 3
    prefix = "load with: "
    assert lines[1].startswith(prefix)
    code = lines[1][len(prefix) :]
    assert "nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))" in code and "netgraph" not in code
    assert lines[2].startswith("activation: relu between layers") and "weight exactly 0 back as absent" in lines[2]
    namespace = {}
    exec(code, namespace)  # plain torch: builds the nn.Sequential and loads the file
    x = torch.randn(4, 2)
    with torch.no_grad():
        assert torch.equal(namespace["model"](x), net_231(x))
    assert main(["info", str(out), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["connections"] == 5  # the connection of weight 0 is lost


def test_export_to_pt_needs_format_torch(ckpt_path, tmp_path, capsys):
    out = tmp_path / "plain.pt"
    assert main(["export", str(ckpt_path), "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "suffix of path 'plain.pt' is ambiguous" in err and "--format torch" in err
    assert not out.exists()


def _bad(tmp_path, kind):
    p = tmp_path / f"{kind}.pt"
    if kind == "missing":
        return p
    if kind == "directory":
        p.mkdir()
    elif kind == "empty":
        p.write_bytes(b"")
    elif kind == "text":
        p.write_text("hello\n")
    elif kind == "corrupt":
        p.write_bytes(b"PK\x03\x04" + bytes(100))
    elif kind == "module":
        torch.save(torch.nn.Linear(2, 2), p)
    elif kind == "conv":
        torch.save({"c.weight": torch.ones(4, 1, 3, 3)}, p)
    return p


@pytest.mark.parametrize(
    ("kind", "message"),
    [
        ("missing", "no such file"),
        ("directory", None),
        ("empty", "is empty"),
        ("text", "is a text file"),
        ("corrupt", "cannot be read as a PyTorch checkpoint"),
        ("module", "save the weights instead"),
        ("conv", "a convolution"),
    ],
)
@pytest.mark.parametrize("command", ["info", "export"])
def test_bad_input_is_one_line_exit_2(tmp_path, capsys, kind, message, command):
    path = _bad(tmp_path, kind)
    if message is None:  # info reads folders of runs; export needs one checkpoint file
        message = "no checkpoint found" if command == "info" else "is a directory"
    argv = [command, str(path)] + (["-o", str(tmp_path / "x.npz")] if command == "export" else [])
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith(f"netgraph {command}: error: {path}")
    assert message.lower() in err.lower()
    assert not (tmp_path / "x.npz").exists()


def test_usage_error_exit_2(capsys):
    assert main(["export", "a.pt"]) == 2  # -o missing
    assert "required" in capsys.readouterr().err


def test_unknown_export_format_is_a_one_line_error(ckpt_path, tmp_path, capsys):
    assert main(["export", str(ckpt_path), "--format", "dot", "-o", str(tmp_path / "g.dot")]) == 2
    err = capsys.readouterr().err
    assert "format='dot' is not valid; expected one of 'graphml', 'gexf', 'edgelist', 'npz'" in err


def test_building_the_parser_does_not_import_torch():
    import subprocess
    import sys

    code = "import sys; from netgraph.cli import build_parser; build_parser(); print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# ----------------------------------------------------------------- hardening (issue 8)


@pytest.mark.e2e
def test_closed_output_pipe_exits_quietly(ckpt_path, tmp_path):
    import shutil
    import subprocess
    import sys

    code = "import sys; from netgraph.cli import main; sys.exit(main(sys.argv[1:]))"
    paths = [str(shutil.copy(ckpt_path, tmp_path / f"n{k}.pt")) for k in range(300)]  # more output than a pipe holds
    proc = subprocess.Popen(
        [sys.executable, "-c", code, "info", *paths], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    first = proc.stdout.readline()
    proc.stdout.close()  # what `| head -1` does
    err = proc.stderr.read().decode()
    proc.wait(timeout=60)
    assert first.startswith(paths[0].encode())
    assert err == "" and proc.returncode == 141


def test_warnings_never_join_an_error(ckpt_path, capsys, monkeypatch):
    import warnings

    from netgraph.cli import _info
    from netgraph.errors import CheckpointError

    def noisy(ckpt):
        warnings.warn("TypedStorage is deprecated", UserWarning, stacklevel=2)
        raise CheckpointError("x.pt: broken")

    monkeypatch.setattr(_info, "summarize", noisy)
    assert main(["info", str(ckpt_path)]) == 2
    assert capsys.readouterr().err == "netgraph info: error: x.pt: broken\n"


def test_warnings_of_a_successful_command_are_one_line_each(ckpt_path, capsys, monkeypatch):
    import warnings

    from netgraph.cli import _info

    real = _info.summarize

    def noisy(ckpt):
        warnings.warn("something torch says\nover two lines", UserWarning, stacklevel=2)
        warnings.warn("something torch says\nover two lines", UserWarning, stacklevel=2)
        return real(ckpt)

    monkeypatch.setattr(_info, "summarize", noisy)
    assert main(["info", str(ckpt_path), str(ckpt_path)]) == 0
    assert capsys.readouterr().err == "netgraph info: warning: something torch says over two lines\n"


def test_unexpected_exception_is_one_line_not_a_traceback(ckpt_path, capsys, monkeypatch):
    from netgraph.cli import _info

    def broken(ckpt):
        raise TypeError("unsupported operand")

    monkeypatch.setattr(_info, "summarize", broken)
    monkeypatch.delenv("NETGRAPH_DEBUG", raising=False)
    assert main(["info", str(ckpt_path)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert "internal error (TypeError: unsupported operand)" in err and "NETGRAPH_DEBUG=1" in err
    monkeypatch.setenv("NETGRAPH_DEBUG", "1")
    with pytest.raises(TypeError):
        main(["info", str(ckpt_path)])


def test_fifo_input_is_refused_at_once(tmp_path, capsys):
    import os

    fifo = tmp_path / "net.pt"
    os.mkfifo(fifo)
    for argv in (["info", str(fifo)], ["analyze", str(fifo)], ["similarity", str(fifo), "--out", str(tmp_path / "r")]):
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "is a FIFO" in err, err


def test_export_never_replaces_its_source_or_a_special_file(ckpt_path, tmp_path, capsys):
    import os
    import stat

    before = ckpt_path.read_bytes()
    assert main(["export", str(ckpt_path), "--format", "npz", "-o", str(ckpt_path)]) == 2
    assert "is the input file itself" in capsys.readouterr().err
    assert ckpt_path.read_bytes() == before
    fifo = tmp_path / "out.npz"
    os.mkfifo(fifo)
    assert main(["export", str(ckpt_path), "-o", str(fifo)]) == 2
    assert "is a FIFO (named pipe); netgraph writes and replaces only regular files" in capsys.readouterr().err
    link = tmp_path / "null.npz"
    link.symlink_to(os.devnull)
    assert main(["export", str(ckpt_path), "-o", str(link)]) == 2
    assert "a character device" in capsys.readouterr().err
    assert stat.S_ISFIFO(os.stat(fifo).st_mode) and link.is_symlink() and stat.S_ISCHR(os.stat(os.devnull).st_mode)


def test_export_through_a_symlink_writes_its_target(ckpt_path, tmp_path):
    target = tmp_path / "real.graphml"
    target.write_text("old")
    link = tmp_path / "link.graphml"
    link.symlink_to(target)
    assert main(["export", str(ckpt_path), "-o", str(link)]) == 0
    assert link.is_symlink() and nx.read_graphml(target).number_of_edges() == 6


@pytest.mark.parametrize("fmt", ["graphml", "gexf", "edgelist", "npz"])
def test_commands_read_the_exports(ckpt_path, tmp_path, capsys, fmt):
    out = tmp_path / f"g.{fmt}"
    assert main(["export", str(ckpt_path), "--format", fmt, "-o", str(out)]) == 0
    capsys.readouterr()
    assert main(["info", str(out), "--json"]) == 0
    s = json.loads(capsys.readouterr().out)
    assert s["connections"] == 6 and s["format"] == fmt and s["meta"]["method"] == "strategic"
    assert main(["analyze", str(out)]) == 0


def test_info_accepts_run_folders(tmp_path, net_231, capsys):
    for seed in (0, 1):
        save_checkpoint(net_231, tmp_path / "run" / f"seed-{seed}" / "final.pt", meta={"seed": seed})
    assert main(["info", str(tmp_path / "run"), "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["meta"]["seed"] for r in rows] == [0, 1]
    assert main(["info", str(tmp_path / "run")]) == 0
    assert capsys.readouterr().out.count("layers      2-3-1") == 2


def test_info_shows_the_accuracy_a_run_recorded(tmp_path, net_231, capsys):
    meta = {"dataset": "digits", "method": "random", "seed": 3, "epoch": 5, "initial_topology": "c1024ab600ce99ee"}
    meta["metrics"] = {
        "epoch": 5,
        "test_accuracy": 0.9276,
        "train_accuracy": 0.91171,
        "loss": 0.25126,
        "more": "x" * 200,
    }
    path = save_checkpoint(net_231, tmp_path / "final.pt", meta=meta)
    assert main(["info", str(path)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert (
        "trained     on digits, method random, seed 3, after epoch 5: test accuracy 0.9276, "
        "train accuracy 0.9117, loss 0.2513"
    ) in out
    keys = [line.split()[0] for line in out if line.startswith("meta.")]
    columns = {line.index(line.split()[1], len(line.split()[0])) for line in out if line.startswith("meta.")}
    assert "meta.initial_topology" in keys and len(columns) == 1  # values in one column, long keys too
    assert any(line.endswith("(netgraph info --json shows it all)") for line in out)
