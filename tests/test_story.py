"""Words on the page: house formats, computed prose, and escaping of anything from data."""

import pandas as pd
import pytest

from entitylist import story

HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>'


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
    assert story.long_date(day) == expected


@pytest.mark.parametrize(
    ("value", "expected"), [(49840, "CNY 49.8bn"), (949, "CNY 949m"), (1426.9, "CNY 1.4bn")]
)
def test_money_in_house_style(value, expected):
    assert story.money(value) == expected


def test_small_numbers_are_spelled_out():
    assert story.number(8) == "eight"
    assert story.number(28) == "28"


def test_say_escapes_values_but_renders_the_reporters_markdown():
    paragraph = story.say("The **rule** named {name}.", name=HOSTILE).markup
    assert "<strong>rule</strong>" in paragraph
    assert "<script>" not in paragraph
    assert "<img" not in paragraph
    assert "&lt;script&gt;" in paragraph


def test_say_refuses_a_missing_value():
    with pytest.raises(KeyError, match="count"):
        story.say("There were {count} rules.")


def test_table_escapes_cells_and_shows_unknown_for_missing():
    frame = pd.DataFrame({"name": [HOSTILE, "Hikvision"], "share": [pd.NA, 29.32]})
    markup = story.table(frame, "Caption <b>").markup
    assert "<script>" not in markup
    assert "&lt;script&gt;" in markup
    assert "Caption &lt;b&gt;" in markup
    assert '<span class="unknown">unknown</span>' in markup
    assert ">0<" not in markup


def test_header_records_the_page_title_for_the_index():
    header = story.header("Headline & more", "Dek", "2019-10-09")
    markup, meta = header._repr_html_()
    assert "Headline &amp; more" in markup
    assert 'datetime="2019-10-09"' in markup
    assert "Oct. 9, 2019" in markup
    assert meta == {"entitylist": {"title": "Headline & more", "summary": "Dek"}}


def test_table_links_sources_by_publisher_and_escapes_the_url():
    frame = pd.DataFrame({"source_url": ['https://www.example.org/a?b="x"&c=<d>', "not a url"]})
    markup = story.table(frame, "Sources").markup
    assert (
        '<a href="https://www.example.org/a?b=&quot;x&quot;&amp;c=&lt;d&gt;">example.org</a>'
        in markup
    )
    assert "<td>not a url</td>" in markup
    assert '<th scope="col">source</th>' in markup
