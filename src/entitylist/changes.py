"""What a render changed: rules and entries added or removed, figures that moved, files touched.

Each render that publishes writes the report as JSON and as a short text summary, so a
scheduled job can say in one line what is new.
"""

import hashlib
import json
from pathlib import Path

import pandas as pd

from entitylist import atomic
from entitylist.schemas import SCHEMAS

# Which processed tables to compare row by row, and the value column that "moves".
TRACKED = {"rules": None, "entries_2019": None, "events": None, "financials": "value"}


def read_table(folder: Path, name: str) -> pd.DataFrame | None:
    """Read a processed CSV as text, or None if the folder does not have it yet."""
    path = folder / f"{name}.csv"
    if not path.exists():
        return None
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def row_keys(frame: pd.DataFrame, key: list[str]) -> pd.Series:
    """One string per row joining its key columns."""
    return frame[key].astype(str).agg(" | ".join, axis=1)


def compare_table(name: str, old: pd.DataFrame | None, new: pd.DataFrame) -> dict:
    """Keys added and removed in a table, and the tracked values that changed."""
    key = list(SCHEMAS[name].unique or [])
    new_keys = row_keys(new, key)
    if old is None:
        return {"added": sorted(new_keys), "removed": [], "moved": []}
    old_keys = row_keys(old, key)
    report = {
        "added": sorted(set(new_keys) - set(old_keys)),
        "removed": sorted(set(old_keys) - set(new_keys)),
        "moved": [],
    }
    column = TRACKED[name]
    if column:
        before = dict(zip(old_keys, old[column], strict=True))
        after = dict(zip(new_keys, new[column], strict=True))
        report["moved"] = [
            {"key": k, "from": before[k], "to": after[k]}
            for k in sorted(set(before) & set(after))
            if before[k] != after[k]
        ]
    return report


def digests(folder: Path) -> dict[str, str]:
    """Name -> sha256 of every file in a folder (not recursive)."""
    if not folder.exists():
        return {}
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.iterdir())
        if p.is_file()
    }


def compare_files(old: Path, new: Path) -> dict[str, list[str]]:
    """Files added, removed and changed between two folders."""
    before, after = digests(old), digests(new)
    return {
        "added": sorted(set(after) - set(before)),
        "removed": sorted(set(before) - set(after)),
        "changed": sorted(k for k in set(before) & set(after) if before[k] != after[k]),
    }


def compare(old_root: Path, new_root: Path) -> dict:
    """Compare two output roots: processed tables row by row, charts and pages by file."""
    tables = {}
    for name in TRACKED:
        new = read_table(new_root / "data" / "processed", name)
        if new is not None:
            tables[name] = compare_table(
                name, read_table(old_root / "data" / "processed", name), new
            )
    return {
        "tables": tables,
        "charts": compare_files(old_root / "charts", new_root / "charts"),
        "pages": compare_files(old_root / "site", new_root / "site"),
    }


def summary(report: dict) -> str:
    """A few lines a person reads in a cron mail: what is new, what moved."""
    lines = []
    for name, diff in report["tables"].items():
        parts = [
            f"{len(diff[kind])} {label}"
            for kind, label in (("added", "added"), ("removed", "removed"), ("moved", "moved"))
            if diff[kind]
        ]
        if parts:
            lines.append(f"{name}: {', '.join(parts)}")
            lines += [f"  + {k}" for k in diff["added"][:5]]
            lines += [f"  - {k}" for k in diff["removed"][:5]]
            lines += [f"  ~ {m['key']}: {m['from']} -> {m['to']}" for m in diff["moved"][:5]]
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
