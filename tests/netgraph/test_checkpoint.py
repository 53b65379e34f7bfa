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


def _native(tmp_path, net_231, name, change):
    """A netgraph checkpoint of net_231 with one field changed by ``change(obj)``."""
    path = save_checkpoint(net_231, tmp_path / "ok.pt")
    obj = torch.load(path, weights_only=True)
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
