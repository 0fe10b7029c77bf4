"""Downloads safe to open: formula cells written as text, numbers left alone (issue 18)."""

import csv
from pathlib import Path

import pandas as pd
import pytest

from entitylist import charts, downloads, paths, publish

TRIGGERS = {
    "equals": '=HYPERLINK("http://example.org/x","click")',
    "plus": "+cmd|' /C calc'!A0",
    "minus": "-2+3+cmd|' /C calc'!A0",
    "at": "@SUM(1)",
    "tab": "\t=1+1",
    "carriage return": "\r=1+1",
}


def written_cells(path: Path) -> list[list[str]]:
    """The file's cells as a spreadsheet's CSV import reads them (newline='' keeps CR)."""
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.reader(handle))


@pytest.mark.parametrize("trigger", TRIGGERS)
def test_a_download_cell_starting_a_formula_is_written_as_text(tmp_path: Path, trigger):
    frame = pd.DataFrame({"name": [TRIGGERS[trigger], "Hikvision"], "share": [-3.5, 0.25]})
    downloads.write(frame, "table", str(tmp_path))
    header, first, second = written_cells(tmp_path / paths.SITE_NAME / "data" / "table.csv")
    assert header == ["name", "share"]
    assert first == ["'" + TRIGGERS[trigger], "-3.5"]
    assert second == ["Hikvision", "0.25"]


def test_numbers_in_text_columns_stay_numbers_and_plain_text_is_untouched(tmp_path: Path):
    values = ["-3.5", "+12", "-1e3", "Dahua", "it's", "'quoted", "a=b", ""]
    downloads.write(pd.DataFrame({"value": values}), "table", str(tmp_path))
    rows = written_cells(tmp_path / paths.SITE_NAME / "data" / "table.csv")[1:]
    assert [r[0] for r in rows] == values


def test_defusing_is_undone_exactly_for_the_pages_own_table():
    values = [*TRIGGERS.values(), "'=already", "''-x", "'plain", "-3.5", "text", None]
    frame = pd.DataFrame({"value": values})
    defused = downloads.defused(frame)
    expected = ["'" + v for v in TRIGGERS.values()] + ["''=already", "'''-x", "'plain", "-3.5"]
    assert defused["value"].tolist()[: len(expected)] == expected
    pd.testing.assert_frame_equal(downloads.restored(defused), frame)


def test_a_chart_csv_is_safe_and_its_page_table_shows_the_name_as_sourced(tables, tmp_path):
    suppliers = tables["suppliers"].copy()
    hostile = TRIGGERS["equals"]
    suppliers.loc[suppliers.index[0], ["supplier", "supplier_key"]] = hostile
    figure = charts.suppliers_named(suppliers, tables["companies"], charts.Words("h", "d"))
    publish.save(figure, tmp_path)
    cells = [c for row in written_cells(tmp_path / f"{figure.name}.csv") for c in row]
    assert any(c.startswith("'" + hostile) for c in cells)
    assert not any(c.startswith(hostile) for c in cells)
    shown = [str(c) for c in publish.embed(figure.name, tmp_path).data.to_numpy().ravel()]
    assert any(c.startswith(hostile) for c in shown)
    assert not any(c.startswith("'" + hostile) for c in shown)
