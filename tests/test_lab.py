"""`make lab`: its command line, and notebook runs that never touch the published outputs."""

import os
import shlex
import shutil
import subprocess
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from entitylist import paths
from entitylist.engine import kernels

ROOT = paths.ROOT
PUBLISHED = (paths.PROCESSED_NAME, Path(paths.CHARTS_NAME))


def lab_command(user: str | None = None) -> list[str]:
    """The `jupyter lab` command `make lab` would run (make -n), as a user if given."""
    prefix = ["setpriv", "--reuid", user, "--regid", user, "--clear-groups"] if user else []
    shown = subprocess.run(
        [*prefix, "make", "-n", "--no-print-directory", "lab"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    # make -n prints a recipe line with its backslash continuations.
    joined = shown.replace("\\\n", " ")
    line = next(line for line in joined.splitlines() if " lab " in line and "jupyter" in line)
    return shlex.split(line)


def test_make_lab_serves_from_the_lab_env_with_the_project_kernel_as_default():
    command = lab_command()
    env, program, *options = command
    assert env == f"JUPYTER_PATH={ROOT / '.venv' / 'share' / 'jupyter'}"
    assert program == ".venv-lab/bin/jupyter"
    assert options[0] == "lab"
    assert "--notebook-dir=notebooks" in options
    assert f"--MappingKernelManager.default_kernel_name={kernels.KERNEL}" in options
    assert f"--KernelSpecManager.allowed_kernelspecs={kernels.KERNEL}" in options
    assert ("--allow-root" in options) == (os.geteuid() == 0)
    spec = ROOT / ".venv" / "share" / "jupyter" / "kernels" / kernels.KERNEL / "kernel.json"
    assert spec.exists(), "make venv installs the project kernelspec where JUPYTER_PATH points"


@pytest.mark.skipif(
    os.geteuid() != 0 or not shutil.which("setpriv"), reason="runs make as another user"
)
def test_make_lab_adds_allow_root_only_for_root():
    assert "--allow-root" not in lab_command(user="65534")


def snapshot(root: Path) -> dict[str, tuple[int, int, bytes]]:
    """Every published file under root: inode, modification time and bytes."""
    found = {}
    for name in PUBLISHED:
        for path in sorted((root / name).rglob("*")):
            if path.is_file():
                info, key = path.stat(), str(path.relative_to(root))
                found[key] = (info.st_ino, info.st_mtime_ns, path.read_bytes())
    return found


@pytest.mark.notebooks
def test_a_notebook_run_in_jupyterlab_writes_to_scratch_not_the_published_outputs(
    monkeypatch: pytest.MonkeyPatch,
):
    # JupyterLab injects no parameters and sets no output root.
    monkeypatch.delenv(paths.OUTPUT_ROOT_ENV, raising=False)
    scratch = paths.scratch_root()
    published = snapshot(ROOT)
    assert published, "the repository publishes data/processed and charts"
    # Take away the scratch copies the runs must write again, so their return proves it.
    expected = [scratch / paths.PROCESSED_NAME / "rules.csv"]
    expected += [scratch / paths.CHARTS_NAME / f"{name}.svg" for name in ("us-suppliers-named",)]
    for path in expected:
        path.unlink(missing_ok=True)
    for name in ("10-clean.ipynb", "20-exposure.ipynb"):
        notebook = nbformat.read(paths.NOTEBOOKS / name, as_version=4)
        NotebookClient(
            notebook,
            kernel_name=kernels.KERNEL,
            resources={"metadata": {"path": str(paths.NOTEBOOKS)}},
        ).execute()
    assert snapshot(ROOT) == published
    for path in expected:
        assert path.exists(), path
        twin = ROOT / path.relative_to(scratch)
        assert path.stat().st_ino != twin.stat().st_ino
        assert path.read_bytes() == twin.read_bytes()


def test_the_scratch_root_is_a_copy_a_lab_write_cannot_reach_made_again_after_a_render(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    repo = tmp_path / "repo"
    (repo / paths.PROCESSED_NAME).mkdir(parents=True)
    (repo / paths.CHARTS_NAME).mkdir()
    (repo / paths.PROCESSED_NAME / "rules.csv").write_text("rule\n")
    (repo / paths.CHARTS_NAME / "chart.svg").write_text("<svg/>")
    monkeypatch.setattr(paths, "ROOT", repo)
    monkeypatch.setattr(paths, "BUILD", repo / "build")
    monkeypatch.delenv(paths.OUTPUT_ROOT_ENV, raising=False)

    assert paths.output_root("") == repo / "build" / "scratch"
    rules = paths.processed_dir() / "rules.csv"
    assert rules.read_text() == "rule\n"
    assert (paths.charts_dir() / "chart.svg").read_text() == "<svg/>"
    # Written in place, as pandas to_csv does: the repository's own file is untouched, and
    # while the published outputs stay as they are a second call keeps what runs wrote.
    rules.write_text("edited in the lab\n")
    assert paths.processed_dir().joinpath("rules.csv").read_text() == "edited in the lab\n"
    assert (repo / paths.PROCESSED_NAME / "rules.csv").read_text() == "rule\n"
    # A render publishes new outputs: the lab reads them at its next run, not stale copies.
    (repo / paths.PROCESSED_NAME / "rules.csv").write_text("rule\n84 FR 54002\n")
    (repo / paths.CHARTS_NAME / "new.svg").write_text("<svg/>")
    assert paths.processed_dir().joinpath("rules.csv").read_text() == "rule\n84 FR 54002\n"
    assert (paths.charts_dir() / "new.svg").exists()
    assert not list((repo / "build").glob(".scratch-*"))  # no half copy left behind
    # A render names its output root, and gets it.
    assert paths.output_root(tmp_path / "out") == tmp_path / "out"
