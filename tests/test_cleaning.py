"""Fact checks against the sources, honesty about unknowns, and bad input named precisely."""

from pathlib import Path

import pandas as pd
import pytest

from entitylist import cleaning, figures
from entitylist.errors import RawDataError, SchemaError
from tests.conftest import FIXTURES, edit_cell

FETCHED = FIXTURES / "fetch"


def one(frame: pd.DataFrame, **match) -> pd.Series:
    """Return the single row matching all column=value pairs."""
    rows = frame
    for column, value in match.items():
        rows = rows[rows[column] == value]
    assert len(rows) == 1, f"expected one row for {match}, found {len(rows)}"
    return rows.iloc[0]


# Fact checks: each value below is stated by the source the row cites.


def test_october_2019_rule_added_28_china_entries(tables):
    rule = one(tables["rules"], citation="84 FR 54002")
    assert rule["china_entries"] == 28
    assert rule["date"] == pd.Timestamp("2019-10-09")
    assert rule["china_count_status"] == "stated"


def test_october_2019_rule_is_8_companies_and_20_government_bodies(tables):
    summary = figures.rule_summary(tables["entries_2019"])
    assert (summary["entries"], summary["companies"], summary["government"]) == (28, 8, 20)


def test_zte_added_2016_03_08_and_removed_2017_03_29(tables):
    rules = tables["rules"]
    added = one(rules, document_number="2016-05104")
    removed = one(rules, document_number="2017-06227")
    assert added["date"] == pd.Timestamp("2016-03-08")
    assert added["action"] == "add"
    assert removed["date"] == pd.Timestamp("2017-03-29")
    assert removed["action"] == "remove"
    assert "ZTE" in removed["notable_entities"]


def test_zte_china_count_is_tallied_not_stated(tables):
    zte = one(tables["rules"], document_number="2016-05104")
    assert (zte["china_entries"], zte["total_entries"]) == (3, 4)
    assert zte["china_count_status"] == "tallied"


def test_megvii_overseas_share_h1_2019(tables):
    share = one(tables["financials"], company="megvii", period="H1 2019", metric="overseas_share")
    assert share["value"] == pytest.approx(4.9)
    # The period is matched to the share by its order in the source: say so.
    assert share["confidence"] == "inferred"


def test_hikvision_overseas_share_fy2016(tables):
    share = one(
        tables["financials"], company="hikvision", period="FY 2016", metric="overseas_share"
    )
    assert share["value"] == pytest.approx(29.32)


# Unknown stays unknown.


def test_rules_without_a_china_count_stay_unknown(tables):
    rules = tables["rules"]
    huawei = one(rules, citation="84 FR 22961")
    assert pd.isna(huawei["china_entries"])
    assert huawei["china_count_status"] == "unknown"
    assert (rules["china_count_status"] == "unknown").sum() == rules["china_entries"].isna().sum()
    assert rules["china_entries"].isna().sum() >= 9


def test_no_unknown_figure_becomes_zero(tables):
    raw = pd.read_csv(cleaning.paths.RAW / cleaning.REVENUE_FILE, dtype=str)
    stated = raw[["total_revenue", "overseas_revenue", "overseas_share_pct"]].notna().sum().sum()
    assert len(tables["financials"]) == stated
    assert not (tables["financials"]["value"] == 0).any()


def test_private_firms_have_no_figures(tables):
    assert not tables["financials"]["company"].isin(["yitu", "yixin"]).any()


def test_hikvision_overseas_definitions_stay_separate(tables):
    h1_2024 = tables["financials"].query(
        "company == 'hikvision' and period == 'H1 2024' and metric == 'overseas_share'"
    )
    assert set(h1_2024["definition"]) == {
        "overseas regions (regional split)",
        "overseas main business (excludes innovative businesses)",
    }


def test_megvii_prospectus_bases_are_not_spliced(tables):
    fy2018 = tables["financials"].query(
        "company == 'megvii' and period == 'FY 2018' and metric == 'total_revenue'"
    )
    assert sorted(fy2018["value"]) == [854.0, 1426.9]
    assert fy2018["definition"].nunique() == 2


def test_candidate_names_are_never_display_names(tables):
    entries = tables["entries_2019"]
    candidates = entries[entries["name_status"] == "candidate"]
    assert len(candidates) == 18
    assert candidates["entry_name"].isna().all()
    assert not set(candidates["candidate_name"]) & set(entries["display_name"])


def test_unverified_hikvision_h1_2019_share_is_marked(tables):
    row = one(tables["financials"], company="hikvision", period="H1 2019", metric="overseas_share")
    assert row["confidence"] == "unverified"
    assert pd.isna(row["source_url"])


def test_every_processed_row_traces_to_its_raw_row(tables):
    for name, table in tables.items():
        assert table["raw_row"].min() >= 1, name
        assert "source_url" in table or name == "companies", name


# Bad input: a clear error naming file, row and column, and nothing written.


@pytest.mark.parametrize(
    ("file", "row", "column", "value", "error", "message"),
    [
        (
            "events.csv",
            12,
            "date",
            "2019-10-32",
            RawDataError,
            r"events\.csv: row 12, column 'date': '2019-10-32' is not a date",
        ),
        (
            "fr_rules_china.csv",
            12,
            "china_entries_added",
            "twenty-eight",
            RawDataError,
            r"fr_rules_china\.csv: row 12, column 'china_entries_added'",
        ),
        (
            "revenue_by_region.csv",
            1,
            "total_revenue",
            "-31900",
            SchemaError,
            r"revenue_by_region\.csv -> financials: row 1, column 'value'",
        ),
        (
            "revenue_by_region.csv",
            55,
            "overseas_share_pct",
            "104.9",
            SchemaError,
            r"revenue_by_region\.csv -> financials: row 55, fails the table check: shares lie",
        ),
        (
            "fr_rules_china.csv",
            2,
            "document_number",
            "2016-05104",
            SchemaError,
            r"fr_rules_china\.csv -> rules: rows 1, 2 share the key \(rule_id='2016-05104'\)",
        ),
        (
            "events.csv",
            1,
            "category",
            "rumour",
            SchemaError,
            r"events\.csv -> events: row 1, column 'category': 'rumour'",
        ),
        (
            "fr_rules_china.csv",
            1,
            "publication_date",
            "2015-12-31",
            SchemaError,
            r"fr_rules_china\.csv -> rules: row 1, column 'date'",
        ),
    ],
    ids=[
        "bad-date",
        "text-count",
        "negative-revenue",
        "share-over-100",
        "duplicate-key",
        "unknown-category",
        "date-before-2016",
    ],
)
def test_bad_cell_is_named(raw_copy: Path, file, row, column, value, error, message):
    edit_cell(raw_copy, file, row, column, value)
    with pytest.raises(error, match=message):
        cleaning.clean_all(raw_copy)


def test_renamed_column_is_named(raw_copy: Path):
    path = raw_copy / "events.csv"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("date_basis", "basis_of_date", 1), encoding="utf-8")
    with pytest.raises(RawDataError, match=r"events\.csv: column 'date_basis' missing"):
        cleaning.clean_all(raw_copy)


def test_malformed_csv_is_named(raw_copy: Path):
    path = raw_copy / "us_suppliers.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[3] = lines[3] + ',"unterminated'
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(RawDataError, match=r"us_suppliers\.csv: malformed CSV"):
        cleaning.clean_all(raw_copy)


def test_failed_clean_writes_nothing(raw_copy: Path, tmp_path: Path):
    out = tmp_path / "processed"
    cleaning.write_processed(cleaning.clean_all(raw_copy), out)
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    edit_cell(raw_copy, "events.csv", 3, "date", "someday")
    with pytest.raises(RawDataError):
        cleaning.write_processed(cleaning.clean_all(raw_copy), out)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


def test_processed_output_is_byte_identical_across_runs(tmp_path: Path):
    first, second = tmp_path / "a", tmp_path / "b"
    cleaning.write_processed(cleaning.clean_all(), first)
    cleaning.write_processed(cleaning.clean_all(), second)
    for path in first.iterdir():
        assert path.read_bytes() == (second / path.name).read_bytes(), path.name


def test_processed_tables_read_back_with_their_types(tables, tmp_path: Path):
    from entitylist import tables as loader

    cleaning.write_processed(tables, tmp_path)
    for name, table in tables.items():
        again = loader.read(name, tmp_path)
        pd.testing.assert_frame_equal(again, table, check_dtype=False, obj=name)
    suppliers = loader.read("suppliers", tmp_path)
    assert suppliers["named"].dtype == bool
    assert (~suppliers["named"]).sum() == 4


def test_live_snapshot_adds_rules_the_pack_lacks(raw_copy: Path):
    import json

    snapshot = raw_copy / "live" / "2026-11-29"
    snapshot.mkdir(parents=True)
    documents = json.loads((FETCHED / "fr-documents-page1.json").read_text())["results"]
    documents.append(
        {
            "document_number": "2026-01234",
            "citation": "91 FR 1234",
            "publication_date": "2026-01-15",
            "effective_on": "2026-01-15",
            "title": "Additions to the Entity List",
            "abstract": "This rule adds entities under the destinations of the People's "
            "Republic of China (China) (4), Hong Kong (1), and Russia (2).",
            "html_url": "https://www.federalregister.gov/documents/2026/01/15/2026-01234/x",
        }
    )
    documents.append(
        {
            **documents[-1],
            "document_number": "2026-05678",
            "abstract": "This rule revises entries.",
        }
    )
    (snapshot / "fr-documents.json").write_text(json.dumps(documents))
    rules = cleaning.clean_rules(raw_copy)
    new = one(rules, rule_id="2026-01234")
    assert (new["china_entries"], new["hong_kong_entries"], new["total_entries"]) == (4, 1, 7)
    assert new["china_count_status"] == "stated"
    assert new["action"] == "add"
    assert new["raw_file"] == "live/2026-11-29/fr-documents.json"
    # Rules already in the pack keep the pack's row; rules without a China count stay out.
    assert (rules["rule_id"] == "2023-03929").sum() == 1
    assert "2026-05678" not in set(rules["rule_id"])
    assert len(rules) == 62


@pytest.mark.parametrize("file", ["revenue_by_region.csv", "us_suppliers.csv", "partnerships.csv"])
def test_unknown_company_is_named(raw_copy: Path, file: str):
    edit_cell(raw_copy, file, 2, "company", "Hikvison")
    with pytest.raises(RawDataError, match=rf"{file}: row 2, column 'company': 'Hikvison'"):
        cleaning.clean_all(raw_copy)
