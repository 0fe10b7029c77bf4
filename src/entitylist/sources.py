"""The raw snapshot: importing the source pack into data/raw and reading raw tables."""

import csv
import io
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from entitylist import atomic, paths
from entitylist.errors import RawDataError
from entitylist.manifest import add_to_manifest, verify_manifest  # noqa: F401  (re-exported)

PACK_ORIGIN = (
    "Desk source pack (shared/data), hand-compiled research tables; "
    "every row names its own source_url or name_source_url"
)
PACK_LICENCE = (
    "Facts, figures, dates and URLs from the public sources each row cites; "
    "the sources' verbatim excerpts (the pack's evidence column) are not kept"
)
# Columns dropped on import: other publishers' wording, kept only in the pack.
EXCERPT_COLUMNS = ("evidence",)


@dataclass(frozen=True)
class RawTable:
    """A raw table of the source pack and the columns the cleaning step relies on."""

    name: str
    description: str
    columns: tuple[str, ...]
    from_pack: bool = True


RAW_TABLES = {
    table.name: table
    for table in (
        RawTable(
            "fr_rules_china.csv",
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
        ),
        RawTable(
            "entities_84FR54002.csv",
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
            ),
        ),
        RawTable(
            "events.csv",
            "Dated events of the story: US actions, China's response, companies, "
            "academia, trade talks, markets",
            ("date", "event", "actor", "category", "source_url", "date_basis"),
        ),
        RawTable(
            "revenue_by_region.csv",
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
        ),
        RawTable(
            "us_suppliers.csv",
            "Suppliers named for a listed company, with the component where stated",
            ("company", "supplier", "supplier_country", "component", "source_url", "notes"),
        ),
        RawTable(
            "partnerships.csv",
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
        ),
        RawTable(
            "companies.csv",
            "The eight companies of the 9 Oct 2019 rule: short English name, Chinese name, "
            "entry number, and the pattern that finds each in event text",
            ("slug", "name", "name_zh", "entry_no", "match"),
            from_pack=False,
        ),
    )
}


def strip_excerpts(text: str) -> str:
    """Return a pack CSV without its verbatim-excerpt columns, otherwise unchanged."""
    rows = list(csv.reader(io.StringIO(text)))
    keep = [i for i, name in enumerate(rows[0]) if name not in EXCERPT_COLUMNS]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerows([row[i] for i in keep] for row in rows)
    return out.getvalue()


def import_pack(
    pack_dir: Path, raw_dir: Path = paths.RAW, retrieved: str | None = None
) -> list[Path]:
    """Copy the source pack's tables into data/raw without excerpts and list them."""
    written = []
    for table in (t for t in RAW_TABLES.values() if t.from_pack):
        source = Path(pack_dir) / table.name
        if not source.exists():
            msg = f"{source}: table missing from the source pack"
            raise RawDataError(msg)
        target = raw_dir / table.name
        text = strip_excerpts(source.read_text(encoding="utf-8"))
        if target.exists() and target.read_text(encoding="utf-8") != text:
            msg = f"{target}: exists with other contents; raw files are never rewritten"
            raise RawDataError(msg)
        atomic.write_text(target, text)
        add_to_manifest(
            target,
            description=table.description,
            origin=PACK_ORIGIN,
            licence=PACK_LICENCE,
            retrieved=retrieved,
            raw_dir=raw_dir,
        )
        written.append(target)
    return written


def read_raw(name: str, raw_dir: Path = paths.RAW) -> pd.DataFrame:
    """Read a raw table as text, blanks as missing, checking that its columns are there."""
    path = raw_dir / name
    if not path.exists():
        msg = f"data/raw/{name}: file not found"
        raise RawDataError(msg)
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])
    except pd.errors.ParserError as exc:
        msg = f"data/raw/{name}: malformed CSV ({exc})"
        raise RawDataError(msg) from exc
    except UnicodeDecodeError as exc:
        msg = f"data/raw/{name}: not UTF-8 text (byte {exc.start})"
        raise RawDataError(msg) from exc
    expected = RAW_TABLES[name].columns if name in RAW_TABLES else ()
    missing = [column for column in expected if column not in frame.columns]
    if missing:
        msg = f"data/raw/{name}: column {missing[0]!r} missing (found: {', '.join(frame.columns)})"
        raise RawDataError(msg)
    # Spreadsheet exports pad cells; the pack's facts never depend on edge whitespace.
    return frame.apply(lambda column: column.str.strip())


def manifest_table(raw_dir: Path = paths.RAW) -> pd.DataFrame:
    """Return the manifest as a table for the data page: file, what, origin, date, licence."""
    from entitylist.manifest import read_manifest

    entries = read_manifest(raw_dir / paths.MANIFEST.name).values()
    return pd.DataFrame(
        {
            "file": [e["path"] for e in entries],
            "what it is": [e["description"] for e in entries],
            "origin": [e["origin"] for e in entries],
            "retrieved": [e["retrieved"] for e in entries],
            "sha256": [e["sha256"][:12] + "…" for e in entries],
        }
    )
