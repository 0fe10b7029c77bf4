"""The publication guard: what may not leave the building, checked in every file bound for site/.

It runs at every render, after the pages are built and before anything is published, on
pages, chart files and downloads alike (a download is a publication). It refuses:
- a value the source pack marks unverified or candidate (a candidate name, a figure whose
  only source is unverified), found as text, or as a company, period and value together;
- a citation the desk knows to be wrong (84 FR 54004), as text, as a CSV row's volume and
  page, or as the year of an entry it miscites;
- a source host graded unpublishable in publishers.yaml, linked or named;
- a claim the pack searched for and did not find (notebooks/not-found.yaml), and names the
  pack's own rows doubt ("brief cites ...");
- in an as-of render, any date after the as-of day;
- prose (a paragraph, list item, heading, caption) with a sentence that starts with a numeral.
"""

import csv
import datetime as dt
import functools
import hashlib
import html
import io
import re
from dataclasses import dataclass
from pathlib import Path

from entitylist import config, figures, paths
from entitylist.data import cleaning, manifest, publishers, sources
from entitylist.data.cleaning import DOUBT, DOUBTED_NAMES
from entitylist.errors import GuardError
from entitylist.figures import BAD_CITATIONS, WRONG_CITATION

CHECKED = {".html", ".csv", ".json", ".svg", ".txt"}
MONTHS = {
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6,
    "jul": 7, "aug": 8, "sep": 9, "oct": 10, "nov": 11, "dec": 12,
}  # fmt: skip
ISO_DATE = re.compile(r"\b(20\d\d)-(\d\d)-(\d\d)\b")
PROSE_DATE = re.compile(
    r"\b(Jan|Feb|March|April|May|June|July|Aug|Sept|Oct|Nov|Dec)[a-z]*\.? (\d{1,2}), (20\d\d)\b"
)
PROSE_BLOCKS = re.compile(
    r"<(p|li|h1|h2|h3|figcaption|caption)\b[^>]*>(.*?)</\1>", re.IGNORECASE | re.DOTALL
)
TAG = re.compile(r"<[^>]+>")
SENTENCE_START = re.compile(r"(?:^|(?P<word>\S*)[.!?]\s+)(\d[\d,.]*)(?=\s)")
# A full stop after these ends an abbreviation, not a sentence ("Oct. 10", "No. 182").
ABBREVIATIONS = {
    "jan", "feb", "aug", "sept", "oct", "nov", "dec", "no", "nos", "vol", "co", "ltd",
    "inc", "corp", "st", "u.s", "mr", "ms", "dr", "fig", "p", "pp", "approx",
}  # fmt: skip
# A sentence may begin with a year used as a name of the period ("2024 holds …" is still a
# numeral): none are allowed. Dates lead list items of the timeline by design; they are
# marked up as <time>, which is removed before the check.
TIME_ELEMENT = re.compile(r"<time\b[^>]*>.*?</time>", re.IGNORECASE | re.DOTALL)


# What makes a pattern's match depend on where its unit ends: an absolute anchor, or a
# negative lookaround (a line break joining units may be what it refuses).
UNIT_BOUND = re.compile(r"\\A|\\Z|\(\?<?!")


@dataclass(frozen=True)
class Withheld:
    """A value that may not be published, how to recognise it, and why."""

    what: str
    why: str
    text: str | None = None
    together: tuple[str, ...] = ()
    unless: tuple[str, ...] = ()

    @functools.cached_property
    def patterns(self) -> tuple[tuple[re.Pattern, ...], tuple[re.Pattern, ...]]:
        """The unless and together patterns, compiled once (a site has many units)."""
        return (
            tuple(re.compile(part, re.IGNORECASE) for part in self.unless),
            tuple(re.compile(part, re.IGNORECASE) for part in self.together),
        )

    def found_in(self, unit: str) -> bool:
        """Whether one unit of text (a row, a sentence, a label) shows the value."""
        if self.text is not None:
            return self.text.lower() in unit.lower()
        unless, together = self.patterns
        if any(part.search(unit) for part in unless):
            return False
        return all(part.search(unit) for part in together)

    def possible_in(self, joined: str) -> bool:
        """False only when no unit can show the value: `joined` is every unit of a file, one
        a line. A part found in a unit is found in them joined, unless it anchors at the
        start or end of the text or looks around for what may be a line break: such a part
        is not used to rule a file out."""
        if self.text is not None:
            return self.text.lower() in joined.lower()
        return all(
            re.search(part, joined, re.IGNORECASE | re.MULTILINE)
            for part in self.together
            if not UNIT_BOUND.search(part)
        )


def withheld_values(raw_dir: Path = paths.RAW) -> list[Withheld]:
    """Everything the current raw snapshot holds that may not be published."""
    # Read from the raw rows, not from cleaning's verdict: the guard is the second check, so
    # it must still catch a value that a fault in cleaning let through.
    snapshot = sources.Snapshot(raw_dir)
    found: list[Withheld] = []
    entries = snapshot.table(sources.ENTRIES)
    published = set(entries["csl_name"].dropna()) | set(entries["entry_name"].dropna())
    for guess in entries["candidate_name"].dropna():
        if guess not in published:
            found.append(Withheld(guess, "a candidate name the list does not confirm", text=guess))
    found += doubted_names(snapshot.table(sources.RULES))
    revenue = snapshot.table(sources.REVENUE)
    flagged = revenue[revenue["notes"].fillna("").str.contains("UNVERIFIED", regex=False)]
    for row in flagged.itertuples():
        period = re.sub(r"^(FY|H1)-?(\d{4}).*$", r"\1[ -]?\2", row.period)
        for column in ("overseas_share_pct", "overseas_revenue", "total_revenue"):
            value = getattr(row, column)
            if isinstance(value, str) and value:
                number = re.escape(value.rstrip("0").rstrip(".") if "." in value else value)
                found.append(
                    Withheld(
                        f"{row.company} {row.period} {column} {value}",
                        "a figure the source pack marks unverified",
                        together=(
                            re.escape(row.company),
                            period,
                            # The value alone: not part of a date or a larger number.
                            rf"(?<![\d.\-/]){number}(?:\.0+)?(?![\d\-/]|\.\d)",
                        ),
                    )
                )
    found += [
        Withheld(
            claim.claim,
            f"not found in any source: {claim.reason}",
            None,
            tuple(claim.patterns),
            tuple(claim.unless),
        )
        for claim in config.not_found()
    ]
    return found


def doubted_names(rules) -> list[Withheld]:
    """The names the pack's rules table doubts ("brief cites Sugon, Higon"): the doubt as
    written, and each name beside its rule's document number (a row of rules.csv)."""
    found = []
    for row in rules.itertuples():
        notable = row.notable_entities if isinstance(row.notable_entities, str) else ""
        for doubt in DOUBTED_NAMES.findall(notable):
            inner = doubt.strip().strip("()")
            found.append(Withheld(inner, "names the source pack does not verify", text=inner))
            cited = re.split(r"\bbrief cites\b", inner, flags=re.IGNORECASE)[1:]
            names = [n.strip() for part in cited for n in re.split(r"[,;]", part)]
            for name in (n for n in names if n and not DOUBT.search(n)):
                if isinstance(row.document_number, str):
                    together = (rf"\b{re.escape(name)}\b", re.escape(row.document_number))
                    found.append(
                        Withheld(name, "a name the source pack does not verify", None, together)
                    )
    return found


# The characters beyond ASCII that re.IGNORECASE takes for an ASCII letter (tested against
# re itself): folded to it, a text's lower case holds a host name wherever a search finds it.
ASCII_FOLDS = str.maketrans({"\u0130": "i", "\u0131": "i", "\u017f": "s", "\u212a": "k"})


def folded(text: str) -> str:
    """A text in lower case, with the characters of ASCII_FOLDS first taken for their letter."""
    if not text.isascii() and any(chr(c) in text for c in ASCII_FOLDS):
        text = text.translate(ASCII_FOLDS)
    return text.lower()


def may_cite(folded: str, key: str) -> bool:
    """Whether a text (folded by ASCII_FOLDS, then lower-cased) holds a host's domain at all:
    a quick test that spares the host pattern's slow search of most files."""
    return key.removeprefix("*.").lower() in folded


def unpublishable_hosts() -> dict[str, re.Pattern]:
    """Each host no file may cite (publishers.yaml), as a pattern that finds it in text."""
    found = {}
    for key in publishers.unpublishable_hosts():
        domain = re.escape(key.removeprefix("*."))
        # The host (any host under it, for "*."), as a whole host name, in a URL or bare.
        under = "+" if key.startswith("*.") else "*"
        found[key] = re.compile(
            rf"(?<![\w.-])(?:[\w-]+\.){under}{domain}(?!\.?[\w-])", re.IGNORECASE
        )
    return found


CLAUSE = re.compile(r";\s+|(?<=[a-z)%])\.\s+(?=[A-Z])")
BLOCK = re.compile(r"</?(?:p|li|tr|td|th|h\d|figcaption|caption|title|text|div|section)\b[^>]*>")
ATTRIBUTE = re.compile(r'(?:aria-label|content|alt|title)="([^"]*)"')


def units(text: str, suffix: str) -> list[str]:
    """Split a file's text into the units a value is read in: a row, or a clause of a block
    or label (a company, period and value in one clause state one figure)."""
    if suffix == ".csv":
        return text.splitlines()
    if suffix in {".txt", ".json"}:
        return [clause for line in text.splitlines() for clause in CLAUSE.split(line)]
    blocks = [html.unescape(TAG.sub(" ", block)) for block in BLOCK.split(text)]
    labels = [html.unescape(label) for label in ATTRIBUTE.findall(text)]
    return [clause for unit in blocks + labels for clause in CLAUSE.split(unit)]


def dates_in(text: str) -> list[tuple[dt.date, str]]:
    """Every date written as ISO or in prose ('Oct. 9, 2019') in a text."""
    found = []
    for match in ISO_DATE.finditer(text):
        try:
            found.append((dt.date(*map(int, match.groups())), match.group(0)))
        except ValueError:
            continue
    for match in PROSE_DATE.finditer(text):
        month = MONTHS[match[1][:3].lower()]
        try:
            found.append((dt.date(int(match[3]), month, int(match[2])), match.group(0)))
        except ValueError:
            continue
    return found


def sentence_numerals(text: str) -> list[str]:
    """Prose sentences (in paragraphs, items, headings, captions) that start with a numeral."""
    bad = []
    for _, block in PROSE_BLOCKS.findall(TIME_ELEMENT.sub("", text)):
        plain = " ".join(html.unescape(TAG.sub(" ", block)).split())
        for match in SENTENCE_START.finditer(plain):
            word = (match["word"] or "").lower().strip("(\"'")
            if word in ABBREVIATIONS:
                continue
            start = match.start(2)
            bad.append(plain[max(0, start - 20) : start + 40])
    return bad


def miscited_names(raw_dir: Path = paths.RAW) -> frozenset[str]:
    """Entries of the list whose only first citation is wrong (84 FR 54004) and whose right
    one the desk does not know: not the Oct. 9, 2019 rule's own entries."""
    # The manifest holds every raw file's hash: the same manifest, the same answer.
    listing = manifest.manifest_path(raw_dir).read_bytes()
    return miscited_in(Path(raw_dir), hashlib.sha256(listing).hexdigest())


@functools.lru_cache(maxsize=4)
def miscited_in(raw_dir: Path, listing: str) -> frozenset[str]:
    """miscited_names for one state of the raw snapshot (cleaning the list takes a while)."""
    snapshot = sources.Snapshot(raw_dir)
    listed = cleaning.clean_entity_list(snapshot)
    own = set(snapshot.table(sources.ENTRIES)["csl_name"].dropna())
    wrong = figures.wrong_citation(listed) & ~listed["name"].isin(own)
    return frozenset(listed.loc[wrong, "name"])


def wrong_citation_row(text: str, miscited: frozenset[str]) -> str | None:
    """The first row of a CSV giving a wrong citation in columns of its own (its volume and
    page), or a miscited entry with the wrong citation's year; None if there is none."""
    # Volume 1 of the Federal Register is 1936's: volume 84 is 2019.
    years = {str(volume + 1935) for volume, _ in BAD_CITATIONS}
    for number, row in enumerate(csv.reader(io.StringIO(text)), start=1):
        cells = {cell.strip().removesuffix(".0") for cell in row}
        for volume, page in BAD_CITATIONS:
            if {str(volume), str(page)} <= cells:
                return f"row {number} gives volume {volume} and page {page}"
        named = sorted(cells & miscited)
        if named and cells & years:
            return f"row {number} dates {named[0]!r} by the wrong citation's year"
    return None


def check_file(
    path: Path,
    site: Path,
    withheld: list[Withheld],
    as_of: dt.date | None,
    miscited: frozenset[str] = frozenset(),
    hosts: dict[str, re.Pattern] | None = None,
) -> None:
    """Refuse one file: a withheld value, a wrong citation, a later date, a numeral opening."""
    name = path.relative_to(site).as_posix()
    text = path.read_text(encoding="utf-8", errors="replace")
    found = WRONG_CITATION.search(text)
    if found:
        # pragma: no mutate start (a message's wording)
        msg = f"site/{name}: shows {found.group(0)!r}, a citation the list gives wrongly"
        # pragma: no mutate end
        raise GuardError(msg)
    where = wrong_citation_row(text, miscited) if path.suffix == ".csv" else None
    if where:
        # pragma: no mutate start (a message's wording)
        msg = f"site/{name}: {where}, a citation the list gives wrongly (84 FR 54004)"
        # pragma: no mutate end
        raise GuardError(msg)
    lowered = folded(text)
    for key, pattern in (unpublishable_hosts() if hosts is None else hosts).items():
        cites = pattern.search(text) if may_cite(lowered, key) else None
        if cites:
            # pragma: no mutate start (a message's wording)
            msg = (
                f"site/{name}: cites {cites.group(0)!r}, a host graded unpublishable ({key} in "
                "notebooks/publishers.yaml)"
            )
            # pragma: no mutate end
            raise GuardError(msg)
    pieces = units(text, path.suffix)
    joined = "\n".join(pieces)
    for value in (v for v in withheld if v.possible_in(joined)):
        for unit in pieces:
            if value.found_in(unit):
                shown = " ".join(unit.split())[:90]
                # pragma: no mutate start (a message's wording)
                msg = f"site/{name}: shows {value.what!r} ({value.why}) in {shown!r}"
                # pragma: no mutate end
                raise GuardError(msg)
    if as_of is not None:
        later = [(day, written) for day, written in dates_in(text) if day > as_of]
        if later:
            # pragma: no mutate start (a message's wording)
            msg = (
                f"site/{name}: the as-of view of {as_of} shows a later date, {later[0][1]!r}; "
                "it may show only what was public that day"
            )
            # pragma: no mutate end
            raise GuardError(msg)
    if path.suffix == ".html":
        bad = sentence_numerals(text)
        if bad:
            # pragma: no mutate start (a message's wording)
            msg = f"site/{name}: a sentence starts with a numeral: {bad[0]!r} (house style)"
            # pragma: no mutate end
            raise GuardError(msg)


def check_site(
    site: Path,
    as_of: dt.date | None = None,
    raw_dir: Path = paths.RAW,
    only: set[str] | None = None,
) -> int:
    """Check every file bound for site/ (or those of `only`, paths under site/); return how
    many were checked."""
    files = sorted(
        p
        for p in Path(site).rglob("*")
        if p.is_file()
        and p.suffix in CHECKED
        and (only is None or p.relative_to(site).as_posix() in only)
    )
    if not files:
        return 0
    withheld, miscited = withheld_values(raw_dir), miscited_names(raw_dir)
    hosts = unpublishable_hosts()
    for path in files:
        check_file(path, Path(site), withheld, as_of, miscited, hosts)
    return len(files)
