"""The tables' cross-field checks, on the real processed rows: a row that breaks one is refused
with its table and raw row named; the real tables, and the edge cases the rules allow, pass."""

import pandas as pd
import pytest

from entitylist.data import schemas
from entitylist.errors import SchemaError


def refused(name: str, frame: pd.DataFrame, index: object) -> None:
    """The table fails validation, and the message names it and the changed row's raw row."""
    with pytest.raises(SchemaError) as failure:
        schemas.validate(name, frame, "the raw file")
    message = str(failure.value)
    assert name in message
    assert f"row {int(frame.loc[index, 'raw_row'])}," in message


def passes(name: str, frame: pd.DataFrame) -> None:
    """The table validates as it is."""
    schemas.validate(name, frame, "the raw file")


def first(frame: pd.DataFrame, mask: pd.Series) -> object:
    """The index of the first row matching the mask (the data must have one)."""
    assert mask.any()
    return frame.index[mask][0]


@pytest.fixture
def rules(tables) -> pd.DataFrame:
    """The real rules table, to change one cell."""
    return tables["rules"].copy()


@pytest.fixture
def financials(tables) -> pd.DataFrame:
    """The real financials table, to change one cell."""
    return tables["financials"].copy()


@pytest.fixture
def entity_list(tables) -> pd.DataFrame:
    """The real screening-list table, to change one cell."""
    return tables["entity_list"].copy()


def test_the_real_tables_pass(tables):
    for name in ("rules", "financials", "entity_list"):
        passes(name, tables[name])


def test_a_china_count_is_unknown_exactly_when_blank(rules):
    unknown = first(rules, rules["china_count_status"] == "unknown")
    rules.loc[unknown, "china_count_status"] = "stated"
    refused("rules", rules, unknown)


def test_a_stated_china_count_may_not_be_blank(rules):
    stated = first(rules, rules["china_count_status"] == "stated")
    rules.loc[stated, "china_entries"] = pd.NA
    refused("rules", rules, stated)


@pytest.mark.parametrize("value", [0.0, 100.0])
def test_a_share_may_be_anything_from_0_to_100(financials, value):
    share = first(financials, financials["metric"] == "overseas_share")
    financials.loc[share, "value"] = value
    passes("financials", financials)


@pytest.mark.parametrize("value", [-0.1, 100.1])
def test_a_share_outside_0_to_100_is_refused(financials, value):
    share = first(financials, financials["metric"] == "overseas_share")
    financials.loc[share, "value"] = value
    refused("financials", financials, share)


def test_an_amount_above_100_is_no_share_and_passes(financials):
    amounts = financials["metric"] != "overseas_share"
    assert (financials.loc[amounts, "value"] > 100).any()
    passes("financials", financials)


@pytest.mark.parametrize(
    ("metric", "unit"), [("overseas_share", "CNY million"), ("total_revenue", "percent")]
)
def test_only_shares_are_in_percent(financials, metric, unit):
    row = first(financials, financials["metric"] == metric)
    financials.loc[row, "unit"] = unit
    refused("financials", financials, row)


def test_a_figure_known_the_day_its_period_ends_passes(financials):
    financials["known_since"] = financials["period_end"]
    passes("financials", financials)


def test_a_figure_known_before_its_period_ends_is_refused(financials):
    row = financials.index[-1]
    financials.loc[row, "known_since"] = financials.loc[row, "period_end"] - pd.Timedelta(days=1)
    refused("financials", financials, row)


def test_an_undated_figure_passes(financials):
    financials.loc[financials.index[0], "known_since"] = pd.NaT
    passes("financials", financials)


@pytest.mark.parametrize(("flag", "code"), [("china", "CN"), ("hong_kong", "HK")])
def test_a_country_flag_follows_the_countries(entity_list, flag, code):
    both = first(entity_list, entity_list["countries"] == "CN; HK")
    entity_list.loc[both, flag] = False
    refused("entity_list", entity_list, both)
    entity_list = entity_list.drop(index=both)
    other = first(entity_list, ~entity_list["countries"].str.contains(code))
    entity_list.loc[other, flag] = True
    refused("entity_list", entity_list, other)


def test_citation_status_is_none_exactly_when_uncited(entity_list):
    none = first(entity_list, entity_list["citation_status"] == "none")
    entity_list.loc[none, "citation_status"] = "parsed"
    refused("entity_list", entity_list, none)
    cited = first(entity_list, entity_list["citation_status"] == "parsed")
    entity_list.loc[none, "citation_status"] = "none"
    entity_list.loc[cited, "citations"] = 0
    refused("entity_list", entity_list, cited)


def test_the_first_year_is_the_first_volume_plus_1935(entity_list):
    cited = first(entity_list, entity_list["first_volume"].notna())
    entity_list.loc[cited, "first_year"] = entity_list.loc[cited, "first_volume"] + 1936
    refused("entity_list", entity_list, cited)


def test_an_entry_without_a_first_citation_passes(entity_list):
    assert entity_list["first_year"].isna().any()
    passes("entity_list", entity_list)
