"""What a render changed, compared with what was last published.

For every processed table: rows added, removed, and changed (by the table's key, the
schema's unique columns, or all columns when it has none), with the columns that changed.
Charts and pages are compared file by file. Each render that publishes writes the report as
JSON and as a short text summary, so a scheduled job can say in one line what is new.
"""

import io
import json
from pathlib import Path

import pandas as pd

from entitylist import atomic, paths
from entitylist.data.manifest import sha256
from entitylist.data.schemas import SCHEMAS

SHOWN = 5  # rows listed per table and kind in the text summary
# A row's line number in its raw file moves whenever a row above it is added or removed, and
# its file whenever an update brings a new snapshot folder: neither is a change of the row,
# and listing them would bury the values that did change.
UNCOMPARED = {"raw_row", "raw_file"}


def read_table(path: Path | io.StringIO) -> pd.DataFrame:
    """A processed CSV, every cell as text."""
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def table_key(name: str, frame: pd.DataFrame) -> list[str]:
    """The columns that identify a row: the schema's unique key, else every column."""
    schema = SCHEMAS.get(name)
    key = list(schema.unique or []) if schema is not None else []
    return key if key and set(key) <= set(frame.columns) else list(frame.columns)


def keyed_rows(frame: pd.DataFrame, key: list[str]) -> dict[str, dict[str, str]]:
    """Rows by their key, joined as one string."""
    records = frame.to_dict(orient="records")
    return {" | ".join(str(r[c]) for c in key): r for r in records}


def shared_key(name: str, old: pd.DataFrame, new: pd.DataFrame) -> list[str]:
    """The key both versions are compared by: the schema's, or, when the older version
    predates a key column (a new key), the columns both have: a new column is no lost row."""
    key = table_key(name, new)
    if set(key) <= set(old.columns):
        return key
    return [c for c in new.columns if c in old.columns and c not in UNCOMPARED]


def compare_table(name: str, old: pd.DataFrame | None, new: pd.DataFrame | None) -> dict:
    """Rows added, removed and changed between two versions of one table."""
    if old is not None and new is not None:
        key = shared_key(name, old, new)
        before, after = keyed_rows(old, key), keyed_rows(new, key)
    else:
        key = table_key(name, new if new is not None else old)
        before = keyed_rows(old, key) if old is not None else {}
        after = keyed_rows(new, key) if new is not None else {}
    changed = []
    for row in sorted(before.keys() & after.keys()):
        columns = {
            column: {"from": before[row].get(column), "to": after[row].get(column)}
            for column in sorted(before[row].keys() | after[row].keys())
            if column not in UNCOMPARED and before[row].get(column) != after[row].get(column)
        }
        if columns:
            changed.append({"key": row, "columns": columns})
    return {
        "key": key,
        "added": sorted(after.keys() - before.keys()),
        "removed": sorted(before.keys() - after.keys()),
        "changed": changed,
    }


def compare_tables(old: dict[str, pd.DataFrame], new: dict[str, pd.DataFrame]) -> dict:
    """Compare two sets of tables by name: rows added, removed and changed in each."""
    return {
        name: compare_table(name, old.get(name), new.get(name))
        for name in sorted(old.keys() | new.keys())
    }


def digests(folder: Path) -> dict[str, str]:
    """Name -> sha256 of every file in a folder (not recursive)."""
    if not folder.is_dir():
        return {}
    return {p.name: sha256(p) for p in sorted(folder.iterdir()) if p.is_file()}


def compare_files(old: Path, new: Path) -> dict[str, list[str]]:
    """Files added, removed and changed between two folders."""
    before, after = digests(old), digests(new)
    return {
        "added": sorted(set(after) - set(before)),
        "removed": sorted(set(before) - set(after)),
        "changed": sorted(k for k in set(before) & set(after) if before[k] != after[k]),
    }


def compare_processed(old: Path, new: Path) -> dict:
    """Compare two processed folders table by table; a byte-identical table is not read."""
    before, after = digests(old), digests(new)
    report = {}
    for name in sorted({Path(f).stem for f in before.keys() | after.keys() if f.endswith(".csv")}):
        file = f"{name}.csv"
        if before.get(file) == after.get(file):
            header = pd.read_csv(new / file, dtype=str, nrows=0)
            report[name] = {
                "key": table_key(name, header),
                "added": [],
                "removed": [],
                "changed": [],
            }
            continue
        report[name] = compare_table(
            name,
            read_table(old / file) if file in before else None,
            read_table(new / file) if file in after else None,
        )
    return report


def compare(old_root: Path, new_root: Path) -> dict:
    """Compare two output roots: processed tables row by row, charts and pages by file."""
    return {
        "tables": compare_processed(
            old_root / paths.PROCESSED_NAME, new_root / paths.PROCESSED_NAME
        ),
        "charts": compare_files(old_root / paths.CHARTS_NAME, new_root / paths.CHARTS_NAME),
        "pages": compare_files(old_root / paths.SITE_NAME, new_root / paths.SITE_NAME),
    }


def as_published(frame: pd.DataFrame) -> pd.DataFrame:
    """A table in memory as a render publishes and reads it back: CSV text, every cell text."""
    return read_table(io.StringIO(atomic.csv_text(frame)))


def lost_rows(old: dict[str, pd.DataFrame], new: dict[str, pd.DataFrame]) -> dict[str, list[str]]:
    """The keys of the rows each table in memory loses, keyed as a render's report keys them."""
    published = {name: as_published(frame) for name, frame in old.items()}
    candidate = {name: as_published(frame) for name, frame in new.items()}
    return removals({"tables": compare_tables(published, candidate)})


def removals(report: dict) -> dict[str, list[str]]:
    """The keys of the rows each table lost."""
    return {name: diff["removed"] for name, diff in report["tables"].items() if diff["removed"]}


def summary(report: dict) -> str:
    """A few lines a person reads in a cron mail: what is new, what changed."""
    lines = []
    for name, diff in report["tables"].items():
        kinds = ("added", "removed", "changed")
        parts = [f"{len(diff[kind])} {kind}" for kind in kinds if diff[kind]]
        if not parts:
            continue
        lines.append(f"{name}: {', '.join(parts)}")
        lines += [f"  + {k}" for k in diff["added"][:SHOWN]]
        lines += [f"  - {k}" for k in diff["removed"][:SHOWN]]
        for change in diff["changed"][:SHOWN]:
            moved = ", ".join(
                f"{column} {values['from']} -> {values['to']}"
                for column, values in change["columns"].items()
            )
            lines.append(f"  ~ {change['key']}: {moved}")
    for kind in ("charts", "pages"):
        touched = sum(len(v) for v in report[kind].values())
        if touched:
            lines.append(f"{kind}: {touched} files added, removed or changed")
    return "\n".join(lines) or "no change in the published data, charts or pages"


def write(report: dict, folder: Path) -> tuple[Path, Path]:
    """Write changes.json and changes.txt into a folder; return both paths."""
    as_json = folder / "changes.json"
    as_text = folder / "changes.txt"
    atomic.write_text(as_json, json.dumps(report, indent=2, sort_keys=True) + "\n")
    atomic.write_text(as_text, summary(report) + "\n")
    return as_json, as_text
