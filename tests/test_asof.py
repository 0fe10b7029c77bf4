"""The story as it stood on Oct. 9, 2019: nothing published later may appear."""

import re
from pathlib import Path

import pandas as pd
import pytest

from entitylist import paths, render
from entitylist import tables as loader

AS_OF = "2019-10-09"


def test_as_of_filter_keeps_only_what_was_known(tables):
    kept = loader.as_of_filter(tables, AS_OF)
    assert kept["rules"]["date"].max() == pd.Timestamp(AS_OF)
    assert (kept["events"]["date"] <= pd.Timestamp(AS_OF)).all()
    assert (kept["financials"]["period_end"] <= pd.Timestamp(AS_OF)).all()
    assert kept["suppliers"]["reported_by"].notna().all()
    assert "2024" not in " ".join(kept["suppliers"]["reported_by"].astype(str))
    newest = kept["rules"].sort_values("date").iloc[-1]
    assert newest["citation"] == "84 FR 54002"


@pytest.mark.notebooks
def test_story_rendered_as_of_the_listing_shows_nothing_later(tmp_path: Path, monkeypatch):
    monkeypatch.setattr(paths, "BUILD", tmp_path / "build")
    out = tmp_path / "as-of"
    render.render(
        as_of=AS_OF,
        output_root=out,
        quiet=True,
        only=["10-clean", "20-exposure", "30-timeline", "40-story"],
    )
    site = out / "site"
    for page in ("story.html", "timeline.html", "exposure.html"):
        text = (site / page).read_text(encoding="utf-8")
        dates = re.findall(r'<time datetime="(\d{4}-\d{2}-\d{2})"', text)
        assert dates, page
        assert max(dates) <= AS_OF, f"{page} shows {max(dates)}"
        assert 'Data as of <time datetime="2019-10-09">Oct. 9, 2019' in text
    rules = pd.read_csv(out / "charts" / "rules-over-time.csv")
    assert rules["date"].max() == AS_OF
    assert rules.loc[rules["date"] == AS_OF, "rule"].tolist() == ["84 FR 54002"]
    per_year = pd.read_csv(out / "charts" / "china-entries-per-year.csv")
    assert per_year["year"].max() == 2019
    story = (site / "story.html").read_text(encoding="utf-8")
    assert "2020" not in re.sub(r"<svg.*?</svg>", "", story, flags=re.DOTALL)
    # The repository's own outputs are not where an as-of render writes.
    committed = pd.read_csv(paths.ROOT / "charts" / "rules-over-time.csv")
    assert committed["date"].max() > AS_OF


def test_every_profile_works_as_of_the_listing(tables):
    from entitylist import figures, story

    kept = loader.as_of_filter(tables, AS_OF)
    for company in kept["companies"]["company"]:
        profile = figures.profile(kept, company)
        later = figures.after_listing(kept["events"], company)
        assert later.empty, company
        assert "No later events" in story.timeline(later, empty="No later events.").markup
        assert profile["listed_on"] == pd.Timestamp(AS_OF)
    assert len(figures.after_listing(tables["events"], "sensetime")) == 5
