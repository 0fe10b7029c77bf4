"""Vega-Lite specs drawn as SVG with vl-convert: the chart named for screen readers, every data
mark given a <title> tooltip, the site's own links kept relative.
"""

import vl_convert as vlc
from lxml import etree

VEGA_LITE = "6.4"
SVG_NS = "http://www.w3.org/2000/svg"
# Marks whose aria-label describes the chart's frame (axes, legend, titles), not a value.
FRAME_ROLES = {"axis", "legend", "title", "subtitle"}


def is_data_mark(element: etree._Element) -> bool:
    """Whether an SVG element is a data mark with a description (not an axis or legend)."""
    return (
        "graphics-symbol" in element.get("role", "").split()
        and bool(element.get("aria-label"))
        and element.get("aria-roledescription") not in FRAME_ROLES
    )


# Vega's loader resolves a mark's relative link against its datasets address; a page's links
# are relative to the site, so that prefix comes off again.
VEGA_BASE_URL = "https://vega.github.io/vega-datasets/"
XLINK_HREF = "{http://www.w3.org/1999/xlink}href"


def with_tooltips(svg_text: str, description: str) -> str:
    """Name the chart for screen readers, give every data mark a <title> tooltip, and keep
    the site's own links relative."""
    root = etree.fromstring(svg_text.encode("utf-8"))
    root.set("role", "graphics-document document")
    root.set("aria-label", description)
    for element in root.iter():
        for name in (XLINK_HREF, "href"):
            link = element.get(name)
            if link and link.startswith(VEGA_BASE_URL):
                element.set(name, link.removeprefix(VEGA_BASE_URL))
        # A layer with no marks leaves an empty container that claims to be a symbol but
        # names nothing: hide it from screen readers rather than announce a blank.
        unnamed = element.get("role") == "graphics-symbol" and not element.get("aria-label")
        if unnamed and len(element) == 0:
            element.attrib.pop("role")
            element.set("aria-hidden", "true")
            continue
        if isinstance(element.tag, str) and is_data_mark(element):
            title = etree.Element(f"{{{SVG_NS}}}title")
            title.text = element.get("aria-label")
            element.insert(0, title)
    return etree.tostring(root, encoding="unicode")


def svg(chart_spec: dict) -> str:
    """Render a Vega-Lite spec to SVG: named for screen readers, each data mark titled."""
    text = vlc.vegalite_to_svg(chart_spec, vl_version=VEGA_LITE)
    return with_tooltips(text, chart_spec.get("description", ""))


def svg_size(svg_text: str) -> tuple[float, float]:
    """The width and height an SVG declares, in pixels."""
    root = etree.fromstring(svg_text.encode("utf-8"))
    return float(root.get("width")), float(root.get("height"))
