"""The floors measure the files a render publishes, not a cheaper set."""

from pathlib import Path

import pytest

from bench import floor
from entitylist import paths


@pytest.mark.notebooks
def test_the_floor_writes_every_chart_file_the_render_publishes(tmp_path: Path):
    floor.compute(tmp_path)
    published = sorted(p.name for p in (paths.ROOT / paths.CHARTS_NAME).iterdir())
    assert published
    assert sorted(p.name for p in (tmp_path / "charts").iterdir()) == published
