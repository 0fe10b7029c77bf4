"""The real pipeline, rendered incrementally after a data change and rendered clean, publishes
the same bytes: every file of site/, charts/ and data/processed/.

It runs on a scratch copy of the repository (package, notebooks, raw data, imported through
PYTHONPATH, as bench/ does), so the raw snapshot it changes is never the real one.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import published_files, rehash
from entitylist import paths
from entitylist.data import manifest

pytestmark = pytest.mark.notebooks

LIST = "csl/2026-07-31/screening-list-2026-07-31.json"
# An Entity List entry with an address in China, not one of the 28 of the rule: renaming it
# changes entity_list.csv and 35-entities' china-entries.csv, and what reads them.
OLD_NAME, NEW_NAME = '"n":"A.C. International"', '"n":"A.C. International Trading"'


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """A copy of the repository's package, notebooks and raw data, and the env that uses it."""
    root = tmp_path_factory.mktemp("repository")
    ignore = shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints")
    for name in ("src", "notebooks", "data/raw"):
        shutil.copytree(paths.ROOT / name, root / name, ignore=ignore)
    shutil.copy2(paths.ROOT / "requirements.txt", root / "requirements.txt")
    env = {**os.environ, "PYTHONPATH": str(root / "src")}
    env.pop(paths.OUTPUT_ROOT_ENV, None)
    return root, env


def render(env: dict[str, str], out: Path, *flags: str) -> str:
    """Render the scratch repository into an output root; return its log."""
    done = subprocess.run(
        [sys.executable, "-m", "entitylist", "render", "--output-root", str(out), *flags],
        env=env,
        capture_output=True,
        text=True,
        timeout=1800,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stderr


def test_an_incremental_render_after_a_data_change_equals_a_clean_one(scratch, tmp_path):
    root, env = scratch
    incremental, clean = tmp_path / "incremental", tmp_path / "clean"
    render(env, incremental)
    raw = root / "data/raw"
    listing = raw / LIST
    text = listing.read_text(encoding="utf-8")
    assert text.count(OLD_NAME) == 1
    listing.write_text(text.replace(OLD_NAME, NEW_NAME), encoding="utf-8")
    rehash(raw, listing)
    entries = manifest.read_listing(manifest.manifest_path(raw))
    # As a careless desk member would: the size too, so the snapshot verifies.
    for entry in entries["files"]:
        if entry["path"] == LIST:
            entry["bytes"] = listing.stat().st_size
    manifest.write_manifest(
        {e["path"]: e for e in entries["files"]}, entries["current"], manifest.manifest_path(raw)
    )
    # A renamed entry drops a published row (its old name): the render asks for consent.
    log = render(env, incremental, "--allow-removals")
    ran = {line.split()[1] for line in log.splitlines() if line.strip().startswith("ran ")}
    assert {"10-clean", "35-entities"} <= ran
    assert "20-exposure" not in ran  # incremental: what does not read the list is kept
    render(env, clean)
    after, fresh = published_files(incremental), published_files(clean)
    assert sorted(after) == sorted(fresh)
    assert NEW_NAME.split('"')[3].encode() in after["site/data/china-entries.csv"]
    for name, data in fresh.items():
        assert after[name] == data, name
