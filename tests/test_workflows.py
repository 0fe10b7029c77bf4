"""The GitHub workflows: CI on every push and pull request, and a scheduled job that passes a
security audit (zizmor) and publishes what a manual as_of run asks for."""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

from entitylist import paths

WORKFLOWS = paths.ROOT / ".github" / "workflows"
PINNED = re.compile(r"^[\w.-]+/[\w.-]+(/[\w./-]+)?@[0-9a-f]{40}$")


def load(name: str) -> dict:
    """A workflow as data; YAML reads the `on:` key as True."""
    return yaml.safe_load((WORKFLOWS / name).read_text(encoding="utf-8"))


def steps(workflow: dict) -> list[dict]:
    """Every step of every job."""
    return [step for job in workflow["jobs"].values() for step in job.get("steps", [])]


def test_ci_runs_lint_unit_tests_and_the_render_on_every_push_and_pull_request():
    ci = load("ci.yml")
    assert set(ci[True]) == {"push", "pull_request"}
    commands = [step.get("run", "") for step in steps(ci)]
    for command in ("make lint", "make test-fast", ".ci/run"):
        assert any(c.startswith(command) for c in commands), command


def test_every_action_is_pinned_and_every_checkout_keeps_no_credentials():
    for name in ("ci.yml", "render.yml"):
        workflow = load(name)
        assert workflow["permissions"] == {}, name
        for job in workflow["jobs"].values():
            assert "permissions" in job, name
        for step in steps(workflow):
            if "uses" in step:
                assert PINNED.match(step["uses"]), f"{name}: {step['uses']}"
            if step.get("uses", "").startswith("actions/checkout@"):
                assert step["with"]["persist-credentials"] is False, name
            # Expressions in a shell script are template injection: inputs go through env.
            assert "${{" not in step.get("run", ""), f"{name}: {step.get('name')}"


def test_a_manual_run_with_as_of_publishes_the_as_of_site():
    render = load("render.yml")
    job = render["jobs"]["render"]
    chooser = next(s for s in job["steps"] if s.get("id") == "site")
    assert chooser["env"]["AS_OF"] == "${{ inputs.as_of }}"
    script = chooser["run"]
    as_of_root = re.search(r'--as-of "\$\{AS_OF\}" --output-root (\S+)', script).group(1)
    assert f"path={as_of_root}/site" in script
    upload = next(s for s in job["steps"] if "upload-pages-artifact" in s.get("uses", ""))
    assert upload["with"]["path"] == "${{ steps.site.outputs.path }}"


def test_zizmor_finds_nothing():
    zizmor = shutil.which("zizmor", path=str(Path(sys.executable).parent))
    assert zizmor, "zizmor is pinned in requirements.txt: run `make venv`"
    done = subprocess.run(
        [zizmor, "--offline", "--quiet", str(WORKFLOWS)], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout + done.stderr
