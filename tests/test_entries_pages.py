"""Entries, not records, and floors that are floors (issue 15), checked on what a render
published: the pages in site/, their downloads and the chart files. `make test` renders first."""

import html
import json
import re

import pandas as pd
import pytest

from entitylist import figures, paths
from entitylist.data import manifest, sources

SITE = paths.ROOT / paths.SITE_NAME
CHARTS = paths.ROOT / "charts"
EL = "Entity List (EL) - Bureau of Industry and Security"

pytestmark = pytest.mark.browser


def text(page: str) -> str:
    """A page's visible text, tags removed, entities decoded, spaces folded."""
    markup = (SITE / page).read_text(encoding="utf-8")
    markup = re.sub(r"<(svg|style)\b.*?</\1>", " ", markup, flags=re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", markup)).split())


@pytest.fixture(scope="module")
def china_records() -> list[dict]:
    """The list's Entity List records with an address in China, read with plain json."""
    listing = json.loads(manifest.current(sources.SCREENING_LIST).read_bytes())
    source = listing["tables"]["sources"].index(EL)
    return [e for e in listing["entries"] if e["s"] == source and "CN" in e.get("c", [])]


def numbers_before(word: str, page: str) -> set[int]:
    """Every number a page's text gives just before a word ('1,104 records' -> 1104)."""
    return {int(n.replace(",", "")) for n in re.findall(rf"(\d[\d,]*) {word}\b", page)}


@pytest.fixture(scope="module")
def directory() -> list[str]:
    """The names the entities page lists, in its order."""
    markup = (SITE / "entities.html").read_text(encoding="utf-8")
    return [html.unescape(n) for n in re.findall(r'<span class="entry-name">([^<]*)<', markup)]


def test_the_entities_page_counts_entries_and_says_records_where_it_means_them(
    china_records, directory
):
    page = text("entities.html")
    assert len(china_records) == 1104
    assert len(china_records) in numbers_before("records", page)
    # Records are never called entries; the entries it counts are those it lists, once each.
    assert len(china_records) not in numbers_before("entries", page)
    assert len(directory) in numbers_before("entries", page)
    assert len(directory) < len(china_records)
    keys = [figures.entry_key(name) for name in directory]
    assert len(set(keys)) == len(keys)
    assert not [name for name in directory if "Affiliated Entity" in name]
    assert len([n for n in directory if n.startswith("Huawei Technologies Co., Ltd.")]) == 1


def test_the_entities_download_has_one_row_per_entry_and_every_record(china_records, directory):
    table = pd.read_csv(SITE / "data" / "china-entries.csv")
    assert table["records"].sum() == len(china_records)
    assert len(table) == len(directory)
    assert table["name"].map(figures.entry_key).is_unique


def test_the_still_listed_chart_counts_entries_beside_records(china_records, directory):
    data = pd.read_csv(CHARTS / "china-entries-still-listed.csv")
    entries, records = data.columns[1], data.columns[2]
    assert "entries" in entries.lower()
    assert "records" in records.lower()
    assert data[records].sum() == len(china_records)
    assert data[entries].sum() == len(directory)
    assert (data[entries] <= data[records]).all()
    # The story and timeline pages never call the records entries.
    for page in ("timeline.html", "story.html"):
        said = numbers_before("entries", text(page))
        assert len(china_records) not in said, page


def test_the_huawei_rule_is_drawn_at_its_floor_not_its_records(china_records):
    data = pd.read_csv(CHARTS / "rules-over-time.csv").set_index("Rule")
    may = data.loc["84 FR 22961"]
    first = [e["n"] for e in china_records if (e.get("fr") or "").startswith("84 FR 2296")]
    assert len(first) == 58
    floor = len({figures.entry_key(name) for name in first})
    assert may["Still listed in 2026"] == floor < 58
    markup = (SITE / "timeline.html").read_text(encoding="utf-8")
    assert "84 FR 22961: count not stated; at least 58" not in markup
    assert f"84 FR 22961: count not stated; at least {floor} " in markup


def test_no_still_listed_count_is_above_the_count_its_rule_stated():
    data = pd.read_csv(CHARTS / "rules-over-time.csv")
    stated = data["China entries stated"]
    still = data["Still listed in 2026"]
    both = stated.notna() & still.notna()
    assert both.any()
    assert (still[both] <= stated[both]).all()
    # The rule that stated 59 is drawn at 59, with no still-listed count beside it.
    dec = data.set_index("Rule").loc["85 FR 83416"]
    assert dec["China entries stated"] == 59
    assert pd.isna(dec["Still listed in 2026"])


def test_the_data_page_shows_a_rule_whose_matches_exceed_its_count():
    page = text("data.html")
    section = page[page.index("Where the desk's rules table and the official list disagree") :]
    row = section[section.index("85 FR 83416") :][:200]
    # The rule, its date, its stated count, then the entries matched on the list.
    matched = re.match(r"85 FR 83416 [A-Z][a-z]+\.? \d+, \d{4} 59 (\d+)", row)
    assert matched, row
    assert int(matched[1]) > 59
