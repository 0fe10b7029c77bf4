"""Load the processed tables with their types, optionally as they stood on a date."""

from pathlib import Path

import pandas as pd

from entitylist import asof, paths
from entitylist.manifest import read_manifest
from entitylist.schemas import SCHEMAS


def read(name: str, processed: Path) -> pd.DataFrame:
    """Read one processed table and restore the types its schema declares."""
    path = processed / f"{name}.csv"
    if not path.exists():
        msg = f"{path}: processed table missing; run the cleaning notebook (10-clean) first"
        raise FileNotFoundError(msg)
    frame = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])
    # CSV stores booleans as text, and any non-empty text would coerce to True.
    for column, spec in SCHEMAS[name].columns.items():
        if str(spec.dtype) == "bool":
            frame[column] = frame[column].map({"True": True, "False": False})
    return SCHEMAS[name].validate(frame)


def as_of_filter(tables: dict[str, pd.DataFrame], as_of: str | None) -> dict[str, pd.DataFrame]:
    """Keep only what was known on as_of: rules and events by date, figures by period end,
    suppliers and university ties by the latest date their report can be from.

    Rows without any date are dropped from an as-of view, since they cannot be placed.
    """
    day = asof.parse(as_of)
    if day is None:
        return tables
    cutoff = pd.Timestamp(day)
    kept = dict(tables)
    kept["rules"] = tables["rules"][tables["rules"]["date"] <= cutoff].reset_index(drop=True)
    kept["events"] = tables["events"][tables["events"]["date"] <= cutoff].reset_index(drop=True)
    financials = tables["financials"]
    kept["financials"] = financials[financials["period_end"] <= cutoff].reset_index(drop=True)
    # Undated reports cannot be placed before the cutoff, so an as-of view leaves them out.
    for name in ("suppliers", "partnerships"):
        table = tables[name]
        kept[name] = table[table["reported_by"] <= cutoff].reset_index(drop=True)
    return kept


def load(root: str | None = None, as_of: str | None = None) -> dict[str, pd.DataFrame]:
    """Load every processed table under the output root, as of a date if given."""
    processed = paths.processed_dir(root)
    return as_of_filter({name: read(name, processed) for name in SCHEMAS}, as_of)


def data_as_of(as_of: str | None) -> pd.Timestamp:
    """Return the date a page's data stands at: as_of, else the snapshot's latest retrieval."""
    day = asof.parse(as_of)
    if day is not None:
        return pd.Timestamp(day)
    retrieved = [entry["retrieved"] for entry in read_manifest().values()]
    return pd.Timestamp(max(retrieved))
