import json

import networkx as nx
import numpy as np
import pytest

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
        ("L0:0", "L1:0", 1.5), ("L0:0", "L1:2", 0.5), ("L0:1", "L1:1", -2.0),
        ("L0:1", "L1:2", 0.0), ("L1:0", "L2:0", 3.0), ("L1:2", "L2:0", -1.0),
    ]


def test_npz_holds_arrays(ckpt_path, tmp_path):
    with np.load(export(ckpt_path, tmp_path / "g.npz")) as z:
        assert z["layer_sizes"].tolist() == [2, 3, 1]
        assert z["mask_0"].tolist() == [[True, False], [False, True], [True, True]]
        assert z["weight_1"].tolist() == [[3.0, 0.0, -1.0]]
        assert z["bias_1"].tolist() == [0.5]
        assert str(z["activation"]) == "relu"


@pytest.mark.parametrize(("name", "fmt", "message"), [("g.xyz", None, "suffix of path"), ("g.txt", "dot", "format='dot' is not valid")])
def test_bad_format(ckpt_path, tmp_path, name, fmt, message):
    with pytest.raises(ParameterError, match=message):
        export(ckpt_path, tmp_path / name, format=fmt)
