"""Invisible characters (controls, direction overrides, zero-width marks) are refused where a
source is read, naming the file, the row or entry and the column or field."""

import json
import re
from pathlib import Path

import pytest

from conftest import edit_cell
from entitylist import characters, config, paths
from entitylist.data import csl, manifest, sources, update
from entitylist.errors import ConfigError, ParameterError, ParseError, RawDataError

INVISIBLE = {
    "NUL": "\x00",
    "ESC": "\x1b",
    "form feed": "\x0c",
    "CR": "\r",
    "DEL": "\x7f",
    "C1 control": "\x85",
    "left-to-right embedding": "\u202a",
    "right-to-left override": "\u202e",
    "first-strong isolate": "\u2068",
    "pop directional isolate": "\u2069",
    "zero-width space": "\u200b",
    "zero-width joiner": "\u200d",
    "byte-order mark": "\ufeff",
}
SUPPLIERS = "us_suppliers.csv"


@pytest.mark.parametrize("name", INVISIBLE)
def test_a_raw_table_with_an_invisible_character_is_refused_naming_row_and_column(
    raw_copy: Path, name
):
    path = manifest.current(SUPPLIERS, raw_copy)
    edit_cell(path, 3, "supplier", f"Nvi{INVISIBLE[name]}dia")
    shown = re.escape(f"U+{ord(INVISIBLE[name]):04X}")
    # A CR outside quotes reads as a line break, so csv names its line, not its cell.
    where = "line 4: malformed CSV" if name == "CR" else f"row 3, column supplier: .*{shown}"
    with pytest.raises(RawDataError, match=rf"us_suppliers\.csv: {where}"):
        sources.Snapshot(raw_copy).table(SUPPLIERS)


def test_tab_line_feed_and_ordinary_unicode_are_text():
    for text in ["a\tb", "line\nbreak", "Gui’an", "海康威视", "Bükey", "€ 5"]:
        assert characters.first(text) is None


def test_a_header_with_an_invisible_character_is_refused(raw_copy: Path):
    path = manifest.current(SUPPLIERS, raw_copy)
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("supplier,", "supplier\u200b,", 1), encoding="utf-8")
    with pytest.raises(RawDataError, match=r"header, column 2: .*U\+200B"):
        sources.Snapshot(raw_copy).table(SUPPLIERS)


@pytest.mark.parametrize("name", ["ESC", "right-to-left override"])
def test_an_update_candidate_with_an_invisible_character_is_refused_before_anything_is_written(
    raw_copy: Path, pack_copy: Path, capsys, name
):
    edit_cell(pack_copy / SUPPLIERS, 2, "supplier", f"Nv{INVISIBLE[name]}aidi")
    before = sorted(p.relative_to(raw_copy) for p in raw_copy.rglob("*"))
    with pytest.raises(RawDataError, match=r"us_suppliers\.csv.*row 2, column supplier") as caught:
        update.update(pack_copy, raw_dir=raw_copy, retrieved="2026-12-01")
    assert sorted(p.relative_to(raw_copy) for p in raw_copy.rglob("*")) == before
    # Nothing reaches the terminal raw: not the message, not a change summary (an ESC there
    # would be read by the terminal as the start of a command).
    shown = capsys.readouterr()
    for text in (str(caught.value), shown.out, shown.err):
        assert characters.first(text) is None


@pytest.mark.parametrize(
    ("file", "old", "new", "place"),
    [
        ("companies.yaml", "name: Dahua", "name: Dahua\u200b", r"companies\[2\]\.name"),
        ("companies.yaml", "match: Dahua", 'match: "Dahua\\u202e"', r"companies\[2\]\.match"),
        (
            "publishers.yaml",
            "{name: NDTV Profit,",
            '{name: "NDTV\\x9bProfit",',
            r"copies\.ndtvprofit\.com\.name",
        ),
        (
            "publishers.yaml",
            "original: Reuters",
            "original: Reu\u200dters",
            r"copies\.ndtvprofit\.com\.original",
        ),
    ],
    ids=["zero-width in a name", "override escaped", "C1 escaped", "joiner in a publisher"],
)
def test_hand_kept_files_with_an_invisible_character_are_refused(
    tmp_path: Path, file, old, new, place
):
    original = (paths.NOTEBOOKS / file).read_text(encoding="utf-8")
    assert old in original
    path = tmp_path / file
    path.write_text(original.replace(old, new, 1), encoding="utf-8")
    load = config.companies if file == "companies.yaml" else config.publishers
    with pytest.raises(ConfigError, match=rf"^{file}: {place}: invisible character U\+"):
        load(path)


def test_site_settings_with_an_invisible_character_are_refused():
    text = (paths.NOTEBOOKS / "site.yaml").read_text(encoding="utf-8")
    key = next(line.split(":")[0] for line in text.splitlines() if line and line[0].isalpha())
    bad = text.replace(f"{key}:", f'{key}: "x\\u2066y"\nold_{key}:', 1)
    with pytest.raises(ParameterError, match=rf"site\.yaml: {key}: invisible character U\+2066"):
        config.parse_site("site.yaml", bad, "")


def test_the_screening_list_refuses_an_override_in_an_entity_list_entry():
    path = manifest.current("screening-list")
    document = json.loads(path.read_bytes())
    listed = document["tables"]["sources"].index(csl.EL_SOURCE)
    number, entry = next((i, e) for i, e in enumerate(document["entries"], 1) if e["s"] == listed)
    entry["n"] = "\u202e" + entry["n"]
    with pytest.raises(ParseError, match=rf"entry {number}, column name: .*U\+202E"):
        csl.read(json.dumps(document).encode(), "screening-list.json")


def test_the_current_screening_list_loads_and_its_unmendable_byte_stays_off_the_list():
    parties = csl.read(manifest.current("screening-list").read_bytes(), "screening-list")
    odd = parties[parties["name"].map(characters.first).notna()]
    assert len(odd) == 1
    assert (odd["source"] != csl.EL_SOURCE).all()


@pytest.mark.parametrize(
    "address",
    [
        "javascript:alert(1)",
        "JavaScript:alert(1)",
        "data:text/html,<b>x</b>",
        "file:///etc/passwd",
    ],
)
def test_a_source_address_that_is_not_a_web_address_is_refused_by_row_and_column(
    raw_copy: Path, address
):
    path = manifest.current(SUPPLIERS, raw_copy)
    edit_cell(path, 2, "source_url", f"https://example.org/a; {address}")
    with pytest.raises(RawDataError, match=r"row 2, column source_url: .* is not a web address"):
        sources.Snapshot(raw_copy).table(SUPPLIERS)


def test_a_citation_in_words_in_a_source_cell_is_text(raw_copy: Path):
    path = manifest.current(SUPPLIERS, raw_copy)
    edit_cell(path, 2, "source_url", "Note: TechNode, Oct 2019 (page not retrieved)")
    assert len(sources.Snapshot(raw_copy).table(SUPPLIERS)) > 2
