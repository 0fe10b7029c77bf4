"""The publication guard refuses, in any file bound for site/, what may not be published."""

import datetime as dt
import re
from pathlib import Path

import pytest

from entitylist.errors import GuardError
from entitylist.pages import guard

CLEAN_PAGE = (
    "<html><body><main><h1>Title</h1><p>Of the 28 entries, 20 are Xinjiang bodies. "
    "Hikvision earned about 30% abroad in FY 2018, Reuters reported.</p>"
    "<ol><li><time>Oct. 9, 2019</time>The rule took effect.</li></ol>"
    "<table><tr><td>2019</td><td>28</td></tr></table></main></body></html>"
)


def site_with(tmp_path: Path, name: str, text: str) -> Path:
    """A site folder holding a clean page and one file under test."""
    site = tmp_path / "site"
    (site / "data").mkdir(parents=True)
    (site / "index.html").write_text(CLEAN_PAGE, encoding="utf-8")
    (site / name).write_text(text, encoding="utf-8")
    return site


def test_a_clean_site_passes_every_check(tmp_path: Path):
    site = site_with(tmp_path, "data/table.csv", "year,entries\n2019,28\n")
    assert guard.check_site(site, as_of=dt.date(2019, 10, 9)) == 2


def test_the_pack_marks_what_is_withheld():
    withheld = guard.withheld_values()
    names = [w.what for w in withheld if w.text]
    # The pack's three guesses that the list does not confirm (shared/data/README.md).
    assert "Kizilsu Kyrgyz Autonomous Prefecture Public Security Bureau" in names
    assert "Xinjiang Production and Construction Corps Public Security Bureau" in names
    figures = [w.what for w in withheld if w.why == "a figure the source pack marks unverified"]
    assert figures == ["Hikvision H1-2019 overseas_share_pct 30"]
    # The names the rules table doubts, beside their rules.
    doubted = [w.what for w in withheld if w.why == "a name the source pack does not verify"]
    assert doubted == ["Sugon", "Higon", "NetPosa"]


def test_a_candidate_name_in_a_download_is_refused(tmp_path: Path):
    site = site_with(
        tmp_path,
        "data/entries.csv",
        "entry_no,name\n11,Kizilsu Kyrgyz Autonomous Prefecture Public Security Bureau\n",
    )
    with pytest.raises(
        GuardError, match=r"site/data/entries\.csv: shows 'Kizilsu .*candidate name"
    ):
        guard.check_site(site)


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("story.html", "<p>Hikvision earned around 30% of its revenue abroad in H1 2019.</p>"),
        ("charts/x.svg", '<svg><path aria-label="Hikvision, H1 2019: 30% (unknown)"/></svg>'),
        ("charts/x.csv", "company,period,share_pct\nHikvision,H1 2019,30.0\n"),
    ],
    ids=["prose", "chart label", "chart data"],
)
def test_an_unverified_figure_is_refused_wherever_it_appears(tmp_path: Path, name: str, text: str):
    (tmp_path / "site" / "charts").mkdir(parents=True)
    site = site_with(tmp_path, name, text)
    with pytest.raises(GuardError, match=rf"site/{name}: shows 'Hikvision H1-2019 .*unverified"):
        guard.check_site(site)


def test_the_wrong_citation_is_never_published(tmp_path: Path):
    site = site_with(tmp_path, "data/list.csv", "name,cited\nAltay,84 FR 54004\n")
    with pytest.raises(GuardError, match=r"site/data/list\.csv: shows '84 FR 54004'"):
        guard.check_site(site)


def test_an_as_of_view_refuses_a_later_date_in_pages_and_downloads(tmp_path: Path):
    site = site_with(tmp_path, "data/f.csv", "period,known_since\nFY 2018,2021-08-31\n")
    with pytest.raises(
        GuardError, match=r"as-of view of 2019-10-09 shows a later date, '2021-08-31'"
    ):
        guard.check_site(site, as_of=dt.date(2019, 10, 9))
    (site / "data" / "f.csv").unlink()
    (site / "p.html").write_text("<p>Trade talks opened on Oct. 10, 2019.</p>", encoding="utf-8")
    with pytest.raises(GuardError, match="later date, 'Oct. 10, 2019'"):
        guard.check_site(site, as_of=dt.date(2019, 10, 9))
    # The newest view may show any date.
    assert guard.check_site(site)


@pytest.mark.parametrize(
    "prose",
    [
        "<p>20 of the 28 entries are Xinjiang bodies.</p>",
        "<li>It was listed. 2024 holds rules with unknown counts.</li>",
        "<figcaption>Bar chart. 3 companies have no figure.</figcaption>",
    ],
)
def test_a_sentence_may_not_start_with_a_numeral(tmp_path: Path, prose: str):
    site = site_with(tmp_path, "p.html", prose)
    with pytest.raises(GuardError, match="a sentence starts with a numeral"):
        guard.check_site(site)


def test_a_date_or_another_figure_is_not_taken_for_the_withheld_value(tmp_path: Path):
    # Hikvision's H1 2019 revenue row ends its period on 2019-06-30: a stated, published figure.
    row = "hikvision,H1 2019,H1,2019,2019-01-01,2019-06-30,total_revenue,23923.0\n"
    site = site_with(tmp_path, "data/financials.csv", "company,period\n" + row)
    assert guard.check_site(site) == 2


@pytest.mark.parametrize(
    ("name", "text", "host"),
    [
        (
            "story.html",
            '<p>A <a href="https://diagram-homepage-test-a.netlify.app/x">mirror</a> said so.</p>',
            "*.netlify.app",
        ),
        (
            "data/suppliers.csv",
            "company,source_url\nhikvision,https://w.owiki.org/wiki/Movidius\n",
            "w.owiki.org",
        ),
        (
            "data/rules.csv",
            "rule_id,source_urls\n2025-05426,https://www.americanfaith.com/x\n",
            "americanfaith.com",
        ),
        (
            "charts/x.csv",
            "source\nwordp-appli-1.ap-south-1.elb.amazonaws.com/x\n",
            "*.elb.amazonaws.com",
        ),
    ],
    ids=["linked in a page", "named in a download", "a partisan outlet", "bare in a chart file"],
)
def test_a_file_citing_an_unpublishable_host_is_refused(tmp_path: Path, name, text, host):
    (tmp_path / "site" / "charts").mkdir(parents=True)
    site = site_with(tmp_path, name, text)
    with pytest.raises(
        GuardError, match=rf"site/{name}: cites .*unpublishable \({re.escape(host)}"
    ):
        guard.check_site(site)


def test_a_host_that_only_resembles_an_unpublishable_one_passes(tmp_path: Path):
    text = (
        "<p>The Epoch Times is not cited; see <a href='https://www.notw.owiki.org.example/'>x"
        "</a> and https://netlify.app.example.com/.</p>"
    )
    site = site_with(tmp_path, "p.html", text)
    assert guard.check_site(site) == 2


# Claims the pack's README lists as not found, each as a page or a download might print it.
NOT_FOUND = [
    "<p>Geng called the US claims fact-distorting gibberish.</p>",
    "<p>Sen. Ted Cruz called the listing an excellent step forward.</p>",
    "<p>Yitu said it would appeal to the Commerce Department.</p>",
    "<p>Megvii said the listing was a misunderstanding.</p>",
    "<li>Rutgers University ended its partnership with iFlytek.</li>",
    "<p>MIT began reviewing its iFlytek ties in June 2019.</p>",
    "<p>Hikvision made about 30 per cent of its sales abroad in the first half of 2019.</p>",
]
# Legitimate sentences near each claim (from the pack's own rows): they must pass.
LEGITIMATE = [
    "<p>Geng said the US accusations were 'distorting black and white, utter nonsense'.</p>",
    "<p>Sen. Marco Rubio backed the additions.</p>",
    "<p>Yitu's STAR Market IPO review is suspended because its financial information expired.</p>",
    "<p>Hikvision and SenseTime called it a misunderstanding; Megvii said it lacks any basis.</p>",
    "<p>The claim that Rutgers cut ties with iFlytek was not found in any source.</p>",
    "<p>MIT says it will review all relationships with newly listed organisations.</p>"
    "<p>Reuters reported on June 13, 2019 that MIT had research partnerships with iFlytek.</p>",
    "<p>Hikvision's overseas share was nearly 30% in FY 2018.</p>",
]


@pytest.mark.parametrize("prose", NOT_FOUND, ids=[f"claim-{i}" for i in range(len(NOT_FOUND))])
def test_a_claim_no_source_carries_is_refused(tmp_path: Path, prose: str):
    site = site_with(tmp_path, "story.html", prose)
    with pytest.raises(GuardError, match=r"site/story\.html: shows .*not found in any source"):
        guard.check_site(site)


@pytest.mark.parametrize("prose", LEGITIMATE, ids=[f"legit-{i}" for i in range(len(LEGITIMATE))])
def test_legitimate_text_near_a_claim_passes(tmp_path: Path, prose: str):
    site = site_with(tmp_path, "story.html", prose)
    assert guard.check_site(site) == 2


def test_every_claim_of_the_list_is_tested_both_ways():
    from entitylist import config

    claims = [c.claim for c in config.not_found()]
    assert len(claims) == len(NOT_FOUND) == len(LEGITIMATE)
    withheld = {w.what for w in guard.withheld_values()}
    assert set(claims) <= withheld


def test_names_the_pack_doubts_are_refused_and_the_same_names_elsewhere_pass(tmp_path: Path):
    row = "rule_id,notable_entities\n2019-13245,five supercomputing entities (brief cites Sugon)\n"
    site = site_with(tmp_path, "data/rules.csv", row)
    with pytest.raises(GuardError, match="site/data/rules.csv: shows .*does not verify"):
        guard.check_site(site)
    row = "rule_id,notable_entities\n2020-10868,eight Chinese companies; NetPosa\n"
    (site / "data" / "rules.csv").write_text(row, encoding="utf-8")
    with pytest.raises(GuardError, match="shows 'NetPosa' .*does not verify"):
        guard.check_site(site)
    # NetPosa is on the list in its own right: its row of the list is published.
    (site / "data" / "rules.csv").write_text("entry_id,name\n3179,NetPosa\n", encoding="utf-8")
    assert guard.check_site(site) == 2


@pytest.mark.parametrize(
    ("row", "found"),
    [
        # entity_list.csv as published before issue 15: the text masked, the rest kept.
        (
            "3171,Nanjing FiberHome Starrysky Communication Development Co.,"
            "[citation withheld: wrong on the list],84,54004,2019\n",
            "row 2 gives volume 84 and page 54004",
        ),
        ("3179,NetPosa,[citation withheld: wrong on the list],,,2019\n", "row 2 dates 'NetPosa'"),
        ("3171,1,[citation withheld],84.0,54004.0,2019\n", "row 2 gives volume 84"),
    ],
    ids=["volume and page", "year of a miscited entry", "as floats"],
)
def test_the_wrong_citation_in_columns_of_its_own_is_refused(tmp_path: Path, row, found):
    header = "entry_id,name,first_citation,first_volume,first_page,first_year\n"
    site = site_with(tmp_path, "data/entity_list.csv", header + row)
    with pytest.raises(GuardError, match=rf"site/data/entity_list\.csv: {found}"):
        guard.check_site(site)


def test_the_rules_own_entries_keep_their_year_and_other_entries_theirs(tmp_path: Path):
    rows = (
        "entry_id,name,first_citation,first_volume,first_page,first_year\n"
        "2882,Altay Municipality Public Security Bureau,84 FR 54002,84,54002,2019\n"
        "3179,NetPosa,[citation withheld: wrong on the list],,,\n"
        "3050,FiberHome Technologies Group,85 FR 34505,85,34505,2020\n"
    )
    site = site_with(tmp_path, "data/entity_list.csv", rows)
    assert guard.check_site(site) == 2
    assert guard.miscited_names() == {
        "Nanjing FiberHome Starrysky Communication Development Co.",
        "NetPosa",
        "SenseNets",
    }


@pytest.mark.parametrize(
    "name", ["p.html", "data/t.csv", "charts/x.vl.json", "charts/x.svg", "changes.txt"]
)
def test_every_kind_of_published_file_is_read(tmp_path: Path, name: str):
    # The finding: with .json dropped from the checked kinds, the chart data (.vl.json) was
    # no longer read, and no test noticed.
    (tmp_path / "site" / "charts").mkdir(parents=True)
    site = site_with(tmp_path, name, '{"cited": "84 FR 54004"}')
    with pytest.raises(GuardError, match=rf"site/{name}: shows '84 FR 54004'"):
        guard.check_site(site)


def test_files_no_reader_reads_as_text_are_not_counted(tmp_path: Path):
    site = site_with(tmp_path, "card.png", "84 FR 54004")
    assert guard.check_site(site) == 1


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("On 2019-10-09 and 2019-02-30.", [(dt.date(2019, 10, 9), "2019-10-09")]),
        # An impossible date does not hide the dates after it.
        ("2019-02-30, then 2019-10-10", [(dt.date(2019, 10, 10), "2019-10-10")]),
        ("June 31, 2020, then Oct. 10, 2019", [(dt.date(2019, 10, 10), "Oct. 10, 2019")]),
        ("Sept. 3, 2020 and June 31, 2020", [(dt.date(2020, 9, 3), "Sept. 3, 2020")]),
        ("May 1, 2021", [(dt.date(2021, 5, 1), "May 1, 2021")]),
        (
            "Dec. 31, 2025, then 2026-01-01",
            [(dt.date(2026, 1, 1), "2026-01-01"), (dt.date(2025, 12, 31), "Dec. 31, 2025")],
        ),
    ],
)
def test_dates_are_read_in_both_spellings_and_impossible_ones_skipped(text, found):
    assert guard.dates_in(text) == found


@pytest.mark.parametrize(
    "prose",
    [
        "<p>It was listed on Oct. 9, 2019 with 28 entries.</p>",
        "<p>See No. 182 of the register.</p>",
        "<li><time>2019-10-09</time> The rule took effect.</li>",
        "<p>Of the 28, twenty are bureaus. It has 3 names.</p>",
        "<div>20 entries.</div>",
    ],
)
def test_a_numeral_after_an_abbreviation_a_time_or_inside_a_sentence_is_allowed(prose: str):
    assert guard.sentence_numerals(prose) == []


def test_the_sentence_with_the_numeral_is_quoted():
    text = "<h2>A long opening clause ends here. 2024 holds rules of unknown count, and more.</h2>"
    (bad,) = guard.sentence_numerals(text)
    # Twenty characters before the numeral, forty from it.
    assert bad == "g clause ends here. 2024 holds rules of unknown count, and m"


def test_a_file_is_read_in_units_of_its_kind():
    assert guard.units("a,b\nc,d\n", ".csv") == ["a,b", "c,d"]
    assert guard.units("One clause; another. Next one", ".txt") == [
        "One clause",
        "another",
        "Next one",
    ]
    html = '<p>First</p><svg aria-label="Hikvision &amp; co"></svg>'
    assert "Hikvision & co" in guard.units(html, ".html")
    assert "First" in guard.units(html, ".svg")


def test_an_unverified_figure_needs_company_period_and_value_in_one_unit():
    unverified = "a figure the source pack marks unverified"
    (figure,) = [w for w in guard.withheld_values() if w.why == unverified]
    assert figure.found_in("Hikvision H1 2019 30%")
    assert figure.found_in("hikvision, H1-2019: 30.0")
    assert not figure.found_in("Hikvision H1 2019 31%")
    assert not figure.found_in("Hikvision FY 2019 30%")
    assert not figure.found_in("Dahua H1 2019 30%")
    assert not figure.found_in("Hikvision H1 2019 130%")
    (name, *_) = [w for w in guard.withheld_values() if w.text]
    assert name.found_in(f"x {name.text.upper()} y")


def test_a_file_with_a_byte_that_is_not_utf8_is_still_read_and_refused(tmp_path: Path):
    # A stray byte must not stop the check (or the render) before the file is read.
    site = site_with(tmp_path, "data/t.csv", "")
    (site / "data" / "t.csv").write_bytes(b"name,cited\n\xff Altay,84 FR 54004\n")
    with pytest.raises(GuardError, match=r"site/data/t\.csv: shows '84 FR 54004'"):
        guard.check_site(site)
    (site / "data" / "t.csv").write_bytes(b"name,cited\n\xff Altay,84 FR 54002\n")
    assert guard.check_site(site) == 2


def test_the_quick_host_test_folds_every_character_the_search_takes_for_a_letter():
    # Every character beyond ASCII that re.IGNORECASE matches with a host name's letters,
    # found by re itself: the quick test may never miss a host the pattern would find.
    beyond = "".join(chr(c) for c in range(128, 0x110000) if not 0xD800 <= c < 0xE000)
    taken = set(re.findall(r"[a-z0-9._-]", beyond, re.IGNORECASE))
    assert taken == {chr(c) for c in guard.ASCII_FOLDS}
    for char in taken:
        assert re.fullmatch(char.translate(guard.ASCII_FOLDS), char, re.IGNORECASE)


@pytest.mark.parametrize("host", ["x.netl\u0131fy.app", "x.NETLIFY.APP", "x.netl\u0130fy.app"])
def test_a_host_spelled_with_letters_the_search_folds_is_still_refused(tmp_path: Path, host):
    site = site_with(tmp_path, "story.html", f'<p>A <a href="https://{host}/">mirror</a>.</p>')
    with pytest.raises(GuardError, match=r"unpublishable \(\*\.netlify\.app"):
        guard.check_site(site)


def test_a_file_is_ruled_out_only_by_a_part_that_cannot_depend_on_its_unit_ending():
    value = guard.Withheld("x", "y", together=(r"\ASugon", r"(?<!\s)Higon", r"\brules?\b"))
    # Joined one unit a line, the anchored parts would not be found; they are not used.
    assert value.found_in("Sugon/Higon rule")
    assert value.possible_in("before\nSugon/Higon rule")
    # A part that cannot depend on where its unit ends rules the file out.
    assert not value.possible_in("before\nSugon/Higon")
    # A plain text value is looked for in the joined units as it is in each.
    assert not guard.Withheld("x", "y", text="NetPosa").possible_in("Netposx\nSugon")
    assert guard.Withheld("x", "y", text="NetPosa").possible_in("a\nnetposa b")


def test_a_table_of_only_volume_and_page_is_read_too():
    # A download cut to the citation's two columns still gives the wrong citation.
    found = guard.wrong_citation_row("volume,page\n84,54004\n", frozenset())
    assert found is not None
    assert "row 2" in found
    assert guard.wrong_citation_row("volume,page\n84,54003\n", frozenset()) is None


@pytest.mark.parametrize(
    "prose",
    [
        "<p><strong>28</strong> entries were added.</p>",
        "<li><time>Oct. 9, 2019</time> 28 entries were added.</li>",
        "<p>See Oct. 10 for the rule. 28 entries were added.</p>",
    ],
    ids=["after a tag", "after a time", "after an abbreviation earlier in the block"],
)
def test_a_numeral_opening_a_sentence_is_found_past_tags_times_and_abbreviations(prose: str):
    (bad,) = guard.sentence_numerals(prose)
    assert "28 entries" in bad


def test_an_abbreviation_in_brackets_is_still_one():
    assert guard.sentence_numerals("<p>It was listed (No. 182 on the list) in 2019.</p>") == []


def test_a_text_or_json_file_is_read_line_by_line_not_as_one_block():
    unverified = "a figure the source pack marks unverified"
    (figure,) = [w for w in guard.withheld_values() if w.why == unverified]
    # The company and period on one line, the value on the next, state no figure.
    text = "Hikvision H1 2019 overseas share: see the filing\n30% of revenue came from abroad\n"
    for suffix in (".txt", ".json"):
        assert not any(figure.found_in(unit) for unit in guard.units(text, suffix))
    assert any(figure.found_in(unit) for unit in guard.units(text, ".html"))


def test_a_wildcard_host_covers_hosts_under_it_only_and_any_case_is_read():
    hosts = guard.unpublishable_hosts()
    assert hosts["*.netlify.app"].search("https://desk-preview.netlify.app/x")
    # "*.netlify.app" names the hosts under it, not the platform's own site.
    assert not hosts["*.netlify.app"].search("https://netlify.app/pricing")
    assert hosts["theepochtimes.com"].search("HTTPS://WWW.THEEPOCHTIMES.COM/A")


def test_only_the_files_named_are_checked(tmp_path: Path):
    site = site_with(tmp_path, "data/list.csv", "name,cited\nAltay,84 FR 54004\n")
    # A render that rebuilt only the clean page checks only it...
    assert guard.check_site(site, only={"index.html"}) == 1
    # ... and one that rebuilt the download checks it, by its path under site/.
    with pytest.raises(GuardError, match=r"site/data/list\.csv"):
        guard.check_site(site, only={"data/list.csv"})
    # Nothing to check is nothing checked.
    assert guard.check_site(site, only=set()) == 0
    assert guard.check_site(tmp_path / "empty") == 0


def test_one_file_is_checked_against_the_desks_unpublishable_hosts_by_default(tmp_path: Path):
    key = next(iter(guard.unpublishable_hosts()))
    link = f"https://www.{key.removeprefix('*.')}/story"
    site = site_with(tmp_path, "p.html", f"<p>Hikvision, as <a href='{link}'>reported</a>.</p>")
    withheld = guard.withheld_values()
    with pytest.raises(GuardError, match=re.escape(key)):
        guard.check_file(site / "p.html", site, withheld, None)
    # The hosts a caller passes are the ones checked.
    guard.check_file(site / "p.html", site, withheld, None, hosts={})
