import pytest
import torch

from netgraph import ParameterError, SparseMLP


def test_forward_uses_masked_weights(net_231):
    x = torch.tensor([[1.0, 2.0]])
    # hidden pre-activations: [1.5*1 + 0.1, -2*2 + 0.2, 0.5*1 + 0*2 - 0.3] = [1.6, -3.8, 0.2]
    # relu -> [1.6, 0, 0.2]; output = 3*1.6 - 1*0.2 + 0.5 = 5.1
    assert net_231(x).item() == pytest.approx(5.1)


def test_counts_and_density(net_231):
    assert net_231.n_connections() == 6
    assert net_231.n_connections(layer=0) == 4
    assert net_231.n_connections(layer=1) == 2
    assert net_231.density() == pytest.approx(6 / 9)
    assert net_231.density(layer=1) == pytest.approx(2 / 3)
    assert net_231.layer_sizes == (2, 3, 1)


def test_dense_by_default_and_masked_gradients():
    net = SparseMLP([3, 2], masks=[torch.tensor([[1, 0, 1], [0, 1, 0]])])
    net(torch.ones(4, 3)).sum().backward()
    assert torch.equal(net.layers[0].weight.grad != 0, net.masks[0])
    assert SparseMLP([3, 2]).density() == 1.0


def test_set_mask_zeroes_removed_weights():
    net = SparseMLP([2, 2])
    net.layers[0].set_mask(torch.tensor([[True, False], [False, True]]))
    assert net.layers[0].weight[0, 1].item() == 0.0
    assert net.layers[0].weight[1, 0].item() == 0.0


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"layer_sizes": [3]}, "at least two layers"),
        ({"layer_sizes": [3, 0]}, "positive int"),
        ({"layer_sizes": [3, 2.5]}, "positive int"),
        ({"layer_sizes": 5}, "sequence"),
        ({"layer_sizes": [3, 2], "activation": "swish"}, "activation='swish' is not valid; expected one of 'relu'"),
        ({"layer_sizes": [3, 2], "masks": []}, "masks has 0 entries, expected 1"),
        ({"layer_sizes": [3, 2], "masks": [torch.ones(3, 2)]}, r"mask has shape \(3, 2\), expected \(2, 3\)"),
    ],
)
def test_bad_arguments(kwargs, message):
    sizes = kwargs.pop("layer_sizes")
    with pytest.raises(ParameterError, match=message):
        SparseMLP(sizes, **kwargs)


def test_bad_layer_index(net_231):
    with pytest.raises(ParameterError, match=r"layer=2, expected an int in \[0, 1\]"):
        net_231.n_connections(layer=2)
