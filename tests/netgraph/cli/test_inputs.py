"""No command writes over what it reads (issue 16): through the same path, a hard link or a symbolic link.

Every command runs inside :func:`netgraph.fileio.guard_inputs`, and every reader notes its files,
so a write that would replace an input is refused whatever the command; commands that know their
outputs up front refuse before any work.
"""

import hashlib
import os

import numpy as np
import pytest

from netgraph import save_checkpoint
from netgraph.cli import main


def _md5s(folder):
    return {p.name: hashlib.md5(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir()) if p.is_file()}


def _link(kind, src, dst):
    if kind == "hard":
        os.link(src, dst)
    elif kind == "symbolic":
        dst.symlink_to(src)
    return dst


def test_similarity_never_replaces_its_inputs_in_the_report_folder(tmp_path, make_net, capsys):
    """The issue's case: checkpoints named like the report's files, the report written beside them."""
    a = tmp_path / "A"
    a.mkdir()
    for seed, name in enumerate(("report.json", "x.png", "report.html")):
        save_checkpoint(make_net([4, 3, 2], 0.6, seed=seed), a / name)
    before = _md5s(a)
    code = main(["similarity", str(a / "report.json"), str(a / "x.png"), str(a / "report.html"), "--out", str(a)])
    assert code == 2 and _md5s(a) == before
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "is the input file itself" in err[0] and "report.json" in err[0]


@pytest.mark.parametrize("kind", ["hard", "symbolic"])
def test_similarity_refuses_a_figure_that_is_an_input_through_a_link(tmp_path, make_net, kind, capsys):
    a, out = tmp_path / "a.pt", tmp_path / "report"
    out.mkdir()
    save_checkpoint(make_net([4, 3, 2], 0.6, seed=0), a)
    save_checkpoint(make_net([4, 3, 2], 0.6, seed=1), tmp_path / "b.pt")
    _link(kind, a, out / "edge.png")
    before = hashlib.md5(a.read_bytes()).hexdigest()
    assert main(["similarity", str(a), str(tmp_path / "b.pt"), "--out", str(out), "--no-aligned"]) == 2
    assert hashlib.md5(a.read_bytes()).hexdigest() == before
    assert "edge.png is the input file itself" in capsys.readouterr().err


@pytest.mark.parametrize("kind", ["same", "hard", "symbolic"])
@pytest.mark.parametrize(
    "command",
    [
        ["analyze", "{src}", "--json", "{out}"],
        ["export", "{src}", "--format", "npz", "-o", "{out}"],
        ["export", "{src}", "--format", "torch", "-o", "{out}"],
    ],
    ids=["analyze-json", "export-npz", "export-torch"],
)
def test_one_file_outputs_never_replace_the_input(tmp_path, net_231, kind, command, capsys):
    src = save_checkpoint(net_231, tmp_path / "net.pt")
    out = src if kind == "same" else _link(kind, src, tmp_path / "out.npz")
    before = src.read_bytes()
    argv = [a.format(src=src, out=out) for a in command]
    assert main(argv) == 2
    assert src.read_bytes() == before
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "input" in err[0] and "destroy its own source" in err[0]


def test_export_set_npz_never_writes_into_the_folder_it_reads(tmp_path, net_231, capsys):
    from netgraph.checkpoint import save_topology_folder

    folder = save_topology_folder(net_231, tmp_path / "topo")
    before = _md5s(folder)
    assert main(["export", str(folder), "--format", "set-npz", "-o", str(folder)]) == 2
    assert _md5s(folder) == before
    assert "the folder the network was read from" in capsys.readouterr().err


def test_a_topology_folders_layer_file_is_guarded_too(tmp_path, net_231, capsys):
    from netgraph.checkpoint import save_topology_folder

    folder = save_topology_folder(net_231, tmp_path / "topo")
    before = _md5s(folder)
    link = _link("hard", folder / "weight_l0.npz", tmp_path / "x.npz")
    assert main(["export", str(folder), "--format", "npz", "-o", str(link)]) == 2
    assert _md5s(folder) == before


def test_train_never_writes_over_its_data(tmp_path, capsys):
    """A CSV whose path is where the run writes its metrics: refused, the data intact."""
    run = tmp_path / "out" / "seed-0"
    run.mkdir(parents=True)
    rng = np.random.default_rng(0)
    rows = ["label," + ",".join(f"f{i}" for i in range(4))]
    rows += [f"{k % 2}," + ",".join(f"{v:.3f}" for v in rng.normal(size=4)) for k in range(40)]
    csv = run / "metrics.json"
    csv.write_text("\n".join(rows) + "\n")
    before = csv.read_bytes()
    argv = ["train", "--dataset", f"csv:{csv}", "--density", "0.5", "--epochs", "2", "--out", str(tmp_path / "out")]
    assert main([*argv, "--quiet"]) == 2
    assert csv.read_bytes() == before
    assert "metrics.json is an input of this command" in capsys.readouterr().err
