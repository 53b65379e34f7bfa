"""netgraph.study: seed spawning, the run grid (in and across processes) and group summaries."""

import json
import math

import networkx as nx
import pytest

from netgraph.errors import ArchitectureMismatchError, ParameterError
from netgraph.study import run_grid, spawn_seeds, summarize_group
from netgraph.train import TrainConfig


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


def test_spawn_seeds_is_reproducible_and_distinct():
    seeds, entropy = spawn_seeds(4, entropy=123)
    assert entropy == 123
    assert seeds == spawn_seeds(4, entropy=123)[0]
    assert len(set(seeds)) == 4 and all(isinstance(s, int) and 0 <= s < 2**32 for s in seeds)
    assert spawn_seeds(2)[1] != spawn_seeds(2)[1]  # fresh OS entropy each time


@pytest.mark.parametrize("n", [0, -1, 1.5, True])
def test_spawn_seeds_rejects_bad_counts(n):
    with pytest.raises(ParameterError, match="n="):
        spawn_seeds(n)


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
        ([_layered(STRAIGHT, (2, 2, 1)), _layered([(0, 0, 0)], (2, 3, 1))], ArchitectureMismatchError, "cannot be compared edge by edge"),
    ],
)
def test_summary_rejects(graphs, error, message):
    with pytest.raises(error, match=message):
        summarize_group(graphs)


def _configs():
    common = dict(dataset="synthetic", layers=(20, 12, 4), density=0.5, epochs=2, batch_size=64)
    return [TrainConfig(**common, growth="random"), TrainConfig(**common, growth="strategic", target_density=0.25)]


def test_run_grid_layout_and_workers_agree(tmp_path):
    seen = []
    one = run_grid(_configs(), [3, 1], tmp_path / "a", workers=1, progress=lambda d, t, r: seen.append((d, t, r.method)))
    two = run_grid(_configs(), [3, 1], tmp_path / "b", workers=2, keep="last")
    assert [(r.method, r.seed) for r in one] == [("random", 3), ("random", 1), ("strategic+prune", 3), ("strategic+prune", 1)]
    assert seen == [(1, 4, "random"), (2, 4, "random"), (3, 4, "strategic+prune"), (4, 4, "strategic+prune")]
    for r in one:
        assert (tmp_path / "a" / r.method / f"seed-{r.seed}" / "final.pt").is_file()
        params = json.loads((tmp_path / "a" / r.method / f"seed-{r.seed}" / "params.json").read_text())
        assert params["seed"] == r.seed and params["keep"] == "all"
        assert sorted(p.name for p in (tmp_path / "a" / r.method / f"seed-{r.seed}").glob("*.pt")) == [
            "epoch-001.pt", "epoch-002.pt", "final.pt"
        ]
        # keep="last" reaches the worker processes; it changes what stays on disk, not the results
        assert sorted(p.name for p in (tmp_path / "b" / r.method / f"seed-{r.seed}").glob("*.pt")) == [
            "epoch-002.pt", "final.pt"
        ]
        assert json.loads((tmp_path / "b" / r.method / f"seed-{r.seed}" / "params.json").read_text())["keep"] == "last"
    # one torch thread per run, whichever process trains it: identical results
    assert [(r.final_test_accuracy, r.final_connections, r.epochs[0]["loss"]) for r in one] == [
        (r.final_test_accuracy, r.final_connections, r.epochs[0]["loss"]) for r in two
    ]
    # pruned to 25% overall (of 240 + 48), each layer keeping the same share of its initial connections
    initial = one[2].epochs[0]["connections"]
    share = 0.25 * 288 / sum(initial)
    assert one[2].final_connections == pytest.approx([n * share for n in initial], abs=1)
    assert sum(one[2].final_connections) == pytest.approx(72, abs=1)
    assert not math.isnan(one[0].final_test_accuracy)


def test_run_grid_keep_last_in_process(tmp_path):
    results = run_grid(_configs()[:1], [0], tmp_path, workers=1, keep="last")
    run = tmp_path / results[0].method / "seed-0"
    assert sorted(p.name for p in run.iterdir()) == ["epoch-002.pt", "final.pt", "metrics.json", "params.json"]


def test_run_grid_refuses_to_overwrite_and_resumes(tmp_path):
    cfg = _configs()[:1]
    first = run_grid(cfg, [0], tmp_path, workers=1)
    with pytest.raises(ParameterError, match="already holds a run"):
        run_grid(cfg, [0], tmp_path, workers=1)
    again = run_grid(cfg, [0], tmp_path, workers=1, resume=True)
    assert again[0].final_test_accuracy == first[0].final_test_accuracy and again[0].resumed_from == 2


@pytest.mark.parametrize(
    "configs, seeds, workers, message",
    [
        ([], [0], 1, "non-empty list of TrainConfig"),
        (["x"], [0], 1, r"configs\[0\] is a str"),
        ("dup", [0], 1, r"method labels \['random'\] occur more than once"),
        ("ok", [], 1, "non-empty list"),
        ("ok", [0, 0], 1, "distinct"),
        ("ok", [-1], 1, "not a non-negative int"),
        ("ok", "0-4", 1, "expected a non-empty list"),
        ("ok", [0], 0, "workers=0"),
        ("ok", [0], "keep=some", "keep='some' is not valid; expected one of 'all', 'last'"),
    ],
)
def test_run_grid_rejects(tmp_path, configs, seeds, workers, message):
    if configs == "ok":
        configs = _configs()
    elif configs == "dup":
        configs = [_configs()[0], _configs()[0]]
    kwargs = {"workers": workers}
    if isinstance(workers, str):  # an option other than workers
        kwargs = dict([workers.split("=")])
    with pytest.raises(ParameterError, match=message):
        run_grid(configs, seeds, tmp_path, **kwargs)
    assert not any(tmp_path.iterdir())  # nothing started
