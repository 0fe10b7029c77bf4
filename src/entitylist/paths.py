"""Where things live, anchored to the repository rather than the working directory."""

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
RAW = ROOT / "data" / "raw"
MANIFEST = RAW / "manifest.json"
NOTEBOOKS = ROOT / "notebooks"
PIPELINE = NOTEBOOKS / "pipeline.yaml"
BUILD = ROOT / "build"
SITE_NAME = "site"
PROCESSED_NAME = Path("data") / "processed"
CHARTS_NAME = "charts"

# Tests and as-of renders point outputs elsewhere so the committed ones stay untouched.
OUTPUT_ROOT_ENV = "ENTITYLIST_OUTPUT_ROOT"


def output_root(override: str | os.PathLike | None = None) -> Path:
    """Return the folder that holds data/processed, charts and site for this run."""
    chosen = override or os.environ.get(OUTPUT_ROOT_ENV) or ROOT
    return Path(chosen).resolve()


def processed_dir(root: str | os.PathLike | None = None) -> Path:
    """Return data/processed under the output root."""
    return output_root(root) / PROCESSED_NAME


def charts_dir(root: str | os.PathLike | None = None) -> Path:
    """Return charts/ under the output root."""
    return output_root(root) / CHARTS_NAME
