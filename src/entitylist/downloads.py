"""Files readers download from the site: the tables as known on the page's date.

A download is a publication: each table here is the as-of view the page shows, and a
citation the desk knows to be wrong (84 FR 54004) is masked, as on the pages. The files go to
site/data/ under the output root; the render publishes them with the pages.
"""

import re
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from entitylist import atomic, config, figures, paths, words
from entitylist.figures import WRONG_CITATION
from entitylist.story import Link

DATA = "data"


def mask() -> str:
    """The words that stand in a download for a citation the desk knows to be wrong
    (words.yaml)."""
    return config.wording().page("withheld_citation")


def text_map(frame: pd.DataFrame, change: Callable[[object], object]) -> pd.DataFrame:
    """The table with change() applied to each cell of its text columns."""
    text = frame.select_dtypes(include=["object", "string"]).columns
    return frame.assign(**{c: frame[c].map(change, na_action="ignore") for c in text})


def masked(frame: pd.DataFrame) -> pd.DataFrame:
    """The table with every wrong citation replaced by a note saying so."""
    said = mask()
    # A function, so that the words are never read as a pattern's replacement template.
    return text_map(
        frame, lambda v: WRONG_CITATION.sub(lambda _: said, v) if isinstance(v, str) else v
    )


# A spreadsheet runs a cell that starts with one of these as a formula (or, for tab and CR,
# strips them and then may); a leading apostrophe makes it text. Cells that already start
# with apostrophes before a trigger get one more, so restored() undoes exactly what defused() did.
FORMULA = re.compile(r"'*[=+\-@\t\r]")
NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


def defused(frame: pd.DataFrame) -> pd.DataFrame:
    """The table with every text cell a spreadsheet would run as a formula made plain text."""

    def cell(value: object) -> object:
        if isinstance(value, str) and FORMULA.match(value) and not NUMBER.fullmatch(value):
            return f"'{value}"
        return value

    return text_map(frame, cell)


def restored(frame: pd.DataFrame) -> pd.DataFrame:
    """The table as it was before defused(): what a page's own data table shows."""

    def cell(value: object) -> object:
        if isinstance(value, str) and value.startswith("'") and FORMULA.match(value[1:]):
            return value[1:]
        return value

    return text_map(frame, cell)


def csv_text(frame: pd.DataFrame) -> str:
    """A table as the site publishes it for download: the desk's CSV, safe in a spreadsheet."""
    return atomic.csv_text(defused(frame))


def site_data(output_root: str | None) -> Path:
    """The folder of downloads in the output root's site."""
    return paths.output_root(output_root) / paths.SITE_NAME / DATA


def write(frame: pd.DataFrame, name: str, output_root: str | None) -> Link:
    """Write one download; return its link (relative to the site)."""
    atomic.write_text(site_data(output_root) / f"{name}.csv", csv_text(masked(frame)))
    said = config.wording().page("download_link")
    return Link(f"{DATA}/{name}.csv", words.fill(said, file=f"{name}.csv", rows=len(frame)))


# Where the desk keeps a row (its snapshot file and row): for the newest view. The files are
# named by the dates the desk received them, later than any as-of date; an as-of download
# keeps each row's source instead.
TRACE = ["raw_file", "raw_row"]


def tables(
    published: dict[str, pd.DataFrame], output_root: str | None, as_of: str | None = None
) -> list[Link]:
    """Write every processed table that has rows on the page's date; return the links.

    A table with no rows that day is not offered: an empty download says nothing.
    """
    return [
        write(frame.drop(columns=TRACE, errors="ignore") if as_of else frame, name, output_root)
        for name, frame in corrected(published).items()
        if len(frame)
    ]


# ---------------------------------------------------------------------------------------
# A wrong citation is more than its text: its volume, page and year say the same thing.


def corrected(published: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """The tables with every part of a wrong citation (text, volume, page, year) masked, or
    set right where the desk knows the right one (the Oct. 9, 2019 rule's own entries)."""
    entries = published.get("entries_2019")
    fixed = dict(published)
    if entries is None:
        return fixed
    if "entity_list" in fixed:
        fixed["entity_list"] = corrected_entries(fixed["entity_list"], entries)
    if "entity_citations" in fixed and "entity_list" in published:
        fixed["entity_citations"] = corrected_citations(
            fixed["entity_citations"], published["entity_list"], entries
        )
    return fixed


def rule_citation() -> tuple[str, int, int]:
    """The Oct. 9, 2019 rule's own citation: text, volume, page."""
    volume, page = figures.LISTING_CITATION
    return f"{volume} FR {page}", volume, page


def corrected_entries(entity_list: pd.DataFrame, entries: pd.DataFrame) -> pd.DataFrame:
    """The list with each wrong first citation set right (the rule's own entries) or masked."""
    wrong = figures.wrong_citation(entity_list)
    ours = wrong & entity_list["name"].isin(figures.listing_rule_names(entries))
    text, volume, page = rule_citation()
    fixed = entity_list.copy()
    fixed["first_year"] = figures.first_year(entity_list, entries).astype(
        fixed["first_year"].dtype
    )
    fixed.loc[wrong & ~ours, ["first_volume", "first_page"]] = pd.NA
    fixed.loc[wrong & ~ours, "first_citation"] = mask()
    fixed.loc[ours, ["first_citation", "first_volume", "first_page"]] = [text, volume, page]
    fixed.loc[ours, "fr_text"] = fixed.loc[ours, "fr_text"].str.replace(
        WRONG_CITATION, text, regex=True
    )
    return fixed


def corrected_citations(
    citations: pd.DataFrame, entity_list: pd.DataFrame, entries: pd.DataFrame
) -> pd.DataFrame:
    """Each citation of the list, a wrong one set right (the rule's own entries) or masked."""
    cited = citations.rename(columns={"volume": "first_volume", "page": "first_page"})
    wrong = figures.wrong_citation(cited)
    names = citations["entry_id"].map(entity_list.set_index("entry_id")["name"])
    ours = wrong & names.isin(figures.listing_rule_names(entries))
    text, volume, page = rule_citation()
    fixed = citations.copy()
    fixed.loc[wrong & ~ours, ["volume", "page", "year"]] = pd.NA
    fixed.loc[wrong & ~ours, ["citation", "piece"]] = mask()
    fixed.loc[ours, ["citation", "volume", "page", "year"]] = [
        text,
        volume,
        page,
        figures.LISTING_DATE.year,
    ]
    fixed.loc[ours, "piece"] = fixed.loc[ours, "piece"].str.replace(
        WRONG_CITATION, text, regex=True
    )
    return fixed
