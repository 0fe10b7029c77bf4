"""The reader's words live where reporters edit them (notebooks/words.yaml, the notebooks, the
templates), not in package Python: an edit to words.yaml reaches the chart, a missing word is
an error naming its place, and no reader-facing sentence or header creeps back into a module."""

import json
from pathlib import Path

import pytest
import yaml

from entitylist import charts, config, figures, paths, story
from entitylist.data import schemas
from entitylist.errors import ConfigError

SAID = charts.Words("Headline", "Dek")


def edited_words(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, edit) -> dict:
    """A copy of words.yaml changed by `edit` (on the parsed document), in force for the test."""
    document = yaml.safe_load(config.WORDS.read_text(encoding="utf-8"))
    edit(document)
    path = tmp_path / "words.yaml"
    path.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    monkeypatch.setattr(config, "WORDS", path)
    return document


def test_an_edit_to_words_yaml_reaches_the_chart_its_csv_and_its_tooltips(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, tables
):
    def edit(document: dict) -> None:
        own = document["charts"]["rules-over-time"]
        own["labels"]["y_title"] = "Entries added under China"
        own["columns"]["rule"] = "Federal Register rule"
        own["source"] = "Rules the desk compiled"
        own["tooltips"]["unknown"] = ["{date:%Y}", ": {rule}, no count for China's entries"]
        document["milestones"]["84 FR 22961"] = "Huawei's listing"

    edited_words(tmp_path, monkeypatch, edit)
    figure = charts.rules_over_time(tables["rules"], SAID)
    spec = json.dumps(figure.chart().to_dict())
    assert "Entries added under China" in spec
    assert "China entries added" not in spec
    # A reporter's apostrophe is quoted for Vega, not left to end its string.
    assert "': ' + datum.rule + ', no count for China\\\\'s entries'" in spec
    assert "Federal Register rule" in list(figure.reader_data().columns)
    assert figure.source.startswith("Rules the desk compiled")
    assert "Huawei's listing" in set(figure.data["milestone"])


def test_the_desks_name_comes_from_site_yaml(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    settings = tmp_path / "site.yaml"
    text = config.SITE_SETTINGS.read_text(encoding="utf-8")
    desk = config.site().desk_name
    settings.write_text(text.replace(desk, "Metro data team"), encoding="utf-8")
    real = config.site
    monkeypatch.setattr(config, "site", lambda: real(settings))
    assert "Metro data team" in charts.chart_credit()
    assert desk not in charts.chart_credit()
    header = story.header("Headline", "Dek", "2019-10-09")
    assert "Metro data team" in header.markup
    assert desk not in header.markup


@pytest.mark.parametrize(
    ("section", "entry", "message"),
    [
        ("labels", "y_title", r"words\.yaml: charts\.rules-over-time\.labels: .*'y_title'"),
        ("columns", "rule", r"words\.yaml: charts\.rules-over-time\.columns: .*'rule'"),
        ("tooltips", "stated", r"words\.yaml: charts\.rules-over-time\.tooltips: .*'stated'"),
    ],
)
def test_a_missing_word_is_an_error_naming_its_place_in_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, tables, section, entry, message
):
    edited_words(
        tmp_path,
        monkeypatch,
        lambda d: d["charts"]["rules-over-time"][section].pop(entry),
    )
    with pytest.raises(ConfigError, match=message):
        charts.rules_over_time(tables["rules"], SAID).chart()


def test_words_for_a_code_the_data_uses_must_be_given(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    edited_words(tmp_path, monkeypatch, lambda d: d["overseas_definitions"].pop("regional"))
    with pytest.raises(ConfigError, match=r"words\.yaml: overseas_definitions: .*'regional'"):
        figures.short_definition("regional")


def test_a_malformed_words_file_names_the_entry_at_fault(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    edited_words(tmp_path, monkeypatch, lambda d: d["kinds"]["institute"].pop("one"))
    with pytest.raises(ConfigError, match=r"words\.yaml: kinds, field institute\.one"):
        config.wording()


def allowed(table: str, column: str) -> set[str]:
    """The codes a processed table's schema allows in a column."""
    checks = schemas.SCHEMAS[table].columns[column].checks
    return {v for check in checks for v in check.statistics.get("allowed_values", [])}


def test_every_code_the_data_uses_has_its_words_and_the_code_its_place():
    wording = config.wording()
    kinds = allowed("entries_2019", "kind_detail")
    assert set(wording.kinds) == set(figures.KIND_ORDER) == kinds
    definitions = allowed("financials", "definition")
    assert set(wording.overseas_definitions) | set(wording.revenue_bases) == definitions
    assert set(wording.overseas_definitions) == set(figures.OVERSEAS_DEFINITIONS)
    assert set(wording.revenue_bases) == set(figures.REVENUE_BASES)
    assert set(wording.overseas_definitions) == set(charts.DEFINITION_DASHES)


def test_words_yaml_is_a_hand_kept_file_every_step_reads():
    from entitylist.engine import pipeline

    assert config.WORDS.relative_to(paths.ROOT).as_posix() in pipeline.HAND_KEPT


def test_words_with_an_invisible_character_are_refused(tmp_path: Path):
    text = config.WORDS.read_text(encoding="utf-8")
    path = tmp_path / "words.yaml"
    path.write_text(text.replace("y_title: China", "y_title: \u202eChina", 1), encoding="utf-8")
    with pytest.raises(ConfigError, match=r"^words\.yaml: .*invisible character U\+202E"):
        config.wording(path)
