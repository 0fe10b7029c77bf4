"""The house style: one registered theme, and every published chart framed the same way."""

import re
from pathlib import Path

import altair as alt
import pytest
from PIL import Image

from entitylist import charts, publish, theme
from entitylist.charts import Figure

HOUSE_STYLE = Path(__file__).resolve().parents[2] / "shared" / "docs" / "house-style.md"


def all_figures(tables) -> list[Figure]:
    """Every figure the project publishes, built from the real processed tables."""
    return charts.all_figures(tables)


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
    assert config["range"]["category"][:2] == ["#0b5cad", "#e8a33d"]


def test_theme_colours_match_the_house_style_document():
    if not HOUSE_STYLE.exists():
        pytest.skip("shared/docs/house-style.md is not beside this checkout")
    documented = set(re.findall(r"#[0-9a-f]{6}", HOUSE_STYLE.read_text(encoding="utf-8")))
    assert set(theme.PALETTE.values()) <= documented


def test_every_published_chart_is_framed(tables):
    figures = all_figures(tables)
    assert figures
    for figure in figures:
        spec = figure.chart().to_dict()
        headline = " ".join(spec["title"]["text"])
        assert headline == " ".join(figure.headline.split()), figure.name
        assert spec["title"]["subtitle"], figure.name
        footer = spec["vconcat"][0]["title"]
        assert footer["orient"] == "bottom"
        assert footer["text"][0].startswith("Source: "), figure.name
        assert footer["text"][-1] == theme.DEFAULT_CREDIT
        assert spec["description"] == figure.description
        assert len(figure.description) > 40


def test_charts_have_no_frame_and_bars_start_at_zero(tables):
    for figure in all_figures(tables):
        spec = figure.chart().to_dict()
        text = str(spec)
        assert "'zero': False" not in text, figure.name


def test_footer_and_headline_wrap_to_the_phone_width(tables):
    for figure in all_figures(tables):
        phone = figure.chart(theme.PHONE_WIDTH).to_dict()
        lines = phone["title"]["text"] + phone["vconcat"][0]["title"]["text"]
        longest = max(len(line) for line in lines)
        assert longest * theme.FOOTER_SIZE * 0.55 <= theme.PHONE_WIDTH * 1.7, figure.name


def test_chart_files_are_deterministic_and_complete(tables, tmp_path: Path):
    figure = charts.entries_by_kind(tables["entries_2019"])
    first, second = tmp_path / "a", tmp_path / "b"
    publish.save(figure, first)
    publish.save(figure, second)
    names = sorted(p.name for p in first.iterdir())
    assert names == sorted(
        f"entries-by-kind{s}" for s in (".csv", ".png", ".svg", ".phone.svg", ".vl.json")
    )
    for name in names:
        assert (first / name).read_bytes() == (second / name).read_bytes(), name
    with Image.open(first / "entries-by-kind.png") as card:
        assert card.size == (2400, 1350)


def test_chart_csv_is_exactly_the_plotted_data(tables, tmp_path: Path):
    figure = charts.entries_by_kind(tables["entries_2019"])
    publish.save(figure, tmp_path)
    csv = (tmp_path / "entries-by-kind.csv").read_text(encoding="utf-8").splitlines()
    assert csv[0].split(",")[:2] == ["kind", "entries"]
    assert sum(int(line.split(",")[1]) for line in csv[1:]) == 28


def test_svg_carries_the_description_for_screen_readers(tables, tmp_path: Path):
    figure = charts.entries_by_kind(tables["entries_2019"])
    published = publish.save(figure, tmp_path)
    for svg in (published.desktop_svg, published.phone_svg):
        root = svg[: svg.index(">")]
        assert f'aria-label="{figure.description}"' in root
        labels = re.findall(r'aria-label="([^"]*)"', svg[len(root) :])
        assert "Companies: 8" in labels
        assert not any("#" in label for label in labels)


def test_shipped_cjk_font_covers_every_chinese_character_in_the_data():
    from entitylist import fonts

    missing = fonts.data_characters() - fonts.shipped_characters()
    assert not missing, f"run `make font`: the shipped font lacks {''.join(sorted(missing))}"


def test_profile_card_draws_the_chinese_name(tables, tmp_path: Path):
    hikvision = tables["companies"].set_index("company").loc["hikvision"]
    figure = charts.revenue_history(
        tables["financials"], "hikvision", hikvision["name"], hikvision["name_zh"]
    )
    assert "海康威视" in figure.dek
    publish.save(figure, tmp_path)
    assert "海康威视" in (tmp_path / "revenue-hikvision.svg").read_text(encoding="utf-8")
