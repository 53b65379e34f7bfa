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


def test_weight_inits_fill_a_layer_from_the_generator():
    import math

    from netgraph.nn.model import WEIGHT_INITS, MaskedLinear

    mask = torch.zeros(4, 10, dtype=torch.bool)
    mask[:, :5] = True  # mean fan-in 5
    layer = MaskedLinear(10, 4, mask=mask).requires_grad_(False)
    WEIGHT_INITS["he"](layer, output=False, generator=torch.Generator().manual_seed(0))
    assert float(layer.weight.abs().max()) <= math.sqrt(6 / 5) and float(layer.weight.abs().max()) > 0.5
    assert layer.bias.tolist() == [0.0] * 4
    WEIGHT_INITS["he"](layer, output=True, generator=torch.Generator().manual_seed(0))
    assert float(layer.weight.abs().max()) <= math.sqrt(3 / 5)
    WEIGHT_INITS["torch"](layer, output=False, generator=torch.Generator().manual_seed(0))
    assert float(layer.weight.abs().max()) <= 1 / math.sqrt(10) and float(layer.bias.abs().max()) > 0
    # one weight draw and one bias draw, whatever the init: the generator advances alike
    g1, g2 = torch.Generator().manual_seed(1), torch.Generator().manual_seed(1)
    WEIGHT_INITS["he"](layer, output=False, generator=g1)
    WEIGHT_INITS["torch"](layer, output=False, generator=g2)
    assert torch.equal(g1.get_state(), g2.get_state())


def test_a_registered_activation_builds_a_network(monkeypatch):
    from netgraph.nn.model import ACTIVATIONS

    monkeypatch.setitem(ACTIVATIONS, "double", lambda x: 2 * x)
    net = SparseMLP([2, 2, 1], activation="double")
    assert net(torch.zeros(3, 2)).shape == (3, 1)
    with pytest.raises(ParameterError, match="activation='triple' is not valid; expected one of 'relu'"):
        SparseMLP([2, 1], activation="triple")
