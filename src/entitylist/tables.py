"""Load the processed tables with their types, as known on a date if asked.

The as-of view keeps only rows whose `known_since` is on or before the date: what a reader
could have known that day. Rows the sources do not date are left out of as-of views.
"""

from pathlib import Path

import pandas as pd
from pandera.errors import SchemaError as PanderaError
from pandera.errors import SchemaErrors

from entitylist import paths
from entitylist.data import asof, manifest
from entitylist.data.schemas import SCHEMAS, describe_failure
from entitylist.errors import SchemaError


def read(name: str, processed: Path) -> pd.DataFrame:
    """Read one processed table and restore the types its schema declares."""
    path = processed / f"{name}.csv"
    if not path.exists():
        msg = f"{path}: processed table missing; run the cleaning notebook (10-clean) first"
        raise SchemaError(msg)
    frame = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])
    # CSV stores booleans as text, and any non-empty text would coerce to True.
    for column, spec in SCHEMAS[name].columns.items():
        if str(spec.dtype) == "bool" and column in frame:
            frame[column] = frame[column].map({"True": True, "False": False})
    try:
        return SCHEMAS[name].validate(frame, lazy=True)
    except (SchemaErrors, PanderaError) as exc:
        detail = (
            describe_failure(name, frame, str(path), exc) if hasattr(exc, "failure_cases") else exc
        )
        msg = f"{detail}; processed tables are written by 10-clean, never by hand"
        raise SchemaError(msg) from None


def known_by(table: pd.DataFrame, day: pd.Timestamp, column: str = "known_since") -> pd.DataFrame:
    """The rows of a table that were public on a day."""
    return table[table[column] <= day].reset_index(drop=True)


def entries_as_of(entries: pd.DataFrame, day: pd.Timestamp) -> pd.DataFrame:
    """The rule's entries known on a day, named as the reports of that time named them.

    A name first printed later is withheld (blank); the 2026 list's spelling of a name that
    2019 reports gave differently gives way to the 2019 name.
    """
    kept = known_by(entries, day).copy()
    later = kept["name_known_since"] > day
    kept.loc[later, ["name", "name_known_since"]] = pd.NA
    kept["name"] = kept["name_2019"].where(kept["name_2019"].notna() & ~later, kept["name"])
    return kept


def as_of_filter(tables: dict[str, pd.DataFrame], as_of: str | None) -> dict[str, pd.DataFrame]:
    """Keep only what was public on as_of, in every table (companies are configuration)."""
    day = asof.parse(as_of)
    if day is None:
        return tables
    cutoff = pd.Timestamp(day)
    kept = {}
    for name, table in tables.items():
        if name == "entries_2019":
            kept[name] = entries_as_of(table, cutoff)
        elif "known_since" in table:
            kept[name] = known_by(table, cutoff)
        else:
            kept[name] = table
    return kept


def load(root: str | None = None, as_of: str | None = None) -> dict[str, pd.DataFrame]:
    """Load every processed table under the output root, as of a date if given."""
    processed = paths.processed_dir(root)
    return as_of_filter({name: read(name, processed) for name in SCHEMAS}, as_of)


def data_as_of(as_of: str | None) -> pd.Timestamp:
    """The date a page's data stands at: as_of, else the snapshot's latest retrieval."""
    day = asof.parse(as_of)
    if day is not None:
        return pd.Timestamp(day)
    return pd.Timestamp(manifest.latest_retrieval())
