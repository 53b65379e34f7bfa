"""The sparse backend computes what the masked one computes (netgraph.nn.sparse, SparseMLP backends)."""

import networkx as nx
import pytest
import torch

from netgraph import ParameterError, SparseMLP, from_graph, to_graph
from netgraph.checkpoint import Checkpoint
from netgraph.nn.model import MaskedLinear
from netgraph.nn.sparse import SparseLinear, csr_structure
from netgraph.topology.edits import grow, prune
from netgraph.topology.evolution import evolve_
from netgraph.topology.growth import dense_gradients
from netgraph.topology.pruning import prune_to_density_, remove_dead_


def _layers(seed, n_out, n_in, density, bias):
    gen = torch.Generator().manual_seed(seed)
    mask = torch.rand(n_out, n_in, generator=gen) < density
    masked = MaskedLinear(n_in, n_out, bias=bias, mask=mask)
    with torch.no_grad():
        masked.weight.copy_(torch.randn(n_out, n_in, generator=gen) * mask)
        if bias:
            masked.bias.copy_(torch.randn(n_out, generator=gen))
    sparse = SparseLinear.from_dense(masked.weight, mask, bias=masked.bias if bias else None)
    return masked, sparse, torch.randn(17, n_in, generator=gen)


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize(("n_out", "n_in", "density"), [(30, 40, 0.05), (40, 30, 0.3), (25, 25, 1.0), (8, 50, 0.0)])
@pytest.mark.parametrize("bias", [True, False])
def test_forward_and_gradients_equal_the_masked_layer(seed, n_out, n_in, density, bias):
    masked, sparse, x = _layers(seed, n_out, n_in, density, bias)
    x1, x2 = x.clone().requires_grad_(True), x.clone().requires_grad_(True)
    y1, y2 = masked(x1), sparse(x2)
    torch.testing.assert_close(y2, y1, rtol=1e-5, atol=1e-5)
    upstream = torch.randn(y1.shape, generator=torch.Generator().manual_seed(seed + 100))
    (y1 * upstream).sum().backward()
    (y2 * upstream).sum().backward()
    torch.testing.assert_close(x2.grad, x1.grad, rtol=1e-5, atol=1e-5)
    mask = masked.mask
    torch.testing.assert_close(sparse.values.grad, masked.weight.grad[mask], rtol=1e-5, atol=1e-5)
    assert sparse.values.grad.shape == (int(mask.sum()),)  # gradients only where connections exist
    if bias:
        torch.testing.assert_close(sparse.bias.grad, masked.bias.grad, rtol=1e-5, atol=1e-5)


def test_parameters_are_the_present_weights_only():
    masked, sparse, _ = _layers(0, 200, 300, 0.04, True)
    n = int(masked.mask.sum())
    assert sparse.n_connections() == n
    assert sum(p.numel() for p in sparse.parameters()) == n + 200
    assert torch.equal(sparse.dense_weight(), masked.dense_weight()) and torch.equal(sparse.mask, masked.mask)


def test_scatter_and_gather_are_inverse():
    _, sparse, _ = _layers(1, 6, 9, 0.4, False)
    values = torch.arange(1, sparse.n_connections() + 1, dtype=torch.float32)
    dense = sparse.scatter(values)
    assert torch.equal(sparse.gather(dense), values)
    assert torch.equal(dense != 0, sparse.mask)


def test_csr_structure_of_the_transpose_reorders_the_values():
    mask = torch.tensor([[True, False, True], [True, True, False]])
    s = csr_structure(mask)
    values = torch.tensor([1.0, 2.0, 3.0, 4.0])  # row-major: (0,0) (0,2) (1,0) (1,1)
    assert values[s["t_perm"]].tolist() == [1.0, 3.0, 4.0, 2.0]  # column by column
    assert s["t_crow"].tolist() == [0, 2, 3, 4] and s["t_col"].tolist() == [0, 1, 1, 0]


def test_bad_shapes_are_refused():
    with pytest.raises(ParameterError, match=r"mask has shape \(2, 2\), expected \(3, 2\)"):
        SparseLinear(2, 3, mask=torch.ones(2, 2, dtype=torch.bool))
    with pytest.raises(ParameterError, match=r"bias has shape \(2,\), expected \(3,\)"):
        SparseLinear.from_dense(torch.ones(3, 2), torch.ones(3, 2, dtype=torch.bool), bias=torch.ones(2))


@pytest.mark.parametrize("seed", range(3))
def test_networks_convert_exactly_between_backends(make_net, seed):
    net = make_net([12, 20, 16, 5], 0.3, seed=seed, activation="tanh")
    sparse = net.to_backend("sparse")
    assert sparse.backend == "sparse" and net.backend == "masked"
    assert isinstance(sparse.layers[0], SparseLinear) and sparse.n_connections() == net.n_connections()
    back = sparse.to_backend("masked")
    for a, b in zip(net.layers, back.layers):
        assert torch.equal(a.weight, b.weight) and torch.equal(a.mask, b.mask) and torch.equal(a.bias, b.bias)
    x = torch.randn(9, 12, generator=torch.Generator().manual_seed(seed))
    torch.testing.assert_close(sparse(x), net(x), rtol=1e-5, atol=1e-5)
    assert torch.equal(back(x), net(x))


@pytest.mark.parametrize("backend", ["masked", "sparse"])
def test_graph_round_trip_for_each_backend(make_net, backend):
    net = make_net([6, 8, 3], 0.4, seed=5).to_backend(backend)
    G = to_graph(net)
    assert nx.utils.graphs_equal(G, to_graph(net.to_backend("masked")))  # the same graph from either backend
    back = from_graph(G, backend=backend)
    assert back.backend == backend
    a, b = Checkpoint.from_model(net), Checkpoint.from_model(back)
    for x, y in zip(a.weights + a.biases + a.masks, b.weights + b.biases + b.masks):
        assert (x == y).all()
    edited = grow(prune(G, 0.3, criterion="magnitude"), 2, rng=0)  # graph edits, then back to a sparse net
    rebuilt = from_graph(edited, backend=backend)
    assert rebuilt.n_connections() == edited.number_of_edges()


@pytest.mark.parametrize("edit", [lambda m: evolve_(m, zeta=0.3), lambda m: prune_to_density_(m, 0.1), remove_dead_])
def test_in_place_edits_refuse_a_sparse_network(make_net, edit):
    net = make_net([6, 8, 3], 0.4, seed=1).to_backend("sparse")
    with pytest.raises(ParameterError, match="which a 'sparse' network does not keep; run it on model.to_backend"):
        edit(net)


def test_dense_gradients_of_a_sparse_network(make_net):
    net = make_net([6, 8, 3], 0.4, seed=2)
    x, y = torch.randn(5, 6, generator=torch.Generator().manual_seed(0)), torch.tensor([0, 1, 2, 1, 0])
    for a, b in zip(dense_gradients(net.to_backend("sparse"), x, y), dense_gradients(net, x, y)):
        torch.testing.assert_close(a, b)


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_optimizer_steps_follow_the_masked_network(make_net, optimizer):
    """SGD with momentum and weight decay (or Adam) on the values = the same on the masked weights."""
    net = make_net([10, 12, 4], 0.3, seed=3)
    sparse = net.to_backend("sparse")
    make = {
        "sgd": lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.9, weight_decay=2e-4),
        "adam": lambda p: torch.optim.Adam(p, lr=1e-3, weight_decay=2e-4),
    }[optimizer]
    opt_m, opt_s = make(net.parameters()), make(sparse.parameters())
    gen = torch.Generator().manual_seed(7)
    for _ in range(5):
        x, y = torch.randn(8, 10, generator=gen), torch.randint(0, 4, (8,), generator=gen)
        for model, opt in ((net, opt_m), (sparse, opt_s)):
            opt.zero_grad()
            torch.nn.functional.cross_entropy(model(x), y).backward()
            opt.step()
    for a, b in zip(net.layers, sparse.layers):
        torch.testing.assert_close(b.dense_weight(), a.dense_weight(), rtol=1e-5, atol=1e-6)


def test_zero_connection_layer_outputs_its_bias():
    layer = SparseLinear.from_dense(
        torch.zeros(3, 4), torch.zeros(3, 4, dtype=torch.bool), bias=torch.tensor([1.0, 2.0, 3.0])
    )
    x = torch.randn(2, 4, requires_grad=True)
    y = layer(x)
    assert y.tolist() == [[1.0, 2.0, 3.0]] * 2
    y.sum().backward()
    assert x.grad.abs().sum() == 0 and layer.values.grad.numel() == 0


def test_sparse_network_state_dict_round_trip(make_net, tmp_path):
    sparse = make_net([6, 8, 3], 0.4, seed=4).to_backend("sparse")
    torch.save(sparse.state_dict(), tmp_path / "s.pt")
    other = SparseMLP([6, 8, 3], masks=sparse.masks, backend="sparse")
    other.load_state_dict(torch.load(tmp_path / "s.pt", weights_only=True))
    x = torch.randn(3, 6)
    assert torch.equal(other(x), sparse(x))
