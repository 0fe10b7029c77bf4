"""Figures: superlatives that survive the unknowns, still-listed counts, and the 28 named."""

import json

import pandas as pd
import pytest

from entitylist import figures
from entitylist.data import manifest, sources


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


# ---------------------------------------------------------------------------------------
# Entries, not records: identity before counting, floors that are floors

# The noisiest real records of the list: Huawei's entry, its 22 affiliate sub-rows and its
# second record; the CASIC academy whose institutes repeat with five volumes of one page;
# names the list repeats, once with doubled or missing punctuation.
NOISY = (
    "Huawei Technologies Co., Ltd.",
    "China Aerospace Science and Industry Corporation Second Academy",
    "Avin Electronics Technology Co",
    "Beijing China Aviation Technology Co., Ltd",
)
HUAWEI = "Huawei Technologies Co., Ltd. (Huawei)"


@pytest.fixture(scope="module")
def noisy(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """The noisy records above, as the processed entity_list table has them."""
    records = tables["entity_list"]
    return records[records["name"].str.startswith(NOISY)].reset_index(drop=True)


def test_a_sub_row_is_part_of_its_parent_entry():
    key = figures.entry_key
    assert key(f"{HUAWEI}. Affiliated Entity: Huawei Marine Networks Co., Ltd.") == key(HUAWEI)
    assert key(
        "China Aerospace Science and Industry Corporation Second Academy. Subordinate "
        "Institution - 204th Research Institute"
    ) == key("China Aerospace Science and Industry Corporation Second Academy")
    # The part is not an entry of its own under its own name.
    assert key(f"{HUAWEI}. Affiliated Entity: Huawei Marine Networks Co., Ltd.") != key(
        "Huawei Marine Networks Co., Ltd."
    )


def test_names_are_one_entry_after_case_spaces_and_trailing_punctuation():
    key = figures.entry_key
    assert key("Beijing China Aviation Technology Co., Ltd") == key(
        "Beijing China Aviation Technology Co., Ltd."
    )
    assert key("Avin Electronics Technology Co.., Ltd. (AETC)") == key(
        "Avin Electronics Technology Co., Ltd. (AETC)"
    )
    assert key("  huawei   TECHNOLOGIES co., ltd.;") == key("Huawei Technologies Co., Ltd.")


def test_a_short_form_bracket_is_the_same_entry_any_other_bracket_is_not():
    key = figures.entry_key
    assert key(HUAWEI) == key("Huawei Technologies Co., Ltd.")
    assert key("Chengdu GaStone Technology Co., Ltd. (CGTC)") == key(
        "Chengdu GaStone Technology Co., Ltd."
    )
    assert key("ACM Research (Shanghai)") != key("ACM Research")
    assert key("AccoTest Technology Co., Ltd. (Hong Kong)") != key("AccoTest Technology Co., Ltd.")
    assert key("Guangzhou Hongyu Technology Co., Ltd. (a subordinate institute of CETC-7)") != key(
        "Guangzhou Hongyu Technology Co., Ltd."
    )
    assert key(
        "China Electronics Technology Group Corporation 13th Research Institute (CETC 13)"
    ) != key("China Electronics Technology Group Corporation 14th Research Institute (CETC 14)")


def test_huaweis_records_are_one_entry_with_its_affiliates_as_parts(noisy, tables):
    entries = figures.list_entries(noisy, tables["entries_2019"]).set_index("key")
    huawei = entries.loc[figures.entry_key(HUAWEI)]
    own = noisy[noisy["name"].str.startswith("Huawei Technologies Co., Ltd.")]
    affiliates = own["name"].str.contains(". Affiliated Entity: ", regex=False)
    assert affiliates.sum() == 22
    assert huawei["records"] == len(own) == 22 + 2
    assert huawei["name"] == HUAWEI
    assert len(huawei["parts"].split("; ")) == 22
    assert "Huawei Marine Networks Co., Ltd." in huawei["parts"]
    # The entry's own aliases, not its affiliates'.
    assert "Shenzhen Huawei Technologies" in huawei["aliases"]
    assert "HMN Tech" not in huawei["aliases"]
    assert huawei["first_citation"] == "84 FR 22963"
    assert huawei["year"] == 2019


def test_an_academy_cited_under_five_volumes_is_one_entry_of_2018(noisy, tables):
    entries = figures.list_entries(noisy, tables["entries_2019"]).set_index("key")
    academy = entries.loc[
        figures.entry_key("China Aerospace Science and Industry Corporation Second Academy")
    ]
    records = noisy["name"].str.startswith("China Aerospace Science and Industry Corporation")
    # The 204th, 206th and 207th institutes each cite 83 to 87 FR 37423: the list's slip.
    assert set(noisy.loc[records, "first_volume"]) == {83, 84, 85, 86, 87}
    assert academy["records"] == records.sum() > 20
    assert academy["first"] == (83, 37423)
    assert academy["year"] == 2018
    assert not entries["year"].isin([2020, 2021, 2022]).any()


def test_a_repeated_name_counts_once(noisy, tables):
    entries = figures.list_entries(noisy, tables["entries_2019"])
    assert len(entries) == 4
    avin = entries.set_index("key").loc[figures.entry_key("Avin Electronics Technology Co., Ltd.")]
    # Twice in China (once as "Co.., Ltd."), once in Hong Kong: one entry of three records.
    assert avin["records"] == noisy["name"].str.startswith("Avin").sum() == 3
    assert avin["china_records"] == 2


def raw_china_records(first: str) -> list[str]:
    """Names of China records whose first citation starts with `first`, read with plain json."""
    listing = json.loads(manifest.current(sources.SCREENING_LIST).read_bytes())
    source = listing["tables"]["sources"].index(
        "Entity List (EL) - Bureau of Industry and Security"
    )
    return [
        entry["n"]
        for entry in listing["entries"]
        if entry["s"] == source
        and "CN" in entry.get("c", [])
        and (entry.get("fr") or "").replace("  ", " ").startswith(first)
    ]


def test_the_huawei_rules_floor_counts_entries_not_records(tables):
    rules = figures.rules_still_listed(
        tables["rules"], tables["entity_list"], tables["entries_2019"]
    )
    may = rules[rules["citation"] == "84 FR 22961"].iloc[0]
    records = raw_china_records("84 FR 2296")
    affiliates = [n for n in records if ". Affiliated Entity: " in n]
    assert len(records) == 58
    assert len(affiliates) == 22
    # Not 58 records: the sub-rows are parts of the one Huawei entry, Huawei's second record
    # is the same entry, and each entry is counted once.
    assert may["still_listed"] == len({figures.entry_key(n) for n in records})
    assert may["still_listed"] == 58 - 22 - 1
    # Huawei counts for May 2019 only, not again for the August 2019 rule that also cites it.
    matched = figures.rule_of_entries(tables["entity_list"], tables["entries_2019"], rules)
    assert matched[figures.entry_key(HUAWEI)] == (84, 22961)


def test_each_entry_counts_for_one_rule_only(tables):
    rules = figures.rules_still_listed(
        tables["rules"], tables["entity_list"], tables["entries_2019"]
    )
    matched = figures.rule_of_entries(tables["entity_list"], tables["entries_2019"], rules)
    assert matched.index.is_unique
    assert rules["matched"].fillna(0).sum() == matched.notna().sum()


def test_no_floor_is_above_a_stated_count(tables):
    rules = figures.rules_still_listed(
        tables["rules"], tables["entity_list"], tables["entries_2019"]
    )
    stated = rules[rules["china_entries"].notna() & rules["still_listed"].notna()]
    assert (stated["still_listed"] <= stated["china_entries"]).all()
    over = rules[rules["matched"] > rules["china_entries"].fillna(rules["total_entries"])]
    # The Dec. 2020 rule stated 59 and its pages match more: no count is claimed.
    assert "85 FR 83416" in set(over["citation"])
    assert over["still_listed"].isna().all()
    one = rules[rules["citation"] == "89 FR 14403"].iloc[0]
    assert one["china_entries"] == 1
    assert one["still_listed"] <= 1
    disagree = figures.count_disagreements(rules)
    dec = disagree[disagree["citation"] == "85 FR 83416"].iloc[0]
    assert dec["matched"] > dec["china_entries"]
    assert pd.isna(dec["still_listed"])


def test_at_least_is_drawn_only_at_a_floor(tables):
    rules = figures.rules_still_listed(
        tables["rules"], tables["entity_list"], tables["entries_2019"]
    )
    timeline = figures.rules_timeline(rules).set_index("rule")
    at_least = timeline[timeline["count_status"] == "at least (still listed)"]
    assert (at_least["shown"] == at_least["still_listed"]).all()
    may = timeline.loc["84 FR 22961"]
    assert may["count_status"] == "at least (still listed)"
    assert may["shown"] == rules.set_index("citation").at["84 FR 22961", "still_listed"] < 58


def test_without_the_list_nothing_is_still_listed_not_zero(tables):
    empty = tables["entity_list"].iloc[0:0]
    rules = figures.rules_still_listed(tables["rules"], empty, tables["entries_2019"])
    assert rules["still_listed"].isna().all()
    assert rules["matched"].isna().all()
    timeline = figures.rules_timeline(rules)
    assert "at least (still listed)" not in set(timeline["count_status"])


# ---------------------------------------------------------------------------------------
# What each chart shows, computed here and drawn by charts (on the pack's real rows)


def test_the_still_listed_columns_cover_every_year_and_the_undated_apart(tables):
    table = figures.still_listed_columns(tables["entity_list"], tables["entries_2019"])
    summary = figures.still_listed_summary(tables["entity_list"], tables["entries_2019"])
    dated = table[table["dated"]]
    years = [int(y) for y in dated["year"]]
    # Every year from the first citation to the last, a year without entries counted 0.
    assert years == list(range(years[0], years[-1] + 1))
    assert (years[0], years[-1]) == (summary["first_year"], summary["last_year"])
    by_year = figures.still_listed_by_year(tables["entity_list"], tables["entries_2019"])
    assert (dated["entries"] == 0).sum() == len(years) - len(by_year)
    assert (dated["other"] + dated["listing_rule"] == dated["entries"]).all()
    # One row, last, for the entries with no year: every China entry is counted once.
    assert list(table["dated"]) == [True] * len(dated) + [False]
    assert table["entries"].sum() == summary["china"]
    assert table.iloc[-1]["entries"] == summary["undated"] > 0


def test_the_overseas_facts_split_the_companies_and_count_estimates(tables):
    shares = figures.overseas_shares(tables["financials"], tables["companies"])
    facts = figures.overseas_facts(shares, tables["companies"], tables["financials"])
    assert sorted(facts["companies"] + facts["without"]) == sorted(tables["companies"]["name"])
    assert facts["companies"]
    assert facts["without"]
    assert facts["estimates"] == (~shares["confidence"].isin(["stated", "computed"])).sum() > 0
    assert facts["half_years"] == (shares["period"].str.startswith("H1")).sum()
    financials = tables["financials"]
    hikvision = financials[
        (financials["company"] == "hikvision") & (financials["metric"] == "overseas_share")
    ]
    assert facts["hikvision_definitions"] == hikvision["definition"].nunique() > 1
    assert facts["series"] == shares.groupby(["company", "definition"]).ngroups


def test_the_snapshot_facts_count_no_figure_as_missing_not_zero(tables):
    snapshot = figures.snapshot_at(tables["financials"], tables["companies"])
    facts = figures.snapshot_facts(snapshot, figures.LISTING_DATE)
    assert facts["known"] + facts["missing"] == facts["companies"] == len(tables["companies"])
    assert facts["missing"] > 0
    missing = snapshot[snapshot["share_pct"].isna()]
    assert facts["missing_names"] == list(missing["company"])
    known = snapshot[snapshot["share_pct"].notna()]
    assert facts["estimates"] == (~known["confidence"].isin(figures.FIRM)).sum()


def test_the_supplier_facts_name_a_leader_only_when_it_leads_alone(tables):
    table = figures.us_suppliers(tables["suppliers"], tables["companies"])
    facts = figures.supplier_facts(table, tables["suppliers"])
    counts = table.dropna(subset=["named_us_suppliers"]).set_index("name")["named_us_suppliers"]
    assert facts["named"] + len(facts["none"]) == len(tables["companies"])
    assert facts["none"] == list(table.loc[table["named_us_suppliers"].isna(), "name"])
    alone = (counts == counts.max()).sum() == 1
    assert (facts["most"] is not None) == alone
    if alone:
        assert facts["most"] == counts.idxmax()
        assert facts["most_count"] == counts.max()
    suppliers = tables["suppliers"]
    chinese = suppliers[
        (suppliers["company"] == "hikvision")
        & (suppliers["supplier_country"] == "China")
        & suppliers["named"]
    ]
    assert facts["hikvision_domestic"] == list(chinese["supplier"])


def test_the_revenue_facts_keep_two_bases_apart(tables):
    series = figures.revenue_series(tables["financials"], "megvii")
    facts = figures.revenue_facts(series, "Megvii")
    # Megvii's two prospectuses are two bases, never spliced: the ends are those of the basis
    # of the latest figure.
    assert facts["bases"] == len(facts["basis_names"]) == 2
    latest = series[series["basis"] == series.iloc[-1]["basis"]]
    assert (facts["first_year"], facts["last_year"]) == (
        latest["year"].min(),
        latest["year"].max(),
    )
    assert facts["first"] == latest.iloc[0]["revenue_cny_m"]
    assert facts["last"] == latest.iloc[-1]["revenue_cny_m"]
    both = series.groupby("year")["basis"].nunique()
    assert facts["clash_year"] == both[both > 1].index.min()
    assert len(facts["clash_amounts"]) == 2
    single = figures.revenue_facts(figures.revenue_series(tables["financials"], "dahua"), "Dahua")
    assert single["bases"] == 1
    assert single["clash_year"] is None
