"""netgraph.training.study: seed spawning, the run grid (in and across processes), the pruning window and run aggregates."""

import json
import math
import statistics
from types import SimpleNamespace

import pytest

from netgraph.errors import ParameterError
from netgraph.training.run import TrainConfig
from netgraph.training.study import RunsSummary, pruning_window, run_grid, spawn_seeds, summarize_runs


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


# the cross-seed summary of the final networks lives in analysis (tests/analysis/test_summary.py)


@pytest.mark.parametrize(
    "epochs, window",
    [
        (2, (1, 1)),
        (3, (1, 2)),
        (9, (1, 8)),
        (10, (2, 8)),
        (11, (2, 9)),
        (30, (6, 24)),
        (50, (10, 40)),
        (200, (40, 160)),
    ],
)
def test_pruning_window(epochs, window):
    start, end = pruning_window(epochs)
    assert (start, end) == window
    assert 1 <= start <= end < epochs  # at least one epoch before the first step and after the last


@pytest.mark.parametrize("epochs", [0, 1, -3, 2.5, True, "10"])
def test_pruning_window_rejects(epochs):
    with pytest.raises(ParameterError, match="epochs="):
        pruning_window(epochs)


def _run(method="m", seed=0, acc=0.9, connections=(10, 5), sizes=(4, 5, 2), seconds=1.0):
    return SimpleNamespace(
        method=method,
        seed=seed,
        layer_sizes=sizes,
        final_test_accuracy=acc,
        final_connections=connections,
        seconds=seconds,
    )


def test_summarize_runs_numbers():
    runs = [_run(seed=0, acc=0.9, connections=(10, 5)), _run(seed=3, acc=0.8, connections=(8, 3), seconds=2.5)]
    r = summarize_runs(runs)
    assert isinstance(r, RunsSummary) and r.method == "m" and r.seeds == [0, 3]
    assert r.test_accuracy == [0.9, 0.8] and r.run_seconds == [1.0, 2.5]
    assert r.accuracy_mean == statistics.mean([0.9, 0.8]) and r.accuracy_std == statistics.stdev([0.9, 0.8])
    assert r.connections_mean == 13 and r.dense_connections == 4 * 5 + 5 * 2 and r.compression == 30 / 13
    assert json.loads(json.dumps(r.to_dict())) == r.to_dict()


def test_summarize_runs_of_one_seed_has_no_spread():
    r = summarize_runs([_run(acc=0.5)])
    assert r.accuracy_std == 0.0 and r.accuracy_mean == 0.5 and r.compression == 2.0


@pytest.mark.parametrize(
    "results, message",
    [
        ([], "non-empty list"),
        ("runs", "non-empty list"),
        ([_run(method="a"), _run(method="b")], r"mix the methods \['a', 'b'\]"),
        ([_run(), _run(sizes=(4, 6, 2))], "mix the layer sizes"),
    ],
)
def test_summarize_runs_rejects(results, message):
    with pytest.raises(ParameterError, match=message):
        summarize_runs(results)


def _configs():
    common = dict(dataset="synthetic", layers=(20, 12, 4), density=0.5, epochs=2, batch_size=64)
    return [TrainConfig(**common, growth="random"), TrainConfig(**common, growth="strategic", target_density=0.25)]


@pytest.mark.e2e
def test_run_grid_layout_and_workers_agree(tmp_path):
    seen = []
    one = run_grid(
        _configs(), [3, 1], tmp_path / "a", workers=1, progress=lambda d, t, r: seen.append((d, t, r.method))
    )
    two = run_grid(_configs(), [3, 1], tmp_path / "b", workers=2, keep="last")
    assert [(r.method, r.seed) for r in one] == [
        ("random", 3),
        ("random", 1),
        ("strategic+prune", 3),
        ("strategic+prune", 1),
    ]
    assert seen == [(1, 4, "random"), (2, 4, "random"), (3, 4, "strategic+prune"), (4, 4, "strategic+prune")]
    for r in one:
        assert (tmp_path / "a" / r.method / f"seed-{r.seed}" / "final.pt").is_file()
        params = json.loads((tmp_path / "a" / r.method / f"seed-{r.seed}" / "params.json").read_text())
        assert params["seed"] == r.seed and params["keep"] == "all"
        assert sorted(p.name for p in (tmp_path / "a" / r.method / f"seed-{r.seed}").glob("*.pt")) == [
            "epoch-001.pt",
            "epoch-002.pt",
            "final.pt",
        ]
        # keep="last" reaches the worker processes; it changes what stays on disk, not the results
        assert sorted(p.name for p in (tmp_path / "b" / r.method / f"seed-{r.seed}").glob("*.pt")) == [
            "epoch-002.pt",
            "final.pt",
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
        ("ok", [0, 0], 1, r"seeds=\[0, 0\], must be distinct \(0 repeats\)"),
        ("ok", [-1], 1, r"seeds\[0\]=-1, must be an int >= 0"),
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


@pytest.mark.e2e
def test_epochs_progress_ends_at_the_total_even_where_the_metrics_files_lag(tmp_path, monkeypatch):
    import netgraph.training.study

    # this process never sees the runs' metrics.json (a shared filesystem that shows them late):
    # finished runs still count all their epochs, so the last call is the total
    monkeypatch.setattr(netgraph.training.study, "_epochs_done", lambda run_dir: 0)
    seen = []
    run_grid(
        _configs()[:1], [0, 1], tmp_path, workers=1, epochs_progress=lambda done, total: seen.append((done, total))
    )
    assert seen[-1] == (4, 4)
    assert {total for _, total in seen} == {4}
    assert [done for done, _ in seen] == sorted(done for done, _ in seen)  # it never goes back
