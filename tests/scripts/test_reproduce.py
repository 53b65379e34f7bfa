"""scripts/reproduce.py: the paper's configurations, claims and RESULTS.md rendering, on hand-made numbers.

Nothing is trained: the study dicts below are written by hand in the shape ``run_part`` writes
to ``OUT/<dataset>/study.json`` (each row's ``summary`` is an ``analysis.GroupSummary.to_dict()``).
"""

import copy
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))

import reproduce  # noqa: E402


def _summary(
    edge,
    aligned,
    *,
    chance=(0.053, 0.053, 0.053, 0.053),
    null=(0.303, 0.157, 0.049, 0.179),
    common=(1, 34),
    common_chance=(0.8, 38.8),
    connections=8446,
    corr=0.0,
    shortfall=0.0,
    iso=0.0,
):
    """A summary dict of a 4-layer network: ``edge`` and ``aligned`` are (block 0, 1, 2, overall)."""
    keys = ["0", "1", "2", "overall"]
    return {
        "edge": dict(zip(keys, edge)),
        "edge_chance": dict(zip(keys, chance)),
        "aligned": dict(zip(keys, aligned)),
        "aligned_null": dict(zip(keys, null)),
        "common_edges": {"1.0": common[0], "0.8": common[1]},
        "common_edges_chance": {"1.0": common_chance[0], "0.8": common_chance[1]},
        "total_connections": float(connections),
        "input_correlation": corr,
        "driver_fraction": 0.437,
        "driver_shortfall": shortfall,
        "degrees": {
            "in_mean": [None, 6.4, 25.6, 25.7],
            "in_std": [None, 3.6, 10.6, 9.3],
            "in_max": [0, 17, 48, 40],
            "out_mean": [25.7, 6.4, 25.6, None],
            "out_std": [29.5, 3.6, 10.6, None],
            "out_max": [90, 17, 48, 0],
            "n_isolated": [0.0, iso, 0.0, 0.0],
        },
    }


def _row(method, config, acc, std, connections, summary):
    return {
        "method": method,
        "config": config,
        "seeds": [0, 1, 2, 3, 4],
        "test_accuracy": [acc] * 5,
        "accuracy_mean": acc,
        "accuracy_std": std,
        "connections_mean": connections,
        "compression": 84480 / connections,
        "run_seconds": [1.0] * 5,
        "summary": summary,
    }


@pytest.fixture
def study():
    """The digits study in RESULTS.md's shape: dense, strategic and strategic+prune, with its numbers."""
    configs = {c.method: c.to_dict() for c in reproduce.build_configs(reproduce.DIGITS, epochs=50)}
    dense = _summary(
        (1.0,) * 4,
        (1.0,) * 4,
        chance=(1.0,) * 4,
        null=(1.0,) * 4,
        common=(84480, 84480),
        common_chance=(84480.0, 84480.0),
        connections=84480,
        corr=None,
    )
    strategic = _summary((0.052, 0.051, 0.043, 0.051), (0.229, 0.143, 0.052, 0.156))
    pruned = _summary(
        (0.027, 0.025, 0.023, 0.025),
        (0.279, 0.135, 0.036, 0.157),
        chance=(0.026,) * 4,
        null=(0.336, 0.148, 0.021, 0.176),
        common=(0, 0),
        common_chance=(0.0, 2.5),
        connections=4224,
        corr=0.06,
        shortfall=0.2,
        iso=0.2,
    )
    return {
        "dataset": "digits",
        "layers": [64, 256, 256, 10],
        "topology": {"density": 0.1},
        "initial_density": 0.1,
        "dense_connections": 84480,
        "epochs": 50,
        "seeds": [0, 1, 2, 3, 4],
        "workers": 2,
        "rows": [
            _row("dense", configs["dense"], 0.9749, 0.0020, 84480, dense),
            _row("strategic", configs["strategic"], 0.9554, 0.0092, 8446, strategic),
            _row("strategic+prune", configs["strategic+prune"], 0.9543, 0.0085, 4224, pruned),
        ],
        "trained_runs": 15,
        "report_html": str(ROOT / "runs" / "reproduce" / "digits" / "report" / "report.html"),
        "seconds": {"training": 48.2, "epochs_sum": 76.0, "summaries": 2.4, "report": 8.1, "summaries_in_report": True},
        "command": "python scripts/reproduce.py",
        "machine": "x86_64, 2 cores, Python 3.11.7, torch 2.13.0+cpu",
    }


FIGURES = {
    key: ROOT / "docs" / "figures" / f"study-digits-{key}.png" for key in ("jaccard", "accuracy", "common", "input")
}


# --------------------------------------------------------------------------- configurations


def test_build_configs_dense_baseline_plus_growth_by_pruning():
    configs = reproduce.build_configs(reproduce.DIGITS, epochs=50)
    assert [c.method for c in configs] == [
        "dense",
        "random",
        "random+prune",
        "strategic",
        "strategic+prune",
        "gradient",
        "gradient+prune",
    ]
    dense, pruned = configs[0].to_dict(), configs[2].to_dict()
    assert dense["density"] is None and dense["epsilon"] is None and dense["growth"] in (None, "none")
    assert all(c.to_dict()["layers"] == [64, 256, 256, 10] and c.to_dict()["lr"] == 0.03 for c in configs)
    # GMP to half the initial density, in the study's default window
    assert (pruned["target_density"], pruned["prune_start"], pruned["prune_end"]) == (0.05, 10, 40)
    assert [c.to_dict()["growth"] for c in configs[1:]] == ["random"] * 2 + ["strategic"] * 2 + ["gradient"] * 2


def test_build_configs_mnist_targets_half_the_epsilon_density(tmp_path):
    configs = reproduce.build_configs(reproduce.MNIST, epochs=10, data_dir=str(tmp_path))
    pruned = configs[2].to_dict()
    assert (pruned["target_density"], pruned["prune_start"], pruned["prune_end"]) == (0.022491, 2, 8)
    assert pruned["epsilon"] == 20.0 and pruned["data_dir"] == str(tmp_path)


def test_build_configs_without_room_to_prune():
    configs = reproduce.build_configs(reproduce.DIGITS, epochs=1)
    assert [c.method for c in configs] == ["dense", "random", "strategic", "gradient"]
    assert [c.to_dict()["prune_end"] for c in reproduce.build_configs(reproduce.DIGITS, epochs=4)[2:3]] == [3]


# --------------------------------------------------------------------------- claims


def test_claims_verdicts_from_the_numbers(study):
    text = reproduce.claims([study])
    assert text.startswith("### The paper's claims against our numbers\n")
    assert (
        "- **digits, claim 1, reading A — strategic synthesis forms residual subnetworks up to ~90% similar "
        "across runs of one method (different seeds): our data does not support it.** Mean pairwise edge Jaccard over 5 seeds — strategic: raw 0.051 (chance "
        "0.053), aligned 0.156 (aligned random 0.179), 0.4% of its connections in ≥80% of the seeds (chance 0.5%), "
        "input-degree correlation 0.00; strategic+prune: raw 0.025 (chance 0.026), aligned 0.157 (aligned random "
        "0.176), 0.0% of its connections in ≥80% of the seeds (chance 0.1%), input-degree correlation 0.06."
    ) in text
    # the largest margin of an aligned block over its baseline: strategic+prune block 2→3, 0.036 - 0.021
    assert "is +0.015 (strategic+prune, block 2→3: 0.036 vs 0.021)" in text
    assert (
        "- **digits, claim 2 — pruning on top of synthesis improves compression: supported: 2.0× the compression "
        "with a mean accuracy change of -0.0011, within the seed-to-seed std (0.0092).**"
    ) in text
    assert "strategic 0.9554 ± 0.0092 at 10.0× → +prune 0.9543 ± 0.0085 at 20.0×" in text
    assert "These are short runs" not in text


def test_claims_change_with_the_numbers(study):
    st = copy.deepcopy(study)
    st["rows"][1]["summary"]["aligned"]["overall"] = 0.85  # strategic networks 85% alike after alignment
    st["rows"][2]["accuracy_mean"] = 0.90  # pruning costs 0.0554, more than the spread
    st["epochs"] = 4
    st["rows"][2]["config"] = dict(st["rows"][2]["config"], prune_start=1, prune_end=3)
    text = reproduce.claims([st])
    assert "our data supports it.**" in text
    assert (
        "supported only at a cost: 2.0× the compression for 0.0554 lower mean accuracy, more than the seed-to-seed "
        "std (0.0092).**"
    ) in text
    assert "These are short runs (4 epochs" in text and "prunes after epochs 1–3, leaving 1 epoch(s)" in text


# --------------------------------------------------------------------------- RESULTS.md section


def test_render_part_tables(study):
    text = reproduce.render_part(study, FIGURES, "python scripts/reproduce.py", ROOT / "docs")
    lines = text.splitlines()
    assert lines[0] == "### digits: 64-256-256-10, density = 0.1"
    assert lines[2].startswith(
        "What ran: 3 configurations × seeds [0, 1, 2, 3, 4] (5 each), 50 epochs, SGD lr 0.03 momentum 0.9, "
        "batch 32, ζ = 0.3 (set removal), initial density 0.1000; pruning: GMP to target density 0.05 "
    )
    assert " between epochs 10 and 40. 2 worker process(es) on x86_64, 2 cores" in lines[2]
    assert "similarity report 8 s (group summaries 2 s of it). " in lines[2]
    assert "Report: `runs/reproduce/digits/report/report.html` (not committed)." in lines[2]
    for row in [
        "| dense | 0.9749 ± 0.0020 | 84,480 | 1.0× | 0.437 | 0.0 | 0.0 | – |",
        "| strategic+prune | 0.9543 ± 0.0085 | 4,224 | 20.0× | 0.437 | 0.2 | 0.2 | 0.06 |",
        "| dense | 1.000 / 1.000 / 1.000 / 1.000 | 1.000 / 1.000 / 1.000 / 1.000 | 1.000 / 1.000 / 1.000 / 1.000 "
        "| 1.000 / 1.000 / 1.000 / 1.000 |",
        "| strategic | 0.052 / 0.053 / 0.229 / 0.303 | 0.051 / 0.053 / 0.143 / 0.157 | 0.043 / 0.053 / 0.052 / 0.049 "
        "| 0.051 / 0.053 / 0.156 / 0.179 |",
        "| dense | 84,480 (84,480.0) | 1.000 | 84,480 (84,480.0) | 1.000 |",
        "| strategic | 1 (0.8) | 0.000 | 34 (38.8) | 0.004 |",
        "| strategic | 6.4 / 3.6 / 17 | 25.6 / 10.6 / 48 | 25.7 / 9.3 / 40 | 25.7 / 29.5 | 0.0 |",
    ]:
        assert row in lines, row
    assert "(min_share 1.0) and in at least 4 of them (min_share 0.8)" in text
    assert "![digits: final test accuracy against connections](figures/study-digits-accuracy.png)  " in lines
    assert "*`docs/figures/study-digits-accuracy.png`: digits, final test accuracy against connections.*" in lines


def test_render_part_reads_studies_recorded_before_this_layout(study):
    """docs/RESULTS.md was rendered from study.json files that timed the summaries apart from the report."""
    st = copy.deepcopy(study)
    st["seconds"] = {"training": 48.2, "epochs_sum": 76.0, "summaries": 2.4, "report": 8.1}
    for r in st["rows"]:  # configurations recorded resolved
        r["config"] = dict(r["config"], pruning="gmp" if r["config"]["target_density"] else None)
    text = reproduce.render_part(st, FIGURES, "python scripts/reproduce.py", ROOT / "docs")
    assert ", summaries 2 s, similarity report 8 s. Report:" in text
    assert "pruning: GMP to target density 0.05 " in text


def test_render_section_puts_claims_before_the_parts(study):
    text = reproduce.render_section([study], {"digits": FIGURES}, ROOT / "docs" / "RESULTS.md")
    assert text.startswith("## Seed study (reading A: one method across seeds)\n")
    assert "Commands: digits: `python scripts/reproduce.py`." in text
    assert text.index("### The paper's claims") < text.index("### digits: 64-256-256-10")


def test_mnist_part_is_skipped_without_idx_files(tmp_path, capsys):
    assert (
        reproduce.main(["--skip-digits", "--data-dir", str(tmp_path), "--no-docs", "--out", str(tmp_path / "out")]) == 0
    )
    assert f"MNIST part skipped: no MNIST IDX files in --data-dir ({tmp_path})" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_nnstd_is_rendered_where_summaries_hold_it(study):
    st = copy.deepcopy(study)
    row = next(r for r in st["rows"] if r["method"] == "strategic")
    keys = ["0", "1", "2", "overall"]
    row["summary"]["nnstd"] = dict(zip(keys, (0.61, 0.72, 0.33, 0.553)))
    row["summary"]["nnstd_null"] = dict(zip(keys, (0.62, 0.73, 0.35, 0.567)))
    text = reproduce.render_part(st, FIGURES, "python scripts/reproduce.py", ROOT / "docs")
    assert "| strategic | 0.610 / 0.620 | 0.720 / 0.730 | 0.330 / 0.350 | 0.553 / 0.567 |" in text
    assert "NNSTD 0.553 (random 0.567), " in reproduce.claims([st])
    # summaries without NNSTD (studies written before it) render without the table
    assert "Mean pairwise NNSTD" not in reproduce.render_part(
        study, FIGURES, "python scripts/reproduce.py", ROOT / "docs"
    )
