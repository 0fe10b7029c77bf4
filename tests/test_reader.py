"""Tables for readers: the story's summary of the rule's entries, with the full list elsewhere."""

import pandas as pd

from entitylist import config, figures, reader, story, tables


def summary(data: dict[str, pd.DataFrame], full: str | None) -> pd.DataFrame:
    """The entries summary for a set of tables."""
    named = figures.named_entries(data["entries_2019"], data["entity_list"], data["companies"])
    return reader.entries_summary(named, full)


def test_the_entries_summary_counts_every_entry_by_kind_and_links_the_full_list(tables):
    found = summary(tables, "entities.html")
    assert found["Entries"].sum() == len(tables["entries_2019"]) == 28
    assert list(found["Kind"]) == list(figures.kind_labels().values())
    by_kind = found.set_index("Kind")["Who"]
    bureaus = by_kind["Subordinate public security bureaus"]
    assert bureaus == story.Link("entities.html", "all 18 named on the entities page")
    assert by_kind["Police college"] == "Xinjiang Police College"
    companies = by_kind["Companies"]
    assert [c.href for c in companies] == [
        figures.profile_page(c) for c in tables["entries_2019"]["company"].dropna()
    ]


def test_as_of_the_listing_the_summary_does_not_name_the_bureaus(tables):
    found = summary(tables_as_of(tables, "2019-10-09"), None)
    assert found["Entries"].sum() == 28
    bureaus = found.set_index("Kind").at["Subordinate public security bureaus", "Who"]
    assert bureaus == config.wording().table("entries_summary").label("unnamed")


def tables_as_of(data: dict[str, pd.DataFrame], day: str) -> dict[str, pd.DataFrame]:
    """The tables as known on a day."""
    return tables.as_of_filter(data, day)
