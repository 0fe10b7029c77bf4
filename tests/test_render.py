"""The renderer on a tiny fixture pipeline: real papermill runs, skip logic, safe failure.

The fixture (tests/fixtures/pipeline): 10-make reads data/processed/input.csv and writes
word.csv (input plus a word); 20-read reads word.csv; 25-other reads other.csv.
"""

import json
import re
import shutil
import subprocess
from pathlib import Path

import nbformat
import pytest

from conftest import pipeline_inputs, published_files
from entitylist import paths
from entitylist.engine import render
from entitylist.errors import (
    ParameterError,
    PublishError,
    RemovalError,
    RenderError,
    SchemaError,
    WordsError,
)

FIXTURES = Path(__file__).parent / "fixtures" / "pipeline"
PIPELINE = FIXTURES / "pipeline.yaml"
ALL = ["10-make", "20-read", "25-other"]

pytestmark = pytest.mark.notebooks


def run(out: Path, **kwargs) -> render.Result:
    """Render the fixture pipeline into the output root, quietly."""
    return render.render(
        output_root=out, pipeline=kwargs.pop("pipeline", PIPELINE), quiet=True, **kwargs
    )


def site_bytes(out: Path) -> dict[str, bytes]:
    """Every published file and its bytes."""
    return {
        str(p.relative_to(out)): p.read_bytes()
        for name in render.OUTPUTS
        for p in sorted((out / name).rglob("*"))
        if p.is_file()
    }


def leftovers(out: Path) -> list[str]:
    """Anything in the output root or its run folder besides what a finished render keeps."""
    runs = render.work_dir(out.resolve())
    found = [p.name for p in out.iterdir() if p.name not in {"data", "charts", "site"}]
    found += [p.name for p in (out / "data").iterdir() if p.name != "processed"]
    found += [p.name for p in runs.iterdir() if p.name not in {"generations", "executed"}]
    return sorted(set(found) - {"state.json", "changes.json", "changes.txt"})


def test_render_publishes_every_page_and_an_index(out: Path):
    result = run(out)
    assert sorted(result.ran) == ALL
    site = out / "site"
    assert sorted(p.name for p in site.glob("*.html")) == [
        "first.html",
        "index.html",
        "second.html",
        "third.html",
    ]
    index = (site / "index.html").read_text()
    for page in ("first.html", "second.html", "third.html"):
        assert f'href="{page}"' in index
    second = (site / "second.html").read_text()
    assert "It read 2 words." in second
    assert "from entitylist" not in second
    assert "In&nbsp;[" not in second
    assert (out / "data/processed/word.csv").read_text() == "start\nhello\n"
    report = json.loads((render.work_dir(out.resolve()) / "changes.json").read_text())
    assert sorted(report["pages"]["added"]) == [
        "first.html",
        "index.html",
        "second.html",
        "third.html",
    ]
    assert result.changes == report
    assert leftovers(out) == []


def test_unchanged_inputs_run_nothing(out: Path):
    run(out)
    before = site_bytes(out)
    again = run(out)
    assert again.ran == []
    assert not again.published
    assert sorted(again.skipped) == ALL
    assert site_bytes(out) == before


def test_changed_data_file_reruns_exactly_its_readers(out: Path):
    run(out)
    (out / "data/processed/other.csv").write_text("changed\n")
    assert run(out).ran == ["25-other"]
    (out / "data/processed/input.csv").write_text("changed\n")
    assert sorted(run(out, allow_removals=True).ran) == ["10-make", "20-read"]


def test_changed_parameter_reruns_the_notebook_and_what_reads_its_output(out: Path):
    run(out)
    result = run(out, overrides={"word": "bye"}, allow_removals=True)
    assert sorted(result.ran) == ["10-make", "20-read"]
    assert "The word is bye." in (out / "site/first.html").read_text()


def test_rows_removed_from_a_table_stop_the_publish_unless_allowed(out: Path):
    run(out)
    before = site_bytes(out)
    with pytest.raises(RemovalError) as caught:
        run(out, overrides={"word": "bye"})
    # word.csv is read without a schema, so its key is every column: the header "start".
    assert str(caught.value) == (
        "not published: word.csv lost 1 row(s) (first: hello) since the last published "
        "render; re-run with --allow-removals if this is intended"
    )
    assert site_bytes(out) == before
    assert leftovers(out) == []
    confirmed = run(
        out,
        overrides={"word": "bye"},
        removals_consented=lambda t: {"hello"} if t == "word" else set(),
    )
    assert confirmed.published
    assert confirmed.changes["tables"]["word"]["removed"] == ["hello"]
    assert confirmed.changes["tables"]["word"]["added"] == ["bye"]


def test_failed_notebook_names_the_cell_and_keeps_the_last_good_site(out: Path):
    run(out)
    before = site_bytes(out)
    (out / "data/processed/input.csv").write_text("changed\n")
    with pytest.raises(
        RenderError,
        # The cell as the reporter sees it, and the line within it (the second) that raised.
        match=r"30-fail\.ipynb: cell 3 \('msg = .*'\), line 2 \('raise ValueError\(msg\)'\) "
        r"raised ValueError: the fixture fails",
    ) as caught:
        run(out, pipeline=FIXTURES / "failing.yaml")
    assert site_bytes(out) == {**before, "data/processed/input.csv": b"changed\n"}
    runs = render.work_dir(out.resolve())
    # Only the failed run's executed notebooks stay, for debugging; its generation goes.
    assert sorted(p.name for p in (runs / "executed").iterdir()) == [
        "10-make.ipynb",
        "30-fail.ipynb",
    ]
    assert len(list((runs / "generations").iterdir())) == 1
    assert "executed notebook kept at" in str(caught.value)
    assert leftovers(out) == []


def test_desk_error_in_a_notebook_arrives_as_its_own_message(out: Path):
    with pytest.raises(SchemaError) as caught:
        run(out, pipeline=FIXTURES / "desk-error.yaml")
    assert str(caught.value) == (
        "data/raw/events.csv -> events: row 2, column 'date': 2031-01-01 is after today"
    )
    assert not (out / "site").exists()


def test_missing_output_is_rebuilt_and_the_report_compares_with_what_was_published(out: Path):
    run(out)
    before = site_bytes(out)
    (out / "data/processed/word.csv").unlink()
    result = run(out)
    assert result.ran == ["10-make"]
    assert site_bytes(out) == before
    assert result.changes["tables"]["word"] == {
        "key": ["start"],
        "added": [],
        "removed": [],
        "changed": [],
    }


def test_deleted_site_is_rebuilt(out: Path):
    run(out)
    before = site_bytes(out)
    (out / "site").unlink()
    assert sorted(run(out).ran) == ALL
    assert site_bytes(out) == before


def test_hand_edited_output_is_rebuilt_with_a_warning(out: Path, capsys):
    run(out)
    before = site_bytes(out)
    (out / "data/processed/word.csv").write_text("start\nedited by hand\n")
    result = run(out)
    assert result.ran == ["10-make"]
    assert site_bytes(out) == before
    assert capsys.readouterr().err == (
        "warning: data/processed/word.csv edited by hand: 10-make runs again and the edit "
        "is not published\n"
    )
    assert result.changes["tables"]["word"]["changed"] == []


def test_corrupt_state_runs_everything_with_a_warning(out: Path, capsys):
    run(out)
    before = site_bytes(out)
    state = render.state_file(out.resolve())
    state.write_text(state.read_text()[:40])
    capsys.readouterr()
    assert sorted(run(out).ran) == ALL
    err = capsys.readouterr().err
    assert err.startswith(f"warning: {state}: unreadable (not complete JSON); running every")
    aside = next(state.parent.glob("state.json.unusable-*"))
    assert err.endswith(f"(set aside as {aside.name})\n")
    assert len(err.splitlines()) == 1
    assert site_bytes(out) == before
    assert run(out).ran == []


def test_undeclared_write_is_refused_and_nothing_is_published(out: Path):
    with pytest.raises(RenderError) as caught:
        run(out, pipeline=FIXTURES / "undeclared.yaml")
    assert str(caught.value).startswith(
        "10-make wrote data/processed/word.csv, which pipeline.yaml does not list in its writes"
    )
    assert sorted(p.name for p in (out / "data/processed").iterdir()) == ["input.csv", "other.csv"]
    assert not (out / "site").exists()
    assert list((render.work_dir(out.resolve()) / "generations").iterdir()) == []


def test_the_advice_for_a_file_another_step_owns_is_another_name(out: Path):
    # Issue 19: "add it there" for a file another notebook writes led to two writers.
    with pytest.raises(RenderError) as caught:
        run(out, pipeline=FIXTURES / "owned.yaml")
    message = str(caught.value)
    assert message.startswith("10-make wrote data/processed/word.csv")
    assert "25-other" in message
    assert "add it there" not in message
    assert not (out / "site").exists()


def test_a_page_with_nothing_to_publish_is_left_out(out: Path):
    result = run(out, pipeline=FIXTURES / "skip.yaml")
    assert sorted(result.ran) == ["10-make", "30-skip"]
    assert not (out / "site/skipped.html").exists()
    assert "skipped.html" not in (out / "site/index.html").read_text()
    assert run(out, pipeline=FIXTURES / "skip.yaml").ran == []


def test_dry_run_prints_the_plan_and_runs_nothing(out: Path, capsys):
    run(out)
    (out / "data/processed/other.csv").write_text("changed\n")
    result = run(out, dry_run=True)
    assert result.ran == []
    printed = capsys.readouterr().out
    assert "  25-other  run      inputs changed: data/processed/other.csv" in printed
    assert "  10-make   skip     up to date" in printed
    assert run(out).ran == ["25-other"]


def test_unknown_parameter_lists_the_valid_ones(out: Path):
    with pytest.raises(ParameterError, match=r"-p colour: .*valid: repeat \(int.*word \(str"):
        run(out, overrides={"colour": "red"})
    assert not (out / "site").exists()


def test_badly_typed_parameter_is_refused_before_anything_runs(out: Path):
    with pytest.raises(ParameterError, match=r"-p repeat='two': expected int"):
        run(out, overrides={"repeat": "two"})
    assert not (out / "site").exists()


def test_only_runs_the_named_notebook(out: Path):
    result = run(out, only=["25-other"])
    assert result.ran == ["25-other"]
    with pytest.raises(ParameterError, match="no such notebook"):
        run(out, only=["99-nothing"])


def test_a_symbolic_link_in_the_live_site_is_never_carried_into_a_new_one(out: Path, capsys):
    run(out)
    (out / "site/etc").symlink_to("/etc")
    (out / "site/passwd.html").symlink_to("/etc/passwd")
    (out / "data/processed/input.csv").write_text("changed\n")
    capsys.readouterr()
    assert run(out).ran == ["10-make", "20-read"]
    site = out / "site"
    assert not (site / "etc").is_symlink()
    assert not (site / "passwd.html").is_symlink()
    assert [p for p in site.rglob("*") if p.is_symlink()] == []
    err = capsys.readouterr().err
    assert "warning: site/etc: a symbolic link the render did not make" in err
    assert "warning: site/passwd.html: a symbolic link" in err


def test_a_hand_edit_to_the_sites_own_files_is_rebuilt_with_a_warning(out: Path, capsys):
    run(out)
    before = site_bytes(out)
    site = out / "site"
    (site / "index.html").write_text("<p>edited by hand</p>")
    assets = sorted(p for p in (site / "static").rglob("*") if p.is_file())
    assets[0].write_bytes(b"/* edited */")
    (site / "charts/planted.svg").write_text("<svg/>")
    capsys.readouterr()
    result = run(out)
    assert result.ran == []
    assert result.published
    assert site_bytes(out) == before
    err = capsys.readouterr().err
    for name in ("site/index.html edited by hand", "site/charts/planted.svg was not made"):
        assert f"warning: {name}" in err
    assert f"warning: {assets[0].relative_to(out).as_posix()} edited by hand" in err
    assert run(out).published is False


@pytest.mark.parametrize(
    ("where", "named"),
    [
        ("../data/processed/stray.csv", "30-escape wrote ../data, outside its output root"),
        ("data/processed/stray.csv", "30-escape wrote data/processed/stray.csv"),
        ("{out}/data/processed/stray.csv", "data/processed/stray.csv changed in the live"),
        ("{out}/site/stray.html", "site/stray.html changed in the live"),
    ],
    ids=["relative escape", "relative", "live processed", "live site"],
)
def test_a_notebook_never_writes_the_live_outputs(out: Path, monkeypatch, where, named):
    run(out)
    before = site_bytes(out)
    monkeypatch.setenv("FIXTURE_ESCAPE", where.format(out=out))
    escape = FIXTURES / "escape.yaml"
    with pytest.raises(RenderError, match=re.escape(named)):
        run(out, pipeline=escape)
    for root in (out.parent, paths.ROOT, paths.ROOT.parent, FIXTURES.parent):
        assert not (root / "data/processed/stray.csv").exists(), root
    # Beside the generations ('..' from the kernel's folder) only the live one stays.
    generations = render.work_dir(out.resolve()) / "generations"
    assert len(list(generations.iterdir())) == 1
    if "live" in named:
        # The stray is there (it was written), but nothing of the render was published.
        assert "escape.html" not in {p.name for p in (out / "site").iterdir()}
    else:
        assert site_bytes(out) == before


@pytest.mark.parametrize("inside", ["data/raw", "data/raw/pack", "notebooks", "src/entitylist"])
def test_an_output_root_inside_the_sources_is_refused(inside):
    root = paths.ROOT / inside / "out"
    with pytest.raises(ParameterError, match=rf"--output-root {inside}/out: inside "):
        render.render(output_root=root, quiet=True)
    assert not root.exists()


def test_an_incremental_render_after_a_data_change_equals_a_clean_one(out: Path, tmp_path):
    run(out)
    (out / "data/processed/input.csv").write_text("changed\n")
    # Incremental: 25-other's page is carried over from the last render.
    assert run(out).ran == ["10-make", "20-read"]
    clean = tmp_path / "clean"
    (clean / "data/processed").mkdir(parents=True)
    for name in ("input.csv", "other.csv"):
        (clean / "data/processed" / name).write_bytes((out / "data/processed" / name).read_bytes())
    run(clean)
    incremental, fresh = published_files(out), published_files(clean)
    assert sorted(incremental) == sorted(fresh)
    assert "site/first.html" in incremental
    for name, data in fresh.items():
        assert incremental[name] == data, name


def test_a_corrupt_journal_is_set_aside_and_everything_runs(out: Path, capsys):
    run(out)
    before = site_bytes(out)
    journal = render.work_dir(out.resolve()) / "journal.json"
    journal.write_text('{"generation": "x", "inodes": {"charts": "not a number"}')
    capsys.readouterr()
    assert sorted(run(out).ran) == ALL
    err = capsys.readouterr().err
    assert err.startswith(f"warning: {journal}: unreadable, so an interrupted publish")
    assert "Traceback" not in err
    assert not journal.exists()
    assert site_bytes(out) == before
    assert run(out).ran == []


def test_a_full_disk_is_refused_before_any_notebook_runs(tmp_path: Path, monkeypatch):
    disk = tmp_path / "disk"
    disk.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(disk)], check=False
    )
    if mounted.returncode != 0:
        pytest.skip("cannot mount a small filesystem here")
    try:
        monkeypatch.setattr(paths, "BUILD", disk / "build")
        out = tmp_path / "out"
        (out / "data/processed").mkdir(parents=True)
        (out / "data/processed/input.csv").write_text("start\n")
        (out / "data/processed/other.csv").write_text("other\n")
        with pytest.raises(PublishError, match=r"/disk/build[/\w]*: \d+ MB free"):
            run(out)
        runs = render.work_dir(out.resolve())
        assert not (runs / "executed").exists()
        assert not (runs / "generations").exists()
        assert not (out / "site").exists()
    finally:
        subprocess.run(["umount", str(disk)], check=True)


def fixture_copy(tmp_path: Path, pipeline: str = "desk-error.yaml") -> Path:
    """A copy of the fixture pipeline to edit; the path of its pipeline file."""
    notebooks = tmp_path / "notebooks"
    shutil.copytree(FIXTURES, notebooks)
    return notebooks / pipeline


def test_words_that_cannot_be_filled_name_the_notebook_and_cell(out: Path, tmp_path: Path):
    pipeline = fixture_copy(tmp_path)
    notebook = pipeline.parent / "30-desk-error.ipynb"
    book = nbformat.read(notebook, as_version=4)
    book.cells[2].source = 'story.say("{{ event }} happened on {{ day }}.", event="A listing")'
    nbformat.write(book, notebook)
    with pytest.raises(WordsError) as caught:
        run(out, pipeline=pipeline)
    message = str(caught.value)
    assert message.startswith("30-desk-error.ipynb: cell 3 ('story.say(")
    assert "day" in message
    assert "\n" not in message


def test_a_half_saved_notebook_is_named_in_one_line(out: Path, tmp_path: Path):
    pipeline = fixture_copy(tmp_path)
    notebook = pipeline.parent / "30-desk-error.ipynb"
    notebook.write_text(notebook.read_text()[:200])
    with pytest.raises(RenderError) as caught:
        run(out, pipeline=pipeline)
    assert str(caught.value) == (
        f"{notebook}: not a readable notebook (NotJSONError; half-saved?); save it again"
    )


def test_a_render_leaves_this_process_in_its_own_folder(out: Path):
    # Two notebooks run at once in stage 2; neither may move the process into a generation
    # that is later removed.
    before = Path.cwd()
    run(out, jobs=2)
    (out / "data/processed/input.csv").write_text("changed\n")
    run(out, jobs=2)
    assert Path.cwd() == before


def edit_cell(notebook: Path, old: str, new: str) -> None:
    """Replace text in a notebook's cells, as a reporter's save would."""
    book = nbformat.read(notebook, as_version=4)
    cell = next(c for c in book.cells if old in c.source)
    cell.source = cell.source.replace(old, new)
    nbformat.write(book, notebook)


def test_after_a_prose_edit_only_that_notebooks_page_is_exported_and_checked(
    out: Path, tmp_path: Path
):
    pipeline = fixture_copy(tmp_path, "pipeline.yaml")
    first = run(out, pipeline=pipeline)
    # The first publish checks every file of the site, the render's own included.
    assert {"first.html", "second.html", "third.html", "index.html"} <= set(first.checked)
    before = {p: (out / "site" / p).stat().st_mtime_ns for p in ("second.html", "third.html")}
    edit_cell(pipeline.parent / "10-make.ipynb", "The word is", "The word now is")
    result = run(out, pipeline=pipeline)
    # word.csv is unchanged, so 20-read does not run: one notebook, one page exported, and
    # the checks read that page only; the others are carried over by hash.
    assert result.ran == ["10-make"]
    assert result.checked == ["first.html"]
    assert "The word now is hello." in (out / "site/first.html").read_text()
    # Carried pages are the very files of the last generation's copy, never exported again.
    for page, stamp in before.items():
        assert (out / "site" / page).stat().st_mtime_ns == stamp
    clean = pipeline_inputs(tmp_path / "clean")
    run(clean, pipeline=pipeline)
    incremental, fresh = published_files(out), published_files(clean)
    assert sorted(incremental) == sorted(fresh)
    for name, data in fresh.items():
        assert incremental[name] == data, name


def test_every_file_is_checked_again_when_what_the_checks_read_changed(
    out: Path, tmp_path: Path, monkeypatch
):
    pipeline = fixture_copy(tmp_path, "pipeline.yaml")
    run(out, pipeline=pipeline)
    # What the checks read besides the page changed (here, the raw snapshot's manifest,
    # which no fixture notebook reads): every file is checked again, carried ones too.
    manifest = tmp_path / "manifest.json"
    manifest.write_bytes(paths.RAW.joinpath("manifest.json").read_bytes() + b"\n")
    monkeypatch.setattr(render.manifest, "manifest_path", lambda raw: manifest)
    monkeypatch.setattr(render.manifest, "verify_manifest", lambda: None)
    edit_cell(pipeline.parent / "10-make.ipynb", "The word is", "The word now is")
    result = run(out, pipeline=pipeline)
    assert result.ran == ["10-make"]
    assert {"first.html", "second.html", "third.html", "index.html"} <= set(result.checked)


def test_only_files_not_passed_under_the_same_key_are_checked():
    now = {"a.html": "1", "b.html": "2", "c.csv": "3"}
    passed = {"key": "k", "files": {"a.html": "1", "b.html": "old", "gone.html": "4"}}
    assert render.to_check(passed, "k", now) == ({"b.html", "c.csv"}, True)
    assert render.to_check({**passed, "files": {**now}}, "k", now) == (set(), False)
    assert render.to_check(passed, "other", now) == (None, True)
    assert render.to_check({}, "k", now) == (None, True)


def test_the_check_key_follows_every_input_of_the_checks_verdict(monkeypatch, tmp_path: Path):
    base = render.check_key("code", None)
    assert render.check_key("code", None) == base
    assert render.check_key("other code", None) != base
    assert render.check_key("code", "2019-10-09") != base
    kept = tmp_path / "notebooks" / "not-found.yaml"
    kept.parent.mkdir()
    for name in render.HAND_KEPT:
        source = paths.ROOT / name
        if source.exists():
            (tmp_path / name).write_bytes(source.read_bytes())
    (tmp_path / "data/raw").mkdir(parents=True)
    (tmp_path / "data/raw/manifest.json").write_bytes((paths.RAW / "manifest.json").read_bytes())
    monkeypatch.setattr(paths, "ROOT", tmp_path)
    monkeypatch.setattr(paths, "RAW", tmp_path / "data/raw")
    assert render.check_key("code", None) == base
    kept.write_text(kept.read_text() + "\n# edited\n")
    edited = render.check_key("code", None)
    assert edited != base
    (tmp_path / "data/raw/manifest.json").write_text("{}")
    assert render.check_key("code", None) not in {base, edited}


def test_the_zygote_starts_before_the_generation_only_when_a_notebook_will_run(
    out: Path, monkeypatch
):
    from entitylist.engine import kernels, release

    started: list[bool] = []
    copy = release.new_generation

    def observed(*args, **kwargs):
        started.append(kernels.active().process is not None)
        return copy(*args, **kwargs)

    monkeypatch.setattr(release, "new_generation", observed)
    run(out)
    # Something runs: the zygote imports while the generation is copied.
    assert started == [True]
    (out / "site/index.html").unlink()
    result = run(out)
    # Only the site is rebuilt: no notebook runs and no zygote starts.
    assert result.ran == []
    assert result.published
    assert started == [True, False]
