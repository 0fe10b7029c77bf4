"""Pages from the templates: export, index, site settings, sharing tags, cards, fonts, checks.

Executed notebooks are built here from real fragments, with the outputs IPython records
for them (`_repr_html_` returning markup and metadata); the real papermill runs are in
test_site.py (the fixture pipelines) and test_render.py.
"""

import io
import re
from pathlib import Path

import altair as alt
import nbformat
import pandas as pd
import pytest
from lxml import html as lxml_html
from PIL import Image

from entitylist import config, publish, story, theme
from entitylist.errors import ParameterError, RenderError
from entitylist.pages import cards, drawing, fonts, templating
from entitylist.pages import site as pages

BASE = "https://desk.example.org/entitylist/"


@pytest.fixture(autouse=True)
def no_base_url(monkeypatch):
    """Without a base URL unless a test sets one."""
    monkeypatch.delenv(config.SITE_URL_ENV, raising=False)


def displayed(fragment: object) -> nbformat.NotebookNode:
    """The output IPython records when a cell displays the object."""
    markup, metadata = fragment._repr_html_()
    return nbformat.v4.new_output(
        "display_data",
        data={"text/html": markup, "text/plain": "<fragment>"},
        metadata={"text/html": metadata},
    )


def figure(name: str) -> publish.Published:
    """A published figure, as publish.save returns it."""
    svg = (
        '<svg xmlns="http://www.w3.org/2000/svg" width="40" height="20">'
        '<rect width="4" height="4"/></svg>'
    )
    data = pd.DataFrame({"Kind": ["Companies"], "Entries": [8]})
    return publish.Published(
        name, f"Headline {name}", f"About {name}", data, svg, svg, f"charts/{name}.csv"
    )


def executed(tmp_path: Path, *cells: nbformat.NotebookNode) -> Path:
    """Write an executed notebook of the given cells."""
    path = tmp_path / "executed.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=list(cells)), path)
    return path


def code(*outputs: nbformat.NotebookNode, source: str = "x") -> nbformat.NotebookNode:
    """A code cell that produced these outputs."""
    return nbformat.v4.new_code_cell(source, outputs=list(outputs))


def meta_tags(text: str) -> dict[str, str]:
    """A page's <meta> tags, by property or name."""
    tree = lxml_html.fromstring(text)
    return {m.get("property") or m.get("name"): m.get("content") for m in tree.xpath("//meta")}


def header(**kwargs) -> nbformat.NotebookNode:
    """A cell displaying a page header."""
    return code(displayed(story.header("Hikvision & the list", "Dek <b>", "2019-10-09", **kwargs)))


def test_export_renders_the_notebook_through_the_desks_templates(tmp_path: Path):
    path = executed(
        tmp_path,
        nbformat.v4.new_code_cell("as_of = ''", outputs=[]),
        header(),
        nbformat.v4.new_markdown_cell("## Methods\n\nThe *reporter's* words <script>x</script>"),
        code(
            displayed(story.say("{{ n }} entries", n=28)),
            nbformat.v4.new_output("stream", name="stdout", text="printed for the reporter"),
            nbformat.v4.new_output(
                "execute_result", data={"text/plain": "'a repr'"}, execution_count=3
            ),
        ),
    )
    text, meta = pages.export(path, page="company-hikvision.html")
    assert meta["title"] == "Hikvision & the list"
    assert "<title>Hikvision &amp; the list | The Entity List story</title>" in text
    assert "<h2>Methods</h2>" in text
    assert "<em>reporter's</em> words &lt;script&gt;x&lt;/script&gt;" in text
    assert "<p>28 entries</p>" in text
    for hidden in ("printed for the reporter", "a repr", "as_of", "In&nbsp;["):
        assert hidden not in text
    pages.check("company-hikvision.html", text)


def test_nbconvert_uses_the_one_autoescaping_environment():
    from nbconvert.exporters import TemplateExporter

    exporter = pages.exporter()
    assert isinstance(exporter, TemplateExporter)
    assert exporter.environment is templating.environment()
    assert exporter.environment.autoescape is True
    template = exporter.environment.from_string("{{ x }}")
    assert template.render(x="<b>") == "&lt;b&gt;"


def test_every_page_carries_sharing_tags_with_the_lead_charts_card(tmp_path: Path, monkeypatch):
    monkeypatch.setenv(config.SITE_URL_ENV, BASE.rstrip("/"))
    path = executed(tmp_path, header(), code(displayed(figure("rules-over-time"))))
    text, meta = pages.export(path, page="timeline.html")
    tags = meta_tags(text)
    assert tags["og:url"] == BASE + "timeline.html"
    assert tags["og:image"] == tags["twitter:image"] == BASE + "charts/rules-over-time.png"
    assert (tags["og:image:width"], tags["og:image:height"]) == ("2400", "1350")
    assert tags["og:image:alt"] == "About rules-over-time"
    assert tags["og:title"] == tags["twitter:title"] == "Hikvision & the list"
    assert (
        tags["description"] == tags["og:description"] == tags["twitter:description"] == "Dek <b>"
    )
    assert tags["og:site_name"] == "The Entity List story"
    assert tags["og:type"] == "article"
    assert tags["twitter:card"] == "summary_large_image"
    assert meta["image"] == "rules-over-time"


def test_the_header_names_the_card_and_without_a_base_url_addresses_are_relative(tmp_path: Path):
    path = executed(
        tmp_path,
        header(image="china-entries-per-year"),
        code(displayed(figure("rules-over-time")), displayed(figure("china-entries-per-year"))),
    )
    tags = meta_tags(pages.export(path, page="story.html")[0])
    assert tags["og:url"] == "story.html"
    assert tags["og:image"] == "charts/china-entries-per-year.png"
    assert tags["og:image:alt"] == "About china-entries-per-year"


def test_a_page_without_a_chart_shares_the_site_card(tmp_path: Path):
    tags = meta_tags(pages.export(executed(tmp_path, header()), page="data.html")[0])
    assert tags["og:image"] == "static/card.png"


def test_a_figure_inside_a_section_is_the_lead_chart(tmp_path: Path):
    section = story.section("Revenue", [figure("revenue-dahua")])
    _, meta = pages.export(executed(tmp_path, header(), code(displayed(section))))
    assert meta["image"] == "revenue-dahua"


def test_the_page_opens_with_its_header(tmp_path: Path):
    intro = nbformat.v4.new_markdown_cell("# Cleaning\n\nThis notebook checks the raw snapshot")
    with pytest.raises(
        RenderError, match=r"cell 1 \('# Cleaning'\) comes before the page's header"
    ):
        pages.export(executed(tmp_path, intro, header()))
    early = code(displayed(story.say("Too early")), source="story.say('Too early')")
    with pytest.raises(RenderError, match="cell 1 .* shows a prose before the header"):
        pages.export(executed(tmp_path, early, header()))
    with pytest.raises(RenderError, match=r"no header: .*story\.header"):
        pages.export(executed(tmp_path, code(source="print('no header')")))


def test_html_the_desks_code_did_not_make_is_refused(tmp_path: Path):
    frame = pd.DataFrame({"is_partnership": [True]})
    dump = nbformat.v4.new_output("display_data", data={"text/html": frame._repr_html_()})
    path = executed(tmp_path, header(), code(dump, source="frame"))
    with pytest.raises(RenderError, match=r"cell 2 \('frame'\) shows HTML that story or publish"):
        pages.export(path)


def test_skip_page_leaves_the_page_out(tmp_path: Path):
    path = executed(tmp_path, header(), code(displayed(story.skip_page("before the data"))))
    assert pages.export(path) == ("", {"skip": "before the data"})


def test_index_lists_pages_in_the_same_shell(monkeypatch):
    monkeypatch.setenv(config.SITE_URL_ENV, BASE)
    listed = [
        pages.Page("story.html", "The US blacklisted <China's> champions", "Dek & more"),
        pages.Page("data.html", "The data behind the story", "Where every number comes from"),
    ]
    text = pages.index_html(listed)
    links = lxml_html.fromstring(text).xpath("//main//li/a")
    assert [(a.get("href"), a.text) for a in links] == [
        ("story.html", "The US blacklisted <China's> champions"),
        ("data.html", "The data behind the story"),
    ]
    tags = meta_tags(text)
    assert tags["og:url"] == BASE + "index.html"
    assert tags["og:image"] == BASE + "static/card.png"
    assert tags["og:type"] == "website"
    assert '<nav class="masthead"' in text
    assert '<footer class="colophon">Published by the TechNode data desk.' in text
    pages.check("index.html", text)


def test_site_settings_are_checked(tmp_path: Path, monkeypatch):
    settings = tmp_path / "site.yaml"
    good = "site_name: S\ndesk_name: D\ndescription: A site\n"
    settings.write_text(good + "base_url: https://desk.example.org/story\n", encoding="utf-8")
    assert config.site(settings).base_url == "https://desk.example.org/story/"
    assert config.site(settings).address == "desk.example.org/story"
    settings.write_text(good + "base_url: ftp://desk.example.org/\n", encoding="utf-8")
    with pytest.raises(ParameterError, match=r"site\.yaml: base_url: 'ftp://desk"):
        config.site(settings)
    settings.write_text("site_name: S\ndesk_name: ''\ndescription: A site\n", encoding="utf-8")
    with pytest.raises(ParameterError, match=r"site\.yaml: desk_name: must not be empty"):
        config.site(settings)
    settings.write_text(good + "colour: red\n", encoding="utf-8")
    with pytest.raises(ParameterError, match=r"site\.yaml: colour"):
        config.site(settings)
    settings.write_text(good + "base_url: [unclosed\n", encoding="utf-8")
    with pytest.raises(ParameterError, match=r"^site\.yaml: line 5: not valid YAML"):
        config.site(settings)
    with pytest.raises(ParameterError, match=r"^missing\.yaml: cannot read the site settings"):
        config.site(tmp_path / "missing.yaml")
    settings.write_text(good, encoding="utf-8")
    monkeypatch.setenv(config.SITE_URL_ENV, "not a url")
    with pytest.raises(ParameterError, match="ENTITYLIST_SITE_URL: base_url: 'not a url'"):
        config.site(settings)
    monkeypatch.setenv(config.SITE_URL_ENV, "https://pages.example.io/entitylist")
    assert (
        config.site(settings).url("story.html") == "https://pages.example.io/entitylist/story.html"
    )


def test_the_projects_site_settings_are_valid():
    settings = config.site()
    assert settings.site_name == "The Entity List story"
    assert settings.desk_name == "TechNode data desk"


def test_assets_are_the_shipped_fonts_and_the_site_card(tmp_path: Path):
    written = pages.write_assets(tmp_path)
    assert sorted(p.name for p in written) == sorted([*fonts.web_fonts(), "card.png"])
    for name in fonts.web_fonts():
        assert (tmp_path / "static" / name).read_bytes() == (fonts.FONT_DIR / name).read_bytes()
    with Image.open(tmp_path / "static" / "card.png") as card:
        assert card.size == (2400, 1350)


def test_pages_load_the_shipped_font_first(tmp_path: Path):
    from fontTools.ttLib import TTFont

    text = pages.index_html([])
    faces = re.findall(r'@font-face \{ font-family: "([^"]+)"; [^}]*src: url\("([^"]+)"\)', text)
    assert sorted(url for _, url in faces) == sorted(f"static/{n}" for n in fonts.web_fonts())
    for family, url in faces:
        font = TTFont(fonts.FONT_DIR / Path(url).name)
        assert font.flavor == "woff2"
        assert font["name"].getDebugName(1) == family
        # The page's stack and the charts' stack both start with the shipped family.
        assert f'--font: "{family}",' in text
        assert theme.FONT.startswith(f'"{family}",')


def test_web_fonts_draw_what_the_chart_fonts_draw():
    from fontTools.ttLib import TTFont

    for name in fonts.web_fonts():
        web = set(TTFont(fonts.FONT_DIR / name).getBestCmap())
        desktop = set(TTFont(fonts.FONT_DIR / name.replace(".woff2", ".otf")).getBestCmap())
        assert web == desktop, name
    needed = fonts.data_characters() | set("Oct. 9, 2019 — “Hikvision’s” 4.9%")
    assert not needed - fonts.shipped_characters()


def ink_span(png: bytes, rows: tuple[float, float]) -> float:
    """The share of a PNG's width between its leftmost and rightmost pixel columns with ink
    (darker than light grey: gridlines do not count) within a band of rows."""
    image = Image.open(io.BytesIO(png)).convert("L")
    band = image.crop((0, int(rows[0]), image.width, int(rows[1])))
    ink = Image.eval(band, lambda v: 255 if v < 200 else 0).getbbox()
    return 0.0 if ink is None else (ink[2] - ink[0]) / image.width


def card_band(figure: object) -> tuple[float, float]:
    """The rows of a card's PNG its chart is drawn in."""
    chart = cards.card_layout(figure)["chart"]
    height = drawing.svg_size(chart["svg"])[1] * chart["scale"]
    return chart["y"] * cards.CARD_SCALE, (chart["y"] + height) * cards.CARD_SCALE


LONG = "At listing, the desk's sources give overseas figures for two of the eight firms"


def every_chart(data: dict) -> list:
    """Every chart the desk draws, from a set of tables, under a two-line headline."""
    from entitylist import charts, figures

    said = charts.Words(LONG, "A dek")
    rules = figures.rules_still_listed(data["rules"], data["entity_list"], data["entries_2019"])
    drawn = [
        charts.entry_grid(data["entries_2019"], data["companies"], said),
        charts.rules_over_time(rules, said),
        charts.listing_snapshot(data["financials"], data["companies"], said, figures.LISTING_DATE),
        charts.overseas_over_time(data["financials"], data["companies"], said),
        charts.suppliers_named(data["suppliers"], data["companies"], said),
        *[
            charts.revenue_history(data["financials"], c, n, said)
            for c, n in zip(data["companies"]["company"], data["companies"]["name"], strict=True)
        ],
    ]
    if len(data["entity_list"]):
        drawn.append(charts.still_listed(data["entity_list"], data["entries_2019"], said))
    return [f for f in drawn if f is not None]


@pytest.mark.parametrize("as_of", ["", "2019-10-09"])
def test_every_card_draws_its_chart_across_the_card_legible_in_a_feed(tables, as_of: str):
    from entitylist import tables as loading

    data = loading.as_of_filter(tables, as_of) if as_of else tables
    for drawn in every_chart(data):
        png = cards.card(drawn)
        assert Image.open(io.BytesIO(png)).size == (2400, 1350)
        assert ink_span(png, card_band(drawn)) >= 0.8, drawn.name
        # Shown 500 px wide, 12 px chart labels read at 8 px: drawn 1.6 times their size
        # (within a hundredth: the last squeeze of a tall chart may leave it a shade short).
        chart = cards.card_layout(drawn)["chart"]
        assert chart["scale"] * theme.LABEL_SIZE * 500 / 1200 >= 8 * 0.99, drawn.name
        headline = (0, 0, 2400, int(card_band(drawn)[0]))
        assert dark_pixels(png, headline) > 2000, drawn.name


def test_the_card_check_fails_on_a_chart_drawn_at_its_own_width():
    from entitylist import charts

    data = pd.DataFrame({"Kind": ["Companies"], "Entries": [8]})
    fixed = charts.Figure(
        "fixed",
        "Headline",
        "Dek",
        "Source",
        "Alt",
        data,
        lambda d, _width: alt.Chart(d).mark_bar().encode(x="Entries:Q").properties(width=200),
    )
    assert ink_span(cards.card(fixed), card_band(fixed)) < 0.5


def dark_pixels(png: bytes, box: tuple[int, int, int, int]) -> int:
    """How many pixels in a region are darker than light grey (text)."""
    region = Image.open(io.BytesIO(png)).convert("L").crop(box)
    return sum(1 for v in region.get_flattened_data() if v < 160)


def test_the_card_strip_shows_the_desk_and_the_address_when_there_is_one(monkeypatch):
    strip_left, strip_right = (0, 1200, 1000, 1350), (1400, 1200, 2400, 1350)
    plain = cards.card(None)
    assert dark_pixels(plain, strip_left) > 500
    assert dark_pixels(plain, strip_right) == 0
    monkeypatch.setenv(config.SITE_URL_ENV, BASE)
    assert dark_pixels(cards.card(None), strip_right) > 500


def test_every_data_mark_gets_a_tooltip_and_the_frame_does_not(tables):
    from entitylist import charts

    figure = charts.suppliers_named(
        tables["suppliers"], tables["companies"], charts.Words("Headline", "Dek")
    )
    drawn = drawing.svg(publish.spec(figure, theme.PHONE_WIDTH))
    root = lxml_html.fromstring(drawn)
    assert root.get("role") == "graphics-document document"
    assert root.get("aria-label") == figure.description
    marks = root.xpath("//*[@aria-roledescription='bar']")
    # One bar per company with a count; the others are marked "?" (also with a title).
    assert len(marks) == figure.data["named_us_suppliers"].notna().sum()
    for mark in marks:
        assert [c.text for c in mark if c.tag == "title"] == [mark.get("aria-label")]
    for frame in root.xpath("//*[@aria-roledescription='axis' or @aria-roledescription='title']"):
        assert not [c for c in frame if c.tag == "title"]


@pytest.mark.parametrize(
    "ordinary",
    [
        '<p><a href="https://www.example.com/home/news/item">https://www.example.com/home/news/item</a></p>',
        '<p><a href="http://example.org/tmp/x/">example.org/tmp/x/</a></p>',
        '<p>See <a href="data/rules.csv">rules.csv</a>, 24/7 and/or the root/home split.</p>',
        '<meta property="og:image" content="https://cdn.example.org/x.png">',
        '<p><a href="//other.example/home/x">another site</a></p>',
        "<p>Reported by https://www.reuters.com/root/tmp/usr/article.</p>",
    ],
)
def test_check_passes_ordinary_pages(ordinary: str):
    pages.check("ok.html", f"<html><head></head><body>{ordinary}</body></html>")


@pytest.mark.parametrize(
    ("bad", "reason"),
    [
        ('<img src="https://x.example/y.png">', "loads from another host"),
        ('<link rel="stylesheet" href="//cdn.example/x.css">', "loads from another host"),
        ("<style>@import url(https://x.example/a.css);</style>", "loads from another host"),
        ('<div style="background: url(http://x.example/y.png)"></div>', "loads from another host"),
        ('<svg><image href="https://x.example/y.png"/></svg>', "loads from another host"),
        ("<script>1</script>", "shows a script"),
        ('<a href="javascript:alert(1)">x</a>', "links to a script"),
        ('<p onclick="x()">x</p>', "carries a script"),
        ("<pre>import pandas</pre>", "shows code"),
        ('<div class="jp-InputArea">x</div>', "shows code"),
        ("<p>/home/desk/entitylist/data/raw/events.csv</p>", "a local file path"),
        ("<p>kept at /tmp/pytest-1/build/x.ipynb</p>", "a local file path"),
        ("<p>file:///work/main/site/index.html</p>", "a local file path"),
        ("<p>C:\\Users\\desk\\story.ipynb</p>", "a local file path"),
        ("<p>.venv/lib/python3.11/site-packages/pandas</p>", "a local file path"),
        ('<a href="/home/desk/x.csv">data</a>', "a local file path"),
        ("<p>Traceback (most recent call last):</p>", "a traceback"),
        ("<p>In [3]: x</p>", "a code prompt"),
    ],
)
def test_check_refuses_what_a_reader_must_not_get(bad: str, reason: str):
    with pytest.raises(RenderError, match=f"^bad.html: .*{re.escape(reason)}"):
        pages.check("bad.html", f"<html><head></head><body>{bad}</body></html>")


def test_a_charts_links_stay_relative_to_the_site(tables):
    from entitylist import charts

    figure = charts.entry_grid(tables["entries_2019"], tables["companies"], charts.Words("h", "d"))
    drawn = drawing.svg(publish.spec(figure, theme.ARTICLE_WIDTH))
    links = re.findall(r'href="([^"]*)"', drawn)
    assert "company-hikvision.html" in links
    assert not [link for link in links if "://" in link]


PAGE = "<html><head><title>t</title></head><body><main>{}</main></body></html>"


@pytest.mark.parametrize(
    "body",
    [
        "<section><h2>University ties</h2></section>",
        '<section><h2>University ties</h2><p class="empty"></p></section>',
        "<section><h2>University ties</h2>  \n </section>",
    ],
)
def test_a_section_with_nothing_under_its_heading_is_refused(body):
    with pytest.raises(RenderError, match=r"p\.html: the section 'University ties' has nothing"):
        pages.check("p.html", PAGE.format(body))


@pytest.mark.parametrize(
    "body",
    [
        "<section><h2>Ties</h2><p>None in the desk's sources.</p></section>",
        "<section><h2>Revenue</h2><figure><svg></svg></figure></section>",
        "<section><h2>After</h2><ol><li>Oct. 9, 2019</li></ol></section>",
    ],
)
def test_a_section_with_something_to_show_passes(body):
    pages.check("p.html", PAGE.format(body))


def test_a_link_to_a_page_the_site_lacks_is_refused(tmp_path):
    (tmp_path / "data").mkdir()
    (tmp_path / "timeline.html").write_text(PAGE.format('<a href="story.html#top">s</a>'))
    (tmp_path / "story.html").write_text(
        PAGE.format(
            '<a href="timeline.html">t</a> <a href="https://example.org/x.html">x</a> '
            '<a href="#methods">m</a> <a href="mailto:desk@example.org">d</a>'
        )
    )
    pages.check_site_files(tmp_path)  # every link resolves
    (tmp_path / "story.html").write_text(PAGE.format('<a href="entities.html">every entry</a>'))
    with pytest.raises(RenderError, match=r"lacks: story\.html -> entities\.html"):
        pages.check_site_files(tmp_path)


def test_a_download_with_no_rows_is_refused(tmp_path):
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "rules.csv").write_text("date,rule\n2019-10-09,84 FR 54002\n")
    pages.check_site_files(tmp_path)
    (tmp_path / "data" / "entity_list.csv").write_text("name,first_year\n")
    with pytest.raises(RenderError, match=r"no rows: data/entity_list\.csv"):
        pages.check_site_files(tmp_path)


def test_make_font_without_the_source_fonts_says_what_to_install(tmp_path, monkeypatch):
    from entitylist.errors import ConfigError

    monkeypatch.setattr(fonts, "NOTO", tmp_path)
    monkeypatch.setattr(fonts, "FONT_DIR", tmp_path / "out")
    with pytest.raises(ConfigError, match=r"NotoSansCJK-Regular\.ttc is missing.*fonts-noto-cjk"):
        fonts.build({"海"})
    assert not (tmp_path / "out").exists()


def test_latin_quotes_in_the_shipped_fonts_are_latin_not_full_width():
    from fontTools.ttLib import TTFont

    for path in sorted(fonts.FONT_DIR.glob("*.otf")):
        font = TTFont(path)
        cmap, widths = font.getBestCmap(), font["hmtx"].metrics
        per_em = font["head"].unitsPerEm
        for character in "‘’“”":
            # A full-width CJK quote is one em wide; a Latin one well under two thirds.
            assert widths[cmap[ord(character)]][0] < 0.66 * per_em, (path.name, character)
