"""The raw snapshot: the source tables and reading their current files, with shape checks.

Every source table has a current file in data/raw, named by the manifest. Taking in a changed
source pack (`make update`) is update.py's job.
"""

import csv
import io
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

import pandas as pd

from entitylist import characters, config, paths
from entitylist.data import manifest
from entitylist.data.manifest import add_to_manifest  # noqa: F401  (re-exported)
from entitylist.errors import DeskError, RawDataError

T = TypeVar("T")
# Columns dropped on import: other publishers' wording, kept only in the pack.
EXCERPT_COLUMNS = ("evidence",)


@dataclass(frozen=True)
class RawTable:
    """A source table: where it sits in the pack and in data/raw, and what identifies a row."""

    name: str
    columns: tuple[str, ...] = ()
    key: tuple[str, ...] = ()
    pack_file: str = ""
    folder: str = "pack"
    csv: bool = True
    extra: dict = field(default_factory=dict)

    @property
    def in_pack(self) -> str:
        """The file's path inside the source pack."""
        return self.pack_file or self.name

    # What a file of the table is, where it came from and its licence: the words the manifest
    # records when it is taken in (notebooks/dictionary.yaml, read then, never at import).

    @property
    def description(self) -> str:
        """What a file of this table is."""
        return config.dictionary().sources.table(self.name)

    @property
    def origin(self) -> str:
        """Where the files of this table's folder come from."""
        return config.dictionary().sources.origin(self.folder).origin

    @property
    def licence(self) -> str:
        """The licence of the files of this table's folder."""
        return config.dictionary().sources.origin(self.folder).licence


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
            ("date", "event", "actor", "category", "source_url", "date_basis"),
            # One actor can speak twice a day, reported by two sources (a briefing via
            # Xinhua and via AFP): the source tells the rows apart.
            ("date", "actor", "source_url"),
        ),
        RawTable(
            REVENUE,
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
            ("company", "supplier", "supplier_country", "component", "source_url", "notes"),
            ("company", "supplier", "source_url"),
        ),
        RawTable(
            PARTNERSHIPS,
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
            ("company", "period", "market", "share_pct", "share_of", "source_url", "notes"),
            ("company", "period", "market"),
        ),
        RawTable(
            SCREENING_LIST,
            pack_file="csl/screening-list-2026-07-31.json",
            folder="csl",
            csv=False,
        ),
    )
}

# The source tables each processed table is cleaned from.
RAW_SOURCES = {
    "rules": [RULES],
    "entries_2019": [ENTRIES],
    "events": [EVENTS],
    "financials": [REVENUE],
    "withheld": [REVENUE],
    "suppliers": [SUPPLIERS],
    "partnerships": [PARTNERSHIPS],
    "us_share": [US_SHARE],
    "companies": [ENTRIES],
    "entity_list": [SCREENING_LIST],
    "entity_citations": [SCREENING_LIST],
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
