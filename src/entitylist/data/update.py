"""`make update`: take in a changed source pack as a new snapshot of the changed tables only.

It writes only the changed tables, bytes as received (less the pack's verbatim excerpts), into
a new dated snapshot folder, and points the manifest at them. Old files are never rewritten.
Before anything is written, the new files are cleaned in memory, so a pack that breaks a
schema or a cross-field check writes nothing.
"""

import datetime as dt
import json
import shutil
import sys
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from entitylist import atomic, paths
from entitylist.data import changes, cleaning, csl, manifest
from entitylist.data.manifest import verify_manifest
from entitylist.data.sources import (
    EVENTS,
    RAW_SOURCES,
    RAW_TABLES,
    RawTable,
    Snapshot,
    check_shape,
    decode,
    read_csv_text,
    strip_excerpts,
)
from entitylist.errors import DeskError, RawDataError


def received(table: RawTable, pack_dir: Path) -> bytes:
    """A pack table's bytes as the snapshot keeps them: CSVs without the excerpt columns."""
    source = Path(pack_dir) / table.in_pack
    if not source.exists():
        msg = f"{source}: table missing from the source pack"
        raise RawDataError(msg)
    data = source.read_bytes()
    if table.csv:
        text = decode(data, str(source))
        check_shape(text, str(source))
        return strip_excerpts(text).encode("utf-8")
    return data


def row_keys(frame: pd.DataFrame, key: tuple[str, ...]) -> pd.Series:
    """One readable key per row: its key columns joined, blanks shown as '-'."""
    return frame[list(key)].fillna("-").agg(" | ".join, axis=1)


@dataclass
class TableChange:
    """What an update does to one table: rows added, removed and changed, by key."""

    table: str
    before: int
    after: int
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    # For each changed row: each changed column, from its old value to its new one.
    changed: dict[str, dict[str, tuple[object, object]]] = field(default_factory=dict)
    # Entries of the screening list whose name changed: old key -> new key.
    renamed: dict[str, str] = field(default_factory=dict)
    unit: str = "rows"

    @property
    def lost(self) -> list[str]:
        """Keys that are gone: removed rows, and the old keys of renamed entries."""
        return [*self.removed, *self.renamed]

    def lines(self) -> list[str]:
        """The change as a reporter reads it: a changed value as old -> new."""
        head = f"{self.table}: {self.before} -> {self.after} {self.unit}"
        if self.removed:
            head += f"; {len(self.removed)} of {self.before} {self.unit} REMOVED"
        if self.renamed:
            head += f"; {len(self.renamed)} renamed"
        out = [head]
        out += [f"  + {key}" for key in self.added]
        out += [f"  - {key}" for key in self.removed]
        out += [
            f"  ~ {key}: {column} {shown(old)} -> {shown(new)}"
            for key, columns in self.changed.items()
            for column, (old, new) in columns.items()
        ]
        out += [f"  renamed: {old} -> {new}" for old, new in self.renamed.items()]
        return out


def shown(value: object) -> str:
    """A cell's value as a change report prints it: blanks as '(blank)', long text cut."""
    if value is None or (isinstance(value, float) and pd.isna(value)) or value is pd.NA:
        return "(blank)"
    text = str(value)
    return text if len(text) <= 80 else text[:77] + "..."


def keyed(frame: pd.DataFrame, table: RawTable, where: str) -> pd.DataFrame:
    """The table indexed by its key; a key given to two rows is refused, naming both."""
    keys = row_keys(frame, table.key)
    twice = keys[keys.duplicated()]
    if len(twice):
        first = keys[keys == twice.iloc[0]].index
        msg = (
            f"{where}: rows {first[0] + 1} and {first[1] + 1} have the same key "
            f"({', '.join(table.key)}: {twice.iloc[0]}); each row needs its own"
        )
        raise RawDataError(msg)
    return frame.set_index(keys)


def cell_changes(a: pd.Series, b: pd.Series, columns: Iterable[str]) -> dict[str, tuple]:
    """The columns whose value moved between two versions of a row, old and new (two blanks
    are the same value)."""
    return {
        c: (a[c], b[c]) for c in columns if not (pd.isna(a[c]) and pd.isna(b[c])) and a[c] != b[c]
    }


def compare_rows(table: RawTable, old: bytes | None, new: bytes) -> TableChange:
    """Compare two versions of a CSV table row by row, by its key."""
    where = f"{table.in_pack} (update candidate)"  # pragma: no mutate
    new_frame = read_csv_text(new.decode("utf-8"), where, table.key)
    after = keyed(new_frame, table, where)
    if old is None:
        return TableChange(table.name, 0, len(new_frame), list(after.index))
    old_frame = read_csv_text(old.decode("utf-8"), table.name)
    before = old_frame.set_index(row_keys(old_frame, table.key))
    shared = [k for k in after.index if k in before.index]
    common = [c for c in after.columns if c in before.columns]
    changed = {}
    added_columns = [c for c in after.columns if c not in before.columns]
    for key in shared:
        differs = cell_changes(before.loc[key], after.loc[key], common)
        differs |= {
            c: (None, after.loc[key, c]) for c in added_columns if pd.notna(after.loc[key, c])
        }
        if differs:
            changed[key] = differs
    return TableChange(
        table.name,
        len(old_frame),
        len(new_frame),
        [k for k in after.index if k not in before.index],
        [k for k in before.index if k not in after.index],
        changed,
    )


def snapshot_folder(raw_dir: Path, folder: str, day: str) -> Path:
    """A new snapshot folder for a date: <folder>/<day>, or <day>.2, .3 … if taken."""
    base = Path(raw_dir) / folder
    candidate, number = base / day, 1
    while candidate.exists():
        number += 1
        candidate = base / f"{day}.{number}"
    return candidate


def snapshot_day(table: RawTable, data: bytes, retrieved: str) -> str:
    """Name a snapshot by the day its source was generated, where it says, else retrieval."""
    if not table.csv:
        try:
            stamp = json.loads(data).get("sourceGeneratedAt", "")
            return dt.date.fromisoformat(stamp[:10]).isoformat()
        except (ValueError, AttributeError):
            pass
    return retrieved


def count_rows(table: RawTable, data: bytes) -> int | None:
    """Rows of a CSV table, or entries of the screening list."""
    if table.csv:
        return check_shape(data.decode("utf-8"), table.name)
    try:
        listing = json.loads(data)
    except ValueError:
        # Not JSON (a CSV edition, or an empty file the cleaning refuses by name): no count.
        return None
    return len(listing["entries"]) if isinstance(listing, dict) and "entries" in listing else None


# --- the screening list, edition by edition ----------------------------------------------

# An edition whose count of Entity List entries moves by more than this share needs consent:
# a list cut in half or doubled is more likely a bad download than a week of rules.
MAX_COUNT_CHANGE = 0.10
# What an entry is compared by, besides its key (csl.entry_keys).
EDITION_COLUMNS = ("aliases", "countries", "license_requirement", "license_policy", "fr_text")


def edition(data: bytes, where: str) -> pd.DataFrame:
    """A screening list's Entity List entries, indexed by entry key."""
    return csl.entity_list(csl.read(data, where)).set_index("entry_key")


def renames(before: pd.DataFrame, after: pd.DataFrame, gone: list, new: list) -> dict[str, str]:
    """Pair entries that left with entries that arrived under another name: same countries
    and citations, and the old name kept as an alias (or the same aliases); one to one only,
    so an unrelated removal is never passed off as a rename."""

    def same(old: str, fresh: str) -> bool:
        a, b = before.loc[old], after.loc[fresh]
        aliases = str(b["aliases"] or "").split("; ")
        return (
            a["countries"] == b["countries"]
            and " ".join(str(a["fr_text"] or "").split())
            == " ".join(str(b["fr_text"] or "").split())
            and (a["name"] in aliases or a["aliases"] == b["aliases"])
        )

    pairs = {old: [fresh for fresh in new if same(old, fresh)] for old in gone}
    claimed = [fresh for found in pairs.values() for fresh in found]
    return {
        old: found[0]
        for old, found in pairs.items()
        if len(found) == 1 and claimed.count(found[0]) == 1
    }


def compare_editions(table: RawTable, old: bytes | None, new: bytes) -> TableChange:
    """Compare two editions of the screening list entry by entry, by entry key."""
    after = edition(new, f"{table.in_pack} (update candidate)")
    if old is None:
        return TableChange(table.name, 0, len(after), unit="entries")
    before = edition(old, table.name)
    gone = [key for key in before.index if key not in after.index]
    new_keys = [key for key in after.index if key not in before.index]
    renamed = renames(before, after, gone, new_keys)
    changed = {}
    for key in before.index.intersection(after.index, sort=False):
        differs = cell_changes(before.loc[key], after.loc[key], EDITION_COLUMNS)
        if differs:
            changed[key] = differs
    return TableChange(
        table.name,
        len(before),
        len(after),
        [key for key in new_keys if key not in renamed.values()],
        [key for key in gone if key not in renamed],
        changed,
        renamed,
        unit="entries",
    )


def count_change(change: TableChange) -> str | None:
    """Say so when an edition's entry count moves by more than MAX_COUNT_CHANGE."""
    if change.unit != "entries" or not change.before:
        return None
    share = (change.after - change.before) / change.before
    if abs(share) <= MAX_COUNT_CHANGE:
        return None
    # pragma: no mutate start (a message's wording)
    return (
        f"{change.table}: {change.before:,} -> {change.after:,} Entity List entries "
        f"({share:+.1%}), more than the {MAX_COUNT_CHANGE:.0%} an edition may change by"
    )
    # pragma: no mutate end


@dataclass
class UpdateReport:
    """The outcome of an update: what changed, and the files it wrote."""

    changes: list[TableChange] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    carried: list[str] = field(default_factory=list)
    written: list[Path] = field(default_factory=list)

    def removing(self) -> bool:
        """Whether any table loses rows or entries."""
        return any(change.lost for change in self.changes)

    def text(self) -> str:
        """Several lines: one block per changed table, then the unchanged and carried ones."""
        lines = [line for change in self.changes for line in change.lines()]
        if self.unchanged:
            lines.append(f"unchanged: {', '.join(self.unchanged)}")
        if self.carried:
            lines.append(f"not in the pack, kept as they are: {', '.join(self.carried)}")
        return "\n".join(lines) or "nothing to update"


def compare(table: RawTable, old: bytes | None, new: bytes) -> TableChange:
    """Compare a table's current file with its candidate: CSV rows by key, list entries by
    entry key."""
    if table.csv:
        return compare_rows(table, old, new)
    return compare_editions(table, old, new)


def processed_losses(raw_dir: Path, new: dict[str, pd.DataFrame]) -> dict[str, list[str]]:
    """The rows each processed table would lose, keyed as a render keys them; none known when
    the current snapshot itself no longer cleans (an update is how it gets mended)."""
    try:
        old = cleaning.clean_all(Snapshot(raw_dir))
    except DeskError:
        return {}
    return changes.lost_rows(old, new)


def refusal(report: "UpdateReport", lost: dict[str, list[str]], big: list[str]) -> str:
    """Why an update needs consent, listing every row it would lose."""
    lines = []
    for change in report.changes:
        if change.lost:
            lines.append(change.lines()[0])
            lines += [f"  - {key}" for key in change.removed]
            lines += [f"  renamed: {old} -> {new}" for old, new in change.renamed.items()]
    for name, keys in sorted(lost.items()):
        lines.append(f"processed table {name}: loses {len(keys)} row(s)")
        lines += [f"  - {key}" for key in keys]
    asks = []
    if report.removing() or lost:
        asks.append("--allow-removals")
    if big:
        lines += big
        asks.append("--allow-count-change")
    flags = " ".join(asks)
    return (
        "the update needs consent:\n" + "\n".join(lines) + f"\nIf that is intended, run it "
        f'again with {flags} (make update PACK=... ARGS="{flags}"); nothing was written'
    )


def update(
    pack_dir: Path,
    raw_dir: Path | None = None,
    retrieved: str | None = None,
    allow_removals: bool = False,
    dry_run: bool = False,
    allow_count_change: bool = False,
) -> UpdateReport:
    """Take in a changed source pack as a new snapshot of the changed tables only.

    Refuses, writing nothing, when the new files fail cleaning; when rows or list entries
    would be removed (in the source tables or the processed ones) and `allow_removals` is not
    given; or when the list's entry count moves by more than MAX_COUNT_CHANGE and
    `allow_count_change` is not given. Consent covers the rows this update names, no others,
    and the manifest records them and when.
    """
    raw_dir = raw_dir or paths.RAW
    current = manifest.current_files(raw_dir)
    # A pack may hold only the tables that changed: the others are carried over as they are.
    present = [t for t in RAW_TABLES.values() if (Path(pack_dir) / t.in_pack).exists()]
    if not present:
        msg = f"{pack_dir}: no table of the source pack is there (expected e.g. {EVENTS})"
        raise RawDataError(msg)
    candidates = {table.name: received(table, pack_dir) for table in present}
    report = take_in(candidates, raw_dir, retrieved, allow_removals, dry_run, allow_count_change)
    report.carried = [
        t.name for t in RAW_TABLES.values() if t not in present and t.name in current
    ]
    return report


def take_in(
    received_files: dict[str, bytes],
    raw_dir: Path,
    retrieved: str | None = None,
    allow_removals: bool = False,
    dry_run: bool = False,
    allow_count_change: bool = False,
) -> UpdateReport:
    """Compare received files with the current ones, check consent, then commit them whole."""
    retrieved = retrieved or dt.date.today().isoformat()
    if not dry_run:
        report_line = manifest.finish(raw_dir)
        if report_line:
            print(f"data/raw: {report_line}", file=sys.stderr)  # pragma: no mutate
    report, candidates, lost = vet(received_files, raw_dir, allow_removals, allow_count_change)
    if candidates and not dry_run:
        report.written = write_snapshot(raw_dir, candidates, retrieved, report, lost)
    return report


def vet(
    received_files: dict[str, bytes],
    raw_dir: Path,
    allow_removals: bool = False,
    allow_count_change: bool = False,
) -> tuple[UpdateReport, dict[str, bytes], dict[str, list[str]]]:
    """The update path's checks, shared by `update` and `fetch`: compare each received file
    with its table's current one, clean everything in memory with the changed ones, and refuse
    removals or a big count change without consent. Returns the report, the changed files and
    the processed rows they lose."""
    verify_manifest(raw_dir)
    snapshot = Snapshot(raw_dir)
    report, candidates = UpdateReport(), {}
    for name, data in received_files.items():
        table = RAW_TABLES[name]
        old = snapshot.data(name) if name in manifest.current_files(raw_dir) else None
        if data == old:
            report.unchanged.append(name)
            continue
        candidates[name] = data
        report.changes.append(compare(table, old, data))
    if not candidates:
        return report, candidates, {}
    # Clean everything in memory with the new files: a bad pack writes nothing.
    new_tables = cleaning.clean_all(Snapshot(raw_dir, candidates))
    lost = processed_losses(raw_dir, new_tables)
    big = [line for change in report.changes if (line := count_change(change))]
    if ((report.removing() or lost) and not allow_removals) or (big and not allow_count_change):
        raise RawDataError(refusal(report, lost, big))
    return report, candidates, lost


def consents(
    name: str, report: "UpdateReport", lost: dict[str, list[str]], at: str
) -> dict[str, dict]:
    """The consents an update records on one new file: the rows it loses, and the processed
    rows lost with them, and an entry count change; with the time they were given."""
    change = next(c for c in report.changes if c.table == name)
    processed = {t: keys for t, keys in lost.items() if name in RAW_SOURCES.get(t, [])}
    out = {}
    if change.lost or processed:
        out["removals_confirmed"] = {"at": at, "rows": change.lost, "processed": processed}
    if count_change(change):
        out["count_change_confirmed"] = {"at": at, "before": change.before, "after": change.after}
    return out


def write_snapshot(
    raw_dir: Path,
    candidates: dict[str, bytes],
    retrieved: str,
    report: "UpdateReport",
    lost: dict[str, list[str]],
) -> list[Path]:
    """Stage the changed tables in new snapshot folders, then commit them and the manifest in
    one step (manifest.commit): a kill at any moment leaves the old snapshot or the new."""
    at = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    by_folder: dict[Path, dict[str, bytes]] = {}
    for name, data in candidates.items():
        table = RAW_TABLES[name]
        folder = snapshot_folder(raw_dir, table.folder, snapshot_day(table, data, retrieved))
        by_folder.setdefault(folder, {})[name] = data
    listing = manifest.read_listing(manifest.manifest_path(raw_dir))
    moves: dict[Path, Path] = {}
    entries, written = [], []
    try:
        for folder, files in by_folder.items():
            folder.parent.mkdir(parents=True, exist_ok=True)
            prefix = f"{manifest.STAGING_PREFIX}{folder.name}."
            staging = Path(tempfile.mkdtemp(dir=folder.parent, prefix=prefix))
            moves[staging] = folder
            for name, data in files.items():
                table = RAW_TABLES[name]
                atomic.write_bytes(staging / Path(table.in_pack).name, data)
                path = folder / Path(table.in_pack).name
                entries.append(
                    manifest.new_entry(
                        listing,
                        path.relative_to(raw_dir).as_posix(),
                        data,
                        description=table.description,
                        origin=table.origin,
                        licence=table.licence,
                        retrieved=retrieved,
                        table=name,
                        rows=count_rows(table, data),
                        **consents(name, report, lost, at),
                    )
                )
                written.append(path)
            staging.chmod(0o755)
    except BaseException:
        for staging in moves:
            shutil.rmtree(staging, ignore_errors=True)
        raise
    manifest.commit(raw_dir, moves, manifest.with_entries(listing, entries))
    return written
