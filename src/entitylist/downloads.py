"""Files readers download from the site: the tables as known on the page's date.

A download is a publication: each table here is the as-of view the page shows, and a
citation the desk knows to be wrong (84 FR 54004) is masked, as on the pages. The files go to
site/data/ under the output root; the render publishes them with the pages.
"""

from pathlib import Path

import pandas as pd

from entitylist import atomic, paths
from entitylist.figures import WRONG_CITATION
from entitylist.story import Link

DATA = "data"
MASK = "[citation withheld: wrong on the list]"


def masked(frame: pd.DataFrame) -> pd.DataFrame:
    """The table with every wrong citation replaced by a note saying so."""
    text = frame.select_dtypes(include=["object", "string"]).columns
    fixed = frame.copy()
    for column in text:
        fixed[column] = fixed[column].map(
            lambda v: WRONG_CITATION.sub(MASK, v) if isinstance(v, str) else v
        )
    return fixed


def site_data(output_root: str | None) -> Path:
    """The folder of downloads in the output root's site."""
    return paths.output_root(output_root) / paths.SITE_NAME / DATA


def write(frame: pd.DataFrame, name: str, output_root: str | None) -> Link:
    """Write one download; return its link (relative to the site)."""
    atomic.write_csv(site_data(output_root) / f"{name}.csv", masked(frame))
    return Link(f"{DATA}/{name}.csv", f"{name}.csv ({len(frame):,} rows)")


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
        for name, frame in published.items()
        if len(frame)
    ]
