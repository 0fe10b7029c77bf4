"""The raw snapshot's manifest: every file listed with its origin and hash, one current file
per source table, and any change to a raw file caught and named."""

import json
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
