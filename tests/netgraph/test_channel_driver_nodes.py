"""Driver nodes of a traced residual network's channel graph against the per-space bound (worked by hand)."""

import networkx as nx
import torch
from torch import nn

from analysis import driver_nodes
from netgraph.channels import channel_graph


class Residual(nn.Module):
    """A residual block at 4 channels, then a downsampling one to 8 with a 1x1 shortcut, then a classifier."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 4, 3, padding=1)
        self.conv2 = nn.Conv2d(4, 4, 3, padding=1)
        self.conv3 = nn.Conv2d(4, 8, 3, stride=2, padding=1)
        self.shortcut = nn.Conv2d(4, 8, 1, stride=2)
        self.fc = nn.Linear(8, 2)

    def forward(self, x):
        h = torch.relu(self.conv1(x))
        h = torch.relu(self.conv2(h) + h)
        h = torch.relu(self.conv3(h) + self.shortcut(h))
        return self.fc(torch.flatten(nn.functional.adaptive_avg_pool2d(h, 1), 1))


def _matching_size(G):
    """networkx Hopcroft-Karp on the out-copy / in-copy split graph (not analysis)."""
    B = nx.Graph()
    top = [("out", u) for u in G]
    B.add_nodes_from(top)
    B.add_nodes_from(("in", v) for v in G)
    B.add_edges_from((("out", u), ("in", v)) for u, v in G.edges)
    return len(nx.bipartite.hopcroft_karp_matching(B, top_nodes=top)) // 2


def test_a_traced_residual_network_sits_on_or_above_the_space_bound():
    torch.manual_seed(0)
    G = channel_graph(Residual(), torch.zeros(1, 3, 8, 8))  # dense random weights: every channel connection
    spaces = [(s["kind"], s["units"]) for s in G.graph["spaces"]]
    assert spaces == [
        ("input", 3), ("conv", 4), ("conv", 4), ("add", 4), ("conv", 8), ("conv", 8), ("add", 8), ("linear", 2)
    ]  # fmt: skip
    d = driver_nodes(G)
    assert d.matching_size == _matching_size(G) and d.count == G.number_of_nodes() - d.matching_size
    assert d.layer_sizes == (3, 4, 4, 4, 8, 8, 8, 2)
    # S per space: 0; 3 input channels; 4 (conv1); 4 + 4 (the add's operands); 4 (the add) for conv3 and
    # again for the shortcut; 8 + 8; 8 (the flatten of 8 pooled channels)
    assert d.layer_bound == (3, 1, 0, 0, 4, 4, 0, 0) and d.bound == 12
    assert all(x >= b for x, b in zip(d.layer_drivers, d.layer_bound)) and sum(d.layer_drivers) == d.count
    # the 4 out-copies of space 3 match at most 4 of the 16 in-copies of conv3 and the shortcut: 12 drivers
    # there, not the 4 + 4 of the bound; every other space reaches its bound
    assert d.count == 16 and d.shortfall == 4
    assert d.layer_drivers[:4] == (3, 1, 0, 0) and d.layer_drivers[4] + d.layer_drivers[5] == 12
    assert d.layer_drivers[6:] == (0, 0)
    assert d.to_dict(nodes=False)["layer_bound"] == [3, 1, 0, 0, 4, 4, 0, 0]
