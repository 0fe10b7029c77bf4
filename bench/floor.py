"""The tight floor: the render's published files, computed with no wasted work.

One plain Python process computes what a full render publishes, without notebooks: the
processed tables, every figure, and every chart's files (Vega-Lite JSON, two SVGs, the PNG
social card, CSV), through publish.save as the notebooks call it. The render's ratio to it
is the price of kernels, papermill and nbconvert.

Against the old floor (floor_old.py), the waste it leaves out: the social card is
rasterised once, from the article SVG already drawn, at the scale that fits the card (the
SVG's own width and height size it), and its PNG is encoded at zlib level 6, not
`optimize=True`; and it imports only what the work uses (not papermill or nbconvert).
"""

import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from entitylist import charts, figures, publish, tables

# The chart words cost nothing measurable; the notebooks' own words are the reporters'.
from entitylist.data import cleaning

WORDS = charts.Words("{{ facts_for_the_floor|default('Headline') }}", "Dek")


def published_figures(loaded: dict) -> list["charts.Figure"]:
    """Every chart the notebooks publish, built as they build them."""
    rules = figures.rules_still_listed(
        loaded["rules"], loaded["entity_list"], loaded["entries_2019"]
    )
    shown = [
        charts.entry_grid(loaded["entries_2019"], loaded["companies"], WORDS),
        charts.rules_over_time(rules, WORDS),
        charts.still_listed(loaded["entity_list"], loaded["entries_2019"], WORDS),
        charts.listing_snapshot(
            loaded["financials"], loaded["companies"], WORDS, figures.LISTING_DATE
        ),
        charts.overseas_over_time(loaded["financials"], loaded["companies"], WORDS),
        charts.suppliers_named(loaded["suppliers"], loaded["companies"], WORDS),
    ]
    for company in loaded["companies"].itertuples():
        history = charts.revenue_history(
            loaded["financials"], company.company, company.name, WORDS
        )
        if history is not None:
            shown.append(history)
    return shown


def compute(out: Path, save: Callable[["charts.Figure", Path], object] = publish.save) -> None:
    """Clean, compute every figure and write every chart file under out."""
    cleaned = cleaning.clean_all()
    cleaning.write_processed(cleaned, out / "data" / "processed")
    loaded = tables.load(str(out))
    figures.story_facts(loaded)
    for company in loaded["companies"]["company"]:
        figures.profile(loaded, company)
    for figure in published_figures(loaded):
        save(figure, out / "charts")


def uncovered(published_dir: Path, drawn_dir: Path) -> list[str]:
    """Published charts the floor did not draw into drawn_dir (a reporter's new chart, until
    the floor is taught it): the benchmark reports them beside the ratio they flatter."""
    drawn = {p.name for p in drawn_dir.iterdir()}
    published = {p.name for p in published_dir.iterdir()} if published_dir.is_dir() else set()
    return sorted({name.split(".")[0] for name in published - drawn})


def coverage(published_dir: Path) -> list[str]:
    """Compute the floor into a scratch folder; return the published charts it leaves out."""
    with tempfile.TemporaryDirectory() as scratch:
        compute(Path(scratch))
        return uncovered(published_dir, Path(scratch) / "charts")


def main() -> None:
    """Compute the published files into a scratch folder."""
    with tempfile.TemporaryDirectory() as scratch:
        compute(Path(scratch))
    sys.stdout.write("ok\n")


if __name__ == "__main__":
    main()
