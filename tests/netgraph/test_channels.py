"""Channel-level graphs of convolutional and residual networks (issue 19): hand-worked answers."""

import json

import networkx as nx
import pytest
import torch
from torch import nn
from torch.nn.utils import prune

from analysis import driver_nodes
from netgraph import ArchitectureMismatchError, GraphContractError, ParameterError
from netgraph.channels import CONTRACT, apply_channel_graph, channel_graph


class HandSet(nn.Module):
    """Conv2d -> ReLU -> Conv2d (1x1) + residual -> max-pool -> flatten -> Linear, kernels set by hand."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(2, 2, 3, padding=1, bias=False)
        self.conv2 = nn.Conv2d(2, 2, 1)
        self.fc = nn.Linear(8, 1)
        with torch.no_grad():
            w1 = torch.zeros(2, 2, 3, 3)
            w1[0, 0, 0, 0], w1[0, 0, 1, 1] = 1.0, 2.0  # slice (0, 0): 2 present, sum 3
            w1[1, 1, 1, 1] = -1.0  # slice (1, 1): 1 present, sum -1; slices (0, 1), (1, 0) empty
            self.conv1.weight.copy_(w1)
            self.conv2.weight.copy_(torch.tensor([[0.5, 0.0], [0.25, 4.0]]).reshape(2, 2, 1, 1))
            self.conv2.bias.copy_(torch.tensor([0.1, -0.2]))
            # features 0-3 are channel 0 after the 2x2 pool, 4-7 channel 1
            self.fc.weight.copy_(torch.tensor([[1.0, 0.0, 0.0, 0.0, 0.0, 2.0, 0.0, -3.0]]))
            self.fc.bias.zero_()

    def forward(self, x):
        r = torch.relu(self.conv1(x))
        h = self.conv2(r) + r
        h = nn.functional.max_pool2d(h, 2)
        return self.fc(torch.flatten(h, 1))


X = torch.zeros(1, 2, 4, 4)
EXPECTED = {
    ((0, 0), (1, 0)): ("conv", 2, 3.0),
    ((0, 1), (1, 1)): ("conv", 1, -1.0),
    ((1, 0), (2, 0)): ("conv", 1, 0.5),
    ((1, 0), (2, 1)): ("conv", 1, 0.25),
    ((1, 1), (2, 1)): ("conv", 1, 4.0),
    ((2, 0), (3, 0)): ("identity", 1, 1.0),
    ((1, 0), (3, 0)): ("identity", 1, 1.0),
    ((2, 1), (3, 1)): ("identity", 1, 1.0),
    ((1, 1), (3, 1)): ("identity", 1, 1.0),
    ((3, 0), (4, 0)): ("linear", 1, 1.0),
    ((3, 1), (4, 0)): ("linear", 2, -1.0),  # features 5 and 7: 2 + (-3)
}


def test_a_hand_set_residual_network_gives_the_graph_worked_out_by_hand():
    G = channel_graph(HandSet(), X)
    assert sorted(G.nodes) == [(l, j) for l, n in enumerate((2, 2, 2, 2, 1)) for j in range(n)]
    got = {(u, v): (d["kind"], d["nnz"], d["weight"]) for u, v, d in G.edges(data=True)}
    assert got == EXPECTED
    assert [s["kind"] for s in G.graph["spaces"]] == ["input", "conv", "conv", "add", "linear"]
    assert [G.nodes[(2, j)]["bias"] for j in range(2)] == [pytest.approx(0.1), pytest.approx(-0.2)]
    assert G.nodes[(1, 0)]["bias"] == 0.0 and G.graph["contract"] == CONTRACT
    layers = G.graph["layers"]
    assert [(d["module"], d["type"], d["output"]) for d in layers] == [
        ("conv1", "Conv2d", 1),
        ("conv2", "Conv2d", 2),
        ("fc", "Linear", 4),
    ]
    assert layers[2]["inputs"] == [[3, 0]] * 4 + [[3, 1]] * 4  # each feature of the flatten reads its channel


def _matching_drivers(G):
    """N_D = max(N - |M*|, 1) from a maximum matching of the out/in split graph (networkx, not analysis)."""
    B = nx.Graph()
    left = [("out", u) for u in G]
    B.add_nodes_from(left, bipartite=0)
    B.add_nodes_from((("in", v) for v in G), bipartite=1)
    B.add_edges_from((("out", u), ("in", v)) for u, v in G.edges)
    matching = nx.bipartite.hopcroft_karp_matching(B, top_nodes=left)
    return max(G.number_of_nodes() - len(matching) // 2, 1)


def test_driver_nodes_of_the_dag_equal_an_independent_maximum_matching():
    G = channel_graph(HandSet(), X)
    # 7 edges match: (0,0)->(1,0)->(2,0)->(3,0)->(4,0) and (0,1)->(1,1)->(2,1)->(3,1); the inputs drive
    assert driver_nodes(G).count == _matching_drivers(G) == 2


def test_a_removed_edge_zeroes_its_kernel_slice_in_the_model():
    model = HandSet()
    G = channel_graph(model, X)
    G.remove_edge((0, 0), (1, 0))  # conv1's slice (0, 0)
    G.remove_edge((3, 1), (4, 0))  # every feature of channel 1 into fc
    apply_channel_graph(G, model)
    # only slice (1, 1) keeps its edge; the slices that were empty (no edge) are masked out too
    assert model.conv1.weight_mask[1, 1].sum() == 9 and model.conv1.weight_mask.sum() == 9
    assert model.fc.weight_mask.tolist() == [[1.0] * 4 + [0.0] * 4]
    again = channel_graph(model, X)  # torch-prune's masks are read back as presence
    assert set(again.edges) == set(G.edges)


def test_torch_prune_masks_are_honoured():
    model = HandSet()
    prune.custom_from_mask(model.conv2, "weight", torch.tensor([[1.0, 0.0], [0.0, 1.0]]).reshape(2, 2, 1, 1))
    G = channel_graph(model, X)
    assert not G.has_edge((1, 0), (2, 1)) and G.edges[(1, 1), (2, 1)]["weight"] == 4.0


def test_groups_connect_each_output_to_its_group_only():
    model = nn.Sequential(nn.Conv2d(2, 4, 1, groups=2, bias=False))
    nn.init.ones_(model[0].weight)
    G = channel_graph(model, torch.zeros(1, 2, 3, 3))
    assert sorted(G.edges) == [((0, 0), (1, 0)), ((0, 0), (1, 1)), ((0, 1), (1, 2)), ((0, 1), (1, 3))]


def test_batch_norm_is_recorded_on_the_nodes_and_adds_no_space():
    bn = nn.BatchNorm2d(2, eps=0.0)
    with torch.no_grad():
        bn.weight.copy_(torch.tensor([2.0, 1.0]))
        bn.bias.copy_(torch.tensor([0.5, 0.0]))
        bn.running_mean.copy_(torch.tensor([1.0, -1.0]))
        bn.running_var.copy_(torch.tensor([4.0, 1.0]))
    G = channel_graph(nn.Sequential(nn.Conv2d(1, 2, 1), bn, nn.ReLU()), torch.zeros(1, 1, 2, 2))
    assert len(G.graph["spaces"]) == 2
    assert (G.nodes[(1, 0)]["bn_scale"], G.nodes[(1, 0)]["bn_shift"]) == (1.0, -0.5)  # 2/sqrt(4), 0.5 - 1*1
    assert (G.nodes[(1, 1)]["bn_scale"], G.nodes[(1, 1)]["bn_shift"]) == (1.0, 1.0)


class Concat(nn.Module):
    def __init__(self):
        super().__init__()
        self.a, self.b, self.c = nn.Conv2d(1, 1, 1), nn.Conv2d(1, 2, 1), nn.Conv2d(3, 1, 1)

    def forward(self, x):
        return self.c(torch.cat([self.a(x), self.b(x)], dim=1))


def test_a_concatenation_makes_the_consumer_read_several_spaces():
    G = channel_graph(Concat(), torch.zeros(1, 1, 2, 2))
    assert sorted(u for u, v in G.in_edges((3, 0))) == [(1, 0), (2, 0), (2, 1)]


class Transposing(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv1d(2, 2, 1)

    def forward(self, x):
        return self.conv(x).transpose(1, 2)


@pytest.mark.parametrize(
    ("model", "x", "error", "message"),
    [
        (Transposing(), torch.zeros(1, 2, 3), GraphContractError, r"operation aten\.transpose\.int \(module ''\)"),
        (3, X, ParameterError, "model is a int, expected a torch.nn.Module"),
        (HandSet(), torch.zeros(3), ParameterError, "example_input is a 1-D tensor"),
    ],
)
def test_what_the_contract_cannot_place_is_a_clear_error(model, x, error, message):
    with pytest.raises(error, match=message):
        channel_graph(model, x)


def test_a_graph_of_another_contract_is_refused():
    with pytest.raises(GraphContractError, match="not a channel-level graph"):
        apply_channel_graph(nx.DiGraph(), HandSet())


def test_to_graph_and_from_graph_take_a_model_with_an_example_input():
    from netgraph import from_graph, to_graph

    model = HandSet()
    G = to_graph(model, X)
    assert G.graph["contract"] == CONTRACT and nx.utils.graphs_equal(G, channel_graph(model, X))
    G.remove_edge((1, 1), (2, 1))
    assert from_graph(G, model) is model and model.conv2.weight_mask[1, 1].sum() == 0
    with pytest.raises(GraphContractError, match=r"from_graph\(G, model\)"):
        from_graph(G)


# --------------------------------------------------------------------------- real third-party networks


def _resnet18(seed):
    """transformers' ResNet-18 (11.18M parameters), built offline from its configuration."""
    transformers = pytest.importorskip("transformers")
    torch.manual_seed(seed)
    config = transformers.ResNetConfig(layer_type="basic", depths=[2, 2, 2, 2], hidden_sizes=[64, 128, 256, 512])
    return transformers.ResNetForImageClassification(config).eval()


def _weight_layers(model):
    return [m for m in model.modules() if isinstance(m, nn.Conv2d | nn.Linear)]


def test_resnet18_pruned_to_10_percent_as_a_channel_graph():
    model = _resnet18(0)
    assert sum(p.numel() for p in model.parameters()) == 11_177_538
    layers = _weight_layers(model)
    prune.global_unstructured([(m, "weight") for m in layers], pruning_method=prune.L1Unstructured, amount=0.9)
    G = channel_graph(model, torch.zeros(1, 3, 32, 32))
    present = sum(int(m.weight_mask.sum()) for m in layers)
    weighted = [d for _, _, d in G.edges(data=True) if d["kind"] != "identity"]
    assert sum(d["nnz"] for d in weighted) == present  # every present weight is in exactly one edge's slice
    assert len(G.graph["layers"]) == len(layers) == 21  # 17 convolutions on the main path, 3 shortcuts, the classifier
    assert sum(s["kind"] == "add" for s in G.graph["spaces"]) == 8  # one residual add per basic block
    d = driver_nodes(G)
    assert d.count >= d.bound >= 3  # the RGB inputs at least, and the channels no source can reach


def test_resnet18_channel_pruned_by_torch_pruning_has_the_narrower_spaces():
    tp = pytest.importorskip("torch_pruning")
    model = _resnet18(1)
    x = torch.zeros(1, 3, 32, 32)
    pruner = tp.pruner.MagnitudePruner(
        model, x, importance=tp.importance.MagnitudeImportance(p=1), pruning_ratio=0.5,
        ignored_layers=[model.classifier],
    )  # fmt: skip
    pruner.step()
    G = channel_graph(model, x)
    widths = sorted({s["units"] for s in G.graph["spaces"] if s["kind"] == "conv"})
    assert widths == [32, 64, 128, 256]  # every stage at half its channels
    assert G.number_of_nodes() == sum(s["units"] for s in G.graph["spaces"])


def test_a_saved_export_program_is_a_self_describing_checkpoint(tmp_path):
    from netgraph import CheckpointError, to_graph

    model = HandSet().eval()
    path = tmp_path / "handset.pt2"
    torch.export.save(torch.export.export(model, (X,)), path)
    G = to_graph(path)
    assert nx.utils.graphs_equal(G, channel_graph(model, X))
    assert {(u, v): d["nnz"] for u, v, d in G.edges(data=True)} == {e: n for e, (_, n, _) in EXPECTED.items()}
    (tmp_path / "bad.pt2").write_bytes(b"not a program")
    with pytest.raises(CheckpointError, match=r"bad\.pt2: cannot be read as a torch\.export program"):
        to_graph(tmp_path / "bad.pt2")
    with pytest.raises(CheckpointError, match=r"folder\.pt2: is a directory"):
        (tmp_path / "folder.pt2").mkdir()
        to_graph(tmp_path / "folder.pt2")


def test_netgraph_info_shows_a_program_as_its_channel_graph(tmp_path, capsys):
    import json

    from netgraph.cli import main

    path = tmp_path / "handset.pt2"
    torch.export.save(torch.export.export(HandSet().eval(), (X,)), path)
    assert main(["info", str(path)]) == 0
    assert capsys.readouterr().out.splitlines()[1:] == [
        "spaces      5 (1 input, 2 conv, 1 add, 1 linear), 9 channels",
        "  conv1  Conv2d 2x2x3x3  weights 3 / 36  channel connections 2 / 4",
        "  conv2  Conv2d 2x2x1x1  weights 3 / 4  channel connections 3 / 4",
        "  fc  Linear 1x8  weights 3 / 8  channel connections 2 / 2",
        "weights     9 / 48  density 0.1875  (compression 5.3x vs. dense)",
        "connections 7 between channels",
    ]
    assert main(["info", str(path), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert (summary["weights"], summary["possible"], summary["channel_connections"]) == (9, 48, 7)
    (tmp_path / "bad.pt2").write_bytes(b"PK not really")
    assert main(["info", str(tmp_path / "bad.pt2")]) == 2
    assert "bad.pt2: cannot be read as a torch.export program" in capsys.readouterr().err


def test_netgraph_analyze_a_program_per_space_with_its_driver_nodes(tmp_path, capsys):
    from netgraph.cli import main

    path = tmp_path / "handset.pt2"
    torch.export.save(torch.export.export(HandSet().eval(), (X,)), path)
    assert main(["analyze", str(path)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[:9] for line in lines[2:7]] == [
        ["0", "input", "2", "0.00", "0", "1.00", "1", "0", "2"],
        ["1", "conv", "2", "1.00", "1", "2.50", "3", "0", "0"],  # (1, 0) feeds conv2's two channels and the add
        ["2", "conv", "2", "1.50", "2", "1.00", "1", "0", "0"],
        ["3", "add", "2", "2.00", "2", "1.00", "1", "0", "0"],
        ["4", "linear", "1", "2.00", "2", "0.00", "0", "0", "0"],
    ]
    assert "11 connections" in lines[7] and "N_D 2 (0.2222 of 9 nodes" in lines[7]


def test_block_jaccard_of_channel_graphs_by_hand():
    from analysis import block_jaccard

    G = channel_graph(HandSet(), X)
    H = G.copy()
    H.remove_edge((3, 1), (4, 0))
    j = block_jaccard(G, H)
    assert j.blocks == ("conv1", "conv2", "fc")
    assert j.values.tolist() == [1.0, 1.0, 0.5] and j.possible.tolist() == [4, 4, 2]
    # chance: n1 n2 / P expected shared, of n1 + n2 minus that: conv1 2*2/4 = 1 of 3; fc 2*1/2 = 1 of 2
    assert j.chance.tolist() == pytest.approx([1 / 3, (3 * 3 / 4) / (6 - 9 / 4), 0.5])
    assert j.value == 6 / 7  # 2 + 3 + 1 shared of 2 + 3 + 2; the identity edges are not compared
    assert j.to_dict()["provenance"]["function"] == "analysis.block_jaccard"
    with pytest.raises(ArchitectureMismatchError, match="weight layer 'conv1' of G1 and 'a' of G2 differ"):
        block_jaccard(G, channel_graph(Concat(), torch.zeros(1, 1, 2, 2)))
    with pytest.raises(ParameterError, match="G2 is not a channel-level graph"):
        block_jaccard(G, nx.DiGraph())


def test_block_jaccard_of_two_seeds_of_a_pruned_resnet():
    from analysis import block_jaccard

    graphs = []
    for seed in (0, 1):
        model = _resnet18(seed)
        layers = _weight_layers(model)
        prune.global_unstructured([(m, "weight") for m in layers], pruning_method=prune.L1Unstructured, amount=0.9)
        graphs.append(channel_graph(model, torch.zeros(1, 3, 32, 32)))
    j = block_jaccard(*graphs)
    assert len(j.blocks) == 21 and j.blocks[0] == "resnet.embedder.embedder.convolution"
    assert (j.possible == [d["weight_shape"][0] * d["weight_shape"][1] for d in graphs[0].graph["layers"]]).all()
    assert 0 < j.value < 1 and 0 < j.chance_overall < 1


def test_netgraph_similarity_of_programs_block_by_block(tmp_path, capsys):
    import json

    from netgraph.cli import main

    model = HandSet().eval()
    torch.export.save(torch.export.export(model, (X,)), tmp_path / "a.pt2")
    with torch.no_grad():
        model.fc.weight[0, 7] = 0.0  # channel 1 still reaches fc through feature 5: the same channel graph
        model.conv2.weight[1, 0] = 0.0  # drops the connection (1, 0) -> (2, 1)
    torch.export.save(torch.export.export(model, (X,)), tmp_path / "b.pt2")
    out = tmp_path / "report"
    assert main(["similarity", str(tmp_path / "a.pt2"), str(tmp_path / "b.pt2"), "--out", str(out)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("a.pt2 ~ b.pt2: channel-connection Jaccard 0.8571 (chance ")  # 6 shared of 7
    assert "over 3 weight layers; lowest conv2 0.6667" in lines[0]
    report = json.loads((out / "report.json").read_text())
    assert [p["values"] for p in report["pairs"]] == [[1.0, 2 / 3, 1.0]]
    (tmp_path / "net.pt").write_bytes(b"")
    assert main(["similarity", str(tmp_path / "a.pt2"), str(tmp_path / "net.pt"), "--out", str(out)]) == 2
    assert "compared with each other only" in capsys.readouterr().err


def test_a_program_of_a_transformers_model_loads_where_transformers_is_not_imported_yet(tmp_path):
    import subprocess
    import sys

    transformers = pytest.importorskip("transformers")
    config = transformers.ResNetConfig(layer_type="basic", depths=[1, 1, 1, 1], hidden_sizes=[8, 16, 32, 64])
    model = transformers.ResNetForImageClassification(config).eval()
    x = torch.zeros(1, 3, 32, 32)
    path = tmp_path / "resnet.pt2"
    torch.export.save(
        torch.export.export(model, (x,)), path
    )  # its output type is transformers' ImageClassifierOutput...
    code = (
        "import sys; from netgraph.channels import channel_graph; G = channel_graph(sys.argv[1]); "
        "print(G.number_of_nodes(), 'transformers.modeling_outputs' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True, check=True)
    assert done.stdout.split() == [str(channel_graph(model, x).number_of_nodes()), "True"]  # registered, then loaded
    assert "Traceback" not in done.stderr  # torch's log of the first, failed load is kept from the user


def test_a_huggingface_model_folder_is_read_as_its_channel_graph(tmp_path, capsys):
    from netgraph import CheckpointError, to_graph
    from netgraph.cli import main

    transformers = pytest.importorskip("transformers")
    config = transformers.ResNetConfig(layer_type="basic", depths=[1, 1, 1, 1], hidden_sizes=[8, 16, 32, 64])
    model = transformers.ResNetForImageClassification(config).eval()
    model.save_pretrained(tmp_path / "resnet")
    G = to_graph(tmp_path / "resnet")  # traced on a zero batch of 3 x 224 x 224
    assert nx.utils.graphs_equal(G, channel_graph(model, torch.zeros(1, 3, 224, 224)))
    assert main(["info", str(tmp_path / "resnet")]) == 0
    out = capsys.readouterr().out  # one basic block per stage, each with a shortcut convolution (8 -> 64 at first)
    assert (
        "(HuggingFace model folder (channel graph))" in out
        and "spaces      19 (1 input, 13 conv, 4 add, 1 linear)" in out
    )
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "config.json").write_text("{not json")
    (tmp_path / "broken" / "model.safetensors").write_bytes(b"")
    with pytest.raises(CheckpointError, match="broken: config.json is not a transformers configuration"):
        to_graph(tmp_path / "broken")


def test_a_linear_layer_on_a_sequence_is_refused_not_misread():
    model = nn.Sequential(nn.Conv1d(4, 4, 1), nn.Linear(5, 3))  # Linear on the last axis of (N, 4, 5)
    with pytest.raises(GraphContractError, match=r"reads a tensor of shape \(1, 4, 5\); Linear layers are placed on"):
        channel_graph(model, torch.zeros(1, 4, 5))


# --------------------------------------------------------------------------- the block view of a state_dict


def test_the_block_view_of_a_state_dict_by_hand(tmp_path):
    from netgraph import CheckpointError
    from netgraph.channels import block_view

    sd = HandSet().state_dict()
    G = block_view(sd)
    assert [d["module"] for d in G.graph["layers"]] == ["conv1.weight", "conv2.weight", "fc.weight"]
    got = {(u, v): (d["kind"], d["nnz"], d["weight"]) for u, v, d in G.edges(data=True)}
    assert got == {
        ((0, 0), (1, 0)): ("conv", 2, 3.0),
        ((0, 1), (1, 1)): ("conv", 1, -1.0),
        ((2, 0), (3, 0)): ("conv", 1, 0.5),
        ((2, 0), (3, 1)): ("conv", 1, 0.25),
        ((2, 1), (3, 1)): ("conv", 1, 4.0),
        ((4, 0), (5, 0)): ("linear", 1, 1.0),  # no wiring: the fc block reads 8 features, not 2 channels
        ((4, 5), (5, 0)): ("linear", 1, 2.0),
        ((4, 7), (5, 0)): ("linear", 1, -3.0),
    }
    torch.save({"state_dict": sd}, tmp_path / "wrapped.pt")
    from safetensors.torch import save_file

    save_file(sd, tmp_path / "model.safetensors")
    for path in (tmp_path / "wrapped.pt", tmp_path / "model.safetensors"):
        assert nx.utils.graphs_equal(block_view(path), G)
    with pytest.raises(CheckpointError, match="holds no weight of 2 or more dimensions"):
        block_view({"bias": torch.zeros(3)})


def test_the_block_view_reads_torch_prune_masks():
    from netgraph.channels import block_view

    model = HandSet()
    prune.custom_from_mask(model.conv2, "weight", torch.tensor([[1.0, 0.0], [0.0, 1.0]]).reshape(2, 2, 1, 1))
    G = block_view(model.state_dict())  # conv2.weight_orig and conv2.weight_mask: one block, conv2.weight
    assert [d["module"] for d in G.graph["layers"]] == ["conv1.weight", "conv2.weight", "fc.weight"]
    assert sorted((u, v) for u, v in G.edges if u[0] == 2) == [((2, 0), (3, 0)), ((2, 1), (3, 1))]


def test_two_pruned_versions_of_a_transformer_compared_block_by_block():
    from analysis import block_jaccard
    from netgraph.channels import block_view

    transformers = pytest.importorskip("transformers")
    config = transformers.LlamaConfig(
        vocab_size=64, hidden_size=16, intermediate_size=32, num_hidden_layers=2, num_attention_heads=2,
        num_key_value_heads=2,
    )  # fmt: skip
    torch.manual_seed(0)
    model = transformers.LlamaForCausalLM(config).eval()
    views = []
    for amount in (0.5, 0.8):
        sd = {k: v.clone() for k, v in model.state_dict().items()}
        for value in sd.values():
            if value.dim() == 2:  # magnitude pruning of each matrix on its own
                cut = value.abs().flatten().kthvalue(int(amount * value.numel())).values
                value[value.abs() <= cut] = 0.0
        views.append(block_view(sd))
    n_matrices = sum(v.dim() == 2 for v in model.state_dict().values())
    j = block_jaccard(*views)
    assert len(j.blocks) == n_matrices and "model.layers.0.self_attn.q_proj.weight" in j.blocks
    # every surviving weight at 80% also survives at 50%: each block's Jaccard is |80%| / |50%| = 0.2 / 0.5
    assert j.values == pytest.approx(0.4, abs=0.05)


def test_the_commands_take_block_views(tmp_path, capsys):
    import json

    from safetensors.torch import save_file

    from netgraph.cli import main

    model = HandSet()
    save_file(model.state_dict(), tmp_path / "a.safetensors")
    with torch.no_grad():
        model.fc.weight[0, 7] = 0.0  # the fc block loses one of its 3 connections
    save_file(model.state_dict(), tmp_path / "b.safetensors")
    a, b = str(tmp_path / "a.safetensors"), str(tmp_path / "b.safetensors")
    assert main(["info", "--blocks", a]) == 0
    out = capsys.readouterr().out.splitlines()
    assert (
        out[0].endswith("(block view (channel graph))")
        and out[-3] == "  fc.weight  Linear 1x8  weights 3 / 8  channel connections 3 / 8"
    )
    assert main(["analyze", "--blocks", a]) == 0
    assert "6 spaces, 17 channels, 8 connections" in capsys.readouterr().out
    assert main(["similarity", "--blocks", a, b, "--out", str(tmp_path / "report")]) == 0
    capsys.readouterr()
    report = json.loads((tmp_path / "report" / "report.json").read_text())
    assert report["pairs"][0]["blocks"] == ["conv1.weight", "conv2.weight", "fc.weight"]
    assert report["pairs"][0]["values"] == [1.0, 1.0, 2 / 3]


def test_netgraph_similarity_of_channel_graphs_writes_a_block_report(tmp_path, capsys):
    import json
    import re

    from safetensors.torch import save_file

    from netgraph.cli import main

    model = HandSet().eval()
    torch.export.save(torch.export.export(model, (X,)), tmp_path / "a.pt2")
    save_file(model.state_dict(), tmp_path / "a.safetensors")
    with torch.no_grad():
        model.fc.weight[0, 7] = 0.0  # the traced fc still reads channel 1 (feature 5); its block view loses feature 7
        model.conv2.weight[1, 0] = 0.0  # drops the connection (1, 0) -> (2, 1)
    torch.export.save(torch.export.export(model, (X,)), tmp_path / "b.pt2")
    torch.save(model.state_dict(), tmp_path / "b.pt")
    out = tmp_path / "programs"
    assert main(["similarity", str(tmp_path / "a.pt2"), str(tmp_path / "b.pt2"), "--out", str(out)]) == 0
    captured = capsys.readouterr()
    line, wrote = captured.out.splitlines()
    # kernel elements: 3 + 2 + 2 shared of 3 + 3 + 3; NNSTD: conv2's channel 1 reads {0, 1} in a, {1} in b: (0 + 1/4 + 0) / 3
    assert line.startswith(
        "a.pt2 ~ b.pt2: channel-connection Jaccard 0.8571 (chance 0.5294) over 3 weight layers; lowest conv2 0.6667 "
        "(chance 0.4286); kernel elements 0.7778 (chance "
    )
    assert re.search(r"; aligned 0\.8571 \(chance 0\.\d{4}\); NNSTD 0\.0833 \(random 0\.\d{4}\)$", line)
    assert wrote == f"wrote {out / 'report.json'}, {out / 'report.html'} and 2 figures"
    assert captured.err == "comparing a.pt2 ~ b.pt2 (pair 1 of 1)\n"
    report = json.loads((out / "report.json").read_text())
    assert report["pairs"][0]["kernel"]["values"] == [1.0, 2 / 3, 2 / 3]
    assert report["networks"][1]["weights"] == 7 and report["provenance"]["parameters"]["rng"] == 0
    page = (out / "report.html").read_text(encoding="utf-8")
    assert "conv2" in page and "a.pt2" in page and page.count("data:image/png;base64,") == 2

    out = tmp_path / "blocks"
    a, b = str(tmp_path / "a.safetensors"), str(tmp_path / "b.pt")
    assert main(["similarity", "--blocks", a, b, "--out", str(out), "--no-aligned", "--quiet"]) == 0
    captured = capsys.readouterr()
    assert captured.out.splitlines() == [
        "note: Aligned Jaccard and NNSTD not computed (aligned=False).",
        # 2 + 2 + 2 shared of 2 + 3 + 3, chance (1 + 1.5 + 0.75) / (3 + 3.5 + 4.25): fc.weight has 8 features
        "a.safetensors ~ b.pt: channel-connection Jaccard 0.7500 (chance 0.3023) over 3 weight layers; lowest "
        "conv2.weight 0.6667 (chance 0.4286); kernel elements 0.7778 (chance 0.1852)",
        f"wrote {out / 'report.json'}, {out / 'report.html'} and 2 figures",
    ]
    assert captured.err == ""
    report = json.loads((out / "report.json").read_text())
    assert report["view"] == "blocks" and report["pairs"][0]["aligned"] is None
    assert report["pairs"][0]["values"] == [1.0, 2 / 3, 2 / 3]
    assert "block views of state_dicts" in (out / "report.html").read_text(encoding="utf-8")


def test_netgraph_similarity_reports_the_same_of_channel_networks_and_their_digraphs(tmp_path, capsys, monkeypatch):
    """The command reads arrays (ChannelNetwork); read as DiGraphs instead, the report says the same."""
    from netgraph.cli import _paths, main

    model = HandSet().eval()
    torch.export.save(torch.export.export(model, (X,)), tmp_path / "a.pt2")
    with torch.no_grad():
        model.conv2.weight[1, 0] = 0.0
    torch.export.save(torch.export.export(model, (X,)), tmp_path / "b.pt2")
    argv = ["similarity", str(tmp_path / "a.pt2"), str(tmp_path / "b.pt2"), "--quiet", "--out"]
    assert main([*argv, str(tmp_path / "arrays")]) == 0
    arrays = capsys.readouterr().out.splitlines()[0]
    monkeypatch.setattr(_paths, "read_channel_network", _paths.read_channels)
    assert main([*argv, str(tmp_path / "graphs")]) == 0
    assert capsys.readouterr().out.splitlines()[0] == arrays
    a, b = (json.loads((tmp_path / d / "report.json").read_text())["pairs"] for d in ("arrays", "graphs"))
    assert a[0]["channel"]["values"] == b[0]["channel"]["values"]
