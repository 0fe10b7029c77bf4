"""docs/reporting.md, followed as a reporter would: on a copy of the repository, its commands
run as written (`make ...`), its edits applied from the guide's own text."""

import csv
import json
import os
import re
import shlex
import shutil
import subprocess
from pathlib import Path

import lxml.html
import nbformat
import pytest
import yaml

from entitylist import paths

GUIDE = (paths.ROOT / "docs" / "reporting.md").read_text(encoding="utf-8")
MAKEFILE = (paths.ROOT / "Makefile").read_text(encoding="utf-8")

pytestmark = pytest.mark.notebooks


def section(heading: str) -> str:
    """The text of one of the guide's sections."""
    start = GUIDE.index(f"## {heading}\n")
    end = GUIDE.find("\n## ", start + 1)
    return GUIDE[start : end if end > 0 else None]


def blocks(text: str, language: str) -> list[str]:
    """The fenced code blocks of a language in a text, unindented."""
    found = re.findall(rf"^( *)```{language}\n(.*?)^\1```", text, re.MULTILINE | re.DOTALL)
    return ["\n".join(line[len(indent) :] for line in body.splitlines()) for indent, body in found]


def commands(text: str) -> list[str]:
    """The shell commands of a text's sh blocks."""
    return [line.strip() for block in blocks(text, "sh") for line in block.splitlines()]


def test_every_command_in_the_guide_is_a_make_target():
    found = commands(GUIDE)
    assert len(found) >= 6
    for command in found:
        target = shlex.split(command)[1]
        assert re.search(rf"^{re.escape(target)}:", MAKEFILE, re.MULTILINE), command


class Copy:
    """A copy of the repository that runs `make` with its own copy of the package."""

    def __init__(self, root: Path) -> None:
        """Copy the working tree (the project's own files), and share the built venv."""
        self.root = root
        # The working tree as a reporter has it: tracked files and new ones not yet
        # committed (a snapshot taken in), never what .gitignore leaves out.
        listed = subprocess.run(
            ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            cwd=paths.ROOT,
            capture_output=True,
            check=True,
        ).stdout.decode()
        for name in filter(None, listed.split("\0")):
            if not (paths.ROOT / name).is_file():
                continue  # deleted in the working tree, not yet in a commit
            target = root / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(paths.ROOT / name, target)
        # The venv is built from the same lock: its stamp says it is up to date, and the
        # copy's package comes first on the path.
        (root / ".venv").symlink_to(paths.ROOT / ".venv")
        self.env = {**os.environ, "PYTHONPATH": str(root / "src")}
        self.env.pop(paths.OUTPUT_ROOT_ENV, None)

    def run(self, command: str) -> str:
        """Run a command of the guide in the copy; fail with what it printed."""
        done = subprocess.run(
            shlex.split(command),
            cwd=self.root,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=1200,
            check=False,
        )
        assert done.returncode == 0, f"{command}:\n{done.stdout}\n{done.stderr}"
        return done.stdout + done.stderr


@pytest.fixture(scope="module")
def copy(tmp_path_factory: pytest.TempPathFactory) -> Copy:
    """A rendered copy of the repository, as a reporter's fresh clone is after make render."""
    repo = Copy(tmp_path_factory.mktemp("guide") / "repo")
    repo.run("make render")
    return repo


def test_the_add_a_chart_example_ends_on_the_page(copy: Copy):
    text = section("Add a chart")
    (cell,) = blocks(text, "python")
    notebook = copy.root / "notebooks" / "20-exposure.ipynb"
    book = nbformat.read(notebook, as_version=4)
    after = next(i for i, c in enumerate(book.cells) if c.source.startswith("## Overseas"))
    book.cells.insert(after + 1, nbformat.v4.new_code_cell(cell, id="20-guide"))
    nbformat.write(book, notebook)
    (writes,) = blocks(text, "yaml")
    pipeline = copy.root / "notebooks" / "pipeline.yaml"
    plan = yaml.safe_load(pipeline.read_text(encoding="utf-8"))
    (step,) = [s for s in plan["notebooks"] if s["notebook"] == "20-exposure.ipynb"]
    step["writes"] += yaml.safe_load(writes)["writes"]
    pipeline.write_text(yaml.safe_dump(plan, sort_keys=False), encoding="utf-8")

    for command in commands(text):
        copy.run(command)

    site = copy.root / paths.SITE_NAME
    page = (site / "exposure.html").read_text(encoding="utf-8")
    assert 'data-chart="megvii-revenue-by-year"' in page
    assert 'href="charts/megvii-revenue-by-year.csv"' in page
    with (site / "charts" / "megvii-revenue-by-year.csv").open(encoding="utf-8") as handle:
        served = list(csv.DictReader(handle))
    assert served
    assert {r["Year"] for r in served} >= {"2016", "2018"}
    # The profile keeps its own chart, written by its own notebook.
    assert (site / "charts" / "revenue-megvii.svg").exists()


def test_the_source_change_example_reaches_the_page_without_an_override(copy: Copy):
    text = section("Take in a source change")
    pack = copy.root.parent / "pack-2026-12-10"
    pack.mkdir()
    raw = copy.root / "data" / "raw"
    current = json.loads((raw / "manifest.json").read_text(encoding="utf-8"))["current"]
    # One value changed: Megvii's 2020 revenue (Shanghai prospectus basis).
    with (raw / current["revenue_by_region.csv"]).open(encoding="utf-8", newline="") as handle:
        revenue = list(csv.DictReader(handle))
    (row,) = [r for r in revenue if r["company"] == "Megvii" and r["period"] == "FY2020"]
    old = row["total_revenue"]
    # The example's figure and event, or others when the working tree took those in already.
    new = "1445" if old != "1445" else "1446"
    row["total_revenue"] = new
    write(pack / "revenue_by_region.csv", revenue)
    # One new event, with its source.
    with (raw / current["events.csv"]).open(encoding="utf-8", newline="") as handle:
        events = list(csv.DictReader(handle))
    event = "Megvii publishes its annual results for the desk's test."
    url = "https://www.megvii.com/en/news/test"
    if any(e["source_url"] == url for e in events):
        event, url = event.replace("test", "second test"), f"{url}-2"
    events.append(
        {
            **events[-1],
            "date": "2026-11-30",
            "event": event,
            "actor": "Megvii",
            "category": "company",
            "source_url": url,
            "date_basis": "event date stated in source",
        }
    )
    write(pack / "events.csv", events)

    printed = ""
    for command in commands(text):
        printed += copy.run(command.replace("../pack-2026-12-10", str(pack)))
    assert "allow-removals" not in printed
    assert f"total_revenue {old} -> {new}" in printed
    site = copy.root / paths.SITE_NAME
    page = lxml.html.fromstring((site / "company-megvii.html").read_bytes())
    assert event in page.text_content()
    assert new in (site / "charts" / "revenue-megvii.csv").read_text(encoding="utf-8")


def write(path: Path, rows: list[dict[str, str]]) -> None:
    """Write rows as a pack CSV."""
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
