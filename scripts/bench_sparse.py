"""Density sweep: one training step of a sparse layer, masked backend against sparse backend.

For each density from 1% to 50%, a 1000 x 1000 layer (random mask, batch 128 unless
``--batch``) takes one full step -- forward, gradient with respect to the input and to the
weights -- as a :class:`netgraph.nn.model.MaskedLinear` (dense ``x (W * M)^T``) and as a
:class:`netgraph.nn.sparse.SparseLinear` (CSR kernels), with 1 and with 2 torch threads. The
ratio masked / sparse says where the sparse backend wins; the crossover is the density where
it falls to 1, interpolated between the measured densities. Writes the "Sparse backend: density
sweep" section of docs/BENCHMARKS.md and docs/figures/sparse-sweep.png.

Usage::

    python scripts/bench_sparse.py            # about 1 minute on 2 cores
    python scripts/bench_sparse.py --no-write # print only
"""

import argparse
import sys
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
from _benchlib import machine_line, median_time, write_section  # noqa: E402

from netgraph.nn.model import MaskedLinear  # noqa: E402
from netgraph.nn.sparse import SparseLinear  # noqa: E402

DENSITIES = (0.01, 0.02, 0.05, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5)
FIGURE = ROOT / "docs" / "figures" / "sparse-sweep.png"


def layers(density, n=1000, seed=0):
    """The same random layer as a masked and as a sparse layer."""
    gen = torch.Generator().manual_seed(seed)
    mask = torch.rand(n, n, generator=gen) < density
    masked = MaskedLinear(n, n, mask=mask)
    with torch.no_grad():
        masked.weight.copy_(torch.randn(n, n, generator=gen) * mask)
    return masked, SparseLinear.from_dense(masked.weight, mask, bias=masked.bias)


def step_time(layer, x, repeat):
    def step():
        layer.zero_grad(set_to_none=True)
        x.grad = None
        layer(x).sum().backward()

    step()  # warm up
    return median_time(step, repeat=repeat)


def crossover(rows, key):
    """Density where masked / sparse crosses 1, by linear interpolation (None if it never does)."""
    for (d0, *r0), (d1, *r1) in zip(rows[:-1], rows[1:]):
        a, b = r0[key], r1[key]
        if a >= 1.0 > b:
            return d0 + (a - 1.0) * (d1 - d0) / (a - b)
    return None


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--no-write", action="store_true", help="print only; touch no docs")
    args = parser.parse_args(argv)
    threads_before = torch.get_num_threads()
    rows = []  # density, masked1, sparse1, ratio1, masked2, sparse2, ratio2
    try:
        for density in DENSITIES:
            masked, sparse = layers(density)
            x = torch.randn(args.batch, 1000, generator=torch.Generator().manual_seed(1), requires_grad=True)
            row = [density]
            for threads in (1, 2):
                torch.set_num_threads(threads)
                t_m, t_s = step_time(masked, x, args.repeat), step_time(sparse, x, args.repeat)
                row += [t_m, t_s, t_m / t_s]
            rows.append(row)
            print(
                f"density {density:4.0%}: 1 thread masked {row[1] * 1e3:6.2f} ms sparse {row[2] * 1e3:6.2f} ms "
                f"({row[3]:.2f}x); 2 threads masked {row[4] * 1e3:6.2f} ms sparse {row[5] * 1e3:6.2f} ms ({row[6]:.2f}x)",
                flush=True,
            )
    finally:
        torch.set_num_threads(threads_before)
    ratio_rows = [(r[0], r[3], r[6]) for r in rows]
    cross = {1: crossover(ratio_rows, 0), 2: crossover(ratio_rows, 1)}
    print("crossover:", {k: (None if v is None else round(v, 3)) for k, v in cross.items()})
    if args.no_write:
        return 0
    plot(rows, cross, FIGURE)
    lines = [
        "## Sparse backend: density sweep (`python scripts/bench_sparse.py`)",
        "",
        f"Machine: {machine_line()}. One 1000 × 1000 layer, random mask, batch {args.batch}; a step is the "
        "forward pass and the gradients with respect to the input and the weights; median of "
        f"{args.repeat} steps. Masked: `MaskedLinear` (dense `x (W * M)^T`); sparse: `SparseLinear` "
        "(CSR forward, CSR transpose for the input gradient, `torch.sparse.sampled_addmm` for the weight "
        "gradient).",
        "",
        "| density | masked, 1 thread (ms) | sparse, 1 thread (ms) | masked / sparse | masked, 2 threads (ms) | sparse, 2 threads (ms) | masked / sparse |",
        "|---|---|---|---|---|---|---|",
    ]
    for d, m1, s1, r1, m2, s2, r2 in rows:
        lines.append(
            f"| {d:.0%} | {m1 * 1e3:.2f} | {s1 * 1e3:.2f} | {r1:.2f}× | {m2 * 1e3:.2f} | {s2 * 1e3:.2f} | {r2:.2f}× |"
        )
    fmt = {k: ("never below 50%" if v is None else f"{v:.0%}") for k, v in cross.items()}
    lines += [
        "",
        f"The sparse step is faster below a density of about **{fmt[1]}** with one thread and **{fmt[2]}** "
        'with two (interpolated where masked / sparse crosses 1). `TrainConfig(backend="auto")` picks the '
        "sparse backend on the CPU below `netgraph.training.config.SPARSE_MAX_DENSITY`, set from this sweep.",
        "",
        f"![density sweep]({FIGURE.relative_to(ROOT / 'docs').as_posix()})  ",
        f"*`{FIGURE.relative_to(ROOT).as_posix()}`: time per step against density, both backends, 1 and 2 threads "
        "(`python scripts/bench_sparse.py`).*",
    ]
    write_section("sparse-sweep", "\n".join(lines))
    print(f"wrote docs/BENCHMARKS.md and {FIGURE.relative_to(ROOT)}")
    return 0


def plot(rows, cross, path):
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    fig = Figure(figsize=(5.2, 3.6), layout="constrained")
    ax = fig.add_subplot()
    d = [r[0] * 100 for r in rows]
    for col, label, style in (
        (1, "masked, 1 thread", "o-"),
        (2, "sparse, 1 thread", "s-"),
        (4, "masked, 2 threads", "o--"),
        (5, "sparse, 2 threads", "s--"),
    ):
        ax.plot(d, [r[col] * 1e3 for r in rows], style, label=label, markersize=4)
    for threads, value in cross.items():
        if value is not None:
            ax.axvline(value * 100, color="grey", linewidth=0.8, linestyle=":" if threads == 1 else "-.")
    ax.set_xlabel("density (%)")
    ax.set_ylabel("time per step (ms)")
    ax.set_title("1000 × 1000 layer, batch 128: forward + backward", fontsize=9)
    ax.legend(fontsize=7)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=90)


if __name__ == "__main__":
    raise SystemExit(main())
