"""What notebooks put on a page: prose, header, sections, reader tables, timelines, downloads.

Expected formats come from the house style (shared/docs/house-style.md: "Oct. 9, 2019",
"CNY 49.8bn", whole numbers unless a decimal matters) and the editorial checklist (tables
speak English: plain headers, no True/False, no empty tables).
"""

import datetime as dt
import re

import lxml.html
import numpy as np
import pandas as pd
import pytest

from entitylist import story, words
from entitylist.errors import WordsError

HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def cells(markup: str) -> list[list[str]]:
    """The text of each body row's cells, tags removed."""
    tree = lxml.html.fragment_fromstring(markup, create_parent="div")
    return [[td.text_content() for td in tr.xpath("td")] for tr in tree.xpath(".//tbody/tr")]


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        ("2019-10-09", "Oct. 9, 2019"),
        ("2016-03-08", "March 8, 2016"),
        ("2020-09-22", "Sept. 22, 2020"),
        ("2021-06-03", "June 3, 2021"),
    ],
)
def test_long_date_uses_house_months(day, expected):
    assert words.long_date(day) == expected


@pytest.mark.parametrize(
    ("value", "expected"), [(49840, "CNY 49.8bn"), (949, "CNY 949m"), (1426.9, "CNY 1.4bn")]
)
def test_money_in_house_style(value, expected):
    assert words.money(value) == expected


def test_say_fills_values_after_the_reporters_markdown():
    paragraph = story.say(
        "The **rule** named {{ name }} on {{ day|long_date }}.",
        name=HOSTILE,
        day=pd.Timestamp("2019-10-09"),
    ).markup
    assert "<strong>rule</strong>" in paragraph
    assert "Oct. 9, 2019" in paragraph
    assert "<script>" not in paragraph
    assert "<img" not in paragraph
    assert "&lt;script&gt;" in paragraph


def test_say_never_turns_data_into_links_or_images():
    paragraph = story.say("Partner: {{ p }}.", p="[click me](https://evil.example/) ![pic](x)")
    assert "<a " not in paragraph.markup
    assert "<img" not in paragraph.markup
    assert "[click me](https://evil.example/) ![pic](x)" in paragraph.markup


def test_say_refuses_a_missing_value_naming_it():
    with pytest.raises(WordsError, match="'count' is undefined"):
        story.say("There were {{ count }} rules.")


def test_say_points_old_placeholders_to_the_new_syntax():
    with pytest.raises(
        WordsError, match=r"\{count\} is the old placeholder; write \{\{ count \}\}"
    ):
        story.say("It read {count} words.", count=2)
    assert "It read 2 words." in story.say("It read {{ count }} words.", count=2).markup


def test_header_records_the_page_title_summary_and_card():
    header = story.header("Headline & more", "Dek <i>", "2019-10-09", image="rules-over-time")
    markup, meta = header._repr_html_()
    assert "<h1>Headline &amp; more</h1>" in markup
    assert "Dek &lt;i&gt;" in markup
    assert 'Data as of <time datetime="2019-10-09">Oct. 9, 2019</time>' in markup
    assert "By the TechNode data desk" in markup
    page = meta["entitylist"]
    assert (page["kind"], page["title"], page["summary"], page["image"]) == (
        "header",
        "Headline & more",
        "Dek <i>",
        "rules-over-time",
    )


def test_section_shows_nothing_without_a_body():
    events = pd.DataFrame({"date": [], "event": []})
    for body in (None, "", "  ", [], [None], story.timeline(events)):
        assert story.section("The week of Oct. 7 to 11", body).markup == ""


def test_section_puts_its_body_under_a_heading():
    markup = story.section("Methods <and> sources", ["**Unknown stays unknown.**"]).markup
    assert "<h2>Methods &lt;and&gt; sources</h2>" in markup
    assert "<strong>Unknown stays unknown.</strong>" in markup
    events = pd.DataFrame({"date": [pd.Timestamp("2019-10-07")], "event": ["Announced"]})
    assert "Oct. 7, 2019" in story.section("The week", story.timeline(events)).markup


@pytest.mark.parametrize("name", ["is_partnership", "source_url", "company", "share pct"])
def test_table_refuses_headers_that_read_like_code(name):
    with pytest.raises(WordsError, match=f"column '{name}'"):
        story.table(pd.DataFrame({name: [1]}), "Ties", empty="None.")


def test_table_refuses_true_and_false_naming_the_column():
    with pytest.raises(WordsError, match="column 'Partnership'.*True/False"):
        story.table(pd.DataFrame({"Partnership": [True, False]}), "Ties", empty="None.")
    frame = pd.DataFrame({"Partnership": pd.array([True, None], dtype="boolean")})
    with pytest.raises(WordsError, match="Partnership"):
        story.table(frame, "Ties", empty="None.")


def test_table_dates_numbers_and_decimals_in_house_style():
    # Hikvision 29.32% overseas in FY2016 and Megvii 4.9% in H1 2019 (data/raw).
    frame = pd.DataFrame(
        {
            "Company": ["Hikvision", "Megvii"],
            "Year": [2016, 2019],
            "Overseas share (%)": [29.32, 4.9],
            "Revenue (CNY m)": [31900.0, 949.0],
            "Period end": ["2016-12-31 00:00:00", "2019-06-30"],
            "Reported": [pd.Timestamp("2017-04-15"), dt.date(2019, 8, 25)],
        }
    )
    assert cells(story.table(frame, "Shares", empty="None.").markup) == [
        ["Hikvision", "2016", "29.32", "31,900", "Dec. 31, 2016", "April 15, 2017"],
        ["Megvii", "2019", "4.90", "949", "June 30, 2019", "Aug. 25, 2019"],
    ]


def test_table_decimals_are_never_finer_than_the_data():
    frame = pd.DataFrame(
        {"Share": [12.0, 3.0], "Index": [np.float64(0.5), 1.25], "Ratio": [1 / 3, 2.0]}
    )
    assert cells(story.table(frame, "X", empty="None.").markup) == [
        ["12", "0.50", "0.333333"],
        ["3", "1.25", "2.000000"],
    ]


def test_table_formats_override_the_defaults():
    frame = pd.DataFrame({"Share": [29.32, 4.9], "Revenue": [49840, 949]})
    markup = story.table(
        frame, "X", empty="None.", formats={"Share": "percent:1", "Revenue": "money"}
    ).markup
    assert cells(markup) == [["29.3%", "CNY 49.8bn"], ["4.9%", "CNY 949m"]]
    with pytest.raises(WordsError, match="formats name no column: Shares"):
        story.table(frame, "X", empty="None.", formats={"Shares": "percent"})
    with pytest.raises(WordsError, match="column 'Share': unknown format 'percentage'"):
        story.table(frame, "X", empty="None.", formats={"Share": "percentage"})


@pytest.mark.parametrize("missing", [None, float("nan"), pd.NA, pd.NaT])
def test_table_missing_values_read_not_stated(missing):
    frame = pd.DataFrame({"Company": ["Yitu", "Megvii"], "Share": [missing, 4.9]}, dtype=object)
    markup = story.table(frame, "Shares", empty="None.").markup
    assert '<span class="unknown">not stated</span>' in markup
    assert cells(markup) == [["Yitu", "not stated"], ["Megvii", "4.9"]]


def test_table_links_sources_and_labels_copies():
    frame = pd.DataFrame(
        {
            "Source": [
                story.Link('https://www.reuters.com/a?b="x"&c=<d>', "reuters.com"),
                [
                    story.Link("https://www.ft.com/content/1", "ft.com"),
                    story.Link(
                        "https://mirror.example/1", "mirror.example", "copy of a Reuters report"
                    ),
                ],
                story.Link("javascript:alert(1)", "not a link"),
                story.Link("data/events.csv", "events.csv"),
            ]
        }
    )
    markup = story.table(frame, "Sources", empty="None.").markup
    assert (
        '<a href="https://www.reuters.com/a?b=&#34;x&#34;&amp;c=&lt;d&gt;">reuters.com</a>'
        in markup
    )
    assert '<span class="note">(copy of a Reuters report)</span>' in markup
    assert "javascript:" not in markup
    assert 'data-label="Source">not a link</td>' in markup
    assert '<a href="data/events.csv">events.csv</a>' in markup


def test_an_empty_table_is_a_sentence_not_a_header_without_rows():
    markup = story.table(pd.DataFrame({"Supplier": []}), "Suppliers", empty="None named.").markup
    assert "<table" not in markup
    assert markup == '<p class="empty">None named.</p>'


def test_a_table_scrolls_in_a_focusable_box_named_by_its_caption():
    markup = story.table(pd.DataFrame({"Company": ["Dahua"]}), "Ties <b>", empty="None.").markup
    box = re.search(
        r'<div class="table-wrap" tabindex="0" role="region" aria-labelledby="([^"]+)">', markup
    )
    assert box is not None
    assert f'<caption id="{box.group(1)}"><span>Ties &lt;b&gt;</span></caption>' in markup


def test_every_cell_is_labelled_with_its_column_for_phones():
    frame = pd.DataFrame({"Company": ["Dahua", "Yitu"], "Entries": [8, None]})
    tree = lxml.html.fragment_fromstring(
        story.table(frame, "X", empty="None.").markup, create_parent="div"
    )
    labels = [[td.get("data-label") for td in tr.xpath("td")] for tr in tree.xpath(".//tbody/tr")]
    assert labels == [["Company", "Entries"], ["Company", "Entries"]]


def test_numbers_align_right_unless_told_otherwise():
    frame = pd.DataFrame({"Company": ["Dahua"], "Entries": [8]})
    assert (
        'data-label="Entries" class="num">8</td>' in story.table(frame, "X", empty="None.").markup
    )
    markup = story.table(frame, "X", empty="None.", numeric=["Company"]).markup
    assert 'data-label="Company" class="num">Dahua</td>' in markup
    assert 'data-label="Entries">8</td>' in markup


def test_table_escapes_text_from_data():
    markup = story.table(pd.DataFrame({"Name": [HOSTILE]}), "X", empty="None.").markup
    assert "<script>" not in markup
    assert "&lt;script&gt;" in markup


def test_timeline_lists_events_with_flags_and_sources():
    events = pd.DataFrame(
        {
            "date": [pd.Timestamp("2019-10-07"), pd.Timestamp("2019-10-08")],
            "event": ["Commerce announces the rule", HOSTILE],
            "date_kind": ["stated", "report date"],
            "source": [
                story.Link("https://www.federalregister.gov/d/2019-22210", "federalregister.gov"),
                None,
            ],
        }
    )
    markup = story.timeline(events).markup
    assert '<time datetime="2019-10-07">Oct. 7, 2019</time></span>Commerce announces' in markup
    assert '<span class="date-kind">(date of report)</span>' in markup
    assert markup.count('<span class="date-kind">') == 1
    assert (
        '<a href="https://www.federalregister.gov/d/2019-22210">federalregister.gov</a>' in markup
    )
    assert "&lt;script&gt;" in markup


def test_an_empty_timeline_shows_its_sentence_or_nothing():
    none = pd.DataFrame({"date": [], "event": []})
    assert story.timeline(none).markup == ""
    assert story.timeline(none, empty="No later events.").markup == (
        '<p class="empty">No later events.</p>'
    )


def test_downloads_link_each_file_and_vanish_when_empty():
    markup = story.downloads([story.Link("data/rules.csv", "rules.csv")], heading="Data").markup
    assert "<h2>Data</h2>" in markup
    assert '<a href="data/rules.csv" download>rules.csv</a>' in markup
    assert story.downloads([]).markup == ""


def test_skip_page_names_its_reason():
    markup, meta = story.skip_page("the date is before the data")._repr_html_()
    assert meta["entitylist"] == {
        "kind": "skip",
        "figures": [],
        "reason": "the date is before the data",
    }
    assert "the date is before the data" in markup


@pytest.mark.parametrize(
    ("href", "target"),
    [
        ("https://www.reuters.com/x", "https://www.reuters.com/x"),
        ("company-dahua.html", "company-dahua.html"),
        ("javascript:alert(1)", None),
        ("data:text/html,x", None),
        ("//evil.example/", None),
        ("", None),
    ],
)
def test_only_http_and_relative_links_link(href, target):
    assert story.Link(href, "x").target == target


def test_source_link_names_the_publisher_and_labels_copies():
    link = story.source_link("https://ndtvprofit.com/business/us-adds-eight")
    assert (link.text, link.note) == ("Reuters, via NDTV Profit", None)
    # A host the registry does not grade reads as itself (cleaning refuses it in the data).
    assert story.source_link("https://reuters.example/article/1").text == "reuters.example"
    assert story.source_link(None) is None
    assert story.source_link("not a url") is None
    assert story.source_link("javascript://x") is None
