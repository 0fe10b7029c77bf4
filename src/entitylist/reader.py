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
    profile_page,
    short_definition,
)
from entitylist.story import Link, source_link

NOT_FOUND = "not in the desk's sources"


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


def disagreements(frame: pd.DataFrame) -> pd.DataFrame:
    """Rules whose stated and still-listed China counts differ, for the data page."""
    return pd.DataFrame(
        {
            "Rule": frame["citation"],
            "Published": frame["date"],
            "China entries stated": frame["china_entries"],
            "Of them still listed in 2026": frame["still_listed"],
            "Source": frame["source_url"].map(source_link),
        }
    )


def glance(frame: pd.DataFrame) -> pd.DataFrame:
    """One company's row of the comparison, turned on its side for its profile."""
    row = comparison(frame).drop(columns="Company").iloc[0]
    return pd.DataFrame({"Measure": list(row.index), "Latest in the desk's sources": list(row)})
