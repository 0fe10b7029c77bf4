"""Shared fixtures for the unit tests."""

import functools
import inspect
import os
import re
import shutil
import signal
import socket
import sys
import time
import types
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from entitylist import paths
from entitylist.data import cleaning, manifest

FIXTURES = Path(__file__).parent / "fixtures"


@functools.cache
def committed_tables() -> dict[str, pd.DataFrame]:
    """Every processed table, cleaned from the committed raw snapshot once per process."""
    return cleaning.clean_all()


def reached_from(module: types.ModuleType) -> set[str]:
    """The package's modules a module uses, directly or through others (itself included)."""
    seen: set[str] = set()
    todo = [module]
    while todo:
        current = todo.pop()
        seen.add(current.__name__)
        for value in vars(current).values():
            name = value.__name__ if inspect.ismodule(value) else getattr(value, "__module__", "")
            if isinstance(name, str) and name.startswith("entitylist") and name not in seen:
                todo += [sys.modules[name]] if name in sys.modules else []
    return seen


@pytest.fixture(scope="session")
def tables() -> dict[str, pd.DataFrame]:
    """Every processed table, cleaned from the committed raw snapshot."""
    # `make mutation` forks each mutant's tests from a process that has cleaned the snapshot
    # already. Only a mutant in a module cleaning uses can change what cleaning returns, so
    # only then is it cleaned again.
    mutant = os.environ.get("MUTANT_UNDER_TEST", "")
    if mutant and re.split(r"\.x_|\.xǁ", mutant)[0] in reached_from(cleaning):
        return cleaning.clean_all()
    return committed_tables()


# The update path's tests take in a whole source pack, cleaning every table twice: seconds
# each. Under `make mutation` (MUTANT_UNDER_TEST names the mutant) a mutant in cleaning or the
# schemas is left to the tests of cleaning, the schemas and the as-of view, which check each
# rule on its own, so that a survivor there costs seconds, not minutes (README, "Mutation
# testing"); the update path's own mutants still run them.
UPDATE_PATH_TESTS = ("test_sources.py", "test_editions.py", "test_changes.py")
WITHOUT_UPDATE_PATH_TESTS = ("entitylist.data.cleaning.", "entitylist.data.schemas.")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Leave the update path's tests out for a mutant of cleaning or the schemas."""
    if not os.environ.get("MUTANT_UNDER_TEST", "").startswith(WITHOUT_UPDATE_PATH_TESTS):
        return
    left_out = [item for item in items if item.path.name in UPDATE_PATH_TESTS]
    if left_out:
        config.hook.pytest_deselected(items=left_out)
        items[:] = [item for item in items if item.path.name not in UPDATE_PATH_TESTS]


@pytest.fixture
def raw_copy(tmp_path: Path) -> Path:
    """A writable copy of data/raw, to change one real file at a time."""
    target = tmp_path / "raw"
    shutil.copytree(paths.RAW, target)
    return target


@pytest.fixture
def pack_copy(tmp_path: Path, raw_copy: Path) -> Path:
    """A source pack folder holding the snapshot's current files, as the pack would."""
    from entitylist.data import sources

    pack = tmp_path / "pack"
    for table in sources.RAW_TABLES.values():
        target = pack / table.in_pack
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(manifest.current(table.name, raw_copy), target)
    return pack


def current_file(raw: Path, table: str) -> Path:
    """The current file of a source table in a raw folder."""
    return manifest.current(table, raw)


def edit_cell(path: Path, row: int, column: str, value: str) -> None:
    """Set one cell of a CSV (row is 1-based, as raw_row) to a new value."""
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    frame.loc[row - 1, column] = value
    frame.to_csv(path, index=False, lineterminator="\n")


def rehash(raw: Path, path: Path) -> None:
    """Record a hand-edited raw file's new hash in the manifest, as a careless user might."""
    listing = manifest.read_listing(manifest.manifest_path(raw))
    entries = {e["path"]: e for e in listing["files"]}
    rel = path.relative_to(raw).as_posix()
    entries[rel]["sha256"] = manifest.sha256(path)
    manifest.write_manifest(entries, listing["current"], manifest.manifest_path(raw))


# The fixture notebooks are inputs of the render tests, not notebooks for nbval to run.
collect_ignore_glob = ["fixtures/*"]


def tree(folder: Path) -> dict[str, bytes]:
    """Every file under folder, hidden ones included, by relative path, with its bytes."""
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()
    }


def published_files(root: Path) -> dict[str, bytes]:
    """Every file of site/, charts/ and data/processed/ of an output root, with its bytes."""
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for name in ("site", "charts", "data/processed")
        for p in sorted((root / name).rglob("*"))
        if p.is_file()
    }


def ctrl_c_as_at_a_terminal() -> None:
    """In a child before it starts: Ctrl-C stops it, as at a terminal.

    A process started in the background by a non-interactive shell (nohup, `cmd &` in a
    script, some CI runners) inherits SIGINT ignored, and Python then installs no
    KeyboardInterrupt handler: a test of what Ctrl-C does would test that shell instead.
    """
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def free_port() -> int:
    """A localhost port nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def until(check: Callable[[], bool], seconds: float = 120.0) -> bool:
    """Wait (bounded, never timed) until check() is true; a machine under load can be slow."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if check():
                return True
        except OSError:
            pass
        time.sleep(0.05)
    return False


def pipeline_inputs(root: Path) -> Path:
    """An output root holding the fixture pipeline's two input tables."""
    processed = root / paths.PROCESSED_NAME
    processed.mkdir(parents=True)
    (processed / "input.csv").write_text("start\n")
    (processed / "other.csv").write_text("other\n")
    return root


@pytest.fixture
def out(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An output root with the fixture pipeline's inputs, and a private build folder."""
    monkeypatch.setattr(paths, "BUILD", tmp_path / "build")
    return pipeline_inputs(tmp_path / "out")


def luminance(color: tuple[float, ...]) -> float:
    """WCAG 2.1 relative luminance of an sRGB colour."""

    def linear(channel: float) -> float:
        c = channel / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (linear(c) for c in color[:3])
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(foreground: tuple[float, ...], background: tuple[float, ...], alpha: float) -> float:
    """WCAG contrast ratio of a (possibly translucent) foreground over a background."""
    blended = [f * alpha + b * (1 - alpha) for f, b in zip(foreground, background, strict=False)]
    lighter, darker = sorted((luminance(blended), luminance(background)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


@pytest.fixture(scope="session")
def as_of_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The site as it stood on Oct. 9, 2019, rendered once for every test that reads it."""
    from entitylist.engine import render

    base = tmp_path_factory.mktemp("as-of-2019-10-09")
    saved = paths.BUILD
    paths.BUILD = base / "build"  # a private render state, never the checkout's
    try:
        result = render.render(as_of="2019-10-09", output_root=base / "out", quiet=True)
    finally:
        paths.BUILD = saved
    assert result.published
    return base / "out" / paths.SITE_NAME


def visible_text(page: Path) -> str:
    """A page's visible text: scripts, styles and drawings dropped, tags removed, spaces folded."""
    import html
    import re

    markup = page.read_text(encoding="utf-8")
    markup = re.sub(r"<(svg|style)\b.*?</\1>", " ", markup, flags=re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", markup)).split())


def paragraph_with(page: Path, *facts: str) -> str:
    """The one paragraph of a page that states all the given facts (names, numbers, dates):
    tests find prose by what it says, never by the reporter's wording."""
    import lxml.html

    tree = lxml.html.document_fromstring(page.read_text(encoding="utf-8"))
    found = [
        " ".join(p.text_content().split())
        for p in tree.iter("p")
        if all(fact in " ".join(p.text_content().split()) for fact in facts)
    ]
    assert len(found) == 1, (facts, len(found))
    return found[0]
