"""The floor: one plain Python process doing the render's computations, without notebooks.

It imports the same libraries and computes the same tables, figures and chart files as a
full render, so the render's ratio to it is the price of kernels, papermill and nbconvert.
"""

import sys
import tempfile
from pathlib import Path

import nbconvert  # noqa: F401  (imported by a render too)
import papermill  # noqa: F401

from entitylist import charts, cleaning, figures, publish, tables


def main() -> None:
    """Clean, compute every figure and write every chart file into a scratch folder."""
    with tempfile.TemporaryDirectory() as scratch:
        out = Path(scratch)
        cleaned = cleaning.clean_all()
        cleaning.write_processed(cleaned, out / "data" / "processed")
        loaded = tables.load(scratch)
        figures.story_facts(loaded)
        for company in loaded["companies"]["company"]:
            figures.profile(loaded, company)
            figures.exposure_table(loaded, company)
        for figure in charts.all_figures(loaded):
            publish.save(figure, out / "charts")
    sys.stdout.write("ok\n")


if __name__ == "__main__":
    main()
