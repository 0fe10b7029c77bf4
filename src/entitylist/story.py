"""What a notebook puts on its page: header, prose, sections, tables, timelines, downloads.

Each function returns a Fragment: markup rendered from the package's templates (autoescaped,
so text from data is always text) that JupyterLab and the exported page both show. Prose is
the reporter's Markdown with values from the data inserted after it renders (words.py).
"""

import datetime as dt
import decimal
import hashlib
import numbers
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import pandas as pd
from markupsafe import Markup

from entitylist import config, words
from entitylist.data import publishers
from entitylist.errors import WordsError
from entitylist.pages import templating

ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}(?:[ T]00:00:00)?$")
# `{name}` (str.format) where a value of that name is given: a template not yet in Jinja.
OLD_PLACEHOLDER = re.compile(r"(?<!\{)\{(\w+)\}(?!\})")
YEAR_HEADER = re.compile(r"\byears?\b", re.IGNORECASE)
NUMERIC_KINDS = {"number", "percent", "money"}
# A computed value (1/3) has no stated precision: past this many decimals it is rounded.
MAX_DECIMALS = 6


@dataclass(frozen=True)
class Fragment:
    """A piece of a page; `meta` tells the page export what it is (header, figure, skip...)."""

    markup: str
    meta: dict = field(default_factory=dict)

    def _repr_html_(self) -> tuple[str, dict]:
        """Show the markup in JupyterLab and on the page, marked as the desk's own."""
        return self.markup, {templating.MARK: self.meta}

    def __html__(self) -> str:
        """Let a template embed the fragment as the markup it already is."""
        return self.markup


def fragment(template: str, kind: str, meta: dict | None = None, **values: object) -> Fragment:
    """Render a fragment template into a Fragment of a kind."""
    markup = templating.render(f"fragments/{template}.html.j2", **values).strip()
    return Fragment(markup, {"kind": kind, "figures": [], **(meta or {})})


@dataclass(frozen=True)
class Link:
    """A link in a table, timeline or download list; only http(s) or relative hrefs link."""

    href: str
    text: str
    note: str | None = None

    @property
    def target(self) -> str | None:
        """The href if a reader may follow it (http, https or relative), else None."""
        if not isinstance(self.href, str) or not self.href.strip():
            return None
        parts = urlsplit(self.href.strip())
        if parts.scheme in {"http", "https"} and parts.netloc:
            return self.href.strip()
        if not parts.scheme and not parts.netloc:
            return self.href.strip()
        return None


def source_link(url: object) -> Link | None:
    """A source as a reader sees it: its publisher's name, linked, a copy labelled as a copy
    of its original (publishers.yaml); None without a web address."""
    if words.is_missing(url) or not publishers.host(str(url)):
        return None
    found = publishers.publisher(str(url))
    link = Link(str(url), found.name, found.note)
    return link if link.target else None


def header(
    headline: str,
    dek: str,
    data_as_of: object,
    *,
    byline: str | None = None,
    image: str | None = None,
) -> Fragment:
    """The page header: headline, dek, byline and "Data as of" the date of the data.

    The headline is the page's title and the dek its description in the index and when the
    page is shared; `image` names the chart whose card represents the page (default: the
    first chart on the page).
    """
    return fragment(
        "header",
        "header",
        {"title": headline, "summary": dek, "image": image},
        headline=headline,
        dek=dek,
        byline=byline or words.fill(config.wording().byline, desk_name=config.site().desk_name),
        day=words.as_date(data_as_of),
    )


def say(template: str, **values: object) -> Fragment:
    """A paragraph (or more) of the reporter's Markdown with `{{ value }}`s from the data.

    Values print in house style (filters: long_date, number, percent, money, and_list...);
    they can never add markup or links, however they read.
    """
    stale = [name for name in OLD_PLACEHOLDER.findall(template) if name in values]
    if stale:
        msg = f"say(): {{{stale[0]}}} is the old placeholder; write {{{{ {stale[0]} }}}}"
        raise WordsError(msg)
    return fragment("prose", "prose", html=Markup(words.markdown(template, **values)))


def skip_page(reason: str) -> Fragment:
    """Leave this notebook's page out of the site (the render says why); shows the reason here."""
    return fragment("skip", "skip", {"reason": reason}, reason=reason)


def parts(body: object) -> list:
    """The non-empty pieces of a section body: fragments, and strings as the reporter's prose."""
    if body is None:
        return []
    items = body if isinstance(body, list | tuple) else [body]
    found = []
    for item in items:
        if isinstance(item, str):
            item = say(item) if item.strip() else None
        if item is not None and item.__html__().strip():
            found.append(item)
    return found


def section(heading: str, body: object) -> Fragment:
    """A heading and its body (fragments, or Markdown strings); nothing at all when empty.

    An as-of page therefore never shows a heading with nothing under it.
    """
    found = parts(body)
    if not found:
        return Fragment("", {"kind": "section", "figures": []})
    figures = [f for item in found for f in getattr(item, "meta", {}).get("figures", [])]
    return fragment("section", "section", {"figures": figures}, heading=heading, body=found)


@dataclass(frozen=True)
class Cell:
    """One table cell, formatted: text, links, or missing ("not stated")."""

    text: str = ""
    links: tuple[Link, ...] = ()
    missing: bool = False
    numeric: bool = False


@dataclass(frozen=True)
class Column:
    """A table column: its header and how its values read."""

    name: str
    kind: str
    arg: str | None
    numeric: bool


def reader_header(name: object, caption: str) -> str:
    """Refuse a column name that reads like code (snake_case, lowercase identifiers)."""
    text = str(name) if isinstance(name, str) else ""
    if not text.strip():
        msg = f"table {caption!r}: column {name!r} has no name a reader can read"
        raise WordsError(msg)
    if "_" in text or text[0].islower():
        suggestion = text.replace("_", " ").strip().capitalize()
        msg = (
            f"table {caption!r}: column {text!r} reads like code; name it in plain English "
            f"(e.g. {suggestion!r})"
        )
        raise WordsError(msg)
    return text


def as_links(value: object) -> tuple[Link, ...] | None:
    """The links a cell holds (a Link or a list of them), or None if it holds something else."""
    if isinstance(value, Link):
        return (value,)
    if isinstance(value, list | tuple) and value and all(isinstance(v, Link) for v in value):
        return tuple(value)
    return None


def is_date(value: object) -> bool:
    """Whether a value is a date: a date, a Timestamp, or ISO text such as '2019-10-09'."""
    if isinstance(value, dt.date | pd.Timestamp):
        return True
    return isinstance(value, str) and bool(ISO_DATE.match(value))


def is_number(value: object) -> bool:
    """Whether a value is a number (True/False are not numbers on a page)."""
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def decimals_stated(value: float) -> int:
    """How many decimals a value needs to read as stated: 4.9 -> 1, 29.32 -> 2, 3.0 -> 0."""
    exponent = decimal.Decimal(repr(float(value))).normalize().as_tuple().exponent
    return min(MAX_DECIMALS, max(0, -int(exponent)))


def infer_kind(name: str, values: list, caption: str) -> tuple[str, str | None]:
    """How a column's values read by default, from the values themselves."""
    if any(isinstance(v, bool) or type(v).__name__ == "bool_" for v in values):
        msg = f"table {caption!r}: column {name!r} holds True/False; write what it means"
        raise WordsError(msg)
    if values and all(is_date(v) for v in values):
        return "date", None
    if values and all(is_number(v) for v in values):
        if all(float(v).is_integer() for v in values):
            return ("year" if YEAR_HEADER.search(name) else "number"), "0"
        return "number", str(max(decimals_stated(v) for v in values))
    return "text", None


def format_value(value: object, column: Column, caption: str) -> str:
    """Format one value for its column, in house style."""
    try:
        if column.kind == "date":
            return words.long_date(value)
        if column.kind == "month":
            return words.month_year(value)
        if column.kind == "year":
            return str(int(value))
        if column.kind == "number":
            return words.digits(float(value), int(column.arg or 0))
        if column.kind == "percent":
            return words.percent(float(value), int(column.arg or 0))
        if column.kind == "money":
            return words.money(float(value), column.arg or "CNY")
        if column.kind == "text":
            return words.text(value)
    except (TypeError, ValueError, WordsError) as exc:
        msg = (
            f"table {caption!r}: column {column.name!r}: {value!r} is not a {column.kind} ({exc})"
        )
        raise WordsError(msg) from None
    msg = f"table {caption!r}: column {column.name!r}: unknown format {column.kind!r}"
    raise WordsError(msg)


def columns_of(
    frame: pd.DataFrame, caption: str, formats: dict[str, str], numeric: Iterable[str] | None
) -> list[Column]:
    """Each column's header, format and alignment."""
    unknown = set(formats) - set(map(str, frame.columns))
    if unknown:
        msg = f"table {caption!r}: formats name no column: {', '.join(sorted(unknown))}"
        raise WordsError(msg)
    found = []
    for name in frame.columns:
        header_text = reader_header(name, caption)
        if header_text in formats:
            kind, _, arg = formats[header_text].partition(":")
            arg = arg or None
        else:
            plain = [
                v
                for v in frame[name].tolist()
                if not (as_links(v) or (not isinstance(v, list | tuple) and words.is_missing(v)))
            ]
            kind, arg = infer_kind(header_text, plain, caption)
        right = kind in NUMERIC_KINDS if numeric is None else header_text in set(numeric)
        found.append(Column(header_text, kind, arg, right))
    return found


def cell(value: object, column: Column, caption: str) -> Cell:
    """Format one cell: links stay links, missing reads "not stated", the rest in house style."""
    links = as_links(value)
    if links:
        return Cell(links=links, numeric=column.numeric)
    if not isinstance(value, list | tuple) and words.is_missing(value):
        return Cell(missing=True, numeric=column.numeric)
    return Cell(text=format_value(value, column, caption), numeric=column.numeric)


def table_id(caption: str, columns: list[Column], rows: list[list[Cell]]) -> str:
    """An id for a table's caption from what it shows: the same on every render."""
    digest = hashlib.sha256(repr((caption, columns, rows)).encode("utf-8"))
    return f"table-{digest.hexdigest()[:10]}"


def table(
    frame: pd.DataFrame,
    caption: str,
    *,
    empty: str,
    formats: dict[str, str] | None = None,
    numeric: Iterable[str] | None = None,
) -> Fragment:
    """A reader's table: English headers, house-style values; the `empty` sentence if no rows.

    Column names are the headers (refused if they read like code). Dates read "Oct. 9,
    2019", whole numbers get thousands commas (not in a column headed "Year"), decimals are
    consistent within a column and no finer than the data (at most six); `formats`
    overrides a column ("percent:1", "number:2", "money", "money:USD", "date", "month",
    "year", "text"). Missing values read "not stated"; a cell may hold a
    Link or a list of Links. Numeric columns align right (`numeric` names them instead).
    On a phone a wide table scrolls inside its own box, which the keyboard can focus.
    """
    columns = columns_of(frame, caption, dict(formats or {}), numeric)
    rows = [
        [cell(value, column, caption) for value, column in zip(row, columns, strict=True)]
        for row in frame.itertuples(index=False, name=None)
    ]
    return fragment(
        "table",
        "table",
        id=table_id(caption, columns, rows),
        caption=caption,
        columns=columns,
        rows=rows,
        empty=empty,
    )


@dataclass(frozen=True)
class Event:
    """One dated line of a timeline."""

    day: dt.date
    text: str
    flag: str | None
    links: tuple[Link, ...]


def timeline(events: pd.DataFrame, empty: str | None = None) -> Fragment:
    """Events as a dated list, each with its sources; nothing when there are none.

    Columns: `date`, `event`, optionally `date_kind` (a date that is not "stated", such as
    "report date", says so in plain words beside it: "date of report") and `source` (a Link
    or a list of Links) or `source_url`. With no events the `empty` sentence shows, or
    nothing at all.
    """
    listed = []
    # How a date that the source does not state itself is known, in plain words.
    date_kinds = config.wording().date_kinds
    for row in events.to_dict("records"):
        kind = row.get("date_kind")
        source = row.get("source") or source_link(row.get("source_url"))
        listed.append(
            Event(
                words.as_date(row["date"]),
                words.text(row["event"]),
                None
                if words.is_missing(kind) or kind == "stated"
                else date_kinds.get(str(kind), str(kind)),
                as_links(source) or (),
            )
        )
    return fragment("timeline", "timeline", events=listed, empty=empty)


def downloads(links: list[Link], heading: str | None = None) -> Fragment:
    """A list of files for the reader to download, under a heading (words.yaml's unless
    given); nothing when empty."""
    heading = heading or config.wording().page("downloads")
    return fragment("downloads", "downloads", links=list(links), heading=heading)


@dataclass(frozen=True)
class Group:
    """One group of a directory: its heading, its entries, how many are marked."""

    key: str
    label: str
    entries: list[dict]
    marked: int


def directory(frame: pd.DataFrame, marked_label: str | None = None) -> Fragment:
    """A long list grouped under headings (figures.china_directory): every entry as text,
    so the browser's own find reaches it; entries of note marked (words.yaml's label for
    them unless given)."""
    marked_label = marked_label or config.wording().page("marked")
    first_cited = config.wording().page("first_cited")
    groups = []
    for label, rows in frame.groupby("year", sort=False):
        entries = [
            {
                "name": row["name"],
                "aliases": None if words.is_missing(row["aliases"]) else row["aliases"],
                "parts": None if words.is_missing(row.get("parts")) else row["parts"],
                "countries": row["countries"],
                "citation": None
                if words.is_missing(row["first_citation"])
                else row["first_citation"],
                "marked": bool(row["listing_rule"]),
            }
            for row in rows.to_dict("records")
        ]
        key = re.sub(r"\W+", "-", str(label).lower()).strip("-")
        heading = words.fill(first_cited, year=label) if str(label).isdigit() else str(label)
        groups.append(Group(key, heading, entries, sum(e["marked"] for e in entries)))
    return fragment("directory", "directory", groups=groups, marked_label=marked_label)
