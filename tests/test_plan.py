"""plan() without kernels: the real pipeline.yaml against a made-up world of file hashes.

Every expectation below is read off notebooks/pipeline.yaml by hand: who reads which file,
who writes which chart. The world is a dict of path -> hash, so a "changed file" is a new
hash and a "missing file" is a deleted key.
"""

from pathlib import Path

import pytest
import yaml

from entitylist import paths
from entitylist.engine import globs, plan
from entitylist.engine.pipeline import Step, World, load_pipeline
from entitylist.errors import RenderError

STEPS = load_pipeline(paths.PIPELINE)
COMPANIES = ["hikvision", "dahua", "iflytek", "megvii", "sensetime", "yitu", "meiya-pico", "yixin"]
PROFILES = [f"50-profile-{c}" for c in COMPANIES]
TABLES = [
    "companies",
    "entries_2019",
    "events",
    "financials",
    "partnerships",
    "rules",
    "suppliers",
    "withheld",
    "entity_list",
    "entity_citations",
]
RAW = ["entities_84FR54002", "events", "fr_rules_china", "revenue_by_region"]
# Every hand-kept file reaches every page: publisher names and grades, company names, the
# site's name, institution aliases, the claims the guard refuses (not-found.yaml) and the
# words around the data (words.yaml).
CONFIG = [
    "notebooks/companies.yaml",
    "notebooks/publishers.yaml",
    "notebooks/site.yaml",
    "notebooks/institutions.yaml",
    "notebooks/not-found.yaml",
    "notebooks/words.yaml",
]
# The data dictionary's words: read by the cleaning alone (pipeline.yaml), which writes them
# into data/processed, where every later notebook may find a change.
DICTIONARY = "notebooks/dictionary.yaml"
FIGURE_CHARTS = {
    "20-exposure": ["overseas-share-at-listing", "overseas-share-over-time", "us-suppliers-named"],
    "30-timeline": ["rules-over-time", "china-entries-still-listed", "entries-of-the-rule"],
}
# Yitu and Yixin publish no revenue figures, so their profiles draw no chart.
REVENUE = ["hikvision", "dahua", "iflytek", "megvii", "sensetime", "meiya-pico"]
SUFFIXES = [".csv", ".svg", ".phone.svg", ".png", ".vl.json"]
PAGES = ["data", "exposure", "timeline", "entities", "story"]
PAGES += [f"company-{c}" for c in COMPANIES]


def chart_files(name: str) -> list[str]:
    """The five files publish.save writes for one chart."""
    return [f"charts/{name}{suffix}" for suffix in SUFFIXES]


def base_world() -> World:
    """Every input and output of a finished render, each with its own hash."""
    names = [f"data/raw/{n}.csv" for n in RAW] + ["data/raw/manifest.json", *CONFIG, DICTIONARY]
    names += [f"data/processed/{t}.csv" for t in TABLES]
    names += [f"site/data/{t}.csv" for t in TABLES] + ["site/data/china-entries.csv"]
    names += ["data/processed/datapackage.json", "data/processed/README.md"]
    for charts in FIGURE_CHARTS.values():
        names += [f for c in charts for f in chart_files(c)]
    names += [f for c in REVENUE for f in chart_files(f"revenue-{c}")]
    names += [f"site/{p}.html" for p in PAGES] + ["site/index.html"]
    return World(
        files={n: f"hash of {n}" for n in names},
        notebooks={s.notebook: f"hash of {s.notebook}" for s in STEPS},
        code="code v1",
        params={s.id: {"as_of": "", **s.params} for s in STEPS},
    )


def recorded(world: World) -> dict:
    """The state a render leaves when every step ran in this world."""
    return {"steps": {s.id: plan.record(s, world) for s in STEPS}, "pages": {}}


def changed(world: World, **edits) -> World:
    """A copy of the world with some files re-hashed (value) or deleted (None)."""
    files = dict(world.files)
    for path, value in edits.get("files", {}).items():
        if value is None:
            files.pop(path)
        else:
            files[path] = value
    return World(
        files=files,
        notebooks={**world.notebooks, **edits.get("notebooks", {})},
        code=edits.get("code", world.code),
        params={**world.params, **edits.get("params", {})},
    )


def actions(decisions: list[plan.Decision]) -> dict[str, set[str]]:
    """Step ids by action."""
    grouped: dict[str, set[str]] = {plan.RUN: set(), plan.MAYBE: set(), plan.SKIP: set()}
    for d in decisions:
        grouped[d.action].add(d.step)
    return grouped


def reason(decisions: list[plan.Decision], step: str) -> str:
    """The reason given for one step."""
    return next(d.reason for d in decisions if d.step == step)


WORLD = base_world()
STATE = recorded(WORLD)
ALL = {s.id for s in STEPS}


def test_record_lists_exactly_what_a_step_reads_and_writes():
    clean = plan.record(next(s for s in STEPS if s.id == "10-clean"), WORLD)
    assert set(clean["inputs"]) == {
        *(f"data/raw/{n}.csv" for n in RAW),
        "data/raw/manifest.json",
        *CONFIG,
        DICTIONARY,
    }
    assert set(clean["outputs"]) == {
        *(f"data/processed/{t}.csv" for t in TABLES),
        "data/processed/datapackage.json",
        "data/processed/README.md",
        *(f"site/data/{t}.csv" for t in TABLES),
        "site/data.html",
    }
    dahua = plan.record(next(s for s in STEPS if s.id == "50-profile-dahua"), WORLD)
    assert set(dahua["outputs"]) == {*chart_files("revenue-dahua"), "site/company-dahua.html"}
    story = plan.record(next(s for s in STEPS if s.id == "40-story"), WORLD)
    embedded = ["overseas-share-at-listing", "us-suppliers-named"]
    embedded += ["rules-over-time", "china-entries-still-listed", "entries-of-the-rule"]
    assert set(story["inputs"]) == {
        *(f"data/processed/{t}.csv" for t in TABLES),
        "data/processed/datapackage.json",
        "data/processed/README.md",
        *(f for c in embedded for f in chart_files(c)),
        *CONFIG,
    }
    assert set(story["outputs"]) == {"site/story.html"}


@pytest.mark.parametrize("config", CONFIG)
def test_every_page_reruns_when_a_hand_kept_file_changes(config: str):
    # The finding: a renamed publisher re-ran 10-clean only, and 14 pages kept the old name.
    decisions = plan.plan(STEPS, STATE, changed(WORLD, files={config: "edited"}))
    assert actions(decisions)[plan.RUN] == ALL
    assert reason(decisions, "40-story") == f"inputs changed: {config}"


@pytest.mark.parametrize("config", CONFIG)
def test_an_edit_to_the_real_hand_kept_file_is_seen_by_the_scan(
    config: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    from entitylist.engine import pipeline

    for name in CONFIG:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes((paths.ROOT / name).read_bytes())
    monkeypatch.setattr(paths, "ROOT", tmp_path)
    params = {s.id: {} for s in STEPS}
    before = pipeline.scan(STEPS, tmp_path, paths.NOTEBOOKS, params, "code", ())
    state = {"steps": {s.id: plan.record(s, before) for s in STEPS}}
    with (tmp_path / config).open("a", encoding="utf-8") as handle:
        handle.write("# edited\n")
    after = pipeline.scan(STEPS, tmp_path, paths.NOTEBOOKS, params, "code", ())
    assert actions(plan.plan(STEPS, state, after))[plan.RUN] == ALL


@pytest.mark.parametrize(
    "shipped",
    [
        "templates/page.html.j2",
        "static/page.css",
        "fonts/NotoSansCJKsc-Regular-subset.woff2",
        "fonts/COPYRIGHT-noto-cjk.txt",
    ],
)
def test_templates_styles_and_fonts_are_in_the_code_hash(
    shipped: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    import shutil

    from entitylist.engine import pipeline

    package = tmp_path / "entitylist"
    shutil.copytree(pipeline.PACKAGE_DIR, package, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(pipeline, "PACKAGE_DIR", package)
    before = pipeline.code_hash()
    with (package / shipped).open("ab") as handle:
        handle.write(b"\n")
    assert pipeline.code_hash() != before


def test_nothing_changed_runs_nothing():
    assert actions(plan.plan(STEPS, STATE, WORLD)) == {
        plan.RUN: set(),
        plan.MAYBE: set(),
        plan.SKIP: ALL,
    }


def test_no_state_runs_everything_and_force_says_so():
    assert actions(plan.plan(STEPS, {"steps": {}}, WORLD))[plan.RUN] == ALL
    assert reason(plan.plan(STEPS, {"steps": {}}, WORLD), "40-story") == "no state"
    forced = plan.plan(STEPS, STATE, WORLD, force=True)
    assert {d.reason for d in forced} == {"forced"}


def test_changed_raw_file_runs_the_cleaning_and_its_readers_may_follow():
    world = changed(WORLD, files={"data/raw/events.csv": "new"})
    decisions = plan.plan(STEPS, STATE, world)
    grouped = actions(decisions)
    assert grouped[plan.RUN] == {"10-clean"}
    # Every later notebook reads data/processed, which 10-clean rewrites.
    assert grouped[plan.MAYBE] == ALL - {"10-clean"}
    assert reason(decisions, "10-clean") == "inputs changed: data/raw/events.csv"
    assert reason(decisions, "30-timeline") == "upstream 10-clean runs"


def test_an_edit_to_the_data_dictionarys_words_runs_the_cleaning_and_its_readers_may_follow():
    decisions = plan.plan(STEPS, STATE, changed(WORLD, files={DICTIONARY: "edited"}))
    assert actions(decisions)[plan.RUN] == {"10-clean"}
    assert actions(decisions)[plan.MAYBE] == ALL - {"10-clean"}
    assert reason(decisions, "10-clean") == f"inputs changed: {DICTIONARY}"


def test_changed_parameter_runs_only_the_steps_that_take_it():
    params = {"50-profile-dahua": {**WORLD.params["50-profile-dahua"], "company": "dahua2"}}
    decisions = plan.plan(STEPS, STATE, changed(WORLD, params=params))
    assert actions(decisions)[plan.RUN] == {"50-profile-dahua"}
    # Its chart is read by nobody: the story embeds other charts.
    assert actions(decisions)[plan.MAYBE] == set()
    assert reason(decisions, "50-profile-dahua") == "parameters changed: company"


def test_changed_notebook_runs_it_and_the_story_that_embeds_its_charts():
    decisions = plan.plan(STEPS, STATE, changed(WORLD, notebooks={"30-timeline.ipynb": "new"}))
    assert actions(decisions)[plan.RUN] == {"30-timeline"}
    # 40-story reads charts/rules-over-time.* and the others 30-timeline writes; the
    # profiles read only data/processed.
    assert actions(decisions)[plan.MAYBE] == {"40-story"}
    assert reason(decisions, "30-timeline") == "notebook changed: 30-timeline.ipynb"


def test_changed_profile_notebook_runs_all_eight_profiles():
    decisions = plan.plan(STEPS, STATE, changed(WORLD, notebooks={"50-profile.ipynb": "new"}))
    assert actions(decisions)[plan.RUN] == set(PROFILES)


def test_changed_package_code_runs_everything():
    decisions = plan.plan(STEPS, STATE, changed(WORLD, code="code v2"))
    assert actions(decisions)[plan.RUN] == ALL
    assert reason(decisions, "20-exposure") == "package code changed"


def test_missing_chart_file_reruns_exactly_the_notebook_that_writes_it():
    world = changed(WORLD, files={"charts/revenue-megvii.svg": None})
    decisions = plan.plan(STEPS, STATE, world)
    assert actions(decisions)[plan.RUN] == {"50-profile-megvii"}
    assert actions(decisions)[plan.MAYBE] == set()
    assert reason(decisions, "50-profile-megvii") == "output missing: charts/revenue-megvii.svg"


def test_deleted_charts_folder_reruns_every_chart_writer_and_the_story_may_follow():
    gone = {f: None for f in WORLD.files if f.startswith("charts/")}
    decisions = plan.plan(STEPS, STATE, changed(WORLD, files=gone))
    writers = {"20-exposure", "30-timeline"} | {f"50-profile-{c}" for c in REVENUE}
    assert actions(decisions)[plan.RUN] == writers
    # The story embeds charts others draw: it runs only if their files really change.
    assert actions(decisions)[plan.MAYBE] == {"40-story"}
    assert reason(decisions, "20-exposure").startswith(
        "output missing: charts/overseas-share-at-listing.csv, "
    )
    assert reason(decisions, "20-exposure").endswith(" and 12 more")


def test_deleted_processed_folder_reruns_the_cleaning_not_a_failing_reader():
    gone = {f: None for f in WORLD.files if f.startswith("data/processed/")}
    decisions = plan.plan(STEPS, STATE, changed(WORLD, files=gone))
    assert actions(decisions)[plan.RUN] == {"10-clean"}
    assert actions(decisions)[plan.MAYBE] == ALL - {"10-clean"}


def test_hand_edited_table_reruns_its_writer_and_names_the_file():
    world = changed(WORLD, files={"data/processed/financials.csv": "Megvii 49%"})
    decisions = plan.plan(STEPS, STATE, world)
    clean = next(d for d in decisions if d.step == "10-clean")
    assert clean.action == plan.RUN
    assert clean.reason == "output edited by hand: data/processed/financials.csv"
    assert clean.edited == ("data/processed/financials.csv",)
    # The edit will be replaced by 10-clean's own output, so the readers of financials.csv
    # wait for it rather than run because of the edit.
    assert reason(decisions, "20-exposure") == "upstream 10-clean runs"
    assert actions(decisions)[plan.MAYBE] == ALL - {"10-clean"}


def test_hand_edited_output_of_an_unselected_step_is_still_rebuilt():
    world = changed(WORLD, files={"charts/rules-over-time.svg": "edited"})
    decisions = plan.plan(STEPS, STATE, world, selected={"40-story"})
    assert actions(decisions)[plan.RUN] == {"30-timeline"}
    assert actions(decisions)[plan.MAYBE] == {"40-story"}
    assert reason(decisions, "20-exposure") == "not selected"


def test_only_limits_what_runs_for_changed_inputs():
    world = changed(WORLD, files={"data/raw/events.csv": "new"})
    decisions = plan.plan(STEPS, STATE, world, selected={"30-timeline"})
    assert actions(decisions)[plan.RUN] == set()
    assert actions(decisions)[plan.SKIP] == ALL


def test_replanning_after_an_upstream_stage_runs_only_what_really_changed():
    # 10-clean ran because a raw file changed; it rewrote suppliers.csv only.
    world = changed(
        WORLD,
        files={"data/raw/us_suppliers.csv": "new", "data/processed/suppliers.csv": "new rows"},
    )
    records = dict(STATE["steps"])
    records["10-clean"] = plan.record(next(s for s in STEPS if s.id == "10-clean"), world)
    decisions = plan.plan(STEPS, {"steps": records}, world)
    # Readers of suppliers.csv: 20-exposure by name, the story and profiles via data/processed.
    assert actions(decisions)[plan.RUN] == {"20-exposure", "40-story", *PROFILES}
    assert actions(decisions)[plan.SKIP] == {"10-clean", "30-timeline", "35-entities"}
    assert reason(decisions, "20-exposure") == "inputs changed: data/processed/suppliers.csv"


def test_globs_match_whole_path_segments():
    assert globs.matches("charts/revenue-*", "charts/revenue-dahua.svg")
    assert globs.matches("data/processed", "data/processed/rules.csv")
    assert not globs.matches("data/processed", "data/processed.csv")
    assert not globs.matches("charts/*.svg", "site/charts/x.svg")
    assert not globs.matches("data/processed/rules.csv", "data/processed/rules.csv.bak")
    assert globs.matches("/charts/", "charts/rules-over-time.svg")
    # Only slashes are trimmed from a declared path's ends, never a letter of its names.
    assert globs.matches("XLSX/", "XLSX/rules.xlsx")
    assert not globs.matches("charts/X", "charts/Y")


def test_overlap_of_reads_and_writes():
    assert globs.overlaps("data/processed", "data/processed/*")
    assert globs.overlaps("charts/overseas-share-at-listing.*", "charts/overseas-share-*")
    assert not globs.overlaps("charts/rules-over-time.*", "charts/revenue-*")
    assert not globs.overlaps("data/processed/rules.csv", "charts/rules-over-time.*")
    # A glob and a plain name it does not match cannot meet, whatever they start with.
    assert not globs.overlaps("charts/rules-*", "charts/rules")
    assert not globs.overlaps("charts/overseas-share", "charts/overseas-share-*")
    # Two globs meet when what comes before the first wildcard of one starts the other's.
    assert globs.overlaps("charts/rules-2019-*", "charts/rules-*-china")
    assert globs.overlaps("charts/rules-*-cn.*", "charts/rules-2019-*.svg")
    # ... the first wildcard of each, however many follow.
    assert globs.overlaps("charts/rules-2019-*", "charts/rules-*-china-*")
    # A plain name and a glob that matches it meet, whichever is read and which written.
    assert globs.overlaps("charts/rules-over-time.svg", "charts/rules-*")
    assert globs.overlaps("charts/rules-*", "charts/rules-over-time.svg")
    assert not globs.overlaps("charts/X", "charts/Y")
    assert not globs.overlaps("charts/Y", "charts/X")
    # A slash at either end of a declared path changes nothing.
    assert globs.overlaps("/data/processed/", "data/processed/rules.csv")
    assert globs.overlaps("data/processed", "/data/processed/rules.csv")


def test_an_input_added_removed_or_changed_is_a_change():
    before = {"data/processed/a.csv": "1", "data/processed/b.csv": "2"}
    assert plan.changed_inputs(before, {"data/processed/a.csv": "1"}) == ["data/processed/b.csv"]
    now = {**before, "data/processed/c.csv": "3", "data/processed/a.csv": "9"}
    assert plan.changed_inputs(before, now) == ["data/processed/a.csv", "data/processed/c.csv"]


def test_undeclared_write_is_named():
    step = Step("10-make.ipynb", 1, "first", (), ("data/processed/word.csv",))
    before = {"data/processed/word.csv": "a", "site/first.html": "p"}
    after = {"data/processed/word.csv": "b", "site/first.html": "q", "charts/extra.svg": "x"}
    assert plan.undeclared(before, after, [step]) == {"charts/extra.svg": ["10-make"]}
    assert plan.undeclared(before, {**before, "data/processed/word.csv": "c"}, [step]) == {}
    # A file no step declares is named only when the stage changed it.
    kept = {**before, "charts/kept.svg": "k"}
    assert plan.undeclared(kept, {**after, "charts/kept.svg": "k"}, [step]) == {
        "charts/extra.svg": ["10-make"]
    }


def test_a_stage_cannot_read_what_its_own_stage_writes(tmp_path: Path):
    pipeline = tmp_path / "pipeline.yaml"
    pipeline.write_text(
        "notebooks:\n"
        "  - {notebook: a.ipynb, stage: 1, reads: [], writes: [charts/a.*]}\n"
        "  - {notebook: b.ipynb, stage: 1, reads: [charts/a.svg]}\n"
    )
    with pytest.raises(
        RenderError, match=r"b reads charts/a\.svg, which a writes in the same stage"
    ):
        load_pipeline(pipeline)


def test_a_chart_moved_to_another_notebook_is_not_cleared_by_its_old_writer():
    # The state still says 40-story wrote the lede chart; pipeline.yaml now gives it to
    # 30-timeline, which ran first in this render.
    lede = chart_files("entries-of-the-rule")
    old_story = Step("40-story.ipynb", 3, "story", (), ("charts/entries-of-the-rule.*",))
    records = {"40-story": plan.record(old_story, WORLD)}
    story = next(s for s in STEPS if s.id == "40-story")
    assert set(records["40-story"]["outputs"]) >= set(lede)
    assert not set(plan.disowned(story, STEPS, records)) & set(lede)
    # Had no step taken it over, it would go: a file nobody writes any more.
    others = [s for s in STEPS if s.id != "30-timeline"]
    assert set(plan.disowned(story, others, records)) >= set(lede)
    # A step that never ran (new in pipeline.yaml) has nothing to clear.
    assert plan.disowned(story, STEPS, {}) == []


def test_two_notebooks_that_can_write_the_same_file_are_refused_naming_both(tmp_path: Path):
    # pipeline.yaml as it stood: 10-clean's site/data/* met 35-entities' china-entries.csv.
    declared = yaml.safe_load(paths.PIPELINE.read_text(encoding="utf-8"))
    clean = next(n for n in declared["notebooks"] if n["notebook"].startswith("10-clean"))
    clean["writes"] = ["data/processed/*", "site/data/*"]
    pipeline = tmp_path / "pipeline.yaml"
    pipeline.write_text(yaml.safe_dump(declared, sort_keys=False))
    with pytest.raises(
        RenderError,
        match=r"10-clean writes site/data/\* and 35-entities writes site/data/china-entries\.csv",
    ):
        load_pipeline(pipeline)


def test_the_pipelines_writes_never_meet():
    owners = {
        path: [s.id for s in STEPS if any(globs.matches(w, path) for w in s.outputs)]
        for path in WORLD.files
        if not path.startswith(("data/raw", "notebooks/"))
    }
    assert {path: ids for path, ids in owners.items() if len(ids) > 1} == {}
    assert owners["site/data/china-entries.csv"] == ["35-entities"]
    assert owners["site/data/entity_list.csv"] == ["10-clean"]


@pytest.mark.parametrize("value", ["soon", 0, -5, True])
def test_a_cell_timeout_that_is_not_a_positive_number_is_refused(tmp_path: Path, value):
    pipeline = tmp_path / "pipeline.yaml"
    pipeline.write_text(
        f"notebooks:\n  - {{notebook: a.ipynb, stage: 1, reads: [], cell_timeout: {value}}}\n"
    )
    with pytest.raises(RenderError, match=r"pipeline\.yaml: entry 1 cell_timeout: .* not a"):
        load_pipeline(pipeline)


def test_the_cell_timeout_is_the_pipelines_unless_a_notebook_sets_its_own(tmp_path: Path):
    pipeline = tmp_path / "pipeline.yaml"
    pipeline.write_text(
        "cell_timeout: 30\nnotebooks:\n"
        "  - {notebook: a.ipynb, stage: 1, reads: []}\n"
        "  - {notebook: b.ipynb, stage: 1, reads: [], cell_timeout: 5}\n"
    )
    assert [s.cell_timeout for s in load_pipeline(pipeline)] == [30, 5]
    assert {s.cell_timeout for s in STEPS} == {600}
