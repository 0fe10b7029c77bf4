"""Every page of site/ in headless Chromium with the network off, at phone and desktop widths.

`make test` renders site/ and the as-of build of Oct. 9, 2019 first, and both are tested
(ENTITYLIST_TEST_SITE points the tests at one other rendered site instead). Each page is
opened once per width; what it shows is measured then (console, requests, accessibility by
axe-core, chart text and marks, tables cut at an edge) and the tests below read those
measurements. Screenshots land in tests/artifacts/ for a human to look at.
A fixture page showing every fragment (tests/fixtures/pipeline/pages.yaml) goes through the
same checks, so the templates are tested whatever the notebooks show.
"""

import os
import shutil
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from lxml import html as lxml_html

from conftest import contrast
from entitylist import paths, theme

SITE = Path(os.environ.get("ENTITYLIST_TEST_SITE") or paths.ROOT / paths.SITE_NAME)
# The as-of build `make test` renders too (make render ARGS="--as-of 2019-10-09").
AS_OF_SITE = paths.BUILD / "as-of-2019-10-09" / paths.SITE_NAME
SITES = (
    {"current": SITE}
    if os.environ.get("ENTITYLIST_TEST_SITE")
    else {
        "current": SITE,
        "as-of": AS_OF_SITE,
    }
)
FIXTURES = Path(__file__).parent / "fixtures" / "pipeline"
ARTIFACTS = Path(__file__).parent / "artifacts"
# axe-core from npm (package-lock.json; `make test` runs `npm ci` first): nothing is fetched.
AXE = paths.ROOT / "node_modules" / "axe-core" / "axe.min.js"
WIDTHS = {"phone": 360, "desktop": 1280}
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
# WCAG 2.1 contrast minimums: 4.5:1, or 3:1 for large text (24 px, or 18.66 px bold).
NORMAL_CONTRAST, LARGE_CONTRAST = 4.5, 3.0
# Vega's roles for a chart's frame, not its data: these carry no value and need no tooltip.
FRAME_ROLES = ["axis", "legend", "title", "subtitle"]
# Boxes that share less than this (in px, both ways) merely touch.
TOUCH = 1.0

pytestmark = pytest.mark.browser

# Per chart on the page (the SVG shown at this width): every <text>, every line of text as a
# box around its glyphs, and every data mark. getBoundingClientRect gives a line's box from the
# font's ascent to its descent (for Noto Sans CJK, 1.45 em); the canvas's text metrics of the
# same font trim it to the ink, so lines that merely share line spacing do not count.
CHART_JS = """
([variant, frameRoles]) => {
  const canvas = document.createElement('canvas').getContext('2d');
  const opacity = (el, stop) => {
    let value = 1;
    for (let e = el; e && e !== stop; e = e.parentElement) {
      value *= parseFloat(getComputedStyle(e).opacity);
    }
    return value;
  };
  const box = (el) => {
    const r = el.getBoundingClientRect();
    return [r.left, r.top, r.right, r.bottom];
  };
  const ink = (line, text, style) => {
    const [left, top, right, bottom] = box(line);
    const m = text.getScreenCTM();
    if (Math.abs(m.b) > 1e-6 || Math.abs(m.c) > 1e-6) return [left, top, right, bottom];
    const px = parseFloat(style.fontSize) * m.d;
    canvas.font = `${style.fontStyle} ${style.fontWeight} ${px}px ${style.fontFamily}`;
    const metrics = canvas.measureText(line.textContent);
    const lineBox = metrics.fontBoundingBoxAscent + metrics.fontBoundingBoxDescent;
    if (Math.abs(bottom - top - lineBox) > 1) return [left, top, right, bottom];
    const baseline = top + metrics.fontBoundingBoxAscent;
    return [left, baseline - metrics.actualBoundingBoxAscent, right,
            baseline + metrics.actualBoundingBoxDescent];
  };
  return [...document.querySelectorAll('figure.chart')].map((figure) => {
    const svg = figure.querySelector(variant + ' svg');
    const texts = [...svg.querySelectorAll('text')].map((t) => {
      const style = getComputedStyle(t);
      const tspans = [...t.querySelectorAll('tspan')];
      return {
        text: t.textContent.trim(), fill: style.fill, fill_opacity: parseFloat(style.fillOpacity),
        opacity: opacity(t, svg.parentElement), size: parseFloat(style.fontSize),
        weight: parseInt(style.fontWeight, 10),
        visible: style.visibility !== 'hidden' && style.display !== 'none',
        box: box(t),
        lines: (tspans.length ? tspans : [t]).filter((line) => line.textContent.trim())
          .map((line) => ({text: line.textContent.trim(), box: ink(line, t, style)})),
      };
    });
    const marks = [...svg.querySelectorAll('[role~="graphics-symbol"][aria-label]')]
      .filter((m) => !frameRoles.includes(m.getAttribute('aria-roledescription')))
      .map((m) => ({label: m.getAttribute('aria-label'), box: box(m),
                    fill: getComputedStyle(m).fill}));
    return {name: figure.dataset.chart, texts, marks};
  });
}
"""
# Every table, with the data behind each chart opened: a box that scrolls sideways, a cell
# that ends past the box or the screen, or a cell whose text runs out of it, is cut.
CUT_TABLES_JS = """
() => {
  for (const details of document.querySelectorAll('details')) details.open = true;
  const screen = document.documentElement.clientWidth;
  return [...document.querySelectorAll('table')].flatMap((table) => {
    const name = (table.caption ? table.caption.textContent : 'a table').trim().slice(0, 40);
    const box = table.parentElement;
    const edge = Math.min(box.getBoundingClientRect().right, screen);
    if (box.scrollWidth > box.clientWidth + 1) {
      return [`${name}: ${box.scrollWidth} px of table in a ${box.clientWidth} px box`];
    }
    // A header row hidden from sight (a phone's labelled blocks) is not cut, only clipped.
    const seen = (c) => c.offsetWidth && (c.closest('thead')?.offsetHeight ?? 2) > 1;
    const cells = [...table.querySelectorAll('th, td, caption')].filter(seen);
    const past = cells.find((c) => c.getBoundingClientRect().right > edge + 1);
    if (past) return [`${name}: ${past.textContent.trim().slice(0, 20)} ends past the edge`];
    const over = cells.find((c) => c.scrollWidth > c.clientWidth + 1);
    if (over) return [`${name}: ${over.textContent.trim().slice(0, 20)} runs out of its cell`];
    // On a phone each value has its header as a label: a label over nothing is a fault.
    const labelled = (c) => getComputedStyle(c, '::before').content.startsWith('"');
    const bare = cells.find((c) => labelled(c) && !c.textContent.trim());
    return bare ? [`${name}: the label ${bare.dataset.label} has no value`] : [];
  });
}
"""
AXE_JS = """
async () => {
  const result = await axe.run(document, {resultTypes: ['violations']});
  return result.violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 6).map((n) => n.target.join(' ')),
  }));
}
"""


def site_pages(site: Path = SITE) -> list[Path]:
    """The published pages; an empty site is an error, not a reason to skip."""
    return sorted(site.glob("*.html"))


def every_page() -> list[Path]:
    """The pages of every tested build."""
    return [page for site in SITES.values() for page in site_pages(site)]


@dataclass
class Visit:
    """What one page showed at one width."""

    remote: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    charts: list[dict] = field(default_factory=list)
    violations: list[dict] = field(default_factory=list)
    scroll_width: int = 0
    code_elements: int = 0
    drawn: list[str] = field(default_factory=list)
    cut_tables: list[str] = field(default_factory=list)
    background: str = ""


@pytest.fixture(scope="module")
def browser():
    """Debian's chromium, driven by Playwright (no browser download)."""
    from playwright.sync_api import sync_playwright

    executable = shutil.which("chromium") or shutil.which("chromium-browser")
    if executable is None:
        pytest.fail("chromium not found: `apt-get install chromium` (.ci/run does this)")
    if not AXE.exists():
        pytest.fail(f"{AXE.relative_to(paths.ROOT)} missing: run `npm ci` (make test does)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


def chart_drawing_problems(tab, width: int) -> list[str]:
    """Charts that drew no SVG, are hidden, or are shown narrower than they were drawn."""
    found = []
    figures = tab.locator("figure.chart")
    variant = ".chart-phone" if width < 480 else ".chart-wide"
    for i in range(figures.count()):
        name = figures.nth(i).get_attribute("data-chart")
        svg = figures.nth(i).locator(f"{variant} svg")
        if svg.count() != 1 or not svg.is_visible():
            found.append(f"chart {name} drew no visible SVG")
            continue
        shown, drawn = svg.bounding_box()["width"], float(svg.get_attribute("width"))
        # A drawing wider than its column is scaled down, and its 12 px labels with it.
        if shown < drawn - 1:
            found.append(f"chart {name} drawn {drawn:g} px wide, shown {shown:.0f} px wide")
    return found


def visit(browser, page: Path, width: int, shot: str | None) -> Visit:
    """Open a page offline at a width; measure it; keep a full-page screenshot if named."""
    result = Visit()
    context = browser.new_context(viewport={"width": width, "height": 900})
    context.set_offline(True)

    def only_local(route):
        if route.request.url.startswith("file://"):
            route.continue_()
        else:
            result.remote.append(route.request.url)
            route.abort()

    context.route("**/*", only_local)
    tab = context.new_page()
    tab.on("console", lambda m: result.problems.append(m.text) if m.type == "error" else None)
    tab.on("pageerror", lambda e: result.problems.append(str(e)))
    tab.goto(page.as_uri(), wait_until="load")
    tab.evaluate("document.fonts.ready.then(() => true)")
    if shot:
        ARTIFACTS.mkdir(exist_ok=True)
        tab.screenshot(path=ARTIFACTS / f"{shot}-{width}.png", full_page=True)
    result.drawn = chart_drawing_problems(tab, width)
    result.scroll_width = tab.evaluate("document.documentElement.scrollWidth")
    result.code_elements = tab.locator("pre, code, .jp-InputArea, .input_area").count()
    result.background = tab.evaluate("getComputedStyle(document.body).backgroundColor")
    variant = ".chart-phone" if width < 480 else ".chart-wide"
    result.charts = tab.evaluate(CHART_JS, [variant, FRAME_ROLES])
    result.cut_tables = tab.evaluate(CUT_TABLES_JS)
    # axe is injected from the local copy only for the check; the pages carry no script.
    tab.add_script_tag(path=str(AXE))
    result.violations = tab.evaluate(AXE_JS)
    context.close()
    return result


_visits: dict[tuple[Path, int], Visit] = {}


def measured(browser, page: Path, width: int, shot: str | None = None) -> Visit:
    """Each page is opened once per width, whatever the number of tests reading it."""
    key = (page, width)
    if key not in _visits:
        _visits[key] = visit(browser, page, width, shot or page.stem)
    return _visits[key]


def rgb(css: str) -> tuple[float, ...]:
    """Channels 0-255 (and alpha 0-1) of a computed CSS colour 'rgb(...)' or 'rgba(...)'."""
    inside = css[css.index("(") + 1 : css.index(")")]
    values = [float(v) for v in inside.replace("/", ",").replace(" ", ",").split(",") if v]
    return tuple(values) if len(values) == 4 else (*values, 1.0)


def shown_texts(chart: dict) -> list[dict]:
    """A chart's text elements a reader can see: not empty, not hidden, not transparent."""
    return [
        t
        for t in chart["texts"]
        if t["text"] and t["visible"] and t["opacity"] > 0 and t["fill"] != "none"
        if t["box"][2] > t["box"][0] and t["box"][3] > t["box"][1]
    ]


def overlap(a: list[float], b: list[float]) -> bool:
    """Whether two boxes (left, top, right, bottom) overlap by more than a touch.

    A box with no width or no height (a rule drawn as a line) overlaps what it crosses.
    """
    across = min(a[2], b[2]) - max(a[0], b[0])
    down = min(a[3], b[3]) - max(a[1], b[1])
    thin_x = min(a[2] - a[0], b[2] - b[0]) < TOUCH
    thin_y = min(a[3] - a[1], b[3] - b[1]) < TOUCH
    return (across >= 0 if thin_x else across > TOUCH) and (down >= 0 if thin_y else down > TOUCH)


def contrast_failures(visit_: Visit) -> list[str]:
    """Chart texts below the WCAG contrast minimum against the page background."""
    background = rgb(visit_.background)
    if background[3] == 0:  # a transparent body shows the browser's white canvas
        background = (255.0, 255.0, 255.0, 1.0)
    found = []
    for chart in visit_.charts:
        for t in shown_texts(chart):
            large = t["size"] >= 24 or (t["size"] >= 18.66 and t["weight"] >= 700)
            needed = LARGE_CONTRAST if large else NORMAL_CONTRAST
            color = rgb(t["fill"])
            ratio = contrast(color, background, color[3] * t["fill_opacity"] * t["opacity"])
            if ratio < needed:
                found.append(f"{chart['name']}: {t['text'][:40]!r} {t['fill']} {ratio:.2f}:1")
    return found


def hex_rgb(color: str) -> tuple[float, float, float]:
    """A '#rrggbb' colour's channels."""
    return tuple(float(int(color[i : i + 2], 16)) for i in (1, 3, 5))


def colour_only_failures(visit_: Visit) -> list[str]:
    """Charts whose data marks come in several colours, where a colour other than the main
    one is named by no text in its ink (theme.ink): a reader must tell it apart by colour."""
    found = []
    for chart in visit_.charts:
        fills = Counter(
            rgb(m["fill"])[:3]
            for m in chart["marks"]
            if m["fill"].startswith("rgb") and rgb(m["fill"])[3] > 0
            if rgb(m["fill"])[:3] != (255.0, 255.0, 255.0)
        )
        inks = {rgb(t["fill"])[:3] for t in shown_texts(chart) if t["fill"].startswith("rgb")}
        palette = {hex_rgb(c): hex_rgb(theme.ink(c)) for c in theme.INK}
        for color, _ in fills.most_common()[1:]:
            if palette.get(color, color) not in inks:
                found.append(f"{chart['name']}: marks in rgb{color} are told apart by colour only")
    return found


def overlap_failures(visit_: Visit) -> list[str]:
    """Chart labels (each line of text, by its glyphs) that overlap each other or a data mark."""
    found = []
    for chart in visit_.charts:
        lines = [line for t in shown_texts(chart) for line in t["lines"]]
        for i, a in enumerate(lines):
            found += [
                f"{chart['name']}: label {a['text'][:30]!r} overlaps label {b['text'][:30]!r}"
                for b in lines[i + 1 :]
                if overlap(a["box"], b["box"])
            ]
            found += [
                f"{chart['name']}: label {a['text'][:30]!r} overlaps mark {m['label'][:40]!r}"
                for m in chart["marks"]
                if overlap(a["box"], m["box"])
            ]
    return found


PAGE_WIDTHS = [
    pytest.param(page, width, f"{build}-{page.stem}", id=f"{build}-{page.name}-{name}")
    for build, site in SITES.items()
    for page in site_pages(site)
    for name, width in WIDTHS.items()
]


@pytest.mark.parametrize("site", SITES.values(), ids=SITES.keys())
def test_site_was_rendered(site: Path):
    assert (site / "index.html").exists(), f"run `make render` first ({site})"
    assert (site / "story.html").exists()


@pytest.mark.parametrize(("page", "width", "shot"), PAGE_WIDTHS)
def test_page_draws_offline_without_errors(browser, page: Path, width: int, shot: str):
    seen = measured(browser, page, width, shot)
    assert seen.remote == [], f"{page.name} requested other hosts"
    assert seen.problems == [], f"{page.name} console errors"
    assert seen.drawn == [], f"{page.name}: {seen.drawn}"
    assert seen.cut_tables == [], f"{page.name} at {width} px: {seen.cut_tables}"
    assert seen.scroll_width <= width, f"{page.name} scrolls sideways at {width} px"
    assert seen.code_elements == 0, f"{page.name} shows code"


@pytest.mark.parametrize(("page", "width", "shot"), PAGE_WIDTHS)
def test_no_serious_accessibility_violations(browser, page: Path, width: int, shot: str):
    seen = measured(browser, page, width, shot)
    serious = [v for v in seen.violations if v["impact"] in {"serious", "critical"}]
    assert serious == [], f"{page.name} at {width} px: axe-core found {serious}"


@pytest.mark.parametrize(("page", "width", "shot"), PAGE_WIDTHS)
def test_chart_text_has_enough_contrast(browser, page: Path, width: int, shot: str):
    failures = contrast_failures(measured(browser, page, width, shot))
    assert failures == [], f"{page.name} at {width} px: {failures}"


@pytest.mark.parametrize(("page", "width", "shot"), PAGE_WIDTHS)
def test_every_series_is_named_not_told_by_colour_alone(
    browser, page: Path, width: int, shot: str
):
    failures = colour_only_failures(measured(browser, page, width, shot))
    assert failures == [], f"{page.name} at {width} px: {failures}"


@pytest.mark.parametrize(("page", "width", "shot"), PAGE_WIDTHS)
def test_chart_labels_overlap_neither_labels_nor_marks(browser, page: Path, width: int, shot: str):
    failures = overlap_failures(measured(browser, page, width, shot))
    assert failures == [], f"{page.name} at {width} px: {failures}"


@pytest.mark.parametrize("site", SITES.values(), ids=SITES.keys())
def test_index_links_every_page(site: Path):
    index = (site / "index.html").read_text(encoding="utf-8")
    for page in site_pages(site):
        if page.name != "index.html":
            assert f'href="{page.name}"' in index, page.name


def test_no_page_references_another_host_for_scripts_styles_or_fonts():
    from entitylist.pages import site as pages

    for page in every_page():
        pages.check(page.name, page.read_text(encoding="utf-8"))


def sharing_problems(site: Path, page: Path) -> list[str]:
    """Missing social-sharing tags, or an og:image file that is not in the site."""
    tree = lxml_html.fromstring(page.read_bytes())
    found = []
    tags = {
        **{m.get("property"): m.get("content") for m in tree.xpath("//meta[@property]")},
        **{m.get("name"): m.get("content") for m in tree.xpath("//meta[@name]")},
    }
    wanted = [
        "description",
        "og:title",
        "og:description",
        "og:type",
        "og:site_name",
        "og:url",
        "og:image",
        "og:image:width",
        "og:image:height",
        "twitter:card",
        "twitter:title",
        "twitter:description",
        "twitter:image",
    ]
    found += [f"{page.name}: no {tag}" for tag in wanted if not (tags.get(tag) or "").strip()]
    if tags.get("twitter:card") != "summary_large_image":
        found.append(f"{page.name}: twitter:card is {tags.get('twitter:card')!r}")
    image = tags.get("og:image") or ""
    base = os.environ.get("ENTITYLIST_SITE_URL", "")
    relative = image.removeprefix(base.rstrip("/") + "/") if base else image
    if "://" in relative or not (site / relative).is_file():
        found.append(f"{page.name}: og:image {image!r} is not a file of the site")
    else:
        from PIL import Image

        with Image.open(site / relative) as card:
            size = (str(card.width), str(card.height))
        if size != (tags.get("og:image:width"), tags.get("og:image:height")):
            found.append(f"{page.name}: og:image is {size}, the tags say otherwise")
    return found


def test_every_page_has_sharing_tags_and_its_card_exists():
    problems = [
        p
        for site in SITES.values()
        for page in site_pages(site)
        for p in sharing_problems(site, page)
    ]
    assert problems == []


def untitled_marks(page: Path) -> list[str]:
    """Data marks in a page's charts without a <title> repeating their aria-label."""
    tree = lxml_html.fromstring(page.read_bytes())
    found = []
    for mark in tree.xpath("//figure//*[@aria-label][contains(@role, 'graphics-symbol')]"):
        if mark.get("aria-roledescription") in FRAME_ROLES:
            continue
        titles = [child for child in mark if child.tag == "title"]
        if [t.text for t in titles] != [mark.get("aria-label")]:
            found.append(f"{page.name}: {mark.get('aria-label')[:60]!r}")
    return found


def test_every_data_mark_has_a_tooltip():
    marks = tuple(
        lxml_html.fromstring(p.read_bytes()).xpath("//figure//*[@aria-label]")
        for p in every_page()
    )
    assert any(marks), "no chart marks found: the check would pass vacuously"
    problems = [p for page in every_page() for p in untitled_marks(page)]
    assert problems == []


def test_text_from_data_reaches_the_page_as_text(browser, tmp_path: Path, monkeypatch):
    from entitylist.engine import render

    monkeypatch.setattr(paths, "BUILD", tmp_path / "build")
    render.render(output_root=tmp_path / "out", pipeline=FIXTURES / "hostile.yaml", quiet=True)
    page = tmp_path / "out" / "site" / "hostile.html"
    text = page.read_text(encoding="utf-8")
    assert "<script" not in text.lower()
    assert "<img" not in text.lower()
    assert "javascript:" not in text
    assert 'href="https://evil.example/' not in text
    context = browser.new_context()
    context.set_offline(True)
    tab = context.new_page()
    tab.goto(page.as_uri(), wait_until="load")
    assert tab.evaluate("window.__pwned") is None
    body = tab.inner_text("body")
    assert "<script>window.__pwned = 1</script>" in body
    assert "a.k.a. <b>bold</b>" in body
    assert "[click me](https://evil.example/) ![pic](x)" in body
    assert tab.locator("a[href*='evil']").count() == 0
    assert tab.title().startswith("Hostile <script>")
    context.close()


@pytest.fixture(scope="module")
def fixture_site(tmp_path_factory) -> Path:
    """The page fixture rendered by the real engine: every fragment, and a skipped page."""
    from entitylist.engine import render

    scratch = tmp_path_factory.mktemp("pages")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(paths, "BUILD", scratch / "build")
        render.render(output_root=scratch / "out", pipeline=FIXTURES / "pages.yaml", quiet=True)
    return scratch / "out" / "site"


@pytest.mark.parametrize("width", WIDTHS.values(), ids=WIDTHS.keys())
def test_every_fragment_passes_the_page_checks(browser, fixture_site: Path, width: int):
    page = fixture_site / "showcase.html"
    seen = measured(browser, page, width, shot="fixture-showcase")
    assert seen.remote == []
    assert seen.problems == []
    assert seen.drawn == []
    assert seen.scroll_width <= width
    assert [v for v in seen.violations if v["impact"] in {"serious", "critical"}] == []
    assert contrast_failures(seen) == []
    assert overlap_failures(seen) == []
    assert len(seen.charts) == 1
    assert sharing_problems(fixture_site, page) == []
    assert untitled_marks(page) == []


def test_on_a_phone_a_wide_table_reads_as_labelled_blocks(browser, fixture_site: Path):
    context = browser.new_context(viewport={"width": 360, "height": 900})
    tab = context.new_page()
    tab.goto((fixture_site / "showcase.html").as_uri(), wait_until="load")
    table = tab.locator("table", has=tab.locator("caption", has_text="wider than a phone"))
    headers = table.locator("th").all_inner_texts()
    shown = table.locator("td").evaluate_all(
        "(cells) => cells.map((c) => getComputedStyle(c, '::before').content)"
    )
    assert shown == [f'"{h}"' for h in headers], "each value is labelled with its header"
    assert (
        not table.locator("thead").is_visible()
        or table.locator("thead").bounding_box()["height"] <= 1
    ), "the header row gives way to the labels"
    assert tab.evaluate(CUT_TABLES_JS) == []
    context.close()


def test_how_a_date_is_known_reads_in_grey_not_the_rules_red(browser, fixture_site: Path):
    context = browser.new_context()
    tab = context.new_page()
    tab.goto((fixture_site / "showcase.html").as_uri(), wait_until="load")
    kinds = tab.locator(".timeline-list .date-kind")
    assert kinds.count() >= 1
    colours = kinds.evaluate_all("(all) => all.map((k) => getComputedStyle(k).color)")
    assert {rgb(c)[:3] for c in colours} == {hex_rgb(theme.SECONDARY)}
    context.close()


def test_a_skipped_page_is_left_out(fixture_site: Path):
    assert (fixture_site / "showcase.html").exists()
    assert not (fixture_site / "skipped.html").exists()
    assert "skipped.html" not in (fixture_site / "index.html").read_text(encoding="utf-8")


@pytest.mark.parametrize("site", SITES.values(), ids=SITES.keys())
def test_every_chart_on_a_page_is_the_file_in_charts(site: Path):
    shown = set()
    charts = site / "charts"
    for page in site_pages(site):
        tree = lxml_html.fromstring(page.read_bytes())
        for figure in tree.xpath("//figure[@data-chart]"):
            name = figure.get("data-chart")
            text = page.read_text(encoding="utf-8")
            for variant, suffix in (("chart-wide", ".svg"), ("chart-phone", ".phone.svg")):
                drawn = (charts / f"{name}{suffix}").read_text(encoding="utf-8")
                assert f'<div class="{variant}">{drawn}</div>' in text, f"{page.name}: {name}"
            assert (charts / f"{name}.csv").exists(), name
            shown.add(name)
    assert shown == {p.name.removesuffix(".vl.json") for p in charts.glob("*.vl.json")}


SYNTHETIC = """<!DOCTYPE html><html lang="en"><head><title>Checks</title></head><body><main>
<figure class="chart" data-chart="synthetic"><div class="chart-wide">
<svg xmlns="http://www.w3.org/2000/svg" width="320" height="120" font-family="sans-serif">
<text x="10" y="30" font-size="12" fill="#1a1a1a">2016</text>
<text x="24" y="30" font-size="12" fill="#1a1a1a">2017</text>
<text x="10" y="90" font-size="12" fill="#e8a33d">Hikvision</text>
<rect role="graphics-symbol" aria-roledescription="bar" aria-label="Dahua: 8"
      x="100" y="20" width="60" height="20" fill="#0b5cad"/>
<text x="110" y="35" font-size="12" fill="#1a1a1a">on a bar</text>
<text x="220" y="30" font-size="12" fill="#5c5c5c">one line</text>
<text x="220" y="46" font-size="12" fill="#5c5c5c">the next</text>
<text x="220" y="90" font-size="24" fill="#8a8a8a">large</text>
</svg></div></figure></main></body></html>"""


CUT_AND_SHRUNK = """<!DOCTYPE html><html lang="en"><head><title>Checks</title>
<style>figure { margin: 0; } .chart-phone svg { max-width: 100%; height: auto; }
.table-wrap { overflow-x: auto; }
td { white-space: nowrap; }</style></head><body><main>
<div class="table-wrap"><table><caption>Fits</caption><tr><td>Dahua</td><td>8</td></tr></table>
</div>
<div class="table-wrap"><table><caption>Too wide</caption><tr><td>Hikvision (海康威视)</td>
<td>31,900 41,905 49,840 57,658 63,503 81,420 83,166 89,340 92,496</td></tr></table></div>
<figure class="chart" data-chart="fits"><div class="chart-phone">
<svg xmlns="http://www.w3.org/2000/svg" width="300" height="40" viewBox="0 0 300 40">
<rect width="300" height="40" fill="#0b5cad"/></svg></div></figure>
<figure class="chart" data-chart="too-wide"><div class="chart-phone">
<svg xmlns="http://www.w3.org/2000/svg" width="462" height="40" viewBox="0 0 462 40">
<rect width="462" height="40" fill="#0b5cad"/></svg></div></figure>
</main></body></html>"""


TWO_COLOURS = """<!DOCTYPE html><html lang="en"><head><title>Checks</title></head><body><main>
<figure class="chart" data-chart="{name}"><div class="chart-wide">
<svg xmlns="http://www.w3.org/2000/svg" width="320" height="120" font-family="sans-serif">
<rect role="graphics-symbol" aria-label="2018: 1,427" x="10" y="20" width="30" height="90"
      fill="#0b5cad"/>
<rect role="graphics-symbol" aria-label="2019: 1,260" x="50" y="30" width="30" height="80"
      fill="#0b5cad"/>
<rect role="graphics-symbol" aria-label="2018: 854" x="90" y="50" width="30" height="60"
      fill="#e8a33d"/>
<text x="150" y="60" font-size="12" fill="{ink}">Shanghai prospectus</text>
</svg></div></figure></main></body></html>"""


def test_the_colour_check_finds_a_series_named_by_colour_only(browser, tmp_path: Path):
    found = []
    for name, ink in (("key-in-grey", "#5c5c5c"), ("named-in-its-ink", "#8a5700")):
        page = tmp_path / f"{name}.html"
        page.write_text(TWO_COLOURS.format(name=name, ink=ink), encoding="utf-8")
        found += colour_only_failures(visit(browser, page, 1280, shot=None))
    assert [f.split(":")[0] for f in found] == ["key-in-grey"]


def test_the_page_checks_find_a_cut_table_and_a_shrunk_chart(browser, tmp_path: Path):
    page = tmp_path / "cut.html"
    page.write_text(CUT_AND_SHRUNK, encoding="utf-8")
    seen = visit(browser, page, 360, shot=None)
    assert [t.split(":")[0] for t in seen.cut_tables] == ["Too wide"]
    assert [d.split(" drawn")[0] for d in seen.drawn] == ["chart too-wide"]


BARE_LABEL = """<!DOCTYPE html><html lang="en"><head><title>Checks</title>
<style>{css}</style></head><body><main><div class="table-wrap"><table>
<caption>Entries</caption><thead><tr><th>Name</th><th>Also listed as</th></tr></thead>
<tbody><tr><td data-label="Name">Dahua</td><td data-label="Also listed as"></td></tr></tbody>
</table></div></main></body></html>"""


def test_on_a_phone_a_cell_with_no_value_shows_no_bare_label(browser, tmp_path: Path):
    house = (paths.ROOT / "src/entitylist/static/page.css").read_text(encoding="utf-8")
    without = house.replace(".table-wrap td:empty { display: none; }", "")
    assert without != house
    found = {}
    for name, css in (("house", house), ("without", without)):
        page = tmp_path / f"{name}.html"
        page.write_text(BARE_LABEL.format(css=css), encoding="utf-8")
        found[name] = visit(browser, page, 360, shot=None).cut_tables
    assert found["house"] == []
    assert [t.split(":")[0] for t in found["without"]] == ["Entries"]


def test_the_chart_checks_find_overlaps_and_faint_text(browser, tmp_path: Path):
    page = tmp_path / "synthetic.html"
    page.write_text(SYNTHETIC, encoding="utf-8")
    seen = visit(browser, page, 1280, shot=None)
    # #e8a33d on white is 2.16:1 (WCAG formula, by hand); #8a8a8a is 3.45:1, enough at 24 px.
    assert [f.split(" rgb")[0] for f in contrast_failures(seen)] == ["synthetic: 'Hikvision'"]
    assert sorted(overlap_failures(seen)) == [
        "synthetic: label '2016' overlaps label '2017'",
        "synthetic: label 'on a bar' overlaps mark 'Dahua: 8'",
    ]
