"""Small helpers shared by the ``scripts/bench_*.py`` benchmarks.

Each benchmark owns one section of ``docs/BENCHMARKS.md``, delimited by
``<!-- bench:NAME:start -->`` / ``<!-- bench:NAME:end -->``, and rewrites only that section,
so the benchmarks can be run one at a time. The experiment scripts write their sections of
``docs/RESULTS.md`` the same way (:func:`replace_marked`).
"""

import json
import math
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

BENCHMARKS_MD = Path(__file__).resolve().parent.parent / "docs" / "BENCHMARKS.md"
_HEADER = """# Benchmarks

Each section is written by the script it names, run on the machine it describes. Speed
targets are ratios against a reference implementation measured in the same run.
"""


def python_json(code, *args):
    """Run ``code`` in a new Python process with ``args``; the JSON on the last line of its stdout.

    A process of its own gives each measurement its own peak memory and thread settings;
    a failure raises RuntimeError with the end of its stderr.
    """
    done = subprocess.run([sys.executable, "-c", code, *map(str, args)], capture_output=True, text=True)
    if done.returncode:
        raise RuntimeError(done.stderr[-2000:])
    return json.loads(done.stdout.strip().splitlines()[-1])


def timeit(fn, *, repeat=5, number=1):
    """Best-of-``repeat`` wall time of ``number`` calls of ``fn()``, in seconds per call."""
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        for _ in range(number):
            fn()
        times.append((time.perf_counter() - t0) / number)
    return min(times)


def median_time(fn, *, repeat=5):
    """Median wall time of ``repeat`` calls of ``fn()``, in seconds."""
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def machine_line():
    """One line naming the machine and the library versions the numbers were taken with."""
    import os

    import networkx
    import numpy
    import scipy

    parts = [
        f"{platform.machine()}, {os.cpu_count()} cores",
        f"Python {platform.python_version()}",
        f"numpy {numpy.__version__}",
        f"scipy {scipy.__version__}",
        f"networkx {networkx.__version__}",
    ]
    try:
        import torch

        parts.append(f"torch {torch.__version__}")
    except ImportError:
        pass
    return ", ".join(parts)


def machine_brief():
    """The machine in a few words, with the torch version (the experiment scripts' provenance)."""
    import torch

    return (
        f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, torch {torch.__version__}"
    )


def figure(width, height):
    """A matplotlib Figure of ``width`` x ``height`` inches, constrained layout, drawn off-screen."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), layout="constrained")


def relpath(path, base):
    """``path`` relative to ``base``, with forward slashes (for links in Markdown)."""
    return Path(os.path.relpath(Path(path).resolve(), base)).as_posix()


def fmt(x, d=3):
    """``x`` with ``d`` decimals; a dash for None, nan or inf."""
    return "–" if x is None or (isinstance(x, float) and not math.isfinite(x)) else f"{x:.{d}f}"


def replace_marked(path, marker, body, *, header, title=None):
    """Put ``body`` between ``<!-- MARKER:start -->`` and ``<!-- MARKER:end -->`` in ``path``.

    The text outside the markers is kept. Without the markers the block is appended (after
    ``title``, if given); a missing file starts with ``header``. The write is atomic.
    """
    from netgraph.fileio import atomic_write

    start, end = f"<!-- {marker}:start -->", f"<!-- {marker}:end -->"
    block = f"{start}\n{body.strip()}\n{end}"
    text = path.read_text(encoding="utf-8") if path.exists() else header
    if start in text and end in text:
        before, rest = text.split(start, 1)
        text = before + block + rest.split(end, 1)[1]
    else:
        text = text.rstrip() + "\n\n" + (f"{title}\n\n" if title else "") + block + "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_write(path, "w", encoding="utf-8") as f:
        f.write(text)
    return path


def write_section(name, body, *, path=BENCHMARKS_MD):
    """Replace (or append) the section ``name`` of ``docs/BENCHMARKS.md`` with ``body``."""
    return replace_marked(path, f"bench:{name}", body, header=_HEADER)
