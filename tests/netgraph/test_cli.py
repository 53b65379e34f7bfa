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
        ("directory", "is a directory"),
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
