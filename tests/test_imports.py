"""Import hygiene: analysis never pulls in torch; the console script is installed."""

import subprocess
import sys


def test_analysis_and_errors_do_not_import_torch():
    code = "import sys, analysis, netgraph, netgraph.errors; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_python_dash_m_runs_the_cli():
    out = subprocess.run([sys.executable, "-m", "netgraph", "--version"], capture_output=True, text=True)
    assert out.returncode == 0 and out.stdout.startswith("netgraph ")
