"""Modules that moved into subpackages (issue 18) keep working under their old names."""

import importlib
import subprocess
import sys

import pytest

from netgraph._moved import MOVED


@pytest.mark.parametrize(("old", "new"), sorted(MOVED.items()))
def test_an_old_name_is_the_module_it_moved_to(old, new):
    module = importlib.import_module(old)
    assert module is importlib.import_module(new)
    assert module.__name__ == new and module.__spec__.name == new  # the old name does not rename it
    for name in module.__all__:
        assert getattr(module, name) is getattr(importlib.import_module(new), name)


def test_old_imports_of_user_code_run_as_written():
    code = (
        "from netgraph.train import TrainConfig, train_run; "
        "from netgraph.growth import GROWTH_STRATEGIES; "
        "from netgraph.topology import init_masks, expected_density; "
        "import netgraph.edits as ed, netgraph; "
        "import netgraph.training.run as run, netgraph.topology.edits as edits; "
        "print(train_run is run.train_run, ed is edits, netgraph.cluster is netgraph.training.cluster, "
        "sorted(GROWTH_STRATEGIES))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["True", "True", "True", "['gradient',", "'none',", "'random',", "'strategic']"]


def test_a_patch_through_the_old_name_reaches_the_new_module(monkeypatch):
    import netgraph.train
    import netgraph.training.run

    monkeypatch.setattr(netgraph.train, "_accuracy", "patched")
    assert netgraph.training.run._accuracy == "patched"


def test_an_unknown_name_is_still_an_import_error():
    with pytest.raises(ModuleNotFoundError):
        importlib.import_module("netgraph.trainer")
