"""Tables for readers: the figures' frames with English headers, house formats and source links.

Each function takes a frame from `figures` and returns the frame a page shows: headers a
reader understands, no booleans or code names, numbers as text where a unit or flag belongs
with them, and sources as links that name their publisher (a copy labelled as a copy).
"""

import pandas as pd

from entitylist import words
from entitylist.figures import (
    FIRM,
    display_name,
    kind_labels,
    kind_singulars,
    profile_page,
    short_definition,
)
from entitylist.story import Link, source_link

NOT_FOUND = "not in the desk's sources"
UNNAMED = "not yet named in the desk's sources"


def profile_link(name: str, page: object) -> Link | str:
    """A name, linked to its profile page where it has one (figures.profile_page)."""
    return Link(page, name) if isinstance(page, str) else name


def share_text(row: pd.Series) -> str:
    """'28% (FY 2024; overseas main business)' or the missing wording."""
    if pd.isna(row["share_pct"]):
        return NOT_FOUND
    firm = row["share_confidence"] in FIRM
    flag = "" if firm else f"; {row['share_confidence']}"
    definition = short_definition(row["share_definition"])
    value = words.approximately(words.share(row["share_pct"]), row["share_qualifier"])
    return f"{value} ({row['share_period']}; {definition}{flag})"


def revenue_text(row: pd.Series) -> str:
    """'CNY 92.5bn (FY 2024)' or the missing wording."""
    if pd.isna(row["revenue"]):
        return NOT_FOUND
    return f"{words.money(row['revenue'])} ({row['revenue_period']})"


def comparison(frame: pd.DataFrame) -> pd.DataFrame:
    """The companies side by side (figures.exposure_comparison) for a reader."""
    return pd.DataFrame(
        {
            "Company": [
                profile_link(display_name(r.name, r.name_zh), profile_page(r.company))
                for r in frame.itertuples()
            ],
            "Overseas share": frame.apply(share_text, axis=1),
            "Revenue": frame.apply(revenue_text, axis=1),
            "US suppliers named": frame["us_suppliers"].fillna("none named"),
            "University ties": [
                ties_text(named, ended, unnamed)
                for named, ended, unnamed in zip(
                    frame["institutions"], frame["ties_ended"], frame["unnamed_ties"], strict=True
                )
            ],
            "Share source": frame["share_source"].map(source_link),
        }
    )


def ties_text(named: list[str], ended: int, unnamed: int) -> str:
    """'MIT and York University (one ended); also universities the source does not name'."""
    if not named and not unnamed:
        return "none in the desk's sources"
    text = words.and_list(named) if named else ""
    if named and ended:
        text += f" ({words.number(ended)} ended)"
    if unnamed:
        other = "universities a source does not name"
        text = f"{text}; also {other}" if text else other.capitalize()
    return text


def ties(frame: pd.DataFrame) -> pd.DataFrame:
    """University ties (figures.ties) for a reader, each status with its source."""
    return pd.DataFrame(
        {
            "Company": frame["company_name"],
            "Institution": frame["institution_name"].fillna("not named by the source"),
            "Partner, as the source names it": frame["partner"],
            "Country": frame["partner_country"],
            "Began": frame["started"].fillna("not stated"),
            "Status reported": frame["status_change"],
            "Source": frame["source_url"].map(source_link),
        }
    )


def suppliers(frame: pd.DataFrame) -> pd.DataFrame:
    """A company's suppliers (processed suppliers rows) for a reader."""
    return pd.DataFrame(
        {
            "Supplier": frame["supplier"],
            "Country": [
                f"{c} ({b.replace('desk: ', 'the desk: ')})"
                if isinstance(c, str) and b != "stated in source"
                else (c if isinstance(c, str) else "not stated")
                for c, b in zip(frame["supplier_country"], frame["country_basis"], strict=True)
            ],
            "Component": frame["component"].fillna("not stated"),
            "Source": frame["source_url"].map(source_link),
        }
    )


def entries(frame: pd.DataFrame) -> pd.DataFrame:
    """The rule's entries (figures.named_entries) for a reader: name, aliases, kind, profile."""
    return pd.DataFrame(
        {
            "No.": frame["entry_no"],
            "Name on the official list": [
                profile_link(name, page)
                for name, page in zip(frame["name"], frame["profile"], strict=True)
            ],
            "Also listed as": frame["aliases"].fillna(""),
            "Kind": frame["kind"],
        }
    )


def kind_names(group: pd.DataFrame, full: str | None) -> object:
    """Who a kind's entries are: companies linked to their profiles, a single entry by name,
    a longer list by a link to where it is given in full (or the names, without one)."""
    if group["company"].notna().all():
        named = [
            profile_link(c, p) for c, p in zip(group["company"], group["profile"], strict=True)
        ]
        return named if all(isinstance(n, Link) for n in named) else ", ".join(map(str, named))
    if len(group) == 1:
        return group["name"].iloc[0]
    if not group["named"].any():
        return UNNAMED
    if full and group["named"].all():
        return Link(full, f"all {len(group)} named on the entities page")
    return "; ".join(group["name"])


def entries_summary(frame: pd.DataFrame, full: str | None = None) -> pd.DataFrame:
    """The rule's entries (figures.named_entries) counted by kind, for a story: each kind's
    entries named where few, else linked to `full`, the page that lists them all."""
    groups = frame.groupby("kind", sort=False)
    # A kind of entry, as a heading over several of them.
    several = kind_labels()
    plural = {one: several[code] for code, one in kind_singulars().items()}
    return pd.DataFrame(
        {
            "Kind": [plural.get(kind, kind) for kind in groups.groups],
            "Entries": [len(group) for _, group in groups],
            "Who": [kind_names(group, full) for _, group in groups],
        }
    )


def disagreements(frame: pd.DataFrame) -> pd.DataFrame:
    """Rules whose stated China count and entries matched on the list differ, for the data
    page: fewer matched is a floor below the count; more matched is no count at all."""
    return pd.DataFrame(
        {
            "Rule": frame["citation"],
            "Published": frame["date"],
            "China entries stated": frame["china_entries"],
            "Entries matched on the 2026 list": frame["matched"],
            "What the pages show": [
                "the stated count; more entries matched than it stated, so the matches "
                "count nothing"
                if pd.isna(floor)
                else "the stated count; fewer are on the list today"
                for floor in frame["still_listed"]
            ],
            "Source": frame["source_url"].map(source_link),
        }
    )


def glance(frame: pd.DataFrame) -> pd.DataFrame:
    """One company's row of the comparison, turned on its side for its profile."""
    row = comparison(frame).drop(columns="Company").iloc[0]
    return pd.DataFrame({"Measure": list(row.index), "Latest in the desk's sources": list(row)})
