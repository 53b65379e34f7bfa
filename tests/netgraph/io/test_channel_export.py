"""Channel-level graphs written as GraphML, GEXF, edge lists and npz, and read back: hand-worked answers."""

import json
import math

import networkx as nx
import numpy as np
import pytest
import torch
from torch import nn

from netgraph import CheckpointError, GraphContractError, ParameterError
from netgraph.channels import CONTRACT, block_view, channel_graph
from netgraph.io import export, export_notes, read_channel_graph, write_channel_graph

FORMATS = ("graphml", "gexf", "edgelist", "npz")
NOTE = "note: element_masks (the present elements of each weight layer) are not written: {} cannot hold them (npz does)"


class Residual(nn.Module):
    """Conv2d 1x1 -> BatchNorm -> ReLU -> depthwise Conv2d 3x3 + residual -> average pool -> flatten -> Linear.

    By hand (spaces: 0 input, 1 conv1, 2 conv2, 3 the add, 4 fc; 2 + 2 + 2 + 2 + 1 = 9 nodes):
    conv1 W[:, :, 0, 0] = [[1, 0], [0.5, -2]]: 3 edges; conv2 (groups 2) has two present elements
    in its slice (1, 0) -> (2, 0), sum 1.5, and none for channel 1: 1 edge; the add: 2 + 2 identity
    edges; fc W = [[3, 0]]: 1 edge. 3 + 1 + 4 + 1 = 9 edges. BatchNorm (eps 0) on space 1:
    scale = weight / sqrt(var) = [2 / 1, 1 / 2], shift = bias - mean * scale = [1.25 - 1, 0 - 0.5].
    """

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(2, 2, 1)
        self.bn = nn.BatchNorm2d(2, eps=0.0)
        self.conv2 = nn.Conv2d(2, 2, 3, padding=1, groups=2, bias=False)
        self.fc = nn.Linear(2, 1)
        with torch.no_grad():
            self.conv1.weight.copy_(torch.tensor([[1.0, 0.0], [0.5, -2.0]]).reshape(2, 2, 1, 1))
            self.conv1.bias.copy_(torch.tensor([0.1, -0.2]))  # float32: 0.1 is 0.10000000149011612 as a float
            self.bn.weight.copy_(torch.tensor([2.0, 1.0]))
            self.bn.bias.copy_(torch.tensor([1.25, 0.0]))
            self.bn.running_mean.copy_(torch.tensor([0.5, 1.0]))
            self.bn.running_var.copy_(torch.tensor([1.0, 4.0]))
            w = torch.zeros(2, 1, 3, 3)
            w[0, 0, 1, 1], w[0, 0, 0, 0] = 1.0, 0.5
            self.conv2.weight.copy_(w)
            self.fc.weight.copy_(torch.tensor([[3.0, 0.0]]))
            self.fc.bias.copy_(torch.tensor([0.75]))

    def forward(self, x):
        r = torch.relu(self.bn(self.conv1(x)))
        h = self.conv2(r) + r
        return self.fc(torch.flatten(nn.functional.adaptive_avg_pool2d(h, 1), 1))


X = torch.zeros(1, 2, 4, 4)
EDGES = {
    ((0, 0), (1, 0)): ("conv", 1.0, 1),
    ((0, 0), (1, 1)): ("conv", 0.5, 1),
    ((0, 1), (1, 1)): ("conv", -2.0, 1),
    ((1, 0), (2, 0)): ("conv", 1.5, 2),
    ((1, 0), (3, 0)): ("identity", 1.0, 1),
    ((2, 0), (3, 0)): ("identity", 1.0, 1),
    ((1, 1), (3, 1)): ("identity", 1.0, 1),
    ((2, 1), (3, 1)): ("identity", 1.0, 1),
    ((3, 0), (4, 0)): ("linear", 3.0, 1),
}


@pytest.fixture
def model():
    return Residual().eval()


@pytest.fixture
def G(model):
    """The channel graph of :class:`Residual`, with the element masks of its three weights."""
    G = channel_graph(model, X)
    G.graph["element_masks"] = [m.weight.detach().numpy() != 0 for m in (model.conv1, model.conv2, model.fc)]
    return G


def assert_same_graph(H, G, *, masks):
    """Nodes, edges, every attribute and the graph attributes equal; the element masks only where kept."""
    assert sorted(H.nodes) == sorted(G.nodes) and all(isinstance(v, tuple) for v in H)
    for v in G:
        assert H.nodes[v] == G.nodes[v], v
        assert all(type(H.nodes[v][k]) is type(x) for k, x in G.nodes[v].items()), v
    assert sorted(H.edges) == sorted(G.edges)
    for e in G.edges:
        assert H.edges[e] == G.edges[e], e
        assert [type(H.edges[e][k]) for k in ("kind", "weight", "nnz")] == [str, float, int], e
    graph = {k: v for k, v in G.graph.items() if k != "element_masks"}
    assert {k: v for k, v in H.graph.items() if k != "element_masks"} == graph
    if masks:
        assert len(H.graph["element_masks"]) == len(G.graph["element_masks"])
        for a, b in zip(H.graph["element_masks"], G.graph["element_masks"]):
            assert a.dtype == bool and a.shape == b.shape and (a == b).all()
    else:
        assert "element_masks" not in H.graph


def test_the_hand_built_network_gives_the_graph_worked_out_by_hand(G):
    assert sorted(G.nodes) == [(l, j) for l, n in enumerate((2, 2, 2, 2, 1)) for j in range(n)]
    assert {(u, v): (d["kind"], d["weight"], d["nnz"]) for u, v, d in G.edges(data=True)} == EDGES
    assert [G.nodes[(1, j)]["bn_scale"] for j in range(2)] == [2.0, 0.5]
    assert [G.nodes[(1, j)]["bn_shift"] for j in range(2)] == [0.25, -0.5]
    assert "bn_scale" not in G.nodes[(2, 0)] and G.nodes[(4, 0)]["bias"] == 0.75
    assert [s["kind"] for s in G.graph["spaces"]] == ["input", "conv", "conv", "add", "linear"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_format_reads_back_the_same_graph(G, tmp_path, fmt):
    path = write_channel_graph(G, tmp_path / "sub" / f"net.{fmt}", format=fmt)
    assert path == tmp_path / "sub" / f"net.{fmt}" and path.is_file()
    H = read_channel_graph(path, format=fmt)
    assert (H.number_of_nodes(), H.number_of_edges()) == (9, 9)
    assert H.nodes[(1, 0)]["bias"] == float(np.float32(0.1))  # every digit of a float32 bias kept
    assert_same_graph(H, G, masks=fmt == "npz")
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temporary left beside it


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_block_view_reads_back_as_a_block_view(tmp_path, fmt):
    sd = {
        "b.weight": torch.tensor([[0.5, 0.0, 0.0], [0.0, -1.0, 2.0]]),  # spaces 0 (3 units) -> 1 (2): 3 edges
        "a.weight": torch.tensor([[[[1.0, 0.0], [0.0, 1.0]]]]),  # a conv 1 x 1 x 2 x 2: spaces 2 -> 3, nnz 2
        "a.bias": torch.ones(1),
    }
    G = block_view(sd)
    G.graph["element_masks"] = [sd["a.weight"].numpy() != 0, sd["b.weight"].numpy() != 0]
    H = read_channel_graph(write_channel_graph(G, tmp_path / f"blocks.{fmt}"))
    assert H.graph["view"] == "blocks" and [d["module"] for d in H.graph["layers"]] == ["a.weight", "b.weight"]
    assert sorted(H.edges(data="nnz")) == [
        ((0, 0), (1, 0), 2),
        ((2, 0), (3, 0), 1),
        ((2, 1), (3, 1), 1),
        ((2, 2), (3, 1), 1),
    ]
    assert_same_graph(H, G, masks=fmt == "npz")


def test_graphml_opens_in_networkx_with_the_graph_attributes_as_json(G, tmp_path):
    H = nx.read_graphml(write_channel_graph(G, tmp_path / "net.graphml"))
    assert sorted(H.nodes)[:3] == ["L0:0", "L0:1", "L1:0"] and H.number_of_edges() == 9
    assert H.nodes["L1:1"] == {
        "layer": 1, "index": 1, "kind": "conv", "bias": float(np.float32(-0.2)), "bn_scale": 0.5, "bn_shift": -0.5,
    }  # fmt: skip
    assert H.edges["L1:0", "L2:0"] == {"kind": "conv", "weight": 1.5, "nnz": 2}
    assert H.graph["contract"] == CONTRACT and "view" not in H.graph
    assert json.loads(H.graph["spaces_json"]) == G.graph["spaces"]
    assert json.loads(H.graph["layers_json"])[1]["groups"] == 2


def test_gexf_is_plain_gexf_for_other_readers(G, tmp_path):
    path = write_channel_graph(G, tmp_path / "net.gexf")
    H = nx.read_gexf(path)
    assert H.number_of_nodes() == 9 and H.edges["L3:0", "L4:0"]["weight"] == 3.0
    assert "<description>" in path.read_text()


def test_the_edge_list_has_a_line_per_edge_under_its_header(G, tmp_path):
    path = write_channel_graph(G, tmp_path / "net.txt")
    lines = path.read_text().splitlines()
    assert lines[0].startswith("# netgraph edge list: source target weight nnz kind")
    assert lines[1] == f"# contract={CONTRACT}"
    header = [line for line in lines if line.startswith("#")]
    edges = [line for line in lines if not line.startswith("#")]
    assert len(header) == 5 and len(edges) == 9 and "L1:0 L2:0 1.5 2 conv" in edges
    nodes = json.loads(header[4].removeprefix("# nodes_json="))
    assert nodes[1]["bn_scale"] == [2.0, 0.5] and nodes[4] == {"kind": ["linear"], "bias": [0.75]}
    E = nx.read_edgelist(path, create_using=nx.DiGraph, data=[("weight", float), ("nnz", int), ("kind", str)])
    assert E.edges["L0:1", "L1:1"] == {"weight": -2.0, "nnz": 1, "kind": "conv"}


def test_npz_holds_per_space_arrays_and_the_element_masks(G, tmp_path):
    with np.load(write_channel_graph(G, tmp_path / "net.npz"), allow_pickle=False) as z:
        assert str(z["contract"]) == CONTRACT and "view" not in z.files
        assert json.loads(str(z["spaces_json"])) == G.graph["spaces"]
        assert json.loads(str(z["layers_json"])) == G.graph["layers"]
        assert z["bias_4"].tolist() == [0.75] and z["kind_3"].tolist() == ["add", "add"]
        assert z["bn_scale_1"].tolist() == [2.0, 0.5] and z["bn_shift_1"].tolist() == [0.25, -0.5]
        assert "bn_scale_2" not in z.files
        into_add = sorted(zip(map(tuple, z["edge_source_3"].tolist()), z["edge_target_3"].tolist()))
        assert into_add == [((1, 0), 0), ((1, 1), 1), ((2, 0), 0), ((2, 1), 1)]
        assert z["edge_kind_3"].tolist() == ["identity"] * 4 and z["edge_nnz_2"].tolist() == [2]
        assert z["edge_weight_2"].tolist() == [1.5] and z["edge_source_0"].shape == (0, 2)
        assert [z[f"element_mask_{k}"].shape for k in range(3)] == [(2, 2, 1, 1), (2, 1, 3, 3), (1, 2)]
        assert [int(z[f"element_mask_{k}"].sum()) for k in range(3)] == [3, 2, 1]
        assert z["element_mask_2"].dtype == bool and "element_mask_3" not in z.files


def test_a_bn_map_on_some_nodes_of_a_space_only_stays_on_them(G, tmp_path):
    del G.nodes[(1, 1)]["bn_scale"], G.nodes[(1, 1)]["bn_shift"]  # an edited graph
    for fmt in ("edgelist", "npz"):
        H = read_channel_graph(write_channel_graph(G, tmp_path / f"net.{fmt}"))
        assert "bn_scale" not in H.nodes[(1, 1)] and H.nodes[(1, 0)]["bn_scale"] == 2.0
    with np.load(tmp_path / "net.npz") as z:
        assert math.isnan(z["bn_scale_1"][1])


def test_export_writes_channel_sources_and_says_what_is_left_out(model, G, tmp_path):
    path = tmp_path / "net.pt2"
    torch.export.save(torch.export.export(model, (X,)), path)
    H = read_channel_graph(export(path, tmp_path / "program.graphml"))
    assert_same_graph(H, G, masks=False)  # the program is traced as the model is
    assert read_channel_graph(export(G, tmp_path / "g.npz")).graph["element_masks"][1].sum() == 2
    assert export_notes(G, tmp_path / "g.gexf", format="gexf") == [NOTE.format("gexf")]
    assert export_notes(G, tmp_path / "g.npz", format="npz") == []
    from netgraph.errors import OutputError

    with pytest.raises(OutputError, match="net.pt2 is the input file itself"):
        export(path, path, format="npz")


@pytest.mark.parametrize(
    ("fmt", "message"),
    [
        ("torch", "torch writes the state_dict of a plain nn.Sequential of Linear layers: no channel graph"),
        ("set-npz", "set-npz writes a SET/NNSTD topology folder of Linear layer matrices: no channel graph"),
        ("dot", "format='dot', must be one of 'graphml', 'gexf', 'edgelist', 'npz'"),
    ],
)
def test_formats_without_channel_graphs_are_refused(G, tmp_path, fmt, message):
    with pytest.raises(ParameterError) as info:
        export(G, tmp_path / "out", format=fmt)
    assert str(info.value).startswith(f"format='{fmt}', must be one of 'graphml', 'gexf', 'edgelist', 'npz'")
    assert message in str(info.value) and list(tmp_path.iterdir()) == []


def test_a_suffix_that_names_no_channel_format_is_refused(G, tmp_path):
    with pytest.raises(ParameterError, match=r"suffix of path 'net\.pt' names no format of channel-level graphs"):
        write_channel_graph(G, tmp_path / "net.pt")


def test_only_channel_graphs_are_written_and_read(G, tmp_path, net_231):
    with pytest.raises(GraphContractError, match="G is not a channel-level graph"):
        write_channel_graph(nx.DiGraph(), tmp_path / "g.graphml")
    mlp = export(net_231, tmp_path / "mlp.graphml")
    with pytest.raises(CheckpointError, match=r"mlp\.graphml: has no contract, expected 'netgraph-channels-1'"):
        read_channel_graph(mlp)
    from netgraph import load_checkpoint

    for fmt in ("graphml", "gexf", "edgelist"):
        path = write_channel_graph(G, tmp_path / f"net.{fmt}")
        with pytest.raises(CheckpointError, match=rf"net\.{fmt}: is a channel-level graph export .*read_channel_graph"):
            load_checkpoint(path)


def test_an_edge_list_or_npz_needs_the_nodes_of_the_spaces(G, tmp_path):
    G.remove_node((2, 1))  # a channel pruned away: GraphML still holds the graph as it is
    H = read_channel_graph(write_channel_graph(G, tmp_path / "net.graphml"))
    assert H.number_of_nodes() == 8 and H.number_of_edges() == 8
    for fmt in ("edgelist", "npz"):
        with pytest.raises(GraphContractError, match="G has 8 nodes that are not the 9 units of its spaces"):
            write_channel_graph(G, tmp_path / f"net.{fmt}")


@pytest.mark.parametrize(
    ("name", "edit", "message"),
    [
        (
            "net.graphml",
            lambda text: text[: len(text) // 2],
            "cannot be read as a netgraph graphml channel-graph export",
        ),
        ("net.txt", lambda text: text + "L0:0 L1:0 1.0 1 conv\n", "the edge L0:0 -> L1:0 is listed again"),
        ("net.txt", lambda text: text + "L0:0 L9:0 1.0 1 conv\n", "the edge L0:0 -> L9:0 is not between units"),
        ("net.txt", lambda text: text + "L0:0 L1:0 1.0\n", "expected 'source target weight nnz kind'"),
        ("net.txt", lambda text: text.replace("spaces_json=[", "spaces_json=[{"), "spaces_json is not valid JSON"),
    ],
)
def test_damaged_files_are_refused_naming_the_file(G, tmp_path, name, edit, message):
    path = write_channel_graph(G, tmp_path / name)
    path.write_text(edit(path.read_text()))
    with pytest.raises(CheckpointError, match=f"{name}: .*{message}"):
        read_channel_graph(path)


def test_an_npz_without_the_channel_arrays_is_refused(tmp_path):
    np.savez(tmp_path / "x.npz", a=np.zeros(3))
    with pytest.raises(CheckpointError, match=r"x\.npz: npz file without contract, spaces_json, layers_json"):
        read_channel_graph(tmp_path / "x.npz")


def test_an_npz_whose_members_unpack_to_more_than_the_graph_can_need_is_refused(G, tmp_path):
    """A member that compresses 50 MB of zeros into a few kB is a zip bomb: refused before it unpacks."""
    path = write_channel_graph(G, tmp_path / "g.npz")
    with np.load(path) as z:
        members = {k: z[k] for k in z.files}
    members["element_mask_0"] = np.zeros(50_000_000, dtype=bool)
    bomb = tmp_path / "bomb.npz"
    np.savez_compressed(bomb, **members)
    assert bomb.stat().st_size < 1_000_000
    with pytest.raises(CheckpointError, match="unpack to 50,0.* bytes, more than a channel graph .* zip bomb"):
        read_channel_graph(bomb)


def test_a_channel_network_is_exported_as_its_graph(model, G, tmp_path):
    from netgraph.channels import channel_network

    net = channel_network(model, torch.zeros(1, 2, 4, 4))
    back = read_channel_graph(export(net, tmp_path / "net.graphml"))
    assert sorted(back.edges(data=True)) == sorted(G.edges(data=True))
