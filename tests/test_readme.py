"""The README's quickstart and CI run the same test command."""

import re
from pathlib import Path

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
