"""Fixtures shared by the whole test suite."""

import numpy as np
import pytest
import torch

from netgraph import SparseMLP


def random_sparse_mlp(layer_sizes, density, *, seed=0, activation="relu", bias=True):
    """A SparseMLP with random Bernoulli(density) masks and random biases (deterministic per seed)."""
    gen = torch.Generator().manual_seed(seed)
    masks = [torch.rand(b, a, generator=gen) < density for a, b in zip(layer_sizes[:-1], layer_sizes[1:])]
    net = SparseMLP(layer_sizes, activation=activation, bias=bias, masks=masks)
    with torch.no_grad():
        for layer in net.layers:
            layer.weight.copy_(torch.randn(layer.weight.shape, generator=gen))
            if layer.bias is not None:
                layer.bias.copy_(torch.randn(layer.bias.shape, generator=gen))
    return net.apply_masks_()


@pytest.fixture
def net_231():
    """The hand-set 2-3-1 network used for exact-answer tests.

    Layer 0 (W out x in):   [[1.5, 0  ],     mask [[1, 0],
                             [0,  -2  ],           [0, 1],
                             [0.5, 0  ]]           [1, 1]]   (edge (0,1)->(1,2) present, weight 0)
    Layer 1:                [[3, 0, -1]]     mask [[1, 0, 1]]
    Biases: layer 0 [0.1, 0.2, -0.3], layer 1 [0.5].
    """
    masks = [torch.tensor([[1, 0], [0, 1], [1, 1]], dtype=torch.bool), torch.tensor([[1, 0, 1]], dtype=torch.bool)]
    net = SparseMLP([2, 3, 1], masks=masks)
    with torch.no_grad():
        net.layers[0].weight.copy_(torch.tensor([[1.5, 7.0], [0.0, -2.0], [0.5, 0.0]]))  # 7.0 is masked out
        net.layers[0].bias.copy_(torch.tensor([0.1, 0.2, -0.3]))
        net.layers[1].weight.copy_(torch.tensor([[3.0, 9.0, -1.0]]))  # 9.0 is masked out
        net.layers[1].bias.copy_(torch.tensor([0.5]))
    return net


@pytest.fixture
def make_net():
    """Factory fixture: ``make_net(layer_sizes, density, seed=0, activation="relu", bias=True)``."""
    return random_sparse_mlp


@pytest.fixture
def rng():
    return np.random.default_rng(12345)
