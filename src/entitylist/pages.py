"""Export executed notebooks to reader pages with nbconvert, write the index, check every page."""

import html
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import nbformat
from nbconvert import HTMLExporter

from entitylist.errors import RenderError

SITE_NAME = "The Entity List story"
TEMPLATES = resources.files("entitylist") / "templates"
COLOPHON = (
    "Published by the TechNode data desk. Code MIT; data and charts CC BY 4.0. "
    "This page works offline and loads nothing from other sites."
)
# A reference that would make a reader's browser fetch from another host.
REMOTE_FETCH = re.compile(
    r"<(?:script|link|img|iframe|source|video|audio|embed|object)\b[^>]*?"
    r"(?:src|href|data|srcset)\s*=\s*[\"']?\s*(?:https?:)?//",
    re.IGNORECASE,
)
REMOTE_CSS = re.compile(r"(?:url\(\s*[\"']?|@import\s+[\"']?)\s*(?:https?:)?//", re.IGNORECASE)
LEAKS = {
    "a traceback": re.compile(r"Traceback \(most recent call last\)|\bError: .*\n\s+at "),
    "a code prompt": re.compile(r"class=\"[^\"]*\bjp-InputPrompt|In&nbsp;\[\d*\]"),
    "a local file path": re.compile(r"/(?:work|home|root|tmp)/[\w.-]+/|\.venv/"),
}


@dataclass(frozen=True)
class Page:
    """A published page: its file name in site/, its title and a one-line summary."""

    file: str
    title: str
    summary: str


def page_meta(notebook: nbformat.NotebookNode) -> dict:
    """Return the title and summary the notebook's header cell recorded."""
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            meta = output.get("metadata", {}).get("text/html", {}).get("entitylist", {})
            if "title" in meta:
                return meta
    msg = "no header: the notebook must display story.header(...) before anything else"
    raise RenderError(msg)


def to_html(notebook: nbformat.NotebookNode, title: str) -> str:
    """Convert a notebook into a page with the desk's template: the one page shell."""
    exporter = HTMLExporter(
        template_name="desk",
        extra_template_basedirs=[str(TEMPLATES)],
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
    )
    css = (resources.files("entitylist") / "static" / "page.css").read_text(encoding="utf-8")
    body, _ = exporter.from_notebook_node(
        notebook,
        resources={
            "page_title": title,
            "page_css": css,
            "site_name": SITE_NAME,
            "colophon": COLOPHON,
        },
    )
    return body


def export(executed: Path) -> tuple[str, dict]:
    """Convert an executed notebook into page HTML; return it with the page's title and summary."""
    notebook = nbformat.read(executed, as_version=4)
    meta = page_meta(notebook)
    return to_html(notebook, f"{meta['title']} | {SITE_NAME}"), meta


def check(page: str, text: str) -> None:
    """Refuse a page that fetches from another host, or shows code, tracebacks or paths."""
    for pattern in (REMOTE_FETCH, REMOTE_CSS):
        found = pattern.search(text)
        if found:
            msg = f"{page}: loads from another host ({found.group(0)[:80]!r})"
            raise RenderError(msg)
    for what, pattern in LEAKS.items():
        found = pattern.search(text)
        if found:
            msg = f"{page}: shows {what} ({found.group(0)[:80]!r})"
            raise RenderError(msg)


def index_html(pages: list[Page]) -> str:
    """Return the site's index page, linking every page, in the same shell as the others."""
    items = "".join(
        f'<li><a href="{html.escape(p.file)}">{html.escape(p.title)}</a>'
        f'<br><span class="byline">{html.escape(p.summary)}</span></li>'
        for p in pages
    )
    markup = (
        f"<h1>{html.escape(SITE_NAME)}</h1>"
        '<p class="dek">How exposed were the Chinese firms the US blacklisted in October 2019, '
        "and how did the blacklist grow?</p>"
        f'<ul class="timeline-list">{items}</ul>'
    )
    cell = nbformat.v4.new_code_cell(
        outputs=[nbformat.v4.new_output("display_data", data={"text/html": markup})]
    )
    return to_html(nbformat.v4.new_notebook(cells=[cell]), SITE_NAME)
