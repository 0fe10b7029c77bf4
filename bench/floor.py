"""The tight floor: the render's published files, computed with no wasted work.

One plain Python process computes what a full render publishes, without notebooks: the
processed tables, every figure, and every chart's files (Vega-Lite JSON, two SVGs, the PNG
social card, CSV). The render's ratio to it is the price of kernels, papermill and nbconvert.

Against the old floor (floor_old.py), the waste it leaves out:
- the social card is rasterised once, from the article SVG already drawn, at the scale
  that fits the card (the SVG's own width and height size it): no probe raster, and no
  separate Vega layout for the card;
- the card's PNG is encoded at zlib's default level (6), not `optimize=True`;
- it imports only what the work uses (not papermill or nbconvert).
`chart_files` is publish.save with that card. Once publish.save draws its card this way
(the pages helper's rework), call publish.save here instead.
"""

import io
import json
import re
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import vl_convert as vlc
from PIL import Image

from entitylist import atomic, charts, cleaning, figures, fonts, publish, tables, theme

CARD_MARGIN = 32
PNG_COMPRESS_LEVEL = 6
SVG_SIZE = re.compile(r'<svg\b[^>]*?\bwidth="([\d.]+)"[^>]*?\bheight="([\d.]+)"')


def svg_size(svg: str) -> tuple[float, float]:
    """The width and height an SVG declares on its root element."""
    width, height = SVG_SIZE.search(svg).groups()
    return float(width), float(height)


def card(chart_svg: str) -> bytes:
    """A 1200x675 card at 2x: the chart as large as fits, rasterised once, as PNG bytes."""
    width, height = publish.CARD_SIZE
    scale = publish.CARD_SCALE
    chart_width, chart_height = svg_size(chart_svg)
    fit = min((width - 2 * CARD_MARGIN) / chart_width, (height - 2 * CARD_MARGIN) / chart_height)
    fonts.register()
    chart = Image.open(io.BytesIO(vlc.svg_to_png(chart_svg, scale=scale * fit))).convert("RGB")
    canvas = Image.new("RGB", (width * scale, height * scale), theme.BACKGROUND)
    canvas.paste(chart, (CARD_MARGIN * scale, CARD_MARGIN * scale))
    out = io.BytesIO()
    canvas.save(out, format="PNG", compress_level=PNG_COMPRESS_LEVEL)
    return out.getvalue()


def chart_files(figure: "charts.Figure", charts_dir: Path) -> None:
    """Write the files publish.save writes for a figure, with the card drawn once."""
    desktop = publish.spec(figure, theme.ARTICLE_WIDTH)
    desktop_svg = publish.svg(desktop)
    stem = charts_dir / figure.name
    atomic.write_text(stem.with_suffix(".vl.json"), json.dumps(desktop, indent=2, sort_keys=True))
    atomic.write_text(stem.with_suffix(".svg"), desktop_svg)
    atomic.write_text(
        stem.with_suffix(".phone.svg"), publish.svg(publish.spec(figure, theme.PHONE_WIDTH))
    )
    atomic.write_bytes(stem.with_suffix(".png"), card(desktop_svg))
    atomic.write_csv(stem.with_suffix(".csv"), figure.data)


def compute(out: Path, save: Callable[["charts.Figure", Path], object] = chart_files) -> None:
    """Clean, compute every figure and write every chart file under out."""
    cleaned = cleaning.clean_all()
    cleaning.write_processed(cleaned, out / "data" / "processed")
    loaded = tables.load(str(out))
    figures.story_facts(loaded)
    for company in loaded["companies"]["company"]:
        figures.profile(loaded, company)
        figures.exposure_table(loaded, company)
    for figure in charts.all_figures(loaded):
        save(figure, out / "charts")


def main() -> None:
    """Compute the published files into a scratch folder."""
    with tempfile.TemporaryDirectory() as scratch:
        compute(Path(scratch))
    sys.stdout.write("ok\n")


if __name__ == "__main__":
    main()
