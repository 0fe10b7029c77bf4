"""The reader's words live where reporters edit them (notebooks/words.yaml and dictionary.yaml,
the notebooks, the templates), not in package Python: an edit to the YAML reaches the chart,
the data dictionary or the withheld table, a missing word is an error naming its place, and no
reader-facing sentence or header creeps back into a module."""

import ast
import json
import re
from pathlib import Path

import pandas as pd
import pytest
import test_architecture as architecture
import yaml

from entitylist import charts, config, downloads, figures, paths, story, words
from entitylist.data import cleaning, publishers, schemas, sources
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
    # The site settings read from the edited copy: site()'s default path, which every
    # reader of config.site (the page templates' cached environment too) goes through.
    monkeypatch.setattr(config.site, "__defaults__", (settings,))
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


# ---------------------------------------------------------------------------------------
# No reader's words in package Python: a scan of the string literals of every module of the
# package but those that speak only to the desk (UNSCANNED, each with its reason, and tested
# to be out of reach of every page below).

PACKAGE = paths.ROOT / "src" / "entitylist"
# Modules whose strings never reach a site file or a published data file: no notebook and no
# module of the page making imports them, however far round (test below), and they write
# nothing a page prints. The data wing's fetch.py and update.py are out of that reach too,
# but they record what a raw file is in the manifest, which the data page prints: scanned.
UNSCANNED = {
    "engine": "the render engine speaks to the desk: plan reasons, errors, logs; the preview's "
    "'Rendering' placeholder is shown to the reporter running `make preview`, never written "
    "to site/",
    "cli": "argparse help and errors, for the desk at the command line",
    "__main__": "the entry point: no strings",
    "data.changes": "the render's report to the desk of what changed in the published files",
}


def module_name(path: Path) -> str:
    """A module's dotted name in the package ('data.cleaning'; a package is its own name)."""
    parts = path.relative_to(PACKAGE).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def unscanned(name: str) -> bool:
    """Whether a module is one of UNSCANNED or inside one of its sub-packages."""
    return any(name == u or name.startswith(f"{u}.") for u in UNSCANNED)


SCANNED = [p for p in sorted(PACKAGE.rglob("*.py")) if not unscanned(module_name(p))]
# Words a reader could see: two words with a space between them, or one capitalised word
# (a column header such as "Company").
WORDY = re.compile(r"[A-Za-z]{2,}\s+[A-Za-z]|^[A-Z][a-z]+\W*$")
# Calls whose string arguments are code, not words: patterns, Vega and pandas expressions,
# messages for the desk (logged, printed or warned), and the cleaning's refusal of a value
# (its last argument says what the value should be, in the desk's error).
CODE_CALLS = {
    "compile",
    "search",
    "match",
    "fullmatch",
    "sub",
    "findall",
    "finditer",
    "split",
    "contains",
    "startswith",
    "endswith",
    "str_matches",
    "transform_filter",
    "transform_calculate",
    "query",
    "print",
    "info",
    "warning",
    "debug",
    "warn",
    "raise_unparseable",
}
# Calls whose first argument is a key, not words: a lookup, or the name a result is kept by.
KEY_CALLS = {"get", "pop", "once"}
# Keyword arguments that speak to the desk: pandera's message for a failed check (in the
# desk's one-line error) and a progress bar's label on the desk's terminal.
DESK_KEYWORDS = {"error", "desc"}
# Functions and constants whose words are the desk's, not the reader's: the findings of the
# checks that stop a render (the house style, the page checks, the publication guard), which
# the desk reads in its one-line error; the data wing's reports for `make update` (what
# changed, what needs consent), its one-line failures (a schema's, a download's) and the
# places its errors name.
DESK_ONLY = {
    "house_style_faults",
    "width_faults",
    "page_problem",
    "check_site_files",
    "check",
    "withheld_values",
    "doubted_names",
    "wrong_citation_row",
    "LEAKS",
    "OPENS",
    "describe_failure",
    "count_change",
    "refusal",
    "finish",
    "not_a_day",
    "describe",
    "document",
    "UpdateReport",
}
# Words allowed in a scanned module, each with its reason.
ALLOWED = {
    "Noto Sans CJK SC": "the shipped font's family name, which the SVGs and CSS must match",
    '"Noto Sans CJK SC", "Helvetica Neue", Helvetica, Arial, sans-serif': "a CSS font stack",
    "graphics-document document": "ARIA roles of a chart's SVG, read by screen readers as roles",
    "at least (still listed)": "a code of the rules timeline's count_status, beside the "
    "schema's 'stated', 'tallied' and 'unknown'; compared by the chart's marks",
    "stated in source": "a code of suppliers.country_basis (the schema's pattern), compared by "
    "reader.suppliers",
    "desk: not stated in this source": "a code of suppliers.country_basis, as above",
    "as described by source": "a code of suppliers.country_basis, as above",
    "not stated in source": "a code of suppliers.country_basis, as above",
    "True": "a CSV's text for a boolean, read back by tables.load",
    "False": "a CSV's text for a boolean, read back by tables.load",
    **{
        month: "an AP month: the house date format (words.long_date), not a sentence"
        for month in words.AP_MONTHS
    },
    "Regular": "a font weight's name in the shipped font's file names",
    "Bold": "a font weight's name in the shipped font's file names",
    "screening list": "a code of cleaning.KNOWN_SINCE_RULES (how a row is dated); its words "
    "are words.yaml's known_since",
    "no termination": "a keyword looked for in the pack's status text "
    "(cleaning.PARTNERSHIP_OUTCOMES), never printed",
    "document copy": "a kind of publisher (publishers.RANK), compared; its words are "
    "words.yaml's publishers.notes",
    "state media": "a kind of publisher, as above",
    " (update candidate)": "how the desk's errors name a file of a pack not yet taken in "
    "(sources.Snapshot.where)",
    "compact JSON": "a shape of the screening list (csl.COMPACT), compared",
    "trade.gov JSON": "a shape of the screening list, compared",
    "trade.gov CSV": "a shape of the screening list, compared",
    "companies.yaml slugs": "a key of the schemas' column metadata (schemas.SLUGS)",
    "entitylist-desk/0.1 (newsroom data desk; python-requests)": "the User-Agent the desk's "
    "download sends to a server",
    '"entity list"': "the Federal Register search's query term",
    # The list's and the rules' spellings of a country, normalised to the one name cleaning
    # keys the counts by (counts["China"]): data normalisation, compared, never printed as
    # words (a page's country names come from the data and words.yaml).
    **{
        name: "a country's spelling in the official list or a rule (parsers.COUNTRY_NAMES), "
        "or the name cleaning keys its counts by: data normalisation"
        for name in (
            "CHINA, PEOPLE'S REPUBLIC OF",
            "PEOPLE'S REPUBLIC OF CHINA",
            "KOREA, DEMOCRATIC PEOPLE'S REPUBLIC OF",
            "KOREA, REPUBLIC OF",
            "China",
            "North Korea",
            "South Korea",
            "United Arab Emirates",
        )
    },
}


def codes() -> set[str]:
    """Every value a processed table's schema allows in a category column: codes, not words."""
    found = set()
    for schema in schemas.SCHEMAS.values():
        for column in schema.columns.values():
            for check in column.checks:
                found |= set(check.statistics.get("allowed_values") or [])
    return found


def not_words(tree: ast.Module) -> set[int]:
    """The ids of string nodes that are not words for a reader: docstrings, annotations,
    messages raised or logged, format specs, patterns and expressions given to code."""
    skipped: set[int] = set()

    def skip(node: ast.AST | None) -> None:
        if node is not None:
            skipped.update(id(inner) for inner in ast.walk(node))

    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        first = body[0] if isinstance(body, list) and body else None
        if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
            skip(first.value)
        if isinstance(node, ast.FunctionDef | ast.ClassDef) and node.name in DESK_ONLY:
            skip(node)
        elif isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id in DESK_ONLY for t in node.targets
        ):
            skip(node.value)
        elif isinstance(node, ast.Raise):
            skip(node)
        elif isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "msg" for t in node.targets
        ):
            skip(node.value)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            skip(node.returns)
            for argument in [*node.args.args, *node.args.kwonlyargs]:
                skip(argument.annotation)
        elif isinstance(node, ast.AnnAssign):
            skip(node.annotation)
        elif isinstance(node, ast.FormattedValue):
            skip(node.format_spec)
        elif isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name in CODE_CALLS:
                # Its arguments, not the chain it is called on (a chart's encodings).
                for argument in [*node.args, *(k.value for k in node.keywords)]:
                    skip(argument)
            elif name in KEY_CALLS and node.args:
                skip(node.args[0])
            for keyword in node.keywords:
                if keyword.arg in DESK_KEYWORDS:
                    skip(keyword.value)
        elif isinstance(node, ast.Subscript):
            # A key looked up is a code: a column's name, a count's country.
            skip(node.slice)
        elif isinstance(node, ast.Compare):
            # A literal compared with a value is a code the data uses.
            for operand in [node.left, *node.comparators]:
                if isinstance(operand, ast.Constant | ast.Set | ast.Tuple | ast.List):
                    skip(operand)
    return skipped | only_in_messages(tree, skipped)


def only_in_messages(tree: ast.Module, skipped: set[int]) -> set[int]:
    """The string nodes of names used only where the desk reads them (a part of a message,
    such as fetch's OFFLINE_HINT): each name's value, when every use of it is skipped."""
    uses: dict[str, list[ast.Name]] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
            uses.setdefault(node.id, []).append(node)
    found: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target = node.targets[0]
            loads = uses.get(target.id, []) if isinstance(target, ast.Name) else []
            if loads and all(id(load) in skipped for load in loads):
                found.update(id(inner) for inner in ast.walk(node.value))
    return found


def reader_words(source: str, allowed: bool = True) -> list[tuple[int, str]]:
    """The string literals of a module's source that read as words for a reader (less the
    allow-list's, unless told)."""
    tree = ast.parse(source)
    skipped, known = not_words(tree), codes() | (set(ALLOWED) if allowed else set())
    return sorted(
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and id(node) not in skipped
        and node.value not in known
        and WORDY.search(node.value.strip())
    )


@pytest.mark.parametrize("path", SCANNED, ids=lambda p: p.relative_to(PACKAGE).as_posix())
def test_no_reader_words_in_package_python(path: Path):
    found = reader_words(path.read_text(encoding="utf-8"))
    assert not found, f"{path.name}: words for a reader belong in notebooks/words.yaml: {found}"


def test_the_unscanned_modules_are_out_of_reach_of_every_page():
    graph = architecture.import_graph(PACKAGE)
    reach = {m for m in graph if m.startswith("pages.")}
    for notebook in sorted(paths.NOTEBOOKS.glob("*.ipynb")):
        reach |= architecture.notebook_imports(notebook)
    todo = list(reach)
    while todo:
        for imported in graph[todo.pop()] - reach:
            reach.add(imported)
            todo.append(imported)
    assert "data.cleaning" in reach
    assert "pages.site" in reach
    assert not {m for m in reach if unscanned(m)}
    # Every module is scanned or has its reason.
    scanned = {module_name(p) for p in SCANNED} - {""}  # "": the package's own __init__
    assert scanned | {m for m in graph if unscanned(m)} == set(graph)
    assert set(UNSCANNED) <= set(graph)


def test_the_allow_list_holds_only_what_the_scan_would_find():
    found = {value for path in SCANNED for _, value in reader_words(path.read_text(), False)}
    assert set(ALLOWED) <= found, f"no longer needed: {sorted(set(ALLOWED) - found)}"


FIXTURE = '''
"""A module: its docstring is not a reader's words."""
import re

PATTERN = re.compile(r"not verified|brief cites")


def table(frame):
    """Headers in code."""
    if frame.empty:
        msg = "the frame is empty, give it rows"
        raise ValueError(msg)
    frame = frame[frame["status"] == "at least (still listed)"]
    return frame.rename(columns={"share_pct": "share", "name": "name"}).assign(note=f"{1:,.0f}")
'''


@pytest.mark.parametrize(
    ("added", "expected"),
    [
        ('frame.rename(columns={"company": "Company"})', "Company"),
        ('frame.rename(columns={"share_pct": "Overseas share (%)"})', "Overseas share (%)"),
        ('f"Source: {name}, compiled by the desk"', "Source: "),
        ('"No figure in the desk\'s sources."', "No figure in the desk's sources."),
        ('alt.Y("count:Q").title("Entries still listed")', "Entries still listed"),
    ],
    ids=["header", "header with unit", "source line", "sentence", "axis title"],
)
def test_the_scan_finds_a_header_or_sentence_added_back_to_a_module(added, expected):
    assert reader_words(FIXTURE) == []
    found = reader_words(FIXTURE + f"\n\nWORDS = {added}\n")
    assert expected in [value for _, value in found]


def test_a_name_only_messages_use_is_the_desks_but_one_a_page_uses_too_is_found():
    desk = 'HINT = "works offline from data/raw"\n\ndef f():\n    msg = f"down; {HINT}"\n'
    assert reader_words(desk) == []
    shown = desk + "\n\ndef g(chart):\n    return chart.properties(title=HINT)\n"
    assert [value for _, value in reader_words(shown)] == ["works offline from data/raw"]


def test_the_data_pages_dating_rules_are_words_for_every_basis_the_data_records():
    rules = cleaning.known_since_rules()
    assert list(rules) == list(cleaning.KNOWN_SINCE_RULES)
    assert allowed("financials", "known_basis") - {"undated"} <= set(rules)
    assert all(text.strip() for text in rules.values())


def test_a_copy_is_credited_to_its_original_in_the_words_of_words_yaml(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    copy = config.Copy(name="Business Fast", original="Reuters")
    assert publishers.via(copy).index("Reuters") < publishers.via(copy).index("Business Fast")
    edited_words(
        tmp_path, monkeypatch, lambda d: d["publishers"].update(via="{copy} (from {original})")
    )
    assert publishers.via(copy) == "Business Fast (from Reuters)"


def test_words_for_a_copy_must_name_the_original_and_the_copy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    edited_words(tmp_path, monkeypatch, lambda d: d["publishers"].update(via="{orignal} via"))
    with pytest.raises(ConfigError, match=r"words\.yaml: publishers, field via: .*\{original\}"):
        config.wording()


def test_the_words_for_a_withheld_citation_are_printed_as_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    said = r"[withheld \1: see the data page]"
    edited_words(tmp_path, monkeypatch, lambda d: d["pages"].update(withheld_citation=said))
    frame = pd.DataFrame({"citation": ["84 FR 54004; 84 FR 54002"]})
    assert downloads.masked(frame)["citation"].tolist() == [f"{said}; 84 FR 54002"]


# ---------------------------------------------------------------------------------------
# The data dictionary's words (notebooks/dictionary.yaml), read when the cleaning writes the
# dictionary, never at import.


def edited_dictionary(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, edit) -> None:
    """A copy of dictionary.yaml changed by `edit` (on the parsed document), in force."""
    document = yaml.safe_load(config.DICTIONARY.read_text(encoding="utf-8"))
    edit(document)
    path = tmp_path / "dictionary.yaml"
    path.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    monkeypatch.setattr(config, "DICTIONARY", path)


def written_dictionary(tables: dict, folder: Path) -> tuple[str, dict[str, dict[str, str]]]:
    """The dictionary as the cleaning writes it: its Markdown, and each table's column words
    from datapackage.json."""
    folder.mkdir()
    schemas.write_datapackage(tables, folder)
    package = json.loads((folder / "datapackage.json").read_text(encoding="utf-8"))
    described = {
        resource["name"]: {f["name"]: f["description"] for f in resource["schema"]["fields"]}
        for resource in package["resources"]
    }
    return (folder / "README.md").read_text(encoding="utf-8"), described


def test_an_edit_to_dictionary_yaml_reaches_the_published_dictionary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, tables
):
    def edit(document: dict) -> None:
        document["heading"] = "What each column holds"
        document["tables"]["rules"]["title"] = "The rule's title in the Federal Register"
        document["shared"]["raw_file"] = "Where the desk keeps the row's file"
        document["tables"]["events"]["raw_file"] = "The events file of the snapshot"

    before, _ = written_dictionary(tables, tmp_path / "before")
    edited_dictionary(tmp_path, monkeypatch, edit)
    markdown, described = written_dictionary(tables, tmp_path / "after")
    assert markdown.startswith("# What each column holds\n")
    assert markdown != before
    assert described["rules"]["title"] == "The rule's title in the Federal Register"
    assert "The rule's title in the Federal Register" in markdown
    # A shared column's words reach every table that has it, unless the table gives its own.
    assert described["events"]["raw_file"] == "The events file of the snapshot"
    others = {name: own["raw_file"] for name, own in described.items() if "raw_file" in own}
    assert len(others) > 2
    assert {w for name, w in others.items() if name != "events"} == {
        "Where the desk keeps the row's file"
    }


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (
            lambda d: d["tables"]["rules"].pop("title"),
            r"^dictionary\.yaml: tables\.rules: no words for 'title'$",
        ),
        (
            lambda d: d["tables"]["rules"].update(titel="Rule title"),
            r"^dictionary\.yaml: tables\.rules: 'titel' is not a column of rules$",
        ),
        (
            lambda d: d["tables"].pop("withheld"),
            r"^dictionary\.yaml: tables: no words for 'withheld'$",
        ),
        (
            lambda d: d["shared"].pop("raw_file"),
            r"^dictionary\.yaml: tables\.rules: no words for 'raw_file'$",
        ),
        (
            lambda d: d.update(one_of="One of: {value}."),
            r"^dictionary\.yaml: one_of: .*\['value'\]",
        ),
        (
            lambda d: d["tables"]["rules"].update(title=["Rule", "title"]),
            r"^dictionary\.yaml: tables, field rules\.title: ",
        ),
        (
            lambda d: d["tables"]["rules"].update(title="Rule\u200b title"),
            r"^dictionary\.yaml: .*invisible character U\+200B",
        ),
    ],
    ids=[
        "missing column",
        "stray column",
        "missing table",
        "missing shared",
        "bad blank",
        "not text",
        "invisible",
    ],
)
def test_a_missing_or_malformed_dictionary_entry_is_an_error_naming_its_place(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, tables, edit, message
):
    edited_dictionary(tmp_path, monkeypatch, edit)
    with pytest.raises(ConfigError, match=message):
        schemas.write_datapackage(tables, tmp_path)
    assert not (tmp_path / "README.md").exists()


def test_an_edit_to_the_withheld_words_reaches_the_withheld_table(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    def edit(document: dict) -> None:
        document["withheld"]["unverified"]["what"] = "{metric} of {company} for {period}"
        document["withheld"]["metrics"]["overseas_share"] = "share of sales abroad"
        document["withheld"]["uncited"]["why"] = "withheld: {reasons}"
        document["publishers"]["refusals"]["state_media"] = "{name} speaks for the state"

    before = cleaning.clean_withheld(sources.Snapshot())
    edited_words(tmp_path, monkeypatch, edit)
    after = cleaning.clean_withheld(sources.Snapshot())
    assert len(after) == len(before) > 1
    unverified = after[after["table"] == "financials"]
    assert unverified["what"].str.startswith("share of sales abroad of ").all()
    uncited = after[after["table"] != "financials"]
    assert uncited["reason"].str.fullmatch(r"withheld: .+ speaks for the state").all()
    assert not set(after["what"]) & set(before["what"][before["table"] == "financials"])


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (
            lambda d: d["withheld"]["metrics"].pop("overseas_share"),
            r"^words\.yaml: withheld\.metrics: no words for 'overseas_share'$",
        ),
        (
            lambda d: d["withheld"]["unverified"].update(what="{compnay}'s {period}"),
            r"^words\.yaml: withheld: .*\['compnay'\]",
        ),
        (
            lambda d: d["publishers"]["refusals"].update(unpublishable="{name}: {reason}"),
            r"^words\.yaml: publishers, field refusals\.unpublishable: .*\['reason'\]",
        ),
    ],
    ids=["missing metric", "bad blank", "bad refusal blank"],
)
def test_missing_or_malformed_withheld_words_are_an_error_naming_their_place(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, edit, message
):
    edited_words(tmp_path, monkeypatch, edit)
    with pytest.raises(ConfigError, match=message):
        cleaning.clean_withheld(sources.Snapshot())


# Dates a reader sees in prose are written Oct. 9, 2019 (docs/house-style.md), never ISO or
# day-first: a source's description on the data page is prose.
NOT_HOUSE_DATE = re.compile(
    r"\b(19|20)\d\d-\d\d(-\d\d)?\b|\b\d{1,2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)\b"
)


def test_the_words_recorded_for_a_raw_file_date_it_in_house_style():
    said = config.dictionary().sources
    lines = [*said.tables.values(), *(p.origin for p in said.origins.values())]
    lines += [p.licence for p in said.origins.values()]
    # An address is not prose: its digits are the address's.
    found = [
        NOT_HOUSE_DATE.search(re.sub(r"\S+://\S+|\b[0-9a-f]{40}\b", "", line)) for line in lines
    ]
    assert not [m.group(0) for m in found if m], "write a date as Oct. 9, 2019 or March 2016"
    assert NOT_HOUSE_DATE.search("the rule of 9 Oct 2019")
    assert NOT_HOUSE_DATE.search("2016-03")


def test_a_download_link_counts_its_rows_in_the_words_of_words_yaml(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    one = downloads.write(pd.DataFrame({"a": [1]}), "one", str(tmp_path)).text
    many = downloads.write(pd.DataFrame({"a": range(1200)}), "many", str(tmp_path)).text
    assert "1 rows" not in one
    assert "1 row" in one
    assert "1,200 rows" in many
    link = "{{ file }}: {{ rows|digits }} {{ 'line'|plural(rows) }}"
    edited_words(tmp_path, monkeypatch, lambda d: d["pages"].update(download_link=link))
    assert (
        downloads.write(pd.DataFrame({"a": [1]}), "one", str(tmp_path)).text == "one.csv: 1 line"
    )


def test_a_columns_codes_follow_its_description_as_a_sentence_of_their_own(tables):
    text = schemas.dictionary_markdown(schemas.datapackage(tables))
    rows = [line for line in text.splitlines() if line.startswith("| `")]
    coded = [row for row in rows if " One of: " in row]
    assert len(coded) > 5
    assert all(re.search(r"[.?!] One of: [^|]+\.\s*\|$", row) for row in coded), coded
    assert schemas.sentences("Kind of entry", ["a", "b"], "One of: {values}.") == (
        "Kind of entry. One of: a, b."
    )
    assert schemas.sentences("Ends here.", ["a"], "One of: {values}.") == "Ends here. One of: a."
