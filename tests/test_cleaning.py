"""Fact checks against the sources, honesty about unknowns, dates of knowledge, and bad input
named precisely."""

import csv
import json
from pathlib import Path

import pandas as pd
import pytest

from conftest import FIXTURES, current_file, edit_cell
from entitylist import figures
from entitylist.data import cleaning, manifest, sources
from entitylist.data.sources import Snapshot
from entitylist.errors import RawDataError, SchemaError

FETCHED = FIXTURES / "fetch"


def one(frame: pd.DataFrame, **match) -> pd.Series:
    """Return the single row matching all column=value pairs."""
    rows = frame
    for column, value in match.items():
        rows = rows[rows[column] == value]
    assert len(rows) == 1, f"expected one row for {match}, found {len(rows)}"
    return rows.iloc[0]


def raw_rows(table: str) -> list[dict]:
    """A source table's current raw rows, read with the csv module (not the cleaner)."""
    with manifest.current(table).open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


# Fact checks: each value below is stated by the source the row cites.


def test_october_2019_rule_added_28_china_entries(tables):
    rule = one(tables["rules"], citation="84 FR 54002")
    assert rule["china_entries"] == 28
    assert rule["date"] == pd.Timestamp("2019-10-09")
    assert rule["china_count_status"] == "stated"


def test_october_2019_rule_is_8_companies_and_20_government_bodies(tables):
    summary = figures.rule_summary(tables["entries_2019"])
    assert (summary["entries"], summary["companies"], summary["government"]) == (28, 8, 20)
    assert summary["subordinate_bureaus"] == 18


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


def test_the_28_entries_carry_the_lists_names(tables):
    entries = tables["entries_2019"].set_index("entry_no")
    # Names as the screening list writes them in 2026 (the pack's README).
    assert entries.at[11, "name"] == "Kezilesu Kyrgyz Autonomous Prefecture Public Security Bureau"
    assert entries.at[18, "name"] == (
        "Xinjiang Production and Construction Corps (XPCC) Public Security Bureau"
    )
    assert entries.at[20, "name"] == "Xinjiang Police College"
    assert entries["name"].notna().all()
    assert "candidate_name" not in tables["entries_2019"]


def test_bureau_names_are_known_from_2026_company_names_from_2019(tables):
    entries = tables["entries_2019"].set_index("entry_no")
    assert entries.at[2, "name_known_since"] == pd.Timestamp("2026-07-31")
    assert pd.isna(entries.at[2, "name_2019"])
    assert entries.at[22, "name_known_since"] == pd.Timestamp("2019-10-09")
    assert entries.at[22, "name_2019"] == "Hikvision"


# Unknown stays unknown.


def test_rules_without_a_china_count_stay_unknown(tables):
    rules = tables["rules"]
    huawei = one(rules, citation="84 FR 22961")
    assert pd.isna(huawei["china_entries"])
    assert huawei["china_count_status"] == "unknown"
    blank = sum(1 for row in raw_rows(sources.RULES) if not row["china_entries_added"].strip())
    assert rules["china_entries"].isna().sum() == blank


def test_no_unknown_figure_becomes_zero_and_none_is_dropped(tables):
    rows = raw_rows(sources.REVENUE)
    columns = ("total_revenue", "overseas_revenue", "overseas_share_pct")
    stated = sum(1 for row in rows for c in columns if row[c].strip())
    unverified = sum(
        1 for row in rows for c in columns if row[c].strip() and "UNVERIFIED" in row["notes"]
    )
    assert len(tables["financials"]) == stated - unverified
    assert not (tables["financials"]["value"] == 0).any()


def test_private_firms_have_no_figures(tables):
    assert not tables["financials"]["company"].isin(["yitu", "yixin"]).any()


def test_hikvision_overseas_definitions_stay_separate(tables):
    h1_2024 = tables["financials"].query(
        "company == 'hikvision' and period == 'H1 2024' and metric == 'overseas_share'"
    )
    assert set(h1_2024["definition"]) == {"regional", "main_business"}


def test_megvii_prospectus_bases_are_not_spliced(tables):
    fy2018 = tables["financials"].query(
        "company == 'megvii' and period == 'FY 2018' and metric == 'total_revenue'"
    )
    assert sorted(fy2018["value"]) == [854.0, 1426.9]
    assert fy2018["definition"].nunique() == 2


def test_an_inferred_overseas_figure_leaves_its_rows_total_stated(tables):
    fy2021 = tables["financials"].query("company == 'hikvision' and period == 'FY 2021'")
    by_metric = fy2021.groupby("metric")["confidence"].agg(set)
    assert by_metric["overseas_share"] == {"inferred"}
    assert by_metric["total_revenue"] == {"stated"}


def test_the_unverified_figure_is_withheld_and_described_without_its_value(tables):
    assert (
        tables["financials"]
        .query("company == 'hikvision' and period == 'H1 2019' and metric == 'overseas_share'")
        .empty
    )
    (row,) = tables["withheld"].query("table == 'financials'").itertuples()
    assert row.what == "Hikvision's H1 2019 overseas share"
    assert "unverified" in row.reason
    assert "30" not in row.what + row.reason


# When each figure became public


@pytest.mark.parametrize(
    ("company", "period", "metric", "day", "basis"),
    [
        # HK prospectus, Aug. 2019 (the pack's notes), cited by Yicai on Oct. 10.
        ("megvii", "H1 2019", "overseas_share", "2019-08-31", "prospectus"),
        # The Shanghai prospectus of 2021 restates 2018: not known in 2019.
        ("megvii", "FY 2019", "total_revenue", "2021-12-31", "prospectus"),
        # SenseTime's HK prospectus (Aug. 2021), the first public source of its 2018 revenue.
        ("sensetime", "FY 2018", "total_revenue", "2021-08-31", "prospectus"),
        # Reuters factbox of Oct. 9, 2019: the estimate is Reuters'.
        ("hikvision", "FY 2018", "overseas_share", "2019-10-09", "source date"),
        # An annual report: April 30 of the next year.
        ("dahua", "FY 2016", "total_revenue", "2017-04-30", "annual results"),
        ("hikvision", "H1 2022", "overseas_share", "2022-08-31", "half-year results"),
    ],
)
def test_figures_carry_the_day_they_became_public(tables, company, period, metric, day, basis):
    rows = tables["financials"].query(
        "company == @company and period == @period and metric == @metric"
    )
    assert pd.Timestamp(day) in set(rows["known_since"])
    assert basis in set(rows["known_basis"])


def test_no_figure_is_known_before_its_period_ends(tables):
    financials = tables["financials"]
    assert (
        financials["known_since"].dropna()
        >= financials.loc[financials["known_since"].notna(), "period_end"]
    ).all()


def test_supplier_countries_are_kept_as_the_source_states_them(tables):
    suppliers = tables["suppliers"]
    techpoint = one(suppliers, supplier="Techpoint Inc")
    assert techpoint["supplier_country"] == "Japan"
    assert techpoint["country_basis"] == "as described by source; disputed"
    hisilicon = one(suppliers, supplier="HiSilicon (Huawei subsidiary)")
    assert hisilicon["supplier_country"] == "China"


def test_a_supplier_from_another_country_keeps_its_country(raw_copy: Path):
    path = current_file(raw_copy, sources.SUPPLIERS)
    edit_cell(path, 1, "supplier_country", "South Korea (as described by Reuters)")
    suppliers = cleaning.clean_suppliers(Snapshot(raw_copy))
    assert suppliers.loc[0, "supplier_country"] == "South Korea"
    assert suppliers.loc[0, "country_basis"] == "as described by source"


def test_every_processed_row_traces_to_its_raw_file_and_row(tables):
    for name, table in tables.items():
        if name == "companies":
            continue
        assert table["raw_row"].min() >= 1, name
        files = set(table["raw_file"])
        assert all((manifest.paths.RAW / f).exists() for f in files), name


def test_unnamed_suppliers_are_not_counted_as_named(tables):
    unnamed = sum(
        1 for row in raw_rows(sources.SUPPLIERS) if row["supplier"].startswith("unnamed")
    )
    assert unnamed > 0
    assert (~tables["suppliers"]["named"]).sum() == unnamed


# Bad input: a clear error naming file, row and column.


@pytest.mark.parametrize(
    ("file", "row", "column", "value", "error", "message"),
    [
        (
            "events.csv",
            12,
            "date",
            "2019-10-32",
            RawDataError,
            r"events\.csv: row 12, column 'date': '2019-10-32' is not a day: "
            r"October 2019 has 31 days",
        ),
        (
            "events.csv",
            12,
            "date",
            "2019-09-31",
            RawDataError,
            r"events\.csv: row 12, column 'date': '2019-09-31' is not a day: "
            r"September 2019 has 30 days",
        ),
        (
            "events.csv",
            12,
            "date",
            "2019-10-9",
            RawDataError,
            r"events\.csv: row 12, column 'date': '2019-10-9' is not written YYYY-MM-DD",
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
            r"fr_rules_china\.csv -> rules: row 1, column 'publication_date'",
        ),
    ],
    ids=[
        "bad-date",
        "not-a-day",
        "malformed-date",
        "text-count",
        "negative-revenue",
        "duplicate-key",
        "unknown-category",
        "date-before-2016",
    ],
)
def test_bad_cell_is_named(raw_copy: Path, file, row, column, value, error, message):
    edit_cell(current_file(raw_copy, file), row, column, value)
    with pytest.raises(error, match=message):
        cleaning.clean_all(Snapshot(raw_copy))


def test_a_share_over_100_is_named(raw_copy: Path):
    path = current_file(raw_copy, sources.REVENUE)
    row = 1 + next(
        i for i, r in enumerate(raw_rows(sources.REVENUE)) if r["overseas_share_pct"] == "4.9"
    )
    edit_cell(path, row, "overseas_share_pct", "104.9")
    with pytest.raises(
        SchemaError, match=rf"financials: row {row}, fails the table check: shares"
    ):
        cleaning.clean_all(Snapshot(raw_copy))


def test_renamed_column_is_named(raw_copy: Path):
    path = current_file(raw_copy, "events.csv")
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("date_basis", "basis_of_date", 1), encoding="utf-8")
    with pytest.raises(RawDataError, match=r"events\.csv: column 'date_basis' missing"):
        cleaning.clean_all(Snapshot(raw_copy))


def test_an_unverified_bureau_name_stops_the_cleaning(raw_copy: Path):
    path = current_file(raw_copy, sources.ENTRIES)
    edit_cell(path, 5, "csl_name", "")
    with pytest.raises(
        RawDataError, match=r"entities_84FR54002\.csv: row 5, column 'candidate_status'"
    ):
        cleaning.clean_all(Snapshot(raw_copy))


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
    assert loader.read("suppliers", tmp_path)["named"].dtype == bool


def test_live_snapshot_adds_rules_the_pack_lacks(raw_copy: Path):
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
    documents.append({**documents[-1], "document_number": "2026-05678", "abstract": "Revises."})
    (snapshot / "fr-documents.json").write_text(json.dumps(documents))
    rules = cleaning.clean_rules(Snapshot(raw_copy))
    new = one(rules, rule_id="2026-01234")
    assert (new["china_entries"], new["hong_kong_entries"], new["total_entries"]) == (4, 1, 7)
    assert new["china_count_status"] == "stated"
    assert new["raw_file"] == "live/2026-11-29/fr-documents.json"
    # Rules already in the pack keep the pack's row; rules without a China count stay out.
    assert (rules["rule_id"] == "2023-03929").sum() == 1
    assert "2026-05678" not in set(rules["rule_id"])
    assert len(rules) == len(raw_rows(sources.RULES)) + 1


@pytest.mark.parametrize("file", ["revenue_by_region.csv", "us_suppliers.csv", "partnerships.csv"])
def test_unknown_company_is_named(raw_copy: Path, file: str):
    edit_cell(current_file(raw_copy, file), 2, "company", "Hikvison")
    with pytest.raises(RawDataError, match=rf"{file}: row 2, column 'company': 'Hikvison'"):
        cleaning.clean_all(Snapshot(raw_copy))


# Known-since dating, one rule at a time, on the pack's own notes. A date is read as the
# latest day it can mean: a reader could not know a figure before the end of the month named.


@pytest.mark.parametrize(
    ("text", "bare_years", "day"),
    [
        ("Reuters factbox (9 Oct 2019), syndicated.", True, "2019-10-09"),
        ("AFP explainer (Oct 2019). APPROXIMATE ('almost 30%').", True, "2019-10-31"),
        ("Cailian Press (cls.cn) via Futu, Aug 2024.", True, "2024-08-31"),
        ("Changjiang Business Daily (copy, Apr 2023)", True, "2023-04-30"),
        ("filed Feb. 2020", True, "2020-02-29"),
        ("Sept. 2019", True, "2019-09-30"),
        ("held 12-14 Oct 2019", True, "2019-10-14"),
        ("2018 annual report (English), letter to shareholders.", True, "2018-12-31"),
        ("Investor-relations record (2 Aug 2025), after the 2024 report.", True, "2024-12-31"),
        ("Investor-relations record (2 Aug 2025), after the 2024 report.", False, "2025-08-02"),
    ],
)
def test_a_date_in_a_note_is_the_latest_day_it_can_mean(text, bare_years, day):
    assert cleaning.latest_date_in(text, bare_years) == pd.Timestamp(day)


def test_a_lone_year_is_a_date_unless_told_otherwise():
    # A report's first sentence may give only its year (source_day relies on the default).
    assert cleaning.latest_date_in("2018 annual report (English).") == pd.Timestamp("2018-12-31")


@pytest.mark.parametrize("text", [None, "", "Data aggregator (CNY m).", "2018 revenue"])
def test_a_note_without_a_date_dates_nothing(text):
    assert cleaning.latest_date_in(text, bare_years=False) is None


@pytest.mark.parametrize(
    ("notes", "day"),
    [
        ("HK prospectus (Aug 2019) figures as reported by TechNode China.", "2019-08-31"),
        ("HK prospectus (Aug 2021) via QbitAI.", "2021-08-31"),
        ("STAR Market (Shanghai) prospectus figures, 2021. DISAGREES with HK", "2021-12-31"),
        ("Yicai Global, 10 Oct 2019, citing the HK prospectus. The excerpt is cut", None),
    ],
)
def test_a_prospectus_dates_a_figure_by_its_filing_month_or_year(notes, day):
    found = cleaning.prospectus_day(notes)
    assert found == (pd.Timestamp(day) if day else None)


@pytest.mark.parametrize(
    ("notes", "day"),
    [
        ("Reuters factbox (9 Oct 2019), syndicated. APPROXIMATE", "2019-10-09"),
        ("Yicai Global, 10 Oct 2019, citing the HK prospectus.", "2019-10-10"),
        ("AFP explainer (Oct 2019). APPROXIMATE ('almost 30%').", "2019-10-31"),
        ("Data aggregator (snapshot Oct 2024); columns run together", None),
        # A page snapshot's date is when the page was saved, not when the figure came out.
        ("Company page snapshot, 14 Oct 2024; columns run together", None),
        ("Jan 2026 snapshot shows 89,341; Oct 2024 snapshot of same page", None),
        ("2018 annual report (English), letter to shareholders. Oct 2019", None),
    ],
)
def test_a_report_is_dated_by_its_first_sentence_never_by_a_snapshot(notes, day):
    found = cleaning.source_day(notes)
    assert found == (pd.Timestamp(day) if day else None)


@pytest.mark.parametrize(
    ("period_type", "year", "day"),
    [("FY", 2018, "2019-04-30"), ("H1", 2019, "2019-08-31"), ("unspecified", 2019, None)],
)
def test_results_are_due_by_april_30_or_august_31(period_type, year, day):
    found = cleaning.results_day(period_type, year)
    assert found == (pd.Timestamp(day) if day else None)
    assert cleaning.results_day(period_type, pd.NA) is None


def test_period_labels_are_split_into_type_year_and_dates():
    labels = pd.Series(
        ["FY2018", "H1-2019", "FY2018 (implied: 'last year' as of Oct 2019)", "unspecified (FT)"]
    )
    periods = cleaning.parse_periods(labels)
    assert periods["period"].tolist()[:3] == ["FY 2018", "H1 2019", "FY 2018"]
    assert periods["period"].tolist()[3] == "unspecified (FT)"
    assert periods["period_type"].tolist() == ["FY", "H1", "FY", "unspecified"]
    assert periods["year"].tolist()[:3] == [2018, 2019, 2018]
    assert pd.isna(periods["year"][3])
    starts = ["2018-01-01", "2019-01-01", "2018-01-01"]
    assert periods["period_start"].tolist()[:3] == [pd.Timestamp(d) for d in starts]
    ends = ["2018-12-31", "2019-06-30", "2018-12-31"]
    assert periods["period_end"].tolist()[:3] == [pd.Timestamp(d) for d in ends]
    assert periods[["period_start", "period_end"]].iloc[3].isna().all()
    assert periods["period_inferred"].tolist() == [False, False, True, False]


def test_each_figure_is_dated_by_the_first_rule_that_applies():
    rows = pd.DataFrame(
        {
            "notes": [
                "HK prospectus (Aug 2019) figures as reported by TechNode China.",
                "Yicai Global, 10 Oct 2019, citing the HK prospectus.",
                "Reuters factbox (9 Oct 2019), syndicated.",
                "Data aggregator (CNY m). Regional split not retrieved.",
                "Summary of the H1-2024 report (regional table basis).",
                "FT Lex column (copy). No period given.",
                "a prospectus that no row dates",
                None,
            ],
        },
        index=[10, 11, 12, 13, 14, 15, 16, 17],
    )
    labels = ["FY2018", "FY2018", "FY2018", "FY2020", "H1-2024", "unspecified", "FY2016", "FY2017"]
    periods = cleaning.parse_periods(pd.Series(labels, index=rows.index))
    slug = pd.Series(
        ["megvii", "megvii", "hikvision", "dahua", "hikvision", "hikvision", "x", "x"]
    )
    dated = cleaning.known_since(rows, periods, slug.set_axis(rows.index))
    # A row without notes is dated by its period's results.
    days = ["2019-08-31", "2019-08-31", "2019-10-09", "2021-04-30", "2024-08-31", None, None]
    days.append("2018-04-30")
    expected = [pd.Timestamp(d) if d else pd.NaT for d in days]
    assert dated["known_since"].tolist() == expected
    assert dated.index.tolist() == rows.index.tolist()
    assert dated["known_basis"].tolist() == [
        "prospectus",
        "prospectus",
        "source date",
        "annual results",
        "half-year results",
        "undated",
        "undated",
        "annual results",
    ]
