"""Sparse convolutional networks (issue 20): masked convolutions, LeNet-5, ResNet-8, and the topology code on them."""

import numpy as np
import pytest
import torch

from netgraph import ParameterError
from netgraph.nn.conv import ARCHITECTURES, LeNet5, MaskedConv2d, ResNet8
from netgraph.topology.evolution import evolve_
from netgraph.topology.growth import choose_to_grow, dense_gradients, grow_strategic
from netgraph.topology.initial import erk_densities, random_masks
from netgraph.topology.pruning import prune_to_density_


def test_a_masked_convolution_computes_with_its_present_elements_only():
    conv = MaskedConv2d(1, 1, 3, padding=1, bias=False)
    with torch.no_grad():
        conv.weight.fill_(1.0)
    mask = torch.zeros(1, 1, 3, 3, dtype=torch.bool)
    mask[0, 0, 1, 1] = True  # the centre only: the identity
    conv.set_mask(mask)
    x = torch.arange(9.0).reshape(1, 1, 3, 3)
    assert torch.equal(conv(x), x)
    assert conv.n_connections() == 1 and float(conv.weight.detach().sum()) == 1.0  # the removed weights zeroed


@pytest.mark.parametrize(("arch", "shape"), [("lenet5", (1, 28, 28)), ("lenet5", (1, 8, 8)), ("resnet8", (1, 28, 28))])
def test_the_architectures_take_flat_and_image_batches(arch, shape):
    net = ARCHITECTURES[arch](shape, 10)
    x = torch.randn(3, *shape)
    assert torch.equal(net(x), net(x.reshape(3, -1)))
    assert net(x).shape == (3, 10)


def test_lenet5_weight_shapes_by_hand():
    assert LeNet5((1, 8, 8), 10).weight_shapes == [(6, 1, 3, 3), (16, 6, 3, 3), (120, 64), (84, 120), (10, 84)]
    assert [tuple(s) for s in ResNet8((1, 28, 28), 10).weight_shapes][-1] == (10, 64)


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: LeNet5((1, 2, 2), 10), "too small"),
        (lambda: LeNet5((28, 28), 10), "image_shape=\\(28, 28\\), must be \\(channels, height, width\\)"),
        (lambda: ResNet8((1, 28, 28), 1), "n_classes=1, must be an int >= 2"),
        (lambda: MaskedConv2d(1, 2, 3, mask=torch.ones(2, 3, 3)), "mask has shape \\(2, 3, 3\\)"),
    ],
)
def test_bad_architectures_are_refused(build, message):
    with pytest.raises(ParameterError, match=message):
        build()


def _sparse(net, density, seed):
    shapes = net.weight_shapes
    net.set_masks(random_masks(shapes, erk_densities(shapes, density, dense=[0]), rng=seed))
    return net


@pytest.mark.parametrize("growth", ["random", "strategic", "gradient"])
def test_evolution_keeps_every_conv_layers_count(growth):
    net = _sparse(ResNet8((1, 8, 8), 10, widths=(4, 8, 8)), 0.3, 0)
    before = [layer.n_connections() for layer in net.layers]
    x, y = torch.randn(16, 64), torch.randint(0, 10, (16,))
    grads = dense_gradients(net, x, y) if growth == "gradient" else None
    running = net.stem_bn.running_mean.clone()
    stats = evolve_(net, zeta=0.3, criterion="magnitude", growth=growth, rng=1, grads=grads)
    assert [layer.n_connections() for layer in net.layers] == before
    assert sum(s["added"] for s in stats) > 0
    assert all(float(layer.weight.detach()[~layer.mask].abs().sum()) == 0.0 for layer in net.layers)
    assert torch.equal(net.stem_bn.running_mean, running)  # the gradients left BatchNorm's statistics alone


def test_gradual_pruning_brings_conv_layers_to_their_density():
    net = LeNet5((1, 8, 8), 10)
    prune_to_density_(net, 0.25)
    assert [layer.n_connections() for layer in net.layers] == [
        round(0.25 * np.prod(s)) for s in net.weight_shapes
    ]  # fmt: skip


def test_strategic_growth_on_a_hand_set_kernel():
    """Weight (2 out, 2 in, 1 x 2): input channel 1 is the strong source (|w| 5 against 1); every free element
    of channel 1 lies in output channel 0 (slice (0, 1) has one free position, element 1): it is the one grown."""
    w = torch.zeros(2, 2, 1, 2)
    m = torch.zeros(2, 2, 1, 2, dtype=torch.bool)
    w[0, 0, 0, 0], m[0, 0, 0, 0] = 1.0, True  # source 0: |1|
    w[0, 1, 0, 0], m[0, 1, 0, 0] = 5.0, True  # source 1: |5| + ...
    m[1, 1] = True  # ... slice (1, 1) full (weights 0): channel 1's only free element is (0, 1, 0, 1)
    got = grow_strategic(w, m, 1, rng=np.random.default_rng(0), start_fraction=0.5)
    assert got.tolist() == [((0 * 2 + 1) * 1 + 0) * 2 + 1]  # flat index of (j=0, i=1, y=0, x=1) = 3
    # through the registry too, with the strategic start points of a 4-D layer
    assert choose_to_grow(w, m, 1, strategy="strategic", rng=0, start_fraction=0.5).tolist() == [3]


def test_strategic_growth_on_a_kernel_favours_the_strong_output_channel():
    """Output channel 0 has the larger incoming magnitude: among free elements of the start channel its
    elements are drawn with probability Phi(+1) each, channel 1's with Phi(-1) each."""
    w = torch.zeros(2, 1, 3, 3)
    m = torch.zeros(2, 1, 3, 3, dtype=torch.bool)
    w[0, 0, 0, 0], m[0, 0, 0, 0] = 4.0, True
    w[1, 0, 0, 0], m[1, 0, 0, 0] = 1.0, True
    picks = np.zeros(2)
    for seed in range(400):
        (idx,) = grow_strategic(w, m, 1, rng=np.random.default_rng(seed)).tolist()
        picks[idx // 9] += 1
    share = picks[0] / picks.sum()
    from scipy.stats import norm

    expected = norm.cdf(1) / (norm.cdf(1) + norm.cdf(-1))  # 8 free elements in each output channel
    assert abs(share - expected) < 4 * np.sqrt(expected * (1 - expected) / 400)
