"""Write files so that a reader sees the old version or the new one, never half of one."""

import csv
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd


def write_bytes(path: Path, data: bytes) -> bool:
    """Write data to path via a temporary file and rename; return False if unchanged."""
    path = Path(path)
    if path.exists() and path.read_bytes() == data:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        # mkstemp creates 0600 files; published files are world-readable like any other.
        Path(tmp).chmod(0o644)
        Path(tmp).replace(path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return True


def write_text(path: Path, text: str) -> bool:
    """Write UTF-8 text atomically with Unix line endings."""
    return write_bytes(path, text.encode("utf-8"))


def csv_text(frame: "pd.DataFrame") -> str:
    """Serialise a table the one way the desk publishes CSV: stable, no index, LF."""
    # Python's csv quotes a field with LF but not one with a lone CR, which a spreadsheet then
    # reads as a line break: such a table (rare, and refused from raw data) is quoted throughout.
    text = frame.select_dtypes(include=["object", "string"])
    has_cr = text.map(lambda v: isinstance(v, str) and "\r" in v).to_numpy().any()
    quoting = csv.QUOTE_NONNUMERIC if has_cr else csv.QUOTE_MINIMAL
    return frame.to_csv(index=False, lineterminator="\n", date_format="%Y-%m-%d", quoting=quoting)


def write_csv(path: Path, frame: "pd.DataFrame") -> bool:
    """Write a table as CSV atomically, byte-identical for identical tables."""
    return write_text(path, csv_text(frame))
