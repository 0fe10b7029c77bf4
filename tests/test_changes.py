"""The change report names the rules added, the events removed and the figures that moved."""

import json
from pathlib import Path

from entitylist import changes, cleaning
from tests.conftest import edit_cell


def publish(raw: Path, root: Path) -> None:
    """Clean a raw folder into an output root's data/processed."""
    cleaning.write_processed(cleaning.clean_all(raw), root / "data" / "processed")


def test_report_lists_added_removed_and_moved(raw_copy: Path, tmp_path: Path):
    publish(raw_copy, tmp_path / "old")
    rules = raw_copy / "fr_rules_china.csv"
    last = rules.read_text(encoding="utf-8").splitlines()[-1]
    rules.write_text(
        rules.read_text(encoding="utf-8")
        + last.replace("2025-19858", "2025-99999").replace("2025-11-12", "2025-11-20")
        + "\n",
        encoding="utf-8",
    )
    edit_cell(raw_copy, "revenue_by_region.csv", 55, "overseas_share_pct", "5.1")
    events = raw_copy / "events.csv"
    lines = events.read_text(encoding="utf-8").splitlines()
    events.write_text("\n".join(lines[:-1]) + "\n", encoding="utf-8")
    publish(raw_copy, tmp_path / "new")

    report = changes.compare(tmp_path / "old", tmp_path / "new")
    assert report["tables"]["rules"]["added"] == ["2025-99999"]
    assert report["tables"]["events"]["removed"] == ["2023-02-06-1"]
    moved = report["tables"]["financials"]["moved"]
    assert [(m["from"], m["to"]) for m in moved] == [("4.9", "5.1")]
    assert moved[0]["key"].startswith("megvii | H1 2019 | overseas_share")
    assert report["tables"]["entries_2019"] == {"added": [], "removed": [], "moved": []}

    text = changes.summary(report)
    assert "rules: 1 added" in text
    assert "+ 2025-99999" in text
    assert "events: 1 removed" in text
    assert "~ megvii | H1 2019 | overseas_share" in text
    assert "4.9 -> 5.1" in text


def test_report_is_written_as_json_and_text(tmp_path: Path):
    publish(cleaning.paths.RAW, tmp_path / "root")
    report = changes.compare(tmp_path / "root", tmp_path / "root")
    as_json, as_text = changes.write(report, tmp_path)
    assert json.loads(as_json.read_text()) == report
    assert as_text.read_text() == "no change in the published data, charts or pages\n"
