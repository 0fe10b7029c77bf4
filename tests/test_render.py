"""The renderer on a tiny fixture pipeline: real papermill runs, skip logic, safe failure.

The fixture (tests/fixtures/pipeline): 10-make reads data/processed/input.csv and writes
word.csv (input plus a word); 20-read reads word.csv; 25-other reads other.csv.
"""

import json
from pathlib import Path

import pytest

from entitylist import render
from entitylist.errors import ParameterError, RemovalError, RenderError, SchemaError

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
        match=r"30-fail\.ipynb: cell 3 \('msg = .*'\) raised ValueError: the fixture fails",
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
    assert capsys.readouterr().err == (
        f"warning: {state}: unreadable (not complete JSON); running every notebook\n"
    )
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
