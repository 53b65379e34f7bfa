"""Fixtures shared by the whole test suite.

Markers (registered in pyproject.toml): ``e2e`` marks the end-to-end runs of whole commands
(README examples, ``netgraph demo``, ``run_grid`` with worker processes, ``netgraph similarity``
over run folders, a CLI subprocess); they take seconds each. CI runs everything
(``python -m pytest -n 2``); for a quick loop while developing, leave them out with
``python -m pytest -n 2 -m "not e2e"``.
"""

import numpy as np
import pytest
import torch

from netgraph import SparseMLP
from netgraph.topology.initial import init_masks

# pytest -n 2 runs two worker processes; one torch thread each keeps them from competing for the
# cores (two threads per worker oversubscribes a 2-core machine and makes timings erratic)
torch.set_num_threads(1)


def random_sparse_mlp(layer_sizes, density, *, seed=0, activation="relu", bias=True):
    """A SparseMLP with Bernoulli(density) masks and N(0, 1) weights and biases; an int seed gives the same net.

    ``seed`` is an int or a ``numpy.random.Generator``; pass a Generator to draw more (inputs, say)
    from the same stream afterwards. The draws, in order: every mask (``init_masks``, first layer
    to last), then layer by layer its weights and, with ``bias``, its biases. Absent weights are 0.
    """
    gen = np.random.default_rng(seed)  # a Generator is returned as it is
    masks = init_masks(layer_sizes, density=density, rng=gen)
    net = SparseMLP(layer_sizes, activation=activation, bias=bias, masks=masks)
    with torch.no_grad():
        for layer in net.layers:
            layer.weight.copy_(torch.from_numpy(gen.normal(size=tuple(layer.weight.shape)).astype(np.float32)))
            if layer.bias is not None:
                layer.bias.copy_(torch.from_numpy(gen.normal(size=tuple(layer.bias.shape)).astype(np.float32)))
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
    """Factory fixture: ``make_net(layer_sizes, density, *, seed=0, activation="relu", bias=True)``,
    the suite's one builder of random sparse networks (:func:`random_sparse_mlp`)."""
    return random_sparse_mlp


@pytest.fixture
def rng():
    return np.random.default_rng(12345)


@pytest.fixture
def seed_folders(make_net):
    """Factory fixture: ``seed_folders(folder, n)`` writes ``n`` random 12-16-16-4 networks as
    ``folder/seed-S/final.pt`` (meta seed S, method "m") and returns ``folder``; for commands that read runs."""
    from netgraph import save_checkpoint

    def write(folder, n=5):
        for seed in range(n):
            net = make_net([12, 16, 16, 4], 0.3, seed=seed)
            save_checkpoint(net, folder / f"seed-{seed}" / "final.pt", meta={"seed": seed, "method": "m"})
        return folder

    return write
