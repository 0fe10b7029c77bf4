"""The change report: rows added, removed and changed by key, compared table by table."""

import json
from pathlib import Path

import pandas as pd

from conftest import current_file, edit_cell
from entitylist import paths
from entitylist.data import changes, cleaning
from entitylist.data.sources import Snapshot


def publish(raw: Path, root: Path) -> None:
    """Clean a raw folder into an output root's data/processed."""
    cleaning.write_processed(cleaning.clean_all(Snapshot(raw)), root / "data" / "processed")


def test_report_lists_added_removed_and_changed(raw_copy: Path, tmp_path: Path):
    publish(raw_copy, tmp_path / "old")
    # A new rule, made from the newest one under a new document number; and the newest event
    # dropped. Which rows those are is read from the data, whatever the pack holds.
    rules = current_file(raw_copy, "fr_rules_china.csv")
    table = pd.read_csv(rules, dtype=str, keep_default_na=False)
    newest = table.iloc[[-1]].assign(document_number="2099-99999")
    pd.concat([table, newest]).to_csv(rules, index=False, lineterminator="\n")
    # Megvii's H1 2019 overseas share, 4.9 in the source.
    revenue = current_file(raw_copy, "revenue_by_region.csv")
    lines = revenue.read_text(encoding="utf-8").splitlines()
    row = next(
        i for i, line in enumerate(lines) if line.startswith("Megvii,H1-2019") and ",4.9," in line
    )
    edit_cell(revenue, row, "overseas_share_pct", "5.1")
    events = current_file(raw_copy, "events.csv")
    lines = events.read_text(encoding="utf-8").splitlines()
    events.write_text("\n".join(lines[:-1]) + "\n", encoding="utf-8")
    published = changes.read_table(tmp_path / "old" / paths.PROCESSED_NAME / "events.csv")
    (dropped,) = published.loc[published["raw_row"] == str(len(lines) - 1), "event_id"]
    publish(raw_copy, tmp_path / "new")

    report = changes.compare(tmp_path / "old", tmp_path / "new")
    assert report["tables"]["rules"]["added"] == ["2099-99999"]
    assert report["tables"]["events"]["removed"] == [dropped]
    changed = report["tables"]["financials"]["changed"]
    assert len(changed) == 1
    assert changed[0]["key"].startswith("megvii | H1 2019 | overseas_share")
    assert changed[0]["columns"]["value"] == {"from": "4.9", "to": "5.1"}
    assert report["tables"]["entries_2019"]["key"] == ["entry_no"]
    assert (
        report["tables"]["entries_2019"]["added"]
        == report["tables"]["entries_2019"]["removed"]
        == report["tables"]["entries_2019"]["changed"]
        == []
    )
    assert changes.removals(report) == {"events": [dropped]}

    text = changes.summary(report)
    assert "rules: 1 added" in text
    assert "+ 2099-99999" in text
    assert "events: 1 removed" in text
    assert "~ megvii | H1 2019 | overseas_share" in text
    assert "value 4.9 -> 5.1" in text


def test_compare_tables_by_schema_key_or_by_every_column():
    old = {
        "rules": pd.DataFrame(
            {"rule_id": ["a", "b", "c"], "china_count": ["1", "2", ""], "raw_row": list("123")}
        ),
        "notes": pd.DataFrame({"who": ["x", "y"], "said": ["yes", "no"]}),
        "dropped": pd.DataFrame({"k": ["1", "2"]}),
    }
    new = {
        # b removed; c's count filled in (a row moved up, so its raw_row changed too); d added.
        "rules": pd.DataFrame(
            {
                "rule_id": ["a", "c", "d"],
                "china_count": ["1", "5", "3"],
                "raw_row": ["1", "2", "3"],
            }
        ),
        # No schema: the key is every column, so an edited row is one removed and one added.
        "notes": pd.DataFrame({"who": ["x", "y"], "said": ["yes", "maybe"]}),
    }
    report = changes.compare_tables(old, new)
    assert report["rules"] == {
        "key": ["rule_id"],
        "added": ["d"],
        "removed": ["b"],
        "changed": [{"key": "c", "columns": {"china_count": {"from": "", "to": "5"}}}],
    }
    assert report["notes"]["key"] == ["who", "said"]
    assert (report["notes"]["added"], report["notes"]["removed"]) == (["y | maybe"], ["y | no"])
    assert report["dropped"]["removed"] == ["1", "2"]


def test_report_is_written_as_json_and_text(tmp_path: Path):
    publish(paths.RAW, tmp_path / "root")
    report = changes.compare(tmp_path / "root", tmp_path / "root")
    as_json, as_text = changes.write(report, tmp_path)
    assert json.loads(as_json.read_text()) == report
    assert as_text.read_text() == "no change in the published data, charts or pages\n"


def test_no_table_is_keyed_by_where_the_desk_keeps_a_row():
    from entitylist.data.schemas import SCHEMAS

    for name, schema in SCHEMAS.items():
        assert not {"raw_file", "raw_row"} & set(schema.unique or []), name


def test_a_withheld_row_moved_to_a_new_snapshot_folder_is_not_a_loss(tables):
    old = tables["withheld"]
    assert len(old)
    moved = old.assign(raw_file=old["raw_file"].str.replace("pack/", "pack/2099-01-01/"))
    change = changes.compare_table("withheld", old.astype(str), moved.astype(str))
    assert change["removed"] == []
    assert change["added"] == []


def test_the_summary_shows_a_changed_value_not_where_rows_moved(tables, tmp_path: Path):
    tables["financials"].to_csv(tmp_path / "old.csv", index=False)
    old = changes.read_table(tmp_path / "old.csv")
    new = old.assign(raw_file="pack/2099-01-01/revenue_by_region.csv")
    row = new.index[(new["company"] == "megvii") & (new["metric"] == "total_revenue")][-1]
    was = new.at[row, "value"]
    # Whatever the figure is in the current data, the edit makes it another.
    now = str(float(was) + 1)
    new.loc[row, "value"] = now
    report = {
        "tables": {"financials": changes.compare_table("financials", old, new)},
        "charts": {},
        "pages": {},
    }
    text = changes.summary(report)
    assert text.splitlines()[0] == "financials: 1 changed"
    assert f"value {was} -> {now}" in text
    assert "raw_file" not in text


def test_a_new_key_column_is_not_a_loss_of_every_row(tables):
    # Published before entity_list had its entry key: the rows are the same rows.
    new = changes.as_published(tables["entity_list"])
    old = new.drop(columns=["entry_key"])
    report = changes.compare_table("entity_list", old, new)
    assert report["removed"] == []
    assert report["added"] == []
    # A real loss under the old columns is still one.
    report = changes.compare_table("entity_list", old, new.iloc[1:])
    assert len(report["removed"]) == 1


def test_every_row_of_the_data_dictionary_keeps_its_four_cells(tables):
    import re

    from entitylist.data import schemas

    text = schemas.dictionary_markdown(schemas.datapackage(tables))
    rows = [line for line in text.splitlines() if line.startswith("| `")]
    assert rows
    for row in rows:
        # Cells split on the pipes that are not escaped.
        assert len(re.split(r"(?<!\\)\|", row)) == 6, row
