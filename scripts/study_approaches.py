"""Reading B of the seed's similarity claim: do different growth rules, started from one network, end alike?

Finlinson & Moschoyiannis (2020) write that "the residual sub-networks that are formed from the
synthesis approaches ... form common sub-networks with similarities up to ~90%". The seed study
(``scripts/reproduce.py``) reads that as *one method across seeds* and finds chance. This script
reads it the second way: *different approaches grown from the same starting network* (runs with
one seed share their initial topology, see :func:`netgraph.training.run.initial_network`).

For every regime (a point of the sweep) it trains growth in {random, strategic, gradient} x seeds,
keeping every epoch's checkpoint, and measures after every epoch:

- **across methods, same seed** (the three pairs of growth rules per seed): edge Jaccard with its
  chance level, and how its intersection splits into connections of the initial network that
  both kept (*survivors*) and connections both grew anew (*regrown*), each against chance;
- **within a method, across seeds**: edge Jaccard with its chance level;
- **survival**: the share of the initial network's connections still present, against the
  share a random network of the same per-layer size would hold;
- **NNSTD** (Liu et al. 2020) for both kinds of pair at the last epoch, when
  ``analysis.nnstd`` is available;
- **residual sub-networks** (pruning regimes): after unused-path removal
  (:func:`netgraph.topology.edits.remove_dead`), the node Jaccard of the hidden neurons that keep a path,
  across seeds and across methods, against chance.

Regimes on digits (64-256-256-10, density 0.1, the library defaults otherwise): ζ in {0.3 (100
epochs), 0.1, 0.05} without pruning, and pruning targets {5%, 2%, 1%} at ζ = 0.3, plus ζ = 0.05
with a 1% target (30 epochs each, 5 seeds). MNIST (784-1000-1000-1000-10, ε = 20, the seed
study's optimiser) at the regimes named by ``--mnist-regimes``.

Writes ``OUT/<dataset>/approaches.json``, figures ``docs/figures/approaches-*.png`` and the
"Reading B" section of ``docs/RESULTS.md``.

Usage::

    python scripts/study_approaches.py                         # digits (~10 min on 2 cores)
    python scripts/study_approaches.py --data-dir ../shared/data/mnist --skip-digits
    python scripts/study_approaches.py --docs-only             # re-render from OUT/*/approaches.json
"""

import argparse
import datetime
import itertools
import json
import math
import shlex
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))
from _benchlib import figure, fmt, machine_brief, relpath, replace_marked  # noqa: E402

RESULTS_MD = ROOT / "docs" / "RESULTS.md"
FIGURES = ROOT / "docs" / "figures"
GROWTHS = ("random", "strategic", "gradient")

DIGITS = {
    "dataset": "digits",
    "common": {"dataset": "digits", "layers": (64, 256, 256, 10), "density": 0.1},
    "seeds": "0-4",
    # name: (zeta, target density or None, epochs)
    "regimes": {
        "zeta0.3": (0.3, None, 100),
        "zeta0.1": (0.1, None, 30),
        "zeta0.05": (0.05, None, 30),
        "prune5%": (0.3, 0.05, 30),
        "prune2%": (0.3, 0.02, 30),
        "prune1%": (0.3, 0.01, 30),
        "zeta0.05+prune1%": (0.05, 0.01, 30),
    },
}
MNIST = {
    "dataset": "mnist",
    "common": {
        "dataset": "mnist",
        "layers": (784, 1000, 1000, 1000, 10),
        "epsilon": 20.0,
        "lr": 0.05,
        "batch_size": 128,
    },
    "seeds": "0-1",
    "regimes": {
        "zeta0.3": (0.3, None, 10),
        "zeta0.05": (0.05, None, 10),
        "zeta0.05+prune1%": (0.05, 0.01, 10),
    },
}


def log(msg):
    print(msg, flush=True)


# --------------------------------------------------------------------------- training


def build_jobs(spec, out, seeds, regimes, data_dir=None):
    """(config, run folder, seed) for every regime x growth x seed."""
    from netgraph.training.run import TrainConfig
    from netgraph.training.study import pruning_window

    jobs = []
    for name in regimes:
        zeta, target, epochs = spec["regimes"][name]
        extra = {"zeta": zeta, "epochs": epochs}
        if target is not None:
            start, end = pruning_window(epochs)
            extra.update(target_density=target, prune_start=start, prune_end=end)
        for growth in GROWTHS:
            common = dict(spec["common"], data_dir=data_dir) if data_dir else dict(spec["common"])
            config = TrainConfig(**common, **extra, growth=growth, label=growth)
            jobs.extend((config, out / name / growth, seed) for seed in seeds)
    return jobs


def train(spec, out, seeds, regimes, cluster, data_dir=None):
    from netgraph.training.study import run_jobs

    jobs = build_jobs(spec, out, seeds, regimes, data_dir)
    log(f"{spec['dataset']}: {len(jobs)} runs on a {cluster.describe()} -> {out}")
    t0 = time.perf_counter()

    def progress(done, total, r):
        log(
            f"  [{done:>3}/{total}] {Path(r.out_dir).parent.parent.name:<18} {r.method:<10} seed {r.seed}: "
            f"accuracy {r.final_test_accuracy:.4f}, {sum(r.final_connections):>7,} connections "
            f"({time.perf_counter() - t0:6.1f} s)"
        )

    results = run_jobs(jobs, cluster=cluster, resume=True, progress=progress, keep="all")
    return results, time.perf_counter() - t0


# --------------------------------------------------------------------------- measuring


def hidden_alive_jaccard(G1, G2):
    """Node Jaccard of the hidden neurons of two networks, over all hidden layers, with its chance level.

    ``analysis.node_jaccard`` per hidden layer (the neurons with an edge), combined: the
    intersections and unions add up; the chance level is that of random sets of the same size
    in each layer.
    """
    from analysis import node_jaccard

    sizes = G1.graph["layer_sizes"]
    inter = union = n1 = n2 = 0
    expected = 0.0
    for layer in range(1, len(sizes) - 1):
        j = node_jaccard(G1, G2, layer=layer)
        inter, union = inter + j.intersection, union + j.union
        n1, n2 = n1 + j.sizes[0], n2 + j.sizes[1]
        expected += j.sizes[0] * j.sizes[1] / sizes[layer]
    return {
        "jaccard": inter / union if union else 1.0,
        "chance": expected / (n1 + n2 - expected) if n1 + n2 - expected else 1.0,
        "alive": [n1, n2],
        "hidden": int(sum(sizes[1:-1])),
    }


def alive_share(G):
    """The share of the hidden neurons of ``G`` that have an edge."""
    sizes = G.graph["layer_sizes"]
    hidden = [n for n in G if 0 < n[0] < len(sizes) - 1]
    return sum(1 for n in hidden if G.degree(n)) / len(hidden)


def _mean(rows, key):
    vals = [r[key] for r in rows]
    return float(np.mean(vals)) if vals else math.nan


def _summarize_pairs(rows):
    keys = [k for k in rows[0] if isinstance(rows[0][k], (int, float)) and not isinstance(rows[0][k], bool)]
    return {k: _mean(rows, k) for k in keys} | {"n_pairs": len(rows)}


def _shared(G1, G2, initial):
    from analysis import shared_edges

    s = shared_edges(G1, G2, initial=initial)
    return {
        "jaccard": s.value,
        "chance": s.chance,
        "intersection": s.intersection,
        "union": s.union,
        "survivors_both": s.kept_both,
        "survivors_both_chance": s.kept_both_chance,
        "regrown_both": s.grown_both,
        "regrown_both_chance": s.grown_both_chance,
    }


def _edge(G1, G2):
    from analysis import edge_jaccard

    j = edge_jaccard(G1, G2)
    return {"jaccard": j.value, "chance": j.chance}


def _survival(initial, G):
    from analysis import initial_survival

    s = initial_survival(initial, G)
    return {"share": s.value, "chance": s.chance, "share_of_network": s.share_of_network}


def _nnstd_pairs(graph_pairs, rng):
    """Mean NNSTD over pairs, and over random networks with the same connections per block."""
    from analysis import nnstd, random_like

    vals, rand = [], []
    for g1, g2 in graph_pairs:
        vals.append(nnstd(g1, g2).value)
        rand.append(nnstd(random_like(g1, rng=rng), random_like(g2, rng=rng)).value)
    return {"nnstd": float(np.mean(vals)), "nnstd_random": float(np.mean(rand)), "n_pairs": len(vals)}


def analyze_regime(spec, regime_dir, seeds, regime):
    """Every measure of one regime (see the module docstring), per epoch and at the last epoch."""
    from netgraph import to_graph
    from netgraph.io.runs import RunFolder
    from netgraph.topology.edits import remove_dead
    from netgraph.training.run import TrainConfig, initial_network

    zeta, target, epochs = spec["regimes"][regime]
    config = TrainConfig(**spec["common"], zeta=zeta, growth="random")  # the layers are given: no data needed
    initial = {seed: to_graph(initial_network(config, seed)) for seed in seeds}
    runs = {(g, s): RunFolder.in_study(regime_dir, g, s) for g in GROWTHS for s in seeds}
    across_pairs = [(g1, g2, s) for s in seeds for g1, g2 in itertools.combinations(GROWTHS, 2)]
    within_pairs = [(g, s1, s2) for g in GROWTHS for s1, s2 in itertools.combinations(seeds, 2)]
    per_epoch = []
    for epoch in range(1, epochs + 1):
        graphs = {k: to_graph(run.epoch(epoch)) for k, run in runs.items()}
        across = [
            _shared(graphs[(g1, s)], graphs[(g2, s)], initial[s]) | {"pair": f"{g1}-{g2}"} for g1, g2, s in across_pairs
        ]
        within = [_edge(graphs[(g, s1)], graphs[(g, s2)]) | {"method": g} for g, s1, s2 in within_pairs]
        surv = {g: [_survival(initial[s], graphs[(g, s)]) for s in seeds] for g in GROWTHS}
        pairs = [f"{g1}-{g2}" for g1, g2 in itertools.combinations(GROWTHS, 2)]
        per_epoch.append(
            {
                "epoch": epoch,
                "across_methods_same_seed": _summarize_pairs(across),
                "across_by_pair": {p: _summarize_pairs([r for r in across if r["pair"] == p]) for p in pairs},
                "within_method_across_seeds": _summarize_pairs(within),
                "within_by_method": {g: _summarize_pairs([r for r in within if r["method"] == g]) for g in GROWTHS},
                "survival": {g: _summarize_pairs(rows) for g, rows in surv.items()},
                "connections": {g: float(np.mean([graphs[(g, s)].number_of_edges() for s in seeds])) for g in GROWTHS},
            }
        )
    # ``graphs`` now holds the last epoch's networks, loaded once: NNSTD and residual neurons use them
    rng = np.random.default_rng(0)
    nn_across = _nnstd_pairs([(graphs[(g1, s)], graphs[(g2, s)]) for g1, g2, s in across_pairs], rng)
    nn_within = _nnstd_pairs([(graphs[(g, s1)], graphs[(g, s2)]) for g, s1, s2 in within_pairs], rng)
    alive = {k: remove_dead(G) for k, G in graphs.items()}
    residual = {
        "across_methods_same_seed": _summarize_pairs(
            [hidden_alive_jaccard(alive[(g1, s)], alive[(g2, s)]) for g1, g2, s in across_pairs]
        ),
        "within_method_across_seeds": _summarize_pairs(
            [hidden_alive_jaccard(alive[(g, s1)], alive[(g, s2)]) for g, s1, s2 in within_pairs]
        ),
        "alive_share": {g: float(np.mean([alive_share(alive[(g, s)]) for s in seeds])) for g in GROWTHS},
    }
    accuracy = {}
    for g in GROWTHS:
        accs = [json.loads(runs[(g, s)].metrics.read_text())["epochs"][-1]["test_accuracy"] for s in seeds]
        accuracy[g] = {"mean": float(np.mean(accs)), "std": float(np.std(accs))}
    return {
        "regime": regime,
        "zeta": zeta,
        "target_density": target,
        "epochs": epochs,
        "per_epoch": per_epoch,
        "nnstd": {"across_methods_same_seed": nn_across, "within_method_across_seeds": nn_within},
        "residual": residual,
        "accuracy": accuracy,
    }


def analyze(spec, out, seeds, regimes):
    t0 = time.perf_counter()
    results = []
    for regime in regimes:
        log(f"  analysing {spec['dataset']} {regime}")
        results.append(analyze_regime(spec, out / regime, seeds, regime))
    return {
        "dataset": spec["dataset"],
        "common": {k: list(v) if isinstance(v, tuple) else v for k, v in spec["common"].items()},
        "seeds": seeds,
        "growths": list(GROWTHS),
        "regimes": results,
        "analysis_seconds": time.perf_counter() - t0,
    }


# --------------------------------------------------------------------------- docs


def plot_epochs(study, path, regimes):
    """Across-method/same-seed and within-method/across-seed edge Jaccard over epochs, with chance."""
    fig = figure(4.2 * len(regimes), 3.9)
    axes = np.atleast_1d(fig.subplots(1, len(regimes), sharey=True))
    by_name = {r["regime"]: r for r in study["regimes"]}
    for ax, name in zip(axes, regimes):
        rows = by_name[name]["per_epoch"]
        ep = [row["epoch"] for row in rows]
        across = [row["across_methods_same_seed"] for row in rows]
        within = [row["within_method_across_seeds"] for row in rows]
        ax.plot(ep, [a["jaccard"] for a in across], color="#d62728", label="across methods, same seed")
        ax.plot(
            ep,
            [a["survivors_both"] / a["union"] for a in across],
            color="#d62728",
            linestyle=":",
            label="… of it: initial connections both kept",
        )
        ax.plot(ep, [w["jaccard"] for w in within], color="#1f77b4", label="within a method, across seeds")
        ax.plot(ep, [a["chance"] for a in across], color="#999999", linestyle="--", label="chance")
        for g, c in zip(GROWTHS, ("#2ca02c", "#9467bd", "#8c564b")):
            ax.plot(
                ep,
                [row["survival"][g]["share"] for row in rows],
                color=c,
                linewidth=0.8,
                alpha=0.7,
                label=f"initial kept: {g}",
            )
        ax.axhline(0.9, color="k", linestyle="--", linewidth=0.6)
        ax.set_ylim(0, 1.02)
        ax.set_xlabel("epoch")
        ax.set_title(_regime_text(by_name[name]), fontsize=9)
    axes[0].set_ylabel("edge Jaccard / share")
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncol=4, fontsize=7)
    fig.savefig(path, dpi=80)


def plot_sweep(study, path):
    """At the last epoch of every regime: across-method Jaccard split into survivors and regrown, with chance."""
    regs = study["regimes"]
    fig = figure(max(5.0, 0.9 * len(regs) + 2), 3.4)
    ax = fig.subplots()
    x = np.arange(len(regs))
    last = [r["per_epoch"][-1] for r in regs]
    surv = [
        row["across_methods_same_seed"]["survivors_both"] / row["across_methods_same_seed"]["union"] for row in last
    ]
    regrown = [
        row["across_methods_same_seed"]["regrown_both"] / row["across_methods_same_seed"]["union"] for row in last
    ]
    ax.bar(x - 0.2, surv, 0.4, color="#d62728", label="across methods: initial connections both kept")
    ax.bar(x - 0.2, regrown, 0.4, bottom=surv, color="#f4a6a6", label="across methods: connections both grew")
    ax.scatter(
        x - 0.2,
        [row["across_methods_same_seed"]["chance"] for row in last],
        marker="_",
        s=200,
        color="k",
        label="chance",
        zorder=3,
    )
    ax.bar(
        x + 0.2,
        [row["within_method_across_seeds"]["jaccard"] for row in last],
        0.4,
        color="#1f77b4",
        label="within a method, across seeds",
    )
    ax.scatter(
        x + 0.2, [row["within_method_across_seeds"]["chance"] for row in last], marker="_", s=200, color="k", zorder=3
    )
    ax.axhline(0.9, color="k", linestyle="--", linewidth=0.6)
    ax.set_xticks(x, [_regime_text(r, short=True) for r in regs], rotation=30, ha="right", fontsize=7)
    ax.set_ylabel("edge Jaccard at the last epoch")
    ax.set_ylim(0, 1)
    ax.legend(fontsize=6.5)
    ax.set_title(f"{study['dataset']}: the sweep", fontsize=9)
    fig.savefig(path, dpi=80)


def _regime_text(r, short=False):
    text = f"ζ = {r['zeta']:g}"
    if r["target_density"] is not None:
        text += f", pruned to {100 * r['target_density']:g}%"
    return text + ("" if short else f", {r['epochs']} epochs")


def _peak(r):
    """The epoch >= 2 where across-method similarity is highest (epoch 1 precedes any topology change)."""
    rows = r["per_epoch"][1:]
    if not rows:
        return None
    return max(rows, key=lambda row: row["across_methods_same_seed"]["jaccard"])


def render_part(study, figs, md_dir):
    regs = study["regimes"]
    common = study["common"]
    topo = f"density {common['density']:g}" if "density" in common else f"ε = {common['epsilon']:g}"
    lines = [
        f"### {study['dataset']}: {'-'.join(str(n) for n in common['layers'])}, {topo}",
        "",
        f"What ran: growth ∈ {{{', '.join(study['growths'])}}} × seeds {study['seeds']} per regime, "
        f"{'library defaults otherwise' if study['dataset'] == 'digits' else 'SGD lr 0.05, batch 128 (the seed study optimiser)'}; "
        f"training {study['training_seconds']:.0f} s wall (sum of the runs' epoch times {study.get('epoch_seconds', math.nan):.0f} s; "
        f"on {study['machine']}), analysis {study['analysis_seconds']:.0f} s. "
        f"Command: `{study['command']}`. Runs with one seed start from one network (same topology and weights); "
        "epoch *e* is the network after *e* epochs of training, before that epoch's topology update, so "
        "epoch 1 is the untouched initial topology and all approaches agree there (Jaccard 1).",
        "",
        "At the last epoch (means over pairs; chance levels in parentheses: independent random networks with "
        "the same per-layer connection counts; for *kept both* / *grew both*: random choices of the same "
        "sizes among the initial connections / among the others):",
        "",
        "| regime | accuracy (random / strategic / gradient) | across methods, same seed: edge Jaccard | kept both | grew both | "
        "within a method, across seeds | NNSTD across methods (random nets) | NNSTD within (random nets) | initial connections kept (random / strategic / gradient) |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in regs:
        last = r["per_epoch"][-1]
        a, w = last["across_methods_same_seed"], last["within_method_across_seeds"]
        acc = " / ".join(f"{r['accuracy'][g]['mean']:.4f}" for g in study["growths"])
        kept = " / ".join(fmt(last["survival"][g]["share"], 2) for g in study["growths"])
        chance_kept = fmt(np.mean([last["survival"][g]["chance"] for g in study["growths"]]), 2)
        na, nw = r["nnstd"]["across_methods_same_seed"], r["nnstd"]["within_method_across_seeds"]
        nn_a = f"{fmt(na['nnstd'])} ({fmt(na['nnstd_random'])})" if na else "–"
        nn_w = f"{fmt(nw['nnstd'])} ({fmt(nw['nnstd_random'])})" if nw else "–"
        lines.append(
            f"| {_regime_text(r)} | {acc} | **{fmt(a['jaccard'])}** ({fmt(a['chance'])}) | "
            f"{a['survivors_both']:,.0f} ({a['survivors_both_chance']:,.0f}) | {a['regrown_both']:,.0f} ({a['regrown_both_chance']:,.0f}) | "
            f"{fmt(w['jaccard'])} ({fmt(w['chance'])}) | {nn_a} | {nn_w} | {kept} (random: {chance_kept}) |"
        )
    base = regs[0]
    marks = [e for e in (1, 2, 3, 5, 10, 20, 30, 50, 100) if e <= base["epochs"]]
    lines += [
        "",
        f"Over epochs, {_regime_text(base)}: mean edge Jaccard across methods with the same seed (the share of "
        "its union that is initial connections both kept), within a method across seeds, and the share of the "
        "initial connections each method still holds:",
        "",
        "| epoch | across methods, same seed | of which kept both | within, across seeds | chance | kept: "
        + " / ".join(study["growths"])
        + " |",
        "|---|---|---|---|---|---|",
    ]
    for e in marks:
        row = base["per_epoch"][e - 1]
        a, w = row["across_methods_same_seed"], row["within_method_across_seeds"]
        kept = " / ".join(fmt(row["survival"][g]["share"], 2) for g in study["growths"])
        lines.append(
            f"| {e} | {fmt(a['jaccard'])} | {fmt(a['survivors_both'] / a['union'])} | {fmt(w['jaccard'])} | {fmt(a['chance'])} | {kept} |"
        )
    lines += [
        "",
        "By pair of methods at the last epoch of that regime:",
        "",
        "| pair | edge Jaccard | chance |",
        "|---|---|---|",
    ]
    for pair, v in base["per_epoch"][-1]["across_by_pair"].items():
        lines.append(f"| {pair} | {fmt(v['jaccard'])} | {fmt(v['chance'])} |")
    pruned = [r for r in regs if r["target_density"] is not None]
    if pruned:
        lines += [
            "",
            "Residual sub-networks: hidden neurons that keep a path from the inputs to the outputs after unused-path "
            "removal (`netgraph.topology.edits.remove_dead`), node Jaccard of those sets (chance: random sets of the same size per layer):",
            "",
            "| regime | hidden neurons alive (random / strategic / gradient) | across methods, same seed | within a method, across seeds |",
            "|---|---|---|---|",
        ]
        for r in regs:
            res = r["residual"]
            alive = " / ".join(fmt(res["alive_share"][g], 2) for g in study["growths"])
            a, w = res["across_methods_same_seed"], res["within_method_across_seeds"]
            lines.append(
                f"| {_regime_text(r)} | {alive} | {fmt(a['jaccard'])} ({fmt(a['chance'])}) | {fmt(w['jaccard'])} ({fmt(w['chance'])}) |"
            )
    for name, path in figs.items():
        lines += ["", f"![{name}]({relpath(path, md_dir)})"]
    return "\n".join(lines)


def _epoch_panels(regs):
    """The regimes shown over epochs: the first (the base), the most similar unpruned one, the peak."""
    unpruned = [r for r in regs if r["target_density"] is None]
    last = max(unpruned or regs, key=lambda r: r["per_epoch"][-1]["across_methods_same_seed"]["jaccard"])
    peak = max(regs, key=lambda r: max(row["across_methods_same_seed"]["jaccard"] for row in r["per_epoch"][1:]))
    names = []
    for r in (regs[0], last, peak):
        if r["regime"] not in names:
            names.append(r["regime"])
    return names


def render_docs(out, *, results=RESULTS_MD, figures=FIGURES):
    studies = []
    for name in ("digits", "mnist"):
        f = Path(out) / name / "approaches.json"
        if f.is_file():
            studies.append(json.loads(f.read_text()))
    if not studies:
        log(f"no {out}/*/approaches.json: nothing to render")
        return
    figures.mkdir(parents=True, exist_ok=True)
    parts = [
        "## Reading B: different approaches from one starting network",
        "",
        "Written by `scripts/study_approaches.py` (do not edit by hand between the markers).",
        "",
        "@@ANSWER@@",
        "",
    ]
    for st in studies:
        figs = {}
        ep_regs = _epoch_panels(st["regimes"])
        figs["similarity over epochs"] = figures / f"approaches-{st['dataset']}-epochs.png"
        plot_epochs(st, figs["similarity over epochs"], ep_regs)
        figs["the sweep"] = figures / f"approaches-{st['dataset']}-sweep.png"
        plot_sweep(st, figs["the sweep"])
        parts.append(render_part(st, figs, results.parent))
        parts.append("")
    text = "\n".join(parts).replace("@@ANSWER@@", answer(studies))
    replace_marked(results, "results:approaches", text, header="# Results\n")
    log(f"wrote {results} and figures in {figures}")


def _prune_text(r):
    from netgraph.training.study import pruning_window

    if r["target_density"] is None:
        return ""
    a, b = pruning_window(r["epochs"])
    return f" (gradual magnitude pruning after epochs {a}–{b})"


def answer(studies):
    """The plain statement the issue asks for, from the numbers."""
    out = []
    for st in studies:
        regs = st["regimes"]
        lasts = [(r, r["per_epoch"][-1]["across_methods_same_seed"]) for r in regs]
        best, b = max(lasts, key=lambda t: t[1]["jaccard"])
        # epoch 1 precedes every topology update (all methods hold the initial network): peaks from epoch 2
        peak_r, peak = max(
            ((r, row) for r in regs for row in r["per_epoch"][1:]),
            key=lambda t: t[1]["across_methods_same_seed"]["jaccard"],
        )
        pa = peak["across_methods_same_seed"]
        kept_share = [a["survivors_both"] / a["intersection"] for _, a in lasts if a["intersection"]]
        grown_total = sum(a["regrown_both"] for _, a in lasts)
        grown_chance = sum(a["regrown_both_chance"] for _, a in lasts)
        kept_total = sum(a["survivors_both"] for _, a in lasts)
        kept_chance = sum(a["survivors_both_chance"] for _, a in lasts)
        reach = sorted(
            {
                r["regime"]
                for r in regs
                for row in r["per_epoch"][1:]
                if row["across_methods_same_seed"]["jaccard"] >= 0.9
            }
        )
        w_best = max(r["per_epoch"][-1]["within_method_across_seeds"]["jaccard"] for r in regs)
        w_chance = max(r["per_epoch"][-1]["within_method_across_seeds"]["chance"] for r in regs)
        res = max(
            regs,
            key=lambda r: (
                r["residual"]["across_methods_same_seed"]["jaccard"]
                - r["residual"]["across_methods_same_seed"]["chance"]
            ),
        )
        ra = res["residual"]["across_methods_same_seed"]
        rw = res["residual"]["within_method_across_seeds"]
        driver = "the initial connections both kept" if min(kept_share) > 0.5 else "connections grown alike"

        def initial_part(row, growths=tuple(st["growths"])):
            return float(np.mean([row["survival"][g]["share_of_network"] for g in growths]))

        pruning = ""
        if peak_r["target_density"] is not None:
            from netgraph.training.study import pruning_window

            first = pruning_window(peak_r["epochs"])[0]
            before = peak_r["per_epoch"][first - 1]
            pruning = (
                f" In that regime the share of each network that is initial connections goes from "
                f"{initial_part(before):.3f} at epoch {first}, when pruning starts, to {initial_part(peak):.3f} at the "
                "peak: pruning (by magnitude) removes the recently regrown connections, which start small and in which the "
                "approaches differ, before the initial ones."
            )
        verdict = "reaches ~90%" if pa["jaccard"] >= 0.85 else "stays below ~90%"
        out.append(
            f"- **{st['dataset']}: similarity between approaches grown from one network {verdict} "
            f"(peak {pa['jaccard']:.3f}, chance {pa['chance']:.3f}, at epoch {peak['epoch']} of {_regime_text(peak_r)}"
            f"{_prune_text(peak_r)}) and ends at up to {b['jaccard']:.3f} (chance {b['chance']:.3f}, "
            f"{_regime_text(best)}); what drives it is {driver}.** At the last epoch "
            f"{100 * min(kept_share):.0f}–{100 * max(kept_share):.0f}% of the connections two approaches share are "
            f"survivors of the initial network, in every regime ({kept_total:,.0f} summed over the regimes, "
            f"{kept_total / kept_chance:.1f}× what random choices of the same sizes would share), while connections "
            f"both grew anew number {grown_total:,.0f} ({grown_total / grown_chance:.2f}× chance); at the peak "
            f"{100 * pa['survivors_both'] / pa['intersection']:.0f}% are survivors.{pruning} Values of 0.9 or more "
            f"occur in {len(reach)} regime(s) ({', '.join(reach) or 'none'}). Every prune-and-regrow step lowers the "
            "similarity, the more the larger ζ, and only pruning lifts it for a while: it "
            "measures how much of the common starting network survives, not a sub-network the methods converge to. "
            f"Within a method across seeds (reading A) no regime beats chance: at most {w_best:.3f} (chance "
            f"{w_chance:.3f}). Hidden neurons that keep a path after unused-path removal agree across approaches most "
            f"above chance at {_regime_text(res)}: node Jaccard {ra['jaccard']:.3f} (chance {ra['chance']:.3f}); across "
            f"seeds {rw['jaccard']:.3f} (chance {rw['chance']:.3f})."
        )
    return "\n".join(out)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--out", default="runs/approaches", help="study folder (default runs/approaches)")
    p.add_argument("--data-dir", help="folder of the MNIST IDX files (the MNIST part runs when given)")
    p.add_argument("--skip-digits", action="store_true")
    p.add_argument("--regimes", help="digits regimes to run, comma-separated (default all)")
    p.add_argument("--mnist-regimes", help="MNIST regimes, comma-separated (default all)")
    p.add_argument("--seeds", help=f"digits seeds (default {DIGITS['seeds']})")
    p.add_argument("--mnist-seeds", help=f"MNIST seeds (default {MNIST['seeds']})")
    p.add_argument("--workers", type=int, help="local worker processes (default min(2, CPUs))")
    p.add_argument("--scheduler", help="address of a running Dask scheduler")
    p.add_argument("--train-only", action="store_true", help="train, do not analyse")
    p.add_argument("--docs-only", action="store_true", help="only re-render the docs from OUT/*/approaches.json")
    p.add_argument("--no-docs", action="store_true", help="do not write docs/RESULTS.md and docs/figures")
    p.add_argument("--results", default=str(RESULTS_MD), help="the RESULTS.md to write (default docs/RESULTS.md)")
    p.add_argument("--figures", default=str(FIGURES), help="folder of the figures (default docs/figures)")
    args = p.parse_args(argv)

    from netgraph.cli.args import parse_seeds
    from netgraph.training.cluster import open_cluster

    out = Path(args.out)
    parts = []
    if not args.skip_digits:
        regimes = args.regimes.split(",") if args.regimes else list(DIGITS["regimes"])
        parts.append((DIGITS, parse_seeds(args.seeds or DIGITS["seeds"]), regimes, None))
    if args.data_dir:
        regimes = args.mnist_regimes.split(",") if args.mnist_regimes else list(MNIST["regimes"])
        parts.append((MNIST, parse_seeds(args.mnist_seeds or MNIST["seeds"]), regimes, args.data_dir))
    command = " ".join(shlex.quote(a) for a in ["python", "scripts/study_approaches.py", *sys.argv[1:]])
    if not args.docs_only:
        with open_cluster(args.scheduler, workers=args.workers) as cluster:
            for spec, seeds, regimes, data_dir in parts:
                part_out = out / spec["dataset"]
                results, seconds = train(spec, part_out, seeds, regimes, cluster, data_dir)
                if args.train_only:
                    continue
                previous = part_out / "approaches.json"
                if all(r.resumed_from == len(r.epochs) for r in results) and previous.is_file():
                    # nothing was trained now: keep the wall time of the invocation that trained them
                    seconds = json.loads(previous.read_text())["training_seconds"]
                study = analyze(spec, part_out, seeds, regimes)
                study.update(
                    training_seconds=seconds,
                    epoch_seconds=sum(row["seconds"] for r in results for row in r.epochs),
                    command=command,
                    machine=machine_brief(),
                    created=datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
                )
                write_json(part_out / "approaches.json", study)
    if not args.no_docs and not args.train_only:
        render_docs(out, results=Path(args.results), figures=Path(args.figures))
    return 0


def write_json(path, data):
    from netgraph.fileio import atomic_write

    with atomic_write(path, "w", encoding="utf-8") as f:
        json.dump(data, f, indent=1, allow_nan=False)


if __name__ == "__main__":
    sys.exit(main())
