"""The social card a feed shows for a page: 1200 x 675 at 2x, a chart's headline, the chart
drawn for the card and its source above the brand strip (the desk's name, the site's address),
or the site's name and description for a page without a chart.
"""

import io
import textwrap
from typing import TYPE_CHECKING

import vl_convert as vlc
from markupsafe import Markup
from PIL import Image

from entitylist import config, theme
from entitylist.pages import fonts
from entitylist.pages.drawing import svg, svg_size
from entitylist.pages.templating import render

if TYPE_CHECKING:
    # Only for type hints: a page that embeds finished charts need not import Altair.
    from entitylist.charts import Figure

# The social card: 1200 x 675 CSS pixels, drawn at 2x.
CARD_SIZE = (1200, 675)
CARD_SCALE = 2
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
# zlib level for the card PNG: the default level; 9 or optimize=True take about half as long
# again for about 1% less (measured over every card), level 1 is a third larger.
PNG_COMPRESS_LEVEL = 6


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
    # lazy: charts imports Altair (about 1 s); the page export imports this module for the
    # card's size and never draws a chart card.
    from entitylist import charts

    room_width = CARD_SIZE[0] - 2 * CARD_MARGIN
    strip_top = CARD_SIZE[1] - CARD_STRIP
    if figure is None:
        return {"chart": None, "headline": [], "source": []}
    headline = charts.wrap(figure.headline, room_width, CARD_HEADLINE[0], bold=True)
    source = charts.wrap(charts.source_words(figure), room_width, CARD_SOURCE[0])
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
    settings = config.site()
    width, height = CARD_SIZE
    return render(
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
    fonts.register()
    png = vlc.svg_to_png(card_svg(figure), scale=CARD_SCALE)
    # vl-convert writes RGBA with light compression; an opaque card re-encoded as RGB at
    # zlib's default level is about a quarter of the size.
    out = io.BytesIO()
    Image.open(io.BytesIO(png)).convert("RGB").save(
        out, format="PNG", compress_level=PNG_COMPRESS_LEVEL
    )
    return out.getvalue()
