"""The raw snapshot: the source tables, reading their current files, and taking in a changed pack.

Every source table has a current file in data/raw, named by the manifest. `update` takes in a
changed source pack: it writes only the changed tables, bytes as received (less the pack's
verbatim excerpts), into a new dated snapshot folder, and points the manifest at them. Old
files are never rewritten. Before anything is written, the new files are cleaned in memory,
so a pack that breaks a schema or a cross-field check writes nothing.
"""

import csv
import datetime as dt
import io
import json
import re
import shutil
import sys
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

import pandas as pd

from entitylist import atomic, characters, manifest, paths
from entitylist.errors import DeskError, RawDataError
from entitylist.manifest import add_to_manifest, verify_manifest  # noqa: F401  (re-exported)

PACK_ORIGIN = (
    "Desk source pack (shared/data), hand-compiled research tables; "
    "every row names its own source_url or name_source_url"
)
PACK_LICENCE = (
    "Facts, figures, dates and URLs from the public sources each row cites; "
    "the sources' verbatim excerpts (the pack's evidence column) are not kept"
)
CSL_ORIGIN = (
    "US Consolidated Screening List, trade.gov bulk download "
    "(https://data.trade.gov/downloadable_consolidated_screening_list/v1/consolidated.json), "
    "generated 2026-07-31T13:15:00Z; compacted copy bundled as src/data/screening-list.json in "
    "github.com/seelpeed-debug/export-controls-agent-mcp at commit "
    "3a0bf5eb5890c1e6f79796cf89992eb7c974021a, bytes unchanged; via the desk's source pack "
    "(shared/data/csl)"
)
CSL_LICENCE = (
    "US government work (Commerce, State, Treasury), public domain; the compaction is the "
    "export-controls-agent-mcp project's, MIT"
)
T = TypeVar("T")
# Columns dropped on import: other publishers' wording, kept only in the pack.
EXCERPT_COLUMNS = ("evidence",)


@dataclass(frozen=True)
class RawTable:
    """A source table: where it sits in the pack and in data/raw, and what identifies a row."""

    name: str
    description: str
    columns: tuple[str, ...] = ()
    key: tuple[str, ...] = ()
    pack_file: str = ""
    folder: str = "pack"
    csv: bool = True
    origin: str = PACK_ORIGIN
    licence: str = PACK_LICENCE
    extra: dict = field(default_factory=dict)

    @property
    def in_pack(self) -> str:
        """The file's path inside the source pack."""
        return self.pack_file or self.name


RULES = "fr_rules_china.csv"
ENTRIES = "entities_84FR54002.csv"
EVENTS = "events.csv"
REVENUE = "revenue_by_region.csv"
SUPPLIERS = "us_suppliers.csv"
PARTNERSHIPS = "partnerships.csv"
US_SHARE = "us_share.csv"
SCREENING_LIST = "screening-list"

RAW_TABLES = {
    table.name: table
    for table in (
        RawTable(
            RULES,
            "Federal Register rules (2016-03 to 2025-11) that added, removed or revised "
            "Entity List entries under China",
            (
                "document_number",
                "citation",
                "publication_date",
                "effective_date",
                "action",
                "title",
                "china_entries_added",
                "hong_kong_entries_added",
                "total_entries_added",
                "notable_entities",
                "stated_reason",
                "source_url",
            ),
            ("document_number", "citation", "publication_date", "effective_date"),
        ),
        RawTable(
            ENTRIES,
            "The 28 entries added under China by the rule of 9 Oct 2019 (84 FR 54002)",
            (
                "entry_no",
                "entry_name",
                "candidate_name",
                "candidate_status",
                "kind",
                "license_requirement",
                "license_review_policy",
                "citation",
                "publication_date",
                "field_status",
                "name_source_url",
                "notes",
                "csl_name",
            ),
            ("entry_no",),
        ),
        RawTable(
            EVENTS,
            "Dated events of the story: US actions, China's response, companies, "
            "academia, trade talks, markets",
            ("date", "event", "actor", "category", "source_url", "date_basis"),
            # One actor can speak twice a day, reported by two sources (a briefing via
            # Xinhua and via AFP): the source tells the rows apart.
            ("date", "actor", "source_url"),
        ),
        RawTable(
            REVENUE,
            "Company revenue and, where stated, overseas revenue per period (CNY million)",
            (
                "company",
                "period",
                "currency",
                "total_revenue",
                "overseas_revenue",
                "overseas_share_pct",
                "share_basis",
                "unit",
                "source_url",
                "notes",
            ),
            ("company", "period", "source_url"),
        ),
        RawTable(
            SUPPLIERS,
            "Suppliers named for a listed company, with the component where stated",
            ("company", "supplier", "supplier_country", "component", "source_url", "notes"),
            ("company", "supplier", "source_url"),
        ),
        RawTable(
            PARTNERSHIPS,
            "University and institution ties of listed companies and what became of them",
            (
                "company",
                "partner",
                "partner_country",
                "started",
                "status_change",
                "source_url",
                "relationship_type",
                "notes",
            ),
            ("company", "partner", "source_url"),
        ),
        RawTable(
            US_SHARE,
            "A company's share of sales in a US market, as a share of a stated base",
            ("company", "period", "market", "share_pct", "share_of", "source_url", "notes"),
            ("company", "period", "market"),
        ),
        RawTable(
            SCREENING_LIST,
            "US Consolidated Screening List as generated on 2026-07-31 (all lists merged; "
            "3,420 Entity List entries), compact JSON",
            pack_file="csl/screening-list-2026-07-31.json",
            folder="csl",
            csv=False,
            origin=CSL_ORIGIN,
            licence=CSL_LICENCE,
        ),
    )
}


def strip_excerpts(text: str) -> str:
    """Return a pack CSV without its verbatim-excerpt columns, otherwise unchanged."""
    rows = list(csv.reader(io.StringIO(text)))
    keep = [i for i, name in enumerate(rows[0]) if name not in EXCERPT_COLUMNS]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerows([row[i] for i in keep if i < len(row)] for row in rows)
    return out.getvalue()


def display(path: Path, raw_dir: Path) -> str:
    """Name a raw file as a reporter finds it: data/raw/<relative path>."""
    try:
        return f"data/raw/{Path(path).relative_to(raw_dir).as_posix()}"
    except ValueError:
        return str(path)


def check_shape(text: str, where: str) -> int:
    """Refuse an empty, header-only or ragged CSV, naming the row; return its data rows.

    pandas pads a short row with blanks, so a file cut off mid-row would read as a row of
    unknowns: a row with fewer fields than the header is an error here instead.
    """
    if not text.strip():
        msg = f"{where}: the file is empty"
        raise RawDataError(msg)
    reader = csv.reader(io.StringIO(text))
    try:
        rows = list(reader)
    except csv.Error as exc:
        # A lone CR in an unquoted cell lands here too: csv reads it as a line break.
        msg = f"{where}: line {reader.line_num}: malformed CSV ({exc})"
        raise RawDataError(msg) from exc
    header, body = rows[0], [row for row in rows[1:] if row]
    characters.refuse(characters.rows(header, body), where, RawDataError)
    if not text.endswith(("\n", "\r")):
        # Every export ends its last line; a file that stops mid-line may stop mid-field,
        # and a cut URL or name would read as whole.
        msg = (
            f"{where}: row {len(body)} (the last) does not end with a line break, so it may "
            "be cut off; check it against the source, then end the file with a line break"
        )
        raise RawDataError(msg)
    seen: dict[tuple[str, ...], int] = {}
    for number, row in enumerate(body, 1):
        first = seen.setdefault(tuple(row), number)
        if first != number:
            msg = f"{where}: row {number} repeats row {first} exactly; keep one"
            raise RawDataError(msg)
    if not body:
        msg = f"{where}: only a header, no data rows"
        raise RawDataError(msg)
    for number, row in enumerate(body, 1):
        if len(row) != len(header):
            msg = (
                f"{where}: row {number} has {len(row)} fields, the header has {len(header)} "
                "(a cut-off or badly quoted line?)"
            )
            raise RawDataError(msg)
    return len(body)


def read_csv_text(text: str, where: str, columns: tuple[str, ...] = ()) -> pd.DataFrame:
    """Read a raw CSV's text as strings, blanks as missing, checking shape and columns."""
    check_shape(text, where)
    try:
        frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, na_values=[""])
    except (pd.errors.ParserError, ValueError) as exc:
        # A cut inside a quoted field: pandas reads to the end of the file looking for its close.
        detail = " ".join(str(exc).split())
        msg = f"{where}: malformed CSV ({detail}); a cut-off or badly quoted field?"
        raise RawDataError(msg) from None
    missing = [column for column in columns if column not in frame.columns]
    if missing:
        msg = f"{where}: column {missing[0]!r} missing (found: {', '.join(frame.columns)})"
        raise RawDataError(msg)
    # Spreadsheet exports pad cells; the pack's facts never depend on edge whitespace.
    frame = frame.apply(lambda column: column.str.strip())
    check_addresses(frame, where)
    return frame


# A scheme at the start of a source cell's part ("Note: ..." with its space is words): only
# web addresses may be linked.
SCHEME = re.compile(r"^([a-z][a-z0-9+.-]*):(?!\s)", re.IGNORECASE)


def check_addresses(frame: pd.DataFrame, where: str) -> None:
    """Refuse an address that is not a web address (javascript:, data:, file: …) in a
    column of source addresses, naming its row and column; a citation in words is text."""
    for column in (c for c in frame.columns if "url" in c):
        for number, cell in enumerate(frame[column], 1):
            for part in str(cell).split(";") if isinstance(cell, str) else []:
                scheme = SCHEME.match(part.strip())
                if scheme and scheme.group(1).lower() not in {"http", "https"}:
                    msg = (
                        f"{where}: row {number}, column {column}: {part.strip()[:40]!r} is not "
                        "a web address (http or https)"
                    )
                    raise RawDataError(msg)


def decode(data: bytes, where: str, error: type[DeskError] = RawDataError) -> str:
    """Decode a source file as UTF-8 (with or without a byte-order mark), naming the byte
    that is not."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        msg = f"{where}: not UTF-8 text (byte {exc.start})"
        raise error(msg) from None


@dataclass(frozen=True)
class Snapshot:
    """The raw files a cleaning run reads: the manifest's current ones, or candidates in memory."""

    raw_dir: Path = field(default_factory=lambda: paths.RAW)
    candidates: Mapping[str, bytes] = field(default_factory=dict)
    # What is read from the files is kept for the snapshot's life: its files never change.
    memo: dict[str, object] = field(default_factory=dict, compare=False, repr=False)

    def once(self, name: str, make: Callable[[], T]) -> T:
        """Compute something from the snapshot once, however many tables are cleaned from it."""
        if name not in self.memo:
            self.memo[name] = make()
        return self.memo[name]

    def path(self, table: str) -> Path:
        """The current file of a table in data/raw."""
        return manifest.current(table, self.raw_dir)

    def where(self, table: str) -> str:
        """How an error names the table's file."""
        if table in self.candidates:
            return f"{RAW_TABLES[table].in_pack} (update candidate)"
        return display(self.path(table), self.raw_dir)

    def data(self, table: str) -> bytes:
        """The bytes of a table's file."""
        if table in self.candidates:
            return self.candidates[table]
        path = self.path(table)
        if not path.exists():
            msg = f"{display(path, self.raw_dir)}: file not found"
            raise RawDataError(msg)
        return path.read_bytes()

    def table(self, table: str) -> pd.DataFrame:
        """Read a CSV table as text, blanks as missing, after the shape checks."""
        where = self.where(table)
        return read_csv_text(decode(self.data(table), where), where, RAW_TABLES[table].columns)


def read_raw(name: str, raw_dir: Path = paths.RAW) -> pd.DataFrame:
    """Read a source table's current file (see Snapshot.table)."""
    return Snapshot(raw_dir).table(name)


def used_by(tables: dict[str, pd.DataFrame]) -> set[str]:
    """The source tables behind the processed tables that have rows (an as-of view may have
    none from a source published later)."""
    from entitylist.cleaning import RAW_SOURCES

    return {raw for name, table in tables.items() if len(table) for raw in RAW_SOURCES[name]}


def provenance(raw_dir: Path | None = None, tables: set[str] | None = None) -> pd.DataFrame:
    """The current raw files for the data page: file, what it is, origin, retrieval, hash.

    `tables` limits it to the source tables a page uses (an as-of page leaves out a source it
    cannot show yet).
    """
    raw_dir = raw_dir or paths.RAW
    entries = manifest.read_manifest(manifest.manifest_path(raw_dir))
    chosen = [
        entries[path]
        for table, path in sorted(manifest.current_files(raw_dir).items())
        if tables is None or table in tables
    ]
    return pd.DataFrame(
        {
            "file": [e["path"] for e in chosen],
            "description": [e["description"] for e in chosen],
            "origin": [e["origin"] for e in chosen],
            "retrieved": pd.to_datetime([e["retrieved"] for e in chosen]),
            "sha256": [e["sha256"] for e in chosen],
        }
    )


# ---------------------------------------------------------------------------------------
# Taking in a changed pack


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


def compare_rows(table: RawTable, old: bytes | None, new: bytes) -> TableChange:
    """Compare two versions of a CSV table row by row, by its key."""
    where = f"{table.in_pack} (update candidate)"
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
        a, b = before.loc[key, common], after.loc[key, common]
        differs = {
            c: (a[c], b[c])
            for c in common
            if not (pd.isna(a[c]) and pd.isna(b[c])) and a[c] != b[c]
        }
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
# What an entry is compared by, besides its key (csl.KEY_RULE).
EDITION_COLUMNS = ("aliases", "countries", "license_requirement", "license_policy", "fr_text")


def edition(data: bytes, where: str) -> pd.DataFrame:
    """A screening list's Entity List entries, indexed by entry key."""
    from entitylist import csl

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
        a, b = before.loc[key], after.loc[key]
        differs = {
            c: (a[c], b[c])
            for c in EDITION_COLUMNS
            if not (pd.isna(a[c]) and pd.isna(b[c])) and a[c] != b[c]
        }
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
    return (
        f"{change.table}: {change.before:,} -> {change.after:,} Entity List entries "
        f"({share:+.1%}), more than the {MAX_COUNT_CHANGE:.0%} an edition may change by"
    )


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
    from entitylist import changes, cleaning

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
            print(f"data/raw: {report_line}", file=sys.stderr)
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
    from entitylist import cleaning  # cleaning imports this module

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
    from entitylist.cleaning import RAW_SOURCES

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
