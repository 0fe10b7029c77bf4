"""Every page of site/ in headless Chromium with the network off, at phone and desktop widths.

`make test` renders site/ first. Screenshots land in tests/artifacts/ for a human to look at.
"""

import shutil
from pathlib import Path

import pytest

from entitylist import paths

SITE = paths.ROOT / paths.SITE_NAME
ARTIFACTS = Path(__file__).parent / "artifacts"
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

pytestmark = pytest.mark.browser


def site_pages() -> list[Path]:
    """The published pages; an empty site is an error, not a reason to skip."""
    return sorted(SITE.glob("*.html"))


@pytest.fixture(scope="module")
def browser():
    """Debian's chromium, driven by Playwright (no browser download)."""
    from playwright.sync_api import sync_playwright

    executable = shutil.which("chromium") or shutil.which("chromium-browser")
    if executable is None:
        pytest.fail("chromium not found: `apt-get install chromium` (.ci/run does this)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


def test_site_was_rendered():
    assert (SITE / "index.html").exists(), "run `make render` first"
    assert (SITE / "story.html").exists()


@pytest.mark.parametrize("width", WIDTHS.values(), ids=WIDTHS.keys())
@pytest.mark.parametrize("page", site_pages(), ids=lambda p: p.name)
def test_page_draws_offline_without_errors(browser, page: Path, width: int):
    context = browser.new_context(viewport={"width": width, "height": 900})
    context.set_offline(True)
    remote: list[str] = []

    def only_local(route):
        if route.request.url.startswith("file://"):
            route.continue_()
        else:
            remote.append(route.request.url)
            route.abort()

    context.route("**/*", only_local)
    tab = context.new_page()
    problems: list[str] = []
    tab.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    tab.on("pageerror", lambda e: problems.append(str(e)))
    tab.goto(page.as_uri(), wait_until="load")

    ARTIFACTS.mkdir(exist_ok=True)
    tab.screenshot(path=ARTIFACTS / f"{page.stem}-{width}.png", full_page=True)
    assert remote == [], f"{page.name} requested other hosts"
    assert problems == [], f"{page.name} console errors"

    figures = tab.locator("figure.chart")
    variant = ".chart-phone" if width < 480 else ".chart-wide"
    for i in range(figures.count()):
        svg = figures.nth(i).locator(f"{variant} svg")
        assert svg.count() == 1, f"{page.name}: chart {i} drew no SVG"
        assert svg.is_visible(), f"{page.name}: chart {i} is hidden"
        box = svg.bounding_box()
        natural = float(svg.get_attribute("width"))
        assert box["width"] > 0
        assert box["height"] > 0
        # A chart squeezed much below its drawn width would shrink its 12 px labels.
        assert box["width"] >= natural * 0.9, f"{page.name}: chart {i} scaled to fit"
    overflow = tab.evaluate("document.documentElement.scrollWidth")
    assert overflow <= width, f"{page.name} scrolls sideways at {width} px"
    code = tab.locator("pre, code, .jp-InputArea, .input_area")
    assert code.count() == 0, f"{page.name} shows code"
    context.close()


def test_index_links_every_page():
    index = (SITE / "index.html").read_text(encoding="utf-8")
    for page in site_pages():
        if page.name != "index.html":
            assert f'href="{page.name}"' in index, page.name


def test_no_page_references_another_host_for_scripts_styles_or_fonts():
    from entitylist import pages

    for page in site_pages():
        pages.check(page.name, page.read_text(encoding="utf-8"))


def test_text_from_data_reaches_the_page_as_text(browser, tmp_path: Path, monkeypatch):
    from entitylist import render

    monkeypatch.setattr(paths, "BUILD", tmp_path / "build")
    pipeline = Path(__file__).parent / "fixtures" / "pipeline" / "hostile.yaml"
    render.render(output_root=tmp_path / "out", pipeline=pipeline, quiet=True)
    page = tmp_path / "out" / "site" / "hostile.html"
    text = page.read_text(encoding="utf-8")
    assert "<script" not in text.lower()
    assert "<img" not in text.lower()
    assert "javascript:" not in text
    context = browser.new_context()
    context.set_offline(True)
    tab = context.new_page()
    tab.goto(page.as_uri(), wait_until="load")
    assert tab.evaluate("window.__pwned") is None
    body = tab.inner_text("body")
    assert "<script>window.__pwned = 1</script>" in body
    assert "a.k.a. <b>bold</b>" in body
    assert tab.title().startswith("Hostile <script>")
    context.close()


def test_every_chart_on_a_page_is_the_file_in_charts():
    from bs4 import BeautifulSoup

    def svg(markup: str) -> str:
        # nbconvert re-serialises pages with BeautifulSoup; compare in that same form.
        return str(BeautifulSoup(markup, "html.parser").find("svg"))

    charts_dir = paths.ROOT / paths.CHARTS_NAME
    shown = set()
    for page in site_pages():
        soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
        for figure in soup.select("figure.chart"):
            name = figure["data-chart"]
            wide = (charts_dir / f"{name}.svg").read_text(encoding="utf-8")
            phone = (charts_dir / f"{name}.phone.svg").read_text(encoding="utf-8")
            assert str(figure.select_one(".chart-wide svg")) == svg(wide), f"{page.name}: {name}"
            assert str(figure.select_one(".chart-phone svg")) == svg(phone), page.name
            assert (SITE / "charts" / f"{name}.csv").exists(), name
            shown.add(name)
    assert shown == {p.name.removesuffix(".vl.json") for p in charts_dir.glob("*.vl.json")}
