import json
import re

import networkx as nx
import numpy as np
import pytest
import torch

from netgraph import ParameterError, save_checkpoint
from netgraph.export import export


@pytest.fixture
def ckpt_path(tmp_path, net_231):
    return save_checkpoint(net_231, tmp_path / "net.pt", meta={"seed": 7})


def test_graphml_opens_in_networkx(ckpt_path, tmp_path):
    H = nx.read_graphml(export(ckpt_path, tmp_path / "g.graphml"))
    assert sorted(H.nodes) == ["L0:0", "L0:1", "L1:0", "L1:1", "L1:2", "L2:0"]
    assert H.nodes["L1:2"] == {"layer": 1, "index": 2, "role": "hidden", "bias": pytest.approx(-0.3)}
    assert H.edges["L0:0", "L1:0"]["weight"] == 1.5
    assert H.edges["L0:1", "L1:2"]["weight"] == 0.0
    assert H.number_of_edges() == 6
    assert H.graph["layer_sizes"] == "2,3,1"
    assert json.loads(H.graph["meta_json"])["seed"] == 7


def test_gexf_and_edgelist(ckpt_path, tmp_path):
    H = nx.read_gexf(export(ckpt_path, tmp_path / "g.gexf"))
    assert H.number_of_edges() == 6 and H.nodes["L2:0"]["role"] == "output"
    path = export(ckpt_path, tmp_path / "g.txt", format="edgelist")
    E = nx.read_weighted_edgelist(path, create_using=nx.DiGraph)
    assert sorted(E.edges(data="weight")) == [
        ("L0:0", "L1:0", 1.5),
        ("L0:0", "L1:2", 0.5),
        ("L0:1", "L1:1", -2.0),
        ("L0:1", "L1:2", 0.0),
        ("L1:0", "L2:0", 3.0),
        ("L1:2", "L2:0", -1.0),
    ]


def test_npz_holds_arrays(ckpt_path, tmp_path):
    with np.load(export(ckpt_path, tmp_path / "g.npz")) as z:
        assert z["layer_sizes"].tolist() == [2, 3, 1]
        assert z["mask_0"].tolist() == [[True, False], [False, True], [True, True]]
        assert z["weight_1"].tolist() == [[3.0, 0.0, -1.0]]
        assert z["bias_1"].tolist() == [0.5]
        assert str(z["activation"]) == "relu"


@pytest.mark.parametrize(
    ("name", "fmt", "message"), [("g.xyz", None, "suffix of path"), ("g.txt", "dot", "format='dot' is not valid")]
)
def test_bad_format(ckpt_path, tmp_path, name, fmt, message):
    with pytest.raises(ParameterError, match=message):
        export(ckpt_path, tmp_path / name, format=fmt)


@pytest.mark.parametrize("fmt", ["graphml", "gexf", "edgelist", "npz"])
@pytest.mark.parametrize("bias", [True, False])
def test_every_export_loads_back_exactly(tmp_path, make_net, fmt, bias):
    from netgraph import load_checkpoint, to_graph
    from netgraph.checkpoint import Checkpoint

    net = make_net([5, 4, 3], 0.5, seed=2, activation="tanh", bias=bias)
    with torch.no_grad():  # a present connection of weight exactly 0 survives every format
        net.layers[0].mask[0, 0] = True
        net.layers[0].weight[0, 0] = 0.0
    src = save_checkpoint(net, tmp_path / "net.pt", meta={"seed": 3, "method": "strategic", "metrics": {"acc": 0.25}})
    path = export(src, tmp_path / f"net.{fmt}", format=fmt)
    back, ref = load_checkpoint(path), load_checkpoint(src)
    assert back.source_format == fmt and back.source == str(path)
    assert back.layer_sizes == ref.layer_sizes and back.activation == "tanh" and back.has_bias is bias
    assert back.meta == ref.meta
    for x, y in zip(back.weights + back.biases + back.masks, ref.weights + ref.biases + ref.masks):
        assert x.dtype == y.dtype
        np.testing.assert_array_equal(x, y)
    G1, G2 = to_graph(path), to_graph(src)
    assert sorted(G1.edges(data="weight")) == sorted(G2.edges(data="weight")) and G1.graph == G2.graph
    assert isinstance(back, Checkpoint)


def test_gexf_keeps_graph_attributes(ckpt_path, tmp_path):
    text = export(ckpt_path, tmp_path / "g.gexf").read_text()
    assert "<description>" in text and "layer_sizes" in text
    assert nx.read_gexf(tmp_path / "g.gexf").number_of_nodes() == 6  # still plain GEXF for other readers


def test_export_refuses_to_overwrite_its_source(ckpt_path):
    from netgraph.errors import OutputError

    before = ckpt_path.read_bytes()
    with pytest.raises(OutputError, match="net.pt is the input file itself"):
        export(ckpt_path, ckpt_path, format="npz")
    assert ckpt_path.read_bytes() == before


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        (
            "g.graphml",
            '<?xml version="1.0"?><graphml xmlns="http://graphml.graphdrawing.org/xmlns"><graph edgedefault="directed">'
            '<node id="a"/></graph></graphml>',
            "node id 'a' is not of the form L{layer}:{index}",
        ),
        ("g.graphml", '<?xml version="1.0"?><graphml><graph', "cannot be read as a netgraph graphml export"),
        ("g.txt", "# netgraph edge list: x\nL0:0 L1:0\n", "line 2: expected 'source target weight'"),
        (
            "g.txt",
            "# netgraph edge list: x\n# layer_sizes=1,1,1\nL0:0 L2:0 1.0\n",
            "does not go from layer l to layer l",
        ),
        ("g.txt", "# netgraph edge list: x\nL0:0 L2:0 1.0\n", "layer 1 has no nodes"),
    ],
)
def test_damaged_exports_are_refused(tmp_path, name, content, message):
    from netgraph import CheckpointError, load_checkpoint

    (tmp_path / name).write_text(content)
    with pytest.raises(CheckpointError, match=f"{name}: .*{re.escape(message)}"):
        load_checkpoint(tmp_path / name)


def test_foreign_npz_is_refused(tmp_path):
    from netgraph import CheckpointError, load_checkpoint

    np.savez(tmp_path / "x.npz", a=np.zeros(3))
    with pytest.raises(CheckpointError, match="x.npz: npz file without layer_sizes"):
        load_checkpoint(tmp_path / "x.npz")


# ----------------------------------------------------------------- torch: a plain nn.Sequential (issue 10)


def _run_load_code(code):
    """Run the printed line of Python in a namespace without netgraph; return its ``model``."""
    assert "netgraph" not in code
    namespace = {}
    exec(code, namespace)
    return namespace["model"]


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("activation", ["relu", "tanh", "leaky_relu"])
def test_torch_export_runs_without_netgraph(tmp_path, make_net, bias, activation):
    from netgraph import load_checkpoint
    from netgraph.export import sequential_code, torch_load_code

    net = make_net([6, 5, 4, 3], 0.5, seed=4, activation=activation, bias=bias)
    src = save_checkpoint(net, tmp_path / "net.pt")
    path = export(src, tmp_path / "plain.pt", format="torch")
    sd = torch.load(path, weights_only=True)
    assert list(sd) == (
        ["0.weight", "0.bias", "2.weight", "2.bias", "4.weight", "4.bias"]
        if bias
        else ["0.weight", "2.weight", "4.weight"]
    )
    assert all(t.dtype == torch.float32 and t.layout == torch.strided for t in sd.values())
    torch.testing.assert_close(sd["2.weight"], net.layers[1].weight.detach() * net.layers[1].mask, rtol=0, atol=0)
    code = sequential_code(src)
    assert ("bias=False" in code) is not bias
    model = _run_load_code(torch_load_code(src, path))
    assert isinstance(model, torch.nn.Sequential) and len(model) == 5
    x = torch.randn(10, 6)
    with torch.no_grad():
        torch.testing.assert_close(model(x), net(x))
    back = load_checkpoint(path, activation=activation)  # a foreign state_dict: no activation recorded
    assert back.source_format == "state_dict" and back.has_bias is bias and back.activation == activation
    for w, m, layer in zip(back.weights, back.masks, net.layers):
        np.testing.assert_array_equal(w, layer.dense_weight().numpy())
        np.testing.assert_array_equal(m, layer.mask.numpy())


def test_torch_export_loses_connections_of_weight_zero(tmp_path, net_231):
    from netgraph import load_checkpoint

    back = load_checkpoint(export(net_231, tmp_path / "plain.pt", format="torch"))
    assert back.meta["activation_assumed"] is True
    assert back.masks[0].tolist() == [[True, False], [False, True], [True, False]]  # (1, 0)->(1, 2) had weight 0
    assert back.n_connections() == net_231.n_connections() - 1


@pytest.mark.parametrize("name", ["plain.pt", "plain.PTH"])
def test_pt_suffix_never_implies_a_format(ckpt_path, tmp_path, name):
    with pytest.raises(ParameterError, match=rf"suffix of path '{name}' is ambiguous .*pass format='torch'"):
        export(ckpt_path, tmp_path / name)
    assert not (tmp_path / name).exists()
    assert export(ckpt_path, tmp_path / "plain.bin", format="torch").exists()


def test_torch_export_is_atomic_and_spares_its_source(ckpt_path, tmp_path, monkeypatch):
    from netgraph import load_checkpoint
    from netgraph.errors import OutputError

    before = ckpt_path.read_bytes()
    with pytest.raises(OutputError, match="net.pt is the input file itself"):
        export(ckpt_path, ckpt_path, format="torch")
    with pytest.raises(OutputError, match="net.pt is the input file itself"):  # a loaded checkpoint names its file
        export(load_checkpoint(ckpt_path), ckpt_path, format="torch")
    assert ckpt_path.read_bytes() == before
    out = export(ckpt_path, tmp_path / "plain.pt", format="torch")
    old = out.read_bytes()

    def broken_save(obj, f):
        f.write(b"PK\x03\x04 half a file")
        raise KeyboardInterrupt

    monkeypatch.setattr(torch, "save", broken_save)
    with pytest.raises(KeyboardInterrupt):
        export(ckpt_path, out, format="torch")
    assert out.read_bytes() == old
    assert sorted(p.name for p in tmp_path.iterdir()) == ["net.pt", "plain.pt"]


def test_sequential_code_of_an_activation_without_a_torch_module(monkeypatch):
    from netgraph import SparseMLP
    from netgraph.export import sequential_code
    from netgraph.nn.model import ACTIVATIONS

    monkeypatch.setitem(ACTIVATIONS, "square", lambda x: x * x)
    code = sequential_code(SparseMLP([3, 2, 1], activation="square"))
    assert code == "nn.Sequential(nn.Linear(3, 2), ACTIVATION, nn.Linear(2, 1))"


def test_read_export_reads_graph_formats_only(ckpt_path, tmp_path):
    from netgraph.export import read_export

    path = export(ckpt_path, tmp_path / "plain.pt", format="torch")
    with pytest.raises(ParameterError, match="format='torch' is not valid; expected one of 'graphml'"):
        read_export(path, "torch")


# ----------------------------------------------------------------- issue 16: exports read as written, or refused


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        (  # 137 B declaring 10^12 units: 5.7 GB before
            "huge.txt",
            "# netgraph edge list: x\n# layer_sizes=1,1000000000000\nL0:0 L1:0 1.0\n",
            "implies dense arrays of 1,000,000,000,000 elements",
        ),
        (
            "twice.txt",
            "# netgraph edge list: x\n# layer_sizes=1,1\nL0:0 L1:0 1.0\nL0:0 L1:0 2.0\n",
            "line 4: the edge L0:0 -> L1:0 is listed again (first on line 3); a connection has one weight",
        ),
        (
            "deep.txt",
            "# netgraph edge list: x\n# layer_sizes=1,1\n# meta_json=" + "[" * 5000 + "]" * 5000 + "\n",
            "line 3 (meta_json) is not valid JSON (nested deeper than 64 levels)",
        ),
        (  # 684 B of GraphML declaring 3e8 units: 1.7 GB before
            "huge.graphml",
            '<?xml version="1.0"?><graphml xmlns="http://graphml.graphdrawing.org/xmlns">'
            '<key id="ls" for="graph" attr.name="layer_sizes" attr.type="string"/>'
            '<graph edgedefault="directed"><data key="ls">1,300000000</data><node id="L0:0"/></graph></graphml>',
            "implies dense arrays of 300,000,000 elements",
        ),
        (  # node ids alone declare the size when there is no layer_sizes
            "ids.graphml",
            '<?xml version="1.0"?><graphml xmlns="http://graphml.graphdrawing.org/xmlns"><graph edgedefault="directed">'
            '<node id="L0:0"/><node id="L1:299999999"/></graph></graphml>',
            "implies dense arrays of 300,000,000 elements",
        ),
        (  # a 400-digit integer where a bias goes
            "big.graphml",
            '<?xml version="1.0"?><graphml xmlns="http://graphml.graphdrawing.org/xmlns">'
            '<key id="b" for="node" attr.name="bias" attr.type="long"/><graph edgedefault="directed">'
            f'<node id="L0:0"/><node id="L1:0"><data key="b">{"9" * 400}</data></node></graph></graphml>',
            "cannot be read as a netgraph graphml export (damaged?): int too large to convert to float",
        ),
    ],
)
def test_what_an_export_declares_is_checked(tmp_path, name, content, message):
    from netgraph import CheckpointError, load_checkpoint

    (tmp_path / name).write_text(content)
    with pytest.raises(CheckpointError, match=f"{name}: .*{re.escape(message)}"):
        load_checkpoint(tmp_path / name)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda z: z.update(layer_sizes=np.array([1.5, 1.0])),
            "layer_sizes is [1.5, 1.0] (float64, 1-D), expected a 1-D array of ints",
        ),
        (
            lambda z: z.update(layer_sizes=np.array([5000, 5000]), weight_0=np.zeros((5000, 5000), np.float32)),
            "implies dense arrays of 25,000,000 elements",
        ),
        (lambda z: z.update(meta_json=np.array("[" * 5000 + "]" * 5000)), "meta_json is not valid JSON (nested deeper"),
    ],
    ids=["float-sizes", "zip-bomb", "deep-meta"],
)
def test_a_damaged_npz_export_is_refused(tmp_path, net_231, change, message):
    from netgraph import CheckpointError, load_checkpoint

    z = dict(np.load(export(net_231, tmp_path / "n.npz")))
    change(z)
    np.savez_compressed(tmp_path / "bad.npz", **z)
    with pytest.raises(CheckpointError, match=f"bad.npz: .*{re.escape(message)}"):
        load_checkpoint(tmp_path / "bad.npz")
