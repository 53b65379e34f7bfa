"""The README's quickstart and CI run the same test command."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _bash_blocks(text):
    return [b.strip() for b in re.findall(r"```bash\n(.*?)```", text, flags=re.S)]


def test_ci_runs_the_readme_test_command():
    blocks = _bash_blocks((ROOT / "README.md").read_text())
    quickstart = blocks[:2]
    assert len(quickstart) == 2 and all(len(b.splitlines()) == 1 for b in quickstart)
    assert quickstart[0].endswith("netgraph demo")
    ci = (ROOT / ".ci" / "run").read_text().splitlines()
    assert quickstart[1] in ci


def test_readme_documents_every_cli_command():
    from netgraph.cli import COMMANDS

    text = (ROOT / "README.md").read_text()
    for name in COMMANDS:
        assert f"### `netgraph {name}" in text, name


def test_readme_contract_example_runs(tmp_path, monkeypatch):
    blocks = re.findall(r"```python\n(.*?)```", (ROOT / "README.md").read_text(), flags=re.S)
    example = next(b for b in blocks if "from_graph" in b)
    monkeypatch.chdir(tmp_path)
    exec(compile(example, "README.md", "exec"), {})
    assert (tmp_path / "net.pt").is_file()


def _cli_examples(text):
    """Every ``netgraph ...`` command of the README's text and bash blocks, continuation lines joined."""
    commands = []
    for block in re.findall(r"```(?:text|bash)\n(.*?)```", text, flags=re.S):
        for line in block.replace("\\\n", " ").splitlines():
            line = line.strip()
            if line.startswith("netgraph ") and line.split()[1] != "demo":  # the demo has its own tests
                commands.append(line)
    return commands


#: Epochs the README's ``netgraph train`` examples run for here. The number changes how long a run
#: trains, not which code runs (none of them prunes on a schedule), and training was most of the
#: test's time: 30 epochs x 6 runs, which a loaded 2-core machine took minutes for.
TEST_EPOCHS = "2"


def _for_the_test(argv):
    """``argv`` as the README writes it, with ``--epochs N`` of a ``train`` example set to :data:`TEST_EPOCHS`."""
    if argv[0] != "train" or "--epochs" not in argv:
        return argv
    k = argv.index("--epochs") + 1
    return [*argv[:k], TEST_EPOCHS, *argv[k + 1 :]]


def test_the_test_runs_the_readme_commands_but_for_their_epochs():
    argv = ["train", "--dataset", "digits", "--epochs", "30", "--seeds", "0-2", "--out", "runs/x"]
    assert _for_the_test(argv) == ["train", "--dataset", "digits", "--epochs", "2", "--seeds", "0-2", "--out", "runs/x"]
    assert _for_the_test(["similarity", "runs/x", "--epochs", "30"]) == ["similarity", "runs/x", "--epochs", "30"]


@pytest.mark.e2e
def test_readme_examples_run_as_written(tmp_path, monkeypatch, capsys):
    """The command-line examples, then the Python examples, in README order in one folder.

    Each command runs as the README writes it, but for the number of epochs of the training
    examples (:data:`TEST_EPOCHS`).
    """
    import shlex

    from netgraph.cli import main

    text = (ROOT / "README.md").read_text()
    commands = _cli_examples(text)
    assert any(c.startswith("netgraph train") for c in commands) and any(
        c.startswith("netgraph similarity") for c in commands
    )
    monkeypatch.chdir(tmp_path)
    for command in commands:
        argv = _for_the_test(shlex.split(command)[1:])
        code = main(argv)
        assert code == 0, f"{command}: {capsys.readouterr().err}"
    for block in re.findall(r"```python\n(.*?)```", text, flags=re.S):
        exec(compile(block, "README.md", "exec"), {})
    assert (tmp_path / "report" / "report.html").is_file() and (tmp_path / "analysis.json").is_file()
    # run from a checkout, the examples leave nothing that git would offer to commit
    patterns = _gitignore_patterns()
    untracked = [p.name for p in tmp_path.iterdir() if not _ignored(p.name, p.is_dir(), patterns)]
    assert untracked == [], f"add to .gitignore: {untracked}"


def _gitignore_patterns():
    lines = (ROOT / ".gitignore").read_text().splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def _ignored(name, is_dir, patterns):
    """Whether a top-level entry of the repository is matched by one of .gitignore's patterns."""
    import fnmatch

    for pattern in patterns:
        if pattern.endswith("/"):
            if not is_dir:
                continue
            pattern = pattern[:-1]
        if fnmatch.fnmatch(name, pattern.removeprefix("/")):
            return True
    return False


def test_the_gitignore_check_reads_patterns_as_git_does():
    patterns = ["runs/", "/net.pt", "*.egg-info/"]
    assert _ignored("runs", True, patterns) and not _ignored("runs", False, patterns)
    assert _ignored("net.pt", False, patterns) and not _ignored("other.pt", False, patterns)
    assert _ignored("netgraph.egg-info", True, patterns)


def test_help_and_readme_agree_on_the_demo(capsys):
    from netgraph.cli import main

    assert main(["--help"]) == 0
    help_text = " ".join(capsys.readouterr().out.split())
    readme = " ".join((ROOT / "README.md").read_text().split())
    assert "about 20 s on 2 idle cores" in help_text and "about 20 s on 2 idle cores" in readme
    assert "two-minute" not in help_text and "two-minute" not in readme


def test_readme_channel_contract_example_runs(capsys):
    blocks = re.findall(r"```python\n(.*?)```", (ROOT / "README.md").read_text(), flags=re.S)
    example = next(b for b in blocks if "nn.Conv2d" in b)
    scope = {}
    exec(compile(example, "README.md", "exec"), scope)
    assert capsys.readouterr().out.split() == ["21", "104"]  # what the example's comment says
    assert scope["model"][0].weight_mask.sum() == 8 * 3 * 9 - 9
