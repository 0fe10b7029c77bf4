"""Shared fixtures for the unit tests."""

import shutil
from pathlib import Path

import pandas as pd
import pytest

from entitylist import cleaning, manifest, paths

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="session")
def tables() -> dict[str, pd.DataFrame]:
    """Every processed table, cleaned from the committed raw snapshot."""
    return cleaning.clean_all()


@pytest.fixture
def raw_copy(tmp_path: Path) -> Path:
    """A writable copy of data/raw, to change one real file at a time."""
    target = tmp_path / "raw"
    shutil.copytree(paths.RAW, target)
    return target


@pytest.fixture
def pack_copy(tmp_path: Path, raw_copy: Path) -> Path:
    """A source pack folder holding the snapshot's current files, as the pack would."""
    from entitylist import sources

    pack = tmp_path / "pack"
    for table in sources.RAW_TABLES.values():
        target = pack / table.in_pack
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(manifest.current(table.name, raw_copy), target)
    return pack


def current_file(raw: Path, table: str) -> Path:
    """The current file of a source table in a raw folder."""
    return manifest.current(table, raw)


def edit_cell(path: Path, row: int, column: str, value: str) -> None:
    """Set one cell of a CSV (row is 1-based, as raw_row) to a new value."""
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    frame.loc[row - 1, column] = value
    frame.to_csv(path, index=False, lineterminator="\n")


def rehash(raw: Path, path: Path) -> None:
    """Record a hand-edited raw file's new hash in the manifest, as a careless user might."""
    listing = manifest.read_listing(manifest.manifest_path(raw))
    entries = {e["path"]: e for e in listing["files"]}
    rel = path.relative_to(raw).as_posix()
    entries[rel]["sha256"] = manifest.sha256(path)
    manifest.write_manifest(entries, listing["current"], manifest.manifest_path(raw))


# The fixture notebooks are inputs of the render tests, not notebooks for nbval to run.
collect_ignore_glob = ["fixtures/*"]
