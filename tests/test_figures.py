"""Figures: superlatives that survive the unknowns, still-listed counts, and the 28 named."""

import json

import pandas as pd
import pytest

from entitylist import figures, manifest, sources


def test_a_leader_is_named_only_when_no_unknown_can_overturn_it():
    low = pd.Series({"2023": 138, "2024": 54, "2025": 131})
    assert figures.leader(low, low) == "2023"
    # 2024's unknown rules could have added up to 322: 2023 is not a safe peak.
    assert figures.leader(low, pd.Series({"2023": 149, "2024": 322, "2025": 131})) is None
    # Equal lows never make a leader.
    assert figures.leader(pd.Series({"a": 5, "b": 5}), pd.Series({"a": 5, "b": 5})) is None


def test_the_desk_claims_no_peak_year_of_additions(tables):
    summary = figures.timeline_summary(
        figures.rules_still_listed(tables["rules"], tables["entity_list"], tables["entries_2019"])
    )
    assert summary["peak_year"] is None


def independent_china_years() -> dict[int, int]:
    """China entries by year of first citation, read from the raw file with plain json + re."""
    import re

    listing = json.loads(manifest.current(sources.SCREENING_LIST).read_bytes())
    source = listing["tables"]["sources"].index(
        "Entity List (EL) - Bureau of Industry and Security"
    )
    years: dict[int, int] = {}
    for entry in listing["entries"]:
        if entry["s"] != source or "CN" not in entry.get("c", []):
            continue
        found = re.match(r"\s*(?:Vol\.\s*)?(\d+)", entry.get("fr") or "")
        if found:
            years[int(found[1]) + 1935] = years.get(int(found[1]) + 1935, 0) + 1
    return years


def test_still_listed_counts_by_year_match_the_file(tables):
    by_year = figures.still_listed_by_year(tables["entity_list"], tables["entries_2019"])
    summary = figures.still_listed_summary(tables["entity_list"], tables["entries_2019"])
    raw = independent_china_years()
    # Every China record is in one entry's count: dated by year, or among the undated.
    assert by_year["records"].sum() + summary["undated_records"] == 1104
    assert sum(raw.values()) == 1104 - summary["uncited_records"]
    assert summary["china_records"] == 1104
    assert by_year["entries"].sum() + summary["undated"] == summary["china"]
    # Entries are fewer than records: sub-rows and repeated names are not entries of their own.
    assert summary["china"] < summary["china_records"] - summary["china_parts"]
    assert summary["entries"] < summary["records"] == 3420
    # An entry's year is its earliest record's: no year that no record gives.
    assert set(by_year["year"]) <= set(raw)
    assert summary["miscited"] == 3


def test_exactly_the_28_entries_of_the_rule_are_joined_to_the_list(tables):
    names = figures.listing_rule_names(tables["entries_2019"])
    china = figures.china_records(tables["entity_list"])
    joined = china[china["name"].isin(names)]
    assert len(joined) == 28
    for later in ("NetPosa", "SenseNets", "FiberHome Starrysky"):
        assert not joined["name"].str.contains(later, case=False).any(), later
    entries = figures.china_entries(tables["entity_list"], tables["entries_2019"])
    assert entries["listing_rule"].sum() == 28


def test_the_listing_rule_has_all_28_still_listed(tables):
    rules = figures.rules_still_listed(
        tables["rules"], tables["entity_list"], tables["entries_2019"]
    )
    rule = rules[rules["rule_id"] == figures.LISTING_RULE].iloc[0]
    assert rule["still_listed"] == 28


def test_an_impossible_attribution_is_not_claimed(tables):
    rules = figures.rules_still_listed(
        tables["rules"], tables["entity_list"], tables["entries_2019"]
    )
    over = rules[rules["still_listed"] > rules["total_entries"]]
    assert over.empty


def test_unknown_counts_are_lower_bounds_never_zeros(tables):
    rules = figures.rules_still_listed(
        tables["rules"], tables["entity_list"], tables["entries_2019"]
    )
    timeline = figures.rules_timeline(rules)
    unknown = timeline[timeline["china_entries"].isna()]
    assert not unknown.empty
    assert set(unknown["count_status"]) <= {"at least (still listed)", "unknown"}
    at_least = unknown[unknown["count_status"] == "at least (still listed)"]
    assert (at_least["shown"] == at_least["still_listed"]).all()


def test_the_directory_never_shows_the_wrong_citation(tables):
    directory = figures.china_directory(tables["entity_list"], tables["entries_2019"])
    summary = figures.still_listed_summary(tables["entity_list"], tables["entries_2019"])
    assert len(directory) == summary["china"] < 1104
    assert directory["records"].sum() == 1104
    assert not directory["first_citation"].fillna("").str.contains("54004").any()
    altay = directory[directory["name"] == "Altay Municipality Public Security Bureau"].iloc[0]
    assert altay["first_citation"] == "84 FR 54002"
    assert altay["listing_rule"]


def test_the_snapshot_at_listing_uses_only_what_was_public(tables):
    snapshot = figures.snapshot_at(tables["financials"], tables["companies"]).set_index("company")
    assert snapshot.at["Megvii", "share_pct"] == pytest.approx(4.9)
    # SenseTime's first public figures came with its 2021 prospectus.
    assert pd.isna(snapshot.at["SenseTime", "share_pct"])
    assert pd.isna(snapshot.at["Dahua", "share_pct"])


def test_the_lede_states_when_and_why(tables):
    facts = figures.listing(tables)
    assert facts["announced"] == pd.Timestamp("2019-10-07")
    assert facts["published"] == pd.Timestamp("2019-10-09")
    assert facts["reason"] == "human rights abuses in Xinjiang"
