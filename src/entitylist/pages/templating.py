"""The one set of Jinja2 templates every piece of page markup is rendered from.

Every piece of page markup, the notebooks' fragments (story.py, publish.py) included, is
rendered by `environment()`: templates in the package's templates/ folder, autoescaping on,
unknown names refused. nbconvert exports a notebook through the same environment (pages.py).
"""

import functools

import jinja2
from markupsafe import Markup

from entitylist import config, words

# Marks the outputs the desk's own code made; nothing else reaches a page.
MARK = "entitylist"


def reporter_markdown(source: str) -> Markup:
    """Render a notebook's Markdown cell: the reporter's words, raw HTML shown as text."""
    return Markup(words.MARKDOWN.render(source))


@functools.cache
def environment() -> jinja2.Environment:
    """The one template environment: the package's templates, autoescaped, strict."""
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("entitylist", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(words.FILTERS)
    env.filters["markdown"] = reporter_markdown
    env.filters["fragments"] = fragments
    env.globals["site"] = config.site
    return env


def render(template: str, **values: object) -> str:
    """Render one of the package's templates with values."""
    return environment().get_template(template).render(**values)


def fragment_meta(output: dict) -> dict | None:
    """What the desk's code recorded on an output (kind, title...); None for anything else."""
    return output.get("metadata", {}).get("text/html", {}).get(MARK)


def fragments(cell: dict) -> list[Markup]:
    """The fragments a code cell displayed for the page, as markup (already escaped)."""
    shown = []
    for output in cell.get("outputs", []):
        meta = fragment_meta(output)
        if meta is not None and meta.get("kind") != "skip":
            shown.append(Markup(output["data"]["text/html"]))
    return shown
