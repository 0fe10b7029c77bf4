"""The old floor, kept as the reference the tight floor (floor.py) is measured against.

The same work as floor.py, as the floor did it before issue 12: it imports papermill and
nbconvert (a render does too), and draws each social card as publish.social_card did then,
frozen here so that the reference does not move when the card changes: a probe raster to
find the chart's size, then the real one, PNG encoded with `optimize=True`. Do not change
what it does.
"""

import io
import sys
import tempfile
from pathlib import Path

import nbconvert  # noqa: F401  (imported by a render too)
import papermill  # noqa: F401
import vl_convert as vlc
from PIL import Image

from bench import floor
from entitylist import charts, publish, theme
from entitylist.pages import cards, drawing


def old_social_card(figure: "charts.Figure") -> bytes:
    """publish.social_card as it stood before issue 12."""
    width, height = cards.CARD_SIZE
    margin = 32
    chart_spec = publish.spec(figure, 880)
    probe = Image.open(io.BytesIO(vlc.vegalite_to_png(chart_spec, vl_version=drawing.VEGA_LITE)))
    fit = min((width - 2 * margin) / probe.width, (height - 2 * margin) / probe.height)
    png = vlc.vegalite_to_png(
        chart_spec, vl_version=drawing.VEGA_LITE, scale=cards.CARD_SCALE * fit
    )
    chart = Image.open(io.BytesIO(png)).convert("RGB")
    size = (width * cards.CARD_SCALE, height * cards.CARD_SCALE)
    canvas = Image.new("RGB", size, theme.BACKGROUND)
    canvas.paste(chart, (margin * cards.CARD_SCALE, margin * cards.CARD_SCALE))
    out = io.BytesIO()
    canvas.save(out, format="PNG", optimize=True)
    return out.getvalue()


def old_save(figure: "charts.Figure", charts_dir: Path) -> object:
    """publish.save, with the card drawn the old way (a probe, then the card, optimised)."""
    cards.card = lambda _svg: old_social_card(figure)
    return publish.save(figure, charts_dir)


def main() -> None:
    """Compute the published files into a scratch folder, with the old card."""
    with tempfile.TemporaryDirectory() as scratch:
        floor.compute(Path(scratch), save=old_save)
    sys.stdout.write("ok\n")


if __name__ == "__main__":
    main()
