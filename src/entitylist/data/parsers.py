"""Turn Federal Register rule XML into rows: a rule's Entity List table and its summary counts.

Pure functions: no network, no files written. Every failure is a ParseError that names the
country, entity, row or column at fault. The screening list has its own module, csl.py.
"""

import re
import string
from collections import Counter
from dataclasses import dataclass, field

import pandas as pd
from lxml import etree

from entitylist.errors import ParseError

RULE_COLUMNS = (
    "country",
    "entity",
    "aliases",
    "address",
    "license_requirement",
    "license_review_policy",
    "citation",
)

# The Entity List's own headings and the summaries' wording, mapped to one short name.
COUNTRY_NAMES = {
    "CHINA, PEOPLE'S REPUBLIC OF": "China",
    "PEOPLE'S REPUBLIC OF CHINA": "China",
    "KOREA, DEMOCRATIC PEOPLE'S REPUBLIC OF": "North Korea",
    "KOREA, REPUBLIC OF": "South Korea",
    "UAE": "United Arab Emirates",
    "U.A.E.": "United Arab Emirates",
}
NUMBER_WORDS = {
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
    "twenty": 20,
}
# XML from the web: never fetch a DTD or expand an entity that points elsewhere.
_SAFE = {"resolve_entities": False, "no_network": True, "load_dtd": False}
_BYTES_PARSER = etree.XMLParser(**_SAFE)
_TEXT_PARSER = etree.XMLParser(encoding="utf-8", **_SAFE)

_AKA = re.compile(r",?\s*a\.k\.a\.?,?\s+the following\s+(?:(\S+)\s+)?alias(?:es)?\s*:?\s*$", re.I)
_STARS = re.compile(r"^[*\s]*\*[*\s]*$")
_DASH = re.compile(r"^[—–]\s*")
_LIST_AND = re.compile(r";\s*and\s+")
_ABBREVIATION = re.compile(r"(?:\b(?:Inc|Ltd|Co|Corp|Bhd|Pte|Pvt|St|Jr)|\.\w+)\.$")
_DESTINATIONS = re.compile(r"under the destinations? of\s+", re.I)
_DESTINATION = re.compile(
    r"(?:the\s+)?(?P<name>[^\s(),;.\d][^(),;.\d]{0,60}?)\s*"
    r"(?:\((?P<short>[^()\d]+)\)\s*)?\((?P<count>\d+)\)"
)
_SEPARATOR = re.compile(r"\s*,\s*(?:and\s+)?|\s+and\s+")


@dataclass
class _Entry:
    """One entry of a supplement table while its rows are being read."""

    country: str
    entity: str
    aliases: list[str] = field(default_factory=list)
    addresses: list[str] = field(default_factory=list)
    license_requirement: str = ""
    license_review_policy: str = ""
    citation: str = ""

    def row(self) -> dict[str, str | None]:
        """Return the entry as an output row; an empty list is missing, not blank."""
        return {
            "country": self.country,
            "entity": self.entity,
            "aliases": "; ".join(self.aliases) or None,
            "address": "; ".join(self.addresses) or None,
            "license_requirement": self.license_requirement,
            "license_review_policy": self.license_review_policy,
            "citation": self.citation,
        }


def squash(text: str) -> str:
    """Collapse runs of whitespace, including the XML's indentation, to single spaces."""
    return " ".join(text.split())


def country_name(heading: str) -> str:
    """Return the short name of a country as an Entity List heading or a summary gives it."""
    text = squash(heading).replace("\u2019", "'")
    text = re.sub(r"^the\s+", "", text, flags=re.I)
    if text.upper() in COUNTRY_NAMES:
        return COUNTRY_NAMES[text.upper()]
    inverted = re.fullmatch(r"(.+),\s*(.+\bOF)", text, flags=re.I)
    if inverted:
        text = f"{inverted.group(2)} {inverted.group(1)}"
    words = string.capwords(text.lower()).split()
    return " ".join(
        w if i == 0 or w not in {"Of", "And", "The"} else w.lower() for i, w in enumerate(words)
    )


def read_xml(xml: bytes | str) -> etree._Element:
    """Parse XML text safely; raise ParseError with the line at fault."""
    try:
        if isinstance(xml, str):
            return etree.fromstring(xml.encode("utf-8"), _TEXT_PARSER)
        return etree.fromstring(xml, _BYTES_PARSER)
    except etree.XMLSyntaxError as exc:
        msg = f"rule XML: not well-formed ({exc.msg}, line {exc.lineno})"
        raise ParseError(msg) from exc
    except ValueError as exc:  # lxml's answer to an empty string
        msg = f"rule XML: not well-formed ({exc})"
        raise ParseError(msg) from exc


def append_inline(text: str, child: etree._Element) -> str:
    """Append one inline child of an element, and the text after it, to text."""
    if not isinstance(child.tag, str) or child.tag in {"PRTPAGE", "FTREF"}:
        pass  # comments, page breaks and footnote anchors carry no words
    elif child.tag == "SU":
        mark = (child.text or "").strip()
        # Digits are footnote references ("734.9(g),³" marks a footnote 3 entity);
        # letters are ordinals ("3rd", "9th") that belong to the word before them.
        text = text.rstrip() + (f"[{mark}]" if mark.isdigit() else mark)
    else:
        text += inline_text(child)
    return text + (child.tail or "")


def inline_text(element: etree._Element) -> str:
    """Return an element's text with its inline markup resolved, whitespace not yet squashed."""
    text = element.text or ""
    for child in element:
        text = append_inline(text, child)
    return text


def cell_blocks(cell: etree._Element) -> list[str]:
    """Split an entity cell into its lead text and one text per LI line."""
    blocks = [cell.text or ""]
    for child in cell:
        if child.tag == "LI":
            blocks.append(inline_text(child) + (child.tail or ""))
        else:
            blocks[-1] = append_inline(blocks[-1], child)
    return [squash(block) for block in blocks]


def clean_alias(text: str) -> str:
    """Strip an alias line's dash, its '; and' and its closing punctuation."""
    text = _DASH.sub("", text)
    text = re.sub(r"\s*;(?:\s*and)?\s*$", "", text).strip()
    if text.endswith(".") and not _ABBREVIATION.search(text):
        text = text[:-1]
    return text


def split_addresses(text: str) -> list[str]:
    """Split an address line joined by '; and' into addresses without the final full stop."""
    parts = [squash(part) for part in _LIST_AND.split(text) if part.strip()]
    if parts and parts[-1].endswith("."):
        parts[-1] = parts[-1][:-1]
    return parts


def expected_aliases(word: str) -> int | None:
    """Return the number an 'a.k.a., the following N aliases' clause announces, if known."""
    word = word.lower()
    return int(word) if word.isdigit() else NUMBER_WORDS.get(word)


def read_entity_cell(cell: etree._Element, entry: _Entry | None) -> tuple[str, list, list]:
    """Return (name, aliases, addresses) of an entity cell; a name-less cell only adds lines."""
    lead, *lines = cell_blocks(cell)
    aliases = [clean_alias(line) for line in lines if _DASH.match(line)]
    addresses = [part for line in lines if not _DASH.match(line) for part in split_addresses(line)]
    if entry is not None:
        # A row with only an entity cell continues the entry above (a page or row break).
        return "", aliases, split_addresses(lead) + addresses
    announced = _AKA.search(lead)
    name = _AKA.sub("", lead).strip() if announced else lead
    if announced and announced.group(1):
        want = expected_aliases(announced.group(1))
        if want is not None and want != len(aliases):
            msg = f"entity {name!r}: announces {want} aliases, the table lists {len(aliases)}"
            raise ParseError(msg)
    return name, aliases, addresses


def entity_tables(root: etree._Element) -> list[etree._Element]:
    """Return the GPOTABLEs whose header row reads Country, Entity (the supplement's layout)."""
    tables = []
    for table in root.iter("GPOTABLE"):
        for row in table.iter("ROW"):
            heads = [squash(inline_text(ent)).lower() for ent in row.findall("ENT")[:2]]
            if heads == ["country", "entity"]:
                tables.append(table)
                break
    return tables


def table_entries(table: etree._Element) -> list[_Entry]:
    """Read one supplement table's rows into entries, carrying the country cell forward."""
    entries: list[_Entry] = []
    country = ""
    for row in table.iter("ROW"):
        cells = row.findall("ENT")
        texts = [squash(inline_text(cell)) for cell in cells]
        if [text.lower() for text in texts[:2]] == ["country", "entity"]:
            continue
        if texts and texts[0] and not _STARS.match(texts[0]):
            country = country_name(texts[0])
        entity = texts[1] if len(texts) > 1 else ""
        # Rows of asterisks stand for the entries this rule leaves as they are.
        if not entity or _STARS.match(entity):
            continue
        if not country:
            msg = f"entity table: row {entity[:60]!r} comes before any country heading"
            raise ParseError(msg)
        if len(cells) == 2:
            if not entries:
                msg = f"entity table: continuation row {entity[:60]!r} has no entry above it"
                raise ParseError(msg)
            _, aliases, addresses = read_entity_cell(cells[1], entries[-1])
            entries[-1].aliases += aliases
            entries[-1].addresses += addresses
            continue
        name, aliases, addresses = read_entity_cell(cells[1], None)
        rest = [*texts[2:5], "", "", ""][:3]
        entries.append(_Entry(country, name, aliases, addresses, *rest))
    return entries


def parse_rule_entries(xml: bytes | str) -> pd.DataFrame:
    """Return the entries of a rule's Entity List supplement table, one row per entry."""
    root = read_xml(xml)
    tables = entity_tables(root)
    if not tables:
        msg = "rule XML: no Entity List table (a GPOTABLE with Country and Entity columns)"
        raise ParseError(msg)
    entries = [entry for table in tables for entry in table_entries(table)]
    if not entries:
        msg = "rule XML: the Entity List table has no entries"
        raise ParseError(msg)
    return pd.DataFrame([entry.row() for entry in entries], columns=list(RULE_COLUMNS))


def summary_text(xml: bytes | str) -> str:
    """Return the text of the rule's SUMMARY paragraphs, without the heading."""
    root = read_xml(xml)
    summary = root.find(".//SUM")
    if summary is None:
        msg = "rule XML: no SUM (summary) element"
        raise ParseError(msg)
    return squash(" ".join(inline_text(p) for p in summary.iter("P")))


def parse_destination_counts(text: str) -> dict[str, int]:
    """Return {country: entries} from 'under the destinations of China (5), ...'; {} if none."""
    found = _DESTINATIONS.search(text)
    if not found:
        return {}
    counts: dict[str, int] = {}
    position = found.end()
    while match := _DESTINATION.match(text, position):
        name = country_name(match.group("short") or match.group("name"))
        counts[name] = counts.get(name, 0) + int(match.group("count"))
        gap = _SEPARATOR.match(text, match.end())
        if not gap:
            break
        position = gap.end()
    return counts


def check_against_summary(entries: pd.DataFrame, counts: dict[str, int]) -> None:
    """Raise ParseError naming the first country whose entry count disagrees with the summary."""
    if not counts:
        msg = "summary check: the summary states no per-destination counts"
        raise ParseError(msg)
    parsed = Counter(entries["country"])
    for country in sorted(set(parsed) | set(counts)):
        if parsed.get(country, 0) != counts.get(country, 0):
            msg = (
                f"{country}: the rule's summary says {counts.get(country, 0)} entries, "
                f"the parsed table has {parsed.get(country, 0)}"
            )
            raise ParseError(msg)
