import numpy as np
import pytest
import torch

from netgraph import SparseMLP
from netgraph.errors import ParameterError
from netgraph.topology.evolution import evolve_, reset_optimizer_state
from netgraph.topology.growth import dense_gradients

SIZES = [12, 20, 16, 5]


def grads_for(net, seed):
    g = np.random.default_rng(seed)
    x = torch.from_numpy(g.normal(size=(16, net.layer_sizes[0])).astype(np.float32))
    y = torch.from_numpy(g.integers(0, net.layer_sizes[-1], 16))
    return dense_gradients(net, x, y)


def state(net):
    return [(l.weight.detach().clone(), l.mask.clone()) for l in net.layers]


@pytest.mark.parametrize("seed", range(25))
@pytest.mark.parametrize("growth", ["random", "strategic", "gradient"])
@pytest.mark.parametrize("criterion", ["set", "magnitude"])
def test_connection_count_never_drifts(make_net, growth, criterion, seed):
    net = make_net(SIZES, float(np.random.default_rng(seed).uniform(0.05, 0.9)), seed=seed)
    before = [net.n_connections(layer=l) for l in range(3)]
    grads = grads_for(net, seed) if growth == "gradient" else None
    for step in range(3):
        stats = evolve_(net, zeta=0.3, criterion=criterion, growth=growth, rng=seed * 10 + step, grads=grads)
        assert [net.n_connections(layer=l) for l in range(3)] == before
        assert [s["removed"] for s in stats] == [s["added"] for s in stats]
        # absent weights stay zero
        assert all(not bool((l.weight[~l.mask] != 0).any()) for l in net.layers)


def test_evolution_removes_the_chosen_and_adds_absent_positions(make_net):
    net = make_net(SIZES, 0.3, seed=0)
    old = state(net)
    stats = evolve_(net, zeta=0.3, growth="random", rng=1)
    for (w0, m0), layer, s in zip(old, net.layers, stats):
        rm, add = s["removed_index"], s["added_index"]
        assert s["removed"] == rm.numel() > 0 and s["added"] == add.numel()
        assert m0.view(-1)[rm].all()  # removed were present
        assert layer.mask.view(-1)[add].all()  # added are present now
        regrown = torch.isin(add, rm)
        assert not m0.view(-1)[add[~regrown]].any()  # the rest were absent before
        gone = rm[~torch.isin(rm, add)]
        assert not layer.mask.view(-1)[gone].any()
        assert bool((layer.weight.view(-1)[add] != 0).all())  # "normal" init
        # untouched connections keep their weights
        keep = m0 & layer.mask
        keep.view(-1)[add] = False
        assert torch.equal(layer.weight[keep], w0[keep])


def test_gradient_growth_starts_at_zero_and_init_can_be_overridden(make_net):
    net = make_net(SIZES, 0.3, seed=0)
    stats = evolve_(net, zeta=0.3, growth="gradient", rng=0, grads=grads_for(net, 0))
    assert all(float(l.weight.detach().view(-1)[s["added_index"]].abs().sum()) == 0 for l, s in zip(net.layers, stats))
    net = make_net(SIZES, 0.3, seed=0)
    stats = evolve_(net, zeta=0.3, growth="random", rng=0, init="zero")
    assert all(float(l.weight.detach().view(-1)[s["added_index"]].abs().sum()) == 0 for l, s in zip(net.layers, stats))
    net = make_net(SIZES, 0.3, seed=0)
    stats = evolve_(net, zeta=0.3, growth="gradient", rng=0, grads=grads_for(net, 0), init="normal", init_scale=0.5)
    assert all(bool((l.weight.view(-1)[s["added_index"]] != 0).all()) for l, s in zip(net.layers, stats))


def test_same_seed_same_result(make_net):
    a, b = make_net(SIZES, 0.3, seed=3), make_net(SIZES, 0.3, seed=3)
    evolve_(a, zeta=0.3, growth="strategic", rng=9, start_fraction=0.3)
    evolve_(b, zeta=0.3, growth="strategic", rng=9, start_fraction=0.3)
    assert all(torch.equal(x[0], y[0]) and torch.equal(x[1], y[1]) for x, y in zip(state(a), state(b)))


@pytest.mark.parametrize("kwargs", [dict(growth="none"), dict(zeta=0.0), dict(zeta=0)])
def test_nothing_changes(make_net, kwargs):
    net = make_net(SIZES, 0.3, seed=2)
    old = state(net)
    stats = evolve_(net, **dict(dict(zeta=0.3, rng=0), **kwargs))
    assert [(s["removed"], s["added"]) for s in stats] == [(0, 0)] * 3
    assert all(torch.equal(x[0], y[0]) and torch.equal(x[1], y[1]) for x, y in zip(old, state(net)))


def test_options_of_other_strategies_are_ignored(make_net):
    net = make_net(SIZES, 0.3, seed=0)
    stats = evolve_(net, zeta=0.2, growth="random", rng=0, start_fraction=0.5, init_scale=2.0)
    assert sum(s["added"] for s in stats) > 0


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(growth="gradient"), "grads=None: growth='gradient' needs one dense gradient per layer"),
        (dict(growth="gradient", grads=[torch.zeros(20, 12)]), "grads has 1 entries, expected 3"),
        (dict(growth="best"), "growth='best' is not valid; expected one of 'random', 'strategic', 'gradient', 'none'"),
        (dict(criterion="l1"), "criterion='l1' is not valid"),
        (dict(zeta=1.5), "amount=1.5"),
        (dict(zeta=-0.1), "amount=-0.1"),
        (dict(start_frac=0.3), "unknown growth option"),
        (dict(init="ones"), "init='ones' is not valid"),
        (dict(growth="none", init_scale=-1.0), "init_scale=-1.0"),
    ],
)
def test_bad_input(make_net, kwargs, match):
    net = make_net(SIZES, 0.3, seed=0)
    with pytest.raises(ParameterError, match=match):
        evolve_(net, **dict(dict(zeta=0.3, rng=0), **kwargs))


@pytest.mark.parametrize("growth", ["random", "none"])
def test_zeta_one_is_refused(make_net, growth):
    net = make_net(SIZES, 0.3, seed=0)
    old = state(net)
    with pytest.raises(ParameterError, match=r"zeta=1.0 removes every connection.*nothing learned survives; .*< 1"):
        evolve_(net, zeta=1.0, growth=growth, rng=0)
    assert all(torch.equal(x[0], y[0]) and torch.equal(x[1], y[1]) for x, y in zip(old, state(net)))


def test_regrown_weights_are_drawn_when_every_connection_of_a_layer_is_removed():
    # a layer of two connections (one of each sign): SET at zeta 0.6 removes round(0.6) = 1 of each
    net = SparseMLP([3, 1], masks=[torch.tensor([[True, True, False]])])
    with torch.no_grad():
        net.layers[0].weight.copy_(torch.tensor([[1.0, -3.0, 0.0]]))
    stats = evolve_(net, zeta=0.6, criterion="set", growth="random", rng=0)
    assert stats[0]["removed"] == stats[0]["added"] == 2
    layer = net.layers[0]
    assert bool((layer.weight[layer.mask] != 0).all())  # not a dead layer of zeros


@pytest.mark.parametrize("growth", ["random", "strategic", "gradient"])
def test_a_dense_layer_is_left_as_it_is(make_net, growth):
    """SET's output layer at epsilon 20 is dense (p = 2.02): nothing to grow into, so nothing is rewired."""
    from netgraph.topology.growth import dense_gradients

    net = make_net([6, 5, 3], 0.5, seed=1)
    net.layers[1].set_mask(torch.ones(3, 5, dtype=torch.bool))
    with torch.no_grad():
        net.layers[1].weight.copy_(torch.arange(1.0, 16.0).reshape(3, 5))
    before = net.layers[1].weight.detach().clone()
    grads = dense_gradients(net, torch.randn(4, 6), torch.tensor([0, 1, 2, 0])) if growth == "gradient" else None
    stats = evolve_(net, zeta=0.3, criterion="magnitude", growth=growth, rng=0, grads=grads)
    assert (stats[1]["removed"], stats[1]["added"]) == (0, 0)
    assert torch.equal(net.layers[1].weight.detach(), before) and bool(net.layers[1].mask.all())
    assert stats[0]["removed"] == stats[0]["added"] > 0  # the sparse layer still evolves


def test_fallback_uses_the_std_before_removal_and_leaves_other_layers_alone(make_net):
    # an int count equal to the smallest layer's size removes all of it; the others keep survivors
    from netgraph.topology.growth import choose_to_grow, new_weight_values
    from netgraph.topology.pruning import choose_to_prune

    net, ref = make_net(SIZES, 0.3, seed=4), make_net(SIZES, 0.3, seed=4)
    counts = [net.n_connections(layer=l) for l in range(3)]
    k = counts[2]
    assert k < min(counts[:2])
    last = net.layers[2]
    sigma0 = float(last.weight.detach()[last.mask].double().std(unbiased=False))
    stats = evolve_(net, zeta=k, criterion="magnitude", growth="random", rng=2, init_scale=1.0)
    assert stats[2]["removed"] == stats[2]["added"] == k
    new = last.weight.detach().view(-1)[stats[2]["added_index"]].double()
    assert bool((new != 0).all())
    assert float(new.std()) == pytest.approx(sigma0, rel=0.3)
    # the layers with survivors get exactly the weights of the evolution without a fallback
    rng = np.random.default_rng(2)
    removed = [choose_to_prune(l.weight, l.mask, k, criterion="magnitude") for l in ref.layers]
    for l, idx in zip(ref.layers, removed):
        l.mask.view(-1)[idx] = False
        l.weight.data.view(-1)[idx] = 0.0
    added = [
        choose_to_grow(l.weight, l.mask, len(idx), strategy="random", rng=rng) for l, idx in zip(ref.layers, removed)
    ]
    values = [new_weight_values(l.weight, l.mask, len(a), init_scale=1.0, rng=rng) for l, a in zip(ref.layers, added)]
    for l in range(2):
        assert torch.equal(stats[l]["added_index"], added[l])
        assert torch.equal(net.layers[l].weight.detach().view(-1)[added[l]], values[l])
    assert values[2].abs().sum() == 0  # what the old code gave the emptied layer


def test_reset_optimizer_state_zeroes_absent_and_regrown_positions():
    from netgraph import SparseMLP

    net = SparseMLP([2, 2], masks=[torch.tensor([[True, False], [True, True]])])
    opt = torch.optim.SGD(net.parameters(), lr=0.1, momentum=0.9)
    opt.state[net.layers[0].weight]["momentum_buffer"] = torch.tensor([[1.0, 2.0], [3.0, 4.0]])
    reset_optimizer_state(opt, net, [torch.tensor([3])])
    assert opt.state[net.layers[0].weight]["momentum_buffer"].tolist() == [[1.0, 0.0], [3.0, 0.0]]


def test_reset_optimizer_state_refuses_a_sparse_network(make_net):
    net = make_net([2, 3], 0.5, seed=0).to_backend("sparse")
    opt = torch.optim.SGD(net.parameters(), lr=0.1, momentum=0.9)
    with pytest.raises(
        ParameterError, match=r"reset_optimizer_state: model is a 'sparse' network; .* model.to_backend"
    ):
        reset_optimizer_state(opt, net, [None])


def test_a_registered_strategy_and_criterion_evolve_with_no_other_edit(make_net, monkeypatch):
    from netgraph.topology.growth import GROWTH_STRATEGIES, grow_random
    from netgraph.topology.pruning import PRUNING_CRITERIA, prune_magnitude

    monkeypatch.setitem(GROWTH_STRATEGIES, "toy", grow_random)
    monkeypatch.setitem(PRUNING_CRITERIA, "toy", prune_magnitude)
    a, b = make_net(SIZES, 0.3, seed=0), make_net(SIZES, 0.3, seed=0)
    stats = evolve_(a, zeta=0.3, criterion="toy", growth="toy", rng=5)
    ref = evolve_(b, zeta=0.3, criterion="magnitude", growth="random", rng=5)
    assert [s["added"] for s in stats] == [s["added"] for s in ref] and min(s["added"] for s in stats) > 0
    for (wa, ma), (wb, mb) in zip(state(a), state(b)):
        assert torch.equal(wa, wb) and torch.equal(ma, mb)
