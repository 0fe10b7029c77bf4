"""Reader pages: a notebook exported into its page, the index, the site's assets, page checks.

nbconvert exports a notebook through the desk's template environment (templating.py,
`PageExporter`), with the desk's own cell loop instead of nbconvert's base templates.
"""

import functools
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import jinja2
import lxml.html
from markupsafe import Markup

from entitylist import atomic, config, paths
from entitylist.errors import RenderError
from entitylist.pages import cards, fonts
from entitylist.pages.templating import environment, fragment_meta, render

if TYPE_CHECKING:
    from nbconvert.exporters import TemplateExporter

STATIC = "static"
SITE_CARD = f"{STATIC}/card.png"
OPENS = ": a page opens with story.header(...)"


@dataclass(frozen=True)
class Page:
    """A published page: its file name in site/, its title and a one-line summary."""

    file: str
    title: str
    summary: str


def opening(cell: dict) -> str:
    """A cell's first line, to name it in a message."""
    return (cell["source"].strip().splitlines() or [""])[0][:60]


def page_meta(notebook: dict) -> dict:
    """Read the header, the lead chart and any skip from the fragments a notebook displayed.

    A page opens with its header: Markdown or a fragment shown before it is refused, and so
    is HTML that the desk's code did not make (a DataFrame's table, a raw chart).
    """
    header: dict | None = None
    figures: list[dict] = []
    for number, cell in enumerate(notebook["cells"], 1):
        if header is None and cell["cell_type"] == "markdown" and cell["source"].strip():
            msg = f"cell {number} ({opening(cell)!r}) comes before the page's header{OPENS}"
            raise RenderError(msg)
        for output in cell.get("outputs", []):
            found = fragment_meta(output)
            if found is None and "text/html" in output.get("data", {}):
                msg = (
                    f"cell {number} ({opening(cell)!r}) shows HTML that story or publish did "
                    "not make; show tables with story.table and charts with publish.save"
                )
                raise RenderError(msg)
            kind = (found or {}).get("kind")
            if kind == "skip":
                return {"skip": found["reason"]}
            if kind == "header" and header is None:
                header = found
            elif kind and header is None:
                msg = f"cell {number} ({opening(cell)!r}) shows a {kind} before the header{OPENS}"
                raise RenderError(msg)
            # Charts shown on their own or inside a section, in page order.
            figures += (found or {}).get("figures", [])
    if header is None:
        msg = "no header: the notebook must display story.header(...) before anything else"
        raise RenderError(msg)
    lead = header.get("image") or (figures[0]["name"] if figures else None)
    return {
        "title": header["title"],
        "summary": header["summary"],
        "image": lead,
        "image_alt": next((f["description"] for f in figures if f["name"] == lead), None),
    }


def head(file: str, title: str, summary: str, image: str | None, image_alt: str | None) -> dict:
    """What a page's <head> says: title, description and the social-sharing tags."""
    settings = config.site()
    card = f"charts/{image}.png" if image else SITE_CARD
    return {
        "title": title,
        "summary": summary,
        "document_title": title
        if title == settings.site_name
        else f"{title} | {settings.site_name}",
        "type": "website" if file == "index.html" else "article",
        "url": settings.url(file),
        "image": settings.url(card),
        "image_alt": image_alt or f"{title}: {settings.desk_name}",
        "image_size": (
            cards.CARD_SIZE[0] * cards.CARD_SCALE,
            cards.CARD_SIZE[1] * cards.CARD_SCALE,
        ),
        "font_urls": {f"{STATIC}/{name}": weight for name, weight in fonts.web_fonts().items()},
        "css": Markup(static_css()),
        "font_family": fonts.FAMILY,
    }


@functools.cache
def static_css() -> str:
    """The desk's page style, inlined into every page."""
    return (paths.PACKAGE / STATIC / "page.css").read_text(encoding="utf-8")


def exporter() -> "TemplateExporter":
    """Return nbconvert's exporter configured for the desk's pages."""
    # lazy: nbconvert takes about 1 s to import; the index and the page checks do not need it.
    from nbconvert.exporters import TemplateExporter

    class PageExporter(TemplateExporter):
        """nbconvert's exporter, rendering with the desk's environment and cell loop."""

        output_mimetype = "text/html"

        def _create_environment(self) -> jinja2.Environment:
            """Use the desk's environment: autoescape on, the same templates as the index."""
            return environment()

    return PageExporter(template_file="notebook.html.j2", file_extension=".html")


def export(executed: Path, page: str | None = None) -> tuple[str, dict]:
    """Convert an executed notebook into its page; return the HTML and the page's meta.

    `page` is the page's file name in site/ (for its address in og:url); by default the
    notebook's own name. Meta holds title, summary and lead image, or `skip` with a reason
    when the notebook called story.skip_page: then the HTML is empty.
    """
    # lazy: only an export reads a notebook.
    import nbformat

    notebook = nbformat.read(executed, as_version=4)
    meta = page_meta(notebook)
    if "skip" in meta:
        return "", meta
    file = page or f"{Path(executed).stem}.html"
    resources = {"page": head(file, **meta)}
    text, _ = exporter().from_notebook_node(notebook, resources=resources)
    return text, meta


def index_html(pages: list[Page]) -> str:
    """Return the site's index page, linking every page, in the same shell as the others."""
    settings = config.site()
    page = head("index.html", settings.site_name, settings.description, None, None)
    return render("index.html.j2", page=page, pages=pages)


def write_assets(site_dir: Path) -> list[Path]:
    """Write what every page loads from site/static/: the web fonts and the site's card."""
    written = []
    for name in fonts.web_fonts():
        target = site_dir / STATIC / name
        atomic.write_bytes(target, (fonts.FONT_DIR / name).read_bytes())
        written.append(target)
    card = site_dir / SITE_CARD
    atomic.write_bytes(card, cards.card(None))
    return [*written, card]


# A reference that would make a reader's browser fetch from another host: any absolute or
# protocol-relative URL in an attribute that loads something.
FETCHING = {
    "script": ("src",),
    "link": ("href",),
    "img": ("src", "srcset"),
    "image": ("href",),
    "use": ("href",),
    "iframe": ("src",),
    "frame": ("src",),
    "source": ("src", "srcset"),
    "video": ("src", "poster"),
    "audio": ("src",),
    "track": ("src",),
    "embed": ("src",),
    "object": ("data",),
    "input": ("src",),
    "feimage": ("href",),
}
REMOTE = re.compile(r"^\s*(?:[a-z][a-z0-9+.-]*:)?//", re.IGNORECASE)
REMOTE_CSS = re.compile(r"(?:url\(\s*[\"']?|@import\s+[\"']?)\s*(?:[a-z]+:)?//", re.IGNORECASE)
# Text a reader should never see: a traceback, an input or output prompt.
LEAKS = {
    "a traceback": re.compile(
        r"Traceback \(most recent call last\)|File \"[^\"]+\", line \d+|\bError: .*\n\s+at "
    ),
    "a code prompt": re.compile(r"\b(?:In|Out)\s?\[\d*\]:"),
}
# A path on the machine that rendered the page. URLs are removed before this is searched,
# so https://www.example.com/home/news/item is an address, not a home folder.
URL = re.compile(r"\bhttps?://\S*", re.IGNORECASE)
LOCAL_PATH = re.compile(
    r"(?<![\w.~/-])/(?:home|root|tmp|work|Users|var|srv|opt|usr|mnt)/[\w.-]+"
    r"|\bfile:/"
    r"|(?<![\w.-])~/[\w.-]"
    r"|\b[A-Za-z]:\\[\w.-]"
    r"|\.venv/|site-packages",
    re.IGNORECASE,
)
CODE_CLASSES = re.compile(r"\b(?:jp-InputArea|jp-InputPrompt|jp-OutputPrompt|input_area)\b")


def page_problem(tree: object) -> str | None:
    """The first thing in a parsed page that a reader must not get, described; else None."""
    for element in tree.iter():
        if not isinstance(element.tag, str):
            continue
        tag = element.tag.rsplit("}", 1)[-1].lower()
        if tag == "script":
            return "shows a script (pages carry no JavaScript)"
        if tag in {"pre", "code"} or CODE_CLASSES.search(element.get("class", "")):
            return f"shows code (<{tag}>)"
        for attribute, value in element.attrib.items():
            # xlink:href and {http://www.w3.org/1999/xlink}href are both an href.
            name = attribute.rsplit("}", 1)[-1].rsplit(":", 1)[-1].lower()
            if name.startswith("on"):
                return f"carries a script in {name}= on <{tag}>"
            if value.strip().lower().startswith(("javascript:", "vbscript:")):
                return f"links to a script ({value[:60]!r})"
            if name in FETCHING.get(tag, ()) and REMOTE.search(value):
                return f"loads from another host ({tag} {name}={value[:80]!r})"
            if name == "style" and REMOTE_CSS.search(value):
                return f"loads from another host (style {value[:80]!r})"
            if name in {"href", "src"} and not URL.match(value) and LOCAL_PATH.search(value):
                return f"shows a local file path ({value[:80]!r})"
        if tag == "style" and REMOTE_CSS.search(element.text or ""):
            found = REMOTE_CSS.search(element.text or "")
            return f"loads from another host ({found.group(0)[:80]!r})"
    return None


def empty_section(tree: object) -> str | None:
    """The heading of the first section with nothing under it, else None."""
    for section in tree.iter("section"):
        headings = [h for h in section if h.tag in {"h2", "h3"}]
        shown = section.text_content()
        for heading in headings:
            shown = shown.replace(heading.text_content(), "", 1)
        drawn = section.xpath(".//figure|.//table|.//svg|.//img|.//li")
        if headings and not shown.strip() and not drawn:
            return headings[0].text_content().strip()
    return None


def missing_links(site: Path, only: set[str] | None = None) -> list[str]:
    """Links between a site's files that point at a file the site lacks: 'story.html ->
    entities.html' (in the pages named in `only`, else in every page). External and in-page
    links are not the site's to check."""
    found = []
    for page in sorted(site.glob("*.html")):
        if only is not None and page.name not in only:
            continue
        tree = lxml.html.document_fromstring(page.read_text(encoding="utf-8"))
        for _, attribute, link, _ in tree.iterlinks():
            target = link.split("#", 1)[0].split("?", 1)[0]
            if attribute not in {"href", "src"} or not target or URL.match(link):
                continue
            if REMOTE.search(link) or ":" in target.split("/", 1)[0]:
                continue
            if not (page.parent / target).exists():
                found.append(f"{page.name} -> {target}")
    return found


def empty_downloads(site: Path, only: set[str] | None = None) -> list[str]:
    """Downloads with a header and no rows (of those named in `only`, else of all): an empty
    download says nothing to a reader."""
    data = site / "data"
    return [
        f"data/{f.name}"
        for f in sorted(data.glob("*.csv"))
        if (only is None or f"data/{f.name}" in only)
        and len(f.read_text(encoding="utf-8").strip().splitlines()) < 2
    ]


def check_site_files(site: Path, only: set[str] | None = None, links: bool = True) -> None:
    """Refuse a site with a link to a file it lacks, or a download with no rows: in the files
    named in `only` (paths under site/), else in all; every page's links when `links`."""
    for problem, found in (
        ("links to a file the site lacks", missing_links(site, None if links else only)),
        ("offers a download with no rows", empty_downloads(site, only)),
    ):
        if found:
            msg = f"the site {problem}: {found[0]}" + (
                f" (and {len(found) - 1} more)" if len(found) > 1 else ""
            )
            raise RenderError(msg)


def check(name: str, text: str) -> None:
    """Refuse a page that fetches from another host, or shows code, tracebacks or paths."""
    if not text.strip():
        msg = f"{name}: the page is empty"
        raise RenderError(msg)
    tree = lxml.html.document_fromstring(text)
    problem = page_problem(tree)
    if problem:
        msg = f"{name}: {problem}"
        raise RenderError(msg)
    heading = empty_section(tree)
    if heading is not None:
        msg = f"{name}: the section {heading!r} has nothing under its heading; leave it out"
        raise RenderError(msg)
    for bad in tree.xpath("//style"):
        bad.drop_tree()
    reader_text = URL.sub(" ", tree.text_content())
    for what, pattern in {**LEAKS, "a local file path": LOCAL_PATH}.items():
        found = pattern.search(reader_text)
        if found:
            msg = f"{name}: shows {what} ({found.group(0)[:80]!r})"
            raise RenderError(msg)
