"""The tight floor measures the files a render publishes, not a cheaper set."""

import io
from pathlib import Path

import pandas as pd
from PIL import Image

from bench import floor
from entitylist import charts, publish


def test_the_tight_floor_writes_the_files_publish_save_writes(
    tables: dict[str, pd.DataFrame], tmp_path: Path
):
    # A profile chart: Chinese characters in its words, drawn with the shipped fonts.
    figure = charts.revenue_history(tables["financials"], "hikvision", "Hikvision", "海康威视")
    publish.save(figure, tmp_path / "published")
    floor.chart_files(figure, tmp_path / "floor")
    published = sorted(p.name for p in (tmp_path / "published").iterdir())
    assert sorted(p.name for p in (tmp_path / "floor").iterdir()) == published
    for name in published:
        mine, theirs = tmp_path / "floor" / name, tmp_path / "published" / name
        if name.endswith(".png"):
            card, reference = Image.open(mine), Image.open(io.BytesIO(theirs.read_bytes()))
            assert (card.size, card.mode) == (reference.size, reference.mode)
        else:
            assert mine.read_bytes() == theirs.read_bytes(), name
