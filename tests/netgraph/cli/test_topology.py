"""The commands on SET/NNSTD topology folders (one scipy.sparse matrix per layer)."""

import json

import numpy as np
import pytest
import scipy.sparse as sp

from netgraph import save_checkpoint
from netgraph.cli import main


def _folder(path, sizes, *, seed=0, bias_row=True, prefix="weight"):
    """A topology folder of random sparse layers; returns it."""
    rng = np.random.default_rng(seed)
    path.mkdir(parents=True)
    for l, (a, b) in enumerate(zip(sizes, sizes[1:])):
        m = sp.random(a + bias_row, b, density=0.5, random_state=rng, format="csr")
        sp.save_npz(path / f"{prefix}_l{l}.npz", m)
    return path


@pytest.fixture
def topo(tmp_path):
    """NNSTD's layout: topo/e5_s{S}_w0/epoch_{E}/weight_l{0,1,2}.npz (8-6-4-3, bias rows) and testacc.txt."""
    root = tmp_path / "topo"
    for s in (0, 1):
        for e in (0, 10, 190):
            _folder(root / f"e5_s{s}_w0" / f"epoch_{e:03d}", [8, 6, 4, 3], seed=100 * s + e)
        (root / f"e5_s{s}_w0" / "testacc.txt").write_text("0.9\n")
    return root


def _info(path, *extra):
    return ["info", str(path), "--json", *extra]


def test_info_reads_a_topology_folder(topo, capsys):
    one = topo / "e5_s0_w0" / "epoch_010"
    assert main(_info(one)) == 0
    s = json.loads(capsys.readouterr().out)
    assert s["file"] == str(one) and s["format"] == "set-npz" and s["layer_sizes"] == [8, 6, 4, 3]
    want = sum(int(np.count_nonzero(sp.load_npz(one / f"weight_l{l}.npz").toarray()[:-1])) for l in range(3))
    assert s["connections"] == want and s["meta"]["bias_row"] is True
    assert main(["info", str(one)]) == 0
    assert capsys.readouterr().out.startswith(f"{one}  (set-npz)\nlayers      8-6-4-3  activation=relu\n")


def test_a_run_of_epoch_folders_is_its_last_epoch_and_a_folder_of_runs_each(topo, capsys):
    assert main(_info(topo / "e5_s0_w0")) == 0
    assert json.loads(capsys.readouterr().out)["file"] == str(topo / "e5_s0_w0" / "epoch_190")
    assert main(_info(topo)) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["file"] for r in rows] == [str(topo / f"e5_s{s}_w0" / "epoch_190") for s in (0, 1)]


def test_a_topology_folder_is_one_network_before_anything_else(tmp_path, net_231, capsys):
    d = _folder(tmp_path / "d", [5, 4, 2])
    save_checkpoint(net_231, d / "final.pt")  # a seed folder too: the layer files win
    save_checkpoint(net_231, d / "seed-0" / "final.pt")
    assert main(_info(d)) == 0
    assert json.loads(capsys.readouterr().out)["layer_sizes"] == [5, 4, 2]
    plain = tmp_path / "plain"  # a folder of plain topology folders (no epochs): each, in natural order
    for name in ("s10", "s2"):
        _folder(plain / name, [5, 4, 2])
    assert main(_info(plain)) == 0
    assert [r["file"] for r in json.loads(capsys.readouterr().out)] == [str(plain / "s2"), str(plain / "s10")]


def test_analyze_and_export(topo, tmp_path, capsys):
    one = topo / "e5_s1_w0" / "epoch_000"
    assert main(["analyze", str(one), "--json", str(tmp_path / "a.json")]) == 0
    assert "total  8-6-4-3" in capsys.readouterr().out
    assert json.loads((tmp_path / "a.json").read_text())[0]["file"] == str(one)
    out = tmp_path / "g.graphml"
    assert main(["export", str(one), "-o", str(out)]) == 0
    capsys.readouterr()
    assert main(_info(out)) == 0
    assert json.loads(capsys.readouterr().out)["meta"]["source_format"] == "set-npz"


def test_export_set_npz_round_trip(tmp_path, net_231, capsys):
    ckpt = save_checkpoint(net_231, tmp_path / "net.pt", meta={"seed": 7, "method": "set"})
    out = tmp_path / "topo"
    assert main(["export", str(ckpt), "--format", "set-npz", "-o", str(out)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == f"wrote {out}" and lines[1].startswith("note: 1 connections of weight exactly 0 are not stored")
    assert sorted(p.name for p in out.iterdir()) == ["netgraph.json", "weight_l0.npz", "weight_l1.npz"]
    assert sp.load_npz(out / "weight_l0.npz").shape == (3, 3)  # 2 inputs + bias row, 3 units
    assert main(_info(out)) == 0
    s = json.loads(capsys.readouterr().out)
    assert s["connections"] == 5 and s["meta"]["method"] == "set" and s["meta"]["seed"] == 7
    assert main(["export", str(out), "--format", "set-npz", "-o", str(out)]) == 2
    assert "is the folder the network was read from" in capsys.readouterr().err


def test_bias_row_options(tmp_path, capsys):
    d = tmp_path / "one"
    d.mkdir()
    sp.save_npz(d / "w_l0.npz", sp.csr_matrix(np.ones((4, 3))))
    assert main(_info(d)) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith(f"netgraph info: error: {d}: cannot tell whether")
    assert "--bias-row or --no-bias-row" in err
    assert main(_info(d, "--bias-row")) == 0
    assert json.loads(capsys.readouterr().out)["layer_sizes"] == [3, 3]
    assert main(_info(d, "--no-bias-row")) == 0
    assert json.loads(capsys.readouterr().out)["layer_sizes"] == [4, 3]
    assert main(["analyze", str(d), "--no-bias-row"]) == 0
    assert "total  4-3" in capsys.readouterr().out
    assert main(["export", str(d), "--bias-row", "-o", str(tmp_path / "g.npz")]) == 0


def _bad(tmp_path, kind):
    d = tmp_path / kind
    d.mkdir()
    if kind == "two-networks":
        for prefix in ("a", "b"):
            sp.save_npz(d / f"{prefix}_l0.npz", sp.csr_matrix(np.ones((3, 2))))
    elif kind == "gap":
        for l in (0, 2):
            sp.save_npz(d / f"w_l{l}.npz", sp.csr_matrix(np.ones((3, 3))))
    elif kind == "complex":
        sp.save_npz(d / "w_l0.npz", sp.csr_matrix(np.ones((3, 3))))
        sp.save_npz(d / "w_l1.npz", sp.csr_matrix(np.ones((3, 2)) * 1j))
    elif kind == "no-chain":
        sp.save_npz(d / "w_l0.npz", sp.csr_matrix(np.ones((3, 3))))
        sp.save_npz(d / "w_l1.npz", sp.csr_matrix(np.ones((7, 2))))
    elif kind == "dense":
        sp.save_npz(d / "w_l0.npz", sp.csr_matrix(np.ones((3, 3))))
        np.savez(d / "w_l1.npz", np.ones((3, 2)))
    return d


@pytest.mark.parametrize(
    ("kind", "where", "message"),
    [
        ("two-networks", "", "layer files of 2 networks"),
        ("gap", "", "w_l1.npz missing"),
        ("complex", "/w_l1.npz", "has dtype complex128, expected real floating point"),
        ("no-chain", "", "layer shapes do not chain: w_l1.npz has 7 rows, expected 3"),
        ("dense", "/w_l1.npz", "not a scipy.sparse matrix"),
    ],
)
@pytest.mark.parametrize("command", ["info", "analyze", "export"])
def test_bad_topology_folder_is_one_line_exit_2(tmp_path, capsys, kind, where, message, command):
    d = _bad(tmp_path, kind)
    argv = [command, str(d)] + (["-o", str(tmp_path / "x.npz")] if command == "export" else [])
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith(f"netgraph {command}: error: {d}{where}: ") and message in err
    assert not (tmp_path / "x.npz").exists()


def test_outputs_never_replace_a_layer_file(topo, capsys):
    one = topo / "e5_s0_w0" / "epoch_000"
    before = (one / "weight_l0.npz").read_bytes()
    assert main(["analyze", str(one), "--json", str(one / "weight_l0.npz")]) == 2
    assert main(["export", str(one), "-f", "npz", "-o", str(one / "weight_l0.npz")]) == 2
    assert capsys.readouterr().err.count("is the input file itself") == 2
    assert (one / "weight_l0.npz").read_bytes() == before


@pytest.mark.e2e
def test_similarity_over_topology_folders(topo, tmp_path, capsys):
    out = tmp_path / "report"
    assert main(["similarity", f"set={topo}", "--out", str(out), "--quiet", "--no-aligned"]) == 0
    data = json.loads((out / "report.json").read_text())
    assert data["provenance"]["files"] == [str(topo / f"e5_s{s}_w0" / "epoch_190") for s in (0, 1)]
    assert data["provenance"]["groups"] == ["set", "set"] and data["comparisons"][0]["name"] == "set"
