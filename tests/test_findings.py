"""Issue 15's findings, each checked on what readers get: the rendered pages, chart files and
downloads of the current site and of the site as it stood on Oct. 9, 2019. Expected values
come from the published downloads (the data), never from constants of the story's wording.
`make test` renders site/ first; the as-of site is rendered once (conftest.as_of_site)."""

import csv
import re
from pathlib import Path

import pytest

from conftest import paragraph_with, visible_text
from entitylist import paths, words

SITE = paths.ROOT / paths.SITE_NAME

pytestmark = pytest.mark.browser


def rows(site: Path, name: str) -> list[dict[str, str]]:
    """A published CSV (a download or a chart's data) as rows."""
    with (site / name).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def pages(site: Path) -> list[Path]:
    """Every page of a site."""
    return sorted(site.glob("*.html"))


@pytest.fixture(scope="module")
def story() -> str:
    """The story page's visible text."""
    return visible_text(SITE / "story.html")


# Identity before counting -----------------------------------------------------------------


def institutions_in(site: Path) -> set[str]:
    """The institutions of the published ties, from the partnerships download."""
    return {r["institution_name"] for r in rows(site, "data/partnerships.csv") if r["institution"]}


def test_ties_count_institutions_not_spellings():
    ties = [r for r in rows(SITE, "data/partnerships.csv") if r["is_partnership"] == "True"]
    spellings = {r["partner"] for r in ties}
    named = institutions_in(SITE)
    assert len(spellings) > len(named) >= 2  # MIT is written three ways in the sources
    said = paragraph_with(SITE / "story.html", *sorted(named))
    assert words.number(len(named)) in said
    assert words.number(len(spellings)) not in said
    # A spelling of an institution is never named as another one.
    for spelling in spellings - named:
        assert spelling not in said, spelling


def test_an_unnamed_partner_is_shown_but_not_counted():
    ties = rows(SITE, "data/partnerships.csv")
    unnamed = [r for r in ties if r["is_partnership"] == "True" and not r["institution"]]
    assert unnamed  # "two Canadian universities (not named in source)"
    exposure = visible_text(SITE / "exposure.html")
    for tie in unnamed:
        assert tie["partner"] in exposure  # shown as reported, with its source
    row = re.search(r"iFlytek \(科大讯飞\).*?(?=Megvii \()", exposure).group(0)
    assert row.count("MIT") == 1
    assert "universities a source does not name" in row


# Firmness -----------------------------------------------------------------------------------


def test_an_annual_report_figure_replaces_the_wires_approximation():
    shares = rows(SITE, "charts/overseas-share-over-time.csv")
    fy2018 = [r for r in shares if r["Company"] == "Hikvision" and r["Period"] == "FY 2018"]
    assert [r["How firm"] for r in fy2018] == ["stated"]
    at_listing = {r["Company"]: r for r in rows(SITE, "charts/overseas-share-at-listing.csv")}
    assert at_listing["Hikvision"]["How firm"] == "stated"
    assert float(at_listing["Hikvision"]["Overseas share (%)"]) != 30.0


def test_an_approximate_figure_keeps_its_sources_word():
    financials = rows(SITE, "data/financials.csv")
    approximate = [r for r in financials if r["qualifier"]]
    assert approximate
    assert all(r["confidence"] != "stated" for r in approximate)
    shares = rows(SITE, "charts/overseas-share-over-time.csv")
    word = "Approximate (the source's word)"
    drawn = [r for r in shares if r[word]]
    assert drawn  # Nikkei's "about 30%" for 2020 has no firmer figure beside it
    svg = (SITE / "charts" / "overseas-share-over-time.svg").read_text(encoding="utf-8")
    for row in drawn:
        assert f"{row['Period']}: {row[word]} " in svg


def test_a_rounded_revenue_figure_is_drawn_as_an_estimate():
    revenue = rows(SITE, "charts/revenue-hikvision.csv")
    fy2016 = [r for r in revenue if r["Year"] == "2016"]
    assert fy2016
    assert all(r["How firm"] == "approximate" for r in fy2016)
    assert all(r["Approximate (the source's word)"] == "about" for r in fy2016)


# Dates and names as of the event ---------------------------------------------------------


def test_a_rule_is_dated_by_when_it_took_effect(story):
    huawei = [
        r for r in rows(SITE, "data/rules.csv") if r["notable_entities"].startswith("Huawei Tech")
    ]
    first = min(huawei, key=lambda r: r["date"])
    assert first["effective_date"] < first["publication_date"]
    effect = words.long_date(first["effective_date"])
    published = words.long_date(first["publication_date"])
    said = paragraph_with(SITE / "story.html", "Huawei", effect)
    # Its publication date may stand beside it, but after it, never as the day it was added.
    assert published not in said or said.index(effect) < said.index(published)
    assert f"added on {published}" not in story


@pytest.mark.parametrize("build", ["current", "as-of"])
def test_a_company_is_named_as_sources_of_its_day_named_it(build, as_of_site):
    site = SITE if build == "current" else as_of_site
    entries = {r["company"]: r for r in rows(site, "data/entries_2019.csv") if r["company"]}
    for slug in ("hikvision", "sensetime"):
        subtitle = re.search(
            r'<p class="dek">(.*?)</p>', (site / f"company-{slug}.html").read_text("utf-8")
        )
        said = words.text(subtitle.group(1)).replace("&#34;", '"')
        assert f"as \u201c{entries[slug]['name_2019']}\u201d" in said
        if build == "current":
            assert entries[slug]["name"] in said  # today's name, given apart
        else:
            assert "2026" not in said


# Claims the rows carry ----------------------------------------------------------------------


def test_a_benchmark_is_not_counted_as_a_supplier():
    named = {r["Company"]: r for r in rows(SITE, "charts/us-suppliers-named.csv")}
    benchmarks = [r for r in rows(SITE, "data/suppliers.csv") if r["relation"] == "benchmark"]
    assert benchmarks
    for row in benchmarks:
        company = row["company"].replace("iflytek", "iFlytek")
        assert row["supplier_key"] not in (named.get(company, {}).get("Which") or "")


def test_the_supplier_chart_gives_each_rows_source():
    named = rows(SITE, "charts/us-suppliers-named.csv")
    suppliers = rows(SITE, "data/suppliers.csv")
    for row in named:
        if not row["US suppliers named"]:
            continue
        given = set(row["Sources"].split("; "))
        assert given, row["Company"]
        assert given <= {s["source_url"] for s in suppliers}


def test_the_story_makes_no_claim_its_rows_do_not_carry(story):
    assert "filings named" not in story
    assert "surveillance cameras, voice and face recognition" not in story
    for page in pages(SITE):
        headline = re.search(r"<h1[^>]*>(.*?)</h1>", page.read_text("utf-8"), re.S).group(1)
        assert "How exposed" not in headline, page.name
    assert "stood to lose" not in story


def test_the_one_us_market_figure_is_what_it_is():
    (figure,) = rows(SITE, "data/us_share.csv")
    share = words.share(float(figure["share_pct"]))
    said = paragraph_with(SITE / "story.html", figure["market"], share)
    # A share of overseas revenue is said to be one, never a share of all revenue.
    assert f"{share} of its {figure['share_of']}" in said
    # The share of revenue it implies is the desk's own arithmetic, and labelled so.
    assert "comput" in said


# Reporting ---------------------------------------------------------------------------------


def test_the_reactions_at_home_and_abroad_are_reported(story):
    events = rows(SITE, "data/events.csv")
    week = [
        e
        for e in events
        if "2019-10-07" <= e["date"][:10] <= "2019-10-16"
        and e["category"] in ("us_reaction", "china_response", "company", "trade_talks")
    ]
    assert {e["category"] for e in week} >= {"us_reaction", "trade_talks", "company"}
    for event in week:
        assert words.text(event["event"]) in story, event["event"]
    # Companies' statements after the first day are there too.
    assert any(e["date"][:10] > "2019-10-09" and e["category"] == "company" for e in week)


# The as-of view speaks of its own day ------------------------------------------------------


def test_the_as_of_site_looks_past_its_day_nowhere(as_of_site):
    for page in pages(as_of_site):
        text = visible_text(page)
        markup = page.read_text("utf-8")
        assert "not public" not in markup, page.name
        assert "grown since" not in text, page.name
        assert "from 2023" not in markup, page.name
        assert 'href="entities.html"' not in markup, page.name
        assert "The week of the listing" not in text, page.name


def test_no_download_is_empty(as_of_site):
    for site in (SITE, as_of_site):
        for download in sorted((site / "data").glob("*.csv")):
            assert len(download.read_text("utf-8").splitlines()) > 1, download


@pytest.mark.parametrize("build", ["current", "as-of"])
def test_no_section_is_empty(build, as_of_site):
    site = SITE if build == "current" else as_of_site
    for page in pages(site):
        markup = page.read_text("utf-8")
        assert '<p class="empty"></p>' not in markup, page.name
        bare = re.search(r"<section>\s*<h2>([^<]*)</h2>\s*</section>", markup)
        assert bare is None, (page.name, bare and bare.group(1))
