"""Chart builders. Each returns a Figure: its words, exactly the data it plots, and how to draw it.

`frame` is the one helper that adds the headline, dek, footer and description; every chart
the desk publishes goes through it.
"""

import textwrap
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlparse

import altair as alt
import pandas as pd

from entitylist import theme

Draw = Callable[[pd.DataFrame, int], alt.TopLevelMixin]


@dataclass(frozen=True)
class Figure:
    """A publishable chart: headline, dek, sources, note, description, data and drawing."""

    name: str
    headline: str
    dek: str
    source: str
    description: str
    data: pd.DataFrame
    draw: Draw
    note: str | None = None
    credit: str = theme.DEFAULT_CREDIT
    columns: dict[str, str] = field(default_factory=dict)

    def chart(self, width: int = theme.ARTICLE_WIDTH) -> alt.VConcatChart:
        """Return the framed chart drawn for a given width in pixels."""
        return frame(self, self.draw(self.data, width), width)


def wrap(text: str, width: int, size: int) -> list[str]:
    """Break text into lines that fit a width at a font size (Vega does not wrap titles)."""
    per_line = max(20, int(width / (size * 0.55)))
    return textwrap.wrap(text, per_line) or [""]


def footer_lines(figure: Figure, width: int) -> list[str]:
    """Return the footer: Source, then Note where a caveat applies, then the credit."""
    lines = wrap(f"Source: {figure.source}", width, theme.FOOTER_SIZE)
    if figure.note:
        lines += wrap(f"Note: {figure.note}", width, theme.FOOTER_SIZE)
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
            wrap(figure.headline, width, theme.HEADLINE_SIZE),
            subtitle=wrap(figure.dek, width, theme.DEK_SIZE),
            frame="bounds",
        ),
        description=figure.description,
    )


def hosts(urls: pd.Series) -> list[str]:
    """Return the distinct publishers (host names) behind a column of source URLs."""
    names = {urlparse(u).hostname or "" for u in urls.dropna()}
    return sorted(name.removeprefix("www.") for name in names if name)


def source_line(primary: str, urls: pd.Series, limit: int = 4) -> str:
    """Name the primary source and the publishers of the rows, pointing to the CSV when many."""
    found = hosts(urls)
    if not found:
        return primary
    if len(found) <= limit:
        return f"{primary}; as reported by {', '.join(found)}"
    return f"{primary}; {len(found)} publishers, each row's source in the chart's CSV"


def horizontal_bars(
    data: pd.DataFrame, width: int, *, category: str, value: str, label: str, color: str
) -> alt.LayerChart:
    """Draw bars from zero with the category written above each bar, so phones need no axis."""
    order = list(data[category])
    base = alt.Chart(data).encode(
        alt.Y(f"{category}:N").sort(order).title(None).axis(None),
    )
    bars = (
        base.mark_bar(height=14, yOffset=7)
        .encode(
            alt.X(f"{value}:Q").title(None).axis(None).scale(zero=True),
            alt.Color(f"{color}:N").scale(None).legend(None),
            description="aria:N",
        )
        .transform_calculate(aria=f"datum['{category}'] + ': ' + datum['{label}']")
    )
    # The labels repeat what each bar's aria-label says; screen readers skip them.
    names = base.mark_text(align="left", baseline="bottom", yOffset=-2, x=0, aria=False).encode(
        alt.Text(f"{category}:N")
    )
    values = bars.mark_text(align="left", baseline="middle", dx=4, yOffset=7, aria=False).encode(
        alt.Text(f"{label}:N"), color=alt.value(theme.TEXT)
    )
    return (bars + names + values).properties(width=width - 60, height=alt.Step(46))


def entries_by_kind(entries: pd.DataFrame) -> Figure:
    """The 9 Oct 2019 rule's 28 entries by kind."""
    from entitylist import figures

    data = figures.entries_by_kind(entries)
    summary = figures.rule_summary(entries)
    data["color"] = data["kind_detail"].map(
        lambda kind: theme.HIGHLIGHT if kind == "company" else theme.US_ACTION
    )
    data["label"] = data["entries"].astype(str)
    largest = data.loc[data["entries"].idxmax()]
    return Figure(
        name="entries-by-kind",
        headline=(
            f"{summary['government']} of the {summary['entries']} entries are Xinjiang "
            f"public security bodies; {summary['companies']} are companies"
        ),
        dek="Entries added under China by the Entity List rule of Oct. 9, 2019, by kind",
        source=source_line("Federal Register 84 FR 54002", entries["source_url"]),
        note=(
            f"{summary['unverified_names']} names could not be verified against the rule "
            "text and are not published; the kinds are verified."
        ),
        description=(
            f"Bar chart. Of the {summary['entries']} entries, {largest['entries']} are "
            f"{largest['kind'].lower()}, the largest group; "
            f"{summary['companies']} are companies."
        ),
        data=data[["kind", "entries"]].assign(color=data["color"], label=data["label"]),
        draw=lambda d, width: horizontal_bars(
            d, width, category="kind", value="entries", label="label", color="color"
        ),
    )


def all_figures(tables: dict[str, pd.DataFrame]) -> list[Figure]:
    """Every figure the project publishes, for tests and the benchmark."""
    return [entries_by_kind(tables["entries_2019"])]
