"""Characters no source may carry into a page or a download: controls, direction overrides and
zero-width marks.

They are invisible, so a reader cannot see them: an ESC reaches a terminal, a right-to-left
override reverses the rest of a table cell, a zero-width space makes two names look alike.
A raw table or a hand-kept file holding one is refused, naming the file, the row or entry
and the column or field; the desk fixes the source. Tab and line feed are text.
"""

import re
import unicodedata
from collections.abc import Iterable, Iterator

import pandas as pd

from entitylist.errors import DeskError

FORBIDDEN = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f"  # C0 controls but tab and LF (CR included), DEL, C1
    "\u200b-\u200d\ufeff"  # zero-width space, non-joiner, joiner; the BOM inside text
    "\u202a-\u202e\u2066-\u2069]"  # direction embeddings, overrides and isolates
)


def describe(char: str) -> str:
    """Name a character as U+XXXX with its Unicode name, for a message."""
    name = unicodedata.name(char, "") or {"\x1b": "ESCAPE", "\x00": "NULL"}.get(char, "CONTROL")
    return f"U+{ord(char):04X} ({name})"


def first(text: object) -> str | None:
    """The first forbidden character of a text, or None."""
    found = FORBIDDEN.search(text) if isinstance(text, str) else None
    return found.group() if found else None


def refuse(cells: Iterable[tuple[str, object]], where: str, error: type[DeskError]) -> None:
    """Raise error naming the first (place, text) pair whose text holds a forbidden character."""
    for place, text in cells:
        char = first(text)
        if char is not None:
            msg = (
                f"{where}: {place}: invisible character {describe(char)} "
                "(a control, direction or zero-width mark); remove it from the source"
            )
            raise error(msg)


def rows(header: list[str], body: Iterable[list[str]]) -> Iterator[tuple[str, str]]:
    """A CSV's cells as (place, text), its header first; rows numbered as data rows."""
    for number, name in enumerate(header, 1):
        yield f"header, column {number}", name
    for number, row in enumerate(body, 1):
        for name, text in zip(header, row, strict=False):
            yield f"row {number}, column {name}", text


def frame(table: pd.DataFrame, row_label: str, label: str = "row") -> Iterator[tuple[str, str]]:
    """A table's text cells as (place, text), rows named by the row_label column."""
    text = table.select_dtypes(include=["object", "string"]).columns
    for column in text:
        for number, value in zip(table[row_label], table[column], strict=True):
            yield f"{label} {number}, column {column}", value


def document(node: object, path: str = "") -> Iterator[tuple[str, str]]:
    """A parsed YAML document's keys and texts as (place, text), placed by their path."""
    if isinstance(node, dict):
        for key, value in node.items():
            inner = f"{path}.{key}" if path else str(key)
            yield f"key {inner}", key
            yield from document(value, inner)
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from document(value, f"{path}[{index + 1}]")
    else:
        yield path or "the document", node
