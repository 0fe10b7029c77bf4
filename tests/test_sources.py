"""Taking in a changed source pack: one command, a new dated snapshot, nothing overwritten,
and damage (cut-off rows, removed rows, impossible figures) refused before anything is written."""

import csv
import datetime as dt
import io
import json
import re
from pathlib import Path

import pandas as pd
import pytest
import yaml

from conftest import current_file, edit_cell, rehash, tree
from entitylist import config
from entitylist.cli import main
from entitylist.data import manifest, sources, update
from entitylist.errors import ConfigError, DeskError, RawDataError

REVENUE = "revenue_by_region.csv"


def test_an_unchanged_pack_changes_nothing(raw_copy: Path, pack_copy: Path):
    before = tree(raw_copy)
    report = update.update(pack_copy, raw_dir=raw_copy, retrieved="2026-12-01")
    assert report.changes == []
    assert sorted(report.unchanged) == sorted(sources.RAW_TABLES)
    assert tree(raw_copy) == before


def test_a_new_figure_arrives_as_a_new_dated_snapshot(raw_copy: Path, pack_copy: Path):
    revenue = pack_copy / REVENUE
    lines = revenue.read_text(encoding="utf-8").splitlines()
    # A reporter found a figure: a copy of a real row with another period and source.
    header = lines[0].split(",")
    row = next(line for line in lines[1:] if line.startswith("Dahua,FY2016"))
    new = row.replace("FY2016", "FY2015").replace("investcroc.com", "investcroc.com/archive")
    revenue.write_text("\n".join([*lines, new]) + "\n", encoding="utf-8")
    before = tree(raw_copy)

    report = update.update(pack_copy, raw_dir=raw_copy, retrieved="2026-12-01")

    (change,) = report.changes
    assert change.table == REVENUE
    assert change.before + 1 == change.after
    assert len(change.added) == 1
    assert change.added[0].startswith("Dahua | FY2015 | ")
    assert change.removed == []
    # Old bytes are never rewritten; the new file sits in its own dated folder.
    after = tree(raw_copy)
    assert {k: v for k, v in after.items() if k in before and k != "manifest.json"} == {
        k: v for k, v in before.items() if k != "manifest.json"
    }
    (written,) = report.written
    assert written.parent.name == "2026-12-01"
    assert manifest.current(REVENUE, raw_copy) == written
    entry = manifest.read_manifest(raw_copy / "manifest.json")[
        written.relative_to(raw_copy).as_posix()
    ]
    assert entry["supersedes"] == current_file_before(before, REVENUE)
    assert entry["rows"] == change.after
    # The new file says where it came from, under what licence, as its table does.
    table = sources.RAW_TABLES[REVENUE]
    assert (entry["origin"], entry["licence"], entry["description"]) == (
        table.origin,
        table.licence,
        table.description,
    )
    assert entry["retrieved"] == "2026-12-01"
    assert len(header) == len(new.split(","))
    manifest.verify_manifest(raw_copy)


def current_file_before(before: dict[str, bytes], table: str) -> str:
    """The current file of a table as the manifest named it before an update."""
    return json.loads(before["manifest.json"])["current"][table]


def test_an_update_records_the_words_dictionary_yaml_gives_when_it_runs(
    raw_copy: Path, pack_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    document = yaml.safe_load(config.DICTIONARY.read_text(encoding="utf-8"))
    document["sources"]["tables"][REVENUE] = "Revenue by region, as the desk compiled it"
    document["sources"]["origins"]["pack"]["licence"] = "Facts from the sources each row cites"
    edited = tmp_path / "dictionary.yaml"
    edited.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    monkeypatch.setattr(config, "DICTIONARY", edited)
    edit_cell(pack_copy / REVENUE, 1, "notes", "a note the desk added")
    (written,) = update.update(pack_copy, raw_dir=raw_copy, retrieved="2026-12-01").written
    entry = manifest.read_manifest(raw_copy / "manifest.json")[
        written.relative_to(raw_copy).as_posix()
    ]
    assert entry["description"] == "Revenue by region, as the desk compiled it"
    assert entry["licence"] == "Facts from the sources each row cites"
    # A file already recorded keeps the words it was taken in with.
    before = manifest.read_manifest(raw_copy / "manifest.json")[entry["supersedes"]]
    assert before["description"] != entry["description"]


def test_a_missing_source_table_in_dictionary_yaml_is_an_error_naming_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    document = yaml.safe_load(config.DICTIONARY.read_text(encoding="utf-8"))
    document["sources"]["tables"].pop(REVENUE)
    edited = tmp_path / "dictionary.yaml"
    edited.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    monkeypatch.setattr(config, "DICTIONARY", edited)
    with pytest.raises(ConfigError, match=rf"^dictionary\.yaml: sources\.tables: .*'{REVENUE}'"):
        _ = sources.RAW_TABLES[REVENUE].description


def test_a_changed_cell_is_reported_by_key_and_column(raw_copy: Path, pack_copy: Path):
    edit_cell(pack_copy / "us_suppliers.csv", 3, "component", "image processing chips")
    report = update.update(pack_copy, raw_dir=raw_copy, dry_run=True)
    (change,) = report.changes
    key = (
        "Hikvision | Ambarella | https://ndtvprofit.com/business/us-adds-eight-chinese-firms-"
        "to-trade-blacklist-2113636"
    )
    assert change.changed == {
        key: {"component": ("not specified in source", "image processing chips")}
    }
    # The terminal shows the value's move, not only the column's name.
    assert f"  ~ {key}: component not specified in source -> image processing chips" in (
        report.text().splitlines()
    )
    assert report.written == []


def test_a_pack_of_only_the_changed_tables_carries_the_others_over(
    raw_copy: Path, pack_copy: Path
):
    edit_cell(pack_copy / "us_suppliers.csv", 3, "component", "image processing chips")
    for table in sources.RAW_TABLES.values():
        if table.name != sources.SUPPLIERS:
            (pack_copy / table.in_pack).unlink()
    before = manifest.current_files(raw_copy)
    report = update.update(pack_copy, raw_dir=raw_copy, retrieved="2099-01-01")
    assert [c.table for c in report.changes] == [sources.SUPPLIERS]
    assert set(report.carried) == set(before) - {sources.SUPPLIERS}
    assert [p.name for p in report.written] == [sources.SUPPLIERS]
    # The carried tables' current files are the ones they were; the changed one is new.
    current = manifest.current_files(raw_copy)
    assert {t: f for t, f in current.items() if f != before[t]} == {
        sources.SUPPLIERS: "pack/2099-01-01/us_suppliers.csv"
    }


def test_a_pack_with_no_known_table_is_refused(raw_copy: Path, tmp_path: Path):
    empty = tmp_path / "empty-pack"
    empty.mkdir()
    with pytest.raises(RawDataError, match=r"empty-pack: no table of the source pack is there"):
        update.update(empty, raw_dir=raw_copy)


def test_a_table_cut_to_half_its_rows_is_refused_without_the_flag(raw_copy: Path, pack_copy: Path):
    revenue = pack_copy / REVENUE
    lines = revenue.read_text(encoding="utf-8").splitlines()
    kept = len(lines) // 2
    revenue.write_text("\n".join(lines[:kept]) + "\n", encoding="utf-8")
    before = tree(raw_copy)
    total = len(lines) - 1
    gone = total - (kept - 1)
    with pytest.raises(
        RawDataError, match=rf"(?s){gone} of {total} rows REMOVED.*--allow-removals.*nothing was"
    ):
        update.update(pack_copy, raw_dir=raw_copy)
    assert tree(raw_copy) == before


def test_removals_pass_with_the_flag_and_are_recorded(raw_copy: Path, pack_copy: Path):
    partnerships = pack_copy / "partnerships.csv"
    lines = partnerships.read_text(encoding="utf-8").splitlines()
    partnerships.write_text("\n".join(lines[:-1]) + "\n", encoding="utf-8")
    report = update.update(pack_copy, raw_dir=raw_copy, allow_removals=True)
    (written,) = report.written
    entry = manifest.read_manifest(raw_copy / "manifest.json")[
        written.relative_to(raw_copy).as_posix()
    ]
    (removed,) = report.changes[0].removed
    consent = entry["removals_confirmed"]
    # The rows consented to, by key, in the raw table and in the processed table, and when.
    assert consent["rows"] == [removed]
    assert list(consent["processed"]) == ["partnerships"]
    (processed_key,) = consent["processed"]["partnerships"]
    assert removed.split(" | ")[1] in processed_key
    assert dt.datetime.fromisoformat(consent["at"]).tzinfo is not None


def consented(raw: Path):
    """The render's consent lookup, on a raw folder."""
    return lambda table: manifest.consented(raw, sources.RAW_SOURCES.get(table, []), table)


def test_consent_covers_the_rows_it_named_and_no_later_loss(
    raw_copy: Path, pack_copy: Path, tables
):
    # The finding: one --allow-removals was a standing waiver for the table behind it.
    from entitylist.data import changes, cleaning
    from entitylist.engine import render
    from entitylist.errors import RemovalError

    revenue = pack_copy / REVENUE
    lines = revenue.read_text(encoding="utf-8").splitlines()
    revenue.write_text("\n".join(lines[:-1]) + "\n", encoding="utf-8")
    update.update(pack_copy, raw_dir=raw_copy, allow_removals=True, retrieved="2026-12-01")
    after_update = cleaning.clean_all(sources.Snapshot(raw_copy))
    report = {"tables": changes.compare_tables(tables, after_update)}
    assert changes.removals(report)["financials"]
    render.guard_removals(report, allow=False, consented=consented(raw_copy))

    # A later loss of 40 financial rows behind the same, still current, consented file.
    revenue = current_file(raw_copy, REVENUE)
    kept = revenue.read_text(encoding="utf-8").splitlines()
    revenue.write_text("\n".join(kept[:-20]) + "\n", encoding="utf-8")
    rehash(raw_copy, revenue)
    later = cleaning.clean_all(sources.Snapshot(raw_copy))
    report = {"tables": changes.compare_tables(after_update, later)}
    assert len(changes.removals(report)["financials"]) > 20
    with pytest.raises(RemovalError, match=r"financials\.csv lost \d+ row\(s\)"):
        render.guard_removals(report, allow=False, consented=consented(raw_copy))


def test_every_lost_row_needs_consent_not_any(raw_copy: Path, pack_copy: Path, tables):
    from entitylist.data import changes
    from entitylist.engine import render
    from entitylist.errors import RemovalError

    partnerships = pack_copy / "partnerships.csv"
    lines = partnerships.read_text(encoding="utf-8").splitlines()
    partnerships.write_text("\n".join(lines[:-1]) + "\n", encoding="utf-8")
    update.update(pack_copy, raw_dir=raw_copy, allow_removals=True)
    (agreed,) = consented(raw_copy)("partnerships")
    other = next(k for k in changes.keyed_rows(tables["partnerships"], ["company"]) if k)
    report = {"tables": {"partnerships": {"removed": [agreed, other], "added": [], "changed": []}}}
    with pytest.raises(RemovalError, match=rf"lost 1 row\(s\) \(first: {other}\)"):
        render.guard_removals(report, allow=False, consented=consented(raw_copy))
    report["tables"]["partnerships"]["removed"] = [agreed]
    render.guard_removals(report, allow=False, consented=consented(raw_copy))


def test_a_row_cut_off_mid_line_is_an_error_naming_the_row(raw_copy: Path, pack_copy: Path):
    revenue = pack_copy / REVENUE
    text = revenue.read_text(encoding="utf-8")
    # Cut inside the last row, after its first three fields: no required field is hit.
    last = text.rstrip("\n").rsplit("\n", 1)[1]
    cut = ",".join(last.split(",")[:3])
    revenue.write_text(text.rstrip("\n").rsplit("\n", 1)[0] + "\n" + cut + "\n", encoding="utf-8")
    rows = text.count("\n") - 1
    with pytest.raises(RawDataError, match=rf"row {rows} has 3 fields, the header has \d+"):
        update.update(pack_copy, raw_dir=raw_copy)


@pytest.mark.parametrize(
    ("content", "message"),
    [("", "the file is empty"), ("company,period\n", "only a header, no data rows")],
    ids=["empty", "header only"],
)
def test_an_empty_or_header_only_table_is_named(
    raw_copy: Path, pack_copy: Path, content: str, message: str
):
    (pack_copy / "events.csv").write_text(content, encoding="utf-8")
    with pytest.raises(RawDataError, match=rf"events\.csv: {message}"):
        update.update(pack_copy, raw_dir=raw_copy)


def test_overseas_revenue_above_total_is_refused(raw_copy: Path, pack_copy: Path):
    revenue = pack_copy / REVENUE
    row = 1 + next(
        i
        for i, line in enumerate(revenue.read_text(encoding="utf-8").splitlines()[1:])
        if line.startswith("Hikvision,FY2016,")
    )
    edit_cell(revenue, row, "overseas_revenue", "99400")
    before = tree(raw_copy)
    with pytest.raises(
        RawDataError, match=rf"row {row}: overseas_revenue 99,400 exceeds total_revenue 31,900"
    ):
        update.update(pack_copy, raw_dir=raw_copy)
    assert tree(raw_copy) == before


def test_a_computed_share_must_equal_its_quotient(raw_copy: Path, pack_copy: Path):
    revenue = pack_copy / REVENUE
    rows = revenue.read_text(encoding="utf-8").splitlines()[1:]
    row = 1 + next(i for i, line in enumerate(rows) if ",computed," in line)
    edit_cell(revenue, row, "overseas_share_pct", "62")
    with pytest.raises(
        RawDataError, match=rf"row {row}: overseas_share_pct 62 is marked computed"
    ):
        update.update(pack_copy, raw_dir=raw_copy)


def test_a_pack_that_breaks_a_schema_writes_nothing(raw_copy: Path, pack_copy: Path):
    edit_cell(pack_copy / "events.csv", 2, "category", "rumour")
    before = tree(raw_copy)
    with pytest.raises(Exception, match=r"events.*row 2.*category.*rumour"):
        update.update(pack_copy, raw_dir=raw_copy)
    assert tree(raw_copy) == before


def test_the_command_line_prints_the_change_report(
    raw_copy: Path, pack_copy: Path, monkeypatch: pytest.MonkeyPatch, capsys
):
    from entitylist import paths

    monkeypatch.setattr(paths, "RAW", raw_copy)
    edit_cell(pack_copy / "us_suppliers.csv", 3, "component", "image processing chips")
    assert main(["update", str(pack_copy), "--retrieved", "2026-12-01"]) == 0
    err = capsys.readouterr().err
    assert "us_suppliers.csv: 26 -> 26 rows" in err
    assert "~ Hikvision | Ambarella | " in err
    assert "wrote " in err
    assert "2026-12-01/us_suppliers.csv" in err
    assert manifest.current("us_suppliers.csv", raw_copy).parent.name == "2026-12-01"


def test_a_halved_table_with_its_hash_updated_by_hand_is_not_published(raw_copy: Path, tables):
    # The scenario the issue found: cut at a row boundary (so every row parses), the hash
    # put right in the manifest, and the render went ahead with half the figures gone.
    from entitylist.data import changes, cleaning
    from entitylist.engine import render
    from entitylist.errors import RemovalError

    published = tables  # the committed snapshot, which raw_copy copies
    revenue = current_file(raw_copy, REVENUE)
    lines = revenue.read_text(encoding="utf-8").splitlines()
    revenue.write_text("\n".join(lines[: len(lines) // 2]) + "\n", encoding="utf-8")
    rehash(raw_copy, revenue)
    manifest.verify_manifest(raw_copy)
    halved = cleaning.clean_all(sources.Snapshot(raw_copy))

    report = {"tables": changes.compare_tables(published, halved)}
    lost = changes.removals(report)["financials"]
    assert len(lost) == len(published["financials"]) - len(halved["financials"]) > 30
    # Megvii's 4.9% was among them.
    assert any(key.startswith("megvii | H1 2019 | overseas_share") for key in lost)
    with pytest.raises(RemovalError, match=r"financials\.csv lost \d+ row\(s\).*--allow-removals"):
        render.guard_removals(report, allow=False, consented=consented(raw_copy))
    render.guard_removals(report, allow=True, consented=None)


@pytest.mark.parametrize(
    ("value", "cause"),
    [("2019-10-9", "is not written YYYY-MM-DD"), ("2019-09-31", "is not a day")],
)
def test_a_mistyped_date_in_an_update_is_reported_as_a_date_not_a_removal(
    raw_copy: Path, pack_copy: Path, value: str, cause: str
):
    edit_cell(pack_copy / "events.csv", 12, "date", value)
    before = (raw_copy / "manifest.json").read_bytes()
    with pytest.raises(RawDataError, match=rf"row 12, column 'date': '{value}' {cause}") as err:
        update.update(pack_copy, raw_dir=raw_copy, retrieved="2026-12-04")
    assert "allow-removals" not in str(err.value)
    assert (raw_copy / "manifest.json").read_bytes() == before


def one_line(error: pytest.ExceptionInfo) -> str:
    """A desk error's message, checked to be one line."""
    message = str(error.value)
    assert "\n" not in message
    return message


def test_an_update_with_a_renamed_key_column_names_the_column(raw_copy: Path, pack_copy: Path):
    path = pack_copy / "us_suppliers.csv"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("supplier,", "supplier_name,", 1), encoding="utf-8")
    with pytest.raises(RawDataError) as caught:
        update.update(pack_copy, raw_dir=raw_copy, retrieved="2026-12-01")
    assert one_line(caught).startswith("us_suppliers.csv (update candidate): column 'supplier'")


def test_an_update_with_a_key_given_twice_names_both_rows(raw_copy: Path, pack_copy: Path):
    path = pack_copy / "us_suppliers.csv"
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    twin = frame.iloc[[1]].assign(component="a different component")
    pd.concat([frame, twin]).to_csv(path, index=False, lineterminator="\n")
    with pytest.raises(RawDataError) as caught:
        update.update(pack_copy, raw_dir=raw_copy, retrieved="2026-12-01")
    assert re.match(
        rf"us_suppliers\.csv \(update candidate\): rows 2 and {len(frame) + 1} have the same",
        one_line(caught),
    )


def test_an_exact_duplicate_row_is_refused(raw_copy: Path, pack_copy: Path):
    path = pack_copy / "events.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    path.write_text("\n".join([*lines, lines[3]]) + "\n", encoding="utf-8")
    with pytest.raises(RawDataError) as caught:
        update.update(pack_copy, raw_dir=raw_copy, retrieved="2026-12-01")
    assert one_line(caught) == f"{path}: row {len(lines)} repeats row 3 exactly; keep one"


def test_a_last_row_cut_in_its_last_field_is_refused(raw_copy: Path, pack_copy: Path):
    path = pack_copy / "us_suppliers.csv"
    text = path.read_text(encoding="utf-8").rstrip("\n")
    path.write_text(text[:-12], encoding="utf-8")  # into the last row's last field
    rows = len(text.splitlines()) - 1
    with pytest.raises(RawDataError) as caught:
        update.update(pack_copy, raw_dir=raw_copy, retrieved="2026-12-01")
    assert one_line(caught).startswith(f"{path}: row {rows} (the last) does not end with a line")


def test_a_cut_entry_name_is_refused_against_the_screening_list(raw_copy: Path, pack_copy):
    path = pack_copy / "entities_84FR54002.csv"
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    row = frame.index[frame["csl_name"].str.startswith("Yixin")][0]
    frame.loc[row, "csl_name"] = "Yixin Science and"
    frame.to_csv(path, index=False, lineterminator="\n")
    before = tree(raw_copy)
    with pytest.raises(RawDataError) as caught:
        update.update(pack_copy, raw_dir=raw_copy, retrieved="2026-12-01")
    assert one_line(caught).startswith(
        f"entities_84FR54002.csv (update candidate): row {row + 1}, column csl_name: "
        "'Yixin Science and' is not a name on the screening list's Entity List"
    )
    assert tree(raw_copy) == before


def test_a_cut_inside_a_quoted_field_names_the_file(raw_copy: Path, pack_copy: Path):
    path = pack_copy / "events.csv"
    text = path.read_text(encoding="utf-8")
    cut = text.index('"', text.index("\n")) + 10  # inside the first quoted event
    path.write_text(text[:cut] + "\n", encoding="utf-8")
    with pytest.raises(RawDataError) as caught:
        update.update(pack_copy, raw_dir=raw_copy, retrieved="2026-12-01")
    assert one_line(caught).startswith(f"{path}: ")
    assert "cut" in str(caught.value)


def test_an_empty_screening_list_is_refused_by_name(raw_copy: Path, pack_copy: Path):
    (pack_copy / sources.RAW_TABLES["screening-list"].in_pack).write_bytes(b"")
    before = tree(raw_copy)
    with pytest.raises(DeskError) as caught:
        update.update(pack_copy, raw_dir=raw_copy, retrieved="2026-12-01")
    assert "empty; not the screening list" in one_line(caught)
    assert tree(raw_copy) == before


def test_rows_are_compared_by_key_a_blank_left_blank_being_no_change():
    table = sources.RAW_TABLES[REVENUE]
    old = manifest.current(REVENUE).read_bytes()
    with manifest.current(REVENUE).open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    key = update.row_keys(pd.DataFrame(rows), table.key).tolist()
    blank = [i for i, row in enumerate(rows) if i > 1 and not row["overseas_revenue"]]
    edited, filled = blank[:2]
    rows[filled]["overseas_revenue"] = "123.4"
    gone, fresh = rows[0], dict(rows[1], period="FY2025")
    rows[edited]["notes"] += " Checked again."
    for row in rows:
        row["basis_checked"] = ""
    rows[edited]["basis_checked"] = "yes"
    kept = [row for row in rows if row is not gone] + [fresh]
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(kept)
    change = update.compare(table, old, buffer.getvalue().encode("utf-8"))
    assert (change.before, change.after, change.unit) == (len(rows), len(rows), "rows")
    assert change.removed == [key[0]]
    assert change.added == [update.row_keys(pd.DataFrame([fresh]), table.key)[0]]
    # Only the edited row changed (its blank overseas revenue is still blank): its notes,
    # and the new column where it has a value.
    assert sorted(change.changed) == sorted([key[edited], key[filled]])
    # A blank filled in is a change.
    stated = change.changed.pop(key[filled])
    assert list(stated) == ["overseas_revenue"]
    assert pd.isna(stated["overseas_revenue"][0])
    assert stated["overseas_revenue"][1] == "123.4"
    notes = change.changed[key[edited]].pop("notes")
    assert notes[1] == f"{notes[0]} Checked again."
    assert change.changed[key[edited]] == {"basis_checked": (None, "yes")}
    first = update.compare(table, None, old)
    assert (first.before, first.after, first.added, first.removed) == (0, len(rows), key, [])
    assert (first.table, change.table) == (REVENUE, REVENUE)
