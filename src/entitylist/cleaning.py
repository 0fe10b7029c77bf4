"""Turn the raw snapshot into tidy, validated tables: one function per processed table.

Every output row keeps `raw_row`, the 1-based data row of the raw file it came from, so a
number on a page can be traced to its line in data/raw (line = raw_row + 1).
Blanks stay missing: nothing here fills an unknown with a zero or a guess.
"""

import json
import re
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from entitylist import atomic, paths, schemas
from entitylist.errors import RawDataError
from entitylist.sources import read_raw

RULES_FILE = "fr_rules_china.csv"
ENTRIES_FILE = "entities_84FR54002.csv"
EVENTS_FILE = "events.csv"
REVENUE_FILE = "revenue_by_region.csv"
SUPPLIERS_FILE = "us_suppliers.csv"
PARTNERSHIPS_FILE = "partnerships.csv"
COMPANIES_FILE = "companies.csv"

# The pack's README: the ZTE rule's 3 China entries (of 4) were tallied from the named
# list, not stated by a source. Every other non-blank count is stated.
TALLIED_CHINA_COUNTS = {"2016-05104"}


def with_raw_row(frame: pd.DataFrame) -> pd.DataFrame:
    """Add raw_row, the 1-based data row number of each row in its raw file."""
    return frame.assign(raw_row=range(1, len(frame) + 1))


def first_bad(frame: pd.DataFrame, column: str, parsed: pd.Series) -> pd.Series:
    """Return the raw values that were given but did not parse."""
    given = frame[column].notna()
    return frame.loc[given & parsed.isna(), column]


def raise_unparseable(file: str, frame: pd.DataFrame, column: str, bad: pd.Series, want: str):
    """Raise a RawDataError naming the file, row, column and value that failed to parse."""
    index = bad.index[0]
    row = int(frame.loc[index, "raw_row"])
    msg = f"data/raw/{file}: row {row}, column {column!r}: {bad.iloc[0]!r} is not {want}"
    raise RawDataError(msg)


def parse_dates(file: str, frame: pd.DataFrame, column: str) -> pd.Series:
    """Parse an ISO date column; blanks stay missing, anything else unparseable is an error."""
    parsed = pd.to_datetime(frame[column], format="%Y-%m-%d", errors="coerce")
    bad = first_bad(frame, column, parsed)
    if len(bad):
        raise_unparseable(file, frame, column, bad, "a date as YYYY-MM-DD")
    return parsed


def parse_numbers(file: str, frame: pd.DataFrame, column: str, integer: bool = False) -> pd.Series:
    """Parse a numeric column; blanks stay missing, text that is not a number is an error."""
    parsed = pd.to_numeric(frame[column].str.replace(",", "", regex=False), errors="coerce")
    bad = first_bad(frame, column, parsed)
    if len(bad):
        raise_unparseable(file, frame, column, bad, "a number")
    if integer:
        whole = parsed.dropna() % 1 == 0
        if not whole.all():
            raise_unparseable(
                file, frame, column, frame.loc[whole[~whole].index, column], "a whole number"
            )
        return parsed.astype("Int64")
    return parsed.astype("Float64")


def split_urls(text: object) -> list[str]:
    """Split a '; '-separated source_url cell into its URLs."""
    if not isinstance(text, str):
        return []
    return [part.strip() for part in text.split(";") if part.strip()]


def first_url(series: pd.Series) -> pd.Series:
    """Return the first http(s) URL of each source cell, the one a page links to."""
    urls = series.map(lambda text: [u for u in split_urls(text) if u.startswith("http")])
    return urls.map(lambda found: found[0] if found else pd.NA).astype("str")


def company_slugs(file: str, frame: pd.DataFrame, raw: Path) -> pd.Series:
    """Map the pack's company names to slugs; a name not among the eight is an error."""
    companies = read_raw(COMPANIES_FILE, raw)
    slug = frame["company"].map(dict(zip(companies["name"], companies["slug"], strict=True)))
    unknown = frame.loc[slug.isna(), "company"]
    if len(unknown):
        raise_unparseable(file, frame, "company", unknown, "one of the eight companies")
    return slug.astype("str")


def clean_rules(raw: Path = paths.RAW) -> pd.DataFrame:
    """Federal Register rules under China: dates, action, counts and their count status."""
    frame = with_raw_row(read_raw(RULES_FILE, raw)).assign(raw_file=RULES_FILE)
    live = live_rules(raw, set(frame["document_number"].dropna()))
    frame = pd.concat([frame, live], ignore_index=True) if len(live) else frame
    publication = parse_dates(RULES_FILE, frame, "publication_date")
    effective = parse_dates(RULES_FILE, frame, "effective_date")
    counts = {
        name: parse_numbers(RULES_FILE, frame, f"{name}_entries_added", integer=True)
        for name in ("china", "hong_kong", "total")
    }
    status = pd.Series("unknown", index=frame.index, dtype="str")
    status[counts["china"].notna()] = "stated"
    status[frame["document_number"].isin(TALLIED_CHINA_COUNTS)] = "tallied"
    # Three rows have no publication date; the effective date then places the rule.
    date = publication.fillna(effective)
    date_basis = pd.Series(pd.NA, index=frame.index, dtype="str")
    date_basis[publication.notna()] = "publication"
    date_basis[publication.isna() & effective.notna()] = "effective (publication not stated)"
    rule_id = (
        frame["document_number"]
        .fillna(frame["citation"])
        .fillna("dated " + date.dt.strftime("%Y-%m-%d"))
    )
    rules = pd.DataFrame(
        {
            "rule_id": rule_id.astype("str"),
            "document_number": frame["document_number"],
            "citation": frame["citation"],
            "date": date,
            "date_basis": date_basis,
            "publication_date": publication,
            "effective_date": effective,
            "action": frame["action"],
            "title": frame["title"],
            "china_entries": counts["china"],
            "china_count_status": status,
            "hong_kong_entries": counts["hong_kong"],
            "total_entries": counts["total"],
            "notable_entities": frame["notable_entities"],
            "stated_reason": frame["stated_reason"],
            "source_url": first_url(frame["source_url"]),
            "source_urls": frame["source_url"],
            "raw_file": frame["raw_file"],
            "raw_row": frame["raw_row"],
        }
    )
    return schemas.validate("rules", rules, RULES_FILE)


LIVE_DOCUMENTS = "fr-documents.json"


def latest_live_documents(raw: Path) -> Path | None:
    """The Federal Register metadata of the newest live snapshot, if `make fetch` made one."""
    found = sorted((raw / "live").glob(f"*/{LIVE_DOCUMENTS}"))
    return found[-1] if found else None


def live_action(title: str) -> str:
    """Read a rule's action from its Federal Register title."""
    if re.search(r"\bAddition", title):
        return "add"
    if re.search(r"\bRemoval", title):
        return "remove"
    return "revise"


def live_rules(raw: Path, known: set[str]) -> pd.DataFrame:
    """Rules from the newest live snapshot that the pack lacks, with counts from abstracts.

    Only a rule whose abstract states a number of entries under China is kept: without it
    the desk cannot tell whether the rule touches China at all.
    """
    from entitylist import parsers

    path = latest_live_documents(raw)
    if path is None:
        return pd.DataFrame()
    documents = json.loads(path.read_text(encoding="utf-8"))
    rows = []
    for number, document in enumerate(documents, 1):
        counts = parsers.parse_destination_counts(document.get("abstract") or "")
        if document["document_number"] in known or not counts.get("China"):
            continue
        rows.append(
            {
                "document_number": document["document_number"],
                "citation": document.get("citation"),
                "publication_date": document.get("publication_date"),
                "effective_date": document.get("effective_on"),
                "action": live_action(document.get("title") or ""),
                "title": document.get("title"),
                "china_entries_added": str(counts["China"]),
                "hong_kong_entries_added": str(counts["Hong Kong"])
                if "Hong Kong" in counts
                else None,
                "total_entries_added": str(sum(counts.values())),
                "notable_entities": None,
                "stated_reason": None,
                "source_url": document.get("html_url"),
                "raw_row": number,
                "raw_file": path.relative_to(raw).as_posix(),
            }
        )
    return pd.DataFrame(rows, dtype="str").astype({"raw_row": "int64"}) if rows else pd.DataFrame()


def kind_detail(kind: pd.Series, name: pd.Series) -> pd.Series:
    """Split the government entries into the regional bureau and its subordinate bureaus."""
    regional = name.fillna("").str.contains("Autonomous Region People", regex=False)
    detail = kind.map({"company": "company", "institute": "institute"}).astype("str")
    detail[(kind == "government") & regional] = "regional public security bureau"
    detail[(kind == "government") & ~regional] = "subordinate public security bureau"
    return detail


def name_status(frame: pd.DataFrame) -> pd.Series:
    """Mark each entry's name verified, candidate (to confirm) or disputed between sources."""
    status = pd.Series("verified", index=frame.index, dtype="str")
    status[frame["candidate_status"].fillna("").str.startswith("unverified")] = "candidate"
    # The pack's README: sources disagree whether the 20th government entry is the
    # Xinjiang Police College, and its field_status says the rule text was not seen.
    status[(frame["kind"] == "institute") & frame["field_status"].str.contains("NOT seen")] = (
        "disputed"
    )
    return status


def display_names(frame: pd.DataFrame, status: pd.Series, detail: pd.Series) -> pd.Series:
    """Return the name a page may print: unverified names become a description."""
    shown = frame["entry_name"].astype("str").copy()
    shown[status == "candidate"] = detail[status == "candidate"].str.capitalize() + (
        " (name not verified)"
    )
    shown[status == "disputed"] = frame.loc[status == "disputed", "entry_name"] + (
        " (sources disagree)"
    )
    return shown


def clean_entries(raw: Path = paths.RAW) -> pd.DataFrame:
    """The 28 entries of the 9 Oct 2019 rule, with kind and how far each name is verified."""
    frame = with_raw_row(read_raw(ENTRIES_FILE, raw))
    companies = read_raw(COMPANIES_FILE, raw)
    entry_no = parse_numbers(ENTRIES_FILE, frame, "entry_no", integer=True)
    status = name_status(frame)
    detail = kind_detail(frame["kind"], frame["entry_name"])
    company = entry_no.astype("str").map(
        dict(zip(companies["entry_no"], companies["slug"], strict=True))
    )
    entries = pd.DataFrame(
        {
            "entry_no": entry_no,
            "display_name": display_names(frame, status, detail),
            "entry_name": frame["entry_name"].where(status != "candidate"),
            "candidate_name": frame["candidate_name"],
            "name_status": status,
            "kind": frame["kind"],
            "kind_detail": detail,
            "company": company.astype("str"),
            "license_requirement": frame["license_requirement"],
            "license_review_policy": frame["license_review_policy"],
            "citation": frame["citation"],
            "publication_date": parse_dates(ENTRIES_FILE, frame, "publication_date"),
            "source_url": first_url(frame["name_source_url"]),
            "raw_row": frame["raw_row"],
        }
    )
    return schemas.validate("entries_2019", entries, ENTRIES_FILE)


def date_kind(basis: pd.Series) -> pd.Series:
    """Classify an event's date_basis as stated, report date or derived."""
    text = basis.fillna("").str.lower()
    kind = pd.Series("stated", index=basis.index, dtype="str")
    kind[text.str.startswith(("report", "page dated", "date of"))] = "report date"
    kind[text.str.startswith("derived")] = "derived"
    return kind


def mentions(text: pd.Series, companies: pd.DataFrame) -> pd.Series:
    """Return the slugs of the listed companies a text names, ';'-joined, or missing."""
    hits = pd.DataFrame(
        {
            slug: text.str.contains(rf"\b(?:{pattern})\b", case=False, regex=True)
            for slug, pattern in zip(companies["slug"], companies["match"], strict=True)
        }
    )
    joined = hits.apply(lambda row: ";".join(row.index[row.to_numpy(dtype=bool)]), axis=1)
    return joined.astype("str").replace("", pd.NA)


def clean_events(raw: Path = paths.RAW) -> pd.DataFrame:
    """Dated events of the story, with how each date is known and which companies they name."""
    frame = with_raw_row(read_raw(EVENTS_FILE, raw))
    companies = read_raw(COMPANIES_FILE, raw)
    date = parse_dates(EVENTS_FILE, frame, "date")
    sequence = frame.groupby(date).cumcount() + 1
    events = pd.DataFrame(
        {
            "event_id": date.dt.strftime("%Y-%m-%d") + "-" + sequence.astype("str"),
            "date": date,
            "event": frame["event"],
            "actor": frame["actor"],
            "category": frame["category"],
            "date_kind": date_kind(frame["date_basis"]),
            "date_basis": frame["date_basis"],
            "companies": mentions(frame["event"] + " " + frame["actor"], companies),
            "source_url": first_url(frame["source_url"]),
            "raw_row": frame["raw_row"],
        }
    )
    return schemas.validate("events", events, EVENTS_FILE)


def parse_periods(period: pd.Series) -> pd.DataFrame:
    """Split labels such as 'FY2018', 'H1-2019' or 'FY2018 (implied: …)' into parts."""
    parts = period.str.extract(r"^(?P<period_type>FY|H1)-?(?P<year>\d{4})(?P<rest>.*)$")
    period_type = parts["period_type"].fillna("unspecified").astype("str")
    year = pd.to_numeric(parts["year"], errors="coerce").astype("Int64")
    month_end = period_type.map({"FY": "-12-31", "H1": "-06-30"})
    period_end = pd.to_datetime(year.astype("str") + month_end, format="%Y-%m-%d", errors="coerce")
    label = (period_type + " " + year.astype("str")).where(year.notna(), period)
    inferred = parts["rest"].fillna("").str.contains("implied", regex=False)
    return pd.DataFrame(
        {
            "period": label.astype("str"),
            "period_type": period_type,
            "year": year,
            "period_end": period_end,
            "period_inferred": inferred,
        }
    )


def overseas_definition(notes: pd.Series) -> pd.Series:
    """Name which 'overseas' a figure measures; Hikvision reports two (see the pack README)."""
    text = notes.fillna("").str.lower()
    definition = pd.Series("overseas, definition not stated", index=notes.index, dtype="str")
    definition[text.str.contains("region")] = "overseas regions (regional split)"
    definition[text.str.contains(r"main[ -]business", regex=True)] = (
        "overseas main business (excludes innovative businesses)"
    )
    definition[text.str.contains("total minus mainland", regex=False)] = (
        "outside mainland China (includes Hong Kong)"
    )
    return definition


def revenue_definition(notes: pd.Series) -> pd.Series:
    """Name the basis of a total-revenue figure; Megvii's two prospectuses must not splice."""
    definition = pd.Series("total revenue as reported", index=notes.index, dtype="str")
    definition[notes.fillna("").str.contains("HK prospectus", regex=False)] = (
        "total revenue, Hong Kong prospectus basis"
    )
    definition[notes.fillna("").str.contains("STAR Market", regex=False)] = (
        "total revenue, Shanghai STAR prospectus basis"
    )
    return definition


def confidence(notes: pd.Series, inferred: pd.Series, computed: pd.Series) -> pd.Series:
    """Grade each figure; the pack's notes flag doubts in capitals (UNVERIFIED, APPROXIMATE)."""
    level = pd.Series("stated", index=notes.index, dtype="str")
    level[computed] = "computed"
    level[notes.fillna("").str.contains("APPROXIMATE", regex=False)] = "approximate"
    level[inferred | notes.fillna("").str.contains("INFERRED", regex=False)] = "inferred"
    level[notes.fillna("").str.contains("UNVERIFIED", regex=False)] = "unverified"
    return level


# Raw column -> (metric, unit) of the long table.
FINANCIAL_METRICS = {
    "total_revenue": ("total_revenue", "CNY million"),
    "overseas_revenue": ("overseas_revenue", "CNY million"),
    "overseas_share_pct": ("overseas_share", "percent"),
}


def clean_financials(raw: Path = paths.RAW) -> pd.DataFrame:
    """Company figures in long form: one stated number per row, with definition and confidence."""
    frame = with_raw_row(read_raw(REVENUE_FILE, raw))
    periods = parse_periods(frame["period"])
    slug = company_slugs(REVENUE_FILE, frame, raw)
    long = []
    for column, (metric, unit) in FINANCIAL_METRICS.items():
        value = parse_numbers(REVENUE_FILE, frame, column)
        computed = (frame["share_basis"] == "computed") & (metric == "overseas_share")
        definition = (
            revenue_definition(frame["notes"])
            if metric == "total_revenue"
            else overseas_definition(frame["notes"])
        )
        part = pd.DataFrame(
            {
                "company": slug,
                **periods,
                "metric": metric,
                "value": value,
                "unit": unit,
                "definition": definition,
                "confidence": confidence(frame["notes"], periods["period_inferred"], computed),
                "source": frame["source_url"],
                "source_url": first_url(frame["source_url"]),
                "raw_row": frame["raw_row"],
            }
        )
        long.append(part[value.notna()])
    financials = (
        pd.concat(long, ignore_index=True)
        .drop(columns="period_inferred")
        .sort_values(["company", "period_end", "metric", "raw_row"], kind="stable")
        .reset_index(drop=True)
    )
    return schemas.validate("financials", financials, REVENUE_FILE)


def country_and_basis(country: pd.Series) -> pd.DataFrame:
    """Split 'US (not stated in this source)' into a country and how the country is known."""
    text = country.fillna("")
    named = text.str.extract(r"^(?P<country>US|China|Japan)\b")["country"].astype("str")
    basis = pd.Series("stated in source", index=country.index, dtype="str")
    basis[text.str.contains("not stated in this source", regex=False)] = (
        "desk: not stated in this source"
    )
    basis[text.str.contains("as described by", regex=False)] = "as described by source"
    basis[named.isna()] = "not stated in source"
    return pd.DataFrame({"supplier_country": named, "country_basis": basis})


def supplier_key(supplier: pd.Series) -> pd.Series:
    """Normalise supplier names so 'Seagate Technology' and 'Seagate' count once."""
    bare = supplier.str.replace(r"\s*\(.*\)$", "", regex=True)
    return bare.str.replace(r"\s+(Technology|Inc\.?|Corp\.?)$", "", regex=True).astype("str")


MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
DATE_IN_TEXT = re.compile(
    r"(?:(?P<day>\d{1,2})(?:-(?P<last_day>\d{1,2}))? )?"
    r"(?:(?P<month>" + "|".join(MONTHS) + r")[a-z]*\.? )?"
    r"(?P<year>20\d\d)\b",
    re.IGNORECASE,
)


def latest_date_in(text: object, bare_years: bool = True) -> pd.Timestamp | None:
    """Return the last date a note mentions, as the latest day it can mean ('Oct 2019' -> 31).

    Without bare_years a lone year is not read as a date: in supplier notes a year is
    more often the period of a figure ("2018 revenue") than the date of the report.
    """
    if not isinstance(text, str):
        return None
    found = [m for m in DATE_IN_TEXT.finditer(text) if bare_years or m["month"]]
    if not found:
        return None
    last = found[-1]
    year = int(last["year"])
    if last["month"] is None:
        return pd.Timestamp(year=year, month=12, day=31)
    month = MONTHS.index(last["month"][:3].lower()) + 1
    if last["day"]:
        return pd.Timestamp(year=year, month=month, day=int(last["last_day"] or last["day"]))
    return pd.Timestamp(year=year, month=month, day=1) + pd.offsets.MonthEnd(0)


def reported_by(
    text: pd.Series, fallback: pd.Series | None = None, bare_years: bool = True
) -> pd.Series:
    """Date each row was known by, from the dates its notes mention; missing if none."""
    dates = text.map(lambda t: latest_date_in(t, bare_years))
    if fallback is not None:
        dates = dates.where(dates.notna(), fallback.map(lambda t: latest_date_in(t, bare_years)))
    return pd.to_datetime(dates)


def clean_suppliers(raw: Path = paths.RAW) -> pd.DataFrame:
    """Suppliers named for each company, with country, how it is known, and component."""
    frame = with_raw_row(read_raw(SUPPLIERS_FILE, raw))
    slug = company_slugs(SUPPLIERS_FILE, frame, raw)
    suppliers = pd.DataFrame(
        {
            "company": slug,
            "supplier": frame["supplier"],
            "supplier_key": supplier_key(frame["supplier"]),
            "named": ~frame["supplier"].str.startswith("unnamed"),
            **country_and_basis(frame["supplier_country"]),
            "component": frame["component"],
            "reported_by": reported_by(frame["notes"], bare_years=False),
            "source_url": first_url(frame["source_url"]),
            "raw_row": frame["raw_row"],
        }
    )
    return schemas.validate("suppliers", suppliers, SUPPLIERS_FILE)


PARTNERSHIP_OUTCOMES = (
    ("ended", "ended"),
    ("under review", "under review"),
    ("scrutinised", "scrutinised"),
    ("planned", "planned"),
    ("existing", "existing"),
    ("no termination", "continuing (no end reported)"),
    ("announced", "announced"),
    ("funding", "announced"),
    ("gift", "gift"),
    ("reported", "reported"),
)


def outcome(status_change: pd.Series) -> pd.Series:
    """Classify what became of a tie from the first keyword of its status_change."""
    text = status_change.fillna("").str.lower()
    result = pd.Series(pd.NA, index=status_change.index, dtype="str")
    for keyword, label in reversed(PARTNERSHIP_OUTCOMES):
        result[text.str.contains(keyword, regex=False)] = label
    return result.fillna("other")


def clean_partnerships(raw: Path = paths.RAW) -> pd.DataFrame:
    """University and institution ties, and what became of each, one row per reported status."""
    frame = with_raw_row(read_raw(PARTNERSHIPS_FILE, raw))
    slug = company_slugs(PARTNERSHIPS_FILE, frame, raw)
    partnerships = pd.DataFrame(
        {
            "company": slug,
            "partner": frame["partner"],
            "partner_country": frame["partner_country"],
            "started": frame["started"],
            "status_change": frame["status_change"],
            "outcome": outcome(frame["status_change"]),
            "relationship_type": frame["relationship_type"],
            "is_partnership": ~frame["relationship_type"].fillna("").str.startswith("own "),
            "reported_by": reported_by(frame["status_change"], frame["started"]),
            "source_url": first_url(frame["source_url"]),
            "raw_row": frame["raw_row"],
        }
    )
    return schemas.validate("partnerships", partnerships, PARTNERSHIPS_FILE)


def clean_companies(raw: Path = paths.RAW) -> pd.DataFrame:
    """The eight companies with their names as listed in the rule."""
    frame = with_raw_row(read_raw(COMPANIES_FILE, raw))
    entries = read_raw(ENTRIES_FILE, raw).set_index("entry_no")
    companies = pd.DataFrame(
        {
            "company": frame["slug"],
            "name": frame["name"],
            "name_zh": frame["name_zh"],
            "entry_no": parse_numbers(COMPANIES_FILE, frame, "entry_no", integer=True),
            "listed_as": frame["entry_no"].map(entries["entry_name"]),
            "raw_row": frame["raw_row"],
        }
    )
    return schemas.validate("companies", companies, COMPANIES_FILE)


CLEANERS: dict[str, Callable[[Path], pd.DataFrame]] = {
    "rules": clean_rules,
    "entries_2019": clean_entries,
    "events": clean_events,
    "financials": clean_financials,
    "suppliers": clean_suppliers,
    "partnerships": clean_partnerships,
    "companies": clean_companies,
}


def clean_all(raw: Path = paths.RAW) -> dict[str, pd.DataFrame]:
    """Build every processed table in memory; nothing is written if any table fails."""
    return {name: cleaner(raw) for name, cleaner in CLEANERS.items()}


def write_processed(tables: dict[str, pd.DataFrame], out: Path) -> list[Path]:
    """Write each table as CSV, plus the data dictionary, atomically file by file."""
    written = []
    for name, table in tables.items():
        path = out / f"{name}.csv"
        atomic.write_csv(path, table)
        written.append(path)
    written.append(schemas.write_datapackage(tables, out))
    return written
