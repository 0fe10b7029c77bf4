"""Turn the raw snapshot into tidy, validated tables: one function per processed table.

Every output row keeps `raw_file` and `raw_row` (the 1-based data row of that file), so a
number on a page can be traced to its line in data/raw (line = raw_row + 1), and carries
`known_since`, the day it became public (see KNOWN_SINCE_RULES). Blanks stay missing:
nothing here fills an unknown with a zero or a guess. Figures the pack marks unverified never
enter a processed table; `withheld` records that they exist, without their values.
"""

import calendar
import json
import re
from collections.abc import Callable

import pandas as pd

from entitylist import atomic, config
from entitylist.data import csl, parsers, publishers, schemas, sources
from entitylist.data.sources import Snapshot
from entitylist.errors import RawDataError

# The pack's README: the ZTE rule's 3 China entries (of 4) were tallied from the named
# list, not stated by a source. Every other non-blank count is stated.
TALLIED_CHINA_COUNTS = {"2016-05104"}
# The screening list's generation date: when its names and entries became known to the desk.
SCREENING_LIST_DAY = pd.Timestamp("2026-07-31")
# How each kind of row is dated when it became public, as codes (financials.known_basis uses
# some of them); notebooks/words.yaml (known_since) words each, and the data page prints them.
KNOWN_SINCE_RULES = (
    "rule",
    "event",
    "source date",
    "prospectus",
    "annual results",
    "half-year results",
    "report",
    "screening list",
    "announcement",
)


def known_since_rules() -> dict[str, str]:
    """Each dating rule's words for the data page (words.yaml), in KNOWN_SINCE_RULES' order."""
    said = config.wording().known_since
    return {rule: config.given(said, rule, "known_since") for rule in KNOWN_SINCE_RULES}


MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
DATE_IN_TEXT = re.compile(
    r"(?:(?P<day>\d{1,2})(?:-(?P<last_day>\d{1,2}))? )?"
    r"(?:(?P<month>" + "|".join(MONTHS) + r")[a-z]*\.? )?"
    r"(?P<year>20\d\d)\b",
    re.IGNORECASE,
)


# ---------------------------------------------------------------------------------------
# Shared parsing, with errors that name the file, row and column


def with_source(frame: pd.DataFrame, snapshot: Snapshot, table: str) -> pd.DataFrame:
    """Add raw_file (the current file of the table) and raw_row (1-based data row), keeping
    only the sources a page may cite (see cited)."""
    where = snapshot.where(table).removeprefix("data/raw/")
    return cited(frame.assign(raw_file=where, raw_row=range(1, len(frame) + 1)))[0]


def cited(frame: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The rows with only the sources a page may cite, and the rows left with none.

    Every host a row cites must be graded in publishers.yaml; a source graded unpublishable,
    or state media cited for someone else's words, is dropped from the row, and a row with no
    source left is withheld (returned apart, with the reason), never published on its word.
    """
    kept, withheld = frame.copy(), {}
    actors = frame["actor"] if "actor" in frame else pd.Series(None, index=frame.index)
    for index, row in frame.iterrows():
        cells = {c: split_urls(v) for c, v in row.items() if c != "raw_file" and split_urls(v)}
        reasons = []
        for column, urls in cells.items():
            where = f"data/raw/{row['raw_file']}: row {row['raw_row']}, column {column!r}"
            usable, why = usable_sources(urls, actors[index], where)
            reasons += why
            if why:
                kept.at[index, column] = "; ".join(usable) if usable else pd.NA
        if cells and all(pd.isna(kept.at[index, c]) for c in cells):
            withheld[index] = "; ".join(reasons)
    held = frame.loc[list(withheld)].assign(reason=pd.Series(withheld, dtype="object"))
    return kept.drop(index=list(withheld)).reset_index(drop=True), held


def usable_sources(urls: list[str], actor: object, where: str) -> tuple[list[str], list[str]]:
    """The URLs that may carry a row whose actor is `actor`, and why the others may not; a
    host the registry does not grade stops the cleaning, naming where it is cited."""
    usable, reasons = [], []
    for url in urls:
        found = publishers.publisher(url)
        if found.kind == "ungraded":
            host = publishers.host(url)
            msg = f"{where}: host {host!r} is not graded; add it to {publishers.WHERE}"
            raise RawDataError(msg)
        reason = found.may_carry(actor)
        if reason:
            reasons.append(reason)
        else:
            usable.append(url)
    return usable, reasons


def raise_unparseable(frame: pd.DataFrame, column: str, bad: pd.Series, want: str):
    """Raise a RawDataError naming the file, row, column and value that failed."""
    index = bad.index[0]
    where, row = frame.loc[index, "raw_file"], int(frame.loc[index, "raw_row"])
    msg = f"data/raw/{where}: row {row}, column {column!r}: {bad.iloc[0]!r} is not {want}"
    raise RawDataError(msg)


def not_a_day(text: str) -> str:
    """Why a date written YYYY-MM-DD names no day: 'September 2019 has 30 days'."""
    year, month, _ = (int(part) for part in text.split("-"))
    if not 1 <= month <= 12:
        return "a day: there is no month " + str(month)
    last = calendar.monthrange(year, month)[1]
    return f"a day: {calendar.month_name[month]} {year} has {last} days"


def parse_dates(frame: pd.DataFrame, column: str) -> pd.Series:
    """Parse a date column written YYYY-MM-DD; blanks stay missing.

    A date in another form ('2019-10-9') and one that names no day ('2019-09-31') are
    errors, each said as what it is, naming the file, row and column.
    """
    text = frame[column]
    shaped = text.str.fullmatch(r"\d{4}-\d{2}-\d{2}").fillna(False).astype(bool)
    misshapen = frame.loc[text.notna() & ~shaped, column]
    if len(misshapen):
        raise_unparseable(frame, column, misshapen, "written YYYY-MM-DD (e.g. 2019-10-09)")
    parsed = pd.to_datetime(text, format="%Y-%m-%d", errors="coerce")
    bad = frame.loc[text.notna() & parsed.isna(), column]
    if len(bad):
        raise_unparseable(frame, column, bad, not_a_day(bad.iloc[0]))
    return parsed


def parse_numbers(frame: pd.DataFrame, column: str, integer: bool = False) -> pd.Series:
    """Parse a numeric column; blanks stay missing, text that is not a number is an error."""
    parsed = pd.to_numeric(frame[column].str.replace(",", "", regex=False), errors="coerce")
    bad = frame.loc[frame[column].notna() & parsed.isna(), column]
    if len(bad):
        raise_unparseable(frame, column, bad, "a number")
    if integer:
        fractional = parsed.notna() & (parsed % 1 != 0)
        if fractional.any():
            raise_unparseable(frame, column, frame.loc[fractional, column], "a whole number")
        return parsed.astype("Int64")
    return parsed.astype("Float64")


def split_urls(text: object) -> list[str]:
    """Split a source cell into its http(s) URLs; other text (a citation) is left out."""
    if not isinstance(text, str):
        return []
    return [p.strip() for p in re.split(r"\s*;\s*", text) if p.strip().startswith("http")]


def first_url(series: pd.Series) -> pd.Series:
    """The source a page links first: original documents before copies (publishers.yaml)."""
    return series.map(
        lambda text: (publishers.primary_first(split_urls(text)) or [pd.NA])[0]
    ).astype("str")


def company_table() -> pd.DataFrame:
    """The companies of notebooks/companies.yaml as a table."""
    return pd.DataFrame([company.model_dump() for company in config.companies()])


def company_slugs(frame: pd.DataFrame) -> pd.Series:
    """Map the pack's company names to slugs; a name not among the eight is an error."""
    companies = company_table()
    slug = frame["company"].map(dict(zip(companies["name"], companies["slug"], strict=True)))
    unknown = frame.loc[slug.isna(), "company"]
    if len(unknown):
        names = ", ".join(companies["name"])
        raise_unparseable(frame, "company", unknown, f"one of the companies ({names})")
    return slug.astype("str")


def latest_date_in(text: object, bare_years: bool = True) -> pd.Timestamp | None:
    """Return the last date a text mentions, as the latest day it can mean ('Oct 2019' -> 31).

    Without bare_years a lone year is not read as a date: in supplier notes a year is more
    often the period of a figure ("2018 revenue") than the date of the report.
    """
    if not isinstance(text, str):
        return None
    found = [m for m in DATE_IN_TEXT.finditer(text) if bare_years or m["month"]]
    return day_of(found[-1]) if found else None


def day_of(match: re.Match) -> pd.Timestamp:
    """The latest day a matched date can mean: a month alone is its last day, a year Dec. 31."""
    year = int(match["year"])
    if match["month"] is None:
        return pd.Timestamp(year=year, month=12, day=31)
    month = MONTHS.index(match["month"][:3].lower()) + 1
    if match["day"]:
        return pd.Timestamp(year=year, month=month, day=int(match["last_day"] or match["day"]))
    return pd.Timestamp(year=year, month=month, day=1) + pd.offsets.MonthEnd(0)


def reported_by(
    text: pd.Series, fallback: pd.Series | None = None, bare_years: bool = True
) -> pd.Series:
    """Date each row was known by, from the dates its notes mention; missing if none."""
    dates = text.map(lambda t: latest_date_in(t, bare_years))
    if fallback is not None:
        dates = dates.where(dates.notna(), fallback.map(lambda t: latest_date_in(t, bare_years)))
    return pd.to_datetime(dates)


# ---------------------------------------------------------------------------------------
# Rules


# The pack's own doubt about names it gives, in brackets: "(brief cites NetPosa; not
# verified)". Such names are never published; the words outside the brackets are.
DOUBT = re.compile(r"\b(?:brief cites|not verified|unverified)\b", re.IGNORECASE)
DOUBTED_NAMES = re.compile(rf"\s*\((?=[^()]*{DOUBT.pattern})[^()]*\)", re.IGNORECASE)


def verified_names(frame: pd.DataFrame, column: str) -> pd.Series:
    """A names column without the bracketed names the pack doubts; a doubt outside brackets
    cannot be cut cleanly, so it stops the cleaning."""
    kept = frame[column].str.replace(DOUBTED_NAMES, "", regex=True)
    left = kept.fillna("").str.contains(DOUBT)
    if left.any():
        row = frame.loc[left, "raw_row"].iloc[0]
        msg = (
            f"data/raw/{frame.loc[left, 'raw_file'].iloc[0]}: row {row}, column {column!r}: "
            f"{frame.loc[left, column].iloc[0]!r} doubts a name outside brackets; put the "
            "doubted names in brackets so they can be left out"
        )
        raise RawDataError(msg)
    return kept


def clean_rules(snapshot: Snapshot) -> pd.DataFrame:
    """Federal Register rules under China: dates, action, counts and their count status."""
    frame = with_source(snapshot.table(sources.RULES), snapshot, sources.RULES)
    live = live_rules(snapshot, set(frame["document_number"].dropna()))
    frame = pd.concat([frame, live], ignore_index=True) if len(live) else frame
    publication = parse_dates(frame, "publication_date")
    effective = parse_dates(frame, "effective_date")
    counts = {
        name: parse_numbers(frame, f"{name}_entries_added", integer=True)
        for name in ("china", "hong_kong", "total")
    }
    status = pd.Series("unknown", index=frame.index, dtype="str")
    status[counts["china"].notna()] = "stated"
    status[frame["document_number"].isin(TALLIED_CHINA_COUNTS)] = "tallied"
    # A rule is dated by when it took effect (Huawei's: May 16, 2019, published May 21); the
    # publication date stands in where no effective date is stated. Public from the earlier.
    date = effective.fillna(publication)
    date_basis = pd.Series(pd.NA, index=frame.index, dtype="str")
    date_basis[effective.notna()] = "effective"
    date_basis[effective.isna() & publication.notna()] = "publication (effective date not stated)"
    public = pd.concat([effective, publication], axis=1).min(axis=1)
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
            "notable_entities": verified_names(frame, "notable_entities"),
            "stated_reason": frame["stated_reason"],
            "source_url": first_url(frame["source_url"]),
            "source_urls": frame["source_url"],
            "known_since": public,
            "raw_file": frame["raw_file"],
            "raw_row": frame["raw_row"],
        }
    )
    return schemas.validate("rules", rules, snapshot.where(sources.RULES))


LIVE_DOCUMENTS = "fr-documents.json"


def live_action(title: str) -> str:
    """Read a rule's action from its Federal Register title."""
    if re.search(r"\bAddition", title):
        return "add"
    if re.search(r"\bRemoval", title):
        return "remove"
    return "revise"


def live_rules(snapshot: Snapshot, known: set[str]) -> pd.DataFrame:
    """Rules from the newest live snapshot that the pack lacks, with counts from abstracts.

    Only a rule whose abstract states a number of entries under China is kept: without it
    the desk cannot tell whether the rule touches China at all.
    """
    found = sorted((snapshot.raw_dir / "live").glob(f"*/{LIVE_DOCUMENTS}"))
    if not found:
        return pd.DataFrame()
    path = found[-1]
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
                "raw_file": path.relative_to(snapshot.raw_dir).as_posix(),
            }
        )
    return pd.DataFrame(rows, dtype="str").astype({"raw_row": "int64"}) if rows else pd.DataFrame()


# ---------------------------------------------------------------------------------------
# The 28 entries of the Oct. 9, 2019 rule


def kind_detail(kind: pd.Series, name: pd.Series) -> pd.Series:
    """Split the government entries into the regional bureau and its subordinate bureaus."""
    regional = name.fillna("").str.contains("Autonomous Region", regex=False) & name.fillna(
        ""
    ).str.contains("People", regex=False)
    detail = kind.map({"company": "company", "institute": "institute"}).astype("str")
    detail[(kind == "government") & regional] = "regional public security bureau"
    detail[(kind == "government") & ~regional] = "subordinate public security bureau"
    return detail


def unverified(frame: pd.DataFrame) -> pd.Series:
    """Rows whose name the pack still marks unverified or a candidate: never published."""
    status = frame["candidate_status"].fillna("").str.lower()
    return status.str.startswith(("unverified", "candidate")) | frame["csl_name"].isna()


def clean_entries(snapshot: Snapshot) -> pd.DataFrame:
    """The 28 entries of the rule: kind, the name as announced, and the list's 2026 name.

    `name` is the entry's name on the official list (its 2026 spelling), the name pages
    print; `name_2019` is the name as 2019 reports gave it, where they did.
    """
    frame = with_source(snapshot.table(sources.ENTRIES), snapshot, sources.ENTRIES)
    entry_no = parse_numbers(frame, "entry_no", integer=True)
    if unverified(frame).any():
        bad = frame.loc[unverified(frame), "entry_no"]
        raise_unparseable(frame, "candidate_status", bad, "a verified name (csl_name given)")
    companies = company_table()
    company = entry_no.map(dict(zip(companies["entry_no"], companies["slug"], strict=True)))
    from_list = frame["name_source_url"].fillna("").str.contains("trade.gov", regex=False)
    announced_day = parse_dates(frame, "publication_date")
    entries = pd.DataFrame(
        {
            "entry_no": entry_no,
            "name": frame["csl_name"],
            "name_2019": frame["entry_name"].where(~from_list),
            "kind": frame["kind"],
            "kind_detail": kind_detail(frame["kind"], frame["csl_name"]),
            "company": company.astype("str"),
            "license_requirement": frame["license_requirement"],
            "license_review_policy": frame["license_review_policy"],
            "citation": frame["citation"],
            "publication_date": announced_day,
            "name_source_url": first_url(frame["name_source_url"]),
            "name_known_since": announced_day.where(~from_list, SCREENING_LIST_DAY),
            "known_since": announced_day,
            "raw_file": frame["raw_file"],
            "raw_row": frame["raw_row"],
        }
    )
    return schemas.validate("entries_2019", entries, snapshot.where(sources.ENTRIES))


# ---------------------------------------------------------------------------------------
# Events


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


def clean_events(snapshot: Snapshot) -> pd.DataFrame:
    """Dated events of the story, with how each date is known and which companies they name."""
    frame = with_source(snapshot.table(sources.EVENTS), snapshot, sources.EVENTS)
    date = parse_dates(frame, "date")
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
            "companies": mentions(frame["event"] + " " + frame["actor"], company_table()),
            "source_url": first_url(frame["source_url"]),
            "source_urls": frame["source_url"],
            "known_since": date,
            "raw_file": frame["raw_file"],
            "raw_row": frame["raw_row"],
        }
    )
    return schemas.validate("events", events, snapshot.where(sources.EVENTS))


# ---------------------------------------------------------------------------------------
# Company figures


def parse_periods(period: pd.Series) -> pd.DataFrame:
    """Split labels such as 'FY2018', 'H1-2019' or 'FY2018 (implied: …)' into parts."""
    parts = period.str.extract(r"^(?P<period_type>FY|H1)-?(?P<year>\d{4})(?P<rest>.*)$")
    period_type = parts["period_type"].fillna("unspecified").astype("str")
    year = pd.to_numeric(parts["year"], errors="coerce").astype("Int64")
    text_year = year.astype("str")
    start = pd.to_datetime(text_year + "-01-01", format="%Y-%m-%d", errors="coerce")
    month_end = period_type.map({"FY": "-12-31", "H1": "-06-30"})
    end = pd.to_datetime(text_year + month_end, format="%Y-%m-%d", errors="coerce")
    label = (period_type + " " + text_year).where(year.notna(), period)
    inferred = parts["rest"].fillna("").str.contains("implied", regex=False)
    return pd.DataFrame(
        {
            "period": label.astype("str"),
            "period_type": period_type,
            "year": year,
            "period_start": start,
            "period_end": end,
            "period_inferred": inferred,
        }
    )


def overseas_definition(notes: pd.Series) -> pd.Series:
    """Code which 'overseas' a figure measures; Hikvision reports two (see the pack README).

    Codes, not words: notebooks/words.yaml gives each its reader's words. A definition
    a note rules out ("NOT 'overseas main business'") says nothing of the figure's own.
    """
    text = notes.fillna("").str.lower().str.replace(r"\bnot '[^']*'", "", regex=True)
    definition = pd.Series("not_stated", index=notes.index, dtype="str")
    definition[text.str.contains("region")] = "regional"
    definition[text.str.contains(r"main[ -]business", regex=True)] = "main_business"
    definition[text.str.contains("total minus mainland", regex=False)] = "outside_mainland"
    return definition


def revenue_definition(notes: pd.Series) -> pd.Series:
    """Code the basis of a total-revenue figure; Megvii's two prospectuses must not splice."""
    definition = pd.Series("as_reported", index=notes.index, dtype="str")
    definition[notes.fillna("").str.contains("HK prospectus", regex=False)] = "hk_prospectus"
    definition[notes.fillna("").str.contains("STAR Market", regex=False)] = "star_prospectus"
    return definition


# The pack flags a row's own approximations: "APPROXIMATE: 'nearly 30 per cent'", "Figures are
# rounded ('approximately')". Lower-case "approximate" describes other rows ("replaces the
# approximate 'nearly 30%' wire rows") and flags nothing.
APPROXIMATE_FLAG = re.compile(r"APPROXIMATE|\bare rounded\b")
APPROXIMATE_WORD = re.compile(
    r"(?:APPROXIMATE|\bare rounded)\W*(?P<word>nearly|almost|about|around|approximately)\b"
)


def qualifier(notes: pd.Series, metric: str) -> pd.Series:
    """The source's own word for an approximate figure ('nearly' 30%), or missing when exact.

    A share keeps the source's word; an amount the source rounds reads 'about'. "Figures are
    rounded" concerns the amounts of its row, not a percentage stated to two decimals.
    """
    text = notes.fillna("")
    word = text.str.extract(APPROXIMATE_WORD)["word"]
    flagged = text.str.contains(APPROXIMATE_FLAG)
    if metric == "overseas_share":
        flagged &= text.str.contains("APPROXIMATE", regex=False)
        chosen = word.fillna("about").where(flagged)
    else:
        chosen = pd.Series("about", index=notes.index, dtype="object").where(flagged)
    return chosen.replace({"approximately": "about"}).astype("str").where(chosen.notna())


def confidence(
    notes: pd.Series, inferred: pd.Series, computed: pd.Series, metric: str
) -> pd.Series:
    """Grade each figure; the pack's notes flag doubts in capitals (UNVERIFIED, APPROXIMATE).

    "INFERRED: overseas …" concerns only the overseas figures of its row, not the total.
    """
    text = notes.fillna("")
    flagged = text.str.contains("INFERRED", regex=False)
    if metric == "total_revenue":
        flagged &= ~text.str.contains(r"INFERRED: overseas", regex=True)
    level = pd.Series("stated", index=notes.index, dtype="str")
    level[computed] = "computed"
    level[qualifier(notes, metric).notna()] = "approximate"
    level[inferred | flagged] = "inferred"
    level[text.str.contains("UNVERIFIED", regex=False)] = "unverified"
    return level


PROSPECTUS = re.compile(r"prospectus", re.IGNORECASE)
PROSPECTUS_DATE = re.compile(
    r"prospectus[^.;]{0,40}?\(?(?P<month>" + "|".join(MONTHS) + r")[a-z]*\.? (?P<year>20\d\d)"
    r"|prospectus figures, (?P<year_only>20\d\d)",
    re.IGNORECASE,
)
# The report's own date, where the first sentence of the notes gives it ("Reuters factbox
# (9 Oct 2019)", "Yicai Global, 10 Oct 2019"); a page snapshot's date is not a report's.
SOURCE_DATE = re.compile(
    r"^[^.]*?(?:\(|, )(?P<date>(?:\d{1,2} )?(?:" + "|".join(MONTHS) + r")[a-z]*\.? 20\d\d)\)?",
    re.IGNORECASE,
)


def prospectus_day(notes: str) -> pd.Timestamp | None:
    """The filing month (its last day) or year (Dec. 31) of the prospectus a note names."""
    found = PROSPECTUS_DATE.search(notes)
    if not found:
        return None
    if found["year_only"]:
        return pd.Timestamp(year=int(found["year_only"]), month=12, day=31)
    month = MONTHS.index(found["month"][:3].lower()) + 1
    return pd.Timestamp(year=int(found["year"]), month=month, day=1) + pd.offsets.MonthEnd(0)


def source_day(notes: str) -> pd.Timestamp | None:
    """The date a note's first sentence gives for its report, unless it is a page snapshot."""
    found = SOURCE_DATE.search(notes)
    if not found or "snapshot" in found.group(0).lower():
        return None
    return latest_date_in(found["date"])


def results_day(period_type: str, year: int) -> pd.Timestamp | None:
    """When results for a period were due: annual by April 30 next year, half-year by Aug. 31."""
    if pd.isna(year):
        return None
    if period_type == "FY":
        return pd.Timestamp(year=int(year) + 1, month=4, day=30)
    if period_type == "H1":
        return pd.Timestamp(year=int(year), month=8, day=31)
    return None


def known_since(frame: pd.DataFrame, periods: pd.DataFrame, slug: pd.Series) -> pd.DataFrame:
    """The day each figure became public, and which rule of KNOWN_SINCE_RULES gave it."""
    notes = frame["notes"].fillna("")
    cited = notes.map(prospectus_day)
    # A row that cites a prospectus without its date: the company's earliest prospectus.
    earliest = cited.groupby(slug).min()
    days, bases = [], []
    for i in frame.index:
        if PROSPECTUS.search(notes[i]):
            day = cited[i] if pd.notna(cited[i]) else earliest.get(slug[i])
            days.append(day)
            bases.append("prospectus" if pd.notna(day) else "undated")
            continue
        stated = source_day(notes[i])
        if stated is not None:
            days.append(stated)
            bases.append("source date")
            continue
        due = results_day(periods.at[i, "period_type"], periods.at[i, "year"])
        days.append(due)
        kind = {"FY": "annual results", "H1": "half-year results"}
        bases.append(kind.get(periods.at[i, "period_type"], "undated"))
    return pd.DataFrame(
        {"known_since": pd.to_datetime(pd.Series(days, index=frame.index)), "known_basis": bases}
    )


def check_amounts(frame: pd.DataFrame, values: dict[str, pd.Series]) -> None:
    """Cross-field checks: overseas within total, a computed share equal to its quotient."""
    total, overseas = values["total_revenue"], values["overseas_revenue"]
    share = values["overseas_share"]
    # A negative amount is the schema's to name (value >= 0); compare only real amounts.
    over = ((overseas > total) & (total >= 0)).fillna(False)
    if over.any():
        i = over[over].index[0]
        msg = (
            f"data/raw/{frame.at[i, 'raw_file']}: row {frame.at[i, 'raw_row']}: "
            f"overseas_revenue {overseas[i]:,g} exceeds total_revenue {total[i]:,g}"
        )
        raise RawDataError(msg)
    computed = frame["share_basis"] == "computed"
    quotient = 100 * overseas / total
    # Shares are stated to two decimals: a computed share within 0.1 point of its quotient.
    off = (computed & ((share - quotient).abs() > 0.1)).fillna(False)
    if off.any():
        i = off[off].index[0]
        msg = (
            f"data/raw/{frame.at[i, 'raw_file']}: row {frame.at[i, 'raw_row']}: "
            f"overseas_share_pct {share[i]:g} is marked computed, but overseas_revenue / "
            f"total_revenue is {quotient[i]:.2f}%"
        )
        raise RawDataError(msg)


# Raw column -> (metric, unit) of the long table.
FINANCIAL_METRICS = {
    "total_revenue": ("total_revenue", "CNY million"),
    "overseas_revenue": ("overseas_revenue", "CNY million"),
    "overseas_share_pct": ("overseas_share", "percent"),
}


def financial_rows(snapshot: Snapshot) -> pd.DataFrame:
    """Every figure of the revenue table in long form, unverified ones included."""
    return snapshot.once("financial rows", lambda: long_financials(snapshot))


def long_financials(snapshot: Snapshot) -> pd.DataFrame:
    """Read, check and lengthen the revenue table (see financial_rows)."""
    frame = with_source(snapshot.table(sources.REVENUE), snapshot, sources.REVENUE)
    periods = parse_periods(frame["period"])
    slug = company_slugs(frame)
    values = {
        metric: parse_numbers(frame, column) for column, (metric, _) in FINANCIAL_METRICS.items()
    }
    check_amounts(frame, values)
    dated = known_since(frame, periods, slug)
    long = []
    for metric, unit in FINANCIAL_METRICS.values():
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
                "value": values[metric],
                "unit": unit,
                "definition": definition,
                "qualifier": qualifier(frame["notes"], metric),
                "confidence": confidence(
                    frame["notes"], periods["period_inferred"], computed, metric
                ),
                "source": frame["source_url"],
                "source_url": first_url(frame["source_url"]),
                **dated,
                "raw_file": frame["raw_file"],
                "raw_row": frame["raw_row"],
            }
        )
        long.append(part[values[metric].notna()])
    return (
        pd.concat(long, ignore_index=True)
        .drop(columns="period_inferred")
        .sort_values(["company", "period_end", "metric", "raw_row"], kind="stable")
        .reset_index(drop=True)
    )


def clean_financials(snapshot: Snapshot) -> pd.DataFrame:
    """Company figures, one stated number per row, with definition, confidence and date known.

    Figures the pack marks unverified are not kept (see clean_withheld).
    """
    rows = financial_rows(snapshot)
    kept = rows[rows["confidence"] != "unverified"].reset_index(drop=True)
    return schemas.validate("financials", kept, snapshot.where(sources.REVENUE))


def clean_withheld(snapshot: Snapshot) -> pd.DataFrame:
    """What the pack holds but pages may not show, described without the values themselves."""
    rows = financial_rows(snapshot)
    held = rows[rows["confidence"] == "unverified"]
    names = company_table().set_index("slug")["name"]
    said = config.wording().withheld
    metrics = held["metric"].map(lambda code: config.given(said.metrics, code, "withheld.metrics"))
    withheld = pd.DataFrame(
        {
            "table": "financials",
            "what": filled(
                said.unverified.what,
                company=held["company"].map(names),
                period=held["period"],
                metric=metrics,
            ),
            "reason": filled(said.unverified.why, source=held["source"]),
            "known_since": held["known_since"],
            "raw_file": held["raw_file"],
            "raw_row": held["raw_row"],
        }
    )
    withheld = pd.concat([withheld, uncited(snapshot)], ignore_index=True)
    return schemas.validate("withheld", withheld, snapshot.where(sources.REVENUE))


def filled(line: str, **values: pd.Series | str) -> pd.Series:
    """A words line (words.yaml) filled in for each row from its values; blank where one of
    them is blank, as the schema then says."""
    columns = pd.DataFrame(values)
    lines = [
        pd.NA if any(pd.isna(v) for v in row.values()) else line.format(**row)
        for row in columns.to_dict("records")
    ]
    return pd.Series(lines, index=columns.index, dtype="object")


# What a row is about, by the columns that name it (never its figures).
ABOUT = ("company", "date", "period", "actor", "supplier", "partner", "document_number")


def uncited(snapshot: Snapshot) -> pd.DataFrame:
    """Rows of every pack table withheld because no source they cite may carry them."""
    found = []
    for table, raw in ((t, r) for t, names in sources.RAW_SOURCES.items() for r in names):
        if table in {"withheld", "companies"} or not sources.RAW_TABLES[raw].csv:
            continue
        frame = snapshot.table(raw)
        where = snapshot.where(raw).removeprefix("data/raw/")
        _, held = cited(frame.assign(raw_file=where, raw_row=range(1, len(frame) + 1)))
        if held.empty:
            continue
        about = held[[c for c in ABOUT if c in held]].astype("string").fillna("")
        said = config.wording().withheld.uncited
        found.append(
            pd.DataFrame(
                {
                    "table": table,
                    "what": filled(said.what, file=raw, about=about.agg(", ".join, axis=1)),
                    "reason": filled(said.why, reasons=held["reason"]),
                    # An event is known from its day; other rows' dates need their cleaner.
                    "known_since": pd.to_datetime(held.get("date"), errors="coerce"),
                    "raw_file": held["raw_file"],
                    "raw_row": held["raw_row"],
                }
            )
        )
    columns = ["table", "what", "reason", "known_since", "raw_file", "raw_row"]
    return pd.concat([pd.DataFrame(columns=columns), *found], ignore_index=True)


# ---------------------------------------------------------------------------------------
# Suppliers and university ties


COUNTRY_PART = re.compile(r"^(?P<country>[A-Z][A-Za-z .'-]*?)\s*(?:\((?P<note>.*)\))?\s*$")


def country_and_basis(country: pd.Series, notes: pd.Series) -> pd.DataFrame:
    """Keep each supplier's country as the source states it, and how it is known."""
    text = country.fillna("")
    parts = text.str.extract(COUNTRY_PART)
    named = parts["country"].where(~text.str.startswith("not stated")).astype("str")
    note = parts["note"].fillna("")
    basis = pd.Series("stated in source", index=country.index, dtype="str")
    basis[note.str.contains("not stated in this source", regex=False)] = (
        "desk: not stated in this source"
    )
    basis[note.str.contains("as described by", regex=False)] = "as described by source"
    basis[named.isna()] = "not stated in source"
    disputed = notes.fillna("").str.contains("disputed", regex=False)
    basis[disputed] = basis[disputed] + "; disputed"
    return pd.DataFrame({"supplier_country": named, "country_basis": basis})


def supplier_key(supplier: pd.Series) -> pd.Series:
    """Normalise supplier names so 'Seagate Technology' and 'Seagate' count once."""
    bare = supplier.str.replace(r"\s*\(.*\)$", "", regex=True)
    return bare.str.replace(r"\s+(Technology|Inc\.?|Corp\.?)$", "", regex=True).astype("str")


def supplier_relation(component: pd.Series) -> pd.Series:
    """'benchmark' where the source names the product only as a yardstick ("A800 used as
    benchmark"), which says nothing of supply; else 'supplier'."""
    benchmark = component.fillna("").str.contains(r"\bbenchmark", case=False, regex=True)
    return pd.Series("supplier", index=component.index, dtype="str").mask(benchmark, "benchmark")


def clean_suppliers(snapshot: Snapshot) -> pd.DataFrame:
    """Suppliers named for each company, with country as stated, how it is known, component."""
    frame = with_source(snapshot.table(sources.SUPPLIERS), snapshot, sources.SUPPLIERS)
    reported = reported_by(frame["notes"], bare_years=False)
    suppliers = pd.DataFrame(
        {
            "company": company_slugs(frame),
            "supplier": frame["supplier"],
            "supplier_key": supplier_key(frame["supplier"]),
            "named": ~frame["supplier"].str.startswith("unnamed"),
            **country_and_basis(frame["supplier_country"], frame["notes"]),
            "component": frame["component"],
            "relation": supplier_relation(frame["component"]),
            "reported_by": reported,
            "source_url": first_url(frame["source_url"]),
            "known_since": reported,
            "raw_file": frame["raw_file"],
            "raw_row": frame["raw_row"],
        }
    )
    return schemas.validate("suppliers", suppliers, snapshot.where(sources.SUPPLIERS))


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


def institutions_of(frame: pd.DataFrame, where: str) -> pd.DataFrame:
    """Resolve each tie's partner to an institution (notebooks/institutions.yaml).

    A partner the file calls unnamed has no institution; one the file does not know stops the
    cleaning, naming the row: a new spelling is the desk's call, never a guess.
    """
    registry = config.institutions()
    ids = {p: i.id for i in registry.institutions for p in i.partners}
    names = {i.id: i.name for i in registry.institutions}
    ties = frame[~own_presence(frame["relationship_type"])]
    unknown = ties[~ties["partner"].isin([*ids, *registry.unnamed])]
    if len(unknown):
        row = unknown.iloc[0]
        msg = (
            f"{where}: row {row['raw_row']}: partner {row['partner']!r} is not in "
            "notebooks/institutions.yaml; add it to an institution's partners, or to unnamed"
        )
        raise RawDataError(msg)
    institution = frame["partner"].map(ids).where(~own_presence(frame["relationship_type"]))
    return pd.DataFrame(
        {
            "institution": institution.astype("str").where(institution.notna()),
            "institution_name": institution.map(names),
        }
    )


def own_presence(relationship_type: pd.Series) -> pd.Series:
    """True for a company's own offices abroad, listed beside ties but not ties."""
    return relationship_type.fillna("").str.startswith("own ")


def clean_partnerships(snapshot: Snapshot) -> pd.DataFrame:
    """University and institution ties, and what became of each, one row per reported status."""
    frame = with_source(snapshot.table(sources.PARTNERSHIPS), snapshot, sources.PARTNERSHIPS)
    reported = reported_by(frame["status_change"], frame["started"])
    partnerships = pd.DataFrame(
        {
            "company": company_slugs(frame),
            "partner": frame["partner"],
            **institutions_of(frame, snapshot.where(sources.PARTNERSHIPS)),
            "partner_country": frame["partner_country"],
            "started": frame["started"],
            "status_change": frame["status_change"],
            "outcome": outcome(frame["status_change"]),
            "relationship_type": frame["relationship_type"],
            "is_partnership": ~own_presence(frame["relationship_type"]),
            "reported_by": reported,
            "source_url": first_url(frame["source_url"]),
            "known_since": reported,
            "raw_file": frame["raw_file"],
            "raw_row": frame["raw_row"],
        }
    )
    return schemas.validate("partnerships", partnerships, snapshot.where(sources.PARTNERSHIPS))


def clean_us_share(snapshot: Snapshot) -> pd.DataFrame:
    """A company's share of sales in a US market, of the base the source names."""
    frame = with_source(snapshot.table(sources.US_SHARE), snapshot, sources.US_SHARE)
    periods = parse_periods(frame["period"])
    slug = company_slugs(frame)
    dated = known_since(frame, periods, slug)
    table = pd.DataFrame(
        {
            "company": slug,
            "period": periods["period"],
            "year": periods["year"],
            "market": frame["market"],
            "share_pct": parse_numbers(frame, "share_pct"),
            "share_of": frame["share_of"],
            "source_url": first_url(frame["source_url"]),
            "known_since": dated["known_since"],
            "raw_file": frame["raw_file"],
            "raw_row": frame["raw_row"],
        }
    )
    return schemas.validate("us_share", table, snapshot.where(sources.US_SHARE))


# ---------------------------------------------------------------------------------------
# The official list


def screening_parties(snapshot: Snapshot) -> pd.DataFrame:
    """Every party of the current Consolidated Screening List, read from whichever shape."""
    return snapshot.once(
        "screening parties",
        lambda: csl.read(
            snapshot.data(sources.SCREENING_LIST), snapshot.where(sources.SCREENING_LIST)
        ),
    )


def clean_entity_list(snapshot: Snapshot) -> pd.DataFrame:
    """The Entity List as the official screening list holds it, one row per entry."""
    table = csl.entity_list(screening_parties(snapshot)).assign(
        known_since=SCREENING_LIST_DAY,
        raw_file=snapshot.where(sources.SCREENING_LIST).removeprefix("data/raw/"),
    )
    return schemas.validate("entity_list", table, snapshot.where(sources.SCREENING_LIST))


def clean_entity_citations(snapshot: Snapshot) -> pd.DataFrame:
    """Every Federal Register citation of every Entity List entry, parsed, in order."""
    table = csl.entity_citations(screening_parties(snapshot)).assign(
        known_since=SCREENING_LIST_DAY,
        raw_file=snapshot.where(sources.SCREENING_LIST).removeprefix("data/raw/"),
    )
    return schemas.validate("entity_citations", table, snapshot.where(sources.SCREENING_LIST))


# ---------------------------------------------------------------------------------------
# Companies


def clean_companies(snapshot: Snapshot) -> pd.DataFrame:
    """The eight companies as the desk writes them, with the name the rule listed."""
    companies = company_table()
    entries = snapshot.table(sources.ENTRIES).set_index("entry_no")
    listed = companies["entry_no"].astype("str").map(entries["entry_name"])
    missing = companies.loc[listed.isna(), "slug"]
    if len(missing):
        msg = f"companies.yaml: {missing.iloc[0]}: entry_no not found in {sources.ENTRIES}"
        raise RawDataError(msg)
    table = pd.DataFrame(
        {
            "company": companies["slug"],
            "name": companies["name"],
            "name_zh": companies["name_zh"],
            "entry_no": companies["entry_no"],
            "listed_as": listed,
            "match": companies["match"],
        }
    )
    return schemas.validate("companies", table, "notebooks/companies.yaml")


CLEANERS: dict[str, Callable[[Snapshot], pd.DataFrame]] = {
    "rules": clean_rules,
    "entries_2019": clean_entries,
    "events": clean_events,
    "financials": clean_financials,
    "withheld": clean_withheld,
    "suppliers": clean_suppliers,
    "partnerships": clean_partnerships,
    "us_share": clean_us_share,
    "companies": clean_companies,
    "entity_list": clean_entity_list,
    "entity_citations": clean_entity_citations,
}


def check_named_on_list(tables: dict[str, pd.DataFrame], snapshot: Snapshot) -> None:
    """Refuse an entry of the rule whose list name (csl_name) is no Entity List name on the
    screening list: a cut or misspelt name would be published as the list's."""
    listed = set(tables["entity_list"]["name"])
    entries = tables["entries_2019"]
    missing = entries[~entries["name"].isin(listed)]
    if len(missing):
        row = missing.iloc[0]
        msg = (
            f"{snapshot.where(sources.ENTRIES)}: row {row['raw_row']}, column csl_name: "
            f"{row['name']!r} is not a name on the screening list's Entity List; copy it "
            "from the list"
        )
        raise RawDataError(msg)


def clean_all(snapshot: Snapshot | None = None) -> dict[str, pd.DataFrame]:
    """Build every processed table in memory; nothing is written if any table fails."""
    snapshot = snapshot or Snapshot()
    tables = {name: cleaner(snapshot) for name, cleaner in CLEANERS.items()}
    check_named_on_list(tables, snapshot)
    return tables


def write_processed(tables: dict[str, pd.DataFrame], out) -> list:
    """Write each table as CSV, plus the data dictionary, atomically file by file."""
    written = []
    for name, table in tables.items():
        path = out / f"{name}.csv"
        atomic.write_csv(path, table)
        written.append(path)
    written.append(schemas.write_datapackage(tables, out))
    return written
