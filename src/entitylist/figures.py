"""The numbers of the story: every figure a chart or sentence shows is computed here."""

import re

import pandas as pd

KIND_ORDER = [
    "regional public security bureau",
    "subordinate public security bureau",
    "institute",
    "company",
]
KIND_LABELS = {
    "regional public security bureau": "Xinjiang regional public security bureau",
    "subordinate public security bureau": "Subordinate public security bureaus",
    "institute": "Institute",
    "company": "Companies",
}


def entries_by_kind(entries: pd.DataFrame) -> pd.DataFrame:
    """Count the 9 Oct 2019 rule's entries by kind, in the rule's order of kinds."""
    counts = entries["kind_detail"].value_counts().reindex(KIND_ORDER, fill_value=0)
    table = counts.rename_axis("kind_detail").reset_index(name="entries")
    table["kind"] = table["kind_detail"].map(KIND_LABELS)
    return table[table["entries"] > 0].reset_index(drop=True)[["kind", "kind_detail", "entries"]]


def rule_summary(entries: pd.DataFrame) -> dict[str, int]:
    """Headline counts of the 9 Oct 2019 rule: entries, companies, government bodies."""
    kinds = entries["kind"].value_counts()
    return {
        "entries": len(entries),
        "companies": int(kinds.get("company", 0)),
        "government": int(kinds.get("government", 0) + kinds.get("institute", 0)),
        "subordinate_bureaus": int(
            (entries["kind_detail"] == "subordinate public security bureau").sum()
        ),
        "unverified_names": int((entries["name_status"] != "verified").sum()),
    }


LISTING_RULE = "2019-22210"
LISTING_DATE = pd.Timestamp("2019-10-09")
# Milestones the story annotates, by rule id: the desk's editorial choice of what to label.
MILESTONES = {
    "2016-05104": "ZTE added",
    "84 FR 22961": "Huawei added",
    LISTING_RULE: "Xinjiang rule",
    "2020-15827": "Third Xinjiang tranche",
}
CONFIDENCE_RANK = {"stated": 0, "computed": 1, "approximate": 2, "inferred": 3, "unverified": 4}


def additions(rules: pd.DataFrame) -> pd.DataFrame:
    """Rules that add entries: action 'add', or any rule with China entries added."""
    adds = rules[(rules["action"] == "add") | (rules["china_entries"].fillna(0) > 0)]
    return adds[adds["date"].notna()].sort_values(["date", "rule_id"]).reset_index(drop=True)


def china_entries_by_year(rules: pd.DataFrame) -> pd.DataFrame:
    """China entries added per year: the known sum, and how many rules' counts are unknown."""
    adds = additions(rules).assign(year=lambda d: d["date"].dt.year)
    known = adds["china_count_status"] != "unknown"
    years = range(int(adds["year"].min()), int(adds["year"].max()) + 1)
    table = pd.DataFrame({"year": list(years)})
    table["known_entries"] = (
        table["year"]
        .map(adds[known].groupby("year")["china_entries"].sum())
        .fillna(0)
        .astype("int64")
    )
    table["rules_with_count"] = table["year"].map(adds[known].groupby("year").size())
    table["rules_count_unknown"] = table["year"].map(adds[~known].groupby("year").size())
    table["rules_with_count"] = table["rules_with_count"].fillna(0).astype("int64")
    table["rules_count_unknown"] = table["rules_count_unknown"].fillna(0).astype("int64")
    table["rules"] = table["rules_with_count"] + table["rules_count_unknown"]
    return table


def rules_timeline(rules: pd.DataFrame) -> pd.DataFrame:
    """One row per adding rule: date, China entries (unknown kept), milestone label."""
    adds = additions(rules)
    return pd.DataFrame(
        {
            "date": adds["date"],
            "rule": adds["citation"].fillna(adds["rule_id"]),
            "china_entries": adds["china_entries"],
            "count_status": adds["china_count_status"],
            "milestone": adds["rule_id"].map(MILESTONES),
            "is_listing_rule": adds["rule_id"] == LISTING_RULE,
            "source_url": adds["source_url"],
        }
    )


def timeline_summary(rules: pd.DataFrame) -> dict[str, object]:
    """Numbers the timeline prose uses: rules, known entries, unknown counts, extremes."""
    adds = additions(rules)
    known = adds[adds["china_count_status"] != "unknown"]
    biggest = known.loc[known["china_entries"].idxmax()] if len(known) else None
    before = adds[adds["date"] < LISTING_DATE]
    return {
        "first": adds["date"].min(),
        "latest": adds["date"].max(),
        "rules": len(adds),
        "rules_unknown": int((adds["china_count_status"] == "unknown").sum()),
        "known_entries": int(known["china_entries"].sum()),
        "biggest_rule": None if biggest is None else biggest["citation"] or biggest["rule_id"],
        "biggest_entries": None if biggest is None else int(biggest["china_entries"]),
        "biggest_date": None if biggest is None else biggest["date"],
        "rules_before_listing": len(before),
        "undated": int(rules["date"].isna().sum()),
    }


def listing_week(events: pd.DataFrame) -> pd.DataFrame:
    """Events of the week of Oct. 7 to 11, 2019, in order."""
    week = events[events["date"].between("2019-10-07", "2019-10-11")]
    return week.sort_values(["date", "event_id"]).reset_index(drop=True)


def after_listing(events: pd.DataFrame, company: str | None = None) -> pd.DataFrame:
    """Events after the rule took effect, for one company or for any of the eight."""
    later = events[(events["date"] > LISTING_DATE) & events["companies"].notna()]
    if company is not None:
        # A regex keeps the mask boolean even when no event is left to filter.
        named = later["companies"].str.contains(rf"(?:^|;){re.escape(company)}(?:;|$)")
        later = later[named.astype(bool)]
    return later.sort_values(["date", "event_id"]).reset_index(drop=True)


def best_first(frame: pd.DataFrame) -> pd.DataFrame:
    """Order figures by how firm they are, firmest first, keeping the input order otherwise."""
    rank = frame["confidence"].map(CONFIDENCE_RANK)
    return frame.assign(_rank=rank).sort_values("_rank", kind="stable").drop(columns="_rank")


def overseas_shares(financials: pd.DataFrame, companies: pd.DataFrame) -> pd.DataFrame:
    """Every stated overseas share, one series per company and definition of 'overseas'."""
    shares = financials[financials["metric"] == "overseas_share"]
    names = companies.set_index("company")["name"]
    return (
        pd.DataFrame(
            {
                "company": shares["company"].map(names),
                "period": shares["period"],
                "period_end": shares["period_end"],
                "share_pct": shares["value"],
                "definition": shares["definition"],
                "series": shares["company"].map(names) + ", " + shares["definition"],
                "confidence": shares["confidence"],
                "source_url": shares["source_url"],
            }
        )
        .sort_values(["company", "period_end", "definition"])
        .reset_index(drop=True)
    )


def latest_figure(figures: pd.DataFrame) -> pd.Series | None:
    """The firmest figure of the latest period, or None when there is no figure at all."""
    if figures.empty:
        return None
    latest = figures[figures["period_end"] == figures["period_end"].max()]
    return best_first(latest).iloc[0]


def snapshot_at(
    financials: pd.DataFrame, companies: pd.DataFrame, when: pd.Timestamp = LISTING_DATE
) -> pd.DataFrame:
    """Each company's latest overseas share known at a date, or none: never a zero."""
    shares = financials[
        (financials["metric"] == "overseas_share") & (financials["period_end"] <= when)
    ]
    rows = []
    for company, name in zip(companies["company"], companies["name"], strict=True):
        best = latest_figure(shares[shares["company"] == company])
        known = best is not None
        rows.append(
            {
                "company": name,
                "share_pct": best["value"] if known else pd.NA,
                "period": best["period"] if known else pd.NA,
                "confidence": best["confidence"] if known else pd.NA,
                "status": "figure" if known else "no public figure",
                "source_url": best["source_url"] if known else pd.NA,
            }
        )
    table = pd.DataFrame(rows)
    table["share_pct"] = table["share_pct"].astype("Float64")
    return table


def us_suppliers(suppliers: pd.DataFrame, companies: pd.DataFrame) -> pd.DataFrame:
    """Named US suppliers per company, and whether sources mention unnamed US ones."""
    us = suppliers[suppliers["supplier_country"] == "US"]
    named = us[us["named"]].groupby("company")["supplier_key"].agg(lambda s: sorted(set(s)))
    unnamed = us[~us["named"]].groupby("company").size()
    table = pd.DataFrame({"company": companies["company"], "name": companies["name"]})
    table["named_us_suppliers"] = (
        table["company"]
        .map(named)
        .map(lambda found: len(found) if isinstance(found, list) else pd.NA)
        .astype("Int64")
    )
    table["suppliers"] = (
        table["company"]
        .map(named)
        .map(lambda found: ", ".join(found) if isinstance(found, list) else pd.NA)
    )
    table["unnamed_us_mentioned"] = table["company"].isin(unnamed.index)
    return table


def ties(partnerships: pd.DataFrame, companies: pd.DataFrame) -> pd.DataFrame:
    """University and institution ties with their latest reported status."""
    names = companies.set_index("company")["name"]
    ordered = partnerships.sort_values(["company", "reported_by"], na_position="first")
    return pd.DataFrame(
        {
            "company": ordered["company"].map(names),
            "partner": ordered["partner"],
            "country": ordered["partner_country"],
            "started": ordered["started"],
            "status": ordered["status_change"],
            "outcome": ordered["outcome"],
            "is_partnership": ordered["is_partnership"],
            "source_url": ordered["source_url"],
        }
    ).reset_index(drop=True)


def exposure_table(tables: dict[str, pd.DataFrame], company: str) -> pd.DataFrame:
    """One company's exposure figures, each with its period, confidence and source."""
    financials = tables["financials"]
    own = financials[financials["company"] == company]
    rows = []
    for metric, label in (
        ("overseas_share", "Overseas share of revenue (%)"),
        ("overseas_revenue", "Overseas revenue (CNY m)"),
        ("total_revenue", "Total revenue (CNY m)"),
    ):
        best = latest_figure(own[own["metric"] == metric])
        known = best is not None
        rows.append(
            {
                "measure": label,
                "value": f"{best['value']:,.2f}".rstrip("0").rstrip(".") if known else pd.NA,
                "period": best["period"] if known else pd.NA,
                "definition": best["definition"] if known else pd.NA,
                "confidence": best["confidence"] if known else "no public figure",
                "source": best["source_url"] if known else pd.NA,
            }
        )
    suppliers = us_suppliers(tables["suppliers"], tables["companies"])
    mine = suppliers[suppliers["company"] == company].iloc[0]
    rows.append(
        {
            "measure": "US suppliers named in sources",
            "value": mine["suppliers"],
            "period": pd.NA,
            "definition": pd.NA,
            "confidence": "reported" if pd.notna(mine["suppliers"]) else "none named",
            "source": pd.NA,
        }
    )
    return pd.DataFrame(rows)


def story_facts(tables: dict[str, pd.DataFrame]) -> dict[str, object]:
    """Every number and name the story's prose uses, computed from the (as-of) tables."""
    entries, rules = tables["entries_2019"], tables["rules"]
    companies, financials = tables["companies"], tables["financials"]
    listing = rules[rules["rule_id"] == LISTING_RULE].iloc[0]
    snapshot = snapshot_at(financials, companies)
    known = snapshot[snapshot["status"] == "figure"]
    suppliers = us_suppliers(tables["suppliers"], companies)
    partnerships = tables["partnerships"]
    real_ties = partnerships[partnerships["is_partnership"]]
    ended = real_ties[real_ties["outcome"] == "ended"]
    zte_removed = rules[
        rules["notable_entities"].fillna("").str.contains("ZTE Corporation \\(removed")
    ]
    huawei = rules[rules["notable_entities"].fillna("").str.startswith("Huawei Technologies")]
    names = companies.set_index("company")["name"]
    return {
        **rule_summary(entries),
        **{f"timeline_{k}": v for k, v in timeline_summary(rules).items()},
        "listing_date": listing["date"],
        "listing_citation": listing["citation"],
        "license_requirement": entries["license_requirement"].mode().iloc[0],
        "company_names": list(companies.sort_values("entry_no")["name"]),
        "known_shares": [
            f"{r.company} {r.share_pct:g}% ({r.period}, {r.confidence})"
            for r in known.itertuples()
        ],
        "no_share": list(snapshot.loc[snapshot["status"] != "figure", "company"]),
        "supplier_lines": [
            f"{r.name}: {r.suppliers}" for r in suppliers.itertuples() if pd.notna(r.suppliers)
        ],
        "no_suppliers": list(suppliers.loc[suppliers["suppliers"].isna(), "name"]),
        "tie_companies": sorted(set(real_ties["company"].map(names))),
        "ended_ties": [f"{r.partner} and {names[r.company]}" for r in ended.itertuples()],
        "zte_added": rules.loc[rules["rule_id"] == "2016-05104", "date"].min(),
        "zte_removed": zte_removed["date"].min() if len(zte_removed) else None,
        "huawei_added": huawei["date"].min() if len(huawei) else None,
        "later_events": len(after_listing(tables["events"])),
        "zte_china": int(rules.loc[rules["rule_id"] == "2016-05104", "china_entries"].iloc[0]),
        "zte_total": int(rules.loc[rules["rule_id"] == "2016-05104", "total_entries"].iloc[0]),
        "unverified_figures": [
            f"{names[r.company]}'s {r.period} {r.metric.replace('_', ' ')}"
            for r in financials[financials["confidence"] == "unverified"].itertuples()
        ],
    }


def profile(tables: dict[str, pd.DataFrame], company: str) -> dict[str, object]:
    """Everything a company's profile page shows, or a ParameterError naming valid companies."""
    from entitylist.errors import ParameterError

    companies = tables["companies"].set_index("company")
    if company not in companies.index:
        msg = f"company={company!r}: not one of {', '.join(companies.index)}"
        raise ParameterError(msg)
    row = companies.loc[company]
    names = companies["name"]
    suppliers = tables["suppliers"][tables["suppliers"]["company"] == company]
    own_ties = ties(tables["partnerships"], tables["companies"])
    listing = tables["rules"][tables["rules"]["rule_id"] == LISTING_RULE]
    return {
        "name": row["name"],
        "name_zh": row["name_zh"] if pd.notna(row["name_zh"]) else None,
        "title": f"{row['name']} ({row['name_zh']})" if pd.notna(row["name_zh"]) else row["name"],
        "listed_as": row["listed_as"],
        "entry_no": int(row["entry_no"]),
        "listed_on": listing["date"].iloc[0] if len(listing) else LISTING_DATE,
        "suppliers": pd.DataFrame(
            {
                "supplier": suppliers["supplier"],
                "country": suppliers["supplier_country"],
                "how the country is known": suppliers["country_basis"],
                "component": suppliers["component"],
                "source": suppliers["source_url"],
            }
        ),
        "ties": own_ties[own_ties["company"] == names[company]].drop(
            columns=["company", "is_partnership"]
        ),
    }
