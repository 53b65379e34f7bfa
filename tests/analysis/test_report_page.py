"""The report page as a reader sees it: every section there, every figure a valid PNG, one layout.

The first tests parse the written HTML (they always run); the last renders it in headless
Chromium, where one is installed (``chromium`` or ``chromium-browser``), and is skipped where not.
"""

import base64
import html
import io
import json
import re
import shutil
import subprocess
from html.parser import HTMLParser

import pytest

from analysis import _measures, build_report, write_report

PIL = pytest.importorskip("PIL.Image")  # Pillow comes with matplotlib


def _study(make_layered, rng, tmp_path):
    """Two methods x three seeds of 25-16-16-4 networks, grown from one initial topology per seed.

    Sources are ``tmp_path/runs/<method>/seed-<s>/final.pt`` (never read), each with a
    ``metrics.json`` beside it.
    """
    base = [make_layered([25, 16, 16, 4], 0.3, rng) for _ in range(3)]
    graphs, sources = [], []
    for method, drop in (("random", 0), ("strategic", 3)):
        for seed in range(3):
            G = base[seed].copy()
            G.remove_edges_from(list(G.edges)[drop : 2 * drop])
            for u, v in list(G.edges)[:10]:
                G[u][v]["weight"] += 0.5 * drop + 0.1
            G.graph["meta"] = {"method": method, "seed": seed, "initial_topology": f"{seed:02d}" * 16}
            graphs.append(G)
            folder = tmp_path / "runs" / method / f"seed-{seed}"
            folder.mkdir(parents=True)
            rows = [
                {"epoch": e, "test_accuracy": 0.5 + 0.1 * e + 0.01 * seed, "total_connections": 300 - e}
                for e in (1, 2, 3)
            ]
            (folder / "metrics.json").write_text(json.dumps({"seed": seed, "method": method, "epochs": rows}))
            sources.append(str(folder / "final.pt"))
    return graphs, sources


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    """A report over the study, written once for every test of this module: ``(report, paths)``."""
    import numpy as np

    from .conftest import layered_graph

    tmp = tmp_path_factory.mktemp("page")
    graphs, sources = _study(layered_graph, np.random.default_rng(5), tmp)
    rep = build_report(graphs, sources=sources, rng=0)
    return rep, write_report(rep, tmp / "report")


class _Page(HTMLParser):
    """What the checks need from a page: ids, images, figures by section, table cells with titles."""

    def __init__(self):
        super().__init__()
        self.ids, self.images, self.titled_cells, self.figures = [], [], [], []
        self.sections = []  # the ids of the open <section> elements
        self._cell = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "id" in attrs:
            self.ids.append(attrs["id"])
        if tag == "section":
            self.sections.append(attrs.get("id"))
        elif tag == "img":
            self.images.append(attrs)
        elif tag == "figure":
            self.figures.append((self.sections[-1] if self.sections else None, attrs.get("data-comparison")))
        elif tag == "td" and "title" in attrs:
            self._cell = [attrs["title"], ""]

    def handle_endtag(self, tag):
        if tag == "section":
            self.sections.pop()
        elif tag == "td" and self._cell is not None:
            self.titled_cells.append(tuple(self._cell))
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell[1] += data


def _parse(text):
    page = _Page()
    page.feed(text)
    page.close()
    return page


def _png(src, folder):
    """The PNG an <img> shows: decoded from a data URI, or read from a file beside the page."""
    if src.startswith("data:"):
        head, _, data = src.partition(",")
        assert head == "data:image/png;base64", head
        return base64.b64decode(data, validate=True)
    assert not re.match(r"[a-z]+:|/", src), f"{src}: the page must open offline, from its own folder"
    return (folder / src).read_bytes()


def _check_png(data, name):
    image = PIL.open(io.BytesIO(data))
    assert image.format == "PNG", name
    image.verify()  # a damaged file raises
    image = PIL.open(io.BytesIO(data)).convert("L")
    assert image.width >= 200 and image.height >= 150, (name, image.size)
    low, high = image.getextrema()
    assert high - low > 100, f"{name} is blank"


def _expected_sections(rep):
    expected = ["networks", "similarity", "pair-kinds", "matrices", "degrees", "power-law"]
    expected += ["input-connectivity", "driver-nodes", "training", "common-subnetwork"]
    return expected + [f"comparison-{n}" for n in range(len(rep.comparisons))]


def test_every_section_is_there(written):
    rep, paths = written
    page = _parse(paths["html"].read_text(encoding="utf-8"))
    assert len(rep.comparisons) == 3
    missing = [key for key in _expected_sections(rep) if key not in page.ids]
    assert not missing, f"sections missing from the page: {missing}"
    assert len(page.ids) == len(set(page.ids)), "ids must be unique"


def test_every_image_is_a_valid_png_and_a_listed_figure(written):
    _, paths = written
    folder = paths["html"].parent
    page = _parse(paths["html"].read_text(encoding="utf-8"))
    listed = json.loads(paths["json"].read_text())["figures"]
    assert len(page.images) == len(listed) == len(paths["figures"]) == 14
    for img, fig in zip(page.images, listed):
        data = _png(img["src"], folder)
        _check_png(data, fig["file"])
        assert data == (folder / fig["file"]).read_bytes(), f"{fig['file']}: the page shows another image"
        assert img["alt"] == fig["title"]


def test_each_comparison_has_its_figures_together(written):
    """The old two-column flow put one group's NNSTD beside the next group's raw Jaccard."""
    rep, paths = written
    page = _parse(paths["html"].read_text(encoding="utf-8"))
    matrices = [(section, comparison) for section, comparison in page.figures if comparison is not None]
    assert len(matrices) == 3 * len(rep.comparisons)  # raw, aligned, NNSTD each
    for section, comparison in matrices:
        assert section == f"comparison-{comparison}"
    assert not [section for section, comparison in page.figures if comparison is None and section is not None]


def test_each_explanation_is_given_once(written):
    _, paths = written
    text = paths["html"].read_text(encoding="utf-8")
    for key, (term, sentence) in _measures.EXPLAIN.items():
        assert text.count(html.escape(sentence)) <= 1, f"the explanation of {term!r} ({key}) is repeated"
    for name, meaning in _measures.PAIR_KINDS.values():
        assert text.count(html.escape(meaning)) == 1, name
    assert text.count("<figcaption>") == 14
    for caption in re.findall(r"<figcaption>(.*?)</figcaption>", text):
        assert len(caption) < 140 and "class='explain'" not in caption  # a caption names, the text explains


def test_power_law_fits_are_a_table(written):
    pytest.importorskip("powerlaw")
    rep, paths = written
    text = paths["html"].read_text(encoding="utf-8")
    section = text[text.index("<h3 id='power-law'>") : text.index("<h2 id='input-connectivity'>")]
    assert "<th>α</th><th>xmin</th>" in section
    fitted = [n for n in rep.networks if n.power_law and not n.power_law["skipped"]]
    assert fitted, "the study is meant to be fitted"
    for net in rep.networks:
        pl = net.power_law
        cells = f"<td>{net.label}</td><td>{net.group}</td>"
        if pl["skipped"]:
            assert cells in section and html.escape(pl["skipped"]) in section
        else:
            numbers = f"<td>{pl['alpha']:.4g}</td><td>{pl['xmin']:.4g}</td><td>{pl['loglikelihood_ratio']:.4g}</td>"
            assert cells + numbers in section and f"<td>{pl['preferred']}</td>" in section


def test_files_are_shown_relative_to_their_common_folder(written):
    rep, paths = written
    text = paths["html"].read_text(encoding="utf-8")
    page = _parse(text)
    folder = str(paths["html"].parent.parent / "runs")
    assert f"Files in <code>{html.escape(folder)}</code>" in text
    sources = [n.source for n in rep.networks]
    assert [cell for cell in page.titled_cells if cell[0] in sources] == [
        (s, s.removeprefix(folder + "/")) for s in sources
    ]
    assert "white-space:nowrap" in text  # "64-256-256-10" and paths stay on one line


def test_long_paths_and_names_are_shortened_with_the_full_text_on_hover(make_layered, rng, tmp_path):
    gs = [make_layered([4, 3, 2], 0.6, rng) for _ in range(2)]
    deep = [str(tmp_path / ("very-long-folder-name-" * 4) / f"run{k}" / "final.pt") for k in range(2)]
    long_group = "g" * 70
    rep = build_report(gs, sources=deep, groups=[long_group, "b"], aligned=False, power_law=False)
    text = write_report(rep, tmp_path / "out")["html"].read_text(encoding="utf-8")
    page = _parse(text)
    shown = dict(page.titled_cells)
    assert shown[deep[0]] == "run0/final.pt"  # relative to the folder they share
    assert shown[long_group] != long_group and len(shown[long_group]) <= 40 and "…" in shown[long_group]
    assert shown[long_group].startswith("ggg") and f"title='{long_group}'" in text


def test_layout_css_keeps_a_comparison_together(written):
    _, paths = written
    text = paths["html"].read_text(encoding="utf-8")
    assert ".figures{display:flex;flex-wrap:wrap" in text
    assert text.count("<section class='comparison'") == 3


# --------------------------------------------------------------------------- in a real browser

_CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--hide-scrollbars",
]

#: Appended to a copy of the page: records on <body> what only the browser knows.
_PROBE = """<script>
const EXPECTED = %s;
function probe() {
  const b = document.body, imgs = [...document.images];
  b.dataset.images = imgs.length;
  const shown = i => i.getBoundingClientRect().width >= 0.5 * Math.min(i.naturalWidth, window.innerWidth);
  b.dataset.broken = JSON.stringify(imgs.filter(i => !(i.complete && i.naturalWidth > 0 && shown(i))).map(i => i.alt));
  b.dataset.height = document.documentElement.scrollHeight;
  b.dataset.overflow = document.documentElement.scrollWidth > window.innerWidth ? "yes" : "no";
  b.dataset.unrendered = JSON.stringify(EXPECTED.filter(id => {
    const e = document.getElementById(id); return !e || e.getBoundingClientRect().height <= 0;
  }));
  const figs = [...document.querySelectorAll("figure[data-comparison]")].map(f => {
    const r = f.getBoundingClientRect(); return [f.dataset.comparison, r.top, r.bottom];
  });
  const mixed = [];
  for (const [a, top1, bottom1] of figs) for (const [c, top2, bottom2] of figs)
    if (a < c && top1 < bottom2 && top2 < bottom1) mixed.push([a, c]);
  b.dataset.mixedRows = JSON.stringify(mixed);
  b.dataset.matrices = figs.length;
}
if (document.readyState === "complete") probe(); else window.addEventListener("load", probe);
</script>"""


def _chromium(args, tmp_path, timeout=60):
    profile = tmp_path / "profile"
    profile.mkdir(exist_ok=True)
    run = subprocess.run(
        [_CHROMIUM, *_FLAGS, f"--user-data-dir={profile}", *args],
        capture_output=True,
        timeout=timeout,
        check=False,
    )
    assert run.returncode == 0, run.stderr.decode(errors="replace")[-2000:]
    return run.stdout


@pytest.mark.skipif(_CHROMIUM is None, reason="no chromium to render the page with")
def test_page_renders_in_headless_chromium(written, tmp_path):
    rep, paths = written
    probe = paths["html"].parent / "report-probe.html"
    script = _PROBE % json.dumps(_expected_sections(rep))
    probe.write_text(paths["html"].read_text(encoding="utf-8").replace("</body>", script + "</body>"), encoding="utf-8")
    try:
        dom = _chromium(
            ["--window-size=1400,1000", "--virtual-time-budget=5000", "--dump-dom", probe.as_uri()], tmp_path
        ).decode()
    finally:
        probe.unlink()
    body = dict(re.findall(r'data-([a-z-]+)="([^"]*)"', dom[dom.index("<body") : dom.index(">", dom.index("<body"))]))
    assert int(body["images"]) == 14
    assert json.loads(html.unescape(body["broken"])) == [], "images that did not load, or are shown shrunk"
    assert body["overflow"] == "no", "the page is wider than a 1400 px window"
    assert json.loads(html.unescape(body["unrendered"])) == [], "sections missing or not rendered"
    assert int(body["matrices"]) == 3 * len(rep.comparisons)
    assert json.loads(html.unescape(body["mixed-rows"])) == [], "figures of different comparisons share a row"
    height = int(body["height"])
    assert 2000 < height < 20000

    shot = tmp_path / "page.png"
    _chromium([f"--window-size=1400,{height}", f"--screenshot={shot}", paths["html"].as_uri()], tmp_path)
    image = PIL.open(shot).convert("L")
    assert image.size == (1400, height)
    import numpy as np

    pixels = np.asarray(image)
    inked = pixels.min(axis=1) < 128  # rows with dark pixels: text, lines, figures
    assert inked.mean() > 0.2, "the screenshot is (nearly) blank"
    assert inked[int(0.8 * height) :].any(), "the end of the page did not render"
    assert (pixels < 250).mean() > 0.05
