"""The raw snapshot's manifest: every file listed with its origin and hash, one current file
per source table, and any change to a raw file caught and named."""

import json
import shutil
from pathlib import Path

import pytest

from conftest import current_file
from entitylist import paths
from entitylist.data import manifest, sources
from entitylist.errors import ManifestError


def test_committed_snapshot_matches_its_manifest():
    on_disk = [p for p in paths.RAW.rglob("*") if p.is_file() and p.name != "manifest.json"]
    assert manifest.verify_manifest() == len(on_disk)


def test_every_source_table_has_one_current_file():
    assert set(manifest.current_files()) == set(sources.RAW_TABLES)


def test_every_entry_says_where_it_came_from_and_when():
    for entry in manifest.read_manifest().values():
        assert entry["origin"]
        assert entry["licence"]
        assert entry["description"]
        assert len(entry["sha256"]) == 64
        assert entry["retrieved"][:4].isdigit()


def test_the_screening_list_is_kept_byte_for_byte():
    # The hash its README states (shared/data/csl/README.md).
    path = manifest.current(sources.SCREENING_LIST)
    assert manifest.sha256(path) == (
        "4cb2be849d976ae3d72f69c03681d7284663ba7ffd9dbe4c2274c89760bd7c8e"
    )
    assert path.stat().st_size == 3_396_593


def test_an_update_supersedes_and_keeps_the_old_file():
    current = manifest.read_manifest()[manifest.current_files()["revenue_by_region.csv"]]
    older = current["supersedes"]
    assert older is not None
    assert (paths.RAW / older).exists()
    assert manifest.read_manifest()[older]["table"] == "revenue_by_region.csv"


def test_edited_raw_file_is_named_with_what_to_do(raw_copy: Path):
    path = current_file(raw_copy, "events.csv")
    path.write_text(path.read_text(encoding="utf-8").replace("2016-03-08", "2016-03-09", 1))
    with pytest.raises(ManifestError, match=r"events\.csv: sha256 .*make update PACK="):
        manifest.verify_manifest(raw_copy)


def test_unlisted_raw_file_is_named(raw_copy: Path):
    (raw_copy / "extra.csv").write_text("a,b\n1,2\n")
    with pytest.raises(ManifestError, match=r"data/raw/extra\.csv: not listed"):
        manifest.verify_manifest(raw_copy)


def test_missing_raw_file_is_named(raw_copy: Path):
    current_file(raw_copy, "partnerships.csv").unlink()
    with pytest.raises(ManifestError, match=r"partnerships\.csv: listed .* but missing"):
        manifest.verify_manifest(raw_copy)


def test_a_listed_file_cannot_be_relisted_with_new_bytes(raw_copy: Path):
    path = current_file(raw_copy, "events.csv")
    path.write_text(path.read_text(encoding="utf-8") + "\n")
    with pytest.raises(ManifestError, match="immutable"):
        manifest.add_to_manifest(path, description="d", origin="o", licence="l", raw_dir=raw_copy)


def test_a_current_file_that_is_superseded_is_refused(raw_copy: Path):
    listing = json.loads((raw_copy / "manifest.json").read_text())
    older = next(e["path"] for e in listing["files"] if e["supersedes"])
    table = next(e["table"] for e in listing["files"] if e["path"] == older)
    superseded = next(e["supersedes"] for e in listing["files"] if e["path"] == older)
    listing["current"][table] = superseded
    (raw_copy / "manifest.json").write_text(json.dumps(listing))
    with pytest.raises(ManifestError, match="current .* but superseded"):
        manifest.verify_manifest(raw_copy)


def test_an_unknown_manifest_format_is_refused(raw_copy: Path):
    (raw_copy / "manifest.json").write_text(json.dumps({"files": []}))
    with pytest.raises(ManifestError, match="format None, expected 2"):
        manifest.verify_manifest(raw_copy)


def test_a_table_without_a_current_file_is_named(tmp_path: Path):
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "manifest.json").write_text(json.dumps({"format": 2, "current": {}, "files": []}))
    with pytest.raises(ManifestError, match="no current file for 'events.csv'"):
        manifest.current("events.csv", raw)


def test_consent_counts_only_the_processed_rows_it_names_in_the_current_files(raw_copy: Path):
    listing = json.loads((raw_copy / "manifest.json").read_text())
    current = listing["current"]
    entry = next(e for e in listing["files"] if e["path"] == current[sources.REVENUE])
    tables = [sources.REVENUE, sources.EVENTS]
    # The committed snapshot consents to nothing.
    assert manifest.consented(raw_copy, tables, "financials") == set()
    # A consent written before processed rows were recorded names none of them.
    entry["removals_confirmed"] = {"at": "2026-12-01T00:00:00+00:00", "rows": ["a row"]}
    (raw_copy / "manifest.json").write_text(json.dumps(listing))
    assert manifest.consented(raw_copy, tables, "financials") == set()
    entry["removals_confirmed"]["processed"] = {"financials": ["k1", "k2"], "withheld": ["k3"]}
    (raw_copy / "manifest.json").write_text(json.dumps(listing))
    assert manifest.consented(raw_copy, tables, "financials") == {"k1", "k2"}
    assert manifest.consented(raw_copy, tables, "withheld") == {"k3"}
    # Consent is read from each table's own current file, not another's.
    assert manifest.consented(raw_copy, [sources.EVENTS], "financials") == set()
    # A source table with no current file yet consents to nothing, and stops nothing.
    assert manifest.consented(raw_copy, ["new_table.csv", *tables], "financials") == {"k1", "k2"}


def staged_update(raw: Path) -> tuple[Path, Path, dict]:
    """A new snapshot folder of events.csv staged as update does it, and the manifest listing
    the new file as current; return the staged folder, its final place and the listing."""
    data = current_file(raw, sources.EVENTS).read_bytes() + b"\n"
    final = raw / "pack" / "2026-12-24"
    staged = final.with_name(f"{manifest.STAGING_PREFIX}{final.name}.x1")
    staged.mkdir()
    (staged / sources.EVENTS).write_bytes(data)
    listing = manifest.read_listing(manifest.manifest_path(raw))
    entry = manifest.new_entry(
        listing,
        f"pack/{final.name}/{sources.EVENTS}",
        data,
        description="events",
        origin="a test",
        licence="CC BY 4.0",
        table=sources.EVENTS,
    )
    return staged, final, manifest.with_entries(listing, [entry])


def test_a_commit_puts_the_staged_folder_and_the_manifest_in_place(raw_copy: Path):
    staged, final, listing = staged_update(raw_copy)
    manifest.commit(raw_copy, {staged: final}, listing)
    assert not staged.exists()
    assert manifest.current(sources.EVENTS, raw_copy) == final / sources.EVENTS
    assert manifest.read_listing(manifest.manifest_path(raw_copy)) == listing
    assert not (raw_copy / manifest.JOURNAL).exists()
    manifest.verify_manifest(raw_copy)


def test_an_update_stopped_after_its_commit_is_finished(raw_copy: Path):
    staged, final, listing = staged_update(raw_copy)
    before = manifest.manifest_path(raw_copy).read_text(encoding="utf-8")
    # The journal as commit writes it, then the stop: nothing renamed, the old manifest.
    renames = [[p.relative_to(raw_copy).as_posix() for p in (staged, final)]]
    journal = {"renames": renames, "manifest": listing}
    (raw_copy / manifest.JOURNAL).write_text(json.dumps(journal), encoding="utf-8")
    assert manifest.manifest_path(raw_copy).read_text(encoding="utf-8") == before
    assert manifest.finish(raw_copy)
    assert not staged.exists()
    assert manifest.current(sources.EVENTS, raw_copy) == final / sources.EVENTS
    assert not (raw_copy / manifest.JOURNAL).exists()
    manifest.verify_manifest(raw_copy)
    # Finished is finished: the next update finds nothing to do.
    assert manifest.finish(raw_copy) is None


def test_an_update_stopped_before_its_commit_leaves_the_old_snapshot(raw_copy: Path):
    before = {p: p.read_bytes() for p in raw_copy.rglob("*") if p.is_file()}
    staged, final, _ = staged_update(raw_copy)
    assert manifest.finish(raw_copy)
    assert not staged.exists()
    assert not final.exists()
    assert {p: p.read_bytes() for p in raw_copy.rglob("*") if p.is_file()} == before


def test_a_committed_update_whose_folder_is_gone_is_named(raw_copy: Path):
    staged, final, listing = staged_update(raw_copy)
    renames = [[p.relative_to(raw_copy).as_posix() for p in (staged, final)]]
    (raw_copy / manifest.JOURNAL).write_text(
        json.dumps({"renames": renames, "manifest": listing}), encoding="utf-8"
    )
    shutil.rmtree(staged)
    with pytest.raises(ManifestError, match=r"data/raw/pack/2026-12-24: missing"):
        manifest.finish(raw_copy)


def chains() -> tuple[dict[str, dict], dict[str, str]]:
    """The committed manifest's entries by path and its current file of each table."""
    listing = manifest.read_listing()
    return {e["path"]: dict(e) for e in listing["files"]}, dict(listing["current"])


def test_the_committed_chains_hold():
    entries, current = chains()
    assert any(e.get("supersedes") for e in entries.values())
    manifest.check_chains(entries, current, paths.MANIFEST)


def test_a_current_file_that_is_not_listed_is_refused():
    entries, current = chains()
    current[sources.EVENTS] = "pack/2026-12-24/events.csv"
    with pytest.raises(ManifestError, match=r"events\.csv.*pack/2026-12-24/events\.csv"):
        manifest.check_chains(entries, current, paths.MANIFEST)


@pytest.mark.parametrize("older", ["another table's file", "an unlisted file"])
def test_a_file_supersedes_only_a_listed_file_of_its_own_table(older: str):
    entries, current = chains()
    newer = entries[current[sources.EVENTS]]
    # A file of another table that is no table's current one (the check on current files
    # stays quiet: only the chain is wrong).
    other = next(
        p for p, e in entries.items() if e["table"] != sources.EVENTS and p not in current.values()
    )
    newer["supersedes"] = other if older == "another table's file" else "pack/1999-01-01/x.csv"
    with pytest.raises(ManifestError, match=newer["path"]):
        manifest.check_chains(entries, current, paths.MANIFEST)
