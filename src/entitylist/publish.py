"""Write each figure's files to charts/ and the markup a page shows for it.

Files per figure, named after it: `<name>.vl.json` (Vega-Lite), `<name>.svg` (article
width), `<name>.phone.svg` (phone width), `<name>.png` (the social card: 1200x675 at 2x)
and `<name>.csv` (exactly the plotted data). Every data mark in the SVGs carries a <title>
with its description, so hovering (or a long press) shows it without any JavaScript.
"""

import functools
import io
import json
import re
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
from lxml import etree
from markupsafe import Markup

from entitylist import atomic, downloads, fonts, pages, story, theme
from entitylist.errors import RenderError

if TYPE_CHECKING:
    # Only for type hints: a page that embeds finished charts need not import Altair.
    from entitylist.charts import Figure

VEGA_LITE = "6.4"
SVG_NS = "http://www.w3.org/2000/svg"
CARD_SIZE = pages.CARD_SIZE
CARD_SCALE = pages.CARD_SCALE
# The card's own layout, in its CSS pixels (1200 x 675): a headline, the chart drawn for the
# card, its source, and the brand strip along the foot (the desk's name, the site's address).
CARD_MARGIN = 48
CARD_TOP = 28
CARD_STRIP = 76
CARD_HEADLINE = (44, 52)  # font size, line height
CARD_SOURCE = (22, 28)
CARD_GAP = 20
# A feed shows a card about 500 px wide, 0.42 of its width: the chart is drawn
# theme.CARD_CHART_WIDTH wide and scaled to the card's width (1.6 times), so its 12 px labels
# print 19 px and read at 8 px in the feed.
CARD_CHART_SCALE = (CARD_SIZE[0] - 2 * CARD_MARGIN) / theme.CARD_CHART_WIDTH
# Marks whose aria-label describes the chart's frame (axes, legend, titles), not a value.
FRAME_ROLES = {"axis", "legend", "title", "subtitle"}
# zlib level for the card PNG: the default level; 9 or optimize=True take about half as long
# again for about 1% less (measured over every card), level 1 is a third larger.
PNG_COMPRESS_LEVEL = 6


def spec(figure: "Figure", width: int) -> dict:
    """Return the Vega-Lite spec of a figure at a width, with the theme applied."""
    # Text is measured with the shipped fonts, so labels fit the same on every machine.
    fonts.register()
    return drawn_fields_only(figure.chart(width).to_dict())


def drawn_fields_only(chart: dict) -> dict:
    """The spec with each dataset cut to the fields the chart names somewhere (an encoding,
    a transform, an expression): a column it never draws is not published, so an as-of chart
    carries nothing of a later day (issue 19: a snapshot folder's date in an unplotted column)."""
    datasets = chart.get("datasets")
    if not datasets:
        return chart
    rest = json.dumps({k: v for k, v in chart.items() if k != "datasets"})

    def named(field: str) -> bool:
        """Whether the spec outside its data names a field (conservatively: as a word)."""
        return re.search(rf"(?<!\w){re.escape(field)}(?!\w)", rest) is not None

    cut = {}
    for key, rows in datasets.items():
        keep = {field for field in dict.fromkeys(f for row in rows for f in row) if named(field)}
        cut[key] = [{f: v for f, v in row.items() if f in keep} for row in rows]
    return {**chart, "datasets": cut}


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


# A year printed through the thousands filter: '2,016'.
YEAR_AS_QUANTITY = re.compile(r"\b(?:1,99\d|2,0\d\d)\b")
# What vl-convert puts where it cut a label or legend entry too long for its room.
CUT = "\u2026"
# Vega's own description of a mark when the chart gives none: 'year: 2016; basis: …'.
FIELD_PAIR = re.compile(r"(?:^|; )([^:;]+): ")


def house_style_faults(figure: "Figure", drawings: dict[str, str]) -> list[str]:
    """What in a chart breaks the house style in a way a reader sees, each naming the chart
    and what to change; empty when it may be published."""
    faults = []
    for part in ("headline", "dek", "note", "description"):
        found = YEAR_AS_QUANTITY.search(getattr(figure, part) or "")
        if found:
            faults.append(
                f"its {part} prints a year as a quantity ({found.group(0)!r}); "
                "write the year with |year"
            )
    columns = set(figure.data.columns)
    for width, text in drawings.items():
        root = etree.fromstring(text.encode("utf-8"))
        cut = [t for t in root.iter(f"{{{SVG_NS}}}text") if CUT in "".join(t.itertext())]
        if cut:
            faults.append(
                f"a label of its {width} drawing is cut ({''.join(cut[0].itertext())!r}); "
                "shorten it"
            )
        for element in root.iter():
            if isinstance(element.tag, str) and is_data_mark(element):
                named = FIELD_PAIR.findall(element.get("aria-label"))
                if len(named) >= 2 and set(named) <= columns:
                    faults.append(
                        f"its tooltips name data fields ({element.get('aria-label')[:60]!r}); "
                        "give its marks a description in words"
                    )
                    break
    return [f"chart {figure.name}: {fault}" for fault in dict.fromkeys(faults)]


def svg(chart_spec: dict) -> str:
    """Render a Vega-Lite spec to SVG: named for screen readers, each data mark titled."""
    import vl_convert as vlc

    text = vlc.vegalite_to_svg(chart_spec, vl_version=VEGA_LITE)
    return with_tooltips(text, chart_spec.get("description", ""))


def svg_size(svg_text: str) -> tuple[float, float]:
    """The width and height an SVG declares, in pixels."""
    root = etree.fromstring(svg_text.encode("utf-8"))
    return float(root.get("width")), float(root.get("height"))


def squeezed(chart_spec: object, factor: float) -> object:
    """A Vega-Lite spec with every height (a fixed one or a band's step) times a factor."""
    if isinstance(chart_spec, list):
        return [squeezed(item, factor) for item in chart_spec]
    if not isinstance(chart_spec, dict):
        return chart_spec
    found = {key: squeezed(value, factor) for key, value in chart_spec.items()}
    height = chart_spec.get("height")
    if isinstance(height, int | float):
        found["height"] = round(height * factor, 3)
    elif isinstance(height, dict) and isinstance(height.get("step"), int | float):
        found["height"] = {**height, "step": round(height["step"] * factor, 3)}
    return found


def card_chart(figure: "Figure", room: tuple[float, float]) -> str:
    """The chart without its frame, drawn for the card: as wide as the room over the card's
    chart scale, its heights squeezed until it fits the room's height at that scale."""
    fonts.register()
    height = room[1] / CARD_CHART_SCALE
    chart_spec = figure.draw(figure.data, int(room[0] / CARD_CHART_SCALE)).to_dict()
    drawn = svg(chart_spec)
    # Squeeze by what is too tall, a little more: axes and labels do not shrink with it.
    for _ in range(6):
        tall = svg_size(drawn)[1]
        if tall <= height:
            break
        chart_spec = squeezed(chart_spec, height / tall * 0.97)
        drawn = svg(chart_spec)
    return drawn


def card_layout(figure: "Figure | None") -> dict:
    """Where everything sits on a card: headline lines, the chart, source lines."""
    from entitylist import charts

    room_width = CARD_SIZE[0] - 2 * CARD_MARGIN
    strip_top = CARD_SIZE[1] - CARD_STRIP
    if figure is None:
        return {"chart": None, "headline": [], "source": []}
    headline = charts.wrap(figure.headline, room_width, CARD_HEADLINE[0], bold=True)
    source = charts.wrap(f"Source: {figure.source}", room_width, CARD_SOURCE[0])
    top = CARD_TOP + CARD_HEADLINE[1] * len(headline) + CARD_GAP
    bottom = strip_top - CARD_GAP - CARD_SOURCE[1] * len(source) - CARD_GAP // 2
    drawn = card_chart(figure, (room_width, bottom - top))
    width, height = svg_size(drawn)
    scale = min(CARD_CHART_SCALE, room_width / width, (bottom - top) / height)
    return {
        "headline": headline,
        "source": source,
        "chart": {
            "svg": Markup(drawn),
            "scale": round(scale, 6),
            "x": round((CARD_SIZE[0] - width * scale) / 2, 3),
            "y": round(top + (bottom - top - height * scale) / 2, 3),
        },
        "source_top": bottom + CARD_GAP // 2,
    }


def card_svg(figure: "Figure | None") -> str:
    """The card as SVG: a chart's own layout (or the site's name and description) above the
    brand strip with the desk's name (site.yaml) and the site's address."""
    settings = pages.site()
    width, height = CARD_SIZE
    return pages.render(
        "card.svg.j2",
        width=width,
        height=height,
        margin=CARD_MARGIN,
        top=CARD_TOP,
        strip_top=height - CARD_STRIP,
        baseline=height - CARD_STRIP / 2 + 9,
        font=theme.FONT,
        colors={
            "background": theme.BACKGROUND,
            "text": theme.TEXT,
            "secondary": theme.SECONDARY,
            "rule": theme.RULE,
        },
        headline_size=CARD_HEADLINE,
        source_size=CARD_SOURCE,
        layout=card_layout(figure),
        title=textwrap.wrap(settings.site_name, 28)[:3],
        description=textwrap.wrap(settings.description, 56)[:5],
        desk=settings.desk_name,
        address=settings.address,
    )


def card(figure: "Figure | None") -> bytes:
    """The social card as PNG, rasterised once at 2x from its SVG."""
    import vl_convert as vlc
    from PIL import Image

    fonts.register()
    png = vlc.svg_to_png(card_svg(figure), scale=CARD_SCALE)
    # vl-convert writes RGBA with light compression; an opaque card re-encoded as RGB at
    # zlib's default level is about a quarter of the size.
    out = io.BytesIO()
    Image.open(io.BytesIO(png)).convert("RGB").save(
        out, format="PNG", compress_level=PNG_COMPRESS_LEVEL
    )
    return out.getvalue()


def read_data(csv_text: str) -> pd.DataFrame:
    """A chart's data as its CSV gives it: what every page's data table shows."""
    frame = pd.read_csv(io.StringIO(csv_text), keep_default_na=False, na_values=[""])
    return downloads.restored(frame)


@dataclass(frozen=True)
class Published:
    """A figure as written to charts/, and the markup that shows it on a page."""

    name: str
    headline: str
    description: str
    data: pd.DataFrame
    desktop_svg: str
    phone_svg: str
    csv_href: str

    @functools.cached_property
    def markup(self) -> str:
        """The figure's page markup, rendered once."""
        return figure_html(self)

    @property
    def meta(self) -> dict:
        """What the page export reads: a figure, its name and description (for its card)."""
        named = {"name": self.name, "description": self.description}
        return {"kind": "figure", **named, "figures": [named]}

    def _repr_html_(self) -> tuple[str, dict]:
        """Show the figure in JupyterLab and in the exported page."""
        return self.markup, {pages.MARK: self.meta}

    def __html__(self) -> str:
        """Let a template (a section) embed the figure."""
        return self.markup


def width_faults(name: str, drawings: dict[str, tuple[str, int]]) -> list[str]:
    """Each drawing wider than its column (a page would shrink its text), named."""
    faults = []
    for what, (svg_text, width) in drawings.items():
        drawn = svg_size(svg_text)[0]
        if drawn > width:
            faults.append(
                f"chart {name}: the {what} drawing is {drawn:g} px wide, more than its "
                f"{width} px column; place or wrap its labels to fit"
            )
    return faults


def save(figure: "Figure", charts_dir: Path, csv_prefix: str = "charts/") -> Published:
    """Write a figure's Vega-Lite JSON, SVGs, PNG card and CSV; return what a page shows."""
    desktop = spec(figure, theme.ARTICLE_WIDTH)
    desktop_svg = svg(desktop)
    phone_svg = svg(spec(figure, theme.PHONE_WIDTH))
    faults = width_faults(
        figure.name,
        {"article": (desktop_svg, theme.ARTICLE_WIDTH), "phone": (phone_svg, theme.PHONE_WIDTH)},
    ) + house_style_faults(figure, {"web": desktop_svg, "phone": phone_svg})
    if faults:
        raise RenderError("; ".join(faults))
    csv = downloads.csv_text(figure.reader_data())
    stem = charts_dir / figure.name
    atomic.write_text(stem.with_suffix(".vl.json"), json.dumps(desktop, indent=2, sort_keys=True))
    atomic.write_text(stem.with_suffix(".svg"), desktop_svg)
    atomic.write_text(stem.with_suffix(".phone.svg"), phone_svg)
    atomic.write_bytes(stem.with_suffix(".png"), card(figure))
    atomic.write_text(stem.with_suffix(".csv"), csv)
    return Published(
        figure.name,
        figure.headline,
        figure.description,
        read_data(csv),
        desktop_svg,
        phone_svg,
        f"{csv_prefix}{figure.name}.csv",
    )


def embed(name: str, charts_dir: Path, csv_prefix: str = "charts/") -> Published:
    """Show a chart another notebook published, exactly as it is in charts/."""
    stem = charts_dir / name
    files = [stem.with_suffix(s) for s in (".vl.json", ".svg", ".phone.svg", ".csv")]
    missing = [f.name for f in files if not f.exists()]
    if missing:
        msg = f"charts/{missing[0]}: no such chart file; run the notebook that publishes it first"
        raise RenderError(msg)
    chart_spec = json.loads(files[0].read_text(encoding="utf-8"))
    title = chart_spec["title"]["text"]
    return Published(
        name,
        " ".join(title) if isinstance(title, list) else title,
        chart_spec["description"],
        read_data(files[3].read_text(encoding="utf-8")),
        files[1].read_text(encoding="utf-8"),
        files[2].read_text(encoding="utf-8"),
        f"{csv_prefix}{name}.csv",
    )


def figure_html(published: Published) -> str:
    """Return the page markup of a figure: both SVG widths, description, data table, CSV link."""
    # A chart's CSV keeps its sources as web addresses; the table shows them as named links.
    shown = published.data.assign(
        **{c: published.data[c].map(story.source_link) for c in published.data if c == "Source"}
    )
    data_table = story.table(shown, published.headline, empty="The chart shows no data.")
    return pages.render(
        "fragments/figure.html.j2",
        name=published.name,
        description=published.description,
        desktop_svg=Markup(published.desktop_svg),
        phone_svg=Markup(published.phone_svg),
        table=data_table,
        csv_href=published.csv_href,
    ).strip()
