"""The block report of channel-level graphs (analysis.block_report): known answers, files, page, torch-free."""

import html
import json
import re
import shutil
import subprocess

import networkx as nx
import numpy as np
import pytest

from analysis import BlockReport, block_jaccard, block_nnstd, build_block_report, plotting, write_block_report
from analysis._block_report_html import EXPLAIN
from netgraph import ArchitectureMismatchError, ParameterError

from .test_blocks import G1, G2, IN2, _as_network, _graph, _layer


def _chain(n_blocks, width, density, seed, *, module=lambda k: f"stage{k}.conv", masks=False):
    """A chain of ``n_blocks`` Linear layers ``width -> width`` with Bernoulli(density) connections."""
    rng = np.random.default_rng(seed)
    sizes = (width,) * (n_blocks + 1)
    layers = [_layer(module(k), (width, width), [(k, i) for i in range(width)], k + 1) for k in range(n_blocks)]
    present = [rng.random((width, width)) < density for _ in range(n_blocks)]
    edges = [((k, i), (k + 1, j)) for k, m in enumerate(present) for j, i in zip(*np.nonzero(m))]
    return _graph(edges, sizes, layers, masks=present if masks else None)


@pytest.mark.parametrize("convert", [lambda G: G, _as_network], ids=["digraph", "arrays"])
def test_a_swap_of_hidden_channels_is_raw_0_and_aligned_1(convert):
    rep = build_block_report([convert(G1), convert(G2)], labels=["a", "b"], rng=0)
    (pair,) = rep.pairs
    assert (pair.a, pair.b, pair.labels) == (0, 1, ("a", "b"))
    assert pair.channel.values.tolist() == [0.0, 0.0] and pair.channel.value == 0.0
    assert pair.aligned.values.tolist() == [1.0, 1.0] and pair.aligned.value == 1.0
    assert pair.nnstd.values.tolist() == [0.0, 0.0] and pair.nnstd.value == 0.0
    assert pair.kernel is None  # no element masks
    assert any("Kernel elements are not compared: a, b" in note for note in rep.notes)
    assert rep.blocks == ("fc1", "fc2")


@pytest.mark.parametrize("convert", [lambda G: G, _as_network], ids=["digraph", "arrays"])
def test_the_summary_of_a_network_by_hand(convert):
    """G1: 2 inputs -> 2 hidden -> 1 output; fc1 keeps 2 of 4 connections, fc2 1 of 2; every edge nnz 1."""
    net = build_block_report([convert(G1)], labels=["g1"]).networks[0]
    assert (net.channels, net.spaces, net.identity_edges) == (5, {"input": 1, "linear": 2}, 0)
    assert net.connections.tolist() == [2, 1] and net.possible_connections.tolist() == [4, 2]
    assert net.weights_from == "nnz" and net.weights.tolist() == [2, 1] and net.possible_weights.tolist() == [4, 2]
    assert (net.n_weights, net.n_possible_weights, net.density) == (3, 6, 0.5)
    assert net.drivers.count == 2  # the inputs: every hidden and output channel is matched
    assert net.degrees_in.max == 1 and net.degrees_out.histogram.tolist() == [2, 3]  # (1, 1) and (2, 0) feed none
    d = net.to_dict()
    assert (d["channel_connections"], d["weights"], d["possible_weights"], d["spaces"]) == (3, 3, 6, 3)
    assert d["blocks"]["density"] == [0.5, 0.5] and d["driver_nodes"]["count"] == 2


def test_weights_come_from_the_element_masks_and_kernel_elements_are_compared():
    """Weight (2, 1, 1, 2): masks {(0,0,0,0), (0,0,0,1)} and {(0,0,0,0)}: kernel J = 1/2, chance 0.2."""
    layers = [_layer("conv", (2, 1, 1, 2), [(0, 0)], 1, kind="Conv2d")]
    edges = [((0, 0), (1, 0))]
    a = _graph(edges, (1, 2), layers, masks=[[[[[1, 1]]], [[[0, 0]]]]])
    b = _graph(edges, (1, 2), layers, masks=[[[[[1, 0]]], [[[0, 0]]]]])
    rep = build_block_report([a, b], rng=0)
    assert [n.weights.tolist() for n in rep.networks] == [[2], [1]] and rep.networks[0].weights_from == "element_masks"
    pair = rep.pairs[0]
    assert pair.channel.value == 1.0 and pair.kernel.values.tolist() == [0.5]
    assert pair.kernel.chance.tolist() == [pytest.approx(0.2)]
    assert not [note for note in rep.notes if "Kernel" in note]


def test_one_generator_is_drawn_pair_after_pair():
    graphs = [_chain(3, 6, 0.4, seed) for seed in range(3)]
    rep = build_block_report(graphs, rng=5, n_random=2)
    assert [(p.a, p.b) for p in rep.pairs] == [(0, 1), (0, 2), (1, 2)]
    gen = np.random.default_rng(5)
    for p in rep.pairs:
        aligned = block_jaccard(graphs[p.a], graphs[p.b], aligned=True, n_random=2, rng=gen)
        nnstd = block_nnstd(graphs[p.a], graphs[p.b], n_random=2, rng=gen)
        assert p.aligned.chance.tolist() == aligned.chance.tolist()
        assert p.nnstd.random.tolist() == nnstd.random.tolist()
    again = build_block_report(graphs, rng=5, n_random=2).to_dict()
    first = rep.to_dict()
    for d in (first, again):
        d["provenance"].pop("created")
    assert first == again  # the same int: the same report
    assert build_block_report(graphs, rng=np.random.default_rng(5), n_random=2).pairs[2].nnstd.random.tolist() == (
        rep.pairs[2].nnstd.random.tolist()
    )


def test_the_report_json_has_every_measure_with_provenance(tmp_path):
    graphs = [_chain(4, 5, 0.5, seed, masks=True) for seed in range(3)]
    rep = build_block_report(graphs, labels=["x", "y", "z"], sources=["a/x.pt2", "a/y.pt2", None], rng=3)
    paths = write_block_report(rep, tmp_path / "out")
    data = json.loads(paths["json"].read_text())
    prov = data["provenance"]
    assert prov["function"] == "analysis.build_block_report" and prov["netgraph_version"]
    assert prov["parameters"] == {"aligned": True, "n_random": 1, "rng": 3}
    assert prov["files"] == ["a/x.pt2", "a/y.pt2", None] and prov["labels"] == ["x", "y", "z"]
    assert data["contract"] == "netgraph-channels-1" and data["view"] is None
    assert [layer["module"] for layer in data["layers"]] == [f"stage{k}.conv" for k in range(4)]
    net = data["networks"][0]
    assert {"label", "source", "contract", "view", "spaces", "channels", "channel_connections", "weights"} <= set(net)
    assert {"possible_weights", "density", "blocks", "driver_nodes", "degrees"} <= set(net)
    assert set(net["degrees"]["in"]) == {"mean", "std", "max", "n_isolated", "histogram"}
    assert len(data["pairs"]) == 3
    pair = data["pairs"][1]
    assert (pair["a"], pair["b"], pair["networks"]) == ("x", "z", [0, 2])
    assert pair["blocks"] == pair["channel"]["blocks"] and pair["values"] == pair["channel"]["values"]
    assert pair["channel"]["level"] == "channel" and pair["kernel"]["level"] == "kernel"
    assert pair["aligned"]["aligned"] is True and len(pair["nnstd"]["values"]) == 4
    assert pair["aligned"]["provenance"]["parameters"]["rng"] == 3
    assert pair["nnstd"]["provenance"]["function"] == "analysis.block_nnstd"
    assert [f["file"] for f in data["figures"]] == [p.name for p in paths["figures"]]


def test_figures_are_written_and_embedded(tmp_path):
    graphs = [_chain(3, 4, 0.5, seed) for seed in range(3)]
    paths = write_block_report(build_block_report(graphs, rng=0), tmp_path)
    assert len(paths["figures"]) == 1 + 3  # the degree distributions, a figure per pair
    text = paths["html"].read_text(encoding="utf-8")
    for f in paths["figures"]:
        assert f.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert text.count("src='data:image/png;base64,") == 4 and "src='blocks" not in text


def test_every_name_from_a_file_is_escaped(tmp_path):
    evil = "<script>alert('x')</script>.conv"
    graphs = [_chain(2, 3, 0.6, seed, module=lambda k: evil if k == 0 else "fc & co") for seed in range(2)]
    rep = build_block_report(graphs, labels=["<b>one</b>", "two"], sources=["/x/<i>.pt2", "/x/two.pt2"], rng=0)
    text = write_block_report(rep, tmp_path)["html"].read_text(encoding="utf-8")
    assert "<script>" not in text and "<b>one" not in text and "<i>" not in text
    assert html.escape(evil) in text and "fc &amp; co" in text and html.escape("<b>one</b>") in text
    assert json.loads((tmp_path / "report.json").read_text())["layers"][0]["module"] == evil


def test_the_page_shows_each_part(tmp_path):
    graphs = [_chain(60, 4, 0.5, seed) for seed in range(2)]
    rep = build_block_report(graphs, labels=["a", "b"], rng=0)
    text = write_block_report(rep, tmp_path)["html"].read_text(encoding="utf-8")
    for ident in ("compared", "measures", "networks", "similarity", "pairs", "pair-0", "blocks", "blocks-0"):
        assert f"id='{ident}'" in text, ident
    for key in ("channel", "chance", "aligned", "aligned chance", "NNSTD", "NNSTD random", "N_D"):
        assert text.count(html.escape(EXPLAIN[key][1])) == 1, key
    assert html.escape(EXPLAIN["kernel"][1]) not in text  # no element masks: not compared, not explained
    assert text.count("<details>") == 2  # the blocks of the networks, the blocks of the pair
    table = text[text.index("id='blocks-0'") :]
    assert table.count("<tr>") == 1 + 60 and "stage59.conv" in table


def test_without_alignment_and_with_one_network(tmp_path):
    graphs = [_chain(2, 3, 0.6, seed) for seed in range(2)]
    rep = build_block_report(graphs, aligned=False)
    assert rep.pairs[0].aligned is None and rep.pairs[0].nnstd is None
    assert "Aligned Jaccard and NNSTD not computed (aligned=False)." in rep.notes
    text = write_block_report(rep, tmp_path / "raw")["html"].read_text(encoding="utf-8")
    assert "aligned J" not in text and "channel J" in text
    one = build_block_report(graphs[:1])
    assert one.pairs == () and one.notes == ("Only one network: there is no pair to compare.",)
    paths = write_block_report(one, tmp_path / "one")
    assert len(paths["figures"]) == 1 and paths["html"].is_file()


def test_an_older_reports_figures_are_replaced(tmp_path):
    graphs = [_chain(2, 3, 0.6, seed) for seed in range(3)]
    first = write_block_report(build_block_report(graphs, rng=0), tmp_path)
    (tmp_path / "mine.png").write_bytes(b"not a figure of the report")
    second = write_block_report(build_block_report(graphs[:2], rng=0), tmp_path)
    assert len(first["figures"]) == 4 and len(second["figures"]) == 2
    assert sorted(p.name for p in tmp_path.glob("*.png")) == sorted([p.name for p in second["figures"]] + ["mine.png"])


def test_bad_input_is_refused():
    other = _graph([], (2, 1), [_layer("fc1", (1, 2), IN2, 1)])
    with pytest.raises(ArchitectureMismatchError, match="G1 has 2 weight layers, G2 1"):
        build_block_report([G1, G2, other])
    with pytest.raises(ParameterError, match=r"graphs\[1\] is not a channel-level graph"):
        build_block_report([G1, nx.DiGraph()])
    with pytest.raises(ParameterError, match="labels must be unique"):
        build_block_report([G1, G2], labels=["a", "a"])
    with pytest.raises(ParameterError, match="sources has 1 entries, expected 2"):
        build_block_report([G1, G2], sources=["a"])
    with pytest.raises(ParameterError, match="labels='ab': expected a sequence"):
        build_block_report([G1, G2], labels="ab")
    with pytest.raises(ParameterError, match="n_random"):
        build_block_report([G1, G2], n_random=0)
    with pytest.raises(ParameterError, match="rng="):
        build_block_report([G1, G2], rng="0")
    with pytest.raises(ParameterError, match="expected a non-empty sequence"):
        build_block_report(G1)
    with pytest.raises(ParameterError, match="expected a BlockReport"):
        write_block_report({}, "/nonexistent")
    assert isinstance(build_block_report([G1, G2], aligned=False), BlockReport)


def test_progress_is_called_per_pair():
    said = []
    build_block_report(
        [_chain(1, 3, 0.6, s) for s in range(3)], labels=list("xyz"), aligned=False, progress=said.append
    )
    assert said == [f"comparing {a} ~ {b} (pair {k} of 3)" for k, (a, b) in enumerate(["xy", "xz", "yz"], 1)]


# --------------------------------------------------------------------------- the plots


def _tick_boxes(ax):
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = FigureCanvasAgg(ax.figure)  # as png_bytes renders it: constrained layout runs on draw
    canvas.draw()
    renderer = canvas.get_renderer()
    lo, hi = ax.get_xlim()
    labels = [
        t for x, t in zip(ax.get_xticks(), ax.get_xticklabels()) if lo <= x <= hi and t.get_text() and t.get_visible()
    ]  # fmt: skip
    return labels, [t.get_window_extent(renderer) for t in labels]


@pytest.mark.parametrize("n_blocks", [5, 30, 54, 300])
def test_block_plots_label_the_blocks_readably(n_blocks):
    G, H = (_chain(n_blocks, 3, 0.6, seed) for seed in (0, 1))
    for ax in (plotting.plot_block_jaccard(block_jaccard(G, H)), plotting.plot_block_nnstd(block_nnstd(G, H, rng=0))):
        labels, boxes = _tick_boxes(ax)
        shown = [int(t.get_text()) for t in labels]
        if n_blocks <= 30:
            assert shown == list(range(n_blocks))  # every block by its index
        else:
            assert 5 <= len(shown) <= 30 and shown[0] == 0 and shown[-1] >= 0.8 * (n_blocks - 1)
        for a, b in zip(boxes, boxes[1:]):
            assert a.x1 < b.x0, "tick labels overlap"
        assert all(t.get_fontsize() >= plotting.MIN_FONT for t in labels)
        assert ax.get_ylim() == (0.0, 1.05)
        plotting.close(ax)


def test_block_plots_draw_the_values_and_the_chance_levels():
    G, H = (_chain(4, 3, 0.6, seed) for seed in (0, 1))
    j = block_jaccard(G, H)
    ax = plotting.plot_block_jaccard(j)
    assert [p.get_height() for p in ax.patches] == pytest.approx(j.values.tolist())
    assert ax.collections[0].get_segments()[2][0][1] == pytest.approx(j.chance[2])
    assert "channel connections, raw" in ax.get_title() and f"overall {j.value:.3f}" in ax.get_title()
    plotting.close(ax)
    d = block_nnstd(G, H, rng=0)
    ax = plotting.plot_block_nnstd(d)
    assert [p.get_height() for p in ax.patches] == pytest.approx(d.values.tolist()) and "NNSTD" in ax.get_title()
    assert plotting.png_bytes(ax)[:4] == b"\x89PNG"


# --------------------------------------------------------------------------- in a real browser

_CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")

#: Appended to a copy of the page: records on <body> what only the browser knows.
_PROBE = """<script>
function probe() {
  const b = document.body, imgs = [...document.images];
  b.dataset.images = imgs.length;
  b.dataset.broken = imgs.filter(i => !(i.complete && i.naturalWidth > 0)).length;
  b.dataset.overflow = document.documentElement.scrollWidth > window.innerWidth ? "yes" : "no";
  b.dataset.wide = [...document.querySelectorAll("div.table")].filter(d => d.scrollWidth > d.clientWidth + 1).length;
  b.dataset.height = document.documentElement.scrollHeight;
}
if (document.readyState === "complete") probe(); else window.addEventListener("load", probe);
</script>"""


@pytest.mark.skipif(_CHROMIUM is None, reason="no chromium to render the page with")
def test_the_page_renders_in_headless_chromium(tmp_path):
    """Two networks of 54 blocks with ResNet-50-long module names: nothing wider than a 1280 px window."""
    name = "resnet.encoder.stages.{}.layers.{}.layer.{}.convolution".format
    graphs = [_chain(54, 4, 0.5, seed, module=lambda k: name(k // 12, k // 3 % 4, k % 3)) for seed in (0, 1)]
    rep = build_block_report(graphs, labels=["resnet50 seed 0", "resnet50 seed 1"], rng=0)
    page = write_block_report(rep, tmp_path / "report")["html"]
    probe = tmp_path / "probe.html"
    text = page.read_text(encoding="utf-8").replace("<details>", "<details open>")
    probe.write_text(text.replace("</body>", _PROBE + "</body>"), encoding="utf-8")
    profile = tmp_path / "profile"
    profile.mkdir()
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
    flags += ["--disable-component-update", "--disable-sync", "--no-first-run", f"--user-data-dir={profile}"]
    run = subprocess.run(
        [_CHROMIUM, *flags, "--window-size=1280,1000", "--virtual-time-budget=5000", "--dump-dom", probe.as_uri()],
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert run.returncode == 0, run.stderr.decode(errors="replace")[-2000:]
    dom = run.stdout.decode()
    start = dom.index("<body")
    body = dict(re.findall(r'data-([a-z-]+)="([^"]*)"', dom[start : dom.index(">", start)]))
    assert (body["images"], body["broken"]) == ("2", "0")
    assert body["overflow"] == "no", "the page is wider than a 1280 px window"
    assert body["wide"] == "0", "a table needs its scroll bar"
    assert int(body["height"]) > 3000  # two figures and two tables of 54 rows, unfolded
