"""``netgraph export`` of channel-level graphs: .pt2 programs, HuggingFace folders, ``--blocks`` block views."""

import networkx as nx
import pytest
import torch

from netgraph.channels import channel_graph
from netgraph.cli import main
from netgraph.io import read_channel_graph
from tests.netgraph.io.test_channel_export import EDGES, NOTE, Residual, X, assert_same_graph


@pytest.fixture
def program(tmp_path):
    """:class:`Residual` saved as a torch.export program (9 channels, 9 channel connections)."""
    path = tmp_path / "residual.pt2"
    torch.export.save(torch.export.export(Residual().eval(), (X,)), path)
    return path


def _notes(G, fmt):
    """The note lines the command prints after ``wrote``: the element masks left out, where G has them."""
    return [NOTE.format(fmt)] if "element_masks" in G.graph and fmt != "npz" else []


@pytest.mark.parametrize(
    ("name", "fmt"), [("g.graphml", "graphml"), ("g.gexf", "gexf"), ("g.txt", "edgelist"), ("g.npz", "npz")]
)
def test_export_a_program_as_its_channel_graph(program, tmp_path, capsys, name, fmt):
    out = tmp_path / name
    assert main(["export", str(program), "-o", str(out)]) == 0
    expected = channel_graph(program)
    assert capsys.readouterr().out.splitlines() == [f"wrote {out}", *_notes(expected, fmt)]
    H = read_channel_graph(out)
    assert {(u, v): (d["kind"], d["weight"], d["nnz"]) for u, v, d in H.edges(data=True)} == EDGES
    assert H.number_of_nodes() == 9 and H.nodes[(1, 1)]["bn_scale"] == 0.5
    assert_same_graph(H, expected, masks=fmt == "npz" and "element_masks" in expected.graph)


@pytest.mark.parametrize(
    ("fmt", "why"),
    [
        ("torch", "(torch writes the state_dict of a plain nn.Sequential of Linear layers: no channel graph)"),
        ("set-npz", "(set-npz writes a SET/NNSTD topology folder of Linear layer matrices: no channel graph)"),
    ],
)
def test_formats_of_linear_layers_are_refused_before_the_program_is_read(program, tmp_path, capsys, fmt, why):
    out = tmp_path / "out"
    assert main(["export", str(program), "--format", fmt, "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert err == (
        f"netgraph export: error: {program}: is a channel-level graph; format='{fmt}', must be one of 'graphml', "
        f"'gexf', 'edgelist', 'npz' {why}\n"
    )
    assert not out.exists()
    assert main(["export", str(program), "-o", str(tmp_path / "plain.pt")]) == 2  # no suffix implies torch either
    assert "suffix of path 'plain.pt' names no format of channel-level graphs" in capsys.readouterr().err


def test_export_never_writes_over_the_program(program, capsys):
    before = program.read_bytes()
    assert main(["export", str(program), "--format", "npz", "-o", str(program)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "residual.pt2 is the input file itself" in err
    assert program.read_bytes() == before


def test_export_blocks_writes_the_block_view(tmp_path, capsys):
    from safetensors.torch import save_file

    model = Residual()
    save_file(model.state_dict(), tmp_path / "model.safetensors")
    out = tmp_path / "blocks.graphml"
    assert main(["export", "--blocks", str(tmp_path / "model.safetensors"), "-o", str(out)]) == 0
    assert capsys.readouterr().out.splitlines()[0] == f"wrote {out}"
    H = read_channel_graph(out)
    # conv1 (2 -> 2, 3 connections), conv2 (1 -> 2 as stored, groups unknown: 1 connection), fc (2 -> 1, 1)
    assert H.graph["view"] == "blocks"
    assert [d["module"] for d in H.graph["layers"]] == ["conv1.weight", "conv2.weight", "fc.weight"]
    assert (H.number_of_nodes(), H.number_of_edges()) == (2 + 2 + 1 + 2 + 2 + 1, 5)
    assert sorted(H.edges(data="weight")) == [
        ((0, 0), (1, 0), 1.0),
        ((0, 0), (1, 1), 0.5),
        ((0, 1), (1, 1), -2.0),
        ((2, 0), (3, 0), 1.5),
        ((4, 0), (5, 0), 3.0),
    ]
    assert main(["export", "--blocks", str(tmp_path / "model.safetensors"), "-f", "torch", "-o", str(out)]) == 2
    assert "model.safetensors: is a channel-level graph; format='torch'" in capsys.readouterr().err


def test_export_help_tells_of_channel_graphs(capsys):
    assert main(["export", "--help"]) == 0
    text = " ".join(capsys.readouterr().out.split())
    assert "--blocks" in text and "channel-level graph" in text and "read_channel_graph" in text


def test_export_a_huggingface_folder_as_its_channel_graph(tmp_path, capsys):
    transformers = pytest.importorskip("transformers")
    config = transformers.ResNetConfig(layer_type="basic", depths=[1, 1, 1, 1], hidden_sizes=[8, 16, 32, 64])
    transformers.ResNetForImageClassification(config).eval().save_pretrained(tmp_path / "resnet")
    out = tmp_path / "resnet.gexf"
    assert main(["export", str(tmp_path / "resnet"), "-o", str(out)]) == 0
    assert capsys.readouterr().out.splitlines()[0] == f"wrote {out}"
    H = read_channel_graph(out)
    kinds = [s["kind"] for s in H.graph["spaces"]]
    # one basic block per stage, each with a shortcut convolution: 19 spaces, as netgraph info shows them
    assert [kinds.count(k) for k in ("input", "conv", "add", "linear")] == [1, 13, 4, 1]
    assert len(H.graph["layers"]) == 14 and H.number_of_nodes() == sum(s["units"] for s in H.graph["spaces"])
    assert nx.is_directed_acyclic_graph(H)
