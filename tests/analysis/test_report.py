import json
import re

import networkx as nx
import pytest

from analysis import build_report, load_metrics, write_report
from netgraph.errors import GraphContractError, ParameterError


@pytest.fixture
def graphs(make_layered, rng):
    """Two methods x two seeds of 9-6-3 nets, plus one 9-5-3 net that cannot be compared."""
    out = []
    for method in ("random", "strategic"):
        for seed in (0, 1):
            G = make_layered([9, 6, 3], 0.5, rng)
            G.graph["meta"] = {"method": method, "seed": seed, "epoch": 2, "params": {"epochs": 2}}
            out.append(G)
    odd = make_layered([9, 5, 3], 0.5, rng)
    odd.graph["meta"] = {"method": "random", "seed": 9}
    out.append(odd)
    return out


def _metrics(seed):
    rows = [
        {"epoch": e, "loss": 1.0 / e, "train_accuracy": 0.5 + 0.1 * e, "test_accuracy": 0.4 + 0.1 * e,
         "connections": [20, 9], "total_connections": 29, "density": 0.4, "removed": [0, 0], "added": [0, 0],
         "seconds": 0.1}
        for e in (1, 2)
    ]
    return {"seed": seed, "method": "random", "epochs": rows}


def test_report_written_and_read_back(graphs, tmp_path):
    sources = []
    for k, G in enumerate(graphs):
        d = tmp_path / f"run{k}"
        d.mkdir()
        (d / "metrics.json").write_text(json.dumps(_metrics(k)))
        sources.append(str(d / "final.pt"))
    rep = build_report(graphs, sources=sources)
    paths = write_report(rep, tmp_path / "out")

    data = json.loads(paths["json"].read_text())
    labels = ["random/seed-0", "random/seed-1", "strategic/seed-0", "strategic/seed-1", "random/seed-9"]
    assert data["provenance"]["labels"] == labels
    assert data["provenance"]["files"] == sources and data["provenance"]["seeds"] == [0, 1, 0, 1, 9]
    assert data["provenance"]["netgraph_version"]
    # the 9-5-3 network is reported as not comparable, not compared, and nothing crashed
    assert [x["layer_sizes"] for x in data["incomparable"]] == [[9, 6, 3], [9, 5, 3]]
    assert data["incomparable"][1]["labels"] == ["random/seed-9"]
    assert any("cannot be compared edge by edge" in n for n in data["notes"])
    names = [c["name"] for c in data["comparisons"]]
    assert names == ["random (9-6-3)", "strategic", "all methods (9-6-3)"]
    random_cmp = data["comparisons"][0]
    assert random_cmp["labels"] == ["random/seed-0", "random/seed-1"]
    # numbers in the JSON equal freshly computed ones
    from analysis import aligned_jaccard, edge_jaccard

    j = edge_jaccard(graphs[0], graphs[1])
    assert random_cmp["edge"]["values"][0][1] == pytest.approx(j.value)
    assert random_cmp["edge"]["chance"][0][1] == pytest.approx(j.chance)
    assert random_cmp["aligned"]["values"][0][1] == pytest.approx(aligned_jaccard(graphs[0], graphs[1]).value)
    assert random_cmp["common_subnetwork"]["edges"][-1] == j.intersection
    net0 = data["networks"][0]
    assert net0["layer_summary"]["layer_sizes"] == [9, 6, 3]
    assert net0["driver_nodes"]["bound"] == 9
    assert net0["metrics"]["epochs"][1]["test_accuracy"] == pytest.approx(0.6)
    assert len(net0["input_connectivity"]) == 3  # 9 inputs as 3 x 3
    assert net0["parameters"] == {"epochs": 2}

    # figures: PNG files, listed in the JSON, embedded in the HTML, which needs no network
    files = {f["file"] for f in data["figures"]}
    assert {"driver-nodes.png", "training.png", "common-subnetwork.png"} <= files
    assert any(f.startswith("jaccard-aligned-") for f in files) and any(f.startswith("degrees") for f in files)
    for f in files:
        assert (tmp_path / "out" / f).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    page = paths["html"].read_text()
    assert page.count("data:image/png;base64,") == len(files)
    assert not re.search(r"(src|href)\s*=\s*['\"](https?:|//|[^'\"d#])", page)
    assert "cannot be compared edge by edge" in page and "random/seed-9" in page


def test_report_without_metadata_or_aligned(make_layered, rng, tmp_path):
    gs = [make_layered([4, 4, 2], 0.5, rng) for _ in range(2)]
    rep = build_report(gs, aligned=False, power_law=False)
    assert [n.label for n in rep.networks] == ["0", "1"]
    assert rep.comparisons[0].name == "(no method)" and rep.comparisons[0].aligned is None
    files = write_report(rep, tmp_path)["figures"]
    assert not any(p.name.startswith("jaccard-aligned") for p in files)
    assert json.loads((tmp_path / "report.json").read_text())["comparisons"][0]["aligned"] is None


def test_single_network_has_nothing_to_compare(make_layered, rng, tmp_path):
    rep = build_report([make_layered([4, 2], 0.5, rng)], labels=["only"])
    assert rep.comparisons == () and any("nothing to compare" in n for n in rep.notes)
    write_report(rep, tmp_path)
    assert "only" in (tmp_path / "report.html").read_text()


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        ({"labels": ["a"]}, ParameterError, "labels has 1 entries, expected 2"),
        ({"labels": ["a", "a"]}, ParameterError, "labels must be unique"),
        ({"sources": ["x"]}, ParameterError, "sources has 1 entries"),
    ],
)
def test_bad_report_arguments(make_layered, rng, kwargs, error, message):
    gs = [make_layered([3, 2], 0.5, rng) for _ in range(2)]
    with pytest.raises(error, match=message):
        build_report(gs, **kwargs)


def test_report_needs_layered_graphs():
    with pytest.raises(GraphContractError, match=r"graphs\[0\] is not a layered graph"):
        build_report([nx.DiGraph([("a", "b")])])
    with pytest.raises(ParameterError, match="non-empty sequence"):
        build_report([])
    with pytest.raises(ParameterError, match="expected a SimilarityReport"):
        write_report({}, ".")


def test_load_metrics(tmp_path):
    (tmp_path / "metrics.json").write_text(json.dumps(_metrics(3)))
    assert load_metrics(tmp_path / "final.pt")["seed"] == 3
    assert load_metrics(tmp_path / "metrics.json")["epochs"][0]["epoch"] == 1
    assert load_metrics(tmp_path / "nope" / "final.pt") is None
    (tmp_path / "metrics.json").write_text("{not json")
    with pytest.raises(ParameterError, match="cannot be read as metrics JSON"):
        load_metrics(tmp_path / "final.pt")
    (tmp_path / "metrics.json").write_text("[1, 2]")
    with pytest.raises(ParameterError, match="'epochs' list"):
        load_metrics(tmp_path / "final.pt")
