"""netgraph.io.runs: the layout of a run folder, the one description every caller uses."""

import pytest

from netgraph.errors import ParameterError
from netgraph.io.runs import RUN_FINALS, STUDY_FINALS, RunFolder


def test_the_files_of_a_run_by_name(tmp_path):
    run = RunFolder.of(tmp_path, 4)
    assert run.path == tmp_path / "seed-4"
    assert (run.params.name, run.metrics.name, run.final.name) == ("params.json", "metrics.json", "final.pt")
    assert run.epoch(3).name == "epoch-003.pt" and run.epoch(1234).name == "epoch-1234.pt"
    assert RunFolder.in_study(tmp_path, "strategic", 2).path == tmp_path / "strategic" / "seed-2"
    assert (RUN_FINALS, STUDY_FINALS) == ("seed-*/final.pt", "*/seed-*/final.pt")


def test_epoch_files_are_the_checkpoints_by_epoch_and_nothing_else(tmp_path):
    run = RunFolder.of(tmp_path, 0)
    run.path.mkdir()
    for name in ("epoch-010.pt", "epoch-002.pt", "epoch-1000.pt", "epoch-7.pt", "epoch-003.pt.bak", "final.pt"):
        (run.path / name).write_bytes(b"x")
    (run.path / "epoch-005.pt").mkdir()  # a folder is no checkpoint
    assert [(e, p.name) for e, p in run.epoch_files()] == [
        (2, "epoch-002.pt"),
        (10, "epoch-010.pt"),
        (1000, "epoch-1000.pt"),
    ]


def test_temp_files_are_those_of_interrupted_atomic_writes_only(tmp_path):
    run = RunFolder.of(tmp_path, 0)
    run.path.mkdir()
    names = [".metrics.json.ab12_x.tmp", ".epoch-004.pt.Q9.tmp", ".final.pt.z.tmp", ".notes.txt.a.tmp", "metrics.json"]
    for name in names:
        (run.path / name).write_bytes(b"x")
    (run.path / ".params.json.linked.tmp").symlink_to(run.path / "metrics.json")  # a link is not ours to delete
    assert sorted(p.name for p in run.temp_files()) == sorted(names[:3])


@pytest.mark.parametrize(
    ("files", "holds"),
    [([], False), (["metrics.json", "params.json"], False), (["epoch-001.pt"], True), (["final.pt"], True)],
)
def test_a_folder_holds_a_run_once_it_has_a_checkpoint(tmp_path, files, holds):
    run = RunFolder.of(tmp_path, 1)
    run.path.mkdir()
    for name in files:
        (run.path / name).write_bytes(b"x")
    assert run.holds_run() is holds
    if holds:
        with pytest.raises(ParameterError, match=r"seed-1 already holds a run; resume it \(resume=True, --resume\)"):
            run.check_no_run()
    else:
        run.check_no_run()


def test_a_missing_folder_holds_nothing(tmp_path):
    run = RunFolder.of(tmp_path / "absent", 0)
    assert not run.holds_run() and run.epoch_files() == []
