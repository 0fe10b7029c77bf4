"""The raw snapshot's manifest catches any change to a raw file, naming the file."""

import json
import shutil
from pathlib import Path

import pytest

from entitylist import manifest, paths, sources
from entitylist.errors import ManifestError, RawDataError


def test_committed_snapshot_matches_its_manifest():
    assert manifest.verify_manifest() == len(list(paths.RAW.glob("*.csv")))


def test_every_entry_says_where_it_came_from_and_when():
    for entry in manifest.read_manifest().values():
        assert entry["origin"]
        assert entry["licence"]
        assert entry["description"]
        assert len(entry["sha256"]) == 64
        assert entry["retrieved"][:4].isdigit()


def test_edited_raw_file_is_named(raw_copy: Path):
    path = raw_copy / "events.csv"
    path.write_text(path.read_text(encoding="utf-8").replace("2016-03-08", "2016-03-09", 1))
    with pytest.raises(ManifestError, match=r"data/raw/events\.csv: sha256"):
        manifest.verify_manifest(raw_copy)


def test_unlisted_raw_file_is_named(raw_copy: Path):
    (raw_copy / "extra.csv").write_text("a,b\n1,2\n")
    with pytest.raises(ManifestError, match=r"data/raw/extra\.csv: not listed"):
        manifest.verify_manifest(raw_copy)


def test_missing_raw_file_is_named(raw_copy: Path):
    (raw_copy / "partnerships.csv").unlink()
    with pytest.raises(ManifestError, match=r"partnerships\.csv: listed .* but missing"):
        manifest.verify_manifest(raw_copy)


def test_a_listed_file_cannot_be_relisted_with_new_bytes(raw_copy: Path):
    path = raw_copy / "companies.csv"
    path.write_text(path.read_text(encoding="utf-8") + "\n")
    with pytest.raises(ManifestError, match="immutable"):
        manifest.add_to_manifest(path, description="d", origin="o", licence="l", raw_dir=raw_copy)


def test_import_drops_the_excerpts_and_keeps_the_facts(tmp_path: Path):
    pack = Path(paths.ROOT.parent / "shared" / "data")
    if not pack.exists():
        pytest.skip("the source pack (../shared/data) is not beside this checkout")
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "manifest.json").write_text(json.dumps({"files": []}))
    written = sources.import_pack(pack, raw_dir=raw, retrieved="2026-11-29")
    assert len(written) == len(sources.RAW_TABLES) - 1
    events = (raw / "events.csv").read_text(encoding="utf-8")
    assert "evidence" not in events.splitlines()[0]
    assert (raw / "events.csv").read_bytes() == (paths.RAW / "events.csv").read_bytes()


def test_import_refuses_to_rewrite_a_raw_file(raw_copy: Path, tmp_path: Path):
    pack = tmp_path / "pack"
    pack.mkdir()
    for name in (n for n, t in sources.RAW_TABLES.items() if t.from_pack):
        shutil.copy(paths.RAW / name, pack / name)
    (pack / "events.csv").write_text("date,event\n2019-10-09,changed\n")
    with pytest.raises(RawDataError, match="never rewritten"):
        sources.import_pack(pack, raw_dir=raw_copy)
