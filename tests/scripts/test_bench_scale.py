"""scripts/bench_scale.py: its networks and its memory measurement (the sweep itself is a benchmark, not a test)."""

import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))

import bench_scale  # noqa: E402


def test_its_networks_have_the_size_and_density_asked_for():
    net = bench_scale.make_network(200, 0.25, seed=1)
    assert net.layer_sizes == (200, 200, 200, 200)
    assert abs(net.n_connections() - 3 * 200 * 200 * 0.25) < 0.05 * net.n_connections()
    assert all(b.has_canonical_format for b in net.blocks)  # sorted, each entry once
    assert net.meta == {"seed": 1, "method": "random"}


def test_a_measured_process_s_peak_memory_is_its_own_not_the_benchmark_s():
    held = np.ones(40_000_000, dtype=np.uint8)  # 40 MB held here: a forked child would count them
    held[::4096] = 2
    _, small, _ = bench_scale.run([sys.executable, "-c", "pass"])
    _, large, out = bench_scale.run([sys.executable, "-c", "x = bytearray(80_000_000); print('done')"])
    assert out.strip() == "done"
    assert small < 40_000_000 < 80_000_000 < large < 80_000_000 + small + 20_000_000
