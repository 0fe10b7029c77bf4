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
from entitylist.data.csl import KEY_RULE
from entitylist.errors import SchemaError

EARLIEST = pd.Timestamp(asof.FIRST_DATE)
# A column that names one of the companies of notebooks/companies.yaml. The slugs are read
# when a table is validated, never at import: a warm kernel imported this module before the
# reporter's last edit of that file.
SLUGS = "companies.yaml slugs"


def company_slugs() -> list[str]:
    """The slugs of notebooks/companies.yaml as it is now (validated there)."""
    return [company.slug for company in config.companies()]


def slug(description: str, nullable: bool = False) -> pa.Column:
    """A company slug column; its allowed values are filled in at use (current())."""
    return text(description, nullable=nullable, metadata={SLUGS: True})


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


def text(description: str, nullable: bool = False, **kwargs) -> pa.Column:
    """A text column that may not be blank unless nullable."""
    checks = kwargs.pop("checks", [])
    return pa.Column(
        "str", nullable=nullable, checks=checks, description=description, coerce=True, **kwargs
    )


def category(description: str, values: list[str], nullable: bool = False) -> pa.Column:
    """A text column limited to a fixed list of values."""
    return text(description, nullable=nullable, checks=[pa.Check.isin(values)])


def date(description: str, nullable: bool = False) -> pa.Column:
    """A date column within the story's window."""
    return pa.Column(
        "datetime64[us]",
        nullable=nullable,
        checks=[in_window()],
        description=description,
        coerce=True,
    )


def count(description: str) -> pa.Column:
    """A nullable, non-negative whole-number count; blank means no source stated it."""
    return pa.Column(
        "Int64", nullable=True, checks=[pa.Check.ge(0)], description=description, coerce=True
    )


def whole(description: str, minimum: int) -> pa.Column:
    """A whole number, never blank, at least `minimum`."""
    return pa.Column("int64", checks=[pa.Check.ge(minimum)], description=description, coerce=True)


def flag(description: str) -> pa.Column:
    """A true-or-false column, never blank."""
    return pa.Column("bool", description=description, coerce=True)


def citation(description: str) -> pa.Column:
    """A Federal Register citation as '84 FR 54002', blank where there is none."""
    return text(description, nullable=True, checks=[pa.Check.str_matches(r"^\d+ FR \d+$")])


def url(description: str, nullable: bool = False) -> pa.Column:
    """An http(s) URL."""
    return text(description, nullable=nullable, checks=[pa.Check.str_matches(r"^https?://\S+$")])


RAW_ROW = whole(
    "1-based data row in the raw file this row came from (file line = raw_row + 1)", minimum=1
)
RAW_FILE = text("The raw file this row came from, relative to data/raw")
SOURCE = url("The source that states this row's facts")


def known(description: str = "", nullable: bool = False) -> pa.Column:
    """The day a row became public, by the rules the methods section states."""
    return date(
        "The day this row became public (cleaning.KNOWN_SINCE_RULES)" + description,
        nullable=nullable,
    )


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
        "rule_id": text("Document number, else the citation, else 'dated' + date"),
        "document_number": text("Federal Register document number", nullable=True),
        "citation": text("Federal Register citation, e.g. 84 FR 54002", nullable=True),
        "date": date(
            "The day the rule took effect, or its publication date where no effective date "
            "is stated",
            nullable=True,
        ),
        "date_basis": category(
            "Which date 'date' is",
            ["effective", "publication (effective date not stated)"],
            nullable=True,
        ),
        "publication_date": date("Federal Register publication date", nullable=True),
        "effective_date": date("Effective date", nullable=True),
        "action": category("What the rule does to entries", ["add", "remove", "revise"]),
        "title": text("Rule title", nullable=True),
        "china_entries": count("Entries added under China; blank = no source stated it"),
        "china_count_status": category(
            "How the China count is known", ["stated", "tallied", "unknown"]
        ),
        "hong_kong_entries": count("Entries added under Hong Kong; blank = not stated"),
        "total_entries": count("Entries added under all destinations; blank = not stated"),
        "notable_entities": text("Entities the sources name", nullable=True),
        "stated_reason": text("Reason the sources give", nullable=True),
        "source_url": SOURCE,
        "source_urls": text("Every source of the row, '; '-separated"),
        "known_since": known("; blank for a rule the sources do not date", nullable=True),
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
        "entry_no": pa.Column(
            "Int64",
            checks=[pa.Check.in_range(1, 28)],
            coerce=True,
            description="Entry number in the desk's list of the rule's entries, 1 to 28",
        ),
        "name": text("The entry's name on the official list, as spelled there in 2026"),
        "name_2019": text(
            "The name as 2019 reports of the rule gave it; blank where the only source "
            "of the name is the 2026 list",
            nullable=True,
        ),
        "kind": category("Kind of entry", ["government", "institute", "company"]),
        "kind_detail": category(
            "Finer kind",
            [
                "regional public security bureau",
                "subordinate public security bureau",
                "institute",
                "company",
            ],
        ),
        "company": slug("Company slug for the eight companies", nullable=True),
        "license_requirement": text("Licence requirement"),
        "license_review_policy": text("Licence review policy"),
        "citation": text("Federal Register citation of the rule"),
        "publication_date": date("Publication date of the rule"),
        "name_source_url": url("Where the name comes from"),
        "name_known_since": known(
            " (for the name: 2019 reports, or the 2026 list; blank in an as-of view before it)",
            nullable=True,
        ),
        "known_since": known(" (for the entry: the rule's publication)"),
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
        "event_id": text("Date plus sequence within the day"),
        "date": date("Date of the event"),
        "event": text("What happened (the desk's summary)"),
        "actor": text("Who acted"),
        "category": category(
            "Kind of event",
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
        "date_kind": category("How the date is known", ["stated", "report date", "derived"]),
        "date_basis": text("The pack's note on the date", nullable=True),
        "companies": text("Listed companies the event names, ';'-separated", nullable=True),
        "source_url": SOURCE,
        "source_urls": text("Every source of the row, '; '-separated"),
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
        "company": slug("Company slug"),
        "period": text("Period label, e.g. 'FY 2018' or 'H1 2019'"),
        "period_type": category(
            "Full year, first half, or not stated", ["FY", "H1", "unspecified"]
        ),
        "year": pa.Column(
            "Int64",
            nullable=True,
            coerce=True,
            checks=[pa.Check.in_range(2010, 2100)],
            description="Year",
        ),
        "period_start": pa.Column(
            "datetime64[us]", nullable=True, coerce=True, description="First day of the period"
        ),
        "period_end": pa.Column(
            "datetime64[us]", nullable=True, coerce=True, description="Last day of the period"
        ),
        "metric": category(
            "What is measured", ["total_revenue", "overseas_revenue", "overseas_share"]
        ),
        "value": pa.Column(
            "Float64",
            coerce=True,
            checks=[pa.Check.ge(0)],
            description="The stated (or computed) figure",
        ),
        "unit": category("Unit of value", ["CNY million", "percent"]),
        "definition": category(
            "What the figure measures, as a code (figures.OVERSEAS_DEFINITIONS and "
            "REVENUE_BASES give the words); 'overseas' has several definitions",
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
            "The source's own word for an approximate figure ('nearly 30%'); blank when exact",
            ["nearly", "almost", "about", "around"],
            nullable=True,
        ),
        "confidence": category(
            "How firm the figure is (unverified figures are never kept)",
            ["stated", "computed", "approximate", "inferred"],
        ),
        "source": text("The source as the pack gives it: URL(s), or a citation without one"),
        "source_url": url("The source's URL, blank where the pack has none", nullable=True),
        "known_since": known("; blank where the period and source give no date", True),
        "known_basis": category(
            "Which rule dates the figure",
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
        "table": text("The processed table the row would have joined"),
        "what": text("What the withheld row is about, without its value"),
        "reason": text("Why it is not published"),
        "known_since": known(
            "; blank where the row gives no date (an as-of view then leaves it out)", True
        ),
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
        "company": slug("Company slug"),
        "supplier": text("Supplier as named by the source"),
        "supplier_key": text("Supplier name normalised for counting"),
        "named": flag("False for 'unnamed …' rows"),
        "supplier_country": text(
            "Supplier's country as the source states it; blank when it states none",
            nullable=True,
        ),
        "country_basis": text(
            "How the country is known",
            checks=[
                pa.Check.str_matches(
                    r"^(stated in source|desk: not stated in this source|"
                    r"as described by source|not stated in source)(; disputed)?$"
                )
            ],
        ),
        "component": text("What it supplies, as the source says", nullable=True),
        "relation": category(
            "What the source says of the company and the supplier: 'supplier' (it supplies "
            "the company), 'benchmark' (its product is named only as a yardstick)",
            ["supplier", "benchmark"],
        ),
        "reported_by": date(
            "Latest date the report can be from, read from the pack's notes "
            "('Oct 2019' -> 2019-10-31); blank when the notes give none",
            nullable=True,
        ),
        "source_url": SOURCE,
        "known_since": known("; blank when the notes give no date", nullable=True),
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
        "company": slug("Company slug"),
        "partner": text("University or institution, as the source writes it"),
        "institution": text(
            "The institution the partner is (notebooks/institutions.yaml); blank when the "
            "source does not name it, and for the company's own offices",
            nullable=True,
        ),
        "institution_name": text("The institution as pages name it", nullable=True),
        "partner_country": text("Partner's country or countries"),
        "started": text("When the tie began, as the source says", nullable=True),
        "status_change": text("Status reported by this source"),
        "outcome": category(
            "Status classified",
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
        "relationship_type": text("Kind of tie"),
        "is_partnership": flag("False for the company's own offices"),
        "reported_by": date(
            "Latest date this status can be from, read from status_change, else started "
            "('Oct 2019' -> 2019-10-31); blank when neither gives one",
            nullable=True,
        ),
        "source_url": SOURCE,
        "known_since": known("; blank when the source gives no date", nullable=True),
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
        "company": slug("Company slug"),
        "period": text("Period label, e.g. 'FY 2018'"),
        "year": whole("Year of the period", minimum=2010),
        "market": text("The US market the share is of, as the source names it"),
        "share_pct": pa.Column(
            "float64",
            checks=[pa.Check.in_range(0, 100)],
            coerce=True,
            description="The market's share of the base, in percent",
        ),
        "share_of": text("The base the share is of, as the source states it"),
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
        "company": slug("Company slug"),
        "name": text("Short English name (house style)"),
        "name_zh": text("Chinese name (house style)", nullable=True),
        "entry_no": pa.Column(
            "Int64",
            coerce=True,
            checks=[pa.Check.in_range(1, 28)],
            description="Entry number in the desk's list of the 9 Oct 2019 rule",
        ),
        "listed_as": text("Name as listed in the rule announcement"),
        "match": text("Pattern that finds the company in event text"),
    },
    unique=["company"],
    strict=True,
    name="companies",
)


# entity_list: an Entity List entry of the screening list, with its China address.
ENTITY_LIST = pa.DataFrameSchema(
    {
        "entry_id": whole(
            "Position among the file's "
            "Entity List rows, from 1; not stable from one list to the next",
            minimum=1,
        ),
        "entry_key": text(
            "The entry's key, the same from one edition of the list to the next: " + KEY_RULE
        ),
        "name": text("Name as the list gives it (its current spelling)"),
        "aliases": text("Alternative names, '; '-joined; blank = none", nullable=True),
        "countries": text(
            "Countries of the entry's addresses, sorted, '; '-joined: ISO-2 codes, and "
            "the list's few region names ('CRIMEA (OCCUPIED)')",
            nullable=True,
            checks=[pa.Check.str_matches(r"^[A-Z][A-Z ()]*[A-Z)](?:; [A-Z][A-Z ()]*[A-Z)])*$")],
        ),
        "china": flag("An address in mainland China (CN)"),
        "hong_kong": flag("An address in Hong Kong (HK)"),
        "license_requirement": text("Licence requirement (whitespace collapsed)", nullable=True),
        "license_policy": text("Licence review policy (whitespace collapsed)", nullable=True),
        "fr_text": text("Federal Register notices as the list writes them", nullable=True),
        "first_citation": citation(
            "First citation, the rule that added the entry, as '84 FR 54002'"
        ),
        # count(): a nullable whole number, here read from the citation (blank: unread).
        "first_volume": count("Federal Register volume of the first citation"),
        "first_page": count("Page of the first citation; blank if the list gives none"),
        "first_year": count("Year of the first citation: volume + 1935 (84 is 2019)"),
        "citation_status": category(
            "How the first citation was read: volume and page, volume only, not at all, "
            "or there is none",
            ["parsed", "partial", "unparsed", "none"],
        ),
        "citations": whole("Citations in fr_text", minimum=0),
        "repaired": whole(
            "Characters repaired in name and aliases (Windows-1252 read as "
            "Latin-1: U+0092 back to U+2019)",
            minimum=0,
        ),
        "raw_row": whole(
            "Position of the party among "
            "all the file's parties, from 1 (in the CSV, its data row)",
            minimum=1,
        ),
        "known_since": known(" (the day the list was generated)"),
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
        "entry_id": whole("The entry (entity_list.entry_id)", minimum=1),
        "entry_key": text("The entry's key (entity_list.entry_key)"),
        "position": whole("Order in fr_text, from 1", minimum=1),
        "citation": citation("The citation as '84 FR 54002'; blank without a page"),
        "volume": count("Federal Register volume"),
        "page": count("Page; blank if the list gives none"),
        "year": count("Year: volume + 1935"),
        "note": text(
            "What follows the page, verbatim: 'No. 210', '(no. 182)', '(8/15/2011)'",
            nullable=True,
        ),
        "piece": text("The citation's text as the list gives it"),
        "status": category(
            "How it was read: volume and page, volume only, or not at all",
            ["parsed", "partial", "unparsed"],
        ),
        "repeat": flag("Same volume and page as an earlier citation of the entry"),
        "raw_row": whole("The entry's raw_row", minimum=1),
        "known_since": known(" (the day the list was generated)"),
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


def field(name: str, column: pa.Column) -> dict:
    """Describe one column as a Frictionless Table Schema field."""
    dtype = str(column.dtype)
    kind = "date" if dtype.startswith("datetime") else FIELD_TYPES.get(dtype, "string")
    described = {"name": name, "type": kind, "description": column.description or ""}
    constraints = {"required": not column.nullable}
    for check in column.checks:
        stats = check.statistics or {}
        if "allowed_values" in stats:
            constraints["enum"] = list(stats["allowed_values"])
    described["constraints"] = constraints
    return described


def datapackage(tables: dict[str, pd.DataFrame]) -> dict:
    """Build a Frictionless Data Package descriptor for the processed tables."""
    resources = []
    for name in tables:
        schema = current(name)
        resources.append(
            {
                "name": name,
                "path": f"{name}.csv",
                "format": "csv",
                "encoding": "utf-8",
                "rows": len(tables[name]),
                "schema": {
                    "fields": [field(col, schema.columns[col]) for col in schema.columns],
                    "primaryKey": list(schema.unique or []),
                    "missingValues": [""],
                },
            }
        )
    return {
        "name": "entity-list-2019-processed",
        "title": "The October 2019 Entity List story: processed tables",
        "licenses": [{"name": "CC-BY-4.0"}],
        "resources": resources,
    }


def dictionary_markdown(descriptor: dict) -> str:
    """Render the data package as Markdown tables, one per processed file."""
    lines = ["# Data dictionary", "", "Generated from `entitylist/schemas.py`; do not edit.", ""]
    for resource in descriptor["resources"]:
        key = ", ".join(resource["schema"]["primaryKey"])
        lines += [f"## `{resource['path']}`", "", f"{resource['rows']} rows; key: {key}.", ""]
        lines += ["| column | type | required | description |", "|---|---|---|---|"]
        for spec in resource["schema"]["fields"]:
            allowed = spec["constraints"].get("enum")
            extra = f" One of: {', '.join(map(str, allowed))}." if allowed else ""
            required = "yes" if spec["constraints"]["required"] else "no"
            # A description may hold a '|' (the entry key's rule): escaped, it stays in its cell.
            described = (spec["description"] + extra).replace("|", "\\|")
            cells = [f"`{spec['name']}`", spec["type"], required, described]
            lines.append("| " + " | ".join(cells) + " |")
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
