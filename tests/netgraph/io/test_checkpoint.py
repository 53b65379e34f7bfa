import json
import os
import pickle

import numpy as np
import pytest
import torch
from safetensors.torch import save_file
from torch import nn
from torch.nn.utils import prune

from netgraph import CheckpointError, ParameterError, __version__, load_checkpoint, save_checkpoint, to_graph
from netgraph.checkpoint import Checkpoint, as_checkpoint


def _assert_same_arrays(a, b):
    assert a.layer_sizes == b.layer_sizes
    for x, y in zip(a.weights + a.biases + a.masks, b.weights + b.biases + b.masks):
        np.testing.assert_array_equal(x, y)


@pytest.mark.parametrize("suffix", [".pt", ".safetensors"])
def test_save_load_round_trip(tmp_path, make_net, suffix):
    net = make_net([6, 5, 4, 3], 0.5, seed=3)
    with torch.no_grad():  # a present connection of weight exactly 0 must survive
        net.layers[0].mask[0, 0] = True
        net.layers[0].weight[0, 0] = 0.0
    path = save_checkpoint(net, tmp_path / f"net{suffix}", meta={"seed": 3, "metrics": {"acc": 0.5}})
    ckpt = load_checkpoint(path)
    _assert_same_arrays(ckpt, Checkpoint.from_model(net))
    assert ckpt.masks[0][0, 0] and ckpt.weights[0][0, 0] == 0.0
    assert ckpt.meta == {"seed": 3, "metrics": {"acc": 0.5}, "netgraph_version": __version__}
    assert ckpt.source_format == ("netgraph" if suffix == ".pt" else "safetensors:netgraph")
    x = torch.randn(7, 6)
    assert torch.equal(ckpt.to_model()(x), net(x))


def test_train_state_round_trip(tmp_path, net_231):
    opt = torch.optim.SGD(net_231.parameters(), lr=0.1, momentum=0.9)
    net_231(torch.ones(2, 2)).sum().backward()
    opt.step()
    state = {"optimizer": opt.state_dict(), "numpy": np.random.default_rng(0).bit_generator.state, "epoch": 4}
    ckpt = load_checkpoint(save_checkpoint(net_231, tmp_path / "a.pt", train_state=state))
    assert ckpt.train_state["epoch"] == 4
    assert ckpt.train_state["numpy"] == state["numpy"]
    assert torch.equal(
        ckpt.train_state["optimizer"]["state"][0]["momentum_buffer"], state["optimizer"]["state"][0]["momentum_buffer"]
    )


def test_save_is_atomic(tmp_path, net_231, monkeypatch):
    path = save_checkpoint(net_231, tmp_path / "a.pt", meta={"version": 1})

    def broken_save(obj, f):
        f.write(b"PK\x03\x04 half a file")
        raise KeyboardInterrupt

    monkeypatch.setattr(torch, "save", broken_save)
    with pytest.raises(KeyboardInterrupt):
        save_checkpoint(net_231, path, meta={"version": 2})
    assert load_checkpoint(path).meta["version"] == 1
    assert sorted(os.listdir(tmp_path)) == ["a.pt"]


def test_meta_must_be_json(tmp_path, net_231):
    with pytest.raises(ParameterError, match="meta must be JSON-serialisable"):
        save_checkpoint(net_231, tmp_path / "a.pt", meta={"x": object()})
    assert not (tmp_path / "a.pt").exists()


class _Evil:
    def __reduce__(self):
        return (os.system, (f"touch {os.environ['NETGRAPH_TEST_MARKER']}",))


@pytest.mark.parametrize("writer", ["torch", "pickle"])
def test_code_in_pickle_never_runs(tmp_path, monkeypatch, writer):
    marker = tmp_path / "pwned"
    monkeypatch.setenv("NETGRAPH_TEST_MARKER", str(marker))
    path = tmp_path / "evil.pt"
    payload = {"0.weight": torch.ones(2, 2), "x": _Evil()}
    if writer == "torch":
        torch.save(payload, path)
    else:
        with open(path, "wb") as f:
            pickle.dump(payload, f, protocol=2)
    with pytest.raises(CheckpointError, match="evil.pt"):
        load_checkpoint(path)
    assert not marker.exists()


def test_whole_module_is_refused_with_advice(tmp_path):
    path = tmp_path / "model.pt"
    torch.save(nn.Sequential(nn.Linear(3, 2)), path)
    with pytest.raises(
        CheckpointError, match=r"model.pt: holds pickled Python objects.*torch.save\(model.state_dict\(\), path\)"
    ):
        load_checkpoint(path)


# ----------------------------------------------------------------- foreign checkpoints


class _FC(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1, self.fc2, self.fc3 = nn.Linear(5, 4), nn.Linear(4, 3), nn.Linear(3, 2)

    def forward(self, x):
        return self.fc3(torch.relu(self.fc2(torch.relu(self.fc1(x)))))


class _Layers(nn.Module):
    def __init__(self):
        super().__init__()
        self.layers = nn.ModuleList([nn.Linear(5, 4), nn.Linear(4, 2)])

    def forward(self, x):
        return self.layers[1](torch.relu(self.layers[0](x)))


def _sequential():
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(5, 4), nn.ReLU(), nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2))


def _pruned():
    model = _sequential()
    for idx in (0, 2, 4):
        prune.l1_unstructured(model[idx], "weight", amount=0.5)
    return model


def _effective(model):
    return [m.weight.detach() for m in model.modules() if isinstance(m, nn.Linear)]


@pytest.mark.parametrize(
    ("factory", "fmt", "sizes"),
    [
        (_sequential, "state_dict", (5, 4, 3, 2)),
        (_FC, "state_dict", (5, 4, 3, 2)),
        (_Layers, "state_dict", (5, 4, 2)),
        (_pruned, "torch-prune", (5, 4, 3, 2)),
    ],
)
@pytest.mark.parametrize("suffix", [".pt", ".safetensors"])
def test_foreign_state_dicts(tmp_path, factory, fmt, sizes, suffix):
    model = factory()
    path = tmp_path / f"m{suffix}"
    sd = model.state_dict()
    if suffix == ".pt":
        torch.save(sd, path)
    else:
        save_file({k: v.contiguous() for k, v in sd.items()}, path)
    ckpt = load_checkpoint(path)
    assert ckpt.layer_sizes == sizes
    assert ckpt.source_format == (fmt if suffix == ".pt" else f"safetensors:{fmt}")
    for w, m, ref in zip(ckpt.weights, ckpt.masks, _effective(model)):
        np.testing.assert_array_equal(w, ref.numpy())
        np.testing.assert_array_equal(m, ref.numpy() != 0)
    x = torch.randn(8, 5)
    with torch.no_grad():
        assert torch.allclose(ckpt.to_model()(x), model(x), atol=1e-6)
    G = to_graph(path)
    assert G.number_of_edges() == sum(int((w != 0).sum()) for w in _effective(model))


def test_pruned_mask_defines_edges_even_where_weight_orig_is_zero(tmp_path):
    lin = nn.Linear(3, 2)
    prune.custom_from_mask(lin, "weight", torch.tensor([[1, 1, 0], [0, 1, 1]]))
    with torch.no_grad():
        lin.weight_orig[0, 0] = 0.0
    torch.save(lin.state_dict(), tmp_path / "p.pt")
    ckpt = load_checkpoint(tmp_path / "p.pt")
    assert ckpt.masks[0].tolist() == [[True, True, False], [False, True, True]]
    assert ckpt.weights[0][0, 0] == 0.0
    assert to_graph(ckpt).has_edge((0, 0), (1, 0))


def test_wrapped_state_dict_and_missing_biases(tmp_path):
    sd = {"fc1.weight": torch.tensor([[1.0, 0.0]]), "fc2.weight": torch.tensor([[2.0]])}
    torch.save({"state_dict": sd, "epoch": 3}, tmp_path / "w.pt")
    ckpt = load_checkpoint(tmp_path / "w.pt")
    assert ckpt.layer_sizes == (2, 1, 1)
    assert [b.tolist() for b in ckpt.biases] == [[0.0], [0.0]]
    assert ckpt.meta["state_dict_key"] == "state_dict"
    assert ckpt.masks[0].tolist() == [[True, False]]


def test_module_activation_is_detected():
    seq = nn.Sequential(nn.Linear(2, 2), nn.Tanh(), nn.Linear(2, 1))
    assert as_checkpoint(seq).activation == "tanh"
    assert as_checkpoint(seq.state_dict()).activation == "relu"
    assert as_checkpoint(seq.state_dict()).meta["activation_assumed"] is True
    assert (
        load_checkpoint.__name__
        and as_checkpoint(seq.state_dict(), activation="tanh").meta["activation_assumed"] is False
    )


def _write(tmp_path, name, content):
    p = tmp_path / name
    if isinstance(content, bytes):
        p.write_bytes(content)
    elif isinstance(content, str):
        p.write_text(content)
    else:
        torch.save(content, p)
    return p


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("empty.pt", b"", "empty.pt: is empty"),
        ("notes.pt", "epoch 3 loss 0.1\n", "notes.pt: is a text file"),
        ("noise.pt", bytes(range(200, 256)) * 4, "noise.pt: is not a PyTorch or safetensors checkpoint"),
        ("empty_sd.pt", {}, "empty_sd.pt: the state_dict is empty"),
        ("list.pt", [torch.ones(2)], "list.pt: holds a list, expected a state_dict"),
        (
            "chain.pt",
            {"0.weight": torch.ones(4, 3), "2.weight": torch.ones(2, 5)},
            r"chain.pt: layer shapes do not chain: 0.weight is \(4, 3\) but 2.weight is \(2, 5\)",
        ),
        (
            "conv.pt",
            {"conv.weight": torch.ones(8, 3, 3, 3), "fc.weight": torch.ones(2, 8)},
            r"conv.pt: conv.weight has shape \(8, 3, 3, 3\) \(a convolution\?\)",
        ),
        (
            "bn.pt",
            {"fc.weight": torch.ones(2, 3), "bn.running_mean": torch.ones(2)},
            r"bn.pt: not a feedforward MLP state_dict: keys that belong to no Linear layer: bn.running_mean \(2,\)",
        ),
        (
            "bias.pt",
            {"fc.weight": torch.ones(2, 3), "fc.bias": torch.ones(3)},
            r"fc.bias has shape \(3,\), expected \(2,\)",
        ),
        ("orig.pt", {"fc.weight_orig": torch.ones(2, 3)}, "fc.weight_orig has no matching fc.weight_mask"),
    ],
)
def test_bad_files(tmp_path, name, content, message):
    with pytest.raises(CheckpointError, match=message):
        load_checkpoint(_write(tmp_path, name, content))


def test_truncated_file(tmp_path, net_231):
    path = save_checkpoint(net_231, tmp_path / "t.pt")
    path.write_bytes(path.read_bytes()[:200])
    with pytest.raises(
        CheckpointError, match=r"t.pt: cannot be read as a PyTorch checkpoint \(truncated or corrupt\?\)"
    ):
        load_checkpoint(path)


def test_truncated_safetensors(tmp_path, net_231):
    path = save_checkpoint(net_231, tmp_path / "t.safetensors")
    path.write_bytes(path.read_bytes()[:-10])
    with pytest.raises(CheckpointError, match="t.safetensors: cannot be read as safetensors"):
        load_checkpoint(path)


def test_missing_and_directory(tmp_path):
    with pytest.raises(CheckpointError, match="nope.pt: no such file"):
        load_checkpoint(tmp_path / "nope.pt")
    with pytest.raises(CheckpointError, match="is a directory"):
        load_checkpoint(tmp_path)


# ----------------------------------------------------------------- damaged fields (issue 8)


def _v1_payload(net, meta=None):
    """The version 1 netgraph checkpoint of ``net`` (dense weights, biases and masks), written by
    hand as netgraph wrote it before format version 2, so the v1 reader stays covered."""
    ckpt = Checkpoint.from_model(net)
    return {
        "format": "netgraph-checkpoint",
        "format_version": 1,
        "layer_sizes": list(ckpt.layer_sizes),
        "activation": ckpt.activation,
        "has_bias": ckpt.has_bias,
        "meta_json": json.dumps(meta or {}, sort_keys=True),
        "weights": [torch.from_numpy(w) for w in ckpt.weights],
        "biases": [torch.from_numpy(b) for b in ckpt.biases],
        "masks": [torch.from_numpy(m) for m in ckpt.masks],
    }


def _native(tmp_path, net_231, name, change):
    """A version 1 netgraph checkpoint of net_231 with one field changed by ``change(obj)``."""
    obj = _v1_payload(net_231)
    change(obj)
    torch.save(obj, tmp_path / name)
    return tmp_path / name


def _set(key, value):
    return lambda obj: obj.__setitem__(key, value)


def _layer(key, fn, l=0):
    def change(obj):
        obj[key] = list(obj[key])
        obj[key][l] = fn(obj[key][l])

    return change


def _width_zero(obj):
    obj["layer_sizes"] = [2, 0, 1]
    obj["weights"] = [torch.zeros(0, 2), torch.zeros(1, 0)]
    obj["biases"] = [torch.zeros(0), torch.zeros(1)]
    obj["masks"] = [torch.zeros(0, 2, dtype=torch.bool), torch.zeros(1, 0, dtype=torch.bool)]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (_set("meta_json", "null"), "meta is NoneType, expected a JSON object"),
        (_set("meta_json", "[1, 2]"), "meta is list, expected a JSON object"),
        (_set("meta_json", "{oops"), "'meta_json' is not valid JSON"),
        (_width_zero, r"layer 1 has width 0 in \[2, 0, 1\]; every layer needs a unit"),
        (_set("has_bias", "yes"), "'has_bias' is 'yes', expected True or False"),
        (_set("has_bias", 1), "'has_bias' is 1, expected True or False"),
        (_set("activation", "swish9"), "activation 'swish9' is not one of relu"),
        (_set("layer_sizes", ["2", "3", "1"]), "'layer_sizes' is .*expected a list of ints"),
        (_set("format_version", "1"), "'format_version' is '1', expected an int"),
        (lambda obj: obj.pop("masks"), "netgraph checkpoint lacks 'masks'"),
        (
            _layer("weights", lambda w: w.to(torch.complex64) + 1j),
            r"weights\[0\] has dtype torch.complex64, expected real floating point",
        ),
        (_layer("weights", lambda w: w.to_sparse()), r"weights\[0\] is a torch.sparse_coo tensor"),
        (_layer("masks", lambda m: m.to(torch.uint8)), r"masks\[0\] has dtype torch.uint8, expected torch.bool"),
        (_layer("masks", torch.zeros_like), "layer 0 has 3 non-zero weights where its mask has no connection"),
        (_layer("weights", lambda w: w.fill_(float("nan"))), "layer 0 has 6 non-finite weights"),
        (_layer("biases", lambda b: b[:2]), r"layer 0 bias has shape \(2,\), expected \(3,\)"),
        (lambda obj: obj.__setitem__("weights", obj["weights"][:1]), "1 weights for 2 layers"),
    ],
)
def test_damaged_native_fields_are_refused(tmp_path, net_231, change, message):
    path = _native(tmp_path, net_231, "bad.pt", change)
    with pytest.raises(CheckpointError, match=f"bad.pt: {message}"):
        load_checkpoint(path)


def test_bias_free_checkpoint_with_biases_is_refused(tmp_path, net_231):
    path = _native(tmp_path, net_231, "bad.pt", _set("has_bias", False))
    with pytest.raises(CheckpointError, match="layer 0 has non-zero biases but has_bias is False"):
        load_checkpoint(path)


def test_save_refuses_what_load_refuses(tmp_path, net_231):
    ckpt = Checkpoint.from_model(net_231)
    with pytest.raises(CheckpointError, match=r"layer 1 has width 0"):
        Checkpoint(**{**ckpt.__dict__, "layer_sizes": (2, 0, 1)})
    with pytest.raises(CheckpointError, match="meta is list"):
        Checkpoint(**{**ckpt.__dict__, "meta": [1]})
    with torch.no_grad():
        net_231.layers[1].weight[0, 0] = float("inf")
    with pytest.raises(CheckpointError, match="net.pt: not saved: layer 1 has 1 non-finite weights"):
        save_checkpoint(net_231, tmp_path / "net.pt")
    assert not (tmp_path / "net.pt").exists()


@pytest.mark.filterwarnings("ignore:Sparse CSR tensor support is in beta")
@pytest.mark.parametrize("layout", ["coo", "csr"])
def test_sparse_tensors_in_a_state_dict_are_read_as_dense(tmp_path, layout):
    seq = _sequential()
    sd = seq.state_dict()
    with torch.no_grad():
        sd["0.weight"][0, :3] = 0.0
    dense = sd["0.weight"].clone()
    sd["0.weight"] = dense.to_sparse() if layout == "coo" else dense.to_sparse_csr()
    torch.save(sd, tmp_path / "s.pt")
    ckpt = load_checkpoint(tmp_path / "s.pt")
    np.testing.assert_array_equal(ckpt.weights[0], dense.numpy())
    assert ckpt.masks[0].sum() == dense.numel() - 3


def test_damaged_sparse_tensor_is_refused(tmp_path):
    bad = torch.sparse_coo_tensor(
        torch.tensor([[0, 5], [0, 9]]), torch.tensor([1.0, 2.0]), (3, 4), check_invariants=False
    )
    torch.save({"0.weight": bad}, tmp_path / "bad.pt")
    with pytest.raises(CheckpointError, match="bad.pt: cannot be read as a PyTorch checkpoint.*size is inconsistent"):
        load_checkpoint(tmp_path / "bad.pt")
    with pytest.raises(CheckpointError, match=r"0.weight is a damaged sparse tensor"):
        as_checkpoint({"0.weight": bad})


def test_bias_free_sequential_has_no_bias(tmp_path):
    seq = nn.Sequential(nn.Linear(4, 3, bias=False), nn.ReLU(), nn.Linear(3, 2, bias=False))
    torch.save(seq.state_dict(), tmp_path / "nb.pt")
    ckpt = load_checkpoint(tmp_path / "nb.pt")
    assert ckpt.has_bias is False
    assert to_graph(ckpt).graph["has_bias"] is False
    assert as_checkpoint(_sequential().state_dict()).has_bias is True


def test_fifo_is_refused_without_opening_it(tmp_path):
    fifo = tmp_path / "net.pt"
    os.mkfifo(fifo)
    with pytest.raises(CheckpointError, match=r"net.pt: is a FIFO \(named pipe\), expected a checkpoint file"):
        load_checkpoint(fifo)  # would block forever if it opened the FIFO


def test_pickled_sklearn_model_gets_sklearn_advice(tmp_path):
    from sklearn.neural_network import MLPClassifier

    clf = MLPClassifier(hidden_layer_sizes=(3,))
    for name, write in (
        ("clf.pkl", lambda p: p.write_bytes(pickle.dumps(clf))),
        ("clf.pt", lambda p: torch.save(clf, p)),
    ):
        path = tmp_path / name
        write(path)
        with pytest.raises(CheckpointError) as info:
            load_checkpoint(path)
        msg = str(info.value)
        assert f"{name}: holds a pickled scikit-learn object (sklearn.neural_network." in msg
        assert "as_checkpoint(clf)" in msg and "state_dict" not in msg
        assert "\n" not in msg


# ----------------------------------------------------------------- format version 2: connections only (issue 10)


def _with_zero_weight(net):
    """``net`` with a present connection of weight exactly 0 at layer 0, (0, 0)."""
    with torch.no_grad():
        net.layers[0].mask[0, 0] = True
        net.layers[0].weight[0, 0] = 0.0
    return net


def _v1_safetensors(net, path, meta=None):
    obj = _v1_payload(net, meta)
    tensors = {}
    for l in range(len(obj["weights"])):
        for key, stem in (("weights", "weight"), ("biases", "bias"), ("masks", "mask")):
            tensors[f"layers.{l}.{stem}"] = obj[key][l].contiguous()
    header = {k: obj[k] for k in ("format", "format_version", "layer_sizes", "activation", "has_bias", "meta_json")}
    metadata = {
        k: json.dumps(v) if k in ("format_version", "layer_sizes", "has_bias") else v for k, v in header.items()
    }
    save_file(tensors, path, metadata=metadata)
    return path


def test_v2_file_holds_csr_layers(tmp_path, net_231):
    obj = torch.load(save_checkpoint(net_231, tmp_path / "a.pt"), weights_only=True)
    assert obj["format_version"] == 2 and "weights" not in obj and "masks" not in obj
    first, second = obj["layers"]
    assert first["crow"].tolist() == [0, 1, 2, 4] and first["col"].tolist() == [0, 1, 0, 1]
    assert first["values"].tolist() == [1.5, -2.0, 0.5, 0.0]  # the present connection of weight 0 is kept
    assert first["bias"].tolist() == pytest.approx([0.1, 0.2, -0.3])
    assert second["crow"].tolist() == [0, 2] and second["col"].tolist() == [0, 2]
    assert first["crow"].dtype == first["col"].dtype == torch.int32 and first["values"].dtype == torch.float32
    from safetensors.torch import load_file

    st = load_file(save_checkpoint(net_231, tmp_path / "a.safetensors"))
    assert sorted(st) == [f"layers.{l}.{k}" for l in (0, 1) for k in ("bias", "col", "crow", "values")]
    assert st["layers.0.col"].tolist() == [0, 1, 0, 1] and st["layers.0.crow"].dtype == torch.int32


def test_v2_indices_widen_to_int64_when_int32_is_too_small(tmp_path, make_net, monkeypatch):
    import netgraph.network as netmod

    net = make_net([6, 5, 3], 0.5, seed=1)
    monkeypatch.setattr(netmod, "INT32_MAX", 4)  # as if the layer had 2^31 connections or inputs
    path = save_checkpoint(net, tmp_path / "a.pt")
    obj = torch.load(path, weights_only=True)
    assert {layer[k].dtype for layer in obj["layers"] for k in ("crow", "col")} == {torch.int64}
    _assert_same_arrays(load_checkpoint(path), Checkpoint.from_model(net))


@pytest.mark.parametrize("suffix", [".pt", ".safetensors"])
@pytest.mark.parametrize("bias", [True, False])
def test_v1_files_still_load_and_give_the_same_graph_as_v2(tmp_path, make_net, suffix, bias):
    net = _with_zero_weight(make_net([6, 5, 4, 3], 0.4, seed=5, activation="tanh", bias=bias))
    meta = {"seed": 5, "metrics": {"acc": 0.5}}
    v1 = tmp_path / f"v1{suffix}"
    if suffix == ".pt":
        torch.save(_v1_payload(net, {**meta, "netgraph_version": __version__}), v1)
    else:
        _v1_safetensors(net, v1, {**meta, "netgraph_version": __version__})
    v2 = save_checkpoint(net, tmp_path / f"v2{suffix}", meta=meta)
    if suffix == ".pt":
        assert torch.load(v2, weights_only=True)["format_version"] == 2
    else:
        from safetensors import safe_open

        with safe_open(v2, "pt") as f:
            assert f.metadata()["format_version"] == "2" and "layers.0.crow" in f.keys()
    a, b = load_checkpoint(v1), load_checkpoint(v2)
    _assert_same_arrays(a, b)
    assert (a.activation, a.has_bias, a.meta, a.source_format) == (b.activation, b.has_bias, b.meta, b.source_format)
    for x, y in zip(a.weights + a.biases + a.masks, b.weights + b.biases + b.masks):
        assert x.dtype == y.dtype
    G1, G2 = to_graph(v1), to_graph(v2)
    assert G1.graph == G2.graph
    assert list(G1.nodes(data=True)) == list(G2.nodes(data=True))
    assert list(G1.edges(data=True)) == list(G2.edges(data=True))
    assert G2.has_edge((0, 0), (1, 0)) and G2.edges[(0, 0), (1, 0)]["weight"] == 0.0


def test_layer_without_connections_round_trips(tmp_path, net_231):
    ckpt = Checkpoint.from_model(net_231)
    empty = Checkpoint(
        ckpt.layer_sizes,
        weights=(ckpt.weights[0], np.zeros((1, 3), np.float32)),
        biases=ckpt.biases,
        masks=(ckpt.masks[0], np.zeros((1, 3), bool)),
        meta=ckpt.meta,
    )
    for suffix in (".pt", ".safetensors"):
        back = load_checkpoint(save_checkpoint(empty, tmp_path / f"e{suffix}"))
        assert back.n_connections(layer=1) == 0
        _assert_same_arrays(back, empty)


def test_mnist_sized_checkpoints_meet_the_size_targets(tmp_path):
    """784-1000-1000-1000-10 at SET's epsilon = 20: final.pt <= 3 MB (14 MB dense), and <= 6 MB
    with one float32 of optimizer state per connection (issue 10)."""
    from netgraph import SparseMLP
    from netgraph.topology.initial import init_masks

    sizes = [784, 1000, 1000, 1000, 10]
    net = SparseMLP(sizes, masks=init_masks(sizes, epsilon=20, rng=0))
    final = save_checkpoint(net, tmp_path / "final.pt")
    assert final.stat().st_size <= 3_000_000
    assert save_checkpoint(net, tmp_path / "final.safetensors").stat().st_size <= 3_000_000
    momentum = [{"momentum": torch.zeros(layer.n_connections())} for layer in net.layers]
    epoch = save_checkpoint(net, tmp_path / "epoch-001.pt", train_state={"optimizer": momentum})
    assert epoch.stat().st_size <= 6_000_000
    back = load_checkpoint(epoch)
    assert back.n_connections() == net.n_connections()
    assert [t["momentum"].numel() for t in back.train_state["optimizer"]] == [
        layer.n_connections() for layer in net.layers
    ]


@pytest.mark.parametrize("suffix", [".pt", ".safetensors"])
def test_sparse_backend_model_saves_and_loads(tmp_path, make_net, suffix):
    from netgraph import SparseMLP

    masked = _with_zero_weight(make_net([7, 6, 5, 3], 0.4, seed=8))
    sparse = masked.to_backend("sparse")
    path = save_checkpoint(sparse, tmp_path / f"s{suffix}", meta={"seed": 8})
    ckpt = load_checkpoint(path)
    _assert_same_arrays(ckpt, Checkpoint.from_model(masked))
    assert ckpt.masks[0][0, 0] and ckpt.weights[0][0, 0] == 0.0
    x = torch.randn(9, 7)
    back = ckpt.to_model(backend="sparse")
    assert back.backend == "sparse" and back.n_connections() == masked.n_connections()
    with torch.no_grad():
        torch.testing.assert_close(back(x), masked(x))
        assert torch.equal(ckpt.to_model()(x), masked(x))
    built = SparseMLP([4, 3, 2], masks=[torch.eye(3, 4, dtype=torch.bool), torch.ones(2, 3)], backend="sparse")
    again = load_checkpoint(save_checkpoint(built, tmp_path / f"b{suffix}"))
    _assert_same_arrays(again, Checkpoint.from_model(built.to_backend("masked")))
    assert again.n_connections() == 9


def _native_v2(tmp_path, net_231, name, change):
    """A version 2 netgraph checkpoint of net_231 with one field changed by ``change(obj)``.

    net_231's layer 0 is stored as crow [0, 1, 2, 4], col [0, 1, 0, 1], values [1.5, -2, 0.5, 0]."""
    obj = torch.load(save_checkpoint(net_231, tmp_path / "ok.pt"), weights_only=True)
    change(obj)
    torch.save(obj, tmp_path / name)
    return tmp_path / name


def _csr(key, value, l=0):
    def change(obj):
        if value is None:
            del obj["layers"][l][key]
        else:
            obj["layers"][l][key] = value(obj["layers"][l][key]) if callable(value) else value

    return change


def _i32(values):
    return torch.tensor(values, dtype=torch.int32)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (_csr("crow", _i32([1, 1, 2, 4])), r"layers\[0\].crow starts at 1, expected 0"),
        (_csr("crow", _i32([0, 1, 2, 3])), r"layers\[0\].crow ends at 3, expected 4 \(the number of values\)"),
        (_csr("crow", _i32([0, 3, 2, 4])), r"layers\[0\].crow decreases at row 1 \(from 3 to 2\)"),
        (_csr("crow", _i32([0, -5, 2, 4])), r"layers\[0\].crow\[1\] is -5, outside \[0, 4\]"),
        (
            _csr("crow", torch.tensor([0, 2**62, -(2**62), 4])),  # diffs would overflow: ranges come first
            r"layers\[0\].crow\[1\] is 4611686018427387904, outside \[0, 4\]",
        ),
        (_csr("crow", _i32([0, 1, 4])), r"layers\[0\].crow has 3 entries, expected 4 \(n_out \+ 1 for 3 units\)"),
        (_csr("col", _i32([0, 2, 0, 1])), r"layers\[0\].col\[1\] is 2, outside \[0, 2\) \(the layer's input width\)"),
        (_csr("col", _i32([-1, 1, 0, 1])), r"layers\[0\].col\[0\] is -1, outside \[0, 2\)"),
        (
            _csr("col", _i32([0, 1, 1, 0])),
            r"layers\[0\].col is not strictly increasing in row 2 \(position 3: 0 after 1\): a connection out of order",
        ),
        (_csr("col", _i32([0, 1, 1, 1])), r"layers\[0\].col is not strictly increasing in row 2 .*listed twice"),
        (_csr("col", _i32([0, 1, 0])), r"layers\[0\].col has 3 entries, expected 4 \(one per value\)"),
        (_csr("values", lambda v: v[:3]), r"layers\[0\].col has 4 entries, expected 3 \(one per value\)"),
        (_csr("bias", lambda b: b[:2]), r"layers\[0\].bias has 2 entries, expected 3 \(one per unit\)"),
        (_csr("crow", lambda c: c.float()), r"layers\[0\].crow has dtype torch.float32, expected an integer dtype"),
        (_csr("col", lambda c: c.bool()), r"layers\[0\].col has dtype torch.bool, expected an integer dtype"),
        (_csr("values", lambda v: v.long()), r"layers\[0\].values has dtype torch.int64, expected real floating point"),
        (_csr("bias", lambda b: b.to(torch.complex64)), r"layers\[0\].bias has dtype torch.complex64, expected real"),
        (_csr("col", lambda c: c.reshape(2, 2)), r"layers\[0\].col has shape \(2, 2\), expected 1 dimension"),
        (_csr("values", lambda v: v.to_sparse()), r"layers\[0\].values is a torch.sparse_coo tensor"),
        (_csr("col", [0, 1, 0, 1]), r"layers\[0\].col is a list, expected a tensor"),
        (_csr("col", None), r"layers\[0\] lacks 'col' \(damaged file\?\)"),
        (_csr("values", lambda v: v.fill_(float("nan"))), "layer 0 has 4 non-finite weights"),
        (_set("layers", []), r"'layers' holds 0 layers, expected 2 for \[2, 3, 1\]"),
        (lambda obj: obj["layers"].__setitem__(1, [1, 2]), r"layers\[1\] is a list, expected a dict of tensors"),
        (lambda obj: obj.pop("layers"), "netgraph checkpoint lacks 'layers'"),
        (_set("layer_sizes", [1, 3, 1]), r"layers\[0\].values has 4 entries, more than the 3 connections"),
        (_csr("col", lambda c: c.fill_(5)), r"layers\[0\].col\[0\] is 5, outside \[0, 2\)"),
        (_set("layer_sizes", [2, 3, 2]), r"layers\[1\].crow has 2 entries, expected 3"),
        (_set("layer_sizes", [2, 0, 1]), r"layer 1 has width 0 in \[2, 0, 1\]; every layer needs a unit"),
        (_set("layer_sizes", [2]), r"layer_sizes \(2,\): expected a tuple of at least two ints"),
        (_set("format_version", 3), "checkpoint format version 3 is newer than this netgraph understands"),
        (_set("format_version", 0), "checkpoint format version 0 is unknown"),
    ],
)
def test_damaged_v2_fields_are_refused(tmp_path, net_231, change, message):
    path = _native_v2(tmp_path, net_231, "bad.pt", change)
    with pytest.raises(CheckpointError, match=f"bad.pt: {message}"):
        load_checkpoint(path)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda t: t.__setitem__("layers.1.col", _i32([0, 3])), r"layers\[1\].col\[1\] is 3, outside \[0, 3\)"),
        (lambda t: t.pop("layers.1.crow"), "netgraph safetensors file is incomplete: missing 'layers.1.crow'"),
    ],
)
def test_damaged_v2_safetensors_are_refused(tmp_path, net_231, change, message):
    from safetensors import safe_open
    from safetensors.torch import load_file

    path = save_checkpoint(net_231, tmp_path / "ok.safetensors")
    with safe_open(path, "pt") as f:
        metadata = f.metadata()
    tensors = load_file(path)
    change(tensors)
    save_file(tensors, tmp_path / "bad.safetensors", metadata=metadata)
    with pytest.raises(CheckpointError, match=f"bad.safetensors: {message}"):
        load_checkpoint(tmp_path / "bad.safetensors")


def test_huge_claimed_input_width_is_refused_not_allocated(tmp_path, net_231):
    path = _native_v2(tmp_path, net_231, "bad.pt", _set("layer_sizes", [2**40, 3, 1]))
    with pytest.raises(CheckpointError, match=r"bad.pt: implies dense arrays of 3,298,534,883,331 elements"):
        load_checkpoint(path)


# ----------------------------------------------------------------- issue 16: what a file declares, what it holds


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (  # 2.4 KB declaring 3e8 inputs: refused before 1.7 GB are allocated
            _set("layer_sizes", [300_000_000, 3, 1]),
            r"bad.pt: implies dense arrays of 900,000,003 elements \(about 4.2 GiB\) but holds [\d,]+ bytes",
        ),
        (
            _set("layer_sizes", [3_000_000, 3, 1]),
            r"bad.pt: implies dense arrays of 9,000,003 elements|implies 3,000,004 units",
        ),
        (
            _set("meta_json", "[" * 50_000 + "]" * 50_000),
            r"bad.pt: 'meta_json' is not valid JSON \(nested deeper than 64",
        ),
        (_csr("values", lambda v: v.requires_grad_(True)), None),  # tensors saved with requires_grad read as any
        (_csr("values", lambda v: torch.empty(4, device="meta")), r"layers\[0\].values is a tensor on the meta device"),
        (_csr("values", lambda v: torch.ones(1).expand(7)), r"layers\[0\].values has 7 entries, more than the 6"),
    ],
)
def test_a_native_file_costs_what_it_holds(tmp_path, net_231, change, message):
    path = _native_v2(tmp_path, net_231, "bad.pt", change)
    if message is None:
        assert load_checkpoint(path).n_connections() == 6
        return
    with pytest.raises(CheckpointError, match=message):
        load_checkpoint(path)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (  # 1.5 KB holding a view of one float as 20000 x 25000
            {"0.weight": torch.ones(1, 1).expand(20_000, 25_000)},
            r"sd.pt: implies dense arrays of 500,000,000 elements",
        ),
        (  # 1 KB sparse tensor of 16000 x 16000
            {
                "0.weight": torch.sparse_coo_tensor(
                    torch.tensor([[0], [0]]), torch.tensor([1.0]), (16_000, 16_000), check_invariants=True
                )
            },
            r"sd.pt: implies dense arrays of 256,000,000 elements",
        ),
        ({"0.weight": torch.empty(3, 4, device="meta")}, "sd.pt: 0.weight is a tensor on the meta device"),
        ({0: torch.ones(3, 4)}, "sd.pt: the state_dict has a key 0 of type int; state_dict keys are names"),
        (
            {"0.weight_orig": torch.ones(3, 4), "0.weight_mask": torch.full((3, 4), 0.5)},
            r"sd.pt: 0.weight_mask holds 12 values that are neither 0 nor 1 \(e.g. 0.5\)",
        ),
        (
            {"0.weight_orig": torch.ones(3, 4), "0.weight_mask": torch.tensor([[1.0, float("nan"), 0, 1]] * 3)},
            r"sd.pt: 0.weight_mask holds 3 values that are neither 0 nor 1 \(e.g. nan\)",
        ),
        (
            {
                "0.weight_orig": torch.ones(3, 4),
                "0.weight_mask": torch.ones(3, 4),
                "0.bias_orig": torch.ones(3),
                "0.bias_mask": torch.ones(5),
            },
            r"sd.pt: 0.bias_mask has shape \(5,\), expected \(3,\) \(that of 0.bias_orig\)",
        ),
        ({"0.weight": torch.ones(3, 4), "0.bias_mask": torch.ones(3)}, "0.bias_mask has no matching 0.bias_orig"),
    ],
)
def test_state_dicts_that_would_be_misread_are_refused(tmp_path, content, message):
    torch.save(content, tmp_path / "sd.pt")
    with pytest.raises(CheckpointError, match=message):
        load_checkpoint(tmp_path / "sd.pt")


def test_requires_grad_tensors_read_as_the_others(tmp_path):
    sd = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2)).state_dict(keep_vars=True)
    assert all(t.requires_grad for t in sd.values())
    torch.save(sd, tmp_path / "rg.pt")
    assert load_checkpoint(tmp_path / "rg.pt").layer_sizes == (4, 3, 2)
    assert as_checkpoint(sd).n_connections() == 18


def test_a_0_1_mask_of_floats_is_read(tmp_path):
    sd = {"0.weight_orig": torch.tensor([[1.0, 2.0]]), "0.weight_mask": torch.tensor([[1.0, 0.0]])}
    assert as_checkpoint(sd).masks[0].tolist() == [[True, False]]


def test_read_limit_lets_a_genuine_large_network_through(tmp_path, net_231):
    path = _native_v2(tmp_path, net_231, "big.pt", _set("layer_sizes", [3_000_000, 3, 1]))
    with pytest.raises(CheckpointError, match="raise it with NETGRAPH_MAX_DENSE=N"):
        load_checkpoint(path)
    from netgraph.fileio import read_limit

    with read_limit(10**8):
        assert load_checkpoint(path).layer_sizes == (3_000_000, 3, 1)


def test_deeply_nested_safetensors_metadata_is_refused(tmp_path, net_231):
    from safetensors.torch import load_file

    path = save_checkpoint(net_231, tmp_path / "n.safetensors")
    tensors = load_file(path)
    from safetensors import safe_open

    with safe_open(path, "pt") as f:
        metadata = f.metadata()
    metadata["layer_sizes"] = "[" * 1000 + "]" * 1000
    save_file(tensors, tmp_path / "deep.safetensors", metadata=metadata)
    with pytest.raises(CheckpointError, match=r"deep.safetensors: metadata 'layer_sizes' is not valid JSON \(nested"):
        load_checkpoint(tmp_path / "deep.safetensors")


def test_graphml_with_a_long_prolog_is_recognised(tmp_path, net_231):
    """A comment of 2 KB before the root element: still GraphML, not "a text file"."""
    from netgraph.export import export

    path = export(net_231, tmp_path / "n.graphml")
    text = path.read_text().replace("?>", "?>\n<!-- " + "x" * 2000 + " -->", 1)
    (tmp_path / "long.graphml").write_text(text)
    ckpt = load_checkpoint(tmp_path / "long.graphml")
    assert ckpt.source_format == "graphml" and ckpt.n_connections() == 6


# ----------------------------------------------------------------- issue 16: modules read exactly, or refused


@pytest.mark.parametrize(
    ("model", "message"),
    [
        (
            nn.Sequential(nn.Linear(3, 4), nn.LayerNorm(4, elementwise_affine=False), nn.ReLU(), nn.Linear(4, 2)),
            r"Sequential: 1 \(LayerNorm\) is refused: LayerNorm computes what netgraph's activations \(relu, .*\) do not",
        ),
        (
            nn.Sequential(nn.Linear(3, 4), nn.LeakyReLU(0.3), nn.Linear(4, 2)),
            r"1 \(LeakyReLU\(negative_slope=0.3\)\) is refused: netgraph's leaky_relu has torch's default parameters",
        ),
        (
            nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 4), nn.ReLU(), nn.Linear(4, 2)),
            r"mixes activations \(relu, tanh\)",
        ),
        (nn.Sequential(nn.Linear(3, 4), nn.ELU(), nn.Linear(4, 2)), r"1 \(ELU\(alpha=1.0\)\) is refused: ELU computes"),
        (
            nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2), nn.Softmax(dim=1)),
            r"3 \(Softmax\(dim=1\)\) is refused: Softmax computes",
        ),
        (
            nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2), nn.ReLU()),
            "3 comes after the last Linear layer; a netgraph network ends in raw scores",
        ),
        (
            nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 4), nn.Linear(4, 2)),
            "an activation between some Linear layers but not others",
        ),
        (
            nn.Sequential(nn.Linear(3, 4), nn.GELU(approximate="tanh"), nn.Linear(4, 2)),
            "has torch's default parameters",
        ),
    ],
    ids=["layernorm", "leaky-0.3", "mixed", "elu", "softmax", "final-act", "missing-act", "gelu-tanh"],
)
def test_modules_netgraph_would_misread_are_refused(model, message):
    with pytest.raises(CheckpointError, match=message):
        to_graph(model)


@pytest.mark.parametrize(
    ("model", "activation"),
    [
        (nn.Sequential(nn.Linear(3, 4), nn.LeakyReLU(), nn.Dropout(0.5), nn.Linear(4, 2)), "leaky_relu"),
        (nn.Sequential(nn.Linear(3, 4), nn.Linear(4, 2)), "identity"),
        (nn.Sequential(nn.Linear(3, 4), nn.Sequential(nn.GELU(), nn.Linear(4, 2))), "gelu"),
        (nn.Sequential(nn.Linear(3, 2)), None),
    ],
)
def test_modules_netgraph_reads_compute_what_the_graph_computes(model, activation):
    from netgraph import from_graph

    model.eval()
    G = to_graph(model)
    assert G.graph["activation"] == (activation or "relu")
    x = torch.randn(5, 3)
    with torch.no_grad():
        torch.testing.assert_close(from_graph(G)(x), model(x))


def test_activation_is_never_silently_ignored(net_231):
    with pytest.raises(ParameterError, match="activation='softmax' is not valid"):
        to_graph(net_231, activation="softmax")
    with pytest.raises(ParameterError, match="activation='tanh': the network records its activation, 'relu'"):
        to_graph(net_231, activation="tanh")
    assert to_graph(net_231, activation="relu").graph["activation"] == "relu"
    sd = nn.Sequential(nn.Linear(2, 2), nn.Tanh(), nn.Linear(2, 1)).state_dict()  # records none
    assert to_graph(sd, activation="tanh").graph["activation"] == "tanh"
