import numpy as np
import pytest
import torch

from netgraph import SparseMLP
from netgraph.errors import ParameterError
from netgraph.topology.pruning import (
    PRUNING_CRITERIA,
    choose_to_prune,
    gmp_density,
    prune_to_density_,
    remove_dead_,
)

W = torch.tensor([[1.0, 2.0, 3.0, 4.0], [-4.0, -3.0, -2.0, -1.0]])


def apply(weight, mask, idx):
    weight, mask = weight.clone(), mask.clone()
    weight.view(-1)[idx] = 0.0
    mask.view(-1)[idx] = False
    return weight, mask


def test_set_prune_hand_worked():
    idx = choose_to_prune(W, W != 0, 0.25, criterion="set")
    _, mask = apply(W, W != 0, idx)
    assert mask.tolist() == [[False, True, True, True], [True, True, True, False]]
    idx = choose_to_prune(W, W != 0, 0.5, criterion="set")
    assert idx.tolist() == [0, 1, 6, 7]  # 1, 2 and -1, -2


def test_magnitude_prune_by_two():
    idx = choose_to_prune(W, W != 0, 2, criterion="magnitude")
    weight, _ = apply(W, W != 0, idx)
    assert weight.tolist() == [[0, 2, 3, 4], [-4, -3, -2, 0]]


def test_set_zeros_count_as_smallest_positive():
    w = torch.tensor([[0.0, 0.5, -1.0, 2.0]])
    mask = torch.ones(1, 4, dtype=torch.bool)
    # non-negative {0, 0.5, 2}: round(0.5 * 3) = 2 -> 0 and 0.5; negative {-1}: round(0.5) = 0
    assert choose_to_prune(w, mask, 0.5, criterion="set").tolist() == [0, 1]


def test_set_int_count_split_by_sign_share():
    w = torch.tensor([[1.0, 2.0, 3.0, -1.0]])
    mask = torch.ones(1, 4, dtype=torch.bool)
    # k_pos = floor(2 * 3/4 + 1/2) = 2, k_neg = 0
    assert choose_to_prune(w, mask, 2, criterion="set").tolist() == [0, 1]
    assert choose_to_prune(w, mask, 3, criterion="set").tolist() == [0, 1, 3]
    assert choose_to_prune(w, mask, 4, criterion="set").tolist() == [0, 1, 2, 3]


def test_absent_connections_are_never_chosen():
    mask = torch.tensor([[False, True, True, True], [True, True, True, False]])
    for criterion in PRUNING_CRITERIA:
        idx = choose_to_prune(W, mask, 2, criterion=criterion)
        assert idx.tolist() == [1, 6]  # 2 and -2 are the smallest present


def test_ties_go_to_lower_index():
    ones = torch.ones(2, 3)
    assert choose_to_prune(ones, ones != 0, 2, criterion="magnitude").tolist() == [0, 1]
    assert choose_to_prune(-ones, ones != 0, 2, criterion="set").tolist() == [0, 1]


@pytest.mark.parametrize("seed", range(20))
@pytest.mark.parametrize("criterion", ["set", "magnitude"])
def test_prune_counts_on_random_layers(criterion, seed):
    g = np.random.default_rng(seed)
    mask = torch.from_numpy(g.random((15, 10)) < 0.6)
    w = torch.from_numpy(g.normal(size=(15, 10)).astype(np.float32)) * mask
    idx = choose_to_prune(w, mask, 0.3, criterion=criterion)
    assert mask.view(-1)[idx].all() and torch.equal(idx, torch.unique(idx))
    if criterion == "magnitude":
        assert idx.numel() == round(0.3 * int(mask.sum()))
        kept = w[mask].abs().sort().values
        assert float(w.view(-1)[idx].abs().max()) <= float(kept[idx.numel()])
    else:
        vals = w[mask]
        assert idx.numel() == round(0.3 * int((vals >= 0).sum())) + round(0.3 * int((vals < 0).sum()))


def test_unknown_criterion_lists_valid_names():
    with pytest.raises(ParameterError, match="criterion='l2' is not valid; expected one of 'set', 'magnitude'"):
        choose_to_prune(W, W != 0, 1, criterion="l2")


@pytest.mark.parametrize(
    "amount, match",
    [
        (9, r"amount=9, must be a count in \[0, 8\]"),
        (-1, "amount=-1"),
        (1.01, "amount=1.01"),
        ("all", "amount='all'"),
        (None, "amount=None"),
    ],
)
@pytest.mark.parametrize("criterion", ["set", "magnitude"])
def test_bad_amount(amount, match, criterion):
    with pytest.raises(ParameterError, match=match):
        choose_to_prune(W, W != 0, amount, criterion=criterion)


# --- gradual magnitude pruning ---------------------------------------------------------


@pytest.mark.parametrize(
    "epoch, expected",
    [(0, 1.0), (2, 1.0), (4, 0.1 + 0.9 * 0.5**3), (5, 0.1 + 0.9 * 0.25**3), (6, 0.1), (30, 0.1)],
)
def test_gmp_density_cubic(epoch, expected):
    d = gmp_density(epoch, start_epoch=2, end_epoch=6, initial_density=1.0, target_density=0.1)
    assert d == pytest.approx(expected)


def test_gmp_density_zero_length_range():
    kw = dict(start_epoch=3, end_epoch=3, initial_density=0.5, target_density=0.2)
    assert [gmp_density(t, **kw) for t in (2, 3, 4)] == [0.5, 0.2, 0.2]


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(start_epoch=5, end_epoch=2), "end_epoch=2, must be >= start_epoch=5"),
        (dict(target_density=1.5), "target_density=1.5"),
        (dict(initial_density=-0.5), "initial_density=-0.5"),
        (dict(start_epoch="1"), "start_epoch='1'"),
    ],
)
def test_gmp_density_bad_input(kwargs, match):
    base = dict(start_epoch=0, end_epoch=10, initial_density=1.0, target_density=0.1)
    with pytest.raises(ParameterError, match=match):
        gmp_density(1, **dict(base, **kwargs))


def test_prune_to_density_never_grows():
    masks = [torch.ones(4, 5, dtype=torch.bool), torch.eye(2, 4, dtype=torch.bool)]
    net = SparseMLP([5, 4, 2], masks=masks)
    with torch.no_grad():
        net.layers[0].weight.copy_(torch.arange(1.0, 21.0).reshape(4, 5))
    removed = prune_to_density_(net, 0.5)
    assert removed == [10, 0]  # layer 1 has 2 of 8 = 0.25 already
    assert net.layers[0].mask.view(-1).tolist() == [False] * 10 + [True] * 10
    assert net.layers[0].weight.view(-1)[:10].tolist() == [0.0] * 10
    assert int(net.layers[1].mask.sum()) == 2


# --- unused-path removal ---------------------------------------------------------------


def _net(sizes, masks, weights, biases, activation="relu", bias=True):
    net = SparseMLP(sizes, activation=activation, bias=bias, masks=[torch.tensor(m) for m in masks])
    with torch.no_grad():
        for layer, w, b in zip(net.layers, weights, biases):
            layer.weight.copy_(torch.tensor(w) * layer.mask)
            if bias:
                layer.bias.copy_(torch.tensor(b))
    return net


def test_remove_dead_hand_worked():
    # 2 inputs -> 3 hidden -> 1 output
    # hidden 0: in and out (kept); hidden 1: in, no out (dropped);
    # hidden 2: no in, out with weight 3, bias 0.7 -> output bias 0.5 + relu(0.7) * 3 = 2.6
    net = _net(
        [2, 3, 1],
        masks=[[[True, True], [True, False], [False, False]], [[True, False, True]]],
        weights=[[[1.0, -1.0], [2.0, 0.0], [0.0, 0.0]], [[1.5, 0.0, 3.0]]],
        biases=[[0.1, 0.2, 0.7], [0.5]],
    )
    x = torch.randn(6, 2)
    before = net(x)
    stats = remove_dead_(net)
    assert stats == {"no_outgoing": [0, 1, 0], "no_incoming": [0, 1, 0], "removed": [1, 1]}
    assert net.layers[0].mask.tolist() == [[True, True], [False, False], [False, False]]
    assert net.layers[1].mask.tolist() == [[True, False, False]]
    assert net.layers[1].bias.tolist() == pytest.approx([2.6])
    assert net.layers[0].bias.tolist() == pytest.approx([0.1, 0.0, 0.0])
    assert torch.allclose(net(x), before)


def test_remove_dead_cascades():
    # 1 -> 2 -> 2 -> 1: hidden (2, 1) has no outgoing edge; removing its input edge from
    # (1, 1) leaves (1, 1) without outgoing edges, so its input edge goes too
    net = _net(
        [1, 2, 2, 1],
        masks=[[[True], [True]], [[True, False], [False, True]], [[True, False]]],
        weights=[[[1.0], [2.0]], [[1.0, 0.0], [0.0, 1.0]], [[1.0, 0.0]]],
        biases=[[0.0, 0.0], [0.0, 0.0], [0.0]],
    )
    stats = remove_dead_(net)
    assert stats["no_outgoing"] == [0, 1, 1, 0]
    assert stats["removed"] == [1, 1, 0]
    assert net.n_connections() == 3


def test_remove_dead_without_bias():
    masks = [[[True], [False]], [[True, True]]]
    weights = [[[1.0], [0.0]], [[1.0, 2.0]]]
    # sigmoid(0) = 0.5 cannot be folded anywhere: hidden 1 stays
    net = _net([1, 2, 1], masks, weights, [None, None], activation="sigmoid", bias=False)
    assert remove_dead_(net)["no_incoming"] == [0, 0, 0]
    assert net.n_connections() == 3
    # relu(0) = 0: hidden 1 contributes nothing and is dropped
    net = _net([1, 2, 1], masks, weights, [None, None], activation="relu", bias=False)
    x = torch.randn(4, 1)
    before = net(x)
    assert remove_dead_(net)["no_incoming"] == [0, 1, 0]
    assert net.n_connections() == 2
    assert torch.allclose(net(x), before)


@pytest.mark.parametrize("seed", range(15))
@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid"])
def test_remove_dead_keeps_outputs_on_random_nets(make_net, activation, seed):
    g = np.random.default_rng(seed)
    sizes = [6, 10, 8, 3]
    net = make_net(sizes, 0.15, seed=g, activation=activation)
    x = torch.from_numpy(g.normal(size=(32, 6)).astype(np.float32))
    before = net(x)
    stats = remove_dead_(net)
    assert sum(stats["removed"]) > 0  # these sparse nets all have dead units: the check below is not vacuous
    assert torch.allclose(net(x), before, atol=1e-5)
    # nothing dead is left: every hidden unit has edges on both sides or none
    for h in range(1, len(sizes) - 1):
        indeg = net.layers[h - 1].mask.sum(dim=1)
        outdeg = net.layers[h].mask.sum(dim=0)
        assert torch.equal(indeg > 0, outdeg > 0)
    assert remove_dead_(net)["removed"] == [0, 0, 0]  # idempotent
