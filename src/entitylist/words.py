"""Words with numbers from the data: one template language for prose and for chart words.

Reporters write Jinja2 templates: `{{ rules }} rules`, `{% if unknown %}…{% endif %}`, and the
house formats as filters (`{{ day|long_date }}`, `{{ n|number }}`, `{{ names|and_list }}`,
`{{ day|year }}`). Whole numbers print with thousands commas (1,104), so a year that is a
number is written with `|year`.
A value that is missing (None, NaN) cannot be printed: the template must say what to write
instead (`{% if share is unknown %}not stated{% else %}{{ share }}%{% endif %}`), so an
unknown never reads as "None" or "0".

Prose is Markdown, rendered *before* values are inserted: while Markdown renders, each printed
value stands in the text as an opaque token, and only afterwards is it replaced by its escaped
text. A value from the data can therefore never add markup, a link or an image.
"""

import datetime as dt
import html
import math
import numbers
import re
from collections.abc import Iterable
from urllib.parse import quote, urlsplit

import jinja2
from markdown_it import MarkdownIt

from entitylist.errors import WordsError

MARKDOWN = MarkdownIt("commonmark", {"html": False}).enable("table")
AP_MONTHS = (
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
)
NUMBER_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
# Letters and digits only, so Markdown gives the token no meaning in text or in a link target.
TOKEN = "ZqWordsValue{}Zq"
TOKEN_PATTERN = re.compile(r"ZqWordsValue(\d+)Zq")
HREF_WITH_TOKEN = re.compile(r'(href|src)="([^"]*ZqWordsValue\d+Zq[^"]*)"')


def is_missing(value: object) -> bool:
    """Whether a value stands for "no source stated it" (None, NaN, pandas' NA or NaT)."""
    if value is None:
        return True
    try:
        missing = value != value  # NaN, NaT and pd.NA are not equal to themselves
        return bool(missing)
    except (TypeError, ValueError):  # pd.NA refuses bool(); an array refuses comparison
        return type(value).__name__ in {"NAType", "NaTType"}


def as_date(value: object) -> dt.date:
    """Return a date from a date, datetime, pandas Timestamp or ISO text."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if hasattr(value, "to_pydatetime"):
        return value.to_pydatetime().date()
    return dt.date.fromisoformat(str(value)[:10])


def long_date(value: object) -> str:
    """Format a date the house way for prose: 'Oct. 9, 2019' (AP months)."""
    day = as_date(value)
    return f"{AP_MONTHS[day.month - 1]} {day.day}, {day.year}"


def month_year(value: object) -> str:
    """Format a date as 'Oct. 2019'."""
    day = as_date(value)
    return f"{AP_MONTHS[day.month - 1]} {day.year}"


def year(value: object) -> str:
    """A year as a label, never with a thousands comma: '2019' from a date or a number."""
    if isinstance(value, numbers.Integral):
        return str(int(value))
    return str(as_date(value).year)


def number(value: int) -> str:
    """Spell whole numbers below ten (AP style); larger ones in digits with thousands commas."""
    whole = int(value)
    return NUMBER_WORDS[whole] if 0 <= whole < len(NUMBER_WORDS) else f"{whole:,}"


def digits(value: float, decimals: int | None = None) -> str:
    """Format a number in digits: thousands commas; decimals as given, else as few as needed."""
    if decimals is not None:
        return f"{value:,.{decimals}f}"
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.10f}".rstrip("0").rstrip(".")


def percent(value: float, decimals: int = 0) -> str:
    """Format a share: whole numbers unless the template asks for a decimal."""
    return f"{value:.{decimals}f}%"


def share(value: float) -> str:
    """A share in house style: whole percent, one decimal below 10% where it matters."""
    return percent(value, 1 if value < 10 and not float(value).is_integer() else 0)


def approximately(value: str, word: object = None) -> str:
    """A figure as firm as its source: '30%' stays '30%'; with 'nearly' it reads 'nearly 30%'."""
    return f"{word} {value}" if isinstance(word, str) and word else value


def lower_first(value: str) -> str:
    """Lower-case the first letter only ('For all items subject to the EAR' -> 'for all …')."""
    return value[:1].lower() + value[1:]


def money(value_million: float, currency: str = "CNY") -> str:
    """Format an amount in millions as 'CNY 49.8bn' or 'CNY 949m'."""
    if value_million >= 1000:
        return f"{currency} {value_million / 1000:.1f}bn"
    return f"{currency} {value_million:,.0f}m"


def and_list(items: Iterable[object], word: str = "and") -> str:
    """Join names the way prose does: 'a, b and c'."""
    texts = [text(item) for item in items]
    if len(texts) <= 1:
        return "".join(texts)
    return f"{', '.join(texts[:-1])} {word} {texts[-1]}"


def plural(word: str, count: int, many: str | None = None) -> str:
    """Return word for a count of one, else its plural (word + 's' unless given)."""
    return word if int(count) == 1 else (many or f"{word}s")


def upper_first(value: str) -> str:
    """Capitalise the first letter only ('eight firms' -> 'Eight firms')."""
    return value[:1].upper() + value[1:]


def text(value: object) -> str:
    """The default way a printed value reads: dates long, whole numbers with commas."""
    if is_missing(value):
        msg = "a missing value was printed; say what to write instead with {% if %}"
        raise WordsError(msg)
    if isinstance(value, bool):
        msg = f"a True/False value ({value}) was printed; words must say what it means"
        raise WordsError(msg)
    if isinstance(value, str):
        return value
    if isinstance(value, dt.date) or hasattr(value, "to_pydatetime"):
        return long_date(value)
    if isinstance(value, numbers.Integral):
        return f"{int(value):,}"
    if isinstance(value, numbers.Real):
        return digits(float(value)) if math.isfinite(value) else str(value)
    if isinstance(value, list | tuple):
        return and_list(value)
    return str(value)


FILTERS = {
    "long_date": long_date,
    "month_year": month_year,
    "year": year,
    "number": number,
    "digits": digits,
    "percent": percent,
    "share": share,
    "approximately": approximately,
    "lower_first": lower_first,
    "money": money,
    "and_list": and_list,
    "plural": plural,
    "upper_first": upper_first,
}


def environment(finalize=text, trim_blocks: bool = True) -> jinja2.Environment:
    """Return a template environment: strict about unknown names, house filters loaded.

    Markdown keeps the line break after a block tag (`{% endif %}`): it can end a list item.
    """
    env = jinja2.Environment(
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        trim_blocks=trim_blocks,
        lstrip_blocks=True,
        finalize=finalize,
    )
    env.filters.update(FILTERS)
    env.tests["unknown"] = is_missing
    return env


def excerpt(template: str) -> str:
    """The opening words of a template, to name it in an error."""
    opening = " ".join(template.split())
    return opening if len(opening) <= 50 else opening[:47] + "..."


def render(template: str, values: dict, finalize=text, trim_blocks: bool = True) -> str:
    """Render a template with values; any failure is a WordsError naming the template."""
    try:
        return environment(finalize, trim_blocks).from_string(template).render(**values)
    except WordsError as exc:
        msg = f"words {excerpt(template)!r}: {exc}"
        raise WordsError(msg) from None
    except jinja2.UndefinedError as exc:
        msg = f"words {excerpt(template)!r}: {exc.message}; values given: {', '.join(values)}"
        raise WordsError(msg) from None
    except jinja2.TemplateSyntaxError as exc:
        msg = f"words {excerpt(template)!r}: line {exc.lineno}: {exc.message}"
        raise WordsError(msg) from None
    except (TypeError, ValueError, ArithmeticError) as exc:
        msg = f"words {excerpt(template)!r}: {exc}"
        raise WordsError(msg) from None


def fill(template: str, **values: object) -> str:
    """Fill plain words (a chart's headline, dek, note or description) with values.

    Line breaks and runs of spaces left by `{% if %}` blocks fold into single spaces.
    """
    return " ".join(render(template, values).split())


def link_target(value: str) -> str:
    """A value inside a link target: URL-quoted, and only if it leads nowhere surprising."""
    quoted = quote(value, safe="/:#?=&%.-_~")
    scheme = urlsplit(quoted).scheme
    if scheme and scheme not in {"http", "https"}:
        msg = f"link target {value!r}: only http(s) or relative links are allowed"
        raise WordsError(msg)
    return quoted


def markdown(template: str, **values: object) -> str:
    """Render a reporter's Markdown template to HTML, inserting values only afterwards."""
    printed: list[str] = []

    def token(value: object) -> str:
        printed.append(text(value))
        return TOKEN.format(len(printed) - 1)

    body = MARKDOWN.render(render(template, values, finalize=token, trim_blocks=False))

    def in_attribute(match: re.Match) -> str:
        target = TOKEN_PATTERN.sub(lambda m: link_target(printed[int(m.group(1))]), match[2])
        if urlsplit(target).scheme not in {"", "http", "https"}:
            msg = f"words {excerpt(template)!r}: link {target!r} is not http(s) or relative"
            raise WordsError(msg)
        return f'{match[1]}="{html.escape(target)}"'

    body = HREF_WITH_TOKEN.sub(in_attribute, body)
    return TOKEN_PATTERN.sub(lambda m: html.escape(printed[int(m.group(1))]), body)
