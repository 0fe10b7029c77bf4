"""Where things live, anchored to the repository rather than the working directory."""

import os
import shutil
import tempfile
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
# Under BUILD: where notebook runs outside a render (JupyterLab) write their outputs.
SCRATCH_NAME = "scratch"

# Tests and as-of renders point outputs elsewhere so the committed ones stay untouched.
OUTPUT_ROOT_ENV = "ENTITYLIST_OUTPUT_ROOT"


def shown(path: str | os.PathLike) -> str:
    """A path as messages show it: relative to the repository where it is inside it."""
    found = Path(path)
    return str(found.relative_to(ROOT)) if found.is_relative_to(ROOT) else str(path)


def output_root(override: str | os.PathLike | None = None) -> Path:
    """Return the folder that holds data/processed, charts and site for this run.

    A render always names one. A notebook run without one (JupyterLab, no parameters)
    gets the scratch root, so that only `render` writes the published outputs.
    """
    chosen = override or os.environ.get(OUTPUT_ROOT_ENV)
    return Path(chosen).resolve() if chosen else scratch_root()


def scratch_root() -> Path:
    """Return build/scratch, seeded once from the published data/processed and charts.

    The seed is a real copy (a few MB), not hard links: a reporter's cell may write a file
    in place (pandas to_csv), which through a hard link would change the published file.
    """
    scratch = BUILD / SCRATCH_NAME
    if not scratch.exists():
        BUILD.mkdir(parents=True, exist_ok=True)
        seed = Path(tempfile.mkdtemp(dir=BUILD, prefix=".scratch-"))
        for name in (PROCESSED_NAME, Path(CHARTS_NAME)):
            if (ROOT / name).is_dir():
                shutil.copytree(ROOT / name, seed / name)
        try:
            seed.rename(scratch)
        except OSError:
            # Another kernel seeded it first; keep theirs.
            shutil.rmtree(seed)
    return scratch


def processed_dir(root: str | os.PathLike | None = None) -> Path:
    """Return data/processed under the output root."""
    return output_root(root) / PROCESSED_NAME


def charts_dir(root: str | os.PathLike | None = None) -> Path:
    """Return charts/ under the output root."""
    return output_root(root) / CHARTS_NAME
