"""The tables readers download: written where the site serves them, the wrong citation masked,
and an as-of download holding only that day's rows, without the desk's later snapshot names."""

from pathlib import Path

import pandas as pd
import pytest

from entitylist import downloads
from entitylist.figures import WRONG_CITATION


def read(path: Path) -> pd.DataFrame:
    """A download as a reader's spreadsheet opens it: every cell text."""
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def test_every_spelling_of_the_wrong_citation_is_masked_and_nothing_else():
    frame = pd.DataFrame(
        {
            "citation": ["84 FR 54004", "84 F.R. 54004; 84 FR 54002", "84 FR 54002", None],
            "count": [1, 2, 3, 4],
        }
    )
    fixed = downloads.masked(frame)
    assert fixed["citation"].tolist()[:3] == [
        downloads.mask(),
        f"{downloads.mask()}; 84 FR 54002",
        "84 FR 54002",
    ]
    assert pd.isna(fixed.loc[3, "citation"])
    assert fixed["count"].tolist() == [1, 2, 3, 4]
    # The frame the page shows is left as it was.
    assert frame.loc[0, "citation"] == "84 FR 54004"


def test_a_download_is_written_under_the_site_and_linked_with_its_rows(tmp_path: Path):
    frame = pd.DataFrame({"citation": ["84 FR 54004", "84 FR 54002"], "n": [1, 2]})
    link = downloads.write(frame, "rules", str(tmp_path))
    path = tmp_path / "site" / "data" / "rules.csv"
    assert link.href == "data/rules.csv"
    assert "2 rows" in link.text
    assert "rules.csv" in link.text
    written = read(path)
    assert written["citation"].tolist() == [downloads.mask(), "84 FR 54002"]
    assert not any(WRONG_CITATION.search(cell) for cell in written["citation"])


def test_rows_are_counted_with_thousands_separators(tmp_path: Path):
    link = downloads.write(pd.DataFrame({"n": range(1234)}), "big", str(tmp_path))
    assert "1,234 rows" in link.text


@pytest.mark.parametrize("as_of", [None, "2019-10-09"])
def test_every_table_is_offered_as_the_page_knows_it(tmp_path: Path, tables, as_of):
    from entitylist import tables as loader

    published = loader.as_of_filter(tables, as_of)
    links = downloads.tables(published, str(tmp_path), as_of)
    # A table with no rows on the page's day is not offered: an empty download says nothing.
    offered = {name: frame for name, frame in published.items() if len(frame)}
    if as_of:
        assert len(offered) < len(published)  # the 2026 list has no rows on a 2019 page
    assert [link.href for link in links] == [f"data/{name}.csv" for name in offered]
    assert not {p.stem for p in (tmp_path / "site" / "data").iterdir()} - set(offered)
    for name, frame in offered.items():
        written = read(tmp_path / "site" / "data" / f"{name}.csv")
        assert len(written) == len(frame)
        traced = {"raw_file", "raw_row"} & set(frame.columns)
        if as_of:
            # The snapshot files are named by dates after any as-of day.
            assert not traced & set(written.columns)
        else:
            assert traced <= set(written.columns)
    if as_of:
        financials = read(tmp_path / "site" / "data" / "financials.csv")
        assert (pd.to_datetime(financials["known_since"]) <= pd.Timestamp(as_of)).all()
        assert len(financials) < len(tables["financials"])


def test_the_lists_citations_are_corrected_with_the_list_and_kept_without_it(tables):
    before = tables["entity_citations"]
    fixed = downloads.corrected(tables)["entity_citations"]
    assert list(fixed.columns) == list(before.columns)
    wrong = before["citation"].str.contains(WRONG_CITATION)
    # Every other citation is as the list has it, in every column.
    pd.testing.assert_frame_equal(fixed[~wrong], before[~wrong])
    masked = fixed[wrong & (fixed["citation"] == downloads.mask())]
    set_right = fixed[wrong & (fixed["citation"] == "84 FR 54002")]
    assert len(masked)
    assert len(set_right)
    assert len(masked) + len(set_right) == wrong.sum()
    # A masked citation keeps no part of itself: not its volume, page, year or wording.
    assert masked[["volume", "page", "year"]].isna().all().all()
    assert (masked["piece"] == downloads.mask()).all()
    # The rule's own entries get the rule's citation in every part.
    assert set(set_right[["volume", "page", "year"]].itertuples(index=False)) == {
        (84, 54002, 2019)
    }
    assert set_right["piece"].str.contains("84 FR 54002").all()
    assert not set_right["piece"].str.contains(WRONG_CITATION).any()
    # Without the list to name each entry, the citations are offered as they are.
    alone = {name: frame for name, frame in tables.items() if name != "entity_list"}
    pd.testing.assert_frame_equal(downloads.corrected(alone)["entity_citations"], before)


def test_the_lists_first_citations_are_corrected_in_every_column(tables):
    before = tables["entity_list"]
    fixed = downloads.corrected(tables)["entity_list"]
    assert list(fixed.columns) == list(before.columns)
    wrong = before["first_citation"].str.contains(WRONG_CITATION, na=False)
    pd.testing.assert_frame_equal(fixed[~wrong], before[~wrong])
    masked = fixed[wrong & (fixed["first_citation"] == downloads.mask())]
    set_right = fixed[wrong & (fixed["first_citation"] == "84 FR 54002")]
    assert len(masked)
    assert len(set_right)
    assert len(masked) + len(set_right) == wrong.sum()
    assert masked[["first_volume", "first_page", "first_year"]].isna().all().all()
    assert set(
        set_right[["first_volume", "first_page", "first_year"]].itertuples(index=False)
    ) == {(84, 54002, 2019)}
    assert not set_right["fr_text"].str.contains(WRONG_CITATION).any()
