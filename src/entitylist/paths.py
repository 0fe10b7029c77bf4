"""Where things live, anchored to the repository rather than the working directory."""

import hashlib
import os
import shutil
import tempfile
from pathlib import Path

# The package's own folder: templates, static assets and fonts ship inside it.
PACKAGE = Path(__file__).resolve().parent
ROOT = PACKAGE.parents[1]
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
    # Absolute, links kept: the preview names its generations through one link, so a path
    # a notebook computed before a checkpoint still reaches the generation of a resumed run.
    return Path(os.path.abspath(chosen)) if chosen else scratch_root()  # noqa: PTH100 (above)


# In the scratch root: the fingerprint of the published outputs it was copied from.
SEEDED_FROM = ".seeded-from"


def published_fingerprint() -> str:
    """A hash of the published data/processed and charts: names and bytes (a few MB)."""
    digest = hashlib.sha256()
    for name in (PROCESSED_NAME, Path(CHARTS_NAME)):
        for file in sorted((ROOT / name).rglob("*")) if (ROOT / name).is_dir() else []:
            if file.is_file():
                digest.update(file.relative_to(ROOT).as_posix().encode() + b"\0")
                digest.update(file.read_bytes())
    return digest.hexdigest()


def scratch_root() -> Path:
    """Return build/scratch: a copy of the published data/processed and charts, made again
    whenever a render has published new ones, so JupyterLab reads what the site shows.

    The copy is real (a few MB), not hard links: a reporter's cell may write a file in place
    (pandas to_csv), which through a hard link would change the published file. While the
    published outputs stay as they are, what lab runs wrote to the copy is kept.
    """
    scratch = BUILD / SCRATCH_NAME
    wanted = published_fingerprint()
    stamp = scratch / SEEDED_FROM
    if stamp.is_file() and stamp.read_text(encoding="utf-8") == wanted:
        return scratch
    BUILD.mkdir(parents=True, exist_ok=True)
    seed = Path(tempfile.mkdtemp(dir=BUILD, prefix=".scratch-"))
    for name in (PROCESSED_NAME, Path(CHARTS_NAME)):
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, seed / name)
    (seed / SEEDED_FROM).write_text(wanted, encoding="utf-8")
    # The new copy takes the old one's place in two renames: a kernel reading it sees the
    # old copy or the new one, never a half-made folder.
    old = BUILD / f".scratch-old-{os.getpid()}"
    try:
        if scratch.exists():
            scratch.rename(old)
        seed.rename(scratch)
    except OSError:
        # Another kernel refreshed it first; keep theirs.
        shutil.rmtree(seed, ignore_errors=True)
    shutil.rmtree(old, ignore_errors=True)
    return scratch


def processed_dir(root: str | os.PathLike | None = None) -> Path:
    """Return data/processed under the output root."""
    return output_root(root) / PROCESSED_NAME


def charts_dir(root: str | os.PathLike | None = None) -> Path:
    """Return charts/ under the output root."""
    return output_root(root) / CHARTS_NAME
