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
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
from lxml import etree
from markupsafe import Markup

from entitylist import atomic, config, downloads, story, theme
from entitylist.errors import RenderError
from entitylist.pages import cards, fonts, templating
from entitylist.pages.drawing import SVG_NS, is_data_mark, svg, svg_size

if TYPE_CHECKING:
    # Only for type hints: a page that embeds finished charts need not import Altair.
    from entitylist.charts import Figure


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
        return self.markup, {templating.MARK: self.meta}

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
    atomic.write_bytes(stem.with_suffix(".png"), cards.card(figure))
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
    empty = config.wording().page("no_chart_data")
    data_table = story.table(shown, published.headline, empty=empty)
    return templating.render(
        "fragments/figure.html.j2",
        name=published.name,
        description=published.description,
        desktop_svg=Markup(published.desktop_svg),
        phone_svg=Markup(published.phone_svg),
        table=data_table,
        csv_href=published.csv_href,
    ).strip()
