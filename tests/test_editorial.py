"""The published story reads as news and claims no more than the data: the editor's findings
(issue 9) checked on the rendered pages themselves. `make test` renders site/ first."""

import csv
import re

import pytest

from conftest import paragraph_with, visible_text
from entitylist import paths

SITE = paths.ROOT / paths.SITE_NAME

pytestmark = pytest.mark.browser


def text(page: str) -> str:
    """A page's visible text, tags removed, entities decoded, spaces folded."""
    return visible_text(SITE / page)


@pytest.fixture(scope="module")
def story() -> str:
    """The story page's text."""
    return text("story.html")


def download(name: str) -> list[dict[str, str]]:
    """A published download's rows."""
    with (SITE / "data" / name).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_the_lede_says_what_happened_when_and_why(story):
    from entitylist import words

    (rule,) = [r for r in download("rules.csv") if r["rule_id"] == "2019-22210"]
    announced = [
        e for e in download("events.csv") if e["category"] == "us_action" and "28" in e["event"]
    ]
    entries = download("entries_2019.csv")
    lede = paragraph_with(SITE / "story.html", words.long_date(announced[0]["date"]))
    assert str(len(entries)) in lede
    assert words.long_date(rule["publication_date"]) in lede
    assert rule["stated_reason"].split(" (")[0] in lede
    # The lede comes first: nothing but the header stands before it.
    assert story.index(lede) < story.index("Download the data")


def test_the_story_says_who_reacted_with_dates_and_links(story):
    reactions = story[story.index("Who reacted") : story.index("What the listing restricted")]
    for actor in ("foreign ministry", "Dahua", "Megvii", "iFlytek", "MIT", "SenseTime"):
        assert actor in reactions, actor
    assert "Oct. 8, 2019" in reactions
    assert "Oct. 10, 2019" in reactions


def test_the_lede_graphic_shows_the_28_entries_and_links_the_companies():
    markup = (SITE / "story.html").read_text(encoding="utf-8")
    graphic = markup[markup.index('data-chart="entries-of-the-rule"') :]
    graphic = graphic[: graphic.index("</figure>")]
    assert graphic.count('aria-label="Entry ') >= 28 * 2  # both widths
    links = re.findall(r'href="([^"]*)"', graphic)
    for slug in ("hikvision", "dahua", "megvii", "yixin"):
        assert f"company-{slug}.html" in links, slug
    # Every link in a chart stays on the site.
    assert all(not link.startswith(("http:", "https:", "//")) for link in links)


def test_all_28_names_are_published_with_the_lists_spelling(story):
    assert "named as on the official list (its 2026 spelling)" in story
    for name in (
        "Kezilesu Kyrgyz Autonomous Prefecture Public Security Bureau",
        "Xinjiang Uyghur Autonomous Region (XUAR) People's Government Public Security Bureau",
        "Xinjiang Police College",
        "Hangzhou Hikvision Digital Technology Co., Ltd.",
    ):
        assert name in story, name
    # The pack's unconfirmed guess; the list's own alias "Kizilsu Autonomous …" may show.
    assert "Kizilsu Kyrgyz" not in story


def test_claims_are_no_stronger_than_the_sources(story):
    # The hedges the checklist asks for, wherever the reporter puts them.
    assert "in the desk's sources" in story
    assert "not a measure of dependence" in story
    assert "lower bound" in story
    assert "Public figures existed for only" not in story
    assert "peaked" not in story.lower()
    # The counterpoint the sources have: Hikvision's domestic chip supplier.
    domestic = [
        s
        for s in download("suppliers.csv")
        if s["company"] == "hikvision"
        and s["supplier_country"] == "China"
        and s["named"] == "True"
    ]
    assert domestic
    for supplier in domestic:
        assert supplier["supplier"] in story


def test_a_copy_is_labelled_with_its_original_publisher():
    page = text("exposure.html")
    assert "(copy of a Reuters report)" in page
    assert "(copy of an Associated Press report)" in page


def test_the_story_links_the_entries_page(story):
    markup = (SITE / "story.html").read_text(encoding="utf-8")
    assert 'href="entities.html"' in markup
    assert 'href="entities.html"' in (SITE / "index.html").read_text(encoding="utf-8")


@pytest.mark.notebooks
def test_the_story_as_of_oct_9_2019_holds_nothing_published_later(as_of_site):
    import datetime as dt

    from entitylist import guard

    # The render itself runs the guard, which refuses any later date in any file.
    site = as_of_site
    assert guard.check_site(site, as_of=dt.date(2019, 10, 9)) > 14
    assert not (site / "entities.html").exists()
    page = (site / "story.html").read_text(encoding="utf-8")
    assert "Data as of <time" in page
    assert "Oct. 10, 2019" not in page
    assert "Shanghai" not in page
    financials = (site / "data" / "financials.csv").read_text(encoding="utf-8")
    # SenseTime's first public figures came with its prospectus of 2021.
    assert "sensetime" not in financials
    assert "2021-" not in financials
