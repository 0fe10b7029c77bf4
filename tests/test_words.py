"""Words filled from data: house formats, strictness about unknowns, and markup safety."""

import datetime as dt

import pandas as pd
import pytest

from entitylist import words
from entitylist.errors import WordsError


def test_house_formats():
    assert words.fill("{{ day|long_date }}", day=pd.Timestamp("2019-10-09")) == "Oct. 9, 2019"
    assert words.fill("{{ day|long_date }}", day=dt.date(2017, 9, 1)) == "Sept. 1, 2017"
    assert words.fill("{{ n|number }} firms", n=8) == "eight firms"
    assert words.fill("{{ n|number }} entries", n=1104) == "1,104 entries"
    assert words.fill("{{ v|money }}", v=49837.0) == "CNY 49.8bn"
    assert words.fill("{{ v|money }}", v=948.6) == "CNY 949m"
    assert words.fill("{{ p|percent }}", p=29.32) == "29%"
    assert words.fill("{{ p|percent(1) }}", p=4.9) == "4.9%"
    assert words.fill("{{ names|and_list }}", names=["Dahua", "Hikvision", "Yitu"]) == (
        "Dahua, Hikvision and Yitu"
    )
    assert words.fill("{{ n }} {{ 'rule'|plural(n) }}", n=1) == "1 rule"
    assert words.fill("{{ n }} {{ 'rule'|plural(n) }}", n=12) == "12 rules"


def test_printed_values_read_as_prose_by_default():
    assert words.fill("{{ n }}", n=3420) == "3,420"
    assert words.fill("{{ x }}", x=4.90) == "4.9"
    assert words.fill("{{ d }}", d=pd.Timestamp("2016-03-08")) == "March 8, 2016"
    assert words.fill("{{ xs }}", xs=["a", "b"]) == "a and b"


@pytest.mark.parametrize("missing", [None, float("nan"), pd.NA, pd.NaT])
def test_a_missing_value_cannot_be_printed(missing):
    with pytest.raises(WordsError, match="missing value"):
        words.fill("Overseas share: {{ share }}%", share=missing)
    # The template decides what an unknown reads as.
    template = "{% if share is unknown %}not stated{% else %}{{ share }}%{% endif %}"
    assert words.fill(template, share=missing) == "not stated"
    assert words.fill(template, share=4.9) == "4.9%"


def test_a_boolean_cannot_be_printed():
    with pytest.raises(WordsError, match="True/False"):
        words.fill("{{ flag }}", flag=True)


def test_unknown_names_and_bad_syntax_name_the_template():
    with pytest.raises(WordsError, match=r"'Known China additions.*'peak_year' is undefined"):
        words.fill("Known China additions peaked in {{ peak_year }}", peak=2023)
    with pytest.raises(WordsError, match="line 1"):
        words.fill("{% if x %}unclosed", x=1)


def test_conditional_clauses_fold_into_one_line():
    template = """Hollow points are estimates.
    {% if definitions > 1 %}
    Hikvision reports {{ definitions|number }} definitions.
    {% endif %}"""
    assert words.fill(template, definitions=2) == (
        "Hollow points are estimates. Hikvision reports two definitions."
    )
    assert words.fill(template, definitions=1) == "Hollow points are estimates."


@pytest.mark.parametrize(
    "hostile",
    [
        "[click me](https://evil.example/)",
        "![pic](x)",
        "<script>window.__pwned = 1</script>",
        "**bold** _it_ `code`",
        "# Heading",
        "a\n\n- list item",
    ],
)
def test_data_never_adds_markup_to_prose(hostile):
    page = words.markdown("The partner is {{ partner }}.", partner=hostile)
    assert page.startswith("<p>The partner is ")
    for tag in ("<a ", "<img", "<script", "<strong", "<em", "<code", "<h1", "<li"):
        assert tag not in page
    # The reader sees exactly the text the data holds.
    import html

    assert html.escape(hostile) in page


def test_the_reporters_own_markdown_still_renders():
    page = words.markdown(
        "**{{ n }} entries** were added. See [the timeline](timeline.html).\n\n- one\n- two",
        n=28,
    )
    assert "<strong>28 entries</strong>" in page
    assert '<a href="timeline.html">the timeline</a>' in page
    assert "<li>one</li>" in page


def test_values_in_link_targets_are_quoted_and_checked():
    page = words.markdown("[Profile](company-{{ slug }}.html)", slug="meiya-pico")
    assert '<a href="company-meiya-pico.html">Profile</a>' in page
    page = words.markdown("[Profile](company-{{ slug }}.html)", slug='x" onclick="evil')
    assert '<a href="company-x%22%20onclick=%22evil.html">Profile</a>' in page
    with pytest.raises(WordsError, match="http"):
        words.markdown("[Source]({{ url }})", url="javascript:alert(1)")
