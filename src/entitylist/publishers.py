"""Who published a source: the desk's registry (notebooks/publishers.yaml) applied to URLs.

Original documents come first where a row has several sources, and a copy is labelled as a
copy of its original publisher's work, so a reader always knows whose reporting a link holds.
"""

from dataclasses import dataclass
from functools import cache
from urllib.parse import urlparse

from entitylist import config

# Order of preference among a row's sources: original documents first, copies last.
RANK = {"primary": 0, "document copy": 1, "original": 2, "aggregator": 3, "copy": 4}


@dataclass(frozen=True)
class Publisher:
    """A source's publisher, what kind of source it is, and whose work a copy reproduces."""

    name: str
    kind: str
    original: str | None = None

    @property
    def note(self) -> str | None:
        """How a link is labelled: 'copy of a Reuters report', 'data aggregator'."""
        if self.kind in {"copy", "document copy"}:
            article = "an" if self.original[:1].lower() in "aeiou" else "a"
            return f"copy of {article} {self.original}"
        if self.kind == "aggregator":
            return "data aggregator"
        return None


@cache
def registry() -> config.Publishers:
    """The validated registry, read once per process."""
    return config.publishers()


def host(url: str) -> str:
    """A URL's host name without 'www.'."""
    return (urlparse(url).hostname or "").removeprefix("www.")


def publisher(url: str) -> Publisher:
    """Name the publisher of a URL and say what kind of source it is."""
    name, known = host(url), registry()
    if url in known.pages:
        page = known.pages[url]
        return Publisher(page.name, "document copy" if page.document else "copy", page.original)
    if name in known.primary:
        return Publisher(known.primary[name], "primary")
    if name in known.copies:
        copy = known.copies[name]
        return Publisher(copy.name, "document copy" if copy.document else "copy", copy.original)
    if name in known.aggregators:
        return Publisher(known.aggregators[name], "aggregator")
    return Publisher(known.names.get(name, name), "original")


def primary_first(urls: list[str]) -> list[str]:
    """A row's sources in the order a reader should follow them: originals first."""
    return sorted(urls, key=lambda url: RANK[publisher(url).kind])


def credit(urls) -> list[str]:
    """The distinct publishers a chart's footer names: originals, with copies' originals."""
    names = []
    for url in urls:
        found = publisher(url)
        copied = found.kind in {"copy", "document copy"}
        names.append(found.original.removesuffix(" report") if copied else found.name)
    return sorted(set(names))
