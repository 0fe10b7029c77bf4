"""Tables for readers: the figures' frames with English headers, house formats and source links;
the headers and the words in cells come from notebooks/words.yaml (`tables`).

Each function takes a frame from `figures` and returns the frame a page shows: headers a
reader understands, no booleans or code names, numbers as text where a unit or flag belongs
with them, and sources as links that name their publisher (a copy labelled as a copy).
"""

import pandas as pd

from entitylist import config, words
from entitylist.figures import (
    FIRM,
    display_name,
    kind_labels,
    kind_singulars,
    profile_page,
    short_definition,
)
from entitylist.story import Link, source_link


def said(table: str) -> config.TableWords:
    """A reader's table's words (notebooks/words.yaml)."""
    return config.wording().table(table)


def profile_link(name: str, page: object) -> Link | str:
    """A name, linked to its profile page where it has one (figures.profile_page)."""
    return Link(page, name) if isinstance(page, str) else name


def share_text(row: pd.Series, missing: str) -> str:
    """'28% (FY 2024; overseas main business)' or the missing wording."""
    if pd.isna(row["share_pct"]):
        return missing
    firm = row["share_confidence"] in FIRM
    flag = "" if firm else f"; {row['share_confidence']}"
    definition = short_definition(row["share_definition"])
    value = words.approximately(words.share(row["share_pct"]), row["share_qualifier"])
    return f"{value} ({row['share_period']}; {definition}{flag})"


def revenue_text(row: pd.Series, missing: str) -> str:
    """'CNY 92.5bn (FY 2024)' or the missing wording."""
    if pd.isna(row["revenue"]):
        return missing
    return f"{words.money(row['revenue'])} ({row['revenue_period']})"


def comparison(frame: pd.DataFrame) -> pd.DataFrame:
    """The companies side by side (figures.exposure_comparison) for a reader."""
    own = said("comparison")
    missing = own.label("not_found")
    return pd.DataFrame(
        {
            own.column("company"): [
                profile_link(display_name(r.name, r.name_zh), profile_page(r.company))
                for r in frame.itertuples()
            ],
            own.column("share"): frame.apply(share_text, axis=1, missing=missing),
            own.column("revenue"): frame.apply(revenue_text, axis=1, missing=missing),
            own.column("suppliers"): frame["us_suppliers"].fillna(own.label("no_suppliers")),
            own.column("ties"): [
                words.fill(own.label("ties"), named=named, ended=ended, unnamed=unnamed)
                for named, ended, unnamed in zip(
                    frame["institutions"], frame["ties_ended"], frame["unnamed_ties"], strict=True
                )
            ],
            own.column("share_source"): frame["share_source"].map(source_link),
        }
    )


def ties(frame: pd.DataFrame) -> pd.DataFrame:
    """University ties (figures.ties) for a reader, each status with its source."""
    own = said("ties")
    return pd.DataFrame(
        {
            own.column("company"): frame["company_name"],
            own.column("institution"): frame["institution_name"].fillna(own.label("unnamed")),
            own.column("partner"): frame["partner"],
            own.column("country"): frame["partner_country"],
            own.column("began"): frame["started"].fillna(own.label("not_stated")),
            own.column("status"): frame["status_change"],
            own.column("source"): frame["source_url"].map(source_link),
        }
    )


# The country basis of a supplier whose country its source states (suppliers.country_basis).
STATED = "stated in source"


def suppliers(frame: pd.DataFrame) -> pd.DataFrame:
    """A company's suppliers (processed suppliers rows) for a reader."""
    own = said("suppliers")
    missing = own.label("not_stated")
    return pd.DataFrame(
        {
            own.column("supplier"): frame["supplier"],
            own.column("country"): [
                words.fill(own.label("country"), country=c, basis=b)
                if isinstance(c, str) and b != STATED
                else (c if isinstance(c, str) else missing)
                for c, b in zip(frame["supplier_country"], frame["country_basis"], strict=True)
            ],
            own.column("component"): frame["component"].fillna(missing),
            own.column("source"): frame["source_url"].map(source_link),
        }
    )


def entries(frame: pd.DataFrame) -> pd.DataFrame:
    """The rule's entries (figures.named_entries) for a reader: name, aliases, kind, profile."""
    own = said("entries")
    return pd.DataFrame(
        {
            own.column("entry_no"): frame["entry_no"],
            own.column("name"): [
                profile_link(name, page)
                for name, page in zip(frame["name"], frame["profile"], strict=True)
            ],
            own.column("aliases"): frame["aliases"].fillna(""),
            own.column("kind"): frame["kind"],
        }
    )


def kind_names(group: pd.DataFrame, full: str | None, own: config.TableWords) -> object:
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
        return own.label("unnamed")
    if full and group["named"].all():
        return Link(full, words.fill(own.label("all_named"), count=len(group)))
    return "; ".join(group["name"])


def entries_summary(frame: pd.DataFrame, full: str | None = None) -> pd.DataFrame:
    """The rule's entries (figures.named_entries) counted by kind, for a story: each kind's
    entries named where few, else linked to `full`, the page that lists them all."""
    own = said("entries_summary")
    groups = frame.groupby("kind", sort=False)
    # A kind of entry, as a heading over several of them.
    several = kind_labels()
    plural = {one: several[code] for code, one in kind_singulars().items()}
    return pd.DataFrame(
        {
            own.column("kind"): [plural.get(kind, kind) for kind in groups.groups],
            own.column("entries"): [len(group) for _, group in groups],
            own.column("who"): [kind_names(group, full, own) for _, group in groups],
        }
    )


def disagreements(frame: pd.DataFrame) -> pd.DataFrame:
    """Rules whose stated China count and entries matched on the list differ, for the data
    page: fewer matched is a floor below the count; more matched is no count at all."""
    own = said("disagreements")
    return pd.DataFrame(
        {
            own.column("rule"): frame["citation"],
            own.column("published"): frame["date"],
            own.column("stated"): frame["china_entries"],
            own.column("matched"): frame["matched"],
            own.column("shown"): [
                own.label("more_matched") if pd.isna(floor) else own.label("fewer_matched")
                for floor in frame["still_listed"]
            ],
            own.column("source"): frame["source_url"].map(source_link),
        }
    )


def glance(frame: pd.DataFrame) -> pd.DataFrame:
    """One company's row of the comparison, turned on its side for its profile."""
    own = said("glance")
    row = comparison(frame).drop(columns=said("comparison").column("company")).iloc[0]
    return pd.DataFrame({own.column("measure"): list(row.index), own.column("latest"): list(row)})
