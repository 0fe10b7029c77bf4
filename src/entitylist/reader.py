"""Tables for readers: the figures' frames with English headers, house formats and source links.

Each function takes a frame from `figures` and returns the frame a page shows: headers a
reader understands, no booleans or code names, numbers as text where a unit or flag belongs
with them, and sources as links that name their publisher (a copy labelled as a copy).
"""

import pandas as pd

from entitylist import publishers, words
from entitylist.story import Link

NOT_FOUND = "not in the desk's sources"


def source_link(url: object) -> Link | None:
    """A link to a source, named by its publisher, a copy labelled with its original."""
    if not isinstance(url, str) or not url.startswith("http"):
        return None
    found = publishers.publisher(url)
    return Link(url, found.name, note=found.note)


def profile_link(name: str, slug: object) -> Link | str:
    """A company's name, linked to its profile page."""
    return Link(f"company-{slug}.html", name) if isinstance(slug, str) else name


def share_text(row: pd.Series) -> str:
    """'28.1% (FY 2024, overseas main business)' or the missing wording."""
    if pd.isna(row["share_pct"]):
        return NOT_FOUND
    flag = (
        "" if row["share_confidence"] in ("stated", "computed") else f", {row['share_confidence']}"
    )
    definition = row["share_definition"].split(" (")[0]
    return f"{words.digits(row['share_pct'])}% ({row['share_period']}, {definition}{flag})"


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
                profile_link(
                    f"{r.name} ({r.name_zh})" if isinstance(r.name_zh, str) else r.name, r.company
                )
                for r in frame.itertuples()
            ],
            "Latest overseas share": frame.apply(share_text, axis=1),
            "Latest full-year revenue": frame.apply(revenue_text, axis=1),
            "US suppliers named": frame["us_suppliers"].fillna("none named"),
            "University ties (ended)": [
                f"{n} ({e} ended)" if n else "none in the desk's sources"
                for n, e in zip(frame["ties"], frame["ties_ended"], strict=True)
            ],
            "Source of the share": frame["share_source"].map(source_link),
        }
    )


def ties(frame: pd.DataFrame) -> pd.DataFrame:
    """University ties (figures.ties) for a reader, each status with its source."""
    return pd.DataFrame(
        {
            "Company": frame["company_name"],
            "Partner": frame["partner"],
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
                profile_link(n, s) if isinstance(s, str) else n
                for n, s in zip(
                    frame["name"],
                    frame["profile"].str.extract(r"company-(.+)\.html")[0],
                    strict=True,
                )
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
