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
        G = make_layered([8, 16, 16, 4], 1.0, rng)  # weights of their own: not duplicates of each other
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
    start = page.index("<h3 id='pair-kinds'>Kinds of pair</h3>")
    table = page[start : page.index("<h2", start)]
    assert "<td>all methods</td><td>across methods, same initial topology</td><td>2</td><td>fingerprint</td>" in table
    assert "do independent runs of one method converge to the same network?" in table
    assert "how much of the common starting network do different growth rules keep and re-grow alike?" in table
    assert "initial_topology fingerprint" in table and "same meta seed" not in table
    assert f"<td>{same['nnstd_mean']:.4g}</td><td>{same['nnstd_random_mean']:.4g}</td></tr>" in table
    # the all-methods matrices point to the table instead of repeating it
    section = page[page.index("<section class='comparison' id='comparison-2'>") :]
    assert "see <a href='#pair-kinds'>Kinds of pair</a>" in section[: section.index("</section>")]


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
    networks, similarity, matrices = (page.index(f"<h2 id='{key}'>") for key in ("networks", "similarity", "matrices"))
    degrees = page.index("<h2 id='degrees'>")
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
        assert similarity < page.index(phrase) < matrices, phrase
    for phrase in ["the red line on the colour bar marks the mean chance level", "the raw edge Jaccard of the edges"]:
        assert matrices < page.index(phrase) < page.index("<section class='comparison'"), phrase
    after = page[degrees:]
    assert "one colour per group" in after and "one colour scale" in after and "min_share" in after
    assert "the bars are N_D, the black ticks the width bound" in after


def test_input_panels_share_one_colour_scale(graphs, monkeypatch):
    from analysis import input_connectivity, plotting
    from analysis._report_figures import figures

    calls = []
    real = plotting.plot_input_connectivity

    def spy(image, ax=None, **kwargs):
        calls.append(kwargs)
        return real(image, ax, **kwargs)

    monkeypatch.setattr(plotting, "plot_input_connectivity", spy)
    rep = build_report(graphs[:4], aligned=False, power_law=False)
    figures(rep)
    assert len(calls) == 2
    top = max(np.mean([input_connectivity(G) for G in graphs[k : k + 2]], axis=0).max() for k in (0, 2))
    assert [(c["vmin"], c["vmax"]) for c in calls] == [(0.0, top)] * 2


# --------------------------------------------------------------------------- writing: all files or none


def _two_groups(make_layered, rng, names):
    gs = [make_layered([6, 4, 2], 0.6, rng) for _ in range(4)]
    return build_report(gs, groups=[names[0], names[0], names[1], names[1]], aligned=False, power_law=False)


def _snapshot(folder):
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def _full_disk_at(monkeypatch, n):
    """From now on, the ``n``-th file written hits a full disk when it is flushed (``os.fsync``) to it.

    Returns the list of the files flushed so far (their descriptors' paths).
    """
    import errno
    import os
    import stat

    real = os.fsync
    flushed = []

    def fsync(fd):
        if not stat.S_ISDIR(os.fstat(fd).st_mode):  # a folder's fsync is not a file written
            flushed.append(os.readlink(f"/proc/self/fd/{fd}") if os.path.exists("/proc/self/fd") else fd)
            if len(flushed) == n:
                raise OSError(errno.ENOSPC, "No space left on device")
        return real(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    return flushed


@pytest.mark.parametrize("which", ["a figure in the middle", "report.json", "report.html"])
def test_a_failed_write_leaves_the_old_report_whole(make_layered, rng, tmp_path, monkeypatch, which):
    import errno

    old = write_report(_two_groups(make_layered, rng, ["old", "older"]), tmp_path)
    (tmp_path / "mine.txt").write_text("not the report's")
    before = _snapshot(tmp_path)
    new = _two_groups(make_layered, rng, ["new", "newer"])
    n_figures = len(old["figures"])  # the new report has as many, of other names
    n = {"a figure in the middle": n_figures // 2, "report.json": n_figures + 1}
    flushed = _full_disk_at(monkeypatch, n.get(which, n_figures + 2))
    with pytest.raises(OSError) as info:
        write_report(new, tmp_path)
    assert info.value.errno == errno.ENOSPC
    if isinstance(flushed[-1], str):  # the temporary of the file that failed
        assert f".{which}." in flushed[-1] if which.startswith("report") else ".png." in flushed[-1]
    assert _snapshot(tmp_path) == before  # every old file byte for byte, nothing new
    assert not list(tmp_path.glob(".*.tmp")) and not list(tmp_path.glob(".*"))


def test_a_rewrite_replaces_every_file_and_removes_only_old_figures(make_layered, rng, tmp_path):
    old = write_report(_two_groups(make_layered, rng, ["old", "older"]), tmp_path)
    old_names = {p.name for p in old["figures"]}
    (tmp_path / "mine.txt").write_text("not the report's")
    (tmp_path / "mine.png").write_bytes(b"\x89PNG not the report's")  # a PNG the old report does not list
    before = _snapshot(tmp_path)
    new = write_report(_two_groups(make_layered, rng, ["new", "newer"]), tmp_path)
    new_names = {p.name for p in new["figures"]}
    assert "jaccard-edge-old.png" in old_names - new_names and "jaccard-edge-new.png" in new_names
    assert {p.name for p in tmp_path.iterdir()} == new_names | {"report.json", "report.html", "mine.txt", "mine.png"}
    after = _snapshot(tmp_path)
    assert after["mine.txt"] == before["mine.txt"] and after["mine.png"] == before["mine.png"]
    assert after["report.json"] != before["report.json"] and after["report.html"] != before["report.html"]
    data = json.loads(after["report.json"])
    assert [f["file"] for f in data["figures"]] == [p.name for p in new["figures"]]
    for name in new_names & old_names:  # figures of the same name are the new ones
        assert after[name] == (tmp_path / name).read_bytes()


def test_old_figures_listed_outside_the_folder_or_not_png_are_left_alone(make_layered, rng, tmp_path):
    (tmp_path / "out").mkdir()
    (tmp_path / "keep.png").write_bytes(b"outside")
    (tmp_path / "out" / "notes.txt").write_text("mine")
    listed = ["../keep.png", "notes.txt", str(tmp_path / "keep.png"), "gone.png", 3, None]
    (tmp_path / "out" / "report.json").write_text(json.dumps({"figures": [{"file": f} for f in listed] + ["x"]}))
    (tmp_path / "out" / "gone.png").write_bytes(b"old figure")
    write_report(_two_groups(make_layered, rng, ["a", "b"]), tmp_path / "out")
    assert (tmp_path / "keep.png").read_bytes() == b"outside" and (tmp_path / "out" / "notes.txt").is_file()
    assert not (tmp_path / "out" / "gone.png").exists()
    (tmp_path / "out" / "report.json").write_text("{damaged")  # an unreadable old report lists nothing
    (tmp_path / "out" / "gone.png").write_bytes(b"old figure")
    write_report(_two_groups(make_layered, rng, ["a", "b"]), tmp_path / "out")
    assert (tmp_path / "out" / "gone.png").exists()


# --------------------------------------------------------------------------- duplicates


@pytest.fixture
def three_and_a_copy(make_layered, rng):
    """Three distinct networks of one method (seeds 0-2) and, last, an exact copy of seed 1."""
    gs = []
    for seed in range(3):
        G = make_layered([9, 6, 3], 0.4, rng)
        for node in G.nodes:
            G.nodes[node]["bias"] = float(rng.standard_normal())
        G.graph["meta"] = {"method": "m", "seed": seed, "initial_topology": f"{seed}" * 16}
        gs.append(G)
    return gs + [gs[1].copy()]


def _without_timing(summary):
    return json.dumps({k: v for k, v in summary.items() if k != "seconds"})


def _same_numbers(a, b):
    """The comparisons of reports ``a`` and ``b`` hold the same numbers."""
    assert [c.name for c in a.comparisons] == [c.name for c in b.comparisons]
    for x, y in zip(a.comparisons, b.comparisons):
        assert x.labels == y.labels
        for kind in ("edge", "node", "aligned", "nnstd"):
            np.testing.assert_array_equal(getattr(x, kind).values, getattr(y, kind).values)
            np.testing.assert_array_equal(getattr(x, kind).chance, getattr(y, kind).chance)
        assert _without_timing(x.summary.to_dict()) == _without_timing(y.summary.to_dict())
        assert json.dumps(x.pair_kinds) == json.dumps(y.pair_kinds)


def test_a_duplicate_is_named_and_left_out_of_the_pairs(three_and_a_copy, tmp_path):
    sources = [str(tmp_path / f"seed-{k}" / "final.pt") for k in (0, 1, 2)] + [str(tmp_path / "copy" / "final.pt")]
    rep = build_report(three_and_a_copy, sources=sources, power_law=False, rng=0)
    over_three = build_report(three_and_a_copy[:3], sources=sources[:3], power_law=False, rng=0)
    assert [n.label for n in rep.networks] == ["m/seed-0", "m/seed-1", "m/seed-2"]
    assert rep.duplicates == (
        {
            "label": "m/seed-1#2",
            "group": "m",
            "source": sources[3],
            "duplicate_of": "m/seed-1",
            "duplicate_of_group": "m",
            "duplicate_of_source": sources[1],
        },
    )
    _same_numbers(rep, over_three)
    assert rep.comparisons[0].edge.mean < 0.5  # with the copy the pair (seed-1, copy) would count 1.0
    assert rep.notes == (
        "Left out 1 duplicate network (the same edges, weights and biases as an earlier one), which would count "
        f"as pairs of Jaccard 1 and inflate the similarities: m/seed-1#2 ({sources[3]}) repeats m/seed-1 "
        f"({sources[1]}).",
    )
    assert rep.provenance["files"] == sources[:3] and over_three.duplicates == ()
    paths = write_report(rep, tmp_path / "out")
    data = json.loads(paths["json"].read_text())
    assert data["duplicates"] == list(rep.duplicates) and data["notes"] == list(rep.notes)
    page = paths["html"].read_text()
    assert "<h2 id='duplicates'>Duplicates (left out)</h2>" in page and "copy/final.pt" in page


def test_duplicates_are_the_same_network_whatever_their_names(three_and_a_copy, permute, rng):
    """A copy with other node names (the same network) or another seed in its meta is a duplicate too."""
    gs = three_and_a_copy[:3]
    renamed = nx.relabel_nodes(gs[0], {n: (n[0], n[1] + 100) for n in gs[0].nodes})
    for node, attrs in renamed.nodes(data=True):
        attrs["index"] = node[1]
    renamed.graph["meta"] = {**gs[0].graph["meta"], "seed": 7}  # a copied seed folder, renamed
    rep = build_report([*gs, renamed], labels=list("abcd"), aligned=False, power_law=False)
    assert [(d["label"], d["duplicate_of"]) for d in rep.duplicates] == [("d", "a")]
    # the same edges and weights under a permutation of the hidden units are a different network here
    permuted, _ = permute(gs[0], rng)
    for node in permuted.nodes:
        permuted.nodes[node]["bias"] = gs[0].nodes[node]["bias"]
    assert build_report([*gs, permuted], aligned=False, power_law=False).duplicates == ()


@pytest.mark.parametrize("change", ["weight", "bias", "edge", "fingerprint", "activation"])
def test_near_copies_are_not_duplicates(three_and_a_copy, change):
    gs = three_and_a_copy
    copy = gs[3]
    u, v = next(iter(copy.edges))
    if change == "weight":
        copy[u][v]["weight"] = np.nextafter(copy[u][v]["weight"], np.inf)
    elif change == "bias":
        copy.nodes[v]["bias"] += 1e-12
    elif change == "edge":
        copy.remove_edge(u, v)
    elif change == "fingerprint":
        copy.graph["meta"] = {**copy.graph["meta"], "initial_topology": "f" * 16}
    else:
        copy.graph["activation"] = "tanh"
    rep = build_report(gs, aligned=False, power_law=False)
    assert rep.duplicates == () and len(rep.networks) == 4


def test_duplicates_across_groups_and_the_same_graph_twice(three_and_a_copy):
    gs = three_and_a_copy[:3]
    rep = build_report([gs[0], gs[1], gs[0], gs[2]], groups=["x", "x", "y", "y"], aligned=False, power_law=False)
    assert [(d["label"], d["group"], d["duplicate_of"], d["duplicate_of_group"]) for d in rep.duplicates] == [
        ("m/seed-0#2", "y", "m/seed-0", "x")
    ]
    assert [c.name for c in rep.comparisons] == ["x", "all groups"]  # y keeps one network: nothing to compare
    assert rep.comparisons[1].labels == ("m/seed-0", "m/seed-1", "m/seed-2")
    rep = build_report([gs[0], gs[0], gs[0]], aligned=False, power_law=False)
    assert len(rep.networks) == 1 and len(rep.duplicates) == 2 and rep.comparisons == ()


def test_given_metrics_follow_the_networks_kept(three_and_a_copy):
    metrics = [_metrics(k) for k in range(4)]
    rep = build_report(three_and_a_copy, metrics=metrics, aligned=False, power_law=False)
    assert [n.metrics["seed"] for n in rep.networks] == [0, 1, 2]


# --------------------------------------------------------------------------- names


def test_a_300_character_group_name_is_written(make_layered, rng, tmp_path):
    """Figure file names came from group names: 'File name too long' after all the work."""
    long_a, long_b = "a" * 299 + "1", "a" * 299 + "2"  # the same slug but for the last character
    gs = [make_layered([6, 4, 2], 0.6, rng) for _ in range(4)]
    rep = build_report(gs, groups=[long_a, long_a, long_b, long_b], power_law=False, rng=0)
    paths = write_report(rep, tmp_path)
    names = [p.name for p in paths["figures"]]
    assert len(names) == len(set(names)) == 3 * 3 + 4
    assert all(len(name) <= 80 and re.fullmatch(r"[a-z0-9-]+\.png", name) for name in names), names
    edge = [name for name in names if name.startswith("jaccard-edge-")]
    assert len(edge) == 3 and edge[0][:-13] == edge[1][:-13] and edge[0] != edge[1]  # told apart by a hash
    page = paths["html"].read_text()
    assert long_a in page  # in full where it is named (a title attribute)
    data = json.loads(paths["json"].read_text())
    assert [c["name"] for c in data["comparisons"]] == [long_a, long_b, "all groups"]


@pytest.mark.parametrize(
    "name",
    [
        r"$\alpha$",  # mathtext that matplotlib cannot parse made savefig fail after all the work
        r"$\undefined$ cost",
        "caf\udce9",  # a name from a file path that is not UTF-8 (surrogateescape)
        "<b>&'\"",
        "x" * 5000,
    ],
    ids=["mathtext", "bad-mathtext", "surrogate", "html", "5000-chars"],
)
def test_any_name_can_be_written(make_layered, rng, tmp_path, name):
    gs = [make_layered([6, 4, 2], 0.6, rng) for _ in range(4)]
    for k, G in enumerate(gs):
        G.graph["meta"] = {"method": name, "seed": k}
    metrics = [_metrics(k) for k in range(4)]
    groups = [None, None, name + "2", name + "2"]
    rep = build_report(gs, groups=groups, metrics=metrics, aligned=False, power_law=False)
    paths = write_report(rep, tmp_path)
    assert "training.png" in {p.name for p in paths["figures"]}  # a legend of groups
    page = paths["html"].read_bytes().decode("utf-8")  # valid UTF-8 whatever the names
    assert page.count("data:image/png;base64,") == len(paths["figures"]) == 8
    assert json.loads(paths["json"].read_text(encoding="ascii"))["networks"][0]["group"] == name
