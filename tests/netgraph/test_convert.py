import networkx as nx
import numpy as np
import pytest
import torch

from netgraph import GraphContractError, SparseMLP, from_graph, graph_to_checkpoint, save_checkpoint, to_graph
from netgraph.checkpoint import Checkpoint


def test_hand_set_231_exact_graph(net_231):
    G = to_graph(net_231)
    assert sorted(G.edges(data="weight")) == [
        ((0, 0), (1, 0), 1.5),
        ((0, 0), (1, 2), 0.5),
        ((0, 1), (1, 1), -2.0),
        ((0, 1), (1, 2), 0.0),  # present connection of weight 0 is an edge
        ((1, 0), (2, 0), 3.0),
        ((1, 2), (2, 0), -1.0),
    ]
    assert dict(G.nodes(data=True)) == {
        (0, 0): {"layer": 0, "index": 0, "role": "input", "bias": 0.0},
        (0, 1): {"layer": 0, "index": 1, "role": "input", "bias": 0.0},
        (1, 0): {"layer": 1, "index": 0, "role": "hidden", "bias": pytest.approx(0.1)},
        (1, 1): {"layer": 1, "index": 1, "role": "hidden", "bias": pytest.approx(0.2)},
        (1, 2): {"layer": 1, "index": 2, "role": "hidden", "bias": pytest.approx(-0.3)},
        (2, 0): {"layer": 2, "index": 0, "role": "output", "bias": 0.5},
    }
    assert G.graph == {"layer_sizes": [2, 3, 1], "activation": "relu", "has_bias": True, "meta": {}}
    assert not G.has_edge((1, 1), (2, 0))  # masked out although W[0, 1] = 9.0


def test_node_labels_and_weights_are_python_types(net_231):
    G = to_graph(net_231)
    for u, v, w in G.edges(data="weight"):
        assert type(u[0]) is int and type(u[1]) is int and type(v[1]) is int
        assert type(w) is float


def test_isolated_nodes_are_present():
    net = SparseMLP([3, 2], masks=[torch.zeros(2, 3, dtype=torch.bool)])
    G = to_graph(net)
    assert G.number_of_nodes() == 5 and G.number_of_edges() == 0


@pytest.mark.parametrize("sizes", [(5, 4, 3), (8, 16, 16, 4), (1, 1), (10, 3, 7, 2, 5)])
@pytest.mark.parametrize("density", [0.0, 0.3, 1.0])
@pytest.mark.parametrize("activation", ["relu", "tanh"])
def test_model_graph_model_round_trip(make_net, sizes, density, activation):
    net = make_net(list(sizes), density, seed=len(sizes), activation=activation)
    G = to_graph(net)
    assert G.number_of_edges() == net.n_connections()
    back = from_graph(G)
    for a, b in zip(net.layers, back.layers):
        assert torch.equal(a.mask, b.mask)
        assert torch.equal(a.weight * a.mask, b.weight)
        assert torch.equal(a.bias, b.bias)
    x = torch.randn(16, sizes[0])
    assert torch.equal(net(x), back(x))
    assert back.activation == activation


def test_round_trip_through_file_keeps_meta(tmp_path, make_net):
    net = make_net([4, 6, 2], 0.5)
    path = save_checkpoint(net, tmp_path / "n.pt", meta={"seed": 9, "method": "strategic"})
    G = to_graph(path)
    assert G.graph["meta"]["seed"] == 9
    ckpt = graph_to_checkpoint(G)
    assert ckpt.meta["method"] == "strategic"


def test_edits_on_the_graph_come_back(net_231):
    G = to_graph(net_231)
    G.remove_edge((0, 0), (1, 0))
    G.add_edge((0, 1), (1, 0), weight=4.0)
    G.nodes[(2, 0)]["bias"] = -1.0
    back = from_graph(G)
    assert back.layers[0].mask.tolist() == [[False, True], [False, True], [True, True]]
    assert back.layers[0].weight[0, 1].item() == 4.0
    assert back.layers[1].bias.item() == -1.0


def test_layer_sizes_from_nodes_when_graph_attribute_missing():
    G = nx.DiGraph()
    G.add_weighted_edges_from([((0, 0), (1, 1), 2.0), ((1, 0), (2, 0), -1.0)])
    ckpt = graph_to_checkpoint(G)
    assert ckpt.layer_sizes == (1, 2, 1)
    assert ckpt.weights[0].tolist() == [[0.0], [2.0]]
    assert ckpt.activation == "relu"


def _graph(edges, **graph):
    G = nx.DiGraph(**graph)
    G.add_edges_from(edges)
    return G


@pytest.mark.parametrize(
    ("G", "message"),
    [
        (_graph([("a", "b")]), r"node 'a' is not a \(layer, index\) pair"),
        (
            _graph([((0, 0), (2, 0), {"weight": 1.0})], layer_sizes=[1, 1, 1]),
            r"edge \(0, 0\) -> \(2, 0\) does not go from layer l to layer l \+ 1",
        ),
        (_graph([((0, 0), (1, 0))]), r"edge \(0, 0\) -> \(1, 0\) has no 'weight' attribute"),
        (
            _graph([((0, 0), (1, 5), {"weight": 1.0})], layer_sizes=[1, 2]),
            r"node \(1, 5\) lies outside layer_sizes \[1, 2\]",
        ),
        (_graph([((1, 0), (0, 0), {"weight": 1.0})]), "does not go from layer l to layer l"),
        (nx.DiGraph(), "no nodes"),
        (_graph([((0, 0), (2, 0), {"weight": 1.0})]), "layer 1 has no nodes"),
    ],
)
def test_bad_graphs(G, message):
    with pytest.raises(GraphContractError, match=message):
        from_graph(G)


def test_checkpoint_counts(net_231):
    ckpt = Checkpoint.from_model(net_231)
    assert ckpt.n_connections() == 6 and ckpt.n_connections(layer=0) == 4
    assert ckpt.density() == pytest.approx(6 / 9)
    assert np.all(ckpt.weights[0][~ckpt.masks[0]] == 0)


def _multi():
    G = nx.MultiDiGraph(layer_sizes=[1, 1])
    G.add_edge((0, 0), (1, 0), weight=1.0)
    G.add_edge((0, 0), (1, 0), weight=2.0)
    return G


def _with(attr, value):
    G = _graph([((0, 0), (1, 0), {"weight": 1.0})], layer_sizes=[1, 1])
    G.graph[attr] = value
    return G


@pytest.mark.parametrize(
    ("G", "message"),
    [
        (_multi(), "G is a MultiDiGraph: parallel edges would give one connection several weights"),
        (nx.Graph([((0, 0), (1, 0))]), "G is an undirected Graph"),
        ("not a graph", "G is a str, expected a networkx.DiGraph"),
        (_with("layer_sizes", "342"), r"node \(1, 0\) lies outside layer_sizes \[342\]"),
        (_with("layer_sizes", "3;4"), r"G.graph\['layer_sizes'\] is '3;4', expected a list of ints"),
        (_with("layer_sizes", ["1", "1"]), r"G.graph\['layer_sizes'\] is \['1', '1'\]"),
        (_graph([], layer_sizes=[1, 0, 1]), "layer 1 has width 0"),
        (_with("has_bias", "False"), "has_bias is 'False', expected True or False"),
        (_with("activation", "softmax"), "activation 'softmax' is not one of"),
        (_with("meta", [1, 2]), "meta is list, expected a JSON object"),
        (
            _graph([((0, 0), (1, 0), {"weight": "1.5"})]),
            r"edge \(0, 0\) -> \(1, 0\) has weight '1.5', expected a real number",
        ),
        (_graph([((0, 0), (1, 0), {"weight": 1j})]), "has weight 1j, expected a real number"),
    ],
)
def test_bad_graphs_are_refused_not_misread(G, message):
    with pytest.raises(GraphContractError, match=message):
        from_graph(G)


def test_non_numeric_bias_is_refused():
    G = _graph([((0, 0), (1, 0), {"weight": 1.0})], layer_sizes=[1, 1])
    G.nodes[(1, 0)]["bias"] = "0.5"
    with pytest.raises(GraphContractError, match=r"node \(1, 0\) has bias '0.5', expected a real number"):
        from_graph(G)


def test_export_string_layer_sizes_are_read():
    G = _graph([((0, 0), (1, 2), {"weight": 1.0})], layer_sizes="1,3")
    assert graph_to_checkpoint(G).layer_sizes == (1, 3)


@pytest.mark.parametrize(
    ("kind", "activation", "expected"), [("classifier", "logistic", "sigmoid"), ("regressor", "tanh", "tanh")]
)
def test_fitted_sklearn_mlp_becomes_a_graph(kind, activation, expected):
    import warnings

    import torch
    from sklearn.neural_network import MLPClassifier, MLPRegressor

    rng = np.random.default_rng(0)
    X = rng.standard_normal((40, 4))
    est = (MLPClassifier if kind == "classifier" else MLPRegressor)(
        hidden_layer_sizes=(6, 5), activation=activation, max_iter=30, random_state=0
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # not converged after 30 iterations
        est.fit(X, rng.integers(0, 3, 40) if kind == "classifier" else rng.standard_normal((40, 2)))
    G = to_graph(est)
    assert G.graph["layer_sizes"] == [4, 6, 5, 3 if kind == "classifier" else 2]
    assert G.graph["activation"] == expected and G.graph["meta"]["sklearn_class"].endswith(type(est).__name__)
    assert G.edges[(0, 1), (1, 2)]["weight"] == pytest.approx(est.coefs_[0][1, 2])
    assert G.nodes[(2, 4)]["bias"] == pytest.approx(est.intercepts_[1][4])
    net = from_graph(G)
    x = torch.as_tensor(X[:5], dtype=torch.float32)
    logits = net(x).detach().numpy()
    if kind == "classifier":  # softmax of the logits is sklearn's predict_proba
        proba = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
        np.testing.assert_allclose(proba, est.predict_proba(X[:5]), atol=1e-5)
    else:
        np.testing.assert_allclose(logits, est.predict(X[:5]), atol=1e-5)


def test_unfitted_sklearn_mlp_is_refused():
    from sklearn.neural_network import MLPClassifier

    from netgraph import CheckpointError

    with pytest.raises(CheckpointError, match="MLPClassifier is not fitted"):
        to_graph(MLPClassifier())
