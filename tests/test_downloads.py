"""Downloads hold only what pages may say: the real processed tables written as readers get
them, read back with the csv module (issue 15, item 6)."""

import csv
from pathlib import Path

import pandas as pd
import pytest

from entitylist import downloads, paths

MISCITED = ("Nanjing FiberHome Starrysky Communication Development Co.", "NetPosa", "SenseNets")
RULES_OWN = (
    "Shihezi Municipality Public Security Bureau",
    "Altay Municipality Public Security Bureau",
)


@pytest.fixture(scope="module")
def written(tables, tmp_path_factory) -> Path:
    """The downloads of the newest view, written from the committed raw snapshot."""
    root = tmp_path_factory.mktemp("out")
    downloads.tables(tables, str(root))
    return root / paths.SITE_NAME / downloads.DATA


def rows(folder: Path, name: str) -> list[dict]:
    """One download's rows."""
    with (folder / f"{name}.csv").open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_a_wrong_citation_is_withheld_in_every_part(written: Path, tables):
    listed = {row["name"]: row for row in rows(written, "entity_list")}
    for name in MISCITED:
        row = listed[name]
        assert row["first_citation"] == downloads.mask()
        assert (row["first_volume"], row["first_page"], row["first_year"]) == ("", "", "")
        assert "54004" not in row["fr_text"]
        # The entry's later citations stand.
        assert "85 FR 34505" in row["fr_text"]
    for name in RULES_OWN:
        row = listed[name]
        assert (row["first_citation"], row["first_volume"], row["first_page"]) == (
            "84 FR 54002",
            "84",
            "54002",
        )
        assert row["first_year"] == "2019"
        assert "84 FR 54002" in row["fr_text"]
    # Nothing else changed: the same columns, and every other entry's first citation and
    # page are the list's.
    assert list(listed[MISCITED[0]]) == list(tables["entity_list"].columns)
    source = tables["entity_list"].set_index("entry_id")
    for row in rows(written, "entity_list"):
        if row["name"] not in MISCITED + RULES_OWN:
            entry = source.loc[int(row["entry_id"])]
            for column in ("first_citation", "first_page"):
                value = entry[column]
                assert row[column] == ("" if pd.isna(value) else str(value)), column


def test_no_column_of_a_download_holds_the_wrong_citation(written: Path):
    for name in ("entity_list", "entity_citations"):
        for row in rows(written, name):
            pairs = [(row.get("first_volume"), row.get("first_page"))]
            pairs.append((row.get("volume"), row.get("page")))
            assert ("84", "54004") not in pairs, (name, row)
            assert "54004" not in ",".join(row.values()), (name, row)
    by_entry = {}
    for row in rows(written, "entity_citations"):
        by_entry.setdefault(row["entry_id"], []).append(row)
    listed = {row["name"]: row["entry_id"] for row in rows(written, "entity_list")}
    first = by_entry[listed["SenseNets"]][0]
    assert (first["citation"], first["volume"], first["year"]) == (downloads.mask(), "", "")
    first = by_entry[listed["Shihezi Municipality Public Security Bureau"]][0]
    assert (first["citation"], first["page"], first["year"]) == ("84 FR 54002", "54002", "2019")


def test_the_rules_download_leaves_out_the_names_the_pack_doubts(written: Path):
    notable = {row["rule_id"]: row["notable_entities"] for row in rows(written, "rules")}
    assert notable["2019-13245"].startswith("five supercomputing entities")
    assert "eight Chinese companies" in notable["2020-10868"]
    for text in notable.values():
        for doubted in ("brief cites", "verified", "Sugon", "Higon", "NetPosa"):
            assert doubted not in text
