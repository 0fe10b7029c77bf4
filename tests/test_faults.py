"""Renders killed with SIGKILL at several moments, and two renders at once, as real processes.

Each render here is a separate `python -m entitylist render`-like process on the fixture
pipeline, with its own build folder. A kill is either the fixture notebook killing the
render mid-run (`during-notebook`) or a fault point in release.py (ENTITYLIST_CRASH_AT).
"""

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ctrl_c_as_at_a_terminal, pipeline_inputs, tree, until
from entitylist.engine import release
from entitylist.engine.pipeline import OUTPUTS

FIXTURES = Path(__file__).parent / "fixtures" / "pipeline"
RENDER = """
import sys
from pathlib import Path
from entitylist import paths
paths.BUILD = Path(sys.argv[1])
paths.PIPELINE = Path(sys.argv[2])
from entitylist.cli import main
sys.exit(main(sys.argv[3:]))
"""
POINTS = [
    "during-notebook",
    "before-journal",
    "after-journal",
    "after-swap-processed",
    "after-site-flip",
]

pytestmark = pytest.mark.notebooks


def command(build: Path, out: Path, *args: str) -> list[str]:
    """The command line of a render of the fixture pipeline into out."""
    pipeline = str(FIXTURES / "pipeline.yaml")
    head = [sys.executable, "-c", RENDER, str(build), pipeline]
    return [*head, "render", "--output-root", str(out), *args]


def render(build: Path, out: Path, *args: str, crash: str = "") -> subprocess.CompletedProcess:
    """Run a quiet render to its end (or its kill) and return how it ended."""
    env = {**os.environ, release.CRASH_ENV: crash}
    return subprocess.run(
        [*command(build, out, *args), "--quiet"],
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )


def published(out: Path) -> dict[str, dict[str, bytes]]:
    """What a reader sees in each published location."""
    return {name: tree(out / name) for name in OUTPUTS}


def strays(out: Path, build: Path) -> list[str]:
    """Prepared folders, journals or extra generations a finished render should not leave."""
    found = [str(p) for p in out.rglob(".*")]
    runs = next((build / "runs").iterdir())
    found += [str(p) for p in runs.glob("journal.json")]
    generations = list((runs / "generations").iterdir())
    return found + ([f"{len(generations)} generations"] if len(generations) > 2 else [])


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict]:
    """What a clean render with each word publishes, each into a fresh output root."""
    found = {}
    for word in ("hello", "bye"):
        base = tmp_path_factory.mktemp(f"clean-{word}")
        out = pipeline_inputs(base / "out")
        done = render(base / "build", out, "-p", f"word={word}")
        assert done.returncode == 0, done.stderr
        found[word] = published(out)
    assert found["hello"] != found["bye"]
    return found


def test_a_render_killed_at_any_moment_leaves_old_or_new_and_the_next_render_finishes(
    tmp_path: Path, clean: dict
):
    build, out = tmp_path / "build", pipeline_inputs(tmp_path / "out")
    assert render(build, out, "-p", "word=hello").returncode == 0
    word = "hello"
    for point in POINTS:
        old, word = word, "bye" if word == "hello" else "hello"
        args = ("-p", f"word={word}", "--allow-removals")
        killed = render(build, out, *args, crash=point)
        assert killed.returncode == -9, f"{point}: {killed.stderr}"
        for name, files in published(out).items():
            # Each location flips in one step: all old or all new, never a mix.
            assert files in (clean[old][name], clean[word][name]), f"{point}: {name} is a mix"
        again = render(build, out, *args)
        assert again.returncode == 0, f"{point}: {again.stderr}"
        assert published(out) == clean[word], f"after {point}"
        assert strays(out, build) == [], f"after {point}"


def test_two_renders_at_once_never_interleave(tmp_path: Path, clean: dict):
    build, out = tmp_path / "build", pipeline_inputs(tmp_path / "out")
    gate = tmp_path / "gate"
    first = subprocess.Popen(
        [*command(build, out, "-p", "word=hello"), "--quiet"],
        env={**os.environ, "FIXTURE_GATE": str(gate)},
        stderr=subprocess.PIPE,
        text=True,
    )
    lock = build / "render.lock"
    assert until(lambda: lock.exists() and lock.read_text().startswith(f"{first.pid} ")), "no lock"

    refused = render(build, out, "-p", "word=bye", "--allow-removals", "--no-wait")
    assert refused.returncode == 1
    assert refused.stderr.startswith(
        f"error: another render is running (pid {first.pid}, started at "
    )
    assert refused.stderr.endswith(
        "--no-wait does not wait for it: render again when it has finished\n"
    )

    second = subprocess.Popen(
        command(build, out, "-p", "word=bye", "--allow-removals"),
        stderr=subprocess.PIPE,
        text=True,
    )
    waiting = second.stderr.readline()
    assert waiting.startswith(f"waiting for the render started by pid {first.pid} at ")
    gate.touch()
    assert first.wait(timeout=900) == 0, first.stderr.read()
    assert second.wait(timeout=900) == 0, second.stderr.read()
    # The second render started after the first published, and published over it whole.
    assert published(out) == clean["bye"]
    assert strays(out, build) == []


def test_a_cell_past_its_timeout_is_stopped_and_the_last_good_site_stays(tmp_path: Path):
    build, out = tmp_path / "build", pipeline_inputs(tmp_path / "out")
    assert render(build, out).returncode == 0
    before = published(out)
    done = render(build, out, "--pipeline", str(FIXTURES / "timeout.yaml"))
    assert done.returncode == 1
    assert done.stderr.startswith("error: 30-forever.ipynb: a cell ran longer than 3 s")
    assert len(done.stderr.splitlines()) == 1
    assert published(out) == before
    assert strays(out, build) == []


def test_ctrl_c_stops_a_stuck_render_at_once_and_releases_the_lock(tmp_path: Path):
    build, out = tmp_path / "build", pipeline_inputs(tmp_path / "out")
    assert render(build, out).returncode == 0
    before = published(out)
    started = tmp_path / "started"
    stuck = subprocess.Popen(
        [*command(build, out, "--pipeline", str(FIXTURES / "forever.yaml")), "--quiet"],
        env={**os.environ, "FIXTURE_STARTED": str(started)},
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=ctrl_c_as_at_a_terminal,  # noqa: PLW1509 (a signal disposition only)
    )
    try:
        assert until(started.exists, seconds=300)
        stuck.send_signal(signal.SIGINT)
        # At once: well before the 600-second default timeout, with kernels stopped.
        err = stuck.communicate(timeout=30)[1]
    finally:
        if stuck.poll() is None:
            stuck.kill()
            stuck.communicate()
    assert stuck.returncode == 130, err
    assert err.splitlines()[-1].startswith("error: interrupted")
    assert "Traceback" not in err
    assert published(out) == before
    assert strays(out, build) == []
    # The lock is free: a render that will not wait runs.
    again = render(build, out, "--no-wait")
    assert again.returncode == 0, again.stderr
