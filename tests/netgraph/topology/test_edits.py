import numpy as np
import pytest
import torch

from netgraph import SparseMLP, from_graph, to_graph
from netgraph.errors import GraphContractError, ParameterError
from netgraph.topology.edits import (
    add_edges,
    choose_edges_to_grow,
    choose_edges_to_prune,
    grow,
    prune,
    remove_dead,
    remove_edges,
)
from netgraph.topology.evolution import evolve_
from netgraph.topology.growth import choose_to_grow, dense_gradients
from netgraph.topology.pruning import choose_to_prune, remove_dead_

SIZES = [10, 14, 12, 4]


def as_edges(l, idx, n_in):
    return [((l, i % n_in), (l + 1, i // n_in)) for i in idx.tolist()]


def edge_list(G):
    return sorted(G.edges(data="weight"))


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("criterion", ["set", "magnitude"])
@pytest.mark.parametrize("amount", [0.3, 5])
def test_graph_and_tensor_prune_choose_the_same_edges(make_net, criterion, amount, seed):
    net = make_net(SIZES, 0.3, seed=seed)
    chosen = choose_edges_to_prune(to_graph(net), amount, criterion=criterion)
    expected = [
        as_edges(l, choose_to_prune(layer.weight, layer.mask, amount, criterion=criterion), layer.in_features)
        for l, layer in enumerate(net.layers)
    ]
    assert chosen == expected


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("strategy", ["random", "strategic", "gradient"])
def test_graph_and_tensor_growth_choose_the_same_edges(make_net, strategy, seed):
    net = make_net(SIZES, 0.3, seed=seed)
    x = torch.from_numpy(np.random.default_rng(seed).normal(size=(8, SIZES[0])).astype(np.float32))
    grads = dense_gradients(net, x, torch.arange(8) % SIZES[-1]) if strategy == "gradient" else None
    chosen = choose_edges_to_grow(to_graph(net), 0.2, strategy=strategy, rng=seed, grads=grads)
    rng = np.random.default_rng(seed)
    expected = [
        as_edges(
            l,
            choose_to_grow(
                layer.weight, layer.mask, 0.2, strategy=strategy, rng=rng, grad=None if grads is None else grads[l]
            ),
            layer.in_features,
        )
        for l, layer in enumerate(net.layers)
    ]
    assert chosen == expected
    assert all(len(e) > 0 for e in chosen)


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("growth", ["random", "strategic"])
@pytest.mark.parametrize("criterion", ["set", "magnitude"])
def test_prune_then_grow_reproduces_evolve(make_net, growth, criterion, seed):
    net = make_net(SIZES, 0.3, seed=seed)
    G = to_graph(net)
    stats = evolve_(net, zeta=0.3, criterion=criterion, growth=growth, rng=seed)
    H = prune(G, 0.3, criterion=criterion)
    H = grow(H, [s["removed"] for s in stats], strategy=growth, rng=seed)
    assert edge_list(H) == edge_list(to_graph(net))


def test_copy_semantics(make_net):
    G = to_graph(make_net(SIZES, 0.3, seed=0))
    before = edge_list(G)
    H = prune(G, 0.5)
    assert H is not G and edge_list(G) == before and H.number_of_edges() < G.number_of_edges()
    H = grow(G, 3, rng=0)
    assert edge_list(G) == before and H.number_of_edges() == G.number_of_edges() + 3 * 3
    n = G.number_of_edges()
    same = prune(G, 2, criterion="magnitude", copy=False)
    assert same is G and G.number_of_edges() == n - 2 * 3


def test_remove_and_add_accept_flat_or_per_layer_edges(make_net):
    G = to_graph(make_net(SIZES, 0.3, seed=1))
    chosen = choose_edges_to_prune(G, 2, criterion="magnitude")
    flat = [e for layer in chosen for e in layer]
    assert edge_list(remove_edges(G, chosen)) == edge_list(remove_edges(G, flat))
    H = remove_edges(G, flat)
    back = add_edges(H, chosen, [[G.edges[e]["weight"] for e in layer] for layer in chosen])
    assert edge_list(back) == edge_list(G)
    back = add_edges(H, flat, torch.tensor([G.edges[e]["weight"] for e in flat], dtype=torch.float64))
    assert edge_list(back) == edge_list(G)


def test_add_edges_hand_worked():
    G = to_graph(SparseMLP([2, 1], masks=[torch.tensor([[True, False]])]))
    H = add_edges(G, [((0, 1), (1, 0))], [0.0])
    assert H.edges[(0, 1), (1, 0)]["weight"] == 0.0  # a grown edge may weigh exactly 0
    assert from_graph(H).layers[0].mask.tolist() == [[True, True]]


@pytest.mark.parametrize(
    "call, error, match",
    [
        (
            lambda G: remove_edges(G, [((0, 0), (1, 5))]),
            ParameterError,
            r"edge \(0, 0\) -> \(1, 5\) is not in the graph",
        ),
        (lambda G: add_edges(G, [((0, 0), (1, 0))], [1.0]), ParameterError, "is already in the graph"),
        (lambda G: add_edges(G, [((0, 1), (1, 1))], [1.0, 2.0]), ParameterError, "2 values for 1 edges"),
        (lambda G: add_edges(G, [((0, 1), (1, 1))] * 2, [1.0, 2.0]), ParameterError, "more than once"),
        (lambda G: add_edges(G, [((0, 0), (2, 0))], [1.0]), GraphContractError, "from layer l to layer l \\+ 1"),
        (lambda G: add_edges(G, [((0, 0), (1, 99))], [1.0]), GraphContractError, r"\(1, 99\) is not a node"),
        (lambda G: remove_edges(G, [[(0, 0)]]), ParameterError, "is not an edge"),
        (lambda G: prune(G, [0.1, 0.2, 0.3]), ParameterError, "amount has 3 entries, expected 2"),
        (lambda G: prune(G, 0.1, criterion="random"), ParameterError, "criterion='random' is not valid"),
        (lambda G: grow(G, 1, strategy="gradient"), ParameterError, "strategy='gradient' needs one dense gradient"),
        (lambda G: grow(G, 1, strategy="magic"), ParameterError, "strategy='magic' is not valid"),
        (lambda G: grow(G, 1.5), ParameterError, "amount=1.5"),
        (lambda G: prune(G, "half"), ParameterError, "amount='half': expected an int count"),
    ],
)
def test_bad_input(call, error, match):
    G = to_graph(SparseMLP([2, 2, 1], masks=[torch.tensor([[True, False], [False, False]]), torch.ones(1, 2)]))
    n = G.number_of_edges()
    with pytest.raises(error, match=match):
        call(G)
    assert G.number_of_edges() == n  # nothing applied


@pytest.mark.parametrize("seed", range(8))
def test_remove_dead_on_graph_matches_model(make_net, seed):
    net = make_net(SIZES, 0.12, seed=seed)
    G = to_graph(net)
    H = remove_dead(G)
    remove_dead_(net)
    assert edge_list(H) == edge_list(to_graph(net))
    expected_bias = dict(to_graph(net).nodes(data="bias"))
    assert dict(H.nodes(data="bias")) == pytest.approx(expected_bias)
    x = torch.randn(16, SIZES[0])
    assert torch.allclose(from_graph(H)(x), from_graph(G)(x), atol=1e-5)


def test_remove_dead_on_graph_in_place():
    net = SparseMLP([1, 2, 1], masks=[torch.tensor([[True], [False]]), torch.tensor([[False, True]])])
    with torch.no_grad():
        net.layers[0].bias.copy_(torch.tensor([0.0, 2.0]))
        net.layers[1].weight.fill_(-1.5)
        net.layers[1].bias.fill_(1.0)
    G = to_graph(net)
    assert remove_dead(G, copy=False) is G
    assert G.number_of_edges() == 0
    # hidden (1, 1) had no input: relu(2.0) * -1.5 folded into the output bias
    assert G.nodes[(2, 0)]["bias"] == pytest.approx(1.0 - 3.0)
    assert G.nodes[(1, 1)]["bias"] == 0.0


def test_grow_reads_the_graph_once(monkeypatch):
    import netgraph.topology.edits as ed

    calls = []
    real = ed.graph_to_checkpoint
    monkeypatch.setattr(ed, "graph_to_checkpoint", lambda G: calls.append(1) or real(G))
    G = to_graph(SparseMLP([3, 2], masks=[torch.eye(2, 3, dtype=torch.bool)]))
    assert ed.grow(G, 2, rng=0).number_of_edges() == 4
    assert len(calls) == 1
