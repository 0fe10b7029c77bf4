"""Shared fixtures for the unit tests."""

import shutil
from pathlib import Path

import pandas as pd
import pytest

from entitylist import cleaning, paths

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="session")
def tables() -> dict[str, pd.DataFrame]:
    """Every processed table, cleaned from the committed raw snapshot."""
    return cleaning.clean_all()


@pytest.fixture
def raw_copy(tmp_path: Path) -> Path:
    """A writable copy of data/raw, to corrupt one real row at a time."""
    target = tmp_path / "raw"
    shutil.copytree(paths.RAW, target)
    return target


def edit_cell(raw: Path, file: str, row: int, column: str, value: str) -> None:
    """Set one cell of a raw CSV (row is 1-based, as raw_row) to a new value."""
    frame = pd.read_csv(raw / file, dtype=str, keep_default_na=False)
    frame.loc[row - 1, column] = value
    frame.to_csv(raw / file, index=False)


# The fixture notebooks are inputs of the render tests, not notebooks for nbval to run.
collect_ignore_glob = ["fixtures/*"]
