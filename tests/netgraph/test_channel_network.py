"""The channel graph as arrays (netgraph.channel_network), and the block measures on real modules."""

import numpy as np
import pytest
import torch
from torch import nn
from torch.nn.utils import prune

from analysis import block_jaccard, block_nnstd, degree_distribution, driver_nodes
from netgraph.channel_network import ChannelNetwork, ElementMasks
from netgraph.channels import block_network, block_view, channel_graph, channel_network

from .test_channels import EXPECTED, HandSet, X


def test_the_arrays_of_the_hand_set_network_hold_the_graph_worked_out_by_hand():
    net = channel_network(HandSet(), X)
    assert isinstance(net, ChannelNetwork) and net.sizes == (2, 2, 2, 2, 1)
    src, dst, kinds, weights, nnz = net.edge_arrays()
    got = {
        (net.nodes[u], net.nodes[v]): (("identity", "linear", "conv")[c], int(n), float(w))
        for u, v, c, w, n in zip(src, dst, kinds, weights, nnz)
    }
    assert got == EXPECTED
    expected_bias = [0.0] * 4 + [0.1, -0.2] + [0.0] * 3  # conv2's bias (float32) on its space, none elsewhere
    assert net.bias.tolist() == pytest.approx(expected_bias, abs=1e-7)
    # the element masks are the present weights, layer by layer
    assert [m.shape for m in net.element_masks] == [(2, 2, 3, 3), (2, 2, 1, 1), (1, 8)]
    assert [int(m.sum()) for m in net.element_masks] == [3, 3, 3]


def test_the_arrays_and_the_digraph_are_one_graph():
    model = HandSet()
    net, G = channel_network(model, X), channel_graph(model, X)
    H = net.to_networkx()
    assert list(H.nodes(data=True)) == list(G.nodes(data=True))
    assert list(H.edges(data=True)) == list(G.edges(data=True))
    assert H.graph == G.graph and isinstance(G.graph["element_masks"], ElementMasks)
    assert driver_nodes(net).count == driver_nodes(G).count == 2
    assert degree_distribution(net, direction="total").degrees.tolist() == (
        degree_distribution(G, direction="total").degrees.tolist()
    )


class Chain(nn.Module):
    """conv (3 -> 4) -> ReLU -> conv (4 -> 3) -> flatten -> Linear: hand-set masks, every channel's set distinct."""

    def __init__(self, order=(0, 1, 2, 3)):
        super().__init__()
        self.conv1, self.conv2 = nn.Conv2d(3, 4, 1, bias=False), nn.Conv2d(4, 3, 3, padding=1, bias=False)
        self.fc = nn.Linear(3 * 4, 2, bias=False)
        reads = [[0], [1], [2], [0, 1]]  # input channels each conv1 channel reads
        feeds = [[0, 3], [1], [2, 3]]  # conv1 channels each conv2 channel reads
        with torch.no_grad():
            w1, w2 = torch.zeros(4, 3, 1, 1), torch.zeros(3, 4, 3, 3)
            for new, old in enumerate(order):  # conv1 channel ``old`` written at position ``new``
                w1[new, reads[old]] = 1.0 + old
                for j, f in enumerate(feeds):
                    if old in f:
                        w2[j, new, 1, 1] = 1.0 + j
            self.conv1.weight.copy_(w1)
            self.conv2.weight.copy_(w2)
            self.fc.weight.copy_(torch.arange(24.0).reshape(2, 12) % 5)

    def forward(self, x):
        return self.fc(torch.flatten(self.conv2(torch.relu(self.conv1(x))), 1))


def test_a_network_and_its_relabelled_copy_are_one_network_aligned():
    x = torch.zeros(1, 3, 2, 2)
    a, b = channel_network(Chain(), x), channel_network(Chain(order=(2, 0, 3, 1)), x)
    y = torch.randn(5, 3, 2, 2)
    assert torch.allclose(Chain()(y), Chain(order=(2, 0, 3, 1))(y))  # the same function
    raw = block_jaccard(a, b)
    assert raw.values[0] < 1.0 and raw.values[1] < 1.0
    aligned = block_jaccard(a, b, aligned=True, rng=0)
    assert aligned.values.tolist() == [1.0, 1.0, 1.0]
    assert aligned.permutations[0].tolist() == [2, 0, 3, 1]  # channel k of the copy is channel order[k]
    d = block_nnstd(a, b, rng=0)
    assert d.values.tolist() == [0.0, 0.0, 0.0]
    # kernel elements move with their channels: raw, the copy's elements are elsewhere
    assert block_jaccard(a, b, level="kernel").values[0] < 1.0


def test_a_pruned_resnet_through_the_arrays_gives_the_numbers_of_its_digraph():
    transformers = pytest.importorskip("transformers")
    config = transformers.ResNetConfig(layer_type="basic", depths=[1, 1], hidden_sizes=[8, 16], embedding_size=8)
    nets, graphs = [], []
    for seed in (0, 1):
        torch.manual_seed(seed)
        model = transformers.ResNetForImageClassification(config).eval()
        layers = [(m, "weight") for m in model.modules() if isinstance(m, nn.Conv2d | nn.Linear)]
        prune.global_unstructured(layers, pruning_method=prune.L1Unstructured, amount=0.7)
        nets.append(channel_network(model, torch.zeros(1, 3, 16, 16)))
        graphs.append(nets[-1].to_networkx())
        present = sum(int(m.weight_mask.sum()) for m, _ in layers)
        assert sum(int(m.sum()) for m in nets[-1].element_masks) == present
    for level in ("channel", "kernel"):
        x, y = block_jaccard(*nets, level=level), block_jaccard(*graphs, level=level)
        assert x.values.tolist() == y.values.tolist() and x.chance.tolist() == y.chance.tolist()
    x, y = block_jaccard(*nets, aligned=True, rng=3), block_jaccard(*graphs, aligned=True, rng=3)
    assert x.values.tolist() == y.values.tolist() and x.chance.tolist() == y.chance.tolist()
    assert np.all(x.values >= block_jaccard(*nets).values - 1e-12)  # matching never loses overlap on a block alone
    assert block_nnstd(*nets, rng=3).values.tolist() == block_nnstd(*graphs, rng=3).values.tolist()
    assert driver_nodes(nets[0]).count == driver_nodes(graphs[0]).count


def test_the_block_view_as_arrays():
    sd = {"b.weight": torch.tensor([[1.0, 0.0], [0.0, 0.0]]), "a.weight": torch.ones(1, 2, 3)}
    net = block_network(sd)
    assert net.view == "blocks" and [r["module"] for r in net.layers] == ["a.weight", "b.weight"]
    assert net.to_networkx().graph == block_view(sd).graph
    assert [int(m.sum()) for m in net.element_masks] == [6, 1]


def test_a_state_dict_file_is_read_with_the_module_that_makes_it(tmp_path):
    from safetensors.torch import save_file

    from netgraph import CheckpointError

    save_file(HandSet().state_dict(), tmp_path / "hand.safetensors")
    fresh = HandSet()  # all ones: the graph must come from the file's weights
    with torch.no_grad():
        for p in fresh.parameters():
            p.fill_(1.0)
    net = channel_network(fresh, X, weights=tmp_path / "hand.safetensors")
    src, dst, kinds, weights, nnz = net.edge_arrays()
    got = {
        (net.nodes[u], net.nodes[v]): (("identity", "linear", "conv")[c], int(n), float(w))
        for u, v, c, w, n in zip(src, dst, kinds, weights, nnz)
    }
    assert got == EXPECTED
    assert float(fresh.conv2.weight.detach().sum()) == 4.0  # the module given is not changed
    # torch-prune's keys: the mask of a pruned module, saved with torch.save, is honoured
    pruned = HandSet()
    mask = torch.ones(2, 2, 1, 1)
    mask[1, 1] = 0.0  # the slice (1, 1) of conv2: the edge (1, 1) -> (2, 1) goes
    prune.custom_from_mask(pruned.conv2, "weight", mask)
    torch.save(pruned.state_dict(), tmp_path / "pruned.pt")
    G = channel_graph(HandSet(), X, weights=tmp_path / "pruned.pt")
    assert not G.has_edge((1, 1), (2, 1)) and G.has_edge((1, 0), (2, 1))
    with pytest.raises(CheckpointError, match=r"hand.safetensors: does not fit the module \(.*Missing key"):
        channel_network(nn.Sequential(nn.Conv2d(2, 2, 1)), X, weights=tmp_path / "hand.safetensors")
