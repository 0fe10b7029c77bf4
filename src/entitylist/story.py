"""Words on the page: the header, prose with computed numbers, and the house formats.

Every value that comes from data is HTML-escaped before it reaches a page; the words
around it are the reporter's Markdown, written in the notebook.
"""

import html
import string
from dataclasses import dataclass
from urllib.parse import urlparse

import pandas as pd
from markdown_it import MarkdownIt

MARKDOWN = MarkdownIt("commonmark", {"html": False}).enable("table")


@dataclass(frozen=True)
class Html:
    """A piece of page markup that JupyterLab and the exported page both show as HTML."""

    markup: str
    page: dict | None = None

    def _repr_html_(self) -> str | tuple[str, dict]:
        """Return the markup, with the page's title and summary for the header."""
        if self.page:
            return self.markup, {"entitylist": self.page}
        return self.markup


def long_date(value: object) -> str:
    """Format a date the house way for prose: 'Oct. 9, 2019' (AP months)."""
    day = pd.Timestamp(value)
    months = [
        "Jan.",
        "Feb.",
        "March",
        "April",
        "May",
        "June",
        "July",
        "Aug.",
        "Sept.",
        "Oct.",
        "Nov.",
        "Dec.",
    ]
    return f"{months[day.month - 1]} {day.day}, {day.year}"


def money(value_million: float, currency: str = "CNY") -> str:
    """Format an amount in millions as 'CNY 49.8bn' or 'CNY 949m'."""
    if value_million >= 1000:
        return f"{currency} {value_million / 1000:.1f}bn"
    return f"{currency} {value_million:,.0f}m"


def percent(value: float, decimals: int = 0) -> str:
    """Format a share: whole numbers unless a decimal matters."""
    return f"{value:.{decimals}f}%"


def number(value: int) -> str:
    """Spell small whole numbers in words (AP style), larger ones in digits."""
    words = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
    return words[value] if 0 <= value < len(words) else f"{value:,}"


def say(template: str, **values: object) -> Html:
    """Render a reporter's Markdown paragraph, filling {placeholders} with escaped values."""
    names = {name for _, name, _, _ in string.Formatter().parse(template) if name}
    missing = sorted(names - values.keys())
    if missing:
        msg = f"say(): no value for {{{missing[0]}}} in the paragraph"
        raise KeyError(msg)
    safe = {key: html.escape(str(value), quote=False) for key, value in values.items()}
    return Html(f'<div class="prose">{MARKDOWN.render(template.format(**safe))}</div>')


def header(
    headline: str, dek: str, data_as_of: object, byline: str = "By the TechNode data desk"
) -> Html:
    """Return the page header: headline, dek, byline and the date of the data."""
    return Html(
        f"<header><h1>{html.escape(headline)}</h1>"
        f'<p class="dek">{html.escape(dek)}</p>'
        f'<p class="byline">{html.escape(byline)}</p>'
        f'<p class="dateline">Data as of <time datetime="{pd.Timestamp(data_as_of).date()}">'
        f"{long_date(data_as_of)}</time></p></header>",
        page={"title": headline, "summary": dek},
    )


SOURCE_COLUMNS = ("source", "source_url")


def link(url: object, text: str) -> str:
    """Return an escaped link to an http(s) URL; anything else (javascript:, blanks) is no link."""
    if not isinstance(url, str) or urlparse(url).scheme not in ("http", "https"):
        return ""
    return f'<a href="{html.escape(url)}">{html.escape(text)}</a>'


def publisher(url: str) -> str:
    """Name the publisher of a URL by its host, without 'www.'; empty if it has none."""
    return (urlparse(url).hostname or "").removeprefix("www.")


def cell(column: str, value: object) -> str:
    """Format one table cell: missing reads 'unknown'; a source URL becomes a short link."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return '<span class="unknown">unknown</span>'
    text = str(value)
    if column in SOURCE_COLUMNS:
        return link(text, publisher(text)) or html.escape(text)
    return html.escape(text)


def table(frame: pd.DataFrame, caption: str, numeric: tuple[str, ...] = ()) -> Html:
    """Return an escaped HTML table; missing values read 'unknown', never blank or zero."""
    headers = ["source" if col in SOURCE_COLUMNS else str(col) for col in frame.columns]
    head = "".join(
        f'<th scope="col"{" class=num" if col in numeric else ""}>{html.escape(name)}</th>'
        for col, name in zip(frame.columns, headers, strict=True)
    )
    body = "".join(
        "<tr>"
        + "".join(
            f"<td{' class=num' if col in numeric else ''}>{cell(col, value)}</td>"
            for col, value in zip(frame.columns, row, strict=True)
        )
        + "</tr>"
        for row in frame.itertuples(index=False)
    )
    return Html(
        f'<div class="table-wrap"><table><caption>{html.escape(caption)}</caption>'
        f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>"
    )


def downloads(links: list[tuple[str, str]], heading: str = "Download the data") -> Html:
    """Return a list of download links (label, relative href), escaped."""
    items = "".join(
        f'<li><a href="{html.escape(href)}" download>{html.escape(label)}</a></li>'
        for label, href in links
    )
    return Html(f'<div class="downloads"><h3>{html.escape(heading)}</h3><ul>{items}</ul></div>')


def join(items: list[str], word: str = "and") -> str:
    """Join names the way prose does: 'a, b and c'."""
    items = [str(i) for i in items]
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} {word} {items[-1]}"


def timeline(events: pd.DataFrame, empty: str = "No events in the sources.") -> Html:
    """Return events as a dated list, each linked to its source, with how its date is known."""
    if events.empty:
        return Html(f'<p class="unknown">{html.escape(empty)}</p>')
    items = []
    for row in events.itertuples(index=False):
        basis = (
            "" if row.date_kind == "stated" else f' <span class="flag">({row.date_kind})</span>'
        )
        items.append(
            f'<li><time datetime="{row.date:%Y-%m-%d}">{long_date(row.date)}</time>'
            f"{html.escape(row.event)}{basis} {link(row.source_url, 'source')}</li>"
        )
    return Html(f'<ol class="timeline-list">{"".join(items)}</ol>')
