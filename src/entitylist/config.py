"""The desk's hand-kept configuration: files a reporter edits directly in notebooks/.

They are not downloads, so they are not in the raw snapshot; every render validates them and
an error names the file, the entry and the field.
"""

import functools
import os
import re
import string
from pathlib import Path
from typing import Annotated, TypeVar
from urllib.parse import urlsplit

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    field_validator,
    model_validator,
)

from entitylist import characters, paths
from entitylist.errors import ConfigError, ParameterError

COMPANIES = paths.NOTEBOOKS / "companies.yaml"


def compiled(value: str) -> str:
    """A pattern that compiles as a regular expression, or a ValueError saying why not."""
    try:
        re.compile(value)
    except re.error as exc:
        msg = f"not a valid regular expression ({exc})"
        raise ValueError(msg) from None
    return value


Pattern = Annotated[str, Field(min_length=1), AfterValidator(compiled)]


class Entry(BaseModel):
    """An entry of a hand-kept file: no key the model does not name, and fixed once read."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Company(Entry):
    """One of the eight companies, as the desk writes it."""

    slug: Annotated[str, Field(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$")]
    name: Annotated[str, Field(min_length=1)]
    name_zh: str | None = None
    entry_no: Annotated[int, Field(ge=1, le=28)]
    match: Annotated[str, Field(min_length=1)]

    @field_validator("match")
    @classmethod
    def compiles(cls, value: str) -> str:
        """The match pattern must be a valid regular expression."""
        return compiled(value)


class Companies(BaseModel):
    """The companies file: eight companies with distinct slugs and entry numbers."""

    model_config = ConfigDict(extra="forbid")

    companies: list[Company]

    @field_validator("companies")
    @classmethod
    def distinct(cls, value: list[Company]) -> list[Company]:
        """Slugs and entry numbers identify a company: no two may share one."""
        for attribute in ("slug", "entry_no"):
            seen = [getattr(company, attribute) for company in value]
            twice = sorted({str(v) for v in seen if seen.count(v) > 1})
            if twice:
                msg = f"{attribute} {twice[0]} is given to more than one company"
                raise ValueError(msg)
        return value


def location(error: dict, document: object) -> str:
    """Name where a validation error sits: 'companies[3] (dahua), field entry_no'."""
    node, named, fields = document, [], []
    for part in error["loc"]:
        if isinstance(part, int) and isinstance(node, list) and part < len(node):
            node = node[part]
            label = node.get("slug") if isinstance(node, dict) else None
            named[-1] += f"[{part + 1}]" + (f" ({label})" if label else "")
        elif not named:
            named.append(str(part))
            node = node.get(part) if isinstance(node, dict) else None
        else:
            fields.append(str(part))
            node = node.get(part) if isinstance(node, dict) else None
    return ", ".join(named + ([f"field {'.'.join(fields)}"] if fields else []))


def load(path: Path, model: type[BaseModel], text: str | None = None) -> BaseModel:
    """Read a YAML configuration file (or its text, already read) and validate it, naming the
    file and the entry at fault."""
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8") if text is None else text)
    except FileNotFoundError:
        msg = f"{paths.shown(path)}: missing"
        raise ConfigError(msg) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark else ""
        msg = f"{path.name}{where}: not valid YAML: {getattr(exc, 'problem', exc)}"
        raise ConfigError(msg) from None
    characters.refuse(characters.document(document), path.name, ConfigError)
    try:
        return model.model_validate(document)
    except ValidationError as exc:
        first = exc.errors()[0]
        msg = f"{path.name}: {location(first, document)}: {first['msg']}"
        raise ConfigError(msg) from None


def companies(path: Path | None = None) -> list[Company]:
    """The eight companies, validated, read from the file as it is now."""
    return load(path or COMPANIES, Companies).companies


PUBLISHERS = paths.NOTEBOOKS / "publishers.yaml"
# A host, or every host under a domain ("*.netlify.app").
Host = Annotated[str, Field(pattern=r"^(\*\.)?[a-z0-9.-]+$")]
Text = Annotated[str, Field(min_length=1)]


class Copy(Entry):
    """A host that republishes another publisher's work."""

    name: Text
    original: Text
    document: bool = False


class StateMedia(Entry):
    """A state outlet: cited only for the views of those it speaks for, never as a sole
    source of other facts."""

    name: Text
    original: str | None = None
    speaks_for: Annotated[list[Text], Field(min_length=1)]


class Unpublishable(Entry):
    """A host no page or download may cite, and why."""

    name: Text
    why: Text


class Publishers(BaseModel):
    """The publisher registry: every host the data cites, graded once."""

    model_config = ConfigDict(extra="forbid")

    primary: dict[Host, str]
    originals: dict[Host, str]
    copies: dict[Host, Copy]
    aggregators: dict[Host, str]
    state_media: dict[Host, StateMedia] = Field(default_factory=dict)
    unpublishable: dict[Host, Unpublishable] = Field(default_factory=dict)
    pages: dict[str, Copy] = Field(default_factory=dict)

    @model_validator(mode="after")
    def once(self) -> "Publishers":
        """A host is graded once."""
        seen: set[str] = set()
        for part in GRADES:
            hosts = set(getattr(self, part))
            twice = sorted(seen & hosts)
            if twice:
                msg = f"{twice[0]} is listed twice"
                raise ValueError(msg)
            seen |= hosts
        return self


# The sections of the registry that grade a host, in the order a reader should follow them.
GRADES = ("primary", "originals", "copies", "aggregators", "state_media", "unpublishable")


def publishers(path: Path | None = None) -> Publishers:
    """The publisher registry, validated, read from the file as it is now."""
    return load(path or PUBLISHERS, Publishers)


NOT_FOUND = paths.NOTEBOOKS / "not-found.yaml"


class Claim(Entry):
    """A claim no source carries: how to recognise it in one sentence or row, and why."""

    claim: Text
    reason: Text
    patterns: Annotated[list[Pattern], Field(min_length=1)]
    unless: list[Pattern] = Field(default_factory=list)


class NotFound(BaseModel):
    """The claims the source pack searched for and did not find."""

    model_config = ConfigDict(extra="forbid")

    claims: list[Claim]


def not_found(path: Path = NOT_FOUND) -> list[Claim]:
    """The claims never to be printed as fact, validated."""
    return load(path, NotFound).claims


INSTITUTIONS = paths.NOTEBOOKS / "institutions.yaml"


class Institution(Entry):
    """A university or institution, with every spelling the sources use for it."""

    id: Annotated[str, Field(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$")]
    name: Annotated[str, Field(min_length=1)]
    partners: Annotated[list[Annotated[str, Field(min_length=1)]], Field(min_length=1)]


class Institutions(BaseModel):
    """The institutions file: each spelling resolves to one institution, or is unnamed."""

    model_config = ConfigDict(extra="forbid")

    institutions: list[Institution]
    unnamed: list[Annotated[str, Field(min_length=1)]] = Field(default_factory=list)

    @field_validator("unnamed")
    @classmethod
    def resolved_once(cls, value: list[str], info) -> list[str]:
        """A spelling names one institution, or none: never two."""
        seen = [p for i in info.data.get("institutions", []) for p in i.partners] + value
        twice = sorted({p for p in seen if seen.count(p) > 1})
        if twice:
            msg = f"partner {twice[0]!r} is listed more than once"
            raise ValueError(msg)
        ids = [i.id for i in info.data.get("institutions", [])]
        if len(set(ids)) < len(ids):
            msg = "an institution id is given twice"
            raise ValueError(msg)
        return value


def institutions(path: Path = INSTITUTIONS) -> Institutions:
    """The institutions of the desk's university ties, validated."""
    return load(path, Institutions)


SITE_SETTINGS = paths.NOTEBOOKS / "site.yaml"
SITE_URL_ENV = "ENTITYLIST_SITE_URL"


class Site(Entry):
    """The site's settings (notebooks/site.yaml); the base URL may come from the environment."""

    site_name: str
    desk_name: str
    description: str
    base_url: str = ""

    @field_validator("site_name", "desk_name", "description")
    @classmethod
    def not_blank(cls, value: str) -> str:
        """Refuse an empty name or description."""
        if not value.strip():
            msg = "must not be empty"
            raise ValueError(msg)
        return value.strip()

    @field_validator("base_url")
    @classmethod
    def absolute_or_empty(cls, value: str) -> str:
        """Accept an http(s) address (normalised to end in '/'), or nothing."""
        value = value.strip()
        if not value:
            return ""
        parts = urlsplit(value)
        if parts.scheme not in {"http", "https"} or not parts.netloc or parts.query:
            msg = f"{value!r} is not an http(s) address such as https://desk.example.org/story/"
            raise ValueError(msg)
        return value if value.endswith("/") else value + "/"

    def url(self, relative: str) -> str:
        """A site file's address: absolute under the base URL, else relative."""
        return self.base_url + relative

    @property
    def address(self) -> str:
        """The base URL as a card prints it ('desk.example.org/story'); empty without one."""
        return self.base_url.split("://", 1)[-1].rstrip("/")


def site(path: Path = SITE_SETTINGS) -> Site:
    """Read and check the site settings; ENTITYLIST_SITE_URL overrides the base URL.

    Checked again whenever the file or the variable changes, so a kernel kept warm between
    renders never shows stale settings.
    """
    name = str(path.relative_to(paths.ROOT)) if path.is_relative_to(paths.ROOT) else path.name
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        msg = f"{name}: cannot read the site settings ({exc.strerror})"
        raise ParameterError(msg) from None
    return parse_site(name, text, os.environ.get(SITE_URL_ENV, "").strip())


@functools.cache
def parse_site(name: str, text: str, override: str) -> Site:
    """Check the site settings' text, with the base URL from the environment if set."""
    try:
        raw = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f"line {mark.line + 1}: " if mark else ""
        msg = f"{name}: {line}not valid YAML ({getattr(exc, 'problem', None) or 'unreadable'})"
        raise ParameterError(msg) from None
    characters.refuse(characters.document(raw), name, ParameterError)
    where = name
    if override:
        raw = {**raw, "base_url": override}
        where = SITE_URL_ENV
    try:
        return Site.model_validate(raw)
    except ValidationError as exc:
        error = exc.errors()[0]
        field = ".".join(str(p) for p in error["loc"]) or "settings"
        source = where if field == "base_url" else name
        msg = f"{source}: {field}: {error['msg'].removeprefix('Value error, ')}"
        raise ParameterError(msg) from None


WORDS = paths.NOTEBOOKS / "words.yaml"
T = TypeVar("T")


class KindWords(Entry):
    """A kind of entry in words: a heading for several, a label for one."""

    several: Text
    one: Text


class DefinitionWords(Entry):
    """A definition of 'overseas' in words: short for keys and labels, full for tables."""

    short: Text
    full: Text


class SourceWords(Entry):
    """How a source line names the publishers of a chart's rows."""

    via: Text
    publishers: Text
    many: Text


def fills(value: str, fields: set[str]) -> str:
    """A line with {name} blanks that names only the given fields, or a ValueError saying why."""
    try:
        named = {name for _, name, _, _ in string.Formatter().parse(value) if name is not None}
    except ValueError as exc:
        msg = f"not a valid template ({exc})"
        raise ValueError(msg) from None
    if not named <= fields:
        msg = f"may name only {sorted(fields)}, not {sorted(named - fields)}"
        raise ValueError(msg)
    return value


def filling(*fields: str) -> AfterValidator:
    """A validator: the line's {name} blanks are among these fields."""
    return AfterValidator(lambda value: fills(value, set(fields)))


class RefusalWords(Entry):
    """Why a source may not carry a row, by the kind of publisher (words of the withheld table)."""

    unpublishable: Annotated[Text, filling("name", "why")]
    state_media: Annotated[Text, filling("name")]


class PublisherWords(Entry):
    """How a source link names its publisher: a copy by its original, a kind by a note."""

    via: Text
    notes: dict[str, Text]
    refusals: RefusalWords

    @field_validator("via")
    @classmethod
    def names_both(cls, value: str) -> str:
        """The words for a copy name its original and the copy, and nothing else."""
        try:
            parts = string.Formatter().parse(value)
            fields = {name for _, name, _, _ in parts if name is not None}
        except ValueError as exc:
            msg = f"not a valid template ({exc})"
            raise ValueError(msg) from None
        if fields != {"original", "copy"}:
            msg = f"must name {{original}} and {{copy}} and nothing else, not {sorted(fields)}"
            raise ValueError(msg)
        return value


class TableWords(Entry):
    """A table's words: its column headers and the labels in its cells, by key."""

    columns: dict[str, Text] = Field(default_factory=dict)
    labels: dict[str, Text] = Field(default_factory=dict)
    # Where the words sit in the file ('charts.rules-over-time'), for error messages.
    _where: str = PrivateAttr("")

    def label(self, key: str) -> str:
        """A label's words, or a ConfigError naming the missing entry."""
        return given(self.labels, key, f"{self._where}.labels")

    def column(self, key: str) -> str:
        """A column's header, or a ConfigError naming the missing entry."""
        return given(self.columns, key, f"{self._where}.columns")


class ChartWords(TableWords):
    """A chart's own words: source, CSV headers, default alt text, tooltips, labels."""

    source: Text
    via: str | None = None
    description: Text
    tooltips: dict[str, Annotated[list[Text], Field(min_length=1)]] = Field(default_factory=dict)

    def tooltip(self, key: str) -> list[str]:
        """A tooltip's parts, or a ConfigError naming the missing entry."""
        return given(self.tooltips, key, f"{self._where}.tooltips")


def given(section: dict[str, T], key: str, name: str, file: Path | None = None) -> T:
    """An entry of a section of a words file (words.yaml unless told); a missing one is a
    ConfigError naming it."""
    try:
        return section[key]
    except KeyError:
        msg = f"{(file or WORDS).name}: {name}: no words for {key!r}"
        raise ConfigError(msg) from None


class HeldWords(Entry):
    """What a withheld row is, and why it is withheld, in blanks filled from the row."""

    what: Text
    why: Text


class WithheldWords(Entry):
    """The words of the withheld table (the data page's list of what is not published)."""

    unverified: HeldWords
    uncited: HeldWords
    metrics: dict[str, Text]

    @model_validator(mode="after")
    def blanks(self) -> "WithheldWords":
        """Each line names only the row's values that the cleaning fills in."""
        fills(self.unverified.what, {"company", "period", "metric"})
        fills(self.unverified.why, {"source"})
        fills(self.uncited.what, {"file", "about"})
        fills(self.uncited.why, {"reasons"})
        return self


class Wording(Entry):
    """The reader's words the package prints around the data (notebooks/words.yaml)."""

    credit: Text
    byline: Text
    sources: SourceWords
    kinds: dict[str, KindWords]
    milestones: dict[str, Text]
    overseas_definitions: dict[str, DefinitionWords]
    revenue_bases: dict[str, Text]
    charts: dict[str, ChartWords]
    tables: dict[str, TableWords]
    date_kinds: dict[str, Text]
    pages: dict[str, Text]
    known_since: dict[str, Text]
    publishers: PublisherWords
    withheld: WithheldWords

    @model_validator(mode="after")
    def named(self) -> "Wording":
        """Each chart's and table's words know their place in the file, to name it in an error."""
        for section in ("charts", "tables"):
            for name, own in getattr(self, section).items():
                own._where = f"{section}.{name}"
        return self

    def table(self, name: str) -> TableWords:
        """One reader's table's words, or a ConfigError naming the missing table."""
        return given(self.tables, name, "tables")

    def page(self, key: str) -> str:
        """Words a page prints around its parts, or a ConfigError naming the missing entry."""
        return given(self.pages, key, "pages")

    def chart(self, name: str) -> ChartWords:
        """One chart's words, or a ConfigError naming the missing chart."""
        return given(self.charts, name, "charts")

    def kind(self, code: str) -> KindWords:
        """A kind of entry's words, or a ConfigError naming the missing code."""
        return given(self.kinds, code, "kinds")

    def definition(self, code: str) -> DefinitionWords:
        """A definition code's words, or a ConfigError naming the missing code."""
        return given(self.overseas_definitions, code, "overseas_definitions")


def wording(path: Path | None = None) -> Wording:
    """The reader's words, validated, read from the file as it is now.

    Parsed once per text of the file, so a kernel kept warm between renders never prints
    stale words and a render does not parse the file for every chart.
    """
    path = path or WORDS
    return parse_wording(path, text_of(path))


def text_of(path: Path) -> str:
    """A words file's text, or a ConfigError naming the missing file."""
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        msg = f"{paths.shown(path)}: missing"
        raise ConfigError(msg) from None


@functools.cache
def parse_wording(path: Path, text: str) -> Wording:
    """Check the words file's text (cached by its text)."""
    return load(path, Wording, text)


DICTIONARY = paths.NOTEBOOKS / "dictionary.yaml"


class DictionaryHeader(Entry):
    """The headers of a table of the data dictionary."""

    column: Text
    type: Text
    required: Text
    description: Text


class DictionaryCells(Entry):
    """The words in the dictionary's 'required' column."""

    required: Text
    optional: Text


class Provenance(Entry):
    """Where the files of a folder of data/raw come from, and under what licence."""

    origin: Text
    licence: Text


class FetchedWords(Entry):
    """What `make fetch` records for each download, in blanks filled from it."""

    rules_search: Annotated[Text, filling("since", "count")]
    rule_text: Annotated[Text, filling("citation", "published", "title")]
    screening_list: Annotated[Text, filling("parties", "entries", "source")]
    rules_licence: Text
    screening_list_licence: Text


class SourceFileWords(Entry):
    """The words the manifest records for a raw file when it is taken in."""

    origins: dict[str, Provenance]
    tables: dict[str, Text]
    fetched: FetchedWords

    def origin(self, folder: str) -> Provenance:
        """The origin and licence of a folder's files, or a ConfigError naming the entry."""
        return given(self.origins, folder, "sources.origins", DICTIONARY)

    def table(self, name: str) -> str:
        """What a source table is, or a ConfigError naming the missing entry."""
        return given(self.tables, name, "sources.tables", DICTIONARY)


class Dictionary(Entry):
    """The data dictionary's words (notebooks/dictionary.yaml): each processed table's columns,
    and the words around the tables."""

    title: Text
    heading: Text
    note: Text
    table_line: Annotated[Text, filling("rows", "key")]
    header: DictionaryHeader
    cells: DictionaryCells
    one_of: Annotated[Text, filling("values")]
    shared: dict[str, Text] = Field(default_factory=dict)
    tables: dict[str, dict[str, Text]]
    sources: SourceFileWords

    def columns(self, table: str) -> dict[str, str]:
        """A table's column words, the shared ones under its own; a missing table is an error."""
        return {**self.shared, **given(self.tables, table, "tables", DICTIONARY)}


def dictionary(path: Path | None = None) -> Dictionary:
    """The data dictionary's words, validated, read from the file as it is now (never at
    import: a warm kernel imported the schemas before the reporter's last edit)."""
    path = path or DICTIONARY
    return parse_dictionary(path, text_of(path))


@functools.cache
def parse_dictionary(path: Path, text: str) -> Dictionary:
    """Check the dictionary file's text (cached by its text)."""
    return load(path, Dictionary, text)
