"""The preview resumes a notebook from its first changed cell (checkpoints.py), and the page
it publishes is the one a clean run of the edited notebook gives, byte for byte.

Real renders of tests/fixtures/pipeline/40-resume.ipynb on warm kernels: it writes a file in
an early cell and one in its last, and one cell appends to a list that the cells below read.
"""

import json
import os
import shutil
import signal
from pathlib import Path

import nbformat
import pytest
from test_kernels import gone

from entitylist import paths
from entitylist.engine import checkpoints, kernels, render

FIXTURES = Path(__file__).parent / "fixtures" / "pipeline"
STEP = "40-resume"
PAGE = "site/resumed.html"
OUTPUTS = ("data/processed/early.csv", "data/processed/late.csv", PAGE)

pytestmark = pytest.mark.notebooks


@pytest.fixture(autouse=True)
def every_cell(monkeypatch: pytest.MonkeyPatch) -> None:
    """A checkpoint before every cell: the fixture's cells are quicker than a checkpoint."""
    monkeypatch.setattr(checkpoints, "AFTER_SECONDS", 0.0)


@pytest.fixture
def nbdir(tmp_path: Path) -> Path:
    """A copy of the fixture pipeline, free to edit."""
    return Path(shutil.copytree(FIXTURES, tmp_path / "notebooks"))


def preview_render(out: Path, nbdir: Path, **kwargs) -> render.Result:
    """One render as the preview runs it (inside its pool, which keeps checkpoints)."""
    return render.render(output_root=out, pipeline=nbdir / "resume.yaml", quiet=True, **kwargs)


def edit(nbdir: Path, cell: int, old: str, new: str) -> None:
    """Replace text in one cell of the fixture notebook, as a reporter's save would."""
    path = nbdir / f"{STEP}.ipynb"
    notebook = json.loads(path.read_text(encoding="utf-8"))
    source = "".join(notebook["cells"][cell]["source"])
    assert old in source
    notebook["cells"][cell]["source"] = source.replace(old, new)
    path.write_text(json.dumps(notebook, indent=1) + "\n", encoding="utf-8")


def executed(out: Path) -> dict:
    """The executed notebook less what differs between any two runs: papermill's and
    nbclient's clocks, and the id papermill draws for the cell it injects."""
    notebook = nbformat.read(render.work_dir(out.resolve()) / "executed" / f"{STEP}.ipynb", 4)
    clocks = {"start_time", "end_time", "duration"}
    for cell in notebook.cells:
        if "injected-parameters" in cell.metadata.get("tags", []):
            cell.pop("id")
        for name in clocks:
            cell.metadata.get("papermill", {}).pop(name, None)
        cell.metadata.pop("execution", None)
    notebook.metadata.pop("papermill", None)
    return notebook


def made(out: Path) -> dict:
    """What a run publishes: its page and files, and its executed notebook."""
    return {**{name: (out / name).read_bytes() for name in OUTPUTS}, "notebook": executed(out)}


def checkpoint_pids(pool: kernels.Zygote) -> set[int]:
    """The checkpoints waiting in the pool."""
    return {json.loads(meta.read_text())["pid"] for meta in pool.checkpoints.folder.glob("*.json")}


# (cell, old text, new text, the cell the run resumes at)
EDITS = {
    "top": (1, "Fixture resumed page", "Fixture page, resumed", 2),
    "middle": (2, "It starts with", "At first there are", 3),
    "state": (4, 'items.append("c")', 'items.append("d")', 5),
    "end": (6, "The end.", "The very end.", 7),
}


@pytest.mark.parametrize("where", EDITS)
def test_a_resumed_run_publishes_what_a_clean_run_of_the_edit_does(
    out: Path, nbdir: Path, where: str
):
    cell, old, new, resumed_at = EDITS[where]
    with kernels.warm(keep=True):
        preview_render(out, nbdir)
        edit(nbdir, cell, old, new)
        resumed = preview_render(out, nbdir)
        after_resume = made(out)
        clean = preview_render(out, nbdir, force=True)
        after_clean = made(out)
    assert resumed.resumed == {STEP: resumed_at}
    assert clean.ran == [STEP]
    assert clean.resumed == {}
    for name, content in after_clean.items():
        assert after_resume[name] == content, name
    if where == "state":
        # From the state before the edited cell: the list holds the new item, not the old too.
        assert (out / "data/processed/late.csv").read_text() == "a,b,d\n"


def starts(out: Path) -> list[str]:
    """When each code cell of the last executed notebook started, as papermill recorded it."""
    notebook = nbformat.read(render.work_dir(out.resolve()) / "executed" / f"{STEP}.ipynb", 4)
    return [c.metadata.papermill["start_time"] for c in notebook.cells if c.cell_type == "code"]


def test_a_published_render_never_resumes(out: Path, nbdir: Path):
    preview_render(out, nbdir)
    before = starts(out)
    edit(nbdir, 6, "The end.", "The very end.")
    result = preview_render(out, nbdir)
    assert result.ran == [STEP]
    assert result.resumed == {}
    # Every cell ran again: none carries the start time of the run before (a resumed run
    # copies those of the cells above its checkpoint).
    assert not set(before) & set(starts(out))


def test_a_change_besides_the_notebook_runs_it_clean(out: Path, nbdir: Path):
    with kernels.warm(keep=True):
        preview_render(out, nbdir)
        edit(nbdir, 6, "The end.", "The very end.")
        (out / paths.PROCESSED_NAME / "input.csv").write_text("start again\n")
        result = preview_render(out, nbdir, allow_removals=True)
    assert result.ran == [STEP]
    assert result.resumed == {}
    assert (out / "data/processed/early.csv").read_text() == "early\n2\n"


def test_checkpoints_are_killed_when_superseded_and_none_outlives_the_preview(
    out: Path, nbdir: Path
):
    with kernels.warm(keep=True) as pool:
        preview_render(out, nbdir)
        first = checkpoint_pids(pool)
        assert first
        edit(nbdir, 2, "It starts with", "At first there are")
        preview_render(out, nbdir)
        second = checkpoint_pids(pool)
        # The run kept those above its edit and replaced those below.
        superseded = first - second
        assert superseded
        assert all(gone(pid) for pid in superseded)
        zygote = pool.pid
    assert all(gone(pid) for pid in second)
    assert gone(zygote)


def test_checkpoints_die_with_a_killed_zygote(out: Path, nbdir: Path):
    with kernels.warm(keep=True) as pool:
        preview_render(out, nbdir)
        pids = checkpoint_pids(pool)
        pool.process.send_signal(signal.SIGKILL)
        assert all(gone(pid) for pid in pids)


def test_a_checkpoint_killed_from_outside_means_a_clean_run(out: Path, nbdir: Path):
    with kernels.warm(keep=True) as pool:
        preview_render(out, nbdir)
        for pid in checkpoint_pids(pool):
            os.kill(pid, signal.SIGKILL)
        edit(nbdir, 6, "The end.", "The very end.")
        result = preview_render(out, nbdir)
    assert result.resumed == {}
    assert b"The very end." in (out / PAGE).read_bytes()
    assert (out / "data/processed/early.csv").read_text() == "early\n1\n"


def test_a_run_resumes_from_the_nearest_checkpoint_above_its_edit(
    out: Path, nbdir: Path, monkeypatch: pytest.MonkeyPatch
):
    # Checkpoints only after slow cells: here the one after cell 3, which sleeps 2.5 s.
    monkeypatch.setattr(checkpoints, "AFTER_SECONDS", 2.0)
    monkeypatch.setenv("FIXTURE_PAUSE", "2.5")
    with kernels.warm(keep=True):
        preview_render(out, nbdir)
        edit(nbdir, 6, "The end.", "The very end.")
        resumed = preview_render(out, nbdir)
        after_resume = made(out)
        preview_render(out, nbdir, force=True)
        after_clean = made(out)
    # From the cell that appends to the list, which runs again on the state before it.
    assert resumed.resumed == {STEP: 5}
    assert after_resume == after_clean
    assert (out / "data/processed/late.csv").read_text() == "a,b,c\n"
