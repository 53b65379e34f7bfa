"""analysis.summary: the cross-seed summary of a group of networks, alone and as the report states it."""

import json
import math

import networkx as nx
import numpy as np
import pytest

from analysis import (
    MIN_SHARES,
    GroupSummary,
    aligned_jaccard,
    build_report,
    random_like,
    summarize_group,
    write_report,
)
from netgraph.errors import ArchitectureMismatchError, GraphContractError, ParameterError


def _layered(edges, sizes):
    """A layered graph with every node (isolated too) and the given (layer, i) -> (layer + 1, j) edges."""
    G = nx.DiGraph()
    for l, n in enumerate(sizes):
        G.add_nodes_from(((l, i) for i in range(n)), layer=l)
    G.add_edges_from(((l, i), (l + 1, j)) for l, i, j in edges)
    return G


# 2-2-1: inputs 0,1 -> hidden 0,1 (straight), both hidden -> output
STRAIGHT = [(0, 0, 0), (0, 1, 1), (1, 0, 0), (1, 1, 0)]
CROSSED = [(0, 0, 1), (0, 1, 0), (1, 0, 0), (1, 1, 0)]  # the same network with its hidden neurons swapped


# ---------------------------------------------------------------- hand-computed answers (moved from netgraph.training.study)


def test_summary_of_identical_networks():
    G = _layered(STRAIGHT, (2, 2, 1))
    s = summarize_group([G, G.copy()], method="same", rng=0)
    assert s.edge == {"overall": 1.0, "0": 1.0, "1": 1.0}
    # densities: block 0 holds 2 of 4 edges, block 1 2 of 2, overall 4 of 6
    assert s.edge_chance["0"] == pytest.approx(0.5 / 1.5)
    assert s.edge_chance["1"] == 1.0
    # overall: expected intersection 4 * 0.5^2 + 2 * 1^2 = 3 edges of an expected union 2 + 2 + 2 + 2 - 3
    assert s.edge_chance["overall"] == pytest.approx(3 / 5)
    assert s.common_edges == {"1.0": 4, "0.8": 4}
    # chance of an edge being in both random masks: 4 * 0.5^2 + 2 * 1^2
    assert s.common_edges_chance["1.0"] == pytest.approx(3.0)
    assert s.connections == [2.0, 2.0] and s.total_connections == 4.0 and s.density == pytest.approx(4 / 6)
    assert s.input_correlation != s.input_correlation  # both inputs have out-degree 1: nan
    # N = 5 nodes, maximum matching 2 (block 0) + 1 (block 1) -> N_D = 2, bound 2 + 0 + 0
    assert s.driver_fraction == pytest.approx(2 / 5) and s.driver_shortfall == 0.0
    assert s.degrees["in_mean"][1:] == [1.0, 2.0] and s.degrees["n_isolated"] == [0.0, 0.0, 0.0]


def test_summary_aligns_permuted_hidden_neurons():
    G, H = _layered(STRAIGHT, (2, 2, 1)), _layered(CROSSED, (2, 2, 1))
    s = summarize_group([G, H], rng=0)
    assert s.edge["0"] == 0.0 and s.edge["1"] == 1.0 and s.edge["overall"] == pytest.approx(2 / 6)
    assert s.aligned == {"overall": 1.0, "0": 1.0, "1": 1.0}
    assert s.common_edges == {"1.0": 2, "0.8": 2}
    assert s.method == "(no method)" and s.n_networks == 2


def test_summary_common_subnetwork_shares_with_five_networks():
    base = [(0, 0, 0), (0, 1, 1), (1, 0, 0), (1, 1, 0)]
    graphs = [_layered(base, (2, 2, 1)) for _ in range(4)] + [_layered(base[:3], (2, 2, 1))]
    s = summarize_group(graphs, method="five", rng=0)
    # edge (1,1)->(2,0) is in 4 of 5 graphs: out at min_share 1.0, in at 0.8 (ceil(0.8 * 5) = 4)
    assert s.common_edges == {"1.0": 3, "0.8": 4}
    assert s.common_curve == {"0.2": 4, "0.4": 4, "0.6": 4, "0.8": 4, "1": 3}
    # random masks with block densities 0.5 (4 possible) and 0.9 (2 possible): 4 * 0.5^5 + 2 * 0.9^5
    assert s.common_curve_chance["1"] == pytest.approx(4 * 0.5**5 + 2 * 0.9**5)
    assert s.edge["overall"] == pytest.approx((6 * 1.0 + 4 * 0.75) / 10)
    assert [float(x) for x in s.common_edges] == list(MIN_SHARES)


def test_summary_to_dict_is_json_safe():
    G, H = _layered(STRAIGHT, (2, 2, 1)), _layered(CROSSED, (2, 2, 1))
    d = json.loads(json.dumps(summarize_group([G, H], method="m", rng=0).to_dict()))
    assert d["method"] == "m" and d["aligned"]["overall"] == 1.0 and d["input_correlation"] is None
    assert d["degrees"]["in_mean"][0] is None  # inputs have no in-degree
    assert "netgraph_version" in d


@pytest.mark.parametrize(
    "graphs, error, message",
    [
        ([], ParameterError, "need >= 2"),
        ([_layered(STRAIGHT, (2, 2, 1))], ParameterError, "need >= 2"),
        (
            [_layered(STRAIGHT, (2, 2, 1)), _layered([(0, 0, 0)], (2, 3, 1))],
            ArchitectureMismatchError,
            "cannot be compared edge by edge",
        ),
        (_layered(STRAIGHT, (2, 2, 1)), ParameterError, "need >= 2"),
        ([nx.DiGraph([("a", "b")]), nx.DiGraph([("a", "b")])], GraphContractError, "not a layered graph"),
    ],
)
def test_summary_rejects(graphs, error, message):
    with pytest.raises(error, match=message):
        summarize_group(graphs)


# ---------------------------------------------------------------- provenance, fields, the aligned baseline


def test_summary_is_frozen_and_records_its_parameters():
    G, H = _layered(STRAIGHT, (2, 2, 1)), _layered(CROSSED, (2, 2, 1))
    s = summarize_group([G, H], method="m", rng=7)
    assert isinstance(s, GroupSummary)
    with pytest.raises(AttributeError):
        s.method = "other"
    d = s.to_dict()
    # the fields study.json and reproduce.py's renderer read stay where they were
    for key in (
        "edge",
        "edge_chance",
        "aligned",
        "aligned_null",
        "common_edges",
        "common_edges_chance",
        "common_curve",
        "common_curve_chance",
        "input_correlation",
        "driver_fraction",
        "driver_shortfall",
        "layer_shortfall",
        "degrees",
        "total_connections",
        "seeds",
        "layer_sizes",
        "seconds",
    ):
        assert key in d, key
    assert d["parameters"]["rng"] == 7 and d["parameters"]["min_shares"] == [1.0, 0.8]
    assert d["provenance"]["function"] == "analysis.summarize_group"
    assert d["provenance"]["parameters"]["rng"] == 7 and d["provenance"]["parameters"]["method"] == "m"
    assert d["provenance"]["netgraph_version"] == d["netgraph_version"]


def _previous_aligned_null(graphs, rng):
    """The aligned baseline as netgraph.training.study computed it: random_like per network, aligned_jaccard per pair."""
    from netgraph.validation import check_rng

    gen = check_rng(rng)
    randoms = [random_like(G, rng=gen) for G in graphs]
    rows = []
    k = len(graphs)
    for a in range(k):
        for b in range(a + 1, k):
            j = aligned_jaccard(randoms[a], randoms[b])
            rows.append({"overall": j.value, **{str(l): v for l, v in enumerate(j.layer_values)}})
    return {key: float(np.mean([r[key] for r in rows])) for key in rows[0]}


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_aligned_baseline_is_the_studys_bit_for_bit(make_layered, seed):
    """The baseline docs/RESULTS.md was computed with: one random_like network per network, aligned pairwise."""
    rng = np.random.default_rng(seed)
    graphs = [make_layered([12, 10, 8, 3], d, rng) for d in (0.3, 0.35, 0.3, 0.5)]
    s = summarize_group(graphs, rng=0)
    assert s.aligned_null == _previous_aligned_null(graphs, 0)  # exact, not approx
    for key in s.aligned:
        expected = np.mean(
            [
                (lambda j: j.value if key == "overall" else j.layer_values[int(key)])(
                    aligned_jaccard(graphs[a], graphs[b])
                )
                for a in range(4)
                for b in range(a + 1, 4)
            ]
        )
        assert s.aligned[key] == float(expected)


def test_nnstd_and_its_random_baseline(make_layered):
    """Mean NNSTD of the pairs, and of the same random_like networks the aligned baseline aligns, to the bit."""
    from analysis import nnstd
    from netgraph.validation import check_rng

    rng = np.random.default_rng(3)
    graphs = [make_layered([12, 10, 8, 3], d, rng) for d in (0.3, 0.35, 0.3, 0.5)]
    s = summarize_group(graphs, rng=0)
    gen = check_rng(0)
    randoms = [random_like(G, rng=gen) for G in graphs]
    pairs = [(a, b) for a in range(4) for b in range(a + 1, 4)]
    real = [nnstd(graphs[a], graphs[b]) for a, b in pairs]
    null = [nnstd(randoms[a], randoms[b]) for a, b in pairs]
    for key in s.nnstd:
        pick = [d.value if key == "overall" else d.per_layer[int(key)] for d in real]
        assert s.nnstd[key] == float(np.mean(pick))
        pick = [d.value if key == "overall" else d.per_layer[int(key)] for d in null]
        assert s.nnstd_null[key] == float(np.mean(pick))
    assert set(s.nnstd) == set(s.aligned) == set(s.nnstd_null)
    assert 0.0 < s.nnstd["overall"] <= 1.0 and 0.0 < s.nnstd_null["overall"] <= 1.0
    d = s.to_dict()
    assert d["nnstd"] == s.nnstd and d["nnstd_null"] == s.nnstd_null


def test_aligned_baseline_depends_on_rng_only(make_layered, rng):
    graphs = [make_layered([10, 8, 2], 0.3, rng) for _ in range(3)]
    assert summarize_group(graphs, rng=5).aligned_null == summarize_group(graphs, rng=5).aligned_null
    assert summarize_group(graphs, rng=5).aligned_null != summarize_group(graphs, rng=6).aligned_null


def test_without_alignment_the_aligned_fields_are_nan(make_layered, rng):
    graphs = [make_layered([6, 5, 2], 0.5, rng) for _ in range(2)]
    s = summarize_group(graphs, aligned=False)
    assert set(s.aligned) == set(s.edge) == set(s.aligned_null)
    assert all(math.isnan(v) for v in [*s.aligned.values(), *s.aligned_null.values()])
    assert all(math.isnan(v) for v in [*s.nnstd.values(), *s.nnstd_null.values()])
    assert s.to_dict()["aligned"]["overall"] is None and s.parameters["aligned"] is False
    full = summarize_group(graphs, rng=0).to_dict()  # to_dict: nan becomes None, which compares equal
    assert [s.to_dict()[k] for k in ("edge", "common_edges", "degrees")] == [
        full[k] for k in ("edge", "common_edges", "degrees")
    ]


# ---------------------------------------------------------------- the report states the same summary


@pytest.fixture
def study(make_layered, rng):
    """Two methods x three seeds of one architecture, plus one network of another."""
    out = []
    for method, density in (("random", 0.3), ("strategic", 0.4)):
        for seed in range(3):
            G = make_layered([9, 8, 6, 3], density, rng)
            G.graph["meta"] = {"method": method, "seed": seed}
            out.append(G)
    odd = make_layered([9, 7, 6, 3], 0.3, rng)
    odd.graph["meta"] = {"method": "random", "seed": 9}
    return out + [odd]


def _comparable(summary):
    d = summary.to_dict()
    del d["seconds"]
    return d


def test_every_comparison_carries_the_groups_summary(study):
    rep = build_report(study, power_law=False, rng=0)
    names = [c.name for c in rep.comparisons]
    assert names == ["random (9-8-6-3)", "strategic", "all methods (9-8-6-3)"]
    members = {names[0]: study[:3], names[1]: study[3:6], names[2]: study[:6]}
    for c in rep.comparisons:
        alone = summarize_group(members[c.name], method=c.name, rng=0)
        assert _comparable(c.summary) == _comparable(alone), c.name
        # the matrices and the summary agree exactly: the group means are the summary's
        assert c.edge.mean == c.summary.edge["overall"] and c.edge.mean_chance == c.summary.edge_chance["overall"]
        assert c.aligned.mean == c.summary.aligned["overall"]
        assert c.aligned.mean_chance == c.summary.aligned_null["overall"]
        assert c.nnstd.mean == c.summary.nnstd["overall"] and c.nnstd.mean_chance == c.summary.nnstd_null["overall"]
        assert c.nnstd.kind == "nnstd" and np.all(np.diag(c.nnstd.values) == 0.0)
        assert [m.mean for m in c.edge_by_layer] == [c.summary.edge[str(l)] for l in range(3)]
        assert int(c.curve.edges[-1]) == c.summary.common_edges["1.0"]


def test_report_aligns_every_pair_once(study, monkeypatch):
    from analysis import local_pair_map
    from analysis._pairs import aligned_nnstd_task

    aligned = []

    def counting(fn, items, pairs, *args):
        if fn is aligned_nnstd_task:  # the real networks (the random ones go through null_values)
            aligned.extend((len(items), a, b) for a, b in pairs)
        return local_pair_map(fn, items, pairs, *args)

    def again(*args, **kwargs):
        raise AssertionError("the summary aligned the real networks again")

    monkeypatch.setattr("analysis._group.measure_group", again)  # the summaries must not measure (align) again
    rep = build_report(study, power_law=False, rng=0, pair_map=counting)
    assert len(aligned) == len(set(aligned)) == 6 * 5 // 2  # the 9-7-6-3 network has nobody to align with
    assert {n for n, _, _ in aligned} == {6}  # one call for the 9-8-6-3 networks
    assert len(rep.comparisons) == 3


def test_report_json_and_page_state_the_summary(study, tmp_path):
    rep = build_report(study[:6], power_law=False, rng=3)
    paths = write_report(rep, tmp_path)
    data = json.loads(paths["json"].read_text())
    page = paths["html"].read_text()
    for c, d in zip(rep.comparisons, data["comparisons"]):
        s = d["summary"]
        assert s == json.loads(json.dumps(c.summary.to_dict()))
        assert d["aligned"]["mean_chance"] == s["aligned_null"]["overall"]
        assert d["aligned"]["mean"] == s["aligned"]["overall"]
        # the aligned chance of each pair is the aligned Jaccard of the pair's two random networks
        chance = np.array(d["aligned"]["chance"])
        assert np.mean(chance[np.triu_indices(len(d["labels"]), 1)]) == s["aligned_null"]["overall"]
        row = (
            f"<td>{c.name}</td><td>{len(c.labels)}</td><td>{s['edge']['overall']:.4g}</td>"
            f"<td>{s['edge_chance']['overall']:.4g}</td><td>{s['aligned']['overall']:.4g}</td>"
            f"<td>{s['aligned_null']['overall']:.4g}</td><td>{s['nnstd']['overall']:.4g}</td>"
            f"<td>{s['nnstd_null']['overall']:.4g}</td>"
        )
        assert d["nnstd"]["mean"] == s["nnstd"]["overall"] and d["nnstd"]["mean_chance"] == s["nnstd_null"]["overall"]
        assert d["nnstd"]["provenance"]["function"] == "analysis.build_report"
        assert row in page
    assert data["provenance"]["parameters"]["rng"] == 3


def test_report_rng_int_seeds_each_comparison_generator_is_one_stream(study):
    by_int = build_report(study[:6], power_law=False, rng=4)
    by_gen = build_report(study[:6], power_law=False, rng=np.random.default_rng(4))
    # the first comparison draws first from the stream: the same numbers
    assert by_int.comparisons[0].summary.aligned_null == by_gen.comparisons[0].summary.aligned_null
    # later ones continue the stream instead of starting it again
    assert by_int.comparisons[1].summary.aligned_null != by_gen.comparisons[1].summary.aligned_null


def test_report_without_alignment_still_summarises(study):
    rep = build_report(study[:6], aligned=False, power_law=False)
    for c in rep.comparisons:
        assert c.aligned is None and math.isnan(c.summary.aligned_null["overall"])
        assert c.nnstd is None and math.isnan(c.summary.nnstd["overall"])
        assert c.summary.edge["overall"] == c.edge.mean
