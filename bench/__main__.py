"""Run the benchmark and write build/bench/results.{json,md} (bench/ with --record).

Everything is measured side by side in one run. Renders and edits happen in a scratch copy
of the repository (its package, notebooks and raw data, imported through PYTHONPATH), so
the real one is never touched:
- the old floor (floor_old.py), the tight floor (floor.py) and a cold render of every
  page, in turn, best of three each; then the same render with nothing changed (no-op);
- a prose edit (a word added to a heading of 40-story) until the published page shows it,
  through the CLI and through a running preview (resuming from the changed cell, and
  with --no-resume, from the top, as before);
- a chart-word edit (a word added to one chart's words, wherever the code keeps them):
  which notebook runs it re-runs, against the pages that show the chart;
- page weight, time until every chart on the story page has drawn in Chromium, and
  cleaning synthetic Consolidated Screening Lists of 10k, 100k and 1M rows.
Wall time is what the targets mean. The machine may be shared, so CPU time (user + system
of the measured process and everything it waited for) and the load average are kept too.
"""

import argparse
import contextlib
import json
import os
import platform
import re
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import nbformat

from bench import floor
from entitylist import paths
from entitylist.engine import render

HERE = Path(__file__).resolve().parent
STORY = "40-story.ipynb"
# A chart drawn by one notebook and embedded by the story: its words live in one place.
CHART = "rules-over-time"
# Issue 21's targets (the tight floor's, and page weight and cleaning, from before it).
TARGETS = {
    "cold_to_tight": 1.3,
    "tight_to_old": 0.6,
    "prose_cli_seconds": 2.5,
    "prose_preview_seconds": 1.0,
    "prose_preview_from_top_seconds": 1.0,
    "noop_seconds": 0.2,
    "story_page_bytes": 1.5e6,
    "clean_100k_seconds": 2.0,
}


class Repo:
    """A scratch copy of the repository that renders with its own copy of the package."""

    def __init__(self, root: Path) -> None:
        """Copy the package, notebooks and raw data under root."""
        self.root = root
        ignore = shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints")
        for name in ("src", "notebooks", "data/raw"):
            shutil.copytree(paths.ROOT / name, root / name, ignore=ignore)
        shutil.copy2(paths.ROOT / "requirements.txt", root / "requirements.txt")
        self.env = {**os.environ, "PYTHONPATH": str(root / "src")}
        self.env.pop(paths.OUTPUT_ROOT_ENV, None)

    @property
    def site(self) -> Path:
        """The copy's published site."""
        return self.root / paths.SITE_NAME

    def command(self, *args: str) -> list[str]:
        """`python -m entitylist ARGS` for this copy."""
        return [sys.executable, "-m", "entitylist", *args]

    def run(self, *args: str) -> dict:
        """Run the CLI to completion: wall and CPU seconds, and what it printed on stderr."""
        return timed(self.command(*args), env=self.env, cwd=self.root)


def cpu_of_children() -> float:
    """User plus system seconds of every finished child process so far."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(command: list[str], env: dict | None = None, cwd: Path | None = None) -> dict:
    """Run a command to completion; return its wall and CPU seconds and its stderr."""
    cpu, started = cpu_of_children(), time.perf_counter()
    done = subprocess.run(
        command,
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=cwd,
    )
    return {
        "wall": time.perf_counter() - started,
        "cpu": cpu_of_children() - cpu,
        "stderr": done.stderr,
    }


def ran(log: str) -> list[str]:
    """The notebook runs a render's log reports, in order."""
    return [line.split()[1] for line in log.splitlines() if line.strip().startswith("ran ")]


def stages(log: str) -> dict[str, float]:
    """Seconds per part of the last render a log reports ('took prepare 0.31 s, ...')."""
    took = [line for line in log.splitlines() if line.startswith("took ")]
    if not took:
        return {}
    parts = re.findall(r"(\w+) ([\d.]+) s", took[-1].split(" (checked")[0])
    return {name: float(seconds) for name, seconds in parts}


def shown_stages(found: dict[str, float]) -> str:
    """Parts of a render as the table shows them."""
    return ", ".join(f"{name} {seconds:.1f} s" for name, seconds in found.items()) or "not logged"


def side_by_side(repo: Repo, rounds: int = 3) -> dict:
    """Both floors and a cold render in turn (best of each), then five no-op renders."""
    # In turn, so that all three see the same machine: it may be shared.
    found: dict[str, list[dict]] = {"old_floor": [], "tight_floor": [], "cold": []}
    for _ in range(rounds):
        for name, module in (("old_floor", "bench.floor_old"), ("tight_floor", "bench.floor")):
            found[name].append(timed([sys.executable, "-m", module], cwd=paths.ROOT))
        # Cold: no record of the last render, so every notebook runs and every file is
        # checked (with one, --force would run them all but carry unchanged files' checks).
        for state in (repo.root / "build" / "runs").glob("*/state.json"):
            state.unlink()
        found["cold"].append(repo.run("render", "--force"))
    best = {name: min(runs, key=lambda r: r["wall"]) for name, runs in found.items()}
    noop = [repo.run("render", "--quiet")["wall"] for _ in range(5)]
    results = {f"{name}_seconds": run["wall"] for name, run in best.items()}
    results |= {f"{name}_cpu_seconds": run["cpu"] for name, run in best.items()}
    return results | {
        "floor_uncovered_charts": floor.coverage(repo.root / paths.CHARTS_NAME),
        "runs_seconds": {name: [r["wall"] for r in runs] for name, runs in found.items()},
        "cold_runs": ran(best["cold"]["stderr"]),
        "cold_stages": stages(best["cold"]["stderr"]),
        "noop_seconds": statistics.median(noop),
        "noop_runs": noop,
    }


def edit_heading(notebook: Path, word: str) -> str:
    """Add a word to the notebook's first Markdown heading; return the word as published."""
    book = nbformat.read(notebook, as_version=4)
    for cell in book.cells:
        found = re.search(r"^(#+ .*?)\s*$", cell.source, re.MULTILINE)
        if cell.cell_type == "markdown" and found:
            cell.source = cell.source.replace(found.group(1), f"{found.group(1)} {word}", 1)
            nbformat.write(book, notebook)
            return word
    msg = f"{notebook.name}: no Markdown heading to edit"
    raise LookupError(msg)


def prose_cli(repo: Repo, rounds: int = 3) -> dict:
    """Edit a heading of the story, render with the CLI, until the page shows it."""
    seconds, parts = [], []
    for number in range(1, rounds + 1):
        word = edit_heading(repo.root / "notebooks" / STORY, f"(revision {number})")
        result = repo.run("render")
        page = (repo.site / "story.html").read_text(encoding="utf-8")
        if word not in page:
            msg = f"story.html does not show the edit {word!r} after a render"
            raise RuntimeError(msg)
        seconds.append(result["wall"])
        parts.append(stages(result["stderr"]))
    return {
        "prose_cli_seconds": statistics.median(seconds),
        "prose_cli_runs": seconds,
        "prose_cli_stages": parts[seconds.index(statistics.median(seconds))],
    }


def free_port() -> int:
    """A port nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def fetch(url: str) -> str:
    """The text at a URL, or '' if it cannot be fetched yet."""
    try:
        with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 (localhost)
            return response.read().decode()
    except OSError:
        return ""


def wait_for(check: Callable[[], bool], seconds: float = 300.0, every: float = 0.02) -> float:
    """Poll until check() is true; return the seconds it took (bounded)."""
    started = time.perf_counter()
    while not check():
        if time.perf_counter() - started > seconds:
            msg = f"gave up after {seconds:.0f} s"
            raise TimeoutError(msg)
        time.sleep(every)
    return time.perf_counter() - started


@contextlib.contextmanager
def running_preview(repo: Repo, *flags: str) -> Iterator[tuple[str, list[str]]]:
    """A preview of the copy on a free port: its address and the lines it has logged."""
    port = free_port()
    server = subprocess.Popen(
        repo.command("preview", "--port", str(port), *flags),
        env=repo.env,
        cwd=repo.root,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines: list[str] = []
    threading.Thread(target=lambda: lines.extend(server.stderr), daemon=True).start()
    try:
        yield f"http://127.0.0.1:{port}", lines
    finally:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(timeout=60)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def prose_preview(repo: Repo, rounds: int = 3, how: str = "preview", *flags: str) -> dict:
    """Edit a heading of the story under a running preview, until it serves the new page."""
    seconds, parts = [], []
    with running_preview(repo, *flags) as (address, lines):
        wait_for(lambda: any("nothing changed" in line or "published" in line for line in lines))
        # A reporter's first edit comes a while after starting: let the zygote finish importing.
        time.sleep(3)
        for number in range(1, rounds + 1):
            word = edit_heading(repo.root / "notebooks" / STORY, f"({how} {number})")
            seconds.append(wait_for(lambda w=word: w in fetch(f"{address}/story.html")))
            time.sleep(1)
            parts.append(stages("\n".join(lines)))
    return {
        f"prose_{how}_seconds": statistics.median(seconds),
        f"prose_{how}_runs": seconds,
        f"prose_{how}_stages": parts[seconds.index(statistics.median(seconds))],
    }


def words_source(repo: Repo, chart: str) -> tuple[Path, str]:
    """Where the code keeps a chart's words: a file, and a phrase of its headline or dek."""
    spec = json.loads((repo.root / "charts" / f"{chart}.vl.json").read_text(encoding="utf-8"))
    lines = [spec["title"]["text"], spec["title"].get("subtitle", "")]
    words = " ".join(" ".join(x) if isinstance(x, list) else x for x in lines).split()
    # The notebooks first: where the words belong once they leave the package.
    candidates = [
        path
        for folder in ("notebooks", "src")
        for path in sorted((repo.root / folder).rglob("*"))
        if path.suffix in {".ipynb", ".py", ".j2", ".yaml", ".yml", ".md", ".txt", ".toml"}
    ]
    texts = {path: path.read_text(encoding="utf-8") for path in candidates}
    # Numbers in a headline are computed: look for four words in a row that the code spells.
    for at in range(len(words) - 3):
        phrase = " ".join(words[at : at + 4])
        for path, text in texts.items():
            if phrase in text:
                return path, phrase
    msg = f"{chart}: none of its headline or dek is spelled in the notebooks or src/"
    raise LookupError(msg)


def chart_word_edit(repo: Repo, chart: str = CHART) -> dict:
    """Add a word to one chart's headline or dek; which runs re-run, which pages show it."""
    path, phrase = words_source(repo, chart)
    path.write_text(
        path.read_text(encoding="utf-8").replace(phrase, f"Revised: {phrase}", 1),
        encoding="utf-8",
    )
    result = repo.run("render")
    steps = render.load_pipeline(repo.root / "notebooks" / "pipeline.yaml")
    showing = sorted(
        s.id
        for s in steps
        if s.page_file
        and f'data-chart="{chart}"' in (repo.site / s.page_file).read_text(encoding="utf-8")
    )
    return {
        "chart_word_chart": chart,
        "chart_word_file": str(path.relative_to(repo.root)),
        "chart_word_reran": sorted(ran(result["stderr"])),
        "chart_word_showing": showing,
        "chart_word_seconds": result["wall"],
        "notebook_runs": len(steps),
    }


def page_weights(site: Path) -> dict[str, int]:
    """Bytes of every page of the site."""
    return {p.name: p.stat().st_size for p in sorted(site.glob("*.html"))}


def time_to_draw(page: Path, runs: int = 5) -> dict:
    """Milliseconds from navigation start until every chart on the page has an SVG, in Chromium."""
    from playwright.sync_api import sync_playwright

    args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
    times = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=shutil.which("chromium"), args=args)
        for _ in range(runs):
            tab = browser.new_page(viewport={"width": 1280, "height": 900})
            tab.goto(page.as_uri(), wait_until="load")
            tab.wait_for_function(
                "[...document.querySelectorAll('figure.chart')].every("
                "f => f.querySelector('.chart-wide svg'))"
            )
            times.append(tab.evaluate("performance.now()"))
            tab.close()
        browser.close()
    return {"draw_ms": statistics.median(times), "draw_runs_ms": times}


def cleaning_scale(sizes: tuple[int, ...] = (10_000, 100_000, 1_000_000)) -> dict:
    """Seconds to clean synthetic CSL tables of growing size, from CSV bytes to tidy rows."""
    from bench.csl import clean, synthetic

    seconds = {}
    for rows in sizes:
        raw = synthetic(rows)[0].to_csv(index=False).encode()
        best = float("inf")
        for _ in range(3 if rows < 1_000_000 else 1):
            started = time.perf_counter()
            clean(raw)
            best = min(best, time.perf_counter() - started)
        seconds[str(rows)] = best
    return {"clean_seconds": seconds}


def machine() -> dict:
    """What the numbers were measured on, and how busy it was."""
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "memory_gib": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
        "load_at_start": os.getloadavg(),
    }


def verdict(value: float, limit: float, unit: str = "") -> str:
    """'met', or by how much a value misses its upper limit."""
    if value <= limit:
        return "met"
    return f"missed by {value - limit:.2f}{unit} ({value / limit:.1f}x the target)"


def prose_edit_rows(r: dict, how: str, shown: str, render: str) -> list[tuple[str, ...]]:
    """The table's two rows for a prose edit made one way (preview or CLI): time, by part."""
    seconds, target = r[f"prose_{how}_seconds"], TARGETS[f"prose_{how}_seconds"]
    runs = ", ".join(f"{x:.2f}" for x in r[f"prose_{how}_runs"])
    return [
        (
            f"prose edit to published page, {shown} (median of 3)",
            f"{seconds:.2f} s ({runs})",
            f"at most {target:.1f} s",
            verdict(seconds, target, " s"),
        ),
        (
            f"{render} of that edit, by part (median run)",
            shown_stages(r.get(f"prose_{how}_stages", {})),
            "",
            "",
        ),
    ]


def rows(r: dict) -> list[tuple[str, str, str, str]]:
    """The table: measure, result, target, verdict."""
    cold_ratio = r["cold_seconds"] / r["tight_floor_seconds"]
    cold_cpu = r["cold_cpu_seconds"] / r["tight_floor_cpu_seconds"]
    floor_ratio = r["tight_floor_seconds"] / r["old_floor_seconds"]
    floor_cpu = r["tight_floor_cpu_seconds"] / r["old_floor_cpu_seconds"]
    clean = r["clean_seconds"]
    story = r["pages"].get("story.html", 0)
    heaviest = max(r["pages"], key=r["pages"].get)
    reran, showing = r["chart_word_reran"], r["chart_word_showing"]
    return [
        ("cold render, every page", f"{r['cold_seconds']:.1f} s", "", ""),
        ("tight floor (bench/floor.py, best of 3)", f"{r['tight_floor_seconds']:.1f} s", "", ""),
        ("old floor (bench/floor_old.py, best of 3)", f"{r['old_floor_seconds']:.1f} s", "", ""),
        (
            "published charts the tight floor does not draw",
            ", ".join(r.get("floor_uncovered_charts", [])) or "none",
            "none (else the ratio below flatters the render)",
            "",
        ),
        (
            "cold render, by part (best run)",
            shown_stages(r.get("cold_stages", {})),
            "",
            "",
        ),
        (
            "cold render / tight floor",
            f"{cold_ratio:.2f}x (CPU time {cold_cpu:.2f}x)",
            "at most 1.3",
            # The render uses both cores, the floor one: CPU time is not held to the target.
            verdict(cold_ratio, TARGETS["cold_to_tight"], "x"),
        ),
        (
            "tight floor / old floor",
            f"{floor_ratio:.2f}x (CPU time {floor_cpu:.2f}x)",
            "at most 0.6",
            f"{verdict(floor_ratio, TARGETS['tight_to_old'], 'x')}; CPU time "
            + verdict(floor_cpu, TARGETS["tight_to_old"], "x"),
        ),
        *prose_edit_rows(r, "preview", "running preview", "the preview's render"),
        *prose_edit_rows(
            r,
            "preview_from_top",
            "running preview --no-resume (from the top, as before)",
            "that preview's render",
        ),
        *prose_edit_rows(r, "cli", "CLI render", "the CLI render"),
        (
            "no-op render (CLI, median of 5)",
            f"{r['noop_seconds']:.2f} s",
            "at most 0.2 s",
            verdict(r["noop_seconds"], TARGETS["noop_seconds"], " s"),
        ),
        (
            f"chart-word edit ({r['chart_word_chart']}, words in {r['chart_word_file']})",
            f"re-ran {len(reran)} of {r['notebook_runs']} runs",
            f"only the {len(showing)} that show it ({', '.join(showing)})",
            "met" if reran == showing else f"missed by {len(set(reran) - set(showing))} runs",
        ),
        (
            "story page weight",
            f"{story / 1e6:.2f} MB",
            "at most 1.5 MB",
            verdict(story / 1e6, TARGETS["story_page_bytes"] / 1e6, " MB"),
        ),
        (f"heaviest page ({heaviest})", f"{r['pages'][heaviest] / 1e6:.2f} MB", "", ""),
        ("story page: every chart drawn (median of 5)", f"{r['draw_ms']:.0f} ms", "", ""),
        ("clean 10k CSL rows", f"{clean['10000']:.2f} s", "", ""),
        (
            "clean 100k CSL rows",
            f"{clean['100000']:.2f} s",
            "at most 2 s",
            verdict(clean["100000"], TARGETS["clean_100k_seconds"], " s"),
        ),
        ("clean 1M CSL rows", f"{clean['1000000']:.2f} s", "", ""),
        (
            "1M / 100k time (10 = linear)",
            f"{clean['1000000'] / clean['100000']:.1f}",
            "about 10",
            "",
        ),
    ]


def table(results: dict) -> str:
    """The results as the Markdown table the README shows."""
    m = results["machine"]
    load = ", ".join(f"{x:.1f}" for x in m["load_at_start"])
    head = (
        f"Measured {results['date']} on {m['cpus']} CPUs, {m['memory_gib']} GiB, "
        f"Python {m['python']}, {m['platform']}; load average at the start {load}.\n\n"
        "| measure | result | target | |\n|---|---|---|---|\n"
    )
    return head + "\n".join(f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows(results)) + "\n"


def out_dir(record: bool) -> Path:
    """Where results go: build/bench, or bench/ (tracked, for the README) when recording."""
    return HERE if record else paths.BUILD / "bench"


def main(argv: list[str] | None = None) -> None:
    """Run every measurement and write the results (to the tracked files only with --record)."""
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument(
        "--record",
        action="store_true",
        help="write bench/results.{json,md}, the tracked results the README quotes",
    )
    record = parser.parse_args(argv).record
    results = {"date": time.strftime("%Y-%m-%d"), "machine": machine()}
    with tempfile.TemporaryDirectory(prefix="entitylist-bench-") as scratch:
        repo = Repo(Path(scratch) / "repo")
        results |= side_by_side(repo)
        results["pages"] = page_weights(repo.site)
        results |= time_to_draw(repo.site / "story.html")
        results |= prose_cli(repo)
        results |= prose_preview(repo)
        # The same, side by side: the preview as it was, running the story from the top.
        results |= prose_preview(repo, 3, "preview_from_top", "--no-resume")
        results |= chart_word_edit(repo)
    results |= cleaning_scale()
    target = out_dir(record)
    target.mkdir(parents=True, exist_ok=True)
    (target / "results.json").write_text(json.dumps(results, indent=2, sort_keys=True) + "\n")
    (target / "results.md").write_text(table(results))
    sys.stdout.write(table(results) + f"\nwrote {paths.shown(target)}/results.json and .md\n")


if __name__ == "__main__":
    main()
