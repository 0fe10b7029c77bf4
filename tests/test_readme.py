"""The README's examples run as written: every `make` command names a target, every option it
passes is one the command line takes, and the cheap ones run here for real."""

import re
import shlex
import subprocess
import sys

import pytest

from entitylist import cli, paths

README = (paths.ROOT / "README.md").read_text(encoding="utf-8")
MAKEFILE = (paths.ROOT / "Makefile").read_text(encoding="utf-8")
# A make command in a code span or at the start of a line of a code block; a comment ends it.
EXAMPLE = re.compile(r"`(make [^`]+)`|^(make [^#\n`]+)", re.MULTILINE)
# Which subcommand of `python -m entitylist` a target's ARGS reach.
COMMANDS = {"render": "render", "update": "update", "preview": "preview", "fetch": "fetch"}


def examples() -> list[str]:
    """Every make command the README shows, once each, without trailing comments."""
    found = {(a or b).split("&&")[0].split(">")[0].strip() for a, b in EXAMPLE.findall(README)}
    return sorted(found)


def words_of(example: str) -> tuple[str, dict[str, str]]:
    """('render', {'ARGS': '--dry-run'}) from 'make render ARGS="--dry-run"'."""
    parts = shlex.split(example)[1:]
    target = next((p for p in parts if "=" not in p), "help")
    return target, dict(p.split("=", 1) for p in parts if "=" in p)


def test_the_readme_shows_examples():
    assert len(examples()) >= 15


@pytest.mark.parametrize("example", examples())
def test_every_make_example_names_a_target(example):
    target, _ = words_of(example)
    assert re.search(rf"^{re.escape(target)}:", MAKEFILE, re.MULTILINE), example


@pytest.mark.parametrize("example", [e for e in examples() if "ARGS=" in e])
def test_every_option_an_example_passes_is_one_the_command_takes(example):
    target, variables = words_of(example)
    if target not in COMMANDS:
        return  # e.g. bench, whose own parser is tested with the benchmark
    argv = [COMMANDS[target], *shlex.split(variables["ARGS"])]
    if target == "update":
        argv.append(variables.get("PACK", "pack"))
    cli.parser().parse_args(argv)  # argparse exits on an unknown option


def run(command: str) -> subprocess.CompletedProcess:
    """Run a README command in the repository, as a reporter would type it."""
    return subprocess.run(
        shlex.split(command),
        cwd=paths.ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


@pytest.mark.parametrize("example", ['make render ARGS="--dry-run"', "make help"])
def test_cheap_examples_run_as_written(example):
    assert example in examples()
    done = run(example)
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_update_example_runs_as_written():
    example = "make update PACK=../shared/data ARGS=--dry-run"
    assert example in examples()
    if not (paths.ROOT.parent / "shared" / "data").is_dir():
        pytest.skip("no source pack beside the repository")
    manifest = paths.MANIFEST.read_bytes()
    done = run(example)
    said = done.stdout + done.stderr
    assert paths.MANIFEST.read_bytes() == manifest, "a dry run wrote to the manifest"
    if done.returncode == 2:
        # The working tree holds rows the pack lacks (a reporter took in a source change):
        # the dry run names the loss and asks for consent, as it should.
        assert "REMOVED" in said
        assert "--allow-removals" in said
    else:
        assert done.returncode == 0, said
        assert "error" not in done.stderr.lower()


def test_the_module_command_the_readme_names_exists():
    done = subprocess.run(
        [sys.executable, "-m", "entitylist", "update", "--help"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0
    assert "python -m entitylist update" in README
