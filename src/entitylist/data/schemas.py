"""Schemas of the processed tables, enforced with pandera, and the data dictionary built from them.

A schema failure stops the run before anything is written; the message names the table,
the raw file, the raw row and the column.
"""

import datetime as dt
import json
from pathlib import Path

import pandas as pd
import pandera.pandas as pa
from pandera.errors import SchemaErrors

from entitylist import atomic, config
from entitylist.data import asof
from entitylist.errors import ConfigError, SchemaError

EARLIEST = pd.Timestamp(asof.FIRST_DATE)
# A column that names one of the companies of notebooks/companies.yaml. The slugs are read
# when a table is validated, never at import: a warm kernel imported this module before the
# reporter's last edit of that file.
SLUGS = "companies.yaml slugs"


def company_slugs() -> list[str]:
    """The slugs of notebooks/companies.yaml as it is now (validated there)."""
    return [company.slug for company in config.companies()]


def slug(nullable: bool = False) -> pa.Column:
    """A company slug column; its allowed values are filled in at use (current())."""
    return text(nullable=nullable, metadata={SLUGS: True})


def current(name: str) -> pa.DataFrameSchema:
    """A table's schema with the configuration as it is now (the company slugs)."""
    schema = SCHEMAS[name]
    named = [c for c, column in schema.columns.items() if (column.metadata or {}).get(SLUGS)]
    if not named:
        return schema
    allowed = [pa.Check.isin(company_slugs())]
    return schema.update_columns({column: {"checks": allowed} for column in named})


def in_window() -> pa.Check:
    """Dates from 2016 (the story's start) to today."""
    latest = pd.Timestamp(dt.date.today())
    return pa.Check.in_range(EARLIEST, latest, error=f"date within 2016-01-01..{latest.date()}")


# A column's words (what it holds) are the data dictionary's, in notebooks/dictionary.yaml,
# read when the dictionary is written (described()), never here at import.


def text(nullable: bool = False, **kwargs) -> pa.Column:
    """A text column that may not be blank unless nullable."""
    checks = kwargs.pop("checks", [])
    return pa.Column("str", nullable=nullable, checks=checks, coerce=True, **kwargs)


def category(values: list[str], nullable: bool = False) -> pa.Column:
    """A text column limited to a fixed list of values."""
    return text(nullable=nullable, checks=[pa.Check.isin(values)])


def date(nullable: bool = False) -> pa.Column:
    """A date column within the story's window."""
    return pa.Column("datetime64[us]", nullable=nullable, checks=[in_window()], coerce=True)


def count() -> pa.Column:
    """A nullable, non-negative whole-number count; blank means no source stated it."""
    return pa.Column("Int64", nullable=True, checks=[pa.Check.ge(0)], coerce=True)


def whole(minimum: int) -> pa.Column:
    """A whole number, never blank, at least `minimum`."""
    return pa.Column("int64", checks=[pa.Check.ge(minimum)], coerce=True)


def flag() -> pa.Column:
    """A true-or-false column, never blank."""
    return pa.Column("bool", coerce=True)


def citation() -> pa.Column:
    """A Federal Register citation as '84 FR 54002', blank where there is none."""
    return text(nullable=True, checks=[pa.Check.str_matches(r"^\d+ FR \d+$")])


def url(nullable: bool = False) -> pa.Column:
    """An http(s) URL."""
    return text(nullable=nullable, checks=[pa.Check.str_matches(r"^https?://\S+$")])


RAW_ROW = whole(minimum=1)
RAW_FILE = text()
SOURCE = url()


def known(nullable: bool = False) -> pa.Column:
    """The day a row became public, by the rules the methods section states."""
    return date(nullable=nullable)


# The tables' cross-field checks, named so that tests (and mutation testing) reach them.


def unknown_exactly_when_blank(df: pd.DataFrame) -> pd.Series:
    """rules: the China count is 'unknown' exactly where no count is given."""
    return (df["china_count_status"] == "unknown") == df["china_entries"].isna()


def shares_within_0_100(df: pd.DataFrame) -> pd.Series:
    """financials: every share lies between 0 and 100."""
    return (df["metric"] != "overseas_share") | df["value"].between(0, 100)


def percent_exactly_for_shares(df: pd.DataFrame) -> pd.Series:
    """financials: shares, and only shares, are in percent."""
    return (df["unit"] == "percent") == (df["metric"] == "overseas_share")


def known_after_period_end(df: pd.DataFrame) -> pd.Series:
    """financials: no figure is known before its period ends (undated rows pass)."""
    return ~(df["known_since"] < df["period_end"]).fillna(False)


def china_exactly_when_cn(df: pd.DataFrame) -> pd.Series:
    """entity_list: china is set exactly when the countries include CN."""
    return df["china"] == df["countries"].str.contains(r"\bCN\b", na=False)


def hong_kong_exactly_when_hk(df: pd.DataFrame) -> pd.Series:
    """entity_list: hong_kong is set exactly when the countries include HK."""
    return df["hong_kong"] == df["countries"].str.contains(r"\bHK\b", na=False)


def none_exactly_when_uncited(df: pd.DataFrame) -> pd.Series:
    """entity_list: citation_status is 'none' exactly when there is no citation."""
    return (df["citation_status"] == "none") == (df["citations"] == 0)


def year_is_volume_plus_1935(df: pd.DataFrame) -> pd.Series:
    """entity_list: the first year is the first volume + 1935 (blank passes)."""
    return (df["first_year"] - df["first_volume"]).fillna(1935) == 1935


# rules: a Federal Register rule adding, removing or revising entries under China.
RULES = pa.DataFrameSchema(
    {
        "rule_id": text(),
        "document_number": text(nullable=True),
        "citation": text(nullable=True),
        "date": date(nullable=True),
        "date_basis": category(
            ["effective", "publication (effective date not stated)"],
            nullable=True,
        ),
        "publication_date": date(nullable=True),
        "effective_date": date(nullable=True),
        "action": category(["add", "remove", "revise"]),
        "title": text(nullable=True),
        "china_entries": count(),
        "china_count_status": category(["stated", "tallied", "unknown"]),
        "hong_kong_entries": count(),
        "total_entries": count(),
        "notable_entities": text(nullable=True),
        "stated_reason": text(nullable=True),
        "source_url": SOURCE,
        "source_urls": text(),
        "known_since": known(nullable=True),
        "raw_file": RAW_FILE,
        "raw_row": RAW_ROW,
    },
    unique=["rule_id"],
    strict=True,
    name="rules",
    checks=[
        pa.Check(
            unknown_exactly_when_blank,
            error="china_count_status is 'unknown' exactly when china_entries is blank",
        ),
    ],
)


# entries_2019: an entry of the Oct. 9, 2019 rule (84 FR 54002).
ENTRIES_2019 = pa.DataFrameSchema(
    {
        "entry_no": pa.Column("Int64", checks=[pa.Check.in_range(1, 28)], coerce=True),
        "name": text(),
        "name_2019": text(nullable=True),
        "kind": category(["government", "institute", "company"]),
        "kind_detail": category(
            [
                "regional public security bureau",
                "subordinate public security bureau",
                "institute",
                "company",
            ],
        ),
        "company": slug(nullable=True),
        "license_requirement": text(),
        "license_review_policy": text(),
        "citation": text(),
        "publication_date": date(),
        "name_source_url": url(),
        "name_known_since": known(nullable=True),
        "known_since": known(),
        "raw_file": RAW_FILE,
        "raw_row": RAW_ROW,
    },
    unique=["entry_no"],
    strict=True,
    name="entries_2019",
)


# events: a dated event of the story, with how its date is known.
EVENTS = pa.DataFrameSchema(
    {
        "event_id": text(),
        "date": date(),
        "event": text(),
        "actor": text(),
        "category": category(
            [
                "us_action",
                "us_reaction",
                "china_response",
                "company",
                "academia",
                "trade_talks",
                "market",
            ],
        ),
        "date_kind": category(["stated", "report date", "derived"]),
        "date_basis": text(nullable=True),
        "companies": text(nullable=True),
        "source_url": SOURCE,
        "source_urls": text(),
        "known_since": known(),
        "raw_file": RAW_FILE,
        "raw_row": RAW_ROW,
    },
    unique=["event_id"],
    strict=True,
    name="events",
)


# financials: a company's revenue or overseas share for a period, by definition code.
FINANCIALS = pa.DataFrameSchema(
    {
        "company": slug(),
        "period": text(),
        "period_type": category(["FY", "H1", "unspecified"]),
        "year": pa.Column(
            "Int64", nullable=True, coerce=True, checks=[pa.Check.in_range(2010, 2100)]
        ),
        "period_start": pa.Column("datetime64[us]", nullable=True, coerce=True),
        "period_end": pa.Column("datetime64[us]", nullable=True, coerce=True),
        "metric": category(["total_revenue", "overseas_revenue", "overseas_share"]),
        "value": pa.Column("Float64", coerce=True, checks=[pa.Check.ge(0)]),
        "unit": category(["CNY million", "percent"]),
        "definition": category(
            [
                "regional",
                "main_business",
                "outside_mainland",
                "not_stated",
                "as_reported",
                "hk_prospectus",
                "star_prospectus",
            ],
        ),
        "qualifier": category(
            ["nearly", "almost", "about", "around"],
            nullable=True,
        ),
        "confidence": category(
            ["stated", "computed", "approximate", "inferred"],
        ),
        "source": text(),
        "source_url": url(nullable=True),
        "known_since": known(True),
        "known_basis": category(
            [
                "prospectus",
                "source date",
                "annual results",
                "half-year results",
                "undated",
            ],
        ),
        "raw_file": RAW_FILE,
        "raw_row": RAW_ROW,
    },
    unique=["company", "period", "metric", "definition", "source"],
    strict=True,
    name="financials",
    checks=[
        pa.Check(
            shares_within_0_100,
            error="shares lie between 0 and 100",
        ),
        pa.Check(
            percent_exactly_for_shares,
            error="shares are in percent, amounts in CNY million",
        ),
        pa.Check(
            known_after_period_end,
            error="a figure cannot be known before its period ends",
        ),
    ],
)


# withheld: a row or value the desk does not publish, and why.
WITHHELD = pa.DataFrameSchema(
    {
        "table": text(),
        "what": text(),
        "reason": text(),
        "known_since": known(True),
        "raw_file": RAW_FILE,
        "raw_row": RAW_ROW,
    },
    # Keyed by what is withheld, never by where the desk keeps it: a row that moves to a
    # new snapshot folder is the same row, not a loss.
    unique=["table", "what", "reason"],
    strict=True,
    name="withheld",
)


# suppliers: a supplier named for a company, with how its country is known.
SUPPLIERS = pa.DataFrameSchema(
    {
        "company": slug(),
        "supplier": text(),
        "supplier_key": text(),
        "named": flag(),
        "supplier_country": text(nullable=True),
        "country_basis": text(
            checks=[
                pa.Check.str_matches(
                    r"^(stated in source|desk: not stated in this source|"
                    r"as described by source|not stated in source)(; disputed)?$"
                )
            ],
        ),
        "component": text(nullable=True),
        "relation": category(
            ["supplier", "benchmark"],
        ),
        "reported_by": date(nullable=True),
        "source_url": SOURCE,
        "known_since": known(nullable=True),
        "raw_file": RAW_FILE,
        "raw_row": RAW_ROW,
    },
    unique=["company", "supplier", "source_url"],
    strict=True,
    name="suppliers",
)


# partnerships: a university or institution tie, and what became of it.
PARTNERSHIPS = pa.DataFrameSchema(
    {
        "company": slug(),
        "partner": text(),
        "institution": text(nullable=True),
        "institution_name": text(nullable=True),
        "partner_country": text(),
        "started": text(nullable=True),
        "status_change": text(),
        "outcome": category(
            [
                "ended",
                "under review",
                "scrutinised",
                "planned",
                "existing",
                "continuing (no end reported)",
                "announced",
                "gift",
                "reported",
                "other",
            ],
        ),
        "relationship_type": text(),
        "is_partnership": flag(),
        "reported_by": date(nullable=True),
        "source_url": SOURCE,
        "known_since": known(nullable=True),
        "raw_file": RAW_FILE,
        "raw_row": RAW_ROW,
    },
    unique=["company", "partner", "status_change"],
    strict=True,
    name="partnerships",
)


# us_share: a company's share of a US market, of a stated base.
US_SHARE = pa.DataFrameSchema(
    {
        "company": slug(),
        "period": text(),
        "year": whole(minimum=2010),
        "market": text(),
        "share_pct": pa.Column("float64", checks=[pa.Check.in_range(0, 100)], coerce=True),
        "share_of": text(),
        "source_url": SOURCE,
        "known_since": known(),
        "raw_file": RAW_FILE,
        "raw_row": RAW_ROW,
    },
    unique=["company", "period", "market"],
    strict=True,
    name="us_share",
)


# companies: the eight companies of notebooks/companies.yaml.
COMPANIES = pa.DataFrameSchema(
    {
        "company": slug(),
        "name": text(),
        "name_zh": text(nullable=True),
        "entry_no": pa.Column("Int64", coerce=True, checks=[pa.Check.in_range(1, 28)]),
        "listed_as": text(),
        "match": text(),
    },
    unique=["company"],
    strict=True,
    name="companies",
)


# entity_list: an Entity List entry of the screening list, with its China address.
ENTITY_LIST = pa.DataFrameSchema(
    {
        "entry_id": whole(
            minimum=1,
        ),
        "entry_key": text(),
        "name": text(),
        "aliases": text(nullable=True),
        "countries": text(
            nullable=True,
            checks=[pa.Check.str_matches(r"^[A-Z][A-Z ()]*[A-Z)](?:; [A-Z][A-Z ()]*[A-Z)])*$")],
        ),
        "china": flag(),
        "hong_kong": flag(),
        "license_requirement": text(nullable=True),
        "license_policy": text(nullable=True),
        "fr_text": text(nullable=True),
        "first_citation": citation(),
        # count(): a nullable whole number, here read from the citation (blank: unread).
        "first_volume": count(),
        "first_page": count(),
        "first_year": count(),
        "citation_status": category(
            ["parsed", "partial", "unparsed", "none"],
        ),
        "citations": whole(minimum=0),
        "repaired": whole(
            minimum=0,
        ),
        "raw_row": whole(
            minimum=1,
        ),
        "known_since": known(),
        "raw_file": RAW_FILE,
    },
    unique=["entry_key"],
    strict=True,
    name="entity_list",
    checks=[
        pa.Check(
            china_exactly_when_cn,
            error="china is set exactly when countries include CN",
        ),
        pa.Check(
            hong_kong_exactly_when_hk,
            error="hong_kong is set exactly when countries include HK",
        ),
        pa.Check(
            none_exactly_when_uncited,
            error="citation_status is 'none' exactly when there is no citation",
        ),
        pa.Check(
            year_is_volume_plus_1935,
            error="first_year is first_volume + 1935",
        ),
    ],
)


# entity_citations: one Federal Register citation of an Entity List entry.
ENTITY_CITATIONS = pa.DataFrameSchema(
    {
        "entry_id": whole(minimum=1),
        "entry_key": text(),
        "position": whole(minimum=1),
        "citation": citation(),
        "volume": count(),
        "page": count(),
        "year": count(),
        "note": text(nullable=True),
        "piece": text(),
        "status": category(
            ["parsed", "partial", "unparsed"],
        ),
        "repeat": flag(),
        "raw_row": whole(minimum=1),
        "known_since": known(),
        "raw_file": RAW_FILE,
    },
    unique=["entry_key", "position"],
    strict=True,
    name="entity_citations",
)

# Every processed table's schema, by table, in the data dictionary's order.
SCHEMAS: dict[str, pa.DataFrameSchema] = {
    "rules": RULES,
    "entries_2019": ENTRIES_2019,
    "events": EVENTS,
    "financials": FINANCIALS,
    "withheld": WITHHELD,
    "suppliers": SUPPLIERS,
    "partnerships": PARTNERSHIPS,
    "us_share": US_SHARE,
    "companies": COMPANIES,
    "entity_list": ENTITY_LIST,
    "entity_citations": ENTITY_CITATIONS,
}


def plain(value: object) -> str:
    """Show a failing value as a reader would write it: dates as ISO, numbers bare."""
    if isinstance(value, pd.Timestamp):
        return value.strftime("%Y-%m-%d")
    if hasattr(value, "item"):
        value = value.item()
    return repr(value)


def raw_rows(frame: pd.DataFrame, index: object) -> str:
    """Name the raw row behind a frame index, when the table carries raw_row."""
    if "raw_row" not in frame or index is None or pd.isna(index) or index not in frame.index:
        return ""
    return f"row {int(frame.loc[index, 'raw_row'])}, "


def describe_failure(name: str, frame: pd.DataFrame, source_file: str, exc: SchemaErrors) -> str:
    """Turn pandera's failure table into one line naming raw file, row, column and value."""
    cases = exc.failure_cases
    first = cases.iloc[0]
    prefix = f"{source_file} -> {name}: "
    key = SCHEMAS[name].unique or []
    if "uniqueness" in str(first["check"]) and key:
        clash = frame[frame.duplicated(key, keep=False)]
        rows = ", ".join(str(r) for r in clash["raw_row"])
        values = ", ".join(f"{k}={plain(clash.iloc[0][k])}" for k in key)
        return f"{prefix}rows {rows} share the key ({values}); each key must be unique"
    where = raw_rows(frame, first["index"])
    rows = cases["index"].dropna().nunique()
    more = f" (+{rows - 1} more rows)" if rows > 1 else ""
    if first["schema_context"] == "DataFrameSchema":
        return f"{prefix}{where}fails the table check: {first['check']}{more}"
    return (
        f"{prefix}{where}column {first['column']!r}: {plain(first['failure_case'])} "
        f"fails {first['check']}{more}"
    )


def validate(name: str, frame: pd.DataFrame, source_file: str) -> pd.DataFrame:
    """Validate and coerce a processed table, raising SchemaError with a precise message."""
    try:
        return current(name).validate(frame, lazy=True)
    except SchemaErrors as exc:
        raise SchemaError(describe_failure(name, frame, source_file, exc)) from exc


FIELD_TYPES = {"Int64": "integer", "int64": "integer", "Float64": "number", "bool": "boolean"}


def described(name: str, words: config.Dictionary) -> dict[str, str]:
    """A table's column words from dictionary.yaml: every column of its schema, and no other;
    a missing or stray entry is a ConfigError naming its place in the file."""
    own = words.columns(name)
    where = f"{config.DICTIONARY.name}: tables.{name}"
    columns = SCHEMAS[name].columns
    missing = [column for column in columns if column not in own]
    if missing:
        msg = f"{where}: no words for {missing[0]!r}"
        raise ConfigError(msg)
    stray = [column for column in words.tables[name] if column not in columns]
    if stray:
        msg = f"{where}: {stray[0]!r} is not a column of {name}"
        raise ConfigError(msg)
    return {column: own[column] for column in columns}


def field(name: str, column: pa.Column, description: str) -> dict:
    """Describe one column as a Frictionless Table Schema field."""
    dtype = str(column.dtype)
    kind = "date" if dtype.startswith("datetime") else FIELD_TYPES.get(dtype, "string")
    described = {"name": name, "type": kind, "description": description}
    constraints = {"required": not column.nullable}
    for check in column.checks:
        stats = check.statistics or {}
        if "allowed_values" in stats:
            constraints["enum"] = list(stats["allowed_values"])
    described["constraints"] = constraints
    return described


def datapackage(tables: dict[str, pd.DataFrame]) -> dict:
    """Build a Frictionless Data Package descriptor for the processed tables."""
    words = config.dictionary()
    resources = []
    for name in tables:
        schema = current(name)
        columns = described(name, words)
        resources.append(
            {
                "name": name,
                "path": f"{name}.csv",
                "format": "csv",
                "encoding": "utf-8",
                "rows": len(tables[name]),
                "schema": {
                    "fields": [field(c, schema.columns[c], columns[c]) for c in schema.columns],
                    "primaryKey": list(schema.unique or []),
                    "missingValues": [""],
                },
            }
        )
    return {
        "name": "entity-list-2019-processed",
        "title": words.title,
        "licenses": [{"name": "CC-BY-4.0"}],
        "resources": resources,
    }


def sentences(description: str, allowed: list | None, one_of: str) -> str:
    """A column's description, then its codes as a sentence of their own (the description
    ended with a full stop first)."""
    if not allowed:
        return description
    stop = "" if description.endswith((".", "?", "!")) else "."
    return f"{description}{stop} {one_of.format(values=', '.join(map(str, allowed)))}"


def dictionary_markdown(descriptor: dict) -> str:
    """Render the data package as Markdown tables, one per processed file."""
    words = config.dictionary()
    header, cells = words.header, words.cells
    lines = [f"# {words.heading}", "", words.note, ""]
    for resource in descriptor["resources"]:
        key = ", ".join(resource["schema"]["primaryKey"])
        line = words.table_line.format(rows=resource["rows"], key=key)
        lines += [f"## `{resource['path']}`", "", line, ""]
        heads = [header.column, header.type, header.required, header.description]
        lines += ["| " + " | ".join(heads) + " |", "|---|---|---|---|"]
        for spec in resource["schema"]["fields"]:
            allowed = spec["constraints"].get("enum")
            required = cells.required if spec["constraints"]["required"] else cells.optional
            # A description may hold a '|' (the entry key's rule): escaped, it stays in its cell.
            shown = sentences(spec["description"], allowed, words.one_of).replace("|", "\\|")
            lines.append(
                "| " + " | ".join([f"`{spec['name']}`", spec["type"], required, shown]) + " |"
            )
        lines.append("")
    return "\n".join(lines)


def write_datapackage(tables: dict[str, pd.DataFrame], out: Path) -> Path:
    """Write datapackage.json and its Markdown rendering next to the processed tables."""
    descriptor = datapackage(tables)
    atomic.write_text(out / "README.md", dictionary_markdown(descriptor))
    path = out / "datapackage.json"
    atomic.write_text(path, json.dumps(descriptor, indent=2, ensure_ascii=False) + "\n")
    return path


def summary(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Return one row per processed table: file, rows, key, what a row is."""
    return pd.DataFrame(
        {
            "file": [f"{name}.csv" for name in tables],
            "rows": [len(table) for table in tables.values()],
            "key": [", ".join(SCHEMAS[name].unique or []) for name in tables],
        }
    )
