"""Render the site: plan what must run, run it in a new generation, check it, publish it.

`plan` decides (without side effects), `runner` runs the notebooks, `release` publishes
atomically. This module ties them together under the checkout's render lock.
"""

import hashlib
import shutil
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from entitylist import atomic, paths
from entitylist.data import asof, manifest
from entitylist.engine import checkpoints, globs, kernels, plan, release
from entitylist.engine.pipeline import (
    HAND_KEPT,
    OUTPUTS,
    Step,
    World,
    code_hash,
    load_pipeline,
    notebook_parameters,
    scan,
    select,
    step_parameters,
    validate_overrides,
)
from entitylist.engine.plan import Decision
from entitylist.engine.runner import run_stage
from entitylist.errors import ParameterError, RemovalError, RenderError

# Names other modules and tests import from here.
__all__ = [
    "OUTPUTS",
    "Result",
    "Step",
    "load_pipeline",
    "notebook_parameters",
    "render",
    "state_file",
    "work_dir",
]


@dataclass
class Result:
    """What a render did: the steps it ran and skipped, whether it published, its time."""

    output_root: Path
    ran: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    published: bool = False
    seconds: float = 0.0
    changes: dict = field(default_factory=dict)
    plan: list[Decision] = field(default_factory=list)
    # The site files the checks read (paths under site/); the others were carried over.
    checked: list[str] = field(default_factory=list)
    # Seconds per part of a render that published: prepare, notebooks, site, checks, publish.
    stages: dict[str, float] = field(default_factory=dict)
    # Under the preview: the steps that resumed from a checkpoint, and the cell each resumed
    # at, numbered as in the notebook (from 1).
    resumed: dict[str, int] = field(default_factory=dict)


def work_dir(out_root: Path) -> Path:
    """Return build/runs/<key>: this output root's generations, executed notebooks, state."""
    key = hashlib.sha256(str(out_root).encode()).hexdigest()[:12]
    return paths.BUILD / "runs" / key


def state_file(out_root: Path) -> Path:
    """Where the record of the last good render into this output root is kept."""
    return work_dir(out_root) / "state.json"


def check_pages(site: Path, only: set[str] | None = None, links: bool = True) -> None:
    """Run the page checks on every page bound for site/ (or those of `only`); every page's
    links when `links`."""
    # lazy: pages, guard and changes import pandas; a no-op render imports none of them.
    from entitylist.pages import site as pages

    for file in sorted(site.glob("*.html")):
        if only is None or file.name in only:
            pages.check(file.name, file.read_text(encoding="utf-8"))
    pages.check_site_files(site, only, links)


def check_guard(site: Path, as_of: str | None, only: set[str] | None = None) -> None:
    """The publication guard on every file bound for site/, or those of `only` (guard.py)."""
    # lazy: see check_pages.
    from entitylist.pages import guard

    guard.check_site(site, as_of=asof.parse(as_of), only=only)


def check_site(
    site: Path, as_of: str | None = None, only: set[str] | None = None, links: bool = True
) -> None:
    """Every check a finished site must pass before it is published (on the files of `only`,
    paths under site/, when given); each raises a DeskError naming the file at fault."""
    check_pages(site, only, links)
    check_guard(site, as_of, only)


def check_key(code: str, as_of: str | None) -> str:
    """What the checks' verdict on a site file depends on besides its bytes: the package (the
    checks' own code), the raw snapshot (its manifest holds every file's hash), the hand-kept
    files and the as-of day. The same key and the same bytes give the same verdict."""
    digest = hashlib.sha256()
    parts = [("code", code.encode()), ("as_of", (as_of or "").encode())]
    parts.append(("manifest", manifest.manifest_path(paths.RAW).read_bytes()))
    for name in HAND_KEPT:
        file = paths.ROOT / name
        parts.append((name, file.read_bytes() if file.exists() else b"\0missing"))
    for name, data in parts:
        digest.update(f"{name}\0{len(data)}\0".encode())
        digest.update(data)
    return digest.hexdigest()


def site_hashes(world: World) -> dict[str, str]:
    """The hash of every file under site/, keyed by its path under site/."""
    prefix = f"{paths.SITE_NAME}/"
    return {p.removeprefix(prefix): d for p, d in world.files.items() if p.startswith(prefix)}


def to_check(checked: dict | None, key: str, now: dict[str, str]) -> tuple[set[str] | None, bool]:
    """The site files the checks must read, and whether every page's links must be followed.

    A file that passed them in the last published render, under the same key and with the
    same bytes, is carried over; everything is checked when the key changed or nothing
    passed. Links are followed on every page when a file that passed is gone.
    """
    if not checked or checked.get("key") != key:
        return None, True
    passed = checked.get("files", {})
    fresh = {path for path, digest in now.items() if passed.get(path) != digest}
    return fresh, bool(passed.keys() - now.keys())


def copy_downloads(work_root: Path) -> None:
    """Put the chart files in site/charts so the site is self-contained.

    The tables' downloads (site/data) are written by the notebooks, as of the page's date.
    """
    site = work_root / paths.SITE_NAME
    shutil.rmtree(site / paths.CHARTS_NAME, ignore_errors=True)
    (site / paths.CHARTS_NAME).mkdir(parents=True)
    for file in sorted((work_root / paths.CHARTS_NAME).glob("*")):
        if file.is_file():
            shutil.copy2(file, site / paths.CHARTS_NAME / file.name)


def index_order(step: Step) -> tuple:
    """The story first, then the figure pages and profiles, the data page last."""
    return (step.page != "story", step.stage == 1, step.stage, step.id)


def write_index(steps: list[Step], page_meta: dict, work_root: Path) -> None:
    """Write site/index.html linking every page the pipeline publishes."""
    # lazy: see check_pages.
    from entitylist.pages import site as pages

    listed = [
        pages.Page(s.page_file, page_meta[s.page_file]["title"], page_meta[s.page_file]["summary"])
        for s in sorted(steps, key=index_order)
        if s.page_file in page_meta and "title" in page_meta[s.page_file]
    ]
    atomic.write_text(work_root / paths.SITE_NAME / "index.html", pages.index_html(listed))


def consented_in_manifest(table: str) -> set[str]:
    """The rows of a processed table whose removal `update --allow-removals` consented to."""
    # lazy: sources imports pandas; see check_pages.
    from entitylist.data import sources

    return manifest.consented(paths.RAW, sources.RAW_SOURCES.get(table, []), table)


def guard_removals(report: dict, allow: bool, consented: Callable[[str], set[str]] | None) -> None:
    """Refuse to publish tables that lost rows, unless this render is told to (the flag) or
    the update that removed them consented to each of those rows (the manifest)."""
    # lazy: see check_pages.
    from entitylist.data.changes import removals

    lost = {}
    for name, keys in removals(report).items():
        agreed = set() if allow or consented is None else consented(name)
        unagreed = [key for key in keys if not allow and key not in agreed]
        if unagreed:
            lost[name] = unagreed
    if lost:
        parts = [
            f"{name}.csv lost {len(keys)} row(s) (first: {', '.join(keys[:3])})"
            for name, keys in sorted(lost.items())
        ]
        msg = (
            f"not published: {'; '.join(parts)} since the last published render; "
            "re-run with --allow-removals if this is intended"
        )
        raise RemovalError(msg)


def describe(decisions: list[Decision]) -> str:
    """The plan as a reporter reads it: one line per step, what happens and why."""
    width = max((len(d.step) for d in decisions), default=0)
    return "\n".join(f"  {d.step:<{width}}  {d.action:<7}  {d.reason}" for d in decisions)


def render_made(steps: list[Step], world: World) -> dict[str, str]:
    """The site files the render itself makes (index, chart copies, assets), with hashes:
    every file under site/ that no step's writes cover."""
    prefix = f"{paths.SITE_NAME}/"
    return {
        path: digest
        for path, digest in world.files.items()
        if path.startswith(prefix)
        and not any(globs.matches(w, path) for s in steps for w in s.outputs)
    }


def site_damage(state: dict, recorded: dict[str, str] | None, now: dict[str, str]) -> list[str]:
    """One line per site file that is not what the last render made: edited, added, missing.

    A page of a notebook the pipeline no longer lists was made by the render: it goes quietly.
    """
    if recorded is None:
        return []
    made = {path for entry in state.get("steps", {}).values() for path in entry["outputs"]}
    lines = []
    for path in sorted(recorded.keys() | now.keys()):
        if path not in now:
            lines.append(f"{path} is missing")
        elif path not in recorded:
            if path not in made:
                lines.append(f"{path} was not made by the render")
        elif recorded[path] != now[path]:
            lines.append(f"{path} edited by hand")
    return lines


def clear_render_made(steps: list[Step], generation_dir: Path, world: World) -> None:
    """Remove from a new generation the site files the render makes again at its end, so a
    hand edit or a stray file in the live site never reaches the next one."""
    for path in render_made(steps, world):
        (generation_dir / path).unlink(missing_ok=True)


def check_output_root(out_root: Path, notebooks: Path) -> None:
    """Refuse an output root inside the sources: the raw snapshot, the notebooks, the code."""
    sources = {
        paths.RAW: "the raw snapshot",
        notebooks.resolve(): "the notebooks",
        paths.NOTEBOOKS: "the notebooks",
        paths.ROOT / "src": "the package's code",
    }
    for folder, what in sources.items():
        if out_root.is_relative_to(folder.resolve()):
            msg = (
                f"--output-root {paths.shown(out_root)}: inside {paths.shown(folder)} "
                f"({what}), which a render never writes; choose a folder outside it"
            )
            raise ParameterError(msg)


def check_live_untouched(before: World, after: World) -> None:
    """Refuse to publish when the live outputs changed while notebooks ran in a generation."""
    touched = sorted(
        p
        for p in before.files.keys() | after.files.keys()
        if before.files.get(p) != after.files.get(p)
    )
    if touched:
        msg = (
            f"{touched[0]} changed in the live outputs while the notebooks ran "
            f"({len(touched)} file(s)): a notebook wrote outside its output root; write under "
            "output_root (paths.processed_dir(output_root) etc.); nothing was published"
        )
        raise RenderError(msg)


def generation_files(root: Path) -> list[str]:
    """Every top-level folder of a generation, so a write anywhere in it is seen."""
    return sorted(p.name for p in root.iterdir())


@dataclass
class Run:
    """One render's fixed inputs, shared by its stages."""

    steps: list[Step]
    state: dict
    params: dict[str, dict]
    code: str
    notebooks: Path
    force: bool
    selected: set[str] | None
    jobs: int
    log: Callable[[str], None]
    progress: bool

    def world(self, root: Path, folders: Iterable[str] = OUTPUTS) -> World:
        """Hash what the plan looks at under root."""
        return scan(self.steps, root, self.notebooks, self.params, self.code, folders)

    def decide(self, world: World, records: dict | None = None) -> dict[str, Decision]:
        """Plan every step against a world, with the step records so far."""
        state = self.state if records is None else {**self.state, "steps": records}
        decisions = plan.plan(self.steps, state, world, self.force, self.selected)
        return {d.step: d for d in decisions}


def stray_message(stray: dict[str, list], steps: list[Step]) -> str:
    """Name a file written without being declared, and advice that never leads to two
    writers of one file: a file another step owns is to be written under another name."""
    path, writers = next(iter(stray.items()))
    owners = [s.id for s in steps if any(globs.matches(w, path) for w in s.outputs)]
    advice = (
        f"pipeline.yaml gives it to {' and '.join(owners)}; write it under another name"
        if owners
        else "add it there or stop writing it"
    )
    return (
        f"{' or '.join(writers)} wrote {path}, which pipeline.yaml does not list in its "
        f"writes; {advice} ({len(stray)} such file(s))"
    )


def keeps_for(
    todo: list[Step],
    run: Run,
    world: World,
    decisions: dict[str, Decision],
    records: dict,
    generation_dir: Path,
) -> dict[str, checkpoints.Keep]:
    """Under the preview's pool, each step's checkpoints: it may resume when its notebook is
    all that changed; its old outputs are cleared once the resume point is known."""
    pool = kernels.active()
    store = pool.checkpoints if pool else None
    if store is None or not todo:
        return {}
    root = store.root(generation_dir)
    return {
        step.id: checkpoints.Keep(
            store,
            step.id,
            checkpoints.base_key(plan.record(step, world), step.id),
            decisions[step.id].reason == f"notebook changed: {step.notebook}",
            root,
            clear=plan.disowned(step, run.steps, records),
        )
        for step in todo
    }


def run_stages(run: Run, generation_dir: Path, executed: Path, result: Result) -> tuple:
    """Run each stage's steps that must run, in the generation; return step records, pages."""
    records = {s.id: run.state["steps"][s.id] for s in run.steps if s.id in run.state["steps"]}
    page_files = {s.page_file for s in run.steps}
    page_meta = {k: v for k, v in run.state["pages"].items() if k in page_files}
    shutil.rmtree(executed, ignore_errors=True)
    # Hashed once here, then once after each stage that runs: nothing else writes there.
    world = run.world(generation_dir, generation_files(generation_dir))
    for number in sorted({s.stage for s in run.steps}):
        # Planned again with what the stages before produced: "may run" becomes run or skip.
        decisions = run.decide(world, records)
        todo = [s for s in run.steps if s.stage == number and decisions[s.id].action == plan.RUN]
        if not todo:
            continue
        # A step owns what it wrote last time, unless pipeline.yaml now gives it to another
        # step: an output it no longer writes goes, a moved one stays.
        cleared = {output for step in todo for output in plan.disowned(step, run.steps, records)}
        keeps = keeps_for(todo, run, world, decisions, records, generation_dir)
        for output in cleared - {o for keep in keeps.values() for o in keep.clear}:
            (generation_dir / output).unlink(missing_ok=True)
        before = {path: digest for path, digest in world.files.items() if path not in cleared}
        run.log(f"stage {number}: {len(todo)} notebook(s)")
        page_meta.update(
            run_stage(
                todo,
                run.params,
                generation_dir,
                executed,
                run.notebooks,
                run.jobs,
                run.log,
                run.progress,
                keeps,
            )
        )
        result.resumed.update({k: v.resumed_at for k, v in keeps.items() if v.resumed_at})
        outside = release.beside_generations(generation_dir)
        if outside:
            for path in outside:
                release.remove_tree(path)
            msg = (
                f"{' or '.join(s.id for s in todo)} wrote ../{outside[0].name}, outside its "
                "output root; write paths under output_root"
            )
            raise RenderError(msg)
        after = run.world(generation_dir, generation_files(generation_dir))
        stray = plan.undeclared(before, after.files, todo)
        if stray:
            raise RenderError(stray_message(stray, run.steps))
        records.update({s.id: plan.record(s, after) for s in todo})
        result.ran += [s.id for s in todo]
        world = after
    return records, page_meta


# Notebook runs fork warm kernels from one zygote, started only if a notebook runs.
@kernels.warm()
def render(
    as_of: str | None = None,
    only: Iterable[str] | None = None,
    force: bool = False,
    jobs: int = 2,
    overrides: dict[str, str] | None = None,
    quiet: bool = False,
    output_root: Path | None = None,
    pipeline: Path = paths.PIPELINE,
    allow_removals: bool = False,
    dry_run: bool = False,
    wait: bool = True,
    removals_consented: Callable[[str], set[str]] | None = None,
) -> Result:
    """Render the site: run what must run, check every page, then publish all at once."""
    started = time.perf_counter()

    def log(message: str) -> None:
        if not quiet:
            print(message, file=sys.stderr, flush=True)

    warn = kernels.warn_line
    asof.parse(as_of)
    notebooks = pipeline.parent
    steps = load_pipeline(pipeline)
    chosen = select(steps, only)
    typed = validate_overrides(steps, dict(overrides or {}), notebooks)
    manifest.verify_manifest()
    out_root = Path(output_root or (paths.BUILD / f"as-of-{as_of}" if as_of else paths.ROOT))
    out_root = out_root.resolve()
    check_output_root(out_root, notebooks)
    runs = work_dir(out_root)
    result = Result(out_root)
    run = Run(
        steps=steps,
        state=release.empty_state(),
        params={s.id: step_parameters(s, as_of, typed, notebooks) for s in steps},
        code=code_hash(),
        notebooks=notebooks,
        force=force,
        selected={s.id for s in chosen} if only else None,
        jobs=jobs,
        log=log,
        progress=not quiet and sys.stderr.isatty(),
    )

    if dry_run:
        run.state, warning = release.read_state(state_file(out_root))
        result.plan = list(run.decide(run.world(out_root)).values())
        if warning:
            warn(warning)
        if release.journal_path(runs).exists():
            print("an interrupted publish will be finished first")
        print(f"plan for {out_root} (nothing is run):\n{describe(result.plan)}")
        result.seconds = time.perf_counter() - started
        return result

    with release.render_lock(paths.BUILD / "render.lock", wait, log):
        state, warning = release.read_state(state_file(out_root))
        if warning:
            aside = release.quarantine(state_file(out_root))
            warn(f"{warning} (set aside as {aside.name})" if aside else warning)
        journal, warning = release.read_journal(runs)
        if warning:
            warn(warning)
            state = release.empty_state()
        run.state = release.recover(out_root, runs, state, log, journal)
        release.preflight(out_root)
        live = run.world(out_root)
        result.plan = list(run.decide(live).values())
        for decision in result.plan:
            if decision.edited:
                warn(
                    f"{', '.join(decision.edited)} edited by hand: {decision.step} runs "
                    "again and the edit is not published"
                )
        # Without a record (nothing published, or a state from before the site's own files
        # were recorded) the site is rebuilt, quietly.
        recorded = run.state.get("site") if run.state.get("generation") else None
        damaged = site_damage(run.state, recorded, render_made(steps, live))
        for line in damaged:
            warn(f"{line}: the site is rebuilt and the change is not published")
        rebuild = bool(damaged) or recorded is None
        if not rebuild and not any(d.action == plan.RUN for d in result.plan):
            result.skipped = [s.id for s in chosen]
            log("nothing changed: the site is up to date")
            result.seconds = time.perf_counter() - started
            return result
        pool = kernels.active()
        if pool is not None and any(d.action == plan.RUN for d in result.plan):
            # The zygote imports the notebook libraries on the other core while this process
            # copies the generation and imports papermill, instead of after.
            pool.start()
        # lazy: see check_pages.
        from entitylist.data import changes
        from entitylist.pages import site as pages

        release.check_space(out_root, runs)
        generation, generation_dir = release.new_generation(runs, out_root, warn)
        try:
            clear_render_made(steps, generation_dir, run.world(generation_dir))
            stage_started = time.perf_counter()
            result.stages["prepare"] = stage_started - started
            records, page_meta = run_stages(run, generation_dir, runs / "executed", result)
            result.stages["notebooks"] = time.perf_counter() - stage_started
            stage_started = time.perf_counter()
            check_live_untouched(live, run.world(out_root))
            copy_downloads(generation_dir)
            pages.write_assets(generation_dir / paths.SITE_NAME)
            write_index(steps, page_meta, generation_dir)
            made = run.world(generation_dir)
            key, now = check_key(run.code, as_of), site_hashes(made)
            only, links = to_check(run.state.get("checked"), key, now)
            result.stages["site"] = time.perf_counter() - stage_started
            stage_started = time.perf_counter()
            check_site(generation_dir / paths.SITE_NAME, as_of, only, links)
            result.checked = sorted(now if only is None else only)
            result.stages["checks"] = time.perf_counter() - stage_started
            stage_started = time.perf_counter()
            report = changes.compare(
                release.last_published(out_root, runs, run.state), generation_dir
            )
            guard_removals(report, allow_removals, removals_consented or consented_in_manifest)
            new_state = {
                **release.empty_state(),
                "generation": generation,
                "previous": release.live_generation(out_root, run.state),
                "steps": records,
                "pages": page_meta,
                "site": render_made(steps, made),
                "checked": {"key": key, "files": now},
            }
            release.publish(out_root, runs, generation, new_state)
        except BaseException:
            # Once journalled, the generation is the one the next render finishes publishing.
            if not release.journal_path(runs).exists():
                release.discard(runs, generation)
            raise
        changes.write(report, runs)
    result.changes = report
    result.published = True
    result.skipped = [s.id for s in chosen if s.id not in result.ran]
    log(changes.summary(report))
    result.stages["publish"] = time.perf_counter() - stage_started
    log(f"published {len(list((out_root / paths.SITE_NAME).glob('*.html')))} pages")
    log(
        f"took {', '.join(f'{name} {seconds:.2f} s' for name, seconds in result.stages.items())}"
        f" (checked {len(result.checked)} site file(s))"
    )
    result.seconds = time.perf_counter() - started
    return result
