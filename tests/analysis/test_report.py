import json
import math
import re

import networkx as nx
import numpy as np
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
        {
            "epoch": e,
            "loss": 1.0 / e,
            "train_accuracy": 0.5 + 0.1 * e,
            "test_accuracy": 0.4 + 0.1 * e,
            "connections": [20, 9],
            "total_connections": 29,
            "density": 0.4,
            "removed": [0, 0],
            "added": [0, 0],
            "seconds": 0.1,
        }
        for e in (1, 2)
    ]
    return {"seed": seed, "method": "random", "epochs": rows}


def test_report_written_and_read_back(graphs, tmp_path):
    sources = []
    for k, _ in enumerate(graphs):
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
        ({"groups": ["a", "b", "c"]}, ParameterError, "groups has 3 entries, expected 2"),
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


# --------------------------------------------------------------------------- power law


def test_dense_networks_get_one_power_law_note(make_layered, rng, tmp_path):
    """Dense networks (every edge present) have 3 distinct degrees: no fit, one note, no crash."""
    pytest.importorskip("powerlaw")
    gs = []
    for seed in range(3):
        G = make_layered([8, 16, 16, 4], 1.0, rng, weights=False)
        G.graph["meta"] = {"method": "dense", "seed": seed}
        gs.append(G)
    baseline = make_layered([64, 256, 256, 10], 1.0, rng, weights=False)  # the demo's dense baseline
    baseline.graph["meta"] = {"method": "dense", "seed": 9}
    gs.append(baseline)
    rep = build_report(gs, aligned=False)
    reason = "powerlaw's xmin search left no degrees to fit"
    assert [n.power_law["skipped"] for n in rep.networks] == [reason] * 4
    notes = [n for n in rep.notes if "power-law" in n]
    assert notes == [
        "No power-law fit for 4 of 4 networks: powerlaw's xmin search left no degrees to fit "
        "(dense/seed-0, dense/seed-1, dense/seed-2, dense/seed-9)."
    ]
    paths = write_report(rep, tmp_path)
    data = json.loads(paths["json"].read_text())
    assert [n["power_law"]["skipped"] for n in data["networks"]] == [reason] * 4
    assert data["networks"][0]["power_law"]["alpha"] is None
    assert "No power-law fit for 4 of 4 networks" in paths["html"].read_text()


def test_power_law_note_groups_networks_by_reason(make_layered, rng):
    pytest.importorskip("powerlaw")
    dense = make_layered([8, 16, 16, 4], 1.0, rng, weights=False)
    sparse = make_layered([30, 30], 0.3, rng, weights=False)  # fitted: no note
    tiny = make_layered([2, 2], 1.0, rng, weights=False)  # 4 nodes
    rep = build_report([dense, sparse, tiny], labels=["d", "s", "t"], aligned=False)
    assert rep.networks[1].power_law["skipped"] is None
    assert [n for n in rep.notes if "power-law" in n] == [
        "No power-law fit for 2 of 3 networks: powerlaw's xmin search left no degrees to fit (d); "
        "fewer than 10 nodes have a positive degree (t)."
    ]


# --------------------------------------------------------------------------- metrics.json


BAD_METRICS = [
    (b'{"epochs": [1, 2]}', r"epochs\[0\] is a int, expected an object with an int 'epoch'"),
    (b'{"epochs": [{"epoch": "x"}]}', r"epochs\[0\]\['epoch'\] == 'x', expected an int"),
    (b'{"epochs": [{"epoch": 1}, {"epoch": true}]}', r"epochs\[1\]\['epoch'\] == True, expected an int"),
    (b'{"epochs": [{"epoch": 1.5}]}', r"epochs\[0\]\['epoch'\] == 1.5, expected an int"),
    (b'{"epochs": [{"loss": 0.1}]}', r"epochs\[0\] has no 'epoch'"),
    (b"[1, 2]", "expected a JSON object with an 'epochs' list"),
    (b'{"epochs": {"1": {}}}', "expected a JSON object with an 'epochs' list"),
    (b"{not json", "cannot be read as metrics JSON"),
    (b'{"epochs": [], "method": "caf\xe9"}', "cannot be read as metrics JSON"),  # latin-1, not UTF-8
]


@pytest.mark.parametrize("content, message", BAD_METRICS)
def test_load_metrics_rejects_bad_shapes(tmp_path, content, message):
    (tmp_path / "metrics.json").write_bytes(content)
    with pytest.raises(ParameterError, match=re.escape(str(tmp_path / "metrics.json")) + ": " + message):
        load_metrics(tmp_path / "final.pt")


def _report_with_bad_metrics(make_layered, rng, tmp_path, content):
    """Two networks; run0/metrics.json holds ``content``, run1/metrics.json is valid."""
    gs = [make_layered([4, 4, 2], 0.5, rng) for _ in range(2)]
    for k in range(2):
        (tmp_path / f"run{k}").mkdir()
    (tmp_path / "run0" / "metrics.json").write_bytes(content)
    (tmp_path / "run1" / "metrics.json").write_text(json.dumps(_metrics(1)))
    sources = [str(tmp_path / f"run{k}" / "final.pt") for k in range(2)]
    return build_report(gs, sources=sources, labels=["a", "b"], aligned=False, power_law=False)


@pytest.mark.parametrize("content, message", BAD_METRICS)
def test_report_ignores_a_bad_metrics_file(make_layered, rng, tmp_path, content, message):
    rep = _report_with_bad_metrics(make_layered, rng, tmp_path, content)
    assert rep.networks[0].metrics is None and rep.networks[1].metrics["seed"] == 1
    notes = [n for n in rep.notes if "metrics.json" in n]
    assert len(notes) == 1
    assert re.fullmatch(
        "Training curves of a skipped, its metrics file is ignored: "
        + re.escape(str(tmp_path / "run0" / "metrics.json"))
        + ": "
        + message
        + ".*",
        notes[0],
    )


def test_report_with_an_ignored_metrics_file_is_written(make_layered, rng, tmp_path):
    rep = _report_with_bad_metrics(make_layered, rng, tmp_path, b'{"epochs": [{"epoch": "x"}]}')
    paths = write_report(rep, tmp_path / "out")
    assert "training.png" in {p.name for p in paths["figures"]}
    assert "Training curves of a skipped" in paths["html"].read_text()


def test_report_plots_past_non_numeric_metric_values(make_layered, rng, tmp_path):
    gs = [make_layered([4, 4, 2], 0.5, rng) for _ in range(2)]
    bad = {
        "epochs": [
            {"epoch": 1, "test_accuracy": "high", "total_connections": [1, 2]},
            {"epoch": 2, "test_accuracy": 0.5, "total_connections": 20},
        ]
    }
    rep = build_report(gs, metrics=[bad, None], aligned=False, power_law=False)
    assert not [n for n in rep.notes if "metrics" in n]
    paths = write_report(rep, tmp_path)
    assert "training.png" in {p.name for p in paths["figures"]}


def test_report_rejects_bad_metrics_argument(make_layered, rng):
    gs = [make_layered([3, 2], 0.5, rng) for _ in range(2)]
    with pytest.raises(ParameterError, match=r"metrics\[1\]: epochs\[0\] has no 'epoch'"):
        build_report(gs, metrics=[None, {"epochs": [{}]}])
    with pytest.raises(ParameterError, match=r"metrics\[0\]: expected a JSON object with an 'epochs' list"):
        build_report(gs, metrics=[[1], None])


# --------------------------------------------------------------------------- groups


def test_groups_override_the_method(make_layered, rng, tmp_path):
    """Foreign state_dicts have no method; without groups= they would all merge into '(no method)'."""
    gs = [make_layered([6, 4, 2], 0.5, rng) for _ in range(4)]
    rep = build_report(gs, groups=["mine", "mine", "theirs", "theirs"], labels=list("abcd"), aligned=False)
    assert [n.group for n in rep.networks] == ["mine", "mine", "theirs", "theirs"]
    assert [c.name for c in rep.comparisons] == ["mine", "theirs", "all groups"]
    assert rep.comparisons[0].labels == ("a", "b") and rep.comparisons[1].labels == ("c", "d")
    assert rep.comparisons[2].groups == ("mine", "mine", "theirs", "theirs")
    assert rep.provenance["groups"] == ["mine", "mine", "theirs", "theirs"]
    assert rep.provenance["parameters"]["groups"] == ["mine", "mine", "theirs", "theirs"]
    paths = write_report(rep, tmp_path)
    data = json.loads(paths["json"].read_text())
    assert [n["group"] for n in data["networks"]] == ["mine", "mine", "theirs", "theirs"]
    assert data["comparisons"][2]["groups"] == ["mine", "mine", "theirs", "theirs"]
    page = paths["html"].read_text()
    assert "<th>group</th>" in page and "<td>a</td><td>mine</td>" in page and "<td>d</td><td>theirs</td>" in page


def test_groups_beat_the_recorded_method(graphs):
    rep = build_report(graphs[:4], groups=["x", "y", "x", "y"], aligned=False, power_law=False)
    assert [c.name for c in rep.comparisons] == ["x", "y", "all groups"]
    assert rep.comparisons[0].labels == ("random/seed-0", "strategic/seed-0")
    assert rep.provenance["methods"] == ["random", "random", "strategic", "strategic"]


def test_a_group_of_none_is_the_default(graphs):
    """As the CLI passes them for plain PATH arguments beside NAME=PATH ones."""
    rep = build_report(graphs[:4], groups=[None, "mine", None, "mine"], aligned=False, power_law=False)
    assert [n.group for n in rep.networks] == ["random", "mine", "strategic", "mine"]
    assert [c.name for c in rep.comparisons] == ["mine", "all groups"]
    assert rep.provenance["parameters"]["groups"] == [None, "mine", None, "mine"]


def test_default_groups_are_the_methods(graphs):
    rep = build_report(graphs[:4], aligned=False, power_law=False)
    assert [n.group for n in rep.networks] == ["random", "random", "strategic", "strategic"]
    assert [c.name for c in rep.comparisons] == ["random", "strategic", "all methods"]
    assert rep.provenance["groups"] == ["random", "random", "strategic", "strategic"]
    assert rep.provenance["parameters"]["groups"] is None


@pytest.mark.parametrize(
    "groups, message",
    [
        (["a"], "groups has 1 entries, expected 2"),
        ("ab", "groups='ab': expected a sequence of str, one per graph"),
        (["a", ""], r"groups\[1\]='': expected a non-empty string or None"),
        (["a", "  "], r"groups\[1\]='  ': expected a non-empty string or None"),
        (["a", 1], r"groups\[1\]=1: expected a non-empty string or None"),
        ([b"a", "b"], r"groups\[0\]=b'a': expected a non-empty string or None"),
    ],
)
def test_bad_groups(make_layered, rng, groups, message):
    gs = [make_layered([3, 2], 0.5, rng) for _ in range(2)]
    with pytest.raises(ParameterError, match=message):
        build_report(gs, groups=groups)


# --------------------------------------------------------------------------- kinds of pair


def _start_meta(method, seed, fingerprint=None, **params):
    meta = {"method": method, "seed": seed, "params": {"epsilon": None, "density": 0.4, **params}}
    if fingerprint is not None:
        meta["initial_topology"] = fingerprint
    return meta


@pytest.fixture
def same_start(make_layered, rng):
    """random/seed-s and strategic/seed-s start from one topology, each a little changed by its method."""
    base = [make_layered([9, 6, 3], 0.4, rng) for _ in range(2)]
    out = []
    for method, drop in (("random", 0), ("strategic", 1)):
        for seed in (0, 1):
            G = base[seed].copy()
            G.remove_edges_from(list(G.edges)[: 2 * drop])  # strategic lost two edges
            G.graph["meta"] = _start_meta(method, seed, f"f{seed}" * 8)
            out.append(G)
    return out


def _expect(graphs, pairs):
    from analysis import aligned_jaccard, edge_jaccard, nnstd

    return {
        "edge_mean": float(np.mean([edge_jaccard(graphs[a], graphs[b]).value for a, b in pairs])),
        "edge_chance_mean": float(np.mean([edge_jaccard(graphs[a], graphs[b]).chance for a, b in pairs])),
        "aligned_mean": float(np.mean([aligned_jaccard(graphs[a], graphs[b]).value for a, b in pairs])),
        "nnstd_mean": float(np.mean([nnstd(graphs[a], graphs[b]).value for a, b in pairs])),
    }


def test_pairs_are_classified_by_initial_topology(same_start, tmp_path):
    rep = build_report(same_start, power_law=False, rng=0)
    assert [c.name for c in rep.comparisons] == ["random", "strategic", "all methods"]
    r0, r1, s0, s1 = "random/seed-0", "random/seed-1", "strategic/seed-0", "strategic/seed-1"
    within = rep.comparisons[0].pair_kinds
    assert within["within_method_across_seed"]["pairs"] == [[r0, r1]]
    assert within["across_method_same_initial_topology"]["n_pairs"] == 0
    kinds = rep.comparisons[2].pair_kinds
    assert {k: v["pairs"] for k, v in kinds.items()} == {
        "within_method_across_seed": [[r0, r1], [s0, s1]],
        "across_method_same_initial_topology": [[r0, s0], [r1, s1]],
        "across_method_across_seed": [[r0, s1], [r1, s0]],
    }
    assert all(v["rules"] == {"fingerprint": v["n_pairs"], "seed": 0} for v in kinds.values())
    # positions in the all-methods matrices: r0, r1, s0, s1 = 0, 1, 2, 3
    for kind, pairs in (
        ("within_method_across_seed", [(0, 1), (2, 3)]),
        ("across_method_same_initial_topology", [(0, 2), (1, 3)]),
        ("across_method_across_seed", [(0, 3), (1, 2)]),
    ):
        got = kinds[kind]
        for key, value in _expect(same_start, pairs).items():
            assert got[key] == pytest.approx(value, abs=1e-15), (kind, key)
        c = rep.comparisons[2]
        assert got["aligned_chance_mean"] == float(np.mean([c.aligned.chance[a, b] for a, b in pairs]))
        assert got["nnstd_random_mean"] == float(np.mean([c.nnstd.chance[a, b] for a, b in pairs]))
    from analysis import nnstd

    for a in range(4):  # the matrix holds nnstd(a, b) for a < b, mirrored
        for b in range(a + 1, 4):
            d = nnstd(same_start[a], same_start[b]).value
            assert rep.comparisons[2].nnstd.values[a, b] == rep.comparisons[2].nnstd.values[b, a] == d
    same = kinds["across_method_same_initial_topology"]
    assert same["edge_mean"] > kinds["across_method_across_seed"]["edge_mean"]
    assert same["nnstd_mean"] < kinds["across_method_across_seed"]["nnstd_mean"]  # a distance
    paths = write_report(rep, tmp_path)
    data = json.loads(paths["json"].read_text())
    assert data["comparisons"][2]["pair_kinds"]["across_method_same_initial_topology"]["pairs"] == [[r0, s0], [r1, s1]]
    page = paths["html"].read_text()
    table = page[page.index("<h3>Kinds of pair</h3>") : page.index("<h3>", page.index("<h3>Kinds of pair</h3>") + 5)]
    assert "<td>all methods</td><td>across methods, same initial topology</td><td>2</td><td>fingerprint</td>" in table
    assert "do independent runs of one method converge to the same network?" in table
    assert "how much of the common starting network do different growth rules keep and re-grow alike?" in table
    assert "initial_topology fingerprint" in table and "same meta seed" not in table
    assert f"NNSTD {same['nnstd_mean']:.3g} (random {same['nnstd_random_mean']:.3g})" in page


def test_without_fingerprints_seed_layers_and_density_decide(same_start):
    graphs = []
    for G in same_start:
        H = G.copy()
        meta = dict(G.graph["meta"])
        del meta["initial_topology"]
        H.graph["meta"] = meta
        graphs.append(H)
    graphs[3].graph["meta"] = _start_meta("strategic", 1, density=0.5)  # same seed, another density: another start
    graphs[1].graph["meta"]["initial_topology"] = "ab" * 8  # one fingerprint alone does not count
    rep = build_report(graphs, aligned=False, power_law=False)
    kinds = rep.comparisons[2].pair_kinds
    r0, r1, s0, s1 = "random/seed-0", "random/seed-1", "strategic/seed-0", "strategic/seed-1"
    assert kinds["across_method_same_initial_topology"]["pairs"] == [[r0, s0]]
    assert kinds["across_method_across_seed"]["pairs"] == [[r0, s1], [r1, s0], [r1, s1]]
    assert all(v["rules"]["fingerprint"] == 0 for v in kinds.values())
    assert kinds["across_method_same_initial_topology"]["edge_mean"] == pytest.approx(
        _expect(graphs, [(0, 2)])["edge_mean"]
    )
    assert math.isnan(kinds["across_method_same_initial_topology"]["aligned_mean"])  # aligned=False


def test_the_fingerprint_outranks_the_seed(same_start):
    same_start[2].graph["meta"]["initial_topology"] = "ee" * 8  # strategic/seed-0 started elsewhere, same seed
    same_start[3].graph["meta"]["initial_topology"] = same_start[0].graph["meta"]["initial_topology"]
    kinds = build_report(same_start, aligned=False, power_law=False).comparisons[2].pair_kinds
    assert kinds["across_method_same_initial_topology"]["pairs"] == [["random/seed-0", "strategic/seed-1"]]


def test_no_kinds_without_seeds_or_fingerprints(make_layered, rng, tmp_path):
    gs = []
    for method in ("random", "random", "strategic", "strategic"):
        G = make_layered([6, 4, 2], 0.5, rng)
        G.graph["meta"] = {"method": method}
        gs.append(G)
    rep = build_report(gs, aligned=False, power_law=False)
    assert [c.pair_kinds for c in rep.comparisons] == [None, None, None]
    paths = write_report(rep, tmp_path)
    assert "Kinds of pair" not in paths["html"].read_text()
    assert json.loads(paths["json"].read_text())["comparisons"][0]["pair_kinds"] is None


# --------------------------------------------------------------------------- the page explains itself


def test_page_explains_each_measure_where_it_appears(graphs, tmp_path):
    page = write_report(build_report(graphs[:4], aligned=True, power_law=False), tmp_path)["html"].read_text()
    networks, similarity, per_layer = (
        page.index("<h2>Networks</h2>"),
        page.index("<h2>Similarity</h2>"),
        page.index("<h3>"),
    )
    figures = page.index("<h2>Figures</h2>")
    for phrase in [
        "minimum number of units that need an outside input signal",
        "Liu, Slotine &amp; Barabási 2011",
        "maximum matching",
        "n_0 + Σ max(0, n_{l+1} − n_l)",
        "random masks sit on it",
        "N_D minus the bound",
    ]:
        assert networks < page.index(phrase) < similarity, phrase
    for phrase in [
        "two independent random masks with the same per-layer densities",
        "d1·d2/(d1+d2−d1·d2) per block",
        "same per-block edge counts, aligned the same way",
        "alignment lifts random networks above the raw chance level",
        "Neural Network Sparse Topology Distance of Liu et al. (2020)",
        "(|A∖B| + |B∖A|) / |A∪B|",
        "lower = more similar",
        "the NNSTD of the same random networks as the aligned chance level",
        "surviving, non-isolated units",
        "present in at least a share min_share of the networks",
    ]:
        assert similarity < page.index(phrase) < per_layer, phrase
    after = page[figures:]
    assert "red line" in after and "one colour scale" in after and "min_share" in after
    assert "N_D" in after and "width bound" in after


def test_input_panels_share_one_colour_scale(graphs, monkeypatch):
    from analysis import input_connectivity, plotting, report

    calls = []
    real = plotting.plot_input_connectivity

    def spy(image, ax=None, **kwargs):
        calls.append(kwargs)
        return real(image, ax, **kwargs)

    monkeypatch.setattr(plotting, "plot_input_connectivity", spy)
    rep = build_report(graphs[:4], aligned=False, power_law=False)
    report._figures(rep)
    assert len(calls) == 2
    top = max(np.mean([input_connectivity(G) for G in graphs[k : k + 2]], axis=0).max() for k in (0, 2))
    assert [(c["vmin"], c["vmax"]) for c in calls] == [(0.0, top)] * 2
