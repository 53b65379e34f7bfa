"""netgraph.io: the format table, detection by content, export through it, and paths without torch."""

import subprocess
import sys

import numpy as np
import pytest
import torch

from netgraph import ParameterError, SparseMLP, load_checkpoint, save_checkpoint
from netgraph.io import export, export_notes
from netgraph.io.registry import FORMATS, detect, get, read_head, suffix_format


@pytest.fixture
def net():
    masks = [torch.tensor([[1, 0], [0, 1], [1, 1]]), torch.tensor([[1, 0, 1]])]
    return SparseMLP([2, 3, 1], masks=masks)


@pytest.mark.parametrize(
    ("format", "name"),
    [("graphml", "g.graphml"), ("gexf", "g.gexf"), ("edgelist", "g.edgelist"), ("npz", "g.npz"), ("torch", "g.pt")],
)
def test_each_written_file_is_detected_as_its_format(net, tmp_path, format, name):
    path = export(net, tmp_path / name, format=format)
    size, head = read_head(path)
    assert detect(path, head, size).name == format
    assert load_checkpoint(path).n_connections() == 6


@pytest.mark.parametrize(("suffix", "expected"), [(".safetensors", "safetensors"), (".pt", "torch")])
def test_netgraph_checkpoints_are_detected_by_their_container(net, tmp_path, suffix, expected):
    path = save_checkpoint(net, tmp_path / f"net{suffix}")
    size, head = read_head(path)
    assert detect(path, head, size).name == expected
    assert load_checkpoint(path).source_format in ("netgraph", "safetensors:netgraph")


def test_text_is_no_format(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("hello\n")
    size, head = read_head(path)
    assert detect(path, head, size) is None


def test_the_table_names_each_format_once_and_writers_match_export():
    names = [f.name for f in FORMATS]
    assert len(names) == len(set(names))
    from netgraph.io import FORMATS as EXPORTS

    assert sorted(EXPORTS) == sorted(f.name for f in FORMATS if f.write is not None)
    assert suffix_format("a.GEXF") == "gexf" and suffix_format("a.txt") == "edgelist" and suffix_format("a.pt") is None


def test_an_unknown_format_lists_the_known_ones():
    with pytest.raises(ParameterError, match="format='dot' is not valid; expected one of 'safetensors', 'npz'"):
        get("dot")


def test_export_writes_a_topology_folder(net, tmp_path):
    folder = export(net, tmp_path / "topo", format="set-npz")
    back = load_checkpoint(folder)
    assert back.source_format == "set-npz" and back.n_connections() == 6
    assert np.array_equal(back.masks[0], net.layers[0].mask.numpy())
    assert export_notes(net, folder, format="set-npz") == []  # no connection of weight exactly 0


def test_the_path_rules_import_no_torch():
    code = "import sys, netgraph.io.paths; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
