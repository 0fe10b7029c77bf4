"""The as-of view shows what a reader could have known that day, in every table."""

from pathlib import Path

import pandas as pd
import pytest

from entitylist import figures, tables
from entitylist.data import asof, cleaning
from entitylist.errors import ParameterError

DAY = "2019-10-09"


@pytest.fixture(scope="module")
def then(tables_written: Path) -> dict[str, pd.DataFrame]:
    """Every processed table as known on Oct. 9, 2019."""
    return tables.load(str(tables_written), DAY)


@pytest.fixture(scope="module")
def tables_written(tmp_path_factory: pytest.TempPathFactory, tables) -> Path:
    """An output root holding the processed tables of the committed snapshot."""
    root = tmp_path_factory.mktemp("asof")
    cleaning.write_processed(tables, root / "data" / "processed")
    return root


def test_nothing_known_later_is_in_any_table(then):
    cutoff = pd.Timestamp(DAY)
    for name, table in then.items():
        if "known_since" in table:
            assert (table["known_since"] <= cutoff).all(), name


def test_figures_first_published_in_2021_are_left_out(then):
    financials = then["financials"]
    # SenseTime's 2018 revenue came out with its 2021 prospectus.
    assert financials.query("company == 'sensetime'").empty
    # Megvii's Shanghai prospectus (2021) restates 2018: only the Hong Kong basis was known.
    megvii_2018 = financials.query(
        "company == 'megvii' and period == 'FY 2018' and metric == 'total_revenue'"
    )
    assert list(megvii_2018["definition"]) == ["hk_prospectus"]


def test_megvii_prospectus_figures_of_august_2019_are_in(then):
    share = then["financials"].query("company == 'megvii' and period == 'H1 2019'")
    assert 4.9 in set(share["value"])


def test_the_official_list_of_2026_is_not_known(then):
    assert then["entity_list"].empty
    assert then["entity_citations"].empty


def test_bureau_names_first_printed_in_2026_are_withheld(then):
    entries = then["entries_2019"].set_index("entry_no")
    assert len(entries) == 28
    assert pd.isna(entries.at[2, "name"])
    # Named as the 2019 reports named it, not with the 2026 list's spelling.
    assert entries.at[22, "name"] == "Hikvision"
    summary = figures.rule_summary(then["entries_2019"])
    assert summary["unnamed"] == 18


def test_events_after_the_day_are_left_out(then):
    assert then["events"]["date"].max() == pd.Timestamp(DAY)
    assert figures.after_listing(then["events"]).empty


def test_the_snapshot_is_what_was_public_that_day(then):
    snapshot = figures.snapshot_at(then["financials"], then["companies"]).set_index("company")
    assert snapshot.at["Hikvision", "period"] == "FY 2018"
    assert snapshot.at["Megvii", "share_pct"] == pytest.approx(4.9)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("2019-13-01", "expected a date from 2016-01-01"),
        ("2015-01-01", "before"),
        ("2099-01-01", "future"),
    ],
)
def test_a_bad_as_of_is_refused_naming_it(value, message):
    with pytest.raises(ParameterError, match=rf"(?i){message}"):
        asof.parse(value)


CUTOFF = pd.Timestamp(DAY)


def test_a_row_known_on_the_day_itself_is_in_and_the_index_starts_again():
    frame = pd.DataFrame(
        {"n": [1, 2, 3], "known_since": pd.to_datetime(["2019-10-10", "2019-10-09", "2019-10-08"])}
    )
    kept = tables.known_by(frame, CUTOFF)
    assert kept["n"].tolist() == [2, 3]
    assert kept.index.tolist() == [0, 1]


def test_an_entry_is_named_as_the_reports_of_the_day_named_it():
    entries = pd.DataFrame(
        {
            "name": ["List Name A", "List Name B", "List Name C"],
            "name_2019": ["Name of 2019", None, None],
            # A's and B's names printed on the day, C's only in 2026.
            "name_known_since": pd.to_datetime(["2019-10-09", "2019-10-09", "2026-07-31"]),
            "known_since": pd.to_datetime(["2019-10-09", "2019-10-09", "2019-10-09"]),
        }
    )
    named = tables.entries_as_of(entries, CUTOFF)
    assert named["name"].tolist()[:2] == ["Name of 2019", "List Name B"]
    assert pd.isna(named.loc[2, "name"])
    assert pd.isna(named.loc[2, "name_known_since"])
    assert named.loc[0, "name_known_since"] == CUTOFF
    # The table the newest pages show is left as it was.
    assert entries.loc[2, "name"] == "List Name C"


@pytest.mark.parametrize("value", ["", None])
def test_no_as_of_is_the_newest_data(value):
    assert asof.parse(value) is None


def test_the_first_day_of_the_data_and_today_are_valid_as_of_days():
    assert asof.parse("2016-01-01") == asof.FIRST_DATE
    day = asof.parse("2019-10-09", today=asof.FIRST_DATE.replace(year=2019, month=10, day=9))
    assert str(day) == DAY
    with pytest.raises(ParameterError, match="2019-10-10"):
        asof.parse("2019-10-10", today=day)
    today = pd.Timestamp.today().date()
    assert asof.parse(today.isoformat()) == today
    with pytest.raises(ParameterError, match="2015-12-31"):
        asof.parse("2015-12-31")


def test_the_filter_cuts_every_dated_table_and_names_entries_as_of_the_day(tables):
    from entitylist import tables as loader

    assert tables["financials"]["known_since"].max() > CUTOFF
    assert loader.as_of_filter(tables, None) is tables
    then = loader.as_of_filter(tables, DAY)
    assert set(then) == set(tables)
    for name, table in tables.items():
        if name == "companies":
            # Configuration, not data: kept whole.
            pd.testing.assert_frame_equal(then[name], table)
        elif name != "entries_2019":
            kept = table[table["known_since"] <= CUTOFF].reset_index(drop=True)
            pd.testing.assert_frame_equal(then[name], kept)
    entries = then["entries_2019"].set_index("entry_no")
    assert entries.at[22, "name"] == "Hikvision"
    assert pd.isna(entries.at[2, "name"])
