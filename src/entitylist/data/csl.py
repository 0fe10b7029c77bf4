"""The Consolidated Screening List in any of its three shapes, and its Entity List as tables.

Pure functions: no network, no files written. `read` takes the bytes of trade.gov's JSON
(consolidated.json), trade.gov's CSV (consolidated.csv) or the compact JSON of the desk's
2026 copy and returns one frame of listed parties with the same columns whatever the shape.
`entity_list` and `entity_citations` turn its Entity List rows into the processed tables.
Every failure is a ParseError that names the file and, where there is one, the row.
"""

import csv
import functools
import io
import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, TypeAdapter, ValidationError

from entitylist import characters
from entitylist.data.sources import decode as decode_source
from entitylist.errors import ParseError

EL_SOURCE = "Entity List (EL) - Bureau of Industry and Security"
# The Federal Register's first volume is that of 1936: year = volume + 1935.
VOLUME_YEAR = 1935
COMPACT, TRADE_GOV_JSON, TRADE_GOV_CSV = "compact JSON", "trade.gov JSON", "trade.gov CSV"
# The CSV columns the desk reads; trade.gov's other columns are ignored.
CSV_COLUMNS = (
    "source",
    "name",
    "alt_names",
    "addresses",
    "federal_register_notice",
    "license_requirement",
    "license_policy",
)
CSV_OPTIONAL = ("type", "entity_number")
PARTY_COLUMNS = (
    "raw_row",
    "source",
    "name",
    "aliases",
    "countries",
    "fr_text",
    "license_requirement",
    "license_policy",
    "type",
    "entity_number",
    "repaired",
)
ENTITY_LIST_COLUMNS = (
    "entry_id",
    "entry_key",
    "name",
    "aliases",
    "countries",
    "china",
    "hong_kong",
    "license_requirement",
    "license_policy",
    "fr_text",
    "first_citation",
    "first_volume",
    "first_page",
    "first_year",
    "citation_status",
    "citations",
    "repaired",
    "raw_row",
)
CITATION_COLUMNS = (
    "entry_id",
    "entry_key",
    "position",
    "citation",
    "volume",
    "page",
    "year",
    "note",
    "piece",
    "status",
    "repeat",
    "raw_row",
)
# A shape's reader gives its parties column by column, before tidy() brings them to one form.
Columns = Mapping[str, pd.Series | list[str]]

# "84 FR 54002", "82 F.R. 48792", "80FR 69852", "84 fr 40241", and the State Department's
# "Vol. 83, No. 91, 05/10/2018"; a volume never follows a letter, digit or full stop.
_HEAD = re.compile(
    r"(?<![\w.])(?P<volume>[1-9]\d{0,2})\s*F\.?\s*R\.?(?![A-Za-z])"
    r"|\bVol\.?\s*(?P<vol>[1-9]\d{0,2})(?!\d)",
    re.IGNORECASE,
)
# What follows a volume: the page, or "no. 242 pg. 78146"; a date's "8/" is not a page.
_BODY = re.compile(
    r"(?:(?P<issue>no\.\s*\d+)\s*,?\s*pg\.?\s*)?(?P<page>\d{1,6})(?![\d/])(?P<note>.*)",
    re.IGNORECASE | re.DOTALL,
)
_EDGE = re.compile(r"^(?:[\s,;.]|\band\b)+|(?:[\s,;.]|\band\b)+$", re.IGNORECASE)
# C1 controls that Windows-1252 maps to a character (0x81, 0x8D, 0x8F, 0x90, 0x9D it does not).
_C1 = re.compile("[\x80\x82-\x8c\x8e\x91-\x9c\x9e\x9f]")
# An address item of the CSV ends in its country: ISO-2 ("..., Kowloon, HK"; or only "CN"),
# or, as the JSON shapes show, a name in capitals ("CRIMEA (OCCUPIED)"); a city is not.
_CSV_COUNTRY = re.compile(r"(?:^|[,;])\s*([A-Z]{2}|[A-Z][A-Z ()]{2,}[A-Z)])\s*(?=;|$)")


@dataclass(frozen=True)
class Citation:
    """One Federal Register citation of an entry, as far as its text could be read."""

    position: int
    piece: str
    volume: int | None = None
    page: int | None = None
    note: str | None = None
    repeat: bool = False

    @property
    def status(self) -> str:
        """'parsed' (volume and page), 'partial' (volume only), 'unparsed', or 'none' (blank)."""
        if not self.piece:
            return "none"
        if self.volume is None:
            return "unparsed"
        return "parsed" if self.page is not None else "partial"

    @property
    def year(self) -> int | None:
        """The year of the volume: volume 84 is 2019."""
        return None if self.volume is None else self.volume + VOLUME_YEAR

    @property
    def citation(self) -> str | None:
        """The citation written the one way, '84 FR 54002'; None without a page."""
        return None if self.page is None else f"{self.volume} FR {self.page}"


NO_CITATION = Citation(0, "")


def trim(text: str) -> str:
    """Strip separators, spaces and a dangling 'and' from both ends of a citation piece."""
    return _EDGE.sub("", text)


def read_body(body: str) -> tuple[int | None, str | None]:
    """Read what follows a volume: the page, and the note after it kept as written."""
    found = _BODY.fullmatch(body)
    if not found:
        return None, body or None
    note = " ".join(part for part in (found["issue"], trim(found["note"])) if part)
    return int(found["page"]), note or None


def parse_citations(text: str | None) -> list[Citation]:
    """Split an entry's federal_register_notice into citations, in the list's order."""
    text = (text or "").strip()
    heads = list(_HEAD.finditer(text))
    starts = [head.start() for head in heads] + [len(text)]
    citations: list[Citation] = []
    # Text before the first volume is no citation that can be read, but it is kept.
    if lead := trim(text[: starts[0]]):
        citations.append(Citation(1, lead))
    seen: set[tuple[int, int]] = set()
    for head, end in zip(heads, starts[1:], strict=True):
        volume = int(head["volume"] or head["vol"])
        page, note = read_body(trim(text[head.end() : end]))
        repeat = (volume, page) in seen
        if page is not None:
            seen.add((volume, page))
        piece = trim(text[head.start() : end])
        citations.append(Citation(len(citations) + 1, piece, volume, page, note, repeat))
    return citations


# --- reading the three shapes ---------------------------------------------------------------


class CompactEntry(BaseModel):
    """One row of the compact file's `entries`; its keys are explained in its `fieldKey`."""

    model_config = ConfigDict(extra="ignore")
    n: str
    s: int
    a: tuple[str | None, ...] = ()
    c: tuple[str | None, ...] = ()
    t: str | None = None
    e: str | int | None = None
    lr: int | None = None
    lp: int | None = None
    fr: str | None = None


class CompactTables(BaseModel):
    """The compact file's tables of repeated strings, which entries point into."""

    model_config = ConfigDict(extra="ignore")
    sources: list[str]
    licenceRequirements: list[str] = []  # noqa: N815  (the file's own key)
    licencePolicies: list[str] = []  # noqa: N815


class Address(BaseModel):
    """One address of a trade.gov result; only its country is read."""

    model_config = ConfigDict(extra="ignore")
    country: str | None = None


class Result(BaseModel):
    """One listed party of trade.gov's consolidated.json `results`."""

    model_config = ConfigDict(extra="ignore")
    source: str
    name: str | None = None
    alt_names: list[str | None] | None = None
    addresses: list[Address | None] | None = None
    federal_register_notice: str | None = None
    license_requirement: str | None = None
    license_policy: str | None = None
    type: str | None = None
    entity_number: str | int | None = None


def validated(adapter: TypeAdapter, value: object, where: str, rows: str) -> list:
    """Validate JSON rows with pydantic; raise ParseError naming the first bad row and key."""
    try:
        return adapter.validate_python(value)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = first["loc"]
        row = f"{rows}[{loc[0]}]" if loc and isinstance(loc[0], int) else rows
        key = ".".join(str(part) for part in loc[1:])
        at = f", key {key!r}" if key else ""
        msg = f"{where}: {row}{at}: {first['msg'].lower()} (got {first['input']!r:.60})"
        raise ParseError(msg) from None


_COMPACT_ROWS = TypeAdapter(list[CompactEntry])
_RESULTS = TypeAdapter(list[Result])


def lookup(table: list[str], index: int | None, where: str, row: int, key: str) -> str:
    """Return a compact entry's string from one of the file's tables ('' without an index)."""
    if index is None:
        return ""
    if not 0 <= index < len(table):
        msg = f"{where}: entries[{row}], key {key!r}: {index} is not an index into its table"
        raise ParseError(msg)
    return table[index]


def joined(items: Sequence[str | None] | None) -> str:
    """Join a JSON list of strings with ';', leaving out nulls."""
    return ";".join(item for item in items or [] if item is not None)


def optional(value: str | int | None) -> str:
    """A JSON value that may be missing or a number, as text ('' when missing)."""
    return "" if value is None else str(value)


def read_compact(document: dict, where: str) -> Columns:
    """Read the compact JSON: its entries, with their table indices resolved."""
    try:
        tables = CompactTables.model_validate(document["tables"])
    except ValidationError as exc:
        msg = f"{where}: 'tables' malformed ({exc.errors()[0]['msg'].lower()})"
        raise ParseError(msg) from None
    entries = validated(_COMPACT_ROWS, document["entries"], where, "entries")
    return {
        "source": [lookup(tables.sources, e.s, where, i, "s") for i, e in enumerate(entries)],
        "name": [e.n for e in entries],
        "aliases": [joined(e.a) for e in entries],
        "countries": [joined(e.c) for e in entries],
        "fr_text": [optional(e.fr) for e in entries],
        "license_requirement": [
            lookup(tables.licenceRequirements, e.lr, where, i, "lr") for i, e in enumerate(entries)
        ],
        "license_policy": [
            lookup(tables.licencePolicies, e.lp, where, i, "lp") for i, e in enumerate(entries)
        ],
        "type": [optional(e.t) for e in entries],
        "entity_number": [optional(e.e) for e in entries],
    }


def read_trade_gov_json(document: dict, where: str) -> Columns:
    """Read trade.gov's consolidated.json: its `results`, one object per listed party."""
    results = validated(_RESULTS, document["results"], where, "results")
    return {
        "source": [r.source for r in results],
        "name": [optional(r.name) for r in results],
        "aliases": [joined(r.alt_names) for r in results],
        "countries": [
            joined([a.country for a in r.addresses or [] if a is not None]) for r in results
        ],
        "fr_text": [optional(r.federal_register_notice) for r in results],
        "license_requirement": [optional(r.license_requirement) for r in results],
        "license_policy": [optional(r.license_policy) for r in results],
        "type": [optional(r.type) for r in results],
        "entity_number": [optional(r.entity_number) for r in results],
    }


def csv_countries(addresses: str) -> str:
    """Return the countries that end the items of the CSV's addresses field."""
    return ";".join(_CSV_COUNTRY.findall(addresses))


def check_last_row(text: str, where: str, rows: int) -> None:
    """Refuse a CSV cut off mid-row: pandas pads a short last row with blanks, silently."""
    if not rows:
        return
    end = len(text)
    while end and text[end - 1] in "\r\n":
        end -= 1
    start = text.rfind("\n", 0, end)
    # A line break inside quotes belongs to a field; the record starts after one outside them.
    while start > 0 and text.count('"', 0, start) % 2:
        start = text.rfind("\n", 0, start)
    header = next(csv.reader([text[: text.find("\n")]]))
    fields = next(csv.reader([text[start + 1 : end]]))
    if len(fields) < len(header):
        msg = (
            f"{where}: row {rows} has {len(fields)} fields, the header {len(header)}; "
            "the file is cut short"
        )
        raise ParseError(msg)


def read_trade_gov_csv(text: str, where: str) -> Columns:
    """Read trade.gov's consolidated.csv; blanks are blank, 'NA' stays Namibia."""
    wanted = set(CSV_COLUMNS) | set(CSV_OPTIONAL)
    try:
        frame = pd.read_csv(
            io.StringIO(text), dtype=object, na_filter=False, usecols=lambda c: c in wanted
        )
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        msg = f"{where}: malformed CSV ({' '.join(str(exc).split())})"
        raise ParseError(msg) from None
    missing = [column for column in CSV_COLUMNS if column not in frame.columns]
    if missing:
        msg = f"{where}: not the screening list's CSV: column {missing[0]!r} missing"
        raise ParseError(msg)
    check_last_row(text, where, len(frame))
    blank = [""] * len(frame)
    return {
        "source": frame["source"],
        "name": frame["name"],
        "aliases": frame["alt_names"],
        "countries": [csv_countries(item) for item in frame["addresses"].tolist()],
        "fr_text": frame["federal_register_notice"],
        "license_requirement": frame["license_requirement"],
        "license_policy": frame["license_policy"],
        **{name: frame.get(name, blank) for name in CSV_OPTIONAL},
    }


def decode(data: bytes, where: str) -> str:
    """Decode the list's bytes as UTF-8, naming the byte that is not."""
    return decode_source(data, where, ParseError)


def is_json(text: str) -> bool:
    """Whether the text is JSON rather than CSV: a CSV header never opens with a bracket."""
    return text.lstrip().startswith(("{", "["))


def detect(text: str, where: str) -> tuple[str, dict | None]:
    """Tell the three shapes apart by their content; return (shape, parsed JSON or None)."""
    if not text or text.isspace():
        msg = f"{where}: empty; not the screening list"
        raise ParseError(msg)
    if not is_json(text):
        return TRADE_GOV_CSV, None
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        msg = f"{where}: not valid JSON ({exc.msg}, line {exc.lineno}, column {exc.colno})"
        raise ParseError(msg) from None
    if isinstance(document, dict) and {"fieldKey", "tables", "entries"} <= document.keys():
        return COMPACT, document
    if isinstance(document, dict) and "results" in document:
        return TRADE_GOV_JSON, document
    msg = (
        f"{where}: JSON, but not the screening list (neither trade.gov's 'results' nor the "
        "compact file's 'fieldKey', 'tables' and 'entries')"
    )
    raise ParseError(msg)


def suffix(data: bytes, where: str) -> str:
    """The file suffix of the list's bytes: '.json' (either JSON shape) or '.csv'."""
    return ".json" if is_json(decode(data, where)) else ".csv"


def per_value(column: pd.Series | list, function: Callable[[str], object]) -> list:
    """Apply a function once per distinct value: the list repeats most of its texts."""
    values = column.tolist() if isinstance(column, pd.Series) else column
    distinct = dict.fromkeys(values)
    if len(distinct) > len(values) // 2:  # names: nearly all differ, a lookup costs more
        return [function(value) for value in values]
    results = {value: function(value) for value in distinct}
    return [results[value] for value in values]


def repair(text: str) -> str:
    """Put back the character a Windows-1252 byte stood for where it was decoded as Latin-1."""
    if text.isascii():
        return text
    return _C1.sub(lambda m: m.group().encode("latin-1").decode("cp1252"), text)


def repairs(text: str) -> int:
    """How many characters repair() puts back in a text."""
    return 0 if text.isascii() else len(_C1.findall(text))


def stripped(text: str) -> str | None:
    """Text without edge whitespace; blank is missing."""
    return text.strip() or None


def squashed(text: str) -> str | None:
    """Text with runs of whitespace as one space, as the compact file has its licence texts."""
    return " ".join(text.split()) or None


def name_text(name: str) -> str | None:
    """A name repaired and stripped."""
    return stripped(repair(name))


def alias_text(aliases: str) -> str | None:
    """Aliases repaired and '; '-joined: ';' separates aliases in every shape."""
    parts = (part.strip() for part in repair(aliases).split(";"))
    return "; ".join(part for part in parts if part) or None


def country_text(countries: str) -> str | None:
    """The distinct countries, sorted and '; '-joined."""
    codes = {code.strip().upper() for code in countries.split(";")}
    return "; ".join(sorted(code for code in codes if code)) or None


# How each column of a shape's frame becomes a column of the parties frame.
TIDY: dict[str, Callable[[str], str | None]] = {
    "source": stripped,
    "name": name_text,
    "aliases": alias_text,
    "countries": country_text,
    "fr_text": stripped,
    "license_requirement": squashed,
    "license_policy": squashed,
    "type": stripped,
    "entity_number": stripped,
}


def tidy(frame: Columns) -> pd.DataFrame:
    """Bring a shape's frame to the one form: repaired names, blanks missing, one spelling."""
    columns = {name: per_value(frame[name], function) for name, function in TIDY.items()}
    parties = pd.DataFrame(columns, dtype="str")
    parties.insert(0, "raw_row", pd.RangeIndex(1, len(parties) + 1))
    counts = zip(
        per_value(frame["name"], repairs), per_value(frame["aliases"], repairs), strict=True
    )
    parties["repaired"] = pd.Series([a + b for a, b in counts], dtype="int64")
    return parties.loc[:, list(PARTY_COLUMNS)]


READERS = {COMPACT: read_compact, TRADE_GOV_JSON: read_trade_gov_json}


def read(data: bytes, where: str) -> pd.DataFrame:
    """Read the screening list from any of its three shapes: one row per listed party."""
    # Parsing takes seconds, and an update or a render reads the same edition several times:
    # the last few are kept by their bytes, and each caller gets a copy of its own to change.
    return parsed(data, where).copy()


@functools.lru_cache(maxsize=4)
def parsed(data: bytes, where: str) -> pd.DataFrame:
    """The parties of one screening list's bytes (see read); a failure is never kept."""
    text = decode(data, where)
    kind, document = detect(text, where)
    columns = (
        read_trade_gov_csv(text, where) if document is None else READERS[kind](document, where)
    )
    parties = tidy(columns)
    # Only the Entity List is published; other lists keep the source's own unmendable bytes
    # (an ITAR name with U+0081) and are never shown.
    listed = parties[parties["source"] == EL_SOURCE]
    characters.refuse(characters.frame(listed, "raw_row", "entry"), where, ParseError)
    return parties


# --- the processed tables ------------------------------------------------------------------


def entity_list_parties(parties: pd.DataFrame) -> pd.DataFrame:
    """The Entity List rows of the parties, numbered from 1 in the order of the file."""
    rows = parties[parties["source"] == EL_SOURCE].reset_index(drop=True)
    rows.insert(0, "entry_id", pd.Series(range(1, len(rows) + 1), dtype="int64"))
    return rows


def citations_of(rows: pd.DataFrame) -> list[list[Citation]]:
    """Each row's citations, parsed once per distinct text."""
    return per_value(rows["fr_text"].fillna(""), parse_citations)


def has_code(countries: pd.Series, code: str) -> pd.Series:
    """True where the '; '-joined countries include the ISO-2 code."""
    return countries.str.contains(rf"(?:^|; ){code}(?:;|$)", regex=True, na=False)


def numbers(values: list[int | None]) -> pd.Series:
    """Whole numbers where None is missing (through floats: pandas reads None slowly)."""
    return pd.Series(np.array(values, dtype="float64")).astype("Int64")


# The entry key: name | countries | first citation, as the list gives them ('-' for a blank);
# where records share all three, the full citation text (whitespace collapsed) is added, then
# '#2', '#3' in file order if they still share it (written out for readers in the data
# dictionary, notebooks/dictionary.yaml, and the README).
KEY_SEPARATOR = " | "


def entry_keys(names: pd.Series, countries: pd.Series, first: list[str | None], fr_text) -> list:
    """A key per entry that stays the same from one edition of the list to the next.

    Row positions move whenever an entry above is added or removed; an entry's name, countries
    and first citation do not (the key above). A renamed entry gets a new key: a rename is reported
    as one, but the old key is gone.
    """
    base = [
        KEY_SEPARATOR.join(part or "-" for part in parts)
        for parts in zip(names.fillna(""), countries.fillna(""), first, strict=True)
    ]
    shared = pd.Series(base).duplicated(keep=False).tolist()
    full = [" ".join(text.split()) or "-" for text in fr_text.fillna("")]
    keys = [
        f"{b}{KEY_SEPARATOR}{f}" if s else b for b, s, f in zip(base, shared, full, strict=True)
    ]
    seen: dict[str, int] = {}
    numbered = []
    for key in keys:
        seen[key] = seen.get(key, 0) + 1
        numbered.append(key if seen[key] == 1 else f"{key} #{seen[key]}")
    return numbered


def keyed_entity_list_parties(parties: pd.DataFrame) -> tuple[pd.DataFrame, list[list[Citation]]]:
    """The Entity List rows with their entry keys, and each row's citations."""
    rows = entity_list_parties(parties)
    cited = citations_of(rows)
    first = [found[0].citation if found else None for found in cited]
    keys = entry_keys(rows["name"], rows["countries"], first, rows["fr_text"])
    rows.insert(1, "entry_key", pd.Series(keys, dtype="str"))
    return rows, cited


def entity_list(parties: pd.DataFrame) -> pd.DataFrame:
    """The processed `entity_list` table: one row per Entity List entry."""
    rows, cited = keyed_entity_list_parties(parties)
    first = [found[0] if found else NO_CITATION for found in cited]
    table = rows.assign(
        china=has_code(rows["countries"], "CN"),
        hong_kong=has_code(rows["countries"], "HK"),
        first_citation=pd.Series([c.citation for c in first], dtype="str"),
        first_volume=numbers([c.volume for c in first]),
        first_page=numbers([c.page for c in first]),
        first_year=numbers([c.year for c in first]),
        citation_status=[c.status for c in first],
        citations=pd.Series([len(found) for found in cited], dtype="int64"),
    )
    return table.loc[:, list(ENTITY_LIST_COLUMNS)]


def entity_citations(parties: pd.DataFrame) -> pd.DataFrame:
    """The processed `entity_citations` table: one row per entry and citation, in order."""
    rows, cited = keyed_entity_list_parties(parties)
    records = [
        (entry, key, c.position, c.citation, c.volume, c.page, c.year, c.note, c.piece)
        + (c.status, c.repeat, raw_row)
        for entry, key, raw_row, found in zip(
            rows["entry_id"], rows["entry_key"], rows["raw_row"], cited, strict=True
        )
        for c in found
    ]
    table = pd.DataFrame.from_records(records, columns=list(CITATION_COLUMNS))
    types = {"entry_id": "int64", "position": "int64", "repeat": "bool", "raw_row": "int64"}
    types |= {"volume": "Int64", "page": "Int64", "year": "Int64"}
    types |= {name: "str" for name in ("entry_key", "citation", "note", "piece", "status")}
    return table.astype(types)
