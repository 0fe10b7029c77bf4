"""Who published a source: the desk's registry (notebooks/publishers.yaml) applied to URLs.

Every host the data cites is graded there: an original document, a publisher's own
reporting, a copy of a named original, an aggregator, state media (cited only for the views
of those it speaks for) or unpublishable. Original documents come first where a row has
several sources, and a copy is credited to its original ("Reuters, via Business Fast"), so a
reader always knows whose reporting a link holds.
"""

from dataclasses import dataclass
from functools import cache
from urllib.parse import urlparse

from entitylist import config

# Order of preference among a row's sources: original documents first, copies last.
RANK = {
    "primary": 0,
    "document copy": 1,
    "original": 2,
    "aggregator": 3,
    "state media": 4,
    "copy": 5,
    "ungraded": 6,
    "unpublishable": 7,
}
COPIES = {"copy", "document copy"}
WHERE = f"notebooks/{config.PUBLISHERS.name}"


@dataclass(frozen=True)
class Publisher:
    """A source's publisher as a reader sees it, its grade, and whose work a copy reproduces."""

    name: str
    kind: str
    original: str | None = None
    why: str | None = None
    speaks_for: tuple[str, ...] = ()

    @property
    def note(self) -> str | None:
        """What a link adds after the publisher's name for its kind ('data aggregator',
        'state media'; words.yaml), or None."""
        return config.wording().publishers.notes.get(self.kind)

    def may_carry(self, actor: object) -> str | None:
        """Why this source may not carry a row whose actor is `actor`, or None if it may.

        State media speak for themselves and their state: a row is theirs to carry only when
        one of its actors (separated by ';') starts with a name they speak for.
        """
        said = config.wording().publishers.refusals
        if self.kind == "unpublishable":
            return said.unpublishable.format(name=self.name, why=self.why)
        if self.kind != "state media":
            return None
        actors = [part.strip() for part in str(actor or "").split(";")]
        if any(a.startswith(tuple(self.speaks_for)) for a in actors if a):
            return None
        return said.state_media.format(name=self.name)


@cache
def registry() -> config.Publishers:
    """The validated registry, read once per process."""
    return config.publishers()


def host(url: str) -> str:
    """A URL's host name without 'www.'."""
    return (urlparse(url).hostname or "").removeprefix("www.")


def graded(name: str, section: dict) -> object | None:
    """A host's entry in one section of the registry, by its name or a '*.' domain key."""
    if name in section:
        return section[name]
    parts = name.split(".")
    for i in range(1, len(parts)):
        found = section.get("*." + ".".join(parts[i:]))
        if found is not None:
            return found
    return None


def via(copy: config.Copy) -> str:
    """A copy credited to its original, in the words readers see (words.yaml): 'Reuters, via
    Business Fast'."""
    return config.wording().publishers.via.format(original=copy.original, copy=copy.name)


def publisher(url: str) -> Publisher:
    """Name the publisher of a URL and grade it (see notebooks/publishers.yaml)."""
    name, known = host(url), registry()
    if url in known.pages:
        page = known.pages[url]
        return Publisher(via(page), "document copy" if page.document else "copy", page.original)
    if (found := graded(name, known.primary)) is not None:
        return Publisher(found, "primary")
    if (found := graded(name, known.originals)) is not None:
        return Publisher(found, "original")
    if (copy := graded(name, known.copies)) is not None:
        return Publisher(via(copy), "document copy" if copy.document else "copy", copy.original)
    if (found := graded(name, known.aggregators)) is not None:
        return Publisher(found, "aggregator")
    if (outlet := graded(name, known.state_media)) is not None:
        shown = via(outlet) if outlet.original else outlet.name
        return Publisher(shown, "state media", outlet.original, None, tuple(outlet.speaks_for))
    if (bad := graded(name, known.unpublishable)) is not None:
        return Publisher(bad.name, "unpublishable", why=bad.why)
    return Publisher(name, "ungraded")


def unpublishable_hosts() -> dict[str, str]:
    """Every host key no page may cite ('*.netlify.app' included), with why."""
    return {key: grade.why for key, grade in registry().unpublishable.items()}


def primary_first(urls: list[str]) -> list[str]:
    """A row's sources in the order a reader should follow them: originals first."""
    return sorted(urls, key=lambda url: RANK[publisher(url).kind])


def credit(urls) -> list[str]:
    """The distinct publishers a chart's footer names: originals, with copies' originals."""
    names = []
    for url in urls:
        found = publisher(url)
        names.append(found.original if found.original else found.name)
    return sorted(set(names))
