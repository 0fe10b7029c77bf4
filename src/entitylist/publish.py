"""Write each figure's files to charts/ and the HTML a page shows for it.

Files per figure, named after it: `<name>.vl.json` (Vega-Lite), `<name>.svg` (article
width), `<name>.png` (1200x675 social card at 2x) and `<name>.csv` (exactly the plotted data).
"""

import html
import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
import vl_convert as vlc
from PIL import Image

from entitylist import atomic, fonts, story, theme

if TYPE_CHECKING:
    # Only for type hints: a page that embeds finished charts need not import Altair.
    from entitylist.charts import Figure

VEGA_LITE = "6.4"
CARD_SIZE = (1200, 675)
CARD_SCALE = 2
# Drawing columns (colours, label text) that the reader's data table leaves out.
HIDDEN_COLUMNS = ("color", "label")


def spec(figure: "Figure", width: int) -> dict:
    """Return the Vega-Lite spec of a figure at a width, with the theme applied."""
    # Text is measured with the shipped fonts, so labels fit the same on every machine.
    fonts.register()
    return figure.chart(width).to_dict()


def svg(chart_spec: dict) -> str:
    """Render a Vega-Lite spec to SVG text whose root names the chart for screen readers."""
    text = vlc.vegalite_to_svg(chart_spec, vl_version=VEGA_LITE)
    label = html.escape(chart_spec.get("description", ""))
    return text.replace(
        "<svg ", f'<svg role="graphics-document document" aria-label="{label}" ', 1
    )


def social_card(figure: "Figure") -> bytes:
    """Render the figure as large as fits on a white 1200x675 card at 2x, as PNG bytes."""
    width, height = CARD_SIZE
    margin = 32
    chart_spec = spec(figure, 880)
    probe = Image.open(io.BytesIO(vlc.vegalite_to_png(chart_spec, vl_version=VEGA_LITE)))
    fit = min((width - 2 * margin) / probe.width, (height - 2 * margin) / probe.height)
    png = vlc.vegalite_to_png(chart_spec, vl_version=VEGA_LITE, scale=CARD_SCALE * fit)
    chart = Image.open(io.BytesIO(png)).convert("RGB")
    canvas = Image.new("RGB", (width * CARD_SCALE, height * CARD_SCALE), theme.BACKGROUND)
    canvas.paste(chart, (margin * CARD_SCALE, margin * CARD_SCALE))
    out = io.BytesIO()
    canvas.save(out, format="PNG", optimize=True)
    return out.getvalue()


@dataclass(frozen=True)
class Published:
    """A figure as written to charts/, and the HTML that shows it on a page."""

    name: str
    headline: str
    description: str
    data: pd.DataFrame
    desktop_svg: str
    phone_svg: str
    csv_href: str

    def _repr_html_(self) -> str:
        """Show the figure in JupyterLab and in the exported page."""
        return figure_html(self)


def save(figure: "Figure", charts_dir: Path, csv_prefix: str = "charts/") -> Published:
    """Write a figure's Vega-Lite JSON, SVGs, PNG card and CSV; return what a page shows."""
    desktop = spec(figure, theme.ARTICLE_WIDTH)
    desktop_svg = svg(desktop)
    phone_svg = svg(spec(figure, theme.PHONE_WIDTH))
    stem = charts_dir / figure.name
    atomic.write_text(stem.with_suffix(".vl.json"), json.dumps(desktop, indent=2, sort_keys=True))
    atomic.write_text(stem.with_suffix(".svg"), desktop_svg)
    atomic.write_text(stem.with_suffix(".phone.svg"), phone_svg)
    atomic.write_bytes(stem.with_suffix(".png"), social_card(figure))
    atomic.write_csv(stem.with_suffix(".csv"), figure.data)
    return Published(
        figure.name,
        figure.headline,
        figure.description,
        figure.data,
        desktop_svg,
        phone_svg,
        f"{csv_prefix}{figure.name}.csv",
    )


def embed(name: str, charts_dir: Path, csv_prefix: str = "charts/") -> Published:
    """Show a chart another notebook published, exactly as it is in charts/."""
    stem = charts_dir / name
    if not stem.with_suffix(".vl.json").exists():
        msg = f"charts/{name}.vl.json: no such chart; run the notebook that publishes it first"
        raise FileNotFoundError(msg)
    chart_spec = json.loads(stem.with_suffix(".vl.json").read_text(encoding="utf-8"))
    title = chart_spec["title"]["text"]
    return Published(
        name,
        " ".join(title) if isinstance(title, list) else title,
        chart_spec["description"],
        pd.read_csv(stem.with_suffix(".csv"), dtype=str, keep_default_na=False, na_values=[""]),
        stem.with_suffix(".svg").read_text(encoding="utf-8"),
        stem.with_suffix(".phone.svg").read_text(encoding="utf-8"),
        f"{csv_prefix}{name}.csv",
    )


def figure_html(published: Published) -> str:
    """Return the page markup of a figure: both SVG widths, description, data table, CSV link."""
    name = html.escape(published.name)
    description = html.escape(published.description)
    shown = published.data[[c for c in published.data.columns if c not in HIDDEN_COLUMNS]]
    return (
        f'<figure class="chart" id="{name}" data-chart="{name}">'
        f'<div class="chart-wide">{published.desktop_svg}</div>'
        f'<div class="chart-phone">{published.phone_svg}</div>'
        f"<figcaption>{description}</figcaption>"
        f"<details><summary>The data behind this chart</summary>"
        f"{story.table(shown, published.headline).markup}</details>"
        f'<p class="download"><a href="{html.escape(published.csv_href)}" download>'
        f"Download the data (CSV)</a></p></figure>"
    )
