"""Run the benchmark and write bench/results.json and bench/results.md.

(a) cold full render, (b) no-op render, (c) the floor and the render's ratio to it,
(d) page weight, (e) time until every chart on the story page has drawn in Chromium,
(f) cleaning a synthetic Consolidated Screening List of 10k, 100k and 1M rows.
"""

import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from entitylist import paths

HERE = Path(__file__).resolve().parent
TARGETS = {
    "render_to_floor": 3.0,
    "noop_seconds": 1.0,
    "story_page_bytes": 1.5e6,
    "clean_100k_seconds": 2.0,
}


def timed(command: list[str]) -> float:
    """Run a command to completion and return its wall time in seconds."""
    started = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def renders(out: Path) -> dict:
    """Cold full render into a fresh output root, then the same render with nothing changed."""
    cli = [sys.executable, "-m", "entitylist", "render", "--quiet"]
    shutil.rmtree(out, ignore_errors=True)
    cold = timed([*cli, "--force", "--output-root", str(out)])
    noop = [timed([*cli, "--output-root", str(out)]) for _ in range(5)]
    return {"cold_seconds": cold, "noop_seconds": statistics.median(noop), "noop_runs": noop}


def floor() -> dict:
    """The same computations in one plain process, best of three."""
    runs = [timed([sys.executable, "-m", "bench.floor"]) for _ in range(3)]
    return {"floor_seconds": min(runs), "floor_runs": runs}


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
    from bench.csl import synthetic
    from entitylist import parsers

    seconds = {}
    for rows in sizes:
        raw = synthetic(rows)[0].to_csv(index=False).encode()
        best = float("inf")
        for _ in range(3 if rows < 1_000_000 else 1):
            started = time.perf_counter()
            parsers.entity_list_rows(parsers.read_csl(raw))
            best = min(best, time.perf_counter() - started)
        seconds[str(rows)] = best
    return {"clean_seconds": seconds}


def machine() -> dict:
    """What the numbers were measured on."""
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "memory_gib": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
    }


def table(results: dict) -> str:
    """The results as the Markdown table the README shows."""
    r = results
    ratio = r["cold_seconds"] / r["floor_seconds"]
    clean = r["clean_seconds"]
    linear = clean["1000000"] / clean["100000"]
    story = r["pages"].get("story.html", 0)
    heaviest = max(r["pages"], key=r["pages"].get)
    rows = [
        ("(a) cold full render, every page", f"{r['cold_seconds']:.1f} s", ""),
        ("(b) no-op render (CLI, median of 5)", f"{r['noop_seconds']:.2f} s", "at most 1 s"),
        ("(c) floor: same computations, one process", f"{r['floor_seconds']:.1f} s", ""),
        ("(c) full render / floor", f"{ratio:.1f}x", "at most 3x"),
        ("(d) story page weight", f"{story / 1e6:.2f} MB", "at most 1.5 MB"),
        (f"(d) heaviest page ({heaviest})", f"{r['pages'][heaviest] / 1e6:.2f} MB", ""),
        ("(e) story page: every chart drawn (median of 5)", f"{r['draw_ms']:.0f} ms", ""),
        ("(f) clean 10k CSL rows", f"{clean['10000']:.2f} s", ""),
        ("(f) clean 100k CSL rows", f"{clean['100000']:.2f} s", "at most 2 s"),
        ("(f) clean 1M CSL rows", f"{clean['1000000']:.2f} s", ""),
        ("(f) 1M / 100k time (10 = linear)", f"{linear:.1f}", "about 10"),
    ]
    m = r["machine"]
    head = (
        f"Measured {r['date']} on {m['cpus']} CPUs, {m['memory_gib']} GiB, "
        f"Python {m['python']}, {m['platform']}.\n\n"
        "| measure | result | target |\n|---|---|---|\n"
    )
    return head + "\n".join(f"| {a} | {b} | {c} |" for a, b, c in rows) + "\n"


def main() -> None:
    """Run every measurement and write the results."""
    with tempfile.TemporaryDirectory(prefix="entitylist-bench-") as scratch:
        out = Path(scratch) / "out"
        results = {"date": time.strftime("%Y-%m-%d"), "machine": machine()}
        results |= renders(out)
        results |= floor()
        results["pages"] = page_weights(out / paths.SITE_NAME)
        results |= time_to_draw(out / paths.SITE_NAME / "story.html")
    results |= cleaning_scale()
    (HERE / "results.json").write_text(json.dumps(results, indent=2, sort_keys=True) + "\n")
    (HERE / "results.md").write_text(table(results))
    sys.stdout.write(table(results))


if __name__ == "__main__":
    main()
