"""Import hygiene: analysis never pulls in torch; the console script is installed."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_analysis_and_errors_do_not_import_torch():
    code = "import sys, analysis, netgraph, netgraph.errors; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_python_dash_m_runs_the_cli():
    out = subprocess.run([sys.executable, "-m", "netgraph", "--version"], capture_output=True, text=True)
    assert out.returncode == 0 and out.stdout.startswith("netgraph ")


def _imports(path):
    """``(module, name)`` for every import in a file (name is None for ``import module``)."""
    import ast

    tree = ast.parse(path.read_text(), filename=str(path))
    package = ".".join(path.relative_to(ROOT).with_suffix("").parts[:-1])
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend((alias.name, None) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if node.level:  # relative: resolve against the file's package
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join([*base, module] if module else base)
            found.extend((module, alias.name) for alias in node.names)
    return found


def _private_use(module, name, other):
    """Whether an import reaches into package ``other``'s private modules or names."""
    parts = module.split(".")
    if parts[0] != other:
        return False
    if any(p.startswith("_") and not p.startswith("__") for p in parts[1:]):
        return True
    return name is not None and name.startswith("_") and not name.startswith("__")


def test_no_package_imports_another_packages_private_parts():
    """netgraph, analysis and scripts use each other only through public modules and names."""
    rules = {"analysis": ("netgraph",), "netgraph": ("analysis",), "scripts": ("netgraph", "analysis")}
    bad = []
    for folder, others in rules.items():
        for path in sorted((ROOT / folder).rglob("*.py")):
            for module, name in _imports(path):
                for other in others:
                    if _private_use(module, name, other):
                        bad.append(f"{path.relative_to(ROOT)}: {module}" + (f" import {name}" if name else ""))
    assert bad == []


def test_analysis_never_imports_torch_even_lazily():
    bad = [
        str(path.relative_to(ROOT))
        for path in sorted((ROOT / "analysis").rglob("*.py"))
        if any(m == "torch" or m.startswith("torch.") for m, _ in _imports(path))
    ]
    assert bad == []


def test_analysis_uses_only_the_shared_torch_free_modules_of_netgraph():
    """Rule 2 of docs/ARCHITECTURE.md: errors, validation, fileio, the network types and the version."""
    shared = {
        "netgraph",
        "netgraph.errors",
        "netgraph.validation",
        "netgraph.fileio",
        "netgraph.network",
        "netgraph.channel_network",
    }
    bad = []
    for path in sorted((ROOT / "analysis").rglob("*.py")):
        for module, name in _imports(path):
            if module.split(".")[0] == "netgraph" and module not in shared:
                bad.append(f"{path.relative_to(ROOT)}: {module}")
            if module == "netgraph" and name not in (None, "__version__"):
                bad.append(f"{path.relative_to(ROOT)}: netgraph import {name}")
    assert bad == []


def test_the_network_type_imports_neither_torch_nor_networkx():
    """Importing it (as analysis does) loads neither; making one reads the activation registry of netgraph.nn.model."""
    code = (
        "import sys, numpy as np, scipy.sparse as sp; from netgraph.network import Checkpoint; "
        "print('torch' in sys.modules, 'networkx' in sys.modules); "
        "Checkpoint((2, 1), blocks=(sp.csr_array(np.ones((1, 2), np.float32)),), biases=(np.zeros(1, np.float32),)); "
        "print('networkx' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False", "False"]


def _module_names():
    """``{dotted name: path}`` of every module of the two packages (a package by its ``__init__.py``)."""
    found = {}
    for folder in ("netgraph", "analysis"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def _import_graph():
    """Which module imports which, lazy imports (inside functions) included.

    ``from package import name`` is an import of the submodule ``package.name`` when there is
    one (the package itself is then already being imported, as every submodule's parent is),
    else of ``package``.
    """
    import networkx as nx

    modules = _module_names()
    G = nx.DiGraph()
    for name, path in modules.items():
        G.add_node(name)
        for module, alias in _imports(path):
            sub = f"{module}.{alias}" if alias else None
            target = sub if sub in modules else module
            while target and target not in modules:
                target = target.rpartition(".")[0]  # an attribute of a module: the module
            if target and target != name:
                G.add_edge(name, target)
    return G


def test_the_import_graph_sees_lazy_and_relative_imports():
    G = _import_graph()
    assert G.has_edge("netgraph.cli._export", "netgraph.io")  # inside _run
    assert G.has_edge("netgraph.io.registry", "netgraph.io.topology")  # from . import topology
    assert G.has_edge("netgraph.convert", "netgraph._contract")


def test_no_module_imports_another_in_a_circle():
    """Issue 17: the import graph of both packages, lazy imports included, has no cycle."""
    import networkx as nx

    cycles = [sorted(c) for c in nx.strongly_connected_components(_import_graph()) if len(c) > 1]
    assert cycles == []


def _public_module_privates():
    """``(importer, module, name)`` where a module takes a private name from a public module of its package."""
    modules = _module_names()
    found = []
    for importer, path in modules.items():
        for module, name in _imports(path):
            if module not in modules or module == importer or f"{module}.{name}" in modules:
                continue
            public = not any(p.startswith("_") and not p.startswith("__") for p in module.split(".")[1:])
            if public and name and name.startswith("_") and not name.startswith("__"):
                found.append((importer, module, name))
    return found


def test_no_module_takes_a_private_name_from_a_public_module():
    """Issue 18: shared private code lives in private modules (``analysis/_align.py``, ...), never
    as ``_names`` of a public module that other modules reach into."""
    assert _public_module_privates() == []
