"""The desk's house style (shared/docs/house-style.md) as one typed Altair theme.

Change a value here and in the house-style document together.
"""

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    # Altair is imported by register(): a page that only embeds charts never loads it.
    import altair as alt

THEME_NAME = "desk"

TEXT = "#1a1a1a"
SECONDARY = "#5c5c5c"
RULE = "#e3e3e3"
BACKGROUND = "#ffffff"
US_ACTION = "#0b5cad"
HIGHLIGHT = "#d6402b"
CHINA_RESPONSE = "#e8a33d"
FURTHER = ("#3a9b7a", "#7b5ea7")
CONTEXT = "#9aa4ad"

PALETTE = {
    "text": TEXT,
    "secondary": SECONDARY,
    "rule": RULE,
    "background": BACKGROUND,
    "primary": US_ACTION,
    "highlight": HIGHLIGHT,
    "second": CHINA_RESPONSE,
    "third": FURTHER[0],
    "fourth": FURTHER[1],
    "context": CONTEXT,
}
CATEGORY = [US_ACTION, CHINA_RESPONSE, *FURTHER, CONTEXT]
# Text in a series' colour (direct labels) must read at 4.5:1 on white: the lighter palette
# colours get a darker ink of the same hue for their words; the marks keep the palette.
INK = {
    US_ACTION: US_ACTION,
    HIGHLIGHT: HIGHLIGHT,
    CHINA_RESPONSE: "#8a5700",
    FURTHER[0]: "#1d6b52",
    FURTHER[1]: FURTHER[1],
    CONTEXT: SECONDARY,
}
# How a footer names a series' colour when the chart cannot label it directly.
COLOUR_NAMES = dict(zip(CATEGORY, ["blue", "orange", "green", "purple", "grey"], strict=True))

# The shipped font first (fonts.py), so vl-convert measures and draws chart text, the browser
# shows it and the social cards rasterise it with one and the same font.
FONT = '"Noto Sans CJK SC", "Helvetica Neue", Helvetica, Arial, sans-serif'
HEADLINE_SIZE = 20
DEK_SIZE = 14
LABEL_SIZE = 12
FOOTER_SIZE = 11

# Space Vega leaves around a chart; a drawing's text must fit its width less this.
PADDING = {"left": 4, "right": 12, "top": 8, "bottom": 8}

ARTICLE_WIDTH = 640
# A 360 px phone screen less the page's 16 px margins: the column a phone chart fills.
PHONE_WIDTH = 328
# A social card's chart (cards.card_chart): drawn this wide and scaled 1.6 times to fill
# the card's 1104 px between its margins, so its labels read in a feed.
CARD_CHART_WIDTH = 690


def ink(color: str) -> str:
    """The colour to write a series' label in: its own, or a darker ink where too light."""
    return INK.get(color, TEXT)


def tick_step(width: int, span: int, room: int = 56) -> int:
    """Label every n-th year so that labels about `room` px wide never touch (1, 2, 5, 10)."""
    fits = max(1, width // room)
    return next(step for step in (1, 2, 5, 10, 20) if span / step <= fits)


def desk_theme() -> "alt.theme.ThemeConfig":
    """Return the house style: left-aligned bold headline, horizontal gridlines, no frame."""
    return {
        "config": {
            "background": BACKGROUND,
            "font": FONT,
            "padding": PADDING,
            "view": {"stroke": None},
            "title": {
                "anchor": "start",
                "frame": "group",
                "color": TEXT,
                "fontSize": HEADLINE_SIZE,
                "fontWeight": "bold",
                "subtitleColor": SECONDARY,
                "subtitleFontSize": DEK_SIZE,
                "subtitleFontWeight": "normal",
                "subtitlePadding": 6,
                "offset": 14,
            },
            "axis": {
                "labelColor": SECONDARY,
                "labelFontSize": LABEL_SIZE,
                "titleColor": SECONDARY,
                "titleFontSize": LABEL_SIZE,
                "titleFontWeight": "normal",
                "domainColor": RULE,
                "tickColor": RULE,
                "gridColor": RULE,
            },
            "axisX": {"grid": False, "labelAngle": 0},
            "axisY": {"grid": True, "domain": False, "ticks": False},
            "axisBand": {"grid": False},
            "legend": {
                "labelColor": SECONDARY,
                "labelFontSize": LABEL_SIZE,
                "titleColor": SECONDARY,
                "titleFontSize": LABEL_SIZE,
                "orient": "top",
            },
            "range": {"category": CATEGORY},
            "mark": {"color": US_ACTION},
            "bar": {"color": US_ACTION},
            "line": {"strokeWidth": 2.5},
            "text": {"font": FONT, "fontSize": LABEL_SIZE, "color": TEXT},
            "aria": True,
        }
    }


def register() -> None:
    """Register the house style with Altair under THEME_NAME and enable it."""
    # lazy: Altair takes about 1 s to import; pages and cards read the colours, not charts.
    import altair as alt

    if THEME_NAME not in alt.theme.names():
        alt.theme.register(THEME_NAME, enable=True)(desk_theme)
    alt.theme.enable(THEME_NAME)
