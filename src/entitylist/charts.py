"""Chart builders, each in three parts: what the chart shows comes from `figures`; its words
are the reporter's: the headline, dek, note and alt text passed in as `Words` templates and
filled from the chart's facts, and the chart's own words (source, CSV headers, default alt
text, tooltips, axis titles, labels) from notebooks/words.yaml (`config.wording`); the drawing
is a `draw_*` function, given the plotted data and a width.

`frame` is the one helper that adds the headline, dek, footer and description; every chart
the desk publishes goes through it. Unknowns are drawn as the house style says: outlined,
marked "?", never as zero.
"""

import functools
import itertools
import re
import textwrap
from collections.abc import Callable
from dataclasses import dataclass, field

import altair as alt
import pandas as pd

from entitylist import config, figures, theme, words
from entitylist.data import publishers
from entitylist.pages import fonts

theme.register()

Draw = Callable[[pd.DataFrame, int], alt.TopLevelMixin]
UNKNOWN_MARK = "?"


def chart_credit() -> str:
    """The credit line under every chart: words.yaml's, with the desk's name from site.yaml."""
    return words.fill(config.wording().credit, desk_name=config.site().desk_name)


@dataclass(frozen=True)
class Words:
    """A chart's words as the reporter writes them: templates filled from the chart's facts.

    Each is a `words` template (`{{ fact }}`, `{% if %}`). `description` is the alt text;
    left empty, the chart describes its own extremes.
    """

    headline: str
    dek: str
    note: str = ""
    description: str = ""


@dataclass(frozen=True)
class Figure:
    """A publishable chart: its words filled, its sources, exactly the data it plots, a drawing."""

    name: str
    headline: str
    dek: str
    source: str
    description: str
    data: pd.DataFrame
    draw: Draw
    note: str | None = None
    credit: str = field(default_factory=chart_credit)
    facts: dict = field(default_factory=dict)
    columns: dict[str, str] = field(default_factory=dict)

    def chart(self, width: int = theme.ARTICLE_WIDTH) -> alt.VConcatChart:
        """Return the framed chart drawn for a given width in pixels."""
        return frame(self, self.draw(self.data, width), width)

    def reader_data(self) -> pd.DataFrame:
        """The plotted data as a reader gets it (table and CSV): English headers, no flags."""
        return self.data[list(self.columns)].rename(columns=self.columns)


def compose(
    name: str,
    said: Words,
    facts: dict,
    *,
    source: str,
    data: pd.DataFrame,
    draw: Draw,
    description: str,
    columns: dict[str, str],
) -> Figure:
    """Fill the reporter's words with the chart's facts and assemble the Figure.

    `columns` names the plotted columns a reader gets, with their English headers.
    """
    note = words.fill(said.note, **facts) if said.note else ""
    return Figure(
        name=name,
        headline=words.fill(said.headline, **facts),
        dek=words.fill(said.dek, **facts),
        source=source,
        description=words.fill(said.description, **facts) if said.description else description,
        data=data,
        draw=draw,
        note=note or None,
        facts=facts,
        columns=columns,
    )


def compose_own(
    name: str,
    said: Words,
    facts: dict,
    own: config.ChartWords,
    *,
    source: str,
    data: pd.DataFrame,
    draw: Draw,
    columns: list[str],
    described: dict | None = None,
) -> Figure:
    """compose() for the desk's own charts, their words from words.yaml (`own`).

    `columns` names the plotted columns a reader gets; their headers are the chart's words.
    Without an alt text from the notebook, the chart's default one is filled with the facts
    and `described`, what it needs beyond them.
    """
    default = (
        "" if said.description else words.fill(own.description, **{**facts, **(described or {})})
    )
    return compose(
        name,
        said,
        facts,
        source=source,
        data=data,
        draw=draw,
        description=default,
        columns={column: own.column(column) for column in columns},
    )


def wrap(text: str, width: float, size: int, *, bold: bool = False) -> list[str]:
    """Break text into lines that fit a width at a font size (Vega does not wrap titles),
    each line measured in the shipped font; a single word wider than the width is split."""
    lines: list[str] = []
    for word in text.split():
        joined = f"{lines[-1]} {word}" if lines else word
        if lines and fonts.text_width(joined, size, bold=bold) <= width:
            lines[-1] = joined
        else:
            lines += textwrap.wrap(word, max(1, int(width / (size * 0.6)))) or [word]
    return lines or [""]


def text_room(width: int) -> int:
    """How wide a line of a chart's words may be: the drawing's width less Vega's padding."""
    return width - theme.PADDING["left"] - theme.PADDING["right"]


def source_words(figure: Figure) -> str:
    """The chart's source as its footer and card print it (words.yaml's source line)."""
    return words.fill(config.wording().page("source_line"), source=figure.source)


def footer_lines(figure: Figure, width: int) -> list[str]:
    """Return the footer: Source, then Note where a caveat applies, then the credit."""
    lines = wrap(source_words(figure), text_room(width), theme.FOOTER_SIZE)
    if figure.note:
        said = words.fill(config.wording().page("note_line"), note=figure.note)
        lines += wrap(said, text_room(width), theme.FOOTER_SIZE)
    return [*lines, figure.credit]


def frame(figure: Figure, body: alt.TopLevelMixin, width: int) -> alt.VConcatChart:
    """Wrap a chart body in the house frame: headline and dek above, footer below."""
    footer = alt.Title(
        footer_lines(figure, width),
        orient="bottom",
        anchor="start",
        frame="bounds",
        fontSize=theme.FOOTER_SIZE,
        fontWeight="normal",
        color=theme.SECONDARY,
        offset=18,
    )
    return alt.vconcat(
        body.properties(title=footer),
        title=alt.Title(
            wrap(figure.headline, text_room(width), theme.HEADLINE_SIZE, bold=True),
            subtitle=wrap(figure.dek, text_room(width), theme.DEK_SIZE),
            frame="bounds",
        ),
        description=figure.description,
    )


def source_line(own: config.ChartWords, urls: pd.Series, limit: int = 4) -> str:
    """Name the chart's source and the publishers of the rows (copies by their originals)."""
    found = publishers.credit(urls.dropna())
    if not found:
        return own.source
    said = config.wording().sources
    if len(found) <= limit:
        via = own.via or said.via
        return words.fill(said.publishers, primary=own.source, via=via, publishers=found)
    return words.fill(said.many, primary=own.source, count=len(found))


def aria(*parts: str) -> str:
    """A Vega expression joining a mark's description from fields and text, for its title."""
    return " + ".join(parts)


# A field in a tooltip's words: {name}, {name?} (the value and a space, only when it has
# one), {name:%b %d, %Y} (a date in Vega's time format), {name:,.0f} (a number's format).
TOOLTIP_FIELD = re.compile(r"\{(\w+)(\?|:[^}]*)?\}")


def quoted(text: str) -> str:
    """Text as a string in a Vega expression."""
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def tooltip_part(part: str) -> str:
    """One part of a tooltip's words (words.yaml) as a Vega expression."""
    pieces, at = [], 0
    for found in TOOLTIP_FIELD.finditer(part):
        if found.start() > at:
            pieces.append(quoted(part[at : found.start()]))
        name, how = found[1], found[2] or ""
        field = f"datum.{name}"
        if how == "?":
            pieces.append(f"({field} ? {field} + ' ' : '')")
        elif how.startswith(":%"):
            pieces.append(f"timeFormat({field}, {quoted(how[1:])})")
        elif how.startswith(":"):
            pieces.append(f"format({field}, {quoted(how[1:])})")
        else:
            pieces.append(field)
        at = found.end()
    if at < len(part):
        pieces.append(quoted(part[at:]))
    return " + ".join(pieces)


def tooltip(own: config.ChartWords, key: str) -> str:
    """A mark's description, for its title: the chart's tooltip words as a Vega expression."""
    return aria(*(tooltip_part(part) for part in own.tooltip(key)))


# ---------------------------------------------------------------------------------------
# The 28 entries, one square each


def year_axis(first: int, last: int, width: int) -> tuple[list[pd.Timestamp], list[pd.Timestamp]]:
    """Jan. 1 ticks that fit the width (theme.tick_step), and a domain of whole years."""
    step = theme.tick_step(width, last - first + 1, room=44)
    ticks = [pd.Timestamp(year=y, month=1, day=1) for y in range(first, last + 2) if y % step == 0]
    return ticks, [
        pd.Timestamp(year=first, month=1, day=1),
        pd.Timestamp(year=last + 1, month=1, day=1),
    ]


SQUARE, GAP = 20, 5


def kind_colors() -> dict[str, str]:
    """Each kind's heading (words.yaml) in its colour: companies highlighted."""
    return {
        label: theme.HIGHLIGHT if code == "company" else theme.US_ACTION
        for code, label in figures.kind_labels().items()
    }


def grid_layout(data: pd.DataFrame, width: int, unnamed: str) -> pd.DataFrame:
    """Pixel positions of each square and label: a heading per kind, squares wrapping below;
    `unnamed` labels the square of an entry whose name is not known."""
    companies = figures.kind_labels()["company"]
    step = SQUARE + GAP
    per_row = max(1, (width - 8) // step)
    # A card is wide and short: its companies sit three to a row, its headings closer.
    card = width >= theme.CARD_CHART_WIDTH
    company_columns = 3 if card else 2 if width >= 480 else 1
    column_width = (width - 8) // company_columns
    heading, after = (16, 6) if card else (20, 12)
    if card:
        # The columns spread so that the longest name could end at the card's edge.
        names = data["company"].dropna().astype(str)
        widest = max((fonts.text_width(n, theme.LABEL_SIZE) for n in names), default=0)
        column_width = int((width - 8 - widest - SQUARE - 6) // (company_columns - 1))
    rows, y = [], 0
    for kind, group in data.groupby("kind", sort=False):
        rows.append(
            {"kind": kind, "what": "heading", "x": 0, "y": y, "text": f"{kind} ({len(group)})"}
        )
        y += heading
        # Companies are named, so their squares sit in wide columns; the rest wrap tightly.
        columns, cell = (company_columns, column_width) if kind == companies else (per_row, step)
        for i, entry in enumerate(group.itertuples()):
            rows.append(
                {
                    "kind": kind,
                    "what": "square",
                    "x": (i % columns) * cell,
                    "y": y + (i // columns) * step,
                    "text": entry.company if isinstance(entry.company, str) else "",
                    "entry_no": entry.entry_no,
                    "label": entry.name if isinstance(entry.name, str) else unnamed,
                    "href": entry.profile if isinstance(entry.profile, str) else None,
                }
            )
        y += -(-len(group) // columns) * step + after
    return pd.DataFrame(rows).assign(height=y)


def draw_entry_grid(d: pd.DataFrame, width: int, *, own: config.ChartWords) -> alt.LayerChart:
    """The entries' squares under their kinds' headings, linked squares for the companies."""
    layout = grid_layout(d, width, own.label("unnamed"))
    height = int(layout["height"].iloc[0])
    layout = layout.assign(color=layout["kind"].map(kind_colors()))
    # Each kind's heading is written in its squares' ink: a direct label, not a key.
    layout["ink"] = layout["color"].map(theme.ink)
    x = alt.X("x:Q").scale(domain=[0, width], range=[0, width]).axis(None)
    # Top down, over the chart's height (a card squeezes the height, cards.card_chart).
    y = alt.Y("y:Q").scale(domain=[0, height], reverse=True).axis(None)
    base = alt.Chart(layout)
    headings = (
        base.transform_filter("datum.what == 'heading'")
        .mark_text(align="left", baseline="top", fontWeight="bold", aria=False)
        .encode(x, y, alt.Text("text:N"), alt.Color("ink:N").scale(None))
    )
    squares = base.transform_filter("datum.what == 'square'")
    plain = (
        squares.transform_filter("!datum.href")
        .mark_square(size=SQUARE**2, opacity=1, xOffset=SQUARE / 2, yOffset=SQUARE / 2)
        .encode(
            x,
            y,
            alt.Color("color:N").scale(None),
            description="aria:N",
        )
        .transform_calculate(aria=tooltip(own, "entry"))
    )
    linked = (
        squares.transform_filter("datum.href")
        .mark_square(size=SQUARE**2, opacity=1, xOffset=SQUARE / 2, yOffset=SQUARE / 2)
        .encode(
            x,
            y,
            alt.Color("color:N").scale(None),
            alt.Href("href:N"),
            description="aria:N",
        )
        .transform_calculate(aria=tooltip(own, "linked"))
    )
    names = (
        squares.transform_filter("datum.text != ''")
        .mark_text(align="left", baseline="middle", dx=SQUARE + 6, dy=SQUARE / 2, aria=False)
        .encode(x, y, alt.Text("text:N"), alt.Href("href:N"))
    )
    return (headings + plain + linked + names).properties(width=width - 16, height=height)


def entry_grid(entries: pd.DataFrame, companies: pd.DataFrame, said: Words) -> Figure:
    """The rule's entries as squares, one per entry, by kind; companies named and linked."""
    own = config.wording().chart("entries-of-the-rule")
    data = figures.entry_grid(entries, companies)
    summary = figures.rule_summary(entries)
    facts = {**summary, "kinds": list(dict.fromkeys(data["kind"]))}

    return compose_own(
        "entries-of-the-rule",
        said,
        facts,
        own,
        source=source_line(own, entries.loc[entries["name"].notna(), "name_source_url"]),
        data=data[["entry_no", "kind", "name", "company", "profile"]],
        draw=functools.partial(draw_entry_grid, own=own),
        columns=["entry_no", "kind", "name", "company"],
        described={"kind_counts": list(data["kind"].value_counts(sort=False).items())},
    )


# ---------------------------------------------------------------------------------------
# The official list: China entries still listed, by year of first citation


def draw_still_listed(d: pd.DataFrame, width: int, *, own: config.ChartWords) -> alt.LayerChart:
    """Columns of the entries still listed by year, the undated outlined at the end, the
    rule's entries named in their ink."""
    listed = own.label("listed")
    order = list(d["year"])
    step = theme.tick_step(width - 70, len(order), room=34)
    # A year label needs about 34 px; the "?" at the end keeps the slots before it clear.
    clear = -(-34 // max(1, (width - 70) // len(order)))
    last = len(order) - 1
    shown = [
        y
        for i, y in enumerate(order)
        if y == UNKNOWN_MARK or (int(y) % step == 0 and last - i >= clear)
    ]
    x = (
        alt.X("year:N")
        .scale(domain=order)
        .title(None)
        .axis(values=shown, labelAngle=0, labelFontSize=theme.LABEL_SIZE)
    )
    long = d.melt(
        id_vars=["year", "status"],
        value_vars=["other", "listing_rule"],
        var_name="part",
        value_name="count",
    )
    long = long[(long["count"] > 0) & (long["status"] == listed)]
    long["part_label"] = long["part"].map(
        {part: own.label(part) for part in ("other", "listing_rule")}
    )
    long["color"] = long["part"].map({"other": theme.US_ACTION, "listing_rule": theme.HIGHLIGHT})
    bars = (
        alt.Chart(long)
        .mark_bar()
        .encode(
            x,
            alt.Y("count:Q").stack("zero").title(own.label("y_title")),
            alt.Color("color:N").scale(None),
            alt.Order("part:N", sort="descending"),
            description="aria:N",
        )
        .transform_calculate(aria=tooltip(own, "bar"))
    )
    unknown = (
        alt.Chart(d[d["year"] == UNKNOWN_MARK])
        .mark_bar(fill=theme.BACKGROUND, stroke=theme.CONTEXT, strokeDash=[3, 2])
        .encode(
            x,
            alt.Y("entries:Q"),
            description="aria:N",
        )
        .transform_calculate(aria=tooltip(own, "undated"))
    )
    # The rule's entries named beside their part of the column, in its ink.
    rule = d[d["listing_rule"] > 0].assign(
        middle=lambda f: f["other"] + f["listing_rule"] / 2, text=own.label("rule_name")
    )
    band = (width - 70) / len(order)
    named = (
        alt.Chart(rule)
        .mark_text(
            align="right",
            baseline="middle",
            dx=-(band / 2 + 3),
            fontWeight="bold",
            color=theme.ink(theme.HIGHLIGHT),
            aria=False,
        )
        .encode(x, alt.Y("middle:Q"), alt.Text("text:N"))
    )
    return (bars + unknown + named).properties(width=width - 70, height=260)


def still_listed(entity_list: pd.DataFrame, entries: pd.DataFrame, said: Words) -> Figure:
    """Entries with an address in China on today's list, by the year of their first citation."""
    own = config.wording().chart("china-entries-still-listed")
    listed, undated_status = own.label("listed"), own.label("undated")
    summary = figures.still_listed_summary(entity_list, entries)
    data = figures.still_listed_columns(entity_list, entries)
    data["year"] = data["year"].where(data["dated"], UNKNOWN_MARK)
    data["status"] = data["dated"].map({True: listed, False: undated_status})
    facts = dict(summary)

    return compose_own(
        "china-entries-still-listed",
        said,
        facts,
        own,
        source=own.source,
        data=data[["year", "entries", "records", "listing_rule", "other", "status"]],
        draw=functools.partial(draw_still_listed, own=own),
        columns=["year", "entries", "records", "listing_rule"],
    )


# ---------------------------------------------------------------------------------------
# The desk's rules table: each rule adding entries under China


LABEL_GAP = 4
# What a y axis of counts takes left of its plot: its title and labels of up to three digits.
Y_AXIS_ROOM = 54


def name_place(
    x: float, text: str, plot: int, side: str | None
) -> tuple[str, list[str], tuple[float, float]]:
    """A milestone name's side of its line at x (its Vega align), its lines and its reach.

    Unless told, a name sits right of its line (align left) when it fits before the plot's
    end, else left of it; where neither side holds it, it wraps to the wider side.
    """
    # Two pixels spare: vl-convert lays text out with its own shaping, a pixel or so off.
    room = LABEL_GAP + 2
    wide = fonts.text_width(text, theme.LABEL_SIZE, bold=True) + room
    if side is None:
        fits_right = x + wide <= plot or (x - wide < 0 and plot - x >= x)
        side = "left" if fits_right else "right"
    fits = plot - x if side == "left" else x
    lines = [text] if wide <= fits else wrap(text, fits - room, theme.LABEL_SIZE, bold=True)
    width = max(fonts.text_width(line, theme.LABEL_SIZE, bold=True) for line in lines)
    return side, lines, (x, x + width + room) if side == "left" else (x - width - room, x)


def place_labels(marks: pd.DataFrame, plot: int, domain: list[pd.Timestamp]) -> pd.DataFrame:
    """Each milestone's name placed (name_place): its side of its leader line, its lines and
    its first row (0 on top), one row per line of text.

    Names sit in a band above the dots, and a name sits above every line it spans, so no
    name crosses another's leader line or a dot (date order where that cannot be had).
    """
    marks = marks.sort_values("date").reset_index(drop=True)
    span = (domain[1] - domain[0]).total_seconds()
    at = [(day - domain[0]).total_seconds() / span * plot for day in marks["date"]]
    placed = [name_place(x, text, plot, None) for x, text in zip(at, marks["label"], strict=True)]
    # Two names that would each have to sit above the other: the left one moves to the left
    # of its line where it fits there.
    for i, j in itertools.combinations(range(len(at)), 2):
        (_, _, (_, i_end)), (_, _, (j_start, _)) = placed[i], placed[j]
        if placed[i][0] == "left" and placed[j][0] == "right" and j_start < at[i] < at[j] < i_end:
            flipped = name_place(at[i], marks["label"].iloc[i], plot, "right")
            placed[i] = flipped if flipped[2][0] >= 0 else placed[i]
    # Top first: the earliest name that no unplaced name must sit above.
    above = [
        {i for i, (_, _, (a, b)) in enumerate(placed) if i != j and a < x < b}
        for j, x in enumerate(at)
    ]
    order: list[int] = []
    while len(order) < len(marks):
        waiting = [i for i in range(len(marks)) if i not in order]
        free = [i for i in waiting if not above[i] - set(order)]
        order.append((free or waiting)[0])
    first, row = {}, 0
    for i in order:
        first[i], row = row, row + len(placed[i][1])
    return marks.assign(
        align=[side for side, _, _ in placed],
        row=[first[i] for i in range(len(marks))],
        lines=[lines for _, lines, _ in placed],
    )


def draw_rules(d: pd.DataFrame, width: int, *, own: config.ChartWords) -> alt.LayerChart:
    """The rules as dots over time: stated counts filled, floors outlined, unknowns in a band
    below; milestones named above, each on a leader line."""
    d = d.assign(
        label=d["milestone"].fillna(""),
        color=d["is_listing_rule"].map({True: theme.HIGHLIGHT, False: theme.US_ACTION}),
    )
    band_text = own.label("unknown_band")
    plot = rules_plot_width(width, band_text)
    ticks, domain = year_axis(d["date"].min().year, d["date"].max().year, plot)
    # The last year's label sits flush with the plot's end, not half past it.
    axis = alt.Axis(format="%Y", values=ticks, labelFlush=True)
    x = alt.X("date:T").title(None).axis(axis).scale(domain=domain)
    top = float(d["shown"].max()) * 1.05 or 1
    step_y = next(n for n in (5, 10, 20, 50, 100, 200) if top / n <= 6)
    marks = place_labels(d[d["label"] != ""], plot, domain)
    row = top * 0.09
    label_top = top + row * (int(marks["lines"].map(len).sum()) + 0.5)
    band = -top * 0.08
    scale = alt.Scale(domain=[band * 1.6, label_top])
    y = (
        alt.Y("shown:Q")
        .title(own.label("y_title"))
        .scale(scale)
        .axis(values=list(range(0, int(top) + 1, step_y)))
    )
    stated, at_least, unknown = rule_dots(alt.Chart(d), x, y, scale, band, own)
    leaders, labels = milestone_names(marks, x, scale, label_top, row)
    named_band = band_label(band_text, band, scale)
    return (leaders + unknown + at_least + stated + labels + named_band).properties(
        width=plot, height=360
    )


def rules_plot_width(width: int, band_text: str) -> int:
    """The rules chart's plot width: the drawing's less the padding, and on the left the y
    axis or the unknown band's name if wider."""
    left = max(Y_AXIS_ROOM, fonts.text_width(band_text, theme.LABEL_SIZE) + LABEL_GAP)
    # Less one pixel: Vega draws strokes on the half pixel, which rounds the bounds up.
    return int(width - theme.PADDING["left"] - left - theme.PADDING["right"]) - 1


def rule_dots(
    base: alt.Chart, x: alt.X, y: alt.Y, scale: alt.Scale, band: float, own: config.ChartWords
) -> tuple[alt.Chart, alt.Chart, alt.Chart]:
    """The rules' dots: stated (or tallied) counts filled, floors outlined, and unknown counts
    as diamonds in the band below zero, each with its tooltip."""
    stated = (
        base.transform_filter("datum.count_status == 'stated' || datum.count_status == 'tallied'")
        .mark_circle(size=64, opacity=0.95)
        .encode(x, y, alt.Color("color:N").scale(None), description="aria:N")
        .transform_calculate(aria=tooltip(own, "stated"))
    )
    at_least = (
        base.transform_filter("datum.count_status == 'at least (still listed)'")
        .mark_point(shape="circle", size=64, filled=False, strokeWidth=1.5)
        .encode(x, y, alt.Color("color:N").scale(None), description="aria:N")
        .transform_calculate(aria=tooltip(own, "at_least"))
    )
    unknown = (
        base.transform_filter("datum.count_status == 'unknown'")
        .mark_point(shape="diamond", size=50, filled=False, strokeWidth=1.2, color=theme.SECONDARY)
        .encode(x, alt.Y("band:Q").scale(scale), description="aria:N")
        .transform_calculate(band=f"{band}", aria=tooltip(own, "unknown"))
    )
    return stated, at_least, unknown


def band_label(text: str, band: float, scale: alt.Scale) -> alt.Chart:
    """The unknown band's name, left of the plot at the band's height."""
    return (
        alt.Chart(pd.DataFrame({"text": [text], "y": [band]}))
        .mark_text(
            align="right", baseline="middle", color=theme.SECONDARY, aria=False, dx=-LABEL_GAP
        )
        .encode(alt.X(value=0), alt.Y("y:Q").scale(scale), alt.Text("text:N"))
    )


def milestone_names(
    marks: pd.DataFrame, x: alt.X, scale: alt.Scale, label_top: float, row: float
) -> tuple[alt.Chart, alt.LayerChart]:
    """The milestones' leader lines and names (place_labels' rows), above the dots."""
    marks["label_y"] = label_top - row * (marks["row"] + 1)
    marks["ink"] = marks["is_listing_rule"].map(
        {True: theme.ink(theme.HIGHLIGHT), False: theme.TEXT}
    )
    # One text mark per line of a name, each a row lower than the last.
    lines = marks.explode("lines").assign(
        line=lambda f: f.groupby(level=0).cumcount(),
        line_y=lambda f: f["label_y"] - row * f["line"],
    )
    labels = alt.layer(
        *[
            alt.Chart(lines[lines["align"] == side])
            .mark_text(
                align=side,
                baseline="middle",
                fontWeight="bold",
                dx=LABEL_GAP * sign,
                aria=False,
            )
            .encode(
                x,
                alt.Y("line_y:Q").scale(scale),
                alt.Text("lines:N"),
                alt.Color("ink:N").scale(None),
            )
            for side, sign in (("left", 1), ("right", -1))
        ]
    )
    leaders = (
        alt.Chart(marks)
        .mark_rule(strokeWidth=0.75, color=theme.CONTEXT, aria=False)
        .encode(x, alt.Y("label_y:Q").scale(scale), alt.Y2("shown:Q"))
    )
    return leaders, labels


def rules_over_time(rules: pd.DataFrame, said: Words) -> Figure:
    """Each rule adding China entries: stated counts filled, lower bounds outlined, '?' none."""
    own = config.wording().chart("rules-over-time")
    data = figures.rules_timeline(rules)
    summary = figures.timeline_summary(rules)
    facts = dict(summary)

    return compose_own(
        "rules-over-time",
        said,
        facts,
        own,
        source=source_line(own, rules["source_url"]),
        data=data[
            [
                "date",
                "rule",
                "china_entries",
                "still_listed",
                "shown",
                "count_status",
                "milestone",
                "is_listing_rule",
                "source_url",
            ]
        ],
        draw=functools.partial(draw_rules, own=own),
        columns=[
            "date",
            "rule",
            "china_entries",
            # Without the list (as of a day before it) there is no column about it.
            *(["still_listed"] if data["still_listed"].notna().any() else []),
            "count_status",
            "source_url",
        ],
    )


# ---------------------------------------------------------------------------------------
# Company figures


def bar_reach(data: pd.DataFrame, value: str, label: str, width: int, start: float) -> float:
    """Where the longest bar may end so that every bar's label, written after it, ends
    inside the width: a long label on a short bar needs no room after the longest one."""
    known = data.loc[data[value].notna() & (data[value] > 0), [value, label]]
    if known.empty:
        return width
    top = known[value].max()
    ends = (
        start + (width - 24 - fonts.text_width(str(text), theme.LABEL_SIZE) - start) * top / v
        for v, text in known.itertuples(index=False)
    )
    return min(ends)


def horizontal_bars(
    data: pd.DataFrame,
    width: int,
    *,
    category: str,
    value: str,
    label: str,
    color: str,
    hollow: str | None = None,
) -> alt.LayerChart:
    """Bars from zero with the category above each bar (beside it on a card, which is wide
    and short); estimates (the `hollow` column) are outlined; a missing value is an outlined
    square with its label marked '?', never a zero."""
    order = list(data[category])
    beside = width >= theme.CARD_CHART_WIDTH
    name_room = (
        max(fonts.text_width(str(n), theme.LABEL_SIZE) for n in order) + 12 if beside else 0
    )
    plot = max(120, int(bar_reach(data, value, label, width, name_room)))
    base = alt.Chart(data).encode(alt.Y(f"{category}:N").sort(order).title(None).axis(None))
    aria = f"datum['{category}'] + ': ' + datum['{label}']"
    x = alt.X(f"{value}:Q").title(None).axis(None).scale(zero=True, range=[name_room, plot])
    is_hollow = f"datum['{hollow}']" if hollow else "false"
    solid = value_bars(
        base, value, f"!{is_hollow}", alt.Color(f"{color}:N").scale(None).legend(None), x, aria
    )
    # An estimate is drawn outlined: it is not a figure a source states.
    outlined = value_bars(
        base,
        value,
        is_hollow,
        alt.Stroke(f"{color}:N").scale(None).legend(None),
        x,
        aria,
        fill=theme.BACKGROUND,
        strokeWidth=1.5,
    )
    unknown, unknown_values = unknown_bars(base, value, label, aria)
    names = bar_names(base, category, beside, name_room)
    known_values = (
        base.transform_filter(f"isValid(datum['{value}'])")
        .mark_text(align="left", baseline="middle", dx=4, yOffset=7, aria=False)
        .encode(alt.X(f"{value}:Q"), alt.Text(f"{label}:N"), color=alt.value(theme.TEXT))
    )
    return (solid + outlined + unknown + names + known_values + unknown_values).properties(
        width=plot, height=alt.Step(30 if beside else 46)
    )


def value_bars(
    base: alt.Chart,
    value: str,
    hollow_test: str,
    paint: alt.Color | alt.Stroke,
    x: alt.X,
    aria: str,
    **mark: object,
) -> alt.Chart:
    """The bars whose value is known, filled or outlined, each titled with its label."""
    return (
        base.transform_filter(f"isValid(datum['{value}']) && {hollow_test}")
        .mark_bar(height=14, yOffset=7, **mark)
        .encode(x, paint, description="aria:N")
        .transform_calculate(aria=aria)
    )


def unknown_bars(
    base: alt.Chart, value: str, label: str, aria: str
) -> tuple[alt.Chart, alt.Chart]:
    """Where a value is missing: an outlined square at zero, and its label marked '?'."""
    square = (
        base.transform_filter(f"!isValid(datum['{value}'])")
        .mark_point(shape="square", size=90, filled=False, strokeWidth=1.5, xOffset=6, yOffset=7)
        .encode(alt.X(datum=0), color=alt.value(theme.SECONDARY), description="aria:N")
        .transform_calculate(aria=aria)
    )
    marked = (
        base.transform_filter(f"!isValid(datum['{value}'])")
        .mark_text(align="left", baseline="middle", dx=18, yOffset=7, aria=False)
        .encode(alt.X(datum=0), alt.Text("marked:N"), color=alt.value(theme.SECONDARY))
        .transform_calculate(marked=f"'{UNKNOWN_MARK} ' + datum['{label}']")
    )
    return square, marked


def bar_names(base: alt.Chart, category: str, beside: bool, name_room: float) -> alt.Chart:
    """Each bar's name: above it, or beside it on a card (right-aligned in its room)."""
    return (
        base.mark_text(align="right", baseline="middle", yOffset=7, x=name_room - 8, aria=False)
        if beside
        else base.mark_text(align="left", baseline="bottom", yOffset=-2, x=0, aria=False)
    ).encode(alt.Text(f"{category}:N"))


def share_label(row: pd.Series, missing: str) -> str:
    """'30% (FY 2018, approximate)' for a figure; the missing wording for none."""
    if pd.isna(row["share_pct"]):
        return missing
    flag = "" if row["confidence"] in figures.FIRM else f", {row['confidence']}"
    value = words.approximately(words.share(row["share_pct"]), row["qualifier"])
    return f"{value} ({row['period']}{flag})"


def listing_snapshot(
    financials: pd.DataFrame, companies: pd.DataFrame, said: Words, when: pd.Timestamp
) -> Figure:
    """Each company's latest overseas share public on a date; no figure is not zero."""
    own = config.wording().chart("overseas-share-at-listing")
    data = figures.snapshot_at(financials, companies, when)
    data["label"] = data.apply(share_label, axis=1, missing=own.label("no_figure"))
    data["hollow"] = ~data["confidence"].isin(figures.FIRM) & data["share_pct"].notna()
    data["color"] = theme.US_ACTION
    known = data[data["share_pct"].notna()]
    facts = {
        **figures.snapshot_facts(data, when),
        "known_lines": [f"{r.company} {r.label}" for r in known.itertuples()],
    }
    return compose_own(
        "overseas-share-at-listing",
        said,
        facts,
        own,
        source=source_line(own, data["source_url"]),
        data=data[
            [
                "company",
                "share_pct",
                "period",
                "definition",
                "confidence",
                "source_url",
                "label",
                "hollow",
                "color",
            ]
        ],
        columns=["company", "share_pct", "period", "definition", "confidence", "source_url"],
        draw=lambda d, width: horizontal_bars(
            d,
            width,
            category="company",
            value="share_pct",
            label="label",
            color="color",
            hollow="hollow",
        ),
    )


# One dash pattern per definition code of 'overseas' (figures.OVERSEAS_DEFINITIONS).
DEFINITION_DASHES = {
    "regional": [],
    "main_business": [6, 3],
    "outside_mainland": [10, 3, 2, 3],
    "not_stated": [2, 3],
}


def definition_names() -> list[str]:
    """The definitions of 'overseas' by their short words (words.yaml), in the key's order."""
    return [figures.short_definition(code) for code in DEFINITION_DASHES]


def definition_dash() -> alt.StrokeDash:
    """One dash pattern per definition of 'overseas', each named by its short words."""
    return (
        alt.StrokeDash("overseas:N")
        .scale(domain=definition_names(), range=list(DEFINITION_DASHES.values()))
        .legend(None)
    )


def overseas_panel(
    d: pd.DataFrame, company: str, width: int, last: bool, top: float, *, own: config.ChartWords
) -> alt.LayerChart:
    """One company's panel: each figure a span over its period, full years joined, estimates
    hollow."""
    dash = definition_dash()
    company_rows = d[d["company"] == company]
    ticks, domain = year_axis(d["period_start"].min().year, d["period_end"].max().year, width)
    axis = alt.Axis(format="%Y", values=ticks, labels=last, ticks=last, domain=True)
    x = alt.X("period_start:T").title(None).axis(axis).scale(domain=domain)
    y = alt.Y("share_pct:Q").title(None).scale(domain=[0, top]).axis(tickCount=3)
    base = alt.Chart(company_rows)
    joined = (
        base.transform_filter("datum.period_type == 'FY'")
        .mark_line(strokeWidth=1, color=theme.CONTEXT, aria=False)
        .encode(alt.X("period_middle:T").scale(domain=domain), y, dash, alt.Detail("series:N"))
    )
    spans = (
        base.mark_rule(strokeWidth=3, color=theme.US_ACTION)
        .encode(x, alt.X2("period_end:T"), y, dash, description="aria:N")
        .transform_calculate(aria=tooltip(own, "span"))
    )
    points = (
        base.mark_point(size=30, strokeWidth=1.5, color=theme.US_ACTION, aria=False)
        .encode(
            alt.X("period_middle:T").scale(domain=domain),
            y,
            alt.Fill("fill:N").scale(None),
        )
        .transform_calculate(fill=f"datum.firm ? '{theme.US_ACTION}' : '{theme.BACKGROUND}'")
    )
    return (joined + spans + points).properties(
        width=width,
        height=90,
        title=alt.Title(company, fontSize=theme.LABEL_SIZE, anchor="start", offset=4),
    )


def overseas_key(d: pd.DataFrame, width: int) -> alt.LayerChart:
    """The one key the panels share: what each dash pattern means."""
    dash = definition_dash()
    shown = [name for name in definition_names() if name in set(d["overseas"])]
    per_row = 2 if width >= 480 else 1
    column = width // per_row
    rows = pd.DataFrame(
        {
            "overseas": shown,
            "x": [(i % per_row) * column for i in range(len(shown))],
            "y": [(i // per_row) * 18 for i in range(len(shown))],
        }
    )
    height = int(rows["y"].max()) + 14
    x = alt.X("x:Q").scale(domain=[0, width], range=[0, width]).axis(None)
    y = alt.Y("y:Q").scale(domain=[0, height], range=[0, height]).axis(None)
    lines = (
        alt.Chart(rows)
        .mark_rule(strokeWidth=3, color=theme.US_ACTION, aria=False)
        .encode(x, alt.X2("x_end:Q"), y, dash)
        .transform_calculate(x_end="datum.x + 26")
    )
    labels = (
        alt.Chart(rows)
        .mark_text(align="left", baseline="middle", dx=32, aria=False)
        .encode(x, y, alt.Text("overseas:N"))
    )
    return (lines + labels).properties(width=width, height=height)


def draw_overseas(d: pd.DataFrame, width: int, *, own: config.ChartWords) -> alt.VConcatChart:
    """A key, then the companies' panels: one under another, two to a row on a card."""
    plot = width - 48
    top = max(60.0, float(d["share_pct"].max()) + 5)
    order = list(dict.fromkeys(d["company"]))
    if width >= theme.CARD_CHART_WIDTH and len(order) > 1:
        # A card is wide and short: its panels sit two to a row, years under the lowest.
        half = (plot - 24) // 2
        panels = [
            overseas_panel(d, c, half, i + 2 >= len(order), top, own=own)
            for i, c in enumerate(order)
        ]
        grid = alt.concat(*panels, columns=2, spacing=14).resolve_scale(
            x="independent", y="independent"
        )
        return alt.vconcat(overseas_key(d, plot), grid, spacing=14).resolve_scale(
            x="independent", y="independent"
        )
    panels = [
        overseas_panel(d, c, plot, i == len(order) - 1, top, own=own) for i, c in enumerate(order)
    ]
    return alt.vconcat(overseas_key(d, plot), *panels, spacing=14).resolve_scale(
        x="independent", y="independent"
    )


def overseas_over_time(financials: pd.DataFrame, companies: pd.DataFrame, said: Words) -> Figure:
    """Overseas shares where stated, one panel per company: each figure spans its period, one
    dash pattern per definition of 'overseas', estimates hollow, full years joined only to
    full years of the same definition."""
    own = config.wording().chart("overseas-share-over-time")
    data = figures.overseas_shares(financials, companies)
    data["overseas"] = data["definition_code"].map(figures.short_definition)
    facts = figures.overseas_facts(data, companies, financials)

    return compose_own(
        "overseas-share-over-time",
        said,
        facts,
        own,
        source=source_line(own, data["source_url"]),
        data=data[
            [
                "company",
                "period",
                "period_type",
                "period_start",
                "period_end",
                "period_middle",
                "share_pct",
                "qualifier",
                "definition",
                "overseas",
                "series",
                "confidence",
                "firm",
                "source_url",
            ]
        ],
        draw=functools.partial(draw_overseas, own=own),
        columns=[
            "company",
            "period",
            "share_pct",
            "qualifier",
            "definition",
            "confidence",
            "source_url",
        ],
        described={
            "count": len(data),
            "highest": data.loc[data["share_pct"].idxmax()] if len(data) else None,
            "lowest": data.loc[data["share_pct"].idxmin()] if len(data) else None,
        },
    )


def suppliers_named(suppliers: pd.DataFrame, companies: pd.DataFrame, said: Words) -> Figure:
    """US suppliers named in the desk's sources, per company; none named is not none."""
    own = config.wording().chart("us-suppliers-named")
    data = figures.us_suppliers(suppliers, companies)
    data["label"] = [
        f"{n}: {s}" if pd.notna(n) else own.label("none")
        for n, s in zip(data["named_us_suppliers"], data["suppliers"], strict=True)
    ]
    data["hollow"] = False
    data["color"] = theme.US_ACTION
    facts = figures.supplier_facts(data, suppliers)
    return compose_own(
        "us-suppliers-named",
        said,
        facts,
        own,
        source=source_line(own, suppliers["source_url"]),
        data=data[
            ["name", "named_us_suppliers", "suppliers", "sources", "label", "hollow", "color"]
        ],
        columns=["name", "named_us_suppliers", "suppliers", "sources"],
        draw=lambda d, width: horizontal_bars(
            d.assign(
                short=d["named_us_suppliers"].map(
                    lambda n: str(n) if pd.notna(n) else own.label("none_short")
                )
            ),
            width,
            category="name",
            value="named_us_suppliers",
            label="short",
            color="color",
            hollow="hollow",
        ),
        described={
            "known_lines": [
                f"{r.name} {r.label}" for r in data.itertuples() if pd.notna(r.named_us_suppliers)
            ],
            "none_named": len(facts["none"]),
        },
    )


def revenue_key(width: int, *, bases: list[str], own: config.ChartWords) -> alt.LayerChart:
    """Each basis named in its own ink, and by where its bar stands in a year."""
    places = (
        [own.label("first_of_two"), own.label("second_of_two")]
        if len(bases) == 2
        else [words.fill(own.label("place"), n=i + 1) for i in range(len(bases))]
    )
    rows = []
    for i, basis in enumerate(bases):
        said_key = words.fill(own.label("key"), place=places[i], basis=basis)
        # Wrapped to the plot (the axis sits left of it), less the swatch.
        lines = wrap(said_key, width - 90 - 20, theme.LABEL_SIZE)
        rows += [
            {"text": line, "color": theme.CATEGORY[i], "swatch": j == 0, "y": len(rows) + j}
            for j, line in enumerate(lines)
        ]
    rows = pd.DataFrame(rows).assign(
        ink=lambda f: f["color"].map(theme.ink), y=lambda f: f["y"] * 16 + 8
    )
    height = int(rows["y"].max()) + 8
    y = alt.Y("y:Q").scale(domain=[0, height], reverse=True).axis(None)
    swatches = (
        alt.Chart(rows[rows["swatch"]])
        .mark_square(size=100, opacity=1, aria=False)
        .encode(alt.X(value=5), y, alt.Color("color:N").scale(None))
    )
    names = (
        alt.Chart(rows)
        .mark_text(align="left", baseline="middle", dx=16, aria=False)
        .encode(alt.X(value=0), y, alt.Text("text:N"), alt.Color("ink:N").scale(None))
    )
    return (swatches + names).properties(width=width - 90, height=height)


def draw_revenue(
    d: pd.DataFrame, width: int, *, own: config.ChartWords
) -> alt.Chart | alt.VConcatChart:
    """Columns of revenue by year, one colour per basis side by side, a key where two or more."""
    bases = list(dict.fromkeys(d["basis"]))
    years = sorted(d["year"].unique())
    step = theme.tick_step(width - 90, len(years), room=40)
    shown = [y for y in years if (y - years[0]) % step == 0]
    bars = (
        alt.Chart(d)
        .mark_bar(strokeWidth=1.5)
        .encode(
            alt.X("year:O").title(None).axis(labelAngle=0, values=shown),
            alt.XOffset("basis:N"),
            alt.Y("revenue_cny_m:Q").title(own.label("y_title")).scale(zero=True),
            alt.Fill("fill:N").scale(None).legend(None),
            alt.Stroke("color:N").scale(None).legend(None),
            description="aria:N",
        )
        .transform_calculate(aria=tooltip(own, "bar"))
        .properties(width=width - 90, height=260)
    )
    if len(bases) < 2:
        return bars
    # Two bases side by side: each named beside its colour, and by its place in a year.
    return alt.vconcat(revenue_key(width, bases=bases, own=own), bars, spacing=12)


def revenue_history(
    financials: pd.DataFrame, company: str, name: str, said: Words, chart: str | None = None
) -> Figure | None:
    """A company's full-year revenue, one colour per basis, side by side, never joined.

    `chart` names its files (default revenue-<company>, the profile's): another page that
    shows the same figures publishes them under a name of its own, since a file has one writer.
    """
    own = config.wording().chart("revenue")
    data = figures.revenue_series(financials, company)
    if data.empty:
        return None
    bases = list(dict.fromkeys(data["basis"]))
    data["color"] = data["basis"].map(dict(zip(bases, theme.CATEGORY, strict=False)))
    # An estimate is outlined in its series' colour, a firm figure filled (house style).
    data["fill"] = data["color"].where(data["confidence"].isin(figures.FIRM), theme.BACKGROUND)
    facts = {
        **figures.revenue_facts(data, name),
        "colours": [theme.COLOUR_NAMES[c] for c in theme.CATEGORY[: len(bases)]],
    }

    return compose_own(
        chart or f"revenue-{company}",
        said,
        facts,
        own,
        source=source_line(own, data["source_url"]),
        data=data,
        columns=["year", "revenue_cny_m", "qualifier", "basis", "confidence", "source_url"],
        draw=functools.partial(draw_revenue, own=own),
        described={
            "count": len(data),
            "from_year": data["year"].min(),
            "to_year": data["year"].max(),
        },
    )
