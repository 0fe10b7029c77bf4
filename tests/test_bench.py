"""The floors measure the files a render publishes, not a cheaper set."""

from pathlib import Path

import pytest

from bench import floor
from entitylist import paths


@pytest.mark.notebooks
def test_the_floor_draws_only_published_charts_and_says_which_it_leaves_out(tmp_path: Path):
    floor.compute(tmp_path)
    published = {p.name for p in (paths.ROOT / paths.CHARTS_NAME).iterdir()}
    drawn = {p.name for p in (tmp_path / "charts").iterdir()}
    assert drawn
    assert drawn <= published  # nothing the render no longer publishes
    # A reporter's new chart needs no change here: the benchmark names what the floor lacks.
    (tmp_path / "published").mkdir()
    for name in [*drawn, "megvii-revenue-by-year.svg", "megvii-revenue-by-year.csv"]:
        (tmp_path / "published" / name).write_text("")
    assert floor.uncovered(tmp_path / "published", tmp_path / "charts") == [
        "megvii-revenue-by-year"
    ]


@pytest.mark.notebooks
def test_the_benchmark_reads_every_part_of_a_render_from_its_log(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
):
    from bench.__main__ import stages
    from conftest import pipeline_inputs
    from entitylist.engine import render

    monkeypatch.setattr(paths, "BUILD", tmp_path / "build")
    fixture = Path(__file__).parent / "fixtures" / "pipeline" / "pipeline.yaml"
    render.render(output_root=pipeline_inputs(tmp_path / "out"), pipeline=fixture)
    found = stages(capsys.readouterr().err)
    assert list(found) == ["prepare", "notebooks", "site", "checks", "publish"]
    assert all(seconds >= 0 for seconds in found.values())
    # The notebooks ran in this render: their part is not left at zero.
    assert found["notebooks"] > 0
