"""The house style as code, and charts drawn honestly: unknowns marked, periods placed, notes
computed from the data they annotate, words that are the reporter's."""

import datetime as dt
import itertools
import re
from pathlib import Path

import altair as alt
import pandas as pd
import pytest

from conftest import contrast
from entitylist import charts, figures, publish, tables, theme
from entitylist.errors import RenderError, WordsError
from entitylist.pages import drawing, fonts

HOUSE_STYLE = Path(__file__).resolve().parents[1] / "docs" / "house-style.md"
WORDS = charts.Words("Headline with {{ missing|default('no') }} facts", "A dek")


def test_theme_is_registered_and_enabled():
    assert theme.THEME_NAME in alt.theme.names()
    assert alt.theme.active == theme.THEME_NAME


def test_theme_encodes_the_house_tokens():
    config = theme.desk_theme()["config"]
    assert config["title"]["fontSize"] == 20
    assert config["title"]["fontWeight"] == "bold"
    assert config["title"]["subtitleFontSize"] == 14
    assert config["axis"]["labelFontSize"] == 12
    assert config["axisY"]["grid"] is True
    assert config["axisX"]["grid"] is False
    assert config["view"]["stroke"] is None


def test_theme_colours_and_inks_are_the_documented_ones():
    documented = set(re.findall(r"#[0-9a-f]{6}", HOUSE_STYLE.read_text(encoding="utf-8")))
    assert set(theme.PALETTE.values()) <= documented
    assert set(theme.INK.values()) <= documented


def test_every_ink_reads_on_white():
    white = (255.0, 255.0, 255.0)
    for color in theme.INK:
        ink = tuple(float(int(theme.ink(color)[i : i + 2], 16)) for i in (1, 3, 5))
        assert contrast(ink, white, 1.0) >= 4.5, color


def test_a_template_naming_an_unknown_fact_is_refused(tables):
    said = charts.Words("Peaked in {{ peak_year_typo }}", "dek")
    with pytest.raises(WordsError, match=r"'Peaked in .*'peak_year_typo' is undefined"):
        charts.rules_over_time(tables["rules"], said)


def as_of(day: str, tables_by_day: dict) -> dict[str, pd.DataFrame]:
    """The tables as known on a day."""
    return tables.as_of_filter(tables_by_day, day)


OVERSEAS = charts.Words(
    "{% if hikvision_definitions > 1 %}Two definitions{% else %}One definition{% endif %}",
    "dek",
    note="{% if hikvision_definitions > 1 %}Hikvision reports two overseas figures.{% endif %}",
)


def test_a_note_states_only_what_the_data_it_annotates_shows(tables):
    now = charts.overseas_over_time(tables["financials"], tables["companies"], OVERSEAS)
    then = as_of("2017-12-31", tables)
    before = charts.overseas_over_time(then["financials"], then["companies"], OVERSEAS)
    assert now.facts["hikvision_definitions"] == 3
    assert now.note == "Hikvision reports two overseas figures."
    # At the end of 2017 the sources held one Hikvision figure (2016's): the note is gone.
    assert before.facts["hikvision_definitions"] == 1
    assert before.note is None
    assert before.headline == "One definition"


def test_the_prospectus_clash_is_claimed_only_where_it_exists(tables):
    said = charts.Words(
        "{% if clash_year %}clash in {{ clash_year|year }}{% else %}none{% endif %}", "d"
    )
    megvii = charts.revenue_history(tables["financials"], "megvii", "Megvii", said)
    sensetime = charts.revenue_history(tables["financials"], "sensetime", "SenseTime", said)
    assert megvii.headline == "clash in 2018"
    assert sensetime.headline == "none"


def svg_of(figure: charts.Figure, width: int = theme.ARTICLE_WIDTH) -> str:
    """The figure as drawn to SVG."""
    return drawing.svg(publish.spec(figure, width))


def test_unknown_counts_are_drawn_and_never_as_zero(tables):
    rules = figures.rules_still_listed(
        tables["rules"], tables["entity_list"], tables["entries_2019"]
    )
    figure = charts.rules_over_time(rules, charts.Words("h", "d"))
    drawn = svg_of(figure)
    timeline = figures.rules_timeline(rules)
    unknown = timeline["count_status"] == "unknown"
    at_least = timeline["count_status"] == "at least (still listed)"
    assert unknown.sum() > 0
    assert at_least.sum() > 0
    labels = re.findall(r'aria-label="([^"]*)"', drawn)
    assert sum("China count unknown" in label for label in labels) == unknown.sum()
    assert sum("count not stated; at least" in label for label in labels) == at_least.sum()
    # A lower bound is drawn at its value; an unknown sits in its own band below zero.
    assert (timeline.loc[at_least, "shown"] > 0).all()
    layers = figure.chart().to_dict()["vconcat"][0]["layer"]
    unknown_filter = {"filter": "datum.count_status == 'unknown'"}
    (band,) = [layer for layer in layers if unknown_filter in layer.get("transform", [])]
    assert band["encoding"]["y"]["field"] == "band"
    assert float(band["transform"][1]["calculate"]) < 0


def test_figures_span_their_periods_and_half_years_are_not_joined(tables):
    figure = charts.overseas_over_time(tables["financials"], tables["companies"], OVERSEAS)
    spec = figure.chart().to_dict()
    layers = [layer for panel in spec["vconcat"][0]["vconcat"][1:] for layer in panel["layer"]]
    spans = [layer for layer in layers if layer["mark"]["type"] == "rule"]
    assert spans
    for span in spans:
        assert span["encoding"]["x"]["field"] == "period_start"
        assert span["encoding"]["x2"]["field"] == "period_end"
    lines = [layer for layer in layers if layer["mark"]["type"] == "line"]
    assert lines
    for line in lines:
        assert {"filter": "datum.period_type == 'FY'"} in line["transform"]
        assert line["encoding"]["detail"]["field"] == "series"


def test_chart_data_for_readers_has_english_headers_and_no_flags(tables):
    figure = charts.listing_snapshot(
        tables["financials"], tables["companies"], charts.Words("h", "d"), figures.LISTING_DATE
    )
    reader = figure.reader_data()
    assert list(reader.columns) == [
        "Company",
        "Overseas share (%)",
        "Period",
        "What overseas means",
        "How firm",
        "Source",
    ]
    assert not any(reader[c].dtype == bool for c in reader)


def test_phone_axes_label_fewer_years():
    assert theme.tick_step(theme.ARTICLE_WIDTH - 70, 30, room=34) == 2
    assert theme.tick_step(theme.PHONE_WIDTH - 70, 30, room=34) == 5


def test_chart_files_are_byte_identical_across_runs(tables, tmp_path: Path):
    first, second = tmp_path / "a", tmp_path / "b"
    for folder in (first, second):
        # Built afresh each time, from copies: nothing drawn the first time is reused.
        figure = charts.suppliers_named(
            tables["suppliers"].copy(), tables["companies"].copy(), WORDS
        )
        publish.save(figure, folder)
    names = sorted(p.name for p in first.iterdir())
    suffixes = (".csv", ".png", ".svg", ".phone.svg", ".vl.json")
    assert names == sorted(f"{figure.name}{s}" for s in suffixes)
    for name in names:
        assert (first / name).read_bytes() == (second / name).read_bytes(), name


def test_without_the_list_the_rules_chart_has_no_still_listed_column(tables):
    now = figures.rules_still_listed(
        tables["rules"], tables["entity_list"], tables["entries_2019"]
    )
    before = figures.rules_still_listed(
        tables["rules"], tables["entity_list"].iloc[0:0], tables["entries_2019"]
    )
    words = charts.Words("h", "d")
    assert "Still listed in 2026" in charts.rules_over_time(now, words).reader_data()
    assert "Still listed in 2026" not in charts.rules_over_time(before, words).reader_data()


def reporters_chart(tables, headline: str, legend: bool, described: bool) -> charts.Figure:
    """Megvii's revenue by year as a reporter first drew it (issue 19): the real rows."""
    data = figures.revenue_series(tables["financials"], "megvii")
    data["basis"] = data["basis"] + " (as each prospectus reports it, in CNY million)"

    def draw(d: pd.DataFrame, width: int) -> alt.Chart:
        # The wrong draft cuts its legend; the right one says the basis in its dek instead.
        colour = alt.Color("basis:N").legend(
            alt.Legend(orient="bottom", labelLimit=120) if legend else None
        )
        marks = alt.Chart(d).mark_bar().encode(alt.X("year:O"), alt.Y("revenue_cny_m:Q"), colour)
        if described:
            marks = marks.encode(description="said:N").transform_calculate(
                said="datum.year + ': CNY ' + datum.revenue_cny_m + 'm'"
            )
        return marks.properties(width=width - 120, height=200)

    return charts.compose(
        "revenue-megvii-by-year",
        charts.Words(headline, "Full-year revenue, CNY million"),
        {"first": int(data["year"].min()), "last": int(data["year"].max())},
        source="Company filings",
        data=data,
        draw=draw,
        description="Megvii's revenue by year",
        columns={"year": "Year", "revenue_cny_m": "Revenue (CNY million)"},
    )


def faults_of(figure: charts.Figure) -> list[str]:
    """The house-style faults publish.save would refuse the chart for."""
    drawings = {
        "web": drawing.svg(publish.spec(figure, theme.ARTICLE_WIDTH)),
        "phone": drawing.svg(publish.spec(figure, theme.PHONE_WIDTH)),
    }
    columns = {
        "article": (drawings["web"], theme.ARTICLE_WIDTH),
        "phone": (drawings["phone"], theme.PHONE_WIDTH),
    }
    return publish.width_faults(figure.name, columns) + publish.house_style_faults(
        figure, drawings
    )


def test_a_reporters_chart_with_house_style_faults_is_refused_naming_each(tables, tmp_path):
    wrong = reporters_chart(tables, "Megvii's revenue, {{ first }} to {{ last }}", True, False)
    faults = faults_of(wrong)
    assert all(f.startswith("chart revenue-megvii-by-year: ") for f in faults)
    assert any("headline prints a year as a quantity ('2,016')" in f for f in faults)
    assert any("is cut" in f for f in faults)
    assert any("tooltips name data fields" in f for f in faults)
    with pytest.raises(RenderError, match=r"chart revenue-megvii-by-year: its headline"):
        publish.save(wrong, tmp_path)
    assert not list(tmp_path.iterdir())  # nothing of a refused chart is written


def test_the_same_chart_in_house_style_passes(tables):
    right = reporters_chart(
        tables, "Megvii's revenue, {{ first|year }} to {{ last|year }}", False, True
    )
    assert faults_of(right) == []


def test_a_drawing_wider_than_its_column_is_refused_naming_the_chart(tmp_path: Path):
    data = pd.DataFrame({"Kind": ["Companies"], "Entries": [8]})

    def too_wide(d: pd.DataFrame, width: int) -> alt.Chart:
        return alt.Chart(d).mark_bar().encode(x="Entries:Q").properties(width=width + 40)

    figure = charts.Figure("too-wide", "Headline", "Dek", "Source", "Alt", data, too_wide)
    with pytest.raises(RenderError, match=r"chart too-wide: the article drawing is \d+ px wide"):
        publish.save(figure, tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_long_words_wrap_to_the_measured_width():
    lines = charts.wrap("Hikvision’s overseas share depends on which definition " * 3, 312, 20)
    assert len(lines) > 1
    assert all(fonts.text_width(line, 20) <= 312 for line in lines)


@pytest.mark.parametrize("as_of_day", ["", "2019-10-09"])
def test_milestone_names_sit_inside_the_plot_and_above_the_lines_they_cross(
    tables, as_of_day: str
):
    rules = (as_of(as_of_day, tables) if as_of_day else tables)["rules"]
    timeline = figures.rules_timeline(rules)
    marks = timeline.assign(label=timeline["milestone"].fillna(""))
    marks = marks[marks["label"] != ""]
    # The chart's own years, and only the milestones' years: names closer together.
    for dates, plot in itertools.product((timeline["date"], marks["date"]), (240, 560)):
        _, domain = charts.year_axis(dates.min().year, dates.max().year, plot)
        placed = charts.place_labels(marks, plot, domain)
        span = (domain[1] - domain[0]).total_seconds()
        at = [(d - domain[0]).total_seconds() / span * plot for d in placed["date"]]
        for i, row in placed.iterrows():
            wide = max(fonts.text_width(t, theme.LABEL_SIZE, bold=True) for t in row["lines"])
            left = at[i] if row["align"] == "left" else at[i] - wide - charts.LABEL_GAP
            right = left + wide + charts.LABEL_GAP
            assert left >= 0, (plot, row["label"])
            assert right <= plot, (plot, row["label"])
            crossed = [j for j, x in enumerate(at) if j != i and left < x < right]
            assert all(placed.at[j, "row"] > row["row"] for j in crossed), row["label"]


def megvii_revenue_traced(tables) -> pd.DataFrame:
    """Megvii's revenue as of the listing day, with the raw trace a reporter might keep."""
    data = figures.revenue_series(tables["financials"], "megvii")
    data = data[data["year"] <= 2018].copy()
    # The snapshot folder's name is a date after the as-of day; the chart never draws it.
    data["raw_file"] = "pack/2026-12-03/financials.csv"
    return data


@pytest.mark.parametrize("plotted", [False, True])
def test_an_as_of_chart_is_checked_on_the_fields_it_draws(tables, tmp_path: Path, plotted):
    from entitylist.errors import GuardError
    from entitylist.pages import guard

    data = megvii_revenue_traced(tables)

    def draw(d: pd.DataFrame, width: int) -> alt.Chart:
        bars = alt.Chart(d).mark_bar().encode(alt.X("year:O"), alt.Y("revenue_cny_m:Q"))
        bars = bars.encode(description="raw_file:N" if plotted else "basis:N")
        return bars.properties(width=width - 120, height=160)

    columns = {"year": "Year", "revenue_cny_m": "Revenue (CNY million)"}
    figure = charts.Figure(
        "traced", "Headline", "Dek", "Source", "Alt", data, draw, columns=columns
    )
    publish.save(figure, tmp_path / "charts")
    spec_text = (tmp_path / "charts" / "traced.vl.json").read_text(encoding="utf-8")
    assert ("2026-12-03" in spec_text) == plotted
    assert "revenue_cny_m" in spec_text
    if plotted:
        with pytest.raises(GuardError, match=r"charts/traced\.[a-z.]+: .*'2026-12-03'"):
            guard.check_site(tmp_path, dt.date(2019, 10, 9))
    else:
        assert guard.check_site(tmp_path, dt.date(2019, 10, 9)) > 0
