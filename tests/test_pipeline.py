"""The render's refusals that come before any notebook runs, and the CLI's one-line errors.

No kernels here (so they run in `make test-fast`); the fixture pipeline is the one in
test_render.py.
"""

from pathlib import Path

import nbformat
import pytest

from entitylist import paths
from entitylist.cli import main
from entitylist.engine import render, runner
from entitylist.engine.pipeline import Step, validate_overrides
from entitylist.errors import ParameterError, PublishError
from tests.test_render import run


def test_failing_cell_without_a_matching_count_says_a_cell(tmp_path: Path):
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1 / 0")])
    nbformat.write(notebook, tmp_path / "x.ipynb")
    assert runner.failing_cell(tmp_path / "x.ipynb", 7) == "a cell"
    assert runner.failing_cell(tmp_path / "x.ipynb", None) == "a cell"


def test_the_failing_line_is_the_cells_outermost_frame():
    # IPython's traceback, coloured as papermill passes it on: the cell's frame, then the
    # package's; the reporter's line is the cell's.
    traceback = [
        "\x1b[0;31mValueError\x1b[0m   Traceback (most recent call last)",
        "Cell \x1b[0;32mIn[4], line 3\x1b[0m\n      1 x = 1\n----> 3 story.say(x)",
        "File \x1b[0;32m/src/entitylist/story.py:40\x1b[0m, in say()\n---> 40 raise ValueError",
    ]
    assert runner.failing_line(traceback) == 3
    assert runner.failing_line(["KeyboardInterrupt"]) is None


def test_a_file_where_the_site_goes_is_refused_before_anything_runs(out: Path):
    (out / "site").write_text("not a folder")
    with pytest.raises(PublishError, match=r"/out/site: a file is in the way"):
        run(out)
    assert not (out / "data/processed/word.csv").exists()
    assert not (render.work_dir(out.resolve()) / "executed").exists()


@pytest.mark.parametrize(
    ("as_of", "why"),
    [
        ("2019-13-01", "expected a date from 2016-01-01 to "),
        ("2015-01-01", "before the data, which starts on 2016-01-01"),
        ("2030-01-01", "in the future"),
    ],
)
def test_as_of_outside_the_data_is_refused_naming_the_flag(out: Path, as_of: str, why: str):
    with pytest.raises(ParameterError, match=rf"^--as-of {as_of}: {why}"):
        run(out, as_of=as_of)
    assert not (out / "site").exists()


def test_cli_reports_errors_in_one_line(capsys: pytest.CaptureFixture):
    assert main(["render", "--jobs", "0"]) == 1
    assert capsys.readouterr().err == "error: --jobs 0: must be 1 or more\n"
    with pytest.raises(SystemExit):
        main(["render", "-p", "no-equals-sign"])
    assert "expected key=value" in capsys.readouterr().err


def test_cli_names_the_path_of_a_filesystem_fault(tmp_path: Path, monkeypatch, capsys):
    blocker = tmp_path / "build"
    blocker.write_text("a file where the build folder goes")
    monkeypatch.setattr(paths, "BUILD", blocker)
    assert main(["render", "--output-root", str(tmp_path / "out"), "--quiet"]) == 1
    assert capsys.readouterr().err == f"error: {blocker}: File exists\n"


PROFILES = [
    Step("50-profile.ipynb", 3, "company-{company}", (), params={"company": c})
    for c in ("hikvision", "dahua", "yitu")
]


@pytest.mark.parametrize("company", ["dahua", "yitu"])
def test_a_per_page_parameter_points_to_the_page_it_names(company: str):
    with pytest.raises(ParameterError) as caught:
        validate_overrides(PROFILES, {"company": company}, paths.NOTEBOOKS)
    assert str(caught.value) == (
        f"-p company: company is set per page by pipeline.yaml; to render the page for "
        f"company={company} use --only 50-profile-{company}"
    )


@pytest.mark.parametrize(
    ("name", "flag"), [("as_of", "--as-of"), ("output_root", "--output-root")]
)
def test_a_parameter_the_render_sets_points_to_its_flag(name: str, flag: str):
    with pytest.raises(ParameterError) as caught:
        validate_overrides(PROFILES, {name: "x"}, paths.NOTEBOOKS)
    assert str(caught.value) == f"-p {name}: set by the render; use {flag} instead"
