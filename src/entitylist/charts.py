"""Chart builders. Each returns a Figure: its words, exactly the data it plots, and how to draw it.

`frame` is the one helper that adds the headline, dek, footer and description; every chart
the desk publishes goes through it.
"""

import textwrap
from collections.abc import Callable
from dataclasses import dataclass, field

import altair as alt
import pandas as pd

from entitylist import figures, story, theme

theme.register()

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


def wrap(text: str, width: int, size: int, em: float = 0.55) -> list[str]:
    """Break text into lines that fit a width at a font size (Vega does not wrap titles).

    em is the average character width in ems: about 0.55 for regular text, more for bold.
    """
    per_line = max(20, int(width / (size * em)))
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
            wrap(figure.headline, width, theme.HEADLINE_SIZE, em=0.62),
            subtitle=wrap(figure.dek, width, theme.DEK_SIZE),
            frame="bounds",
        ),
        description=figure.description,
    )


def hosts(urls: pd.Series) -> list[str]:
    """Return the distinct publishers (host names) behind a column of source URLs."""
    return sorted({story.publisher(url) for url in urls.dropna()} - {""})


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
    # A missing value draws no bar; its label ("no public figure") sits at the axis instead.
    values = (
        base.mark_text(align="left", baseline="middle", dx=4, yOffset=7, aria=False)
        .encode(
            alt.X("label_x:Q"),
            alt.Text(f"{label}:N"),
            color=alt.condition(
                f"isValid(datum['{value}'])", alt.value(theme.TEXT), alt.value(theme.SECONDARY)
            ),
        )
        .transform_calculate(label_x=f"isValid(datum['{value}']) ? datum['{value}'] : 0")
    )
    # Leave room right of the longest bar for its value label, so nothing is clipped or shrunk.
    label_room = int(data[label].astype(str).str.len().max() * theme.LABEL_SIZE * 0.6) + 12
    return (bars + names + values).properties(
        width=max(120, width - 24 - label_room), height=alt.Step(46)
    )


def entries_by_kind(entries: pd.DataFrame) -> Figure:
    """The 9 Oct 2019 rule's 28 entries by kind."""
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


def per_year(rules: pd.DataFrame) -> Figure:
    """China entries added per year, with the rules whose count no source states."""
    data = figures.china_entries_by_year(rules)
    peak = data.loc[data["known_entries"].idxmax()]
    unknown = int(data["rules_count_unknown"].sum())
    first, last = int(data["year"].min()), int(data["year"].max())
    # The unknown counts go under the year as a second label line: drawn, never as a zero.
    data["year_label"] = [
        f"{y}|+{n} ?" if n else str(y)
        for y, n in zip(data["year"], data["rules_count_unknown"], strict=True)
    ]
    data["color"] = data["year"].map(
        lambda y: theme.HIGHLIGHT if y == figures.LISTING_DATE.year else theme.US_ACTION
    )

    def draw(d: pd.DataFrame, width: int) -> alt.LayerChart:
        base = alt.Chart(d).encode(
            alt.X("year_label:N")
            .sort(list(d["year_label"]))
            .title(None)
            .axis(
                labelAngle=0,
                labelExpr="split(datum.label, '|')",
                labelLineHeight=14,
                labelFontSize=10 if width < 500 else theme.LABEL_SIZE,
            )
        )
        bars = (
            base.mark_bar(width={"band": 0.7})
            .encode(
                alt.Y("known_entries:Q").title("China entries, known counts").scale(zero=True),
                alt.Color("color:N").scale(None).legend(None),
                description="aria:N",
            )
            .transform_calculate(
                aria="datum.year + ': ' + datum.known_entries + ' China entries with a known "
                "count; ' + datum.rules_count_unknown + ' rules with no stated count'"
            )
        )
        totals = base.mark_text(dy=-6, baseline="bottom", aria=False).encode(
            alt.Y("known_entries:Q"), alt.Text("known_entries:Q")
        )
        return (bars + totals).properties(width=width - 70, height=300)

    return Figure(
        name="china-entries-per-year",
        headline=(
            f"Known China additions peaked in {int(peak['year'])}, "
            f"at {int(peak['known_entries'])} entries"
        ),
        dek=(
            f"Entries added under China to the Entity List per year, {first} to {last}, "
            "counting only rules whose China count a source states"
        ),
        source=source_line("Federal Register rules compiled by the desk", rules["source_url"]),
        note=(
            f"'+N ?' under a year: N rules added entries under China in numbers no source "
            f"states ({unknown} in all); they are not zeros. Coverage "
            "before 2019 is thin and 2023 to 2025 is not exhaustive."
        ),
        description=(
            f"Column chart of China entries added per year. The known total is highest in "
            f"{int(peak['year'])} ({int(peak['known_entries'])}) and lowest in "
            f"{int(data.loc[data['known_entries'].idxmin(), 'year'])} "
            f"({int(data['known_entries'].min())}); {unknown} rules have unknown counts."
        ),
        data=data[
            [
                "year",
                "known_entries",
                "rules_with_count",
                "rules_count_unknown",
                "year_label",
                "color",
            ]
        ],
        draw=draw,
    )


def rules_over_time(rules: pd.DataFrame) -> Figure:
    """Each rule adding China entries, as a dot; unknown counts as dashed lines, not zeros."""
    data = figures.rules_timeline(rules)
    summary = figures.timeline_summary(rules)
    data["known"] = data["count_status"] != "unknown"
    data["color"] = data["is_listing_rule"].map({True: theme.HIGHLIGHT, False: theme.US_ACTION})
    data["label"] = data["milestone"].fillna("")

    def draw(d: pd.DataFrame, width: int) -> alt.LayerChart:
        x = alt.X("date:T").title(None).axis(format="%Y", tickCount="year")
        known = alt.Chart(d).transform_filter("datum.known")
        unknown = alt.Chart(d).transform_filter("!datum.known")
        dots = (
            known.mark_circle(size=70, opacity=0.9)
            .encode(
                x,
                alt.Y("china_entries:Q").title("China entries added").scale(zero=True),
                alt.Color("color:N").scale(None).legend(None),
                description="aria:N",
            )
            .transform_calculate(
                aria="timeFormat(datum.date, '%b %d, %Y') + ', ' + datum.rule + ': ' + "
                "datum.china_entries + ' China entries'"
            )
        )
        lines = (
            unknown.mark_rule(strokeDash=[3, 3], color=theme.CONTEXT)
            .encode(x, description="aria:N")
            .transform_calculate(
                aria="timeFormat(datum.date, '%b %d, %Y') + ', ' + datum.rule + ': count unknown'"
            )
        )
        labels = (
            known.transform_filter("datum.label != ''")
            .mark_text(align="left", dx=6, dy=-8, fontWeight="bold", aria=False)
            .encode(x, alt.Y("china_entries:Q"), alt.Text("label:N"))
        )
        unknown_labels = (
            unknown.transform_filter("datum.label != ''")
            .mark_text(align="left", dx=4, y=8, color=theme.SECONDARY, aria=False)
            .encode(x, alt.Text("label:N"))
        )
        return (lines + dots + labels + unknown_labels).properties(width=width - 70, height=300)

    return Figure(
        name="rules-over-time",
        headline=(
            f"{summary['rules']} rules added Chinese entries from "
            f"{summary['first'].year} to {summary['latest'].year}"
        ),
        dek="Each dot is one Federal Register rule, by China entries added; "
        "dashed lines mark rules whose China count no source states",
        source=source_line("Federal Register rules compiled by the desk", rules["source_url"]),
        note=(
            f"{summary['rules_unknown']} rules have unknown China counts, drawn as dashed "
            "lines, not zeros. Dates are publication dates, or effective dates where none "
            "is stated."
        ),
        description=(
            f"Dot chart of {summary['rules']} rules over time. The largest known addition "
            f"is {summary['biggest_entries']} China entries ({summary['biggest_rule']}, "
            f"{summary['biggest_date']:%b %Y}); {summary['rules_unknown']} rules have "
            "unknown counts."
        ),
        data=data[
            [
                "date",
                "rule",
                "china_entries",
                "count_status",
                "milestone",
                "source_url",
                "known",
                "color",
                "label",
            ]
        ],
        draw=draw,
    )


def listing_snapshot(financials: pd.DataFrame, companies: pd.DataFrame) -> Figure:
    """Each company's overseas share as known when it was listed; no figure is not zero."""
    data = figures.snapshot_at(financials, companies)
    known = data[data["status"] == "figure"]
    missing = len(data) - len(known)
    data["label"] = [
        f"{v:g}% ({p}, {c})" if s == "figure" else "no public figure"
        for v, p, c, s in zip(
            data["share_pct"], data["period"], data["confidence"], data["status"], strict=True
        )
    ]
    data["color"] = theme.US_ACTION
    top = known.loc[known["share_pct"].idxmax()] if len(known) else None
    return Figure(
        name="overseas-share-at-listing",
        headline=(
            f"At listing, only {len(known)} of the {len(data)} firms had a public overseas figure"
        ),
        dek="Share of revenue earned outside mainland China, latest figure known by "
        "Oct. 9, 2019 (percent)",
        source=source_line("Company filings and reports compiled by the desk", data["source_url"]),
        note=(
            f"{missing} companies had no public overseas figure; they are not zero. "
            "Approximate, inferred and unverified figures are labelled so."
        ),
        description=(
            "Bar chart of overseas revenue shares at listing. "
            + (
                f"{top['company']} has the highest known share, about {top['share_pct']:g}% "
                f"({top['confidence']}); "
                if top is not None
                else ""
            )
            + f"{missing} companies have no public figure."
        ),
        data=data[
            [
                "company",
                "share_pct",
                "period",
                "confidence",
                "status",
                "source_url",
                "label",
                "color",
            ]
        ],
        draw=lambda d, width: horizontal_bars(
            d, width, category="company", value="share_pct", label="label", color="color"
        ),
    )


def overseas_over_time(financials: pd.DataFrame, companies: pd.DataFrame) -> Figure:
    """Overseas share by company and period, one series per definition of 'overseas'."""
    data = figures.overseas_shares(financials, companies)
    data["firm"] = data["confidence"].isin(["stated", "computed"])
    # Short legend labels that fit a phone; the CSV keeps each full definition.
    data["overseas"] = (
        data["definition"]
        .str.replace(r"^overseas,? ?", "", regex=True)
        .str.replace(r" \(.*\)$", "", regex=True)
    )
    latest = data.loc[data["period_end"].idxmax()]
    firms = list(dict.fromkeys(data["company"]))
    colors = dict(zip(firms, theme.CATEGORY, strict=False))
    data["color"] = data["company"].map(colors)

    def draw(d: pd.DataFrame, width: int) -> alt.LayerChart:
        x = alt.X("period_end:T").title(None).axis(format="%Y", tickCount="year")
        y = (
            alt.Y("share_pct:Q")
            .title("Overseas share of revenue (%)")
            .scale(zero=True, domain=[0, 60])
        )
        base = alt.Chart(d)
        lines = base.mark_line(strokeWidth=1.5, aria=False).encode(
            x,
            y,
            alt.Color("color:N").scale(None),
            alt.Detail("series:N"),
            alt.StrokeDash("overseas:N")
            .title("'Overseas' means")
            .legend(orient="top", direction="vertical", labelLimit=width),
        )
        points = (
            base.mark_point(size=60, strokeWidth=2)
            .encode(
                x,
                y,
                alt.Color("color:N").scale(None),
                alt.Fill("fill:N").scale(None),
                description="aria:N",
            )
            .transform_calculate(
                fill=f"datum.firm ? datum.color : '{theme.BACKGROUND}'",
                aria="datum.company + ', ' + datum.period + ': ' + datum.share_pct + '% (' + "
                "datum.definition + ', ' + datum.confidence + ')'",
            )
        )
        last = base.transform_window(
            rank="rank()",
            sort=[alt.SortField("period_end", order="descending")],
            groupby=["company"],
        ).transform_filter("datum.rank == 1")
        names = last.mark_text(align="left", dx=7, fontWeight="bold", aria=False).encode(
            x, y, alt.Text("company:N"), alt.Color("color:N").scale(None)
        )
        return (lines + points + names).properties(width=width - 150, height=300)

    return Figure(
        name="overseas-share-over-time",
        headline=(
            f"{latest['company']} now earns about {latest['share_pct']:g}% of revenue abroad"
        ),
        dek="Overseas share of revenue by company and period, where a source states it; "
        "each definition of 'overseas' is its own line (percent)",
        source=source_line("Company filings and reports compiled by the desk", data["source_url"]),
        note=(
            "Hollow points are approximate, inferred or unverified. Hikvision reports two "
            "overseas figures (regional split; main business only), kept apart. iFlytek, "
            "Xiamen Meiya Pico, Yitu and Yixin have no public overseas figures."
        ),
        description=(
            f"Line chart of overseas revenue shares for {', '.join(firms)}. The highest "
            f"share shown is {data['share_pct'].max():g}% "
            f"({data.loc[data['share_pct'].idxmax(), 'company']}), the lowest "
            f"{data['share_pct'].min():g}% ({data.loc[data['share_pct'].idxmin(), 'company']})."
        ),
        data=data[
            [
                "company",
                "period",
                "period_end",
                "share_pct",
                "definition",
                "confidence",
                "source_url",
                "series",
                "overseas",
                "firm",
                "color",
            ]
        ],
        draw=draw,
    )


def suppliers_named(suppliers: pd.DataFrame, companies: pd.DataFrame) -> Figure:
    """Named US suppliers per company; none named is not the same as none."""
    data = figures.us_suppliers(suppliers, companies)
    data["label"] = [
        str(n) if pd.notna(n) else "none named in our sources" for n in data["named_us_suppliers"]
    ]
    data["color"] = data["company"].map(
        lambda c: theme.US_ACTION if c in ("hikvision", "dahua") else theme.FURTHER[0]
    )
    most = data.loc[data["named_us_suppliers"].fillna(-1).idxmax()]
    none = int(data["named_us_suppliers"].isna().sum())
    leaders = data[data["named_us_suppliers"] == most["named_us_suppliers"]]
    others = data[data["named_us_suppliers"].notna() & ~data.index.isin(leaders.index)]
    shared = (
        set.intersection(*(set(n.split(", ")) for n in others["suppliers"]))
        if len(others)
        else set()
    )
    headline = (
        f"{' and '.join(leaders['name'])} each had {int(most['named_us_suppliers'])} US "
        "suppliers named"
        + (
            f"; {story.number(len(others))} other firms had only {', '.join(sorted(shared))}"
            if shared and all(n == 1 for n in others["named_us_suppliers"])
            else ""
        )
    )
    return Figure(
        name="us-suppliers-named",
        headline=headline,
        dek="US companies named as suppliers of each listed firm in news reports and filings",
        source=source_line("Reports compiled by the desk", suppliers["source_url"]),
        note=(
            f"{none} companies had no supplier named in our sources, which does not mean "
            "they had none. Hikvision does not disclose its suppliers."
        ),
        description=(
            f"Bar chart of named US suppliers. {most['name']} has "
            f"{int(most['named_us_suppliers'])}; {none} companies have none named."
        ),
        data=data[
            ["name", "named_us_suppliers", "suppliers", "unnamed_us_mentioned", "label", "color"]
        ],
        draw=lambda d, width: horizontal_bars(
            d,
            width,
            category="name",
            value="named_us_suppliers",
            label="label",
            color="color",
        ),
    )


def revenue_history(
    financials: pd.DataFrame, company: str, name: str, name_zh: str | None = None
) -> Figure | None:
    """A company's full-year revenue, one colour per basis; None when there are no figures."""
    own = financials[
        (financials["company"] == company)
        & (financials["metric"] == "total_revenue")
        & (financials["period_type"] == "FY")
    ]
    own = figures.best_first(own).drop_duplicates(["year", "definition"])
    if own.empty:
        return None
    data = (
        pd.DataFrame(
            {
                "year": own["year"].astype("int64"),
                "revenue_cny_m": own["value"],
                "basis": own["definition"],
                "confidence": own["confidence"],
                "source_url": own["source_url"],
            }
        )
        .sort_values(["year", "basis"])
        .reset_index(drop=True)
    )
    bases = list(dict.fromkeys(data["basis"]))
    data["color"] = data["basis"].map(dict(zip(bases, theme.CATEGORY, strict=False)))
    clash = data[data.duplicated("year", keep=False)]
    # Growth is read within one basis only: the one with the latest figure.
    series = data[data["basis"] == data.iloc[-1]["basis"]]
    first, last = series.iloc[0], series.iloc[-1]
    if len(clash):
        year = int(clash["year"].iloc[0])
        amounts = " or ".join(story.money(v) for v in clash["revenue_cny_m"])
        headline = f"{name}'s two prospectuses disagree on its {year} revenue: {amounts}"
    else:
        headline = (
            f"{name}'s revenue went from {story.money(first['revenue_cny_m'])} in "
            f"{first['year']} to {story.money(last['revenue_cny_m'])} in {last['year']}"
        )

    def draw(d: pd.DataFrame, width: int) -> alt.LayerChart:
        bars = (
            alt.Chart(d)
            .mark_bar()
            .encode(
                alt.X("year:O").title(None).axis(labelAngle=0),
                alt.XOffset("basis:N"),
                alt.Y("revenue_cny_m:Q").title("Revenue (CNY million)").scale(zero=True),
                alt.Color("color:N").scale(None).legend(None),
                description="aria:N",
            )
            .transform_calculate(
                aria="datum.year + ': CNY ' + format(datum.revenue_cny_m, ',.0f') + 'm (' + "
                "datum.basis + ')'"
            )
        )
        return bars.properties(width=width - 90, height=260)

    several = len(bases) > 1
    return Figure(
        name=f"revenue-{company}",
        headline=headline,
        dek=(f"{name} ({name_zh}): " if isinstance(name_zh, str) else f"{name}: ")
        + "full-year revenue, CNY million"
        + (f"; {len(bases)} bases shown side by side, never joined" if several else ""),
        source=source_line("Company filings and reports compiled by the desk", data["source_url"]),
        note=(
            "The prospectuses disagree for the same year; both are shown: "
            + "; ".join(
                f"{b} ({theme.COLOUR_NAMES[c]})"
                for b, c in zip(bases, theme.CATEGORY, strict=False)
            )
            if several
            else None
        ),
        description=(
            f"Column chart of {name}'s full-year revenue, {len(data)} figures from "
            f"{data['year'].min()} to {data['year'].max()}; on the {last['basis']} basis it "
            f"went from {story.money(first['revenue_cny_m'])} ({first['year']}) to "
            f"{story.money(last['revenue_cny_m'])} ({last['year']})."
        ),
        data=data,
        draw=draw,
    )


def all_figures(tables: dict[str, pd.DataFrame]) -> list[Figure]:
    """Every figure the project publishes, for tests and the benchmark."""
    shown = [
        entries_by_kind(tables["entries_2019"]),
        per_year(tables["rules"]),
        rules_over_time(tables["rules"]),
        listing_snapshot(tables["financials"], tables["companies"]),
        overseas_over_time(tables["financials"], tables["companies"]),
        suppliers_named(tables["suppliers"], tables["companies"]),
    ]
    for company, name in zip(
        tables["companies"]["company"], tables["companies"]["name"], strict=True
    ):
        history = revenue_history(tables["financials"], company, name)
        if history is not None:
            shown.append(history)
    return shown
