"""Reproduce the seed study of Finlinson & Moschoyiannis (2020) with netgraph, end to end.

Trains growth in {random, strategic, gradient} x pruning in {off, on (gradual magnitude pruning
to half the initial density)} x seeds, plus a dense baseline, on digits (64-256-256-10 at 10%
density) and, when ``--data-dir`` holds the MNIST IDX files, on MNIST (784-1000-1000-1000-10,
epsilon = 20; fewer epochs and seeds by default). Runs go to ``OUT/<dataset>/<method>/seed-S``,
in parallel worker processes (``--workers``). Then, per configuration: test accuracy (mean +-
std over seeds), connections, compression against dense, mean pairwise edge Jaccard of the
final networks (raw, chance level, after NNSTD alignment, aligned random baseline) per block and
overall, common subnetwork at min_share 1.0 and 0.8, driver nodes against the width bound and
degree statistics: each method's ``analysis.GroupSummary``, as the similarity report
(``analysis.build_report``, ``rng=0``) states it, and ``netgraph.training.study.summarize_runs``.
What stays here is what is specific to the paper: the configurations, its claims and the
rendering of docs/RESULTS.md.

Writes ``OUT/<dataset>/study.json`` (every number, configurations, seeds, timings), the HTML
similarity report ``OUT/<dataset>/report/report.html`` (``analysis.write_report``), figures in
``docs/figures/`` and the "Seed study" section of ``docs/RESULTS.md``, rendered from every
``OUT/*/study.json`` present (so the MNIST part can run separately: ``--skip-digits``).

Usage::

    python scripts/reproduce.py                                   # digits only, ~2-3 min on 2 cores
    python scripts/reproduce.py --data-dir ../shared/data/mnist   # digits, then MNIST
    python scripts/reproduce.py --skip-digits --data-dir ../shared/data/mnist --mnist-epochs 5
    python scripts/reproduce.py --quick                           # smoke test, docs untouched
    python scripts/reproduce.py --docs-only                       # re-render docs from OUT/*/study.json
"""

import argparse
import datetime
import json
import math
import shlex
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))
from _benchlib import figure, fmt, machine_brief, relpath, replace_marked  # noqa: E402

RESULTS_MD = ROOT / "docs" / "RESULTS.md"
FIGURES = ROOT / "docs" / "figures"
GROWTHS = ("random", "strategic", "gradient")

DIGITS = {
    "dataset": "digits",
    "layers": (64, 256, 256, 10),
    "topology": {"density": 0.1},
    "lr": 0.03,
    "batch_size": 32,
    "epochs": 50,
    "seeds": "0-4",
}
MNIST = {
    "dataset": "mnist",
    "layers": (784, 1000, 1000, 1000, 10),
    "topology": {"epsilon": 20.0},
    "lr": 0.05,
    "batch_size": 128,
    "epochs": 10,
    "seeds": "0-2",
}


# --------------------------------------------------------------------------- configurations


def build_configs(spec, *, epochs, data_dir=None):
    """Dense baseline plus growth x pruning; pruning is GMP to half the initial density."""
    from netgraph.topology.initial import expected_density
    from netgraph.training.run import TrainConfig
    from netgraph.training.study import pruning_window

    common = {
        "dataset": spec["dataset"],
        "data_dir": data_dir,
        "layers": spec["layers"],
        "lr": spec["lr"],
        "batch_size": spec["batch_size"],
        "epochs": epochs,
    }
    target = round(expected_density(spec["layers"], **spec["topology"]) / 2, 6)
    prune = {}
    if epochs >= 2:  # a pruning schedule needs an epoch to prune after
        start, end = pruning_window(epochs)
        prune = {"target_density": target, "prune_start": start, "prune_end": end}
    configs = [TrainConfig(**common)]
    for growth in GROWTHS:
        configs.append(TrainConfig(**common, **spec["topology"], growth=growth))
        if prune:
            configs.append(TrainConfig(**common, **spec["topology"], growth=growth, **prune))
    return configs


# --------------------------------------------------------------------------- one dataset


def run_part(spec, *, out, seeds, epochs, cluster, resume, data_dir, log):
    from analysis import build_report, write_report
    from netgraph import __version__, to_graph
    from netgraph.fileio import atomic_write
    from netgraph.topology.initial import expected_density
    from netgraph.training.study import run_grid, summarize_runs

    part_dir = out / spec["dataset"]
    configs = build_configs(spec, epochs=epochs, data_dir=data_dir)
    n = len(configs) * len(seeds)
    log(
        f"{spec['dataset']}: {len(configs)} configurations x {len(seeds)} seeds = {n} runs, "
        f"{epochs} epochs each, on a {cluster.describe()} -> {part_dir}"
    )
    t0 = time.perf_counter()

    def progress(done, total, r):
        log(
            f"  [{done:>3}/{total}] {r.method:<16} seed {r.seed}: test accuracy {r.final_test_accuracy:.4f}, "
            f"{sum(r.final_connections):>7,} connections, {r.seconds:5.1f} s  (elapsed {time.perf_counter() - t0:6.1f} s)"
        )

    results = run_grid(configs, seeds, part_dir, cluster=cluster, resume=resume, progress=progress)
    train_seconds = time.perf_counter() - t0
    previous = part_dir / "study.json"
    trained = sum(1 for r in results if r.resumed_from != epochs)
    if resume and previous.is_file() and trained == 0:
        # nothing was trained now: keep the wall time of the invocation that trained them
        before = json.loads(previous.read_text())
        train_seconds = before["seconds"]["training"]
        trained = before.get("trained_runs", len(results))
    epoch_seconds = sum(row["seconds"] for r in results for row in r.epochs)

    # one analysis: the report compares every method's seeds (its group summaries are the study's numbers)
    t1 = time.perf_counter()
    sources = [str(r.folder.final) for r in results]
    graphs = [to_graph(path) for path in sources]
    log(f"  similarity report over {len(graphs)} networks")
    report = build_report(
        graphs, sources=sources, aligned=True, progress=lambda m: log(f"    {m}"), rng=0, pair_map=cluster.pair_map
    )
    summaries = {c.name: c.summary for c in report.comparisons}
    paths = write_report(report, part_dir / "report")
    report_seconds = time.perf_counter() - t1

    rows = []
    run_summaries = [summarize_runs([r for r in results if r.method == c.method]) for c in configs]
    for c, runs in zip(configs, run_summaries):
        summary = summaries.get(c.method)  # None for a single seed: nothing to compare
        rows.append(
            {
                "method": c.method,
                "config": c.to_dict(),
                "seeds": runs.seeds,
                "test_accuracy": runs.test_accuracy,
                "accuracy_mean": runs.accuracy_mean,
                "accuracy_std": runs.accuracy_std,
                "connections_mean": runs.connections_mean,
                "compression": runs.compression,
                "run_seconds": runs.run_seconds,
                "summary": None if summary is None else summary.to_dict(),
            }
        )
    summary_seconds = sum(s.seconds for s in summaries.values())

    study = {
        "dataset": spec["dataset"],
        "layers": list(spec["layers"]),
        "topology": spec["topology"],
        "initial_density": expected_density(spec["layers"], **spec["topology"]),
        "dense_connections": run_summaries[0].dense_connections,
        "epochs": epochs,
        "seeds": seeds,
        "workers": cluster.n_workers,
        "cluster": "local" if cluster.local else cluster.address,
        "rows": rows,
        "trained_runs": trained,
        "report_html": str(paths["html"]),
        # the group summaries are computed within the report: "summaries" is part of "report"
        "seconds": {
            "training": train_seconds,
            "epochs_sum": epoch_seconds,
            "summaries": summary_seconds,
            "report": report_seconds,
            "summaries_in_report": True,
        },
        "command": " ".join(shlex.quote(a) for a in ["python", "scripts/reproduce.py", *sys.argv[1:]]),
        "machine": machine_brief(),
        "created": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "netgraph_version": __version__,
    }
    with atomic_write(part_dir / "study.json", "w", encoding="utf-8") as f:
        json.dump(study, f, indent=1, allow_nan=False)
    log(
        f"{spec['dataset']}: training {train_seconds:.0f} s, similarity report {report_seconds:.0f} s "
        f"(group summaries {summary_seconds:.0f} s of it); wrote {part_dir / 'study.json'} and {paths['html']}"
    )
    return study


# --------------------------------------------------------------------------- figures (private plotting helpers)


def plot_jaccard_bars(study, path):
    """Grouped bars per block: raw, chance, aligned, aligned random baseline, one group per sparse method."""
    rows = [r for r in study["rows"] if r["summary"] and r["method"] != "dense"]
    n_blocks = len(study["layers"]) - 1
    keys = [str(l) for l in range(n_blocks)] + ["overall"]
    fig = figure(2.6 * len(keys), 3.2)
    axes = fig.subplots(1, len(keys), sharey=True)
    series = [
        ("edge", "raw", "#1f77b4"),
        ("edge_chance", "chance", "#bbbbbb"),
        ("aligned", "aligned", "#d62728"),
        ("aligned_null", "aligned random", "#f4a6a6"),
    ]
    width = 0.2
    for ax, key in zip(axes, keys):
        for s, (field, label, color) in enumerate(series):
            vals = [r["summary"][field][key] for r in rows]
            ax.bar([i + (s - 1.5) * width for i in range(len(rows))], vals, width, label=label, color=color)
        ax.set_xticks(range(len(rows)), [r["method"] for r in rows], rotation=60, ha="right", fontsize=7)
        ax.set_title(f"block {key} → {int(key) + 1}" if key != "overall" else "all blocks", fontsize=9)
        ax.set_ylim(0, 1)
        ax.axhline(0.9, color="k", linestyle="--", linewidth=0.8)
    axes[0].text(0.02, 0.91, "~90% (paper's claim)", transform=axes[0].get_yaxis_transform(), fontsize=7, va="bottom")
    axes[0].set_ylabel("mean pairwise Jaccard")
    axes[-1].legend(fontsize=7)
    fig.savefig(path, dpi=80)


def plot_accuracy_connections(study, path):
    """Test accuracy (mean ± std over seeds) against connections, one point per method."""
    fig = figure(4.8, 3.4)
    ax = fig.add_subplot()
    for r in study["rows"]:
        ax.errorbar(
            r["connections_mean"], r["accuracy_mean"], yerr=r["accuracy_std"], fmt="o", capsize=3, label=r["method"]
        )
    ax.set_xscale("log")
    ax.set_xlabel("connections (mean over seeds)")
    ax.set_ylabel("final test accuracy")
    ax.legend(fontsize=6, ncol=2)
    fig.savefig(path, dpi=80)


def plot_input_maps(study, graphs_by_method, path):
    """Mean input out-degree maps per method (digits 8x8, MNIST 28x28)."""
    import numpy as np

    from analysis import input_connectivity
    from analysis.plotting import plot_input_connectivity

    methods = list(graphs_by_method)
    fig = figure(2.0 * len(methods), 2.2)
    axes = fig.subplots(1, len(methods))
    means = {m: np.mean([input_connectivity(G) for G in graphs_by_method[m]], axis=0) for m in methods}
    vmax = max(float(mean.max()) for mean in means.values())  # one colour scale for every panel
    for ax, m in zip(axes, methods):
        plot_input_connectivity(means[m], ax, title=m, vmin=0.0, vmax=vmax)
        ax.title.set_fontsize(7)
    fig.savefig(path, dpi=80)


def plot_common(study, path):
    """Common-subnetwork size as a share of the mean connections, against min_share, with chance."""
    fig = figure(4.8, 3.4)
    ax = fig.add_subplot()
    for r in study["rows"]:
        s = r["summary"]
        if not s or r["method"] == "dense":
            continue
        edges, chance = (
            (s["common_curve"], s["common_curve_chance"])
            if "common_curve" in s
            else (s["common_edges"], s["common_edges_chance"])
        )
        shares = sorted(edges, key=float)
        x = [float(t) for t in shares]
        line = ax.plot(x, [edges[t] / s["total_connections"] for t in shares], "o-", label=r["method"])[0]
        ax.plot(x, [chance[t] / s["total_connections"] for t in shares], ":", color=line.get_color())
    ax.set_yscale("log")
    ax.set_xlabel("min_share (dotted: random masks of the same densities)")
    ax.set_ylabel("common edges / connections")
    ax.legend(fontsize=6)
    fig.savefig(path, dpi=80)


def write_figures(study, out, figures_dir):
    from netgraph import to_graph
    from netgraph.io.runs import RunFolder

    figures_dir.mkdir(parents=True, exist_ok=True)
    name = study["dataset"]
    graphs_by_method = {}
    for r in study["rows"]:
        if r["method"] == "dense":  # every input connected: nothing to see
            continue
        graphs_by_method[r["method"]] = [
            to_graph(RunFolder.in_study(out / name, r["method"], s).final) for s in r["seeds"]
        ]
    files = {
        "jaccard": figures_dir / f"study-{name}-jaccard.png",
        "accuracy": figures_dir / f"study-{name}-accuracy.png",
        "input": figures_dir / f"study-{name}-input.png",
        "common": figures_dir / f"study-{name}-common.png",
    }
    plot_jaccard_bars(study, files["jaccard"])
    plot_accuracy_connections(study, files["accuracy"])
    plot_input_maps(study, graphs_by_method, files["input"])
    plot_common(study, files["common"])
    return files


# --------------------------------------------------------------------------- RESULTS.md


def _dense_layer_note(study, prune_config):
    """A remark when ε leaves a layer dense and pruning brings every layer to one density."""
    topo = study["topology"]
    if "epsilon" not in topo or not prune_config:
        return ""
    from netgraph.topology.initial import epsilon_probability

    layers = study["layers"]
    dense = [
        l for l, (a, b) in enumerate(zip(layers[:-1], layers[1:])) if epsilon_probability(a, b, topo["epsilon"]) >= 1.0
    ]
    if not dense:
        return ""
    names = ", ".join(f"{layers[l]}→{layers[l + 1]}" for l in dense)
    if _prune_scope(prune_config) == "proportional":
        return (
            f" Note: ε = {topo['epsilon']:g} leaves layer {names} dense (p clipped to 1); pruning thins it by "
            "the same share as the sparse layers."
        )
    return (
        f" Note: ε = {topo['epsilon']:g} leaves layer {names} dense (p clipped to 1); the pruning schedule "
        f"brings every layer to the same target density {prune_config['target_density']:g}, that layer included."
    )


def _pruned(config):
    # "pruning" is resolved ("gmp") in configurations recorded resolved; a target density implies it
    return bool(config.get("pruning") or config.get("target_density") is not None)


def _prune_scope(prune_config):
    # configurations recorded before the prune_scope option existed pruned every layer to one density
    return prune_config.get("prune_scope", "uniform")


def _training_text(study):
    sec = study["seconds"]
    total = len(study["rows"]) * len(study["seeds"])
    trained = study.get("trained_runs", total)
    text = f"{sec['training']:.0f} s wall"
    if trained < total:
        text += f" for {trained} of the {total} runs (the others were trained earlier and resumed)"
    if "epochs_sum" in sec:
        text += f", sum over runs of the per-epoch times {sec['epochs_sum']:.0f} s"
    return text


def _analysis_text(sec):
    if sec.get("summaries_in_report"):
        return f"similarity report {sec['report']:.0f} s (group summaries {sec['summaries']:.0f} s of it)"
    # studies recorded before the summaries moved into the report timed them apart
    return f"summaries {sec['summaries']:.0f} s, similarity report {sec['report']:.0f} s"


def render_part(study, figure_files, command, md_dir):
    name, rows = study["dataset"], study["rows"]
    layers = "-".join(map(str, study["layers"]))
    topo = ", ".join(f"{k} = {v:g}" for k, v in study["topology"].items())
    n_blocks = len(study["layers"]) - 1
    sec = study["seconds"]
    cfg = rows[1]["config"]
    pr = next((r["config"] for r in rows if _pruned(r["config"])), None)
    lines = [
        f"### {name}: {layers}, {topo}",
        "",
        f"What ran: {len(rows)} configurations × seeds {study['seeds']} ({len(study['seeds'])} each), "
        f"{study['epochs']} epochs, SGD lr {cfg['lr']:g} momentum {cfg['momentum']:g}, batch {cfg['batch_size']}, "
        f"ζ = {cfg['zeta']:g} ({cfg['criterion']} removal), initial density {study['initial_density']:.4f}"
        + (
            f"; pruning: GMP to target density {pr['target_density']:g} "
            + (
                "overall, every layer keeping the same share of its connections,"
                if _prune_scope(pr) == "proportional"
                else "per layer"
            )
            + f" between epochs {pr['prune_start']} and {pr['prune_end']}"
            if pr
            else ""
        )
        + f". {study['workers']} worker process(es) on {study['machine']}: training {_training_text(study)}, "
        + _analysis_text(sec)
        + ". "
        f"Report: `{relpath(Path(study['report_html']), ROOT)}` (not committed)." + _dense_layer_note(study, pr),
        "",
        "| method | test accuracy (mean ± std) | connections | compression vs dense | driver fraction | shortfall above bound | isolated hidden | input-degree corr. |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        s = r["summary"]
        iso = "–" if not s else f"{sum(s['degrees']['n_isolated'][1:-1]):.1f}"
        lines.append(
            f"| {r['method']} | {r['accuracy_mean']:.4f} ± {r['accuracy_std']:.4f} | {r['connections_mean']:,.0f} | "
            f"{r['compression']:.1f}× | {fmt(s and s['driver_fraction'])} | {fmt(s and s['driver_shortfall'], 1)} | {iso} | {fmt(s and s['input_correlation'], 2)} |"
        )
    blocks = [str(l) for l in range(n_blocks)] + ["overall"]
    head = " | ".join(f"block {b}→{int(b) + 1}" if b != "overall" else "overall" for b in blocks)
    lines += [
        "",
        "Mean pairwise edge Jaccard of the final networks, as *raw* / *chance* (independent random masks of the "
        "same densities) / *aligned* (hidden neurons matched by the Hungarian method on their incoming sets, as NNSTD "
        "does) / *aligned random* "
        "(the same alignment applied to random masks with the same edge counts — alignment lifts random masks "
        "above chance too, so this is the baseline for the aligned value):",
        "",
        f"| method | {head} |",
        "|---|" + "---|" * len(blocks),
    ]
    for r in rows:
        s = r["summary"]
        if not s:
            continue
        cells = [
            f"{fmt(s['edge'][b])} / {fmt(s['edge_chance'][b])} / {fmt(s['aligned'][b])} / {fmt(s['aligned_null'][b])}"
            for b in blocks
        ]
        lines.append(f"| {r['method']} | " + " | ".join(cells) + " |")
    if any(r["summary"] and "nnstd" in r["summary"] for r in rows):
        lines += [
            "",
            "Mean pairwise NNSTD (Liu et al. 2020, as its authors compute it: per layer the matched normalised edit "
            "distance of the neurons' incoming sets, every layer matched, outputs included; 0 = the same topology up "
            "to a relabelling of neurons, 1 = nothing in common), as *measured* / *random* (the NNSTD of random "
            "networks with the same per-layer connection counts):",
            "",
            f"| method | {head.replace('block', 'layer')} |",
            "|---|" + "---|" * len(blocks),
        ]
        for r in rows:
            s = r["summary"]
            if not s or "nnstd" not in s:
                continue
            cells = [f"{fmt(s['nnstd'].get(b))} / {fmt(s['nnstd_null'].get(b))}" for b in blocks]
            lines.append(f"| {r['method']} | " + " | ".join(cells) + " |")
    k = len(study["seeds"])
    lines += [
        "",
        f"Common subnetwork of the {k} seeds: edges present in all of them (min_share 1.0) and in at least "
        f"{math.ceil(0.8 * k - 1e-9)} of them (min_share 0.8), with the expected number for independent random "
        "masks of the same per-block densities, and as a share of the mean connections:",
        "",
        "| method | common @1.0 (chance) | share of connections | common @0.8 (chance) | share of connections |",
        "|---|---|---|---|---|",
    ]
    for r in rows:
        s = r["summary"]
        if not s:
            continue
        c, cc, tot = s["common_edges"], s["common_edges_chance"], s["total_connections"]
        lines.append(
            f"| {r['method']} | {c['1.0']:,} ({cc['1.0']:,.1f}) | {c['1.0'] / tot:.3f} | "
            f"{c['0.8']:,} ({cc['0.8']:,.1f}) | {c['0.8'] / tot:.3f} |"
        )
    lines += [
        "",
        "Degree statistics (means over seeds): in-degree mean / std / max of each non-input layer; out-degree "
        "mean / std of the inputs and number of inputs without any edge:",
        "",
        "| method | " + " | ".join(f"layer {l} in" for l in range(1, n_blocks + 1)) + " | inputs out | unused inputs |",
        "|---|" + "---|" * (n_blocks + 2),
    ]
    for r in rows:
        s = r["summary"]
        if not s:
            continue
        d = s["degrees"]
        cells = [f"{d['in_mean'][l]:.1f} / {d['in_std'][l]:.1f} / {d['in_max'][l]:.0f}" for l in range(1, n_blocks + 1)]
        lines.append(
            f"| {r['method']} | "
            + " | ".join(cells)
            + f" | {d['out_mean'][0]:.1f} / {d['out_std'][0]:.1f} | {d['n_isolated'][0]:.1f} |"
        )
    lines += ["", f"Figures (produced by `{command}`):", ""]
    captions = {
        "jaccard": "mean pairwise Jaccard per block: raw, chance, aligned, aligned random",
        "accuracy": "final test accuracy against connections",
        "common": "common subnetwork as a share of the connections against min_share (dotted: chance)",
        "input": "mean input out-degree per method (which pixels keep connections)",
    }
    for key, cap in captions.items():
        rel = relpath(figure_files[key], ROOT)
        lines.append(f"![{name}: {cap}]({relpath(figure_files[key], md_dir)})  ")
        lines.append(f"*`{rel}`: {name}, {cap}.*")
        lines.append("")
    return "\n".join(lines)


def claims(studies):
    """The verdict on the paper's two claims, computed from the measured numbers only."""
    out = ["### The paper's claims against our numbers", ""]
    for st in studies:
        rows = {r["method"]: r for r in st["rows"]}
        name = st["dataset"]
        syn = [rows[m] for m in ("strategic", "strategic+prune") if m in rows and rows[m]["summary"]]
        if syn:
            best_raw = max(r["summary"]["edge"]["overall"] for r in syn)
            best_al = max(r["summary"]["aligned"]["overall"] for r in syn)
            verdict = "supports it" if max(best_raw, best_al) >= 0.8 else "does not support it"
            desc = "; ".join(
                f"{r['method']}: raw {r['summary']['edge']['overall']:.3f} (chance {r['summary']['edge_chance']['overall']:.3f}), "
                f"aligned {r['summary']['aligned']['overall']:.3f} (aligned random {r['summary']['aligned_null']['overall']:.3f}), "
                + (
                    f"NNSTD {r['summary']['nnstd']['overall']:.3f} (random {r['summary']['nnstd_null']['overall']:.3f}), "
                    if "nnstd" in r["summary"]
                    else ""
                )
                + f"{r['summary']['common_edges']['0.8'] / r['summary']['total_connections']:.1%} of its connections in ≥80% of the seeds "
                f"(chance {r['summary']['common_edges_chance']['0.8'] / r['summary']['total_connections']:.1%}), "
                f"input-degree correlation {fmt(r['summary']['input_correlation'], 2)}"
                for r in syn
            )
            others = "; ".join(
                f"{m}: raw {rows[m]['summary']['edge']['overall']:.3f}, aligned {rows[m]['summary']['aligned']['overall']:.3f}, "
                f"input-degree correlation {fmt(rows[m]['summary']['input_correlation'], 2)}"
                for m in ("random", "random+prune", "gradient", "gradient+prune")
                if m in rows and rows[m]["summary"]
            )
            excess = []
            for r in syn:
                s = r["summary"]
                for b in [k for k in s["edge"] if k != "overall"]:
                    excess.append(
                        (s["aligned"][b] - s["aligned_null"][b], r["method"], b, s["aligned"][b], s["aligned_null"][b])
                    )
            top = max(excess)
            hubs = "; ".join(
                f"{m}: std {rows[m]['summary']['degrees']['out_std'][0]:.1f} around a mean of "
                f"{rows[m]['summary']['degrees']['out_mean'][0]:.1f}, correlation {fmt(rows[m]['summary']['input_correlation'], 2)}"
                for m in ("random", "strategic", "gradient")
                if m in rows and rows[m]["summary"]
            )
            out.append(
                f"- **{name}, claim 1, reading A — strategic synthesis forms residual subnetworks up to ~90% similar "
                "across runs of one method (different seeds): "
                f"our data {verdict}.** Mean pairwise edge Jaccard over {len(st['seeds'])} seeds — {desc}. "
                f"For comparison, {others}. The largest margin of an aligned block over its aligned random baseline "
                f"is {top[0]:+.3f} ({top[1]}, block {top[2]}→{int(top[2]) + 1}: {top[3]:.3f} vs {top[4]:.3f}). "
                f"Input out-degrees across seeds (which pixels keep connections) — {hubs}."
            )
        pairs = [(rows[g], rows[f"{g}+prune"]) for g in GROWTHS if g in rows and f"{g}+prune" in rows]
        if pairs:
            diffs = "; ".join(
                f"{a['method']} {a['accuracy_mean']:.4f} ± {a['accuracy_std']:.4f} at {a['compression']:.1f}× → "
                f"+prune {b['accuracy_mean']:.4f} ± {b['accuracy_std']:.4f} at {b['compression']:.1f}×"
                for a, b in pairs
            )
            sp = [(a, b) for a, b in pairs if a["method"] == "strategic"]
            if sp:
                a, b = sp[0]
                drop = a["accuracy_mean"] - b["accuracy_mean"]
                noise = max(a["accuracy_std"], b["accuracy_std"])
                if drop <= noise:
                    verdict = (
                        f"supported: {b['compression'] / a['compression']:.1f}× the compression with a mean "
                        f"accuracy change of {-drop:+.4f}, within the seed-to-seed std ({noise:.4f})"
                    )
                else:
                    verdict = (
                        f"supported only at a cost: {b['compression'] / a['compression']:.1f}× the compression "
                        f"for {drop:.4f} lower mean accuracy, more than the seed-to-seed std ({noise:.4f})"
                    )
                short = ""
                if st["epochs"] < 10:
                    pc = b["config"]
                    short = (
                        f" These are short runs ({st['epochs']} epochs, accuracies far from converged): the "
                        f"schedule prunes after epochs {pc['prune_start']}–{pc['prune_end']}, leaving "
                        f"{st['epochs'] - pc['prune_end']} epoch(s) of training after the last pruning step, so this is "
                        "the cost at that point, not a converged result."
                    )
                out.append(
                    f"- **{name}, claim 2 — pruning on top of synthesis improves compression: {verdict}.** "
                    f"The extra compression is set by the pruning target (GMP to half the initial density); "
                    f"what the data decides is its accuracy cost. Measured: {diffs}.{short}"
                )
        out.append("")
    out += [
        "Why the similarity claim is hard to meet and how to read these numbers:",
        "",
        "- *Chance level.* Two independent random masks of density d share a Jaccard of d/(2−d) (0.053 at 10%, "
        "0.026 at 5%). Raw Jaccard scales with density, so sparser (pruned) networks have lower raw values and lower "
        "chance levels; only the distance to chance says something.",
        "- *Permutation symmetry.* Hidden neurons are interchangeable between runs, so neuron k of one seed has no "
        "reason to be neuron k of another: raw Jaccard of every block that touches a hidden layer sits near chance "
        "even for functionally equivalent networks. Aligning neurons (Hungarian matching on incoming sets, as NNSTD does) "
        "removes that (NNSTD measures the distance that remains), but the matching also raises two *random* "
        "masks well above d/(2−d), so aligned values (and NNSTD) are "
        "compared with the aligned random baseline, not with chance. That baseline keeps each block's edge count "
        "but not its degree distribution, so for networks with strongly uneven degrees (strategic, gradient) it "
        "is only approximate.",
        "- *Inputs are fixed.* Input pixels are the same units in every run, so the part of the topology that can "
        "agree without alignment is which inputs keep connections: the input-degree correlation measures that.",
        "",
    ]
    return "\n".join(out)


def render_section(studies, figure_files, results_md):
    parts = [
        "## Seed study (reading A: one method across seeds)",
        "",
        "Written by `scripts/reproduce.py` (do not edit by hand between the markers). Question: do the "
        "claims of Finlinson & Moschoyiannis (2020) — strategic synthesis forms residual subnetworks up to "
        "~90% similar across runs; pruning on top of synthesis improves compression — hold when measured "
        "with this toolkit? Here claim 1 is read as *the same method across seeds*; the section *Reading B* "
        "reads it as *different approaches grown from the same starting network*. Every number below is from "
        "the runs described; `OUT/<dataset>/study.json` holds them all, with configurations and seeds.",
        "",
        "Commands: " + "; ".join(f"{st['dataset']}: `{st['command']}`" for st in studies) + ".",
        "",
    ]
    parts.append(claims(studies))
    for st in studies:
        parts.append(render_part(st, figure_files[st["dataset"]], st["command"], results_md.parent))
        parts.append("")
    return "\n".join(parts)


def write_results_md(section, path):
    replace_marked(path, "results:study", section, header="# Results\n")


# --------------------------------------------------------------------------- main


def parse_args(argv):
    p = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--out", default="runs/reproduce", help="study folder (default runs/reproduce)")
    p.add_argument("--data-dir", help="folder of the MNIST IDX files; the MNIST part runs when they are there")
    p.add_argument("--skip-digits", action="store_true", help="do not run the digits part")
    p.add_argument("--skip-mnist", action="store_true", help="do not run the MNIST part")
    p.add_argument("--seeds", help=f"digits seeds (default {DIGITS['seeds']})")
    p.add_argument("--epochs", type=int, help=f"digits epochs (default {DIGITS['epochs']})")
    p.add_argument("--mnist-seeds", help=f"MNIST seeds (default {MNIST['seeds']})")
    p.add_argument("--mnist-epochs", type=int, help=f"MNIST epochs (default {MNIST['epochs']})")
    p.add_argument(
        "--workers", type=int, default=None, help="worker processes of the local Dask cluster (default min(2, CPUs))"
    )
    p.add_argument(
        "--scheduler",
        help="run on the Dask cluster of this scheduler (tcp://host:8786, tls://...; default "
        "$DASK_SCHEDULER_ADDRESS, else a local cluster on 127.0.0.1)",
    )
    p.add_argument("--resume", action="store_true", help="keep finished runs, continue interrupted ones")
    p.add_argument("--quick", action="store_true", help="smoke test: 2 seeds, 4 digits epochs, 1 MNIST epoch; no docs")
    p.add_argument("--no-docs", action="store_true", help="do not write docs/RESULTS.md and docs/figures")
    p.add_argument("--results", default=str(RESULTS_MD), help="the RESULTS.md to write (default docs/RESULTS.md)")
    p.add_argument("--figures", default=str(FIGURES), help="folder of the figures (default docs/figures)")
    p.add_argument("--docs-only", action="store_true", help="only re-render the docs from OUT/*/study.json")
    return p.parse_args(argv)


def run_parts(args, out, cluster, log):
    """The digits part and, when --data-dir holds MNIST, the MNIST part, on ``cluster``."""
    from netgraph.cli.args import parse_seeds
    from netgraph.training.data import find_idx_files

    if not args.skip_digits:
        seeds = parse_seeds(args.seeds or ("0-1" if args.quick else DIGITS["seeds"]))
        epochs = args.epochs or (4 if args.quick else DIGITS["epochs"])
        run_part(
            DIGITS, out=out, seeds=seeds, epochs=epochs, cluster=cluster, resume=args.resume, data_dir=None, log=log
        )
    if not args.skip_mnist:
        if args.data_dir and all(find_idx_files(args.data_dir).values()):
            seeds = parse_seeds(args.mnist_seeds or ("0-1" if args.quick else MNIST["seeds"]))
            epochs = args.mnist_epochs or (1 if args.quick else MNIST["epochs"])
            run_part(
                MNIST,
                out=out,
                seeds=seeds,
                epochs=epochs,
                cluster=cluster,
                resume=args.resume,
                data_dir=str(Path(args.data_dir).resolve()),
                log=log,
            )
        else:
            log(f"MNIST part skipped: no MNIST IDX files in --data-dir ({args.data_dir})")


def main(argv=None):
    args = parse_args(argv)
    out = Path(args.out)

    def log(message):
        print(message, file=sys.stderr, flush=True)

    if args.quick:
        args.no_docs = True
    t0 = time.perf_counter()
    if not args.docs_only:
        from netgraph.training.cluster import open_cluster

        with open_cluster(args.scheduler, workers=args.workers, warn=lambda m: log(f"warning: {m}")) as cluster:
            run_parts(args, out, cluster, log)
    if not args.no_docs:
        studies = [
            json.loads(p.read_text()) for p in (out / n / "study.json" for n in ("digits", "mnist")) if p.is_file()
        ]
        if not studies:
            log(f"no {out}/*/study.json to render")
            return 1
        results_md, figures = Path(args.results).resolve(), Path(args.figures).resolve()
        figure_files = {st["dataset"]: write_figures(st, out, figures) for st in studies}
        write_results_md(render_section(studies, figure_files, results_md), results_md)
        log(f"wrote {results_md} and {sum(len(f) for f in figure_files.values())} figures in {figures}")
    log(f"total {time.perf_counter() - t0:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
