"""scripts/study_approaches.py: its measures on hand-set masks, and the whole pipeline on a tiny study."""

import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))

import study_approaches as sa  # noqa: E402


def test_hidden_alive_jaccard_counts_neurons_with_a_path():
    import torch

    from netgraph import SparseMLP, to_graph
    from netgraph.topology.edits import remove_dead

    # 2-3-1: hidden 0 feeds the output, hidden 1 has inputs but no output, hidden 2 nothing in
    a = SparseMLP([2, 3, 1], masks=[torch.tensor([[1, 1], [1, 0], [0, 0]]).bool(), torch.tensor([[1, 0, 1]]).bool()])
    # hidden 0 and 1 both have a path
    b = SparseMLP([2, 3, 1], masks=[torch.tensor([[1, 0], [0, 1], [0, 0]]).bool(), torch.tensor([[1, 1, 0]]).bool()])
    s = sa.hidden_alive_jaccard(remove_dead(to_graph(a)), remove_dead(to_graph(b)))
    assert s["alive"] == [1, 2] and s["hidden"] == 3
    assert s["jaccard"] == pytest.approx(1 / 2)
    # random sets of 1 and 2 of 3 neurons: expected intersection 2/3
    assert s["chance"] == pytest.approx((2 / 3) / (3 - 2 / 3))


@pytest.mark.e2e
def test_tiny_study_end_to_end(tmp_path, monkeypatch):
    spec = {
        "dataset": "digits",
        "common": {"dataset": "digits", "layers": (64, 12, 10), "density": 0.3},
        "seeds": "0-1",
        "regimes": {"zeta0.3": (0.3, None, 3), "prune": (0.3, 0.1, 3)},
    }
    monkeypatch.setattr(sa, "DIGITS", spec)
    results = tmp_path / "RESULTS.md"
    results.write_text("# Results\n\nkept text\n")
    argv = ["--out", str(tmp_path / "out"), "--workers", "1", "--results", str(results)]
    argv += ["--figures", str(tmp_path / "fig")]
    assert sa.main(argv) == 0
    study = json.loads((tmp_path / "out" / "digits" / "approaches.json").read_text())
    base = study["regimes"][0]
    assert [row["epoch"] for row in base["per_epoch"]] == [1, 2, 3]
    first = base["per_epoch"][0]
    # epoch 1 precedes every topology update: the three methods hold the one initial network
    assert first["across_methods_same_seed"]["jaccard"] == 1.0
    assert all(v["share"] == 1.0 for v in first["survival"].values())
    assert base["per_epoch"][1]["across_methods_same_seed"]["jaccard"] < 1.0
    text = results.read_text()
    assert "kept text" in text and "## Reading B" in text and "approaches-digits-sweep.png" in text
    assert (tmp_path / "fig" / "approaches-digits-epochs.png").is_file()
