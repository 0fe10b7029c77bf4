"""The renderer on a tiny fixture pipeline: real papermill runs, skip logic, safe failure."""

import json
from pathlib import Path

import pytest

from entitylist import paths, render
from entitylist.cli import main
from entitylist.errors import ParameterError, RenderError

PIPELINE = Path(__file__).parent / "fixtures" / "pipeline" / "pipeline.yaml"
FAILING = PIPELINE.with_name("failing.yaml")

pytestmark = pytest.mark.notebooks


@pytest.fixture
def out(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An output root with the fixture's inputs, and a private build folder."""
    monkeypatch.setattr(paths, "BUILD", tmp_path / "build")
    root = tmp_path / "out"
    processed = root / paths.PROCESSED_NAME
    processed.mkdir(parents=True)
    (processed / "input.csv").write_text("start\n")
    (processed / "other.csv").write_text("other\n")
    return root


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


def test_render_publishes_every_page_and_an_index(out: Path):
    result = run(out)
    assert sorted(result.ran) == ["10-make", "20-read", "25-other"]
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


def test_unchanged_inputs_run_nothing(out: Path):
    run(out)
    before = site_bytes(out)
    again = run(out)
    assert again.ran == []
    assert not again.published
    assert sorted(again.skipped) == ["10-make", "20-read", "25-other"]
    assert site_bytes(out) == before


def test_changed_data_file_reruns_exactly_its_readers(out: Path):
    run(out)
    (out / "data/processed/other.csv").write_text("changed\n")
    assert run(out).ran == ["25-other"]
    (out / "data/processed/input.csv").write_text("changed\n")
    assert sorted(run(out).ran) == ["10-make", "20-read"]


def test_changed_parameter_reruns_the_notebook_and_what_reads_its_output(out: Path):
    run(out)
    result = run(out, overrides={"word": "bye"})
    assert sorted(result.ran) == ["10-make", "20-read"]
    assert "The word is bye." in (out / "site/first.html").read_text()


def test_failed_notebook_names_the_cell_and_keeps_the_last_good_site(out: Path):
    run(out)
    before = site_bytes(out)
    (out / "data/processed/input.csv").write_text("changed\n")
    with pytest.raises(
        RenderError,
        match=r"30-fail\.ipynb: cell 3 \('msg = .*'\) raised ValueError: the fixture fails",
    ) as caught:
        run(out, pipeline=FAILING)
    assert site_bytes(out) == {**before, "data/processed/input.csv": b"changed\n"}
    kept = paths.BUILD / "runs" / render.work_dir(out.resolve()).name / "executed"
    assert (kept / "30-fail.ipynb").exists()
    assert "executed notebook kept at" in str(caught.value)


def test_unknown_parameter_lists_the_valid_ones(out: Path):
    with pytest.raises(ParameterError, match=r"-p colour: .*valid: repeat \(int.*word \(str"):
        run(out, overrides={"colour": "red"})
    assert not (out / "site").exists()


def test_badly_typed_parameter_is_refused_before_anything_runs(out: Path):
    with pytest.raises(ParameterError, match=r"-p repeat='two': expected int"):
        run(out, overrides={"repeat": "two"})
    assert not (out / "site").exists()


def test_bad_as_of_is_refused(out: Path):
    with pytest.raises(ParameterError, match=r"as_of='2019-13-01'"):
        run(out, as_of="2019-13-01")


def test_only_runs_the_named_notebook(out: Path):
    result = run(out, only=["25-other"])
    assert result.ran == ["25-other"]
    with pytest.raises(ParameterError, match="no such notebook"):
        run(out, only=["99-nothing"])


def test_cli_reports_errors_in_one_line(capsys: pytest.CaptureFixture):
    assert main(["render", "--jobs", "0"]) == 1
    assert capsys.readouterr().err == "error: --jobs 0: must be 1 or more\n"
    with pytest.raises(SystemExit):
        main(["render", "-p", "no-equals-sign"])
    assert "expected key=value" in capsys.readouterr().err


def test_a_per_page_parameter_cannot_be_overridden():
    steps = [render.Step("50-profile.ipynb", 3, "company-{company}", (), {"company": "dahua"})]
    with pytest.raises(
        ParameterError, match=r"-p company: set for each page .*--only 50-profile-dahua"
    ):
        render.validate_overrides(steps, {"company": "yitu"}, paths.NOTEBOOKS)
